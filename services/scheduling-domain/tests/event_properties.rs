//! An event and its sessions on random histories: additions and amendments (no theme, no
//! audience, a restriction outside the audiences, tools off a stand, values listed twice, the
//! longest title), sessions scheduled, moved, cancelled and answered with reversed, zero-length,
//! skipped (spring change), doubled (autumn change) and out-of-range local times, days outside the
//! edition, unknown and repeated session ids, stale requests, and capacities of 0 and `u32::MAX`,
//! each sent with the facts of its edition, another edition, or the edition closed. (An empty
//! title cannot be written: `Name` refuses it when parsed.) After every step: the laws every
//! decider keeps (`decider::laws`: a refusal is a typed [`EventRefusal`] with its code, and
//! records nothing; the events recorded fold without panic and read back from their wire form;
//! the state survives its snapshot); what the event is keeps its rules (a theme and an audience,
//! each listed once, restrictions among its audiences, tools only on a stand) and its edition; a
//! session ends after it starts, within the edition's days when its times were set, at the
//! instants its local times stand for; session ids are never reused and sessions never vanish; a
//! cancelled session stays as it was cancelled; a hosting request is numbered one more than the
//! one before, and within a request a venue's answer only moves forward; nothing but venue answers
//! is accepted in a closed edition or from another edition; the same command decided again at once
//! records nothing. No I/O.

use decider::{Decider, Step};
use jiff::civil::{Date, DateTime, date};
use proptest::prelude::*;
use proto::scheduling::EditionStatus;
use proto::scheduling::event::{
    About, Add, CancelSession, ChangeSessionVenue, Command, Event, RecordVenueAnswer,
    RescheduleSession, ScheduleSession, VenueAnswer,
};
use proto::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use proto::values::{
    Description, EditionId, Name, PartnerId, Reason, RoomId, SessionId, TimeZoneName, VenueId,
};
use scheduling_domain::event::VenueStatus;
use scheduling_domain::{EditionFacts, EventAggregate, EventCommand, EventRefusal};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

/// The Hautes-Alpes edition, mostly; sometimes another one.
fn edition_id() -> impl Strategy<Value = EditionId> {
    prop_oneof![4 => Just(EditionId(id(0xed))), 1 => Just(EditionId(id(0xee)))]
}

/// The edition's facts: mostly the Hautes-Alpes week (15–26 April 2024, Europe/Paris,
/// published); sometimes a draft, closed, another edition, a single day over a daylight-saving
/// change, the last day an instant can hold, or reversed days.
fn facts() -> impl Strategy<Value = EditionFacts> {
    fn week(status: EditionStatus, first_day: Date, last_day: Date) -> EditionFacts {
        EditionFacts {
            id: EditionId(id(0xed)),
            status,
            first_day,
            last_day,
            time_zone: TimeZoneName::paris(),
        }
    }
    let (first, last) = (date(2024, 4, 15), date(2024, 4, 26));
    prop_oneof![
        12 => Just(week(EditionStatus::Published, first, last)),
        1 => Just(week(EditionStatus::Draft, first, last)),
        1 => Just(week(EditionStatus::Closed, first, last)),
        1 => edition_id().prop_map(move |id| EditionFacts {
            id,
            ..week(EditionStatus::Published, first, last)
        }),
        1 => prop_oneof![
            Just((date(2024, 3, 31), date(2024, 3, 31))),
            Just((date(2024, 10, 27), date(2024, 10, 27))),
            Just((date(9999, 12, 31), date(9999, 12, 31))),
            Just((last, first)),
        ]
        .prop_map(|(a, b)| week(EditionStatus::Published, a, b)),
    ]
}

