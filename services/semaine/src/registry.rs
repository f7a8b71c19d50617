//! What this binary runs: the JetStream streams it ensures at start-up, the projections it
//! keeps up to date and the processes between services.
//!
//! A service adds its stream to [`streams`], each of its read models to [`projections`] and each
//! process to [`processes`], one line each; the rest of the binary (`up`, `rebuild`,
//! `projections`) picks them up from here. [`check`] refuses a list that could not run: two
//! projections or processes sharing a store, one reading a stream that is not ensured.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::pin::Pin;

use anyhow::{Result, bail};
use async_nats::jetstream;
use eventlog::{EventLog, StreamSpec};
use processes::clock::Deadlines;
use processes::{
    AgendaKeeper, AskVenues, HostingRequests, KeepAgendas, SessionSeats, TellEvents, TellSeats,
    VenueAnswers,
};
use projection::{
    Dispatch, Position, Projection, Reacting, Reactor, Rejected, Runner, RunnerConfig, RunnerError,
    View,
};
use proto::StoredEvent;
use registration::Registrations;

/// The streams ensured at start-up, one per bounded context.
pub fn streams() -> Vec<StreamSpec> {
    vec![
        scheduling::STREAM,
        venues::STREAM,
        registration::STREAM,
        jobdating::STREAM,
        webhooks::STREAM,
    ]
}

/// The processes between services that `semaine up` runs, each with its store under
/// `<data-dir>/processes/<name>`.
pub fn processes(log: &EventLog, services: &gateway::Services) -> Vec<Box<dyn Process>> {
    let scheduling = services.scheduling.clone();
    let registrations = services.registrations.clone();
    vec![
        ReactorProcess::boxed(HostingRequests, AskVenues::new(log)),
        ReactorProcess::boxed(
            VenueAnswers,
            TellEvents {
                scheduling: scheduling.clone(),
            },
        ),
        ReactorProcess::boxed(
            SessionSeats,
            TellSeats {
                scheduling,
                registrations: registrations.clone(),
            },
        ),
        ReactorProcess::boxed(
            AgendaKeeper,
            KeepAgendas {
                registrations: registrations.clone(),
            },
        ),
        Box::new(Clock { registrations }),
    ]
}

/// A future the binary runs to its end.
pub type Task<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A process between services, whatever its reactor and dispatcher.
pub trait Process: Send {
    /// Its name: its store directory.
    fn name(&self) -> &'static str;

    /// The streams it follows.
    fn streams(&self) -> &'static [&'static str];

    /// Opens its store in `dir` and runs it until `shutdown` completes.
    fn run(
        self: Box<Self>,
        dir: PathBuf,
        js: jetstream::Context,
        shutdown: Task<()>,
    ) -> Task<Result<(), RunnerError>>;
}

/// The clock: the deadlines projection and the loop that sends what falls due.
struct Clock {
    registrations: Registrations,
}

/// How often the clock looks at what is due.
const CLOCK_TICK: std::time::Duration = std::time::Duration::from_secs(10);

impl Process for Clock {
    fn name(&self) -> &'static str {
        "clock"
    }

    fn streams(&self) -> &'static [&'static str] {
        Deadlines.streams()
    }

    fn run(
        self: Box<Self>,
        dir: PathBuf,
        js: jetstream::Context,
        shutdown: Task<()>,
    ) -> Task<Result<(), RunnerError>> {
        Box::pin(async move {
            let runner = Runner::open(Deadlines, &dir, js, RunnerConfig::default())?;
            let db = runner.db().clone();
            let (stop, stopping) = tokio::sync::watch::channel(false);
            let projecting = tokio::spawn(runner.run(async move {
                let mut stopping = stopping;
                let _ = stopping.wait_for(|stop| *stop).await;
            }));
            processes::clock::run(db, self.registrations, CLOCK_TICK, shutdown).await;
            stop.send_replace(true);
            match projecting.await {
                Ok(result) => result,
                Err(e) => Err(RunnerError::Store {
                    projection: "deadlines",
                    source: sled::Error::ReportableBug(e.to_string()),
                }),
            }
        })
    }
}

/// A reactor with the dispatcher that carries out its reactions.
struct ReactorProcess<R, D> {
    reactor: R,
    dispatcher: D,
}

impl<R: Reactor, D: Dispatch<R::Reaction> + 'static> ReactorProcess<R, D> {
    fn boxed(reactor: R, dispatcher: D) -> Box<dyn Process> {
        Box::new(Self {
            reactor,
            dispatcher,
        })
    }
}

impl<R: Reactor, D: Dispatch<R::Reaction> + 'static> Process for ReactorProcess<R, D> {
    fn name(&self) -> &'static str {
        self.reactor.name()
    }

    fn streams(&self) -> &'static [&'static str] {
        self.reactor.streams()
    }

    fn run(
        self: Box<Self>,
        dir: PathBuf,
        js: jetstream::Context,
        shutdown: Task<()>,
    ) -> Task<Result<(), RunnerError>> {
        Box::pin(async move {
            let runner = Runner::open(Reacting(self.reactor), &dir, js, RunnerConfig::default())?;
            runner.run_reactor(self.dispatcher, shutdown).await
        })
    }
}

