//! One sample of every event type, from the Hautes-Alpes week of April 2024, to write the
//! fixture of a new type or version.

use jiff::civil::{date, time};
use proto::scheduling::edition;
use proto::scheduling::event::{self, About};
use proto::taxonomy::{Audience, DiscoveryTool, Equipment, EventKind, Theme, VenueKind};
use proto::values::*;
use proto::venues::{self, *};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_5b2a_7c00_7000_8000_0000_0000_0000 | n)
}

fn name(s: &str) -> Name {
    Name::parse(s).expect("valid")
}

fn reason(s: &str) -> Reason {
    Reason::parse(s).expect("valid")
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().expect("a timestamp")
}

/// A sample of every edition event.
pub(crate) fn editions() -> Vec<edition::Event> {
    vec![
        edition::Event::Created(edition::Created {
            name: name("Semaine des métiers du social — Hautes-Alpes 2024"),
            territory: DepartementCode::parse("05").expect("valid"),
            first_day: date(2024, 4, 15),
            last_day: date(2024, 4, 26),
            time_zone: TimeZoneName::paris(),
            organisers: vec![OrganiserId::parse("dep-05").expect("valid")],
        }),
        edition::Event::DatesAmended(edition::DatesAmended {
            first_day: date(2024, 4, 15),
            last_day: date(2024, 4, 27),
        }),
        edition::Event::Published(edition::Published {}),
        edition::Event::Closed(edition::Closed {}),
    ]
}

/// A sample of every programme event.
pub(crate) fn events() -> Vec<event::Event> {
    let about = About {
        kind: EventKind::DiscoveryStand,
        title: name("Simulateur de vieillissement au lycée de Gap"),
        description: Description::parse("Se mettre dans la peau d'une personne âgée.")
            .expect("valid"),
        themes: vec![Theme::ElderlyAutonomy],
        audiences: vec![Audience::Pupils, Audience::YoungPeople],
        restricted_to: vec![Audience::Pupils],
        discovery_tools: vec![DiscoveryTool::AgeingSimulator],
        partners: vec![PartnerId::parse("mission-locale-gap").expect("valid")],
    };
    let session = SessionId(id(0x5e));
    vec![
        event::Event::Added(event::Added {
            edition: EditionId(id(0xed)),
            about: about.clone(),
        }),
        event::Event::Amended(about),
        event::Event::SessionScheduled(event::SessionScheduled {
            session,
            request: 1,
            venue: VenueId(id(0x7e)),
            room: RoomId::parse("salle-polyvalente").expect("valid"),
            starts_local: date(2024, 4, 16).at(9, 30, 0, 0),
            ends_local: date(2024, 4, 16).at(11, 30, 0, 0),
            time_zone: TimeZoneName::paris(),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at("2024-04-16T09:30:00Z"),
            capacity_wanted: 30,
        }),
        event::Event::SessionRescheduled(event::SessionRescheduled {
            session,
            request: 2,
            venue: VenueId(id(0x7e)),
            room: RoomId::parse("salle-polyvalente").expect("valid"),
            capacity_wanted: 30,
            starts_local: date(2024, 4, 17).at(14, 0, 0, 0),
            ends_local: date(2024, 4, 17).at(16, 0, 0, 0),
            starts_at: at("2024-04-17T12:00:00Z"),
            ends_at: at("2024-04-17T14:00:00Z"),
        }),
        event::Event::SessionVenueChanged(event::SessionVenueChanged {
            session,
            request: 3,
            previous_venue: VenueId(id(0x7e)),
            previous_request: 2,
            venue: VenueId(id(0x7f)),
            room: RoomId::parse("cdi").expect("valid"),
            starts_at: at("2024-04-17T12:00:00Z"),
            ends_at: at("2024-04-17T14:00:00Z"),
            capacity_wanted: 30,
        }),
        event::Event::SessionCancelled(event::SessionCancelled {
            session,
            venue: VenueId(id(0x7f)),
            request: 3,
            reason: reason("Grève des transports scolaires"),
        }),
        event::Event::SessionVenueConfirmed(event::SessionVenueConfirmed {
            session,
            request: 1,
            capacity: 28,
        }),
        event::Event::SessionVenueDeclined(event::SessionVenueDeclined {
            session,
            request: 1,
            refused: false,
            reason: reason("Salle en travaux"),
        }),
        event::Event::SessionCapacityChanged(event::SessionCapacityChanged {
            session,
            request: 1,
            capacity: 20,
        }),
        event::Event::SessionVenueWithdrew(event::SessionVenueWithdrew {
            session,
            request: 1,
            reason: reason("Inspection sanitaire ce jour-là"),
        }),
    ]
}

