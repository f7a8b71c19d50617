//! Hosting requests: a session scheduled, moved in time, moved to another venue or cancelled
//! asks its venue to host it, or releases the room it held.
//!
//! [`HostingRequests`] is the rule, on the programme's events; [`AskVenues`] sends its reactions
//! to the venues, and answers a request to a venue that cannot even record it as refused to the
//! session, so that the organiser learns why.

use ::venues::{Venues, VenuesError};
use eventlog::{CommandMeta, EventLog};
use projection::{Cause, Dispatch, DispatchError, Rejected};
use proto::scheduling::event::{self as programme, RecordVenueAnswer, VenueAnswer};
use proto::values::{EventId, Reason, SessionId, VenueId};
use proto::venues::{self as venue_contracts, RequestHosting};
use scheduling::Scheduling;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use venues_domain::VenueRefusal;

use crate::{TypedReactor, retry_or_refuse, system, tell_event};

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
#[derive(Debug, Default, Clone, Copy)]
pub struct HostingRequests;

reactor!(
    HostingRequests,
    "hosting-requests",
    proto::subjects::SCHEDULING.name,
    HostingReaction
);

impl TypedReactor for HostingRequests {
    const AGGREGATES: proto::subjects::Category = proto::subjects::EVENTS;
    type Id = EventId;
    type Event = programme::Event;

    fn id(uuid: Uuid) -> EventId {
        EventId(uuid)
    }

    fn reactions(
        event: EventId,
        happened: programme::Event,
    ) -> Result<Vec<HostingReaction>, Rejected> {
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
                &error,
                !matches!(error, VenuesError::Refused(_)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Hosting requests as given/then specs: every session event that asks or frees a room, and
    //! the rest of the programme's history, which asks nothing.

    use proto::scheduling::event::{Added, Event};

    use proto::values::EditionId;

    use super::*;
    use crate::spec::programme::*;
    use crate::spec::{Spec, at, id, scheduling_streams_other_aggregates};

    fn given(events: impl IntoIterator<Item = Event>) -> Spec<HostingRequests> {
        Spec::given(events.into_iter().map(|e| (job_dating(), e)))
    }

    /// The EHPAD asked to host the session, as scheduled (request 1).
    fn ask_marronniers() -> HostingReaction {
        HostingReaction::Request {
            venue: marronniers(),
            request: RequestHosting {
                session: session(),
                event: job_dating(),
                request: 1,
                room: room("salle-polyvalente"),
                starts_at: at(STARTS),
                ends_at: at(ENDS),
                capacity_wanted: 30,
            },
        }
    }

    #[test]
    fn a_session_scheduled_asks_its_venue_to_host_it() {
        given([scheduled()]).then([ask_marronniers()]);
    }

    #[test]
    fn a_session_moved_in_time_asks_its_venue_again_for_the_new_times() {
        given([scheduled(), an_hour_later()]).then([
            ask_marronniers(),
            HostingReaction::Request {
                venue: marronniers(),
                request: RequestHosting {
                    session: session(),
                    event: job_dating(),
                    request: 2,
                    room: room("salle-polyvalente"),
                    starts_at: at(LATER_STARTS),
                    ends_at: at(LATER_ENDS),
                    capacity_wanted: 30,
                },
            },
        ]);
    }

    #[test]
    fn a_session_moved_to_another_venue_releases_the_old_room_then_asks_the_new_venue() {
        given([moved_to_ifsi()]).then([
            HostingReaction::Release {
                venue: marronniers(),
                session: session(),
                request: 1,
            },
            HostingReaction::Request {
                venue: ifsi(),
                request: RequestHosting {
                    session: session(),
                    event: job_dating(),
                    request: 2,
                    room: room("amphi"),
                    starts_at: at(STARTS),
                    ends_at: at(ENDS),
                    capacity_wanted: 30,
                },
            },
        ]);
    }

    #[test]
    fn a_cancelled_session_releases_the_request_it_held() {
        given([cancelled(ifsi(), 2)]).then([HostingReaction::Release {
            venue: ifsi(),
            session: session(),
            request: 2,
        }]);
    }

    #[test]
    fn the_venues_answers_and_the_events_description_ask_nothing() {
        given([
            Event::Added(Added {
                edition: EditionId(id(0xed)),
                about: about(),
            }),
            Event::Amended(about()),
            confirmed(30),
            capacity_changed(20),
            declined(false),
            declined(true),
            withdrew(),
        ])
        .then([]);
    }

    #[test]
    fn the_scheduling_streams_other_aggregates_ask_nothing() {
        for reactions in scheduling_streams_other_aggregates::<HostingRequests>() {
            assert_eq!(reactions, Ok(vec![]));
        }
    }
}
