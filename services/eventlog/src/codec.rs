//! A commit to and from a NATS message: headers for routing and tracing, JSON for the events.

use async_nats::HeaderMap;
use bytes::Bytes;
use proto::{Commit, DecodeError, headers};

/// The headers and body of the message that carries `commit`.
///
/// `msg_id` becomes `Semaine-Commit-Id` (and `Nats-Msg-Id` when the commit is published alone);
/// the expected subject sequence is set by the caller.
pub fn encode(commit: &Commit, msg_id: &str) -> Result<(HeaderMap, Bytes), serde_json::Error> {
    let body = serde_json::to_vec(commit)?;
    let mut map = HeaderMap::new();
    map.insert(headers::COMMIT_ID, msg_id);
    map.insert(headers::FORMAT, headers::COMMIT_FORMAT_V1);
    let types: Vec<String> = commit
        .events
        .iter()
        .map(|e| format!("{}/{}", e.event_type, e.version))
        .collect();
    map.insert(headers::EVENT_TYPES, types.join(",").as_str());
    if let Some(first) = commit.events.first() {
        map.insert(
            headers::CORRELATION_ID,
            first.envelope.correlation_id.to_string().as_str(),
        );
    }
    Ok((map, Bytes::from(body)))
}

/// Reads a commit back from a message's headers and body: [`Commit::from_message`] with the
/// message's format header.
pub fn decode(map: Option<&HeaderMap>, payload: &[u8]) -> Result<Commit, DecodeError> {
    let format = map.and_then(|m| m.get(headers::FORMAT)).map(|v| v.as_str());
    Commit::from_message(format, payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{Actor, EventEnvelope, StoredEvent};

    fn sample() -> Commit {
        Commit {
            events: vec![StoredEvent {
                envelope: EventEnvelope {
                    id: uuid::Uuid::now_v7(),
                    aggregate: "test.thing.1".into(),
                    occurred_at: time::OffsetDateTime::UNIX_EPOCH,
                    correlation_id: uuid::Uuid::now_v7(),
                    causation_id: uuid::Uuid::now_v7(),
                    idempotency_key: Some("k".into()),
                    actor: Actor::System {
                        component: "test".into(),
                    },
                },
                event_type: "Happened".into(),
                version: 1,
                data: serde_json::json!({"n": 1}),
            }],
        }
    }

    #[test]
    fn a_commit_round_trips() {
        let commit = sample();
        let (map, body) = encode(&commit, "k").expect("encodes");
        assert_eq!(
            map.get(headers::EVENT_TYPES).map(|v| v.as_str()),
            Some("Happened/1")
        );
        assert_eq!(decode(Some(&map), &body).expect("decodes"), commit);
    }

    #[test]
    fn anything_else_is_not_a_commit() {
        let (map, body) = encode(&sample(), "k").expect("encodes");
        assert!(decode(None, &body).is_err(), "no header");
        assert!(decode(Some(&map), b"{not json").is_err(), "garbage body");
        assert!(
            decode(Some(&map), br#"{"events":[]}"#).is_err(),
            "empty commit"
        );
        let mut other = HeaderMap::new();
        other.insert(headers::FORMAT, "commit/9");
        assert!(decode(Some(&other), &body).is_err(), "unknown format");
    }
}
