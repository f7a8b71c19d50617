//! The pure domain of scheduling: how an edition and the events of its programme decide.
//!
//! Organisers create an edition (a week or a day), add events to its programme and schedule their
//! sessions at venues. Each aggregate kind is a [`decider::Decider`]: plain synchronous functions
//! from a state and a command to events or a typed refusal. Nothing here touches the network, the
//! clock or the disk; the shell loads the state, looks up the outside facts a decision needs
//! (an event needs its edition's dates, zone and status: [`EditionFacts`]) and puts them into the
//! command.
//!
//! # Layout
//! - [`edition`]: the [`edition::Edition`] decider: create, move the days, publish, close.
//! - [`event`]: the [`event::EventAggregate`] decider: an event of the programme and its sessions,
//!   with the local-time rules (daylight-saving gaps and folds) and the hosting requests.
//! - [`session`]: the [`session::SessionClaim`] decider: a session id claimed once, by the event
//!   that schedules it, so that it names one session of one edition for ever.
//! - [`EditionFacts`]: what an event's decisions need to know about its edition.
//!
//! **Architecture invariant:** no I/O and no clock. Every decision is a function of the state and
//! the command, so the same history and command always give the same outcome.

pub mod edition;
pub mod event;
pub mod session;

use jiff::civil::Date;
use proto::scheduling::EditionStatus;
use proto::values::{EditionId, TimeZoneName};

pub use edition::{Edition, EditionRefusal, EditionState};
pub use event::{EventAggregate, EventCommand, EventRefusal, EventState, SessionState};
pub use session::{ClaimRefusal, ClaimState, SessionClaim};

/// The facts about an edition that an event's decisions need.
///
/// The shell reads them from the edition's state ([`EditionState::facts`]) and puts them into
/// every [`EventCommand`]: the event aggregate never reads another aggregate itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionFacts {
    /// The edition, checked against the one the event belongs to.
    pub id: EditionId,
    /// Where it stands: nothing but venue answers is accepted once it is closed.
    pub status: EditionStatus,
    /// Its first day: no session starts before it.
    pub first_day: Date,
    /// Its last day, inclusive: no session ends after it.
    pub last_day: Date,
    /// The zone its sessions' local times are written in.
    pub time_zone: TimeZoneName,
}
