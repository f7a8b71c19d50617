//! An event of an edition's programme and its sessions.
//!
//! An event belongs to one edition; its commands carry the edition's [`EditionFacts`], looked up
//! by the shell. A session is one dated occurrence at one venue: its local times are resolved in
//! the edition's zone when it is scheduled, and every change of time or venue opens a new hosting
//! request. A venue's answer is recorded only if it answers the session's current request.
//!
//! # Local times
//! - A local time that does not exist (the spring change, when clocks go forward) is refused with
//!   [`EventRefusal::NonexistentLocalTime`].
//! - A local time that happens twice (the autumn change, when clocks go back) is taken at its
//!   **first** occurrence, with the summer offset: 02:30 on 27 October 2024 in Europe/Paris is
//!   00:30Z, not 01:30Z. A session's length is the time between its instants, so one from 01:30 to
//!   03:30 that night lasts three hours.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::AmbiguousOffset;
use proto::refusal::RefusalKind;
use proto::scheduling::EditionStatus;
use proto::scheduling::event::{
    About, Add, Added, CancelSession, ChangeSessionVenue, Command, Event, RecordVenueAnswer,
    RescheduleSession, ScheduleSession, SessionCancelled, SessionCapacityChanged,
    SessionRescheduled, SessionScheduled, SessionVenueChanged, SessionVenueConfirmed,
    SessionVenueDeclined, SessionVenueWithdrew, VenueAnswer,
};
use proto::taxonomy::{Audience, EventKind};
use proto::values::{EditionId, Reason, RoomId, SessionId, TimeZoneName, VenueId};
use serde::{Deserialize, Serialize};

use crate::EditionFacts;

/// The decider of an event of the programme and its sessions.
#[derive(Debug, Clone, Copy)]
pub struct EventAggregate;

/// A command for an event, with the facts about its edition the shell looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCommand {
    /// What is asked.
    pub command: Command,
    /// The edition the event belongs to (for Add: the edition it is added to), as it stands now.
    pub edition: EditionFacts,
}

/// What an event remembers; snapshotted, hence serde.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventState {
    /// The edition it belongs to and what it is; `None` until added.
    pub added: Option<Added>,
    /// Its sessions, cancelled ones included: a cancelled session's id is never reused.
    pub sessions: BTreeMap<SessionId, SessionState>,
}

impl EventState {
    /// A session of this event, if it was scheduled.
    pub fn session(&self, id: SessionId) -> Option<&SessionState> {
        self.sessions.get(&id)
    }
}

/// One session of an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The venue asked to host it.
    pub venue: VenueId,
    /// The room asked.
    pub room: RoomId,
    /// Its start as written by the organiser, in `time_zone`.
    pub starts_local: DateTime,
    /// Its end as written by the organiser.
    pub ends_local: DateTime,
    /// The zone of the local times: the edition's when it was scheduled.
    pub time_zone: TimeZoneName,
    /// Its start, the instant (what overlaps and reminders are computed on).
    pub starts_at: Timestamp,
    /// Its end, the instant.
    pub ends_at: Timestamp,
    /// The seats the organiser asked the venue for.
    pub capacity_wanted: u32,
    /// The current hosting request: answers to any other are ignored.
    pub request: u32,
    /// What the venue answered to the current request.
    pub venue_status: VenueStatus,
    /// Why it was cancelled; `None` while it is not.
    pub cancelled: Option<Reason>,
}

impl SessionState {
    /// Whether participants may register: the venue confirmed at least one seat and the session
    /// is not cancelled.
    /// Whether the venue is asked and has not said no: the request is waiting or confirmed. A
    /// session whose venue declined, refused or withdrew can ask again (the same venue and time
    /// included: a venue registered late, a room freed).
    pub fn venue_is_asked(&self) -> bool {
        matches!(
            self.venue_status,
            VenueStatus::Requested | VenueStatus::Confirmed { .. }
        )
    }

    /// Whether partners can register into it: its venue confirmed at least one seat and it is
    /// not cancelled.
    pub fn is_open_for_registration(&self) -> bool {
        self.cancelled.is_none()
            && matches!(self.venue_status, VenueStatus::Confirmed { capacity } if capacity >= 1)
    }

    /// The seats the venue confirmed, while it confirms them.
    pub fn capacity(&self) -> Option<u32> {
        match self.venue_status {
            VenueStatus::Confirmed { capacity } => Some(capacity),
            _ => None,
        }
    }
}

