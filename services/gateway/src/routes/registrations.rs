//! Partners' registrations: register a participant or a group, cancel a registration.

use axum::extract::State;
use axum::response::Response;
use axum::routing::on;
use proto::registration::{RegisterRequest, RegistrationId};
use proto::values::SessionId;
use serde_json::json;

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::problem::ApiError;

use super::table::*;
use super::{AppState, REGISTRATION, created, done};

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Verb::Post,
        path: "/registrations",
        operation: "register",
        tag: "registrations",
        summary: "Registers a participant, or a group, into a session",
        access: Access::Key("a partner key"),
        body: Some(body::<RegisterRequest>(
            Contract::Whole("commands/register"),
            r#"{"session": "{session}", "reference": "ML-2027-0042", "attendee": {"kind": "person"}, "profile": {"audience": "young_people", "age_band": "from16_to25", "town": "05061"}, "identity": {"first_name": "Camille", "last_name": "Martin", "email": null, "phone": null}}"#,
        )),
        query: &[],
        status: 201,
        answer: Answer::Fields(&[
            ("registration", Field::Id),
            ("participant", Field::Id),
            ("status", Field::OneOf(&["confirmed", "waiting"])),
            ("stream", Field::Is(REGISTRATION)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, register),
    },
    Route {
        method: Verb::Post,
        path: "/sessions/{session}/registrations/{registration}/cancel",
        operation: "cancel_registration",
        tag: "registrations",
        summary: "Cancels a registration, until the session starts",
        access: Access::Key("the key of the partner that registered it"),
        body: None,
        query: &[],
        status: 200,
        answer: SEATS_ANSWER,
        handler: |m| on(m, cancel_registration),
    },
];

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<RegisterRequest>,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?;
    let registered = state
        .services
        .registrations
        .register(&partner, request, &caller.log_key())
        .await?;
    Ok(created(json!({
        "registration": registered.registration,
        "participant": registered.participant,
        "status": if registered.confirmed { "confirmed" } else { "waiting" },
        "stream": REGISTRATION,
        "seq": registered.seq,
        "duplicate": registered.duplicate,
    })))
}

async fn cancel_registration(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?;
    let seq = state
        .services
        .registrations
        .cancel(&partner, session, registration, &caller.log_key())
        .await?;
    Ok(done(json!({
        "session": session,
        "registration": registration,
        "stream": REGISTRATION,
        "seq": seq,
    })))
}
