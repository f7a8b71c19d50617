//! Job-dating through HTTP, against a running week on a real nats-server with the
//! `jobdating-view` and `statistics` read models in the background: a partner cannot book for
//! another partner's candidate (nor for anyone not registered); two bookings of one slot at once,
//! exactly one wins; wishes after the deadline are refused; a plan is drafted, announced, and
//! re-planned with a late candidate without moving an announced slot (read back through the
//! tables' timetables); a candidate's interviews are read back as iCalendar by the `ical` crate;
//! the session's figures and the edition's statistics count the interviews.

use std::collections::BTreeMap;

use gateway::keys::Editions;
use gateway::stack::axum::Router;
use gateway::stack::axum::http::{Method, StatusCode};
use gateway::{AppState, Role};
use proto::values::SessionId;
use serde_json::{Value, json};
use tests::desk::{Answer, Desk, request, send};
use tests::week::{Week, partner_id, tuesday};

/// A week with the gateway, the job-dating view and the statistics.
struct Floor {
    week: Week,
    state: AppState,
    app: Router,
}

impl Floor {
    async fn start() -> anyhow::Result<Self> {
        let Desk {
            week,
            state,
            router,
        } = Desk::start().await?;
        Ok(Self {
            week,
            state,
            app: router,
        })
    }

    async fn key(&self, role: Role) -> anyhow::Result<String> {
        let (_, secret) = self.state.keys.create(role).await?;
        Ok(secret.expose().to_owned())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        secret: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        send(&self.app, request(method, path, Some(secret), body)?).await
    }

    async fn post(&self, path: &str, secret: &str, body: Value) -> anyhow::Result<Answer> {
        self.send(Method::POST, path, secret, Some(&body)).await
    }

    /// A command that must pass; its `seq`.
    async fn ok(&self, path: &str, secret: &str, body: Value) -> anyhow::Result<u64> {
        let answer = self.post(path, secret, body).await?;
        anyhow::ensure!(answer.status == StatusCode::OK, "{path}: {answer:?}");
        answer.json["seq"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("no seq in {answer:?}"))
    }

    async fn get(&self, path: &str, secret: &str) -> anyhow::Result<Answer> {
        self.send(Method::GET, path, secret, None).await
    }

