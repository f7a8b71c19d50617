//! The venue-logistics domain: a venue describes its rooms and hours, and answers the hosting
//! requests semaine sends it. Pure: no I/O, no clock, no async.
//!
//! One venue is one aggregate, so "a room never hosts two overlapping sessions" is decided by a
//! single fold of a single history: two confirmations that arrive at once are serialised by the
//! shell's optimistic append, and the second one is decided against a state that already holds
//! the first.
//!
//! A hosting request goes through these statuses:
//!
//! ```text
//!                 ┌─> Refused(why)          (checked on arrival: room, times, closed, hours)
//! RequestHosting ─┤
//!                 └─> Pending ─┬─> Confirmed { capacity } ─┬─> Confirmed { other capacity }
//!                              │                           └─> Withdrawn
//!                              └─> Declined
//! any status ── ReleaseHosting ──> Released     (the session was cancelled or moved elsewhere)
//! any status ── RequestHosting with a higher number ──> replaced by the new request
//! ```
//!
//! # Layout
//! - [`Venue`]: the [`decider::Decider`]; `decide` and `evolve` of every command and event of
//!   [`proto::venues`].
//! - [`VenueState`]: what the venue remembers: its [`VenueDetails`] once registered, and one
//!   [`Hosting`] per session it was asked to host, with its [`HostingStatus`].
//! - [`VenueRefusal`]: why a command is refused, with a stable [`VenueRefusal::code`].
//!
//! This file holds the decider, its refusals and its decisions; `state` holds what the venue
//! remembers and what it tells of it (whether a request fits its rooms, hours and closed days).

mod state;

pub use state::{Hosting, HostingStatus, VenueDetails, VenueState};

use std::collections::BTreeMap;

use decider::Decider;
use proto::refusal::RefusalKind;
use proto::values::{RoomId, SessionId};
use proto::venues::{
    ClosedPeriod, Command, Event, HostingCapacity, HostingEnded, HostingRefused, HostingReleased,
    OpeningHours, OpeningHoursSet, Register, RequestHosting, Weekday,
};

/// The venue aggregate: its rules, as a [`Decider`].
pub struct Venue;

/// The largest room a venue registers: a congress hall; a stadium is not a venue of a week.
pub const MAX_ROOM_CAPACITY: u32 = 5_000;

