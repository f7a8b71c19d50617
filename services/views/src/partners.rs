//! A partner's registrations and participants, with their history, from the `partner-view`
//! store (the agenda and the venue view reuse [`SessionInfo`] and [`RegistrationView`]).
//!
//! **API Boundary.** [`RegistrationView`] and [`SessionInfo`] are returned as JSON by the
//! gateway: add fields, never rename or remove one. Which registrations a caller may see is the
//! gateway's decision; these functions answer what the store holds.

use std::ops::Bound;

use jiff::Timestamp;
use jiff::civil::DateTime;
use proto::registration::{AgeBand, ParticipantId, RegistrationId, SealedIdentity};
use proto::taxonomy::{Audience, EventKind};
use proto::values::{EditionId, EventId, PartnerId, SessionId, VenueId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rows::{
    BY_EDITION, BY_PARTICIPANT, BY_PARTNER, BY_SESSION, Dated, EDITIONS, EVENTS, EditionRow,
    EventRow, PARTNERS, PartnerRow, REGISTRATIONS, RegistrationRow, SEATS, SESSIONS, SeatsRow,
    SessionRow, Standing, VENUES, VenueRow, partner_prefix, registration_key,
};
use crate::store::{Cursor, MAX_LIMIT, Page, ViewError, row, tails};

/// A session as a registration's reader sees it: what, when, where.
///
/// Each fact is as recent as the view's checkpoint on its own stream; one not read yet is
/// `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session.
    pub session: SessionId,
    /// Its edition.
    pub edition: Option<EditionId>,
    /// Its edition's name.
    pub edition_name: Option<String>,
    /// Its event.
    pub event: Option<EventId>,
    /// The event's kind.
    pub kind: Option<EventKind>,
    /// The event's title.
    pub title: Option<String>,
    /// Start, local wall-clock time in `time_zone`.
    pub starts_local: Option<DateTime>,
    /// End, local wall-clock time.
    pub ends_local: Option<DateTime>,
    /// The zone of the local times (the edition's, IANA).
    pub time_zone: Option<String>,
    /// Start, the instant.
    pub starts_at: Option<Timestamp>,
    /// End, the instant.
    pub ends_at: Option<Timestamp>,
    /// The venue.
    pub venue: Option<VenueId>,
    /// The venue's name.
    pub venue_name: Option<String>,
    /// The venue's address: street, postcode and town.
    pub address: Option<String>,
    /// The venue's town.
    pub town: Option<String>,
    /// The current hosting request's number (one more per move in time or place).
    #[serde(skip)]
    pub request: u32,
    /// Whether the organiser cancelled the session.
    pub cancelled: bool,
    /// Whether the session was closed once over.
    pub ended: bool,
    /// The capacity last set; `null` before the seats are opened.
    pub capacity: Option<u32>,
}

impl SessionInfo {
    /// Merges a session's rows from the three streams.
    pub(crate) fn read(db: &sled::Db, session: SessionId) -> Result<Self, ViewError> {
        let key = session.0.as_bytes();
        let scheduled = row::<SessionRow>(db, SESSIONS, key)?;
        let seats = row::<SeatsRow>(db, SEATS, key)?.unwrap_or_default();
        let edition = scheduled.as_ref().map(|s| s.edition).or(seats.edition);
        let edition_row = match edition {
            Some(edition) => row::<EditionRow>(db, EDITIONS, edition.0.as_bytes())?,
            None => None,
        };
        let event = match &scheduled {
            Some(s) => row::<EventRow>(db, EVENTS, s.event.0.as_bytes())?,
            None => None,
        };
        let venue = match &scheduled {
            Some(s) => row::<VenueRow>(db, VENUES, s.venue.0.as_bytes())?,
            None => None,
        };
        Ok(Self {
            session,
            edition,
            edition_name: edition_row.as_ref().map(|e| e.name.clone()),
            event: scheduled.as_ref().map(|s| s.event),
            kind: event.as_ref().map(|e| e.kind),
            title: event.map(|e| e.title),
            starts_local: scheduled.as_ref().map(|s| s.starts_local),
            ends_local: scheduled.as_ref().map(|s| s.ends_local),
            time_zone: scheduled
                .as_ref()
                .map(|s| s.time_zone.clone())
                .or(edition_row.map(|e| e.time_zone)),
            starts_at: scheduled.as_ref().map(|s| s.starts_at).or(seats.starts_at),
            ends_at: scheduled.as_ref().map(|s| s.ends_at).or(seats.ends_at),
            venue: scheduled.as_ref().map(|s| s.venue),
            venue_name: venue.as_ref().map(|v| v.name.clone()),
            address: venue
                .as_ref()
                .map(|v| format!("{}, {} {}", v.street, v.postcode, v.town)),
            town: venue.map(|v| v.town),
            request: scheduled.as_ref().map_or(1, |s| s.request),
            cancelled: seats.cancelled || scheduled.is_some_and(|s| s.cancelled.is_some()),
            ended: seats.ended,
            capacity: seats.capacity,
        })
    }
}

