//! A floor's set-up: configuring its session and slots, employers joining, recruiters seated at
//! their tables, slots blocked and unblocked.

use proto::jobdating::{
    Configured, EmployerJoined, Event, RecruiterSeated, Setup, SlotsBlocked, SlotsUnblocked,
};

use proto::values::SlotNo;

use super::{FloorRefusal, FloorState};
use crate::cut_slots;

pub(super) fn configure(state: &FloorState, setup: &Setup) -> Result<Vec<Event>, FloorRefusal> {
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

pub(super) fn join(
    state: &FloorState,
    joined: &EmployerJoined,
) -> Result<Vec<Event>, FloorRefusal> {
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

pub(super) fn seat(
    state: &FloorState,
    seated: &RecruiterSeated,
) -> Result<Vec<Event>, FloorRefusal> {
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

pub(super) fn block(
    state: &FloorState,
    blocked: &SlotsBlocked,
) -> Result<Vec<Event>, FloorRefusal> {
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

pub(super) fn unblock(
    state: &FloorState,
    unblocked: &SlotsUnblocked,
) -> Result<Vec<Event>, FloorRefusal> {
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
