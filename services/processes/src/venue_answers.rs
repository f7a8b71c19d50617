//! Venues' answers: what a venue answered to a hosting request (a capacity confirmed, lowered or
//! raised; declined; withdrawn; or the request refused without asking it) is recorded on the
//! session, in its event's programme.
//!
//! [`VenueAnswers`] is the rule, on the venues' events (each answer names the session's event);
//! [`TellEvents`] records the answers in the scheduling context.

use eventlog::CommandMeta;
use projection::{Cause, Dispatch, DispatchError, Rejected};
use proto::scheduling::event::{RecordVenueAnswer, VenueAnswer};
use proto::values::{EventId, Reason, SessionId, VenueId};
use proto::venues as venue_contracts;
use scheduling::Scheduling;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TypedReactor, system, tell_event};

/// A venue's answer for a session's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerForEvent {
    /// The event the session belongs to.
    pub event: EventId,
    /// The answer.
    pub answer: RecordVenueAnswer,
}

/// Venues' answers → recorded on their sessions.
#[derive(Debug, Default, Clone, Copy)]
pub struct VenueAnswers;

reactor!(
    VenueAnswers,
    "venue-answers",
    proto::subjects::VENUES.name,
    AnswerForEvent
);

impl TypedReactor for VenueAnswers {
    const AGGREGATES: proto::subjects::Category = proto::subjects::VENUE_RECORDS;
    type Id = VenueId;
    type Event = venue_contracts::Event;

    fn id(uuid: Uuid) -> VenueId {
        VenueId(uuid)
    }

