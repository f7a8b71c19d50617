//! The pure fold of each event family into the views' rows.
//!
//! [`fold`] routes a stored event by its aggregate's subject (`sched.edition.<id>`,
//! `sched.event.<id>`, `venue.venue.<id>`, `reg.partner.<id>`, `reg.session.<id>`, and
//! `jd.session.<id>` for the views that keep job-dating floors; anything else, the agendas
//! included, is ignored), decodes it with its family's contract, and updates the rows
//! of that stream only (see [`crate::rows`]). The [`Scope`] says which trees the calling view
//! keeps. It reads and writes through [`Rows`], so that the unit tests fold into memory.

use catalogue::shared::{Aggregate, SessionMove, change_session, decode, schedule};
use jiff::Timestamp;
use projection::Rejected;
use proto::Actor;
use proto::StoredEvent;
use proto::registration::participant::Event as Participant;
use proto::registration::partner::Event as Partner;
use proto::registration::session::{Event as Seats, Registered};
use proto::registration::{ParticipantId, RegistrationId, SessionFacts};
use proto::scheduling::edition::Event as Edition;
use proto::scheduling::event::Event as Programme;
use proto::values::{EditionId, EventId, PartnerId, SessionId, VenueId};
use proto::venues::Event as Venue;

use crate::rows::{
    BY_PARTICIPANT, BY_PARTNER, BY_SESSION, Dated, EDITION_SESSIONS, EDITIONS, ERASURES, EVENTS,
    EditionRow, ErasureRow, EventRow, HOSTING, HostingRow, HostingStatus, PARTNERS, PartnerRow,
    REGISTRATIONS, RegistrationRow, Rows, SEATS, SESSIONS, Scope, SeatsRow, Standing, Step, VENUES,
    VenueRow, pair, partner_prefix, read, registration_key, write,
};

const EDITION_PREFIX: &str = proto::subjects::EDITIONS.prefix;
const EVENT_PREFIX: &str = proto::subjects::EVENTS.prefix;
const VENUE_PREFIX: &str = proto::subjects::VENUE_RECORDS.prefix;
const PARTNER_PREFIX: &str = proto::subjects::PARTNERS.prefix;
const SEATS_PREFIX: &str = proto::subjects::SEATS.prefix;
const PARTICIPANT_PREFIX: &str = proto::subjects::PARTICIPANTS.prefix;

