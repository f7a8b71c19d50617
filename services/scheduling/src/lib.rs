//! The scheduling service: organisers build editions and their programmes.
//!
//! A thin shell over the pure `scheduling-domain` deciders: it looks up the outside facts a
//! decision needs (the edition an event belongs to), runs the command loop of the event log, and
//! nothing else.
//!
//! # Layout
//! - [`STREAM`], [`EDITIONS`], [`EVENTS`], [`SESSION_IDS`]: where the context's events live.
//! - [`Scheduling`]: the commands on editions and events.
//! - [`SchedulingError`]: why a command recorded nothing, with a stable code.

use eventlog::{
    AggregateKey, Alongside, Category, CommandError, CommandMeta, Companion, Decided, EventLog,
    StreamSpec,
};
use proto::scheduling::session::{self, Owner};
use proto::scheduling::{edition, event};
use proto::values::{EditionId, EventId, SessionId};
use scheduling_domain::{
    ClaimRefusal, Edition, EditionFacts, EditionRefusal, EventAggregate, EventCommand,
    EventRefusal, SessionClaim,
};

/// The scheduling context's stream.
pub const STREAM: StreamSpec = StreamSpec {
    name: "SCHEDULING",
    subjects: "sched.>",
    description: "scheduling: editions, their events and sessions",
};

/// Editions: `sched.edition.<id>`.
pub const EDITIONS: Category = Category {
    stream: STREAM.name,
    prefix: "sched.edition",
};

/// Events of a programme, with their sessions: `sched.event.<id>`.
pub const EVENTS: Category = Category {
    stream: STREAM.name,
    prefix: "sched.event",
};

/// Session ids, each claimed once by the event that scheduled it: `sched.session.<id>`.
pub const SESSION_IDS: Category = Category {
    stream: STREAM.name,
    prefix: "sched.session",
};

/// How many times scheduling a session is decided again when its id's claim moved meanwhile
/// (another event claimed it at the same moment: the next decision refuses).
const CLAIM_ATTEMPTS: u32 = 3;

/// The address of an edition.
pub fn edition_key(id: EditionId) -> AggregateKey {
    key(EDITIONS, &id.to_string())
}

/// The address of an event.
pub fn event_key(id: EventId) -> AggregateKey {
    key(EVENTS, &id.to_string())
}

/// The address of a session id's claim.
pub fn session_id_key(id: SessionId) -> AggregateKey {
    key(SESSION_IDS, &id.to_string())
}

fn key(category: Category, id: &str) -> AggregateKey {
    // A UUID's text is always a valid subject token.
    AggregateKey::new(category, id).unwrap_or_else(|e| unreachable!("{e}"))
}

/// Why a scheduling command recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum SchedulingError {
    /// The edition's rules refused it.
    #[error("{0}")]
    Edition(EditionRefusal),
    /// The event's rules refused it.
    #[error("{0}")]
    Event(EventRefusal),
    /// The session id is another session's.
    #[error("{0}")]
    Claim(ClaimRefusal),
    /// No such edition.
    #[error("edition {0} does not exist")]
    UnknownEdition(EditionId),
    /// No such event.
    #[error("event {0} does not exist")]
    UnknownEvent(EventId),
    /// JetStream did not answer; the same command with the same idempotency key may be retried.
    #[error("the event log is unavailable: {0}")]
    Unavailable(String),
    /// Other writers kept changing the aggregate; retry.
    #[error("too many concurrent changes; retry")]
    Contended,
    /// The log could not be read or written.
    #[error("the event log failed: {0}")]
    Log(String),
}

impl SchedulingError {
    /// A stable code for the error, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Edition(refusal) => refusal.code(),
            Self::Event(refusal) => refusal.code(),
            Self::Claim(refusal) => refusal.code(),
            Self::UnknownEdition(_) => "unknown-edition",
            Self::UnknownEvent(_) => "unknown-event",
            Self::Unavailable(_) => "log-unavailable",
            Self::Contended => "contended",
            Self::Log(_) => "log-failed",
        }
    }

    fn from_command<E>(error: CommandError<E>, refused: impl FnOnce(E) -> Self) -> Self {
        match error {
            CommandError::Refused(refusal) => refused(refusal),
            CommandError::Contended { .. } => Self::Contended,
            CommandError::Unavailable(reason) => Self::Unavailable(reason),
            CommandError::Log(reason) => Self::Log(reason),
        }
    }
}

impl From<eventlog::LoadError> for SchedulingError {
    fn from(e: eventlog::LoadError) -> Self {
        match e {
            eventlog::LoadError::Unavailable { reason } => Self::Unavailable(reason),
            other => Self::Log(other.to_string()),
        }
    }
}

/// The scheduling service.
#[derive(Clone)]
pub struct Scheduling {
    /// Where its events go.
    log: EventLog,
}

