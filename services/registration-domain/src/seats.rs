//! The seats of one session: capacity, reserved seats, confirmed registrations and the waiting
//! list (aggregate `reg.session.<session id>`).
//!
//! Every rule about a session's seats is decided by this one aggregate, so "a session never holds
//! more confirmed seats than its venue confirmed" is decided by a single fold of a single history:
//! two registrations that arrive at once are serialised by the shell's optimistic append, and the
//! second one is decided against a state that already holds the first.
//!
//! # Seats available to a registrant
//! The seats available to a registrant are the capacity, minus the confirmed seats, minus the
//! unused seats of every reservation that does not benefit it. A reservation benefits a
//! registrant when it is kept for the registrant's partner or for its audience. A registrant that
//! benefits from a reservation with unused seats takes them first (its registration records that
//! reservation as [`proto::registration::session::Registered::reserved`]); when several benefit
//! it, the one reserved first is used.
//!
//! A reservation is everyone's again once its deadline passed: [`SeatsCommand::ReleaseExpired`]
//! releases it, and so does any decision that knows the time ([`SeatsCommand::Register`],
//! [`SeatsCommand::Cancel`]) before anything else, so that the waiting list gets those seats
//! before a newcomer. Decisions without a time ([`SeatsCommand::SetCapacity`],
//! [`SeatsCommand::Reserve`]) count every reservation not released yet.
//!
//! # The waiting list
//! A registration that does not fit waits, in arrival order; a group waits whole. Whenever seats
//! are freed (a cancellation, a raised capacity, a released or smaller reservation) the list is
//! walked from its head and **every entry that fits what is available to it is promoted, in
//! order; an entry that does not fit keeps its place, and smaller entries behind it may pass**.
//! This is the rule the organisers were promised: a class of 25 waiting while 3 seats are free
//! keeps its place at the head, and the person behind it takes one of the 3.
//!
//! When the capacity is lowered below the confirmed seats, the most recently confirmed
//! registrations (a promotion counts as a confirmation at that time) are demoted, whole, until
//! the confirmed seats fit; they go back to the **head** of the waiting list, the earliest
//! confirmed of them first. The waiting list is then walked as above; a demoted registration it
//! would take straight back (a person demoted before an older group, who fits once the group is
//! demoted) simply keeps its seats.
//!
//! After every decision, no waiting entry fits the seats available to it.
//!
//! ```text
//! Register ─┬─> Confirmed ─┬─> Cancelled (partner, organiser, overlap)
//!           │      ▲       ├─> Demoted ──> waiting (head)
//!           │      │       └─> CheckedIn
//!           └─> Waitlisted ─┬─> Promoted ──> confirmed
//!                           └─> Cancelled
//! ```

use proto::refusal::RefusalKind;
use std::collections::VecDeque;

use imbl::{OrdMap, OrdSet};

use decider::Decider;
use jiff::Timestamp;
use proto::registration::session::{
    Cancelled, CapacitySet, CheckedIn, Ended, Event, Registered, Registration, Rescheduled,
    SessionCancelled,
};
use proto::registration::{
    Attendee, Beneficiary, CancelledBy, ParticipantId, Profile, RegistrationId, Reservation,
    SealedIdentity, SessionFacts,
};
use proto::taxonomy::Audience;
use proto::values::{PartnerId, Reason};
use serde::{Deserialize, Serialize};

/// The decider of a session's seats.
#[derive(Debug, Clone, Copy)]
pub struct Seats;

