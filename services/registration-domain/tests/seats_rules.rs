//! The seats' rules as given/when/then tables: opening and capacity, registration and its
//! refusals, the waiting list and its promotions, demotions, reserved seats, cancellation,
//! check-in and no-shows, the session's cancellation, move and end. No I/O.
//!
//! The session is a job-dating at the EHPAD Les Marronniers in Gap, Tuesday 16 April 2024,
//! 09:30–11:30 in Paris (07:30Z–09:30Z). Registrations come from France Travail's Gap agency
//! (job seekers), the mission locale (young people) and the collège de Fontreyne (classes of
//! pupils). Most requests are made the day before, Monday 15 April at noon; seats reserved for the
//! mission locale are kept until Monday 20:00 Paris time (18:00Z).
//!
//! Why this file is long: it is the one table of a session's seat rules, in sections (the `// ---`
//! banners), all written with the helpers at its top in the domain's words. A section reads alone;
//! split into files, each would have to bring those helpers along.

use std::collections::BTreeSet;

use decider::{Decider, Spec};
use jiff::Timestamp;
use proto::registration::session::{
    Cancelled, CapacitySet, CheckedIn, Ended, Event, Registered, Registration, Rescheduled,
    SessionCancelled,
};
use proto::registration::{
    AgeBand, Attendee, Beneficiary, CancelledBy, ParticipantId, Profile, RegistrationId,
    Reservation, SealedIdentity, SessionFacts,
};
use proto::taxonomy::Audience;
use proto::values::{EditionId, PartnerId, Reason};
use registration_domain::seats::{
    RegistrationStatus, Seats, SeatsCommand, SeatsRefusal, SeatsState, WAITING_LIST_FACTOR,
    waiting_limit,
};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Helpers: the session, the partners, and registrants in the domain's words.
// ---------------------------------------------------------------------------------------------

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn reason(s: &str) -> Reason {
    Reason::parse(s).expect("a reason")
}

fn partner(s: &str) -> PartnerId {
    PartnerId::parse(s).expect("a partner id")
}

/// France Travail's Gap agency: job seekers.
fn france_travail() -> PartnerId {
    partner("france-travail-gap")
}

/// The mission locale: young people.
fn mission_locale() -> PartnerId {
    partner("mission-locale-gap")
}

/// The collège de Fontreyne: classes of pupils.
fn college() -> PartnerId {
    partner("college-fontreyne")
}

/// The session starts.
const STARTS: &str = "2024-04-16T07:30:00Z";
/// The session ends.
const ENDS: &str = "2024-04-16T09:30:00Z";

/// When most requests are made: the day before, at noon.
fn day_before() -> Timestamp {
    at("2024-04-15T10:00:00Z")
}

/// Until when the mission locale's seats are kept.
fn deadline() -> Timestamp {
    at("2024-04-15T18:00:00Z")
}

/// The session's facts: open to all.
fn facts() -> SessionFacts {
    SessionFacts {
        edition: EditionId(id(0xed)),
        starts_at: at(STARTS),
        ends_at: at(ENDS),
        restricted_to: vec![],
    }
}

/// The session's facts, kept for `audiences`.
fn kept_for(audiences: &[Audience]) -> SessionFacts {
    SessionFacts {
        restricted_to: audiences.to_vec(),
        ..facts()
    }
}

/// The seats opened (or their capacity changed) with `capacity` and the usual facts.
fn opened(capacity: u32) -> Event {
    Event::CapacitySet(CapacitySet {
        capacity,
        facts: facts(),
    })
}

fn set_capacity(capacity: u32) -> SeatsCommand {
    SeatsCommand::SetCapacity {
        capacity,
        facts: facts(),
    }
}

fn for_mission_locale() -> Beneficiary {
    Beneficiary::Partner {
        partner: mission_locale(),
    }
}

fn for_young_people() -> Beneficiary {
    Beneficiary::Audience {
        audience: Audience::YoungPeople,
    }
}

/// The organiser reserves, the day before.
fn reserve(reservation: Reservation) -> SeatsCommand {
    SeatsCommand::Reserve {
        reservation,
        now: day_before(),
    }
}

/// `seats` kept for `beneficiary` until the deadline.
fn reservation(beneficiary: Beneficiary, seats: u32) -> Reservation {
    Reservation {
        beneficiary,
        seats,
        until: deadline(),
    }
}

/// Someone registered, or to register: who they are, and through which partner.
#[derive(Clone)]
struct Who {
    n: u128,
    partner: PartnerId,
    attendee: Attendee,
    audience: Audience,
}

/// Person `n`: a job seeker registered by France Travail.
fn person(n: u128) -> Who {
    Who {
        n,
        partner: france_travail(),
        attendee: Attendee::Person {},
        audience: Audience::JobSeekers,
    }
}

/// Person `n`: a young person registered by the mission locale.
fn young(n: u128) -> Who {
    Who {
        n,
        partner: mission_locale(),
        attendee: Attendee::Person {},
        audience: Audience::YoungPeople,
    }
}

/// Class `n` of the collège: `size` seats, pupils, registered through their teacher.
fn class(n: u128, size: u32) -> Who {
    Who {
        n,
        partner: college(),
        attendee: Attendee::Group { size },
        audience: Audience::Pupils,
    }
}

impl Who {
    fn via(mut self, partner: PartnerId) -> Self {
        self.partner = partner;
        self
    }

    fn among(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }

    fn id(&self) -> RegistrationId {
        RegistrationId(id(0x1000 + self.n))
    }

    fn participant(&self) -> ParticipantId {
        ParticipantId(id(0x2000 + self.n))
    }

    fn profile(&self) -> Profile {
        Profile {
            audience: self.audience,
            age_band: AgeBand::Unknown,
            town: None,
        }
    }

    fn identity(&self) -> SealedIdentity {
        SealedIdentity {
            key: self.participant(),
            nonce: "bm9uY2Utbm9uY2U=".into(),
            ciphertext: "c2VhbGVkLWlkZW50aXR5".into(),
        }
    }

