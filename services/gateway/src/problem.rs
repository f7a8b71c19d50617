//! Errors as RFC 9457 problem details: `application/problem+json` with a stable `code`.
//!
//! Every error the gateway answers is an [`ApiError`]: `{type, title, status, detail, code}`,
//! where `type` is `urn:semaine:problem:<code>` and `code` is what clients match on. The status
//! follows one rule:
//!
//! | status | when | codes (examples) |
//! |---|---|---|
//! | 400 | the request itself is malformed | `malformed-json`, `idempotency-key-required`, `invalid-idempotency-key`, `invalid-path`, `invalid-query`, `unreadable-body` |
//! | 401 | no key, or one that is malformed, unknown or revoked | `unauthenticated` |
//! | 403 | the key's role or scope does not cover the command | `forbidden`, `not-allowed` |
//! | 404 | the thing named (in the path or the body) does not exist; also another partner's registration, so that its existence does not leak | `not-found`, `unknown-edition`, `unknown-event`, `unknown-session`, `unknown-registration`, `venue-not-registered`, … |
//! | 405 | the path exists, not with this method | `method-not-allowed` |
//! | 409 | the rules refuse the command **given the current state** (the same command might pass at another time) | `seats-not-open`, `already-registered`, `room-already-taken`, `edition-closed`, `agenda-overlap`, … |
//! | 413 | the body is larger than 64 KiB | `body-too-large` |
//! | 415 | the body is not `application/json` | `unsupported-media-type` |
//! | 422 | the command is invalid **whatever the state** (values inconsistent among themselves), or a body that does not deserialise, or an idempotency key reused for another request | `invalid-body`, `no-theme`, `group-too-small`, `capacity-zero`, `idempotency-key-reused`, … |
//! | 429 | too many requests for this key, or from this client address on the routes that need no key; `Retry-After` says when to come back | `rate-limited` |
//! | 500 | a real internal error; no detail is given (it is logged) | `internal` |
//! | 503 | the log, a key store or NATS did not answer, or other writers kept winning; `Retry-After`, and the same `Idempotency-Key` is safe to retry with; or a read's `min_seq` not reached in time | `log-unavailable`, `key-store-unavailable`, `contended`, `unavailable`, `not-ready`, `read-model-behind` |
//!
//! The status of a refusal follows from its kind ([`RefusalKind`]), which each domain gives every
//! refusal beside its code (an exhaustive `match`: a new refusal does not compile until it has
//! one); the services tell their errors as [`Told`], hiding another tenant's things as unknown.
//! The gateway depends on no domain crate. Input is never answered with a 500.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jobdating::JobDatingError;
use proto::refusal::{ErrorKind, RefusalKind, Told};
use registration::RegistrationError;
use scheduling::SchedulingError;
use serde::Serialize;
use venues::VenuesError;

/// The media type of a problem.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// How long a client should wait before retrying after a 503, in seconds.
const RETRY_UNAVAILABLE_AFTER: u64 = 1;

/// An error answered to a client, as problem details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code clients match on.
    pub code: &'static str,
    /// What happened, for a person reading it; never a secret, never an internal error's text.
    pub detail: String,
    /// For 429 and 503: how many seconds to wait (`Retry-After`).
    pub retry_after: Option<u64>,
}

/// The code of a problem, kept in its response's extensions (for the metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemCode(pub &'static str);

/// The JSON body of a problem.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
}

impl ApiError {
    /// An error with a status, a code and a detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// The same error, asking the client to wait `seconds` before retrying.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 401: no usable key.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send a valid, unrevoked API key as `Authorization: Bearer <secret>`",
        )
    }

    /// 403: the key does not cover this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404: no such route.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "there is nothing at this path",
        )
    }

    /// 405: the path exists with other methods (the `Allow` header lists them).
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "this path does not take this method; see the Allow header",
        )
    }

    /// 429: too many requests for this key or client address; `Retry-After` says when to come
    /// back.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "too many requests; wait for Retry-After seconds",
        )
        .retry_after(crate::limits::retry_after_seconds(wait))
    }

    /// 413: the body is too large.
    pub fn body_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            format!("the body is larger than {limit} bytes"),
        )
    }

    /// 500: something broke inside; the detail is logged, never answered.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred",
        )
    }

    /// 503 `not-ready`: this instance does not serve what was asked (a read model, the
    /// webhooks), as `detail` says; another instance, or this one later, may.
    pub fn not_served(detail: &'static str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", detail).retry_after(5)
    }

    /// 503: a store semaine depends on did not answer; retry with the same idempotency key.
    pub fn unavailable(code: &'static str, cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(code, error = %cause, "a dependency is unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            "semaine cannot record this right now; retry later with the same Idempotency-Key",
        )
        .retry_after(RETRY_UNAVAILABLE_AFTER)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let problem = Problem {
            kind: format!("urn:semaine:problem:{}", self.code),
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.extensions_mut().insert(ProblemCode(self.code));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"semaine\""),
            );
        }
        response
    }
}

