//! Unit tests of the fold and the queries, without NATS: stored events built here are folded
//! into memory (through the same [`crate::shared::Rows`] trait the runner's view implements) in many orders
//! across streams, then written to a temporary sled store and queried.

use jiff::Timestamp;
use jiff::civil::{DateTime, date};
use proto::StoredEvent;
use proto::contract::EventContract;
use proto::registration::session::{self as seats, Event as Seats};
use proto::registration::{
    Attendee, CancelledBy, ParticipantId, Profile, RegistrationId, SealedIdentity, SessionFacts,
};
use proto::scheduling::edition::{self, Event as Edition};
use proto::scheduling::event::{self, About, Event as Programme};
use proto::taxonomy::{Audience, EventKind, Theme};
use proto::values::*;
use uuid::Uuid;

use crate::fold::fold;
use crate::shared::testing::{self, Memory, name, paris};
use crate::*;

/// The rows of `events`, folded into memory in their order.
fn folded<'a>(events: impl IntoIterator<Item = &'a StoredEvent>) -> Memory {
    let mut memory = Memory::default();
    for event in events {
        fold(&mut memory, event).expect("applies");
    }
    memory
}

fn stored(aggregate: String, event: impl EventContract) -> StoredEvent {
    testing::stored(aggregate, time::OffsetDateTime::UNIX_EPOCH, event)
}

fn reason(text: &str) -> Reason {
    Reason::parse(text).expect("valid reason")
}

const PUBLIC: EditionId = EditionId(Uuid::from_u128(0xe1));
const DRAFT: EditionId = EditionId(Uuid::from_u128(0xe2));
const WORKSHOP: EventId = EventId(Uuid::from_u128(0xa1));
const OPEN_DOOR: EventId = EventId(Uuid::from_u128(0xa2));
const GAP: VenueId = VenueId(Uuid::from_u128(0xb1));
const EMBRUN: VenueId = VenueId(Uuid::from_u128(0xb2));
/// Workshop at Gap, Tuesday 13 at 09:00; seats move a lot.
const S1: SessionId = SessionId(Uuid::from_u128(0x51));
/// Workshop at Embrun, Wednesday 14, moved to Monday 12; full with one waiting.
const S2: SessionId = SessionId(Uuid::from_u128(0x52));
/// Open door of the draft edition at Gap, Tuesday 13 at 14:00.
const S3: SessionId = SessionId(Uuid::from_u128(0x53));
/// Seats opened for a session the scheduling context never told of.
const S4: SessionId = SessionId(Uuid::from_u128(0x54));
/// Workshop at Gap, Thursday 15, cancelled.
const S5: SessionId = SessionId(Uuid::from_u128(0x55));

fn edition_subject(id: EditionId) -> String {
    format!("sched.edition.{id}")
}

fn event_subject(id: EventId) -> String {
    format!("sched.event.{id}")
}

fn scheduled(session: SessionId, venue: VenueId, starts: DateTime, ends: DateTime) -> Programme {
    testing::scheduled(session, venue, starts, ends, 10)
}

fn confirmed(session: SessionId, request: u32, capacity: u32) -> Programme {
    Programme::SessionVenueConfirmed(event::SessionVenueConfirmed {
        session,
        request,
        capacity,
    })
}

fn about(kind: EventKind, title: &str, themes: Vec<Theme>, audiences: Vec<Audience>) -> About {
    About {
        kind,
        title: name(title),
        description: Description::default(),
        themes,
        audiences,
        restricted_to: Vec::new(),
        discovery_tools: Vec::new(),
        partners: Vec::new(),
    }
}

