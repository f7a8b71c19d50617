//! A running week: the application started as `semaine up` starts it (by default its services
//! and processes; every part for a [`crate::desk::Desk`]), on a real nats-server (or a
//! three-node cluster), and verbs in the domain's words to drive them.

use std::time::Duration;

use eventlog::{CommandMeta, EventLog};
use jiff::civil::{Date, DateTime, Time, date};
use proto::Actor;
use proto::registration::{AgeBand, Attendee, Identity, ParticipantRef, Profile, RegisterRequest};
use proto::scheduling::edition;
use proto::scheduling::event::{self, About};
use proto::taxonomy::{Audience, EventKind, Theme, VenueKind};
use proto::values::*;
use proto::venues::{self as venue, *};
use registration::{Registered, RegistrationError, Registrations};
use scheduling::{Scheduling, SchedulingError};
use scheduling_domain::SessionState;
use venues::{Venues, VenuesError};

use crate::{Servers, TestNats};

/// The services of a week and the processes between them, running on `N`: one nats-server by
/// default, or a [`crate::TestCluster`]. The application is started as `semaine up` starts it
/// ([`semaine::Application::start`]), with the parts a test asks for.
pub struct Week<N: Servers = TestNats> {
    /// The application: its processes, and its projections and gateway when they were asked
    /// for. First to drop: its tasks stop before the servers and the data directory go.
    pub running: semaine::Running,
    /// The log.
    pub log: EventLog,
    /// Organisers' commands.
    pub scheduling: Scheduling,
    /// Venues' commands.
    pub venues: Venues,
    /// Partners' registrations.
    pub registrations: Registrations,
    /// Job-dating floors (checking candidates' registrations).
    pub jobdating: jobdating::JobDating,
    /// The partners declared so far, so that [`Week::register`] declares each once.
    declared: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The nats-server (or the cluster).
    pub nats: N,
    /// The application's data directory (its projections' and processes' stores).
    _data_dir: tempfile::TempDir,
}

/// The organiser of the Hautes-Alpes week.
pub fn organiser() -> Actor {
    Actor::Organiser {
        id: "dep-05".into(),
    }
}

/// A venue, acting on its own requests.
pub fn venue_actor(id: VenueId) -> Actor {
    Actor::Venue { id: id.to_string() }
}

fn name(text: &str) -> Name {
    Name::parse(text).unwrap_or_else(|e| panic!("test value: {e}"))
}

/// The Hautes-Alpes week: 12–23 April 2027 (in the future, so that partners can register).
pub const FIRST_DAY: Date = date(2027, 4, 12);
/// Its last day.
pub const LAST_DAY: Date = date(2027, 4, 23);

impl Week {
    /// Starts a nats-server, the services and their processes.
    pub async fn start() -> anyhow::Result<Self> {
        Week::start_on(TestNats::start().await?).await
    }

    /// Starts a week with one session open for registration: an open door with `seats` seats
    /// on Tuesday from `from` to `to` o'clock ([`Week::open_session`]). The week, and the
    /// session's venue, event and id.
    pub async fn with_session(
        seats: u32,
        from: i8,
        to: i8,
    ) -> anyhow::Result<(Self, VenueId, EventId, SessionId)> {
        let week = Self::start().await?;
        let (venue, event, session) = week
            .open_session(seats, tuesday(from, 0), tuesday(to, 0))
            .await?;
        Ok((week, venue, event, session))
    }
}

/// The parts of the application a [`Week`] runs: the processes between services (with the
/// clock and the webhooks' deliveries), without read models or HTTP.
pub const PROCESSES: semaine::configuration::Parts = semaine::configuration::Parts {
    gateway: false,
    projections: false,
    processes: true,
};

impl<N: Servers> Week<N> {
    /// Starts the services and their processes on `nats`, with its replica count for every
    /// stream and bucket.
    pub async fn start_on(nats: N) -> anyhow::Result<Self> {
        Self::start_with(nats, |_| {}).await
    }

