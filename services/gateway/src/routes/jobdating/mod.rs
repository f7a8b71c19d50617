//! Job-dating over HTTP: the commands on a session's floor and its reads (a table's timetable,
//! a candidate's interviews as a calendar, the session's figures).
//!
//! Who may do what (there is no employer or recruiter key: a recruiter sits at a table of the
//! venue hosting the session, so the floor is run by its staff):
//!
//! - an **organiser** of the session's edition sets the floor up, adds employers and seats their
//!   recruiters, runs the planner and announces a draft;
//! - the **floor staff**, an organiser of the session's edition or the key of the venue hosting
//!   the session (whose current hosting request it confirmed), blocks and opens slots, records
//!   the interviews' outcomes (for the table's employer, which the gateway reads from the floor)
//!   and reads the timetables and figures;
//! - a **partner** books and cancels slots and sends ranked wishes for its own candidates only:
//!   the candidate is the participant id with the key's partner, and the job-dating service
//!   checks that they hold a confirmed seat in the session through that partner. A participant
//!   of another partner is answered `404` `candidate-not-registered`, exactly like one who is
//!   not registered; the partner reads its candidates' interviews as a calendar.

use ::views::JobDatingView;
use ::views::ics::{Entry, EntryStatus, When};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::tz::TimeZone;
use jobdating::JobDating;
use proto::jobdating::{Candidate, Command, Event, Outcome, SlotsBlocked, SlotsUnblocked, Wishes};
use proto::registration::ParticipantId;
use proto::values::{Reason, SessionId, SlotNo, TableNo};
use schemars::JsonSchema;
use serde::Deserialize;

use super::answers::{Answered, JobDatingStream, Recorded};
use super::catalogue::{MinSeq, caught_up_on};
use super::readers::{CALENDAR, Reader};
use super::table::*;

mod answers;
use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::keys::{Editions, Principal, Role};
use crate::problem::ApiError;
use crate::routes::AppState;
use crate::routes::partners::organiser_of_session;
pub use answers::{
    DraftFigures, EmployerAdded, FloorRecorded, PlanAnnounced, PlanRun, SlotBooked, SlotRecorded,
    TableRecorded, WishesRecorded,
};

