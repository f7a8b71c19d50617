//! The scheduling service: organisers build editions and their programmes.
//!
//! A thin shell over the pure `scheduling-domain` deciders: it looks up the outside facts a
//! decision needs (the edition an event belongs to), runs the command loop of the event log, and
//! nothing else.
//!
//! # Layout
//! - [`STREAM`], [`EDITIONS`], [`EVENTS`], [`SESSION_IDS`]: where the context's events live.
//! - [`Scheduling`]: the commands on editions and events; [`Scheduling::claim_earlier_session_ids`]
//!   claims, once, the ids of sessions scheduled before ids were claimed (ADR 0008).
//! - [`SchedulingError`]: why a command recorded nothing, with a stable code.

use eventlog::{
    AggregateKey, Alongside, Category, CommandError, CommandMeta, Companion, Decided, EventLog,
    LogFailure, StreamSpec,
};
use proto::refusal::{RefusalKind, Told};
use proto::scheduling::session::{self, Owner};
use proto::scheduling::{edition, event};
use proto::values::{EditionId, EventId, SessionId};
use scheduling_domain::{
    ClaimRefusal, Edition, EditionFacts, EditionRefusal, EventAggregate, EventCommand,
    EventRefusal, SessionClaim,
};

/// The scheduling context's stream.
pub const STREAM: StreamSpec = StreamSpec {
    name: proto::subjects::SCHEDULING.name,
    subjects: proto::subjects::SCHEDULING.subjects,
    description: "scheduling: editions, their events and sessions",
};

/// Editions: `sched.edition.<id>`.
pub const EDITIONS: Category = proto::subjects::EDITIONS;

/// Events of a programme, with their sessions: `sched.event.<id>`.
pub const EVENTS: Category = proto::subjects::EVENTS;

/// Session ids, each claimed once by the event that scheduled it: `sched.session.<id>`.
pub const SESSION_IDS: Category = proto::subjects::SESSION_IDS;

/// The key-value bucket of how far the one-off migrations of the log went.
pub const MIGRATIONS_BUCKET: &str = "semaine_migrations";

/// The migration that claims the ids of sessions scheduled before ids were claimed: its key in
/// [`MIGRATIONS_BUCKET`], holding the scheduling stream's sequence it reached.
const SESSION_IDS_MIGRATION: &str = "session-ids";

/// What [`Scheduling::claim_earlier_session_ids`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EarlierClaims {
    /// How many ids it claimed.
    pub claimed: usize,
    /// The sessions a second event scheduled under an id the first one keeps: that event's facts
    /// about the session are not followed.
    pub collisions: Vec<(SessionId, EventId)>,
}

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
    /// The log recorded or read nothing: unavailable, contended or broken.
    #[error(transparent)]
    Log(#[from] LogFailure),
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
            Self::Log(failure) => failure.code(),
        }
    }

    /// The error as its caller is told it.
    pub fn told(&self) -> Told {
        let code = self.code();
        match self {
            Self::Edition(refusal) => Told::refusal(refusal.kind(), code, refusal),
            Self::Event(refusal) => Told::refusal(refusal.kind(), code, refusal),
            Self::Claim(refusal) => Told::refusal(refusal.kind(), code, refusal),
            Self::UnknownEdition(_) | Self::UnknownEvent(_) => {
                Told::refusal(RefusalKind::Unknown, code, self)
            }
            Self::Log(failure) => Told::failure(failure.kind(), code, self),
        }
    }

    fn from_command<E>(error: CommandError<E>, refused: impl FnOnce(E) -> Self) -> Self {
        match error {
            CommandError::Refused(refusal) => refused(refusal),
            CommandError::Failed(failure) => Self::Log(failure),
        }
    }
}

