//! The public catalogue, read from a real week: sessions scheduled, confirmed by their venues,
//! filled by partners and cancelled through the running services and processes, then projected
//! by a `Runner` of `Catalogue` and queried — rows, filters, order, pages, drafts, and a clean
//! rebuild that gives the same catalogue.

use catalogue::{
    Catalogue, Cursor, EditionStatus, Page, SessionQuery, SessionView, VenueStatus, edition,
    editions, session, sessions,
};
use eventlog::CommandMeta;
use jiff::civil::{DateTime, date};
use projection::{Projection, Runner};
use proto::registration::{AgeBand, Attendee, ParticipantRef, Profile, RegisterRequest};
use proto::scheduling::{edition as edition_cmd, event};
use proto::taxonomy::{Audience, EventKind, Theme, VenueKind};
use proto::values::*;
use proto::venues::*;
use tests::week::{Week, organiser, partner_id, person, tuesday, venue_in_gap};

fn name(text: &str) -> Name {
    Name::parse(text).expect("valid name")
}

/// A day of the week of 12–23 April 2027 at `hour`:00.
fn on(day: i8, hour: i8) -> DateTime {
    date(2027, 4, day).at(hour, 0, 0, 0)
}

/// Registers a social centre in `town` with the harness's room of 30, open 08:00–18:00 on
/// weekdays.
async fn register_venue_in(week: &Week, town: &str, insee: &str, postcode: &str) -> VenueId {
    let mut centre = venue_in_gap(30);
    centre.name = name(&format!("Centre social de {town}"));
    centre.kind = VenueKind::AssociationPremises;
    centre.address = Address {
        street: name("2 place de la Mairie"),
        postcode: Postcode::try_from(postcode.to_owned()).expect("valid"),
        town: name(town),
        insee_code: InseeCode::parse(insee).expect("valid"),
    };
    centre.rooms[0].name = name("Grande salle");
    week.register_venue_as(centre).await.expect("registered")
}

/// Adds an early-childhood workshop for pupils and students, kept for pupils.
async fn add_workshop(week: &Week, edition: EditionId) -> EventId {
    let about = event::About {
        kind: EventKind::Workshop,
        title: name("Atelier : les métiers de la petite enfance"),
        description: Description::default(),
        themes: vec![Theme::EarlyChildhood],
        audiences: vec![Audience::Pupils, Audience::Students],
        restricted_to: vec![Audience::Pupils],
        discovery_tools: Vec::new(),
        partners: Vec::new(),
    };
    week.add_event(edition, about).await.expect("added")
}

async fn publish(week: &Week, edition: EditionId) {
    week.scheduling
        .edition(
            edition,
            &edition_cmd::Command::Publish,
            &CommandMeta::new(organiser(), format!("publish-{edition}")),
        )
        .await
        .expect("published");
}

/// Schedules a session and, with `capacity`, has its venue confirm it and waits for its seats.
async fn session_at(
    week: &Week,
    event: EventId,
    venue: VenueId,
    starts: DateTime,
    ends: DateTime,
    capacity: Option<u32>,
) -> SessionId {
    let session = week
        .schedule_session(event, venue, starts, ends, capacity.unwrap_or(10))
        .await
        .expect("scheduled");
    week.wait_for_request(venue, session).await.expect("asked");
    if let Some(capacity) = capacity {
        week.confirm(venue, session, capacity)
            .await
            .expect("confirmed");
        week.wait_for_seats(session, |s| s.capacity == capacity && s.facts.is_some())
            .await
            .expect("seats open");
    }
    session
}

/// A teacher registers a class of `size` pupils through their school.
async fn register_class(week: &Week, session: SessionId, reference: &str, size: u32) -> bool {
    week.declare_partner("college-gap").await.expect("declared");
    let request = RegisterRequest {
        session,
        reference: ParticipantRef::try_from(reference.to_owned()).expect("valid"),
        attendee: Attendee::Group { size },
        profile: Profile {
            audience: Audience::Pupils,
            age_band: AgeBand::Under16,
            town: None,
        },
        identity: person(reference),
    };
    week.registrations
        .register(&partner_id("college-gap"), request, reference)
        .await
        .expect("registered")
        .confirmed
}

async fn cancel_session(week: &Week, event: EventId, session: SessionId) {
    week.cancel_session(event, session, "Intempéries")
        .await
        .expect("cancelled");
    week.wait_for_seats(session, |s| {
        s.cancelled.is_some() && s.confirmed_seats() == 0
    })
    .await
    .expect("the seats follow");
}

