//! Webhooks over HTTP: a partner key (for its partner) or a venue key (for its venue) makes,
//! lists and deletes its subscriptions and reads each one's delivery log. The rules are the
//! `webhooks` service's; this module only finds the subscriber from the key and maps outcomes to
//! statuses.
//!
//! The secret is in the answer to `POST /webhooks` only (and in its replays: the same request
//! with the same `Idempotency-Key`); lists and reads never show it.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use proto::refusal::ErrorKind;
use proto::webhooks::{Kind, Subscribe, SubscriptionId, WebhookUrl};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use webhooks::{HooksRefusal, Subscriber, Webhooks, WebhooksError};

use super::catalogue::{MinSeq, caught_up_on, invalid_query};
use crate::auth::Caller;
use crate::extract::{Body, Ids};
use crate::keys::{Principal, Role};
use crate::problem::ApiError;
use crate::routes::AppState;
use crate::routes::answers::{Answered, Items, Recorded, Sequenced, WebhooksStream};
use crate::routes::table::*;

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::WEBHOOKS.post(
        "/webhooks",
        "subscribe_webhook",
        "Subscribes a URL to kinds of events; the answer holds the signing secret, \
         shown once",
        WEBHOOK_KEY,
        handled_by!(subscribe),
    )
    .body(body::<proto::webhooks::Subscribe>(
        Contract::Whole("commands/subscribe-webhook"),
        r#"{"url": "https://partenaire.example/semaine/notifications", "kinds": ["registration.promoted", "session.moved", "session.cancelled"]}"#,
    ))
    .created(),
    Area::WEBHOOKS.get(
        "/webhooks",
        "list_webhooks",
        "The key's partner's or venue's subscriptions (no secrets)",
        WEBHOOK_READER,
        handled_by!(list),
    )
    .query(&[MIN_SEQ_SUBSCRIPTIONS]),
    Area::WEBHOOKS.get(
        "/webhooks/{subscription}",
        "get_webhook",
        "One subscription (no secret)",
        WEBHOOK_READER,
        handled_by!(one),
    )
    .query(&[MIN_SEQ_SUBSCRIPTIONS]),
    Area::WEBHOOKS.post(
        "/webhooks/{subscription}/delete",
        "delete_webhook",
        "Deletes a subscription: nothing more is delivered to it",
        WEBHOOK_KEY,
        handled_by!(unsubscribe),
    ),
    Area::WEBHOOKS.get(
        "/webhooks/{subscription}/deliveries",
        "webhook_deliveries",
        "A subscription's delivery log, newest first",
        WEBHOOK_READER,
        handled_by!(deliveries),
    )
    .query(&[
        Param::of::<proto::values::PageSize>(
            "limit",
            "How many deliveries a page holds: 50 by default, at most 200.",
        ),
        Param::of::<uuid::Uuid>("after", "The previous page's `next`."),
        MIN_SEQ_DELIVERIES,
    ]),
];

/// The stream of the webhooks' commits.
pub const WEBHOOKS: &str = proto::subjects::WEBHOOKS.name;

/// The subscriber a key acts as: its partner or its venue; 403 for organisers.
fn subscriber(principal: &Principal) -> Result<Subscriber, ApiError> {
    match &principal.role {
        Role::Partner(partner) => Ok(Subscriber::Partner(partner.clone())),
        Role::Venue(venue) => Ok(Subscriber::Venue(*venue)),
        Role::Organiser(_) => Err(ApiError::forbidden(
            "webhooks are for partner and venue keys",
        )),
    }
}

fn service(state: &AppState) -> Result<&Webhooks, ApiError> {
    state
        .webhooks
        .as_ref()
        .ok_or_else(|| ApiError::not_served("webhooks are not served by this instance"))
}

/// The status of every outcome of the webhooks service.
fn problem(error: WebhooksError) -> ApiError {
    // A refusal's message is told; the other errors' (with their causes) go to the logs only.
    let detail = proto::refusal::explained(&error);
    match &error {
        WebhooksError::Refused(refusal) => {
            let status = match refusal {
                HooksRefusal::NoKind => StatusCode::UNPROCESSABLE_ENTITY,
                // The body is well formed; the key's role may not hear of that kind.
                HooksRefusal::KindNotForSubscriber(_) => StatusCode::FORBIDDEN,
                HooksRefusal::TooManySubscriptions | HooksRefusal::SubscriptionIdUsed => {
                    StatusCode::CONFLICT
                }
                HooksRefusal::UnknownSubscription => StatusCode::NOT_FOUND,
            };
            ApiError::new(status, refusal.code(), detail)
        }
        WebhooksError::Log(failure) if failure.kind() == ErrorKind::Unavailable => {
            ApiError::unavailable(error.code(), &detail)
        }
        WebhooksError::Secrets(_) | WebhooksError::NotServed => {
            ApiError::unavailable(error.code(), &detail)
        }
        WebhooksError::Store(webhooks::StoreError::InvalidCursor) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid-cursor", detail)
        }
        WebhooksError::Log(_) | WebhooksError::Store(_) => {
            tracing::error!(error = %detail, "webhooks failed");
            ApiError::internal(&detail)
        }
    }
}

