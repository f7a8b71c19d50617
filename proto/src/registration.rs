//! The registration context: partners register participants, one by one or as groups, into
//! sessions; seats are confirmed up to the capacity the venue confirmed, the rest wait.
//!
//! Stream `REGISTRATION`. Two aggregates:
//! - a session's seats, `reg.session.<session id>`: capacity, confirmed seats, the waiting list,
//!   reserved seats, check-ins — every rule about seats is decided by this one aggregate;
//! - a participant's agenda, `reg.agenda.<participant id>`: the sessions the person holds a seat
//!   in, so that nobody is confirmed in two overlapping sessions (see `docs/registration.md`).
//!
//! Events carry what statistics need (partner, audience, age band, town) and never a name, an
//! email or a phone: those are sealed per participant (see [`SealedIdentity`]).

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::contract::event_family;
use crate::taxonomy::Audience;
use crate::values::{EditionId, InseeCode, Invalid, PartnerId, Reason, SessionId};

/// One registration: a participant, or a group, holding (or waiting for) seats in a session.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct RegistrationId(pub Uuid);

impl std::fmt::Display for RegistrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A participant as semaine knows them: derived from the partner and the partner's own
/// reference (UUID v5), so that the same person seen twice by a partner is the same participant.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct ParticipantId(pub Uuid);

impl ParticipantId {
    /// The participant a partner knows by `reference`.
    pub fn of(partner: &PartnerId, reference: &ParticipantRef) -> Self {
        const NAMESPACE: Uuid = Uuid::from_u128(0x5e3a_1e00_0000_4000_8000_7365_6d61_696e);
        let name = format!("{partner}/{reference}");
        Self(Uuid::new_v5(&NAMESPACE, name.as_bytes()))
    }
}

impl std::fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A partner's own reference for a person (its file number): 1 to 64 letters, digits, `-`,
/// `_`. Never a name or an email.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = crate::values::SLUG_PATTERN, "minLength" = 1, "maxLength" = 64))]
pub struct ParticipantRef(String);

impl TryFrom<String> for ParticipantRef {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        let ok = (1..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(value))
        } else {
            Err(Invalid(format!(
                "a participant reference is 1 to 64 letters, digits, `-` or `_` (the partner's own \
                 file number, never a name or an email), not {value:?}"
            )))
        }
    }
}

impl From<ParticipantRef> for String {
    fn from(value: ParticipantRef) -> String {
        value.0
    }
}

impl std::fmt::Display for ParticipantRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An age band, for statistics.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// Under 16.
    Under16,
    /// 16 to 25.
    From16To25,
    /// 26 to 44.
    From26To44,
    /// 45 and over.
    From45,
    /// Not given.
    Unknown,
}

/// A participant's name and contacts, sealed with the participant's own key (an AEAD): only
/// semaine, holding the key, can open it; erasing the participant destroys the key, and the
/// sealed bytes left in the log are noise from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SealedIdentity {
    /// The id of the key that sealed it (the participant's).
    pub key: ParticipantId,
    /// The nonce, base64.
    pub nonce: String,
    /// The ciphertext with its tag, base64.
    pub ciphertext: String,
}

/// Who is registered: one person, or a group that takes its seats together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Attendee {
    // A struct variant, not a unit one: beside an internal tag, serde refuses unknown fields
    // only for struct variants.
    /// One person.
    Person {},
    /// A group (a class and its teacher): `size` seats, together; the participant is its contact.
    Group {
        /// Seats taken by the group, contact included.
        #[schemars(range(min = 2))]
        size: u32,
    },
}

impl Attendee {
    /// How many seats it takes.
    pub fn seats(&self) -> u32 {
        match self {
            Self::Person {} => 1,
            Self::Group { size } => *size,
        }
    }
}

/// What statistics may know of a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Who the participant is for the programme.
    pub audience: Audience,
    /// Their age band.
    pub age_band: AgeBand,
    /// Their town's INSEE code, if given.
    #[serde(default)]
    pub town: Option<InseeCode>,
}

/// Seats kept for a partner or an audience until a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "for", rename_all = "snake_case", deny_unknown_fields)]
pub enum Beneficiary {
    /// One partner's participants (e.g. the mission locale).
    Partner {
        /// The partner.
        partner: PartnerId,
    },
    /// One audience (e.g. job seekers).
    Audience {
        /// The audience.
        audience: Audience,
    },
}

/// Seats reserved on a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reservation {
    /// For whom.
    pub beneficiary: Beneficiary,
    /// How many seats.
    pub seats: u32,
    /// Until when; after it the seats are everyone's.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub until: Timestamp,
}

