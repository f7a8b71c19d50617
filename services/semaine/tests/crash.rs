//! The crash matrix: the real `semaine up` binary serves a registration rush through HTTP while
//! the nats-server, semaine, or both at once are SIGKILLed and started again on their stores.
//!
//! The test starts its own nats-server (the harness's [`TestNats`]: a free port, a temporary
//! store, `sync_interval: always` as in production) and runs the binary as a child process
//! against it (`--nats-url`), so each can be killed alone. It lives in this package because
//! Cargo gives the path of a binary (`CARGO_BIN_EXE_semaine`, built fresh for the test) to the
//! tests of the binary's own package only. Keys are made with `semaine keys create`; the
//! organiser builds an edition, venues register and confirm three sessions, partners and venues
//! subscribe webhooks to a receiver in the test that checks every signature; all through HTTP.
//!
//! Partners' front-ends then register people, several at once, and behave as real ones do: a
//! request that gets no answer (a refused connection, a timeout, a 5xx, a 429) is sent again
//! with the same `Idempotency-Key` until it gets one. A third of the way in, the crash. After
//! recovery (and two cancellations per session, whose freed seats promote waiting people):
//!
//! - every registration answered `201` exists exactly once, in the log and through the API,
//!   with the status it was answered with (or promoted since); nothing else was registered;
//! - no session holds more confirmed seats than its venue confirmed;
//! - each waiting list is the log's order of waiting registrations, the promoted ones its head;
//! - every read model, once semaine stopped, equals a clean `semaine rebuild all` into another
//!   data directory, tree by tree and key by key (the runners' checkpoints compared apart);
//! - every event a subscription matches reached the receiver at least once, signed;
//! - the binary's logs hold none of the seeded names and emails.
//!
//! `SEMAINE_SOAK=1` runs a longer rush with three crashes in a row per scenario.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use bytes::Bytes;
use eventlog::{AggregateKey, EventLog, LogConfig};
use futures_util::StreamExt;
use gateway::stack::axum::extract::{Path as UrlPath, State};
use gateway::stack::axum::http::{HeaderMap, StatusCode};
use gateway::stack::axum::routing::post;
use gateway::stack::axum::{self, Router};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use proto::contract::EventContract;
use proto::registration::RegistrationId;
use proto::registration::session::Event as SeatsEvent;
use proto::values::{SessionId, VenueId};
use registration::Registrations;
use registration::identities::Identities;
use serde_json::{Value, json};
use tests::TestNats;
use uuid::Uuid;

/// The partners registering people; each subscribes a webhook.
const PARTNERS: [&str; 3] = [
    "mission-locale-gap",
    "france-travail-gap",
    "lycee-aristide-briand",
];

/// Seats each venue confirms per session.
const SEATS: u32 = 12;

/// How many front-ends send at once.
const CONCURRENCY: usize = 16;

/// How long one request may go unanswered before the front-end sends it again.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a front-end keeps sending one request before the test fails.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// How long the killed parts stay down.
const DOWN_FOR: Duration = Duration::from_secs(1);

/// How long a start of `semaine up` may take until `/readyz` answers 200.
const READY_WAIT: Duration = Duration::from_secs(60);

/// How many people each scenario registers, and how many crashes it goes through.
fn rush_size() -> (usize, usize) {
    if std::env::var_os("SEMAINE_SOAK").is_some_and(|v| v == "1") {
        (900, 3)
    } else {
        (150, 1)
    }
}

/// What is SIGKILLed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Crash {
    /// The nats-server; semaine keeps running and reconnects.
    Nats,
    /// semaine; the nats-server keeps running.
    Semaine,
    /// Both at once.
    Both,
}

// ---------------------------------------------------------------------------------------------
// The binary.

/// `semaine up`, run and SIGKILLed as an operator's machine would: its stdout and stderr (every
/// run's, appended) kept in one file, searched for personal data at the end.
struct Semaine {
    /// Its data directory, kept across restarts.
    data_dir: PathBuf,
    /// The test's nats-server.
    nats_url: String,
    /// Where the gateway listens, the same at every start (clients keep their address).
    http: SocketAddr,
    /// Every run's output.
    output: PathBuf,
    /// The running `up`, if any.
    child: Option<Child>,
}

impl Drop for Semaine {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The environment variables the binary reads; the test sets what they mean through flags.
const SEMAINE_VARS: [&str; 9] = [
    "SEMAINE_DATA_DIR",
    "SEMAINE_LOG_FORMAT",
    "SEMAINE_NATS_URL",
    "SEMAINE_REPLICAS",
    "SEMAINE_NO_SYNC_ALWAYS",
    "SEMAINE_DEMO",
    "SEMAINE_HTTP",
    "SEMAINE_ONLY",
    "SEMAINE_WEBHOOKS_ALLOW_PRIVATE",
];

impl Semaine {
    fn new(data_dir: &Path, nats_url: String, http: SocketAddr) -> Self {
        Self {
            data_dir: data_dir.to_owned(),
            nats_url,
            http,
            output: data_dir.with_extension("log"),
            child: None,
        }
    }

