//! A session's id, claimed once by the event that schedules it.
//!
//! A session lives in its event's aggregate (`sched.event.<event>`), but its id is also the
//! address of its seats (`reg.session.<id>`), its job-dating floor (`jd.session.<id>`) and its
//! rows in every read model. So the id must name one session of one event of one edition, for
//! ever: the first `SessionScheduled` of an id is stored in the same atomic write as its claim
//! (`sched.session.<id>`, appended at version 0), and any other event's attempt to schedule a
//! session under that id is refused (`session-id-taken`). See ADR 0008.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::event_family;
use crate::values::{EditionId, EventId, SessionId};

/// Who a session id belongs to: the payload of its claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Owner {
    /// The edition of the event.
    pub edition: EditionId,
    /// The event that scheduled the session.
    pub event: EventId,
}

event_family!(
    /// What a session id's claim records.
    Event {
        /// Claimed, once.
        Claimed(Owner) = "SessionIdClaimed" v 1,
    }
);

/// Whether facts about `session` read from `event`'s history are the session's own: a session's
/// facts come from the event that scheduled it first, in the log's order, and from no other. A
/// log written before ids were claimed may hold another event's facts under the same id; a read
/// model or a process refuses them with the reason this gives.
pub fn check_owner(session: SessionId, owner: EventId, event: EventId) -> Result<(), String> {
    if owner == event {
        Ok(())
    } else {
        Err(format!(
            "session {session} belongs to event {owner}; facts from event {event} are not its own"
        ))
    }
}
