//! The dispatcher: sends the deliveries that are due, several at once, each with a timeout, and
//! records every attempt and what comes next (delivered, retried later, given up).
//!
//! One slow or dead receiver cannot hold the others up: at most
//! [`DeliveryConfig::per_subscription`] of a subscription's deliveries are in flight at once,
//! at most [`DeliveryConfig::concurrency`] in all, and each attempt ends within
//! [`DeliveryConfig::timeout`]. The slots are shared between subscribers (a partner or a venue,
//! however many subscriptions it holds): [`fair_picks`] starts the due deliveries round robin
//! across subscribers, none holding more than its share — the slots divided by one more than the
//! subscribers with deliveries due or in flight, so a share is always free for one whose
//! deliveries fall due later — and a partner whose ten receivers never answer delays only its own
//! deliveries. A failed attempt is retried on the [`Backoff`] schedule, in the
//! store, so a restart resumes where it stopped (an attempt cut short by the restart is made
//! again: deliveries are at least once, de-duplicated by their id).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Request;
use hyper::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::destinations::{PublicResolver, literal_host_allowed};
use hyper_util::rt::TokioExecutor;
use jiff::Timestamp;
use projection::Progress;
use proto::webhooks::SubscriptionId;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, error, warn};
use uuid::Uuid;

use crate::backoff::Backoff;
use crate::secrets::Secrets;
use crate::signature::{
    self, ATTEMPT_HEADER, ID_HEADER, KIND_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use crate::store::{Attempt, Outcome, Status, Store};

/// How deliveries are sent.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// When failed deliveries are tried again, and for how long.
    pub backoff: Backoff,
    /// The longest one attempt may take (connecting, sending, the answer's head).
    pub timeout: Duration,
    /// The most attempts in flight at once.
    pub concurrency: usize,
    /// The most attempts in flight at once for one subscription.
    pub per_subscription: usize,
    /// How long to wait before trying again when the secrets' bucket does not answer.
    pub secrets_retry: Duration,
    /// Whether deliveries may go to loopback and private addresses (see `destinations`):
    /// false in production, true for tests and for receivers inside the same network on purpose.
    pub allow_private_destinations: bool,
}

impl Default for DeliveryConfig {
    /// 10 s per attempt, 16 in flight (2 per subscription), the default [`Backoff`].
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            timeout: Duration::from_secs(10),
            concurrency: 16,
            per_subscription: 2,
            secrets_retry: Duration::from_secs(5),
            allow_private_destinations: false,
        }
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector<PublicResolver>>, Full<Bytes>>;

