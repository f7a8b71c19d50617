//! The route table's vocabulary: a [`Route`] (method, path, who may call it, its body, its query,
//! its answer, its handler) and the pieces the areas' tables share (the `min_seq` parameters,
//! the access rules; the answers' types are in [`super::answers`]). The router ([`super::app`]) and
//! the OpenAPI document ([`crate::openapi`]) are both built from the rows.

use axum::routing::{MethodFilter, MethodRouter};
use proto::values::{EditionId, PartnerId, SessionId};
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::routes::AppState;

/// An HTTP method the gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// A read.
    Get,
    /// A command.
    Post,
}

impl Verb {
    /// As HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }

    pub(crate) fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a key.
    Anyone,
    /// Anyone; a key, when sent, must be valid, and an organiser's also shows its drafts.
    AnyoneOrKey,
    /// An API key (and an `Idempotency-Key`): which keys, in words. These routes are behind
    /// authentication, the rate limit and idempotency.
    Key(&'static str),
    /// A read that needs an API key (no `Idempotency-Key`), answering only what the key's scope
    /// covers: which keys, in words. Behind authentication and the rate limit.
    Reader(&'static str),
}

/// Where a request body's type comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contract {
    /// A variant of a command of `proto/schemas/<file>.json`, without its `command` field.
    Variant {
        /// The schema's name in `proto::schema::all()`, e.g. `commands/edition`.
        file: &'static str,
        /// The variant's `command`, e.g. `create`.
        variant: &'static str,
    },
    /// The fields of a command's variant that the path does not give (the variant's other
    /// fields are in the path).
    Part {
        /// The schema's name in `proto::schema::all()`.
        file: &'static str,
        /// The variant's `command`.
        variant: &'static str,
    },
    /// The whole schema `proto/schemas/<file>.json`.
    Whole(&'static str),
    /// A body of the gateway's own: no published command has its shape.
    Gateway,
}

/// A request body: its JSON Schema, where its type comes from, and an example.
#[derive(Clone, Copy)]
pub struct RequestBody {
    /// Its schema (a `$ref` to a component, which the generator collects).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Where it comes from.
    pub contract: Contract,
    /// A body the route reads, as JSON text, in which a string `"{name}"` stands for an id of
    /// the kind a path's `{name}` holds (`edition`, `session`, `venue`, `partner`,
    /// `participant`, `employer`): the document shows it with sample ids
    /// ([`RequestBody::example_with`], [`sample_id`]), and the tenant isolation test sends it
    /// with another tenant's ids and with ids nobody holds.
    pub example: &'static str,
    /// Reads a body as the route's extractor does: `Ok`, or why it refuses it.
    pub reads: fn(&[u8]) -> Result<(), String>,
}

impl RequestBody {
    /// The example, each `"{name}"` string replaced by `id(name)` (left as it is when `id`
    /// knows no such name).
    pub fn example_with(&self, id: impl Fn(&str) -> Option<String>) -> serde_json::Value {
        fn fill(value: &mut serde_json::Value, id: &dyn Fn(&str) -> Option<String>) {
            match value {
                serde_json::Value::String(text) => {
                    let name = text.strip_prefix('{').and_then(|t| t.strip_suffix('}'));
                    if let Some(filled) = name.and_then(id) {
                        *text = filled;
                    }
                }
                serde_json::Value::Array(items) => items.iter_mut().for_each(|v| fill(v, id)),
                serde_json::Value::Object(fields) => fields.values_mut().for_each(|v| fill(v, id)),
                _ => {}
            }
        }
        let mut example = serde_json::from_str(self.example).unwrap_or_default();
        fill(&mut example, &id);
        example
    }
}

/// The id the document's examples show for a `{name}`: a partner's slug, a fixed UUID for the
/// others, a number for a job-dating's table, slot or run.
pub fn sample_id(name: &str) -> Option<String> {
    let uuid = |n: u8| format!("0193a5e2-7c00-7000-8000-0000000000{n:02x}");
    Some(match name {
        "partner" => "mission-locale-gap".to_owned(),
        "edition" => uuid(1),
        "event" => uuid(2),
        "session" => uuid(3),
        "venue" => uuid(4),
        "registration" => uuid(5),
        "participant" => uuid(6),
        "employer" => uuid(7),
        "subscription" => uuid(8),
        "table" | "slot" | "run" => "1".to_owned(),
        _ => return None,
    })
}

/// A body of type `T`, from `contract`, with its `example`.
pub(crate) const fn body<T: JsonSchema + serde::de::DeserializeOwned>(
    contract: Contract,
    example: &'static str,
) -> RequestBody {
    RequestBody {
        schema: schema_of::<T>,
        contract,
        example,
        reads: reads_as::<T>,
    }
}

/// `min_seq`'s: one or more `<STREAM>:<seq>`, comma-separated or repeated, each stream one of
/// semaine's ([`crate::routes::catalogue::STREAM_NAMES`]).
pub(crate) fn min_seq_schema(_: &mut SchemaGenerator) -> Schema {
    let one = format!(
        "(?:{}):[0-9]{{1,19}}",
        crate::routes::catalogue::STREAM_NAMES.join("|")
    );
    schemars::json_schema!({
        "type": "array",
        "items": {
            "type": "string",
            "pattern": format!("^{one}(?:,{one})*{}", proto::values::END),
            "examples": ["REGISTRATION:1"],
        },
    })
}

/// A catalogue page's cursor: the position of its last session, 32 bytes in hexadecimal. Any
/// such position reads (the page starts after it).
pub(crate) fn catalogue_cursor_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "pattern": "^[0-9A-Fa-f]{64}$(?!\\n)" })
}

