//! The subscriptions' secrets, in the JetStream key-value bucket [`SECRETS_BUCKET`]: one entry
//! per subscription, the secret as shown to its subscriber (`whsec_` and 43 base64url
//! characters). Never in the log: the log holds the subscription, the bucket what signs for it.
//! Deleting a subscription purges its secret.

use async_nats::jetstream::{self, kv};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proto::webhooks::SubscriptionId;

/// The bucket of the subscriptions' secrets.
pub const SECRETS_BUCKET: &str = "webhook_secrets";

/// What every secret starts with.
pub const SECRET_PREFIX: &str = "whsec_";

/// A subscription's secret: the HMAC key of its signatures (the whole string's bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, to show once or to sign with.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 32 random bytes from the operating system's generator, through two UUID v4 (244 random
    /// bits), in base64url.
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The bucket did not answer, or held something else than a secret.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the webhook secrets are unavailable: {0}")]
pub struct SecretsUnavailable(pub String);

fn unavailable(e: impl std::fmt::Display) -> SecretsUnavailable {
    SecretsUnavailable(e.to_string())
}

/// The secrets' bucket.
#[derive(Clone)]
pub struct Secrets {
    kv: std::sync::Arc<kv::Store>,
}

impl Secrets {
    /// Opens (or creates) the bucket, with `replicas` replicas.
    pub async fn open(
        js: &jetstream::Context,
        replicas: usize,
    ) -> Result<Self, SecretsUnavailable> {
        let config = kv::Config {
            bucket: SECRETS_BUCKET.into(),
            description: "webhook subscriptions' signing secrets".into(),
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

    /// The subscription's secret, made on first use: two requests at once agree on one.
    pub async fn make(&self, subscription: SubscriptionId) -> Result<Secret, SecretsUnavailable> {
        let name = subscription.to_string();
        if let Some(existing) = self.get(subscription).await? {
            return Ok(existing);
        }
        let fresh = Secret::generate();
        match self
            .kv
            .create(&name, fresh.0.clone().into_bytes().into())
            .await
        {
            Ok(_) => Ok(fresh),
            Err(_) => self
                .get(subscription)
                .await?
                .ok_or_else(|| unavailable("the secret was neither created nor found")),
        }
    }

    /// The subscription's secret, if it has one.
    pub async fn get(
        &self,
        subscription: SubscriptionId,
    ) -> Result<Option<Secret>, SecretsUnavailable> {
        match self
            .kv
            .get(subscription.to_string())
            .await
            .map_err(unavailable)?
        {
            Some(bytes) => String::from_utf8(bytes.to_vec())
                .map(|s| Some(Secret(s)))
                .map_err(unavailable),
            None => Ok(None),
        }
    }

    /// Forgets the subscription's secret.
    pub async fn purge(&self, subscription: SubscriptionId) -> Result<(), SecretsUnavailable> {
        self.kv
            .purge(subscription.to_string())
            .await
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_never_debugged() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_ne!(a, b);
        assert!(a.expose().starts_with(SECRET_PREFIX));
        assert_eq!(a.expose().len(), SECRET_PREFIX.len() + 43);
        assert_eq!(format!("{a:?}"), "Secret(…)");
    }
}
