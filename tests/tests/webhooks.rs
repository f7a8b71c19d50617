//! Webhooks end to end: partners and venues subscribe through HTTP, a receiver in the test
//! (axum on a free port) checks every signature, and sees every expected delivery — once per
//! event id, whatever was sent twice on the wire — across a restart of the webhooks process
//! over its store and after answering 500s for a while; a partner never hears of another's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eventlog::CommandMeta;
use gateway::keys::Editions;
use gateway::stack::axum::body::{Body, Bytes};
use gateway::stack::axum::extract::{Path, State};
use gateway::stack::axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gateway::stack::axum::routing::post;
use gateway::stack::axum::{self, Router};
use gateway::stack::tower::ServiceExt;
use gateway::{AppState, RateLimit, Role};
use proto::scheduling::event;
use proto::taxonomy::Audience;
use proto::values::Reason;
use serde_json::{Value, json};
use tests::TestNats;
use tests::desk::{request, send};
use tests::week::{Week, eventually, organiser, partner_id, tuesday};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use webhooks::{Backoff, DeliveryConfig, Secrets, WebhookProcess, Webhooks, signature};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    /// Which endpoint (`/hooks/<name>`).
    endpoint: String,
    headers: HeaderMap,
    body: Bytes,
}

/// The test's webhook receiver: records everything; an endpoint may be told to fail.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    failing: Arc<Mutex<BTreeSet<String>>>,
}

async fn receive(
    State(receiver): State<Receiver>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let failing = receiver
        .failing
        .lock()
        .map(|failing| failing.contains(&endpoint))
        .unwrap_or(false);
    if let Ok(mut received) = receiver.received.lock() {
        received.push(Received {
            endpoint,
            headers,
            body,
        });
    }
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

impl Receiver {
    /// Serves on a free port; returns its base URL.
    async fn serve(&self) -> anyhow::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = Router::new()
            .route("/hooks/{endpoint}", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(url)
    }

    fn fail(&self, endpoint: &str, fail: bool) {
        if let Ok(mut failing) = self.failing.lock() {
            if fail {
                failing.insert(endpoint.to_owned());
            } else {
                failing.remove(endpoint);
            }
        }
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The bodies received at `endpoint`, one per event id (the first received).
    fn by_id(&self, endpoint: &str) -> BTreeMap<String, Value> {
        let mut found = BTreeMap::new();
        for received in self.all().into_iter().filter(|r| r.endpoint == endpoint) {
            let body: Value = serde_json::from_slice(&received.body).unwrap_or(Value::Null);
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            found.entry(id).or_insert(body);
        }
        found
    }

    /// How many ids of `kind` reached `endpoint`.
    fn count(&self, endpoint: &str, kind: &str) -> usize {
        self.by_id(endpoint)
            .values()
            .filter(|body| body["kind"] == kind)
            .count()
    }
}

/// The webhooks process, running until stopped.
struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), projection::RunnerError>>,
}

/// A week, the gateway, the webhooks process and the receiver.
struct Hooks {
    week: Week,
    secrets: Secrets,
    hooks_log: eventlog::EventLog,
    store_dir: tempfile::TempDir,
    app: Option<Router>,
    running: Option<Running>,
    progress: Option<tokio::sync::watch::Receiver<projection::Progress>>,
    state: AppState,
    /// How deliveries are sent.
    delivery: DeliveryConfig,
}

/// A short schedule, so that retries happen within the test.
fn config() -> DeliveryConfig {
    DeliveryConfig {
        backoff: Backoff {
            first: Duration::from_millis(50),
            cap: Duration::from_millis(200),
            retry_for: Duration::from_secs(120),
        },
        timeout: Duration::from_secs(2),
        concurrency: 8,
        per_subscription: 2,
        secrets_retry: Duration::from_millis(100),
        // The receiver is on loopback.
        allow_private_destinations: true,
    }
}

impl Hooks {
    async fn start() -> anyhow::Result<Self> {
        Self::start_with(config()).await
    }