/// A sample of every venue event.
pub(crate) fn venues() -> Vec<venues::Event> {
    let session = SessionId(id(0x5e));
    let closed = ClosedPeriod {
        from: date(2024, 4, 22),
        to: date(2024, 4, 22),
        reason: reason("Lundi de Pâques décalé"),
    };
    let hours = vec![OpeningHours {
        day: Weekday::Tuesday,
        opens: time(8, 30, 0, 0),
        closes: time(17, 30, 0, 0),
    }];
    vec![
        venues::Event::Registered(Box::new(Register {
            name: name("EHPAD Les Marronniers"),
            kind: VenueKind::Ehpad,
            address: Address {
                street: name("12 rue des Alpes"),
                postcode: Postcode::try_from("05000".to_owned()).expect("valid"),
                town: name("Gap"),
                insee_code: InseeCode::parse("05061").expect("valid"),
            },
            contact: Contact {
                name: name("Accueil"),
                email: Some(name("accueil@ehpad-marronniers.example")),
                phone: None,
            },
            accessibility: Accessibility {
                step_free_entrance: Some(true),
                accessible_toilets: Some(true),
                hearing_loop: None,
                parking: Some(false),
            },
            equipment: vec![Equipment::Projector, Equipment::Kitchen],
            rooms: vec![Room {
                id: RoomId::parse("salle-polyvalente").expect("valid"),
                name: name("Salle polyvalente"),
                max_capacity: 40,
            }],
            opening_hours: hours.clone(),
            closed_periods: vec![closed.clone()],
            time_zone: TimeZoneName::paris(),
        })),
        venues::Event::OpeningHoursSet(OpeningHoursSet {
            opening_hours: hours,
        }),
        venues::Event::ClosedPeriodAdded(closed),
        venues::Event::HostingRequested(RequestHosting {
            session,
            event: EventId(id(0xe7)),
            request: 1,
            room: RoomId::parse("salle-polyvalente").expect("valid"),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at("2024-04-16T09:30:00Z"),
            capacity_wanted: 30,
        }),
        venues::Event::HostingRefused(HostingRefused {
            session,
            event: EventId(id(0xe7)),
            request: 1,
            refusal: HostingRefusal::OutsideOpeningHours,
        }),
        venues::Event::HostingConfirmed(HostingCapacity {
            session,
            event: EventId(id(0xe7)),
            request: 1,
            capacity: 28,
        }),
        venues::Event::HostingDeclined(HostingEnded {
            session,
            event: EventId(id(0xe7)),
            request: 1,
            reason: reason("Salle en travaux"),
        }),
        venues::Event::HostingCapacityChanged(HostingCapacity {
            session,
            event: EventId(id(0xe7)),
            request: 1,
            capacity: 20,
        }),
        venues::Event::HostingWithdrawn(HostingEnded {
            session,
            event: EventId(id(0xe7)),
            request: 1,
            reason: reason("Inspection sanitaire ce jour-là"),
        }),
        venues::Event::HostingReleased(HostingReleased {
            session,
            request: 1,
        }),
    ]
}

