//! The public catalogue over HTTP: editions and their sessions, as the `catalogue` read model
//! has them. No key is needed for published editions; an organiser's key also shows drafts (of
//! its own edition, or of all with `*`).
//!
//! **Read-your-writes.** A command answers the `stream` and `seq` of the commit that recorded
//! it. A catalogue read given `min_seq=<STREAM>:<seq>` (repeatable, or comma-separated) waits
//! until the catalogue has applied that far in each stream named, at most [`MIN_SEQ_WAIT`], and
//! is answered 503 `read-model-behind` (`Retry-After: 1`) if it has not.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use catalogue::{CatalogueError, EditionView, EventView, Page, SessionQuery, SessionView};
use projection::Progress;
use proto::values::{EditionId, SessionId};

use crate::auth::Presented;
use crate::extract::Ids;
use crate::keys::{Editions, Role};
use crate::problem::ApiError;
use crate::routes::AppState;
use crate::routes::answers::{Answered, Items};
use crate::routes::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::CATALOGUE
        .get(
            "/catalogue/editions",
            "catalogue_editions",
            "The public editions (and an organiser's drafts)",
            Access::AnyoneOrKey,
            handled_by!(editions),
        )
        .query(&[MIN_SEQ]),
    Area::CATALOGUE
        .get(
            "/catalogue/editions/{edition}",
            "catalogue_edition",
            "One edition",
            Access::AnyoneOrKey,
            handled_by!(edition),
        )
        .query(&[MIN_SEQ]),
    Area::CATALOGUE
        .get(
            "/catalogue/editions/{edition}/events",
            "catalogue_events",
            "An edition's events, with or without sessions, visible as the edition is",
            Access::AnyoneOrKey,
            handled_by!(events),
        )
        .query(&[MIN_SEQ]),
    Area::CATALOGUE
        .get(
            "/catalogue/sessions",
            "catalogue_sessions",
            "A page of sessions in time order, filtered",
            Access::AnyoneOrKey,
            handled_by!(sessions),
        )
        .query(SESSION_QUERY),
    Area::CATALOGUE
        .get(
            "/catalogue/sessions/{session}",
            "catalogue_session",
            "One session",
            Access::AnyoneOrKey,
            handled_by!(session),
        )
        .query(&[MIN_SEQ]),
];

/// The longest a read waits for the catalogue to reach its `min_seq`.
pub const MIN_SEQ_WAIT: Duration = Duration::from_secs(2);

/// The query parameter.
const MIN_SEQ_NAME: &str = "min_seq";

/// The stream sequences a read asked the catalogue to have reached: the highest asked per
/// stream. Empty when the read asked for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinSeq(pub BTreeMap<String, u64>);

/// A query string that does not read as the route's parameters: `400 invalid-query`, saying why.
pub(crate) fn invalid_query(rejection: &QueryRejection) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-query",
        rejection.body_text(),
    )
}

fn invalid_min_seq(value: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-query",
        format!(
            "`min_seq={value}`: give `<STREAM>:<seq>`, as a command answered them (for example \
             `min_seq=REGISTRATION:412`), repeated or comma-separated"
        ),
    )
}

