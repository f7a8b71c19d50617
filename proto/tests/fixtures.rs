//! Golden fixtures: every encoding ever published under `proto/fixtures/` is still read by
//! today's code.
//!
//! The folder names the contract: `commit/` holds commit bodies; each event family has a folder
//! (`edition/`, `event/`, `session/`, `venue/`, `seats/`, `agenda/`, `partner/`, `participant/`, `webhook/`,
//! `jobdating/`) with one file per published `Type.vN.json`, holding the
//! payload. Every type and version a family reads must have its file, and a file of today's
//! version must read back and write out exactly as committed. A folder this test does not know
//! fails it, so a fixture can never be silently ignored. `FAMILIES` lists the families, once.
//!
//! `UPDATE_FIXTURES=1` writes the fixture of a new type or version from the samples below; it
//! never overwrites one: a published fixture is never changed.

mod samples;

use std::path::{Path, PathBuf};

use proto::contract::EventContract;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn fixtures() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for dir in std::fs::read_dir(root()).expect("proto/fixtures exists") {
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

/// `EditionCreated.v1.json` → `("EditionCreated", 1)`.
fn type_and_version(path: &Path) -> (String, u16) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 name");
    let stem = name.strip_suffix(".json").expect("a .json fixture");
    let (event_type, version) = stem.rsplit_once(".v").expect("named Type.vN.json");
    (
        event_type.to_owned(),
        version.parse().expect("a version number"),
    )
}

/// Reads one payload fixture with its family, and checks today's versions round-trip.
fn check_family<F: EventContract + std::fmt::Debug>(path: &Path, versions: &[(&str, u16)]) {
    let (event_type, version) = type_and_version(path);
    let text = std::fs::read_to_string(path).expect("readable fixture");
    let data: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let event = F::decode(&event_type, version, &data)
        .unwrap_or_else(|e| panic!("{} no longer reads: {e}", path.display()));
    if versions.contains(&(event_type.as_str(), version)) {
        let wire = event.encode().expect("encodes");
        assert_eq!(
            (wire.event_type, wire.version),
            (event_type.as_str(), version)
        );
        assert_eq!(
            wire.data,
            data,
            "{} does not write back as committed",
            path.display()
        );
    }
}

/// An event family with fixtures: its folder, how one of its fixtures is read back
/// ([`check_family`]), and how its samples make sure each of its types and versions has one
/// ([`ensure_fixtures`]).
struct Family {
    folder: &'static str,
    check: fn(&Path),
    ensure: fn(),
}

/// The family `$family` in folder `$folder`, with its samples `$samples`.
macro_rules! family {
    ($folder:literal, $family:ty, $samples:path) => {
        Family {
            folder: $folder,
            check: |path| check_family::<$family>(path, <$family>::VERSIONS),
            ensure: || ensure_fixtures($folder, <$family>::VERSIONS, $samples()),
        }
    };
}

/// Every event family with fixtures, in the order the contexts depend on one another.
const FAMILIES: &[Family] = &[
    family!(
        "edition",
        proto::scheduling::edition::Event,
        samples::editions
    ),
    family!("event", proto::scheduling::event::Event, samples::events),
    family!(
        "session",
        proto::scheduling::session::Event,
        samples::sessions
    ),
    family!("venue", proto::venues::Event, samples::venues),
    family!("seats", proto::registration::session::Event, samples::seats),
    family!(
        "agenda",
        proto::registration::agenda::Event,
        samples::agendas
    ),
    family!(
        "partner",
        proto::registration::partner::Event,
        samples::partners
    ),
    family!(
        "participant",
        proto::registration::participant::Event,
        samples::participants
    ),
    family!("webhook", proto::webhooks::Event, samples::webhooks),
    family!("jobdating", proto::jobdating::Event, samples::jobdatings),
];

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
            other => match FAMILIES.iter().find(|f| f.folder == other) {
                Some(family) => (family.check)(&path),
                None => panic!(
                    "{}: fixtures of `{other}` are not checked; add the family to FAMILIES",
                    path.display()
                ),
            },
        }
    }
}
fn ensure_fixtures<F: EventContract>(family: &str, versions: &[(&str, u16)], samples: Vec<F>) {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let dir = root().join(family);
    for sample in samples {
        let wire = sample.encode().expect("encodes");
        let path = dir.join(format!("{}.v{}.json", wire.event_type, wire.version));
        if update && !path.exists() {
            std::fs::create_dir_all(&dir).expect("writable");
            let text = serde_json::to_string_pretty(&wire.data).expect("serialises") + "\n";
            std::fs::write(&path, text).expect("writable");
        }
    }
    for (event_type, version) in versions {
        let path = dir.join(format!("{event_type}.v{version}.json"));
        assert!(
            path.exists(),
            "{family}: {event_type} v{version} has no fixture; add a sample and run with UPDATE_FIXTURES=1"
        );
    }
}

#[test]
fn every_type_and_version_has_its_fixture() {
    for family in FAMILIES {
        (family.ensure)();
    }
}

#[test]
fn the_commit_fixture_reads_field_by_field() {
    let path = root().join("commit/commit.v1.json");
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
