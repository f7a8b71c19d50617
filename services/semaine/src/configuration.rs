//! [`Settings`]: the command line parsed into what the application needs, refused early when it
//! does not make sense (a remote server with a local-only option, replicas on one node).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use async_nats::ServerAddr;

use crate::cli::{GlobalOptions, LogFormat};

/// Everything [`crate::Application::build`] needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where semaine keeps its files, made absolute: the banner and the nats-server
    /// configuration name it unambiguously whatever the working directory.
    pub data_dir: PathBuf,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Which NATS to use, and how.
    pub nats: NatsSettings,
    /// Replicas per JetStream stream (1 to 5; more than 1 only on a cluster).
    pub replicas: usize,
    /// Where the HTTP gateway listens.
    pub http: std::net::SocketAddr,
    /// What `up` runs in this process: everything unless `up --only` says otherwise.
    pub parts: Parts,
    /// Whether webhooks may be delivered to loopback and private addresses.
    pub webhooks_allow_private: bool,
    /// How many times its capacity a session's waiting list holds, in seats.
    pub waiting_list_factor: u32,
    /// What no option sets: the benchmarks and the tests change it.
    pub tuning: Tuning,
}

/// Tunables no command-line option sets: the defaults serve a département; the benchmarks
/// measure others, and the tests lift the gateway's allowance where they count requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// How many requests an API key may send.
    pub rate_limit: gateway::RateLimit,
    /// The most commits the event log's group commit puts in one stream batch (`None`: the
    /// log's default).
    pub stream_batch_max: Option<usize>,
    /// How many stream batches the event log keeps in flight (`None`: the log's default).
    pub stream_batches_in_flight: Option<usize>,
    /// Whether the processes include the webhooks' deliveries (and the gateway serves the
    /// webhooks): always, but for the webhooks' own tests, which run and restart the process
    /// themselves.
    pub webhooks: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            rate_limit: gateway::RateLimit::default(),
            stream_batch_max: None,
            stream_batches_in_flight: None,
            webhooks: true,
        }
    }
}

impl Tuning {
    /// `config` with the event log's tunables set here.
    pub fn apply(&self, config: &mut eventlog::LogConfig) {
        if let Some(max) = self.stream_batch_max {
            config.stream_batch_max = max;
        }
        if let Some(in_flight) = self.stream_batches_in_flight {
            config.stream_batches_in_flight = in_flight;
        }
    }
}

/// The parts of semaine one process runs (`up --only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The HTTP gateway.
    pub gateway: bool,
    /// The read models: their stores are opened only when they run here.
    pub projections: bool,
    /// The processes between services and the clock.
    pub processes: bool,
}

impl Parts {
    /// Every part: the one-process semaine.
    pub const ALL: Self = Self {
        gateway: true,
        projections: true,
        processes: true,
    };

    /// The parts listed (all of them when the list is empty).
    pub fn from_list(list: &[crate::cli::Part]) -> Self {
        use crate::cli::Part;
        if list.is_empty() {
            return Self::ALL;
        }
        Self {
            gateway: list.contains(&Part::Gateway),
            projections: list.contains(&Part::Projections),
            processes: list.contains(&Part::Processes),
        }
    }
}

/// Which NATS semaine uses.
#[derive(Debug, Clone)]
pub enum NatsSettings {
    /// A nats-server semaine starts itself, stores in `<data-dir>/nats`, and stops on exit.
    Local {
        /// Runs it with `sync_interval: always`: every write is on disk before JetStream
        /// acknowledges it. The default; off only for laptops and benchmarks.
        sync_always: bool,
    },
    /// Servers someone else runs (a cluster, usually); semaine only connects.
    Remote {
        /// Their addresses, at least one.
        servers: Vec<ServerAddr>,
        /// How semaine proves who it is, and checks who they are.
        access: RemoteAccess,
    },
}

/// How semaine connects to servers someone else runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteAccess {
    /// The user semaine connects as, if the servers ask for one (its password never shown).
    pub user: Option<nats_local::Credentials>,
    /// The certificate authority that signed the servers' certificates: TLS, checked.
    pub tls_ca: Option<PathBuf>,
}

impl RemoteAccess {
    /// `options` with this access.
    pub fn apply(&self, mut options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        if let Some(user) = &self.user {
            options = user.apply(options);
        }
        if let Some(ca) = &self.tls_ca {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        options
    }
}

impl Settings {
    /// The local nats-server's JetStream store.
    pub fn nats_store_dir(&self) -> PathBuf {
        self.data_dir.join("nats")
    }

    /// The local nats-server's one user and its password (`user:password`, readable by the
    /// data directory's owner only), made at its first start.
    pub fn nats_credentials_file(&self) -> PathBuf {
        self.data_dir.join("nats-credentials")
    }

    /// The directory every projection's sled store lives under.
    pub fn projections_dir(&self) -> PathBuf {
        self.data_dir.join("projections")
    }
}

impl TryFrom<GlobalOptions> for Settings {
    type Error = anyhow::Error;

