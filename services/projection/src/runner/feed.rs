//! The feeders: one task a stream, reading it with an ordered consumer from the checkpoint on
//! and handing the runner each message with its commit already decoded. A feeder that fails
//! (the consumer ended, NATS reconnected) starts again after the last message it handed over.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use proto::Commit;

use super::{Runner, RunnerError};
use crate::Projection;

/// How often a feeder looks whether the client reconnected to NATS since its consumer was made.
/// A feeder's consumer is ephemeral: a restarted nats-server has forgotten it, and the client
/// finds out on its own only after 15 s of retries (measured by `services/semaine/tests/crash.rs`:
/// every read model and process stood still that long after a nats-server restart).
const RECONNECT_CHECK: Duration = Duration::from_millis(250);

/// One message read from a stream, as the feeders hand it over: already decoded, so that
/// decoding runs beside the runner's folding and writing rather than before it.
pub(super) struct Fed {
    /// The index of its stream in the projection's streams.
    pub(super) stream: usize,
    /// Its stream sequence.
    pub(super) seq: u64,
    /// The message itself, for its subject and body should it be quarantined.
    pub(super) message: async_nats::Message,
    /// Its commit; `None` when the projection does not read its subject (not decoded).
    pub(super) commit: Option<Result<Commit, String>>,
}

/// The feeders of a running runner and what they hand over; dropping it stops them (a step
/// that failed drops it, and the next one reads again from the checkpoints).
pub(super) struct Feed {
    /// Where the feeders hand their messages over.
    receiver: mpsc::Receiver<Fed>,
    /// The feeders' tasks, one a stream.
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
    /// Waits for at least one message, takes every message already delivered (up to the batch
    /// size) and applies them (see [`Runner::step`]); starts the feeders first if they are not
    /// running.
    pub(super) async fn take_and_apply(&mut self) -> Result<u64, RunnerError> {
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

    pub(super) fn start_feeders(&self) -> Feed {
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
