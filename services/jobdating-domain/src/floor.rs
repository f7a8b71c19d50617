//! A job-dating session's floor (aggregate `jd.session.<session id>`): its slots, employers and
//! their recruiters' tables, blocked slots, bookings, wishes, planner drafts and outcomes.
//!
//! Every rule about who sits where and when is decided by this one aggregate, so each is decided
//! by a single fold of a single history: two bookings of one slot that arrive at once are
//! serialised by the shell's optimistic append, and the second is decided against a state that
//! already holds the first (`slot-taken`).
//!
//! # The rules
//! - One slot of one table holds one candidate; a blocked slot holds nobody.
//! - A candidate never has two interviews at the same time, nor two closer than the set-up's
//!   gap, nor more than its limit, nor two with the same employer.
//! - A booking is made before its slot starts; a partner books, cancels and sends wishes for its
//!   own candidates only.
//! - Wishes are sent before the set-up's deadline.
//! - The planner drafts every timetable from the wishes ([`crate::planner`]); a new draft drops
//!   the previous draft's interviews; an announced draft is fixed, and a later run never moves
//!   its interviews (nor any interview a partner booked).
//! - An outcome is recorded by the table's employer, for an interview booked (and announced)
//!   whose slot has begun.
//!
//! ```text
//! Configure ─> JoinEmployer, SeatRecruiter, BlockSlots ─┬─> Book (partner) ───────────────┬─> RecordOutcome
//!                        SubmitWishes (until deadline) ─┴─> RunPlanner ─> AnnouncePlan ───┘
//! ```
//!
//! # Layout
//! - this file: the commands ([`FloorCommand`]), the refusals ([`FloorRefusal`]) and the
//!   [`Decider`] (which decision answers which command, and how each event folds);
//! - `state`: what a floor remembers ([`FloorState`], its tables and bookings) and what it tells
//!   of it;
//! - `set_up`: configuring the floor, employers joining, recruiters seated, slots blocked;
//! - `bookings`: a partner's bookings and cancellations, wishes, and outcomes;
//! - `planning`: the planner's runs, from the floor to the planner's indexes and back.

mod bookings;
mod planning;
mod set_up;
mod state;

use proto::refusal::RefusalKind;

pub use state::{Booking, FloorState, Table};

use std::collections::BTreeSet;

use bookings::{book, cancel, record_outcome, submit_wishes};
use decider::Decider;
use jiff::Timestamp;
use planning::run_planner;
use proto::jobdating::{BookedBy, Command, Event, PlanAnnounced};
use proto::taxonomy::Job;
use proto::values::{EmployerId, RecruiterId, SlotNo, TableNo};
use set_up::{block, configure, join, seat, unblock};

/// The decider of a job-dating session's floor.
#[derive(Debug, Clone, Copy)]
pub struct Floor;

/// A command with the current time, which the shell puts in: the domain reads no clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorCommand {
    /// What is asked.
    pub command: Command,
    /// The current time: bookings close at their slot's start, wishes at their deadline,
    /// outcomes open at the slot's start.
    pub now: Timestamp,
    /// Whether the command's candidate holds a confirmed seat in the session, as the shell read
    /// it from the registration context: a booking or wishes for a candidate who does not are
    /// refused (`candidate-not-registered`). `None` when the shell did not look (a command that
    /// names no candidate, or a floor run without the registration context).
    pub registered: Option<bool>,
}

impl FloorCommand {
    /// A command at `now`, with no registration looked up.
    pub fn new(command: Command, now: Timestamp) -> Self {
        Self {
            command,
            now,
            registered: None,
        }
    }
}

/// The most interviews one planner draft may hold: a draft is one commit, one NATS message
/// (1 MB by default), and a drafted interview weighs about 70 bytes in it. Larger floors are
/// planned in parts (fewer candidates' wishes at a time) or with a higher `max_payload`.
pub const MAX_DRAFT_INTERVIEWS: usize = 10_000;

