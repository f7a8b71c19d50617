//! Idempotency keys: a retried POST gets the first answer, and records nothing more.
//!
//! Every POST carries an `Idempotency-Key` header (1 to 200 visible ASCII characters), chosen by
//! the client for one request and sent again, unchanged, with each retry of that request. Keys
//! are scoped by the API key that sends them: two callers never collide.
//!
//! Two layers answer a retry:
//!
//! 1. **The gateway's store**, the key-value bucket [`IDEMPOTENCY_BUCKET`] (entries live 24 hours
//!    after their last write). Once a command succeeded the gateway stores, under the key, the
//!    SHA-256 of the request (method, path and query, body) and the response (status and JSON
//!    body): one write. The same key with the same request within 24 hours gets the stored
//!    response again, with `Idempotent-Replayed: true`; with another request, 422
//!    `idempotency-key-reused`. A copy arriving while the first runs (nothing stored yet) is run
//!    too: the log answers it (next layer).
//! 2. **The event log's own idempotency.** The command is sent with the idempotency key
//!    `<key id>:<Idempotency-Key>`, so a retry that reaches the services (the gateway stopped
//!    between the command and storing its response, or the store had expired) is answered by
//!    the aggregate's history with the original outcome (`duplicate: true`).
//!
//! An answer that holds a secret (a field named `secret`, `password`, `token` or `link`, at any
//! depth: a webhook subscription's secret) is never stored: only the request's hash is, and a
//! retry runs again, answered by the log and the service.
//!
//! Only what the log also remembers is stored: a success. After a 4xx nothing was recorded, so
//! the key may be sent again with a corrected request. After a 5xx the outcome is unknown (an
//! append may have been stored without its acknowledgement): the client retries the same
//! request with the same key, and the log answers whether it was stored. Nothing is written
//! before the command runs: a request costs the store one read, and one write if it succeeded.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv::{self, Operation};
use async_nats::jetstream::{self};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use eventlog::{StreamWriter, Write, bucket_subject};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::keys::{KeyId, Principal, hex};
use crate::problem::ApiError;
use crate::routes::AppState;

/// The key-value bucket of requests seen and their responses.
pub const IDEMPOTENCY_BUCKET: &str = "idempotency";

/// How long a key is remembered after its last write.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The response header set on a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// How long a write of the bucket waits for its acknowledgement.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest response stored (the gateway's answers are a few hundred bytes).
const STORED_RESPONSE_LIMIT: usize = 64 * 1024;

/// A client's idempotency key: 1 to 200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a key.
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        let visible = value.bytes().all(|b| b.is_ascii_graphic());
        if (1..=200).contains(&value.len()) && visible {
            Ok(Self(value.to_owned()))
        } else {
            Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid-idempotency-key",
                "an Idempotency-Key is 1 to 200 visible ASCII characters (no spaces)",
            ))
        }
    }

    /// Reads the key of a request.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency-key-required",
                "every POST needs an Idempotency-Key header: a new one per request, the same \
                 one for each retry of it",
            ));
        };
        Self::parse(value.to_str().unwrap_or(""))
    }

    /// The key as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key of the command in the event log: scoped by the API key that sent it.
    pub fn for_log(&self, key_id: &KeyId) -> String {
        format!("{key_id}:{}", self.0)
    }
}

/// What is stored under a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    /// The hex of the request's SHA-256.
    request: String,
    /// The response, once the command succeeded.
    #[serde(default)]
    response: Option<StoredResponse>,
}

/// A response as stored and replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredResponse {
    /// Its status.
    status: u16,
    /// Its JSON body.
    body: serde_json::Value,
}

impl IntoResponse for StoredResponse {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut response = (status, axum::Json(self.body)).into_response();
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
        response
    }
}

/// What to do with a request, given what the store holds under its key.
#[derive(Debug)]
enum Seen {
    /// New, or the same request again with no response stored: run it, and store its response
    /// over the entry at this revision (0: none).
    Run {
        /// The revision of the entry the response is written over.
        revision: u64,
    },
    /// Answered before: replay.
    Replay(StoredResponse),
    /// The key was used for another request.
    Reused,
}

/// The store of idempotency keys.
#[derive(Clone)]
pub struct IdempotencyStore {
    /// The bucket [`IDEMPOTENCY_BUCKET`].
    kv: std::sync::Arc<kv::Store>,
    /// Its entries' writer: claims and responses of concurrent requests are written together
    /// (one durable write for many), each with the revision it expects.
    writer: Arc<StreamWriter>,
}

