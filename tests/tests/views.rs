//! The partners', venues' and organisers' reads over HTTP, against a running week on a real
//! nats-server with the three views (`partner-view`, `venue-view`, `statistics`) running in the
//! background: every key sees only its own (table-driven, on every new endpoint), the agenda is
//! read back by an iCalendar parser and the attendance list by a CSV reader, an erased
//! participant shows as erased everywhere, and an edition's statistics match a small known week.

use gateway::Role;
use gateway::keys::Editions;
use gateway::stack::axum::http::{Method, StatusCode, header};
use proto::values::{EditionId, SessionId, VenueId};
use serde_json::{Value, json};
use tests::desk::{Answer, Desk, schedule_body};
use tests::week::tuesday;

/// Registers through HTTP; the answer's `registration`, `participant` and `seq`.
async fn register(
    desk: &Desk,
    secret: &str,
    session: SessionId,
    reference: &str,
    size: u32,
    audience: &str,
) -> anyhow::Result<(String, String, u64)> {
    let attendee = if size == 1 {
        json!({ "kind": "person" })
    } else {
        json!({ "kind": "group", "size": size })
    };
    let body = json!({
        "session": session,
        "reference": reference,
        "attendee": attendee,
        "profile": { "audience": audience, "age_band": "from16_to25", "town": "05061" },
        "identity": {
            "first_name": format!("Prénom-{reference}"),
            "last_name": format!("nom-{reference}"),
            "email": format!("{reference}@exemple.fr"),
            "phone": "06 12 34 56 78",
        },
    });
    let answer = desk.post("/registrations", secret, body).await?;
    anyhow::ensure!(answer.status == StatusCode::CREATED, "{answer:?}");
    let field = |name: &str| {
        answer.json[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no {name} in {}", answer.json))
    };
    let seq = answer.json["seq"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no seq"))?;
    Ok((field("registration")?, field("participant")?, seq))
}

/// A session of `capacity` seats at a new venue, in `edition`, confirmed and open.
async fn open_session(
    desk: &Desk,
    edition: EditionId,
    capacity: u32,
    hour: i8,
) -> anyhow::Result<(VenueId, SessionId)> {
    let week = &desk.week;
    let venue = week.register_venue(capacity).await?;
    let event = week.add_open_door(edition).await?;
    let session = week
        .confirmed_session(
            event,
            venue,
            tuesday(hour, 0),
            tuesday(hour + 1, 0),
            capacity,
        )
        .await?;
    Ok((venue, session))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_reads_only_its_own_and_an_erased_participant_shows_as_erased()
-> anyhow::Result<()> {
    let reads = Desk::start().await?;
    let week = &reads.week;
    let edition = week.create_edition().await?;
    let (venue_a, session_a) = open_session(&reads, edition, 30, 9).await?;
    let (venue_b, session_b) = open_session(&reads, edition, 30, 14).await?;
    let ft = reads.partner_key("ft").await?;
    let ml = reads.partner_key("ml").await?;

    let at_a = reads.key(Role::Venue(venue_a)).await?;
    let at_b = reads.key(Role::Venue(venue_b)).await?;
    let organiser = reads.key(Role::Organiser(Editions::One(edition))).await?;
    let elsewhere = reads
        .key(Role::Organiser(Editions::One(EditionId::generate())))
        .await?;

    let (lea, lea_participant, _) =
        register(&reads, &ft, session_a, "lea", 1, "job_seekers").await?;
    let (class, _, _) = register(&reads, &ml, session_a, "classe-3b", 25, "pupils").await?;
    let (tom, tom_participant, seq) =
        register(&reads, &ml, session_b, "tom", 1, "young_people").await?;
    let checked = reads.check_in(&at_a, session_a, &class, 22).await?;
    checked.assert_status(StatusCode::OK);
    let checked_seq = checked.json["seq"].as_u64().unwrap_or(seq);
    let caught_up = format!("min_seq=REGISTRATION:{}", checked_seq.max(seq));

    // Positive reads, once every view has read the check-in.
    let own = reads
        .read(&format!("/registrations/{tom}?{caught_up}"), &ml)
        .await?;
    assert_eq!(own.json["identity"]["status"], "known");
    assert_eq!(own.json["identity"]["first_name"], "Prénom-tom");
    assert_eq!(own.json["identity"]["email"], "tom@exemple.fr");
    assert_eq!(own.json["status"], "confirmed");
    assert_eq!(own.json["history"][0]["step"], "confirmed");
    assert_eq!(own.json["session"]["time_zone"], "Europe/Paris");
    let listed = reads
        .read(&format!("/registrations?{caught_up}"), &ft)
        .await?;
    let ids: Vec<_> = listed.json["items"]
        .as_array()
        .map(|items| items.iter().map(|i| i["registration"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![json!(lea)], "a partner lists its own only");
    let counted = reads
        .read(
            &format!("/registrations?session={session_a}&identity=false&{caught_up}"),
            &organiser,
        )
        .await?;
    let items = counted.json["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let seats: Vec<_> = items.iter().map(|i| i["seats"].clone()).collect();
    assert_eq!(seats, vec![json!(1), json!(25)], "{counted:?}");
    assert!(
        items.iter().all(|i| i.get("identity").is_none()),
        "identity=false opens no identity: {counted:?}"
    );
    let page = reads
        .get(&format!("/registrations?limit=1&{caught_up}"), &organiser)
        .await?;
    assert_eq!(page.json["items"].as_array().map(Vec::len), Some(1));
    let next = page.json["next"].as_str().unwrap_or_default().to_owned();
    let second = reads
        .read(&format!("/registrations?limit=1&after={next}"), &organiser)
        .await?;
    assert_ne!(
        second.json["items"][0]["registration"],
        page.json["items"][0]["registration"]
    );
    let hosting = reads
        .read(&format!("/venues/{venue_a}/hosting?{caught_up}"), &at_a)
        .await?;
    assert_eq!(hosting.json["items"][0]["session"], json!(session_a));
    assert_eq!(hosting.json["items"][0]["status"], "confirmed");
    let awaiting = reads
        .get(
            &format!("/venues/{venue_a}/hosting?status=requested"),
            &at_a,
        )
        .await?;
    assert_eq!(awaiting.json["items"], json!([]));
    let stats = reads
        .read(
            &format!("/editions/{edition}/statistics?{caught_up}"),
            &organiser,
        )
        .await?;
    assert_eq!(stats.json["totals"]["reached"]["people"], 27);

    // Table: who asks what, and what they get. Every new endpoint, each out of scope.
    let get = Method::GET;
    let post = Method::POST;
    let table: Vec<(&str, &str, Method, String, StatusCode, &str)> = vec![
        (
            "ft",
            &ft,
            get.clone(),
            format!("/registrations/{tom}"),
            StatusCode::NOT_FOUND,
            "unknown-registration",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            "/registrations?partner=ml".into(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            format!("/participants/{tom_participant}"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            format!("/participants/{tom_participant}/agenda.ics"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "ft",
            &ft,
            post.clone(),
            format!("/participants/{tom_participant}/erase"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            format!("/venues/{venue_a}/hosting"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            format!("/venues/{venue_a}/sessions/{session_a}/attendance"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            format!("/venues/{venue_a}/sessions/{session_a}/attendance.csv"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            format!("/editions/{edition}/statistics"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ml",
            &ml,
            get.clone(),
            format!("/registrations/{lea}"),
            StatusCode::NOT_FOUND,
            "unknown-registration",
        ),
        (
            "ml",
            &ml,
            get.clone(),
            format!("/participants/{lea_participant}/agenda.ics"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/venues/{venue_a}/hosting"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/venues/{venue_a}/sessions/{session_a}/attendance"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/venues/{venue_a}/sessions/{session_a}/attendance.csv"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/venues/{venue_b}/sessions/{session_a}/attendance"),
            StatusCode::NOT_FOUND,
            "unknown-session",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/venues/{venue_b}/sessions/{session_a}/attendance.csv"),
            StatusCode::NOT_FOUND,
            "unknown-session",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/registrations/{tom}"),
            StatusCode::NOT_FOUND,
            "unknown-registration",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            "/registrations".into(),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/participants/{tom_participant}/agenda.ics"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "venue b",
            &at_b,
            post.clone(),
            format!("/participants/{tom_participant}/erase"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "venue b",
            &at_b,
            get.clone(),
            format!("/editions/{edition}/statistics"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "other organiser",
            &elsewhere,
            get.clone(),
            format!("/registrations/{lea}"),
            StatusCode::NOT_FOUND,
            "unknown-registration",
        ),
        (
            "other organiser",
            &elsewhere,
            get.clone(),
            format!("/registrations?edition={edition}"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "other organiser",
            &elsewhere,
            get.clone(),
            format!("/participants/{lea_participant}"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "other organiser",
            &elsewhere,
            post.clone(),
            format!("/participants/{lea_participant}/erase"),
            StatusCode::NOT_FOUND,
            "unknown-participant",
        ),
        (
            "other organiser",
            &elsewhere,
            get.clone(),
            format!("/venues/{venue_a}/sessions/{session_a}/attendance"),
            StatusCode::NOT_FOUND,
            "unknown-session",
        ),
        (
            "other organiser",
            &elsewhere,
            get.clone(),
            format!("/venues/{venue_a}/hosting"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "other organiser",
            &elsewhere,
            get.clone(),
            format!("/editions/{edition}/statistics"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            "/registrations?after=not-a-cursor".into(),
            StatusCode::BAD_REQUEST,
            "invalid-cursor",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            "/registrations?status=lost".into(),
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            "/registrations/not-a-uuid".into(),
            StatusCode::BAD_REQUEST,
            "invalid-path",
        ),
        (
            "ft",
            &ft,
            get.clone(),
            "/registrations?min_seq=NOWHERE:1".into(),
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        (
            "venue a",
            &at_a,
            get.clone(),
            format!("/venues/{venue_a}/hosting?status=asleep"),
            StatusCode::BAD_REQUEST,
            "invalid-query",
        ),
        (
            "organiser",
            &organiser,
            get.clone(),
            format!("/editions/{}/statistics", EditionId::generate()),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    for (who, secret, method, path, status, code) in &table {
        let answer = reads.call(method.clone(), path, Some(secret), None).await?;
        assert_eq!(
            (answer.status, answer.code()),
            (*status, *code),
            "{who} {method} {path}: {}",
            answer.text
        );
        assert_eq!(
            answer
                .headers
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(b"application/problem+json".as_slice()),
            "{who} {method} {path}"
        );
        // Without a key, every one of them is 401.
        let anonymous = reads.call(method.clone(), path, None, None).await?;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
    }

    // The agenda, read back by an iCalendar parser.
    let agenda = reads
        .read(&format!("/participants/{lea_participant}/agenda.ics"), &ft)
        .await?;
    assert_eq!(
        agenda
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes()),
        Some(b"text/calendar; charset=utf-8".as_slice())
    );
    assert!(agenda.text.contains("\r\n") && !agenda.text.replace("\r\n", "").contains('\n'));
    let calendar = ical::IcalParser::new(agenda.text.as_bytes())
        .next()
        .ok_or_else(|| anyhow::anyhow!("no calendar"))??;
    let value = |props: &[ical::property::Property], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
    };
    assert_eq!(calendar.timezones.len(), 1);
    assert_eq!(
        value(&calendar.timezones[0].properties, "TZID").as_deref(),
        Some("Europe/Paris")
    );
    assert_eq!(calendar.events.len(), 1);
    let event = &calendar.events[0].properties;
    assert_eq!(
        value(event, "UID"),
        Some(format!("registration-{lea}-session-{session_a}@semaine"))
    );
    let start = event
        .iter()
        .find(|p| p.name == "DTSTART")
        .ok_or_else(|| anyhow::anyhow!("no DTSTART"))?;
    assert_eq!(start.value.as_deref(), Some("20270413T090000"));
    assert_eq!(
        start.params,
        Some(vec![("TZID".to_owned(), vec!["Europe/Paris".to_owned()])])
    );
    assert_eq!(value(event, "DTEND").as_deref(), Some("20270413T100000"));
    assert_eq!(value(event, "STATUS").as_deref(), Some("CONFIRMED"));
    assert!(value(event, "DTSTAMP").is_some_and(|stamp| stamp.ends_with('Z')));
    assert!(
        !agenda.text.contains("Prénom-lea"),
        "the calendar names no one"
    );
    // The same read gives the same bytes: UIDs and stamps are stable.
    let again = reads
        .get(&format!("/participants/{lea_participant}/agenda.ics"), &ft)
        .await?;
    assert_eq!(again.text, agenda.text);

    // The attendance list, read back by a CSV reader: a first name and an initial, no contact.
    let attendance = format!("/venues/{venue_a}/sessions/{session_a}/attendance");
    let csv = reads.read(&format!("{attendance}.csv"), &at_a).await?;
    assert_eq!(
        csv.headers.get(header::CONTENT_TYPE).map(|v| v.as_bytes()),
        Some(b"text/csv; charset=utf-8".as_slice())
    );
    let rows = read_csv(&csv.text)?;
    assert_eq!(
        rows,
        vec![
            vec![
                lea.clone(),
                "Prénom-lea N.".into(),
                "1".into(),
                "false".into(),
                "ft".into(),
                "Partenaire ft".into(),
                "false".into(),
                "0".into(),
                "false".into(),
            ],
            vec![
                class.clone(),
                "Prénom-classe-3b N.".into(),
                "25".into(),
                "true".into(),
                "ml".into(),
                "Partenaire ml".into(),
                "true".into(),
                "22".into(),
                "false".into(),
            ],
        ]
    );
    assert!(!csv.text.contains("exemple.fr") && !csv.text.contains("06 12"));
    let by_organiser = reads.read(&attendance, &organiser).await?;
    assert_eq!(by_organiser.json["confirmed_seats"], 26);
    assert_eq!(by_organiser.json["present"], 22);
    assert!(by_organiser.json["items"][0].get("email").is_none());

    // Erasure by the owning partner: every view shows the person as erased, nothing fails.
    let erased = reads
        .post_empty(&format!("/participants/{lea_participant}/erase"), &ft)
        .await?;
    erased.assert_status(StatusCode::OK);
    assert_eq!(erased.json["erased"], true);
    let erased_at = format!(
        "min_seq=REGISTRATION:{}",
        erased.json["seq"].as_u64().unwrap_or(u64::MAX)
    );
    let after = reads.read(&format!("/registrations/{lea}"), &ft).await?;
    assert_eq!(after.json["identity"], json!({ "status": "erased" }));
    assert_eq!(
        after.json["status"], "confirmed",
        "the registration still counts"
    );
    let participant = reads
        .get(
            &format!("/participants/{lea_participant}?{erased_at}"),
            &organiser,
        )
        .await?;
    assert_eq!(participant.json["identity"], json!({ "status": "erased" }));
    // The erasure is in the person's record: when, by which partner, why; nothing personal.
    let erasure = &participant.json["erasure"];
    assert_eq!(erasure["by"], "partner", "{participant:?}");
    assert_eq!(erasure["partner"], "ft");
    assert_eq!(erasure["reason"], "request");
    assert!(erasure["at"].is_string(), "{erasure}");
    // Asked again, it is recorded once: the same record, the first erasure's sequence.
    let again = reads
        .post_empty(&format!("/participants/{lea_participant}/erase"), &ft)
        .await?;
    again.assert_status(StatusCode::OK);
    assert_eq!(again.json["seq"], erased.json["seq"], "{again:?}");
    let tom = reads
        .get(&format!("/participants/{tom_participant}?{erased_at}"), &ml)
        .await?;
    assert_eq!(tom.json["erasure"], Value::Null, "{tom:?}");
    let list = reads
        .get(
            &format!("/venues/{venue_a}/sessions/{session_a}/attendance"),
            &at_a,
        )
        .await?;
    assert_eq!(list.json["items"][0]["erased"], true);
    assert_eq!(list.json["items"][0]["name"], Value::Null);
    let rows = read_csv(
        &reads
            .get(
                &format!("/venues/{venue_a}/sessions/{session_a}/attendance.csv"),
                &at_a,
            )
            .await?
            .text,
    )?;
    assert_eq!(rows[0][1], "(effacé)");
    let agenda = reads
        .get(&format!("/participants/{lea_participant}/agenda.ics"), &ft)
        .await?;
    assert_eq!(agenda.status, StatusCode::OK);
    Ok(())
}

fn read_csv(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    assert_eq!(header, gateway::routes::readers::ATTENDANCE_COLUMNS);
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record?.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

/// A small known week: two sessions (2 and 3 seats), four registrations from two partners, one
/// waiting, one group, one check-in; the statistics say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editions_statistics_match_a_small_known_week() -> anyhow::Result<()> {
    let reads = Desk::start().await?;
    let week = &reads.week;
    let ft = reads.partner_key("ft").await?;
    let ml = reads.partner_key("ml").await?;
    let edition = week.create_edition().await?;
    let (venue, small) = open_session(&reads, edition, 2, 9).await?;
    let (_, large) = open_session(&reads, edition, 3, 14).await?;
    let organiser = reads.key(Role::Organiser(Editions::One(edition))).await?;
    let at_venue = reads.key(Role::Venue(venue)).await?;

    register(&reads, &ft, small, "a", 1, "job_seekers").await?;
    let (group, _, _) = register(&reads, &ml, small, "b", 1, "young_people").await?;
    register(&reads, &ml, small, "c", 1, "young_people").await?; // waits
    let (_, _, seq) = register(&reads, &ml, large, "d", 2, "pupils").await?;
    let checked = reads.check_in(&at_venue, small, &group, 1).await?;
    checked.assert_status(StatusCode::OK);
    let last = checked.json["seq"].as_u64().unwrap_or(seq).max(seq);

    let stats = reads
        .read(
            &format!("/editions/{edition}/statistics?min_seq=REGISTRATION:{last}"),
            &organiser,
        )
        .await?;
    let s = &stats.json;
    assert_eq!(s["time_zone"], "Europe/Paris");
    assert_eq!(s["totals"]["sessions"], 2);
    assert_eq!(s["totals"]["registrations_made"], 4);
    assert_eq!(
        s["totals"]["reached"],
        json!({ "registrations": 3, "people": 4, "present": 1 })
    );
    assert_eq!(s["totals"]["waiting"], 1);
    assert_eq!(s["totals"]["no_shows"], 0);
    assert_eq!(
        s["by_audience"],
        json!({
            "job_seekers": { "registrations": 1, "people": 1, "present": 0 },
            "young_people": { "registrations": 1, "people": 1, "present": 1 },
            "pupils": { "registrations": 1, "people": 2, "present": 0 },
        })
    );
    assert_eq!(
        s["by_partner"],
        json!({
            "ft": { "registrations": 1, "people": 1, "present": 0 },
            "ml": { "registrations": 2, "people": 3, "present": 1 },
        })
    );
    assert_eq!(s["by_theme"]["elderly_autonomy"]["people"], 4);
    assert_eq!(s["by_town"]["Gap"]["people"], 4);
    assert_eq!(s["by_home_town"]["05061"]["people"], 4);
    assert_eq!(s["by_kind"]["open_door"]["people"], 4);
    let sessions = s["sessions"].as_array().cloned().unwrap_or_default();
    let fill: Vec<_> = sessions
        .iter()
        .map(|x| {
            (
                x["session"].clone(),
                x["fill_rate"].clone(),
                x["waiting_seats"].clone(),
            )
        })
        .collect();
    assert_eq!(
        fill,
        vec![
            (json!(small), json!(1.0), json!(1)),
            (json!(large), json!(2.0 / 3.0), json!(0)),
        ]
    );
    // Every registration was made today, in the edition's zone.
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Europe/Paris")?)
        .date();
    assert_eq!(
        s["registrations_per_day"],
        json!([{ "day": today.to_string(), "registrations": 4, "people": 5, "cumulative": 4 }])
    );
    Ok(())
}

/// The hole of issue 16, through HTTP on a real nats-server: an organiser of another edition
/// schedules, in its own event, a session under the id of a session of the demo edition (the
/// public catalogue lists those ids), hoping to read, cancel or demote its registrations. The id
/// is claimed by the demo's event: the command is refused `session-id-taken`, nothing is
/// recorded, and the demo's participant stays unreadable to that organiser (the same `404` as
/// before), whatever else it tries on the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_editions_organiser_cannot_take_a_session_id_to_reach_its_registrations()
-> anyhow::Result<()> {
    let reads = Desk::start().await?;
    let adviser = reads.partner_key("mission-locale-gap").await?;
    let week = &reads.week;
    let demo = week.create_edition().await?;
    let (demo_venue, session) = open_session(&reads, demo, 30, 9).await?;
    let (camille, participant, seq) =
        register(&reads, &adviser, session, "ml-0042", 1, "young_people").await?;
    let caught_up = format!("min_seq=REGISTRATION:{seq}");

    let other = week.create_edition().await?;
    let intruder = reads.key(Role::Organiser(Editions::One(other))).await?;
    let own_venue = week.register_venue(30).await?;
    let unreadable = |answer: &Answer, what: &str| {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{what}: {answer:?}");
        assert!(
            !answer.text.contains("Prénom-ml-0042"),
            "{what} shows nobody's name: {answer:?}"
        );
    };
    let registration_path = format!("/registrations/{camille}?{caught_up}");
    let participant_path = format!("/participants/{participant}?{caught_up}");
    unreadable(&reads.get(&registration_path, &intruder).await?, "before");
    unreadable(&reads.get(&participant_path, &intruder).await?, "before");

    let added = reads
        .post(
            "/events",
            &intruder,
            json!({
                "edition": other,
                "about": {
                    "kind": "open_door",
                    "title": "Portes ouvertes",
                    "themes": ["elderly_autonomy"],
                    "audiences": ["young_people"],
                },
            }),
        )
        .await?;
    added.assert_status(StatusCode::CREATED);
    let event = added.json["event"].as_str().unwrap_or_default().to_owned();
    let before = week.messages_in_log().await;
    for venue in [own_venue, demo_venue] {
        let taken = reads
            .post(
                &format!("/events/{event}/sessions"),
                &intruder,
                schedule_body(
                    session,
                    venue,
                    "2027-04-13T09:00:00",
                    "2027-04-13T10:00:00",
                    30,
                ),
            )
            .await?;
        taken.assert_status(StatusCode::CONFLICT);
        assert_eq!(taken.json["code"], "session-id-taken", "{taken:?}");
        assert!(
            !taken.text.contains(&demo.to_string()),
            "the refusal does not name the other edition: {taken:?}"
        );
    }
    // Nor through the session's own routes: its cancellation belongs to the demo's event, its
    // reserved seats and check-ins to the demo's organisers.
    let cancel = reads
        .post(
            &format!("/events/{event}/sessions/{session}/cancel"),
            &intruder,
            json!({ "reason": "annulée" }),
        )
        .await?;
    assert!(cancel.status.is_client_error(), "{cancel:?}");
    let reserve = reads
        .post(
            &format!("/sessions/{session}/reservations"),
            &intruder,
            json!({
                "beneficiary": { "for": "audience", "audience": "job_seekers" },
                "seats": 5,
                "until": "2027-04-12T10:00:00Z",
            }),
        )
        .await?;
    reserve.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(reserve.json["code"], "unknown-session", "{reserve:?}");
    assert_eq!(week.messages_in_log().await, before, "nothing recorded");

    unreadable(&reads.get(&registration_path, &intruder).await?, "after");
    unreadable(&reads.get(&participant_path, &intruder).await?, "after");
    let session_list = format!("/registrations?session={session}&{caught_up}");
    let listed = reads.get(&session_list, &intruder).await?;
    assert!(
        !listed.text.contains(&camille),
        "the session's list is not the intruder's: {listed:?}"
    );
    let still = reads.read(&registration_path, &adviser).await?;
    assert_eq!(still.json["status"], "confirmed");
    Ok(())
}