    /// Registers a person through HTTP; the participant id.
    async fn register(
        &self,
        secret: &str,
        session: SessionId,
        reference: &str,
    ) -> anyhow::Result<String> {
        let body = json!({
            "session": session,
            "reference": reference,
            "attendee": { "kind": "person" },
            "profile": { "audience": "job_seekers", "age_band": "from26_to44" },
            "identity": { "first_name": "Prénom", "last_name": format!("nom-{reference}") },
        });
        let answer = self
            .send(Method::POST, "/registrations", secret, Some(&body))
            .await?;
        anyhow::ensure!(answer.status == StatusCode::CREATED, "{answer:?}");
        answer.json["participant"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no participant"))
    }

    /// Every booked or drafted slot of the floor's tables 1 to 3: (table, slot) → participant.
    async fn seated(
        &self,
        session: SessionId,
        secret: &str,
        seq: u64,
        status: &str,
    ) -> anyhow::Result<BTreeMap<(u64, u64), String>> {
        let mut seated = BTreeMap::new();
        for table in 1..=3u64 {
            let path =
                format!("/jobdating/{session}/tables/{table}/timetable?min_seq=JOBDATING:{seq}");
            let timetable = self.get(&path, secret).await?;
            anyhow::ensure!(timetable.status == StatusCode::OK, "{timetable:?}");
            for slot in timetable.json["slots"].as_array().into_iter().flatten() {
                if slot["status"] == status {
                    let no = slot["slot"].as_u64().unwrap_or_default();
                    let who = slot["participant"].as_str().unwrap_or_default().to_owned();
                    seated.insert((table, no), who);
                }
            }
        }
        Ok(seated)
    }
}

fn employer(n: u128) -> String {
    uuid::Uuid::from_u128(0xe000 + n).to_string()
}

fn employer_body(n: u128, name: &str, job: &str, contract: &str) -> Value {
    json!({
        "employer": employer(n),
        "name": name,
        "kind": if n == 1 { "ehpad" } else { "other" },
        "town": { "name": "Embrun", "insee_code": "05046" },
        "jobs": [{ "job": job, "contract": contract, "openings": 2 }],
    })
}

/// 10:00–11:00 in Gap on Tuesday 13 April 2027 (08:00–09:00Z), four 15-minute slots.
fn setup(wishes_until: &str) -> Value {
    json!({
        "starts_at": "2027-04-13T08:00:00Z",
        "ends_at": "2027-04-13T09:00:00Z",
        "slot_minutes": 15,
        "gap_minutes": 0,
        "max_interviews": 2,
        "wishes_until": wishes_until,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_dating_through_http() -> anyhow::Result<()> {
    let floor = Floor::start().await?;
    let week = &floor.week;
    let (venue, _, session) = week
        .open_session(40, tuesday(10, 0), tuesday(11, 0))
        .await?;
    let edition = week
        .registrations
        .seats(session)
        .await?
        .facts
        .as_ref()
        .map(|f| f.edition)
        .ok_or_else(|| anyhow::anyhow!("seats without facts"))?;
    week.declare_partner("ft").await?;
    week.declare_partner("ml").await?;
    let organiser = floor.key(Role::Organiser(Editions::One(edition))).await?;
    let at_venue = floor.key(Role::Venue(venue)).await?;
    let ft = floor.key(Role::Partner(partner_id("ft"))).await?;
    let ml = floor.key(Role::Partner(partner_id("ml"))).await?;
    let lea = floor.register(&ft, session, "lea").await?;
    let karim = floor.register(&ft, session, "karim").await?;
    let tom = floor.register(&ml, session, "tom").await?;
    let base = format!("/jobdating/{session}");

    // Set up with a deadline already passed: wishes are refused.
    floor
        .ok(
            &format!("{base}/setup"),
            &organiser,
            setup("2024-01-01T00:00:00Z"),
        )
        .await?;
    let late = floor
        .post(
            &format!("{base}/candidates/{lea}/wishes"),
            &ft,
            json!({ "wishes": [{ "kind": "job", "job": "care_assistant" }] }),
        )
        .await?;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::CONFLICT, "wishes-closed"),
        "{late:?}"
    );
    // The set-up changes while nothing is booked: a deadline to come.
    floor
        .ok(
            &format!("{base}/setup"),
            &organiser,
            setup("2027-04-12T00:00:00Z"),
        )
        .await?;
    let employers = [
        (1, "EHPAD Les Marronniers", "care_assistant", "permanent"),
        (2, "ADMR de l'Embrunais", "home_carer", "fixed_term"),
        (
            3,
            "Crèche Les P'tits Loups",
            "childcare_assistant",
            "apprenticeship",
        ),
    ];
    for (n, name, job, contract) in employers {
        floor
            .ok(
                &format!("{base}/employers"),
                &organiser,
                employer_body(n, name, job, contract),
            )
            .await?;
        let table = json!({ "employer": employer(n), "recruiter": format!("r{n}"), "table": n });
        floor
            .ok(&format!("{base}/tables"), &organiser, table)
            .await?;
    }
    // The venue blocks table 3's last slot; a partner may not.
    let block = json!({ "slots": [4], "reason": "Pause de la recruteuse" });
    let refused = floor
        .post(&format!("{base}/tables/3/block"), &ft, block.clone())
        .await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    floor
        .ok(&format!("{base}/tables/3/block"), &at_venue, block)
        .await?;

    // Another partner's candidate, or someone not registered: 404, nothing booked.
    let theirs = floor
        .post(
            &format!("{base}/bookings"),
            &ml,
            json!({ "participant": lea, "table": 1, "slot": 1 }),
        )
        .await?;
    assert_eq!(
        (theirs.status, theirs.code()),
        (StatusCode::NOT_FOUND, "candidate-not-registered"),
        "{theirs:?}"
    );
    let nobody = uuid::Uuid::now_v7();
    let unknown = floor
        .post(
            &format!("{base}/bookings"),
            &ft,
            json!({ "participant": nobody, "table": 1, "slot": 1 }),
        )
        .await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");
    let wished = floor
        .post(
            &format!("{base}/candidates/{tom}/wishes"),
            &ft,
            json!({ "wishes": [{ "kind": "job", "job": "nurse" }] }),
        )
        .await?;
    assert_eq!(wished.status, StatusCode::NOT_FOUND, "{wished:?}");

    // Two bookings of the same slot at once, by two partners: exactly one wins.
    let bookings = format!("{base}/bookings");
    let (first, second) = tokio::join!(
        floor.post(
            &bookings,
            &ft,
            json!({ "participant": karim, "table": 2, "slot": 1 })
        ),
        floor.post(
            &bookings,
            &ml,
            json!({ "participant": tom, "table": 2, "slot": 1 })
        ),
    );
    let (first, second) = (first?, second?);
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{first:?} {second:?}"
    );
    let lost = if first.status == StatusCode::CONFLICT {
        &first
    } else {
        &second
    };
    assert_eq!(lost.code(), "slot-taken");

    // Wishes, the planner, the announcement.
    let wishes = [
        (
            &ft,
            &lea,
            json!([{ "kind": "employer", "employer": employer(1) }, { "kind": "employer", "employer": employer(2) }]),
        ),
        (
            &ft,
            &karim,
            json!([{ "kind": "job", "job": "care_assistant" }, { "kind": "employer", "employer": employer(3) }]),
        ),
        (
            &ml,
            &tom,
            json!([{ "kind": "employer", "employer": employer(1) }, { "kind": "job", "job": "childcare_assistant" }]),
        ),
    ];
    for (key, who, ranked) in wishes {
        floor
            .ok(
                &format!("{base}/candidates/{who}/wishes"),
                key,
                json!({ "wishes": ranked }),
            )
            .await?;
    }
    let plan = floor
        .post(&format!("{base}/plan"), &organiser, json!({ "seed": 7 }))
        .await?;
    assert_eq!(plan.status, StatusCode::OK, "{plan:?}");
    assert_eq!(plan.json["draft"]["run"], 1);
    let seq = plan.json["seq"].as_u64().unwrap_or_default();
    let drafted = floor.seated(session, &organiser, seq, "drafted").await?;
    assert!(drafted.len() >= 3, "{drafted:?}");
    let refused = floor
        .post(&format!("{base}/plan"), &ft, json!({ "seed": 7 }))
        .await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let announced = floor
        .send(
            Method::POST,
            &format!("{base}/plan/1/announce"),
            &organiser,
            None,
        )
        .await?;
    assert_eq!(announced.status, StatusCode::OK, "{announced:?}");
    let seq = announced.json["seq"].as_u64().unwrap_or_default();
    let before = floor.seated(session, &at_venue, seq, "booked").await?;
    assert_eq!(
        before.len(),
        drafted.len() + 1,
        "the draft and the partner's booking"
    );
    assert!(
        floor
            .seated(session, &organiser, seq, "drafted")
            .await?
            .is_empty()
    );

    // A late candidate with wishes, and a second run: no announced slot moves.
    let ines = floor.register(&ml, session, "ines").await?;
    floor
        .ok(
            &format!("{base}/candidates/{ines}/wishes"),
            &ml,
            json!({ "wishes": [{ "kind": "employer", "employer": employer(1) }, { "kind": "job", "job": "home_carer" }] }),
        )
        .await?;
    let replan = floor
        .post(&format!("{base}/plan"), &organiser, json!({ "seed": 7 }))
        .await?;
    assert_eq!(replan.status, StatusCode::OK, "{replan:?}");
    assert_eq!(replan.json["draft"]["run"], 2);
    let announced = floor
        .send(
            Method::POST,
            &format!("{base}/plan/2/announce"),
            &organiser,
            None,
        )
        .await?;
    assert_eq!(announced.status, StatusCode::OK, "{announced:?}");
    let seq = announced.json["seq"].as_u64().unwrap_or_default();
    let after = floor.seated(session, &organiser, seq, "booked").await?;
    for (place, who) in &before {
        assert_eq!(
            after.get(place),
            Some(who),
            "the interview at {place:?} moved"
        );
    }
    assert!(
        after.values().any(|who| *who == ines),
        "the late candidate got an interview"
    );

    // Léa's interviews as her partner's calendar, read back by an iCalendar parser.
    let path = format!("{base}/candidates/{lea}/timetable.ics?min_seq=JOBDATING:{seq}");
    let calendar = floor.get(&path, &ft).await?;
    assert_eq!(calendar.status, StatusCode::OK, "{calendar:?}");
    let parsed = ical::IcalParser::new(calendar.text.as_bytes())
        .next()
        .ok_or_else(|| anyhow::anyhow!("no calendar"))??;
    let hers: Vec<_> = after.iter().filter(|(_, who)| **who == lea).collect();
    assert_eq!(parsed.events.len(), hers.len(), "{}", calendar.text);
    assert!(!hers.is_empty());
    let value = |props: &[ical::property::Property], name: &str| {
        props.iter().find(|p| p.name == name).cloned()
    };
    // The calendar is in time order: her earliest interview first.
    let Some(((table, slot), _)) = hers.iter().min_by_key(|((t, s), _)| (*s, *t)) else {
        anyhow::bail!("no interview of hers");
    };
    let (table, slot) = (*table, *slot);
    let first = &parsed.events[0].properties;
    assert_eq!(
        value(first, "UID").and_then(|p| p.value),
        Some(format!(
            "jobdating-{session}-table-{table}-slot-{slot}@semaine"
        ))
    );
    let start = value(first, "DTSTART").ok_or_else(|| anyhow::anyhow!("no DTSTART"))?;
    assert_eq!(
        start.params,
        Some(vec![("TZID".to_owned(), vec!["Europe/Paris".to_owned()])])
    );
    let local = 10 * 60 + (slot - 1) * 15;
    assert_eq!(
        start.value,
        Some(format!("20270413T{:02}{:02}00", local / 60, local % 60))
    );
    assert!(
        value(first, "SUMMARY")
            .and_then(|p| p.value)
            .is_some_and(|s| s.starts_with("Entretien")),
    );
    let theirs = floor.get(&path, &ml).await?;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{theirs:?}");
    let venue_reads = floor.get(&path, &at_venue).await?;
    assert_eq!(venue_reads.status, StatusCode::FORBIDDEN);

    // Outcomes open when the interview begins; the figures count what is announced.
    let outcome = floor
        .post(
            &format!("{base}/tables/{table}/slots/{slot}/outcome"),
            &at_venue,
            json!({ "outcome": { "outcome": "met" } }),
        )
        .await?;
    assert_eq!(
        (outcome.status, outcome.code()),
        (StatusCode::CONFLICT, "interview-not-begun"),
        "{outcome:?}"
    );
    let figures = floor
        .get(
            &format!("{base}/figures?min_seq=JOBDATING:{seq}"),
            &organiser,
        )
        .await?;
    assert_eq!(figures.status, StatusCode::OK, "{figures:?}");
    assert_eq!(figures.json["employers"], 3);
    assert_eq!(figures.json["tables"], 3);
    assert_eq!(figures.json["slots_offered"], 11);
    assert_eq!(figures.json["outcomes"]["interviews"], json!(after.len()));
    assert_eq!(figures.json["outcomes"]["pending"], json!(after.len()));
    let stats = floor
        .get(
            &format!("/editions/{edition}/statistics?min_seq=JOBDATING:{seq}"),
            &organiser,
        )
        .await?;
    assert_eq!(stats.status, StatusCode::OK, "{stats:?}");
    assert_eq!(stats.json["job_dating"]["sessions"], 1);
    assert_eq!(
        stats.json["job_dating"]["outcomes"]["interviews"],
        json!(after.len())
    );
    Ok(())
}
