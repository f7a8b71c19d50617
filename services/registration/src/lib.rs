//! The registration service: partners register participants into sessions.
//!
//! A thin shell over the pure `registration-domain` deciders. To register someone it seals their
//! identity with their own key and decides, on their agenda, that the session's slot can be kept
//! (nobody is confirmed in two overlapping sessions); the seats then decide the registration, and
//! when they confirm the seat, the agenda's events that keep the slot are stored with the seats'
//! in one atomic write, at the agenda's version they were decided on — also when two requests for
//! the same person arrive at once, the second is decided again on the agenda the first left. One
//! write, all or none: there is no step between for a crash to fall into. The agenda process
//! keeps the slots of registrations confirmed later (promotions) and frees the cancelled ones
//! (see `docs/registration.md`).
//!
//! # Layout
//! - [`STREAM`], [`SEATS`], [`AGENDAS`], [`PARTNERS`], [`PARTICIPANTS`]: where the context's
//!   events live.
//! - [`identities`]: personal data sealed per participant; erasure destroys the key.
//! - [`Registrations`]: register, cancel, check in, erase.
//! - [`RegistrationError`]: why a command recorded nothing, with a stable code.

pub mod identities;

use decider::Decider;
use eventlog::{
    AggregateKey, Alongside, Category, CommandError, CommandMeta, Companion, EventLog, LogFailure,
    StreamSpec,
};
use jiff::Timestamp;
use proto::Actor;
use proto::refusal::{ErrorKind, RefusalKind, Told};
use proto::registration::participant::ErasureReason;
use proto::registration::session::Event as SeatsEvent;
use proto::registration::{ParticipantId, RegisterRequest, RegistrationId};
use proto::values::{PartnerId, SessionId};
use registration_domain::agenda::{Agenda, AgendaCommand, AgendaRefusal};
use registration_domain::participant::{ParticipantCommand, ParticipantRecord};
use registration_domain::partner::{Partner, PartnerRefusal};
use registration_domain::seats::{Seats, SeatsCommand, SeatsRefusal, SeatsState};

use crate::identities::{Identities, IdentityError};

/// The registration context's stream.
pub const STREAM: StreamSpec = StreamSpec {
    name: proto::subjects::REGISTRATION.name,
    subjects: proto::subjects::REGISTRATION.subjects,
    description: "registration: seats of sessions, registrations, waiting lists, agendas",
};

/// The seats of a session: `reg.session.<session id>`.
pub const SEATS: Category = proto::subjects::SEATS;

/// A partner: `reg.partner.<partner id>`.
pub const PARTNERS: Category = proto::subjects::PARTNERS;

/// The address of a partner.
pub fn partner_key(partner: &PartnerId) -> AggregateKey {
    // A partner id is a slug: always a valid subject token.
    AggregateKey::new(PARTNERS, partner.as_str()).unwrap_or_else(|e| unreachable!("{e}"))
}

/// A participant's agenda: `reg.agenda.<participant id>`.
pub const AGENDAS: Category = proto::subjects::AGENDAS;

/// A participant's record (its identity's erasure): `reg.participant.<participant id>`.
pub const PARTICIPANTS: Category = proto::subjects::PARTICIPANTS;

/// The address of a participant's record.
pub fn participant_key(participant: ParticipantId) -> AggregateKey {
    AggregateKey::new(PARTICIPANTS, &participant.to_string())
        .unwrap_or_else(|e| unreachable!("{e}"))
}

/// The address of a session's seats.
pub fn seats_key(session: SessionId) -> AggregateKey {
    // A UUID's text is always a valid subject token.
    AggregateKey::new(SEATS, &session.to_string()).unwrap_or_else(|e| unreachable!("{e}"))
}

/// The address of a participant's agenda.
pub fn agenda_key(participant: ParticipantId) -> AggregateKey {
    AggregateKey::new(AGENDAS, &participant.to_string()).unwrap_or_else(|e| unreachable!("{e}"))
}

