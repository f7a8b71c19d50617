//! Organisers' events and their sessions: add and amend an event, schedule, reschedule, move
//! to another venue and cancel a session. An event's commands act in its own edition only
//! (`organiser_of_event`).

use axum::extract::State;
use jiff::civil::DateTime;
use proto::scheduling::event;
use proto::values::{EventId, Reason, RoomId, SessionId, VenueId};
use scheduling::SchedulingError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::keys::Editions;
use crate::problem::ApiError;

use super::AppState;
use super::answers::{Answered, Recorded, SchedulingStream};
use super::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::EVENTS.post(
        "/events",
        "add_event",
        "Adds an event to an edition's programme; its id is derived from the key and \
         the Idempotency-Key",
        Access::Key("an organiser key of the body's edition"),
        handled_by!(add_event),
    )
    .body(body::<event::Add>(
        variant("commands/event", "add"),
        r#"{"edition": "{edition}", "about": {"kind": "open_door", "title": "Portes ouvertes à l'EHPAD Les Écrins", "description": "Visite, rencontre avec l'équipe soignante et un atelier intergénérationnel.", "themes": ["elderly_autonomy"], "audiences": ["young_people", "job_seekers"], "restricted_to": [], "discovery_tools": ["ageing_simulator"], "partners": ["mission-locale-gap"]}}"#,
    ))
    .created(),
    Area::EVENTS.post(
        "/events/{event}/amend",
        "amend_event",
        "Replaces an event's description",
        ORGANISER_OF_EVENT,
        handled_by!(amend_event),
    )
    .body(body::<event::About>(
        variant("commands/event", "amend"),
        r#"{"kind": "open_door", "title": "Portes ouvertes à l'EHPAD Les Écrins", "description": "Visite et rencontre avec l'équipe soignante.", "themes": ["elderly_autonomy"], "audiences": ["young_people"]}"#,
    )),
    Area::EVENTS.post(
        "/events/{event}/sessions",
        "schedule_session",
        "Schedules a session of an event at a venue, which is then asked to host it",
        ORGANISER_OF_EVENT,
        handled_by!(schedule_session),
    )
    .body(body::<event::ScheduleSession>(
        variant("commands/event", "schedule_session"),
        r#"{"session": "{session}", "starts": "2027-04-13T09:00:00", "ends": "2027-04-13T12:00:00", "venue": "{venue}", "room": "salle-polyvalente", "capacity_wanted": 25}"#,
    ))
    .created(),
    Area::EVENTS.post(
        "/events/{event}/sessions/{session}/reschedule",
        "reschedule_session",
        "Moves a session to other local times; its venue is asked again",
        ORGANISER_OF_EVENT,
        handled_by!(reschedule_session),
    )
    .body(body::<NewTimes>(
        part("commands/event", "reschedule_session"),
        r#"{"starts": "2027-04-14T14:00:00", "ends": "2027-04-14T17:00:00"}"#,
    )),
    Area::EVENTS.post(
        "/events/{event}/sessions/{session}/venue",
        "change_session_venue",
        "Moves a session to another venue or room; the new venue is asked",
        ORGANISER_OF_EVENT,
        handled_by!(change_session_venue),
    )
    .body(body::<NewVenue>(
        part("commands/event", "change_session_venue"),
        r#"{"venue": "{venue}", "room": "salle-polyvalente"}"#,
    )),
    Area::EVENTS.post(
        "/events/{event}/sessions/{session}/cancel",
        "cancel_session",
        "Cancels a session; its registrations are cancelled",
        ORGANISER_OF_EVENT,
        handled_by!(cancel_session),
    )
    .body(body::<Because>(
        part("commands/event", "cancel_session"),
        r#"{"reason": "L'intervenante est absente."}"#,
    )),
];

/// An event's command, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EventRecorded {
    /// The event.
    pub event: EventId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<SchedulingStream>,
}

/// A session scheduled in an event's programme.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SessionScheduled {
    /// The event.
    pub event: EventId,
    /// The session (the id the organiser gave).
    pub session: SessionId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<SchedulingStream>,
}

/// A session's command, recorded in its event.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SessionRecorded {
    /// The session.
    pub session: SessionId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<SchedulingStream>,
}

