//! The command loop every shell runs: load → decide → append → on conflict, reload and decide
//! again (bounded) → a typed outcome.
//!
//! **Group commit.** Commands on one aggregate wait in its queue (see `cache`); one worker at a
//! time takes every command waiting, decides them one after the other on the state each one
//! leaves, and appends all their events as one commit: one durable write for many commands. The
//! outcome is the one they would have had one at a time, in the order they arrived; each answer
//! carries the sequence of the commit that recorded it. A refused command records nothing and
//! does not stop the others.
//!
//! **Companions.** A command may carry a [`Companion`]: another aggregate's events, decided by the
//! caller on that aggregate's version, that its own events call for (a registration confirmed in a
//! session's seats keeps the slot in its participant's agenda). They are appended with the group's
//! commit in one atomic batch, all or none; a companion whose aggregate moved meanwhile is not
//! stored, and its command is answered [`LogFailure::Contended`] for its caller to decide again.
//!
//! **Prerequisites.** A command may also carry a [`Prerequisite`]: a write its commit must follow
//! (a participant's new key, in another stream). It runs while the command waits and is decided;
//! the group's commit is appended once the prerequisites of the commands that record events
//! succeeded, and a command whose prerequisite failed is answered `Contended`.

use std::time::Duration;

use proto::{Actor, Commit, EventContract, EventEnvelope, StoredEvent};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tracing::{Instrument, debug, info_span};
use uuid::Uuid;