    async fn start_with(delivery: DeliveryConfig) -> anyhow::Result<Self> {
        // The webhooks' process under test is this harness's own: it is stopped and started
        // mid-stream, with a quick back-off. The application runs every other process.
        let week = Week::start_with(TestNats::start().await?, |settings| {
            settings.tuning.webhooks = false;
        })
        .await?;
        let hooks_log = week.log.clone();
        let secrets = Secrets::open(hooks_log.jetstream(), 1).await?;
        let services = week.running.services().clone();
        let state = AppState::open(&week.log, services, RateLimit::default()).await?;
        let mut hooks = Self {
            week,
            secrets,
            hooks_log,
            store_dir: tempfile::tempdir()?,
            app: None,
            running: None,
            progress: None,
            state,
            delivery,
        };
        hooks.start_process()?;
        Ok(hooks)
    }

    /// Opens the webhooks store and runs the process; the gateway serves it.
    fn start_process(&mut self) -> anyhow::Result<()> {
        let process = WebhookProcess::open(
            &self.store_dir.path().join("webhooks"),
            self.hooks_log.jetstream().clone(),
            self.secrets.clone(),
            self.delivery.clone(),
        )?;
        let service =
            Webhooks::new(self.hooks_log.clone(), self.secrets.clone()).with_store(process.store());
        self.app = Some(gateway::app(self.state.clone().with_webhooks(service)));
        self.progress = Some(process.progress());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(process.run(async move {
            let _ = stopped.await;
        }));
        self.running = Some(Running { stop, task });
        Ok(())
    }

    /// Waits until the running process has read `stream` up to `seq`.
    async fn read_up_to(&self, stream: &str, seq: u64) -> anyhow::Result<()> {
        if let Some(progress) = &self.progress {
            let mut progress = progress.clone();
            tokio::time::timeout(
                Duration::from_secs(10),
                progress.wait_for(|p| p.checkpoints.get(stream).is_some_and(|c| *c >= seq)),
            )
            .await??;
        }
        Ok(())
    }

    /// Stops the process (and the gateway's hold on its store).
    async fn stop_process(&mut self) -> anyhow::Result<()> {
        self.app = None;
        self.progress = None;
        if let Some(running) = self.running.take() {
            let _ = running.stop.send(());
            running.task.await??;
        }
        Ok(())
    }

    /// Sends `method path` as `secret`, with `body` as JSON when given: the status and the
    /// body as JSON.
    async fn send(
        &self,
        method: Method,
        path: &str,
        secret: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let Some(app) = &self.app else {
            anyhow::bail!("the gateway is stopped");
        };
        let answer = send(app, request(method, path, Some(secret), body.as_ref())?).await?;
        Ok((answer.status, answer.json))
    }

    /// `GET path` as `secret`: the status and the body as JSON.
    async fn get(&self, path: &str, secret: &str) -> anyhow::Result<(StatusCode, Value)> {
        self.send(Method::GET, path, secret, None).await
    }

    /// `secret` deletes the subscription `hook`: the status and the body as JSON.
    async fn delete(
        &self,
        hook: impl std::fmt::Display,
        secret: &str,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let path = format!("/webhooks/{hook}/delete");
        self.send(Method::POST, &path, secret, None).await
    }

