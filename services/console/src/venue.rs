//! The venues' pages: the hosting requests to answer, and the attendance lists for check-in at
//! the door (made for a phone: one registration per block, big buttons).
//!
//! Each form sends the API's own command through the gateway (`/venues/{venue}/hosting/…`,
//! `/sessions/{session}/registrations/{registration}/check-in`) with an idempotency key made of
//! the form's one-time `nonce` and what was submitted: sending the same form twice is recorded
//! once, and changing a value makes a new command. After a command the page is shown again,
//! waiting (`min_seq`) until the read model shows it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gateway::routes::answers::Items;
use gateway::routes::readers::AttendanceList;
use gateway::routes::registrations::SeatsRecorded;
use gateway::routes::venues::HostingAnswered;
use maud::{Markup, html};
use proto::values::{SessionId, VenueId};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use views::HostingView;

use crate::form::{Posted, WithCsrf, wire};
use crate::login::{Login, SignedIn};
use crate::organiser::Wait;
use crate::page::{
    Failure, form_key, hidden, nonce, ok, page, redirect_after, time_fr, venue_status,
};
use crate::routes::Console;

/// The venue a venue key acts as; a page for venues only.
fn venue_of(login: &Login) -> Result<VenueId, Failure> {
    match &login.principal.role {
        gateway::Role::Venue(venue) => Ok(*venue),
        _ => Err(Failure::new(
            StatusCode::FORBIDDEN,
            "Cette page est celle d'un lieu d'accueil : connectez-vous avec la clé du lieu.",
        )),
    }
}

fn when(h: &HostingView) -> String {
    match (h.starts_local, h.ends_local) {
        (Some(starts), Some(ends)) => format!(
            "{} · {}–{}",
            crate::page::day_fr(starts.date()),
            time_fr(starts),
            time_fr(ends)
        ),
        _ => h.starts_at.to_string(),
    }
}

/// `GET /console/venue`: the requests to answer, then the sessions hosted.
pub async fn requests(
    State(console): State<Console>,
    signed_in: SignedIn,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let venue = venue_of(login)?;
    let hosting: Items<HostingView> = console
        .api
        .get(
            &login.principal,
            &format!("/venues/{venue}/hosting?{}", wait.query()),
        )
        .await?;
    let (pending, answered): (Vec<_>, Vec<_>) = hosting
        .items
        .iter()
        .filter(|h| !h.cancelled)
        .partition(|h| wire(&h.status) == "requested");
    let body = html! {
        @if let Some(done) = &wait.done { div.notice role="status" { p { (done) } } }
        h2 { "À confirmer (" (pending.len()) ")" }
        @if pending.is_empty() {
            p { "Aucune demande en attente de réponse." }
        }
        div.cards {
            @for h in &pending { (request_card(login, h)) }
        }
        h2 { "Séances déjà traitées" }
        @if answered.is_empty() { p { "Aucune pour l'instant." } }
        div.cards {
            @for h in &answered { (answered_card(login, h)) }
        }
    };
    Ok(ok(page("Demandes d'accueil", Some(login), body)))
}

