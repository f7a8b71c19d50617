//! A participant's agenda as given/when/then tables: holds, confirmations, releases, overlaps and
//! lapsed holds. No I/O.
//!
//! One young person of the mission locale of Gap wants three sessions on Tuesday 16 April 2024
//! (UTC times): the job-dating 07:30–09:30, an escape game 08:30–10:30 (overlapping both others)
//! and a workshop 09:30–11:30 (right after the job-dating). Requests are made on Monday 15 April
//! from 10:00Z.

use decider::{Decider, Spec};
use jiff::{SignedDuration, Timestamp};
use proto::registration::RegistrationId;
use proto::registration::agenda::{Event, HOLD_LAPSES_AFTER_SECONDS, Slot, SlotHeld};
use proto::values::SessionId;
use registration_domain::agenda::{Agenda, AgendaCommand, AgendaRefusal, AgendaState};
use registration_domain::overlaps;
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

/// The job-dating, 07:30–09:30Z.
const JOB_DATING: u128 = 1;
/// The escape game, 08:30–10:30Z: overlaps both others.
const ESCAPE_GAME: u128 = 2;
/// The workshop, 09:30–11:30Z: starts when the job-dating ends.
const WORKSHOP: u128 = 3;

fn session(n: u128) -> SessionId {
    SessionId(id(n))
}

fn registration(n: u128) -> RegistrationId {
    RegistrationId(id(0x100 + n))
}

/// The session's start and end.
fn times(n: u128) -> (Timestamp, Timestamp) {
    match n {
        JOB_DATING => (at("2024-04-16T07:30:00Z"), at("2024-04-16T09:30:00Z")),
        ESCAPE_GAME => (at("2024-04-16T08:30:00Z"), at("2024-04-16T10:30:00Z")),
        _ => (at("2024-04-16T09:30:00Z"), at("2024-04-16T11:30:00Z")),
    }
}

/// When the first request arrives.
fn t0() -> Timestamp {
    at("2024-04-15T10:00:00Z")
}

/// `seconds` after the first request.
fn after(seconds: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(seconds)
}

fn hold(n: u128, now: Timestamp) -> AgendaCommand {
    let (starts_at, ends_at) = times(n);
    AgendaCommand::Hold {
        session: session(n),
        registration: registration(n),
        starts_at,
        ends_at,
        now,
    }
}

fn held(n: u128, held_at: Timestamp) -> Event {
    let (starts_at, ends_at) = times(n);
    Event::SlotHeld(SlotHeld {
        session: session(n),
        registration: registration(n),
        starts_at,
        ends_at,
        held_at,
    })
}

fn confirm(n: u128, now: Timestamp) -> AgendaCommand {
    AgendaCommand::Confirm {
        session: session(n),
        now,
    }
}

fn confirmed(n: u128) -> Event {
    Event::SlotConfirmed(Slot {
        session: session(n),
    })
}

fn release(n: u128) -> AgendaCommand {
    AgendaCommand::Release {
        session: session(n),
    }
}

fn released(n: u128) -> Event {
    Event::SlotReleased(Slot {
        session: session(n),
    })
}

fn overlap_with(n: u128) -> AgendaRefusal {
    AgendaRefusal::Overlap {
        session: session(n),
    }
}

// ---------------------------------------------------------------------------------------------
// Hold.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_hold_records_the_slot_with_its_times() {
    Spec::<Agenda>::given([])
        .when(hold(JOB_DATING, t0()))
        .then([held(JOB_DATING, t0())]);
    let state = Agenda::fold(&[held(JOB_DATING, t0())]);
    let slot = state.slot(session(JOB_DATING)).expect("held");
    assert_eq!(slot.registration, registration(JOB_DATING));
    assert_eq!(slot.held_at, t0());
    assert!(!slot.confirmed);
}

