//! The committed OpenAPI document, `proto/openapi.json`, is exactly what the code generates.

use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("proto")
        .join("openapi.json")
}

#[test]
fn the_committed_openapi_document_matches_the_code() -> Result<(), Box<dyn std::error::Error>> {
    let generated = serde_json::to_string_pretty(&gateway::openapi::document())? + "\n";
    let path = committed_path();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == generated {
        return Ok(());
    }
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated)?;
        return Ok(());
    }
    panic!(
        "proto/openapi.json differs from the routes; run `UPDATE_OPENAPI=1 cargo test -p gateway \
         --test openapi` and review the diff"
    );
}

/// Every object a request body may hold, at any depth, refuses fields it does not name
/// (`additionalProperties: false`), as the server does (`deny_unknown_fields`): a misspelt field
/// is refused with a `422` naming it, never dropped in silence.
#[test]
fn every_request_object_refuses_unknown_fields() {
    let document = gateway::openapi::document();
    let schemas = &document["components"]["schemas"];
    let mut open = Vec::new();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    assert!(!paths.is_empty(), "the document has paths");
    let mut bodies = 0;
    for (path, operations) in &paths {
        for (method, operation) in operations.as_object().into_iter().flatten() {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_null() {
                continue;
            }
            bodies += 1;
            let mut seen = Vec::new();
            walk(
                schema,
                schemas,
                &format!("{method} {path}"),
                &mut seen,
                &mut open,
            );
        }
    }
    assert!(bodies > 20, "request bodies walked: {bodies}");
    open.sort();
    open.dedup();
    assert!(
        open.is_empty(),
        "request objects that take unknown fields: {open:#?}"
    );
}

/// Walks `schema`, following `$ref`s once each, and names in `open` every object schema without
/// `additionalProperties: false`.
fn walk(
    schema: &serde_json::Value,
    schemas: &serde_json::Value,
    at: &str,
    seen: &mut Vec<String>,
    open: &mut Vec<String>,
) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if let Some(reference) = object.get("$ref").and_then(|r| r.as_str()) {
        let name = reference.rsplit('/').next().unwrap_or(reference).to_owned();
        if seen.contains(&name) {
            return;
        }
        seen.push(name.clone());
        walk(&schemas[&name], schemas, &name, seen, open);
        return;
    }
    let is_object = object.get("type").and_then(|t| t.as_str()) == Some("object")
        || object.contains_key("properties");
    if is_object && object.get("additionalProperties") != Some(&serde_json::Value::Bool(false)) {
        open.push(at.to_owned());
    }
    for (key, value) in object {
        match key.as_str() {
            "properties" => {
                for (name, property) in value.as_object().into_iter().flatten() {
                    walk(property, schemas, &format!("{at}.{name}"), seen, open);
                }
            }
            "items" | "additionalProperties" => {
                walk(value, schemas, &format!("{at}[]"), seen, open)
            }
            "oneOf" | "anyOf" | "allOf" => {
                for (i, variant) in value.as_array().into_iter().flatten().enumerate() {
                    walk(variant, schemas, &format!("{at}|{i}"), seen, open);
                }
            }
            _ => {}
        }
    }
}

/// Every route's example body reads as the route reads a body, once its ids are filled: the
/// document shows bodies the server accepts, and the isolation test sends them.
#[test]
fn every_example_body_reads_as_its_route_reads_a_body() {
    let mut unread = Vec::new();
    let mut examples = 0;
    for route in gateway::routes::ROUTES.iter() {
        let Some(body) = route.body else { continue };
        examples += 1;
        let raw: Result<serde_json::Value, _> = serde_json::from_str(body.example);
        if !raw.as_ref().is_ok_and(serde_json::Value::is_object) {
            unread.push(format!("{}: the example is not a JSON object", route.path));
            continue;
        }
        let filled = body.example_with(gateway::routes::sample_id);
        if filled.to_string().contains("\"{") {
            unread.push(format!("{}: a placeholder without a sample id", route.path));
        }
        let bytes = serde_json::to_vec(&filled).unwrap_or_default();
        if let Err(why) = (body.reads)(&bytes) {
            unread.push(format!("{}: {why}", route.path));
        }
    }
    assert!(examples >= 30, "examples read: {examples}");
    assert!(unread.is_empty(), "{unread:#?}");
}
