//! An aggregate: a decider bound to its place in the log, loaded from a snapshot and the events
//! after it.

use std::sync::Arc;
use std::time::Duration;

use decider::Decider;
use proto::{DecodeError, EventContract};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use tracing::{debug, warn};

use crate::{AggregateKey, EventLog, LoadError, RecordedCommit};

/// A [`Decider`] whose events can be stored in the log: its events are a contract family and its
/// state serialises (for snapshots). Every such decider is one; the domain crates implement
/// [`Decider`] only, and know nothing of the log.
pub trait Aggregate:
    Decider<
        Event: EventContract + Send + Sync,
        State: Serialize + DeserializeOwned + Send + Sync,
        Command: Clone + Send + Sync,
        Error: Send,
    > + Send
    + Sync
    + 'static
{
}

impl<D> Aggregate for D where
    D: Decider<
            Event: EventContract + Send + Sync,
            State: Serialize + DeserializeOwned + Send + Sync,
            Command: Clone + Send + Sync,
            Error: Send,
        > + Send
        + Sync
        + 'static
{
}

/// An aggregate's state as of a version, with what the command loop needs besides.
pub struct Loaded<A: Aggregate> {
    /// The folded state.
    pub state: A::State,
    /// The stream sequence of its last commit; 0 when it has none.
    pub version: u64,
    /// The idempotency keys of every command recorded, with the sequence of their commit: a
    /// retried command is answered from here, however long after the broker's duplicate window.
    /// A persistent map: a group's decision shares it with the copy it starts from instead of
    /// copying thousands of keys.
    pub idempotency: imbl::HashMap<String, u64>,
    /// Commits folded since the snapshot it started from.
    pub commits_since_snapshot: u64,
}

impl<A: Aggregate> Default for Loaded<A> {
    fn default() -> Self {
        Self {
            state: A::State::default(),
            version: 0,
            idempotency: imbl::HashMap::new(),
            commits_since_snapshot: 0,
        }
    }
}

impl<A: Aggregate> Clone for Loaded<A> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
            version: self.version,
            idempotency: self.idempotency.clone(),
            commits_since_snapshot: self.commits_since_snapshot,
        }
    }
}

impl<A: Aggregate> Loaded<A> {
    /// Folds one commit in, and returns its decoded events.
    pub fn apply(&mut self, recorded: &RecordedCommit) -> Result<Vec<A::Event>, DecodeError> {
        let mut events = Vec::with_capacity(recorded.commit.events.len());
        for stored in &recorded.commit.events {
            let event = A::Event::decode(&stored.event_type, stored.version, &stored.data)?;
            if let Some(key) = &stored.envelope.idempotency_key {
                self.idempotency.insert(key.clone(), recorded.seq);
            }
            events.push(event);
        }
        let state = std::mem::take(&mut self.state);
        self.state = events.iter().fold(state, |s, e| A::evolve(s, e));
        self.version = recorded.seq;
        self.commits_since_snapshot += 1;
        Ok(events)
    }
}

/// A snapshot as stored in the bucket.
#[derive(Serialize, Deserialize)]
struct Snapshot<S> {
    state_version: u32,
    version: u64,
    idempotency: imbl::HashMap<String, u64>,
    state: S,
}

impl EventLog {
    /// Loads an aggregate: its latest snapshot (if any, and of the current state version), then
    /// the commits after it.
    ///
    /// An aggregate loaded or written recently is taken from memory and caught up with the
    /// commits stored since (see `cache`).
    pub async fn load<A: Aggregate>(&self, key: &AggregateKey) -> Result<Loaded<A>, LoadError> {
        self.load_shared(key).await.map(Arc::unwrap_or_clone)
    }