/// Why a floor refuses a command. Each variant says what is wrong and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FloorRefusal {
    /// Nothing is accepted before the floor is set up.
    #[error("the job-dating is not set up yet; the organiser configures it first")]
    NotConfigured,
    /// The session ends before it starts.
    #[error("the job-dating ends before it starts")]
    EndsBeforeItStarts,
    /// A break that is not within the session, or ends before it starts.
    #[error("a break must lie within the job-dating and end after it starts")]
    BreakOutsideSession,
    /// The wishes' deadline is after the session's start.
    #[error("wishes must close at or before the job-dating starts")]
    WishesAfterStart,
    /// Not one slot fits.
    #[error("no slot of this length fits between the job-dating's start, end and breaks")]
    NoSlot,
    /// More slots than can be numbered.
    #[error("the set-up cuts more than {max} slots; choose longer slots")]
    TooManySlots {
        /// The most slots.
        max: u16,
    },
    /// The set-up changes once slots are booked or blocked.
    #[error(
        "slots are already booked or blocked; the set-up can no longer change (cancel them first)"
    )]
    FloorInUse,
    /// An employer recruiting for nothing.
    #[error("an employer recruits for at least one job")]
    NoJob,
    /// The same job and contract twice.
    #[error("{} under this contract is listed twice; list each job and contract once", .job.label_fr())]
    JobOfferedTwice {
        /// The job.
        job: Job,
    },
    /// The employer joined already, with other details.
    #[error("employer {employer} has already joined with other details")]
    EmployerAlreadyJoined {
        /// The employer.
        employer: EmployerId,
    },
    /// No such employer here.
    #[error("employer {employer} has not joined this job-dating")]
    UnknownEmployer {
        /// The employer.
        employer: EmployerId,
    },
    /// The table holds another recruiter.
    #[error("table {table} is taken by another recruiter; choose a free table")]
    TableTaken {
        /// The table.
        table: TableNo,
    },
    /// The recruiter sits at another table.
    #[error("recruiter {recruiter} already sits at table {table}")]
    RecruiterSeatedElsewhere {
        /// The recruiter.
        recruiter: RecruiterId,
        /// Their table.
        table: TableNo,
    },
    /// No recruiter sits at the table.
    #[error("no recruiter sits at table {table}")]
    UnknownTable {
        /// The table.
        table: TableNo,
    },
    /// No such slot.
    #[error("there is no slot {slot}; the slots are 1 to {slots}")]
    UnknownSlot {
        /// The slot asked for.
        slot: SlotNo,
        /// How many slots there are.
        slots: usize,
    },
    /// The slot is blocked by its recruiter.
    #[error("slot {slot} of table {table} is blocked; choose another slot")]
    SlotBlocked {
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
    },
    /// The slot holds another candidate, or a slot to block is booked.
    #[error("slot {slot} of table {table} is already booked")]
    SlotTaken {
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
    },
    /// The slot started: bookings and cancellations close at its start.
    #[error("the slot started at {starts_at}; bookings and cancellations close at its start")]
    SlotStarted {
        /// When it started.
        starts_at: Timestamp,
    },
    /// The candidate has an interview at the same time.
    #[error("the candidate already has an interview at that time (slot {slot}, table {table})")]
    CandidateBusy {
        /// Their interview's table.
        table: TableNo,
        /// Their interview's slot.
        slot: SlotNo,
    },
    /// The candidate has an interview closer than the gap.
    #[error(
        "the candidate has an interview too close to this one (slot {slot}, table {table}); \
         interviews of one candidate are at least {gap_minutes} minutes apart"
    )]
    TooClose {
        /// Their interview's table.
        table: TableNo,
        /// Their interview's slot.
        slot: SlotNo,
        /// The gap.
        gap_minutes: u16,
    },
    /// The candidate has as many interviews as allowed.
    #[error("the candidate already has {limit} interviews, the most allowed")]
    TooManyInterviews {
        /// The limit.
        limit: u16,
    },
    /// The candidate meets this employer already.
    #[error(
        "the candidate already has an interview with this employer (slot {slot}, table {table})"
    )]
    AlreadyMeetingEmployer {
        /// Their interview's table.
        table: TableNo,
        /// Their interview's slot.
        slot: SlotNo,
    },
    /// No interview there.
    #[error("there is no interview at table {table}, slot {slot}")]
    UnknownInterview {
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
    },
    /// The candidate was brought by another partner.
    #[error("this candidate was not registered by you; a partner acts for its own candidates only")]
    NotYourCandidate,
    /// The table is another employer's.
    #[error("table {table} is another employer's")]
    NotYourTable {
        /// The table.
        table: TableNo,
    },
    /// Wishes closed.
    #[error("wishes closed at {until}; book free slots directly instead")]
    WishesClosed {
        /// The deadline.
        until: Timestamp,
    },
    /// The session started: the planner no longer runs.
    #[error("the job-dating started at {starts_at}; the planner runs before it only")]
    SessionStarted {
        /// When it started.
        starts_at: Timestamp,
    },
    /// No draft of that run waits to be announced.
    #[error("run {run} is not the draft waiting to be announced")]
    NotTheDraft {
        /// The run asked for.
        run: u32,
    },
    /// A draft interview is not an interview until announced.
    #[error("the interview at table {table}, slot {slot} is a draft nobody was told of")]
    NotAnnounced {
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
    },
    /// The interview's slot has not begun.
    #[error("the interview begins at {starts_at}; its outcome is recorded from then on")]
    InterviewNotBegun {
        /// When it begins.
        starts_at: Timestamp,
    },
    /// The candidate holds no confirmed seat in the session (or was registered by another
    /// partner).
    #[error(
        "this participant holds no confirmed seat in this session through you; register them \
         first"
    )]
    CandidateNotRegistered,
    /// The draft would not fit one message.
    #[error(
        "the draft holds {interviews} interviews, more than the {max} one draft may hold; plan \
         after announcing part of the floor, or with fewer wishes at a time"
    )]
    DraftTooLarge {
        /// The interviews planned.
        interviews: usize,
        /// The most a draft holds.
        max: usize,
    },
    /// A hire for a job the employer does not recruit for.
    #[error("the employer does not recruit for {}", .job.label_fr())]
    JobNotOffered {
        /// The job.
        job: Job,
    },
}

