//! The stream writer: the appends waiting on one stream go out together.
//!
//! With an fsync on every JetStream write (`sync_interval: always`), what an append costs is the
//! write, not its size. One append waiting alone is published as before (with its
//! `Nats-Msg-Id`); several waiting at once are sent as one atomic batch (nats-server 2.12+,
//! `allow_atomic` on the stream): all stored or none, in one write, each message still carrying
//! its `Nats-Expected-Last-Subject-Sequence`. Their commits belong to different aggregates (one
//! append per aggregate is ever in flight from this process: see `command`), so a batch never
//! holds two messages for one subject; one that would waits for the next batch.
//!
//! Messages that must be stored together (a command's commit and the commits of other aggregates
//! it decided with it, see `command`) wait as one entry and always travel in one atomic batch,
//! never split. A batch that fails (a stale writer's expected sequence, an atomic batch refused)
//! is sent again one entry at a time, so that each append gets its own outcome. A batch whose answer
//! never came may or may not be stored: sent again one by one, a stored message is answered
//! "wrong last sequence" and found by its commit id (`Semaine-Commit-Id`), like any append retried
//! after a lost acknowledgement.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use bytes::Bytes;
use futures_util::future::join_all;
use serde::Deserialize;
use tokio::sync::oneshot;
use tracing::debug;

use crate::queue::WorkQueue;

/// JetStream's atomic batch headers (ADR-50).
const BATCH_ID: &str = "Nats-Batch-Id";
const BATCH_SEQUENCE: &str = "Nats-Batch-Sequence";
const BATCH_COMMIT: &str = "Nats-Batch-Commit";

/// At most this many entries of a bucket in one atomic batch.
const BUCKET_BATCH_MAX: usize = 256;

/// At most this many batches of a bucket's entries written at once: one, as for the streams
/// (nats-server commits a stream's batches one at a time, and stages each in files of its own on a
/// one-replica stream: fewer, larger batches cost less; `docs/performance.md`).
const BUCKET_BATCHES_IN_FLIGHT: usize = 1;

/// The subject of `key` in the key-value bucket `bucket`.
pub fn bucket_subject(bucket: &str, key: &str) -> String {
    format!("$KV.{bucket}.{key}")
}

/// One message waiting for its stream's next write.
#[derive(Debug, Clone)]
pub struct Write {
    /// The aggregate's subject.
    pub subject: String,
    /// The subject's last sequence the commit was decided on.
    pub expected: u64,
    /// The commit's headers (without the message id).
    pub headers: HeaderMap,
    /// The commit's body.
    pub body: Bytes,
    /// Its `Nats-Msg-Id` when it is published alone.
    pub msg_id: String,
}

/// What the broker said of one message: its stream sequence and whether it was a duplicate.
pub type Written = Result<(u64, bool), PublishError>;

/// What the broker said of messages stored together: their stream sequences, in order.
pub type WrittenTogether = Result<Vec<u64>, PublishError>;

/// An entry waiting for the stream's next write: one message, or several stored all or none.
struct Waiting {
    writes: Vec<Write>,
    reply: oneshot::Sender<Result<Vec<(u64, bool)>, PublishError>>,
}

/// The writer of one stream: the messages waiting on it, and how many batches are being written.
pub struct StreamWriter {
    js: jetstream::Context,
    ack_timeout: Duration,
    /// The messages waiting; at most as many workers as batches may be written at once.
    queue: WorkQueue<Waiting>,
    /// At most this many messages in one batch.
    max_batch: usize,
    /// Messages stored, and the writes (lone publishes and atomic batches) that stored them.
    counts: [AtomicU64; 2],
}

/// How many messages a writer stored, in how many writes: the group commit's yield.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Messages stored.
    pub messages: u64,
    /// Writes that stored them: each one publish (one fsync with `sync_interval: always`).
    pub writes: u64,
}

impl std::ops::Add for WriteCounts {
    type Output = Self;
    fn add(self, other: Self) -> Self {
        Self {
            messages: self.messages + other.messages,
            writes: self.writes + other.writes,
        }
    }
}

/// An atomic batch's acknowledgement (or error), as the broker answers its commit message.
#[derive(Deserialize)]
struct BatchAck {
    #[serde(default)]
    error: Option<BatchError>,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    count: u64,
}

#[derive(Deserialize, Debug)]
struct BatchError {
    #[serde(default)]
    description: String,
}

/// A batch not stored, or perhaps stored (its answer never came).
fn batch_failure(kind: PublishErrorKind, reason: String) -> PublishError {
    PublishError::with_source(kind, reason)
}

