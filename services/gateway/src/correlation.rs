//! Every request's correlation id: the client's `X-Correlation-Id` when it sends a UUID (a
//! partner's site may follow its own calls so), a new one otherwise. The request runs in a
//! `request` span that carries it and with it as the current correlation
//! ([`eventlog::correlation`]), so every command the request makes records it in its events'
//! envelopes, and every reaction to those events carries it on. The answer names it in the same
//! header, a `500` problem in its detail.
//!
//! The span holds the method and the id only: a path or a query may hold a person's data.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

/// The header that carries the correlation id, in a request and in its answer.
pub const HEADER: &str = "x-correlation-id";

/// Runs the rest of the stack in the request's span, with its correlation id current.
pub async fn correlate(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Uuid::parse_str(value.trim()).ok())
        .unwrap_or_else(Uuid::now_v7);
    let span = tracing::info_span!("request", method = %request.method(), correlation_id = %id);
    let mut response = eventlog::correlation::scope(id, next.run(request))
        .instrument(span)
        .await;
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
