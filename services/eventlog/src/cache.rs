//! The aggregates last loaded or written, kept in memory: a command catches the cached state up
//! with the commits stored since (usually none) instead of folding from the snapshot every time.
//!
//! A cached state is only ever a state the log had at its version: appends still carry the
//! expected version, so a stale entry costs a conflict and a catch-up, never a wrong decision.
//! The cache is bounded; when full, an entry is dropped to make room. It also holds the turns
//! that commands on one aggregate take within this process.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{Aggregate, AggregateKey, Loaded};

type Entry = Arc<dyn Any + Send + Sync>;

/// The cache of loaded aggregates, by decider type and subject, and the turns commands take on
/// each aggregate.
pub(crate) struct AggregateCache {
    capacity: usize,
    entries: Mutex<HashMap<(TypeId, String), Entry>>,
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl AggregateCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
        }
    }

    /// The lock commands on `key` take turns with, within this process. Locks nobody holds or
    /// waits for are dropped once there are many.
    pub(crate) fn turn(&self, key: &AggregateKey) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut turns) = self.turns.lock() else {
            // A poisoned map: commands still run, only without taking turns.
            return Arc::new(tokio::sync::Mutex::new(()));
        };
        if turns.len() > self.capacity.max(1024) {
            turns.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        turns
            .entry(key.subject().to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
            .clone()
    }

    /// A copy of the cached state of `key`, if any.
    pub(crate) fn get<A: Aggregate>(&self, key: &AggregateKey) -> Option<Loaded<A>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(&(TypeId::of::<A>(), key.subject().to_owned()))?;
        entry.downcast_ref::<Loaded<A>>().cloned()
    }

    /// Keeps `loaded` as the state of `key`, unless the cache holds a later version.
    pub(crate) fn put<A: Aggregate>(&self, key: &AggregateKey, loaded: Loaded<A>) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let slot = (TypeId::of::<A>(), key.subject().to_owned());
        if let Some(known) = entries
            .get(&slot)
            .and_then(|e| e.downcast_ref::<Loaded<A>>())
            && known.version > loaded.version
        {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(&slot) {
            let evicted = entries.keys().next().cloned();
            if let Some(evicted) = evicted {
                entries.remove(&evicted);
            }
        }
        entries.insert(slot, Arc::new(loaded));
    }
}
