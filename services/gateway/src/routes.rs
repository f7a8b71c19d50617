//! The routes: one table, [`ROUTES`], from which both the axum [`Router`] ([`app`]) and the
//! OpenAPI document ([`crate::openapi`]) are built, and the handlers of the commands and health.
//!
//! Every command is a POST that needs an API key ([`crate::auth`]) and an `Idempotency-Key`
//! ([`crate::idempotency`]), and answers JSON with `seq` and `stream`: the stream sequence of the
//! commit that recorded it and the stream it is in, which a read may wait for (`min_seq`, see
//! [`crate::reads`]); and `duplicate`, true when the log answered a retry with the original
//! outcome. (The registration service's partner, cancel, check-in and reserve commands tell the
//! sequence only; their answers have no `duplicate`.) The table says, for each route, who may
//! call it, its body and its answer; `docs/api.md` explains them.
//!
//! **Ids the server makes.** An edition, an event or a venue created through the gateway gets an
//! id derived (UUID v5) from the API key and the request's `Idempotency-Key`: a retry names the
//! same id, so even one the gateway's store has forgotten is answered by the log as a duplicate
//! and never creates a second edition. A session's id is the caller's (it is in the scheduling
//! contract), and a registration's is made by the registration service.
//!
//! **Scopes.** An organiser key of one edition acts on that edition only: for an event's commands,
//! the event's edition (an event never changes edition); for a session's seats, the edition in
//! the seats' facts. Creating an edition and retiring a partner (partners are shared by every
//! edition) need an organiser key of every edition (`*`); declaring a partner or registering a
//! venue adds to what all editions share and takes nothing away, so any organiser may. A venue
//! key acts on its own venue; it may register it (under its own id), answer its hosting requests
//! and check people in at the sessions it hosts. A partner key registers as its partner and
//! cancels its own registrations (the service checks ownership; another partner's registration is
//! answered 404, like one that does not exist).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_nats::connection::State as Connection;
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Router, middleware};
use eventlog::EventLog;
use jiff::Timestamp;
use jiff::civil::DateTime;
use projection::Progress;
use proto::registration::{Beneficiary, RegisterRequest, RegistrationId, Reservation, partner};
use proto::scheduling::{edition, event};
use proto::values::{EditionId, EventId, PartnerId, Reason, RoomId, SessionId, VenueId};
use proto::venues;
use registration::Registrations;
use scheduling::{Scheduling, SchedulingError};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use crate::auth::{Caller, authenticate};
use crate::extract::{Body, Ids};
use crate::idempotency::{IdempotencyStore, idempotent};
use crate::keys::{Editions, KeyError, KeyStore, Role};
use crate::limits::{RateLimit, RateLimiter};
use crate::metrics::Metrics;
use crate::problem::ApiError;
use crate::readers::{self, ViewStores};
use crate::reads;

/// The stream of the scheduling service's commits (editions, events, sessions).
pub const SCHEDULING: &str = proto::subjects::SCHEDULING.name;
/// The stream of the venue service's commits.
pub const VENUES: &str = proto::subjects::VENUES.name;
/// The stream of the registration service's commits (partners, seats, agendas).
pub const REGISTRATION: &str = proto::subjects::REGISTRATION.name;

/// The services the gateway sends commands to.
#[derive(Clone)]
pub struct Services {
    /// Editions, events and sessions.
    pub scheduling: Scheduling,
    /// Venues and their hosting requests.
    pub venues: ::venues::Venues,
    /// Partners, registrations, seats.
    pub registrations: Registrations,
    /// Job-dating floors.
    pub jobdating: jobdating::JobDating,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub services: Services,
    /// The API keys.
    pub keys: KeyStore,
    /// The idempotency keys seen.
    pub idempotency: IdempotencyStore,
    /// The rate limits, per key.
    pub limiter: Arc<RateLimiter>,
    /// The rate limits of the public reads (the catalogue), per client address.
    pub public_limiter: Arc<RateLimiter>,
    /// The NATS connection, whose state is the readiness.
    pub nats: async_nats::Client,
    /// The event log, whose streams' last sequences measure the projections' lag.
    pub log: EventLog,
    /// The catalogue read model's store, when this instance serves it.
    pub catalogue: Option<sled::Db>,
    /// The stores of the partners', venues' and organisers' views, when this instance serves
    /// them.
    pub views: Option<ViewStores>,
    /// How far the projections given have read, by name (for `/metrics`; the catalogue's is
    /// also what `min_seq` waits on).
    pub projections: BTreeMap<&'static str, watch::Receiver<Progress>>,
    /// The counters `/metrics` reports.
    pub metrics: Arc<Metrics>,
    /// Partners' and venues' webhooks, when this instance serves them.
    pub webhooks: Option<webhooks::Webhooks>,
    /// The job-dating view's store, when this instance serves it.
    pub jobdating_view: Option<sled::Db>,
}

/// Why the gateway's state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The API keys' bucket.
    #[error("cannot open the API keys: {0}")]
    Keys(#[from] KeyError),
    /// The idempotency keys' bucket.
    #[error("cannot open the idempotency keys: {0}")]
    Idempotency(String),
}

impl AppState {
    /// Opens the gateway's buckets on the log's JetStream (with the log's replica count) and
    /// puts the services and the rate limit together.
    pub async fn open(
        log: &EventLog,
        services: Services,
        limit: RateLimit,
    ) -> Result<Self, OpenError> {
        let js = log.jetstream();
        let replicas = log.config().replicas;
        Ok(Self {
            services,
            keys: KeyStore::open(js, replicas).await?,
            idempotency: IdempotencyStore::open(js, replicas)
                .await
                .map_err(|e| OpenError::Idempotency(e.to_string()))?,
            limiter: Arc::new(RateLimiter::new(limit)),
            public_limiter: Arc::new(RateLimiter::new(crate::limits::PUBLIC_PER_ADDRESS)),
            nats: js.client(),
            log: log.clone(),
            catalogue: None,
            views: None,
            projections: BTreeMap::new(),
            metrics: Arc::default(),
            webhooks: None,
            jobdating_view: None,
        })
    }

    /// Serves the catalogue from this read model's store.
    pub fn with_catalogue(mut self, store: sled::Db) -> Self {
        self.catalogue = Some(store);
        self
    }

    /// Serves the partners', venues' and organisers' reads from these views' stores.
    pub fn with_views(mut self, stores: ViewStores) -> Self {
        self.views = Some(stores);
        self
    }

    /// Serves the job-dating reads (timetables, calendars, figures) from this view's store.
    pub fn with_jobdating_view(mut self, store: sled::Db) -> Self {
        self.jobdating_view = Some(store);
        self
    }

    /// Serves partners' and venues' webhooks.
    pub fn with_webhooks(mut self, webhooks: webhooks::Webhooks) -> Self {
        self.webhooks = Some(webhooks);
        self
    }

    /// Follows a projection's progress (its runner's [`projection::Runner::progress`]): its
    /// checkpoints and lag are reported at `/metrics`. The catalogue's
    /// ([`CATALOGUE`]) is also what a catalogue read with `min_seq` waits on.
    pub fn with_projection(
        mut self,
        name: &'static str,
        progress: watch::Receiver<Progress>,
    ) -> Self {
        self.projections.insert(name, progress);
        self
    }

    /// How far the catalogue has read, when it was given.
    pub fn catalogue_progress(&self) -> Option<&watch::Receiver<Progress>> {
        self.projections.get(CATALOGUE)
    }
}

/// The name of the catalogue projection, whose progress `min_seq` waits on.
pub const CATALOGUE: &str = "catalogue";

// ---- The route table ----

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

    fn filter(self) -> MethodFilter {
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
const fn body<T: JsonSchema + serde::de::DeserializeOwned>(
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
/// semaine's ([`crate::reads::STREAM_NAMES`]).
fn min_seq_schema(_: &mut SchemaGenerator) -> Schema {
    let one = format!("(?:{}):[0-9]{{1,19}}", crate::reads::STREAM_NAMES.join("|"));
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
fn catalogue_cursor_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "pattern": "^[0-9A-Fa-f]{64}$(?!\\n)" })
}

/// A partners' view page's cursor: the position of its last registration, 16 or 32 bytes in
/// hexadecimal (by the filters). Any such position reads.
fn view_cursor_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({ "type": "string", "pattern": "^(?:[0-9A-Fa-f]{32}){1,2}$(?!\\n)" })
}

