//! The job-dating context: employers meet candidates in short interviews at tables, on a floor
//! cut into slots.
//!
//! Stream `JOBDATING`, one aggregate per job-dating session, `jd.session.<session id>`: its
//! set-up (times, slot length, breaks, the gap between one candidate's interviews, the most
//! interviews per candidate, the wishes' deadline), its employers and their recruiters' tables,
//! blocked slots, every booking, the candidates' ranked wishes, the planner's drafts and their
//! announcement, and the interviews' outcomes. Every rule about who sits where and when is
//! decided by this one aggregate, so two bookings of one slot that arrive at once are serialised
//! by the optimistic append and exactly one wins.
//!
//! A candidate is a participant registered in the session through a partner, known here by ids
//! only ([`Candidate`]); their name and contacts stay sealed in the registration context.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::event_family;
use crate::registration::ParticipantId;
use crate::taxonomy::{ContractType, Job, StructureKind};
use crate::values::{
    EmployerId, GapMinutes, InseeCode, InterviewLimit, Invalid, Name, Openings, PartnerId, Reason,
    RecruiterId, SlotMinutes, SlotNo, TableNo,
};

/// A candidate: a participant registered in the job-dating session by a partner. The partner
/// alone books, cancels and sends wishes for them.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// The participant (see [`ParticipantId::of`]).
    pub participant: ParticipantId,
    /// The partner that registered them.
    pub partner: PartnerId,
}

/// A span of time: a break, an interview slot. The end is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    /// Start.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// End, exclusive: a span starting then does not overlap.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
}

/// How a job-dating session's floor is cut and run. The times are the session's, as the
/// scheduling context knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// The session's start: the first slot starts then.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub starts_at: Timestamp,
    /// The session's end: no slot ends after it.
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub ends_at: Timestamp,
    /// The length of one interview.
    pub slot_minutes: SlotMinutes,
    /// Breaks within the session: no slot overlaps one; the next slot starts at its end.
    #[serde(default)]
    pub breaks: Vec<Span>,
    /// The least time between two interviews of one candidate (0: back to back).
    pub gap_minutes: GapMinutes,
    /// The most interviews one candidate may have.
    pub max_interviews: InterviewLimit,
    /// Partners send their candidates' wishes until then (exclusive).
    #[schemars(schema_with = "crate::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "crate::values::strict::timestamp")]
    pub wishes_until: Timestamp,
}

/// A town, with its INSEE code for statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Town {
    /// Its name, e.g. "Embrun".
    pub name: Name,
    /// Its INSEE code, e.g. `05046`.
    pub insee_code: InseeCode,
}

/// A job an employer recruits for, under one contract type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobOffer {
    /// The job.
    pub job: Job,
    /// The contract offered.
    pub contract: ContractType,
    /// How many people it recruits.
    pub openings: Openings,
}

/// An employer joining a job-dating session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployerJoined {
    /// The employer.
    pub employer: EmployerId,
    /// The structure's name, e.g. "EHPAD Les Marronniers".
    pub name: Name,
    /// What kind of structure it is.
    pub kind: StructureKind,
    /// Its town.
    pub town: Town,
    /// What it recruits for: at least one offer.
    #[schemars(extend("minItems" = 1, "uniqueItems" = true))]
    pub jobs: Vec<JobOffer>,
}

impl EmployerJoined {
    /// Whether it recruits for `job`, under any contract.
    pub fn recruits_for(&self, job: Job) -> bool {
        self.jobs.iter().any(|offer| offer.job == job)
    }
}

/// What a candidate wishes to meet: an employer, or any employer recruiting for a job.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Wish {
    /// This employer.
    Employer {
        /// The employer.
        employer: EmployerId,
    },
    /// Any employer recruiting for this job.
    Job {
        /// The job.
        job: Job,
    },
}

/// A candidate's wishes, best first: 1 to [`Wishes::MAX`], each once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "Vec<Wish>", into = "Vec<Wish>")]
#[schemars(extend("minItems" = 1, "maxItems" = Wishes::MAX, "uniqueItems" = true))]
pub struct Wishes(Vec<Wish>);

impl Wishes {
    /// The most wishes one candidate may rank.
    pub const MAX: usize = 10;

    /// Checks `wishes`: 1 to [`Wishes::MAX`], none twice.
    pub fn parse(wishes: Vec<Wish>) -> Result<Self, Invalid> {
        if wishes.is_empty() || wishes.len() > Self::MAX {
            return Err(Invalid(format!(
                "a candidate ranks 1 to {} wishes, not {}",
                Self::MAX,
                wishes.len()
            )));
        }
        for (i, wish) in wishes.iter().enumerate() {
            if wishes[..i].contains(wish) {
                return Err(Invalid(format!(
                    "wish {} repeats an earlier one; rank each employer or job once",
                    i + 1
                )));
            }
        }
        Ok(Self(wishes))
    }