use crate::LogFailure;
use crate::cache::CommitQueue;
use crate::{
    Aggregate, AggregateKey, AppendError, Appended, CompanionCommit, EventLog, LoadError, Loaded,
    RecordedCommit,
};

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
    /// A command from `actor` with its idempotency key: part of the request being served
    /// ([`crate::correlation::current`]), or starting a new correlation.
    pub fn new(actor: Actor, idempotency_key: impl Into<String>) -> Self {
        let id = Uuid::now_v7();
        Self {
            idempotency_key: idempotency_key.into(),
            correlation_id: crate::correlation::current().unwrap_or(id),
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
        Ok(Commit {
            events: self.stored(key, events, OffsetDateTime::now_utc())?,
        })
    }

    /// The events a decision produced, each with its full envelope, as they are stored.
    fn stored<E: EventContract>(
        &self,
        key: &AggregateKey,
        events: &[E],
        occurred_at: OffsetDateTime,
    ) -> Result<Vec<StoredEvent>, serde_json::Error> {
        events
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
            .collect()
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
    /// The log did not record it.
    #[error(transparent)]
    Failed(#[from] LogFailure),
}

impl<E> From<LoadError> for CommandError<E> {
    fn from(e: LoadError) -> Self {
        Self::Failed(e.into())
    }
}

/// How a companion's events, with their envelopes, follow from its command's events at an instant.
type CompanionEvents<E> =
    Box<dyn Fn(&[E], OffsetDateTime) -> Result<Vec<StoredEvent>, serde_json::Error> + Send + Sync>;

/// Another aggregate's events stored with a command's own, all or none, when the command's events
/// call for them (see the module's documentation). `E` is the command's aggregate's event type.
pub struct Companion<E> {
    key: AggregateKey,
    expected: u64,
    /// From the command's events, the companion's, with their envelopes: none, nothing to store.
    events: CompanionEvents<E>,
    /// Keeps the companion's commit, once stored at a sequence, in the aggregate kept in memory.
    remember: fn(&EventLog, &CompanionCommit, u64),
}

impl<E> Companion<E> {
    /// Events of the aggregate of type `B` at `key`, decided on its version `expected`, that a
    /// command's events call for: `events` turns the command's events into them (none: nothing
    /// to store). They carry `meta`'s ids.
    pub fn new<B: Aggregate>(
        key: AggregateKey,
        expected: u64,
        meta: CommandMeta,
        events: impl Fn(&[E]) -> Vec<B::Event> + Send + Sync + 'static,
    ) -> Self {
        let stored_key = key.clone();
        Self {
            key,
            expected,
            events: Box::new(move |own, occurred_at| {
                meta.stored(&stored_key, &events(own), occurred_at)
            }),
            remember: remember_companion::<B>,
        }
    }
}

/// Folds a companion commit, stored at `seq`, into the copy of its aggregate kept in memory when
/// that copy is the version it was decided on; an older copy is caught up on its next use.
fn remember_companion<B: Aggregate>(log: &EventLog, companion: &CompanionCommit, seq: u64) {
    let Some(cached) = log.cache().get::<B>(&companion.key) else {
        return;
    };
    if cached.version != companion.expected {
        return;
    }
    let mut after = std::sync::Arc::unwrap_or_clone(cached);
    let recorded = RecordedCommit {
        seq,
        commit: companion.commit.clone(),
    };
    if after.apply(&recorded).is_ok() {
        log.cache().put(&companion.key, std::sync::Arc::new(after));
    }
}

/// A write a command's commit must follow: the commit is appended only once this write
/// succeeded, and the command is answered [`LogFailure::Contended`] if it failed (a
/// participant's new key, written while the registration is decided: the registration is never
/// stored with an identity sealed by a key that is not). It runs as a task of its own from the
/// moment it is made.
pub struct Prerequisite(PrerequisiteState);

enum PrerequisiteState {
    Running(tokio::task::JoinHandle<Result<(), String>>),
    Done(Result<(), String>),
}

impl Prerequisite {
    /// Starts `write`.
    pub fn spawn(write: impl Future<Output = Result<(), String>> + Send + 'static) -> Self {
        Self(PrerequisiteState::Running(tokio::spawn(write)))
    }

    /// Waits for the write, once; its outcome after.
    async fn outcome(&mut self) -> Result<(), String> {
        if let PrerequisiteState::Running(task) = &mut self.0 {
            let outcome = task.await.unwrap_or_else(|e| Err(e.to_string()));
            self.0 = PrerequisiteState::Done(outcome);
        }
        match &self.0 {
            PrerequisiteState::Done(outcome) => outcome.clone(),
            PrerequisiteState::Running(_) => Err("the write was not awaited".into()),
        }
    }
}

/// What a command may carry besides itself ([`EventLog::execute_with`]).
pub struct Alongside<E> {
    /// Another aggregate's events to store with the command's, when its events call for them.
    pub companion: Option<Companion<E>>,
    /// A write the command's commit must follow.
    pub after: Option<Prerequisite>,
}

impl<E> Default for Alongside<E> {
    fn default() -> Self {
        Self {
            companion: None,
            after: None,
        }
    }
}

/// A command's answer, as the worker sends it back to the command's caller.
pub(crate) type Outcome<A> =
    Result<Decided<<A as decider::Decider>::Event>, CommandError<<A as decider::Decider>::Error>>;

/// One command waiting in an aggregate's queue, with where its answer goes.
pub(crate) struct Pending<A: Aggregate> {
    command: A::Command,
    meta: CommandMeta,
    companion: Option<Companion<A::Event>>,
    after: Option<Prerequisite>,
    reply: oneshot::Sender<Outcome<A>>,
}

/// What deciding one command of a group came to, before the group's commit is appended.
enum Decision<R> {
    /// The rules refused it: final, whatever happens to the others.
    Refused(R),
    /// It changes nothing; `after_changes` when commands before it in the group did.
    Unchanged { after_changes: bool },
    /// Its events, the `len` events of the group's commit from `first`.
    Recorded { first: usize, len: usize },
    /// Its idempotency key is in the aggregate's history, recorded at this sequence.
    Retried { seq: u64 },
    /// Its idempotency key was recorded by the command at this index of the group.
    SameAs { index: usize },
    /// Never decided: its events could not be encoded.
    Unencodable(String),
    /// Not decided in this group: another command of it already stores a companion commit on
    /// the same aggregate. Its caller decides again.
    Later,
}

impl EventLog {
    /// Runs one command against one aggregate: it waits in the aggregate's queue and is decided
    /// with the commands waiting with it, their events appended as one commit; on a conflict
    /// (another process wrote first) the group is decided again on the new state, up to the
    /// configured number of times.
    ///
    /// A command whose idempotency key is already in the aggregate's history is answered with
    /// the original outcome and records nothing.
    pub async fn execute<A: Aggregate>(
        &self,
        key: &AggregateKey,
        command: &A::Command,
        meta: &CommandMeta,
    ) -> Outcome<A> {
        self.execute_with::<A>(key, command, meta, Alongside::default())
            .await
    }

    /// Runs one command as [`EventLog::execute`] does, with what it carries: a companion's events
    /// are stored, when the command's events call for some, with the command's in one atomic
    /// batch; the commit waits for the prerequisite write. A companion whose aggregate moved past
    /// its version, or a prerequisite that failed, is answered [`LogFailure::Contended`],
    /// nothing stored: decide again.
    #[tracing::instrument(
        name = "command",
        level = "debug",
        skip_all,
        fields(aggregate = %key, correlation_id = %meta.correlation_id)
    )]
    pub async fn execute_with<A: Aggregate>(
        &self,
        key: &AggregateKey,
        command: &A::Command,
        meta: &CommandMeta,
        alongside: Alongside<A::Event>,
    ) -> Outcome<A> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            command: command.clone(),
            meta: meta.clone(),
            companion: alongside.companion,
            after: alongside.after,
            reply,
        };
        let queue = self.cache().queue::<A>(key);
        if queue.push(pending) {
            // The worker is a task of its own: a caller that stops waiting (a closed HTTP
            // connection) never interrupts a commit that carries other callers' commands.
            let log = self.clone();
            let key = key.clone();
            tokio::spawn(async move { log.work_through::<A>(&key, &queue).await });
        }
        answer.await.unwrap_or_else(|_| {
            Err(LogFailure::broken("the command was dropped before it was decided; retry").into())
        })
    }

    /// The worker of one aggregate's queue: takes every command waiting, commits them as a
    /// group, and again, until nobody waits.
    async fn work_through<A: Aggregate>(&self, key: &AggregateKey, queue: &CommitQueue<A>) {
        let _stopped = queue.on_panic_stop();
        let max = self.config().group_commit_max.max(1);
        let oldest =
            move |waiting: &mut Vec<Pending<A>>| waiting.drain(..waiting.len().min(max)).collect();
        while let Some(group) = queue.next(oldest) {
            let span = info_span!("group commit", aggregate = %key, commands = group.len());
            self.commit_group::<A>(key, group).instrument(span).await;
        }
    }

    /// Decides a group of commands and appends their events as one commit; answers each.
    ///
    /// The group is decided on the aggregate as kept in memory, without asking the log first:
    /// a commit is appended at the version it was decided on, so a copy that is not the latest
    /// any more (another process wrote) costs a conflict, a catch-up and a second decision. A
    /// group that records nothing (refused, or nothing to change) has no append to check it, so
    /// its decision is only answered once the log confirms the copy was the latest.
    async fn commit_group<A: Aggregate>(&self, key: &AggregateKey, mut group: Vec<Pending<A>>) {
        let (mut loaded, mut latest) = match self.cache().get::<A>(key) {
            Some(cached) => (cached, false),
            None => match self.load_shared::<A>(key).await {
                Ok(loaded) => (loaded, true),
                Err(e) => return answer_all(group, load_failure(e)),
            },
        };
        let attempts = self.config().conflict_retries + 1;
        let mut attempt = 1;
        while attempt <= attempts {
            let (decisions, commit, after, companions) = decide_group::<A>(key, &loaded, &group);
            let before = loaded.version;
            if commit.events.is_empty() {
                if !latest {
                    latest = true;
                    match self.load_shared::<A>(key).await {
                        Ok(fresh) if fresh.version != before => {
                            loaded = fresh;
                            continue;
                        }
                        Ok(_) => {}
                        Err(e) => return answer_all(group, load_failure(e)),
                    }
                }
                return self
                    .answer(key, group, decisions, &commit, (before, before))
                    .await;
            }
            let recorded: Vec<bool> = decisions
                .iter()
                .map(|d| matches!(d, Decision::Recorded { .. }))
                .collect();
            let failed = prerequisites_failed(&mut group, &recorded).await;
            if !failed.is_empty() {
                debug!(failed = failed.len(), "prerequisite writes failed");
                group = set_aside(group, &failed, attempt);
                if group.is_empty() {
                    return;
                }
                attempt += 1;
                continue;
            }
            let msg_id = commit_id(&commit);
            let stored: Vec<CompanionCommit> = companions.iter().map(|(_, c)| c.clone()).collect();
            match self
                .append_together(key, loaded.version, &commit, &msg_id, &stored)
                .await
            {
                Ok((Appended::Stored { seq } | Appended::Duplicate { seq }, companion_seqs)) => {
                    // A duplicate of this group's own message id is this very commit, stored by
                    // an earlier send whose acknowledgement was lost.
                    self.remember(key, after, &commit, seq);
                    for ((index, companion), seq) in companions.iter().zip(companion_seqs) {
                        if let Some(remember) = group[*index].companion.as_ref().map(|c| c.remember)
                        {
                            remember(self, companion, seq);
                        }
                    }
                    return self
                        .answer(key, group, decisions, &commit, (before, seq))
                        .await;
                }
                Err(AppendError::CompanionConflict { indexes }) => {
                    // Those companions were decided on versions since moved past: their commands
                    // are answered for their callers to decide again; the others go on.
                    let stale: Vec<usize> = indexes
                        .iter()
                        .filter_map(|i| companions.get(*i).map(|(command, _)| *command))
                        .collect();
                    debug!(stale = stale.len(), "companions decided on old versions");
                    group = set_aside(group, &stale, attempt);
                    if group.is_empty() {
                        return;
                    }
                    attempt += 1;
                }
                Err(AppendError::Conflict { .. }) => {
                    debug!(attempt, "conflict; deciding the group again");
                    if attempt > 2 {
                        // Another process writes to this aggregate too: back off a little,
                        // more each time, with some jitter so that the two fall out of step.
                        let jitter = u64::from(commit.events[0].envelope.id.as_u128() as u8 % 8);
                        tokio::time::sleep(Duration::from_millis(
                            (1u64 << attempt.min(6)) + jitter,
                        ))
                        .await;
                    }
                    loaded = match self.load_shared::<A>(key).await {
                        Ok(loaded) => loaded,
                        Err(e) => return answer_all(group, load_failure(e)),
                    };
                    latest = true;
                    attempt += 1;
                }
                Err(AppendError::TooLarge) if group.len() > 1 => {
                    // Too many events for one message: commit the group in two halves.
                    let mut first = group;
                    let second = first.split_off(first.len() / 2);
                    Box::pin(self.commit_group::<A>(key, first)).await;
                    return Box::pin(self.commit_group::<A>(key, second)).await;
                }
                Err(other) => {
                    let failure = LogFailure::from(other);
                    return answer_all(group, || failure.clone().into());
                }
            }
        }
        answer_all(group, || LogFailure::Contended { attempts }.into());
    }

    /// Sends every command of a group its outcome: the group was decided on version `before`
    /// and its commit stored at `seq` (`before` too when it recorded nothing).
    async fn answer<A: Aggregate>(
        &self,
        key: &AggregateKey,
        group: Vec<Pending<A>>,
        decisions: Vec<Decision<A::Error>>,
        commit: &Commit,
        (before, seq): (u64, u64),
    ) {
        let recorded =
            |first: usize, len: usize| -> Result<Vec<A::Event>, CommandError<A::Error>> {
                commit.events[first..first + len]
                    .iter()
                    .map(|e| A::Event::decode(&e.event_type, e.version, &e.data))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| LogFailure::from(e).into())
            };
        let mut outcomes: Vec<Outcome<A>> = Vec::with_capacity(group.len());
        for (index, (pending, decision)) in group.iter().zip(decisions).enumerate() {
            let outcome = match decision {
                Decision::Refused(refusal) => Err(CommandError::Refused(refusal)),
                Decision::Unchanged { after_changes } => Ok(Decided {
                    // The version it was decided on.
                    seq: if after_changes { seq } else { before },
                    events: Vec::new(),
                    duplicate: false,
                }),
                Decision::Recorded { first, len } => recorded(first, len).map(|events| Decided {
                    seq,
                    events,
                    duplicate: false,
                }),
                Decision::Retried { seq } => {
                    self.original_outcome::<A>(key, seq, &pending.meta).await
                }
                Decision::SameAs { index: original } => match outcomes.get(original) {
                    Some(Ok(decided)) => Ok(Decided {
                        duplicate: true,
                        ..decided.clone()
                    }),
                    _ => Err(LogFailure::broken(format!(
                        "command {index} of the group repeats one that failed"
                    ))
                    .into()),
                },
                Decision::Unencodable(reason) => Err(LogFailure::broken(reason).into()),
                Decision::Later => Err(LogFailure::Contended { attempts: 1 }.into()),
            };
            outcomes.push(outcome);
        }
        for (pending, outcome) in group.into_iter().zip(outcomes) {
            // A caller that stopped waiting has nobody to tell.
            let _ = pending.reply.send(outcome);
        }
    }

    /// The events a command recorded in the commit at `seq`, for a retried command.
    async fn original_outcome<A: Aggregate>(
        &self,
        key: &AggregateKey,
        seq: u64,
        meta: &CommandMeta,
    ) -> Outcome<A> {
        let recorded = self.read_commit_at(key.stream(), seq).await?;
        let events = recorded
            .commit
            .events
            .iter()
            .filter(|e| e.envelope.aggregate == key.subject())
            .filter(|e| e.envelope.idempotency_key.as_deref() == Some(&meta.idempotency_key))
            .map(|e| A::Event::decode(&e.event_type, e.version, &e.data))
            .collect::<Result<Vec<_>, _>>()
            .map_err(LogFailure::from)?;
        Ok(Decided {
            seq,
            events,
            duplicate: true,
        })
    }

    /// Keeps the aggregate as the group's commit, stored at `seq`, left it, in memory, and
    /// writes a snapshot in the background once enough commits piled up since the last one.
    fn remember<A: Aggregate>(
        &self,
        key: &AggregateKey,
        mut after: Loaded<A>,
        commit: &Commit,
        seq: u64,
    ) {
        after.version = seq;
        for event in &commit.events {
            if let Some(idempotency_key) = &event.envelope.idempotency_key {
                after.idempotency.insert(idempotency_key.clone(), seq);
            }
        }
        after.commits_since_snapshot += 1;
        if after.commits_since_snapshot >= self.config().snapshot_every {
            let log = self.clone();
            let key = key.clone();
            let snapshot = after.clone();
            tokio::spawn(async move { log.write_snapshot(&key, &snapshot).await });
            after.commits_since_snapshot = 0;
        }
        self.cache().put(key, std::sync::Arc::new(after));
    }
}