fn request_card(login: &Login, h: &HostingView) -> Markup {
    let title = h.title.as_deref().unwrap_or("Séance");
    let id = h.session;
    html! {
        section.card data-session=(id) aria-labelledby={ "t-" (id) } {
            h3 id={ "t-" (id) } { (title) }
            p { (when(h)) br; "Salle : " (h.room) br; "Places souhaitées : " (h.capacity_wanted) }
            form method="post" action={ "/console/venue/hosting/" (id) "/confirm" } {
                (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
                (hidden("request", &h.request.to_string()))
                div.inline {
                    div {
                        label for={ "cap-" (id) } { "Capacité confirmée" }
                        input type="number" id={ "cap-" (id) } name="capacity" min="1" max="100000"
                            required value=(h.capacity_wanted) inputmode="numeric";
                    }
                    button type="submit" { "Confirmer" }
                }
            }
            form method="post" action={ "/console/venue/hosting/" (id) "/decline" } {
                (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
                (hidden("request", &h.request.to_string()))
                div.inline {
                    div {
                        label for={ "why-" (id) } { "Motif du refus" }
                        input type="text" id={ "why-" (id) } name="reason" required maxlength="500";
                    }
                    button.danger type="submit" { "Refuser" }
                }
            }
        }
    }
}

fn answered_card(login: &Login, h: &HostingView) -> Markup {
    let title = h.title.as_deref().unwrap_or("Séance");
    let status = wire(&h.status);
    let id = h.session;
    html! {
        section.card data-session=(id) {
            h3 { (title) }
            p {
                (when(h)) br;
                span class={ "badge " (status) } { (venue_status(&status)) }
                @if let Some(capacity) = h.capacity { " · capacité " (capacity) }
                @if let Some(reason) = &h.reason { br; "Motif : " (reason) }
            }
            @if h.hosts() {
                p { a href={ "/console/venue/sessions/" (id) } { "Liste de présence et pointage" } }
                form method="post" action={ "/console/venue/hosting/" (id) "/capacity" } {
                    (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
                    (hidden("request", &h.request.to_string()))
                    div.inline {
                        div {
                            label for={ "newcap-" (id) } { "Nouvelle capacité" }
                            input type="number" id={ "newcap-" (id) } name="capacity" min="1"
                                max="100000" required value=[h.capacity] inputmode="numeric";
                        }
                        button.secondary type="submit" { "Modifier la capacité" }
                    }
                }
            }
        }
    }
}

/// An answer to a hosting request, as the forms send it.
#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    nonce: String,
    request: u32,
    capacity: Option<String>,
    reason: Option<String>,
}

/// `POST /console/venue/hosting/{session}/{confirm|decline|capacity}`.
pub async fn answer(
    State(console): State<Console>,
    Path((session_text, answer)): Path<(String, String)>,
    Posted { signed_in, form }: Posted<AnswerForm>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let venue = venue_of(login)?;
    let id = crate::address::parse::<SessionId>(&session_text)?;
    let body = match answer.as_str() {
        "confirm" | "capacity" => {
            let capacity: u32 = form
                .capacity
                .as_deref()
                .map(str::trim)
                .and_then(|c| c.parse().ok())
                .filter(|c| *c >= 1)
                .ok_or_else(|| {
                    Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "La capacité doit être un nombre entier d'au moins 1.",
                    )
                })?;
            json!({ "request": form.request, "capacity": capacity })
        }
        "decline" => {
            let reason = form.reason.as_deref().map(str::trim).unwrap_or("");
            if reason.is_empty() {
                return Err(Failure::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Indiquez le motif du refus.",
                ));
            }
            json!({ "request": form.request, "reason": reason })
        }
        _ => {
            return Err(Failure::new(
                StatusCode::NOT_FOUND,
                "Cette réponse n'existe pas.",
            ));
        }
    };
    let key = form_key(&answer, &form.nonce, &[&id.to_string(), &body.to_string()]);
    let done: HostingAnswered = console
        .api
        .post(
            &login.principal,
            &format!("/venues/{venue}/hosting/{id}/{answer}"),
            &key,
            &body,
        )
        .await?;
    let message = match answer.as_str() {
        "confirm" => "Accueil confirmé.",
        "decline" => "Demande refusée.",
        _ => "Capacité modifiée.",
    };
    Ok(redirect_after(
        "/console/venue?",
        Some(done.recorded.min_seq()),
        message,
    ))
}