/// A candidate's interviews as a calendar, as the document describes it.
const CANDIDATE_CALENDAR: Answer = Answer::Text {
    media: CALENDAR,
    what: "a VCALENDAR: one VEVENT per interview booked or announced (stable UID, times with \
           the edition's TZID and its VTIMEZONE)",
};

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::JOBDATING.post(
        "/jobdating/{session}/setup",
        "configure_jobdating",
        "Sets a job-dating session's floor up: its times, slot length, breaks, gap, \
         most interviews per candidate and wishes' deadline; its slots are cut",
        JD_ORGANISER,
        handled_by!(configure),
    )
    .body(body::<proto::jobdating::Setup>(
        variant("commands/jobdating", "configure"),
        r#"{"starts_at": "2027-04-15T07:00:00Z", "ends_at": "2027-04-15T10:00:00Z", "slot_minutes": 10, "gap_minutes": 5, "max_interviews": 4, "breaks": [], "wishes_until": "2027-04-14T16:00:00Z"}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/employers",
        "join_employer",
        "Adds an employer to a job-dating, with the jobs it recruits for",
        JD_ORGANISER,
        handled_by!(join_employer),
    )
    .body(body::<proto::jobdating::EmployerJoined>(
        variant("commands/jobdating", "join_employer"),
        r#"{"employer": "{employer}", "name": "ADMR de l'Embrunais", "kind": "home_help_service", "town": {"name": "Embrun", "insee_code": "05046"}, "jobs": [{"job": "home_carer", "contract": "permanent", "openings": 2}]}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/tables",
        "seat_recruiter",
        "Seats one of an employer's recruiters at a table",
        JD_ORGANISER,
        handled_by!(seat_recruiter),
    )
    .body(body::<proto::jobdating::RecruiterSeated>(
        variant("commands/jobdating", "seat_recruiter"),
        r#"{"employer": "{employer}", "recruiter": "drh", "table": 1}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/tables/{table}/block",
        "block_slots",
        "Blocks slots of a table: nobody is booked in them",
        JD_STAFF,
        handled_by!(block_slots),
    )
    .body(body::<BlockBody>(
        part("commands/jobdating", "block_slots"),
        r#"{"slots": [3, 4], "reason": "Pause du recruteur."}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/tables/{table}/unblock",
        "unblock_slots",
        "Opens blocked slots of a table again",
        JD_STAFF,
        handled_by!(unblock_slots),
    )
    .body(body::<UnblockBody>(
        part("commands/jobdating", "unblock_slots"),
        r#"{"slots": [3, 4]}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/bookings",
        "book_slot",
        "Books a slot of a table for one of the partner's candidates, registered \
         (confirmed) in the session",
        Access::Key("a partner key (its own candidates)"),
        handled_by!(book),
    )
    .body(body::<BookBody>(
        Contract::Gateway,
        r#"{"participant": "{participant}", "table": 1, "slot": 2}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/tables/{table}/slots/{slot}/cancel",
        "cancel_booking",
        "Cancels one of the partner's candidates' interviews, before its slot starts",
        Access::Key("the key of the candidate's partner"),
        handled_by!(cancel_booking),
    ),
    Area::JOBDATING.post(
        "/jobdating/{session}/candidates/{participant}/wishes",
        "submit_wishes",
        "Sends (or replaces) a candidate's ranked wishes, before the deadline",
        Access::Key("a partner key (its own candidates)"),
        handled_by!(submit_wishes),
    )
    .body(body::<WishesBody>(
        Contract::Gateway,
        r#"{"wishes": [{"kind": "employer", "employer": "{employer}"}, {"kind": "job", "job": "care_assistant"}]}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/plan",
        "run_planner",
        "Runs the planner: a new draft of every timetable from the wishes, around the \
         interviews already announced or booked",
        JD_ORGANISER,
        handled_by!(run_planner),
    )
    .body(body::<Seed>(
        variant("commands/jobdating", "run_planner"),
        r#"{"seed": 42}"#,
    )),
    Area::JOBDATING.post(
        "/jobdating/{session}/plan/{run}/announce",
        "announce_plan",
        "Announces a draft: its interviews are fixed, and a later run never moves them",
        JD_ORGANISER,
        handled_by!(announce_plan),
    ),
    Area::JOBDATING.post(
        "/jobdating/{session}/tables/{table}/slots/{slot}/outcome",
        "record_outcome",
        "Records what came of an interview, for the table's employer",
        JD_STAFF,
        handled_by!(record_outcome),
    )
    .body(body::<OutcomeBody>(
        Contract::Gateway,
        r#"{"outcome": {"outcome": "met"}}"#,
    )),
    Area::JOBDATING.get(
        "/jobdating/{session}/tables/{table}/timetable",
        "table_timetable",
        "A table's timetable: every slot, free, blocked, booked or drafted",
        JD_STAFF_READER,
        handled_by!(timetable),
    )
    .query(&[MIN_SEQ_JOBDATING]),
    Area::JOBDATING.get(
        "/jobdating/{session}/candidates/{participant}/timetable.ics",
        "candidate_timetable",
        "A candidate's interviews as an iCalendar feed (RFC 5545)",
        Access::Reader("the candidate's partner, or an organiser key of the session's edition"),
        handled_by!(candidate_calendar, CANDIDATE_CALENDAR),
    )
    .query(&[MIN_SEQ_JOBDATING]),
    Area::JOBDATING.get(
        "/jobdating/{session}/figures",
        "jobdating_figures",
        "A job-dating's figures: interviews held, outcomes by job, hires by job and \
         contract, by employer",
        JD_STAFF_READER,
        handled_by!(figures),
    )
    .query(&[MIN_SEQ_JOBDATING]),
];

/// The stream of the job-dating service's commits.
pub const JOBDATING: &str = proto::subjects::JOBDATING.name;

fn service(state: &AppState) -> &JobDating {
    &state.services.jobdating
}

/// Whether `venue`'s key hosts `session`: its current hosting request is confirmed.
async fn venue_hosts(
    state: &AppState,
    venue: proto::values::VenueId,
    session: SessionId,
) -> Result<bool, ApiError> {
    Ok(state.services.venues.hosts(venue, session).await?)
}

/// Passes for the floor staff: an organiser of the session's edition, or the venue hosting it.
async fn floor_staff(
    state: &AppState,
    principal: &Principal,
    caller: Option<&Caller>,
    session: SessionId,
) -> Result<(), ApiError> {
    match &principal.role {
        Role::Venue(venue) => {
            if venue_hosts(state, *venue, session).await? {
                Ok(())
            } else {
                Err(ApiError::forbidden(
                    "a venue runs the job-dating floors of the sessions it hosts only",
                ))
            }
        }
        Role::Organiser(Editions::All) => Ok(()),
        Role::Organiser(_) => match caller {
            Some(caller) => organiser_of_session(state, caller, session).await,
            None => organiser_reads(state, principal, session),
        },
        Role::Partner(_) => Err(ApiError::forbidden(
            "the floor is run by its organisers and the venue hosting it",
        )),
    }
}

/// Passes for an organiser key covering the session's edition, as the job-dating view read it.
fn organiser_reads(
    state: &AppState,
    principal: &Principal,
    session: SessionId,
) -> Result<(), ApiError> {
    let Role::Organiser(editions) = &principal.role else {
        return Err(ApiError::forbidden("this needs an organiser key"));
    };
    if *editions == Editions::All {
        return Ok(());
    }
    let edition = ::views::jobdating::session(store(state)?, session)
        .map_err(|e| view_error(&e))?
        .edition;
    if edition.is_some_and(|e| editions.covers(e)) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "this organiser key does not cover this session's edition",
        ))
    }
}

/// Where a floor command was recorded.
fn recorded(decided: &eventlog::Decided<Event>) -> Recorded<JobDatingStream> {
    Recorded::at(decided.seq, decided.duplicate)
}

async fn run(
    state: &AppState,
    caller: &Caller,
    session: SessionId,
    command: Command,
) -> Result<eventlog::Decided<Event>, ApiError> {
    Ok(service(state)
        .floor(session, command, &caller.meta())
        .await?)
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
    let decided = run(&state, &caller, session, Command::Configure(setup)).await?;
    Ok(Answered::ok(FloorRecorded {
        session,
        recorded: recorded(&decided),
    }))
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
    let decided = run(&state, &caller, session, Command::JoinEmployer(joined)).await?;
    Ok(Answered::ok(EmployerAdded {
        session,
        employer,
        recorded: recorded(&decided),
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
    let decided = run(&state, &caller, session, Command::SeatRecruiter(seated)).await?;
    Ok(Answered::ok(TableRecorded {
        session,
        table,
        recorded: recorded(&decided),
    }))
}

/// A planner run's seed.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Seed {
    /// Breaks ties between candidates: the same seed and the same floor give the same draft.
    seed: u64,
}

/// `POST /jobdating/{session}/plan`.
pub(crate) async fn run_planner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(seed): Body<Seed>,
) -> Result<Answered<PlanRun>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let decided = run(
        &state,
        &caller,
        session,
        Command::RunPlanner { seed: seed.seed },
    )
    .await?;
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
    Ids((session, run_no)): Ids<(SessionId, u32)>,
) -> Result<Answered<PlanAnnounced>, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let decided = run(
        &state,
        &caller,
        session,
        Command::AnnouncePlan { run: run_no },
    )
    .await?;
    Ok(Answered::ok(PlanAnnounced {
        session,
        run: run_no,
        recorded: recorded(&decided),
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
    floor_staff(&state, &caller.principal, Some(&caller), session).await?;
    let command = Command::BlockSlots(SlotsBlocked {
        table,
        slots: body.slots,
        reason: body.reason,
    });
    let decided = run(&state, &caller, session, command).await?;
    Ok(Answered::ok(TableRecorded {
        session,
        table,
        recorded: recorded(&decided),
    }))
}

/// `POST /jobdating/{session}/tables/{table}/unblock`.
pub(crate) async fn unblock_slots(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, table)): Ids<(SessionId, TableNo)>,
    Body(body): Body<UnblockBody>,
) -> Result<Answered<TableRecorded>, ApiError> {
    floor_staff(&state, &caller.principal, Some(&caller), session).await?;
    let command = Command::UnblockSlots(SlotsUnblocked {
        table,
        slots: body.slots,
    });
    let decided = run(&state, &caller, session, command).await?;
    Ok(Answered::ok(TableRecorded {
        session,
        table,
        recorded: recorded(&decided),
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

/// `POST /jobdating/{session}/tables/{table}/slots/{slot}/outcome`.
pub(crate) async fn record_outcome(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, table, slot)): Ids<(SessionId, TableNo, SlotNo)>,
    Body(body): Body<OutcomeBody>,
) -> Result<Answered<SlotRecorded>, ApiError> {
    floor_staff(&state, &caller.principal, Some(&caller), session).await?;
    let employer = service(&state).employer_at(session, table).await?;
    let command = Command::RecordOutcome {
        employer,
        table,
        slot,
        outcome: body.outcome,
    };
    let decided = run(&state, &caller, session, command).await?;
    Ok(Answered::ok(SlotRecorded {
        session,
        table,
        slot,
        recorded: recorded(&decided),
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
    Body(body): Body<BookBody>,
) -> Result<Answered<SlotBooked>, ApiError> {
    let partner = caller.partner()?;
    let command = Command::Book {
        candidate: Candidate {
            participant: body.participant,
            partner,
        },
        table: body.table,
        slot: body.slot,
    };
    let decided = run(&state, &caller, session, command).await?;
    Ok(Answered::ok(SlotBooked {
        session,
        participant: body.participant,
        table: body.table,
        slot: body.slot,
        recorded: recorded(&decided),
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
    let decided = run(&state, &caller, session, command).await?;
    Ok(Answered::ok(SlotRecorded {
        session,
        table,
        slot,
        recorded: recorded(&decided),
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
    Body(body): Body<WishesBody>,
) -> Result<Answered<WishesRecorded>, ApiError> {
    let partner = caller.partner()?;
    let command = Command::SubmitWishes(proto::jobdating::WishesSubmitted {
        candidate: Candidate {
            participant,
            partner,
        },
        wishes: body.wishes,
    });
    let decided = run(&state, &caller, session, command).await?;
    Ok(Answered::ok(WishesRecorded {
        session,
        participant,
        recorded: recorded(&decided),
    }))
}

// ---- Reads ----

fn store(state: &AppState) -> Result<&sled::Db, ApiError> {
    state.jobdating_view.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            "job-dating reads are not served by this instance",
        )
        .retry_after(5)
    })
}

fn view_error(error: &::views::ViewError) -> ApiError {
    tracing::error!(%error, "the job-dating view's store failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the view could not be read",
    )
}

fn unknown_floor(session: SessionId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "jobdating-not-configured",
        format!("no job-dating floor is set up for session {session}"),
    )
}

/// `GET /jobdating/{session}/tables/{table}/timetable`.
pub(crate) async fn timetable(
    State(state): State<AppState>,
    reader: Reader,
    Ids((session, table)): Ids<(SessionId, TableNo)>,
    min_seq: MinSeq,
) -> Result<Answered<::views::Timetable>, ApiError> {
    let db = store(&state)?;
    caught_up_on(&state, JobDatingView::NAME, &min_seq).await?;
    floor_staff(&state, &reader.0, None, session).await?;
    match ::views::jobdating::timetable(db, session, table).map_err(|e| view_error(&e))? {
        Some(timetable) => Ok(Answered::ok(timetable)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-table",
            format!("no recruiter sits at table {table} of this job-dating"),
        )),
    }
}

/// `GET /jobdating/{session}/figures`.
pub(crate) async fn figures(
    State(state): State<AppState>,
    reader: Reader,
    Ids(session): Ids<SessionId>,
    min_seq: MinSeq,
) -> Result<Answered<::views::JobDatingFigures>, ApiError> {
    let db = store(&state)?;
    caught_up_on(&state, JobDatingView::NAME, &min_seq).await?;
    floor_staff(&state, &reader.0, None, session).await?;
    match ::views::jobdating::figures(db, session).map_err(|e| view_error(&e))? {
        Some(figures) => Ok(Answered::ok(figures)),
        None => Err(unknown_floor(session)),
    }
}

/// `GET /jobdating/{session}/candidates/{participant}/timetable.ics`.
pub(crate) async fn candidate_calendar(
    State(state): State<AppState>,
    reader: Reader,
    Ids((session, participant)): Ids<(SessionId, ParticipantId)>,
    min_seq: MinSeq,
) -> Result<Response, ApiError> {
    let db = store(&state)?;
    caught_up_on(&state, JobDatingView::NAME, &min_seq).await?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "candidate-not-registered",
            format!("no candidate {participant} of yours at this job-dating"),
        )
    };
    let found = ::views::jobdating::candidate_interviews(db, session, participant)
        .map_err(|e| view_error(&e))?;
    let Some((partner, interviews)) = found else {
        return Err(unknown());
    };
    match &reader.0.role {
        Role::Partner(own) if *own == partner => {}
        Role::Partner(_) => return Err(unknown()),
        Role::Organiser(_) => organiser_reads(&state, &reader.0, session)?,
        Role::Venue(_) => {
            return Err(ApiError::forbidden(
                "a candidate's timetable is read by their partner and the organisers",
            ));
        }
    }
    let info = ::views::jobdating::session(db, session).map_err(|e| view_error(&e))?;
    let zone = info.time_zone.clone();
    let location = match (&info.venue_name, &info.address) {
        (Some(name), Some(address)) => Some(format!("{name}, {address}")),
        (Some(name), None) => Some(name.clone()),
        _ => None,
    };
    let entries: Vec<Entry> = interviews
        .iter()
        .map(|interview| {
            let when = match zone.as_deref().and_then(|z| TimeZone::get(z).ok()) {
                Some(tz) => When::Local {
                    zone: zone.clone().unwrap_or_default(),
                    starts: interview.starts_at.to_zoned(tz.clone()).datetime(),
                    ends: interview.ends_at.to_zoned(tz).datetime(),
                },
                None => When::Utc {
                    starts: interview.starts_at,
                    ends: interview.ends_at,
                },
            };
            let employer = interview
                .employer
                .as_ref()
                .map_or_else(|| "un employeur".to_owned(), |e| e.name.clone());
            Entry {
                uid: ::views::jobdating::interview_uid(session, interview.table, interview.slot),
                stamp: interview.changed_at,
                sequence: 0,
                when,
                summary: format!("Entretien — {employer}"),
                location: location.clone(),
                description: Some(format!(
                    "Job-dating : table {}, créneau {}",
                    interview.table, interview.slot
                )),
                status: EntryStatus::Confirmed,
            }
        })
        .collect();
    let name = info.title.unwrap_or_else(|| "Job-dating".to_owned());
    let calendar = ::views::ics::calendar(&name, &entries);
    Ok(super::readers::text(
        CALENDAR,
        calendar,
        Some(format!("jobdating-{participant}.ics")),
    ))
}
