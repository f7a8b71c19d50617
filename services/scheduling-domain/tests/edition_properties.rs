//! An edition on random histories: creations (reversed or too long dates, no organiser, an
//! organiser twice), date amendments, publication and closing, in any order. After every step: a
//! refusal is a typed [`EditionRefusal`] with its code, and records nothing; the events recorded
//! fold without panic and read back from their wire form; a created edition lasts 1 to 31 days,
//! has organisers, each once, and its status only moves forward (draft, published, closed); the
//! state survives its snapshot. No I/O.

use decider::Step;
use jiff::civil::{Date, date};
use proptest::prelude::*;
use proto::contract::EventContract;
use proto::scheduling::EditionStatus;
use proto::scheduling::edition::{AmendDates, Command, Create, Event};
use proto::values::{DepartementCode, Name, OrganiserId, TimeZoneName};
use scheduling_domain::{Edition, EditionRefusal, EditionState};

/// Days around the Hautes-Alpes week (15–26 April 2024): the same day, a week, a month and a
/// day, and before.
fn day() -> impl Strategy<Value = Date> {
    prop_oneof![
        Just(date(2024, 4, 15)),
        Just(date(2024, 4, 26)),
        Just(date(2024, 5, 15)),
        Just(date(2024, 5, 16)),
        Just(date(2024, 4, 1)),
    ]
}

fn organiser() -> impl Strategy<Value = OrganiserId> {
    prop_oneof![Just("dep-05"), Just("ddets-05")]
        .prop_map(|s| OrganiserId::parse(s).expect("valid"))
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        2 => (day(), day(), proptest::collection::vec(organiser(), 0..3)).prop_map(
            |(first_day, last_day, organisers)| Command::Create(Create {
                name: Name::parse("Semaine des métiers du social — Hautes-Alpes 2024")
                    .expect("valid"),
                territory: DepartementCode::parse("05").expect("valid"),
                first_day,
                last_day,
                time_zone: TimeZoneName::paris(),
                organisers,
            })
        ),
        2 => (day(), day()).prop_map(|(first_day, last_day)| {
            Command::AmendDates(AmendDates { first_day, last_day })
        }),
        1 => Just(Command::Publish),
        1 => Just(Command::Close),
    ]
}

fn rank(status: EditionStatus) -> u8 {
    match status {
        EditionStatus::Draft => 0,
        EditionStatus::Published => 1,
        EditionStatus::Closed => 2,
    }
}

fn check(step: Step<'_, Edition>) {
    let Step {
        before,
        command,
        outcome,
        after,
    } = step;
    match outcome {
        Err(refusal) => {
            let refusal: &EditionRefusal = refusal;
            assert!(!refusal.code().is_empty() && !refusal.to_string().is_empty());
            assert_eq!(after, before, "a refusal changes nothing");
            return;
        }
        Ok(events) => {
            for event in events {
                let wire = event.encode().expect("an event encodes");
                let read =
                    Event::decode(wire.event_type, wire.version, &wire.data).expect("and decodes");
                assert_eq!(&read, event, "an event reads back as recorded");
            }
        }
    }
    let snapshot = serde_json::to_string(after).expect("the state serialises");
    let read: EditionState = serde_json::from_str(&snapshot).expect("and reads back");
    assert_eq!(&read, after, "the snapshot reads back as the state");
    let Some(edition) = &after.created else {
        return;
    };
    let days = edition
        .first_day
        .until(edition.last_day)
        .expect("a span")
        .get_days();
    assert!(
        (0..31).contains(&days),
        "an edition of {} days, after {command:?}",
        days + 1
    );
    let mut organisers = edition.organisers.clone();
    organisers.sort();
    organisers.dedup();
    assert!(!organisers.is_empty(), "an edition without organisers");
    assert_eq!(
        organisers.len(),
        edition.organisers.len(),
        "an organiser listed twice"
    );
    if let Some(was) = &before.created {
        assert!(
            rank(edition.status) >= rank(was.status),
            "{command:?} moved the status back"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_history_keeps_the_edition_rules(
        commands in proptest::collection::vec(command(), 1..12),
    ) {
        decider::run::<Edition>(&commands, check);
    }
}
