//! The job-dating shell on a real nats-server: bookings of one slot sent at once from two
//! processes (two event logs, each with its own client and cache), of which exactly one wins; a
//! planner run announced and read back; and the benchmark's full floor, whose draft is one
//! message.

use eventlog::{CommandMeta, LogConfig};
use jiff::Timestamp;
use jobdating::{JobDating, JobDatingError};
use jobdating_domain::FloorRefusal;
use proto::Actor;
use proto::jobdating::*;
use proto::registration::ParticipantId;
use proto::taxonomy::{ContractType, Job, StructureKind};
use proto::values::*;
use tests::TestNats;
use uuid::Uuid;

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

/// The day before the job-dating, when everything here is sent.
fn day_before() -> Timestamp {
    at("2024-04-16T09:00:00Z")
}

/// The organiser sends `command` to the floor of `session` the day before, under `key`.
async fn organiser_sends(
    service: &JobDating,
    session: SessionId,
    command: Command,
    key: &str,
) -> Result<eventlog::Decided<Event>, JobDatingError> {
    service
        .floor_at(session, command, day_before(), &organiser(key))
        .await
}

fn organiser(key: &str) -> CommandMeta {
    CommandMeta::new(
        Actor::Organiser {
            id: "dep-05".into(),
        },
        format!("organiser:dep-05:{key}"),
    )
}

fn partner_meta(partner: &PartnerId, key: &str) -> CommandMeta {
    CommandMeta::new(
        Actor::Partner {
            id: partner.to_string(),
        },
        format!("partner:{partner}:{key}"),
    )
}

fn employer() -> EmployerId {
    EmployerId(Uuid::from_u128(0xe1))
}

fn candidate(n: u128) -> Candidate {
    Candidate {
        participant: ParticipantId(Uuid::from_u128(0xc000 + n)),
        partner: PartnerId::parse(format!("partner-{}", n % 3)).expect("valid"),
    }
}

fn table(n: u64) -> TableNo {
    TableNo::parse(n).expect("valid")
}

/// A floor's set-up from `starts_at` to `ends_at`, without breaks: slots of `slot` minutes, at
/// least `gap` minutes between a candidate's interviews and at most `max` of them, wishes until
/// `wishes_until`.
fn floor_setup(
    (starts_at, ends_at): (Timestamp, Timestamp),
    (slot, gap, max): (u64, u64, u64),
    wishes_until: Timestamp,
) -> anyhow::Result<Setup> {
    Ok(Setup {
        starts_at,
        ends_at,
        slot_minutes: SlotMinutes::parse(slot)?,
        breaks: vec![],
        gap_minutes: GapMinutes::parse(gap)?,
        max_interviews: InterviewLimit::parse(max)?,
        wishes_until,
    })
}

