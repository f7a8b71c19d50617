//! A job-dating floor's rules as given/when/then tables: set-up and slots, employers and tables,
//! blocked slots, bookings and their constraints, wishes and their deadline, planner runs and
//! their announcement, outcomes. No I/O.
//!
//! The job-dating of Embrun, Wednesday 17 April 2024, 14:00–16:00 in Paris (12:00–14:00Z):
//! 15-minute slots, a break 13:00–13:15Z, so 7 slots (12:00, 12:15, 12:30, 12:45, 13:15, 13:30,
//! 13:45); a candidate's interviews at least 15 minutes apart, at most 2 each; wishes until
//! Monday 15 April 16:00Z. The EHPAD Les Marronniers has two tables (1 and 2), the ADMR of
//! Embrun one (3). Léa comes through the mission locale, Karim through France Travail.
//!
//! Why this file is long: it is the one table of a job-dating floor's rules, in sections (the `//
//! ---` banners), all written with the helpers at its top in the domain's words. A section reads
//! alone; split into files, each would have to bring those helpers along.

use decider::{Decider, Spec};
use jiff::Timestamp;
use jobdating_domain::floor::{Floor, FloorCommand, FloorRefusal, FloorState};
use proto::jobdating::*;
use proto::registration::ParticipantId;
use proto::taxonomy::{ContractType, Job, StructureKind};
use proto::values::*;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Helpers: the floor, its employers and candidates, in the domain's words.
// ---------------------------------------------------------------------------------------------

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn span(from: &str, to: &str) -> Span {
    Span {
        starts_at: at(from),
        ends_at: at(to),
    }
}

fn table(n: u64) -> TableNo {
    TableNo::parse(n).expect("a table")
}

fn slot(n: u64) -> SlotNo {
    SlotNo::parse(n).expect("a slot")
}

/// The day before, when partners book.
fn day_before() -> Timestamp {
    at("2024-04-16T09:00:00Z")
}

/// While wishes are open.
fn early() -> Timestamp {
    at("2024-04-15T09:00:00Z")
}

fn setup() -> Setup {
    Setup {
        starts_at: at("2024-04-17T12:00:00Z"),
        ends_at: at("2024-04-17T14:00:00Z"),
        slot_minutes: SlotMinutes::parse(15).expect("valid"),
        breaks: vec![span("2024-04-17T13:00:00Z", "2024-04-17T13:15:00Z")],
        gap_minutes: GapMinutes::parse(15).expect("valid"),
        max_interviews: InterviewLimit::parse(2).expect("valid"),
        wishes_until: at("2024-04-15T16:00:00Z"),
    }
}

/// The slots of [`setup`]: 1 to 7.
fn slots() -> Vec<Span> {
    vec![
        span("2024-04-17T12:00:00Z", "2024-04-17T12:15:00Z"),
        span("2024-04-17T12:15:00Z", "2024-04-17T12:30:00Z"),
        span("2024-04-17T12:30:00Z", "2024-04-17T12:45:00Z"),
        span("2024-04-17T12:45:00Z", "2024-04-17T13:00:00Z"),
        span("2024-04-17T13:15:00Z", "2024-04-17T13:30:00Z"),
        span("2024-04-17T13:30:00Z", "2024-04-17T13:45:00Z"),
        span("2024-04-17T13:45:00Z", "2024-04-17T14:00:00Z"),
    ]
}

fn time_of(n: u64) -> Span {
    slots()[slot(n).index()]
}

fn configured() -> Event {
    Event::Configured(Configured {
        setup: setup(),
        slots: slots(),
    })
}

const EHPAD: u128 = 0xe1;
const ADMR: u128 = 0xe2;
const IME: u128 = 0xe3;

fn employer(n: u128) -> EmployerId {
    EmployerId(id(n))
}

fn offer(job: Job, contract: ContractType) -> JobOffer {
    JobOffer {
        job,
        contract,
        openings: Openings::parse(2).expect("valid"),
    }
}

