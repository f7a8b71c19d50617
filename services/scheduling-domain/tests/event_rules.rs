//! The rules of an event and its sessions, as given/when/then tables on the Hautes-Alpes week of
//! April 2024 (and two editions over the daylight-saving changes of 2024).
//!
//! Why this file is long: it is the one table of an event's and its sessions' rules, in sections
//! (the `// ---` banners), all written with the helpers at its top in the domain's words. A section
//! reads alone; split into files, each would have to bring those helpers along.

use decider::{Decider, Spec};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, date};
use proto::scheduling::EditionStatus;
use proto::scheduling::event::{
    About, Add, Added, CancelSession, ChangeSessionVenue, Command, Event, RecordVenueAnswer,
    RescheduleSession, ScheduleSession, SessionCancelled, SessionCapacityChanged,
    SessionRescheduled, SessionScheduled, SessionVenueChanged, SessionVenueConfirmed,
    SessionVenueDeclined, SessionVenueWithdrew, VenueAnswer,
};
use proto::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use proto::values::{
    Description, EditionId, Name, PartnerId, Reason, RoomId, SessionId, TimeZoneName, VenueId,
};
use scheduling_domain::event::VenueStatus;
use scheduling_domain::{EditionFacts, EventAggregate, EventCommand, EventRefusal, EventState};
use uuid::Uuid;

// ---- Helpers ----------------------------------------------------------------------------------

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn edition_id() -> EditionId {
    EditionId(id(0xed))
}

fn other_edition() -> EditionId {
    EditionId(id(0xee))
}

fn session() -> SessionId {
    SessionId(id(0x5e))
}

fn second_session() -> SessionId {
    SessionId(id(0x5f))
}

/// The EHPAD Les Marronniers, in Gap.
fn ehpad() -> VenueId {
    VenueId(id(0x7e))
}

/// The lycée of Gap.
fn lycee() -> VenueId {
    VenueId(id(0x7f))
}

fn room(slug: &str) -> RoomId {
    RoomId::parse(slug).expect("valid")
}

