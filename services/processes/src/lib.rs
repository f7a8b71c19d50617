//! The processes between services: one context's events become another's commands.
//!
//! Each process is a reactor on the projection runner (see `projection::reactor`): a pure
//! `react` that says which commands an event calls for, kept in an outbox in the same sled
//! transaction as the checkpoint, and a dispatcher that sends them with an idempotency key
//! derived from the causing event. Restarted at any point, a process sends every command at least
//! once and each takes effect once.
//!
//! # Layout
//! - [`HostingRequests`] and [`AskVenues`]: a session scheduled, moved or cancelled asks its
//!   venue to host it, or releases the room.
//! - [`VenueAnswers`] and [`TellEvents`]: a venue's answer (capacity confirmed, lowered, raised;
//!   declined; withdrawn; refused) is recorded on the session, which opens for registration once
//!   a capacity is confirmed.
//! - [`SessionSeats`] and [`TellSeats`]: a session's capacity, times, restriction and
//!   cancellation reach its seats in the registration context (lowered capacity demotes, raised
//!   promotes, cancellation cancels every registration).
//! - [`AgendaKeeper`] and [`KeepAgendas`]: registrations confirmed, promoted, waiting, demoted or
//!   cancelled → the participant's agenda; a promotion that overlaps another confirmed session of
//!   the participant is cancelled, and the next in line promoted.
//! - [`clock`]: sessions' ends (no-shows counted) and reservations' deadlines, sent when due.

use ::venues::{Venues, VenuesError};
pub mod clock;

use eventlog::{CommandMeta, EventLog};
use projection::{Cause, Dispatch, DispatchError, Position, Reactor, Rejected};
use proto::contract::EventContract;
use proto::registration::{RegistrationId, SessionFacts};
use proto::scheduling::event::{self as programme, RecordVenueAnswer, VenueAnswer};
use proto::values::{EventId, Reason, SessionId, VenueId};
use proto::venues::{self as venue_contracts, RequestHosting};
use proto::{Actor, StoredEvent};
use registration_domain::seats::SeatsCommand;
use scheduling::{Scheduling, SchedulingError};
use serde::{Deserialize, Serialize};
use venues_domain::VenueRefusal;

/// The id at the end of an aggregate's subject, e.g. the event of `sched.event.<id>`.
fn aggregate_id(
    event: &StoredEvent,
    kind: proto::subjects::Category,
) -> Option<Result<uuid::Uuid, Rejected>> {
    let id = kind.id_in(&event.envelope.aggregate)?;
    Some(
        uuid::Uuid::parse_str(id)
            .map_err(|e| Rejected(format!("aggregate id `{id}` is not a UUID: {e}"))),
    )
}

/// The event of the programme an event of the scheduling stream belongs to, and what happened
/// to it; `None` for the scheduling stream's other aggregates (editions).
fn programme_event(stored: &StoredEvent) -> Result<Option<(EventId, programme::Event)>, Rejected> {
    let Some(event_id) = aggregate_id(stored, proto::subjects::EVENTS) else {
        return Ok(None);
    };
    let event = EventId(event_id?);
    let happened = programme::Event::decode(&stored.event_type, stored.version, &stored.data)?;
    Ok(Some((event, happened)))
}

fn system(component: &str) -> Actor {
    Actor::System {
        component: component.into(),
    }
}

/// A registration command's failure, for a dispatcher: what may pass (the log unavailable or
/// failing, contention) is retried; a refusal is final.
fn registration_dispatch_error(error: registration::RegistrationError) -> DispatchError {
    let retry = matches!(error, registration::RegistrationError::Log(_));
    retry_or_refuse(error.code(), error.to_string(), retry)
}

fn retry_or_refuse(code: &str, message: String, retry: bool) -> DispatchError {
    if retry {
        DispatchError::Retry(format!("{code}: {message}"))
    } else {
        DispatchError::Refused(format!("{code}: {message}"))
    }
}

