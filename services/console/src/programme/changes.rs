//! A session cancelled or moved, after its consequences were shown: the registrations it holds
//! and the partners who will be told; only the confirmation's button sends the command.

use gateway::routes::events::SessionRecorded;
use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use catalogue::{SessionView, VenueSummary};
use maud::{Markup, html};
use proto::values::{EditionId, PartnerId, SessionId};
use serde::Deserialize;
use serde_json::json;
use views::Standing;

use super::sessions::{Placed, place_select, place_value, session_from, when_fields};
use super::{edition_days, session_of, when_text};
use crate::address::Named;
use crate::form::{
    FieldErrors, Fields, Posted, described, error_summary, field_error, invalid, value,
};
use crate::login::{Login, SignedIn};
use crate::organiser::Wait;
use crate::page::{Failure, day_fr, form_key, hidden, nonce, ok, page, redirect_after, time_fr};
use crate::routes::Console;

/// One registration of a session, as the organiser's registrations read tells it.
#[derive(Debug, Clone, Deserialize)]
pub struct Held {
    /// The partner that made it.
    pub partner: PartnerId,
    /// The partner's name, once its declaration is read.
    pub partner_name: Option<String>,
    /// Its seats: 1, or a group's size.
    pub seats: u32,
    /// Where it stands.
    pub status: Standing,
}

/// A partner's registrations in a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerShare {
    /// The partner's name, when known.
    pub name: Option<String>,
    /// Its confirmed registrations.
    pub confirmed: u32,
    /// The seats they hold.
    pub confirmed_seats: u32,
    /// Its registrations on the waiting list.
    pub waiting: u32,
    /// Its cancelled registrations.
    pub cancelled: u32,
}

/// What a session's registrations stand at: who a cancellation or a move affects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consequences {
    /// Confirmed registrations.
    pub confirmed: u32,
    /// The seats (people) they hold: a group counts its size.
    pub confirmed_seats: u32,
    /// Registrations on the waiting list.
    pub waiting: u32,
    /// The seats they ask for.
    pub waiting_seats: u32,
    /// Cancelled registrations (already).
    pub cancelled: u32,
    /// Every partner with a registration, by id.
    pub partners: BTreeMap<PartnerId, PartnerShare>,
}

impl Consequences {
    /// The partners holding a registration (confirmed or waiting): the ones who are told.
    pub fn told(&self) -> impl Iterator<Item = (&PartnerId, &PartnerShare)> {
        self.partners
            .iter()
            .filter(|(_, share)| share.confirmed + share.waiting > 0)
    }
}

/// Counts a session's registrations, partner by partner. Pure.
pub fn consequences(held: &[Held]) -> Consequences {
    let mut counted = Consequences::default();
    for h in held {
        let share = counted.partners.entry(h.partner.clone()).or_default();
        if share.name.is_none() {
            share.name.clone_from(&h.partner_name);
        }
        match h.status {
            Standing::Confirmed => {
                counted.confirmed += 1;
                counted.confirmed_seats += h.seats;
                share.confirmed += 1;
                share.confirmed_seats += h.seats;
            }
            Standing::Waiting => {
                counted.waiting += 1;
                counted.waiting_seats += h.seats;
                share.waiting += 1;
            }
            Standing::Cancelled => {
                counted.cancelled += 1;
                share.cancelled += 1;
            }
        }
    }
    counted
}

// ---- Reads ----

/// Every registration of a session, as the organiser reads them, without their identities
/// (`identity=false`: counting opens no one's).
pub(crate) async fn held_in(
    console: &Console,
    login: &Login,
    id: SessionId,
) -> Result<Vec<Held>, Failure> {
    let path = format!("/registrations?session={id}&identity=false&limit=200");
    Ok(console.api.get_all(&login.principal, &path).await?)
}