    fn registered(&self, reserved: Option<Beneficiary>) -> Registered {
        Registered {
            registration: self.id(),
            partner: self.partner.clone(),
            participant: self.participant(),
            attendee: self.attendee.clone(),
            profile: self.profile(),
            identity: self.identity(),
            reserved,
        }
    }

    fn registration(&self) -> Registration {
        Registration {
            registration: self.id(),
            partner: self.partner.clone(),
        }
    }

    fn confirmed(&self) -> Event {
        Event::Confirmed(self.registered(None))
    }

    fn confirmed_on(&self, reserved: Beneficiary) -> Event {
        Event::Confirmed(self.registered(Some(reserved)))
    }

    fn waitlisted(&self) -> Event {
        Event::Waitlisted(self.registered(None))
    }

    fn promoted(&self) -> Event {
        Event::Promoted(self.registration())
    }

    fn demoted(&self) -> Event {
        Event::Demoted(self.registration())
    }

    fn cancelled(&self) -> Event {
        Event::Cancelled(Cancelled {
            registration: self.id(),
            partner: self.partner.clone(),
            by: CancelledBy::Partner,
            reason: None,
        })
    }

    fn cancelled_by_organiser(&self, why: &str) -> Event {
        Event::Cancelled(Cancelled {
            registration: self.id(),
            partner: self.partner.clone(),
            by: CancelledBy::Organiser,
            reason: Some(reason(why)),
        })
    }

    fn checked_in(&self, present: u32) -> Event {
        Event::CheckedIn(CheckedIn {
            registration: self.id(),
            present,
        })
    }

    /// Registers, the day before.
    fn register(&self) -> SeatsCommand {
        self.register_at(day_before())
    }

    fn register_at(&self, now: Timestamp) -> SeatsCommand {
        SeatsCommand::Register {
            registration: self.id(),
            partner: self.partner.clone(),
            participant: self.participant(),
            attendee: self.attendee.clone(),
            profile: self.profile(),
            identity: self.identity(),
            now,
            waiting_factor: WAITING_LIST_FACTOR,
        }
    }

    /// Its partner cancels it, the day before.
    fn cancel(&self) -> SeatsCommand {
        self.cancel_at(day_before())
    }

    fn cancel_at(&self, now: Timestamp) -> SeatsCommand {
        SeatsCommand::Cancel {
            registration: self.id(),
            partner: self.partner.clone(),
            now,
        }
    }

    fn check_in(&self, present: u32) -> SeatsCommand {
        SeatsCommand::CheckIn {
            registration: self.id(),
            present,
        }
    }
}

/// The state after `history`.
fn state_after(history: &[Event]) -> SeatsState {
    Seats::fold(history)
}

/// `history` then `more`.
fn then(history: &[Event], more: impl IntoIterator<Item = Event>) -> Vec<Event> {
    history.iter().cloned().chain(more).collect()
}

fn ids(who: &[&Who]) -> Vec<RegistrationId> {
    who.iter().map(|w| w.id()).collect()
}