/// The `SCHEDULING` stream, in its order.
fn scheduling() -> Vec<StoredEvent> {
    let created = |id: EditionId| stored(edition_subject(id), testing::created());
    let mut workshop = about(
        EventKind::Workshop,
        "Atelier petite enfance",
        vec![Theme::EarlyChildhood],
        vec![Audience::Pupils, Audience::Students],
    );
    workshop.restricted_to = vec![Audience::Pupils];
    let open_door = about(
        EventKind::OpenDoor,
        "Portes ouvertes",
        vec![Theme::ElderlyAutonomy],
        vec![Audience::JobSeekers],
    );
    let w = |e: Programme| stored(event_subject(WORKSHOP), e);
    let o = |e: Programme| stored(event_subject(OPEN_DOOR), e);
    let tue = |h| date(2027, 4, 13).at(h, 0, 0, 0);
    let wed = |h| date(2027, 4, 14).at(h, 0, 0, 0);
    let mon = |h| date(2027, 4, 12).at(h, 0, 0, 0);
    let thu = |h| date(2027, 4, 15).at(h, 0, 0, 0);
    vec![
        created(PUBLIC),
        created(DRAFT),
        w(Programme::Added(event::Added {
            edition: PUBLIC,
            about: workshop,
        })),
        o(Programme::Added(event::Added {
            edition: DRAFT,
            about: open_door,
        })),
        w(scheduled(S1, GAP, tue(9), tue(11))),
        w(scheduled(S2, EMBRUN, wed(9), wed(11))),
        o(scheduled(S3, GAP, tue(14), tue(16))),
        w(scheduled(S5, GAP, thu(9), thu(11))),
        w(confirmed(S1, 1, 5)),
        w(confirmed(S2, 1, 2)),
        o(confirmed(S3, 1, 10)),
        w(confirmed(S5, 1, 3)),
        w(Programme::SessionRescheduled(event::SessionRescheduled {
            session: S2,
            request: 2,
            venue: EMBRUN,
            room: RoomId::parse("salle").expect("valid"),
            capacity_wanted: 10,
            starts_local: mon(10),
            ends_local: mon(12),
            starts_at: paris(mon(10)),
            ends_at: paris(mon(12)),
        })),
        // A late answer to the first request: not the session's status.
        w(Programme::SessionVenueDeclined(
            event::SessionVenueDeclined {
                session: S2,
                request: 1,
                refused: false,
                reason: reason("Trop tard"),
            },
        )),
        w(confirmed(S2, 2, 2)),
        stored(
            edition_subject(PUBLIC),
            Edition::Published(edition::Published {}),
        ),
        w(Programme::SessionCancelled(event::SessionCancelled {
            session: S5,
            venue: GAP,
            request: 1,
            reason: reason("Intempéries"),
        })),
    ]
}

/// The `VENUES` stream, in its order.
fn venues() -> Vec<StoredEvent> {
    let registered = |id: VenueId, town: &str, insee: &str, postcode: &str| {
        let venue_name = format!("Lieu de {town}");
        let registered = testing::registered(&venue_name, "1 rue des Alpes", postcode, town, insee);
        stored(format!("venue.venue.{id}"), registered)
    };
    vec![
        registered(GAP, "Gap", "05061", "05000"),
        registered(EMBRUN, "Embrun", "05046", "05200"),
    ]
}

fn registration(n: u128) -> RegistrationId {
    RegistrationId(Uuid::from_u128(0x7000 + n))
}

fn registered(n: u128, attendee: Attendee) -> seats::Registered {
    seats::Registered {
        registration: registration(n),
        partner: PartnerId::parse("mission-locale").expect("valid"),
        participant: ParticipantId(Uuid::from_u128(n)),
        attendee,
        profile: Profile {
            audience: Audience::Pupils,
            age_band: proto::registration::AgeBand::Under16,
            town: None,
        },
        identity: SealedIdentity {
            key: ParticipantId(Uuid::from_u128(n)),
            nonce: String::new(),
            ciphertext: String::new(),
        },
        reserved: None,
    }
}

fn by_id(n: u128) -> seats::Registration {
    seats::Registration {
        registration: registration(n),
        partner: PartnerId::parse("mission-locale").expect("valid"),
    }
}

fn cancelled(n: u128) -> Seats {
    Seats::Cancelled(seats::Cancelled {
        registration: registration(n),
        partner: PartnerId::parse("mission-locale").expect("valid"),
        by: CancelledBy::Partner,
        reason: None,
    })
}

fn capacity(edition: EditionId, capacity: u32) -> Seats {
    Seats::CapacitySet(seats::CapacitySet {
        capacity,
        facts: SessionFacts {
            edition,
            starts_at: Timestamp::UNIX_EPOCH,
            ends_at: Timestamp::UNIX_EPOCH,
            restricted_to: Vec::new(),
        },
    })
}

