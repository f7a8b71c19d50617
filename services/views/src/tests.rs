//! Unit tests of the fold and the queries, without NATS: stored events built here (given events)
//! are folded into memory through the same [`catalogue::shared::Rows`] trait the runner's view implements, in
//! several orders across streams, then written to a temporary sled store and read (then rows).
//! The calendar and the CSV are read back by an iCalendar parser and a CSV reader.

use std::collections::BTreeMap;

use jiff::civil::{DateTime, date};
use proto::registration::partner::{self, PartnerKind};
use proto::registration::session::{self as seats, Event as Seats};
use proto::registration::{
    AgeBand, Attendee, CancelledBy, ParticipantId, Profile, RegistrationId, SealedIdentity,
    SessionFacts,
};
use proto::scheduling::event::{self, About, Event as Programme};
use proto::taxonomy::{Audience, EventKind, Theme};
use proto::values::*;
use proto::venues::{self as venue, Event as Venue};
use proto::{Actor, StoredEvent};
use uuid::Uuid;

use crate::fold::fold;
use crate::rows::Scope;
use crate::*;
use catalogue::shared::testing::{self, Memory, name, paris, stored};

const ALL: Scope = Scope {
    identities: true,
    partner_indexes: true,
    hosting: true,
    jobdating: true,
};

/// The rows of `events` a view with `scope` keeps, folded into memory in their order.
fn folded<'a>(scope: Scope, events: impl IntoIterator<Item = &'a StoredEvent>) -> Memory {
    let mut memory = Memory::default();
    for event in events {
        fold(&mut memory, scope, event).expect("applies");
    }
    memory
}

/// 12 April 2027 at `hour` UTC, plus `day` days.
fn at(day: i64, hour: u8) -> time::OffsetDateTime {
    time::OffsetDateTime::UNIX_EPOCH
        + time::Duration::seconds(1_807_488_000 + day * 86_400 + i64::from(hour) * 3_600)
}

const EDITION: EditionId = EditionId(Uuid::from_u128(0xe1));
const WORKSHOP: EventId = EventId(Uuid::from_u128(0xa1));
const GAP: VenueId = VenueId(Uuid::from_u128(0xb1));
/// Tuesday 13 at 09:00, 3 seats.
const S1: SessionId = SessionId(Uuid::from_u128(0x51));
/// Wednesday 14 at 14:00, 2 seats.
const S2: SessionId = SessionId(Uuid::from_u128(0x52));

fn tue(h: i8) -> DateTime {
    date(2027, 4, 13).at(h, 0, 0, 0)
}

fn wed(h: i8) -> DateTime {
    date(2027, 4, 14).at(h, 0, 0, 0)
}

fn scheduled(session: SessionId, starts: DateTime, ends: DateTime) -> Programme {
    testing::scheduled(session, GAP, starts, ends, 3)
}

/// The `SCHEDULING` stream.
fn scheduling() -> Vec<StoredEvent> {
    let w = |e: Programme| stored(format!("sched.event.{WORKSHOP}"), at(0, 8), e);
    vec![
        stored(
            format!("sched.edition.{EDITION}"),
            at(0, 7),
            testing::created(),
        ),
        w(Programme::Added(event::Added {
            edition: EDITION,
            about: About {
                kind: EventKind::Workshop,
                title: name("Atelier soin, grand âge; et métiers"),
                description: Description::default(),
                themes: vec![Theme::HealthCare, Theme::ElderlyAutonomy],
                audiences: vec![Audience::JobSeekers, Audience::YoungPeople],
                restricted_to: Vec::new(),
                discovery_tools: Vec::new(),
                partners: Vec::new(),
            },
        })),
        w(scheduled(S1, tue(9), tue(11))),
        w(scheduled(S2, wed(14), wed(16))),
    ]
}

