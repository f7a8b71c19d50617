//! Organisers schedule, venues confirm: the scheduling and venue services and the processes
//! between them, against a real nats-server.

use proto::scheduling::event;
use scheduling_domain::event::VenueStatus;
use tests::week::{Week, organiser, tuesday, venue_actor};
use venues::VenuesError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_opens_once_its_venue_confirms_a_capacity() {
    let week = Week::start().await.expect("the week starts");
    let venue = week.register_venue(40).await.expect("venue registered");
    let edition = week.create_edition().await.expect("edition created");
    let open_door = week.add_open_door(edition).await.expect("event added");
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
    let venue = week.register_venue(40).await.expect("venue registered");
    let edition = week.create_edition().await.expect("edition created");
    let open_door = week.add_open_door(edition).await.expect("event added");
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
    let venue = week.register_venue(40).await.expect("venue registered");
    let edition = week.create_edition().await.expect("edition created");
    let open_door = week.add_open_door(edition).await.expect("event added");
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
    let venue = week.register_venue(40).await.expect("venue registered");
    let edition = week.create_edition().await.expect("edition created");
    let open_door = week.add_open_door(edition).await.expect("event added");
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
            jiff::civil::date(2024, 4, 27).at(9, 0, 0, 0),
            jiff::civil::date(2024, 4, 27).at(10, 0, 0, 0),
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
                capacity: 10,
            },
            &eventlog::CommandMeta::new(venue_actor(venue), "confirm-elsewhere"),
        )
        .await
        .expect_err("no such venue");
    assert_eq!(not_registered.code(), "venue-not-registered");

    assert_eq!(week.messages_in_log().await, before, "nothing was appended");
}