impl FloorRefusal {
    /// A stable kebab-case code for this refusal, for API clients to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotConfigured => "jobdating-not-configured",
            Self::EndsBeforeItStarts => "ends-before-it-starts",
            Self::BreakOutsideSession => "break-outside-session",
            Self::WishesAfterStart => "wishes-after-start",
            Self::NoSlot => "no-slot",
            Self::TooManySlots { .. } => "too-many-slots",
            Self::FloorInUse => "floor-in-use",
            Self::NoJob => "no-job",
            Self::JobOfferedTwice { .. } => "job-offered-twice",
            Self::EmployerAlreadyJoined { .. } => "employer-already-joined",
            Self::UnknownEmployer { .. } => "unknown-employer",
            Self::TableTaken { .. } => "table-taken",
            Self::RecruiterSeatedElsewhere { .. } => "recruiter-seated-elsewhere",
            Self::UnknownTable { .. } => "unknown-table",
            Self::UnknownSlot { .. } => "unknown-slot",
            Self::SlotBlocked { .. } => "slot-blocked",
            Self::SlotTaken { .. } => "slot-taken",
            Self::SlotStarted { .. } => "slot-started",
            Self::CandidateBusy { .. } => "candidate-busy",
            Self::TooClose { .. } => "interviews-too-close",
            Self::TooManyInterviews { .. } => "too-many-interviews",
            Self::AlreadyMeetingEmployer { .. } => "already-meeting-employer",
            Self::UnknownInterview { .. } => "unknown-interview",
            Self::NotYourCandidate => "not-your-candidate",
            Self::NotYourTable { .. } => "not-your-table",
            Self::WishesClosed { .. } => "wishes-closed",
            Self::SessionStarted { .. } => "session-started",
            Self::NotTheDraft { .. } => "not-the-draft",
            Self::NotAnnounced { .. } => "interview-not-announced",
            Self::InterviewNotBegun { .. } => "interview-not-begun",
            Self::JobNotOffered { .. } => "job-not-offered",
            Self::CandidateNotRegistered => "candidate-not-registered",
            Self::DraftTooLarge { .. } => "draft-too-large",
        }
    }

    /// How a client should read it (see [`RefusalKind`]). Another partner's candidate is unknown
    /// to the asker: see [`FloorRefusal::told_to_others`].
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::UnknownEmployer { .. }
            | Self::UnknownTable { .. }
            | Self::UnknownSlot { .. }
            | Self::UnknownInterview { .. }
            | Self::CandidateNotRegistered
            | Self::NotYourCandidate => RefusalKind::Unknown,
            Self::NotConfigured
            | Self::FloorInUse
            | Self::EmployerAlreadyJoined { .. }
            | Self::TableTaken { .. }
            | Self::RecruiterSeatedElsewhere { .. }
            | Self::SlotBlocked { .. }
            | Self::SlotTaken { .. }
            | Self::SlotStarted { .. }
            | Self::CandidateBusy { .. }
            | Self::TooClose { .. }
            | Self::TooManyInterviews { .. }
            | Self::AlreadyMeetingEmployer { .. }
            | Self::NotYourTable { .. }
            | Self::WishesClosed { .. }
            | Self::SessionStarted { .. }
            | Self::NotTheDraft { .. }
            | Self::NotAnnounced { .. }
            | Self::InterviewNotBegun { .. }
            | Self::JobNotOffered { .. }
            | Self::DraftTooLarge { .. } => RefusalKind::Conflict,
            Self::EndsBeforeItStarts
            | Self::BreakOutsideSession
            | Self::WishesAfterStart
            | Self::NoSlot
            | Self::TooManySlots { .. }
            | Self::NoJob
            | Self::JobOfferedTwice { .. } => RefusalKind::Invalid,
        }
    }

    /// The refusal as the asking partner is told it: another partner's candidate is told exactly
    /// as one not registered, so that a partner learns nothing of candidates that are not its own.
    pub fn told_to_others(&self) -> std::borrow::Cow<'_, Self> {
        match self {
            Self::NotYourCandidate => std::borrow::Cow::Owned(Self::CandidateNotRegistered),
            other => std::borrow::Cow::Borrowed(other),
        }
    }
}

