//! Venues imported from CSV, the way organisers keep their directory: one row per venue.
//!
//! Columns (a header row, in any order; `,` or `;` between fields; [`super::read_table`]
//! reads them): `nom`, `type` (the venue kind, as its French label or wire name), `adresse`,
//! `code postal`, `commune`, `code insee`, `contact` (a name or a role at the venue),
//! `capacité max` (the room's), `horaires` (`lun-ven 9h-17h`, several spans separated by `|`);
//! and, if wanted, `email`, `téléphone`, `salle` (the room's name; "Salle principale" when
//! empty), `accessibilité` (`plain-pied | toilettes adaptées | boucle magnétique | parking`: what
//! is listed is known to be there, the rest is "not known") and `équipements` (separated by
//! `|`). The English names (`name`, `kind`, `street`, `postcode`, `town`, `insee_code`,
//! `max_capacity`, `opening_hours`, `phone`, `room`, `accessibility`, `equipment`) are read too.
//!
//! It is checked and imported as every import is ([`crate::import`]): [`plan`] is pure and lists
//! every row's errors (the venue's registration as the contract reads it, checked before
//! anything is sent); nothing is sent while one row has one. A venue already in the directory
//! (same name, same town) is not sent again: the row says so. The import then registers each
//! venue (`POST /venues`) with an `Idempotency-Key` derived from the file's digest and the row,
//! so an import cut short and sent again completes what is missing and creates nothing twice
//! (the gateway derives a venue's id from the key).

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use catalogue::VenueSummary;
use gateway::routes::venues::VenueRecorded;
use jiff::civil::Time;
use maud::{Markup, html};
use proto::taxonomy::{Equipment, VenueKind};
use proto::venues::{OpeningHours, Register, Weekday};
use serde_json::json;

use super::{
    Checked, Column, CommitForm, Row, Upload, commit_form, digest, list, normal, parse_time,
    preview_answer, read_table, read_upload, refused_notice, rows_table, stopped, taxonomy,
    upload_form,
};
use crate::form::Posted;
use crate::login::{Login, SignedIn, check_origin};
use crate::page::{Failure, ok, page};
use crate::routes::Console;

/// The columns, by the names a header may give them.
const COLUMNS: &[Column] = &[
    Column::required("name", &["name", "nom"]),
    Column::required("kind", &["kind", "type"]),
    Column::required("street", &["street", "adresse"]),
    Column::required("postcode", &["postcode", "code postal"]),
    Column::required("town", &["town", "commune", "ville"]),
    Column::required("insee", &["insee_code", "code insee", "insee"]),
    Column::required("contact", &["contact_name", "contact"]),
    Column::required(
        "capacity",
        &[
            "max_capacity",
            "capacité max",
            "capacite max",
            "capacité",
            "places",
        ],
    ),
    Column::required("hours", &["opening_hours", "horaires"]),
    Column::optional("email", &["email", "courriel", "e-mail"]),
    Column::optional("phone", &["phone", "téléphone", "telephone"]),
    Column::optional("room", &["room", "salle"]),
    Column::optional(
        "accessibility",
        &["accessibility", "accessibilité", "accessibilite"],
    ),
    Column::optional(
        "equipment",
        &["equipment", "équipements", "equipements", "équipement"],
    ),
];

/// What the preview's table shows of a row.
const SHOWN: &[&str] = &["name", "kind", "town", "room", "capacity", "hours"];
/// Their headings.
const HEADINGS: &[&str] = &["Nom", "Type", "Commune", "Salle", "Capacité", "Horaires"];

/// The room of a row that names none.
const DEFAULT_ROOM: &str = "Salle principale";

const UPLOAD: Upload = Upload {
    action: "/console/venues/import",
    label: "Fichier CSV des lieux",
    help: "Une ligne par lieu, avec un en-tête : nom, type, adresse, code postal, commune, \
           code insee, contact, capacité max, horaires (« lun-ven 9h-17h », plusieurs plages \
           séparées par « | ») ; et si besoin email, téléphone, salle, accessibilité \
           (plain-pied | toilettes adaptées | boucle magnétique | parking), équipements.",
};