/// The `VENUES` stream.
fn venues() -> Vec<StoredEvent> {
    let v = |e: Venue| stored(format!("venue.venue.{GAP}"), at(0, 9), e);
    let asked = |session: SessionId, starts: DateTime, ends: DateTime| {
        Venue::HostingRequested(venue::RequestHosting {
            session,
            event: WORKSHOP,
            request: 1,
            room: RoomId::parse("salle").expect("valid"),
            starts_at: paris(starts),
            ends_at: paris(ends),
            capacity_wanted: 3,
        })
    };
    vec![
        v(testing::registered(
            "EHPAD Les Marronniers",
            "12 rue des Alpes",
            "05000",
            "Gap",
            "05061",
        )),
        v(asked(S1, tue(9), tue(11))),
        v(asked(S2, wed(14), wed(16))),
        v(Venue::HostingConfirmed(venue::HostingCapacity {
            session: S1,
            event: WORKSHOP,
            request: 1,
            capacity: 3,
        })),
    ]
}

fn registration(n: u128) -> RegistrationId {
    RegistrationId(Uuid::from_u128(
        0x0196_0000_0000_7000_8000_0000_0000_0000 + n,
    ))
}

fn partner_id(slug: &str) -> PartnerId {
    PartnerId::parse(slug).expect("valid")
}

fn registered(n: u128, partner: &str, size: u32, audience: Audience) -> seats::Registered {
    seats::Registered {
        registration: registration(n),
        partner: partner_id(partner),
        participant: ParticipantId(Uuid::from_u128(0x9000 + n)),
        attendee: if size == 1 {
            Attendee::Person {}
        } else {
            Attendee::Group { size }
        },
        profile: Profile {
            audience,
            age_band: AgeBand::From16To25,
            town: n
                .is_multiple_of(2)
                .then(|| InseeCode::parse("05046").expect("valid")),
        },
        identity: SealedIdentity {
            key: ParticipantId(Uuid::from_u128(0x9000 + n)),
            nonce: String::new(),
            ciphertext: String::new(),
        },
        reserved: None,
    }
}

fn by_id(n: u128, partner: &str) -> seats::Registration {
    seats::Registration {
        registration: registration(n),
        partner: partner_id(partner),
    }
}

/// The `REGISTRATION` stream: partners, then S1 (3 seats) and S2 (2 seats).
///
/// S1: 1 (ft, job seeker) and 2 (ml, group of 2) confirmed on Monday 12; 3 (ml) waits on
/// Tuesday 13 at 06:00 UTC; 1 cancels, 3 is promoted; 2 is checked in with 1 present; the session
/// ends with 3 a no-show. S2: 4 (ft) confirmed on Monday at 23:30 UTC (Tuesday in Paris).
fn registrations() -> Vec<StoredEvent> {
    let s1 = |when, e: Seats| stored(format!("reg.session.{S1}"), when, e);
    let s2 = |when, e: Seats| stored(format!("reg.session.{S2}"), when, e);
    let facts = |starts, ends| SessionFacts {
        edition: EDITION,
        starts_at: paris(starts),
        ends_at: paris(ends),
        restricted_to: Vec::new(),
    };
    let declared = |slug: &str, label: &str| {
        stored(
            format!("reg.partner.{slug}"),
            at(0, 6),
            partner::Event::Declared(partner::Declared {
                name: name(label),
                kind: PartnerKind::Other,
            }),
        )
    };
    let late_monday = at(0, 23) + time::Duration::minutes(30);
    vec![
        declared("ft", "France Travail Gap"),
        declared("ml", "Mission locale"),
        s1(
            at(0, 9),
            Seats::CapacitySet(seats::CapacitySet {
                capacity: 3,
                facts: facts(tue(9), tue(11)),
            }),
        ),
        s1(
            at(0, 10),
            Seats::Confirmed(registered(1, "ft", 1, Audience::JobSeekers)),
        ),
        s1(
            at(0, 11),
            Seats::Confirmed(registered(2, "ml", 2, Audience::YoungPeople)),
        ),
        s1(
            at(1, 6),
            Seats::Waitlisted(registered(3, "ml", 1, Audience::YoungPeople)),
        ),
        s1(
            at(1, 6),
            Seats::Cancelled(seats::Cancelled {
                registration: registration(1),
                partner: partner_id("ft"),
                by: CancelledBy::Partner,
                reason: None,
            }),
        ),
        s1(at(1, 6), Seats::Promoted(by_id(3, "ml"))),
        s1(
            at(1, 7),
            Seats::CheckedIn(seats::CheckedIn {
                registration: registration(2),
                present: 1,
            }),
        ),
        s1(
            at(1, 10),
            Seats::Ended(seats::Ended {
                no_shows: vec![registration(3)],
            }),
        ),
        s2(
            at(0, 9),
            Seats::CapacitySet(seats::CapacitySet {
                capacity: 2,
                facts: facts(wed(14), wed(16)),
            }),
        ),
        s2(
            late_monday,
            Seats::Confirmed(registered(4, "ft", 1, Audience::JobSeekers)),
        ),
    ]
}