/// Why a registration command recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The seats' rules refused it.
    #[error("{0}")]
    Seats(SeatsRefusal),
    /// The participant's agenda refused it: they hold an overlapping session.
    #[error("{0}")]
    Agenda(AgendaRefusal),
    /// The partner is not declared, or retired.
    #[error("{0}")]
    Partner(PartnerRefusal),
    /// This actor may not do this (a partner checking people in, an outsider reserving seats).
    #[error("{0}")]
    NotAllowed(&'static str),
    /// The identity could not be sealed.
    #[error("{0}")]
    Identity(IdentityError),
    /// The log recorded or read nothing: unavailable, contended or broken.
    #[error(transparent)]
    Log(#[from] LogFailure),
}

impl RegistrationError {
    /// A stable code for the error, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Seats(refusal) => refusal.code(),
            Self::Agenda(refusal) => refusal.code(),
            Self::Partner(refusal) => refusal.code(),
            Self::NotAllowed(_) => "not-allowed",
            Self::Identity(IdentityError::Unavailable(_)) => "key-store-unavailable",
            Self::Identity(IdentityError::Corrupted(_)) => "identity-corrupted",
            Self::Log(failure) => failure.code(),
        }
    }

    /// The error as the asking partner is told it: another partner's registration is told as
    /// one that does not exist.
    pub fn told(&self) -> Told {
        match self {
            Self::Seats(refusal) => {
                let told = refusal.told_to_others();
                Told::refusal(told.kind(), told.code(), &told)
            }
            Self::Agenda(refusal) => Told::refusal(refusal.kind(), refusal.code(), refusal),
            Self::Partner(refusal) => Told::refusal(refusal.kind(), refusal.code(), refusal),
            Self::NotAllowed(why) => Told::refusal(RefusalKind::Forbidden, self.code(), why),
            Self::Identity(IdentityError::Unavailable(_)) => {
                Told::failure(ErrorKind::Unavailable, self.code(), self)
            }
            Self::Identity(IdentityError::Corrupted(_)) => {
                Told::failure(ErrorKind::Internal, self.code(), self)
            }
            Self::Log(failure) => Told::failure(failure.kind(), self.code(), self),
        }
    }

    fn from_command<E>(error: CommandError<E>, refused: impl FnOnce(E) -> Self) -> Self {
        match error {
            CommandError::Refused(refusal) => refused(refusal),
            CommandError::Failed(failure) => Self::Log(failure),
        }
    }
}

impl From<eventlog::LoadError> for RegistrationError {
    fn from(e: eventlog::LoadError) -> Self {
        Self::from_command(CommandError::<SeatsRefusal>::from(e), Self::Seats)
    }
}

/// The outcome of a registration, as the partner is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The registration.
    pub registration: RegistrationId,
    /// The participant it is for.
    pub participant: ParticipantId,
    /// True when it holds its seats, false when it waits.
    pub confirmed: bool,
    /// The stream sequence of the commit that recorded it: a read can wait for it.
    pub seq: u64,
    /// True when this answers a retry: the original outcome, nothing recorded again.
    pub duplicate: bool,
}

/// A session's seats as they stand, shared with the aggregate the log keeps in memory rather than
/// copied (a popular session holds thousands of registrations); read it as a [`SeatsState`].
#[derive(Clone)]
pub struct SeatsNow(std::sync::Arc<eventlog::Loaded<Seats>>);

impl std::ops::Deref for SeatsNow {
    type Target = SeatsState;

    fn deref(&self) -> &SeatsState {
        &self.0.state
    }
}

/// How old a copy of a session's seats or of a partner kept in memory may be for the checks made
/// before registering (the session's times, a retry, a retired partner). On one instance the copy
/// follows every write; with several, a partner retired elsewhere is refused within this time.
const CHECKS_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(1);

/// How many times a registration is decided when the participant's agenda keeps moving under it
/// (the same person registered elsewhere at the same moment), or their new key lost to another
/// request's.
const AGENDA_ATTEMPTS: u32 = 4;

