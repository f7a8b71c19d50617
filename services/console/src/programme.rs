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

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use catalogue::{EventView, SessionView, VenueSummary};
use jiff::civil::{Date, DateTime};
use maud::{Markup, html};
use proto::scheduling::event::About;
use proto::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use proto::values::{EditionId, EventId, PartnerId, SessionId, VenueId};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use views::Standing;

use crate::import::{parse_date, parse_time};
use crate::login::{Login, SignedIn, check_origin};
use crate::organiser::{Wait, edition_id, sessions_of, status_wire};
use crate::page::{
    Failure, day_fr, form_key, hidden, nonce, ok, page, redirect_after, time_fr, venue_status,
};
use crate::routes::Console;

/// The ids of sessions added from the console (UUID v5 namespace).
const ADDED: Uuid = Uuid::from_u128(0x5e3a_1e00_0000_4000_8000_636f_6e73_6f6c);

/// A form as sent: every name and value, in order (checkboxes repeat their name).
pub type Fields = Vec<(String, String)>;

/// What is wrong with a form, by field name, in French.
pub type FieldErrors = BTreeMap<&'static str, String>;

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

fn values<'a>(fields: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(n, _)| n == name)
        .map(|(_, v)| v.trim())
}

/// The wire name of a taxonomy value (`job_seekers`).
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The values of a taxonomy checked in a group of checkboxes; an unknown one is an error.
fn checked<T: serde::Serialize + Copy>(
    all: &[T],
    fields: &[(String, String)],
    name: &'static str,
    errors: &mut FieldErrors,
) -> Vec<T> {
    let mut found = Vec::new();
    for given in values(fields, name) {
        match all.iter().find(|v| wire(*v) == given) {
            Some(v) => found.push(*v),
            None => {
                errors.insert(name, format!("Valeur inconnue : « {given} »."));
            }
        }
    }
    found
}

/// An event's description from its form; `partners` are kept as they were (the form does not
/// edit them). Pure.
pub fn about_from(
    fields: &[(String, String)],
    partners: &[PartnerId],
) -> Result<About, FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = EventKind::ALL
        .iter()
        .copied()
        .find(|k| wire(k) == value(fields, "kind"));
    if kind.is_none() {
        errors.insert("kind", "Choisissez le type d'événement.".to_owned());
    }
    let title = value(fields, "title");
    if title.is_empty() {
        errors.insert("title", "Donnez un titre.".to_owned());
    } else if title.chars().count() > 200 || title.contains('\n') {
        errors.insert(
            "title",
            "Le titre tient en une ligne de 200 caractères au plus.".to_owned(),
        );
    }
    let themes = checked(Theme::ALL, fields, "themes", &mut errors);
    if themes.is_empty() {
        errors
            .entry("themes")
            .or_insert_with(|| "Cochez au moins un thème.".to_owned());
    }
    let audiences = checked(Audience::ALL, fields, "audiences", &mut errors);
    if audiences.is_empty() {
        errors
            .entry("audiences")
            .or_insert_with(|| "Cochez au moins un public.".to_owned());
    }
    let restricted_to = checked(Audience::ALL, fields, "restricted_to", &mut errors);
    let discovery_tools = checked(DiscoveryTool::ALL, fields, "discovery_tools", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let about = json!({
        "kind": kind,
        "title": title,
        "description": value(fields, "description").replace("\r\n", "\n"),
        "themes": themes,
        "audiences": audiences,
        "restricted_to": restricted_to,
        "discovery_tools": discovery_tools,
        "partners": partners,
    });
    serde_json::from_value(about).map_err(|e| {
        FieldErrors::from([("description", format!("La description est refusée : {e}"))])
    })
}

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
fn place_value(venue: VenueId, room: &str) -> String {
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

/// What a registration page of the API holds.
#[derive(Debug, Deserialize)]
struct HeldPage {
    items: Vec<Held>,
    next: Option<String>,
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

/// The events of an edition (`GET /catalogue/editions/{edition}/events`).
#[derive(Debug, Default, Deserialize)]
pub struct Events {
    /// The events, by title.
    pub items: Vec<EventView>,
}

async fn edition_days(
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

async fn event_of(
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
async fn session_of(
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

/// Every registration of a session, as the organiser reads them, without their identities
/// (`identity=false`: counting opens no one's).
async fn held_in(console: &Console, login: &Login, id: SessionId) -> Result<Vec<Held>, Failure> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/registrations?session={id}&identity=false&limit=200");
        if let Some(cursor) = &after {
            path.push_str("&after=");
            path.push_str(cursor);
        }
        let page: HeldPage = console.api.get(&login.principal, &path).await?;
        all.extend(page.items);
        match page.next {
            Some(next) if !next.is_empty() && after.as_ref() != Some(&next) => after = Some(next),
            _ => break,
        }
    }
    Ok(all)
}

fn directory(console: &Console) -> Vec<VenueSummary> {
    console
        .catalogue
        .as_ref()
        .map(catalogue::venues)
        .unwrap_or_default()
}

fn id_in<T>(text: &str, make: fn(Uuid) -> T, what: &str) -> Result<T, Failure> {
    Uuid::parse_str(text).map(make).map_err(|_| {
        Failure::new(
            StatusCode::NOT_FOUND,
            format!("Cette adresse ne désigne aucun(e) {what}."),
        )
    })
}

fn read_form(
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
    login: &Login,
) -> Result<Fields, Failure> {
    let Ok(Form(fields)) = form else {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Le formulaire est incomplet.",
        ));
    };
    login.check_csrf(value(&fields, "csrf"))?;
    Ok(fields)
}

// ---- Form pieces ----

/// The summary of a refused form, announced, each error linking to its field.
fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.alert role="alert" id="erreurs" {
                p { "Rien n'a été enregistré : " (errors.len()) " champ(s) à corriger." }
                ul { @for (field, message) in errors { li { a href={ "#" (field) } { (message) } } } }
            }
        }
    }
}

