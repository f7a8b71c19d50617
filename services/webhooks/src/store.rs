//! The `webhooks` store: the [`Deliveries`] projection, which turns each matching event into a
//! delivery in the same sled transaction as its checkpoint (the outbox), and what the dispatcher
//! and the API read and write there.
//!
//! Trees:
//! - `subscriptions`: subscription id → [`SubscriptionRecord`] (folded from `WEBHOOKS`);
//! - `subscribers`: `<subscriber key> NUL <subscription id>` → nothing, to find a partner's or a
//!   venue's subscriptions;
//! - `holders`: `<session id><registration id>` → partner, the registrations in each session;
//! - `owners`: session id → the id of the event that owns it (its claim, or in a log older than
//!   claims the first to schedule it), so that another event's moves tell nobody. Added without
//!   a new layout, so that no delivery is made twice: a store older than it learns the owners of
//!   the sessions scheduled from then on, and tells the moves of older ones as before;
//! - `deliveries`: `<subscription id><event id>` → [`Delivery`], its body and every attempt;
//! - `due`: `<next attempt, ms, big-endian><subscription id><event id>` → nothing: what the
//!   dispatcher sends next, in time order. A delivery is in `due` while it is pending.
//!
//! The projection writes `subscriptions`, `subscribers`, `holders`, and *creates* deliveries
//! (with their `due` row); the dispatcher only changes deliveries that exist, in a transaction
//! over `deliveries` and `due`. The two never write the same key at once.

use jiff::Timestamp;
use projection::{Position, Projection, Rejected, View};
use proto::values::{EventId, PartnerId, SessionId};
use proto::webhooks::{Event as HookEvent, Kind, SubscriptionId, WebhookUrl};
use proto::{EventContract, StoredEvent};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use uuid::Uuid;

use crate::matching::{self, Holding, Subscriber};

/// The tree of subscriptions.
pub const SUBSCRIPTIONS: &str = "subscriptions";
/// The index of subscriptions by subscriber.
pub const SUBSCRIBERS: &str = "subscribers";
/// The registrations held in each session.
pub const HOLDERS: &str = "holders";
/// The event that owns each session's id.
pub const OWNERS: &str = "owners";
/// Every delivery, by subscription then event.
pub const DELIVERIES: &str = "deliveries";
/// The pending deliveries, by next attempt.
pub const DUE: &str = "due";

/// A subscription as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRecord {
    /// Who made it.
    pub subscriber: String,
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// What it hears of.
    pub kinds: Vec<Kind>,
    /// When it was made: events from before are not delivered to it.
    pub since: Timestamp,
    /// Deleted: nothing more is delivered.
    pub deleted: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not delivered yet; tried again at `next_attempt_at`.
    Pending,
    /// A 2xx answered.
    Delivered,
    /// Given up (retried for the whole schedule, or the subscription was deleted).
    Failed,
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Attempt {
    /// When it was sent.
    pub at: Timestamp,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong without an answer (timeout, connection refused…), or why a non-2xx.
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
}

/// One event to deliver to one subscription, with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// The stable id: the domain event's id, the same for every attempt.
    pub event: Uuid,
    /// What it tells.
    pub kind: Kind,
    /// Where it goes.
    pub url: WebhookUrl,
    /// The exact body POSTed (the same bytes at every attempt).
    pub body: String,
    /// When the event happened.
    pub created_at: Timestamp,
    /// Where it stands.
    pub status: Status,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<Timestamp>,
}

/// The key of a delivery in [`DELIVERIES`].
pub fn delivery_key(subscription: SubscriptionId, event: Uuid) -> Vec<u8> {
    let mut key = subscription.0.as_bytes().to_vec();
    key.extend_from_slice(event.as_bytes());
    key
}

/// The key of a pending delivery in [`DUE`].
pub fn due_key(at: Timestamp, delivery_key: &[u8]) -> Vec<u8> {
    let ms = u64::try_from(at.as_millisecond()).unwrap_or(0);
    let mut key = ms.to_be_bytes().to_vec();
    key.extend_from_slice(delivery_key);
    key
}