/// What can be asked of a session's seats. Each variant carries the outside facts its decision
/// needs, looked up by the shell, and the current time when the decision depends on it: the
/// domain never reads a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatsCommand {
    /// Opens the seats or changes their capacity, from the venue's answers (sent by a reactor on
    /// the venues' and scheduling's events).
    SetCapacity {
        /// Seats the venue can host now; 0 when no venue hosts the session.
        capacity: u32,
        /// The session's facts, from the scheduling context.
        facts: SessionFacts,
    },
    /// Keeps seats for a partner or an audience until a deadline; replaces the reservation of
    /// the same beneficiary.
    Reserve {
        /// The seats, for whom, until when.
        reservation: Reservation,
        /// The current time: a deadline already passed is refused.
        now: Timestamp,
    },
    /// Releases the reservations whose deadline passed (sent by a timer).
    ReleaseExpired {
        /// The current time.
        now: Timestamp,
    },
    /// Registers a participant, or a group through its contact.
    Register {
        /// The new registration's id.
        registration: RegistrationId,
        /// The partner registering it: it alone sees and changes it.
        partner: PartnerId,
        /// The participant (a group's contact).
        participant: ParticipantId,
        /// One person or a group.
        attendee: Attendee,
        /// What statistics may know; its audience is checked against the session's restriction.
        profile: Profile,
        /// Name and contacts, sealed by the shell.
        identity: SealedIdentity,
        /// The current time: nobody registers once the session started.
        now: Timestamp,
        /// The waiting list holds at most this many times the session's capacity in seats (the
        /// shell's setting, [`WAITING_LIST_FACTOR`] by default): past it, a registration that
        /// would wait is refused `waiting-list-full` rather than queued behind hundreds.
        waiting_factor: u32,
    },
    /// A partner cancels one of its registrations.
    Cancel {
        /// The registration.
        registration: RegistrationId,
        /// The partner asking: only the one that made the registration may cancel it.
        partner: PartnerId,
        /// The current time: nobody cancels once the session started.
        now: Timestamp,
    },
    /// semaine cancels a registration whose participant is confirmed in an overlapping session
    /// (a promotion found their agenda taken: sent by the agenda process), even once the session
    /// started. Its seats go to the next in line; its partner is told.
    CancelOverlapping {
        /// The registration.
        registration: RegistrationId,
        /// The current time: nothing is cancelled once the session started.
        now: Timestamp,
    },
    /// Records how many of a confirmed registration's seats came, at the door.
    CheckIn {
        /// The registration.
        registration: RegistrationId,
        /// How many came: 1 to its seats.
        present: u32,
    },
    /// The organiser cancelled the session: every registration is cancelled.
    CancelSession {
        /// Why, told to every partner.
        reason: Reason,
    },
    /// The session moved in time (or its restriction changed); registrations are kept.
    Reschedule {
        /// The new facts, from the scheduling context.
        facts: SessionFacts,
    },
    /// Closes the session once it is over, counting no-shows (sent by a timer).
    End {
        /// The current time: at or after the session's end.
        now: Timestamp,
    },
}

/// What a session's seats remember: everything their decisions need. Snapshotted by the shell
/// (the counts derived from the registrations are not stored: they are counted again on read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredSeats")]
pub struct SeatsState {
    /// The session's facts, known once the capacity was set: registrations are refused before
    /// (nothing says when the session is or who it is for).
    pub facts: Option<SessionFacts>,
    /// Seats the venue can host now: confirmed seats never exceed it.
    pub capacity: u32,
    /// Reservations not released yet, in the order they were first made: their unused seats are
    /// kept from everyone they do not benefit.
    pub reservations: Vec<Reservation>,
    /// Why the organiser cancelled the session; `None` while it is not cancelled.
    pub cancelled: Option<Reason>,
    /// Whether the session ended: nothing changes afterwards.
    pub ended: bool,
    /// Every registration ever made here, cancelled ones included: an id is never reused. A
    /// persistent map: the shell's group of decisions shares it with the state it starts from
    /// instead of copying a popular session's thousands of registrations.
    pub registrations: OrdMap<RegistrationId, RegistrationRecord>,
    /// The waiting registrations, head first: the order promotions follow.
    pub waiting: VecDeque<RegistrationId>,
    /// How many confirmations (registrations confirmed or promoted) happened so far: the next
    /// one's [`RegistrationStatus::Confirmed::confirmed_order`]. Demotions follow it backwards.
    pub confirmations: u64,
    /// The seats the confirmed registrations hold, kept as they change: deciding a registration
    /// never walks the session's thousands of registrations to count them.
    #[serde(skip_serializing)]
    confirmed_seats: u32,
    /// The seats the waiting registrations hold, kept as they change: the waiting list's bound
    /// is checked without a walk of it.
    #[serde(skip_serializing)]
    waiting_seats: u64,
    /// The registrations not cancelled, by participant: who is already in, found without a walk.
    #[serde(skip_serializing)]
    active: OrdSet<(ParticipantId, RegistrationId)>,
}

