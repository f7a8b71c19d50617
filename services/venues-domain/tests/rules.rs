//! The venue's rules as given/when/then tables: registration, hours and closed periods, hosting
//! requests and their answers. No I/O.
//!
//! The venue is the EHPAD Les Marronniers in Gap (INSEE 05061), open Monday to Friday
//! 08:30–12:30 and 13:30–18:00, Europe/Paris, closed on 22 and 23 April 2024 for works. Most
//! sessions are on Tuesday 16 April 2024, when Paris is at UTC+02: 09:30 local is 07:30Z.
//!
//! Why this file is long: it is the one table of a venue's rules, in sections (the `// ---`
//! banners), all written with the helpers at its top in the domain's words. A section reads alone;
//! split into files, each would have to bring those helpers along.

use decider::{Decider, Spec};
use jiff::Timestamp;
use jiff::civil::{Date, Time, date, time};
use proto::taxonomy::{Equipment, VenueKind};
use proto::values::{EventId, InseeCode, Name, Reason, RoomId, SessionId, TimeZoneName};
use proto::venues::{
    Accessibility, Address, ClosedPeriod, Command, Contact, Event, HostingCapacity, HostingEnded,
    HostingRefusal, HostingRefused, HostingReleased, OpeningHours, OpeningHoursSet, Postcode,
    Register, RequestHosting, Room, Weekday,
};
use uuid::Uuid;
use venues_domain::{Hosting, HostingStatus, Venue, VenueRefusal, VenueState};

// ---------------------------------------------------------------------------------------------
// Helpers: values, the registered venue, requests and answers in the domain's words.
// ---------------------------------------------------------------------------------------------

/// The big room: 40 people.
const BIG: &str = "salle-polyvalente";
/// The small room: 12 people.
const SMALL: &str = "salon";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn session(n: u128) -> SessionId {
    SessionId(id(n))
}

/// The event every session here belongs to.
fn event() -> EventId {
    EventId(id(0xe7))
}

fn room(s: &str) -> RoomId {
    RoomId::parse(s).expect("a room id")
}

fn name(s: &str) -> Name {
    Name::parse(s).expect("a name")
}

fn reason(s: &str) -> Reason {
    Reason::parse(s).expect("a reason")
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("a timestamp")
}

fn span(day: Weekday, opens: Time, closes: Time) -> OpeningHours {
    OpeningHours { day, opens, closes }
}

fn closed(from: Date, to: Date, why: &str) -> ClosedPeriod {
    ClosedPeriod {
        from,
        to,
        reason: reason(why),
    }
}

/// The works that close the venue on 22 and 23 April 2024.
fn works() -> ClosedPeriod {
    closed(
        date(2024, 4, 22),
        date(2024, 4, 23),
        "Travaux de la salle polyvalente",
    )
}

/// The EHPAD Les Marronniers, as it registers.
fn registration() -> Register {
    let weekdays = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    Register {
        name: name("EHPAD Les Marronniers"),
        kind: VenueKind::Ehpad,
        address: Address {
            street: name("12 rue des Alpes"),
            postcode: Postcode::try_from("05000".to_owned()).expect("a postcode"),
            town: name("Gap"),
            insee_code: InseeCode::parse("05061").expect("an INSEE code"),
        },
        contact: Contact {
            name: name("Accueil"),
            email: Some(name("accueil@ehpad-marronniers.example")),
            phone: None,
        },
        accessibility: Accessibility {
            step_free_entrance: Some(true),
            ..Accessibility::default()
        },
        equipment: vec![Equipment::Projector],
        rooms: vec![
            Room {
                id: room(BIG),
                name: name("Salle polyvalente"),
                max_capacity: 40,
            },
            Room {
                id: room(SMALL),
                name: name("Petit salon"),
                max_capacity: 12,
            },
        ],
        opening_hours: weekdays
            .into_iter()
            .flat_map(|day| {
                [
                    span(day, time(8, 30, 0, 0), time(12, 30, 0, 0)),
                    span(day, time(13, 30, 0, 0), time(18, 0, 0, 0)),
                ]
            })
            .collect(),
        closed_periods: vec![works()],
        time_zone: TimeZoneName::paris(),
    }
}

/// The venue registered, as its first event.
fn registered() -> Event {
    registered_with(|_| {})
}

/// The venue registered, changed by `change` first.
fn registered_with(change: impl FnOnce(&mut Register)) -> Event {
    let mut register = registration();
    change(&mut register);
    Event::Registered(Box::new(register))
}

/// Request number `request` for session `n`: 30 seats in `room`, from `starts` to `ends` (UTC).
fn ask(n: u128, request: u32, room_id: &str, starts: &str, ends: &str) -> RequestHosting {
    RequestHosting {
        session: session(n),
        event: event(),
        request,
        room: room(room_id),
        starts_at: at(starts),
        ends_at: at(ends),
        capacity_wanted: 30,
    }
}