    /// Loads an aggregate like [`EventLog::load`], sharing the copy kept in memory instead of
    /// copying it: what a busy aggregate's readers and its command worker use, since copying a
    /// large state (a session of thousands of registrations) costs more than deciding on it.
    pub async fn load_shared<A: Aggregate>(
        &self,
        key: &AggregateKey,
    ) -> Result<Arc<Loaded<A>>, LoadError> {
        let last = self.version(key).await?;
        let cached = self.cache().get::<A>(key);
        let mut loaded = match cached {
            Some(cached) if cached.version >= last => {
                // Known to be the latest again.
                self.cache().put(key, Arc::clone(&cached));
                return Ok(cached);
            }
            Some(cached) => Arc::unwrap_or_clone(cached),
            // Never written: no snapshot to look for.
            None if last == 0 => Loaded::default(),
            None => self.read_snapshot::<A>(key).await.unwrap_or_default(),
        };
        self.catch_up_to(key, &mut loaded, last).await?;
        let loaded = Arc::new(loaded);
        self.cache().put(key, Arc::clone(&loaded));
        Ok(loaded)
    }

    /// The aggregate as kept in memory if it was known to be the latest less than `max_age` ago,
    /// else as [`EventLog::load_shared`] loads it: for a read-only check that may run on a state
    /// up to `max_age` old (on one instance, the cache follows every write, so it is the latest).
    /// Never for a decision that is appended: those are checked by the append's expected version.
    pub async fn load_recent<A: Aggregate>(
        &self,
        key: &AggregateKey,
        max_age: Duration,
    ) -> Result<Arc<Loaded<A>>, LoadError> {
        match self.cache().get_verified_within::<A>(key, max_age) {
            Some(recent) => Ok(recent),
            None => self.load_shared(key).await,
        }
    }

    /// Folds into `loaded` the commits stored after its version.
    pub async fn catch_up<A: Aggregate>(
        &self,
        key: &AggregateKey,
        loaded: &mut Loaded<A>,
    ) -> Result<(), LoadError> {
        let last = self.version(key).await?;
        self.catch_up_to(key, loaded, last).await
    }

    /// Folds into `loaded` the commits stored after its version up to `last`.
    async fn catch_up_to<A: Aggregate>(
        &self,
        key: &AggregateKey,
        loaded: &mut Loaded<A>,
        last: u64,
    ) -> Result<(), LoadError> {
        for recorded in self.read_commits_until(key, loaded.version, last).await? {
            loaded
                .apply(&recorded)
                .map_err(|source| LoadError::Undecodable {
                    subject: key.subject().to_owned(),
                    seq: recorded.seq,
                    source,
                })?;
        }
        Ok(())
    }

    async fn read_snapshot<A: Aggregate>(&self, key: &AggregateKey) -> Option<Loaded<A>> {
        let bytes = match self.snapshots().get(key.subject()).await {
            Ok(found) => found?,
            Err(e) => {
                warn!(subject = %key, error = %e, "cannot read snapshot; folding from the start");
                return None;
            }
        };
        match serde_json::from_slice::<Snapshot<A::State>>(&bytes) {
            Ok(s) if s.state_version == A::STATE_VERSION => Some(Loaded {
                state: s.state,
                version: s.version,
                idempotency: s.idempotency,
                commits_since_snapshot: 0,
            }),
            Ok(_) => {
                debug!(subject = %key, "snapshot of another state version ignored");
                None
            }
            Err(e) => {
                warn!(subject = %key, error = %e, "unreadable snapshot ignored");
                None
            }
        }
    }

    /// Stores `loaded` as the aggregate's snapshot. A failure only costs a longer load later.
    pub async fn write_snapshot<A: Aggregate>(&self, key: &AggregateKey, loaded: &Loaded<A>) {
        let snapshot = Snapshot {
            state_version: A::STATE_VERSION,
            version: loaded.version,
            idempotency: loaded.idempotency.clone(),
            state: &loaded.state,
        };
        let bytes = match serde_json::to_vec(&snapshot) {
            Ok(bytes) => bytes,
            Err(e) => {
                warn!(subject = %key, error = %e, "cannot serialise snapshot");
                return;
            }
        };
        match self.snapshots().put(key.subject(), bytes.into()).await {
            Ok(_) => debug!(subject = %key, version = loaded.version, "snapshot written"),
            Err(e) => warn!(subject = %key, error = %e, "cannot write snapshot"),
        }
    }
}
