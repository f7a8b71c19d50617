//! The demo edition: a week in the spirit of the Hautes-Alpes week of April 2024 (open doors in
//! an EHPAD, job-datings in four towns, theatre for collégiens, an ageing simulator, a closing
//! ceremony), loaded through the services' own commands, its venues confirming their capacities,
//! then its partners (a mission locale, a France Travail agency, a collège) registering made-up
//! participants (a class of 28 with its teacher among them, and two people on a waiting list).
//!
//! Loading is idempotent: every command has a fixed id and idempotency key, so `up --demo` on a
//! data directory that already holds the demo changes nothing.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use eventlog::{CommandMeta, EventLog};
use jiff::civil::{Date, DateTime, Time, date};
use proto::Actor;
use proto::registration::partner::PartnerKind;
use proto::registration::{
    AgeBand, Attendee, Identity, ParticipantRef, Profile, RegisterRequest, partner,
};
use proto::scheduling::edition;
use proto::scheduling::event::{self, About};
use proto::taxonomy::{Audience, DiscoveryTool, Equipment, EventKind, Theme, VenueKind};
use proto::values::{
    DepartementCode, Description, EditionId, EventId, InseeCode, Name, OrganiserId, PartnerId,
    RoomId, SessionId, TimeZoneName, VenueId,
};
use proto::venues::{
    Accessibility, Address, Contact, OpeningHours, Postcode, Register, Room, Weekday,
};
use registration::Registrations;
use registration::identities::Identities;
use scheduling::Scheduling;
use scheduling_domain::event::VenueStatus;
use uuid::Uuid;
use venues::Venues;

/// The demo's ids: fixed, so that loading it twice changes nothing.
fn demo_id(n: u128) -> Uuid {
    Uuid::from_u128(0x0196_2f00_0000_7000_8000_0000_0000_0000 | n)
}

/// The demo edition's id.
pub fn edition_id() -> EditionId {
    EditionId(demo_id(0xed))
}

fn name(text: &str) -> Result<Name> {
    Name::parse(text).with_context(|| format!("demo name {text:?}"))
}

fn organiser() -> Actor {
    Actor::Organiser {
        id: "dep-05".into(),
    }
}

/// A venue of the demo, with its one room.
struct DemoVenue {
    n: u128,
    name: &'static str,
    kind: VenueKind,
    street: &'static str,
    postcode: &'static str,
    town: &'static str,
    insee: &'static str,
    room: &'static str,
    room_name: &'static str,
    seats: u32,
}

const VENUES: [DemoVenue; 6] = [
    DemoVenue {
        n: 0x7e01,
        name: "EHPAD Les Marronniers",
        kind: VenueKind::Ehpad,
        street: "12 rue des Alpes",
        postcode: "05000",
        town: "Gap",
        insee: "05061",
        room: "salle-polyvalente",
        room_name: "Salle polyvalente",
        seats: 40,
    },
    DemoVenue {
        n: 0x7e02,
        name: "Centre communal d'action sociale d'Embrun",
        kind: VenueKind::TownHall,
        street: "Place Barthelon",
        postcode: "05200",
        town: "Embrun",
        insee: "05046",
        room: "salle-des-fetes",
        room_name: "Salle des fêtes",
        seats: 60,
    },
    DemoVenue {
        n: 0x7e03,
        name: "ADMR du Laragnais",
        kind: VenueKind::AssociationPremises,
        street: "3 avenue de Provence",
        postcode: "05300",
        town: "Laragne-Montéglin",
        insee: "05070",
        room: "salle-reunion",
        room_name: "Salle de réunion",
        seats: 25,
    },
    DemoVenue {
        n: 0x7e04,
        name: "Mairie de Veynes",
        kind: VenueKind::TownHall,
        street: "Place de la Mairie",
        postcode: "05400",
        town: "Veynes",
        insee: "05179",
        room: "salle-du-conseil",
        room_name: "Salle du conseil",
        seats: 80,
    },
    DemoVenue {
        n: 0x7e05,
        name: "Collège de Fontreyne",
        kind: VenueKind::School,
        street: "Route de Fontreyne",
        postcode: "05000",
        town: "Gap",
        insee: "05061",
        room: "salle-de-spectacle",
        room_name: "Salle de spectacle",
        seats: 220,
    },
    DemoVenue {
        n: 0x7e06,
        name: "Hôtel du Département des Hautes-Alpes",
        kind: VenueKind::Other,
        street: "Place Saint-Arnoux",
        postcode: "05000",
        town: "Gap",
        insee: "05061",
        room: "salle-des-deliberations",
        room_name: "Salle des délibérations",
        seats: 150,
    },
];

