//! The venue-logistics context: venues describe themselves and answer hosting requests.
//!
//! Stream `VENUES`, subject `venue.venue.<id>`. A venue holds its rooms, opening hours, closed
//! periods and every hosting request made to it, so that "a room never hosts two overlapping
//! sessions" is decided by one aggregate, whatever arrives at once.

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::event_family;
use crate::taxonomy::{Equipment, VenueKind};
use crate::values::{EventId, InseeCode, Invalid, Name, Reason, RoomId, SessionId, TimeZoneName};

/// A French postcode: five digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^[0-9]{5}$(?!\\n)"))]
pub struct Postcode(String);

impl TryFrom<String> for Postcode {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        if value.len() == 5 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(value))
        } else {
            Err(Invalid(format!("a postcode is five digits, not {value:?}")))
        }
    }
}

impl From<Postcode> for String {
    fn from(value: Postcode) -> String {
        value.0
    }
}

/// Where a venue is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Number and street.
    pub street: Name,
    /// Postcode.
    pub postcode: Postcode,
    /// Town.
    pub town: Name,
    /// The town's INSEE code: statistics count by it.
    pub insee_code: InseeCode,
}

/// Who to call at the venue. The venue's own professional contact, not a participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name or role ("Accueil", "Mme Martin, cadre de santé").
    pub name: Name,
    /// Email, if any.
    #[serde(default)]
    pub email: Option<Name>,
    /// Phone, if any.
    #[serde(default)]
    pub phone: Option<Name>,
}

/// Accessibility facts, after the acceslibre fields; `None` is "not known".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accessibility {
    /// The entrance can be reached without a step.
    #[serde(default)]
    pub step_free_entrance: Option<bool>,
    /// Toilets adapted to wheelchair users.
    #[serde(default)]
    pub accessible_toilets: Option<bool>,
    /// A hearing loop.
    #[serde(default)]
    pub hearing_loop: Option<bool>,
    /// Parking, with places for disabled people.
    #[serde(default)]
    pub parking: Option<bool>,
}

/// A room that can host sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Room {
    /// Its id within the venue.
    pub id: RoomId,
    /// Its name.
    pub name: Name,
    /// The most people it takes: 1 to 5,000.
    #[schemars(range(min = 1, max = 5_000))]
    pub max_capacity: u32,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Lundi.
    Monday,
    /// Mardi.
    Tuesday,
    /// Mercredi.
    Wednesday,
    /// Jeudi.
    Thursday,
    /// Vendredi.
    Friday,
    /// Samedi.
    Saturday,
    /// Dimanche.
    Sunday,
}

impl From<jiff::civil::Weekday> for Weekday {
    fn from(day: jiff::civil::Weekday) -> Self {
        use jiff::civil::Weekday as W;
        match day {
            W::Monday => Self::Monday,
            W::Tuesday => Self::Tuesday,
            W::Wednesday => Self::Wednesday,
            W::Thursday => Self::Thursday,
            W::Friday => Self::Friday,
            W::Saturday => Self::Saturday,
            W::Sunday => Self::Sunday,
        }
    }
}

/// One opening span of one day of the week, local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// The day.
    pub day: Weekday,
    /// Opens at.
    #[schemars(schema_with = "crate::values::strict::time_schema")]
    #[serde(deserialize_with = "crate::values::strict::time")]
    pub opens: Time,
    /// Closes at.
    #[schemars(schema_with = "crate::values::strict::time_schema")]
    #[serde(deserialize_with = "crate::values::strict::time")]
    pub closes: Time,
}

/// Days the venue is closed, whatever its opening hours say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosedPeriod {
    /// First closed day.
    #[schemars(schema_with = "crate::values::strict::date_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub from: Date,
    /// Last closed day, inclusive.
    #[schemars(schema_with = "crate::values::strict::date_schema")]
    #[serde(deserialize_with = "crate::values::strict::date")]
    pub to: Date,
    /// Why (holidays, works).
    pub reason: Reason,
}

/// What a venue is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    /// Its name.
    pub name: Name,
    /// Its kind.
    pub kind: VenueKind,
    /// Its address.
    pub address: Address,
    /// Who to call.
    pub contact: Contact,
    /// Accessibility facts.
    #[serde(default)]
    pub accessibility: Accessibility,
    /// Equipment offered.
    #[serde(default)]
    pub equipment: Vec<Equipment>,
    /// Its rooms; at least one.
    #[schemars(extend("minItems" = 1))]
    pub rooms: Vec<Room>,
    /// When it is open; a session must lie within one span.
    pub opening_hours: Vec<OpeningHours>,
    /// When it is closed.
    #[serde(default)]
    pub closed_periods: Vec<ClosedPeriod>,
    /// The zone of its opening hours; Europe/Paris when absent.
    #[serde(default = "TimeZoneName::paris")]
    pub time_zone: TimeZoneName,
}

/// A session to host, as the venue is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestHosting {
    /// The session.
    pub session: SessionId,
    /// Its event.
    pub event: EventId,
    /// The request's number for this session; a higher one replaces a lower one.
    pub request: u32,
    /// The room asked.
    pub room: RoomId,
    /// Start.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// End.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
    /// Seats wanted.
    pub capacity_wanted: u32,
}