/// The projections `semaine up` runs and `semaine rebuild` replays.
pub fn projections() -> Vec<Registered> {
    vec![
        Registered::new(catalogue::Catalogue),
        Registered::new(views::PartnerView),
        Registered::new(views::VenueView),
        Registered::new(views::Statistics),
        Registered::new(views::JobDatingView),
    ]
}

/// A projection in the registry, whatever its type: every runner the binary opens is a
/// `Runner<Registered>`, so the lists above can hold different read models side by side.
pub struct Registered(Box<dyn Projection>);

impl Registered {
    /// Registers a projection.
    pub fn new(projection: impl Projection) -> Self {
        Self(Box::new(projection))
    }
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Registered").field(&self.0.name()).finish()
    }
}

impl Projection for Registered {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn streams(&self) -> &'static [&'static str] {
        self.0.streams()
    }

    fn trees(&self) -> &'static [&'static str] {
        self.0.trees()
    }

    fn reads(&self, subject: &str) -> bool {
        self.0.reads(subject)
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        at: Position<'_>,
    ) -> Result<(), Rejected> {
        self.0.apply(view, event, at)
    }
}

/// Refuses a registry that cannot run.
///
/// Every projection needs a name usable as a directory name and as `semaine rebuild <name>`
/// (letters, digits, `-`, `_`; not `all`), unique, and reads at least one stream, each of them
/// in `streams`.
pub fn check(
    streams: &[StreamSpec],
    projections: &[Registered],
    processes: &[Box<dyn Process>],
) -> Result<()> {
    let mut stream_names = BTreeSet::new();
    for stream in streams {
        if !stream_names.insert(stream.name) {
            bail!("stream `{}` is registered twice", stream.name);
        }
    }
    let mut names = BTreeSet::new();
    for projection in projections {
        let name = projection.name();
        let usable = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !usable || name == "all" {
            bail!(
                "projection name `{name}` cannot name a store and a rebuild target: use letters, \
                 digits, `-` and `_`, and not `all`"
            );
        }
        if !names.insert(name) {
            bail!("two projections are named `{name}`: each owns the store of that name");
        }
        reads_known_streams(name, projection.streams(), &stream_names)?;
    }
    let mut process_names = BTreeSet::new();
    for process in processes {
        let name = process.name();
        if !process_names.insert(name) {
            bail!("two processes are named `{name}`: each owns the store of that name");
        }
        reads_known_streams(name, process.streams(), &stream_names)?;
    }
    Ok(())
}

fn reads_known_streams(name: &str, streams: &[&str], known: &BTreeSet<&'static str>) -> Result<()> {
    if streams.is_empty() {
        bail!("`{name}` reads no stream");
    }
    for stream in streams {
        if !known.contains(stream) {
            bail!(
                "`{name}` reads stream `{stream}`, which the registry does not ensure: add it to \
                 registry::streams()"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read model that reads a stream and writes nothing: enough to exercise [`check`].
    struct Reads(&'static str, &'static [&'static str]);

    impl Projection for Reads {
        fn name(&self) -> &'static str {
            self.0
        }
        fn streams(&self) -> &'static [&'static str] {
            self.1
        }
        fn trees(&self) -> &'static [&'static str] {
            &[]
        }
        fn apply(
            &self,
            _: &mut View<'_>,
            _: &StoredEvent,
            _: Position<'_>,
        ) -> Result<(), Rejected> {
            Ok(())
        }
    }

    const AGENDA: StreamSpec = StreamSpec {
        name: "AGENDA",
        subjects: "agenda.>",
        description: "a stream for the registry's tests",
    };

    #[test]
    fn the_registry_as_shipped_names_its_processes_and_streams() {
        let names: Vec<&str> = streams().iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "SCHEDULING",
                "VENUES",
                "REGISTRATION",
                "JOBDATING",
                "WEBHOOKS"
            ]
        );
    }

    #[test]
    fn a_registered_projection_is_its_inner_projection() {
        let registered = Registered::new(Reads("agenda", &["AGENDA"]));
        assert_eq!(registered.name(), "agenda");
        assert_eq!(registered.streams(), ["AGENDA"]);
    }

    #[test]
    fn registries_that_cannot_run_are_refused() {
        let ok = [Registered::new(Reads("agenda", &["AGENDA"]))];
        assert!(check(&[AGENDA], &ok, &[]).is_ok());
        assert!(check(&[], &ok, &[]).is_err(), "unknown stream");
        let twice = [
            Registered::new(Reads("agenda", &["AGENDA"])),
            Registered::new(Reads("agenda", &["AGENDA"])),
        ];
        assert!(check(&[AGENDA], &twice, &[]).is_err(), "same store twice");
        for bad in ["all", "", "../agenda", "a b"] {
            let named = [Registered::new(Reads(bad, &["AGENDA"]))];
            assert!(check(&[AGENDA], &named, &[]).is_err(), "name `{bad}`");
        }
        let reads_nothing = [Registered::new(Reads("agenda", &[]))];
        assert!(check(&[AGENDA], &reads_nothing, &[]).is_err(), "no stream");
        assert!(check(&[AGENDA, AGENDA], &[], &[]).is_err(), "stream twice");
    }
}