/// Checks what must hold after every decision: confirmed seats within the capacity, the waiting
/// list holding exactly the waiting registrations once each, and no waiting entry that fits the
/// seats available to it.
#[track_caller]
fn assert_invariants(state: &SeatsState) {
    assert!(
        state.confirmed_seats() <= state.capacity,
        "{} confirmed seats in a session of {}",
        state.confirmed_seats(),
        state.capacity
    );
    let listed: BTreeSet<RegistrationId> = state.waiting.iter().copied().collect();
    assert_eq!(listed.len(), state.waiting.len(), "an entry waits twice");
    let waiting: BTreeSet<RegistrationId> = state
        .registrations
        .iter()
        .filter(|(_, record)| record.status == RegistrationStatus::Waiting)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        listed, waiting,
        "the waiting list is not the waiting entries"
    );
    if state.is_open() {
        for id in &state.waiting {
            let record = &state.registrations[id];
            let available = state.available_to(&record.partner, record.profile.audience);
            assert!(
                record.seats() > available,
                "{id} waits for {} seats while {available} are available to it",
                record.seats()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Opening and capacity.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_venue_confirming_a_capacity_opens_the_seats() {
    Spec::<Seats>::given([])
        .when(set_capacity(30))
        .then([opened(30)]);
    assert!(!SeatsState::default().is_open());
    assert!(state_after(&[opened(30)]).is_open());
    assert!(
        state_after(&[opened(0)]).is_open(),
        "a capacity of 0 is open: everyone waits"
    );
}

#[test]
fn the_same_capacity_and_facts_again_change_nothing() {
    Spec::<Seats>::given([opened(30)])
        .when(set_capacity(30))
        .then([]);
    // The same capacity with other facts is recorded.
    Spec::<Seats>::given([opened(30)])
        .when(SeatsCommand::SetCapacity {
            capacity: 30,
            facts: kept_for(&[Audience::Pupils]),
        })
        .then([Event::CapacitySet(CapacitySet {
            capacity: 30,
            facts: kept_for(&[Audience::Pupils]),
        })]);
}

#[test]
fn a_cancelled_or_ended_session_ignores_capacity_changes() {
    let cancelled = Event::SessionCancelled(SessionCancelled {
        reason: reason("Intempéries"),
    });
    Spec::<Seats>::given([opened(30), cancelled])
        .when(set_capacity(40))
        .then([]);
    Spec::<Seats>::given([opened(30), Event::Ended(Ended { no_shows: vec![] })])
        .when(set_capacity(40))
        .then([]);
}

// ---------------------------------------------------------------------------------------------
// Registration: when it is refused.
// ---------------------------------------------------------------------------------------------

#[test]
fn nobody_registers_before_the_venue_confirmed_a_capacity() {
    Spec::<Seats>::given([])
        .when(person(1).register())
        .then_error(SeatsRefusal::NotOpen);
}

#[test]
fn nobody_registers_in_a_cancelled_or_ended_session() {
    Spec::<Seats>::given([
        opened(30),
        Event::SessionCancelled(SessionCancelled {
            reason: reason("Intempéries"),
        }),
    ])
    .when(person(1).register())
    .then_error(SeatsRefusal::SessionCancelled);
    Spec::<Seats>::given([opened(30), Event::Ended(Ended { no_shows: vec![] })])
        .when(person(1).register())
        .then_error(SeatsRefusal::SessionEnded);
}

#[test]
fn registrations_close_when_the_session_starts() {
    Spec::<Seats>::given([opened(30)])
        .when(person(1).register_at(at(STARTS)))
        .then_error(SeatsRefusal::SessionStarted {
            starts_at: at(STARTS),
        });
    Spec::<Seats>::given([opened(30)])
        .when(person(1).register_at(at("2024-04-16T07:29:59Z")))
        .then([person(1).confirmed()]);
}

#[test]
fn a_session_kept_for_some_audiences_refuses_the_others() {
    let pupils_only = Event::CapacitySet(CapacitySet {
        capacity: 60,
        facts: kept_for(&[Audience::Pupils]),
    });
    Spec::<Seats>::given([pupils_only.clone()])
        .when(person(1).register())
        .then_error(SeatsRefusal::AudienceNotAllowed {
            audience: Audience::JobSeekers,
            allowed: vec![Audience::Pupils],
        });
    Spec::<Seats>::given([pupils_only])
        .when(class(2, 25).register())
        .then([class(2, 25).confirmed()]);

    let refusal = SeatsRefusal::AudienceNotAllowed {
        audience: Audience::JobSeekers,
        allowed: vec![Audience::Pupils],
    };
    assert_eq!(
        refusal.to_string(),
        "this session is kept for pupils; a job seeker cannot register"
    );
    let refusal = SeatsRefusal::AudienceNotAllowed {
        audience: Audience::GeneralPublic,
        allowed: vec![Audience::Pupils, Audience::Students, Audience::YoungPeople],
    };
    assert_eq!(
        refusal.to_string(),
        "this session is kept for pupils, students and young people (16 to 25); a member of the \
         general public cannot register"
    );
}

#[test]
fn a_participant_holds_or_waits_for_seats_once() {
    // Confirmed: a second registration (a retry with a new id) is refused with the first one's id.
    let again = Who { n: 2, ..person(1) };
    let mut command = again.register();
    if let SeatsCommand::Register { participant, .. } = &mut command {
        *participant = person(1).participant();
    }
    Spec::<Seats>::given([opened(30), person(1).confirmed()])
        .when(command.clone())
        .then_error(SeatsRefusal::AlreadyRegistered {
            registration: person(1).id(),
        });
    // Waiting: the same.
    Spec::<Seats>::given([opened(0), person(1).waitlisted()])
        .when(command.clone())
        .then_error(SeatsRefusal::AlreadyRegistered {
            registration: person(1).id(),
        });
    // The very same request again: the same answer, nothing recorded twice.
    Spec::<Seats>::given([opened(30), person(1).confirmed()])
        .when(person(1).register())
        .then_error(SeatsRefusal::AlreadyRegistered {
            registration: person(1).id(),
        });
    // Cancelled: they may register again, with a new registration.
    let mut expected = again.registered(None);
    expected.participant = person(1).participant();
    Spec::<Seats>::given([opened(30), person(1).confirmed(), person(1).cancelled()])
        .when(command)
        .then([Event::Confirmed(expected)]);
}

#[test]
fn a_registration_id_is_never_reused() {
    // Person 1's cancelled registration id, given to another participant.
    let other = Who { n: 1, ..young(1) };
    let mut command = other.register();
    if let SeatsCommand::Register { participant, .. } = &mut command {
        *participant = ParticipantId(id(0x9999));
    }
    Spec::<Seats>::given([opened(30), person(1).confirmed(), person(1).cancelled()])
        .when(command)
        .then_error(SeatsRefusal::RegistrationIdUsed {
            registration: person(1).id(),
        });
}

#[test]
fn a_group_is_at_least_two_and_never_larger_than_the_session() {
    Spec::<Seats>::given([opened(30)])
        .when(class(1, 1).register())
        .then_error(SeatsRefusal::GroupTooSmall { size: 1 });
    Spec::<Seats>::given([opened(30)])
        .when(class(1, 0).register())
        .then_error(SeatsRefusal::GroupTooSmall { size: 0 });
    Spec::<Seats>::given([opened(30)])
        .when(class(1, 31).register())
        .then_error(SeatsRefusal::GroupLargerThanSession {
            size: 31,
            capacity: 30,
        });
    Spec::<Seats>::given([opened(30)])
        .when(class(1, 30).register())
        .then([class(1, 30).confirmed()]);
    // While no venue hosts the session (capacity 0), a group waits for one.
    Spec::<Seats>::given([opened(0)])
        .when(class(1, 31).register())
        .then([class(1, 31).waitlisted()]);
}

// ---------------------------------------------------------------------------------------------
// Registration: confirmed or waiting; the waiting list.
// ---------------------------------------------------------------------------------------------

#[test]
fn seats_are_confirmed_up_to_the_capacity_then_registrations_wait() {
    Spec::<Seats>::given([opened(2)])
        .when(person(1).register())
        .then([person(1).confirmed()]);
    Spec::<Seats>::given([opened(2), person(1).confirmed()])
        .when(person(2).register())
        .then([person(2).confirmed()]);
    Spec::<Seats>::given([opened(2), person(1).confirmed(), person(2).confirmed()])
        .when(person(3).register())
        .then([person(3).waitlisted()]);
    let state = state_after(&[
        opened(2),
        person(1).confirmed(),
        person(2).confirmed(),
        person(3).waitlisted(),
    ]);
    assert_eq!(state.confirmed_seats(), 2);
    assert_eq!(state.seats_left(), 0);
    assert_eq!(state.waiting_list(), ids(&[&person(3)]));
    assert_invariants(&state);
}

#[test]
fn a_group_takes_all_its_seats_or_waits_whole() {
    let history = [
        opened(5),
        person(1).confirmed(),
        person(2).confirmed(),
        person(3).confirmed(),
    ];
    Spec::<Seats>::given(history.clone())
        .when(class(4, 3).register())
        .then([class(4, 3).waitlisted()]);
    Spec::<Seats>::given(history)
        .when(class(4, 2).register())
        .then([class(4, 2).confirmed()]);
}

#[test]
fn a_freed_seat_promotes_the_oldest_waiting_entry() {
    let history = [
        opened(2),
        person(1).confirmed(),
        person(2).confirmed(),
        person(3).waitlisted(),
        person(4).waitlisted(),
    ];
    let state = Spec::<Seats>::given(history)
        .when(person(1).cancel())
        .then([person(1).cancelled(), person(3).promoted()]);
    assert_eq!(state.waiting_list(), ids(&[&person(4)]));
    assert!(
        state
            .registration(person(3).id())
            .is_some_and(|r| r.is_confirmed())
    );
    assert_invariants(&state);
}

#[test]
fn a_group_of_25_waits_whole_while_a_single_person_behind_it_is_promoted() {
    // 30 seats: a class of 27 and three job seekers; then a class of 25 and a person wait.
    let history = [
        opened(30),
        class(1, 27).confirmed(),
        person(2).confirmed(),
        person(3).confirmed(),
        person(4).confirmed(),
        class(5, 25).waitlisted(),
        person(6).waitlisted(),
    ];
    // The venue adds 3 seats: the class keeps its place at the head, the person behind passes.
    Spec::<Seats>::given(history.clone())
        .when(set_capacity(33))
        .then([opened(33), person(6).promoted()]);
    let history = then(&history, [opened(33), person(6).promoted()]);
    let state = state_after(&history);
    assert_eq!(state.waiting_list(), ids(&[&class(5, 25)]));
    assert_eq!(state.seats_left(), 2);
    assert_invariants(&state);

    // One more seat freed: 3 free, still not 25.
    Spec::<Seats>::given(history.clone())
        .when(person(2).cancel())
        .then([person(2).cancelled()]);
    // The first class cancels: the second is promoted, whole.
    Spec::<Seats>::given(history)
        .when(class(1, 27).cancel())
        .then([class(1, 27).cancelled(), class(5, 25).promoted()]);
}

#[test]
fn every_entry_that_fits_is_promoted_in_order() {
    // Four seats freed at once: the pair at the head, then the person; the class of 3 waits.
    let history = [
        opened(4),
        class(1, 4).confirmed(),
        class(2, 2).via(france_travail()).waitlisted(),
        class(3, 3).waitlisted(),
        person(4).waitlisted(),
        person(5).waitlisted(),
    ];
    Spec::<Seats>::given(history)
        .when(class(1, 4).cancel())
        .then([
            class(1, 4).cancelled(),
            class(2, 2).via(france_travail()).promoted(),
            person(4).promoted(),
            person(5).promoted(),
        ]);
}

#[test]
fn a_raised_capacity_promotes_what_fits() {
    let history = [
        opened(1),
        person(1).confirmed(),
        person(2).waitlisted(),
        person(3).waitlisted(),
        person(4).waitlisted(),
    ];
    Spec::<Seats>::given(history).when(set_capacity(3)).then([
        opened(3),
        person(2).promoted(),
        person(3).promoted(),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Lowered capacity: demotions.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_lowered_capacity_demotes_the_most_recent_confirmations_to_the_head_of_the_list() {
    let (a, b, c, d, e, w) = (
        person(1),
        person(2),
        person(3),
        person(4),
        person(5),
        person(6),
    );
    let history = [
        opened(5),
        a.confirmed(),
        b.confirmed(),
        c.confirmed(),
        d.confirmed(),
        e.confirmed(),
        w.waitlisted(),
    ];
    let state = Spec::<Seats>::given(history).when(set_capacity(2)).then([
        opened(2),
        e.demoted(),
        d.demoted(),
        c.demoted(),
    ]);
    assert_eq!(state.waiting_list(), ids(&[&c, &d, &e, &w]));
    assert_eq!(state.confirmed_seats(), 2);
    assert_invariants(&state);
}

#[test]
fn a_promotion_counts_as_a_confirmation_at_that_time() {
    let history = [
        opened(2),
        person(1).confirmed(),
        person(2).confirmed(),
        person(3).waitlisted(),
        person(1).cancelled(),
        person(3).promoted(),
        person(4).waitlisted(),
    ];
    // Person 3, promoted after person 2 was confirmed, is the most recent.
    let state = Spec::<Seats>::given(history)
        .when(set_capacity(1))
        .then([opened(1), person(3).demoted()]);
    assert_eq!(state.waiting_list(), ids(&[&person(3), &person(4)]));
}

#[test]
fn a_group_is_demoted_whole() {
    // 10 seats: a person, a class of 6, a person (8). Lowered to 6: the last person goes, then
    // the class; the last person then fits again, so it simply keeps its seat.
    let history = [
        opened(10),
        person(1).confirmed(),
        class(2, 6).confirmed(),
        person(3).confirmed(),
    ];
    let state = Spec::<Seats>::given(history.clone())
        .when(set_capacity(6))
        .then([opened(6), class(2, 6).demoted()]);
    assert_eq!(state.waiting_list(), ids(&[&class(2, 6)]));
    assert_eq!(state.confirmed_seats(), 2);
    assert_invariants(&state);

    // Lowered to 1: the last person, then the class; only the first person stays.
    Spec::<Seats>::given(history).when(set_capacity(1)).then([
        opened(1),
        person(3).demoted(),
        class(2, 6).demoted(),
    ]);
}

#[test]
fn a_capacity_of_zero_demotes_everyone() {
    let history = [
        opened(3),
        person(1).confirmed(),
        person(2).confirmed(),
        person(3).confirmed(),
        person(4).waitlisted(),
    ];
    Spec::<Seats>::given(history.clone())
        .when(set_capacity(0))
        .then([
            opened(0),
            person(3).demoted(),
            person(2).demoted(),
            person(1).demoted(),
        ]);
    let history = then(
        &history,
        [
            opened(0),
            person(3).demoted(),
            person(2).demoted(),
            person(1).demoted(),
        ],
    );
    let state = state_after(&history);
    assert_eq!(
        state.waiting_list(),
        ids(&[&person(1), &person(2), &person(3), &person(4)])
    );
    assert_eq!(state.confirmed_seats(), 0);
    assert_invariants(&state);
    // Newcomers wait too, and another venue's capacity promotes them in order.
    Spec::<Seats>::given(history.clone())
        .when(person(5).register())
        .then([person(5).waitlisted()]);
    Spec::<Seats>::given(history).when(set_capacity(3)).then([
        opened(3),
        person(1).promoted(),
        person(2).promoted(),
        person(3).promoted(),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Reserved seats.
// ---------------------------------------------------------------------------------------------

#[test]
fn only_an_open_session_reserves_at_least_one_seat() {
    Spec::<Seats>::given([])
        .when(reserve(reservation(for_mission_locale(), 2)))
        .then_error(SeatsRefusal::NotOpen);
    Spec::<Seats>::given([opened(4)])
        .when(reserve(reservation(for_mission_locale(), 0)))
        .then_error(SeatsRefusal::ReservationWithoutSeats);
    // Never more seats than the session has, nor a deadline already passed.
    Spec::<Seats>::given([opened(4)])
        .when(reserve(reservation(for_mission_locale(), 5)))
        .then_error(SeatsRefusal::ReservationLargerThanSession {
            seats: 5,
            capacity: 4,
        });
    Spec::<Seats>::given([opened(4)])
        .when(SeatsCommand::Reserve {
            reservation: reservation(for_mission_locale(), 2),
            now: deadline(),
        })
        .then_error(SeatsRefusal::DeadlinePassed { until: deadline() });
    Spec::<Seats>::given([opened(4)])
        .when(reserve(reservation(for_mission_locale(), 2)))
        .then([Event::SeatsReserved(reservation(for_mission_locale(), 2))]);
    Spec::<Seats>::given([
        opened(4),
        Event::SessionCancelled(SessionCancelled {
            reason: reason("Intempéries"),
        }),
    ])
    .when(reserve(reservation(for_mission_locale(), 2)))
    .then_error(SeatsRefusal::SessionCancelled);
}

#[test]
fn seats_reserved_for_the_mission_locale_are_used_by_its_participants_only_until_the_deadline() {
    let reserved = Event::SeatsReserved(reservation(for_mission_locale(), 2));
    let history = [
        opened(4),
        reserved,
        person(1).confirmed(),
        person(2).confirmed(),
    ];
    // Two seats left, both kept for the mission locale: a job seeker waits…
    Spec::<Seats>::given(history.clone())
        .when(person(3).register())
        .then([person(3).waitlisted()]);
    let history = then(&history, [person(3).waitlisted()]);
    // …while the mission locale's participant takes one of them.
    Spec::<Seats>::given(history.clone())
        .when(young(4).register())
        .then([young(4).confirmed_on(for_mission_locale())]);
    let history = then(&history, [young(4).confirmed_on(for_mission_locale())]);
    let state = state_after(&history);
    assert_eq!(
        state.available_to(&france_travail(), Audience::JobSeekers),
        0
    );
    assert_eq!(
        state.available_to(&mission_locale(), Audience::YoungPeople),
        1
    );
    assert_eq!(state.unused_reserved(&for_mission_locale()), Some(1));
    assert_invariants(&state);

    // Before the deadline, nothing is released.
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::ReleaseExpired {
            now: at("2024-04-15T17:59:59Z"),
        })
        .then([]);
    // At the deadline, the unused seat is everyone's: the job seeker waiting takes it.
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::ReleaseExpired { now: deadline() })
        .then([
            Event::ReservationReleased(for_mission_locale()),
            person(3).promoted(),
        ]);
    let released = then(
        &history,
        [
            Event::ReservationReleased(for_mission_locale()),
            person(3).promoted(),
        ],
    );
    let state = state_after(&released);
    assert!(state.reservations.is_empty());
    assert_eq!(state.unused_reserved(&for_mission_locale()), None);
    assert_eq!(
        state.registration(young(4).id()).map(|r| r.status.clone()),
        Some(RegistrationStatus::Confirmed {
            reserved: None,
            confirmed_order: 3
        }),
        "the seat it took is an ordinary seat once the reservation is released"
    );
    assert_invariants(&state);
    Spec::<Seats>::given(released)
        .when(SeatsCommand::ReleaseExpired { now: deadline() })
        .then([]);
}

#[test]
fn a_registration_after_the_deadline_releases_the_reservation_first() {
    let history = [
        opened(4),
        Event::SeatsReserved(reservation(for_mission_locale(), 2)),
        person(1).confirmed(),
        person(2).confirmed(),
        person(3).waitlisted(),
    ];
    // The timer has not run yet: the waiting list gets the released seats before the newcomer.
    Spec::<Seats>::given(history.clone())
        .when(person(5).register_at(at("2024-04-15T19:00:00Z")))
        .then([
            Event::ReservationReleased(for_mission_locale()),
            person(3).promoted(),
            person(5).confirmed(),
        ]);
    Spec::<Seats>::given(history)
        .when(person(2).cancel_at(at("2024-04-15T19:00:00Z")))
        .then([
            person(2).cancelled(),
            Event::ReservationReleased(for_mission_locale()),
            person(3).promoted(),
        ]);
}

#[test]
fn seats_reserved_for_an_audience_go_to_that_audience_through_any_partner() {
    let history = [
        opened(2),
        Event::SeatsReserved(reservation(for_young_people(), 1)),
        person(1).confirmed(),
    ];
    let young_via_france_travail = young(2).via(france_travail());
    Spec::<Seats>::given(history.clone())
        .when(young_via_france_travail.register())
        .then([young_via_france_travail.confirmed_on(for_young_people())]);
    Spec::<Seats>::given(history)
        .when(person(3).register())
        .then([person(3).waitlisted()]);
}

#[test]
fn a_freed_seat_kept_for_the_mission_locale_goes_to_its_participant_waiting() {
    // Full before the reservation was made: the mission locale's participant waits behind a job
    // seeker, and the seat freed is kept for it.
    let history = [
        opened(2),
        person(1).confirmed(),
        person(2).confirmed(),
        Event::SeatsReserved(reservation(for_mission_locale(), 1)),
        person(3).waitlisted(),
        young(4).waitlisted(),
    ];
    let state = Spec::<Seats>::given(history)
        .when(person(1).cancel())
        .then([person(1).cancelled(), young(4).promoted()]);
    assert_eq!(
        state.registration(young(4).id()).map(|r| r.status.clone()),
        Some(RegistrationStatus::Confirmed {
            reserved: Some(for_mission_locale()),
            confirmed_order: 3
        })
    );
    assert_eq!(state.waiting_list(), ids(&[&person(3)]));
    assert_invariants(&state);
}

#[test]
fn a_reservation_replaces_the_previous_one_for_the_same_beneficiary() {
    let history = [
        opened(3),
        Event::SeatsReserved(reservation(for_mission_locale(), 2)),
        person(1).confirmed(),
        person(2).waitlisted(),
    ];
    // The same again: nothing.
    Spec::<Seats>::given(history.clone())
        .when(reserve(reservation(for_mission_locale(), 2)))
        .then([]);
    // Fewer seats: the seat no longer kept goes to the waiting list.
    Spec::<Seats>::given(history.clone())
        .when(reserve(reservation(for_mission_locale(), 1)))
        .then([
            Event::SeatsReserved(reservation(for_mission_locale(), 1)),
            person(2).promoted(),
        ]);
    let state = state_after(&then(
        &history,
        [Event::SeatsReserved(reservation(for_mission_locale(), 1))],
    ));
    assert_eq!(
        state.reservations,
        vec![reservation(for_mission_locale(), 1)]
    );
}

// ---------------------------------------------------------------------------------------------
// Cancellation by a partner.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_partner_cancels_only_its_own_registrations() {
    let history = [opened(30), person(1).confirmed()];
    Spec::<Seats>::given(history.clone())
        .when(person(2).cancel())
        .then_error(SeatsRefusal::UnknownRegistration {
            registration: person(2).id(),
        });
    Spec::<Seats>::given(history.clone())
        .when(person(1).via(mission_locale()).cancel())
        .then_error(SeatsRefusal::NotYourRegistration {
            registration: person(1).id(),
        });
    Spec::<Seats>::given(history)
        .when(person(1).cancel())
        .then([person(1).cancelled()]);
}

#[test]
fn nobody_cancels_once_the_session_started() {
    Spec::<Seats>::given([opened(30), person(1).confirmed()])
        .when(person(1).cancel_at(at(STARTS)))
        .then_error(SeatsRefusal::SessionStarted {
            starts_at: at(STARTS),
        });
}

#[test]
fn cancelling_twice_records_it_once() {
    Spec::<Seats>::given([opened(30), person(1).confirmed(), person(1).cancelled()])
        .when(person(1).cancel())
        .then([]);
}

#[test]
fn cancelling_a_waiting_entry_removes_it_from_the_list() {
    let history = [
        opened(1),
        person(1).confirmed(),
        person(2).waitlisted(),
        person(3).waitlisted(),
    ];
    let state = Spec::<Seats>::given(history)
        .when(person(2).cancel())
        .then([person(2).cancelled()]);
    assert_eq!(state.waiting_list(), ids(&[&person(3)]));
    assert_invariants(&state);
}

// ---------------------------------------------------------------------------------------------
// Check-in, end and no-shows.
// ---------------------------------------------------------------------------------------------

#[test]
fn confirmed_registrations_are_checked_in_at_the_door() {
    let history = [opened(30), person(1).confirmed(), class(2, 25).confirmed()];
    Spec::<Seats>::given(history.clone())
        .when(person(1).check_in(1))
        .then([person(1).checked_in(1)]);
    // A class may come incomplete, and a count may be corrected.
    Spec::<Seats>::given(history.clone())
        .when(class(2, 25).check_in(22))
        .then([class(2, 25).checked_in(22)]);
    Spec::<Seats>::given(then(&history, [class(2, 25).checked_in(22)]))
        .when(class(2, 25).check_in(23))
        .then([class(2, 25).checked_in(23)]);
    // The same count again: nothing.
    Spec::<Seats>::given(then(&history, [class(2, 25).checked_in(22)]))
        .when(class(2, 25).check_in(22))
        .then([]);
}

#[test]
fn a_check_in_is_of_a_confirmed_registration_and_1_to_its_seats() {
    let history = [
        opened(1),
        person(1).confirmed(),
        person(2).waitlisted(),
        person(3).waitlisted(),
        person(3).cancelled(),
    ];
    Spec::<Seats>::given(history.clone())
        .when(person(9).check_in(1))
        .then_error(SeatsRefusal::UnknownRegistration {
            registration: person(9).id(),
        });
    Spec::<Seats>::given(history.clone())
        .when(person(2).check_in(1))
        .then_error(SeatsRefusal::NotConfirmed {
            registration: person(2).id(),
        });
    Spec::<Seats>::given(history.clone())
        .when(person(3).check_in(1))
        .then_error(SeatsRefusal::NotConfirmed {
            registration: person(3).id(),
        });
    Spec::<Seats>::given(history.clone())
        .when(person(1).check_in(0))
        .then_error(SeatsRefusal::NobodyPresent {
            registration: person(1).id(),
        });
    Spec::<Seats>::given(history)
        .when(person(1).check_in(2))
        .then_error(SeatsRefusal::TooManyPresent {
            present: 2,
            seats: 1,
        });
    Spec::<Seats>::given([opened(30), class(1, 25).confirmed()])
        .when(class(1, 25).check_in(26))
        .then_error(SeatsRefusal::TooManyPresent {
            present: 26,
            seats: 25,
        });
}

#[test]
fn nobody_is_checked_in_at_a_cancelled_or_ended_session() {
    Spec::<Seats>::given([
        opened(30),
        person(1).confirmed(),
        Event::SessionCancelled(SessionCancelled {
            reason: reason("Intempéries"),
        }),
        person(1).cancelled_by_organiser("Intempéries"),
    ])
    .when(person(1).check_in(1))
    .then_error(SeatsRefusal::SessionCancelled);
    Spec::<Seats>::given([
        opened(30),
        person(1).confirmed(),
        Event::Ended(Ended {
            no_shows: vec![person(1).id()],
        }),
    ])
    .when(person(1).check_in(1))
    .then_error(SeatsRefusal::SessionEnded);
}

#[test]
fn the_session_ends_at_its_end_counting_no_shows() {
    let history = [
        opened(3),
        person(1).confirmed(),
        class(2, 2).confirmed(),
        person(3).waitlisted(),
        person(4).waitlisted(),
        person(1).cancelled(),
        person(3).promoted(),
        class(2, 2).checked_in(1),
    ];
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::End {
            now: at("2024-04-16T09:29:59Z"),
        })
        .then_error(SeatsRefusal::NotEnded { ends_at: at(ENDS) });
    // The class came (one of two): not a no-show. Person 3, promoted, never came; person 4
    // waited and is not counted.
    let ended = Event::Ended(Ended {
        no_shows: vec![person(3).id()],
    });
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::End { now: at(ENDS) })
        .then([ended.clone()]);
    Spec::<Seats>::given(then(&history, [ended.clone()]))
        .when(SeatsCommand::End {
            now: at("2024-04-16T10:00:00Z"),
        })
        .then([]);
    let state = state_after(&then(&history, [ended]));
    assert!(state.ended);
    assert!(!state.is_open());
    Spec::<Seats>::given([])
        .when(SeatsCommand::End { now: at(ENDS) })
        .then_error(SeatsRefusal::NotOpen);
}

#[test]
fn no_shows_are_listed_in_confirmation_order() {
    Spec::<Seats>::given([opened(2), person(9).confirmed(), person(1).confirmed()])
        .when(SeatsCommand::End { now: at(ENDS) })
        .then([Event::Ended(Ended {
            no_shows: vec![person(9).id(), person(1).id()],
        })]);
}

// ---------------------------------------------------------------------------------------------
// The session cancelled, moved.
// ---------------------------------------------------------------------------------------------

#[test]
fn cancelling_the_session_cancels_every_registration_and_tells_each_partner() {
    let why = "Intempéries : routes fermées";
    let history = [
        opened(2),
        young(1).confirmed(),
        class(2, 2).waitlisted(),
        person(3).confirmed(),
        person(4).waitlisted(),
        person(5).waitlisted(),
        person(5).cancelled(),
    ];
    let expected = [
        Event::SessionCancelled(SessionCancelled {
            reason: reason(why),
        }),
        young(1).cancelled_by_organiser(why),
        person(3).cancelled_by_organiser(why),
        class(2, 2).cancelled_by_organiser(why),
        person(4).cancelled_by_organiser(why),
    ];
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::CancelSession {
            reason: reason(why),
        })
        .then(expected.clone());
    let history = then(&history, expected);
    let state = state_after(&history);
    assert_eq!(state.confirmed_seats(), 0);
    assert!(state.waiting_list().is_empty());
    assert!(!state.is_open());
    assert_eq!(
        state.registration(person(5).id()).map(|r| r.status.clone()),
        Some(RegistrationStatus::Cancelled {
            by: CancelledBy::Partner
        })
    );
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::CancelSession {
            reason: reason("Autre motif"),
        })
        .then([]);
    // Nothing is freed to promote, nobody registers, a partner's late cancel changes nothing.
    Spec::<Seats>::given(history.clone())
        .when(person(6).register())
        .then_error(SeatsRefusal::SessionCancelled);
    Spec::<Seats>::given(history.clone())
        .when(person(3).cancel())
        .then([]);
    Spec::<Seats>::given(history)
        .when(SeatsCommand::End { now: at(ENDS) })
        .then([]);
}

#[test]
fn an_ended_session_cannot_be_cancelled() {
    Spec::<Seats>::given([opened(2), Event::Ended(Ended { no_shows: vec![] })])
        .when(SeatsCommand::CancelSession {
            reason: reason("Trop tard"),
        })
        .then_error(SeatsRefusal::SessionEnded);
}

#[test]
fn a_moved_session_keeps_its_registrations() {
    let later = SessionFacts {
        starts_at: at("2024-04-18T12:00:00Z"),
        ends_at: at("2024-04-18T14:00:00Z"),
        ..facts()
    };
    let history = [opened(1), person(1).confirmed(), person(2).waitlisted()];
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::Reschedule { facts: facts() })
        .then([]);
    let moved = Event::Rescheduled(Rescheduled {
        facts: later.clone(),
    });
    Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::Reschedule {
            facts: later.clone(),
        })
        .then([moved.clone()]);
    let history = then(&history, [moved]);
    let state = state_after(&history);
    assert_eq!(state.facts, Some(later));
    assert_eq!(state.confirmed_seats(), 1);
    assert_eq!(state.waiting_list(), ids(&[&person(2)]));
    // Registrations now close at the new start.
    Spec::<Seats>::given(history)
        .when(person(3).register_at(at(STARTS)))
        .then([person(3).waitlisted()]);
    // Before the seats open, there is nothing to move: the capacity brings the facts.
    Spec::<Seats>::given([])
        .when(SeatsCommand::Reschedule { facts: facts() })
        .then([]);
}

