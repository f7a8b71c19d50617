//! The registration rush: partners' clients register participants into sessions, on a durable
//! nats-server, with every process between services running — through the HTTP API (the whole
//! application as `semaine up` runs it, its gateway on a loopback port, one API key per partner,
//! an `Idempotency-Key` per request), and once more in-process through the registration service,
//! to show what HTTP costs. Then the seats are checked: overbooked seats, acknowledged
//! registrations lost, duplicates. During the HTTP rush every read model runs, and the
//! read-your-writes lag is measured: from a registration's answer to the catalogue having read
//! the sequence the answer names.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use futures_util::StreamExt;
use gateway::{RateLimit, Role};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use projection::Progress;
use proto::registration::{
    AgeBand, Attendee, ParticipantRef, Profile, RegisterRequest, RegistrationId,
};
use proto::taxonomy::Audience;
use proto::values::{InseeCode, SessionId};
use registration::RegistrationError;
use semaine::configuration::{Parts, Tuning};
use serde_json::{Value, json};
use tests::week::{PROCESSES, Week, person, tuesday};
use tests::{Servers, TestNats};
use tokio::sync::watch;

/// The rush's shape.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// Partners registering.
    #[arg(long, default_value_t = 10)]
    pub(crate) partners: usize,
    /// Requests in flight at once (the partners' clients together).
    #[arg(long, default_value_t = 64)]
    pub(crate) clients: usize,
    /// Sessions (`hot-session`: always 1).
    #[arg(long, default_value_t = 200)]
    pub(crate) sessions: usize,
    /// Registration attempts, retries included.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) attempts: usize,
    /// One attempt in this many is a retry of the previous one, with the same idempotency key.
    #[arg(long, default_value_t = 20)]
    pub(crate) retry_every: usize,
    /// Which way the registrations go: `http`, `in-process`, or `both` (one after the other,
    /// each on its own nats-server).
    #[arg(long, default_value = "both")]
    pub(crate) path: Path,
    /// The event log's `stream_batch_max` (commits of different aggregates in one atomic batch;
    /// 1: each published alone); the log's default when not given.
    #[arg(long)]
    pub(crate) stream_batch_max: Option<usize>,
    /// The event log's `stream_batches_in_flight`; the log's default when not given.
    #[arg(long)]
    pub(crate) batches_in_flight: Option<usize>,
    /// Where the log lives: `1`, one durable nats-server; `3`, a cluster of three on this
    /// machine (each node `sync_interval: always`), every stream and bucket with three replicas,
    /// and the durable ceiling measured on such a cluster too.
    #[arg(long, default_value_t = 1, value_parser = replicas)]
    pub(crate) replicas: usize,
}

/// `--replicas`: 1 or 3.
fn replicas(given: &str) -> Result<usize, String> {
    match given {
        "1" => Ok(1),
        "3" => Ok(tests::cluster::NODES),
        _ => Err("1 (one node) or 3 (a cluster of three)".into()),
    }
}

/// Which way the registrations go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Path {
    /// Through the HTTP gateway.
    Http,
    /// Through the registration service, in-process.
    InProcess,
    /// Both, one after the other.
    Both,
}

struct Attempt {
    participant: usize,
    session: SessionId,
}

/// What a client was answered, in the end.
enum Answered {
    /// Registered (confirmed or waiting): the registration, and the sequence the answer named.
    Accepted(RegistrationId, u64),
    /// Refused by the rules (full session and no waiting list, …).
    Refused,
    /// Still failing after the client's retries.
    Failed(String),
}

