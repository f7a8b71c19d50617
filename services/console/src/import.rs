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
//! **Preview, then all or nothing.** [`plan`] is pure: it checks every row (dates within the
//! edition, times, a known venue in that town, the taxonomies, the event's description as the
//! contract reads it) and lists every row's errors; nothing is sent while one row has one. The
//! import then sends the commands in order: each event (`POST /events`), then each session
//! (`POST /events/{event}/sessions`). A log of events has no transaction across aggregates, so
//! "all or nothing" holds this way: everything that could refuse is checked first, and every
//! command's `Idempotency-Key` and every session's id are derived from the edition, the file's
//! digest and the row, so an import cut short (a crash, a timeout) and sent again completes what
//! is missing and duplicates nothing: the gateway (and, after its 24 hours, the event log) answers
//! what was already recorded with its original outcome. A refusal the check could not foresee (a
//! session the venue's hours refuse come later, through the venue's answer, not here) stops the
//! import and says which row.

use std::collections::BTreeMap;

use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use catalogue::{EditionView, VenueSummary};
use jiff::civil::{Date, DateTime, Time};
use maud::{Markup, html};
use proto::scheduling::event::About;
use proto::taxonomy::{Audience, EventKind, Theme};
use proto::values::EditionId;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::login::{Login, SignedIn, check_origin};
use crate::organiser::edition_id;
use crate::page::{Failure, hidden, ok, page};
use crate::routes::Console;

/// The most rows one import takes.
pub const MAX_ROWS: usize = 2_000;

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

/// One row as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// Its fields as written: date, start, end, town, venue, kind, title.
    pub shown: Vec<String>,
    /// What is wrong with it, in French; empty when it can be imported.
    pub errors: Vec<String>,
}

/// A session to schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    /// The row's line.
    pub line: usize,
    /// The event it belongs to: an index in [`Plan::events`].
    pub event: usize,
    /// Its id, derived from the edition, the file and the row.
    pub session: Uuid,
    /// The body of `POST /events/{event}/sessions`, without the session id.
    pub body: serde_json::Value,
}

/// What an import would send, or why it cannot.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Every row, with its errors.
    pub rows: Vec<Row>,
    /// Errors of the file as a whole (no header, a missing column, too many rows).
    pub file_errors: Vec<String>,
    /// The events: their description.
    pub events: Vec<About>,
    /// The sessions, in the file's order.
    pub sessions: Vec<SessionPlan>,
    /// The file's digest: what the idempotency keys are made of.
    pub digest: String,
}

/// A file checked row by row (a programme, venues): what its preview shows, and whether it may
/// be imported.
pub trait Checked {
    /// Every row, with its errors.
    fn rows(&self) -> &[Row];

    /// Errors of the file as a whole.
    fn file_errors(&self) -> &[String];

    /// Whether nothing stands in the way.
    fn is_clean(&self) -> bool {
        self.file_errors().is_empty() && self.rows().iter().all(|r| r.errors.is_empty())
    }

    /// How many rows have errors.
    fn rows_in_error(&self) -> usize {
        self.rows().iter().filter(|r| !r.errors.is_empty()).count()
    }
}

impl Checked for Plan {
    fn rows(&self) -> &[Row] {
        &self.rows
    }

    fn file_errors(&self) -> &[String] {
        &self.file_errors
    }
}

impl Plan {}

/// A column of an imported table: the name the code uses and the header names that mean it.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The name the code reads it by.
    pub name: &'static str,
    /// The header names that mean it, lower case; the second (or the first) is the one error
    /// messages use.
    pub aliases: &'static [&'static str],
    /// Whether a file without it is refused (an optional column reads as empty).
    pub required: bool,
}

impl Column {
    /// A column every file must have.
    pub const fn required(name: &'static str, aliases: &'static [&'static str]) -> Self {
        Self {
            name,
            aliases,
            required: true,
        }
    }

    /// A column a file may leave out.
    pub const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Self {
        Self {
            name,
            aliases,
            required: false,
        }
    }

    /// The name a user reads in messages: the French header.
    fn shown(&self) -> &'static str {
        self.aliases
            .get(1)
            .or(self.aliases.first())
            .copied()
            .unwrap_or(self.name)
    }
}

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

/// One row of a CSV file as read: its line and its fields by column name.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// Its fields, trimmed, by [`Column::name`]; a column the file lacks is absent.
    fields: BTreeMap<&'static str, String>,
    /// Why the line could not be read, when it could not.
    pub unreadable: Option<String>,
}