/// The time and delivery key of a [`DUE`] key.
pub fn parse_due_key(key: &[u8]) -> Option<(Timestamp, Vec<u8>)> {
    let (ms, delivery) = key.split_at_checked(8)?;
    let ms = i64::try_from(u64::from_be_bytes(ms.try_into().ok()?)).ok()?;
    Some((Timestamp::from_millisecond(ms).ok()?, delivery.to_vec()))
}

/// What is POSTed: the stable id, the kind, when it happened, the subscription, the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    /// The stable id (the domain event's): de-duplicate on it.
    pub id: Uuid,
    /// The kind.
    pub kind: Kind,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// The subscription it is delivered to.
    pub subscription: SubscriptionId,
    /// What happened (see the API documentation, per kind).
    pub data: serde_json::Value,
}

/// The projection that keeps subscriptions and holders and creates deliveries.
pub struct Deliveries;

/// The streams the projection reads.
pub const STREAMS: &[&str] = &[
    proto::subjects::WEBHOOKS.name,
    proto::subjects::REGISTRATION.name,
    proto::subjects::SCHEDULING.name,
    proto::subjects::VENUES.name,
];

fn holders_in(view: &View<'_>, session: SessionId) -> Vec<PartnerId> {
    let mut partners: Vec<PartnerId> = view
        .scan_prefix(HOLDERS, session.0.as_bytes())
        .into_iter()
        .filter_map(|(_, partner)| String::from_utf8(partner).ok())
        .filter_map(|partner| PartnerId::parse(partner).ok())
        .collect();
    partners.sort();
    partners.dedup();
    partners
}

fn owner_of(view: &View<'_>, session: SessionId) -> Option<EventId> {
    view.get(OWNERS, session.0.as_bytes())
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .map(EventId)
}

fn subscriber_prefix(subscriber: &str) -> Vec<u8> {
    let mut prefix = subscriber.as_bytes().to_vec();
    prefix.push(0);
    prefix
}

impl Deliveries {
    fn apply_subscription(
        view: &mut View<'_>,
        event: &StoredEvent,
        subscriber: &Subscriber,
    ) -> Result<(), Rejected> {
        match HookEvent::decode(&event.event_type, event.version, &event.data)? {
            HookEvent::Subscribed(made) => {
                let key = made.subscription.0.as_bytes().to_vec();
                if view.get(SUBSCRIPTIONS, &key).is_some() {
                    return Ok(());
                }
                let record = SubscriptionRecord {
                    subscriber: subscriber.key(),
                    url: made.url,
                    kinds: made.kinds,
                    since: matching::occurred_at(event),
                    deleted: false,
                };
                view.insert_json(SUBSCRIPTIONS, key.clone(), &record)?;
                let mut index = subscriber_prefix(&record.subscriber);
                index.extend_from_slice(&key);
                view.insert(SUBSCRIBERS, index, Vec::new());
            }
            HookEvent::Unsubscribed(gone) => {
                let key = gone.subscription.0.as_bytes().to_vec();
                if let Some(mut record) = view.get_json::<SubscriptionRecord>(SUBSCRIPTIONS, &key) {
                    record.deleted = true;
                    view.insert_json(SUBSCRIPTIONS, key.clone(), &record)?;
                    let mut index = subscriber_prefix(&record.subscriber);
                    index.extend_from_slice(&key);
                    view.remove(SUBSCRIBERS, index);
                }
            }
        }
        Ok(())
    }
}