impl Scheduling {
    /// The service over `log` (opened with [`STREAM`]).
    pub fn new(log: EventLog) -> Self {
        Self { log }
    }

    /// Runs a command on an edition.
    pub async fn edition(
        &self,
        id: EditionId,
        command: &edition::Command,
        meta: &CommandMeta,
    ) -> Result<Decided<edition::Event>, SchedulingError> {
        self.log
            .execute::<Edition>(&edition_key(id), command, meta)
            .await
            .map_err(|e| SchedulingError::from_command(e, SchedulingError::Edition))
    }

    /// Runs a command on an event of a programme, with the facts of its edition.
    pub async fn event(
        &self,
        id: EventId,
        command: event::Command,
        meta: &CommandMeta,
    ) -> Result<Decided<event::Event>, SchedulingError> {
        let key = event_key(id);
        let edition_id = match &command {
            event::Command::Add(add) => add.edition,
            _ => self
                .log
                .load::<EventAggregate>(&key)
                .await?
                .state
                .added
                .map(|added| added.edition)
                .ok_or(SchedulingError::UnknownEvent(id))?,
        };
        let edition = self.edition_facts(edition_id).await?;
        let scheduled = match &command {
            event::Command::ScheduleSession(schedule) => Some(schedule.session),
            _ => None,
        };
        let command = EventCommand { command, edition };
        let Some(session) = scheduled else {
            return self
                .log
                .execute::<EventAggregate>(&key, &command, meta)
                .await
                .map_err(|e| SchedulingError::from_command(e, SchedulingError::Event));
        };
        let owner = Owner {
            edition: edition_id,
            event: id,
        };
        let mut attempt = 1;
        loop {
            let claim = self.claim_companion(session, owner, meta).await?;
            let claiming = claim.is_some();
            let alongside = Alongside {
                companion: claim,
                after: None,
            };
            match self
                .log
                .execute_with::<EventAggregate>(&key, &command, meta, alongside)
                .await
            {
                Err(CommandError::Contended { .. }) if claiming && attempt < CLAIM_ATTEMPTS => {
                    attempt += 1;
                }
                outcome => {
                    return outcome
                        .map_err(|e| SchedulingError::from_command(e, SchedulingError::Event));
                }
            }
        }
    }

    /// The claim of `session`'s id by `owner`, to be stored with the event's `SessionScheduled`:
    /// none when the id is already `owner`'s; refused when it is another's.
    async fn claim_companion(
        &self,
        session: SessionId,
        owner: Owner,
        meta: &CommandMeta,
    ) -> Result<Option<Companion<event::Event>>, SchedulingError> {
        let key = session_id_key(session);
        let claim = self.log.load::<SessionClaim>(&key).await?;
        let events = <SessionClaim as decider::Decider>::decide(&claim.state, &owner)
            .map_err(SchedulingError::Claim)?;
        if events.is_empty() {
            return Ok(None);
        }
        let schedules = move |own: &[event::Event]| {
            own.iter()
                .any(|e| matches!(e, event::Event::SessionScheduled(s) if s.session == session))
        };
        Ok(Some(Companion::new::<SessionClaim>(
            key,
            claim.version,
            meta.clone(),
            move |own: &[event::Event]| {
                if schedules(own) {
                    events.clone()
                } else {
                    Vec::new()
                }
            },
        )))
    }

    /// Who holds a session id: the event that scheduled it, and its edition; `None` for an id
    /// no event has claimed (never scheduled, or scheduled before ids were claimed and not yet
    /// claimed for it by the `session-claims` process).
    pub async fn session_owner(
        &self,
        session: SessionId,
    ) -> Result<Option<Owner>, SchedulingError> {
        Ok(self
            .log
            .load::<SessionClaim>(&session_id_key(session))
            .await?
            .state
            .owner)
    }

    /// Claims `session`'s id for `owner` when no event holds it yet (the claim of a session
    /// scheduled before ids were claimed); refused when another event holds it.
    pub async fn claim_session_id(
        &self,
        session: SessionId,
        owner: Owner,
        meta: &CommandMeta,
    ) -> Result<Decided<session::Event>, SchedulingError> {
        self.log
            .execute::<SessionClaim>(&session_id_key(session), &owner, meta)
            .await
            .map_err(|e| SchedulingError::from_command(e, SchedulingError::Claim))
    }

    /// What a decision needs to know of an edition.
    pub async fn edition_facts(&self, id: EditionId) -> Result<EditionFacts, SchedulingError> {
        self.log
            .load::<Edition>(&edition_key(id))
            .await?
            .state
            .facts(id)
            .ok_or(SchedulingError::UnknownEdition(id))
    }

    /// The current state of an event, for reads that cannot wait for a read model.
    pub async fn event_state(
        &self,
        id: EventId,
    ) -> Result<scheduling_domain::EventState, SchedulingError> {
        Ok(self.log.load::<EventAggregate>(&event_key(id)).await?.state)
    }
}
