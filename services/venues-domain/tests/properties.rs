//! A venue's invariants on random histories: arbitrary commands (rooms of no seat or of the most
//! a `u32` holds, rooms listed twice, inverted opening spans and closed periods, requests for
//! unknown rooms, with reversed times, stale or repeated numbers, a session id of two events,
//! answers to requests never made) decided one after another from what the ones before recorded.
//! After every step: the laws every decider keeps (`decider::laws`: a refusal is a typed
//! [`VenueRefusal`] with its code, and records nothing; the events recorded fold without panic and
//! read back from their wire form; the state survives its snapshot); a confirmed capacity is
//! between 1 and its room's maximum; a room never hosts two overlapping confirmed sessions; new
//! hours or closed days never leave a confirmed session outside them. No I/O.

use decider::Step;
use jiff::Timestamp;
use jiff::civil::{Date, Time, date, time};
use proptest::prelude::*;
use proto::taxonomy::VenueKind;
use proto::values::{EventId, InseeCode, Name, Reason, RoomId, SessionId, TimeZoneName};
use proto::venues::{
    Accessibility, Address, ClosedPeriod, Command, Contact, OpeningHours, Postcode, Register,
    RequestHosting, Room, Weekday,
};
use uuid::Uuid;
use venues_domain::{Venue, VenueRefusal};

fn name(s: &str) -> Name {
    Name::parse(s).expect("a name")
}

/// Three room ids: two the venue usually has, one it never has.
fn room() -> impl Strategy<Value = RoomId> {
    prop_oneof![
        Just("salle-polyvalente"),
        Just("petit-salon"),
        Just("atelier")
    ]
    .prop_map(|s| RoomId::parse(s).expect("a room id"))
}

/// Seats: none, a few, and the most a `u32` holds.
fn count() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(12),
        Just(40),
        Just(u32::MAX - 1),
        Just(u32::MAX)
    ]
}

/// Seats a venue confirms: mostly what its rooms hold, sometimes anything.
fn seats() -> impl Strategy<Value = u32> {
    prop_oneof![2 => Just(1), 2 => Just(12), 1 => count()]
}

fn clock() -> impl Strategy<Value = Time> {
    prop_oneof![
        Just(time(8, 30, 0, 0)),
        Just(time(12, 30, 0, 0)),
        Just(time(13, 30, 0, 0)),
        Just(time(18, 0, 0, 0)),
    ]
}

/// Opening hours: mostly weekdays 08:30–12:30 and 13:30–18:00 (Paris), sometimes spans of any
/// order.
fn opening_hours() -> impl Strategy<Value = Vec<OpeningHours>> {
    let weekdays = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    let usual: Vec<OpeningHours> = weekdays
        .into_iter()
        .flat_map(|day| {
            [
                OpeningHours {
                    day,
                    opens: time(8, 30, 0, 0),
                    closes: time(12, 30, 0, 0),
                },
                OpeningHours {
                    day,
                    opens: time(13, 30, 0, 0),
                    closes: time(18, 0, 0, 0),
                },
            ]
        })
        .collect();
    prop_oneof![
        3 => Just(usual),
        1 => proptest::collection::vec(
            (prop_oneof![Just(Weekday::Tuesday), Just(Weekday::Sunday)], clock(), clock())
                .prop_map(|(day, opens, closes)| OpeningHours { day, opens, closes }),
            0..3,
        ),
    ]
}

fn day() -> impl Strategy<Value = Date> {
    prop_oneof![
        Just(date(2024, 4, 16)),
        Just(date(2024, 4, 22)),
        Just(date(2024, 4, 23))
    ]
}

fn closed_period() -> impl Strategy<Value = ClosedPeriod> {
    (day(), day()).prop_map(|(from, to)| ClosedPeriod {
        from,
        to,
        reason: Reason::parse("Travaux de la salle polyvalente").expect("a reason"),
    })
}

fn register() -> impl Strategy<Value = Register> {
    (
        prop_oneof![
            2 => Just(vec![
                (RoomId::parse("salle-polyvalente").expect("a room id"), 40),
                (RoomId::parse("petit-salon").expect("a room id"), 12),
            ]),
            1 => proptest::collection::vec((room(), count()), 0..4),
        ],
        opening_hours(),
        proptest::collection::vec(closed_period(), 0..2),
    )
        .prop_map(|(rooms, opening_hours, closed_periods)| Register {
            name: name("EHPAD Les Marronniers"),
            kind: VenueKind::Ehpad,
            address: Address {
                street: name("12 rue des Alpes"),
                postcode: Postcode::try_from("05000".to_owned()).expect("a postcode"),
                town: name("Gap"),
                insee_code: InseeCode::parse("05061").expect("an INSEE code"),
            },
            contact: Contact {
                name: name("Accueil"),
                email: None,
                phone: None,
            },
            accessibility: Accessibility::default(),
            equipment: vec![],
            rooms: rooms
                .into_iter()
                .map(|(id, max_capacity)| Room {
                    id,
                    name: name("Salle"),
                    max_capacity,
                })
                .collect(),
            opening_hours,
            closed_periods,
            time_zone: TimeZoneName::paris(),
        })
}