/// What deciding a group comes to: each command's decision, the commit of every event recorded,
/// the aggregate's state as that commit leaves it (its version and the new keys still to be set
/// once it is stored), and the companion commits to store with it, each with its command's index.
type GroupDecision<A> = (
    Vec<Decision<<A as decider::Decider>::Error>>,
    Commit,
    Loaded<A>,
    Vec<(usize, CompanionCommit)>,
);

/// Decides each command of a group on the state the ones before it left.
fn decide_group<A: Aggregate>(
    key: &AggregateKey,
    loaded: &Loaded<A>,
    group: &[Pending<A>],
) -> GroupDecision<A> {
    let occurred_at = OffsetDateTime::now_utc();
    let mut after = loaded.clone();
    let mut commit = Commit { events: Vec::new() };
    let mut recorded_by: std::collections::HashMap<&str, usize> = Default::default();
    let mut decisions = Vec::with_capacity(group.len());
    let mut companions = Vec::new();
    for (index, pending) in group.iter().enumerate() {
        let idempotency_key = pending.meta.idempotency_key.as_str();
        if let Some(&original) = recorded_by.get(idempotency_key) {
            decisions.push(Decision::SameAs { index: original });
            continue;
        }
        if let Some(&seq) = after.idempotency.get(idempotency_key) {
            decisions.push(Decision::Retried { seq });
            continue;
        }
        let decision = match A::decide(&after.state, &pending.command) {
            Err(refusal) => Decision::Refused(refusal),
            Ok(events) if events.is_empty() => Decision::Unchanged {
                after_changes: !commit.events.is_empty(),
            },
            Ok(events) => match pending.meta.stored(key, &events, occurred_at) {
                Err(e) => Decision::Unencodable(e.to_string()),
                Ok(stored) => {
                    match companion_of(pending, &events, occurred_at, &companions) {
                        Err(decision) => {
                            decisions.push(decision);
                            continue;
                        }
                        Ok(Some(companion)) => companions.push((index, companion)),
                        Ok(None) => {}
                    }
                    let first = commit.events.len();
                    commit.events.extend(stored);
                    let state = std::mem::take(&mut after.state);
                    after.state = events.iter().fold(state, |s, e| A::evolve(s, e));
                    recorded_by.insert(idempotency_key, index);
                    Decision::Recorded {
                        first,
                        len: events.len(),
                    }
                }
            },
        };
        decisions.push(decision);
    }
    (decisions, commit, after, companions)
}