/// Why a command is refused. Each variant says what is wrong and what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueRefusal {
    /// The venue must register before anything else.
    #[error(
        "the venue is not registered: register it before setting hours, closed periods or \
         answering hosting requests"
    )]
    NotRegistered,
    /// The venue registers once.
    #[error(
        "cannot register the venue: it is already registered; set its opening hours or add a \
         closed period instead"
    )]
    AlreadyRegistered,
    /// A venue without rooms cannot host anything.
    #[error("cannot register a venue without rooms: give at least one room")]
    NoRooms,
    /// Two rooms share an id.
    #[error("cannot register the venue: room `{room}` is listed twice; room ids are unique")]
    DuplicateRoom {
        /// The repeated id.
        room: RoomId,
    },
    /// A room larger than any venue of a week holds (a typing mistake: 25000 for 250).
    #[error(
        "cannot register room `{room}` with a maximum capacity of {max_capacity}: a room holds \
         at most {MAX_ROOM_CAPACITY}"
    )]
    RoomTooLarge {
        /// The room.
        room: RoomId,
        /// The capacity asked.
        max_capacity: u32,
    },
    /// A room that holds nobody.
    #[error("cannot register room `{room}` with a maximum capacity of 0: a room holds at least 1")]
    RoomWithoutCapacity {
        /// The room.
        room: RoomId,
    },
    /// An opening span that closes before (or when) it opens.
    #[error(
        "cannot open on {day:?} from {opens} to {closes}: a span must close after it opens \
         (give two spans for a lunch break, and none across midnight)"
    )]
    OpeningSpanInverted {
        /// The day.
        day: Weekday,
        /// Opens at.
        opens: jiff::civil::Time,
        /// Closes at, not after `opens`.
        closes: jiff::civil::Time,
    },
    /// A closed period that ends before it starts.
    #[error(
        "cannot close from {from} to {to}: a closed period's last day is on or after its first"
    )]
    ClosedPeriodInverted {
        /// First day.
        from: jiff::civil::Date,
        /// Last day, before `from`.
        to: jiff::civil::Date,
    },
    /// No request was made for this session at this venue.
    #[error("no hosting was requested for session {session} at this venue")]
    UnknownSession {
        /// The session.
        session: SessionId,
    },
    /// New hours or closed days would leave confirmed sessions outside them.
    #[error(
        "cannot change the hours or close these days: {} confirmed session(s) fall outside them \
         ({sessions:?}); withdraw them first", sessions.len()
    )]
    ConfirmedSessionsAffected {
        /// The confirmed sessions affected.
        sessions: Vec<SessionId>,
    },
    /// A request names a session id this venue already knows for another event. Session ids
    /// are chosen by the organisers' tools; two events must not share one.
    #[error(
        "session {session} is already requested here for event {event}; a session id belongs to \
         one event"
    )]
    SessionOfAnotherEvent {
        /// The session.
        session: SessionId,
        /// The event this venue knows it for.
        event: proto::values::EventId,
    },
    /// The venue answers a request that was replaced since: the session moved.
    #[error(
        "cannot answer request {answered} of session {session}: it was replaced by request \
         {current} (the session moved); answer the current request"
    )]
    RequestReplaced {
        /// The session.
        session: SessionId,
        /// The request answered.
        answered: u32,
        /// The current request.
        current: u32,
    },
    /// The request's room is not one of the venue's rooms. Rooms are never removed today, so a
    /// pending request always has its room; kept so that would be a refusal, not a panic.
    #[error("room `{room}` is not a room of this venue")]
    UnknownRoom {
        /// The room.
        room: RoomId,
    },
    /// Only a pending request can be confirmed or declined.
    #[error(
        "cannot confirm or decline session {session}: its request is {status}; only a pending \
         request can be confirmed or declined"
    )]
    NotPending {
        /// The session.
        session: SessionId,
        /// Where its request stands.
        status: HostingStatus,
    },
    /// The request is already confirmed with another capacity.
    #[error(
        "cannot confirm {asked} seats for session {session}: it is already confirmed with \
         {confirmed} seats; change the capacity instead"
    )]
    AlreadyConfirmed {
        /// The session.
        session: SessionId,
        /// The capacity confirmed.
        confirmed: u32,
        /// The capacity asked now.
        asked: u32,
    },
    /// Only a confirmed hosting can change its capacity or be withdrawn.
    #[error(
        "cannot change the capacity of or withdraw from session {session}: its request is \
         {status}; only a confirmed hosting can"
    )]
    NotConfirmed {
        /// The session.
        session: SessionId,
        /// Where its request stands.
        status: HostingStatus,
    },
    /// A capacity of nobody.
    #[error("cannot confirm 0 seats: a capacity is at least 1 (decline or withdraw instead)")]
    ZeroCapacity,
    /// More seats than the room holds.
    #[error("cannot confirm {asked} seats: room `{room}` holds at most {max}")]
    CapacityAboveRoomMaximum {
        /// The room.
        room: RoomId,
        /// Its maximum capacity.
        max: u32,
        /// The capacity asked.
        asked: u32,
    },
    /// The room is confirmed for another session at an overlapping time.
    #[error(
        "cannot confirm: room `{room}` is already confirmed for session {session} at an \
         overlapping time; decline, or withdraw the other session first"
    )]
    RoomAlreadyTaken {
        /// The room.
        room: RoomId,
        /// The session holding it.
        session: SessionId,
    },
}

impl VenueRefusal {
    /// A stable kebab-case code for this refusal, for API clients to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotRegistered => "venue-not-registered",
            Self::AlreadyRegistered => "venue-already-registered",
            Self::NoRooms => "venue-without-rooms",
            Self::DuplicateRoom { .. } => "duplicate-room",
            Self::RoomWithoutCapacity { .. } => "room-without-capacity",
            Self::RoomTooLarge { .. } => "room-too-large",
            Self::OpeningSpanInverted { .. } => "opening-span-inverted",
            Self::ClosedPeriodInverted { .. } => "closed-period-inverted",
            Self::UnknownSession { .. } => "unknown-session",
            Self::RequestReplaced { .. } => "hosting-request-replaced",
            Self::SessionOfAnotherEvent { .. } => "session-of-another-event",
            Self::ConfirmedSessionsAffected { .. } => "confirmed-sessions-affected",
            Self::UnknownRoom { .. } => "unknown-room",
            Self::NotPending { .. } => "hosting-not-pending",
            Self::AlreadyConfirmed { .. } => "hosting-already-confirmed",
            Self::NotConfirmed { .. } => "hosting-not-confirmed",
            Self::ZeroCapacity => "capacity-zero",
            Self::CapacityAboveRoomMaximum { .. } => "capacity-above-room-maximum",
            Self::RoomAlreadyTaken { .. } => "room-already-taken",
        }
    }

    /// How a client should read it (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::NotRegistered | Self::UnknownSession { .. } | Self::UnknownRoom { .. } => {
                RefusalKind::Unknown
            }
            Self::AlreadyRegistered
            | Self::RequestReplaced { .. }
            | Self::SessionOfAnotherEvent { .. }
            | Self::ConfirmedSessionsAffected { .. }
            | Self::NotPending { .. }
            | Self::AlreadyConfirmed { .. }
            | Self::NotConfirmed { .. }
            | Self::CapacityAboveRoomMaximum { .. }
            | Self::RoomAlreadyTaken { .. } => RefusalKind::Conflict,
            Self::NoRooms
            | Self::DuplicateRoom { .. }
            | Self::RoomWithoutCapacity { .. }
            | Self::RoomTooLarge { .. }
            | Self::OpeningSpanInverted { .. }
            | Self::ClosedPeriodInverted { .. }
            | Self::ZeroCapacity => RefusalKind::Invalid,
        }
    }
}