impl Decider for Floor {
    type State = FloorState;
    type Command = FloorCommand;
    type Event = Event;
    type Error = FloorRefusal;

    const STATE_VERSION: u32 = 1;

    fn decide(state: &FloorState, command: &FloorCommand) -> Result<Vec<Event>, FloorRefusal> {
        let now = command.now;
        match &command.command {
            Command::Configure(setup) => configure(state, setup),
            _ if state.setup.is_none() => Err(FloorRefusal::NotConfigured),
            Command::JoinEmployer(joined) => join(state, joined),
            Command::SeatRecruiter(seated) => seat(state, seated),
            Command::BlockSlots(blocked) => block(state, blocked),
            Command::UnblockSlots(unblocked) => unblock(state, unblocked),
            Command::Book { .. } | Command::SubmitWishes(_)
                if command.registered == Some(false) =>
            {
                Err(FloorRefusal::CandidateNotRegistered)
            }
            Command::Book {
                candidate,
                table,
                slot,
            } => book(state, candidate, *table, *slot, now),
            Command::CancelBooking {
                partner,
                table,
                slot,
            } => cancel(state, partner, *table, *slot, now),
            Command::SubmitWishes(submitted) => submit_wishes(state, submitted, now),
            Command::RunPlanner { seed } => run_planner(state, *seed, now),
            Command::AnnouncePlan { run } => {
                if state.draft == Some(*run) {
                    Ok(vec![Event::PlanAnnounced(PlanAnnounced { run: *run })])
                } else if state.announced_runs.contains(run) {
                    Ok(vec![])
                } else {
                    Err(FloorRefusal::NotTheDraft { run: *run })
                }
            }
            Command::RecordOutcome {
                employer,
                table,
                slot,
                outcome,
            } => record_outcome(state, *employer, *table, *slot, *outcome, now),
        }
    }

