//! Partners' registrations: register a participant or a group, cancel a registration.

use axum::extract::State;
use proto::registration::{ParticipantId, RegisterRequest, RegistrationId};
use proto::values::SessionId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::problem::ApiError;

use super::AppState;
use super::answers::{Answered, Recorded, RegistrationStream, Sequenced};
use super::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::REGISTRATIONS.post(
        "/registrations",
        "register",
        "Registers a participant, or a group, into a session",
        Access::Key("a partner key"),
        handled_by!(register),
    )
    .body(body::<RegisterRequest>(
        Contract::Whole("commands/register"),
        r#"{"session": "{session}", "reference": "ML-2027-0042", "attendee": {"kind": "person"}, "profile": {"audience": "young_people", "age_band": "from16_to25", "town": "05061"}, "identity": {"first_name": "Camille", "last_name": "Martin", "email": null, "phone": null}}"#,
    ))
    .created(),
    Area::REGISTRATIONS.post(
        "/sessions/{session}/registrations/{registration}/cancel",
        "cancel_registration",
        "Cancels a registration, until the session starts",
        Access::Key("the key of the partner that registered it"),
        handled_by!(cancel_registration),
    ),
];

/// A registration, recorded: confirmed, or waiting for a seat.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Registered {
    /// The registration.
    pub registration: RegistrationId,
    /// The participant (or group) it is for.
    pub participant: ParticipantId,
    /// Whether it holds its seats or waits for them.
    pub status: Seat,
    /// Where it was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<RegistrationStream>,
}

/// Where a registration stands once recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum Seat {
    /// It holds its seats.
    Confirmed,
    /// It waits on the session's waiting list.
    Waiting,
}

/// A registration's command (a cancellation, a check-in), recorded in its session's seats.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SeatsRecorded {
    /// The session.
    pub session: SessionId,
    /// The registration.
    pub registration: RegistrationId,
    /// Where it was recorded.
    #[serde(flatten)]
    pub recorded: Sequenced<RegistrationStream>,
}

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<RegisterRequest>,
) -> Result<Answered<Registered>, ApiError> {
    let partner = caller.partner()?;
    let registered = state
        .services
        .registrations
        .register(&partner, request, &caller.log_key())
        .await?;
    Ok(Answered::created(Registered {
        registration: registered.registration,
        participant: registered.participant,
        status: if registered.confirmed {
            Seat::Confirmed
        } else {
            Seat::Waiting
        },
        recorded: Recorded::at(registered.seq, registered.duplicate),
    }))
}

async fn cancel_registration(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
) -> Result<Answered<SeatsRecorded>, ApiError> {
    let partner = caller.partner()?;
    let seq = state
        .services
        .registrations
        .cancel(&partner, session, registration, &caller.log_key())
        .await?;
    Ok(Answered::ok(SeatsRecorded {
        session,
        registration,
        recorded: Sequenced::at(seq),
    }))
}
