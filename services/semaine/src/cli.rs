//! The command line: global options (each with an environment variable, for containers and
//! service managers) and the subcommands. Parsing only: what the options mean is decided in
//! [`crate::configuration`].

use std::convert::Infallible;
use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// semaine: scheduling, registration and venue logistics for a week of events, on NATS
/// JetStream and sled.
#[derive(Debug, Parser)]
#[command(name = "semaine", version, about, long_about = None)]
pub struct Cli {
    /// The options every subcommand shares.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The options every subcommand shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Where semaine keeps its files: the local nats-server's store (`nats/`) and one sled
    /// store per projection (`projections/<name>/`).
    #[arg(
        long,
        env = "SEMAINE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// How log lines are written on stderr: `pretty` for people, `json` for log collectors.
    #[arg(
        long,
        env = "SEMAINE_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Pretty,
        global = true
    )]
    pub log_format: LogFormat,

    /// The NATS server(s) to use, comma-separated (e.g. `nats://n1:4222,nats://n2:4222`).
    /// Absent: semaine starts a local nats-server with its store in the data directory.
    #[arg(long, env = "SEMAINE_NATS_URL", global = true)]
    pub nats_url: Option<String>,

    /// The NATS user semaine connects as (with --nats-url; the local nats-server's is made in
    /// `<data-dir>/nats-credentials`).
    #[arg(
        long,
        env = "SEMAINE_NATS_USER",
        requires = "nats_password",
        global = true
    )]
    pub nats_user: Option<String>,

    /// That user's password. Prefer the environment variable: a command line is visible to
    /// every user of the machine.
    #[arg(
        long,
        env = "SEMAINE_NATS_PASSWORD",
        hide_env_values = true,
        requires = "nats_user",
        global = true
    )]
    pub nats_password: Option<Password>,

    /// The certificate authority (PEM) that signed the NATS servers' certificates: semaine then
    /// connects with TLS and checks them (with --nats-url).
    #[arg(long, env = "SEMAINE_NATS_TLS_CA", global = true)]
    pub nats_tls_ca: Option<PathBuf>,

    /// Replicas per JetStream stream: 1 on one node, 3 on a cluster (needs --nats-url).
    #[arg(
        long,
        env = "SEMAINE_REPLICAS",
        default_value_t = 1,
        value_parser = clap::value_parser!(u8).range(1..=5),
        global = true
    )]
    pub replicas: u8,

    /// Runs the local nats-server without `sync_interval: always`: faster, but a write it has
    /// acknowledged can be lost on power failure. For laptops and benchmarks; only with a
    /// local server.
    #[arg(
        long,
        env = "SEMAINE_NO_SYNC_ALWAYS",
        value_parser = BoolishValueParser::new(),
        global = true
    )]
    pub no_sync_always: bool,

    /// The address the HTTP gateway listens on (port 0: a free port, printed in the banner).
    #[arg(
        long,
        env = "SEMAINE_HTTP",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub http: std::net::SocketAddr,

    /// Lets webhooks be delivered to loopback and private-network addresses. Off by default: a
    /// partner's URL could otherwise make semaine call services inside its own network. For a
    /// laptop, or receivers deliberately inside the same network.
    #[arg(
        long,
        env = "SEMAINE_WEBHOOKS_ALLOW_PRIVATE",
        value_parser = BoolishValueParser::new(),
        global = true
    )]
    pub webhooks_allow_private: bool,

    /// How many times its capacity a session's waiting list holds, in seats: past it, a
    /// registration that would wait is refused (`waiting-list-full`).
    #[arg(
        long,
        env = "SEMAINE_WAITING_LIST_FACTOR",
        default_value_t = registration_domain::seats::WAITING_LIST_FACTOR,
        value_parser = clap::value_parser!(u32).range(1..=1000),
        global = true
    )]
    pub waiting_list_factor: u32,
}

/// A password read from the command line or the environment; never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub String);

impl std::str::FromStr for Password {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, coloured on a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Runs every service in this process (or the parts given by --only) until SIGTERM or
    /// Ctrl-C.
    Up {
        /// Loads the demo edition (a week in the Hautes-Alpes) through the services and prints its
        /// programme once its venues confirmed.
        #[arg(long, env = "SEMAINE_DEMO", value_parser = BoolishValueParser::new())]
        demo: bool,
        /// Runs only these parts, comma-separated: `gateway` (the HTTP API: commands, and the
        /// reads of the read models run here), `projections` (the read models, each in its own
        /// store under the data directory), `processes` (the processes between services and
        /// the clock: run one instance of them per cluster). Absent: all three.
        #[arg(long, env = "SEMAINE_ONLY", value_enum, value_delimiter = ',')]
        only: Vec<Part>,
    },
    /// Drops a projection's view and replays it from the log, then exits.
    Rebuild {
        /// The projection to rebuild, or `all`.
        #[arg(value_name = "NAME|all")]
        target: RebuildTarget,
    },
    /// Lists the registered projections and how far behind the log each one is.
    Projections,
    /// Creates, revokes and lists the API keys of organisers, venues and partners.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysAction,
    },
}

/// A part of semaine that `up --only` can run on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The HTTP gateway.
    Gateway,
    /// The read models.
    Projections,
    /// The processes between services, and the clock.
    Processes,
}

/// What `semaine keys` does.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysAction {
    /// Creates a key and prints its secret, once: only its hash is kept.
    Create {
        /// `organiser`, `venue` or `partner`.
        #[arg(long)]
        role: String,
        /// What it acts on: an edition id or `*` (organiser), a venue id (venue), a partner id
        /// (partner).
        #[arg(long)]
        scope: String,
        /// Prints one JSON object, `{"key", "role", "scope", "secret"}`, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Revokes a key, by its id.
    Revoke {
        /// The key's id, as `create` and `list` print it.
        key_id: String,
    },
    /// Lists the keys: ids, roles, scopes, revoked or not; never their secrets.
    List,
}

/// Which projections `semaine rebuild` replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebuildTarget {
    /// Every registered projection.
    All,
    /// The projection with this name.
    Named(String),
}

impl FromStr for RebuildTarget {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s == "all" {
            Self::All
        } else {
            Self::Named(s.to_owned())
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn only_takes_a_list_of_parts() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from(["semaine", "up", "--only", "gateway,projections"])?;
        let Command::Up { only, .. } = cli.command else {
            panic!("not up: {:?}", cli.command);
        };
        assert_eq!(only, [Part::Gateway, Part::Projections]);
        assert!(Cli::try_parse_from(["semaine", "up", "--only", "webhooks"]).is_err());
        Ok(())
    }

    #[test]
    fn rebuild_targets_are_all_or_a_name() {
        assert_eq!("all".parse(), Ok(RebuildTarget::All));
        assert_eq!(
            "sessions".parse(),
            Ok(RebuildTarget::Named("sessions".into()))
        );
    }
}
