//! Every validated value parses arbitrary text without panicking.
//!
//! A value that slices its text by bytes panics on a character of two or more bytes across the
//! cut (`"aé12"` as an INSEE code once emptied an HTTP answer). Each validated type of the
//! contracts is listed in [`every_validated_value!`]; `the_list_names_every_validated_type` reads
//! the crate's sources and fails on a type that holds text or a number checked on the way in
//! (`try_from = "String"`, `validated_string!`, `bounded_number!`) and is missing from it.

use proptest::prelude::*;
use proto::registration::ParticipantRef;
use proto::values::{
    DepartementCode, Description, GapMinutes, InseeCode, InterviewLimit, Name, Openings,
    OrganiserId, PageSize, PartnerId, Reason, RecruiterId, RoomId, SlotMinutes, SlotNo, TableNo,
    TimeZoneName,
};
use proto::venues::Postcode;
use proto::webhooks::WebhookUrl;
use serde::de::DeserializeOwned;

/// Text made to find byte-slicing mistakes: short, mixing ASCII digits and letters with
/// characters of two, three and four bytes, spaces and controls; or long; or anything.
fn hostile_text() -> impl Strategy<Value = String> {
    let character = prop_oneof![
        4 => prop::char::range('0', '9'),
        2 => prop::char::range('A', 'Z'),
        2 => prop::sample::select(vec!['é', 'ß', '€', '中', '😀', '\u{0301}', ' ', '\n', '\u{0}', '-', '/', ':', '.']),
        1 => any::<char>(),
    ];
    prop_oneof![
        4 => prop::collection::vec(character, 0..10).prop_map(|c| c.into_iter().collect()),
        1 => prop::collection::vec(any::<char>(), 0..300).prop_map(|c| c.into_iter().collect()),
        1 => any::<String>(),
    ]
}

/// Parses `text` as `T` from JSON, as a request body does: an error or a value, never a panic;
/// a value written back reads the same.
fn reads_or_refuses<T>(text: &str)
where
    T: DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let json = serde_json::Value::String(text.to_owned());
    if let Ok(value) = serde_json::from_value::<T>(json) {
        let written = serde_json::to_value(&value).expect("a valid value writes");
        let read: T = serde_json::from_value(written).expect("a written value reads");
        assert_eq!(read, value);
    }
}

/// Numbers, as JSON numbers of any size.
fn reads_or_refuses_number<T>(number: u64)
where
    T: DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_value::<T>(serde_json::json!(number)) {
        let written = serde_json::to_value(&value).expect("a valid value writes");
        assert_eq!(written, serde_json::json!(number));
    }
}

macro_rules! every_validated_value {
    (text: $($text:ident),* ; numbers: $($number:ident),* $(,)?) => {
        /// The names of the types checked here.
        const CHECKED: &[&str] = &[$(stringify!($text),)* $(stringify!($number),)*];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn validated_text_never_panics(text in hostile_text()) {
                $(reads_or_refuses::<$text>(&text);)*
            }

            #[test]
            fn validated_numbers_never_panic(number in prop_oneof![0u64..2_000, any::<u64>()]) {
                $(reads_or_refuses_number::<$number>(number);)*
            }
        }
    };
}

every_validated_value!(
    text: OrganiserId, PartnerId, RecruiterId, RoomId, Name, Description, Reason,
        DepartementCode, InseeCode, TimeZoneName, ParticipantRef, Postcode, WebhookUrl;
    numbers: TableNo, SlotNo, SlotMinutes, GapMinutes, InterviewLimit, Openings, PageSize,
);

#[test]
fn the_examples_that_once_panicked_are_refused() {
    for text in ["aé12", "éé1", "2é004", "05€", "😀123"] {
        assert!(InseeCode::parse(text).is_err(), "{text}");
    }
    assert!(InseeCode::parse("2A004").is_ok());
    assert!(InseeCode::parse("2B033").is_ok());
    assert!(InseeCode::parse("05061").is_ok());
    assert!(InseeCode::parse("2C004").is_err());
}

#[test]
fn the_list_names_every_validated_type() {
    let sources = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    for file in rust_files(&sources) {
        let text = std::fs::read_to_string(&file).expect("a source file reads");
        for name in validated_types(&text) {
            if !CHECKED.contains(&name.as_str()) {
                missing.push(format!("{name} ({})", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "validated types not in every_validated_value!: {missing:?}"
    );
}

/// The `.rs` files under `dir`.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the sources list") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The types a source declares as checked on the way in: the first `pub struct` after a
/// `try_from = "String"` or `"u64"`, and the names given to `validated_string!` and
/// `bounded_number!` (the macros' own definitions aside).
fn validated_types(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut pending = false;
    let mut in_macro = false;
    for line in source.lines() {
        let line = line.trim();
        if line.starts_with("macro_rules!") {
            continue;
        }
        if line.contains("try_from = \"String\"") || line.contains("try_from = \"u64\"") {
            pending = true;
        }
        if line == "validated_string!(" || line == "bounded_number!(" {
            in_macro = true;
            continue;
        }
        if in_macro && !line.starts_with("///") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.push(name);
            }
            in_macro = false;
        }
        if pending && let Some(rest) = line.strip_prefix("pub struct ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // The macros' own `pub struct $name` has no name of its own.
            if !name.is_empty() {
                names.push(name);
            }
            pending = false;
        }
    }
    names
}
