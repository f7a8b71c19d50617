//! Participants' agendas: what happens to a registration in a session's seats reaches the
//! participant's agenda — a confirmed or promoted seat keeps its slot, a waiting, demoted or
//! cancelled one frees it, a session moved in time moves its confirmed participants' slots.
//!
//! [`AgendaKeeper`] is the rule, on the seats' events; [`KeepAgendas`] carries it out against
//! the seats as they are when it does. It repairs what a crash between the registration service's
//! steps left undone, and keeps promoted participants out of overlapping sessions: a promotion
//! whose slot overlaps another confirmed session of the participant is cancelled instead (by the
//! registration service's `keep_slot`), which promotes the next in line.

use eventlog::CommandMeta;
use projection::{Cause, Dispatch, DispatchError, Position, Reactor, Rejected};
use proto::StoredEvent;
use proto::registration::RegistrationId;
use proto::registration::session::Event as Seats;
use proto::values::SessionId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TypedReactor, react_typed, registration_dispatch_error, system};

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
#[derive(Debug, Default, Clone, Copy)]
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
        react_typed::<Self>(stored)
    }
}

impl TypedReactor for AgendaKeeper {
    const AGGREGATES: proto::subjects::Category = proto::subjects::SEATS;
    type Id = SessionId;
    type Event = Seats;

    fn id(uuid: Uuid) -> SessionId {
        SessionId(uuid)
    }

    fn reactions(session: SessionId, happened: Seats) -> Result<Vec<AgendaReaction>, Rejected> {
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
        Ok(match happened {
            Seats::Confirmed(r) => keep(r.registration),
            Seats::Promoted(r) => keep(r.registration),
            Seats::Waitlisted(r) => free(r.registration),
            Seats::Demoted(r) => free(r.registration),
            Seats::Cancelled(r) => free(r.registration),
            Seats::Rescheduled(_) => vec![AgendaReaction::Move { session }],
            _ => Vec::new(),
        })
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