    /// The wishes, best first.
    pub fn as_slice(&self) -> &[Wish] {
        &self.0
    }
}

impl TryFrom<Vec<Wish>> for Wishes {
    type Error = Invalid;
    fn try_from(wishes: Vec<Wish>) -> Result<Self, Invalid> {
        Self::parse(wishes)
    }
}

impl From<Wishes> for Vec<Wish> {
    fn from(wishes: Wishes) -> Self {
        wishes.0
    }
}

/// What came of an interview, as its employer records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    // Struct variants, not unit ones: beside an internal tag, serde refuses unknown fields only
    // for struct variants.
    /// The candidate did not come.
    NoShow {},
    /// They met; nothing further.
    Met {},
    /// They will meet again.
    SecondInterview {},
    /// The candidate is hired.
    Hired {
        /// For which of the employer's jobs.
        job: Job,
        /// Under which contract.
        contract: ContractType,
    },
}

/// Who booked an interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "by", rename_all = "snake_case", deny_unknown_fields)]
pub enum BookedBy {
    /// The candidate's partner, directly: announced at once.
    Partner,
    /// A planner run: a draft until the organiser announces it.
    Planner {
        /// The run.
        run: u32,
    },
}

/// What can be asked of a job-dating session. The shell adds the current time; the partner in
/// a [`Candidate`] is the one the caller proved to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// The organiser sets the floor up, or changes it while nothing is booked or blocked.
    Configure(Setup),
    /// The organiser adds an employer.
    JoinEmployer(EmployerJoined),
    /// The organiser seats one of an employer's recruiters at a table.
    SeatRecruiter(RecruiterSeated),
    /// A recruiter (or the organiser) blocks slots of a table: nobody is booked in them.
    BlockSlots(SlotsBlocked),
    /// Blocked slots are opened again.
    UnblockSlots(SlotsUnblocked),
    /// A partner books a slot for its candidate.
    Book {
        /// The candidate.
        candidate: Candidate,
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
    },
    /// A partner cancels one of its candidates' interviews.
    CancelBooking {
        /// The partner asking.
        partner: PartnerId,
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
    },
    /// A partner sends (or replaces) a candidate's ranked wishes, before the deadline.
    SubmitWishes(WishesSubmitted),
    /// The organiser runs the planner: a new draft of every timetable from the wishes.
    RunPlanner {
        /// Breaks ties between candidates (a seeded hash of their ids): the same seed and the
        /// same facts give the same draft.
        seed: u64,
    },
    /// The organiser announces a draft: its interviews are fixed from then on.
    AnnouncePlan {
        /// The draft's run.
        run: u32,
    },
    /// An employer records the outcome of one of its interviews.
    RecordOutcome {
        /// The employer recording it.
        employer: EmployerId,
        /// The table.
        table: TableNo,
        /// The slot.
        slot: SlotNo,
        /// What came of it.
        outcome: Outcome,
    },
}

/// The floor was set up: its slots are cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Configured {
    /// The set-up.
    pub setup: Setup,
    /// The slots cut from it, in time order: slot 1 first. Every table has these slots.
    pub slots: Vec<Span>,
}

/// A recruiter sits at a table for an employer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecruiterSeated {
    /// The employer.
    pub employer: EmployerId,
    /// The recruiter, as the employer labels them.
    pub recruiter: RecruiterId,
    /// The table.
    pub table: TableNo,
}

/// Slots of a table were blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsBlocked {
    /// The table.
    pub table: TableNo,
    /// The slots, each once.
    pub slots: Vec<SlotNo>,
    /// Why, if said.
    #[serde(default)]
    pub reason: Option<Reason>,
}

/// Slots of a table were opened again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsUnblocked {
    /// The table.
    pub table: TableNo,
    /// The slots, each once.
    pub slots: Vec<SlotNo>,
}

/// A candidate's wishes were sent; they replace earlier ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WishesSubmitted {
    /// The candidate.
    pub candidate: Candidate,
    /// Their wishes, best first.
    pub wishes: Wishes,
}

/// An interview was booked: one candidate at one table in one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InterviewBooked {
    /// The table.
    pub table: TableNo,
    /// The slot.
    pub slot: SlotNo,
    /// The slot's times, for timetables.
    pub time: Span,
    /// The table's employer.
    pub employer: EmployerId,
    /// The candidate.
    pub candidate: Candidate,
    /// Who booked it.
    pub by: BookedBy,
    /// The rank (from 1) of the candidate's best wish it honours; none when it honours none.
    #[serde(default)]
    pub wish: Option<u8>,
}