/// A command for a venue, because of a session's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostingReaction {
    /// Ask the venue to host the session (a new or moved session).
    Request {
        /// The venue asked.
        venue: VenueId,
        /// The request.
        request: RequestHosting,
    },
    /// Free the room: the session was cancelled or moved to another venue.
    Release {
        /// The venue that held the request.
        venue: VenueId,
        /// The session.
        session: SessionId,
        /// The request released.
        request: u32,
    },
}

/// Sessions scheduled, moved or cancelled → hosting requests and releases at their venues.
pub struct HostingRequests;

impl Reactor for HostingRequests {
    type Reaction = HostingReaction;

    fn name(&self) -> &'static str {
        "hosting-requests"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[proto::subjects::SCHEDULING.name]
    }

    fn react(
        &self,
        stored: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<Vec<HostingReaction>, Rejected> {
        let Some((event, happened)) = programme_event(stored)? else {
            return Ok(Vec::new());
        };
        let request =
            |session, request, room, starts_at, ends_at, capacity_wanted| RequestHosting {
                session,
                event,
                request,
                room,
                starts_at,
                ends_at,
                capacity_wanted,
            };
        Ok(match happened {
            programme::Event::SessionScheduled(s) => vec![HostingReaction::Request {
                venue: s.venue,
                request: request(
                    s.session,
                    s.request,
                    s.room,
                    s.starts_at,
                    s.ends_at,
                    s.capacity_wanted,
                ),
            }],
            programme::Event::SessionRescheduled(s) => vec![HostingReaction::Request {
                venue: s.venue,
                request: request(
                    s.session,
                    s.request,
                    s.room,
                    s.starts_at,
                    s.ends_at,
                    s.capacity_wanted,
                ),
            }],
            programme::Event::SessionVenueChanged(s) => vec![
                HostingReaction::Release {
                    venue: s.previous_venue,
                    session: s.session,
                    request: s.previous_request,
                },
                HostingReaction::Request {
                    venue: s.venue,
                    request: request(
                        s.session,
                        s.request,
                        s.room,
                        s.starts_at,
                        s.ends_at,
                        s.capacity_wanted,
                    ),
                },
            ],
            programme::Event::SessionCancelled(s) => vec![HostingReaction::Release {
                venue: s.venue,
                session: s.session,
                request: s.request,
            }],
            _ => Vec::new(),
        })
    }
}

/// Sends hosting reactions to the venues; a request to a venue that does not exist is answered
/// to the session as refused.
#[derive(Clone)]
pub struct AskVenues {
    /// The venues.
    pub venues: Venues,
    /// The scheduling service, told when a venue does not exist.
    pub scheduling: Scheduling,
}

impl AskVenues {
    /// Both services over one log.
    pub fn new(log: &EventLog) -> Self {
        Self {
            venues: Venues::new(log.clone()),
            scheduling: Scheduling::new(log.clone()),
        }
    }
}

impl Dispatch<HostingReaction> for AskVenues {
    async fn dispatch(
        &self,
        key: &str,
        cause: &Cause,
        reaction: &HostingReaction,
    ) -> Result<(), DispatchError> {
        let meta = CommandMeta::caused_by(
            system("reactor.hosting-requests"),
            key,
            cause.correlation_id,
            cause.event_id,
        );
        let (venue, command) = match reaction {
            HostingReaction::Request { venue, request } => (
                *venue,
                venue_contracts::Command::RequestHosting(request.clone()),
            ),
            HostingReaction::Release {
                venue,
                session,
                request,
            } => (
                *venue,
                venue_contracts::Command::ReleaseHosting {
                    session: *session,
                    request: *request,
                },
            ),
        };
        match self.venues.venue(venue, &command, &meta).await {
            Ok(_) => Ok(()),
            // Nothing to free at a venue that never existed.
            Err(VenuesError::Refused(VenueRefusal::NotRegistered))
                if matches!(reaction, HostingReaction::Release { .. }) =>
            {
                Ok(())
            }
            // A request the venue cannot even record is refused to the session, which says why.
            Err(VenuesError::Refused(
                refusal
                @ (VenueRefusal::NotRegistered | VenueRefusal::SessionOfAnotherEvent { .. }),
            )) => {
                let HostingReaction::Request { request, .. } = reaction else {
                    return Err(DispatchError::Refused(refusal.to_string()));
                };
                let why = match refusal {
                    VenueRefusal::NotRegistered => "ce lieu n'existe pas dans semaine",
                    _ => "ce lieu connaît déjà cette séance pour un autre événement",
                };
                let answer = RecordVenueAnswer {
                    session: request.session,
                    request: request.request,
                    answer: VenueAnswer::Refused {
                        reason: Reason::parse(why)
                            .map_err(|e| DispatchError::Refused(e.to_string()))?,
                    },
                };
                tell_event(&self.scheduling, request.event, answer, &meta).await
            }
            Err(error) => Err(retry_or_refuse(
                error.code(),
                error.to_string(),
                !matches!(error, VenuesError::Refused(_)),
            )),
        }
    }
}

