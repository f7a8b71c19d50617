//! What a venue remembers ([`VenueState`]): its details once registered ([`VenueDetails`]) and
//! one [`Hosting`] per session it was asked to host; and what it tells of it: whether a request
//! fits its rooms, opening hours and closed days, and which confirmed sessions take a room.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use proto::values::{EventId, RoomId, SessionId, TimeZoneName};
use proto::venues::{
    ClosedPeriod, HostingRefusal, OpeningHours, Register, RequestHosting, Weekday,
};
use serde::{Deserialize, Serialize};

use crate::VenueRefusal;

/// What a venue remembers: everything its decisions need. Snapshotted by the shell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VenueState {
    /// The registration as it stands today; `None` until the venue registers, and every command
    /// but registering is refused until then.
    pub details: Option<VenueDetails>,
    /// The latest request for each session the venue was asked to host, whatever its status: the
    /// request number tells a stale request from a new one, and confirmed requests are what the
    /// overlap rule checks against.
    pub requests: BTreeMap<SessionId, Hosting>,
}

/// The part of a registration that decisions need; the rest (name, address, contact,
/// accessibility, equipment) lives in the events for read models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueDetails {
    /// Each room's maximum capacity: a confirmed capacity never exceeds it.
    pub rooms: BTreeMap<RoomId, u32>,
    /// When the venue is open, in its local time: a request must lie within one span.
    pub opening_hours: Vec<OpeningHours>,
    /// When the venue is closed, in registration then addition order: a request touching one of
    /// these days is refused with the first such period's reason.
    pub closed_periods: Vec<ClosedPeriod>,
    /// The zone its opening hours and closed days are written in, to read requests' instants.
    pub time_zone: TimeZoneName,
}

/// One request to host a session, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosting {
    /// The session's event, for read models that list a venue's programme.
    pub event: EventId,
    /// The request's number: a request with a number at most this one is stale or repeated.
    pub request: u32,
    /// The room asked; its maximum bounds the capacity.
    pub room: RoomId,
    /// Start: with `ends_at`, the time the room is taken once confirmed.
    pub starts_at: Timestamp,
    /// End, exclusive: a session starting at this instant does not overlap.
    pub ends_at: Timestamp,
    /// Seats the organiser wanted; the venue may confirm fewer (or more, up to the room's
    /// maximum).
    pub capacity_wanted: u32,
    /// Where the request stands.
    pub status: HostingStatus,
}

/// Where a hosting request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostingStatus {
    /// Waiting for the venue to confirm a capacity or decline.
    Pending,
    /// Refused on arrival, without asking the venue.
    Refused(HostingRefusal),
    /// The venue hosts the session with this many seats; the room is taken at that time.
    Confirmed {
        /// Seats confirmed, at most the room's maximum.
        capacity: u32,
    },
    /// The venue declined to host it.
    Declined,
    /// The venue withdrew after confirming.
    Withdrawn,
    /// The session was cancelled or moved elsewhere; the room is free again.
    Released,
}

impl VenueState {
    /// Whether the venue has registered.
    pub fn is_registered(&self) -> bool {
        self.details.is_some()
    }

    /// The latest request for `session`, whatever its status.
    pub fn hosting(&self, session: SessionId) -> Option<&Hosting> {
        self.requests.get(&session)
    }

