//! The decisions of a session's seats, one function per command of [`super::SeatsCommand`], and
//! [`Outcome`], the events of a decision made of several steps (release, cancel, demote,
//! promote), each decided against the state the steps before left.

use decider::Decider;
use jiff::Timestamp;
use proto::registration::session::{
    Cancelled, CapacitySet, CheckedIn, Ended, Event, Registered, Registration, SessionCancelled,
};
use proto::registration::{
    Attendee, Beneficiary, CancelledBy, RegistrationId, Reservation, SessionFacts,
};
use proto::values::{PartnerId, Reason};

use super::{RegistrationRecord, RegistrationStatus, Seats, SeatsRefusal, SeatsState};

/// The events of one decision, and the state they lead to: a decision made of several steps
/// (release, cancel, promote) decides each step against the state the previous ones left.
///
/// The state is copied and the events folded into it only when a step asks for it after an
/// event was recorded: a registration, which records one event and asks nothing after it, never
/// copies a session of thousands of registrations.
struct Outcome<'a> {
    /// The state the decision starts from.
    before: &'a SeatsState,
    /// A copy of it with the first `folded` events folded in, once a step needed one.
    after: Option<SeatsState>,
    /// How many of the events `after` holds.
    folded: usize,
    /// The events so far, in order.
    events: Vec<Event>,
}

impl<'a> Outcome<'a> {
    /// A decision starting from `state`.
    fn from(state: &'a SeatsState) -> Self {
        Self {
            before: state,
            after: None,
            folded: 0,
            events: Vec::new(),
        }
    }

