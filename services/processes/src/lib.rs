//! The processes between services: one context's events become another's commands.
//!
//! Each process is a reactor on the projection runner (see `projection::reactor`): a pure rule
//! that says which commands an event calls for, kept in an outbox in the same sled transaction as
//! the checkpoint, and a dispatcher that sends them with an idempotency key derived from the
//! causing event. Restarted at any point, a process sends every command at least once and each
//! takes effect once. The rule works on typed events ([`TypedReactor::reactions`]: the aggregate's
//! id and the domain's event); its `Reactor::react` only decodes the stored event with
//! [`react_typed`], so that each rule is tested on the domain's own words (see `spec`).
//!
//! # Layout
//! - [`hosting`]: [`HostingRequests`] and [`AskVenues`]: a session scheduled, moved or cancelled
//!   asks its venue to host it, or releases the room.
//! - [`venue_answers`]: [`VenueAnswers`] and [`TellEvents`]: a venue's answer (capacity
//!   confirmed, lowered, raised; declined; withdrawn; refused) is recorded on the session, which
//!   opens for registration once a capacity is confirmed.
//! - [`seats`]: [`SessionSeats`] and [`TellSeats`]: a session's capacity, times, restriction and
//!   cancellation reach its seats in the registration context (lowered capacity demotes, raised
//!   promotes, cancellation cancels every registration).
//! - [`agendas`]: [`AgendaKeeper`] and [`KeepAgendas`]: registrations confirmed, promoted,
//!   waiting, demoted or cancelled → the participant's agenda; a promotion that overlaps another
//!   confirmed session of the participant is cancelled, and the next in line promoted.
//! - [`clock`]: sessions' ends (no-shows counted) and reservations' deadlines, sent when due.
//! - `spec` (tests only): `given(events).then(reactions)`, the shape of every process's test.

/// `projection::Reactor` for a typed reactor: its name (its store's), the one stream it follows,
/// its reaction, and `react` as [`react_typed`].
macro_rules! reactor {
    ($reactor:ty, $name:literal, $stream:expr, $reaction:ty) => {
        impl projection::Reactor for $reactor {
            type Reaction = $reaction;

            fn name(&self) -> &'static str {
                $name
            }

            fn streams(&self) -> &'static [&'static str] {
                &[$stream]
            }

            fn react(
                &self,
                stored: &proto::StoredEvent,
                _at: projection::Position<'_>,
            ) -> Result<Vec<$reaction>, projection::Rejected> {
                $crate::react_typed::<Self>(stored)
            }
        }
    };
}

pub mod agendas;
pub mod clock;
pub mod hosting;
pub mod seats;
#[cfg(test)]
mod spec;
pub mod venue_answers;

pub use agendas::{AgendaKeeper, AgendaReaction, KeepAgendas};
pub use hosting::{AskVenues, HostingReaction, HostingRequests};
pub use seats::{SeatsReaction, SessionSeats, TellSeats};
pub use venue_answers::{AnswerForEvent, TellEvents, VenueAnswers};

use std::fmt::Display;

use eventlog::CommandMeta;
use projection::{DispatchError, Reactor, Rejected};
use proto::contract::EventContract;
use proto::refusal::explained;
use proto::scheduling::event::{self as programme, RecordVenueAnswer};
use proto::subjects::Category;
use proto::values::EventId;
use proto::{Actor, StoredEvent};
use scheduling::{Scheduling, SchedulingError};
use uuid::Uuid;

/// A reactor's rule on typed events: what one event of the aggregates it follows calls for, in
/// the domain's words, with no I/O. Its [`Reactor::react`] is [`react_typed`].
pub trait TypedReactor: Reactor {
    /// The aggregates whose events it follows, e.g. the programme's events (`sched.event.<id>`);
    /// the other aggregates of its streams call for nothing.
    const AGGREGATES: Category;
    /// Such an aggregate's id, e.g. [`EventId`] (written in its subject).
    type Id: Copy + Display;
    /// Such an aggregate's events: the domain's event family.
    type Event: EventContract;

    /// The id at the end of an aggregate's subject.
    fn id(uuid: Uuid) -> Self::Id;

    /// The reactions `event` of the aggregate `id` calls for, in order; none for the events it
    /// does not follow.
    fn reactions(id: Self::Id, event: Self::Event) -> Result<Vec<Self::Reaction>, Rejected>;
}