/// The HTTP/1.1 client: hyper's own, over rustls with the system's root certificates for
/// `https` URLs, resolving names to public addresses only (unless private ones are allowed).
fn client(allow_private: bool) -> HttpsClient {
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match builder.with_native_roots() {
        Ok(builder) => builder,
        Err(e) => {
            warn!(error = %e, "no root certificates found: https deliveries will fail");
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(
                rustls::ClientConfig::builder()
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth(),
            )
        }
    };
    let mut http = HttpConnector::new_with_resolver(PublicResolver { allow_private });
    http.enforce_http(false);
    let connector = builder.https_or_http().enable_http1().wrap_connector(http);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Sends what is due, forever.
pub struct Dispatcher {
    store: Store,
    secrets: Secrets,
    config: DeliveryConfig,
    client: HttpsClient,
}

/// What one attempt came to.
enum Sent {
    /// The receiver answered 2xx.
    Delivered(Attempt),
    /// It answered something else, or not at all.
    Failed(Attempt),
}

impl Dispatcher {
    /// A dispatcher over the webhooks store.
    pub fn new(store: Store, secrets: Secrets, config: DeliveryConfig) -> Self {
        Self {
            store,
            secrets,
            client: client(config.allow_private_destinations),
            config,
        }
    }

    /// Sends what is due until `shutdown` completes; wakes when the projection adds deliveries
    /// (`progress`), when an attempt ends, and when the next delivery falls due. Attempts in
    /// flight at the shutdown get their timeout to finish.
    pub async fn run(
        self,
        mut progress: watch::Receiver<Progress>,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let this = std::sync::Arc::new(self);
        let mut tasks: JoinSet<(Vec<u8>, String, SubscriptionId)> = JoinSet::new();
        let mut in_flight: HashSet<Vec<u8>> = HashSet::new();
        let mut busy: InFlight<String> = InFlight::default();
        // Who made each subscription: it never changes, so it is read from the store once.
        let mut subscribers: HashMap<SubscriptionId, String> = HashMap::new();
        let mut projection_alive = true;
        loop {
            let mut wait = Duration::from_secs(1);
            match this.store.due(Timestamp::now(), usize::MAX) {
                Ok((due, next)) => {
                    let due: Vec<(Vec<u8>, Vec<u8>, DueDelivery<String>)> = due
                        .into_iter()
                        .filter(|(_, delivery_key)| !in_flight.contains(delivery_key))
                        .filter_map(|(due_key, delivery_key)| {
                            let subscription = subscription_of(&delivery_key)?;
                            let subscriber = match subscribers.get(&subscription) {
                                Some(known) => known.clone(),
                                None => {
                                    let found = this.subscriber_of(subscription);
                                    if let Some(known) = &found {
                                        subscribers.insert(subscription, known.clone());
                                    }
                                    found.unwrap_or_else(|| subscription.0.to_string())
                                }
                            };
                            Some((
                                due_key,
                                delivery_key,
                                DueDelivery {
                                    subscriber,
                                    subscription,
                                },
                            ))
                        })
                        .collect();
                    let choices: Vec<DueDelivery<String>> =
                        due.iter().map(|(_, _, d)| d.clone()).collect();
                    for index in fair_picks(
                        &choices,
                        &busy,
                        this.config.concurrency,
                        this.config.per_subscription,
                    ) {
                        let Some((due_key, delivery_key, delivery)) = due.get(index).cloned()
                        else {
                            continue;
                        };
                        in_flight.insert(delivery_key.clone());
                        busy.start(&delivery.subscriber, delivery.subscription);
                        let dispatcher = this.clone();
                        tasks.spawn(async move {
                            dispatcher.attempt(&due_key, &delivery_key).await;
                            (delivery_key, delivery.subscriber, delivery.subscription)
                        });
                    }
                    if let Some(next) = next {
                        let until = next.duration_since(Timestamp::now());
                        let until = Duration::try_from(until).unwrap_or(Duration::ZERO);
                        wait = wait.min(until.max(Duration::from_millis(5)));
                    }
                }
                Err(e) => error!(error = %e, "cannot read the deliveries that are due"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok((delivery_key, subscriber, subscription)) = done {
                        busy.end(&subscriber, subscription);
                        in_flight.remove(&delivery_key);
                    }
                }
                changed = progress.changed(), if projection_alive => {
                    projection_alive = changed.is_ok();
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
        let grace = this.config.timeout + Duration::from_secs(1);
        if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tasks.abort_all();
        }
    }

    /// Who made a subscription, to share the slots between subscribers; `None` when the store
    /// does not know it or cannot say now (the delivery then counts as a subscriber of its own,
    /// and the question is asked again at the next turn: only an answer is remembered).
    fn subscriber_of(&self, subscription: SubscriptionId) -> Option<String> {
        match self.store.subscription(subscription) {
            Ok(Some(record)) => Some(record.subscriber),
            _ => None,
        }
    }

    /// Makes one attempt at a delivery and records it.
    async fn attempt(&self, due_key: &[u8], delivery_key: &[u8]) {
        if let Err(e) = self.try_attempt(due_key, delivery_key).await {
            error!(error = %e, "cannot record a delivery attempt");
        }
    }

    async fn try_attempt(
        &self,
        due_key: &[u8],
        delivery_key: &[u8],
    ) -> Result<(), crate::StoreError> {
        let Some(delivery) = self.store.delivery(delivery_key)? else {
            return self.store.drop_due(due_key);
        };
        if delivery.status != Status::Pending {
            return self.store.drop_due(due_key);
        }
        let live = self
            .store
            .subscription(delivery.subscription)?
            .is_some_and(|record| !record.deleted);
        let secret = if live {
            match self.secrets.get(delivery.subscription).await {
                Ok(secret) => secret,
                Err(e) => {
                    warn!(subscription = %delivery.subscription, error = %e, "no secret to sign with yet; later");
                    let later = Timestamp::now()
                        .checked_add(
                            jiff::SignedDuration::try_from(self.config.secrets_retry)
                                .unwrap_or_default(),
                        )
                        .unwrap_or_else(|_| Timestamp::now());
                    return self.store.record(
                        due_key,
                        delivery_key,
                        delivery,
                        None,
                        Outcome::RetryAt(later),
                    );
                }
            }
        } else {
            None
        };
        let Some(secret) = secret else {
            let note = Attempt {
                at: Timestamp::now(),
                status: None,
                error: Some("the subscription was deleted: not sent".into()),
                duration_ms: 0,
            };
            return self
                .store
                .record(due_key, delivery_key, delivery, Some(note), Outcome::GiveUp);
        };
        let attempt_number = delivery.attempts.len() + 1;
        let sent = self
            .send(
                &delivery.url.to_string(),
                &delivery.body,
                secret.expose(),
                &delivery.event,
                delivery.kind.as_str(),
                attempt_number,
            )
            .await;
        let outcome = match &sent {
            Sent::Delivered(_) => Outcome::Delivered,
            Sent::Failed(attempt) => {
                let first = delivery.attempts.first().map_or(attempt.at, |a| a.at);
                let failures = u32::try_from(attempt_number).unwrap_or(u32::MAX);
                let jitter = Uuid::new_v4().as_u64_pair().0;
                match self
                    .config
                    .backoff
                    .next_attempt(failures, first, attempt.at, jitter)
                {
                    Some(at) => Outcome::RetryAt(at),
                    None => Outcome::GiveUp,
                }
            }
        };
        let attempt = match sent {
            Sent::Delivered(a) | Sent::Failed(a) => a,
        };
        debug!(subscription = %delivery.subscription, event = %delivery.event, status = ?attempt.status, outcome = ?outcome, "delivery attempt");
        if outcome == Outcome::GiveUp {
            warn!(subscription = %delivery.subscription, event = %delivery.event, "delivery given up after its retries");
        }
        self.store
            .record(due_key, delivery_key, delivery, Some(attempt), outcome)
    }

    /// POSTs `body` to `url`, signed, within the timeout.
    async fn send(
        &self,
        url: &str,
        body: &str,
        secret: &str,
        id: &Uuid,
        kind: &str,
        attempt: usize,
    ) -> Sent {
        let at = Timestamp::now();
        let started = Instant::now();
        let timestamp = at.as_second();
        let signature = signature::sign(secret.as_bytes(), timestamp, body.as_bytes());
        let failed = |status: Option<u16>, error: String| {
            Sent::Failed(Attempt {
                at,
                status,
                error: Some(error),
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            })
        };
        // An address written in the URL is connected to without resolving: checked here.
        let host = url
            .parse::<hyper::Uri>()
            .ok()
            .and_then(|uri| uri.host().map(str::to_owned));
        if !host.is_some_and(|h| literal_host_allowed(&h, self.config.allow_private_destinations)) {
            return failed(
                None,
                "the destination is not a public address: not delivered".to_owned(),
            );
        }
        let request = Request::post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static("semaine-webhooks/1"))
            .header(ID_HEADER, id.to_string())
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header(KIND_HEADER, kind)
            .header(ATTEMPT_HEADER, attempt.to_string())
            .body(Full::new(Bytes::from(body.to_owned())));
        let request = match request {
            Ok(request) => request,
            Err(e) => return failed(None, format!("cannot build the request: {e}")),
        };
        match tokio::time::timeout(self.config.timeout, self.client.request(request)).await {
            Err(_) => failed(
                None,
                format!("no answer within {} ms", self.config.timeout.as_millis()),
            ),
            Ok(Err(e)) => failed(
                None,
                format!("cannot reach the receiver: {}", error_chain(&e)),
            ),
            Ok(Ok(response)) => {
                let status = response.status();
                let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                if status.is_success() {
                    Sent::Delivered(Attempt {
                        at,
                        status: Some(status.as_u16()),
                        error: None,
                        duration_ms,
                    })
                } else {
                    failed(
                        Some(status.as_u16()),
                        format!("the receiver answered {status}"),
                    )
                }
            }
        }
    }
}

/// An error with its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// A delivery that is due, as the dispatcher sees it when choosing what to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery<S> {
    /// Who subscribed (a partner's or a venue's key).
    pub subscriber: S,
    /// The subscription it goes to.
    pub subscription: SubscriptionId,
}

/// What is in flight now, per subscriber and per subscription.
#[derive(Debug, Default, Clone)]
pub struct InFlight<S: std::hash::Hash + Eq> {
    /// Attempts in flight per subscriber.
    pub subscribers: HashMap<S, usize>,
    /// Attempts in flight per subscription.
    pub subscriptions: HashMap<SubscriptionId, usize>,
}

impl<S: std::hash::Hash + Eq + Clone> InFlight<S> {
    /// All attempts in flight.
    pub fn total(&self) -> usize {
        self.subscribers.values().sum()
    }

    /// Counts an attempt started.
    pub fn start(&mut self, subscriber: &S, subscription: SubscriptionId) {
        *self.subscribers.entry(subscriber.clone()).or_default() += 1;
        *self.subscriptions.entry(subscription).or_default() += 1;
    }

    /// Counts an attempt ended.
    pub fn end(&mut self, subscriber: &S, subscription: SubscriptionId) {
        if let Some(n) = self.subscribers.get_mut(subscriber) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.subscribers.remove(subscriber);
            }
        }
        if let Some(n) = self.subscriptions.get_mut(&subscription) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.subscriptions.remove(&subscription);
            }
        }
    }
}

