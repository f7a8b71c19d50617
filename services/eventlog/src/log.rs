//! [`EventLog`]: appends and reads over JetStream.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::StatusCode;
use async_nats::jetstream::{
    self,
    context::PublishErrorKind,
    kv,
    stream::{self, DirectGetErrorKind, StorageType},
};
use futures_util::StreamExt;
use proto::{Commit, DecodeError};
use tracing::{debug, warn};

use crate::config::{LogConfig, SNAPSHOT_BUCKET, StreamSpec};
use crate::writer::{StreamWriter, Write, WriteCounts};
use crate::{AggregateKey, codec};

/// How many messages one direct get returns at most.
const DIRECT_GET_BATCH: usize = 256;

/// The status of the reply that ends a batched direct get.
const NO_CONTENT: u16 = 204;

/// The header of a direct get reply that carries the message's stream sequence.
const NATS_SEQUENCE: &str = "Nats-Sequence";

/// The log: JetStream streams, one subject per aggregate. A handle: cloning it (every service,
/// every command's worker, every request's state holds one) shares one log.
#[derive(Clone)]
pub struct EventLog(std::sync::Arc<Log>);

/// What an [`EventLog`] shares.
pub struct Log {
    js: jetstream::Context,
    config: LogConfig,
    streams: HashMap<&'static str, stream::Stream>,
    snapshots: kv::Store,
    cache: std::sync::Arc<crate::cache::AggregateCache>,
    writers: HashMap<&'static str, std::sync::Arc<StreamWriter>>,
}

/// A commit read back, with the stream sequence of its message.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCommit {
    /// The stream sequence of the message; the aggregate's version after it.
    pub seq: u64,
    /// Its events.
    pub commit: Commit,
}

/// A successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The commit was stored at this stream sequence.
    Stored {
        /// Its stream sequence.
        seq: u64,
    },
    /// A message with the same id was already stored, at this sequence: nothing was written and
    /// the caller gets the original's sequence.
    Duplicate {
        /// The original's stream sequence.
        seq: u64,
    },
}

impl Appended {
    /// The stream sequence of the commit, stored now or before.
    pub fn seq(self) -> u64 {
        match self {
            Self::Stored { seq } | Self::Duplicate { seq } => seq,
        }
    }
}

/// Why an append stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another writer appended to the aggregate since `expected`: reload and decide again.
    #[error(
        "cannot append: the aggregate moved past version {expected} (another writer was first)"
    )]
    Conflict {
        /// The version the writer decided from.
        expected: u64,
    },
    /// JetStream did not acknowledge the append. It may or may not be stored: retrying with the
    /// same idempotency key is safe.
    #[error("cannot append: JetStream is unavailable ({reason})")]
    Unavailable {
        /// What the client saw.
        reason: String,
    },
    /// The commit is larger than the server accepts.
    #[error("cannot append: the commit is larger than the server's maximum payload")]
    TooLarge,
    /// The commit could not be serialised.
    #[error("cannot append: the commit does not serialise: {0}")]
    Encode(#[from] serde_json::Error),
    /// Other writers appended to the aggregates of these companion commits since the versions
    /// they were decided on: nothing was stored.
    #[error(
        "cannot append: companion commits {indexes:?} were decided on versions since moved past"
    )]
    CompanionConflict {
        /// Their indexes among the companions.
        indexes: Vec<usize>,
    },
    /// JetStream refused the append for another reason.
    #[error("cannot append: JetStream refused it ({reason})")]
    Refused {
        /// What JetStream said.
        reason: String,
    },
}

/// Why an aggregate or a commit could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// JetStream did not answer.
    #[error("cannot read the log: JetStream is unavailable ({reason})")]
    Unavailable {
        /// What the client saw.
        reason: String,
    },
    /// A stored message is not a readable commit: the aggregate cannot be decided on until it
    /// is repaired (an upcaster added, a bug fixed).
    #[error("cannot read {subject} at sequence {seq}: {source}")]
    Undecodable {
        /// The aggregate's subject.
        subject: String,
        /// The message's sequence.
        seq: u64,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// The stream is not one this log was opened with.
    #[error("cannot read stream `{0}`: this log was not opened with it")]
    UnknownStream(String),
}