/// A partners' view page's cursor: the position of its last registration, 16 or 32 bytes in
/// hexadecimal (by the filters). Any such position reads.
pub(crate) fn view_cursor_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "pattern": "^(?:[0-9A-Fa-f]{32}){1,2}$(?!\\n)" })
}

/// The schema of a body type, for [`RequestBody::schema`].
pub(crate) fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Reads `bytes` as a `T`, for [`RequestBody::reads`].
pub(crate) fn reads_as<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<T>(bytes)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// What a successful answer is.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// A JSON document of a type, whose schema this is (see `answers::answer_of`).
    Typed(fn(&mut SchemaGenerator) -> Schema),
    /// A JSON document described in words (only the OpenAPI document itself).
    Json(&'static str),
    /// The Prometheus text format.
    Metrics,
    /// A text document of this media type, described in words (a calendar, a CSV file).
    Text {
        /// Its media type, e.g. `text/csv; charset=utf-8`.
        media: &'static str,
        /// What it holds.
        what: &'static str,
    },
}

/// A query parameter.
#[derive(Clone, Copy)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// What it means.
    pub description: &'static str,
    /// Its schema, from the type the handler reads it as (`min_seq`, repeatable, is an array).
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// One route: its method and path, what the document says of it, and its handler.
#[derive(Clone, Copy)]
pub struct Route {
    /// The method.
    pub method: Verb,
    /// The path template, `{name}` for a parameter (as axum and OpenAPI write it).
    pub path: &'static str,
    /// Its OpenAPI `operationId`.
    pub operation: &'static str,
    /// Its OpenAPI tag.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Its body, if it takes one.
    pub body: Option<RequestBody>,
    /// Its query parameters.
    pub query: &'static [Param],
    /// Its success status.
    pub status: u16,
    /// Its successful answer.
    pub answer: Answer,
    /// The handler, on the route's method.
    pub(crate) handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

pub(crate) const fn variant(file: &'static str, variant: &'static str) -> Contract {
    Contract::Variant { file, variant }
}

pub(crate) const fn part(file: &'static str, variant: &'static str) -> Contract {
    Contract::Part { file, variant }
}

/// The `min_seq` parameter of a read that waits for `$what` (a read model, named in words).
macro_rules! min_seq {
    ($what:literal) => {
        Param {
            name: "min_seq",
            description: concat!(
                "`<STREAM>:<seq>`, as a command answered them (`stream`, `seq`): the read waits, at \
                 most 2 seconds, until ",
                $what,
                " has read that far in that stream, and is answered 503 `read-model-behind` \
                 (Retry-After: 1) if it has not, 409 `min-seq-ahead-of-log` if the stream holds \
                 no such sequence yet. A stream it does not read is not waited for. Repeatable, \
                 or comma-separated."
            ),
            schema: min_seq_schema,
        }
    };
}

/// `min_seq` of the catalogue's reads.
pub const MIN_SEQ: Param = min_seq!("the catalogue");
/// `min_seq` of the partners' reads (registrations, participants).
pub(crate) const MIN_SEQ_PARTNERS: Param = min_seq!("the partners' view (`partner-view`)");
/// `min_seq` of the venues' reads (hosting requests, attendance).
pub(crate) const MIN_SEQ_VENUES: Param = min_seq!("the venues' view (`venue-view`)");
/// `min_seq` of an edition's statistics.
pub(crate) const MIN_SEQ_STATISTICS: Param = min_seq!("the statistics (`statistics`)");
/// `min_seq` of the job-dating reads.
pub(crate) const MIN_SEQ_JOBDATING: Param = min_seq!("the job-dating view (`jobdating-view`)");
/// `min_seq` of a delivery log.
pub(crate) const MIN_SEQ_DELIVERIES: Param = min_seq!("the webhooks' process");
/// `min_seq` of the subscriptions, read from the log itself: always reached.
pub(crate) const MIN_SEQ_SUBSCRIPTIONS: Param = Param {
    name: "min_seq",
    description: "Taken for symmetry with the other reads: the subscriptions are read from the \
                  log itself, so any sequence a command answered is already reached.",
    schema: min_seq_schema,
};

pub(crate) const SESSION_QUERY: &[Param] = &[
    Param {
        name: "edition",
        description: "Only this edition's sessions.",
        schema: schema_of::<EditionId>,
    },
    Param {
        name: "town",
        description: "Only at venues in this town: an INSEE code or a name (case-insensitive).",
        schema: schema_of::<String>,
    },
    Param {
        name: "theme",
        description: "Only events of this theme.",
        schema: schema_of::<proto::taxonomy::Theme>,
    },
    Param {
        name: "audience",
        description: "Only events for this audience.",
        schema: schema_of::<proto::taxonomy::Audience>,
    },
    Param {
        name: "kind",
        description: "Only events of this kind.",
        schema: schema_of::<proto::taxonomy::EventKind>,
    },
    Param {
        name: "from",
        description: "Only sessions on or after this local day.",
        schema: proto::values::strict::date_schema,
    },
    Param {
        name: "to",
        description: "Only sessions on or before this local day.",
        schema: proto::values::strict::date_schema,
    },
    Param {
        name: "has_seats",
        description: "Only sessions with seats left (`true`) or without (`false`).",
        schema: schema_of::<bool>,
    },
    Param {
        name: "limit",
        description: "How many sessions a page holds: 50 by default, at most 200.",
        schema: schema_of::<proto::values::PageSize>,
    },
    Param {
        name: "after",
        description: "The previous page's `next`, with the same filters.",
        schema: catalogue_cursor_schema,
    },
    Param {
        name: "include_drafts",
        description: "Also the sessions of editions not published: an organiser's key of the \
                      edition (give `edition`) or of every edition.",
        schema: schema_of::<bool>,
    },
    MIN_SEQ,
];

pub(crate) const REGISTRATION_QUERY: &[Param] = &[
    Param {
        name: "partner",
        description: "Only this partner's (a partner key: its own only).",
        schema: schema_of::<PartnerId>,
    },
    Param {
        name: "edition",
        description: "Only this edition's (an organiser key of one edition: its own only).",
        schema: schema_of::<EditionId>,
    },
    Param {
        name: "session",
        description: "Only this session's.",
        schema: schema_of::<SessionId>,
    },
    Param {
        name: "participant",
        description: "Only this participant's.",
        schema: schema_of::<proto::registration::ParticipantId>,
    },
    Param {
        name: "status",
        description: "Only those `confirmed`, `waiting` or `cancelled`.",
        schema: schema_of::<views::Standing>,
    },
    Param {
        name: "identity",
        description: "`false`: each registration without its `identity`, none opened (a count \
                      needs no names). `true` by default.",
        schema: schema_of::<bool>,
    },
    Param {
        name: "limit",
        description: "How many a page holds: 50 by default, at most 200.",
        schema: schema_of::<proto::values::PageSize>,
    },
    Param {
        name: "after",
        description: "The previous page's `next`, with the same filters.",
        schema: view_cursor_schema,
    },
    MIN_SEQ_PARTNERS,
];

pub(crate) const ORGANISER_OF_EVENT: Access =
    Access::Key("an organiser key of the event's edition");
pub(crate) const THAT_VENUE: Access = Access::Key("that venue's key");
pub(crate) const WEBHOOK_KEY: Access =
    Access::Key("a partner key or a venue key (its own subscriptions)");
pub(crate) const WEBHOOK_READER: Access =
    Access::Reader("a partner key or a venue key (its own subscriptions)");

pub(crate) const JD_ORGANISER: Access = Access::Key("an organiser key of the session's edition");
pub(crate) const JD_STAFF: Access = Access::Key(
    "an organiser key of the session's edition, or the key of the venue hosting the session",
);
pub(crate) const JD_STAFF_READER: Access = Access::Reader(
    "an organiser key of the session's edition, or the key of the venue hosting the session",
);
