//! [`Application`]: NATS (started locally or joined), the event log, the services, one runner
//! per projection and the processes; starting them ([`Application::start`], the one way `up`,
//! the tests and the benchmarks start semaine), rebuilding them, reporting their lag, and
//! stopping cleanly.
//!
//! Start-up order is the dependency order: the data directory is locked, NATS is up, the streams
//! exist, then the projections open their stores. Shutdown is the reverse: runners drain and
//! flush their stores, the client drains, the local nats-server stops gracefully.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use async_nats::connection::State;
use eventlog::{EventLog, LogConfig, StreamSpec};
use nats_local::{LocalNatsConfig, LocalNatsServer, NatsServerBinary};
use projection::{Projection, Runner, RunnerConfig, RunnerError};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::cli::RebuildTarget;
use crate::configuration::{NatsSettings, Settings, display_server};
use crate::registry::{self, Process, Registered};
use crate::running::{Http, ReadModels, Running, stopped};
use registration::identities::Identities;

/// How long the runners, the processes and the HTTP gateway get, together, to finish what they
/// are doing and flush their stores after the shutdown.
pub(crate) const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the NATS client gets to flush what it still holds before the server stops.
const CLIENT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a start-up waiting for remote NATS says so.
const WAITING_NOTICE_EVERY: Duration = Duration::from_secs(5);

/// Every service of semaine, in one process, built and not yet running: [`Application::start`]
/// runs it; `rebuild`, `projections` and `keys` use it as it is.
pub struct Application {
    /// What every part shares: NATS, the log, the services.
    core: Core,
    /// One runner per registered projection, in registry order.
    runners: Vec<Runner<Registered>>,
    /// The processes between services, started by [`Application::start`].
    processes: Vec<Box<dyn Process>>,
}

/// What the application holds from its build to its stop, whether it runs or not.
pub(crate) struct Core {
    /// What it was built from; the banner reports it.
    pub(crate) settings: Settings,
    /// Held for the application's life: one process owns a data directory, so a `rebuild`
    /// cannot start a second nats-server on the store `up` is writing.
    pub(crate) _lock: DataDirLock,
    /// The NATS server used: ours to stop, or someone else's.
    pub(crate) nats: Nats,
    /// The connection every part shares.
    pub(crate) client: async_nats::Client,
    /// The streams, ensured at start-up; the services append to it.
    pub(crate) log: EventLog,
    /// The participants' keys, opened once with the cluster's replica count.
    pub(crate) identities: Identities,
    /// The services' command handlers, made once: the gateway, the processes and the clock send
    /// their commands through these.
    pub(crate) services: gateway::Services,
}

/// The NATS server the application uses.
pub(crate) enum Nats {
    /// Started by us, stopped by us.
    Local {
        /// The running server.
        server: LocalNatsServer,
    },
    /// Someone else's: we connect, nothing more.
    Remote {
        /// The addresses as shown to people (no credentials).
        shown: Vec<String>,
    },
}

impl Nats {
    pub(crate) fn url(&self) -> String {
        match self {
            Self::Local { server } => server.url(),
            Self::Remote { shown } => shown.join(","),
        }
    }

    async fn stop(&mut self) {
        if let Self::Local { server } = self {
            info!(url = %server.url(), "stopping the local nats-server");
            server.stop().await;
        }
    }
}

/// A projection rebuilt by [`Application::rebuild`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// Which one.
    pub name: &'static str,
    /// How many messages the replay applied (or quarantined).
    pub applied: u64,
}

/// Where a projection stands, for `semaine projections`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionStatus {
    /// Its name.
    pub name: &'static str,
    /// How many messages of its streams it has not applied yet.
    pub lag: u64,
    /// The last sequence applied, per stream it reads.
    pub checkpoints: BTreeMap<String, u64>,
    /// How many messages it set aside as unreadable.
    pub quarantined: usize,
}

