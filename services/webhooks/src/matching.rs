//! What a domain event means for subscribers: which partner or venue hears of it, as which
//! [`Kind`], with which data. Pure: the caller (the [`crate::Deliveries`] projection) says which
//! partners hold registrations in a session, and gets back the notices and the changes to that
//! knowledge.
//!
//! | kind | domain event (stream) | who hears |
//! |---|---|---|
//! | `registration.confirmed` | `RegistrationConfirmed` (REGISTRATION) | its partner |
//! | `registration.promoted` | `RegistrationPromoted` (REGISTRATION) | its partner |
//! | `registration.demoted` | `RegistrationDemoted` (REGISTRATION) | its partner |
//! | `registration.cancelled` | `RegistrationCancelled` (REGISTRATION), whoever cancelled | its partner |
//! | `session.moved` | `SessionRescheduled`, `SessionVenueChanged` (SCHEDULING) | the venue (both venues when it changed), and every partner holding a registration in it |
//! | `session.cancelled` | `SeatsSessionCancelled` (REGISTRATION) | every partner holding a registration in it |
//! | `session.cancelled` | `SessionCancelled` (SCHEDULING) | its venue |
//! | `hosting.requested` | `HostingRequested` (VENUES) | the venue asked |
//!
//! A partner "holds a registration" in a session from its `RegistrationConfirmed` or
//! `RegistrationWaitlisted` until its `RegistrationCancelled`.
//!
//! A session's moves and cancellation are told only from the event that owns the session's id
//! (ADR 0008): its claim (`SessionIdClaimed`), or, in a log older than claims, the first event
//! to schedule it. Another event's facts about the session are refused ([`Unreadable::NotItsOwn`]),
//! so their commit is quarantined, named, and nobody is told.

use jiff::Timestamp;
use proto::contract::EventContract;
use proto::registration::session::Event as Seats;
use proto::registration::{Attendee, RegistrationId};
use proto::scheduling::event::Event as Programme;
use proto::scheduling::session::Event as Claim;
use proto::subjects;
use proto::values::{EventId, PartnerId, SessionId, VenueId};
use proto::venues::Event as Venue;
use proto::webhooks::Kind;
use proto::{DecodeError, StoredEvent};
use serde_json::{Value, json};
use uuid::Uuid;

/// Who a notice is for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subscriber {
    /// A partner.
    Partner(PartnerId),
    /// A venue.
    Venue(VenueId),
}

impl Subscriber {
    /// Its key in the stores: `partner:<id>` or `venue:<id>`.
    pub fn key(&self) -> String {
        match self {
            Self::Partner(partner) => format!("partner:{partner}"),
            Self::Venue(venue) => format!("venue:{venue}"),
        }
    }

    /// The subscriber of a webhooks aggregate's subject (`hook.partner.<id>`,
    /// `hook.venue.<id>`).
    pub fn of_subject(subject: &str) -> Option<Self> {
        if let Some(id) = subjects::PARTNER_HOOKS.id_in(subject) {
            return PartnerId::parse(id).ok().map(Self::Partner);
        }
        let id = subjects::VENUE_HOOKS.id_in(subject)?;
        Uuid::parse_str(id).ok().map(|id| Self::Venue(VenueId(id)))
    }
}

/// One subscriber to tell of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// Who.
    pub subscriber: Subscriber,
    /// As what.
    pub kind: Kind,
    /// What to tell: the delivery's `data`.
    pub data: Value,
}

/// A change to who holds registrations in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holding {
    /// A partner's registration is in the session (confirmed or waiting).
    Holds {
        /// The session.
        session: SessionId,
        /// The registration.
        registration: RegistrationId,
        /// Its partner.
        partner: PartnerId,
    },
    /// The registration left the session (cancelled).
    Left {
        /// The session.
        session: SessionId,
        /// The registration.
        registration: RegistrationId,
    },
}

/// What is learnt of the event that owns a session's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// The id's claim: the owner, whatever was learnt before.
    Claimed {
        /// The session.
        session: SessionId,
        /// The event that claimed it.
        event: EventId,
    },
    /// A `SessionScheduled`: the owner unless one is known already (a log older than claims:
    /// the first to schedule the id owns it, as the claims made for such a log say).
    Scheduled {
        /// The session.
        session: SessionId,
        /// The event that scheduled it.
        event: EventId,
    },
}

impl Ownership {
    /// The session it is about.
    pub fn session(self) -> SessionId {
        match self {
            Self::Claimed { session, .. } | Self::Scheduled { session, .. } => session,
        }
    }

