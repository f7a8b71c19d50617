//! Tenant isolation as a property of the route table: one edition's organiser, one venue and one
//! partner (the intruders) send, with their keys, every route that names an id — in its path or
//! in its example body ([`gateway::routes::RequestBody::example`]): every keyed read, the
//! catalogue's, every command — with another tenant's ids (the victim's edition, event, session,
//! venue, registration, participant, partner), and the same routes with ids nobody holds; then,
//! for a route with ids in both, with the intruder's own ids in the path and the victim's in the
//! body. Each answer must be the one an unknown id gets (the same status and problem code), no
//! answer may hold the victim's data, and nothing may be recorded. The exceptions are named:
//! `CLAIMS`, the routes that create at an id the caller chooses (a partner's slug: one somebody
//! holds is a `409` naming nothing), and `MEETING_POINTS`, where tenants meet by design on the
//! intruder's own ground (a partner registers into any edition's session; an organiser asks any
//! venue to host and reserves seats for any declared partner), whose answers must still hold
//! none of the victim's data. A route added to `gateway::routes::ROUTES` joins the table without
//! a new test.

use std::collections::BTreeMap;

use gateway::Role;
use gateway::keys::Editions;
use gateway::routes::{Access, ROUTES, Verb};
use gateway::stack::axum::body::Body;
use gateway::stack::axum::http::{self, StatusCode, header};
use gateway::stack::tower::ServiceExt;
use proto::taxonomy::Audience;
use serde_json::Value;
use tests::desk::Desk;
use tests::week::{eventually, tuesday};
use uuid::Uuid;

/// What came back, as compared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    status: StatusCode,
    code: String,
}

/// `path` with its parameters filled from `ids`.
fn filled(path: &str, ids: &BTreeMap<&str, String>) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .map_or_else(|| segment.to_owned(), |name| ids[name].clone())
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_reads_changes_or_learns_of_another_tenants_data_through_any_route()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let week = &desk.week;

    // The victim: an edition whose session is confirmed at its venue, and a partner's person.
    let (venue, edition, event) = week.open_door(40).await?;
    let session = week
        .confirmed_session(event, venue, tuesday(9, 0), tuesday(12, 0), 30)
        .await?;
    let victim_key = desk.partner_key("victim-partner").await?;
    let registered = week
        .register(
            "victim-partner",
            "v-0042",
            session,
            Audience::YoungPeople,
            "v-0042-key",
        )
        .await?;
    let own = format!("/registrations/{}", registered.registration);
    eventually("the victim's registration in its view", || async {
        let own = Request {
            method: "GET",
            path: own.clone(),
            body: None,
        };
        let answer = send(&desk, own, &victim_key).await?;
        Ok((answer.0.status == StatusCode::OK).then_some(()))
    })
    .await?;

    // The intruders: an organiser of its own edition, its own venue, another partner.
    let (own_venue, own_edition, own_event) = week.open_door(20).await?;
    let own_session = week
        .confirmed_session(own_event, own_venue, tuesday(14, 0), tuesday(16, 0), 20)
        .await?;
    let intruders = [
        (
            "organiser",
            desk.key(Role::Organiser(Editions::One(own_edition)))
                .await?,
        ),
        ("venue", desk.key(Role::Venue(own_venue)).await?),
        ("partner", desk.partner_key("intruder-partner").await?),
    ];

    let victim: BTreeMap<&str, String> = [
        ("edition", edition.to_string()),
        ("event", event.to_string()),
        ("session", session.to_string()),
        ("venue", venue.to_string()),
        ("registration", registered.registration.to_string()),
        ("participant", registered.participant.to_string()),
        ("partner", "victim-partner".to_owned()),
        ("subscription", Uuid::now_v7().to_string()),
        ("employer", Uuid::now_v7().to_string()),
        ("table", "1".to_owned()),
        ("slot", "1".to_owned()),
        ("run", "1".to_owned()),
        ("chart", "audiences".to_owned()),
    ]
    .into();
    // Ids nobody holds, fresh for every request (a route that creates at an id nobody holds
    // takes it).
    let unknown = || -> BTreeMap<&str, String> {
        victim
            .iter()
            .map(|(name, value)| {
                let other = match *name {
                    "partner" => format!("nobody-{}", Uuid::now_v7().simple()),
                    "table" | "slot" | "run" | "chart" => value.clone(),
                    _ => Uuid::now_v7().to_string(),
                };
                (*name, other)
            })
            .collect()
    };
    // The intruders' own: their edition, event, session (at their venue), partner.
    let own: BTreeMap<&str, String> = unknown()
        .into_iter()
        .chain([
            ("edition", own_edition.to_string()),
            ("event", own_event.to_string()),
            ("session", own_session.to_string()),
            ("venue", own_venue.to_string()),
            ("partner", "intruder-partner".to_owned()),
        ])
        .collect();
    let secrets: Vec<String> = vec![
        registered.participant.to_string(),
        registered.registration.to_string(),
        "Prénom-v-0042".to_owned(),
        "Partenaire victim-partner".to_owned(),
    ];

    let mut compared = BTreeMap::new();
    let mut leaks = Vec::new();
    for route in ROUTES.iter().filter(|r| {
        matches!(
            r.access,
            Access::Key(_) | Access::Reader(_) | Access::AnyoneOrKey
        )
    }) {
        let body_names_an_id = route.body.is_some_and(|body| {
            body.example_with(|_| None) != body.example_with(|_| Some(String::new()))
        });
        let method = match route.method {
            Verb::Get => "GET",
            Verb::Post => "POST",
        };
        let request =
            |path_ids: &BTreeMap<&str, String>, body_ids: &BTreeMap<&str, String>| Request {
                method,
                path: filled(route.path, path_ids),
                body: route
                    .body
                    .map(|body| body.example_with(|name| body_ids.get(name).cloned())),
            };
        for (who, key) in &intruders {
            // Two passes: the victim's ids everywhere, then the intruder's own in the path and
            // the victim's in the body (so that a body's ids are reached past the path's scope).
            let nobody = unknown();
            let mut passes = Vec::new();
            if route.path.contains('{') || body_names_an_id {
                passes.push(("", request(&victim, &victim), request(&nobody, &nobody)));
            }
            if body_names_an_id && route.path.contains('{') {
                passes.push((
                    " (own path)",
                    request(&own, &victim),
                    request(&own, &nobody),
                ));
            }
            for (pass, theirs, nobodys) in passes {
                let sent = format!(
                    "{} {}",
                    theirs.path,
                    theirs.body.clone().unwrap_or_default()
                );
                let before = week.messages_in_log().await;
                let (theirs, text) = send(&desk, theirs, key).await?;
                let recorded = week.messages_in_log().await != before;
                let (nobodys, _) = send(&desk, nobodys, key).await?;
                if theirs.status.is_success() || nobodys.status.is_success() {
                    // What it set going (a hosting request, seats) is recorded before the next.
                    settled(week).await;
                }
                let at = format!("{method} {}{pass} as {who}", route.path);
                if theirs.status == StatusCode::SERVICE_UNAVAILABLE {
                    // Only the read models this harness does not run may be unavailable.
                    if !NOT_RUN.iter().any(|prefix| route.path.starts_with(prefix)) {
                        leaks.push(format!("{at}: unavailable"));
                    }
                    continue;
                }
                *compared.entry(route.operation).or_insert(0) += 1;
                // No answer holds the victim's data: in a success, none at all; in a refusal,
                // none the request did not carry itself.
                if let Some(secret) = secrets.iter().find(|secret| {
                    text.contains(secret.as_str())
                        && (theirs.status.is_success() || !sent.contains(secret.as_str()))
                }) {
                    leaks.push(format!("{at}: answered the victim's {secret}"));
                }
                // A meeting point is where the intruder acts on its own ground (its own path, or
                // a route whose only ids are the body's) with another tenant's id in the body.
                let own_ground = !pass.is_empty() || !route.path.contains('{');
                if own_ground
                    && MEETING_POINTS
                        .iter()
                        .any(|(w, op, _)| (*w, *op) == (*who, route.operation))
                {
                    continue;
                }
                let taken = CLAIMS.contains(&route.operation)
                    && nobodys.status.is_success()
                    && theirs.status == StatusCode::CONFLICT;
                if theirs != nobodys && !taken {
                    leaks.push(format!(
                        "{at}: {theirs:?} for the victim's ids, {nobodys:?} for unknown ones"
                    ));
                }
                if recorded {
                    leaks.push(format!("{at}: recorded something with the victim's ids"));
                }
            }
        }
    }
    let answers: usize = compared.values().sum();
    assert!(
        compared.len() >= 40 && answers >= 120,
        "only {answers} answers over {} routes compared",
        compared.len()
    );
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    Ok(())
}