/// Where the current hosting request of a session stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VenueStatus {
    /// Asked, not answered yet.
    Requested,
    /// The venue hosts it with this many seats.
    Confirmed {
        /// Seats confirmed.
        capacity: u32,
    },
    /// The venue declined, or semaine refused the request.
    Declined {
        /// Why.
        reason: Reason,
        /// True when semaine refused the request (unknown room, venue closed), false when the
        /// venue declined.
        refused: bool,
    },
    /// The venue withdrew after confirming.
    Withdrawn {
        /// Why.
        reason: Reason,
    },
}

/// Why an event refuses a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefusal {
    /// The command's edition is not the event's.
    #[error(
        "the event belongs to edition {event_edition}, not {given}; send the command with its own edition"
    )]
    WrongEdition {
        /// The edition the event belongs to (for Add: the one named in the command).
        event_edition: EditionId,
        /// The edition whose facts came with the command.
        given: EditionId,
    },
    /// The edition is closed: only venue answers are still recorded.
    #[error("edition {edition} is closed; its programme can no longer change")]
    EditionClosed {
        /// The edition.
        edition: EditionId,
    },
    /// Add on an event already added.
    #[error("the event was already added to edition {edition}; amend it instead")]
    AlreadyAdded {
        /// The edition it belongs to.
        edition: EditionId,
    },
    /// Any other command before Add.
    #[error("the event was not added to an edition; add it first")]
    NotAdded,
    /// No theme.
    #[error("an event shows at least one theme")]
    NoTheme,
    /// No audience.
    #[error("an event is meant for at least one audience")]
    NoAudience,
    /// A restricted audience that is not among the event's audiences.
    #[error(
        "registration is restricted to {audience:?}, which is not among the event's audiences; restrict it to some of its audiences only"
    )]
    RestrictionOutsideAudiences {
        /// The audience restricted to.
        audience: Audience,
    },
    /// Discovery tools on an event that is not a discovery stand.
    #[error(
        "only a discovery stand has discovery tools, not a {kind:?}; remove them or make it a discovery stand"
    )]
    DiscoveryToolsOutsideStand {
        /// The event's kind.
        kind: EventKind,
    },
    /// A value listed twice.
    #[error("{list} lists {value} twice; list each value once")]
    Duplicate {
        /// The list: `themes`, `audiences`, `restricted_to`, `discovery_tools` or `partners`.
        list: &'static str,
        /// The value listed twice.
        value: String,
    },
    /// ScheduleSession with an id already used by a session of this event.
    #[error("session {session} already exists; choose a new id, or reschedule it")]
    SessionExists {
        /// The session.
        session: SessionId,
    },
    /// A session this event does not have.
    #[error("the event has no session {session}")]
    UnknownSession {
        /// The session.
        session: SessionId,
    },
    /// A change to a cancelled session.
    #[error("session {session} is cancelled; schedule a new session instead")]
    SessionCancelled {
        /// The session.
        session: SessionId,
    },
    /// Zero seats wanted.
    #[error("a session wants at least one seat")]
    NoCapacityWanted,
    /// A local time skipped by a daylight-saving change.
    #[error(
        "{} does not exist in {time_zone} (clocks go forward); choose a time before or after the change",
        wall(.at)
    )]
    NonexistentLocalTime {
        /// The local time asked.
        at: DateTime,
        /// The zone it was read in.
        time_zone: TimeZoneName,
    },
    /// A local time beyond what an instant can hold (years near 9999).
    #[error("{} in {time_zone} is beyond the times semaine can hold", wall(.at))]
    OutOfRange {
        /// The local time asked.
        at: DateTime,
        /// The zone it was read in.
        time_zone: TimeZoneName,
    },
    /// The end is not after the start.
    #[error("a session must end after it starts, not start at {} and end at {}", wall(.starts), wall(.ends))]
    EndsBeforeItStarts {
        /// The start asked, local time.
        starts: DateTime,
        /// The end asked, local time.
        ends: DateTime,
    },
    /// A start or end on a day outside the edition.
    #[error(
        "a session takes place within its edition, from {first_day} to {last_day} included, in local time"
    )]
    OutsideEdition {
        /// The edition's first day.
        first_day: Date,
        /// The edition's last day.
        last_day: Date,
    },
}

