//! The catalogue's trees, their keys, and the rows stored in them.
//!
//! Each stream's facts live in rows of their own, written only by that stream's events: a
//! session's scheduling facts (`sessions`), its seats (`seats`, `registrations`), its venue
//! (`venues`). No row waits for another stream, so the order in which the streams' commits reach
//! the projection does not matter; the query side merges the rows when it reads them. Within a
//! stream, commits arrive in order, and one aggregate's events never change streams.
//!
//! These rows are a cache, private to the crate: a change of their shape raises the projection's
//! `layout` (the runner then drops and replays a store of the old shape), never a migration.

use jiff::Timestamp;
use jiff::civil::Date;
use proto::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use proto::values::{EditionId, PartnerId, SessionId};
use serde::{Deserialize, Serialize};

use crate::shared::Scheduled;
use crate::views::{EditionStatus, VenueStatus};

/// Editions: edition id → [`EditionRow`]. From `sched.edition.<id>`.
pub(crate) const EDITIONS: &str = "editions";
pub(crate) use crate::shared::{EVENTS, SESSIONS};
/// Venues: venue id → [`VenueRow`]. From `venue.venue.<id>`.
pub(crate) const VENUES: &str = "venues";
/// Sessions' seats: session id → [`SeatsRow`]. From `reg.session.<id>`.
pub(crate) const SEATS: &str = "seats";
/// Where each registration stands: session id ‖ registration id → [`RegistrationRow`], so that
/// a promotion, a demotion or a cancellation (which carry only the id) moves the right number of
/// seats. A cancelled registration's row is removed.
pub(crate) const REGISTRATIONS: &str = "registrations";
/// Every session in time order: start ‖ session id → nothing.
pub(crate) const BY_TIME: &str = "by_time";
/// Every session of an edition in time order: edition id ‖ start ‖ session id → nothing.
pub(crate) const BY_EDITION: &str = "by_edition";

/// Every tree of the catalogue, as [`projection::Projection::trees`] declares them.
pub(crate) const TREES: &[&str] = &[
    EDITIONS,
    EVENTS,
    SESSIONS,
    VENUES,
    SEATS,
    REGISTRATIONS,
    BY_TIME,
    BY_EDITION,
];

/// The length of a position in time order: start (16 bytes) ‖ session id (16 bytes).
pub(crate) const POSITION_LEN: usize = 32;

/// An instant as 16 big-endian bytes that sort as the instants do (nanoseconds since the epoch,
/// sign bit flipped).
pub(crate) fn instant_bytes(at: Timestamp) -> [u8; 16] {
    ((at.as_nanosecond() as u128) ^ (1u128 << 127)).to_be_bytes()
}

/// A session's position in time order: start ‖ session id.
pub(crate) fn position(starts_at: Timestamp, session: SessionId) -> Vec<u8> {
    let mut key = Vec::with_capacity(POSITION_LEN);
    key.extend_from_slice(&instant_bytes(starts_at));
    key.extend_from_slice(session.0.as_bytes());
    key
}

/// The key of a session in [`BY_EDITION`]: edition id ‖ position.
pub(crate) fn edition_position(
    edition: EditionId,
    starts_at: Timestamp,
    session: SessionId,
) -> Vec<u8> {
    let mut key = edition.0.as_bytes().to_vec();
    key.extend_from_slice(&position(starts_at, session));
    key
}

/// The key of a registration in [`REGISTRATIONS`]: session id ‖ registration id.
pub(crate) fn registration_key(session: SessionId, registration: uuid::Uuid) -> Vec<u8> {
    let mut key = session.0.as_bytes().to_vec();
    key.extend_from_slice(registration.as_bytes());
    key
}

/// An edition, as its own events tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EditionRow {
    /// Its name.
    pub(crate) name: String,
    /// Its département code.
    pub(crate) territory: String,
    /// Its first day.
    pub(crate) first_day: Date,
    /// Its last day, inclusive.
    pub(crate) last_day: Date,
    /// Its time zone.
    pub(crate) time_zone: String,
    /// Draft, published or closed.
    pub(crate) status: EditionStatus,
    /// Whether it was ever published: a closed edition stays public if it was, and a draft
    /// closed without being published never is.
    pub(crate) published: bool,
}

/// An event of a programme, as its `EventAdded` and latest `EventAmended` tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EventRow {
    /// The edition whose programme it is in (never changes).
    pub(crate) edition: EditionId,
    /// Its kind.
    pub(crate) kind: EventKind,
    /// Its title.
    pub(crate) title: String,
    /// What happens there.
    pub(crate) description: String,
    /// The fields of work it shows.
    pub(crate) themes: Vec<Theme>,
    /// Who it is for.
    pub(crate) audiences: Vec<Audience>,
    /// The only audiences that may register; empty: everyone.
    pub(crate) restricted_to: Vec<Audience>,
    /// For a discovery stand, its tools (kept so that an organiser's tool can amend the event
    /// without losing them; absent from rows written before).
    #[serde(default)]
    pub(crate) discovery_tools: Vec<DiscoveryTool>,
    /// The partners involved (kept for the same reason).
    #[serde(default)]
    pub(crate) partners: Vec<PartnerId>,
}

/// A session, as its event's events (the scheduling context) tell it: its facts as scheduled,
/// and where the current hosting request stands with its venue (from the venue's answers on the
/// same subject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionRow {
    /// Its facts as scheduled; `starts_at` is the key of the time indexes.
    #[serde(flatten)]
    pub(crate) scheduled: Scheduled,
    /// Where the current hosting request stands.
    pub(crate) venue_status: VenueStatus,
}

impl AsRef<Scheduled> for SessionRow {
    fn as_ref(&self) -> &Scheduled {
        &self.scheduled
    }
}

/// A venue, as its `VenueRegistered` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VenueRow {
    /// Its name.
    pub(crate) name: String,
    /// Its town's name.
    pub(crate) town: String,
    /// Its town's INSEE code.
    pub(crate) insee_code: String,
    /// Its postcode.
    pub(crate) postcode: String,
    /// Its rooms: id and name.
    pub(crate) rooms: Vec<(String, String)>,
}

/// A session's seats, as the registration context tells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SeatsRow {
    /// The capacity of the latest `SeatsCapacitySet`; `None` before the seats are opened.
    pub(crate) capacity: Option<u32>,
    /// Seats held by confirmed registrations (a group counts its size).
    pub(crate) confirmed_seats: u32,
    /// Registrations on the waiting list.
    pub(crate) waiting_list_length: u32,
    /// Seats the waiting registrations ask for.
    pub(crate) waiting_seats: u32,
    /// The organiser's reason, once the seats were cancelled.
    pub(crate) cancelled: Option<String>,
    /// Whether the session was closed once over.
    pub(crate) ended: bool,
}

/// Where one registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RegistrationRow {
    /// The seats it takes (a group's size).
    pub(crate) seats: u32,
    /// On the waiting list (true) or confirmed (false).
    pub(crate) waiting: bool,
}