impl Projection for Deliveries {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn streams(&self) -> &'static [&'static str] {
        STREAMS
    }

    fn trees(&self) -> &'static [&'static str] {
        &[SUBSCRIPTIONS, SUBSCRIBERS, HOLDERS, OWNERS, DELIVERIES, DUE]
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<(), Rejected> {
        if let Some(subscriber) = Subscriber::of_subject(&event.envelope.aggregate) {
            return Self::apply_subscription(view, event, &subscriber);
        }
        let reading = matching::read(
            event,
            |session| holders_in(view, session),
            |session| owner_of(view, session),
        )
        .map_err(|e| Rejected(e.to_string()))?;
        if let Some((session, owner)) = reading
            .ownership
            .and_then(|learnt| learnt.learnt(owner_of(view, learnt.session())))
        {
            view.insert(
                OWNERS,
                session.0.as_bytes().to_vec(),
                owner.0.as_bytes().to_vec(),
            );
        }
        let occurred_at = matching::occurred_at(event);
        for notice in reading.notices {
            let subscriber = notice.subscriber.key();
            for (index, _) in view.scan_prefix(SUBSCRIBERS, &subscriber_prefix(&subscriber)) {
                let Some(id) = index
                    .get(index.len().saturating_sub(16)..)
                    .and_then(|b| Uuid::from_slice(b).ok())
                else {
                    continue;
                };
                let subscription = SubscriptionId(id);
                let Some(record) =
                    view.get_json::<SubscriptionRecord>(SUBSCRIPTIONS, id.as_bytes())
                else {
                    continue;
                };
                if record.deleted
                    || !record.kinds.contains(&notice.kind)
                    || occurred_at < record.since
                {
                    continue;
                }
                let key = delivery_key(subscription, event.envelope.id);
                // Created once: a batch applied again after a crash leaves it as it stands.
                if view.get(DELIVERIES, &key).is_some() {
                    continue;
                }
                let body = Body {
                    id: event.envelope.id,
                    kind: notice.kind,
                    occurred_at,
                    subscription,
                    data: notice.data.clone(),
                };
                let body = serde_json::to_string(&body).map_err(|e| Rejected(e.to_string()))?;
                let delivery = Delivery {
                    subscription,
                    event: event.envelope.id,
                    kind: notice.kind,
                    url: record.url,
                    body,
                    created_at: occurred_at,
                    status: Status::Pending,
                    attempts: Vec::new(),
                    next_attempt_at: Some(occurred_at),
                };
                view.insert_json(DELIVERIES, key.clone(), &delivery)?;
                view.insert(DUE, due_key(occurred_at, &key), Vec::new());
            }
        }
        for holding in reading.holdings {
            match holding {
                Holding::Holds {
                    session,
                    registration,
                    partner,
                } => {
                    let mut key = session.0.as_bytes().to_vec();
                    key.extend_from_slice(registration.0.as_bytes());
                    view.insert(HOLDERS, key, partner.as_str().as_bytes().to_vec());
                }
                Holding::Left {
                    session,
                    registration,
                } => {
                    let mut key = session.0.as_bytes().to_vec();
                    key.extend_from_slice(registration.0.as_bytes());
                    view.remove(HOLDERS, key);
                }
            }
        }
        Ok(())
    }
}

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed.
    #[error("the webhooks store failed: {0}")]
    Sled(#[from] sled::Error),
    /// A row does not read.
    #[error("a row of the webhooks store does not read: {0}")]
    Corrupt(String),
    /// A cursor the store did not make.
    #[error("this cursor was not made by this API")]
    InvalidCursor,
}

/// Reads and changes the store outside the projection: the dispatcher and the API.
#[derive(Clone)]
pub struct Store {
    subscriptions: sled::Tree,
    deliveries: sled::Tree,
    due: sled::Tree,
}

/// One page of a subscription's delivery log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[schemars(rename = "DeliveryPage")]
pub struct Page {
    /// The deliveries, newest first, each without its body.
    pub items: Vec<DeliveryView>,
    /// The cursor of the next (older) page, if any.
    pub next: Option<String>,
}

/// A delivery as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct DeliveryView {
    /// The stable id (the event's).
    pub id: Uuid,
    /// Its kind.
    pub kind: Kind,
    /// When the event happened.
    pub created_at: Timestamp,
    /// Pending, delivered or failed.
    pub status: Status,
    /// How many attempts were made.
    pub attempt_count: usize,
    /// Every attempt.
    pub attempts: Vec<Attempt>,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<Timestamp>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.event,
            kind: d.kind,
            created_at: d.created_at,
            status: d.status,
            attempt_count: d.attempts.len(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

/// The deliveries due now (each `due` key with its delivery key), and when the next one falls
/// due.
pub type Due = (Vec<(Vec<u8>, Vec<u8>)>, Option<Timestamp>);

/// What became of an attempt, for [`Store::record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Delivered,
    /// Try again then.
    RetryAt(Timestamp),
    /// Give up.
    GiveUp,
}

