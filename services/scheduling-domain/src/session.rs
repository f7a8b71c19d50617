//! A session id's claim: the id names one session of one event of one edition, for ever.
//!
//! The event aggregate decides its own sessions, but cannot see another event's: the claim is
//! what makes a session id unique across every event and edition. The shell stores the first
//! `SessionScheduled` of an id in the same atomic write as the claim's `Claimed`, at the claim's
//! version (0 for a free id), so of two events scheduling one id at once exactly one wins; the
//! other is decided again and refused.

use proto::refusal::RefusalKind;
use proto::scheduling::session::{Event, Owner};
use serde::{Deserialize, Serialize};

/// The decider of a session id's claim (`sched.session.<id>`).
pub struct SessionClaim;

/// Who holds the id, if anyone; snapshotted, hence serde.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimState {
    /// The event (and its edition) that scheduled the session, once claimed.
    pub owner: Option<Owner>,
}

impl ClaimState {
    /// Whether `owner` may schedule a session under this id (free, or already its own).
    pub fn admits(&self, owner: &Owner) -> bool {
        self.owner.is_none_or(|held| held == *owner)
    }
}

/// Why a claim is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefusal {
    /// Another event holds the id. Whose is not said: it may be another edition's.
    #[error("this session id is already used by another session; choose another id")]
    Taken,
}

impl ClaimRefusal {
    /// A stable code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Taken => "session-id-taken",
        }
    }

    /// How a client should read it (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::Taken => RefusalKind::Conflict,
        }
    }
}

impl decider::Decider for SessionClaim {
    type State = ClaimState;
    /// The event that schedules a session under the id.
    type Command = Owner;
    type Event = Event;
    type Error = ClaimRefusal;

    fn decide(state: &ClaimState, owner: &Owner) -> Result<Vec<Event>, ClaimRefusal> {
        match state.owner {
            None => Ok(vec![Event::Claimed(*owner)]),
            Some(held) if held == *owner => Ok(vec![]),
            Some(_) => Err(ClaimRefusal::Taken),
        }
    }

    fn evolve(state: ClaimState, event: &Event) -> ClaimState {
        match event {
            // The first claim stands: a second is never decided, and would not move it.
            Event::Claimed(owner) => ClaimState {
                owner: state.owner.or(Some(*owner)),
            },
        }
    }
}
