//! The OpenAPI 3.1 document of the gateway, generated from the route table
//! ([`crate::routes::ROUTES`]) and the bodies' Rust types (their JSON Schemas, by schemars), and
//! served at `GET /openapi.json`.
//!
//! Its committed copy is `proto/openapi.json`; the gateway's `openapi` test fails when the code
//! generates something else, and rewrites it when run with `UPDATE_OPENAPI=1`.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::routes::{Access, Answer, Area, Contract, Param, ROUTES, Route};

/// Where the request bodies' schemas are, in the document.
const SCHEMAS: &str = "/components/schemas";

/// The component name of the problem document.
pub const PROBLEM: &str = "Problem";

/// Gives an unsigned integer the largest value its type holds (`format: uint32` and the like),
/// when its schema says no smaller one: a larger number is refused by the server.
fn unsigned_maximum(schema: &mut schemars::Schema) {
    let largest = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => u64::from(u8::MAX),
        Some("uint16") => u64::from(u16::MAX),
        Some("uint32") => u64::from(u32::MAX),
        Some("uint64" | "uint") => u64::MAX,
        _ => 0,
    };
    if largest > 0 && schema.get("maximum").is_none() {
        schema.insert("maximum".into(), json!(largest));
    }
    schemars::transform::transform_subschemas(&mut unsigned_maximum, schema);
}

/// The document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = SCHEMAS.into();
            settings.meta_schema = None;
        })
        .with_transform(unsigned_maximum)
        .into_generator();
    let mut paths = Map::new();
    for route in ROUTES.iter() {
        let operation = operation(route, &mut generator);
        let path = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(path) = path {
            path.insert(route.method.as_str().to_ascii_lowercase(), operation);
        }
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(PROBLEM.to_owned(), problem_schema());
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "semaine",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "The HTTP API of semaine: organisers, venues and partners run a week of \
                        discovery of the social and medico-social trades.",
            "description": "Every command is a POST with an API key (`Authorization: Bearer \
                            <secret>`) and an `Idempotency-Key`; it answers the `stream` and \
                            `seq` of the commit that recorded it, which a catalogue read may \
                            wait for with `min_seq`. Every error is a problem document \
                            (RFC 9457) with a stable `code`. See docs/api.md.",
            "license": { "name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later" },
        },
        "tags": Area::ALL
            .iter()
            .map(|area| json!({ "name": area.tag, "description": area.description }))
            .collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                PROBLEM: {
                    "description": "A problem document: `code` says which. A 401 adds \
                                    `WWW-Authenticate`, a 405 `Allow`; a 429 and a 503 say in \
                                    `Retry-After` how many seconds to wait.",
                    "headers": {
                        "Retry-After": {
                            "description": "With a 429 or a 503: seconds to wait before retrying.",
                            "schema": { "type": "integer", "minimum": 1 },
                        },
                    },
                    "content": {
                        crate::problem::PROBLEM_JSON: {
                            "schema": { "$ref": format!("#{SCHEMAS}/{PROBLEM}") },
                        },
                    },
                },
            },
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": true,
                    "description": "New for each request, the same for each retry of it: 1 to \
                                    200 visible ASCII characters. Never personal data.",
                    "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$(?!\\n)" },
                },
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: `semaine_` and 43 base64url characters, made by \
                                    `semaine keys create --role <role> --scope <scope>`.",
                },
            },
        },
    })
}

/// The problem document's schema.
fn problem_schema() -> Value {
    json!({
        "description": "An error, as RFC 9457 problem details.",
        "type": "object",
        "properties": {
            "type": {
                "description": "`urn:semaine:problem:<code>`.",
                "type": "string",
            },
            "title": { "description": "The status's reason phrase.", "type": "string" },
            "status": { "description": "The HTTP status.", "type": "integer" },
            "detail": {
                "description": "An explanation for a person; its wording may change.",
                "type": "string",
            },
            "code": {
                "description": "The stable code a client matches on (docs/api.md lists them).",
                "type": "string",
            },
        },
        "required": ["type", "title", "status", "detail", "code"],
    })
}

