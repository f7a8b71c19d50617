//! The planner at scale: a job-dating floor of 2,000 candidates, 100 employers (1 to 3 tables
//! each) and 30 slots, with random ranked wishes from a fixed seed; the planner alone, then the
//! whole decision through the floor decider (instance built from the state, events written), and
//! first come, first served on the same floor for comparison. No nats-server: the planner is
//! pure.

use std::time::Instant;

use anyhow::{Context, Result};
use decider::Decider;
use jiff::Timestamp;
use jobdating_domain::planner;
use jobdating_domain::{Floor, FloorCommand, cut_slots};
use proto::EventContract;
use proto::jobdating::{
    Candidate, Command, Configured, EmployerJoined, Event, JobOffer, RecruiterSeated, Setup, Town,
    Wish, Wishes, WishesSubmitted,
};
use proto::registration::ParticipantId;
use proto::taxonomy::{ContractType, Job, StructureKind};
use proto::values::{
    EmployerId, GapMinutes, InseeCode, InterviewLimit, Name, Openings, PartnerId, RecruiterId,
    SlotMinutes, TableNo,
};
use serde_json::{Value, json};

/// The floor planned.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// Candidates with wishes.
    #[arg(long, default_value_t = 2_000)]
    pub(crate) candidates: usize,
    /// Employers (each with 1 to 3 tables).
    #[arg(long, default_value_t = 100)]
    pub(crate) employers: usize,
    /// Ten-minute slots.
    #[arg(long, default_value_t = 30)]
    pub(crate) slots: u16,
    /// Ranked wishes per candidate.
    #[arg(long, default_value_t = 5)]
    pub(crate) wishes: usize,
    /// The most interviews per candidate.
    #[arg(long, default_value_t = 3)]
    pub(crate) max_interviews: u64,
    /// The seed of the random floor and of the planner's ties.
    #[arg(long, default_value_t = 2024)]
    pub(crate) seed: u64,
}

/// A small deterministic generator (SplitMix64): the same seed, the same floor.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A number below `n`, the small ones more likely (some employers are popular).
    fn skewed_below(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u) * n as f64) as usize % n.max(1)
    }
}

const JOBS: [Job; 9] = [
    Job::CareAssistant,
    Job::HomeCarer,
    Job::SupportWorker,
    Job::Nurse,
    Job::ChildcareAssistant,
    Job::SpecialisedEducator,
    Job::AssistantEducator,
    Job::HospitalServicesAgent,
    Job::Other,
];

fn at(s: &str) -> Result<Timestamp> {
    s.parse().context("a timestamp")
}

