//! A workshop with a number of seats: the smallest aggregate that has a rule worth racing for,
//! and its read model. It lives in the harness only, to exercise the log and the projection
//! engine; the real sessions are the registration service's.

use decider::Decider;
use eventlog::{AggregateKey, Category};
use projection::{Position, Projection, Rejected, View};
use proto::StoredEvent;
use proto::contract::{DecodeError, EncodedEvent, EventContract, encode_payload, payload};
use serde::{Deserialize, Serialize};

/// Where workshops live.
pub const WORKSHOP: Category = Category {
    stream: super::WORKSHOPS.name,
    prefix: "test.workshop",
};

/// A workshop's address.
pub fn workshop(id: &str) -> AggregateKey {
    AggregateKey::new(WORKSHOP, id).unwrap_or_else(|e| panic!("test id: {e}"))
}

/// What a workshop records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkshopEvent {
    /// The workshop was opened with a number of seats.
    Opened {
        /// Seats on offer.
        seats: u32,
    },
    /// A participant took a seat.
    SeatTaken {
        /// Who.
        participant: String,
    },
}

impl EventContract for WorkshopEvent {
    fn encode(&self) -> Result<EncodedEvent, serde_json::Error> {
        match self {
            Self::Opened { seats } => {
                encode_payload("WorkshopOpened", 1, &serde_json::json!({ "seats": seats }))
            }
            Self::SeatTaken { participant } => encode_payload(
                "SeatTaken",
                1,
                &serde_json::json!({ "participant": participant }),
            ),
        }
    }

    fn decode(t: &str, v: u16, data: &serde_json::Value) -> Result<Self, DecodeError> {
        #[derive(Deserialize)]
        struct Opened {
            seats: u32,
        }
        #[derive(Deserialize)]
        struct SeatTaken {
            participant: String,
        }
        match (t, v) {
            ("WorkshopOpened", 1) => Ok(Self::Opened {
                seats: payload::<Opened>(t, v, data)?.seats,
            }),
            ("SeatTaken", 1) => Ok(Self::SeatTaken {
                participant: payload::<SeatTaken>(t, v, data)?.participant,
            }),
            ("WorkshopOpened" | "SeatTaken", _) => Err(DecodeError::UnknownVersion {
                event_type: t.into(),
                version: v,
            }),
            _ => Err(DecodeError::UnknownType {
                event_type: t.into(),
            }),
        }
    }
}

/// What can be asked of a workshop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkshopCommand {
    /// Open it with `seats` seats.
    Open {
        /// Seats on offer.
        seats: u32,
    },
    /// Take a seat for `participant`.
    TakeSeat {
        /// Who.
        participant: String,
    },
    /// Take one seat for each of these participants, all or none.
    TakeSeats {
        /// Who.
        participants: Vec<String>,
    },
}

/// Why a workshop refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkshopRefusal {
    /// It is not open.
    NotOpen,
    /// It is already open.
    AlreadyOpen,
    /// Not enough seats left.
    Full,
}

/// A workshop's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopState {
    /// Seats on offer; `None` until opened.
    pub seats: Option<u32>,
    /// Who holds a seat, in order.
    pub participants: Vec<String>,
}

/// The workshop decider.
pub struct Workshop;

impl Decider for Workshop {
    type State = WorkshopState;
    type Command = WorkshopCommand;
    type Event = WorkshopEvent;
    type Error = WorkshopRefusal;

    fn decide(
        state: &WorkshopState,
        command: &WorkshopCommand,
    ) -> Result<Vec<WorkshopEvent>, WorkshopRefusal> {
        match command {
            WorkshopCommand::Open { seats } => match state.seats {
                Some(_) => Err(WorkshopRefusal::AlreadyOpen),
                None => Ok(vec![WorkshopEvent::Opened { seats: *seats }]),
            },
            WorkshopCommand::TakeSeat { participant } => Self::decide(
                state,
                &WorkshopCommand::TakeSeats {
                    participants: vec![participant.clone()],
                },
            ),
            WorkshopCommand::TakeSeats { participants } => {
                let seats = state.seats.ok_or(WorkshopRefusal::NotOpen)?;
                let left = seats as usize - state.participants.len();
                if participants.len() > left {
                    return Err(WorkshopRefusal::Full);
                }
                Ok(participants
                    .iter()
                    .map(|p| WorkshopEvent::SeatTaken {
                        participant: p.clone(),
                    })
                    .collect())
            }
        }
    }

