//! Logins: who is signed in (a login, never called a session: a session is a programme's), kept in
//! a JetStream key-value bucket, named by a random id in a cookie.
//!
//! Signing in checks the API key against the gateway's key store ([`gateway::KeyStore`]); the
//! console then opens a login named by 244 random bits, and the cookie holds only that name:
//! `HttpOnly` (no script reads it), `Secure` (browsers send it over HTTPS and to `localhost`
//! only), `SameSite=Strict` (no other site's page sends it), `Path=/console`, for at most
//! [`LOGIN_TTL`].
//!
//! **Where logins live.** In the bucket [`LOGINS_BUCKET`] (file storage, the log's replica
//! count, entries dropped [`LOGIN_TTL`] after sign-in), so every gateway instance serves every
//! signed-in user and a restart signs nobody out. An entry holds the key's public id, the CSRF
//! token and the end of the login, stored under the SHA-256 of the login's id: the bucket
//! holds neither a secret nor a cookie's value, so a reader of it cannot act as anyone. The
//! console calls the gateway's router with the principal ([`gateway::auth::Delegated`]), not a
//! secret. Nothing is cached in memory: each request reads its entry and its key
//! ([`gateway::KeyStore::principal`]), so a sign-out on one instance, or a key revoked
//! (`semaine keys revoke`), ends the login on every instance at its next request.
//!
//! **CSRF.** Each login has its own random token; every form of the console carries it in a
//! hidden field and every POST compares it (in constant time) with the login's. A POST whose
//! `Origin` names another host is refused too. The login form has no login yet: it is
//! protected by the `Origin` check and by the cookie being `SameSite=Strict`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::{self, kv};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::keys::{KeyError, KeyId};
use gateway::{KeyStore, Principal, Role};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::page::Failure;
use crate::routes::Console;

/// The cookie's name.
pub const COOKIE: &str = "semaine_console";

/// How long a login lasts after signing in.
pub const LOGIN_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// The key-value bucket of the console's logins.
pub const LOGINS_BUCKET: &str = "console_sessions";

/// A signed-in user, as one request sees it.
#[derive(Debug, Clone)]
pub struct Login {
    /// The key's id, role and scope, read from the key store for this request: the console
    /// calls the gateway as this principal.
    pub principal: Principal,
    /// The CSRF token of this login's forms.
    pub csrf: String,
}

impl Login {
    /// Passes when `token` is this login's CSRF token; 403 otherwise.
    pub fn check_csrf(&self, token: &str) -> Result<(), Failure> {
        if !token.is_empty() && bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes())) {
            Ok(())
        } else {
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                "Le formulaire a expiré ou ne vient pas de la console : rechargez la page et \
                 recommencez.",
            ))
        }
    }

    /// Passes for an organiser's login; 403 otherwise.
    pub fn organiser(&self) -> Result<(), Failure> {
        if self.is_organiser() {
            Ok(())
        } else {
            Err(Failure::new(
                StatusCode::FORBIDDEN,
                "Cette page est celle des organisateurs : connectez-vous avec une clé d'organisateur.",
            ))
        }
    }

    /// Whether it is an organiser's.
    pub fn is_organiser(&self) -> bool {
        matches!(self.principal.role, Role::Organiser(_))
    }
}

/// What the bucket holds for a login, under the SHA-256 of its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The API key's public id (never its secret): its role and scope, and whether it still
    /// stands, are read from the key store on each request.
    key_id: KeyId,
    /// The CSRF token of the login's forms.
    csrf: String,
    /// When the login ends, in seconds since the Unix epoch (the bucket drops the entry then
    /// too, by its maximum age).
    expires_at: u64,
}

/// Why the logins could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The bucket did not answer.
    #[error("the console's logins are unavailable: {0}")]
    Unavailable(String),
    /// The key store did not answer.
    #[error("cannot check the login's key: {0}")]
    Keys(#[from] KeyError),
    /// An entry does not parse.
    #[error("a console login is corrupted: {0}")]
    Corrupted(String),
}

fn unavailable(e: impl std::fmt::Display) -> LoginError {
    LoginError::Unavailable(e.to_string())
}

/// The console's logins, shared by every instance over the bucket [`LOGINS_BUCKET`].
#[derive(Clone)]
pub struct Logins {
    /// The bucket.
    kv: std::sync::Arc<kv::Store>,
    /// The API keys: a login's principal is read from them on each request.
    keys: KeyStore,
}

