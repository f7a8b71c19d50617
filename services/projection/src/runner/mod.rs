//! [`Runner`]: feeds a projection from its streams and keeps its checkpoints.
//!
//! A store that cannot be opened because it is damaged (sled reports corruption, or panics
//! reading it) is moved aside, next to where it was (`<dir>.corrupt-<unix seconds>`), and a fresh
//! one replays the streams: a read model is a cache of the log, so a lost store costs a replay,
//! never a crash loop. A missing store is simply created and replayed. Until a runner has applied
//! what its streams held when it started (or was rebuilt), its [`Progress`] says it has not
//! caught up; the gateway's `/readyz` waits for it.
//!
//! Here: the runner's settings, errors and progress, and its life (open, catch up, run, step,
//! rebuild). Its parts: `store` opens a sled store on disk (setting a damaged one aside),
//! `trees` keeps the runner's own rows beside the view (checkpoints, layout, quarantine,
//! outbox), `feed` reads the streams, `batch` applies a batch and commits it in one
//! transaction.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

use crate::Projection;

mod batch;
mod feed;
mod store;
mod trees;

use feed::Feed;
use store::open_or_set_aside;

const OUTBOX: &str = "__outbox";
const CHECKPOINTS: &str = "__checkpoints";
const QUARANTINE: &str = "__quarantine";
/// The key, in the checkpoints tree, that marks a rebuild in progress.
const REBUILDING: &[u8] = b"__rebuilding";
/// The key, in the checkpoints tree, of the layout the view was written under
/// ([`Projection::layout`], four bytes big-endian).
const LAYOUT: &[u8] = b"__layout";

/// What to do with a message the projection cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Undecodable {
    /// Put it in the quarantine tree with its reason, log an error, carry on.
    #[default]
    Quarantine,
    /// Stop the runner before it, with an error; nothing after it is applied.
    Halt,
}

/// How a runner batches and reacts.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// The most commits applied in one sled transaction.
    pub batch_size: usize,
    /// What to do with a message the projection cannot read.
    pub on_undecodable: Undecodable,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            batch_size: 1024,
            on_undecodable: Undecodable::Quarantine,
        }
    }
}

/// How far a projection has applied each of its streams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// The last stream sequence applied, per stream.
    pub checkpoints: BTreeMap<String, u64>,
    /// Whether the runner has applied everything its streams held when it started running (or
    /// was rebuilt): false while a new, replaced or rebuilt store replays the log. Once true it
    /// stays true; the usual lag behind new messages does not make a read model unready.
    pub caught_up: bool,
}

/// A message that was not applied, kept with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedMessage {
    /// The stream it was read from.
    pub stream: String,
    /// Its stream sequence.
    pub seq: u64,
    /// Its subject.
    pub subject: String,
    /// Why it was not applied.
    pub reason: String,
    /// Its body, as text (lossy), for a person to look at.
    pub body: String,
}

/// Why a runner stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The sled store failed.
    #[error("projection `{projection}`: the sled store failed: {source}")]
    Store {
        /// Which projection.
        projection: &'static str,
        /// sled's error.
        #[source]
        source: sled::Error,
    },
    /// JetStream could not be asked.
    #[error("projection `{projection}`: cannot read stream `{stream}`: {reason}")]
    Stream {
        /// Which projection.
        projection: &'static str,
        /// Which stream.
        stream: String,
        /// What the client said.
        reason: String,
    },
    /// A message could not be read and the runner is configured to halt.
    #[error("projection `{projection}` halted before {stream} #{seq}: {reason}")]
    Halted {
        /// Which projection.
        projection: &'static str,
        /// The message's stream.
        stream: String,
        /// Its sequence.
        seq: u64,
        /// Why it could not be applied.
        reason: String,
    },
}

/// Runs one projection: its own sled store, its checkpoints, its feeders.
pub struct Runner<P: Projection> {
    projection: Arc<P>,
    db: sled::Db,
    trees: Vec<sled::Tree>,
    js: jetstream::Context,
    config: RunnerConfig,
    progress: watch::Sender<Progress>,
    feed: Option<Feed>,
    /// The stream ends to reach before the runner says it caught up, once known.
    catch_up_to: Option<Vec<(String, u64)>>,
    /// Where a damaged store was moved when this runner opened, if it was.
    set_aside: Option<std::path::PathBuf>,
}