/// The `REGISTRATION` stream, in its order (the seats of several sessions interleaved, and an
/// agenda event the catalogue ignores).
fn registrations() -> Vec<StoredEvent> {
    let s = |session: SessionId, e: Seats| stored(format!("reg.session.{session}"), e);
    let group = |size| Attendee::Group { size };
    vec![
        s(S1, capacity(PUBLIC, 5)),
        s(S1, Seats::Confirmed(registered(1, Attendee::Person {}))),
        s(S2, capacity(PUBLIC, 2)),
        s(S1, Seats::Confirmed(registered(2, group(3)))),
        s(S1, Seats::Waitlisted(registered(3, group(2)))),
        s(S1, Seats::Confirmed(registered(4, Attendee::Person {}))),
        s(S2, Seats::Confirmed(registered(5, Attendee::Person {}))),
        s(S2, Seats::Confirmed(registered(6, Attendee::Person {}))),
        s(S2, Seats::Waitlisted(registered(7, Attendee::Person {}))),
        s(S1, cancelled(1)),
        s(S1, cancelled(4)),
        s(S1, Seats::Promoted(by_id(3))),
        s(S1, capacity(PUBLIC, 4)),
        s(S1, Seats::Demoted(by_id(3))),
        s(S3, capacity(DRAFT, 10)),
        s(S4, capacity(PUBLIC, 3)),
        s(S5, capacity(PUBLIC, 3)),
        s(S5, Seats::Confirmed(registered(8, Attendee::Person {}))),
        s(
            S5,
            Seats::SessionCancelled(seats::SessionCancelled {
                reason: reason("Intempéries"),
            }),
        ),
        s(
            S5,
            Seats::Cancelled(seats::Cancelled {
                registration: registration(8),
                partner: PartnerId::parse("mission-locale").expect("valid"),
                by: CancelledBy::Organiser,
                reason: Some(reason("Intempéries")),
            }),
        ),
        stored(
            format!("reg.agenda.{}", Uuid::from_u128(1)),
            proto::registration::agenda::Event::SlotReleased(proto::registration::agenda::Slot {
                session: S1,
            }),
        ),
    ]
}

/// Merges the streams, each kept in its own order, choosing the next stream with `pick`.
fn interleave(
    streams: &[Vec<StoredEvent>],
    mut pick: impl FnMut(usize) -> usize,
) -> Vec<StoredEvent> {
    let mut cursors = vec![0; streams.len()];
    let mut merged = Vec::new();
    loop {
        let open: Vec<usize> = (0..streams.len())
            .filter(|&s| cursors[s] < streams[s].len())
            .collect();
        if open.is_empty() {
            return merged;
        }
        let stream = open[pick(open.len()) % open.len()];
        merged.push(streams[stream][cursors[stream]].clone());
        cursors[stream] += 1;
    }
}

fn all_streams() -> Vec<Vec<StoredEvent>> {
    vec![scheduling(), venues(), registrations()]
}

/// The catalogue of the three streams, in the order the runner might have read them.
fn catalogue() -> Memory {
    folded(&interleave(&all_streams(), |_| 0))
}

fn ids(page: &Page<SessionView>) -> Vec<SessionId> {
    page.items.iter().map(|s| s.session).collect()
}

fn list(db: &sled::Db, query: SessionQuery) -> Vec<SessionId> {
    ids(&sessions(db, &query).expect("lists"))
}

#[test]
fn every_interleaving_of_the_streams_gives_the_same_rows() {
    let streams = all_streams();
    let expected = catalogue();
    // Each stream whole, in the six orders.
    for order in [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ] {
        let events: Vec<StoredEvent> = order.iter().flat_map(|&s| streams[s].clone()).collect();
        assert_eq!(folded(&events), expected, "streams in order {order:?}");
    }
    // Round robin, and pseudo-random interleavings.
    let mut turn = 0;
    let round_robin = interleave(&streams, |_| {
        turn += 1;
        turn
    });
    assert_eq!(folded(&round_robin), expected, "round robin");
    for seed in 1..=50u64 {
        let mut state = seed;
        let events = interleave(&streams, |_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        });
        assert_eq!(folded(&events), expected, "seed {seed}");
    }
}

