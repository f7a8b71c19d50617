//! Authentication and rate limiting, and the [`Caller`] a handler acts as.
//!
//! [`authenticate`] is the outer middleware of every command route: it reads
//! `Authorization: Bearer <secret>`, finds the key (401 `unauthenticated` whatever is wrong with
//! it: missing, malformed, unknown or revoked, so that a caller cannot tell these apart), takes a
//! token from the key's bucket (429 `rate-limited`), and hands the [`Principal`] on. A handler
//! then takes a [`Caller`]: the principal and its idempotency key, which make the
//! [`CommandMeta`] of its commands.
//!
//! A caller in the same process may present a principal instead of a secret: a [`Delegated`]
//! request extension, which no HTTP client can set. The console does so, so that its sessions
//! keep a key's id rather than its secret; the principal is rate-limited like any other.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use eventlog::CommandMeta;
use proto::values::{EditionId, PartnerId, VenueId};
use uuid::Uuid;

use crate::idempotency::IdempotencyKey;
use crate::keys::{Editions, Principal, Role};
use crate::problem::ApiError;
use crate::routes::AppState;

/// A principal that a caller in the same process has already authenticated, presented in a
/// request's extensions instead of `Authorization: Bearer <secret>`.
///
/// Only code in the process can put it there (a request extension does not cross the network):
/// the console, which checks on each of its requests that the key of its session still stands
/// ([`KeyStore::principal`](crate::KeyStore::principal)), then calls the router with it.
#[derive(Debug, Clone)]
pub struct Delegated(pub Principal);

/// The principal a request presents: a [`Delegated`] one, or the key of its bearer secret.
/// `None` when it presents neither; 401 for a secret that authenticates nobody.
async fn presented(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Result<Option<Principal>, ApiError> {
    if let Some(Delegated(principal)) = extensions.get::<Delegated>() {
        return Ok(Some(principal.clone()));
    }
    let Some(secret) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return Ok(None);
    };
    let principal = state
        .keys
        .authenticate(secret)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    Ok(Some(principal))
}

/// The principal of a read open to anyone that shows more to a key; `None` without one.
#[derive(Debug, Clone)]
pub struct Presented(pub Option<Principal>);

impl FromRequestParts<AppState> for Presented {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        presented(state, &parts.headers, &parts.extensions)
            .await
            .map(Self)
    }
}

/// The middleware: authenticates the key, then spends one of its tokens.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let principal = presented(&state, request.headers(), request.extensions())
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if let Err(wait) = state.limiter.check(principal.key_id.as_str()) {
        return Err(ApiError::rate_limited(wait));
    }
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

/// Who a command is from: the authenticated key and the request's idempotency key.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key.
    pub principal: Principal,
    /// The request's idempotency key.
    pub key: IdempotencyKey,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let principal = parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)?;
        let key = match parts.extensions.get::<IdempotencyKey>() {
            Some(key) => key.clone(),
            None => IdempotencyKey::from_headers(&parts.headers)?,
        };
        Ok(Self { principal, key })
    }
}

/// A namespace for the ids the gateway derives (UUID v5).
const DERIVED_IDS: Uuid = Uuid::from_u128(0x5e3a_1e00_0000_4000_8000_6761_7465_7761);

impl Caller {
    /// The metadata of its command: its actor, and its idempotency key scoped by its API key.
    pub fn meta(&self) -> CommandMeta {
        CommandMeta::new(self.principal.actor(), self.log_key())
    }

    /// The command's idempotency key in the event log.
    pub fn log_key(&self) -> String {
        self.key.for_log(&self.principal.key_id)
    }

    /// An id for a thing this request creates, derived from the API key and the idempotency
    /// key: a retry, even one the gateway's store no longer remembers, names the same thing, so
    /// the log answers it as a duplicate instead of creating a second one.
    pub fn derived_id(&self, what: &str) -> Uuid {
        Uuid::new_v5(
            &DERIVED_IDS,
            format!("{}:{what}", self.log_key()).as_bytes(),
        )
    }

    /// The editions an organiser key covers; 403 for other roles.
    pub fn organiser(&self) -> Result<Editions, ApiError> {
        match &self.principal.role {
            Role::Organiser(editions) => Ok(*editions),
            _ => Err(ApiError::forbidden("this needs an organiser key")),
        }
    }

    /// Passes when an organiser key covers `edition`.
    pub fn organiser_of(&self, edition: EditionId) -> Result<(), ApiError> {
        if self.organiser()?.covers(edition) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this organiser key does not cover this edition",
            ))
        }
    }

    /// Passes for an organiser key of every edition (`*`).
    pub fn organiser_of_all(&self) -> Result<(), ApiError> {
        match self.organiser()? {
            Editions::All => Ok(()),
            Editions::One(_) => Err(ApiError::forbidden(
                "this needs an organiser key of every edition (`*`)",
            )),
        }
    }

    /// The venue a venue key acts as; 403 for other roles.
    pub fn venue(&self) -> Result<VenueId, ApiError> {
        match &self.principal.role {
            Role::Venue(venue) => Ok(*venue),
            _ => Err(ApiError::forbidden("this needs a venue key")),
        }
    }

    /// Passes when a venue key is `venue`'s.
    pub fn venue_of(&self, venue: VenueId) -> Result<(), ApiError> {
        if self.venue()? == venue {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "a venue key acts on its own venue only",
            ))
        }
    }

    /// The partner a partner key acts as; 403 for other roles.
    pub fn partner(&self) -> Result<PartnerId, ApiError> {
        match &self.principal.role {
            Role::Partner(partner) => Ok(partner.clone()),
            _ => Err(ApiError::forbidden("this needs a partner key")),
        }
    }
}
