//! Typed answers: a handler answers `Result<Answered<T>, ApiError>`, and its route's row takes
//! the answer's schema from the handler itself (`answer_of`), so the OpenAPI document describes
//! the type the handler serialises: they come from one place, and a row naming another handler's
//! answer does not compile.
//!
//! What the answers of commands share is here: where the command was recorded ([`Recorded`],
//! with `duplicate` for the services whose log tells it; [`Sequenced`] for the commands that
//! tell the sequence only: the registration service's partner, cancel, check-in, reserve and
//! erase commands, and a webhook's deletion), and
//! the stream's name as a constant ([`SchedulingStream`], [`VenuesStream`]…).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::table::{Answer, schema_of};
use crate::problem::ApiError;

/// A successful answer: its status and its document.
#[derive(Debug)]
pub struct Answered<T> {
    /// `200` or `201`.
    status: StatusCode,
    /// The document, as JSON.
    body: T,
}

impl<T> Answered<T> {
    /// `200`: the command was recorded on something that exists, or a read.
    pub fn ok(body: T) -> Self {
        Self {
            status: StatusCode::OK,
            body,
        }
    }

    /// `201`: the command created something.
    pub fn created(body: T) -> Self {
        Self {
            status: StatusCode::CREATED,
            body,
        }
    }
}

impl<T: Serialize> IntoResponse for Answered<T> {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// A handler whose success is an [`Answered`] document: names the document's type for the route
/// table. Implemented for every async handler of up to six extractors, as axum's `Handler` is.
pub trait Answers<Args> {
    /// The document the handler answers with.
    type Document: JsonSchema;
}

macro_rules! answers {
    ($($arg:ident),*) => {
        impl<F, Fut, T, $($arg,)*> Answers<($($arg,)*)> for F
        where
            F: FnOnce($($arg),*) -> Fut,
            Fut: Future<Output = Result<Answered<T>, ApiError>>,
            T: JsonSchema,
        {
            type Document = T;
        }
    };
}

answers!();
answers!(A1);
answers!(A1, A2);
answers!(A1, A2, A3);
answers!(A1, A2, A3, A4);
answers!(A1, A2, A3, A4, A5);
answers!(A1, A2, A3, A4, A5, A6);

/// The answer of a route, taken from its handler: the schema of the document it answers with.
pub(crate) const fn answer_of<Args, H: Answers<Args>>(_handler: &H) -> Answer {
    Answer::Typed(schema_of::<H::Document>)
}

/// A listing that is never paged (an edition's events, a key's subscriptions…).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
#[schemars(rename = "{T}List")]
pub struct Items<T> {
    /// The items, in order.
    pub items: Vec<T>,
}

/// A stream marker's name.
pub trait StreamName {
    /// The stream's name, as a read's `min_seq` names it.
    const NAME: &'static str;
}

/// A stream's name as an answer states it: a unit type that serialises as the name (and reads
/// only it), whose schema is that constant.
macro_rules! stream {
    ($(#[$doc:meta])* $marker:ident = $name:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $marker;

        impl StreamName for $marker {
            const NAME: &'static str = $name;
        }

        impl Serialize for $marker {
            fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
                serializer.serialize_str($name)
            }
        }

        impl<'de> Deserialize<'de> for $marker {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                if name == $name {
                    Ok(Self)
                } else {
                    Err(D::Error::invalid_value(Unexpected::Str(&name), &$name))
                }
            }
        }

        impl JsonSchema for $marker {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($marker).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "description": "The stream of the commit (for `min_seq`).",
                    "const": $name,
                })
            }
        }
    };
}

stream!(
    /// The scheduling service's stream.
    SchedulingStream = super::SCHEDULING
);
stream!(
    /// The venue service's stream.
    VenuesStream = super::VENUES
);
stream!(
    /// The registration service's stream.
    RegistrationStream = super::REGISTRATION
);
stream!(
    /// The job-dating service's stream.
    JobDatingStream = super::jobdating::JOBDATING
);
stream!(
    /// The webhooks' stream.
    WebhooksStream = super::webhooks::WEBHOOKS
);

/// Where a command was recorded, with whether the log answered a retry.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Recorded<S> {
    /// The stream of the commit (for `min_seq`).
    pub stream: S,
    /// The stream sequence of the commit that recorded the command.
    pub seq: u64,
    /// True when the log answered a retry with the original outcome.
    pub duplicate: bool,
}

impl<S: StreamName> Recorded<S> {
    /// `<STREAM>:<seq>`: the `min_seq` of a read that must show the command.
    pub fn min_seq(&self) -> String {
        format!("{}:{}", S::NAME, self.seq)
    }
}

impl<S: Default> Recorded<S> {
    /// Recorded at `seq`, a `duplicate` or not.
    pub fn at(seq: u64, duplicate: bool) -> Self {
        Self {
            stream: S::default(),
            seq,
            duplicate,
        }
    }
}

/// Where a command was recorded, for the commands that tell the sequence only (the registration
/// service's partner, cancel, check-in, reserve and erase commands, a webhook's deletion).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Sequenced<S> {
    /// The stream of the commit (for `min_seq`).
    pub stream: S,
    /// The stream sequence of the commit that recorded the command.
    pub seq: u64,
}

impl<S: StreamName> Sequenced<S> {
    /// `<STREAM>:<seq>`: the `min_seq` of a read that must show the command.
    pub fn min_seq(&self) -> String {
        format!("{}:{}", S::NAME, self.seq)
    }
}

impl<S: Default> Sequenced<S> {
    /// Recorded at `seq`.
    pub fn at(seq: u64) -> Self {
        Self {
            stream: S::default(),
            seq,
        }
    }
}