#[test]
fn a_session_shows_its_event_venue_times_and_seats() {
    let db = catalogue().db().expect("temporary store");
    let s1 = session(&db, S1).expect("scheduled");
    assert_eq!(s1.edition, PUBLIC);
    assert_eq!(s1.edition_status, EditionStatus::Published);
    assert!(s1.public);
    assert_eq!(s1.event, WORKSHOP);
    assert_eq!(s1.kind, EventKind::Workshop);
    assert_eq!(s1.title, "Atelier petite enfance");
    assert_eq!(s1.themes, [Theme::EarlyChildhood]);
    assert_eq!(s1.audiences, [Audience::Pupils, Audience::Students]);
    assert_eq!(s1.restricted_to, [Audience::Pupils]);
    assert_eq!(s1.venue, GAP);
    assert_eq!(s1.venue_name.as_deref(), Some("Lieu de Gap"));
    assert_eq!(s1.town.as_deref(), Some("Gap"));
    assert_eq!(s1.insee_code.as_deref(), Some("05061"));
    assert_eq!(s1.postcode.as_deref(), Some("05000"));
    assert_eq!(s1.room, "salle");
    assert_eq!(s1.room_name.as_deref(), Some("Salle polyvalente"));
    assert_eq!(s1.starts_local, date(2027, 4, 13).at(9, 0, 0, 0));
    assert_eq!(s1.starts_at.to_string(), "2027-04-13T07:00:00Z");
    assert_eq!(s1.time_zone, "Europe/Paris");
    assert_eq!(s1.venue_status, VenueStatus::Confirmed);
    assert!(!s1.cancelled && !s1.ended);
    // Capacity 5 then 4; a person confirmed then cancelled, a group of 3 confirmed, a group of 2
    // waiting, promoted, then demoted by the lower capacity; a person confirmed then cancelled.
    assert_eq!(s1.capacity, Some(4));
    assert_eq!(s1.confirmed_seats, 3);
    assert_eq!(s1.seats_left, 1);
    assert_eq!(s1.waiting_list_length, 1);
    assert_eq!(s1.waiting_seats, 2);

    let s2 = session(&db, S2).expect("scheduled");
    assert_eq!(s2.starts_local, date(2027, 4, 12).at(10, 0, 0, 0), "moved");
    assert_eq!(
        s2.venue_status,
        VenueStatus::Confirmed,
        "a late answer is not its status"
    );
    assert_eq!(
        (s2.capacity, s2.confirmed_seats, s2.seats_left),
        (Some(2), 2, 0)
    );
    assert_eq!(s2.waiting_list_length, 1);
    assert_eq!(s2.town.as_deref(), Some("Embrun"));

    let s5 = session(&db, S5).expect("scheduled");
    assert!(s5.cancelled);
    assert_eq!(s5.cancelled_reason.as_deref(), Some("Intempéries"));
    assert_eq!((s5.confirmed_seats, s5.seats_left), (0, 0));

    let s3 = session(&db, S3).expect("scheduled");
    assert_eq!(s3.edition_status, EditionStatus::Draft);
    assert!(!s3.public);

    assert!(session(&db, S4).is_none(), "seats alone are not a session");
}

#[test]
fn the_public_listing_is_in_time_order_without_drafts() {
    let db = catalogue().db().expect("temporary store");
    assert_eq!(list(&db, SessionQuery::default()), [S2, S1, S5]);
    let organisers = SessionQuery {
        include_drafts: true,
        ..SessionQuery::default()
    };
    assert_eq!(list(&db, organisers), [S2, S1, S3, S5]);
    let draft = SessionQuery {
        edition: Some(DRAFT),
        ..SessionQuery::default()
    };
    assert!(list(&db, draft.clone()).is_empty());
    assert_eq!(
        list(
            &db,
            SessionQuery {
                include_drafts: true,
                ..draft
            }
        ),
        [S3]
    );
    assert_eq!(
        list(
            &db,
            SessionQuery {
                edition: Some(PUBLIC),
                ..SessionQuery::default()
            }
        ),
        [S2, S1, S5]
    );
}