fn reason(text: &str) -> Reason {
    Reason::parse(text).expect("valid")
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn local(day: Date, hour: i8, minute: i8) -> DateTime {
    day.at(hour, minute, 0, 0)
}

/// "Semaine des métiers du social — Hautes-Alpes 2024": 15–26 April 2024, Europe/Paris, published.
fn hautes_alpes() -> EditionFacts {
    EditionFacts {
        id: edition_id(),
        status: EditionStatus::Published,
        first_day: date(2024, 4, 15),
        last_day: date(2024, 4, 26),
        time_zone: TimeZoneName::paris(),
    }
}

/// The same edition, once closed.
fn closed() -> EditionFacts {
    EditionFacts {
        status: EditionStatus::Closed,
        ..hautes_alpes()
    }
}

/// An edition over other days, same id and zone.
fn between(first_day: Date, last_day: Date) -> EditionFacts {
    EditionFacts {
        first_day,
        last_day,
        ..hautes_alpes()
    }
}

/// A command sent with the Hautes-Alpes facts.
fn with(command: Command) -> EventCommand {
    with_facts(command, hautes_alpes())
}

fn with_facts(command: Command, edition: EditionFacts) -> EventCommand {
    EventCommand { command, edition }
}

/// A workshop on the elderly, for job seekers and career changers.
fn workshop() -> About {
    About {
        kind: EventKind::Workshop,
        title: Name::parse("Atelier découverte des métiers du grand âge").expect("valid"),
        description: Description::default(),
        themes: vec![Theme::ElderlyAutonomy, Theme::HomeHelp],
        audiences: vec![Audience::JobSeekers, Audience::CareerChangers],
        restricted_to: vec![],
        discovery_tools: vec![],
        partners: vec![PartnerId::parse("france-travail-gap").expect("valid")],
    }
}

/// The ageing simulator stand at the lycée of Gap, for pupils only (the sample's event).
fn stand() -> About {
    About {
        kind: EventKind::DiscoveryStand,
        title: Name::parse("Simulateur de vieillissement au lycée de Gap").expect("valid"),
        description: Description::parse("Se mettre dans la peau d'une personne âgée.")
            .expect("valid"),
        themes: vec![Theme::ElderlyAutonomy],
        audiences: vec![Audience::Pupils, Audience::YoungPeople],
        restricted_to: vec![Audience::Pupils],
        discovery_tools: vec![DiscoveryTool::AgeingSimulator],
        partners: vec![PartnerId::parse("mission-locale-gap").expect("valid")],
    }
}

fn add(about: About) -> Command {
    Command::Add(Add {
        edition: edition_id(),
        about,
    })
}

fn added() -> Event {
    Event::Added(Added {
        edition: edition_id(),
        about: workshop(),
    })
}

fn schedule(starts: DateTime, ends: DateTime) -> Command {
    Command::ScheduleSession(ScheduleSession {
        session: session(),
        starts,
        ends,
        venue: ehpad(),
        room: room("salle-polyvalente"),
        capacity_wanted: 30,
    })
}

/// What scheduling the session at the EHPAD records, for given local times and instants.
fn scheduled_at(
    starts_local: DateTime,
    ends_local: DateTime,
    starts_at: &str,
    ends_at: &str,
) -> Event {
    Event::SessionScheduled(SessionScheduled {
        session: session(),
        request: 1,
        venue: ehpad(),
        room: room("salle-polyvalente"),
        starts_local,
        ends_local,
        time_zone: TimeZoneName::paris(),
        starts_at: at(starts_at),
        ends_at: at(ends_at),
        capacity_wanted: 30,
    })
}

/// The session, Tuesday 16 April 2024 9:30–11:30 at the EHPAD, 30 seats wanted.
fn scheduled() -> Event {
    scheduled_at(
        local(date(2024, 4, 16), 9, 30),
        local(date(2024, 4, 16), 11, 30),
        "2024-04-16T07:30:00Z",
        "2024-04-16T09:30:00Z",
    )
}

fn reschedule(starts: DateTime, ends: DateTime) -> Command {
    Command::RescheduleSession(RescheduleSession {
        session: session(),
        starts,
        ends,
    })
}

/// The session moved to Wednesday 17 April 14:00–16:00 (request 2).
fn rescheduled() -> Event {
    Event::SessionRescheduled(SessionRescheduled {
        session: session(),
        request: 2,
        venue: ehpad(),
        room: room("salle-polyvalente"),
        capacity_wanted: 30,
        starts_local: local(date(2024, 4, 17), 14, 0),
        ends_local: local(date(2024, 4, 17), 16, 0),
        starts_at: at("2024-04-17T12:00:00Z"),
        ends_at: at("2024-04-17T14:00:00Z"),
    })
}

fn change_venue(venue: VenueId, room_slug: &str) -> Command {
    Command::ChangeSessionVenue(ChangeSessionVenue {
        session: session(),
        venue,
        room: room(room_slug),
    })
}

/// The session moved to the lycée's CDI (request 2).
fn moved_to_lycee() -> Event {
    Event::SessionVenueChanged(SessionVenueChanged {
        session: session(),
        request: 2,
        previous_venue: ehpad(),
        previous_request: 1,
        venue: lycee(),
        room: room("cdi"),
        starts_at: at("2024-04-16T07:30:00Z"),
        ends_at: at("2024-04-16T09:30:00Z"),
        capacity_wanted: 30,
    })
}

fn cancel(why: &str) -> Command {
    Command::CancelSession(CancelSession {
        session: session(),
        reason: reason(why),
    })
}

fn cancelled() -> Event {
    Event::SessionCancelled(SessionCancelled {
        session: session(),
        venue: ehpad(),
        request: 1,
        reason: reason("Grève des transports scolaires"),
    })
}

fn answer(request: u32, answer: VenueAnswer) -> Command {
    Command::RecordVenueAnswer(RecordVenueAnswer {
        session: session(),
        request,
        answer,
    })
}

fn confirmed(request: u32, capacity: u32) -> Event {
    Event::SessionVenueConfirmed(SessionVenueConfirmed {
        session: session(),
        request,
        capacity,
    })
}

fn declined(refused: bool, why: &str) -> Event {
    Event::SessionVenueDeclined(SessionVenueDeclined {
        session: session(),
        request: 1,
        refused,
        reason: reason(why),
    })
}

fn withdrew(why: &str) -> Event {
    Event::SessionVenueWithdrew(SessionVenueWithdrew {
        session: session(),
        request: 1,
        reason: reason(why),
    })
}

fn capacity_changed(capacity: u32) -> Event {
    Event::SessionCapacityChanged(SessionCapacityChanged {
        session: session(),
        request: 1,
        capacity,
    })
}

// ---- The edition ------------------------------------------------------------------------------

#[test]
fn a_command_with_another_editions_facts_is_refused() {
    let mut elsewhere = hautes_alpes();
    elsewhere.id = other_edition();
    let refusal = EventRefusal::WrongEdition {
        event_edition: edition_id(),
        given: other_edition(),
    };
    let commands = [
        add(workshop()),
        Command::Amend(stand()),
        schedule(
            local(date(2024, 4, 16), 9, 30),
            local(date(2024, 4, 16), 11, 30),
        ),
        cancel("Salle indisponible"),
        answer(1, VenueAnswer::Confirmed { capacity: 28 }),
    ];
    for command in commands {
        Spec::<EventAggregate>::given([added(), scheduled()])
            .when(with_facts(command, elsewhere.clone()))
            .then_error(refusal.clone());
    }
}

#[test]
fn an_event_is_added_to_the_edition_whose_facts_came() {
    let mut elsewhere = hautes_alpes();
    elsewhere.id = other_edition();
    Spec::<EventAggregate>::given([])
        .when(with_facts(add(workshop()), elsewhere))
        .then_error(EventRefusal::WrongEdition {
            event_edition: edition_id(),
            given: other_edition(),
        });
}

#[test]
fn a_closed_editions_programme_does_not_change() {
    let refusal = EventRefusal::EditionClosed {
        edition: edition_id(),
    };
    Spec::<EventAggregate>::given([])
        .when(with_facts(add(workshop()), closed()))
        .then_error(refusal.clone());
    let commands = [
        Command::Amend(stand()),
        schedule(
            local(date(2024, 4, 17), 9, 30),
            local(date(2024, 4, 17), 11, 30),
        ),
        reschedule(
            local(date(2024, 4, 17), 14, 0),
            local(date(2024, 4, 17), 16, 0),
        ),
        change_venue(lycee(), "cdi"),
        cancel("Salle indisponible"),
    ];
    for command in commands {
        Spec::<EventAggregate>::given([added(), scheduled()])
            .when(with_facts(command, closed()))
            .then_error(refusal.clone());
    }
}

#[test]
fn a_venue_answer_is_recorded_even_once_the_edition_is_closed() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with_facts(
            answer(1, VenueAnswer::Confirmed { capacity: 28 }),
            closed(),
        ))
        .then([confirmed(1, 28)]);
}