fn details(n: u128) -> EmployerJoined {
    let (name, kind, jobs) = match n {
        EHPAD => (
            "EHPAD Les Marronniers",
            StructureKind::Ehpad,
            vec![
                offer(Job::CareAssistant, ContractType::Permanent),
                offer(Job::HospitalServicesAgent, ContractType::FixedTerm),
            ],
        ),
        ADMR => (
            "ADMR d'Embrun",
            StructureKind::HomeHelpService,
            vec![offer(Job::HomeCarer, ContractType::Permanent)],
        ),
        _ => (
            "IME Les Écrins",
            StructureKind::DisabilityService,
            vec![offer(Job::SupportWorker, ContractType::Apprenticeship)],
        ),
    };
    EmployerJoined {
        employer: employer(n),
        name: Name::parse(name).expect("valid"),
        kind,
        town: Town {
            name: Name::parse("Embrun").expect("valid"),
            insee_code: InseeCode::parse("05046").expect("valid"),
        },
        jobs,
    }
}

fn joined(n: u128) -> Event {
    Event::EmployerJoined(details(n))
}

fn seated(n: u64, e: u128, recruiter: &str) -> RecruiterSeated {
    RecruiterSeated {
        employer: employer(e),
        recruiter: RecruiterId::parse(recruiter).expect("valid"),
        table: table(n),
    }
}

/// The floor with its employers and tables: 1 and 2 for the EHPAD, 3 for the ADMR.
fn floor() -> Vec<Event> {
    vec![
        configured(),
        joined(EHPAD),
        joined(ADMR),
        Event::RecruiterSeated(seated(1, EHPAD, "cadre-de-sante")),
        Event::RecruiterSeated(seated(2, EHPAD, "drh")),
        Event::RecruiterSeated(seated(3, ADMR, "responsable-secteur")),
    ]
}

fn with(mut events: Vec<Event>, more: impl IntoIterator<Item = Event>) -> Vec<Event> {
    events.extend(more);
    events
}

fn mission_locale() -> PartnerId {
    PartnerId::parse("mission-locale-embrun").expect("valid")
}

fn france_travail() -> PartnerId {
    PartnerId::parse("france-travail-embrun").expect("valid")
}

/// Léa, through the mission locale.
fn lea() -> Candidate {
    Candidate {
        participant: ParticipantId(id(0xc1)),
        partner: mission_locale(),
    }
}

/// Karim, through France Travail.
fn karim() -> Candidate {
    Candidate {
        participant: ParticipantId(id(0xc2)),
        partner: france_travail(),
    }
}

fn at_time(command: Command, now: Timestamp) -> FloorCommand {
    FloorCommand::new(command, now)
}

fn book(candidate: Candidate, t: u64, s: u64) -> FloorCommand {
    at_time(
        Command::Book {
            candidate,
            table: table(t),
            slot: slot(s),
        },
        day_before(),
    )
}

fn booked(candidate: Candidate, t: u64, s: u64) -> Event {
    let employer = if t == 3 {
        employer(ADMR)
    } else {
        employer(EHPAD)
    };
    Event::InterviewBooked(InterviewBooked {
        table: table(t),
        slot: slot(s),
        time: time_of(s),
        employer,
        candidate,
        by: BookedBy::Partner,
        wish: None,
    })
}

/// A draft's interview at table `t`, slot `s`, alone at its table.
fn planned(candidate: Candidate, t: u64, s: u64, run: u32, wish: u8) -> Event {
    let Event::InterviewBooked(b) = booked(candidate, t, s) else {
        unreachable!("booked makes a booking")
    };
    Event::TableDrafted(TableDrafted {
        run,
        table: b.table,
        employer: b.employer,
        interviews: vec![DraftedInterview {
            slot: b.slot,
            participant: b.candidate.participant,
            wish: Some(wish),
        }],
    })
}

fn wishes(candidate: Candidate, wishes: Vec<Wish>) -> WishesSubmitted {
    WishesSubmitted {
        candidate,
        wishes: Wishes::parse(wishes).expect("valid wishes"),
    }
}

fn wants(e: u128) -> Wish {
    Wish::Employer {
        employer: employer(e),
    }
}

fn wants_job(job: Job) -> Wish {
    Wish::Job { job }
}

// ---------------------------------------------------------------------------------------------
// Set-up and slots.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_setup_cuts_slots_around_the_break() {
    Spec::<Floor>::given([])
        .when(at_time(Command::Configure(setup()), early()))
        .then([configured()]);
}

