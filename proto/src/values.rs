//! Identifiers and validated values shared by the contracts.
//!
//! Parse, don't validate: each type here can only hold a valid value. Deserialising an invalid one
//! fails with a message that says what is expected, so bad input is refused at the edge with a
//! clear error and never reaches a decision.
//!
//! **Why one long file.** It is a catalogue: two dozen small types, most of them a few lines
//! over the same three macros (`uuid_id!`, `validated_string!`, `bounded_number!`), with their
//! tests at the end. Split by theme, a reader would look in four files for the rules they share.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A value that is not what its type allows, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new id (UUID v7: unique, ordered by creation time).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// An edition: one week or day of events.
    EditionId
);
uuid_id!(
    /// An event of an edition's programme (a workshop, a job-dating, an open door…).
    EventId
);
uuid_id!(
    /// One dated occurrence of an event at one venue.
    SessionId
);
uuid_id!(
    /// A venue: an EHPAD, a crèche, a training centre, a lycée, a town hall…
    VenueId
);
uuid_id!(
    /// An employer recruiting at job-datings: a nursing home, a home-help association, a hospital…
    EmployerId
);

macro_rules! validated_string {
    // A short slug (the rule of [`slug`] and [`SLUG_PATTERN`]), named `$what` in its refusals.
    ($(#[$doc:meta])* $name:ident, slug $what:literal) => {
        validated_string!(
            $(#[$doc])*
            $name,
            |v| slug(v, $what),
            schema: { "pattern" = SLUG_PATTERN, "minLength" = 1, "maxLength" = 64 }
        );
    };
    ($(#[$doc:meta])* $name:ident, $check:expr, schema: { $($key:literal = $value:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(try_from = "String", into = "String")]
        #[schemars(extend($($key = $value),*))]
        pub struct $name(String);

        impl $name {
            /// Checks `value`, once in Unicode's composed form (NFC): the same text typed on
            /// two keyboards is one value.
            pub fn parse(value: impl Into<String>) -> Result<Self, Invalid> {
                let value = composed(value.into());
                let check: fn(&str) -> Result<(), String> = $check;
                check(&value).map_err(Invalid)?;
                Ok(Self(value))
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(value: String) -> Result<Self, Invalid> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// `text` in Unicode's composed form (NFC): `e` followed by a combining acute accent becomes
/// `é`. ASCII is left as it is, without a copy.
fn composed(text: String) -> String {
    use unicode_normalization::UnicodeNormalization;
    if text.is_ascii() || unicode_normalization::is_nfc(&text) {
        text
    } else {
        text.nfc().collect()
    }
}

/// What a JSON Schema `pattern` says of the text checked by [`text`]: no Unicode white space
/// (`char::is_whitespace`) at either end, no control character (`char::is_control`) anywhere but
/// the new lines `newlines` allows. Written with `\\uXXXX` escapes in a subset that ECMA-262 and
/// Python's `re` read alike, so that a client's validator and a fuzzer agree with the server.
pub const fn text_pattern(newlines: bool) -> &'static str {
    if newlines {
        "^(?:[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?$(?!\\n)"
    } else {
        "^(?:[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000](?:[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?)?$(?!\\n)"
    }
}

/// The end of every `pattern` here: `$` and no new line after it. (In Python, as in the
/// validators and fuzzers written in it, `$` also matches before a last new line; ECMA-262's does
/// not, and both read the look-ahead alike.)
pub const END: &str = "$(?!\\n)";

/// The `pattern` of a slug ([`slug`]).
pub const SLUG_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$(?!\\n)";

fn slug(value: &str, what: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} must be 1 to 64 letters, digits, `-` or `_`, not {value:?}"
        ))
    }
}

fn text(value: &str, what: &str, min: usize, max: usize) -> Result<(), String> {
    let chars = value.chars().count();
    if value.trim() != value {
        return Err(format!("{what} must not start or end with spaces"));
    }
    if chars < min || chars > max {
        return Err(format!(
            "{what} must be {min} to {max} characters, not {chars}"
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(())
}

validated_string!(
    /// An organiser (a département, the State's services, a training centre): a short slug.
    OrganiserId,
    slug "an organiser id"
);
validated_string!(
    /// A partner (a France Travail agency, a mission locale, a school…): a short slug.
    PartnerId,
    slug "a partner id"
);
validated_string!(
    /// A recruiter of an employer at a job-dating, as the employer labels them (`drh`, `cadre-1`):
    /// a short slug, never a person's name.
    RecruiterId,
    slug "a recruiter id"
);
validated_string!(
    /// A room of a venue, unique within the venue: a short slug.
    RoomId,
    slug "a room id"
);
validated_string!(
    /// A name or a title: 1 to 200 characters, one line.
    Name,
    |v| {
        text(v, "a name", 1, 200)?;
        if v.contains('\n') {
            return Err("a name is one line".into());
        }
        Ok(())
    },
    schema: { "pattern" = text_pattern(false), "minLength" = 1, "maxLength" = 200 }
);
validated_string!(
    /// A free text: up to 5,000 characters.
    Description,
    |v| text(v, "a description", 0, 5_000),
    schema: { "pattern" = text_pattern(true), "maxLength" = 5_000 }
);
validated_string!(
    /// A reason given for a refusal, a cancellation, a closed period: 1 to 500 characters.
    Reason,
    |v| text(v, "a reason", 1, 500),
    schema: { "pattern" = text_pattern(true), "minLength" = 1, "maxLength" = 500 }
);
validated_string!(
    /// A French département code: `01`–`95` (with `2A` and `2B`, not `20`) or `971`–`976`.
    DepartementCode,
    |v| {
        let valid = match v {
            "2A" | "2B" | "971" | "972" | "973" | "974" | "976" => true,
            _ => {
                v.len() == 2
                    && v.bytes().all(|b| b.is_ascii_digit())
                    && !matches!(v, "00" | "20" | "96" | "97" | "98" | "99")
            }
        };
        if valid {
            Ok(())
        } else {
            Err(format!("a département code is 01–95, 2A, 2B or 971–976, not {v:?}"))
        }
    },
    schema: { "pattern" = "^(?:0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-46])$(?!\\n)" }
);
validated_string!(
    /// The INSEE code of a French commune: five characters, `2A`/`2B` allowed for Corsica.
    InseeCode,
    |v| {
        // Read as bytes, never sliced as text: a slice of a `str` at byte 2 panics when a
        // character of two or more bytes sits across it (`aé12`).
        let valid = match v.as_bytes() {
            [a, b, rest @ ..] if rest.len() == 3 => {
                (a.is_ascii_digit() && b.is_ascii_digit() || matches!([*a, *b], [b'2', b'A' | b'B']))
                    && rest.iter().all(u8::is_ascii_digit)
            }
            _ => false,
        };
        if valid {
            Ok(())
        } else {
            Err(format!("an INSEE code is five characters like 05061 or 2A004, not {v:?}"))
        }
    },
    schema: { "pattern" = "^(?:[0-9]{2}|2[AB])[0-9]{3}$(?!\\n)" }
);
validated_string!(
    /// An IANA time zone known to this build, e.g. `Europe/Paris`. The document lists the
    /// database's names as it spells them; jiff also finds a name in another case, which is
    /// kept as it was given (what was stored before reads as it did).
    TimeZoneName,
    |v| {
        jiff::tz::TimeZone::get(v)
            .map(|_| ())
            .map_err(|_| format!("{v:?} is not a known time zone (e.g. Europe/Paris)"))
    },
    schema: { "enum" = time_zone_names() }
);

/// The IANA time zones this build knows (its bundled database), spelt as the database does,
/// sorted: what a [`TimeZoneName`] may be, and its schema's `enum`.
pub fn time_zone_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_owned())
            .filter(|name| jiff::tz::TimeZone::get(name).is_ok())
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

macro_rules! bounded_number {
    ($(#[$doc:meta])* $name:ident($int:ty), $min:literal..=$max:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(try_from = "u64", into = "u64")]
        #[schemars(extend("minimum" = $min, "maximum" = $max))]
        pub struct $name($int);

        impl $name {
            /// The smallest value allowed.
            pub const MIN: $int = $min;
            /// The largest value allowed.
            pub const MAX: $int = $max;

            /// Checks `value`.
            pub fn parse(value: u64) -> Result<Self, Invalid> {
                if (u64::from(Self::MIN)..=u64::from(Self::MAX)).contains(&value) {
                    // Within MIN..=MAX, so it fits the type.
                    Ok(Self(value as $int))
                } else {
                    Err(Invalid(format!(
                        concat!($what, " is {} to {}, not {}"),
                        Self::MIN,
                        Self::MAX,
                        value
                    )))
                }
            }

            /// The value.
            pub fn get(self) -> $int {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = Invalid;
            fn try_from(value: u64) -> Result<Self, Invalid> {
                Self::parse(value)
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> u64 {
                u64::from(value.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

bounded_number!(
    /// A table of a job-dating floor, numbered from 1, where one recruiter sits.
    TableNo(u16),
    1..=999,
    "a table number"
);
bounded_number!(
    /// An interview slot of a job-dating, numbered from 1 in time order: the same numbers at
    /// every table.
    SlotNo(u16),
    1..=999,
    "a slot number"
);
bounded_number!(
    /// The length of a job-dating interview slot, in minutes.
    SlotMinutes(u16),
    5..=120,
    "a slot length in minutes"
);
bounded_number!(
    /// The least time between two interviews of one candidate, in minutes (0: back to back).
    GapMinutes(u16),
    0..=240,
    "a gap between interviews in minutes"
);
bounded_number!(
    /// The most interviews one candidate may have at one job-dating.
    InterviewLimit(u16),
    1..=20,
    "a number of interviews per candidate"
);
bounded_number!(
    /// How many people an employer recruits for one job and contract.
    Openings(u16),
    1..=9_999,
    "a number of openings"
);

bounded_number!(
    /// How many items a page of a list holds (`limit`).
    PageSize(u16),
    1..=200,
    "a page's size (`limit`)"
);

impl SlotNo {
    /// Its place in the list of slots, from 0.
    pub fn index(self) -> usize {
        usize::from(self.0) - 1
    }

    /// The slot at `index` (from 0) in the list of slots, if it can be numbered.
    pub fn at_index(index: usize) -> Option<Self> {
        u64::try_from(index + 1)
            .ok()
            .and_then(|n| Self::parse(n).ok())
    }
}

impl Default for Description {
    /// No description.
    fn default() -> Self {
        Self(String::new())
    }
}

impl TimeZoneName {
    /// The default of every edition.
    pub fn paris() -> Self {
        Self("Europe/Paris".into())
    }

    /// The zone itself. Every value was checked to exist when it was made.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

/// A schemars transform for an answer's type, whose every field is always written (an `Option`
/// as `null`): every property of the object, and of the objects inlined in it (an enum's
/// variants), is `required`, its type still nullable. `#[schemars(transform = ...)]` on the type.
pub fn every_property_required(schema: &mut schemars::Schema) {
    if let Some(object) = schema.as_object_mut() {
        let names: Option<Vec<serde_json::Value>> = object
            .get("properties")
            .and_then(serde_json::Value::as_object)
            .map(|properties| properties.keys().cloned().map(Into::into).collect());
        if let Some(names) = names {
            object.insert("required".into(), serde_json::Value::Array(names));
        }
    }
    schemars::transform::transform_subschemas(&mut every_property_required, schema);
}

/// Strict readers of times sent by clients, for `#[serde(deserialize_with = …)]`.
///
/// jiff reads a leap second (`23:59:60`) as `23:59:59`, silently; no time of a programme, a
/// venue's hours or a deadline is one, so it is refused with a message instead of moved.
pub mod strict {
    use jiff::Timestamp;
    use jiff::civil::{Date, DateTime, Time};
    use schemars::{Schema, SchemaGenerator, json_schema};
    use serde::{Deserialize, Deserializer, de::Error};

    /// A calendar day, `YYYY-MM-DD`, as a `pattern`: the months' lengths and the leap years'
    /// 29 February included, so that what the pattern allows is a day that exists.
    use super::END;

    const DAY: &str = "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)";
    /// A time of day to the second, `HH:MM:SS` (no second 60), and a fraction of a second if
    /// any.
    const CLOCK: &str = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?";

    /// Whether `text` (a time, or a date and time) has a second 60.
    fn leap_second(text: &str) -> bool {
        let time = text
            .split_once(['T', 't', ' '])
            .map_or(text, |(_, time)| time);
        time.split(':')
            .nth(2)
            .is_some_and(|second| second.starts_with("60"))
    }

    /// The rest of `text` after `shape`, where `9` stands for a digit and anything else for
    /// itself.
    fn after<'a>(text: &'a str, shape: &str) -> Option<&'a str> {
        let (head, rest) = text.split_at_checked(shape.len())?;
        head.bytes()
            .zip(shape.bytes())
            .all(|(t, s)| {
                if s == b'9' {
                    t.is_ascii_digit()
                } else {
                    t == s
                }
            })
            .then_some(rest)
    }

    /// The rest of `text` after a year as jiff writes one: four digits, or (outside 0 to 9999,
    /// which no command needs but a reader of what was stored must take) a sign and six.
    fn after_year(text: &str) -> Option<&str> {
        match text.as_bytes().first()? {
            b'+' | b'-' => after(&text[1..], "999999"),
            _ => after(text, "9999"),
        }
    }

    /// The rest of `text` after a day, `YYYY-MM-DD`.
    fn after_day(text: &str) -> Option<&str> {
        after(after_year(text)?, "-99-99")
    }

    /// The rest of `text` after a time, `HH:MM:SS`, and its fraction of 1 to 9 digits if any
    /// (jiff writes one when a time has one).
    fn after_clock(text: &str) -> Option<&str> {
        let rest = after(text, "99:99:99")?;
        match rest.strip_prefix('.') {
            Some(fraction) => {
                let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
                (1..=9).contains(&digits).then(|| &fraction[digits..])
            }
            None => Some(rest),
        }
    }

    fn day_shaped(text: &str) -> bool {
        after_day(text) == Some("")
    }

    fn date_time_shaped(text: &str) -> bool {
        after_day(text)
            .and_then(|rest| rest.strip_prefix('T'))
            .and_then(after_clock)
            == Some("")
    }

    fn clock_shaped(text: &str) -> bool {
        after_clock(text) == Some("")
    }

    /// An instant's text: a day, `T`, a time, and `Z` or an offset `+HH:MM`.
    fn instant_shaped(text: &str) -> bool {
        let zone = after_day(text)
            .and_then(|rest| rest.strip_prefix('T'))
            .and_then(after_clock);
        match zone {
            Some("Z") => true,
            // An offset of at most 23:59, as the schema says (jiff would take 25:59).
            Some(offset) => {
                matches!(offset.as_bytes().first(), Some(b'+' | b'-'))
                    && after(&offset[1..], "99:99") == Some("")
                    && offset.get(1..3).is_some_and(|hours| hours <= "23")
                    && offset.get(4..6).is_some_and(|minutes| minutes <= "59")
            }
            None => false,
        }
    }

    fn read<'de, D: Deserializer<'de>, T: std::str::FromStr<Err = jiff::Error>>(
        deserializer: D,
        what: &str,
        example: &str,
        shaped: impl Fn(&str) -> bool,
    ) -> Result<T, D::Error> {
        let text = String::deserialize(deserializer)?;
        if leap_second(&text) {
            return Err(D::Error::custom(format!(
                "{what} has no second 60 (a leap second), not {text:?}"
            )));
        }
        if !shaped(&text) {
            return Err(D::Error::custom(format!(
                "{what} is written like {example}, not {text:?}"
            )));
        }
        // jiff checks the calendar and the clock.
        text.parse::<T>()
            .map_err(|e| D::Error::custom(format!("{what} is not valid ({e}): {text:?}")))
    }

    /// A calendar day, `2027-04-13`, when one is given (with `#[serde(default)]`).
    pub fn optional_date<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        date(deserializer).map(Some)
    }

    /// A page's size (`limit`), 1 to 200: [`super::PageSize`], as a `usize`.
    pub fn page_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
        super::PageSize::deserialize(deserializer).map(|size| usize::from(size.get()))
    }

    /// A calendar day, `2027-04-13`.
    pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        read(deserializer, "a day", "2027-04-13", day_shaped)
    }

    /// A local date and time, `2027-04-13T14:00:00`.
    pub fn date_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime, D::Error> {
        read(
            deserializer,
            "a local date and time",
            "2027-04-13T14:00:00",
            date_time_shaped,
        )
    }

    /// A time of day, `08:30:00`.
    pub fn time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        read(deserializer, "a time of day", "08:30:00", clock_shaped)
    }

    /// An instant, RFC 3339 (`2027-04-12T10:00:00Z`).
    pub fn timestamp<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        read(
            deserializer,
            "an instant",
            "2027-04-12T10:00:00Z",
            instant_shaped,
        )
    }

    /// The schema of [`date`].
    pub fn date_schema(_: &mut SchemaGenerator) -> Schema {
        let pattern = format!("^{DAY}{END}");
        json_schema!({ "type": "string", "format": "date", "pattern": pattern })
    }

    /// The schema of an edition's day: a [`date`] from 2000 to 2100 (an edition's days are
    /// refused outside them).
    pub fn edition_day_schema(_: &mut SchemaGenerator) -> Schema {
        let day = "(?:(?:20[0-9]{2}|2100)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:20(?:0[48]|[2468][048]|[13579][26])|2000)-02-29)";
        let pattern = format!("^{day}{END}");
        json_schema!({ "type": "string", "format": "date", "pattern": pattern })
    }

    /// The schema of [`date_time`].
    pub fn date_time_schema(_: &mut SchemaGenerator) -> Schema {
        let pattern = format!("^{DAY}T{CLOCK}{END}");
        json_schema!({
            "type": "string",
            "pattern": pattern,
            "description": "A local date and time, in the edition's or the venue's time zone: `2027-04-13T14:00:00`.",
        })
    }

    /// The schema of [`time`].
    pub fn time_schema(_: &mut SchemaGenerator) -> Schema {
        let pattern = format!("^{CLOCK}{END}");
        json_schema!({ "type": "string", "pattern": pattern, "description": "A time of day: `08:30:00`." })
    }

    /// The schema of [`timestamp`].
    pub fn timestamp_schema(_: &mut SchemaGenerator) -> Schema {
        let pattern = format!("^{DAY}T{CLOCK}(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]){END}");
        json_schema!({
            "type": "string",
            "pattern": pattern,
            "description": "An instant, RFC 3339 with `Z` or an offset: `2027-04-12T10:00:00Z`.",
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn only_the_documented_shapes_are_read() {
            let day = |t: &str| date(serde_json::Value::from(t)).is_ok();
            let local = |t: &str| date_time(serde_json::Value::from(t)).is_ok();
            let clock = |t: &str| time(serde_json::Value::from(t)).is_ok();
            let instant = |t: &str| timestamp(serde_json::Value::from(t)).is_ok();
            assert!(
                day("2028-02-29") && !day("2027-02-29") && !day("20270413") && !day("2027-4-13")
            );
            assert!(
                local("2027-04-13T14:00:00")
                    && !local("2027-04-13T14:00")
                    && !local("2027-04-13 14:00:00")
            );
            assert!(!local("2027-04-13T23:59:60") && !local("2027-04-13T14:00:00Z"));
            assert!(clock("08:30:00") && !clock("08:30") && !clock("23:59:60"));
            assert!(
                instant("2027-04-12T10:00:00Z") && instant("2027-04-12T10:00:00.123456789+02:00")
            );
            assert!(
                !instant("2027-04-12T10:00:00")
                    && !instant("2027-04-12T10:00:60Z")
                    && !instant("2027-04-12T10:00:00.Z")
                    && !instant("2027-04-12T10:00:00+24:00")
            );
            assert!(local("2027-04-13T14:00:00.5") && clock("08:30:00.25"));
        }

        /// What was stored reads again: every value jiff writes (as the log holds them), with
        /// fractions of a second and years outside 0 to 9999, is read back equal.
        #[test]
        fn everything_jiff_writes_reads_back() {
            let days = [
                Date::constant(2027, 4, 13),
                Date::MIN,
                Date::MAX,
                Date::constant(-1, 1, 1),
                Date::constant(0, 2, 29),
            ];
            let times = [
                Time::constant(0, 0, 0, 0),
                Time::constant(8, 30, 0, 250_000_000),
                Time::constant(23, 59, 59, 999_999_999),
                Time::constant(14, 0, 0, 1),
            ];
            for day in days {
                let read = date(serde_json::Value::from(day.to_string()));
                assert_eq!(read.ok(), Some(day), "{day}");
                for at in times {
                    let local = day.to_datetime(at);
                    let read = date_time(serde_json::Value::from(local.to_string()));
                    assert_eq!(read.ok(), Some(local), "{local}");
                }
            }
            for at in times {
                assert_eq!(time(serde_json::Value::from(at.to_string())).ok(), Some(at));
            }
            for instant in [
                Timestamp::UNIX_EPOCH,
                Timestamp::MIN,
                Timestamp::MAX,
                Timestamp::constant(1_807_524_000, 123_456_789),
            ] {
                let read = timestamp(serde_json::Value::from(instant.to_string()));
                assert_eq!(read.ok(), Some(instant), "{instant}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_refuse_what_they_cannot_hold() {
        assert!(DepartementCode::parse("05").is_ok());
        assert!(DepartementCode::parse("2A").is_ok());
        assert!(DepartementCode::parse("974").is_ok());
        for bad in ["20", "5", "975", "AB", "00", ""] {
            assert!(DepartementCode::parse(bad).is_err(), "{bad}");
        }
        assert!(InseeCode::parse("05061").is_ok());
        assert!(InseeCode::parse("2A004").is_ok());
        assert!(InseeCode::parse("0506").is_err());
        assert!(InseeCode::parse("05O61").is_err());
        assert!(Name::parse("Job-dating à Gap").is_ok());
        assert!(Name::parse("").is_err());
        assert!(Name::parse(" padded").is_err());
        assert!(Name::parse("two\nlines").is_err());
        assert!(Name::parse("x".repeat(201)).is_err());
        assert!(TimeZoneName::parse("Europe/Paris").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(RoomId::parse("salle-1").is_ok());
        assert!(RoomId::parse("salle 1").is_err());
        assert!(TableNo::parse(1).is_ok());
        assert!(TableNo::parse(0).is_err());
        assert!(SlotMinutes::parse(4).is_err());
        assert!(SlotMinutes::parse(15).is_ok());
        assert!(GapMinutes::parse(0).is_ok());
        assert!(InterviewLimit::parse(21).is_err());
        assert_eq!(SlotNo::at_index(0).map(SlotNo::get), Some(1));
        assert_eq!(SlotNo::parse(3).map(SlotNo::index), Ok(2));
    }

    #[test]
    fn text_is_kept_composed_so_two_normal_forms_are_one_name() {
        let composed = Name::parse("Mission locale du Gapençais").expect("valid");
        let decomposed = Name::parse("Mission locale du Gapenc\u{327}ais").expect("valid");
        assert_eq!(composed, decomposed);
        assert_eq!(decomposed.as_str(), "Mission locale du Gapençais");
        let read: Name = serde_json::from_str("\"E\u{301}tablissement\"").expect("deserialises");
        assert_eq!(read.as_str(), "Établissement");
        assert_eq!(
            Name::parse("x".repeat(199) + "e\u{301}").map(|n| n.as_str().chars().count()),
            Ok(200),
            "counted once composed"
        );
    }

    #[test]
    fn a_leap_second_is_refused_not_moved() {
        #[derive(serde::Deserialize)]
        struct Times {
            #[serde(deserialize_with = "strict::date_time")]
            at: jiff::civil::DateTime,
            #[serde(deserialize_with = "strict::time")]
            opens: jiff::civil::Time,
            #[serde(deserialize_with = "strict::timestamp")]
            until: jiff::Timestamp,
        }
        let read = |at: &str, opens: &str, until: &str| {
            serde_json::from_value::<Times>(serde_json::json!({
                "at": at, "opens": opens, "until": until
            }))
        };
        let ok = read("2027-04-13T23:59:59", "08:30:00", "2027-04-12T10:00:00Z").expect("reads");
        assert_eq!(ok.at.second(), 59);
        assert_eq!(ok.opens.hour(), 8);
        assert_eq!(ok.until.as_second(), 1_807_524_000);
        for (at, opens, until) in [
            ("2027-04-13T23:59:60", "08:30:00", "2027-04-12T10:00:00Z"),
            ("2027-04-13T23:59:59", "23:59:60", "2027-04-12T10:00:00Z"),
            ("2027-04-13T23:59:59", "08:30:00", "2027-04-12T23:59:60Z"),
            ("2027-04-13T23:59:60.5", "08:30:00", "2027-04-12T10:00:00Z"),
        ] {
            let error = read(at, opens, until).err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains("second 60")),
                "{error:?}"
            );
        }
        assert!(read("2027-04-13T25:00:00", "08:30:00", "2027-04-12T10:00:00Z").is_err());
    }

    #[test]
    fn invalid_values_do_not_deserialise() {
        let error = serde_json::from_str::<DepartementCode>("\"20\"").expect_err("refused");
        assert!(error.to_string().contains("2A, 2B"), "{error}");
        let code: DepartementCode = serde_json::from_str("\"05\"").expect("read");
        assert_eq!(serde_json::to_string(&code).expect("written"), "\"05\"");
        let error = serde_json::from_str::<SlotMinutes>("2").expect_err("refused");
        assert!(error.to_string().contains("5 to 120"), "{error}");
        let table: TableNo = serde_json::from_str("12").expect("read");
        assert_eq!(serde_json::to_string(&table).expect("written"), "12");
    }
}