/// A venue's answer for a session's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerForEvent {
    /// The event the session belongs to.
    pub event: EventId,
    /// The answer.
    pub answer: RecordVenueAnswer,
}

/// Venues' answers → recorded on their sessions.
pub struct VenueAnswers;

impl Reactor for VenueAnswers {
    type Reaction = AnswerForEvent;

    fn name(&self) -> &'static str {
        "venue-answers"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[proto::subjects::VENUES.name]
    }

    fn react(
        &self,
        stored: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<Vec<AnswerForEvent>, Rejected> {
        if aggregate_id(stored, proto::subjects::VENUE_RECORDS).is_none() {
            return Ok(Vec::new());
        }
        let reason = |text: String| Reason::parse(text).map_err(|e| Rejected(e.to_string()));
        let answer = |event, session, request, answer| {
            vec![AnswerForEvent {
                event,
                answer: RecordVenueAnswer {
                    session,
                    request,
                    answer,
                },
            }]
        };
        Ok(
            match venue_contracts::Event::decode(&stored.event_type, stored.version, &stored.data)?
            {
                venue_contracts::Event::HostingConfirmed(h) => answer(
                    h.event,
                    h.session,
                    h.request,
                    VenueAnswer::Confirmed {
                        capacity: h.capacity,
                    },
                ),
                venue_contracts::Event::HostingCapacityChanged(h) => answer(
                    h.event,
                    h.session,
                    h.request,
                    VenueAnswer::CapacityChanged {
                        capacity: h.capacity,
                    },
                ),
                venue_contracts::Event::HostingDeclined(h) => answer(
                    h.event,
                    h.session,
                    h.request,
                    VenueAnswer::Declined { reason: h.reason },
                ),
                venue_contracts::Event::HostingWithdrawn(h) => answer(
                    h.event,
                    h.session,
                    h.request,
                    VenueAnswer::Withdrew { reason: h.reason },
                ),
                venue_contracts::Event::HostingRefused(h) => answer(
                    h.event,
                    h.session,
                    h.request,
                    VenueAnswer::Refused {
                        reason: reason(h.refusal.explain_fr())?,
                    },
                ),
                _ => Vec::new(),
            },
        )
    }
}

/// Records venues' answers on the sessions' events.
#[derive(Clone)]
pub struct TellEvents {
    /// The scheduling service.
    pub scheduling: Scheduling,
}

impl Dispatch<AnswerForEvent> for TellEvents {
    async fn dispatch(
        &self,
        key: &str,
        cause: &Cause,
        reaction: &AnswerForEvent,
    ) -> Result<(), DispatchError> {
        let meta = CommandMeta::caused_by(
            system("reactor.venue-answers"),
            key,
            cause.correlation_id,
            cause.event_id,
        );
        tell_event(
            &self.scheduling,
            reaction.event,
            reaction.answer.clone(),
            &meta,
        )
        .await
    }
}

async fn tell_event(
    scheduling: &Scheduling,
    event: EventId,
    answer: RecordVenueAnswer,
    meta: &CommandMeta,
) -> Result<(), DispatchError> {
    match scheduling
        .event(event, programme::Command::RecordVenueAnswer(answer), meta)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => Err(retry_or_refuse(
            error.code(),
            error.to_string(),
            // A log failure (an event it cannot read yet) may be repaired by a deployment: keep
            // the answer at the head of the outbox rather than lose it in quarantine.
            matches!(error, SchedulingError::Log(_)),
        )),
    }
}

