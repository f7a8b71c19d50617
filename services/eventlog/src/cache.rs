//! The aggregates last loaded or written, kept in memory: a command catches the cached state up
//! with the commits stored since (usually none) instead of folding from the snapshot every time.
//!
//! A cached state is only ever a state the log had at its version: appends still carry the
//! expected version, so a stale entry costs a conflict and a catch-up, never a wrong decision.
//! The cache is bounded; when full, an entry is dropped to make room.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::{Aggregate, AggregateKey, Loaded};

type Entry = Arc<dyn Any + Send + Sync>;

/// The cache of loaded aggregates, by decider type and subject.
pub(crate) struct AggregateCache {
    capacity: usize,
    entries: Mutex<HashMap<(TypeId, String), Entry>>,
}

impl AggregateCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
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
