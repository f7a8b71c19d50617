//! A participant's agenda as an iCalendar object (RFC 5545), for calendar applications.
//!
//! [`calendar`] is pure: given the entries, it writes one `VCALENDAR` with one `VEVENT` per entry
//! and one `VTIMEZONE` per zone the entries use, so that the times stay those the organisers
//! wrote (`DTSTART;TZID=Europe/Paris:20270413T090000`). The rules followed:
//!
//! - lines end with CRLF and are folded at 75 octets (a continuation starts with a space; a
//!   UTF-8 character is never split);
//! - text values escape `\`, `;`, `,` and newlines;
//! - each `UID` is derived from the registration and session ids, so it is stable across reads
//!   and a calendar updates the entry rather than adding one; `SEQUENCE` grows with each change
//!   of the registration or move of the session, and `DTSTAMP` is the time of the latest change
//!   (so the same log gives the same bytes);
//! - a `VTIMEZONE` holds the zone's transitions from the one in force at the first entry to the
//!   last entry's end (from the zone database, each with its `DTSTART`, offsets and name); a zone
//!   without transitions gets one `STANDARD` observance;
//! - waiting registrations are `TENTATIVE`, cancelled ones (or those of a cancelled session)
//!   `CANCELLED`, so that a calendar that had them shows the change.

use std::collections::BTreeMap;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// What an entry's status is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// The seat is held.
    Confirmed,
    /// On the waiting list.
    Tentative,
    /// Cancelled, or the session was.
    Cancelled,
}

impl EntryStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Tentative => "TENTATIVE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// When an entry happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Local times in a zone (IANA name).
    Local {
        /// The zone.
        zone: String,
        /// Start, local.
        starts: DateTime,
        /// End, local.
        ends: DateTime,
    },
    /// Instants only (the programme is not known yet): written in UTC.
    Utc {
        /// Start.
        starts: Timestamp,
        /// End.
        ends: Timestamp,
    },
}

/// One event of the agenda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// A stable, unique id.
    pub uid: String,
    /// When it last changed (`DTSTAMP`).
    pub stamp: Timestamp,
    /// How many times it changed (`SEQUENCE`).
    pub sequence: u32,
    /// When it happens.
    pub when: When,
    /// Its title.
    pub summary: String,
    /// Where.
    pub location: Option<String>,
    /// More words.
    pub description: Option<String>,
    /// Its status.
    pub status: EntryStatus,
}

/// The `UID` of a registration's entry.
pub fn uid(registration: uuid::Uuid, session: uuid::Uuid) -> String {
    format!("registration-{registration}-session-{session}@semaine")
}

/// The calendar of `entries`, named `name`, as the bytes of an `.ics` file.
pub fn calendar(name: &str, entries: &[Entry]) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//semaine//agenda//FR".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    // Each zone used, with the span of instants its entries cover.
    let mut zones: BTreeMap<&str, (Timestamp, Timestamp)> = BTreeMap::new();
    for entry in entries {
        if let When::Local { zone, starts, ends } = &entry.when {
            let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
            let (Ok(first), Ok(last)) = (tz.to_timestamp(*starts), tz.to_timestamp(*ends)) else {
                continue;
            };
            let span = zones.entry(zone.as_str()).or_insert((first, last));
            span.0 = span.0.min(first);
            span.1 = span.1.max(last);
        }
    }
    for (zone, (first, last)) in &zones {
        lines.extend(vtimezone(zone, *first, *last));
    }
    for entry in entries {
        lines.push("BEGIN:VEVENT".to_owned());
        lines.push(format!("UID:{}", escape(&entry.uid)));
        lines.push(format!("DTSTAMP:{}", utc(entry.stamp)));
        match &entry.when {
            When::Local { zone, starts, ends } => {
                lines.push(format!("DTSTART;TZID={zone}:{}", local(*starts)));
                lines.push(format!("DTEND;TZID={zone}:{}", local(*ends)));
            }
            When::Utc { starts, ends } => {
                lines.push(format!("DTSTART:{}", utc(*starts)));
                lines.push(format!("DTEND:{}", utc(*ends)));
            }
        }
        lines.push(format!("SEQUENCE:{}", entry.sequence));
        lines.push(format!("SUMMARY:{}", escape(&entry.summary)));
        if let Some(location) = &entry.location {
            lines.push(format!("LOCATION:{}", escape(location)));
        }
        if let Some(description) = &entry.description {
            lines.push(format!("DESCRIPTION:{}", escape(description)));
        }
        lines.push(format!("STATUS:{}", entry.status.as_str()));
        lines.push("TRANSP:OPAQUE".to_owned());
        lines.push("END:VEVENT".to_owned());
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in &lines {
        out.push_str(&fold(line));
    }
    out
}

/// A zone's `VTIMEZONE`: the observance in force at `first`, then every transition until `last`.
fn vtimezone(zone: &str, first: Timestamp, last: Timestamp) -> Vec<String> {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let mut lines = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{zone}")];
    let mut transitions: Vec<_> = tz.preceding(first).take(1).collect();
    transitions.extend(tz.following(first).take_while(|t| t.timestamp() <= last));
    if transitions.is_empty() {
        let offset = tz.to_offset(first);
        lines.extend([
            "BEGIN:STANDARD".to_owned(),
            "DTSTART:19700101T000000".to_owned(),
            format!("TZOFFSETFROM:{}", offset_text(offset)),
            format!("TZOFFSETTO:{}", offset_text(offset)),
            "END:STANDARD".to_owned(),
        ]);
    }
    for transition in transitions {
        let at = transition.timestamp();
        let before = at
            .checked_sub(SignedDuration::from_nanos(1))
            .map_or(transition.offset(), |just_before| tz.to_offset(just_before));
        let kind = if transition.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        // The observance starts at the local time the transition happens, read with the offset
        // in force before it.
        let starts = before.to_datetime(at);
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", local(starts)));
        lines.push(format!("TZOFFSETFROM:{}", offset_text(before)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(transition.offset())));
        if !transition.abbreviation().is_empty() {
            lines.push(format!("TZNAME:{}", escape(transition.abbreviation())));
        }
        lines.push(format!("END:{kind}"));
    }
    lines.push("END:VTIMEZONE".to_owned());
    lines
}

/// `+0100`, `-0330`, `+054500` (seconds only when there are some).
fn offset_text(offset: Offset) -> String {
    let total = offset.seconds();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.unsigned_abs();
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{seconds:02}")
    }
}

/// A local date-time, `20270413T090000`.
fn local(at: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// An instant in UTC, `20270413T070000Z`.
fn utc(at: Timestamp) -> String {
    format!("{}Z", local(Offset::UTC.to_datetime(at)))
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets and ends it with CRLF (RFC 5545 §3.1). A continuation line
/// starts with one space, which counts in its 75 octets; a UTF-8 character is never split.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}
