//! Webhooks for partners and venues: they subscribe a URL to kinds of events (a registration
//! confirmed, promoted, demoted or cancelled; a session moved or cancelled; a hosting request),
//! and semaine POSTs each matching event there, signed, until it is answered with a 2xx or a
//! day of retries has passed.
//!
//! Subscriptions are event-sourced: one aggregate per subscriber in the stream [`STREAM`]
//! (`hook.partner.<id>`, `hook.venue.<id>`), decided by the pure [`subscriptions::Hooks`]. Each
//! subscription's secret is made by the server, shown once, and kept in the key-value bucket
//! [`secrets::SECRETS_BUCKET`], never in the log. Deliveries are made by the
//! [`store::Deliveries`] projection, which reads the domain streams and writes each delivery in
//! the same sled transaction as its checkpoint (a transactional outbox: a restart loses none);
//! the [`dispatcher`] sends them, several at once, each with a timeout, and retries failures
//! with exponential back-off ([`backoff`]).
//!
//! # Layout
//! - [`subscriptions`]: the pure decider of a subscriber's subscriptions.
//! - [`matching`]: which subscriber hears of which domain event, as which kind (pure).
//! - [`backoff`]: the retry schedule (pure).
//! - [`signature`]: `hex(HMAC-SHA256(secret, timestamp + "." + body))` and the headers (pure).
//! - [`secrets`]: the secrets' bucket.
//! - [`store`]: the projection that creates deliveries, and the delivery log.
//! - [`destinations`]: public addresses only (no loopback or private network), unless allowed.
//! - [`dispatcher`]: the HTTP client and the loop that sends what is due.
//! - [`process`]: [`WebhookProcess`], the projection and the dispatcher run together.
//! - [`Webhooks`]: the service the gateway calls: subscribe, list, delete, read the log.

pub mod backoff;
pub mod destinations;
pub mod dispatcher;
pub mod matching;
pub mod process;
pub mod secrets;
pub mod signature;
pub mod store;
pub mod subscriptions;

use eventlog::{
    AggregateKey, Category, CommandError, CommandMeta, EventLog, LogFailure, StreamSpec,
};
use proto::webhooks::{Event, Kind, Subscribe, SubscriptionId, WebhookUrl};

pub use backoff::Backoff;
pub use dispatcher::DeliveryConfig;
pub use matching::Subscriber;
pub use process::WebhookProcess;
pub use secrets::{Secret, Secrets};
pub use store::{Deliveries, Page, Store, StoreError};
pub use subscriptions::{Hooks, HooksRefusal, HooksState, SubscriberKind};

/// The webhooks' stream: every subscriber's subscriptions.
pub const STREAM: StreamSpec = StreamSpec {
    name: proto::subjects::WEBHOOKS.name,
    subjects: proto::subjects::WEBHOOKS.subjects,
    description: "webhook subscriptions of partners and venues",
};

/// A partner's subscriptions: `hook.partner.<partner id>`.
pub const PARTNER_HOOKS: Category = proto::subjects::PARTNER_HOOKS;

/// A venue's subscriptions: `hook.venue.<venue id>`.
pub const VENUE_HOOKS: Category = proto::subjects::VENUE_HOOKS;

/// The aggregate of a subscriber's subscriptions.
pub fn hooks_key(subscriber: &Subscriber) -> AggregateKey {
    // A partner's slug and a UUID's text are always valid subject tokens.
    match subscriber {
        Subscriber::Partner(partner) => AggregateKey::new(PARTNER_HOOKS, partner.as_str()),
        Subscriber::Venue(venue) => AggregateKey::new(VENUE_HOOKS, &venue.to_string()),
    }
    .unwrap_or_else(|e| unreachable!("{e}"))
}

/// Why a webhooks command or read did nothing.
#[derive(Debug, thiserror::Error)]
pub enum WebhooksError {
    /// The rules refused it.
    #[error("{0}")]
    Refused(HooksRefusal),
    /// The log recorded or read nothing: unavailable, contended or broken.
    #[error(transparent)]
    Log(#[from] LogFailure),
    /// The secrets' bucket did not answer.
    #[error("{0}")]
    Secrets(#[from] secrets::SecretsUnavailable),
    /// The delivery log could not be read.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// This instance does not keep the delivery log.
    #[error("the delivery log is not served by this instance")]
    NotServed,
}

impl WebhooksError {
    /// A stable code, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(refusal) => refusal.code(),
            Self::Log(failure) => failure.code(),
            Self::Secrets(_) => "secrets-unavailable",
            Self::Store(StoreError::InvalidCursor) => "invalid-cursor",
            Self::Store(_) => "store-failed",
            Self::NotServed => "not-ready",
        }
    }
}

