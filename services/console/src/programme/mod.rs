//! The organisers' programme, edited: events created and amended, sessions added, and a session
//! cancelled or moved (in time, to another venue or room) after its consequences were shown.
//!
//! Every form sends the API's own command (`POST /events`, `/events/{event}/amend`,
//! `/events/{event}/sessions`, `…/reschedule`, `…/venue`, `…/cancel`) with an idempotency key
//! made of the form's one-time nonce and what was submitted ([`crate::page::form_key`]): sending
//! a form twice is recorded once. A new event's id is derived by the gateway from that key; a
//! new session's id from it here, so a resent form names the same session.
//!
//! **Consequences first.** Cancelling or moving a session affects people: the confirmation page
//! counts the registrations it holds (confirmed, with their seats, and waiting) and names the
//! partners that brought them, who will be told, read from the organiser's registrations
//! (`GET /registrations?session=…&identity=false`: counting opens no identity); only its button
//! sends the command. After it, the session's page shows where every registration stands,
//! partner by partner, as the processes carry the command out (a cancelled session's
//! registrations are cancelled a moment later).
//!
//! Parsing a form is pure ([`about_from`], [`session_from`], [`consequences`]); a refused form is
//! shown again with each error next to its field (`aria-invalid`, `aria-describedby`) and a
//! summary announced at the top.
//!
//! # Layout
//! - [`events`]: an event created and its description amended.
//! - [`sessions`]: a session added to an event, and its page.
//! - [`changes`]: a session cancelled or moved, after its consequences were shown.

pub mod changes;
pub mod events;
pub mod sessions;
#[cfg(test)]
mod tests;

pub use changes::{
    Consequences, Held, PartnerShare, cancel, cancel_page, consequences, move_confirm, move_page,
    move_preview,
};
pub use events::{about_from, amend_event, create_event, event_page, new_event};
pub use sessions::{Placed, add_session, session_from, session_page};

use axum::http::StatusCode;
use catalogue::{EventView, SessionView};
use gateway::routes::answers::Items;
use jiff::civil::Date;
use proto::values::{EditionId, EventId, SessionId};
use uuid::Uuid;

use crate::login::Login;
use crate::organiser::Wait;
use crate::page::{Failure, day_fr, time_fr};
use crate::routes::Console;

/// The ids of sessions added from the console (UUID v5 namespace).
pub(crate) const ADDED: Uuid = Uuid::from_u128(0x5e3a_1e00_0000_4000_8000_636f_6e73_6f6c);

/// The events of an edition (`GET /catalogue/editions/{edition}/events`), by title.
pub type Events = Items<EventView>;

/// An edition's name and its first and last days, as the catalogue shows them.
pub(crate) async fn edition_days(
    console: &Console,
    login: &Login,
    edition: EditionId,
) -> Result<(String, (Date, Date)), Failure> {
    let info: catalogue::EditionView = console
        .api
        .get(&login.principal, &format!("/catalogue/editions/{edition}"))
        .await?;
    Ok((info.name, (info.first_day, info.last_day)))
}

/// An event of the edition, as the catalogue shows it; 404 for another edition's.
pub(crate) async fn event_of(
    console: &Console,
    login: &Login,
    edition: EditionId,
    event: EventId,
    wait: &Wait,
) -> Result<EventView, Failure> {
    let events: Events = console
        .api
        .get(
            &login.principal,
            &format!("/catalogue/editions/{edition}/events?{}", wait.query()),
        )
        .await?;
    events
        .items
        .into_iter()
        .find(|e| e.event == event)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "Cet événement n'existe pas (ou pas encore) dans cette édition.",
            )
        })
}

/// A session of the edition, as the catalogue has it.
pub(crate) async fn session_of(
    console: &Console,
    login: &Login,
    edition: EditionId,
    id: SessionId,
    wait: &Wait,
) -> Result<SessionView, Failure> {
    let found: SessionView = console
        .api
        .get(
            &login.principal,
            &format!("/catalogue/sessions/{id}?{}", wait.query()),
        )
        .await?;
    if found.edition != edition {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "Cette séance n'est pas dans cette édition.",
        ));
    }
    Ok(found)
}

/// A session's day and times, in French (`mardi 13 avril · 9 h 00–12 h 00`).
pub(crate) fn when_text(s: &SessionView) -> String {
    format!(
        "{} · {}–{}",
        day_fr(s.starts_local.date()),
        time_fr(s.starts_local),
        time_fr(s.ends_local)
    )
}

// ---- Events ----