/// A change of a session the seats must follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeatsReaction {
    /// The capacity the venue hosts changed (confirmed, lowered, raised; 0 when withdrawn or
    /// declined).
    Capacity {
        /// The event of the session.
        event: EventId,
        /// The session.
        session: SessionId,
        /// Seats now.
        capacity: u32,
    },
    /// The session moved in time, or its event's restriction may have changed: refresh facts.
    Refresh {
        /// The event.
        event: EventId,
        /// The session, or every session of the event when `None`.
        session: Option<SessionId>,
    },
    /// The organiser cancelled the session.
    Cancel {
        /// The event that cancelled it (absent from reactions kept in an outbox before it was
        /// recorded: those are sent unchecked).
        #[serde(default)]
        event: Option<EventId>,
        /// The session.
        session: SessionId,
        /// Why.
        reason: Reason,
    },
}

/// Sessions' capacities, times, restrictions and cancellations → their seats.
pub struct SessionSeats;

impl Reactor for SessionSeats {
    type Reaction = SeatsReaction;

    fn name(&self) -> &'static str {
        "session-seats"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[proto::subjects::SCHEDULING.name]
    }

    fn react(
        &self,
        stored: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<Vec<SeatsReaction>, Rejected> {
        let Some((event, happened)) = programme_event(stored)? else {
            return Ok(Vec::new());
        };
        let capacity = |session, capacity| {
            vec![SeatsReaction::Capacity {
                event,
                session,
                capacity,
            }]
        };
        Ok(match happened {
            programme::Event::SessionVenueConfirmed(s) => capacity(s.session, s.capacity),
            programme::Event::SessionCapacityChanged(s) => capacity(s.session, s.capacity),
            programme::Event::SessionVenueWithdrew(s) => capacity(s.session, 0),
            programme::Event::SessionVenueDeclined(s) => capacity(s.session, 0),
            programme::Event::SessionRescheduled(s) => vec![SeatsReaction::Refresh {
                event,
                session: Some(s.session),
            }],
            programme::Event::Amended(_) => vec![SeatsReaction::Refresh {
                event,
                session: None,
            }],
            programme::Event::SessionCancelled(s) => vec![SeatsReaction::Cancel {
                event: Some(event),
                session: s.session,
                reason: s.reason,
            }],
            _ => Vec::new(),
        })
    }
}

/// Tells the seats, with the session's facts as the scheduling context has them now.
#[derive(Clone)]
pub struct TellSeats {
    /// Where the facts are read.
    pub scheduling: Scheduling,
    /// The seats.
    pub registrations: registration::Registrations,
}

impl TellSeats {
    /// Passes when `session`'s id is `event`'s: a seats' command is sent for the session's own
    /// event only (ADR 0008). Every scheduled session's id is claimed (the earlier ones by
    /// `Scheduling::claim_earlier_session_ids` before any process runs): one not claimed yet is
    /// tried again later, never sent unchecked.
    async fn owned(&self, session: SessionId, event: EventId) -> Result<(), DispatchError> {
        let owner = self
            .scheduling
            .session_owner(session)
            .await
            .map_err(|e| DispatchError::Retry(e.to_string()))?;
        match owner {
            Some(owner) => proto::scheduling::session::check_owner(session, owner.event, event)
                .map_err(|why| DispatchError::Refused(format!("session-of-another-event: {why}"))),
            None => Err(DispatchError::Retry(format!(
                "session {session}'s id is not claimed yet"
            ))),
        }
    }

    async fn facts(&self, event: EventId) -> Result<Vec<(SessionId, SessionFacts)>, DispatchError> {
        let state = self
            .scheduling
            .event_state(event)
            .await
            .map_err(|e| DispatchError::Retry(e.to_string()))?;
        let Some(added) = state.added else {
            return Err(DispatchError::Refused(format!(
                "event {event} was never added"
            )));
        };
        Ok(state
            .sessions
            .iter()
            .map(|(id, session)| {
                (
                    *id,
                    SessionFacts {
                        edition: added.edition,
                        starts_at: session.starts_at,
                        ends_at: session.ends_at,
                        restricted_to: added.about.restricted_to.clone(),
                    },
                )
            })
            .collect())
    }
}

