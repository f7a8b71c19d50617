//! What the catalogue shares with the other read models of the programme (the `views` crate's
//! partner, venue, statistics and job-dating views): they fold the same streams into sled rows
//! the same way, so the way is written once, here.
//!
//! - [`Rows`]: where a fold reads and writes its rows, [`projection::View`] in the runner and
//!   `testing::Memory` in the unit tests; [`read`] and [`write()`] a JSON row, [`decode`] an
//!   event.
//! - [`Aggregate`]: a stored event's aggregate, read from its subject, by which a fold routes it.
//! - [`Scheduled`]: a session's facts as the scheduling context tells them, in the
//!   [`SESSIONS`] tree, with the fold of the programme's session events into them
//!   ([`schedule`], [`SessionMove`], [`change_session`]). What a read model keeps beside them
//!   (the catalogue its venue's answer, the views the hosting requests from the venues' own
//!   stream) and its indexes stay its own.
//! - `testing` (with the `testing` feature, and in the catalogue's own tests): what the read
//!   models' unit tests share.

use jiff::Timestamp;
use jiff::civil::DateTime;
use proto::StoredEvent;
use proto::contract::EventContract;
use proto::scheduling::event::{
    Event as Programme, SessionCancelled, SessionRescheduled, SessionScheduled, SessionVenueChanged,
};
use proto::values::{EditionId, EventId, SessionId, VenueId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use projection::Rejected;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// Events of the programmes: event id → the read model's event row, which names the event's
/// `edition`. From `sched.event.<id>`.
pub const EVENTS: &str = "events";
/// Sessions as scheduled: session id → a row holding [`Scheduled`]. From the session events of
/// `sched.event.<id>`.
pub const SESSIONS: &str = "sessions";

/// Where a fold reads and writes its rows: a [`projection::View`] in the runner, memory in the
/// unit tests (`testing::Memory`).
pub trait Rows {
    /// The value at `key` in `tree`, with the writes made so far.
    fn get(&self, tree: &'static str, key: &[u8]) -> Option<Vec<u8>>;
    /// Writes `value` at `key` in `tree`.
    fn put(&mut self, tree: &'static str, key: Vec<u8>, value: Vec<u8>);
    /// Removes `key` from `tree`.
    fn remove(&mut self, tree: &'static str, key: Vec<u8>);
    /// The rows of `tree` whose key starts with `prefix`, with the writes made so far, in key
    /// order.
    fn scan(&self, tree: &'static str, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
}

impl Rows for projection::View<'_> {
    fn get(&self, tree: &'static str, key: &[u8]) -> Option<Vec<u8>> {
        projection::View::get(self, tree, key)
    }

    fn put(&mut self, tree: &'static str, key: Vec<u8>, value: Vec<u8>) {
        self.insert(tree, key, value);
    }

    fn remove(&mut self, tree: &'static str, key: Vec<u8>) {
        projection::View::remove(self, tree, key);
    }

    fn scan(&self, tree: &'static str, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.scan_prefix(tree, prefix)
    }
}

/// Reads a row in the fold; one that does not parse was written by another version of the code.
pub fn read<T: DeserializeOwned>(
    rows: &impl Rows,
    tree: &'static str,
    key: &[u8],
) -> Result<Option<T>, Rejected> {
    rows.get(tree, key)
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| {
                Rejected(format!(
                    "cannot read a row of `{tree}` ({e}); rebuild the read model"
                ))
            })
        })
        .transpose()
}

/// Writes a row in the fold.
pub fn write<T: Serialize>(
    rows: &mut impl Rows,
    tree: &'static str,
    key: Vec<u8>,
    row: &T,
) -> Result<(), Rejected> {
    let bytes = serde_json::to_vec(row).map_err(|e| Rejected(e.to_string()))?;
    rows.put(tree, key, bytes);
    Ok(())
}

/// A stored event decoded with its family's contract (upcast to today's shape).
pub fn decode<E: EventContract>(event: &StoredEvent) -> Result<E, Rejected> {
    Ok(E::decode(&event.event_type, event.version, &event.data)?)
}

/// A stored event's aggregate, read from its subject `<prefix>.<id>`: a fold routes the event by
/// its `prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aggregate<'a> {
    /// The kind's subject prefix, e.g. `sched.event` (one of [`proto::subjects`]'s).
    pub prefix: &'a str,
    /// The aggregate's id, as written in the subject.
    pub id: &'a str,
    subject: &'a str,
}

