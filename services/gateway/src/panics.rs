//! A handler that panics is answered, not dropped.
//!
//! Without this layer a panic unwinds through hyper's connection task and the client gets an
//! empty reply. [`catch_panic`] runs every request in a `catch_unwind`: a panic becomes a `500`
//! problem (`internal`) whose detail carries a correlation id, the same id is logged (without
//! the panic's message, which may quote the request's input) and
//! `semaine_http_panics_total` counts it. A command a handler had already sent to the log stays
//! recorded and is answered again to a retry with the same `Idempotency-Key`; nothing is
//! half-applied, since every command is one commit.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::problem::ApiError;

/// Runs the rest of the stack, and answers a panic with a `500` problem.
pub async fn catch_panic(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_panic) => {
            metrics.panicked();
            // The request's own (see `crate::correlation`), when it runs inside one.
            let correlation = eventlog::correlation::current().unwrap_or_else(Uuid::now_v7);
            // The path and the panic's message may hold a person's data: only the method.
            tracing::error!(%correlation, %method, "a request's handler panicked; answered 500");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                format!("an internal error occurred (correlation id {correlation})"),
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panic_is_answered_as_a_problem_and_counted() -> Result<(), Box<dyn std::error::Error>>
    {
        let metrics = Arc::new(Metrics::default());
        let router = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let text = String::from("aé12");
                    // A byte slice across `é`: the very mistake this layer is a net for.
                    let cut = text.get(..2).map_or_else(|| text.len(), str::len);
                    if cut != 2 {
                        panic!("a handler's bug");
                    }
                    "unreachable"
                }),
            )
            .route("/fine", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn_with_state(
                metrics.clone(),
                catch_panic,
            ));
        let request = |path: &str| Request::builder().uri(path).body(axum::body::Body::empty());
        let response = router.clone().oneshot(request("/boom")?).await?;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[axum::http::header::CONTENT_TYPE],
            crate::problem::PROBLEM_JSON
        );
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await?;
        let json: serde_json::Value = serde_json::from_slice(&body)?;
        assert_eq!(json["code"], "internal");
        let detail = json["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("correlation id"), "{detail}");
        assert!(
            !detail.contains("bug"),
            "the panic's message is not answered: {detail}"
        );
        let fine = router.oneshot(request("/fine")?).await?;
        assert_eq!(fine.status(), StatusCode::OK);
        let text = metrics.render(&[]);
        assert!(text.contains("semaine_http_panics_total 1"), "{text}");
        Ok(())
    }
}
