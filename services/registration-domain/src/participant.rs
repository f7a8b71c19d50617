//! A participant's record (`reg.participant.<id>`): what happens to the person as such.
//!
//! Today one thing: their identity is erased (its key destroyed by the shell right after), on
//! request or when the edition's retention ends. The record says it happened, once; the
//! envelope says who asked and when. Nothing here is personal data.

use proto::refusal::RefusalKind;
use proto::registration::participant::{Erased, ErasureReason, Event};
use serde::{Deserialize, Serialize};

/// The decider of a participant's record.
pub struct ParticipantRecord;

/// What a participant's record remembers; snapshotted, hence serde.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantState {
    /// Why the identity was erased, once it was.
    pub erased: Option<ErasureReason>,
}

/// What can be asked of a participant's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantCommand {
    /// Records the erasure of the identity (the shell then destroys its key).
    Erase {
        /// Why.
        reason: ErasureReason,
    },
}

/// A participant's record refuses nothing: an erasure asked again records nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParticipantRefusal {}

impl ParticipantRefusal {
    /// A stable code for APIs and logs.
    pub fn code(&self) -> &'static str {
        match *self {}
    }

    /// How a client should read it (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        match *self {}
    }
}

impl decider::Decider for ParticipantRecord {
    type State = ParticipantState;
    type Command = ParticipantCommand;
    type Event = Event;
    type Error = ParticipantRefusal;

    fn decide(
        state: &ParticipantState,
        command: &ParticipantCommand,
    ) -> Result<Vec<Event>, ParticipantRefusal> {
        match command {
            ParticipantCommand::Erase { .. } if state.erased.is_some() => Ok(vec![]),
            ParticipantCommand::Erase { reason } => {
                Ok(vec![Event::Erased(Erased { reason: *reason })])
            }
        }
    }

    fn evolve(state: ParticipantState, event: &Event) -> ParticipantState {
        match event {
            Event::Erased(erased) => ParticipantState {
                erased: state.erased.or(Some(erased.reason)),
            },
        }
    }
}