#[test]
fn filters_apply_together() {
    let db = catalogue().db().expect("temporary store");
    let all = || SessionQuery {
        include_drafts: true,
        ..SessionQuery::default()
    };
    let town = |t: &str| SessionQuery {
        town: Some(t.into()),
        ..all()
    };
    assert_eq!(list(&db, town("gap")), [S1, S3, S5]);
    assert_eq!(list(&db, town(" EMBRUN ")), [S2]);
    assert_eq!(list(&db, town("05046")), [S2]);
    assert!(list(&db, town("Veynes")).is_empty());
    let theme = SessionQuery {
        theme: Some(Theme::ElderlyAutonomy),
        ..all()
    };
    assert_eq!(list(&db, theme), [S3]);
    let audience = SessionQuery {
        audience: Some(Audience::Students),
        ..all()
    };
    assert_eq!(list(&db, audience), [S2, S1, S5]);
    let kind = SessionQuery {
        kind: Some(EventKind::OpenDoor),
        ..all()
    };
    assert_eq!(list(&db, kind), [S3]);
    let tuesday = SessionQuery {
        from: Some(date(2027, 4, 13)),
        to: Some(date(2027, 4, 13)),
        ..all()
    };
    assert_eq!(list(&db, tuesday), [S1, S3]);
    let from_wednesday = SessionQuery {
        from: Some(date(2027, 4, 14)),
        ..all()
    };
    assert_eq!(list(&db, from_wednesday), [S5]);
    let until_monday = SessionQuery {
        to: Some(date(2027, 4, 12)),
        ..all()
    };
    assert_eq!(list(&db, until_monday), [S2]);
    let seats = SessionQuery {
        has_seats: Some(true),
        ..all()
    };
    assert_eq!(list(&db, seats), [S1, S3]);
    let full = SessionQuery {
        has_seats: Some(false),
        ..all()
    };
    assert_eq!(list(&db, full), [S2, S5]);
    let together = SessionQuery {
        town: Some("Gap".into()),
        has_seats: Some(true),
        theme: Some(Theme::EarlyChildhood),
        ..SessionQuery::default()
    };
    assert_eq!(list(&db, together), [S1]);
    let backwards = SessionQuery {
        from: Some(date(2027, 4, 14)),
        to: Some(date(2027, 4, 13)),
        ..all()
    };
    let refused = sessions(&db, &backwards).expect_err("ends before it starts");
    assert_eq!(refused.code(), "invalid-date-range");
}

#[test]
fn pages_follow_each_other_by_cursor() {
    let db = catalogue().db().expect("temporary store");
    let query = |after: Option<Cursor>| SessionQuery {
        include_drafts: true,
        limit: 1,
        after,
        ..SessionQuery::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = sessions(&db, &query(after.clone())).expect("lists");
        assert_eq!(
            page,
            sessions(&db, &query(after.clone())).expect("again"),
            "stable"
        );
        seen.extend(ids(&page));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, [S2, S1, S3, S5]);

    // A cursor carries on with other filters, from where it stands.
    let first = sessions(&db, &query(None)).expect("lists");
    let next = first.next.expect("more");
    let tuesday = SessionQuery {
        from: Some(date(2027, 4, 13)),
        ..query(Some(next.clone()))
    };
    assert_eq!(list(&db, tuesday), [S1]);
    let roundtrip: Cursor =
        serde_json::from_value(serde_json::to_value(&next).expect("json")).expect("json");
    assert_eq!(roundtrip, next);

    let whole = SessionQuery {
        include_drafts: true,
        limit: 4,
        ..SessionQuery::default()
    };
    assert_eq!(
        sessions(&db, &whole).expect("lists").next,
        None,
        "no empty last page"
    );

    let forged = SessionQuery {
        after: Some(Cursor::new("not-a-cursor")),
        ..SessionQuery::default()
    };
    let refused = sessions(&db, &forged).expect_err("invalid");
    assert_eq!(refused.code(), "invalid-cursor");
}

