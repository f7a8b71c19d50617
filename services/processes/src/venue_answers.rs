//! Venues' answers: what a venue answered to a hosting request (a capacity confirmed, lowered or
//! raised; declined; withdrawn; or the request refused without asking it) is recorded on the
//! session, in its event's programme.
//!
//! [`VenueAnswers`] is the rule, on the venues' events (each answer names the session's event);
//! [`TellEvents`] records the answers in the scheduling context.

use eventlog::CommandMeta;
use projection::{Cause, Dispatch, DispatchError, Position, Reactor, Rejected};
use proto::StoredEvent;
use proto::scheduling::event::{RecordVenueAnswer, VenueAnswer};
use proto::values::{EventId, Reason, SessionId, VenueId};
use proto::venues as venue_contracts;
use scheduling::Scheduling;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{TypedReactor, react_typed, system, tell_event};

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
        react_typed::<Self>(stored)
    }
}

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
