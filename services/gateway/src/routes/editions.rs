//! Organisers' editions: create, publish, close, move their dates.

use axum::extract::State;
use axum::routing::on;
use proto::scheduling::edition;
use proto::values::EditionId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::problem::ApiError;

use super::AppState;
use super::answers::{Answered, Recorded, SchedulingStream, answer_of};
use super::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Verb::Post,
        path: "/editions",
        operation: "create_edition",
        tag: "editions",
        summary: "Creates an edition; its id is derived from the key and the Idempotency-Key",
        access: Access::Key("an organiser key of every edition (`*`)"),
        body: Some(body::<edition::Create>(
            variant("commands/edition", "create"),
            r#"{"name": "Semaine des métiers du soin 2027", "territory": "05", "first_day": "2027-04-12", "last_day": "2027-04-23", "organisers": ["departement-05"], "time_zone": "Europe/Paris"}"#,
        )),
        query: &[],
        status: 201,
        answer: answer_of(&create_edition),
        handler: |m| on(m, create_edition),
    },
    Route {
        method: Verb::Post,
        path: "/editions/{edition}/publish",
        operation: "publish_edition",
        tag: "editions",
        summary: "Publishes an edition: its programme becomes public",
        access: Access::Key("an organiser key of the edition"),
        body: None,
        query: &[],
        status: 200,
        answer: answer_of(&publish_edition),
        handler: |m| on(m, publish_edition),
    },
    Route {
        method: Verb::Post,
        path: "/editions/{edition}/close",
        operation: "close_edition",
        tag: "editions",
        summary: "Closes an edition: nothing more changes",
        access: Access::Key("an organiser key of the edition"),
        body: None,
        query: &[],
        status: 200,
        answer: answer_of(&close_edition),
        handler: |m| on(m, close_edition),
    },
    Route {
        method: Verb::Post,
        path: "/editions/{edition}/dates",
        operation: "amend_edition_dates",
        tag: "editions",
        summary: "Moves an edition's first or last day",
        access: Access::Key("an organiser key of the edition"),
        body: Some(body::<edition::AmendDates>(
            variant("commands/edition", "amend_dates"),
            r#"{"first_day": "2027-04-12", "last_day": "2027-04-23"}"#,
        )),
        query: &[],
        status: 200,
        answer: answer_of(&amend_dates),
        handler: |m| on(m, amend_dates),
    },
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