/// The registration service.
#[derive(Clone)]
pub struct Registrations {
    log: EventLog,
    identities: Identities,
    /// How many times its capacity a session's waiting list holds in seats.
    waiting_factor: u32,
}

fn partner_meta(partner: &PartnerId, key: &str) -> CommandMeta {
    CommandMeta::new(
        Actor::Partner {
            id: partner.to_string(),
        },
        format!("partner:{partner}:{key}"),
    )
}

/// The same command's next step on `session`, with a key of its own derived from the command's
/// and the session's: a key a client reuses for another session (after a refusal freed it) never
/// finds this session's step already done.
fn step(meta: &CommandMeta, step: &str, session: SessionId) -> CommandMeta {
    CommandMeta {
        idempotency_key: format!("{}:{step}:{session}", meta.idempotency_key),
        ..meta.clone()
    }
}

impl Registrations {
    /// The service over `log` (opened with [`STREAM`]) and the participants' keys.
    pub fn new(log: EventLog, identities: Identities) -> Self {
        Self {
            log,
            identities,
            waiting_factor: registration_domain::seats::WAITING_LIST_FACTOR,
        }
    }

    /// The same service, whose sessions' waiting lists hold at most `factor` times their
    /// capacity in seats (`u32::MAX`: no bound, for benchmarks that fill one session).
    pub fn with_waiting_factor(mut self, factor: u32) -> Self {
        self.waiting_factor = factor;
        self
    }

    /// The seats of a session as they stand.
    pub async fn seats(&self, session: SessionId) -> Result<SeatsNow, RegistrationError> {
        Ok(SeatsNow(
            self.log.load_shared::<Seats>(&seats_key(session)).await?,
        ))
    }

    /// The seats of a session as a copy known to be the latest within a second, if it knows
    /// `registration`; else as they stand. For a process reacting to the registration's own
    /// event, which a later event of the session would reach anyway.
    pub async fn seats_knowing(
        &self,
        session: SessionId,
        registration: RegistrationId,
    ) -> Result<SeatsNow, RegistrationError> {
        let key = seats_key(session);
        let recent = self.log.load_recent::<Seats>(&key, CHECKS_MAX_AGE).await?;
        if recent.state.registration(registration).is_some() {
            return Ok(SeatsNow(recent));
        }
        self.seats(session).await
    }

    /// An organiser declares or retires a partner.
    pub async fn partner(
        &self,
        partner: &PartnerId,
        command: &proto::registration::partner::Command,
        meta: &CommandMeta,
    ) -> Result<u64, RegistrationError> {
        self.log
            .execute::<Partner>(&partner_key(partner), command, meta)
            .await
            .map(|decided| decided.seq)
            .map_err(|e| RegistrationError::from_command(e, RegistrationError::Partner))
    }

    /// The participants' keys.
    pub fn identities(&self) -> &Identities {
        &self.identities
    }