/// A local time: mostly on 16 April 2024, sometimes on the edition's edges, outside it, on the
/// nights of the daylight-saving changes or on the last day there is; at midnight, in the hour
/// clocks skip or repeat, in the morning, at the end of the day.
fn local() -> impl Strategy<Value = DateTime> {
    let time = prop_oneof![
        Just((0, 0)),
        Just((2, 30)),
        Just((9, 0)),
        Just((11, 0)),
        Just((23, 59)),
    ];
    let day = prop_oneof![
        6 => Just(date(2024, 4, 16)),
        1 => Just(date(2024, 4, 15)),
        1 => Just(date(2024, 4, 26)),
        1 => Just(date(2024, 4, 27)),
        1 => Just(date(2024, 4, 14)),
        1 => Just(date(2024, 3, 31)),
        1 => Just(date(2024, 10, 27)),
        1 => Just(date(2024, 10, 28)),
        1 => Just(date(9999, 12, 31)),
    ];
    (day, time).prop_map(|(day, (hour, minute))| day.at(hour, minute, 0, 0))
}

/// One of a few session ids, so that ids repeat and are unknown by turns.
fn session() -> impl Strategy<Value = SessionId> {
    (0u128..4).prop_map(|n| SessionId(id(0x5000 | n)))
}

fn venue() -> impl Strategy<Value = VenueId> {
    (0u128..2).prop_map(|n| VenueId(id(0x7e00 | n)))
}

fn room() -> impl Strategy<Value = RoomId> {
    prop_oneof![Just("salle-polyvalente"), Just("cuisine-pedagogique")]
        .prop_map(|s| RoomId::parse(s).expect("a room"))
}

/// Seats: none, one, a few, and the most a `u32` holds.
fn count() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0), Just(1), Just(25), Just(u32::MAX)]
}

fn reason() -> impl Strategy<Value = Reason> {
    prop_oneof![Just("la salle est inondée"), Just("travaux")]
        .prop_map(|s| Reason::parse(s).expect("a reason"))
}

/// What an event is: any kind among two, any title among two (the longest one included), and
/// lists that may be empty or list a value twice.
fn about() -> impl Strategy<Value = About> {
    use proptest::collection::vec;
    let kind = prop_oneof![Just(EventKind::Workshop), Just(EventKind::DiscoveryStand)];
    let title = prop_oneof![
        Just("Atelier découverte des métiers du grand âge".to_owned()),
        Just("x".repeat(200)),
    ]
    .prop_map(|s| Name::parse(s).expect("a title"));
    let theme = prop_oneof![Just(Theme::ElderlyAutonomy), Just(Theme::HomeHelp)];
    let audience = || {
        prop_oneof![
            Just(Audience::JobSeekers),
            Just(Audience::CareerChangers),
            Just(Audience::Pupils),
        ]
    };
    let tool = prop_oneof![
        Just(DiscoveryTool::AgeingSimulator),
        Just(DiscoveryTool::VirtualReality)
    ];
    let partner = prop_oneof![Just("france-travail-gap"), Just("mission-locale-gap")]
        .prop_map(|s| PartnerId::parse(s).expect("a partner"));
    (
        kind,
        title,
        vec(theme, 0..3),
        vec(audience(), 0..3),
        vec(audience(), 0..2),
        vec(tool, 0..2),
        vec(partner, 0..3),
    )
        .prop_map(
            |(kind, title, themes, audiences, restricted_to, discovery_tools, partners)| About {
                kind,
                title,
                description: Description::default(),
                themes,
                audiences,
                restricted_to,
                discovery_tools,
                partners,
            },
        )
}

fn add() -> impl Strategy<Value = Command> {
    (edition_id(), about()).prop_map(|(edition, about)| Command::Add(Add { edition, about }))
}