impl Dispatch<SeatsReaction> for TellSeats {
    async fn dispatch(
        &self,
        key: &str,
        cause: &Cause,
        reaction: &SeatsReaction,
    ) -> Result<(), DispatchError> {
        let meta = CommandMeta::caused_by(
            system("reactor.session-seats"),
            key,
            cause.correlation_id,
            cause.event_id,
        );
        let mut commands: Vec<(SessionId, SeatsCommand)> = Vec::new();
        let event = match reaction {
            SeatsReaction::Capacity { event, .. } | SeatsReaction::Refresh { event, .. } => {
                Some(*event)
            }
            SeatsReaction::Cancel { event, .. } => *event,
        };
        match reaction {
            SeatsReaction::Capacity {
                event,
                session,
                capacity,
            } => {
                let facts = self.facts(*event).await?;
                let Some((_, facts)) = facts.into_iter().find(|(id, _)| id == session) else {
                    return Err(DispatchError::Refused(format!(
                        "no session {session} in {event}"
                    )));
                };
                // A venue's no to a session never opened opens nothing.
                let opened = self
                    .registrations
                    .seats(*session)
                    .await
                    .map_err(|e| DispatchError::Retry(e.to_string()))?
                    .facts
                    .is_some();
                if *capacity > 0 || opened {
                    commands.push((
                        *session,
                        SeatsCommand::SetCapacity {
                            capacity: *capacity,
                            facts,
                        },
                    ));
                }
            }
            SeatsReaction::Refresh { event, session } => {
                for (id, facts) in self.facts(*event).await? {
                    if session.is_some_and(|only| only != id) {
                        continue;
                    }
                    let opened = self
                        .registrations
                        .seats(id)
                        .await
                        .map_err(|e| DispatchError::Retry(e.to_string()))?
                        .facts
                        .is_some();
                    if opened {
                        commands.push((id, SeatsCommand::Reschedule { facts }));
                    }
                }
            }
            SeatsReaction::Cancel {
                session, reason, ..
            } => commands.push((
                *session,
                SeatsCommand::CancelSession {
                    reason: reason.clone(),
                },
            )),
        }
        if let Some(event) = event {
            let whole_event = matches!(reaction, SeatsReaction::Refresh { session: None, .. });
            let mut own = Vec::with_capacity(commands.len());
            for (session, command) in commands {
                match self.owned(session, event).await {
                    Ok(()) => own.push((session, command)),
                    // An amended event refreshes its own sessions, not one it shares an id with.
                    Err(DispatchError::Refused(why)) if whole_event => {
                        tracing::warn!(%session, %event, %why, "session skipped");
                    }
                    Err(error) => return Err(error),
                }
            }
            commands = own;
        }
        for (n, (session, command)) in commands.iter().enumerate() {
            let meta = CommandMeta {
                idempotency_key: format!("{}:{n}", meta.idempotency_key),
                ..meta.clone()
            };
            if let Err(error) = self
                .registrations
                .seats_command(*session, command, &meta)
                .await
            {
                return Err(registration_dispatch_error(error));
            }
        }
        Ok(())
    }
}

/// What a participant's agenda must follow of their registrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgendaReaction {
    /// Confirmed or promoted: the slot is held and confirmed; if the participant is confirmed
    /// elsewhere at that time, the registration is cancelled instead.
    Keep {
        /// The session.
        session: SessionId,
        /// The registration.
        registration: RegistrationId,
    },
    /// Waiting, demoted or cancelled: the slot is released.
    Free {
        /// The session.
        session: SessionId,
        /// The registration.
        registration: RegistrationId,
    },
    /// The session moved in time: the slots of its confirmed participants follow, and what they
    /// now overlap is reported in their agendas.
    Move {
        /// The session.
        session: SessionId,
    },
}

/// Seats' registrations → participants' agendas: repairs what a crash between the registration
/// service's steps left undone, and keeps promoted participants out of overlapping sessions.
pub struct AgendaKeeper;