impl<'a> Aggregate<'a> {
    /// The aggregate at `subject`; `None` for a subject without a dot.
    pub fn at(subject: &'a str) -> Option<Self> {
        let (prefix, id) = subject.rsplit_once('.')?;
        Some(Self {
            prefix,
            id,
            subject,
        })
    }

    /// The aggregate `event` belongs to.
    pub fn of(event: &'a StoredEvent) -> Option<Self> {
        Self::at(&event.envelope.aggregate)
    }

    /// Its id as a UUID; a subject of a UUID kind with another id is refused, named.
    pub fn uuid(&self) -> Result<Uuid, Rejected> {
        Uuid::parse_str(self.id).map_err(|e| Rejected(format!("aggregate `{}`: {e}", self.subject)))
    }
}

/// A session, as its event's events (the scheduling context) tell it: the row of [`SESSIONS`],
/// or its part the scheduling context writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduled {
    /// Its edition, copied from its event's row when it was scheduled (for the indexes).
    pub edition: EditionId,
    /// Its event.
    pub event: EventId,
    /// The venue asked to host it.
    pub venue: VenueId,
    /// The room asked for.
    pub room: String,
    /// Start, local wall-clock time in `time_zone`.
    pub starts_local: DateTime,
    /// End, local wall-clock time.
    pub ends_local: DateTime,
    /// The zone of the local times (the edition's).
    pub time_zone: String,
    /// Start, the instant.
    pub starts_at: Timestamp,
    /// End, the instant.
    pub ends_at: Timestamp,
    /// The current hosting request: one more per move in time or place (an answer to another
    /// one is not this session's; an agenda's `SEQUENCE` grows with it).
    pub request: u32,
    /// The organiser's reason, once cancelled.
    pub cancelled: Option<String>,
}

impl AsRef<Scheduled> for Scheduled {
    fn as_ref(&self) -> &Scheduled {
        self
    }
}

impl AsMut<Scheduled> for Scheduled {
    fn as_mut(&mut self) -> &mut Scheduled {
        self
    }
}

impl Scheduled {
    /// A session as its `SessionScheduled` on event `event` of `edition` tells it.
    pub fn new(edition: EditionId, event: EventId, scheduled: &SessionScheduled) -> Self {
        Self {
            edition,
            event,
            venue: scheduled.venue,
            room: scheduled.room.to_string(),
            starts_local: scheduled.starts_local,
            ends_local: scheduled.ends_local,
            time_zone: scheduled.time_zone.to_string(),
            starts_at: scheduled.starts_at,
            ends_at: scheduled.ends_at,
            request: scheduled.request,
            cancelled: None,
        }
    }

    /// A session's facts come only from the event that claimed its id (ADR 0008): another
    /// event's are refused, so their commit goes to quarantine, named.
    pub fn owned_by(&self, event: EventId, session: SessionId) -> Result<(), Rejected> {
        proto::scheduling::session::check_owner(session, self.event, event).map_err(Rejected)
    }
}

/// The edition an event's row names (every read model's event row has it).
#[derive(Deserialize)]
struct OfEdition {
    edition: EditionId,
}