/// A field's error, next to it.
fn field_error(errors: &FieldErrors, name: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(name) {
            p.field-error id={ "err-" (name) } { (message) }
        }
    }
}

fn described(errors: &FieldErrors, name: &str) -> Option<String> {
    errors.contains_key(name).then(|| format!("err-{name}"))
}

fn invalid(errors: &FieldErrors, name: &str) -> Option<&'static str> {
    errors.contains_key(name).then_some("true")
}

/// A group of checkboxes for a taxonomy, in a fieldset.
fn checkboxes<T: serde::Serialize + Copy>(
    legend: &str,
    name: &'static str,
    all: &[T],
    label: fn(T) -> &'static str,
    chosen: &[String],
    errors: &FieldErrors,
) -> Markup {
    html! {
        fieldset id=(name) aria-describedby=[described(errors, name)] {
            legend { (legend) }
            (field_error(errors, name))
            @for v in all {
                @let w = wire(v);
                div.check {
                    input type="checkbox" id={ (name) "-" (w) } name=(name) value=(w) checked[chosen.contains(&w)];
                    label for={ (name) "-" (w) } { (label(*v)) }
                }
            }
        }
    }
}

/// An event's form as filled: what to show again.
#[derive(Debug, Clone, Default)]
struct EventFilled {
    kind: String,
    title: String,
    description: String,
    themes: Vec<String>,
    audiences: Vec<String>,
    restricted_to: Vec<String>,
    discovery_tools: Vec<String>,
}

impl EventFilled {
    fn of_fields(fields: &[(String, String)]) -> Self {
        let all = |name| values(fields, name).map(str::to_owned).collect();
        Self {
            kind: value(fields, "kind").to_owned(),
            title: value(fields, "title").to_owned(),
            description: value(fields, "description").to_owned(),
            themes: all("themes"),
            audiences: all("audiences"),
            restricted_to: all("restricted_to"),
            discovery_tools: all("discovery_tools"),
        }
    }

