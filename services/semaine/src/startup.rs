//! [`Application`]: NATS (started locally or joined), the event log, one runner per projection;
//! running them until stopped, rebuilding them, reporting their lag, and stopping cleanly.
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
use tracing::{error, info, warn};

use crate::cli::RebuildTarget;
use crate::configuration::{NatsSettings, Settings, display_server};
use crate::registry::{self, Process, Registered};
use registration::identities::Identities;

/// How long the runners get to finish their batch and flush their stores after the shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);

/// How long the NATS client gets to flush what it still holds before the server stops.
const CLIENT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a start-up waiting for remote NATS says so.
const WAITING_NOTICE_EVERY: Duration = Duration::from_secs(5);

/// Every service of semaine, in one process.
pub struct Application {
    /// What it was built from; the banner reports it.
    settings: Settings,
    /// Held for the application's life: one process owns a data directory, so a `rebuild`
    /// cannot start a second nats-server on the store `up` is writing.
    _lock: DataDirLock,
    /// The NATS server used: ours to stop, or someone else's.
    nats: Nats,
    /// The connection every part shares.
    client: async_nats::Client,
    /// The streams, ensured at start-up; the services append to it.
    log: EventLog,
    /// One runner per registered projection, in registry order.
    runners: Vec<Runner<Registered>>,
    /// The participants' keys, opened once with the cluster's replica count.
    identities: Identities,
    /// The processes between services, started by [`Application::run_until_stopped`].
    processes: Vec<Box<dyn Process>>,
}