/// A venue to register.
#[derive(Debug, Clone, PartialEq)]
pub struct VenuePlan {
    /// The row's line.
    pub line: usize,
    /// The body of `POST /venues`.
    pub body: serde_json::Value,
}

/// What a venues' import sends.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Directory {
    /// The venues to register, in the file's order.
    pub venues: Vec<VenuePlan>,
    /// The lines of venues already in the directory, not sent again.
    pub known: Vec<usize>,
}

/// A venues' file, checked.
pub type Plan = Checked<Directory>;

/// A day of the week by its French name or its first three letters (`lun`, `mardi`…).
fn weekday(text: &str) -> Option<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("lun", Weekday::Monday),
        ("mar", Weekday::Tuesday),
        ("mer", Weekday::Wednesday),
        ("jeu", Weekday::Thursday),
        ("ven", Weekday::Friday),
        ("sam", Weekday::Saturday),
        ("dim", Weekday::Sunday),
    ];
    let text = normal(text);
    let prefix: String = text.chars().take(3).collect();
    DAYS.iter().find(|(p, _)| *p == prefix).map(|(_, d)| *d)
}

/// Every day from `first` to `last` of the week, in order (`ven-lun` is refused).
fn days_between(first: Weekday, last: Weekday) -> Option<Vec<Weekday>> {
    const ORDER: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    let from = ORDER.iter().position(|d| *d == first)?;
    let to = ORDER.iter().position(|d| *d == last)?;
    (from <= to).then(|| ORDER[from..=to].to_vec())
}

/// Opening hours as organisers write them: `lun-ven 9h-17h`, `lun,mer 8h30-12h`, several spans
/// separated by `|`. Pure.
pub fn parse_hours(text: &str) -> Result<Vec<OpeningHours>, String> {
    let unreadable = |part: &str| {
        format!(
            "Horaires illisibles : « {part} » (attendu : « lun-ven 9h-17h », plusieurs plages séparées par « | »)"
        )
    };
    let mut hours = Vec::new();
    for part in text.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        let (days, times) = part.split_once(' ').ok_or_else(|| unreadable(part))?;
        let times = times.replace(' ', "");
        let (opens, closes) = times.split_once('-').ok_or_else(|| unreadable(part))?;
        let (opens, closes): (Time, Time) = parse_time(opens)
            .zip(parse_time(closes))
            .ok_or_else(|| unreadable(part))?;
        if closes <= opens {
            return Err(format!("Horaires : « {part} » ferme avant d'ouvrir"));
        }
        let mut listed = Vec::new();
        for item in days.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let span = match item.split_once('-') {
                Some((first, last)) => weekday(first)
                    .zip(weekday(last))
                    .and_then(|(first, last)| days_between(first, last)),
                None => weekday(item).map(|day| vec![day]),
            };
            listed.extend(span.ok_or_else(|| unreadable(part))?);
        }
        if listed.is_empty() {
            return Err(unreadable(part));
        }
        hours.extend(
            listed
                .into_iter()
                .map(|day| OpeningHours { day, opens, closes }),
        );
    }
    if hours.is_empty() {
        return Err("Horaires : au moins une plage est nécessaire (« lun-ven 9h-17h »)".to_owned());
    }
    Ok(hours)
}

/// Accessibility facts listed in a field: each listed fact is known to be there.
fn parse_accessibility(text: &str, errors: &mut Vec<String>) -> serde_json::Value {
    let mut facts = serde_json::Map::new();
    for item in text
        .split(['|', ','])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let wanted = normal(item);
        let fact = if wanted.contains("plain-pied") || wanted.contains("step_free") {
            "step_free_entrance"
        } else if wanted.contains("toilette") {
            "accessible_toilets"
        } else if wanted.contains("boucle") || wanted.contains("hearing") {
            "hearing_loop"
        } else if wanted.contains("parking") {
            "parking"
        } else {
            errors.push(format!(
                "Accessibilité inconnue : « {item} » (attendu : plain-pied, toilettes adaptées, \
                 boucle magnétique, parking)"
            ));
            continue;
        };
        facts.insert(fact.to_owned(), json!(true));
    }
    serde_json::Value::Object(facts)
}

