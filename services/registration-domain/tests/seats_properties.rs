//! The seats' invariants on random histories: arbitrary commands (zero and huge capacities and
//! group sizes, reversed times, unknown and repeated ids, reservations of nothing or of
//! everything) decided one after another from what the ones before recorded. After every step:
//! the laws every decider keeps (`decider::laws`: a refusal is a typed [`SeatsRefusal`] with its
//! code, and records nothing; the events recorded fold without panic and read back from their
//! wire form; the state survives its snapshot); the confirmed seats never exceed the capacity;
//! the waiting list holds exactly the waiting registrations, each once, keeps its order
//! (newcomers at its tail, demoted ones at its head) and is promoted from its head; no waiting
//! entry fits the seats available to it; a participant and a registration id register once.
//! No I/O.

use decider::Step;
use jiff::Timestamp;
use proptest::prelude::*;
use proto::registration::session::Event;
use proto::registration::{
    AgeBand, Attendee, Beneficiary, ParticipantId, Profile, RegistrationId, Reservation,
    SealedIdentity, SessionFacts,
};
use proto::taxonomy::Audience;
use proto::values::{EditionId, PartnerId, Reason};
use registration_domain::seats::{
    RegistrationStatus, Seats, SeatsCommand, SeatsRefusal, WAITING_LIST_FACTOR, waiting_limit,
};
use uuid::Uuid;

/// A few instants around a session on 16 April 2024 (07:30Z–09:30Z), so that commands fall
/// before, at and after its start, its end and the reservations' deadlines.
fn instant() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        Just("2024-04-15T10:00:00Z"),
        Just("2024-04-15T18:00:00Z"),
        Just("2024-04-16T07:30:00Z"),
        Just("2024-04-16T09:30:00Z"),
        Just("2024-04-17T00:00:00Z"),
    ]
    .prop_map(|s| s.parse().expect("an instant"))
}

/// Seats or sizes: none, a few, and the most a `u32` holds.
fn count() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(2),
        Just(3),
        Just(5),
        Just(25),
        Just(u32::MAX - 1),
        Just(u32::MAX),
    ]
}

/// Three partners, so that some registrations are another partner's.
fn partner() -> impl Strategy<Value = PartnerId> {
    prop_oneof![
        Just("france-travail-gap"),
        Just("mission-locale-gap"),
        Just("college-fontreyne"),
    ]
    .prop_map(|s| PartnerId::parse(s).expect("a partner id"))
}

fn audience() -> impl Strategy<Value = Audience> {
    prop_oneof![
        Just(Audience::JobSeekers),
        Just(Audience::YoungPeople),
        Just(Audience::Pupils),
    ]
}

/// One of a few ids, so that ids repeat and are unknown by turns.
fn small_id(base: u128) -> impl Strategy<Value = Uuid> {
    (0u128..6)
        .prop_map(move |n| Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | base | n))
}

fn registration() -> impl Strategy<Value = RegistrationId> {
    small_id(0x1000).prop_map(RegistrationId)
}

/// The session's facts: mostly the session as planned and open to all; sometimes any times
/// (reversed ones included) and kept for some audiences.
fn facts() -> impl Strategy<Value = SessionFacts> {
    fn planned(restricted_to: Vec<Audience>) -> SessionFacts {
        SessionFacts {
            edition: EditionId(Uuid::from_u128(0xed)),
            starts_at: "2024-04-16T07:30:00Z".parse().expect("an instant"),
            ends_at: "2024-04-16T09:30:00Z".parse().expect("an instant"),
            restricted_to,
        }
    }
    prop_oneof![
        4 => Just(planned(vec![])),
        1 => proptest::collection::vec(audience(), 1..3).prop_map(planned),
        1 => (instant(), instant(), proptest::collection::vec(audience(), 0..2)).prop_map(
            |(starts_at, ends_at, restricted_to)| SessionFacts {
                starts_at,
                ends_at,
                ..planned(restricted_to)
            }
        ),
    ]
}