/// Why the log could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A stream could not be created or updated.
    #[error("cannot create or update stream `{stream}`: {reason}")]
    Stream {
        /// Which.
        stream: String,
        /// What JetStream said.
        reason: String,
    },
    /// The snapshot bucket could not be created.
    #[error("cannot create the snapshot bucket: {0}")]
    Snapshots(String),
}

fn unavailable(e: impl std::fmt::Display) -> LoadError {
    LoadError::Unavailable {
        reason: e.to_string(),
    }
}

impl std::ops::Deref for EventLog {
    type Target = Log;

    fn deref(&self) -> &Log {
        &self.0
    }
}

impl EventLog {
    /// Opens the log: creates each stream, or updates it to the configuration (idempotent, so
    /// every instance of every service can run it at start-up), and the snapshot bucket.
    pub async fn open(client: async_nats::Client, config: LogConfig) -> Result<Self, OpenError> {
        let js = jetstream::ContextBuilder::new()
            .timeout(config.ack_timeout)
            .build(client);
        let mut streams = HashMap::new();
        for spec in &config.streams {
            js.create_or_update_stream(stream_config(spec, &config))
                .await
                .map_err(|e| OpenError::Stream {
                    stream: spec.name.into(),
                    reason: e.to_string(),
                })?;
            let stream = js
                .get_stream(spec.name)
                .await
                .map_err(|e| OpenError::Stream {
                    stream: spec.name.into(),
                    reason: e.to_string(),
                })?;
            streams.insert(spec.name, stream);
        }
        let snapshots = open_snapshot_bucket(&js, &config).await?;
        let writers = config
            .streams
            .iter()
            .map(|spec| {
                let writer = StreamWriter::new(
                    js.clone(),
                    config.ack_timeout,
                    config.stream_batch_max,
                    config.stream_batches_in_flight,
                );
                (spec.name, std::sync::Arc::new(writer))
            })
            .collect();
        Ok(Self(std::sync::Arc::new(Log {
            js,
            writers,
            cache: std::sync::Arc::new(crate::cache::AggregateCache::new(config.cache_capacity)),
            config,
            streams,
            snapshots,
        })))
    }

    /// How many commits this log stored so far, in how many writes (over all its streams).
    pub fn write_counts(&self) -> WriteCounts {
        self.writers
            .values()
            .map(|writer| writer.counts())
            .fold(WriteCounts::default(), |a, b| a + b)
    }

    /// The JetStream context the log uses.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// The snapshot bucket.
    pub(crate) fn snapshots(&self) -> &kv::Store {
        &self.snapshots
    }

    /// The aggregates kept in memory.
    pub(crate) fn cache(&self) -> &crate::cache::AggregateCache {
        &self.cache
    }

    fn stream(&self, name: &str) -> Result<&stream::Stream, LoadError> {
        self.streams
            .get(name)
            .ok_or_else(|| LoadError::UnknownStream(name.into()))
    }

