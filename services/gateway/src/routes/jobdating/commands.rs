//! The commands on a job-dating floor, by who sends them: the organiser (set-up, employers,
//! recruiters, the planner), the floor staff (blocked slots, outcomes) and partners (bookings,
//! wishes for their own candidates). Each handler checks its sender ([`super`] says who may do
//! what), builds the command, and answers the session, what the caller named and where the
//! command was recorded ([`record`]).

use axum::extract::State;
use proto::jobdating::{Candidate, Command, Event, Outcome, SlotsBlocked, SlotsUnblocked, Wishes};
use proto::registration::ParticipantId;
use proto::values::{Reason, SessionId, SlotNo, TableNo};
use schemars::JsonSchema;
use serde::Deserialize;

use super::answers::{
    DraftFigures, EmployerAdded, FloorRecorded, PlanAnnounced, PlanRun, SlotBooked, SlotRecorded,
    TableRecorded, WishesRecorded,
};
use super::{floor_staff, recorded, run, service};
use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::problem::ApiError;
use crate::routes::AppState;
use crate::routes::answers::{Answered, JobDatingStream, Recorded};
use crate::routes::partners::organiser_of_session;

/// Runs a floor command whose sender the handler has checked, and says where it was recorded.
async fn record(
    state: &AppState,
    caller: &Caller,
    session: SessionId,
    command: Command,
) -> Result<Recorded<JobDatingStream>, ApiError> {
    Ok(recorded(&run(state, caller, session, command).await?))
}

/// Passes for the floor staff sending a command (see [`floor_staff`]).
async fn staff(state: &AppState, caller: &Caller, session: SessionId) -> Result<(), ApiError> {
    floor_staff(state, &caller.principal, Some(caller), session).await
}

// ---- The organiser ----

/// `POST /jobdating/{session}/setup`.
pub(crate) async fn configure(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(setup): Body<proto::jobdating::Setup>,
) -> Result<Answered<FloorRecorded>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let recorded = record(&state, &caller, session, Command::Configure(setup)).await?;
    Ok(Answered::ok(FloorRecorded { session, recorded }))
}

/// `POST /jobdating/{session}/employers`.
pub(crate) async fn join_employer(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(joined): Body<proto::jobdating::EmployerJoined>,
) -> Result<Answered<EmployerAdded>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let employer = joined.employer;
    let recorded = record(&state, &caller, session, Command::JoinEmployer(joined)).await?;
    Ok(Answered::ok(EmployerAdded {
        session,
        employer,
        recorded,
    }))
}

/// `POST /jobdating/{session}/tables`.
pub(crate) async fn seat_recruiter(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(seated): Body<proto::jobdating::RecruiterSeated>,
) -> Result<Answered<TableRecorded>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let table = seated.table;
    let recorded = record(&state, &caller, session, Command::SeatRecruiter(seated)).await?;
    Ok(Answered::ok(TableRecorded {
        session,
        table,
        recorded,
    }))
}

/// A planner run's seed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Seed {
    /// Breaks ties between candidates: the same seed and the same floor give the same draft.
    seed: u64,
}

/// `POST /jobdating/{session}/plan`: answers the draft's figures besides where the run was
/// recorded, so it reads the events the run decided.
pub(crate) async fn run_planner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(seed): Body<Seed>,
) -> Result<Answered<PlanRun>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let command = Command::RunPlanner { seed: seed.seed };
    let decided = run(&state, &caller, session, command).await?;
    let drafted = decided.events.iter().find_map(|e| match e {
        Event::PlanDrafted(d) => Some(d.clone()),
        _ => None,
    });
    let draft = drafted.map(|d| DraftFigures {
        run: d.run,
        candidates: d.candidates,
        interviews: d.interviews,
        first_wishes_honoured: d.first_wishes_honoured,
        wishes_honoured: d.wishes_honoured,
    });
    Ok(Answered::ok(PlanRun {
        session,
        draft,
        recorded: recorded(&decided),
    }))
}

/// `POST /jobdating/{session}/plan/{run}/announce`.
pub(crate) async fn announce_plan(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, run)): Ids<(SessionId, u32)>,
) -> Result<Answered<PlanAnnounced>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let recorded = record(&state, &caller, session, Command::AnnouncePlan { run }).await?;
    Ok(Answered::ok(PlanAnnounced {
        session,
        run,
        recorded,
    }))
}

// ---- The floor staff ----

/// Slots of a table to block.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlockBody {
    /// The slots, each once.
    slots: Vec<SlotNo>,
    /// Why, if said.
    #[serde(default)]
    reason: Option<Reason>,
}