/// The three streams in several interleavings: each stream in order, the streams in any order.
fn orders() -> Vec<Vec<StoredEvent>> {
    let (s, v, r) = (scheduling(), venues(), registrations());
    let concat = |parts: [&Vec<StoredEvent>; 3]| parts.into_iter().flatten().cloned().collect();
    let mut zipped = Vec::new();
    for i in 0..r.len() {
        for stream in [&r, &v, &s] {
            if let Some(e) = stream.get(i) {
                zipped.push(e.clone());
            }
        }
    }
    vec![
        concat([&s, &v, &r]),
        concat([&r, &v, &s]),
        concat([&v, &r, &s]),
        zipped,
    ]
}

/// Folds every order and checks they agree; the store of the first.
fn world(scope: Scope) -> sled::Db {
    let all = orders();
    let first = folded(scope, &all[0]);
    for order in &all[1..] {
        assert_eq!(folded(scope, order), first, "the order changed the rows");
    }
    first.db().expect("temporary store")
}

#[test]
fn the_order_of_the_streams_does_not_change_any_view() {
    world(ALL);
    world(PartnerView::SCOPE);
    world(VenueView::SCOPE);
    world(Statistics::SCOPE);
}

#[test]
fn a_registration_keeps_its_history_and_session() {
    let db = world(PartnerView::SCOPE);
    let promoted = partners::registration(&db, registration(3))
        .expect("reads")
        .expect("found");
    let steps: Vec<_> = promoted.history.iter().map(|d| d.step.clone()).collect();
    assert_eq!(steps, vec![Step::Waiting, Step::Promoted, Step::NoShow]);
    assert_eq!(promoted.status, Standing::Confirmed);
    assert!(promoted.no_show);
    assert_eq!(promoted.partner_name.as_deref(), Some("Mission locale"));
    assert_eq!(
        promoted.session.venue_name.as_deref(),
        Some("EHPAD Les Marronniers")
    );
    assert_eq!(promoted.session.starts_local, Some(tue(9)));
    assert_eq!(promoted.session.time_zone.as_deref(), Some("Europe/Paris"));
    assert!(promoted.sealed.is_some());

    let cancelled = partners::registration(&db, registration(1))
        .expect("reads")
        .expect("found");
    assert_eq!(cancelled.status, Standing::Cancelled);
    assert_eq!(
        cancelled.history.last().map(|d| d.step.clone()),
        Some(Step::Cancelled {
            by: CancelledBy::Partner,
            reason: None
        })
    );
    let group = partners::registration(&db, registration(2))
        .expect("reads")
        .expect("found");
    assert_eq!(
        (group.seats, group.group, group.present),
        (2, true, Some(1))
    );
    assert!(
        partners::registration(&db, registration(99))
            .expect("reads")
            .is_none()
    );
}