/// `GET /console/venue/sessions/{session}`: the attendance list, with a check-in form per line.
pub async fn attendance(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path(session_text): Path<String>,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let venue = venue_of(login)?;
    let id = crate::address::parse::<SessionId>(&session_text)?;
    let list: AttendanceList = console
        .api
        .get(
            &login.principal,
            &format!("/venues/{venue}/sessions/{id}/attendance?{}", wait.query()),
        )
        .await?;
    let title = list
        .session
        .title
        .clone()
        .unwrap_or_else(|| "Séance".to_owned());
    let body = html! {
        @if let Some(done) = &wait.done { div.notice role="status" { p { (done) } } }
        p {
            @if let Some(starts) = list.session.starts_local { (crate::page::day_fr(starts.date())) " · " (time_fr(starts)) br; }
            (list.present) " présent(s) sur " (list.confirmed_seats) " place(s) confirmée(s). "
            a href={ "/console/venue/sessions/" (id) "/attendance.csv" } { "Télécharger la liste (CSV)" }
        }
        @if list.items.is_empty() { p { "Personne d'inscrit pour l'instant." } }
        table.attendance {
            thead { tr { th scope="col" { "Nom" } th scope="col" { "Partenaire" } th scope="col" { "Places" } th scope="col" { "Pointage" } } }
            tbody {
                @for (line, name) in list.items.iter().map(|l| (&l.attendee, &l.name)) {
                    tr {
                        td { strong { (name.as_deref().unwrap_or("(effacé)")) } @if line.group { " (groupe)" } }
                        td { (line.partner_name.as_deref().unwrap_or("")) }
                        // Said in words: on a phone the cells stand one under the other, without
                        // their column's heading.
                        td { (line.seats) @if line.seats == 1 { " place" } @else { " places" } }
                        td {
                            @if line.checked_in { span class="badge confirmed" { (line.present) " présent(s)" } " " }
                            form method="post" action={ "/console/venue/sessions/" (id) "/check-in" } {
                                (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
                                (hidden("registration", &line.registration.to_string()))
                                div.inline {
                                    @if line.seats > 1 {
                                        div {
                                            label for={ "p-" (line.registration) } { "Présents" }
                                            input type="number" id={ "p-" (line.registration) } name="present"
                                                min="1" max=(line.seats) value=(line.seats) inputmode="numeric";
                                        }
                                    } @else {
                                        (hidden("present", "1"))
                                    }
                                    button type="submit" aria-label={ "Pointer présent : " (name.as_deref().unwrap_or("cette inscription")) } { "Pointer présent" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ok(page(&title, Some(login), body)))
}

/// A check-in, as the form sends it.
#[derive(Debug, Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    csrf: String,
    nonce: String,
    registration: String,
    present: String,
}

/// `POST /console/venue/sessions/{session}/check-in`.
pub async fn check_in(
    State(console): State<Console>,
    Path(session_text): Path<String>,
    Posted { signed_in, form }: Posted<CheckInForm>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    venue_of(login)?;
    let id = crate::address::parse::<SessionId>(&session_text)?;
    let registration = Uuid::parse_str(form.registration.trim()).map_err(|_| {
        Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Cette inscription n'existe pas.",
        )
    })?;
    let present: u32 = form
        .present
        .trim()
        .parse()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Le nombre de présents doit être un entier d'au moins 1.",
            )
        })?;
    let body = json!({ "present": present });
    let key = form_key(
        "check-in",
        &form.nonce,
        &[&registration.to_string(), &body.to_string()],
    );
    let done: SeatsRecorded = console
        .api
        .post(
            &login.principal,
            &format!("/sessions/{id}/registrations/{registration}/check-in"),
            &key,
            &body,
        )
        .await?;
    Ok(redirect_after(
        &format!("/console/venue/sessions/{id}?"),
        Some(done.recorded.min_seq()),
        "Présence enregistrée.",
    ))
}

/// `GET /console/venue/sessions/{session}/attendance.csv`: the API's CSV attendance list.
pub async fn attendance_csv(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path(session_text): Path<String>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let venue = venue_of(login)?;
    let id = crate::address::parse::<SessionId>(&session_text)?;
    let (content_type, bytes) = console
        .api
        .get_raw(
            &login.principal,
            &format!("/venues/{venue}/sessions/{id}/attendance.csv"),
        )
        .await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"presence-{id}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

impl WithCsrf for AnswerForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl WithCsrf for CheckInForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}
