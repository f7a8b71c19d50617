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
