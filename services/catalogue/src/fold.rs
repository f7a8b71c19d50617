//! The pure fold of each event family into the catalogue's rows.
//!
//! [`fold`] routes a stored event by its aggregate's subject (`sched.edition.<id>`,
//! `sched.event.<id>`, `venue.venue.<id>`, `reg.session.<id>`; anything else is ignored), decodes
//! it with its family's contract, and updates the rows of that stream only (see [`crate::rows`]).
//! It reads and writes through [`Rows`], which [`projection::View`] implements, so that the unit
//! tests can fold into memory without NATS.

use proto::StoredEvent;
use proto::contract::EventContract;
use proto::registration::session::Event as Seats;
use proto::scheduling::edition::Event as Edition;
use proto::scheduling::event::Event as Programme;
use proto::values::{EditionId, EventId, SessionId, VenueId};
use proto::venues::Event as Venue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use projection::Rejected;

use crate::rows::{
    BY_EDITION, BY_TIME, EDITIONS, EVENTS, EditionRow, EventRow, REGISTRATIONS, RegistrationRow,
    SEATS, SESSIONS, SeatsRow, SessionRow, VENUES, VenueRow, edition_position, position,
    registration_key,
};
use crate::views::{EditionStatus, VenueStatus};

/// The subject prefixes the catalogue reads (as declared by the services' `Category`s).
const EDITION_PREFIX: &str = proto::subjects::EDITIONS.prefix;
const EVENT_PREFIX: &str = proto::subjects::EVENTS.prefix;
const VENUE_PREFIX: &str = proto::subjects::VENUE_RECORDS.prefix;
const SEATS_PREFIX: &str = proto::subjects::SEATS.prefix;