/// The facts about a session a decision needs, looked up by the shell in the scheduling context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SessionFacts {
    /// The edition it belongs to.
    pub edition: EditionId,
    /// Start.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// End.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
    /// The audiences it is kept for; empty when open to all.
    pub restricted_to: Vec<Audience>,
}

/// Who cancelled a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The partner that made it.
    Partner,
    /// The organiser, cancelling the session.
    Organiser,
    /// semaine, because the participant is confirmed elsewhere at that time.
    Overlap,
}

/// Events of a session's seats.
pub mod session {
    use super::*;

    /// The seats of a session were opened, or their capacity changed (the venue confirmed,
    /// lowered, raised or withdrew). The facts are those of the scheduling context.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct CapacitySet {
        /// Seats the venue can host now; 0 when no venue hosts the session.
        pub capacity: u32,
        /// The session's facts.
        pub facts: SessionFacts,
    }

    /// A registration, confirmed or put on the waiting list.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Registered {
        /// The registration.
        pub registration: RegistrationId,
        /// The partner that made it.
        pub partner: PartnerId,
        /// The participant (a group's contact).
        pub participant: ParticipantId,
        /// One person or a group.
        pub attendee: Attendee,
        /// What statistics may know.
        pub profile: Profile,
        /// Their name and contacts, sealed.
        pub identity: SealedIdentity,
        /// The reservation whose seats it took, if any.
        #[serde(default)]
        pub reserved: Option<Beneficiary>,
    }

    /// A registration, by id.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Registration {
        /// The registration.
        pub registration: RegistrationId,
        /// Its partner, to tell.
        pub partner: PartnerId,
    }

    /// A registration was cancelled; its seats are free.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Cancelled {
        /// The registration.
        pub registration: RegistrationId,
        /// Its partner, to tell.
        pub partner: PartnerId,
        /// By whom.
        pub by: CancelledBy,
        /// Why, when the organiser said.
        #[serde(default)]
        pub reason: Option<Reason>,
    }

    /// Participants were checked in at the door.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct CheckedIn {
        /// The registration.
        pub registration: RegistrationId,
        /// How many of its seats came (a group may come incomplete).
        pub present: u32,
    }

    /// The session ended: confirmed seats never checked in are no-shows.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Ended {
        /// Registrations with no one checked in.
        pub no_shows: Vec<RegistrationId>,
    }

    /// The session was cancelled by its organiser: every registration is cancelled.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct SessionCancelled {
        /// Why.
        pub reason: Reason,
    }

    /// The session moved in time; registrations are kept.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Rescheduled {
        /// The new facts.
        pub facts: SessionFacts,
    }

    event_family!(
        /// What a session's seats record.
        Event {
            /// Opened, or its capacity changed.
            CapacitySet(CapacitySet) = "SeatsCapacitySet" v 1,
            /// Seats reserved for a partner or an audience.
            SeatsReserved(Reservation) = "SeatsReserved" v 1,
            /// A reservation's deadline passed: its unused seats are everyone's.
            ReservationReleased(Beneficiary) = "ReservationReleased" v 1,
            /// Confirmed.
            Confirmed(Registered) = "RegistrationConfirmed" v 1,
            /// Put on the waiting list.
            Waitlisted(Registered) = "RegistrationWaitlisted" v 1,
            /// Taken from the waiting list into a freed seat.
            Promoted(Registration) = "RegistrationPromoted" v 1,
            /// Moved back to the head of the waiting list (the capacity was lowered).
            Demoted(Registration) = "RegistrationDemoted" v 1,
            /// Cancelled.
            Cancelled(Cancelled) = "RegistrationCancelled" v 1,
            /// Checked in at the door.
            CheckedIn(CheckedIn) = "RegistrationCheckedIn" v 1,
            /// The session moved in time.
            Rescheduled(Rescheduled) = "SeatsRescheduled" v 1,
            /// The session was cancelled.
            SessionCancelled(SessionCancelled) = "SeatsSessionCancelled" v 1,
            /// The session ended; no-shows counted.
            Ended(Ended) = "SeatsEnded" v 1,
        }
    );
}

/// Events of a participant's agenda.
pub mod agenda {
    use super::*;