/// An event of the demo and its sessions: (venue index, day, start, end, seats wanted).
struct DemoEvent {
    n: u128,
    kind: EventKind,
    title: &'static str,
    description: &'static str,
    themes: &'static [Theme],
    audiences: &'static [Audience],
    restricted_to: &'static [Audience],
    tools: &'static [DiscoveryTool],
    partners: &'static [&'static str],
    sessions: &'static [(usize, Date, Time, Time, u32)],
}

const fn at(hour: i8, minute: i8) -> Time {
    Time::constant(hour, minute, 0, 0)
}

const EVENTS: [DemoEvent; 5] = [
    DemoEvent {
        n: 0xe701,
        kind: EventKind::OpenDoor,
        title: "Portes ouvertes à l'EHPAD Les Marronniers",
        description: "Visite, rencontre des équipes et activité intergénérationnelle avec les \
                      jeunes de la mission locale.",
        themes: &[Theme::ElderlyAutonomy, Theme::HealthCare],
        audiences: &[Audience::YoungPeople, Audience::JobSeekers],
        restricted_to: &[],
        tools: &[],
        partners: &["mission-locale-gap"],
        sessions: &[(0, date(2027, 4, 13), at(14, 0), at(16, 30), 30)],
    },
    DemoEvent {
        n: 0xe702,
        kind: EventKind::JobDating,
        title: "Job-dating des métiers de l'aide et du soin",
        description: "Entretiens courts avec les employeurs qui recrutent : EHPAD, ADMR, CCAS.",
        themes: &[Theme::HomeHelp, Theme::ElderlyAutonomy, Theme::HealthCare],
        audiences: &[Audience::JobSeekers, Audience::CareerChangers],
        restricted_to: &[],
        tools: &[],
        partners: &["france-travail-gap"],
        sessions: &[
            (1, date(2027, 4, 14), at(9, 0), at(12, 0), 50),
            (0, date(2027, 4, 15), at(9, 0), at(12, 0), 40),
            (2, date(2027, 4, 16), at(9, 0), at(12, 0), 25),
            (3, date(2027, 4, 20), at(9, 0), at(12, 0), 60),
        ],
    },
    DemoEvent {
        n: 0xe703,
        kind: EventKind::SchoolSession,
        title: "Théâtre-forum : « Prendre soin, un métier ? »",
        description: "Une compagnie de théâtre et des professionnels répondent aux questions \
                      des collégiens.",
        themes: &[
            Theme::SocialAction,
            Theme::Disability,
            Theme::EarlyChildhood,
        ],
        audiences: &[Audience::Pupils],
        restricted_to: &[Audience::Pupils],
        tools: &[],
        partners: &["college-fontreyne"],
        sessions: &[
            (4, date(2027, 4, 19), at(9, 0), at(11, 0), 200),
            (4, date(2027, 4, 19), at(14, 0), at(16, 0), 200),
        ],
    },
    DemoEvent {
        n: 0xe704,
        kind: EventKind::DiscoveryStand,
        title: "Simulateur de vieillissement et casques de réalité virtuelle",
        description: "Se mettre dans la peau d'une personne âgée, découvrir une journée \
                      d'aide-soignante en réalité virtuelle.",
        themes: &[Theme::ElderlyAutonomy],
        audiences: &[Audience::YoungPeople, Audience::Pupils, Audience::Students],
        restricted_to: &[],
        tools: &[
            DiscoveryTool::AgeingSimulator,
            DiscoveryTool::VirtualReality,
        ],
        partners: &["mission-locale-gap"],
        sessions: &[(0, date(2027, 4, 21), at(10, 0), at(12, 0), 20)],
    },
    DemoEvent {
        n: 0xe705,
        kind: EventKind::TalkOrCeremony,
        title: "Cérémonie de clôture : signature de la convention et remise des trophées",
        description: "Pour les professionnels et les partenaires institutionnels.",
        themes: &[Theme::SocialAction, Theme::ChildProtection, Theme::HomeHelp],
        audiences: &[Audience::Professionals],
        restricted_to: &[Audience::Professionals],
        tools: &[],
        partners: &[],
        sessions: &[(5, date(2027, 4, 23), at(17, 0), at(19, 0), 120)],
    },
];