/// The status that tells a refusal of this kind.
fn refusal_status(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Unknown => StatusCode::NOT_FOUND,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
    }
}

impl From<Told> for ApiError {
    /// A service's error as the service tells it: its kind gives the status; what is not a
    /// refusal is logged and never told.
    fn from(told: Told) -> Self {
        match told.kind {
            ErrorKind::Refused(kind) => Self::new(refusal_status(kind), told.code, told.detail),
            ErrorKind::Unavailable => Self::unavailable(told.code, &told.detail),
            ErrorKind::Internal => Self::internal(&told.detail),
        }
    }
}

/// Every service's error is answered as the service tells it.
macro_rules! told_by_the_service {
    ($($error:ty),+) => {$(
        impl From<$error> for ApiError {
            fn from(error: $error) -> Self {
                Self::from(error.told())
            }
        }
    )+};
}

told_by_the_service!(
    SchedulingError,
    VenuesError,
    RegistrationError,
    JobDatingError
);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match &rejection {
            JsonRejection::JsonDataError(e) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                e.body_text(),
            ),
            JsonRejection::JsonSyntaxError(e) => {
                Self::new(StatusCode::BAD_REQUEST, "malformed-json", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "send the body as `Content-Type: application/json`",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Self::body_too_large(crate::BODY_LIMIT)
            }
            other => Self::new(
                StatusCode::BAD_REQUEST,
                "unreadable-body",
                other.body_text(),
            ),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        match &rejection {
            PathRejection::FailedToDeserializePathParams(e) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid-path", e.body_text())
            }
            other => Self::internal(&other.body_text()),
        }
    }
}

impl From<crate::keys::KeyError> for ApiError {
    fn from(error: crate::keys::KeyError) -> Self {
        match error {
            crate::keys::KeyError::Unavailable(_) => Self::unavailable("unavailable", &error),
            other => Self::internal(&other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eventlog::LogFailure;

    #[test]
    fn a_refusal_is_answered_by_its_kind() {
        for (kind, status) in [
            (RefusalKind::Unknown, StatusCode::NOT_FOUND),
            (RefusalKind::Conflict, StatusCode::CONFLICT),
            (RefusalKind::Invalid, StatusCode::UNPROCESSABLE_ENTITY),
            (RefusalKind::Forbidden, StatusCode::FORBIDDEN),
        ] {
            let error = ApiError::from(Told::refusal(kind, "seats-not-open", &"why"));
            assert_eq!(
                (error.status, error.code, error.detail.as_str()),
                (status, "seats-not-open", "why")
            );
            assert_eq!(error.retry_after, None);
        }
    }

    #[test]
    fn unavailable_and_contended_ask_to_retry() {
        for error in [
            ApiError::from(RegistrationError::Log(LogFailure::Contended {
                attempts: 3,
            })),
            ApiError::from(VenuesError::Log(LogFailure::unavailable("nats down"))),
            ApiError::from(SchedulingError::Log(LogFailure::Contended { attempts: 1 })),
        ] {
            assert_eq!(error.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(error.retry_after, Some(RETRY_UNAVAILABLE_AFTER));
            assert!(!error.detail.contains("nats down"));
        }
    }

    #[test]
    fn an_internal_error_tells_nothing() {
        let error = ApiError::from(VenuesError::Log(LogFailure::broken("disk full at /var/x")));
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code, "internal");
        assert!(!error.detail.contains("disk"));
    }

    #[test]
    fn a_services_unknown_thing_is_not_found() {
        let edition = proto::values::EditionId(uuid::Uuid::nil());
        let error = ApiError::from(SchedulingError::UnknownEdition(edition));
        assert_eq!(
            (error.status, error.code),
            (StatusCode::NOT_FOUND, "unknown-edition")
        );
        let error = ApiError::from(RegistrationError::NotAllowed("venues only"));
        assert_eq!(
            (error.status, error.code),
            (StatusCode::FORBIDDEN, "not-allowed")
        );
    }

    #[tokio::test]
    async fn a_problem_is_problem_json() -> Result<(), Box<dyn std::error::Error>> {
        let response = ApiError::unauthenticated().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await?;
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        assert_eq!(json["status"], 401);
        assert_eq!(json["code"], "unauthenticated");
        assert_eq!(json["type"], "urn:semaine:problem:unauthenticated");
        assert_eq!(json["title"], "Unauthorized");
        assert!(json["detail"].is_string());
        Ok(())
    }
}
