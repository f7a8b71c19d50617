//! Venues: registering one, its hours and closed periods, its answers to hosting requests
//! (confirm, change the capacity, decline, withdraw), and checking people in at the door.

use axum::extract::State;
use proto::registration::RegistrationId;
use proto::values::{Reason, SessionId, VenueId};
use proto::venues;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::keys::Role;
use crate::problem::ApiError;

use super::AppState;
use super::answers::{Answered, Recorded, Sequenced, VenuesStream};
use super::partners::organiser_of_session;
use super::registrations::SeatsRecorded;
use super::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::VENUES.post(
        "/venues",
        "register_venue",
        "Registers a venue: under a new id (an organiser), or under its own (its venue key)",
        Access::Key("any organiser key, or a venue key (its own id)"),
        handled_by!(register_venue),
    )
    .body(body::<venues::Register>(
        variant("commands/venue", "register"),
        r#"{"name": "EHPAD Les Écrins", "kind": "ehpad", "address": {"street": "12 avenue de la Gare", "postcode": "05200", "town": "Embrun", "insee_code": "05046"}, "contact": {"name": "Accueil de l'EHPAD", "email": null, "phone": null}, "rooms": [{"id": "salle-polyvalente", "name": "Salle polyvalente", "max_capacity": 40}], "opening_hours": [{"day": "tuesday", "opens": "08:00:00", "closes": "18:00:00"}], "accessibility": {"step_free_entrance": true, "accessible_toilets": true, "hearing_loop": null, "parking": true}, "equipment": ["projector"], "closed_periods": [], "time_zone": "Europe/Paris"}"#,
    ))
    .created(),
    Area::VENUES.post(
        "/venues/{venue}/opening-hours",
        "set_opening_hours",
        "Replaces a venue's opening hours",
        THAT_VENUE,
        handled_by!(set_opening_hours),
    )
    .body(body::<NewOpeningHours>(
        variant("commands/venue", "set_opening_hours"),
        r#"{"opening_hours": [{"day": "monday", "opens": "09:00:00", "closes": "17:00:00"}, {"day": "tuesday", "opens": "09:00:00", "closes": "17:00:00"}]}"#,
    )),
    Area::VENUES.post(
        "/venues/{venue}/closed-periods",
        "add_closed_period",
        "Adds a period a venue is closed",
        THAT_VENUE,
        handled_by!(add_closed_period),
    )
    .body(body::<venues::ClosedPeriod>(
        variant("commands/venue", "add_closed_period"),
        r#"{"from": "2027-04-19", "to": "2027-04-19", "reason": "Lundi de Pâques"}"#,
    )),
    Area::VENUES.post(
        "/venues/{venue}/hosting/{session}/confirm",
        "confirm_hosting",
        "Confirms a pending hosting request with a capacity",
        THAT_VENUE,
        handled_by!(confirm_hosting),
    )
    .body(body::<CapacityAnswer>(
        part("commands/venue", "confirm_capacity"),
        r#"{"request": 1, "capacity": 25}"#,
    )),
    Area::VENUES.post(
        "/venues/{venue}/hosting/{session}/decline",
        "decline_hosting",
        "Declines a pending hosting request",
        THAT_VENUE,
        handled_by!(decline_hosting),
    )
    .body(body::<ReasonAnswer>(
        part("commands/venue", "decline"),
        r#"{"request": 1, "reason": "La salle est en travaux cette semaine-là."}"#,
    )),
    Area::VENUES.post(
        "/venues/{venue}/hosting/{session}/capacity",
        "change_capacity",
        "Changes the capacity a venue confirmed",
        THAT_VENUE,
        handled_by!(change_capacity),
    )
    .body(body::<CapacityAnswer>(
        part("commands/venue", "change_capacity"),
        r#"{"request": 1, "capacity": 18}"#,
    )),
    Area::VENUES.post(
        "/venues/{venue}/hosting/{session}/withdraw",
        "withdraw_hosting",
        "Withdraws a confirmed hosting",
        THAT_VENUE,
        handled_by!(withdraw_hosting),
    )
    .body(body::<ReasonAnswer>(
        part("commands/venue", "withdraw"),
        r#"{"request": 1, "reason": "La salle n'est plus disponible."}"#,
    )),
    Area::VENUES.post(
        "/sessions/{session}/registrations/{registration}/check-in",
        "check_in",
        "Records how many of a registration's seats came",
        Access::Key(
        "the key of the venue hosting the session, or an organiser key of its edition",
    ),
        handled_by!(check_in),
    )
    .body(body::<Present>(Contract::Gateway, r#"{"present": 1}"#)),
];

/// A venue's command, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct VenueRecorded {
    /// The venue.
    pub venue: VenueId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<VenuesStream>,
}

/// A venue's answer to a hosting request, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct HostingAnswered {
    /// The venue.
    pub venue: VenueId,
    /// The session it was asked to host.
    pub session: SessionId,
    /// Where the answer was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<VenuesStream>,
}