/// The indexes of the commands of a group that record events (`recorded`) and whose
/// prerequisite write failed, once every such write has finished.
async fn prerequisites_failed<A: Aggregate>(
    group: &mut [Pending<A>],
    recorded: &[bool],
) -> Vec<usize> {
    let waits = group
        .iter_mut()
        .zip(recorded)
        .enumerate()
        .filter(|(_, (_, recorded))| **recorded)
        .filter_map(|(index, (pending, _))| {
            let after = pending.after.as_mut()?;
            Some(async move { (index, after.outcome().await) })
        });
    futures_util::future::join_all(waits)
        .await
        .into_iter()
        .filter(|(_, outcome)| outcome.is_err())
        .map(|(index, _)| index)
        .collect()
}

/// Answers the commands of a group at `indexes` [`LogFailure::Contended`], for their callers to
/// decide again; the others are kept, in order.
fn set_aside<A: Aggregate>(
    group: Vec<Pending<A>>,
    indexes: &[usize],
    attempt: u32,
) -> Vec<Pending<A>> {
    let mut kept = Vec::with_capacity(group.len());
    for (index, pending) in group.into_iter().enumerate() {
        if indexes.contains(&index) {
            let _ = pending
                .reply
                .send(Err(LogFailure::Contended { attempts: attempt }.into()));
        } else {
            kept.push(pending);
        }
    }
    kept
}