// ---- Add and Amend ----------------------------------------------------------------------------

#[test]
fn an_event_is_added() {
    Spec::<EventAggregate>::given([])
        .when(with(add(workshop())))
        .then([added()]);
}

#[test]
fn an_event_is_added_once() {
    Spec::<EventAggregate>::given([added()])
        .when(with(add(workshop())))
        .then_error(EventRefusal::AlreadyAdded {
            edition: edition_id(),
        });
}

#[test]
fn a_stand_restricted_to_some_of_its_audiences_is_added() {
    Spec::<EventAggregate>::given([])
        .when(with(add(stand())))
        .then([Event::Added(Added {
            edition: edition_id(),
            about: stand(),
        })]);
}

#[test]
fn what_an_event_is_is_checked() {
    let no_theme = About {
        themes: vec![],
        ..workshop()
    };
    let no_audience = About {
        audiences: vec![],
        ..workshop()
    };
    let restricted_elsewhere = About {
        restricted_to: vec![Audience::JobSeekers, Audience::Professionals],
        ..workshop()
    };
    let tools_on_a_workshop = About {
        discovery_tools: vec![DiscoveryTool::VirtualReality],
        ..workshop()
    };
    let theme_twice = About {
        themes: vec![Theme::HomeHelp, Theme::ElderlyAutonomy, Theme::HomeHelp],
        ..workshop()
    };
    let audience_twice = About {
        audiences: vec![Audience::JobSeekers, Audience::JobSeekers],
        ..workshop()
    };
    let restricted_twice = About {
        restricted_to: vec![Audience::Pupils, Audience::Pupils],
        ..stand()
    };
    let tool_twice = About {
        discovery_tools: vec![DiscoveryTool::EscapeGame, DiscoveryTool::EscapeGame],
        ..stand()
    };
    let partner_twice = About {
        partners: vec![
            PartnerId::parse("mission-locale-gap").expect("valid"),
            PartnerId::parse("mission-locale-gap").expect("valid"),
        ],
        ..workshop()
    };
    let duplicate = |list: &'static str, value: &str| EventRefusal::Duplicate {
        list,
        value: value.to_owned(),
    };
    let table = [
        (no_theme, EventRefusal::NoTheme),
        (no_audience, EventRefusal::NoAudience),
        (
            restricted_elsewhere,
            EventRefusal::RestrictionOutsideAudiences {
                audience: Audience::Professionals,
            },
        ),
        (
            tools_on_a_workshop,
            EventRefusal::DiscoveryToolsOutsideStand {
                kind: EventKind::Workshop,
            },
        ),
        (theme_twice, duplicate("themes", "HomeHelp")),
        (audience_twice, duplicate("audiences", "JobSeekers")),
        (restricted_twice, duplicate("restricted_to", "Pupils")),
        (tool_twice, duplicate("discovery_tools", "EscapeGame")),
        (partner_twice, duplicate("partners", "mission-locale-gap")),
    ];
    for (about, refusal) in table {
        Spec::<EventAggregate>::given([])
            .when(with(add(about.clone())))
            .then_error(refusal.clone());
        Spec::<EventAggregate>::given([added()])
            .when(with(Command::Amend(about)))
            .then_error(refusal);
    }
}

#[test]
fn an_event_is_amended() {
    Spec::<EventAggregate>::given([added()])
        .when(with(Command::Amend(stand())))
        .then([Event::Amended(stand())]);
}

#[test]
fn amending_to_what_it_is_records_nothing() {
    Spec::<EventAggregate>::given([added(), Event::Amended(stand())])
        .when(with(Command::Amend(stand())))
        .then([]);
}

#[test]
fn a_missing_event_is_not_amended() {
    Spec::<EventAggregate>::given([])
        .when(with(Command::Amend(stand())))
        .then_error(EventRefusal::NotAdded);
}

// ---- ScheduleSession --------------------------------------------------------------------------

#[test]
fn a_session_is_scheduled_with_its_instants() {
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(
            local(date(2024, 4, 16), 9, 30),
            local(date(2024, 4, 16), 11, 30),
        )))
        .then([scheduled()]);
}

#[test]
fn a_session_needs_its_event() {
    Spec::<EventAggregate>::given([])
        .when(with(schedule(
            local(date(2024, 4, 16), 9, 30),
            local(date(2024, 4, 16), 11, 30),
        )))
        .then_error(EventRefusal::NotAdded);
}

