//! The event log against a real nats-server: concurrency, idempotency, crashes, snapshots.

use std::sync::Arc;
use std::time::Duration;

use eventlog::{
    AggregateKey, AppendError, Appended, CommandError, CommandMeta, Decided, EventLog, LogFailure,
};
use proto::Actor;
use tests::workshop::{Workshop, WorkshopCommand, WorkshopEvent, WorkshopRefusal, workshop};
use tests::{TestNats, WORKSHOPS, log_config};

fn organiser() -> Actor {
    Actor::Organiser {
        id: "dep-05".into(),
    }
}

fn opened(seats: u32) -> Vec<WorkshopEvent> {
    vec![WorkshopEvent::Opened { seats }]
}

async fn messages_in(log: &EventLog, stream: &str) -> u64 {
    log.last_sequence(stream).await.expect("stream info")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_writers_at_the_same_version_one_wins() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = Arc::new(nats.open_log(log_config()).await.expect("log opens"));
    let key = workshop("escape-game-gap");
    let mut writers = Vec::new();
    for n in 0..50 {
        let (log, key) = (log.clone(), key.clone());
        writers.push(tokio::spawn(async move {
            let meta = CommandMeta::new(organiser(), format!("writer-{n}"));
            let commit = meta.commit(&key, &opened(n)).expect("encodes");
            log.append(&key, 0, &commit, &meta.idempotency_key).await
        }));
    }
    let (mut stored, mut conflicts) = (0, 0);
    for writer in writers {
        match writer.await.expect("task") {
            Ok(Appended::Stored { .. }) => stored += 1,
            Err(AppendError::Conflict { expected: 0 }) => conflicts += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!((stored, conflicts), (1, 49));
    assert_eq!(
        messages_in(&log, WORKSHOPS.name).await,
        1,
        "the stream holds one event"
    );
    assert_eq!(log.read_commits(&key, 0).await.expect("reads").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_is_stored_once_even_across_a_reconnect() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let key = workshop("job-dating-embrun");
    let meta = CommandMeta::new(organiser(), "partner-7:req-42");

    let first_log = nats.open_log(log_config()).await.expect("log opens");
    let commit = meta.commit(&key, &opened(30)).expect("encodes");
    let first = first_log
        .append(&key, 0, &commit, &meta.idempotency_key)
        .await
        .expect("stored");
    assert!(matches!(first, Appended::Stored { .. }));
    drop(first_log);

    // A new connection, as after a client restart: the retry carries the same key.
    let second_log = nats.open_log(log_config()).await.expect("log reopens");
    let again = second_log
        .append(&key, 0, &commit, &meta.idempotency_key)
        .await
        .expect("answered");
    assert_eq!(again, Appended::Duplicate { seq: first.seq() });
    assert_eq!(
        messages_in(&second_log, WORKSHOPS.name).await,
        1,
        "one event stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_command_gets_the_original_answer_from_the_history() {
    let nats = TestNats::start().await.expect("nats-server starts");
    // A duplicate window of one second: past it, only the aggregate's history recognises a retry.
    let mut config = log_config();
    config.duplicate_window = Duration::from_secs(1);
    let log = nats.open_log(config).await.expect("log opens");
    let key = workshop("portes-ouvertes-ehpad-veynes");
    open_workshop(&log, &key, 2).await;

    let first = seat_for_lea(&log, &key).await.expect("seat taken");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let retry = seat_for_lea(&log, &key).await.expect("answered");
    assert!(retry.duplicate && !first.duplicate);
    assert_eq!((retry.seq, &retry.events), (first.seq, &first.events));
    let seats_taken = log
        .load::<Workshop>(&key)
        .await
        .expect("loads")
        .state
        .participants;
    assert_eq!(seats_taken, vec!["lea".to_owned()], "one seat, not two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_never_take_more_seats_than_there_are() {
    let (_nats, log, key) = shared_workshop("atelier-petite-enfance", 10).await;
    let (mut taken, mut full) = (0, 0);
    for (_, outcome) in rush(&log, &key, "ft", 0..30).await {
        match outcome {
            Ok(decided) => {
                assert_eq!(decided.events.len(), 1);
                taken += 1;
            }
            Err(CommandError::Refused(WorkshopRefusal::Full)) => full += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((taken, full), (10, 20));
    let state = log.load::<Workshop>(&key).await.expect("loads").state;
    assert_eq!(state.participants.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_waiting_on_one_aggregate_share_a_commit_and_keep_their_own_outcomes() {
    let (_nats, log, key) = shared_workshop("job-dating-embrun", 100).await;
    let before = messages_in(&log, WORKSHOPS.name).await;
    // 300 partners' requests at once, the first 20 of them sent twice (a client retrying).
    let mut answers: std::collections::BTreeMap<u32, Vec<_>> = Default::default();
    for (n, answer) in rush(&log, &key, "ml", (0..300).chain(0..20)).await {
        answers.entry(n).or_default().push(answer);
    }
    let (mut taken, mut full) = (0, 0);
    for (n, answers) in &answers {
        let mut firsts = 0;
        for answer in answers {
            match answer {
                Ok(decided) => {
                    assert_eq!(decided.events.len(), 1, "p{n}");
                    firsts += usize::from(!decided.duplicate);
                    // The commit at the answer's sequence holds this command's event.
                    let recorded = log
                        .read_commit_at(WORKSHOPS.name, decided.seq)
                        .await
                        .expect("reads");
                    let key = format!("ml:{n}");
                    assert!(
                        recorded.commit.events.iter().any(|e| e
                            .envelope
                            .idempotency_key
                            .as_deref()
                            == Some(key.as_str())),
                        "p{n}'s seat is in the commit its answer names"
                    );
                }
                Err(CommandError::Refused(WorkshopRefusal::Full)) => full += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        if answers.iter().any(Result::is_ok) {
            assert_eq!(
                firsts, 1,
                "p{n}: one original answer, the retry a duplicate"
            );
            assert!(
                answers.iter().all(Result::is_ok),
                "p{n}: the same answer twice"
            );
            let seqs: Vec<u64> = answers.iter().flatten().map(|d| d.seq).collect();
            assert!(seqs.windows(2).all(|w| w[0] == w[1]), "p{n}: {seqs:?}");
            taken += 1;
        }
    }
    assert_eq!(taken, 100, "every seat taken once");
    assert_eq!(
        full,
        320 - answers
            .values()
            .filter(|a| a[0].is_ok())
            .map(Vec::len)
            .sum::<usize>()
    );
    let state = log.load::<Workshop>(&key).await.expect("loads").state;
    assert_eq!(state.participants.len(), 100);
    let commits = messages_in(&log, WORKSHOPS.name).await - before;
    assert!(
        commits < 100,
        "100 seats taken in {commits} commits: waiting commands are decided together"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_of_many_aggregates_waiting_together_share_a_write() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = Arc::new(nats.open_log(log_config()).await.expect("log opens"));
    let mut tasks = Vec::new();
    for n in 0..200u32 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let key = workshop(&format!("atelier-{n}"));
            let meta = CommandMeta::new(organiser(), format!("open-{n}"));
            let decided = log
                .execute::<Workshop>(&key, &WorkshopCommand::Open { seats: n + 1 }, &meta)
                .await;
            (key, n, decided)
        }));
    }
    for task in tasks {
        let (key, n, decided) = task.await.expect("task");
        let decided = decided.expect("opens");
        // The sequence each answer names is its own commit, in its own aggregate.
        let recorded = log
            .read_commit_at(WORKSHOPS.name, decided.seq)
            .await
            .expect("reads");
        assert_eq!(recorded.commit.events[0].envelope.aggregate, key.subject());
        let state = log.load::<Workshop>(&key).await.expect("loads").state;
        assert_eq!(state.seats, Some(n + 1));
    }
    let counts = log.write_counts();
    assert_eq!(counts.messages, 200);
    assert!(
        counts.writes < 200,
        "200 commits of 200 aggregates in {} writes: commits waiting together share one",
        counts.writes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_aggregate_loads_from_its_snapshot() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let mut config = log_config();
    config.snapshot_every = 10;
    let log = nats.open_log(config).await.expect("log opens");
    let key = workshop("forum-emploi-gap");
    open_workshop(&log, &key, 5_000).await;
    // 5,000 registrations, 100 per commit (a group commit's shape).
    for batch in 0..50 {
        let participants = (0..100).map(|n| format!("p{batch}-{n}")).collect();
        let meta = CommandMeta::new(organiser(), format!("batch-{batch}"));
        log.execute::<Workshop>(&key, &WorkshopCommand::TakeSeats { participants }, &meta)
            .await
            .expect("seats taken");
    }
    // Snapshots are written in the background; wait until the last one is there.
    // A log opened afresh (as another instance would) has nothing in memory: it loads from the
    // snapshot.
    let mut fresh_config = log_config();
    fresh_config.snapshot_every = 10;
    let fresh = nats.open_log(fresh_config).await.expect("log opens");
    let mut loaded = fresh.load::<Workshop>(&key).await.expect("loads");
    for _ in 0..100 {
        if loaded.commits_since_snapshot < 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = nats.open_log(log_config()).await.expect("log opens");
        loaded = again.load::<Workshop>(&key).await.expect("loads");
    }
    assert!(
        loaded.commits_since_snapshot < 10,
        "loaded {} commits after the snapshot",
        loaded.commits_since_snapshot
    );
    assert_eq!(loaded.state.participants.len(), 5_000);
    assert_eq!(
        loaded.idempotency.len(),
        51,
        "every command's key survives the snapshot"
    );
    let full = log
        .execute::<Workshop>(
            &key,
            &WorkshopCommand::TakeSeat {
                participant: "late".into(),
            },
            &CommandMeta::new(organiser(), "late"),
        )
        .await;
    assert!(matches!(
        full,
        Err(CommandError::Refused(WorkshopRefusal::Full))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_appends_survive_a_nats_server_kill() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let mut config = log_config();
    config.ack_timeout = Duration::from_millis(500);
    config.publish_attempts = 2;
    let log = Arc::new(nats.open_log(config).await.expect("log opens"));

    let acked_so_far = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut appends = Vec::new();
    for n in 0..1_000u32 {
        let (log, acked_so_far) = (log.clone(), acked_so_far.clone());
        appends.push(tokio::spawn(async move {
            let key = workshop(&format!("w{}", n % 100));
            let meta = CommandMeta::new(organiser(), format!("append-{n}"));
            let commit = meta.commit(&key, &opened(n)).expect("encodes");
            // Each aggregate takes its appends in any order: decide at whatever version it is.
            for _ in 0..20 {
                let version = match log.version(&key).await {
                    Ok(v) => v,
                    Err(_) => return (n, None),
                };
                match log
                    .append(&key, version, &commit, &meta.idempotency_key)
                    .await
                {
                    Ok(appended) => {
                        acked_so_far.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        return (n, Some(appended.seq()));
                    }
                    Err(AppendError::Conflict { .. }) => continue,
                    Err(_) => return (n, None),
                }
            }
            (n, None)
        }));
    }
    // Kill the server once a fifth of the appends are acknowledged: the rest are in flight.
    while acked_so_far.load(std::sync::atomic::Ordering::SeqCst) < 200 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    nats.kill().await;
    let acked_at_kill = acked_so_far.load(std::sync::atomic::Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    nats.restart().await.expect("restarts on the same store");

    let mut acknowledged = Vec::new();
    for append in appends {
        if let (n, Some(seq)) = append.await.expect("task") {
            acknowledged.push((n, seq));
        }
    }
    assert!(
        acked_at_kill < 1_000,
        "the kill landed while appends were in flight"
    );
    let reader = nats.open_log(log_config()).await.expect("log reopens");
    let mut seen = std::collections::HashMap::new();
    for w in 0..100 {
        for recorded in reader
            .read_commits(&workshop(&format!("w{w}")), 0)
            .await
            .expect("reads")
        {
            for event in recorded.commit.events {
                let key = event.envelope.idempotency_key.expect("keyed");
                *seen.entry(key).or_insert(0) += 1;
            }
        }
    }
    for (n, _) in &acknowledged {
        assert_eq!(
            seen.get(&format!("append-{n}")),
            Some(&1),
            "append {n} acknowledged but stored {:?} times",
            seen.get(&format!("append-{n}"))
        );
    }
    assert!(
        seen.values().all(|&count| count == 1),
        "nothing is stored twice"
    );
    println!(
        "{acked_at_kill} appends acknowledged before the kill, {} of 1000 in all",
        acknowledged.len()
    );
}

/// JetStream checks `Nats-Expected-Last-Subject-Sequence` before `Nats-Msg-Id`: a retried append
/// comes back as a wrong-sequence error, not a duplicate. `EventLog::append` reads back to tell
/// the two apart; this pins the server behaviour it relies on (docs/architecture.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_checks_the_expected_sequence_before_the_message_id() {
    use async_nats::jetstream::context::PublishErrorKind;
    use async_nats::jetstream::message::PublishMessage;
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = nats.open_log(log_config()).await.expect("log opens");
    let publish = || {
        PublishMessage::build()
            .payload("x".into())
            .message_id("same-id")
            .expected_last_subject_sequence(0)
    };
    let js = log.jetstream();
    let first = js
        .send_publish("test.raw.1", publish())
        .await
        .expect("sent")
        .await;
    assert!(matches!(first, Ok(ref ack) if !ack.duplicate));
    let retry = js
        .send_publish("test.raw.1", publish())
        .await
        .expect("sent")
        .await;
    match retry {
        Err(e) => assert_eq!(e.kind(), PublishErrorKind::WrongLastSequence),
        Ok(ack) => panic!(
            "the server now de-duplicates first (duplicate: {}); simplify EventLog::append",
            ack.duplicate
        ),
    }
}

/// Two instances of a service, each with the aggregates it last used in memory: a stale copy
/// costs a catch-up, never a wrong decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_with_a_stale_copy_in_memory_still_decides_on_the_latest_state() {
    let (_nats, first, second) = two_instances().await;
    let key = workshop("atelier-escape-game");
    open_workshop(&first, &key, 2).await;
    let take = |who: &str| WorkshopCommand::TakeSeat {
        participant: who.into(),
    };
    // The first instance keeps the workshop in memory; the second takes a seat behind its back.
    first
        .execute::<Workshop>(&key, &take("lea"), &CommandMeta::new(organiser(), "lea"))
        .await
        .expect("seat taken");
    second
        .execute::<Workshop>(&key, &take("hugo"), &CommandMeta::new(organiser(), "hugo"))
        .await
        .expect("seat taken");
    // The workshop is full: the first instance's copy is stale, and it must see that.
    let refused = first
        .execute::<Workshop>(&key, &take("noe"), &CommandMeta::new(organiser(), "noe"))
        .await;
    assert!(matches!(
        refused,
        Err(CommandError::Refused(WorkshopRefusal::Full))
    ));
    let state = first.load::<Workshop>(&key).await.expect("loads").state;
    assert_eq!(state.participants, ["lea", "hugo"]);
}

/// A retry reaching an instance whose copy in memory predates the original: its decision on the
/// stale copy is refused by the expected sequence, and the commit the log then finds is the
/// original's, not its own (a commit is named by its own first event, never by the command's
/// key), so it decides again on the latest state and answers the original outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_on_an_instance_with_a_stale_copy_gets_the_original_answer() {
    let (_nats, first, second) = two_instances().await;
    let key = workshop("atelier-aide-a-domicile");
    // The second instance opens the workshop and keeps it in memory.
    open_workshop(&second, &key, 5).await;
    let original = seat_for_lea(&first, &key).await.expect("seat taken");
    // The same request again, through the instance that has not seen it.
    let retry = seat_for_lea(&second, &key).await.expect("answered");
    assert!(retry.duplicate, "{retry:?}");
    assert_eq!((retry.seq, &retry.events), (original.seq, &original.events));
    assert_eq!(
        messages_in(&second, WORKSHOPS.name).await,
        2,
        "opened, and one seat taken"
    );
    let state = second.load::<Workshop>(&key).await.expect("loads").state;
    assert_eq!(state.participants, ["lea"]);
}

/// The mission locale asks `log` for a seat for Léa in the workshop at `key`, always under the
/// same idempotency key (asking again is a retry): what was answered.
async fn seat_for_lea(log: &EventLog, key: &AggregateKey) -> Answer {
    let partner = Actor::Partner {
        id: "mission-locale-gap".into(),
    };
    let command = WorkshopCommand::TakeSeat {
        participant: "lea".into(),
    };
    let take = CommandMeta::new(partner, "mission-locale-gap:lea");
    log.execute::<Workshop>(key, &command, &take).await
}

/// Asserts that `outcome` is the log's `Contended` failure (a write another beat).
#[track_caller]
fn assert_contended<T: std::fmt::Debug>(outcome: &Result<T, CommandError<WorkshopRefusal>>) {
    assert!(
        matches!(
            outcome,
            Err(CommandError::Failed(LogFailure::Contended { .. }))
        ),
        "{outcome:?}"
    );
}

/// A nats-server, a log that many tasks share, and the workshop `id` opened with `seats`.
async fn shared_workshop(id: &str, seats: u32) -> (TestNats, Arc<EventLog>, AggregateKey) {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = Arc::new(nats.open_log(log_config()).await.expect("log opens"));
    let key = workshop(id);
    open_workshop(&log, &key, seats).await;
    (nats, log, key)
}

/// What a partner's requests answered, each request's number with its answer.
type Answers = Vec<(u32, Answer)>;

/// What the log answers a workshop's command.
type Answer = Result<Decided<WorkshopEvent>, CommandError<WorkshopRefusal>>;

/// `partner` asks at once a seat in the workshop at `key` for each person `p{n}` of `people`
/// (a number twice is a client retrying), each under the key `{partner}:{n}`: the answers.
async fn rush(
    log: &Arc<EventLog>,
    key: &AggregateKey,
    partner: &str,
    people: impl IntoIterator<Item = u32>,
) -> Answers {
    let mut tasks = Vec::new();
    for n in people {
        let (log, key) = (log.clone(), key.clone());
        let meta = CommandMeta::new(
            Actor::Partner { id: partner.into() },
            format!("{partner}:{n}"),
        );
        tasks.push(tokio::spawn(async move {
            let command = WorkshopCommand::TakeSeat {
                participant: format!("p{n}"),
            };
            (n, log.execute::<Workshop>(&key, &command, &meta).await)
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    answers
}

/// Two instances of a service on one nats-server, each with its own log (and its own copies of
/// the aggregates it used): the server and the two logs.
async fn two_instances() -> (TestNats, EventLog, EventLog) {
    let nats = TestNats::start().await.expect("nats-server starts");
    let first = nats.open_log(log_config()).await.expect("log opens");
    let second = nats.open_log(log_config()).await.expect("log opens");
    (nats, first, second)
}

/// Opens the workshop at `key` with one command; its version.
async fn open_workshop(log: &EventLog, key: &eventlog::AggregateKey, seats: u32) -> u64 {
    let meta = CommandMeta::new(organiser(), format!("open-{key}"));
    log.execute::<Workshop>(key, &WorkshopCommand::Open { seats }, &meta)
        .await
        .expect("opens")
        .seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_stored_together_are_all_stored_or_none() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = nats.open_log(log_config()).await.expect("log opens");
    let (gap, embrun) = (workshop("atelier-gap"), workshop("atelier-embrun"));
    let gap_version = open_workshop(&log, &gap, 10).await;
    let embrun_version = open_workshop(&log, &embrun, 10).await;
    let took = |key: &eventlog::AggregateKey, who: &str| {
        let meta = CommandMeta::new(organiser(), format!("take-{who}"));
        let events = [WorkshopEvent::SeatTaken {
            participant: who.into(),
        }];
        (meta.commit(key, &events).expect("encodes"), meta)
    };
    let (at_gap, meta) = took(&gap, "lea");
    let (at_embrun, _) = took(&embrun, "lea");
    let companion = eventlog::CompanionCommit {
        key: embrun.clone(),
        expected: embrun_version,
        commit: at_embrun.clone(),
    };
    let send_together = || {
        log.append_together(
            &gap,
            gap_version,
            &at_gap,
            &meta.idempotency_key,
            std::slice::from_ref(&companion),
        )
    };
    let (stored, companions) = send_together().await.expect("stored together");
    let Appended::Stored { seq } = stored else {
        panic!("a first send is stored: {stored:?}")
    };
    assert_eq!(
        companions,
        [seq + 1],
        "the companion follows in the same batch"
    );
    let read = log
        .read_commit_at(WORKSHOPS.name, seq + 1)
        .await
        .expect("reads");
    assert_eq!(read.commit, at_embrun);

    // The same send again (its acknowledgement lost): recognised, nothing stored twice.
    let before = messages_in(&log, WORKSHOPS.name).await;
    let again = send_together().await.expect("recognised");
    assert_eq!(again, (Appended::Duplicate { seq }, vec![seq + 1]));
    assert_eq!(messages_in(&log, WORKSHOPS.name).await, before);

    // A companion decided on a version since moved past: nothing of either is stored.
    let (at_gap, meta) = took(&gap, "noe");
    let (at_embrun, _) = took(&embrun, "noe");
    let stale = eventlog::CompanionCommit {
        key: embrun.clone(),
        expected: embrun_version,
        commit: at_embrun,
    };
    let refused = log
        .append_together(&gap, seq, &at_gap, &meta.idempotency_key, &[stale])
        .await;
    assert!(
        matches!(refused, Err(AppendError::CompanionConflict { ref indexes }) if indexes == &[0]),
        "{refused:?}"
    );
    assert_eq!(messages_in(&log, WORKSHOPS.name).await, before);
    let gap_now = log.load::<Workshop>(&gap).await.expect("loads");
    assert_eq!(gap_now.state.participants, ["lea"]);
    assert_eq!(gap_now.version, seq);
}

/// A companion that takes a seat at `key`, decided on `expected`, for each seat the command
/// took.
fn seat_beside(key: &eventlog::AggregateKey, expected: u64) -> eventlog::Alongside<WorkshopEvent> {
    eventlog::Alongside {
        companion: Some(eventlog::Companion::new::<Workshop>(
            key.clone(),
            expected,
            CommandMeta::new(organiser(), format!("beside-{key}-{expected}")),
            |taken: &[WorkshopEvent]| taken.to_vec(),
        )),
        after: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_stores_its_companion_in_the_same_write_or_is_answered_contended() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = nats.open_log(log_config()).await.expect("log opens");
    let (gap, embrun) = (workshop("forum-gap"), workshop("forum-embrun"));
    open_workshop(&log, &gap, 10).await;
    let embrun_version = open_workshop(&log, &embrun, 10).await;
    let writes = log.write_counts().writes;
    let take = |who: &str| WorkshopCommand::TakeSeat {
        participant: who.into(),
    };
    let decided = log
        .execute_with::<Workshop>(
            &gap,
            &take("lea"),
            &CommandMeta::new(organiser(), "lea"),
            seat_beside(&embrun, embrun_version),
        )
        .await
        .expect("taken");
    assert_eq!(log.write_counts().writes, writes + 1, "one write for both");
    let embrun_now = log.load::<Workshop>(&embrun).await.expect("loads");
    assert_eq!(embrun_now.state.participants, ["lea"]);
    assert_eq!(embrun_now.version, decided.seq + 1);

    // A companion decided on the version before: its command is answered Contended, nothing
    // stored; the commands waiting with it are not held back.
    let (noe, hugo) = (take("noe"), take("hugo"));
    let (noe_meta, hugo_meta) = (
        CommandMeta::new(organiser(), "noe"),
        CommandMeta::new(organiser(), "hugo"),
    );
    let (stale, fresh) = tokio::join!(
        log.execute_with::<Workshop>(&gap, &noe, &noe_meta, seat_beside(&embrun, embrun_version),),
        log.execute::<Workshop>(&gap, &hugo, &hugo_meta),
    );
    assert_contended(&stale);
    fresh.expect("the other command is stored");
    let gap_now = log.load::<Workshop>(&gap).await.expect("loads").state;
    assert_eq!(gap_now.participants, ["lea", "hugo"]);
    let embrun_now = log.load::<Workshop>(&embrun).await.expect("loads").state;
    assert_eq!(embrun_now.participants, ["lea"]);

    // A refused command stores no companion.
    let refused = log
        .execute_with::<Workshop>(
            &gap,
            &WorkshopCommand::Open { seats: 3 },
            &CommandMeta::new(organiser(), "open-again"),
            seat_beside(&embrun, embrun_version + 1),
        )
        .await;
    assert!(matches!(
        refused,
        Err(CommandError::Refused(WorkshopRefusal::AlreadyOpen))
    ));
    let embrun_now = log.load::<Workshop>(&embrun).await.expect("loads").state;
    assert_eq!(embrun_now.participants, ["lea"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_waits_for_its_prerequisite_and_is_not_stored_if_it_failed() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = nats.open_log(log_config()).await.expect("log opens");
    let gap = workshop("visite-gap");
    open_workshop(&log, &gap, 10).await;
    let take = |who: &str| WorkshopCommand::TakeSeat {
        participant: who.into(),
    };
    let after = |outcome: Result<(), String>| eventlog::Alongside::<WorkshopEvent> {
        companion: None,
        after: Some(eventlog::Prerequisite::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            outcome
        })),
    };
    let before = messages_in(&log, WORKSHOPS.name).await;
    let (lea, noe) = (take("lea"), take("noe"));
    let (lea_meta, noe_meta) = (
        CommandMeta::new(organiser(), "lea"),
        CommandMeta::new(organiser(), "noe"),
    );
    let (failed, stored) = tokio::join!(
        log.execute_with::<Workshop>(&gap, &lea, &lea_meta, after(Err("key lost".into()))),
        log.execute_with::<Workshop>(&gap, &noe, &noe_meta, after(Ok(()))),
    );
    assert_contended(&failed);
    stored.expect("stored once its prerequisite succeeded");
    assert_eq!(messages_in(&log, WORKSHOPS.name).await, before + 1);
    let state = log.load::<Workshop>(&gap).await.expect("loads").state;
    assert_eq!(state.participants, ["noe"]);
}