impl<P: Projection> Runner<P> {
    /// Opens the projection's sled store in `dir` (created if absent: the runner replays the
    /// streams) and reads its checkpoints.
    ///
    /// A store sled cannot open because it is damaged is moved aside (see
    /// [`Runner::set_aside`]) and replaced by an empty one, which replays the streams.
    pub fn open(
        projection: P,
        dir: &Path,
        js: jetstream::Context,
        config: RunnerConfig,
    ) -> Result<Self, RunnerError> {
        let name = projection.name();
        let store = |source| RunnerError::Store {
            projection: name,
            source,
        };
        let names: Vec<&'static str> = projection
            .trees()
            .iter()
            .chain([OUTBOX, CHECKPOINTS, QUARANTINE].iter())
            .copied()
            .collect();
        let (db, trees, set_aside) = open_or_set_aside(dir, &names).map_err(store)?;
        if let Some(aside) = &set_aside {
            error!(
                projection = name,
                store = %dir.display(),
                moved_to = %aside.display(),
                "the store was damaged: moved aside; replaying the log into a new one"
            );
        }
        let runner = Self {
            projection: Arc::new(projection),
            db,
            trees,
            js,
            config,
            progress: watch::channel(Progress::default()).0,
            feed: None,
            catch_up_to: None,
            set_aside,
        };
        let interrupted = runner
            .checkpoints()
            .contains_key(REBUILDING)
            .map_err(store)?;
        if interrupted {
            warn!(
                projection = name,
                "finishing a rebuild that was interrupted"
            );
            runner.clear_store()?;
            // The rebuild may have been a change of layout's, cut short before its last step.
            runner.drop_other_trees()?;
        } else if let Some(written) = runner.written_layout()?
            && written != runner.projection.layout()
        {
            warn!(
                projection = name,
                written,
                layout = runner.projection.layout(),
                "the store was written under another layout: dropping it and replaying the log"
            );
            runner.drop_view()?;
            runner.drop_other_trees()?;
        }
        runner.keep_layout()?;
        runner.progress.send_replace(runner.read_progress()?);
        Ok(runner)
    }

