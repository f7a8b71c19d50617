//! Runs the harness's `seats-taken` projection until it is killed: the crash tests SIGKILL it at
//! random instants and check that its store still ends equal to a clean rebuild.
//!
//! Usage: `projector <nats-url> <sled-dir>`.

use std::path::PathBuf;

use projection::{Runner, RunnerConfig};
use tests::workshop::SeatsTaken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(dir)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: projector <nats-url> <sled-dir>");
    };
    let client = async_nats::connect(url).await?;
    let js = async_nats::jetstream::new(client);
    let config = RunnerConfig {
        // Small batches: more transactions, more instants at which a kill can land.
        batch_size: 64,
        ..RunnerConfig::default()
    };
    let runner = Runner::open(SeatsTaken, &PathBuf::from(dir), js, config)?;
    runner.run(std::future::pending()).await?;
    Ok(())
}
