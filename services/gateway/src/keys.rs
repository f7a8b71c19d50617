//! API keys: who is calling, and what they may touch.
//!
//! A key has a role and a scope: an **organiser** of one edition (or of all, `*`), a **venue**
//! (its own venue id) or a **partner** (its partner id). Its secret, `semaine_<43 characters>`
//! (32 random bytes, base64url), is shown once, when the key is created; the key-value bucket
//! [`KEYS_BUCKET`] only ever holds its SHA-256 hash, so a copy of the bucket opens nothing.
//!
//! A record is stored under the hex of the hash (what a caller's secret is looked up by), and a
//! small index entry `id.<key id>` points from the key's public id to it, for revocation. A
//! revoked key stays in the bucket, marked, so that its id is never reused and a list shows it.
//!
//! **Why a lookup by hash is constant-time enough.** Authentication hashes the presented secret
//! and reads the record stored under that hash. The lookup's timing depends on the hash of the
//! attacker's guess, never on the bytes of a secret it does not know: to learn anything useful
//! from it, an attacker would need SHA-256 preimages. Once found, the stored hash is still
//! compared with [`subtle::ConstantTimeEq`], so a corrupted or hand-edited record cannot be
//! matched by a prefix either.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, kv};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use proto::Actor;
pub use proto::access::{Editions, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The key-value bucket of API keys (hashes only).
pub const KEYS_BUCKET: &str = "api_keys";

/// What every secret starts with, so that a leaked one is easy to recognise (and to scan for).
pub const SECRET_PREFIX: &str = "semaine_";

/// The length of a secret's random part: 32 bytes in base64url without padding.
const SECRET_BODY_LEN: usize = 43;

/// The public id of a key: safe to log and to show; revocation names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// A key id as an operator typed it (`semaine keys revoke <id>`).
    pub fn named(id: &str) -> Self {
        Self(id.to_owned())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key's secret, shown once at creation. Its `Debug` hides it, and it has no `Display`, so
/// that it does not end up in a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, to hand to whoever holds the key.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Who is calling: an authenticated, unrevoked key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's public id: rate limits, idempotency keys and organisers' actors are scoped by
    /// it.
    pub key_id: KeyId,
    /// What it may do.
    pub role: Role,
}

impl Principal {
    /// The actor its commands are recorded with: the venue or the partner it acts as; for an
    /// organiser, the key itself (its scope is an edition, not a person).
    pub fn actor(&self) -> Actor {
        match &self.role {
            Role::Organiser(_) => Actor::Organiser {
                id: self.key_id.to_string(),
            },
            Role::Venue(venue) => Actor::Venue {
                id: venue.to_string(),
            },
            Role::Partner(partner) => Actor::Partner {
                id: partner.to_string(),
            },
        }
    }
}

/// A key as listed: everything but its secret (which is not stored) and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// Its public id.
    pub key_id: KeyId,
    /// Its role and scope.
    #[serde(flatten)]
    pub role: Role,
    /// When it was created, in seconds since the Unix epoch.
    pub created_at: u64,
    /// True once revoked: it authenticates nobody any more.
    pub revoked: bool,
}

/// What the bucket holds under the hash of a secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    /// The hex of the secret's SHA-256, compared in constant time on authentication.
    hash: String,
    /// What is shown of the key.
    #[serde(flatten)]
    info: KeyInfo,
}

/// Why the key store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The role or scope given is not one a key can have.
    #[error("invalid key scope: {0}")]
    InvalidScope(String),
    /// The bucket did not answer.
    #[error("the key store is unavailable: {0}")]
    Unavailable(String),
    /// A stored record does not parse.
    #[error("a stored key is corrupted: {0}")]
    Corrupted(String),
}

impl From<proto::values::Invalid> for KeyError {
    fn from(invalid: proto::values::Invalid) -> Self {
        Self::InvalidScope(invalid.0)
    }
}

fn unavailable(e: impl fmt::Display) -> KeyError {
    KeyError::Unavailable(e.to_string())
}

/// The API keys, over a JetStream key-value bucket.
#[derive(Clone)]
pub struct KeyStore {
    /// The bucket [`KEYS_BUCKET`].
    kv: std::sync::Arc<kv::Store>,
}

impl KeyStore {
    /// Opens (or creates) the bucket, with `replicas` replicas.
    pub async fn open(js: &jetstream::Context, replicas: usize) -> Result<Self, KeyError> {
        let config = kv::Config {
            bucket: KEYS_BUCKET.into(),
            description: "API keys of organisers, venues and partners: hashes only".into(),
            history: 1,
            storage: jetstream::stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        };
        let kv = match js.create_key_value(config.clone()).await {
            Ok(store) => store,
            Err(_) => js.update_key_value(config).await.map_err(unavailable)?,
        };
        Ok(Self { kv: kv.into() })
    }

    /// Creates a key for `role`: its public id and its secret, which is shown only now.
    pub async fn create(&self, role: Role) -> Result<(KeyId, Secret), KeyError> {
        let secret = new_secret();
        let hash = hex(&Sha256::digest(secret.expose().as_bytes()));
        let key_id = KeyId(uuid::Uuid::new_v4().to_string());
        let stored = StoredKey {
            hash: hash.clone(),
            info: KeyInfo {
                key_id: key_id.clone(),
                role,
                created_at: now_seconds(),
                revoked: false,
            },
        };
        let body = serde_json::to_vec(&stored).map_err(|e| KeyError::Corrupted(e.to_string()))?;
        // The record first: an index entry never points at nothing.
        self.kv
            .create(&hash, body.into())
            .await
            .map_err(unavailable)?;
        self.kv
            .put(index(&key_id), hash.into_bytes().into())
            .await
            .map_err(unavailable)?;
        tracing::info!(key_id = %key_id, role = stored.info.role.name(), "API key created");
        Ok((key_id, secret))
    }