/// A sample of every event of a session's seats.
pub(crate) fn seats() -> Vec<proto::registration::session::Event> {
    use proto::registration::session::*;
    use proto::registration::*;
    let partner = PartnerId::parse("mission-locale-gap").expect("valid");
    let registration = RegistrationId(id(0x4e));
    let facts = SessionFacts {
        edition: EditionId(id(0xed)),
        starts_at: at("2024-04-16T07:30:00Z"),
        ends_at: at("2024-04-16T09:30:00Z"),
        restricted_to: vec![Audience::YoungPeople, Audience::JobSeekers],
    };
    let registered = Registered {
        registration,
        partner: partner.clone(),
        participant: ParticipantId(id(0x9a)),
        attendee: Attendee::Group { size: 12 },
        profile: Profile {
            audience: Audience::YoungPeople,
            age_band: AgeBand::From16To25,
            town: Some(InseeCode::parse("05061").expect("valid")),
        },
        identity: SealedIdentity {
            key: ParticipantId(id(0x9a)),
            nonce: "AAECAwQFBgcICQoL".into(),
            ciphertext: "c2VhbGVkIGJ5IHRoZSBwYXJ0aWNpcGFudCdzIGtleQ==".into(),
        },
        reserved: Some(Beneficiary::Partner {
            partner: partner.clone(),
        }),
    };
    vec![
        Event::CapacitySet(CapacitySet {
            capacity: 30,
            facts: facts.clone(),
        }),
        Event::SeatsReserved(Reservation {
            beneficiary: Beneficiary::Partner {
                partner: partner.clone(),
            },
            seats: 10,
            until: at("2024-04-13T07:30:00Z"),
        }),
        Event::ReservationReleased(Beneficiary::Audience {
            audience: Audience::JobSeekers,
        }),
        Event::Confirmed(registered.clone()),
        Event::Waitlisted(Registered {
            reserved: None,
            ..registered
        }),
        Event::Promoted(Registration {
            registration,
            partner: partner.clone(),
        }),
        Event::Demoted(Registration {
            registration,
            partner: partner.clone(),
        }),
        Event::Cancelled(Cancelled {
            registration,
            partner,
            by: CancelledBy::Organiser,
            reason: Some(reason("Intervenant malade")),
        }),
        Event::CheckedIn(CheckedIn {
            registration,
            present: 11,
        }),
        Event::Rescheduled(Rescheduled { facts }),
        Event::SessionCancelled(SessionCancelled {
            reason: reason("Intervenant malade"),
        }),
        Event::Ended(Ended {
            no_shows: vec![registration],
        }),
    ]
}

/// A sample of every event of a participant's agenda.
pub(crate) fn agendas() -> Vec<proto::registration::agenda::Event> {
    use proto::registration::RegistrationId;
    use proto::registration::agenda::*;
    let session = SessionId(id(0x5e));
    vec![
        Event::SlotHeld(SlotHeld {
            session,
            registration: RegistrationId(id(0x4e)),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at("2024-04-16T09:30:00Z"),
            held_at: at("2024-04-02T10:00:00Z"),
        }),
        Event::SlotConfirmed(Slot { session }),
        Event::SlotReleased(Slot { session }),
        Event::SlotMoved(SlotMoved {
            session,
            starts_at: at("2024-04-17T12:00:00Z"),
            ends_at: at("2024-04-17T14:00:00Z"),
            conflicts: vec![SessionId(id(0x5f))],
        }),
    ]
}

/// A sample of every partner event.
pub(crate) fn partners() -> Vec<proto::registration::partner::Event> {
    use proto::registration::partner::*;
    vec![
        Event::Declared(Declared {
            name: name("Mission locale du Gapençais"),
            kind: PartnerKind::MissionLocale,
        }),
        Event::Retired(Retired {
            reason: reason("Fusion avec la mission locale de l'Embrunais"),
        }),
    ]
}

/// A sample of every webhook event.
pub(crate) fn webhooks() -> Vec<proto::webhooks::Event> {
    use proto::webhooks::*;
    let subscription = SubscriptionId(id(0x77));
    vec![
        Event::Subscribed(Subscribed {
            subscription,
            url: WebhookUrl::parse("https://mission-locale-gap.example/hooks/semaine")
                .expect("valid"),
            kinds: vec![Kind::RegistrationConfirmed, Kind::RegistrationPromoted],
        }),
        Event::Unsubscribed(Unsubscribed { subscription }),
    ]
}

