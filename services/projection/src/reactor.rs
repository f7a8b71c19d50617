//! Reactors: the processes between services (event → command), on the projection runner.
//!
//! A reactor is two halves. [`Reactor::react`] is pure: it says which reactions an event calls
//! for. The runner applies it like a projection and writes the reactions to an outbox tree *in
//! the same sled transaction as the checkpoint* — a reaction is never lost, whatever the instant
//! of a crash. [`Dispatch::dispatch`] is the I/O half: it carries out one reaction (usually a
//! command through the event log), and the reaction leaves the outbox only once it succeeded. A
//! crash between the two carries the reaction out again with the same key: the command it sends
//! must be idempotent on that key, which the event log's commands are.

use std::time::Duration;

use proto::StoredEvent;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tracing::{Instrument, error, warn};
use uuid::Uuid;

use crate::{Position, Projection, Rejected, Runner, RunnerError, View};

/// What a reaction's dispatch may answer besides success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// It may succeed later (the log is unavailable, a conflict persisted): try again.
    #[error("cannot carry out the reaction yet: {0}")]
    Retry(String),
    /// It will never succeed (its command is refused): quarantine it with the reason.
    #[error("the reaction is refused: {0}")]
    Refused(String),
}

/// The pure half of a reactor: which reactions an event calls for.
pub trait Reactor: Send + Sync + 'static {
    /// What the reactor does, e.g. a command to send.
    type Reaction: Serialize + DeserializeOwned + Send + Sync;

    /// Its name: the name of its store directory.
    fn name(&self) -> &'static str;

    /// The streams it follows.
    fn streams(&self) -> &'static [&'static str];

    /// The reactions `event` calls for, in order; none for events it does not follow.
    fn react(&self, event: &StoredEvent, at: Position<'_>)
    -> Result<Vec<Self::Reaction>, Rejected>;
}

/// Where a reaction comes from: the event that caused it, and that event's correlation id, so
/// that the command it sends carries them on (traces follow a request across services).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// The correlation id of the causing event.
    pub correlation_id: Uuid,
    /// The causing event's id.
    pub event_id: Uuid,
}

/// A reaction as kept in the outbox: with its cause.
#[derive(Serialize, Deserialize)]
struct Pending<R> {
    cause: Cause,
    reaction: R,
}

/// The I/O half of a reactor: carries out one reaction.
pub trait Dispatch<R>: Send + Sync {
    /// Carries out `reaction`. `key` is stable for this reaction (the reactor's name, the
    /// causing event's id, the reaction's index): use it as the command's idempotency key, and
    /// `cause` for its correlation and causation ids.
    fn dispatch(
        &self,
        key: &str,
        cause: &Cause,
        reaction: &R,
    ) -> impl Future<Output = Result<(), DispatchError>> + Send;
}

/// A reactor seen as a projection whose only view is its outbox.
pub struct Reacting<R>(pub R);

impl<R: Reactor> Projection for Reacting<R> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn streams(&self) -> &'static [&'static str] {
        self.0.streams()
    }

    fn trees(&self) -> &'static [&'static str] {
        &[]
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        at: Position<'_>,
    ) -> Result<(), Rejected> {
        for (n, reaction) in self.0.react(event, at)?.iter().enumerate() {
            // Ordered as the log is; the readable part is the dispatch key.
            let mut key = at.stream.as_bytes().to_vec();
            key.push(0);
            key.extend_from_slice(&at.seq.to_be_bytes());
            key.extend_from_slice(&u32::try_from(at.index).unwrap_or(u32::MAX).to_be_bytes());
            key.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
            key.extend_from_slice(
                format!("{}:{}:{n}", self.0.name(), event.envelope.id).as_bytes(),
            );
            let pending = Pending {
                cause: Cause {
                    correlation_id: event.envelope.correlation_id,
                    event_id: event.envelope.id,
                },
                reaction,
            };
            let payload = serde_json::to_vec(&pending).map_err(|e| Rejected(e.to_string()))?;
            view.emit(key, payload);
        }
        Ok(())
    }
}

/// The dispatch key of an outbox key: what follows its ordering prefix (the stream's name, a
/// NUL, then the sequence, the event's index and the reaction's index: 16 bytes).
fn dispatch_key(outbox_key: &[u8]) -> String {
    let after_stream = outbox_key.iter().position(|b| *b == 0).map_or(0, |i| i + 1);
    let readable = outbox_key.get(after_stream + 16..).unwrap_or_default();
    String::from_utf8_lossy(readable).into_owned()
}

impl<R: Reactor> Runner<Reacting<R>> {
    /// Carries out every reaction in the outbox, in order. Stops at the first one to retry
    /// (returning how many were done); quarantines the refused ones.
    pub async fn dispatch_outbox<D: Dispatch<R::Reaction>>(
        &self,
        dispatcher: &D,
    ) -> Result<usize, RunnerError> {
        let mut done = 0;
        for (key, payload) in self.outbox()? {
            let pending: Pending<R::Reaction> = match serde_json::from_slice(&payload) {
                Ok(pending) => pending,
                Err(e) => {
                    self.quarantine_reaction(&key, &payload, format!("unreadable reaction: {e}"))?;
                    continue;
                }
            };
            let dispatch_key = dispatch_key(&key);
            // The reaction is part of what its cause's request started: its span and the
            // commands its dispatcher makes carry the cause's correlation id.
            let span = tracing::info_span!(
                "reaction",
                reactor = self.name(),
                key = %dispatch_key,
                correlation_id = %pending.cause.correlation_id,
            );
            let dispatched = eventlog::correlation::scope(
                pending.cause.correlation_id,
                dispatcher.dispatch(&dispatch_key, &pending.cause, &pending.reaction),
            )
            .instrument(span.clone())
            .await;
            // What comes of it is logged in the reaction's span too (no await below).
            let _in_reaction = span.enter();
            match dispatched {
                Ok(()) => {
                    self.done(&key)?;
                    done += 1;
                }
                Err(DispatchError::Retry(reason)) => {
                    warn!(reactor = self.name(), key = %dispatch_key, %reason, "reaction to retry");
                    return Ok(done);
                }
                Err(DispatchError::Refused(reason)) => {
                    error!(reactor = self.name(), key = %dispatch_key, %reason, "reaction refused; quarantined");
                    self.quarantine_reaction(&key, &payload, reason)?;
                }
            }
        }
        Ok(done)
    }

    /// Runs the reactor until `shutdown` completes: applies events to the outbox, then carries
    /// out the outbox, again and again; a reaction to retry is tried again after a pause.
    pub async fn run_reactor<D: Dispatch<R::Reaction>>(
        mut self,
        dispatcher: D,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), RunnerError> {
        tokio::pin!(shutdown);
        loop {
            // Reactions left by a previous run (or a retry) go first.
            let pending = self.outbox()?.len();
            let done = self.dispatch_outbox(&dispatcher).await?;
            let wait_for_events = done == pending;
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                result = self.step(), if wait_for_events => { result?; }
                () = tokio::time::sleep(Duration::from_millis(500)), if !wait_for_events => {}
            }
        }
    }
}