    fn of_event(event: &EventView) -> Self {
        Self {
            kind: wire(&event.kind),
            title: event.title.clone(),
            description: event.description.clone(),
            themes: event.themes.iter().map(wire).collect(),
            audiences: event.audiences.iter().map(wire).collect(),
            restricted_to: event.restricted_to.iter().map(wire).collect(),
            discovery_tools: event.discovery_tools.iter().map(wire).collect(),
        }
    }
}

fn event_form(
    action: &str,
    button: &str,
    login: &Login,
    filled: &EventFilled,
    errors: &FieldErrors,
) -> Markup {
    html! {
        (error_summary(errors))
        form method="post" action=(action) {
            (hidden("csrf", &login.csrf)) (hidden("nonce", &nonce()))
            label for="kind" { "Type d'événement" }
            (field_error(errors, "kind"))
            select id="kind" name="kind" required aria-invalid=[invalid(errors, "kind")] aria-describedby=[described(errors, "kind")] {
                option value="" { "— choisir —" }
                @for k in EventKind::ALL {
                    @let w = wire(k);
                    option value=(w) selected[filled.kind == w] { (k.label_fr()) }
                }
            }
            label for="title" { "Titre" }
            (field_error(errors, "title"))
            input type="text" id="title" name="title" required maxlength="200" size="60" value=(filled.title)
                aria-invalid=[invalid(errors, "title")] aria-describedby=[described(errors, "title")];
            label for="description" { "Description (facultative)" }
            (field_error(errors, "description"))
            textarea id="description" name="description" rows="4" aria-describedby=[described(errors, "description")] { (filled.description) }
            (checkboxes("Thèmes (au moins un)", "themes", Theme::ALL, Theme::label_fr, &filled.themes, errors))
            (checkboxes("Publics visés (au moins un)", "audiences", Audience::ALL, Audience::label_fr, &filled.audiences, errors))
            (checkboxes("Réservé à ces publics (aucun coché : ouvert à tous)", "restricted_to", Audience::ALL, Audience::label_fr, &filled.restricted_to, errors))
            (checkboxes("Outils de découverte (facultatif)", "discovery_tools", DiscoveryTool::ALL, DiscoveryTool::label_fr, &filled.discovery_tools, errors))
            p { button type="submit" { (button) } }
        }
    }
}

/// A place selector's options: every room of every venue of the directory.
fn place_select(venues: &[VenueSummary], chosen: &str, errors: &FieldErrors) -> Markup {
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
fn when_fields(fields: &[(String, String)], errors: &FieldErrors) -> Markup {
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

fn session_form(
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

fn when_text(s: &SessionView) -> String {
    format!(
        "{} · {}–{}",
        day_fr(s.starts_local.date()),
        time_fr(s.starts_local),
        time_fr(s.ends_local)
    )
}

// ---- Events ----

/// `GET /console/editions/{edition}/events/new`: the new event's form.
pub async fn new_event(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path(edition): Path<String>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let (name, _) = edition_days(&console, login, edition).await?;
    Ok(ok(page(
        &format!("Nouvel événement — {name}"),
        Some(login),
        event_form(
            &format!("/console/editions/{edition}/events"),
            "Créer l'événement",
            login,
            &EventFilled::default(),
            &FieldErrors::new(),
        ),
    )))
}

/// `POST /console/editions/{edition}/events`: creates the event, then shows its page.
pub async fn create_event(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(edition): Path<String>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let fields = read_form(form, login)?;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let about = match about_from(&fields, &[]) {
        Ok(about) => about,
        Err(errors) => {
            let (name, _) = edition_days(&console, login, edition).await?;
            let body = event_form(
                &format!("/console/editions/{edition}/events"),
                "Créer l'événement",
                login,
                &EventFilled::of_fields(&fields),
                &errors,
            );
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ok(page(
                    &format!("Nouvel événement — {name}"),
                    Some(login),
                    body,
                )),
            )
                .into_response());
        }
    };
    let body = json!({ "edition": edition, "about": about });
    let key = form_key("event", value(&fields, "nonce"), &[&body.to_string()]);
    let answer = console
        .api
        .post(&login.principal, "/events", &key, &body)
        .await?;
    let event = answer.body["event"].as_str().unwrap_or("").to_owned();
    Ok(redirect_after(
        &format!("/console/editions/{edition}/events/{event}?"),
        answer.min_seq(),
        "Événement créé. Ajoutez-lui ses séances.",
    ))
}

/// `GET /console/editions/{edition}/events/{event}`: the event, its amend form, its sessions
/// and the form to add one.
pub async fn event_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path((edition, event)): Path<(String, String)>,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let event = id_in(&event, EventId, "événement")?;
    let found = event_of(&console, login, edition, event, &wait).await?;
    Ok(ok(render_event(
        &console, login, edition, &found, &wait, None, None,
    )
    .await?))
}