    /// Starts the application on `nats` with the settings `configure` leaves: by default its
    /// processes only ([`PROCESSES`]), a temporary data directory, the gateway (when it runs) on
    /// a free loopback port, and webhooks delivered to loopback (the tests' receivers).
    pub async fn start_with(
        nats: N,
        configure: impl FnOnce(&mut semaine::Settings),
    ) -> anyhow::Result<Self> {
        let data_dir = tempfile::tempdir()?;
        let mut settings = semaine::Settings {
            data_dir: data_dir.path().to_path_buf(),
            log_format: semaine::cli::LogFormat::Pretty,
            nats: nats.nats_settings()?,
            replicas: nats.replicas(),
            http: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            parts: PROCESSES,
            webhooks_allow_private: true,
            waiting_list_factor: registration_domain::seats::WAITING_LIST_FACTOR,
            tuning: semaine::configuration::Tuning::default(),
        };
        configure(&mut settings);
        let running = semaine::Application::build(settings).await?.start().await?;
        let services = running.services().clone();
        Ok(Self {
            log: running.event_log().clone(),
            scheduling: services.scheduling,
            venues: services.venues,
            registrations: services.registrations,
            jobdating: services.jobdating,
            running,
            declared: std::sync::Mutex::default(),
            nats,
            _data_dir: data_dir,
        })
    }

    /// A runner of `projection` over this week's log, its store in `dir`, not caught up yet: a
    /// read model as the application runs it, for a test to drive.
    pub async fn runner<P: projection::Projection>(
        &self,
        projection: P,
        dir: &std::path::Path,
    ) -> anyhow::Result<projection::Runner<P>> {
        let js = async_nats::jetstream::new(self.nats.client().await?);
        let config = projection::RunnerConfig::default();
        Ok(projection::Runner::open(projection, dir, js, config)?)
    }

    /// How many messages the log holds, all streams together.
    pub async fn messages_in_log(&self) -> u64 {
        let mut total = 0;
        for stream in [
            scheduling::STREAM.name,
            ::venues::STREAM.name,
            registration::STREAM.name,
            jobdating::STREAM.name,
        ] {
            total += self.log.last_sequence(stream).await.unwrap_or(0);
        }
        total
    }

    /// Registers a venue in Gap with one room of `max_capacity`, open 08:00–18:00 on weekdays
    /// (the venue of [`venue_in_gap`]).
    pub async fn register_venue(&self, max_capacity: u32) -> Result<VenueId, VenuesError> {
        self.register_venue_as(venue_in_gap(max_capacity)).await
    }

    /// Registers the venue `register` describes, acting as that venue: its new id.
    pub async fn register_venue_as(&self, register: Register) -> Result<VenueId, VenuesError> {
        let id = VenueId::generate();
        let meta = CommandMeta::new(venue_actor(id), format!("register-{id}"));
        self.venues
            .venue(id, &venue::Command::Register(Box::new(register)), &meta)
            .await?;
        Ok(id)
    }

    /// The start of most weeks: a venue registered in Gap with one room of `max_capacity`, the
    /// Hautes-Alpes edition created, and an open door added to it: the venue, edition and event.
    pub async fn open_door(
        &self,
        max_capacity: u32,
    ) -> anyhow::Result<(VenueId, EditionId, EventId)> {
        let venue = self.register_venue(max_capacity).await?;
        let edition = self.create_edition().await?;
        let event = self.add_open_door(edition).await?;
        Ok((venue, edition, event))
    }

    /// Creates the Hautes-Alpes edition.
    pub async fn create_edition(&self) -> Result<EditionId, SchedulingError> {
        let id = EditionId::generate();
        let create = edition::Command::Create(edition::Create {
            name: name("Semaine des métiers du social — Hautes-Alpes 2027"),
            territory: DepartementCode::parse("05").unwrap_or_else(|e| panic!("{e}")),
            first_day: FIRST_DAY,
            last_day: LAST_DAY,
            time_zone: TimeZoneName::paris(),
            organisers: vec![OrganiserId::parse("dep-05").unwrap_or_else(|e| panic!("{e}"))],
        });
        let meta = CommandMeta::new(organiser(), format!("create-{id}"));
        self.scheduling.edition(id, &create, &meta).await?;
        Ok(id)
    }

    /// Adds an open-door event to the edition (the event of [`open_door_about`]).
    pub async fn add_open_door(&self, edition: EditionId) -> Result<EventId, SchedulingError> {
        self.add_event(edition, open_door_about()).await
    }

