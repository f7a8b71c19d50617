//! A job-dating floor's invariants on random histories: arbitrary commands (set-ups with
//! reversed times, unknown tables, slots and employers, blocked and taken slots, a candidate
//! booked by two partners, wishes for anyone, planner runs and announcements of any run,
//! outcomes before their slot) decided one after another from what the ones before recorded.
//! After every step: the laws every decider keeps (`decider::laws`: a refusal is a typed
//! [`FloorRefusal`] with its code, and records nothing; the events recorded fold without panic and
//! read back from their wire form; the state survives its snapshot); a booking sits on a known
//! slot of a seated table, for that table's employer, and a booking never replaces another
//! candidate's announced interview; a candidate is never in two interviews at once, nor closer
//! than the gap, nor over the limit, nor twice with one employer. No I/O.

use decider::Step;
use jiff::Timestamp;
use jobdating_domain::Gap;
use jobdating_domain::floor::{Floor, FloorCommand, FloorRefusal};
use proptest::prelude::*;
use proto::jobdating::*;
use proto::registration::ParticipantId;
use proto::taxonomy::{ContractType, Job, StructureKind};
use proto::values::*;
use uuid::Uuid;

fn id(base: u128, n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | base | n)
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

/// The job-dating of Embrun, 17 April 2024 12:00–14:00Z: 15-minute slots around a break at
/// 13:00, interviews 15 minutes apart, at most 2 each, wishes until the 15th.
fn usual_setup() -> Setup {
    Setup {
        starts_at: at("2024-04-17T12:00:00Z"),
        ends_at: at("2024-04-17T14:00:00Z"),
        slot_minutes: SlotMinutes::parse(15).expect("valid"),
        breaks: vec![Span {
            starts_at: at("2024-04-17T13:00:00Z"),
            ends_at: at("2024-04-17T13:15:00Z"),
        }],
        gap_minutes: GapMinutes::parse(15).expect("valid"),
        max_interviews: InterviewLimit::parse(2).expect("valid"),
        wishes_until: at("2024-04-15T16:00:00Z"),
    }
}

/// Instants before the wishes' deadline, the day before, during the slots, and after.
fn instant() -> impl Strategy<Value = Timestamp> {
    prop_oneof![
        Just("2024-04-15T09:00:00Z"),
        Just("2024-04-16T09:00:00Z"),
        Just("2024-04-17T12:20:00Z"),
        Just("2024-04-17T14:00:00Z"),
    ]
    .prop_map(at)
}

/// Mostly the usual set-up; sometimes any length, gap, limit and times, reversed ones included.
fn setup() -> impl Strategy<Value = Setup> {
    prop_oneof![
        3 => Just(usual_setup()),
        1 => (
            prop_oneof![Just(5u64), Just(15), Just(120)],
            prop_oneof![Just(0u64), Just(15), Just(60)],
            prop_oneof![Just(1u64), Just(2), Just(10)],
            instant(),
            instant(),
        )
            .prop_map(|(slot, gap, limit, starts_at, ends_at)| Setup {
                starts_at,
                ends_at,
                slot_minutes: SlotMinutes::parse(slot).expect("valid"),
                gap_minutes: GapMinutes::parse(gap).expect("valid"),
                max_interviews: InterviewLimit::parse(limit).expect("valid"),
                ..usual_setup()
            }),
    ]
}

/// Four employers (the last never joins in the usual histories), by index.
fn employer_no() -> impl Strategy<Value = u128> {
    0u128..4
}

fn employer(n: u128) -> EmployerId {
    EmployerId(id(0xe0, n))
}

fn joined(n: u128) -> EmployerJoined {
    let job = [Job::CareAssistant, Job::HomeCarer, Job::SupportWorker][(n % 3) as usize];
    EmployerJoined {
        employer: employer(n),
        name: Name::parse("EHPAD Les Marronniers").expect("valid"),
        kind: StructureKind::Ehpad,
        town: Town {
            name: Name::parse("Embrun").expect("valid"),
            insee_code: InseeCode::parse("05046").expect("valid"),
        },
        jobs: vec![JobOffer {
            job,
            contract: ContractType::Permanent,
            openings: Openings::parse(2).expect("valid"),
        }],
    }
}

fn table() -> impl Strategy<Value = TableNo> {
    (1u64..6).prop_map(|n| TableNo::parse(n).expect("a table"))
}

/// Slots 1 to 9: the usual floor has 7.
fn slot() -> impl Strategy<Value = SlotNo> {
    (1u64..10).prop_map(|n| SlotNo::parse(n).expect("a slot"))
}

fn partner(n: u128) -> PartnerId {
    PartnerId::parse(["mission-locale-embrun", "france-travail-embrun"][(n % 2) as usize])
        .expect("a partner")
}

