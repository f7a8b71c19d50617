//! The organisers' and venues' console: HTML pages served by semaine itself under `/console/`,
//! for the people who have no front-end of their own.
//!
//! The console is a client of the gateway, in the same process: a page reads and writes through
//! the gateway's own router ([`api::Api`], `tower::ServiceExt::oneshot`) with the signed-in
//! user's API key, so the console has exactly the API's keys, roles, scopes, rate limits,
//! idempotency and refusals, and no path of its own to the services (its one other path is the
//! catalogue's venue directory, which the imports and the session forms read). The pages are not API
//! operations: they are not in the gateway's route table nor in its OpenAPI document.
//!
//! A user signs in with an API key (organiser or venue); the console keeps the key's id (never
//! its secret) in a login stored in a JetStream key-value bucket, shared by every instance and
//! kept across restarts, named by a random id, the only thing the cookie holds (`HttpOnly`,
//! `Secure`, `SameSite=Strict`). Sign-ins are rate-limited per client address and per key.
//! Every form carries the login's CSRF token, checked on every POST.
//! Pages are written with maud (compile-time templates, escaped by default), labels in French,
//! no JavaScript; charts are SVG drawn on the server.
//!
//! # Layout
//! - [`login`]: logins (who is signed in) in the `console_sessions` bucket, the cookie, the CSRF token, the
//!   signed-in extractor.
//! - [`limits`]: sign-ins rate-limited per client address and per key.
//! - [`api`]: the in-process client of the gateway's router.
//! - [`address`]: the ids a page's address names (an edition, an event, a session), parsed
//!   before the page sees them (404 in French when they are not ids).
//! - [`form`]: a signed-in user's posted form (same site, CSRF token) read as its fields, and
//!   each error shown beside its field.
//! - [`page`]: the page shell (`lang="fr"`, the style sheet), the error pages, labels.
//! - [`organiser`]: editions and the programme as a week grid (days × towns).
//! - [`programme`]: events created and amended, sessions added, and a session cancelled or moved
//!   once the registrations and partners it affects were shown.
//! - [`venue`]: the venue's requests to answer (confirm, decline, change capacity) and the
//!   attendance lists with check-in at the door.
//! - [`charts`]: the statistics as SVG charts, each downloadable as CSV.
//! - [`import`]: files imported from CSV (a programme, the venues): the preview with every row's
//!   errors, then an all-or-nothing import with deterministic idempotency keys.
//! - [`routes`]: [`router`], the console's routes.

pub mod address;
pub mod api;
pub mod charts;
pub mod form;
pub mod import;
pub mod limits;
pub mod login;
pub mod organiser;
pub mod page;
pub mod programme;
pub mod routes;
pub mod venue;

pub use routes::{Console, router};

/// Where the console is mounted.
pub const PREFIX: &str = "/console";
