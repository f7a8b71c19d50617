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
use projection::{Cause, Dispatch, DispatchError, Rejected};
use proto::registration::RegistrationId;
use proto::registration::session::Event as Seats;
use proto::values::SessionId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TypedReactor, registration_dispatch_error, system};

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

reactor!(
    AgendaKeeper,
    "agenda-keeper",
    proto::subjects::REGISTRATION.name,
    AgendaReaction
);

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

#[cfg(test)]
mod tests {
    //! Participants' agendas as given/then specs: every seats' event about a registration keeps
    //! or frees its participant's slot, a session moved in time moves them; the seats' other
    //! events, and the registration stream's other aggregates, leave agendas alone.
    //!
    //! The session is a job-dating at the EHPAD Les Marronniers in Gap; Inès and Lucas come
    //! through France Travail's Gap agency.

    use proto::registration::agenda;
    use proto::registration::session::{
        Cancelled, CapacitySet, CheckedIn, Ended, Registered, Registration, Rescheduled,
        SessionCancelled,
    };
    use proto::registration::{
        AgeBand, Attendee, Beneficiary, CancelledBy, ParticipantId, Profile, Reservation,
        SealedIdentity, SessionFacts,
    };
    use proto::taxonomy::Audience;
    use proto::values::{EditionId, PartnerId};

    use super::*;
    use crate::spec::{Spec, at, id, react, reason, stored};

    /// The job-dating's session.
    fn session() -> SessionId {
        SessionId(id(0x51))
    }

    fn given(events: impl IntoIterator<Item = Seats>) -> Spec<AgendaKeeper> {
        Spec::given(events.into_iter().map(|e| (session(), e)))
    }

    fn france_travail() -> PartnerId {
        PartnerId::parse("france-travail-gap").expect("a partner id")
    }

    /// Inès's registration.
    fn ines() -> RegistrationId {
        RegistrationId(id(0x1e5))
    }

    /// Lucas's registration.
    fn lucas() -> RegistrationId {
        RegistrationId(id(0x1c5))
    }

    /// `registration` made by France Travail for a job seeker.
    fn registered(registration: RegistrationId) -> Registered {
        let participant = ParticipantId(registration.0);
        Registered {
            registration,
            partner: france_travail(),
            participant,
            attendee: Attendee::Person {},
            profile: Profile {
                audience: Audience::JobSeekers,
                age_band: AgeBand::From26To44,
                town: None,
            },
            identity: SealedIdentity {
                key: participant,
                nonce: "bm9uY2Utbm9uY2U=".into(),
                ciphertext: "c2VhbGVkLWlkZW50aXR5".into(),
            },
            reserved: None,
        }
    }

    fn by_id(registration: RegistrationId) -> Registration {
        Registration {
            registration,
            partner: france_travail(),
        }
    }

    fn cancelled(registration: RegistrationId, by: CancelledBy) -> Seats {
        Seats::Cancelled(Cancelled {
            registration,
            partner: france_travail(),
            by,
            reason: (by == CancelledBy::Organiser).then(|| reason("Intervenants indisponibles")),
        })
    }

    fn facts() -> SessionFacts {
        SessionFacts {
            edition: EditionId(id(0xed)),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at("2024-04-16T09:30:00Z"),
            restricted_to: vec![],
        }
    }

    fn keep(registration: RegistrationId) -> AgendaReaction {
        AgendaReaction::Keep {
            session: session(),
            registration,
        }
    }

    fn free(registration: RegistrationId) -> AgendaReaction {
        AgendaReaction::Free {
            session: session(),
            registration,
        }
    }

    #[test]
    fn a_confirmed_seat_keeps_its_slot() {
        given([Seats::Confirmed(registered(ines()))]).then([keep(ines())]);
    }

    #[test]
    fn a_waiting_registration_frees_its_slot() {
        given([Seats::Waitlisted(registered(lucas()))]).then([free(lucas())]);
    }

    #[test]
    fn a_promotion_keeps_its_slot_and_a_demotion_frees_it() {
        given([
            Seats::Promoted(by_id(lucas())),
            Seats::Demoted(by_id(lucas())),
        ])
        .then([keep(lucas()), free(lucas())]);
    }

    #[test]
    fn a_promotion_cancelled_for_an_overlap_frees_its_slot_and_the_next_promotion_keeps_one() {
        // Inès's slot overlapped another session she is confirmed in: the registration service
        // cancelled her promotion (by: overlap), which promoted Lucas, next in line.
        given([
            Seats::Promoted(by_id(ines())),
            cancelled(ines(), CancelledBy::Overlap),
            Seats::Promoted(by_id(lucas())),
        ])
        .then([keep(ines()), free(ines()), keep(lucas())]);
    }

    #[test]
    fn a_cancelled_session_frees_every_registrations_slot() {
        // As the seats record it: the session cancelled, then each registration, confirmed
        // first and waiting next.
        given([
            Seats::SessionCancelled(SessionCancelled {
                reason: reason("Intervenants indisponibles"),
            }),
            cancelled(ines(), CancelledBy::Organiser),
            cancelled(lucas(), CancelledBy::Organiser),
        ])
        .then([free(ines()), free(lucas())]);
    }

    #[test]
    fn a_partner_cancelling_frees_the_slot() {
        given([cancelled(ines(), CancelledBy::Partner)]).then([free(ines())]);
    }

    #[test]
    fn a_session_moved_in_time_moves_its_participants_slots() {
        given([Seats::Rescheduled(Rescheduled { facts: facts() })])
            .then([AgendaReaction::Move { session: session() }]);
    }

    #[test]
    fn capacity_reservations_check_in_and_end_leave_agendas_alone() {
        let mission_locale = Beneficiary::Partner {
            partner: PartnerId::parse("mission-locale-gap").expect("a partner id"),
        };
        given([
            Seats::CapacitySet(CapacitySet {
                capacity: 30,
                facts: facts(),
            }),
            Seats::SeatsReserved(Reservation {
                beneficiary: mission_locale.clone(),
                seats: 5,
                until: at("2024-04-15T18:00:00Z"),
            }),
            Seats::ReservationReleased(mission_locale),
            Seats::CheckedIn(CheckedIn {
                registration: ines(),
                present: 1,
            }),
            Seats::Ended(Ended {
                no_shows: vec![lucas()],
            }),
        ])
        .then([]);
    }

    #[test]
    fn the_registration_streams_other_aggregates_leave_agendas_alone() {
        // A participant's agenda records its own slots: those are no seats' events.
        let slot_released = stored(
            format!("{}.{}", proto::subjects::AGENDAS.prefix, id(0xa1)),
            &agenda::Event::SlotReleased(agenda::Slot { session: session() }),
        );
        assert_eq!(react::<AgendaKeeper>(&slot_released, 0), Ok(vec![]));
    }
}