/// A [`SeatsState`] as snapshotted: what it remembers, without the counts derived from it.
#[derive(Deserialize)]
struct StoredSeats {
    facts: Option<SessionFacts>,
    capacity: u32,
    reservations: Vec<Reservation>,
    cancelled: Option<Reason>,
    ended: bool,
    registrations: OrdMap<RegistrationId, RegistrationRecord>,
    waiting: VecDeque<RegistrationId>,
    confirmations: u64,
}

impl From<StoredSeats> for SeatsState {
    fn from(stored: StoredSeats) -> Self {
        let mut state = SeatsState {
            facts: stored.facts,
            capacity: stored.capacity,
            reservations: stored.reservations,
            cancelled: stored.cancelled,
            ended: stored.ended,
            registrations: stored.registrations,
            waiting: stored.waiting,
            confirmations: stored.confirmations,
            confirmed_seats: 0,
            waiting_seats: 0,
            active: OrdSet::new(),
        };
        let ids: Vec<RegistrationId> = state.registrations.keys().copied().collect();
        for id in ids {
            state.count(id);
        }
        state
    }
}

/// One registration, as the seats remember it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// The partner that made it: it alone may cancel it, and it is told of every change.
    pub partner: PartnerId,
    /// The participant (a group's contact): registered at most once at a time per session.
    pub participant: ParticipantId,
    /// One person or a group: how many seats it takes, together.
    pub attendee: Attendee,
    /// What statistics may know; its audience decides which reservations benefit it.
    pub profile: Profile,
    /// Where it stands.
    pub status: RegistrationStatus,
    /// How many of its seats were checked in at the door; 0 until then (a no-show if it stays
    /// so).
    pub checked_in: u32,
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegistrationStatus {
    /// It holds its seats.
    Confirmed {
        /// The reservation whose seats it holds, if any; cleared when that reservation is
        /// released (its seats are then ordinary seats).
        reserved: Option<Beneficiary>,
        /// When it was confirmed, among this session's confirmations (1 for the first): the
        /// most recent are demoted first when the capacity is lowered.
        confirmed_order: u64,
    },
    /// It waits for seats, at its place in [`SeatsState::waiting`].
    Waiting,
    /// It was cancelled; its seats are free.
    Cancelled {
        /// By whom.
        by: CancelledBy,
    },
}

