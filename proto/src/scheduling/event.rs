//! An event of an edition's programme — a workshop, a job-dating, an open door, a school
//! session, a talk, a discovery stand, a mobile stop — and its sessions.
//!
//! A session is one dated occurrence at one venue. Its start and end are local wall-clock times
//! in the edition's time zone, stored together with the instants they resolve to, so that they
//! are unambiguous across the daylight-saving changes. Every change of time or venue opens a new
//! *hosting request* (numbered per session); a venue's answer names the request it answers, and
//! an answer to an older request is ignored.

use jiff::Timestamp;
use jiff::civil::DateTime;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::event_family;
use crate::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use crate::values::{
    Description, EditionId, Name, PartnerId, Reason, RoomId, SessionId, TimeZoneName, VenueId,
};

/// What an event is: the descriptive part, shared by adding and amending it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct About {
    /// Its kind.
    pub kind: EventKind,
    /// Its title.
    pub title: Name,
    /// What happens there.
    #[serde(default)]
    pub description: Description,
    /// The fields of work it shows; at least one.
    #[schemars(extend("minItems" = 1, "uniqueItems" = true))]
    pub themes: Vec<Theme>,
    /// Who it is meant for; at least one.
    #[schemars(extend("minItems" = 1, "uniqueItems" = true))]
    pub audiences: Vec<Audience>,
    /// When not empty, only these audiences may register (a pupils' theatre session, a
    /// professionals-only talk).
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub restricted_to: Vec<Audience>,
    /// For a discovery stand: its tools.
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub discovery_tools: Vec<DiscoveryTool>,
    /// The partners involved (the mission locale bringing young people, a school…).
    #[serde(default)]
    #[schemars(extend("uniqueItems" = true))]
    pub partners: Vec<PartnerId>,
}

/// What an organiser (or, for venue answers, semaine) can ask of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Adds the event to an edition's programme.
    Add(Add),
    /// Changes what the event is (title, themes, audiences…).
    Amend(About),
    /// Schedules a session at a venue.
    ScheduleSession(ScheduleSession),
    /// Moves a session in time; the venue is asked again.
    RescheduleSession(RescheduleSession),
    /// Moves a session to another venue or room; the new venue is asked.
    ChangeSessionVenue(ChangeSessionVenue),
    /// Cancels a session.
    CancelSession(CancelSession),
    /// Records a venue's answer to a hosting request (sent by semaine's reactor).
    RecordVenueAnswer(RecordVenueAnswer),
}

/// Adds an event to an edition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Add {
    /// The edition.
    pub edition: EditionId,
    /// What the event is.
    pub about: About,
}

/// Schedules a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSession {
    /// The new session's id, chosen by the caller.
    pub session: SessionId,
    /// Its start, local wall-clock time in the edition's time zone.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub starts: DateTime,
    /// Its end, local wall-clock time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub ends: DateTime,
    /// The venue asked to host it.
    pub venue: VenueId,
    /// The room asked for.
    pub room: RoomId,
    /// The number of seats wanted; the venue confirms what it can host.
    #[schemars(range(min = 1))]
    pub capacity_wanted: u32,
}

/// Moves a session in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleSession {
    /// The session.
    pub session: SessionId,
    /// Its new start, local time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub starts: DateTime,
    /// Its new end, local time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub ends: DateTime,
}

/// Moves a session to another venue or room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSessionVenue {
    /// The session.
    pub session: SessionId,
    /// The venue asked now.
    pub venue: VenueId,
    /// The room asked now.
    pub room: RoomId,
}

/// Cancels a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSession {
    /// The session.
    pub session: SessionId,
    /// Why, told to every registered participant's partner.
    pub reason: Reason,
}

/// A venue's answer to a hosting request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "answer", rename_all = "snake_case", deny_unknown_fields)]
pub enum VenueAnswer {
    /// The venue confirmed it can host this many seats.
    Confirmed {
        /// Seats confirmed.
        capacity: u32,
    },
    /// The venue declined.
    Declined {
        /// Its reason.
        reason: Reason,
    },
    /// The request could not be accepted (unknown room, closed at that time).
    Refused {
        /// Why.
        reason: Reason,
    },
    /// The venue lowered or raised the capacity it confirmed.
    CapacityChanged {
        /// Seats confirmed now.
        capacity: u32,
    },
    /// The venue withdrew after confirming.
    Withdrew {
        /// Its reason.
        reason: Reason,
    },
}

/// Records a venue's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordVenueAnswer {
    /// The session.
    pub session: SessionId,
    /// The hosting request answered.
    pub request: u32,
    /// The answer.
    pub answer: VenueAnswer,
}

