//! The tracing subscriber: which events are kept (`RUST_LOG`, `info` by default) and how they
//! are written (human-readable or JSON lines). Logs go to stderr, so stdout carries only what
//! the commands print for the operator.

use std::io::IsTerminal;

use anyhow::{Result, anyhow};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. Fails if one is installed already.
///
/// The filter is `RUST_LOG` (e.g. `semaine=debug,async_nats=warn`); directives it cannot read
/// are reported and skipped, and without it everything at `info` and above is kept.
pub fn init(format: LogFormat) -> Result<()> {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    }
    .map_err(|e| anyhow!("cannot install the log subscriber: {e}"))?;
    quiet_panics();
    Ok(())
}

/// Replaces the default panic message (which quotes what panicked, e.g. the text a slice was cut
/// from: it may be a person's name or home town) with the place in the code only, as a log line.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map_or_else(|| "unknown".to_owned(), ToString::to_string);
        tracing::error!(%location, "panicked (its message is not logged: it may quote personal data)");
    }));
}
