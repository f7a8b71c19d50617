//! The catalogue's queries: plain synchronous functions over the runner's sled store.
//!
//! **API Boundary.** The gateway calls these. [`sessions`] lists sessions in time order (start
//! instant, then session id), filtered by a [`SessionQuery`], a [`Page`] at a time; the page's
//! [`Cursor`] continues after its last session. [`session`], [`edition`] and [`editions`] read one
//! row or all; [`events`] an edition's events, [`venues`] the venues. Nothing here writes, and nothing but sled is touched.
//!
//! A session shows the facts of three streams, each as far as the catalogue has read that stream
//! (see [`SessionView`]).

use std::ops::Bound;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proto::taxonomy::{Audience, EventKind, Theme};
use proto::values::{EditionId, SessionId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rows::{
    BY_EDITION, BY_TIME, EDITIONS, EVENTS, EditionRow, EventRow, POSITION_LEN, SEATS, SESSIONS,
    SeatsRow, SessionRow, VENUES, VenueRow, instant_bytes,
};
use crate::views::{EditionView, EventView, SessionView};

/// The page size when a query does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The largest page: a larger `limit` is read as this.
pub const MAX_LIMIT: usize = 200;

/// Which sessions to list, and which page.
///
/// Every filter is optional and they all apply together. [`Default`] lists the public sessions
/// of every edition, [`DEFAULT_LIMIT`] at a time. It deserialises from a query string or JSON
/// with the same field names; absent fields take their default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionQuery {
    /// Only this edition's sessions.
    pub edition: Option<EditionId>,
    /// Only sessions at a venue in this town: its INSEE code (`05061`) or its name (`Gap`),
    /// case-insensitive. A session whose venue the catalogue has not read yet does not match.
    pub town: Option<String>,
    /// Only sessions of events showing this theme.
    pub theme: Option<Theme>,
    /// Only sessions of events meant for this audience (one of the event's `audiences`).
    pub audience: Option<Audience>,
    /// Only sessions of events of this kind.
    pub kind: Option<EventKind>,
    /// Only sessions starting on this local day or later (the day as written in the session's
    /// zone).
    #[serde(deserialize_with = "proto::values::strict::optional_date")]
    pub from: Option<Date>,
    /// Only sessions starting on this local day or earlier, inclusive.
    #[serde(deserialize_with = "proto::values::strict::optional_date")]
    pub to: Option<Date>,
    /// `true`: only sessions with seats left; `false`: only sessions with none (full, not open
    /// yet, cancelled or ended).
    pub has_seats: Option<bool>,
    /// Also list the sessions of editions that are not public (drafts, or closed without being
    /// published): for organisers. `false` by default: the public listing.
    pub include_drafts: bool,
    /// Continue after this cursor (the `next` of the previous page, with the same filters).
    pub after: Option<Cursor>,
    /// How many sessions at most in the page: 1 to [`MAX_LIMIT`] (read from a client: another
    /// number is refused; set in code, 0 is read as 1, more as [`MAX_LIMIT`]).
    #[serde(deserialize_with = "proto::values::strict::page_size")]
    pub limit: usize,
}