#[test]
fn a_session_id_is_used_once() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(schedule(
            local(date(2024, 4, 18), 9, 30),
            local(date(2024, 4, 18), 11, 30),
        )))
        .then_error(EventRefusal::SessionExists { session: session() });
    Spec::<EventAggregate>::given([added(), scheduled(), cancelled()])
        .when(with(schedule(
            local(date(2024, 4, 18), 9, 30),
            local(date(2024, 4, 18), 11, 30),
        )))
        .then_error(EventRefusal::SessionExists { session: session() });
}

#[test]
fn a_session_wants_at_least_one_seat() {
    Spec::<EventAggregate>::given([added()])
        .when(with(Command::ScheduleSession(ScheduleSession {
            session: session(),
            starts: local(date(2024, 4, 16), 9, 30),
            ends: local(date(2024, 4, 16), 11, 30),
            venue: ehpad(),
            room: room("salle-polyvalente"),
            capacity_wanted: 0,
        })))
        .then_error(EventRefusal::NoCapacityWanted);
}

#[test]
fn a_session_ends_after_it_starts() {
    let day = date(2024, 4, 16);
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(local(day, 11, 30), local(day, 9, 30))))
        .then_error(EventRefusal::EndsBeforeItStarts {
            starts: local(day, 11, 30),
            ends: local(day, 9, 30),
        });
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(local(day, 9, 30), local(day, 9, 30))))
        .then_error(EventRefusal::EndsBeforeItStarts {
            starts: local(day, 9, 30),
            ends: local(day, 9, 30),
        });
}

#[test]
fn a_session_on_the_last_day_is_scheduled_and_not_the_day_after() {
    let last = date(2024, 4, 26);
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(local(last, 14, 0), local(last, 16, 0))))
        .then([scheduled_at(
            local(last, 14, 0),
            local(last, 16, 0),
            "2024-04-26T12:00:00Z",
            "2024-04-26T14:00:00Z",
        )]);
    let outside = EventRefusal::OutsideEdition {
        first_day: date(2024, 4, 15),
        last_day: date(2024, 4, 26),
    };
    let day_after = date(2024, 4, 27);
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(
            local(day_after, 14, 0),
            local(day_after, 16, 0),
        )))
        .then_error(outside.clone());
    // Ending after midnight on the last day is ending the day after; ending at midnight is not
    // (the end is exclusive).
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(local(last, 22, 0), local(day_after, 0, 30))))
        .then_error(outside.clone());
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(local(last, 20, 0), local(day_after, 0, 0))))
        .then([scheduled_at(
            local(last, 20, 0),
            local(day_after, 0, 0),
            "2024-04-26T18:00:00Z",
            "2024-04-26T22:00:00Z",
        )]);
    let day_before = date(2024, 4, 14);
    Spec::<EventAggregate>::given([added()])
        .when(with(schedule(
            local(day_before, 14, 0),
            local(day_before, 16, 0),
        )))
        .then_error(outside);
}

#[test]
fn a_local_time_skipped_in_spring_is_refused() {
    let sunday = date(2024, 3, 31);
    let spring = between(date(2024, 3, 25), sunday);
    Spec::<EventAggregate>::given([added()])
        .when(with_facts(
            schedule(local(sunday, 2, 30), local(sunday, 4, 0)),
            spring.clone(),
        ))
        .then_error(EventRefusal::NonexistentLocalTime {
            at: local(sunday, 2, 30),
            time_zone: TimeZoneName::paris(),
        });
    Spec::<EventAggregate>::given([added()])
        .when(with_facts(
            schedule(local(sunday, 1, 0), local(sunday, 2, 15)),
            spring.clone(),
        ))
        .then_error(EventRefusal::NonexistentLocalTime {
            at: local(sunday, 2, 15),
            time_zone: TimeZoneName::paris(),
        });
    // Around the gap, 01:30 (winter) to 03:30 (summer) is one hour.
    Spec::<EventAggregate>::given([added()])
        .when(with_facts(
            schedule(local(sunday, 1, 30), local(sunday, 3, 30)),
            spring,
        ))
        .then([scheduled_at(
            local(sunday, 1, 30),
            local(sunday, 3, 30),
            "2024-03-31T00:30:00Z",
            "2024-03-31T01:30:00Z",
        )]);
}

#[test]
fn a_session_across_the_autumn_change_keeps_its_true_length() {
    let sunday = date(2024, 10, 27);
    let autumn = between(date(2024, 10, 21), sunday);
    let history = [added()];
    let state = EventAggregate::fold(&history);
    let events = EventAggregate::decide(
        &state,
        &with_facts(schedule(local(sunday, 1, 30), local(sunday, 3, 30)), autumn),
    )
    .expect("scheduled");
    assert_eq!(
        events,
        [scheduled_at(
            local(sunday, 1, 30),
            local(sunday, 3, 30),
            "2024-10-26T23:30:00Z",
            "2024-10-27T02:30:00Z",
        )]
    );
    let state = EventAggregate::fold(&events);
    let session = state.session(session()).expect("scheduled");
    assert_eq!(
        session.ends_at.duration_since(session.starts_at),
        jiff::SignedDuration::from_hours(3)
    );
}