    /// Subscribes through HTTP; returns the subscription and its secret.
    async fn subscribe(
        &self,
        key: &str,
        url: &str,
        kinds: &[&str],
    ) -> anyhow::Result<(String, String)> {
        let (status, answer) = self
            .send(
                Method::POST,
                "/webhooks",
                key,
                Some(json!({ "url": url, "kinds": kinds })),
            )
            .await?;
        anyhow::ensure!(status == StatusCode::CREATED, "{status}: {answer}");
        let seq = answer["seq"].as_u64().unwrap_or(0);
        // Deliveries start once the process has read the subscription.
        self.read_up_to("WEBHOOKS", seq).await?;
        Ok((
            answer["subscription"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            answer["secret"].as_str().unwrap_or_default().to_owned(),
        ))
    }
}

const PARTNER_KINDS: &[&str] = &[
    "registration.confirmed",
    "registration.promoted",
    "registration.demoted",
    "registration.cancelled",
    "session.moved",
    "session.cancelled",
];

#[tokio::test]
async fn every_delivery_arrives_signed_across_a_restart_and_a_failing_receiver()
-> anyhow::Result<()> {
    let mut hooks = Hooks::start().await?;
    let receiver = Receiver::default();
    let base = receiver.serve().await?;
    let week = &hooks.week;

    // A venue, two partners, and their keys.
    let venue = week.register_venue(2).await?;
    let keys = &hooks.state.keys;
    let ml_key = keys.create(Role::Partner(partner_id("ml-gap"))).await?.1;
    let ft_key = keys.create(Role::Partner(partner_id("ft-gap"))).await?.1;
    let venue_key = keys.create(Role::Venue(venue)).await?.1;
    let organiser_key = keys.create(Role::Organiser(Editions::All)).await?.1;
    let (ml_key, ft_key, venue_key, organiser_key) = (
        ml_key.expose().to_owned(),
        ft_key.expose().to_owned(),
        venue_key.expose().to_owned(),
        organiser_key.expose().to_owned(),
    );

    // Subscriptions, through HTTP.
    let (ml_hook, ml_secret) = hooks
        .subscribe(&ml_key, &format!("{base}/hooks/ml"), PARTNER_KINDS)
        .await?;
    let (ft_hook, ft_secret) = hooks
        .subscribe(&ft_key, &format!("{base}/hooks/ft"), PARTNER_KINDS)
        .await?;
    let (venue_hook, venue_secret) = hooks
        .subscribe(
            &venue_key,
            &format!("{base}/hooks/venue"),
            &["hosting.requested", "session.moved", "session.cancelled"],
        )
        .await?;
    assert!(ml_secret.starts_with("whsec_") && ml_secret != ft_secret);

    // A retried subscription (the same Idempotency-Key) gets the same secret, and no secret is
    // kept in clear in the gateway's idempotency bucket: only the request's hash.
    let retried = |body: Value| {
        let app = hooks.app.clone();
        let key = ml_key.clone();
        async move {
            let app = app.ok_or_else(|| anyhow::anyhow!("the gateway runs"))?;
            let request = Request::builder()
                .method(Method::POST)
                .uri("/webhooks")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header("idempotency-key", "ml-hook-2")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))?;
            let response = app.oneshot(request).await?;
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await?;
            anyhow::Ok((status, serde_json::from_slice::<Value>(&bytes)?))
        }
    };
    let second_hook =
        json!({ "url": format!("{base}/hooks/ml-2"), "kinds": ["session.cancelled"] });
    let (first, made) = retried(second_hook.clone()).await?;
    let (again, remade) = retried(second_hook).await?;
    assert_eq!(
        (first, again),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{made} {remade}"
    );
    assert_eq!(made["secret"], remade["secret"], "{made} {remade}");
    assert_eq!(remade["duplicate"], true, "{remade}");
    let (reused, refused) =
        retried(json!({ "url": format!("{base}/hooks/other"), "kinds": ["session.cancelled"] }))
            .await?;
    assert_eq!(reused, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let bucket = week
        .log
        .jetstream()
        .get_key_value(gateway::idempotency::IDEMPOTENCY_BUCKET)
        .await?;
    let mut names = bucket.keys().await?;
    let mut stored = 0;
    while let Some(name) = futures_util::StreamExt::next(&mut names).await {
        let value = bucket.get(name?).await?.unwrap_or_default();
        let text = String::from_utf8_lossy(&value);
        for secret in [&ml_secret, &ft_secret, &venue_secret] {
            assert!(
                !text.contains(secret.as_str()),
                "a secret in the bucket: {text}"
            );
        }
        assert!(!text.contains("whsec_"), "a secret in the bucket: {text}");
        stored += 1;
    }
    assert!(
        stored >= 4,
        "the subscriptions' requests are remembered ({stored})"
    );
    let extra = made["subscription"].as_str().unwrap_or_default();
    let (status, deleted) = hooks.delete(&extra, &ml_key).await?;
    assert_eq!(status, StatusCode::OK, "{deleted}");

    // The secret is never shown again; another partner's subscription does not exist for it.
    let (status, listed) = hooks.get("/webhooks", &ml_key).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["items"][0]["subscription"], ml_hook.as_str());
    let (status, one) = hooks.get(&format!("/webhooks/{ml_hook}"), &ml_key).await?;
    assert_eq!(status, StatusCode::OK);
    for shown in [&listed, &one] {
        assert!(!shown.to_string().contains(&ml_secret), "{shown}");
        assert!(!shown.to_string().contains("secret"), "{shown}");
    }
    for path in [
        format!("/webhooks/{ml_hook}"),
        format!("/webhooks/{ml_hook}/deliveries"),
    ] {
        let (status, _) = hooks.get(&path, &ft_key).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = hooks.delete(&ml_hook, &ft_key).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = hooks.get("/webhooks", &organiser_key).await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, refused) = hooks
        .send(
            Method::POST,
            "/webhooks",
            &ml_key,
            Some(json!({ "url": format!("{base}/x"), "kinds": ["hosting.requested"] })),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["code"], "kind-not-for-subscriber");
    let (status, _) = hooks
        .send(
            Method::POST,
            "/webhooks",
            &ml_key,
            Some(json!({ "url": "ftp://example.org/x", "kinds": ["session.moved"] })),
        )
        .await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // A session at the venue, confirmed: the venue hears of the request.
    let week = &hooks.week;
    let edition = week.create_edition().await?;
    let event = week.add_open_door(edition).await?;
    let session = week
        .confirmed_session(event, venue, tuesday(10, 0), tuesday(12, 0), 2)
        .await?;

    // Two of the mission locale's people take the seats; France Travail's waits.
    let first = week
        .register("ml-gap", "ml-1", session, Audience::YoungPeople, "r-1")
        .await?;
    let second = week
        .register("ml-gap", "ml-2", session, Audience::YoungPeople, "r-2")
        .await?;
    let third = week
        .register("ft-gap", "ft-1", session, Audience::JobSeekers, "r-3")
        .await?;
    assert!(first.confirmed && second.confirmed && !third.confirmed);
    // The process knows who holds a registration from the registration stream and learns of the
    // move from the scheduling one; it reads the two side by side, in no order between them.
    // France Travail holds one from before the stop.
    hooks.read_up_to("REGISTRATION", third.seq).await?;

    // semaine's webhooks stop mid-stream; a cancellation (and the promotion it causes) happens
    // meanwhile; they start again over the same store.
    hooks.stop_process().await?;
    let week = &hooks.week;
    week.registrations
        .cancel(&partner_id("ml-gap"), session, first.registration, "c-1")
        .await?;
    hooks.start_process()?;

    // The mission locale's receiver fails for a while; the session moves.
    receiver.fail("ml", true);
    let week = &hooks.week;
    let meta = CommandMeta::new(organiser(), "move-1");
    week.scheduling
        .event(
            event,
            event::Command::RescheduleSession(event::RescheduleSession {
                session,
                starts: tuesday(14, 0),
                ends: tuesday(16, 0),
            }),
            &meta,
        )
        .await?;
    // The others are not held up by the failing one.
    eventually("France Travail told of the move", || async {
        Ok((receiver.count("ft", "session.moved") == 1).then_some(()))
    })
    .await?;
    eventually("the mission locale's move retried", || async {
        let (_, page) = hooks
            .get(&format!("/webhooks/{ml_hook}/deliveries"), &ml_key)
            .await?;
        let retried = page["items"].as_array().is_some_and(|items| {
            items.iter().any(|d| {
                d["kind"] == "session.moved"
                    && d["status"] == "pending"
                    && d["attempt_count"].as_u64().is_some_and(|n| n >= 2)
                    && d["attempts"][0]["status"] == 500
            })
        });
        Ok(retried.then_some(()))
    })
    .await?;
    receiver.fail("ml", false);

    // The session is cancelled: everyone holding a registration in it hears.
    let meta = CommandMeta::new(organiser(), "cancel-1");
    hooks
        .week
        .scheduling
        .event(
            event,
            event::Command::CancelSession(event::CancelSession {
                session,
                reason: Reason::parse("Intempéries").unwrap_or_else(|e| panic!("{e}")),
            }),
            &meta,
        )
        .await?;

    // What each should hear of, by kind.
    let expected: &[(&str, &[(&str, usize)])] = &[
        (
            "ml",
            &[
                ("registration.confirmed", 2),
                ("registration.cancelled", 2),
                ("session.moved", 1),
                ("session.cancelled", 1),
            ],
        ),
        (
            "ft",
            &[
                ("registration.promoted", 1),
                ("registration.cancelled", 1),
                ("session.moved", 1),
                ("session.cancelled", 1),
            ],
        ),
        (
            "venue",
            &[
                ("hosting.requested", 2),
                ("session.moved", 1),
                ("session.cancelled", 1),
            ],
        ),
    ];
    for (endpoint, kinds) in expected {
        let total: usize = kinds.iter().map(|(_, n)| n).sum();
        eventually(&format!("every delivery to {endpoint}"), || async {
            Ok((receiver.by_id(endpoint).len() >= total).then_some(()))
        })
        .await?;
    }
    // A moment for anything unexpected to arrive too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (endpoint, kinds) in expected {
        let total: usize = kinds.iter().map(|(_, n)| n).sum();
        assert_eq!(receiver.by_id(endpoint).len(), total, "{endpoint}");
        for (kind, n) in *kinds {
            assert_eq!(receiver.count(endpoint, kind), *n, "{endpoint} {kind}");
        }
    }

    // Every request is signed with its subscription's secret; ids are stable across retries.
    let secrets = BTreeMap::from([
        ("ml", (ml_hook.as_str(), ml_secret.as_str())),
        ("ft", (ft_hook.as_str(), ft_secret.as_str())),
        ("venue", (venue_hook.as_str(), venue_secret.as_str())),
    ]);
    let mut sent_twice = 0;
    let mut seen = BTreeSet::new();
    for received in receiver.all() {
        let (hook, secret) = secrets[received.endpoint.as_str()];
        let header = |name: &str| {
            received
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let timestamp: i64 = header(signature::TIMESTAMP_HEADER).parse()?;
        assert!(
            signature::verify(
                secret.as_bytes(),
                timestamp,
                &received.body,
                &header(signature::SIGNATURE_HEADER)
            ),
            "a bad signature at {}",
            received.endpoint
        );
        let body: Value = serde_json::from_slice(&received.body)?;
        assert_eq!(body["id"], header(signature::ID_HEADER));
        assert_eq!(body["kind"], header(signature::KIND_HEADER));
        assert_eq!(body["subscription"], hook);
        if !seen.insert((received.endpoint.clone(), header(signature::ID_HEADER))) {
            sent_twice += 1;
        }
    }
    assert!(sent_twice >= 1, "the failing receiver got retries");

    // A partner hears of its own registrations only.
    let ml_registrations = [
        first.registration.0.to_string(),
        second.registration.0.to_string(),
    ];
    for body in receiver.by_id("ml").values() {
        if let Some(registration) = body["data"]["registration"].as_str() {
            assert!(
                ml_registrations.contains(&registration.to_owned()),
                "{body}"
            );
        }
    }
    for body in receiver.by_id("ft").values() {
        if let Some(registration) = body["data"]["registration"].as_str() {
            assert_eq!(registration, third.registration.0.to_string(), "{body}");
        }
    }

    // The delivery log: all delivered, the moved one after a 500.
    let (status, page) = hooks
        .get(&format!("/webhooks/{ml_hook}/deliveries?limit=2"), &ml_key)
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let next = page["next"].as_str().unwrap_or_default().to_owned();
    let (_, rest) = hooks
        .get(
            &format!("/webhooks/{ml_hook}/deliveries?limit=200&after={next}"),
            &ml_key,
        )
        .await?;
    let mut all: Vec<Value> = page["items"].as_array().cloned().unwrap_or_default();
    all.extend(rest["items"].as_array().cloned().unwrap_or_default());
    assert_eq!(all.len(), 6);
    assert!(all.iter().all(|d| d["status"] == "delivered"), "{all:?}");
    assert!(all.iter().any(|d| {
        d["kind"] == "session.moved"
            && d["attempts"][0]["status"] == 500
            && d["attempts"]
                .as_array()
                .and_then(|a| a.last())
                .is_some_and(|a| a["status"] == 204)
    }));

    // Deleted, a subscription is heard of no more.
    let (status, _) = hooks.delete(&ft_hook, &ft_key).await?;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = hooks.get("/webhooks", &ft_key).await?;
    assert_eq!(listed["items"], json!([]));
    assert!(
        hooks
            .secrets
            .get(serde_json::from_value(json!(ft_hook))?)
            .await?
            .is_none()
    );

    hooks.stop_process().await?;
    Ok(())
}