/// Runs the rush and returns its figures.
pub(crate) async fn run(mut options: Options, hot: bool) -> Result<Value> {
    if hot {
        options.sessions = 1;
    }
    let ceiling = crate::ceiling::Options {
        messages: options.attempts.clamp(1_000, 20_000),
        in_flight: options.clients,
        payload: 300,
    };
    let durable_ceiling = if options.replicas > 1 {
        crate::ceiling::measure_on_cluster(&ceiling).await?
    } else {
        crate::ceiling::measure(&ceiling, true).await?
    };
    let unsynced_ceiling = crate::ceiling::measure(&ceiling, false).await?;
    let ratios = |figures: &mut Value| {
        let per_second = figures["accepted_per_s"].as_f64().unwrap_or(0.0);
        figures["ratio_to_ceiling"] = json!(per_second / durable_ceiling);
        figures["ratio_to_unsynced_ceiling"] = json!(per_second / unsynced_ceiling);
    };
    let mut result = json!({
        "scenario": if hot { "hot-session" } else { "rush" },
        "durable_ceiling_msgs_per_s": durable_ceiling,
        "unsynced_ceiling_msgs_per_s": unsynced_ceiling,
        "parameters": {
            "partners": options.partners,
            "clients": options.clients,
            "sessions": options.sessions,
            "attempts": options.attempts,
            "retry_every": options.retry_every,
            "stream_batch_max": options.stream_batch_max,
            "batches_in_flight": options.batches_in_flight,
            "replicas": options.replicas,
        },
    });
    if matches!(options.path, Path::Http | Path::Both) {
        let mut figures = phase(&options, hot, true).await?;
        ratios(&mut figures);
        result["http"] = figures;
    }
    if matches!(options.path, Path::InProcess | Path::Both) {
        let mut figures = phase(&options, hot, false).await?;
        ratios(&mut figures);
        result["in_process"] = figures;
    }
    // The headline figures: the HTTP rush's when it ran.
    let headline = if result["http"].is_object() {
        result["http"].clone()
    } else {
        result["in_process"].clone()
    };
    for field in [
        "accepted_per_s",
        "latency_ms",
        "overbooked_seats",
        "lost_acknowledged",
        "duplicates",
        "ratio_to_ceiling",
        "ratio_to_unsynced_ceiling",
    ] {
        result[field] = headline[field].clone();
    }
    Ok(result)
}

/// One rush on a new week, on one node or a cluster: through HTTP or in-process.
async fn phase(options: &Options, hot: bool, http: bool) -> Result<Value> {
    if options.replicas > 1 {
        rush_on(
            tests::cluster::TestCluster::start().await?,
            options,
            hot,
            http,
        )
        .await
    } else {
        rush_on(TestNats::start().await?, options, hot, http).await
    }
}

