//! The rules of an edition, as given/when/then tables on the Hautes-Alpes week of April 2024.

use decider::{Decider, Spec};
use jiff::civil::{Date, date};
use proto::scheduling::EditionStatus;
use proto::scheduling::edition::{
    AmendDates, Closed, Command, Create, Created, DatesAmended, Event, Published,
};
use proto::values::{DepartementCode, EditionId, Name, OrganiserId, TimeZoneName};
use scheduling_domain::{Edition, EditionFacts, EditionRefusal, EditionState};
use uuid::Uuid;

// ---- Helpers ----------------------------------------------------------------------------------

fn edition_id() -> EditionId {
    EditionId(Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_00ed))
}

fn organiser(slug: &str) -> OrganiserId {
    OrganiserId::parse(slug).expect("valid")
}

/// The Hautes-Alpes week, 15–26 April 2024, run by the département, between `first` and `last`.
fn create_between(first_day: Date, last_day: Date) -> Create {
    Create {
        name: Name::parse("Semaine des métiers du social — Hautes-Alpes 2024").expect("valid"),
        territory: DepartementCode::parse("05").expect("valid"),
        first_day,
        last_day,
        time_zone: TimeZoneName::paris(),
        organisers: vec![organiser("dep-05"), organiser("ddets-05")],
    }
}

fn create() -> Create {
    create_between(date(2024, 4, 15), date(2024, 4, 26))
}

fn created() -> Event {
    let c = create();
    Event::Created(Created {
        name: c.name,
        territory: c.territory,
        first_day: c.first_day,
        last_day: c.last_day,
        time_zone: c.time_zone,
        organisers: c.organisers,
    })
}

fn amend(first_day: Date, last_day: Date) -> Command {
    Command::AmendDates(AmendDates {
        first_day,
        last_day,
    })
}

fn published() -> Event {
    Event::Published(Published {})
}

fn closed() -> Event {
    Event::Closed(Closed {})
}

// ---- Create -----------------------------------------------------------------------------------

#[test]
fn an_edition_is_created_as_asked() {
    Spec::<Edition>::given([])
        .when(Command::Create(create()))
        .then([created()]);
}

#[test]
fn a_one_day_edition_is_created() {
    let day = date(2024, 11, 28);
    let mut command = create_between(day, day);
    command.organisers = vec![organiser("dep-94")];
    let Event::Created(mut event) = created() else {
        unreachable!("created() is a Created")
    };
    event.first_day = day;
    event.last_day = day;
    event.organisers = vec![organiser("dep-94")];
    Spec::<Edition>::given([])
        .when(Command::Create(command))
        .then([Event::Created(event)]);
}

#[test]
fn an_edition_is_created_once() {
    Spec::<Edition>::given([created()])
        .when(Command::Create(create()))
        .then_error(EditionRefusal::AlreadyCreated);
}

#[test]
fn an_edition_does_not_end_before_it_starts() {
    Spec::<Edition>::given([])
        .when(Command::Create(create_between(
            date(2024, 4, 26),
            date(2024, 4, 15),
        )))
        .then_error(EditionRefusal::LastDayBeforeFirstDay {
            first_day: date(2024, 4, 26),
            last_day: date(2024, 4, 15),
        });
}

#[test]
fn an_edition_is_held_between_2000_and_2100() {
    for (first, last, wrong) in [
        (date(0, 1, 1), date(0, 1, 2), date(0, 1, 1)),
        (date(9999, 1, 1), date(9999, 1, 2), date(9999, 1, 1)),
        (date(2100, 12, 31), date(2101, 1, 1), date(2101, 1, 1)),
        (date(1999, 12, 31), date(2000, 1, 1), date(1999, 12, 31)),
    ] {
        Spec::<Edition>::given([])
            .when(Command::Create(create_between(first, last)))
            .then_error(EditionRefusal::DayOutOfRange { day: wrong });
    }
    Spec::<Edition>::given([created()])
        .when(Command::AmendDates(AmendDates {
            first_day: date(2024, 4, 15),
            last_day: date(9999, 4, 26),
        }))
        .then_error(EditionRefusal::DayOutOfRange {
            day: date(9999, 4, 26),
        });
    assert_eq!(
        EditionRefusal::DayOutOfRange { day: date(0, 1, 1) }.code(),
        "day-out-of-range"
    );
}

