//! The committed JSON Schemas are exactly what the code generates.

use std::path::PathBuf;

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

#[test]
fn committed_schemas_match_the_code() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in proto::schema::all() {
        let path = schema_dir().join(format!("{name}.json"));
        let generated = serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n";
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            if update {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("the schema directory is writable");
                }
                std::fs::write(&path, &generated).expect("the schema directory is writable");
            } else {
                stale.push(name);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these schemas differ from the code: {stale:?}; run `UPDATE_SCHEMAS=1 cargo test -p proto` and review the diff"
    );
}