#[test]
fn holding_a_session_already_held_or_confirmed_changes_nothing() {
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(hold(JOB_DATING, after(5)))
        .then([]);
    Spec::<Agenda>::given([held(JOB_DATING, t0()), confirmed(JOB_DATING)])
        .when(hold(JOB_DATING, after(3_600)))
        .then([]);
}

#[test]
fn a_confirmed_slot_blocks_every_overlapping_session() {
    let history = [held(JOB_DATING, t0()), confirmed(JOB_DATING)];
    Spec::<Agenda>::given(history.clone())
        .when(hold(ESCAPE_GAME, after(86_400)))
        .then_error(overlap_with(JOB_DATING));
    // Back to back is not an overlap.
    Spec::<Agenda>::given(history)
        .when(hold(WORKSHOP, after(86_400)))
        .then([held(WORKSHOP, after(86_400))]);
}

#[test]
fn two_requests_at_once_the_second_is_refused_by_the_first_ones_hold() {
    // The job-dating's request held its slot; the escape game's, decided after it, is refused
    // although the job-dating's seat is not confirmed yet.
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(hold(ESCAPE_GAME, t0()))
        .then_error(overlap_with(JOB_DATING));
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(hold(ESCAPE_GAME, after(HOLD_LAPSES_AFTER_SECONDS - 1)))
        .then_error(overlap_with(JOB_DATING));
}

#[test]
fn a_hold_never_confirmed_lapses_and_blocks_nothing() {
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(hold(ESCAPE_GAME, after(HOLD_LAPSES_AFTER_SECONDS)))
        .then([held(ESCAPE_GAME, after(HOLD_LAPSES_AFTER_SECONDS))]);
}

// ---------------------------------------------------------------------------------------------
// Keep: hold and confirm in one decision, as a registration whose seat is confirmed does.
// ---------------------------------------------------------------------------------------------

fn keep(n: u128, now: Timestamp) -> AgendaCommand {
    let (starts_at, ends_at) = times(n);
    AgendaCommand::Keep {
        session: session(n),
        registration: registration(n),
        starts_at,
        ends_at,
        now,
    }
}

#[test]
fn keeping_a_free_slot_holds_and_confirms_it_at_once() {
    Spec::<Agenda>::given([])
        .when(keep(JOB_DATING, t0()))
        .then([held(JOB_DATING, t0()), confirmed(JOB_DATING)]);
    let state = Agenda::fold(&[held(JOB_DATING, t0()), confirmed(JOB_DATING)]);
    let (starts_at, ends_at) = times(JOB_DATING);
    assert!(state.keeps(
        session(JOB_DATING),
        registration(JOB_DATING),
        starts_at,
        ends_at
    ));
}

#[test]
fn keeping_a_held_slot_confirms_it_and_a_kept_one_changes_nothing() {
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(keep(JOB_DATING, after(2)))
        .then([confirmed(JOB_DATING)]);
    Spec::<Agenda>::given([held(JOB_DATING, t0()), confirmed(JOB_DATING)])
        .when(keep(JOB_DATING, after(4)))
        .then([]);
}

#[test]
fn keeping_a_slot_is_refused_as_a_hold_is_when_a_live_one_overlaps() {
    Spec::<Agenda>::given([held(JOB_DATING, t0()), confirmed(JOB_DATING)])
        .when(keep(ESCAPE_GAME, after(86_400)))
        .then_error(overlap_with(JOB_DATING));
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(keep(ESCAPE_GAME, after(1)))
        .then_error(overlap_with(JOB_DATING));
    // A lapsed hold blocks nothing; back to back is no overlap.
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(keep(ESCAPE_GAME, after(HOLD_LAPSES_AFTER_SECONDS)))
        .then([
            held(ESCAPE_GAME, after(HOLD_LAPSES_AFTER_SECONDS)),
            confirmed(ESCAPE_GAME),
        ]);
    Spec::<Agenda>::given([held(JOB_DATING, t0()), confirmed(JOB_DATING)])
        .when(keep(WORKSHOP, after(60)))
        .then([held(WORKSHOP, after(60)), confirmed(WORKSHOP)]);
}