/// Session 1, request 1: Tuesday 16 April 2024, 09:30–11:30 local, in the big room.
fn morning() -> RequestHosting {
    ask(1, 1, BIG, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z")
}

fn requested(request: &RequestHosting) -> Event {
    Event::HostingRequested(request.clone())
}

fn refused(request: &RequestHosting, refusal: HostingRefusal) -> Event {
    Event::HostingRefused(HostingRefused {
        session: request.session,
        event: event(),
        request: request.request,
        refusal,
    })
}

fn confirmed(n: u128, request: u32, capacity: u32) -> Event {
    Event::HostingConfirmed(HostingCapacity {
        session: session(n),
        event: event(),
        request,
        capacity,
    })
}

fn capacity_changed(n: u128, request: u32, capacity: u32) -> Event {
    Event::HostingCapacityChanged(HostingCapacity {
        session: session(n),
        event: event(),
        request,
        capacity,
    })
}

fn declined(n: u128, request: u32, why: &str) -> Event {
    Event::HostingDeclined(HostingEnded {
        session: session(n),
        event: event(),
        request,
        reason: reason(why),
    })
}

fn withdrawn(n: u128, request: u32, why: &str) -> Event {
    Event::HostingWithdrawn(HostingEnded {
        session: session(n),
        event: event(),
        request,
        reason: reason(why),
    })
}

fn released(n: u128, request: u32) -> Event {
    Event::HostingReleased(HostingReleased {
        session: session(n),
        request,
    })
}

fn confirm(n: u128, capacity: u32) -> Command {
    confirm_request(n, 1, capacity)
}

fn confirm_request(n: u128, request: u32, capacity: u32) -> Command {
    Command::ConfirmCapacity {
        session: session(n),
        request,
        capacity,
    }
}

fn change(n: u128, capacity: u32) -> Command {
    Command::ChangeCapacity {
        session: session(n),
        request: 1,
        capacity,
    }
}

fn decline(n: u128, why: &str) -> Command {
    Command::Decline {
        session: session(n),
        request: 1,
        reason: reason(why),
    }
}

fn withdraw(n: u128, why: &str) -> Command {
    Command::Withdraw {
        session: session(n),
        request: 1,
        reason: reason(why),
    }
}

fn release(n: u128, request: u32) -> Command {
    Command::ReleaseHosting {
        session: session(n),
        request,
    }
}

/// Asserts the registered venue refuses `request` on arrival for `why`: the request is
/// recorded, then its refusal.
#[track_caller]
fn refused_on_arrival(request: &RequestHosting, why: HostingRefusal) {
    Spec::<Venue>::given([registered()])
        .when(Command::RequestHosting(request.clone()))
        .then([requested(request), refused(request, why)]);
}

/// The state after `history`.
fn state_after(history: &[Event]) -> VenueState {
    Venue::fold(history)
}

/// Session `n`'s status after `history`.
fn status_after(history: &[Event], n: u128) -> HostingStatus {
    state_after(history)
        .hosting(session(n))
        .map(|hosting| hosting.status.clone())
        .expect("the session was requested")
}

// ---------------------------------------------------------------------------------------------
// Registration, opening hours, closed periods.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_venue_registers_once() {
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(registration())))
        .then([registered()]);
    Spec::<Venue>::given([registered()])
        .when(Command::Register(Box::new(registration())))
        .then_error(VenueRefusal::AlreadyRegistered);
}

#[test]
fn a_registration_needs_rooms_with_unique_ids_and_seats() {
    let mut register = registration();
    register.rooms.clear();
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::NoRooms);

    let mut register = registration();
    register.rooms[1].id = room(BIG);
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::DuplicateRoom { room: room(BIG) });

    let mut register = registration();
    register.rooms[1].max_capacity = 0;
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::RoomWithoutCapacity { room: room(SMALL) });

    let mut register = registration();
    register.rooms[1].max_capacity = venues_domain::MAX_ROOM_CAPACITY + 1;
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::RoomTooLarge {
            room: room(SMALL),
            max_capacity: venues_domain::MAX_ROOM_CAPACITY + 1,
        });
    let mut register = registration();
    register.rooms[1].max_capacity = venues_domain::MAX_ROOM_CAPACITY;
    assert!(
        Venue::decide(
            &VenueState::default(),
            &Command::Register(Box::new(register))
        )
        .is_ok(),
        "the largest room is allowed"
    );
}

#[test]
fn a_registration_needs_well_formed_hours_and_closed_periods() {
    let mut register = registration();
    register
        .opening_hours
        .push(span(Weekday::Saturday, time(18, 0, 0, 0), time(8, 0, 0, 0)));
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::OpeningSpanInverted {
            day: Weekday::Saturday,
            opens: time(18, 0, 0, 0),
            closes: time(8, 0, 0, 0),
        });

    let mut register = registration();
    register
        .opening_hours
        .push(span(Weekday::Saturday, time(9, 0, 0, 0), time(9, 0, 0, 0)));
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::OpeningSpanInverted {
            day: Weekday::Saturday,
            opens: time(9, 0, 0, 0),
            closes: time(9, 0, 0, 0),
        });

    let mut register = registration();
    register
        .closed_periods
        .push(closed(date(2024, 8, 31), date(2024, 8, 1), "Congés d'été"));
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register)))
        .then_error(VenueRefusal::ClosedPeriodInverted {
            from: date(2024, 8, 31),
            to: date(2024, 8, 1),
        });

    // One closed day (first day = last day) and no opening hours at all are allowed.
    let mut register = registration();
    register.opening_hours.clear();
    register.closed_periods = vec![closed(
        date(2024, 5, 1),
        date(2024, 5, 1),
        "Fête du travail",
    )];
    Spec::<Venue>::given([])
        .when(Command::Register(Box::new(register.clone())))
        .then([Event::Registered(Box::new(register))]);
}

