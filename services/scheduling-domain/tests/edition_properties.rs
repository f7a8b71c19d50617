//! An edition on random histories: creations (reversed or too long dates, no organiser, an
//! organiser twice), date amendments, publication and closing, in any order. After every step:
//! the laws every decider keeps (`decider::laws`: a refusal is a typed [`EditionRefusal`] with its
//! code, and records nothing; the events recorded fold without panic and read back from their
//! wire form; the state survives its snapshot); a created edition lasts 1 to 31 days, has
//! organisers, each once, and its status only moves forward (draft, published, closed). No I/O.

use decider::Step;
use jiff::civil::{Date, date};
use proptest::prelude::*;
use proto::scheduling::EditionStatus;
use proto::scheduling::edition::{AmendDates, Command, Create};
use proto::values::{DepartementCode, Name, OrganiserId, TimeZoneName};
use scheduling_domain::{Edition, EditionRefusal};

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

/// The edition's own rules after an accepted step.
fn check(step: Step<'_, Edition>) {
    let Some((before, command, _, after)) = step.accepted() else {
        return;
    };
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

#[test]
fn every_history_keeps_the_edition_rules() {
    let histories = proptest::collection::vec(command(), 1..12);
    decider::laws::every_history::<Edition>(256, histories, EditionRefusal::code, check);
}