#[test]
fn a_partner_lists_its_own_registrations_page_by_page() {
    let db = world(PartnerView::SCOPE);
    let mut query = RegistrationQuery {
        partner: Some(partner_id("ml")),
        limit: 1,
        ..RegistrationQuery::default()
    };
    let first = partners::registrations(&db, &query).expect("reads");
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.items[0].registration, registration(2));
    query.after = first.next;
    let second = partners::registrations(&db, &query).expect("reads");
    assert_eq!(second.items[0].registration, registration(3));
    assert_eq!(second.next, None);

    // Filters apply together; the other partner's never appear.
    let ft = partners::registrations(
        &db,
        &RegistrationQuery {
            partner: Some(partner_id("ft")),
            status: Some(Standing::Confirmed),
            ..RegistrationQuery::default()
        },
    )
    .expect("reads");
    let ids: Vec<_> = ft.items.iter().map(|r| r.registration).collect();
    assert_eq!(ids, vec![registration(4)]);
    let of_s1 = partners::registrations(
        &db,
        &RegistrationQuery {
            session: Some(S1),
            ..RegistrationQuery::default()
        },
    )
    .expect("reads");
    assert_eq!(of_s1.items.len(), 3);
    let by_edition = partners::registrations(
        &db,
        &RegistrationQuery {
            edition: Some(EDITION),
            ..RegistrationQuery::default()
        },
    )
    .expect("reads");
    assert_eq!(by_edition.items.len(), 4);
    let bad = partners::registrations(
        &db,
        &RegistrationQuery {
            after: Some(Cursor::new("zz")),
            ..RegistrationQuery::default()
        },
    );
    assert!(matches!(bad, Err(ViewError::InvalidCursor(_))));

    let participant =
        partners::participant(&db, ParticipantId(Uuid::from_u128(0x9002))).expect("reads");
    assert_eq!(participant.len(), 1);
}

