//! The pure fold of each event family into the catalogue's rows.
//!
//! [`fold`] routes a stored event by its aggregate's subject (`sched.edition.<id>`,
//! `sched.event.<id>`, `venue.venue.<id>`, `reg.session.<id>`; anything else is ignored), decodes
//! it with its family's contract, and updates the rows of that stream only (see [`crate::rows`]).
//! It reads and writes through [`Rows`], which [`projection::View`] implements, so that the unit
//! tests can fold into memory without NATS; the fold of a session's scheduling is the one
//! [`crate::shared`] gives every read model.

use proto::StoredEvent;
use proto::registration::session::Event as Seats;
use proto::scheduling::edition::Event as Edition;
use proto::scheduling::event::Event as Programme;
use proto::values::{EditionId, EventId, SessionId, VenueId};
use proto::venues::Event as Venue;
use uuid::Uuid;

use projection::Rejected;

use crate::rows::{
    BY_EDITION, BY_TIME, EDITIONS, EVENTS, EditionRow, EventRow, REGISTRATIONS, RegistrationRow,
    SEATS, SeatsRow, SessionRow, VENUES, VenueRow, edition_position, position, registration_key,
};
use crate::shared::{
    Aggregate, Rows, SESSIONS, Scheduled, SessionMove, change_session, decode, read, schedule,
    write,
};
use crate::views::{EditionStatus, VenueStatus};

/// The subject prefixes the catalogue reads (as declared by the services' `Category`s).
const EDITION_PREFIX: &str = proto::subjects::EDITIONS.prefix;
const EVENT_PREFIX: &str = proto::subjects::EVENTS.prefix;
const VENUE_PREFIX: &str = proto::subjects::VENUE_RECORDS.prefix;
const SEATS_PREFIX: &str = proto::subjects::SEATS.prefix;

/// Whether [`fold`] reads the events of the aggregate at `subject`: the runner skips the others
/// (partners, agendas) without decoding them.
pub(crate) fn reads(subject: &str) -> bool {
    Aggregate::at(subject).is_some_and(|aggregate| {
        matches!(
            aggregate.prefix,
            EDITION_PREFIX | EVENT_PREFIX | VENUE_PREFIX | SEATS_PREFIX
        )
    })
}

/// Folds one stored event into the rows.
pub(crate) fn fold(rows: &mut impl Rows, event: &StoredEvent) -> Result<(), Rejected> {
    let Some(aggregate) = Aggregate::of(event) else {
        return Ok(());
    };
    match aggregate.prefix {
        EDITION_PREFIX => edition(rows, EditionId(aggregate.uuid()?), decode(event)?),
        EVENT_PREFIX => programme(rows, EventId(aggregate.uuid()?), decode(event)?),
        VENUE_PREFIX => venue(rows, VenueId(aggregate.uuid()?), decode(event)?),
        SEATS_PREFIX => seats(rows, SessionId(aggregate.uuid()?), decode(event)?),
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
            let (scheduled_row, previous) = schedule(rows, id, &scheduled)?;
            let row = SessionRow {
                scheduled: scheduled_row,
                venue_status: VenueStatus::Requested,
            };
            put_session(rows, scheduled.session, previous.as_ref(), &row)
        }
        Programme::SessionRescheduled(_)
        | Programme::SessionVenueChanged(_)
        | Programme::SessionCancelled(_) => {
            let Some(moved) = SessionMove::of(&event) else {
                return Ok(());
            };
            update_session(rows, id, moved.session(), |row| {
                moved.apply(&mut row.scheduled);
                if moved.asks_the_venue() {
                    row.venue_status = VenueStatus::Requested;
                }
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
        if row.scheduled.request == request {
            row.venue_status = status;
        }
    })
}

/// Changes a session's row and moves its index entries if its start changed. A session never
/// scheduled is ignored; one of another event is refused ([`change_session`]).
fn update_session(
    rows: &mut impl Rows,
    event: EventId,
    session: SessionId,
    change: impl FnOnce(&mut SessionRow),
) -> Result<(), Rejected> {
    let Some((previous, row)) = change_session(rows, event, session, change)? else {
        return Ok(());
    };
    put_session(rows, session, Some(&previous.scheduled), &row)
}

/// Writes a session's row and its entries in both time indexes, moved from where `previous`
/// had them.
fn put_session(
    rows: &mut impl Rows,
    session: SessionId,
    previous: Option<&Scheduled>,
    row: &SessionRow,
) -> Result<(), Rejected> {
    let scheduled = &row.scheduled;
    if let Some(previous) = previous
        && (previous.starts_at != scheduled.starts_at || previous.edition != scheduled.edition)
    {
        rows.remove(BY_TIME, position(previous.starts_at, session));
        rows.remove(
            BY_EDITION,
            edition_position(previous.edition, previous.starts_at, session),
        );
    }
    rows.put(BY_TIME, position(scheduled.starts_at, session), Vec::new());
    rows.put(
        BY_EDITION,
        edition_position(scheduled.edition, scheduled.starts_at, session),
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
            rows.remove(REGISTRATIONS, key);
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