impl Application {
    /// Locks the data directory, starts a local nats-server (when no URL is configured) or
    /// connects to the configured one, ensures the registry's streams, makes the services and
    /// opens one runner per registered projection under `<data-dir>/projections/<name>`.
    ///
    /// With a remote server, it waits for the connection as long as it takes (it says so every
    /// few seconds): cancel the future to give up. A local server started here is stopped again
    /// if a later step fails.
    pub async fn build(settings: Settings) -> Result<Self> {
        let streams = registry::streams();
        let projections = registry::projections();
        registry::check(&streams, &projections, &[]).context("cannot use the registry")?;

        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
        let lock = DataDirLock::acquire(&settings.data_dir)?;

        let mut nats = match &settings.nats {
            NatsSettings::Local { sync_always } => {
                let binary = NatsServerBinary::locate(&[])
                    .context("cannot start a local nats-server (or give --nats-url)")?;
                let credentials =
                    nats_local::Credentials::ensure(&settings.nats_credentials_file())
                        .context("cannot make or read the local nats-server's credentials")?;
                let config = LocalNatsConfig {
                    sync_always: *sync_always,
                    credentials: Some(credentials),
                    ..LocalNatsConfig::durable(settings.nats_store_dir())
                };
                info!(binary = %binary.path.display(), version = %binary.version, store = %config.store_dir.display(), "starting a local nats-server");
                let server = LocalNatsServer::start(binary, config)
                    .await
                    .context("cannot start the local nats-server")?;
                Nats::Local { server }
            }
            NatsSettings::Remote { servers, .. } => Nats::Remote {
                shown: servers.iter().map(display_server).collect(),
            },
        };

        match connect_and_open(&settings, &nats, streams, projections).await {
            Ok((client, log, runners)) => {
                let identities = match Identities::open(log.jetstream(), settings.replicas).await {
                    Ok(identities) => identities,
                    Err(e) => {
                        nats.stop().await;
                        return Err(anyhow!(e).context("cannot open the participants' keys"));
                    }
                };
                let services = services(&log, &identities, &settings);
                // Before anything serves or reacts: no new session may take the id of a session
                // an older log scheduled without claiming it (ADR 0008).
                let earlier = services
                    .scheduling
                    .claim_earlier_session_ids(settings.replicas)
                    .await;
                match earlier {
                    Ok(claims) if claims.claimed > 0 || !claims.collisions.is_empty() => {
                        info!(
                            claimed = claims.claimed,
                            collisions = claims.collisions.len(),
                            "claimed the ids of sessions scheduled before ids were claimed"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => {
                        nats.stop().await;
                        return Err(anyhow!(e).context("cannot claim the ids of earlier sessions"));
                    }
                }
                let processes = registry::processes(&log, &services);
                if let Err(e) = registry::check(&registry::streams(), &[], &processes) {
                    nats.stop().await;
                    return Err(e.context("cannot use the registry"));
                }
                Ok(Self {
                    core: Core {
                        settings,
                        _lock: lock,
                        nats,
                        client,
                        log,
                        identities,
                        services,
                    },
                    runners,
                    processes,
                })
            }
            Err(e) => {
                nats.stop().await;
                Err(e)
            }
        }
    }

    /// The NATS URL(s) in use, without credentials.
    pub fn nats_url(&self) -> String {
        self.core.nats.url()
    }

    /// The event log, for the services.
    pub fn event_log(&self) -> &EventLog {
        &self.core.log
    }

    /// Creates, revokes or lists API keys; returns what to print.
    pub async fn keys(&self, action: &crate::cli::KeysAction) -> Result<String> {
        use crate::cli::KeysAction;
        let store = gateway::KeyStore::open(self.core.log.jetstream(), self.core.settings.replicas)
            .await
            .context("cannot open the API keys")?;
        Ok(match action {
            KeysAction::Create { role, scope, json } => {
                let parsed = gateway::Role::parse(role, scope).context("cannot make that key")?;
                let (id, secret) = store.create(parsed).await.context("cannot store the key")?;
                if *json {
                    serde_json::json!({
                        "key": id.as_str(),
                        "role": role,
                        "scope": scope,
                        "secret": secret.expose(),
                    })
                    .to_string()
                } else {
                    format!(
                        "key {} created.\nsecret (shown once, only its hash is kept): {}",
                        id.as_str(),
                        secret.expose()
                    )
                }
            }
            KeysAction::Revoke { key_id } => {
                let id = gateway::keys::KeyId::named(key_id);
                if store.revoke(&id).await.context("cannot revoke the key")? {
                    format!("key {key_id} revoked")
                } else {
                    bail!("no key {key_id}")
                }
            }
            KeysAction::List => {
                let keys = store.list().await.context("cannot list the keys")?;
                if keys.is_empty() {
                    "no keys yet: semaine keys create --role … --scope …".to_owned()
                } else {
                    keys.iter()
                        .map(|k| serde_json::to_string(k).unwrap_or_else(|e| e.to_string()))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            }
        })
    }

    /// The names of the registered projections, in registry order.
    pub fn projection_names(&self) -> Vec<&'static str> {
        self.runners.iter().map(Runner::name).collect()
    }

    /// Starts every part `--only` asks for (all of them by default): the projections, the
    /// processes with the webhooks' deliveries, and the HTTP gateway with the console, bound to
    /// `--http` (port 0: a free port, see [`Running::http_address`]).
    ///
    /// `semaine up`, the tests and the benchmarks start the application through this one
    /// function. If a part cannot start, the parts already started are aborted and a local
    /// nats-server stopped.
    pub async fn start(mut self) -> Result<Running> {
        let (stop, stopping) = watch::channel(false);
        let mut tasks = JoinSet::new();
        match self.start_parts(&stopping, &mut tasks).await {
            Ok((http, processes, projections)) => Ok(Running {
                core: self.core,
                stop,
                tasks,
                http,
                processes,
                projections,
            }),
            Err(e) => {
                // Aborted and waited for: their stores are closed before NATS stops.
                tasks.shutdown().await;
                self.core.stop().await;
                Err(e)
            }
        }
    }

    /// Spawns the runners, the processes and the gateway into `tasks`; what serves HTTP and
    /// the names of what runs.
    async fn start_parts(
        &mut self,
        stopping: &watch::Receiver<bool>,
        tasks: &mut JoinSet<(&'static str, Result<(), RunnerError>)>,
    ) -> Result<(Option<Http>, Vec<&'static str>, Vec<&'static str>)> {
        let parts = self.core.settings.parts;
        let stores = ReadModels::of(&self.runners);
        let projections = stores.progress.iter().map(|(name, _)| *name).collect();
        for runner in std::mem::take(&mut self.runners) {
            let stopped = stopped(stopping.clone());
            tasks.spawn(async move {
                let name = runner.name();
                (name, runner.run(stopped).await)
            });
        }
        let settings = &self.core.settings;
        let processes_dir = settings.data_dir.join("processes");
        // The webhooks' deliveries run with the processes; the gateway of the same instance
        // serves the subscriptions and the delivery logs (their store is the process's).
        let run_webhooks = parts.processes && settings.tuning.webhooks;
        let webhooks = if run_webhooks {
            let (hooks, hooks_process) = crate::hooks::open(
                &self.core.log,
                &processes_dir,
                settings.replicas,
                settings.webhooks_allow_private,
            )
            .await?;
            let progress = hooks_process.progress();
            tasks.spawn(crate::hooks::run(hooks_process, stopped(stopping.clone())));
            Some((hooks, progress))
        } else {
            None
        };
        let http = if parts.gateway {
            Some(self.core.serve(stores, webhooks, stopping).await?)
        } else {
            None
        };

        if !parts.processes {
            self.processes.clear();
        }
        let mut process_names: Vec<&str> = self.processes.iter().map(|p| p.name()).collect();
        if run_webhooks {
            process_names.push(crate::hooks::NAME);
        }
        for process in std::mem::take(&mut self.processes) {
            let name = process.name();
            let task = process.run(
                processes_dir.join(name),
                self.core.log.jetstream().clone(),
                Box::pin(stopped(stopping.clone())),
            );
            tasks.spawn(async move { (name, task.await) });
        }
        Ok((http, process_names, projections))
    }

    /// Drops the view of the target projection(s) and replays the log into it, up to the end
    /// the streams had when the replay started.
    pub async fn rebuild(&mut self, target: &RebuildTarget) -> Result<Vec<Rebuilt>> {
        if let RebuildTarget::Named(name) = target
            && !self.runners.iter().any(|r| r.name() == name)
        {
            let known = self.projection_names();
            bail!(
                "cannot rebuild `{name}`: no projection has that name (registered: {})",
                if known.is_empty() {
                    "none yet".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
        let mut rebuilt = Vec::new();
        for runner in &mut self.runners {
            if let RebuildTarget::Named(name) = target
                && runner.name() != name
            {
                continue;
            }
            let name = runner.name();
            runner
                .rebuild()
                .with_context(|| format!("cannot drop the view of `{name}`"))?;
            let applied = runner
                .catch_up()
                .await
                .with_context(|| format!("cannot replay the log into `{name}`"))?;
            info!(projection = name, applied, "projection rebuilt");
            rebuilt.push(Rebuilt { name, applied });
        }
        Ok(rebuilt)
    }

    /// Where each projection stands: lag, checkpoints, quarantine.
    pub async fn projections(&self) -> Result<Vec<ProjectionStatus>> {
        let mut statuses = Vec::new();
        for runner in &self.runners {
            let name = runner.name();
            let lag = runner
                .lag()
                .await
                .with_context(|| format!("cannot measure the lag of `{name}`"))?;
            let checkpoints = runner.progress().borrow().checkpoints.clone();
            let quarantined = runner
                .quarantined()
                .with_context(|| format!("cannot read the quarantine of `{name}`"))?
                .len();
            statuses.push(ProjectionStatus {
                name,
                lag,
                checkpoints,
                quarantined,
            });
        }
        Ok(statuses)
    }

    /// Closes the projections' stores, drains the client and stops the local nats-server
    /// gracefully; the data directory is unlocked last.
    pub async fn stop(mut self) {
        drop(std::mem::take(&mut self.runners));
        self.core.stop().await;
    }
}

/// The services' command handlers, over `log`, with the participants' keys and the waiting
/// list's factor the settings give.
fn services(log: &EventLog, identities: &Identities, settings: &Settings) -> gateway::Services {
    let registrations = registration::Registrations::new(log.clone(), identities.clone())
        .with_waiting_factor(settings.waiting_list_factor);
    gateway::Services {
        scheduling: scheduling::Scheduling::new(log.clone()),
        venues: venues::Venues::new(log.clone()),
        jobdating: jobdating::JobDating::new(log.clone(), registrations.clone()),
        registrations,
    }
}

impl Core {
    /// The command that makes an API key from another terminal while this semaine runs, with
    /// `args` after `keys create` (the data directory is this one's, so another is named; the
    /// local nats-server's credentials are read from their file, never printed).
    pub(crate) fn keys_command(&self, args: &str) -> String {
        let other = self.settings.data_dir.with_extension("keys");
        match &self.nats {
            Nats::Local { server } => format!(
                "SEMAINE_NATS_USER={user} SEMAINE_NATS_PASSWORD=\"$(cut -d: -f2 {file})\" \
                 semaine --data-dir {other} --nats-url {url} keys create {args}",
                user = nats_local::Credentials::USER,
                file = self.settings.nats_credentials_file().display(),
                other = other.display(),
                url = server.url(),
            ),
            Nats::Remote { .. } => format!(
                "semaine --data-dir {other} --nats-url {url} keys create {args} (with this \
                 semaine's NATS user, password and CA)",
                other = other.display(),
                url = self.nats.url(),
            ),
        }
    }

    /// Drains the client and stops the local nats-server gracefully; the data directory is
    /// unlocked last.
    pub(crate) async fn stop(mut self) {
        let drain = async {
            // A flush waits for the connection: with the server already gone (a Ctrl-C in a
            // terminal reaches the local nats-server too), there is nothing left to flush.
            if self.client.connection_state() == State::Connected {
                self.client.flush().await.ok();
            }
            self.client.drain().await.ok();
        };
        if tokio::time::timeout(CLIENT_DRAIN_TIMEOUT, drain)
            .await
            .is_err()
        {
            warn!("the NATS client did not drain in time");
        }
        self.nats.stop().await;
    }
}

/// Connects to NATS, ensures the streams and opens the projections' runners.
async fn connect_and_open(
    settings: &Settings,
    nats: &Nats,
    streams: Vec<StreamSpec>,
    projections: Vec<Registered>,
) -> Result<(async_nats::Client, EventLog, Vec<Runner<Registered>>)> {
    let options = eventlog::client::connect_options("semaine");
    let client = match (nats, &settings.nats) {
        (Nats::Local { server, .. }, _) => {
            server.connect_options(options).connect(server.url()).await
        }
        (Nats::Remote { .. }, NatsSettings::Remote { servers, access }) => {
            access.apply(options).connect(servers.clone()).await
        }
        (Nats::Remote { .. }, NatsSettings::Local { .. }) => {
            bail!("a remote NATS without its addresses")
        }
    }
    .with_context(|| format!("cannot connect to NATS at {}", nats.url()))?;
    wait_until_connected(&client, &nats.url()).await;

    let mut config = LogConfig::new(streams);
    config.replicas = settings.replicas;
    settings.tuning.apply(&mut config);
    let log = EventLog::open(client.clone(), config)
        .await
        .with_context(|| format!("cannot open the event log on {}", nats.url()))?;

    let projections_dir = settings.projections_dir();
    let mut runners = Vec::new();
    // A process that does not run the read models opens none of their stores.
    let projections = if settings.parts.projections {
        projections
    } else {
        Vec::new()
    };
    for projection in projections {
        let name = projection.name();
        let dir = projections_dir.join(name);
        let runner = Runner::open(
            projection,
            &dir,
            log.jetstream().clone(),
            RunnerConfig::default(),
        )
        .with_context(|| {
            format!(
                "cannot open the store of projection `{name}` in {}",
                dir.display()
            )
        })?;
        runners.push(runner);
    }
    Ok((client, log, runners))
}

/// Waits until the client is connected, saying so every few seconds: with
/// `retry_on_initial_connect`, connecting returns at once and keeps trying in the background.
async fn wait_until_connected(client: &async_nats::Client, url: &str) {
    let started = tokio::time::Instant::now();
    let mut last_notice = started;
    while client.connection_state() != State::Connected {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if last_notice.elapsed() >= WAITING_NOTICE_EVERY {
            warn!(url, waited = ?started.elapsed(), "NATS does not answer yet; still trying");
            last_notice = tokio::time::Instant::now();
        }
    }
}

/// An exclusive lock on `<data-dir>/semaine.lock`, released when dropped (or when the process
/// ends, however it ends). The file holds the owner's process id, for the refusal message.
pub(crate) struct DataDirLock {
    /// The locked file; the lock lives as long as it stays open.
    _file: File,
}

impl DataDirLock {
    fn acquire(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join("semaine.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut owner = String::new();
                file.read_to_string(&mut owner).ok();
                let owner = owner.trim();
                bail!(
                    "cannot use the data directory {}: another semaine{} is using it (stop it \
                     first, or give another --data-dir)",
                    data_dir.display(),
                    if owner.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {owner})")
                    }
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        let record_pid = |file: &mut File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            writeln!(file, "{}", std::process::id())
        };
        record_pid(&mut file)
            .with_context(|| format!("cannot write the lock file {}", path.display()))?;
        Ok(Self { _file: file })
    }
}