/// An organiser lists an edition's registrations oldest first, page by page, across its
/// sessions: the view keeps no index by edition, so the sessions' lists are merged.
#[test]
fn an_edition_lists_its_registrations_across_sessions_page_by_page() {
    // Twelve more registrations, alternating irregularly between the two sessions, so that
    // neither session's list is a run of the edition's.
    let mut events = [scheduling(), venues(), registrations()].concat();
    for n in 10..22u128 {
        let session = if n % 3 == 0 { S2 } else { S1 };
        events.push(stored(
            format!("reg.session.{session}"),
            at(2, 8),
            Seats::Confirmed(registered(n, "ft", 1, Audience::JobSeekers)),
        ));
    }
    let db = folded(PartnerView::SCOPE, &events)
        .db()
        .expect("temporary store");
    let expected: Vec<RegistrationId> = [1, 2, 3, 4]
        .into_iter()
        .chain(10..22)
        .map(registration)
        .collect();
    for limit in [1, 4, 5, 100] {
        let mut query = RegistrationQuery {
            edition: Some(EDITION),
            limit,
            ..RegistrationQuery::default()
        };
        let mut listed = Vec::new();
        loop {
            let page = partners::registrations(&db, &query).expect("reads");
            assert!(page.items.len() <= limit);
            listed.extend(page.items.iter().map(|r| r.registration));
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
        assert_eq!(listed, expected, "pages of {limit}");
    }
    // With a filter, a page skips what does not match (only registration 1 was cancelled).
    let cancelled = partners::registrations(
        &db,
        &RegistrationQuery {
            edition: Some(EDITION),
            status: Some(Standing::Cancelled),
            limit: 1,
            ..RegistrationQuery::default()
        },
    )
    .expect("reads");
    let ids: Vec<_> = cancelled.items.iter().map(|r| r.registration).collect();
    assert_eq!((ids, cancelled.next), (vec![registration(1)], None));
    let elsewhere = partners::registrations(
        &db,
        &RegistrationQuery {
            edition: Some(EditionId(Uuid::from_u128(0xe2))),
            ..RegistrationQuery::default()
        },
    )
    .expect("reads");
    assert!(elsewhere.items.is_empty());
}

#[test]
fn a_venue_sees_its_requests_and_the_confirmed_attendance() {
    let db = world(VenueView::SCOPE);
    let all = venues::hosting(&db, GAP, None).expect("reads");
    assert_eq!(
        all.iter()
            .map(|h| (h.session, h.status))
            .collect::<Vec<_>>(),
        vec![
            (S1, HostingStatus::Confirmed),
            (S2, HostingStatus::Requested)
        ]
    );
    assert_eq!(
        all[0].title.as_deref(),
        Some("Atelier soin, grand âge; et métiers")
    );
    let awaiting = venues::hosting(&db, GAP, Some(HostingStatus::Requested)).expect("reads");
    assert_eq!(awaiting.len(), 1);
    assert!(
        venues::hosting(&db, VenueId(Uuid::from_u128(0xb2)), None)
            .expect("reads")
            .is_empty()
    );

    let list = venues::attendance(&db, S1).expect("reads");
    let lines: Vec<_> = list
        .iter()
        .map(|a| (a.registration, a.seats, a.present, a.checked_in, a.no_show))
        .collect();
    assert_eq!(
        lines,
        vec![
            (registration(2), 2, 1, true, false),
            (registration(3), 1, 0, false, true)
        ]
    );
    assert_eq!(list[0].partner_name.as_deref(), Some("Mission locale"));
}

#[test]
fn an_editions_statistics_count_people_fill_rates_no_shows_and_days() {
    let db = world(Statistics::SCOPE);
    let stats = statistics::statistics(&db, EDITION)
        .expect("reads")
        .expect("found");
    let totals = stats.totals;
    assert_eq!(totals.sessions, 2);
    assert_eq!(totals.registrations_made, 4);
    // Confirmed now: the group of 2 and 3 in S1, 4 in S2.
    assert_eq!(
        (
            totals.reached.registrations,
            totals.reached.people,
            totals.reached.present
        ),
        (3, 4, 1)
    );
    assert_eq!((totals.waiting, totals.cancelled), (0, 1));
    assert_eq!((totals.no_shows, totals.no_show_people), (1, 1));
    let people = |map: &BTreeMap<String, statistics::Reached>, key: &str| {
        map.get(key).map(|r| (r.registrations, r.people, r.present))
    };
    assert_eq!(people(&stats.by_audience, "young_people"), Some((2, 3, 1)));
    assert_eq!(people(&stats.by_audience, "job_seekers"), Some((1, 1, 0)));
    assert_eq!(people(&stats.by_theme, "health_care"), Some((3, 4, 1)));
    assert_eq!(people(&stats.by_theme, "elderly_autonomy"), Some((3, 4, 1)));
    assert_eq!(people(&stats.by_town, "Gap"), Some((3, 4, 1)));
    assert_eq!(people(&stats.by_home_town, "05046"), Some((2, 3, 1)));
    assert_eq!(people(&stats.by_home_town, "unknown"), Some((1, 1, 0)));
    assert_eq!(people(&stats.by_kind, "workshop"), Some((3, 4, 1)));
    assert_eq!(people(&stats.by_partner, "ml"), Some((2, 3, 1)));
    assert_eq!(people(&stats.by_partner, "ft"), Some((1, 1, 0)));

    let fill: Vec<_> = stats
        .sessions
        .iter()
        .map(|s| (s.session, s.confirmed_seats, s.fill_rate, s.no_shows))
        .collect();
    assert_eq!(fill, vec![(S1, 3, Some(1.0), 1), (S2, 1, Some(0.5), 0)]);

    // In Paris, Monday 23:30 UTC is Tuesday.
    let days: Vec<_> = stats
        .registrations_per_day
        .iter()
        .map(|d| (d.day, d.registrations, d.people, d.cumulative))
        .collect();
    assert_eq!(
        days,
        vec![(date(2027, 4, 12), 2, 3, 2), (date(2027, 4, 13), 2, 2, 4)]
    );
    assert!(
        statistics::statistics(&db, EditionId(Uuid::from_u128(0xe9)))
            .expect("reads")
            .is_none()
    );
}

#[test]
fn the_statistics_keep_no_identity() {
    let db = world(Statistics::SCOPE);
    let s1 = partners::of_session(&db, S1).expect("reads");
    assert!(s1.iter().all(|r| r.sealed.is_none()));
}

#[test]
fn lines_are_folded_at_75_octets_without_splitting_a_character() {
    let long = format!("SUMMARY:{}", "é".repeat(60));
    let folded = ics::fold(&long);
    for line in folded.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
    }
    let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
    assert_eq!(unfolded, long);
    assert_eq!(ics::escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
}

fn entry(n: u128, when: ics::When, status: ics::EntryStatus) -> ics::Entry {
    ics::Entry {
        uid: ics::uid(registration(n).0, S1.0),
        stamp: paris(tue(8)),
        sequence: 2,
        when,
        summary: "Atelier soin, grand âge; et métiers — une très longue journée de découverte des métiers".into(),
        location: Some("EHPAD Les Marronniers, 12 rue des Alpes, 05000 Gap".into()),
        description: None,
        status,
    }
}

#[test]
fn a_calendar_reads_back_with_its_uids_times_and_zone() {
    let entries = vec![
        entry(
            1,
            ics::When::Local {
                zone: "Europe/Paris".into(),
                starts: tue(9),
                ends: tue(11),
            },
            ics::EntryStatus::Confirmed,
        ),
        entry(
            2,
            ics::When::Utc {
                starts: paris(wed(14)),
                ends: paris(wed(16)),
            },
            ics::EntryStatus::Cancelled,
        ),
    ];
    let text = ics::calendar("Agenda", &entries);
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "only CRLF ends lines"
    );
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{line:?}");
    }
    let mut parser = ical::IcalParser::new(text.as_bytes());
    let calendar = parser.next().expect("one calendar").expect("parses");
    assert!(parser.next().is_none());
    let property = |props: &[ical::property::Property], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(calendar.timezones.len(), 1);
    let zone = &calendar.timezones[0];
    assert_eq!(
        property(&zone.properties, "TZID").value.as_deref(),
        Some("Europe/Paris")
    );
    // The observance in force in April 2027 is summer time, from 28 March.
    let summer = zone
        .transitions
        .iter()
        .find(|t| {
            t.properties
                .iter()
                .any(|p| p.name == "DTSTART" && p.value.as_deref() == Some("20270328T020000"))
        })
        .expect("the spring transition");
    assert_eq!(
        property(&summer.properties, "TZOFFSETTO").value.as_deref(),
        Some("+0200")
    );

    assert_eq!(calendar.events.len(), 2);
    let first = &calendar.events[0];
    assert_eq!(
        property(&first.properties, "UID").value,
        Some(ics::uid(registration(1).0, S1.0))
    );
    let start = property(&first.properties, "DTSTART");
    assert_eq!(start.value.as_deref(), Some("20270413T090000"));
    assert_eq!(
        start.params,
        Some(vec![("TZID".to_owned(), vec!["Europe/Paris".to_owned()])])
    );
    assert_eq!(
        property(&first.properties, "SUMMARY").value.as_deref(),
        Some(
            "Atelier soin\\, grand âge\\; et métiers — une très longue journée de découverte des \
             métiers"
        )
    );
    let second = &calendar.events[1];
    assert_eq!(
        property(&second.properties, "DTSTART").value.as_deref(),
        Some("20270414T120000Z")
    );
    assert_eq!(
        property(&second.properties, "STATUS").value.as_deref(),
        Some("CANCELLED")
    );
}