#[test]
fn an_edition_lasts_at_most_31_days() {
    let accepted = create_between(date(2024, 3, 1), date(2024, 3, 31));
    let Event::Created(mut event) = created() else {
        unreachable!("created() is a Created")
    };
    event.first_day = date(2024, 3, 1);
    event.last_day = date(2024, 3, 31);
    Spec::<Edition>::given([])
        .when(Command::Create(accepted))
        .then([Event::Created(event)]);

    Spec::<Edition>::given([])
        .when(Command::Create(create_between(
            date(2024, 3, 1),
            date(2024, 4, 1),
        )))
        .then_error(EditionRefusal::TooLong {
            first_day: date(2024, 3, 1),
            last_day: date(2024, 4, 1),
            days: 32,
        });
}

#[test]
fn an_edition_has_an_organiser() {
    let mut nobody = create();
    nobody.organisers.clear();
    Spec::<Edition>::given([])
        .when(Command::Create(nobody))
        .then_error(EditionRefusal::NoOrganiser);
}

#[test]
fn an_organiser_is_named_once() {
    let mut twice = create();
    twice.organisers.push(organiser("dep-05"));
    Spec::<Edition>::given([])
        .when(Command::Create(twice))
        .then_error(EditionRefusal::DuplicateOrganiser {
            organiser: organiser("dep-05"),
        });
}

// ---- AmendDates -------------------------------------------------------------------------------

#[test]
fn the_days_move() {
    Spec::<Edition>::given([created(), published()])
        .when(amend(date(2024, 4, 15), date(2024, 4, 27)))
        .then([Event::DatesAmended(DatesAmended {
            first_day: date(2024, 4, 15),
            last_day: date(2024, 4, 27),
        })]);
}

#[test]
fn moving_the_days_to_the_same_days_records_nothing() {
    Spec::<Edition>::given([created()])
        .when(amend(date(2024, 4, 15), date(2024, 4, 26)))
        .then([]);
}

#[test]
fn the_days_of_a_missing_edition_do_not_move() {
    Spec::<Edition>::given([])
        .when(amend(date(2024, 4, 15), date(2024, 4, 27)))
        .then_error(EditionRefusal::NotCreated);
}

#[test]
fn the_days_of_a_closed_edition_do_not_move() {
    Spec::<Edition>::given([created(), published(), closed()])
        .when(amend(date(2024, 4, 15), date(2024, 4, 27)))
        .then_error(EditionRefusal::Closed);
}

#[test]
fn moved_days_follow_the_same_rules() {
    Spec::<Edition>::given([created()])
        .when(amend(date(2024, 4, 27), date(2024, 4, 26)))
        .then_error(EditionRefusal::LastDayBeforeFirstDay {
            first_day: date(2024, 4, 27),
            last_day: date(2024, 4, 26),
        });
    Spec::<Edition>::given([created()])
        .when(amend(date(2024, 4, 15), date(2024, 5, 31)))
        .then_error(EditionRefusal::TooLong {
            first_day: date(2024, 4, 15),
            last_day: date(2024, 5, 31),
            days: 47,
        });
}

// ---- Publish ----------------------------------------------------------------------------------

#[test]
fn a_draft_is_published() {
    Spec::<Edition>::given([created()])
        .when(Command::Publish)
        .then([published()]);
}

#[test]
fn publishing_twice_records_nothing() {
    Spec::<Edition>::given([created(), published()])
        .when(Command::Publish)
        .then([]);
}

