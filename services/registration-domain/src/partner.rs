//! A partner: a channel that registers people (a France Travail agency, a mission locale, a
//! school, a training centre, an association), declared by an organiser. Only a declared partner
//! that is not retired registers anyone.

use decider::Decider;
use proto::refusal::RefusalKind;
use proto::registration::partner::{Command, Declared, Event, PartnerKind, Retired};
use proto::values::{Name, Reason};
use serde::{Deserialize, Serialize};

/// The decider of one partner (`reg.partner.<id>`).
#[derive(Debug, Clone, Copy)]
pub struct Partner;

/// What a partner remembers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerState {
    /// Its name and kind, once declared.
    pub declared: Option<(Name, PartnerKind)>,
    /// Why it was retired, if it was.
    pub retired: Option<Reason>,
}

impl PartnerState {
    /// Whether it may register participants: declared and not retired.
    pub fn may_register(&self) -> bool {
        self.registering().is_ok()
    }

    /// Why it may not register participants, if it may not.
    pub fn registering(&self) -> Result<(), PartnerRefusal> {
        match (&self.declared, &self.retired) {
            (None, _) => Err(PartnerRefusal::NotDeclared),
            (Some(_), Some(reason)) => Err(PartnerRefusal::Retired {
                reason: reason.clone(),
            }),
            (Some(_), None) => Ok(()),
        }
    }
}

/// Why a partner command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartnerRefusal {
    /// Declared already, under another name or kind. The refusal does not say which: the
    /// declaring organiser may be another edition's.
    #[error(
        "this partner id is already declared, under another name or kind; a partner is declared once"
    )]
    AlreadyDeclared,
    /// Never declared.
    #[error("the partner is not declared: an organiser declares it first")]
    NotDeclared,
    /// Retired: it registers nobody more.
    #[error("the partner was retired ({reason}): it registers nobody more")]
    Retired {
        /// Why.
        reason: Reason,
    },
}

impl PartnerRefusal {
    /// A stable code, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyDeclared => "partner-already-declared",
            Self::NotDeclared => "partner-not-declared",
            Self::Retired { .. } => "partner-retired",
        }
    }

    /// How a client should read it: a partner not declared (yet) or retired is a state.
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::AlreadyDeclared | Self::NotDeclared | Self::Retired { .. } => {
                RefusalKind::Conflict
            }
        }
    }
}

impl Decider for Partner {
    type State = PartnerState;
    type Command = Command;
    type Event = Event;
    type Error = PartnerRefusal;

    fn decide(state: &PartnerState, command: &Command) -> Result<Vec<Event>, PartnerRefusal> {
        match (command, &state.declared) {
            (Command::Declare(declare), None) => Ok(vec![Event::Declared(declare.clone())]),
            // The same declaration again records nothing; another one is refused.
            (Command::Declare(declare), Some((name, kind)))
                if (name, kind) == (&declare.name, &declare.kind) =>
            {
                Ok(vec![])
            }
            (Command::Declare(_), Some(_)) => Err(PartnerRefusal::AlreadyDeclared),
            (Command::Retire { .. }, None) => Err(PartnerRefusal::NotDeclared),
            (Command::Retire { .. }, Some(_)) if state.retired.is_some() => Ok(vec![]),
            (Command::Retire { reason }, Some(_)) => Ok(vec![Event::Retired(Retired {
                reason: reason.clone(),
            })]),
        }
    }

    fn evolve(mut state: PartnerState, event: &Event) -> PartnerState {
        match event {
            Event::Declared(Declared { name, kind }) => {
                state.declared = Some((name.clone(), *kind))
            }
            Event::Retired(Retired { reason }) => state.retired = Some(reason.clone()),
        }
        state
    }
}
