//! Forms as people fill them: the fields as sent, and what is wrong with each, in French, shown
//! beside the field.
//!
//! A form is posted by a signed-in user ([`Posted`]: sent from this site, with the login's CSRF
//! token), read as its fields in order ([`Fields`]: checkboxes repeat their name) or as a type of
//! its own. Parsing it is the page's own pure function, which answers
//! the value or [`FieldErrors`]; a refused form is shown again with each error next to its field
//! ([`field_error`], `aria-invalid`, `aria-describedby`) and a summary announced at the top
//! ([`error_summary`]), each error linking to its field.

use std::collections::BTreeMap;

use axum::extract::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::de::DeserializeOwned;

use crate::login::{SignedIn, check_origin};
use crate::page::Failure;
use crate::routes::Console;

/// A form as sent: every name and value, in order (checkboxes repeat their name).
pub type Fields = Vec<(String, String)>;

/// What is wrong with a form, by field name, in French.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// A field's value, trimmed; empty when the form has no such field.
pub(crate) fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.trim())
}

/// Every value of a field the form repeats (checkboxes), trimmed.
pub(crate) fn values<'a>(
    fields: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    fields
        .iter()
        .filter(move |(n, _)| n == name)
        .map(|(_, v)| v.trim())
}

/// The wire name of a taxonomy value (`job_seekers`).
pub(crate) fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The values of a taxonomy checked in a group of checkboxes; an unknown one is an error.
pub(crate) fn checked<T: serde::Serialize + Copy>(
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

/// A form posted by a signed-in user: sent from this site (its `Origin`, when the browser gives
/// one), carrying the login's CSRF token, and readable as `T`. Without a live login, the login
/// page; a form that does not read, 422; another site's or a wrong token, 403.
pub struct Posted<T> {
    /// Who posted it.
    pub signed_in: SignedIn,
    /// What was posted.
    pub form: T,
}

/// A form that carries the login's CSRF token. Its field reads as empty when missing
/// (`#[serde(default)]`), so that a form without a token is refused as forbidden, not unreadable.
pub trait WithCsrf {
    /// The token as sent.
    fn csrf(&self) -> &str;
}

impl WithCsrf for Fields {
    fn csrf(&self) -> &str {
        value(self, "csrf")
    }
}

impl<T> FromRequest<Console> for Posted<T>
where
    T: DeserializeOwned + WithCsrf + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, console: &Console) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, console).await?;
        check_origin(&parts.headers).map_err(IntoResponse::into_response)?;
        let Ok(Form(form)) =
            Form::<T>::from_request(Request::from_parts(parts, body), console).await
        else {
            return Err(Failure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Le formulaire est incomplet.",
            )
            .into_response());
        };
        signed_in
            .login
            .check_csrf(form.csrf())
            .map_err(IntoResponse::into_response)?;
        Ok(Self { signed_in, form })
    }
}

// ---- Form pieces ----

/// The summary of a refused form, announced, each error linking to its field.
pub(crate) fn error_summary(errors: &FieldErrors) -> Markup {
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
pub(crate) fn field_error(errors: &FieldErrors, name: &str) -> Markup {
    html! {
        @if let Some(message) = errors.get(name) {
            p.field-error id={ "err-" (name) } { (message) }
        }
    }
}

/// The id of a field's error, for its `aria-describedby`, when it has one.
pub(crate) fn described(errors: &FieldErrors, name: &str) -> Option<String> {
    errors.contains_key(name).then(|| format!("err-{name}"))
}

/// `aria-invalid="true"` for a field with an error.
pub(crate) fn invalid(errors: &FieldErrors, name: &str) -> Option<&'static str> {
    errors.contains_key(name).then_some("true")
}

/// A group of checkboxes for a taxonomy, in a fieldset.
pub(crate) fn checkboxes<T: serde::Serialize + Copy>(
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
