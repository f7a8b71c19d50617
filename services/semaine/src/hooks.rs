//! Partners' and venues' webhooks in the one-process binary: the secrets' bucket, the webhooks
//! process (its store under `<data-dir>/processes/webhooks`) and the service the gateway serves.

use std::path::Path;

use anyhow::{Context, Result};
use eventlog::EventLog;
use projection::RunnerError;
use webhooks::{DeliveryConfig, Secrets, WebhookProcess, Webhooks};

/// The process's name: its store directory, its name in `/metrics`, and what a delivery log
/// read with `min_seq` waits for.
pub const NAME: &str = gateway::routes::webhooks::DELIVERIES;

/// Opens the secrets' bucket (with `replicas` replicas) and the webhooks process's store in
/// `processes_dir`; returns the service for the gateway and the process to run, which delivers to
/// public addresses only unless `allow_private`.
pub async fn open(
    log: &EventLog,
    processes_dir: &Path,
    replicas: usize,
    allow_private: bool,
) -> Result<(Webhooks, WebhookProcess)> {
    let secrets = Secrets::open(log.jetstream(), replicas)
        .await
        .context("cannot open the webhook secrets")?;
    let dir = processes_dir.join(NAME);
    let process = WebhookProcess::open(
        &dir,
        log.jetstream().clone(),
        secrets.clone(),
        DeliveryConfig {
            allow_private_destinations: allow_private,
            ..DeliveryConfig::default()
        },
    )
    .with_context(|| format!("cannot open the webhooks store in {}", dir.display()))?;
    let service = Webhooks::new(log.clone(), secrets).with_store(process.store());
    Ok((service, process))
}

/// Runs the process until `shutdown`, named for the application's list of running tasks.
pub async fn run(
    process: WebhookProcess,
    shutdown: impl Future<Output = ()>,
) -> (&'static str, Result<(), RunnerError>) {
    (NAME, process.run(shutdown).await)
}
