//! Sessions' seats: what the scheduling context decides about a session reaches its seats in the
//! registration context — the capacity a venue confirmed, lowered, raised or took back (lowered
//! demotes, raised promotes), its times and its event's restriction, its cancellation (every
//! registration cancelled).
//!
//! [`SessionSeats`] is the rule, on the programme's events; [`TellSeats`] sends the seats'
//! commands with the session's facts as the scheduling context has them when it sends them, for
//! the session's own event only (ADR 0008).

use eventlog::CommandMeta;
use projection::{Cause, Dispatch, DispatchError, Rejected};
use proto::refusal::explained;
use proto::registration::SessionFacts;
use proto::scheduling::event as programme;
use proto::values::{EventId, Reason, SessionId};
use registration_domain::seats::SeatsCommand;
use scheduling::Scheduling;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TypedReactor, registration_dispatch_error, system};

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
#[derive(Debug, Default, Clone, Copy)]
pub struct SessionSeats;

reactor!(
    SessionSeats,
    "session-seats",
    proto::subjects::SCHEDULING.name,
    SeatsReaction
);

impl TypedReactor for SessionSeats {
    const AGGREGATES: proto::subjects::Category = proto::subjects::EVENTS;
    type Id = EventId;
    type Event = programme::Event;

    fn id(uuid: Uuid) -> EventId {
        EventId(uuid)
    }

    fn reactions(
        event: EventId,
        happened: programme::Event,
    ) -> Result<Vec<SeatsReaction>, Rejected> {
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
            .map_err(|e| DispatchError::Retry(explained(&e)))?;
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
            .map_err(|e| DispatchError::Retry(explained(&e)))?;
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
                    .map_err(|e| DispatchError::Retry(explained(&e)))?
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
                        .map_err(|e| DispatchError::Retry(explained(&e)))?
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

#[cfg(test)]
mod tests {
    //! Sessions' seats as given/then specs: every programme event the seats follow becomes the
    //! change they must make; the rest of the programme, and the scheduling stream's other
    //! aggregates, change nothing.

    use proto::scheduling::event::{Added, Event};

    use proto::values::EditionId;

    use super::*;
    use crate::spec::programme::*;
    use crate::spec::{Spec, id, reason, scheduling_streams_other_aggregates};

    fn given(events: impl IntoIterator<Item = Event>) -> Spec<SessionSeats> {
        Spec::given(events.into_iter().map(|e| (job_dating(), e)))
    }

    /// The session's seats set to `capacity`.
    fn seats(capacity: u32) -> SeatsReaction {
        SeatsReaction::Capacity {
            event: job_dating(),
            session: session(),
            capacity,
        }
    }

    #[test]
    fn a_capacity_confirmed_opens_the_seats_with_it() {
        given([confirmed(30)]).then([seats(30)]);
    }

    #[test]
    fn a_capacity_lowered_or_raised_reaches_the_seats() {
        // Lowered, the last confirmed are demoted; raised, the first waiting are promoted.
        given([confirmed(30), capacity_changed(20), capacity_changed(40)]).then([
            seats(30),
            seats(20),
            seats(40),
        ]);
    }

    #[test]
    fn a_venue_that_declines_or_withdraws_leaves_no_seats() {
        given([declined(false), declined(true), withdrew()]).then([seats(0), seats(0), seats(0)]);
    }

    #[test]
    fn a_session_moved_in_time_refreshes_its_seats_facts() {
        given([an_hour_later()]).then([SeatsReaction::Refresh {
            event: job_dating(),
            session: Some(session()),
        }]);
    }

    #[test]
    fn an_amended_event_refreshes_every_session_of_it() {
        // Its restriction to some audiences may have changed.
        given([Event::Amended(about())]).then([SeatsReaction::Refresh {
            event: job_dating(),
            session: None,
        }]);
    }

    #[test]
    fn a_cancelled_session_cancels_its_seats_with_the_organisers_reason() {
        given([cancelled(marronniers(), 1)]).then([SeatsReaction::Cancel {
            event: Some(job_dating()),
            session: session(),
            reason: reason("Intervenants indisponibles"),
        }]);
    }

    #[test]
    fn scheduling_adding_or_moving_to_another_venue_changes_no_seats() {
        // A new venue's answer will: until then the capacity confirmed stands.
        given([
            Event::Added(Added {
                edition: EditionId(id(0xed)),
                about: about(),
            }),
            scheduled(),
            moved_to_ifsi(),
        ])
        .then([]);
    }

    #[test]
    fn the_scheduling_streams_other_aggregates_change_no_seats() {
        for reactions in scheduling_streams_other_aggregates::<SessionSeats>() {
            assert_eq!(reactions, Ok(vec![]));
        }
    }
}