/// The demo's partners: id, name, kind.
const PARTNERS: [(&str, &str, PartnerKind); 3] = [
    (
        "mission-locale-gap",
        "Mission locale du Gapençais",
        PartnerKind::MissionLocale,
    ),
    (
        "france-travail-gap",
        "France Travail Gap",
        PartnerKind::FranceTravail,
    ),
    (
        "college-fontreyne",
        "Collège de Fontreyne",
        PartnerKind::School,
    ),
];

/// Who the demo registers: (partner, how many people, event, session index, audience, a class
/// of this size instead of people). Names are made up: `Prénom-<n>`.
const REGISTRATIONS: [(usize, u32, u128, usize, Audience, u32); 5] = [
    // The open door: young people of the mission locale.
    (0, 12, 0xe701, 0, Audience::YoungPeople, 0),
    // The job-dating in Laragne (25 seats): 27 job seekers, two wait.
    (1, 27, 0xe702, 2, Audience::JobSeekers, 0),
    // The job-dating in Gap: a few.
    (1, 6, 0xe702, 1, Audience::JobSeekers, 0),
    // The theatre, morning: the collège registers a class of 28 and its teacher.
    (2, 1, 0xe703, 0, Audience::Pupils, 29),
    // The ageing simulator: young people.
    (0, 8, 0xe704, 0, Audience::YoungPeople, 0),
];