impl Record {
    /// A field, trimmed; empty when the file has no such column.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// A CSV file read against columns: its rows, or what is wrong with the file as a whole.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Every non-empty row, in order.
    pub records: Vec<Record>,
    /// Errors of the file as a whole (no header, a missing column, too many rows).
    pub file_errors: Vec<String>,
}

/// Reads a CSV file (a header row naming the columns in any order, `,` or `;` between fields,
/// at most [`MAX_ROWS`] rows). Pure.
pub fn read_table(text: &str, columns: &[Column]) -> Table {
    let mut table = Table::default();
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(normal).collect(),
        Err(e) => {
            table
                .file_errors
                .push(format!("Le fichier n'est pas un CSV lisible : {e}"));
            return table;
        }
    };
    let mut index: BTreeMap<&'static str, usize> = BTreeMap::new();
    for column in columns {
        match header
            .iter()
            .position(|h| column.aliases.contains(&h.as_str()))
        {
            Some(i) => {
                index.insert(column.name, i);
            }
            None if column.required => table
                .file_errors
                .push(format!("Colonne manquante : « {} »", column.shown())),
            None => {}
        }
    }
    if !table.file_errors.is_empty() {
        return table;
    }
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        if n >= MAX_ROWS {
            table.file_errors.push(format!(
                "Trop de lignes : {MAX_ROWS} lignes au plus par import."
            ));
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                table.records.push(Record {
                    line,
                    fields: BTreeMap::new(),
                    unreadable: Some(format!("Ligne illisible : {e}")),
                });
                continue;
            }
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let fields = index
            .iter()
            .map(|(name, i)| (*name, record.get(*i).unwrap_or("").trim().to_owned()))
            .collect();
        table.records.push(Record {
            line,
            fields,
            unreadable: None,
        });
    }
    table
}

/// Text compared as users mean it: trimmed, lower case.
pub(crate) fn normal(text: &str) -> String {
    text.trim().to_lowercase()
}

/// A date as `2027-04-13` or `13/04/2027`.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if let Ok(date) = text.parse::<Date>() {
        return Some(date);
    }
    let mut parts = text.split('/');
    let day: i8 = parts.next()?.trim().parse().ok()?;
    let month: i8 = parts.next()?.trim().parse().ok()?;
    let year: i16 = parts.next()?.trim().parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Date::new(year, month, day).ok()
}

/// A time as `09:00`, `9h00` or `9h`.
pub(crate) fn parse_time(text: &str) -> Option<Time> {
    let text = normal(text).replace(' ', "");
    let (hour, minute) = text
        .split_once(':')
        .or_else(|| text.split_once('h'))
        .unwrap_or((text.as_str(), "0"));
    let hour: i8 = hour.parse().ok()?;
    let minute: i8 = if minute.is_empty() {
        0
    } else {
        minute.parse().ok()?
    };
    Time::new(hour, minute, 0, 0).ok()
}

/// A taxonomy value by its French label or wire name.
pub(crate) fn taxonomy<T: serde::Serialize + Copy>(
    all: &[T],
    label: fn(T) -> &'static str,
    text: &str,
) -> Option<T> {
    let wanted = normal(text);
    all.iter().copied().find(|v| {
        normal(label(*v)) == wanted
            || serde_json::to_value(v)
                .ok()
                .and_then(|j| j.as_str().map(normal))
                .is_some_and(|w| w == wanted)
    })
}