impl Default for SessionQuery {
    fn default() -> Self {
        Self {
            edition: None,
            town: None,
            theme: None,
            audience: None,
            kind: None,
            from: None,
            to: None,
            has_seats: None,
            include_drafts: false,
            after: None,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// Where a listing stopped: an opaque string, to pass back as [`SessionQuery::after`].
///
/// It names the last session of a page by its position in time order, so a page is stable: the
/// sessions scheduled, moved or filled since do not shift the next page by a row. Its contents
/// are not a contract; only [`sessions`] reads it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// The cursor as received from a client; it is checked when used.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// Its text, to give to a client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn encode(position: &[u8]) -> Self {
        Self(position.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The position it names: start ‖ session id, 32 bytes.
    fn decode(&self) -> Result<Vec<u8>, CatalogueError> {
        let invalid = || CatalogueError::InvalidCursor(self.0.clone());
        let text = self.0.as_bytes();
        if text.len() != POSITION_LEN * 2 || !text.iter().all(u8::is_ascii_hexdigit) {
            return Err(invalid());
        }
        text.chunks(2)
            .map(|pair| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(invalid)
            })
            .collect()
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Cursor {
    fn from(text: String) -> Self {
        Self(text)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// The cursor of the next page; `null` when this page is the last.
    pub next: Option<Cursor>,
}

/// Why a listing could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The cursor was not made by [`sessions`] (a client altered or invented it).
    #[error("cannot continue after `{0}`: not a cursor of the catalogue")]
    InvalidCursor(String),
    /// `from` is after `to`.
    #[error("cannot list sessions from {from} to {to}: the range ends before it starts")]
    InvalidDateRange {
        /// The first day asked.
        from: Date,
        /// The last day asked.
        to: Date,
    },
    /// The sled store failed.
    #[error("cannot read the catalogue's store: {0}")]
    Store(#[from] sled::Error),
    /// A row does not parse: the store was written by another version of the code and must be
    /// rebuilt (`semaine rebuild catalogue`).
    #[error("cannot read a row of `{tree}`: {reason}; rebuild the catalogue")]
    CorruptRow {
        /// The tree.
        tree: &'static str,
        /// What serde said.
        reason: String,
    },
}

impl CatalogueError {
    /// A stable code for the caller (the gateway's error body): `invalid-cursor`,
    /// `invalid-date-range`, `store-unavailable`, `corrupt-row`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCursor(_) => "invalid-cursor",
            Self::InvalidDateRange { .. } => "invalid-date-range",
            Self::Store(_) => "store-unavailable",
            Self::CorruptRow { .. } => "corrupt-row",
        }
    }
}

/// The catalogue's trees, opened on the runner's store.
struct Trees {
    editions: sled::Tree,
    events: sled::Tree,
    sessions: sled::Tree,
    venues: sled::Tree,
    seats: sled::Tree,
    by_time: sled::Tree,
    by_edition: sled::Tree,
}

impl Trees {
    fn open(db: &sled::Db) -> Result<Self, CatalogueError> {
        Ok(Self {
            editions: db.open_tree(EDITIONS)?,
            events: db.open_tree(EVENTS)?,
            sessions: db.open_tree(SESSIONS)?,
            venues: db.open_tree(VENUES)?,
            seats: db.open_tree(SEATS)?,
            by_time: db.open_tree(BY_TIME)?,
            by_edition: db.open_tree(BY_EDITION)?,
        })
    }

    fn row<T: DeserializeOwned>(
        tree: &sled::Tree,
        name: &'static str,
        key: &[u8],
    ) -> Result<Option<T>, CatalogueError> {
        tree.get(key)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| CatalogueError::CorruptRow {
                    tree: name,
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// A session with the rows of every stream merged; `None` when it was never scheduled.
    fn session(&self, id: SessionId) -> Result<Option<SessionView>, CatalogueError> {
        let key = id.0.as_bytes();
        let Some(session) = Self::row::<SessionRow>(&self.sessions, SESSIONS, key)? else {
            return Ok(None);
        };
        // Written before the session, on the same subject.
        let scheduled = &session.scheduled;
        let Some(event) =
            Self::row::<EventRow>(&self.events, EVENTS, scheduled.event.0.as_bytes())?
        else {
            return Ok(None);
        };
        let edition =
            Self::row::<EditionRow>(&self.editions, EDITIONS, scheduled.edition.0.as_bytes())?;
        let venue = Self::row::<VenueRow>(&self.venues, VENUES, scheduled.venue.0.as_bytes())?;
        let seats = Self::row::<SeatsRow>(&self.seats, SEATS, key)?.unwrap_or_default();
        Ok(Some(SessionView::merge(
            id,
            session,
            event,
            edition.as_ref(),
            venue.as_ref(),
            seats,
        )))
    }
}

/// Lists sessions in time order (start instant, then session id), filtered by `query`, one page
/// at a time.
///
/// A page holds at most `query.limit` sessions (capped at [`MAX_LIMIT`]); its `next` is set
/// when more sessions match, and passing it back as `after` (with the same filters) gives the
/// next page. Without `include_drafts`, only sessions of public editions are listed. Cancelled
/// sessions are listed, marked cancelled.
pub fn sessions(db: &sled::Db, query: &SessionQuery) -> Result<Page<SessionView>, CatalogueError> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(CatalogueError::InvalidDateRange { from, to });
    }
    let trees = Trees::open(db)?;
    let limit = query.limit.clamp(1, MAX_LIMIT);
    let (index, prefix) = match query.edition {
        Some(edition) => (&trees.by_edition, edition.0.as_bytes().to_vec()),
        None => (&trees.by_time, Vec::new()),
    };
    let with_prefix = |position: &[u8]| [prefix.as_slice(), position].concat();

    let mut start = Bound::Included(with_prefix(&[]));
    if let Some(earliest) = query.from.and_then(earliest_start) {
        start = Bound::Included(with_prefix(&instant_bytes(earliest)));
    }
    if let Some(after) = &query.after {
        let after = with_prefix(&after.decode()?);
        let later = match &start {
            Bound::Included(from) => after >= *from,
            _ => true,
        };
        if later {
            start = Bound::Excluded(after);
        }
    }
    let end = match query.to.and_then(latest_start) {
        Some(latest) => Bound::Excluded(with_prefix(&instant_bytes(latest))),
        None => Bound::Unbounded,
    };

    let filter = Filter::new(query);
    let mut items = Vec::new();
    let mut last = Vec::new();
    let mut next = None;
    for row in index.range::<Vec<u8>, _>((start, end)) {
        let (key, _) = row?;
        if !key.starts_with(&prefix) {
            break;
        }
        let Some(position) = key.get(prefix.len()..).filter(|p| p.len() == POSITION_LEN) else {
            continue;
        };
        let Some(session) = position
            .get(16..)
            .and_then(|id| Uuid::from_slice(id).ok())
            .map(SessionId)
        else {
            continue;
        };
        let Some(view) = trees.session(session)? else {
            continue;
        };
        if !filter.matches(&view) {
            continue;
        }
        if items.len() == limit {
            next = Some(Cursor::encode(&last));
            break;
        }
        items.push(view);
        last = position.to_vec();
    }
    Ok(Page { items, next })
}

/// The earliest instant a session starting on local day `from` can start, in any zone.
fn earliest_start(from: Date) -> Option<Timestamp> {
    let midnight = from.to_zoned(TimeZone::UTC).ok()?.timestamp();
    midnight.checked_sub(ZONE_MARGIN).ok()
}

/// An instant after which no session starting on local day `to` can start, in any zone.
fn latest_start(to: Date) -> Option<Timestamp> {
    let next_midnight = to
        .tomorrow()
        .ok()?
        .to_zoned(TimeZone::UTC)
        .ok()?
        .timestamp();
    next_midnight.checked_add(ZONE_MARGIN).ok()
}

/// More than any UTC offset: the bounds of a scan by local day are widened by it, and each
/// session's own local day is then checked.
const ZONE_MARGIN: SignedDuration = SignedDuration::from_hours(26);

/// The filters of a query, prepared once.
struct Filter<'q> {
    query: &'q SessionQuery,
    /// The town asked, lower-cased.
    town: Option<String>,
}

impl<'q> Filter<'q> {
    fn new(query: &'q SessionQuery) -> Self {
        Self {
            query,
            town: query.town.as_deref().map(|t| t.trim().to_lowercase()),
        }
    }

    fn matches(&self, view: &SessionView) -> bool {
        let q = self.query;
        let day = view.starts_local.date();
        (q.include_drafts || view.public)
            && q.kind.is_none_or(|kind| view.kind == kind)
            && q.theme.is_none_or(|theme| view.themes.contains(&theme))
            && q.audience
                .is_none_or(|audience| view.audiences.contains(&audience))
            && q.from.is_none_or(|from| day >= from)
            && q.to.is_none_or(|to| day <= to)
            && q.has_seats
                .is_none_or(|has_seats| (view.seats_left > 0) == has_seats)
            && self.town.as_deref().is_none_or(|town| {
                view.town
                    .as_deref()
                    .is_some_and(|t| t.to_lowercase() == town)
                    || view
                        .insee_code
                        .as_deref()
                        .is_some_and(|code| code.to_lowercase() == town)
            })
    }
}

/// One session, whatever its edition's status (see [`SessionView::public`]: the public API
/// must not show a session that is not public). `None` when the catalogue has not read its
/// scheduling, or its store cannot be read.
pub fn session(db: &sled::Db, id: SessionId) -> Option<SessionView> {
    Trees::open(db).ok()?.session(id).ok().flatten()
}

/// One edition, whatever its status (see [`EditionView::public`]). `None` when the catalogue has
/// not read its creation, or its store cannot be read.
pub fn edition(db: &sled::Db, id: EditionId) -> Option<EditionView> {
    let trees = Trees::open(db).ok()?;
    let row = Trees::row::<EditionRow>(&trees.editions, EDITIONS, id.0.as_bytes()).ok()??;
    Some(EditionView::from_row(id, row))
}

/// Every row of `tree` keyed by a UUID, with that UUID, in key order: for the listings that
/// read a whole tree. A key or a row that cannot be read is left out; a store that cannot be
/// read gives none.
fn every_row<T: DeserializeOwned>(
    db: &sled::Db,
    tree: &'static str,
) -> impl Iterator<Item = (Uuid, T)> {
    db.open_tree(tree)
        .into_iter()
        .flat_map(|tree| tree.iter())
        .filter_map(Result::ok)
        .filter_map(|(key, value)| {
            let id = Uuid::from_slice(&key).ok()?;
            let row = serde_json::from_slice(&value).ok()?;
            Some((id, row))
        })
}

/// Every edition, whatever its status (drafts included: filter on [`EditionView::public`] for
/// the public), by first day then id. Empty when the store cannot be read; a row that cannot be
/// read is left out.
pub fn editions(db: &sled::Db) -> Vec<EditionView> {
    let mut all: Vec<EditionView> = every_row(db, EDITIONS)
        .map(|(id, row)| EditionView::from_row(EditionId(id), row))
        .collect();
    all.sort_by_key(|edition| (edition.first_day, edition.id));
    all
}

/// The events of an edition's programme, with or without sessions, by title then id. Empty when
/// the store cannot be read; a row that cannot be read is left out. (A scan of the events: a
/// programme has hundreds of events, not millions.)
pub fn events(db: &sled::Db, edition: EditionId) -> Vec<EventView> {
    let mut all: Vec<EventView> = every_row::<EventRow>(db, EVENTS)
        .filter(|(_, row)| row.edition == edition)
        .map(|(id, row)| EventView::from_row(proto::values::EventId(id), row))
        .collect();
    all.sort_by(|a, b| a.title.cmp(&b.title).then(a.event.0.cmp(&b.event.0)));
    all
}

/// A venue as the catalogue knows it, for the organisers' tools that look venues up by name
/// (the console's programme import).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueSummary {
    /// Its id.
    pub id: proto::values::VenueId,
    /// Its name.
    pub name: String,
    /// Its town's name.
    pub town: String,
    /// Its town's INSEE code.
    pub insee_code: String,
    /// Its rooms: id and name, in the order the venue gave them.
    pub rooms: Vec<(String, String)>,
}

/// Every venue the catalogue has read, by name. Empty when the store cannot be read; a row that
/// cannot be read is left out.
pub fn venues(db: &sled::Db) -> Vec<VenueSummary> {
    let mut all: Vec<VenueSummary> = every_row::<VenueRow>(db, VENUES)
        .map(|(id, row)| VenueSummary {
            id: proto::values::VenueId(id),
            name: row.name,
            town: row.town,
            insee_code: row.insee_code,
            rooms: row.rooms,
        })
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.0.cmp(&b.id.0)));
    all
}