// ---------------------------------------------------------------------------------------------
// Invariants, codes, snapshots.
// ---------------------------------------------------------------------------------------------

/// Every sequence of up to `DEPTH` commands from a small alphabet, on a session of 3 seats: after
/// every accepted decision, the invariants hold.
#[test]
fn after_every_decision_no_waiting_entry_fits() {
    const DEPTH: usize = 5;
    let after_deadline = at("2024-04-15T19:00:00Z");
    let alphabet: Vec<SeatsCommand> = vec![
        set_capacity(0),
        set_capacity(2),
        set_capacity(5),
        reserve(reservation(for_mission_locale(), 2)),
        reserve(reservation(for_mission_locale(), 1)),
        SeatsCommand::ReleaseExpired {
            now: after_deadline,
        },
        person(1).register(),
        young(2).register(),
        class(3, 2).via(france_travail()).register(),
        class(4, 3).among(Audience::YoungPeople).register(),
        person(5).register_at(after_deadline),
        person(1).cancel(),
        young(2).cancel(),
        class(4, 3).among(Audience::YoungPeople).cancel(),
    ];
    fn explore(history: &mut Vec<Event>, alphabet: &[SeatsCommand], depth: usize) -> usize {
        if depth == 0 {
            return 0;
        }
        let state = Seats::fold(history.iter());
        let mut decided = 0;
        for command in alphabet {
            let Ok(events) = Seats::decide(&state, command) else {
                continue;
            };
            decided += 1;
            if events.is_empty() {
                continue;
            }
            let after = events.iter().fold(state.clone(), Seats::evolve);
            assert_invariants(&after);
            let len = history.len();
            history.extend(events);
            decided += explore(history, alphabet, depth - 1);
            history.truncate(len);
        }
        decided
    }
    let decided = explore(&mut vec![opened(3)], &alphabet, DEPTH);
    assert!(decided > 10_000, "only {decided} decisions explored");
}

