//! Bad input on every command route, generated: arbitrary JSON (objects with the contracts' own
//! field names among random ones), arbitrary bytes, and no body at all, sent with an organiser's,
//! a venue's and a partner's key through the real gateway in front of a running week. Whatever
//! comes in, the answer is a 4xx `application/problem+json` with a code — never a 5xx, never a
//! panic — and nothing is appended to the log. (A route that takes no body ignores one: it may
//! answer 2xx, never 5xx.)

use gateway::Role;
use gateway::keys::Editions;
use gateway::routes::{Access, ROUTES, Verb};
use gateway::stack::axum::body::Body;
use gateway::stack::axum::http::{Request, header};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use tests::desk::{Desk, send};
use tests::week::partner_id;

/// Bodies tried per route and key.
const CASES: usize = 12;

/// Field names of the contracts, so that generated objects get past the first unknown field now
/// and then and reach the values' own checks.
const FIELDS: &[&str] = &[
    "session",
    "reference",
    "attendee",
    "profile",
    "identity",
    "audience",
    "age_band",
    "town",
    "name",
    "kind",
    "capacity",
    "reason",
    "room",
    "starts_at",
    "ends_at",
    "edition",
    "title",
    "themes",
    "audiences",
    "url",
    "kinds",
    "present",
    "seats",
    "partner",
    "until",
    "first_name",
    "last_name",
    "email",
    "group",
    "size",
    "dates",
    "time_zone",
    "territory",
    "venue",
];

/// Arbitrary JSON, three levels deep at most.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        Just(Value::from("2027-04-13T10:00:00")),
        Just(Value::from("01963a7e-0000-7000-8000-000000000000")),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        let key = prop_oneof![
            proptest::sample::select(FIELDS).prop_map(str::to_owned),
            "[a-z_]{1,10}",
        ];
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(key, inner, 0..7).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A request body: JSON, raw bytes, or nothing.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        2 => vec(any::<u8>(), 0..96),
        1 => Just(Vec::new()),
    ]
}

/// A route's path with its parameters filled: a partner's slug, ids elsewhere.
fn filled(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str(match &rest[start..end] {
            "{partner}" => "mission-locale-gap",
            _ => "01963a7e-0000-7000-8000-0000000000aa",
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_generated_body_gets_a_5xx_or_records_anything() -> anyhow::Result<()> {
    // The whole application, so that no route answers "not served by this instance".
    let desk = Desk::start().await?;
    let (week, state) = (&desk.week, &desk.state);
    week.declare_partner("mission-locale-gap").await?;
    let venue = week.register_venue(40).await?;
    let mut keys = Vec::new();
    for role in [
        Role::Organiser(Editions::All),
        Role::Venue(venue),
        Role::Partner(partner_id("mission-locale-gap")),
    ] {
        let (_, secret) = state.keys.create(role).await?;
        keys.push(secret.expose().to_owned());
    }
    let app = desk.router.clone();
    let before = week.messages_in_log().await;

    let mut runner = TestRunner::new(Config::default());
    let strategy = body();
    let (mut sent, mut n) = (0usize, 0usize);
    for route in ROUTES
        .iter()
        .filter(|r| r.method == Verb::Post && matches!(r.access, Access::Key(_)))
    {
        let path = filled(route.path);
        for key in &keys {
            for _ in 0..CASES {
                let bytes = strategy
                    .new_tree(&mut runner)
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .current();
                n += 1;
                let request = Request::post(&path)
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .header("idempotency-key", format!("generated-{n}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(bytes.clone()))?;
                let answer = send(&app, request).await?;
                let status = answer.status;
                let content_type = answer
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let shown = String::from_utf8_lossy(&bytes);
                let context = format!(
                    "{} {path} with {shown:?}: {status} {}",
                    route.operation, answer.text
                );
                assert!(!status.is_server_error(), "{context}");
                if route.body.is_none() && status.is_success() {
                    // A route that takes no body ignores one; it never records from what it
                    // ignored.
                    continue;
                }
                assert!(status.is_client_error(), "{context}");
                assert_eq!(content_type, "application/problem+json", "{context}");
                let code = answer.json["code"].as_str();
                assert!(code.is_some_and(|c| !c.is_empty()), "{context}");
                sent += 1;
            }
        }
    }
    assert!(sent >= 500, "{sent} generated requests");
    assert_eq!(
        week.messages_in_log().await,
        before,
        "a refused request recorded nothing"
    );
    assert_eq!(
        week.log.last_sequence(webhooks::STREAM.name).await?,
        0,
        "no subscription recorded"
    );
    Ok(())
}