#[test]
fn the_same_setup_again_records_nothing() {
    Spec::<Floor>::given([configured()])
        .when(at_time(Command::Configure(setup()), early()))
        .then([]);
}

#[test]
fn a_setup_must_make_sense() {
    let mut backwards = setup();
    backwards.ends_at = backwards.starts_at;
    Spec::<Floor>::given([])
        .when(at_time(Command::Configure(backwards), early()))
        .then_error(FloorRefusal::EndsBeforeItStarts);

    let mut late_break = setup();
    late_break.breaks = vec![span("2024-04-17T13:50:00Z", "2024-04-17T14:10:00Z")];
    Spec::<Floor>::given([])
        .when(at_time(Command::Configure(late_break), early()))
        .then_error(FloorRefusal::BreakOutsideSession);

    let mut late_wishes = setup();
    late_wishes.wishes_until = at("2024-04-17T12:30:00Z");
    Spec::<Floor>::given([])
        .when(at_time(Command::Configure(late_wishes), early()))
        .then_error(FloorRefusal::WishesAfterStart);

    let mut long = setup();
    long.slot_minutes = SlotMinutes::parse(120).expect("valid");
    Spec::<Floor>::given([])
        .when(at_time(Command::Configure(long), early()))
        .then_error(FloorRefusal::NoSlot);
}

#[test]
fn the_setup_no_longer_changes_once_slots_are_booked() {
    let mut shorter = setup();
    shorter.slot_minutes = SlotMinutes::parse(10).expect("valid");
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(at_time(Command::Configure(shorter), early()))
        .then_error(FloorRefusal::FloorInUse);
}

#[test]
fn nothing_is_accepted_before_the_setup() {
    Spec::<Floor>::given([])
        .when(at_time(Command::JoinEmployer(details(EHPAD)), early()))
        .then_error(FloorRefusal::NotConfigured);
    Spec::<Floor>::given([])
        .when(book(lea(), 1, 1))
        .then_error(FloorRefusal::NotConfigured);
}

// ---------------------------------------------------------------------------------------------
// Employers and tables.
// ---------------------------------------------------------------------------------------------

#[test]
fn an_employer_joins_once_with_at_least_one_job_each_offered_once() {
    Spec::<Floor>::given([configured()])
        .when(at_time(Command::JoinEmployer(details(IME)), early()))
        .then([joined(IME)]);
    Spec::<Floor>::given([configured(), joined(IME)])
        .when(at_time(Command::JoinEmployer(details(IME)), early()))
        .then([]);
    let mut renamed = details(IME);
    renamed.name = Name::parse("IME des Écrins").expect("valid");
    Spec::<Floor>::given([configured(), joined(IME)])
        .when(at_time(Command::JoinEmployer(renamed), early()))
        .then_error(FloorRefusal::EmployerAlreadyJoined {
            employer: employer(IME),
        });
    let mut no_job = details(IME);
    no_job.jobs.clear();
    Spec::<Floor>::given([configured()])
        .when(at_time(Command::JoinEmployer(no_job), early()))
        .then_error(FloorRefusal::NoJob);
    let mut twice = details(IME);
    twice.jobs.push(twice.jobs[0].clone());
    Spec::<Floor>::given([configured()])
        .when(at_time(Command::JoinEmployer(twice), early()))
        .then_error(FloorRefusal::JobOfferedTwice {
            job: Job::SupportWorker,
        });
}

#[test]
fn a_recruiter_sits_at_one_free_table_of_a_known_employer() {
    Spec::<Floor>::given([configured(), joined(IME)])
        .when(at_time(
            Command::SeatRecruiter(seated(4, IME, "educ-chef")),
            early(),
        ))
        .then([Event::RecruiterSeated(seated(4, IME, "educ-chef"))]);
    Spec::<Floor>::given(floor())
        .when(at_time(
            Command::SeatRecruiter(seated(1, EHPAD, "cadre-de-sante")),
            early(),
        ))
        .then([]);
    Spec::<Floor>::given(with(floor(), [joined(IME)]))
        .when(at_time(
            Command::SeatRecruiter(seated(1, IME, "educ-chef")),
            early(),
        ))
        .then_error(FloorRefusal::TableTaken { table: table(1) });
    Spec::<Floor>::given(floor())
        .when(at_time(
            Command::SeatRecruiter(seated(5, EHPAD, "drh")),
            early(),
        ))
        .then_error(FloorRefusal::RecruiterSeatedElsewhere {
            recruiter: RecruiterId::parse("drh").expect("valid"),
            table: table(2),
        });
    Spec::<Floor>::given(floor())
        .when(at_time(
            Command::SeatRecruiter(seated(5, IME, "educ-chef")),
            early(),
        ))
        .then_error(FloorRefusal::UnknownEmployer {
            employer: employer(IME),
        });
}