    fn evolve(mut state: FloorState, event: &Event) -> FloorState {
        match event {
            Event::Configured(configured) => {
                state.setup = Some(configured.setup.clone());
                state.slots = configured.slots.clone();
            }
            Event::EmployerJoined(joined) => {
                state.employers.insert(joined.employer, joined.clone());
            }
            Event::RecruiterSeated(seated) => {
                state.tables.insert(
                    seated.table,
                    Table {
                        employer: seated.employer,
                        recruiter: seated.recruiter.clone(),
                        blocked: BTreeSet::new(),
                    },
                );
            }
            Event::SlotsBlocked(blocked) => {
                if let Some(table) = state.tables.get_mut(&blocked.table) {
                    table.blocked.extend(blocked.slots.iter().copied());
                }
            }
            Event::SlotsUnblocked(unblocked) => {
                if let Some(table) = state.tables.get_mut(&unblocked.table) {
                    for slot in &unblocked.slots {
                        table.blocked.remove(slot);
                    }
                }
            }
            Event::WishesSubmitted(submitted) => {
                state
                    .wishes
                    .insert(submitted.candidate.participant, submitted.clone());
            }
            Event::InterviewBooked(booked) => {
                state.bookings.entry(booked.table).or_default().insert(
                    booked.slot,
                    Booking {
                        employer: booked.employer,
                        candidate: booked.candidate.clone(),
                        by: booked.by,
                        announced: booked.by == BookedBy::Partner,
                        outcome: None,
                    },
                );
            }
            Event::TableDrafted(drafted) => {
                for interview in &drafted.interviews {
                    // The planner plans candidates with wishes only: their partner is there.
                    let Some(submitted) = state.wishes.get(&interview.participant) else {
                        continue;
                    };
                    let booking = Booking {
                        employer: drafted.employer,
                        candidate: submitted.candidate.clone(),
                        by: BookedBy::Planner { run: drafted.run },
                        announced: false,
                        outcome: None,
                    };
                    state
                        .bookings
                        .entry(drafted.table)
                        .or_default()
                        .insert(interview.slot, booking);
                }
            }
            Event::InterviewCancelled(cancelled) => {
                if let Some(slots) = state.bookings.get_mut(&cancelled.table) {
                    slots.remove(&cancelled.slot);
                }
            }
            Event::PlanDrafted(drafted) => {
                for slots in state.bookings.values_mut() {
                    slots.retain(|_, booking| booking.announced);
                }
                state.runs = drafted.run;
                state.draft = Some(drafted.run);
            }
            Event::PlanAnnounced(announced) => {
                for booking in state.bookings.values_mut().flat_map(|s| s.values_mut()) {
                    if booking.by == (BookedBy::Planner { run: announced.run }) {
                        booking.announced = true;
                    }
                }
                state.draft = None;
                state.announced_runs.insert(announced.run);
            }
            Event::OutcomeRecorded(recorded) => {
                if let Some(booking) = state
                    .bookings
                    .get_mut(&recorded.table)
                    .and_then(|slots| slots.get_mut(&recorded.slot))
                {
                    booking.outcome = Some(recorded.outcome);
                }
            }
        }
        state
    }
}