/// An interview was cancelled by the candidate's partner: the slot is free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InterviewCancelled {
    /// The table.
    pub table: TableNo,
    /// The slot.
    pub slot: SlotNo,
    /// The candidate.
    pub candidate: Candidate,
}

/// The planner drafted every timetable. A draft replaces the previous draft: the previous
/// draft's interviews that were not announced are dropped; the new draft's interviews follow in
/// the same commit, one [`TableDrafted`] per table (drafts recorded before it existed follow with
/// one `InterviewBooked` per interview, which readers still fold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanDrafted {
    /// The run, from 1.
    pub run: u32,
    /// The seed its ties were broken with.
    pub seed: u64,
    /// Candidates with wishes it planned for.
    pub candidates: u32,
    /// Interviews it booked (announced interviews not counted).
    pub interviews: u32,
    /// Candidates whose first wish is honoured (announced interviews counted).
    pub first_wishes_honoured: u32,
    /// Wishes honoured, all ranks (announced interviews counted).
    pub wishes_honoured: u32,
}

/// One interview of a planner draft, at the table of its [`TableDrafted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftedInterview {
    /// The slot (its times are the floor's, in `JobDatingConfigured`).
    pub slot: SlotNo,
    /// The candidate; their partner is the one that sent their wishes (the planner plans only
    /// candidates with wishes).
    pub participant: ParticipantId,
    /// The rank (from 1) of the candidate's best wish it honours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wish: Option<u8>,
}

/// A table's interviews in a planner draft, as compact rows: one event per table with
/// interviews, after the `PlanDrafted` of the same commit. It says what an `InterviewBooked` by
/// the planner said, without repeating what the floor already knows (the slot's times, the
/// candidate's partner), so that a draft of thousands of interviews fits one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableDrafted {
    /// The run.
    pub run: u32,
    /// The table.
    pub table: TableNo,
    /// The table's employer.
    pub employer: EmployerId,
    /// Its interviews, by slot.
    pub interviews: Vec<DraftedInterview>,
}

/// The organiser announced a draft: its interviews are fixed; a later run never moves them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PlanAnnounced {
    /// The draft's run.
    pub run: u32,
}

/// An employer recorded what came of an interview; a later record replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OutcomeRecorded {
    /// The table.
    pub table: TableNo,
    /// The slot.
    pub slot: SlotNo,
    /// The employer.
    pub employer: EmployerId,
    /// The candidate.
    pub candidate: Candidate,
    /// What came of it.
    pub outcome: Outcome,
}

event_family!(
    /// What a job-dating session records.
    Event {
        /// The floor was set up and its slots cut.
        Configured(Configured) = "JobDatingConfigured" v 1,
        /// An employer joined.
        EmployerJoined(EmployerJoined) = "EmployerJoined" v 1,
        /// A recruiter sat at a table.
        RecruiterSeated(RecruiterSeated) = "RecruiterSeated" v 1,
        /// Slots were blocked.
        SlotsBlocked(SlotsBlocked) = "SlotsBlocked" v 1,
        /// Slots were opened again.
        SlotsUnblocked(SlotsUnblocked) = "SlotsUnblocked" v 1,
        /// A candidate's wishes were sent.
        WishesSubmitted(WishesSubmitted) = "WishesSubmitted" v 1,
        /// An interview was booked.
        InterviewBooked(InterviewBooked) = "InterviewBooked" v 1,
        /// An interview was cancelled.
        InterviewCancelled(InterviewCancelled) = "InterviewCancelled" v 1,
        /// The planner drafted the timetables.
        PlanDrafted(PlanDrafted) = "PlanDrafted" v 1,
        /// A table's interviews in a draft.
        TableDrafted(TableDrafted) = "TableDrafted" v 1,
        /// A draft was announced.
        PlanAnnounced(PlanAnnounced) = "PlanAnnounced" v 1,
        /// An interview's outcome was recorded.
        OutcomeRecorded(OutcomeRecorded) = "InterviewOutcomeRecorded" v 1,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wishes_are_one_to_ten_each_once() {
        let employer = Wish::Employer {
            employer: EmployerId(uuid::Uuid::nil()),
        };
        let nurse = Wish::Job { job: Job::Nurse };
        assert!(Wishes::parse(vec![employer, nurse]).is_ok());
        assert!(Wishes::parse(vec![]).is_err());
        assert!(Wishes::parse(vec![nurse, employer, nurse]).is_err());
        assert!(Wishes::parse(vec![nurse; 11]).is_err());
        let read: Result<Wishes, _> =
            serde_json::from_str(r#"[{"kind":"job","job":"nurse"},{"kind":"job","job":"nurse"}]"#);
        assert!(read.is_err());
    }
}
