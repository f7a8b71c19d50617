//! The raw JetStream ceiling: publishes of `payload` bytes, `in_flight` at a time, each awaited
//! for its acknowledgement, on a fresh nats-server, durable (`sync_interval: always`) and with
//! nats-server's default fsync (every two minutes: not durable). And, durable, the same messages
//! as atomic batches of `in_flight` messages, one batch at a time (as the event log's writer
//! sends a stream's commits): what one write of the group commit costs.

use std::time::Instant;

use anyhow::Result;
use futures_util::StreamExt;
use nats_local::{LocalNatsConfig, LocalNatsServer, NatsServerBinary};
use serde_json::{Value, json};

/// What the ceiling publishes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// Messages published.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) messages: usize,
    /// Publishes in flight at once.
    #[arg(long, default_value_t = 64)]
    pub(crate) in_flight: usize,
    /// Payload size in bytes.
    #[arg(long, default_value_t = 300)]
    pub(crate) payload: usize,
}

/// Messages per second acknowledged, with and without fsync per write.
pub(crate) async fn run(options: &Options) -> Result<Value> {
    let durable = measure(options, true).await?;
    let unsynced = measure(options, false).await?;
    let (batches, batch_messages) = measure_atomic_batches(options).await?;
    Ok(json!({
        "scenario": "ceiling",
        "durable_msgs_per_s": durable,
        "unsynced_msgs_per_s": unsynced,
        "durable_atomic_batches_per_s": batches,
        "durable_atomic_batch_msgs_per_s": batch_messages,
        "messages": options.messages,
        "in_flight": options.in_flight,
        "payload_bytes": options.payload,
    }))
}

/// Atomic batches of `in_flight` messages, one at a time, on a fresh durable nats-server: batches
/// and messages per second.
async fn measure_atomic_batches(options: &Options) -> Result<(f64, f64)> {
    let store = tempfile::tempdir()?;
    let binary = NatsServerBinary::locate(&[])?;
    let server =
        LocalNatsServer::start(binary, LocalNatsConfig::durable(store.path().join("js"))).await?;
    let client = async_nats::connect(server.url()).await?;
    let js = async_nats::jetstream::new(client.clone());
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "CEILING".into(),
        subjects: vec!["ceiling.>".into()],
        allow_atomic_publish: true,
        ..Default::default()
    })
    .await?;
    let payload = bytes::Bytes::from(vec![b'x'; options.payload]);
    let size = options.in_flight.max(1);
    let batches = options.messages.div_ceil(size);
    let started = Instant::now();
    for batch in 0..batches {
        let id = format!("ceiling-{batch}");
        for n in 1..=size {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Batch-Id", id.as_str());
            headers.insert("Nats-Batch-Sequence", n.to_string().as_str());
            let subject = format!("ceiling.{}", (batch * size + n) % 1000);
            if n < size {
                client
                    .publish_with_headers(subject, headers, payload.clone())
                    .await?;
            } else {
                headers.insert("Nats-Batch-Commit", "1");
                let ack = client
                    .request_with_headers(subject, headers, payload.clone())
                    .await?;
                let ack: Value = serde_json::from_slice(&ack.payload)?;
                anyhow::ensure!(ack.get("error").is_none(), "batch refused: {ack}");
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok((batches as f64 / elapsed, (batches * size) as f64 / elapsed))
}

/// Messages per second acknowledged by a fresh nats-server.
pub(crate) async fn measure(options: &Options, sync_always: bool) -> Result<f64> {
    let store = tempfile::tempdir()?;
    let binary = NatsServerBinary::locate(&[])?;
    let mut config = LocalNatsConfig::durable(store.path().join("js"));
    config.sync_always = sync_always;
    let server = LocalNatsServer::start(binary, config).await?;
    let client = async_nats::connect(server.url()).await?;
    publish_rate(options, client, 1).await
}

/// Messages per second acknowledged by a fresh three-node cluster (`sync_interval: always` on
/// every node), into a stream with three replicas.
pub(crate) async fn measure_on_cluster(options: &Options) -> Result<f64> {
    let cluster = tests::cluster::TestCluster::start().await?;
    let client = cluster.connect().await?;
    publish_rate(options, client, tests::cluster::NODES).await
}

/// Publishes `options.messages` into a new stream of `replicas` replicas, `options.in_flight`
/// at a time, each awaited for its acknowledgement: acknowledged messages per second.
async fn publish_rate(
    options: &Options,
    client: async_nats::Client,
    replicas: usize,
) -> Result<f64> {
    let js = async_nats::jetstream::new(client);
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "CEILING".into(),
        subjects: vec!["ceiling.>".into()],
        num_replicas: replicas,
        ..Default::default()
    })
    .await?;
    let payload = bytes::Bytes::from(vec![b'x'; options.payload]);
    let started = Instant::now();
    let acked = futures_util::stream::iter(0..options.messages)
        .map(|n| {
            let (js, payload) = (js.clone(), payload.clone());
            async move {
                let ack = js.publish(format!("ceiling.{}", n % 1000), payload).await?;
                ack.await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(options.in_flight)
        .filter(|outcome| std::future::ready(outcome.is_ok()))
        .count()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    Ok(acked as f64 / elapsed)
}