    /// A slot held in the participant's agenda for a session, before its seat is confirmed: it
    /// blocks overlapping sessions. A hold never confirmed lapses after
    /// [`HOLD_LAPSES_AFTER_SECONDS`] (the registration it was for never happened).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct SlotHeld {
        /// The session.
        pub session: SessionId,
        /// The registration.
        pub registration: RegistrationId,
        /// Start.
        #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
        #[serde(deserialize_with = "crate::values::strict::timestamp")]
        pub starts_at: Timestamp,
        /// End.
        #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
        #[serde(deserialize_with = "crate::values::strict::timestamp")]
        pub ends_at: Timestamp,
        /// When it was held.
        #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
        #[serde(deserialize_with = "crate::values::strict::timestamp")]
        pub held_at: Timestamp,
    }

    /// How long a hold that was never confirmed keeps blocking other sessions.
    pub const HOLD_LAPSES_AFTER_SECONDS: i64 = 120;

    /// A slot, by session.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Slot {
        /// The session.
        pub session: SessionId,
    }

    /// A session in the agenda moved in time: the slot follows it, and the sessions it now
    /// overlaps are reported (the registration is kept; its partner decides).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct SlotMoved {
        /// The session.
        pub session: SessionId,
        /// New start.
        #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
        #[serde(deserialize_with = "crate::values::strict::timestamp")]
        pub starts_at: Timestamp,
        /// New end.
        #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
        #[serde(deserialize_with = "crate::values::strict::timestamp")]
        pub ends_at: Timestamp,
        /// The participant's other sessions it now overlaps; empty when none.
        pub conflicts: Vec<SessionId>,
    }

    event_family!(
        /// What a participant's agenda records.
        Event {
            /// A slot held.
            SlotHeld(SlotHeld) = "AgendaSlotHeld" v 1,
            /// A held slot confirmed: the seat is confirmed.
            SlotConfirmed(Slot) = "AgendaSlotConfirmed" v 1,
            /// A slot released: the registration waits, was refused or cancelled.
            SlotReleased(Slot) = "AgendaSlotReleased" v 1,
            /// A slot moved with its session; conflicts reported.
            SlotMoved(SlotMoved) = "AgendaSlotMoved" v 1,
        }
    );
}

/// A participant's name and contacts, as a partner sends them. semaine seals them before
/// anything is stored; they never stand in clear in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// First name.
    pub first_name: crate::values::Name,
    /// Last name.
    pub last_name: crate::values::Name,
    /// Email, if given.
    #[serde(default)]
    pub email: Option<crate::values::Name>,
    /// Phone, if given.
    #[serde(default)]
    pub phone: Option<crate::values::Name>,
}

/// A partner registers a participant (or a group, through its contact) into a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The session.
    pub session: SessionId,
    /// The partner's own reference for the participant.
    pub reference: ParticipantRef,
    /// One person or a group.
    pub attendee: Attendee,
    /// What statistics may know.
    pub profile: Profile,
    /// Name and contacts; sealed by semaine before anything is stored.
    pub identity: Identity,
}

/// A participant's record (`reg.participant.<id>`): what happens to the person as such rather
/// than to a registration — their identity erased, on request or when the retention ends. It
/// holds no personal data: the envelope says who asked and when.
pub mod participant {
    use super::*;

    /// Why an identity was erased.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ErasureReason {
        /// The person asked (through their partner or an organiser).
        Request,
        /// The edition's retention period ended.
        Retention,
    }

    /// The participant's identity was erased: its key destroyed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Erased {
        /// Why.
        pub reason: ErasureReason,
    }

    event_family!(
        /// What a participant's record records.
        Event {
            /// The identity was erased.
            Erased(Erased) = "ParticipantErased" v 1,
        }
    );
}

/// Partners: the channels that register people, declared by organisers.
pub mod partner {
    use super::*;
    use crate::values::Name;

    /// What kind of organisation a partner is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum PartnerKind {
        /// A France Travail agency (the job centre).
        FranceTravail,
        /// A mission locale (young people 16–25).
        MissionLocale,
        /// A school (collège, lycée).
        School,
        /// A training centre.
        TrainingCentre,
        /// An association.
        Association,
        /// Anything else.
        Other,
    }

    /// What an organiser can ask of a partner.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
    pub enum Command {
        /// Declares the partner: from then on it may register participants.
        Declare(Declared),
        /// Retires the partner: it registers nobody more; its registrations stand.
        Retire {
            /// Why.
            reason: Reason,
        },
    }

    /// A partner was declared.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct Declared {
        /// Its name, e.g. "Mission locale du Gapençais".
        pub name: Name,
        /// Its kind.
        pub kind: PartnerKind,
    }

    /// A partner was retired.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
    pub struct Retired {
        /// Why.
        pub reason: Reason,
    }

    event_family!(
        /// What a partner records.
        Event {
            /// Declared.
            Declared(Declared) = "PartnerDeclared" v 1,
            /// Retired.
            Retired(Retired) = "PartnerRetired" v 1,
        }
    );
}
