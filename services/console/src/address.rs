//! What a page's address names: an edition, an event, a session of it.
//!
//! Console addresses carry ids (`/console/editions/{edition}/sessions/{session}`). [`Named`]
//! parses them into the domain's ids before the page sees them; text that is not an id is
//! answered 404 with a French message, as an id naming nothing the signed-in user may see is
//! answered by the API behind the page.

use axum::extract::{FromRequestParts, Path};
use axum::http::StatusCode;
use axum::http::request::Parts;
use proto::values::{EditionId, EventId, SessionId};
use uuid::Uuid;

use crate::page::Failure;
use crate::routes::Console;

/// An id an address may name.
pub trait Nameable: Sized + Send {
    /// What the page says when the address names no such thing.
    const NOTHING: &'static str;

    /// The id of that UUID.
    fn named(uuid: Uuid) -> Self;
}

impl Nameable for EditionId {
    const NOTHING: &'static str = "Cette adresse ne désigne aucune édition.";

    fn named(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl Nameable for EventId {
    const NOTHING: &'static str = "Cette adresse ne désigne aucun événement.";

    fn named(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

impl Nameable for SessionId {
    const NOTHING: &'static str = "Cette adresse ne désigne aucune séance.";

    fn named(uuid: Uuid) -> Self {
        Self(uuid)
    }
}

/// The id `text` names, or the page that says it names nothing (404).
pub fn parse<T: Nameable>(text: &str) -> Result<T, Failure> {
    Uuid::parse_str(text)
        .map(T::named)
        .map_err(|_| Failure::new(StatusCode::NOT_FOUND, T::NOTHING))
}

/// The ids an address names, parsed: one (`Named<EditionId>`) or two
/// (`Named<(EditionId, SessionId)>`), in the order of the route's parameters.
pub struct Named<T>(pub T);

impl<T: Nameable> FromRequestParts<Console> for Named<T> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Failure> {
        let Path(text) = Path::<String>::from_request_parts(parts, console)
            .await
            .map_err(|_| Failure::new(StatusCode::NOT_FOUND, T::NOTHING))?;
        parse(&text).map(Named)
    }
}

impl<A: Nameable, B: Nameable> FromRequestParts<Console> for Named<(A, B)> {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Failure> {
        let Path((a, b)) = Path::<(String, String)>::from_request_parts(parts, console)
            .await
            .map_err(|_| Failure::new(StatusCode::NOT_FOUND, A::NOTHING))?;
        Ok(Named((parse(&a)?, parse(&b)?)))
    }
}
