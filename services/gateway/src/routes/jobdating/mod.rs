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
//!
//! Here: the area's routes, and who may do what (the floor staff, an organiser as the view read
//! the session); the commands are in `commands`, the reads in `reads`, their answers in
//! `answers`.

use jobdating::JobDating;
use proto::jobdating::{Command, Event};
use proto::values::SessionId;

use super::answers::{JobDatingStream, Recorded};
use super::readers::{CALENDAR, view_error};
use super::table::*;
use crate::auth::Caller;
use crate::keys::{Editions, Principal, Role};
use crate::problem::ApiError;
use crate::routes::AppState;
use crate::routes::partners::organiser_of_session;

mod answers;
mod commands;
mod reads;

pub use answers::{
    DraftFigures, EmployerAdded, FloorRecorded, PlanAnnounced, PlanRun, SlotBooked, SlotRecorded,
    TableRecorded, WishesRecorded,
};
use commands::{
    BlockBody, BookBody, OutcomeBody, Seed, UnblockBody, WishesBody, announce_plan, block_slots,
    book, cancel_booking, configure, join_employer, record_outcome, run_planner, seat_recruiter,
    submit_wishes, unblock_slots,
};
use reads::{candidate_calendar, figures, store, timetable};

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

/// Runs a floor command on the job-dating service, as the caller.
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