    /// The sessions confirmed in `room`, with their hosting: the times the room is taken.
    pub fn confirmed_in<'a>(
        &'a self,
        room: &'a RoomId,
    ) -> impl Iterator<Item = (SessionId, &'a Hosting)> + 'a {
        self.requests
            .iter()
            .filter(move |(_, hosting)| &hosting.room == room && hosting.is_confirmed())
            .map(|(session, hosting)| (*session, hosting))
    }

    /// The details, or a refusal saying the venue must register first.
    pub(crate) fn registered(&self) -> Result<&VenueDetails, VenueRefusal> {
        self.details.as_ref().ok_or(VenueRefusal::NotRegistered)
    }

    /// The request for `session` of a registered venue, or the refusal saying why there is none.
    fn requested(&self, session: SessionId) -> Result<&Hosting, VenueRefusal> {
        self.registered()?;
        self.hosting(session)
            .ok_or(VenueRefusal::UnknownSession { session })
    }

    /// Refuses new hours or closed days that would leave a confirmed session outside them: the
    /// venue withdraws those sessions first (their organisers and partners are then told).
    pub(crate) fn keeps_confirmed_sessions(
        &self,
        changed: &VenueDetails,
    ) -> Result<(), VenueRefusal> {
        let affected: Vec<SessionId> = self
            .requests
            .iter()
            .filter(|(_, hosting)| hosting.is_confirmed())
            .filter(|(session, hosting)| {
                changed
                    .refusal_for(&hosting.request_for(**session))
                    .is_some()
            })
            .map(|(session, _)| *session)
            .collect();
        if affected.is_empty() {
            Ok(())
        } else {
            Err(VenueRefusal::ConfirmedSessionsAffected { sessions: affected })
        }
    }

    /// The request for `session` the venue answers, if it is still the current one: an answer
    /// to a request replaced since (the session moved) is refused.
    pub(crate) fn answered(
        &self,
        session: SessionId,
        request: u32,
    ) -> Result<&Hosting, VenueRefusal> {
        let hosting = self.requested(session)?;
        if hosting.request != request {
            return Err(VenueRefusal::RequestReplaced {
                session,
                answered: request,
                current: hosting.request,
            });
        }
        Ok(hosting)
    }

    /// A capacity of at least 1 and at most the hosting's room's maximum.
    pub(crate) fn check_capacity(
        &self,
        hosting: &Hosting,
        capacity: u32,
    ) -> Result<(), VenueRefusal> {
        if capacity == 0 {
            return Err(VenueRefusal::ZeroCapacity);
        }
        let max = self
            .registered()?
            .max_capacity(&hosting.room)
            .ok_or_else(|| VenueRefusal::UnknownRoom {
                room: hosting.room.clone(),
            })?;
        if capacity > max {
            return Err(VenueRefusal::CapacityAboveRoomMaximum {
                room: hosting.room.clone(),
                max,
                asked: capacity,
            });
        }
        Ok(())
    }

    /// Sets the status of `session`'s request, if it is still request number `request` (an event
    /// about a replaced request changes nothing).
    pub(crate) fn set_status(&mut self, session: SessionId, request: u32, status: HostingStatus) {
        if let Some(hosting) = self.requests.get_mut(&session)
            && hosting.request == request
        {
            hosting.status = status;
        }
    }
}

impl VenueDetails {
    /// The most people `room` takes, if the venue has it.
    pub fn max_capacity(&self, room: &RoomId) -> Option<u32> {
        self.rooms.get(room).copied()
    }

    /// Why the venue cannot host `request` whatever it answers, if it cannot: the first failing
    /// check of: the room exists, the session ends after it starts, none of its local dates is in
    /// a closed period, and it lies on one local date within one opening span of that weekday.
    ///
    /// Local means in the venue's time zone, with the offset in force on that day (so a session
    /// on the day clocks change is read with the right one). Changing the hours or adding a
    /// closed period does not re-check requests already made.
    pub fn refusal_for(&self, request: &RequestHosting) -> Option<HostingRefusal> {
        if !self.rooms.contains_key(&request.room) {
            return Some(HostingRefusal::UnknownRoom);
        }
        if request.ends_at <= request.starts_at {
            return Some(HostingRefusal::EndsBeforeItStarts);
        }
        let zone = self.time_zone.zone();
        let starts = request.starts_at.to_zoned(zone.clone());
        let ends = request.ends_at.to_zoned(zone.clone());
        // The end is exclusive: the last day the session takes is that of its last instant.
        let last_instant = request
            .ends_at
            .checked_sub(jiff::SignedDuration::from_nanos(1))
            .unwrap_or(request.ends_at)
            .to_zoned(zone);
        let (first_day, last_day) = (starts.date(), last_instant.date());
        if let Some(period) = self
            .closed_periods
            .iter()
            .find(|period| period.from <= last_day && first_day <= period.to)
        {
            return Some(HostingRefusal::ClosedPeriod {
                reason: period.reason.clone(),
            });
        }
        let day = Weekday::from(starts.weekday());
        // A span closes by midnight: a session ending at midnight or later is outside it.
        let within_a_span = starts.date() == ends.date()
            && self.opening_hours.iter().any(|span| {
                span.day == day && span.opens <= starts.time() && ends.time() <= span.closes
            });
        if !within_a_span {
            return Some(HostingRefusal::OutsideOpeningHours);
        }
        None
    }
}