#[test]
fn a_local_time_that_happens_twice_in_autumn_is_its_first_occurrence() {
    let sunday = date(2024, 10, 27);
    let autumn = between(date(2024, 10, 21), sunday);
    // 02:30 happens at 00:30Z (summer time) and again at 01:30Z (winter time): the first counts.
    Spec::<EventAggregate>::given([added()])
        .when(with_facts(
            schedule(local(sunday, 2, 30), local(sunday, 4, 0)),
            autumn.clone(),
        ))
        .then([scheduled_at(
            local(sunday, 2, 30),
            local(sunday, 4, 0),
            "2024-10-27T00:30:00Z",
            "2024-10-27T03:00:00Z",
        )]);
    // So a session from 02:45 to 02:15 that night is refused, though it would fit the second
    // occurrence: its end resolves before its start.
    Spec::<EventAggregate>::given([added()])
        .when(with_facts(
            schedule(local(sunday, 2, 45), local(sunday, 2, 15)),
            autumn,
        ))
        .then_error(EventRefusal::EndsBeforeItStarts {
            starts: local(sunday, 2, 45),
            ends: local(sunday, 2, 15),
        });
}

// ---- RescheduleSession ------------------------------------------------------------------------

#[test]
fn a_session_is_rescheduled_and_its_venue_asked_again() {
    Spec::<EventAggregate>::given([added(), scheduled(), confirmed(1, 28)])
        .when(with(reschedule(
            local(date(2024, 4, 17), 14, 0),
            local(date(2024, 4, 17), 16, 0),
        )))
        .then([rescheduled()]);
}

#[test]
fn rescheduling_after_a_venue_change_opens_the_next_request() {
    Spec::<EventAggregate>::given([added(), scheduled(), moved_to_lycee()])
        .when(with(reschedule(
            local(date(2024, 4, 17), 14, 0),
            local(date(2024, 4, 17), 16, 0),
        )))
        .then([Event::SessionRescheduled(SessionRescheduled {
            session: session(),
            request: 3,
            venue: lycee(),
            room: room("cdi"),
            capacity_wanted: 30,
            starts_local: local(date(2024, 4, 17), 14, 0),
            ends_local: local(date(2024, 4, 17), 16, 0),
            starts_at: at("2024-04-17T12:00:00Z"),
            ends_at: at("2024-04-17T14:00:00Z"),
        })]);
}

#[test]
fn rescheduling_to_the_same_times_records_nothing() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(reschedule(
            local(date(2024, 4, 16), 9, 30),
            local(date(2024, 4, 16), 11, 30),
        )))
        .then([]);
}

#[test]
fn a_rescheduled_session_follows_the_time_rules() {
    let given = [added(), scheduled()];
    Spec::<EventAggregate>::given(given.clone())
        .when(with(reschedule(
            local(date(2024, 4, 27), 9, 30),
            local(date(2024, 4, 27), 11, 30),
        )))
        .then_error(EventRefusal::OutsideEdition {
            first_day: date(2024, 4, 15),
            last_day: date(2024, 4, 26),
        });
    Spec::<EventAggregate>::given(given.clone())
        .when(with(reschedule(
            local(date(2024, 4, 17), 16, 0),
            local(date(2024, 4, 17), 14, 0),
        )))
        .then_error(EventRefusal::EndsBeforeItStarts {
            starts: local(date(2024, 4, 17), 16, 0),
            ends: local(date(2024, 4, 17), 14, 0),
        });
    let sunday = date(2024, 3, 31);
    Spec::<EventAggregate>::given(given)
        .when(with_facts(
            reschedule(local(sunday, 2, 0), local(sunday, 4, 0)),
            between(date(2024, 3, 25), date(2024, 4, 26)),
        ))
        .then_error(EventRefusal::NonexistentLocalTime {
            at: local(sunday, 2, 0),
            time_zone: TimeZoneName::paris(),
        });
}

#[test]
fn an_unknown_or_cancelled_session_is_not_rescheduled() {
    let command = reschedule(
        local(date(2024, 4, 17), 14, 0),
        local(date(2024, 4, 17), 16, 0),
    );
    Spec::<EventAggregate>::given([added()])
        .when(with(command.clone()))
        .then_error(EventRefusal::UnknownSession { session: session() });
    Spec::<EventAggregate>::given([added(), scheduled(), cancelled()])
        .when(with(command))
        .then_error(EventRefusal::SessionCancelled { session: session() });
}

// ---- ChangeSessionVenue -----------------------------------------------------------------------

#[test]
fn a_venue_change_opens_a_request_and_keeps_the_previous_one() {
    Spec::<EventAggregate>::given([added(), scheduled(), confirmed(1, 28)])
        .when(with(change_venue(lycee(), "cdi")))
        .then([moved_to_lycee()]);
}