#[test]
fn a_limit_is_capped() {
    let db = catalogue().db().expect("temporary store");
    let zero = SessionQuery {
        limit: 0,
        include_drafts: true,
        ..SessionQuery::default()
    };
    assert_eq!(sessions(&db, &zero).expect("lists").items.len(), 1);
    let huge = SessionQuery {
        limit: usize::MAX,
        include_drafts: true,
        ..SessionQuery::default()
    };
    assert_eq!(sessions(&db, &huge).expect("lists").items.len(), 4);
}

#[test]
fn facts_of_streams_not_read_yet_are_absent_not_wrong() {
    // Only the scheduling stream: no venue, no seats.
    let db = folded(&scheduling()).db().expect("temporary store");
    let s1 = session(&db, S1).expect("scheduled");
    assert_eq!(s1.town, None);
    assert_eq!(s1.capacity, None);
    assert_eq!((s1.seats_left, s1.waiting_list_length), (0, 0));
    let gap = SessionQuery {
        town: Some("Gap".into()),
        ..SessionQuery::default()
    };
    assert!(list(&db, gap).is_empty());
    // Only the seats: nothing is listed.
    let db = folded(&registrations()).db().expect("temporary store");
    assert!(list(&db, SessionQuery::default()).is_empty());
}

#[test]
fn editions_tell_their_status() {
    let db = catalogue().db().expect("temporary store");
    let all = editions(&db);
    assert_eq!(all.len(), 2);
    let public = edition(&db, PUBLIC).expect("created");
    assert_eq!(public.status, EditionStatus::Published);
    assert!(public.public);
    assert_eq!(public.territory, "05");
    assert_eq!(public.first_day, date(2027, 4, 12));
    assert_eq!(public.time_zone, "Europe/Paris");
    let draft = edition(&db, DRAFT).expect("created");
    assert_eq!(draft.status, EditionStatus::Draft);
    assert!(!draft.public);

    // Closed: still public if it was published; a draft closed stays hidden.
    let mut events = scheduling();
    for id in [PUBLIC, DRAFT] {
        events.push(stored(
            edition_subject(id),
            Edition::Closed(edition::Closed {}),
        ));
    }
    let db = folded(&events).db().expect("temporary store");
    let public = edition(&db, PUBLIC).expect("created");
    assert_eq!(
        (public.status, public.public),
        (EditionStatus::Closed, true)
    );
    let draft = edition(&db, DRAFT).expect("created");
    assert_eq!((draft.status, draft.public), (EditionStatus::Closed, false));
    assert_eq!(list(&db, SessionQuery::default()), [S2, S1, S5]);
}

#[test]
fn venue_answers_set_the_venue_status() {
    let answers = [
        (
            Programme::SessionVenueDeclined(event::SessionVenueDeclined {
                session: S1,
                request: 1,
                refused: true,
                reason: reason("Fermé"),
            }),
            VenueStatus::Refused,
        ),
        (
            Programme::SessionVenueWithdrew(event::SessionVenueWithdrew {
                session: S1,
                request: 1,
                reason: reason("Travaux"),
            }),
            VenueStatus::Withdrawn,
        ),
        (
            Programme::SessionVenueChanged(event::SessionVenueChanged {
                session: S1,
                request: 2,
                previous_venue: GAP,
                previous_request: 1,
                venue: EMBRUN,
                room: RoomId::parse("salle").expect("valid"),
                starts_at: paris(date(2027, 4, 13).at(9, 0, 0, 0)),
                ends_at: paris(date(2027, 4, 13).at(11, 0, 0, 0)),
                capacity_wanted: 10,
            }),
            VenueStatus::Requested,
        ),
    ];
    for (answer, status) in answers {
        let mut events = all_streams().concat();
        events.push(stored(event_subject(WORKSHOP), answer));
        let db = folded(&events).db().expect("temporary store");
        let s1 = session(&db, S1).expect("scheduled");
        assert_eq!(s1.venue_status, status);
        if status == VenueStatus::Requested {
            assert_eq!(s1.town.as_deref(), Some("Embrun"), "the new venue's town");
        }
    }
}

