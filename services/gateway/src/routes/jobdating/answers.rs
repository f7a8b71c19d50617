//! The answers of the job-dating floor's commands: each names the session, what the caller
//! named (an employer, a table, a slot, a candidate, a planner run) and where it was recorded.

use proto::registration::ParticipantId;
use proto::values::{EmployerId, SessionId, SlotNo, TableNo};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::routes::answers::{JobDatingStream, Recorded};

/// A floor's command, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct FloorRecorded {
    /// The job-dating session.
    pub session: SessionId,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// An employer added to a floor.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EmployerAdded {
    /// The job-dating session.
    pub session: SessionId,
    /// The employer.
    pub employer: EmployerId,
    /// Where it was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// A table's command (a recruiter seated, slots blocked or opened), recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct TableRecorded {
    /// The job-dating session.
    pub session: SessionId,
    /// The table.
    pub table: TableNo,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// A slot's command (a booking cancelled, an outcome), recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SlotRecorded {
    /// The job-dating session.
    pub session: SessionId,
    /// The table.
    pub table: TableNo,
    /// The slot.
    pub slot: SlotNo,
    /// Where the command was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// A slot booked for a partner's candidate.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SlotBooked {
    /// The job-dating session.
    pub session: SessionId,
    /// The candidate.
    pub participant: ParticipantId,
    /// The table.
    pub table: TableNo,
    /// The slot.
    pub slot: SlotNo,
    /// Where the booking was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// A candidate's wishes, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct WishesRecorded {
    /// The job-dating session.
    pub session: SessionId,
    /// The candidate.
    pub participant: ParticipantId,
    /// Where the wishes were recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// A planner run, recorded.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct PlanRun {
    /// The job-dating session.
    pub session: SessionId,
    /// What the run drafted (`null` when a retry was answered from the log).
    pub draft: Option<DraftFigures>,
    /// Where the run was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}

/// A planner draft's figures.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct DraftFigures {
    /// The run, from 1.
    pub run: u32,
    /// Candidates with wishes it planned for.
    pub candidates: u32,
    /// Interviews it booked (announced interviews not counted).
    pub interviews: u32,
    /// Candidates whose first wish is honoured (announced interviews counted).
    pub first_wishes_honoured: u32,
    /// Wishes honoured, all ranks (announced interviews counted).
    pub wishes_honoured: u32,
}

/// A planner draft announced.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct PlanAnnounced {
    /// The job-dating session.
    pub session: SessionId,
    /// The run announced.
    pub run: u32,
    /// Where the announcement was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<JobDatingStream>,
}