fn consequences_block(c: &Consequences, what: &str) -> Markup {
    html! {
        section.consequences aria-labelledby="consequences" {
            h2 id="consequences" { "Ce que cela change" }
            ul {
                li data-count="confirmed" { (c.confirmed) " inscription(s) confirmée(s), " (c.confirmed_seats) " personne(s) (places)" }
                li data-count="waiting" { (c.waiting) " inscription(s) en liste d'attente (" (c.waiting_seats) " place(s) demandée(s))" }
            }
            p { (what) }
            @if c.told().next().is_none() {
                p data-partners="0" { "Aucun partenaire n'a d'inscription dans cette séance : personne n'est à prévenir." }
            } @else {
                h3 { "Partenaires prévenus" }
                ul data-partners=(c.told().count()) {
                    @for (id, share) in c.told() {
                        li data-partner=(id) {
                            strong { (share.name.as_deref().unwrap_or(id.as_str())) } " (" code { (id) } ") : "
                            (share.confirmed) " confirmée(s) (" (share.confirmed_seats) " place(s)), " (share.waiting) " en attente"
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/editions/{edition}/sessions/{session}/cancel`: the consequences, a reason, and
/// the button that cancels.
pub async fn cancel_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Named((edition, id)): Named<(EditionId, SessionId)>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let s = session_of(&console, login, edition, id, &Wait::default()).await?;
    let c = consequences(&held_in(&console, login, id).await?);
    Ok(ok(cancel_markup(
        login,
        edition,
        &s,
        &c,
        "",
        &FieldErrors::new(),
    )))
}

fn cancel_markup(
    login: &Login,
    edition: EditionId,
    s: &SessionView,
    c: &Consequences,
    reason: &str,
    errors: &FieldErrors,
) -> Markup {
    let base = format!("/console/editions/{edition}/sessions/{}", s.session);
    page(
        &format!("Annuler la séance — {}", s.title),
        Some(login),
        html! {
            p { (when_text(s)) " · " (s.venue_name.as_deref().unwrap_or("lieu inconnu")) }
            (consequences_block(c, "Toutes ces inscriptions seront annulées et chaque partenaire en sera informé ; le lieu est libéré. Une séance annulée ne se rouvre pas."))
            (error_summary(errors))
            form method="post" action={ (base) "/cancel" } {
                (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
                label for="reason" { "Motif (transmis aux partenaires)" }
                (field_error(errors, "reason"))
                input type="text" id="reason" name="reason" required maxlength="500" size="60" value=(reason)
                    aria-invalid=[invalid(errors, "reason")] aria-describedby=[described(errors, "reason")];
                p { button.danger type="submit" { "Confirmer l'annulation" } " " a href=(base) { "Ne rien changer" } }
            }
        },
    )
}

/// `POST /console/editions/{edition}/sessions/{session}/cancel`.
pub async fn cancel(
    State(console): State<Console>,
    Named((edition, id)): Named<(EditionId, SessionId)>,
    Posted {
        signed_in,
        form: fields,
    }: Posted<Fields>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let s = session_of(&console, login, edition, id, &Wait::default()).await?;
    let reason = value(&fields, "reason");
    if reason.is_empty() || reason.chars().count() > 500 {
        let c = consequences(&held_in(&console, login, id).await?);
        let errors = FieldErrors::from([(
            "reason",
            "Donnez le motif de l'annulation (500 caractères au plus).".to_owned(),
        )]);
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ok(cancel_markup(login, edition, &s, &c, reason, &errors)),
        )
            .into_response());
    }
    let body = json!({ "reason": reason });
    let key = form_key(
        "cancel",
        value(&fields, "nonce"),
        &[&id.to_string(), &body.to_string()],
    );
    let answer: SessionRecorded = console
        .api
        .post(
            &login.principal,
            &format!("/events/{}/sessions/{id}/cancel", s.event),
            &key,
            &body,
        )
        .await?;
    Ok(redirect_after(
        &format!("/console/editions/{edition}/sessions/{id}?"),
        Some(answer.recorded.min_seq()),
        "Séance annulée : ses inscriptions sont annulées et leurs partenaires prévenus.",
    ))
}

/// A session's current date, times and place, as its move form starts.
fn current_fields(s: &SessionView) -> Fields {
    vec![
        ("date".to_owned(), s.starts_local.date().to_string()),
        (
            "start".to_owned(),
            format!(
                "{:02}:{:02}",
                s.starts_local.hour(),
                s.starts_local.minute()
            ),
        ),
        (
            "end".to_owned(),
            format!("{:02}:{:02}", s.ends_local.hour(), s.ends_local.minute()),
        ),
        ("place".to_owned(), place_value(s.venue, &s.room)),
    ]
}

fn move_form(
    login: &Login,
    edition: EditionId,
    s: &SessionView,
    venues: &[VenueSummary],
    fields: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    let base = format!("/console/editions/{edition}/sessions/{}", s.session);
    page(
        &format!("Déplacer la séance — {}", s.title),
        Some(login),
        html! {
            p { "Aujourd'hui : " (when_text(s)) " · " (s.venue_name.as_deref().unwrap_or("lieu inconnu")) }
            (error_summary(errors))
            form method="post" action={ (base) "/move" } {
                (hidden("csrf", &login.csrf))
                (when_fields(fields, errors))
                (place_select(venues, value(fields, "place"), errors))
                p { button type="submit" { "Voir les conséquences (rien n'est encore changé)" } " " a href=(base) { "Ne rien changer" } }
            }
        },
    )
}

/// `GET /console/editions/{edition}/sessions/{session}/move`: the new date, times and place.
pub async fn move_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Named((edition, id)): Named<(EditionId, SessionId)>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let s = session_of(&console, login, edition, id, &Wait::default()).await?;
    Ok(ok(move_form(
        login,
        edition,
        &s,
        &console.venue_directory(),
        &current_fields(&s),
        &FieldErrors::new(),
    )))
}

/// What a move changes: the times, the place, or both.
pub(crate) fn changes(s: &SessionView, placed: &Placed) -> (bool, bool) {
    let times = (s.starts_local, s.ends_local) != (placed.starts, placed.ends);
    let place = (s.venue, s.room.as_str()) != (placed.venue, placed.room.as_str());
    (times, place)
}

/// A move as an organiser's form asks it: the session as the catalogue shows it, the venues
/// the form chose from, and the new date, times and place, or what is wrong with them. The
/// preview and the confirmation read the form the same way.
async fn asked_move(
    console: &Console,
    login: &Login,
    edition: EditionId,
    id: SessionId,
    fields: &Fields,
) -> Result<(SessionView, Vec<VenueSummary>, Result<Placed, FieldErrors>), Failure> {
    login.organiser()?;
    let s = session_of(console, login, edition, id, &Wait::default()).await?;
    let (_, days) = edition_days(console, login, edition).await?;
    let venues = console.venue_directory();
    let asked = session_from(fields, days, &venues, false);
    Ok((s, venues, asked))
}

/// `POST /console/editions/{edition}/sessions/{session}/move`: the consequences of the move and
/// the button that makes it.
pub async fn move_preview(
    State(console): State<Console>,
    Named((edition, id)): Named<(EditionId, SessionId)>,
    Posted {
        signed_in,
        form: fields,
    }: Posted<Fields>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let (s, venues, asked) = asked_move(&console, login, edition, id, &fields).await?;
    let refused = |errors: FieldErrors| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ok(move_form(login, edition, &s, &venues, &fields, &errors)),
        )
            .into_response()
    };
    let placed = match asked {
        Ok(placed) => placed,
        Err(errors) => return Ok(refused(errors)),
    };
    let (times, place) = changes(&s, &placed);
    if !times && !place {
        return Ok(refused(FieldErrors::from([(
            "date",
            "C'est déjà la date, l'horaire et le lieu de la séance : rien ne change.".to_owned(),
        )])));
    }
    let c = consequences(&held_in(&console, login, id).await?);
    let new_place = venues
        .iter()
        .find(|v| v.id == placed.venue)
        .map(|v| {
            let room = v
                .rooms
                .iter()
                .find(|(r, _)| *r == placed.room)
                .map_or(placed.room.as_str(), |(_, n)| n.as_str());
            format!("{} — {} — {room}", v.name, v.town)
        })
        .unwrap_or_default();
    let base = format!("/console/editions/{edition}/sessions/{id}");
    let body = html! {
        p { "Aujourd'hui : " (when_text(&s)) " · " (s.venue_name.as_deref().unwrap_or("lieu inconnu")) }
        p { strong { "Après : " } (day_fr(placed.starts.date())) " · " (time_fr(placed.starts)) "–" (time_fr(placed.ends)) " · " (new_place) }
        (consequences_block(&c, "Les inscriptions sont gardées et chaque partenaire est informé du changement. Le lieu est de nouveau sollicité : s'il confirme moins de places qu'il n'y a d'inscrits, les dernières inscriptions confirmées repassent en liste d'attente."))
        form method="post" action={ (base) "/move/confirm" } {
            (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
            @for name in ["date", "start", "end", "place"] { (hidden(name, value(&fields, name))) }
            p { button type="submit" { "Confirmer le déplacement" } " " a href=(base) { "Ne rien changer" } }
        }
    };
    Ok(ok(page(
        &format!("Déplacer la séance — {}", s.title),
        Some(login),
        body,
    )))
}

/// `POST /console/editions/{edition}/sessions/{session}/move/confirm`: changes the place, then
/// the times (each only when it changes).
pub async fn move_confirm(
    State(console): State<Console>,
    Named((edition, id)): Named<(EditionId, SessionId)>,
    Posted {
        signed_in,
        form: fields,
    }: Posted<Fields>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let (s, _, asked) = asked_move(&console, login, edition, id, &fields).await?;
    let placed = asked.map_err(|errors| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "Le déplacement n'est pas valable : {}",
                errors.values().cloned().collect::<Vec<_>>().join(" ")
            ),
        )
    })?;
    let nonce = value(&fields, "nonce");
    let path = format!("/events/{}/sessions/{id}", s.event);
    // Only what differs from the session as the catalogue shows it is sent: a form sent again
    // after a first attempt went through sends nothing more (or is answered from history).
    let (times, place) = changes(&s, &placed);
    let venue = json!({ "venue": placed.venue, "room": placed.room });
    let moved = json!({ "starts": placed.starts, "ends": placed.ends });
    let mut last = None;
    for (what, body, send) in [("venue", &venue, place), ("reschedule", &moved, times)] {
        if !send {
            continue;
        }
        let key = form_key(
            &format!("move-{what}"),
            nonce,
            &[&id.to_string(), &body.to_string()],
        );
        let answer: SessionRecorded = console
            .api
            .post(&login.principal, &format!("{path}/{what}"), &key, body)
            .await?;
        last = Some(answer.recorded.min_seq());
    }
    Ok(redirect_after(
        &format!("/console/editions/{edition}/sessions/{id}?"),
        last,
        "Séance déplacée : le lieu est sollicité et les partenaires sont prévenus.",
    ))
}
