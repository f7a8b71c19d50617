//! The console's routes, its shared state, and the pages that belong to no role: sign-in,
//! sign-out, the home page and the style sheet.
//!
//! The routes are not in the gateway's route table ([`gateway::routes::ROUTES`]): they are HTML
//! pages for people, not operations of the API, so the OpenAPI document does not list them.
//! [`router`] returns a router to merge with [`gateway::app`]; `semaine up` serves both on the
//! same address.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use catalogue::EditionView;
use gateway::routes::answers::Items;
use gateway::{AppState, KeyStore, Role};
use maud::html;
use serde::Deserialize;

use crate::api::Api;
use crate::form::{Posted, WithCsrf};
use crate::limits::{SignInLimits, wait_message};
use crate::login::{self, LoginError, Logins, SignedIn, check_origin};
use crate::page::{Failure, STYLE, ok, page};
use crate::{charts, import, organiser, programme, venue};
use gateway::limits::ClientAddress;

/// The largest form the console reads: a programme's CSV (1 MiB is thousands of sessions).
pub const FORM_LIMIT: usize = 1024 * 1024;

/// What the console's handlers share.
#[derive(Clone)]
pub struct Console {
    /// The gateway's router, which every read and command goes through.
    pub api: Api,
    /// The API keys, to sign in.
    pub keys: KeyStore,
    /// Who is signed in, shared by every instance.
    pub logins: Logins,
    /// The catalogue's store, for the directory of venues the import looks names up in.
    pub catalogue: Option<sled::Db>,
    /// The sign-ins' buckets, per client address and per key.
    pub sign_in: std::sync::Arc<SignInLimits>,
}

impl Console {
    /// The venues' directory, as the catalogue has read it (none on an instance without the
    /// catalogue): what the session forms and the imports find a venue in.
    pub fn venue_directory(&self) -> Vec<catalogue::VenueSummary> {
        self.catalogue
            .as_ref()
            .map(catalogue::venues)
            .unwrap_or_default()
    }
}

/// The console's routes, under `/console`, to merge with the gateway's [`gateway::app`]; opens
/// (or creates) the logins' bucket on the log's JetStream, with the log's replica count.
pub async fn router(state: AppState) -> Result<Router, LoginError> {
    let logins = Logins::open(
        state.log.jetstream(),
        state.log.config().replicas,
        state.keys.clone(),
    )
    .await?;
    let console = Console {
        api: Api::new(gateway::app(state.clone())),
        keys: state.keys.clone(),
        logins,
        catalogue: state.catalogue,
        sign_in: std::sync::Arc::default(),
    };
    Ok(Router::new()
        .route("/console", get(home))
        .route("/console/", get(home))
        .route("/console/style.css", get(style))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/editions/{edition}", get(organiser::grid))
        .route("/console/editions/{edition}/statistics", get(charts::page))
        .route(
            "/console/editions/{edition}/statistics/{chart}",
            get(charts::csv),
        )
        .route(
            "/console/editions/{edition}/import",
            get(import::programme::form).post(import::programme::preview),
        )
        .route(
            "/console/editions/{edition}/import/commit",
            post(import::programme::commit),
        )
        .route(
            "/console/editions/{edition}/events/new",
            get(programme::new_event),
        )
        .route(
            "/console/editions/{edition}/events",
            post(programme::create_event),
        )
        .route(
            "/console/editions/{edition}/events/{event}",
            get(programme::event_page),
        )
        .route(
            "/console/editions/{edition}/events/{event}/amend",
            post(programme::amend_event),
        )
        .route(
            "/console/editions/{edition}/events/{event}/sessions",
            post(programme::add_session),
        )
        .route(
            "/console/editions/{edition}/sessions/{session}",
            get(programme::session_page),
        )
        .route(
            "/console/editions/{edition}/sessions/{session}/cancel",
            get(programme::cancel_page).post(programme::cancel),
        )
        .route(
            "/console/editions/{edition}/sessions/{session}/move",
            get(programme::move_page).post(programme::move_preview),
        )
        .route(
            "/console/editions/{edition}/sessions/{session}/move/confirm",
            post(programme::move_confirm),
        )
        .route(
            "/console/venues/import",
            get(import::venues::form).post(import::venues::preview),
        )
        .route(
            "/console/venues/import/commit",
            post(import::venues::commit),
        )
        .route("/console/venue", get(venue::requests))
        .route(
            "/console/venue/hosting/{session}/{answer}",
            post(venue::answer),
        )
        .route("/console/venue/sessions/{session}", get(venue::attendance))
        .route(
            "/console/venue/sessions/{session}/attendance.csv",
            get(venue::attendance_csv),
        )
        .route(
            "/console/venue/sessions/{session}/check-in",
            post(venue::check_in),
        )
        .layer(DefaultBodyLimit::max(FORM_LIMIT))
        .layer(axum::middleware::from_fn(private_page))
        .with_state(console))
}

