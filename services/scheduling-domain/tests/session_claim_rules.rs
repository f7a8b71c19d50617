//! The rules of a session id's claim: one event of one edition holds it, for ever.

use decider::{Decider, Spec};
use proto::scheduling::session::{Event, Owner};
use proto::values::{EditionId, EventId};
use scheduling_domain::{ClaimRefusal, ClaimState, SessionClaim};
use uuid::Uuid;

/// The theatre for collégiens in the Hautes-Alpes week.
fn theatre() -> Owner {
    Owner {
        edition: EditionId(Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_00ed)),
        event: EventId(Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0e01)),
    }
}

/// Another edition's event (another département's week).
fn elsewhere() -> Owner {
    Owner {
        edition: EditionId(Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_01ed)),
        event: EventId(Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_1e01)),
    }
}

/// Another event of the same edition.
fn job_dating() -> Owner {
    Owner {
        event: EventId(Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0e02)),
        ..theatre()
    }
}

#[test]
fn a_free_id_is_claimed_by_the_event_that_schedules_it() {
    Spec::<SessionClaim>::given(vec![])
        .when(theatre())
        .then(vec![Event::Claimed(theatre())]);
}

#[test]
fn the_same_event_claiming_again_records_nothing() {
    Spec::<SessionClaim>::given(vec![Event::Claimed(theatre())])
        .when(theatre())
        .then(vec![]);
}

#[test]
fn another_edition_cannot_take_a_claimed_id() {
    Spec::<SessionClaim>::given(vec![Event::Claimed(theatre())])
        .when(elsewhere())
        .then_error(ClaimRefusal::Taken);
}

#[test]
fn another_event_of_the_same_edition_cannot_take_it_either() {
    Spec::<SessionClaim>::given(vec![Event::Claimed(theatre())])
        .when(job_dating())
        .then_error(ClaimRefusal::Taken);
}

#[test]
fn the_first_claim_stands_whatever_follows_in_an_old_history() {
    let state = SessionClaim::fold(&[Event::Claimed(theatre()), Event::Claimed(elsewhere())]);
    assert_eq!(state.owner, Some(theatre()));
    assert!(state.admits(&theatre()));
    assert!(!state.admits(&elsewhere()));
    assert!(ClaimState::default().admits(&elsewhere()));
    assert_eq!(ClaimRefusal::Taken.code(), "session-id-taken");
}