fn store_unavailable(e: &dyn std::fmt::Display) -> ApiError {
    ApiError::unavailable("unavailable", e)
}

impl IdempotencyStore {
    /// Opens (or creates) the bucket, with `replicas` replicas.
    pub async fn open(js: &jetstream::Context, replicas: usize) -> Result<Self, async_nats::Error> {
        let config = kv::Config {
            bucket: IDEMPOTENCY_BUCKET.into(),
            description: "idempotency keys of the HTTP gateway: requests and their responses"
                .into(),
            history: 1,
            max_age: REMEMBERED_FOR,
            storage: jetstream::stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        };
        let kv = match js.create_key_value(config.clone()).await {
            Ok(store) => store,
            Err(_) => js.update_key_value(config).await?,
        };
        let writer = StreamWriter::for_bucket(js, IDEMPOTENCY_BUCKET, WRITE_TIMEOUT).await?;
        Ok(Self {
            kv: Arc::new(kv),
            writer: Arc::new(writer),
        })
    }

    /// Where a key is stored: the API key's id, then the hash of the client's key (which may
    /// hold characters a bucket key may not).
    fn entry_name(key_id: &KeyId, key: &IdempotencyKey) -> String {
        format!("{key_id}.{}", hex(&Sha256::digest(key.0.as_bytes())))
    }

    /// Looks the key up.
    async fn seen(&self, name: &str, request: &str) -> Result<Seen, ApiError> {
        let entry = self
            .kv
            .entry(name)
            .await
            .map_err(|e| store_unavailable(&e))?;
        let Some(entry) = entry else {
            return Ok(Seen::Run { revision: 0 });
        };
        if entry.operation != Operation::Put {
            // Forgotten (deleted): written over its marker.
            return Ok(Seen::Run {
                revision: entry.revision,
            });
        }
        let record: Record = match serde_json::from_slice(&entry.value) {
            Ok(record) => record,
            Err(e) => return Err(ApiError::internal(&e)),
        };
        Ok(if record.request != request {
            Seen::Reused
        } else if let Some(response) = record.response {
            Seen::Replay(response)
        } else {
            // A claim without its response, as earlier versions wrote before running.
            Seen::Run {
                revision: entry.revision,
            }
        })
    }

    /// Writes an entry over revision `expected` (0: a new entry); its revision.
    async fn write(&self, name: &str, expected: u64, value: Vec<u8>) -> Result<u64, String> {
        let write = Write {
            subject: bucket_subject(IDEMPOTENCY_BUCKET, name),
            expected,
            headers: async_nats::HeaderMap::new(),
            body: value.into(),
            msg_id: uuid::Uuid::now_v7().to_string(),
        };
        self.writer
            .write(write)
            .await
            .map(|(revision, _)| revision)
            .map_err(|e| e.to_string())
    }

    /// Stores the response of a request that succeeded over the entry at `revision`. A failure
    /// (a concurrent copy stored first, or the store did not answer) is only logged: the log's
    /// own idempotency still answers a retry.
    async fn remember(
        &self,
        name: &str,
        revision: u64,
        request: &str,
        status: StatusCode,
        body: &Bytes,
    ) {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(body) else {
            tracing::warn!("a successful response is not JSON; it is not stored");
            return;
        };
        // An answer that holds a secret (a webhook subscription's) is not kept: only the
        // request's hash is, so that the key is still refused for another request, and a retry
        // runs again and gets the secret from where it is kept sealed (the service answers it as
        // a duplicate).
        let response = (!holds_secret(&body)).then(|| StoredResponse {
            status: status.as_u16(),
            body,
        });
        let record = Record {
            request: request.to_owned(),
            response,
        };
        let stored = match serde_json::to_vec(&record) {
            Ok(bytes) => self.write(name, revision, bytes).await.map(|_| ()),
            Err(e) => {
                tracing::warn!(error = %e, "cannot encode a response");
                return;
            }
        };
        if let Err(e) = stored {
            tracing::warn!(error = %e, "cannot store a response; the log answers retries");
        }
    }
}

/// The names of the answers' fields that hold something only the caller may see once.
const SECRET_FIELDS: [&str; 4] = ["secret", "password", "token", "link"];