/// Where the fold reads and writes its rows: a [`projection::View`] in the runner, a map in the
/// unit tests.
pub(crate) trait Rows {
    /// The value at `key` in `tree`, with the writes made so far.
    fn get(&self, tree: &'static str, key: &[u8]) -> Option<Vec<u8>>;
    /// Writes `value` at `key` in `tree`.
    fn put(&mut self, tree: &'static str, key: Vec<u8>, value: Vec<u8>);
    /// Removes `key` from `tree`.
    fn delete(&mut self, tree: &'static str, key: Vec<u8>);
}

impl Rows for projection::View<'_> {
    fn get(&self, tree: &'static str, key: &[u8]) -> Option<Vec<u8>> {
        projection::View::get(self, tree, key)
    }

    fn put(&mut self, tree: &'static str, key: Vec<u8>, value: Vec<u8>) {
        self.insert(tree, key, value);
    }

    fn delete(&mut self, tree: &'static str, key: Vec<u8>) {
        self.remove(tree, key);
    }
}

/// Reads a row; one that does not parse was written by another version of this code.
fn read<T: DeserializeOwned>(
    rows: &impl Rows,
    tree: &'static str,
    key: &[u8],
) -> Result<Option<T>, Rejected> {
    rows.get(tree, key)
        .map(|bytes| {
            serde_json::from_slice(&bytes).map_err(|e| {
                Rejected(format!(
                    "cannot read a row of `{tree}` ({e}); rebuild the catalogue"
                ))
            })
        })
        .transpose()
}

fn write<T: Serialize>(
    rows: &mut impl Rows,
    tree: &'static str,
    key: Vec<u8>,
    row: &T,
) -> Result<(), Rejected> {
    let bytes = serde_json::to_vec(row).map_err(|e| Rejected(e.to_string()))?;
    rows.put(tree, key, bytes);
    Ok(())
}

fn decode<E: EventContract>(event: &StoredEvent) -> Result<E, Rejected> {
    Ok(E::decode(&event.event_type, event.version, &event.data)?)
}

/// Whether [`fold`] reads the events of the aggregate at `subject`: the runner skips the others
/// (partners, agendas) without decoding them.
pub(crate) fn reads(subject: &str) -> bool {
    subject.rsplit_once('.').is_some_and(|(prefix, _)| {
        matches!(
            prefix,
            EDITION_PREFIX | EVENT_PREFIX | VENUE_PREFIX | SEATS_PREFIX
        )
    })
}

/// Folds one stored event into the rows.
pub(crate) fn fold(rows: &mut impl Rows, event: &StoredEvent) -> Result<(), Rejected> {
    let Some((prefix, id)) = event.envelope.aggregate.rsplit_once('.') else {
        return Ok(());
    };
    let uuid = || {
        Uuid::parse_str(id)
            .map_err(|e| Rejected(format!("aggregate `{}`: {e}", event.envelope.aggregate)))
    };
    match prefix {
        EDITION_PREFIX => edition(rows, EditionId(uuid()?), decode(event)?),
        EVENT_PREFIX => programme(rows, EventId(uuid()?), decode(event)?),
        VENUE_PREFIX => venue(rows, VenueId(uuid()?), decode(event)?),
        SEATS_PREFIX => seats(rows, SessionId(uuid()?), decode(event)?),
        _ => Ok(()),
    }
}

fn edition(rows: &mut impl Rows, id: EditionId, event: Edition) -> Result<(), Rejected> {
    let key = id.0.as_bytes().to_vec();
    if let Edition::Created(created) = event {
        let row = EditionRow {
            name: created.name.to_string(),
            territory: created.territory.to_string(),
            first_day: created.first_day,
            last_day: created.last_day,
            time_zone: created.time_zone.to_string(),
            status: EditionStatus::Draft,
            published: false,
        };
        return write(rows, EDITIONS, key, &row);
    }
    // Every other event follows its creation on the same subject.
    let Some(mut row) = read::<EditionRow>(rows, EDITIONS, &key)? else {
        return Ok(());
    };
    match event {
        Edition::Created(_) => {}
        Edition::DatesAmended(amended) => {
            row.first_day = amended.first_day;
            row.last_day = amended.last_day;
        }
        Edition::Published(_) => {
            row.status = EditionStatus::Published;
            row.published = true;
        }
        Edition::Closed(_) => row.status = EditionStatus::Closed,
    }
    write(rows, EDITIONS, key, &row)
}

fn event_row(edition: EditionId, about: proto::scheduling::event::About) -> EventRow {
    EventRow {
        edition,
        kind: about.kind,
        title: about.title.to_string(),
        description: about.description.to_string(),
        themes: about.themes,
        audiences: about.audiences,
        restricted_to: about.restricted_to,
        discovery_tools: about.discovery_tools,
        partners: about.partners,
    }
}

fn programme(rows: &mut impl Rows, id: EventId, event: Programme) -> Result<(), Rejected> {
    let key = id.0.as_bytes().to_vec();
    match event {
        Programme::Added(added) => write(rows, EVENTS, key, &event_row(added.edition, added.about)),
        Programme::Amended(about) => {
            // Its sessions read the event's row when they are read: nothing else to update.
            let Some(row) = read::<EventRow>(rows, EVENTS, &key)? else {
                return Ok(());
            };
            write(rows, EVENTS, key, &event_row(row.edition, about))
        }
        Programme::SessionScheduled(scheduled) => {
            let Some(row) = read::<EventRow>(rows, EVENTS, &key)? else {
                return Err(Rejected(format!(
                    "session {} scheduled on event {id}, which was never added",
                    scheduled.session
                )));
            };
            let previous = read::<SessionRow>(rows, SESSIONS, scheduled.session.0.as_bytes())?;
            if let Some(previous) = &previous {
                owned_by(previous, id, scheduled.session)?;
            }
            let session = SessionRow {
                edition: row.edition,
                event: id,
                venue: scheduled.venue,
                room: scheduled.room.to_string(),
                starts_local: scheduled.starts_local,
                ends_local: scheduled.ends_local,
                time_zone: scheduled.time_zone.to_string(),
                starts_at: scheduled.starts_at,
                ends_at: scheduled.ends_at,
                request: scheduled.request,
                venue_status: VenueStatus::Requested,
                cancelled: None,
            };
            put_session(rows, scheduled.session, previous.as_ref(), &session)
        }
        Programme::SessionRescheduled(moved) => update_session(rows, id, moved.session, |row| {
            row.venue = moved.venue;
            row.room = moved.room.to_string();
            row.starts_local = moved.starts_local;
            row.ends_local = moved.ends_local;
            row.starts_at = moved.starts_at;
            row.ends_at = moved.ends_at;
            row.request = moved.request;
            row.venue_status = VenueStatus::Requested;
        }),
        Programme::SessionVenueChanged(moved) => update_session(rows, id, moved.session, |row| {
            row.venue = moved.venue;
            row.room = moved.room.to_string();
            row.request = moved.request;
            row.venue_status = VenueStatus::Requested;
        }),
        Programme::SessionCancelled(cancelled) => {
            update_session(rows, id, cancelled.session, |row| {
                row.cancelled = Some(cancelled.reason.to_string());
            })
        }
        Programme::SessionVenueConfirmed(answer) => answered(
            rows,
            id,
            answer.session,
            answer.request,
            VenueStatus::Confirmed,
        ),
        Programme::SessionCapacityChanged(answer) => answered(
            rows,
            id,
            answer.session,
            answer.request,
            VenueStatus::Confirmed,
        ),
        Programme::SessionVenueDeclined(answer) => {
            let status = if answer.refused {
                VenueStatus::Refused
            } else {
                VenueStatus::Declined
            };
            answered(rows, id, answer.session, answer.request, status)
        }
        Programme::SessionVenueWithdrew(answer) => answered(
            rows,
            id,
            answer.session,
            answer.request,
            VenueStatus::Withdrawn,
        ),
    }
}

/// Records a venue's answer to the session's current request; an answer to another request is
/// not the session's status (the event only records current ones; this is a guard).
fn answered(
    rows: &mut impl Rows,
    event: EventId,
    session: SessionId,
    request: u32,
    status: VenueStatus,
) -> Result<(), Rejected> {
    update_session(rows, event, session, |row| {
        if row.request == request {
            row.venue_status = status;
        }
    })
}

/// Changes a session's row and moves its index entries if its start changed. A session never
/// scheduled is ignored (its events all follow its `SessionScheduled` on the same subject); one
/// of another event is refused ([`owned_by`]).
fn update_session(
    rows: &mut impl Rows,
    event: EventId,
    session: SessionId,
    change: impl FnOnce(&mut SessionRow),
) -> Result<(), Rejected> {
    let Some(previous) = read::<SessionRow>(rows, SESSIONS, session.0.as_bytes())? else {
        return Ok(());
    };
    owned_by(&previous, event, session)?;
    let mut row = previous.clone();
    change(&mut row);
    put_session(rows, session, Some(&previous), &row)
}

/// A session's facts come only from the event that claimed its id (ADR 0008): another event's
/// are refused, so their commit goes to quarantine, named.
fn owned_by(row: &SessionRow, event: EventId, session: SessionId) -> Result<(), Rejected> {
    proto::scheduling::session::check_owner(session, row.event, event).map_err(Rejected)
}

/// Writes a session's row and its entries in both time indexes.
fn put_session(
    rows: &mut impl Rows,
    session: SessionId,
    previous: Option<&SessionRow>,
    row: &SessionRow,
) -> Result<(), Rejected> {
    if let Some(previous) = previous
        && (previous.starts_at != row.starts_at || previous.edition != row.edition)
    {
        rows.delete(BY_TIME, position(previous.starts_at, session));
        rows.delete(
            BY_EDITION,
            edition_position(previous.edition, previous.starts_at, session),
        );
    }
    rows.put(BY_TIME, position(row.starts_at, session), Vec::new());
    rows.put(
        BY_EDITION,
        edition_position(row.edition, row.starts_at, session),
        Vec::new(),
    );
    write(rows, SESSIONS, session.0.as_bytes().to_vec(), row)
}

fn venue(rows: &mut impl Rows, id: VenueId, event: Venue) -> Result<(), Rejected> {
    // Hosting requests and answers reach the catalogue through the sessions' own events.
    let Venue::Registered(registered) = event else {
        return Ok(());
    };
    let row = VenueRow {
        name: registered.name.to_string(),
        town: registered.address.town.to_string(),
        insee_code: registered.address.insee_code.to_string(),
        postcode: String::from(registered.address.postcode.clone()),
        rooms: registered
            .rooms
            .iter()
            .map(|room| (room.id.to_string(), room.name.to_string()))
            .collect(),
    };
    write(rows, VENUES, id.0.as_bytes().to_vec(), &row)
}

/// Where a registration goes.
enum Move {
    /// To the confirmed seats.
    Confirm,
    /// To the waiting list.
    Wait,
    /// Out (cancelled).
    Leave,
}

fn seats(rows: &mut impl Rows, session: SessionId, event: Seats) -> Result<(), Rejected> {
    let key = session.0.as_bytes().to_vec();
    let mut row = read::<SeatsRow>(rows, SEATS, &key)?.unwrap_or_default();
    match event {
        Seats::CapacitySet(set) => row.capacity = Some(set.capacity),
        Seats::Confirmed(registered) => move_registration(
            rows,
            &mut row,
            session,
            registered.registration.0,
            Some(registered.attendee.seats()),
            Move::Confirm,
        )?,
        Seats::Waitlisted(registered) => move_registration(
            rows,
            &mut row,
            session,
            registered.registration.0,
            Some(registered.attendee.seats()),
            Move::Wait,
        )?,
        Seats::Promoted(r) => move_registration(
            rows,
            &mut row,
            session,
            r.registration.0,
            None,
            Move::Confirm,
        )?,
        Seats::Demoted(r) => {
            move_registration(rows, &mut row, session, r.registration.0, None, Move::Wait)?
        }
        Seats::Cancelled(c) => {
            move_registration(rows, &mut row, session, c.registration.0, None, Move::Leave)?
        }
        Seats::SessionCancelled(cancelled) => row.cancelled = Some(cancelled.reason.to_string()),
        Seats::Ended(_) => row.ended = true,
        // Reservations keep seats for someone; the catalogue counts them as left. Check-ins and
        // the facts of a rescheduled session change no count shown here.
        Seats::SeatsReserved(_)
        | Seats::ReservationReleased(_)
        | Seats::CheckedIn(_)
        | Seats::Rescheduled(_) => return Ok(()),
    }
    write(rows, SEATS, key, &row)
}

/// Moves a registration and its seats between nowhere, the confirmed seats and the waiting list.
/// `seats` is given by the events that bring a registration in; the others carry only its id,
/// and one never seen (impossible within the ordered subject) changes nothing.
fn move_registration(
    rows: &mut impl Rows,
    counts: &mut SeatsRow,
    session: SessionId,
    registration: Uuid,
    seats: Option<u32>,
    to: Move,
) -> Result<(), Rejected> {
    let key = registration_key(session, registration);
    let previous = read::<RegistrationRow>(rows, REGISTRATIONS, &key)?;
    let Some(size) = seats.or(previous.map(|p| p.seats)) else {
        return Ok(());
    };
    if let Some(previous) = previous {
        if previous.waiting {
            counts.waiting_list_length = counts.waiting_list_length.saturating_sub(1);
            counts.waiting_seats = counts.waiting_seats.saturating_sub(previous.seats);
        } else {
            counts.confirmed_seats = counts.confirmed_seats.saturating_sub(previous.seats);
        }
    }
    let waiting = match to {
        Move::Leave => {
            rows.delete(REGISTRATIONS, key);
            return Ok(());
        }
        Move::Confirm => {
            counts.confirmed_seats = counts.confirmed_seats.saturating_add(size);
            false
        }
        Move::Wait => {
            counts.waiting_list_length = counts.waiting_list_length.saturating_add(1);
            counts.waiting_seats = counts.waiting_seats.saturating_add(size);
            true
        }
    };
    write(
        rows,
        REGISTRATIONS,
        key,
        &RegistrationRow {
            seats: size,
            waiting,
        },
    )
}
