//! The JSON Schemas this crate publishes, generated from the Rust types.
//!
//! `proto/schemas/<name>.json` (commands under `commands/`, event payloads under
//! `events/<family>/<Type>.v<N>.json`) holds the committed copy of each; the `schemas` test fails when the
//! code generates something else, and rewrites the files when run with `UPDATE_SCHEMAS=1`.

use schemars::Schema;

/// Every published schema, by file name (without `.json`).
pub fn all() -> Vec<(String, Schema)> {
    let mut all = vec![
        ("commit.v1".to_owned(), schemars::schema_for!(crate::Commit)),
        ("actor.v1".to_owned(), schemars::schema_for!(crate::Actor)),
        (
            "commands/edition".to_owned(),
            schemars::schema_for!(crate::scheduling::edition::Command),
        ),
        (
            "commands/event".to_owned(),
            schemars::schema_for!(crate::scheduling::event::Command),
        ),
        (
            "commands/venue".to_owned(),
            schemars::schema_for!(crate::venues::Command),
        ),
        (
            "commands/partner".to_owned(),
            schemars::schema_for!(crate::registration::partner::Command),
        ),
        (
            "commands/jobdating".to_owned(),
            schemars::schema_for!(crate::jobdating::Command),
        ),
        (
            "commands/register".to_owned(),
            schemars::schema_for!(crate::registration::RegisterRequest),
        ),
        (
            "commands/subscribe-webhook".to_owned(),
            schemars::schema_for!(crate::webhooks::Subscribe),
        ),
    ];
    let families = [
        ("edition", crate::scheduling::edition::Event::schemas()),
        ("event", crate::scheduling::event::Event::schemas()),
        ("session", crate::scheduling::session::Event::schemas()),
        ("venue", crate::venues::Event::schemas()),
        ("seats", crate::registration::session::Event::schemas()),
        ("agenda", crate::registration::agenda::Event::schemas()),
        ("partner", crate::registration::partner::Event::schemas()),
        (
            "participant",
            crate::registration::participant::Event::schemas(),
        ),
        ("webhook", crate::webhooks::Event::schemas()),
        ("jobdating", crate::jobdating::Event::schemas()),
    ];
    for (family, schemas) in families {
        all.extend(
            schemas
                .into_iter()
                .map(|(name, schema)| (format!("events/{family}/{name}"), schema)),
        );
    }
    all
}