    /// An organiser adds to `edition` the event `about` describes: its new id.
    pub async fn add_event(
        &self,
        edition: EditionId,
        about: About,
    ) -> Result<EventId, SchedulingError> {
        let id = EventId::generate();
        let add = event::Command::Add(event::Add { edition, about });
        let meta = CommandMeta::new(organiser(), format!("add-{id}"));
        self.scheduling.event(id, add, &meta).await?;
        Ok(id)
    }

    /// Schedules a session of `event` at `venue`, from `starts` to `ends` local time.
    pub async fn schedule_session(
        &self,
        event: EventId,
        venue: VenueId,
        starts: DateTime,
        ends: DateTime,
        capacity_wanted: u32,
    ) -> Result<SessionId, SchedulingError> {
        let session = SessionId::generate();
        let command = event::Command::ScheduleSession(event::ScheduleSession {
            session,
            starts,
            ends,
            venue,
            room: room(),
            capacity_wanted,
        });
        let meta = CommandMeta::new(organiser(), format!("schedule-{session}"));
        self.scheduling.event(event, command, &meta).await?;
        Ok(session)
    }

    /// Waits (bounded) until the venue has been asked to host `session`.
    pub async fn wait_for_request(&self, venue: VenueId, session: SessionId) -> anyhow::Result<()> {
        eventually(
            &format!("venue {venue} asked to host {session}"),
            || async {
                let state = self.venues.venue_state(venue).await?;
                Ok(state.hosting(session).map(|_| ()))
            },
        )
        .await
    }

    /// The number of the latest request to `venue` to host `session`, which its answers name
    /// (1 when it has not been asked yet).
    pub async fn hosting_request(
        &self,
        venue: VenueId,
        session: SessionId,
    ) -> Result<u32, VenuesError> {
        let state = self.venues.venue_state(venue).await?;
        Ok(state.hosting(session).map_or(1, |hosting| hosting.request))
    }

    /// The venue confirms `capacity` seats for `session`.
    pub async fn confirm(
        &self,
        venue: VenueId,
        session: SessionId,
        capacity: u32,
    ) -> Result<(), VenuesError> {
        let meta = CommandMeta::new(venue_actor(venue), format!("confirm-{session}-{capacity}"));
        let request = self.hosting_request(venue, session).await?;
        let command = venue::Command::ConfirmCapacity {
            session,
            request,
            capacity,
        };
        self.venues.venue(venue, &command, &meta).await.map(|_| ())
    }

    /// An organiser cancels `session` of `event`, saying `reason`.
    pub async fn cancel_session(
        &self,
        event: EventId,
        session: SessionId,
        reason: &str,
    ) -> Result<(), SchedulingError> {
        let cancel = event::Command::CancelSession(event::CancelSession {
            session,
            reason: Reason::parse(reason).unwrap_or_else(|e| panic!("test reason: {e}")),
        });
        let meta = CommandMeta::new(organiser(), format!("cancel-{session}"));
        self.scheduling
            .event(event, cancel, &meta)
            .await
            .map(|_| ())
    }

    /// Waits (bounded) until `check` holds for the session as its event records it.
    pub async fn wait_for_session(
        &self,
        event: EventId,
        session: SessionId,
        check: impl Fn(&SessionState) -> bool,
    ) -> anyhow::Result<SessionState> {
        eventually(
            &format!("session {session} in the expected state"),
            || async {
                let state = self.scheduling.event_state(event).await?;
                Ok(state.session(session).filter(|found| check(found)).cloned())
            },
        )
        .await
    }
}

impl<N: Servers> Week<N> {
    /// A session of an open door at a venue of `seats` seats, confirmed, and open for
    /// registration: its venue, event and session.
    pub async fn open_session(
        &self,
        seats: u32,
        starts: DateTime,
        ends: DateTime,
    ) -> anyhow::Result<(VenueId, EventId, SessionId)> {
        let (venue, _, event) = self.open_door(seats.max(1)).await?;
        let session = self
            .confirmed_session(event, venue, starts, ends, seats)
            .await?;
        Ok((venue, event, session))
    }