/// The Embrun job-dating: 12:00–13:00Z, 15-minute slots, one EHPAD with two tables.
async fn set_up(service: &JobDating, session: SessionId) -> anyhow::Result<()> {
    let setup = floor_setup(
        (at("2024-04-17T12:00:00Z"), at("2024-04-17T13:00:00Z")),
        (15, 0, 2),
        at("2024-04-17T08:00:00Z"),
    )?;
    let commands = [
        Command::Configure(setup),
        Command::JoinEmployer(EmployerJoined {
            employer: employer(),
            name: Name::parse("EHPAD Les Marronniers")?,
            kind: StructureKind::Ehpad,
            town: Town {
                name: Name::parse("Embrun")?,
                insee_code: InseeCode::parse("05046")?,
            },
            jobs: vec![JobOffer {
                job: Job::CareAssistant,
                contract: ContractType::Permanent,
                openings: Openings::parse(2)?,
            }],
        }),
        Command::SeatRecruiter(RecruiterSeated {
            employer: employer(),
            recruiter: RecruiterId::parse("cadre-de-sante")?,
            table: table(1),
        }),
        Command::SeatRecruiter(RecruiterSeated {
            employer: employer(),
            recruiter: RecruiterId::parse("drh")?,
            table: table(2),
        }),
    ];
    for (n, command) in commands.into_iter().enumerate() {
        service
            .floor_at(
                session,
                command,
                day_before(),
                &organiser(&format!("setup-{n}")),
            )
            .await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookings_of_one_slot_from_two_processes_at_once_exactly_one_wins() -> anyhow::Result<()> {
    let nats = TestNats::start().await?;
    let first = JobDating::without_registrations(
        nats.open_log(LogConfig::new(vec![jobdating::STREAM]))
            .await?,
    );
    let second = JobDating::without_registrations(
        nats.open_log(LogConfig::new(vec![jobdating::STREAM]))
            .await?,
    );
    let session = SessionId(Uuid::now_v7());
    set_up(&first, session).await?;

    let mut attempts = Vec::new();
    for n in 0..12u128 {
        let service = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        let candidate = candidate(n);
        attempts.push(tokio::spawn(async move {
            let meta = partner_meta(&candidate.partner, &format!("book-{n}"));
            let command = Command::Book {
                candidate: candidate.clone(),
                table: table(1),
                slot: SlotNo::parse(2).expect("valid"),
            };
            service
                .floor_at(session, command, day_before(), &meta)
                .await
        }));
    }
    let mut won = 0;
    let mut taken = 0;
    for attempt in attempts {
        match attempt.await? {
            Ok(decided) if !decided.events.is_empty() => won += 1,
            Err(JobDatingError::Refused(FloorRefusal::SlotTaken { .. })) => taken += 1,
            other => panic!("unexpected outcome: {other:?}"),
        }
    }
    assert_eq!((won, taken), (1, 11));
    let state = second.floor_state(session).await?;
    assert_eq!(state.all_bookings().count(), 1);
    Ok(())
}

#[tokio::test]
async fn a_planner_run_is_announced_and_kept() -> anyhow::Result<()> {
    let nats = TestNats::start().await?;
    let service = JobDating::without_registrations(
        nats.open_log(LogConfig::new(vec![jobdating::STREAM]))
            .await?,
    );
    let session = SessionId(Uuid::now_v7());
    set_up(&service, session).await?;
    for n in 0..5u128 {
        let candidate = candidate(n);
        let wishes = Wishes::parse(vec![Wish::Job {
            job: Job::CareAssistant,
        }])?;
        service
            .floor_at(
                session,
                Command::SubmitWishes(WishesSubmitted {
                    candidate: candidate.clone(),
                    wishes,
                }),
                at("2024-04-16T07:00:00Z"),
                &partner_meta(&candidate.partner, &format!("wishes-{n}")),
            )
            .await?;
    }
    let drafted =
        organiser_sends(&service, session, Command::RunPlanner { seed: 5 }, "plan-1").await?;
    let planned: usize = drafted
        .events
        .iter()
        .map(|e| match e {
            Event::TableDrafted(t) => t.interviews.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(
        (drafted.events.len(), planned),
        (3, 5),
        "the draft and its two tables' 5 interviews"
    );
    organiser_sends(
        &service,
        session,
        Command::AnnouncePlan { run: 1 },
        "announce-1",
    )
    .await?;
    let state = service.floor_state(session).await?;
    assert_eq!(
        state.all_bookings().filter(|(_, _, b)| b.announced).count(),
        5
    );
    Ok(())
}

/// A small deterministic generator (SplitMix64), for the large floor.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    }
}

/// The benchmark's floor on a real nats-server: 2,000 candidates with 5 wishes each, 100
/// employers with 1 to 3 tables, 30 ten-minute slots, at most 3 interviews each. Its draft as one
/// `InterviewBooked` per interview weighs more than the server's largest message; as one
/// `TableDrafted` per table it is one commit, stored, announced and read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_floors_draft_fits_one_message_and_is_announced() -> anyhow::Result<()> {
    let nats = TestNats::start().await?;
    let log = nats
        .open_log(LogConfig::new(vec![jobdating::STREAM]))
        .await?;
    let max_payload = log.jetstream().client().server_info().max_payload;
    let service = JobDating::without_registrations(log);
    let session = SessionId(Uuid::now_v7());
    let starts_at = at("2024-04-17T07:00:00Z");
    let setup = floor_setup(
        (starts_at, at("2024-04-17T12:00:00Z")),
        (10, 10, 3),
        at("2024-04-17T06:00:00Z"),
    )?;
    organiser_sends(&service, session, Command::Configure(setup), "big-setup").await?;
    let jobs = [
        Job::CareAssistant,
        Job::HomeCarer,
        Job::SupportWorker,
        Job::Nurse,
        Job::ChildcareAssistant,
    ];
    let mut random = Random(2024);
    let employer_of = |n: usize| EmployerId(Uuid::from_u128(0xe000_0000 + n as u128));
    let mut tables = 0u64;
    let gap = Town {
        name: Name::parse("Gap")?,
        insee_code: InseeCode::parse("05061")?,
    };
    for n in 0..100 {
        let command = Command::JoinEmployer(EmployerJoined {
            employer: employer_of(n),
            name: Name::parse(format!("Employeur {n}"))?,
            kind: StructureKind::Ehpad,
            town: gap.clone(),
            jobs: vec![JobOffer {
                job: jobs[n % jobs.len()],
                contract: ContractType::Permanent,
                openings: Openings::parse(2)?,
            }],
        });
        let meta = organiser(&format!("big-employer-{n}"));
        service
            .floor_at(session, command, day_before(), &meta)
            .await?;
        for r in 0..1 + random.below(3) {
            tables += 1;
            let command = Command::SeatRecruiter(RecruiterSeated {
                employer: employer_of(n),
                recruiter: RecruiterId::parse(format!("r{r}"))?,
                table: table(tables),
            });
            let meta = organiser(&format!("big-table-{tables}"));
            service
                .floor_at(session, command, day_before(), &meta)
                .await?;
        }
    }
    let mut sending = tokio::task::JoinSet::new();
    for c in 0..2_000u128 {
        let mut wishes = Vec::new();
        while wishes.len() < 5 {
            let wish = if random.below(5) == 0 {
                Wish::Job {
                    job: jobs[random.below(jobs.len())],
                }
            } else {
                Wish::Employer {
                    employer: employer_of(random.below(100)),
                }
            };
            if !wishes.contains(&wish) {
                wishes.push(wish);
            }
        }
        let candidate = Candidate {
            participant: ParticipantId(Uuid::from_u128(0xc000_0000 + c)),
            partner: PartnerId::parse(format!("partner-{}", c % 7))?,
        };
        let command = Command::SubmitWishes(WishesSubmitted {
            candidate: candidate.clone(),
            wishes: Wishes::parse(wishes)?,
        });
        let service = service.clone();
        sending.spawn(async move {
            let meta = partner_meta(&candidate.partner, &format!("big-wishes-{c}"));
            service
                .floor_at(session, command, day_before(), &meta)
                .await
        });
    }
    while let Some(sent) = sending.join_next().await {
        sent??;
    }

    let drafted = organiser_sends(
        &service,
        session,
        Command::RunPlanner { seed: 2024 },
        "big-plan",
    )
    .await?;
    let Some(Event::PlanDrafted(plan)) = drafted.events.first() else {
        panic!("no draft: {:?}", drafted.events.first());
    };
    let interviews = usize::try_from(plan.interviews)?;
    assert!(interviews > 4_000, "{plan:?}");
    assert!(drafted.events.len() <= 1 + usize::try_from(tables)?);

    // The same draft, written as before (one `InterviewBooked` per interview): more than one
    // message may hold, even before the envelopes.
    let state = service.floor_state(session).await?;
    let mut before = 0;
    for (table, slot, booking) in state.all_bookings() {
        let old = Event::InterviewBooked(InterviewBooked {
            table,
            slot,
            time: state.slot(slot).expect("a slot of the floor"),
            employer: booking.employer,
            candidate: booking.candidate.clone(),
            by: booking.by,
            wish: Some(1),
        });
        before += serde_json::to_vec(&proto::EventContract::encode(&old)?.data)?.len();
    }
    assert!(
        before > max_payload,
        "{before} bytes of payloads would have fitted in {max_payload}"
    );

    organiser_sends(
        &service,
        session,
        Command::AnnouncePlan { run: plan.run },
        "big-announce",
    )
    .await?;
    let state = service.floor_state(session).await?;
    assert_eq!(
        state.all_bookings().filter(|(_, _, b)| b.announced).count(),
        interviews
    );
    Ok(())
}
