//! Partners as organisers declare and retire them, and seats reserved in a session for a partner
//! or an audience.

use axum::extract::State;
use axum::http::StatusCode;
use jiff::Timestamp;
use proto::registration::{Beneficiary, Reservation, partner};
use proto::values::{PartnerId, SessionId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::keys::Editions;
use crate::problem::ApiError;

use super::AppState;
use super::answers::{Answered, RegistrationStream, Sequenced};
use super::events::Because;
use super::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::PARTNERS.post(
        "/partners/{partner}",
        "declare_partner",
        "Declares a partner, for every edition",
        Access::Key("any organiser key"),
        handled_by!(declare_partner),
    )
    .body(body::<partner::Declared>(
        variant("commands/partner", "declare"),
        r#"{"name": "Mission locale du Gapençais", "kind": "mission_locale"}"#,
    )),
    Area::PARTNERS.post(
        "/partners/{partner}/retire",
        "retire_partner",
        "Retires a partner: it registers nobody more",
        Access::Key("an organiser key of every edition (`*`)"),
        handled_by!(retire_partner),
    )
    .body(body::<Because>(
        part("commands/partner", "retire"),
        r#"{"reason": "Le partenariat a pris fin."}"#,
    )),
    Area::PARTNERS.post(
        "/sessions/{session}/reservations",
        "reserve_seats",
        "Keeps seats of a session for a partner or an audience until a deadline",
        Access::Key("an organiser key of the session's edition"),
        handled_by!(reserve_seats),
    )
    .body(body::<ReserveSeats>(
        Contract::Gateway,
        r#"{"beneficiary": {"for": "partner", "partner": "{partner}"}, "seats": 10, "until": "2027-04-06T18:00:00Z"}"#,
    )),
];

/// A partner's command, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct PartnerRecorded {
    /// The partner.
    pub partner: PartnerId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Sequenced<RegistrationStream>,
}

/// Seats reserved in a session.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SeatsReserved {
    /// The session.
    pub session: SessionId,
    /// Where the reservation was recorded.
    #[serde(flatten)]
    pub recorded: Sequenced<RegistrationStream>,
}

/// Records a partner's command once its caller's role was checked.
async fn partner_command(
    state: &AppState,
    caller: &Caller,
    id: PartnerId,
    command: partner::Command,
) -> Result<Answered<PartnerRecorded>, ApiError> {
    let seq = state
        .services
        .registrations
        .partner(&id, &command, &caller.meta())
        .await?;
    Ok(Answered::ok(PartnerRecorded {
        partner: id,
        recorded: Sequenced::at(seq),
    }))
}

async fn declare_partner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PartnerId>,
    Body(declared): Body<partner::Declared>,
) -> Result<Answered<PartnerRecorded>, ApiError> {
    caller.organiser()?;
    let command = partner::Command::Declare(declared);
    partner_command(&state, &caller, id, command).await
}

async fn retire_partner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PartnerId>,
    Body(because): Body<Because>,
) -> Result<Answered<PartnerRecorded>, ApiError> {
    caller.organiser_of_all()?;
    let command = partner::Command::Retire {
        reason: because.reason,
    };
    partner_command(&state, &caller, id, command).await
}

/// Passes when the caller is an organiser of the session's edition: the edition of the event
/// that claimed the session's id. Another edition's session is `404 unknown-session`, as an id
/// no event claimed is: the same answer, so that the key learns nothing of it.
pub(crate) async fn organiser_of_session(
    state: &AppState,
    caller: &Caller,
    session: SessionId,
) -> Result<(), ApiError> {
    if caller.organiser()? == Editions::All {
        return Ok(());
    }
    // The session's id names one session of one edition: its claim's (ADR 0008). A session of
    // another edition is answered as one that does not exist: the key learns nothing of it.
    let owner = state.services.scheduling.session_owner(session).await?;
    if owner.is_some_and(|owner| caller.organiser_of(owner.edition).is_ok()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-session",
            "there is no session with this id in the editions this key organises",
        ))
    }
}

/// Seats kept for a partner or an audience until a deadline.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReserveSeats {
    /// For whom.
    beneficiary: Beneficiary,
    /// How many seats.
    #[schemars(range(min = 1))]
    seats: u32,
    /// Until when (an instant, RFC 3339).
    #[schemars(schema_with = "proto::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "proto::values::strict::timestamp")]
    until: Timestamp,
}

async fn reserve_seats(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(reserve): Body<ReserveSeats>,
) -> Result<Answered<SeatsReserved>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let reservation = Reservation {
        beneficiary: reserve.beneficiary,
        seats: reserve.seats,
        until: reserve.until,
    };
    let seq = state
        .services
        .registrations
        .reserve(session, reservation, &caller.meta())
        .await?;
    Ok(Answered::ok(SeatsReserved {
        session,
        recorded: Sequenced::at(seq),
    }))
}
