//! [`WebhookProcess`]: the [`Deliveries`] projection and the [`Dispatcher`] over one sled store,
//! run together until stopped. Its store lives with the processes' (`processes/webhooks`): like
//! an outbox, it holds what was decided but not carried out yet, and cannot simply be rebuilt.

use std::path::Path;

use async_nats::jetstream;
use projection::{Progress, Runner, RunnerConfig, RunnerError};
use tokio::sync::watch;

use crate::dispatcher::{DeliveryConfig, Dispatcher};
use crate::secrets::Secrets;
use crate::store::{Deliveries, Store};

/// The webhooks process: deliveries made from the log, and sent.
pub struct WebhookProcess {
    runner: Runner<Deliveries>,
    store: Store,
    dispatcher: Dispatcher,
}

impl WebhookProcess {
    /// Opens the store in `dir` (created if absent).
    pub fn open(
        dir: &Path,
        js: jetstream::Context,
        secrets: Secrets,
        config: DeliveryConfig,
    ) -> Result<Self, RunnerError> {
        let runner = Runner::open(Deliveries, dir, js, RunnerConfig::default())?;
        let store = Store::open(runner.db()).map_err(|e| RunnerError::Store {
            projection: "webhooks",
            source: match e {
                crate::StoreError::Sled(e) => e,
                other => sled::Error::Unsupported(other.to_string()),
            },
        })?;
        let dispatcher = Dispatcher::new(store.clone(), secrets, config);
        Ok(Self {
            runner,
            store,
            dispatcher,
        })
    }

    /// The store, for the delivery log ([`crate::Webhooks::with_store`]).
    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// How far the projection has read (for `/metrics`, and for tests to wait on).
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.runner.progress()
    }

    /// Runs the projection and the dispatcher until `shutdown` completes (or the projection
    /// stops on its own, with its error).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), RunnerError> {
        let (stop, stopping) = watch::channel(false);
        let stopped = |mut stopping: watch::Receiver<bool>| async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        let progress = self.runner.progress();
        let mut projecting = tokio::spawn(self.runner.run(stopped(stopping.clone())));
        let dispatching = tokio::spawn(self.dispatcher.run(progress, stopped(stopping)));
        let ended = tokio::select! {
            () = shutdown => None,
            ended = &mut projecting => Some(ended),
        };
        stop.send_replace(true);
        let _ = dispatching.await;
        let ended = match ended {
            Some(ended) => ended,
            None => projecting.await,
        };
        ended.unwrap_or_else(|e| {
            Err(RunnerError::Store {
                projection: "webhooks",
                source: sled::Error::ReportableBug(e.to_string()),
            })
        })
    }
}
