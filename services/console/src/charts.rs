//! The statistics as SVG charts drawn on the server, each downloadable as CSV.

use axum::extract::{Path, State};
use axum::response::Response;

use crate::page::Failure;
use crate::routes::Console;
use crate::session::SignedIn;

/// `GET /console/editions/{edition}/statistics`.
pub async fn page(
    State(_console): State<Console>,
    _signed_in: SignedIn,
    Path(_edition): Path<String>,
) -> Result<Response, Failure> {
    Err(Failure::new(
        axum::http::StatusCode::NOT_FOUND,
        "Pas encore.",
    ))
}

/// `GET /console/editions/{edition}/statistics/{chart}`.
pub async fn csv(
    State(_console): State<Console>,
    _signed_in: SignedIn,
    Path(_path): Path<(String, String)>,
) -> Result<Response, Failure> {
    Err(Failure::new(
        axum::http::StatusCode::NOT_FOUND,
        "Pas encore.",
    ))
}
