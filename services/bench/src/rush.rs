//! The registration rush: partners' clients register participants into sessions through the
//! registration service, in-process (no HTTP), on a durable nats-server, with every process
//! between services running. Then the seats are checked: overbooked seats, acknowledged
//! registrations lost, duplicates.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use futures_util::StreamExt;
use proto::registration::RegistrationId;
use proto::taxonomy::Audience;
use proto::values::SessionId;
use registration::{Registered, RegistrationError};
use serde_json::{Value, json};
use tests::week::{Week, tuesday};

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
}

struct Attempt {
    participant: usize,
    session: SessionId,
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
    let durable_ceiling = crate::ceiling::measure(&ceiling, true).await?;
    let unsynced_ceiling = crate::ceiling::measure(&ceiling, false).await?;

    let week = Arc::new(Week::start().await?);
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
    let outcomes: Vec<(usize, Duration, Result<Registered, RegistrationError>)> =
        futures_util::stream::iter(attempts)
            .map(|attempt| {
                let week = week.clone();
                async move {
                    let begun = Instant::now();
                    let partner = format!("partner-{}", attempt.participant % partners);
                    let reference = format!("p{}", attempt.participant);
                    let key = format!("rush-{}", attempt.participant);
                    let mut outcome = Err(RegistrationError::Contended);
                    // A client asks again (same key) while the answer is not a decision.
                    for _ in 0..50 {
                        outcome = week
                            .register(
                                &partner,
                                &reference,
                                attempt.session,
                                Audience::JobSeekers,
                                &key,
                            )
                            .await;
                        match &outcome {
                            Err(
                                RegistrationError::Unavailable(_)
                                | RegistrationError::Contended
                                | RegistrationError::Log(_),
                            ) => tokio::time::sleep(Duration::from_millis(20)).await,
                            _ => break,
                        }
                    }
                    (attempt.participant, begun.elapsed(), outcome)
                }
            })
            .buffer_unordered(options.clients)
            .collect()
            .await;
    let elapsed = started.elapsed().as_secs_f64();

    let mut latencies: Vec<Duration> = outcomes.iter().map(|(_, latency, _)| *latency).collect();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index.min(latencies.len() - 1)].as_secs_f64() * 1_000.0
    };
    let accepted = outcomes.iter().filter(|(_, _, o)| o.is_ok()).count();
    let refused = outcomes.len() - accepted;

    // What each participant was answered, every time.
    let mut answered: HashMap<usize, HashSet<RegistrationId>> = HashMap::new();
    for (participant, _, outcome) in &outcomes {
        if let Ok(registered) = outcome {
            answered
                .entry(*participant)
                .or_default()
                .insert(registered.registration);
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
    for ids in answered.values() {
        lost += ids.iter().filter(|id| !recorded.contains(id)).count() as u64;
    }

    let per_second = accepted as f64 / elapsed;
    Ok(json!({
        "scenario": if hot { "hot-session" } else { "rush" },
        "accepted": accepted,
        "refused": refused,
        "accepted_per_s": per_second,
        "latency_ms": { "p50": percentile(0.50), "p95": percentile(0.95), "p99": percentile(0.99) },
        "overbooked_seats": overbooked,
        "lost_acknowledged": lost,
        "duplicates": duplicates,
        "durable_ceiling_msgs_per_s": durable_ceiling,
        "unsynced_ceiling_msgs_per_s": unsynced_ceiling,
        "ratio_to_ceiling": per_second / durable_ceiling,
        "ratio_to_unsynced_ceiling": per_second / unsynced_ceiling,
        "parameters": {
            "partners": options.partners,
            "clients": options.clients,
            "sessions": options.sessions,
            "attempts": options.attempts,
            "retry_every": options.retry_every,
            "path": "in-process (registration service, no HTTP)",
        },
    }))
}
