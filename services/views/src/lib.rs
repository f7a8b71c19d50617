//! The read models of the people who work a week: partners (their registrations and
//! participants, with their history, and each participant's agenda as a calendar), venues (the
//! requests awaiting their answer, the sessions they host, and each session's attendance list),
//! organisers (an edition's statistics) and job-dating floors (timetables and figures).
//!
//! Four projections, each run by its own [`projection::Runner`] in its own sled store (rows and
//! checkpoints in one transaction, rebuildable from the log), share one pure fold ([`fold`]) and
//! keep the trees they need ([`rows`]): [`PartnerView`] (`partner-view`), [`VenueView`]
//! (`venue-view`), [`Statistics`] (`statistics`) and [`JobDatingView`] (`jobdating-view`). The
//! query functions read a runner's store ([`projection::Runner::db`]) synchronously and do
//! nothing else.
//!
//! **Personal data.** The views keep a registration's identity *sealed*, as the log holds it;
//! only the gateway opens it, on read, with the participant's key, for whoever may see it (the
//! partner that brought the person and the organisers; a venue gets a first name and an
//! initial). An erased participant's identity no longer opens, and is shown as erased. The
//! statistics keep no identity at all.
//!
//! **Architecture Invariant:** as in the catalogue, each stream's facts are kept in rows of their
//! own and merged when read, so the order in which the streams' commits arrive does not change
//! what a view answers.
//!
//! # Layout
//! - [`PartnerView`], [`VenueView`], [`Statistics`] (here): the projections.
//! - `rows`: the trees, their keys and rows; a cache private to the crate.
//! - `fold`: the pure fold of each event family into the rows.
//! - [`store`]: [`ViewError`], [`Cursor`] and [`Page`], and the reading of rows.
//! - [`partners`]: a partner's registrations and participants ([`RegistrationView`]).
//! - [`venues`]: a venue's hosting requests ([`HostingView`]) and attendance lists
//!   ([`Attendee`]).
//! - [`statistics`]: an edition's figures ([`EditionStatistics`]), job-dating outcomes included.
//! - [`jobdating`]: job-dating floors ([`JobDatingView`]): each table's timetable, each
//!   candidate's interviews, each session's figures.
//! - [`ics`]: an agenda as an RFC 5545 calendar.
//! - [`csv`]: a table as RFC 4180 CSV.

pub mod csv;
mod fold;
pub mod ics;
pub mod jobdating;
pub mod partners;
mod rows;
pub mod statistics;
pub mod store;
pub mod venues;

#[cfg(test)]
mod tests;

pub use jobdating::{JobDatingFigures, Timetable};
pub use partners::{RegistrationQuery, RegistrationView, SessionInfo};
pub use rows::{Dated, ErasureRow, HostingStatus, Standing, Step};
pub use statistics::EditionStatistics;
pub use store::{Cursor, DEFAULT_LIMIT, MAX_LIMIT, Page, ViewError};
pub use venues::{Attendee, HostingView};

use projection::{Position, Projection, Rejected, View};
use proto::StoredEvent;

use crate::rows::Scope;

/// The streams every view reads.
const STREAMS: &[&str] = &[
    proto::subjects::SCHEDULING.name,
    proto::subjects::VENUES.name,
    proto::subjects::REGISTRATION.name,
];
/// The streams of the views that also keep job-dating floors.
const WITH_JOBDATING: &[&str] = &[
    proto::subjects::SCHEDULING.name,
    proto::subjects::VENUES.name,
    proto::subjects::REGISTRATION.name,
    proto::subjects::JOBDATING.name,
];

/// The views differ only in their name, streams, trees, layout and scope: each is a unit struct
/// with its `NAME` and one `Projection`, folding with `fold::fold` what `fold::reads` lets
/// through for its `Scope`.
macro_rules! view_projection {
    ($(
        $(#[$doc:meta])*
        $view:ident = $name:literal: $streams:expr, $trees:expr, layout $layout:expr, $scope:expr;
    )+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $view;

        impl $view {
            #[doc = concat!("Its name: its store directory and `semaine rebuild ", $name, "`.")]
            pub const NAME: &'static str = $name;
            const SCOPE: Scope = $scope;
        }

        impl Projection for $view {
            fn name(&self) -> &'static str {
                Self::NAME
            }

            fn streams(&self) -> &'static [&'static str] {
                $streams
            }

            fn trees(&self) -> &'static [&'static str] {
                $trees
            }

            fn layout(&self) -> u32 {
                $layout
            }

            fn reads(&self, subject: &str) -> bool {
                fold::reads(Self::SCOPE, subject)
            }

            fn apply(
                &self,
                view: &mut View<'_>,
                event: &StoredEvent,
                _at: Position<'_>,
            ) -> Result<(), Rejected> {
                fold::fold(view, Self::SCOPE, event)
            }
        }
    )+};
}

// Layouts: the partner view's 2 has no index by edition (2026-11-23).
view_projection! {
    /// The partners' view: every registration with its history and sealed identity, indexed by
    /// partner, participant and session (an edition's are its sessions' ones).
    PartnerView = "partner-view": STREAMS, rows::PARTNER_TREES, layout 3, Scope {
        identities: true,
        partner_indexes: true,
        hosting: false,
        jobdating: false,
    };

    /// The venues' view: each venue's hosting requests, and each session's registrations with
    /// their sealed identities (for the attendance list).
    VenueView = "venue-view": STREAMS, rows::VENUE_TREES, layout 1, Scope {
        identities: true,
        partner_indexes: false,
        hosting: true,
        jobdating: false,
    };

    /// The organisers' statistics: the programme and every registration, without identities.
    Statistics = "statistics": WITH_JOBDATING, rows::STATISTICS_TREES, layout 1, Scope {
        identities: false,
        partner_indexes: false,
        hosting: false,
        jobdating: true,
    };

    /// The job-dating view: each floor's tables, interviews (booked, drafted, announced),
    /// outcomes and candidates' partners, with the programme (sessions' times and zones,
    /// venues) their calendars and figures show; no identity.
    JobDatingView = "jobdating-view": WITH_JOBDATING, rows::STATISTICS_TREES, layout 1, Scope {
        identities: false,
        partner_indexes: false,
        hosting: false,
        jobdating: true,
    };
}