// ---------------------------------------------------------------------------------------------
// Blocked slots.
// ---------------------------------------------------------------------------------------------

fn block(t: u64, s: &[u64]) -> FloorCommand {
    at_time(
        Command::BlockSlots(SlotsBlocked {
            table: table(t),
            slots: s.iter().map(|n| slot(*n)).collect(),
            reason: None,
        }),
        early(),
    )
}

fn blocked(t: u64, s: &[u64]) -> Event {
    Event::SlotsBlocked(SlotsBlocked {
        table: table(t),
        slots: s.iter().map(|n| slot(*n)).collect(),
        reason: None,
    })
}

#[test]
fn a_recruiter_blocks_slots_and_opens_them_again() {
    Spec::<Floor>::given(floor())
        .when(block(1, &[4, 5, 4]))
        .then([blocked(1, &[4, 5])]);
    Spec::<Floor>::given(with(floor(), [blocked(1, &[4, 5])]))
        .when(block(1, &[5]))
        .then([]);
    Spec::<Floor>::given(with(floor(), [blocked(1, &[4, 5])]))
        .when(at_time(
            Command::UnblockSlots(SlotsUnblocked {
                table: table(1),
                slots: vec![slot(5), slot(6)],
            }),
            early(),
        ))
        .then([Event::SlotsUnblocked(SlotsUnblocked {
            table: table(1),
            slots: vec![slot(5)],
        })]);
}

#[test]
fn a_booked_or_unknown_slot_cannot_be_blocked() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 2)]))
        .when(block(1, &[2]))
        .then_error(FloorRefusal::SlotTaken {
            table: table(1),
            slot: slot(2),
        });
    Spec::<Floor>::given(floor())
        .when(block(1, &[8]))
        .then_error(FloorRefusal::UnknownSlot {
            slot: slot(8),
            slots: 7,
        });
    Spec::<Floor>::given(floor())
        .when(block(9, &[1]))
        .then_error(FloorRefusal::UnknownTable { table: table(9) });
}

#[test]
fn a_blocked_slot_cannot_be_booked() {
    Spec::<Floor>::given(with(floor(), [blocked(1, &[4])]))
        .when(book(lea(), 1, 4))
        .then_error(FloorRefusal::SlotBlocked {
            table: table(1),
            slot: slot(4),
        });
}

// ---------------------------------------------------------------------------------------------
// Bookings.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_partner_books_a_free_slot_for_its_candidate() {
    Spec::<Floor>::given(floor())
        .when(book(lea(), 1, 1))
        .then([booked(lea(), 1, 1)]);
}

#[test]
fn a_booking_records_the_best_wish_it_honours() {
    let submitted = wishes(lea(), vec![wants(ADMR), wants_job(Job::CareAssistant)]);
    let Event::InterviewBooked(mut expected) = booked(lea(), 1, 1) else {
        unreachable!()
    };
    expected.wish = Some(2);
    Spec::<Floor>::given(with(floor(), [Event::WishesSubmitted(submitted)]))
        .when(book(lea(), 1, 1))
        .then([Event::InterviewBooked(expected)]);
}

#[test]
fn one_slot_holds_one_candidate() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(book(karim(), 1, 1))
        .then_error(FloorRefusal::SlotTaken {
            table: table(1),
            slot: slot(1),
        });
}

#[test]
fn the_same_booking_again_records_nothing() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(book(lea(), 1, 1))
        .then([]);
}

#[test]
fn a_candidate_never_has_two_interviews_at_the_same_time() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(book(lea(), 3, 1))
        .then_error(FloorRefusal::CandidateBusy {
            table: table(1),
            slot: slot(1),
        });
}

