//! A venue's desk, from the `venue-view` store: the hosting requests it was sent (awaiting an
//! answer, confirmed, declined…) and, for each session it hosts, the attendance list.
//!
//! **What a venue sees of a person.** The door needs to recognise people and count them, no
//! more: a venue gets a registration's first name and the initial of its last name (opened by
//! the gateway), its group size, its partner's name, and whether (and how many) were checked in.
//! Never an email, a phone, an audience, an age band or a town: [`Attendee`] has no field for
//! them.
//!
//! **API Boundary.** [`HostingView`] and [`Attendee`] are returned as JSON (and CSV) by the
//! gateway.

use jiff::Timestamp;
use jiff::civil::DateTime;
use proto::registration::{RegistrationId, SealedIdentity};
use proto::values::{EventId, PartnerId, SessionId, VenueId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::partners::{SessionInfo, of_session};
use crate::rows::{HOSTING, HostingRow, HostingStatus, Standing};
use crate::store::{ViewError, row};

/// A venue's latest hosting request for a session, with the session as scheduled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct HostingView {
    /// The session.
    pub session: SessionId,
    /// Its event.
    pub event: EventId,
    /// The request's number: what an answer names (`request`).
    pub request: u32,
    /// Where it stands: `requested` (awaiting the venue's answer), `confirmed`, `declined`,
    /// `refused`, `withdrawn` or `released`.
    pub status: HostingStatus,
    /// The room asked.
    pub room: String,
    /// Start, the instant.
    pub starts_at: Timestamp,
    /// End, the instant.
    pub ends_at: Timestamp,
    /// Start, local wall-clock time in the edition's zone; `null` until the programme is read.
    pub starts_local: Option<DateTime>,
    /// End, local wall-clock time.
    pub ends_local: Option<DateTime>,
    /// The zone of the local times.
    pub time_zone: Option<String>,
    /// The event's title; `null` until the programme is read.
    pub title: Option<String>,
    /// Seats the organiser wants.
    pub capacity_wanted: u32,
    /// The capacity confirmed, once confirmed.
    pub capacity: Option<u32>,
    /// Why it was refused, declined or withdrawn.
    pub reason: Option<String>,
    /// Whether the organiser cancelled the session.
    pub cancelled: bool,
}

impl HostingView {
    fn merge(db: &sled::Db, session: SessionId, row: HostingRow) -> Result<Self, ViewError> {
        let info = SessionInfo::read(db, session)?;
        Ok(Self {
            session,
            event: row.event,
            request: row.request,
            status: row.status,
            room: row.room,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            starts_local: info.starts_local,
            ends_local: info.ends_local,
            time_zone: info.time_zone,
            title: info.title,
            capacity_wanted: row.capacity_wanted,
            capacity: row.capacity,
            reason: row.reason,
            cancelled: info.cancelled,
        })
    }

    /// Whether the venue hosts the session: it confirmed the current request.
    pub fn hosts(&self) -> bool {
        self.status == HostingStatus::Confirmed
    }
}

/// A venue's hosting requests, by start, optionally only those standing so.
pub fn hosting(
    db: &sled::Db,
    venue: VenueId,
    status: Option<HostingStatus>,
) -> Result<Vec<HostingView>, ViewError> {
    let mut found = Vec::new();
    for entry in db.open_tree(HOSTING)?.scan_prefix(venue.0.as_bytes()) {
        let (key, value) = entry?;
        let Some(session) = key
            .get(16..)
            .and_then(|id| Uuid::from_slice(id).ok())
            .map(SessionId)
        else {
            continue;
        };
        let row: HostingRow =
            serde_json::from_slice(&value).map_err(|e| ViewError::CorruptRow {
                tree: HOSTING,
                reason: e.to_string(),
            })?;
        if status.is_some_and(|s| s != row.status) {
            continue;
        }
        found.push(HostingView::merge(db, session, row)?);
    }
    found.sort_by_key(|h| (h.starts_at, h.session));
    Ok(found)
}

/// A venue's latest request for one session; `None` when it was never asked.
pub fn hosting_of(
    db: &sled::Db,
    venue: VenueId,
    session: SessionId,
) -> Result<Option<HostingView>, ViewError> {
    let key = [venue.0.as_bytes().as_slice(), session.0.as_bytes()].concat();
    row::<HostingRow>(db, HOSTING, &key)?
        .map(|found| HostingView::merge(db, session, found))
        .transpose()
}

/// One line of an attendance list: a confirmed registration, as the door sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Attendee {
    /// The registration (what a check-in names).
    pub registration: RegistrationId,
    /// The partner that registered them.
    pub partner: PartnerId,
    /// The partner's name; `null` until its declaration is read.
    pub partner_name: Option<String>,
    /// How many seats: 1, or the group's size.
    pub seats: u32,
    /// Whether it is a group (its contact's name is shown).
    pub group: bool,
    /// How many were checked in; 0 if nobody yet.
    pub present: u32,
    /// Whether anybody was checked in.
    pub checked_in: bool,
    /// Whether the session ended with nobody of it checked in.
    pub no_show: bool,
    /// The sealed identity, of which the gateway shows the first name and an initial.
    #[serde(skip)]
    pub sealed: Option<SealedIdentity>,
}

/// A session's attendance list: its confirmed registrations, in the order they were made.
pub fn attendance(db: &sled::Db, session: SessionId) -> Result<Vec<Attendee>, ViewError> {
    Ok(of_session(db, session)?
        .into_iter()
        .filter(|r| r.status == Standing::Confirmed)
        .map(|r| Attendee {
            registration: r.registration,
            partner: r.partner,
            partner_name: r.partner_name,
            seats: r.seats,
            group: r.group,
            present: r.present.unwrap_or(0),
            checked_in: r.present.is_some(),
            no_show: r.no_show,
            sealed: r.sealed,
        })
        .collect())
}

/// The session as the venue desk sees it (for the attendance list's heading).
pub fn session(db: &sled::Db, session: SessionId) -> Result<SessionInfo, ViewError> {
    SessionInfo::read(db, session)
}
