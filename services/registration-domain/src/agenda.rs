//! A participant's agenda: the sessions a person holds a slot in (aggregate
//! `reg.agenda.<participant id>`), so that one person is never confirmed in two sessions that
//! overlap in time, also when two requests for them arrive at once.
//!
//! The seats of two sessions are two aggregates, and neither can see the other; the agenda is the
//! one aggregate that sees every session of one person. Two registrations of the same person that
//! arrive at once both go through it, are serialised by the shell's optimistic append, and the
//! second is decided against a state that already holds the first.
//!
//! # The protocol
//! The shell registering a participant into a session decides [`AgendaCommand::Keep`] on the
//! participant's agenda (refused with [`AgendaRefusal::Overlap`] if a confirmed slot or a live
//! hold overlaps it, and then nothing else happens), then the registration on the session's seats
//! ([`crate::seats::SeatsCommand::Register`]). When the seats confirm it, the agenda's events
//! ([`Event::SlotHeld`], [`Event::SlotConfirmed`]) are stored with the seats' in one atomic
//! write, expecting the agenda's version they were decided on: two registrations of the same
//! person at once are serialised there, and the second is decided again on the agenda the first
//! left. A waiting registration keeps no slot.
//!
//! A reactor on the seats' events keeps the slots of registrations confirmed later: `Promoted` (or
//! `Confirmed`, kept already unless the registration came from an older version) → keep; `Waitlisted`, `Demoted` or `Cancelled` → release. A promoted
//! participant whose slot cannot be kept because they were confirmed elsewhere at that time in
//! the meantime is cancelled by the reactor ([`proto::registration::CancelledBy::Overlap`]),
//! which frees the seat and promotes the next person waiting. [`AgendaCommand::Hold`] and
//! [`AgendaCommand::Confirm`] are the two halves of a keep, still read in older histories (a
//! registration held its slot, then confirmed it, in two writes); a hold never confirmed stops
//! blocking other sessions after [`HOLD_LAPSES_AFTER_SECONDS`].
//!
//! ```text
//! Hold ──> held ─┬─ Confirm ──> confirmed ── Release ──> (gone)
//!                ├─ Release ──> (gone)
//!                └─ 120 s pass ──> lapsed: blocks nothing; Confirm only if nothing live overlaps
//! ```

use std::collections::BTreeMap;

use decider::Decider;
use jiff::{SignedDuration, Timestamp};
use proto::refusal::RefusalKind;
use proto::registration::RegistrationId;
use proto::registration::agenda::{Event, HOLD_LAPSES_AFTER_SECONDS, Slot, SlotHeld, SlotMoved};
use proto::values::SessionId;
use serde::{Deserialize, Serialize};

use crate::overlaps;

/// The decider of a participant's agenda.
#[derive(Debug, Clone, Copy)]
pub struct Agenda;

/// What can be asked of a participant's agenda. The current time, when a decision needs it, is
/// put in by the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgendaCommand {
    /// Holds the session's slot before registering, blocking overlapping sessions.
    Hold {
        /// The session.
        session: SessionId,
        /// The registration being made.
        registration: RegistrationId,
        /// The session's start, from the scheduling context.
        starts_at: Timestamp,
        /// The session's end.
        ends_at: Timestamp,
        /// The current time: when the hold starts, and which other holds still live.
        now: Timestamp,
    },
    /// Holds and confirms the slot at once: the seat is confirmed in the same commit (the
    /// registration stores the agenda's events with its own, see the protocol above). Refused as
    /// a hold is; a slot already held is confirmed as [`AgendaCommand::Confirm`] would.
    Keep {
        /// The session.
        session: SessionId,
        /// The registration confirmed.
        registration: RegistrationId,
        /// The session's start, from the scheduling context.
        starts_at: Timestamp,
        /// The session's end.
        ends_at: Timestamp,
        /// The current time: which other holds still live.
        now: Timestamp,
    },
    /// Confirms a held slot: the seat is confirmed.
    Confirm {
        /// The session.
        session: SessionId,
        /// The current time: a lapsed hold is confirmed only if nothing live overlaps it.
        now: Timestamp,
    },
    /// Releases a slot: the registration waits, was refused or cancelled.
    Release {
        /// The session.
        session: SessionId,
    },
    /// The session moved in time: the slot follows it, and the participant's other sessions it
    /// now overlaps are reported; the registration is kept (its partner decides).
    Move {
        /// The session.
        session: SessionId,
        /// New start.
        starts_at: Timestamp,
        /// New end.
        ends_at: Timestamp,
        /// The current time: which holds still live.
        now: Timestamp,
    },
}