impl EventRefusal {
    /// A stable code for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongEdition { .. } => "wrong-edition",
            Self::EditionClosed { .. } => "edition-closed",
            Self::AlreadyAdded { .. } => "already-added",
            Self::NotAdded => "not-added",
            Self::NoTheme => "no-theme",
            Self::NoAudience => "no-audience",
            Self::RestrictionOutsideAudiences { .. } => "restriction-outside-audiences",
            Self::DiscoveryToolsOutsideStand { .. } => "discovery-tools-outside-stand",
            Self::Duplicate { .. } => "duplicate",
            Self::SessionExists { .. } => "session-exists",
            Self::UnknownSession { .. } => "unknown-session",
            Self::SessionCancelled { .. } => "session-cancelled",
            Self::NoCapacityWanted => "no-capacity-wanted",
            Self::NonexistentLocalTime { .. } => "nonexistent-local-time",
            Self::OutOfRange { .. } => "out-of-range-time",
            Self::EndsBeforeItStarts { .. } => "ends-before-it-starts",
            Self::OutsideEdition { .. } => "outside-edition",
        }
    }

    /// How a client should read it (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::WrongEdition { .. }
            | Self::EditionClosed { .. }
            | Self::AlreadyAdded { .. }
            | Self::SessionExists { .. }
            | Self::SessionCancelled { .. }
            | Self::OutsideEdition { .. } => RefusalKind::Conflict,
            Self::NotAdded | Self::UnknownSession { .. } => RefusalKind::Unknown,
            Self::NoTheme
            | Self::NoAudience
            | Self::RestrictionOutsideAudiences { .. }
            | Self::DiscoveryToolsOutsideStand { .. }
            | Self::Duplicate { .. }
            | Self::NoCapacityWanted
            | Self::NonexistentLocalTime { .. }
            | Self::OutOfRange { .. }
            | Self::EndsBeforeItStarts { .. } => RefusalKind::Invalid,
        }
    }
}

/// A local time as people write it: `2024-03-31T02:30`, with seconds only when there are some.
fn wall(at: &DateTime) -> String {
    if at.second() == 0 && at.subsec_nanosecond() == 0 {
        at.strftime("%Y-%m-%dT%H:%M").to_string()
    } else {
        at.to_string()
    }
}

impl decider::Decider for EventAggregate {
    type State = EventState;
    type Command = EventCommand;
    type Event = Event;
    type Error = EventRefusal;

    fn decide(state: &EventState, command: &EventCommand) -> Result<Vec<Event>, EventRefusal> {
        let facts = &command.edition;
        let event_edition = match (&state.added, &command.command) {
            (Some(added), _) => Some(added.edition),
            (None, Command::Add(add)) => Some(add.edition),
            (None, _) => None,
        };
        if let Some(event_edition) = event_edition
            && event_edition != facts.id
        {
            return Err(EventRefusal::WrongEdition {
                event_edition,
                given: facts.id,
            });
        }
        let answering = matches!(command.command, Command::RecordVenueAnswer(_));
        if facts.status == EditionStatus::Closed && !answering {
            return Err(EventRefusal::EditionClosed { edition: facts.id });
        }
        match &command.command {
            Command::Add(add) => add_event(state, add),
            Command::Amend(about) => amend(state, about),
            Command::ScheduleSession(schedule) => schedule_session(state, facts, schedule),
            Command::RescheduleSession(reschedule) => reschedule_session(state, facts, reschedule),
            Command::ChangeSessionVenue(change) => change_venue(state, change),
            Command::CancelSession(cancel) => cancel_session(state, cancel),
            Command::RecordVenueAnswer(answer) => record_answer(state, answer),
        }
    }

