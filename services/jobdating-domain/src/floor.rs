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

use proto::refusal::RefusalKind;
use std::collections::{BTreeMap, BTreeSet};

use decider::Decider;
use jiff::Timestamp;
use proto::jobdating::{
    BookedBy, Candidate, Command, Configured, DraftedInterview, EmployerJoined, Event,
    InterviewBooked, InterviewCancelled, Outcome, OutcomeRecorded, PlanAnnounced, PlanDrafted,
    RecruiterSeated, Setup, SlotsBlocked, SlotsUnblocked, Span, TableDrafted, Wish,
    WishesSubmitted,
};
use proto::registration::ParticipantId;
use proto::taxonomy::Job;
use proto::values::{EmployerId, PartnerId, RecruiterId, SlotNo, TableNo};
use serde::{Deserialize, Serialize};

use crate::planner::{self, Instance, PlanCandidate, PlanTable};
use crate::{Gap, cut_slots, seconds};

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

/// What a floor remembers. Snapshotted by the shell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FloorState {
    /// The set-up, once configured: nothing else is accepted before.
    pub setup: Option<Setup>,
    /// The slots cut from the set-up, slot 1 first: every table has them.
    pub slots: Vec<Span>,
    /// The employers, with what they recruit for: wishes name them, jobs resolve to them.
    pub employers: BTreeMap<EmployerId, EmployerJoined>,
    /// The tables, each with its recruiter and blocked slots.
    pub tables: BTreeMap<TableNo, Table>,
    /// Every booking, by table then slot: one candidate per slot.
    pub bookings: BTreeMap<TableNo, BTreeMap<SlotNo, Booking>>,
    /// Each candidate's latest wishes.
    pub wishes: BTreeMap<ParticipantId, WishesSubmitted>,
    /// The latest planner run (0: none yet).
    pub runs: u32,
    /// The run whose draft is not announced yet, if any: its bookings are dropped by the next.
    pub draft: Option<u32>,
    /// The runs announced: announcing one again records nothing.
    pub announced_runs: BTreeSet<u32>,
}

/// A table of the floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Its employer: whose interviews it holds, who records their outcomes.
    pub employer: EmployerId,
    /// Its recruiter, seated once.
    pub recruiter: RecruiterId,
    /// Slots nobody may be booked in.
    pub blocked: BTreeSet<SlotNo>,
}

/// One interview booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// The table's employer.
    pub employer: EmployerId,
    /// The candidate.
    pub candidate: Candidate,
    /// Who booked it: a partner, or a planner run.
    pub by: BookedBy,
    /// Whether its candidate's partner was told: a partner's booking at once, a planner's once
    /// its draft is announced. An announced interview is never moved by a later run.
    pub announced: bool,
    /// What came of it, once its employer said.
    pub outcome: Option<Outcome>,
}

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

impl FloorState {
    /// The booking at a table and slot, if any.
    pub fn booking(&self, table: TableNo, slot: SlotNo) -> Option<&Booking> {
        self.bookings.get(&table).and_then(|slots| slots.get(&slot))
    }

    /// Every booking, by table then slot.
    pub fn all_bookings(&self) -> impl Iterator<Item = (TableNo, SlotNo, &Booking)> {
        self.bookings
            .iter()
            .flat_map(|(table, slots)| slots.iter().map(move |(slot, b)| (*table, *slot, b)))
    }

    /// A candidate's interviews, booked or drafted, in table and slot order.
    pub fn interviews_of(
        &self,
        participant: ParticipantId,
    ) -> impl Iterator<Item = (TableNo, SlotNo, &Booking)> {
        self.all_bookings()
            .filter(move |(_, _, b)| b.candidate.participant == participant)
    }

    /// The floor as the planner sees it: every interview but the current draft's is given (its
    /// slot closed, counted for its candidate); candidates are those with wishes, in participant
    /// order.
    pub fn planner_instance(&self) -> Instance {
        PlannedFloor::of(self).instance
    }

    /// A slot's times, if it exists.
    pub fn slot(&self, slot: SlotNo) -> Option<Span> {
        self.slots.get(slot.index()).copied()
    }