/// Waits until the log has taken nothing for a moment: the processes have done what a command
/// set going.
async fn settled(week: &tests::week::Week) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut last = week.messages_in_log().await;
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let now = week.messages_in_log().await;
        if now == last {
            return;
        }
        last = now;
    }
}

/// The routes served by read models this harness does not run (the job-dating view, the
/// webhooks' process): they answer 503 and are compared in their own tests.
const NOT_RUN: &[&str] = &["/jobdating/", "/webhooks"];

/// The routes that create at an id the caller chooses: one nobody holds is taken; one somebody
/// holds is a `409` that names nothing.
const CLAIMS: &[&str] = &["declare_partner"];

/// Where tenants meet by design, as (intruder, operation, why). The answer must still hold none of
/// the other tenant's data.
const MEETING_POINTS: &[(&str, &str, &str)] = &[
    (
        "partner",
        "register",
        "a partner registers its people into any edition's session",
    ),
    (
        "organiser",
        "schedule_session",
        "an organiser asks any venue to host a session",
    ),
    (
        "organiser",
        "change_session_venue",
        "an organiser asks any venue to host a session",
    ),
    (
        "organiser",
        "reserve_seats",
        "an organiser reserves seats for any partner",
    ),
];

/// A request to send.
struct Request {
    method: &'static str,
    path: String,
    body: Option<Value>,
}

/// Sends `request` with `secret` (a POST gets an Idempotency-Key); what came back.
async fn send(desk: &Desk, request: Request, secret: &str) -> anyhow::Result<(Seen, String)> {
    let mut builder = http::Request::builder()
        .method(request.method)
        .uri(&request.path)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"));
    if request.method == "POST" {
        builder = builder.header("idempotency-key", Uuid::now_v7().to_string());
    }
    let body = match request.body {
        Some(json) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(serde_json::to_vec(&json)?)
        }
        None => Body::empty(),
    };
    let response = desk.router.clone().oneshot(builder.body(body)?).await?;
    let status = response.status();
    let bytes = gateway::stack::axum::body::to_bytes(response.into_body(), 1 << 20).await?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let code = json["code"].as_str().unwrap_or_default().to_owned();
    Ok((Seen { status, code }, text))
}
