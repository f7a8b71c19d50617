//! The job-dating reads, from the job-dating view (`jobdating-view`): a table's timetable and
//! the session's figures for the floor staff, a candidate's interviews as a calendar for their
//! partner and the organisers. Each waits for `min_seq`, then checks the reader.

use ::views::JobDatingView;
use ::views::ics::{Entry, EntryStatus, When};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::tz::TimeZone;
use proto::registration::ParticipantId;
use proto::values::{SessionId, TableNo};

use super::{floor_staff, organiser_reads};
use crate::extract::Ids;
use crate::keys::Role;
use crate::problem::ApiError;
use crate::routes::AppState;
use crate::routes::answers::Answered;
use crate::routes::catalogue::{MinSeq, caught_up_on};
use crate::routes::readers::{CALENDAR, Reader, text, view_error};

/// The job-dating view's store, or 503 while this instance does not serve it.
pub(super) fn store(state: &AppState) -> Result<&sled::Db, ApiError> {
    state
        .jobdating_view
        .as_ref()
        .ok_or_else(|| ApiError::not_served("job-dating reads are not served by this instance"))
}

fn unknown_floor(session: SessionId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "jobdating-not-configured",
        format!("no job-dating floor is set up for session {session}"),
    )
}

/// `GET /jobdating/{session}/tables/{table}/timetable`.
pub(crate) async fn timetable(
    State(state): State<AppState>,
    reader: Reader,
    Ids((session, table)): Ids<(SessionId, TableNo)>,
    min_seq: MinSeq,
) -> Result<Answered<::views::Timetable>, ApiError> {
    let db = store(&state)?;
    caught_up_on(&state, JobDatingView::NAME, &min_seq).await?;
    floor_staff(&state, &reader.0, None, session).await?;
    match ::views::jobdating::timetable(db, session, table).map_err(|e| view_error(&e))? {
        Some(timetable) => Ok(Answered::ok(timetable)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-table",
            format!("no recruiter sits at table {table} of this job-dating"),
        )),
    }
}

/// `GET /jobdating/{session}/figures`.
pub(crate) async fn figures(
    State(state): State<AppState>,
    reader: Reader,
    Ids(session): Ids<SessionId>,
    min_seq: MinSeq,
) -> Result<Answered<::views::JobDatingFigures>, ApiError> {
    let db = store(&state)?;
    caught_up_on(&state, JobDatingView::NAME, &min_seq).await?;
    floor_staff(&state, &reader.0, None, session).await?;
    match ::views::jobdating::figures(db, session).map_err(|e| view_error(&e))? {
        Some(figures) => Ok(Answered::ok(figures)),
        None => Err(unknown_floor(session)),
    }
}

/// `GET /jobdating/{session}/candidates/{participant}/timetable.ics`.
pub(crate) async fn candidate_calendar(
    State(state): State<AppState>,
    reader: Reader,
    Ids((session, participant)): Ids<(SessionId, ParticipantId)>,
    min_seq: MinSeq,
) -> Result<Response, ApiError> {
    let db = store(&state)?;
    caught_up_on(&state, JobDatingView::NAME, &min_seq).await?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "candidate-not-registered",
            format!("no candidate {participant} of yours at this job-dating"),
        )
    };
    let found = ::views::jobdating::candidate_interviews(db, session, participant)
        .map_err(|e| view_error(&e))?;
    let Some((partner, interviews)) = found else {
        return Err(unknown());
    };
    match &reader.0.role {
        Role::Partner(own) if *own == partner => {}
        Role::Partner(_) => return Err(unknown()),
        Role::Organiser(_) => organiser_reads(&state, &reader.0, session)?,
        Role::Venue(_) => {
            return Err(ApiError::forbidden(
                "a candidate's timetable is read by their partner and the organisers",
            ));
        }
    }
    let info = ::views::jobdating::session(db, session).map_err(|e| view_error(&e))?;
    let zone = info.time_zone.clone();
    let location = match (&info.venue_name, &info.address) {
        (Some(name), Some(address)) => Some(format!("{name}, {address}")),
        (Some(name), None) => Some(name.clone()),
        _ => None,
    };
    let entries: Vec<Entry> = interviews
        .iter()
        .map(|interview| {
            let when = match zone.as_deref().and_then(|z| TimeZone::get(z).ok()) {
                Some(tz) => When::Local {
                    zone: zone.clone().unwrap_or_default(),
                    starts: interview.starts_at.to_zoned(tz.clone()).datetime(),
                    ends: interview.ends_at.to_zoned(tz).datetime(),
                },
                None => When::Utc {
                    starts: interview.starts_at,
                    ends: interview.ends_at,
                },
            };
            let employer = interview
                .employer
                .as_ref()
                .map_or_else(|| "un employeur".to_owned(), |e| e.name.clone());
            Entry {
                uid: ::views::jobdating::interview_uid(session, interview.table, interview.slot),
                stamp: interview.changed_at,
                sequence: 0,
                when,
                summary: format!("Entretien — {employer}"),
                location: location.clone(),
                description: Some(format!(
                    "Job-dating : table {}, créneau {}",
                    interview.table, interview.slot
                )),
                status: EntryStatus::Confirmed,
            }
        })
        .collect();
    let name = info.title.unwrap_or_else(|| "Job-dating".to_owned());
    let calendar = ::views::ics::calendar(&name, &entries);
    Ok(text(
        CALENDAR,
        calendar,
        Some(format!("jobdating-{participant}.ics")),
    ))
}