    fn evolve(mut state: EventState, event: &Event) -> EventState {
        match event {
            Event::Added(added) => state.added = Some(added.clone()),
            Event::Amended(about) => {
                if let Some(added) = state.added.as_mut() {
                    added.about = about.clone();
                }
            }
            Event::SessionScheduled(e) => {
                state.sessions.insert(
                    e.session,
                    SessionState {
                        venue: e.venue,
                        room: e.room.clone(),
                        starts_local: e.starts_local,
                        ends_local: e.ends_local,
                        time_zone: e.time_zone.clone(),
                        starts_at: e.starts_at,
                        ends_at: e.ends_at,
                        capacity_wanted: e.capacity_wanted,
                        request: e.request,
                        venue_status: VenueStatus::Requested,
                        cancelled: None,
                    },
                );
            }
            Event::SessionRescheduled(e) => {
                if let Some(s) = state.sessions.get_mut(&e.session) {
                    s.venue = e.venue;
                    s.room = e.room.clone();
                    s.capacity_wanted = e.capacity_wanted;
                    s.starts_local = e.starts_local;
                    s.ends_local = e.ends_local;
                    s.starts_at = e.starts_at;
                    s.ends_at = e.ends_at;
                    s.request = e.request;
                    s.venue_status = VenueStatus::Requested;
                }
            }
            Event::SessionVenueChanged(e) => {
                if let Some(s) = state.sessions.get_mut(&e.session) {
                    s.venue = e.venue;
                    s.room = e.room.clone();
                    s.starts_at = e.starts_at;
                    s.ends_at = e.ends_at;
                    s.capacity_wanted = e.capacity_wanted;
                    s.request = e.request;
                    s.venue_status = VenueStatus::Requested;
                }
            }
            Event::SessionCancelled(e) => {
                if let Some(s) = state.sessions.get_mut(&e.session) {
                    s.cancelled = Some(e.reason.clone());
                }
            }
            Event::SessionVenueConfirmed(SessionVenueConfirmed {
                session, capacity, ..
            })
            | Event::SessionCapacityChanged(SessionCapacityChanged {
                session, capacity, ..
            }) => {
                if let Some(s) = state.sessions.get_mut(session) {
                    s.venue_status = VenueStatus::Confirmed {
                        capacity: *capacity,
                    };
                }
            }
            Event::SessionVenueDeclined(e) => {
                if let Some(s) = state.sessions.get_mut(&e.session) {
                    s.venue_status = VenueStatus::Declined {
                        reason: e.reason.clone(),
                        refused: e.refused,
                    };
                }
            }
            Event::SessionVenueWithdrew(e) => {
                if let Some(s) = state.sessions.get_mut(&e.session) {
                    s.venue_status = VenueStatus::Withdrawn {
                        reason: e.reason.clone(),
                    };
                }
            }
        }
        state
    }
}

fn added(state: &EventState) -> Result<&Added, EventRefusal> {
    state.added.as_ref().ok_or(EventRefusal::NotAdded)
}

/// A session that exists and is not cancelled.
fn live_session(state: &EventState, id: SessionId) -> Result<&SessionState, EventRefusal> {
    let session = state
        .session(id)
        .ok_or(EventRefusal::UnknownSession { session: id })?;
    if session.cancelled.is_some() {
        return Err(EventRefusal::SessionCancelled { session: id });
    }
    Ok(session)
}

fn add_event(state: &EventState, add: &Add) -> Result<Vec<Event>, EventRefusal> {
    if let Some(added) = &state.added {
        return Err(EventRefusal::AlreadyAdded {
            edition: added.edition,
        });
    }
    check_about(&add.about)?;
    Ok(vec![Event::Added(Added {
        edition: add.edition,
        about: add.about.clone(),
    })])
}

/// Amending to what the event already is records nothing.
fn amend(state: &EventState, about: &About) -> Result<Vec<Event>, EventRefusal> {
    let added = added(state)?;
    check_about(about)?;
    if added.about == *about {
        return Ok(vec![]);
    }
    Ok(vec![Event::Amended(about.clone())])
}

fn check_about(about: &About) -> Result<(), EventRefusal> {
    if about.themes.is_empty() {
        return Err(EventRefusal::NoTheme);
    }
    if about.audiences.is_empty() {
        return Err(EventRefusal::NoAudience);
    }
    if let Some(audience) = about
        .restricted_to
        .iter()
        .find(|a| !about.audiences.contains(a))
    {
        return Err(EventRefusal::RestrictionOutsideAudiences {
            audience: *audience,
        });
    }
    if !about.discovery_tools.is_empty() && about.kind != EventKind::DiscoveryStand {
        return Err(EventRefusal::DiscoveryToolsOutsideStand { kind: about.kind });
    }
    no_duplicate("themes", &about.themes, |v| format!("{v:?}"))?;
    no_duplicate("audiences", &about.audiences, |v| format!("{v:?}"))?;
    no_duplicate("restricted_to", &about.restricted_to, |v| format!("{v:?}"))?;
    no_duplicate("discovery_tools", &about.discovery_tools, |v| {
        format!("{v:?}")
    })?;
    no_duplicate("partners", &about.partners, ToString::to_string)?;
    Ok(())
}