    /// A session of `event` scheduled at `venue`, its hosting confirmed for `seats` and its
    /// seats open (with the session's facts) for registration.
    pub async fn confirmed_session(
        &self,
        event: EventId,
        venue: VenueId,
        starts: DateTime,
        ends: DateTime,
        seats: u32,
    ) -> anyhow::Result<SessionId> {
        let session = self
            .schedule_session(event, venue, starts, ends, seats)
            .await?;
        self.wait_for_request(venue, session).await?;
        self.confirm(venue, session, seats).await?;
        self.wait_for_seats(session, |s| s.capacity == seats && s.facts.is_some())
            .await?;
        Ok(session)
    }

    /// An organiser cancels `session` of `event`, open for registration, saying `reason`; waits
    /// (bounded) until its seats record the cancellation: the seats then.
    pub async fn cancel_open_session(
        &self,
        event: EventId,
        session: SessionId,
        reason: &str,
    ) -> anyhow::Result<registration::SeatsNow> {
        self.cancel_session(event, session, reason).await?;
        self.wait_for_seats(session, |s| s.cancelled.is_some())
            .await
    }

    /// Waits (bounded) until `check` holds for the session's seats.
    pub async fn wait_for_seats(
        &self,
        session: SessionId,
        check: impl Fn(&registration_domain::seats::SeatsState) -> bool,
    ) -> anyhow::Result<registration::SeatsNow> {
        eventually(
            &format!("the seats of session {session} in the expected state"),
            || async {
                let seats = self.registrations.seats(session).await?;
                Ok(check(&seats).then_some(seats))
            },
        )
        .await
    }

    /// `partner` registers the person it knows as `reference` into `session`.
    pub async fn register(
        &self,
        partner: &str,
        reference: &str,
        session: SessionId,
        audience: Audience,
        key: &str,
    ) -> Result<Registered, RegistrationError> {
        let request = RegisterRequest {
            session,
            reference: ParticipantRef::try_from(reference.to_owned())
                .unwrap_or_else(|e| panic!("{e}")),
            attendee: Attendee::Person {},
            profile: Profile {
                audience,
                age_band: AgeBand::From16To25,
                town: Some(InseeCode::parse("05061").unwrap_or_else(|e| panic!("{e}"))),
            },
            identity: person(reference),
        };
        let known = self
            .declared
            .lock()
            .map(|declared| declared.contains(partner))
            .unwrap_or(false);
        if !known {
            self.declare_partner(partner).await?;
            if let Ok(mut declared) = self.declared.lock() {
                declared.insert(partner.to_owned());
            }
        }
        self.registrations
            .register(&partner_id(partner), request, key)
            .await
    }

    /// An organiser declares `partner` (idempotent: declaring it again records nothing).
    pub async fn declare_partner(&self, partner: &str) -> Result<(), RegistrationError> {
        use proto::registration::partner::{Command, Declared, PartnerKind};
        let declare = Command::Declare(Declared {
            name: name(&format!("Partenaire {partner}")),
            kind: PartnerKind::Other,
        });
        let meta = CommandMeta::new(organiser(), format!("declare-{partner}"));
        self.registrations
            .partner(&partner_id(partner), &declare, &meta)
            .await
            .map(|_| ())
    }
}

impl<N: Servers> Week<N> {
    /// The registrations put on `session`'s waiting list, in the order the log recorded them.
    pub async fn waitlisted_order(
        &self,
        session: SessionId,
    ) -> anyhow::Result<Vec<proto::registration::RegistrationId>> {
        use proto::contract::EventContract;
        use proto::registration::session::Event;
        let mut order = Vec::new();
        let key = registration::seats_key(session);
        for recorded in self.log.read_commits(&key, 0).await? {
            for stored in recorded.commit.events {
                if let Ok(Event::Waitlisted(r)) =
                    Event::decode(&stored.event_type, stored.version, &stored.data)
                {
                    order.push(r.registration);
                }
            }
        }
        Ok(order)
    }