/// A room's id made of its name: `Salle polyvalente` → `salle-polyvalente`.
pub fn room_id(name: &str) -> String {
    let mut id = String::new();
    for c in name.trim().to_lowercase().chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c if c.is_ascii_alphanumeric() => c,
            _ => '-',
        };
        if c != '-' || !id.is_empty() && !id.ends_with('-') {
            id.push(c);
        }
    }
    let id: String = id.trim_end_matches('-').chars().take(64).collect();
    if id.is_empty() {
        "salle".to_owned()
    } else {
        id
    }
}

/// Checks every row of a venues' CSV; `directory` is the venues already registered.
pub fn plan(text: &str, directory: &[VenueSummary]) -> Plan {
    let digest = digest(b"venues", text);
    let table = read_table(text, COLUMNS);
    let mut plan = Plan::new(digest, table.file_errors);
    let mut seen: Vec<(String, String)> = Vec::new();
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
        let mut shown: Vec<String> = SHOWN.iter().map(|c| field(c)).collect();
        let room = match field("room") {
            room if room.is_empty() => DEFAULT_ROOM.to_owned(),
            room => room,
        };
        if let Some(cell) = shown.get_mut(3) {
            cell.clone_from(&room);
        }
        let kind = taxonomy(VenueKind::ALL, VenueKind::label_fr, &field("kind"));
        if kind.is_none() {
            errors.push(format!(
                "Type inconnu : « {} » (attendu : {})",
                field("kind"),
                VenueKind::ALL
                    .iter()
                    .map(|k| k.label_fr())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let postcode = field("postcode");
        if postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(format!(
                "Code postal illisible : « {postcode} » (cinq chiffres)"
            ));
        }
        let insee = field("insee").to_uppercase();
        if proto::values::InseeCode::parse(insee.clone()).is_err() {
            errors.push(format!(
                "Code INSEE illisible : « {insee} » (cinq caractères, comme 05061 ou 2A004)"
            ));
        }
        let capacity: Option<u32> = field("capacity")
            .parse()
            .ok()
            .filter(|c| (1..=100_000).contains(c));
        if capacity.is_none() {
            errors.push(format!(
                "Capacité illisible : « {} » (un entier de 1 à 100 000)",
                field("capacity")
            ));
        }
        let hours = parse_hours(&field("hours")).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let accessibility = parse_accessibility(&field("accessibility"), &mut errors);
        let equipment = if field("equipment").is_empty() {
            Vec::new()
        } else {
            list(
                Equipment::ALL,
                Equipment::label_fr,
                &field("equipment"),
                "Équipement",
                &mut errors,
            )
        };
        let optional = |name: &str| Some(field(name)).filter(|v| !v.is_empty());
        let body = json!({
            "name": field("name"),
            "kind": kind,
            "address": {
                "street": field("street"),
                "postcode": postcode,
                "town": field("town"),
                "insee_code": insee,
            },
            "contact": {
                "name": field("contact"),
                "email": optional("email"),
                "phone": optional("phone"),
            },
            "accessibility": accessibility,
            "equipment": equipment,
            "rooms": [{ "id": room_id(&room), "name": room, "max_capacity": capacity }],
            "opening_hours": hours,
        });
        if errors.is_empty()
            && let Err(e) = serde_json::from_value::<Register>(body.clone())
        {
            errors.push(format!("Nom, adresse ou contact refusés : {e}"));
        }
        let identity = (normal(&field("name")), normal(&field("town")));
        if seen.contains(&identity) {
            errors.push("Même nom et même commune qu'une ligne précédente".to_owned());
        }
        seen.push(identity.clone());
        let known = directory.iter().any(|v| {
            normal(&v.name) == identity.0
                && (normal(&v.town) == identity.1 || v.insee_code == insee)
        });
        if errors.is_empty() {
            if known {
                plan.to_send.known.push(line);
            } else {
                plan.to_send.venues.push(VenuePlan { line, body });
            }
        }
        plan.rows.push(Row {
            line,
            shown,
            errors,
        });
    }
    if plan.rows.is_empty() && plan.file_errors.is_empty() {
        plan.file_errors
            .push("Le fichier ne contient aucun lieu.".to_owned());
    }
    plan
}

// ---- The pages ----

/// `GET /console/venues/import`: the upload form.
pub async fn form(
    State(_console): State<Console>,
    signed_in: SignedIn,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    Ok(ok(page(
        "Importer des lieux",
        Some(login),
        upload_form(&UPLOAD, "", login, ""),
    )))
}

/// `POST /console/venues/import`: the preview, every row with its errors.
pub async fn preview(
    State(console): State<Console>,
    signed_in: SignedIn,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    let login = &signed_in.login;
    let text = read_upload(login, multipart).await?;
    login.organiser()?;
    let plan = plan(&text, &console.venue_directory());
    let body = preview_page(login, &plan, &text);
    Ok(preview_answer(
        plan.is_clean(),
        "Vérification de l'import des lieux",
        login,
        body,
    ))
}

fn preview_page(login: &Login, plan: &Plan, text: &str) -> Markup {
    html! {
        @if plan.is_clean() {
            div.notice role="status" {
                p { (plan.to_send.venues.len()) " lieu(x) à enregistrer"
                    @if !plan.to_send.known.is_empty() { ", " (plan.to_send.known.len()) " déjà enregistré(s) (lignes "
                        (plan.to_send.known.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) ")" }
                    ", sans erreur. Rien n'est encore enregistré." }
            }
            @if !plan.to_send.venues.is_empty() {
                (commit_form(
                    login,
                    "/console/venues/import/commit",
                    text,
                    &format!("Enregistrer ces {} lieu(x)", plan.to_send.venues.len()),
                ))
            }
        } @else {
            (refused_notice(plan))
        }
        (rows_table(HEADINGS, &plan.rows))
        h2 { "Corriger et vérifier de nouveau" }
        (upload_form(&UPLOAD, "", login, text))
    }
}

/// `POST /console/venues/import/commit`: checks again, then registers every venue.
pub async fn commit(
    State(console): State<Console>,
    Posted {
        signed_in,
        form: CommitForm { text, .. },
    }: Posted<CommitForm>,
) -> Result<Response, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let plan = plan(&text, &console.venue_directory());
    if !plan.is_clean() {
        return Err(Failure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Les lieux ont des erreurs : rien n'a été enregistré. Revenez à la vérification.",
        ));
    }
    let mut registered = Vec::new();
    for venue in &plan.to_send.venues {
        let key = format!("import-{}-venue-{}", plan.digest, venue.line);
        let answer: VenueRecorded = console
            .api
            .post(&login.principal, "/venues", &key, &venue.body)
            .await
            .map_err(|p| stopped(p, &format!("la ligne {}", venue.line)))?;
        registered.push((
            venue.body["name"].as_str().unwrap_or("").to_owned(),
            answer.venue.to_string(),
        ));
    }
    let body = html! {
        div.notice role="status" {
            p { (registered.len()) " lieu(x) enregistré(s)."
                @if !plan.to_send.known.is_empty() { " " (plan.to_send.known.len()) " déjà enregistré(s), laissé(s) tel(s) quel(s)." } }
        }
        @if !registered.is_empty() {
            ul { @for (name, id) in &registered { li data-venue=(id) { (name) } } }
        }
        p { "Les lieux sont proposés dans les formulaires de séance et dans l'import du programme dès que le catalogue les a lus (quelques instants)." }
        p { a href="/console" { "Retour aux éditions" } }
    };
    Ok(ok(page("Lieux importés", Some(login), body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "nom;type;adresse;code postal;commune;code insee;contact;capacité max;horaires;salle;accessibilité;équipements\n";

    fn known() -> Vec<VenueSummary> {
        vec![VenueSummary {
            id: proto::values::VenueId(uuid::Uuid::from_u128(9)),
            name: "EHPAD Les Marronniers".to_owned(),
            town: "Gap".to_owned(),
            insee_code: "05061".to_owned(),
            rooms: Vec::new(),
        }]
    }

    #[test]
    fn opening_hours_are_read_as_organisers_write_them() {
        let hours = parse_hours("lun-ven 9h-17h | sam 8h30 - 12h").expect("readable");
        assert_eq!(hours.len(), 6);
        assert_eq!(hours[0].day, Weekday::Monday);
        assert_eq!(hours[4].day, Weekday::Friday);
        assert_eq!(hours[5].day, Weekday::Saturday);
        assert_eq!(hours[5].opens, Time::constant(8, 30, 0, 0));
        assert_eq!(hours[0].closes, Time::constant(17, 0, 0, 0));
        let listed = parse_hours("lundi,mercredi 14:00-18:00").expect("readable");
        assert_eq!(
            listed.iter().map(|h| h.day).collect::<Vec<_>>(),
            [Weekday::Monday, Weekday::Wednesday]
        );
        for bad in [
            "",
            "9h-17h",
            "lun-ven",
            "ven-lun 9h-17h",
            "lun 17h-9h",
            "xyz 9h-10h",
        ] {
            assert!(parse_hours(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_room_id_is_made_of_its_name() {
        assert_eq!(room_id("Salle polyvalente"), "salle-polyvalente");
        assert_eq!(
            room_id("  Réfectoire (rez-de-chaussée) "),
            "refectoire-rez-de-chaussee"
        );
        assert_eq!(room_id("!!!"), "salle");
        assert!(proto::values::RoomId::parse(room_id(&"é".repeat(100))).is_ok());
    }

    #[test]
    fn a_clean_file_plans_each_new_venue_and_skips_the_known() {
        let text = format!(
            "{HEADER}Crèche Les Lutins;Crèche;3 rue du Moulin;05000;Gap;05061;Mme Martin;25;lun-ven 8h-18h;;plain-pied|parking;Wi-Fi\n\
             EHPAD Les Marronniers;EHPAD;12 rue des Alpes;05000;Gap;05061;Accueil;40;lun-ven 9h-17h;Salle polyvalente;;\n"
        );
        let plan = plan(&text, &known());
        assert!(plan.is_clean(), "{plan:?}");
        assert_eq!(plan.to_send.venues.len(), 1);
        assert_eq!(plan.to_send.known, [3]);
        let body = &plan.to_send.venues[0].body;
        assert_eq!(body["kind"], "creche");
        assert_eq!(body["rooms"][0]["id"], "salle-principale");
        assert_eq!(body["rooms"][0]["max_capacity"], 25);
        assert_eq!(body["accessibility"]["step_free_entrance"], true);
        assert_eq!(body["accessibility"].get("hearing_loop"), None);
        assert_eq!(body["equipment"][0], "wifi");
        assert_eq!(body["opening_hours"].as_array().map(Vec::len), Some(5));
        assert!(serde_json::from_value::<Register>(body.clone()).is_ok());
        assert_eq!(plan.digest, super::plan(&text, &known()).digest, "derived");
    }

    #[test]
    fn every_row_error_is_listed_and_nothing_is_planned_for_it() {
        let text = format!(
            "{HEADER}Mairie;Château;;5000;Gap;ABCDE;;beaucoup;tous les jours;;ascenseur;Piscine\n\
             Mairie de Gap;Mairie;3 rue Colonel Roux;05000;Gap;05061;Accueil;80;lun-ven 9h-17h;;;\n"
        );
        let plan = plan(&text, &[]);
        assert!(!plan.is_clean());
        assert_eq!(plan.rows_in_error(), 1);
        assert_eq!(
            plan.to_send.venues.len(),
            1,
            "the good row is planned, but not sent"
        );
        let errors = plan.rows[0].errors.join("\n");
        for expected in [
            "Type inconnu",
            "Code postal illisible",
            "Code INSEE illisible",
            "Capacité illisible",
            "Horaires illisibles",
            "Accessibilité inconnue",
            "Équipement inconnu",
        ] {
            assert!(errors.contains(expected), "{expected} in {errors}");
        }
    }

    #[test]
    fn a_missing_column_or_a_repeated_venue_is_refused() {
        let plan = plan("nom;type\nX;Mairie\n", &[]);
        assert!(
            plan.file_errors.iter().any(|e| e.contains("adresse")),
            "{plan:?}"
        );
        let row = "Mairie de Gap;Mairie;3 rue Colonel Roux;05000;Gap;05061;Accueil;80;lun-ven 9h-17h;;;\n";
        let twice = super::plan(&format!("{HEADER}{row}{row}"), &[]);
        assert_eq!(twice.rows_in_error(), 1);
        assert!(twice.rows[1].errors[0].contains("Même nom"));
    }
}