impl Store {
    /// The store of the `webhooks` runner's database.
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(Self {
            subscriptions: db.open_tree(SUBSCRIPTIONS)?,
            deliveries: db.open_tree(DELIVERIES)?,
            due: db.open_tree(DUE)?,
        })
    }

    /// A subscription as the store has it.
    pub fn subscription(
        &self,
        id: SubscriptionId,
    ) -> Result<Option<SubscriptionRecord>, StoreError> {
        self.subscriptions
            .get(id.0.as_bytes())?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    /// A delivery.
    pub fn delivery(&self, key: &[u8]) -> Result<Option<Delivery>, StoreError> {
        self.deliveries
            .get(key)?
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    /// Up to `limit` pending deliveries due at `now` or before, in time order, with their due
    /// keys; and the time of the first one not due yet.
    pub fn due(&self, now: Timestamp, limit: usize) -> Result<Due, StoreError> {
        let mut found = Vec::new();
        for row in self.due.iter() {
            let (key, _) = row?;
            let Some((at, delivery)) = parse_due_key(&key) else {
                continue;
            };
            if at > now {
                return Ok((found, Some(at)));
            }
            if found.len() >= limit {
                return Ok((found, Some(at)));
            }
            found.push((key.to_vec(), delivery));
        }
        Ok((found, None))
    }

    /// Records an attempt (if any) and its outcome on a delivery, and moves its `due` row, in
    /// one transaction.
    pub fn record(
        &self,
        due_key_now: &[u8],
        delivery_key: &[u8],
        mut delivery: Delivery,
        attempt: Option<Attempt>,
        outcome: Outcome,
    ) -> Result<(), StoreError> {
        delivery.attempts.extend(attempt);
        let next_due = match outcome {
            Outcome::Delivered => {
                delivery.status = Status::Delivered;
                delivery.next_attempt_at = None;
                None
            }
            Outcome::GiveUp => {
                delivery.status = Status::Failed;
                delivery.next_attempt_at = None;
                None
            }
            Outcome::RetryAt(at) => {
                delivery.status = Status::Pending;
                delivery.next_attempt_at = Some(at);
                Some(due_key(at, delivery_key))
            }
        };
        let bytes =
            serde_json::to_vec(&delivery).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        (&self.deliveries, &self.due)
            .transaction(|(deliveries, due)| {
                due.remove(due_key_now)?;
                if let Some(next) = &next_due {
                    due.insert(next.as_slice(), &[][..])?;
                }
                deliveries.insert(delivery_key, bytes.as_slice())?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => StoreError::Sled(e),
                sled::transaction::TransactionError::Abort(()) => {
                    StoreError::Corrupt("transaction aborted".into())
                }
            })
    }

    /// Drops a `due` row whose delivery is gone or no longer pending.
    pub fn drop_due(&self, due_key: &[u8]) -> Result<(), StoreError> {
        self.due.remove(due_key)?;
        Ok(())
    }

    /// A page of a subscription's deliveries, newest first: at most `limit`, older than the
    /// cursor `after` (a previous page's `next`).
    pub fn page(
        &self,
        subscription: SubscriptionId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page, StoreError> {
        let start = delivery_key(subscription, Uuid::nil());
        let end = match after {
            Some(cursor) => {
                let event = Uuid::parse_str(cursor).map_err(|_| StoreError::InvalidCursor)?;
                delivery_key(subscription, event)
            }
            None => delivery_key(subscription, Uuid::max()),
        };
        let mut items = Vec::new();
        let mut next = None;
        let mut rows = self.deliveries.range(start..end).rev();
        for row in rows.by_ref() {
            let (_, bytes) = row?;
            let delivery: Delivery =
                serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if items.len() == limit {
                next = items.last().map(|last: &DeliveryView| last.id.to_string());
                break;
            }
            items.push(delivery.into());
        }
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_order_by_time_and_read_back() {
        let key = delivery_key(SubscriptionId(Uuid::from_u128(1)), Uuid::from_u128(2));
        let early = Timestamp::from_second(1_800_000_000).unwrap_or_else(|e| panic!("{e}"));
        let late = Timestamp::from_second(1_800_000_001).unwrap_or_else(|e| panic!("{e}"));
        assert!(due_key(early, &key) < due_key(late, &key));
        assert_eq!(parse_due_key(&due_key(early, &key)), Some((early, key)));
        assert_eq!(parse_due_key(b"short"), None);
    }
}