/// A partner whose ten receivers accept connections and never answer, with 600 deliveries due,
/// holds only its share of the dispatcher's slots: another partner's deliveries, registered after
/// them, still arrive within their normal delay — each well under one attempt's timeout, which is
/// what waiting for a black hole's slot to free would cost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_hole_partner_delays_only_its_own_deliveries() -> anyhow::Result<()> {
    // Attempts that hang 10 s, as in production: a healthy delivery waiting for a black hole's
    // slot would take that long; its normal delay is a fraction of a second.
    let delivery = DeliveryConfig {
        timeout: Duration::from_secs(10),
        ..config()
    };
    let timeout = delivery.timeout;
    let hooks = Hooks::start_with(delivery).await?;
    let receiver = Receiver::default();
    let base = receiver.serve().await?;
    // The black hole: every connection accepted, kept, never answered.
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hole_url = format!("http://{}", hole.local_addr()?);
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hole.accept().await {
            held.push(socket);
        }
    });
    let week = &hooks.week;
    let (_, _, session) = week
        .open_session(200, tuesday(9, 0), tuesday(11, 0))
        .await?;
    week.declare_partner("hole").await?;
    week.declare_partner("healthy").await?;
    let keys = &hooks.state.keys;
    let hole_key = keys.create(Role::Partner(partner_id("hole"))).await?.1;
    let healthy_key = keys.create(Role::Partner(partner_id("healthy"))).await?.1;
    for n in 0..10 {
        hooks
            .subscribe(
                hole_key.expose(),
                &format!("{hole_url}/hooks/hole-{n}"),
                &["registration.confirmed"],
            )
            .await?;
    }
    hooks
        .subscribe(
            healthy_key.expose(),
            &format!("{base}/hooks/healthy"),
            &["registration.confirmed"],
        )
        .await?;
    for n in 0..60 {
        week.register(
            "hole",
            &format!("h-{n}"),
            session,
            Audience::YoungPeople,
            &format!("h-{n}"),
        )
        .await?;
    }
    for n in 0..3 {
        let registered = std::time::Instant::now();
        week.register(
            "healthy",
            &format!("ok-{n}"),
            session,
            Audience::YoungPeople,
            &format!("ok-{n}"),
        )
        .await?;
        eventually(&format!("the healthy partner's delivery {n}"), || async {
            Ok((receiver.count("healthy", "registration.confirmed") > n).then_some(()))
        })
        .await?;
        let took = registered.elapsed();
        assert!(
            took < timeout / 2,
            "delivery {n} took {took:?}: it waited for a black hole's attempt ({timeout:?})"
        );
    }
    Ok(())
}