fn answer() -> impl Strategy<Value = VenueAnswer> {
    prop_oneof![
        3 => count().prop_map(|capacity| VenueAnswer::Confirmed { capacity }),
        1 => reason().prop_map(|reason| VenueAnswer::Declined { reason }),
        1 => reason().prop_map(|reason| VenueAnswer::Refused { reason }),
        2 => count().prop_map(|capacity| VenueAnswer::CapacityChanged { capacity }),
        1 => reason().prop_map(|reason| VenueAnswer::Withdrew { reason }),
    ]
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        1 => add(),
        1 => about().prop_map(Command::Amend),
        5 => (session(), local(), local(), venue(), room(), count()).prop_map(
            |(session, starts, ends, venue, room, capacity_wanted)| {
                Command::ScheduleSession(ScheduleSession {
                    session,
                    starts,
                    ends,
                    venue,
                    room,
                    capacity_wanted,
                })
            }
        ),
        3 => (session(), local(), local()).prop_map(|(session, starts, ends)| {
            Command::RescheduleSession(RescheduleSession { session, starts, ends })
        }),
        2 => (session(), venue(), room()).prop_map(|(session, venue, room)| {
            Command::ChangeSessionVenue(ChangeSessionVenue { session, venue, room })
        }),
        2 => (session(), reason())
            .prop_map(|(session, reason)| Command::CancelSession(CancelSession { session, reason })),
        6 => (session(), 0u32..4, answer()).prop_map(|(session, request, answer)| {
            Command::RecordVenueAnswer(RecordVenueAnswer { session, request, answer })
        }),
    ]
}

fn event_command() -> impl Strategy<Value = EventCommand> {
    (command(), facts()).prop_map(|(command, edition)| EventCommand { command, edition })
}

/// The days a session's local times fall on: its start's, and its end's, midnight excluded.
fn days(starts: DateTime, ends: DateTime) -> (Date, Date) {
    let last = if ends.time() == jiff::civil::Time::midnight() && ends.date() > starts.date() {
        ends.date().yesterday().expect("a day before")
    } else {
        ends.date()
    };
    (starts.date(), last)
}

fn listed_once<T: Ord + Clone>(values: &[T]) -> bool {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.len() == values.len()
}

/// Whether a venue may move from `from` to `to` within one request.
fn moves_forward(from: &VenueStatus, to: &VenueStatus) -> bool {
    use VenueStatus::{Confirmed, Declined, Requested, Withdrawn};
    from == to
        || matches!(
            (from, to),
            (Requested, Confirmed { .. } | Declined { .. })
                | (Confirmed { .. }, Confirmed { .. } | Withdrawn { .. })
        )
}