    /// The principal a secret authenticates, or `None` for a secret that is malformed, unknown
    /// or revoked (callers tell these apart to nobody).
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, KeyError> {
        if !well_formed(secret) {
            return Ok(None);
        }
        let hash = hex(&Sha256::digest(secret.as_bytes()));
        let Some(bytes) = self.kv.get(&hash).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let stored: StoredKey =
            serde_json::from_slice(&bytes).map_err(|e| KeyError::Corrupted(e.to_string()))?;
        let same: bool = stored.hash.as_bytes().ct_eq(hash.as_bytes()).into();
        if !same || stored.info.revoked {
            return Ok(None);
        }
        Ok(Some(Principal {
            key_id: stored.info.key_id,
            role: stored.info.role,
        }))
    }

    /// The principal of the key with this id, or `None` when no key has it or it is revoked:
    /// for a caller that keeps a key's id rather than its secret (the console's logins) and
    /// checks on each request that the key still stands.
    pub async fn principal(&self, key_id: &KeyId) -> Result<Option<Principal>, KeyError> {
        Ok(self
            .by_id(key_id)
            .await?
            .filter(|(_, stored)| !stored.info.revoked && stored.info.key_id == *key_id)
            .map(|(_, stored)| Principal {
                key_id: stored.info.key_id,
                role: stored.info.role,
            }))
    }

    /// The record of the key with this id, and the hash it is stored under.
    async fn by_id(&self, key_id: &KeyId) -> Result<Option<(String, StoredKey)>, KeyError> {
        let Some(hash) = self.kv.get(index(key_id)).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let hash =
            String::from_utf8(hash.to_vec()).map_err(|e| KeyError::Corrupted(e.to_string()))?;
        let Some(bytes) = self.kv.get(&hash).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let stored: StoredKey =
            serde_json::from_slice(&bytes).map_err(|e| KeyError::Corrupted(e.to_string()))?;
        Ok(Some((hash, stored)))
    }

    /// Revokes a key: from now on it authenticates nobody. False when no key has this id.
    pub async fn revoke(&self, key_id: &KeyId) -> Result<bool, KeyError> {
        let Some((hash, mut stored)) = self.by_id(key_id).await? else {
            return Ok(false);
        };
        if !stored.info.revoked {
            stored.info.revoked = true;
            let body =
                serde_json::to_vec(&stored).map_err(|e| KeyError::Corrupted(e.to_string()))?;
            self.kv.put(&hash, body.into()).await.map_err(unavailable)?;
            tracing::info!(key_id = %key_id, "API key revoked");
        }
        Ok(true)
    }

    /// Every key, revoked ones included, without secrets or hashes.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let mut names = self.kv.keys().await.map_err(unavailable)?;
        let mut keys = Vec::new();
        while let Some(name) = names.next().await {
            let name = name.map_err(unavailable)?;
            if name.starts_with("id.") {
                continue;
            }
            if let Some(bytes) = self.kv.get(&name).await.map_err(unavailable)? {
                let stored: StoredKey = serde_json::from_slice(&bytes)
                    .map_err(|e| KeyError::Corrupted(e.to_string()))?;
                keys.push(stored.info);
            }
        }
        keys.sort_by_key(|key| key.created_at);
        Ok(keys)
    }
}

/// The index entry of a key id.
fn index(key_id: &KeyId) -> String {
    format!("id.{key_id}")
}

/// A new secret: 32 random bytes from the operating system's generator, through two UUID v4
/// (122 random bits each, so 244 bits of entropy), in base64url.
fn new_secret() -> Secret {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    Secret(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// True for a string shaped like a secret; anything else is refused without a lookup.
fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(SECRET_PREFIX).is_some_and(|body| {
        body.len() == SECRET_BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_is_well_formed_and_new() {
        let a = new_secret();
        let b = new_secret();
        assert!(well_formed(a.expose()), "{}", a.expose());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), SECRET_PREFIX.len() + SECRET_BODY_LEN);
    }

    #[test]
    fn malformed_secrets_are_refused_before_any_lookup() {
        for secret in [
            "",
            "semaine_",
            "semaine_short",
            "other_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "semaine_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "semaine_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert!(!well_formed(secret), "{secret:?}");
        }
    }

    #[test]
    fn the_secret_is_never_in_debug_output() {
        let secret = new_secret();
        assert!(!format!("{secret:?}").contains(secret.expose()));
    }

    #[test]
    fn a_stored_key_round_trips_through_json() -> Result<(), serde_json::Error> {
        let stored = StoredKey {
            hash: hex(&Sha256::digest(b"x")),
            info: KeyInfo {
                key_id: KeyId("k".into()),
                role: Role::Organiser(Editions::All),
                created_at: 1,
                revoked: false,
            },
        };
        let json = serde_json::to_value(&stored)?;
        assert_eq!(json["role"], "organiser");
        assert_eq!(json["scope"], "*");
        let back: StoredKey = serde_json::from_value(json)?;
        assert_eq!(back.info, stored.info);
        Ok(())
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
    }
}