    fn evolve(mut state: WorkshopState, event: &WorkshopEvent) -> WorkshopState {
        match event {
            WorkshopEvent::Opened { seats } => state.seats = Some(*seats),
            WorkshopEvent::SeatTaken { participant } => {
                state.participants.push(participant.clone())
            }
        }
        state
    }
}

/// The read model: seats taken per workshop, and each participant's seat number.
pub struct SeatsTaken;

impl Projection for SeatsTaken {
    fn name(&self) -> &'static str {
        "seats-taken"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[super::WORKSHOPS.name]
    }

    fn trees(&self) -> &'static [&'static str] {
        &["seats_by_workshop", "seat_of_participant"]
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        at: Position<'_>,
    ) -> Result<(), Rejected> {
        let workshop = event.envelope.aggregate.as_bytes();
        match WorkshopEvent::decode(&event.event_type, event.version, &event.data)? {
            WorkshopEvent::Opened { .. } => {}
            WorkshopEvent::SeatTaken { participant } => {
                let taken: u64 = view.get_json("seats_by_workshop", workshop).unwrap_or(0);
                view.insert_json("seats_by_workshop", workshop, &(taken + 1))?;
                let mut key = workshop.to_vec();
                key.push(b'/');
                key.extend_from_slice(participant.as_bytes());
                view.insert_json("seat_of_participant", key, &(taken + 1, at.seq, at.index))?;
            }
        }
        Ok(())
    }
}

/// A reactor: every seat taken in a workshop gets a ticket in that workshop's cloakroom, the
/// workshop `<id>-cloakroom` (opened by the test).
pub struct Cloakroom;

/// A ticket to give: the cloakroom workshop and the participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The cloakroom's workshop id.
    pub cloakroom: String,
    /// Who.
    pub participant: String,
}

impl projection::Reactor for Cloakroom {
    type Reaction = Ticket;

    fn name(&self) -> &'static str {
        "cloakroom"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[super::WORKSHOPS.name]
    }

    fn react(&self, event: &StoredEvent, _at: Position<'_>) -> Result<Vec<Ticket>, Rejected> {
        let workshop = event
            .envelope
            .aggregate
            .rsplit('.')
            .next()
            .unwrap_or_default();
        if workshop.ends_with("-cloakroom") {
            return Ok(Vec::new());
        }
        match WorkshopEvent::decode(&event.event_type, event.version, &event.data)? {
            WorkshopEvent::SeatTaken { participant } => Ok(vec![Ticket {
                cloakroom: format!("{workshop}-cloakroom"),
                participant,
            }]),
            WorkshopEvent::Opened { .. } => Ok(Vec::new()),
        }
    }
}

/// Gives tickets through the event log.
pub struct GiveTicket(pub eventlog::EventLog);

impl projection::Dispatch<Ticket> for GiveTicket {
    async fn dispatch(
        &self,
        key: &str,
        cause: &projection::Cause,
        ticket: &Ticket,
    ) -> Result<(), projection::DispatchError> {
        use eventlog::CommandError;
        let meta = eventlog::CommandMeta::caused_by(
            proto::Actor::System {
                component: "reactor.cloakroom".into(),
            },
            key,
            cause.correlation_id,
            cause.event_id,
        );
        let command = WorkshopCommand::TakeSeat {
            participant: ticket.participant.clone(),
        };
        match self
            .0
            .execute::<Workshop>(&workshop(&ticket.cloakroom), &command, &meta)
            .await
        {
            Ok(_) => Ok(()),
            Err(CommandError::Refused(refusal)) => {
                Err(projection::DispatchError::Refused(format!("{refusal:?}")))
            }
            Err(other) => Err(projection::DispatchError::Retry(other.to_string())),
        }
    }
}
