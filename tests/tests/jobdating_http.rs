//! Job-dating through HTTP, against a running week on a real nats-server with the
//! `jobdating-view` and `statistics` read models in the background: a partner cannot book for
//! another partner's candidate (nor for anyone not registered); two bookings of one slot at once,
//! exactly one wins; wishes after the deadline are refused; a plan is drafted, announced, and
//! re-planned with a late candidate without moving an announced slot (read back through the
//! tables' timetables); a candidate's interviews are read back as iCalendar by the `ical` crate;
//! the session's figures and the edition's statistics count the interviews.

use std::collections::BTreeMap;

use anyhow::Context;

use gateway::Role;
use gateway::keys::Editions;
use gateway::stack::axum::http::StatusCode;
use proto::values::SessionId;
use serde_json::{Value, json};
use tests::desk::{Answer, Desk};
use tests::week::tuesday;

/// A command that must pass; its `seq`.
async fn ok(desk: &Desk, path: &str, secret: &str, body: Value) -> anyhow::Result<u64> {
    let answer = desk.post(path, secret, body).await?;
    passed(answer).with_context(|| path.to_owned())
}

/// The answer to a command that must pass: its `seq`.
fn passed(answer: Answer) -> anyhow::Result<u64> {
    anyhow::ensure!(answer.status == StatusCode::OK, "{answer:?}");
    answer.json["seq"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no seq in {answer:?}"))
}

/// Registers a person through HTTP; the participant id.
async fn register(
    desk: &Desk,
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
    let answer = desk.post("/registrations", secret, body).await?;
    anyhow::ensure!(answer.status == StatusCode::CREATED, "{answer:?}");
    answer.json["participant"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no participant"))
}

/// Every booked or drafted slot of the floor's tables 1 to 3: (table, slot) → participant.
async fn seated(
    desk: &Desk,
    session: SessionId,
    secret: &str,
    seq: u64,
    status: &str,
) -> anyhow::Result<BTreeMap<(u64, u64), String>> {
    let mut seated = BTreeMap::new();
    for table in 1..=3u64 {
        let path = format!("/jobdating/{session}/tables/{table}/timetable?min_seq=JOBDATING:{seq}");
        let timetable = desk.read(&path, secret).await?;
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

/// `secret`'s partner books its candidate `participant` into `slot` of `table`, on the floor of
/// `session`.
async fn book(
    floor: &Desk,
    session: SessionId,
    secret: &str,
    participant: &str,
    (table, slot): (u32, u32),
) -> anyhow::Result<Answer> {
    let booking = json!({ "participant": participant, "table": table, "slot": slot });
    floor
        .post(&format!("/jobdating/{session}/bookings"), secret, booking)
        .await
}

/// `secret`'s partner ranks the wishes (`ranked`, a JSON list) of its candidate `candidate`.
async fn wish(
    floor: &Desk,
    session: SessionId,
    secret: &str,
    candidate: &str,
    ranked: Value,
) -> anyhow::Result<Answer> {
    let path = format!("/jobdating/{session}/candidates/{candidate}/wishes");
    floor.post(&path, secret, json!({ "wishes": ranked })).await
}

/// `secret` asks the planner for a draft of the floor's interviews (seed 7).
async fn plan(floor: &Desk, session: SessionId, secret: &str) -> anyhow::Result<Answer> {
    let path = format!("/jobdating/{session}/plan");
    floor.post(&path, secret, json!({ "seed": 7 })).await
}

/// The organiser announces the planner's run `run`, which must pass: the announcement's `seq`.
async fn announce(
    floor: &Desk,
    session: SessionId,
    organiser: &str,
    run: u32,
) -> anyhow::Result<u64> {
    let announced = floor
        .post_empty(
            &format!("/jobdating/{session}/plan/{run}/announce"),
            organiser,
        )
        .await?;
    announced.assert_status(StatusCode::OK);
    Ok(announced.json["seq"].as_u64().unwrap_or_default())
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
    let floor = Desk::start().await?;
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
    let organiser = floor.key(Role::Organiser(Editions::One(edition))).await?;
    let at_venue = floor.key(Role::Venue(venue)).await?;
    let ft = floor.partner_key("ft").await?;
    let ml = floor.partner_key("ml").await?;
    let lea = register(&floor, &ft, session, "lea").await?;
    let karim = register(&floor, &ft, session, "karim").await?;
    let tom = register(&floor, &ml, session, "tom").await?;
    let base = format!("/jobdating/{session}");

    // Set up with a deadline already passed: wishes are refused.
    ok(
        &floor,
        &format!("{base}/setup"),
        &organiser,
        setup("2024-01-01T00:00:00Z"),
    )
    .await?;
    let care_assistant = json!([{ "kind": "job", "job": "care_assistant" }]);
    let late = wish(&floor, session, &ft, &lea, care_assistant).await?;
    late.assert_refused(StatusCode::CONFLICT, "wishes-closed");
    // The set-up changes while nothing is booked: a deadline to come.
    ok(
        &floor,
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
        ok(
            &floor,
            &format!("{base}/employers"),
            &organiser,
            employer_body(n, name, job, contract),
        )
        .await?;
        let table = json!({ "employer": employer(n), "recruiter": format!("r{n}"), "table": n });
        ok(&floor, &format!("{base}/tables"), &organiser, table).await?;
    }
    // The venue blocks table 3's last slot; a partner may not.
    let block = json!({ "slots": [4], "reason": "Pause de la recruteuse" });
    let refused = floor
        .post(&format!("{base}/tables/3/block"), &ft, block.clone())
        .await?;
    refused.assert_status(StatusCode::FORBIDDEN);
    ok(&floor, &format!("{base}/tables/3/block"), &at_venue, block).await?;

    // Another partner's candidate, or someone not registered: 404, nothing booked.
    let theirs = book(&floor, session, &ml, &lea, (1, 1)).await?;
    theirs.assert_refused(StatusCode::NOT_FOUND, "candidate-not-registered");
    let nobody = uuid::Uuid::now_v7().to_string();
    let unknown = book(&floor, session, &ft, &nobody, (1, 1)).await?;
    unknown.assert_status(StatusCode::NOT_FOUND);
    let nurse = json!([{ "kind": "job", "job": "nurse" }]);
    let wished = wish(&floor, session, &ft, &tom, nurse).await?;
    wished.assert_status(StatusCode::NOT_FOUND);

    // Two bookings of the same slot at once, by two partners: exactly one wins.
    let (first, second) = tokio::join!(
        book(&floor, session, &ft, &karim, (2, 1)),
        book(&floor, session, &ml, &tom, (2, 1)),
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
        passed(wish(&floor, session, key, who, ranked).await?)?;
    }
    let drafting = plan(&floor, session, &organiser).await?;
    drafting.assert_status(StatusCode::OK);
    assert_eq!(drafting.json["draft"]["run"], 1);
    let seq = drafting.json["seq"].as_u64().unwrap_or_default();
    let drafted = seated(&floor, session, &organiser, seq, "drafted").await?;
    assert!(drafted.len() >= 3, "{drafted:?}");
    let refused = plan(&floor, session, &ft).await?;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let seq = announce(&floor, session, &organiser, 1).await?;
    let before = seated(&floor, session, &at_venue, seq, "booked").await?;
    assert_eq!(
        before.len(),
        drafted.len() + 1,
        "the draft and the partner's booking"
    );
    assert!(
        seated(&floor, session, &organiser, seq, "drafted")
            .await?
            .is_empty()
    );

    // A late candidate with wishes, and a second run: no announced slot moves.
    let ines = register(&floor, &ml, session, "ines").await?;
    let ranked = json!([{ "kind": "employer", "employer": employer(1) }, { "kind": "job", "job": "home_carer" }]);
    passed(wish(&floor, session, &ml, &ines, ranked).await?)?;
    let replan = plan(&floor, session, &organiser).await?;
    replan.assert_status(StatusCode::OK);
    assert_eq!(replan.json["draft"]["run"], 2);
    let seq = announce(&floor, session, &organiser, 2).await?;
    let after = seated(&floor, session, &organiser, seq, "booked").await?;
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
    let calendar = floor.read(&path, &ft).await?;
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
    theirs.assert_status(StatusCode::NOT_FOUND);
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
    outcome.assert_refused(StatusCode::CONFLICT, "interview-not-begun");
    let figures = floor
        .read(
            &format!("{base}/figures?min_seq=JOBDATING:{seq}"),
            &organiser,
        )
        .await?;
    assert_eq!(figures.json["employers"], 3);
    assert_eq!(figures.json["tables"], 3);
    assert_eq!(figures.json["slots_offered"], 11);
    assert_eq!(figures.json["outcomes"]["interviews"], json!(after.len()));
    assert_eq!(figures.json["outcomes"]["pending"], json!(after.len()));
    let stats = floor
        .read(
            &format!("/editions/{edition}/statistics?min_seq=JOBDATING:{seq}"),
            &organiser,
        )
        .await?;
    assert_eq!(stats.json["job_dating"]["sessions"], 1);
    assert_eq!(
        stats.json["job_dating"]["outcomes"]["interviews"],
        json!(after.len())
    );
    Ok(())
}