    fn gap(&self) -> Gap {
        Gap(self
            .setup
            .as_ref()
            .map_or(0, |s| i64::from(s.gap_minutes.get()) * 60))
    }

    fn table(&self, table: TableNo) -> Result<&Table, FloorRefusal> {
        self.tables
            .get(&table)
            .ok_or(FloorRefusal::UnknownTable { table })
    }

    fn known_slot(&self, slot: SlotNo) -> Result<Span, FloorRefusal> {
        self.slot(slot).ok_or(FloorRefusal::UnknownSlot {
            slot,
            slots: self.slots.len(),
        })
    }
}

fn span_seconds(span: Span) -> (i64, i64) {
    (seconds(span.starts_at), seconds(span.ends_at))
}

fn configure(state: &FloorState, setup: &Setup) -> Result<Vec<Event>, FloorRefusal> {
    if state.setup.as_ref() == Some(setup) {
        return Ok(vec![]);
    }
    if setup.ends_at <= setup.starts_at {
        return Err(FloorRefusal::EndsBeforeItStarts);
    }
    if setup.breaks.iter().any(|b| {
        b.ends_at <= b.starts_at || b.starts_at < setup.starts_at || b.ends_at > setup.ends_at
    }) {
        return Err(FloorRefusal::BreakOutsideSession);
    }
    if setup.wishes_until > setup.starts_at {
        return Err(FloorRefusal::WishesAfterStart);
    }
    if state.all_bookings().next().is_some() || state.tables.values().any(|t| !t.blocked.is_empty())
    {
        return Err(FloorRefusal::FloorInUse);
    }
    let slots = cut_slots(setup);
    if slots.is_empty() {
        return Err(FloorRefusal::NoSlot);
    }
    if slots.len() > usize::from(SlotNo::MAX) {
        return Err(FloorRefusal::TooManySlots { max: SlotNo::MAX });
    }
    Ok(vec![Event::Configured(Configured {
        setup: setup.clone(),
        slots,
    })])
}

fn join(state: &FloorState, joined: &EmployerJoined) -> Result<Vec<Event>, FloorRefusal> {
    match state.employers.get(&joined.employer) {
        Some(known) if known == joined => return Ok(vec![]),
        Some(_) => {
            return Err(FloorRefusal::EmployerAlreadyJoined {
                employer: joined.employer,
            });
        }
        None => {}
    }
    if joined.jobs.is_empty() {
        return Err(FloorRefusal::NoJob);
    }
    for (i, offer) in joined.jobs.iter().enumerate() {
        if joined.jobs[..i]
            .iter()
            .any(|o| (o.job, o.contract) == (offer.job, offer.contract))
        {
            return Err(FloorRefusal::JobOfferedTwice { job: offer.job });
        }
    }
    Ok(vec![Event::EmployerJoined(joined.clone())])
}

fn seat(state: &FloorState, seated: &RecruiterSeated) -> Result<Vec<Event>, FloorRefusal> {
    if !state.employers.contains_key(&seated.employer) {
        return Err(FloorRefusal::UnknownEmployer {
            employer: seated.employer,
        });
    }
    if let Some(table) = state.tables.get(&seated.table) {
        return if (table.employer, &table.recruiter) == (seated.employer, &seated.recruiter) {
            Ok(vec![])
        } else {
            Err(FloorRefusal::TableTaken {
                table: seated.table,
            })
        };
    }
    if let Some((table, _)) = state
        .tables
        .iter()
        .find(|(_, t)| (t.employer, &t.recruiter) == (seated.employer, &seated.recruiter))
    {
        return Err(FloorRefusal::RecruiterSeatedElsewhere {
            recruiter: seated.recruiter.clone(),
            table: *table,
        });
    }
    Ok(vec![Event::RecruiterSeated(seated.clone())])
}