impl Decider for Venue {
    type State = VenueState;
    type Command = Command;
    type Event = Event;
    type Error = VenueRefusal;

    const STATE_VERSION: u32 = 1;

    fn decide(state: &VenueState, command: &Command) -> Result<Vec<Event>, VenueRefusal> {
        match command {
            Command::Register(register) => register_venue(state, register),
            Command::SetOpeningHours { opening_hours } => {
                let details = state.registered()?;
                check_opening_hours(opening_hours)?;
                state.keeps_confirmed_sessions(&VenueDetails {
                    opening_hours: opening_hours.clone(),
                    ..details.clone()
                })?;
                Ok(vec![Event::OpeningHoursSet(OpeningHoursSet {
                    opening_hours: opening_hours.clone(),
                })])
            }
            Command::AddClosedPeriod(period) => {
                let details = state.registered()?;
                check_closed_period(period)?;
                let mut closed = details.clone();
                closed.closed_periods.push(period.clone());
                state.keeps_confirmed_sessions(&closed)?;
                Ok(vec![Event::ClosedPeriodAdded(period.clone())])
            }
            Command::RequestHosting(request) => request_hosting(state, request),
            Command::ConfirmCapacity {
                session,
                request,
                capacity,
            } => confirm_capacity(state, *session, *request, *capacity),
            Command::Decline {
                session,
                request,
                reason,
            } => {
                let hosting = state.answered(*session, *request)?;
                match &hosting.status {
                    HostingStatus::Declined => Ok(vec![]),
                    HostingStatus::Pending => Ok(vec![Event::HostingDeclined(HostingEnded {
                        session: *session,
                        event: hosting.event,
                        request: hosting.request,
                        reason: reason.clone(),
                    })]),
                    status => Err(VenueRefusal::NotPending {
                        session: *session,
                        status: status.clone(),
                    }),
                }
            }
            Command::ChangeCapacity {
                session,
                request,
                capacity,
            } => {
                let hosting = state.answered(*session, *request)?;
                match &hosting.status {
                    HostingStatus::Confirmed { capacity: now } if now == capacity => Ok(vec![]),
                    HostingStatus::Confirmed { .. } => {
                        state.check_capacity(hosting, *capacity)?;
                        Ok(vec![Event::HostingCapacityChanged(HostingCapacity {
                            session: *session,
                            event: hosting.event,
                            request: hosting.request,
                            capacity: *capacity,
                        })])
                    }
                    status => Err(VenueRefusal::NotConfirmed {
                        session: *session,
                        status: status.clone(),
                    }),
                }
            }
            Command::Withdraw {
                session,
                request,
                reason,
            } => {
                let hosting = state.answered(*session, *request)?;
                match &hosting.status {
                    HostingStatus::Withdrawn => Ok(vec![]),
                    HostingStatus::Confirmed { .. } => {
                        Ok(vec![Event::HostingWithdrawn(HostingEnded {
                            session: *session,
                            event: hosting.event,
                            request: hosting.request,
                            reason: reason.clone(),
                        })])
                    }
                    status => Err(VenueRefusal::NotConfirmed {
                        session: *session,
                        status: status.clone(),
                    }),
                }
            }
            Command::ReleaseHosting { session, request } => Ok(match state.hosting(*session) {
                Some(hosting)
                    if hosting.request == *request && hosting.status != HostingStatus::Released =>
                {
                    vec![Event::HostingReleased(HostingReleased {
                        session: *session,
                        request: *request,
                    })]
                }
                _ => vec![],
            }),
        }
    }

    fn evolve(mut state: VenueState, event: &Event) -> VenueState {
        match event {
            Event::Registered(registered) => {
                state.details = Some(VenueDetails::from(registered.as_ref()));
            }
            Event::OpeningHoursSet(set) => {
                if let Some(details) = &mut state.details {
                    details.opening_hours = set.opening_hours.clone();
                }
            }
            Event::ClosedPeriodAdded(period) => {
                if let Some(details) = &mut state.details {
                    details.closed_periods.push(period.clone());
                }
            }
            Event::HostingRequested(request) => {
                state
                    .requests
                    .insert(request.session, Hosting::from(request));
            }
            Event::HostingRefused(refused) => state.set_status(
                refused.session,
                refused.request,
                HostingStatus::Refused(refused.refusal.clone()),
            ),
            Event::HostingConfirmed(confirmed) | Event::HostingCapacityChanged(confirmed) => state
                .set_status(
                    confirmed.session,
                    confirmed.request,
                    HostingStatus::Confirmed {
                        capacity: confirmed.capacity,
                    },
                ),
            Event::HostingDeclined(ended) => {
                state.set_status(ended.session, ended.request, HostingStatus::Declined);
            }
            Event::HostingWithdrawn(ended) => {
                state.set_status(ended.session, ended.request, HostingStatus::Withdrawn);
            }
            Event::HostingReleased(released) => {
                state.set_status(released.session, released.request, HostingStatus::Released);
            }
        }
        state
    }
}