fn no_duplicate<T: Ord>(
    list: &'static str,
    values: &[T],
    show: impl Fn(&T) -> String,
) -> Result<(), EventRefusal> {
    let mut seen = BTreeSet::new();
    match values.iter().find(|v| !seen.insert(*v)) {
        Some(value) => Err(EventRefusal::Duplicate {
            list,
            value: show(value),
        }),
        None => Ok(()),
    }
}

/// A session's times once checked: the local times and the instants they resolve to.
struct Times {
    starts_at: Timestamp,
    ends_at: Timestamp,
}

/// Checks a session's local times against the edition and resolves them in `zone`.
fn check_times(
    facts: &EditionFacts,
    zone: &TimeZoneName,
    starts: DateTime,
    ends: DateTime,
) -> Result<Times, EventRefusal> {
    let within = |day: Date| facts.first_day <= day && day <= facts.last_day;
    // The end is exclusive: a session ending at midnight ends on the day it started.
    let last_day = if ends.time() == jiff::civil::Time::midnight() && ends.date() > starts.date() {
        ends.date().yesterday().unwrap_or(ends.date())
    } else {
        ends.date()
    };
    if !within(starts.date()) || !within(last_day) {
        return Err(EventRefusal::OutsideEdition {
            first_day: facts.first_day,
            last_day: facts.last_day,
        });
    }
    let starts_at = resolve(zone, starts)?;
    let ends_at = resolve(zone, ends)?;
    if ends_at <= starts_at {
        return Err(EventRefusal::EndsBeforeItStarts { starts, ends });
    }
    Ok(Times { starts_at, ends_at })
}

/// The instant a local time stands for in `zone`: refused in a gap, the first occurrence in a
/// fold.
fn resolve(zone: &TimeZoneName, at: DateTime) -> Result<Timestamp, EventRefusal> {
    let offset = match zone.zone().to_ambiguous_timestamp(at).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Fold { before, .. } => before,
        AmbiguousOffset::Gap { .. } => {
            return Err(EventRefusal::NonexistentLocalTime {
                at,
                time_zone: zone.clone(),
            });
        }
    };
    offset
        .to_timestamp(at)
        .map_err(|_| EventRefusal::OutOfRange {
            at,
            time_zone: zone.clone(),
        })
}

fn schedule_session(
    state: &EventState,
    facts: &EditionFacts,
    schedule: &ScheduleSession,
) -> Result<Vec<Event>, EventRefusal> {
    added(state)?;
    if state.sessions.contains_key(&schedule.session) {
        return Err(EventRefusal::SessionExists {
            session: schedule.session,
        });
    }
    if schedule.capacity_wanted == 0 {
        return Err(EventRefusal::NoCapacityWanted);
    }
    let times = check_times(facts, &facts.time_zone, schedule.starts, schedule.ends)?;
    Ok(vec![Event::SessionScheduled(SessionScheduled {
        session: schedule.session,
        request: 1,
        venue: schedule.venue,
        room: schedule.room.clone(),
        starts_local: schedule.starts,
        ends_local: schedule.ends,
        time_zone: facts.time_zone.clone(),
        starts_at: times.starts_at,
        ends_at: times.ends_at,
        capacity_wanted: schedule.capacity_wanted,
    })])
}

/// The new times are read in the session's own zone (the edition's when it was scheduled: an
/// edition's zone never changes). Moving a session to the times it has records nothing.
fn reschedule_session(
    state: &EventState,
    facts: &EditionFacts,
    reschedule: &RescheduleSession,
) -> Result<Vec<Event>, EventRefusal> {
    added(state)?;
    let session = live_session(state, reschedule.session)?;
    let times = check_times(
        facts,
        &session.time_zone,
        reschedule.starts,
        reschedule.ends,
    )?;
    if (session.starts_local, session.ends_local) == (reschedule.starts, reschedule.ends)
        && session.venue_is_asked()
    {
        return Ok(vec![]);
    }
    Ok(vec![Event::SessionRescheduled(SessionRescheduled {
        session: reschedule.session,
        request: session.request.saturating_add(1),
        venue: session.venue,
        room: session.room.clone(),
        capacity_wanted: session.capacity_wanted,
        starts_local: reschedule.starts,
        ends_local: reschedule.ends,
        starts_at: times.starts_at,
        ends_at: times.ends_at,
    })])
}