/// The companion commit a command's events call for, if any; or why the command is not decided
/// in this group (its companion does not encode, or another command of the group already stores
/// one on the same aggregate).
fn companion_of<A: Aggregate>(
    pending: &Pending<A>,
    events: &[A::Event],
    occurred_at: OffsetDateTime,
    taken: &[(usize, CompanionCommit)],
) -> Result<Option<CompanionCommit>, Decision<A::Error>> {
    let Some(companion) = &pending.companion else {
        return Ok(None);
    };
    let stored = (companion.events)(events, occurred_at)
        .map_err(|e| Decision::Unencodable(e.to_string()))?;
    if stored.is_empty() {
        return Ok(None);
    }
    if taken.iter().any(|(_, c)| c.key == companion.key) {
        return Err(Decision::Later);
    }
    Ok(Some(CompanionCommit {
        key: companion.key.clone(),
        expected: companion.expected,
        commit: Commit { events: stored },
    }))
}

/// The message id of a group's commit (and of a companion's): its first event's id, made for
/// this decision. A resend of the same message is recognised by it (and, after a refused expected
/// sequence, found in the log by it); a retried command by its key in the aggregate's history.
/// Never the command's own key: a retry decided on a stale copy would then take the original's
/// commit for its own, and answer with events that were never stored.
pub(crate) fn commit_id(commit: &Commit) -> String {
    commit
        .events
        .first()
        .map(|first| format!("commit:{}", first.envelope.id))
        .unwrap_or_default()
}

/// The failure to answer every command of a group with when its aggregate cannot be read.
fn load_failure<R>(e: LoadError) -> impl Fn() -> CommandError<R> {
    let failure = LogFailure::from(e);
    move || failure.clone().into()
}

/// Answers every command of a group with the same failure.
fn answer_all<A: Aggregate>(group: Vec<Pending<A>>, error: impl Fn() -> CommandError<A::Error>) {
    for pending in group {
        let _ = pending.reply.send(Err(error()));
    }
}