/// The event's own rules after an accepted step.
fn check(step: Step<'_, EventAggregate>) {
    let Some((before, command, events, after)) = step.accepted() else {
        return;
    };
    let facts = &command.edition;
    let answering = matches!(command.command, Command::RecordVenueAnswer(_));

    // Nothing but venue answers in a closed edition; nothing from another edition.
    assert!(
        answering || facts.status != EditionStatus::Closed,
        "{command:?} accepted in a closed edition"
    );
    if let Some(added) = after.added.as_ref() {
        assert_eq!(added.edition, facts.id, "{command:?} from another edition");
    }

    // What the event is keeps its rules, and its edition.
    if let Some(was) = &before.added {
        let now = after.added.as_ref().expect("an added event stays added");
        assert_eq!(now.edition, was.edition, "the event changed edition");
    }
    if let Some(added) = &after.added {
        let about = &added.about;
        assert!(!about.themes.is_empty(), "an event without a theme");
        assert!(!about.audiences.is_empty(), "an event without an audience");
        assert!(
            about
                .restricted_to
                .iter()
                .all(|a| about.audiences.contains(a)),
            "restricted to an audience it is not for"
        );
        assert!(
            about.discovery_tools.is_empty() || about.kind == EventKind::DiscoveryStand,
            "discovery tools off a stand"
        );
        assert!(listed_once(&about.themes) && listed_once(&about.audiences));
        assert!(listed_once(&about.restricted_to) && listed_once(&about.discovery_tools));
        assert!(listed_once(&about.partners), "a partner listed twice");
    } else {
        assert!(after.sessions.is_empty(), "sessions of an event not added");
    }

    // Sessions never vanish; a cancelled one stays as it was cancelled.
    for (id, was) in &before.sessions {
        let now = after.sessions.get(id).expect("a session never vanishes");
        if was.cancelled.is_some() {
            assert_eq!(now, was, "cancelled session {id} changed by {command:?}");
        }
    }

    for (id, s) in &after.sessions {
        assert!(
            s.ends_at > s.starts_at,
            "session {id} ends before it starts"
        );
        assert!(s.capacity_wanted >= 1, "session {id} wants no seat");
        assert!(s.request >= 1, "session {id} without a request");
        for (local, instant) in [(s.starts_local, s.starts_at), (s.ends_local, s.ends_at)] {
            assert_eq!(
                instant.to_zoned(s.time_zone.zone()).datetime(),
                local,
                "session {id}: {instant} is not {local} in {}",
                s.time_zone
            );
        }
        match before.sessions.get(id) {
            None => {
                // Scheduled by this command: a new id, its first request, the edition's zone.
                assert_eq!(s.request, 1);
                assert_eq!(s.venue_status, VenueStatus::Requested);
                assert_eq!(s.time_zone, facts.time_zone);
            }
            Some(was) => {
                assert_eq!(s.time_zone, was.time_zone, "a session's zone never changes");
                let times_set =
                    (s.starts_local, s.ends_local) != (was.starts_local, was.ends_local);
                let asked_again = times_set || s.venue != was.venue || s.room != was.room;
                if asked_again {
                    assert_eq!(s.request, was.request + 1, "a new request for session {id}");
                }
                if s.request == was.request {
                    assert!(
                        moves_forward(&was.venue_status, &s.venue_status),
                        "session {id} went from {:?} to {:?} within request {}",
                        was.venue_status,
                        s.venue_status,
                        s.request
                    );
                } else {
                    assert_eq!(s.request, was.request + 1, "requests are numbered in turn");
                    assert_eq!(s.venue_status, VenueStatus::Requested);
                }
                if !times_set {
                    continue;
                }
            }
        }
        // Its times were set by this command: within the edition's days.
        let (first, last) = days(s.starts_local, s.ends_local);
        assert!(
            facts.first_day <= first && last <= facts.last_day,
            "session {id} from {} to {} outside {}–{}",
            s.starts_local,
            s.ends_local,
            facts.first_day,
            facts.last_day
        );
    }

    // Every answer recorded names the session's current request.
    for event in events {
        let answered = match event {
            Event::SessionVenueConfirmed(e) => Some((e.session, e.request)),
            Event::SessionCapacityChanged(e) => Some((e.session, e.request)),
            Event::SessionVenueDeclined(e) => Some((e.session, e.request)),
            Event::SessionVenueWithdrew(e) => Some((e.session, e.request)),
            _ => None,
        };
        if let Some((session, request)) = answered {
            assert_eq!(
                Some(request),
                before.session(session).map(|s| s.request),
                "an answer to another request than session {session}'s current one"
            );
        }
        if let Event::SessionScheduled(e) = event {
            assert!(
                !before.sessions.contains_key(&e.session),
                "session {} scheduled twice",
                e.session
            );
        }
    }

    // The same command decided again at once (a redelivery) records nothing.
    if let Ok(again) = EventAggregate::decide(after, command) {
        assert!(
            again.is_empty() || events.is_empty(),
            "{command:?} recorded {again:?} once more"
        );
    }
}

#[test]
fn every_history_keeps_the_event_rules() {
    // An event added first, so that the commands after it are decided.
    let first = (add(), facts()).prop_map(|(command, edition)| EventCommand { command, edition });
    let histories = (first, proptest::collection::vec(event_command(), 0..40))
        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect::<Vec<_>>());
    decider::laws::every_history::<EventAggregate>(384, histories, EventRefusal::code, check);
}
