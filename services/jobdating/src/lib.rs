//! The job-dating service: commands on a job-dating session's floor.
//!
//! A thin shell over the pure `jobdating-domain` floor decider: it puts the current time into
//! the command and, for a booking or wishes, whether the candidate holds a confirmed seat in the
//! session (read from the registration context's seats, by participant *and* partner), then runs
//! the command loop of the event log, and nothing else. Two bookings of one slot sent at once,
//! from one process or several, are serialised on the floor's subject (turns within a process,
//! the expected version between processes): exactly one is recorded, the other is decided again
//! against it and refused (`slot-taken`).
//!
//! A planner draft is one commit: one compact `TableDrafted` per table, so that a draft of
//! thousands of interviews fits one NATS message (see `docs/jobdating.md`).
//!
//! # Layout
//! - [`STREAM`], [`FLOORS`]: where the context's events live.
//! - [`JobDating`]: the commands on a floor, and its current state.
//! - [`JobDatingError`]: why a command recorded nothing, with a stable code.

use eventlog::{
    AggregateKey, Category, CommandError, CommandMeta, Decided, EventLog, LogFailure, StreamSpec,
};
use jiff::Timestamp;
use jobdating_domain::{Floor, FloorCommand, FloorRefusal, FloorState};
use proto::jobdating::{Candidate, Command, Event};

use proto::refusal::Told;
use proto::values::{EmployerId, SessionId, TableNo};
use registration::{RegistrationError, Registrations};

/// The job-dating context's stream.
pub const STREAM: StreamSpec = StreamSpec {
    name: proto::subjects::JOBDATING.name,
    subjects: proto::subjects::JOBDATING.subjects,
    description: "job-dating: each session's floor, bookings, wishes, plans and outcomes",
};

/// Job-dating sessions' floors: `jd.session.<session id>`.
pub const FLOORS: Category = proto::subjects::FLOORS;

/// The address of a job-dating session's floor.
pub fn floor_key(session: SessionId) -> AggregateKey {
    // A UUID's text is always a valid subject token.
    AggregateKey::new(FLOORS, &session.to_string()).unwrap_or_else(|e| unreachable!("{e}"))
}

/// Why a job-dating command recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum JobDatingError {
    /// The floor's rules refused it.
    #[error("{0}")]
    Refused(FloorRefusal),
    /// The log recorded or read nothing: unavailable, contended or broken.
    #[error(transparent)]
    Log(#[from] LogFailure),
    /// The session's seats could not be read to check the candidate's registration.
    #[error("cannot read the session's seats: {0}")]
    Seats(#[source] RegistrationError),
}

impl JobDatingError {
    /// A stable code for the error, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(refusal) => refusal.code(),
            Self::Log(failure) => failure.code(),
            Self::Seats(error) => error.code(),
        }
    }

    /// The error as the asking partner is told it: another partner's candidate is told as one
    /// not registered.
    pub fn told(&self) -> Told {
        match self {
            Self::Refused(refusal) => {
                let told = refusal.told_to_others();
                Told::refusal(told.kind(), told.code(), &told)
            }
            Self::Seats(error) => error.told(),
            Self::Log(failure) => Told::failure(failure.kind(), self.code(), self),
        }
    }
}

impl From<CommandError<FloorRefusal>> for JobDatingError {
    fn from(error: CommandError<FloorRefusal>) -> Self {
        match error {
            CommandError::Refused(refusal) => Self::Refused(refusal),
            CommandError::Failed(failure) => Self::Log(failure),
        }
    }
}

impl From<eventlog::LoadError> for JobDatingError {
    fn from(e: eventlog::LoadError) -> Self {
        Self::Log(e.into())
    }
}

/// The job-dating service.
#[derive(Clone)]
pub struct JobDating {
    /// Where its events go.
    log: EventLog,
    /// Where a candidate's registration is looked up before a booking or wishes; `None` for a
    /// floor run on its own (tests and benchmarks of the floor).
    registrations: Option<Registrations>,
}

impl JobDating {
    /// The service over `log` (opened with [`STREAM`] and the registration context's stream):
    /// a booking or wishes need the candidate's confirmed seat in the session.
    pub fn new(log: EventLog, registrations: Registrations) -> Self {
        Self {
            log,
            registrations: Some(registrations),
        }
    }

    /// The service over `log` alone, which does not check candidates' registrations: for tests
    /// and benchmarks of the floor, never behind the gateway.
    pub fn without_registrations(log: EventLog) -> Self {
        Self {
            log,
            registrations: None,
        }
    }

    /// Whether `candidate` holds a confirmed seat in `session` through their partner; `None`
    /// when this service does not look.
    pub async fn registered(
        &self,
        session: SessionId,
        candidate: &Candidate,
    ) -> Result<Option<bool>, JobDatingError> {
        let Some(registrations) = &self.registrations else {
            return Ok(None);
        };
        let seats = registrations
            .seats(session)
            .await
            .map_err(JobDatingError::Seats)?;
        Ok(Some(seats.registrations.values().any(|record| {
            record.participant == candidate.participant
                && record.partner == candidate.partner
                && record.is_confirmed()
        })))
    }

    /// Runs a command on a session's floor, now.
    pub async fn floor(
        &self,
        session: SessionId,
        command: Command,
        meta: &CommandMeta,
    ) -> Result<Decided<Event>, JobDatingError> {
        self.floor_at(session, command, Timestamp::now(), meta)
            .await
    }

    /// Runs a command on a session's floor as of `now` (the clock a test or a replay chooses).
    pub async fn floor_at(
        &self,
        session: SessionId,
        command: Command,
        now: Timestamp,
        meta: &CommandMeta,
    ) -> Result<Decided<Event>, JobDatingError> {
        let registered = match &command {
            Command::Book { candidate, .. } => self.registered(session, candidate).await?,
            Command::SubmitWishes(submitted) => {
                self.registered(session, &submitted.candidate).await?
            }
            _ => None,
        };
        let command = FloorCommand {
            command,
            now,
            registered,
        };
        Ok(self
            .log
            .execute::<Floor>(&floor_key(session), &command, meta)
            .await?)
    }

    /// The current state of a session's floor, for reads that cannot wait for a read model.
    pub async fn floor_state(&self, session: SessionId) -> Result<FloorState, JobDatingError> {
        Ok(self.log.load::<Floor>(&floor_key(session)).await?.state)
    }

    /// The employer seated at `table` of the session's floor; refused as an unknown table when
    /// there is none.
    pub async fn employer_at(
        &self,
        session: SessionId,
        table: TableNo,
    ) -> Result<EmployerId, JobDatingError> {
        self.floor_state(session)
            .await?
            .tables
            .get(&table)
            .map(|seated| seated.employer)
            .ok_or(JobDatingError::Refused(FloorRefusal::UnknownTable {
                table,
            }))
    }
}
