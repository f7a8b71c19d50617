//! Extractors whose rejections are problem details: a JSON body and path ids.
//!
//! axum's own `Json` and `Path` answer a rejection in plain text; these wrap them and answer an
//! [`ApiError`] instead (`malformed-json`, `invalid-body`, `unsupported-media-type`,
//! `body-too-large`, `invalid-path`).

use axum::extract::rejection::JsonRejection;
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
        let request = Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => {
                // `164.0` is the integer 164 in JSON (and in JSON Schema); serde reads it as a
                // float, so such a body is read again with its whole numbers written as
                // integers. Only on a refusal: a body without them is read once.
                if matches!(&rejection, JsonRejection::JsonDataError(refused)
                        if refused.body_text().contains("invalid type: floating point"))
                    && let Some(value) = whole_numbers_as_integers(&bytes)
                    && let Ok(read) = serde_json::from_value::<T>(value)
                {
                    return Ok(Self(read));
                }
                Err(ApiError::from(rejection))
            }
        }
    }
}

/// `bytes` as JSON with every whole number written as a float (`164.0`, `1e2`) made an integer;
/// `None` when it holds none (or is not JSON).
fn whole_numbers_as_integers(bytes: &[u8]) -> Option<serde_json::Value> {
    fn walk(value: &mut serde_json::Value) -> bool {
        match value {
            serde_json::Value::Number(number) => {
                // Within ±2^53 a float is exact, and so is the integer it holds.
                const EXACT: f64 = 9_007_199_254_740_992.0;
                match number.as_f64() {
                    Some(float)
                        if number.is_f64() && float.fract() == 0.0 && float.abs() <= EXACT =>
                    {
                        // Exact: checked whole and within ±2^53 just above.
                        *value = serde_json::Value::from(float as i64);
                        true
                    }
                    _ => false,
                }
            }
            // Every value is walked (no short cut): each may hold one.
            serde_json::Value::Array(items) => {
                items.iter_mut().map(walk).filter(|c| *c).count() > 0
            }
            serde_json::Value::Object(fields) => {
                fields.values_mut().map(walk).filter(|c| *c).count() > 0
            }
            _ => false,
        }
    }
    let mut value = serde_json::from_slice(bytes).ok()?;
    walk(&mut value).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_written_as_floats_are_read_as_integers() {
        let read = whole_numbers_as_integers(br#"{"a": 164.0, "b": [1e2, 2.5], "c": 3}"#);
        assert_eq!(
            read,
            Some(serde_json::json!({"a": 164, "b": [100, 2.5], "c": 3}))
        );
        assert_eq!(whole_numbers_as_integers(br#"{"a": 2.5, "c": 3}"#), None);
        assert_eq!(whole_numbers_as_integers(br#"{"a": 1e300}"#), None);
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