    /// Asserts what a rush of registrations leaves in `session` (the rush's session number
    /// `index`), against what each person `n` was answered: at most `seats` confirmed, exactly
    /// the answered registrations recorded, nobody twice, each confirmed or waiting as its answer
    /// said, and the waiting list in the order the log recorded it. The seats as they stand.
    pub async fn assert_rush_recorded(
        &self,
        index: usize,
        session: SessionId,
        seats: u32,
        answered: &[(usize, &Registered)],
    ) -> anyhow::Result<registration::SeatsNow> {
        use proto::registration::RegistrationId;
        use std::collections::HashSet;
        let now = self.registrations.seats(session).await?;
        assert!(
            now.confirmed_seats() <= seats,
            "session {index} over capacity"
        );
        let answered_here: HashSet<RegistrationId> =
            answered.iter().map(|(_, r)| r.registration).collect();
        let recorded: HashSet<RegistrationId> = now.registrations.keys().copied().collect();
        assert_eq!(
            recorded, answered_here,
            "session {index}: registrations and answers differ"
        );
        let people: HashSet<_> = now.registrations.values().map(|r| r.participant).collect();
        assert_eq!(
            people.len(),
            now.registrations.len(),
            "session {index}: somebody registered twice"
        );
        assert_eq!(
            now.waiting_list(),
            self.waitlisted_order(session).await?,
            "session {index}: the waiting list is not in log order"
        );
        for (n, registered) in answered {
            let record = now
                .registration(registered.registration)
                .unwrap_or_else(|| panic!("participant {n}'s registration is missing"));
            assert_eq!(
                record.is_confirmed(),
                registered.confirmed,
                "participant {n}"
            );
        }
        Ok(now)
    }
}

/// Asks `look` every 25 ms, for at most ten seconds, until it finds something: what the
/// processes between services do happens a moment after the command that causes it.
pub async fn eventually<T, F, Fut>(what: &str, look: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    for _ in 0..400 {
        if let Some(found) = look().await? {
            return Ok(found);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    anyhow::bail!("gave up waiting for {what}")
}

/// A partner's id.
pub fn partner_id(partner: &str) -> PartnerId {
    PartnerId::parse(partner).unwrap_or_else(|e| panic!("{e}"))
}

/// A made-up person whose name and email say who they are: `Prénom-<reference>`.
pub fn person(reference: &str) -> Identity {
    Identity {
        first_name: name(&format!("Prénom-{reference}")),
        last_name: name(&format!("Nom-{reference}")),
        email: Some(name(&format!("{reference}@exemple.fr"))),
        phone: Some(name("06 12 34 56 78")),
    }
}

/// The venue the harness registers: the EHPAD Les Marronniers in Gap, its one room (the
/// [`room`]) of `max_capacity`, open 08:00–18:00 on weekdays, in Paris time.
pub fn venue_in_gap(max_capacity: u32) -> Register {
    use Weekday::{Friday, Monday, Thursday, Tuesday, Wednesday};
    Register {
        name: name("EHPAD Les Marronniers"),
        kind: VenueKind::Ehpad,
        address: Address {
            street: name("12 rue des Alpes"),
            postcode: Postcode::try_from("05000".to_owned()).unwrap_or_else(|e| panic!("{e}")),
            town: name("Gap"),
            insee_code: InseeCode::parse("05061").unwrap_or_else(|e| panic!("{e}")),
        },
        contact: Contact {
            name: name("Accueil"),
            email: None,
            phone: None,
        },
        accessibility: Accessibility::default(),
        equipment: Vec::new(),
        rooms: vec![Room {
            id: room(),
            name: name("Salle polyvalente"),
            max_capacity,
        }],
        opening_hours: [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .map(|day| OpeningHours {
                day,
                opens: Time::constant(8, 0, 0, 0),
                closes: Time::constant(18, 0, 0, 0),
            })
            .collect(),
        closed_periods: Vec::new(),
        time_zone: TimeZoneName::paris(),
    }
}

/// The event the harness adds: an open door at the EHPAD Les Marronniers, on elderly people's
/// autonomy, for young people and job seekers.
pub fn open_door_about() -> About {
    About {
        kind: EventKind::OpenDoor,
        title: name("Portes ouvertes à l'EHPAD Les Marronniers"),
        description: Description::default(),
        themes: vec![Theme::ElderlyAutonomy],
        audiences: vec![Audience::YoungPeople, Audience::JobSeekers],
        restricted_to: Vec::new(),
        discovery_tools: Vec::new(),
        partners: Vec::new(),
    }
}

/// The room every test venue has.
pub fn room() -> RoomId {
    RoomId::parse("salle-polyvalente").unwrap_or_else(|e| panic!("{e}"))
}

/// Tuesday 13 April 2027 at `hour`:`minute`, local time.
pub fn tuesday(hour: i8, minute: i8) -> DateTime {
    date(2027, 4, 13).at(hour, minute, 0, 0)
}