#[test]
fn only_a_registered_venue_sets_its_hours_and_closed_periods() {
    let hours = vec![span(Weekday::Monday, time(9, 0, 0, 0), time(17, 0, 0, 0))];
    Spec::<Venue>::given([])
        .when(Command::SetOpeningHours {
            opening_hours: hours.clone(),
        })
        .then_error(VenueRefusal::NotRegistered);
    Spec::<Venue>::given([registered()])
        .when(Command::SetOpeningHours {
            opening_hours: hours.clone(),
        })
        .then([Event::OpeningHoursSet(OpeningHoursSet {
            opening_hours: hours,
        })]);
    Spec::<Venue>::given([registered()])
        .when(Command::SetOpeningHours {
            opening_hours: vec![span(Weekday::Monday, time(17, 0, 0, 0), time(9, 0, 0, 0))],
        })
        .then_error(VenueRefusal::OpeningSpanInverted {
            day: Weekday::Monday,
            opens: time(17, 0, 0, 0),
            closes: time(9, 0, 0, 0),
        });

    let summer = closed(date(2024, 8, 1), date(2024, 8, 31), "Congés d'été");
    Spec::<Venue>::given([])
        .when(Command::AddClosedPeriod(summer.clone()))
        .then_error(VenueRefusal::NotRegistered);
    Spec::<Venue>::given([registered()])
        .when(Command::AddClosedPeriod(summer.clone()))
        .then([Event::ClosedPeriodAdded(summer)]);
    Spec::<Venue>::given([registered()])
        .when(Command::AddClosedPeriod(closed(
            date(2024, 8, 31),
            date(2024, 8, 1),
            "Congés d'été",
        )))
        .then_error(VenueRefusal::ClosedPeriodInverted {
            from: date(2024, 8, 31),
            to: date(2024, 8, 1),
        });
}

#[test]
fn new_hours_and_closed_periods_apply_to_later_requests_only() {
    // Tuesday afternoon only, from now on.
    let hours = Event::OpeningHoursSet(OpeningHoursSet {
        opening_hours: vec![span(
            Weekday::Tuesday,
            time(13, 30, 0, 0),
            time(18, 0, 0, 0),
        )],
    });
    let morning = morning();
    Spec::<Venue>::given([registered(), hours.clone()])
        .when(Command::RequestHosting(morning.clone()))
        .then([
            requested(&morning),
            refused(&morning, HostingRefusal::OutsideOpeningHours),
        ]);

    // A request already made stays pending and can be confirmed.
    Spec::<Venue>::given([registered(), requested(&morning), hours])
        .when(confirm(1, 30))
        .then([confirmed(1, 1, 30)]);

    let strike = closed(date(2024, 4, 16), date(2024, 4, 16), "Grève");
    Spec::<Venue>::given([registered(), Event::ClosedPeriodAdded(strike)])
        .when(Command::RequestHosting(morning.clone()))
        .then([
            requested(&morning),
            refused(
                &morning,
                HostingRefusal::ClosedPeriod {
                    reason: reason("Grève"),
                },
            ),
        ]);
}

// ---------------------------------------------------------------------------------------------
// Hosting requests: checked on arrival.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_request_to_an_unregistered_venue_is_refused() {
    Spec::<Venue>::given([])
        .when(Command::RequestHosting(morning()))
        .then_error(VenueRefusal::NotRegistered);
}

#[test]
fn a_request_within_opening_hours_waits_for_the_venue() {
    Spec::<Venue>::given([registered()])
        .when(Command::RequestHosting(morning()))
        .then([requested(&morning())]);
    assert_eq!(
        status_after(&[registered(), requested(&morning())], 1),
        HostingStatus::Pending
    );
    // Exactly the span's bounds: 08:30–12:30 local.
    let whole_morning = ask(2, 1, BIG, "2024-04-16T06:30:00Z", "2024-04-16T10:30:00Z");
    Spec::<Venue>::given([registered()])
        .when(Command::RequestHosting(whole_morning.clone()))
        .then([requested(&whole_morning)]);
}

#[test]
fn a_request_for_an_unknown_room_is_refused() {
    let request = ask(
        1,
        1,
        "cuisine",
        "2024-04-16T07:30:00Z",
        "2024-04-16T09:30:00Z",
    );
    refused_on_arrival(&request, HostingRefusal::UnknownRoom);
}

#[test]
fn a_request_that_ends_before_it_starts_is_refused() {
    let backwards = ask(1, 1, BIG, "2024-04-16T09:30:00Z", "2024-04-16T07:30:00Z");
    refused_on_arrival(&backwards, HostingRefusal::EndsBeforeItStarts);
    let empty = ask(1, 1, BIG, "2024-04-16T07:30:00Z", "2024-04-16T07:30:00Z");
    refused_on_arrival(&empty, HostingRefusal::EndsBeforeItStarts);
}

#[test]
fn a_request_on_a_closed_day_is_refused_with_the_period_reason() {
    // Monday 22 April 2024, 09:30–11:30 local: a weekday, within hours, but the works close it.
    let request = ask(1, 1, BIG, "2024-04-22T07:30:00Z", "2024-04-22T09:30:00Z");
    refused_on_arrival(
        &request,
        HostingRefusal::ClosedPeriod {
            reason: works().reason,
        },
    );
    // The last closed day too (Tuesday 23 April).
    let request = ask(1, 1, BIG, "2024-04-23T12:00:00Z", "2024-04-23T14:00:00Z");
    refused_on_arrival(
        &request,
        HostingRefusal::ClosedPeriod {
            reason: works().reason,
        },
    );
    // The day after reopens.
    let request = ask(1, 1, BIG, "2024-04-24T07:30:00Z", "2024-04-24T09:30:00Z");
    Spec::<Venue>::given([registered()])
        .when(Command::RequestHosting(request.clone()))
        .then([requested(&request)]);
}

#[test]
fn a_closed_day_is_read_in_the_venues_time_zone() {
    // 21 April 2024 at 22:30Z is already Monday 22 April, 00:30, in Paris.
    let request = ask(1, 1, BIG, "2024-04-21T22:30:00Z", "2024-04-21T23:00:00Z");
    refused_on_arrival(
        &request,
        HostingRefusal::ClosedPeriod {
            reason: works().reason,
        },
    );
}