/// The schema of a body type, for [`RequestBody::schema`].
fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// Reads `bytes` as a `T`, for [`RequestBody::reads`].
fn reads_as<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(), String> {
    serde_json::from_slice::<T>(bytes)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A field of a JSON answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A UUID.
    Id,
    /// A partner's slug.
    Slug,
    /// A stream sequence.
    Seq,
    /// A boolean.
    Flag,
    /// Always this string (a stream's name).
    Is(&'static str),
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A string, described.
    Text(&'static str),
    /// A list of these strings.
    List(&'static [&'static str]),
    /// A whole number, described (a table, a slot, a run, a count).
    Number(&'static str),
    /// A JSON object (or null), described.
    Object(&'static str),
}

/// What a successful answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A JSON object with these fields, all present.
    Fields(&'static [(&'static str, Field)]),
    /// A JSON document described in words (the catalogue's pages and rows).
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
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

const fn variant(file: &'static str, variant: &'static str) -> Contract {
    Contract::Variant { file, variant }
}

const fn part(file: &'static str, variant: &'static str) -> Contract {
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
const MIN_SEQ_PARTNERS: Param = min_seq!("the partners' view (`partner-view`)");
/// `min_seq` of the venues' reads (hosting requests, attendance).
const MIN_SEQ_VENUES: Param = min_seq!("the venues' view (`venue-view`)");
/// `min_seq` of an edition's statistics.
const MIN_SEQ_STATISTICS: Param = min_seq!("the statistics (`statistics`)");
/// `min_seq` of the job-dating reads.
const MIN_SEQ_JOBDATING: Param = min_seq!("the job-dating view (`jobdating-view`)");
/// `min_seq` of a delivery log.
const MIN_SEQ_DELIVERIES: Param = min_seq!("the webhooks' process");
/// `min_seq` of the subscriptions, read from the log itself: always reached.
const MIN_SEQ_SUBSCRIPTIONS: Param = Param {
    name: "min_seq",
    description: "Taken for symmetry with the other reads: the subscriptions are read from the \
                  log itself, so any sequence a command answered is already reached.",
    schema: min_seq_schema,
};

const SESSION_QUERY: &[Param] = &[
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

const REGISTRATION_QUERY: &[Param] = &[
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

const EDITION_ANSWER: Answer = Answer::Fields(&[
    ("edition", Field::Id),
    ("stream", Field::Is(SCHEDULING)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);
const EVENT_ANSWER: Answer = Answer::Fields(&[
    ("event", Field::Id),
    ("stream", Field::Is(SCHEDULING)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);
const SESSION_ANSWER: Answer = Answer::Fields(&[
    ("session", Field::Id),
    ("stream", Field::Is(SCHEDULING)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);
const PARTNER_ANSWER: Answer = Answer::Fields(&[
    ("partner", Field::Slug),
    ("stream", Field::Is(REGISTRATION)),
    ("seq", Field::Seq),
]);
const VENUE_ANSWER: Answer = Answer::Fields(&[
    ("venue", Field::Id),
    ("stream", Field::Is(VENUES)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);
const HOSTING_ANSWER: Answer = Answer::Fields(&[
    ("venue", Field::Id),
    ("session", Field::Id),
    ("stream", Field::Is(VENUES)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);
const SEATS_ANSWER: Answer = Answer::Fields(&[
    ("session", Field::Id),
    ("registration", Field::Id),
    ("stream", Field::Is(REGISTRATION)),
    ("seq", Field::Seq),
]);

const ORGANISER_OF_EVENT: Access = Access::Key("an organiser key of the event's edition");
const THAT_VENUE: Access = Access::Key("that venue's key");
pub(crate) const WEBHOOK_KINDS: &[&str] = &[
    "registration.confirmed",
    "registration.promoted",
    "registration.demoted",
    "registration.cancelled",
    "session.moved",
    "session.cancelled",
    "hosting.requested",
];
const WEBHOOK_KEY: Access = Access::Key("a partner key or a venue key (its own subscriptions)");
const WEBHOOK_READER: Access =
    Access::Reader("a partner key or a venue key (its own subscriptions)");

const JD_ORGANISER: Access = Access::Key("an organiser key of the session's edition");
const JD_STAFF: Access = Access::Key(
    "an organiser key of the session's edition, or the key of the venue hosting the session",
);
const JD_STAFF_READER: Access = Access::Reader(
    "an organiser key of the session's edition, or the key of the venue hosting the session",
);
const JD_TABLE_ANSWER: Answer = Answer::Fields(&[
    ("session", Field::Id),
    ("table", Field::Number("The table.")),
    ("stream", Field::Is(crate::jobdating::JOBDATING)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);
const JD_SLOT_ANSWER: Answer = Answer::Fields(&[
    ("session", Field::Id),
    ("table", Field::Number("The table.")),
    ("slot", Field::Number("The slot.")),
    ("stream", Field::Is(crate::jobdating::JOBDATING)),
    ("seq", Field::Seq),
    ("duplicate", Field::Flag),
]);

/// Every route of the gateway, once: [`app`] routes them and [`crate::openapi`] documents them.
pub static ROUTES: &[Route] = &[
    // ---- Organisers: editions ----
    Route {
        method: Verb::Post,
        path: "/editions",
        operation: "create_edition",
        tag: "editions",
        summary: "Creates an edition; its id is derived from the key and the Idempotency-Key",
        access: Access::Key("an organiser key of every edition (`*`)"),
        body: Some(body::<edition::Create>(
            variant("commands/edition", "create"),
            r#"{"name": "Semaine des métiers du soin 2027", "territory": "05", "first_day": "2027-04-12", "last_day": "2027-04-23", "organisers": ["departement-05"], "time_zone": "Europe/Paris"}"#,
        )),
        query: &[],
        status: 201,
        answer: EDITION_ANSWER,
        handler: |m| on(m, create_edition),
    },
    Route {
        method: Verb::Post,
        path: "/editions/{edition}/publish",
        operation: "publish_edition",
        tag: "editions",
        summary: "Publishes an edition: its programme becomes public",
        access: Access::Key("an organiser key of the edition"),
        body: None,
        query: &[],
        status: 200,
        answer: EDITION_ANSWER,
        handler: |m| on(m, publish_edition),
    },
    Route {
        method: Verb::Post,
        path: "/editions/{edition}/close",
        operation: "close_edition",
        tag: "editions",
        summary: "Closes an edition: nothing more changes",
        access: Access::Key("an organiser key of the edition"),
        body: None,
        query: &[],
        status: 200,
        answer: EDITION_ANSWER,
        handler: |m| on(m, close_edition),
    },
    Route {
        method: Verb::Post,
        path: "/editions/{edition}/dates",
        operation: "amend_edition_dates",
        tag: "editions",
        summary: "Moves an edition's first or last day",
        access: Access::Key("an organiser key of the edition"),
        body: Some(body::<edition::AmendDates>(
            variant("commands/edition", "amend_dates"),
            r#"{"first_day": "2027-04-12", "last_day": "2027-04-23"}"#,
        )),
        query: &[],
        status: 200,
        answer: EDITION_ANSWER,
        handler: |m| on(m, amend_dates),
    },
    // ---- Organisers: events and sessions ----
    Route {
        method: Verb::Post,
        path: "/events",
        operation: "add_event",
        tag: "events",
        summary: "Adds an event to an edition's programme; its id is derived from the key and \
                  the Idempotency-Key",
        access: Access::Key("an organiser key of the body's edition"),
        body: Some(body::<event::Add>(
            variant("commands/event", "add"),
            r#"{"edition": "{edition}", "about": {"kind": "open_door", "title": "Portes ouvertes à l'EHPAD Les Écrins", "description": "Visite, rencontre avec l'équipe soignante et un atelier intergénérationnel.", "themes": ["elderly_autonomy"], "audiences": ["young_people", "job_seekers"], "restricted_to": [], "discovery_tools": ["ageing_simulator"], "partners": ["mission-locale-gap"]}}"#,
        )),
        query: &[],
        status: 201,
        answer: EVENT_ANSWER,
        handler: |m| on(m, add_event),
    },
    Route {
        method: Verb::Post,
        path: "/events/{event}/amend",
        operation: "amend_event",
        tag: "events",
        summary: "Replaces an event's description",
        access: ORGANISER_OF_EVENT,
        body: Some(body::<event::About>(
            variant("commands/event", "amend"),
            r#"{"kind": "open_door", "title": "Portes ouvertes à l'EHPAD Les Écrins", "description": "Visite et rencontre avec l'équipe soignante.", "themes": ["elderly_autonomy"], "audiences": ["young_people"]}"#,
        )),
        query: &[],
        status: 200,
        answer: EVENT_ANSWER,
        handler: |m| on(m, amend_event),
    },
    Route {
        method: Verb::Post,
        path: "/events/{event}/sessions",
        operation: "schedule_session",
        tag: "events",
        summary: "Schedules a session of an event at a venue, which is then asked to host it",
        access: ORGANISER_OF_EVENT,
        body: Some(body::<event::ScheduleSession>(
            variant("commands/event", "schedule_session"),
            r#"{"session": "{session}", "starts": "2027-04-13T09:00:00", "ends": "2027-04-13T12:00:00", "venue": "{venue}", "room": "salle-polyvalente", "capacity_wanted": 25}"#,
        )),
        query: &[],
        status: 201,
        answer: Answer::Fields(&[
            ("event", Field::Id),
            ("session", Field::Id),
            ("stream", Field::Is(SCHEDULING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, schedule_session),
    },
    Route {
        method: Verb::Post,
        path: "/events/{event}/sessions/{session}/reschedule",
        operation: "reschedule_session",
        tag: "events",
        summary: "Moves a session to other local times; its venue is asked again",
        access: ORGANISER_OF_EVENT,
        body: Some(body::<NewTimes>(
            part("commands/event", "reschedule_session"),
            r#"{"starts": "2027-04-14T14:00:00", "ends": "2027-04-14T17:00:00"}"#,
        )),
        query: &[],
        status: 200,
        answer: SESSION_ANSWER,
        handler: |m| on(m, reschedule_session),
    },
    Route {
        method: Verb::Post,
        path: "/events/{event}/sessions/{session}/venue",
        operation: "change_session_venue",
        tag: "events",
        summary: "Moves a session to another venue or room; the new venue is asked",
        access: ORGANISER_OF_EVENT,
        body: Some(body::<NewVenue>(
            part("commands/event", "change_session_venue"),
            r#"{"venue": "{venue}", "room": "salle-polyvalente"}"#,
        )),
        query: &[],
        status: 200,
        answer: SESSION_ANSWER,
        handler: |m| on(m, change_session_venue),
    },
    Route {
        method: Verb::Post,
        path: "/events/{event}/sessions/{session}/cancel",
        operation: "cancel_session",
        tag: "events",
        summary: "Cancels a session; its registrations are cancelled",
        access: ORGANISER_OF_EVENT,
        body: Some(body::<Because>(
            part("commands/event", "cancel_session"),
            r#"{"reason": "L'intervenante est absente."}"#,
        )),
        query: &[],
        status: 200,
        answer: SESSION_ANSWER,
        handler: |m| on(m, cancel_session),
    },
    // ---- Organisers: partners and reserved seats ----
    Route {
        method: Verb::Post,
        path: "/partners/{partner}",
        operation: "declare_partner",
        tag: "partners",
        summary: "Declares a partner, for every edition",
        access: Access::Key("any organiser key"),
        body: Some(body::<partner::Declared>(
            variant("commands/partner", "declare"),
            r#"{"name": "Mission locale du Gapençais", "kind": "mission_locale"}"#,
        )),
        query: &[],
        status: 200,
        answer: PARTNER_ANSWER,
        handler: |m| on(m, declare_partner),
    },
    Route {
        method: Verb::Post,
        path: "/partners/{partner}/retire",
        operation: "retire_partner",
        tag: "partners",
        summary: "Retires a partner: it registers nobody more",
        access: Access::Key("an organiser key of every edition (`*`)"),
        body: Some(body::<Because>(
            part("commands/partner", "retire"),
            r#"{"reason": "Le partenariat a pris fin."}"#,
        )),
        query: &[],
        status: 200,
        answer: PARTNER_ANSWER,
        handler: |m| on(m, retire_partner),
    },
    Route {
        method: Verb::Post,
        path: "/sessions/{session}/reservations",
        operation: "reserve_seats",
        tag: "partners",
        summary: "Keeps seats of a session for a partner or an audience until a deadline",
        access: Access::Key("an organiser key of the session's edition"),
        body: Some(body::<ReserveSeats>(
            Contract::Gateway,
            r#"{"beneficiary": {"for": "partner", "partner": "{partner}"}, "seats": 10, "until": "2027-04-06T18:00:00Z"}"#,
        )),
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            ("stream", Field::Is(REGISTRATION)),
            ("seq", Field::Seq),
        ]),
        handler: |m| on(m, reserve_seats),
    },
    // ---- Venues ----
    Route {
        method: Verb::Post,
        path: "/venues",
        operation: "register_venue",
        tag: "venues",
        summary: "Registers a venue: under a new id (an organiser), or under its own (its venue key)",
        access: Access::Key("any organiser key, or a venue key (its own id)"),
        body: Some(body::<venues::Register>(
            variant("commands/venue", "register"),
            r#"{"name": "EHPAD Les Écrins", "kind": "ehpad", "address": {"street": "12 avenue de la Gare", "postcode": "05200", "town": "Embrun", "insee_code": "05046"}, "contact": {"name": "Accueil de l'EHPAD", "email": null, "phone": null}, "rooms": [{"id": "salle-polyvalente", "name": "Salle polyvalente", "max_capacity": 40}], "opening_hours": [{"day": "tuesday", "opens": "08:00:00", "closes": "18:00:00"}], "accessibility": {"step_free_entrance": true, "accessible_toilets": true, "hearing_loop": null, "parking": true}, "equipment": ["projector"], "closed_periods": [], "time_zone": "Europe/Paris"}"#,
        )),
        query: &[],
        status: 201,
        answer: VENUE_ANSWER,
        handler: |m| on(m, register_venue),
    },
    Route {
        method: Verb::Post,
        path: "/venues/{venue}/opening-hours",
        operation: "set_opening_hours",
        tag: "venues",
        summary: "Replaces a venue's opening hours",
        access: THAT_VENUE,
        body: Some(body::<NewOpeningHours>(
            variant("commands/venue", "set_opening_hours"),
            r#"{"opening_hours": [{"day": "monday", "opens": "09:00:00", "closes": "17:00:00"}, {"day": "tuesday", "opens": "09:00:00", "closes": "17:00:00"}]}"#,
        )),
        query: &[],
        status: 200,
        answer: VENUE_ANSWER,
        handler: |m| on(m, set_opening_hours),
    },
    Route {
        method: Verb::Post,
        path: "/venues/{venue}/closed-periods",
        operation: "add_closed_period",
        tag: "venues",
        summary: "Adds a period a venue is closed",
        access: THAT_VENUE,
        body: Some(body::<venues::ClosedPeriod>(
            variant("commands/venue", "add_closed_period"),
            r#"{"from": "2027-04-19", "to": "2027-04-19", "reason": "Lundi de Pâques"}"#,
        )),
        query: &[],
        status: 200,
        answer: VENUE_ANSWER,
        handler: |m| on(m, add_closed_period),
    },
    Route {
        method: Verb::Post,
        path: "/venues/{venue}/hosting/{session}/confirm",
        operation: "confirm_hosting",
        tag: "venues",
        summary: "Confirms a pending hosting request with a capacity",
        access: THAT_VENUE,
        body: Some(body::<CapacityAnswer>(
            part("commands/venue", "confirm_capacity"),
            r#"{"request": 1, "capacity": 25}"#,
        )),
        query: &[],
        status: 200,
        answer: HOSTING_ANSWER,
        handler: |m| on(m, confirm_hosting),
    },
    Route {
        method: Verb::Post,
        path: "/venues/{venue}/hosting/{session}/decline",
        operation: "decline_hosting",
        tag: "venues",
        summary: "Declines a pending hosting request",
        access: THAT_VENUE,
        body: Some(body::<ReasonAnswer>(
            part("commands/venue", "decline"),
            r#"{"request": 1, "reason": "La salle est en travaux cette semaine-là."}"#,
        )),
        query: &[],
        status: 200,
        answer: HOSTING_ANSWER,
        handler: |m| on(m, decline_hosting),
    },
    Route {
        method: Verb::Post,
        path: "/venues/{venue}/hosting/{session}/capacity",
        operation: "change_capacity",
        tag: "venues",
        summary: "Changes the capacity a venue confirmed",
        access: THAT_VENUE,
        body: Some(body::<CapacityAnswer>(
            part("commands/venue", "change_capacity"),
            r#"{"request": 1, "capacity": 18}"#,
        )),
        query: &[],
        status: 200,
        answer: HOSTING_ANSWER,
        handler: |m| on(m, change_capacity),
    },
    Route {
        method: Verb::Post,
        path: "/venues/{venue}/hosting/{session}/withdraw",
        operation: "withdraw_hosting",
        tag: "venues",
        summary: "Withdraws a confirmed hosting",
        access: THAT_VENUE,
        body: Some(body::<ReasonAnswer>(
            part("commands/venue", "withdraw"),
            r#"{"request": 1, "reason": "La salle n'est plus disponible."}"#,
        )),
        query: &[],
        status: 200,
        answer: HOSTING_ANSWER,
        handler: |m| on(m, withdraw_hosting),
    },
    Route {
        method: Verb::Post,
        path: "/sessions/{session}/registrations/{registration}/check-in",
        operation: "check_in",
        tag: "venues",
        summary: "Records how many of a registration's seats came",
        access: Access::Key(
            "the key of the venue hosting the session, or an organiser key of its edition",
        ),
        body: Some(body::<Present>(Contract::Gateway, r#"{"present": 1}"#)),
        query: &[],
        status: 200,
        answer: SEATS_ANSWER,
        handler: |m| on(m, check_in),
    },
    // ---- Partners ----
    Route {
        method: Verb::Post,
        path: "/registrations",
        operation: "register",
        tag: "registrations",
        summary: "Registers a participant, or a group, into a session",
        access: Access::Key("a partner key"),
        body: Some(body::<RegisterRequest>(
            Contract::Whole("commands/register"),
            r#"{"session": "{session}", "reference": "ML-2027-0042", "attendee": {"kind": "person"}, "profile": {"audience": "young_people", "age_band": "from16_to25", "town": "05061"}, "identity": {"first_name": "Camille", "last_name": "Martin", "email": null, "phone": null}}"#,
        )),
        query: &[],
        status: 201,
        answer: Answer::Fields(&[
            ("registration", Field::Id),
            ("participant", Field::Id),
            ("status", Field::OneOf(&["confirmed", "waiting"])),
            ("stream", Field::Is(REGISTRATION)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, register),
    },
    Route {
        method: Verb::Post,
        path: "/sessions/{session}/registrations/{registration}/cancel",
        operation: "cancel_registration",
        tag: "registrations",
        summary: "Cancels a registration, until the session starts",
        access: Access::Key("the key of the partner that registered it"),
        body: None,
        query: &[],
        status: 200,
        answer: SEATS_ANSWER,
        handler: |m| on(m, cancel_registration),
    },
    // ---- Partners and venues: webhooks ----
    Route {
        method: Verb::Post,
        path: "/webhooks",
        operation: "subscribe_webhook",
        tag: "webhooks",
        summary: "Subscribes a URL to kinds of events; the answer holds the signing secret, \
                  shown once",
        access: WEBHOOK_KEY,
        body: Some(body::<proto::webhooks::Subscribe>(
            Contract::Whole("commands/subscribe-webhook"),
            r#"{"url": "https://partenaire.example/semaine/notifications", "kinds": ["registration.promoted", "session.moved", "session.cancelled"]}"#,
        )),
        query: &[],
        status: 201,
        answer: Answer::Fields(&[
            ("subscription", Field::Id),
            ("url", Field::Text("Where deliveries are POSTed.")),
            ("kinds", Field::List(WEBHOOK_KINDS)),
            (
                "secret",
                Field::Text(
                    "`whsec_…`: the key every delivery is signed with; shown in this answer \
                     (and its replays) only.",
                ),
            ),
            ("stream", Field::Is(crate::webhooks::WEBHOOKS)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::webhooks::subscribe),
    },
    Route {
        method: Verb::Get,
        path: "/webhooks",
        operation: "list_webhooks",
        tag: "webhooks",
        summary: "The key's partner's or venue's subscriptions (no secrets)",
        access: WEBHOOK_READER,
        body: None,
        query: &[MIN_SEQ_SUBSCRIPTIONS],
        status: 200,
        answer: Answer::Json("`{items: [{subscription, url, kinds}]}`"),
        handler: |m| on(m, crate::webhooks::list),
    },
    Route {
        method: Verb::Get,
        path: "/webhooks/{subscription}",
        operation: "get_webhook",
        tag: "webhooks",
        summary: "One subscription (no secret)",
        access: WEBHOOK_READER,
        body: None,
        query: &[MIN_SEQ_SUBSCRIPTIONS],
        status: 200,
        answer: Answer::Json("`{subscription, url, kinds}`"),
        handler: |m| on(m, crate::webhooks::one),
    },
    Route {
        method: Verb::Post,
        path: "/webhooks/{subscription}/delete",
        operation: "delete_webhook",
        tag: "webhooks",
        summary: "Deletes a subscription: nothing more is delivered to it",
        access: WEBHOOK_KEY,
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("subscription", Field::Id),
            ("stream", Field::Is(crate::webhooks::WEBHOOKS)),
            ("seq", Field::Seq),
        ]),
        handler: |m| on(m, crate::webhooks::unsubscribe),
    },
    Route {
        method: Verb::Get,
        path: "/webhooks/{subscription}/deliveries",
        operation: "webhook_deliveries",
        tag: "webhooks",
        summary: "A subscription's delivery log, newest first",
        access: WEBHOOK_READER,
        body: None,
        query: &[
            Param {
                name: "limit",
                description: "How many deliveries a page holds: 50 by default, at most 200.",
                schema: schema_of::<proto::values::PageSize>,
            },
            Param {
                name: "after",
                description: "The previous page's `next`.",
                schema: schema_of::<uuid::Uuid>,
            },
            MIN_SEQ_DELIVERIES,
        ],
        status: 200,
        answer: Answer::Json(
            "`{items: [...], next: <cursor> | null}`: each delivery's id, kind, created_at, \
             status (`pending`, `delivered`, `failed`), attempt_count, attempts (at, status, \
             error, duration_ms) and next_attempt_at",
        ),
        handler: |m| on(m, crate::webhooks::deliveries),
    },
    // ---- The public catalogue ----
    Route {
        method: Verb::Get,
        path: "/catalogue/editions",
        operation: "catalogue_editions",
        tag: "catalogue",
        summary: "The public editions (and an organiser's drafts)",
        access: Access::AnyoneOrKey,
        body: None,
        query: &[MIN_SEQ],
        status: 200,
        answer: Answer::Json(
            "`{items: [...]}`: each edition's id, name, territory, first_day, last_day, \
             time_zone, status and public",
        ),
        handler: |m| on(m, reads::editions),
    },
    Route {
        method: Verb::Get,
        path: "/catalogue/editions/{edition}",
        operation: "catalogue_edition",
        tag: "catalogue",
        summary: "One edition",
        access: Access::AnyoneOrKey,
        body: None,
        query: &[MIN_SEQ],
        status: 200,
        answer: Answer::Json("the edition, as in the list"),
        handler: |m| on(m, reads::edition),
    },
    Route {
        method: Verb::Get,
        path: "/catalogue/editions/{edition}/events",
        operation: "catalogue_events",
        tag: "catalogue",
        summary: "An edition's events, with or without sessions, visible as the edition is",
        access: Access::AnyoneOrKey,
        body: None,
        query: &[MIN_SEQ],
        status: 200,
        answer: Answer::Json(
            "`{items: [...]}`: each event's id, edition, kind, title, description, themes, \
             audiences, restricted_to, discovery_tools and partners, by title",
        ),
        handler: |m| on(m, reads::events),
    },
    Route {
        method: Verb::Get,
        path: "/catalogue/sessions",
        operation: "catalogue_sessions",
        tag: "catalogue",
        summary: "A page of sessions in time order, filtered",
        access: Access::AnyoneOrKey,
        body: None,
        query: SESSION_QUERY,
        status: 200,
        answer: Answer::Json(
            "`{items: [...], next: <cursor> | null}`: each session with its event, venue, \
             room, local and UTC times, venue status, cancellation, capacity, confirmed \
             seats, seats left and waiting list",
        ),
        handler: |m| on(m, reads::sessions),
    },
    Route {
        method: Verb::Get,
        path: "/catalogue/sessions/{session}",
        operation: "catalogue_session",
        tag: "catalogue",
        summary: "One session",
        access: Access::AnyoneOrKey,
        body: None,
        query: &[MIN_SEQ],
        status: 200,
        answer: Answer::Json("the session, as in the pages"),
        handler: |m| on(m, reads::session),
    },
    // ---- Partners', venues' and organisers' reads (readers.rs) ----
    Route {
        method: Verb::Get,
        path: "/registrations",
        operation: "list_registrations",
        tag: "reads",
        summary: "A page of registrations with their identity and history, oldest first",
        access: Access::Reader(
            "a partner key (its own), or an organiser key (its editions' registrations)",
        ),
        body: None,
        query: REGISTRATION_QUERY,
        status: 200,
        answer: Answer::Json(
            "`{items: [...], next: <cursor> | null}`: each registration with its partner, \
             participant, seats, profile, identity (`known` or `erased`), status, check-in, \
             no-show, history and session",
        ),
        handler: |m| on(m, readers::registrations),
    },
    Route {
        method: Verb::Get,
        path: "/registrations/{registration}",
        operation: "read_registration",
        tag: "reads",
        summary: "One registration; another partner's is 404 like a missing one",
        access: Access::Reader("the partner that made it, or an organiser of its edition"),
        body: None,
        query: &[MIN_SEQ_PARTNERS],
        status: 200,
        answer: Answer::Json("the registration, as in the list"),
        handler: |m| on(m, readers::registration),
    },
    Route {
        method: Verb::Get,
        path: "/participants/{participant}",
        operation: "read_participant",
        tag: "reads",
        summary: "A participant: identity and every registration with its history",
        access: Access::Reader(
            "the partner that registered them, or an organiser of an edition they are registered in",
        ),
        body: None,
        query: &[MIN_SEQ_PARTNERS],
        status: 200,
        answer: Answer::Json(
            "`{participant, partner, identity, registrations: [...], erasure}`: `erasure` is `null`, or when, by whom (`partner` with its id, `organiser`, `system`) and why (`request`, `retention`) the identity was erased",
        ),
        handler: |m| on(m, readers::participant),
    },
    Route {
        method: Verb::Get,
        path: "/participants/{participant}/agenda.ics",
        operation: "participant_agenda",
        tag: "reads",
        summary: "A participant's agenda as an iCalendar feed (RFC 5545)",
        access: Access::Reader(
            "the partner that registered them, or an organiser of an edition they are registered in",
        ),
        body: None,
        query: &[MIN_SEQ_PARTNERS],
        status: 200,
        answer: Answer::Text {
            media: readers::CALENDAR,
            what: "a VCALENDAR: one VEVENT per registration (stable UID, times with the \
                   edition's TZID and its VTIMEZONE), cancelled ones CANCELLED",
        },
        handler: |m| on(m, readers::agenda),
    },
    Route {
        method: Verb::Post,
        path: "/participants/{participant}/erase",
        operation: "erase_participant",
        tag: "reads",
        summary: "Erases a participant's personal data: the erasure is recorded (who, when, \
                  why; no personal data) in their record, then their key is purged and their \
                  identity never opens again",
        access: Access::Key(
            "the partner that registered them, or an organiser of an edition they are registered in (any, for `*`)",
        ),
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("participant", Field::Id),
            ("erased", Field::Flag),
            ("stream", Field::Is(REGISTRATION)),
            ("seq", Field::Seq),
        ]),
        handler: |m| on(m, readers::erase),
    },
    Route {
        method: Verb::Get,
        path: "/venues/{venue}/hosting",
        operation: "venue_hosting",
        tag: "reads",
        summary: "A venue's hosting requests, by start: awaiting its answer, confirmed…",
        access: Access::Reader("that venue's key, or an organiser key of every edition"),
        body: None,
        query: &[
            Param {
                name: "status",
                description: "Only requests standing so: `requested` (awaiting the venue's \
                              answer), `confirmed`, `declined`, `refused`, `withdrawn`, \
                              `released`.",
                schema: schema_of::<views::HostingStatus>,
            },
            MIN_SEQ_VENUES,
        ],
        status: 200,
        answer: Answer::Json(
            "`{items: [...]}`: each request's session, event, number, status, room, times, \
             title, capacity wanted and confirmed, reason",
        ),
        handler: |m| on(m, readers::hosting),
    },
    Route {
        method: Verb::Get,
        path: "/venues/{venue}/sessions/{session}/attendance",
        operation: "attendance",
        tag: "reads",
        summary: "The attendance list of a session the venue hosts",
        access: Access::Reader(
            "the key of the venue hosting it, or an organiser key of its edition",
        ),
        body: None,
        query: &[MIN_SEQ_VENUES],
        status: 200,
        answer: Answer::Json(
            "`{session, confirmed_seats, present, items: [...]}`: each confirmed registration's \
             first name and initial (`null` once erased), seats, partner, check-in and no-show",
        ),
        handler: |m| on(m, readers::attendance),
    },
    Route {
        method: Verb::Get,
        path: "/venues/{venue}/sessions/{session}/attendance.csv",
        operation: "attendance_csv",
        tag: "reads",
        summary: "The attendance list as CSV",
        access: Access::Reader(
            "the key of the venue hosting it, or an organiser key of its edition",
        ),
        body: None,
        query: &[MIN_SEQ_VENUES],
        status: 200,
        answer: Answer::Text {
            media: readers::CSV,
            what: "RFC 4180 CSV with a header: registration, name, seats, group, partner, \
                   partner_name, checked_in, present, no_show",
        },
        handler: |m| on(m, readers::attendance_csv),
    },
    Route {
        method: Verb::Get,
        path: "/editions/{edition}/statistics",
        operation: "edition_statistics",
        tag: "reads",
        summary: "An edition's figures: people reached, fill rates, no-shows, registrations per day",
        access: Access::Reader("an organiser key of the edition"),
        body: None,
        query: &[MIN_SEQ_STATISTICS],
        status: 200,
        answer: Answer::Json(
            "`{edition, name, time_zone, totals, by_audience, by_theme, by_town, by_home_town, \
             by_kind, by_partner, sessions: [...], registrations_per_day: [...]}`",
        ),
        handler: |m| on(m, readers::statistics),
    },
    // ---- Job-dating (jobdating.rs) ----
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/setup",
        operation: "configure_jobdating",
        tag: "jobdating",
        summary: "Sets a job-dating session's floor up: its times, slot length, breaks, gap, \
                  most interviews per candidate and wishes' deadline; its slots are cut",
        access: JD_ORGANISER,
        body: Some(body::<proto::jobdating::Setup>(
            variant("commands/jobdating", "configure"),
            r#"{"starts_at": "2027-04-15T07:00:00Z", "ends_at": "2027-04-15T10:00:00Z", "slot_minutes": 10, "gap_minutes": 5, "max_interviews": 4, "breaks": [], "wishes_until": "2027-04-14T16:00:00Z"}"#,
        )),
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            ("stream", Field::Is(crate::jobdating::JOBDATING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::jobdating::configure),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/employers",
        operation: "join_employer",
        tag: "jobdating",
        summary: "Adds an employer to a job-dating, with the jobs it recruits for",
        access: JD_ORGANISER,
        body: Some(body::<proto::jobdating::EmployerJoined>(
            variant("commands/jobdating", "join_employer"),
            r#"{"employer": "{employer}", "name": "ADMR de l'Embrunais", "kind": "home_help_service", "town": {"name": "Embrun", "insee_code": "05046"}, "jobs": [{"job": "home_carer", "contract": "permanent", "openings": 2}]}"#,
        )),
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            ("employer", Field::Id),
            ("stream", Field::Is(crate::jobdating::JOBDATING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::jobdating::join_employer),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/tables",
        operation: "seat_recruiter",
        tag: "jobdating",
        summary: "Seats one of an employer's recruiters at a table",
        access: JD_ORGANISER,
        body: Some(body::<proto::jobdating::RecruiterSeated>(
            variant("commands/jobdating", "seat_recruiter"),
            r#"{"employer": "{employer}", "recruiter": "drh", "table": 1}"#,
        )),
        query: &[],
        status: 200,
        answer: JD_TABLE_ANSWER,
        handler: |m| on(m, crate::jobdating::seat_recruiter),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/tables/{table}/block",
        operation: "block_slots",
        tag: "jobdating",
        summary: "Blocks slots of a table: nobody is booked in them",
        access: JD_STAFF,
        body: Some(body::<crate::jobdating::BlockBody>(
            part("commands/jobdating", "block_slots"),
            r#"{"slots": [3, 4], "reason": "Pause du recruteur."}"#,
        )),
        query: &[],
        status: 200,
        answer: JD_TABLE_ANSWER,
        handler: |m| on(m, crate::jobdating::block_slots),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/tables/{table}/unblock",
        operation: "unblock_slots",
        tag: "jobdating",
        summary: "Opens blocked slots of a table again",
        access: JD_STAFF,
        body: Some(body::<crate::jobdating::UnblockBody>(
            part("commands/jobdating", "unblock_slots"),
            r#"{"slots": [3, 4]}"#,
        )),
        query: &[],
        status: 200,
        answer: JD_TABLE_ANSWER,
        handler: |m| on(m, crate::jobdating::unblock_slots),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/bookings",
        operation: "book_slot",
        tag: "jobdating",
        summary: "Books a slot of a table for one of the partner's candidates, registered \
                  (confirmed) in the session",
        access: Access::Key("a partner key (its own candidates)"),
        body: Some(body::<crate::jobdating::BookBody>(
            Contract::Gateway,
            r#"{"participant": "{participant}", "table": 1, "slot": 2}"#,
        )),
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            ("participant", Field::Id),
            ("table", Field::Number("The table.")),
            ("slot", Field::Number("The slot.")),
            ("stream", Field::Is(crate::jobdating::JOBDATING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::jobdating::book),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/tables/{table}/slots/{slot}/cancel",
        operation: "cancel_booking",
        tag: "jobdating",
        summary: "Cancels one of the partner's candidates' interviews, before its slot starts",
        access: Access::Key("the key of the candidate's partner"),
        body: None,
        query: &[],
        status: 200,
        answer: JD_SLOT_ANSWER,
        handler: |m| on(m, crate::jobdating::cancel_booking),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/candidates/{participant}/wishes",
        operation: "submit_wishes",
        tag: "jobdating",
        summary: "Sends (or replaces) a candidate's ranked wishes, before the deadline",
        access: Access::Key("a partner key (its own candidates)"),
        body: Some(body::<crate::jobdating::WishesBody>(
            Contract::Gateway,
            r#"{"wishes": [{"kind": "employer", "employer": "{employer}"}, {"kind": "job", "job": "care_assistant"}]}"#,
        )),
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            ("participant", Field::Id),
            ("stream", Field::Is(crate::jobdating::JOBDATING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::jobdating::submit_wishes),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/plan",
        operation: "run_planner",
        tag: "jobdating",
        summary: "Runs the planner: a new draft of every timetable from the wishes, around the \
                  interviews already announced or booked",
        access: JD_ORGANISER,
        body: Some(body::<crate::jobdating::Seed>(
            variant("commands/jobdating", "run_planner"),
            r#"{"seed": 42}"#,
        )),
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            (
                "draft",
                Field::Object(
                    "`{run, candidates, interviews, first_wishes_honoured, wishes_honoured}`",
                ),
            ),
            ("stream", Field::Is(crate::jobdating::JOBDATING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::jobdating::run_planner),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/plan/{run}/announce",
        operation: "announce_plan",
        tag: "jobdating",
        summary: "Announces a draft: its interviews are fixed, and a later run never moves them",
        access: JD_ORGANISER,
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Fields(&[
            ("session", Field::Id),
            ("run", Field::Number("The run announced.")),
            ("stream", Field::Is(crate::jobdating::JOBDATING)),
            ("seq", Field::Seq),
            ("duplicate", Field::Flag),
        ]),
        handler: |m| on(m, crate::jobdating::announce_plan),
    },
    Route {
        method: Verb::Post,
        path: "/jobdating/{session}/tables/{table}/slots/{slot}/outcome",
        operation: "record_outcome",
        tag: "jobdating",
        summary: "Records what came of an interview, for the table's employer",
        access: JD_STAFF,
        body: Some(body::<crate::jobdating::OutcomeBody>(
            Contract::Gateway,
            r#"{"outcome": {"outcome": "met"}}"#,
        )),
        query: &[],
        status: 200,
        answer: JD_SLOT_ANSWER,
        handler: |m| on(m, crate::jobdating::record_outcome),
    },
    Route {
        method: Verb::Get,
        path: "/jobdating/{session}/tables/{table}/timetable",
        operation: "table_timetable",
        tag: "jobdating",
        summary: "A table's timetable: every slot, free, blocked, booked or drafted",
        access: JD_STAFF_READER,
        body: None,
        query: &[MIN_SEQ_JOBDATING],
        status: 200,
        answer: Answer::Json(
            "`{session, table, recruiter, employer, draft, slots: [{slot, starts_at, ends_at, \
             status, participant, partner, by, wish, outcome}]}`",
        ),
        handler: |m| on(m, crate::jobdating::timetable),
    },
    Route {
        method: Verb::Get,
        path: "/jobdating/{session}/candidates/{participant}/timetable.ics",
        operation: "candidate_timetable",
        tag: "jobdating",
        summary: "A candidate's interviews as an iCalendar feed (RFC 5545)",
        access: Access::Reader(
            "the candidate's partner, or an organiser key of the session's edition",
        ),
        body: None,
        query: &[MIN_SEQ_JOBDATING],
        status: 200,
        answer: Answer::Text {
            media: readers::CALENDAR,
            what: "a VCALENDAR: one VEVENT per interview booked or announced (stable UID, \
                   times with the edition's TZID and its VTIMEZONE)",
        },
        handler: |m| on(m, crate::jobdating::candidate_calendar),
    },
    Route {
        method: Verb::Get,
        path: "/jobdating/{session}/figures",
        operation: "jobdating_figures",
        tag: "jobdating",
        summary: "A job-dating's figures: interviews held, outcomes by job, hires by job and \
                  contract, by employer",
        access: JD_STAFF_READER,
        body: None,
        query: &[MIN_SEQ_JOBDATING],
        status: 200,
        answer: Answer::Json(
            "`{session, employers, tables, slots_offered, candidates_with_wishes, \
             candidates_met, drafted, outcomes, by_job, hires, hires_by_contract, by_employer}`",
        ),
        handler: |m| on(m, crate::jobdating::figures),
    },
    // ---- Operations ----
    Route {
        method: Verb::Get,
        path: "/healthz",
        operation: "healthz",
        tag: "operations",
        summary: "Liveness: 200 while the process serves HTTP",
        access: Access::Anyone,
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Fields(&[("status", Field::OneOf(&["ok"]))]),
        handler: |m| on(m, healthz),
    },
    Route {
        method: Verb::Get,
        path: "/readyz",
        operation: "readyz",
        tag: "operations",
        summary: "Readiness: 200 while NATS is connected and every read model served here has \
                  caught up with the log, 503 `not-ready` otherwise",
        access: Access::Anyone,
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Fields(&[("status", Field::OneOf(&["ready"]))]),
        handler: |m| on(m, readyz),
    },
    Route {
        method: Verb::Get,
        path: "/openapi.json",
        operation: "openapi",
        tag: "operations",
        summary: "This OpenAPI 3.1 document",
        access: Access::Anyone,
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Json("the OpenAPI 3.1 document"),
        handler: |m| on(m, crate::openapi::serve),
    },
    Route {
        method: Verb::Get,
        path: "/metrics",
        operation: "metrics",
        tag: "operations",
        summary: "Metrics in the Prometheus text format",
        access: Access::Anyone,
        body: None,
        query: &[],
        status: 200,
        answer: Answer::Metrics,
        handler: |m| on(m, crate::metrics::serve),
    },
];

/// The whole HTTP application, routed from [`ROUTES`].
pub fn app(state: AppState) -> Router {
    let mut probes = Router::new();
    let mut public = Router::new();
    let mut commands = Router::new();
    for route in ROUTES {
        let handler = (route.handler)(route.method.filter());
        match route.access {
            Access::Key(_) | Access::Reader(_) => commands = commands.route(route.path, handler),
            Access::AnyoneOrKey => public = public.route(route.path, handler),
            Access::Anyone => probes = probes.route(route.path, handler),
        }
    }
    // The last layer added runs first: authenticate, then idempotency, then the handler.
    let commands = commands
        .route_layer(middleware::from_fn_with_state(state.clone(), idempotent))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .route_layer(middleware::from_fn(no_store));
    // The public reads (the catalogue) are limited per client address; the probes, the metrics
    // and the document are not (a load balancer and a scraper poll them from one address).
    let public = public
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            limit_by_address,
        ))
        .route_layer(middleware::from_fn(no_store_when_keyed));
    probes
        .merge(public)
        .merge(commands)
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        // Runs after routing (it reads the matched route), around everything else.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::record,
        ))
        .layer(DefaultBodyLimit::max(crate::BODY_LIMIT))
        .with_state(state)
}

/// The public reads take a token from their client address's bucket, or answer
/// `429` `rate-limited` with `Retry-After`. A request made within the process (no address) is
/// not counted: the console's are its signed-in users', limited as theirs.
async fn limit_by_address(
    State(state): State<AppState>,
    crate::limits::ClientAddress(address): crate::limits::ClientAddress,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    if address.is_some()
        && let Err(wait) = state
            .public_limiter
            .check(&crate::limits::address_bucket(address))
    {
        return ApiError::rate_limited(wait).into_response();
    }
    next.run(request).await
}

/// A keyed answer is the key's own (a partner's registrations, identities opened): no cache,
/// shared or private, keeps it.
async fn no_store(request: axum::extract::Request, next: middleware::Next) -> Response {
    kept_by_no_cache(next.run(request).await)
}

/// A public read sent with a key may show what is the key's own (an organiser's drafts): no
/// cache keeps that answer either.
async fn no_store_when_keyed(request: axum::extract::Request, next: middleware::Next) -> Response {
    let keyed = request
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION);
    let response = next.run(request).await;
    if keyed {
        kept_by_no_cache(response)
    } else {
        response
    }
}

/// `response`, marked `Cache-Control: no-store`.
fn kept_by_no_cache(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

/// The answer of a command that made something.
fn created(fields: serde_json::Value) -> Response {
    (StatusCode::CREATED, Json(fields)).into_response()
}

/// The answer of a command on something that exists.
fn done(fields: serde_json::Value) -> Response {
    (StatusCode::OK, Json(fields)).into_response()
}

async fn healthz() -> Response {
    done(json!({ "status": "ok" }))
}

/// Ready when NATS is connected and every read model this instance serves has caught up with
/// the log as it was when its runner started: a store being replayed (new, replaced after damage,
/// rebuilt) would answer stale or partial reads, so a load balancer should not send any yet.
async fn readyz(State(state): State<AppState>) -> Response {
    let not_ready = |detail: String| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", detail)
            .retry_after(1)
            .into_response()
    };
    match state.nats.connection_state() {
        Connection::Connected => {}
        other => return not_ready(format!("NATS is {other}")),
    }
    let behind: Vec<&str> = state
        .projections
        .iter()
        .filter(|(_, progress)| !progress.borrow().caught_up)
        .map(|(name, _)| *name)
        .collect();
    if behind.is_empty() {
        done(json!({ "status": "ready" }))
    } else {
        not_ready(format!("catching up with the log: {}", behind.join(", ")))
    }
}

// ---- Organisers: editions ----

async fn create_edition(
    State(state): State<AppState>,
    caller: Caller,
    Body(create): Body<edition::Create>,
) -> Result<Response, ApiError> {
    caller.organiser_of_all()?;
    let id = EditionId(caller.derived_id("edition"));
    let command = edition::Command::Create(create);
    let decided = state
        .services
        .scheduling
        .edition(id, &command, &caller.meta())
        .await?;
    Ok(created(
        json!({ "edition": id, "stream": SCHEDULING, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

async fn edition_command(
    state: &AppState,
    caller: &Caller,
    id: EditionId,
    command: edition::Command,
) -> Result<Response, ApiError> {
    caller.organiser_of(id)?;
    let decided = state
        .services
        .scheduling
        .edition(id, &command, &caller.meta())
        .await?;
    Ok(done(
        json!({ "edition": id, "stream": SCHEDULING, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

async fn publish_edition(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
) -> Result<Response, ApiError> {
    edition_command(&state, &caller, id, edition::Command::Publish).await
}

async fn close_edition(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
) -> Result<Response, ApiError> {
    edition_command(&state, &caller, id, edition::Command::Close).await
}

async fn amend_dates(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
    Body(dates): Body<edition::AmendDates>,
) -> Result<Response, ApiError> {
    edition_command(&state, &caller, id, edition::Command::AmendDates(dates)).await
}

// ---- Organisers: events and sessions ----

async fn add_event(
    State(state): State<AppState>,
    caller: Caller,
    Body(add): Body<event::Add>,
) -> Result<Response, ApiError> {
    caller.organiser_of(add.edition)?;
    let id = EventId(caller.derived_id("event"));
    let decided = state
        .services
        .scheduling
        .event(id, event::Command::Add(add), &caller.meta())
        .await?;
    Ok(created(
        json!({ "event": id, "stream": SCHEDULING, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

/// Passes when the caller is an organiser of the event's edition. A key of every edition does
/// not need the lookup (the service answers an unknown event itself).
async fn organiser_of_event(
    state: &AppState,
    caller: &Caller,
    id: EventId,
) -> Result<(), ApiError> {
    if caller.organiser()? == Editions::All {
        return Ok(());
    }
    // Another edition's event is answered as one that does not exist: the key learns nothing
    // of it.
    let edition = state
        .services
        .scheduling
        .event_state(id)
        .await?
        .added
        .map(|added| added.edition)
        .filter(|edition| caller.organiser_of(*edition).is_ok());
    match edition {
        Some(_) => Ok(()),
        None => Err(SchedulingError::UnknownEvent(id).into()),
    }
}

async fn event_command(
    state: &AppState,
    caller: &Caller,
    id: EventId,
    command: event::Command,
) -> Result<(u64, bool), ApiError> {
    organiser_of_event(state, caller, id).await?;
    let decided = state
        .services
        .scheduling
        .event(id, command, &caller.meta())
        .await?;
    Ok((decided.seq, decided.duplicate))
}

async fn schedule_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EventId>,
    Body(schedule): Body<event::ScheduleSession>,
) -> Result<Response, ApiError> {
    let session = schedule.session;
    let command = event::Command::ScheduleSession(schedule);
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(created(
        json!({ "event": id, "session": session, "stream": SCHEDULING, "seq": seq, "duplicate": duplicate }),
    ))
}

/// A session's new times.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewTimes {
    /// New start, local time in the edition's zone.
    #[schemars(schema_with = "proto::values::strict::date_time_schema")]
    #[serde(deserialize_with = "proto::values::strict::date_time")]
    starts: DateTime,
    /// New end, local time.
    #[schemars(schema_with = "proto::values::strict::date_time_schema")]
    #[serde(deserialize_with = "proto::values::strict::date_time")]
    ends: DateTime,
}

async fn amend_event(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EventId>,
    Body(about): Body<event::About>,
) -> Result<Response, ApiError> {
    let (seq, duplicate) = event_command(&state, &caller, id, event::Command::Amend(about)).await?;
    Ok(done(
        json!({ "event": id, "stream": SCHEDULING, "seq": seq, "duplicate": duplicate }),
    ))
}

async fn reschedule_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(times): Body<NewTimes>,
) -> Result<Response, ApiError> {
    let command = event::Command::RescheduleSession(event::RescheduleSession {
        session,
        starts: times.starts,
        ends: times.ends,
    });
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(done(
        json!({ "session": session, "stream": SCHEDULING, "seq": seq, "duplicate": duplicate }),
    ))
}

/// A session's new venue.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewVenue {
    /// The venue asked now.
    venue: VenueId,
    /// The room asked now.
    room: RoomId,
}

async fn change_session_venue(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(new): Body<NewVenue>,
) -> Result<Response, ApiError> {
    let command = event::Command::ChangeSessionVenue(event::ChangeSessionVenue {
        session,
        venue: new.venue,
        room: new.room,
    });
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(done(
        json!({ "session": session, "stream": SCHEDULING, "seq": seq, "duplicate": duplicate }),
    ))
}

/// A reason, for a cancellation, a retirement, a decline or a withdrawal.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Because {
    /// Why.
    reason: Reason,
}

async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(because): Body<Because>,
) -> Result<Response, ApiError> {
    let command = event::Command::CancelSession(event::CancelSession {
        session,
        reason: because.reason,
    });
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(done(
        json!({ "session": session, "stream": SCHEDULING, "seq": seq, "duplicate": duplicate }),
    ))
}

// ---- Organisers: partners and reserved seats ----

async fn declare_partner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PartnerId>,
    Body(declared): Body<partner::Declared>,
) -> Result<Response, ApiError> {
    caller.organiser()?;
    let command = partner::Command::Declare(declared);
    let seq = state
        .services
        .registrations
        .partner(&id, &command, &caller.meta())
        .await?;
    Ok(done(
        json!({ "partner": id, "stream": REGISTRATION, "seq": seq }),
    ))
}

async fn retire_partner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PartnerId>,
    Body(because): Body<Because>,
) -> Result<Response, ApiError> {
    caller.organiser_of_all()?;
    let command = partner::Command::Retire {
        reason: because.reason,
    };
    let seq = state
        .services
        .registrations
        .partner(&id, &command, &caller.meta())
        .await?;
    Ok(done(
        json!({ "partner": id, "stream": REGISTRATION, "seq": seq }),
    ))
}

/// Passes when the caller is an organiser of the session's edition: the edition of the event
/// that claimed the session's id. Another edition's session is `404 unknown-session`, as an id
/// no event claimed is: the same answer, so that the key learns nothing of it.
pub(crate) async fn organiser_of_session(
    state: &AppState,
    caller: &Caller,
    session: SessionId,
) -> Result<(), ApiError> {
    if caller.organiser()? == Editions::All {
        return Ok(());
    }
    // The session's id names one session of one edition: its claim's (ADR 0008). A session of
    // another edition is answered as one that does not exist: the key learns nothing of it.
    let owner = state.services.scheduling.session_owner(session).await?;
    if owner.is_some_and(|owner| caller.organiser_of(owner.edition).is_ok()) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-session",
            "there is no session with this id in the editions this key organises",
        ))
    }
}

/// Seats kept for a partner or an audience until a deadline.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReserveSeats {
    /// For whom.
    beneficiary: Beneficiary,
    /// How many seats.
    #[schemars(range(min = 1))]
    seats: u32,
    /// Until when (an instant, RFC 3339).
    #[schemars(schema_with = "proto::values::strict::timestamp_schema")]
    #[serde(deserialize_with = "proto::values::strict::timestamp")]
    until: Timestamp,
}

async fn reserve_seats(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(reserve): Body<ReserveSeats>,
) -> Result<Response, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let reservation = Reservation {
        beneficiary: reserve.beneficiary,
        seats: reserve.seats,
        until: reserve.until,
    };
    let seq = state
        .services
        .registrations
        .reserve(session, reservation, &caller.meta())
        .await?;
    Ok(done(
        json!({ "session": session, "stream": REGISTRATION, "seq": seq }),
    ))
}

// ---- Venues ----

async fn register_venue(
    State(state): State<AppState>,
    caller: Caller,
    Body(register): Body<venues::Register>,
) -> Result<Response, ApiError> {
    let id = match &caller.principal.role {
        Role::Venue(own) => *own,
        Role::Organiser(_) => VenueId(caller.derived_id("venue")),
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "a venue is registered by an organiser or by its own venue key",
            ));
        }
    };
    let command = venues::Command::Register(Box::new(register));
    let decided = state
        .services
        .venues
        .venue(id, &command, &caller.meta())
        .await?;
    Ok(created(
        json!({ "venue": id, "stream": VENUES, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

async fn venue_command(
    state: &AppState,
    caller: &Caller,
    venue: VenueId,
    session: Option<SessionId>,
    command: venues::Command,
) -> Result<Response, ApiError> {
    caller.venue_of(venue)?;
    let decided = state
        .services
        .venues
        .venue(venue, &command, &caller.meta())
        .await?;
    let mut answer = json!({
        "venue": venue,
        "stream": VENUES,
        "seq": decided.seq,
        "duplicate": decided.duplicate,
    });
    if let Some(session) = session {
        answer["session"] = json!(session);
    }
    Ok(done(answer))
}

/// A venue's new opening hours.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewOpeningHours {
    /// The spans, replacing the current ones.
    opening_hours: Vec<venues::OpeningHours>,
}

async fn set_opening_hours(
    State(state): State<AppState>,
    caller: Caller,
    Ids(venue): Ids<VenueId>,
    Body(hours): Body<NewOpeningHours>,
) -> Result<Response, ApiError> {
    let command = venues::Command::SetOpeningHours {
        opening_hours: hours.opening_hours,
    };
    venue_command(&state, &caller, venue, None, command).await
}

async fn add_closed_period(
    State(state): State<AppState>,
    caller: Caller,
    Ids(venue): Ids<VenueId>,
    Body(period): Body<venues::ClosedPeriod>,
) -> Result<Response, ApiError> {
    let command = venues::Command::AddClosedPeriod(period);
    venue_command(&state, &caller, venue, None, command).await
}

/// A capacity, answering a hosting request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CapacityAnswer {
    /// The request answered, as the venue saw it.
    request: u32,
    /// Seats, at least one.
    #[schemars(range(min = 1))]
    capacity: u32,
}

/// A refusal, answering a hosting request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReasonAnswer {
    /// The request answered.
    request: u32,
    /// Why.
    reason: Reason,
}

async fn confirm_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<CapacityAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::ConfirmCapacity {
        session,
        request: answer.request,
        capacity: answer.capacity,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

async fn change_capacity(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<CapacityAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::ChangeCapacity {
        session,
        request: answer.request,
        capacity: answer.capacity,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

async fn decline_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<ReasonAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::Decline {
        session,
        request: answer.request,
        reason: answer.reason,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

async fn withdraw_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<ReasonAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::Withdraw {
        session,
        request: answer.request,
        reason: answer.reason,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

/// How many people of a registration came.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Present {
    /// People present, 1 to the registration's seats.
    #[schemars(range(min = 1))]
    present: u32,
}

async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
    Body(present): Body<Present>,
) -> Result<Response, ApiError> {
    match &caller.principal.role {
        Role::Venue(venue) => {
            let hosts = state
                .services
                .venues
                .venue_state(*venue)
                .await?
                .hosting(session)
                .is_some_and(|hosting| hosting.is_confirmed());
            if !hosts {
                return Err(ApiError::forbidden(
                    "a venue checks people in at the sessions it hosts only",
                ));
            }
        }
        Role::Organiser(_) => organiser_of_session(&state, &caller, session).await?,
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "check-in is recorded at the door by the venue or an organiser",
            ));
        }
    }
    let seq = state
        .services
        .registrations
        .check_in(session, registration, present.present, &caller.meta())
        .await?;
    Ok(done(json!({
        "session": session,
        "registration": registration,
        "stream": REGISTRATION,
        "seq": seq,
    })))
}

// ---- Partners ----

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<RegisterRequest>,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?;
    let registered = state
        .services
        .registrations
        .register(&partner, request, &caller.log_key())
        .await?;
    Ok(created(json!({
        "registration": registered.registration,
        "participant": registered.participant,
        "status": if registered.confirmed { "confirmed" } else { "waiting" },
        "stream": REGISTRATION,
        "seq": registered.seq,
        "duplicate": registered.duplicate,
    })))
}

async fn cancel_registration(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?;
    let seq = state
        .services
        .registrations
        .cancel(&partner, session, registration, &caller.log_key())
        .await?;
    Ok(done(json!({
        "session": session,
        "registration": registration,
        "stream": REGISTRATION,
        "seq": seq,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use projection::Projection;

    #[test]
    fn min_seq_waits_on_the_catalogue_projection() {
        assert_eq!(catalogue::Catalogue.name(), CATALOGUE);
    }

    #[test]
    fn the_answers_name_the_services_streams() {
        assert_eq!(
            [SCHEDULING, VENUES, REGISTRATION],
            ["SCHEDULING", "VENUES", "REGISTRATION"]
        );
    }
}
