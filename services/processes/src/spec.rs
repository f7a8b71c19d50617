//! `given(events).then(reactions)`: the shape of every process's test, as given/when/then is the
//! deciders'. A process keeps no state: the events given are reacted to one after the other, and
//! the reactions they call for are all of theirs, in order.
//!
//! Each spec is checked twice: on the rule itself ([`TypedReactor::reactions`]), and through the
//! stored form the runner hands to `Reactor::react` (each event encoded under its aggregate's
//! subject, then decoded again), so that the adapter's choice of aggregates and its decoding are
//! covered too. No I/O: no log, no store.
//!
//! Also the fixtures the processes' tests share: ids, instants, reasons, stored events.

use std::fmt::Debug;

use jiff::Timestamp;
use projection::{Position, Reactor, Rejected};
use proto::values::Reason;
use proto::{EventContract, EventEnvelope, StoredEvent};
use uuid::Uuid;

use crate::TypedReactor;

/// A process's specification: the events it is given.
pub(crate) struct Spec<R: TypedReactor> {
    /// The events, each with the id of the aggregate it belongs to, in the log's order.
    given: Vec<(R::Id, R::Event)>,
}

impl<R> Spec<R>
where
    R: TypedReactor + Default,
    R::Event: Clone + Debug,
    R::Reaction: PartialEq + Debug,
{
    /// The events that happen, each with its aggregate's id, in order.
    pub(crate) fn given(events: impl IntoIterator<Item = (R::Id, R::Event)>) -> Self {
        Self {
            given: events.into_iter().collect(),
        }
    }

    /// Asserts that the events call for exactly `expected`, in order, both from the rule and
    /// through their stored form.
    #[track_caller]
    pub(crate) fn then(self, expected: impl IntoIterator<Item = R::Reaction>) {
        let expected: Vec<R::Reaction> = expected.into_iter().collect();
        let mut by_rule = Vec::new();
        for (id, event) in &self.given {
            match R::reactions(*id, event.clone()) {
                Ok(reactions) => by_rule.extend(reactions),
                Err(why) => panic!("the event {event:?} was rejected: {why}"),
            }
        }
        assert_eq!(by_rule, expected, "the rule called for other reactions");
        let mut through_log = Vec::new();
        for (n, stored) in self.stored().iter().enumerate() {
            match react::<R>(stored, n) {
                Ok(reactions) => through_log.extend(reactions),
                Err(why) => panic!("the stored event {stored:?} was rejected: {why}"),
            }
        }
        assert_eq!(
            through_log, expected,
            "the reactor called for other reactions through the stored events"
        );
    }

    /// Asserts that one of the events is rejected (its commit goes to quarantine), both by the
    /// rule and through its stored form.
    #[track_caller]
    pub(crate) fn then_rejected(self) {
        let by_rule = self
            .given
            .iter()
            .map(|(id, event)| R::reactions(*id, event.clone()))
            .find_map(Result::err);
        assert!(by_rule.is_some(), "the rule rejected none of the events");
        let through_log = self
            .stored()
            .iter()
            .enumerate()
            .map(|(n, stored)| react::<R>(stored, n))
            .find_map(Result::err);
        assert_eq!(
            through_log, by_rule,
            "the reactor rejected otherwise through the stored events"
        );
    }

    /// The events as the runner reads them: under their aggregates' subjects.
    fn stored(&self) -> Vec<StoredEvent> {
        self.given
            .iter()
            .map(|(id, event)| stored(format!("{}.{id}", R::AGGREGATES.prefix), event))
            .collect()
    }
}

/// What the reactor `R` makes of `stored`, the `n`th event of its stream, as the runner asks it.
pub(crate) fn react<R: Reactor + Default>(
    stored: &StoredEvent,
    n: usize,
) -> Result<Vec<R::Reaction>, Rejected> {
    let stream = R::default().streams().first().copied().unwrap_or_default();
    let at = Position {
        stream,
        seq: u64::try_from(n).unwrap_or(u64::MAX) + 1,
        index: 0,
    };
    R::default().react(stored, at)
}

