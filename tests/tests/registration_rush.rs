//! The registration rush with a crash: 2,000 participants from 10 partners into 10 sessions of
//! 100 seats, every request sent twice with the same idempotency key, nats-server SIGKILLed and
//! restarted in the middle.

use eventlog::LogFailure;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use proto::taxonomy::Audience;
use registration::{Registered, RegistrationError};
use tests::week::{Week, tuesday};

const PARTNERS: usize = 10;
const SESSIONS: usize = 10;
const SEATS: u32 = 100;
const PEOPLE: usize = 2_000;

/// A partner's front-end: sends the request, and sends it again with the same key while the
/// answer is not a decision (unavailable, contended), as a client whose call timed out would.
async fn register_until_answered(
    week: &Week,
    partner: &str,
    reference: &str,
    session: proto::values::SessionId,
    key: &str,
) -> Result<Registered, RegistrationError> {
    let mut last = None;
    for _ in 0..200 {
        match week
            .register(partner, reference, session, Audience::JobSeekers, key)
            .await
        {
            Ok(registered) => return Ok(registered),
            Err(e @ (RegistrationError::Log(_) | RegistrationError::Identity(_))) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(refused) => return Err(refused),
        }
    }
    Err(
        last.unwrap_or(RegistrationError::Log(LogFailure::Contended {
            attempts: 200,
        })),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rush_across_a_nats_server_kill_loses_nothing_and_doubles_nothing() {
    let week = Arc::new(Week::start().await.expect("the week starts"));
    let mut sessions = Vec::new();
    for n in 0..SESSIONS {
        let hour = 8 + i8::try_from(n % 8).expect("small");
        let (_, _, session) = week
            .open_session(SEATS, tuesday(hour, 0), tuesday(hour + 1, 0))
            .await
            .expect("open");
        sessions.push(session);
    }

    // Every participant sent twice, concurrently, 64 requests in flight.
    let answered = Arc::new(AtomicUsize::new(0));
    let requests = (0..PEOPLE).flat_map(|n| [(n, 0), (n, 1)]);
    let rush = futures_util::stream::iter(requests)
        .map(|(n, copy)| {
            let week = week.clone();
            let answered = answered.clone();
            let session = sessions[n % SESSIONS];
            async move {
                let partner = format!("partner-{}", n % PARTNERS);
                let reference = format!("p{n}");
                let key = format!("rush-{n}");
                let outcome =
                    register_until_answered(&week, &partner, &reference, session, &key).await;
                answered.fetch_add(1, Ordering::SeqCst);
                (n, copy, session, outcome)
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>();
    let killer = {
        let week = week.clone();
        let answered = answered.clone();
        async move {
            while answered.load(Ordering::SeqCst) < PEOPLE * 2 / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            week.nats.kill().await;
            let at_kill = answered.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            week.nats.restart().await.expect("restarts on its store");
            at_kill
        }
    };
    let (outcomes, answered_at_kill) = tokio::join!(rush, killer);
    assert!(
        answered_at_kill < PEOPLE * 2,
        "the kill landed during the rush"
    );

    // Every request got a decision; both copies of a request got the same one.
    let mut by_person: BTreeMap<usize, Vec<Registered>> = BTreeMap::new();
    for (n, _copy, _session, outcome) in outcomes {
        let registered = outcome.unwrap_or_else(|e| panic!("participant {n} got no decision: {e}"));
        by_person.entry(n).or_default().push(registered);
    }
    assert_eq!(by_person.len(), PEOPLE);
    for (n, answers) in &by_person {
        assert_eq!(answers.len(), 2);
        assert_eq!(
            (answers[0].registration, answers[0].confirmed),
            (answers[1].registration, answers[1].confirmed),
            "participant {n} got two different answers"
        );
    }

    // The seats: exactly the answered registrations, once each, none over capacity, the
    // waiting list in the order the log recorded it.
    let mut confirmed = 0;
    for (index, session) in sessions.iter().enumerate() {
        let answered: Vec<(usize, &Registered)> = by_person
            .iter()
            .filter(|(n, _)| *n % SESSIONS == index)
            .map(|(n, answers)| (*n, &answers[0]))
            .collect();
        let seats = week
            .assert_rush_recorded(index, *session, SEATS, &answered)
            .await
            .expect("seats");
        confirmed += seats.confirmed_seats();
        assert_eq!(
            seats.waiting_list().len() as u32 + seats.confirmed_seats(),
            200
        );
    }
    assert_eq!(confirmed, 1_000);
}
