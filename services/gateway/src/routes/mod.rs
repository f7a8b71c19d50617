//! The routes: one table, [`ROUTES`], from which both the axum [`Router`] ([`app`]) and the
//! OpenAPI document ([`crate::openapi`]) are built. Each area's module owns its handlers, the
//! bodies they read and its slice of the table (`editions`, `events`, `partners`, `venues`,
//! `registrations`, [`catalogue`], [`readers`], [`webhooks`], [`jobdating`]); the table's
//! vocabulary is in `table.rs`; the probes and the gateway's state are here.
//!
//! Every command is a POST that needs an API key ([`crate::auth`]) and an `Idempotency-Key`
//! ([`crate::idempotency`]), and answers JSON with `seq` and `stream`: the stream sequence of the
//! commit that recorded it and the stream it is in, which a read may wait for (`min_seq`, see
//! [`catalogue`]); and `duplicate`, true when the log answered a retry with the original
//! outcome. (The registration service's partner, cancel, check-in, reserve and erase commands
//! and a webhook's deletion tell the sequence only; their answers have no `duplicate`.) The table says, for each route, who may
//! call it, its body and its answer; `docs/api.md` explains them.
//!
//! **Ids the server makes.** An edition, an event or a venue created through the gateway gets an
//! id derived (UUID v5) from the API key and the request's `Idempotency-Key`: a retry names the
//! same id, so even one the gateway's store has forgotten is answered by the log as a duplicate
//! and never creates a second edition. A session's id is the caller's (it is in the scheduling
//! contract), and a registration's is made by the registration service.
//!
//! **Scopes.** An organiser key of one edition acts on that edition only: for an event's commands,
//! the event's edition (an event never changes edition); for a session's seats, the edition in
//! the seats' facts. Creating an edition and retiring a partner (partners are shared by every
//! edition) need an organiser key of every edition (`*`); declaring a partner or registering a
//! venue adds to what all editions share and takes nothing away, so any organiser may. A venue
//! key acts on its own venue; it may register it (under its own id), answer its hosting requests
//! and check people in at the sessions it hosts. A partner key registers as its partner and
//! cancels its own registrations (the service checks ownership; another partner's registration is
//! answered 404, like one that does not exist).

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use async_nats::connection::State as Connection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use eventlog::EventLog;
use projection::Progress;
use registration::Registrations;
use scheduling::Scheduling;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::auth::authenticate;
use crate::idempotency::{IdempotencyStore, idempotent};
use crate::keys::{KeyError, KeyStore};
use crate::limits::{RateLimit, RateLimiter};
use crate::metrics::Metrics;
use crate::problem::ApiError;

pub mod answers;
pub mod catalogue;
pub mod editions;
pub mod events;
pub mod jobdating;
pub mod partners;
pub mod readers;
pub mod registrations;
mod table;
pub mod venues;
pub mod webhooks;

use answers::Answered;
use readers::ViewStores;
pub(crate) use table::Area;
use table::handled_by;
pub use table::{Access, Answer, Contract, MIN_SEQ, Param, RequestBody, Route, Verb, sample_id};

/// The stream of the scheduling service's commits (editions, events, sessions).
pub const SCHEDULING: &str = proto::subjects::SCHEDULING.name;
/// The stream of the venue service's commits.
pub const VENUES: &str = proto::subjects::VENUES.name;
/// The stream of the registration service's commits (partners, seats, agendas).
pub const REGISTRATION: &str = proto::subjects::REGISTRATION.name;

/// The services the gateway sends commands to.
#[derive(Clone)]
pub struct Services {
    /// Editions, events and sessions.
    pub scheduling: Scheduling,
    /// Venues and their hosting requests.
    pub venues: ::venues::Venues,
    /// Partners, registrations, seats.
    pub registrations: Registrations,
    /// Job-dating floors.
    pub jobdating: ::jobdating::JobDating,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub services: Services,
    /// The API keys.
    pub keys: KeyStore,
    /// The idempotency keys seen.
    pub idempotency: IdempotencyStore,
    /// The rate limits, per key.
    pub limiter: Arc<RateLimiter>,
    /// The rate limits of the public reads (the catalogue), per client address.
    pub public_limiter: Arc<RateLimiter>,
    /// The NATS connection, whose state is the readiness.
    pub nats: async_nats::Client,
    /// The event log, whose streams' last sequences measure the projections' lag.
    pub log: EventLog,
    /// The catalogue read model's store, when this instance serves it.
    pub catalogue: Option<sled::Db>,
    /// The stores of the partners', venues' and organisers' views, when this instance serves
    /// them.
    pub views: Option<ViewStores>,
    /// How far the projections given have read, by name (for `/metrics`; the catalogue's is
    /// also what `min_seq` waits on).
    pub projections: BTreeMap<&'static str, watch::Receiver<Progress>>,
    /// The counters `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Partners' and venues' webhooks, when this instance serves them.
    pub webhooks: Option<::webhooks::Webhooks>,
    /// The job-dating view's store, when this instance serves it.
    pub jobdating_view: Option<sled::Db>,
}

