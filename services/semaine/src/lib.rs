//! semaine as one program: every service in one process (`semaine up`), and the operator's
//! commands on its read models (`semaine rebuild`, `semaine projections`).
//!
//! The binary is a thin `main.rs` over this library, so tests drive the same code: the
//! command line becomes [`Settings`], [`Application::build`] starts or joins NATS, opens the
//! event log, makes the services, one projection runner per registered read model and the
//! processes between services; [`Application::start`] runs them and serves HTTP (`semaine up`,
//! the tests and the benchmarks all start it so), and [`Running::until_stopped`] drains and
//! stops them once the injected shutdown future completes.
//!
//! # Layout
//! - [`cli`]: the command line (clap), with an environment variable for every global option.
//! - [`configuration`]: [`Settings`], the command line parsed into what the application needs.
//! - [`telemetry`]: the tracing subscriber: `RUST_LOG` filter, JSON or human-readable lines.
//! - [`registry`]: the streams, projections and processes this binary runs; one line adds one.
//! - [`hooks`]: partners' and venues' webhooks: their process and the service the gateway serves.
//! - [`demo`]: the demo edition `up --demo` loads through the services' own commands.
//! - [`startup`]: [`Application`]: build, start, rebuild, report lag, stop.
//! - [`running`]: [`Running`]: the started application; its banner, its drain and stop.
//! - [`signal`]: [`shutdown_signal`], Ctrl-C or SIGTERM.

pub mod cli;
pub mod configuration;
pub mod demo;
pub mod hooks;
pub mod registry;
pub mod running;
pub mod signal;
pub mod startup;
pub mod telemetry;

pub use configuration::Settings;
pub use running::Running;
pub use signal::shutdown_signal;
pub use startup::Application;

use anyhow::{Context, Result, bail};
use cli::{Cli, Command};
use tracing::{error, info};

/// Writes a failure on stderr for the operator: the error, then each cause, one per line (no
/// backtrace: they are for `RUST_BACKTRACE` and bug reports, not for operators).
pub fn report(error: &anyhow::Error) {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  because: {cause}");
    }
}

/// Runs one command line to its end: the whole binary, short of reading `argv`.
///
/// Ctrl-C or SIGTERM stops every command, also while it is still starting: a local nats-server
/// started here is gone before this returns (stopped gracefully once start-up completed; killed
/// with the abandoned start-up before that, which `sync_interval: always` makes harmless).
pub async fn run(cli: Cli) -> Result<()> {
    let mut settings = Settings::try_from(cli.global)?;
    if let Command::Up { only, .. } = &cli.command {
        settings.parts = configuration::Parts::from_list(only);
    }
    telemetry::init(settings.log_format)?;

    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let application = tokio::select! {
        built = Application::build(settings) => built?,
        () = &mut shutdown => {
            info!("stopped before start-up completed");
            return Ok(());
        }
    };

    match cli.command {
        Command::Up { demo, .. } => {
            let running = application.start().await?;
            println!("{}", running.banner());
            info!(nats = %running.nats_url(), "semaine is up");
            if demo {
                let log = running.event_log().clone();
                let identities = running.identities().clone();
                let http = running.http_address();
                let keys = running.keys_command("ARGS");
                tokio::spawn(async move {
                    match demo::load(&log, identities).await {
                        Ok(programme) => {
                            println!("{programme}");
                            if let Some(http) = http {
                                let banner =
                                    demo::console_banner(http, |args| keys.replace("ARGS", args));
                                println!("{banner}");
                            }
                        }
                        Err(e) => error!("cannot load the demo edition: {e:#}"),
                    }
                });
            }
            running.until_stopped(shutdown).await
        }
        Command::Rebuild { target } => {
            let mut application = application;
            let rebuilt = tokio::select! {
                rebuilt = application.rebuild(&target) => Some(rebuilt),
                () = &mut shutdown => None,
            };
            application.stop().await;
            let Some(rebuilt) = rebuilt else {
                bail!(
                    "rebuild interrupted: the views are partly replayed and their checkpoints \
                     kept; `semaine up` or `semaine rebuild` finishes the replay"
                );
            };
            let rebuilt = rebuilt?;
            if rebuilt.is_empty() {
                println!(
                    "no projections are registered yet: nothing to rebuild; 0 messages applied"
                );
            }
            for projection in &rebuilt {
                println!(
                    "rebuilt {}: {} messages applied",
                    projection.name, projection.applied
                );
            }
            if rebuilt.len() > 1 {
                let total: u64 = rebuilt.iter().map(|p| p.applied).sum();
                println!(
                    "rebuilt {} projections: {total} messages applied",
                    rebuilt.len()
                );
            }
            Ok(())
        }
        Command::Keys { action } => {
            let printed = application.keys(&action).await;
            application.stop().await;
            println!("{}", printed?);
            Ok(())
        }
        Command::Projections => {
            let statuses = tokio::select! {
                statuses = application.projections() => Some(statuses),
                () = &mut shutdown => None,
            };
            application.stop().await;
            let statuses = statuses
                .context("interrupted")?
                .context("cannot report the projections")?;
            if statuses.is_empty() {
                println!(
                    "no projections are registered yet: the read models arrive with the services"
                );
            }
            for status in &statuses {
                let checkpoints: Vec<String> = status
                    .checkpoints
                    .iter()
                    .map(|(stream, seq)| format!("{stream} #{seq}"))
                    .collect();
                println!(
                    "{}  lag {}  checkpoints {}  quarantined {}",
                    status.name,
                    status.lag,
                    checkpoints.join(", "),
                    status.quarantined
                );
            }
            Ok(())
        }
    }
}
