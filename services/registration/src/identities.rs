//! Personal data, sealed per participant: crypto-shredding.
//!
//! Each participant has a key of their own (ChaCha20-Poly1305), kept in the JetStream key-value
//! bucket [`KEYS_BUCKET`] (replicated like the streams on a cluster). Names and contacts are
//! sealed with it before any event is written; the log only ever holds the sealed bytes. Erasing
//! a participant purges their key: from then on nothing can open what the log holds about them,
//! and every read model shows them as erased, while the events — audience, age band, town,
//! partner — still count in the statistics.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use eventlog::{StreamWriter, Write, bucket_subject};
use proto::registration::{Identity, ParticipantId, SealedIdentity};

/// The key-value bucket of participants' keys.
pub const KEYS_BUCKET: &str = "participant_keys";

/// How long a key's write waits for its acknowledgement.
const KEY_ACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an identity could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The key store did not answer.
    #[error("the key store is unavailable: {0}")]
    Unavailable(String),
    /// The sealed bytes do not open with the participant's key (corrupted, or not theirs).
    #[error("the sealed identity does not open: {0}")]
    Corrupted(String),
}

/// What a read model shows of a participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revealed {
    /// Their name and contacts.
    Known(Identity),
    /// Erased on request: the key is gone.
    Erased,
}

/// The participants' keys.
#[derive(Clone)]
pub struct Identities {
    keys: Arc<kv::Store>,
    writer: Arc<StreamWriter>,
}

fn unavailable(e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Unavailable(e.to_string())
}

impl Identities {
    /// Opens (or creates) the key bucket, with `replicas` replicas.
    pub async fn open(js: &jetstream::Context, replicas: usize) -> Result<Self, IdentityError> {
        let config = kv::Config {
            bucket: KEYS_BUCKET.into(),
            description: "participants' keys: purging one erases the participant".into(),
            history: 1,
            storage: jetstream::stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        };
        let keys = match js.create_key_value(config.clone()).await {
            Ok(store) => store,
            Err(_) => js.update_key_value(config).await.map_err(unavailable)?,
        };
        // New keys are written in atomic batches with the others waiting (see
        // `eventlog::writer`).
        let writer = StreamWriter::for_bucket(js, KEYS_BUCKET, KEY_ACK_TIMEOUT)
            .await
            .map_err(unavailable)?;
        Ok(Self {
            keys: Arc::new(keys),
            writer: Arc::new(writer),
        })
    }

    /// The participant's key, made on first use. Two first uses at once agree on one key: the
    /// store creates a key only where none exists.
    async fn key(&self, participant: ParticipantId) -> Result<Key, IdentityError> {
        let name = participant.to_string();
        if let Some(existing) = self.keys.get(&name).await.map_err(unavailable)? {
            return key_from(&existing);
        }
        let fresh = ChaCha20Poly1305::generate_key(&mut OsRng);
        if self.store_new_key(&name, &fresh).await.is_ok() {
            return Ok(fresh);
        }
        let existing = self
            .keys
            .get(&name)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| unavailable("the key was neither created nor found"))?;
        key_from(&existing)
    }

    /// Seals a participant's identity, and says how its key is stored: a participant seen before
    /// has a key in the store already (`stored: None`); for a new one the key is made here and
    /// its write is started, not awaited — the registration is decided meanwhile, and the log
    /// appends it only once the key is stored ([`eventlog::Prerequisite`]). If another request
    /// stored a key for the same participant first, the prerequisite fails: seal again.
    pub async fn seal_ahead(
        &self,
        participant: ParticipantId,
        identity: &Identity,
    ) -> Result<(SealedIdentity, Option<eventlog::Prerequisite>), IdentityError> {
        let name = participant.to_string();
        if let Some(existing) = self.keys.get(&name).await.map_err(unavailable)? {
            return Ok((sealed(participant, &key_from(&existing)?, identity)?, None));
        }
        let fresh = ChaCha20Poly1305::generate_key(&mut OsRng);
        let sealed = sealed(participant, &fresh, identity)?;
        let identities = self.clone();
        let stored = eventlog::Prerequisite::spawn(async move {
            identities
                .store_new_key(&name, &fresh)
                .await
                .map_err(|e| e.to_string())
        });
        Ok((sealed, Some(stored)))
    }

    /// Stores `fresh` as the key `name` where none exists (an erasure's marker included): an
    /// error if another key is there.
    async fn store_new_key(&self, name: &str, fresh: &Key) -> Result<(), IdentityError> {
        let write = Write {
            subject: bucket_subject(KEYS_BUCKET, name),
            // Only where the key does not exist.
            expected: 0,
            headers: async_nats::HeaderMap::new(),
            body: fresh.to_vec().into(),
            msg_id: uuid::Uuid::now_v7().to_string(),
        };
        if self.writer.write(write).await.is_ok() {
            return Ok(());
        }
        // Made meanwhile by another request, or erased before (the store's own `create` writes
        // over an erasure's marker).
        self.keys
            .create(name, fresh.to_vec().into())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    /// Seals a participant's identity with their key.
    pub async fn seal(
        &self,
        participant: ParticipantId,
        identity: &Identity,
    ) -> Result<SealedIdentity, IdentityError> {
        let key = self.key(participant).await?;
        sealed(participant, &key, identity)
    }

    /// Opens a sealed identity, or says the participant was erased.
    pub async fn reveal(&self, sealed: &SealedIdentity) -> Result<Revealed, IdentityError> {
        let Some(key) = self
            .keys
            .get(sealed.key.to_string())
            .await
            .map_err(unavailable)?
        else {
            return Ok(Revealed::Erased);
        };
        let key = key_from(&key)?;
        let corrupted = |e: &dyn std::fmt::Display| IdentityError::Corrupted(e.to_string());
        let nonce = STANDARD.decode(&sealed.nonce).map_err(|e| corrupted(&e))?;
        if nonce.len() != 12 {
            return Err(corrupted(&"the nonce is not 12 bytes"));
        }
        let ciphertext = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|e| corrupted(&e))?;
        let plaintext = ChaCha20Poly1305::new(&key)
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: sealed.key.0.as_bytes(),
                },
            )
            .map_err(|e| corrupted(&e))?;
        serde_json::from_slice(&plaintext)
            .map(Revealed::Known)
            .map_err(|e| corrupted(&e))
    }

    /// Erases a participant: purges their key. Nothing sealed with it opens again.
    pub async fn erase(&self, participant: ParticipantId) -> Result<(), IdentityError> {
        self.keys
            .purge(participant.to_string())
            .await
            .map_err(unavailable)
    }
}

/// `identity` sealed with `key`, bound to the participant (their id is the associated data).
fn sealed(
    participant: ParticipantId,
    key: &Key,
    identity: &Identity,
) -> Result<SealedIdentity, IdentityError> {
    let cipher = ChaCha20Poly1305::new(key);
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let plaintext =
        serde_json::to_vec(identity).map_err(|e| IdentityError::Corrupted(e.to_string()))?;
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: &plaintext,
                aad: participant.0.as_bytes(),
            },
        )
        .map_err(|e| IdentityError::Corrupted(e.to_string()))?;
    Ok(SealedIdentity {
        key: participant,
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(ciphertext),
    })
}

fn key_from(bytes: &[u8]) -> Result<Key, IdentityError> {
    if bytes.len() != 32 {
        return Err(IdentityError::Corrupted(format!(
            "a participant key is 32 bytes, found {}",
            bytes.len()
        )));
    }
    Ok(*Key::from_slice(bytes))
}