/// One registration: who (sealed), where it stands, and every step it went through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    /// The registration.
    pub registration: RegistrationId,
    /// The partner that made it.
    pub partner: PartnerId,
    /// The partner's name; `null` until its declaration is read.
    pub partner_name: Option<String>,
    /// The participant (a group's contact).
    pub participant: ParticipantId,
    /// The seats it takes: 1, or the group's size.
    pub seats: u32,
    /// Whether it is a group.
    pub group: bool,
    /// The participant's audience.
    pub audience: Audience,
    /// The participant's age band.
    pub age_band: AgeBand,
    /// The INSEE code of the participant's town, if given.
    pub town: Option<String>,
    /// Where it stands now: `confirmed`, `waiting` or `cancelled`.
    pub status: Standing,
    /// How many people were checked in at the door; `null` if nobody was (yet).
    pub present: Option<u32>,
    /// Whether the session ended with nobody of it checked in.
    pub no_show: bool,
    /// When it was made.
    pub registered_at: Timestamp,
    /// When it last changed.
    pub changed_at: Timestamp,
    /// Every step, in order: `confirmed` or `waiting`, then `promoted`, `demoted`,
    /// `cancelled` (`by`, `reason`), `checked_in` (`present`), `no_show`; each with `at`.
    pub history: Vec<Dated>,
    /// The session.
    pub session: SessionInfo,
    /// The sealed identity; opened (or shown as erased) by the gateway, never served as is.
    #[serde(skip)]
    pub sealed: Option<SealedIdentity>,
}

impl RegistrationView {
    fn merge(db: &sled::Db, row: RegistrationRow) -> Result<Self, ViewError> {
        let partner_name =
            crate::store::row::<PartnerRow>(db, PARTNERS, row.partner.as_str().as_bytes())?
                .map(|p| p.name);
        let mut session = SessionInfo::read(db, row.session)?;
        session.edition = session.edition.or(row.edition);
        Ok(Self {
            registration: row.registration,
            partner: row.partner,
            partner_name,
            participant: row.participant,
            seats: row.seats,
            group: row.group,
            audience: row.audience,
            age_band: row.age_band,
            town: row.town,
            status: row.standing,
            present: row.present,
            no_show: row.no_show,
            registered_at: row.registered_at,
            changed_at: row.changed_at,
            history: row.history,
            session,
            sealed: row.identity,
        })
    }

    /// The edition it belongs to, as far as the view knows.
    pub fn edition(&self) -> Option<EditionId> {
        self.session.edition
    }
}

/// Which registrations to list, and which page. Every filter is optional; they apply together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationQuery {
    /// Only this partner's.
    pub partner: Option<PartnerId>,
    /// Only this edition's.
    pub edition: Option<EditionId>,
    /// Only this session's.
    pub session: Option<SessionId>,
    /// Only this participant's.
    pub participant: Option<ParticipantId>,
    /// Only those standing so.
    pub status: Option<Standing>,
    /// Continue after this cursor (the previous page's `next`, with the same filters).
    pub after: Option<Cursor>,
    /// How many at most: 1 to [`MAX_LIMIT`].
    pub limit: usize,
}

impl Default for RegistrationQuery {
    fn default() -> Self {
        Self {
            partner: None,
            edition: None,
            session: None,
            participant: None,
            status: None,
            after: None,
            limit: crate::DEFAULT_LIMIT,
        }
    }
}

impl RegistrationQuery {
    fn matches(&self, row: &RegistrationRow) -> bool {
        self.partner.as_ref().is_none_or(|p| *p == row.partner)
            && self.edition.is_none_or(|e| row.edition == Some(e))
            && self.session.is_none_or(|s| s == row.session)
            && self.participant.is_none_or(|p| p == row.participant)
            && self.status.is_none_or(|s| s == row.standing)
    }
}

/// The index a query walks: its tree, the prefix, and how an entry's tail names a registration.
struct Walk {
    tree: &'static str,
    prefix: Vec<u8>,
    /// The length of an entry's tail (what the cursor holds).
    tail: usize,
    /// The session, when the tail holds the registration only.
    session: Option<SessionId>,
}

