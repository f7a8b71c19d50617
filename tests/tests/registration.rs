//! Partners register participants: seats, waiting lists, agendas, sealed identities, against a
//! real nats-server through the running services and processes.

use futures_util::StreamExt;
use proto::registration::{ParticipantId, ParticipantRef, RegisterRequest};
use proto::taxonomy::Audience;
use registration::identities::Revealed;
use registration_domain::seats::SeatsRefusal;
use tests::week::{Week, partner_id, person, tuesday, venue_actor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_fill_then_wait_in_order_and_a_cancellation_promotes_the_oldest() {
    let (week, _, _, session) = Week::with_session(3, 9, 11).await.expect("open");
    let mut outcomes = Vec::new();
    for n in 1..=5 {
        let outcome = week
            .register(
                "mission-locale-gap",
                &format!("p{n}"),
                session,
                Audience::YoungPeople,
                &format!("k{n}"),
            )
            .await
            .expect("registered");
        outcomes.push(outcome);
    }
    let confirmed: Vec<bool> = outcomes.iter().map(|o| o.confirmed).collect();
    assert_eq!(confirmed, [true, true, true, false, false]);
    let seats = week.registrations.seats(session).await.expect("seats");
    assert_eq!(seats.confirmed_seats(), 3);
    assert_eq!(
        seats.waiting_list(),
        [outcomes[3].registration, outcomes[4].registration]
    );

    // A retry with the same key answers the same registration and records nothing.
    let retry = week
        .register(
            "mission-locale-gap",
            "p1",
            session,
            Audience::YoungPeople,
            "k1",
        )
        .await
        .expect("answered");
    assert!(retry.duplicate);
    assert_eq!(retry.registration, outcomes[0].registration);

    // Another partner cannot cancel it; its own partner can, and the oldest waiting is promoted.
    let not_yours = week
        .registrations
        .cancel(
            &partner_id("france-travail-gap"),
            session,
            outcomes[1].registration,
            "c0",
        )
        .await
        .expect_err("not its registration");
    assert_eq!(not_yours.code(), "not-your-registration");
    // It is told to the partner exactly as a registration that does not exist.
    let unknown = registration::RegistrationError::Seats(SeatsRefusal::UnknownRegistration {
        registration: outcomes[1].registration,
    });
    assert_eq!(not_yours.told(), unknown.told());
    assert_eq!(not_yours.told().code, "unknown-registration");
    week.registrations
        .cancel(
            &partner_id("mission-locale-gap"),
            session,
            outcomes[1].registration,
            "c1",
        )
        .await
        .expect("cancelled");
    let seats = week.registrations.seats(session).await.expect("seats");
    assert_eq!(seats.confirmed_seats(), 3);
    assert_eq!(seats.waiting_list(), [outcomes[4].registration]);
    assert!(
        seats
            .registration(outcomes[3].registration)
            .is_some_and(|r| r.is_confirmed())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lowered_capacity_sends_the_latest_confirmed_back_to_the_head_of_the_list() {
    let (week, venue, _, session) = Week::with_session(3, 9, 11).await.expect("open");
    let mut registrations = Vec::new();
    for n in 1..=4 {
        let outcome = week
            .register(
                "ft",
                &format!("p{n}"),
                session,
                Audience::JobSeekers,
                &format!("k{n}"),
            )
            .await
            .expect("registered");
        registrations.push(outcome.registration);
    }
    let lower = proto::venues::Command::ChangeCapacity {
        session,
        request: 1,
        capacity: 2,
    };
    week.venues
        .venue(
            venue,
            &lower,
            &eventlog::CommandMeta::new(venue_actor(venue), "lower"),
        )
        .await
        .expect("lowered");
    let seats = week
        .wait_for_seats(session, |s| s.capacity == 2)
        .await
        .expect("the seats follow");
    assert_eq!(seats.confirmed_seats(), 2);
    assert_eq!(seats.waiting_list(), [registrations[2], registrations[3]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_is_never_confirmed_in_two_overlapping_sessions_even_at_once() {
    let (week, _, _, morning) = Week::with_session(10, 9, 11).await.expect("open");
    let (_, _, overlapping) = week
        .open_session(10, tuesday(10, 0), tuesday(12, 0))
        .await
        .expect("open");
    let (a, b) = tokio::join!(
        week.register("ft", "lea", morning, Audience::JobSeekers, "a"),
        week.register("ft", "lea", overlapping, Audience::JobSeekers, "b"),
    );
    let outcomes = [a, b];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    let refused = outcomes
        .iter()
        .find_map(|o| o.as_ref().err())
        .expect("one refused");
    assert_eq!(refused.code(), "agenda-overlap");
    // Someone else takes both.
    week.register("ft", "hugo", morning, Audience::JobSeekers, "c")
        .await
        .expect("registered");
    week.register("ft", "noe", overlapping, Audience::JobSeekers, "d")
        .await
        .expect("registered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_seat_and_its_agenda_slot_are_stored_in_one_write() {
    let (week, _, _, session) = Week::with_session(1, 9, 11).await.expect("open");
    let lea = week
        .register("ft", "lea", session, Audience::JobSeekers, "a")
        .await
        .expect("registered");
    assert!(lea.confirmed);
    // The agenda's commit follows the seats' in the same atomic batch, made by the registration
    // itself (not by the agenda process, whose keys are its own).
    let beside = week
        .log
        .read_commit_at(registration::STREAM.name, lea.seq + 1)
        .await
        .expect("the commit after the seats'");
    let agenda = registration::agenda_key(lea.participant);
    let types: Vec<&str> = beside
        .commit
        .events
        .iter()
        .map(|e| {
            assert_eq!(e.envelope.aggregate, agenda.subject());
            assert!(
                e.envelope
                    .idempotency_key
                    .as_deref()
                    .is_some_and(|key| key.ends_with(&format!(":keep:{session}"))),
                "{:?}",
                e.envelope.idempotency_key
            );
            e.event_type.as_str()
        })
        .collect();
    assert_eq!(types, ["AgendaSlotHeld", "AgendaSlotConfirmed"]);
    let slot = week
        .registrations
        .agenda(lea.participant)
        .await
        .expect("agenda");
    assert!(slot.slot(session).is_some_and(|slot| slot.confirmed));

    // A registration that waits keeps no slot.
    let noe = week
        .register("ft", "noe", session, Audience::JobSeekers, "b")
        .await
        .expect("waiting");
    assert!(!noe.confirmed);
    let agenda = week
        .registrations
        .agenda(noe.participant)
        .await
        .expect("agenda");
    assert!(agenda.slot(session).is_none(), "{agenda:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_get_typed_errors_and_append_nothing() {
    let (week, _, _, session) = Week::with_session(10, 9, 11).await.expect("open");
    week.register("ft", "first", session, Audience::JobSeekers, "first")
        .await
        .expect("registered");
    let before = week.messages_in_log().await;

    let unknown = week
        .register(
            "ft",
            "lea",
            proto::values::SessionId::generate(),
            Audience::JobSeekers,
            "u",
        )
        .await
        .expect_err("no such session");
    assert_eq!(unknown.code(), "seats-not-open");
    let twice = week
        .register("ft", "first", session, Audience::JobSeekers, "again")
        .await
        .expect_err("already registered");
    assert_eq!(twice.code(), "already-registered");
    for body in [
        r#"{"session":"not-a-uuid"}"#,
        r#"{"session":"0196f000-0000-7000-8000-000000000001","reference":"léa martin","attendee":{"kind":"person"},"profile":{"audience":"job_seekers","age_band":"from16_to25"},"identity":{"first_name":"Léa","last_name":"Martin"}}"#,
        r#"{"session":"0196f000-0000-7000-8000-000000000001","reference":"lea","attendee":{"kind":"person"},"profile":{"audience":"astronauts","age_band":"from16_to25"},"identity":{"first_name":"Léa","last_name":"Martin"}}"#,
    ] {
        assert!(
            serde_json::from_str::<RegisterRequest>(body).is_err(),
            "{body} was accepted"
        );
    }
    // Nothing was recorded: no seat, no slot (the participant's slot is the first
    // registration's, and stays held).
    let seats = week.registrations.seats(session).await.expect("seats");
    assert_eq!(seats.confirmed_seats(), 1);
    assert_eq!(week.messages_in_log().await, before, "nothing was appended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_kept_for_pupils_refuses_anyone_else() {
    let week = Week::start().await.expect("the week starts");
    let venue = week.register_venue(30).await.expect("venue");
    let edition = week.create_edition().await.expect("edition");
    let kept_for_pupils = proto::scheduling::event::About {
        kind: proto::taxonomy::EventKind::SchoolSession,
        title: proto::values::Name::parse("Théâtre-forum").expect("valid"),
        description: proto::values::Description::default(),
        themes: vec![proto::taxonomy::Theme::SocialAction],
        audiences: vec![Audience::Pupils],
        restricted_to: vec![Audience::Pupils],
        discovery_tools: Vec::new(),
        partners: Vec::new(),
    };
    let event = week
        .add_event(edition, kept_for_pupils)
        .await
        .expect("added");
    let session = week
        .confirmed_session(event, venue, tuesday(9, 0), tuesday(11, 0), 30)
        .await
        .expect("open");
    let adult = week
        .register("ft", "adult", session, Audience::JobSeekers, "a")
        .await
        .expect_err("kept for pupils");
    assert_eq!(adult.code(), "audience-not-allowed");
    week.register("college", "pupil", session, Audience::Pupils, "p")
        .await
        .expect("a pupil registers");

    // The refused request recorded nothing: its key, reused for a session open to all, works
    // (the agenda's steps are keyed by session too).
    let (_, _, open_to_all) = week
        .open_session(10, tuesday(14, 0), tuesday(16, 0))
        .await
        .expect("open");
    let registered = week
        .register("ft", "adult", open_to_all, Audience::JobSeekers, "a")
        .await
        .expect("the same key, another session");
    assert!(registered.confirmed && !registered.duplicate);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_never_stands_in_clear_and_erasure_makes_it_unreadable() {
    let (week, _, _, session) = Week::with_session(10, 9, 11).await.expect("open");
    let registered = week
        .register(
            "mission-locale-gap",
            "lea",
            session,
            Audience::YoungPeople,
            "k",
        )
        .await
        .expect("registered");
    let secrets = ["Prénom-lea", "Nom-lea", "lea@exemple.fr", "06 12 34 56 78"];

    // No stored message of any stream holds them in clear.
    let js = week.log.jetstream();
    let mut names = js.stream_names();
    while let Some(stream) = names.next().await {
        let stream = stream.expect("stream name");
        let handle = js.get_stream(&stream).await.expect("stream");
        let last = week.log.last_sequence(&stream).await.unwrap_or(0);
        for seq in 1..=last {
            let Ok(message) = handle.get_raw_message(seq).await else {
                continue;
            };
            let text = String::from_utf8_lossy(&message.payload);
            for secret in secrets {
                assert!(
                    !text.contains(secret),
                    "{stream} #{seq} holds {secret:?} in clear"
                );
            }
        }
    }

    // The partner's read reveals them while the key exists.
    let seats = week.registrations.seats(session).await.expect("seats");
    let record = seats
        .registration(registered.registration)
        .expect("recorded");
    let participant = ParticipantId::of(
        &partner_id("mission-locale-gap"),
        &ParticipantRef::try_from("lea".to_owned()).expect("valid"),
    );
    assert_eq!(record.participant, participant);
    let sealed = sealed_identity_of(&week, session, registered.registration).await;
    assert_eq!(
        week.registrations
            .identities()
            .reveal(&sealed)
            .await
            .expect("opens"),
        Revealed::Known(person("lea"))
    );

    // Erased: nothing opens it again; the registration still counts.
    week.registrations
        .erase(
            participant,
            proto::registration::participant::ErasureReason::Request,
            &eventlog::CommandMeta::new(tests::week::organiser(), "erase-on-request"),
        )
        .await
        .expect("erased");
    assert_eq!(
        week.registrations
            .identities()
            .reveal(&sealed)
            .await
            .expect("answers"),
        Revealed::Erased
    );
    let seats = week.registrations.seats(session).await.expect("seats");
    assert_eq!(
        seats.confirmed_seats(),
        1,
        "statistics still count the person"
    );
}

/// The sealed identity the log holds for a registration.
async fn sealed_identity_of(
    week: &Week,
    session: proto::values::SessionId,
    registration: proto::registration::RegistrationId,
) -> proto::registration::SealedIdentity {
    use proto::contract::EventContract;
    let key = registration::seats_key(session);
    for recorded in week.log.read_commits(&key, 0).await.expect("reads") {
        for stored in recorded.commit.events {
            if let Ok(
                proto::registration::session::Event::Confirmed(r)
                | proto::registration::session::Event::Waitlisted(r),
            ) = proto::registration::session::Event::decode(
                &stored.event_type,
                stored.version,
                &stored.data,
            ) && r.registration == registration
            {
                return r.identity;
            }
        }
    }
    panic!("no registration {registration} in the log")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_into_an_overlapping_session_is_cancelled_and_the_next_in_line_promoted() {
    let (week, _, _, morning) = Week::with_session(1, 9, 11).await.expect("open");
    let (_, _, overlapping) = week
        .open_session(1, tuesday(10, 0), tuesday(12, 0))
        .await
        .expect("open");
    let hugo = week
        .register("ft", "hugo", overlapping, Audience::JobSeekers, "h")
        .await
        .expect("registered");
    let lea_waits = week
        .register("ft", "lea", overlapping, Audience::JobSeekers, "l1")
        .await
        .expect("waits");
    let noe_waits = week
        .register("ft", "noe", overlapping, Audience::JobSeekers, "n")
        .await
        .expect("waits");
    assert!(hugo.confirmed && !lea_waits.confirmed && !noe_waits.confirmed);
    // Waiting holds nothing: Léa is confirmed in the morning session meanwhile.
    let lea_morning = week
        .register("ft", "lea", morning, Audience::JobSeekers, "l2")
        .await
        .expect("confirmed in the morning");
    assert!(lea_morning.confirmed);

    // Hugo cancels: Léa is promoted, but she is confirmed elsewhere at that time; the agenda
    // process cancels her promotion, and Noé gets the seat.
    week.registrations
        .cancel(&partner_id("ft"), overlapping, hugo.registration, "c")
        .await
        .expect("cancelled");
    let seats = week
        .wait_for_seats(overlapping, |s| {
            s.registration(noe_waits.registration)
                .is_some_and(|r| r.is_confirmed())
        })
        .await
        .expect("Noé is promoted");
    assert_eq!(seats.confirmed_seats(), 1);
    assert!(
        seats
            .registration(lea_waits.registration)
            .is_some_and(|r| !r.is_active()),
        "Léa's overlapping promotion was cancelled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_declared_partner_that_is_not_retired_registers_anyone() {
    use proto::registration::partner::Command;
    let (week, _, _, session) = Week::with_session(10, 9, 11).await.expect("open");
    let request = |reference: &str| RegisterRequest {
        session,
        reference: ParticipantRef::try_from(reference.to_owned()).expect("valid"),
        attendee: proto::registration::Attendee::Person {},
        profile: proto::registration::Profile {
            audience: Audience::JobSeekers,
            age_band: proto::registration::AgeBand::Unknown,
            town: None,
        },
        identity: person(reference),
    };
    let before = week.messages_in_log().await;
    let stranger = week
        .registrations
        .register(&partner_id("inconnu"), request("lea"), "k")
        .await
        .expect_err("not declared");
    assert_eq!(stranger.code(), "partner-not-declared");
    assert_eq!(week.messages_in_log().await, before, "nothing was appended");

    week.declare_partner("ft").await.expect("declared");
    let retire = Command::Retire {
        reason: proto::values::Reason::parse("Agence fermée").expect("valid"),
    };
    week.registrations
        .partner(
            &partner_id("ft"),
            &retire,
            &eventlog::CommandMeta::new(tests::week::organiser(), "retire"),
        )
        .await
        .expect("retired");
    let retired = week
        .registrations
        .register(&partner_id("ft"), request("hugo"), "k")
        .await
        .expect_err("retired");
    assert_eq!(retired.code(), "partner-retired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rescheduled_session_keeps_its_registrations_and_reports_new_overlaps() {
    use proto::contract::EventContract;
    use proto::registration::agenda::Event as AgendaEvent;
    let (week, _, _, morning) = Week::with_session(10, 9, 11).await.expect("open");
    let (_, afternoon_event, afternoon) = week
        .open_session(10, tuesday(14, 0), tuesday(16, 0))
        .await
        .expect("open");
    let lea_morning = week
        .register("ft", "lea", morning, Audience::JobSeekers, "m")
        .await
        .expect("registered");
    let lea_afternoon = week
        .register("ft", "lea", afternoon, Audience::JobSeekers, "a")
        .await
        .expect("registered");
    assert!(lea_morning.confirmed && lea_afternoon.confirmed);

    // The organiser moves the afternoon session onto the morning.
    let reschedule = proto::scheduling::event::Command::RescheduleSession(
        proto::scheduling::event::RescheduleSession {
            session: afternoon,
            starts: tuesday(10, 0),
            ends: tuesday(12, 0),
        },
    );
    week.scheduling
        .event(
            afternoon_event,
            reschedule,
            &eventlog::CommandMeta::new(tests::week::organiser(), "move"),
        )
        .await
        .expect("rescheduled");

    // Her registration is kept; her agenda follows and reports the overlap.
    let participant = lea_afternoon.participant;
    let agenda = registration::agenda_key(participant);
    let mut conflicts = None;
    for _ in 0..400 {
        for recorded in week.log.read_commits(&agenda, 0).await.expect("reads") {
            for stored in recorded.commit.events {
                if let Ok(AgendaEvent::SlotMoved(moved)) =
                    AgendaEvent::decode(&stored.event_type, stored.version, &stored.data)
                {
                    conflicts = Some(moved.conflicts);
                }
            }
        }
        if conflicts.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(conflicts, Some(vec![morning]), "the overlap is reported");
    let seats = week.registrations.seats(afternoon).await.expect("seats");
    assert!(
        seats
            .registration(lea_afternoon.registration)
            .is_some_and(|r| r.is_confirmed()),
        "the registration is kept"
    );
    let slot_starts = week
        .registrations
        .agenda(participant)
        .await
        .expect("agenda")
        .slot(afternoon)
        .map(|slot| slot.starts_at);
    assert_eq!(
        slot_starts,
        seats.facts.as_ref().map(|facts| facts.starts_at),
        "the slot moved with the session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_session_cancels_every_registration_and_takes_no_more() {
    let (week, _, event, session) = Week::with_session(1, 9, 11).await.expect("open");
    let confirmed = week
        .register("ft", "p1", session, Audience::JobSeekers, "a")
        .await
        .expect("registered");
    let waiting = week
        .register(
            "mission-locale-gap",
            "p2",
            session,
            Audience::YoungPeople,
            "b",
        )
        .await
        .expect("registered");
    let seats = week
        .cancel_open_session(event, session, "Intempéries")
        .await
        .expect("cancelled, and the seats follow");
    for registration in [confirmed.registration, waiting.registration] {
        assert!(
            seats
                .registration(registration)
                .is_some_and(|r| !r.is_active())
        );
    }
    let late = week
        .register("ft", "p3", session, Audience::JobSeekers, "c")
        .await
        .expect_err("closed");
    assert_eq!(late.code(), "session-cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_participant_registered_twice_at_once_keeps_one_key_that_opens_both() {
    let (week, _, _, morning) = Week::with_session(10, 9, 10).await.expect("open");
    let (_, _, afternoon) = week
        .open_session(1, tuesday(14, 0), tuesday(15, 0))
        .await
        .expect("open");
    week.register("ft", "hugo", afternoon, Audience::JobSeekers, "full")
        .await
        .expect("registered");
    // Both requests make a key for the new participant while their registrations are decided;
    // one key is stored, and the registration sealed with the other is sealed again before it
    // is stored. (The afternoon's registration waits: it writes nothing in the agenda, so only
    // the key can make it decide again.)
    for round in 0..5 {
        let reference = format!("zoe-{round}");
        let (key_a, key_b) = (format!("a{round}"), format!("b{round}"));
        let (a, b) = tokio::join!(
            week.register("ft", &reference, morning, Audience::JobSeekers, &key_a),
            week.register("ft", &reference, afternoon, Audience::JobSeekers, &key_b),
        );
        for (registered, session) in [(a, morning), (b, afternoon)] {
            let registered = registered.expect("registered");
            let sealed = sealed_identity_of(&week, session, registered.registration).await;
            assert_eq!(
                week.registrations
                    .identities()
                    .reveal(&sealed)
                    .await
                    .expect("opens"),
                Revealed::Known(person(&reference)),
                "round {round}"
            );
        }
    }
}
