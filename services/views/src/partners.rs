//! A partner's registrations and participants, with their history, from the `partner-view`
//! store (the agenda and the venue view reuse [`SessionInfo`] and [`RegistrationView`]).
//!
//! **API Boundary.** [`RegistrationView`] and [`SessionInfo`] are returned as JSON by the
//! gateway: add fields, never rename or remove one. Which registrations a caller may see is the
//! gateway's decision; these functions answer what the store holds.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Bound;

use jiff::Timestamp;
use jiff::civil::DateTime;
use proto::registration::{AgeBand, ParticipantId, RegistrationId, SealedIdentity};
use proto::taxonomy::{Audience, EventKind};
use proto::values::{EditionId, EventId, PartnerId, SessionId, VenueId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rows::{
    BY_PARTICIPANT, BY_PARTNER, BY_SESSION, Dated, EDITION_SESSIONS, EDITIONS, ERASURES, EVENTS,
    EditionRow, ErasureRow, EventRow, PARTNERS, PartnerRow, REGISTRATIONS, RegistrationRow, SEATS,
    SESSIONS, SeatsRow, SessionRow, Standing, VENUES, VenueRow, partner_prefix, registration_key,
};
use crate::store::{Cursor, MAX_LIMIT, Page, ViewError, row, tails};

/// A session as a registration's reader sees it: what, when, where.
///
/// Each fact is as recent as the view's checkpoint on its own stream; one not read yet is
/// `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
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
    #[serde(deserialize_with = "proto::values::strict::page_size")]
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

/// Where a query's registrations are found, in registration order.
enum Walk {
    /// An index's entries under a prefix, or the registrations themselves.
    Index(Index),
    /// An edition's registrations: its sessions' entries in [`BY_SESSION`], merged; each tail is
    /// registration ‖ session.
    Edition(EditionId),
}

/// An index walked under a prefix: its tree, the prefix, and how an entry's tail names a
/// registration.
struct Index {
    tree: &'static str,
    prefix: Vec<u8>,
    /// The length of an entry's tail (what the cursor holds).
    tail: usize,
    /// The session, when the tail holds the registration only.
    session: Option<SessionId>,
}

/// One registration a walk found: its tail (the cursor's position) and its row, if the view
/// has one.
type Found = (Vec<u8>, Option<RegistrationRow>);

impl Walk {
    fn of(query: &RegistrationQuery) -> Self {
        let tail = |tree, prefix: Vec<u8>| {
            Self::Index(Index {
                tree,
                prefix,
                tail: 32,
                session: None,
            })
        };
        if let Some(partner) = &query.partner {
            tail(BY_PARTNER, partner_prefix(partner))
        } else if let Some(participant) = query.participant {
            tail(BY_PARTICIPANT, participant.0.as_bytes().to_vec())
        } else if let Some(session) = query.session {
            Self::Index(Index {
                tree: BY_SESSION,
                prefix: session.0.as_bytes().to_vec(),
                tail: 16,
                session: Some(session),
            })
        } else if let Some(edition) = query.edition {
            Self::Edition(edition)
        } else {
            tail(REGISTRATIONS, Vec::new())
        }
    }

    /// The length of a tail: what a cursor holds.
    fn tail(&self) -> usize {
        match self {
            Self::Index(index) => index.tail,
            Self::Edition(_) => 32,
        }
    }

    /// The registrations found after the tail `after` (from the start without one), in order.
    fn found<'a>(
        &self,
        db: &'a sled::Db,
        after: Option<&[u8]>,
    ) -> Result<Box<dyn Iterator<Item = Result<Found, ViewError>> + 'a>, ViewError> {
        match self {
            Self::Index(index) => index.found(db, after),
            Self::Edition(edition) => {
                let merged = EditionEntries::new(db, *edition, after)?;
                Ok(Box::new(merged.map(move |tail| {
                    let tail = tail?;
                    let found = row::<RegistrationRow>(db, REGISTRATIONS, &tail)?;
                    Ok((tail, found))
                })))
            }
        }
    }
}