impl MinSeq {
    /// Reads every `min_seq` of a decoded query.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ApiError> {
        let mut wanted = BTreeMap::new();
        for (name, value) in pairs {
            if name != MIN_SEQ_NAME {
                continue;
            }
            for one in value.split(',') {
                let (stream, seq) = one.split_once(':').ok_or_else(|| invalid_min_seq(value))?;
                // 1 to 19 digits, as the document says: every sequence a stream reaches.
                if !(1..=19).contains(&seq.len()) || !seq.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid_min_seq(value));
                }
                let seq: u64 = seq.parse().map_err(|_| invalid_min_seq(value))?;
                let named = !stream.is_empty()
                    && stream
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !named {
                    return Err(invalid_min_seq(value));
                }
                let highest = wanted.entry(stream.to_owned()).or_insert(seq);
                *highest = (*highest).max(seq);
            }
        }
        Ok(Self(wanted))
    }

    /// Whether `progress` has reached every sequence asked.
    pub fn reached(&self, progress: &Progress) -> bool {
        self.0.iter().all(|(stream, seq)| {
            progress
                .checkpoints
                .get(stream)
                .is_some_and(|checkpoint| checkpoint >= seq)
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for MinSeq {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        if parts.uri.query().is_none() {
            return Ok(Self::default());
        }
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|rejection| invalid_query(&rejection))?;
        Self::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// Waits until the catalogue has reached `min_seq`, at most [`MIN_SEQ_WAIT`]: 503
/// `read-model-behind` if it has not (or if this instance cannot tell).
async fn caught_up(state: &AppState, min_seq: &MinSeq) -> Result<(), ApiError> {
    caught_up_on(state, crate::routes::CATALOGUE, min_seq).await
}

/// Waits until the read model `name` has reached `min_seq`, at most [`MIN_SEQ_WAIT`]: 503
/// `read-model-behind` if it has not (or if this instance cannot tell); 400 `invalid-query` for
/// a stream semaine does not have; 409 `min-seq-ahead-of-log` for a sequence its stream does not
/// hold yet. A stream the read model does not read is not waited for.
pub(crate) async fn caught_up_on(
    state: &AppState,
    name: &str,
    min_seq: &MinSeq,
) -> Result<(), ApiError> {
    if min_seq.0.is_empty() {
        return Ok(());
    }
    let behind = |detail: String| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "read-model-behind", detail).retry_after(1)
    };
    let Some(mut progress) = state.projections.get(name).cloned() else {
        return Err(behind(format!(
            "this instance cannot tell how far the {name} read model has read; retry without \
             min_seq"
        )));
    };
    if let Some(unknown) = min_seq
        .0
        .keys()
        .find(|stream| !STREAM_NAMES.contains(&stream.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            format!(
                "semaine has no stream `{unknown}`; its streams are {}",
                STREAM_NAMES.join(", ")
            ),
        ));
    }
    // A stream this read model does not read holds nothing it waits for.
    let wanted = {
        let now = progress.borrow();
        MinSeq(
            min_seq
                .0
                .iter()
                .filter(|(stream, _)| now.checkpoints.contains_key(*stream))
                .map(|(stream, seq)| (stream.clone(), *seq))
                .collect(),
        )
    };
    let reached = tokio::time::timeout(MIN_SEQ_WAIT, progress.wait_for(|now| wanted.reached(now)))
        .await
        .is_ok_and(|waited| waited.is_ok());
    if reached {
        return Ok(());
    }
    // A position no command was answered yet: waiting longer would not help.
    for (stream, seq) in &wanted.0 {
        if state
            .log
            .last_sequence(stream)
            .await
            .is_ok_and(|last| *seq > last)
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "min-seq-ahead-of-log",
                format!(
                    "the stream {stream} holds no sequence {seq} yet: give one a command answered"
                ),
            ));
        }
    }
    Err(behind(format!(
        "the {name} read model has not read up to min_seq yet; retry in a moment"
    )))
}

/// The streams of semaine, which `min_seq` may name.
pub const STREAM_NAMES: &[&str] = &[
    proto::subjects::SCHEDULING.name,
    proto::subjects::VENUES.name,
    proto::subjects::REGISTRATION.name,
    proto::subjects::JOBDATING.name,
    proto::subjects::WEBHOOKS.name,
];

/// The catalogue's store, or 503 while semaine runs without it.
fn store(state: &AppState) -> Result<&sled::Db, ApiError> {
    state
        .catalogue
        .as_ref()
        .ok_or_else(|| ApiError::not_served("the catalogue is not served by this instance"))
}

/// Which drafts the caller may see: none without a key; an organiser's edition, or all.
fn drafts_visible(presented: Presented) -> Option<Editions> {
    match presented.0?.role {
        Role::Organiser(editions) => Some(editions),
        _ => None,
    }
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

pub(crate) async fn editions(
    State(state): State<AppState>,
    presented: Presented,
    min_seq: MinSeq,
) -> Result<Answered<Items<EditionView>>, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(presented);
    caught_up(&state, &min_seq).await?;
    let items: Vec<_> = catalogue::editions(db)
        .into_iter()
        .filter(|edition| visible(drafts.as_ref(), edition.id, edition.public))
        .collect();
    Ok(Answered::ok(Items { items }))
}