    /// A partner registers a participant (or a group) into a session. `idempotency_key` is the
    /// partner's: the same key always gets the same answer.
    pub async fn register(
        &self,
        partner: &PartnerId,
        request: RegisterRequest,
        idempotency_key: &str,
    ) -> Result<Registered, RegistrationError> {
        let meta = partner_meta(partner, idempotency_key);
        let participant = ParticipantId::of(partner, &request.reference);
        let seats = seats_key(request.session);
        // Read-only checks first: the session's facts (its times, for the agenda) and
        // whether this is a retry, then the partner. A copy recently known to be the latest is
        // enough: the seats decide again on the latest when the registration is appended.
        let (facts, retry) = {
            let loaded = self
                .log
                .load_recent::<Seats>(&seats, CHECKS_MAX_AGE)
                .await?;
            let retry = loaded.idempotency.contains_key(&meta.idempotency_key);
            (loaded.state.facts.clone(), retry)
        };
        if !retry {
            self.partner_now(partner)
                .await?
                .state
                .registering()
                .map_err(RegistrationError::Partner)?;
        }
        let now = Timestamp::now();
        let registration = RegistrationId(uuid_v7());
        // The slot in the participant's agenda is kept in the same write as a confirmed seat,
        // decided on the agenda's latest copy (while the identity is sealed); if the agenda
        // moved meanwhile (the same person registering elsewhere at once), decided again.
        let (facts, meta) = (&facts, &meta);
        let session = request.session;
        let keep = |attempt| async move {
            match (facts, retry) {
                (Some(facts), false) => {
                    let slot = (session, registration, facts, now);
                    self.keep_with_seat(participant, slot, meta, attempt).await
                }
                _ => Ok(None),
            }
        };
        // A participant's new key is written while the registration is decided; the log appends
        // the registration only once the key is stored.
        let seal = || self.identities.seal_ahead(participant, &request.identity);
        let (mut companion, sealing) = tokio::join!(keep(1), seal());
        let (mut identity, mut key_written) = sealing.map_err(RegistrationError::Identity)?;
        let mut attempt = 1;
        let decided = loop {
            let command = SeatsCommand::Register {
                registration,
                partner: partner.clone(),
                participant,
                attendee: request.attendee.clone(),
                profile: request.profile.clone(),
                identity: identity.clone(),
                now,
                waiting_factor: self.waiting_factor,
            };
            let decided_again = matches!(companion, Ok(Some(_))) || key_written.is_some();
            let alongside = Alongside {
                companion: companion?,
                after: key_written.take(),
            };
            match self
                .log
                .execute_with::<Seats>(&seats, &command, meta, alongside)
                .await
            {
                Ok(decided) => break decided,
                Err(CommandError::Failed(LogFailure::Contended { .. }))
                    if decided_again && attempt < AGENDA_ATTEMPTS =>
                {
                    attempt += 1;
                    let (again, sealing) = tokio::join!(keep(attempt), seal());
                    companion = again;
                    (identity, key_written) = sealing.map_err(RegistrationError::Identity)?;
                }
                Err(error) => {
                    return Err(RegistrationError::from_command(
                        error,
                        RegistrationError::Seats,
                    ));
                }
            }
        };
        let outcome = decided.events.iter().find_map(|event| match event {
            SeatsEvent::Confirmed(r) => Some((r.registration, true)),
            SeatsEvent::Waitlisted(r) => Some((r.registration, false)),
            _ => None,
        });
        let Some((registration, confirmed)) = outcome else {
            return Err(RegistrationError::Log(LogFailure::broken(
                "the registration recorded no confirmation and no waiting",
            )));
        };
        Ok(Registered {
            registration,
            participant,
            confirmed,
            seq: decided.seq,
            duplicate: decided.duplicate,
        })
    }

    /// The agenda's events that keep `registration`'s slot if its seat is confirmed, to store
    /// with the seats' own: refused if the participant holds an overlapping session; none when
    /// the slot is kept already. Decided on a recent copy of the agenda at the first attempt, on
    /// the latest after.
    async fn keep_with_seat(
        &self,
        participant: ParticipantId,
        (session, registration, facts, now): (
            SessionId,
            RegistrationId,
            &proto::registration::SessionFacts,
            Timestamp,
        ),
        meta: &CommandMeta,
        attempt: u32,
    ) -> Result<Option<Companion<SeatsEvent>>, RegistrationError> {
        let key = agenda_key(participant);
        let agenda = if attempt == 1 {
            self.log.load_recent::<Agenda>(&key, CHECKS_MAX_AGE).await?
        } else {
            self.log.load_shared::<Agenda>(&key).await?
        };
        let keep = keep(session, registration, facts, now);
        let events = Agenda::decide(&agenda.state, &keep).map_err(RegistrationError::Agenda)?;
        if events.is_empty() {
            return Ok(None);
        }
        let confirms = move |seats: &[SeatsEvent]| {
            seats
                .iter()
                .any(|e| matches!(e, SeatsEvent::Confirmed(r) if r.registration == registration))
        };
        Ok(Some(Companion::new::<Agenda>(
            key,
            agenda.version,
            step(meta, "keep", session),
            move |seats| {
                if confirms(seats) {
                    events.clone()
                } else {
                    Vec::new()
                }
            },
        )))
    }

