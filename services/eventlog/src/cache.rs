//! The aggregates last loaded or written, kept in memory: a command catches the cached state up
//! with the commits stored since (usually none) instead of folding from the snapshot every time.
//!
//! A cached state is only ever a state the log had at its version: appends still carry the
//! expected version, so a stale entry costs a conflict and a catch-up, never a wrong decision.
//! Each entry remembers when it was last known to be the log's latest (read from the log, or
//! written by this process): a read-only check may trust a recent one without asking the log.
//! The cache is bounded; when full, the eighth of its entries known to be the latest longest ago
//! is dropped to make room. It also holds each
//! aggregate's queue of commands waiting to be decided together (see `command`).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::command::Pending;
use crate::queue::WorkQueue;
use crate::{Aggregate, AggregateKey, Loaded};

type Entry = Arc<dyn Any + Send + Sync>;

/// A cached state and when it was last known to be the aggregate's latest.
struct Cached {
    loaded: Entry,
    verified: Instant,
}

/// The cache of loaded aggregates, by decider type and subject, and the queues of the commands
/// waiting on each aggregate.
pub(crate) struct AggregateCache {
    capacity: usize,
    entries: Mutex<HashMap<(TypeId, String), Cached>>,
    queues: Mutex<HashMap<(TypeId, String), Entry>>,
}

/// The commands waiting on one aggregate; one worker at a time decides them (see `command`).
pub(crate) type CommitQueue<A> = WorkQueue<Pending<A>>;

impl AggregateCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
            queues: Mutex::new(HashMap::new()),
        }
    }

    /// The queue of the commands waiting on `key`. Queues nobody uses are dropped once there
    /// are many (a worker holds its queue while it runs).
    pub(crate) fn queue<A: Aggregate>(&self, key: &AggregateKey) -> Arc<CommitQueue<A>> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if queues.len() > self.capacity.max(1024) {
            queues.retain(|_, queue| Arc::strong_count(queue) > 1);
        }
        let entry = queues
            .entry((TypeId::of::<A>(), key.subject().to_owned()))
            .or_insert_with(|| Arc::new(CommitQueue::<A>::new(1)))
            .clone();
        match entry.downcast::<CommitQueue<A>>() {
            Ok(queue) => queue,
            // Entries are keyed by their type: never another type's queue.
            Err(_) => Arc::new(CommitQueue::new(1)),
        }
    }

    /// The cached state of `key`, if any, shared (never copied here).
    pub(crate) fn get<A: Aggregate>(&self, key: &AggregateKey) -> Option<Arc<Loaded<A>>> {
        self.get_verified_within(key, Duration::MAX)
    }

    /// The cached state of `key` if it was known to be the aggregate's latest less than
    /// `max_age` ago.
    pub(crate) fn get_verified_within<A: Aggregate>(
        &self,
        key: &AggregateKey,
        max_age: Duration,
    ) -> Option<Arc<Loaded<A>>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&(TypeId::of::<A>(), key.subject().to_owned()))?;
        if entry.verified.elapsed() >= max_age {
            return None;
        }
        Arc::clone(&entry.loaded).downcast::<Loaded<A>>().ok()
    }

    /// Keeps `loaded`, just read from the log or written to it, as the state of `key`, unless
    /// the cache holds a later version.
    pub(crate) fn put<A: Aggregate>(&self, key: &AggregateKey, loaded: Arc<Loaded<A>>) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let slot = (TypeId::of::<A>(), key.subject().to_owned());
        if let Some(known) = entries
            .get(&slot)
            .and_then(|e| e.loaded.downcast_ref::<Loaded<A>>())
            && known.version > loaded.version
        {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(&slot) {
            // An eighth of the entries go at once, those known to be the latest longest ago: a
            // busy aggregate, written all the time, stays, and the cost of choosing is shared by
            // the next puts.
            let mut by_age: Vec<(Instant, (TypeId, String))> = entries
                .iter()
                .map(|(slot, cached)| (cached.verified, slot.clone()))
                .collect();
            let evicted = (by_age.len() / 8).max(1);
            by_age.select_nth_unstable_by_key(evicted - 1, |(verified, _)| *verified);
            for (_, slot) in by_age.into_iter().take(evicted) {
                entries.remove(&slot);
            }
        }
        let verified = Instant::now();
        entries.insert(
            slot,
            Cached {
                loaded: loaded as Entry,
                verified,
            },
        );
    }
}