#[test]
fn refusal_codes_are_stable_kebab_case_and_distinct() {
    let refusals = [
        SeatsRefusal::NotOpen,
        SeatsRefusal::SessionCancelled,
        SeatsRefusal::SessionEnded,
        SeatsRefusal::SessionStarted {
            starts_at: at(STARTS),
        },
        SeatsRefusal::AudienceNotAllowed {
            audience: Audience::JobSeekers,
            allowed: vec![Audience::Pupils],
        },
        SeatsRefusal::AlreadyRegistered {
            registration: person(1).id(),
        },
        SeatsRefusal::RegistrationIdUsed {
            registration: person(1).id(),
        },
        SeatsRefusal::GroupTooSmall { size: 1 },
        SeatsRefusal::GroupLargerThanSession {
            size: 31,
            capacity: 30,
        },
        SeatsRefusal::UnknownRegistration {
            registration: person(1).id(),
        },
        SeatsRefusal::NotYourRegistration {
            registration: person(1).id(),
        },
        SeatsRefusal::NotConfirmed {
            registration: person(1).id(),
        },
        SeatsRefusal::NobodyPresent {
            registration: person(1).id(),
        },
        SeatsRefusal::TooManyPresent {
            present: 2,
            seats: 1,
        },
        SeatsRefusal::ReservationWithoutSeats,
        SeatsRefusal::NotEnded { ends_at: at(ENDS) },
    ];
    let codes: BTreeSet<&str> = refusals.iter().map(SeatsRefusal::code).collect();
    assert_eq!(codes.len(), refusals.len(), "two refusals share a code");
    for refusal in &refusals {
        let code = refusal.code();
        assert!(
            code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{code}"
        );
        assert!(!refusal.to_string().is_empty());
    }
    assert_eq!(
        SeatsRefusal::GroupLargerThanSession {
            size: 31,
            capacity: 30
        }
        .to_string(),
        "a group of 31 cannot register in a session of 30 seats: a group takes its seats \
         together; split it or choose a larger session"
    );
}