/// A stored event of one of `kind`'s aggregates, decoded: the aggregate's id (made by `id` from
/// the UUID at the end of its subject) and what happened to it; `None` for another kind's.
pub fn decoded<Id, E: EventContract>(
    stored: &StoredEvent,
    kind: Category,
    id: impl FnOnce(Uuid) -> Id,
) -> Result<Option<(Id, E)>, Rejected> {
    let Some(subject_id) = kind.id_in(&stored.envelope.aggregate) else {
        return Ok(None);
    };
    let uuid = Uuid::parse_str(subject_id)
        .map_err(|e| Rejected(format!("aggregate id `{subject_id}` is not a UUID: {e}")))?;
    let event = E::decode(&stored.event_type, stored.version, &stored.data)?;
    Ok(Some((id(uuid), event)))
}

/// [`Reactor::react`] of a typed reactor: the stored event decoded, then its rule; nothing for the
/// other aggregates of its streams. An event it cannot read is rejected (to quarantine).
pub fn react_typed<R: TypedReactor>(stored: &StoredEvent) -> Result<Vec<R::Reaction>, Rejected> {
    match decoded::<R::Id, R::Event>(stored, R::AGGREGATES, R::id)? {
        Some((id, event)) => R::reactions(id, event),
        None => Ok(Vec::new()),
    }
}

/// The actor of a process's commands.
fn system(component: &str) -> Actor {
    Actor::System {
        component: component.into(),
    }
}

/// A registration command's failure, for a dispatcher: what may pass (the log unavailable or
/// failing, contention) is retried; a refusal is final.
fn registration_dispatch_error(error: registration::RegistrationError) -> DispatchError {
    let retry = matches!(error, registration::RegistrationError::Log(_));
    retry_or_refuse(error.code(), &error, retry)
}

/// A command's failure, for a dispatcher: retried when `retry`, else refused for good.
fn retry_or_refuse(code: &str, error: &dyn std::error::Error, retry: bool) -> DispatchError {
    let message = explained(error);
    if retry {
        DispatchError::Retry(format!("{code}: {message}"))
    } else {
        DispatchError::Refused(format!("{code}: {message}"))
    }
}

/// Records a venue's answer on its session's event: what a venue answered (see
/// [`venue_answers`]), or what semaine answers for a venue that cannot even record a request (see
/// [`hosting`]).
async fn tell_event(
    scheduling: &Scheduling,
    event: EventId,
    answer: RecordVenueAnswer,
    meta: &CommandMeta,
) -> Result<(), DispatchError> {
    match scheduling
        .event(event, programme::Command::RecordVenueAnswer(answer), meta)
        .await
    {
        Ok(_) => Ok(()),
        Err(error) => Err(retry_or_refuse(
            error.code(),
            &error,
            // A log failure (an event it cannot read yet) may be repaired by a deployment: keep
            // the answer at the head of the outbox rather than lose it in quarantine.
            matches!(error, SchedulingError::Log(_)),
        )),
    }
}

#[cfg(test)]
mod tests {
    //! The adapter every process shares: an event of the aggregates a process follows that it
    //! cannot read is rejected, not skipped (its commit goes to quarantine).

    use serde_json::json;

    use crate::spec::{id, react, stored};
    use crate::{AgendaKeeper, HostingRequests};

    #[test]
    fn an_event_of_an_unknown_type_is_rejected() {
        let mut unknown = stored(
            format!("{}.{}", proto::subjects::EVENTS.prefix, id(0xe1)),
            &proto::scheduling::edition::Event::Published(proto::scheduling::edition::Published {}),
        );
        unknown.event_type = "SessionTeleported".into();
        let rejected = react::<HostingRequests>(&unknown, 0).expect_err("rejected");
        assert!(rejected.0.contains("SessionTeleported"), "{rejected}");
    }

    #[test]
    fn an_event_of_an_unreadable_shape_is_rejected() {
        let mut malformed = stored(
            format!("{}.{}", proto::subjects::SEATS.prefix, id(0x51)),
            &proto::registration::session::Event::Ended(proto::registration::session::Ended {
                no_shows: vec![],
            }),
        );
        malformed.event_type = "RegistrationPromoted".into();
        malformed.data = json!({"registration": "not a uuid"});
        assert!(react::<AgendaKeeper>(&malformed, 0).is_err());
    }

    #[test]
    fn an_aggregate_whose_id_is_not_a_uuid_is_rejected() {
        let odd = stored(
            format!("{}.not-a-uuid", proto::subjects::EVENTS.prefix),
            &proto::scheduling::event::Event::Amended(crate::spec::programme::about()),
        );
        let rejected = react::<HostingRequests>(&odd, 0).expect_err("rejected");
        assert!(rejected.0.contains("not-a-uuid"), "{rejected}");
    }
}
