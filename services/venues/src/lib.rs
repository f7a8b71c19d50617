//! The venue-logistics service: venues describe themselves and answer hosting requests.
//!
//! A thin shell over the pure `venues-domain` decider: the command loop of the event log and
//! nothing else.
//!
//! # Layout
//! - [`STREAM`], [`VENUES`]: where the context's events live.
//! - [`Venues`]: the commands on a venue.
//! - [`VenuesError`]: why a command recorded nothing, with a stable code.

use eventlog::{
    AggregateKey, Category, CommandError, CommandMeta, Decided, EventLog, LogFailure, StreamSpec,
};
use proto::refusal::Told;
use proto::values::{SessionId, VenueId};
use proto::venues::{Command, Event};
use venues_domain::{Venue, VenueRefusal, VenueState};

/// The venue-logistics context's stream.
pub const STREAM: StreamSpec = StreamSpec {
    name: proto::subjects::VENUES.name,
    subjects: proto::subjects::VENUES.subjects,
    description: "venue logistics: venues, rooms, hosting requests and answers",
};

/// Venues: `venue.venue.<id>`.
pub const VENUES: Category = proto::subjects::VENUE_RECORDS;

/// The address of a venue.
pub fn venue_key(id: VenueId) -> AggregateKey {
    // A UUID's text is always a valid subject token.
    AggregateKey::new(VENUES, &id.to_string()).unwrap_or_else(|e| unreachable!("{e}"))
}

/// Why a venue command recorded nothing.
#[derive(Debug, thiserror::Error)]
pub enum VenuesError {
    /// The venue's rules refused it.
    #[error("{0}")]
    Refused(VenueRefusal),
    /// The log recorded or read nothing: unavailable, contended or broken.
    #[error(transparent)]
    Log(#[from] LogFailure),
}

impl VenuesError {
    /// A stable code for the error, for APIs and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused(refusal) => refusal.code(),
            Self::Log(failure) => failure.code(),
        }
    }

    /// The error as its caller is told it.
    pub fn told(&self) -> Told {
        let code = self.code();
        match self {
            Self::Refused(refusal) => Told::refusal(refusal.kind(), code, refusal),
            Self::Log(failure) => Told::failure(failure.kind(), code, self),
        }
    }
}

impl From<CommandError<VenueRefusal>> for VenuesError {
    fn from(error: CommandError<VenueRefusal>) -> Self {
        match error {
            CommandError::Refused(refusal) => Self::Refused(refusal),
            CommandError::Failed(failure) => Self::Log(failure),
        }
    }
}

/// The venue-logistics service.
#[derive(Clone)]
pub struct Venues {
    /// Where its events go.
    log: EventLog,
}

impl Venues {
    /// The service over `log` (opened with [`STREAM`]).
    pub fn new(log: EventLog) -> Self {
        Self { log }
    }

    /// Runs a command on a venue.
    pub async fn venue(
        &self,
        id: VenueId,
        command: &Command,
        meta: &CommandMeta,
    ) -> Result<Decided<Event>, VenuesError> {
        Ok(self
            .log
            .execute::<Venue>(&venue_key(id), command, meta)
            .await?)
    }

    /// The current state of a venue, for reads that cannot wait for a read model.
    pub async fn venue_state(&self, id: VenueId) -> Result<VenueState, VenuesError> {
        self.log
            .load::<Venue>(&venue_key(id))
            .await
            .map(|loaded| loaded.state)
            .map_err(|e| VenuesError::from(CommandError::from(e)))
    }

    /// Whether `venue` hosts `session`: its current hosting request is confirmed. The question a
    /// venue's key asks before checking people in or running a job-dating floor.
    pub async fn hosts(&self, venue: VenueId, session: SessionId) -> Result<bool, VenuesError> {
        Ok(self
            .venue_state(venue)
            .await?
            .hosting(session)
            .is_some_and(|hosting| hosting.is_confirmed()))
    }
}
