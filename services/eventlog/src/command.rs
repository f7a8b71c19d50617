//! The command loop every shell runs: load → decide → append → on conflict, reload and decide
//! again (bounded) → a typed outcome.

use std::time::Duration;

use proto::{Actor, Commit, EventContract, EventEnvelope, StoredEvent};
use time::OffsetDateTime;
use tracing::{Instrument, debug, info_span};
use uuid::Uuid;

use crate::{Aggregate, AggregateKey, AppendError, Appended, EventLog, LoadError, Loaded};

/// Who asks, and the ids that make a command traceable and idempotent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandMeta {
    /// The caller's idempotency key, scoped by the caller (e.g. `partner:<id>:<key>`): the same
    /// key always gets the same answer and records nothing more.
    pub idempotency_key: String,
    /// The id shared by everything the outside request caused.
    pub correlation_id: Uuid,
    /// The id of this command (or of the event that triggered it, in a reactor).
    pub causation_id: Uuid,
    /// Who asks.
    pub actor: Actor,
}

impl CommandMeta {
    /// A command from `actor` with its idempotency key, starting a new correlation.
    pub fn new(actor: Actor, idempotency_key: impl Into<String>) -> Self {
        let id = Uuid::now_v7();
        Self {
            idempotency_key: idempotency_key.into(),
            correlation_id: id,
            causation_id: id,
            actor,
        }
    }

    /// A command sent because of an event (by a reactor): it carries on the event's correlation
    /// id, and the event is its cause.
    pub fn caused_by(
        actor: Actor,
        idempotency_key: impl Into<String>,
        correlation_id: Uuid,
        event_id: Uuid,
    ) -> Self {
        Self {
            idempotency_key: idempotency_key.into(),
            correlation_id,
            causation_id: event_id,
            actor,
        }
    }

    /// Wraps the events a decision produced into a commit, each with its full envelope.
    pub fn commit<E: EventContract>(
        &self,
        key: &AggregateKey,
        events: &[E],
    ) -> Result<Commit, serde_json::Error> {
        let occurred_at = OffsetDateTime::now_utc();
        let events = events
            .iter()
            .map(|event| {
                let wire = event.encode()?;
                Ok(StoredEvent {
                    envelope: EventEnvelope {
                        id: Uuid::now_v7(),
                        aggregate: key.subject().to_owned(),
                        occurred_at,
                        correlation_id: self.correlation_id,
                        causation_id: self.causation_id,
                        idempotency_key: Some(self.idempotency_key.clone()),
                        actor: self.actor.clone(),
                    },
                    event_type: wire.event_type.to_owned(),
                    version: wire.version,
                    data: wire.data,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        Ok(Commit { events })
    }
}

/// A command's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided<E> {
    /// The stream sequence of the commit that recorded it (for a retry, the original commit's);
    /// when the command changed nothing, the aggregate's version it was decided on. A read can
    /// wait for its read model to reach it.
    pub seq: u64,
    /// The events recorded.
    pub events: Vec<E>,
    /// True when this is a retry answered with the original outcome.
    pub duplicate: bool,
}

/// Why a command recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The rules refused it.
    #[error("command refused: {0:?}")]
    Refused(E),
    /// Other writers kept being first, more times than the loop retries.
    #[error("command abandoned after {attempts} concurrency conflicts")]
    Contended {
        /// How many times it decided.
        attempts: u32,
    },
    /// JetStream did not answer; retrying with the same idempotency key is safe.
    #[error("command not recorded: {0}")]
    Unavailable(String),
    /// The aggregate's history cannot be read, or the commit cannot be written.
    #[error("command not recorded: {0}")]
    Log(String),
}

impl<E> From<LoadError> for CommandError<E> {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Unavailable { reason } => Self::Unavailable(reason),
            other => Self::Log(other.to_string()),
        }
    }
}

