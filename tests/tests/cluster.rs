//! The registration rush on a three-node JetStream cluster (streams with three replicas), with
//! the leader of the `REGISTRATION` stream SIGKILLed in the middle.
//!
//! Partners' front-ends send each registration until it gets a decision, again with the same
//! idempotency key after a failure (`Unavailable`, `Contended`: what the election looks like
//! from outside), as real partners do after a timeout. Afterwards every registration that got an
//! answer exists exactly once, no session is over capacity, the waiting lists are in log order,
//! and the killed node, restarted, catches up with the stream's last sequence.

use eventlog::LogFailure;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use proto::taxonomy::Audience;
use proto::values::SessionId;
use registration::{Registered, RegistrationError};
use tests::TestCluster;
use tests::week::{Week, tuesday};

const PARTNERS: usize = 5;
const SESSIONS: usize = 4;
const SEATS: u32 = 50;
const PEOPLE: usize = 400;

/// How long a front-end keeps retrying one registration before it gives up (an election takes
/// a few seconds; this is far more).
const GIVE_UP_AFTER: Duration = Duration::from_secs(45);

/// What the front-ends saw: failures that were retried, by kind.
#[derive(Default)]
struct Failures {
    unavailable: AtomicUsize,
    contended: AtomicUsize,
    key_store: AtomicUsize,
    /// Failures that are not a typed unavailability: there must be none.
    log_failed: AtomicUsize,
    /// The codes and messages of the failures, once each, to show what the election looked like.
    seen: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// A partner's front-end: sends the request, and again with the same key while the answer is
/// not a decision.
async fn register_until_answered(
    week: &Week<TestCluster>,
    failures: &Failures,
    partner: &str,
    reference: &str,
    session: SessionId,
    key: &str,
) -> Result<Registered, RegistrationError> {
    let started = Instant::now();
    loop {
        let outcome = week
            .register(partner, reference, session, Audience::JobSeekers, key)
            .await;
        let failure = match outcome {
            Ok(registered) => return Ok(registered),
            Err(RegistrationError::Log(LogFailure::Unavailable(_))) => &failures.unavailable,
            Err(RegistrationError::Log(LogFailure::Contended { .. })) => &failures.contended,
            // The participants' key bucket is replicated too: its leader may be the dead node.
            Err(RegistrationError::Identity(_)) => &failures.key_store,
            Err(RegistrationError::Log(_)) => &failures.log_failed,
            Err(refused) => return Err(refused),
        };
        failure.fetch_add(1, Ordering::SeqCst);
        if let (Err(e), Ok(mut seen)) = (&outcome, failures.seen.lock()) {
            seen.insert(format!("{}: {e}", e.code()));
        }
        if started.elapsed() > GIVE_UP_AFTER {
            return outcome;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_stream_leader_during_a_rush_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let started = Instant::now();
    let cluster = TestCluster::start().await?;
    let week = Arc::new(Week::start_on(cluster).await?);
    let mut sessions = Vec::new();
    for n in 0..SESSIONS {
        let hour = 9 + i8::try_from(n).unwrap_or(0);
        let (_, _, session) = week
            .open_session(SEATS, tuesday(hour, 0), tuesday(hour + 1, 0))
            .await?;
        sessions.push(session);
    }
    let client = week.nats.connect().await?;

    let answered = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Failures::default());
    let rush = futures_util::stream::iter(0..PEOPLE)
        .map(|n| {
            let week = week.clone();
            let answered = answered.clone();
            let failures = failures.clone();
            let session = sessions[n % SESSIONS];
            async move {
                let partner = format!("partner-{}", n % PARTNERS);
                let outcome = register_until_answered(
                    &week,
                    &failures,
                    &partner,
                    &format!("p{n}"),
                    session,
                    &format!("rush-{n}"),
                )
                .await;
                answered.fetch_add(1, Ordering::SeqCst);
                (n, outcome)
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>();
    let killer = {
        let week = week.clone();
        let answered = answered.clone();
        let client = client.clone();
        async move {
            while answered.load(Ordering::SeqCst) < PEOPLE / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let leader = loop {
                if let Some(leader) = week
                    .nats
                    .stream_leader(&client, registration::STREAM.name)
                    .await
                {
                    break leader;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            week.nats.kill(leader).await;
            (leader, answered.load(Ordering::SeqCst))
        }
    };
    let (outcomes, (killed, answered_at_kill)) = tokio::join!(rush, killer);
    assert!(answered_at_kill < PEOPLE, "the kill landed during the rush");

    // Every request got a decision.
    let mut by_person: BTreeMap<usize, Registered> = BTreeMap::new();
    for (n, outcome) in outcomes {
        let registered = outcome.unwrap_or_else(|e| panic!("participant {n} got no decision: {e}"));
        by_person.insert(n, registered);
    }
    assert_eq!(by_person.len(), PEOPLE);
    assert_eq!(
        failures.log_failed.load(Ordering::SeqCst),
        0,
        "a failure during the election was not a typed unavailability"
    );

    // A new leader was elected, on another node.
    let new_leader = eventually_some(|| async {
        week.nats
            .stream_leader(&client, registration::STREAM.name)
            .await
    })
    .await?;
    assert_ne!(new_leader, killed, "the dead node still leads");

    // The seats: exactly the answered registrations, once each, none over capacity, the
    // waiting list in the order the log recorded it.
    let mut confirmed = 0;
    for (index, session) in sessions.iter().enumerate() {
        let answered: Vec<(usize, &Registered)> = by_person
            .iter()
            .filter(|(n, _)| *n % SESSIONS == index)
            .map(|(n, registered)| (*n, registered))
            .collect();
        let seats = week
            .assert_rush_recorded(index, *session, SEATS, &answered)
            .await?;
        confirmed += seats.confirmed_seats();
    }
    assert_eq!(confirmed, SEATS * SESSIONS as u32);

    // The killed node comes back and catches up with the stream.
    let restarted = Instant::now();
    week.nats.restart(killed).await?;
    let last = week.log.last_sequence(registration::STREAM.name).await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let held = week
            .nats
            .node_last_sequence(killed, registration::STREAM.name)
            .await;
        if held == Some(last) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node n{killed} holds {held:?} of REGISTRATION, the stream is at {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    if let Ok(seen) = failures.seen.lock() {
        for failure in seen.iter() {
            println!("seen and retried: {failure}");
        }
    }
    println!(
        "cluster leader kill: {PEOPLE} registrations, the leader n{killed} of REGISTRATION \
         SIGKILLed after {answered_at_kill} answers; retried after a failure: {} log unavailable, \
         {} key store unavailable, {} contended; lost 0, duplicated 0, over capacity 0; the restarted node caught up \
         to #{last} in {:.1} s; whole test {:.1} s",
        failures.unavailable.load(Ordering::SeqCst),
        failures.key_store.load(Ordering::SeqCst),
        failures.contended.load(Ordering::SeqCst),
        restarted.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64(),
    );
    Ok(())
}

/// Asks `look` every 100 ms for at most 30 seconds until it finds something.
async fn eventually_some<T, F, Fut>(look: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(found) = look().await {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("gave up waiting")
}
