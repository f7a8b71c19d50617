//! The route table's vocabulary: a [`Route`] (method, path, who may call it, its body, its query,
//! its answer, its handler) and the pieces the areas' tables share (the `min_seq` parameters,
//! the access rules; the answers' types are in [`super::answers`]). The router ([`super::app`]) and
//! the OpenAPI document ([`crate::openapi`]) are both built from the rows.
//!
//! A row says only what is its own: it starts from its area (`Area::EDITIONS.post(path,
//! operation, summary, access, handled_by!(handler))`, the area giving the tag), and adds a
//! body, query parameters or a `201` when it has them. `handled_by!` takes the answer's schema
//! from the handler it routes, so the two cannot disagree.

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

impl Param {
    /// A parameter the handler reads as a `T`: its schema is `T`'s.
    pub(crate) const fn of<T: JsonSchema>(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            schema: schema_of::<T>,
        }
    }

    /// A parameter whose schema says more than its type's (a strict date, a cursor's pattern).
    pub(crate) const fn with_schema(
        name: &'static str,
        description: &'static str,
        schema: fn(&mut SchemaGenerator) -> Schema,
    ) -> Self {
        Self {
            name,
            description,
            schema,
        }
    }
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

impl Route {
    /// The route reads this body.
    pub(crate) const fn body(self, body: RequestBody) -> Self {
        Self {
            body: Some(body),
            ..self
        }
    }

    /// The route reads these query parameters.
    pub(crate) const fn query(self, query: &'static [Param]) -> Self {
        Self { query, ..self }
    }

    /// The route's command creates something (an edition, an event, a session, a venue, a
    /// registration, a subscription): it answers `201` rather than `200`.
    pub(crate) const fn created(self) -> Self {
        Self {
            status: 201,
            ..self
        }
    }
}

/// An area of the API (`editions`, `venues`, `jobdating`…): its routes share one OpenAPI tag,
/// which the area gives, so that a row says only what is its own. A row starts from its area's
/// [`Area::post`] or [`Area::get`] (`Area::EDITIONS.post(…)`): no body, no query parameter and `200` until it says
/// otherwise ([`Route::body`], [`Route::query`], [`Route::created`]).
#[derive(Clone, Copy)]
pub(crate) struct Area {
    /// The OpenAPI tag of every route of the area.
    pub(crate) tag: &'static str,
    /// The tag's description in the OpenAPI document.
    pub(crate) description: &'static str,
}

impl Area {
    /// An organiser's editions.
    pub(crate) const EDITIONS: Self = Self {
        tag: "editions",
        description: "An organiser's editions",
    };
    /// An edition's events and their sessions.
    pub(crate) const EVENTS: Self = Self {
        tag: "events",
        description: "An edition's events and their sessions",
    };
    /// Partners, and the seats reserved for them.
    pub(crate) const PARTNERS: Self = Self {
        tag: "partners",
        description: "Partners, and the seats reserved for them",
    };
    /// Venues, their hosting requests, and check-in at the door.
    pub(crate) const VENUES: Self = Self {
        tag: "venues",
        description: "Venues, their hosting requests, and check-in at the door",
    };
    /// A partner's registrations.
    pub(crate) const REGISTRATIONS: Self = Self {
        tag: "registrations",
        description: "A partner's registrations",
    };
    /// Partners' and venues' webhooks: subscriptions, deliveries and their log.
    pub(crate) const WEBHOOKS: Self = Self {
        tag: "webhooks",
        description: "Partners' and venues' webhooks: subscriptions, deliveries and their log",
    };
    /// The public catalogue, as the catalogue read model has read the log.
    pub(crate) const CATALOGUE: Self = Self {
        tag: "catalogue",
        description: "The public catalogue, as the catalogue read model has read the log",
    };
    /// The keyed reads: a partner's registrations and participants, a venue's requests and attendance lists, an edition's statistics, agendas as calendars.
    pub(crate) const READS: Self = Self {
        tag: "reads",
        description: "The keyed reads: a partner's registrations and participants, a venue's requests and attendance lists, an edition's statistics, agendas as calendars",
    };
    /// A job-dating session's floor: employers, tables and slots, bookings and wishes, the planner, outcomes.
    pub(crate) const JOBDATING: Self = Self {
        tag: "jobdating",
        description: "A job-dating session's floor: employers, tables and slots, bookings and wishes, the planner, outcomes",
    };
    /// Health, readiness, the OpenAPI document and the metrics.
    pub(crate) const OPERATIONS: Self = Self {
        tag: "operations",
        description: "Health, readiness, this document and the metrics",
    };
    /// Every area, in the order the OpenAPI document lists their tags.
    pub(crate) const ALL: [Self; 10] = [
        Self::EDITIONS,
        Self::EVENTS,
        Self::PARTNERS,
        Self::VENUES,
        Self::REGISTRATIONS,
        Self::WEBHOOKS,
        Self::CATALOGUE,
        Self::READS,
        Self::JOBDATING,
        Self::OPERATIONS,
    ];

