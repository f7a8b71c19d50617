//! What the catalogue answers: sessions and editions as the public (and organisers) see them.
//!
//! **API Boundary.** These structs are returned as JSON by the gateway: their field names
//! (snake_case) and the wire names of their enums are a contract. Add fields; never rename or
//! remove one.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use proto::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use proto::values::{EditionId, EventId, PartnerId, SessionId, VenueId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::rows::{EditionRow, EventRow, SeatsRow, SessionRow, VenueRow};

/// An event of a programme, as its organisers described it (with or without sessions yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EventView {
    /// Its id.
    pub event: EventId,
    /// The edition whose programme it is in.
    pub edition: EditionId,
    /// Its kind.
    pub kind: EventKind,
    /// Its title.
    pub title: String,
    /// What happens there; may be empty.
    pub description: String,
    /// The fields of work it shows.
    pub themes: Vec<Theme>,
    /// Who it is for.
    pub audiences: Vec<Audience>,
    /// When not empty, only these audiences may register.
    pub restricted_to: Vec<Audience>,
    /// For a discovery stand, its tools.
    pub discovery_tools: Vec<DiscoveryTool>,
    /// The partners involved.
    pub partners: Vec<PartnerId>,
}

impl EventView {
    pub(crate) fn from_row(event: EventId, row: EventRow) -> Self {
        Self {
            event,
            edition: row.edition,
            kind: row.kind,
            title: row.title,
            description: row.description,
            themes: row.themes,
            audiences: row.audiences,
            restricted_to: row.restricted_to,
            discovery_tools: row.discovery_tools,
            partners: row.partners,
        }
    }
}

/// Where an edition stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum EditionStatus {
    /// Being prepared by its organisers; not public.
    Draft,
    /// Its programme is public.
    Published,
    /// Over: its programme no longer changes.
    Closed,
}

/// Where a session's current hosting request stands with its venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum VenueStatus {
    /// The venue was asked and has not answered yet (also after a move in time or place).
    Requested,
    /// The venue confirmed a capacity (perhaps changed it since).
    Confirmed,
    /// The venue declined.
    Declined,
    /// semaine refused the request: unknown venue or room, closed, outside opening hours.
    Refused,
    /// The venue withdrew after confirming.
    Withdrawn,
}

/// An edition: one week or day of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EditionView {
    /// Its id.
    pub id: EditionId,
    /// Its name, e.g. "Semaine des métiers du social — Hautes-Alpes 2027".
    pub name: String,
    /// The département it covers, e.g. `05`.
    pub territory: String,
    /// Its first day.
    #[schemars(schema_with = "proto::values::strict::date_schema")]
    pub first_day: Date,
    /// Its last day, inclusive.
    #[schemars(schema_with = "proto::values::strict::date_schema")]
    pub last_day: Date,
    /// Its time zone (IANA), in which its sessions' local times are written.
    pub time_zone: String,
    /// Draft, published or closed.
    pub status: EditionStatus,
    /// Whether its programme is public: it was published (and perhaps closed since). A draft, or
    /// an edition closed without ever being published, is not.
    pub public: bool,
}

impl EditionView {
    pub(crate) fn from_row(id: EditionId, row: EditionRow) -> Self {
        Self {
            id,
            name: row.name,
            territory: row.territory,
            first_day: row.first_day,
            last_day: row.last_day,
            time_zone: row.time_zone,
            status: row.status,
            public: row.published,
        }
    }
}