/// Loads the demo edition through the services and waits (bounded) until its venues have
/// confirmed every session, then declares its partners and registers its participants. Returns
/// the programme as text, for the terminal.
pub async fn load(log: &EventLog, identities: Identities) -> Result<String> {
    let scheduling = Scheduling::new(log.clone());
    let venues = Venues::new(log.clone());
    let registrations = Registrations::new(log.clone(), identities);
    for venue in &VENUES {
        register(&venues, venue).await?;
    }
    let edition = edition_id();
    let create = edition::Command::Create(edition::Create {
        name: name("Semaine des métiers du social — Hautes-Alpes 2027")?,
        territory: DepartementCode::parse("05")?,
        first_day: date(2027, 4, 12),
        last_day: date(2027, 4, 23),
        time_zone: TimeZoneName::paris(),
        organisers: vec![OrganiserId::parse("dep-05")?],
    });
    let meta = |key: String| CommandMeta::new(organiser(), format!("demo:{key}"));
    scheduling
        .edition(edition, &create, &meta("edition".into()))
        .await
        .context("cannot create the demo edition")?;
    scheduling
        .edition(edition, &edition::Command::Publish, &meta("publish".into()))
        .await
        .context("cannot publish the demo edition")?;

    let mut sessions = Vec::new();
    for demo in &EVENTS {
        let id = EventId(demo_id(demo.n));
        let about = About {
            kind: demo.kind,
            title: name(demo.title)?,
            description: Description::parse(demo.description)?,
            themes: demo.themes.to_vec(),
            audiences: demo.audiences.to_vec(),
            restricted_to: demo.restricted_to.to_vec(),
            discovery_tools: demo.tools.to_vec(),
            partners: demo
                .partners
                .iter()
                .map(|p| PartnerId::parse(*p))
                .collect::<Result<_, _>>()?,
        };
        let add = event::Command::Add(event::Add { edition, about });
        scheduling
            .event(id, add, &meta(format!("event-{:x}", demo.n)))
            .await
            .with_context(|| format!("cannot add {:?}", demo.title))?;
        for (n, (venue, day, starts, ends, seats)) in demo.sessions.iter().enumerate() {
            let session = SessionId(demo_id(demo.n << 8 | n as u128));
            let venue = &VENUES[*venue];
            let schedule = event::Command::ScheduleSession(event::ScheduleSession {
                session,
                starts: DateTime::from_parts(*day, *starts),
                ends: DateTime::from_parts(*day, *ends),
                venue: VenueId(demo_id(venue.n)),
                room: RoomId::parse(venue.room)?,
                capacity_wanted: *seats,
            });
            scheduling
                .event(id, schedule, &meta(format!("session-{session}")))
                .await
                .with_context(|| format!("cannot schedule a session of {:?}", demo.title))?;
            sessions.push((id, session, venue, (*seats).min(venue.seats)));
        }
    }

    // The venues answer once the hosting-requests process has asked them.
    for (_, session, venue, seats) in &sessions {
        let venue_id = VenueId(demo_id(venue.n));
        wait_until(|| async {
            Ok(venues
                .venue_state(venue_id)
                .await?
                .hosting(*session)
                .is_some())
        })
        .await
        .with_context(|| format!("{} was never asked to host session {session}", venue.name))?;
        let confirm = proto::venues::Command::ConfirmCapacity {
            session: *session,
            request: 1,
            capacity: *seats,
        };
        let meta = CommandMeta::new(
            Actor::Venue {
                id: venue_id.to_string(),
            },
            format!("demo:confirm-{session}"),
        );
        venues
            .venue(venue_id, &confirm, &meta)
            .await
            .with_context(|| format!("{} cannot confirm session {session}", venue.name))?;
    }
    for (event, session, venue, _) in &sessions {
        wait_until(|| async {
            let state = scheduling.event_state(*event).await?;
            Ok(state
                .session(*session)
                .is_some_and(|s| s.is_open_for_registration()))
        })
        .await
        .with_context(|| format!("session {session} at {} never opened", venue.name))?;
        // The seats open once the session-seats process told them.
        wait_until(|| async { Ok(registrations.seats(*session).await?.capacity > 0) })
            .await
            .with_context(|| format!("the seats of session {session} never opened"))?;
    }
    register_participants(&registrations).await?;
    programme(&scheduling, &registrations).await
}

async fn register_participants(registrations: &Registrations) -> Result<()> {
    for (id, name_fr, kind) in PARTNERS {
        let declare = partner::Command::Declare(partner::Declared {
            name: name(name_fr)?,
            kind,
        });
        registrations
            .partner(
                &PartnerId::parse(id)?,
                &declare,
                &CommandMeta::new(organiser(), format!("demo:partner-{id}")),
            )
            .await
            .with_context(|| format!("cannot declare {name_fr}"))?;
    }
    let mut n = 0;
    for (partner, people, event, session_index, audience, class) in REGISTRATIONS {
        let partner_id = PartnerId::parse(PARTNERS[partner].0)?;
        let session = SessionId(demo_id(event << 8 | session_index as u128));
        for _ in 0..people {
            n += 1;
            let reference = format!("demo-{n:03}");
            let request = RegisterRequest {
                session,
                reference: ParticipantRef::try_from(reference.clone())?,
                attendee: if class > 0 {
                    Attendee::Group { size: class }
                } else {
                    Attendee::Person {}
                },
                profile: Profile {
                    audience,
                    age_band: if audience == Audience::JobSeekers {
                        AgeBand::From26To44
                    } else {
                        AgeBand::From16To25
                    },
                    town: Some(InseeCode::parse("05061")?),
                },
                identity: Identity {
                    first_name: name(&format!("Prénom-{n:03}"))?,
                    last_name: name(&format!("Nom-{n:03}"))?,
                    email: None,
                    phone: None,
                },
            };
            registrations
                .register(&partner_id, request, &format!("demo:{reference}"))
                .await
                .with_context(|| format!("cannot register {reference}"))?;
        }
    }
    Ok(())
}

