//! The answers of the keyed reads: a registration or a participant with the identity opened, a
//! session's attendance list, and an erasure.

use ::views::{Attendee, ErasureRow, RegistrationView};
use proto::registration::ParticipantId;
use proto::values::PartnerId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::routes::answers::{RegistrationStream, Sequenced};

/// What an identity shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Shown {
    /// Opened.
    Known {
        /// The first name.
        first_name: String,
        /// The last name.
        last_name: String,
        /// The email address, if the partner gave one.
        email: Option<String>,
        /// The phone number, if the partner gave one.
        phone: Option<String>,
    },
    /// Erased on request: the key is gone.
    Erased,
}

/// A registration as a partner or an organiser reads it: with its identity opened, unless the
/// list was asked without (`identity=false`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ShownRegistration {
    /// The registration.
    #[serde(flatten)]
    pub registration: RegistrationView,
    /// Its participant's identity, opened (or shown as erased); absent from a list asked with
    /// `identity=false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Shown>,
}

/// A participant as its partner (or an organiser) reads it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct ParticipantRecord {
    /// The participant.
    pub participant: ParticipantId,
    /// The partner that registered them.
    pub partner: Option<PartnerId>,
    /// Their identity, opened (or shown as erased).
    pub identity: Shown,
    /// Their registrations the reader sees, each with the identity opened.
    pub registrations: Vec<ShownRegistration>,
    /// `null`, or when, by whom (`partner` with its id, `organiser`, `system`) and why
    /// (`request`, `retention`) the identity was erased.
    pub erasure: Option<ErasureRow>,
}

/// A participant's identity, erased.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Erased {
    /// The participant.
    pub participant: ParticipantId,
    /// Always true: the identity's key is destroyed.
    pub erased: bool,
    /// Where the erasure was recorded.
    #[serde(flatten)]
    pub recorded: Sequenced<RegistrationStream>,
}

/// A line of an attendance list as the door sees it: a first name and an initial.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Line {
    /// The registration at the door.
    #[serde(flatten)]
    pub attendee: Attendee,
    /// `Camille M.`; `null` once erased.
    pub name: Option<String>,
    /// Whether the participant was erased.
    pub erased: bool,
}

/// A session's attendance list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct AttendanceList {
    /// The session.
    pub session: ::views::SessionInfo,
    /// Seats held by its confirmed registrations.
    pub confirmed_seats: u32,
    /// People checked in so far.
    pub present: u32,
    /// Each confirmed registration.
    pub items: Vec<Line>,
}
