//! The HTTP gateway: one axum application through which organisers, venues and partners send
//! their commands to the scheduling, venue, registration and job-dating services.
//!
//! A request goes through, in order: the route (404, 405), authentication by API key (401) and
//! the key's rate limit (429), the idempotency key (replay, or 422 when reused), the JSON body
//! (400, 413, 415, 422), the key's scope (403), then the service's command through the event
//! log (its refusals as 404, 409 or 422). Every error is a problem+json document with a stable
//! `code`. Commands answer the `stream` and `seq` they produced; a catalogue read may wait for
//! them (`min_seq`). The routes are one table, from which the router and the OpenAPI document
//! are both built; `/metrics` counts requests, outcomes and the projections' lag. Partners and
//! venues subscribe webhooks (`/webhooks`).
//!
//! The gateway authenticates, checks role and scope, and calls the services: it looks up only
//! what a scope check needs, answers a refusal with the service's code, and decides statuses,
//! not outcomes. The router holds the routes of [`routes::ROUTES`] only.
//!
//! # Layout
//! - [`keys`]: API keys (organiser, venue, partner, each with a scope), stored as hashes in a
//!   JetStream key-value bucket; create, authenticate, revoke, list.
//! - [`auth`]: the middleware that authenticates (a bearer secret, or a principal delegated in
//!   the process by the console) and rate-limits, and the [`auth::Caller`] a handler acts as
//!   (its actor, its idempotency key, its scope checks).
//! - [`idempotency`]: `Idempotency-Key` on every POST; requests and responses in a key-value
//!   bucket for 24 hours, replayed or refused when reused.
//! - [`limits`]: the token bucket per key.
//! - [`problem`]: [`ApiError`], RFC 9457 problem details, and the status of every service error.
//! - [`routes`]: [`AppState`], [`app`] and the route table [`routes::ROUTES`], built area by
//!   area: each of `routes/{editions,events,partners,venues,registrations}.rs` owns its
//!   commands' handlers, their bodies and its slice of the table; [`routes::catalogue`] the
//!   public catalogue (`GET /catalogue/...`) and `min_seq` (read-your-writes);
//!   [`routes::readers`] the reads of partners, venues and organisers (registrations,
//!   participants, agendas as calendars, hosting requests, attendance lists as JSON and CSV,
//!   statistics) with identities opened on read, and the erasure of a participant;
//!   [`routes::webhooks`] partners' and venues' subscriptions and delivery logs;
//!   [`routes::jobdating`] job-dating floors (set-up and planner, blocked slots and outcomes,
//!   bookings and wishes, timetables, candidates' calendars and figures).
//! - [`extract`]: the JSON body and path extractors whose rejections are problems.
//! - [`openapi`]: the OpenAPI 3.1 document built from the table (`GET /openapi.json`).
//! - [`metrics`]: the counters, their middleware and `GET /metrics`.
//! - [`correlation`]: every request's span and correlation id (`X-Correlation-Id`), which its
//!   commands record and their reactions carry on.
//! - [`panics`]: a handler's panic answered as a `500` problem with a correlation id, counted.
//! - [`server`]: [`Gateway`]: bind a port, serve until stopped.

pub mod auth;
pub mod correlation;
pub mod extract;
pub mod idempotency;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod panics;
pub mod problem;
pub mod routes;
pub mod server;

pub use keys::{KeyStore, Principal, Role};
pub use limits::RateLimit;
pub use problem::ApiError;
pub use routes::{AppState, Services, app};
pub use server::Gateway;

/// The largest request body accepted: 64 KiB (a registration is well under 2 KiB).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The HTTP stack the gateway is built on, for callers and tests that drive [`app`] directly
/// (`tower::ServiceExt::oneshot`) with the same versions.
pub mod stack {
    pub use axum;
    pub use tower;
}