#[test]
fn the_state_survives_a_snapshot() {
    let history = [
        opened(4),
        Event::SeatsReserved(reservation(for_mission_locale(), 2)),
        person(1).confirmed(),
        young(2).confirmed_on(for_mission_locale()),
        class(3, 3).waitlisted(),
        person(4).waitlisted(),
        person(1).checked_in(1),
        person(5).waitlisted(),
        person(5).cancelled(),
    ];
    let state = state_after(&history);
    let json = serde_json::to_string(&state).expect("serialised");
    let back: SeatsState = serde_json::from_str(&json).expect("deserialised");
    assert_eq!(back, state);
    assert_eq!(back.waiting_list(), ids(&[&class(3, 3), &person(4)]));
}

#[test]
fn a_promoted_participant_confirmed_elsewhere_at_that_time_is_cancelled_and_the_next_promoted() {
    // Person 2 was promoted into the freed seat, but their agenda holds an overlapping session:
    // semaine cancels the promotion (CancelledBy::Overlap) and person 3 takes the seat.
    let history = [
        opened(1),
        person(1).confirmed(),
        person(2).waitlisted(),
        person(3).waitlisted(),
        person(1).cancelled(),
        person(2).promoted(),
    ];
    let overlap = Event::Cancelled(Cancelled {
        registration: person(2).id(),
        partner: person(2).partner,
        by: CancelledBy::Overlap,
        reason: None,
    });
    let state = Spec::<Seats>::given(history.clone())
        .when(SeatsCommand::CancelOverlapping {
            registration: person(2).id(),
            now: day_before(),
        })
        .then([overlap, person(3).promoted()]);
    assert_invariants(&state);
    // A registration already cancelled records nothing more.
    Spec::<Seats>::given(then(&history, [person(2).promoted()]))
        .when(SeatsCommand::CancelOverlapping {
            registration: person(1).id(),
            now: day_before(),
        })
        .then([]);
}