/// The event's page, with a refused amend or session form shown again.
async fn render_event(
    console: &Console,
    login: &Login,
    edition: EditionId,
    event: &EventView,
    wait: &Wait,
    amend: Option<(&[(String, String)], &FieldErrors)>,
    add: Option<(&[(String, String)], &FieldErrors)>,
) -> Result<Markup, Failure> {
    let sessions: Vec<SessionView> = sessions_of(console, login, edition, wait)
        .await?
        .into_iter()
        .filter(|s| s.event == event.event)
        .collect();
    let venues = directory(console);
    let base = format!("/console/editions/{edition}/events/{}", event.event);
    let none = FieldErrors::new();
    let filled = amend.map_or_else(
        || EventFilled::of_event(event),
        |(fields, _)| EventFilled::of_fields(fields),
    );
    let body = html! {
        @if let Some(done) = &wait.done { div.notice role="status" { p { (done) } } }
        p { (event.kind.label_fr()) " · " a href={ "/console/editions/" (edition) } { "retour au programme" } }
        h2 id="seances" { "Séances (" (sessions.len()) ")" }
        @if sessions.is_empty() { p { "Aucune séance pour l'instant." } } @else {
            div.scroll {
                table {
                    thead { tr { th scope="col" { "Quand" } th scope="col" { "Lieu" } th scope="col" { "Lieu : réponse" } th scope="col" { "Places" } th scope="col" { "Gérer" } } }
                    tbody {
                        @for s in &sessions {
                            tr data-event-session=(s.session) {
                                td { (when_text(s)) }
                                td { (s.venue_name.as_deref().unwrap_or("lieu inconnu")) " · " (s.room_name.as_deref().unwrap_or(&s.room)) }
                                td { @if s.cancelled { "Annulée" } @else { (venue_status(status_wire(s.venue_status))) } }
                                td { @match s.capacity { Some(c) => { (s.confirmed_seats) " / " (c) }, None => { "à confirmer" } }
                                     @if s.waiting_list_length > 0 { " · " (s.waiting_list_length) " en attente" } }
                                td { a href={ "/console/editions/" (edition) "/sessions/" (s.session) } { "Voir, déplacer ou annuler" } }
                            }
                        }
                    }
                }
            }
        }
        h2 id="ajouter" { "Ajouter une séance" }
        (session_form(&format!("{base}/sessions"), login, &venues, add.map_or(&[][..], |(f, _)| f), add.map_or(&none, |(_, e)| e)))
        h2 id="modifier" { "Modifier l'événement" }
        (event_form(&format!("{base}/amend"), "Enregistrer les modifications", login, &filled, amend.map_or(&none, |(_, e)| e)))
    };
    Ok(page(&event.title, Some(login), body))
}

/// `POST /console/editions/{edition}/events/{event}/amend`.
pub async fn amend_event(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path((edition, event)): Path<(String, String)>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let fields = read_form(form, login)?;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let event = id_in(&event, EventId, "événement")?;
    let wait = Wait::default();
    let current = event_of(&console, login, edition, event, &wait).await?;
    let about = match about_from(&fields, &current.partners) {
        Ok(about) => about,
        Err(errors) => {
            let page = render_event(
                &console,
                login,
                edition,
                &current,
                &wait,
                Some((&fields, &errors)),
                None,
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, ok(page)).into_response());
        }
    };
    let body = serde_json::to_value(&about).map_err(|_| {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "L'événement n'a pas pu être écrit.",
        )
    })?;
    let key = form_key(
        "amend",
        value(&fields, "nonce"),
        &[&event.to_string(), &body.to_string()],
    );
    let answer = console
        .api
        .post(
            &login.principal,
            &format!("/events/{event}/amend"),
            &key,
            &body,
        )
        .await?;
    Ok(redirect_after(
        &format!("/console/editions/{edition}/events/{event}?"),
        answer.min_seq(),
        "Événement modifié.",
    ))
}

