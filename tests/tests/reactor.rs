//! Reactors on the projection runner: interrupted at any point, every reaction is carried out
//! exactly once in effect; a refused one is quarantined, never dropped.

use std::time::Duration;

use eventlog::{CommandMeta, EventLog};
use projection::{Reacting, Runner, RunnerConfig};
use proto::Actor;
use tests::workshop::{Cloakroom, GiveTicket, Workshop, WorkshopCommand, workshop};
use tests::{TestNats, log_config};

async fn open(log: &EventLog, id: &str, seats: u32) {
    let meta = CommandMeta::new(
        Actor::Organiser {
            id: "dep-05".into(),
        },
        format!("open-{id}"),
    );
    log.execute::<Workshop>(&workshop(id), &WorkshopCommand::Open { seats }, &meta)
        .await
        .expect("opens");
}

async fn take_seat(log: &EventLog, id: &str, participant: &str) {
    let meta = CommandMeta::new(
        Actor::Partner { id: "ft".into() },
        format!("{id}:{participant}"),
    );
    let command = WorkshopCommand::TakeSeat {
        participant: participant.into(),
    };
    log.execute::<Workshop>(&workshop(id), &command, &meta)
        .await
        .expect("seat taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_reactor_carries_out_every_reaction_once() {
    let nats = TestNats::start().await.expect("nats-server starts");
    let log = nats.open_log(log_config()).await.expect("log opens");
    open(&log, "forum", 300).await;
    open(&log, "forum-cloakroom", 1_000).await;
    open(&log, "theatre", 3).await;
    open(&log, "theatre-cloakroom", 2).await;
    for n in 0..300 {
        take_seat(&log, "forum", &format!("p{n}")).await;
    }
    for n in 0..3 {
        take_seat(&log, "theatre", &format!("pupil{n}")).await;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let js = async_nats::jetstream::new(nats.client().await.expect("connects"));
    // Interrupt the reactor at several points, each time restarting it on its store.
    for pause_ms in [15, 40, 5, 80, 25] {
        let runner = Runner::open(
            Reacting(Cloakroom),
            dir.path(),
            js.clone(),
            RunnerConfig {
                batch_size: 16,
                ..RunnerConfig::default()
            },
        )
        .expect("opens");
        let dispatcher = GiveTicket(log.clone());
        let task = tokio::spawn(runner.run_reactor(dispatcher, std::future::pending()));
        tokio::time::sleep(Duration::from_millis(pause_ms)).await;
        task.abort();
        let _ = task.await;
    }
    // Then to the end.
    let mut runner =
        Runner::open(Reacting(Cloakroom), dir.path(), js, RunnerConfig::default()).expect("opens");
    runner.catch_up().await.expect("catches up");
    runner
        .dispatch_outbox(&GiveTicket(log.clone()))
        .await
        .expect("dispatches");

    let forum = log
        .load::<Workshop>(&workshop("forum-cloakroom"))
        .await
        .expect("loads")
        .state;
    let mut tickets = forum.participants.clone();
    tickets.sort();
    tickets.dedup();
    assert_eq!(
        forum.participants.len(),
        300,
        "one ticket per seat, none twice"
    );
    assert_eq!(tickets.len(), 300);
    let theatre = log
        .load::<Workshop>(&workshop("theatre-cloakroom"))
        .await
        .expect("loads")
        .state;
    assert_eq!(
        theatre.participants.len(),
        2,
        "the cloakroom is full after two"
    );
    let quarantined = runner.quarantined().expect("reads");
    assert_eq!(
        quarantined.len(),
        1,
        "the refused ticket is kept: {quarantined:?}"
    );
    assert!(quarantined[0].reason.contains("Full"));
    assert!(quarantined[0].body.contains("pupil2"));
}
