//! Extractors whose rejections are problem details: a JSON body and path ids.
//!
//! axum's own `Json` and `Path` answer a rejection in plain text; these wrap them and answer an
//! [`ApiError`] instead (`malformed-json`, `invalid-body`, `unsupported-media-type`,
//! `body-too-large`, `invalid-path`).

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// A JSON body, deserialised (and so validated: the contracts' values refuse what is invalid).
/// It is a JSON object: serde would also read a struct from an array of its fields in order,
/// which no contract documents, so an array (or any other value) is refused `invalid-body`.
#[derive(Debug, Clone)]
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        // The body limit is the application's layer's; this only buffers what it let through.
        let bytes = crate::idempotency::read_body(body, crate::BODY_LIMIT).await?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{')
            && serde_json::from_slice::<serde_json::Value>(&bytes).is_ok()
        {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-body",
                "a request body is a JSON object",
            ));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| Self(value))
            .map_err(ApiError::from)
    }
}

/// Ids taken from the path (a UUID that is not one is 400 `invalid-path`).
#[derive(Debug, Clone)]
pub struct Ids<T>(pub T);

impl<T, S> FromRequestParts<S> for Ids<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(ApiError::from)
    }
}