#[test]
fn a_candidates_interviews_keep_the_gap() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(book(lea(), 3, 2))
        .then_error(FloorRefusal::TooClose {
            table: table(1),
            slot: slot(1),
            gap_minutes: 15,
        });
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(book(lea(), 3, 3))
        .then([booked(lea(), 3, 3)]);
    // The break counts as time apart: slot 4 ends at 13:00, slot 5 starts at 13:15.
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 4)]))
        .when(book(lea(), 3, 5))
        .then([booked(lea(), 3, 5)]);
}

#[test]
fn a_candidate_has_at_most_the_limit_of_interviews() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1), booked(lea(), 3, 3)]))
        .when(book(lea(), 3, 6))
        .then_error(FloorRefusal::TooManyInterviews { limit: 2 });
}

#[test]
fn a_candidate_meets_an_employer_once() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(book(lea(), 2, 5))
        .then_error(FloorRefusal::AlreadyMeetingEmployer {
            table: table(1),
            slot: slot(1),
        });
}

#[test]
fn bookings_close_when_the_slot_starts() {
    Spec::<Floor>::given(floor())
        .when(at_time(
            Command::Book {
                candidate: lea(),
                table: table(1),
                slot: slot(2),
            },
            at("2024-04-17T12:15:00Z"),
        ))
        .then_error(FloorRefusal::SlotStarted {
            starts_at: at("2024-04-17T12:15:00Z"),
        });
}

#[test]
fn an_unknown_table_or_slot_is_refused() {
    Spec::<Floor>::given(floor())
        .when(book(lea(), 7, 1))
        .then_error(FloorRefusal::UnknownTable { table: table(7) });
    Spec::<Floor>::given(floor())
        .when(book(lea(), 1, 8))
        .then_error(FloorRefusal::UnknownSlot {
            slot: slot(8),
            slots: 7,
        });
}

/// Two partners book the same slot at once: both decide from the same version; the log takes
/// the first append and refuses the second (its expected version is stale); the second decides
/// again against the new state and is refused. Exactly one wins.
#[test]
fn two_bookings_of_the_same_slot_at_once_exactly_one_wins() {
    /// The log of one aggregate with optimistic appends, as the shell runs it.
    struct Log {
        events: Vec<Event>,
        version: u64,
    }
    impl Log {
        fn append(&mut self, expected: u64, events: Vec<Event>) -> Result<u64, u64> {
            if expected != self.version {
                return Err(self.version);
            }
            self.events.extend(events);
            self.version += 1;
            Ok(self.version)
        }
        /// Decide and append, deciding again on a conflict (bounded).
        fn execute(
            &mut self,
            decided_from: (FloorState, u64),
            command: &FloorCommand,
        ) -> Result<Vec<Event>, FloorRefusal> {
            let (mut state, mut version) = decided_from;
            for _ in 0..3 {
                let events = Floor::decide(&state, command)?;
                match self.append(version, events.clone()) {
                    Ok(_) => return Ok(events),
                    Err(_) => {
                        state = Floor::fold(&self.events);
                        version = self.version;
                    }
                }
            }
            panic!("contended")
        }
    }
    let mut log = Log {
        events: floor(),
        version: 1,
    };
    let seen_by_both = (Floor::fold(&log.events), log.version);
    let first = log.execute(seen_by_both.clone(), &book(lea(), 1, 1));
    let second = log.execute(seen_by_both, &book(karim(), 1, 1));
    assert_eq!(first, Ok(vec![booked(lea(), 1, 1)]));
    assert_eq!(
        second,
        Err(FloorRefusal::SlotTaken {
            table: table(1),
            slot: slot(1)
        })
    );
    let state = Floor::fold(&log.events);
    assert_eq!(
        state
            .booking(table(1), slot(1))
            .map(|b| b.candidate.clone()),
        Some(lea())
    );
}

// ---------------------------------------------------------------------------------------------
// Cancellations.
// ---------------------------------------------------------------------------------------------

fn cancel(partner: PartnerId, t: u64, s: u64, now: Timestamp) -> FloorCommand {
    at_time(
        Command::CancelBooking {
            partner,
            table: table(t),
            slot: slot(s),
        },
        now,
    )
}

