//! The clock: sends the commands that time calls for — a session's end (no-shows are counted)
//! and a reservation's deadline (its unused seats go to everyone).
//!
//! [`Deadlines`] is a projection of the seats' events: the due time of every session's end and
//! every reservation's deadline, in sled, ordered by time. [`run`] reads what is due every tick
//! and sends `End` or `ReleaseExpired` to the seats with a key made of the session and the due
//! time, so a command sent twice (a tick before the projection caught up, a restart) takes effect
//! once. A rescheduled session's end moves; an ended or cancelled session leaves the index.

use std::time::Duration;

use eventlog::CommandMeta;
use jiff::Timestamp;
use projection::{Position, Projection, Rejected, View};
use proto::contract::EventContract;
use proto::registration::session::Event as Seats;
use proto::values::SessionId;
use proto::{Actor, StoredEvent};
use registration::Registrations;
use registration_domain::seats::SeatsCommand;
use tracing::{debug, warn};

/// What is due, ordered: `kind, due (big-endian seconds), session`.
const DUE: &str = "due";
/// Where each session's end and each reservation's deadline stands in [`DUE`], to move or
/// remove it: `kind, session[, beneficiary]` → the key in [`DUE`].
const INDEX: &str = "due_index";

const END: u8 = b'e';
const RESERVATION: u8 = b'r';

fn due_key(kind: u8, due: Timestamp, session: SessionId) -> Vec<u8> {
    let mut key = vec![kind];
    // Offset so that every instant sorts as an unsigned number.
    let seconds = (due.as_second() as i128 - i64::MIN as i128) as u64;
    key.extend_from_slice(&seconds.to_be_bytes());
    key.extend_from_slice(session.0.as_bytes());
    key
}

fn index_key(kind: u8, session: SessionId, beneficiary: Option<&[u8]>) -> Vec<u8> {
    let mut key = vec![kind];
    key.extend_from_slice(session.0.as_bytes());
    if let Some(beneficiary) = beneficiary {
        key.extend_from_slice(beneficiary);
    }
    key
}

/// The read model of what time will call for.
pub struct Deadlines;

impl Deadlines {
    fn set(view: &mut View<'_>, index: Vec<u8>, due: Vec<u8>) {
        if let Some(previous) = view.get(INDEX, &index) {
            view.remove(DUE, previous);
        }
        view.insert(DUE, due.clone(), Vec::new());
        view.insert(INDEX, index, due);
    }

    fn clear(view: &mut View<'_>, index: Vec<u8>) {
        if let Some(previous) = view.get(INDEX, &index) {
            view.remove(DUE, previous);
            view.remove(INDEX, index);
        }
    }
}

impl Projection for Deadlines {
    fn name(&self) -> &'static str {
        "deadlines"
    }

    fn streams(&self) -> &'static [&'static str] {
        &[proto::subjects::REGISTRATION.name]
    }

    fn trees(&self) -> &'static [&'static str] {
        &[DUE, INDEX]
    }

    fn apply(
        &self,
        view: &mut View<'_>,
        event: &StoredEvent,
        _at: Position<'_>,
    ) -> Result<(), Rejected> {
        let Some(id) = proto::subjects::SEATS.id_in(&event.envelope.aggregate) else {
            return Ok(());
        };
        let session = SessionId(
            uuid::Uuid::parse_str(id).map_err(|e| Rejected(format!("session id `{id}`: {e}")))?,
        );
        let beneficiary_bytes = |b: &proto::registration::Beneficiary| {
            serde_json::to_vec(b).map_err(|e| Rejected(e.to_string()))
        };
        match Seats::decode(&event.event_type, event.version, &event.data)? {
            Seats::CapacitySet(set) => Self::set(
                view,
                index_key(END, session, None),
                due_key(END, set.facts.ends_at, session),
            ),
            Seats::Rescheduled(moved) => Self::set(
                view,
                index_key(END, session, None),
                due_key(END, moved.facts.ends_at, session),
            ),
            Seats::SeatsReserved(reservation) => {
                let beneficiary = beneficiary_bytes(&reservation.beneficiary)?;
                Self::set(
                    view,
                    index_key(RESERVATION, session, Some(&beneficiary)),
                    due_key(RESERVATION, reservation.until, session),
                );
            }
            Seats::ReservationReleased(beneficiary) => {
                let beneficiary = beneficiary_bytes(&beneficiary)?;
                Self::clear(view, index_key(RESERVATION, session, Some(&beneficiary)));
            }
            Seats::Ended(_) | Seats::SessionCancelled(_) => {
                // Nothing more falls due for it: its end, and its reservations' deadlines.
                Self::clear(view, index_key(END, session, None));
                let reservations = view.scan_prefix(INDEX, &index_key(RESERVATION, session, None));
                for (index, due) in reservations {
                    view.remove(DUE, due);
                    view.remove(INDEX, index);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Sends what is due at `now`: returns how many commands it sent.
pub async fn tick(db: &sled::Db, registrations: &Registrations, now: Timestamp) -> usize {
    let Ok(due) = db.open_tree(DUE) else {
        return 0;
    };
    let mut sent = 0;
    for kind in [END, RESERVATION] {
        let upto = due_key(kind, now, SessionId(uuid::Uuid::max()));
        for row in due.range(vec![kind]..=upto) {
            let Ok((key, _)) = row else { continue };
            let Some(session) = key
                .get(9..25)
                .and_then(|bytes| uuid::Uuid::from_slice(bytes).ok())
                .map(SessionId)
            else {
                continue;
            };
            let (command, what) = match kind {
                END => (SeatsCommand::End { now }, "end"),
                _ => (SeatsCommand::ReleaseExpired { now }, "release"),
            };
            let stamp = key
                .get(1..9)
                .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                .unwrap_or_default();
            let meta = CommandMeta::new(
                Actor::System {
                    component: "clock".into(),
                },
                format!("clock:{what}:{session}:{stamp}"),
            );
            match registrations.seats_command(session, &command, &meta).await {
                Ok(_) => sent += 1,
                Err(e) => {
                    warn!(%session, what, error = %e, "the clock's command was not recorded; next tick")
                }
            }
        }
    }
    debug!(sent, "clock tick");
    sent
}

/// Ticks every `every` until `shutdown` completes.
pub async fn run(
    db: sled::Db,
    registrations: Registrations,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tick(&db, &registrations, Timestamp::now()).await;
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}