/// One rush on a new week started on `nats`, with the event log tuned as `options` say.
async fn rush_on<N: Servers>(nats: N, options: &Options, hot: bool, http: bool) -> Result<Value> {
    let tuning = Tuning {
        // The rush measures the service, not the per-key allowance.
        rate_limit: RateLimit {
            per_second: 1_000_000.0,
            burst: 1_000_000,
        },
        stream_batch_max: options.stream_batch_max,
        stream_batches_in_flight: options.batches_in_flight,
        ..Tuning::default()
    };
    // Through HTTP, the whole application as `semaine up` runs it; in-process, its processes.
    let parts = if http { Parts::ALL } else { PROCESSES };
    let week = Arc::new(
        Week::start_with(nats, |settings| {
            settings.parts = parts;
            settings.tuning = tuning;
        })
        .await?,
    );
    let mut sessions = Vec::new();
    let mut capacities = HashMap::new();
    for n in 0..options.sessions {
        let seats = if hot {
            10_000
        } else {
            50 + u32::try_from(n * 37 % 451)?
        };
        let hour = 8 + i8::try_from(n % 8)?;
        let (_, _, session) = week
            .open_session(seats, tuesday(hour, 0), tuesday(hour + 1, 0))
            .await?;
        capacities.insert(session, seats);
        sessions.push(session);
    }
    for partner in 0..options.partners {
        week.declare_partner(&format!("partner-{partner}")).await?;
    }
    let front = if http {
        Some(Front::start(&week, options.partners).await?)
    } else {
        None
    };

    // The attempts: new participants, and every `retry_every`-th a retry of the previous one.
    let mut attempts = Vec::with_capacity(options.attempts);
    let mut participant = 0;
    for n in 0..options.attempts {
        if options.retry_every > 0 && n % options.retry_every == options.retry_every - 1 && n > 0 {
            let previous = participant - 1;
            attempts.push(Attempt {
                participant: previous,
                session: sessions[previous % sessions.len()],
            });
        } else {
            attempts.push(Attempt {
                participant,
                session: sessions[participant % sessions.len()],
            });
            participant += 1;
        }
    }

    let started = Instant::now();
    let partners = options.partners;
    let front = front.as_ref();
    let lags = Arc::new(std::sync::Mutex::new(Vec::new()));
    let outcomes: Vec<(usize, Duration, Answered)> = futures_util::stream::iter(attempts)
        .enumerate()
        .map(|(n, attempt)| {
            let week = week.clone();
            let lags = lags.clone();
            async move {
                let begun = Instant::now();
                let partner = attempt.participant % partners;
                let key = format!("rush-{}", attempt.participant);
                let answered = match front {
                    Some(front) => front.register(partner, &attempt, &key).await,
                    None => register_in_process(&week, partner, &attempt, &key).await,
                };
                let latency = begun.elapsed();
                // One answer in ten: how long until the catalogue has read what it names.
                if let (Some(front), Answered::Accepted(_, seq), 0) = (front, &answered, n % 10) {
                    let answered_at = Instant::now();
                    let mut progress = front.catalogue.clone();
                    let reached = progress
                        .wait_for(|p| {
                            p.checkpoints
                                .get(registration::STREAM.name)
                                .is_some_and(|read| read >= seq)
                        })
                        .await
                        .is_ok();
                    if reached && let Ok(mut lags) = lags.lock() {
                        lags.push(answered_at.elapsed());
                    }
                }
                (attempt.participant, latency, answered)
            }
        })
        .buffer_unordered(options.clients)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();

    let mut latencies: Vec<Duration> = outcomes.iter().map(|(_, latency, _)| *latency).collect();
    let accepted = outcomes
        .iter()
        .filter(|(_, _, o)| matches!(o, Answered::Accepted(..)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|(_, _, o)| matches!(o, Answered::Refused))
        .count();
    let failures: Vec<&str> = outcomes
        .iter()
        .filter_map(|(_, _, o)| match o {
            Answered::Failed(why) => Some(why.as_str()),
            _ => None,
        })
        .take(3)
        .collect();
    let failed = outcomes.len() - accepted - refused;

    // What each participant was answered, every time, with the sequence each answer named.
    let mut answered: HashMap<usize, HashSet<RegistrationId>> = HashMap::new();
    let mut named: HashMap<RegistrationId, u64> = HashMap::new();
    for (participant, _, outcome) in &outcomes {
        if let Answered::Accepted(registration, seq) = outcome {
            answered
                .entry(*participant)
                .or_default()
                .insert(*registration);
            named.insert(*registration, *seq);
        }
    }
    let mut overbooked = 0u64;
    let mut lost = 0u64;
    let mut duplicates = answered.values().filter(|ids| ids.len() > 1).count() as u64;
    let mut recorded: HashSet<RegistrationId> = HashSet::new();
    for session in &sessions {
        let seats = week.registrations.seats(*session).await?;
        let capacity = capacities.get(session).copied().unwrap_or(0);
        overbooked += u64::from(seats.confirmed_seats().saturating_sub(capacity));
        let mut participants = HashMap::new();
        for (id, record) in &seats.registrations {
            recorded.insert(*id);
            *participants.entry(record.participant).or_insert(0u32) += 1;
        }
        duplicates += participants.values().filter(|&&n| n > 1).count() as u64;
    }
    // Each lost registration, with what the log holds at the sequence its answer named: the
    // first place to look when one is ever lost.
    let mut lost_details = Vec::new();
    for (participant, ids) in &answered {
        for id in ids.iter().filter(|id| !recorded.contains(id)) {
            lost += 1;
            let seq = named.get(id).copied().unwrap_or(0);
            let at_seq = match week
                .log
                .read_commit_at(registration::STREAM.name, seq)
                .await
            {
                Ok(found) => found
                    .commit
                    .events
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {} {:?}",
                            e.envelope.aggregate, e.event_type, e.envelope.idempotency_key
                        )
                    })
                    .collect::<Vec<_>>(),
                Err(e) => vec![e.to_string()],
            };
            lost_details.push(json!({
                "participant": participant,
                "registration": id.to_string(),
                "answers": ids.iter().map(|id| id.to_string()).collect::<Vec<_>>(),
                "seq": seq,
                "log_at_seq": at_seq,
            }));
        }
    }
    let writes = week.log.write_counts();
    let mut lags = lags.lock().map(|l| l.clone()).unwrap_or_default();

    Ok(json!({
        "path": if http { "HTTP (gateway on loopback, one key per partner)" } else { "in-process (registration service, no HTTP)" },
        "accepted": accepted,
        "refused": refused,
        "failed": failed,
        "failures": failures,
        "accepted_per_s": accepted as f64 / elapsed,
        "latency_ms": percentiles(&mut latencies),
        "read_your_writes_lag_ms": if http { percentiles(&mut lags) } else { Value::Null },
        "overbooked_seats": overbooked,
        "lost_acknowledged": lost,
        "lost_details": lost_details,
        "duplicates": duplicates,
        "commits": writes.messages,
        "writes": writes.writes,
    }))
}