/// Why a session's seats refuse a command. Each variant says what is wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatsRefusal {
    /// No capacity was ever set: the venue has not confirmed hosting the session yet.
    #[error(
        "the session is not open for registration yet: its venue has not confirmed a capacity; \
         try again once it has"
    )]
    NotOpen,
    /// The organiser cancelled the session.
    #[error("the session was cancelled by its organiser; register for another session")]
    SessionCancelled,
    /// The session is over.
    #[error("the session has ended; nothing about its seats can change any more")]
    SessionEnded,
    /// The session already started: registrations and cancellations close at its start.
    #[error(
        "the session started at {starts_at}; registrations and cancellations are accepted until \
         its start only"
    )]
    SessionStarted {
        /// When it started.
        starts_at: Timestamp,
    },
    /// The session is kept for other audiences.
    #[error(
        "this session is kept for {}; {} cannot register",
        audiences_en(.allowed),
        one_of_audience_en(.audience)
    )]
    AudienceNotAllowed {
        /// The registrant's audience.
        audience: Audience,
        /// The audiences the session is kept for.
        allowed: Vec<Audience>,
    },
    /// The participant already holds or waits for seats here.
    #[error(
        "the participant is already registered in this session (registration {registration}); \
         cancel it first to register again"
    )]
    AlreadyRegistered {
        /// Their registration.
        registration: RegistrationId,
    },
    /// The registration id was already used for another registration of this session.
    #[error(
        "registration id {registration} is already used in this session; give a new id to a new \
         registration"
    )]
    RegistrationIdUsed {
        /// The id.
        registration: RegistrationId,
    },
    /// A group of fewer than two.
    #[error("a group takes at least 2 seats, not {size}; register one person instead")]
    GroupTooSmall {
        /// The size given.
        size: u32,
    },
    /// A group that could never fit.
    #[error(
        "a group of {size} cannot register in a session of {capacity} seats: a group takes its \
         seats together; split it or choose a larger session"
    )]
    GroupLargerThanSession {
        /// The group's size.
        size: u32,
        /// The session's capacity.
        capacity: u32,
    },
    /// No such registration in this session.
    #[error("there is no registration {registration} in this session")]
    UnknownRegistration {
        /// The registration asked for.
        registration: RegistrationId,
    },
    /// The registration was made by another partner: a partner sees and changes only its own.
    #[error(
        "registration {registration} was not made by you; a partner may only change its own \
         registrations"
    )]
    NotYourRegistration {
        /// The registration asked for.
        registration: RegistrationId,
    },
    /// Only a confirmed registration is checked in.
    #[error(
        "registration {registration} does not hold confirmed seats; only confirmed registrations \
         are checked in"
    )]
    NotConfirmed {
        /// The registration.
        registration: RegistrationId,
    },
    /// A check-in of nobody.
    #[error(
        "cannot check in 0 people for registration {registration}: at least 1 came, or record \
         nothing"
    )]
    NobodyPresent {
        /// The registration.
        registration: RegistrationId,
    },
    /// More people than the registration's seats.
    #[error(
        "cannot check in {present} people: the registration holds {seats} seats; check in 1 to \
         {seats}"
    )]
    TooManyPresent {
        /// How many were said present.
        present: u32,
        /// The registration's seats.
        seats: u32,
    },
    /// The waiting list is as long as a session may keep.
    #[error(
        "the waiting list already holds {waiting} seats, the most this session keeps ({limit}); \
         choose another session"
    )]
    WaitingListFull {
        /// The seats waiting.
        waiting: u64,
        /// The most it keeps.
        limit: u64,
    },
    /// A reservation whose deadline already passed.
    #[error("the deadline {until} has passed; a reservation keeps seats until a later instant")]
    DeadlinePassed {
        /// The deadline asked.
        until: Timestamp,
    },
    /// A reservation of more seats than the session has.
    #[error(
        "cannot reserve {seats} seats in a session of {capacity}: reserve at most its capacity"
    )]
    ReservationLargerThanSession {
        /// The seats asked.
        seats: u32,
        /// The session's capacity.
        capacity: u32,
    },
    /// A reservation of no seat.
    #[error("cannot reserve 0 seats: a reservation keeps at least 1 seat")]
    ReservationWithoutSeats,
    /// The session is not over yet.
    #[error("the session ends at {ends_at}; it can be closed at or after its end only")]
    NotEnded {
        /// When it ends.
        ends_at: Timestamp,
    },
}

