//! The projection engine against a real nats-server and real sled stores.

use std::process::{Command, Stdio};
use std::time::Duration;

use eventlog::{CommandMeta, EventLog};
use projection::{Position, Projection, Rejected, Runner, RunnerConfig, Undecodable, View};
use proto::contract::EventContract;
use proto::{Actor, StoredEvent};
use tests::workshop::{SeatsTaken, Workshop, WorkshopCommand, WorkshopEvent, workshop};
use tests::{StoreDump, TestNats, WORKSHOPS, dump, log_config};

fn partner() -> Actor {
    Actor::Partner {
        id: "mission-locale".into(),
    }
}

/// A nats-server and its log, filled as [`fill`] fills it.
async fn filled(workshops: usize, commits: usize, per_commit: usize) -> (TestNats, EventLog) {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = nats.open_log(log_config()).await.expect("log opens");
    fill(&log, workshops, commits, per_commit).await;
    (nats, log)
}

/// Opens `workshops` workshops and fills them with `commits` commits of `per_commit` seats each,
/// spread over the workshops, with a few commits in flight at once.
/// Opens `workshops` workshops and takes `commits × per_commit` seats in them, `per_commit` per
/// command, 32 commands at a time (commands on one workshop may share a commit).
async fn fill(log: &EventLog, workshops: usize, commits: usize, per_commit: usize) {
    for w in 0..workshops {
        let meta = CommandMeta::new(partner(), format!("open-{w}"));
        let seats = u32::try_from(commits * per_commit).expect("fits");
        log.execute::<Workshop>(
            &workshop(&format!("w{w}")),
            &WorkshopCommand::Open { seats },
            &meta,
        )
        .await
        .expect("opens");
    }
    let mut pending = futures_util::stream::FuturesUnordered::new();
    for c in 0..commits {
        let log = log.clone();
        pending.push(async move {
            let key = workshop(&format!("w{}", c % workshops));
            let participants = (0..per_commit).map(|n| format!("c{c}-{n}")).collect();
            let meta = CommandMeta::new(partner(), format!("commit-{c}"));
            log.execute::<Workshop>(&key, &WorkshopCommand::TakeSeats { participants }, &meta)
                .await
                .expect("seats taken")
        });
        if pending.len() >= 32 {
            futures_util::StreamExt::next(&mut pending).await;
        }
    }
    while futures_util::StreamExt::next(&mut pending).await.is_some() {}
}