// ---------------------------------------------------------------------------------------------
// Confirm.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_held_slot_is_confirmed_once() {
    Spec::<Agenda>::given([])
        .when(confirm(JOB_DATING, t0()))
        .then_error(AgendaRefusal::NotHeld {
            session: session(JOB_DATING),
        });
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(confirm(JOB_DATING, after(2)))
        .then([confirmed(JOB_DATING)]);
    Spec::<Agenda>::given([held(JOB_DATING, t0()), confirmed(JOB_DATING)])
        .when(confirm(JOB_DATING, after(4)))
        .then([]);
    let state = Agenda::fold(&[held(JOB_DATING, t0()), confirmed(JOB_DATING)]);
    assert!(
        state
            .slot(session(JOB_DATING))
            .is_some_and(|slot| slot.confirmed)
    );
}

#[test]
fn a_lapsed_hold_is_confirmed_only_if_nothing_live_overlaps_it() {
    // Nothing else: a late confirmation (a reactor repairing a crash) is accepted.
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(confirm(JOB_DATING, after(3_600)))
        .then([confirmed(JOB_DATING)]);
    // The escape game was held since, and its hold is live.
    let history = [held(JOB_DATING, t0()), held(ESCAPE_GAME, after(200))];
    Spec::<Agenda>::given(history.clone())
        .when(confirm(JOB_DATING, after(210)))
        .then_error(overlap_with(ESCAPE_GAME));
    // …or confirmed.
    Spec::<Agenda>::given(then(&history, [confirmed(ESCAPE_GAME)]))
        .when(confirm(JOB_DATING, after(3_600)))
        .then_error(overlap_with(ESCAPE_GAME));
    // Both lapsed: the first confirmed wins, the other is refused.
    Spec::<Agenda>::given(history.clone())
        .when(confirm(JOB_DATING, after(3_600)))
        .then([confirmed(JOB_DATING)]);
    Spec::<Agenda>::given(then(&history, [confirmed(JOB_DATING)]))
        .when(confirm(ESCAPE_GAME, after(3_600)))
        .then_error(overlap_with(JOB_DATING));
}

#[test]
fn a_live_hold_is_confirmed_whatever_was_held_since() {
    // Nothing overlapping can have been held while it was live; a lapsed hold is ignored.
    Spec::<Agenda>::given([held(ESCAPE_GAME, t0()), held(JOB_DATING, after(300))])
        .when(confirm(JOB_DATING, after(310)))
        .then([confirmed(JOB_DATING)]);
}

// ---------------------------------------------------------------------------------------------
// Release.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_slot_is_released_once_whether_held_or_confirmed() {
    Spec::<Agenda>::given([]).when(release(JOB_DATING)).then([]);
    Spec::<Agenda>::given([held(JOB_DATING, t0())])
        .when(release(JOB_DATING))
        .then([released(JOB_DATING)]);
    Spec::<Agenda>::given([held(JOB_DATING, t0()), confirmed(JOB_DATING)])
        .when(release(JOB_DATING))
        .then([released(JOB_DATING)]);
    Spec::<Agenda>::given([held(JOB_DATING, t0()), released(JOB_DATING)])
        .when(release(JOB_DATING))
        .then([]);
}

