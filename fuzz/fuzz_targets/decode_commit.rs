//! Fuzzes how every reader of the log decodes a stored message: [`Commit::from_message`] (the
//! format header and the body), then each event's payload by every event family
//! ([`EventContract::decode`], with its upcasting).
//!
//! An input is a message: the format header's value, a line feed, the body (no line feed: no
//! header). Whatever the bytes, decoding returns a value or a typed error and never panics. What
//! decodes must round-trip: a commit written again reads back equal, and so does each event
//! encoded again at today's version. The seeds are the committed fixtures of `proto/fixtures/`,
//! wrapped into messages by `scripts/fuzz`.

#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use proto::contract::EventContract;
use proto::headers::COMMIT_FORMAT_V1;
use proto::{Commit, StoredEvent};

fuzz_target!(|message: &[u8]| {
    let (format, body) = match message.iter().position(|byte| *byte == b'\n') {
        Some(end) => (
            std::str::from_utf8(&message[..end]).ok(),
            &message[end + 1..],
        ),
        None => (None, message),
    };
    let Ok(commit) = Commit::from_message(format, body) else {
        return;
    };
    let written = serde_json::to_vec(&commit).expect("a decoded commit is written again");
    let again = Commit::from_message(Some(COMMIT_FORMAT_V1), &written)
        .expect("a commit written again reads back");
    assert_eq!(again, commit, "a commit written again reads back equal");
    for stored in &commit.events {
        round_trip::<proto::scheduling::edition::Event>(stored);
        round_trip::<proto::scheduling::event::Event>(stored);
        round_trip::<proto::venues::Event>(stored);
        round_trip::<proto::registration::session::Event>(stored);
        round_trip::<proto::registration::agenda::Event>(stored);
        round_trip::<proto::registration::partner::Event>(stored);
        round_trip::<proto::webhooks::Event>(stored);
        round_trip::<proto::jobdating::Event>(stored);
    }
});

/// Decodes `stored` as an event of family `F`; one that decodes is encoded at today's version and
/// must decode to the same event.
fn round_trip<F: EventContract + PartialEq + Debug>(stored: &StoredEvent) {
    let Ok(event) = F::decode(&stored.event_type, stored.version, &stored.data) else {
        return;
    };
    let wire = event.encode().expect("a decoded event is encoded again");
    let again = F::decode(wire.event_type, wire.version, &wire.data)
        .expect("an event encoded again decodes");
    assert_eq!(again, event, "an event encoded again decodes equal");
}