#[test]
fn a_missing_edition_is_not_published() {
    Spec::<Edition>::given([])
        .when(Command::Publish)
        .then_error(EditionRefusal::NotCreated);
}

#[test]
fn a_closed_edition_is_not_published() {
    Spec::<Edition>::given([created(), closed()])
        .when(Command::Publish)
        .then_error(EditionRefusal::Closed);
}

// ---- Close ------------------------------------------------------------------------------------

#[test]
fn a_published_edition_is_closed() {
    Spec::<Edition>::given([created(), published()])
        .when(Command::Close)
        .then([closed()]);
}

#[test]
fn a_draft_is_closed() {
    Spec::<Edition>::given([created()])
        .when(Command::Close)
        .then([closed()]);
}

#[test]
fn closing_twice_records_nothing() {
    Spec::<Edition>::given([created(), published(), closed()])
        .when(Command::Close)
        .then([]);
}

#[test]
fn a_missing_edition_is_not_closed() {
    Spec::<Edition>::given([])
        .when(Command::Close)
        .then_error(EditionRefusal::NotCreated);
}

// ---- State and facts --------------------------------------------------------------------------

#[test]
fn the_facts_follow_the_edition() {
    assert_eq!(EditionState::default().facts(edition_id()), None);

    let history = [
        created(),
        Event::DatesAmended(DatesAmended {
            first_day: date(2024, 4, 15),
            last_day: date(2024, 4, 27),
        }),
        published(),
    ];
    assert_eq!(
        Edition::fold(&history).facts(edition_id()),
        Some(EditionFacts {
            id: edition_id(),
            status: EditionStatus::Published,
            first_day: date(2024, 4, 15),
            last_day: date(2024, 4, 27),
            time_zone: TimeZoneName::paris(),
        })
    );

    let closed_history = [created(), published(), closed()];
    let facts = Edition::fold(&closed_history)
        .facts(edition_id())
        .expect("created");
    assert_eq!(facts.status, EditionStatus::Closed);
}

#[test]
fn the_state_survives_a_snapshot() {
    let state = Edition::fold(&[created(), published()]);
    let json = serde_json::to_string(&state).expect("written");
    let read: EditionState = serde_json::from_str(&json).expect("read");
    assert_eq!(read, state);
}

// ---- Refusals ---------------------------------------------------------------------------------

#[test]
fn refusals_have_stable_codes_and_say_what_is_allowed() {
    let too_long = EditionRefusal::TooLong {
        first_day: date(2024, 3, 1),
        last_day: date(2024, 4, 1),
        days: 32,
    };
    assert_eq!(too_long.code(), "edition-too-long");
    assert_eq!(
        too_long.to_string(),
        "from 2024-03-01 to 2024-04-01 is 32 days; an edition is a week or a day and lasts at most 31 days"
    );
    let table = [
        (EditionRefusal::AlreadyCreated, "edition-already-created"),
        (EditionRefusal::NotCreated, "edition-not-created"),
        (
            EditionRefusal::LastDayBeforeFirstDay {
                first_day: date(2024, 4, 26),
                last_day: date(2024, 4, 15),
            },
            "last-day-before-first-day",
        ),
        (EditionRefusal::NoOrganiser, "no-organiser"),
        (
            EditionRefusal::DuplicateOrganiser {
                organiser: organiser("dep-05"),
            },
            "duplicate-organiser",
        ),
        (EditionRefusal::Closed, "edition-closed"),
    ];
    for (refusal, code) in table {
        assert_eq!(refusal.code(), code);
        assert!(!refusal.to_string().is_empty());
    }
    assert_eq!(
        EditionRefusal::LastDayBeforeFirstDay {
            first_day: date(2024, 4, 26),
            last_day: date(2024, 4, 15),
        }
        .to_string(),
        "the last day (2024-04-15) is before the first (2024-04-26); it may be the same day or later"
    );
}