#[test]
fn views_serialise_with_stable_names() {
    let db = catalogue().db().expect("temporary store");
    let json = serde_json::to_value(session(&db, S1).expect("scheduled")).expect("json");
    for field in [
        "session",
        "edition",
        "edition_status",
        "public",
        "event",
        "kind",
        "title",
        "themes",
        "audiences",
        "restricted_to",
        "venue",
        "venue_name",
        "town",
        "insee_code",
        "room",
        "starts_local",
        "ends_local",
        "starts_at",
        "ends_at",
        "time_zone",
        "venue_status",
        "cancelled",
        "cancelled_reason",
        "capacity",
        "confirmed_seats",
        "seats_left",
        "waiting_list_length",
        "waiting_seats",
    ] {
        assert!(json.get(field).is_some(), "{field}");
    }
    assert_eq!(json["venue_status"], "confirmed");
    assert_eq!(json["edition_status"], "published");
    assert_eq!(json["kind"], "workshop");
    assert_eq!(json["starts_local"], "2027-04-13T09:00:00");
    assert_eq!(json["starts_at"], "2027-04-13T07:00:00Z");
    let query: SessionQuery =
        serde_json::from_value(serde_json::json!({"town": "Gap", "has_seats": true}))
            .expect("a partial query");
    assert_eq!(query.limit, DEFAULT_LIMIT);
    assert!(!query.include_drafts);
}

#[test]
fn an_editions_events_are_listed_with_their_whole_description() {
    let db = catalogue().db().expect("temporary store");
    let public = events(&db, PUBLIC);
    assert_eq!(public.len(), 1, "{public:?}");
    assert_eq!(public[0].event, WORKSHOP);
    assert_eq!(public[0].title, "Atelier petite enfance");
    assert_eq!(public[0].restricted_to, [Audience::Pupils]);
    let draft = events(&db, DRAFT);
    assert_eq!(draft.len(), 1);
    assert_eq!(draft[0].event, OPEN_DOOR);
    assert!(events(&db, EditionId(Uuid::from_u128(0xdead))).is_empty());
}

#[test]
fn the_subjects_the_runner_skips_change_no_row() {
    use proto::registration::agenda::{Event as Agenda, Slot};
    let agenda = stored(
        format!("reg.agenda.{}", Uuid::from_u128(11)),
        Agenda::SlotConfirmed(Slot {
            session: SessionId(Uuid::from_u128(7)),
        }),
    );
    let mut history: Vec<StoredEvent> = scheduling();
    history.extend(venues());
    history.extend(registrations());
    history.push(agenda.clone());
    let read = history
        .iter()
        .filter(|e| crate::fold::reads(&e.envelope.aggregate));
    assert_eq!(folded(read), folded(&history));
    assert!(!crate::fold::reads(&agenda.envelope.aggregate));
    let agendas = |e: &&StoredEvent| e.envelope.aggregate.starts_with("reg.agenda.");
    for event in history.iter().filter(|e| !agendas(e)) {
        assert!(
            crate::fold::reads(&event.envelope.aggregate),
            "{}",
            event.envelope.aggregate
        );
    }
}

#[test]
fn another_events_facts_about_a_session_are_refused_and_change_no_row() {
    // A log written before session ids were claimed: the draft edition's open door scheduled,
    // moved and cancelled a session under the public workshop's id S1.
    let before = catalogue();
    let tue = |h| date(2027, 4, 13).at(h, 0, 0, 0);
    let foreign = [
        scheduled(S1, EMBRUN, tue(15), tue(16)),
        Programme::SessionCancelled(event::SessionCancelled {
            session: S1,
            venue: EMBRUN,
            request: 1,
            reason: reason("annulée"),
        }),
        confirmed(S1, 1, 3),
    ];
    for event in foreign {
        let mut rows = before.clone();
        let refused = fold(&mut rows, &stored(event_subject(OPEN_DOOR), event.clone()));
        let why = refused.expect_err("another event's facts are refused").0;
        assert!(why.contains(&WORKSHOP.to_string()), "{why}");
        assert_eq!(rows, before, "{event:?} changed no row");
    }
    let db = before.db().expect("temporary store");
    let s1 = session(&db, S1).expect("still listed");
    assert_eq!((s1.edition, s1.event), (PUBLIC, WORKSHOP));
}