/// The NATS server the application uses.
enum Nats {
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
    fn url(&self) -> String {
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
    /// connects to the configured one, ensures the registry's streams, and opens one runner per
    /// registered projection under `<data-dir>/projections/<name>`.
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
                // Before anything serves or reacts: no new session may take the id of a session
                // an older log scheduled without claiming it (ADR 0008).
                let earlier = scheduling::Scheduling::new(log.clone())
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
                let identities = match Identities::open(log.jetstream(), settings.replicas).await {
                    Ok(identities) => identities,
                    Err(e) => {
                        nats.stop().await;
                        return Err(anyhow!(e).context("cannot open the participants' keys"));
                    }
                };
                let processes = registry::processes(&log, &identities);
                if let Err(e) = registry::check(&registry::streams(), &[], &processes) {
                    nats.stop().await;
                    return Err(e.context("cannot use the registry"));
                }
                Ok(Self {
                    settings,
                    _lock: lock,
                    nats,
                    client,
                    identities,
                    log,
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
        self.nats.url()
    }

    /// The command that makes an API key from another terminal while this semaine runs, with
    /// `args` after `keys create` (the data directory is this one's, so another is named; the
    /// local nats-server's credentials are read from their file, never printed).
    pub fn keys_command(&self, args: &str) -> String {
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

    /// The address the HTTP gateway and the console are asked to listen on (`--http`).
    pub fn http_address(&self) -> std::net::SocketAddr {
        self.settings.http
    }

    /// The event log, for the services.
    pub fn event_log(&self) -> &EventLog {
        &self.log
    }

    /// Creates, revokes or lists API keys; returns what to print.
    pub async fn keys(&self, action: &crate::cli::KeysAction) -> Result<String> {
        use crate::cli::KeysAction;
        let store = gateway::KeyStore::open(self.log.jetstream(), self.settings.replicas)
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

    /// The participants' keys, for the registration service.
    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    /// The stores of the partners', venues' and organisers' views, when all three run here.
    fn view_stores(&self) -> Option<gateway::readers::ViewStores> {
        let store = |name: &str| {
            self.runners
                .iter()
                .find(|runner| runner.name() == name)
                .map(|runner| runner.db().clone())
        };
        Some(gateway::readers::ViewStores {
            partners: store(views::PartnerView::NAME)?,
            venues: store(views::VenueView::NAME)?,
            statistics: store(views::Statistics::NAME)?,
        })
    }

    /// The names of the registered projections, in registry order.
    pub fn projection_names(&self) -> Vec<&'static str> {
        self.runners.iter().map(Runner::name).collect()
    }

    /// Runs every projection until `shutdown` completes, prints a banner on stdout once they
    /// run, then drains them and stops NATS (when local).
    ///
    /// A projection that stops on its own (its store fails, or it halts on a message it cannot
    /// read) stops the whole process, with an error: a read model that silently fell behind
    /// would serve stale answers.
    pub async fn run_until_stopped(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let (stop, stopping) = watch::channel(false);
        let mut running = JoinSet::new();
        let stopped = |mut stopping: watch::Receiver<bool>| async move {
            // An error means the sender is gone: stop as well.
            let _ = stopping.wait_for(|stop| *stop).await;
        };
        let catalogue_store = self
            .runners
            .iter()
            .find(|runner| runner.name() == "catalogue")
            .map(|runner| runner.db().clone());
        let view_stores = self.view_stores();
        let jobdating_store = self
            .runners
            .iter()
            .find(|runner| runner.name() == views::JobDatingView::NAME)
            .map(|runner| runner.db().clone());
        // Taken before the runners move into their tasks: the gateway reports their progress
        // at /metrics, and a catalogue read with `min_seq` waits on the catalogue's.
        let progress: Vec<_> = self
            .runners
            .iter()
            .map(|runner| (runner.name(), runner.progress()))
            .collect();
        let projection_names: Vec<&str> = progress.iter().map(|(name, _)| *name).collect();
        for runner in std::mem::take(&mut self.runners) {
            let stopped = stopped(stopping.clone());
            running.spawn(async move {
                let name = runner.name();
                (name, runner.run(stopped).await)
            });
        }
        let parts = self.settings.parts;
        let processes_dir = self.settings.data_dir.join("processes");
        // The webhooks' deliveries run with the processes; the gateway of the same instance
        // serves the subscriptions and the delivery logs (their store is the process's).
        let webhooks = if parts.processes {
            let (hooks, hooks_process) = crate::hooks::open(
                &self.log,
                &processes_dir,
                self.settings.replicas,
                self.settings.webhooks_allow_private,
            )
            .await?;
            let progress = hooks_process.progress();
            running.spawn(crate::hooks::run(hooks_process, stopped(stopping.clone())));
            Some((hooks, progress))
        } else {
            None
        };
        let mut serving = None;
        let mut http_addr = None;
        if parts.gateway {
            let state = gateway::AppState::open(
                &self.log,
                gateway::Services {
                    scheduling: scheduling::Scheduling::new(self.log.clone()),
                    venues: venues::Venues::new(self.log.clone()),
                    registrations: registration::Registrations::new(
                        self.log.clone(),
                        self.identities.clone(),
                    )
                    .with_waiting_factor(self.settings.waiting_list_factor),
                    jobdating: jobdating::JobDating::new(
                        self.log.clone(),
                        registration::Registrations::new(self.log.clone(), self.identities.clone()),
                    ),
                },
                gateway::RateLimit::default(),
            )
            .await
            .context("cannot open the HTTP gateway's stores")?;
            let state = match catalogue_store {
                Some(store) => state.with_catalogue(store),
                None => state,
            };
            let state = match view_stores {
                Some(stores) => state.with_views(stores),
                None => state,
            };
            let state = match jobdating_store {
                Some(store) => state.with_jobdating_view(store),
                None => state,
            };
            let state = progress.into_iter().fold(state, |state, (name, progress)| {
                state.with_projection(name, progress)
            });
            let state = match webhooks {
                Some((hooks, progress)) => state
                    .with_projection(crate::hooks::NAME, progress)
                    .with_webhooks(hooks),
                None => state,
            };
            let console = console::router(state.clone())
                .await
                .context("cannot open the console's sessions")?;
            let http = gateway::Gateway::bind(self.settings.http, state)
                .await
                .with_context(|| format!("cannot listen on {}", self.settings.http))?
                .with_routes(console);
            http_addr = Some(http.local_addr().context("no local address")?);
            serving = Some(tokio::spawn(
                http.run_until_stopped(stopped(stopping.clone())),
            ));
        }

        if !parts.processes {
            self.processes.clear();
        }
        let mut process_names: Vec<&str> = self.processes.iter().map(|p| p.name()).collect();
        if parts.processes {
            process_names.push(crate::hooks::NAME);
        }
        for process in std::mem::take(&mut self.processes) {
            let name = process.name();
            let task = process.run(
                processes_dir.join(name),
                self.log.jetstream().clone(),
                Box::pin(stopped(stopping.clone())),
            );
            running.spawn(async move { (name, task.await) });
        }

        println!(
            "{}",
            self.banner(&process_names, &projection_names, http_addr)
        );
        info!(nats = %self.nats_url(), data_dir = %self.settings.data_dir.display(), "semaine is up");

        let mut failures = Vec::new();
        tokio::pin!(shutdown);
        tokio::select! {
            () = &mut shutdown => {}
            Some(ended) = running.join_next() => {
                record(ended, &mut failures, true);
            }
        }

        info!("stopping: draining the projections");
        stop.send_replace(true);
        let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
            while let Some(ended) = running.join_next().await {
                record(ended, &mut failures, false);
            }
        })
        .await;
        if drained.is_err() {
            warn!(
                timeout = ?DRAIN_TIMEOUT,
                "projections still busy after the drain timeout: aborted (their checkpoints \
                 match their views; they resume where they stopped)"
            );
            running.abort_all();
        }
        if let Some(serving) = serving {
            match tokio::time::timeout(DRAIN_TIMEOUT, serving).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => failures.push(format!("the HTTP gateway failed: {e}")),
                Ok(Err(e)) => failures.push(format!("the HTTP gateway panicked: {e}")),
                Err(_) => warn!("the HTTP gateway did not drain in time"),
            }
        }
        self.stop().await;

        if failures.is_empty() {
            println!("semaine stopped.");
            Ok(())
        } else {
            Err(anyhow!(
                "semaine stopped because a projection failed: {}",
                failures.join("; ")
            ))
        }
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

    /// What runs and where, for the operator.
    fn banner(
        &self,
        processes: &[&str],
        projections: &[&str],
        http: Option<std::net::SocketAddr>,
    ) -> String {
        let settings = &self.settings;
        let parts = settings.parts;
        let running = if parts == crate::configuration::Parts::ALL {
            "every service in this process".to_owned()
        } else {
            let named: Vec<&str> = [
                (parts.gateway, "gateway"),
                (parts.projections, "projections"),
                (parts.processes, "processes"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            format!("only {} in this process (--only)", named.join(", "))
        };
        let http_console = http;
        let http = match http {
            Some(address) => {
                format!("http://{address} (API keys: semaine keys create --role … --scope …)")
            }
            None => "not served by this process (--only without gateway)".to_owned(),
        };
        let console = match http_console {
            Some(address) => format!(
                "http://{address}/console (organisers and venues sign in with their API key)"
            ),
            None => "not served by this process".to_owned(),
        };
        let (nats, jetstream) = match &self.nats {
            Nats::Local { server } => (
                format!(
                    "{} (a local nats-server {}, started by semaine, stopped with it)",
                    server.url(),
                    server.version()
                ),
                format!(
                    "store {}; {}",
                    server.store_dir().display(),
                    if server.sync_always() {
                        "sync_interval: always (every write is on disk before it is acknowledged)"
                    } else {
                        "sync_interval NOT always (--no-sync-always): an acknowledged write can \
                         be lost on power failure"
                    }
                ),
            ),
            Nats::Remote { shown } => (
                format!("{} (given by --nats-url)", shown.join(", ")),
                "the servers' own store and sync_interval".to_owned(),
            ),
        };
        let streams: Vec<&str> = self.log.config().streams.iter().map(|s| s.name).collect();
        let listed = |names: &[&str]| {
            if names.is_empty() {
                "none yet".to_owned()
            } else {
                names.join(", ")
            }
        };
        format!(
            "semaine is up: {running}. Stop it with Ctrl-C or SIGTERM.\n\
             \x20 HTTP         {http}\n\
             \x20 console      {console}\n\
             \x20 NATS         {nats}\n\
             \x20 JetStream    {jetstream}; {replicas} replica(s) per stream\n\
             \x20 data dir     {data_dir}\n\
             \x20 streams      {streams}\n\
             \x20 services     scheduling (editions, events, sessions), registration (seats, waiting \
             lists, agendas), venue logistics (venues, hosting requests), job-dating (floors, \
             interviews, the planner), webhooks\n\
             \x20 processes    {processes} (stores in {processes_dir})\n\
             \x20 projections  {projections} (stores in {projections_dir})",
            replicas = settings.replicas,
            data_dir = settings.data_dir.display(),
            streams = listed(&streams),
            projections = listed(projections),
            projections_dir = settings.projections_dir().display(),
            processes = listed(processes),
            processes_dir = settings.data_dir.join("processes").display(),
        )
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

/// Files a runner's end: an error, or an end before the shutdown, is a failure.
fn record(
    ended: Result<(&'static str, Result<(), RunnerError>), tokio::task::JoinError>,
    failures: &mut Vec<String>,
    before_shutdown: bool,
) {
    let failure = match ended {
        Ok((_, Err(e))) => e.to_string(),
        Ok((name, Ok(()))) if before_shutdown => format!("projection `{name}` stopped on its own"),
        Ok((_, Ok(()))) => return,
        Err(e) if e.is_cancelled() => return,
        Err(e) => format!("a projection task panicked: {e}"),
    };
    error!(%failure, "projection failed");
    failures.push(failure);
}

/// An exclusive lock on `<data-dir>/semaine.lock`, released when dropped (or when the process
/// ends, however it ends). The file holds the owner's process id, for the refusal message.
struct DataDirLock {
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