/// A sample of every job-dating event: the job-dating of Embrun, Wednesday 17 April 2024,
/// 14:00–17:00 (12:00–15:00Z), 15-minute slots, a break at 15:30.
pub(crate) fn jobdatings() -> Vec<proto::jobdating::Event> {
    use proto::jobdating::*;
    use proto::registration::ParticipantId;
    use proto::taxonomy::{ContractType, Job, StructureKind};

    let span = |from: &str, to: &str| Span {
        starts_at: at(from),
        ends_at: at(to),
    };
    let employer = EmployerId(id(0xe1));
    let table = TableNo::parse(3).expect("valid");
    let slot = SlotNo::parse(2).expect("valid");
    let candidate = Candidate {
        participant: ParticipantId(id(0xca)),
        partner: PartnerId::parse("mission-locale-embrun").expect("valid"),
    };
    vec![
        Event::Configured(Configured {
            setup: Setup {
                starts_at: at("2024-04-17T12:00:00Z"),
                ends_at: at("2024-04-17T13:00:00Z"),
                slot_minutes: SlotMinutes::parse(15).expect("valid"),
                breaks: vec![span("2024-04-17T12:30:00Z", "2024-04-17T12:45:00Z")],
                gap_minutes: GapMinutes::parse(5).expect("valid"),
                max_interviews: InterviewLimit::parse(3).expect("valid"),
                wishes_until: at("2024-04-15T16:00:00Z"),
            },
            slots: vec![
                span("2024-04-17T12:00:00Z", "2024-04-17T12:15:00Z"),
                span("2024-04-17T12:15:00Z", "2024-04-17T12:30:00Z"),
                span("2024-04-17T12:45:00Z", "2024-04-17T13:00:00Z"),
            ],
        }),
        Event::EmployerJoined(EmployerJoined {
            employer,
            name: name("EHPAD Les Marronniers"),
            kind: StructureKind::Ehpad,
            town: Town {
                name: name("Embrun"),
                insee_code: InseeCode::parse("05046").expect("valid"),
            },
            jobs: vec![
                JobOffer {
                    job: Job::CareAssistant,
                    contract: ContractType::Permanent,
                    openings: Openings::parse(2).expect("valid"),
                },
                JobOffer {
                    job: Job::HospitalServicesAgent,
                    contract: ContractType::FixedTerm,
                    openings: Openings::parse(1).expect("valid"),
                },
            ],
        }),
        Event::RecruiterSeated(RecruiterSeated {
            employer,
            recruiter: RecruiterId::parse("cadre-de-sante").expect("valid"),
            table,
        }),
        Event::SlotsBlocked(SlotsBlocked {
            table,
            slots: vec![SlotNo::parse(3).expect("valid")],
            reason: Some(reason("Réunion d'équipe")),
        }),
        Event::SlotsUnblocked(SlotsUnblocked {
            table,
            slots: vec![SlotNo::parse(3).expect("valid")],
        }),
        Event::WishesSubmitted(WishesSubmitted {
            candidate: candidate.clone(),
            wishes: Wishes::parse(vec![
                Wish::Employer { employer },
                Wish::Job {
                    job: Job::HomeCarer,
                },
            ])
            .expect("valid"),
        }),
        Event::InterviewBooked(InterviewBooked {
            table,
            slot,
            time: span("2024-04-17T12:15:00Z", "2024-04-17T12:30:00Z"),
            employer,
            candidate: candidate.clone(),
            by: BookedBy::Planner { run: 1 },
            wish: Some(1),
        }),
        Event::InterviewCancelled(InterviewCancelled {
            table,
            slot,
            candidate: candidate.clone(),
        }),
        Event::PlanDrafted(PlanDrafted {
            run: 1,
            seed: 2024,
            candidates: 40,
            interviews: 96,
            first_wishes_honoured: 37,
            wishes_honoured: 88,
        }),
        Event::TableDrafted(TableDrafted {
            run: 1,
            table,
            employer,
            interviews: vec![
                DraftedInterview {
                    slot: SlotNo::parse(1).expect("valid"),
                    participant: ParticipantId(id(0xcb)),
                    wish: Some(2),
                },
                DraftedInterview {
                    slot,
                    participant: candidate.participant,
                    wish: Some(1),
                },
            ],
        }),
        Event::PlanAnnounced(PlanAnnounced { run: 1 }),
        Event::OutcomeRecorded(OutcomeRecorded {
            table,
            slot,
            employer,
            candidate,
            outcome: Outcome::Hired {
                job: Job::CareAssistant,
                contract: ContractType::Permanent,
            },
        }),
    ]
}

/// A sample of every session id's claim event.
pub(crate) fn sessions() -> Vec<proto::scheduling::session::Event> {
    vec![proto::scheduling::session::Event::Claimed(
        proto::scheduling::session::Owner {
            edition: EditionId(id(1)),
            event: EventId(id(2)),
        },
    )]
}

/// A sample of every participant's record event.
pub(crate) fn participants() -> Vec<proto::registration::participant::Event> {
    use proto::registration::participant::{Erased, ErasureReason, Event};
    vec![Event::Erased(Erased {
        reason: ErasureReason::Request,
    })]
}
