//! The organisers' programme: an edition's sessions as a week grid, days across, towns down.
//!
//! Each cell lists the sessions of a town on a day, in time order, each with its venue's answer
//! (requested, confirmed, declined…) and its fill: seats taken over the capacity confirmed, and
//! the waiting list. The figures come from the catalogue read model (drafts included, as an
//! organiser key may see them); `?min_seq=` is passed on, so a page reached after a command shows
//! it. Below the grid, the edition's events lead to their pages (sessions added, moved,
//! cancelled: [`crate::programme`]).

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Response;
use catalogue::{EditionView, SessionView, VenueStatus};
use jiff::civil::Date;
use maud::{Markup, html};
use proto::values::EditionId;
use serde::Deserialize;

use crate::address::Named;
use crate::login::{Login, SignedIn};
use crate::page::{Failure, day_fr, ok, page, scrolling, time_fr};
use crate::routes::Console;

/// What a page may be asked to wait for.
#[derive(Debug, Default, Deserialize)]
pub struct Wait {
    /// `<STREAM>:<seq>`, passed on as `min_seq`.
    pub min_seq: Option<String>,
    /// A message to show (set by a redirection after a command).
    pub done: Option<String>,
}

impl Wait {
    /// The `min_seq` query parameter to add to a read, with its `&`.
    pub fn param(&self) -> String {
        match self.query() {
            query if query.is_empty() => query,
            query => format!("&{query}"),
        }
    }

    /// The `min_seq` query parameter as a read's only one (without `&`); empty when none.
    pub fn query(&self) -> String {
        self.min_seq
            .as_deref()
            .filter(|m| {
                m.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | ','))
            })
            .map(|m| format!("min_seq={m}"))
            .unwrap_or_default()
    }
}

/// Every session of an edition, drafts included, in time order.
pub async fn sessions_of(
    console: &Console,
    login: &Login,
    edition: EditionId,
    wait: &Wait,
) -> Result<Vec<SessionView>, Failure> {
    let path = format!(
        "/catalogue/sessions?edition={edition}&include_drafts=true&limit=200{}",
        wait.param()
    );
    Ok(console.api.get_all(&login.principal, &path).await?)
}

/// `GET /console/editions/{edition}`: the week grid.
pub async fn grid(
    State(console): State<Console>,
    signed_in: SignedIn,
    Named(edition): Named<EditionId>,
    Query(wait): Query<Wait>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let info: EditionView = console
        .api
        .get(&login.principal, &format!("/catalogue/editions/{edition}"))
        .await?;
    let sessions = sessions_of(&console, login, edition, &wait).await?;
    let events: crate::programme::Events = console
        .api
        .get(
            &login.principal,
            &format!("/catalogue/editions/{edition}/events?{}", wait.query()),
        )
        .await?;
    let days: Vec<Date> = info
        .first_day
        .series(jiff::Span::new().days(1))
        .take_while(|d| *d <= info.last_day)
        .collect();
    let mut by_town: BTreeMap<String, BTreeMap<Date, Vec<&SessionView>>> = BTreeMap::new();
    for s in &sessions {
        let town = s.town.clone().unwrap_or_else(|| "Lieu inconnu".to_owned());
        by_town
            .entry(town)
            .or_default()
            .entry(s.starts_local.date())
            .or_default()
            .push(s);
    }
    let confirmed = sessions
        .iter()
        .filter(|s| s.venue_status == VenueStatus::Confirmed && !s.cancelled)
        .count();
    let body = html! {
        p {
            "Du " (day_fr(info.first_day)) " au " (day_fr(info.last_day)) " " (info.last_day.year())
            " · " (sessions.len()) " séance(s), dont " (confirmed) " confirmée(s) par leur lieu."
        }
        nav aria-label="Cette édition" {
            ul.inline {
                li { a href={ "/console/editions/" (edition) "/statistics" } { "Statistiques" } }
                li { a href={ "/console/editions/" (edition) "/import" } { "Importer un programme (CSV)" } }
                li { a href={ "/console/editions/" (edition) "/events/new" } { "Nouvel événement" } }
                li { a href="/console/venues/import" { "Importer des lieux (CSV)" } }
            }
        }
        @if let Some(done) = &wait.done { div.notice role="status" { p { (done) } } }
        @if sessions.is_empty() {
            p { "Aucune séance au programme pour l'instant." }
        } @else {
            (scrolling("Le programme de la semaine", html! {
                table.grid {
                    caption.small { "Le programme, jour par jour (colonnes) et commune par commune (lignes)." }
                    thead {
                        tr {
                            th scope="col" { "Commune" }
                            @for day in &days { th scope="col" { (day_fr(*day)) } }
                        }
                    }
                    tbody {
                        @for (town, cells) in &by_town {
                            tr {
                                th scope="row" { (town) }
                                @for day in &days {
                                    td {
                                        @if let Some(list) = cells.get(day) {
                                            @for s in list { (session_card(s)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }))
        }
        h2 id="evenements" { "Événements (" (events.items.len()) ")" }
        @if events.items.is_empty() {
            p { "Aucun événement pour l'instant." }
        } @else {
            ul {
                @for e in &events.items {
                    li { a href={ "/console/editions/" (edition) "/events/" (e.event) } { (e.title) } " · " (e.kind.label_fr()) }
                }
            }
        }
    };
    Ok(ok(page(&info.name, Some(login), body)))
}

/// The wire name of a venue status.
pub fn status_wire(status: VenueStatus) -> &'static str {
    match status {
        VenueStatus::Requested => "requested",
        VenueStatus::Confirmed => "confirmed",
        VenueStatus::Declined => "declined",
        VenueStatus::Refused => "refused",
        VenueStatus::Withdrawn => "withdrawn",
    }
}

/// One session in a cell of the grid.
fn session_card(s: &SessionView) -> Markup {
    let status = status_wire(s.venue_status);
    let class = if s.cancelled { "cancelled" } else { status };
    let open = s.capacity.is_some() && !s.cancelled && !s.ended;
    html! {
        div class={ "session " (class) } data-session=(s.session) {
            strong { (time_fr(s.starts_local)) "–" (time_fr(s.ends_local)) } " "
            a href={ "/console/editions/" (s.edition) "/sessions/" (s.session) } { (s.title) }
            br;
            span.small { (s.kind.label_fr()) " · " (s.venue_name.as_deref().unwrap_or("lieu inconnu")) }
            br;
            @if s.cancelled {
                span class="badge cancelled" { "Annulée" }
            } @else {
                span class={ "badge " (status) } data-status=(status) { (crate::page::venue_status(status)) }
                @if open { " " span class="badge open" data-open="true" { "Inscriptions ouvertes" } }
            }
            br;
            span.fill {
                @match s.capacity {
                    Some(capacity) => { (s.confirmed_seats) " / " (capacity) " places" }
                    None => { "capacité à confirmer" }
                }
                @if s.waiting_list_length > 0 {
                    " · " (s.waiting_list_length) " en attente (" (s.waiting_seats) " places)"
                }
            }
        }
    }
}
