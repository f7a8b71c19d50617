//! Sessions of an event: added from the console (date, times, venue and room), and the
//! session's page, where every registration stands partner by partner.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use catalogue::VenueSummary;
use gateway::routes::events::SessionScheduled;
use jiff::civil::{Date, DateTime};
use maud::{Markup, html};
use proto::values::{EditionId, EventId, SessionId, VenueId};
use serde_json::json;
use uuid::Uuid;

use super::changes::{consequences, held_in};
use super::events::render_event;
use super::{ADDED, edition_days, event_of, session_of, when_text};
use crate::address::Named;
use crate::form::{
    FieldErrors, Fields, Posted, described, error_summary, field_error, invalid, value,
};
use crate::import::{parse_date, parse_time};
use crate::login::{Login, SignedIn};
use crate::organiser::{Wait, status_wire};
use crate::page::{
    Failure, day_fr, form_key, hidden, nonce, ok, page, redirect_after, venue_status,
};
use crate::routes::Console;

/// Where and when a session takes place, as a form gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// Start, local time.
    pub starts: DateTime,
    /// End, local time.
    pub ends: DateTime,
    /// The venue.
    pub venue: VenueId,
    /// The room.
    pub room: String,
    /// The seats wanted, when the form asks for them.
    pub capacity: Option<u32>,
}

/// The value of a venue's room in the place selector: `<venue>/<room>`.
pub(crate) fn place_value(venue: VenueId, room: &str) -> String {
    format!("{venue}/{room}")
}

/// A session's date, times, place (and capacity wanted, when `with_capacity`) from its form,
/// checked against the edition's days and the venues' directory. Pure.
pub fn session_from(
    fields: &[(String, String)],
    days: (Date, Date),
    venues: &[VenueSummary],
    with_capacity: bool,
) -> Result<Placed, FieldErrors> {
    let mut errors = FieldErrors::new();
    let date = parse_date(value(fields, "date"));
    match date {
        None => {
            errors.insert("date", "Date illisible (attendu : 2027-04-13).".to_owned());
        }
        Some(d) if d < days.0 || d > days.1 => {
            errors.insert(
                "date",
                format!(
                    "Le {} n'est pas dans l'édition (du {} au {}).",
                    day_fr(d),
                    day_fr(days.0),
                    day_fr(days.1)
                ),
            );
        }
        Some(_) => {}
    }
    let starts = parse_time(value(fields, "start"));
    let ends = parse_time(value(fields, "end"));
    if starts.is_none() {
        errors.insert(
            "start",
            "Heure de début illisible (attendu : 09:00).".to_owned(),
        );
    }
    if ends.is_none() {
        errors.insert(
            "end",
            "Heure de fin illisible (attendu : 12:00).".to_owned(),
        );
    }
    if let (Some(s), Some(e)) = (starts, ends)
        && e <= s
    {
        errors.insert("end", "La fin doit être après le début.".to_owned());
    }
    let place = value(fields, "place");
    let found = place.split_once('/').and_then(|(venue, room)| {
        let venue = Uuid::parse_str(venue).ok().map(VenueId)?;
        venues
            .iter()
            .find(|v| v.id == venue)
            .filter(|v| v.rooms.iter().any(|(id, _)| id == room))
            .map(|_| (venue, room.to_owned()))
    });
    if found.is_none() {
        errors.insert(
            "place",
            "Choisissez un lieu et une salle de la liste.".to_owned(),
        );
    }
    let capacity = if with_capacity {
        let capacity = value(fields, "capacity")
            .parse::<u32>()
            .ok()
            .filter(|c| (1..=100_000).contains(c));
        if capacity.is_none() {
            errors.insert(
                "capacity",
                "Le nombre de places est un entier de 1 à 100 000.".to_owned(),
            );
        }
        capacity
    } else {
        None
    };
    match (date, starts, ends, found) {
        (Some(date), Some(s), Some(e), Some((venue, room))) if errors.is_empty() => Ok(Placed {
            starts: DateTime::from_parts(date, s),
            ends: DateTime::from_parts(date, e),
            venue,
            room,
            capacity,
        }),
        _ => Err(errors),
    }
}

/// A place selector's options: every room of every venue of the directory.
pub(crate) fn place_select(venues: &[VenueSummary], chosen: &str, errors: &FieldErrors) -> Markup {
    html! {
        label for="place" { "Lieu et salle" }
        (field_error(errors, "place"))
        select id="place" name="place" required aria-invalid=[invalid(errors, "place")] aria-describedby=[described(errors, "place")] {
            option value="" { "— choisir —" }
            @for v in venues {
                @for (room, room_name) in &v.rooms {
                    @let w = place_value(v.id, room);
                    option value=(w) selected[chosen == w] { (v.name) " — " (v.town) " — " (room_name) }
                }
            }
        }
        @if venues.is_empty() {
            p.small { "Aucun lieu enregistré pour l'instant : " a href="/console/venues/import" { "importez vos lieux" } "." }
        }
    }
}

