//! [`Runner`]: feeds a projection from its streams and keeps its checkpoints.
//!
//! A store that cannot be opened because it is damaged (sled reports corruption, or panics
//! reading it) is moved aside, next to where it was (`<dir>.corrupt-<unix seconds>`), and a fresh
//! one replays the streams: a read model is a cache of the log, so a lost store costs a replay,
//! never a crash loop. A missing store is simply created and replayed. Until a runner has applied
//! what its streams held when it started (or was rebuilt), its [`Progress`] says it has not
//! caught up; the gateway's `/readyz` waits for it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sled::Transactional;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, error, info, warn};

use proto::Commit;

use crate::{Position, Projection, View};

const OUTBOX: &str = "__outbox";
const CHECKPOINTS: &str = "__checkpoints";
const QUARANTINE: &str = "__quarantine";
/// The key, in the checkpoints tree, that marks a rebuild in progress.
const REBUILDING: &[u8] = b"__rebuilding";
/// The key, in the checkpoints tree, of the layout the view was written under
/// ([`Projection::layout`], four bytes big-endian).
const LAYOUT: &[u8] = b"__layout";

/// How often a feeder looks whether the client reconnected to NATS since its consumer was made.
/// A feeder's consumer is ephemeral: a restarted nats-server has forgotten it, and the client
/// finds out on its own only after 15 s of retries (measured by `services/semaine/tests/crash.rs`:
/// every read model and process stood still that long after a nats-server restart).
const RECONNECT_CHECK: Duration = Duration::from_millis(250);

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

/// One message read from a stream, as the feeders hand it over: already decoded, so that
/// decoding runs beside the runner's folding and writing rather than before it.
struct Fed {
    stream: usize,
    seq: u64,
    message: async_nats::Message,
    /// Its commit; `None` when the projection does not read its subject (not decoded).
    commit: Option<Result<Commit, String>>,
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

struct Feed {
    receiver: mpsc::Receiver<Fed>,
    feeders: Vec<JoinHandle<()>>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        for feeder in &self.feeders {
            feeder.abort();
        }
    }
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

    /// The layout the store was written under: `None` for a store that holds nothing yet, 1 for
    /// one written before layouts were kept.
    fn written_layout(&self) -> Result<Option<u32>, RunnerError> {
        let checkpoints = self.checkpoints();
        match checkpoints.get(LAYOUT).map_err(|e| self.store_error(e))? {
            Some(bytes) => Ok(Some(
                <[u8; 4]>::try_from(bytes.as_ref()).map_or(0, u32::from_be_bytes),
            )),
            None if checkpoints.is_empty() => Ok(None),
            None => Ok(Some(1)),
        }
    }

    /// Stores the projection's layout beside the checkpoints (and flushes it) unless it is
    /// there already.
    fn keep_layout(&self) -> Result<(), RunnerError> {
        let layout = self.projection.layout().to_be_bytes();
        let stored = self
            .checkpoints()
            .get(LAYOUT)
            .map_err(|e| self.store_error(e))?;
        if stored.as_deref() != Some(layout.as_slice()) {
            self.checkpoints()
                .insert(LAYOUT, &layout[..])
                .map_err(|e| self.store_error(e))?;
            self.db.flush().map_err(|e| self.store_error(e))?;
        }
        Ok(())
    }

