//! Files imported from CSV, the way organisers keep them: a programme, a directory of venues.
//!
//! Every import works the same way, with this module's machinery. **Preview, then all or
//! nothing.** The file (uploaded, or pasted) is read against its columns ([`read_table`]: a
//! header row naming them in any order, `,` or `;` between fields, UTF-8 with or without a
//! byte-order mark), and its `plan` is pure: it checks every row and lists every row's errors
//! ([`Checked`]); nothing is sent while one row has one. The import then sends the API's own
//! commands in order. A log of events has no transaction across aggregates, so "all or nothing"
//! holds this way: everything that could refuse is checked first, and every command's
//! `Idempotency-Key` is derived from the file's [`digest`] and the row, so an import cut short
//! (a crash, a timeout) and sent again completes what is missing and duplicates nothing: the
//! gateway (and, after its 24 hours, the event log) answers what was already recorded with its
//! original outcome. A refusal the check could not foresee stops the import and says which row
//! ([`stopped`]).
//!
//! # Layout
//! - [`programme`]: an edition's programme, one row per session.
//! - [`venues`]: the venues' directory, one row per venue.

pub mod programme;
pub mod venues;

use std::collections::BTreeMap;

use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, Time};
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::form::WithCsrf;
use crate::login::Login;
use crate::page::{Failure, hidden, ok, page, scrolling};

/// The most rows one import takes.
pub const MAX_ROWS: usize = 2_000;

/// One row as checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its line in the file (the header is line 1).
    pub line: usize,
    /// Its fields as written, in the order of its import's preview table (the programme's: date,
    /// start, end, town, venue, kind, title).
    pub shown: Vec<String>,
    /// What is wrong with it, in French; empty when it can be imported.
    pub errors: Vec<String>,
}

/// A file checked row by row: what its preview shows, whether it may be imported, and what its
/// import sends (`T`, each import's own: the programme's events and sessions, the venues).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T> {
    /// Every row, with its errors.
    pub rows: Vec<Row>,
    /// Errors of the file as a whole (no header, a missing column, too many rows).
    pub file_errors: Vec<String>,
    /// What the import sends, in the file's order.
    pub to_send: T,
    /// The file's digest: what the idempotency keys are made of.
    pub digest: String,
}

impl<T: Default> Checked<T> {
    /// A file about to be checked: its digest and the errors of the file as a whole.
    pub fn new(digest: String, file_errors: Vec<String>) -> Self {
        Self {
            rows: Vec::new(),
            file_errors,
            to_send: T::default(),
            digest,
        }
    }
}

impl<T> Checked<T> {
    /// Whether nothing stands in the way.
    pub fn is_clean(&self) -> bool {
        self.file_errors.is_empty() && self.rows.iter().all(|r| r.errors.is_empty())
    }

    /// How many rows have errors.
    pub fn rows_in_error(&self) -> usize {
        self.rows.iter().filter(|r| !r.errors.is_empty()).count()
    }
}

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
            (scrolling("Les lignes du fichier", html! {
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
            }))
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

/// What the preview says when the file cannot be imported: nothing was stored, and why.
pub fn refused_notice<T>(plan: &Checked<T>) -> Markup {
    html! {
        div.alert role="alert" id="import-errors" {
            p { "Rien n'a été enregistré : corrigez "
                @if plan.file_errors.is_empty() { (plan.rows_in_error()) " ligne(s) en erreur" } @else { "le fichier" }
                " puis vérifiez de nouveau." }
            @for e in &plan.file_errors { p { (e) } }
        }
    }
}

/// The form that sends the checked file to be imported: its text again, with the CSRF token.
pub fn commit_form(login: &Login, action: &str, text: &str, button: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (hidden("csrf", &login.csrf))
            input type="hidden" name="text" value=(text);
            p { button type="submit" { (button) } }
        }
    }
}

/// The import's form: the checked text, again.
#[derive(Debug, Deserialize)]
pub struct CommitForm {
    /// The login's CSRF token.
    #[serde(default)]
    csrf: String,
    /// The file's text, as checked.
    pub text: String,
}

impl WithCsrf for CommitForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
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