/// 32 random bytes from the operating system's generator (two UUID v4: 244 random bits), in
/// hexadecimal.
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Where a login is stored: the SHA-256 of its id, so the bucket never holds a cookie's
/// value. `None` for a value that is not shaped like an id (64 hexadecimal digits).
fn entry_name(id: &str) -> Option<String> {
    let shaped = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
    shaped.then(|| format!("{:x}", Sha256::digest(id.as_bytes())))
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Logins {
    /// Opens (or creates) the bucket, with `replicas` replicas (the log's).
    pub async fn open(
        js: &jetstream::Context,
        replicas: usize,
        keys: KeyStore,
    ) -> Result<Self, LoginError> {
        let config = kv::Config {
            bucket: LOGINS_BUCKET.into(),
            // The description the bucket was first made with: kept, so an existing one opens as is.
            description: "sessions of the console: API key ids and CSRF tokens, by the hash of \
                          the session id"
                .into(),
            history: 1,
            max_age: LOGIN_TTL,
            max_value_size: 1024,
            storage: jetstream::stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        };
        let kv = match js.create_key_value(config.clone()).await {
            Ok(store) => store,
            Err(_) => js.update_key_value(config).await.map_err(unavailable)?,
        };
        Ok(Self {
            kv: kv.into(),
            keys,
        })
    }

    /// Opens a login for a key that just authenticated; its id, for the cookie.
    pub async fn sign_in(&self, principal: &Principal) -> Result<String, LoginError> {
        let id = random_token();
        let name = entry_name(&id).ok_or_else(|| unavailable("a login id is malformed"))?;
        let entry = Entry {
            key_id: principal.key_id.clone(),
            csrf: random_token(),
            expires_at: now_seconds() + LOGIN_TTL.as_secs(),
        };
        let body = serde_json::to_vec(&entry).map_err(|e| LoginError::Corrupted(e.to_string()))?;
        self.kv
            .create(&name, body.into())
            .await
            .map_err(unavailable)?;
        Ok(id)
    }

    /// The live login of this id, with its key's principal as the key store has it now;
    /// `None` when there is none, it ended, or its key is revoked (its entry is then deleted).
    pub async fn find(&self, id: &str) -> Result<Option<Login>, LoginError> {
        let Some(name) = entry_name(id) else {
            return Ok(None);
        };
        let Some(bytes) = self.kv.get(&name).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let entry: Entry =
            serde_json::from_slice(&bytes).map_err(|e| LoginError::Corrupted(e.to_string()))?;
        if entry.expires_at <= now_seconds() {
            return Ok(None);
        }
        let Some(principal) = self.keys.principal(&entry.key_id).await? else {
            self.kv.delete(&name).await.map_err(unavailable)?;
            return Ok(None);
        };
        Ok(Some(Login {
            principal,
            csrf: entry.csrf,
        }))
    }

    /// Ends a login, on every instance.
    pub async fn sign_out(&self, id: &str) -> Result<(), LoginError> {
        if let Some(name) = entry_name(id) {
            self.kv.delete(&name).await.map_err(unavailable)?;
        }
        Ok(())
    }
}

/// The login id in a request's cookies.
pub fn login_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that names a new login.
pub fn cookie(id: &str) -> HeaderValue {
    let value = format!(
        "{COOKIE}={id}; Path={}; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        crate::PREFIX,
        LOGIN_TTL.as_secs()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that forgets the login.
pub fn expired_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "semaine_console=; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
    )
}

/// Refuses a POST whose `Origin` names another host than the one it was sent to.
pub fn check_origin(headers: &HeaderMap) -> Result<(), Failure> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::FORBIDDEN,
            "Cette demande vient d'un autre site : elle est refusée.",
        ))
    }
}

/// A signed-in user, taken from the request's cookie; without one, a page answers with a
/// redirection to the login page.
pub struct SignedIn {
    /// The login's id.
    pub id: String,
    /// The login.
    pub login: Login,
}

/// What a request without a live login gets: the login page.
pub struct SignIn;

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&format!("{}/login", crate::PREFIX)).into_response()
    }
}

/// The page of logins that cannot be read for now.
pub fn logins_unavailable(error: &LoginError) -> Failure {
    tracing::warn!(%error, "cannot read the console's logins");
    Failure::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Votre session ne peut pas être vérifiée pour l'instant : réessayez dans un instant.",
    )
}

impl FromRequestParts<Console> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let id = login_id(&parts.headers).ok_or_else(|| SignIn.into_response())?;
        match console.logins.find(&id).await {
            Ok(Some(login)) => Ok(Self { id, login }),
            Ok(None) => Err(SignIn.into_response()),
            Err(e) => Err(logins_unavailable(&e).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; semaine_console=abc; b=2"),
        );
        assert_eq!(login_id(&headers).as_deref(), Some("abc"));
    }

    #[test]
    fn a_cookie_is_http_only_secure_and_strict() {
        let value = cookie("abc");
        let text = value.to_str().unwrap_or("");
        for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            assert!(text.contains(part), "{text}");
        }
    }

    #[test]
    fn the_bucket_names_a_login_by_the_hash_of_its_id() {
        let id = random_token();
        let name = entry_name(&id).unwrap_or_default();
        assert_eq!(name.len(), 64);
        assert_ne!(name, id);
        assert_eq!(entry_name(&id), Some(name));
        for malformed in ["", "abc", "../x", &format!("{id}0"), &id.replace('a', "g")] {
            if malformed != id {
                assert_eq!(entry_name(malformed), None, "{malformed:?}");
            }
        }
    }

    #[test]
    fn another_origin_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_origin(&headers).is_ok());
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(check_origin(&headers).is_err());
    }
}