/// What a reactor `R` following the programme's events makes of the scheduling stream's other
/// aggregates: an edition published and closed, and the job-dating's session id claimed. Each
/// must ask nothing.
pub(crate) fn scheduling_streams_other_aggregates<R: Reactor + Default>()
-> Vec<Result<Vec<R::Reaction>, Rejected>> {
    use proto::scheduling::{edition, session as session_ids};
    use proto::values::EditionId;
    let edition = format!("{}.{}", proto::subjects::EDITIONS.prefix, id(0xed));
    let others = [
        stored(
            edition.clone(),
            &edition::Event::Published(edition::Published {}),
        ),
        stored(edition, &edition::Event::Closed(edition::Closed {})),
        stored(
            format!(
                "{}.{}",
                proto::subjects::SESSION_IDS.prefix,
                programme::session()
            ),
            &session_ids::Event::Claimed(session_ids::Owner {
                edition: EditionId(id(0xed)),
                event: programme::job_dating(),
            }),
        ),
    ];
    others
        .iter()
        .enumerate()
        .map(|(n, other)| react::<R>(other, n))
        .collect()
}

/// `event` stored in the aggregate `subject`, e.g. `sched.event.<id>`.
pub(crate) fn stored(subject: String, event: &impl EventContract) -> StoredEvent {
    let encoded = event.encode().expect("a test event encodes");
    let id = Uuid::now_v7();
    StoredEvent {
        envelope: EventEnvelope {
            id,
            aggregate: subject,
            occurred_at: time::OffsetDateTime::UNIX_EPOCH,
            correlation_id: id,
            causation_id: id,
            idempotency_key: None,
            actor: proto::Actor::System {
                component: "spec".into(),
            },
        },
        event_type: encoded.event_type.to_owned(),
        version: encoded.version,
        data: encoded.data,
    }
}

/// A UUID of the tests, told apart by `n`.
pub(crate) fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

/// An instant, e.g. `2024-04-16T07:30:00Z`.
pub(crate) fn at(instant: &str) -> Timestamp {
    instant.parse().expect("an instant")
}

/// A reason, as an organiser or a venue writes it.
pub(crate) fn reason(text: &str) -> Reason {
    Reason::parse(text).expect("a reason")
}

/// The programme the scheduling processes' specs share: a job-dating at the EHPAD Les
/// Marronniers in Gap, Tuesday 16 April 2024, 09:30–11:30 in Paris (07:30Z–09:30Z), 30 seats
/// wanted in its multipurpose room; later moved to the IFSI of Gap's lecture hall.
pub(crate) mod programme {
    use jiff::civil::date;
    use proto::scheduling::event::{
        About, Event, SessionCancelled, SessionCapacityChanged, SessionRescheduled,
        SessionScheduled, SessionVenueChanged, SessionVenueConfirmed, SessionVenueDeclined,
        SessionVenueWithdrew,
    };
    use proto::taxonomy::{Audience, EventKind, Theme};
    use proto::values::{Description, EventId, Name, RoomId, SessionId, TimeZoneName, VenueId};

    use super::{at, id, reason};

    /// The job-dating: the event of the programme.
    pub(crate) fn job_dating() -> EventId {
        EventId(id(0xe1))
    }

    /// Its session at the EHPAD.
    pub(crate) fn session() -> SessionId {
        SessionId(id(0x51))
    }

    /// The EHPAD Les Marronniers, first asked to host it.
    pub(crate) fn marronniers() -> VenueId {
        VenueId(id(0x71))
    }

    /// The IFSI of Gap, where the session moves.
    pub(crate) fn ifsi() -> VenueId {
        VenueId(id(0x72))
    }

    /// A room of a venue.
    pub(crate) fn room(name: &str) -> RoomId {
        RoomId::parse(name).expect("a room id")
    }