/// A session: one dated occurrence of an event at one venue, with its seats.
///
/// The scheduling, venue and registration facts it merges are each as recent as the catalogue's
/// checkpoint on their own stream; a fact not read yet is absent (`null`) or zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SessionView {
    /// The session's id.
    pub session: SessionId,
    /// The edition it belongs to.
    pub edition: EditionId,
    /// Where that edition stands; only sessions of a [`public`](Self::public) edition are shown
    /// to everyone.
    pub edition_status: EditionStatus,
    /// Whether everyone may see it: its edition was published.
    pub public: bool,
    /// Its event.
    pub event: EventId,
    /// The event's kind (workshop, job-dating, open door…).
    pub kind: EventKind,
    /// The event's title.
    pub title: String,
    /// The event's description; may be empty.
    pub description: String,
    /// The fields of work the event shows.
    pub themes: Vec<Theme>,
    /// Who the event is for.
    pub audiences: Vec<Audience>,
    /// When not empty, only these audiences may register.
    pub restricted_to: Vec<Audience>,
    /// The venue asked to host it.
    pub venue: VenueId,
    /// The venue's name; `null` until its registration is read.
    pub venue_name: Option<String>,
    /// The venue's town; `null` until its registration is read.
    pub town: Option<String>,
    /// The INSEE code of the venue's town; `null` until its registration is read.
    pub insee_code: Option<String>,
    /// The venue's postcode; `null` until its registration is read.
    pub postcode: Option<String>,
    /// The room's id at the venue.
    pub room: String,
    /// The room's name; `null` until the venue's registration is read.
    pub room_name: Option<String>,
    /// Start, local wall-clock time in [`time_zone`](Self::time_zone), e.g.
    /// `2027-04-13T09:00:00`.
    #[schemars(schema_with = "proto::values::strict::date_time_schema")]
    pub starts_local: DateTime,
    /// End, local wall-clock time.
    #[schemars(schema_with = "proto::values::strict::date_time_schema")]
    pub ends_local: DateTime,
    /// Start, the instant (RFC 3339, UTC): the catalogue's order.
    #[schemars(schema_with = "proto::values::strict::timestamp_schema")]
    pub starts_at: Timestamp,
    /// End, the instant.
    #[schemars(schema_with = "proto::values::strict::timestamp_schema")]
    pub ends_at: Timestamp,
    /// The zone of the local times (the edition's), e.g. `Europe/Paris`.
    pub time_zone: String,
    /// Where the current hosting request stands with the venue.
    pub venue_status: VenueStatus,
    /// Whether the organiser cancelled it (the session stays listed, marked cancelled).
    pub cancelled: bool,
    /// The organiser's reason, when cancelled.
    pub cancelled_reason: Option<String>,
    /// Whether it was closed once over.
    pub ended: bool,
    /// The seats the venue confirmed, as the registration context last set them (0 once no
    /// venue hosts it); `null` before the seats are opened.
    pub capacity: Option<u32>,
    /// Seats held by confirmed registrations; a group counts its size.
    pub confirmed_seats: u32,
    /// Seats left: capacity − confirmed seats, never negative; 0 when the capacity is unknown,
    /// or the session is cancelled or ended. Seats kept for a partner or an audience until a
    /// deadline are counted as left.
    pub seats_left: u32,
    /// Registrations on the waiting list (a group is one).
    pub waiting_list_length: u32,
    /// Seats the waiting registrations ask for (a group counts its size).
    pub waiting_seats: u32,
}

impl SessionView {
    /// Merges the rows of the three streams into what the catalogue shows.
    pub(crate) fn merge(
        id: SessionId,
        session: SessionRow,
        event: EventRow,
        edition: Option<&EditionRow>,
        venue: Option<&VenueRow>,
        seats: SeatsRow,
    ) -> Self {
        let SessionRow {
            scheduled: session,
            venue_status,
        } = session;
        let cancelled_reason = session.cancelled.or(seats.cancelled);
        let cancelled = cancelled_reason.is_some();
        let seats_left = if cancelled || seats.ended {
            0
        } else {
            seats
                .capacity
                .unwrap_or(0)
                .saturating_sub(seats.confirmed_seats)
        };
        let room_name = venue.and_then(|venue| {
            venue
                .rooms
                .iter()
                .find(|(room, _)| *room == session.room)
                .map(|(_, name)| name.clone())
        });
        Self {
            session: id,
            edition: session.edition,
            edition_status: edition.map_or(EditionStatus::Draft, |e| e.status),
            public: edition.is_some_and(|e| e.published),
            event: session.event,
            kind: event.kind,
            title: event.title,
            description: event.description,
            themes: event.themes,
            audiences: event.audiences,
            restricted_to: event.restricted_to,
            venue: session.venue,
            venue_name: venue.map(|v| v.name.clone()),
            town: venue.map(|v| v.town.clone()),
            insee_code: venue.map(|v| v.insee_code.clone()),
            postcode: venue.map(|v| v.postcode.clone()),
            room: session.room,
            room_name,
            starts_local: session.starts_local,
            ends_local: session.ends_local,
            starts_at: session.starts_at,
            ends_at: session.ends_at,
            time_zone: session.time_zone,
            venue_status,
            cancelled,
            cancelled_reason,
            ended: seats.ended,
            capacity: seats.capacity,
            confirmed_seats: seats.confirmed_seats,
            seats_left,
            waiting_list_length: seats.waiting_list_length,
            waiting_seats: seats.waiting_seats,
        }
    }
}