#[test]
fn a_partner_cancels_its_own_candidates_interview_before_it_starts() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(cancel(mission_locale(), 1, 1, day_before()))
        .then([Event::InterviewCancelled(InterviewCancelled {
            table: table(1),
            slot: slot(1),
            candidate: lea(),
        })]);
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(cancel(france_travail(), 1, 1, day_before()))
        .then_error(FloorRefusal::NotYourCandidate);
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(cancel(mission_locale(), 1, 1, at("2024-04-17T12:00:00Z")))
        .then_error(FloorRefusal::SlotStarted {
            starts_at: at("2024-04-17T12:00:00Z"),
        });
    Spec::<Floor>::given(floor())
        .when(cancel(mission_locale(), 1, 1, day_before()))
        .then_error(FloorRefusal::UnknownInterview {
            table: table(1),
            slot: slot(1),
        });
}

#[test]
fn a_cancelled_slot_is_free_again() {
    let cancelled = Event::InterviewCancelled(InterviewCancelled {
        table: table(1),
        slot: slot(1),
        candidate: lea(),
    });
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1), cancelled]))
        .when(book(karim(), 1, 1))
        .then([booked(karim(), 1, 1)]);
}

// ---------------------------------------------------------------------------------------------
// Wishes.
// ---------------------------------------------------------------------------------------------

fn submit(submitted: WishesSubmitted, now: Timestamp) -> FloorCommand {
    at_time(Command::SubmitWishes(submitted), now)
}

#[test]
fn wishes_are_sent_before_the_deadline_only() {
    let submitted = wishes(lea(), vec![wants(EHPAD), wants_job(Job::HomeCarer)]);
    Spec::<Floor>::given(floor())
        .when(submit(submitted.clone(), early()))
        .then([Event::WishesSubmitted(submitted.clone())]);
    Spec::<Floor>::given(floor())
        .when(submit(submitted, at("2024-04-15T16:00:00Z")))
        .then_error(FloorRefusal::WishesClosed {
            until: at("2024-04-15T16:00:00Z"),
        });
}

#[test]
fn new_wishes_replace_the_old_and_the_same_record_nothing() {
    let first = wishes(lea(), vec![wants(EHPAD)]);
    let second = wishes(lea(), vec![wants(ADMR), wants(EHPAD)]);
    Spec::<Floor>::given(with(floor(), [Event::WishesSubmitted(first.clone())]))
        .when(submit(first.clone(), early()))
        .then([]);
    Spec::<Floor>::given(with(floor(), [Event::WishesSubmitted(first)]))
        .when(submit(second.clone(), early()))
        .then([Event::WishesSubmitted(second)]);
}

#[test]
fn a_wish_names_an_employer_that_joined() {
    Spec::<Floor>::given(floor())
        .when(submit(wishes(lea(), vec![wants(IME)]), early()))
        .then_error(FloorRefusal::UnknownEmployer {
            employer: employer(IME),
        });
}

// ---------------------------------------------------------------------------------------------
// The planner.
// ---------------------------------------------------------------------------------------------

fn run(seed: u64, now: Timestamp) -> FloorCommand {
    at_time(Command::RunPlanner { seed }, now)
}

fn announce(run: u32) -> FloorCommand {
    at_time(Command::AnnouncePlan { run }, day_before())
}

/// Léa wants the EHPAD; Karim the EHPAD, then any home carer's job.
fn wishes_sent() -> Vec<Event> {
    with(
        floor(),
        [
            Event::WishesSubmitted(wishes(lea(), vec![wants(EHPAD)])),
            Event::WishesSubmitted(wishes(
                karim(),
                vec![wants(EHPAD), wants_job(Job::HomeCarer)],
            )),
        ],
    )
}

fn drafted(run: u32, interviews: u32, first: u32, all: u32) -> Event {
    Event::PlanDrafted(PlanDrafted {
        run,
        seed: 7,
        candidates: 2,
        interviews,
        first_wishes_honoured: first,
        wishes_honoured: all,
    })
}

/// Round 1 gives both their first wish (the EHPAD has two tables); round 2 gives Karim the ADMR,
/// at the first slot 15 minutes after his first interview.
fn first_draft() -> Vec<Event> {
    vec![
        drafted(1, 3, 2, 3),
        planned(lea(), 1, 1, 1, 1),
        planned(karim(), 2, 1, 1, 1),
        planned(karim(), 3, 3, 1, 2),
    ]
}