impl From<&Register> for VenueDetails {
    fn from(register: &Register) -> Self {
        Self {
            rooms: register
                .rooms
                .iter()
                .map(|room| (room.id.clone(), room.max_capacity))
                .collect(),
            opening_hours: register.opening_hours.clone(),
            closed_periods: register.closed_periods.clone(),
            time_zone: register.time_zone.clone(),
        }
    }
}

impl Hosting {
    /// Whether the venue hosts the session: its room is taken at its time.
    pub fn is_confirmed(&self) -> bool {
        matches!(self.status, HostingStatus::Confirmed { .. })
    }

    /// The seats confirmed, if confirmed.
    pub fn confirmed_capacity(&self) -> Option<u32> {
        match self.status {
            HostingStatus::Confirmed { capacity } => Some(capacity),
            _ => None,
        }
    }

    /// The request this hosting answers, for `session`, as the organiser made it: the way back
    /// of `Hosting::from(&RequestHosting)`, to check it again against changed hours.
    pub fn request_for(&self, session: SessionId) -> RequestHosting {
        RequestHosting {
            session,
            event: self.event,
            request: self.request,
            room: self.room.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            capacity_wanted: self.capacity_wanted,
        }
    }

    /// Whether the two share any instant. Ends are exclusive: back-to-back sessions do not
    /// overlap. Rooms are not compared.
    pub fn overlaps(&self, other: &Hosting) -> bool {
        self.starts_at < other.ends_at && other.starts_at < self.ends_at
    }
}

impl From<&RequestHosting> for Hosting {
    /// A new request, pending until checked or answered.
    fn from(request: &RequestHosting) -> Self {
        Self {
            event: request.event,
            request: request.request,
            room: request.room.clone(),
            starts_at: request.starts_at,
            ends_at: request.ends_at,
            capacity_wanted: request.capacity_wanted,
            status: HostingStatus::Pending,
        }
    }
}

impl fmt::Display for HostingStatus {
    /// In English, for refusal messages: "pending", "confirmed with 28 seats", "refused (the
    /// venue is closed: works)"…
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pending => f.write_str("pending"),
            Self::Refused(HostingRefusal::UnknownRoom) => {
                f.write_str("refused (the venue has no such room)")
            }
            Self::Refused(HostingRefusal::EndsBeforeItStarts) => {
                f.write_str("refused (the session ends before it starts)")
            }
            Self::Refused(HostingRefusal::OutsideOpeningHours) => {
                f.write_str("refused (outside the venue's opening hours)")
            }
            Self::Refused(HostingRefusal::ClosedPeriod { reason }) => {
                write!(f, "refused (the venue is closed: {reason})")
            }
            Self::Confirmed { capacity } => write!(f, "confirmed with {capacity} seats"),
            Self::Declined => f.write_str("declined"),
            Self::Withdrawn => f.write_str("withdrawn"),
            Self::Released => f.write_str("released"),
        }
    }
}
