//! A queue that workers drain in groups: what both group commits stand on (the commands waiting
//! on one aggregate, the commits waiting on one stream).
//!
//! The items and the count of workers are kept under one lock: a caller that queues an item
//! learns whether it must start a worker, and a worker that finds the queue empty stops under
//! the same lock, so no item is ever left waiting without a worker.

use std::sync::Mutex;

/// Items waiting, and the workers taking them.
pub(crate) struct WorkQueue<T> {
    state: Mutex<State<T>>,
    /// At most this many workers at once.
    max_workers: usize,
}

struct State<T> {
    items: Vec<T>,
    workers: usize,
}

impl<T> WorkQueue<T> {
    /// An empty queue that at most `max_workers` (at least one) drain at once.
    pub(crate) fn new(max_workers: usize) -> Self {
        Self {
            state: Mutex::new(State {
                items: Vec::new(),
                workers: 0,
            }),
            max_workers: max_workers.max(1),
        }
    }

    /// Queues an item; true when the caller must start a worker (there are fewer than allowed).
    pub(crate) fn push(&self, item: T) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.items.push(item);
        if state.workers < self.max_workers {
            state.workers += 1;
            true
        } else {
            false
        }
    }

    /// A worker's next group, which `take` chooses from the items waiting (oldest first; what
    /// it leaves waits for the next group); `None` when none wait, and the worker stops.
    pub(crate) fn next(&self, take: impl FnOnce(&mut Vec<T>) -> Vec<T>) -> Option<Vec<T>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.items.is_empty() {
            state.workers = state.workers.saturating_sub(1);
            return None;
        }
        Some(take(&mut state.items))
    }

    /// A guard for a worker: if the worker panics, it no longer counts and the items waiting
    /// are dropped (their callers, whose answers are dropped with them, are told to retry),
    /// instead of waiting for ever.
    pub(crate) fn on_panic_stop(&self) -> PanicStop<'_, T> {
        PanicStop(self)
    }
}

/// See [`WorkQueue::on_panic_stop`].
pub(crate) struct PanicStop<'a, T>(&'a WorkQueue<T>);

impl<T> Drop for PanicStop<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
            state.items.clear();
            state.workers = state.workers.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_worker_is_started_and_stops_when_nothing_waits() {
        let queue = WorkQueue::new(1);
        assert!(queue.push(1), "the first item starts a worker");
        assert!(!queue.push(2), "the worker takes the second too");
        assert_eq!(queue.next(std::mem::take), Some(vec![1, 2]));
        assert_eq!(queue.next(std::mem::take), None, "the worker stops");
        assert!(queue.push(3), "a new item starts a new worker");
    }

    #[test]
    fn what_a_group_leaves_waits_for_the_next() {
        let queue = WorkQueue::new(2);
        for n in 0..5 {
            queue.push(n);
        }
        let two = |items: &mut Vec<i32>| items.drain(..2).collect();
        assert_eq!(queue.next(two), Some(vec![0, 1]));
        assert_eq!(queue.next(std::mem::take), Some(vec![2, 3, 4]));
    }
}
