//! The programme's pure parts: forms read into commands, and a change's consequences counted.

use catalogue::VenueSummary;
use jiff::civil::Date;
use proto::taxonomy::{Audience, DiscoveryTool, EventKind};
use proto::values::{PartnerId, VenueId};
use uuid::Uuid;
use views::Standing;

use super::changes::{Held, consequences};
use super::events::about_from;
use super::sessions::{place_value, session_from};
use crate::form::Fields;

fn form(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn gap() -> Vec<VenueSummary> {
    vec![VenueSummary {
        id: VenueId(Uuid::from_u128(9)),
        name: "EHPAD Les Marronniers".to_owned(),
        town: "Gap".to_owned(),
        insee_code: "05061".to_owned(),
        rooms: vec![(
            "salle-polyvalente".to_owned(),
            "Salle polyvalente".to_owned(),
        )],
    }]
}

const DAYS: (Date, Date) = (Date::constant(2027, 4, 12), Date::constant(2027, 4, 23));

#[test]
fn an_event_form_gives_its_description_or_every_error() {
    let about = about_from(
        &form(&[
            ("kind", "workshop"),
            ("title", "Atelier soin"),
            ("themes", "health_care"),
            ("audiences", "job_seekers"),
            ("audiences", "young_people"),
            ("discovery_tools", "virtual_reality"),
        ]),
        &[],
    )
    .expect("valid");
    assert_eq!(about.kind, EventKind::Workshop);
    assert_eq!(
        about.audiences,
        [Audience::JobSeekers, Audience::YoungPeople]
    );
    assert_eq!(about.discovery_tools, [DiscoveryTool::VirtualReality]);
    let errors = about_from(&form(&[("kind", "picnic"), ("themes", "gardening")]), &[])
        .expect_err("refused");
    assert_eq!(
        errors.keys().copied().collect::<Vec<_>>(),
        ["audiences", "kind", "themes", "title"]
    );
    assert!(errors["themes"].contains("gardening"));
}

#[test]
fn a_session_form_is_checked_against_the_edition_and_the_directory() {
    let placed = session_from(
        &form(&[
            ("date", "2027-04-13"),
            ("start", "09:00"),
            ("end", "12:00"),
            (
                "place",
                &place_value(VenueId(Uuid::from_u128(9)), "salle-polyvalente"),
            ),
            ("capacity", "30"),
        ]),
        DAYS,
        &gap(),
        true,
    )
    .expect("valid");
    assert_eq!(placed.starts, Date::constant(2027, 4, 13).at(9, 0, 0, 0));
    assert_eq!(placed.capacity, Some(30));
    let errors = session_from(
        &form(&[
            ("date", "2027-05-13"),
            ("start", "12:00"),
            ("end", "09:00"),
            (
                "place",
                &place_value(VenueId(Uuid::from_u128(9)), "cuisine"),
            ),
            ("capacity", "0"),
        ]),
        DAYS,
        &gap(),
        true,
    )
    .expect_err("refused");
    assert_eq!(
        errors.keys().copied().collect::<Vec<_>>(),
        ["capacity", "date", "end", "place"]
    );
    let moved = session_from(
        &form(&[
            ("date", "2027-04-14"),
            ("start", "14h"),
            ("end", "16h30"),
            (
                "place",
                &place_value(VenueId(Uuid::from_u128(9)), "salle-polyvalente"),
            ),
        ]),
        DAYS,
        &gap(),
        false,
    )
    .expect("no capacity asked for a move");
    assert_eq!(moved.capacity, None);
}

#[test]
fn consequences_count_seats_people_and_partners() {
    let held = |partner: &str, seats, status| Held {
        partner: PartnerId::parse(partner).expect("valid"),
        partner_name: Some(format!("Partenaire {partner}")),
        seats,
        status,
    };
    let c = consequences(&[
        held("mission-locale", 1, Standing::Confirmed),
        held("college-gap", 25, Standing::Confirmed),
        held("mission-locale", 1, Standing::Waiting),
        held("mission-locale", 1, Standing::Cancelled),
        held("france-travail", 1, Standing::Cancelled),
    ]);
    assert_eq!((c.confirmed, c.confirmed_seats), (2, 26));
    assert_eq!((c.waiting, c.waiting_seats, c.cancelled), (1, 1, 2));
    let told: Vec<_> = c.told().map(|(id, _)| id.as_str().to_owned()).collect();
    assert_eq!(
        told,
        ["college-gap", "mission-locale"],
        "not the one whose only registration is cancelled"
    );
    assert_eq!(
        c.partners[&PartnerId::parse("mission-locale").expect("valid")].waiting,
        1
    );
}