/// When a partner asks: mostly the day before, sometimes any time.
fn asked() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        4 => Just("2024-04-15T10:00:00Z".parse().expect("an instant")),
        1 => instant(),
    ]
}

fn beneficiary() -> impl Strategy<Value = Beneficiary> {
    prop_oneof![
        partner().prop_map(|partner| Beneficiary::Partner { partner }),
        audience().prop_map(|audience| Beneficiary::Audience { audience }),
    ]
}

fn attendee() -> impl Strategy<Value = Attendee> {
    prop_oneof![
        2 => Just(Attendee::Person {}),
        1 => count().prop_map(|size| Attendee::Group { size }),
    ]
}

fn command() -> impl Strategy<Value = SeatsCommand> {
    prop_oneof![
        2 => (count(), facts())
            .prop_map(|(capacity, facts)| SeatsCommand::SetCapacity { capacity, facts }),
        1 => (beneficiary(), count(), instant(), asked()).prop_map(|(beneficiary, seats, until, now)| {
            SeatsCommand::Reserve { reservation: Reservation { beneficiary, seats, until }, now }
        }),
        1 => instant().prop_map(|now| SeatsCommand::ReleaseExpired { now }),
        6 => (
            registration(),
            partner(),
            small_id(0x2000),
            attendee(),
            audience(),
            asked(),
            prop_oneof![Just(1u32), Just(WAITING_LIST_FACTOR), Just(u32::MAX)],
        )
            .prop_map(|(registration, partner, participant, attendee, audience, now, waiting_factor)| {
                SeatsCommand::Register {
                    registration,
                    partner,
                    participant: ParticipantId(participant),
                    attendee,
                    profile: Profile {
                        audience,
                        age_band: AgeBand::Unknown,
                        town: None,
                    },
                    identity: SealedIdentity {
                        key: ParticipantId(participant),
                        nonce: "bm9uY2U=".into(),
                        ciphertext: "c2VhbGVk".into(),
                    },
                    now,
                    waiting_factor,
                }
            }),
        2 => (registration(), partner(), asked()).prop_map(|(registration, partner, now)| {
            SeatsCommand::Cancel { registration, partner, now }
        }),
        1 => (registration(), instant())
            .prop_map(|(registration, now)| SeatsCommand::CancelOverlapping { registration, now }),
        1 => (registration(), count())
            .prop_map(|(registration, present)| SeatsCommand::CheckIn { registration, present }),
        1 => Just(SeatsCommand::CancelSession {
            reason: Reason::parse("la salle est inondée").expect("a reason"),
        }),
        1 => facts().prop_map(|facts| SeatsCommand::Reschedule { facts }),
        1 => instant().prop_map(|now| SeatsCommand::End { now }),
    ]
}