#[test]
fn a_request_outside_opening_hours_is_refused() {
    let outside = [
        // Tuesday 07:30–09:00 local: starts before opening.
        ("2024-04-16T05:30:00Z", "2024-04-16T07:00:00Z"),
        // Tuesday 17:00–18:30 local: ends after closing.
        ("2024-04-16T15:00:00Z", "2024-04-16T16:30:00Z"),
        // Tuesday 11:00–14:00 local: both ends are open, but across the lunch break.
        ("2024-04-16T09:00:00Z", "2024-04-16T12:00:00Z"),
        // Saturday 20 April, 10:00–11:00 local: closed on Saturdays.
        ("2024-04-20T08:00:00Z", "2024-04-20T09:00:00Z"),
    ];
    for (starts, ends) in outside {
        let request = ask(1, 1, BIG, starts, ends);
        refused_on_arrival(&request, HostingRefusal::OutsideOpeningHours);
    }
}

#[test]
fn a_request_crossing_midnight_is_outside_opening_hours() {
    // Open Friday evening until the last second and Saturday from midnight: still, one session
    // lies within one span of one day.
    let venue = registered_with(|register| {
        register.opening_hours = vec![
            span(Weekday::Friday, time(18, 0, 0, 0), time(23, 59, 59, 0)),
            span(Weekday::Saturday, time(0, 0, 0, 0), time(6, 0, 0, 0)),
        ];
    });
    // Friday 19 April 22:00 to Saturday 01:00 local.
    let night = ask(1, 1, BIG, "2024-04-19T20:00:00Z", "2024-04-19T23:00:00Z");
    Spec::<Venue>::given([venue.clone()])
        .when(Command::RequestHosting(night.clone()))
        .then([
            requested(&night),
            refused(&night, HostingRefusal::OutsideOpeningHours),
        ]);
    // Each half alone fits.
    let evening = ask(1, 1, BIG, "2024-04-19T20:00:00Z", "2024-04-19T21:59:59Z");
    Spec::<Venue>::given([venue])
        .when(Command::RequestHosting(evening.clone()))
        .then([requested(&evening)]);
}

#[test]
fn the_autumn_clock_change_is_read_with_the_offset_of_that_day() {
    // Open 08:00–18:00 on weekends. On Sunday 27 October 2024 Paris goes from UTC+02 to UTC+01
    // at 03:00 local.
    let venue = registered_with(|register| {
        register.opening_hours = vec![
            span(Weekday::Saturday, time(8, 0, 0, 0), time(18, 0, 0, 0)),
            span(Weekday::Sunday, time(8, 0, 0, 0), time(18, 0, 0, 0)),
        ];
    });

    // 15:00Z–16:30Z on Sunday is 16:00–17:30 winter time: within hours. Read with the summer
    // offset it would be 17:00–18:30 and refused.
    let sunday = ask(1, 1, BIG, "2024-10-27T15:00:00Z", "2024-10-27T16:30:00Z");
    Spec::<Venue>::given([venue.clone()])
        .when(Command::RequestHosting(sunday.clone()))
        .then([requested(&sunday)]);

    // The same instants the day before, still summer time, are 17:00–18:30: refused.
    let saturday = ask(2, 1, BIG, "2024-10-26T15:00:00Z", "2024-10-26T16:30:00Z");
    Spec::<Venue>::given([venue.clone()])
        .when(Command::RequestHosting(saturday.clone()))
        .then([
            requested(&saturday),
            refused(&saturday, HostingRefusal::OutsideOpeningHours),
        ]);

    // And the other way: 06:30Z–07:30Z on Sunday is 07:30–08:30 winter time, before opening,
    // though the summer offset would have made it 08:30–09:30.
    let early = ask(3, 1, BIG, "2024-10-27T06:30:00Z", "2024-10-27T07:30:00Z");
    Spec::<Venue>::given([venue])
        .when(Command::RequestHosting(early.clone()))
        .then([
            requested(&early),
            refused(&early, HostingRefusal::OutsideOpeningHours),
        ]);
}

#[test]
fn only_the_first_failing_check_is_recorded() {
    // Unknown room, on a closed day, outside hours: the room is reported.
    let request = ask(
        1,
        1,
        "cuisine",
        "2024-04-22T04:00:00Z",
        "2024-04-22T05:00:00Z",
    );
    refused_on_arrival(&request, HostingRefusal::UnknownRoom);
    // Backwards on a closed day: the times are reported.
    let request = ask(1, 1, BIG, "2024-04-22T05:00:00Z", "2024-04-22T04:00:00Z");
    refused_on_arrival(&request, HostingRefusal::EndsBeforeItStarts);
    // Closed day and outside hours: the closed period is reported.
    let request = ask(1, 1, BIG, "2024-04-22T04:00:00Z", "2024-04-22T05:00:00Z");
    refused_on_arrival(
        &request,
        HostingRefusal::ClosedPeriod {
            reason: works().reason,
        },
    );
    assert_eq!(
        status_after(
            &[
                registered(),
                requested(&request),
                refused(
                    &request,
                    HostingRefusal::ClosedPeriod {
                        reason: works().reason
                    }
                )
            ],
            1
        ),
        HostingStatus::Refused(HostingRefusal::ClosedPeriod {
            reason: works().reason
        })
    );
}

#[test]
fn a_stale_or_repeated_request_changes_nothing() {
    let second = ask(1, 2, BIG, "2024-04-16T12:00:00Z", "2024-04-16T14:00:00Z");
    // Repeated.
    Spec::<Venue>::given([registered(), requested(&morning())])
        .when(Command::RequestHosting(morning()))
        .then([]);
    // Older than the one known, even after it was answered.
    Spec::<Venue>::given([
        registered(),
        requested(&morning()),
        requested(&second),
        confirmed(1, 2, 30),
    ])
    .when(Command::RequestHosting(morning()))
    .then([]);
    // Even a repeated one whose checks would fail now.
    Spec::<Venue>::given([registered(), requested(&second)])
        .when(Command::RequestHosting(ask(
            1,
            2,
            "cuisine",
            "2024-04-16T12:00:00Z",
            "2024-04-16T14:00:00Z",
        )))
        .then([]);
}