/// Registers the venue, once, with at least one room and well-formed hours and closed periods.
fn register_venue(state: &VenueState, register: &Register) -> Result<Vec<Event>, VenueRefusal> {
    if state.is_registered() {
        return Err(VenueRefusal::AlreadyRegistered);
    }
    if register.rooms.is_empty() {
        return Err(VenueRefusal::NoRooms);
    }
    let mut seen = BTreeMap::new();
    for room in &register.rooms {
        if seen.insert(&room.id, ()).is_some() {
            return Err(VenueRefusal::DuplicateRoom {
                room: room.id.clone(),
            });
        }
        if room.max_capacity == 0 {
            return Err(VenueRefusal::RoomWithoutCapacity {
                room: room.id.clone(),
            });
        }
        if room.max_capacity > MAX_ROOM_CAPACITY {
            return Err(VenueRefusal::RoomTooLarge {
                room: room.id.clone(),
                max_capacity: room.max_capacity,
            });
        }
    }
    check_opening_hours(&register.opening_hours)?;
    for period in &register.closed_periods {
        check_closed_period(period)?;
    }
    Ok(vec![Event::Registered(Box::new(register.clone()))])
}

/// Every span closes after it opens. Spans of the same day may overlap: a request only needs to
/// fit in one of them.
fn check_opening_hours(hours: &[OpeningHours]) -> Result<(), VenueRefusal> {
    match hours.iter().find(|span| span.opens >= span.closes) {
        Some(span) => Err(VenueRefusal::OpeningSpanInverted {
            day: span.day,
            opens: span.opens,
            closes: span.closes,
        }),
        None => Ok(()),
    }
}

/// A closed period's last day is on or after its first.
fn check_closed_period(period: &ClosedPeriod) -> Result<(), VenueRefusal> {
    if period.from > period.to {
        return Err(VenueRefusal::ClosedPeriodInverted {
            from: period.from,
            to: period.to,
        });
    }
    Ok(())
}

/// Records a new request (a stale or repeated one is ignored), refused at once if the venue
/// could not host it whatever it answered.
fn request_hosting(
    state: &VenueState,
    request: &RequestHosting,
) -> Result<Vec<Event>, VenueRefusal> {
    let details = state.registered()?;
    if let Some(known) = state.hosting(request.session) {
        if known.event != request.event {
            return Err(VenueRefusal::SessionOfAnotherEvent {
                session: request.session,
                event: known.event,
            });
        }
        if request.request <= known.request {
            return Ok(vec![]);
        }
    }
    let mut events = vec![Event::HostingRequested(request.clone())];
    if let Some(refusal) = details.refusal_for(request) {
        events.push(Event::HostingRefused(HostingRefused {
            session: request.session,
            event: request.event,
            request: request.request,
            refusal,
        }));
    }
    Ok(events)
}

/// Confirms a pending request's capacity, if the room holds it and is free at that time.
fn confirm_capacity(
    state: &VenueState,
    session: SessionId,
    request: u32,
    capacity: u32,
) -> Result<Vec<Event>, VenueRefusal> {
    let hosting = state.answered(session, request)?;
    match hosting.status {
        HostingStatus::Pending => {}
        HostingStatus::Confirmed { capacity: now } if now == capacity => return Ok(vec![]),
        HostingStatus::Confirmed { capacity: now } => {
            return Err(VenueRefusal::AlreadyConfirmed {
                session,
                confirmed: now,
                asked: capacity,
            });
        }
        ref status => {
            return Err(VenueRefusal::NotPending {
                session,
                status: status.clone(),
            });
        }
    }
    state.check_capacity(hosting, capacity)?;
    if let Some((other, _)) = state
        .confirmed_in(&hosting.room)
        .find(|(other, taken)| *other != session && taken.overlaps(hosting))
    {
        return Err(VenueRefusal::RoomAlreadyTaken {
            room: hosting.room.clone(),
            session: other,
        });
    }
    Ok(vec![Event::HostingConfirmed(HostingCapacity {
        session,
        event: hosting.event,
        request: hosting.request,
        capacity,
    })])
}
