//! `cargo run --release -p bench -- <scenario>`: semaine's benchmarks.
//!
//! Every scenario starts its own nats-server with the production durability profile
//! (`sync_interval: always`, one node; `rush` and `hot-session` also on a three-node cluster
//! with `--replicas 3`) and measures, in the same run, the raw JetStream ceiling
//! it is compared with: the same number of publishes in flight, awaiting each acknowledgement,
//! once durable and once with nats-server's default (fsync every two minutes, not durable). The
//! last line printed is one JSON object with the figures and the parameters. Machines are shared
//! and noisy: compare the ratios, not the absolute numbers.
//!
//! # Layout
//! - [`ceiling`]: raw publishes, durable and not.
//! - [`plan`]: the job-dating planner on 2,000 candidates, 100 employers and 30 slots (pure: no
//!   nats-server, no ceiling).
//! - [`rebuild`]: a log of about a million events, then every read model built from zero.
//! - [`rush`]: partners register participants into many sessions (`rush`), or all into one
//!   (`hot-session`), through the HTTP API and in-process; with the read-your-writes lag.

mod ceiling;
mod plan;
mod rebuild;
mod rush;

use clap::{Parser, Subcommand};

/// The allocator the `semaine` binary runs with, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "bench", about = "semaine's benchmarks; the last line is JSON")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Raw JetStream publishes awaiting their acks: the broker's own limit on this machine.
    Ceiling(ceiling::Options),
    /// Partners register participants into many sessions, 5% of requests retried.
    Rush(rush::Options),
    /// Every client on one session of 10,000 seats: the opening-minute rush.
    HotSession(rush::Options),
    /// The job-dating planner on a large floor, against first come, first served.
    Plan(plan::Options),
    /// A log of about a million events, then every read model rebuilt from zero.
    Rebuild(rebuild::Options),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let figures = match Cli::parse().scenario {
        Scenario::Ceiling(options) => ceiling::run(&options).await?,
        Scenario::Rush(options) => rush::run(options, false).await?,
        Scenario::HotSession(options) => rush::run(options, true).await?,
        Scenario::Plan(options) => plan::run(&options)?,
        Scenario::Rebuild(options) => rebuild::run(&options).await?,
    };
    println!("{figures}");
    Ok(())
}
