//! The public catalogue: every edition's programme as people look for it — which sessions,
//! where (venue, town), when, about what (themes), for whom (audiences), and whether a seat is
//! left or how long the waiting list is.
//!
//! [`Catalogue`] is a read model: a pure fold of the `SCHEDULING`, `VENUES` and `REGISTRATION`
//! streams into sled trees, run by a [`projection::Runner`] (which writes the rows and its
//! checkpoints in one transaction, and can rebuild it from the log). The query functions
//! ([`sessions`], [`session`], [`edition`], [`editions`]) read the runner's store
//! ([`projection::Runner::db`]) synchronously, and do nothing else.
//!
//! **Architecture Invariant:** the order in which the three streams' commits arrive does not
//! change the catalogue. Each stream's facts are kept in rows of their own — a session's
//! scheduling facts, its venue, its seats — written only by that stream's events, and merged
//! when read: a seat confirmed before the session is read, or a venue registered after it, is
//! never lost, and a rebuild gives the same rows byte for byte.
//!
//! # Layout
//! - [`Catalogue`] (here): the projection — its name, streams and trees, and `apply`.
//! - `rows`: the trees, their keys (big-endian, sortable), and the rows stored in them; a cache
//!   private to the crate.
//! - `fold`: the pure fold of each event family into the rows.
//! - [`shared`]: what the catalogue shares with the `views` crate's read models: the rows a fold
//!   reads and writes ([`shared::Rows`]), the routing of an event by its aggregate, and the fold
//!   of a session's scheduling ([`shared::Scheduled`]).
//! - [`views`]: what the queries answer, [`SessionView`] and [`EditionView`] with
//!   [`VenueStatus`] and [`EditionStatus`]: the JSON the gateway returns.
//! - [`query`]: [`SessionQuery`], [`Cursor`], [`Page`], [`CatalogueError`], and the query
//!   functions.
//!
//! # Trees
//! | tree | key | value | written by |
//! |---|---|---|---|
//! | `editions` | edition id | name, territory, days, zone, status | `sched.edition.<id>` |
//! | `events` | event id | edition, kind, title, description, themes, audiences, restriction | `sched.event.<id>` |
//! | `sessions` | session id | edition, event, venue, room, local times and instants, zone, request, venue status, cancellation | `sched.event.<id>` |
//! | `by_time` | start ‖ session id | — | `sched.event.<id>` |
//! | `by_edition` | edition id ‖ start ‖ session id | — | `sched.event.<id>` |
//! | `venues` | venue id | name, town, INSEE code, postcode, rooms | `venue.venue.<id>` |
//! | `seats` | session id | capacity, confirmed seats, waiting list, cancellation, end | `reg.session.<id>` |
//! | `registrations` | session id ‖ registration id | seats, waiting or confirmed | `reg.session.<id>` |
//!
//! Ids are the UUIDs' 16 bytes; a start is the instant's nanoseconds as 16 big-endian bytes
//! that sort as the instants do. Rows are JSON.

mod fold;
pub mod query;
mod rows;
pub mod shared;
pub mod views;

#[cfg(test)]
mod tests;

pub use query::{
    CatalogueError, Cursor, DEFAULT_LIMIT, MAX_LIMIT, Page, SessionQuery, VenueSummary, edition,
    editions, events, session, sessions, venues,
};
pub use views::{EditionStatus, EditionView, EventView, SessionView, VenueStatus};

use projection::{Position, Projection, Rejected, View};
use proto::StoredEvent;

/// The public catalogue's read model: editions, events and sessions with their venue and seats.
///
/// Run it with a [`projection::Runner`] in its own store directory; read it with the query
/// functions over [`projection::Runner::db`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Catalogue;

impl Projection for Catalogue {
    fn name(&self) -> &'static str {
        "catalogue"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[
            proto::subjects::SCHEDULING.name,
            proto::subjects::VENUES.name,
            proto::subjects::REGISTRATION.name,
        ]
    }

    fn trees(&self) -> &'static [&'static str] {
        rows::TREES
    }

    fn reads(&self, subject: &str) -> bool {
        fold::reads(subject)
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<(), Rejected> {
        fold::fold(view, event)
    }
}