#[test]
fn a_new_request_replaces_the_old_one_and_frees_its_time() {
    // Session 1 was confirmed in the morning, then moved to the afternoon (request 2).
    let afternoon = ask(1, 2, BIG, "2024-04-16T12:00:00Z", "2024-04-16T14:00:00Z");
    let history = vec![registered(), requested(&morning()), confirmed(1, 1, 30)];
    let state = Spec::<Venue>::given(history.clone())
        .when(Command::RequestHosting(afternoon.clone()))
        .then([requested(&afternoon)]);
    let mut history = history;
    history.push(requested(&afternoon));
    let hosting = state.hosting(session(1)).expect("requested");
    assert_eq!(hosting.status, HostingStatus::Pending);
    assert_eq!(hosting.request, 2);
    assert_eq!(hosting.starts_at, at("2024-04-16T12:00:00Z"));

    // The morning is free again for session 2.
    let other = ask(2, 1, BIG, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z");
    history.push(requested(&other));
    Spec::<Venue>::given(history.clone())
        .when(confirm(2, 40))
        .then([confirmed(2, 1, 40)]);

    // An answer about the replaced request changes nothing.
    history.push(confirmed(1, 1, 30));
    assert_eq!(status_after(&history, 1), HostingStatus::Pending);
}

#[test]
fn a_refused_request_can_be_replaced_by_a_new_one() {
    let sunday = ask(1, 1, BIG, "2024-04-21T07:30:00Z", "2024-04-21T09:30:00Z");
    let monday = ask(1, 2, BIG, "2024-04-15T07:30:00Z", "2024-04-15T09:30:00Z");
    Spec::<Venue>::given([
        registered(),
        requested(&sunday),
        refused(&sunday, HostingRefusal::OutsideOpeningHours),
    ])
    .when(Command::RequestHosting(monday.clone()))
    .then([requested(&monday)]);
}

// ---------------------------------------------------------------------------------------------
// Confirming a capacity.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_venue_confirms_a_capacity_up_to_the_rooms_maximum() {
    let history = [registered(), requested(&morning())];
    Spec::<Venue>::given(history.clone())
        .when(confirm(1, 28))
        .then([confirmed(1, 1, 28)]);
    Spec::<Venue>::given(history.clone())
        .when(confirm(1, 40))
        .then([confirmed(1, 1, 40)]);
    Spec::<Venue>::given(history.clone())
        .when(confirm(1, 45))
        .then_error(VenueRefusal::CapacityAboveRoomMaximum {
            room: room(BIG),
            max: 40,
            asked: 45,
        });
    Spec::<Venue>::given(history)
        .when(confirm(1, 0))
        .then_error(VenueRefusal::ZeroCapacity);

    let small = ask(2, 1, SMALL, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z");
    Spec::<Venue>::given([registered(), requested(&small)])
        .when(confirm(2, 13))
        .then_error(VenueRefusal::CapacityAboveRoomMaximum {
            room: room(SMALL),
            max: 12,
            asked: 13,
        });
}

#[test]
fn only_a_requested_session_of_a_registered_venue_is_confirmed() {
    Spec::<Venue>::given([])
        .when(confirm(1, 20))
        .then_error(VenueRefusal::NotRegistered);
    Spec::<Venue>::given([registered()])
        .when(confirm(1, 20))
        .then_error(VenueRefusal::UnknownSession {
            session: session(1),
        });
}

#[test]
fn confirming_again_is_a_no_op_or_a_pointer_to_change_capacity() {
    let history = [registered(), requested(&morning()), confirmed(1, 1, 28)];
    Spec::<Venue>::given(history.clone())
        .when(confirm(1, 28))
        .then([]);
    Spec::<Venue>::given(history)
        .when(confirm(1, 30))
        .then_error(VenueRefusal::AlreadyConfirmed {
            session: session(1),
            confirmed: 28,
            asked: 30,
        });
}

#[test]
fn only_a_pending_request_is_confirmed() {
    let sunday = ask(1, 1, BIG, "2024-04-21T07:30:00Z", "2024-04-21T09:30:00Z");
    Spec::<Venue>::given([
        registered(),
        requested(&sunday),
        refused(&sunday, HostingRefusal::OutsideOpeningHours),
    ])
    .when(confirm(1, 20))
    .then_error(VenueRefusal::NotPending {
        session: session(1),
        status: HostingStatus::Refused(HostingRefusal::OutsideOpeningHours),
    });

    let ended = [
        (declined(1, 1, "Salle en travaux"), HostingStatus::Declined),
        (
            withdrawn(1, 1, "Inspection sanitaire"),
            HostingStatus::Withdrawn,
        ),
        (released(1, 1), HostingStatus::Released),
    ];
    for (end, status) in ended {
        Spec::<Venue>::given([
            registered(),
            requested(&morning()),
            confirmed(1, 1, 28),
            end,
        ])
        .when(confirm(1, 28))
        .then_error(VenueRefusal::NotPending {
            session: session(1),
            status,
        });
    }
}

#[test]
fn a_release_then_a_confirmation_is_refused() {
    Spec::<Venue>::given([registered(), requested(&morning()), released(1, 1)])
        .when(confirm(1, 20))
        .then_error(VenueRefusal::NotPending {
            session: session(1),
            status: HostingStatus::Released,
        });
}

#[test]
fn a_room_never_hosts_two_overlapping_sessions() {
    // Both requests arrive and wait; the first confirmation takes the room, the second is refused.
    let overlapping = ask(2, 1, BIG, "2024-04-16T08:30:00Z", "2024-04-16T10:00:00Z");
    let both = vec![registered(), requested(&morning()), requested(&overlapping)];
    Spec::<Venue>::given(both.clone())
        .when(confirm(2, 20))
        .then([confirmed(2, 1, 20)]);
    let mut first_confirmed = both;
    first_confirmed.push(confirmed(1, 1, 30));
    Spec::<Venue>::given(first_confirmed.clone())
        .when(confirm(2, 20))
        .then_error(VenueRefusal::RoomAlreadyTaken {
            room: room(BIG),
            session: session(1),
        });

    // A session inside another, or around it, overlaps too.
    let inside = ask(3, 1, BIG, "2024-04-16T08:00:00Z", "2024-04-16T08:30:00Z");
    let around = ask(4, 1, BIG, "2024-04-16T06:30:00Z", "2024-04-16T10:30:00Z");
    let mut history = first_confirmed;
    history.extend([requested(&inside), requested(&around)]);
    for n in [3, 4] {
        Spec::<Venue>::given(history.clone())
            .when(confirm(n, 20))
            .then_error(VenueRefusal::RoomAlreadyTaken {
                room: room(BIG),
                session: session(1),
            });
    }
}

#[test]
fn overlapping_sessions_in_different_rooms_and_back_to_back_sessions_are_fine() {
    let small_same_time = ask(2, 1, SMALL, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z");
    let right_after = ask(3, 1, BIG, "2024-04-16T09:30:00Z", "2024-04-16T10:30:00Z");
    let right_before = ask(4, 1, BIG, "2024-04-16T06:30:00Z", "2024-04-16T07:30:00Z");
    let history = [
        registered(),
        requested(&morning()),
        confirmed(1, 1, 30),
        requested(&small_same_time),
        requested(&right_after),
        requested(&right_before),
    ];
    Spec::<Venue>::given(history.clone())
        .when(confirm(2, 12))
        .then([confirmed(2, 1, 12)]);
    Spec::<Venue>::given(history.clone())
        .when(confirm(3, 40))
        .then([confirmed(3, 1, 40)]);
    Spec::<Venue>::given(history)
        .when(confirm(4, 40))
        .then([confirmed(4, 1, 40)]);
}

#[test]
fn only_confirmed_sessions_take_the_room() {
    let overlapping = ask(2, 1, BIG, "2024-04-16T08:30:00Z", "2024-04-16T10:00:00Z");
    let not_taking = [
        vec![],
        vec![declined(1, 1, "Salle en travaux")],
        vec![confirmed(1, 1, 30), withdrawn(1, 1, "Inspection sanitaire")],
        vec![confirmed(1, 1, 30), released(1, 1)],
    ];
    for answers in not_taking {
        let mut history = vec![registered(), requested(&morning())];
        history.extend(answers);
        history.push(requested(&overlapping));
        Spec::<Venue>::given(history)
            .when(confirm(2, 20))
            .then([confirmed(2, 1, 20)]);
    }
}

// ---------------------------------------------------------------------------------------------
// Declining, changing the capacity, withdrawing.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_venue_declines_a_pending_request() {
    let history = [registered(), requested(&morning())];
    Spec::<Venue>::given(history.clone())
        .when(decline(1, "Salle en travaux"))
        .then([declined(1, 1, "Salle en travaux")]);

    let mut declined_once = history.to_vec();
    declined_once.push(declined(1, 1, "Salle en travaux"));
    assert_eq!(status_after(&declined_once, 1), HostingStatus::Declined);
    Spec::<Venue>::given(declined_once)
        .when(decline(1, "Salle en travaux"))
        .then([]);

    Spec::<Venue>::given([registered(), requested(&morning()), confirmed(1, 1, 28)])
        .when(decline(1, "Finalement non"))
        .then_error(VenueRefusal::NotPending {
            session: session(1),
            status: HostingStatus::Confirmed { capacity: 28 },
        });
    Spec::<Venue>::given([registered()])
        .when(decline(1, "Inconnue"))
        .then_error(VenueRefusal::UnknownSession {
            session: session(1),
        });
    Spec::<Venue>::given([])
        .when(decline(1, "Inconnue"))
        .then_error(VenueRefusal::NotRegistered);
}

#[test]
fn the_venue_lowers_or_raises_a_confirmed_capacity() {
    let history = [registered(), requested(&morning()), confirmed(1, 1, 28)];
    Spec::<Venue>::given(history.clone())
        .when(change(1, 20))
        .then([capacity_changed(1, 1, 20)]);
    Spec::<Venue>::given(history.clone())
        .when(change(1, 40))
        .then([capacity_changed(1, 1, 40)]);
    Spec::<Venue>::given(history.clone())
        .when(change(1, 28))
        .then([]);
    Spec::<Venue>::given(history.clone())
        .when(change(1, 41))
        .then_error(VenueRefusal::CapacityAboveRoomMaximum {
            room: room(BIG),
            max: 40,
            asked: 41,
        });
    Spec::<Venue>::given(history.clone())
        .when(change(1, 0))
        .then_error(VenueRefusal::ZeroCapacity);

    let mut changed = history.to_vec();
    changed.push(capacity_changed(1, 1, 20));
    assert_eq!(
        status_after(&changed, 1),
        HostingStatus::Confirmed { capacity: 20 }
    );
}

#[test]
fn only_a_confirmed_capacity_changes() {
    Spec::<Venue>::given([registered(), requested(&morning())])
        .when(change(1, 20))
        .then_error(VenueRefusal::NotConfirmed {
            session: session(1),
            status: HostingStatus::Pending,
        });
    Spec::<Venue>::given([
        registered(),
        requested(&morning()),
        confirmed(1, 1, 28),
        withdrawn(1, 1, "Inspection sanitaire"),
    ])
    .when(change(1, 20))
    .then_error(VenueRefusal::NotConfirmed {
        session: session(1),
        status: HostingStatus::Withdrawn,
    });
    Spec::<Venue>::given([registered()])
        .when(change(1, 20))
        .then_error(VenueRefusal::UnknownSession {
            session: session(1),
        });
}

#[test]
fn the_venue_withdraws_after_confirming_and_frees_the_room() {
    let history = vec![registered(), requested(&morning()), confirmed(1, 1, 28)];
    Spec::<Venue>::given(history.clone())
        .when(withdraw(1, "Inspection sanitaire"))
        .then([withdrawn(1, 1, "Inspection sanitaire")]);

    let mut after = history;
    after.push(withdrawn(1, 1, "Inspection sanitaire"));
    assert_eq!(status_after(&after, 1), HostingStatus::Withdrawn);
    Spec::<Venue>::given(after.clone())
        .when(withdraw(1, "Inspection sanitaire"))
        .then([]);

    let same_time = ask(2, 1, BIG, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z");
    after.push(requested(&same_time));
    Spec::<Venue>::given(after)
        .when(confirm(2, 40))
        .then([confirmed(2, 1, 40)]);
}

#[test]
fn only_a_confirmed_hosting_is_withdrawn() {
    Spec::<Venue>::given([registered(), requested(&morning())])
        .when(withdraw(1, "Pas encore confirmé"))
        .then_error(VenueRefusal::NotConfirmed {
            session: session(1),
            status: HostingStatus::Pending,
        });
    Spec::<Venue>::given([
        registered(),
        requested(&morning()),
        declined(1, 1, "Salle en travaux"),
    ])
    .when(withdraw(1, "Déjà refusé"))
    .then_error(VenueRefusal::NotConfirmed {
        session: session(1),
        status: HostingStatus::Declined,
    });
    Spec::<Venue>::given([registered()])
        .when(withdraw(1, "Inconnue"))
        .then_error(VenueRefusal::UnknownSession {
            session: session(1),
        });
}

// ---------------------------------------------------------------------------------------------
// Releasing.
// ---------------------------------------------------------------------------------------------

#[test]
fn semaine_releases_the_current_request_once() {
    let history = vec![registered(), requested(&morning()), confirmed(1, 1, 28)];
    Spec::<Venue>::given(history.clone())
        .when(release(1, 1))
        .then([released(1, 1)]);

    let mut after = history;
    after.push(released(1, 1));
    assert_eq!(status_after(&after, 1), HostingStatus::Released);
    Spec::<Venue>::given(after).when(release(1, 1)).then([]);

    // Whatever the answer was: a pending, refused or declined request is released too.
    Spec::<Venue>::given([registered(), requested(&morning())])
        .when(release(1, 1))
        .then([released(1, 1)]);
    Spec::<Venue>::given([
        registered(),
        requested(&morning()),
        declined(1, 1, "Salle en travaux"),
    ])
    .when(release(1, 1))
    .then([released(1, 1)]);
}

#[test]
fn releasing_a_stale_or_unknown_request_changes_nothing() {
    let afternoon = ask(1, 2, BIG, "2024-04-16T12:00:00Z", "2024-04-16T14:00:00Z");
    Spec::<Venue>::given([registered(), requested(&morning()), requested(&afternoon)])
        .when(release(1, 1))
        .then([]);
    Spec::<Venue>::given([registered()])
        .when(release(1, 1))
        .then([]);
    Spec::<Venue>::given([]).when(release(1, 1)).then([]);
}

#[test]
fn a_release_frees_the_room() {
    let same_time = ask(2, 1, BIG, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z");
    Spec::<Venue>::given([
        registered(),
        requested(&morning()),
        confirmed(1, 1, 28),
        released(1, 1),
        requested(&same_time),
    ])
    .when(confirm(2, 40))
    .then([confirmed(2, 1, 40)]);
}

// ---------------------------------------------------------------------------------------------
// The state: queries and snapshots.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_state_answers_what_a_shell_or_read_model_asks() {
    let small = ask(2, 1, SMALL, "2024-04-16T07:30:00Z", "2024-04-16T09:30:00Z");
    let later = ask(3, 1, BIG, "2024-04-16T12:00:00Z", "2024-04-16T14:00:00Z");
    let history = [
        registered(),
        requested(&morning()),
        confirmed(1, 1, 28),
        requested(&small),
        requested(&later),
        confirmed(3, 1, 35),
    ];
    let state = state_after(&history);
    assert!(state.is_registered());
    assert!(!VenueState::default().is_registered());

    let details = state.details.as_ref().expect("registered");
    assert_eq!(details.max_capacity(&room(BIG)), Some(40));
    assert_eq!(details.max_capacity(&room("cuisine")), None);
    assert_eq!(details.refusal_for(&morning()), None);

    let hosting = state.hosting(session(1)).expect("requested");
    assert_eq!(
        hosting,
        &Hosting {
            event: event(),
            request: 1,
            room: room(BIG),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at("2024-04-16T09:30:00Z"),
            capacity_wanted: 30,
            status: HostingStatus::Confirmed { capacity: 28 },
        }
    );
    assert_eq!(hosting.confirmed_capacity(), Some(28));
    assert_eq!(
        state
            .hosting(session(2))
            .expect("requested")
            .confirmed_capacity(),
        None
    );
    assert!(state.hosting(session(9)).is_none());

    let big_room = room(BIG);
    let taken: Vec<SessionId> = state
        .confirmed_in(&big_room)
        .map(|(session, _)| session)
        .collect();
    assert_eq!(taken, vec![session(1), session(3)]);
    let small_room = room(SMALL);
    assert_eq!(state.confirmed_in(&small_room).count(), 0);
}

#[test]
fn the_state_survives_a_snapshot() {
    let sunday = ask(2, 1, BIG, "2024-04-21T07:30:00Z", "2024-04-21T09:30:00Z");
    let state = state_after(&[
        registered(),
        requested(&morning()),
        confirmed(1, 1, 28),
        requested(&sunday),
        refused(&sunday, HostingRefusal::OutsideOpeningHours),
    ]);
    let json = serde_json::to_string(&state).expect("written");
    let back: VenueState = serde_json::from_str(&json).expect("read back");
    assert_eq!(back, state);
    assert_eq!(Venue::STATE_VERSION, 1);
}

#[test]
fn refusals_have_stable_codes_and_say_what_is_allowed() {
    let refusals = [
        VenueRefusal::NotRegistered,
        VenueRefusal::AlreadyRegistered,
        VenueRefusal::NoRooms,
        VenueRefusal::DuplicateRoom { room: room(BIG) },
        VenueRefusal::RoomWithoutCapacity { room: room(BIG) },
        VenueRefusal::OpeningSpanInverted {
            day: Weekday::Monday,
            opens: time(18, 0, 0, 0),
            closes: time(8, 0, 0, 0),
        },
        VenueRefusal::ClosedPeriodInverted {
            from: date(2024, 8, 31),
            to: date(2024, 8, 1),
        },
        VenueRefusal::UnknownSession {
            session: session(1),
        },
        VenueRefusal::UnknownRoom { room: room(BIG) },
        VenueRefusal::NotPending {
            session: session(1),
            status: HostingStatus::Released,
        },
        VenueRefusal::AlreadyConfirmed {
            session: session(1),
            confirmed: 28,
            asked: 30,
        },
        VenueRefusal::NotConfirmed {
            session: session(1),
            status: HostingStatus::Pending,
        },
        VenueRefusal::ZeroCapacity,
        VenueRefusal::CapacityAboveRoomMaximum {
            room: room("salle-1"),
            max: 40,
            asked: 45,
        },
        VenueRefusal::RoomAlreadyTaken {
            room: room(BIG),
            session: session(1),
        },
    ];
    let mut codes: Vec<&str> = refusals.iter().map(VenueRefusal::code).collect();
    for code in &codes {
        assert!(
            code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{code} is kebab-case"
        );
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), refusals.len(), "codes are unique");

    assert_eq!(
        refusals[13].to_string(),
        "cannot confirm 45 seats: room `salle-1` holds at most 40"
    );
    assert_eq!(refusals[13].code(), "capacity-above-room-maximum");
    assert_eq!(refusals[14].code(), "room-already-taken");
    assert_eq!(refusals[0].code(), "venue-not-registered");
    assert!(
        refusals[10]
            .to_string()
            .contains("change the capacity instead"),
        "{}",
        refusals[10]
    );
    assert!(
        refusals[9].to_string().contains("its request is released"),
        "{}",
        refusals[9]
    );
    assert_eq!(
        HostingStatus::Refused(HostingRefusal::ClosedPeriod {
            reason: reason("Travaux")
        })
        .to_string(),
        "refused (the venue is closed: Travaux)"
    );
}

#[test]
fn an_answer_to_a_replaced_request_is_refused() {
    let moved = ask(1, 2, BIG, "2024-04-18T07:30:00Z", "2024-04-18T09:30:00Z");
    let history = [registered(), requested(&morning()), requested(&moved)];
    // The venue saw Tuesday (request 1); the session moved to Thursday (request 2) meanwhile.
    Spec::<Venue>::given(history.clone())
        .when(confirm_request(1, 1, 30))
        .then_error(VenueRefusal::RequestReplaced {
            session: session(1),
            answered: 1,
            current: 2,
        });
    Spec::<Venue>::given(history)
        .when(confirm_request(1, 2, 30))
        .then([confirmed(1, 2, 30)]);
}

#[test]
fn a_session_id_belongs_to_one_event() {
    let mut other = morning();
    other.event = EventId(id(0xe8));
    other.request = 2;
    Spec::<Venue>::given([registered(), requested(&morning())])
        .when(Command::RequestHosting(other))
        .then_error(VenueRefusal::SessionOfAnotherEvent {
            session: session(1),
            event: event(),
        });
}

#[test]
fn a_session_ending_at_midnight_does_not_take_the_next_day() {
    // Sunday 21 April 2024, 22:00–00:00 local, the night before the works close the venue: not
    // on a closed day (the end is exclusive), but outside the opening spans, which close by
    // midnight.
    let request = ask(1, 1, BIG, "2024-04-21T20:00:00Z", "2024-04-21T22:00:00Z");
    refused_on_arrival(&request, HostingRefusal::OutsideOpeningHours);
}

#[test]
fn closing_a_day_that_holds_a_confirmed_session_is_refused_until_it_is_withdrawn() {
    // The morning session (Tuesday 16 April) is confirmed; the venue wants to close that day.
    let strike = closed(
        jiff::civil::date(2024, 4, 16),
        jiff::civil::date(2024, 4, 16),
        "Grève",
    );
    let history = [registered(), requested(&morning()), confirmed(1, 1, 30)];
    Spec::<Venue>::given(history.clone())
        .when(Command::AddClosedPeriod(strike.clone()))
        .then_error(VenueRefusal::ConfirmedSessionsAffected {
            sessions: vec![session(1)],
        });
    Spec::<Venue>::given(history.clone())
        .when(Command::SetOpeningHours {
            opening_hours: Vec::new(),
        })
        .then_error(VenueRefusal::ConfirmedSessionsAffected {
            sessions: vec![session(1)],
        });
    let mut withdrawn = history.to_vec();
    withdrawn.push(withdrawn_event());
    Spec::<Venue>::given(withdrawn)
        .when(Command::AddClosedPeriod(strike.clone()))
        .then([Event::ClosedPeriodAdded(strike)]);
}

fn withdrawn_event() -> Event {
    withdrawn(1, 1, "Grève")
}