/// What a participant's agenda remembers. Snapshotted by the shell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgendaState {
    /// The slots held or confirmed, by session: what a new hold is checked against.
    pub slots: BTreeMap<SessionId, AgendaSlot>,
}

/// One session in a participant's agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaSlot {
    /// The registration it was held for, to repair the seats if needed.
    pub registration: RegistrationId,
    /// The session's start: with `ends_at`, the time the person is taken.
    pub starts_at: Timestamp,
    /// The session's end, exclusive: a session starting then does not overlap.
    pub ends_at: Timestamp,
    /// When it was held: an unconfirmed hold lapses [`HOLD_LAPSES_AFTER_SECONDS`] later.
    pub held_at: Timestamp,
    /// Whether the seat is confirmed: a confirmed slot blocks overlapping sessions for good.
    pub confirmed: bool,
}

/// Why a participant's agenda refuses a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgendaRefusal {
    /// The participant holds or is confirmed in another session at an overlapping time.
    #[error(
        "the participant is already registered in session {session}, which overlaps this one; \
         cancel that registration first or choose a session at another time"
    )]
    Overlap {
        /// The session that overlaps.
        session: SessionId,
    },
    /// The session was not held in the agenda.
    #[error("session {session} is not held in the participant's agenda; hold it before confirming")]
    NotHeld {
        /// The session.
        session: SessionId,
    },
}

impl AgendaRefusal {
    /// A stable kebab-case code for this refusal, for API clients to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Overlap { .. } => "agenda-overlap",
            Self::NotHeld { .. } => "slot-not-held",
        }
    }

    /// How a client should read it (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::Overlap { .. } | Self::NotHeld { .. } => RefusalKind::Conflict,
        }
    }
}

impl Decider for Agenda {
    type State = AgendaState;
    type Command = AgendaCommand;
    type Event = Event;
    type Error = AgendaRefusal;

    const STATE_VERSION: u32 = 1;

    fn decide(state: &AgendaState, command: &AgendaCommand) -> Result<Vec<Event>, AgendaRefusal> {
        match command {
            AgendaCommand::Hold {
                session,
                registration,
                starts_at,
                ends_at,
                now,
            } => {
                if state.slots.contains_key(session) {
                    return Ok(vec![]);
                }
                if let Some(other) = state.live_overlap(*session, *starts_at, *ends_at, *now) {
                    return Err(AgendaRefusal::Overlap { session: other });
                }
                Ok(vec![Event::SlotHeld(SlotHeld {
                    session: *session,
                    registration: *registration,
                    starts_at: *starts_at,
                    ends_at: *ends_at,
                    held_at: *now,
                })])
            }
            AgendaCommand::Keep {
                session,
                registration,
                starts_at,
                ends_at,
                now,
            } => {
                let hold = AgendaCommand::Hold {
                    session: *session,
                    registration: *registration,
                    starts_at: *starts_at,
                    ends_at: *ends_at,
                    now: *now,
                };
                let mut events = Self::decide(state, &hold)?;
                let held = events.iter().fold(state.clone(), Self::evolve);
                let confirm = AgendaCommand::Confirm {
                    session: *session,
                    now: *now,
                };
                events.extend(Self::decide(&held, &confirm)?);
                Ok(events)
            }
            AgendaCommand::Confirm { session, now } => {
                let slot = state
                    .slots
                    .get(session)
                    .ok_or(AgendaRefusal::NotHeld { session: *session })?;
                if slot.confirmed {
                    return Ok(vec![]);
                }
                // Checked again, even for a live hold: the hold may have been moved onto another
                // session since, or the other confirmed at an earlier instant.
                if let Some(other) =
                    state.live_overlap(*session, slot.starts_at, slot.ends_at, *now)
                {
                    return Err(AgendaRefusal::Overlap { session: other });
                }
                Ok(vec![Event::SlotConfirmed(Slot { session: *session })])
            }
            AgendaCommand::Move {
                session,
                starts_at,
                ends_at,
                now,
            } => Ok(match state.slots.get(session) {
                Some(slot) if (slot.starts_at, slot.ends_at) != (*starts_at, *ends_at) => {
                    let conflicts = state
                        .slots
                        .iter()
                        .filter(|(other, taken)| {
                            *other != session
                                && (taken.confirmed || taken.is_live(*now))
                                && crate::overlaps(
                                    taken.starts_at,
                                    taken.ends_at,
                                    *starts_at,
                                    *ends_at,
                                )
                        })
                        .map(|(other, _)| *other)
                        .collect();
                    vec![Event::SlotMoved(SlotMoved {
                        session: *session,
                        starts_at: *starts_at,
                        ends_at: *ends_at,
                        conflicts,
                    })]
                }
                _ => vec![],
            }),
            AgendaCommand::Release { session } => Ok(if state.slots.contains_key(session) {
                vec![Event::SlotReleased(Slot { session: *session })]
            } else {
                vec![]
            }),
        }
    }