impl StreamWriter {
    /// A writer over `js` that puts at most `max_batch` messages in one atomic batch (1: none)
    /// and writes at most `in_flight` batches at once. The stream must allow atomic batches
    /// (`allow_atomic`) when `max_batch` is above 1.
    pub fn new(
        js: jetstream::Context,
        ack_timeout: Duration,
        max_batch: usize,
        in_flight: usize,
    ) -> Self {
        Self {
            js,
            ack_timeout,
            queue: WorkQueue::new(in_flight),
            max_batch: max_batch.clamp(1, 1000),
            counts: [AtomicU64::new(0), AtomicU64::new(0)],
        }
    }

    /// A writer of the entries of the key-value bucket `bucket` (its stream `KV_<bucket>`, which
    /// is made to allow atomic batches), for entries written with an expected revision: a new
    /// one (0) or one replacing a known revision. Write to [`bucket_subject`].
    pub async fn for_bucket(
        js: &jetstream::Context,
        bucket: &str,
        ack_timeout: Duration,
    ) -> Result<Self, async_nats::Error> {
        let mut stream = js.get_stream(format!("KV_{bucket}")).await?;
        let mut config = stream.info().await?.config.clone();
        if !config.allow_atomic_publish {
            config.allow_atomic_publish = true;
            js.update_stream(config).await?;
        }
        Ok(Self::new(
            js.clone(),
            ack_timeout,
            BUCKET_BATCH_MAX,
            BUCKET_BATCHES_IN_FLIGHT,
        ))
    }

    /// How many messages this writer stored so far, in how many writes.
    pub fn counts(&self) -> WriteCounts {
        WriteCounts {
            messages: self.counts[0].load(Ordering::Relaxed),
            writes: self.counts[1].load(Ordering::Relaxed),
        }
    }

    fn count(&self, messages: u64) {
        self.counts[0].fetch_add(messages, Ordering::Relaxed);
        self.counts[1].fetch_add(1, Ordering::Relaxed);
    }

    /// From the entries waiting, the next to write together: oldest first, at most `max_batch`
    /// messages (an entry larger than that goes alone), at most one message per subject (an
    /// entry that would add another waits for the next batch).
    fn batch_of(&self, waiting: &mut Vec<Waiting>) -> Vec<Waiting> {
        let mut batch: Vec<Waiting> = Vec::new();
        let mut subjects: HashSet<String> = HashSet::new();
        let mut messages = 0;
        let mut later = Vec::new();
        for one in waiting.drain(..) {
            let fits = batch.is_empty() || messages + one.writes.len() <= self.max_batch;
            if fits && one.writes.iter().all(|w| !subjects.contains(&w.subject)) {
                subjects.extend(one.writes.iter().map(|w| w.subject.clone()));
                messages += one.writes.len();
                batch.push(one);
            } else {
                later.push(one);
            }
        }
        *waiting = later;
        batch
    }

    /// Writes one message with the messages waiting with it, and answers what the broker
    /// said of it.
    pub async fn write(self: &Arc<Self>, write: Write) -> Written {
        if self.max_batch == 1 {
            return self.publish_one(&write).await;
        }
        let written = self.enqueue(vec![write]).await?;
        written
            .into_iter()
            .next()
            .ok_or_else(|| PublishError::new(PublishErrorKind::Other))
    }

    /// Writes messages all or none, in one atomic batch (with the messages waiting with them),
    /// and answers their stream sequences. At most one message per subject.
    pub async fn write_together(self: &Arc<Self>, writes: Vec<Write>) -> WrittenTogether {
        let written = self.enqueue(writes).await?;
        Ok(written.into_iter().map(|(seq, _)| seq).collect())
    }

    async fn enqueue(
        self: &Arc<Self>,
        writes: Vec<Write>,
    ) -> Result<Vec<(u64, bool)>, PublishError> {
        let (reply, answer) = oneshot::channel();
        if self.queue.push(Waiting { writes, reply }) {
            // The worker is a task of its own: a caller that stops waiting never interrupts a
            // batch that carries other callers' messages.
            let writer = Arc::clone(self);
            tokio::spawn(async move { writer.write_batches().await });
        }
        answer
            .await
            .unwrap_or_else(|_| Err(PublishError::new(PublishErrorKind::BrokenPipe)))
    }