    /// Records `event`.
    fn record(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The state after the events so far.
    fn state(&mut self) -> &SeatsState {
        if self.folded < self.events.len() {
            let mut state = self.after.take().unwrap_or_else(|| self.before.clone());
            for event in &self.events[self.folded..] {
                state = Seats::evolve(state, event);
            }
            self.after = Some(state);
            self.folded = self.events.len();
        }
        self.after.as_ref().unwrap_or(self.before)
    }

    /// Releases every reservation whose deadline is at or before `now`; tells whether any was.
    fn release_expired(&mut self, now: Timestamp) -> bool {
        let expired: Vec<Beneficiary> = self
            .state()
            .reservations
            .iter()
            .filter(|reservation| reservation.until <= now)
            .map(|reservation| reservation.beneficiary.clone())
            .collect();
        let any = !expired.is_empty();
        for beneficiary in expired {
            self.record(Event::ReservationReleased(beneficiary));
        }
        any
    }

    /// Walks the waiting list from its head and promotes every entry that fits the seats
    /// available to it, in order; an entry that does not fit keeps its place and smaller ones
    /// behind it may pass. One pass is enough: a promotion never makes more seats available to
    /// anyone, so an entry skipped earlier still does not fit.
    fn promote(&mut self) {
        if !self.state().is_open() {
            return;
        }
        let waiting: Vec<RegistrationId> = self.state().waiting.iter().copied().collect();
        for registration in waiting {
            let state = self.state();
            let Some(record) = state.registrations.get(&registration) else {
                continue;
            };
            if record.seats() <= state.available_to(&record.partner, record.profile.audience) {
                let partner = record.partner.clone();
                self.record(Event::Promoted(Registration {
                    registration,
                    partner,
                }));
            }
        }
    }
}

/// Opens the seats or changes their capacity: demotes the most recent confirmations while the
/// confirmed seats exceed it, then promotes what fits. A session cancelled or ended keeps what it
/// had: nothing to do.
///
/// A demoted registration that the promotions right after would take back (a person demoted
/// before an older group, who fits once the group is demoted) keeps its seats instead: its
/// partner is not told it lost a seat it got back in the same decision. The outcome is the same
/// seats; only the noise is gone.
pub(super) fn set_capacity(state: &SeatsState, capacity: u32, facts: &SessionFacts) -> Vec<Event> {
    let unchanged = state.capacity == capacity && state.facts.as_ref() == Some(facts);
    if unchanged || state.cancelled.is_some() || state.ended {
        return vec![];
    }
    let opened = Event::CapacitySet(CapacitySet {
        capacity,
        facts: facts.clone(),
    });
    let mut demoted = Vec::new();
    let mut after = Seats::evolve(state.clone(), &opened);
    while after.confirmed_seats() > capacity {
        let Some((registration, partner)) = after
            .confirmed()
            .max_by_key(|(_, _, order)| *order)
            .map(|(id, record, _)| (id, record.partner.clone()))
        else {
            break;
        };
        let event = Event::Demoted(Registration {
            registration,
            partner,
        });
        after = Seats::evolve(after, &event);
        demoted.push(event);
    }
    let decide = |demoted: &[Event]| {
        let mut outcome = Outcome::from(state);
        outcome.record(opened.clone());
        for event in demoted {
            outcome.record(event.clone());
        }
        outcome.promote();
        outcome.events
    };
    let events = decide(&demoted);
    let taken_back: Vec<&RegistrationId> = events
        .iter()
        .filter_map(|event| match event {
            Event::Promoted(promoted) => Some(&promoted.registration),
            _ => None,
        })
        .filter(|promoted| {
            demoted
                .iter()
                .any(|event| matches!(event, Event::Demoted(d) if &d.registration == *promoted))
        })
        .collect();
    if taken_back.is_empty() {
        return events;
    }
    let demoted: Vec<Event> = demoted
        .iter()
        .filter(
            |event| !matches!(event, Event::Demoted(d) if taken_back.contains(&&d.registration)),
        )
        .cloned()
        .collect();
    decide(&demoted)
}

/// Keeps seats for a beneficiary, replacing its previous reservation; a smaller replacement frees
/// seats, which go to the waiting list.
pub(super) fn reserve(
    state: &SeatsState,
    reservation: &Reservation,
    now: Timestamp,
) -> Result<Vec<Event>, SeatsRefusal> {
    state.open_facts()?;
    if reservation.seats == 0 {
        return Err(SeatsRefusal::ReservationWithoutSeats);
    }
    if reservation.until <= now {
        return Err(SeatsRefusal::DeadlinePassed {
            until: reservation.until,
        });
    }
    if state.capacity > 0 && reservation.seats > state.capacity {
        return Err(SeatsRefusal::ReservationLargerThanSession {
            seats: reservation.seats,
            capacity: state.capacity,
        });
    }
    if state.reservations.contains(reservation) {
        return Ok(vec![]);
    }
    let mut outcome = Outcome::from(state);
    outcome.record(Event::SeatsReserved(reservation.clone()));
    outcome.promote();
    Ok(outcome.events)
}

/// Releases the reservations whose deadline passed, then promotes what fits. Nothing to do on a
/// session that is not open.
pub(super) fn release_expired(state: &SeatsState, now: Timestamp) -> Vec<Event> {
    if !state.is_open() {
        return vec![];
    }
    let mut outcome = Outcome::from(state);
    if outcome.release_expired(now) {
        outcome.promote();
    }
    outcome.events
}

/// Registers `registered` (its `reserved` is decided here): confirmed if its seats fit what is
/// available to it, else put on the waiting list.
pub(super) fn register(
    state: &SeatsState,
    mut registered: Registered,
    now: Timestamp,
    waiting_factor: u32,
) -> Result<Vec<Event>, SeatsRefusal> {
    let facts = state.open_facts()?;
    if now >= facts.starts_at {
        return Err(SeatsRefusal::SessionStarted {
            starts_at: facts.starts_at,
        });
    }
    let audience = registered.profile.audience;
    if !facts.restricted_to.is_empty() && !facts.restricted_to.contains(&audience) {
        return Err(SeatsRefusal::AudienceNotAllowed {
            audience,
            allowed: facts.restricted_to.clone(),
        });
    }
    if let Some(registration) = state.active_registration_of(registered.participant) {
        return Err(SeatsRefusal::AlreadyRegistered { registration });
    }
    if state.registrations.contains_key(&registered.registration) {
        return Err(SeatsRefusal::RegistrationIdUsed {
            registration: registered.registration,
        });
    }
    let seats = registered.attendee.seats();
    if let Attendee::Group { size } = registered.attendee {
        if size < 2 {
            return Err(SeatsRefusal::GroupTooSmall { size });
        }
        if state.capacity > 0 && size > state.capacity {
            return Err(SeatsRefusal::GroupLargerThanSession {
                size,
                capacity: state.capacity,
            });
        }
    }

    let mut outcome = Outcome::from(state);
    if outcome.release_expired(now) {
        outcome.promote();
    }
    let available = outcome.state().available_to(&registered.partner, audience);
    if seats <= available {
        registered.reserved = outcome
            .state()
            .reservation_for(&registered.partner, audience);
        outcome.record(Event::Confirmed(registered));
    } else {
        let waiting = outcome.state().waiting_seats();
        let limit = waiting_limit(outcome.state().capacity, waiting_factor);
        if waiting + u64::from(seats) > limit {
            return Err(SeatsRefusal::WaitingListFull { waiting, limit });
        }
        outcome.record(Event::Waitlisted(registered));
    }
    Ok(outcome.events)
}

/// How many times its capacity a session's waiting list holds in seats, unless the shell says
/// otherwise: ten (a session of 25 keeps 250 waiting; a promotion reaches few of them).
pub const WAITING_LIST_FACTOR: u32 = 10;

/// The capacity a waiting list's bound counts with at least: a small session, or one no venue
/// hosts now (capacity 0, waiting for one), keeps as many waiting as a session of ten seats.
pub const WAITING_LIST_FLOOR: u32 = 10;

/// The most seats a waiting list holds: `factor` times the capacity, the capacity counted as
/// [`WAITING_LIST_FLOOR`] at least.
pub fn waiting_limit(capacity: u32, factor: u32) -> u64 {
    u64::from(capacity.max(WAITING_LIST_FLOOR)) * u64::from(factor)
}

/// A partner cancels its registration; freed seats go to the waiting list.
/// Cancels a registration: by its partner (`Some`: only its own), or by semaine because its
/// participant is confirmed in an overlapping session (`None`).
pub(super) fn cancel(
    state: &SeatsState,
    registration: RegistrationId,
    partner: Option<&PartnerId>,
    now: Timestamp,
) -> Result<Vec<Event>, SeatsRefusal> {
    let record = state
        .registrations
        .get(&registration)
        .ok_or(SeatsRefusal::UnknownRegistration { registration })?;
    if partner.is_some_and(|partner| &record.partner != partner) {
        return Err(SeatsRefusal::NotYourRegistration { registration });
    }
    if matches!(record.status, RegistrationStatus::Cancelled { .. }) {
        return Ok(vec![]);
    }
    // A partner cancels until the session starts; an overlap is undone whenever it is found,
    // for nobody is confirmed in two sessions at once.
    if partner.is_some()
        && let Some(facts) = &state.facts
        && now >= facts.starts_at
    {
        return Err(SeatsRefusal::SessionStarted {
            starts_at: facts.starts_at,
        });
    }
    let mut outcome = Outcome::from(state);
    outcome.record(Event::Cancelled(Cancelled {
        registration,
        partner: record.partner.clone(),
        by: if partner.is_some() {
            CancelledBy::Partner
        } else {
            CancelledBy::Overlap
        },
        reason: None,
    }));
    outcome.release_expired(now);
    outcome.promote();
    Ok(outcome.events)
}

/// Records how many of a confirmed registration's seats came.
pub(super) fn check_in(
    state: &SeatsState,
    registration: RegistrationId,
    present: u32,
) -> Result<Vec<Event>, SeatsRefusal> {
    let record = state
        .registrations
        .get(&registration)
        .ok_or(SeatsRefusal::UnknownRegistration { registration })?;
    if state.cancelled.is_some() {
        return Err(SeatsRefusal::SessionCancelled);
    }
    if state.ended {
        return Err(SeatsRefusal::SessionEnded);
    }
    if !record.is_confirmed() {
        return Err(SeatsRefusal::NotConfirmed { registration });
    }
    if present == 0 {
        return Err(SeatsRefusal::NobodyPresent { registration });
    }
    let seats = record.seats();
    if present > seats {
        return Err(SeatsRefusal::TooManyPresent { present, seats });
    }
    if record.checked_in == present {
        return Ok(vec![]);
    }
    Ok(vec![Event::CheckedIn(CheckedIn {
        registration,
        present,
    })])
}

/// The organiser cancels the session: every confirmed registration (in confirmation order), then
/// every waiting one (in list order), is cancelled, so that each partner is told.
pub(super) fn cancel_session(
    state: &SeatsState,
    reason: &Reason,
) -> Result<Vec<Event>, SeatsRefusal> {
    if state.cancelled.is_some() {
        return Ok(vec![]);
    }
    if state.ended {
        return Err(SeatsRefusal::SessionEnded);
    }
    let mut confirmed: Vec<(RegistrationId, &RegistrationRecord, u64)> =
        state.confirmed().collect();
    confirmed.sort_by_key(|(_, _, order)| *order);
    let waiting = state.waiting.iter().filter_map(|id| {
        state
            .registrations
            .get(id)
            .map(|record| (*id, record.partner.clone()))
    });
    let everyone: Vec<(RegistrationId, PartnerId)> = confirmed
        .into_iter()
        .map(|(id, record, _)| (id, record.partner.clone()))
        .chain(waiting)
        .collect();
    let mut events = vec![Event::SessionCancelled(SessionCancelled {
        reason: reason.clone(),
    })];
    events.extend(everyone.into_iter().map(|(registration, partner)| {
        Event::Cancelled(Cancelled {
            registration,
            partner,
            by: CancelledBy::Organiser,
            reason: Some(reason.clone()),
        })
    }));
    Ok(events)
}

/// Closes the session once over: confirmed registrations with nobody checked in are no-shows, in
/// confirmation order. A cancelled session never ends: nothing to do.
pub(super) fn end(state: &SeatsState, now: Timestamp) -> Result<Vec<Event>, SeatsRefusal> {
    if state.ended || state.cancelled.is_some() {
        return Ok(vec![]);
    }
    let facts = state.facts.as_ref().ok_or(SeatsRefusal::NotOpen)?;
    if now < facts.ends_at {
        return Err(SeatsRefusal::NotEnded {
            ends_at: facts.ends_at,
        });
    }
    let mut confirmed: Vec<(RegistrationId, &RegistrationRecord, u64)> = state
        .confirmed()
        .filter(|(_, record, _)| record.checked_in == 0)
        .collect();
    confirmed.sort_by_key(|(_, _, order)| *order);
    Ok(vec![Event::Ended(Ended {
        no_shows: confirmed.into_iter().map(|(id, _, _)| id).collect(),
    })])
}