async fn rebuilt_from_scratch(nats: &TestNats) -> (tempfile::TempDir, StoreDump) {
    let dir = tempfile::tempdir().expect("temp dir");
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    let mut clean =
        Runner::open(SeatsTaken, dir.path(), js, RunnerConfig::default()).expect("opens");
    clean.catch_up().await.expect("catches up");
    let content = dump(clean.db()).expect("dumps");
    (dir, content)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_a_subject_is_quarantined_and_later_events_still_projected() {
    let (nats, log) = filled(1, 3, 2).await;
    let client = nats.client().await.expect("connects");
    let js = async_nats::jetstream::new(client);
    js.publish("test.workshop.w0", "not a commit at all".into())
        .await
        .expect("sent")
        .await
        .expect("stored");
    let mut bad_version = async_nats::HeaderMap::new();
    bad_version.insert(proto::headers::FORMAT, proto::headers::COMMIT_FORMAT_V1);
    let future_event = serde_json::json!({"events": [{
        "id": "01935b2a-7c00-7000-8000-000000000001", "aggregate": "test.workshop.w0",
        "occurred_at": "2024-04-15T07:30:00Z", "correlation_id": "01935b2a-7c00-7000-8000-000000000002",
        "causation_id": "01935b2a-7c00-7000-8000-000000000003", "actor": {"kind": "system", "component": "test"},
        "type": "SeatTaken", "version": 9, "data": {}}]});
    js.publish_with_headers(
        "test.workshop.w0",
        bad_version,
        future_event.to_string().into(),
    )
    .await
    .expect("sent")
    .await
    .expect("stored");
    let meta = CommandMeta::new(partner(), "after-the-garbage");
    log.execute::<Workshop>(&workshop("w1"), &WorkshopCommand::Open { seats: 1 }, &meta)
        .await
        .expect("opens");
    log.execute::<Workshop>(
        &workshop("w1"),
        &WorkshopCommand::TakeSeat {
            participant: "after".into(),
        },
        &CommandMeta::new(partner(), "after"),
    )
    .await
    .expect("seat taken");

    let dir = tempfile::tempdir().expect("temp dir");
    let mut runner =
        Runner::open(SeatsTaken, dir.path(), js.clone(), RunnerConfig::default()).expect("opens");
    runner.catch_up().await.expect("catches up");
    let quarantined = runner.quarantined().expect("reads quarantine");
    assert_eq!(quarantined.len(), 2, "{quarantined:?}");
    assert!(
        quarantined[0].reason.contains("Semaine-Format"),
        "{}",
        quarantined[0].reason
    );
    assert_eq!(quarantined[0].body, "not a commit at all");
    assert!(
        quarantined[1].reason.contains("unknown version 9"),
        "{}",
        quarantined[1].reason
    );
    let seats_w1 = runner
        .db()
        .open_tree("seats_by_workshop")
        .expect("tree")
        .get(b"test.workshop.w1")
        .expect("reads");
    assert_eq!(
        seats_w1.as_deref(),
        Some(&b"1"[..]),
        "the event after the garbage is projected"
    );
    assert_eq!(runner.lag().await.expect("lag"), 0);

    // Configured to halt, a fresh runner stops before the first bad message and keeps what came before.
    let halting_dir = tempfile::tempdir().expect("temp dir");
    let config = RunnerConfig {
        on_undecodable: Undecodable::Halt,
        ..RunnerConfig::default()
    };
    let mut halting = Runner::open(SeatsTaken, halting_dir.path(), js, config).expect("opens");
    let halted = halting.catch_up().await;
    assert!(
        matches!(halted, Err(projection::RunnerError::Halted { seq, .. }) if seq == quarantined[0].seq)
    );
    assert_eq!(halting.checkpoint(WORKSHOPS.name), quarantined[0].seq - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projection_killed_at_random_points_ends_equal_to_a_clean_rebuild() {
    // 10,000 seats taken, 5 per commit, over 20 workshops (plus their 20 openings).
    let (nats, log) = filled(20, 2_000, 5).await;
    let last = log
        .last_sequence(WORKSHOPS.name)
        .await
        .expect("stream info");

    let dir = tempfile::tempdir().expect("temp dir");
    let projector = env!("CARGO_BIN_EXE_projector");
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut kills = 0;
    for _ in 0..40 {
        let mut child = Command::new(projector)
            .arg(nats.url())
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("projector starts");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(20 + rng % 250)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        kills += 1;
        let db = sled::open(dir.path()).expect("the killed store reopens");
        let checkpoint = db
            .open_tree("__checkpoints")
            .expect("tree")
            .get(WORKSHOPS.name)
            .expect("reads")
            .map_or(0, |v| {
                u64::from_be_bytes(v.as_ref().try_into().expect("8 bytes"))
            });
        drop(db);
        if checkpoint >= last {
            break;
        }
    }
    // Whatever is left, without kills.
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    let mut survivor =
        Runner::open(SeatsTaken, dir.path(), js, RunnerConfig::default()).expect("reopens");
    survivor.catch_up().await.expect("catches up");
    let (_clean_dir, clean) = rebuilt_from_scratch(&nats).await;
    assert!(kills >= 2, "the projection was killed during the catch-up");
    assert_eq!(
        dump(survivor.db()).expect("dumps"),
        clean,
        "equal byte for byte after {kills} kills"
    );
    let seats: u64 = clean
        .iter()
        .find(|(tree, _)| tree == b"seat_of_participant")
        .map_or(0, |(_, rows)| rows.len() as u64);
    assert_eq!(seats, 10_000);
}

/// Many small batches, each reading the counts the previous ones wrote: no seat is counted
/// twice or missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_batches_each_read_what_the_previous_ones_wrote() {
    // 3,000 seats, 3 per commit, over 4 workshops: 750 seats each.
    let (nats, _log) = filled(4, 1_000, 3).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    let config = RunnerConfig {
        batch_size: 4,
        ..RunnerConfig::default()
    };
    let mut runner = Runner::open(SeatsTaken, dir.path(), js, config).expect("opens");
    runner.catch_up().await.expect("catches up");
    let counts = runner.db().open_tree("seats_by_workshop").expect("tree");
    let seats = runner.db().open_tree("seat_of_participant").expect("tree");
    for w in 0..4 {
        let key = workshop(&format!("w{w}"));
        let key = key.subject();
        let count: u64 = counts
            .get(key.as_bytes())
            .expect("reads")
            .map(|v| serde_json::from_slice(&v).expect("a count"))
            .unwrap_or(0);
        assert_eq!(count, 750, "workshop {w}");
        // Each seat got the next number: 1 to 750, each once.
        let mut numbers: Vec<u64> = seats
            .scan_prefix(key.as_bytes())
            .map(|row| {
                let (_, value) = row.expect("reads");
                let (number, _, _): (u64, u64, usize) =
                    serde_json::from_slice(&value).expect("a seat");
                number
            })
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=750).collect::<Vec<u64>>(), "workshop {w}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_drops_the_view_and_replays_it_identically() {
    let (nats, log) = filled(3, 60, 3).await;
    // Commands decided together share a commit: count the messages, not the commands.
    let messages = log.last_sequence(WORKSHOPS.name).await.expect("reads");
    let dir = tempfile::tempdir().expect("temp dir");
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    let mut runner =
        Runner::open(SeatsTaken, dir.path(), js, RunnerConfig::default()).expect("opens");
    let applied = runner.catch_up().await.expect("catches up");
    assert_eq!(applied, messages);
    let before = dump(runner.db()).expect("dumps");
    runner.rebuild().expect("drops");
    assert_eq!(runner.checkpoint(WORKSHOPS.name), 0);
    assert_eq!(runner.lag().await.expect("lag"), messages);
    assert_eq!(runner.catch_up().await.expect("replays"), messages);
    assert_eq!(dump(runner.db()).expect("dumps"), before);

    // A rebuild cut short by a crash (its marker stored, the view partly cleared) is finished
    // when the store is opened again, rather than leaving a view behind its checkpoints.
    runner
        .db()
        .open_tree("__checkpoints")
        .expect("tree")
        .insert("__rebuilding", &[1u8][..])
        .expect("marker stored");
    runner
        .db()
        .open_tree("seats_by_workshop")
        .expect("tree")
        .clear()
        .expect("half cleared");
    runner.db().flush().expect("flushed");
    drop(runner);
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    let mut reopened =
        Runner::open(SeatsTaken, dir.path(), js, RunnerConfig::default()).expect("reopens");
    assert_eq!(
        reopened.checkpoint(WORKSHOPS.name),
        0,
        "the rebuild was finished"
    );
    assert_eq!(reopened.catch_up().await.expect("replays"), messages);
    assert_eq!(dump(reopened.db()).expect("dumps"), before);
}

/// `SeatsTaken` reshaped by a later version of its code: the seat numbers are no longer kept
/// (one tree fewer), so its layout is 2.
struct SeatsCounted;

impl Projection for SeatsCounted {
    fn name(&self) -> &'static str {
        SeatsTaken.name()
    }

    fn streams(&self) -> &'static [&'static str] {
        SeatsTaken.streams()
    }

    fn trees(&self) -> &'static [&'static str] {
        &["seats_by_workshop"]
    }

    fn layout(&self) -> u32 {
        2
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<(), Rejected> {
        let workshop = event.envelope.aggregate.as_bytes();
        if let WorkshopEvent::SeatTaken { .. } =
            WorkshopEvent::decode(&event.event_type, event.version, &event.data)?
        {
            let taken: u64 = view.get_json("seats_by_workshop", workshop).unwrap_or(0);
            view.insert_json("seats_by_workshop", workshop, &(taken + 1))?;
        }
        Ok(())
    }
}