    async fn write_batches(&self) {
        let _stopped = self.queue.on_panic_stop();
        while let Some(batch) = self.queue.next(|waiting| self.batch_of(waiting)) {
            if batch.len() == 1 {
                for waiting in batch {
                    let written = self.write_alone(&waiting.writes).await;
                    let _ = waiting.reply.send(written);
                }
                continue;
            }
            let writes: Vec<&Write> = batch.iter().flat_map(|w| &w.writes).collect();
            match self.publish_batch(&writes).await {
                Ok(seqs) => {
                    let mut seqs = seqs.into_iter();
                    for waiting in batch {
                        let own = seqs.by_ref().take(waiting.writes.len());
                        let _ = waiting
                            .reply
                            .send(Ok(own.map(|seq| (seq, false)).collect()));
                    }
                }
                Err(reason) => {
                    debug!(entries = batch.len(), %reason, "atomic batch not stored; one entry at a time");
                    let written = join_all(batch.iter().map(|w| self.write_alone(&w.writes))).await;
                    for (waiting, written) in batch.into_iter().zip(written) {
                        let _ = waiting.reply.send(written);
                    }
                }
            }
        }
    }

    /// Writes one entry in a write of its own: a lone message published alone, several in an
    /// atomic batch of their own.
    async fn write_alone(&self, writes: &[Write]) -> Result<Vec<(u64, bool)>, PublishError> {
        match writes {
            [one] => self.publish_one(one).await.map(|written| vec![written]),
            several => {
                let writes: Vec<&Write> = several.iter().collect();
                let seqs = self.publish_batch(&writes).await?;
                Ok(seqs.into_iter().map(|seq| (seq, false)).collect())
            }
        }
    }

    /// Publishes one message alone, with its message id, and waits for its acknowledgement.
    async fn publish_one(&self, write: &Write) -> Written {
        let message = PublishMessage::build()
            .payload(write.body.clone())
            .headers(write.headers.clone())
            .message_id(write.msg_id.as_str())
            .expected_last_subject_sequence(write.expected);
        let ack = self
            .js
            .send_publish(write.subject.clone(), message)
            .await?
            .await?;
        if !ack.duplicate {
            self.count(1);
        }
        Ok((ack.sequence, ack.duplicate))
    }

    /// Publishes messages as one atomic batch; their stream sequences, in order, or why the
    /// batch was not stored (or may not have been: `TimedOut`, `BrokenPipe`). A refusal is
    /// `Other` with the broker's description: which message of the batch it was about, the
    /// broker does not say.
    async fn publish_batch(&self, batch: &[&Write]) -> Result<Vec<u64>, PublishError> {
        let client = self.js.client();
        let id = uuid::Uuid::now_v7().simple().to_string();
        let last = batch.len().saturating_sub(1);
        for (index, write) in batch.iter().enumerate() {
            let mut headers = write.headers.clone();
            headers.insert(
                proto::headers::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
                write.expected.to_string().as_str(),
            );
            headers.insert(BATCH_ID, id.as_str());
            headers.insert(BATCH_SEQUENCE, (index + 1).to_string().as_str());
            if index < last {
                client
                    .publish_with_headers(write.subject.clone(), headers, write.body.clone())
                    .await
                    .map_err(|e| batch_failure(PublishErrorKind::BrokenPipe, e.to_string()))?;
                continue;
            }
            headers.insert(BATCH_COMMIT, "1");
            let request =
                client.request_with_headers(write.subject.clone(), headers, write.body.clone());
            let answer = tokio::time::timeout(self.ack_timeout, request)
                .await
                .map_err(|_| {
                    batch_failure(
                        PublishErrorKind::TimedOut,
                        "no acknowledgement of the batch".into(),
                    )
                })?
                .map_err(|e| batch_failure(PublishErrorKind::BrokenPipe, e.to_string()))?;
            let ack: BatchAck = serde_json::from_slice(&answer.payload)
                .map_err(|e| batch_failure(PublishErrorKind::Other, e.to_string()))?;
            if let Some(error) = ack.error {
                return Err(batch_failure(PublishErrorKind::Other, error.description));
            }
            let count = batch.len() as u64;
            if ack.batch != id || ack.count != count || ack.seq < count {
                return Err(batch_failure(
                    PublishErrorKind::Other,
                    format!(
                        "unexpected acknowledgement of batch {id}: {} messages up to {}",
                        ack.count, ack.seq
                    ),
                ));
            }
            self.count(count);
            // A batch is stored in one piece: its messages take consecutive sequences.
            return Ok((ack.seq + 1 - count..=ack.seq).collect());
        }
        Err(batch_failure(
            PublishErrorKind::Other,
            "an empty batch".into(),
        ))
    }
}
