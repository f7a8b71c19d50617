//! The job-dating shell on a real nats-server: bookings of one slot sent at once from two
//! processes (two event logs, each with its own client and cache), of which exactly one wins; and
//! a planner run announced and read back.

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

/// The Embrun job-dating: 12:00–13:00Z, 15-minute slots, one EHPAD with two tables.
async fn set_up(service: &JobDating, session: SessionId) -> anyhow::Result<()> {
    let setup = Setup {
        starts_at: at("2024-04-17T12:00:00Z"),
        ends_at: at("2024-04-17T13:00:00Z"),
        slot_minutes: SlotMinutes::parse(15)?,
        breaks: vec![],
        gap_minutes: GapMinutes::parse(0)?,
        max_interviews: InterviewLimit::parse(2)?,
        wishes_until: at("2024-04-17T08:00:00Z"),
    };
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
    let first = JobDating::new(
        nats.open_log(LogConfig::new(vec![jobdating::STREAM]))
            .await?,
    );
    let second = JobDating::new(
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
    let service = JobDating::new(
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
    let drafted = service
        .floor_at(
            session,
            Command::RunPlanner { seed: 5 },
            day_before(),
            &organiser("plan-1"),
        )
        .await?;
    assert_eq!(drafted.events.len(), 6, "the draft and 5 interviews");
    service
        .floor_at(
            session,
            Command::AnnouncePlan { run: 1 },
            day_before(),
            &organiser("announce-1"),
        )
        .await?;
    let state = service.floor_state(session).await?;
    assert_eq!(
        state.all_bookings().filter(|(_, _, b)| b.announced).count(),
        5
    );
    Ok(())
}