    /// The projection's name.
    pub fn name(&self) -> &'static str {
        self.projection.name()
    }

    /// Where the damaged store found at [`Runner::open`] was moved, if one was: kept for a
    /// person to look at, and safe to delete.
    pub fn set_aside(&self) -> Option<&Path> {
        self.set_aside.as_deref()
    }

    /// The sled store, for the reads of the read model.
    pub fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Follows the checkpoints as they advance (read-your-writes waits on it).
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// The last sequence of `stream` applied, 0 before any.
    pub fn checkpoint(&self, stream: &str) -> u64 {
        self.progress
            .borrow()
            .checkpoints
            .get(stream)
            .copied()
            .unwrap_or(0)
    }

    fn store_error(&self, source: sled::Error) -> RunnerError {
        RunnerError::Store {
            projection: self.name(),
            source,
        }
    }

    /// A sled transaction that failed: its store's error (the runner's transactions never
    /// abort of themselves).
    fn transaction_error(&self, error: sled::transaction::TransactionError<()>) -> RunnerError {
        match error {
            sled::transaction::TransactionError::Storage(source) => self.store_error(source),
            sled::transaction::TransactionError::Abort(()) => {
                self.store_error(sled::Error::Unsupported("transaction aborted".into()))
            }
        }
    }

    fn stream_error(&self, stream: &str, reason: impl ToString) -> RunnerError {
        RunnerError::Stream {
            projection: self.name(),
            stream: stream.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// How many messages the projection is behind its streams: the sum, over its streams, of
    /// the stream's last sequence minus the checkpoint.
    pub async fn lag(&self) -> Result<u64, RunnerError> {
        let targets = self.stream_ends().await?;
        Ok(targets
            .iter()
            .map(|(stream, last)| last.saturating_sub(self.checkpoint(stream)))
            .sum())
    }

    async fn stream_ends(&self) -> Result<Vec<(String, u64)>, RunnerError> {
        let mut ends = Vec::new();
        for stream in self.projection.streams() {
            let mut handle = self
                .js
                .get_stream(stream)
                .await
                .map_err(|e| self.stream_error(stream, e))?;
            let info = handle
                .info()
                .await
                .map_err(|e| self.stream_error(stream, e))?;
            ends.push(((*stream).to_owned(), info.state.last_sequence));
        }
        Ok(ends)
    }

    /// Drops the view, the checkpoints and the quarantine; the next run replays from the start.
    ///
    /// Crash-safe: a marker is stored (and flushed) before anything is cleared and removed last;
    /// a store opened with the marker still in it finishes the rebuild first.
    pub fn rebuild(&mut self) -> Result<(), RunnerError> {
        self.feed = None;
        self.drop_view()?;
        self.keep_layout()?;
        self.catch_up_to = None;
        self.progress.send_replace(self.read_progress()?);
        info!(
            projection = self.name(),
            "view dropped; replaying from the start"
        );
        Ok(())
    }

    /// Applies everything the streams held when it was called, then returns how many messages
    /// it applied or quarantined.
    pub async fn catch_up(&mut self) -> Result<u64, RunnerError> {
        let targets = self.stream_ends().await?;
        let mut applied = 0;
        while targets
            .iter()
            .any(|(stream, last)| self.checkpoint(stream) < *last)
        {
            applied += self.step().await?;
        }
        self.progress.send_modify(|p| p.caught_up = true);
        Ok(applied)
    }

    /// Whether the runner has caught up (see [`Progress::caught_up`]); asks JetStream for the
    /// streams' ends the first time, and says no while it does not answer.
    async fn check_caught_up(&mut self) -> bool {
        if self.progress.borrow().caught_up {
            return true;
        }
        if self.catch_up_to.is_none() {
            let ends = tokio::time::timeout(Duration::from_secs(2), self.stream_ends()).await;
            match ends {
                Ok(Ok(ends)) => self.catch_up_to = Some(ends),
                Ok(Err(e)) => {
                    debug!(projection = self.name(), error = %e, "stream ends unknown yet")
                }
                Err(_) => debug!(projection = self.name(), "stream ends unknown yet"),
            }
        }
        let reached = self.catch_up_to.as_ref().is_some_and(|targets| {
            targets
                .iter()
                .all(|(stream, last)| self.checkpoint(stream) >= *last)
        });
        if reached {
            self.progress.send_modify(|p| p.caught_up = true);
            info!(
                projection = self.name(),
                "projection caught up with the log"
            );
        }
        reached
    }

    /// Runs until `shutdown` completes: waits for messages, applies them in batches.
    ///
    /// Until it has caught up (see [`Progress::caught_up`]) it looks, after each batch and every
    /// half second, whether it has reached the streams' ends as they were when it started.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), RunnerError> {
        tokio::pin!(shutdown);
        info!(projection = self.name(), "projection running");
        loop {
            let caught_up = self.check_caught_up().await;
            tokio::select! {
                () = &mut shutdown => break,
                // Taking a batch is cancel-safe: nothing is taken until a message is received,
                // and what follows the receipt does not wait.
                result = self.step() => { result?; }
                () = tokio::time::sleep(Duration::from_millis(500)), if !caught_up => {}
            }
        }
        self.db
            .flush_async()
            .await
            .map_err(|e| self.store_error(e))?;
        info!(projection = self.name(), "projection stopped");
        Ok(())
    }

    /// Waits for at least one message, takes every message already delivered (up to the batch
    /// size), applies them in one sled transaction, and returns how many it took.
    ///
    /// On an error, the messages taken from the feeders are dropped with them: the next step
    /// reads again from the checkpoint.
    pub async fn step(&mut self) -> Result<u64, RunnerError> {
        let result = self.take_and_apply().await;
        if result.is_err() {
            self.feed = None;
        }
        result
    }
}
