//! Events of the programme: created from the console, their description amended.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use catalogue::{EventView, SessionView};
use gateway::routes::events::EventRecorded;
use maud::{Markup, html};
use proto::scheduling::event::About;
use proto::taxonomy::{Audience, DiscoveryTool, EventKind, Theme};
use proto::values::{EditionId, EventId, PartnerId};
use serde_json::json;

use super::sessions::session_form;
use super::{edition_days, event_of, when_text};
use crate::address::Named;
use crate::form::{
    FieldErrors, Fields, Posted, checkboxes, checked, described, error_summary, field_error,
    invalid, value, values, wire,
};
use crate::login::{Login, SignedIn};
use crate::organiser::{Wait, sessions_of, status_wire};
use crate::page::{
    Failure, form_key, hidden, nonce, ok, page, redirect_after, scrolling, venue_status,
};
use crate::routes::Console;

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

/// `GET /console/editions/{edition}/events/new`: the new event's form.
pub async fn new_event(
    State(console): State<Console>,
    signed_in: SignedIn,
    Named(edition): Named<EditionId>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
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
    Named(edition): Named<EditionId>,
    Posted {
        signed_in,
        form: fields,
    }: Posted<Fields>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
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
    let answer: EventRecorded = console
        .api
        .post(&login.principal, "/events", &key, &body)
        .await?;
    Ok(redirect_after(
        &format!("/console/editions/{edition}/events/{}?", answer.event),
        Some(answer.recorded.min_seq()),
        "Événement créé. Ajoutez-lui ses séances.",
    ))
}

/// `GET /console/editions/{edition}/events/{event}`: the event, its amend form, its sessions
/// and the form to add one.
pub async fn event_page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Named((edition, event)): Named<(EditionId, EventId)>,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let found = event_of(&console, login, edition, event, &wait).await?;
    Ok(ok(render_event(
        &console, login, edition, &found, &wait, None, None,
    )
    .await?))
}

/// The event's page, with a refused amend or session form shown again.
pub(crate) async fn render_event(
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
    let venues = console.venue_directory();
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
            (scrolling("Les séances de l'événement", html! {
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
            }))
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
    Named((edition, event)): Named<(EditionId, EventId)>,
    Posted {
        signed_in,
        form: fields,
    }: Posted<Fields>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
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
    let answer: EventRecorded = console
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
        Some(answer.recorded.min_seq()),
        "Événement modifié.",
    ))
}
