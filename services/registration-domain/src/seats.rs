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
//!
//! # Layout
//! - this file: the commands ([`SeatsCommand`]), the refusals ([`SeatsRefusal`]) and the
//!   [`Decider`] (which decision answers which command, and how each event folds);
//! - `state`: what the seats remember ([`SeatsState`], [`RegistrationRecord`]) and what they
//!   tell of it (the seats available to a registrant, the waiting list, the counts kept);
//! - `decide`: the decisions, one function per command, and the waiting list's walk they share.

mod decide;
mod state;

use proto::refusal::RefusalKind;

pub use decide::{WAITING_LIST_FACTOR, WAITING_LIST_FLOOR, waiting_limit};
pub use state::{RegistrationRecord, RegistrationStatus, SeatsState};

use decide::{
    cancel, cancel_session, check_in, end, register, release_expired, reserve, set_capacity,
};
use decider::Decider;
use jiff::Timestamp;
use proto::registration::session::{Event, Registered, Rescheduled};
use proto::registration::{
    Attendee, ParticipantId, Profile, RegistrationId, Reservation, SealedIdentity, SessionFacts,
};
use proto::taxonomy::Audience;
use proto::values::{PartnerId, Reason};

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