/// An event was added to an edition's programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Added {
    /// The edition.
    pub edition: EditionId,
    /// What the event is.
    pub about: About,
}

/// A session was scheduled; its venue is asked (hosting request `request`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionScheduled {
    /// The session.
    pub session: SessionId,
    /// The hosting request this opens.
    pub request: u32,
    /// The venue asked.
    pub venue: VenueId,
    /// The room asked.
    pub room: RoomId,
    /// Start, local wall-clock time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub starts_local: DateTime,
    /// End, local wall-clock time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub ends_local: DateTime,
    /// The zone of the local times.
    pub time_zone: TimeZoneName,
    /// Start, the instant.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// End, the instant.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
    /// Seats wanted.
    pub capacity_wanted: u32,
}

/// A session moved in time; its venue is asked again (hosting request `request`).
///
/// Like every session event, it carries what a reactor needs to act without looking anything
/// up (here the venue, room and seats wanted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionRescheduled {
    /// The session.
    pub session: SessionId,
    /// The hosting request this opens.
    pub request: u32,
    /// The venue asked again.
    pub venue: VenueId,
    /// The room asked again.
    pub room: RoomId,
    /// Seats wanted.
    pub capacity_wanted: u32,
    /// New start, local time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub starts_local: DateTime,
    /// New end, local time.
    #[schemars(schema_with = "crate::values::strict::date_time_schema")]
    #[serde(deserialize_with = "crate::values::strict::date_time")]
    pub ends_local: DateTime,
    /// New start, the instant.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// New end, the instant.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
}

/// A session moved to another venue or room; the new venue is asked (hosting request
/// `request`) and the previous request is released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionVenueChanged {
    /// The session.
    pub session: SessionId,
    /// The hosting request this opens.
    pub request: u32,
    /// The venue asked before.
    pub previous_venue: VenueId,
    /// The request it had.
    pub previous_request: u32,
    /// The venue asked now.
    pub venue: VenueId,
    /// The room asked now.
    pub room: RoomId,
    /// The session's start, unchanged.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// The session's end, unchanged.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
    /// Seats wanted.
    pub capacity_wanted: u32,
}

/// A session was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionCancelled {
    /// The session.
    pub session: SessionId,
    /// The venue it was at, whose request is released.
    pub venue: VenueId,
    /// The request released.
    pub request: u32,
    /// Why.
    pub reason: Reason,
}

/// A venue confirmed a capacity: the session is open for registration with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionVenueConfirmed {
    /// The session.
    pub session: SessionId,
    /// The request answered.
    pub request: u32,
    /// Seats the venue can host.
    pub capacity: u32,
}

/// A venue declined, or the request could not be accepted: the session is not open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionVenueDeclined {
    /// The session.
    pub session: SessionId,
    /// The request answered.
    pub request: u32,
    /// True when semaine refused the request (unknown room, venue closed), false when the venue
    /// declined.
    pub refused: bool,
    /// Why.
    pub reason: Reason,
}

/// A venue lowered or raised the capacity it had confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionCapacityChanged {
    /// The session.
    pub session: SessionId,
    /// The request answered.
    pub request: u32,
    /// Seats now.
    pub capacity: u32,
}

/// A venue withdrew after confirming: the session is no longer hosted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionVenueWithdrew {
    /// The session.
    pub session: SessionId,
    /// The request withdrawn.
    pub request: u32,
    /// Why.
    pub reason: Reason,
}

event_family!(
    /// What an event of the programme records.
    Event {
        /// Added to an edition.
        Added(Added) = "EventAdded" v 1,
        /// Its description changed.
        Amended(About) = "EventAmended" v 1,
        /// A session was scheduled.
        SessionScheduled(SessionScheduled) = "SessionScheduled" v 1,
        /// A session moved in time.
        SessionRescheduled(SessionRescheduled) = "SessionRescheduled" v 1,
        /// A session moved venue or room.
        SessionVenueChanged(SessionVenueChanged) = "SessionVenueChanged" v 1,
        /// A session was cancelled.
        SessionCancelled(SessionCancelled) = "SessionCancelled" v 1,
        /// A venue confirmed a session.
        SessionVenueConfirmed(SessionVenueConfirmed) = "SessionVenueConfirmed" v 1,
        /// A venue declined a session, or its request was refused.
        SessionVenueDeclined(SessionVenueDeclined) = "SessionVenueDeclined" v 1,
        /// A venue changed a session's capacity.
        SessionCapacityChanged(SessionCapacityChanged) = "SessionCapacityChanged" v 1,
        /// A venue withdrew a session.
        SessionVenueWithdrew(SessionVenueWithdrew) = "SessionVenueWithdrew" v 1,
    }
);
