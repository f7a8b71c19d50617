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
//! A batch that fails (a stale writer's expected sequence, an atomic batch refused) is sent
//! again one message at a time, so that each append gets its own outcome. A batch whose answer
//! never came may or may not be stored: sent again one by one, a stored message is answered
//! "wrong last sequence" and found by its commit id (`Semaine-Commit-Id`), like any append retried
//! after a lost acknowledgement.

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

/// At most this many batches of a bucket's entries written at once.
const BUCKET_BATCHES_IN_FLIGHT: usize = 4;

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

struct Waiting {
    write: Write,
    reply: oneshot::Sender<Written>,
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

    /// From the messages waiting, the next to write together: oldest first, at most
    /// `max_batch`, one per subject (another for the same subject waits for the next batch).
    fn batch_of(&self, waiting: &mut Vec<Waiting>) -> Vec<Waiting> {
        let mut batch: Vec<Waiting> = Vec::new();
        let mut later = Vec::new();
        for one in waiting.drain(..) {
            let taken = batch.len() >= self.max_batch
                || batch.iter().any(|b| b.write.subject == one.write.subject);
            if taken {
                later.push(one);
            } else {
                batch.push(one);
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
        let (reply, answer) = oneshot::channel();
        if self.queue.push(Waiting { write, reply }) {
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
                    let written = self.publish_one(&waiting.write).await;
                    let _ = waiting.reply.send(written);
                }
                continue;
            }
            match self.publish_batch(&batch).await {
                Ok(seqs) => {
                    for (waiting, seq) in batch.into_iter().zip(seqs) {
                        let _ = waiting.reply.send(Ok((seq, false)));
                    }
                }
                Err(reason) => {
                    debug!(messages = batch.len(), %reason, "atomic batch not stored; one by one");
                    let written = join_all(batch.iter().map(|w| self.publish_one(&w.write))).await;
                    for (waiting, written) in batch.into_iter().zip(written) {
                        let _ = waiting.reply.send(written);
                    }
                }
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
    /// batch was not stored (or may not have been).
    async fn publish_batch(&self, batch: &[Waiting]) -> Result<Vec<u64>, String> {
        let client = self.js.client();
        let id = uuid::Uuid::now_v7().simple().to_string();
        let last = batch.len() - 1;
        for (index, waiting) in batch.iter().enumerate() {
            let write = &waiting.write;
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
                    .map_err(|e| e.to_string())?;
                continue;
            }
            headers.insert(BATCH_COMMIT, "1");
            let request =
                client.request_with_headers(write.subject.clone(), headers, write.body.clone());
            let answer = tokio::time::timeout(self.ack_timeout, request)
                .await
                .map_err(|_| "no acknowledgement of the batch".to_owned())?
                .map_err(|e| e.to_string())?;
            let ack: BatchAck =
                serde_json::from_slice(&answer.payload).map_err(|e| e.to_string())?;
            if let Some(error) = ack.error {
                return Err(error.description);
            }
            let count = batch.len() as u64;
            if ack.batch != id || ack.count != count || ack.seq < count {
                return Err(format!(
                    "unexpected acknowledgement of batch {id}: {} messages up to {}",
                    ack.count, ack.seq
                ));
            }
            self.count(count);
            // A batch is stored in one piece: its messages take consecutive sequences.
            return Ok((ack.seq + 1 - count..=ack.seq).collect());
        }
        Err("an empty batch".into())
    }
}