    /// `semaine --data-dir <data_dir> --nats-url … <args>`, with none of the caller's settings.
    fn command(&self, data_dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_semaine"));
        for var in SEMAINE_VARS {
            command.env_remove(var);
        }
        command
            .env("RUST_LOG", "info")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--nats-url", &self.nats_url])
            .args(["--http", &self.http.to_string()])
            // The test's receiver is on loopback.
            .arg("--webhooks-allow-private")
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// Runs a command that exits by itself.
    fn run_to_end(&self, data_dir: &Path, args: &[&str]) -> Result<Output> {
        let output = self
            .command(data_dir, args)
            .output()
            .with_context(|| format!("cannot run semaine {args:?}"))?;
        ensure!(
            output.status.success(),
            "semaine {args:?} exited with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(output)
    }

    /// `semaine keys create`: the secret it prints once.
    fn create_key(&self, role: &str, scope: &str) -> Result<String> {
        let output = self.run_to_end(
            &self.data_dir,
            &["keys", "create", "--role", role, "--scope", scope],
        )?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        Ok(stdout
            .split_whitespace()
            .find(|word| word.starts_with("semaine_"))
            .with_context(|| format!("no secret printed: {stdout}"))?
            .to_owned())
    }

    /// Starts `semaine up` and waits until `/readyz` answers 200.
    async fn up(&mut self, http: &Http) -> Result<Duration> {
        let started = Instant::now();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.output)?;
        let child = self
            .command(&self.data_dir, &["up"])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start semaine up")?;
        self.child = Some(child);
        while started.elapsed() < READY_WAIT {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!("semaine up exited with {status}:\n{}", self.output_tail());
            }
            if matches!(http.get("/readyz", None).await, Ok((200, _))) {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "semaine up not ready after {READY_WAIT:?}:\n{}",
            self.output_tail()
        )
    }

    /// SIGKILL, as a crash would.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as a service manager stops it; waits for the exit.
    async fn terminate(&mut self) -> Result<ExitStatus> {
        let mut child = self.child.take().context("semaine is not running")?;
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        ensure!(status.success(), "kill -TERM failed: {status}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!("semaine still ran 30 s after SIGTERM")
    }

    /// Everything every run wrote.
    fn output_text(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    fn output_tail(&self) -> String {
        let text = self.output_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

/// A free loopback port (free now: the gateway binds it a moment later).
fn free_address() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

// ---------------------------------------------------------------------------------------------
// HTTP, as partners' front-ends speak it.

/// A plain HTTP/1.1 client to the gateway, each request bounded by [`REQUEST_TIMEOUT`].
#[derive(Clone)]
struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
}

/// Why a request got no answer to act on: sent again.
#[derive(Debug)]
enum NoAnswer {
    /// Refused, reset, closed: nobody listening.
    Connection(String),
    /// No answer within [`REQUEST_TIMEOUT`].
    Timeout,
    /// An answer that says "try again": a 5xx or a 429, with its problem code.
    Retry(u16, String),
}

impl NoAnswer {
    fn kind(&self) -> String {
        match self {
            Self::Connection(error) => format!("connection: {error}"),
            Self::Timeout => format!("no answer within {REQUEST_TIMEOUT:?}"),
            Self::Retry(status, code) => format!("{status} {code}"),
        }
    }
}

impl Http {
    fn new(address: SocketAddr) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(1)));
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: format!("http://{address}"),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        secret: Option<&str>,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Result<(u16, Value), NoAnswer> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(secret) = secret {
            request = request.header("authorization", format!("Bearer {secret}"));
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Full::new(Bytes::from(body.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let request = request
            .body(body)
            .map_err(|e| NoAnswer::Connection(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| NoAnswer::Connection(e.to_string()))?;
            let status = response.status().as_u16();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| NoAnswer::Connection(e.to_string()))?
                .to_bytes();
            Ok((
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            ))
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(Ok((status, body))) if status >= 500 || status == 429 => Err(NoAnswer::Retry(
                status,
                body["code"].as_str().unwrap_or("").to_owned(),
            )),
            Ok(answer) => answer,
            Err(_) => Err(NoAnswer::Timeout),
        }
    }

    async fn get(&self, path: &str, secret: Option<&str>) -> Result<(u16, Value), NoAnswer> {
        self.send("GET", path, secret, None, None).await
    }
}

/// What the front-ends went through, for the figures.
#[derive(Default)]
struct Seen {
    /// Requests sent again after no answer.
    retries: AtomicUsize,
    /// Each kind of no-answer, counted.
    kinds: Mutex<BTreeMap<String, usize>>,
    /// When each decisive answer came.
    answered_at: Mutex<Vec<Instant>>,
}

impl Seen {
    fn count(&self, no_answer: &NoAnswer) {
        self.retries.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut kinds) = self.kinds.lock() {
            *kinds.entry(no_answer.kind()).or_insert(0) += 1;
        }
    }
}

/// Sends a POST until it gets a decisive answer (a 2xx or a 4xx other than 429), with the same
/// idempotency key each time, as a partner's front-end does after a timeout.
async fn until_answered(
    http: &Http,
    seen: &Seen,
    path: &str,
    secret: &str,
    key: &str,
    body: Option<&Value>,
) -> Result<(u16, Value)> {
    let started = Instant::now();
    loop {
        match http.send("POST", path, Some(secret), Some(key), body).await {
            Ok(answer) => {
                if let Ok(mut at) = seen.answered_at.lock() {
                    at.push(Instant::now());
                }
                return Ok(answer);
            }
            Err(no_answer) => {
                seen.count(&no_answer);
                ensure!(
                    started.elapsed() < GIVE_UP_AFTER,
                    "POST {path} (key {key}) still unanswered after {GIVE_UP_AFTER:?}: {no_answer:?}"
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends a POST until answered, and expects `expected`.
async fn command(
    http: &Http,
    seen: &Seen,
    path: &str,
    secret: &str,
    key: &str,
    body: Option<&Value>,
    expected: u16,
) -> Result<Value> {
    let (status, answer) = until_answered(http, seen, path, secret, key, body).await?;
    ensure!(status == expected, "POST {path}: {status} {answer}");
    Ok(answer)
}

// ---------------------------------------------------------------------------------------------
// The webhook receiver.

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    /// Which endpoint (`/hooks/<name>`).
    endpoint: String,
    headers: HeaderMap,
    body: Bytes,
}

/// Records every delivery; answers 204.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
}

async fn receive(
    State(receiver): State<Receiver>,
    UrlPath(endpoint): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Ok(mut received) = receiver.received.lock() {
        received.push(Received {
            endpoint,
            headers,
            body,
        });
    }
    StatusCode::NO_CONTENT
}

impl Receiver {
    /// Serves on a free port; returns its base URL.
    async fn serve(&self) -> Result<String> {
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

    fn all(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The event ids delivered to `endpoint`, each once, and how many requests it took.
    fn ids(&self, endpoint: &str) -> (BTreeSet<Uuid>, usize) {
        let mut ids = BTreeSet::new();
        let mut requests = 0;
        for received in self.all().into_iter().filter(|r| r.endpoint == endpoint) {
            requests += 1;
            let body: Value = serde_json::from_slice(&received.body).unwrap_or(Value::Null);
            if let Some(id) = body["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
                ids.insert(id);
            }
        }
        (ids, requests)
    }
}

// ---------------------------------------------------------------------------------------------
// The week, built through HTTP.

/// A seeded person: what must never reach a log line.
fn identity(n: usize) -> Value {
    json!({
        "first_name": format!("Ombeline{n}x"),
        "last_name": format!("Quenneville{n}q"),
        "email": format!("ombeline.quenneville{n}@courriel-test.fr"),
    })
}

fn venue_body(name: &str) -> Value {
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    json!({
        "name": name,
        "kind": "ehpad",
        "address": {
            "street": "12 rue des Alpes",
            "postcode": "05000",
            "town": "Gap",
            "insee_code": "05061",
        },
        "contact": { "name": "Accueil" },
        "rooms": [{ "id": "salle-polyvalente", "name": "Salle polyvalente", "max_capacity": 30 }],
        "opening_hours": weekdays
            .iter()
            .map(|day| json!({ "day": day, "opens": "08:00:00", "closes": "18:00:00" }))
            .collect::<Vec<_>>(),
    })
}

/// One session of the week: where, and whose.
#[derive(Debug, Clone, Copy)]
struct Opened {
    session: SessionId,
    venue: usize,
}

/// Everything the rush needs: keys, sessions, subscriptions.
struct Week {
    partner_keys: Vec<String>,
    venues: Vec<VenueId>,
    sessions: Vec<Opened>,
    /// Endpoint name → (subscription id, secret).
    subscriptions: BTreeMap<String, (String, String)>,
}

/// Keys first (`semaine keys create`, before `up`: it holds the data directory).
/// The secrets `semaine keys create` printed, and the venues the venue keys are for.
struct Keys {
    organiser: String,
    venues: Vec<VenueId>,
    venue_keys: Vec<String>,
    partner_keys: Vec<String>,
}

fn make_keys(semaine: &Semaine) -> Result<Keys> {
    let organiser = semaine.create_key("organiser", "*")?;
    let venues = vec![VenueId(Uuid::now_v7()), VenueId(Uuid::now_v7())];
    let venue_keys = venues
        .iter()
        .map(|venue| semaine.create_key("venue", &venue.to_string()))
        .collect::<Result<Vec<_>>>()?;
    let partner_keys = PARTNERS
        .iter()
        .map(|partner| semaine.create_key("partner", partner))
        .collect::<Result<Vec<_>>>()?;
    Ok(Keys {
        organiser,
        venues,
        venue_keys,
        partner_keys,
    })
}

/// The organiser's edition and event, two venues, three sessions confirmed, three partners
/// declared, every webhook subscribed to `hooks`.
async fn build_week(http: &Http, seen: &Seen, keys: Keys, hooks: &str) -> Result<Week> {
    let Keys {
        organiser,
        venues,
        venue_keys,
        partner_keys,
    } = keys;
    let mut subscriptions = BTreeMap::new();
    let mut subscribe = async |secret: &str, endpoint: String, kinds: &[&str]| -> Result<()> {
        let answer = command(
            http,
            seen,
            "/webhooks",
            secret,
            &format!("subscribe-{endpoint}"),
            Some(&json!({ "url": format!("{hooks}/hooks/{endpoint}"), "kinds": kinds })),
            201,
        )
        .await?;
        let id = answer["subscription"].as_str().unwrap_or_default();
        let secret = answer["secret"].as_str().unwrap_or_default();
        subscriptions.insert(endpoint, (id.to_owned(), secret.to_owned()));
        Ok(())
    };
    for (n, (venue, key)) in venues.iter().zip(&venue_keys).enumerate() {
        let answer = command(
            http,
            seen,
            "/venues",
            key,
            "register",
            Some(&venue_body(&format!("EHPAD numéro {n}"))),
            201,
        )
        .await?;
        ensure!(answer["venue"] == venue.to_string(), "{answer}");
        subscribe(key, format!("venue-{n}"), &["hosting.requested"]).await?;
    }
    for (partner, key) in PARTNERS.iter().zip(&partner_keys) {
        command(
            http,
            seen,
            &format!("/partners/{partner}"),
            &organiser,
            &format!("declare-{partner}"),
            Some(&json!({ "name": format!("Partenaire {partner}"), "kind": "other" })),
            200,
        )
        .await?;
        subscribe(
            key,
            (*partner).to_owned(),
            &[
                "registration.confirmed",
                "registration.promoted",
                "registration.cancelled",
            ],
        )
        .await?;
    }

    let edition = command(
        http,
        seen,
        "/editions",
        &organiser,
        "edition",
        Some(&json!({
            "name": "Semaine des métiers du social — Hautes-Alpes 2027",
            "territory": "05",
            "first_day": "2027-04-12",
            "last_day": "2027-04-23",
            "organisers": ["dep-05"],
        })),
        201,
    )
    .await?;
    let edition = edition["edition"].as_str().unwrap_or_default().to_owned();
    let event = command(
        http,
        seen,
        "/events",
        &organiser,
        "event",
        Some(&json!({
            "edition": edition,
            "about": {
                "kind": "open_door",
                "title": "Portes ouvertes",
                "themes": ["elderly_autonomy"],
                "audiences": ["young_people", "job_seekers"],
            },
        })),
        201,
    )
    .await?;
    let event = event["event"].as_str().unwrap_or_default().to_owned();

    // Two sessions at the first venue one after the other, one at the second.
    let mut sessions = Vec::new();
    for (venue, hour) in [(0, 9), (0, 10), (1, 9)] {
        let session = SessionId(Uuid::now_v7());
        command(
            http,
            seen,
            &format!("/events/{event}/sessions"),
            &organiser,
            &format!("session-{session}"),
            Some(&json!({
                "session": session,
                "starts": format!("2027-04-13T{hour:02}:00:00"),
                "ends": format!("2027-04-13T{:02}:00:00", hour + 1),
                "venue": venues[venue],
                "room": "salle-polyvalente",
                "capacity_wanted": SEATS,
            })),
            201,
        )
        .await?;
        sessions.push(Opened { session, venue });
    }
    for opened in &sessions {
        let venue = venues[opened.venue];
        let key = &venue_keys[opened.venue];
        let request = eventually("the venue asked to host", || async {
            let Ok((200, page)) = http
                .get(&format!("/venues/{venue}/hosting"), Some(key))
                .await
            else {
                return Ok(None);
            };
            Ok(page["items"].as_array().and_then(|items| {
                items
                    .iter()
                    .find(|item| item["session"] == opened.session.to_string())
                    .and_then(|item| item["request"].as_u64())
            }))
        })
        .await?;
        command(
            http,
            seen,
            &format!("/venues/{venue}/hosting/{}/confirm", opened.session),
            key,
            &format!("confirm-{}", opened.session),
            Some(&json!({ "request": request, "capacity": SEATS })),
            200,
        )
        .await?;
    }
    Ok(Week {
        partner_keys,
        venues,
        sessions,
        subscriptions,
    })
}

/// Asks `look` every 50 ms, for at most 30 seconds, until it finds something.
async fn eventually<T, F, Fut>(what: &str, look: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(found) = look().await? {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("gave up waiting for {what}")
}

// ---------------------------------------------------------------------------------------------
// The rush.

/// One person a partner registers.
#[derive(Debug, Clone)]
struct Person {
    n: usize,
    partner: usize,
    session: usize,
}

impl Person {
    fn body(&self, session: SessionId) -> Value {
        json!({
            "session": session,
            "reference": format!("dossier-{}", self.n),
            "attendee": { "kind": "person" },
            "profile": { "audience": "young_people", "age_band": "from16_to25", "town": "05061" },
            "identity": identity(self.n),
        })
    }
}

/// The answer a person's registration got.
#[derive(Debug, Clone)]
struct Answered {
    person: Person,
    registration: RegistrationId,
    confirmed: bool,
}

fn read_answer(person: &Person, status: u16, answer: &Value) -> Result<Answered> {
    ensure!(
        status == 201,
        "person {} refused: {status} {answer}",
        person.n
    );
    let registration = answer["registration"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .with_context(|| format!("no registration in {answer}"))?;
    let confirmed = match answer["status"].as_str() {
        Some("confirmed") => true,
        Some("waiting") => false,
        other => bail!("person {}: status {other:?}", person.n),
    };
    Ok(Answered {
        person: person.clone(),
        registration: RegistrationId(registration),
        confirmed,
    })
}

/// Registers one person until answered.
async fn register(http: &Http, seen: &Seen, week: &Week, person: &Person) -> Result<Answered> {
    let session = week.sessions[person.session].session;
    let (status, answer) = until_answered(
        http,
        seen,
        "/registrations",
        &week.partner_keys[person.partner],
        &format!("rush-{}", person.n),
        Some(&person.body(session)),
    )
    .await?;
    read_answer(person, status, &answer)
}

/// When the crash happened and how long each step of the recovery took.
#[derive(Debug, Default, Clone)]
struct Recovery {
    /// Answers before the crash.
    answered_before: usize,
    crashed_at: Option<Instant>,
    restarted_at: Option<Instant>,
    /// From the restart of `semaine up` to `/readyz` 200.
    ready_after: Duration,
}

/// SIGKILLs what the scenario says, waits [`DOWN_FOR`], starts it again.
async fn crash_and_restart(
    crash: Crash,
    nats: &TestNats,
    semaine: &tokio::sync::Mutex<Semaine>,
    http: &Http,
) -> Result<(Instant, Instant, Duration)> {
    let crashed_at = Instant::now();
    match crash {
        Crash::Nats => nats.kill().await,
        Crash::Semaine => semaine.lock().await.kill(),
        Crash::Both => {
            semaine.lock().await.kill();
            nats.kill().await;
        }
    }
    tokio::time::sleep(DOWN_FOR).await;
    let restarted_at = Instant::now();
    let mut ready_after = Duration::ZERO;
    if matches!(crash, Crash::Nats | Crash::Both) {
        nats.restart().await?;
    }
    if matches!(crash, Crash::Semaine | Crash::Both) {
        ready_after = semaine.lock().await.up(http).await?;
    }
    Ok((crashed_at, restarted_at, ready_after))
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// What the log holds of one session's seats.
#[derive(Default)]
struct SeatsLog {
    /// Every registration made, with how many times it was made (confirmed or waitlisted).
    made: BTreeMap<RegistrationId, usize>,
    /// The waiting registrations, in log order.
    waitlisted: Vec<RegistrationId>,
    /// The promoted registrations, in log order.
    promoted: Vec<RegistrationId>,
    /// Events each partner's subscription matches: event id by partner.
    notices: BTreeMap<String, BTreeSet<Uuid>>,
}

async fn seats_log(log: &EventLog, session: SessionId) -> Result<SeatsLog> {
    let mut found = SeatsLog::default();
    for recorded in log
        .read_commits(&registration::seats_key(session), 0)
        .await?
    {
        for stored in recorded.commit.events {
            let id = stored.envelope.id;
            let event = SeatsEvent::decode(&stored.event_type, stored.version, &stored.data)?;
            let mut notice = |partner: &proto::values::PartnerId| {
                found
                    .notices
                    .entry(partner.as_str().to_owned())
                    .or_default()
                    .insert(id);
            };
            match event {
                SeatsEvent::Confirmed(made) => {
                    notice(&made.partner);
                    *found.made.entry(made.registration).or_insert(0) += 1;
                }
                SeatsEvent::Waitlisted(made) => {
                    *found.made.entry(made.registration).or_insert(0) += 1;
                    found.waitlisted.push(made.registration);
                }
                SeatsEvent::Promoted(one) => {
                    notice(&one.partner);
                    found.promoted.push(one.registration);
                }
                SeatsEvent::Cancelled(gone) => notice(&gone.partner),
                _ => {}
            }
        }
    }
    Ok(found)
}

/// The `HostingRequested` events of a venue.
async fn hosting_requests(log: &EventLog, venue: VenueId) -> Result<BTreeSet<Uuid>> {
    let key: AggregateKey = venues::venue_key(venue);
    Ok(log
        .read_commits(&key, 0)
        .await?
        .into_iter()
        .flat_map(|recorded| recorded.commit.events)
        .filter(|stored| stored.event_type == "HostingRequested")
        .map(|stored| stored.envelope.id)
        .collect())
}

/// A partner's registrations in a session through the API: registration → status.
async fn listed(
    http: &Http,
    secret: &str,
    session: SessionId,
) -> Result<BTreeMap<RegistrationId, String>> {
    let mut found = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/registrations?session={session}&limit=200");
        if let Some(cursor) = &after {
            path.push_str(&format!("&after={cursor}"));
        }
        let (status, page) = http
            .get(&path, Some(secret))
            .await
            .map_err(|e| anyhow::anyhow!("GET {path}: {e:?}"))?;
        ensure!(status == 200, "GET {path}: {status} {page}");
        for item in page["items"].as_array().cloned().unwrap_or_default() {
            let id = item["registration"]
                .as_str()
                .and_then(|id| Uuid::parse_str(id).ok())
                .context("an item without a registration")?;
            let previous = found.insert(
                RegistrationId(id),
                item["status"].as_str().unwrap_or_default().to_owned(),
            );
            ensure!(previous.is_none(), "{id} listed twice");
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return Ok(found),
        }
    }
}

/// Waits until every read model and the webhooks process have read the whole log.
async fn caught_up(http: &Http) -> Result<()> {
    let last = Mutex::new(String::new());
    eventually("every projection caught up (lag 0)", || async {
        let Ok((200, _)) = http.get("/readyz", None).await else {
            return Ok(None);
        };
        let text = metrics(http).await?;
        let lags: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("semaine_projection_lag{"))
            .collect();
        if let Ok(mut last) = last.lock() {
            *last = lags.join("\n");
        }
        Ok((!lags.is_empty() && lags.iter().all(|line| line.ends_with(" 0"))).then_some(()))
    })
    .await
    .with_context(|| last.lock().map(|l| l.clone()).unwrap_or_default())
}

/// Waits until the read models have read everything and the log stays still: the processes'
/// last reactions (the agenda keeper's to the cancellations) are carried out after the events
/// that caused them are read, and write more.
async fn settled(http: &Http, log: &EventLog) -> Result<()> {
    let streams = semaine::registry::streams();
    let last = || async {
        let mut last = Vec::new();
        for stream in &streams {
            last.push(log.last_sequence(stream.name).await?);
        }
        anyhow::Ok(last)
    };
    for _ in 0..30 {
        caught_up(http).await?;
        let before = last().await?;
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        caught_up(http).await?;
        if last().await? == before {
            return Ok(());
        }
    }
    bail!("the log kept growing after the rush")
}

/// `GET /metrics` as text (the JSON reader of [`Http`] does not apply).
async fn metrics(http: &Http) -> Result<String> {
    let request = hyper::Request::builder()
        .uri(format!("{}/metrics", http.base))
        .body(Full::new(Bytes::new()))?;
    let response = tokio::time::timeout(REQUEST_TIMEOUT, http.client.request(request)).await??;
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Every projection's store under `<data_dir>/projections`, dumped: name → trees.
fn dump_projections(data_dir: &Path) -> Result<BTreeMap<String, tests::StoreDump>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(data_dir.join("projections"))? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let db = sled::open(entry.path())?;
        all.insert(name, tests::dump(&db)?);
    }
    Ok(all)
}

/// The runners' own tree: the checkpoint of each stream (compared apart from the views).
const CHECKPOINTS: &[u8] = b"__checkpoints";

/// The last `n` commits of `stream`, one line each (sequence, aggregate, event types, key), for
/// a failure's message.
async fn log_tail(log: &EventLog, stream: &str, n: u64) -> String {
    let Ok(last) = log.last_sequence(stream).await else {
        return format!("{stream}: unreadable");
    };
    let mut lines = vec![format!("the last commits of {stream}:")];
    for seq in last.saturating_sub(n) + 1..=last {
        let line = match log.read_commit_at(stream, seq).await {
            Ok(recorded) => recorded
                .commit
                .events
                .iter()
                .map(|e| {
                    format!(
                        "{seq} {} {} {:?}",
                        e.envelope.aggregate, e.event_type, e.envelope.idempotency_key
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("{seq}: {e}"),
        };
        lines.push(line);
    }
    lines.join("\n")
}

/// A dump's rows as text, for messages.
fn readable(trees: &tests::StoreDump) -> Vec<(String, String)> {
    trees
        .iter()
        .flat_map(|(_, rows)| rows)
        .map(|(key, value)| {
            (
                String::from_utf8_lossy(key).into_owned(),
                match <[u8; 8]>::try_from(value.as_slice()) {
                    Ok(seq) => u64::from_be_bytes(seq).to_string(),
                    Err(_) => String::from_utf8_lossy(value).into_owned(),
                },
            )
        })
        .collect()
}

/// Compares the live stores with the rebuilt ones; returns how many rows were compared.
fn compare_with_rebuild(
    live: &BTreeMap<String, tests::StoreDump>,
    rebuilt: &BTreeMap<String, tests::StoreDump>,
) -> Result<usize> {
    ensure!(
        live.keys().eq(rebuilt.keys()),
        "projections differ: {:?} live, {:?} rebuilt",
        live.keys().collect::<Vec<_>>(),
        rebuilt.keys().collect::<Vec<_>>()
    );
    let mut rows = 0;
    for (name, live_trees) in live {
        let rebuilt_trees = &rebuilt[name];
        let split = |trees: &tests::StoreDump| {
            let (checkpoints, views): (Vec<_>, Vec<_>) = trees
                .iter()
                .cloned()
                .partition(|(tree, _)| tree.as_slice() == CHECKPOINTS);
            (checkpoints, views)
        };
        let (live_checkpoints, live_views) = split(live_trees);
        let (rebuilt_checkpoints, rebuilt_views) = split(rebuilt_trees);
        let names = |views: &tests::StoreDump| -> Vec<String> {
            views
                .iter()
                .map(|(tree, _)| String::from_utf8_lossy(tree).into_owned())
                .collect()
        };
        ensure!(
            names(&live_views) == names(&rebuilt_views),
            "{name}: trees {:?} live, {:?} rebuilt",
            names(&live_views),
            names(&rebuilt_views)
        );
        for ((tree, live_rows), (_, rebuilt_rows)) in live_views.iter().zip(&rebuilt_views) {
            let tree = String::from_utf8_lossy(tree);
            if live_rows != rebuilt_rows {
                let first = live_rows
                    .iter()
                    .zip(rebuilt_rows)
                    .find(|(a, b)| a != b)
                    .map(|(a, b)| {
                        format!(
                            "live {:?} = {:?}\nrebuilt {:?} = {:?}",
                            String::from_utf8_lossy(&a.0),
                            String::from_utf8_lossy(&a.1),
                            String::from_utf8_lossy(&b.0),
                            String::from_utf8_lossy(&b.1)
                        )
                    })
                    .unwrap_or_default();
                bail!(
                    "{name}/{tree}: {} rows live, {} rebuilt; first difference:\n{first}",
                    live_rows.len(),
                    rebuilt_rows.len()
                );
            }
            rows += live_rows.len();
        }
        ensure!(
            live_checkpoints == rebuilt_checkpoints,
            "{name}: the live checkpoints are not where the rebuild stopped: live {:?}, rebuilt {:?}",
            readable(&live_checkpoints),
            readable(&rebuilt_checkpoints)
        );
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// One scenario.

/// What a scenario measured, printed for docs/reliability.md.
#[derive(Debug)]
struct Figures {
    crash: Crash,
    people: usize,
    crashes: usize,
    answered_before: Vec<usize>,
    retries: usize,
    kinds: BTreeMap<String, usize>,
    /// From the crash to the first decisive answer after it, per crash.
    first_answer_after: Vec<Duration>,
    /// From the restart to `/readyz` 200, per crash (semaine restarted only).
    ready_after: Vec<Duration>,
    /// From the last restart until every read model had read the whole log.
    caught_up_after: Duration,
    deliveries: usize,
    delivery_requests: usize,
    rows_compared: usize,
    whole: Duration,
}

async fn crash_matrix(crash: Crash) -> Result<Figures> {
    let started = Instant::now();
    let (people, crashes) = rush_size();
    let nats = TestNats::start().await?;
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("data");
    let http_address = free_address()?;
    let http = Http::new(http_address);
    let receiver = Receiver::default();
    let hooks = receiver.serve().await?;

    let mut semaine = Semaine::new(&data_dir, nats.url(), http_address);
    let keys = make_keys(&semaine)?;
    semaine.up(&http).await?;
    let setup = Seen::default();
    let week = Arc::new(build_week(&http, &setup, keys, &hooks).await?);

    // One person per session first: once answered, the session's seats are open.
    let mut answered = Vec::new();
    for session in 0..week.sessions.len() {
        let person = Person {
            n: session,
            partner: session % PARTNERS.len(),
            session,
        };
        let session_id = week.sessions[session].session;
        let first = eventually("the seats open", || async {
            let (status, answer) = until_answered(
                &http,
                &setup,
                "/registrations",
                &week.partner_keys[person.partner],
                &format!("rush-{}", person.n),
                Some(&person.body(session_id)),
            )
            .await?;
            Ok(if status == 409 && answer["code"] == "seats-not-open" {
                None
            } else {
                Some(read_answer(&person, status, &answer)?)
            })
        })
        .await?;
        answered.push(first);
    }

    // The rush, and the crash(es) in it.
    let semaine = Arc::new(tokio::sync::Mutex::new(semaine));
    let seen = Arc::new(Seen::default());
    let count = Arc::new(AtomicUsize::new(0));
    let start = week.sessions.len();
    let rush = futures_util::stream::iter(start..people)
        .map(|n| {
            let (http, seen, week, count) =
                (http.clone(), seen.clone(), week.clone(), count.clone());
            async move {
                let person = Person {
                    n,
                    partner: n % PARTNERS.len(),
                    session: n % week.sessions.len(),
                };
                let outcome = register(&http, &seen, &week, &person).await;
                count.fetch_add(1, Ordering::SeqCst);
                outcome
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>();
    let crasher = {
        let (count, semaine, http) = (count.clone(), semaine.clone(), http.clone());
        let nats = &nats;
        async move {
            let mut recoveries = Vec::new();
            for k in 0..crashes {
                let at = (people - start) * (k + 1) / (crashes + 2);
                while count.load(Ordering::SeqCst) < at {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let answered_before = count.load(Ordering::SeqCst);
                let (crashed_at, restarted_at, ready_after) =
                    crash_and_restart(crash, nats, &semaine, &http).await?;
                recoveries.push(Recovery {
                    answered_before,
                    crashed_at: Some(crashed_at),
                    restarted_at: Some(restarted_at),
                    ready_after,
                });
            }
            anyhow::Ok(recoveries)
        }
    };
    let (outcomes, recoveries) = tokio::join!(rush, crasher);
    let recoveries = recoveries?;
    for outcome in outcomes {
        answered.push(outcome?);
    }
    ensure!(answered.len() == people, "not every person was answered");
    for recovery in &recoveries {
        ensure!(
            recovery.answered_before < people - start,
            "the crash landed after the rush"
        );
    }

    // Every read model and the webhooks process catch up with what the rush wrote.
    caught_up(&http).await?;
    let caught_up_after = recoveries
        .last()
        .and_then(|r| r.restarted_at)
        .map(|at| at.elapsed())
        .unwrap_or_default();

    // Two cancellations per session after recovery: the freed seats promote the oldest waiting.
    let mut cancelled = BTreeSet::new();
    for (index, opened) in week.sessions.iter().enumerate() {
        let firsts: Vec<&Answered> = answered
            .iter()
            .filter(|a| a.person.session == index && a.confirmed)
            .take(2)
            .collect();
        for first in firsts {
            command(
                &http,
                &seen,
                &format!(
                    "/sessions/{}/registrations/{}/cancel",
                    opened.session, first.registration.0
                ),
                &week.partner_keys[first.person.partner],
                &format!("cancel-{}", first.person.n),
                None,
                200,
            )
            .await?;
            cancelled.insert(first.registration);
        }
    }

    // The read models have read everything the rush and the cancellations wrote.
    caught_up(&http).await?;

    // The log: read by the test on its own connection.
    let log = nats
        .open_log(LogConfig::new(semaine::registry::streams()))
        .await?;
    let identities = Identities::open(log.jetstream(), 1).await?;
    let registrations = Registrations::new(log.clone(), identities);
    let mut expected_notices: BTreeMap<String, BTreeSet<Uuid>> = BTreeMap::new();
    for (index, opened) in week.sessions.iter().enumerate() {
        let in_log = seats_log(&log, opened.session).await?;
        let answered_here: BTreeMap<RegistrationId, &Answered> = answered
            .iter()
            .filter(|a| a.person.session == index)
            .map(|a| (a.registration, a))
            .collect();
        ensure!(
            answered_here.len()
                == answered
                    .iter()
                    .filter(|a| a.person.session == index)
                    .count(),
            "session {index}: two people answered with one registration"
        );
        // Exactly once, and nothing unanswered.
        for (registration, times) in &in_log.made {
            ensure!(
                *times == 1,
                "session {index}: {registration:?} made {times} times"
            );
        }
        ensure!(
            in_log.made.keys().eq(answered_here.keys()),
            "session {index}: {} registrations in the log, {} answered",
            in_log.made.len(),
            answered_here.len()
        );
        // The state folded from the log: capacity, waiting list, statuses.
        let seats = registrations.seats(opened.session).await?;
        ensure!(
            seats.capacity == SEATS && seats.confirmed_seats() <= SEATS,
            "session {index}: {} confirmed of {}",
            seats.confirmed_seats(),
            seats.capacity
        );
        ensure!(
            seats.confirmed_seats() == SEATS,
            "session {index}: only {} seats taken with people waiting",
            seats.confirmed_seats()
        );
        let promoted: BTreeSet<RegistrationId> = in_log.promoted.iter().copied().collect();
        ensure!(
            in_log.waitlisted[..in_log.promoted.len()] == in_log.promoted[..],
            "session {index}: the promoted are not the oldest waiting"
        );
        let still_waiting: Vec<RegistrationId> = in_log
            .waitlisted
            .iter()
            .filter(|r| !promoted.contains(r))
            .copied()
            .collect();
        ensure!(
            seats.waiting_list() == still_waiting,
            "session {index}: the waiting list is not in the log's order"
        );
        let mut participants = HashMap::new();
        for record in seats.registrations.values() {
            *participants.entry(record.participant).or_insert(0) += 1;
        }
        ensure!(
            participants.values().all(|&n| n == 1),
            "session {index}: someone registered twice"
        );
        // Through the API: each partner lists exactly its own, with their status now.
        for (partner, key) in week.partner_keys.iter().enumerate() {
            let through_api = listed(&http, key, opened.session).await?;
            let mine: BTreeMap<RegistrationId, String> = answered_here
                .iter()
                .filter(|(_, a)| a.person.partner == partner)
                .map(|(id, a)| {
                    let status = if cancelled.contains(id) {
                        "cancelled"
                    } else if a.confirmed || promoted.contains(id) {
                        "confirmed"
                    } else {
                        "waiting"
                    };
                    (*id, status.to_owned())
                })
                .collect();
            ensure!(
                through_api == mine,
                "session {index}, {}: the API lists {through_api:?}, answered {mine:?}",
                PARTNERS[partner]
            );
        }
        for (partner, ids) in in_log.notices {
            expected_notices.entry(partner).or_default().extend(ids);
        }
    }
    for (n, venue) in week.venues.iter().enumerate() {
        expected_notices.insert(format!("venue-{n}"), hosting_requests(&log, *venue).await?);
    }

    // Webhooks: every matching event delivered at least once, every request signed.
    let mut deliveries = 0;
    for (endpoint, expected) in &expected_notices {
        ensure!(!expected.is_empty(), "{endpoint}: nothing to deliver");
        eventually(&format!("every delivery to {endpoint}"), || async {
            Ok((receiver.ids(endpoint).0 == *expected).then_some(()))
        })
        .await
        .with_context(|| {
            let (got, _) = receiver.ids(endpoint);
            format!(
                "{endpoint}: {} of {} delivered, {} unexpected",
                expected.intersection(&got).count(),
                expected.len(),
                got.difference(expected).count()
            )
        })?;
        deliveries += expected.len();
    }
    let delivery_requests = receiver.all().len();
    for received in receiver.all() {
        let (subscription, secret) = week
            .subscriptions
            .get(&received.endpoint)
            .with_context(|| format!("a delivery to {}", received.endpoint))?;
        let header = |name: &str| {
            received
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let timestamp: i64 = header(webhooks::signature::TIMESTAMP_HEADER).parse()?;
        ensure!(
            webhooks::signature::verify(
                secret.as_bytes(),
                timestamp,
                &received.body,
                &header(webhooks::signature::SIGNATURE_HEADER)
            ),
            "a bad signature at {}",
            received.endpoint
        );
        let body: Value = serde_json::from_slice(&received.body)?;
        ensure!(body["subscription"] == subscription.as_str(), "{body}");
    }

    // Read models: stop semaine once they have read everything, then a clean rebuild.
    settled(&http, &log).await?;
    let mut semaine = Arc::try_unwrap(semaine)
        .map_err(|_| anyhow::anyhow!("semaine still shared"))?
        .into_inner();
    let status = semaine.terminate().await?;
    ensure!(
        status.success(),
        "semaine exited with {status}:\n{}",
        semaine.output_tail()
    );
    let live = dump_projections(&data_dir)?;
    let fresh = dir.path().join("rebuilt");
    semaine.run_to_end(&fresh, &["rebuild", "all"])?;
    let rebuilt = dump_projections(&fresh)?;
    let rows_compared = match compare_with_rebuild(&live, &rebuilt) {
        Ok(rows) => rows,
        Err(e) => return Err(e.context(log_tail(&log, registration::STREAM.name, 20).await)),
    };

    // No personal data in what the binary wrote, crashes included.
    let output = semaine.output_text();
    ensure!(
        output.contains("semaine is up"),
        "the binary's output was not captured"
    );
    for n in 0..people {
        let seeded = identity(n);
        for field in ["first_name", "last_name", "email"] {
            let value = seeded[field].as_str().unwrap_or_default();
            ensure!(!output.contains(value), "`{value}` in the binary's logs");
        }
    }

    let kinds = seen.kinds.lock().map(|k| k.clone()).unwrap_or_default();
    let answered_at = seen
        .answered_at
        .lock()
        .map(|a| a.clone())
        .unwrap_or_default();
    let first_answer_after = recoveries
        .iter()
        .filter_map(|r| {
            let crashed = r.crashed_at?;
            let restarted = r.restarted_at?;
            answered_at
                .iter()
                .filter(|at| **at > restarted)
                .min()
                .map(|at| at.duration_since(crashed))
        })
        .collect();
    Ok(Figures {
        crash,
        people,
        crashes,
        answered_before: recoveries.iter().map(|r| r.answered_before).collect(),
        retries: seen.retries.load(Ordering::SeqCst),
        kinds,
        first_answer_after,
        ready_after: recoveries.iter().map(|r| r.ready_after).collect(),
        caught_up_after,
        deliveries,
        delivery_requests,
        rows_compared,
        whole: started.elapsed(),
    })
}

fn report(figures: &Figures) {
    println!(
        "crash matrix, {:?} SIGKILLed {}x (after {:?} answers, down {DOWN_FOR:?}): {} \
         registrations acknowledged, lost 0, duplicated 0, over capacity 0; {} retries by the \
         front-ends ({:?}); first answer {:?} after the crash; semaine ready {:?} after its \
         restart; read models caught up {:?} after the last restart; {} webhook events delivered ({} requests); {} read-model rows equal to a clean \
         rebuild; whole scenario {:.1} s",
        figures.crash,
        figures.crashes,
        figures.answered_before,
        figures.people,
        figures.retries,
        figures.kinds,
        figures.first_answer_after,
        figures.ready_after,
        figures.caught_up_after,
        figures.deliveries,
        figures.delivery_requests,
        figures.rows_compared,
        figures.whole.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_nats_server_mid_rush_loses_and_doubles_nothing() -> Result<()> {
    report(&crash_matrix(Crash::Nats).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_semaine_mid_rush_loses_and_doubles_nothing() -> Result<()> {
    report(&crash_matrix(Crash::Semaine).await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_both_mid_rush_loses_and_doubles_nothing() -> Result<()> {
    report(&crash_matrix(Crash::Both).await?);
    Ok(())
}
