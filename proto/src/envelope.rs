//! The event envelope and the commit.
//!
//! One decision about one aggregate produces one or more events; they are appended together as
//! one JetStream message, a *commit*, on the aggregate's subject. A commit costs one durable write
//! whatever the number of events in it, which is what makes group commit the main lever on
//! throughput (see `docs/adr/0003-one-message-per-commit.md`). Each event in a commit carries its
//! whole envelope, because a group commit holds the events of several commands (several actors,
//! several correlation ids).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::DecodeError;
use crate::headers;
use time::OffsetDateTime;
use uuid::Uuid;

/// Who asked for the change that an event records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Actor {
    /// An organiser (a département, the State's services, a training centre), by id.
    Organiser {
        /// The organiser's id.
        id: String,
    },
    /// A venue answering hosting requests, by id.
    Venue {
        /// The venue's id.
        id: String,
    },
    /// A partner registering participants through its own front-end, by id.
    Partner {
        /// The partner's id.
        id: String,
    },
    /// semaine itself: a reactor or a scheduled job, by component name.
    System {
        /// The component's name, e.g. `reactor.hosting-requests`.
        component: String,
    },
}

/// The metadata of one event, everything but its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventEnvelope {
    /// A UUID v7: unique, and ordered by creation time.
    pub id: Uuid,
    /// The subject of the aggregate the event belongs to, e.g. `reg.session.<uuid>`.
    pub aggregate: String,
    /// When the decision was taken, UTC.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub occurred_at: OffsetDateTime,
    /// The id shared by everything one outside request caused, across services.
    pub correlation_id: Uuid,
    /// The id of the command or event that directly caused this event.
    pub causation_id: Uuid,
    /// The idempotency key of the command that produced the event, scoped by its caller; a retry
    /// with the same key finds it in the aggregate's history and gets the original answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Who asked for it.
    pub actor: Actor,
}

/// One event as stored: its envelope and its payload in wire form.
///
/// The payload stays a JSON value here; an event family decodes it (upcasting old versions) with
/// [`crate::EventContract::decode`].
// Written with the envelope's fields beside the event's (`flatten`); read by `StoredEventFields`,
// the same shape spelled out.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StoredEvent {
    /// The event's metadata.
    #[serde(flatten)]
    pub envelope: EventEnvelope,
    /// The event type, e.g. `SessionScheduled`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The version of the payload's shape, starting at 1.
    pub version: u16,
    /// The payload.
    pub data: serde_json::Value,
}

/// A stored event as it is read: the envelope's fields and the event's side by side. serde's
/// `flatten` would buffer every event, payload included, in an intermediate tree before reading
/// it again: the largest cost of reading the log back (rebuilds, catch-ups).
#[derive(Deserialize)]
struct StoredEventFields {
    id: Uuid,
    aggregate: String,
    #[serde(with = "time::serde::rfc3339")]
    occurred_at: OffsetDateTime,
    correlation_id: Uuid,
    causation_id: Uuid,
    #[serde(default)]
    idempotency_key: Option<String>,
    actor: Actor,
    #[serde(rename = "type")]
    event_type: String,
    version: u16,
    data: serde_json::Value,
}

impl<'de> Deserialize<'de> for StoredEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = StoredEventFields::deserialize(deserializer)?;
        Ok(Self {
            envelope: EventEnvelope {
                id: fields.id,
                aggregate: fields.aggregate,
                occurred_at: fields.occurred_at,
                correlation_id: fields.correlation_id,
                causation_id: fields.causation_id,
                idempotency_key: fields.idempotency_key,
                actor: fields.actor,
            },
            event_type: fields.event_type,
            version: fields.version,
            data: fields.data,
        })
    }
}

/// The body of one JetStream message: the events one decision (or one group of decisions)
/// produced for one aggregate, stored atomically.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    /// The events, in the order they happened; never empty.
    pub events: Vec<StoredEvent>,
}

impl Commit {
    /// Reads a commit back from a stored message: the value of its [`headers::FORMAT`] header
    /// (`None` when it has none) and its body. This is how every reader of the log decodes a
    /// message, before each event's family decodes its payload.
    ///
    /// Anything else on a stream's subjects (no format header, another format, bad JSON, no
    /// events) is a typed error: projections quarantine it, the command loop refuses to decide on
    /// it. Whatever the bytes, it never panics (`fuzz/` checks it).
    pub fn from_message(format: Option<&str>, body: &[u8]) -> Result<Self, DecodeError> {
        match format {
            Some(headers::COMMIT_FORMAT_V1) => {}
            Some(other) => {
                return Err(DecodeError::NotACommit {
                    reason: format!("unknown format `{other}`"),
                });
            }
            None => {
                return Err(DecodeError::NotACommit {
                    reason: format!("no `{}` header", headers::FORMAT),
                });
            }
        }
        let commit: Self = serde_json::from_slice(body).map_err(|e| DecodeError::NotACommit {
            reason: format!("body is not a commit: {e}"),
        })?;
        if commit.events.is_empty() {
            return Err(DecodeError::NotACommit {
                reason: "the commit holds no event".into(),
            });
        }
        Ok(commit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored message with `data` as the payload of its one event.
    fn message(data: &str) -> Vec<u8> {
        format!(
            r#"{{"events":[{{"id":"01935b2a-7c00-7000-8000-000000000001","aggregate":"a.b.1",
            "occurred_at":"2024-04-15T07:30:00Z","correlation_id":"01935b2a-7c00-7000-8000-000000000002",
            "causation_id":"01935b2a-7c00-7000-8000-000000000003","actor":{{"kind":"system","component":"t"}},
            "type":"Happened","version":1,"data":{data}}}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn anything_but_a_commit_is_a_typed_error() {
        let body = message("null");
        assert!(Commit::from_message(Some(headers::COMMIT_FORMAT_V1), &body).is_ok());
        for (format, body) in [
            (None, body.as_slice()),
            (Some("commit/2"), body.as_slice()),
            (Some(headers::COMMIT_FORMAT_V1), b"{not json".as_slice()),
            (
                Some(headers::COMMIT_FORMAT_V1),
                br#"{"events":[]}"#.as_slice(),
            ),
        ] {
            assert!(matches!(
                Commit::from_message(format, body),
                Err(DecodeError::NotACommit { .. })
            ));
        }
    }

    /// Found by `fuzz/`: a long number in a payload was read to the nearest but one double, and
    /// so changed when the commit was written again.
    #[test]
    fn a_payload_written_again_keeps_its_numbers() {
        let long = "2".repeat(113) + "1";
        let body = message(&format!(
            r#"{{"request":{long},"small":0.1,"tiny":5e-324}}"#
        ));
        let commit =
            Commit::from_message(Some(headers::COMMIT_FORMAT_V1), &body).expect("a commit");
        let written = serde_json::to_vec(&commit).expect("written again");
        let again =
            Commit::from_message(Some(headers::COMMIT_FORMAT_V1), &written).expect("reads back");
        assert_eq!(again, commit);
    }
}
