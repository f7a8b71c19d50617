//! The JSON Schemas this crate publishes, generated from the Rust types.
//!
//! `proto/schemas/<name>.json` holds the committed copy of each; the `schemas` test fails when the
//! code generates something else, and rewrites the files when run with `UPDATE_SCHEMAS=1`.

use schemars::Schema;

/// Every published schema, by file name (without `.json`).
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("commit.v1", schemars::schema_for!(crate::Commit)),
        ("actor.v1", schemars::schema_for!(crate::Actor)),
    ]
}
