//! A programme imported from CSV, the way organisers keep it: one row per session.
//!
//! Columns (a header row, in any order; `,` or `;` between fields): `date` (`2027-04-13` or
//! `13/04/2027`), `début` and `fin` (`09:00` or `9h00`), `commune`, `lieu` (the venue's name, as
//! registered; its first room is asked), `type` (the event kind, as its French label or wire
//! name), `titre`, `thèmes` and `publics` (several separated by `|` or `/`), `places` (the
//! capacity wanted). The English names (`start`, `end`, `town`, `venue`, `kind`, `title`,
//! `themes`, `audiences`, `capacity`) are read too. Rows with the same type and title are the
//! sessions of one event.
//!
//! Checked and imported as every import is (see [`crate::import`]): [`plan`] checks every row
//! (dates within the edition, times, a known venue in that town, the taxonomies, the event's
//! description as the contract reads it). The import then sends each event (`POST /events`),
//! then each session (`POST /events/{event}/sessions`); every session's id, like every key, is
//! derived from the edition, the file's digest and the row. A session the venue's hours refuse
//! is refused later, through the venue's answer, not here.

use gateway::routes::events::{EventRecorded, SessionScheduled};
use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use catalogue::{EditionView, VenueSummary};
use jiff::civil::{Date, DateTime};
use maud::{Markup, html};
use proto::scheduling::event::About;
use proto::taxonomy::{Audience, EventKind, Theme};
use proto::values::EditionId;
use serde_json::json;
use uuid::Uuid;

use super::{
    Checked, Column, CommitForm, Row, Upload, commit_form, digest, list, normal, parse_date,
    parse_time, preview_answer, read_table, read_upload, refused_notice, rows_table, stopped,
    taxonomy, upload_form,
};
use crate::form::Posted;
use crate::login::{Login, SignedIn, check_origin};
use crate::page::{Failure, ok, page};
use crate::routes::Console;

/// The ids of sessions made by an import (UUID v5 namespace).
const IMPORTED: Uuid = Uuid::from_u128(0x5e3a_1e00_0000_4000_8000_696d_706f_7274);

/// What the rows are checked against.
#[derive(Debug, Clone)]
pub struct Context {
    /// The edition.
    pub edition: EditionId,
    /// Its first day.
    pub first_day: Date,
    /// Its last day.
    pub last_day: Date,
    /// The venues, to find a row's by name and town.
    pub venues: Vec<VenueSummary>,
}

/// A session to schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    /// The row's line.
    pub line: usize,
    /// The event it belongs to: an index in [`Programme::events`].
    pub event: usize,
    /// Its id, derived from the edition, the file and the row.
    pub session: Uuid,
    /// The body of `POST /events/{event}/sessions`, without the session id.
    pub body: serde_json::Value,
}

/// What a programme's import sends: its events, then their sessions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Programme {
    /// The events: their description.
    pub events: Vec<About>,
    /// The sessions, in the file's order.
    pub sessions: Vec<SessionPlan>,
}

/// A programme's file, checked.
pub type Plan = Checked<Programme>;

/// The programme's columns, by the names a header may give them.
const COLUMNS: &[Column] = &[
    Column::required("date", &["date", "jour"]),
    Column::required("start", &["start", "début", "debut", "heure de début"]),
    Column::required("end", &["end", "fin", "heure de fin"]),
    Column::required("town", &["town", "commune", "ville"]),
    Column::required("venue", &["venue", "lieu"]),
    Column::required("kind", &["kind", "type"]),
    Column::required("title", &["title", "titre"]),
    Column::required("themes", &["themes", "thèmes", "theme", "thème"]),
    Column::required("audiences", &["audiences", "publics", "public"]),
    Column::required(
        "capacity",
        &[
            "capacity",
            "capacity_wanted",
            "places",
            "places souhaitées",
            "capacité",
        ],
    ),
];