    /// The owner to keep for a session, given the one known before (`None`: keep what is known).
    pub fn learnt(self, known: Option<EventId>) -> Option<(SessionId, EventId)> {
        match self {
            Self::Claimed { session, event } => Some((session, event)),
            Self::Scheduled { session, event } => known.is_none().then_some((session, event)),
        }
    }
}

/// What an event means here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// Who to tell.
    pub notices: Vec<Notice>,
    /// How the holders of a session change, applied after the notices were made.
    pub holdings: Vec<Holding>,
    /// What it tells of sessions' owners.
    pub ownership: Option<Ownership>,
}

/// Why an event is not read.
#[derive(Debug, thiserror::Error)]
pub enum Unreadable {
    /// Its payload does not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Facts about a session from an event that does not own its id.
    #[error("{0}")]
    NotItsOwn(String),
}

/// An event's time, as an instant.
pub fn occurred_at(event: &StoredEvent) -> Timestamp {
    Timestamp::from_nanosecond(event.envelope.occurred_at.unix_timestamp_nanos())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// What `event` means for subscribers. `holders` gives the partners holding a registration in a
/// session before this event, each once; `owner` the event that owns a session's id, when known.
pub fn read(
    event: &StoredEvent,
    holders: impl Fn(SessionId) -> Vec<PartnerId>,
    owner: impl Fn(SessionId) -> Option<EventId>,
) -> Result<Reading, Unreadable> {
    let subject = event.envelope.aggregate.as_str();
    let decode_data = || &event.data;
    let mut reading = Reading::default();
    if let Some(session) = subjects::SEATS.uuid_in(subject).map(SessionId) {
        let partner_notice = |partner: &PartnerId, kind, data| Notice {
            subscriber: Subscriber::Partner(partner.clone()),
            kind,
            data,
        };
        match Seats::decode(&event.event_type, event.version, decode_data())? {
            Seats::Confirmed(made) => {
                let seats = match made.attendee {
                    Attendee::Person {} => 1,
                    Attendee::Group { size } => size,
                };
                reading.notices.push(partner_notice(
                    &made.partner,
                    Kind::RegistrationConfirmed,
                    json!({ "session": session, "registration": made.registration,
                            "participant": made.participant, "seats": seats }),
                ));
                reading.holdings.push(Holding::Holds {
                    session,
                    registration: made.registration,
                    partner: made.partner,
                });
            }
            Seats::Waitlisted(made) => reading.holdings.push(Holding::Holds {
                session,
                registration: made.registration,
                partner: made.partner,
            }),
            Seats::Promoted(one) => reading.notices.push(partner_notice(
                &one.partner,
                Kind::RegistrationPromoted,
                json!({ "session": session, "registration": one.registration }),
            )),
            Seats::Demoted(one) => reading.notices.push(partner_notice(
                &one.partner,
                Kind::RegistrationDemoted,
                json!({ "session": session, "registration": one.registration }),
            )),
            Seats::Cancelled(gone) => {
                reading.notices.push(partner_notice(
                    &gone.partner,
                    Kind::RegistrationCancelled,
                    json!({ "session": session, "registration": gone.registration,
                            "by": gone.by, "reason": gone.reason }),
                ));
                reading.holdings.push(Holding::Left {
                    session,
                    registration: gone.registration,
                });
            }
            Seats::SessionCancelled(cancelled) => {
                for partner in holders(session) {
                    reading.notices.push(partner_notice(
                        &partner,
                        Kind::SessionCancelled,
                        json!({ "session": session, "reason": cancelled.reason }),
                    ));
                }
            }
            _ => {}
        }
    } else if subject.starts_with(subjects::REGISTRATION.subjects.trim_end_matches('>')) {
        // Agendas and partners: nothing to tell.
    } else if let Some(session) = subjects::SESSION_IDS.uuid_in(subject).map(SessionId) {
        let Claim::Claimed(claim) = Claim::decode(&event.event_type, event.version, decode_data())?;
        reading.ownership = Some(Ownership::Claimed {
            session,
            event: claim.event,
        });
    } else if let Some(event_id) = subjects::EVENTS.uuid_in(subject).map(EventId) {
        let its_own = |session: SessionId| match owner(session) {
            Some(owner) => proto::scheduling::session::check_owner(session, owner, event_id)
                .map_err(Unreadable::NotItsOwn),
            // Not known here (a store older than this knowledge): told as it says.
            None => Ok(()),
        };
        let moved = |session: SessionId, venues: &[VenueId], data: Value| {
            let mut notices: Vec<Notice> = venues
                .iter()
                .map(|venue| Notice {
                    subscriber: Subscriber::Venue(*venue),
                    kind: Kind::SessionMoved,
                    data: data.clone(),
                })
                .collect();
            notices.extend(holders(session).into_iter().map(|partner| Notice {
                subscriber: Subscriber::Partner(partner),
                kind: Kind::SessionMoved,
                data: data.clone(),
            }));
            notices
        };
        match Programme::decode(&event.event_type, event.version, decode_data())? {
            Programme::SessionScheduled(scheduled) => {
                reading.ownership = Some(Ownership::Scheduled {
                    session: scheduled.session,
                    event: event_id,
                });
            }
            Programme::SessionRescheduled(r) => {
                its_own(r.session)?;
                reading.notices = moved(
                    r.session,
                    &[r.venue],
                    json!({ "session": r.session, "event": event_id, "venue": r.venue,
                            "room": r.room, "starts_at": r.starts_at, "ends_at": r.ends_at,
                            "starts_local": r.starts_local, "ends_local": r.ends_local }),
                );
            }
            Programme::SessionVenueChanged(c) => {
                its_own(c.session)?;
                let venues: Vec<VenueId> = if c.previous_venue == c.venue {
                    vec![c.venue]
                } else {
                    vec![c.previous_venue, c.venue]
                };
                reading.notices = moved(
                    c.session,
                    &venues,
                    json!({ "session": c.session, "event": event_id, "venue": c.venue,
                            "previous_venue": c.previous_venue, "room": c.room,
                            "starts_at": c.starts_at, "ends_at": c.ends_at }),
                );
            }
            Programme::SessionCancelled(c) => {
                its_own(c.session)?;
                reading.notices.push(Notice {
                    subscriber: Subscriber::Venue(c.venue),
                    kind: Kind::SessionCancelled,
                    data: json!({ "session": c.session, "event": event_id, "venue": c.venue,
                                  "reason": c.reason }),
                });
            }
            _ => {}
        }
    } else if let Some(venue) = subjects::VENUE_RECORDS.uuid_in(subject).map(VenueId)
        && event.event_type == "HostingRequested"
        && let Venue::HostingRequested(asked) =
            Venue::decode(&event.event_type, event.version, decode_data())?
    {
        reading.notices.push(Notice {
            subscriber: Subscriber::Venue(venue),
            kind: Kind::HostingRequested,
            data: json!({ "venue": venue, "session": asked.session, "event": asked.event,
                          "request": asked.request, "room": asked.room,
                          "starts_at": asked.starts_at, "ends_at": asked.ends_at,
                          "capacity_wanted": asked.capacity_wanted }),
        });
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::EventEnvelope;
    use proto::registration::session as seats;
    use proto::registration::{AgeBand, CancelledBy, ParticipantId, Profile, SealedIdentity};
    use proto::taxonomy::Audience;
    use proto::values::Reason;

    fn stored(aggregate: &str, encoded: proto::EncodedEvent) -> StoredEvent {
        let id = Uuid::now_v7();
        StoredEvent {
            envelope: EventEnvelope {
                id,
                aggregate: aggregate.to_owned(),
                occurred_at: time::OffsetDateTime::UNIX_EPOCH,
                correlation_id: id,
                causation_id: id,
                idempotency_key: None,
                actor: proto::Actor::System {
                    component: "test".into(),
                },
            },
            event_type: encoded.event_type.to_owned(),
            version: encoded.version,
            data: encoded.data,
        }
    }

    /// Reads `event` where no session's owner is known.
    fn read_alone(
        event: &StoredEvent,
        holders: impl Fn(SessionId) -> Vec<PartnerId>,
    ) -> Result<Reading, Unreadable> {
        read(event, holders, |_| None)
    }

    fn partner(id: &str) -> PartnerId {
        PartnerId::parse(id).unwrap_or_else(|e| panic!("{e}"))
    }

    fn seats_event(session: SessionId, event: Seats) -> StoredEvent {
        let encoded = event.encode().unwrap_or_else(|e| panic!("{e}"));
        stored(&format!("reg.session.{session}"), encoded)
    }

    fn registered(registration: RegistrationId, by: &str) -> seats::Registered {
        seats::Registered {
            registration,
            partner: partner(by),
            participant: ParticipantId(Uuid::from_u128(9)),
            attendee: Attendee::Group { size: 3 },
            profile: Profile {
                audience: Audience::Pupils,
                age_band: AgeBand::Under16,
                town: None,
            },
            identity: serde_json::from_value::<SealedIdentity>(json!({
                "key": Uuid::from_u128(9), "nonce": "AAAAAAAAAAAAAAAA", "ciphertext": "AAAA"
            }))
            .unwrap_or_else(|e| panic!("{e}")),
            reserved: None,
        }
    }

    #[test]
    fn a_registration_is_told_to_its_partner_only() -> Result<(), Unreadable> {
        let session = SessionId(Uuid::from_u128(1));
        let registration = RegistrationId(Uuid::from_u128(2));
        let confirmed = seats_event(
            session,
            Seats::Confirmed(registered(registration, "ml-gap")),
        );
        let reading = read_alone(&confirmed, |_| vec![partner("other")])?;
        assert_eq!(reading.notices.len(), 1);
        assert_eq!(
            reading.notices[0].subscriber,
            Subscriber::Partner(partner("ml-gap"))
        );
        assert_eq!(reading.notices[0].kind, Kind::RegistrationConfirmed);
        assert_eq!(reading.notices[0].data["seats"], 3);
        assert_eq!(
            reading.holdings,
            [Holding::Holds {
                session,
                registration,
                partner: partner("ml-gap")
            }]
        );

        let waiting = seats_event(
            session,
            Seats::Waitlisted(registered(registration, "ml-gap")),
        );
        assert!(read_alone(&waiting, |_| Vec::new())?.notices.is_empty());

        for (event, kind) in [
            (
                Seats::Promoted(seats::Registration {
                    registration,
                    partner: partner("ml-gap"),
                }),
                Kind::RegistrationPromoted,
            ),
            (
                Seats::Demoted(seats::Registration {
                    registration,
                    partner: partner("ml-gap"),
                }),
                Kind::RegistrationDemoted,
            ),
            (
                Seats::Cancelled(seats::Cancelled {
                    registration,
                    partner: partner("ml-gap"),
                    by: CancelledBy::Organiser,
                    reason: None,
                }),
                Kind::RegistrationCancelled,
            ),
        ] {
            let reading = read_alone(&seats_event(session, event), |_| vec![partner("other")])?;
            assert_eq!(reading.notices.len(), 1, "{kind:?}");
            assert_eq!(reading.notices[0].kind, kind);
            assert_eq!(
                reading.notices[0].subscriber,
                Subscriber::Partner(partner("ml-gap"))
            );
        }
        Ok(())
    }

    #[test]
    fn a_cancelled_session_is_told_to_the_partners_holding_registrations() -> Result<(), Unreadable>
    {
        let session = SessionId(Uuid::from_u128(1));
        let cancelled = seats_event(
            session,
            Seats::SessionCancelled(seats::SessionCancelled {
                reason: Reason::parse("Intempéries").unwrap_or_else(|e| panic!("{e}")),
            }),
        );
        let reading = read_alone(&cancelled, |s| {
            assert_eq!(s, session);
            vec![partner("a"), partner("b")]
        })?;
        let told: Vec<_> = reading
            .notices
            .iter()
            .map(|n| (n.subscriber.clone(), n.kind))
            .collect();
        assert_eq!(
            told,
            [
                (Subscriber::Partner(partner("a")), Kind::SessionCancelled),
                (Subscriber::Partner(partner("b")), Kind::SessionCancelled),
            ]
        );
        Ok(())
    }

    #[test]
    fn a_hosting_request_is_told_to_its_venue() -> Result<(), Unreadable> {
        let venue = VenueId(Uuid::from_u128(5));
        let asked = Venue::HostingRequested(proto::venues::RequestHosting {
            session: SessionId(Uuid::from_u128(1)),
            event: proto::values::EventId(Uuid::from_u128(3)),
            request: 2,
            room: proto::values::RoomId::parse("salle").unwrap_or_else(|e| panic!("{e}")),
            starts_at: Timestamp::UNIX_EPOCH,
            ends_at: Timestamp::UNIX_EPOCH,
            capacity_wanted: 12,
        });
        let encoded = asked.encode().unwrap_or_else(|e| panic!("{e}"));
        let reading = read_alone(&stored(&format!("venue.venue.{venue}"), encoded), |_| {
            vec![partner("a")]
        })?;
        assert_eq!(reading.notices.len(), 1);
        assert_eq!(reading.notices[0].subscriber, Subscriber::Venue(venue));
        assert_eq!(reading.notices[0].kind, Kind::HostingRequested);
        assert_eq!(reading.notices[0].data["request"], 2);
        Ok(())
    }

    #[test]
    fn other_events_tell_nobody() -> Result<(), Unreadable> {
        let partner_event =
            proto::registration::partner::Event::Retired(proto::registration::partner::Retired {
                reason: Reason::parse("fin").unwrap_or_else(|e| panic!("{e}")),
            });
        let encoded = partner_event.encode().unwrap_or_else(|e| panic!("{e}"));
        let reading = read_alone(&stored("reg.partner.ml-gap", encoded), |_| {
            vec![partner("a")]
        })?;
        assert_eq!(reading, Reading::default());
        Ok(())
    }

    /// A reschedule of `session` recorded by `event`, at `venue`.
    fn rescheduled(event: EventId, session: SessionId, venue: VenueId) -> StoredEvent {
        let moved: proto::scheduling::event::SessionRescheduled = serde_json::from_value(json!({
            "session": session, "request": 2, "venue": venue, "room": "salle",
            "capacity_wanted": 20,
            "starts_local": "2027-04-13T09:00:00", "ends_local": "2027-04-13T11:00:00",
            "starts_at": "2027-04-13T07:00:00Z", "ends_at": "2027-04-13T09:00:00Z",
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let encoded = Programme::SessionRescheduled(moved)
            .encode()
            .unwrap_or_else(|e| panic!("{e}"));
        stored(&format!("sched.event.{event}"), encoded)
    }

    #[test]
    fn a_move_is_told_from_the_event_that_owns_the_session_only() -> Result<(), Unreadable> {
        let (session, venue) = (SessionId(Uuid::from_u128(1)), VenueId(Uuid::from_u128(5)));
        let (own, other) = (EventId(Uuid::from_u128(7)), EventId(Uuid::from_u128(8)));
        let holders = |_| vec![partner("ml-gap")];

        let told = read(&rescheduled(own, session, venue), holders, |_| Some(own))?;
        assert_eq!(
            told.notices
                .iter()
                .map(|n| (n.subscriber.clone(), n.kind))
                .collect::<Vec<_>>(),
            [
                (Subscriber::Venue(venue), Kind::SessionMoved),
                (Subscriber::Partner(partner("ml-gap")), Kind::SessionMoved),
            ]
        );

        let refused = read(&rescheduled(other, session, venue), holders, |_| Some(own));
        assert!(
            matches!(&refused, Err(Unreadable::NotItsOwn(why)) if why.contains(&own.to_string())),
            "{refused:?}"
        );
        Ok(())
    }

    #[test]
    fn a_claim_and_a_schedule_say_who_owns_a_session() -> Result<(), Unreadable> {
        let session = SessionId(Uuid::from_u128(1));
        let event = EventId(Uuid::from_u128(7));
        let claim = Claim::Claimed(proto::scheduling::session::Owner {
            edition: proto::values::EditionId(Uuid::from_u128(3)),
            event,
        });
        let encoded = claim.encode().unwrap_or_else(|e| panic!("{e}"));
        let reading = read_alone(
            &stored(&format!("sched.session.{session}"), encoded),
            |_| Vec::new(),
        )?;
        assert_eq!(
            reading.ownership,
            Some(Ownership::Claimed { session, event })
        );
        assert!(reading.notices.is_empty());

        // The claim decides; a schedule decides only where nothing is known (an old log's first).
        let (first, second) = (EventId(Uuid::from_u128(8)), EventId(Uuid::from_u128(9)));
        let claimed = Ownership::Claimed { session, event };
        assert_eq!(claimed.learnt(Some(first)), Some((session, event)));
        let scheduled = Ownership::Scheduled {
            session,
            event: second,
        };
        assert_eq!(scheduled.learnt(Some(first)), None);
        assert_eq!(scheduled.learnt(None), Some((session, second)));
        Ok(())
    }

    #[test]
    fn subscribers_are_named_by_their_aggregate() {
        let venue = Uuid::from_u128(5);
        assert_eq!(
            Subscriber::of_subject("hook.partner.ml-gap"),
            Some(Subscriber::Partner(partner("ml-gap")))
        );
        assert_eq!(
            Subscriber::of_subject(&format!("hook.venue.{venue}")),
            Some(Subscriber::Venue(VenueId(venue)))
        );
        assert_eq!(Subscriber::of_subject("hook.venue.not-a-uuid"), None);
        assert_eq!(Subscriber::Partner(partner("x")).key(), "partner:x");
    }
}
