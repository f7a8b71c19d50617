//! Organisers' editions: create, publish, close, move their dates.

use axum::extract::State;
use proto::scheduling::edition;
use proto::values::EditionId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::problem::ApiError;

use super::AppState;
use super::answers::{Answered, Recorded, SchedulingStream};
use super::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::EDITIONS.post(
        "/editions",
        "create_edition",
        "Creates an edition; its id is derived from the key and the Idempotency-Key",
        Access::Key("an organiser key of every edition (`*`)"),
        handled_by!(create_edition),
    )
    .body(body::<edition::Create>(
        variant("commands/edition", "create"),
        r#"{"name": "Semaine des métiers du soin 2027", "territory": "05", "first_day": "2027-04-12", "last_day": "2027-04-23", "organisers": ["departement-05"], "time_zone": "Europe/Paris"}"#,
    ))
    .created(),
    Area::EDITIONS.post(
        "/editions/{edition}/publish",
        "publish_edition",
        "Publishes an edition: its programme becomes public",
        Access::Key("an organiser key of the edition"),
        handled_by!(publish_edition),
    ),
    Area::EDITIONS.post(
        "/editions/{edition}/close",
        "close_edition",
        "Closes an edition: nothing more changes",
        Access::Key("an organiser key of the edition"),
        handled_by!(close_edition),
    ),
    Area::EDITIONS.post(
        "/editions/{edition}/dates",
        "amend_edition_dates",
        "Moves an edition's first or last day",
        Access::Key("an organiser key of the edition"),
        handled_by!(amend_dates),
    )
    .body(body::<edition::AmendDates>(
        variant("commands/edition", "amend_dates"),
        r#"{"first_day": "2027-04-12", "last_day": "2027-04-23"}"#,
    )),
];

/// An edition's command, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EditionRecorded {
    /// The edition.
    pub edition: EditionId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<SchedulingStream>,
}

async fn create_edition(
    State(state): State<AppState>,
    caller: Caller,
    Body(create): Body<edition::Create>,
) -> Result<Answered<EditionRecorded>, ApiError> {
    caller.organiser_of_all()?;
    let id = EditionId(caller.derived_id("edition"));
    let command = edition::Command::Create(create);
    let decided = state
        .services
        .scheduling
        .edition(id, &command, &caller.meta())
        .await?;
    Ok(Answered::created(EditionRecorded {
        edition: id,
        recorded: Recorded::at(decided.seq, decided.duplicate),
    }))
}

async fn edition_command(
    state: &AppState,
    caller: &Caller,
    id: EditionId,
    command: edition::Command,
) -> Result<Answered<EditionRecorded>, ApiError> {
    caller.organiser_of(id)?;
    let decided = state
        .services
        .scheduling
        .edition(id, &command, &caller.meta())
        .await?;
    Ok(Answered::ok(EditionRecorded {
        edition: id,
        recorded: Recorded::at(decided.seq, decided.duplicate),
    }))
}

async fn publish_edition(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
) -> Result<Answered<EditionRecorded>, ApiError> {
    edition_command(&state, &caller, id, edition::Command::Publish).await
}

async fn close_edition(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
) -> Result<Answered<EditionRecorded>, ApiError> {
    edition_command(&state, &caller, id, edition::Command::Close).await
}

async fn amend_dates(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
    Body(dates): Body<edition::AmendDates>,
) -> Result<Answered<EditionRecorded>, ApiError> {
    edition_command(&state, &caller, id, edition::Command::AmendDates(dates)).await
}
