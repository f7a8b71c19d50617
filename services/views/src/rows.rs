//! The views' trees, their keys, and the rows stored in them.
//!
//! As in the catalogue (whose [`catalogue::shared`] fold of the sessions' scheduling they use),
//! each stream's facts live in rows of their own, written only by that
//! stream's events, and are merged when read: a session's programme facts (`sessions`, from
//! `SCHEDULING`), its venue (`venues`) and hosting requests (`hosting`, from `VENUES`), its seats
//! and registrations (`seats`, `registrations` and their indexes, from `REGISTRATION`). No row
//! waits for another stream, so the order in which the streams' commits arrive does not matter.
//!
//! These rows are a cache, private to the crate: a change of their shape raises the projection's
//! `layout` (the runner then drops and replays a store of the old shape), never a migration.

use jiff::Timestamp;
use proto::registration::partner::PartnerKind;
use proto::registration::{AgeBand, CancelledBy, ParticipantId, RegistrationId, SealedIdentity};
use proto::taxonomy::{Audience, EventKind, Theme};
use proto::values::{EditionId, EventId, PartnerId, SessionId};
use serde::{Deserialize, Serialize};

/// Editions: edition id → [`EditionRow`]. From `sched.edition.<id>`.
pub(crate) const EDITIONS: &str = "editions";
/// Events (event id → [`EventRow`]) and sessions as scheduled (session id → [`SessionRow`]),
/// from `sched.event.<id>`, folded as in the catalogue; where a fold reads and writes its rows.
pub(crate) use catalogue::shared::{EVENTS, Rows, SESSIONS, Scheduled as SessionRow, read, write};
/// Every session of an edition: edition id ‖ session id → nothing. From `sched.event.<id>`.
pub(crate) const EDITION_SESSIONS: &str = "edition_sessions";
/// Venues: venue id → [`VenueRow`]. From `venue.venue.<id>`.
pub(crate) const VENUES: &str = "venues";
/// Partners: partner id → [`PartnerRow`]. From `reg.partner.<id>`.
pub(crate) const PARTNERS: &str = "partners";
/// A session's seats: session id → [`SeatsRow`]. From `reg.session.<id>`.
pub(crate) const SEATS: &str = "seats";
/// Registrations: registration id ‖ session id → [`RegistrationRow`]. From `reg.session.<id>`.
pub(crate) const REGISTRATIONS: &str = "registrations";
/// A session's registrations: session id ‖ registration id → nothing.
pub(crate) const BY_SESSION: &str = "by_session";
/// A partner's registrations, oldest first (registration ids are UUID v7):
/// partner id ‖ `0x00` ‖ registration id ‖ session id → nothing.
pub(crate) const BY_PARTNER: &str = "by_partner";
/// A participant's registrations: participant id ‖ registration id ‖ session id → nothing.
pub(crate) const BY_PARTICIPANT: &str = "by_participant";
/// A venue's hosting requests: venue id ‖ session id → [`HostingRow`]. From `venue.venue.<id>`.
pub(crate) const HOSTING: &str = "hosting";
/// Participants whose identity was erased: participant id → [`ErasureRow`]. From
/// `reg.participant.<id>`.
pub(crate) const ERASURES: &str = "erasures";

/// The trees every view keeps (the programme, the venues, the partners, the seats and the
/// registrations indexed by session), then `$more`.
macro_rules! trees {
    ($($more:expr),* $(,)?) => {
        &[
            EDITIONS,
            EVENTS,
            SESSIONS,
            EDITION_SESSIONS,
            VENUES,
            PARTNERS,
            SEATS,
            REGISTRATIONS,
            BY_SESSION,
            $($more),*
        ]
    };
}

/// The partner view's trees: the common ones, the indexes by partner and participant, and the
/// erasures.
pub(crate) const PARTNER_TREES: &[&str] = trees![BY_PARTNER, BY_PARTICIPANT, ERASURES];

/// The venue view's trees: the common ones and the hosting requests.
pub(crate) const VENUE_TREES: &[&str] = trees![HOSTING];

/// The statistics' trees: the common ones (without identities), and the job-dating floors.
pub(crate) const STATISTICS_TREES: &[&str] = trees![
    crate::jobdating::JD_FLOORS,
    crate::jobdating::JD_EMPLOYERS,
    crate::jobdating::JD_TABLES,
    crate::jobdating::JD_CANDIDATES,
    crate::jobdating::JD_INTERVIEWS,
    crate::jobdating::JD_BY_CANDIDATE,
];

/// Which trees a view keeps beyond the common ones, and whether it keeps sealed identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scope {
    /// Keeps each registration's sealed identity (the statistics never need it).
    pub(crate) identities: bool,
    /// Keeps the indexes by partner, participant and edition.
    pub(crate) partner_indexes: bool,
    /// Keeps the venues' hosting requests.
    pub(crate) hosting: bool,
    /// Keeps the job-dating floors (the `jd_*` trees).
    pub(crate) jobdating: bool,
}

/// A registration's key: registration id ‖ session id.
pub(crate) fn registration_key(registration: RegistrationId, session: SessionId) -> Vec<u8> {
    pair(&registration.0, &session.0)
}

/// The prefix of a partner's entries in [`BY_PARTNER`]: its id, then `0x00` (a partner id is
/// made of letters, digits, `-` and `_` only, so no id is a prefix of another's entries).
pub(crate) fn partner_prefix(partner: &PartnerId) -> Vec<u8> {
    let mut key = partner.as_str().as_bytes().to_vec();
    key.push(0);
    key
}

/// Two ids side by side.
pub(crate) fn pair(first: &uuid::Uuid, second: &uuid::Uuid) -> Vec<u8> {
    [first.as_bytes().as_slice(), second.as_bytes().as_slice()].concat()
}

