//! Sessions: who is signed in, kept server-side, named by a random id in a cookie.
//!
//! Signing in checks the API key against the gateway's key store ([`gateway::KeyStore`]); the
//! console keeps the key in memory, in a [`Session`] named by 244 random bits, and the cookie
//! holds only that name: `HttpOnly` (no script reads it), `Secure` (browsers send it over HTTPS
//! and to `localhost` only), `SameSite=Strict` (no other site's page sends it), `Path=/console`,
//! for at most [`SESSION_TTL`]. Sessions live in the process: a restart signs everyone out,
//! and with several gateway instances a load balancer must keep a user on one (sticky sessions).
//!
//! **CSRF.** Each session has its own random token; every form of the console carries it in a
//! hidden field and every POST compares it (in constant time) with the session's. A POST whose
//! `Origin` names another host is refused too. The login form has no session yet: it is
//! protected by the `Origin` check and by the cookie being `SameSite=Strict`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gateway::{Principal, Role};
use subtle::ConstantTimeEq;

use crate::page::Failure;
use crate::routes::Console;

/// The cookie's name.
pub const COOKIE: &str = "semaine_console";

/// How long a session lasts after signing in.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// At most this many sessions at once; the oldest go first beyond it.
const MAX_SESSIONS: usize = 10_000;

/// A signed-in user.
#[derive(Clone)]
pub struct Session {
    /// The API key, sent to the gateway with each of the user's requests.
    secret: Arc<str>,
    /// The key's id, role and scope, as the key store told at sign-in.
    pub principal: Principal,
    /// The CSRF token of this session's forms.
    pub csrf: String,
    /// When it ends.
    expires: Instant,
}

impl Session {
    /// The API key.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Passes when `token` is this session's CSRF token; 403 otherwise.
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

    /// Passes for an organiser's session; 403 otherwise.
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

/// The sessions of this process.
#[derive(Default)]
pub struct Sessions {
    /// By id.
    by_id: Mutex<HashMap<String, Session>>,
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

impl Sessions {
    /// Opens a session for a key; its id, for the cookie.
    pub fn open(&self, secret: &str, principal: Principal) -> String {
        let id = random_token();
        let session = Session {
            secret: Arc::from(secret),
            principal,
            csrf: random_token(),
            expires: Instant::now() + SESSION_TTL,
        };
        let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(id, _)| id.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.clone(), session);
        id
    }

    /// The live session of this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        let map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).filter(|s| s.expires > Instant::now()).cloned()
    }

    /// Ends a session.
    pub fn close(&self, id: &str) {
        let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(id);
    }
}

/// The session id in a request's cookies.
pub fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The `Set-Cookie` value that names a new session.
pub fn cookie(id: &str) -> HeaderValue {
    let value = format!(
        "{COOKIE}={id}; Path={}; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        crate::PREFIX,
        SESSION_TTL.as_secs()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that forgets the session.
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
    /// The session's id.
    pub id: String,
    /// The session.
    pub session: Session,
}

/// What a request without a live session gets: the login page.
pub struct SignIn;

impl IntoResponse for SignIn {
    fn into_response(self) -> Response {
        Redirect::to(&format!("{}/login", crate::PREFIX)).into_response()
    }
}

impl FromRequestParts<Console> for SignedIn {
    type Rejection = SignIn;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, SignIn> {
        let id = session_id(&parts.headers).ok_or(SignIn)?;
        let session = console.sessions.get(&id).ok_or(SignIn)?;
        Ok(Self { id, session })
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
        assert_eq!(session_id(&headers).as_deref(), Some("abc"));
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