    /// Every answer names its session's event: the venue answering does not matter.
    fn reactions(
        _venue: VenueId,
        happened: venue_contracts::Event,
    ) -> Result<Vec<AnswerForEvent>, Rejected> {
        use venue_contracts::Event as Venue;
        let answer = |event: EventId, session: SessionId, request: u32, answer: VenueAnswer| {
            vec![AnswerForEvent {
                event,
                answer: RecordVenueAnswer {
                    session,
                    request,
                    answer,
                },
            }]
        };
        Ok(match happened {
            Venue::HostingConfirmed(h) => answer(
                h.event,
                h.session,
                h.request,
                VenueAnswer::Confirmed {
                    capacity: h.capacity,
                },
            ),
            Venue::HostingCapacityChanged(h) => answer(
                h.event,
                h.session,
                h.request,
                VenueAnswer::CapacityChanged {
                    capacity: h.capacity,
                },
            ),
            Venue::HostingDeclined(h) => answer(
                h.event,
                h.session,
                h.request,
                VenueAnswer::Declined { reason: h.reason },
            ),
            Venue::HostingWithdrawn(h) => answer(
                h.event,
                h.session,
                h.request,
                VenueAnswer::Withdrew { reason: h.reason },
            ),
            // Said in French for the organiser; a reason too long to record is rejected.
            Venue::HostingRefused(h) => answer(
                h.event,
                h.session,
                h.request,
                VenueAnswer::Refused {
                    reason: Reason::parse(h.refusal.explain_fr())
                        .map_err(|e| Rejected(e.to_string()))?,
                },
            ),
            _ => Vec::new(),
        })
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

#[cfg(test)]
mod tests {
    //! Venues' answers as given/then specs: each answer a venue gives (or semaine gives for it)
    //! is recorded on the session's event, with the request it answers; the rest of a venue's
    //! history records nothing.

    use jiff::civil::date;
    use proto::venues::{
        ClosedPeriod, Event, HostingCapacity, HostingEnded, HostingRefusal, HostingRefused,
        HostingReleased, OpeningHoursSet, RequestHosting,
    };

    use super::*;
    use crate::spec::programme::{ENDS, STARTS, job_dating, marronniers, room, session};
    use crate::spec::{Spec, at, reason};

    fn given(events: impl IntoIterator<Item = Event>) -> Spec<VenueAnswers> {
        Spec::given(events.into_iter().map(|e| (marronniers(), e)))
    }

    /// The answer recorded on the job-dating, to hosting request 2.
    fn recorded(answer: VenueAnswer) -> AnswerForEvent {
        AnswerForEvent {
            event: job_dating(),
            answer: RecordVenueAnswer {
                session: session(),
                request: 2,
                answer,
            },
        }
    }

    fn capacity(capacity: u32) -> HostingCapacity {
        HostingCapacity {
            session: session(),
            event: job_dating(),
            request: 2,
            capacity,
        }
    }

    fn ended(why: &str) -> HostingEnded {
        HostingEnded {
            session: session(),
            event: job_dating(),
            request: 2,
            reason: reason(why),
        }
    }

    fn refused(refusal: HostingRefusal) -> Event {
        Event::HostingRefused(HostingRefused {
            session: session(),
            event: job_dating(),
            request: 2,
            refusal,
        })
    }

    #[test]
    fn a_capacity_confirmed_is_recorded_on_the_session() {
        given([Event::HostingConfirmed(capacity(30))])
            .then([recorded(VenueAnswer::Confirmed { capacity: 30 })]);
    }

    #[test]
    fn a_capacity_lowered_or_raised_is_recorded_on_the_session() {
        given([
            Event::HostingCapacityChanged(capacity(20)),
            Event::HostingCapacityChanged(capacity(40)),
        ])
        .then([
            recorded(VenueAnswer::CapacityChanged { capacity: 20 }),
            recorded(VenueAnswer::CapacityChanged { capacity: 40 }),
        ]);
    }

    #[test]
    fn a_venue_that_declines_or_withdraws_says_why_to_the_session() {
        given([
            Event::HostingDeclined(ended("Salle déjà réservée")),
            Event::HostingWithdrawn(ended("Travaux dans la salle")),
        ])
        .then([
            recorded(VenueAnswer::Declined {
                reason: reason("Salle déjà réservée"),
            }),
            recorded(VenueAnswer::Withdrew {
                reason: reason("Travaux dans la salle"),
            }),
        ]);
    }

    #[test]
    fn a_request_refused_without_asking_the_venue_is_explained_in_french() {
        given([
            refused(HostingRefusal::UnknownRoom),
            refused(HostingRefusal::OutsideOpeningHours),
            refused(HostingRefusal::ClosedPeriod {
                reason: reason("Vacances de printemps"),
            }),
        ])
        .then([
            recorded(VenueAnswer::Refused {
                reason: reason("le lieu n'a pas cette salle"),
            }),
            recorded(VenueAnswer::Refused {
                reason: reason("en dehors des heures d'ouverture du lieu"),
            }),
            recorded(VenueAnswer::Refused {
                reason: reason("le lieu est fermé (Vacances de printemps)"),
            }),
        ]);
    }

    #[test]
    fn a_refusal_too_long_to_explain_is_rejected() {
        let longest = "a".repeat(500);
        given([refused(HostingRefusal::ClosedPeriod {
            reason: reason(&longest),
        })])
        .then_rejected();
    }

    #[test]
    fn the_rest_of_a_venues_history_records_nothing() {
        given([
            Event::OpeningHoursSet(OpeningHoursSet {
                opening_hours: vec![],
            }),
            Event::ClosedPeriodAdded(ClosedPeriod {
                from: date(2024, 4, 22),
                to: date(2024, 5, 3),
                reason: reason("Vacances de printemps"),
            }),
            Event::HostingRequested(RequestHosting {
                session: session(),
                event: job_dating(),
                request: 2,
                room: room("salle-polyvalente"),
                starts_at: at(STARTS),
                ends_at: at(ENDS),
                capacity_wanted: 30,
            }),
            Event::HostingReleased(HostingReleased {
                session: session(),
                request: 2,
            }),
        ])
        .then([]);
    }
}
