//! The planner's runs on a floor: the floor given to the planner as indexes ([`PlannedFloor`]),
//! its plan turned back into a draft of every table's interviews, within
//! [`super::MAX_DRAFT_INTERVIEWS`].

use std::collections::BTreeMap;

use jiff::Timestamp;
use proto::jobdating::{Candidate, DraftedInterview, Event, PlanDrafted, TableDrafted};
use proto::values::{EmployerId, SlotNo, TableNo};

use super::bookings::honours;
use super::state::span_seconds;
use super::{Booking, FloorRefusal, FloorState, MAX_DRAFT_INTERVIEWS};
use crate::planner::{self, Instance, PlanCandidate, PlanTable};

pub(super) fn run_planner(
    state: &FloorState,
    seed: u64,
    now: Timestamp,
) -> Result<Vec<Event>, FloorRefusal> {
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
pub(super) struct PlannedFloor {
    /// The floor as the planner's indexes.
    pub(super) instance: Instance,
    /// Table index → (table, employer).
    tables: Vec<(TableNo, EmployerId)>,
    /// Candidate index → candidate.
    candidates: Vec<Candidate>,
}

impl PlannedFloor {
    /// Every interview but the current draft's is given (kept, and counted); the draft's are
    /// dropped, their places offered again.
    pub(super) fn of(state: &FloorState) -> Self {
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
