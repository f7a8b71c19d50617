//! The scheduling context: organisers build editions and their programmes.
//!
//! Stream `SCHEDULING`, subjects `sched.edition.<id>`, `sched.event.<id>` and
//! `sched.session.<id>`. An event holds its sessions: a session is scheduled, moved and cancelled
//! through its event; its id is claimed once, for that event, in `sched.session.<id>`.

pub mod edition;
pub mod event;
pub mod session;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where an edition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EditionStatus {
    /// Being prepared; not shown to the public.
    Draft,
    /// Published: its programme is public and open for registration where venues confirmed.
    Published,
    /// Over: nothing is scheduled or changed any more.
    Closed,
}
