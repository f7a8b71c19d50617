//! The log's configuration: its streams and tunables.

use std::time::Duration;

/// One JetStream stream: a bounded context's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    /// The stream name, e.g. `REGISTRATION`.
    pub name: &'static str,
    /// The subjects it stores, e.g. `reg.>`.
    pub subjects: &'static str,
    /// What it holds, for the stream's description.
    pub description: &'static str,
}

/// How the log talks to JetStream.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The streams ensured at start-up.
    pub streams: Vec<StreamSpec>,
    /// Replicas per stream: 1 on one node (with `sync_interval: always`), 3 on a cluster.
    pub replicas: usize,
    /// How long JetStream remembers a `Nats-Msg-Id`. Past it, a retried command is still
    /// recognised, from the idempotency keys in the aggregate's own history.
    pub duplicate_window: Duration,
    /// A snapshot of an aggregate is written every this many commits.
    pub snapshot_every: u64,
    /// How long an append waits for JetStream's acknowledgement before asking again.
    pub ack_timeout: Duration,
    /// How many times an append is sent (same message id) when no acknowledgement comes.
    pub publish_attempts: u32,
    /// How many times the command loop decides again after a concurrency conflict.
    pub conflict_retries: u32,
    /// How many aggregates are kept in memory between commands (0: none).
    pub cache_capacity: usize,
    /// At most this many commands waiting on one aggregate are decided together and appended
    /// as one commit (group commit); a group too large for one message is split.
    pub group_commit_max: usize,
    /// At most this many commits waiting on one stream (of different aggregates) are written
    /// together as one atomic batch (nats-server 2.12+); 1: every commit is written alone.
    pub stream_batch_max: usize,
    /// At most this many batches of one stream are written at once. nats-server stages an
    /// atomic batch and commits it holding the stream's lock, so batches of one stream never
    /// overlap there: one at a time, carrying everything that waited meanwhile, measured faster
    /// than several smaller ones (`docs/performance.md`).
    pub stream_batches_in_flight: usize,
}

impl LogConfig {
    /// One node, the given streams, default tunables.
    pub fn new(streams: Vec<StreamSpec>) -> Self {
        Self {
            streams,
            replicas: 1,
            duplicate_window: Duration::from_secs(2 * 60 * 60),
            snapshot_every: 100,
            ack_timeout: Duration::from_secs(5),
            publish_attempts: 3,
            conflict_retries: 16,
            cache_capacity: 2_048,
            group_commit_max: 256,
            stream_batch_max: 256,
            stream_batches_in_flight: 1,
        }
    }
}

/// The name of the key-value bucket that holds aggregate snapshots.
pub const SNAPSHOT_BUCKET: &str = "semaine_snapshots";