impl SeatsRefusal {
    /// A stable kebab-case code for this refusal, for API clients to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotOpen => "seats-not-open",
            Self::SessionCancelled => "session-cancelled",
            Self::SessionEnded => "session-ended",
            Self::SessionStarted { .. } => "session-started",
            Self::AudienceNotAllowed { .. } => "audience-not-allowed",
            Self::AlreadyRegistered { .. } => "already-registered",
            Self::RegistrationIdUsed { .. } => "registration-id-used",
            Self::GroupTooSmall { .. } => "group-too-small",
            Self::GroupLargerThanSession { .. } => "group-larger-than-session",
            Self::UnknownRegistration { .. } => "unknown-registration",
            Self::NotYourRegistration { .. } => "not-your-registration",
            Self::NotConfirmed { .. } => "registration-not-confirmed",
            Self::NobodyPresent { .. } => "nobody-present",
            Self::TooManyPresent { .. } => "too-many-present",
            Self::WaitingListFull { .. } => "waiting-list-full",
            Self::ReservationWithoutSeats => "reservation-without-seats",
            Self::DeadlinePassed { .. } => "deadline-passed",
            Self::ReservationLargerThanSession { .. } => "reservation-larger-than-session",
            Self::NotEnded { .. } => "session-not-ended",
        }
    }

    /// How a client should read it (see [`RefusalKind`]). Another partner's registration is
    /// unknown to the asker: see [`SeatsRefusal::told_to_others`].
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::UnknownRegistration { .. } | Self::NotYourRegistration { .. } => {
                RefusalKind::Unknown
            }
            Self::NotOpen
            | Self::SessionCancelled
            | Self::SessionEnded
            | Self::SessionStarted { .. }
            | Self::AudienceNotAllowed { .. }
            | Self::AlreadyRegistered { .. }
            | Self::RegistrationIdUsed { .. }
            | Self::GroupLargerThanSession { .. }
            | Self::NotConfirmed { .. }
            | Self::TooManyPresent { .. }
            | Self::WaitingListFull { .. }
            | Self::ReservationLargerThanSession { .. }
            | Self::NotEnded { .. } => RefusalKind::Conflict,
            Self::GroupTooSmall { .. }
            | Self::NobodyPresent { .. }
            | Self::ReservationWithoutSeats
            | Self::DeadlinePassed { .. } => RefusalKind::Invalid,
        }
    }

    /// The refusal as the asking partner is told it: another partner's registration is told
    /// exactly as one that does not exist, so that a partner learns nothing of registrations
    /// that are not its own.
    pub fn told_to_others(&self) -> std::borrow::Cow<'_, Self> {
        match self {
            Self::NotYourRegistration { registration } => {
                std::borrow::Cow::Owned(Self::UnknownRegistration {
                    registration: *registration,
                })
            }
            other => std::borrow::Cow::Borrowed(other),
        }
    }
}

impl Decider for Seats {
    type State = SeatsState;
    type Command = SeatsCommand;
    type Event = Event;
    type Error = SeatsRefusal;

    const STATE_VERSION: u32 = 1;

    fn decide(state: &SeatsState, command: &SeatsCommand) -> Result<Vec<Event>, SeatsRefusal> {
        match command {
            SeatsCommand::SetCapacity { capacity, facts } => {
                Ok(set_capacity(state, *capacity, facts))
            }
            SeatsCommand::Reserve { reservation, now } => reserve(state, reservation, *now),
            SeatsCommand::ReleaseExpired { now } => Ok(release_expired(state, *now)),
            SeatsCommand::Register {
                registration,
                partner,
                participant,
                attendee,
                profile,
                identity,
                now,
                waiting_factor,
            } => register(
                state,
                Registered {
                    registration: *registration,
                    partner: partner.clone(),
                    participant: *participant,
                    attendee: attendee.clone(),
                    profile: profile.clone(),
                    identity: identity.clone(),
                    reserved: None,
                },
                *now,
                *waiting_factor,
            ),
            SeatsCommand::Cancel {
                registration,
                partner,
                now,
            } => cancel(state, *registration, Some(partner), *now),
            SeatsCommand::CancelOverlapping { registration, now } => {
                cancel(state, *registration, None, *now)
            }
            SeatsCommand::CheckIn {
                registration,
                present,
            } => check_in(state, *registration, *present),
            SeatsCommand::CancelSession { reason } => cancel_session(state, reason),
            SeatsCommand::Reschedule { facts } => Ok(match &state.facts {
                Some(known) if known != facts && state.is_open() => {
                    vec![Event::Rescheduled(Rescheduled {
                        facts: facts.clone(),
                    })]
                }
                _ => vec![],
            }),
            SeatsCommand::End { now } => end(state, *now),
        }
    }