async fn add_event(
    State(state): State<AppState>,
    caller: Caller,
    Body(add): Body<event::Add>,
) -> Result<Answered<EventRecorded>, ApiError> {
    caller.organiser_of(add.edition)?;
    let id = EventId(caller.derived_id("event"));
    let decided = state
        .services
        .scheduling
        .event(id, event::Command::Add(add), &caller.meta())
        .await?;
    Ok(Answered::created(EventRecorded {
        event: id,
        recorded: Recorded::at(decided.seq, decided.duplicate),
    }))
}

/// Passes when the caller is an organiser of the event's edition. A key of every edition does
/// not need the lookup (the service answers an unknown event itself).
async fn organiser_of_event(
    state: &AppState,
    caller: &Caller,
    id: EventId,
) -> Result<(), ApiError> {
    if caller.organiser()? == Editions::All {
        return Ok(());
    }
    // Another edition's event is answered as one that does not exist: the key learns nothing
    // of it.
    let edition = state
        .services
        .scheduling
        .edition_of_event(id)
        .await?
        .filter(|edition| caller.organiser_of(*edition).is_ok());
    match edition {
        Some(_) => Ok(()),
        None => Err(SchedulingError::UnknownEvent(id).into()),
    }
}

async fn event_command(
    state: &AppState,
    caller: &Caller,
    id: EventId,
    command: event::Command,
) -> Result<Recorded<SchedulingStream>, ApiError> {
    organiser_of_event(state, caller, id).await?;
    let decided = state
        .services
        .scheduling
        .event(id, command, &caller.meta())
        .await?;
    Ok(Recorded::at(decided.seq, decided.duplicate))
}

async fn schedule_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EventId>,
    Body(schedule): Body<event::ScheduleSession>,
) -> Result<Answered<SessionScheduled>, ApiError> {
    let session = schedule.session;
    let command = event::Command::ScheduleSession(schedule);
    Ok(Answered::created(SessionScheduled {
        event: id,
        session,
        recorded: event_command(&state, &caller, id, command).await?,
    }))
}

/// A session's new times.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewTimes {
    /// New start, local time in the edition's zone.
    #[schemars(schema_with = "proto::values::strict::date_time_schema")]
    #[serde(deserialize_with = "proto::values::strict::date_time")]
    starts: DateTime,
    /// New end, local time.
    #[schemars(schema_with = "proto::values::strict::date_time_schema")]
    #[serde(deserialize_with = "proto::values::strict::date_time")]
    ends: DateTime,
}

async fn amend_event(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EventId>,
    Body(about): Body<event::About>,
) -> Result<Answered<EventRecorded>, ApiError> {
    Ok(Answered::ok(EventRecorded {
        event: id,
        recorded: event_command(&state, &caller, id, event::Command::Amend(about)).await?,
    }))
}

async fn reschedule_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(times): Body<NewTimes>,
) -> Result<Answered<SessionRecorded>, ApiError> {
    let command = event::Command::RescheduleSession(event::RescheduleSession {
        session,
        starts: times.starts,
        ends: times.ends,
    });
    Ok(Answered::ok(SessionRecorded {
        session,
        recorded: event_command(&state, &caller, id, command).await?,
    }))
}

/// A session's new venue.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewVenue {
    /// The venue asked now.
    venue: VenueId,
    /// The room asked now.
    room: RoomId,
}

async fn change_session_venue(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(new): Body<NewVenue>,
) -> Result<Answered<SessionRecorded>, ApiError> {
    let command = event::Command::ChangeSessionVenue(event::ChangeSessionVenue {
        session,
        venue: new.venue,
        room: new.room,
    });
    Ok(Answered::ok(SessionRecorded {
        session,
        recorded: event_command(&state, &caller, id, command).await?,
    }))
}

/// A reason, for a cancellation, a retirement, a decline or a withdrawal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Because {
    /// Why.
    pub(super) reason: Reason,
}

async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(because): Body<Because>,
) -> Result<Answered<SessionRecorded>, ApiError> {
    let command = event::Command::CancelSession(event::CancelSession {
        session,
        reason: because.reason,
    });
    Ok(Answered::ok(SessionRecorded {
        session,
        recorded: event_command(&state, &caller, id, command).await?,
    }))
}