async fn register(venues: &Venues, venue: &DemoVenue) -> Result<()> {
    let weekdays = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    let register = Register {
        name: name(venue.name)?,
        kind: venue.kind,
        address: Address {
            street: name(venue.street)?,
            postcode: Postcode::try_from(venue.postcode.to_owned())?,
            town: name(venue.town)?,
            insee_code: InseeCode::parse(venue.insee)?,
        },
        contact: Contact {
            name: name("Accueil")?,
            email: None,
            phone: None,
        },
        accessibility: Accessibility {
            step_free_entrance: Some(true),
            accessible_toilets: Some(true),
            hearing_loop: None,
            parking: Some(true),
        },
        equipment: vec![Equipment::Projector],
        rooms: vec![Room {
            id: RoomId::parse(venue.room)?,
            name: name(venue.room_name)?,
            max_capacity: venue.seats,
        }],
        opening_hours: weekdays
            .into_iter()
            .map(|day| OpeningHours {
                day,
                opens: at(8, 0),
                closes: at(20, 0),
            })
            .collect(),
        closed_periods: Vec::new(),
        time_zone: TimeZoneName::paris(),
    };
    let id = VenueId(demo_id(venue.n));
    let meta = CommandMeta::new(
        Actor::Venue { id: id.to_string() },
        format!("demo:venue-{:x}", venue.n),
    );
    venues
        .venue(
            id,
            &proto::venues::Command::Register(Box::new(register)),
            &meta,
        )
        .await
        .with_context(|| format!("cannot register {}", venue.name))?;
    Ok(())
}

/// Polls `check` until it holds, for at most 30 seconds.
async fn wait_until<F, Fut>(check: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<bool, Box<dyn std::error::Error + Send + Sync>>>,
{
    for _ in 0..600 {
        if check().await.map_err(|e| anyhow::anyhow!(e))? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("gave up after 30 seconds")
}

/// Where the demo edition is in the console, and how to sign in to it: `keys_command` makes a
/// key from another terminal with the arguments it is given.
pub fn console_banner(http: std::net::SocketAddr, keys_command: impl Fn(&str) -> String) -> String {
    let edition = edition_id();
    format!(
        "console: http://{http}/console/editions/{edition}\n\
         \x20 sign in with an organiser key of the demo edition; make one from another terminal \
         while semaine runs (see docs/operations.md):\n\
         \x20 {}",
        keys_command(&format!("--role organiser --scope {edition}"))
    )
}

/// The demo programme, session by session, as the organiser would read it.
async fn programme(scheduling: &Scheduling, registrations: &Registrations) -> Result<String> {
    let mut lines = vec![
        "demo edition: Semaine des métiers du social — Hautes-Alpes 2027 (12–23 avril), publiée"
            .to_owned(),
    ];
    let mut rows = Vec::new();
    for demo in &EVENTS {
        let state = scheduling.event_state(EventId(demo_id(demo.n))).await?;
        for (id, session) in &state.sessions {
            let town = VENUES
                .iter()
                .find(|v| VenueId(demo_id(v.n)) == session.venue)
                .map_or("?", |v| v.town);
            let seats = registrations.seats(*id).await?;
            let waiting = seats.waiting_list().len();
            let status = match &session.venue_status {
                VenueStatus::Confirmed { capacity } => format!(
                    "lieu confirmé, {capacity} places, {} prises, {waiting} en attente",
                    seats.confirmed_seats()
                ),
                VenueStatus::Requested => "en attente du lieu".to_owned(),
                VenueStatus::Declined { reason, .. } => format!("refusé : {reason}"),
                VenueStatus::Withdrawn { reason } => format!("lieu retiré : {reason}"),
            };
            rows.push((
                session.starts_local,
                format!(
                    "  {} {}–{}  {:<18} {:<24} {}  ({status})",
                    session.starts_local.date(),
                    session.starts_local.time().strftime("%H:%M"),
                    session.ends_local.time().strftime("%H:%M"),
                    town,
                    demo.kind.label_fr(),
                    demo.title,
                ),
            ));
        }
    }
    rows.sort_by_key(|(starts, _)| *starts);
    lines.extend(rows.into_iter().map(|(_, row)| row));
    Ok(lines.join("\n"))
}