    fn evolve(mut state: SeatsState, event: &Event) -> SeatsState {
        match event {
            Event::CapacitySet(set) => {
                state.capacity = set.capacity;
                state.facts = Some(set.facts.clone());
            }
            Event::SeatsReserved(reservation) => {
                match state
                    .reservations
                    .iter_mut()
                    .find(|kept| kept.beneficiary == reservation.beneficiary)
                {
                    Some(kept) => *kept = reservation.clone(),
                    None => state.reservations.push(reservation.clone()),
                }
            }
            Event::ReservationReleased(beneficiary) => {
                state
                    .reservations
                    .retain(|kept| &kept.beneficiary != beneficiary);
                let holding: Vec<RegistrationId> = state
                    .registrations
                    .iter()
                    .filter(|(_, record)| record.holds_reserved(beneficiary))
                    .map(|(id, _)| *id)
                    .collect();
                for id in holding {
                    if let Some(RegistrationRecord {
                        status: RegistrationStatus::Confirmed { reserved, .. },
                        ..
                    }) = state.registrations.get_mut(&id)
                    {
                        *reserved = None;
                    }
                }
            }
            Event::Confirmed(registered) => {
                state.confirmations += 1;
                let status = RegistrationStatus::Confirmed {
                    reserved: registered.reserved.clone(),
                    confirmed_order: state.confirmations,
                };
                state.uncount(registered.registration);
                state.registrations.insert(
                    registered.registration,
                    RegistrationRecord::new(registered, status),
                );
                state.count(registered.registration);
            }
            Event::Waitlisted(registered) => {
                state.uncount(registered.registration);
                state.registrations.insert(
                    registered.registration,
                    RegistrationRecord::new(registered, RegistrationStatus::Waiting),
                );
                state.count(registered.registration);
                state.waiting.push_back(registered.registration);
            }
            Event::Promoted(promoted) => {
                state.waiting.retain(|id| *id != promoted.registration);
                let reserved = state
                    .registrations
                    .get(&promoted.registration)
                    .and_then(|record| state.reservation_used_by(record));
                state.uncount(promoted.registration);
                if let Some(record) = state.registrations.get_mut(&promoted.registration) {
                    state.confirmations += 1;
                    record.status = RegistrationStatus::Confirmed {
                        reserved,
                        confirmed_order: state.confirmations,
                    };
                }
                state.count(promoted.registration);
            }
            Event::Demoted(demoted) => {
                state.uncount(demoted.registration);
                if let Some(record) = state.registrations.get_mut(&demoted.registration) {
                    record.status = RegistrationStatus::Waiting;
                    // The most recent confirmation is demoted first, so pushing each one to the
                    // front leaves the earliest confirmed of them at the head.
                    state.waiting.push_front(demoted.registration);
                }
                state.count(demoted.registration);
            }
            Event::Cancelled(cancelled) => {
                state.waiting.retain(|id| *id != cancelled.registration);
                state.uncount(cancelled.registration);
                if let Some(record) = state.registrations.get_mut(&cancelled.registration) {
                    record.status = RegistrationStatus::Cancelled { by: cancelled.by };
                }
                state.count(cancelled.registration);
            }
            Event::CheckedIn(checked_in) => {
                if let Some(record) = state.registrations.get_mut(&checked_in.registration) {
                    record.checked_in = checked_in.present;
                }
            }
            Event::Rescheduled(rescheduled) => state.facts = Some(rescheduled.facts.clone()),
            Event::SessionCancelled(cancelled) => state.cancelled = Some(cancelled.reason.clone()),
            Event::Ended(_) => state.ended = true,
        }
        state
    }
}

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
fn set_capacity(state: &SeatsState, capacity: u32, facts: &SessionFacts) -> Vec<Event> {
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
fn reserve(
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
fn release_expired(state: &SeatsState, now: Timestamp) -> Vec<Event> {
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
fn register(
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
fn cancel(
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
fn check_in(
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
fn cancel_session(state: &SeatsState, reason: &Reason) -> Result<Vec<Event>, SeatsRefusal> {
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
fn end(state: &SeatsState, now: Timestamp) -> Result<Vec<Event>, SeatsRefusal> {
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

impl SeatsState {
    /// Whether registrations are taken: the capacity was set at least once (the session's facts
    /// are known) and the session is neither cancelled nor ended. A capacity of 0 is open: every
    /// registration waits.
    pub fn is_open(&self) -> bool {
        self.facts.is_some() && self.cancelled.is_none() && !self.ended
    }

    /// The seats held by confirmed registrations.
    pub fn confirmed_seats(&self) -> u32 {
        self.confirmed_seats
    }

    /// The participant's registration that is not cancelled, if any.
    pub fn active_registration_of(&self, participant: ParticipantId) -> Option<RegistrationId> {
        self.active_registrations_of(participant).next()
    }

    /// The participant's registrations that are not cancelled (one at most, as decided here;
    /// the index says so without a walk over the session's registrations).
    pub fn active_registrations_of(
        &self,
        participant: ParticipantId,
    ) -> impl Iterator<Item = RegistrationId> + '_ {
        self.active
            .range((participant, RegistrationId(Default::default()))..)
            .take_while(move |(found, _)| *found == participant)
            .map(|(_, registration)| *registration)
    }

    /// Adds the registration's part to the counts derived from the registrations.
    fn count(&mut self, id: RegistrationId) {
        if let Some(record) = self.registrations.get(&id) {
            if record.is_confirmed() {
                self.confirmed_seats = self.confirmed_seats.saturating_add(record.seats());
            }
            if record.status == RegistrationStatus::Waiting {
                self.waiting_seats += u64::from(record.seats());
            }
            if record.is_active() {
                self.active.insert((record.participant, id));
            }
        }
    }

    /// Takes the registration's part out of the counts, before it changes.
    fn uncount(&mut self, id: RegistrationId) {
        if let Some(record) = self.registrations.get(&id) {
            if record.is_confirmed() {
                self.confirmed_seats = self.confirmed_seats.saturating_sub(record.seats());
            }
            if record.status == RegistrationStatus::Waiting {
                self.waiting_seats = self.waiting_seats.saturating_sub(u64::from(record.seats()));
            }
            self.active.remove(&(record.participant, id));
        }
    }

    /// The capacity minus the confirmed seats: the seats not held by anyone, reserved ones
    /// included (see [`SeatsState::available_to`] for what a registrant may take).
    pub fn seats_left(&self) -> u32 {
        self.capacity.saturating_sub(self.confirmed_seats())
    }

    /// The seats the waiting list holds (a group counts its size).
    pub fn waiting_seats(&self) -> u64 {
        self.waiting_seats
    }

    /// The waiting registrations, head first.
    pub fn waiting_list(&self) -> Vec<RegistrationId> {
        self.waiting.iter().copied().collect()
    }

    /// A registration, whatever its status.
    pub fn registration(&self, id: RegistrationId) -> Option<&RegistrationRecord> {
        self.registrations.get(&id)
    }

    /// The seats not used yet of the reservation kept for `beneficiary`, if there is one: its
    /// seats minus those of the confirmed registrations holding them.
    pub fn unused_reserved(&self, beneficiary: &Beneficiary) -> Option<u32> {
        self.reservations
            .iter()
            .find(|reservation| &reservation.beneficiary == beneficiary)
            .map(|reservation| self.unused(reservation))
    }

    /// The seats a registrant of `partner` and `audience` may take: the capacity, minus the
    /// confirmed seats, minus the unused seats of every reservation that does not benefit it.
    pub fn available_to(&self, partner: &PartnerId, audience: Audience) -> u32 {
        let kept_from_it: u64 = self
            .reservations
            .iter()
            .filter(|reservation| !benefits(&reservation.beneficiary, partner, audience))
            .map(|reservation| u64::from(self.unused(reservation)))
            .sum();
        let available = u64::from(self.capacity)
            .saturating_sub(u64::from(self.confirmed_seats()))
            .saturating_sub(kept_from_it);
        u32::try_from(available).unwrap_or(u32::MAX)
    }

    /// The confirmed registrations, with their confirmation order.
    fn confirmed(&self) -> impl Iterator<Item = (RegistrationId, &RegistrationRecord, u64)> {
        self.registrations
            .iter()
            .filter_map(|(id, record)| match record.status {
                RegistrationStatus::Confirmed {
                    confirmed_order, ..
                } => Some((*id, record, confirmed_order)),
                _ => None,
            })
    }

    /// The unused seats of `reservation`.
    fn unused(&self, reservation: &Reservation) -> u32 {
        let used: u32 = self
            .confirmed()
            .filter(|(_, record, _)| {
                matches!(&record.status, RegistrationStatus::Confirmed { reserved: Some(b), .. }
                    if *b == reservation.beneficiary)
            })
            .map(|(_, record, _)| record.seats())
            .sum();
        reservation.seats.saturating_sub(used)
    }

    /// The reservation a registrant of `partner` and `audience` takes seats of, if one benefits
    /// it and has unused seats: the first reserved.
    fn reservation_for(&self, partner: &PartnerId, audience: Audience) -> Option<Beneficiary> {
        self.reservations
            .iter()
            .find(|reservation| {
                benefits(&reservation.beneficiary, partner, audience)
                    && self.unused(reservation) > 0
            })
            .map(|reservation| reservation.beneficiary.clone())
    }

    /// The reservation a waiting registration promoted now takes seats of.
    fn reservation_used_by(&self, record: &RegistrationRecord) -> Option<Beneficiary> {
        self.reservation_for(&record.partner, record.profile.audience)
    }

    /// The session's facts, if it is open; else why not.
    fn open_facts(&self) -> Result<&SessionFacts, SeatsRefusal> {
        if self.cancelled.is_some() {
            return Err(SeatsRefusal::SessionCancelled);
        }
        if self.ended {
            return Err(SeatsRefusal::SessionEnded);
        }
        self.facts.as_ref().ok_or(SeatsRefusal::NotOpen)
    }
}

impl RegistrationRecord {
    /// A new record of `registered`, with `status`.
    fn new(registered: &Registered, status: RegistrationStatus) -> Self {
        Self {
            partner: registered.partner.clone(),
            participant: registered.participant,
            attendee: registered.attendee.clone(),
            profile: registered.profile.clone(),
            status,
            checked_in: 0,
        }
    }

    /// How many seats it takes.
    pub fn seats(&self) -> u32 {
        self.attendee.seats()
    }

    /// Whether it holds its seats.
    pub fn is_confirmed(&self) -> bool {
        matches!(self.status, RegistrationStatus::Confirmed { .. })
    }

    /// Whether it holds or waits for seats (it is not cancelled).
    pub fn is_active(&self) -> bool {
        !matches!(self.status, RegistrationStatus::Cancelled { .. })
    }

    /// Whether it holds seats of the reservation for `beneficiary`.
    fn holds_reserved(&self, beneficiary: &Beneficiary) -> bool {
        matches!(&self.status, RegistrationStatus::Confirmed { reserved: Some(kept), .. } if kept == beneficiary)
    }
}

/// Whether a reservation for `beneficiary` benefits a registrant of `partner` and `audience`.
fn benefits(beneficiary: &Beneficiary, partner: &PartnerId, audience: Audience) -> bool {
    match beneficiary {
        Beneficiary::Partner { partner: kept_for } => kept_for == partner,
        Beneficiary::Audience { audience: kept_for } => *kept_for == audience,
    }
}

/// Audiences in English, for messages: "pupils", "pupils and students", "pupils, students or
/// professionals".
fn audiences_en(audiences: &[Audience]) -> String {
    let names: Vec<&str> = audiences.iter().map(|a| audience_en(*a).0).collect();
    match names.as_slice() {
        [] => "nobody".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// One member of an audience, in English, for messages: "a job seeker".
fn one_of_audience_en(audience: &Audience) -> &'static str {
    audience_en(*audience).1
}

/// An audience in English: its plural, and one member.
fn audience_en(audience: Audience) -> (&'static str, &'static str) {
    match audience {
        Audience::JobSeekers => ("job seekers", "a job seeker"),
        Audience::YoungPeople => ("young people (16 to 25)", "a young person"),
        Audience::Pupils => ("pupils", "a pupil"),
        Audience::Students => ("students", "a student"),
        Audience::Professionals => ("professionals of the sector", "a professional"),
        Audience::CareerChangers => ("people changing career", "a person changing career"),
        Audience::GeneralPublic => ("the general public", "a member of the general public"),
    }
}