/// What a venue (or, for requests, semaine) can ask of a venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Registers the venue.
    Register(Box<Register>),
    /// Replaces its opening hours.
    SetOpeningHours {
        /// The new opening hours.
        opening_hours: Vec<OpeningHours>,
    },
    /// Adds a closed period.
    AddClosedPeriod(ClosedPeriod),
    /// Asks the venue to host a session (sent by semaine when a session is scheduled or moved).
    RequestHosting(RequestHosting),
    /// Confirms the capacity the venue can host for a session.
    ConfirmCapacity {
        /// The session.
        session: SessionId,
        /// The request answered, as the venue saw it: a request replaced since (the session
        /// moved) is refused, so a venue never confirms a time it was not shown.
        request: u32,
        /// Seats; at most the room's maximum.
        capacity: u32,
    },
    /// Declines to host a session.
    Decline {
        /// The session.
        session: SessionId,
        /// The request answered.
        request: u32,
        /// Why.
        reason: Reason,
    },
    /// Lowers or raises a confirmed capacity.
    ChangeCapacity {
        /// The session.
        session: SessionId,
        /// The request confirmed.
        request: u32,
        /// Seats now; at most the room's maximum.
        capacity: u32,
    },
    /// Withdraws after confirming.
    Withdraw {
        /// The session.
        session: SessionId,
        /// The request confirmed.
        request: u32,
        /// Why.
        reason: Reason,
    },
    /// Releases a request: the session was cancelled or moved elsewhere (sent by semaine).
    ReleaseHosting {
        /// The session.
        session: SessionId,
        /// The request released.
        request: u32,
    },
}

/// Why a hosting request was refused without asking the venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum HostingRefusal {
    /// The venue has no such room.
    UnknownRoom,
    /// The session ends before it starts.
    EndsBeforeItStarts,
    /// The session is not within one of the venue's opening spans.
    OutsideOpeningHours,
    /// The session falls in a closed period.
    ClosedPeriod {
        /// The period's reason.
        reason: Reason,
    },
}

impl HostingRefusal {
    /// Says why, in French, for the organiser.
    pub fn explain_fr(&self) -> String {
        match self {
            Self::UnknownRoom => "le lieu n'a pas cette salle".into(),
            Self::EndsBeforeItStarts => "la séance finit avant de commencer".into(),
            Self::OutsideOpeningHours => "en dehors des heures d'ouverture du lieu".into(),
            Self::ClosedPeriod { reason } => format!("le lieu est fermé ({reason})"),
        }
    }
}

/// A venue registered.
pub type Registered = Register;

/// A venue's opening hours changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OpeningHoursSet {
    /// The new opening hours.
    pub opening_hours: Vec<OpeningHours>,
}

/// A request was refused without asking the venue.
///
/// The answers to a request carry its session's event, so that the reactor that tells the
/// event needs nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostingRefused {
    /// The session.
    pub session: SessionId,
    /// Its event.
    pub event: EventId,
    /// The request.
    pub request: u32,
    /// Why.
    pub refusal: HostingRefusal,
}

/// The venue confirmed a capacity, or changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostingCapacity {
    /// The session.
    pub session: SessionId,
    /// Its event.
    pub event: EventId,
    /// The request.
    pub request: u32,
    /// Seats.
    pub capacity: u32,
}

/// The venue declined or withdrew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostingEnded {
    /// The session.
    pub session: SessionId,
    /// Its event.
    pub event: EventId,
    /// The request.
    pub request: u32,
    /// Why.
    pub reason: Reason,
}

/// A request was released: the room is free again at that time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostingReleased {
    /// The session.
    pub session: SessionId,
    /// The request.
    pub request: u32,
}

event_family!(
    /// What a venue records.
    Event {
        /// Registered.
        Registered(Box<Registered>) = "VenueRegistered" v 1,
        /// Opening hours replaced.
        OpeningHoursSet(OpeningHoursSet) = "VenueOpeningHoursSet" v 1,
        /// A closed period added.
        ClosedPeriodAdded(ClosedPeriod) = "VenueClosedPeriodAdded" v 1,
        /// Asked to host a session.
        HostingRequested(RequestHosting) = "HostingRequested" v 1,
        /// A request refused without asking the venue.
        HostingRefused(HostingRefused) = "HostingRefused" v 1,
        /// A capacity confirmed.
        HostingConfirmed(HostingCapacity) = "HostingConfirmed" v 1,
        /// Declined.
        HostingDeclined(HostingEnded) = "HostingDeclined" v 1,
        /// A confirmed capacity lowered or raised.
        HostingCapacityChanged(HostingCapacity) = "HostingCapacityChanged" v 1,
        /// Withdrawn after confirming.
        HostingWithdrawn(HostingEnded) = "HostingWithdrawn" v 1,
        /// Released: the session was cancelled or moved elsewhere.
        HostingReleased(HostingReleased) = "HostingReleased" v 1,
    }
);