/// An upgrade that changes a read model's rows never reads the old rows: the store written
/// under the old layout is dropped (the trees the new layout does not own with it) and the log
/// replayed; a store of the same layout, or one written before layouts were kept by a
/// projection still at layout 1, is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_written_under_another_layout_is_dropped_and_replayed() {
    let (nats, log) = filled(3, 30, 2).await;
    let messages = log.last_sequence(WORKSHOPS.name).await.expect("reads");
    let js = || async { async_nats::jetstream::new(nats.client().await.expect("connects")) };
    let dir = tempfile::tempdir().expect("temp dir");

    // Layout 1, then the same store reopened by the same code: kept.
    let mut old =
        Runner::open(SeatsTaken, dir.path(), js().await, RunnerConfig::default()).expect("opens");
    assert_eq!(old.catch_up().await.expect("catches up"), messages);
    let written_by_old = dump(old.db()).expect("dumps");
    // A store of the time before layouts were kept has no layout key: it reads as layout 1.
    old.db()
        .open_tree("__checkpoints")
        .expect("tree")
        .remove("__layout")
        .expect("removed");
    old.db().flush().expect("flushed");
    drop(old);
    let mut kept =
        Runner::open(SeatsTaken, dir.path(), js().await, RunnerConfig::default()).expect("reopens");
    assert_eq!(
        kept.checkpoint(WORKSHOPS.name),
        messages,
        "same layout: kept"
    );
    assert_eq!(kept.catch_up().await.expect("nothing new"), 0);
    assert_eq!(dump(kept.db()).expect("dumps"), written_by_old);
    drop(kept);

    // The upgraded code, layout 2: the old rows are dropped, the log replayed.
    let mut upgraded = Runner::open(
        SeatsCounted,
        dir.path(),
        js().await,
        RunnerConfig::default(),
    )
    .expect("opens the old store");
    assert_eq!(upgraded.checkpoint(WORKSHOPS.name), 0, "dropped");
    let names: Vec<String> = upgraded
        .db()
        .tree_names()
        .iter()
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect();
    assert!(
        !names.iter().any(|name| name == "seat_of_participant"),
        "the tree the new layout does not own is gone: {names:?}"
    );
    assert_eq!(upgraded.catch_up().await.expect("replays"), messages);
    let upgraded_rows = dump(upgraded.db()).expect("dumps");
    drop(upgraded);
    let clean_dir = tempfile::tempdir().expect("temp dir");
    let mut clean = Runner::open(
        SeatsCounted,
        clean_dir.path(),
        js().await,
        RunnerConfig::default(),
    )
    .expect("opens");
    clean.catch_up().await.expect("catches up");
    assert_eq!(
        upgraded_rows,
        dump(clean.db()).expect("dumps"),
        "as a clean build"
    );

    // Opened again by the upgraded code: kept.
    let reopened = Runner::open(
        SeatsCounted,
        dir.path(),
        js().await,
        RunnerConfig::default(),
    )
    .expect("reopens");
    assert_eq!(
        reopened.checkpoint(WORKSHOPS.name),
        messages,
        "same layout: kept"
    );
    drop(reopened);

    // And back to the old code (a rollback): dropped and replayed again.
    let mut rolled_back =
        Runner::open(SeatsTaken, dir.path(), js().await, RunnerConfig::default()).expect("opens");
    assert_eq!(rolled_back.checkpoint(WORKSHOPS.name), 0, "dropped");
    assert_eq!(rolled_back.catch_up().await.expect("replays"), messages);
    assert_eq!(dump(rolled_back.db()).expect("dumps"), written_by_old);
}