fn block(state: &FloorState, blocked: &SlotsBlocked) -> Result<Vec<Event>, FloorRefusal> {
    let table = state.table(blocked.table)?;
    let mut slots = Vec::new();
    for &slot in &blocked.slots {
        state.known_slot(slot)?;
        if state.booking(blocked.table, slot).is_some() {
            return Err(FloorRefusal::SlotTaken {
                table: blocked.table,
                slot,
            });
        }
        if !table.blocked.contains(&slot) && !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    Ok(if slots.is_empty() {
        vec![]
    } else {
        vec![Event::SlotsBlocked(SlotsBlocked {
            table: blocked.table,
            slots,
            reason: blocked.reason.clone(),
        })]
    })
}

fn unblock(state: &FloorState, unblocked: &SlotsUnblocked) -> Result<Vec<Event>, FloorRefusal> {
    let table = state.table(unblocked.table)?;
    let mut slots = Vec::new();
    for &slot in &unblocked.slots {
        state.known_slot(slot)?;
        if table.blocked.contains(&slot) && !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    Ok(if slots.is_empty() {
        vec![]
    } else {
        vec![Event::SlotsUnblocked(SlotsUnblocked {
            table: unblocked.table,
            slots,
        })]
    })
}

/// Why `candidate` may not have an interview with `employer` at `slot` (times `span`), given the
/// interviews they have (drafts included): the limit first, then each interview's time and
/// employer.
fn candidate_fits(
    state: &FloorState,
    candidate: &Candidate,
    employer: EmployerId,
    span: Span,
) -> Result<(), FloorRefusal> {
    let limit = state.setup.as_ref().map_or(0, |s| s.max_interviews.get());
    if state.interviews_of(candidate.participant).count() >= usize::from(limit) {
        return Err(FloorRefusal::TooManyInterviews { limit });
    }
    let gap = state.gap();
    let here = span_seconds(span);
    for (table, slot, booking) in state.interviews_of(candidate.participant) {
        let Some(theirs) = state.slot(slot) else {
            continue;
        };
        let theirs = span_seconds(theirs);
        if !Gap(0).apart(here, theirs) {
            return Err(FloorRefusal::CandidateBusy { table, slot });
        }
        if !gap.apart(here, theirs) {
            return Err(FloorRefusal::TooClose {
                table,
                slot,
                gap_minutes: state.setup.as_ref().map_or(0, |s| s.gap_minutes.get()),
            });
        }
        if booking.employer == employer {
            return Err(FloorRefusal::AlreadyMeetingEmployer { table, slot });
        }
    }
    Ok(())
}

fn book(
    state: &FloorState,
    candidate: &Candidate,
    table_no: TableNo,
    slot: SlotNo,
    now: Timestamp,
) -> Result<Vec<Event>, FloorRefusal> {
    let table = state.table(table_no)?;
    let span = state.known_slot(slot)?;
    if let Some(booking) = state.booking(table_no, slot) {
        return if &booking.candidate == candidate {
            Ok(vec![])
        } else {
            Err(FloorRefusal::SlotTaken {
                table: table_no,
                slot,
            })
        };
    }
    if table.blocked.contains(&slot) {
        return Err(FloorRefusal::SlotBlocked {
            table: table_no,
            slot,
        });
    }
    if now >= span.starts_at {
        return Err(FloorRefusal::SlotStarted {
            starts_at: span.starts_at,
        });
    }
    if let Some(submitted) = state.wishes.get(&candidate.participant)
        && submitted.candidate.partner != candidate.partner
    {
        return Err(FloorRefusal::NotYourCandidate);
    }
    candidate_fits(state, candidate, table.employer, span)?;
    let wish = state
        .wishes
        .get(&candidate.participant)
        .and_then(|w| best_wish_honoured(state, w, table.employer));
    Ok(vec![Event::InterviewBooked(InterviewBooked {
        table: table_no,
        slot,
        time: span,
        employer: table.employer,
        candidate: candidate.clone(),
        by: BookedBy::Partner,
        wish,
    })])
}

/// The rank (from 1) of the best of `submitted`'s wishes an interview with `employer` honours.
fn best_wish_honoured(
    state: &FloorState,
    submitted: &WishesSubmitted,
    employer: EmployerId,
) -> Option<u8> {
    submitted
        .wishes
        .as_slice()
        .iter()
        .position(|wish| honours(state, *wish, employer))
        .and_then(|i| u8::try_from(i + 1).ok())
}

/// Whether an interview with `employer` honours `wish`.
fn honours(state: &FloorState, wish: Wish, employer: EmployerId) -> bool {
    match wish {
        Wish::Employer { employer: wanted } => wanted == employer,
        Wish::Job { job } => state
            .employers
            .get(&employer)
            .is_some_and(|e| e.recruits_for(job)),
    }
}

fn cancel(
    state: &FloorState,
    partner: &PartnerId,
    table: TableNo,
    slot: SlotNo,
    now: Timestamp,
) -> Result<Vec<Event>, FloorRefusal> {
    let Some(booking) = state.booking(table, slot) else {
        return Err(FloorRefusal::UnknownInterview { table, slot });
    };
    if &booking.candidate.partner != partner {
        return Err(FloorRefusal::NotYourCandidate);
    }
    let span = state.known_slot(slot)?;
    if now >= span.starts_at {
        return Err(FloorRefusal::SlotStarted {
            starts_at: span.starts_at,
        });
    }
    Ok(vec![Event::InterviewCancelled(InterviewCancelled {
        table,
        slot,
        candidate: booking.candidate.clone(),
    })])
}

fn submit_wishes(
    state: &FloorState,
    submitted: &WishesSubmitted,
    now: Timestamp,
) -> Result<Vec<Event>, FloorRefusal> {
    let Some(setup) = &state.setup else {
        return Err(FloorRefusal::NotConfigured);
    };
    if now >= setup.wishes_until {
        return Err(FloorRefusal::WishesClosed {
            until: setup.wishes_until,
        });
    }
    if let Some(known) = state.wishes.get(&submitted.candidate.participant) {
        if known.candidate.partner != submitted.candidate.partner {
            return Err(FloorRefusal::NotYourCandidate);
        }
        if known == submitted {
            return Ok(vec![]);
        }
    }
    for wish in submitted.wishes.as_slice() {
        if let Wish::Employer { employer } = wish
            && !state.employers.contains_key(employer)
        {
            return Err(FloorRefusal::UnknownEmployer {
                employer: *employer,
            });
        }
    }
    Ok(vec![Event::WishesSubmitted(submitted.clone())])
}

fn run_planner(state: &FloorState, seed: u64, now: Timestamp) -> Result<Vec<Event>, FloorRefusal> {
    let Some(setup) = &state.setup else {
        return Err(FloorRefusal::NotConfigured);
    };
    if now >= setup.starts_at {
        return Err(FloorRefusal::SessionStarted {
            starts_at: setup.starts_at,
        });
    }
    let floor = PlannedFloor::of(state);
    let plan = planner::plan(&floor.instance, seed);
    let run = state.runs + 1;
    let mut events = vec![Event::PlanDrafted(PlanDrafted {
        run,
        seed,
        candidates: count_u32(floor.candidates.len()),
        interviews: count_u32(plan.interviews.len()),
        first_wishes_honoured: count_u32(plan.first_wishes_honoured),
        wishes_honoured: count_u32(plan.wishes_honoured),
    })];
    if plan.interviews.len() > MAX_DRAFT_INTERVIEWS {
        return Err(FloorRefusal::DraftTooLarge {
            interviews: plan.interviews.len(),
            max: MAX_DRAFT_INTERVIEWS,
        });
    }
    // One compact event per table, its interviews by slot.
    let mut tables: BTreeMap<TableNo, TableDrafted> = BTreeMap::new();
    for p in &plan.interviews {
        let (Some((table, employer)), Some(slot), Some(candidate)) = (
            floor.tables.get(p.table),
            SlotNo::at_index(p.slot),
            floor.candidates.get(p.candidate),
        ) else {
            continue;
        };
        tables
            .entry(*table)
            .or_insert_with(|| TableDrafted {
                run,
                table: *table,
                employer: *employer,
                interviews: Vec::new(),
            })
            .interviews
            .push(DraftedInterview {
                slot,
                participant: candidate.participant,
                wish: u8::try_from(p.wish).ok().filter(|w| *w > 0),
            });
    }
    for drafted in tables.values_mut() {
        drafted.interviews.sort_by_key(|i| i.slot);
    }
    events.extend(tables.into_values().map(Event::TableDrafted));
    Ok(events)
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The floor as the planner sees it, and the way back from its indexes.
struct PlannedFloor {
    instance: Instance,
    /// Table index → (table, employer).
    tables: Vec<(TableNo, EmployerId)>,
    /// Candidate index → candidate.
    candidates: Vec<Candidate>,
}

impl PlannedFloor {
    /// Every interview but the current draft's is given (kept, and counted); the draft's are
    /// dropped, their places offered again.
    fn of(state: &FloorState) -> Self {
        let employers: Vec<EmployerId> = state.employers.keys().copied().collect();
        let employer_index = |id: &EmployerId| employers.binary_search(id).ok();
        let kept = |b: &Booking| b.announced;
        // A table's employer is always known (seating checks it).
        let (tables, plan_tables): (Vec<(TableNo, EmployerId)>, Vec<PlanTable>) = state
            .tables
            .iter()
            .filter_map(|(no, table)| {
                let employer = employer_index(&table.employer)?;
                let open = (0..state.slots.len())
                    .map(|i| {
                        SlotNo::at_index(i).is_some_and(|slot| {
                            !table.blocked.contains(&slot)
                                && !state.booking(*no, slot).is_some_and(kept)
                        })
                    })
                    .collect();
                Some(((*no, table.employer), PlanTable { employer, open }))
            })
            .unzip();
        let table_index = |no: TableNo| tables.iter().position(|(t, _)| *t == no);
        let mut candidates = Vec::new();
        let mut plan_candidates = Vec::new();
        for submitted in state.wishes.values() {
            let wishes = submitted
                .wishes
                .as_slice()
                .iter()
                .map(|wish| {
                    employers
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| honours(state, *wish, **e))
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect();
            let fixed = state
                .interviews_of(submitted.candidate.participant)
                .filter(|(_, _, b)| kept(b))
                .filter_map(|(table, slot, _)| Some((table_index(table)?, slot.index())))
                .collect();
            plan_candidates.push(PlanCandidate {
                key: submitted.candidate.participant.0.as_u128(),
                wishes,
                fixed,
            });
            candidates.push(submitted.candidate.clone());
        }
        let setup_gap = state.gap().0;
        let limit = state
            .setup
            .as_ref()
            .map_or(0, |s| usize::from(s.max_interviews.get()));
        Self {
            instance: Instance {
                slots: state.slots.iter().map(|s| span_seconds(*s)).collect(),
                gap_seconds: setup_gap,
                max_interviews: limit,
                employers: employers.len(),
                tables: plan_tables,
                candidates: plan_candidates,
            },
            tables,
            candidates,
        }
    }
}

fn record_outcome(
    state: &FloorState,
    employer: EmployerId,
    table: TableNo,
    slot: SlotNo,
    outcome: Outcome,
    now: Timestamp,
) -> Result<Vec<Event>, FloorRefusal> {
    let Some(booking) = state.booking(table, slot) else {
        return Err(FloorRefusal::UnknownInterview { table, slot });
    };
    if booking.employer != employer {
        return Err(FloorRefusal::NotYourTable { table });
    }
    if !booking.announced {
        return Err(FloorRefusal::NotAnnounced { table, slot });
    }
    let span = state.known_slot(slot)?;
    if now < span.starts_at {
        return Err(FloorRefusal::InterviewNotBegun {
            starts_at: span.starts_at,
        });
    }
    if let Outcome::Hired { job, .. } = outcome
        && !state
            .employers
            .get(&employer)
            .is_some_and(|e| e.recruits_for(job))
    {
        return Err(FloorRefusal::JobNotOffered { job });
    }
    if booking.outcome == Some(outcome) {
        return Ok(vec![]);
    }
    Ok(vec![Event::OutcomeRecorded(OutcomeRecorded {
        table,
        slot,
        employer,
        candidate: booking.candidate.clone(),
        outcome,
    })])
}