#[test]
fn another_room_of_the_same_venue_is_a_venue_change() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(change_venue(ehpad(), "jardin-d-hiver")))
        .then([Event::SessionVenueChanged(SessionVenueChanged {
            session: session(),
            request: 2,
            previous_venue: ehpad(),
            previous_request: 1,
            venue: ehpad(),
            room: room("jardin-d-hiver"),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at("2024-04-16T09:30:00Z"),
            capacity_wanted: 30,
        })]);
}

#[test]
fn the_same_venue_and_room_records_nothing() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(change_venue(ehpad(), "salle-polyvalente")))
        .then([]);
}

#[test]
fn the_same_venue_is_asked_again_once_it_said_no() {
    // The venue declined (or registered late, or withdrew): asking it again opens request 2.
    for no in [
        declined(false, "Salle en travaux"),
        declined(true, "Salle inconnue"),
    ] {
        Spec::<EventAggregate>::given([added(), scheduled(), no])
            .when(with(change_venue(ehpad(), "salle-polyvalente")))
            .then([Event::SessionVenueChanged(SessionVenueChanged {
                session: session(),
                request: 2,
                previous_venue: ehpad(),
                previous_request: 1,
                venue: ehpad(),
                room: room("salle-polyvalente"),
                starts_at: at("2024-04-16T07:30:00Z"),
                ends_at: at("2024-04-16T09:30:00Z"),
                capacity_wanted: 30,
            })]);
    }
}

#[test]
fn an_unknown_or_cancelled_session_does_not_change_venue() {
    Spec::<EventAggregate>::given([added()])
        .when(with(change_venue(lycee(), "cdi")))
        .then_error(EventRefusal::UnknownSession { session: session() });
    Spec::<EventAggregate>::given([added(), scheduled(), cancelled()])
        .when(with(change_venue(lycee(), "cdi")))
        .then_error(EventRefusal::SessionCancelled { session: session() });
}

// ---- CancelSession ----------------------------------------------------------------------------

#[test]
fn a_session_is_cancelled_and_its_request_released() {
    Spec::<EventAggregate>::given([added(), scheduled(), confirmed(1, 28)])
        .when(with(cancel("Grève des transports scolaires")))
        .then([cancelled()]);
}

#[test]
fn cancelling_after_a_venue_change_releases_the_new_venue() {
    Spec::<EventAggregate>::given([added(), scheduled(), moved_to_lycee()])
        .when(with(cancel("Grève des transports scolaires")))
        .then([Event::SessionCancelled(SessionCancelled {
            session: session(),
            venue: lycee(),
            request: 2,
            reason: reason("Grève des transports scolaires"),
        })]);
}

#[test]
fn cancelling_twice_records_nothing() {
    Spec::<EventAggregate>::given([added(), scheduled(), cancelled()])
        .when(with(cancel("Une autre raison")))
        .then([]);
}

#[test]
fn an_unknown_session_is_not_cancelled() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(Command::CancelSession(CancelSession {
            session: second_session(),
            reason: reason("Salle indisponible"),
        })))
        .then_error(EventRefusal::UnknownSession {
            session: second_session(),
        });
}

// ---- RecordVenueAnswer ------------------------------------------------------------------------

#[test]
fn each_answer_is_recorded() {
    let table = [
        (VenueAnswer::Confirmed { capacity: 28 }, confirmed(1, 28)),
        (
            VenueAnswer::Declined {
                reason: reason("Salle en travaux"),
            },
            declined(false, "Salle en travaux"),
        ),
        (
            VenueAnswer::Refused {
                reason: reason("Salle inconnue"),
            },
            declined(true, "Salle inconnue"),
        ),
    ];
    for (venue_answer, event) in table {
        Spec::<EventAggregate>::given([added(), scheduled()])
            .when(with(answer(1, venue_answer)))
            .then([event]);
    }
    let after_confirmation = [
        (
            VenueAnswer::CapacityChanged { capacity: 20 },
            capacity_changed(20),
        ),
        (
            VenueAnswer::Withdrew {
                reason: reason("Inspection sanitaire ce jour-là"),
            },
            withdrew("Inspection sanitaire ce jour-là"),
        ),
    ];
    for (venue_answer, event) in after_confirmation {
        Spec::<EventAggregate>::given([added(), scheduled(), confirmed(1, 28)])
            .when(with(answer(1, venue_answer)))
            .then([event]);
    }
}

#[test]
fn a_venue_only_moves_forward_within_one_request() {
    // A second confirmation of the same request (a changed capacity comes as a change), a
    // confirmation replayed after a withdrawal, a decline after a confirmation: late or repeated
    // answers, ignored.
    let late = [
        (confirmed(1, 28), VenueAnswer::Confirmed { capacity: 25 }),
        (
            withdrew("Inspection sanitaire ce jour-là"),
            VenueAnswer::Confirmed { capacity: 28 },
        ),
        (
            withdrew("Inspection sanitaire ce jour-là"),
            VenueAnswer::CapacityChanged { capacity: 20 },
        ),
        (
            confirmed(1, 28),
            VenueAnswer::Declined {
                reason: reason("Salle en travaux"),
            },
        ),
    ];
    for (recorded, answer_late) in late {
        Spec::<EventAggregate>::given([added(), scheduled(), confirmed(1, 28), recorded])
            .when(with(answer(1, answer_late)))
            .then([]);
    }
}

