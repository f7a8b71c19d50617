//! The planner's properties on random small floors: no constraint is ever violated; never fewer
//! first wishes honoured than first come, first served; nobody's first wish is lost to someone's
//! second interview; the same instance and seed give the same plan; a re-run with one more
//! candidate keeps every interview already there and moves no announced slot (also through the
//! floor decider).

use std::collections::{BTreeMap, BTreeSet};

use decider::Decider;
use jiff::Timestamp;
use jobdating_domain::floor::{Floor, FloorCommand};
use jobdating_domain::planner::{self, Instance, Plan, PlanCandidate, PlanTable};
use jobdating_domain::{Gap, cut_slots};
use proptest::prelude::*;
use proto::jobdating::*;
use proto::registration::ParticipantId;
use proto::taxonomy::{ContractType, Job, StructureKind};
use proto::values::*;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Random instances.
// ---------------------------------------------------------------------------------------------

/// A floor of 2 to 7 ten-minute slots (some with a five-minute pause before them), 1 to 4
/// employers, 1 to 6 tables, some slots closed, and up to 12 candidates with 1 to 4 wishes each
/// (each wish one employer, or several as a job wish resolves to).
fn instance() -> impl Strategy<Value = Instance> {
    (2usize..8, 1usize..5, 1usize..7, 0usize..13)
        .prop_flat_map(|(slots, employers, tables, candidates)| {
            (
                proptest::collection::vec(any::<bool>(), slots),
                prop_oneof![Just(0i64), Just(300), Just(600)],
                1usize..4,
                proptest::collection::vec(
                    (
                        0..employers,
                        proptest::collection::vec(prop::bool::weighted(0.85), slots),
                    ),
                    tables,
                ),
                proptest::collection::vec(
                    (
                        any::<u128>(),
                        proptest::collection::vec(
                            proptest::collection::btree_set(0..employers, 1..=employers.min(2)),
                            1..5,
                        ),
                    ),
                    candidates,
                ),
                Just(employers),
            )
        })
        .prop_map(|(pauses, gap, limit, tables, candidates, employers)| {
            let mut start = 0i64;
            let slots = pauses
                .iter()
                .map(|pause| {
                    if *pause {
                        start += 300;
                    }
                    let slot = (start, start + 600);
                    start += 600;
                    slot
                })
                .collect();
            let mut seen = BTreeSet::new();
            let candidates = candidates
                .into_iter()
                .enumerate()
                .map(|(i, (key, wishes))| {
                    let mut unique: Vec<Vec<usize>> = Vec::new();
                    for wish in wishes {
                        let wish: Vec<usize> = wish.into_iter().collect();
                        if !unique.contains(&wish) {
                            unique.push(wish);
                        }
                    }
                    // Distinct keys, as participant ids are.
                    let key = if seen.insert(key) { key } else { i as u128 };
                    seen.insert(key);
                    PlanCandidate {
                        key,
                        wishes: unique,
                        fixed: Vec::new(),
                    }
                })
                .collect();
            Instance {
                slots,
                gap_seconds: gap,
                max_interviews: limit,
                employers,
                tables: tables
                    .into_iter()
                    .map(|(employer, open)| PlanTable { employer, open })
                    .collect(),
                candidates,
            }
        })
}

/// Every way `plan` breaks a rule of `instance`, in words.
fn violations(instance: &Instance, plan: &Plan) -> Vec<String> {
    let mut found = Vec::new();
    let gap = Gap(instance.gap_seconds);
    let mut cells = BTreeSet::new();
    for candidate in &instance.candidates {
        for &cell in &candidate.fixed {
            if !cells.insert(cell) {
                found.push(format!("fixed cell {cell:?} twice"));
            }
        }
    }
    let mut per_candidate: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
    for (c, candidate) in instance.candidates.iter().enumerate() {
        for &(t, s) in &candidate.fixed {
            per_candidate
                .entry(c)
                .or_default()
                .push((instance.tables[t].employer, s));
        }
    }
    for p in &plan.interviews {
        let Some(table) = instance.tables.get(p.table) else {
            found.push(format!("{p:?}: no such table"));
            continue;
        };
        if p.slot >= instance.slots.len() || !table.open[p.slot] {
            found.push(format!("{p:?}: the slot is not open"));
        }
        if !cells.insert((p.table, p.slot)) {
            found.push(format!("{p:?}: two candidates in one slot"));
        }
        let wishes = &instance.candidates[p.candidate].wishes;
        if p.wish == 0 || wishes[p.wish - 1].binary_search(&table.employer).is_err() {
            found.push(format!("{p:?}: honours no wish"));
        }
        per_candidate
            .entry(p.candidate)
            .or_default()
            .push((table.employer, p.slot));
    }
    for (c, held) in per_candidate {
        if held.len()
            > instance
                .max_interviews
                .max(instance.candidates[c].fixed.len())
        {
            found.push(format!("candidate {c}: {} interviews", held.len()));
        }
        for (i, &(e1, s1)) in held.iter().enumerate() {
            for &(e2, s2) in &held[..i] {
                if e1 == e2 {
                    found.push(format!("candidate {c}: employer {e1} twice"));
                }
                if !gap.apart(instance.slots[s1], instance.slots[s2]) {
                    found.push(format!("candidate {c}: slots {s1} and {s2} too close"));
                }
            }
        }
    }
    found
}