async fn catalogue(week: &Week, dir: &std::path::Path) -> Runner<Catalogue> {
    let mut runner = week.runner(Catalogue, dir).await.expect("opens");
    runner.catch_up().await.expect("catches up");
    runner
}

fn ids(page: &Page<SessionView>) -> Vec<SessionId> {
    page.items.iter().map(|s| s.session).collect()
}

fn list(db: &sled::Db, query: SessionQuery) -> Vec<SessionId> {
    ids(&sessions(db, &query).expect("lists"))
}

/// Every row of the catalogue's own trees (not the runner's checkpoints).
fn rows(db: &sled::Db) -> tests::StoreDump {
    let mut dump = tests::dump(db).expect("dumps");
    dump.retain(|(tree, _)| {
        Catalogue
            .trees()
            .iter()
            .any(|name| name.as_bytes() == tree.as_slice())
    });
    dump
}

#[test]
fn the_catalogue_reads_the_services_streams() {
    let streams = Catalogue.streams();
    for stream in [
        scheduling::STREAM.name,
        venues::STREAM.name,
        registration::STREAM.name,
    ] {
        assert!(streams.contains(&stream), "{stream}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_lists_a_weeks_sessions_with_their_seats_filtered_and_paged() {
    let week = Week::start().await.expect("the week starts");
    let gap = week.register_venue(30).await.expect("registered");
    let embrun = register_venue_in(&week, "Embrun", "05046", "05200").await;
    let published = week.create_edition().await.expect("created");
    let draft = week.create_edition().await.expect("created");
    let open_door = week.add_open_door(published).await.expect("added");
    let workshop = add_workshop(&week, published).await;
    let draft_door = week.add_open_door(draft).await.expect("added");

    // Tuesday 13 at Gap, 2 seats: two young people confirmed, a third waits.
    let s1 = session_at(
        &week,
        open_door,
        gap,
        tuesday(9, 0),
        tuesday(11, 0),
        Some(2),
    )
    .await;
    for n in 1..=3 {
        week.register(
            "mission-locale-gap",
            &format!("y{n}"),
            s1,
            Audience::YoungPeople,
            &format!("s1-{n}"),
        )
        .await
        .expect("registered");
    }
    // Tuesday 13 at Embrun, 10 seats, one job seeker.
    let s2 = session_at(
        &week,
        open_door,
        embrun,
        tuesday(14, 0),
        tuesday(16, 0),
        Some(10),
    )
    .await;
    week.register("ft-embrun", "j1", s2, Audience::JobSeekers, "s2-1")
        .await
        .expect("registered");
    // Wednesday 14 at Gap, a workshop of 5 seats: a class of 3.
    let s3 = session_at(&week, workshop, gap, on(14, 9), on(14, 11), Some(5)).await;
    assert!(register_class(&week, s3, "classe-4b", 3).await);
    // Thursday 15 at Embrun, a workshop with one class, then cancelled.
    let s4 = session_at(&week, workshop, embrun, on(15, 10), on(15, 12), Some(5)).await;
    assert!(register_class(&week, s4, "classe-3a", 2).await);
    cancel_session(&week, workshop, s4).await;
    // Friday 16 at Gap: the venue has not answered.
    let s5 = session_at(&week, open_door, gap, on(16, 9), on(16, 10), None).await;
    // Tuesday 13 at noon at Gap, in the draft edition.
    let hidden = session_at(
        &week,
        draft_door,
        gap,
        tuesday(12, 0),
        tuesday(13, 0),
        Some(4),
    )
    .await;
    publish(&week, published).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let mut runner = catalogue(&week, dir.path()).await;
    let db = runner.db().clone();
    assert!(runner.quarantined().expect("reads").is_empty());

    // The rows.
    let first = session(&db, s1).expect("listed");
    assert_eq!(first.edition, published);
    assert_eq!(first.edition_status, EditionStatus::Published);
    assert_eq!(first.kind, EventKind::OpenDoor);
    assert_eq!(first.themes, [Theme::ElderlyAutonomy]);
    assert_eq!(first.venue, gap);
    let place = [
        &first.town,
        &first.insee_code,
        &first.venue_name,
        &first.room_name,
    ];
    assert_eq!(
        place.map(Option::as_deref),
        [
            Some("Gap"),
            Some("05061"),
            Some("EHPAD Les Marronniers"),
            Some("Salle polyvalente")
        ],
        "the town, its code, the venue and the room"
    );
    assert_eq!(first.starts_local, tuesday(9, 0));
    assert_eq!(first.starts_at.to_string(), "2027-04-13T07:00:00Z");
    assert_eq!(first.time_zone, "Europe/Paris");
    assert_eq!(first.venue_status, VenueStatus::Confirmed);
    assert_eq!(
        (first.capacity, first.confirmed_seats, first.seats_left),
        (Some(2), 2, 0)
    );
    assert_eq!(first.waiting_list_length, 1);
    let second = session(&db, s2).expect("listed");
    assert_eq!(second.town.as_deref(), Some("Embrun"));
    assert_eq!((second.capacity, second.seats_left), (Some(10), 9));
    let class = session(&db, s3).expect("listed");
    assert_eq!(
        (class.confirmed_seats, class.seats_left),
        (3, 2),
        "a class takes its seats together"
    );
    assert_eq!(class.restricted_to, [Audience::Pupils]);
    let cancelled = session(&db, s4).expect("listed");
    assert_eq!(
        (cancelled.cancelled, cancelled.cancelled_reason.as_deref()),
        (true, Some("Intempéries"))
    );
    assert_eq!((cancelled.confirmed_seats, cancelled.seats_left), (0, 0));
    let unanswered = session(&db, s5).expect("listed");
    assert_eq!(unanswered.venue_status, VenueStatus::Requested);
    assert_eq!((unanswered.capacity, unanswered.seats_left), (None, 0));
    let draft_session = session(&db, hidden).expect("kept for organisers");
    assert!(!draft_session.public);
    assert_eq!(draft_session.edition_status, EditionStatus::Draft);

    // The editions.
    assert_eq!(editions(&db).len(), 2);
    assert!(edition(&db, published).expect("created").public);
    assert_eq!(
        edition(&db, draft).expect("created").status,
        EditionStatus::Draft
    );

    // Order, and drafts hidden from the public.
    let public = SessionQuery::default;
    let listed = |set: &dyn Fn(&mut SessionQuery)| {
        let mut query = public();
        set(&mut query);
        list(&db, query)
    };
    assert_eq!(list(&db, public()), [s1, s2, s3, s4, s5]);
    let organisers = || SessionQuery {
        include_drafts: true,
        ..public()
    };
    assert_eq!(list(&db, organisers()), [s1, hidden, s2, s3, s4, s5]);
    assert!(listed(&|q| q.edition = Some(draft)).is_empty());
    let of_published = listed(&|q| q.edition = Some(published));
    assert_eq!(of_published, [s1, s2, s3, s4, s5]);

    // Filters.
    assert_eq!(listed(&|q| q.town = Some("embrun".into())), [s2, s4]);
    assert_eq!(listed(&|q| q.town = Some("05061".into())), [s1, s3, s5]);
    assert_eq!(listed(&|q| q.theme = Some(Theme::EarlyChildhood)), [s3, s4]);
    let job_seekers = listed(&|q| q.audience = Some(Audience::JobSeekers));
    assert_eq!(job_seekers, [s1, s2, s5]);
    assert_eq!(listed(&|q| q.kind = Some(EventKind::Workshop)), [s3, s4]);
    let days = |from: i8, to: i8| {
        listed(&|q| {
            q.from = Some(date(2027, 4, from));
            q.to = Some(date(2027, 4, to));
        })
    };
    assert_eq!(days(13, 13), [s1, s2], "Tuesday only");
    assert_eq!(days(14, 15), [s3, s4], "midweek");
    assert_eq!(listed(&|q| q.has_seats = Some(true)), [s2, s3]);
    assert_eq!(listed(&|q| q.has_seats = Some(false)), [s1, s4, s5]);

    // Pages of 2 over 5 sessions: 3 pages, each the same when asked again.
    let page = |after: Option<Cursor>| {
        sessions(
            &db,
            &SessionQuery {
                limit: 2,
                after,
                ..public()
            },
        )
        .expect("lists")
    };
    let one = page(None);
    let two = page(one.next.clone());
    let three = page(two.next.clone());
    assert_eq!(ids(&one), [s1, s2]);
    assert_eq!(ids(&two), [s3, s4]);
    assert_eq!(ids(&three), [s5]);
    assert!(one.next.is_some() && two.next.is_some());
    assert_eq!(three.next, None);
    assert_eq!(page(one.next.clone()), two, "a cursor is stable");

    // A clean rebuild gives the same catalogue, row for row.
    let before = rows(&db);
    let listing = sessions(&db, &organisers()).expect("lists");
    runner.rebuild().expect("rebuilds");
    assert!(list(&db, organisers()).is_empty(), "dropped");
    runner.catch_up().await.expect("catches up");
    assert_eq!(sessions(&db, &organisers()).expect("lists"), listing);
    assert_eq!(rows(&db), before);
}
