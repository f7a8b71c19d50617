//! The public catalogue over HTTP: editions and their sessions, as the `catalogue` read model
//! has them. No key is needed for published editions; an organiser's key also shows drafts (of
//! its own edition, or of all with `*`).

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalogue::{CatalogueError, SessionQuery};
use proto::values::{EditionId, SessionId};
use serde_json::json;

use crate::extract::Ids;
use crate::keys::{Editions, Role};
use crate::problem::ApiError;
use crate::routes::AppState;

/// The read routes, under `/catalogue`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/catalogue/editions", get(editions))
        .route("/catalogue/editions/{edition}", get(edition))
        .route("/catalogue/sessions", get(sessions))
        .route("/catalogue/sessions/{session}", get(session))
}

/// The catalogue's store, or 503 while semaine runs without it.
fn store(state: &AppState) -> Result<&sled::Db, ApiError> {
    state.catalogue.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "the catalogue is not served by this instance",
        )
        .retry_after(5)
    })
}

/// Which drafts the caller may see: none without a key; an organiser's edition, or all.
async fn drafts_visible(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Editions>, ApiError> {
    let Some(secret) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return Ok(None);
    };
    let principal = state
        .keys
        .authenticate(secret.trim())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    Ok(match principal.role {
        Role::Organiser(editions) => Some(editions),
        _ => None,
    })
}

fn visible(drafts: Option<&Editions>, edition: EditionId, public: bool) -> bool {
    public || drafts.is_some_and(|editions| editions.covers(edition))
}

fn catalogue_error(error: &CatalogueError) -> ApiError {
    let status = match error {
        CatalogueError::InvalidCursor { .. } | CatalogueError::InvalidDateRange { .. } => {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(%error, "the catalogue store failed");
        return ApiError::new(status, "internal", "the catalogue could not be read");
    }
    ApiError::new(status, error.code(), error.to_string())
}

async fn editions(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(&state, &headers).await?;
    let items: Vec<_> = catalogue::editions(db)
        .into_iter()
        .filter(|edition| visible(drafts.as_ref(), edition.id, edition.public))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

async fn edition(
    State(state): State<AppState>,
    headers: HeaderMap,
    Ids(id): Ids<EditionId>,
) -> Result<Response, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(&state, &headers).await?;
    match catalogue::edition(db, id) {
        Some(edition) if visible(drafts.as_ref(), edition.id, edition.public) => {
            Ok(axum::Json(edition).into_response())
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-edition",
            format!("no published edition {id}"),
        )),
    }
}

async fn sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SessionQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|rejection| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            rejection.body_text(),
        )
    })?;
    let db = store(&state)?;
    // A key, when sent, must be valid (as on every route); it matters only for drafts.
    let drafts = drafts_visible(&state, &headers).await?;
    if query.include_drafts {
        let allowed = match (&drafts, query.edition) {
            (Some(Editions::All), _) => true,
            (Some(editions), Some(edition)) => editions.covers(edition),
            _ => false,
        };
        if !allowed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "drafts are shown to the organisers of their edition (give `edition` and an \
                 organiser's key)",
            ));
        }
    }
    let page = catalogue::sessions(db, &query).map_err(|e| catalogue_error(&e))?;
    Ok(axum::Json(page).into_response())
}

async fn session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Ids(id): Ids<SessionId>,
) -> Result<Response, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(&state, &headers).await?;
    match catalogue::session(db, id) {
        Some(session) if visible(drafts.as_ref(), session.edition, session.public) => {
            Ok(axum::Json(session).into_response())
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-session",
            format!("no published session {id}"),
        )),
    }
}