/// The content security policy of every console page: the console's own style sheet, its forms
/// posted to itself, no script, no frame, nothing from elsewhere (charts are inline SVG).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' \
     data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Marks every console answer as private: pages show people's names and attendance, so no cache
/// keeps them (`Cache-Control: no-store`, unless a route says otherwise, as the style sheet does),
/// no other site frames them, and the browser runs nothing but what the page is.
async fn private_page(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLE,
    )
        .into_response()
}

/// The sign-in form, with an error message when a key was refused.
fn login_form(error: Option<&str>) -> maud::Markup {
    page(
        "Connexion",
        None,
        html! {
            p { "La console sert aux organisateurs et aux lieux d'accueil. Connectez-vous avec la clé d'API que l'équipe de semaine vous a remise." }
            @if let Some(error) = error {
                div.alert role="alert" id="erreur-connexion" { p { (error) } }
            }
            form method="post" action="/console/login" {
                label for="key" { "Clé d'API" }
                input type="password" id="key" name="key" required autocomplete="off"
                    spellcheck="false" size="60" aria-describedby=[error.map(|_| "erreur-connexion")];
                p { button type="submit" { "Se connecter" } }
            }
        },
    )
}

async fn login_page() -> Response {
    ok(login_form(None))
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// The API key.
    key: String,
}

/// The sign-in form again, `429` with `Retry-After`: the client waits `wait`.
fn too_many_sign_ins(wait: std::time::Duration) -> Response {
    let seconds = gateway::limits::retry_after_seconds(wait);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.to_string())],
        ok(login_form(Some(&wait_message(seconds)))),
    )
        .into_response()
}

async fn login(
    State(console): State<Console>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Failure> {
    check_origin(&headers)?;
    // Every attempt counts, before the key is read: a refused one too.
    if let Err(wait) = console.sign_in.attempt(address) {
        return Ok(too_many_sign_ins(wait));
    }
    let refused =
        |message: &str| (StatusCode::UNAUTHORIZED, ok(login_form(Some(message)))).into_response();
    let Ok(Form(form)) = form else {
        return Ok(refused("Saisissez votre clé d'API."));
    };
    let secret = form.key.trim();
    let principal = match console.keys.authenticate(secret).await {
        Ok(Some(principal)) => principal,
        Ok(None) => return Ok(refused("Cette clé est inconnue ou révoquée.")),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the API keys to sign in");
            return Err(Failure::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Les clés ne peuvent pas être vérifiées pour l'instant : réessayez dans un instant.",
            ));
        }
    };
    if matches!(principal.role, Role::Partner(_)) {
        return Ok(refused(
            "Une clé de partenaire ne sert pas dans la console : elle est faite pour votre propre site.",
        ));
    }
    if let Err(wait) = console.sign_in.login(&principal.key_id) {
        return Ok(too_many_sign_ins(wait));
    }
    let id = console
        .logins
        .sign_in(&principal)
        .await
        .map_err(|e| login::logins_unavailable(&e))?;
    let mut response = Redirect::to("/console").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, login::cookie(&id));
    Ok(response)
}

/// A form that carries only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The login's CSRF token.
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for CsrfForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn logout(
    State(console): State<Console>,
    Posted { signed_in, .. }: Posted<CsrfForm>,
) -> Result<Response, Failure> {
    console
        .logins
        .sign_out(&signed_in.id)
        .await
        .map_err(|e| login::logins_unavailable(&e))?;
    let mut response = Redirect::to("/console/login").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, login::expired_cookie());
    Ok(response)
}

/// The home page: an organiser's editions; a venue goes to its requests.
async fn home(State(console): State<Console>, signed_in: SignedIn) -> Result<Response, Failure> {
    let login = &signed_in.login;
    if !login.is_organiser() {
        return Ok(Redirect::to("/console/venue").into_response());
    }
    let editions: Items<EditionView> = console
        .api
        .get(&login.principal, "/catalogue/editions")
        .await?;
    let body = html! {
        @if editions.items.is_empty() {
            p { "Aucune édition pour votre clé pour l'instant." }
        } @else {
            ul {
                @for edition in &editions.items {
                    li {
                        a href={ "/console/editions/" (edition.id) } { (edition.name) }
                        " — du " (crate::page::day_fr(edition.first_day)) " au "
                        (crate::page::day_fr(edition.last_day)) " " (edition.first_day.year())
                        @if !edition.public { " " span.badge { "brouillon" } }
                    }
                }
            }
        }
    };
    Ok(ok(page("Vos éditions", Some(login), body)))
}