async fn register_venue(
    State(state): State<AppState>,
    caller: Caller,
    Body(register): Body<venues::Register>,
) -> Result<Answered<VenueRecorded>, ApiError> {
    let id = match &caller.principal.role {
        Role::Venue(own) => *own,
        Role::Organiser(_) => VenueId(caller.derived_id("venue")),
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "a venue is registered by an organiser or by its own venue key",
            ));
        }
    };
    let command = venues::Command::Register(Box::new(register));
    let decided = state
        .services
        .venues
        .venue(id, &command, &caller.meta())
        .await?;
    Ok(Answered::created(VenueRecorded {
        venue: id,
        recorded: Recorded::at(decided.seq, decided.duplicate),
    }))
}

async fn venue_command(
    state: &AppState,
    caller: &Caller,
    venue: VenueId,
    command: venues::Command,
) -> Result<Recorded<VenuesStream>, ApiError> {
    caller.venue_of(venue)?;
    let decided = state
        .services
        .venues
        .venue(venue, &command, &caller.meta())
        .await?;
    Ok(Recorded::at(decided.seq, decided.duplicate))
}

/// A venue's new opening hours.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewOpeningHours {
    /// The spans, replacing the current ones.
    opening_hours: Vec<venues::OpeningHours>,
}

async fn set_opening_hours(
    State(state): State<AppState>,
    caller: Caller,
    Ids(venue): Ids<VenueId>,
    Body(hours): Body<NewOpeningHours>,
) -> Result<Answered<VenueRecorded>, ApiError> {
    let command = venues::Command::SetOpeningHours {
        opening_hours: hours.opening_hours,
    };
    Ok(Answered::ok(VenueRecorded {
        venue,
        recorded: venue_command(&state, &caller, venue, command).await?,
    }))
}

async fn add_closed_period(
    State(state): State<AppState>,
    caller: Caller,
    Ids(venue): Ids<VenueId>,
    Body(period): Body<venues::ClosedPeriod>,
) -> Result<Answered<VenueRecorded>, ApiError> {
    let command = venues::Command::AddClosedPeriod(period);
    Ok(Answered::ok(VenueRecorded {
        venue,
        recorded: venue_command(&state, &caller, venue, command).await?,
    }))
}

/// A capacity, answering a hosting request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CapacityAnswer {
    /// The request answered, as the venue saw it.
    request: u32,
    /// Seats, at least one.
    #[schemars(range(min = 1))]
    capacity: u32,
}

/// A refusal, answering a hosting request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReasonAnswer {
    /// The request answered.
    request: u32,
    /// Why.
    reason: Reason,
}

/// Records a venue's answer to a hosting request for `session`.
async fn hosting_answered(
    state: &AppState,
    caller: &Caller,
    venue: VenueId,
    session: SessionId,
    command: venues::Command,
) -> Result<Answered<HostingAnswered>, ApiError> {
    Ok(Answered::ok(HostingAnswered {
        venue,
        session,
        recorded: venue_command(state, caller, venue, command).await?,
    }))
}

async fn confirm_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<CapacityAnswer>,
) -> Result<Answered<HostingAnswered>, ApiError> {
    let command = venues::Command::ConfirmCapacity {
        session,
        request: answer.request,
        capacity: answer.capacity,
    };
    hosting_answered(&state, &caller, venue, session, command).await
}

async fn change_capacity(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<CapacityAnswer>,
) -> Result<Answered<HostingAnswered>, ApiError> {
    let command = venues::Command::ChangeCapacity {
        session,
        request: answer.request,
        capacity: answer.capacity,
    };
    hosting_answered(&state, &caller, venue, session, command).await
}

async fn decline_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<ReasonAnswer>,
) -> Result<Answered<HostingAnswered>, ApiError> {
    let command = venues::Command::Decline {
        session,
        request: answer.request,
        reason: answer.reason,
    };
    hosting_answered(&state, &caller, venue, session, command).await
}

async fn withdraw_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<ReasonAnswer>,
) -> Result<Answered<HostingAnswered>, ApiError> {
    let command = venues::Command::Withdraw {
        session,
        request: answer.request,
        reason: answer.reason,
    };
    hosting_answered(&state, &caller, venue, session, command).await
}

/// How many people of a registration came.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Present {
    /// People present, 1 to the registration's seats.
    #[schemars(range(min = 1))]
    present: u32,
}

async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
    Body(present): Body<Present>,
) -> Result<Answered<SeatsRecorded>, ApiError> {
    match &caller.principal.role {
        Role::Venue(venue) => {
            let hosts = state.services.venues.hosts(*venue, session).await?;
            if !hosts {
                return Err(ApiError::forbidden(
                    "a venue checks people in at the sessions it hosts only",
                ));
            }
        }
        Role::Organiser(_) => organiser_of_session(&state, &caller, session).await?,
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "check-in is recorded at the door by the venue or an organiser",
            ));
        }
    }
    let seq = state
        .services
        .registrations
        .check_in(session, registration, present.present, &caller.meta())
        .await?;
    Ok(Answered::ok(SeatsRecorded {
        session,
        registration,
        recorded: Sequenced::at(seq),
    }))
}