/// Whether an answer holds a secret, at any depth, by its fields' names.
fn holds_secret(body: &serde_json::Value) -> bool {
    match body {
        serde_json::Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| SECRET_FIELDS.contains(&name.as_str()) || holds_secret(value)),
        serde_json::Value::Array(items) => items.iter().any(holds_secret),
        _ => false,
    }
}

/// The SHA-256 of a request: method, path and query, body.
fn request_hash(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b"\n");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex(&hash.finalize())
}

/// Reads a body up to `limit` bytes: 413 beyond.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
        if too_large {
            ApiError::body_too_large(limit)
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable-body",
                "the request body could not be read",
            )
        }
    })
}

/// The middleware: replays, refuses reused keys, or runs the request and remembers its answer.
/// Runs after authentication (it needs the [`Principal`]); only POSTs are concerned.
pub async fn idempotent(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if request.method() != Method::POST {
        return Ok(next.run(request).await);
    }
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        return Err(ApiError::unauthenticated());
    };
    let key = IdempotencyKey::from_headers(request.headers())?;
    let (mut parts, body) = request.into_parts();
    // A declared length over the limit is refused before reading anything.
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > crate::BODY_LIMIT as u64) {
        return Err(ApiError::body_too_large(crate::BODY_LIMIT));
    }
    let bytes = read_body(body, crate::BODY_LIMIT).await?;
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |p| p.as_str());
    let request_hash = request_hash(&parts.method, path, &bytes);
    let store = &state.idempotency;
    let name = IdempotencyStore::entry_name(&principal.key_id, &key);
    let revision = match store.seen(&name, &request_hash).await? {
        Seen::Replay(response) => return Ok(response.into_response()),
        Seen::Reused => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "this Idempotency-Key was sent with another request; use a new key for a new \
                 request",
            ));
        }
        Seen::Run { revision } => revision,
    };
    parts.extensions.insert(key);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_success() {
        let (parts, body) = response.into_parts();
        let body = match axum::body::to_bytes(body, STORED_RESPONSE_LIMIT).await {
            Ok(body) => body,
            Err(e) => return Err(ApiError::internal(&e)),
        };
        store
            .remember(&name, revision, &request_hash, status, &body)
            .await;
        Ok(Response::from_parts(parts, Body::from(body)))
    } else {
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_holding_a_secret_are_found_at_any_depth() {
        assert!(holds_secret(
            &serde_json::json!({"subscription": "x", "secret": "whsec_1"})
        ));
        assert!(holds_secret(
            &serde_json::json!({"items": [{"invitation": {"link": "…"}}]})
        ));
        assert!(!holds_secret(
            &serde_json::json!({"registration": "r", "status": "confirmed"})
        ));
        assert!(
            !holds_secret(&serde_json::json!(["secret"])),
            "a value, not a field"
        );
    }

    #[test]
    fn keys_are_visible_ascii_up_to_200() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(200)).is_ok());
        assert!(IdempotencyKey::parse("order-42:retry/1").is_ok());
        for bad in ["", " a", "a b", "clé", "tab\t", &"k".repeat(201)] {
            let error = IdempotencyKey::parse(bad).err();
            assert_eq!(
                error.map(|e| e.code),
                Some("invalid-idempotency-key"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_missing_key_is_asked_for() {
        let error = IdempotencyKey::from_headers(&HeaderMap::new()).err();
        assert_eq!(error.map(|e| e.code), Some("idempotency-key-required"));
    }

    #[test]
    fn the_request_hash_covers_method_path_and_body() {
        let base = request_hash(&Method::POST, "/editions", b"{}");
        assert_eq!(base, request_hash(&Method::POST, "/editions", b"{}"));
        assert_ne!(base, request_hash(&Method::PUT, "/editions", b"{}"));
        assert_ne!(base, request_hash(&Method::POST, "/events", b"{}"));
        assert_ne!(base, request_hash(&Method::POST, "/editions", b"{ }"));
    }

    #[test]
    fn the_log_key_is_scoped_by_the_api_key() -> Result<(), ApiError> {
        let key = IdempotencyKey::parse("k-1")?;
        let id: KeyId = serde_json::from_str("\"abc\"").map_err(|e| ApiError::internal(&e))?;
        assert_eq!(key.for_log(&id), "abc:k-1");
        Ok(())
    }
}
