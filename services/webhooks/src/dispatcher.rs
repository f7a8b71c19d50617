//! The dispatcher: sends the deliveries that are due, several at once, each with a timeout, and
//! records every attempt and what comes next (delivered, retried later, given up).
//!
//! One slow or dead receiver cannot hold the others up: at most
//! [`DeliveryConfig::per_subscription`] of a subscription's deliveries are in flight at once,
//! at most [`DeliveryConfig::concurrency`] in all, and each attempt ends within
//! [`DeliveryConfig::timeout`]. A failed attempt is retried on the [`Backoff`] schedule, in the
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
        let mut tasks: JoinSet<Vec<u8>> = JoinSet::new();
        let mut in_flight: HashSet<Vec<u8>> = HashSet::new();
        let mut per_subscription: HashMap<SubscriptionId, usize> = HashMap::new();
        let mut projection_alive = true;
        loop {
            let mut wait = Duration::from_secs(1);
            match this.store.due(Timestamp::now(), usize::MAX) {
                Ok((due, next)) => {
                    for (due_key, delivery_key) in due {
                        if tasks.len() >= this.config.concurrency {
                            break;
                        }
                        let Some(subscription) = subscription_of(&delivery_key) else {
                            continue;
                        };
                        let busy = per_subscription.get(&subscription).copied().unwrap_or(0);
                        if in_flight.contains(&delivery_key) || busy >= this.config.per_subscription
                        {
                            continue;
                        }
                        in_flight.insert(delivery_key.clone());
                        *per_subscription.entry(subscription).or_default() += 1;
                        let dispatcher = this.clone();
                        tasks.spawn(async move {
                            dispatcher.attempt(&due_key, &delivery_key).await;
                            delivery_key
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
                    if let Ok(delivery_key) = done {
                        if let Some(subscription) = subscription_of(&delivery_key)
                            && let Some(busy) = per_subscription.get_mut(&subscription)
                        {
                            *busy = busy.saturating_sub(1);
                        }
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

/// The subscription a delivery key starts with.
fn subscription_of(delivery_key: &[u8]) -> Option<SubscriptionId> {
    delivery_key
        .get(..16)
        .and_then(|bytes| Uuid::from_slice(bytes).ok())
        .map(SubscriptionId)
}
