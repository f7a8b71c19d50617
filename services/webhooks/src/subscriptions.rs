//! The pure rules of a subscriber's webhooks: one aggregate per partner or venue
//! (`hook.partner.<id>`, `hook.venue.<id>`) holding every subscription it made.
//!
//! No I/O, no clock: [`Hooks`] is a [`Decider`] like the other contexts' aggregates, and the
//! shell ([`crate::Webhooks`]) loads, decides and appends.

use std::collections::{BTreeMap, BTreeSet};

use decider::Decider;
use proto::webhooks::{
    Event, Kind, Subscribe, Subscribed, SubscriptionId, Unsubscribed, WebhookUrl,
};
use serde::{Deserialize, Serialize};

/// The most live subscriptions one partner or venue may hold.
pub const MAX_SUBSCRIPTIONS: usize = 10;

/// Who subscribes: the kinds each may hear of differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriberKind {
    /// A partner: its registrations and the sessions they are in.
    Partner,
    /// A venue: its hosting requests and the sessions it was asked to host.
    Venue,
}

impl SubscriberKind {
    /// Whether this subscriber may hear of `kind`.
    pub fn may_hear(self, kind: Kind) -> bool {
        match self {
            Self::Partner => kind.for_partners(),
            Self::Venue => kind.for_venues(),
        }
    }
}

/// One live subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Where deliveries go.
    pub url: WebhookUrl,
    /// What it is told of.
    pub kinds: Vec<Kind>,
}

/// A subscriber's webhooks, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HooksState {
    /// The live subscriptions.
    pub subscriptions: BTreeMap<SubscriptionId, Subscription>,
    /// The deleted ones: their ids are never used again.
    pub deleted: BTreeSet<SubscriptionId>,
}

/// What a subscriber may ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HooksCommand {
    /// Makes a subscription under `subscription` (an id the shell derived from the request).
    Subscribe {
        /// Its id.
        subscription: SubscriptionId,
        /// Who asks (the shell knows it from the key).
        subscriber: SubscriberKind,
        /// What it asks.
        request: Subscribe,
    },
    /// Deletes a subscription.
    Unsubscribe {
        /// Which.
        subscription: SubscriptionId,
    },
}

/// Why a command is refused, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HooksRefusal {
    /// No kind was asked for.
    #[error("a subscription asks for at least one kind")]
    NoKind,
    /// A kind this subscriber may not hear of.
    #[error("`{}` is not for this subscriber: partners hear of registration.* and session.*, venues of session.* and hosting.requested", .0.as_str())]
    KindNotForSubscriber(Kind),
    /// Too many live subscriptions already.
    #[error("at most {MAX_SUBSCRIPTIONS} subscriptions at once: delete one first")]
    TooManySubscriptions,
    /// The id is taken by another subscription (live or deleted).
    #[error("this subscription id is already used for another subscription")]
    SubscriptionIdUsed,
    /// No such live subscription.
    #[error("no such subscription")]
    UnknownSubscription,
}

impl HooksRefusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoKind => "no-kind",
            Self::KindNotForSubscriber(_) => "kind-not-for-subscriber",
            Self::TooManySubscriptions => "too-many-subscriptions",
            Self::SubscriptionIdUsed => "subscription-id-used",
            Self::UnknownSubscription => "unknown-subscription",
        }
    }
}

/// The kinds asked for, each once, in [`Kind::ALL`]'s order.
pub fn normalised(kinds: &[Kind]) -> Vec<Kind> {
    Kind::ALL
        .into_iter()
        .filter(|k| kinds.contains(k))
        .collect()
}

/// What is refused in a request whatever the subscriber's state: no kind, or a kind the
/// subscriber may not hear of.
pub fn check_request(subscriber: SubscriberKind, request: &Subscribe) -> Result<(), HooksRefusal> {
    if request.kinds.is_empty() {
        return Err(HooksRefusal::NoKind);
    }
    match request.kinds.iter().find(|k| !subscriber.may_hear(**k)) {
        Some(kind) => Err(HooksRefusal::KindNotForSubscriber(*kind)),
        None => Ok(()),
    }
}

/// The decider of a subscriber's webhooks.
pub struct Hooks;

impl Decider for Hooks {
    type State = HooksState;
    type Command = HooksCommand;
    type Event = Event;
    type Error = HooksRefusal;

