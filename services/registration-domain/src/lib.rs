//! The pure domain of registration: partners register participants (one person, or a group that
//! takes its seats together) into sessions; seats are confirmed up to the capacity the venue
//! confirmed, the rest wait in order; nobody is confirmed in two sessions at once.
//!
//! Four aggregate kinds, each a [`decider::Decider`] of plain synchronous functions from a state and
//! a command to events of [`proto::registration`] or a typed refusal. The shell loads the state,
//! looks up the outside facts a decision needs (the session's dates and audiences, the current
//! time) and puts them into the command.
//!
//! # Layout
//! - [`seats`]: the [`seats::Seats`] decider, one per session (`reg.session.<id>`): capacity,
//!   reserved seats, confirmed registrations, the waiting list and its promotions, check-ins and
//!   no-shows.
//! - [`partner`]: the [`partner::Partner`] decider (`reg.partner.<id>`): declared by an
//!   organiser, retired; only a declared partner registers anyone.
//! - [`participant`]: the [`participant::ParticipantRecord`] decider (`reg.participant.<id>`):
//!   an identity's erasure, recorded once.
//! - [`agenda`]: the [`agenda::Agenda`] decider, one per participant (`reg.agenda.<id>`): the
//!   slots a person holds, so that two overlapping sessions are never both confirmed, and the
//!   hold/confirm/release protocol the shell follows with the seats.
//!
//! **Architecture invariant:** no I/O and no clock. Every decision is a function of the state and
//! the command (the current time comes in the command), so the same history and command always
//! give the same outcome, and a retried command is decided against a state that already holds
//! what the first attempt recorded.

pub mod agenda;
pub mod participant;
pub mod partner;
pub mod seats;

pub use agenda::{Agenda, AgendaCommand, AgendaRefusal, AgendaSlot, AgendaState};
pub use seats::{
    RegistrationRecord, RegistrationStatus, Seats, SeatsCommand, SeatsRefusal, SeatsState,
};

use jiff::Timestamp;

/// Whether two spans of time share an instant. Ends are exclusive: a session ending at 11:30 and
/// one starting at 11:30 do not overlap.
pub fn overlaps(
    a_starts: Timestamp,
    a_ends: Timestamp,
    b_starts: Timestamp,
    b_ends: Timestamp,
) -> bool {
    a_starts < b_ends && b_starts < a_ends
}