/// When an event was decided, as a jiff instant.
fn decided_at(event: &StoredEvent) -> Timestamp {
    let nanos = event.envelope.occurred_at.unix_timestamp_nanos();
    Timestamp::from_nanosecond(nanos).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Whether [`fold`] reads the events of the aggregate at `subject` for a view with `scope`: the
/// runner skips the others (the agendas, and the job-dating floors for the views without them)
/// without decoding them.
pub(crate) fn reads(scope: Scope, subject: &str) -> bool {
    Aggregate::at(subject).is_some_and(|aggregate| match aggregate.prefix {
        EDITION_PREFIX | EVENT_PREFIX | VENUE_PREFIX | PARTNER_PREFIX | SEATS_PREFIX => true,
        PARTICIPANT_PREFIX => scope.partner_indexes,
        crate::jobdating::FLOOR_PREFIX => scope.jobdating,
        _ => false,
    })
}

/// Folds one stored event into the rows a view with `scope` keeps.
pub(crate) fn fold(
    rows: &mut impl Rows,
    scope: Scope,
    event: &StoredEvent,
) -> Result<(), Rejected> {
    let Some(aggregate) = Aggregate::of(event) else {
        return Ok(());
    };
    let uuid = || aggregate.uuid();
    match aggregate.prefix {
        EDITION_PREFIX => edition(rows, EditionId(uuid()?), decode(event)?),
        EVENT_PREFIX => programme(rows, EventId(uuid()?), decode(event)?),
        VENUE_PREFIX => venue(rows, scope, VenueId(uuid()?), decode(event)?),
        PARTNER_PREFIX => {
            let partner = PartnerId::parse(aggregate.id).map_err(|e| Rejected(e.to_string()))?;
            partner_event(rows, &partner, decode(event)?)
        }
        crate::jobdating::FLOOR_PREFIX if scope.jobdating => {
            crate::jobdating::fold(rows, SessionId(uuid()?), decided_at(event), event)
        }
        PARTICIPANT_PREFIX if scope.partner_indexes => {
            participant_event(rows, ParticipantId(uuid()?), event, decode(event)?)
        }
        SEATS_PREFIX => seats(
            rows,
            scope,
            SessionId(uuid()?),
            decided_at(event),
            decode(event)?,
        ),
        _ => Ok(()),
    }
}

/// A participant's record: an erasure, kept as the first one recorded (who, when, why).
fn participant_event(
    rows: &mut impl Rows,
    id: ParticipantId,
    stored: &StoredEvent,
    event: Participant,
) -> Result<(), Rejected> {
    let Participant::Erased(erased) = event;
    let key = id.0.as_bytes().to_vec();
    if read::<ErasureRow>(rows, ERASURES, &key)?.is_some() {
        return Ok(());
    }
    let (by, partner) = match &stored.envelope.actor {
        Actor::Partner { id } => ("partner", Some(id.clone())),
        Actor::Organiser { .. } => ("organiser", None),
        Actor::Venue { .. } => ("venue", None),
        Actor::System { .. } => ("system", None),
    };
    let row = ErasureRow {
        at: decided_at(stored),
        by: by.to_owned(),
        partner,
        reason: erased.reason,
    };
    write(rows, ERASURES, key, &row)
}

fn edition(rows: &mut impl Rows, id: EditionId, event: Edition) -> Result<(), Rejected> {
    // Only the name and the zone are shown, and neither changes after the creation.
    let Edition::Created(created) = event else {
        return Ok(());
    };
    let row = EditionRow {
        name: created.name.to_string(),
        time_zone: created.time_zone.to_string(),
    };
    write(rows, EDITIONS, id.0.as_bytes().to_vec(), &row)
}

fn programme(rows: &mut impl Rows, id: EventId, event: Programme) -> Result<(), Rejected> {
    let key = id.0.as_bytes().to_vec();
    match event {
        Programme::Added(added) => write(
            rows,
            EVENTS,
            key,
            &EventRow {
                edition: added.edition,
                kind: added.about.kind,
                title: added.about.title.to_string(),
                themes: added.about.themes,
            },
        ),
        Programme::Amended(about) => {
            let Some(row) = read::<EventRow>(rows, EVENTS, &key)? else {
                return Ok(());
            };
            let row = EventRow {
                kind: about.kind,
                title: about.title.to_string(),
                themes: about.themes,
                ..row
            };
            write(rows, EVENTS, key, &row)
        }
        Programme::SessionScheduled(scheduled) => {
            let (row, _) = schedule(rows, id, &scheduled)?;
            rows.put(
                EDITION_SESSIONS,
                pair(&row.edition.0, &scheduled.session.0),
                Vec::new(),
            );
            write(
                rows,
                SESSIONS,
                scheduled.session.0.as_bytes().to_vec(),
                &row,
            )
        }
        Programme::SessionRescheduled(_)
        | Programme::SessionVenueChanged(_)
        | Programme::SessionCancelled(_) => {
            let Some(moved) = SessionMove::of(&event) else {
                return Ok(());
            };
            let session = moved.session();
            let Some((_, row)) = change_session(rows, id, session, |row| moved.apply(row))? else {
                return Ok(());
            };
            write(rows, SESSIONS, session.0.as_bytes().to_vec(), &row)
        }
        // The venue's answers are read from the venue's own stream (hosting).
        Programme::SessionVenueConfirmed(_)
        | Programme::SessionCapacityChanged(_)
        | Programme::SessionVenueDeclined(_)
        | Programme::SessionVenueWithdrew(_) => Ok(()),
    }
}

fn venue(rows: &mut impl Rows, scope: Scope, id: VenueId, event: Venue) -> Result<(), Rejected> {
    if let Venue::Registered(registered) = event {
        let address = &registered.address;
        let row = VenueRow {
            name: registered.name.to_string(),
            street: address.street.to_string(),
            postcode: String::from(address.postcode.clone()),
            town: address.town.to_string(),
            insee_code: address.insee_code.to_string(),
        };
        return write(rows, VENUES, id.0.as_bytes().to_vec(), &row);
    }
    if !scope.hosting {
        return Ok(());
    }
    match event {
        Venue::HostingRequested(asked) => {
            let key = pair(&id.0, &asked.session.0);
            let previous = read::<HostingRow>(rows, HOSTING, &key)?;
            if previous.is_some_and(|p| p.request > asked.request) {
                return Ok(());
            }
            let row = HostingRow {
                event: asked.event,
                request: asked.request,
                room: asked.room.to_string(),
                starts_at: asked.starts_at,
                ends_at: asked.ends_at,
                capacity_wanted: asked.capacity_wanted,
                status: HostingStatus::Requested,
                capacity: None,
                reason: None,
            };
            write(rows, HOSTING, key, &row)
        }
        Venue::HostingRefused(refused) => {
            let reason = refused.refusal.explain_fr();
            answer(rows, id, refused.session, refused.request, |row| {
                row.status = HostingStatus::Refused;
                row.reason = Some(reason);
            })
        }
        Venue::HostingConfirmed(confirmed) | Venue::HostingCapacityChanged(confirmed) => {
            answer(rows, id, confirmed.session, confirmed.request, |row| {
                row.status = HostingStatus::Confirmed;
                row.capacity = Some(confirmed.capacity);
            })
        }
        Venue::HostingDeclined(declined) => {
            answer(rows, id, declined.session, declined.request, |row| {
                row.status = HostingStatus::Declined;
                row.reason = Some(declined.reason.to_string());
            })
        }
        Venue::HostingWithdrawn(withdrawn) => {
            answer(rows, id, withdrawn.session, withdrawn.request, |row| {
                row.status = HostingStatus::Withdrawn;
                row.reason = Some(withdrawn.reason.to_string());
            })
        }
        Venue::HostingReleased(released) => {
            answer(rows, id, released.session, released.request, |row| {
                row.status = HostingStatus::Released;
            })
        }
        Venue::Registered(_) | Venue::OpeningHoursSet(_) | Venue::ClosedPeriodAdded(_) => Ok(()),
    }
}

/// Records what happened to a venue's request, if it is still the current one.
fn answer(
    rows: &mut impl Rows,
    venue: VenueId,
    session: SessionId,
    request: u32,
    change: impl FnOnce(&mut HostingRow),
) -> Result<(), Rejected> {
    let key = pair(&venue.0, &session.0);
    let Some(mut row) = read::<HostingRow>(rows, HOSTING, &key)? else {
        return Ok(());
    };
    if row.request != request {
        return Ok(());
    }
    change(&mut row);
    write(rows, HOSTING, key, &row)
}

fn partner_event(rows: &mut impl Rows, id: &PartnerId, event: Partner) -> Result<(), Rejected> {
    let Partner::Declared(declared) = event else {
        // A retired partner's registrations stand, and its name is still shown.
        return Ok(());
    };
    let row = PartnerRow {
        name: declared.name.to_string(),
        kind: declared.kind,
    };
    write(rows, PARTNERS, id.as_str().as_bytes().to_vec(), &row)
}

fn seats(
    rows: &mut impl Rows,
    scope: Scope,
    session: SessionId,
    at: Timestamp,
    event: Seats,
) -> Result<(), Rejected> {
    let key = session.0.as_bytes().to_vec();
    let mut facts = read::<SeatsRow>(rows, SEATS, &key)?.unwrap_or_default();
    let set_facts = |row: &mut SeatsRow, facts: &SessionFacts| {
        row.edition = Some(facts.edition);
        row.starts_at = Some(facts.starts_at);
        row.ends_at = Some(facts.ends_at);
    };
    match event {
        Seats::CapacitySet(set) => {
            facts.capacity = Some(set.capacity);
            set_facts(&mut facts, &set.facts);
        }
        Seats::Rescheduled(moved) => set_facts(&mut facts, &moved.facts),
        Seats::SessionCancelled(_) => facts.cancelled = true,
        Seats::Ended(ended) => {
            facts.ended = true;
            for registration in ended.no_shows {
                step(rows, session, registration, at, Step::NoShow, |row| {
                    row.no_show = true;
                })?;
            }
        }
        Seats::Confirmed(registered) => {
            return register(rows, scope, session, &facts, at, registered, true);
        }
        Seats::Waitlisted(registered) => {
            return register(rows, scope, session, &facts, at, registered, false);
        }
        Seats::Promoted(r) => {
            return step(rows, session, r.registration, at, Step::Promoted, |row| {
                row.standing = Standing::Confirmed;
            });
        }
        Seats::Demoted(r) => {
            return step(rows, session, r.registration, at, Step::Demoted, |row| {
                row.standing = Standing::Waiting;
            });
        }
        Seats::Cancelled(c) => {
            let cancelled = Step::Cancelled {
                by: c.by,
                reason: c.reason.map(|r| r.to_string()),
            };
            return step(rows, session, c.registration, at, cancelled, |row| {
                row.standing = Standing::Cancelled;
            });
        }
        Seats::CheckedIn(checked) => {
            let present = checked.present;
            let checked_in = Step::CheckedIn { present };
            return step(rows, session, checked.registration, at, checked_in, |row| {
                row.present = Some(present);
            });
        }
        // Reservations keep seats for someone: no registration changes.
        Seats::SeatsReserved(_) | Seats::ReservationReleased(_) => return Ok(()),
    }
    write(rows, SEATS, key, &facts)
}

/// A new registration, confirmed or waiting, with its index entries.
fn register(
    rows: &mut impl Rows,
    scope: Scope,
    session: SessionId,
    facts: &SeatsRow,
    at: Timestamp,
    registered: Registered,
    confirmed: bool,
) -> Result<(), Rejected> {
    let registration = registered.registration;
    let (standing, first) = if confirmed {
        (Standing::Confirmed, Step::Confirmed)
    } else {
        (Standing::Waiting, Step::Waiting)
    };
    let row = RegistrationRow {
        registration,
        session,
        edition: facts.edition,
        partner: registered.partner.clone(),
        participant: registered.participant,
        seats: registered.attendee.seats(),
        group: matches!(
            registered.attendee,
            proto::registration::Attendee::Group { .. }
        ),
        audience: registered.profile.audience,
        age_band: registered.profile.age_band,
        town: registered.profile.town.map(|town| town.to_string()),
        identity: scope.identities.then_some(registered.identity),
        standing,
        present: None,
        no_show: false,
        registered_at: at,
        changed_at: at,
        history: vec![Dated { at, step: first }],
    };
    rows.put(BY_SESSION, pair(&session.0, &registration.0), Vec::new());
    if scope.partner_indexes {
        let tail = pair(&registration.0, &session.0);
        rows.put(
            BY_PARTNER,
            [partner_prefix(&registered.partner), tail.clone()].concat(),
            Vec::new(),
        );
        rows.put(
            BY_PARTICIPANT,
            [registered.participant.0.as_bytes().as_slice(), &tail].concat(),
            Vec::new(),
        );
    }
    write(
        rows,
        REGISTRATIONS,
        registration_key(registration, session),
        &row,
    )
}

/// A step in an existing registration's history. One never seen (impossible within the ordered
/// subject) changes nothing.
fn step(
    rows: &mut impl Rows,
    session: SessionId,
    registration: RegistrationId,
    at: Timestamp,
    step: Step,
    change: impl FnOnce(&mut RegistrationRow),
) -> Result<(), Rejected> {
    let key = registration_key(registration, session);
    let Some(mut row) = read::<RegistrationRow>(rows, REGISTRATIONS, &key)? else {
        return Ok(());
    };
    change(&mut row);
    row.changed_at = at;
    row.history.push(Dated { at, step });
    write(rows, REGISTRATIONS, key, &row)
}