/// Slots of a table to open again.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnblockBody {
    /// The slots, each once.
    slots: Vec<SlotNo>,
}

/// `POST /jobdating/{session}/tables/{table}/block`.
pub(crate) async fn block_slots(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, table)): Ids<(SessionId, TableNo)>,
    Body(body): Body<BlockBody>,
) -> Result<Answered<TableRecorded>, ApiError> {
    staff(&state, &caller, session).await?;
    let command = Command::BlockSlots(SlotsBlocked {
        table,
        slots: body.slots,
        reason: body.reason,
    });
    let recorded = record(&state, &caller, session, command).await?;
    Ok(Answered::ok(TableRecorded {
        session,
        table,
        recorded,
    }))
}

/// `POST /jobdating/{session}/tables/{table}/unblock`.
pub(crate) async fn unblock_slots(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, table)): Ids<(SessionId, TableNo)>,
    Body(UnblockBody { slots }): Body<UnblockBody>,
) -> Result<Answered<TableRecorded>, ApiError> {
    staff(&state, &caller, session).await?;
    let command = Command::UnblockSlots(SlotsUnblocked { table, slots });
    let recorded = record(&state, &caller, session, command).await?;
    Ok(Answered::ok(TableRecorded {
        session,
        table,
        recorded,
    }))
}

/// What came of an interview.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutcomeBody {
    /// `{"outcome": "no_show"}`, `met`, `second_interview`, or `{"outcome": "hired", "job": …,
    /// "contract": …}`.
    outcome: Outcome,
}

/// `POST /jobdating/{session}/tables/{table}/slots/{slot}/outcome`: for the table's employer,
/// which the floor says (after the sender is checked, so a stranger learns nothing of it).
pub(crate) async fn record_outcome(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, table, slot)): Ids<(SessionId, TableNo, SlotNo)>,
    Body(OutcomeBody { outcome }): Body<OutcomeBody>,
) -> Result<Answered<SlotRecorded>, ApiError> {
    staff(&state, &caller, session).await?;
    let employer = service(&state).employer_at(session, table).await?;
    let command = Command::RecordOutcome {
        employer,
        table,
        slot,
        outcome,
    };
    let recorded = record(&state, &caller, session, command).await?;
    Ok(Answered::ok(SlotRecorded {
        session,
        table,
        slot,
        recorded,
    }))
}

// ---- Partners ----

/// A booking of a slot for one of the partner's candidates.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookBody {
    /// The candidate: a participant the partner registered (confirmed) in the session.
    participant: ParticipantId,
    /// The table.
    table: TableNo,
    /// The slot.
    slot: SlotNo,
}

/// `POST /jobdating/{session}/bookings`.
pub(crate) async fn book(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(BookBody {
        participant,
        table,
        slot,
    }): Body<BookBody>,
) -> Result<Answered<SlotBooked>, ApiError> {
    let partner = caller.partner()?;
    let candidate = Candidate {
        participant,
        partner,
    };
    let command = Command::Book {
        candidate,
        table,
        slot,
    };
    let recorded = record(&state, &caller, session, command).await?;
    Ok(Answered::ok(SlotBooked {
        session,
        participant,
        table,
        slot,
        recorded,
    }))
}

/// `POST /jobdating/{session}/tables/{table}/slots/{slot}/cancel`.
pub(crate) async fn cancel_booking(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, table, slot)): Ids<(SessionId, TableNo, SlotNo)>,
) -> Result<Answered<SlotRecorded>, ApiError> {
    let partner = caller.partner()?;
    let command = Command::CancelBooking {
        partner,
        table,
        slot,
    };
    let recorded = record(&state, &caller, session, command).await?;
    Ok(Answered::ok(SlotRecorded {
        session,
        table,
        slot,
        recorded,
    }))
}

/// A candidate's ranked wishes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WishesBody {
    /// 1 to 10, best first: `{"kind": "employer", "employer": …}` or `{"kind": "job", "job": …}`.
    wishes: Wishes,
}

/// `POST /jobdating/{session}/candidates/{participant}/wishes`.
pub(crate) async fn submit_wishes(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, participant)): Ids<(SessionId, ParticipantId)>,
    Body(WishesBody { wishes }): Body<WishesBody>,
) -> Result<Answered<WishesRecorded>, ApiError> {
    let partner = caller.partner()?;
    let candidate = Candidate {
        participant,
        partner,
    };
    let command = Command::SubmitWishes(proto::jobdating::WishesSubmitted { candidate, wishes });
    let recorded = record(&state, &caller, session, command).await?;
    Ok(Answered::ok(WishesRecorded {
        session,
        participant,
        recorded,
    }))
}
