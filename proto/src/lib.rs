//! The contracts of semaine: what is written to the log and what crosses a boundary.
//!
//! Every type here is serialised with serde to JSON and has a JSON Schema, generated from the Rust
//! type and committed under `proto/schemas/`; a test fails when the two differ. Every version of an
//! event that was ever published keeps a golden sample under `proto/fixtures/` that today's code
//! must still read.
//!
//! # Layout
//! - [`access`]: who may act, and on what: a role and its scope, a key's or a person's.
//! - [`envelope`]: the metadata every stored event carries (ids, time, actor, causality) and the
//!   commit, the one JetStream message that carries all the events one decision produced.
//! - [`headers`]: the names of the NATS headers semaine sets on a commit.
//! - [`subjects`]: where the log keeps each aggregate: the streams and the subject prefixes.
//! - [`contract`]: the [`contract::EventContract`] trait every event family implements: its wire
//!   type and version, and the decoding (with upcasting) of every version ever published.
//! - [`values`]: identifiers and validated values (names, codes, time zones).
//! - [`taxonomy`]: the fixed lists: themes, audiences, kinds of event and venue, equipment, jobs,
//!   contracts and kinds of employer.
//! - [`scheduling`]: editions and their programmes (events and their sessions).
//! - [`venues`]: venues, their rooms and hours, and the hosting requests they answer.
//! - [`registration`]: seats of sessions, registrations and waiting lists, participants'
//!   agendas.
//! - [`webhooks`]: partners' and venues' webhook subscriptions.
//! - [`jobdating`]: job-dating sessions: employers, recruiters' tables and slots, bookings,
//!   candidates' wishes, the planner's drafts, interviews' outcomes.
//! - [`refusal`]: how a refusal or a failure reads from outside a service: its kind beside its
//!   code.
//! - [`schema`]: the list of JSON Schemas this crate publishes.

pub mod access;
pub mod contract;
pub mod envelope;
pub mod headers;
pub mod jobdating;
pub mod refusal;
pub mod registration;
pub mod scheduling;
pub mod schema;
pub mod subjects;
pub mod taxonomy;
pub mod values;
pub mod venues;
pub mod webhooks;

pub use contract::{DecodeError, EncodedEvent, EventContract};
pub use envelope::{Actor, Commit, EventEnvelope, StoredEvent};