    /// Appends `commit` to the aggregate if its version is still `expected` (0: no event yet).
    ///
    /// `idempotency_key` identifies the commit: a second append with the same key to the same
    /// aggregate stores nothing and answers [`Appended::Duplicate`] with the first one's sequence
    /// (JetStream's `Nats-Msg-Id`, scoped by the aggregate's subject because JetStream scopes it
    /// by stream). When no acknowledgement comes, the same message is sent again (bounded):
    /// JetStream de-duplicates it, so a publish that timed out but was stored is stored once.
    pub async fn append(
        &self,
        key: &AggregateKey,
        expected: u64,
        commit: &Commit,
        idempotency_key: &str,
    ) -> Result<Appended, AppendError> {
        check_commit(key, commit)?;
        let msg_id = message_id(key, idempotency_key);
        let msg_id = msg_id.as_str();
        let message = write_of(key, expected, commit, msg_id)?;
        let attempts = self.config.publish_attempts.max(1);
        let mut last_failure = String::new();
        for attempt in 1..=attempts {
            let write = message.clone();
            let Some(writer) = self.writers.get(key.stream()) else {
                return Err(AppendError::Refused {
                    reason: format!("stream `{}`: this log was not opened with it", key.stream()),
                });
            };
            match writer.write(write).await {
                Ok((seq, true)) => return Ok(Appended::Duplicate { seq }),
                Ok((seq, false)) => return Ok(Appended::Stored { seq }),
                Err(e) => match e.kind() {
                    PublishErrorKind::WrongLastSequence => {
                        // JetStream checks the expected sequence before the message id: a retry
                        // of a stored append lands here. Read back before calling it a conflict.
                        return match self.find_message_id(key, expected, msg_id).await {
                            Some(seq) => Ok(Appended::Duplicate { seq }),
                            None => Err(AppendError::Conflict { expected }),
                        };
                    }
                    PublishErrorKind::MaxPayloadExceeded => return Err(AppendError::TooLarge),
                    PublishErrorKind::TimedOut
                    | PublishErrorKind::BrokenPipe
                    | PublishErrorKind::StreamNotFound
                    | PublishErrorKind::MaxAckPending => {
                        debug!(subject = %key, attempt, error = %e, "append not acknowledged, sending again");
                        last_failure = e.to_string();
                        tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    }
                    PublishErrorKind::WrongLastMessageId | PublishErrorKind::Other => {
                        return Err(refused_or_unavailable(&e));
                    }
                },
            }
        }
        warn!(subject = %key, reason = %last_failure, "append unacknowledged after {attempts} attempts");
        Err(AppendError::Unavailable {
            reason: last_failure,
        })
    }

    /// Appends `commit` to `key` with the commits of other aggregates of the same stream decided
    /// with it, all or none, in one atomic batch: the command's own commit first, each
    /// companion at the version it was decided on. `idempotency_key` identifies the command's
    /// commit as in [`EventLog::append`]. Answers it as `append` does, and the companions'
    /// sequences.
    ///
    /// The broker does not say which message of a refused batch was stale: the versions are read
    /// back to tell a conflict on the command's aggregate ([`AppendError::Conflict`]) from one
    /// on a companion's ([`AppendError::CompanionConflict`]), and the command's commit id to
    /// tell a batch stored by an earlier send whose acknowledgement was lost.
    pub async fn append_together(
        &self,
        key: &AggregateKey,
        expected: u64,
        commit: &Commit,
        idempotency_key: &str,
        companions: &[CompanionCommit],
    ) -> Result<(Appended, Vec<u64>), AppendError> {
        if companions.is_empty() {
            return Ok((
                self.append(key, expected, commit, idempotency_key).await?,
                vec![],
            ));
        }
        check_commit(key, commit)?;
        let msg_id = message_id(key, idempotency_key);
        let mut writes = vec![write_of(key, expected, commit, &msg_id)?];
        for companion in companions {
            check_commit(&companion.key, &companion.commit)?;
            if companion.key.stream() != key.stream() {
                return Err(AppendError::Refused {
                    reason: format!(
                        "{} is not in stream `{}`: commits are stored together within a stream",
                        companion.key,
                        key.stream()
                    ),
                });
            }
            let id = message_id(
                &companion.key,
                &crate::command::commit_id(&companion.commit),
            );
            writes.push(write_of(
                &companion.key,
                companion.expected,
                &companion.commit,
                &id,
            )?);
        }
        let Some(writer) = self.writers.get(key.stream()) else {
            return Err(AppendError::Refused {
                reason: format!("stream `{}`: this log was not opened with it", key.stream()),
            });
        };
        let attempts = self.config.publish_attempts.max(1);
        let mut last_failure = String::new();
        for attempt in 1..=attempts {
            let refusal = match writer.write_together(writes.clone()).await {
                Ok(seqs) => {
                    let (first, rest) = seqs.split_first().ok_or_else(|| AppendError::Refused {
                        reason: "a batch acknowledged without its messages".into(),
                    })?;
                    return Ok((Appended::Stored { seq: *first }, rest.to_vec()));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        PublishErrorKind::TimedOut | PublishErrorKind::BrokenPipe
                    ) =>
                {
                    debug!(subject = %key, attempt, error = %e, "commits not acknowledged, sending again");
                    last_failure = e.to_string();
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                    continue;
                }
                Err(refused) => refused,
            };
            // Refused: stored already by a send whose answer was lost, or a stale version.
            if let Some(seq) = self.find_message_id(key, expected, &msg_id).await {
                // Stored in one batch: the companions follow it.
                let rest = (1..=companions.len() as u64).map(|i| seq + i).collect();
                return Ok((Appended::Duplicate { seq }, rest));
            }
            if self.version(key).await.ok() != Some(expected) {
                return Err(AppendError::Conflict { expected });
            }
            let versions =
                futures_util::future::join_all(companions.iter().map(|c| self.version(&c.key)))
                    .await;
            let indexes: Vec<usize> = companions
                .iter()
                .zip(versions)
                .enumerate()
                .filter(|(_, (companion, version))| {
                    version.as_ref().ok() != Some(&companion.expected)
                })
                .map(|(index, _)| index)
                .collect();
            if !indexes.is_empty() {
                return Err(AppendError::CompanionConflict { indexes });
            }
            return Err(refused_or_unavailable(&refusal));
        }
        warn!(subject = %key, reason = %last_failure, "commits unacknowledged after {attempts} attempts");
        Err(AppendError::Unavailable {
            reason: last_failure,
        })
    }

