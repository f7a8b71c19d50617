//! Golden fixtures: every encoding ever published under `proto/fixtures/` is still read by
//! today's code.
//!
//! The folder names the contract: `commit/` holds commit bodies; each event family adds a folder
//! of its own, one file per `Type.vN.json`, decoded with the family's `EventContract::decode`.
//! A folder this test does not know fails it, so a fixture can never be silently ignored.

use std::path::{Path, PathBuf};

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut found = Vec::new();
    for dir in std::fs::read_dir(&root).expect("proto/fixtures exists") {
        let dir = dir.expect("readable").path();
        let family = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 folder name")
            .to_owned();
        for file in std::fs::read_dir(&dir).expect("readable folder") {
            found.push((family.clone(), file.expect("readable").path()));
        }
    }
    found.sort();
    found
}

fn read_commit(path: &Path) -> proto::Commit {
    let text = std::fs::read_to_string(path).expect("readable fixture");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} no longer reads as a commit: {e}", path.display()))
}

#[test]
fn every_published_encoding_still_reads() {
    let all = fixtures();
    assert!(!all.is_empty(), "no fixtures found");
    for (family, path) in all {
        match family.as_str() {
            "commit" => {
                let commit = read_commit(&path);
                assert!(
                    !commit.events.is_empty(),
                    "{}: empty commit",
                    path.display()
                );
                for event in &commit.events {
                    assert_eq!(
                        event.envelope.id.get_version_num(),
                        7,
                        "event ids are UUID v7"
                    );
                    assert!(event.version >= 1);
                }
            }
            other => panic!(
                "{}: fixtures of `{other}` are not checked; add the family to this test",
                path.display()
            ),
        }
    }
}

#[test]
fn the_commit_fixture_reads_field_by_field() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/commit/commit.v1.json");
    let commit = read_commit(&path);
    let first = &commit.events[0];
    assert_eq!(first.event_type, "ExampleHappened");
    assert_eq!(
        first.envelope.idempotency_key.as_deref(),
        Some("organiser:dep-05:2024-week-create")
    );
    assert_eq!(
        first.envelope.actor,
        proto::Actor::Organiser {
            id: "dep-05".into()
        }
    );
    assert_eq!(first.envelope.occurred_at.unix_timestamp(), 1_713_166_200);
    let second = &commit.events[1];
    assert_eq!(second.envelope.idempotency_key, None);
    assert_eq!(
        second.envelope.causation_id, first.envelope.id,
        "causation chains events"
    );
    assert_eq!(second.envelope.occurred_at.millisecond(), 125);
}
