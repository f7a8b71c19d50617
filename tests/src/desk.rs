//! [`Desk`]: a [`Week`] with the gateway and the console in front of it, as `semaine up` serves
//! them, and the read models they read (the catalogue and the three views) running.
//!
//! Tests either send requests to [`Desk::router`] in the process (`tower::ServiceExt::oneshot`)
//! or serve it on a free loopback port ([`Desk::serve`]) for a browser.

use std::net::SocketAddr;

use eventlog::EventLog;
use gateway::readers::ViewStores;
use gateway::stack::axum::Router;
use gateway::{AppState, RateLimit, Role};
use projection::{Runner, RunnerConfig};
use proto::taxonomy::Audience;
use proto::values::{EditionId, SessionId, VenueId};
use tokio::task::JoinHandle;

use crate::week::{Week, eventually, tuesday};

/// A week behind the gateway and the console.
pub struct Desk {
    /// The week (its services, processes and nats-server).
    pub week: Week,
    /// The gateway's state.
    pub state: AppState,
    /// The gateway's API and the console, merged as `semaine up` serves them.
    pub router: Router,
    _stores: tempfile::TempDir,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Desk {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Desk {
    /// Starts a week, the catalogue and the three views, the gateway and the console.
    pub async fn start() -> anyhow::Result<Self> {
        let week = Week::start().await?;
        let state = AppState::open(&week.log, week.services(), RateLimit::default()).await?;
        let stores = tempfile::tempdir()?;
        let js = async_nats::jetstream::new(week.nats.client().await?);
        let config = RunnerConfig::default();
        let catalogue = Runner::open(
            catalogue::Catalogue,
            &stores.path().join("catalogue"),
            js.clone(),
            config.clone(),
        )?;
        let partners = Runner::open(
            views::PartnerView,
            &stores.path().join("partner-view"),
            js.clone(),
            config.clone(),
        )?;
        let venues = Runner::open(
            views::VenueView,
            &stores.path().join("venue-view"),
            js.clone(),
            config.clone(),
        )?;
        let statistics = Runner::open(
            views::Statistics,
            &stores.path().join("statistics"),
            js,
            config,
        )?;
        let state = state
            .with_catalogue(catalogue.db().clone())
            .with_views(ViewStores {
                partners: partners.db().clone(),
                venues: venues.db().clone(),
                statistics: statistics.db().clone(),
            })
            .with_projection(gateway::routes::CATALOGUE, catalogue.progress())
            .with_projection(views::PartnerView::NAME, partners.progress())
            .with_projection(views::VenueView::NAME, venues.progress())
            .with_projection(views::Statistics::NAME, statistics.progress());
        let tasks = vec![
            tokio::spawn(async move {
                let _ = catalogue.run(std::future::pending()).await;
            }),
            tokio::spawn(async move {
                let _ = partners.run(std::future::pending()).await;
            }),
            tokio::spawn(async move {
                let _ = venues.run(std::future::pending()).await;
            }),
            tokio::spawn(async move {
                let _ = statistics.run(std::future::pending()).await;
            }),
        ];
        let router =
            gateway::app(state.clone()).merge(Box::pin(console::router(state.clone())).await?);
        Ok(Self {
            week,
            state,
            router,
            _stores: stores,
            tasks,
        })
    }

    /// Another instance of the gateway and the console, over its own NATS connection, as a
    /// second gateway behind a load balancer (or this one restarted) would be: nothing of the
    /// first instance's memory is shared, only NATS and the read models' stores (which one
    /// process cannot open twice).
    pub async fn instance(&self) -> anyhow::Result<Router> {
        let log = EventLog::open(
            self.week.nats.client().await?,
            self.week.log.config().clone(),
        )
        .await?;
        let fresh = AppState::open(&log, self.week.services(), RateLimit::default()).await?;
        let state = AppState {
            keys: fresh.keys,
            idempotency: fresh.idempotency,
            limiter: fresh.limiter,
            nats: fresh.nats,
            log: fresh.log,
            ..self.state.clone()
        };
        Ok(gateway::app(state.clone()).merge(Box::pin(console::router(state)).await?))
    }

    /// A new API key of this role; its secret.
    pub async fn key(&self, role: Role) -> anyhow::Result<String> {
        let (_, secret) = self.state.keys.create(role).await?;
        Ok(secret.expose().to_owned())
    }

    /// Waits (bounded) until the catalogue knows `edition` and `venue`, which the console's
    /// pages read (the import looks venues up by name there).
    pub async fn wait_for_catalogue(
        &self,
        edition: EditionId,
        venue: VenueId,
    ) -> anyhow::Result<()> {
        let db = self
            .state
            .catalogue
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the desk serves the catalogue"))?;
        eventually(
            &format!("the catalogue knows edition {edition} and venue {venue}"),
            || async {
                let known = catalogue::edition(&db, edition).is_some()
                    && catalogue::venues(&db).iter().any(|v| v.id == venue);
                Ok(known.then_some(()))
            },
        )
        .await
    }

    /// An edition with one open door in Gap, whose venue has been asked to host it.
    pub async fn requested_session(&self) -> anyhow::Result<(EditionId, VenueId, SessionId)> {
        let week = &self.week;
        let venue = week.register_venue(40).await?;
        let edition = week.create_edition().await?;
        let event = week.add_open_door(edition).await?;
        let session = week
            .schedule_session(event, venue, tuesday(9, 0), tuesday(12, 0), 30)
            .await?;
        week.wait_for_request(venue, session).await?;
        Ok((edition, venue, session))
    }

    /// A session confirmed for `capacity` seats in which two partners registered people: the
    /// mission locale two (confirmed), the collège one (waiting, when `capacity` is 2).
    pub async fn session_with_two_partners(
        &self,
        capacity: u32,
    ) -> anyhow::Result<(EditionId, SessionId)> {
        let (edition, venue, session) = self.requested_session().await?;
        self.week.confirm(venue, session, capacity).await?;
        self.week
            .wait_for_seats(session, |s| s.capacity == capacity && s.facts.is_some())
            .await?;
        for (partner, person) in [
            ("mission-locale-gap", "ml-1"),
            ("mission-locale-gap", "ml-2"),
            ("college-gap", "c-1"),
        ] {
            self.week
                .register(
                    partner,
                    person,
                    session,
                    Audience::YoungPeople,
                    &format!("{person}-key"),
                )
                .await?;
        }
        Ok((edition, session))
    }

    /// Serves the router on a free loopback port until the desk is dropped; its address.
    pub async fn serve(&mut self) -> anyhow::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let router = self.router.clone();
        self.tasks.push(tokio::spawn(async move {
            let _ = gateway::stack::axum::serve(listener, router).await;
        }));
        Ok(address)
    }
}