    fn evolve(mut state: AgendaState, event: &Event) -> AgendaState {
        match event {
            Event::SlotHeld(held) => {
                state.slots.insert(
                    held.session,
                    AgendaSlot {
                        registration: held.registration,
                        starts_at: held.starts_at,
                        ends_at: held.ends_at,
                        held_at: held.held_at,
                        confirmed: false,
                    },
                );
            }
            Event::SlotConfirmed(slot) => {
                if let Some(kept) = state.slots.get_mut(&slot.session) {
                    kept.confirmed = true;
                }
            }
            Event::SlotReleased(slot) => {
                state.slots.remove(&slot.session);
            }
            Event::SlotMoved(moved) => {
                if let Some(kept) = state.slots.get_mut(&moved.session) {
                    kept.starts_at = moved.starts_at;
                    kept.ends_at = moved.ends_at;
                }
            }
        }
        state
    }
}

impl AgendaState {
    /// A session's slot, held or confirmed.
    pub fn slot(&self, session: SessionId) -> Option<&AgendaSlot> {
        self.slots.get(&session)
    }

    /// Whether the slot of `session` is confirmed for `registration` at these times: holding and
    /// confirming it again would change nothing.
    pub fn keeps(
        &self,
        session: SessionId,
        registration: RegistrationId,
        starts_at: Timestamp,
        ends_at: Timestamp,
    ) -> bool {
        self.slots.get(&session).is_some_and(|slot| {
            slot.confirmed
                && slot.registration == registration
                && slot.starts_at == starts_at
                && slot.ends_at == ends_at
        })
    }

    /// The first other session (by id) whose slot is live at `now` (confirmed, or held less than
    /// [`HOLD_LAPSES_AFTER_SECONDS`] ago) and overlaps `starts_at..ends_at`.
    pub fn live_overlap(
        &self,
        session: SessionId,
        starts_at: Timestamp,
        ends_at: Timestamp,
        now: Timestamp,
    ) -> Option<SessionId> {
        self.slots
            .iter()
            .find(|(other, slot)| {
                **other != session
                    && slot.is_live(now)
                    && overlaps(starts_at, ends_at, slot.starts_at, slot.ends_at)
            })
            .map(|(other, _)| *other)
    }
}

impl AgendaSlot {
    /// Whether it blocks overlapping sessions at `now`: it is confirmed, or it was held less than
    /// [`HOLD_LAPSES_AFTER_SECONDS`] before `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.confirmed
            || now.duration_since(self.held_at)
                < SignedDuration::from_secs(HOLD_LAPSES_AFTER_SECONDS)
    }
}
