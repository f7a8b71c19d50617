//! [`Running`]: the application once started: the projections' runners and the processes as
//! tasks, and the HTTP gateway with the console served on its bound address; draining them all
//! and stopping NATS once the shutdown future completes.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow};
use eventlog::EventLog;
use projection::{Runner, RunnerError};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::registry::Registered;
use crate::startup::{Core, DRAIN_TIMEOUT, Nats};
use registration::identities::Identities;

/// The application running: projections, processes and (when this process serves it) the
/// HTTP gateway with the console, until [`Running::until_stopped`] drains and stops them.
/// Dropped without it, every task is aborted.
pub struct Running {
    /// What every part shares.
    pub(crate) core: Core,
    /// Tells every task to finish.
    pub(crate) stop: watch::Sender<bool>,
    /// The projections' runners and the processes, each ending with its name.
    pub(crate) tasks: JoinSet<(&'static str, Result<(), RunnerError>)>,
    /// The HTTP gateway and the console, when this process serves them.
    pub(crate) http: Option<Http>,
    /// The names of the processes running here, in registry order.
    pub(crate) processes: Vec<&'static str>,
    /// The names of the projections running here, in registry order.
    pub(crate) projections: Vec<&'static str>,
}

/// The HTTP gateway with the console, served on a bound address.
pub(crate) struct Http {
    /// The address it listens on (the port chosen when `--http` asked for port 0).
    address: std::net::SocketAddr,
    /// Its state: keys, read models, services.
    state: gateway::AppState,
    /// The routes it serves, as they are served.
    router: gateway::stack::axum::Router,
    /// The serving task, aborted if the application is dropped without a stop.
    serving: AbortOnDrop<std::io::Result<()>>,
}

/// A task aborted when its handle is dropped.
pub(crate) struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves once `stopping` says stop (or its sender is gone).
pub(crate) async fn stopped(mut stopping: watch::Receiver<bool>) {
    // An error means the sender is gone: stop as well.
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// The read models' stores and progress, taken before their runners move into their tasks:
/// the gateway reads the stores, reports the progress at /metrics, and waits on it for a read
/// with `min_seq`.
pub(crate) struct ReadModels {
    /// Each running projection's store, by name.
    stores: BTreeMap<&'static str, sled::Db>,
    /// Each running projection's progress, in registry order.
    pub(crate) progress: Vec<(&'static str, watch::Receiver<projection::Progress>)>,
}

impl ReadModels {
    pub(crate) fn of(runners: &[Runner<Registered>]) -> Self {
        Self {
            stores: runners
                .iter()
                .map(|runner| (runner.name(), runner.db().clone()))
                .collect(),
            progress: runners
                .iter()
                .map(|runner| (runner.name(), runner.progress()))
                .collect(),
        }
    }

    fn store(&self, name: &str) -> Option<sled::Db> {
        self.stores.get(name).cloned()
    }

    /// The stores of the partners', venues' and organisers' views, when all three run here.
    fn views(&self) -> Option<gateway::routes::readers::ViewStores> {
        Some(gateway::routes::readers::ViewStores {
            partners: self.store(views::PartnerView::NAME)?,
            venues: self.store(views::VenueView::NAME)?,
            statistics: self.store(views::Statistics::NAME)?,
        })
    }
}

impl Core {
    /// Binds `--http` and serves the gateway and the console over the read models running
    /// here (and the webhooks, when their process runs here) until `stopping` says stop.
    pub(crate) async fn serve(
        &self,
        read_models: ReadModels,
        webhooks: Option<(webhooks::Webhooks, watch::Receiver<projection::Progress>)>,
        stopping: &watch::Receiver<bool>,
    ) -> Result<Http> {
        let settings = &self.settings;
        let mut state =
            gateway::AppState::open(&self.log, self.services.clone(), settings.tuning.rate_limit)
                .await
                .context("cannot open the HTTP gateway's stores")?;
        if let Some(store) = read_models.store(gateway::routes::CATALOGUE) {
            state = state.with_catalogue(store);
        }
        if let Some(stores) = read_models.views() {
            state = state.with_views(stores);
        }
        if let Some(store) = read_models.store(views::JobDatingView::NAME) {
            state = state.with_jobdating_view(store);
        }
        for (name, progress) in read_models.progress {
            state = state.with_projection(name, progress);
        }
        if let Some((hooks, progress)) = webhooks {
            state = state
                .with_projection(crate::hooks::NAME, progress)
                .with_webhooks(hooks);
        }
        let console = console::router(state.clone())
            .await
            .context("cannot open the console's logins")?;
        let gateway = gateway::Gateway::bind(settings.http, state.clone())
            .await
            .with_context(|| format!("cannot listen on {}", settings.http))?
            .with_routes(console);
        let address = gateway.local_addr().context("no local address")?;
        let router = gateway.router();
        let serving = AbortOnDrop(tokio::spawn(
            gateway.run_until_stopped(stopped(stopping.clone())),
        ));
        Ok(Http {
            address,
            state,
            router,
            serving,
        })
    }
}

impl Running {
    /// The address the HTTP gateway and the console listen on, when this process serves them.
    pub fn http_address(&self) -> Option<std::net::SocketAddr> {
        self.http.as_ref().map(|http| http.address)
    }

    /// The gateway's state (its keys, its read models), when this process serves it.
    pub fn gateway(&self) -> Option<&gateway::AppState> {
        self.http.as_ref().map(|http| &http.state)
    }

    /// The routes served at [`Running::http_address`], to call in the process (tests).
    pub fn router(&self) -> Option<&gateway::stack::axum::Router> {
        self.http.as_ref().map(|http| &http.router)
    }

    /// The NATS URL(s) in use, without credentials.
    pub fn nats_url(&self) -> String {
        self.core.nats.url()
    }

    /// The services' command handlers.
    pub fn services(&self) -> &gateway::Services {
        &self.core.services
    }

    /// The event log.
    pub fn event_log(&self) -> &EventLog {
        &self.core.log
    }

    /// The participants' keys.
    pub fn identities(&self) -> &Identities {
        &self.core.identities
    }

    /// The command that makes an API key from another terminal while this semaine runs.
    pub fn keys_command(&self, args: &str) -> String {
        self.core.keys_command(args)
    }

    /// Runs until `shutdown` completes, then drains the projections, the processes and the
    /// gateway (together, under one [`DRAIN_TIMEOUT`]), and stops NATS (when local).
    ///
    /// A projection or process that stops on its own (its store fails, or it halts on a message
    /// it cannot read) stops the whole process, with an error: a read model that silently fell
    /// behind would serve stale answers. So does the HTTP gateway when it stops serving on its
    /// own: semaine would run unreachable.
    pub async fn until_stopped(mut self, shutdown: impl Future<Output = ()>) -> Result<()> {
        let mut failures = Vec::new();
        tokio::pin!(shutdown);
        tokio::select! {
            () = &mut shutdown => {}
            Some(ended) = self.tasks.join_next() => {
                record(ended, &mut failures, true);
            }
            served = serving(self.http.as_mut()) => {
                // The HTTP gateway stopped serving on its own: nobody can reach semaine.
                record_serving(served, &mut failures, true);
                self.http = None;
            }
        }

        info!("stopping: draining the projections, the processes and the gateway");
        self.stop.send_replace(true);
        // Everything drains at once, under one deadline.
        let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
        let drained = tokio::time::timeout_at(deadline, async {
            while let Some(ended) = self.tasks.join_next().await {
                record(ended, &mut failures, false);
            }
        })
        .await;
        if drained.is_err() {
            warn!(
                timeout = ?DRAIN_TIMEOUT,
                "projections or processes still busy after the drain timeout: aborted (their \
                 checkpoints match their views; they resume where they stopped)"
            );
            // Aborted and waited for: their stores are closed before NATS stops.
            self.tasks.shutdown().await;
        }
        if let Some(mut http) = self.http.take() {
            match tokio::time::timeout_at(deadline, serving(Some(&mut http))).await {
                Ok(served) => record_serving(served, &mut failures, false),
                Err(_) => {
                    warn!("the HTTP gateway did not drain in time: aborted");
                    http.serving.0.abort();
                    let _ = (&mut http.serving.0).await;
                }
            }
            // Its stores are closed before NATS stops.
            drop(http);
        }
        self.core.stop().await;

        if failures.is_empty() {
            println!("semaine stopped.");
            Ok(())
        } else {
            Err(anyhow!(
                "semaine stopped because a part of it failed: {}",
                failures.join("; ")
            ))
        }
    }

    /// What runs and where, for the operator.
    pub fn banner(&self) -> String {
        let settings = &self.core.settings;
        let http = self.http_address();
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
        let (nats, jetstream) = match &self.core.nats {
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
        let streams: Vec<&str> = self
            .core
            .log
            .config()
            .streams
            .iter()
            .map(|s| s.name)
            .collect();
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
            projections = listed(&self.projections),
            projections_dir = settings.projections_dir().display(),
            processes = listed(&self.processes),
            processes_dir = settings.data_dir.join("processes").display(),
        )
    }
}

/// The end of the HTTP gateway's serving task; never, when this process does not serve it.
async fn serving(http: Option<&mut Http>) -> Result<std::io::Result<()>, tokio::task::JoinError> {
    match http {
        Some(http) => (&mut http.serving.0).await,
        None => std::future::pending().await,
    }
}

/// Files the HTTP gateway's end: an error, or an end before the shutdown, is a failure.
fn record_serving(
    served: Result<std::io::Result<()>, tokio::task::JoinError>,
    failures: &mut Vec<String>,
    before_shutdown: bool,
) {
    let failure = match served {
        Ok(Ok(())) if before_shutdown => "the HTTP gateway stopped serving on its own".to_owned(),
        Ok(Ok(())) => return,
        Ok(Err(e)) => format!("the HTTP gateway failed: {e}"),
        Err(e) if e.is_cancelled() => return,
        Err(e) => format!("the HTTP gateway panicked: {e}"),
    };
    error!(%failure, "the HTTP gateway failed");
    failures.push(failure);
}

/// Files a runner's end: an error, or an end before the shutdown, is a failure.
fn record(
    ended: Result<(&'static str, Result<(), RunnerError>), tokio::task::JoinError>,
    failures: &mut Vec<String>,
    before_shutdown: bool,
) {
    let failure = match ended {
        Ok((_, Err(e))) => e.to_string(),
        Ok((name, Ok(()))) if before_shutdown => format!("`{name}` stopped on its own"),
        Ok((_, Ok(()))) => return,
        Err(e) if e.is_cancelled() => return,
        Err(e) => format!("a projection's or a process's task panicked: {e}"),
    };
    error!(%failure, "a projection or a process failed");
    failures.push(failure);
}