#[test]
fn a_csv_reads_back_and_neutralises_formulas() {
    let text = csv::table(
        &["name", "partner", "seats"],
        vec![
            vec!["Camille M.", "Mission locale, Gap", "1"],
            vec!["=HYPERLINK(\"x\")", "Le \"Lycée\"", "25"],
        ],
    );
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a header").clone();
    assert_eq!(
        header.iter().collect::<Vec<_>>(),
        ["name", "partner", "seats"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["Camille M.", "Mission locale, Gap", "1"],
            vec!["'=HYPERLINK(\"x\")", "Le \"Lycée\"", "25"],
        ]
    );
}

/// A slot kept in a participant's agenda, as a registration stores it beside its seat.
fn agenda_event() -> StoredEvent {
    use proto::registration::agenda::{Event as Agenda, Slot};
    stored(
        format!("reg.agenda.{}", Uuid::from_u128(11)),
        time::OffsetDateTime::UNIX_EPOCH,
        Agenda::SlotConfirmed(Slot {
            session: SessionId(Uuid::from_u128(7)),
        }),
    )
}

#[test]
fn the_subjects_the_runner_skips_change_no_view() {
    let mut history: Vec<StoredEvent> = scheduling();
    history.extend(venues());
    history.extend(registrations());
    history.push(agenda_event());
    for scope in [
        PartnerView::SCOPE,
        VenueView::SCOPE,
        Statistics::SCOPE,
        JobDatingView::SCOPE,
    ] {
        let read = history
            .iter()
            .filter(|e| crate::fold::reads(scope, &e.envelope.aggregate));
        assert_eq!(folded(scope, read), folded(scope, &history), "{scope:?}");
    }
    // The filter is not vacuous: the agendas are skipped, every context the views read is not.
    assert!(!crate::fold::reads(ALL, &agenda_event().envelope.aggregate));
    for event in scheduling().iter().chain(&venues()).chain(&registrations()) {
        assert!(
            crate::fold::reads(ALL, &event.envelope.aggregate),
            "{}",
            event.envelope.aggregate
        );
    }
}

