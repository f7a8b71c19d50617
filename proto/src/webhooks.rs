//! Webhook subscriptions: a partner or a venue asks to be told, at a URL of its own, of what
//! happens to its registrations, its hosting requests and its sessions.
//!
//! Stream `WEBHOOKS`, one aggregate per subscriber: `hook.partner.<partner id>` and
//! `hook.venue.<venue id>`, holding every subscription of that partner or venue. The secret a
//! subscription's deliveries are signed with is never in the log (it is kept in a key-value
//! bucket by the webhooks service); events name the subscription, its URL and the kinds wanted.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::contract::event_family;
use crate::values::Invalid;

/// A webhook subscription, made by the server (UUID v5 of the request that created it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct SubscriptionId(pub Uuid);

impl std::fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a subscriber may be told of. Partners hear of their own registrations and of the
/// sessions they hold registrations in; venues of their hosting requests and of the sessions
/// they were asked to host.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum Kind {
    /// A registration of the partner holds its seats (`RegistrationConfirmed`).
    #[serde(rename = "registration.confirmed")]
    RegistrationConfirmed,
    /// A waiting registration of the partner took freed seats (`RegistrationPromoted`).
    #[serde(rename = "registration.promoted")]
    RegistrationPromoted,
    /// A confirmed registration of the partner went back to the waiting list
    /// (`RegistrationDemoted`).
    #[serde(rename = "registration.demoted")]
    RegistrationDemoted,
    /// A registration of the partner was cancelled, by whoever (`RegistrationCancelled`).
    #[serde(rename = "registration.cancelled")]
    RegistrationCancelled,
    /// A session moved in time or to another venue (`SessionRescheduled`,
    /// `SessionVenueChanged`).
    #[serde(rename = "session.moved")]
    SessionMoved,
    /// A session was cancelled by its organiser (`SeatsSessionCancelled` for partners,
    /// `SessionCancelled` for venues).
    #[serde(rename = "session.cancelled")]
    SessionCancelled,
    /// The venue was asked to host a session (`HostingRequested`).
    #[serde(rename = "hosting.requested")]
    HostingRequested,
}

impl Kind {
    /// Every kind, in the order the API lists them.
    pub const ALL: [Kind; 7] = [
        Kind::RegistrationConfirmed,
        Kind::RegistrationPromoted,
        Kind::RegistrationDemoted,
        Kind::RegistrationCancelled,
        Kind::SessionMoved,
        Kind::SessionCancelled,
        Kind::HostingRequested,
    ];

    /// Its name on the wire, e.g. `registration.promoted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationConfirmed => "registration.confirmed",
            Self::RegistrationPromoted => "registration.promoted",
            Self::RegistrationDemoted => "registration.demoted",
            Self::RegistrationCancelled => "registration.cancelled",
            Self::SessionMoved => "session.moved",
            Self::SessionCancelled => "session.cancelled",
            Self::HostingRequested => "hosting.requested",
        }
    }

    /// Whether a partner may subscribe to it.
    pub fn for_partners(self) -> bool {
        !matches!(self, Self::HostingRequested)
    }

    /// Whether a venue may subscribe to it.
    pub fn for_venues(self) -> bool {
        matches!(
            self,
            Self::SessionMoved | Self::SessionCancelled | Self::HostingRequested
        )
    }
}

/// Where deliveries are POSTed: an absolute `http` or `https` URL with a host, without
/// credentials or fragment, at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = URL_PATTERN, "maxLength" = 2_000))]
pub struct WebhookUrl(String);

/// What a JSON Schema `pattern` says of a [`WebhookUrl`] (with `maxLength`; a host name's 253
/// characters are checked by the server only): the scheme in any case, a host name or a bracketed
/// IPv6 address, a port from 1 to 65535, then visible ASCII without `#`.
const URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://(?:[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63})*|\\[[0-9A-Fa-f:]+\\])(?::0*(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:[/?][!-\"$-~]*)?$(?!\\n)";

impl WebhookUrl {
    /// Checks `value`.
    pub fn parse(value: impl Into<String>) -> Result<Self, Invalid> {
        let value: String = value.into();
        check_url(&value).map_err(|e| Invalid(format!("a webhook URL {e}, not {value:?}")))?;
        Ok(Self(value))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it is an `https` URL.
    pub fn is_https(&self) -> bool {
        self.0
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(value)
    }
}

impl From<WebhookUrl> for String {
    fn from(value: WebhookUrl) -> String {
        value.0
    }
}

impl std::fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is wrong with a URL, as the end of "a webhook URL …".
fn check_url(value: &str) -> Result<(), &'static str> {
    if value.len() > 2_000 {
        return Err("is at most 2,000 characters");
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("is visible ASCII without spaces (percent-encode the rest)");
    }
    let rest = ["http://", "https://"]
        .iter()
        .find_map(|scheme| {
            value
                .get(..scheme.len())
                .filter(|s| s.eq_ignore_ascii_case(scheme))
                .map(|_| &value[scheme.len()..])
        })
        .ok_or("starts with http:// or https://")?;
    if value.contains('#') {
        return Err("has no fragment (#…)");
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("holds no user name or password");
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or("has a closed IPv6 address")?;
        if host.is_empty() || !host.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return Err("has a valid IPv6 address");
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or("has a port after `]:`")?),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !authority.starts_with('[') && !host_ok {
        return Err("has a host name (letters, digits, `-`, dots)");
    }
    // Read as before (a `+` sign included): a subscription stored so must read again.
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p > 0)
    {
        return Err("has a port from 1 to 65535");
    }
    Ok(())
}

/// A subscription asked for: where to POST, and what to tell. The body of `POST /webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    /// Where deliveries are POSTed.
    pub url: WebhookUrl,
    /// The kinds wanted: at least one, each one the subscriber may hear of.
    #[schemars(extend("minItems" = 1))]
    pub kinds: Vec<Kind>,
}

/// A subscription was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Subscribed {
    /// The subscription.
    pub subscription: SubscriptionId,
    /// Where its deliveries go.
    pub url: WebhookUrl,
    /// The kinds it is told of, each once, in [`Kind::ALL`]'s order.
    pub kinds: Vec<Kind>,
}

/// A subscription was deleted: nothing more is delivered to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Unsubscribed {
    /// The subscription.
    pub subscription: SubscriptionId,
}

event_family!(
    /// What a subscriber's webhooks record.
    Event {
        /// A subscription was made.
        Subscribed(Subscribed) = "WebhookSubscribed" v 1,
        /// A subscription was deleted.
        Unsubscribed(Unsubscribed) = "WebhookUnsubscribed" v 1,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_http_with_a_host() {
        for good in [
            "https://partner.example/hooks/semaine",
            "http://127.0.0.1:8080/hook",
            "HTTPS://Example.org",
            "https://example.org/a?b=c&d=%20e",
            "http://[::1]:9000/x",
            "http://localhost",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ftp://example.org",
            "example.org/hook",
            "https://",
            "https:///path",
            "https://user:pw@example.org/",
            "https://example.org/#frag",
            "https://exa mple.org/",
            "https://example.org:0/",
            "https://example.org:99999/",
            "https://example..org/",
            "http://[::1/",
            "https://é.example/",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(WebhookUrl::parse(format!("https://a.example/{}", "x".repeat(2_000))).is_err());
    }

    #[test]
    fn kinds_are_written_as_the_api_lists_them() {
        for kind in Kind::ALL {
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::Value::String(kind.as_str().to_owned()))
            );
        }
        assert!(Kind::ALL.iter().all(|k| k.for_partners() || k.for_venues()));
    }
}