    /// The sequence of the aggregate's last commit, 0 when it has none.
    ///
    /// Asked with a direct get (`$JS.API.DIRECT.GET`): the message comes back as it is stored,
    /// where the stream API's answer is JSON with the body in base64, which nats-server encodes
    /// and the client decodes (measurable on a busy session, whose last commit is large). A
    /// replica may answer a moment behind the leader: a decision on a state one commit old is
    /// refused by its append's expected version and made again.
    pub async fn version(&self, key: &AggregateKey) -> Result<u64, LoadError> {
        let stream = self.stream(key.stream())?;
        match stream.direct_get_last_for_subject(key.subject()).await {
            Ok(message) => Ok(message.sequence),
            Err(e) if e.kind() == DirectGetErrorKind::NotFound => Ok(0),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The sequence of the aggregate's message stored after `after` with this `Nats-Msg-Id`,
    /// if any. `None` also when the log cannot be read: the caller then reports a conflict, and
    /// the retry that follows is recognised by the aggregate's idempotency keys.
    async fn find_message_id(&self, key: &AggregateKey, after: u64, msg_id: &str) -> Option<u64> {
        let last = self.version(key).await.ok()?;
        let messages = self.read_messages(key, after, last).await.ok()?;
        messages.into_iter().find_map(|(seq, message)| {
            let headers = message.headers.as_ref()?;
            // Commits written before the commit id header carry their id as the message id.
            let id = headers
                .get(proto::headers::COMMIT_ID)
                .or_else(|| headers.get(proto::headers::NATS_MSG_ID))?;
            (id.as_str() == msg_id).then_some(seq)
        })
    }

    /// Every commit of one aggregate after sequence `after`, in order, read through JetStream's
    /// per-subject index, never a scan of the stream.
    pub async fn read_commits(
        &self,
        key: &AggregateKey,
        after: u64,
    ) -> Result<Vec<RecordedCommit>, LoadError> {
        let last = self.version(key).await?;
        self.read_commits_until(key, after, last).await
    }

    /// The commits of one aggregate after sequence `after` up to `last` (its version, read
    /// before), in order.
    pub(crate) async fn read_commits_until(
        &self,
        key: &AggregateKey,
        after: u64,
        last: u64,
    ) -> Result<Vec<RecordedCommit>, LoadError> {
        self.read_messages(key, after, last)
            .await?
            .into_iter()
            .map(|(seq, message)| {
                let commit = codec::decode(message.headers.as_ref(), &message.payload).map_err(
                    |source| LoadError::Undecodable {
                        subject: key.subject().to_owned(),
                        seq,
                        source,
                    },
                )?;
                Ok(RecordedCommit { seq, commit })
            })
            .collect()
    }

    /// The raw messages of one aggregate after sequence `after` up to `last`, with their
    /// sequences.
    ///
    /// Read with batched direct gets (`$JS.API.DIRECT.GET`, `next_by_subj`, nats-server 2.11+):
    /// JetStream's per-subject index, a round trip per batch, and no consumer to create.
    async fn read_messages(
        &self,
        key: &AggregateKey,
        after: u64,
        last: u64,
    ) -> Result<Vec<(u64, async_nats::Message)>, LoadError> {
        let mut found = Vec::new();
        let mut next = after + 1;
        let mut empty_batches = 0;
        while next <= last {
            let batch = self.direct_get_batch(key, next).await?;
            if batch.is_empty() {
                // A replica answering a direct get may trail the leader by a moment.
                empty_batches += 1;
                if empty_batches > 20 {
                    return Err(LoadError::Unavailable {
                        reason: format!("{key}: no replica returned messages up to {last}"),
                    });
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            for (seq, message) in batch {
                if seq > last {
                    break;
                }
                next = seq + 1;
                found.push((seq, message));
            }
        }
        Ok(found)
    }

    /// One batch of messages on the aggregate's subject from sequence `from` on.
    async fn direct_get_batch(
        &self,
        key: &AggregateKey,
        from: u64,
    ) -> Result<Vec<(u64, async_nats::Message)>, LoadError> {
        let client = self.js.client();
        let inbox = client.new_inbox();
        let mut replies = client.subscribe(inbox.clone()).await.map_err(unavailable)?;
        let request = serde_json::json!({
            "seq": from,
            "next_by_subj": key.subject(),
            "batch": DIRECT_GET_BATCH,
        });
        client
            .publish_with_reply(
                format!("$JS.API.DIRECT.GET.{}", key.stream()),
                inbox,
                request.to_string().into(),
            )
            .await
            .map_err(unavailable)?;
        let mut batch = Vec::new();
        loop {
            let reply = tokio::time::timeout(self.config.ack_timeout, replies.next())
                .await
                .map_err(|_| LoadError::Unavailable {
                    reason: format!("{key}: direct get timed out"),
                })?
                .ok_or_else(|| LoadError::Unavailable {
                    reason: format!("{key}: connection closed during a direct get"),
                })?;
            match reply.status {
                // End of batch, or nothing at or after `from`.
                Some(s) if s.as_u16() == NO_CONTENT || s == StatusCode::NOT_FOUND => break,
                Some(s) if s != StatusCode::OK => {
                    return Err(LoadError::Unavailable {
                        reason: format!("{key}: direct get answered {s} {:?}", reply.description),
                    });
                }
                _ => {}
            }
            let seq = reply
                .headers
                .as_ref()
                .and_then(|h| h.get(NATS_SEQUENCE))
                .and_then(|v| v.as_str().parse::<u64>().ok())
                .ok_or_else(|| LoadError::Unavailable {
                    reason: format!("{key}: direct get reply without a sequence"),
                })?;
            batch.push((seq, reply));
            if batch.len() >= DIRECT_GET_BATCH {
                break;
            }
        }
        let _ = replies.unsubscribe().await;
        Ok(batch)
    }

    /// The commit stored at `seq` in `stream`.
    pub async fn read_commit_at(
        &self,
        stream: &str,
        seq: u64,
    ) -> Result<RecordedCommit, LoadError> {
        let message = self
            .stream(stream)?
            .get_raw_message(seq)
            .await
            .map_err(unavailable)?;
        let commit = codec::decode(Some(&message.headers), &message.payload).map_err(|source| {
            LoadError::Undecodable {
                subject: message.subject.to_string(),
                seq,
                source,
            }
        })?;
        Ok(RecordedCommit { seq, commit })
    }

    /// The sequence of the last message in `stream`: how far projections must go.
    pub async fn last_sequence(&self, stream: &str) -> Result<u64, LoadError> {
        let info = self.stream(stream)?.get_info().await.map_err(unavailable)?;
        Ok(info.state.last_sequence)
    }
}

/// A commit of another aggregate stored with a command's own, all or none
/// ([`EventLog::append_together`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CompanionCommit {
    /// Its aggregate, in the same stream as the command's.
    pub key: AggregateKey,
    /// The aggregate's version it was decided on.
    pub expected: u64,
    /// Its events.
    pub commit: Commit,
}

/// Refuses a commit that holds no event or an event of another aggregate.
fn check_commit(key: &AggregateKey, commit: &Commit) -> Result<(), AppendError> {
    if commit.events.is_empty() {
        return Err(AppendError::Refused {
            reason: "a commit holds at least one event".into(),
        });
    }
    if let Some(stray) = commit
        .events
        .iter()
        .find(|e| e.envelope.aggregate != key.subject())
    {
        return Err(AppendError::Refused {
            reason: format!(
                "event {} belongs to {}, not {key}",
                stray.envelope.id, stray.envelope.aggregate
            ),
        });
    }
    Ok(())
}

/// The message that carries `commit` to `key`, decided on version `expected`.
fn write_of(
    key: &AggregateKey,
    expected: u64,
    commit: &Commit,
    msg_id: &str,
) -> Result<Write, AppendError> {
    let (headers, body) = codec::encode(commit, msg_id)?;
    Ok(Write {
        subject: key.subject().to_owned(),
        expected,
        headers,
        body,
        msg_id: msg_id.to_owned(),
    })
}

/// The `Nats-Msg-Id` of a commit: its idempotency key, scoped by the aggregate.
fn message_id(key: &AggregateKey, idempotency_key: &str) -> String {
    format!("{}:{idempotency_key}", key.subject())
}

fn refused_or_unavailable(e: &async_nats::jetstream::context::PublishError) -> AppendError {
    let reason = match std::error::Error::source(e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    };
    AppendError::Refused { reason }
}

fn stream_config(spec: &StreamSpec, config: &LogConfig) -> stream::Config {
    stream::Config {
        name: spec.name.into(),
        description: Some(spec.description.into()),
        subjects: vec![spec.subjects.into()],
        storage: StorageType::File,
        num_replicas: config.replicas,
        duplicate_window: config.duplicate_window,
        // The log is immutable: no message is deleted or purged, ever. Erasure of personal data
        // destroys keys, not events (see the registration service).
        deny_delete: true,
        deny_purge: true,
        // Aggregates are read with batched direct gets.
        allow_direct: true,
        // Commits of many aggregates are written together (see `writer`).
        allow_atomic_publish: config.stream_batch_max > 1,
        ..Default::default()
    }
}

async fn open_snapshot_bucket(
    js: &jetstream::Context,
    config: &LogConfig,
) -> Result<kv::Store, OpenError> {
    let bucket = kv::Config {
        bucket: SNAPSHOT_BUCKET.into(),
        description: "aggregate snapshots: a cache of the streams, rebuilt on demand".into(),
        history: 1,
        storage: StorageType::File,
        num_replicas: config.replicas,
        ..Default::default()
    };
    match js.create_key_value(bucket.clone()).await {
        Ok(store) => Ok(store),
        Err(create) => js
            .update_key_value(bucket)
            .await
            .map_err(|update| OpenError::Snapshots(format!("{create}; then {update}"))),
    }
}
