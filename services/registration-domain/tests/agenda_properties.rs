//! A participant's agenda on random histories: holds, confirmations, releases and moves of a
//! few sessions at times that overlap, touch or reverse, at instants before and after holds
//! lapse. After every step: the laws every decider keeps (`decider::laws`: a refusal is a typed
//! [`AgendaRefusal`] with its code, and records nothing; the events recorded fold without panic
//! and read back from their wire form; the state survives its snapshot); a hold or a confirmation
//! never leaves two confirmed sessions overlapping that did not before (only a move can, and it
//! names them as conflicts, which the agenda process undoes); a move names every confirmed
//! session it now overlaps. No I/O.

use decider::Step;
use jiff::Timestamp;
use proptest::prelude::*;
use proto::registration::RegistrationId;
use proto::registration::agenda::Event;
use proto::values::SessionId;
use registration_domain::agenda::{Agenda, AgendaCommand, AgendaRefusal, AgendaState};
use registration_domain::overlaps;
use uuid::Uuid;

fn id(base: u128, n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | base | n)
}

fn session() -> impl Strategy<Value = SessionId> {
    (0u128..4).prop_map(|n| SessionId(id(0x5000, n)))
}

/// Session times on 16 April 2024, on the half hour from 07:00Z: they overlap, touch and may be
/// reversed.
fn time() -> impl Strategy<Value = Timestamp> {
    (0i64..6).prop_map(|n| {
        Timestamp::from_second(1_713_250_800 + n * 1_800).expect("an instant in 2024")
    })
}

/// When a command is decided: the day before, at a few seconds and minutes later (holds lapse
/// after 120 s). A history's instants are then put in order.
fn now() -> impl Strategy<Value = Timestamp> {
    prop_oneof![Just(0i64), Just(60), Just(119), Just(120), Just(600)]
        .prop_map(|s| Timestamp::from_second(1_713_175_200 + s).expect("an instant in 2024"))
}

fn command() -> impl Strategy<Value = AgendaCommand> {
    prop_oneof![
        4 => (session(), 0u128..4, time(), time(), now()).prop_map(
            |(session, registration, starts_at, ends_at, now)| AgendaCommand::Hold {
                session,
                registration: RegistrationId(id(0x1000, registration)),
                starts_at,
                ends_at,
                now,
            }
        ),
        3 => (session(), 0u128..4, time(), time(), now()).prop_map(
            |(session, registration, starts_at, ends_at, now)| AgendaCommand::Keep {
                session,
                registration: RegistrationId(id(0x1000, registration)),
                starts_at,
                ends_at,
                now,
            }
        ),
        4 => (session(), now()).prop_map(|(session, now)| AgendaCommand::Confirm { session, now }),
        1 => session().prop_map(|session| AgendaCommand::Release { session }),
        2 => (session(), time(), time(), now()).prop_map(|(session, starts_at, ends_at, now)| {
            AgendaCommand::Move { session, starts_at, ends_at, now }
        }),
    ]
}

/// The pairs of confirmed sessions that overlap.
fn overlapping(state: &AgendaState) -> Vec<(SessionId, SessionId)> {
    let confirmed: Vec<_> = state
        .slots
        .iter()
        .filter(|(_, slot)| slot.confirmed)
        .collect();
    let mut pairs = Vec::new();
    for (i, (a, slot_a)) in confirmed.iter().enumerate() {
        for (b, slot_b) in &confirmed[i + 1..] {
            if overlaps(
                slot_a.starts_at,
                slot_a.ends_at,
                slot_b.starts_at,
                slot_b.ends_at,
            ) {
                pairs.push((**a, **b));
            }
        }
    }
    pairs
}

/// The agenda's own rules after an accepted step.
fn check(step: Step<'_, Agenda>) {
    let Some((before, command, events, after)) = step.accepted() else {
        return;
    };
    for event in events {
        if let Event::SlotMoved(moved) = event {
            for (other, slot) in &after.slots {
                if *other != moved.session
                    && slot.confirmed
                    && overlaps(slot.starts_at, slot.ends_at, moved.starts_at, moved.ends_at)
                {
                    assert!(
                        moved.conflicts.contains(other),
                        "{moved:?} overlaps confirmed session {other} without naming it"
                    );
                }
            }
        }
    }
    if !matches!(command, AgendaCommand::Move { .. }) {
        let was = overlapping(before);
        for pair in overlapping(after) {
            assert!(
                was.contains(&pair),
                "sessions {pair:?} both confirmed at once, after {command:?}"
            );
        }
    }
}

#[test]
fn every_history_keeps_the_agenda_rules() {
    // In any order of instants: two servers' clocks may disagree, and one may go back.
    let histories = proptest::collection::vec(command(), 1..40);
    decider::laws::every_history::<Agenda>(512, histories, AgendaRefusal::code, check);
}