#[test]
fn the_planner_drafts_every_timetable_from_the_wishes() {
    Spec::<Floor>::given(wishes_sent())
        .when(run(7, early()))
        .then(first_draft());
}

#[test]
fn the_planner_runs_before_the_session_starts_only() {
    Spec::<Floor>::given(wishes_sent())
        .when(run(7, at("2024-04-17T12:00:00Z")))
        .then_error(FloorRefusal::SessionStarted {
            starts_at: at("2024-04-17T12:00:00Z"),
        });
}

#[test]
fn a_new_draft_replaces_the_draft_not_announced() {
    let mut expected = first_draft();
    if let Event::PlanDrafted(d) = &mut expected[0] {
        d.run = 2;
    }
    for e in expected.iter_mut().skip(1) {
        if let Event::TableDrafted(t) = e {
            t.run = 2;
        }
    }
    Spec::<Floor>::given(with(wishes_sent(), first_draft()))
        .when(run(7, early()))
        .then(expected);
}

#[test]
fn a_draft_is_announced_once() {
    let announced = Event::PlanAnnounced(PlanAnnounced { run: 1 });
    Spec::<Floor>::given(with(wishes_sent(), first_draft()))
        .when(announce(1))
        .then([announced.clone()]);
    Spec::<Floor>::given(with(with(wishes_sent(), first_draft()), [announced]))
        .when(announce(1))
        .then([]);
    Spec::<Floor>::given(with(wishes_sent(), first_draft()))
        .when(announce(2))
        .then_error(FloorRefusal::NotTheDraft { run: 2 });
}

#[test]
fn a_rerun_never_moves_an_announced_interview() {
    // After the announcement a third candidate's wishes arrive late (before the deadline) and
    // Léa's partner cancels her interview: the new run keeps Karim's interviews where they are.
    let nadia = Candidate {
        participant: ParticipantId(id(0xc0)),
        partner: france_travail(),
    };
    let history = with(
        with(wishes_sent(), first_draft()),
        [
            Event::PlanAnnounced(PlanAnnounced { run: 1 }),
            Event::InterviewCancelled(InterviewCancelled {
                table: table(1),
                slot: slot(1),
                candidate: lea(),
            }),
            Event::WishesSubmitted(wishes(nadia.clone(), vec![wants(EHPAD), wants(ADMR)])),
        ],
    );
    let state = Floor::fold(&history);
    let announced: Vec<_> = state
        .all_bookings()
        .map(|(t, s, b)| (t, s, b.candidate.clone()))
        .collect();
    let events = Floor::decide(&state, &run(7, early())).expect("planned");
    let after = events.iter().fold(state, Floor::evolve);
    for (t, s, candidate) in announced {
        assert_eq!(
            after.booking(t, s).map(|b| &b.candidate),
            Some(&candidate),
            "the announced interview at table {t}, slot {s} moved"
        );
    }
    // Léa and Nadia both want the EHPAD first; both get it (slot 1 of table 1 is free again).
    let lea_has = after.interviews_of(lea().participant).count();
    let nadia_has = after.interviews_of(nadia.participant).count();
    assert_eq!((lea_has, nadia_has), (1, 2));
}

// ---------------------------------------------------------------------------------------------
// Outcomes.
// ---------------------------------------------------------------------------------------------

fn record(e: u128, t: u64, s: u64, outcome: Outcome, now: Timestamp) -> FloorCommand {
    at_time(
        Command::RecordOutcome {
            employer: employer(e),
            table: table(t),
            slot: slot(s),
            outcome,
        },
        now,
    )
}

fn hired() -> Outcome {
    Outcome::Hired {
        job: Job::CareAssistant,
        contract: ContractType::Permanent,
    }
}