/// The date and times fields, filled.
pub(crate) fn when_fields(fields: &[(String, String)], errors: &FieldErrors) -> Markup {
    html! {
        div.inline {
            div {
                label for="date" { "Date" }
                (field_error(errors, "date"))
                input type="date" id="date" name="date" required value=(value(fields, "date"))
                    aria-invalid=[invalid(errors, "date")] aria-describedby=[described(errors, "date")];
            }
            div {
                label for="start" { "Début" }
                (field_error(errors, "start"))
                input type="time" id="start" name="start" required value=(value(fields, "start"))
                    aria-invalid=[invalid(errors, "start")] aria-describedby=[described(errors, "start")];
            }
            div {
                label for="end" { "Fin" }
                (field_error(errors, "end"))
                input type="time" id="end" name="end" required value=(value(fields, "end"))
                    aria-invalid=[invalid(errors, "end")] aria-describedby=[described(errors, "end")];
            }
        }
    }
}

/// The form that schedules a session (date, times, venue and room), sent to `action`, filled
/// again with `fields` and their `errors` when it was refused.
pub(crate) fn session_form(
    action: &str,
    login: &Login,
    venues: &[VenueSummary],
    fields: &[(String, String)],
    errors: &FieldErrors,
) -> Markup {
    html! {
        (error_summary(errors))
        form method="post" action=(action) {
            (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
            (when_fields(fields, errors))
            (place_select(venues, value(fields, "place"), errors))
            label for="capacity" { "Places souhaitées" }
            (field_error(errors, "capacity"))
            input type="number" id="capacity" name="capacity" min="1" max="100000" required inputmode="numeric"
                value=(value(fields, "capacity")) aria-invalid=[invalid(errors, "capacity")] aria-describedby=[described(errors, "capacity")];
            p.small { "Le lieu est sollicité et confirme la capacité qu'il peut accueillir." }
            p { button type="submit" { "Ajouter la séance" } }
        }
    }
}

/// `POST /console/editions/{edition}/events/{event}/sessions`: schedules a session; its venue is
/// asked.
pub async fn add_session(
    State(console): State<Console>,
    Named((edition, event)): Named<(EditionId, EventId)>,
    Posted {
        signed_in,
        form: fields,
    }: Posted<Fields>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let (_, days) = edition_days(&console, login, edition).await?;
    let placed = match session_from(&fields, days, &console.venue_directory(), true) {
        Ok(placed) => placed,
        Err(errors) => {
            let wait = Wait::default();
            let current = event_of(&console, login, edition, event, &wait).await?;
            let page = render_event(
                &console,
                login,
                edition,
                &current,
                &wait,
                None,
                Some((&fields, &errors)),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, ok(page)).into_response());
        }
    };
    let mut body = json!({
        "starts": placed.starts,
        "ends": placed.ends,
        "venue": placed.venue,
        "room": placed.room,
        "capacity_wanted": placed.capacity,
    });
    let key = form_key(
        "session",
        value(&fields, "nonce"),
        &[&event.to_string(), &body.to_string()],
    );
    body["session"] = json!(Uuid::new_v5(&ADDED, key.as_bytes()));
    let answer: SessionScheduled = console
        .api
        .post(
            &login.principal,
            &format!("/events/{event}/sessions"),
            &key,
            &body,
        )
        .await?;
    Ok(redirect_after(
        &format!("/console/editions/{edition}/events/{event}?"),
        Some(answer.recorded.min_seq()),
        "Séance ajoutée : le lieu est sollicité.",
    ))
}

// ---- A session: its page, cancelled or moved ----

/// `GET /console/editions/{edition}/sessions/{session}`: where the session and its registrations
/// stand, with links to move or cancel it.
pub async fn session_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Named((edition, id)): Named<(EditionId, SessionId)>,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let s = session_of(&console, login, edition, id, &wait).await?;
    let now = consequences(&held_in(&console, login, id).await?);
    let base = format!("/console/editions/{edition}/sessions/{id}");
    let body = html! {
        @if let Some(done) = &wait.done { div.notice role="status" { p { (done) } } }
        p {
            (when_text(&s)) br;
            (s.venue_name.as_deref().unwrap_or("lieu inconnu")) " · " (s.room_name.as_deref().unwrap_or(&s.room)) br;
            @if s.cancelled {
                span class="badge cancelled" data-status="cancelled" { "Annulée" }
                @if let Some(reason) = &s.cancelled_reason { " — " (reason) }
            } @else {
                @let status = status_wire(s.venue_status);
                span class={ "badge " (status) } data-status=(status) { (venue_status(status)) }
                @if let Some(c) = s.capacity { " · " (s.confirmed_seats) " / " (c) " places" }
            }
        }
        p { a href={ "/console/editions/" (edition) "/events/" (s.event) } { "L'événement « " (s.title) " »" } }
        h2 { "Inscriptions" }
        table {
            thead { tr { th scope="col" { "Partenaire" } th scope="col" { "Confirmées (places)" } th scope="col" { "En attente" } th scope="col" { "Annulées" } } }
            tbody {
                @for (partner, share) in &now.partners {
                    tr data-partner=(partner) {
                        th scope="row" { (share.name.as_deref().unwrap_or(partner.as_str())) }
                        td { (share.confirmed) " (" (share.confirmed_seats) ")" }
                        td { (share.waiting) }
                        td data-cancelled=(share.cancelled) { (share.cancelled) }
                    }
                }
            }
            tfoot { tr { th scope="row" { "Total" } td { (now.confirmed) " (" (now.confirmed_seats) ")" } td { (now.waiting) } td { (now.cancelled) } } }
        }
        @if !s.cancelled && !s.ended {
            ul.inline {
                li { a href={ (base) "/move" } { "Déplacer la séance" } }
                li { a href={ (base) "/cancel" } { "Annuler la séance" } }
            }
        }
    };
    Ok(ok(page(&s.title, Some(login), body)))
}
