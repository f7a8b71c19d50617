//! The clock: sends the commands that time calls for — a session's end (no-shows are counted)
//! and a reservation's deadline (its unused seats go to everyone).
//!
//! [`Deadlines`] is a projection of the seats' events: the due time of every session's end and
//! every reservation's deadline, in sled, ordered by time. [`run`] reads what is due every tick
//! and sends `End` or `ReleaseExpired` to the seats with a key made of the session and the due
//! time, so a command sent twice (a tick before the projection caught up, a restart) takes effect
//! once. A rescheduled session's end moves; an ended or cancelled session leaves the index.
//!
//! The decisions are pure and tested alone: [`deadline`] (what one seats' event changes in what
//! falls due) and `due_command` (what a due row calls for); `apply` and [`tick`] only read and
//! write the trees and send the commands.

use std::time::Duration;

use eventlog::CommandMeta;
use jiff::Timestamp;
use projection::{Position, Projection, Rejected, View};
use proto::registration::Beneficiary;
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

/// What one seats' event changes in what falls due for its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deadline {
    /// The session ends then: its end falls due (set when its seats open, moved with it).
    End(Timestamp),
    /// Seats are kept for `beneficiary` until `until`: the reservation's deadline falls due.
    Reservation {
        /// For whom the seats are kept.
        beneficiary: Beneficiary,
        /// Until when.
        until: Timestamp,
    },
    /// `beneficiary`'s reservation was released: nothing falls due for it any more.
    Released(Beneficiary),
    /// The session ended or was cancelled: nothing falls due for it any more.
    Over,
}

/// What `event` of a session's seats changes in what falls due; `None` when nothing.
pub fn deadline(event: &Seats) -> Option<Deadline> {
    match event {
        Seats::CapacitySet(set) => Some(Deadline::End(set.facts.ends_at)),
        Seats::Rescheduled(moved) => Some(Deadline::End(moved.facts.ends_at)),
        Seats::SeatsReserved(reservation) => Some(Deadline::Reservation {
            beneficiary: reservation.beneficiary.clone(),
            until: reservation.until,
        }),
        Seats::ReservationReleased(beneficiary) => Some(Deadline::Released(beneficiary.clone())),
        Seats::Ended(_) | Seats::SessionCancelled(_) => Some(Deadline::Over),
        _ => None,
    }
}

/// What a row of [`DUE`] of `kind` calls for at `now`: the session, the seats' command, and its
/// idempotency key (the session and the due time, so that a row sent twice takes effect once);
/// `None` for a row too short to hold them.
fn due_command(kind: u8, key: &[u8], now: Timestamp) -> Option<(SessionId, SeatsCommand, String)> {
    let session = key
        .get(9..25)
        .and_then(|bytes| uuid::Uuid::from_slice(bytes).ok())
        .map(SessionId)?;
    let command = match kind {
        END => SeatsCommand::End { now },
        _ => SeatsCommand::ReleaseExpired { now },
    };
    let stamp = key
        .get(1..9)
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        .unwrap_or_default();
    let what = what(kind);
    Some((session, command, format!("clock:{what}:{session}:{stamp}")))
}