#[test]
fn the_employer_records_an_interviews_outcome_once_it_began() {
    let given = with(floor(), [booked(lea(), 1, 1)]);
    Spec::<Floor>::given(given.clone())
        .when(record(EHPAD, 1, 1, hired(), at("2024-04-17T12:05:00Z")))
        .then([Event::OutcomeRecorded(OutcomeRecorded {
            table: table(1),
            slot: slot(1),
            employer: employer(EHPAD),
            candidate: lea(),
            outcome: hired(),
        })]);
    Spec::<Floor>::given(given.clone())
        .when(record(
            EHPAD,
            1,
            1,
            Outcome::Met {},
            at("2024-04-17T11:59:00Z"),
        ))
        .then_error(FloorRefusal::InterviewNotBegun {
            starts_at: at("2024-04-17T12:00:00Z"),
        });
    Spec::<Floor>::given(given)
        .when(record(
            ADMR,
            1,
            1,
            Outcome::NoShow {},
            at("2024-04-17T12:20:00Z"),
        ))
        .then_error(FloorRefusal::NotYourTable { table: table(1) });
}

#[test]
fn an_outcome_needs_a_booked_and_announced_interview() {
    Spec::<Floor>::given(floor())
        .when(record(
            EHPAD,
            1,
            1,
            Outcome::Met {},
            at("2024-04-17T12:20:00Z"),
        ))
        .then_error(FloorRefusal::UnknownInterview {
            table: table(1),
            slot: slot(1),
        });
    Spec::<Floor>::given(with(wishes_sent(), first_draft()))
        .when(record(
            EHPAD,
            1,
            1,
            Outcome::Met {},
            at("2024-04-17T12:20:00Z"),
        ))
        .then_error(FloorRefusal::NotAnnounced {
            table: table(1),
            slot: slot(1),
        });
}

#[test]
fn a_hire_is_for_a_job_the_employer_recruits_for() {
    Spec::<Floor>::given(with(floor(), [booked(lea(), 1, 1)]))
        .when(record(
            EHPAD,
            1,
            1,
            Outcome::Hired {
                job: Job::Nurse,
                contract: ContractType::Permanent,
            },
            at("2024-04-17T12:20:00Z"),
        ))
        .then_error(FloorRefusal::JobNotOffered { job: Job::Nurse });
}

#[test]
fn the_same_outcome_again_records_nothing_and_another_replaces_it() {
    let given = with(
        floor(),
        [
            booked(lea(), 1, 1),
            Event::OutcomeRecorded(OutcomeRecorded {
                table: table(1),
                slot: slot(1),
                employer: employer(EHPAD),
                candidate: lea(),
                outcome: Outcome::Met {},
            }),
        ],
    );
    Spec::<Floor>::given(given.clone())
        .when(record(
            EHPAD,
            1,
            1,
            Outcome::Met {},
            at("2024-04-17T12:20:00Z"),
        ))
        .then([]);
    Spec::<Floor>::given(given)
        .when(record(
            EHPAD,
            1,
            1,
            Outcome::SecondInterview {},
            at("2024-04-17T12:20:00Z"),
        ))
        .then([Event::OutcomeRecorded(OutcomeRecorded {
            table: table(1),
            slot: slot(1),
            employer: employer(EHPAD),
            candidate: lea(),
            outcome: Outcome::SecondInterview {},
        })]);
}

// ---------------------------------------------------------------------------------------------
// The state.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_state_round_trips_through_json_for_snapshots() {
    let history = with(
        with(wishes_sent(), first_draft()),
        [
            Event::PlanAnnounced(PlanAnnounced { run: 1 }),
            blocked(3, &[7]),
        ],
    );
    let state = Floor::fold(&history);
    let json = serde_json::to_string(&state).expect("serialises");
    let back: FloorState = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, state);
}

// ---------------------------------------------------------------------------------------------
// The registration, as the shell read it.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_candidate_without_a_confirmed_seat_is_neither_booked_nor_planned() {
    let mut not_registered = book(lea(), 1, 1);
    not_registered.registered = Some(false);
    Spec::<Floor>::given(floor())
        .when(not_registered)
        .then_error(FloorRefusal::CandidateNotRegistered);
    let mut not_registered = submit(wishes(lea(), vec![wants(EHPAD)]), early());
    not_registered.registered = Some(false);
    Spec::<Floor>::given(floor())
        .when(not_registered)
        .then_error(FloorRefusal::CandidateNotRegistered);
    let mut registered = book(lea(), 1, 1);
    registered.registered = Some(true);
    Spec::<Floor>::given(floor())
        .when(registered)
        .then([booked(lea(), 1, 1)]);
}
