//! The event log: semaine's single source of truth, over NATS JetStream.
//!
//! Every state change is an event appended to a JetStream stream, on one subject per aggregate
//! (`<context>.<kind>.<id>`, e.g. `reg.session.<uuid>`). The events one decision produces are
//! appended together as one message, a commit (see [`proto::Commit`]): one durable write,
//! all-or-nothing. Appends carry `Nats-Expected-Last-Subject-Sequence` (a stale writer is refused
//! and decides again) and `Nats-Msg-Id` (a retried publish is stored once).
//!
//! The streams deny deletes and purges: the log only grows (erasure destroys keys, not
//! events). A cached copy of an aggregate never causes a wrong decision: appends carry the
//! version it was decided on, and a decision that appends nothing is answered only once the log
//! confirms the copy was the latest ([`EventLog::load_recent`] is for read-only checks).
//! JetStream checks the expected sequence before the message id, so an append that meets "wrong
//! last sequence" first looks for its own commit id. Between processes, the expected version
//! decides, with a jittered back-off after a few conflicts.
//!
//! # Layout
//! - [`client`]: the options of every connection semaine opens to NATS (capped reconnect delay).
//! - [`config`]: which streams exist, with how many replicas, and the log's tunables.
//! - [`address`]: [`AggregateKey`], where one aggregate's events live.
//! - [`codec`]: a commit to and from a NATS message (headers + JSON body).
//! - [`log`]: [`EventLog`]: streams ensured at start-up, `append`, reading commits back.
//! - [`aggregate`]: [`Aggregate`], a decider bound to a subject, loaded from snapshot + events.
//! - `queue`: a queue workers drain in groups, under the two group commits.
//! - `cache`: the aggregates last loaded or written, kept in memory and caught up on use.
//! - [`writer`]: the commits waiting on one stream written together, as one atomic batch.
//! - [`correlation`]: the correlation id of the request being served, which commands carry.
//! - [`failure`]: [`LogFailure`], why the log recorded or read nothing, which every service's
//!   error carries.
//! - [`command`]: the command loop every shell runs: commands waiting on one aggregate decided
//!   together, appended as one commit, decided again on conflict.

pub mod address;
pub mod aggregate;
mod cache;
pub mod client;
pub mod codec;
pub mod command;
pub mod config;
pub mod correlation;
pub mod failure;
pub mod log;
mod queue;
pub mod writer;

pub use address::{AggregateKey, Category, InvalidId};
pub use aggregate::{Aggregate, Loaded};
pub use command::{Alongside, CommandError, CommandMeta, Companion, Decided, Prerequisite};
pub use config::{LogConfig, StreamSpec};
pub use failure::LogFailure;
pub use log::{
    AppendError, Appended, CompanionCommit, EventLog, LoadError, OpenError, RecordedCommit,
};
pub use writer::{StreamWriter, Write, WriteCounts, Written, WrittenTogether, bucket_subject};