pub(crate) async fn edition(
    State(state): State<AppState>,
    presented: Presented,
    Ids(id): Ids<EditionId>,
    min_seq: MinSeq,
) -> Result<Answered<EditionView>, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(presented);
    caught_up(&state, &min_seq).await?;
    match catalogue::edition(db, id) {
        Some(edition) if visible(drafts.as_ref(), edition.id, edition.public) => {
            Ok(Answered::ok(edition))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-edition",
            format!("no published edition {id}"),
        )),
    }
}

/// `GET /catalogue/editions/{edition}/events`: the edition's events, with or without sessions,
/// visible as the edition is.
pub(crate) async fn events(
    State(state): State<AppState>,
    presented: Presented,
    Ids(id): Ids<EditionId>,
    min_seq: MinSeq,
) -> Result<Answered<Items<EventView>>, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(presented);
    caught_up(&state, &min_seq).await?;
    match catalogue::edition(db, id) {
        Some(edition) if visible(drafts.as_ref(), edition.id, edition.public) => {
            let items = catalogue::events(db, id);
            Ok(Answered::ok(Items { items }))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-edition",
            format!("no published edition {id}"),
        )),
    }
}

pub(crate) async fn sessions(
    State(state): State<AppState>,
    presented: Presented,
    query: Result<Query<SessionQuery>, QueryRejection>,
    min_seq: MinSeq,
) -> Result<Answered<Page<SessionView>>, ApiError> {
    let Query(query) = query.map_err(|rejection| invalid_query(&rejection))?;
    let db = store(&state)?;
    // A key, when sent, must be valid (as on every route); it matters only for drafts.
    let drafts = drafts_visible(presented);
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
    caught_up(&state, &min_seq).await?;
    let page = catalogue::sessions(db, &query).map_err(|e| catalogue_error(&e))?;
    Ok(Answered::ok(page))
}

pub(crate) async fn session(
    State(state): State<AppState>,
    presented: Presented,
    Ids(id): Ids<SessionId>,
    min_seq: MinSeq,
) -> Result<Answered<SessionView>, ApiError> {
    let db = store(&state)?;
    let drafts = drafts_visible(presented);
    caught_up(&state, &min_seq).await?;
    match catalogue::session(db, id) {
        Some(session) if visible(drafts.as_ref(), session.edition, session.public) => {
            Ok(Answered::ok(session))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-session",
            format!("no published session {id}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<MinSeq, ApiError> {
        MinSeq::parse(query.iter().copied())
    }

    #[test]
    fn min_seq_is_repeatable_and_comma_separated() -> Result<(), ApiError> {
        let min_seq = parse(&[
            ("town", "gap"),
            ("min_seq", "REGISTRATION:12,SCHEDULING:3"),
            ("min_seq", "REGISTRATION:9"),
        ])?;
        assert_eq!(
            min_seq.0,
            BTreeMap::from([
                ("REGISTRATION".to_owned(), 12),
                ("SCHEDULING".to_owned(), 3)
            ])
        );
        assert_eq!(parse(&[("limit", "5")])?, MinSeq::default());
        Ok(())
    }

    #[test]
    fn a_bad_min_seq_is_an_invalid_query() {
        for bad in [
            "REGISTRATION",
            "REGISTRATION:",
            ":4",
            "REGISTRATION:-1",
            "REG ISTRATION:4",
            "A:1,",
        ] {
            let error = parse(&[("min_seq", bad)]).err();
            assert_eq!(
                error.map(|e| (e.status, e.code)),
                Some((StatusCode::BAD_REQUEST, "invalid-query")),
                "{bad}"
            );
        }
    }

    #[test]
    fn reached_when_every_stream_is_far_enough() -> Result<(), ApiError> {
        let progress = Progress {
            checkpoints: BTreeMap::from([
                ("REGISTRATION".to_owned(), 10),
                ("SCHEDULING".to_owned(), 4),
            ]),
            caught_up: true,
        };
        assert!(parse(&[("min_seq", "REGISTRATION:10,SCHEDULING:4")])?.reached(&progress));
        assert!(!parse(&[("min_seq", "REGISTRATION:11")])?.reached(&progress));
        assert!(!parse(&[("min_seq", "VENUES:1")])?.reached(&progress));
        assert!(MinSeq::default().reached(&progress));
        Ok(())
    }
}