/// A participant's identity erased: when, by whom, why. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct ErasureRow {
    /// When it was recorded.
    pub at: jiff::Timestamp,
    /// Who asked: `partner`, `organiser` or `system` (the retention).
    pub by: String,
    /// The partner's id, for a partner; none for an organiser (its key is not shown to others)
    /// or semaine itself.
    pub partner: Option<String>,
    /// Why.
    pub reason: proto::registration::participant::ErasureReason,
}

/// An edition, as its creation tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EditionRow {
    /// Its name.
    pub(crate) name: String,
    /// Its time zone (IANA): statistics count days in it, agendas write times in it.
    pub(crate) time_zone: String,
}

/// An event of a programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EventRow {
    /// Its edition (never changes).
    pub(crate) edition: EditionId,
    /// Its kind.
    pub(crate) kind: EventKind,
    /// Its title.
    pub(crate) title: String,
    /// The fields of work it shows.
    pub(crate) themes: Vec<Theme>,
}

/// A venue, as its registration tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VenueRow {
    /// Its name.
    pub(crate) name: String,
    /// Number and street.
    pub(crate) street: String,
    /// Postcode.
    pub(crate) postcode: String,
    /// Town.
    pub(crate) town: String,
    /// The town's INSEE code.
    pub(crate) insee_code: String,
}

/// A partner, as its declaration tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartnerRow {
    /// Its name.
    pub(crate) name: String,
    /// Its kind.
    pub(crate) kind: PartnerKind,
}

/// A session's seats, as the registration context tells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SeatsRow {
    /// The edition, from the seats' facts.
    pub(crate) edition: Option<EditionId>,
    /// Start, from the seats' facts (used when the scheduling context is not read yet).
    pub(crate) starts_at: Option<Timestamp>,
    /// End, from the seats' facts.
    pub(crate) ends_at: Option<Timestamp>,
    /// The capacity last set; `None` before the seats are opened.
    pub(crate) capacity: Option<u32>,
    /// Whether the organiser cancelled the session.
    pub(crate) cancelled: bool,
    /// Whether the session was closed once over (its no-shows are counted).
    pub(crate) ended: bool,
}

/// Where a registration stands now.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// It holds its seats.
    Confirmed,
    /// It is on the waiting list.
    Waiting,
    /// It was cancelled.
    Cancelled,
}

/// One step of a registration's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Registered with its seats confirmed.
    Confirmed,
    /// Registered on the waiting list.
    Waiting,
    /// Taken from the waiting list into freed seats.
    Promoted,
    /// Sent back to the head of the waiting list (the capacity was lowered).
    Demoted,
    /// Cancelled.
    Cancelled {
        /// By the partner, the organiser, or semaine (an overlap).
        by: CancelledBy,
        /// The organiser's reason, if any.
        reason: Option<String>,
    },
    /// People were checked in at the door.
    CheckedIn {
        /// How many came.
        present: u32,
    },
    /// The session ended and nobody of the registration was checked in.
    NoShow,
}

/// A step and when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Dated {
    /// When it was decided.
    pub at: Timestamp,
    /// What happened.
    #[serde(flatten)]
    pub step: Step,
}

/// A registration, with everything the log says of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RegistrationRow {
    /// The registration.
    pub(crate) registration: RegistrationId,
    /// Its session.
    pub(crate) session: SessionId,
    /// Its session's edition, from the seats' facts (`None` if the seats were never opened).
    pub(crate) edition: Option<EditionId>,
    /// The partner that made it.
    pub(crate) partner: PartnerId,
    /// The participant (a group's contact).
    pub(crate) participant: ParticipantId,
    /// The seats it takes: 1, or a group's size.
    pub(crate) seats: u32,
    /// Whether it is a group.
    pub(crate) group: bool,
    /// The participant's audience.
    pub(crate) audience: Audience,
    /// The participant's age band.
    pub(crate) age_band: AgeBand,
    /// The INSEE code of the participant's town, if given.
    pub(crate) town: Option<String>,
    /// The sealed identity, in the views that show it; `None` in the statistics.
    pub(crate) identity: Option<SealedIdentity>,
    /// Where it stands now.
    pub(crate) standing: Standing,
    /// How many people were checked in (the latest check-in), if any.
    pub(crate) present: Option<u32>,
    /// Whether the session ended with nobody of it checked in.
    pub(crate) no_show: bool,
    /// When it was made.
    pub(crate) registered_at: Timestamp,
    /// When it last changed.
    pub(crate) changed_at: Timestamp,
    /// Every step, in order.
    pub(crate) history: Vec<Dated>,
}

/// Where a hosting request stands with its venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum HostingStatus {
    /// Awaiting the venue's answer.
    Requested,
    /// Refused by semaine on arrival (unknown room, closed, outside opening hours).
    Refused,
    /// The venue confirmed a capacity (perhaps changed since).
    Confirmed,
    /// The venue declined.
    Declined,
    /// The venue withdrew after confirming.
    Withdrawn,
    /// The session was cancelled or moved elsewhere: the room is free again.
    Released,
}

/// A venue's latest hosting request for a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct HostingRow {
    /// The session's event.
    pub(crate) event: EventId,
    /// The request's number.
    pub(crate) request: u32,
    /// The room asked.
    pub(crate) room: String,
    /// Start.
    pub(crate) starts_at: Timestamp,
    /// End.
    pub(crate) ends_at: Timestamp,
    /// Seats wanted.
    pub(crate) capacity_wanted: u32,
    /// Where it stands.
    pub(crate) status: HostingStatus,
    /// The capacity confirmed, once confirmed.
    pub(crate) capacity: Option<u32>,
    /// Why it was refused, declined or withdrawn.
    pub(crate) reason: Option<String>,
}