    /// A partner cancels one of its registrations. Its agenda slot is freed by the agenda
    /// process, which checks the participant did not register again in the session meanwhile.
    pub async fn cancel(
        &self,
        partner: &PartnerId,
        session: SessionId,
        registration: RegistrationId,
        idempotency_key: &str,
    ) -> Result<u64, RegistrationError> {
        let meta = partner_meta(partner, idempotency_key);
        let command = SeatsCommand::Cancel {
            registration,
            partner: partner.clone(),
            now: Timestamp::now(),
        };
        self.log
            .execute::<Seats>(&seats_key(session), &command, &meta)
            .await
            .map(|decided| decided.seq)
            .map_err(|e| RegistrationError::from_command(e, RegistrationError::Seats))
    }

    /// Records at the door how many of a confirmed registration's seats came (by the venue or an
    /// organiser, whose actor `meta` carries).
    pub async fn check_in(
        &self,
        session: SessionId,
        registration: RegistrationId,
        present: u32,
        meta: &CommandMeta,
    ) -> Result<u64, RegistrationError> {
        if !matches!(meta.actor, Actor::Venue { .. } | Actor::Organiser { .. }) {
            return Err(RegistrationError::NotAllowed(
                "check-in is recorded at the door by the venue or an organiser",
            ));
        }
        let command = SeatsCommand::CheckIn {
            registration,
            present,
        };
        self.seats_command(session, &command, meta).await
    }

    /// Keeps seats of a session for a partner or an audience until a deadline (an organiser's
    /// decision, whose actor `meta` carries).
    pub async fn reserve(
        &self,
        session: SessionId,
        reservation: proto::registration::Reservation,
        meta: &CommandMeta,
    ) -> Result<u64, RegistrationError> {
        if !matches!(meta.actor, Actor::Organiser { .. }) {
            return Err(RegistrationError::NotAllowed(
                "seats are reserved by an organiser",
            ));
        }
        // Seats are kept for a declared partner (a retired one's reservation may still be
        // replaced, to give its seats back before the deadline).
        if let proto::registration::Beneficiary::Partner { partner } = &reservation.beneficiary
            && self.partner_now(partner).await?.state.declared.is_none()
        {
            return Err(RegistrationError::Partner(PartnerRefusal::NotDeclared));
        }
        let reserve = SeatsCommand::Reserve {
            reservation,
            now: Timestamp::now(),
        };
        self.seats_command(session, &reserve, meta).await
    }

    /// A partner, from a copy recently known to be the latest: enough for the checks made
    /// before a command (the seats decide on the latest when it is appended).
    async fn partner_now(
        &self,
        partner: &PartnerId,
    ) -> Result<std::sync::Arc<eventlog::Loaded<Partner>>, RegistrationError> {
        Ok(self
            .log
            .load_recent::<Partner>(&partner_key(partner), CHECKS_MAX_AGE)
            .await?)
    }

    /// Holds and confirms a confirmed registration's slot in its participant's agenda (for the
    /// agenda process); if they hold an overlapping session, the registration is cancelled
    /// instead and its seat goes to the next in line.
    pub async fn keep_slot(
        &self,
        participant: ParticipantId,
        session: SessionId,
        registration: RegistrationId,
        facts: &proto::registration::SessionFacts,
        meta: &CommandMeta,
    ) -> Result<(), RegistrationError> {
        let agenda = agenda_key(participant);
        // Usually confirmed already, by the registration itself: seen in a recent copy, there
        // is nothing to ask the log.
        let kept = self
            .log
            .load_recent::<Agenda>(&agenda, CHECKS_MAX_AGE)
            .await?
            .state
            .keeps(session, registration, facts.starts_at, facts.ends_at);
        if kept {
            return Ok(());
        }
        let now = Timestamp::now();
        let keep = keep(session, registration, facts, now);
        let kept = self
            .log
            .execute::<Agenda>(&agenda, &keep, &step(meta, "keep", session))
            .await;
        match kept {
            Ok(_) => Ok(()),
            Err(CommandError::Refused(AgendaRefusal::Overlap { .. })) => {
                let cancel = SeatsCommand::CancelOverlapping { registration, now };
                self.seats_command(session, &cancel, &step(meta, "cancel", session))
                    .await
                    .map(|_| ())
            }
            Err(other) => Err(RegistrationError::from_command(
                other,
                RegistrationError::Agenda,
            )),
        }
    }