/// Why the gateway's state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The API keys' bucket.
    #[error("cannot open the API keys: {0}")]
    Keys(#[from] KeyError),
    /// The idempotency keys' bucket.
    #[error("cannot open the idempotency keys: {0}")]
    Idempotency(String),
}

impl AppState {
    /// Opens the gateway's buckets on the log's JetStream (with the log's replica count) and
    /// puts the services and the rate limit together.
    pub async fn open(
        log: &EventLog,
        services: Services,
        limit: RateLimit,
    ) -> Result<Self, OpenError> {
        let js = log.jetstream();
        let replicas = log.config().replicas;
        Ok(Self {
            services,
            keys: KeyStore::open(js, replicas).await?,
            idempotency: IdempotencyStore::open(js, replicas)
                .await
                .map_err(|e| OpenError::Idempotency(e.to_string()))?,
            limiter: Arc::new(RateLimiter::new(limit)),
            public_limiter: Arc::new(RateLimiter::new(crate::limits::PUBLIC_PER_ADDRESS)),
            nats: js.client(),
            log: log.clone(),
            catalogue: None,
            views: None,
            projections: BTreeMap::new(),
            metrics: Arc::default(),
            webhooks: None,
            jobdating_view: None,
        })
    }

    /// Serves the catalogue from this read model's store.
    pub fn with_catalogue(mut self, store: sled::Db) -> Self {
        self.catalogue = Some(store);
        self
    }

    /// Serves the partners', venues' and organisers' reads from these views' stores.
    pub fn with_views(mut self, stores: ViewStores) -> Self {
        self.views = Some(stores);
        self
    }

    /// Serves the job-dating reads (timetables, calendars, figures) from this view's store.
    pub fn with_jobdating_view(mut self, store: sled::Db) -> Self {
        self.jobdating_view = Some(store);
        self
    }

    /// Serves partners' and venues' webhooks.
    pub fn with_webhooks(mut self, webhooks: ::webhooks::Webhooks) -> Self {
        self.webhooks = Some(webhooks);
        self
    }

    /// Follows a projection's progress (its runner's [`projection::Runner::progress`]): its
    /// checkpoints and lag are reported at `/metrics`. The catalogue's
    /// ([`CATALOGUE`]) is also what a catalogue read with `min_seq` waits on.
    pub fn with_projection(
        mut self,
        name: &'static str,
        progress: watch::Receiver<Progress>,
    ) -> Self {
        self.projections.insert(name, progress);
        self
    }

    /// How far the catalogue has read, when it was given.
    pub fn catalogue_progress(&self) -> Option<&watch::Receiver<Progress>> {
        self.projections.get(CATALOGUE)
    }
}

/// The name of the catalogue projection, whose progress `min_seq` waits on.
pub const CATALOGUE: &str = "catalogue";

/// Every route of the gateway, once: [`app`] routes them and [`crate::openapi`] documents them.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    [
        editions::ROUTES,
        events::ROUTES,
        partners::ROUTES,
        venues::ROUTES,
        registrations::ROUTES,
        webhooks::ROUTES,
        catalogue::ROUTES,
        readers::ROUTES,
        jobdating::ROUTES,
        OPERATIONS,
    ]
    .concat()
});

/// The probes, the document and the metrics.
const OPERATIONS: &[Route] = &[
    Area::OPERATIONS.get(
        "/healthz",
        "healthz",
        "Liveness: 200 while the process serves HTTP",
        Access::Anyone,
        handled_by!(healthz),
    ),
    Area::OPERATIONS.get(
        "/readyz",
        "readyz",
        "Readiness: 200 while NATS is connected and every read model served here has \
         caught up with the log, 503 `not-ready` otherwise",
        Access::Anyone,
        handled_by!(readyz),
    ),
    Area::OPERATIONS.get(
        "/openapi.json",
        "openapi",
        "This OpenAPI 3.1 document",
        Access::Anyone,
        handled_by!(
            crate::openapi::serve,
            Answer::Json("the OpenAPI 3.1 document")
        ),
    ),
    Area::OPERATIONS.get(
        "/metrics",
        "metrics",
        "Metrics in the Prometheus text format",
        Access::Anyone,
        handled_by!(crate::metrics::serve, Answer::Metrics),
    ),
];