/// The values of a taxonomy listed in a field (separated by `|` or `/`); each unknown one is an
/// error, and so is an empty list.
pub(crate) fn list<T: serde::Serialize + Copy + PartialEq>(
    all: &[T],
    label: fn(T) -> &'static str,
    text: &str,
    what: &str,
    errors: &mut Vec<String>,
) -> Vec<T> {
    let mut found = Vec::new();
    for part in text
        .split(['|', '/'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match taxonomy(all, label, part) {
            Some(value) if !found.contains(&value) => found.push(value),
            Some(_) => {}
            None => errors.push(format!(
                "{what} inconnu : « {part} » (attendu : {})",
                all.iter().map(|v| label(*v)).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    if found.is_empty() && !text.trim().is_empty() {
        return found;
    }
    if found.is_empty() {
        errors.push(format!("{what} : au moins un est nécessaire"));
    }
    found
}

/// The file's digest, within a scope (an edition's id): what an import's keys are derived from.
pub fn digest(scope: &[u8], text: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(scope);
    hash.update(text.replace("\r\n", "\n").trim().as_bytes());
    hash.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks every row of a programme's CSV against the edition and the venues.
pub fn plan(text: &str, context: &Context) -> Plan {
    let digest = digest(context.edition.0.as_bytes(), text);
    let mut plan = Plan {
        rows: Vec::new(),
        file_errors: Vec::new(),
        events: Vec::new(),
        sessions: Vec::new(),
        digest: digest.clone(),
    };
    let table = read_table(text, COLUMNS);
    plan.file_errors = table.file_errors;
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
                    let known = &plan.events[i];
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
                    plan.events.push(about.clone());
                    events.insert((kind, normal(&title)), plan.events.len() - 1);
                    Some(plan.events.len() - 1)
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
            plan.sessions.push(SessionPlan {
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
    let edition = edition_id(edition)?;
    let info: EditionView = console
        .api
        .get(&login.principal, &format!("/catalogue/editions/{edition}"))
        .await?;
    let venues = console
        .catalogue
        .as_ref()
        .map(catalogue::venues)
        .unwrap_or_default();
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

/// What an import's pages say about its file.
#[derive(Debug, Clone, Copy)]
pub struct Upload {
    /// Where the form is sent (the preview).
    pub action: &'static str,
    /// The file field's label.
    pub label: &'static str,
    /// The columns expected, told under the text area.
    pub help: &'static str,
}

const PROGRAMME: Upload = Upload {
    action: "/console/editions/{}/import",
    label: "Fichier CSV du programme",
    help: "Une ligne par séance, avec un en-tête : date, début, fin, commune, lieu, type, titre, \
           thèmes, publics, places. Plusieurs thèmes ou publics se séparent par « | ».",
};

/// The upload form (a file or pasted text), sent to `action` with `{}` replaced by `id`.
pub fn upload_form(upload: &Upload, id: &str, login: &Login, text: &str) -> Markup {
    html! {
        form method="post" action=(upload.action.replace("{}", id)) enctype="multipart/form-data" {
            (hidden("csrf", &login.csrf))
            label for="file" { (upload.label) }
            input type="file" id="file" name="file" accept=".csv,text/csv";
            label for="text" { "… ou collez son contenu" }
            textarea id="text" name="text" rows="8" aria-describedby="columns" { (text) }
            p.small id="columns" { (upload.help) }
            p { button type="submit" { "Vérifier (rien n'est enregistré)" } }
        }
    }
}

/// Reads an upload form: its CSRF token (checked against the session) and the file's text (the
/// file when one was chosen, else what was pasted), without a byte-order mark.
pub async fn read_upload(login: &Login, mut multipart: Multipart) -> Result<String, Failure> {
    let mut csrf = String::new();
    let mut file = String::new();
    let mut pasted = String::new();
    let unreadable = |_| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "Le formulaire n'a pas pu être lu (un fichier de plus de 1 Mo ?).",
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(unreadable)?;
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Le fichier doit être enregistré en UTF-8 (CSV UTF-8 dans le tableur).",
            )
        })?;
        match name.as_str() {
            "csrf" => csrf = text,
            "file" => file = text,
            "text" => pasted = text,
            _ => {}
        }
    }
    login.check_csrf(&csrf)?;
    let text = if file.trim().is_empty() { pasted } else { file };
    Ok(text.trim_start_matches('\u{feff}').to_owned())
}

/// The preview's table: every row with its fields as written (under `headings`) and its errors.
pub fn rows_table(headings: &[&str], rows: &[Row]) -> Markup {
    html! {
        @if !rows.is_empty() {
            div.scroll {
                table {
                    caption.small { "Chaque ligne du fichier et ce qui l'empêche d'être importée." }
                    thead { tr {
                        th scope="col" { "Ligne" }
                        @for heading in headings { th scope="col" { (heading) } }
                        th scope="col" { "Erreurs" }
                    } }
                    tbody {
                        @for row in rows {
                            tr class=[(!row.errors.is_empty()).then_some("error")] data-line=(row.line) {
                                th scope="row" { (row.line) }
                                @for i in 0..headings.len() { td { (row.shown.get(i).map_or("", String::as_str)) } }
                                td {
                                    @if row.errors.is_empty() { "—" } @else {
                                        ul { @for e in &row.errors { li { (e) } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The answer to a preview: 200 when the file can be imported, 422 otherwise.
pub fn preview_answer(clean: bool, title: &str, login: &Login, body: Markup) -> Response {
    let status = if clean {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, ok(page(title, Some(login), body))).into_response()
}

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
                p { (plan.rows.len()) " séance(s) dans " (plan.events.len()) " événement(s), sans erreur. Rien n'est encore enregistré." }
            }
            form method="post" action={ "/console/editions/" (context.edition) "/import/commit" } {
                (hidden("csrf", &login.csrf))
                input type="hidden" name="text" value=(text);
                p { button type="submit" { "Importer ces " (plan.rows.len()) " séance(s)" } }
            }
        } @else {
            div.alert role="alert" id="import-errors" {
                p { "Rien n'a été enregistré : corrigez "
                    @if plan.file_errors.is_empty() { (plan.rows_in_error()) " ligne(s) en erreur" } @else { "le fichier" }
                    " puis vérifiez de nouveau." }
                @for e in &plan.file_errors { p { (e) } }
            }
        }
        (rows_table(&["Date", "Début", "Fin", "Commune", "Lieu", "Type", "Titre"], &plan.rows))
        h2 { "Corriger et vérifier de nouveau" }
        (upload_form(&PROGRAMME, &context.edition.to_string(), login, text))
    }
}

/// The import's form: the checked text, again.
#[derive(Debug, Deserialize)]
pub struct CommitForm {
    csrf: String,
    text: String,
}

/// `POST /console/editions/{edition}/import/commit`: checks again, then sends every command.
pub async fn commit(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(edition): Path<String>,
    form: Result<Form<CommitForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let Ok(Form(form)) = form else {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "Le formulaire est incomplet.",
        ));
    };
    login.check_csrf(&form.csrf)?;
    let (context, _) = context(&console, login, &edition).await?;
    let plan = plan(&form.text, &context);
    if !plan.is_clean() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Le programme a des erreurs : rien n'a été enregistré. Revenez à la vérification.",
        ));
    }
    let mut event_ids = Vec::new();
    for (k, about) in plan.events.iter().enumerate() {
        let key = format!("import-{}-event-{k}", plan.digest);
        let answer = console
            .api
            .post(
                &login.principal,
                "/events",
                &key,
                &json!({ "edition": context.edition, "about": about }),
            )
            .await
            .map_err(|p| stopped(p, &format!("l'événement « {} »", about.title.as_str())))?;
        let id = answer.body["event"].as_str().unwrap_or("").to_owned();
        event_ids.push(id);
    }
    let mut last = None;
    for s in &plan.sessions {
        let Some(event) = event_ids.get(s.event) else {
            continue;
        };
        let mut body = s.body.clone();
        body["session"] = json!(s.session);
        let key = format!("import-{}-session-{}", plan.digest, s.line);
        let answer = console
            .api
            .post(
                &login.principal,
                &format!("/events/{event}/sessions"),
                &key,
                &body,
            )
            .await
            .map_err(|p| stopped(p, &format!("la ligne {}", s.line)))?;
        last = answer.min_seq().or(last);
    }
    let mut url = format!("/console/editions/{}?", context.edition);
    if let Some(min_seq) = last {
        url.push_str(&format!("min_seq={min_seq}&"));
    }
    url.push_str(&format!(
        "done={}%20s%C3%A9ance(s)%20import%C3%A9e(s).",
        plan.sessions.len()
    ));
    Ok(Redirect::to(&url).into_response())
}

/// A command refused in the middle of an import.
pub(crate) fn stopped(problem: crate::api::Problem, what: &str) -> Failure {
    let mut failure = Failure::from(problem);
    failure.message = format!(
        "L'import s'est arrêté sur {what}. Ce qui précède est enregistré ; renvoyer le même \
         fichier reprend là où il s'est arrêté, sans rien créer deux fois. ({})",
        failure.message
    );
    failure
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
        assert_eq!(plan.events.len(), 1);
        assert_eq!(plan.sessions.len(), 2);
        assert_eq!(plan.sessions[0].body["starts"], "2027-04-13T09:00:00");
        assert_eq!(plan.sessions[1].body["capacity_wanted"], 20);
        assert_eq!(plan.sessions[0].body["room"], "salle-polyvalente");
        let again = super::plan(&text, &context());
        assert_eq!(
            again.sessions[0].session, plan.sessions[0].session,
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
