//! The decider: how every aggregate of semaine decides, with no I/O.
//!
//! A domain crate implements [`Decider`] for each aggregate kind: `decide` turns a command and the
//! current state into events (or a typed refusal), `evolve` folds one event into the state. Both
//! are plain synchronous functions; whatever outside data a decision needs is looked up by the
//! shell and put into the command. The shell (see the `eventlog` crate) loads the state, calls
//! `decide`, appends the events, and nothing else.
//!
//! # Layout
//! - [`Decider`]: the trait.
//! - [`Spec`]: `given(events).when(command).then(events)`, the shape of every domain test.
//! - [`run`]: a sequence of commands decided one after another, for property tests.
//! - `laws` (with the `laws` feature): the laws every decider keeps, and `laws::every_history`,
//!   the property test that checks them with an aggregate's own rules.

use std::fmt::Debug;

#[cfg(feature = "laws")]
pub mod laws;

/// One aggregate kind's rules.
pub trait Decider {
    /// What the aggregate remembers: everything `decide` needs, folded from its events.
    type State: Default + Clone;
    /// What can be asked of it.
    type Command;
    /// What it records.
    type Event: Clone;
    /// Why a command is refused.
    type Error;

    /// The version of the state's shape. Bump it when `State` changes: saved copies of another
    /// version (snapshots) are ignored and the state is folded from the events again.
    const STATE_VERSION: u32 = 1;

    /// Decides what happens when `command` meets `state`: the events to record, or a refusal.
    fn decide(
        state: &Self::State,
        command: &Self::Command,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    /// Folds one event into the state.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// Folds a history into a state.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self::State
    where
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), |state, e| Self::evolve(state, e))
    }
}

/// One step of a [`run`]: the state a command was decided on, the command, its outcome, and the
/// state after it.
pub struct Step<'a, D: Decider> {
    /// The state the command was decided on.
    pub before: &'a D::State,
    /// The command.
    pub command: &'a D::Command,
    /// What `decide` answered: the events recorded, or the refusal.
    pub outcome: &'a Result<Vec<D::Event>, D::Error>,
    /// The state after it: `before` with the events folded in, or `before` itself when refused.
    pub after: &'a D::State,
}

/// An accepted step, as [`Step::accepted`] gives it: the state before, the command, the events
/// it recorded, the state after.
pub type Accepted<'a, D> = (
    &'a <D as Decider>::State,
    &'a <D as Decider>::Command,
    &'a [<D as Decider>::Event],
    &'a <D as Decider>::State,
);

impl<'a, D: Decider> Step<'a, D> {
    /// The step as `(before, command, events, after)` when the command was accepted; `None` when
    /// it was refused. Most of an aggregate's rules are about what an accepted command did.
    pub fn accepted(&self) -> Option<Accepted<'a, D>> {
        let events = self.outcome.as_ref().ok()?;
        Some((self.before, self.command, events, self.after))
    }
}

/// Decides `commands` one after another from the empty state, as the shell does: an accepted
/// command's events are folded into the state, a refused one records nothing. `check` sees every
/// step (property tests assert the aggregate's invariants there). Returns the events recorded, in
/// order: the aggregate's history.
pub fn run<'c, D: Decider>(
    commands: impl IntoIterator<Item = &'c D::Command>,
    mut check: impl FnMut(Step<'_, D>),
) -> Vec<D::Event>
where
    D::Command: 'c,
{
    let mut state = D::State::default();
    let mut history = Vec::new();
    for command in commands {
        let outcome = D::decide(&state, command);
        let after = match &outcome {
            Ok(events) => events.iter().fold(state.clone(), |s, e| D::evolve(s, e)),
            Err(_) => state.clone(),
        };
        check(Step {
            before: &state,
            command,
            outcome: &outcome,
            after: &after,
        });
        if let Ok(events) = outcome {
            history.extend(events);
        }
        state = after;
    }
    history
}

/// A given/when/then specification of one rule.
///
/// ```
/// # use decider::{Decider, Spec};
/// struct Counter;
/// impl Decider for Counter {
///     type State = u32;
///     type Command = u32;
///     type Event = u32;
///     type Error = &'static str;
///     fn decide(state: &u32, add: &u32) -> Result<Vec<u32>, &'static str> {
///         if state + add > 10 { Err("full") } else { Ok(vec![*add]) }
///     }
///     fn evolve(state: u32, added: &u32) -> u32 { state + added }
/// }
/// let after = Spec::<Counter>::given([4, 5]).when(1).then([1]);
/// assert_eq!(after, 10);
/// Spec::<Counter>::given([4, 5]).when(2).then_error("full");
/// ```
pub struct Spec<D: Decider> {
    history: Vec<D::Event>,
}

/// A specification with its command, waiting for the expected outcome.
pub struct When<D: Decider> {
    state: D::State,
    command: D::Command,
}

impl<D: Decider> Spec<D> {
    /// The events already recorded.
    pub fn given(history: impl IntoIterator<Item = D::Event>) -> Self {
        Self {
            history: history.into_iter().collect(),
        }
    }

    /// The command under test.
    pub fn when(self, command: D::Command) -> When<D> {
        When {
            state: D::fold(&self.history),
            command,
        }
    }
}

impl<D> When<D>
where
    D: Decider,
    D::Event: PartialEq + Debug,
    D::Error: PartialEq + Debug,
{
    /// Asserts the command is accepted and records exactly `expected`. Returns the state after
    /// them, for a rule that says more of it.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = D::Event>) -> D::State {
        let expected: Vec<D::Event> = expected.into_iter().collect();
        match D::decide(&self.state, &self.command) {
            Ok(events) => assert_eq!(events, expected, "the command recorded other events"),
            Err(error) => panic!("the command was refused with {error:?}, expected {expected:?}"),
        }
        expected
            .iter()
            .fold(self.state, |state, e| D::evolve(state, e))
    }

    /// Asserts the command is refused with `expected`, recording nothing.
    #[track_caller]
    pub fn then_error(self, expected: D::Error) {
        match D::decide(&self.state, &self.command) {
            Ok(events) => panic!("the command was accepted with {events:?}, expected {expected:?}"),
            Err(error) => assert_eq!(
                error, expected,
                "the command was refused for another reason"
            ),
        }
    }
}
