//! A floor's interviews as partners and employers see them: a partner books and cancels its
//! candidates' interviews and sends their ranked wishes; an employer records an interview's
//! outcome. A booking never breaks a candidate's limits (see [`candidate_fits`]).

use jiff::Timestamp;
use proto::jobdating::{
    BookedBy, Candidate, Event, InterviewBooked, InterviewCancelled, Outcome, OutcomeRecorded,
    Span, Wish, WishesSubmitted,
};
use proto::values::{EmployerId, PartnerId, SlotNo, TableNo};

use super::state::span_seconds;
use super::{FloorRefusal, FloorState};
use crate::Gap;

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

pub(super) fn book(
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
pub(super) fn honours(state: &FloorState, wish: Wish, employer: EmployerId) -> bool {
    match wish {
        Wish::Employer { employer: wanted } => wanted == employer,
        Wish::Job { job } => state
            .employers
            .get(&employer)
            .is_some_and(|e| e.recruits_for(job)),
    }
}

pub(super) fn cancel(
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

pub(super) fn submit_wishes(
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

pub(super) fn record_outcome(
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
