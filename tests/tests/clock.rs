//! The clock: a session's end counts its no-shows; a reservation's deadline gives its unused
//! seats to the waiting list.

use eventlog::CommandMeta;
use jiff::{Timestamp, ToSpan};
use processes::clock::{Deadlines, tick};
use projection::Runner;
use proto::registration::{Beneficiary, Reservation};
use proto::taxonomy::Audience;
use tests::week::{Week, organiser, partner_id, venue_actor};

async fn deadlines(week: &Week, dir: &std::path::Path) -> Runner<Deadlines> {
    let mut runner = week.runner(Deadlines, dir).await.expect("opens");
    runner.catch_up().await.expect("catches up");
    runner
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_its_end_a_session_counts_those_never_checked_in_as_no_shows() {
    let (week, venue, _, session) = Week::with_session(10, 9, 11).await.expect("open");
    let came = week
        .register("ft", "came", session, Audience::JobSeekers, "a")
        .await
        .expect("registered");
    let stayed_home = week
        .register("ft", "home", session, Audience::JobSeekers, "b")
        .await
        .expect("registered");
    week.registrations
        .check_in(
            session,
            came.registration,
            1,
            &CommandMeta::new(venue_actor(venue), "door-1"),
        )
        .await
        .expect("checked in");

    let dir = tempfile::tempdir().expect("temp dir");
    let runner = deadlines(&week, dir.path()).await;
    let ends = week
        .registrations
        .seats(session)
        .await
        .expect("seats")
        .facts
        .as_ref()
        .expect("open")
        .ends_at;
    // Before the end nothing is due; after it, the end is sent once, whatever the ticks.
    assert_eq!(
        tick(runner.db(), &week.registrations, ends - 1.minute()).await,
        0
    );
    assert_eq!(
        tick(runner.db(), &week.registrations, ends + 1.minute()).await,
        1
    );
    let seats = week.registrations.seats(session).await.expect("seats");
    assert!(seats.ended);
    tick(runner.db(), &week.registrations, ends + 2.minutes()).await;
    let log = week
        .log
        .read_commits(&registration::seats_key(session), 0)
        .await
        .expect("reads");
    let ended: Vec<_> = log
        .iter()
        .flat_map(|c| &c.commit.events)
        .filter(|e| e.event_type == "SeatsEnded")
        .collect();
    assert_eq!(ended.len(), 1, "ended once");
    assert_eq!(
        ended[0].data["no_shows"],
        serde_json::json!([stayed_home.registration.to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_its_deadline_a_reservation_gives_its_unused_seats_to_the_waiting_list() {
    let (week, _, _, session) = Week::with_session(3, 9, 11).await.expect("open");
    let deadline = Timestamp::now() + 1.hour();
    week.declare_partner("mission-locale-gap")
        .await
        .expect("declared");
    week.registrations
        .reserve(
            session,
            Reservation {
                beneficiary: Beneficiary::Partner {
                    partner: partner_id("mission-locale-gap"),
                },
                seats: 2,
                until: deadline,
            },
            &CommandMeta::new(organiser(), "reserve"),
        )
        .await
        .expect("reserved");
    let first = week
        .register("ft", "p1", session, Audience::JobSeekers, "a")
        .await
        .expect("registered");
    let second = week
        .register("ft", "p2", session, Audience::JobSeekers, "b")
        .await
        .expect("registered");
    assert!(
        first.confirmed && !second.confirmed,
        "two of three seats are kept"
    );
    let young = week
        .register(
            "mission-locale-gap",
            "y1",
            session,
            Audience::YoungPeople,
            "c",
        )
        .await
        .expect("registered");
    assert!(
        young.confirmed,
        "the mission locale uses its reserved seats"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let runner = deadlines(&week, dir.path()).await;
    assert_eq!(
        tick(runner.db(), &week.registrations, deadline - 1.minute()).await,
        0
    );
    tick(runner.db(), &week.registrations, deadline + 1.minute()).await;
    let seats = week.registrations.seats(session).await.expect("seats");
    assert!(
        seats
            .registration(second.registration)
            .is_some_and(|r| r.is_confirmed()),
        "the unused reserved seat went to the waiting list"
    );
    assert_eq!(seats.confirmed_seats(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_falls_due_for_a_cancelled_session() {
    let (week, _, event, session) = Week::with_session(3, 9, 11).await.expect("open");
    let deadline = Timestamp::now() + 1.hour();
    week.registrations
        .reserve(
            session,
            Reservation {
                beneficiary: Beneficiary::Audience {
                    audience: Audience::YoungPeople,
                },
                seats: 2,
                until: deadline,
            },
            &CommandMeta::new(organiser(), "reserve"),
        )
        .await
        .expect("reserved");
    week.cancel_open_session(event, session, "Intempéries")
        .await
        .expect("cancelled, and the seats follow");
    let dir = tempfile::tempdir().expect("temp dir");
    let runner = deadlines(&week, dir.path()).await;
    let long_after = deadline + (24 * 365).hours();
    assert_eq!(
        tick(runner.db(), &week.registrations, long_after).await,
        0,
        "neither its end nor its reservation's deadline is sent"
    );
}