/// p50, p95 and p99 of `durations`, in milliseconds.
fn percentiles(durations: &mut [Duration]) -> Value {
    durations.sort();
    let at = |p: f64| -> f64 {
        if durations.is_empty() {
            return 0.0;
        }
        let index = ((durations.len() as f64 - 1.0) * p).round() as usize;
        durations[index.min(durations.len() - 1)].as_secs_f64() * 1_000.0
    };
    json!({ "p50": at(0.50), "p95": at(0.95), "p99": at(0.99) })
}

/// A client's registration through the service, asked again (same key) while the answer is not
/// a decision.
async fn register_in_process<N: Servers>(
    week: &Week<N>,
    partner: usize,
    attempt: &Attempt,
    key: &str,
) -> Answered {
    let partner = format!("partner-{partner}");
    let reference = format!("p{}", attempt.participant);
    let mut last = String::new();
    for _ in 0..50 {
        let outcome = week
            .register(
                &partner,
                &reference,
                attempt.session,
                Audience::JobSeekers,
                key,
            )
            .await;
        match outcome {
            Ok(registered) => return Answered::Accepted(registered.registration, registered.seq),
            Err(e @ RegistrationError::Log(_)) => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(_) => return Answered::Refused,
        }
    }
    Answered::Failed(last)
}

/// The HTTP front: the application's gateway, the partners' keys, a client, and the catalogue
/// projection's progress.
struct Front {
    url: String,
    secrets: Vec<String>,
    client: Client<HttpConnector, Full<Bytes>>,
    catalogue: watch::Receiver<Progress>,
}

impl Front {
    async fn start<N: Servers>(week: &Week<N>, partners: usize) -> Result<Self> {
        let (Some(state), Some(address)) = (week.running.gateway(), week.running.http_address())
        else {
            anyhow::bail!("the application serves no gateway");
        };
        let catalogue = state
            .projections
            .get(gateway::routes::CATALOGUE)
            .cloned()
            .context("the application runs the catalogue")?;
        let mut secrets = Vec::new();
        for partner in 0..partners {
            let id = tests::week::partner_id(&format!("partner-{partner}"));
            let (_, secret) = state.keys.create(Role::Partner(id)).await?;
            secrets.push(secret.expose().to_owned());
        }
        let url = format!("http://{address}");
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1_024)
            .build_http();
        Ok(Self {
            url,
            secrets,
            client,
            catalogue,
        })
    }

    /// A partner's client registers someone, asking again (same key) on 503s and lost
    /// connections.
    async fn register(&self, partner: usize, attempt: &Attempt, key: &str) -> Answered {
        let reference = format!("p{}", attempt.participant);
        let body = match request_body(attempt.session, &reference) {
            Ok(body) => body,
            Err(e) => return Answered::Failed(e.to_string()),
        };
        let mut last = String::new();
        for _ in 0..50 {
            match self.post(partner, key, body.clone()).await {
                Ok((201, answer)) => {
                    let registration = answer["registration"]
                        .as_str()
                        .and_then(|id| id.parse::<uuid::Uuid>().ok());
                    let seq = answer["seq"].as_u64().unwrap_or(0);
                    return match registration {
                        Some(id) => Answered::Accepted(RegistrationId(id), seq),
                        None => Answered::Failed(format!("an answer without an id: {answer}")),
                    };
                }
                Ok((status, answer)) if status == 503 || status == 500 => {
                    last = format!("{status} {answer}");
                }
                Ok((status, answer)) if (400..500).contains(&status) => {
                    if status == 409 || status == 422 {
                        return Answered::Refused;
                    }
                    return Answered::Failed(format!("{status} {answer}"));
                }
                Ok((status, answer)) => last = format!("{status} {answer}"),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Answered::Failed(last)
    }

    async fn post(&self, partner: usize, key: &str, body: Bytes) -> Result<(u16, Value)> {
        let secret = self.secrets.get(partner).context("no such partner")?;
        let request = hyper::Request::post(format!("{}/registrations", self.url))
            .header("authorization", format!("Bearer {secret}"))
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(Full::new(body))?;
        let response = self.client.request(request).await?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

/// The body of `POST /registrations` for participant `reference` of the rush.
fn request_body(session: SessionId, reference: &str) -> Result<Bytes> {
    let request = RegisterRequest {
        session,
        reference: ParticipantRef::try_from(reference.to_owned())?,
        attendee: Attendee::Person {},
        profile: Profile {
            audience: Audience::JobSeekers,
            age_band: AgeBand::From16To25,
            town: Some(InseeCode::parse("05061")?),
        },
        identity: person(reference),
    };
    Ok(Bytes::from(serde_json::to_vec(&request)?))
}