    /// Moves a slot in a participant's agenda with its session, reporting what it now overlaps
    /// (for the agenda process).
    pub async fn move_slot(
        &self,
        participant: ParticipantId,
        session: SessionId,
        facts: &proto::registration::SessionFacts,
        meta: &CommandMeta,
    ) -> Result<(), RegistrationError> {
        let command = AgendaCommand::Move {
            session,
            starts_at: facts.starts_at,
            ends_at: facts.ends_at,
            now: Timestamp::now(),
        };
        self.log
            .execute::<Agenda>(&agenda_key(participant), &command, meta)
            .await
            .map(|_| ())
            .map_err(|e| RegistrationError::from_command(e, RegistrationError::Agenda))
    }

    /// A participant's agenda as it stands.
    pub async fn agenda(
        &self,
        participant: ParticipantId,
    ) -> Result<registration_domain::AgendaState, RegistrationError> {
        Ok(self
            .log
            .load::<Agenda>(&agenda_key(participant))
            .await?
            .state)
    }

    /// Releases a slot in a participant's agenda (for the agenda process).
    pub async fn free_slot(
        &self,
        participant: ParticipantId,
        session: SessionId,
        meta: &CommandMeta,
    ) -> Result<(), RegistrationError> {
        let command = AgendaCommand::Release { session };
        self.log
            .execute::<Agenda>(
                &agenda_key(participant),
                &command,
                &step(meta, "release", session),
            )
            .await
            .map(|_| ())
            .map_err(|e| RegistrationError::from_command(e, RegistrationError::Agenda))
    }

    /// Erases a participant: records it in their record (`reg.participant.<id>`: why, and in the
    /// envelope who and when), then destroys their key. Their sealed identity, wherever it
    /// stands, never opens again; their registrations still count in the statistics. Answers the
    /// record's sequence (the first erasure's, when asked again).
    pub async fn erase(
        &self,
        participant: ParticipantId,
        reason: ErasureReason,
        meta: &CommandMeta,
    ) -> Result<u64, RegistrationError> {
        // Recorded first (who, when, why; no personal data), then done: a key store that does
        // not answer leaves an erasure recorded and not done yet, which the same request retried
        // completes; never one done and not recorded.
        let decided = self
            .log
            .execute::<ParticipantRecord>(
                &participant_key(participant),
                &ParticipantCommand::Erase { reason },
                meta,
            )
            .await
            .map_err(|e| RegistrationError::from_command(e, |never| match never {}))?;
        self.identities
            .erase(participant)
            .await
            .map_err(RegistrationError::Identity)?;
        Ok(decided.seq)
    }

    /// Runs a seats command (for the processes between services).
    pub async fn seats_command(
        &self,
        session: SessionId,
        command: &SeatsCommand,
        meta: &CommandMeta,
    ) -> Result<u64, RegistrationError> {
        self.log
            .execute::<Seats>(&seats_key(session), command, meta)
            .await
            .map(|decided| decided.seq)
            .map_err(|e| RegistrationError::from_command(e, RegistrationError::Seats))
    }
}

/// Keeps `registration`'s slot of `session` (at the session's times) in its participant's agenda.
fn keep(
    session: SessionId,
    registration: RegistrationId,
    facts: &proto::registration::SessionFacts,
    now: Timestamp,
) -> AgendaCommand {
    AgendaCommand::Keep {
        session,
        registration,
        starts_at: facts.starts_at,
        ends_at: facts.ends_at,
        now,
    }
}

fn uuid_v7() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
