//! The page shell, the style sheet, error pages, the French labels of the wire values, and what
//! every form shares: its one-time nonce, the idempotency key made of it, the redirection after
//! a command.
//!
//! Every page is `<html lang="fr">`, with a skip link, one `<h1>`, a navigation for the signed-in
//! user and a sign-out form (with the CSRF token). The style sheet keeps text contrast at 4.5:1
//! or more, a visible focus outline, and a layout that fits a phone (tables scroll sideways,
//! forms stack).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api::Problem;
use crate::login::Login;

/// The style sheet, served at `/console/style.css`.
pub const STYLE: &str = include_str!("style.css");

/// A whole page: the shell around `body`.
pub fn page(title: &str, login: Option<&Login>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — semaine" }
                link rel="stylesheet" href="/console/style.css";
            }
            body {
                a.skip href="#contenu" { "Aller au contenu" }
                header.top {
                    a.brand href="/console" { "semaine · console" }
                    @if let Some(login) = login {
                        nav aria-label="Navigation principale" {
                            @if login.is_organiser() {
                                a href="/console" { "Éditions" }
                            } @else {
                                a href="/console/venue" { "Demandes d'accueil" }
                            }
                        }
                        form.logout method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(login.csrf);
                            button type="submit" { "Se déconnecter" }
                        }
                    }
                }
                main id="contenu" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// An HTML answer.
pub fn ok(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

/// A page that could not be shown: its status and what to tell the user, in French.
#[derive(Debug)]
pub struct Failure {
    /// The HTTP status.
    pub status: StatusCode,
    /// What the user is told.
    pub message: String,
    /// The gateway's problem code, when it refused.
    pub code: Option<String>,
    /// The gateway's detail, in English.
    pub detail: Option<String>,
}

impl Failure {
    /// A failure with a message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            code: None,
            detail: None,
        }
    }
}

impl From<Problem> for Failure {
    fn from(problem: Problem) -> Self {
        let message = match problem.status {
            StatusCode::UNAUTHORIZED => "Votre clé n'est plus valable : reconnectez-vous.",
            StatusCode::FORBIDDEN => "Votre clé ne permet pas cette action.",
            StatusCode::NOT_FOUND => "Cette page ne correspond à rien que votre clé puisse voir.",
            StatusCode::CONFLICT => {
                "La demande n'a pas pu être prise en compte dans l'état actuel."
            }
            StatusCode::TOO_MANY_REQUESTS => "Trop de demandes : patientez un instant.",
            StatusCode::SERVICE_UNAVAILABLE => {
                "Les données sont en cours de mise à jour : rechargez la page dans un instant."
            }
            s if s.is_client_error() => "La demande n'est pas valable.",
            _ => "Le service n'a pas répondu : réessayez dans un instant.",
        };
        Self {
            status: problem.status,
            message: message.to_owned(),
            code: Some(problem.code),
            detail: Some(problem.detail),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = html! {
            div.alert role="alert" {
                p { (self.message) }
                @if let Some(code) = &self.code {
                    p.small { "Code : " code { (code) }
                        @if let Some(detail) = self.detail.as_ref().filter(|d| !d.is_empty()) {
                            " — " (detail)
                        }
                    }
                }
            }
            p { a href="/console" { "Retour à l'accueil de la console" } }
        };
        (
            self.status,
            ok(page("Impossible d'afficher la page", None, body)),
        )
            .into_response()
    }
}

/// The French label of a wire value of the taxonomies (`job_seekers` → `Demandeurs d'emploi`);
/// the value itself when it is none of them.
pub fn label(wire: &str) -> String {
    use proto::taxonomy::{Audience, EventKind, Theme};
    fn find<T: serde::Serialize + Copy>(
        all: &[T],
        wire: &str,
        label: fn(T) -> &'static str,
    ) -> Option<&'static str> {
        all.iter()
            .find(|v| {
                serde_json::to_value(v)
                    .ok()
                    .as_ref()
                    .and_then(|j| j.as_str())
                    == Some(wire)
            })
            .map(|v| label(*v))
    }
    find(Audience::ALL, wire, Audience::label_fr)
        .or_else(|| find(Theme::ALL, wire, Theme::label_fr))
        .or_else(|| find(EventKind::ALL, wire, EventKind::label_fr))
        .map_or_else(|| wire.to_owned(), str::to_owned)
}

/// A venue status as users read it.
pub fn venue_status(wire: &str) -> &'static str {
    match wire {
        "requested" => "Demandé",
        "confirmed" => "Confirmé",
        "declined" => "Refusé par le lieu",
        "refused" => "Impossible (lieu)",
        "withdrawn" => "Retiré par le lieu",
        "released" => "Libéré",
        _ => "Inconnu",
    }
}

/// A wide table that scrolls sideways on a phone, in a region named `label` that the keyboard can
/// reach and scroll (WCAG 2.1.1: a table of text alone holds nothing focusable otherwise).
pub fn scrolling(label: &str, table: Markup) -> Markup {
    html! {
        div.scroll role="region" tabindex="0" aria-label=(label) { (table) }
    }
}

/// A hidden field.
pub fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

/// The idempotency key of a form's command: its nonce and a digest of what was sent.
pub fn form_key(what: &str, nonce: &str, fields: &[&str]) -> String {
    let mut hash = Sha256::new();
    for field in fields {
        hash.update(field.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let nonce: String = nonce
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    format!("console:{what}:{nonce}:{short}")
}

/// A new form's nonce.
pub fn nonce() -> String {
    Uuid::new_v4().to_string()
}

/// A redirection to a page that waits for a command's commit and says what was done.
pub fn redirect_after(base: &str, min_seq: Option<String>, message: &str) -> Response {
    let mut url = base.to_owned();
    if let Some(min_seq) = min_seq {
        url.push_str("min_seq=");
        url.push_str(&min_seq);
        url.push('&');
    }
    url.push_str("done=");
    for byte in message.bytes() {
        if byte.is_ascii_alphanumeric() {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    Redirect::to(&url).into_response()
}

/// A French date: `mardi 13 avril`.
pub fn day_fr(date: jiff::civil::Date) -> String {
    const DAYS: [&str; 7] = [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ];
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let weekday = DAYS[usize::from(date.weekday().to_monday_zero_offset().unsigned_abs())];
    let month = MONTHS[usize::from(date.month().unsigned_abs().saturating_sub(1)) % 12];
    format!("{weekday} {} {month}", date.day())
}

/// A local time as `14 h 00`.
pub fn time_fr(at: jiff::civil::DateTime) -> String {
    format!("{} h {:02}", at.hour(), at.minute())
}

/// Raw, already escaped markup (for the SVG charts the console writes itself).
pub fn raw(text: String) -> Markup {
    PreEscaped(text)
}