impl From<eventlog::LoadError> for SchedulingError {
    fn from(e: eventlog::LoadError) -> Self {
        Self::Log(e.into())
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
                Err(CommandError::Failed(LogFailure::Contended { .. }))
                    if claiming && attempt < CLAIM_ATTEMPTS =>
                {
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
    /// no event scheduled (once [`Scheduling::claim_earlier_session_ids`] has run).
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
    ///
    /// The ids of sessions scheduled before ids were claimed (a log older than ADR 0008) are
    /// claimed by [`Scheduling::claim_earlier_session_ids`].
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

    /// Claims the ids of the sessions scheduled before ids were claimed, in the log's order (the
    /// first event to schedule an id gets it, as every read model reads it), from where the last
    /// run stopped: the bucket [`MIGRATIONS_BUCKET`] keeps the scheduling stream's sequence it
    /// reached. Every `semaine` process runs it before it serves or reacts, so no new session
    /// can take the id of an old one that is not claimed yet. Idempotent: two processes running
    /// it at once claim the same ids for the same events. A second event's schedule of an id (a
    /// collision only an old log can hold) is not claimed: it is returned, and logged.
    pub async fn claim_earlier_session_ids(
        &self,
        replicas: usize,
    ) -> Result<EarlierClaims, SchedulingError> {
        let js = self.log.jetstream();
        let config = async_nats::jetstream::kv::Config {
            bucket: MIGRATIONS_BUCKET.into(),
            description: "how far semaine's one-off migrations of the log went".into(),
            history: 1,
            storage: async_nats::jetstream::stream::StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        };
        let bucket = match js.create_key_value(config.clone()).await {
            Ok(bucket) => bucket,
            Err(_) => js
                .update_key_value(config)
                .await
                .map_err(LogFailure::unavailable)?,
        };
        let reached = bucket
            .get(SESSION_IDS_MIGRATION)
            .await
            .map_err(LogFailure::unavailable)?
            .and_then(|bytes| std::str::from_utf8(&bytes).ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let last = self.log.last_sequence(STREAM.name).await?;
        let mut outcome = EarlierClaims::default();
        if reached < last {
            self.claim_between(reached, last, &mut outcome).await?;
            bucket
                .put(SESSION_IDS_MIGRATION, last.to_string().into())
                .await
                .map_err(LogFailure::unavailable)?;
        }
        Ok(outcome)
    }

    /// Claims the ids of the sessions scheduled in the events' commits after `after`, up to
    /// `last`.
    async fn claim_between(
        &self,
        after: u64,
        last: u64,
        outcome: &mut EarlierClaims,
    ) -> Result<(), SchedulingError> {
        use async_nats::jetstream::consumer;
        use futures_util::StreamExt;
        let stream = self
            .log
            .jetstream()
            .get_stream(STREAM.name)
            .await
            .map_err(LogFailure::unavailable)?;
        let mut consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                deliver_policy: consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: after + 1,
                },
                filter_subject: format!("{}.>", EVENTS.prefix),
                ..Default::default()
            })
            .await
            .map_err(LogFailure::unavailable)?;
        let pending = consumer
            .info()
            .await
            .map_err(LogFailure::unavailable)?
            .num_pending;
        if pending == 0 {
            return Ok(());
        }
        let mut messages = consumer.messages().await.map_err(LogFailure::unavailable)?;
        let mut editions: std::collections::HashMap<EventId, EditionId> =
            std::collections::HashMap::new();
        while let Some(message) = messages.next().await {
            let message = message.map_err(LogFailure::unavailable)?;
            let info = message.info().map_err(LogFailure::unavailable)?;
            let (seq, left) = (info.stream_sequence, info.pending);
            let event = message
                .subject
                .strip_prefix(EVENTS.prefix)
                .and_then(|id| id.strip_prefix('.'))
                .and_then(|id| id.parse::<uuid::Uuid>().ok())
                .map(EventId);
            let commit = eventlog::codec::decode(message.headers.as_ref(), &message.payload);
            if let (Some(event), Ok(commit)) = (event, commit) {
                for stored in &commit.events {
                    let Ok(event::Event::SessionScheduled(scheduled)) =
                        <event::Event as proto::contract::EventContract>::decode(
                            &stored.event_type,
                            stored.version,
                            &stored.data,
                        )
                    else {
                        continue;
                    };
                    let edition = match editions.get(&event) {
                        Some(edition) => *edition,
                        None => {
                            let Some(added) = self.event_state(event).await?.added else {
                                continue;
                            };
                            editions.insert(event, added.edition);
                            added.edition
                        }
                    };
                    let meta = CommandMeta::new(
                        proto::Actor::System {
                            component: "migration.session-ids".into(),
                        },
                        // Keyed by the session and the event: two events' claims of one id
                        // are two commands, the second refused, never its duplicate.
                        format!("session-ids:{}:{event}", scheduled.session),
                    );
                    let owner = Owner { edition, event };
                    match self.claim_session_id(scheduled.session, owner, &meta).await {
                        Ok(decided) if !decided.duplicate => {
                            outcome.claimed += decided.events.len();
                        }
                        Ok(_) => {}
                        Err(SchedulingError::Claim(_)) => {
                            tracing::error!(session = %scheduled.session, %event, "a session id scheduled by two events in an old log: the first one keeps it; the other's facts are not followed (ADR 0008)");
                            outcome.collisions.push((scheduled.session, event));
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
            if left == 0 || seq >= last {
                break;
            }
        }
        Ok(())
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

    /// The edition an event belongs to, `None` while it is not added: the question a key's
    /// scope asks before a command on the event.
    pub async fn edition_of_event(
        &self,
        id: EventId,
    ) -> Result<Option<EditionId>, SchedulingError> {
        Ok(self.event_state(id).await?.added.map(|added| added.edition))
    }
}