/// One operation.
fn operation(route: &Route, generator: &mut schemars::SchemaGenerator) -> Value {
    let mut operation = Map::new();
    operation.insert("operationId".into(), json!(route.operation));
    operation.insert("tags".into(), json!([route.tag]));
    operation.insert("summary".into(), json!(route.summary));
    operation.insert("description".into(), json!(description(route)));
    let parameters = parameters(route, generator);
    if !parameters.is_empty() {
        operation.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = route.body {
        let schema = (body.schema)(generator);
        operation.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": { "application/json": {
                    "schema": schema,
                    "example": body.example_with(crate::routes::sample_id),
                } },
            }),
        );
    }
    let reason = StatusCode::from_u16(route.status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Success");
    let content = match route.answer {
        Answer::Typed(schema) => {
            json!({ "application/json": { "schema": schema(generator) } })
        }
        Answer::Json(what) => json!({
            "application/json": { "schema": { "type": "object", "description": what } },
        }),
        Answer::Metrics => {
            json!({ crate::metrics::TEXT_FORMAT: { "schema": { "type": "string" } } })
        }
        Answer::Text { media, what } => {
            json!({ media: { "schema": { "type": "string", "description": what } } })
        }
    };
    operation.insert(
        "responses".into(),
        json!({
            route.status.to_string(): { "description": reason, "content": content },
            "default": { "$ref": format!("#/components/responses/{PROBLEM}") },
        }),
    );
    let security = match route.access {
        Access::Anyone => json!([]),
        Access::AnyoneOrKey => json!([{}, { "bearer": [] }]),
        Access::Key(_) | Access::Reader(_) => json!([{ "bearer": [] }]),
    };
    operation.insert("security".into(), security);
    Value::Object(operation)
}

/// Who may call it, and where its body comes from.
fn description(route: &Route) -> String {
    let who = match route.access {
        Access::Anyone => "Anyone, without a key.".to_owned(),
        Access::AnyoneOrKey => "Anyone, without a key. A key, when sent, must be valid; an \
                                organiser's also shows the drafts of the editions it covers."
            .to_owned(),
        Access::Key(who) => format!("Needs {who}, and an `Idempotency-Key`."),
        Access::Reader(who) => format!(
            "Needs {who}; answers only what the key's scope covers (another partner's \
             registration or participant is 404, like a missing one)."
        ),
    };
    let body = route.body.map(|body| match body.contract {
        Contract::Variant { file, variant } => format!(
            " The body is the `{variant}` command of `proto/schemas/{file}.json`, without its \
             `command` field."
        ),
        Contract::Part { file, variant } => format!(
            " The body holds the fields of the `{variant}` command of \
             `proto/schemas/{file}.json` that the path does not give."
        ),
        Contract::Whole(file) => format!(" The body is `proto/schemas/{file}.json`."),
        Contract::Gateway => String::new(),
    });
    format!("**Who:** {who}{}", body.unwrap_or_default())
}

/// The path's parameters, then the idempotency key, then the query's.
fn parameters(route: &Route, generator: &mut schemars::SchemaGenerator) -> Vec<Value> {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let (schema, description) = match name {
                "partner" => (
                    json!({ "type": "string", "pattern": proto::values::SLUG_PATTERN }),
                    "The partner's id: 1 to 64 letters, digits, `-` or `_`.".to_owned(),
                ),
                // Numbers of a job-dating floor, as the gateway reads them (`TableNo`, `SlotNo`:
                // 1 to 999; a planner run: from 1).
                "table" | "slot" => (
                    json!({ "type": "integer", "minimum": 1, "maximum": 999 }),
                    format!("The {name}'s number, from 1."),
                ),
                "run" => (
                    json!({ "type": "integer", "minimum": 1, "maximum": u32::MAX }),
                    "The planner run's number, from 1.".to_owned(),
                ),
                _ => (
                    json!({ "type": "string", "format": "uuid" }),
                    format!("The {name}'s id."),
                ),
            };
            json!({
                "name": name,
                "in": "path",
                "required": true,
                "description": description,
                "schema": schema,
            })
        })
        .collect();
    if matches!(route.access, Access::Key(_)) {
        parameters.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
    }
    parameters.extend(
        route
            .query
            .iter()
            .map(|param| query_parameter(param, generator)),
    );
    parameters
}

