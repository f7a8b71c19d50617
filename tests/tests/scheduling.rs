//! Organisers schedule, venues confirm: the scheduling and venue services and the processes
//! between them, against a real nats-server.

use proto::scheduling::event;
use scheduling_domain::event::VenueStatus;
use tests::week::{Week, organiser, tuesday, venue_actor};
use venues::VenuesError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opens_once_its_venue_confirms_a_capacity() {
    let week = Week::start().await.expect("the week starts");
    let (venue, _, open_door) = week.open_door(40).await.expect("an open door");
    let session = week
        .schedule_session(open_door, venue, tuesday(9, 30), tuesday(11, 30), 35)
        .await
        .expect("session scheduled");

    let scheduled = week
        .wait_for_session(open_door, session, |s| s.request == 1)
        .await
        .expect("recorded");
    assert!(
        !scheduled.is_open_for_registration(),
        "not open before the venue answers"
    );

    week.wait_for_request(venue, session)
        .await
        .expect("the venue is asked");
    week.confirm(venue, session, 30)
        .await
        .expect("the venue confirms 30");
    let open = week
        .wait_for_session(open_door, session, |s| s.is_open_for_registration())
        .await
        .expect("the session opens");
    assert_eq!(open.capacity(), Some(30));
    assert_eq!(open.venue_status, VenueStatus::Confirmed { capacity: 30 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_overlapping_confirmations_for_one_room_at_once_exactly_one_wins() {
    let week = Week::start().await.expect("the week starts");
    let (venue, _, open_door) = week.open_door(40).await.expect("an open door");
    let morning = week
        .schedule_session(open_door, venue, tuesday(9, 0), tuesday(11, 0), 20)
        .await
        .expect("scheduled");
    let overlapping = week
        .schedule_session(open_door, venue, tuesday(10, 30), tuesday(12, 0), 20)
        .await
        .expect("scheduled");
    week.wait_for_request(venue, morning).await.expect("asked");
    week.wait_for_request(venue, overlapping)
        .await
        .expect("asked");

    let (first, second) = tokio::join!(
        week.confirm(venue, morning, 20),
        week.confirm(venue, overlapping, 20)
    );
    let outcomes = [first, second];
    let won = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(won, 1, "exactly one confirmation succeeds: {outcomes:?}");
    let lost = outcomes
        .iter()
        .find_map(|o| o.as_ref().err())
        .expect("one lost");
    assert!(
        matches!(lost, VenuesError::Refused(r) if r.code() == "room-already-taken"),
        "{lost:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_outside_opening_hours_is_refused_and_the_session_says_why() {
    let week = Week::start().await.expect("the week starts");
    let (venue, _, open_door) = week.open_door(40).await.expect("an open door");
    let evening = week
        .schedule_session(open_door, venue, tuesday(19, 0), tuesday(21, 0), 20)
        .await
        .expect("scheduled");
    let refused = week
        .wait_for_session(open_door, evening, |s| {
            matches!(s.venue_status, VenueStatus::Declined { refused: true, .. })
        })
        .await
        .expect("the refusal reaches the session");
    assert!(!refused.is_open_for_registration());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_commands_get_typed_errors_and_append_nothing() {
    let week = Week::start().await.expect("the week starts");
    let (venue, _, open_door) = week.open_door(40).await.expect("an open door");
    let session = week
        .schedule_session(open_door, venue, tuesday(9, 0), tuesday(11, 0), 20)
        .await
        .expect("scheduled");
    week.wait_for_request(venue, session).await.expect("asked");
    let before = week.messages_in_log().await;

    // Malformed or invalid bodies never become commands: serde refuses them with a reason.
    let bodies = [
        r#"{"command":"schedule_session","session":"not-a-uuid"}"#,
        r#"{"command":"create","name":"","territory":"05","first_day":"2024-04-15","last_day":"2024-04-26","organisers":["dep-05"]}"#,
        r#"{"command":"create","name":"Semaine","territory":"20","first_day":"2024-04-15","last_day":"2024-04-26","organisers":["dep-05"]}"#,
        r#"{"command":"create","name":"Semaine","territory":"05","first_day":"2024-04-15","last_day":"2024-04-26","organisers":["dep-05"],"unknown":1}"#,
        r#"{"command":"launch"}"#,
    ];
    for body in bodies {
        let edition_command = serde_json::from_str::<proto::scheduling::edition::Command>(body);
        let event_command = serde_json::from_str::<event::Command>(body);
        assert!(
            edition_command.is_err() && event_command.is_err(),
            "{body} was accepted"
        );
    }

    // Valid shapes that the rules refuse: a typed refusal with a stable code.
    let too_many = week
        .confirm(venue, session, 41)
        .await
        .expect_err("above the room's maximum");
    assert_eq!(too_many.code(), "capacity-above-room-maximum");
    let outside = week
        .schedule_session(
            open_door,
            venue,
            jiff::civil::date(2027, 4, 24).at(9, 0, 0, 0),
            jiff::civil::date(2027, 4, 24).at(10, 0, 0, 0),
            10,
        )
        .await
        .expect_err("after the edition");
    assert_eq!(outside.code(), "outside-edition");
    let gap = week
        .schedule_session(open_door, venue, tuesday(11, 0), tuesday(10, 0), 10)
        .await
        .expect_err("ends before it starts");
    assert_eq!(gap.code(), "ends-before-it-starts");
    let unknown = week
        .scheduling
        .event(
            proto::values::EventId::generate(),
            event::Command::CancelSession(event::CancelSession {
                session,
                reason: proto::values::Reason::parse("test").expect("valid"),
            }),
            &eventlog::CommandMeta::new(organiser(), "cancel-unknown"),
        )
        .await
        .expect_err("no such event");
    assert_eq!(unknown.code(), "unknown-event");
    let not_registered = week
        .venues
        .venue(
            proto::values::VenueId::generate(),
            &proto::venues::Command::ConfirmCapacity {
                session,
                request: 1,
                capacity: 10,
            },
            &eventlog::CommandMeta::new(venue_actor(venue), "confirm-elsewhere"),
        )
        .await
        .expect_err("no such venue");
    assert_eq!(not_registered.code(), "venue-not-registered");

    assert_eq!(week.messages_in_log().await, before, "nothing was appended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_session_frees_its_room_and_a_lowered_capacity_reaches_the_session() {
    let week = Week::start().await.expect("the week starts");
    let (venue, _, open_door) = week.open_door(40).await.expect("an open door");
    let first = week
        .schedule_session(open_door, venue, tuesday(9, 0), tuesday(11, 0), 30)
        .await
        .expect("scheduled");
    let same_time = week
        .schedule_session(open_door, venue, tuesday(9, 0), tuesday(11, 0), 30)
        .await
        .expect("scheduled");
    week.wait_for_request(venue, first).await.expect("asked");
    week.wait_for_request(venue, same_time)
        .await
        .expect("asked");
    week.confirm(venue, first, 30).await.expect("confirmed");

    // The venue lowers the capacity: the session's registrable capacity follows.
    let lower = proto::venues::Command::ChangeCapacity {
        session: first,
        request: 1,
        capacity: 18,
    };
    week.venues
        .venue(
            venue,
            &lower,
            &eventlog::CommandMeta::new(venue_actor(venue), "lower"),
        )
        .await
        .expect("lowered");
    let lowered = week
        .wait_for_session(open_door, first, |s| s.capacity() == Some(18))
        .await
        .expect("the session follows");
    assert!(lowered.is_open_for_registration());

    // The room is taken at that time until the first session is cancelled.
    let taken = week
        .confirm(venue, same_time, 30)
        .await
        .expect_err("room taken");
    assert_eq!(taken.code(), "room-already-taken");
    week.cancel_session(open_door, first, "intervenant malade")
        .await
        .expect("cancelled");
    for _ in 0..400 {
        let state = week.venues.venue_state(venue).await.expect("venue state");
        let released = state
            .hosting(first)
            .is_some_and(|h| h.status == venues_domain::HostingStatus::Released);
        if released {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    week.confirm(venue, same_time, 30)
        .await
        .expect("the room is free again once the cancellation reached the venue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_moved_to_another_venue_is_asked_there_and_released_at_the_first() {
    let week = Week::start().await.expect("the week starts");
    let first_venue = week.register_venue(40).await.expect("venue registered");
    let (second_venue, _, open_door) = week.open_door(60).await.expect("an open door");
    let session = week
        .schedule_session(open_door, first_venue, tuesday(14, 0), tuesday(16, 0), 30)
        .await
        .expect("scheduled");
    week.wait_for_request(first_venue, session)
        .await
        .expect("asked");
    week.confirm(first_venue, session, 30)
        .await
        .expect("confirmed");
    week.wait_for_session(open_door, session, |s| s.is_open_for_registration())
        .await
        .expect("open");

    let move_it = event::Command::ChangeSessionVenue(event::ChangeSessionVenue {
        session,
        venue: second_venue,
        room: tests::week::room(),
    });
    week.scheduling
        .event(
            open_door,
            move_it,
            &eventlog::CommandMeta::new(organiser(), "move"),
        )
        .await
        .expect("moved");
    let moved = week
        .wait_for_session(open_door, session, |s| s.request == 2)
        .await
        .expect("recorded");
    assert!(
        !moved.is_open_for_registration(),
        "asks the new venue again"
    );
    week.wait_for_request(second_venue, session)
        .await
        .expect("the new venue is asked");

    // A late answer from the first venue is for request 1: the session ignores it.
    week.confirm(second_venue, session, 55)
        .await
        .expect("confirmed there");
    let open = week
        .wait_for_session(open_door, session, |s| s.is_open_for_registration())
        .await
        .expect("open again");
    assert_eq!(open.capacity(), Some(55));
    let first = week.venues.venue_state(first_venue).await.expect("state");
    assert_eq!(
        first.hosting(session).map(|h| h.status.clone()),
        Some(venues_domain::HostingStatus::Released)
    );
}

/// Two events of two editions schedule a session under one id at the same moment, eight times
/// over: each time exactly one holds it, the other is refused `session-id-taken`, and the id's
/// claim names the winner's event and edition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_editions_scheduling_one_session_id_at_once_exactly_one_wins() {
    use proto::scheduling::session::Owner;
    use proto::values::SessionId;

    let week = Week::start().await.expect("the week starts");
    let venue = week.register_venue(40).await.expect("venue registered");
    let mut events = Vec::new();
    for _ in 0..2 {
        let edition = week.create_edition().await.expect("edition created");
        let event = week.add_open_door(edition).await.expect("event added");
        events.push((edition, event));
    }
    for round in 0..8 {
        let session = SessionId::generate();
        let schedule = |event| {
            let command = event::Command::ScheduleSession(event::ScheduleSession {
                session,
                starts: tuesday(9 + round, 0),
                ends: tuesday(9 + round, 30),
                venue,
                room: proto::values::RoomId::parse("salle-polyvalente").expect("a room"),
                capacity_wanted: 10,
            });
            let meta =
                eventlog::CommandMeta::new(organiser(), format!("schedule-{event}-{session}"));
            let scheduling = week.scheduling.clone();
            async move { scheduling.event(event, command, &meta).await }
        };
        let (first, second) = tokio::join!(schedule(events[0].1), schedule(events[1].1));
        let winner = match (&first, &second) {
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => {
                assert_eq!(e.code(), "session-id-taken", "round {round}: {e}");
                if first.is_ok() { events[0] } else { events[1] }
            }
            other => panic!("round {round}: exactly one wins, not {other:?}"),
        };
        let owner = week
            .scheduling
            .session_owner(session)
            .await
            .expect("the claim reads");
        assert_eq!(
            owner,
            Some(Owner {
                edition: winner.0,
                event: winner.1,
            }),
            "round {round}"
        );
    }
}

/// A log written before session ids were claimed may hold a second event's facts under a
/// session's id: here, another edition's event scheduled and cancelled the demo's session S (the
/// commit is written as such a log holds it, bypassing today's claim). The seats of S follow
/// only their own event: S stays open, while the other event's own session, cancelled after it,
/// is cancelled (so the process read past the forged commit).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_events_old_facts_about_a_session_never_reach_its_seats() {
    use eventlog::CommandMeta;
    use proto::contract::EventContract;
    use proto::values::Reason;

    let week = Week::start().await.expect("the week starts");
    let (venue, demo_event, session) = week
        .open_session(20, tuesday(9, 0), tuesday(10, 0))
        .await
        .expect("the demo's session opens");
    let (_, other_event, own) = week
        .open_session(20, tuesday(14, 0), tuesday(15, 0))
        .await
        .expect("the other edition's session opens");

    // The demo's SessionScheduled, as the other event's, then its cancellation.
    let demo_commits = week
        .log
        .read_commits(&scheduling::event_key(demo_event), 0)
        .await
        .expect("the demo's event reads");
    let scheduled = demo_commits
        .iter()
        .flat_map(|c| c.commit.events.iter())
        .find_map(
            |e| match event::Event::decode(&e.event_type, e.version, &e.data) {
                Ok(event::Event::SessionScheduled(s)) if s.session == session => Some(s),
                _ => None,
            },
        )
        .expect("the demo's session was scheduled");
    let forged = [
        event::Event::SessionScheduled(scheduled.clone()),
        event::Event::SessionCancelled(event::SessionCancelled {
            session,
            venue,
            request: scheduled.request,
            reason: Reason::parse("annulée par un autre événement").expect("a reason"),
        }),
    ];
    let key = scheduling::event_key(other_event);
    let meta = CommandMeta::new(organiser(), "an-old-log");
    let commit = meta.commit(&key, &forged).expect("a commit");
    let version = week.log.version(&key).await.expect("the version reads");
    week.log
        .append(&key, version, &commit, "an-old-log")
        .await
        .expect("written as an old log holds it");

    // The other event cancels its own session, after the forged commit.
    week.cancel_open_session(other_event, own, "salle indisponible")
        .await
        .expect("its own session and seats are cancelled");
    let demo = week
        .registrations
        .seats(session)
        .await
        .expect("the seats read");
    assert_eq!(demo.cancelled, None, "the demo's session was not cancelled");
    assert_eq!(demo.capacity, 20);
    let owner = week
        .scheduling
        .session_owner(session)
        .await
        .expect("the claim reads")
        .expect("claimed");
    assert_eq!(owner.event, demo_event);
}

/// A log written before ids were claimed: two events scheduled one session id, neither claimed
/// it. `claim_earlier_session_ids` (run by every `semaine` process before it serves) claims it
/// for the first, names the second as a collision, and remembers how far it went; from then on
/// no event can take the id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ids_of_earlier_sessions_are_claimed_for_the_first_event_before_anything_serves() {
    use eventlog::CommandMeta;
    use proto::scheduling::session::Owner;
    use proto::values::{RoomId, SessionId};

    let week = Week::start().await.expect("the week starts");
    let venue = week.register_venue(40).await.expect("venue registered");
    let mut events = Vec::new();
    for _ in 0..3 {
        let edition = week.create_edition().await.expect("edition created");
        let event = week.add_open_door(edition).await.expect("event added");
        events.push((edition, event));
    }
    // What an old log holds: the same SessionScheduled under two events, without claims.
    let session = SessionId::generate();
    for (n, (_, event)) in events.iter().take(2).enumerate() {
        let scheduled = event::Event::SessionScheduled(event::SessionScheduled {
            session,
            request: 1,
            venue,
            room: RoomId::parse("salle-polyvalente").expect("a room"),
            starts_local: tuesday(9, 0),
            ends_local: tuesday(10, 0),
            time_zone: proto::values::TimeZoneName::paris(),
            starts_at: jiff::Timestamp::from_second(1_807_686_000).expect("an instant"),
            ends_at: jiff::Timestamp::from_second(1_807_689_600).expect("an instant"),
            capacity_wanted: 10,
        });
        let key = scheduling::event_key(*event);
        let meta = CommandMeta::new(organiser(), format!("old-{n}"));
        let commit = meta.commit(&key, &[scheduled]).expect("a commit");
        let version = week.log.version(&key).await.expect("a version");
        week.log
            .append(&key, version, &commit, &format!("old-{n}"))
            .await
            .expect("written as an old log holds it");
    }
    assert_eq!(
        week.scheduling.session_owner(session).await.expect("reads"),
        None
    );

    let claims = week
        .scheduling
        .claim_earlier_session_ids(1)
        .await
        .expect("claimed");
    assert!(claims.claimed >= 1, "{claims:?}");
    assert_eq!(
        claims.collisions,
        vec![(session, events[1].1)],
        "{claims:?}"
    );
    let owner = Some(Owner {
        edition: events[0].0,
        event: events[0].1,
    });
    assert_eq!(
        week.scheduling.session_owner(session).await.expect("reads"),
        owner
    );

    // Nobody takes it now; and a second run goes on from where the first stopped.
    let taken = week
        .scheduling
        .event(
            events[2].1,
            event::Command::ScheduleSession(event::ScheduleSession {
                session,
                starts: tuesday(11, 0),
                ends: tuesday(12, 0),
                venue,
                room: RoomId::parse("salle-polyvalente").expect("a room"),
                capacity_wanted: 10,
            }),
            &CommandMeta::new(organiser(), "take-it"),
        )
        .await
        .expect_err("refused");
    assert_eq!(taken.code(), "session-id-taken");
    let again = week
        .scheduling
        .claim_earlier_session_ids(1)
        .await
        .expect("runs again");
    assert_eq!(
        again,
        scheduling::EarlierClaims::default(),
        "nothing left to claim"
    );
}