#[test]
fn an_answer_delivered_twice_records_nothing() {
    let table = [
        (confirmed(1, 28), VenueAnswer::Confirmed { capacity: 28 }),
        (
            capacity_changed(20),
            VenueAnswer::CapacityChanged { capacity: 20 },
        ),
        (
            declined(false, "Salle en travaux"),
            VenueAnswer::Declined {
                reason: reason("Salle en travaux"),
            },
        ),
        (
            declined(true, "Salle inconnue"),
            VenueAnswer::Refused {
                reason: reason("Salle inconnue"),
            },
        ),
        (
            withdrew("Inspection sanitaire ce jour-là"),
            VenueAnswer::Withdrew {
                reason: reason("Inspection sanitaire ce jour-là"),
            },
        ),
    ];
    for (recorded, again) in table {
        Spec::<EventAggregate>::given([added(), scheduled(), confirmed(1, 28), recorded])
            .when(with(answer(1, again)))
            .then([]);
    }
}

#[test]
fn a_capacity_change_before_any_confirmation_is_ignored() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(answer(
            1,
            VenueAnswer::CapacityChanged { capacity: 20 },
        )))
        .then([]);
}

#[test]
fn a_stale_answer_is_ignored_after_a_reschedule() {
    Spec::<EventAggregate>::given([added(), scheduled(), rescheduled()])
        .when(with(answer(1, VenueAnswer::Confirmed { capacity: 28 })))
        .then([]);
    Spec::<EventAggregate>::given([added(), scheduled(), rescheduled()])
        .when(with(answer(2, VenueAnswer::Confirmed { capacity: 28 })))
        .then([confirmed(2, 28)]);
}

#[test]
fn a_stale_answer_is_ignored_after_a_venue_change() {
    Spec::<EventAggregate>::given([added(), scheduled(), moved_to_lycee()])
        .when(with(answer(
            1,
            VenueAnswer::Declined {
                reason: reason("Salle en travaux"),
            },
        )))
        .then([]);
}

#[test]
fn an_answer_to_a_request_not_yet_made_is_ignored() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(answer(2, VenueAnswer::Confirmed { capacity: 28 })))
        .then([]);
}

#[test]
fn a_confirmation_after_cancellation_is_ignored() {
    Spec::<EventAggregate>::given([added(), scheduled(), cancelled()])
        .when(with(answer(1, VenueAnswer::Confirmed { capacity: 28 })))
        .then([]);
}

#[test]
fn an_answer_for_an_unknown_session_is_refused() {
    Spec::<EventAggregate>::given([added(), scheduled()])
        .when(with(Command::RecordVenueAnswer(RecordVenueAnswer {
            session: second_session(),
            request: 1,
            answer: VenueAnswer::Confirmed { capacity: 28 },
        })))
        .then_error(EventRefusal::UnknownSession {
            session: second_session(),
        });
}

// ---- State ------------------------------------------------------------------------------------

fn session_after(history: &[Event]) -> scheduling_domain::SessionState {
    EventAggregate::fold(history)
        .session(session())
        .cloned()
        .expect("scheduled")
}

#[test]
fn a_session_is_open_for_registration_once_its_venue_confirms_a_seat() {
    let cases = [
        (vec![added(), scheduled()], false),
        (vec![added(), scheduled(), confirmed(1, 28)], true),
        (vec![added(), scheduled(), confirmed(1, 0)], false),
        (
            vec![added(), scheduled(), confirmed(1, 28), capacity_changed(0)],
            false,
        ),
        (
            vec![added(), scheduled(), confirmed(1, 28), cancelled()],
            false,
        ),
        (
            vec![added(), scheduled(), confirmed(1, 28), rescheduled()],
            false,
        ),
        (
            vec![added(), scheduled(), confirmed(1, 28), moved_to_lycee()],
            false,
        ),
        (
            vec![added(), scheduled(), declined(false, "Salle en travaux")],
            false,
        ),
        (
            vec![
                added(),
                scheduled(),
                confirmed(1, 28),
                withdrew("Fermeture"),
            ],
            false,
        ),
    ];
    for (history, open) in cases {
        assert_eq!(
            session_after(&history).is_open_for_registration(),
            open,
            "{history:?}"
        );
    }
}

#[test]
fn the_state_follows_the_session() {
    let rescheduled_session = session_after(&[
        added(),
        scheduled(),
        confirmed(1, 28),
        moved_to_lycee(),
        rescheduled_at_lycee(),
    ]);
    assert_eq!(rescheduled_session.request, 3);
    assert_eq!(rescheduled_session.venue, lycee());
    assert_eq!(rescheduled_session.room, room("cdi"));
    assert_eq!(rescheduled_session.venue_status, VenueStatus::Requested);
    assert_eq!(
        rescheduled_session.starts_local,
        local(date(2024, 4, 17), 14, 0)
    );
    assert_eq!(rescheduled_session.ends_at, at("2024-04-17T14:00:00Z"));
    assert_eq!(rescheduled_session.capacity(), None);

    let declined_session = session_after(&[added(), scheduled(), declined(true, "Salle inconnue")]);
    assert_eq!(
        declined_session.venue_status,
        VenueStatus::Declined {
            reason: reason("Salle inconnue"),
            refused: true
        }
    );

    let confirmed_session =
        session_after(&[added(), scheduled(), confirmed(1, 28), capacity_changed(20)]);
    assert_eq!(confirmed_session.capacity(), Some(20));
    assert_eq!(
        session_after(&[added(), scheduled(), cancelled()]).cancelled,
        Some(reason("Grève des transports scolaires"))
    );

    let amended = EventAggregate::fold(&[added(), Event::Amended(stand())]);
    assert_eq!(
        amended.added,
        Some(Added {
            edition: edition_id(),
            about: stand()
        })
    );
    assert!(amended.session(session()).is_none());
}