/// A running projection's consumers are ephemeral: a restarted nats-server has forgotten them.
/// The runner reads again, from its checkpoint, as soon as its client is connected again (the
/// client alone finds out only after 15 s of retries, and the view stood still that long).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_projection_resumes_at_once_after_the_nats_server_restarts() {
    let (nats, log) = filled(1, 5, 1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    let runner = Runner::open(SeatsTaken, dir.path(), js, RunnerConfig::default()).expect("opens");
    let mut progress = runner.progress();
    let running = tokio::spawn(runner.run(std::future::pending()));
    let reached = |seq: u64| {
        move |p: &projection::Progress| p.checkpoints.get(WORKSHOPS.name).copied() >= Some(seq)
    };
    let last = log.last_sequence(WORKSHOPS.name).await.expect("reads");
    tokio::time::timeout(Duration::from_secs(10), progress.wait_for(reached(last)))
        .await
        .expect("caught up in time")
        .expect("runner alive");

    nats.kill().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    nats.restart().await.expect("nats-server restarts");
    let restarted = std::time::Instant::now();
    let meta = CommandMeta::new(partner(), "after-the-restart");
    let command = WorkshopCommand::Open { seats: 1 };
    let appended = loop {
        match log
            .execute::<Workshop>(&workshop("late"), &command, &meta)
            .await
        {
            Ok(decided) => break decided.seq,
            Err(_) if restarted.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the log did not come back: {e}"),
        }
    };
    tokio::time::timeout(
        Duration::from_secs(10),
        progress.wait_for(reached(appended)),
    )
    .await
    .expect("the projection resumed within 10 s of the restart")
    .expect("runner alive");
    let resumed = restarted.elapsed();
    running.abort();
    println!(
        "a running projection applied a new commit {resumed:.1?} after the nats-server restart"
    );
    assert!(
        resumed < Duration::from_secs(8),
        "the projection stood still for {resumed:?} after the restart"
    );
}