    /// A POST route of this area (a command, or the erasure of a participant).
    pub(crate) const fn post(
        self,
        path: &'static str,
        operation: &'static str,
        summary: &'static str,
        access: Access,
        handled: Handled,
    ) -> Route {
        self.route(Verb::Post, path, operation, summary, access, handled)
    }

    /// A GET route of this area (a read).
    pub(crate) const fn get(
        self,
        path: &'static str,
        operation: &'static str,
        summary: &'static str,
        access: Access,
        handled: Handled,
    ) -> Route {
        self.route(Verb::Get, path, operation, summary, access, handled)
    }

    const fn route(
        self,
        method: Verb,
        path: &'static str,
        operation: &'static str,
        summary: &'static str,
        access: Access,
        handled: Handled,
    ) -> Route {
        Route {
            method,
            path,
            operation,
            tag: self.tag,
            summary,
            access,
            body: None,
            query: &[],
            status: 200,
            answer: handled.answer,
            handler: handled.handler,
        }
    }
}

/// A route's handler with the answer the document gives it. [`handled_by!`] makes both from the
/// handler's one name, so that a row cannot route one handler and document another's answer.
#[derive(Clone, Copy)]
pub(crate) struct Handled {
    /// The successful answer ([`Route::answer`]).
    pub(crate) answer: Answer,
    /// The handler on the route's method ([`Route::handler`]).
    pub(crate) handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

/// The [`Handled`] of a handler: `handled_by!(read)` answers the document `read` answers with
/// (see `answers::answer_of`); `handled_by!(read, answer)` answers what `answer` says, for the
/// handlers whose answer is not a typed JSON document (a calendar, a CSV file, the metrics).
macro_rules! handled_by {
    ($handler:path) => {
        $crate::routes::table::Handled {
            answer: $crate::routes::answers::answer_of(&$handler),
            handler: |m| ::axum::routing::on(m, $handler),
        }
    };
    ($handler:path, $answer:expr) => {
        $crate::routes::table::Handled {
            answer: $answer,
            handler: |m| ::axum::routing::on(m, $handler),
        }
    };
}
pub(crate) use handled_by;

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
    Param::of::<EditionId>("edition", "Only this edition's sessions."),
    Param::of::<String>(
        "town",
        "Only at venues in this town: an INSEE code or a name (case-insensitive).",
    ),
    Param::of::<proto::taxonomy::Theme>("theme", "Only events of this theme."),
    Param::of::<proto::taxonomy::Audience>("audience", "Only events for this audience."),
    Param::of::<proto::taxonomy::EventKind>("kind", "Only events of this kind."),
    Param::with_schema(
        "from",
        "Only sessions on or after this local day.",
        proto::values::strict::date_schema,
    ),
    Param::with_schema(
        "to",
        "Only sessions on or before this local day.",
        proto::values::strict::date_schema,
    ),
    Param::of::<bool>(
        "has_seats",
        "Only sessions with seats left (`true`) or without (`false`).",
    ),
    Param::of::<proto::values::PageSize>(
        "limit",
        "How many sessions a page holds: 50 by default, at most 200.",
    ),
    Param::with_schema(
        "after",
        "The previous page's `next`, with the same filters.",
        catalogue_cursor_schema,
    ),
    Param::of::<bool>(
        "include_drafts",
        "Also the sessions of editions not published: an organiser's key of the \
         edition (give `edition`) or of every edition.",
    ),
    MIN_SEQ,
];

pub(crate) const REGISTRATION_QUERY: &[Param] = &[
    Param::of::<PartnerId>(
        "partner",
        "Only this partner's (a partner key: its own only).",
    ),
    Param::of::<EditionId>(
        "edition",
        "Only this edition's (an organiser key of one edition: its own only).",
    ),
    Param::of::<SessionId>("session", "Only this session's."),
    Param::of::<proto::registration::ParticipantId>("participant", "Only this participant's."),
    Param::of::<views::Standing>(
        "status",
        "Only those `confirmed`, `waiting` or `cancelled`.",
    ),
    Param::of::<bool>(
        "identity",
        "`false`: each registration without its `identity`, none opened (a count \
         needs no names). `true` by default.",
    ),
    Param::of::<proto::values::PageSize>(
        "limit",
        "How many a page holds: 50 by default, at most 200.",
    ),
    Param::with_schema(
        "after",
        "The previous page's `next`, with the same filters.",
        view_cursor_schema,
    ),
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