/// Moving a session to the venue and room it has records nothing.
fn change_venue(
    state: &EventState,
    change: &ChangeSessionVenue,
) -> Result<Vec<Event>, EventRefusal> {
    added(state)?;
    let session = live_session(state, change.session)?;
    if session.venue == change.venue && session.room == change.room && session.venue_is_asked() {
        return Ok(vec![]);
    }
    Ok(vec![Event::SessionVenueChanged(SessionVenueChanged {
        session: change.session,
        request: session.request.saturating_add(1),
        previous_venue: session.venue,
        previous_request: session.request,
        venue: change.venue,
        room: change.room.clone(),
        starts_at: session.starts_at,
        ends_at: session.ends_at,
        capacity_wanted: session.capacity_wanted,
    })])
}

/// Cancelling a cancelled session records nothing (the first reason stays).
fn cancel_session(state: &EventState, cancel: &CancelSession) -> Result<Vec<Event>, EventRefusal> {
    added(state)?;
    let session = state
        .session(cancel.session)
        .ok_or(EventRefusal::UnknownSession {
            session: cancel.session,
        })?;
    if session.cancelled.is_some() {
        return Ok(vec![]);
    }
    Ok(vec![Event::SessionCancelled(SessionCancelled {
        session: cancel.session,
        venue: session.venue,
        request: session.request,
        reason: cancel.reason.clone(),
    })])
}

/// A venue's answer, relayed by a reactor: never refused once the session exists.
///
/// An answer to another request than the current one, or to a cancelled session, is stale and
/// ignored. An answer that repeats the session's standing (the same confirmation, decline or
/// withdrawal delivered twice) records nothing. A capacity change is only recorded while the
/// venue confirms the session; otherwise there is no capacity to change and it is ignored.
fn record_answer(
    state: &EventState,
    record: &RecordVenueAnswer,
) -> Result<Vec<Event>, EventRefusal> {
    let session_id = record.session;
    let session = state
        .session(session_id)
        .ok_or(EventRefusal::UnknownSession {
            session: session_id,
        })?;
    if session.cancelled.is_some() || record.request != session.request {
        return Ok(vec![]);
    }
    let request = record.request;
    // Within one request a venue only moves forward: requested → confirmed (→ capacity
    // changed …) → withdrawn, or requested → declined or refused. Anything else is a repeat or
    // an answer delivered late, and changes nothing.
    let event = match (&record.answer, &session.venue_status) {
        (VenueAnswer::Confirmed { capacity }, VenueStatus::Requested) => {
            Some(Event::SessionVenueConfirmed(SessionVenueConfirmed {
                session: session_id,
                request,
                capacity: *capacity,
            }))
        }
        (
            VenueAnswer::CapacityChanged { capacity },
            VenueStatus::Confirmed { capacity: current },
        ) if capacity != current => Some(Event::SessionCapacityChanged(SessionCapacityChanged {
            session: session_id,
            request,
            capacity: *capacity,
        })),
        (VenueAnswer::Declined { reason }, VenueStatus::Requested) => {
            declined(session, session_id, request, reason, false)
        }
        (VenueAnswer::Refused { reason }, VenueStatus::Requested) => {
            declined(session, session_id, request, reason, true)
        }
        (VenueAnswer::Withdrew { reason }, VenueStatus::Confirmed { .. }) => {
            Some(Event::SessionVenueWithdrew(SessionVenueWithdrew {
                session: session_id,
                request,
                reason: reason.clone(),
            }))
        }
        _ => None,
    };
    Ok(event.into_iter().collect())
}

fn declined(
    session: &SessionState,
    session_id: SessionId,
    request: u32,
    reason: &Reason,
    refused: bool,
) -> Option<Event> {
    let standing = VenueStatus::Declined {
        reason: reason.clone(),
        refused,
    };
    (session.venue_status != standing).then(|| {
        Event::SessionVenueDeclined(SessionVenueDeclined {
            session: session_id,
            request,
            refused,
            reason: reason.clone(),
        })
    })
}