#[test]
fn a_waiting_list_holds_at_most_ten_times_the_capacity_in_seats() {
    // A session of 12 seats, all confirmed: 120 seats may wait (nine classes of 12, 12 people).
    let mut history = vec![opened(12), class(1, 12).confirmed()];
    for n in 2..11 {
        history.push(class(n, 12).waitlisted());
    }
    for n in 11..23 {
        history.push(person(n).waitlisted());
    }
    // Full: one more person is refused, and so is a group that would cross the bound.
    Spec::<Seats>::given(history.clone())
        .when(person(23).register())
        .then_error(SeatsRefusal::WaitingListFull {
            waiting: 120,
            limit: 120,
        });
    // One cancelled leaves room for one, not for a class of two.
    history.push(person(22).cancelled());
    Spec::<Seats>::given(history.clone())
        .when(class(24, 2).register())
        .then_error(SeatsRefusal::WaitingListFull {
            waiting: 119,
            limit: 120,
        });
    Spec::<Seats>::given(history.clone())
        .when(person(23).register())
        .then([person(23).waitlisted()]);
    // The count kept as registrations leave the list.
    history.push(class(2, 12).cancelled());
    assert_eq!(Seats::fold(&history).waiting_seats(), 107);
    // A small session, or one no venue hosts now, keeps as many waiting as one of ten seats.
    assert_eq!(waiting_limit(2, WAITING_LIST_FACTOR), 100);
    assert_eq!(waiting_limit(0, WAITING_LIST_FACTOR), 100);
    assert_eq!(waiting_limit(25, WAITING_LIST_FACTOR), 250);
    assert_eq!(
        SeatsRefusal::WaitingListFull {
            waiting: 1,
            limit: 1
        }
        .code(),
        "waiting-list-full"
    );
}