    fn try_from(options: GlobalOptions) -> Result<Self> {
        let data_dir = std::path::absolute(&options.data_dir).with_context(|| {
            format!(
                "cannot make the data directory {} absolute",
                options.data_dir.display()
            )
        })?;
        let replicas = usize::from(options.replicas);
        let nats = match options.nats_url {
            None => {
                if replicas > 1 {
                    bail!(
                        "cannot keep {replicas} replicas per stream on the local nats-server: it \
                         is a single node; give --nats-url of a cluster, or --replicas 1"
                    );
                }
                if options.nats_user.is_some() || options.nats_tls_ca.is_some() {
                    bail!(
                        "cannot use --nats-user or --nats-tls-ca without --nats-url: the local \
                         nats-server's credentials are made in the data directory"
                    );
                }
                NatsSettings::Local {
                    sync_always: !options.no_sync_always,
                }
            }
            Some(urls) => {
                if options.no_sync_always {
                    bail!(
                        "cannot use --no-sync-always with --nats-url: it configures the local \
                         nats-server only; a remote server's sync_interval is its own configuration"
                    );
                }
                NatsSettings::Remote {
                    servers: parse_servers(&urls)?,
                    access: RemoteAccess {
                        user: options.nats_user.zip(options.nats_password).map(
                            |(user, password)| nats_local::Credentials {
                                user,
                                password: password.0,
                            },
                        ),
                        tls_ca: options.nats_tls_ca,
                    },
                }
            }
        };
        Ok(Self {
            data_dir,
            log_format: options.log_format,
            nats,
            replicas,
            http: options.http,
            parts: Parts::ALL,
            webhooks_allow_private: options.webhooks_allow_private,
            waiting_list_factor: options.waiting_list_factor,
            tuning: Tuning::default(),
        })
    }
}

/// Reads `nats://a:4222, b:4222` into addresses; at least one.
fn parse_servers(urls: &str) -> Result<Vec<ServerAddr>> {
    let servers = urls
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| {
            url.parse::<ServerAddr>()
                .with_context(|| format!("cannot read the NATS address `{url}`"))
        })
        .collect::<Result<Vec<_>>>()?;
    if servers.is_empty() {
        bail!(
            "cannot use an empty --nats-url: give a server address, or leave it out to start a local nats-server"
        );
    }
    Ok(servers)
}

/// An address as the banner and the logs show it: scheme, host and port, never credentials.
pub fn display_server(server: &ServerAddr) -> String {
    format!("{}://{}:{}", server.scheme(), server.host(), server.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> GlobalOptions {
        GlobalOptions {
            data_dir: PathBuf::from("./data"),
            log_format: LogFormat::Pretty,
            nats_url: None,
            nats_user: None,
            nats_password: None,
            nats_tls_ca: None,
            replicas: 1,
            no_sync_always: false,
            http: "127.0.0.1:0".parse().expect("an address"),
            webhooks_allow_private: false,
            waiting_list_factor: registration_domain::seats::WAITING_LIST_FACTOR,
        }
    }

    #[test]
    fn by_default_a_durable_local_server_under_an_absolute_data_dir() -> Result<()> {
        let settings = Settings::try_from(options())?;
        assert!(settings.data_dir.is_absolute());
        assert!(settings.nats_store_dir().ends_with("data/nats"));
        assert!(matches!(
            settings.nats,
            NatsSettings::Local { sync_always: true }
        ));
        Ok(())
    }

    #[test]
    fn remote_servers_are_read_and_shown_without_credentials() -> Result<()> {
        let settings = Settings::try_from(GlobalOptions {
            nats_url: Some("nats://user:secret@n1:4222, n2".into()),
            replicas: 3,
            ..options()
        })?;
        let NatsSettings::Remote { servers, .. } = &settings.nats else {
            bail!("expected remote servers, got {:?}", settings.nats);
        };
        let shown: Vec<String> = servers.iter().map(display_server).collect();
        assert_eq!(shown, ["nats://n1:4222", "nats://n2:4222"]);
        assert_eq!(settings.replicas, 3);
        Ok(())
    }

    #[test]
    fn a_remote_user_and_ca_are_kept_and_the_password_never_shown() -> Result<()> {
        let remote = GlobalOptions {
            nats_url: Some("tls://n1:4222".into()),
            nats_user: Some("semaine".into()),
            nats_password: Some(crate::cli::Password("s3cr3t-pass".into())),
            nats_tls_ca: Some(PathBuf::from("/etc/semaine/tls/ca.pem")),
            ..options()
        };
        assert!(!format!("{remote:?}").contains("s3cr3t-pass"));
        let settings = Settings::try_from(remote)?;
        assert!(!format!("{settings:?}").contains("s3cr3t-pass"));
        let NatsSettings::Remote { access, .. } = &settings.nats else {
            bail!("expected remote servers, got {:?}", settings.nats);
        };
        assert_eq!(
            access.user,
            Some(nats_local::Credentials {
                user: "semaine".to_owned(),
                password: "s3cr3t-pass".to_owned()
            })
        );
        assert_eq!(
            access.tls_ca.as_deref(),
            Some(std::path::Path::new("/etc/semaine/tls/ca.pem"))
        );
        // The local server's credentials are its own: a user for it is refused.
        let local = GlobalOptions {
            nats_user: Some("semaine".into()),
            nats_password: Some(crate::cli::Password("x".into())),
            ..options()
        };
        assert!(Settings::try_from(local).is_err());
        Ok(())
    }

    #[test]
    fn options_that_cannot_apply_are_refused() {
        let replicated_locally = GlobalOptions {
            replicas: 3,
            ..options()
        };
        assert!(Settings::try_from(replicated_locally).is_err());
        let unsynced_remote = GlobalOptions {
            nats_url: Some("nats://n1:4222".into()),
            no_sync_always: true,
            http: "127.0.0.1:0".parse().expect("an address"),
            ..options()
        };
        assert!(Settings::try_from(unsynced_remote).is_err());
        let empty = GlobalOptions {
            nats_url: Some(" , ".into()),
            ..options()
        };
        assert!(Settings::try_from(empty).is_err());
    }
}