/// `POST /console/editions/{edition}/events/{event}/sessions`: schedules a session; its venue is
/// asked.
pub async fn add_session(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path((edition, event)): Path<(String, String)>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let fields = read_form(form, login)?;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let event = id_in(&event, EventId, "événement")?;
    let (_, days) = edition_days(&console, login, edition).await?;
    let placed = match session_from(&fields, days, &directory(&console), true) {
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
    let answer = console
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
        answer.min_seq(),
        "Séance ajoutée : le lieu est sollicité.",
    ))
}

// ---- A session: its page, cancelled or moved ----

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

/// `GET /console/editions/{edition}/sessions/{session}`: where the session and its registrations
/// stand, with links to move or cancel it.
pub async fn session_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path((edition, id)): Path<(String, String)>,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let id = id_in(&id, SessionId, "séance")?;
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

/// `GET /console/editions/{edition}/sessions/{session}/cancel`: the consequences, a reason, and
/// the button that cancels.
pub async fn cancel_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path((edition, id)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let id = id_in(&id, SessionId, "séance")?;
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
    signed_in: SignedIn,
    headers: HeaderMap,
    Path((edition, id)): Path<(String, String)>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let fields = read_form(form, login)?;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let id = id_in(&id, SessionId, "séance")?;
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
    let answer = console
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
        answer.min_seq(),
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
    Path((edition, id)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let id = id_in(&id, SessionId, "séance")?;
    let s = session_of(&console, login, edition, id, &Wait::default()).await?;
    Ok(ok(move_form(
        login,
        edition,
        &s,
        &directory(&console),
        &current_fields(&s),
        &FieldErrors::new(),
    )))
}

/// What a move changes: the times, the place, or both.
fn changes(s: &SessionView, placed: &Placed) -> (bool, bool) {
    let times = (s.starts_local, s.ends_local) != (placed.starts, placed.ends);
    let place = (s.venue, s.room.as_str()) != (placed.venue, placed.room.as_str());
    (times, place)
}

/// `POST /console/editions/{edition}/sessions/{session}/move`: the consequences of the move and
/// the button that makes it.
pub async fn move_preview(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path((edition, id)): Path<(String, String)>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let fields = read_form(form, login)?;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let id = id_in(&id, SessionId, "séance")?;
    let s = session_of(&console, login, edition, id, &Wait::default()).await?;
    let (_, days) = edition_days(&console, login, edition).await?;
    let venues = directory(&console);
    let refused = |errors: FieldErrors| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            ok(move_form(login, edition, &s, &venues, &fields, &errors)),
        )
            .into_response()
    };
    let placed = match session_from(&fields, days, &venues, false) {
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
    signed_in: SignedIn,
    headers: HeaderMap,
    Path((edition, id)): Path<(String, String)>,
    form: Result<Form<Fields>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let fields = read_form(form, login)?;
    login.organiser()?;
    let edition = edition_id(&edition)?;
    let id = id_in(&id, SessionId, "séance")?;
    let s = session_of(&console, login, edition, id, &Wait::default()).await?;
    let (_, days) = edition_days(&console, login, edition).await?;
    let placed = session_from(&fields, days, &directory(&console), false).map_err(|errors| {
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
        let answer = console
            .api
            .post(&login.principal, &format!("{path}/{what}"), &key, body)
            .await?;
        last = answer.min_seq().or(last);
    }
    Ok(redirect_after(
        &format!("/console/editions/{edition}/sessions/{id}?"),
        last,
        "Séance déplacée : le lieu est sollicité et les partenaires sont prévenus.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn gap() -> Vec<VenueSummary> {
        vec![VenueSummary {
            id: VenueId(Uuid::from_u128(9)),
            name: "EHPAD Les Marronniers".to_owned(),
            town: "Gap".to_owned(),
            insee_code: "05061".to_owned(),
            rooms: vec![(
                "salle-polyvalente".to_owned(),
                "Salle polyvalente".to_owned(),
            )],
        }]
    }

    const DAYS: (Date, Date) = (Date::constant(2027, 4, 12), Date::constant(2027, 4, 23));

    #[test]
    fn an_event_form_gives_its_description_or_every_error() {
        let about = about_from(
            &form(&[
                ("kind", "workshop"),
                ("title", "Atelier soin"),
                ("themes", "health_care"),
                ("audiences", "job_seekers"),
                ("audiences", "young_people"),
                ("discovery_tools", "virtual_reality"),
            ]),
            &[],
        )
        .expect("valid");
        assert_eq!(about.kind, EventKind::Workshop);
        assert_eq!(
            about.audiences,
            [Audience::JobSeekers, Audience::YoungPeople]
        );
        assert_eq!(about.discovery_tools, [DiscoveryTool::VirtualReality]);
        let errors = about_from(&form(&[("kind", "picnic"), ("themes", "gardening")]), &[])
            .expect_err("refused");
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["audiences", "kind", "themes", "title"]
        );
        assert!(errors["themes"].contains("gardening"));
    }

    #[test]
    fn a_session_form_is_checked_against_the_edition_and_the_directory() {
        let placed = session_from(
            &form(&[
                ("date", "2027-04-13"),
                ("start", "09:00"),
                ("end", "12:00"),
                (
                    "place",
                    &place_value(VenueId(Uuid::from_u128(9)), "salle-polyvalente"),
                ),
                ("capacity", "30"),
            ]),
            DAYS,
            &gap(),
            true,
        )
        .expect("valid");
        assert_eq!(placed.starts, Date::constant(2027, 4, 13).at(9, 0, 0, 0));
        assert_eq!(placed.capacity, Some(30));
        let errors = session_from(
            &form(&[
                ("date", "2027-05-13"),
                ("start", "12:00"),
                ("end", "09:00"),
                (
                    "place",
                    &place_value(VenueId(Uuid::from_u128(9)), "cuisine"),
                ),
                ("capacity", "0"),
            ]),
            DAYS,
            &gap(),
            true,
        )
        .expect_err("refused");
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["capacity", "date", "end", "place"]
        );
        let moved = session_from(
            &form(&[
                ("date", "2027-04-14"),
                ("start", "14h"),
                ("end", "16h30"),
                (
                    "place",
                    &place_value(VenueId(Uuid::from_u128(9)), "salle-polyvalente"),
                ),
            ]),
            DAYS,
            &gap(),
            false,
        )
        .expect("no capacity asked for a move");
        assert_eq!(moved.capacity, None);
    }

    #[test]
    fn consequences_count_seats_people_and_partners() {
        let held = |partner: &str, seats, status| Held {
            partner: PartnerId::parse(partner).expect("valid"),
            partner_name: Some(format!("Partenaire {partner}")),
            seats,
            status,
        };
        let c = consequences(&[
            held("mission-locale", 1, Standing::Confirmed),
            held("college-gap", 25, Standing::Confirmed),
            held("mission-locale", 1, Standing::Waiting),
            held("mission-locale", 1, Standing::Cancelled),
            held("france-travail", 1, Standing::Cancelled),
        ]);
        assert_eq!((c.confirmed, c.confirmed_seats), (2, 26));
        assert_eq!((c.waiting, c.waiting_seats, c.cancelled), (1, 1, 2));
        let told: Vec<_> = c.told().map(|(id, _)| id.as_str().to_owned()).collect();
        assert_eq!(
            told,
            ["college-gap", "mission-locale"],
            "not the one whose only registration is cancelled"
        );
        assert_eq!(
            c.partners[&PartnerId::parse("mission-locale").expect("valid")].waiting,
            1
        );
    }
}