/// A session scheduled on event `event`, on the edition of the event's row in [`EVENTS`], with
/// the facts its row held if its id was scheduled before by the same event. Refused when the
/// event was never added (its `EventAdded` comes first on the same subject), or the session id
/// is another event's ([`Scheduled::owned_by`]).
pub fn schedule(
    rows: &impl Rows,
    event: EventId,
    scheduled: &SessionScheduled,
) -> Result<(Scheduled, Option<Scheduled>), Rejected> {
    let Some(of) = read::<OfEdition>(rows, EVENTS, event.0.as_bytes())? else {
        return Err(Rejected(format!(
            "session {} scheduled on event {event}, which was never added",
            scheduled.session
        )));
    };
    let previous = read::<Scheduled>(rows, SESSIONS, scheduled.session.0.as_bytes())?;
    if let Some(previous) = &previous {
        previous.owned_by(event, scheduled.session)?;
    }
    Ok((Scheduled::new(of.edition, event, scheduled), previous))
}

/// A programme's event that changes a session already scheduled.
#[derive(Debug, Clone, Copy)]
pub enum SessionMove<'a> {
    /// Moved in time; its venue is asked again.
    Rescheduled(&'a SessionRescheduled),
    /// Moved to another venue or room, which is asked.
    VenueChanged(&'a SessionVenueChanged),
    /// Cancelled by the organiser.
    Cancelled(&'a SessionCancelled),
}

impl<'a> SessionMove<'a> {
    /// The move `event` makes; `None` for the event's own facts, a session's scheduling and the
    /// venue's answers.
    pub fn of(event: &'a Programme) -> Option<Self> {
        match event {
            Programme::SessionRescheduled(moved) => Some(Self::Rescheduled(moved)),
            Programme::SessionVenueChanged(moved) => Some(Self::VenueChanged(moved)),
            Programme::SessionCancelled(cancelled) => Some(Self::Cancelled(cancelled)),
            Programme::Added(_)
            | Programme::Amended(_)
            | Programme::SessionScheduled(_)
            | Programme::SessionVenueConfirmed(_)
            | Programme::SessionCapacityChanged(_)
            | Programme::SessionVenueDeclined(_)
            | Programme::SessionVenueWithdrew(_) => None,
        }
    }

    /// The session it moves.
    pub fn session(&self) -> SessionId {
        match self {
            Self::Rescheduled(moved) => moved.session,
            Self::VenueChanged(moved) => moved.session,
            Self::Cancelled(cancelled) => cancelled.session,
        }
    }

    /// Whether it opens a new hosting request, which the venue has not answered yet.
    pub fn asks_the_venue(&self) -> bool {
        !matches!(self, Self::Cancelled(_))
    }

    /// The session's facts after it.
    pub fn apply(&self, row: &mut Scheduled) {
        match self {
            Self::Rescheduled(moved) => {
                row.venue = moved.venue;
                row.room = moved.room.to_string();
                row.starts_local = moved.starts_local;
                row.ends_local = moved.ends_local;
                row.starts_at = moved.starts_at;
                row.ends_at = moved.ends_at;
                row.request = moved.request;
            }
            Self::VenueChanged(moved) => {
                row.venue = moved.venue;
                row.room = moved.room.to_string();
                row.request = moved.request;
            }
            Self::Cancelled(cancelled) => row.cancelled = Some(cancelled.reason.to_string()),
        }
    }
}

/// Changes the row of a session of event `event` in [`SESSIONS`], without writing it: the row
/// before and after the change. A session never scheduled gives `None` (its events all follow its
/// `SessionScheduled` on the same subject); one of another event is refused
/// ([`Scheduled::owned_by`]).
pub fn change_session<R>(
    rows: &impl Rows,
    event: EventId,
    session: SessionId,
    change: impl FnOnce(&mut R),
) -> Result<Option<(R, R)>, Rejected>
where
    R: DeserializeOwned + Clone + AsRef<Scheduled>,
{
    let Some(previous) = read::<R>(rows, SESSIONS, session.0.as_bytes())? else {
        return Ok(None);
    };
    previous.as_ref().owned_by(event, session)?;
    let mut row = previous.clone();
    change(&mut row);
    Ok(Some((previous, row)))
}
