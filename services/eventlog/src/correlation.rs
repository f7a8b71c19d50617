//! The correlation id of what is being served: an HTTP request sets it ([`scope`]) for the
//! time it runs, and every command made meanwhile ([`crate::CommandMeta::new`]) carries it into
//! its events' envelopes (the commit's `Semaine-Correlation-Id` header names its first event's);
//! a reactor's command carries on its cause's. So one id follows a request from the gateway's log line through the
//! log into every reaction it caused.
//!
//! It is a task-local value: it follows the request's own task (and what the task awaits), not
//! the tasks it spawns.

use uuid::Uuid;

tokio::task_local! {
    /// The correlation id of the request this task serves.
    static CURRENT: Uuid;
}

/// Runs `work` with `id` as the current correlation id.
pub async fn scope<F: Future>(id: Uuid, work: F) -> F::Output {
    CURRENT.scope(id, work).await
}

/// The current correlation id, when something set one.
pub fn current() -> Option<Uuid> {
    CURRENT.try_with(|id| *id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_sets_the_id_for_what_it_awaits_only() {
        let id = Uuid::now_v7();
        assert_eq!(current(), None);
        let seen = scope(id, async { current() }).await;
        assert_eq!(seen, Some(id));
        assert_eq!(current(), None);
    }
}