/// The whole HTTP application, routed from [`ROUTES`].
pub fn app(state: AppState) -> Router {
    let mut probes = Router::new();
    let mut public = Router::new();
    let mut commands = Router::new();
    for route in ROUTES.iter() {
        let handler = (route.handler)(route.method.filter());
        match route.access {
            Access::Key(_) | Access::Reader(_) => commands = commands.route(route.path, handler),
            Access::AnyoneOrKey => public = public.route(route.path, handler),
            Access::Anyone => probes = probes.route(route.path, handler),
        }
    }
    // The last layer added runs first: authenticate, then idempotency, then the handler.
    let commands = commands
        .route_layer(middleware::from_fn_with_state(state.clone(), idempotent))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .route_layer(middleware::from_fn(no_store));
    // The public reads (the catalogue) are limited per client address; the probes, the metrics
    // and the document are not (a load balancer and a scraper poll them from one address).
    let public = public
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limit_by_address,
        ))
        .route_layer(middleware::from_fn(no_store_when_keyed));
    probes
        .merge(public)
        .merge(commands)
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        // Runs after routing (it reads the matched route), around everything else.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::record,
        ))
        .layer(DefaultBodyLimit::max(crate::BODY_LIMIT))
        .with_state(state)
}

/// The public reads take a token from their client address's bucket, or answer
/// `429` `rate-limited` with `Retry-After`. A request made within the process (no address) is
/// not counted: the console's are its signed-in users', limited as theirs.
async fn limit_by_address(
    State(state): State<AppState>,
    crate::limits::ClientAddress(address): crate::limits::ClientAddress,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    if address.is_some()
        && let Err(wait) = state
            .public_limiter
            .check(&crate::limits::address_bucket(address))
    {
        return ApiError::rate_limited(wait).into_response();
    }
    next.run(request).await
}

/// A keyed answer is the key's own (a partner's registrations, identities opened): no cache,
/// shared or private, keeps it.
async fn no_store(request: axum::extract::Request, next: middleware::Next) -> Response {
    kept_by_no_cache(next.run(request).await)
}

/// A public read sent with a key may show what is the key's own (an organiser's drafts): no
/// cache keeps that answer either.
async fn no_store_when_keyed(request: axum::extract::Request, next: middleware::Next) -> Response {
    let keyed = request
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION);
    let response = next.run(request).await;
    if keyed {
        kept_by_no_cache(response)
    } else {
        response
    }
}

/// `response`, marked `Cache-Control: no-store`.
fn kept_by_no_cache(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The process is alive.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Alive {
    /// Always `ok`.
    pub status: AliveStatus,
}

/// What `/healthz` says.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum AliveStatus {
    /// Alive.
    Ok,
}

/// The instance is ready to serve.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Ready {
    /// Always `ready` (otherwise the answer is a `503` problem).
    pub status: ReadyStatus,
}

/// What `/readyz` says when ready.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    /// Ready.
    Ready,
}

async fn healthz() -> Result<Answered<Alive>, ApiError> {
    Ok(Answered::ok(Alive {
        status: AliveStatus::Ok,
    }))
}

/// Ready when NATS is connected and every read model this instance serves has caught up with
/// the log as it was when its runner started: a store being replayed (new, replaced after damage,
/// rebuilt) would answer stale or partial reads, so a load balancer should not send any yet.
async fn readyz(State(state): State<AppState>) -> Result<Answered<Ready>, ApiError> {
    let not_ready = |detail: String| {
        Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", detail).retry_after(1))
    };
    match state.nats.connection_state() {
        Connection::Connected => {}
        other => return not_ready(format!("NATS is {other}")),
    }
    let behind: Vec<&str> = state
        .projections
        .iter()
        .filter(|(_, progress)| !progress.borrow().caught_up)
        .map(|(name, _)| *name)
        .collect();
    if behind.is_empty() {
        Ok(Answered::ok(Ready {
            status: ReadyStatus::Ready,
        }))
    } else {
        not_ready(format!("catching up with the log: {}", behind.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use projection::Projection;

    #[test]
    fn every_routes_tag_is_described_in_the_document() {
        for route in ROUTES.iter() {
            assert!(
                Area::ALL.iter().any(|area| area.tag == route.tag),
                "{} {} has the undescribed tag {}",
                route.method.as_str(),
                route.path,
                route.tag
            );
        }
    }

    #[test]
    fn min_seq_waits_on_the_catalogue_projection() {
        assert_eq!(::catalogue::Catalogue.name(), CATALOGUE);
    }

    #[test]
    fn the_answers_name_the_services_streams() {
        assert_eq!(
            [SCHEDULING, VENUES, REGISTRATION],
            ["SCHEDULING", "VENUES", "REGISTRATION"]
        );
    }
}