fn query_parameter(param: &Param, generator: &mut schemars::SchemaGenerator) -> Value {
    let schema = (param.schema)(generator);
    let mut parameter = json!({
        "name": param.name,
        "in": "query",
        "required": false,
        "description": param.description,
        "schema": schema,
    });
    if param.name == crate::routes::MIN_SEQ.name {
        parameter["style"] = json!("form");
        parameter["explode"] = json!(true);
    }
    parameter
}

/// The document as served, made once.
static SERVED: LazyLock<Vec<u8>> =
    LazyLock::new(|| serde_json::to_vec(&document()).unwrap_or_default());

/// `GET /openapi.json`.
pub(crate) async fn serve() -> Response {
    let mut response = SERVED.as_slice().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    fn operations(document: &Value) -> BTreeSet<(String, String)> {
        document["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flatten()
                    .map(move |(method, _)| (method.to_ascii_uppercase(), path.clone()))
            })
            .collect()
    }

    #[test]
    fn every_route_is_documented_once_and_nothing_else() {
        let document = document();
        let documented = operations(&document);
        let routed: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|route| (route.method.as_str().to_owned(), route.path.to_owned()))
            .collect();
        assert_eq!(routed.len(), ROUTES.len(), "a method and path appear twice");
        assert_eq!(documented, routed);
        let mut ids = HashSet::new();
        for route in ROUTES.iter() {
            assert!(ids.insert(route.operation), "{} twice", route.operation);
        }
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let mut refs = Vec::new();
        collect_refs(&document, &mut refs);
        assert!(!refs.is_empty());
        for reference in refs {
            let pointer = reference.trim_start_matches('#');
            assert!(document.pointer(pointer).is_some(), "{reference} resolves");
        }
    }

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    refs.push(reference.clone());
                }
                map.values().for_each(|v| collect_refs(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
            _ => {}
        }
    }

    /// The property names of a schema, following `$ref` and `allOf` within `root`.
    fn properties(schema: &Value, root: &Value) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        if let Some(reference) = schema["$ref"].as_str() {
            let target = root.pointer(reference.trim_start_matches('#'));
            names.extend(target.map(|t| properties(t, root)).unwrap_or_default());
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            names.extend(properties(part, root));
        }
        names
    }

    /// The bodies taken from a published command are that command's fields: the variant's
    /// without `command`, or a part of them (the path gives the others).
    #[test]
    fn bodies_match_the_published_commands() {
        let document = document();
        let published: Vec<(String, Value)> = proto::schema::all()
            .into_iter()
            .map(|(name, schema)| (name, schema.to_value()))
            .collect();
        let find = |file: &str| {
            published
                .iter()
                .find(|(name, _)| name == file)
                .map(|(_, schema)| schema)
        };
        let variant_fields = |file: &str, variant: &str| {
            let schema = find(file).unwrap_or_else(|| panic!("{file} is published"));
            let entry = schema["oneOf"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|entry| entry["properties"]["command"]["const"] == variant)
                .unwrap_or_else(|| panic!("{file} has a `{variant}` command"));
            let mut fields = properties(entry, schema);
            fields.remove("command");
            fields
        };
        let mut checked = 0;
        for route in ROUTES.iter() {
            let Some(body) = route.body else { continue };
            let reference = &document["paths"][route.path]
                [route.method.as_str().to_ascii_lowercase()]["requestBody"]["content"]["application/json"]
                ["schema"];
            let body_fields = properties(reference, &document);
            assert!(
                !body_fields.is_empty(),
                "{}: a body with fields",
                route.path
            );
            match body.contract {
                Contract::Variant { file, variant } => {
                    assert_eq!(body_fields, variant_fields(file, variant), "{}", route.path);
                }
                Contract::Part { file, variant } => {
                    let all = variant_fields(file, variant);
                    assert!(
                        body_fields.is_subset(&all),
                        "{}: {body_fields:?} ⊂ {all:?}",
                        route.path
                    );
                    let given: BTreeSet<String> = route
                        .path
                        .split('/')
                        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                        .map(str::to_owned)
                        .collect();
                    let missing: BTreeSet<_> = all.difference(&body_fields).cloned().collect();
                    assert!(
                        missing.is_subset(&given),
                        "{}: {missing:?} from the path",
                        route.path
                    );
                }
                Contract::Whole(file) => {
                    let schema = find(file).unwrap_or_else(|| panic!("{file} is published"));
                    assert_eq!(body_fields, properties(schema, schema), "{}", route.path);
                }
                Contract::Gateway => continue,
            }
            checked += 1;
        }
        assert!(checked >= 15, "{checked} bodies checked");
    }

    #[test]
    fn commands_need_a_key_and_an_idempotency_key_and_reads_take_min_seq() {
        let document = document();
        for route in ROUTES.iter() {
            let operation =
                &document["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let has = |name: &str| {
                parameters.iter().any(|p| {
                    p["name"] == name || p["$ref"].as_str().is_some_and(|r| r.ends_with(name))
                })
            };
            match route.access {
                Access::Key(_) => {
                    assert_eq!(operation["security"], json!([{ "bearer": [] }]));
                    assert!(has("IdempotencyKey"), "{}", route.path);
                    // An erasure purges a key and records nothing in the log: no stream to wait
                    // for. Every other command answers the stream it recorded in.
                    if route.operation != "erase_participant" {
                        let answer = &operation["responses"][route.status.to_string()]["content"]["application/json"]
                            ["schema"];
                        // The answer is a named schema: follow its reference.
                        let named = answer["$ref"]
                            .as_str()
                            .and_then(|r| r.strip_prefix("#/components/schemas/"))
                            .map_or(answer, |name| &document["components"]["schemas"][name]);
                        assert!(named["properties"]["stream"].is_object(), "{}", route.path);
                        assert!(
                            named["required"]
                                .as_array()
                                .is_some_and(|r| r.contains(&json!("stream"))),
                            "{}",
                            route.path
                        );
                    }
                }
                Access::Reader(_) => {
                    assert_eq!(operation["security"], json!([{ "bearer": [] }]));
                    assert!(!has("IdempotencyKey"), "{}", route.path);
                    assert!(has("min_seq"), "{}", route.path);
                }
                Access::AnyoneOrKey => assert!(has("min_seq"), "{}", route.path),
                Access::Anyone => assert_eq!(operation["security"], json!([])),
            }
        }
    }

    /// An answer writes every field (an empty one as `null`): its schema says each is
    /// required, so a client's generated types do not make them optional. The one exception is
    /// a registration's `identity`, absent from a list asked with `identity=false`.
    #[test]
    fn every_field_an_answer_writes_is_required() {
        let document = document();
        let schemas = &document["components"]["schemas"];
        let mut checked = 0;
        for route in ROUTES.iter() {
            let answer = &document["paths"][route.path][route.method.as_str().to_ascii_lowercase()]
                ["responses"][route.status.to_string()]["content"]["application/json"]["schema"];
            let Some(name) = answer["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            else {
                continue;
            };
            let schema = &schemas[name];
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for property in schema["properties"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys())
            {
                let optional = name == "ShownRegistration" && property == "identity";
                assert_eq!(
                    required.contains(&property.as_str()),
                    !optional,
                    "{name}.{property} ({} {})",
                    route.method.as_str(),
                    route.path
                );
            }
            checked += 1;
        }
        assert!(checked > 40, "{checked} answers checked");
    }
}