/// Instants on a Tuesday (16 April 2024, open), on the Sunday before and on the closed Monday,
/// so that requests overlap, touch, fall outside the hours or reverse.
fn instant() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        3 => Just("2024-04-16T07:00:00Z"),
        3 => Just("2024-04-16T08:00:00Z"),
        3 => Just("2024-04-16T09:00:00Z"),
        3 => Just("2024-04-16T10:30:00Z"),
        1 => Just("2024-04-16T12:00:00Z"),
        1 => Just("2024-04-14T08:00:00Z"),
        1 => Just("2024-04-22T08:00:00Z"),
    ]
    .prop_map(|s| s.parse().expect("an instant"))
}

fn small_id(base: u128, n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | base | n)
}

fn session() -> impl Strategy<Value = SessionId> {
    (0u128..3).prop_map(|n| SessionId(small_id(0x5000, n)))
}

fn command() -> impl Strategy<Value = Command> {
    let reason = || Just(Reason::parse("Salle en travaux").expect("a reason"));
    prop_oneof![
        2 => register().prop_map(|register| Command::Register(Box::new(register))),
        1 => opening_hours().prop_map(|opening_hours| Command::SetOpeningHours { opening_hours }),
        1 => closed_period().prop_map(Command::AddClosedPeriod),
        6 => (session(), 0u128..2, 1u32..3, room(), instant(), instant(), count()).prop_map(
            |(session, event, request, room, starts_at, ends_at, capacity_wanted)| {
                Command::RequestHosting(RequestHosting {
                    session,
                    event: EventId(small_id(0xe000, event)),
                    request,
                    room,
                    starts_at,
                    ends_at,
                    capacity_wanted,
                })
            }
        ),
        8 => (session(), 1u32..3, seats()).prop_map(|(session, request, capacity)| {
            Command::ConfirmCapacity { session, request, capacity }
        }),
        1 => (session(), 1u32..3, reason())
            .prop_map(|(session, request, reason)| Command::Decline { session, request, reason }),
        2 => (session(), 1u32..3, count()).prop_map(|(session, request, capacity)| {
            Command::ChangeCapacity { session, request, capacity }
        }),
        1 => (session(), 1u32..3, reason())
            .prop_map(|(session, request, reason)| Command::Withdraw { session, request, reason }),
        1 => (session(), 1u32..3)
            .prop_map(|(session, request)| Command::ReleaseHosting { session, request }),
    ]
}

/// The venue's own rules after an accepted step.
fn check(step: Step<'_, Venue>) {
    let Some((before, command, _, after)) = step.accepted() else {
        return;
    };
    let confirmed: Vec<_> = after
        .requests
        .iter()
        .filter_map(|(session, hosting)| Some((*session, hosting, hosting.confirmed_capacity()?)))
        .collect();
    if confirmed.is_empty() {
        return;
    }
    let details = after
        .details
        .as_ref()
        .expect("a venue that confirmed is registered");
    for (session, hosting, capacity) in &confirmed {
        let max = details
            .max_capacity(&hosting.room)
            .expect("a confirmed room exists");
        assert!(
            (1..=max).contains(capacity),
            "session {session} confirmed with {capacity} seats in a room of {max}, after {command:?}"
        );
        for (other, other_hosting, _) in &confirmed {
            assert!(
                other == session
                    || other_hosting.room != hosting.room
                    || !hosting.overlaps(other_hosting),
                "sessions {session} and {other} overlap in room {}, after {command:?}",
                hosting.room
            );
        }
        // New hours or closed days never leave a confirmed session outside them (a request
        // already made is not checked again when it is confirmed: that is the rule).
        let request = hosting.request_for(*session);
        let was_within = before.details.as_ref().is_some_and(|details| {
            before.hosting(*session) == Some(*hosting) && details.refusal_for(&request).is_none()
        });
        if was_within {
            assert_eq!(
                details.refusal_for(&request),
                None,
                "session {session} left outside the hours by {command:?}"
            );
        }
    }
}

#[test]
fn every_history_keeps_the_venue_rules() {
    // Mostly a venue that registered first, so that the commands after it are decided.
    let histories =
        (register(), proptest::collection::vec(command(), 1..40)).prop_map(|(first, then)| {
            std::iter::once(Command::Register(Box::new(first)))
                .chain(then)
                .collect::<Vec<_>>()
        });
    decider::laws::every_history::<Venue>(512, histories, VenueRefusal::code, check);
}
