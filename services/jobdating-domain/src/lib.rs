//! The pure domain of job-dating: employers meet candidates in short interviews, one candidate at
//! one table in one slot, on a floor cut into slots; partners book slots or send their
//! candidates' ranked wishes, and the planner builds every timetable at once.
//!
//! # Layout
//! - [`floor`]: the [`floor::Floor`] decider, one per job-dating session (`jd.session.<id>`):
//!   set-up and slots, employers, recruiters' tables, blocked slots, bookings, wishes, the
//!   planner's drafts and their announcement, outcomes. Every rule about who sits where and when
//!   is decided by this one aggregate.
//! - [`planner`]: the planner, a pure function from an [`planner::Instance`] (the floor as
//!   indexes) and a seed to a [`planner::Plan`]: rounds by rank of maximum bipartite matchings.
//! - [`cut_slots`] and [`Gap`]: how a session is cut into slots, and when two slots may both be
//!   one candidate's.
//!
//! **Architecture invariant:** no I/O and no clock. Every decision is a function of the state and
//! the command (the current time comes in the command); the planner is deterministic (ties are
//! broken by a seeded hash, never by arrival order or a random source).

pub mod floor;
pub mod planner;

pub use floor::{Floor, FloorCommand, FloorRefusal, FloorState};

use jiff::{SignedDuration, Timestamp};
use proto::jobdating::{Setup, Span};

/// The least time between two interviews of one candidate, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap(pub i64);

impl Gap {
    /// Whether two spans (start, end; ends exclusive) may both be one candidate's: one ends at
    /// least the gap before the other starts. A span is never apart from itself.
    pub fn apart(self, a: (i64, i64), b: (i64, i64)) -> bool {
        a.0 >= b.1.saturating_add(self.0) || b.0 >= a.1.saturating_add(self.0)
    }
}

/// Seconds since the Unix epoch, the planner's unit of time.
pub fn seconds(at: Timestamp) -> i64 {
    at.as_second()
}

/// The slots of a set-up, in time order: from the session's start, one slot length after
/// another; a slot that would overlap a break starts at the break's end instead; no slot ends
/// after the session. Empty when nothing fits.
pub fn cut_slots(setup: &Setup) -> Vec<Span> {
    let length = SignedDuration::from_mins(i64::from(setup.slot_minutes.get()));
    let mut slots = Vec::new();
    let mut starts_at = setup.starts_at;
    while let Ok(ends_at) = starts_at.checked_add(length) {
        if ends_at > setup.ends_at {
            break;
        }
        let interrupted = setup
            .breaks
            .iter()
            .filter(|b| b.starts_at < ends_at && starts_at < b.ends_at)
            .map(|b| b.ends_at)
            .max();
        match interrupted {
            Some(resume) if resume > starts_at => starts_at = resume,
            Some(_) => break,
            None => {
                slots.push(Span { starts_at, ends_at });
                starts_at = ends_at;
            }
        }
    }
    slots
}