fn rescheduled_at_lycee() -> Event {
    Event::SessionRescheduled(SessionRescheduled {
        session: session(),
        request: 3,
        venue: lycee(),
        room: room("cdi"),
        capacity_wanted: 30,
        starts_local: local(date(2024, 4, 17), 14, 0),
        ends_local: local(date(2024, 4, 17), 16, 0),
        starts_at: at("2024-04-17T12:00:00Z"),
        ends_at: at("2024-04-17T14:00:00Z"),
    })
}

#[test]
fn the_state_survives_a_snapshot() {
    let state = EventAggregate::fold(&[
        added(),
        scheduled(),
        confirmed(1, 28),
        Event::SessionScheduled(SessionScheduled {
            session: second_session(),
            request: 1,
            venue: lycee(),
            room: room("cdi"),
            starts_local: local(date(2024, 4, 18), 9, 0),
            ends_local: local(date(2024, 4, 18), 10, 0),
            time_zone: TimeZoneName::paris(),
            starts_at: at("2024-04-18T07:00:00Z"),
            ends_at: at("2024-04-18T08:00:00Z"),
            capacity_wanted: 25,
        }),
        declined(false, "Salle en travaux"),
    ]);
    let json = serde_json::to_string(&state).expect("written");
    let read: EventState = serde_json::from_str(&json).expect("read");
    assert_eq!(read, state);
}

// ---- Refusals ---------------------------------------------------------------------------------

#[test]
fn refusals_have_stable_codes_and_clear_messages() {
    let gap = EventRefusal::NonexistentLocalTime {
        at: local(date(2024, 3, 31), 2, 30),
        time_zone: TimeZoneName::paris(),
    };
    assert_eq!(gap.code(), "nonexistent-local-time");
    assert_eq!(
        gap.to_string(),
        "2024-03-31T02:30 does not exist in Europe/Paris (clocks go forward); choose a time before or after the change"
    );
    let outside = EventRefusal::OutsideEdition {
        first_day: date(2024, 4, 15),
        last_day: date(2024, 4, 26),
    };
    assert_eq!(outside.code(), "outside-edition");
    assert_eq!(
        outside.to_string(),
        "a session takes place within its edition, from 2024-04-15 to 2024-04-26 included, in local time"
    );
    let closed = EventRefusal::EditionClosed {
        edition: edition_id(),
    };
    assert_eq!(closed.code(), "edition-closed");
    let backwards = EventRefusal::EndsBeforeItStarts {
        starts: local(date(2024, 4, 16), 11, 30),
        ends: local(date(2024, 4, 16), 9, 30),
    };
    assert_eq!(backwards.code(), "ends-before-it-starts");
    assert_eq!(
        backwards.to_string(),
        "a session must end after it starts, not start at 2024-04-16T11:30 and end at 2024-04-16T09:30"
    );
    let others = [
        (
            EventRefusal::WrongEdition {
                event_edition: edition_id(),
                given: other_edition(),
            },
            "wrong-edition",
        ),
        (
            EventRefusal::AlreadyAdded {
                edition: edition_id(),
            },
            "already-added",
        ),
        (EventRefusal::NotAdded, "not-added"),
        (EventRefusal::NoTheme, "no-theme"),
        (EventRefusal::NoAudience, "no-audience"),
        (
            EventRefusal::RestrictionOutsideAudiences {
                audience: Audience::Professionals,
            },
            "restriction-outside-audiences",
        ),
        (
            EventRefusal::DiscoveryToolsOutsideStand {
                kind: EventKind::Workshop,
            },
            "discovery-tools-outside-stand",
        ),
        (
            EventRefusal::Duplicate {
                list: "themes",
                value: "HomeHelp".into(),
            },
            "duplicate",
        ),
        (
            EventRefusal::SessionExists { session: session() },
            "session-exists",
        ),
        (
            EventRefusal::UnknownSession { session: session() },
            "unknown-session",
        ),
        (
            EventRefusal::SessionCancelled { session: session() },
            "session-cancelled",
        ),
        (EventRefusal::NoCapacityWanted, "no-capacity-wanted"),
        (
            EventRefusal::OutOfRange {
                at: local(date(9999, 12, 31), 23, 0),
                time_zone: TimeZoneName::paris(),
            },
            "out-of-range-time",
        ),
    ];
    for (refusal, code) in others {
        assert_eq!(refusal.code(), code);
        assert!(!refusal.to_string().is_empty());
    }
}
