//! Rebuilding the read models: a log of about a million events across the contexts (a week's
//! programme, then registrations into it, each a seats event and two agenda events, with
//! every process between services running), then every read model `semaine up` runs built from
//! zero into a new sled store, one after the other. The baseline, measured in the same run: the
//! same streams read and their commits decoded, with nothing applied.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use projection::{Runner, RunnerConfig};
use proto::taxonomy::Audience;
use serde_json::{Value, json};
use tests::week::{Week, tuesday};

/// The log's size.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// Events to write before rebuilding (at least; registrations are written until reached).
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) events: u64,
    /// Sessions the registrations go to.
    #[arg(long, default_value_t = 200)]
    pub(crate) sessions: usize,
    /// Registrations in flight while the log is filled.
    #[arg(long, default_value_t = 256)]
    pub(crate) clients: usize,
    /// Rebuild only these read models (by name, comma-separated; all by default), e.g. to
    /// profile one.
    #[arg(long, value_delimiter = ',')]
    pub(crate) only: Vec<String>,
}

/// Fills a log, then rebuilds every read model; returns the figures.
pub(crate) async fn run(options: &Options) -> Result<Value> {
    let week = Arc::new(Week::start().await?);
    let mut sessions = Vec::new();
    for n in 0..options.sessions {
        let hour = 8 + i8::try_from(n % 8)?;
        let (_, _, session) = week
            .open_session(100_000, tuesday(hour, 0), tuesday(hour + 1, 0))
            .await?;
        sessions.push(session);
    }
    let streams = [
        scheduling::STREAM.name,
        ::venues::STREAM.name,
        registration::STREAM.name,
    ];

    // Fill: registrations until the streams hold the events wanted.
    let filling = Instant::now();
    let mut written = count_events(&week, &streams).await?.0;
    let mut next = 0usize;
    while written < options.events {
        let missing = options.events - written;
        // About three events a registration.
        let batch = usize::try_from(missing / 3 + 1)?.min(50_000);
        let range = next..next + batch;
        next += batch;
        futures_util::stream::iter(range)
            .map(|n| {
                let week = week.clone();
                let session = sessions[n % sessions.len()];
                async move {
                    let partner = format!("partner-{}", n % 10);
                    let reference = format!("p{n}");
                    let key = format!("fill-{n}");
                    for _ in 0..20 {
                        let outcome = week
                            .register(&partner, &reference, session, Audience::JobSeekers, &key)
                            .await;
                        if outcome.is_ok() {
                            break;
                        }
                    }
                }
            })
            .buffer_unordered(options.clients)
            .collect::<Vec<()>>()
            .await;
        written = count_events(&week, &streams).await?.0;
    }
    let fill_seconds = filling.elapsed().as_secs_f64();

    // The baseline: the streams read and decoded, nothing applied.
    let reading = Instant::now();
    let (events, messages) = count_events(&week, &streams).await?;
    let read_seconds = reading.elapsed().as_secs_f64();

    // Every read model the binary runs, from zero.
    let stores = tempfile::tempdir()?;
    let mut models = Vec::new();
    let mut total_seconds = 0.0;
    for projection in semaine::registry::projections() {
        let name = projection::Projection::name(&projection);
        if !options.only.is_empty() && !options.only.iter().any(|only| only == name) {
            continue;
        }
        let read = projection::Projection::streams(&projection).to_vec();
        let js = jetstream::new(week.nats.client().await?);
        let mut runner = Runner::open(
            projection,
            &stores.path().join(name),
            js,
            RunnerConfig::default(),
        )?;
        let began = Instant::now();
        let cpu_before = process_cpu_seconds();
        let applied = runner.catch_up().await?;
        let seconds = began.elapsed().as_secs_f64();
        let cpu_seconds = process_cpu_seconds() - cpu_before;
        total_seconds += seconds;
        let (its_events, _) = count_events(&week, &read).await?;
        models.push(json!({
            "projection": name,
            "messages": applied,
            "events": its_events,
            "seconds": seconds,
            "events_per_s": its_events as f64 / seconds,
            "events_per_cpu_s": its_events as f64 / cpu_seconds,
        }));
    }
    let rebuilt_events: u64 = models.iter().filter_map(|m| m["events"].as_u64()).sum();
    Ok(json!({
        "scenario": "rebuild",
        "events": events,
        "messages": messages,
        "fill_seconds": fill_seconds,
        "read_and_decode_events_per_s": events as f64 / read_seconds,
        "read_models": models,
        "rebuild_seconds": total_seconds,
        "rebuild_events_per_s": rebuilt_events as f64 / total_seconds,
        "ratio_to_read_and_decode": (rebuilt_events as f64 / total_seconds) / (events as f64 / read_seconds),
        "parameters": {
            "events": options.events,
            "sessions": options.sessions,
            "clients": options.clients,
            "only": options.only,
        },
    }))
}

/// The CPU time this process has used (user and system, every thread), from `/proc/self/stat`;
/// 0 where it cannot be read. Less sensitive than wall-clock time to the other work of a shared
/// machine; nats-server's own time is not in it.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command's name, which is in parentheses and may hold spaces.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let ticks: f64 = fields
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<f64>().ok())
        .sum();
    // The kernel counts in clock ticks: 100 a second on Linux.
    ticks / 100.0
}

/// The events and messages the streams hold, read with an ordered consumer and every commit
/// decoded.
async fn count_events(week: &Week, streams: &[&str]) -> Result<(u64, u64)> {
    let js = jetstream::new(week.nats.client().await?);
    let (mut events, mut messages) = (0u64, 0u64);
    for name in streams {
        let stream = js.get_stream(*name).await?;
        let last = stream.get_info().await?.state.last_sequence;
        if last == 0 {
            continue;
        }
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig::default())
            .await?;
        let mut delivered = consumer.messages().await?;
        while let Some(message) = delivered.next().await {
            let message = message?;
            let commit = eventlog::codec::decode(message.headers.as_ref(), &message.payload)?;
            events += commit.events.len() as u64;
            messages += 1;
            if message.info().map_err(anyhow::Error::msg)?.stream_sequence >= last {
                break;
            }
        }
    }
    Ok((events, messages))
}