    fn decide(state: &HooksState, command: &HooksCommand) -> Result<Vec<Event>, HooksRefusal> {
        match command {
            HooksCommand::Subscribe {
                subscription,
                subscriber,
                request,
            } => {
                check_request(*subscriber, request)?;
                let kinds = normalised(&request.kinds);
                if let Some(existing) = state.subscriptions.get(subscription) {
                    return if existing.url == request.url && existing.kinds == kinds {
                        Ok(Vec::new())
                    } else {
                        Err(HooksRefusal::SubscriptionIdUsed)
                    };
                }
                if state.deleted.contains(subscription) {
                    return Err(HooksRefusal::SubscriptionIdUsed);
                }
                if state.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                    return Err(HooksRefusal::TooManySubscriptions);
                }
                Ok(vec![Event::Subscribed(Subscribed {
                    subscription: *subscription,
                    url: request.url.clone(),
                    kinds,
                })])
            }
            HooksCommand::Unsubscribe { subscription } => {
                if state.subscriptions.contains_key(subscription) {
                    Ok(vec![Event::Unsubscribed(Unsubscribed {
                        subscription: *subscription,
                    })])
                } else {
                    Err(HooksRefusal::UnknownSubscription)
                }
            }
        }
    }

    fn evolve(mut state: HooksState, event: &Event) -> HooksState {
        match event {
            Event::Subscribed(made) => {
                state.subscriptions.insert(
                    made.subscription,
                    Subscription {
                        url: made.url.clone(),
                        kinds: made.kinds.clone(),
                    },
                );
            }
            Event::Unsubscribed(gone) => {
                state.subscriptions.remove(&gone.subscription);
                state.deleted.insert(gone.subscription);
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use decider::Spec;
    use uuid::Uuid;

    fn id(n: u128) -> SubscriptionId {
        SubscriptionId(Uuid::from_u128(n))
    }

    fn url() -> WebhookUrl {
        WebhookUrl::parse("https://partner.example/hook").unwrap_or_else(|e| panic!("{e}"))
    }

    fn subscribe(n: u128, subscriber: SubscriberKind, kinds: &[Kind]) -> HooksCommand {
        HooksCommand::Subscribe {
            subscription: id(n),
            subscriber,
            request: Subscribe {
                url: url(),
                kinds: kinds.to_vec(),
            },
        }
    }

    fn subscribed(n: u128, kinds: &[Kind]) -> Event {
        Event::Subscribed(Subscribed {
            subscription: id(n),
            url: url(),
            kinds: kinds.to_vec(),
        })
    }

    #[test]
    fn a_partner_subscribes_to_its_kinds_each_once_in_order() {
        Spec::<Hooks>::given([])
            .when(subscribe(
                1,
                SubscriberKind::Partner,
                &[
                    Kind::SessionMoved,
                    Kind::RegistrationPromoted,
                    Kind::SessionMoved,
                ],
            ))
            .then([subscribed(
                1,
                &[Kind::RegistrationPromoted, Kind::SessionMoved],
            )]);
    }

    #[test]
    fn each_subscriber_hears_only_of_its_kinds() {
        Spec::<Hooks>::given([])
            .when(subscribe(
                1,
                SubscriberKind::Partner,
                &[Kind::HostingRequested],
            ))
            .then_error(HooksRefusal::KindNotForSubscriber(Kind::HostingRequested));
        Spec::<Hooks>::given([])
            .when(subscribe(
                1,
                SubscriberKind::Venue,
                &[Kind::RegistrationConfirmed],
            ))
            .then_error(HooksRefusal::KindNotForSubscriber(
                Kind::RegistrationConfirmed,
            ));
        Spec::<Hooks>::given([])
            .when(subscribe(1, SubscriberKind::Venue, &[]))
            .then_error(HooksRefusal::NoKind);
    }

    #[test]
    fn ids_are_used_once_and_subscriptions_are_bounded() {
        let kinds = [Kind::SessionCancelled];
        Spec::<Hooks>::given([subscribed(1, &kinds)])
            .when(subscribe(1, SubscriberKind::Venue, &kinds))
            .then([]);
        Spec::<Hooks>::given([subscribed(1, &kinds)])
            .when(subscribe(1, SubscriberKind::Venue, &[Kind::SessionMoved]))
            .then_error(HooksRefusal::SubscriptionIdUsed);
        Spec::<Hooks>::given([
            subscribed(1, &kinds),
            Event::Unsubscribed(Unsubscribed {
                subscription: id(1),
            }),
        ])
        .when(subscribe(1, SubscriberKind::Venue, &kinds))
        .then_error(HooksRefusal::SubscriptionIdUsed);
        let full: Vec<Event> = (0..MAX_SUBSCRIPTIONS as u128)
            .map(|n| subscribed(100 + n, &kinds))
            .collect();
        Spec::<Hooks>::given(full)
            .when(subscribe(1, SubscriberKind::Venue, &kinds))
            .then_error(HooksRefusal::TooManySubscriptions);
    }

    #[test]
    fn only_a_live_subscription_is_deleted() {
        let kinds = [Kind::SessionCancelled];
        let gone = Event::Unsubscribed(Unsubscribed {
            subscription: id(1),
        });
        Spec::<Hooks>::given([subscribed(1, &kinds)])
            .when(HooksCommand::Unsubscribe {
                subscription: id(1),
            })
            .then([gone.clone()]);
        Spec::<Hooks>::given([subscribed(1, &kinds), gone])
            .when(HooksCommand::Unsubscribe {
                subscription: id(1),
            })
            .then_error(HooksRefusal::UnknownSubscription);
    }
}
