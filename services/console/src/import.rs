//! A programme imported from CSV.

use axum::extract::{Path, State};
use axum::response::Response;

use crate::page::Failure;
use crate::routes::Console;
use crate::session::SignedIn;

/// `GET /console/editions/{edition}/import`.
pub async fn form(
    State(_console): State<Console>,
    _signed_in: SignedIn,
    Path(_edition): Path<String>,
) -> Result<Response, Failure> {
    Err(Failure::new(
        axum::http::StatusCode::NOT_FOUND,
        "Pas encore.",
    ))
}

/// `POST /console/editions/{edition}/import`.
pub async fn preview(
    State(_console): State<Console>,
    _signed_in: SignedIn,
    Path(_edition): Path<String>,
) -> Result<Response, Failure> {
    Err(Failure::new(
        axum::http::StatusCode::NOT_FOUND,
        "Pas encore.",
    ))
}

/// `POST /console/editions/{edition}/import/commit`.
pub async fn commit(
    State(_console): State<Console>,
    _signed_in: SignedIn,
    Path(_edition): Path<String>,
) -> Result<Response, Failure> {
    Err(Failure::new(
        axum::http::StatusCode::NOT_FOUND,
        "Pas encore.",
    ))
}