impl Walk {
    fn of(query: &RegistrationQuery) -> Self {
        let tail = |tree, prefix: Vec<u8>| Self {
            tree,
            prefix,
            tail: 32,
            session: None,
        };
        if let Some(partner) = &query.partner {
            tail(BY_PARTNER, partner_prefix(partner))
        } else if let Some(participant) = query.participant {
            tail(BY_PARTICIPANT, participant.0.as_bytes().to_vec())
        } else if let Some(session) = query.session {
            Self {
                tree: BY_SESSION,
                prefix: session.0.as_bytes().to_vec(),
                tail: 16,
                session: Some(session),
            }
        } else if let Some(edition) = query.edition {
            tail(BY_EDITION, edition.0.as_bytes().to_vec())
        } else {
            tail(REGISTRATIONS, Vec::new())
        }
    }

    /// The key of the registration an entry's tail names.
    fn key(&self, tail: &[u8]) -> Vec<u8> {
        match self.session {
            Some(session) => [tail, session.0.as_bytes().as_slice()].concat(),
            None => tail.to_vec(),
        }
    }
}

/// Lists registrations, oldest first (by registration id, a UUID v7), one page at a time.
pub fn registrations(
    db: &sled::Db,
    query: &RegistrationQuery,
) -> Result<Page<RegistrationView>, ViewError> {
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let walk = Walk::of(query);
    let tree = db.open_tree(walk.tree)?;
    let start = match &query.after {
        Some(after) => Bound::Excluded([walk.prefix.clone(), after.decode(walk.tail)?].concat()),
        None => Bound::Included(walk.prefix.clone()),
    };
    let mut items = Vec::new();
    let mut last = Vec::new();
    let mut next = None;
    for entry in tree.range::<Vec<u8>, _>((start, Bound::Unbounded)) {
        let (key, value) = entry?;
        if !key.starts_with(&walk.prefix) {
            break;
        }
        let Some(tail) = key
            .get(walk.prefix.len()..)
            .filter(|t| t.len() == walk.tail)
        else {
            continue;
        };
        let found = if walk.tree == REGISTRATIONS {
            Some(parse_row(&value)?)
        } else {
            row::<RegistrationRow>(db, REGISTRATIONS, &walk.key(tail))?
        };
        let Some(found) = found.filter(|r| query.matches(r)) else {
            continue;
        };
        if items.len() == limit {
            next = Some(Cursor::encode(&last));
            break;
        }
        items.push(RegistrationView::merge(db, found)?);
        last = tail.to_vec();
    }
    Ok(Page { items, next })
}

fn parse_row(bytes: &[u8]) -> Result<RegistrationRow, ViewError> {
    serde_json::from_slice(bytes).map_err(|e| ViewError::CorruptRow {
        tree: REGISTRATIONS,
        reason: e.to_string(),
    })
}

/// One registration, by id; `None` when the view has not read it.
pub fn registration(
    db: &sled::Db,
    id: RegistrationId,
) -> Result<Option<RegistrationView>, ViewError> {
    let Some(entry) = db
        .open_tree(REGISTRATIONS)?
        .scan_prefix(id.0.as_bytes())
        .next()
    else {
        return Ok(None);
    };
    let (_, value) = entry?;
    parse_row(&value)
        .and_then(|found| RegistrationView::merge(db, found))
        .map(Some)
}

/// Every registration of a participant, oldest first (one person's: a short list).
pub fn participant(db: &sled::Db, id: ParticipantId) -> Result<Vec<RegistrationView>, ViewError> {
    let mut found = Vec::new();
    for tail in tails(db, BY_PARTICIPANT, id.0.as_bytes())? {
        if let Some(row) = row::<RegistrationRow>(db, REGISTRATIONS, &tail)? {
            found.push(RegistrationView::merge(db, row)?);
        }
    }
    Ok(found)
}

/// Every registration of a session (confirmed, waiting and cancelled), oldest first.
pub fn of_session(db: &sled::Db, session: SessionId) -> Result<Vec<RegistrationView>, ViewError> {
    let mut found = Vec::new();
    for tail in tails(db, BY_SESSION, session.0.as_bytes())? {
        let Ok(registration) = Uuid::from_slice(&tail) else {
            continue;
        };
        let key = registration_key(RegistrationId(registration), session);
        if let Some(row) = row::<RegistrationRow>(db, REGISTRATIONS, &key)? {
            found.push(RegistrationView::merge(db, row)?);
        }
    }
    Ok(found)
}