    /// The session starts.
    pub(crate) const STARTS: &str = "2024-04-16T07:30:00Z";
    /// The session ends.
    pub(crate) const ENDS: &str = "2024-04-16T09:30:00Z";
    /// Moved in time: it starts an hour later.
    pub(crate) const LATER_STARTS: &str = "2024-04-16T08:30:00Z";
    /// Moved in time: it ends an hour later.
    pub(crate) const LATER_ENDS: &str = "2024-04-16T10:30:00Z";

    /// The session scheduled at the EHPAD (hosting request 1).
    pub(crate) fn scheduled() -> Event {
        Event::SessionScheduled(SessionScheduled {
            session: session(),
            request: 1,
            venue: marronniers(),
            room: room("salle-polyvalente"),
            starts_local: date(2024, 4, 16).at(9, 30, 0, 0),
            ends_local: date(2024, 4, 16).at(11, 30, 0, 0),
            time_zone: TimeZoneName::paris(),
            starts_at: at(STARTS),
            ends_at: at(ENDS),
            capacity_wanted: 30,
        })
    }

    /// The session moved an hour later, at the EHPAD still (hosting request 2).
    pub(crate) fn an_hour_later() -> Event {
        Event::SessionRescheduled(SessionRescheduled {
            session: session(),
            request: 2,
            venue: marronniers(),
            room: room("salle-polyvalente"),
            capacity_wanted: 30,
            starts_local: date(2024, 4, 16).at(10, 30, 0, 0),
            ends_local: date(2024, 4, 16).at(12, 30, 0, 0),
            starts_at: at(LATER_STARTS),
            ends_at: at(LATER_ENDS),
        })
    }

    /// The session moved to the IFSI's lecture hall (hosting request 2; request 1 released).
    pub(crate) fn moved_to_ifsi() -> Event {
        Event::SessionVenueChanged(SessionVenueChanged {
            session: session(),
            request: 2,
            previous_venue: marronniers(),
            previous_request: 1,
            venue: ifsi(),
            room: room("amphi"),
            starts_at: at(STARTS),
            ends_at: at(ENDS),
            capacity_wanted: 30,
        })
    }

    /// The organiser cancelled the session, which held request `request` at `venue`.
    pub(crate) fn cancelled(venue: VenueId, request: u32) -> Event {
        Event::SessionCancelled(SessionCancelled {
            session: session(),
            venue,
            request,
            reason: reason("Intervenants indisponibles"),
        })
    }

    /// The EHPAD confirmed `capacity` seats (request 1).
    pub(crate) fn confirmed(capacity: u32) -> Event {
        Event::SessionVenueConfirmed(SessionVenueConfirmed {
            session: session(),
            request: 1,
            capacity,
        })
    }

    /// The EHPAD lowered or raised the seats it confirmed to `capacity`.
    pub(crate) fn capacity_changed(capacity: u32) -> Event {
        Event::SessionCapacityChanged(SessionCapacityChanged {
            session: session(),
            request: 1,
            capacity,
        })
    }

    /// The EHPAD declined (or, `refused`, semaine refused the request for it).
    pub(crate) fn declined(refused: bool) -> Event {
        Event::SessionVenueDeclined(SessionVenueDeclined {
            session: session(),
            request: 1,
            refused,
            reason: reason("Salle déjà réservée"),
        })
    }

    /// The EHPAD withdrew after confirming.
    pub(crate) fn withdrew() -> Event {
        Event::SessionVenueWithdrew(SessionVenueWithdrew {
            session: session(),
            request: 1,
            reason: reason("Travaux dans la salle"),
        })
    }

    /// What the job-dating is: for job seekers and career changers.
    pub(crate) fn about() -> About {
        About {
            kind: EventKind::JobDating,
            title: Name::parse("Job-dating du grand âge").expect("a title"),
            description: Description::default(),
            themes: vec![Theme::ElderlyAutonomy],
            audiences: vec![Audience::JobSeekers, Audience::CareerChangers],
            restricted_to: vec![],
            discovery_tools: vec![],
            partners: vec![],
        }
    }
}