/// Checks every row of a programme's CSV against the edition and the venues.
pub fn plan(text: &str, context: &Context) -> Plan {
    let digest = digest(context.edition.0.as_bytes(), text);
    let table = read_table(text, COLUMNS);
    let mut plan = Plan::new(digest.clone(), table.file_errors);
    if !plan.file_errors.is_empty() && table.records.is_empty() {
        return plan;
    }
    let mut events: BTreeMap<(EventKind, String), usize> = BTreeMap::new();
    for record in &table.records {
        let line = record.line;
        if let Some(unreadable) = &record.unreadable {
            plan.rows.push(Row {
                line,
                shown: Vec::new(),
                errors: vec![unreadable.clone()],
            });
            continue;
        }
        let field = |name: &str| record.field(name).to_owned();
        let mut errors = Vec::new();
        let shown: Vec<String> = ["date", "start", "end", "town", "venue", "kind", "title"]
            .iter()
            .map(|c| field(c))
            .collect();
        let date = parse_date(&field("date"));
        match date {
            None => errors.push(format!(
                "Date illisible : « {} » (attendu : 2027-04-13 ou 13/04/2027)",
                field("date")
            )),
            Some(d) if d < context.first_day || d > context.last_day => errors.push(format!(
                "Le {d} n'est pas dans l'édition (du {} au {})",
                context.first_day, context.last_day
            )),
            Some(_) => {}
        }
        let starts = parse_time(&field("start"));
        let ends = parse_time(&field("end"));
        if starts.is_none() {
            errors.push(format!("Heure de début illisible : « {} »", field("start")));
        }
        if ends.is_none() {
            errors.push(format!("Heure de fin illisible : « {} »", field("end")));
        }
        if let (Some(s), Some(e)) = (starts, ends)
            && e <= s
        {
            errors.push("La fin doit être après le début".to_owned());
        }
        let town = field("town");
        let venue_name = field("venue");
        let venue = context.venues.iter().find(|v| {
            normal(&v.name) == normal(&venue_name)
                && (normal(&v.town) == normal(&town) || v.insee_code == town)
        });
        let room = venue.and_then(|v| v.rooms.first());
        match (venue, room) {
            (None, _) => errors.push(format!(
                "Lieu inconnu : « {venue_name} » à « {town} » (le lieu doit être enregistré avant)"
            )),
            (Some(_), None) => errors.push(format!("Le lieu « {venue_name} » n'a pas de salle")),
            _ => {}
        }
        let kind = taxonomy(EventKind::ALL, EventKind::label_fr, &field("kind"));
        if kind.is_none() {
            errors.push(format!(
                "Type inconnu : « {} » (attendu : {})",
                field("kind"),
                EventKind::ALL
                    .iter()
                    .map(|k| k.label_fr())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let themes = list(
            Theme::ALL,
            Theme::label_fr,
            &field("themes"),
            "Thème",
            &mut errors,
        );
        let audiences = list(
            Audience::ALL,
            Audience::label_fr,
            &field("audiences"),
            "Public",
            &mut errors,
        );
        let capacity: Option<u32> = field("capacity")
            .parse()
            .ok()
            .filter(|c| (1..=100_000).contains(c));
        if capacity.is_none() {
            errors.push(format!(
                "Nombre de places illisible : « {} » (un entier de 1 à 100 000)",
                field("capacity")
            ));
        }
        let title = field("title");
        let about = kind.and_then(|kind| {
            let value =
                json!({ "kind": kind, "title": title, "themes": themes, "audiences": audiences });
            match serde_json::from_value::<About>(value) {
                Ok(about) => Some(about),
                Err(e) => {
                    errors.push(format!("Titre ou description refusés : {e}"));
                    None
                }
            }
        });
        let event = match (&about, kind) {
            (Some(about), Some(kind)) => match events.get(&(kind, normal(&title))) {
                Some(&i) => {
                    let known = &plan.to_send.events[i];
                    if known.themes != about.themes || known.audiences != about.audiences {
                        errors.push(
                            "Même type et même titre qu'une ligne précédente, mais d'autres \
                             thèmes ou publics"
                                .to_owned(),
                        );
                    }
                    Some(i)
                }
                None if errors.is_empty() => {
                    plan.to_send.events.push(about.clone());
                    events.insert((kind, normal(&title)), plan.to_send.events.len() - 1);
                    Some(plan.to_send.events.len() - 1)
                }
                None => None,
            },
            _ => None,
        };
        if errors.is_empty()
            && let (Some(event), Some(date), Some(s), Some(e), Some(v), Some(room), Some(capacity)) =
                (event, date, starts, ends, venue, room, capacity)
        {
            let session = Uuid::new_v5(
                &IMPORTED,
                format!("{}:{digest}:{line}", context.edition).as_bytes(),
            );
            plan.to_send.sessions.push(SessionPlan {
                line,
                event,
                session,
                body: json!({
                    "starts": DateTime::from_parts(date, s),
                    "ends": DateTime::from_parts(date, e),
                    "venue": v.id,
                    "room": room.0,
                    "capacity_wanted": capacity,
                }),
            });
        }
        plan.rows.push(Row {
            line,
            shown,
            errors,
        });
    }
    if plan.rows.is_empty() && plan.file_errors.is_empty() {
        plan.file_errors
            .push("Le fichier ne contient aucune séance.".to_owned());
    }
    plan
}

// ---- The pages ----

async fn context(
    console: &Console,
    login: &Login,
    edition: &str,
) -> Result<(Context, String), Failure> {
    login.organiser()?;
    let edition = crate::address::parse::<EditionId>(edition)?;
    let info: EditionView = console
        .api
        .get(&login.principal, &format!("/catalogue/editions/{edition}"))
        .await?;
    let venues = console.venue_directory();
    Ok((
        Context {
            edition,
            first_day: info.first_day,
            last_day: info.last_day,
            venues,
        },
        info.name,
    ))
}

const PROGRAMME: Upload = Upload {
    action: "/console/editions/{}/import",
    label: "Fichier CSV du programme",
    help: "Une ligne par séance, avec un en-tête : date, début, fin, commune, lieu, type, titre, \
           thèmes, publics, places. Plusieurs thèmes ou publics se séparent par « | ».",
};

/// `GET /console/editions/{edition}/import`: the upload form.
pub async fn form(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path(edition): Path<String>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let (context, name) = context(&console, login, &edition).await?;
    Ok(ok(page(
        &format!("Importer un programme — {name}"),
        Some(login),
        upload_form(&PROGRAMME, &context.edition.to_string(), login, ""),
    )))
}

/// `POST /console/editions/{edition}/import`: the preview, every row with its errors.
pub async fn preview(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(edition): Path<String>,
    multipart: Multipart,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let text = read_upload(login, multipart).await?;
    let (context, name) = context(&console, login, &edition).await?;
    let plan = plan(&text, &context);
    let body = preview_page(login, &context, &plan, &text);
    Ok(preview_answer(
        plan.is_clean(),
        &format!("Vérification de l'import — {name}"),
        login,
        body,
    ))
}

fn preview_page(login: &Login, context: &Context, plan: &Plan, text: &str) -> Markup {
    html! {
        @if plan.is_clean() {
            div.notice role="status" {
                p { (plan.rows.len()) " séance(s) dans " (plan.to_send.events.len()) " événement(s), sans erreur. Rien n'est encore enregistré." }
            }
            (commit_form(
                login,
                &format!("/console/editions/{}/import/commit", context.edition),
                text,
                &format!("Importer ces {} séance(s)", plan.rows.len()),
            ))
        } @else {
            (refused_notice(plan))
        }
        (rows_table(&["Date", "Début", "Fin", "Commune", "Lieu", "Type", "Titre"], &plan.rows))
        h2 { "Corriger et vérifier de nouveau" }
        (upload_form(&PROGRAMME, &context.edition.to_string(), login, text))
    }
}

/// `POST /console/editions/{edition}/import/commit`: checks again, then sends every command.
pub async fn commit(
    State(console): State<Console>,
    Path(edition): Path<String>,
    Posted {
        signed_in,
        form: CommitForm { text, .. },
    }: Posted<CommitForm>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    let (context, _) = context(&console, login, &edition).await?;
    let plan = plan(&text, &context);
    if !plan.is_clean() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Le programme a des erreurs : rien n'a été enregistré. Revenez à la vérification.",
        ));
    }
    let mut event_ids = Vec::new();
    for (k, about) in plan.to_send.events.iter().enumerate() {
        let key = format!("import-{}-event-{k}", plan.digest);
        let answer: EventRecorded = console
            .api
            .post(
                &login.principal,
                "/events",
                &key,
                &json!({ "edition": context.edition, "about": about }),
            )
            .await
            .map_err(|p| stopped(p, &format!("l'événement « {} »", about.title.as_str())))?;
        event_ids.push(answer.event);
    }
    let mut last = None;
    for s in &plan.to_send.sessions {
        let Some(event) = event_ids.get(s.event) else {
            continue;
        };
        let mut body = s.body.clone();
        body["session"] = json!(s.session);
        let key = format!("import-{}-session-{}", plan.digest, s.line);
        let answer: SessionScheduled = console
            .api
            .post(
                &login.principal,
                &format!("/events/{event}/sessions"),
                &key,
                &body,
            )
            .await
            .map_err(|p| stopped(p, &format!("la ligne {}", s.line)))?;
        last = Some(answer.recorded.min_seq());
    }
    let mut url = format!("/console/editions/{}?", context.edition);
    if let Some(min_seq) = last {
        url.push_str(&format!("min_seq={min_seq}&"));
    }
    url.push_str(&format!(
        "done={}%20s%C3%A9ance(s)%20import%C3%A9e(s).",
        plan.to_send.sessions.len()
    ));
    Ok(Redirect::to(&url).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> Context {
        Context {
            edition: EditionId(Uuid::from_u128(7)),
            first_day: Date::constant(2027, 4, 12),
            last_day: Date::constant(2027, 4, 23),
            venues: vec![VenueSummary {
                id: proto::values::VenueId(Uuid::from_u128(9)),
                name: "EHPAD Les Marronniers".to_owned(),
                town: "Gap".to_owned(),
                insee_code: "05061".to_owned(),
                rooms: vec![(
                    "salle-polyvalente".to_owned(),
                    "Salle polyvalente".to_owned(),
                )],
            }],
        }
    }

    const HEADER: &str = "date;début;fin;commune;lieu;type;titre;thèmes;publics;places\n";

    #[test]
    fn a_clean_file_plans_one_event_per_kind_and_title() {
        let text = format!(
            "{HEADER}13/04/2027;9h00;12:00;Gap;EHPAD Les Marronniers;Portes ouvertes;Visite;Grand âge et autonomie;Tout public|Jeunes (16-25 ans);30\n\
             2027-04-14;14:00;16:00;gap;ehpad les marronniers;open_door;Visite;elderly_autonomy;general_public|young_people;20\n"
        );
        let plan = plan(&text, &context());
        assert!(plan.is_clean(), "{plan:?}");
        assert_eq!(plan.to_send.events.len(), 1);
        assert_eq!(plan.to_send.sessions.len(), 2);
        assert_eq!(
            plan.to_send.sessions[0].body["starts"],
            "2027-04-13T09:00:00"
        );
        assert_eq!(plan.to_send.sessions[1].body["capacity_wanted"], 20);
        assert_eq!(plan.to_send.sessions[0].body["room"], "salle-polyvalente");
        let again = super::plan(&text, &context());
        assert_eq!(
            again.to_send.sessions[0].session, plan.to_send.sessions[0].session,
            "ids are derived"
        );
    }

    #[test]
    fn every_row_error_is_listed_and_nothing_is_planned_for_it() {
        let text = format!(
            "{HEADER}2027-05-01;9:00;8:00;Gap;Inconnu;Pique-nique;;Jardinage;;beaucoup\n\
             2027-04-13;9:00;12:00;Gap;EHPAD Les Marronniers;Atelier;Ok;Soin;Élèves;12\n"
        );
        let plan = plan(&text, &context());
        assert!(!plan.is_clean());
        assert_eq!(plan.rows_in_error(), 1);
        let errors = plan.rows[0].errors.join("\n");
        for expected in [
            "n'est pas dans l'édition",
            "La fin doit être après le début",
            "Lieu inconnu",
            "Type inconnu",
            "Thème inconnu",
            "Public : au moins un",
            "Nombre de places illisible",
        ] {
            assert!(errors.contains(expected), "{expected} in {errors}");
        }
        assert!(plan.rows[1].errors.is_empty());
    }

    #[test]
    fn a_missing_column_is_a_file_error() {
        let plan = plan("date,titre\n2027-04-13,x\n", &context());
        assert!(!plan.is_clean());
        assert!(
            plan.file_errors.iter().any(|e| e.contains("début")),
            "{plan:?}"
        );
    }
}