    /// Drops the trees of the store that the projection does not own (any more): what an older
    /// layout kept and this one does not.
    fn drop_other_trees(&self) -> Result<(), RunnerError> {
        let owned: Vec<sled::IVec> = self.trees.iter().map(sled::Tree::name).collect();
        for name in self.db.tree_names() {
            if name != self.db.name() && !owned.contains(&name) {
                info!(
                    projection = self.name(),
                    tree = %String::from_utf8_lossy(&name),
                    "dropping a tree of an older layout"
                );
                self.db.drop_tree(&name).map_err(|e| self.store_error(e))?;
            }
        }
        Ok(())
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

    fn checkpoints(&self) -> &sled::Tree {
        &self.trees[self.trees.len() - 2]
    }

    fn quarantine(&self) -> &sled::Tree {
        &self.trees[self.trees.len() - 1]
    }

    /// The reactions waiting in the outbox, in log order: key and payload.
    pub(crate) fn outbox(&self) -> Result<Vec<(sled::IVec, sled::IVec)>, RunnerError> {
        let outbox = &self.trees[self.trees.len() - 3];
        outbox
            .iter()
            .map(|row| row.map_err(|e| self.store_error(e)))
            .collect()
    }

    /// Takes a carried-out reaction out of the outbox.
    pub(crate) fn done(&self, key: &[u8]) -> Result<(), RunnerError> {
        let outbox = &self.trees[self.trees.len() - 3];
        outbox.remove(key).map_err(|e| self.store_error(e))?;
        Ok(())
    }

    /// Moves a reaction that can never be carried out to the quarantine, with its reason.
    pub(crate) fn quarantine_reaction(
        &self,
        key: &[u8],
        payload: &[u8],
        reason: String,
    ) -> Result<(), RunnerError> {
        let record = QuarantinedMessage {
            stream: OUTBOX.into(),
            seq: 0,
            subject: String::from_utf8_lossy(key).into_owned(),
            reason,
            body: String::from_utf8_lossy(payload).into_owned(),
        };
        let outbox = self.trees.len() - 3;
        let quarantine = self.trees.len() - 1;
        let value = serde_json::to_vec(&record).unwrap_or_default();
        let mut quarantine_key = OUTBOX.as_bytes().to_vec();
        quarantine_key.push(0);
        quarantine_key.extend_from_slice(key);
        (&self.trees[outbox], &self.trees[quarantine])
            .transaction(|(outbox, quarantine)| {
                outbox.remove(key)?;
                quarantine.insert(quarantine_key.as_slice(), value.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(source) => self.store_error(source),
                sled::transaction::TransactionError::Abort(()) => {
                    self.store_error(sled::Error::Unsupported("transaction aborted".into()))
                }
            })
    }

    fn store_error(&self, source: sled::Error) -> RunnerError {
        RunnerError::Store {
            projection: self.name(),
            source,
        }
    }

    fn stream_error(&self, stream: &str, reason: impl ToString) -> RunnerError {
        RunnerError::Stream {
            projection: self.name(),
            stream: stream.to_owned(),
            reason: reason.to_string(),
        }
    }

    fn read_progress(&self) -> Result<Progress, RunnerError> {
        let mut checkpoints = BTreeMap::new();
        for stream in self.projection.streams() {
            let seq = self
                .checkpoints()
                .get(stream.as_bytes())
                .map_err(|e| self.store_error(e))?
                .map_or(0, |v| decode_seq(&v));
            checkpoints.insert((*stream).to_owned(), seq);
        }
        Ok(Progress {
            checkpoints,
            caught_up: false,
        })
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

    /// The messages in quarantine, in stream order.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedMessage>, RunnerError> {
        self.quarantine()
            .iter()
            .values()
            .map(|v| {
                let v = v.map_err(|e| self.store_error(e))?;
                serde_json::from_slice(&v).map_err(|e| {
                    self.store_error(sled::Error::Unsupported(format!("quarantine entry: {e}")))
                })
            })
            .collect()
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

    /// Marks a rebuild in progress (flushed), then clears every tree: a crash in between is
    /// finished at the next [`Runner::open`].
    fn drop_view(&self) -> Result<(), RunnerError> {
        self.checkpoints()
            .insert(REBUILDING, &[1u8][..])
            .map_err(|e| self.store_error(e))?;
        self.db.flush().map_err(|e| self.store_error(e))?;
        self.clear_store()
    }

    /// Clears every tree, the checkpoints (and the rebuild marker, and the layout) last.
    fn clear_store(&self) -> Result<(), RunnerError> {
        for tree in &self.trees {
            if tree.name() != self.checkpoints().name() {
                tree.clear().map_err(|e| self.store_error(e))?;
            }
        }
        self.checkpoints()
            .clear()
            .map_err(|e| self.store_error(e))?;
        self.db.flush().map_err(|e| self.store_error(e))?;
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

    async fn take_and_apply(&mut self) -> Result<u64, RunnerError> {
        if self.feed.is_none() {
            self.feed = Some(self.start_feeders());
        }
        let Some(feed) = self.feed.as_mut() else {
            return Ok(0);
        };
        let mut batch = Vec::new();
        match feed.receiver.recv().await {
            Some(first) => batch.push(first),
            // No feeder (a projection of no stream): nothing will ever come.
            None => std::future::pending().await,
        }
        while batch.len() < self.config.batch_size {
            match feed.receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        self.apply_batch(batch)
    }

    fn start_feeders(&self) -> Feed {
        let (sender, receiver) = mpsc::channel(self.config.batch_size.max(1) * 2);
        let feeders = self
            .projection
            .streams()
            .iter()
            .enumerate()
            .map(|(index, stream)| {
                let from = self.checkpoint(stream) + 1;
                tokio::spawn(feed_stream(
                    self.js.clone(),
                    self.projection.clone(),
                    index,
                    stream,
                    from,
                    sender.clone(),
                ))
            })
            .collect();
        Feed { receiver, feeders }
    }

    #[tracing::instrument(
        name = "batch",
        level = "debug",
        skip_all,
        fields(projection = self.name(), messages = batch.len())
    )]
    fn apply_batch(&mut self, batch: Vec<Fed>) -> Result<u64, RunnerError> {
        let streams = self.projection.streams();
        let names = self.projection.trees();
        // The projection's trees and the outbox after them.
        let view_trees = &self.trees[..=names.len()];
        let mut view = View::new(names, view_trees);
        let mut progress = self.progress.borrow().clone();
        let mut quarantined: Vec<QuarantinedMessage> = Vec::new();
        let mut taken = 0;
        for fed in batch {
            let stream = streams[fed.stream];
            let checkpoint = progress.checkpoints.entry(stream.to_owned()).or_default();
            if fed.seq <= *checkpoint {
                continue;
            }
            let Some(commit) = &fed.commit else {
                *checkpoint = fed.seq;
                taken += 1;
                continue;
            };
            let applied = commit
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|commit| self.apply_commit(&mut view, stream, fed.seq, commit));
            if let Err(reason) = applied {
                view.drop_commit();
                if self.config.on_undecodable == Undecodable::Halt {
                    self.commit(view, &progress, &quarantined)?;
                    return Err(RunnerError::Halted {
                        projection: self.name(),
                        stream: stream.to_owned(),
                        seq: fed.seq,
                        reason,
                    });
                }
                error!(projection = self.name(), stream, seq = fed.seq, %reason, "message quarantined");
                quarantined.push(QuarantinedMessage {
                    stream: stream.to_owned(),
                    seq: fed.seq,
                    subject: fed.message.subject.to_string(),
                    reason,
                    body: String::from_utf8_lossy(&fed.message.payload).into_owned(),
                });
            } else {
                view.keep_commit();
            }
            *progress.checkpoints.entry(stream.to_owned()).or_default() = fed.seq;
            taken += 1;
        }
        self.commit(view, &progress, &quarantined)?;
        Ok(taken)
    }

    /// Applies one message's commit to the view; its writes are staged, kept or dropped by the
    /// caller.
    fn apply_commit(
        &self,
        view: &mut View<'_>,
        stream: &str,
        seq: u64,
        commit: &Commit,
    ) -> Result<(), String> {
        for (index, event) in commit.events.iter().enumerate() {
            let at = Position { stream, seq, index };
            self.projection
                .apply(view, event, at)
                .map_err(|e| format!("event {index} ({}): {e}", event.event_type))?;
        }
        Ok(())
    }

    /// Writes the batch's view changes, quarantined messages and checkpoints in one sled
    /// transaction.
    fn commit(
        &self,
        view: View<'_>,
        progress: &Progress,
        quarantined: &[QuarantinedMessage],
    ) -> Result<(), RunnerError> {
        let writes = view.into_writes();
        let checkpoints_at = self.trees.len() - 2;
        let quarantine_at = self.trees.len() - 1;
        let quarantined: Vec<(Vec<u8>, Vec<u8>)> = quarantined
            .iter()
            .map(|q| {
                let mut key = q.stream.as_bytes().to_vec();
                key.push(0);
                key.extend_from_slice(&q.seq.to_be_bytes());
                (key, serde_json::to_vec(q).unwrap_or_default())
            })
            .collect();
        self.trees
            .as_slice()
            .transaction(|tx| {
                for ((tree, key), value) in &writes {
                    match value {
                        Some(value) => tx[*tree].insert(key.as_slice(), value.as_slice())?,
                        None => tx[*tree].remove(key.as_slice())?,
                    };
                }
                for (key, value) in &quarantined {
                    tx[quarantine_at].insert(key.as_slice(), value.as_slice())?;
                }
                for (stream, seq) in &progress.checkpoints {
                    tx[checkpoints_at].insert(stream.as_bytes(), &seq.to_be_bytes()[..])?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(source) => self.store_error(source),
                sled::transaction::TransactionError::Abort(()) => {
                    self.store_error(sled::Error::Unsupported("transaction aborted".into()))
                }
            })?;
        self.progress.send_replace(progress.clone());
        Ok(())
    }
}

/// A store and its trees, opened; and where a damaged store was moved, if one was.
type Opened = (sled::Db, Vec<sled::Tree>, Option<std::path::PathBuf>);

/// Opens the store in `dir` and its trees; if sled finds it damaged, moves it aside to
/// `<dir>.corrupt-<unix seconds>` and opens a new, empty one in its place.
fn open_or_set_aside(dir: &Path, names: &[&str]) -> Result<Opened, sled::Error> {
    match open_with_trees(dir, names) {
        Ok((db, trees)) => Ok((db, trees, None)),
        Err(e) if is_damage(&e) => {
            let seconds = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut aside = dir.as_os_str().to_owned();
            aside.push(format!(".corrupt-{seconds}"));
            let aside = std::path::PathBuf::from(aside);
            warn!(store = %dir.display(), error = %e, "the store does not open: moving it aside");
            std::fs::rename(dir, &aside)?;
            let (db, trees) = open_with_trees(dir, names)?;
            Ok((db, trees, Some(aside)))
        }
        Err(e) => Err(e),
    }
}

/// Whether sled's error says the store's files are damaged (rather than, say, not readable by
/// this user, or locked by another process).
fn is_damage(error: &sled::Error) -> bool {
    match error {
        sled::Error::Corruption { .. } | sled::Error::ReportableBug(_) => true,
        sled::Error::Unsupported(_) => true,
        sled::Error::Io(e) => matches!(
            e.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
        ),
        sled::Error::CollectionNotFound(_) => false,
    }
}

/// Opens the store and its trees; a panic inside sled while it reads a damaged store is turned
/// into a corruption error.
fn open_with_trees(dir: &Path, names: &[&str]) -> Result<(sled::Db, Vec<sled::Tree>), sled::Error> {
    let opening = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let db = open_store(dir)?;
        let trees = names
            .iter()
            .map(|name| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((db, trees))
    }));
    opening.unwrap_or_else(|_| {
        Err(sled::Error::ReportableBug(
            "sled panicked while opening the store".into(),
        ))
    })
}

/// Opens a sled store, waiting (up to five seconds) for a previous instance that is still letting
/// go of it: sled's background flusher keeps the file lock for up to one flush interval after
/// the store is dropped, so a runner restarted at once would otherwise find it locked.
fn open_store(dir: &Path) -> Result<sled::Db, sled::Error> {
    let mut attempts = 0;
    loop {
        match sled::Config::new().path(dir).open() {
            Err(sled::Error::Io(e))
                if attempts < 100 && e.to_string().contains("could not acquire lock") =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            opened => return opened,
        }
    }
}

fn decode_seq(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    if bytes.len() == 8 {
        buf.copy_from_slice(bytes);
    }
    u64::from_be_bytes(buf)
}

/// Reads one stream from `from` on with an ordered consumer, forever, handing each message to
/// the runner with its commit decoded (when the projection reads its subject); on any error it
/// starts again after the last message it handed over.
async fn feed_stream<P: Projection>(
    js: jetstream::Context,
    projection: Arc<P>,
    index: usize,
    stream: &'static str,
    from: u64,
    sender: mpsc::Sender<Fed>,
) {
    let mut next = from;
    loop {
        match read_stream_from(&js, &*projection, index, stream, &mut next, &sender).await {
            Ok(()) => return,
            Err(reason) => {
                warn!(projection = projection.name(), stream, next, %reason, "feeder restarting");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

async fn read_stream_from(
    js: &jetstream::Context,
    projection: &impl Projection,
    index: usize,
    stream: &'static str,
    next: &mut u64,
    sender: &mpsc::Sender<Fed>,
) -> Result<(), String> {
    let handle = js.get_stream(stream).await.map_err(|e| e.to_string())?;
    let consumer = handle
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                start_sequence: *next,
            },
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
    let statistics = js.client().statistics();
    let connects = statistics.connects.load(Ordering::Relaxed);
    let mut reconnect_check = tokio::time::interval(RECONNECT_CHECK);
    debug!(stream, from = *next, "feeder reading");
    loop {
        // Taking the next message is cancel-safe: the consumer keeps what it did not hand over.
        let message = tokio::select! {
            message = messages.next() => message,
            _ = reconnect_check.tick() => {
                if statistics.connects.load(Ordering::Relaxed) != connects {
                    return Err("reconnected to NATS: the consumer may be gone".into());
                }
                continue;
            }
        };
        let Some(message) = message else {
            return Err("the consumer ended".into());
        };
        let message = message.map_err(|e| e.to_string())?;
        let seq = message.info().map_err(|e| e.to_string())?.stream_sequence;
        let (message, _acker) = message.split();
        let commit = projection.reads(&message.subject).then(|| {
            eventlog::codec::decode(message.headers.as_ref(), &message.payload)
                .map_err(|e| e.to_string())
        });
        if sender
            .send(Fed {
                stream: index,
                seq,
                message,
                commit,
            })
            .await
            .is_err()
        {
            return Ok(());
        }
        *next = seq + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled_store(dir: &Path) -> Result<(), sled::Error> {
        let db = sled::Config::new().path(dir).open()?;
        let tree = db.open_tree("rows")?;
        for n in 0u32..2_000 {
            tree.insert(n.to_be_bytes(), vec![7u8; 100])?;
        }
        db.flush()?;
        Ok(())
    }

    #[test]
    fn a_missing_store_is_created_and_nothing_set_aside() -> Result<(), sled::Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("catalogue");
        let (_, trees, aside) = open_or_set_aside(&path, &["rows"])?;
        assert!(aside.is_none());
        assert!(trees[0].is_empty());
        Ok(())
    }

    #[test]
    fn a_damaged_store_is_moved_aside_and_replaced_by_an_empty_one() -> Result<(), sled::Error> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("catalogue");
        filled_store(&path)?;
        for file in ["conf", "db"] {
            std::fs::write(path.join(file), vec![0xA5u8; 4096])?;
        }
        let (_, trees, aside) = open_or_set_aside(&path, &["rows"])?;
        let aside = aside.unwrap_or_else(|| panic!("the store was not set aside"));
        assert!(aside.join("db").exists(), "the damaged store is kept");
        assert!(trees[0].is_empty(), "the new store starts empty");
        Ok(())
    }

    #[test]
    fn a_truncated_store_opens_without_a_crash() -> Result<(), sled::Error> {
        // sled reads an emptied store as a new one (no checkpoint: the runner replays), and a
        // store cut in the middle as the transactions it holds whole.
        for keep in [0, 2] {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("catalogue");
            filled_store(&path)?;
            let db = path.join("db");
            let len = std::fs::metadata(&db)?.len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&db)?
                .set_len(len * keep / 4)?;
            let (_, trees, _) = open_or_set_aside(&path, &["rows"])?;
            assert!(trees[0].len() <= 2_000);
        }
        Ok(())
    }
}