impl Index {
    fn found<'a>(
        &self,
        db: &'a sled::Db,
        after: Option<&[u8]>,
    ) -> Result<Box<dyn Iterator<Item = Result<Found, ViewError>> + 'a>, ViewError> {
        let tree = db.open_tree(self.tree)?;
        let start = match after {
            Some(after) => Bound::Excluded([self.prefix.as_slice(), after].concat()),
            None => Bound::Included(self.prefix.clone()),
        };
        let (prefix, tail_len, session, rows_themselves) = (
            self.prefix.clone(),
            self.tail,
            self.session,
            self.tree == REGISTRATIONS,
        );
        let prefix_len = prefix.len();
        let entries = tree
            .range::<Vec<u8>, _>((start, Bound::Unbounded))
            .take_while(move |entry| {
                entry
                    .as_ref()
                    .map_or(true, |(key, _)| key.starts_with(&prefix))
            })
            .filter_map(move |entry| {
                let (key, value) = match entry {
                    Ok(entry) => entry,
                    Err(e) => return Some(Err(e.into())),
                };
                let tail = key
                    .get(prefix_len..)
                    .filter(|tail| tail.len() == tail_len)?
                    .to_vec();
                let found = if rows_themselves {
                    parse_row(&value).map(Some)
                } else if let Some(session) = session {
                    let key = [tail.as_slice(), session.0.as_bytes()].concat();
                    row::<RegistrationRow>(db, REGISTRATIONS, &key)
                } else {
                    row::<RegistrationRow>(db, REGISTRATIONS, &tail)
                };
                Some(found.map(|found| (tail, found)))
            });
        Ok(Box::new(entries))
    }
}

/// An edition's registrations in order, `registration ‖ session`: the entries of each of its
/// sessions in [`BY_SESSION`] (each in registration order), merged. The view keeps no index by
/// edition (one row fewer per registration); a page opens one cursor per session of the edition.
struct EditionEntries {
    /// Each session's id and its entries still to read.
    sessions: Vec<(Vec<u8>, sled::Iter)>,
    /// The next registration of each session not exhausted, smallest first.
    heads: BinaryHeap<Reverse<(Vec<u8>, usize)>>,
}

impl EditionEntries {
    fn new(db: &sled::Db, edition: EditionId, after: Option<&[u8]>) -> Result<Self, ViewError> {
        let by_session = db.open_tree(BY_SESSION)?;
        let mut merged = Self {
            sessions: Vec::new(),
            heads: BinaryHeap::new(),
        };
        let after_registration = after.and_then(|after| after.get(..16));
        for session in tails(db, EDITION_SESSIONS, edition.0.as_bytes())? {
            let start = match after_registration {
                Some(registration) => Bound::Excluded([session.as_slice(), registration].concat()),
                None => Bound::Included(session.clone()),
            };
            let entries = by_session.range::<Vec<u8>, _>((start, Bound::Unbounded));
            merged.sessions.push((session, entries));
            merged.advance(merged.sessions.len() - 1)?;
        }
        Ok(merged)
    }

    /// Reads session `index`'s next registration into the heads, if it has one.
    fn advance(&mut self, index: usize) -> Result<(), ViewError> {
        let (session, entries) = &mut self.sessions[index];
        for entry in entries.by_ref() {
            let (key, _) = entry?;
            if !key.starts_with(session) {
                break;
            }
            if let Some(registration) = key.get(session.len()..).filter(|r| r.len() == 16) {
                self.heads.push(Reverse((registration.to_vec(), index)));
                break;
            }
        }
        Ok(())
    }
}

impl Iterator for EditionEntries {
    type Item = Result<Vec<u8>, ViewError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((registration, index)) = self.heads.pop()?;
        if let Err(e) = self.advance(index) {
            return Some(Err(e));
        }
        Some(Ok(
            [registration.as_slice(), &self.sessions[index].0].concat()
        ))
    }
}

/// Lists registrations, oldest first (by registration id, a UUID v7), one page at a time.
pub fn registrations(
    db: &sled::Db,
    query: &RegistrationQuery,
) -> Result<Page<RegistrationView>, ViewError> {
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let walk = Walk::of(query);
    let after = match &query.after {
        Some(after) => Some(after.decode(walk.tail())?),
        None => None,
    };
    let mut items = Vec::new();
    let mut last = Vec::new();
    let mut next = None;
    for found in walk.found(db, after.as_deref())? {
        let (tail, found) = found?;
        let Some(found) = found.filter(|r| query.matches(r)) else {
            continue;
        };
        if items.len() == limit {
            next = Some(Cursor::encode(&last));
            break;
        }
        items.push(RegistrationView::merge(db, found)?);
        last = tail;
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

/// A participant's identity's erasure (when, by whom, why), if it was erased.
pub fn erasure(db: &sled::Db, id: ParticipantId) -> Result<Option<ErasureRow>, ViewError> {
    row::<ErasureRow>(db, ERASURES, id.0.as_bytes())
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