impl From<CommandError<HooksRefusal>> for WebhooksError {
    fn from(error: CommandError<HooksRefusal>) -> Self {
        match error {
            CommandError::Refused(refusal) => Self::Refused(refusal),
            CommandError::Failed(failure) => Self::Log(failure),
        }
    }
}

/// A subscription made (or found again for a retry of the request that made it).
#[derive(Debug, Clone)]
pub struct Created {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// The kinds, each once.
    pub kinds: Vec<Kind>,
    /// Its secret, for the answer to the request that made it.
    pub secret: Secret,
    /// The stream sequence of the commit that recorded it.
    pub seq: u64,
    /// Whether the log answered a retry.
    pub duplicate: bool,
}

/// The webhooks service: subscriptions through the log, secrets in their bucket, and (when
/// this instance runs the webhooks process) the delivery log.
#[derive(Clone)]
pub struct Webhooks {
    log: EventLog,
    secrets: Secrets,
    store: Option<Store>,
}

impl Webhooks {
    /// The service over `log` (opened with [`STREAM`]) and the secrets' bucket.
    pub fn new(log: EventLog, secrets: Secrets) -> Self {
        Self {
            log,
            secrets,
            store: None,
        }
    }

    /// Serves the delivery log from the webhooks process's store.
    pub fn with_store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// The secrets' bucket (the dispatcher signs with it).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Makes a subscription for `subscriber` under `subscription` (an id derived from the
    /// request, so that a retry names the same one). The secret is stored before the
    /// subscription is recorded; the same request again is answered with the same secret.
    pub async fn subscribe(
        &self,
        subscriber: &Subscriber,
        subscription: SubscriptionId,
        request: Subscribe,
        meta: &CommandMeta,
    ) -> Result<Created, WebhooksError> {
        let kind = match subscriber {
            Subscriber::Partner(_) => SubscriberKind::Partner,
            Subscriber::Venue(_) => SubscriberKind::Venue,
        };
        // Refused before a secret is made when the rules refuse it whatever the state.
        subscriptions::check_request(kind, &request).map_err(WebhooksError::Refused)?;
        let secret = self.secrets.make(subscription).await?;
        let command = subscriptions::HooksCommand::Subscribe {
            subscription,
            subscriber: kind,
            request: request.clone(),
        };
        let decided = self
            .log
            .execute::<Hooks>(&hooks_key(subscriber), &command, meta)
            .await?;
        let made = decided.events.iter().find_map(|event| match event {
            Event::Subscribed(made) => Some((made.url.clone(), made.kinds.clone())),
            Event::Unsubscribed(_) => None,
        });
        let (url, kinds) = match made {
            Some(made) => made,
            None => (request.url, subscriptions::normalised(&request.kinds)),
        };
        Ok(Created {
            subscription,
            url,
            kinds,
            secret,
            seq: decided.seq,
            duplicate: decided.duplicate,
        })
    }

    /// Deletes a subscription and forgets its secret; returns the stream sequence.
    pub async fn unsubscribe(
        &self,
        subscriber: &Subscriber,
        subscription: SubscriptionId,
        meta: &CommandMeta,
    ) -> Result<u64, WebhooksError> {
        let command = subscriptions::HooksCommand::Unsubscribe { subscription };
        let decided = self
            .log
            .execute::<Hooks>(&hooks_key(subscriber), &command, meta)
            .await?;
        if let Err(e) = self.secrets.purge(subscription).await {
            // The subscription is deleted: nothing is signed with the secret any more.
            tracing::warn!(%subscription, error = %e, "a deleted subscription's secret was not purged");
        }
        Ok(decided.seq)
    }

    /// A subscriber's live subscriptions, as the log has them now.
    pub async fn subscriptions(
        &self,
        subscriber: &Subscriber,
    ) -> Result<HooksState, WebhooksError> {
        self.log
            .load::<Hooks>(&hooks_key(subscriber))
            .await
            .map(|loaded| loaded.state)
            .map_err(|e| WebhooksError::from(CommandError::from(e)))
    }

    /// A page of a subscription's delivery log, newest first (the caller checked whose it is).
    pub fn deliveries(
        &self,
        subscription: SubscriptionId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page, WebhooksError> {
        let store = self.store.as_ref().ok_or(WebhooksError::NotServed)?;
        Ok(store.page(subscription, limit, after)?)
    }
}