impl Reactor for AgendaKeeper {
    type Reaction = AgendaReaction;

    fn name(&self) -> &'static str {
        "agenda-keeper"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[proto::subjects::REGISTRATION.name]
    }

    fn react(
        &self,
        stored: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<Vec<AgendaReaction>, Rejected> {
        use proto::registration::session::Event as Seats;
        let Some(session) = aggregate_id(stored, proto::subjects::SEATS) else {
            return Ok(Vec::new());
        };
        let session = SessionId(session?);
        let keep = |registration| {
            vec![AgendaReaction::Keep {
                session,
                registration,
            }]
        };
        let free = |registration| {
            vec![AgendaReaction::Free {
                session,
                registration,
            }]
        };
        Ok(
            match Seats::decode(&stored.event_type, stored.version, &stored.data)? {
                Seats::Confirmed(r) => keep(r.registration),
                Seats::Promoted(r) => keep(r.registration),
                Seats::Waitlisted(r) => free(r.registration),
                Seats::Demoted(r) => free(r.registration),
                Seats::Cancelled(r) => free(r.registration),
                Seats::Rescheduled(_) => vec![AgendaReaction::Move { session }],
                _ => Vec::new(),
            },
        )
    }
}

/// Holds, confirms and releases agenda slots; cancels a promotion that overlaps.
#[derive(Clone)]
pub struct KeepAgendas {
    /// The registration service.
    pub registrations: registration::Registrations,
}

impl Dispatch<AgendaReaction> for KeepAgendas {
    async fn dispatch(
        &self,
        key: &str,
        cause: &Cause,
        reaction: &AgendaReaction,
    ) -> Result<(), DispatchError> {
        let meta = CommandMeta::caused_by(
            system("reactor.agenda-keeper"),
            key,
            cause.correlation_id,
            cause.event_id,
        );
        let (registration, session) = match reaction {
            AgendaReaction::Keep {
                session,
                registration,
            }
            | AgendaReaction::Free {
                session,
                registration,
            } => (registration, session),
            AgendaReaction::Move { session } => {
                let seats = self
                    .registrations
                    .seats(*session)
                    .await
                    .map_err(registration_dispatch_error)?;
                let Some(facts) = &seats.facts else {
                    return Ok(());
                };
                let confirmed = seats.registrations.values().filter(|r| r.is_confirmed());
                for (n, record) in confirmed.enumerate() {
                    let meta = CommandMeta {
                        idempotency_key: format!("{}:{n}", meta.idempotency_key),
                        ..meta.clone()
                    };
                    self.registrations
                        .move_slot(record.participant, *session, facts, &meta)
                        .await
                        .map_err(registration_dispatch_error)?;
                }
                return Ok(());
            }
        };
        let seats = match reaction {
            // A confirmation is kept in the agenda: a recent copy of the seats that knows it is
            // enough (a cancellation since reaches this process after it, and frees the slot).
            AgendaReaction::Keep { .. } => {
                self.registrations
                    .seats_knowing(*session, *registration)
                    .await
            }
            _ => self.registrations.seats(*session).await,
        }
        .map_err(registration_dispatch_error)?;
        let (Some(record), Some(facts)) = (seats.registration(*registration), &seats.facts) else {
            return Err(DispatchError::Refused(format!(
                "registration {registration} of session {session} is unknown to its seats"
            )));
        };
        match reaction {
            AgendaReaction::Keep { .. } => {
                // Confirmed then cancelled since: the cancellation's own reaction frees it.
                if !record.is_confirmed() {
                    return Ok(());
                }
                self.registrations
                    .keep_slot(record.participant, *session, *registration, facts, &meta)
                    .await
                    .map_err(registration_dispatch_error)
            }
            AgendaReaction::Move { .. } => Ok(()),
            AgendaReaction::Free { .. } => {
                // The participant registered again in this session since: the slot is theirs.
                let registered_again = seats
                    .active_registrations_of(record.participant)
                    .any(|other| other != *registration);
                if registered_again {
                    return Ok(());
                }
                self.registrations
                    .free_slot(record.participant, *session, &meta)
                    .await
                    .map_err(registration_dispatch_error)
            }
        }
    }
}