#[test]
fn another_events_facts_about_a_session_are_refused_and_change_no_row() {
    // A log written before session ids were claimed: another edition's event scheduled, moved
    // and cancelled a session under the workshop's id S1; the views keep S1 as the workshop's.
    let other_edition = EditionId(Uuid::from_u128(0xe9));
    let other_event = EventId(Uuid::from_u128(0xa9));
    let o = |e: Programme| stored(format!("sched.event.{other_event}"), at(1, 8), e);
    let mut history = orders().swap_remove(0);
    history.push(o(Programme::Added(event::Added {
        edition: other_edition,
        about: About {
            kind: EventKind::OpenDoor,
            title: name("Portes ouvertes"),
            description: Description::default(),
            themes: vec![Theme::ElderlyAutonomy],
            audiences: vec![Audience::YoungPeople],
            restricted_to: Vec::new(),
            discovery_tools: Vec::new(),
            partners: Vec::new(),
        },
    })));
    for scope in [ALL, PartnerView::SCOPE, VenueView::SCOPE, Statistics::SCOPE] {
        let before = folded(scope, &history);
        let foreign = [
            scheduled(S1, tue(15), tue(16)),
            Programme::SessionCancelled(event::SessionCancelled {
                session: S1,
                venue: GAP,
                request: 1,
                reason: Reason::parse("annulée").expect("a reason"),
            }),
        ];
        for event in foreign {
            let mut rows = before.clone();
            let refused = fold(&mut rows, scope, &o(event.clone()));
            let why = refused.expect_err("another event's facts are refused").0;
            assert!(why.contains(&WORKSHOP.to_string()), "{why}");
            assert_eq!(rows, before, "{event:?} changed no row");
        }
    }
}

#[test]
fn an_erasure_is_kept_with_who_asked_and_why_in_the_partner_view_only() {
    use proto::registration::participant::{Erased, ErasureReason, Event as Participant};
    let participant = ParticipantId(Uuid::from_u128(0x7001));
    let erased = |actor: Actor, when, reason| {
        let mut event = stored(
            format!("reg.participant.{participant}"),
            when,
            Participant::Erased(Erased { reason }),
        );
        event.envelope.actor = actor;
        event
    };
    let by_partner = erased(
        Actor::Partner { id: "ft".into() },
        at(3, 10),
        ErasureReason::Request,
    );
    let later = erased(
        Actor::System {
            component: "clock".into(),
        },
        at(9, 10),
        ErasureReason::Retention,
    );
    let memory = folded(PartnerView::SCOPE, [&by_partner, &later]);
    let db = memory.db().expect("temporary store");
    let row = crate::partners::erasure(&db, participant)
        .expect("reads")
        .expect("kept");
    assert_eq!(row.by, "partner");
    assert_eq!(row.partner.as_deref(), Some("ft"));
    assert_eq!(
        row.reason,
        ErasureReason::Request,
        "the first erasure stands"
    );
    assert_eq!(row.at.as_second(), at(3, 10).unix_timestamp());
    let by_organiser = erased(
        Actor::Organiser {
            id: "0193-key".into(),
        },
        at(3, 10),
        ErasureReason::Request,
    );
    let db = folded(PartnerView::SCOPE, [&by_organiser])
        .db()
        .expect("temporary store");
    let row = crate::partners::erasure(&db, participant)
        .expect("reads")
        .expect("kept");
    assert_eq!(
        (row.by.as_str(), row.partner),
        ("organiser", None),
        "no key id shown"
    );
    for scope in [VenueView::SCOPE, Statistics::SCOPE] {
        assert!(!crate::fold::reads(scope, &by_partner.envelope.aggregate));
        assert_eq!(folded(scope, [&by_partner]), Memory::default());
    }
}