/// The seats' own rules after an accepted step.
fn check(step: Step<'_, Seats>) {
    let Some((before, command, events, after)) = step.accepted() else {
        return;
    };

    // Never more confirmed seats than the capacity.
    let confirmed: u64 = after
        .registrations
        .values()
        .filter(|record| record.is_confirmed())
        .map(|record| u64::from(record.seats()))
        .sum();
    assert!(
        confirmed <= u64::from(after.capacity),
        "{confirmed} seats confirmed in a session of {} after {command:?}",
        after.capacity
    );
    // The counts the state keeps as it goes are the counts of its registrations.
    assert_eq!(
        u64::from(after.confirmed_seats()),
        confirmed,
        "kept count of confirmed seats"
    );
    for record in after.registrations.values() {
        let found = after.active_registration_of(record.participant);
        let mut active: Vec<_> = after
            .registrations
            .iter()
            .filter(|(_, other)| other.participant == record.participant && other.is_active())
            .map(|(id, _)| *id)
            .collect();
        active.sort();
        let mut indexed: Vec<_> = after.active_registrations_of(record.participant).collect();
        indexed.sort();
        assert_eq!(indexed, active, "kept index of who is in");
        assert_eq!(
            found.is_some(),
            !active.is_empty(),
            "kept index of who is in"
        );
        if let Some(found) = found {
            assert!(after.registrations[&found].is_active());
        }
    }

    // The waiting list is exactly the waiting registrations, each once. A group is one record:
    // all its seats wait or hold together.
    let waiting: Vec<RegistrationId> = after
        .registrations
        .iter()
        .filter(|(_, record)| record.status == RegistrationStatus::Waiting)
        .map(|(id, _)| *id)
        .collect();
    let mut listed = after.waiting_list();
    listed.sort();
    assert_eq!(
        listed, waiting,
        "the waiting list is the waiting registrations"
    );
    let waiting_seats: u64 = waiting
        .iter()
        .map(|id| u64::from(after.registrations[id].seats()))
        .sum();
    assert_eq!(
        after.waiting_seats(),
        waiting_seats,
        "kept count of waiting seats"
    );
    // A registration put on the waiting list never takes it past its bound (a demotion may:
    // those already in are kept).
    if let SeatsCommand::Register { waiting_factor, .. } = command
        && events.iter().any(|e| matches!(e, Event::Waitlisted(_)))
    {
        assert!(
            after.waiting_seats() <= waiting_limit(after.capacity, *waiting_factor),
            "{} seats waiting, past the bound of {} after {command:?}",
            after.waiting_seats(),
            waiting_limit(after.capacity, *waiting_factor)
        );
    }

    // A registrant is checked in at most for its seats.
    for record in after.registrations.values() {
        assert!(record.checked_in <= record.seats());
    }

    // A participant holds or waits for seats once; a registration id is never reused.
    let mut active: Vec<ParticipantId> = after
        .registrations
        .values()
        .filter(|record| record.is_active())
        .map(|record| record.participant)
        .collect();
    let count = active.len();
    active.sort();
    active.dedup();
    assert_eq!(active.len(), count, "a participant registered twice");
    for event in events {
        if let Event::Confirmed(r) | Event::Waitlisted(r) = event {
            assert!(
                !before.registrations.contains_key(&r.registration),
                "registration {} recorded twice",
                r.registration
            );
        }
    }

    // The waiting list keeps its order: those waiting before and after keep their relative
    // order (unless demoted, which puts them back at the head), newcomers join at the tail, and
    // promotions follow the list from its head.
    let demoted: Vec<RegistrationId> = events
        .iter()
        .filter_map(|event| match event {
            Event::Demoted(d) => Some(d.registration),
            _ => None,
        })
        .collect();
    let stayed: Vec<RegistrationId> = before
        .waiting
        .iter()
        .filter(|id| after.waiting.contains(id))
        .copied()
        .collect();
    let still: Vec<RegistrationId> = after
        .waiting
        .iter()
        .filter(|id| before.waiting.contains(id) && !demoted.contains(id))
        .copied()
        .collect();
    assert_eq!(still, stayed, "the waiting list kept its order");
    let joined = events.iter().filter_map(|event| match event {
        Event::Waitlisted(r) => Some(r.registration),
        _ => None,
    });
    for (new, at_tail) in joined.rev().zip(after.waiting.iter().rev()) {
        assert_eq!(new, *at_tail, "a newcomer waits at the tail");
    }
    let promoted: Vec<usize> = events
        .iter()
        .filter_map(|event| match event {
            Event::Promoted(p) => before.waiting.iter().position(|id| *id == p.registration),
            _ => None,
        })
        .collect();
    assert!(
        promoted.windows(2).all(|pair| pair[0] < pair[1]),
        "promotions follow the waiting list from its head"
    );

    // Nobody waits who fits: seats freed go to the waiting list at once.
    if after.is_open() {
        for id in &after.waiting {
            let record = after
                .registration(*id)
                .expect("a waiting registration is known");
            let available = after.available_to(&record.partner, record.profile.audience);
            assert!(
                record.seats() > available,
                "{id} waits for {} seats while {available} are available to it, after {command:?}",
                record.seats()
            );
        }
    }
}

#[test]
fn every_history_keeps_the_seats_rules() {
    let histories = proptest::collection::vec(command(), 1..60);
    decider::laws::every_history::<Seats>(512, histories, SeatsRefusal::code, check);
}
