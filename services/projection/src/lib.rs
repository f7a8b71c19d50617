//! The projection engine: read models are caches of the log, kept in sled.
//!
//! A projection is a pure fold: [`Projection::apply`] reads and writes its view through a
//! [`View`] and does no I/O. The [`Runner`] reads the projection's streams after the checkpoint
//! it keeps in sled, applies the commits in batches, and writes the view's changes and the new
//! checkpoints in one sled transaction: a crash at any instant neither loses nor double-applies an
//! event. A message that cannot be read is never skipped silently: it goes to the quarantine tree
//! with its reason (or halts the runner, by configuration). Dropping the trees and replaying from
//! sequence 0 rebuilds the view ([`Runner::rebuild`]).
//!
//! The commits of one stream arrive in their order; those of different streams, in no defined
//! order: a read model that merges streams keeps each stream's facts in rows of their own.
//!
//! # Layout
//! - [`Projection`]: what a read model implements.
//! - [`view`]: [`View`], the projection's window on its trees during a batch.
//! - [`runner`]: [`Runner`]: consumers, batches, checkpoints, quarantine, lag, rebuild.
//! - [`reactor`]: [`Reactor`] and [`Dispatch`]: the processes between services, on the same
//!   runner, with an outbox written in the checkpoint's transaction.

pub mod reactor;
pub mod runner;
pub mod view;

pub use reactor::{Cause, Dispatch, DispatchError, Reacting, Reactor};
pub use runner::{Progress, QuarantinedMessage, Runner, RunnerConfig, RunnerError, Undecodable};
pub use view::View;

use proto::StoredEvent;

/// Where an event sits in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position<'a> {
    /// The stream it was read from.
    pub stream: &'a str,
    /// The stream sequence of its commit.
    pub seq: u64,
    /// Its index in the commit.
    pub index: usize,
}

/// Why a projection could not apply an event: the commit goes to quarantine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

impl From<proto::DecodeError> for Rejected {
    fn from(e: proto::DecodeError) -> Self {
        Self(e.to_string())
    }
}

/// A read model: a pure fold of events into sled trees.
pub trait Projection: Send + Sync + 'static {
    /// Its name: the name of its store directory and of `semaine rebuild <name>`.
    fn name(&self) -> &'static str;

    /// The streams it reads.
    fn streams(&self) -> &'static [&'static str];

    /// The sled trees it owns; [`View`] gives access to these only.
    fn trees(&self) -> &'static [&'static str];

    /// The shape of its rows: raised whenever the code starts writing rows the previous code's
    /// rows would not be read as (a tree added, dropped, keyed or encoded otherwise). The runner
    /// keeps it beside the checkpoints; a store written under another layout is dropped and
    /// replayed when it is opened, so that an upgrade never reads rows of the old shape. A store
    /// written before layouts were kept is layout 1.
    fn layout(&self) -> u32 {
        1
    }

    /// Whether it reads the commits of the aggregate at `subject`. The runner skips the others
    /// without decoding them (a read model that ignores the participants' agendas need not read
    /// a third of the registration stream). Every subject, unless the projection says otherwise.
    fn reads(&self, subject: &str) -> bool {
        let _ = subject;
        true
    }

    /// Folds one event into the view. An event the projection does not care about is ignored
    /// (`Ok`); one it cannot read is [`Rejected`], and its whole commit goes to quarantine with
    /// none of its writes kept.
    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        at: Position<'_>,
    ) -> Result<(), Rejected>;
}