/// `POST /webhooks`: makes a subscription; its id is derived from the key and the
/// Idempotency-Key, and its secret is in the answer.
pub(crate) async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<Subscribe>,
) -> Result<Answered<Subscribed>, ApiError> {
    let subscriber = subscriber(&caller.principal)?;
    let id = SubscriptionId(caller.derived_id("webhook"));
    let created = service(&state)?
        .subscribe(&subscriber, id, request, &caller.meta())
        .await
        .map_err(problem)?;
    Ok(Answered::created(Subscribed {
        subscription: created.subscription,
        url: created.url,
        kinds: created.kinds,
        secret: created.secret.expose().to_owned(),
        recorded: Recorded::at(created.seq, created.duplicate),
    }))
}

/// A subscription made.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Subscribed {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Where deliveries are POSTed.
    pub url: WebhookUrl,
    /// What it hears of.
    pub kinds: Vec<Kind>,
    /// `whsec_…`: the key every delivery is signed with; shown in this answer (and its
    /// replays) only.
    pub secret: String,
    /// Where the subscription was recorded.
    #[serde(flatten)]
    pub recorded: Recorded<WebhooksStream>,
}

/// A live subscription, without its secret.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Subscription {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Where deliveries are POSTed.
    pub url: WebhookUrl,
    /// What it hears of.
    pub kinds: Vec<Kind>,
}

/// A subscription ended.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Unsubscribed {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Where its end was recorded.
    #[serde(flatten)]
    pub recorded: Sequenced<WebhooksStream>,
}

/// `POST /webhooks/{subscription}/delete`.
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<SubscriptionId>,
) -> Result<Answered<Unsubscribed>, ApiError> {
    let subscriber = subscriber(&caller.principal)?;
    let seq = service(&state)?
        .unsubscribe(&subscriber, id, &caller.meta())
        .await
        .map_err(problem)?;
    Ok(Answered::ok(Unsubscribed {
        subscription: id,
        recorded: Sequenced::at(seq),
    }))
}

/// The name under which the webhooks process's progress is followed: what a delivery log read
/// with `min_seq` waits for.
pub const DELIVERIES: &str = "webhooks";

/// `GET /webhooks`: the key's subscriber's live subscriptions, without secrets. They are read
/// from the log itself: a `min_seq` of the webhooks stream is always reached.
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    _read_from_the_log: MinSeq,
) -> Result<Answered<Items<Subscription>>, ApiError> {
    let subscriber = subscriber(&principal)?;
    let hooks = service(&state)?
        .subscriptions(&subscriber)
        .await
        .map_err(problem)?;
    let items: Vec<_> = hooks
        .subscriptions
        .into_iter()
        .map(|(id, s)| Subscription {
            subscription: id,
            url: s.url,
            kinds: s.kinds,
        })
        .collect();
    Ok(Answered::ok(Items { items }))
}

/// `GET /webhooks/{subscription}`: one of the key's subscriber's subscriptions, without its
/// secret; another's is 404, like one that does not exist. Read from the log, like the list.
pub(crate) async fn one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Ids(id): Ids<SubscriptionId>,
    _read_from_the_log: MinSeq,
) -> Result<Answered<Subscription>, ApiError> {
    let subscriber = subscriber(&principal)?;
    let mut hooks = service(&state)?
        .subscriptions(&subscriber)
        .await
        .map_err(problem)?;
    let found = hooks
        .subscriptions
        .remove(&id)
        .ok_or_else(|| problem(WebhooksError::Refused(HooksRefusal::UnknownSubscription)))?;
    Ok(Answered::ok(Subscription {
        subscription: id,
        url: found.url,
        kinds: found.kinds,
    }))
}

/// The query of a delivery log's page (`min_seq` is read by [`MinSeq`]; other parameters are
/// ignored, as by every read).
#[derive(Debug, Deserialize)]
pub(crate) struct LogQuery {
    /// How many deliveries: 50 by default, 1 to 200.
    limit: Option<proto::values::PageSize>,
    /// The previous page's `next`: a delivery's event id.
    after: Option<uuid::Uuid>,
}

/// `GET /webhooks/{subscription}/deliveries`: the subscription's delivery log, newest first.
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Ids(id): Ids<SubscriptionId>,
    query: Result<Query<LogQuery>, QueryRejection>,
    min_seq: MinSeq,
) -> Result<Answered<webhooks::Page>, ApiError> {
    let Query(query) = query.map_err(|rejection| invalid_query(&rejection))?;
    let limit = query.limit.map_or(50, |limit| usize::from(limit.get()));
    let subscriber = subscriber(&principal)?;
    let service = service(&state)?;
    let hooks = service.subscriptions(&subscriber).await.map_err(problem)?;
    if !hooks.subscriptions.contains_key(&id) {
        return Err(problem(WebhooksError::Refused(
            HooksRefusal::UnknownSubscription,
        )));
    }
    caught_up_on(&state, DELIVERIES, &min_seq).await?;
    let page = service
        .deliveries(
            id,
            limit,
            query.after.map(|after| after.to_string()).as_deref(),
        )
        .map_err(problem)?;
    Ok(Answered::ok(page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisers_have_no_webhooks() {
        let principal = |role| Principal {
            key_id: crate::keys::KeyId::named("k"),
            role,
        };
        assert!(subscriber(&principal(Role::Organiser(crate::keys::Editions::All))).is_err());
        let partner = proto::values::PartnerId::parse("ml-gap").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            subscriber(&principal(Role::Partner(partner.clone()))).ok(),
            Some(Subscriber::Partner(partner))
        );
    }
}