/// What a kind of row of [`DUE`] calls for, in words: in its commands' keys and in the logs.
fn what(kind: u8) -> &'static str {
    match kind {
        END => "end",
        _ => "release",
    }
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
        let Some((session, happened)) =
            crate::decoded::<_, Seats>(event, proto::subjects::SEATS, SessionId)?
        else {
            return Ok(());
        };
        let beneficiary_bytes =
            |b: &Beneficiary| serde_json::to_vec(b).map_err(|e| Rejected(e.to_string()));
        match deadline(&happened) {
            Some(Deadline::End(ends_at)) => Self::set(
                view,
                index_key(END, session, None),
                due_key(END, ends_at, session),
            ),
            Some(Deadline::Reservation { beneficiary, until }) => {
                let beneficiary = beneficiary_bytes(&beneficiary)?;
                Self::set(
                    view,
                    index_key(RESERVATION, session, Some(&beneficiary)),
                    due_key(RESERVATION, until, session),
                );
            }
            Some(Deadline::Released(beneficiary)) => {
                let beneficiary = beneficiary_bytes(&beneficiary)?;
                Self::clear(view, index_key(RESERVATION, session, Some(&beneficiary)));
            }
            Some(Deadline::Over) => {
                // Nothing more falls due for it: its end, and its reservations' deadlines.
                Self::clear(view, index_key(END, session, None));
                let reservations = view.scan_prefix(INDEX, &index_key(RESERVATION, session, None));
                for (index, due) in reservations {
                    view.remove(DUE, due);
                    view.remove(INDEX, index);
                }
            }
            None => {}
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
            let Some((session, command, idempotency_key)) = due_command(kind, &key, now) else {
                continue;
            };
            let what = what(kind);
            let meta = CommandMeta::new(
                Actor::System {
                    component: "clock".into(),
                },
                idempotency_key,
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

#[cfg(test)]
mod tests {
    //! The clock's decisions: what each seats' event changes in what falls due, and what a due
    //! row calls for. The trees and the commands themselves are the integration tests' (`clock`).

    use proto::registration::session::{
        CapacitySet, Ended, Registration, Rescheduled, SessionCancelled,
    };
    use proto::registration::{Reservation, SessionFacts};
    use proto::values::{EditionId, PartnerId};

    use super::*;
    use crate::spec::{at, id, reason};

    /// The job-dating's session at the EHPAD, Tuesday 16 April 2024.
    fn session() -> SessionId {
        SessionId(id(0x51))
    }

    fn facts(ends_at: &str) -> SessionFacts {
        SessionFacts {
            edition: EditionId(id(0xed)),
            starts_at: at("2024-04-16T07:30:00Z"),
            ends_at: at(ends_at),
            restricted_to: vec![],
        }
    }

    fn mission_locale() -> Beneficiary {
        Beneficiary::Partner {
            partner: PartnerId::parse("mission-locale-gap").expect("a partner id"),
        }
    }

    #[test]
    fn seats_opened_or_moved_fall_due_at_the_sessions_end() {
        let opened = Seats::CapacitySet(CapacitySet {
            capacity: 30,
            facts: facts("2024-04-16T09:30:00Z"),
        });
        let moved = Seats::Rescheduled(Rescheduled {
            facts: facts("2024-04-16T10:30:00Z"),
        });
        assert_eq!(
            deadline(&opened),
            Some(Deadline::End(at("2024-04-16T09:30:00Z")))
        );
        assert_eq!(
            deadline(&moved),
            Some(Deadline::End(at("2024-04-16T10:30:00Z")))
        );
    }

    #[test]
    fn seats_reserved_fall_due_at_their_deadline_and_a_release_takes_them_back() {
        let reserved = Seats::SeatsReserved(Reservation {
            beneficiary: mission_locale(),
            seats: 5,
            until: at("2024-04-15T18:00:00Z"),
        });
        assert_eq!(
            deadline(&reserved),
            Some(Deadline::Reservation {
                beneficiary: mission_locale(),
                until: at("2024-04-15T18:00:00Z"),
            })
        );
        assert_eq!(
            deadline(&Seats::ReservationReleased(mission_locale())),
            Some(Deadline::Released(mission_locale()))
        );
    }

    #[test]
    fn nothing_falls_due_for_a_session_ended_or_cancelled() {
        let ended = Seats::Ended(Ended { no_shows: vec![] });
        let cancelled = Seats::SessionCancelled(SessionCancelled {
            reason: reason("Intervenants indisponibles"),
        });
        assert_eq!(deadline(&ended), Some(Deadline::Over));
        assert_eq!(deadline(&cancelled), Some(Deadline::Over));
    }

    #[test]
    fn registrations_change_nothing_that_falls_due() {
        let promoted = Seats::Promoted(Registration {
            registration: proto::registration::RegistrationId(id(0x1e5)),
            partner: PartnerId::parse("france-travail-gap").expect("a partner id"),
        });
        assert_eq!(deadline(&promoted), None);
    }

    #[test]
    fn due_rows_sort_by_time_even_before_1970() {
        let rows: Vec<Vec<u8>> = [
            "1969-07-20T20:17:00Z",
            "2024-04-15T18:00:00Z",
            "2024-04-16T09:30:00Z",
        ]
        .into_iter()
        .map(|when| due_key(END, at(when), session()))
        .collect();
        assert!(rows.windows(2).all(|pair| pair[0] < pair[1]), "{rows:?}");
    }

    #[test]
    fn a_due_end_ends_the_session_and_a_due_reservation_releases_it_once_per_due_time() {
        let now = at("2024-04-16T09:31:00Z");
        let end = due_key(END, at("2024-04-16T09:30:00Z"), session());
        let (session_due, command, key) = due_command(END, &end, now).expect("an end row");
        assert_eq!(session_due, session());
        assert_eq!(command, SeatsCommand::End { now });
        assert!(
            key.starts_with(&format!("clock:end:{}:", session())),
            "{key}"
        );
        // The same row a tick later: the same key, so the end takes effect once.
        let later = at("2024-04-16T09:32:00Z");
        assert_eq!(due_command(END, &end, later).map(|(_, _, k)| k), Some(key));

        let deadline = due_key(RESERVATION, at("2024-04-15T18:00:00Z"), session());
        let (_, command, key) = due_command(RESERVATION, &deadline, now).expect("a row");
        assert_eq!(command, SeatsCommand::ReleaseExpired { now });
        assert!(
            key.starts_with(&format!("clock:release:{}:", session())),
            "{key}"
        );
    }

    #[test]
    fn a_row_too_short_to_name_its_session_calls_for_nothing() {
        let now = at("2024-04-16T09:31:00Z");
        assert_eq!(due_command(END, &[END, 0, 0], now), None);
    }
}
