//! What the read models' unit tests share (the `testing` feature, which the `views` crate's
//! dev-dependency turns on): rows folded into [`Memory`] without NATS, a [`stored`] event as the
//! log gives it, and the events the tests build ([`created`], [`scheduled`], [`registered`]).

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{DateTime, date};
use proto::contract::EventContract;
use proto::scheduling::edition::{Created, Event as Edition};
use proto::scheduling::event::{Event as Programme, SessionScheduled};
use proto::taxonomy::VenueKind;
use proto::values::{
    DepartementCode, InseeCode, Name, OrganiserId, RoomId, SessionId, TimeZoneName, VenueId,
};
use proto::venues::{self as venue, Event as Venue};
use proto::{Actor, EventEnvelope, StoredEvent};
use uuid::Uuid;

use super::Rows;

/// The rows folded so far, in memory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Memory(pub BTreeMap<(&'static str, Vec<u8>), Vec<u8>>);

impl Rows for Memory {
    fn get(&self, tree: &'static str, key: &[u8]) -> Option<Vec<u8>> {
        self.0.get(&(tree, key.to_vec())).cloned()
    }

    fn put(&mut self, tree: &'static str, key: Vec<u8>, value: Vec<u8>) {
        self.0.insert((tree, key), value);
    }

    fn remove(&mut self, tree: &'static str, key: Vec<u8>) {
        self.0.remove(&(tree, key));
    }

    fn scan(&self, tree: &'static str, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.0
            .iter()
            .filter(|((t, key), _)| *t == tree && key.starts_with(prefix))
            .map(|((_, key), value)| (key.clone(), value.clone()))
            .collect()
    }
}

impl Memory {
    /// A temporary sled store holding these rows, as the runner would have written them.
    pub fn db(&self) -> Result<sled::Db, sled::Error> {
        let db = sled::Config::new().temporary(true).open()?;
        for ((tree, key), value) in &self.0 {
            db.open_tree(tree)?
                .insert(key.as_slice(), value.as_slice())?;
        }
        Ok(db)
    }
}

/// `event` as the log gives it back: on `aggregate`'s subject, decided `when` by semaine.
///
/// # Panics
/// When `event` does not encode (a test's mistake).
pub fn stored(
    aggregate: String,
    when: time::OffsetDateTime,
    event: impl EventContract,
) -> StoredEvent {
    let encoded = event.encode().expect("encodes");
    StoredEvent {
        envelope: EventEnvelope {
            id: Uuid::now_v7(),
            aggregate,
            occurred_at: when,
            correlation_id: Uuid::nil(),
            causation_id: Uuid::nil(),
            idempotency_key: None,
            actor: Actor::System {
                component: "test".into(),
            },
        },
        event_type: encoded.event_type.into(),
        version: encoded.version,
        data: encoded.data,
    }
}

/// A name.
///
/// # Panics
/// When `text` is not one (a test's mistake).
pub fn name(text: &str) -> Name {
    Name::parse(text).expect("valid name")
}

/// The instant of `local`, a wall-clock time in Paris.
///
/// # Panics
/// When `local` does not exist there (a test's mistake).
pub fn paris(local: DateTime) -> Timestamp {
    local
        .to_zoned(TimeZoneName::paris().zone())
        .expect("exists")
        .timestamp()
}

/// The creation of the Hautes-Alpes' 2027 edition, 12 to 23 April, in Paris' zone.
///
/// # Panics
/// Never: its values are valid.
pub fn created() -> Edition {
    Edition::Created(Created {
        name: name("Semaine des métiers du social — Hautes-Alpes 2027"),
        territory: DepartementCode::parse("05").expect("valid"),
        first_day: date(2027, 4, 12),
        last_day: date(2027, 4, 23),
        time_zone: TimeZoneName::paris(),
        organisers: vec![OrganiserId::parse("dep-05").expect("valid")],
    })
}

/// A session scheduled in room `salle` of `venue`, from `starts` to `ends` in Paris, with
/// `capacity_wanted` seats: its first hosting request.
///
/// # Panics
/// When a time does not exist in Paris (a test's mistake).
pub fn scheduled(
    session: SessionId,
    venue: VenueId,
    starts: DateTime,
    ends: DateTime,
    capacity_wanted: u32,
) -> Programme {
    Programme::SessionScheduled(SessionScheduled {
        session,
        request: 1,
        venue,
        room: RoomId::parse("salle").expect("valid"),
        starts_local: starts,
        ends_local: ends,
        time_zone: TimeZoneName::paris(),
        starts_at: paris(starts),
        ends_at: paris(ends),
        capacity_wanted,
    })
}

/// The registration of an EHPAD named `name` at `street`, `postcode` `town` (INSEE code
/// `insee`), in Paris' zone, with one room: `salle`, "Salle polyvalente", 30 seats.
///
/// # Panics
/// When a value is not valid (a test's mistake).
pub fn registered(
    venue_name: &str,
    street: &str,
    postcode: &str,
    town: &str,
    insee: &str,
) -> Venue {
    Venue::Registered(Box::new(venue::Register {
        name: name(venue_name),
        kind: VenueKind::Ehpad,
        address: venue::Address {
            street: name(street),
            postcode: venue::Postcode::try_from(postcode.to_owned()).expect("valid"),
            town: name(town),
            insee_code: InseeCode::parse(insee).expect("valid"),
        },
        contact: venue::Contact {
            name: name("Accueil"),
            email: None,
            phone: None,
        },
        accessibility: venue::Accessibility::default(),
        equipment: Vec::new(),
        rooms: vec![venue::Room {
            id: RoomId::parse("salle").expect("valid"),
            name: name("Salle polyvalente"),
            max_capacity: 30,
        }],
        opening_hours: Vec::new(),
        closed_periods: Vec::new(),
        time_zone: TimeZoneName::paris(),
    }))
}