#[test]
fn a_released_slot_frees_the_time() {
    // The job-dating's registration went to the waiting list: the escape game can be held.
    let history = [held(JOB_DATING, t0()), released(JOB_DATING)];
    Spec::<Agenda>::given(history.clone())
        .when(hold(ESCAPE_GAME, after(10)))
        .then([held(ESCAPE_GAME, after(10))]);
    // Cancelled after being confirmed: the same.
    Spec::<Agenda>::given([
        held(JOB_DATING, t0()),
        confirmed(JOB_DATING),
        released(JOB_DATING),
    ])
    .when(hold(ESCAPE_GAME, after(10)))
    .then([held(ESCAPE_GAME, after(10))]);
    assert!(Agenda::fold(&history).slots.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Overlap, codes, snapshots.
// ---------------------------------------------------------------------------------------------

#[test]
fn overlap_is_sharing_an_instant_ends_excluded() {
    let (a, b) = times(JOB_DATING);
    let (c, d) = times(ESCAPE_GAME);
    let (e, f) = times(WORKSHOP);
    assert!(overlaps(a, b, c, d));
    assert!(overlaps(c, d, a, b));
    assert!(overlaps(c, d, e, f));
    assert!(!overlaps(a, b, e, f));
    assert!(!overlaps(e, f, a, b));
    assert!(overlaps(a, b, a, b));
}

#[test]
fn refusal_codes_are_stable() {
    assert_eq!(overlap_with(JOB_DATING).code(), "agenda-overlap");
    assert_eq!(
        AgendaRefusal::NotHeld {
            session: session(JOB_DATING)
        }
        .code(),
        "slot-not-held"
    );
    assert!(
        overlap_with(JOB_DATING)
            .to_string()
            .contains(&session(JOB_DATING).to_string())
    );
}

#[test]
fn the_state_survives_a_snapshot() {
    let state = Agenda::fold(&[
        held(JOB_DATING, t0()),
        confirmed(JOB_DATING),
        held(WORKSHOP, after(30)),
    ]);
    let json = serde_json::to_string(&state).expect("serialised");
    let back: AgendaState = serde_json::from_str(&json).expect("deserialised");
    assert_eq!(back, state);
    assert_eq!(back.slots.len(), 2);
}

/// `history` then `more`.
fn then(history: &[Event], more: impl IntoIterator<Item = Event>) -> Vec<Event> {
    history.iter().cloned().chain(more).collect()
}

#[test]
fn a_moved_session_takes_its_slot_along_and_reports_what_it_now_overlaps() {
    use proto::registration::agenda::SlotMoved;
    // The job-dating and the workshop touch without overlapping; the workshop moves onto the
    // job-dating's time.
    let history = [
        held(JOB_DATING, t0()),
        confirmed(JOB_DATING),
        held(WORKSHOP, t0()),
        confirmed(WORKSHOP),
    ];
    let (starts_at, ends_at) = times(JOB_DATING);
    let moved = Event::SlotMoved(SlotMoved {
        session: session(WORKSHOP),
        starts_at,
        ends_at,
        conflicts: vec![session(JOB_DATING)],
    });
    let command = AgendaCommand::Move {
        session: session(WORKSHOP),
        starts_at,
        ends_at,
        now: after(10),
    };
    Spec::<Agenda>::given(history.clone())
        .when(command.clone())
        .then([moved.clone()]);
    // Moved already: nothing more; a session not in the agenda: nothing.
    Spec::<Agenda>::given(then(&history, [moved]))
        .when(command)
        .then([]);
    Spec::<Agenda>::given(history)
        .when(AgendaCommand::Move {
            session: session(ESCAPE_GAME),
            starts_at,
            ends_at,
            now: after(10),
        })
        .then([]);
}

#[test]
fn a_hold_moved_onto_a_confirmed_session_is_never_confirmed() {
    use proto::registration::agenda::SlotMoved;
    // The job-dating is confirmed; the workshop only held when it moves onto the job-dating's
    // hours (the move names the conflict).
    let (starts_at, ends_at) = times(JOB_DATING);
    let history = vec![
        held(JOB_DATING, t0()),
        confirmed(JOB_DATING),
        held(WORKSHOP, after(5)),
        Event::SlotMoved(SlotMoved {
            session: session(WORKSHOP),
            starts_at,
            ends_at,
            conflicts: vec![session(JOB_DATING)],
        }),
    ];
    // Still a live hold, yet confirming it would confirm two sessions at once: refused.
    Spec::<Agenda>::given(history)
        .when(confirm(WORKSHOP, after(10)))
        .then_error(overlap_with(JOB_DATING));
}