/// `instance` after `plan` was announced: its interviews are fixed, their slots closed.
fn announced(instance: &Instance, plan: &Plan) -> Instance {
    let mut next = instance.clone();
    for p in &plan.interviews {
        next.tables[p.table].open[p.slot] = false;
        next.candidates[p.candidate].fixed.push((p.table, p.slot));
    }
    next
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_constraint_is_ever_violated(instance in instance(), seed in any::<u64>()) {
        let plan = planner::plan(&instance, seed);
        prop_assert_eq!(violations(&instance, &plan), Vec::<String>::new());
        let baseline = planner::first_come(&instance, &(0..instance.candidates.len()).collect::<Vec<_>>());
        prop_assert_eq!(violations(&instance, &baseline), Vec::<String>::new());
    }

    #[test]
    fn never_fewer_first_wishes_than_first_come(instance in instance(), seed in any::<u64>()) {
        let plan = planner::plan(&instance, seed);
        let order: Vec<usize> = (0..instance.candidates.len()).collect();
        let baseline = planner::first_come(&instance, &order);
        prop_assert!(
            plan.first_wishes_honoured >= baseline.first_wishes_honoured,
            "planner {} < first come {}", plan.first_wishes_honoured, baseline.first_wishes_honoured
        );
    }

    #[test]
    fn no_first_wish_is_lost_to_a_second_interview(instance in instance(), seed in any::<u64>()) {
        // A candidate whose first wish is not honoured finds every open slot of every employer
        // of that wish taken by someone's first interview.
        let plan = planner::plan(&instance, seed);
        let first_interviews: BTreeSet<(usize, usize)> = plan
            .interviews
            .iter()
            .filter(|p| p.round == 1)
            .map(|p| (p.table, p.slot))
            .collect();
        for (c, candidate) in instance.candidates.iter().enumerate() {
            let Some(first) = candidate.wishes.first() else { continue };
            let honoured = plan.interviews.iter().any(|p| {
                p.candidate == c && first.contains(&instance.tables[p.table].employer)
            });
            if honoured {
                continue;
            }
            for (t, table) in instance.tables.iter().enumerate() {
                if !first.contains(&table.employer) {
                    continue;
                }
                for s in 0..instance.slots.len() {
                    if table.open[s] {
                        prop_assert!(
                            first_interviews.contains(&(t, s)),
                            "candidate {c} lost its first wish while table {t} slot {s} was not a first interview"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_same_instance_and_seed_give_the_same_plan(instance in instance(), seed in any::<u64>()) {
        prop_assert_eq!(planner::plan(&instance, seed), planner::plan(&instance, seed));
    }

    #[test]
    fn a_rerun_with_one_more_candidate_moves_no_announced_interview(
        instance in instance(),
        seed in any::<u64>(),
        newcomer in proptest::collection::vec(0usize..4, 1..4),
    ) {
        let first = planner::plan(&instance, seed);
        let mut next = announced(&instance, &first);
        let mut wishes: Vec<Vec<usize>> = Vec::new();
        for e in newcomer {
            let wish = vec![e % instance.employers];
            if !wishes.contains(&wish) {
                wishes.push(wish);
            }
        }
        next.candidates.push(PlanCandidate { key: u128::MAX, wishes, fixed: Vec::new() });
        let second = planner::plan(&next, seed);
        prop_assert_eq!(violations(&next, &second), Vec::<String>::new());
        for p in &second.interviews {
            prop_assert!(
                !first.interviews.iter().any(|a| (a.table, a.slot) == (p.table, p.slot)),
                "{:?} took an announced slot", p
            );
        }
        // Wishes honoured never go down: the announced interviews still count.
        prop_assert!(second.wishes_honoured >= first.wishes_honoured);
    }
}

// ---------------------------------------------------------------------------------------------
// The same through the floor decider: run, announce, a late candidate, run again.
// ---------------------------------------------------------------------------------------------

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn early() -> Timestamp {
    at("2024-04-15T09:00:00Z")
}

const JOBS: [Job; 3] = [Job::CareAssistant, Job::HomeCarer, Job::Nurse];

/// A floor of three employers (each recruiting for one of [`JOBS`]), four tables, 8 slots.
fn floor() -> Vec<Event> {
    let setup = Setup {
        starts_at: at("2024-04-17T12:00:00Z"),
        ends_at: at("2024-04-17T13:20:00Z"),
        slot_minutes: SlotMinutes::parse(10).expect("valid"),
        breaks: vec![],
        gap_minutes: GapMinutes::parse(10).expect("valid"),
        max_interviews: InterviewLimit::parse(3).expect("valid"),
        wishes_until: at("2024-04-15T16:00:00Z"),
    };
    let mut events = vec![Event::Configured(Configured {
        slots: cut_slots(&setup),
        setup,
    })];
    for (n, job) in JOBS.iter().enumerate() {
        events.push(Event::EmployerJoined(EmployerJoined {
            employer: EmployerId(id(0xe0 + n as u128)),
            name: Name::parse(format!("Employeur {n}")).expect("valid"),
            kind: StructureKind::Ehpad,
            town: Town {
                name: Name::parse("Gap").expect("valid"),
                insee_code: InseeCode::parse("05061").expect("valid"),
            },
            jobs: vec![JobOffer {
                job: *job,
                contract: ContractType::Permanent,
                openings: Openings::parse(1).expect("valid"),
            }],
        }));
    }
    for t in 1..=4u64 {
        events.push(Event::RecruiterSeated(RecruiterSeated {
            employer: EmployerId(id(0xe0 + u128::from(t % 3))),
            recruiter: RecruiterId::parse(format!("r{t}")).expect("valid"),
            table: TableNo::parse(t).expect("valid"),
        }));
    }
    events
}

fn wish(n: usize) -> Wish {
    if n < 3 {
        Wish::Employer {
            employer: EmployerId(id(0xe0 + n as u128)),
        }
    } else {
        Wish::Job { job: JOBS[n % 3] }
    }
}

fn submitted(candidate: u128, wishes: &[usize]) -> Option<Event> {
    let mut unique = Vec::new();
    for w in wishes {
        let w = wish(*w);
        if !unique.contains(&w) {
            unique.push(w);
        }
    }
    Some(Event::WishesSubmitted(WishesSubmitted {
        candidate: Candidate {
            participant: ParticipantId(id(0x1000 + candidate)),
            partner: PartnerId::parse("mission-locale-gap").expect("valid"),
        },
        wishes: Wishes::parse(unique).ok()?,
    }))
}

fn decide(history: &mut Vec<Event>, command: Command) -> Vec<Event> {
    let state = Floor::fold(history.iter());
    let events = Floor::decide(&state, &FloorCommand::new(command, early())).expect("accepted");
    history.extend(events.clone());
    events
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn through_the_floor_a_late_candidate_moves_no_announced_slot(
        wishes in proptest::collection::vec(proptest::collection::vec(0usize..6, 1..4), 1..16),
        late in proptest::collection::vec(0usize..6, 1..4),
        seed in any::<u64>(),
    ) {
        let mut history = floor();
        history.extend(wishes.iter().enumerate().filter_map(|(i, w)| submitted(i as u128, w)));
        decide(&mut history, Command::RunPlanner { seed });
        decide(&mut history, Command::AnnouncePlan { run: 1 });
        let before = Floor::fold(history.iter());
        let fixed: Vec<_> = before
            .all_bookings()
            .map(|(t, s, b)| (t, s, b.candidate.clone()))
            .collect();
        history.extend(submitted(99, &late));
        let events = decide(&mut history, Command::RunPlanner { seed });
        for event in &events {
            if let Event::TableDrafted(d) = event {
                for i in &d.interviews {
                    prop_assert!(!fixed.iter().any(|(t, s, _)| (*t, *s) == (d.table, i.slot)));
                }
            }
        }
        let after = Floor::fold(history.iter());
        for (t, s, candidate) in fixed {
            prop_assert_eq!(after.booking(t, s).map(|b| &b.candidate), Some(&candidate));
        }
    }
}