/// Which of the `due` deliveries (in due order) to start now, as indexes into `due`, in the
/// order to start them: round robin across subscribers (the one whose delivery is due first
/// goes first), each subscription at most `per_subscription` in flight, each subscriber at most
/// its share of the `concurrency` slots — the slots divided by one more than the subscribers that
/// have deliveries due or in flight, at least one, so that a share is always free for a
/// subscriber whose deliveries fall due later — and no more than the slots left. A pure function:
/// the dispatcher's fairness, tested without a network.
pub fn fair_picks<S: std::hash::Hash + Eq + Clone>(
    due: &[DueDelivery<S>],
    in_flight: &InFlight<S>,
    concurrency: usize,
    per_subscription: usize,
) -> Vec<usize> {
    let mut queues: Vec<(S, std::collections::VecDeque<usize>)> = Vec::new();
    for (index, delivery) in due.iter().enumerate() {
        match queues.iter_mut().find(|(s, _)| *s == delivery.subscriber) {
            Some((_, queue)) => queue.push_back(index),
            None => queues.push((delivery.subscriber.clone(), [index].into())),
        }
    }
    let mut subscribers: HashSet<&S> = queues.iter().map(|(s, _)| s).collect();
    subscribers.extend(in_flight.subscribers.keys());
    // One share more than there are subscribers: a subscriber whose first delivery falls due
    // later always finds free slots, however long the others' attempts hang.
    let share = (concurrency / (subscribers.len() + 1)).max(1);
    let mut now = in_flight.clone();
    let mut picks = Vec::new();
    let mut slots = concurrency.saturating_sub(now.total());
    while slots > 0 {
        let mut progressed = false;
        for (subscriber, queue) in &mut queues {
            if slots == 0 {
                break;
            }
            if now.subscribers.get(subscriber).copied().unwrap_or(0) >= share {
                queue.clear();
                continue;
            }
            // This subscriber's next delivery whose subscription has a slot left.
            let Some(position) = queue.iter().position(|&i| {
                now.subscriptions
                    .get(&due[i].subscription)
                    .copied()
                    .unwrap_or(0)
                    < per_subscription
            }) else {
                queue.clear();
                continue;
            };
            if let Some(index) = queue.remove(position) {
                now.start(subscriber, due[index].subscription);
                picks.push(index);
                slots -= 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    picks
}

/// The subscription a delivery key starts with.
fn subscription_of(delivery_key: &[u8]) -> Option<SubscriptionId> {
    delivery_key
        .get(..16)
        .and_then(|bytes| Uuid::from_slice(bytes).ok())
        .map(SubscriptionId)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(n: u128) -> SubscriptionId {
        SubscriptionId(Uuid::from_u128(n))
    }

    /// `count` deliveries due for `subscriber`, spread over its `subscriptions`.
    fn due(
        subscriber: &'static str,
        subscriptions: &[u128],
        count: usize,
    ) -> Vec<DueDelivery<&'static str>> {
        (0..count)
            .map(|i| DueDelivery {
                subscriber,
                subscription: sub(subscriptions[i % subscriptions.len()]),
            })
            .collect()
    }

    #[test]
    fn a_black_hole_behind_a_thousand_due_deliveries_holds_only_its_share() {
        // A partner with ten subscriptions whose receivers never answer, a thousand deliveries
        // due first; a healthy partner's three deliveries due after them.
        let ten: Vec<u128> = (1..=10).collect();
        let mut all = due("black-hole", &ten, 1000);
        all.extend(due("healthy", &[99], 3));
        let first = fair_picks(&all, &InFlight::default(), 16, 2);
        let healthy: Vec<usize> = first
            .iter()
            .copied()
            .filter(|&i| all[i].subscriber == "healthy")
            .collect();
        assert_eq!(
            healthy,
            vec![1000, 1001],
            "two at once for its one subscription"
        );
        assert_eq!(
            first[1], 1000,
            "the healthy partner starts second, not after a thousand"
        );
        let black_hole = first.len() - healthy.len();
        assert_eq!(
            black_hole, 5,
            "16 slots in three shares: two subscribers, one to come"
        );

        // The black hole's attempts hang; the healthy partner's end: its next one starts at once.
        let mut busy = InFlight::default();
        for &i in &first {
            if all[i].subscriber == "black-hole" {
                busy.start(&all[i].subscriber, all[i].subscription);
            }
        }
        let rest: Vec<DueDelivery<&str>> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| !first.contains(i))
            .map(|(_, d)| d.clone())
            .collect();
        let next = fair_picks(&rest, &busy, 16, 2);
        assert_eq!(
            next.len(),
            1,
            "the healthy partner's last one, nothing more for the hole"
        );
        assert_eq!(rest[next[0]].subscriber, "healthy");
    }

    #[test]
    fn alone_a_subscriber_uses_half_the_slots_and_leaves_the_rest_to_come() {
        let ten: Vec<u128> = (1..=10).collect();
        let all = due("only", &ten, 100);
        let picks = fair_picks(&all, &InFlight::default(), 16, 2);
        assert_eq!(picks.len(), 8);
        let mut busy = InFlight::default();
        for &i in &picks {
            busy.start(&all[i].subscriber, all[i].subscription);
        }
        let newcomer = due("newcomer", &[99], 1);
        assert_eq!(
            fair_picks(&newcomer, &busy, 16, 2),
            vec![0],
            "a slot is free for it"
        );
        let one = due("only", &[1], 100);
        assert_eq!(fair_picks(&one, &InFlight::default(), 16, 2), vec![0, 1]);
    }

    #[test]
    fn slots_are_shared_round_robin_and_never_exceeded() {
        let mut all = due("a", &[1, 2, 3, 4], 40);
        all.extend(due("b", &[5, 6, 7, 8], 40));
        all.extend(due("c", &[9], 40));
        let picks = fair_picks(&all, &InFlight::default(), 16, 2);
        assert!(picks.len() <= 16);
        let count = |s: &str| picks.iter().filter(|&&i| all[i].subscriber == s).count();
        assert_eq!((count("a"), count("b"), count("c")), (4, 4, 2), "{picks:?}");
        assert_eq!(
            picks
                .iter()
                .take(3)
                .map(|&i| all[i].subscriber)
                .collect::<Vec<_>>(),
            vec!["a", "b", "c"],
            "round robin, in the order their deliveries fell due"
        );
        let mut busy = InFlight::default();
        for _ in 0..16 {
            busy.start(&"a", sub(1));
        }
        assert!(fair_picks(&all, &busy, 16, 2).is_empty(), "no slot left");
    }
}