impl EventLog {
    /// Runs one command against one aggregate: load, decide, append; on a conflict, load again
    /// and decide again, up to the configured number of times.
    ///
    /// A command whose idempotency key is already in the aggregate's history is answered with
    /// the original outcome and records nothing.
    pub async fn execute<A: Aggregate>(
        &self,
        key: &AggregateKey,
        command: &A::Command,
        meta: &CommandMeta,
    ) -> Result<Decided<A::Event>, CommandError<A::Error>> {
        let span = info_span!("command", aggregate = %key, correlation_id = %meta.correlation_id);
        async {
            // Commands on one aggregate take turns within this process: they would only refuse
            // each other (and the one that keeps losing the race could give up). Other
            // processes are kept in line by the expected version, as before.
            let turn = self.cache().turn(key);
            let _turn = turn.lock().await;
            let mut loaded = self.load::<A>(key).await?;
            let attempts = self.config().conflict_retries + 1;
            for attempt in 1..=attempts {
                if let Some(&seq) = loaded.idempotency.get(&meta.idempotency_key) {
                    return self.original_outcome::<A>(key, seq, meta).await;
                }
                let events = A::decide(&loaded.state, command).map_err(CommandError::Refused)?;
                if events.is_empty() {
                    return Ok(Decided {
                        seq: loaded.version,
                        events,
                        duplicate: false,
                    });
                }
                let commit = meta
                    .commit(key, &events)
                    .map_err(|e| CommandError::Log(e.to_string()))?;
                match self
                    .append(key, loaded.version, &commit, &meta.idempotency_key)
                    .await
                {
                    Ok(Appended::Stored { seq }) => {
                        self.remember(key, &loaded, seq, &commit);
                        return Ok(Decided {
                            seq,
                            events,
                            duplicate: false,
                        });
                    }
                    Ok(Appended::Duplicate { seq }) => {
                        return self.original_outcome::<A>(key, seq, meta).await;
                    }
                    Err(AppendError::Conflict { .. }) => {
                        debug!(attempt, "conflict; deciding again");
                        if attempt > 2 {
                            // Another process writes to this aggregate too: back off a little,
                            // more each time, with some jitter so that the two fall out of step.
                            let jitter = u64::from(meta.causation_id.as_u128() as u8 % 8);
                            let wait = (1u64 << attempt.min(6)) + jitter;
                            tokio::time::sleep(Duration::from_millis(wait)).await;
                        }
                        self.catch_up(key, &mut loaded).await?;
                    }
                    Err(AppendError::Unavailable { reason }) => {
                        return Err(CommandError::Unavailable(reason));
                    }
                    Err(other) => return Err(CommandError::Log(other.to_string())),
                }
            }
            Err(CommandError::Contended { attempts })
        }
        .instrument(span)
        .await
    }

    /// The events a command recorded in the commit at `seq`, for a retried command.
    async fn original_outcome<A: Aggregate>(
        &self,
        key: &AggregateKey,
        seq: u64,
        meta: &CommandMeta,
    ) -> Result<Decided<A::Event>, CommandError<A::Error>> {
        let recorded = self.read_commit_at(key.stream(), seq).await?;
        let events = recorded
            .commit
            .events
            .iter()
            .filter(|e| e.envelope.aggregate == key.subject())
            .filter(|e| e.envelope.idempotency_key.as_deref() == Some(&meta.idempotency_key))
            .map(|e| A::Event::decode(&e.event_type, e.version, e.data.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CommandError::Log(e.to_string()))?;
        Ok(Decided {
            seq,
            events,
            duplicate: true,
        })
    }

    /// Keeps the aggregate as the commit just stored left it, in memory, and writes a snapshot
    /// in the background once enough commits piled up since the last one.
    fn remember<A: Aggregate>(
        &self,
        key: &AggregateKey,
        before: &Loaded<A>,
        seq: u64,
        commit: &Commit,
    ) {
        let mut after = before.clone();
        let recorded = crate::RecordedCommit {
            seq,
            commit: commit.clone(),
        };
        if after.apply(&recorded).is_err() {
            return;
        }
        if after.commits_since_snapshot >= self.config().snapshot_every {
            let log = self.clone();
            let key = key.clone();
            let snapshot = after.clone();
            tokio::spawn(async move { log.write_snapshot(&key, &snapshot).await });
            after.commits_since_snapshot = 0;
        }
        self.cache().put(key, after);
    }
}
