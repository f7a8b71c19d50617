//! Session ids scheduled before ids were claimed get their claim, in the log's order.
//!
//! Since ADR 0008 a session's id is claimed in the same atomic write as its first
//! `SessionScheduled` (`sched.session.<id>`), so no second event can take it. A log written before
//! that holds sessions without claims: this process reads the scheduling stream from its start
//! and claims each scheduled session's id for the event that scheduled it, first come first
//! served, as every read model reads the stream. A session whose claim is already its own records
//! nothing; one whose id another event claimed first (two events that scheduled one id, possible
//! only before claims) is refused and goes to quarantine, named there, so that the operator sees
//! it (`semaine projections`).

use eventlog::CommandMeta;
use projection::{Cause, Dispatch, DispatchError, Position, Reactor, Rejected};
use proto::StoredEvent;
use proto::scheduling::event as programme;
use proto::scheduling::session::Owner;
use proto::values::{EventId, SessionId};
use scheduling::{Scheduling, SchedulingError};
use serde::{Deserialize, Serialize};

use crate::{programme_event, retry_or_refuse, system};

/// A session id to claim for the event that scheduled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimSessionId {
    /// The event that scheduled the session.
    pub event: EventId,
    /// The session.
    pub session: SessionId,
}

/// Sessions scheduled → their ids claimed for their events.
pub struct SessionIds;

impl Reactor for SessionIds {
    type Reaction = ClaimSessionId;

    fn name(&self) -> &'static str {
        "session-ids"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[scheduling::STREAM.name]
    }

    fn react(
        &self,
        stored: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<Vec<ClaimSessionId>, Rejected> {
        Ok(match programme_event(stored)? {
            Some((event, programme::Event::SessionScheduled(s))) => vec![ClaimSessionId {
                event,
                session: s.session,
            }],
            _ => Vec::new(),
        })
    }
}

/// Claims the ids in the scheduling context.
#[derive(Clone)]
pub struct ClaimSessionIds {
    /// The scheduling service.
    pub scheduling: Scheduling,
}

impl Dispatch<ClaimSessionId> for ClaimSessionIds {
    async fn dispatch(
        &self,
        key: &str,
        cause: &Cause,
        reaction: &ClaimSessionId,
    ) -> Result<(), DispatchError> {
        let retry = |error: SchedulingError| {
            let retry = matches!(
                error,
                SchedulingError::Unavailable(_)
                    | SchedulingError::Contended
                    | SchedulingError::Log(_)
            );
            retry_or_refuse(error.code(), error.to_string(), retry)
        };
        let added = self
            .scheduling
            .event_state(reaction.event)
            .await
            .map_err(retry)?
            .added
            .ok_or_else(|| {
                DispatchError::Refused(format!("event {} was never added", reaction.event))
            })?;
        let owner = Owner {
            edition: added.edition,
            event: reaction.event,
        };
        let meta = CommandMeta::caused_by(
            system("reactor.session-ids"),
            key,
            cause.correlation_id,
            cause.event_id,
        );
        self.scheduling
            .claim_session_id(reaction.session, owner, &meta)
            .await
            .map(|_| ())
            .map_err(|error| match error {
                SchedulingError::Claim(_) => DispatchError::Refused(format!(
                    "session-id-taken: session {} of event {} was scheduled under an id another \
                     event had scheduled first; its facts are not followed",
                    reaction.session, reaction.event
                )),
                other => retry(other),
            })
    }
}