/// Four participants, each of whom may come through either partner.
fn candidate() -> impl Strategy<Value = Candidate> {
    (0u128..4, 0u128..2).prop_map(|(n, p)| Candidate {
        participant: ParticipantId(id(0xc0, n)),
        partner: partner(p),
    })
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => setup().prop_map(Command::Configure),
        2 => employer_no().prop_map(|n| Command::JoinEmployer(joined(n))),
        3 => (table(), employer_no(), prop_oneof![Just("drh"), Just("cadre-de-sante")]).prop_map(
            |(table, employer_no, recruiter)| Command::SeatRecruiter(RecruiterSeated {
                employer: employer(employer_no),
                recruiter: RecruiterId::parse(recruiter).expect("valid"),
                table,
            })
        ),
        1 => (table(), proptest::collection::vec(slot(), 0..3)).prop_map(|(table, slots)| {
            Command::BlockSlots(SlotsBlocked { table, slots, reason: None })
        }),
        1 => (table(), proptest::collection::vec(slot(), 0..3))
            .prop_map(|(table, slots)| Command::UnblockSlots(SlotsUnblocked { table, slots })),
        8 => (candidate(), table(), slot())
            .prop_map(|(candidate, table, slot)| Command::Book { candidate, table, slot }),
        2 => (0u128..2, table(), slot()).prop_map(|(p, table, slot)| Command::CancelBooking {
            partner: partner(p),
            table,
            slot,
        }),
        3 => (candidate(), proptest::collection::btree_set(employer_no(), 1..3)).prop_map(
            |(candidate, wanted)| Command::SubmitWishes(WishesSubmitted {
                candidate,
                wishes: Wishes::try_from(
                    wanted
                        .into_iter()
                        .map(|n| Wish::Employer { employer: employer(n) })
                        .collect::<Vec<_>>(),
                )
                .expect("distinct wishes"),
            })
        ),
        2 => any::<u64>().prop_map(|seed| Command::RunPlanner { seed }),
        2 => (0u32..4).prop_map(|run| Command::AnnouncePlan { run }),
        1 => (employer_no(), table(), slot()).prop_map(|(employer_no, table, slot)| {
            Command::RecordOutcome {
                employer: employer(employer_no),
                table,
                slot,
                outcome: Outcome::Met {},
            }
        }),
    ]
}

fn floor_command() -> impl Strategy<Value = FloorCommand> {
    (
        command(),
        prop_oneof![3 => Just("2024-04-15T09:00:00Z").prop_map(at), 2 => instant()],
        prop_oneof![4 => Just(Some(true)), 1 => Just(Some(false)), 1 => Just(None)],
    )
        .prop_map(|(command, now, registered)| FloorCommand {
            command,
            now,
            registered,
        })
}

/// The floor's own rules after an accepted step.
fn check(step: Step<'_, Floor>) {
    let Some((before, command, events, after)) = step.accepted() else {
        return;
    };
    for event in events {
        // One slot, one candidate: a booking never takes another candidate's announced
        // interview.
        if let Event::InterviewBooked(booked) = event
            && let Some(there) = before.booking(booked.table, booked.slot)
        {
            assert!(
                there.candidate == booked.candidate || !there.announced,
                "{booked:?} replaced {there:?}"
            );
        }
    }

    for (table, slot, booking) in after.all_bookings() {
        let seated = after
            .tables
            .get(&table)
            .expect("a booking is at a seated table");
        assert_eq!(
            seated.employer, booking.employer,
            "a booking is with its table's employer"
        );
        assert!(after.slot(slot).is_some(), "a booking is on a known slot");
    }

    let Some(setup) = &after.setup else {
        return;
    };
    let gap = Gap(i64::from(setup.gap_minutes.get()) * 60);
    let mut participants: Vec<ParticipantId> = after
        .all_bookings()
        .map(|(_, _, b)| b.candidate.participant)
        .collect();
    participants.sort();
    participants.dedup();
    for participant in participants {
        let interviews: Vec<_> = after.interviews_of(participant).collect();
        assert!(
            interviews.len() <= usize::from(setup.max_interviews.get()),
            "{participant} has {} interviews, over the limit, after {command:?}",
            interviews.len()
        );
        for (i, (table, slot, booking)) in interviews.iter().enumerate() {
            for (other_table, other_slot, other) in &interviews[i + 1..] {
                let span = |slot: SlotNo| {
                    let s = after.slot(slot).expect("a known slot");
                    (s.starts_at.as_second(), s.ends_at.as_second())
                };
                assert!(
                    gap.apart(span(*slot), span(*other_slot)),
                    "{participant} at table {table} slot {slot} and table {other_table} slot \
                     {other_slot}: at once or closer than the gap, after {command:?}"
                );
                assert_ne!(
                    booking.employer, other.employer,
                    "{participant} meets one employer twice, after {command:?}"
                );
            }
        }
    }
}

/// A floor set up with three employers at four tables, so that the commands after it are
/// decided.
fn set_up_floor() -> Vec<FloorCommand> {
    let seat = |table: u64, employer_no: u128, recruiter: &str| {
        Command::SeatRecruiter(RecruiterSeated {
            employer: employer(employer_no),
            recruiter: RecruiterId::parse(recruiter).expect("valid"),
            table: TableNo::parse(table).expect("a table"),
        })
    };
    let floor = [
        Command::Configure(usual_setup()),
        Command::JoinEmployer(joined(0)),
        Command::JoinEmployer(joined(1)),
        Command::JoinEmployer(joined(2)),
        seat(1, 0, "cadre-de-sante"),
        seat(2, 0, "drh"),
        seat(3, 1, "responsable-secteur"),
        seat(4, 2, "educatrice"),
    ];
    floor
        .into_iter()
        .map(|command| FloorCommand::new(command, at("2024-04-01T08:00:00Z")))
        .collect()
}

#[test]
fn every_history_keeps_the_floor_rules() {
    let histories = proptest::collection::vec(floor_command(), 1..50)
        .prop_map(|then| set_up_floor().into_iter().chain(then).collect::<Vec<_>>());
    decider::laws::every_history::<Floor>(256, histories, FloorRefusal::code, check);
}
