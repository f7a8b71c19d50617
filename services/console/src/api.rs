//! The console's client of the gateway: requests sent to the gateway's router in the same
//! process, as the signed-in user's principal ([`gateway::auth::Delegated`]: the console keeps
//! a key's id, never its secret, and reads the principal from the key store on each request).
//!
//! Going through the router rather than calling the services keeps one path for every rule the
//! API enforces (roles, scopes, rate limits, `Idempotency-Key`, validation, problems): the console
//! can do nothing the key could not do over HTTP (its rate limit included), and a key revoked
//! stops working in the console on its next request.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use catalogue::{Cursor, Page};
use gateway::Principal;
use gateway::auth::Delegated;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

/// The most pages one paged read follows (200 items a page: far more than an edition holds); a
/// read that goes on is answered as an error rather than followed forever.
const MOST_PAGES: usize = 1_000;

/// The largest answer read from the gateway (a page of 200 sessions is well under it).
const ANSWER_LIMIT: usize = 16 * 1024 * 1024;

/// The gateway's router, as the console calls it.
#[derive(Clone)]
pub struct Api {
    /// The gateway's application.
    app: Router,
}

/// A refusal from the gateway: its status and its problem's code and detail.
#[derive(Debug, Clone)]
pub struct Problem {
    /// The HTTP status.
    pub status: StatusCode,
    /// The problem's stable code (`forbidden`, `hosting-request-replaced`…).
    pub code: String,
    /// The problem's detail, in English.
    pub detail: String,
}

impl Problem {
    /// A problem of the console's own (not from the gateway).
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            detail: detail.into(),
        }
    }
}

impl Api {
    /// A client of this gateway application.
    pub fn new(app: Router) -> Self {
        Self { app }
    }

    /// `GET path` as the principal; the answer's JSON as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        principal: &Principal,
        path: &str,
    ) -> Result<T, Problem> {
        let (status, bytes) = self.send(Method::GET, principal, path, None, None).await?;
        answer(path, status, &bytes)
    }

    /// Every item of a paged read (`{"items": […], "next": cursor}`), following its cursors:
    /// `path` has a query, to which `&after=<cursor>` is added for each next page.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        principal: &Principal,
        path: &str,
    ) -> Result<Vec<T>, Problem> {
        let mut all = Vec::new();
        let mut after: Option<Cursor> = None;
        for _ in 0..MOST_PAGES {
            let page: Page<T> = match &after {
                Some(cursor) => {
                    let next = format!("{path}&after={}", cursor.as_str());
                    self.get(principal, &next).await?
                }
                None => self.get(principal, path).await?,
            };
            all.extend(page.items);
            match page.next {
                Some(next) if !next.as_str().is_empty() && after.as_ref() != Some(&next) => {
                    after = Some(next);
                }
                _ => return Ok(all),
            }
        }
        Err(Problem::new(
            StatusCode::BAD_GATEWAY,
            "unexpected-answer",
            format!("{path} still had pages after {MOST_PAGES}"),
        ))
    }

    /// `GET path` as the principal; the answer's content type and bytes, as they are.
    pub async fn get_raw(
        &self,
        principal: &Principal,
        path: &str,
    ) -> Result<(String, Vec<u8>), Problem> {
        let (status, content_type, bytes) = self
            .send_full(Method::GET, principal, path, None, None)
            .await?;
        if !status.is_success() {
            return Err(problem(status, &bytes));
        }
        Ok((content_type, bytes))
    }

    /// `POST path` as the principal, the idempotency key and a JSON body; the answer as the
    /// gateway's own type for it (e.g. `gateway::routes::events::EventRecorded`).
    pub async fn post<T: DeserializeOwned>(
        &self,
        principal: &Principal,
        path: &str,
        idempotency_key: &str,
        body: &Value,
    ) -> Result<T, Problem> {
        let (status, bytes) = self
            .send(
                Method::POST,
                principal,
                path,
                Some(idempotency_key),
                Some(body.to_string()),
            )
            .await?;
        answer(path, status, &bytes)
    }

    async fn send(
        &self,
        method: Method,
        principal: &Principal,
        path: &str,
        idempotency_key: Option<&str>,
        body: Option<String>,
    ) -> Result<(StatusCode, Vec<u8>), Problem> {
        let (status, _, bytes) = self
            .send_full(method, principal, path, idempotency_key, body)
            .await?;
        Ok((status, bytes))
    }

    async fn send_full(
        &self,
        method: Method,
        principal: &Principal,
        path: &str,
        idempotency_key: Option<&str>,
        body: Option<String>,
    ) -> Result<(StatusCode, String, Vec<u8>), Problem> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .extension(Delegated(principal.clone()));
        if let Some(key) = idempotency_key {
            builder = builder.header("idempotency-key", key);
        }
        let request = match body {
            Some(body) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body)),
            None => builder.body(Body::empty()),
        }
        .map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-request",
                format!("cannot make the request: {e}"),
            )
        })?;
        let response = match self.app.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), ANSWER_LIMIT)
            .await
            .map_err(|e| {
                Problem::new(
                    StatusCode::BAD_GATEWAY,
                    "unexpected-answer",
                    format!("cannot read the answer: {e}"),
                )
            })?;
        Ok((status, content_type, bytes.to_vec()))
    }
}

/// A success's answer read as `T`, or the refusal's problem.
fn answer<T: DeserializeOwned>(path: &str, status: StatusCode, bytes: &[u8]) -> Result<T, Problem> {
    if !status.is_success() {
        return Err(problem(status, bytes));
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::new(
            StatusCode::BAD_GATEWAY,
            "unexpected-answer",
            format!("cannot read the answer of {path}: {e}"),
        )
    })
}

/// The problem document of a refusal.
fn problem(status: StatusCode, bytes: &[u8]) -> Problem {
    let json: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    Problem {
        status,
        code: json["code"].as_str().unwrap_or("error").to_owned(),
        detail: json["detail"].as_str().unwrap_or("").to_owned(),
    }
}
