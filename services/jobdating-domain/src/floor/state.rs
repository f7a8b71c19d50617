//! What a job-dating floor remembers (its set-up, employers, tables, bookings, wishes and planner
//! runs), and what it tells of it: a table's or slot's bookings, a candidate's interviews, the
//! floor as the planner sees it.

use std::collections::{BTreeMap, BTreeSet};

use proto::jobdating::{
    BookedBy, Candidate, EmployerJoined, Outcome, Setup, Span, WishesSubmitted,
};
use proto::registration::ParticipantId;
use proto::values::{EmployerId, RecruiterId, SlotNo, TableNo};
use serde::{Deserialize, Serialize};

use super::FloorRefusal;
use super::planning::PlannedFloor;
use crate::planner::Instance;
use crate::{Gap, seconds};

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

    pub(super) fn gap(&self) -> Gap {
        Gap(self
            .setup
            .as_ref()
            .map_or(0, |s| i64::from(s.gap_minutes.get()) * 60))
    }

    pub(super) fn table(&self, table: TableNo) -> Result<&Table, FloorRefusal> {
        self.tables
            .get(&table)
            .ok_or(FloorRefusal::UnknownTable { table })
    }

    pub(super) fn known_slot(&self, slot: SlotNo) -> Result<Span, FloorRefusal> {
        self.slot(slot).ok_or(FloorRefusal::UnknownSlot {
            slot,
            slots: self.slots.len(),
        })
    }
}

/// A span as seconds since the epoch (start, end), the planner's unit.
pub(super) fn span_seconds(span: Span) -> (i64, i64) {
    (seconds(span.starts_at), seconds(span.ends_at))
}