/// The floor's history: set-up, employers, tables and every candidate's wishes.
fn floor(options: &Options) -> Result<(Vec<Event>, usize)> {
    let starts_at = at("2024-04-17T07:00:00Z")?;
    let length = jiff::SignedDuration::from_mins(10 * i64::from(options.slots));
    let setup = Setup {
        starts_at,
        ends_at: starts_at.checked_add(length)?,
        slot_minutes: SlotMinutes::parse(10)?,
        breaks: vec![],
        gap_minutes: GapMinutes::parse(10)?,
        max_interviews: InterviewLimit::parse(options.max_interviews)?,
        wishes_until: at("2024-04-15T16:00:00Z")?,
    };
    let mut random = Random(options.seed);
    let mut events = vec![Event::Configured(Configured {
        slots: cut_slots(&setup),
        setup,
    })];
    let employer = |n: usize| EmployerId(uuid::Uuid::from_u128(0xe000_0000 + n as u128));
    let mut tables = 0u64;
    for n in 0..options.employers {
        let mut jobs: Vec<JobOffer> = Vec::new();
        for _ in 0..1 + random.below(3) {
            let job = JOBS[random.below(JOBS.len())];
            if !jobs.iter().any(|o| o.job == job) {
                jobs.push(JobOffer {
                    job,
                    contract: ContractType::Permanent,
                    openings: Openings::parse(1 + random.below(4) as u64)?,
                });
            }
        }
        events.push(Event::EmployerJoined(EmployerJoined {
            employer: employer(n),
            name: Name::parse(format!("Employeur {n}"))?,
            kind: StructureKind::Ehpad,
            town: Town {
                name: Name::parse("Gap")?,
                insee_code: InseeCode::parse("05061")?,
            },
            jobs,
        }));
        for r in 0..1 + random.below(3) {
            tables += 1;
            events.push(Event::RecruiterSeated(RecruiterSeated {
                employer: employer(n),
                recruiter: RecruiterId::parse(format!("r{r}"))?,
                table: TableNo::parse(tables)?,
            }));
        }
    }
    let partner = PartnerId::parse("france-travail-gap")?;
    for c in 0..options.candidates {
        let mut wishes: Vec<Wish> = Vec::new();
        while wishes.len() < options.wishes.min(Wishes::MAX) {
            let wish = if random.below(5) == 0 {
                Wish::Job {
                    job: JOBS[random.below(JOBS.len())],
                }
            } else {
                Wish::Employer {
                    employer: employer(random.skewed_below(options.employers)),
                }
            };
            if !wishes.contains(&wish) {
                wishes.push(wish);
            }
        }
        events.push(Event::WishesSubmitted(WishesSubmitted {
            candidate: Candidate {
                // Ids in arrival order: first come, first served follows them.
                participant: ParticipantId(uuid::Uuid::from_u128(0xc000_0000 + c as u128)),
                partner: partner.clone(),
            },
            wishes: Wishes::parse(wishes)?,
        }));
    }
    Ok((events, usize::try_from(tables)?))
}

/// Plans the floor and returns the figures.
pub(crate) fn run(options: &Options) -> Result<Value> {
    let (history, tables) = floor(options)?;
    let state = Floor::fold(&history);

    let started = Instant::now();
    let instance = state.planner_instance();
    let plan = planner::plan(&instance, options.seed);
    let seconds = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let command = FloorCommand::new(
        Command::RunPlanner { seed: options.seed },
        at("2024-04-16T09:00:00Z")?,
    );
    let events = Floor::decide(&state, &command).map_err(|e| anyhow::anyhow!("{e}"))?;
    let decide_seconds = started.elapsed().as_secs_f64();
    // What the draft weighs on the wire: its payloads, without the envelopes.
    let mut payload_bytes = 0;
    for event in &events {
        payload_bytes += serde_json::to_vec(&event.encode()?.data)?.len();
    }

    let order: Vec<usize> = (0..instance.candidates.len()).collect();
    let started = Instant::now();
    let first_come = planner::first_come(&instance, &order);
    let first_come_seconds = started.elapsed().as_secs_f64();

    Ok(json!({
        "scenario": "plan",
        "seconds": seconds,
        "decide_seconds": decide_seconds,
        "candidates": options.candidates,
        "employers": options.employers,
        "tables": tables,
        "slots": options.slots,
        "wishes_per_candidate": options.wishes,
        "max_interviews": options.max_interviews,
        "seed": options.seed,
        "interviews": plan.interviews.len(),
        "events": events.len(),
        "payload_bytes": payload_bytes,
        "first_wishes_honoured": plan.first_wishes_honoured,
        "wishes_honoured": plan.wishes_honoured,
        "candidates_with_an_interview": plan.candidates_with_an_interview(),
        "interviews_per_candidate": plan.interviews_per_candidate,
        "first_come": {
            "seconds": first_come_seconds,
            "interviews": first_come.interviews.len(),
            "first_wishes_honoured": first_come.first_wishes_honoured,
            "wishes_honoured": first_come.wishes_honoured,
            "candidates_with_an_interview": first_come.candidates_with_an_interview(),
            "interviews_per_candidate": first_come.interviews_per_candidate,
        },
    }))
}
