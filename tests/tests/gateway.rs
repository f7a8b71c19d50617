//! The HTTP gateway in front of a running week: API keys, scopes, idempotency, bad input, rate
//! limits and a whole week built through HTTP, against a real nats-server and the real services.
//!
//! Requests go to `gateway::app` with `tower::ServiceExt::oneshot`, and once through a real TCP
//! socket to `Gateway::run_until_stopped`.

use std::time::Duration;

use futures_util::StreamExt;
use gateway::keys::{Editions, KeyId};
use gateway::stack::axum::Router;
use gateway::stack::axum::body::{Body, Bytes};
use gateway::stack::axum::http::{Method, Request, StatusCode, header};
use gateway::stack::tower::ServiceExt;
use gateway::{Gateway, RateLimit, Role};
use proto::values::{EditionId, EventId, SessionId, VenueId};
use semaine::configuration::Tuning;
use serde_json::{Value, json};
use tests::desk::{Answer, Desk, schedule_body};
use tests::week::{partner_id, tuesday, venue_in_gap};

/// A week with the gateway in front of it: a [`Desk`], and the requests built up by [`Call`].
struct Api(Desk);

impl std::ops::Deref for Api {
    type Target = Desk;

    fn deref(&self) -> &Desk {
        &self.0
    }
}

/// A request, built up.
struct Call {
    method: Method,
    path: String,
    secret: Option<String>,
    authorization: Option<String>,
    key: Option<String>,
    content_type: Option<&'static str>,
    body: Bytes,
    correlation: Option<String>,
}

fn post(path: &str) -> Call {
    Call {
        method: Method::POST,
        path: path.to_owned(),
        secret: None,
        authorization: None,
        key: None,
        content_type: None,
        body: Bytes::new(),
        correlation: None,
    }
}

fn get(path: &str) -> Call {
    Call {
        method: Method::GET,
        ..post(path)
    }
}

impl Call {
    fn by(mut self, secret: &str) -> Self {
        self.secret = Some(secret.to_owned());
        self
    }
    fn authorization(mut self, value: &str) -> Self {
        self.authorization = Some(value.to_owned());
        self
    }
    fn key(mut self, key: &str) -> Self {
        self.key = Some(key.to_owned());
        self
    }
    fn json(mut self, body: &Value) -> Self {
        self.content_type = Some("application/json");
        self.body = Bytes::from(body.to_string());
        self
    }
    fn correlated(mut self, id: &str) -> Self {
        self.correlation = Some(id.to_owned());
        self
    }
    fn raw(mut self, content_type: Option<&'static str>, body: impl Into<Bytes>) -> Self {
        self.content_type = content_type;
        self.body = body.into();
        self
    }

    fn request(self) -> anyhow::Result<Request<Body>> {
        let mut builder = Request::builder().method(self.method).uri(self.path);
        if let Some(secret) = self.secret {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {secret}"));
        }
        if let Some(value) = self.authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        if let Some(key) = self.key {
            builder = builder.header("idempotency-key", key);
        }
        if let Some(content_type) = self.content_type {
            builder = builder.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(id) = self.correlation {
            builder = builder.header(gateway::correlation::HEADER, id);
        }
        Ok(builder.body(Body::from(self.body))?)
    }
}

impl Api {
    async fn start() -> anyhow::Result<Self> {
        Self::with_limit(RateLimit::default()).await
    }

    /// A week behind the gateway with a session of ten seats open for registration on Tuesday
    /// from `from` to `to` o'clock: the api, and the session's venue, event and id.
    async fn with_session(from: i8, to: i8) -> anyhow::Result<(Self, VenueId, EventId, SessionId)> {
        let api = Self::start().await?;
        let (venue, event, session) = api
            .week
            .open_session(10, tuesday(from, 0), tuesday(to, 0))
            .await?;
        Ok((api, venue, event, session))
    }

    async fn with_limit(limit: RateLimit) -> anyhow::Result<Self> {
        let tuning = Tuning {
            rate_limit: limit,
            ..Tuning::default()
        };
        Ok(Self(Desk::tuned(tuning).await?))
    }

    async fn key_with_id(&self, role: Role) -> anyhow::Result<(KeyId, String)> {
        let (id, secret) = self.state.keys.create(role).await?;
        Ok((id, secret.expose().to_owned()))
    }

    async fn send(&self, call: Call) -> anyhow::Result<Answer> {
        send_to(&self.router, call).await
    }

    /// Forgets every idempotency key the gateway stored, as 24 hours would.
    async fn forget_idempotency_keys(&self) -> anyhow::Result<()> {
        let kv = self
            .week
            .log
            .jetstream()
            .get_key_value(gateway::idempotency::IDEMPOTENCY_BUCKET)
            .await?;
        let mut names = kv.keys().await?;
        let mut all = Vec::new();
        while let Some(name) = names.next().await {
            all.push(name?);
        }
        for name in all {
            kv.purge(name).await?;
        }
        Ok(())
    }
}

/// Sends a request to `app`.
async fn send_to(app: &Router, call: Call) -> anyhow::Result<Answer> {
    tests::desk::send(app, call.request()?).await
}

fn id_of<T: serde::de::DeserializeOwned>(answer: &Answer, field: &str) -> anyhow::Result<T> {
    Ok(serde_json::from_value(answer.json[field].clone())?)
}

fn edition_body() -> Value {
    json!({
        "name": "Semaine des métiers du social — Hautes-Alpes 2027",
        "territory": "05",
        "first_day": "2027-04-12",
        "last_day": "2027-04-23",
        "organisers": ["dep-05"],
    })
}

/// The harness's venue in Gap ([`venue_in_gap`], a room of 30) as the API's body.
fn venue_body() -> Value {
    serde_json::to_value(venue_in_gap(30)).expect("a venue is JSON")
}

fn event_body(edition: EditionId) -> Value {
    json!({
        "edition": edition,
        "about": {
            "kind": "open_door",
            "title": "Portes ouvertes à l'EHPAD Les Marronniers",
            "themes": ["elderly_autonomy"],
            "audiences": ["young_people", "job_seekers"],
        },
    })
}

/// A partner's registration of the person it knows as `reference` into `session`.
fn register(session: SessionId, reference: &str) -> Call {
    post("/registrations").json(&registration_body(session, reference))
}

/// An organiser's creation of the Hautes-Alpes edition ([`edition_body`]).
fn create_edition() -> Call {
    post("/editions").json(&edition_body())
}

/// The registration of the harness's venue in Gap ([`venue_body`]).
fn register_venue() -> Call {
    post("/venues").json(&venue_body())
}

/// An organiser's adding of the open door ([`event_body`]) to `edition`.
fn add_event(edition: EditionId) -> Call {
    post("/events").json(&event_body(edition))
}

/// An organiser's publishing of `edition`.
fn publish(edition: EditionId) -> Call {
    post(&format!("/editions/{edition}/publish"))
}

fn registration_body(session: SessionId, reference: &str) -> Value {
    json!({
        "session": session,
        "reference": reference,
        "attendee": { "kind": "person" },
        "profile": { "audience": "young_people", "age_band": "from16_to25", "town": "05061" },
        "identity": { "first_name": "Camille", "last_name": "Martin" },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_malformed_unknown_or_revoked_key_is_401() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let (revoked_id, revoked) = api.key_with_id(Role::Organiser(Editions::All)).await?;
    assert!(api.state.keys.revoke(&revoked_id).await?);
    let unknown = format!("semaine_{}", "A".repeat(43));
    let cases: [(&str, Option<String>); 7] = [
        ("no key", None),
        ("basic auth", Some("Basic dXNlcjpwYXNz".into())),
        ("no scheme", Some(unknown.clone())),
        ("not a secret", Some("Bearer not-a-secret".into())),
        ("unknown", Some(format!("Bearer {unknown}"))),
        ("revoked", Some(format!("Bearer {revoked}"))),
        ("empty", Some("Bearer ".into())),
    ];
    let before = api.week.messages_in_log().await;
    for (case, authorization) in cases {
        let mut call = create_edition().key("k-1");
        if let Some(value) = authorization {
            call = call.authorization(&value);
        }
        let answer = api.send(call).await?;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{case}: {answer:?}"
        );
        assert_eq!(answer.code(), "unauthenticated", "{case}");
        assert!(answer.is_problem(), "{case}: {answer:?}");
        assert!(
            answer.headers.contains_key(header::WWW_AUTHENTICATE),
            "{case}"
        );
    }
    assert_eq!(api.week.messages_in_log().await, before);

    // A live key gets through; health needs no key at all.
    let live = api.key(Role::Organiser(Editions::All)).await?;
    let answer = api.send(create_edition().by(&live).key("k-1")).await?;
    answer.assert_status(StatusCode::CREATED);
    assert_eq!(api.send(get("/healthz")).await?.status, StatusCode::OK);
    assert_eq!(api.send(get("/readyz")).await?.status, StatusCode::OK);

    // The list shows both keys, the revoked one as revoked, and no secret.
    let keys = api.state.keys.list().await?;
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().any(|k| k.key_id == revoked_id && k.revoked));
    let listed = serde_json::to_string(&keys)?;
    assert!(!listed.contains(&revoked) && !listed.contains(&live));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_act_only_within_their_scope() -> anyhow::Result<()> {
    let (api, venue, event, session) = Api::with_session(10, 12).await?;
    let week = &api.week;
    let edition = week
        .scheduling
        .event_state(event)
        .await?
        .added
        .map(|added| added.edition)
        .ok_or_else(|| anyhow::anyhow!("the event has an edition"))?;
    let mission_locale = api.partner_key("mission-locale-gap").await?;
    let france_travail = api.partner_key("france-travail-gap").await?;
    let registered = api
        .send(register(session, "ml-001").by(&mission_locale).key("r-1"))
        .await?;
    registered.assert_status(StatusCode::CREATED);
    let registration: uuid::Uuid = id_of(&registered, "registration")?;
    let cancel = format!("/sessions/{session}/registrations/{registration}/cancel");

    let other_venue = week.register_venue(20).await?;
    let other_venue_key = api.key(Role::Venue(other_venue)).await?;
    let other_edition = week.create_edition().await?;
    let other_organiser = api
        .key(Role::Organiser(Editions::One(other_edition)))
        .await?;
    let organiser = api.key(Role::Organiser(Editions::One(edition))).await?;
    let request = week.hosting_request(venue, session).await?;

    let before = week.messages_in_log().await;
    let refused = [
        // Another partner's registration is answered as one that does not exist.
        (
            "another partner cancels",
            post(&cancel).by(&france_travail).key("c-1"),
            StatusCode::NOT_FOUND,
            "unknown-registration",
        ),
        (
            "another venue confirms",
            post(&format!("/venues/{venue}/hosting/{session}/confirm"))
                .by(&other_venue_key)
                .key("v-1")
                .json(&json!({ "request": request, "capacity": 5 })),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "another venue checks in",
            post(&format!(
                "/sessions/{session}/registrations/{registration}/check-in"
            ))
            .by(&other_venue_key)
            .key("v-2")
            .json(&json!({ "present": 1 })),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "a partner checks in",
            post(&format!(
                "/sessions/{session}/registrations/{registration}/check-in"
            ))
            .by(&mission_locale)
            .key("v-3")
            .json(&json!({ "present": 1 })),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "another edition's organiser publishes",
            publish(edition).by(&other_organiser).key("o-1"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "another edition's organiser schedules",
            post(&format!("/events/{event}/sessions"))
                .by(&other_organiser)
                .key("o-2")
                .json(&schedule_body(
                    SessionId::generate(),
                    venue,
                    "2027-04-14T10:00:00",
                    "2027-04-14T11:00:00",
                    10,
                )),
            StatusCode::NOT_FOUND,
            "unknown-event",
        ),
        (
            "another edition's organiser reserves",
            post(&format!("/sessions/{session}/reservations"))
                .by(&other_organiser)
                .key("o-3")
                .json(&json!({
                    "beneficiary": { "for": "audience", "audience": "job_seekers" },
                    "seats": 2,
                    "until": "2027-04-12T08:00:00Z",
                })),
            // Answered as a session that does not exist: the key learns nothing of it.
            StatusCode::NOT_FOUND,
            "unknown-session",
        ),
        (
            "an edition's organiser creates an edition",
            create_edition().by(&organiser).key("o-4"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "an edition's organiser retires a partner",
            post("/partners/mission-locale-gap/retire")
                .by(&organiser)
                .key("o-5")
                .json(&json!({ "reason": "fin de convention" })),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "a partner creates an edition",
            create_edition().by(&mission_locale).key("p-1"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "a venue registers for a partner",
            register(session, "ml-002").by(&other_venue_key).key("p-2"),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    for (case, call, status, code) in refused {
        let answer = api.send(call).await?;
        assert_eq!(answer.status, status, "{case}: {answer:?}");
        assert_eq!(answer.code(), code, "{case}");
        assert!(answer.is_problem(), "{case}: {answer:?}");
    }
    assert_eq!(week.messages_in_log().await, before);

    // Not a word about whose registration it is.
    let theirs = api
        .send(post(&cancel).by(&france_travail).key("c-2"))
        .await?;
    let nobodys = api
        .send(
            post(&format!(
                "/sessions/{session}/registrations/{}/cancel",
                uuid::Uuid::now_v7()
            ))
            .by(&france_travail)
            .key("c-3"),
        )
        .await?;
    assert_eq!(
        (theirs.status, theirs.code()),
        (nobodys.status, nobodys.code())
    );
    let detail = theirs.json["detail"].as_str().unwrap_or("");
    assert!(!detail.contains("not made by you"), "{detail}");

    // Within their scopes, the same keys act.
    for call in [
        publish(edition).by(&organiser).key("o-6"),
        post(&cancel).by(&mission_locale).key("c-4"),
    ] {
        api.send(call).await?.assert_status(StatusCode::OK);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_gets_the_first_answer_and_a_reused_key_is_refused() -> anyhow::Result<()> {
    let (api, _, _, session) = Api::with_session(14, 16).await?;
    let week = &api.week;
    let partner = api.partner_key("mission-locale-gap").await?;
    let first_body = registration_body(session, "ml-001");
    let register_with =
        |key: &str, body: &Value| post("/registrations").by(&partner).key(key).json(body);

    let first = api.send(register_with("reg-1", &first_body)).await?;
    first.assert_status(StatusCode::CREATED);
    assert_eq!(first.json["status"], "confirmed");
    assert_eq!(first.json["duplicate"], false);
    assert!(!first.headers.contains_key("idempotent-replayed"));
    let after_first = week.messages_in_log().await;

    // The same key and request: the stored answer, replayed.
    let again = api.send(register_with("reg-1", &first_body)).await?;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json, first.json);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );

    // The same key with another request: refused.
    let other = api
        .send(register(session, "ml-002").by(&partner).key("reg-1"))
        .await?;
    other.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.code(), "idempotency-key-reused");
    assert!(other.is_problem());

    // No key at all: asked for.
    let keyless = api
        .send(post("/registrations").by(&partner).json(&first_body))
        .await?;
    assert_eq!(keyless.status, StatusCode::BAD_REQUEST);
    assert_eq!(keyless.code(), "idempotency-key-required");
    assert_eq!(week.messages_in_log().await, after_first);

    // Once the gateway has forgotten (24 hours, or a crash before storing the answer), the
    // log's own idempotency answers: the same registration, as a duplicate, nothing recorded.
    api.forget_idempotency_keys().await?;
    let late = api.send(register_with("reg-1", &first_body)).await?;
    late.assert_status(StatusCode::CREATED);
    assert_eq!(late.json["registration"], first.json["registration"]);
    assert_eq!(late.json["seq"], first.json["seq"]);
    assert_eq!(late.json["duplicate"], true);
    assert!(!late.headers.contains_key("idempotent-replayed"));
    assert_eq!(week.messages_in_log().await, after_first);

    // The same for an id the gateway makes: a retried edition is the same edition.
    let organiser = api.key(Role::Organiser(Editions::All)).await?;
    let create = || create_edition().by(&organiser).key("ed-1");
    let created = api.send(create()).await?;
    created.assert_status(StatusCode::CREATED);
    let after_edition = week.messages_in_log().await;
    api.forget_idempotency_keys().await?;
    let retried = api.send(create()).await?;
    assert_eq!(retried.json["edition"], created.json["edition"]);
    assert_eq!(retried.json["duplicate"], true);
    assert_eq!(week.messages_in_log().await, after_edition);

    // A refused request recorded nothing: its key is free for the corrected request.
    let elsewhere = registration_body(SessionId::generate(), "ml-003");
    let refused = api.send(register_with("reg-2", &elsewhere)).await?;
    refused.assert_status(StatusCode::CONFLICT);
    assert_eq!(refused.code(), "seats-not-open");
    let corrected = api
        .send(register(session, "ml-003").by(&partner).key("reg-2"))
        .await?;
    corrected.assert_status(StatusCode::CREATED);

    // Two copies of one request at the same instant: one registration, the same answer.
    let body = registration_body(session, "ml-004");
    let (a, b) = tokio::join!(
        api.send(register_with("reg-3", &body)),
        api.send(register_with("reg-3", &body))
    );
    let (a, b) = (a?, b?);
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(a.json["registration"], b.json["registration"]);
    assert_eq!(a.json["seq"], b.json["seq"]);
    let seats = week.registrations.seats(session).await?;
    let participant: proto::registration::ParticipantId = id_of(&a, "participant")?;
    let theirs = seats
        .registrations
        .values()
        .filter(|r| r.participant == participant)
        .count();
    assert_eq!(theirs, 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_problem_and_records_nothing() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let organiser = api.key(Role::Organiser(Editions::All)).await?;
    let partner = api.partner_key("mission-locale-gap").await?;
    let mut unknown_field = edition_body();
    unknown_field["colour"] = json!("blue");
    let mut wrong_type = edition_body();
    wrong_type["first_day"] = json!(20270412);
    let mut invalid_value = edition_body();
    invalid_value["territory"] = json!("20");
    let mut inverted = edition_body();
    inverted["last_day"] = json!("2027-04-01");
    let mut bad_reference = registration_body(SessionId::generate(), "ml-001");
    bad_reference["reference"] = json!("camille.martin@exemple.fr");
    let huge = format!(
        "{{\"name\": \"{}\"}}",
        "x".repeat(gateway::BODY_LIMIT + 1024)
    );
    let json_type = Some("application/json");
    let as_organiser = |path: &str| post(path).by(&organiser).key("k-1");
    let cases = [
        (
            "malformed JSON",
            as_organiser("/editions").raw(json_type, "{\"name\": "),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "empty body",
            as_organiser("/editions").raw(json_type, ""),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "wrong type",
            as_organiser("/editions").json(&wrong_type),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "unknown field",
            as_organiser("/editions").json(&unknown_field),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "invalid value",
            as_organiser("/editions").json(&invalid_value),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "a name where a reference goes",
            post("/registrations")
                .by(&partner)
                .key("k-1")
                .json(&bad_reference),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "the rules refuse it whatever the state",
            as_organiser("/editions").json(&inverted),
            StatusCode::UNPROCESSABLE_ENTITY,
            "last-day-before-first-day",
        ),
        (
            "no content type",
            as_organiser("/editions").raw(None, edition_body().to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "another content type",
            as_organiser("/editions").raw(Some("text/plain"), edition_body().to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "huge body",
            as_organiser("/editions").raw(json_type, huge),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
        ),
        (
            "not an id in the path",
            as_organiser("/editions/not-a-uuid/publish"),
            StatusCode::BAD_REQUEST,
            "invalid-path",
        ),
        (
            "an edition that does not exist",
            as_organiser(&format!("/editions/{}/publish", EditionId::generate())),
            StatusCode::NOT_FOUND,
            "edition-not-created",
        ),
        (
            "an event that does not exist",
            as_organiser(&format!(
                "/events/{}/sessions/{}/cancel",
                EventId::generate(),
                SessionId::generate()
            ))
            .json(&json!({ "reason": "intempéries" })),
            StatusCode::NOT_FOUND,
            "unknown-event",
        ),
        (
            "an organiser answers for a venue",
            post(&format!(
                "/venues/{}/hosting/{}/confirm",
                VenueId::generate(),
                SessionId::generate()
            ))
            .key("k-1")
            .by(&organiser)
            .json(&json!({ "request": 1, "capacity": 3 })),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "an invalid idempotency key",
            create_edition().by(&organiser).key("two words"),
            StatusCode::BAD_REQUEST,
            "invalid-idempotency-key",
        ),
        (
            "no such route",
            as_organiser("/nowhere"),
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            "no such method",
            get("/editions").by(&organiser),
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
        ),
    ];
    let before = api.week.messages_in_log().await;
    for (case, call, status, code) in cases {
        let answer = api.send(call).await?;
        assert_eq!(answer.status, status, "{case}: {answer:?}");
        assert_eq!(answer.code(), code, "{case}: {answer:?}");
        assert!(answer.is_problem(), "{case}: {answer:?}");
        assert!(!answer.status.is_server_error(), "{case}");
    }
    assert_eq!(api.week.messages_in_log().await, before);

    // None of them bound the key "k-1": the valid request goes through with it.
    let answer = api
        .send(as_organiser("/editions").json(&edition_body()))
        .await?;
    answer.assert_status(StatusCode::CREATED);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_is_built_and_a_participant_registered_through_http() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let admin = api.key(Role::Organiser(Editions::All)).await?;

    let created = api.send(create_edition().by(&admin).key("edition")).await?;
    created.assert_status(StatusCode::CREATED);
    let edition: EditionId = id_of(&created, "edition")?;
    assert!(created.json["seq"].as_u64().is_some_and(|seq| seq > 0));
    assert_eq!(created.json["stream"], "SCHEDULING");
    let organiser = api.key(Role::Organiser(Editions::One(edition))).await?;

    let registered = api
        .send(register_venue().by(&organiser).key("venue"))
        .await?;
    registered.assert_status(StatusCode::CREATED);
    assert_eq!(registered.json["stream"], "VENUES");
    let venue: VenueId = id_of(&registered, "venue")?;
    let venue_key = api.key(Role::Venue(venue)).await?;

    let added = api
        .send(add_event(edition).by(&organiser).key("event"))
        .await?;
    added.assert_status(StatusCode::CREATED);
    let event: EventId = id_of(&added, "event")?;

    let session = SessionId::generate();
    let scheduled = api
        .send(
            post(&format!("/events/{event}/sessions"))
                .by(&organiser)
                .key("session")
                .json(&schedule_body(
                    session,
                    venue,
                    "2027-04-13T10:00:00",
                    "2027-04-13T12:00:00",
                    20,
                )),
        )
        .await?;
    scheduled.assert_status(StatusCode::CREATED);
    assert_eq!(id_of::<SessionId>(&scheduled, "session")?, session);

    // The hosting-requests process asks the venue; the venue answers through HTTP.
    api.week.wait_for_request(venue, session).await?;
    let request = api
        .week
        .venues
        .venue_state(venue)
        .await?
        .hosting(session)
        .map(|hosting| hosting.request)
        .ok_or_else(|| anyhow::anyhow!("the venue was asked"))?;
    let confirmed = api
        .send(
            post(&format!("/venues/{venue}/hosting/{session}/confirm"))
                .by(&venue_key)
                .key("confirm")
                .json(&json!({ "request": request, "capacity": 20 })),
        )
        .await?;
    confirmed.assert_status(StatusCode::OK);
    api.week
        .wait_for_seats(session, |seats| {
            seats.capacity == 20 && seats.facts.is_some()
        })
        .await?;

    let published = api
        .send(publish(edition).by(&organiser).key("publish"))
        .await?;
    published.assert_status(StatusCode::OK);

    let declared = api
        .send(
            post("/partners/mission-locale-gap")
                .by(&organiser)
                .key("declare")
                .json(&json!({ "name": "Mission locale du Gapençais", "kind": "mission_locale" })),
        )
        .await?;
    declared.assert_status(StatusCode::OK);
    let partner = api
        .key(Role::Partner(partner_id("mission-locale-gap")))
        .await?;

    let answer = api
        .send(register(session, "ml-001").by(&partner).key("camille"))
        .await?;
    answer.assert_status(StatusCode::CREATED);
    assert_eq!(answer.json["status"], "confirmed");
    assert_eq!(answer.json["stream"], "REGISTRATION");
    assert!(answer.json["participant"].is_string());
    let registration: proto::registration::RegistrationId = id_of(&answer, "registration")?;
    let seats = api.week.registrations.seats(session).await?;
    assert!(
        seats
            .registrations
            .get(&registration)
            .is_some_and(|r| r.is_confirmed())
    );

    // At the door, the venue checks her in.
    let checked_in = api
        .send(
            post(&format!(
                "/sessions/{session}/registrations/{registration}/check-in"
            ))
            .by(&venue_key)
            .key("door")
            .json(&json!({ "present": 1 })),
        )
        .await?;
    checked_in.assert_status(StatusCode::OK);
    assert_eq!(checked_in.json["stream"], "REGISTRATION");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_for_a_key_are_429_with_retry_after() -> anyhow::Result<()> {
    let api = Api::with_limit(RateLimit {
        per_second: 0.1,
        burst: 2,
    })
    .await?;
    let hurried = api.key(Role::Organiser(Editions::All)).await?;
    let calm = api.key(Role::Organiser(Editions::All)).await?;
    // Requests without an idempotency key are refused after the limit is counted: cheap.
    for _ in 0..2 {
        let answer = api.send(post("/editions").by(&hurried)).await?;
        answer.assert_status(StatusCode::BAD_REQUEST);
    }
    let limited = api.send(post("/editions").by(&hurried)).await?;
    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate-limited");
    assert!(limited.is_problem());
    let retry_after: u64 = limited
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("a Retry-After in seconds"))?;
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    // Another key has its own allowance.
    let answer = api.send(post("/editions").by(&calm)).await?;
    answer.assert_status(StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_serves_on_a_real_port_until_stopped() -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let api = Api::start().await?;
    let gateway = Gateway::bind(([127, 0, 0, 1], 0).into(), api.state.clone()).await?;
    let port = gateway.port();
    assert_ne!(port, 0);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway.run_until_stopped(async {
        let _ = stopped.await;
    }));

    let exchange = |request: &'static str| async move {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        anyhow::Ok(String::from_utf8_lossy(&response).into_owned())
    };
    let health =
        exchange("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let refused = exchange(
        "POST /editions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("application/problem+json"), "{refused}");
    assert!(
        refused
            .to_ascii_lowercase()
            .contains("cache-control: no-store"),
        "a keyed route's answer is kept by no cache: {refused}"
    );

    // The public catalogue is limited per client address (60 at once, then 20 a second); the
    // probes are not.
    let mut limited = None;
    for _ in 0..100 {
        let answer = exchange(
            "GET /catalogue/editions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await?;
        if answer.starts_with("HTTP/1.1 429") {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.ok_or_else(|| anyhow::anyhow!("100 catalogue reads, none limited"))?;
    assert!(limited.contains("rate-limited"), "{limited}");
    assert!(
        limited.to_ascii_lowercase().contains("retry-after: "),
        "{limited}"
    );
    let health =
        exchange("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
    assert!(
        health.starts_with("HTTP/1.1 200"),
        "the probes are not limited: {health}"
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), server).await???;
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "the port is closed once stopped"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_while_nats_is_down() -> anyhow::Result<()> {
    let api = Api::start().await?;
    assert_eq!(api.send(get("/readyz")).await?.status, StatusCode::OK);
    api.week.nats.kill().await;
    let mut last = None;
    for _ in 0..100 {
        let answer = api.send(get("/readyz")).await?;
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            last = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = last.ok_or_else(|| anyhow::anyhow!("readyz never said 503"))?;
    assert_eq!(answer.code(), "not-ready");
    assert!(answer.is_problem());
    assert_eq!(api.send(get("/healthz")).await?.status, StatusCode::OK);
    api.week.nats.restart().await?;
    for _ in 0..200 {
        if api.send(get("/readyz")).await?.status == StatusCode::OK {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("readyz never came back after NATS restarted")
}

/// The public catalogue over HTTP: published sessions with their seats, drafts only for their
/// organisers, typed errors for bad queries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_is_public_for_published_editions() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let week = &api.week;
    let (venue, edition, event) = week.open_door(40).await?;
    let session = week
        .schedule_session(
            event,
            venue,
            tests::week::tuesday(9, 0),
            tests::week::tuesday(11, 0),
            30,
        )
        .await?;
    week.wait_for_request(venue, session).await?;
    week.confirm(venue, session, 30).await?;
    week.wait_for_seats(session, |s| s.capacity == 30).await?;
    week.register(
        "ft",
        "lea",
        session,
        proto::taxonomy::Audience::JobSeekers,
        "k",
    )
    .await?;

    let store = tempfile::tempdir()?;
    let mut runner = week.runner(catalogue::Catalogue, store.path()).await?;
    runner.catch_up().await?;
    let app = gateway::app(api.state.clone().with_catalogue(runner.db().clone()));
    let send = |call: Call| {
        let app = app.clone();
        async move {
            let response = app.oneshot(call.request()?).await?;
            let status = response.status();
            let body = gateway::stack::axum::body::to_bytes(response.into_body(), 1 << 20).await?;
            anyhow::Ok((
                status,
                serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null),
            ))
        }
    };

    // A draft edition: nothing public; its organiser sees it.
    let (status, page) = send(get("/catalogue/sessions")).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
    let (status, problem) = send(get("/catalogue/sessions?include_drafts=true")).await?;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let organiser = api
        .key(Role::parse("organiser", &edition.to_string())?)
        .await?;
    let (status, page) = send(
        get(&format!(
            "/catalogue/sessions?include_drafts=true&edition={edition}"
        ))
        .by(&organiser),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["session"], json!(session.to_string()));

    // Published: everyone sees it, with its seats.
    week.scheduling
        .edition(
            edition,
            &proto::scheduling::edition::Command::Publish,
            &eventlog::CommandMeta::new(tests::week::organiser(), "publish"),
        )
        .await?;
    runner.catch_up().await?;
    let (status, page) = send(get("/catalogue/sessions?town=gap&has_seats=true")).await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    let row = &page["items"][0];
    assert_eq!(row["session"], json!(session.to_string()));
    assert_eq!(row["capacity"], json!(30));
    assert_eq!(row["seats_left"], json!(29));
    let (status, one) = send(get(&format!("/catalogue/sessions/{session}"))).await?;
    assert_eq!((status, &one["town"]), (StatusCode::OK, &json!("Gap")));
    let (status, editions) = send(get("/catalogue/editions")).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(editions["items"][0]["id"], json!(edition.to_string()));

    // Bad queries and unknown ids: typed problems, never a 5xx.
    for (path, expected) in [
        ("/catalogue/sessions?limit=many", StatusCode::BAD_REQUEST),
        (
            "/catalogue/sessions?theme=astronomy",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/catalogue/sessions?after=not-a-cursor",
            StatusCode::BAD_REQUEST,
        ),
        ("/catalogue/sessions/not-a-uuid", StatusCode::BAD_REQUEST),
        (
            "/catalogue/sessions/01962f00-0000-7000-8000-000000000001",
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (status, problem) = send(get(path)).await?;
        assert_eq!(status, expected, "{path}: {problem}");
        assert!(problem["code"].is_string(), "{path}: {problem}");
    }
    Ok(())
}

/// A venue sets its hours and closed days, an organiser amends an event: each within its scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venues_set_hours_and_closed_days_and_organisers_amend_events() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let all = api.key(Role::parse("organiser", "*")?).await?;
    let venue = api.send(register_venue().by(&all).key("v1")).await?;
    assert_eq!(venue.status, StatusCode::CREATED, "{}", venue.json);
    let venue: VenueId = id_of(&venue, "venue")?;
    let own = api.key(Role::Venue(venue)).await?;
    let other = api.key(Role::Venue(VenueId::generate())).await?;
    let hours = json!({ "opening_hours": [{ "day": "saturday", "opens": "09:00:00", "closes": "12:00:00" }] });
    let closed = json!({ "from": "2027-04-22", "to": "2027-04-22", "reason": "Travaux" });
    for (n, (path, body)) in [
        (format!("/venues/{venue}/opening-hours"), &hours),
        (format!("/venues/{venue}/closed-periods"), &closed),
    ]
    .into_iter()
    .enumerate()
    {
        let refused = api
            .send(post(&path).by(&other).key(&format!("x{n}")).json(body))
            .await?;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            refused.json
        );
        let done = api
            .send(post(&path).by(&own).key(&format!("y{n}")).json(body))
            .await?;
        assert!(done.status.is_success(), "{path}: {}", done.json);
    }
    let bad = api
        .send(
            post(&format!("/venues/{venue}/closed-periods"))
                .by(&own)
                .key("z")
                .json(&json!({ "from": "2027-04-23", "to": "2027-04-22", "reason": "Travaux" })),
        )
        .await?;
    assert_eq!(
        bad.json["code"],
        json!("closed-period-inverted"),
        "{}",
        bad.json
    );

    let edition = api.send(create_edition().by(&all).key("e1")).await?;
    let edition: EditionId = id_of(&edition, "edition")?;
    let event = api.send(add_event(edition).by(&all).key("ev1")).await?;
    let event: EventId = id_of(&event, "event")?;
    let amended = api
        .send(
            post(&format!("/events/{event}/amend"))
                .by(&all)
                .key("am1")
                .json(&json!({
                    "kind": "open_door",
                    "title": "Portes ouvertes et café-rencontre",
                    "themes": ["elderly_autonomy"],
                    "audiences": ["young_people"],
                })),
        )
        .await?;
    assert!(amended.status.is_success(), "{}", amended.json);
    let state = api.week.scheduling.event_state(event).await?;
    assert_eq!(
        state.added.map(|a| a.about.title.to_string()),
        Some("Portes ouvertes et café-rencontre".to_owned())
    );
    Ok(())
}

/// The committed OpenAPI document is the one served, and it matches the router: every operation
/// in it is routed, every other method on its paths is 405, and a path not in it is 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_served_and_matches_the_router() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let served = api.send(get("/openapi.json")).await?;
    served.assert_status(StatusCode::OK);
    let committed_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("proto")
        .join("openapi.json");
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(committed_path)?)?;
    assert_eq!(
        served.json, committed,
        "proto/openapi.json is what is served"
    );
    assert_eq!(served.json["openapi"], "3.1.0");

    let paths = committed["paths"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("the document has paths"))?;
    assert!(paths.len() >= 30, "{} paths", paths.len());
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ];
    for (template, item) in paths {
        let path: String = template
            .split('/')
            .map(|segment| match segment {
                "{partner}" => "mission-locale-gap",
                s if s.starts_with('{') => "01962f00-0000-7000-8000-000000000001",
                s => s,
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in &methods {
            let documented = item.get(method.as_str().to_ascii_lowercase()).is_some();
            let call = Call {
                method: method.clone(),
                ..get(&path)
            };
            let answer = api.send(call).await?;
            if documented {
                assert!(
                    !matches!(answer.code(), "not-found" | "method-not-allowed"),
                    "{method} {template} is routed: {answer:?}"
                );
            } else {
                assert_eq!(
                    (answer.status, answer.code()),
                    (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed"),
                    "{method} {template} is not routed"
                );
            }
        }
    }
    let nowhere = api.send(get("/not/in/the/document")).await?;
    assert_eq!(nowhere.code(), "not-found");
    Ok(())
}

/// `/metrics` counts requests by route template and status, commands by outcome, and tells where
/// the projections given stand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_outcomes_and_projections() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let store = tempfile::tempdir()?;
    let mut runner = api.week.runner(catalogue::Catalogue, store.path()).await?;
    let app = gateway::app(
        api.state
            .clone()
            .with_projection("catalogue", runner.progress()),
    );
    let admin = api.key(Role::Organiser(Editions::All)).await?;
    let created = send_to(&app, create_edition().by(&admin).key("e1")).await?;
    created.assert_status(StatusCode::CREATED);
    let refused = send_to(&app, create_edition()).await?;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let reused = send_to(
        &app,
        post("/editions")
            .by(&admin)
            .key("e1")
            .json(&json!({ "name": "autre" })),
    )
    .await?;
    assert_eq!(reused.code(), "idempotency-key-reused");
    send_to(&app, get("/nowhere")).await?;
    send_to(&app, get("/healthz")).await?;

    let scraped = send_to(&app, get("/metrics")).await?;
    assert_eq!(scraped.status, StatusCode::OK);
    assert!(
        scraped
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain; version=0.0.4")),
        "{scraped:?}"
    );
    let text = &scraped.text;
    let sample = |name: &str| -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    };
    for (name, value) in [
        (
            "semaine_http_requests_total{method=\"POST\",route=\"/editions\",status=\"201\"}",
            1.0,
        ),
        (
            "semaine_http_requests_total{method=\"POST\",route=\"/editions\",status=\"401\"}",
            1.0,
        ),
        (
            "semaine_http_requests_total{method=\"POST\",route=\"/editions\",status=\"422\"}",
            1.0,
        ),
        (
            "semaine_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}",
            1.0,
        ),
        (
            "semaine_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}",
            1.0,
        ),
        (
            "semaine_http_request_duration_seconds_count{route=\"/editions\"}",
            3.0,
        ),
        (
            "semaine_http_request_duration_seconds_bucket{route=\"/editions\",le=\"+Inf\"}",
            3.0,
        ),
        ("semaine_command_outcomes_total{code=\"ok\"}", 1.0),
        (
            "semaine_command_outcomes_total{code=\"unauthenticated\"}",
            1.0,
        ),
        (
            "semaine_command_outcomes_total{code=\"idempotency-key-reused\"}",
            1.0,
        ),
        (
            "semaine_projection_checkpoint{projection=\"catalogue\",stream=\"SCHEDULING\"}",
            0.0,
        ),
        (
            "semaine_projection_checkpoint{projection=\"catalogue\",stream=\"REGISTRATION\"}",
            0.0,
        ),
    ] {
        assert_eq!(sample(name), Some(value), "{name} in\n{text}");
    }
    // Nothing applied yet: the lag is the whole log (the edition, at least).
    let lag = sample("semaine_projection_lag{projection=\"catalogue\"}");
    assert!(lag.is_some_and(|lag| lag >= 1.0), "{text}");
    assert!(!text.contains("semaine_command_outcomes_total{code=\"not-found\"}"));

    runner.catch_up().await?;
    let text = send_to(&app, get("/metrics")).await?.text;
    let lag = text
        .lines()
        .find_map(|l| l.strip_prefix("semaine_projection_lag{projection=\"catalogue\"} "));
    assert_eq!(lag, Some("0"), "{text}");
    assert!(
        text.contains(
            "semaine_projection_checkpoint{projection=\"catalogue\",stream=\"SCHEDULING\"} 1"
        ),
        "{text}"
    );
    Ok(())
}

/// Read-your-writes: a registration answers its stream and sequence; a catalogue read given them
/// as `min_seq` sees the seat taken, however far behind the catalogue was. One the catalogue does
/// not reach is 503 `read-model-behind` after about 2 seconds; one ahead of the log, 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalogue_read_with_min_seq_sees_the_registration_just_answered() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let partner = api.partner_key("mission-locale-gap").await?;
    let week = &api.week;
    let (venue, edition, event) = week.open_door(30).await?;
    let session = week
        .confirmed_session(event, venue, tuesday(9, 0), tuesday(11, 0), 30)
        .await?;
    let published = week
        .scheduling
        .edition(
            edition,
            &proto::scheduling::edition::Command::Publish,
            &eventlog::CommandMeta::new(tests::week::organiser(), "publish"),
        )
        .await?;

    // The catalogue runs in the background, as `semaine up` runs it.
    let store = tempfile::tempdir()?;
    let runner = week.runner(catalogue::Catalogue, store.path()).await?;
    let progress = runner.progress();
    let db = runner.db().clone();
    let app = gateway::app(
        api.state
            .clone()
            .with_catalogue(db)
            .with_projection("catalogue", progress),
    );

    let registered = send_to(
        &app,
        register(session, "ml-001").by(&partner).key("camille"),
    )
    .await?;
    registered.assert_status(StatusCode::CREATED);
    assert_eq!(registered.json["stream"], "REGISTRATION");
    let seq = registered.json["seq"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("a seq"))?;

    // The read waits while the catalogue has not read that far (it has not started yet), and
    // answers once it has: the seat is taken. Repeated parameters.
    let call = get(&format!(
        "/catalogue/sessions/{session}?min_seq=REGISTRATION:{seq}&min_seq=SCHEDULING:{}",
        published.seq
    ));
    let waiting = app.clone();
    let read = tokio::spawn(async move { send_to(&waiting, call).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!read.is_finished(), "the read waits for the catalogue");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(runner.run(async {
        let _ = stopped.await;
    }));
    let one = read.await??;
    one.assert_status(StatusCode::OK);
    assert_eq!(one.json["capacity"], json!(30));
    assert_eq!(one.json["seats_left"], json!(29), "{}", one.json);

    // With the catalogue running: another registration, then at once a read of a page with its
    // `min_seq` (comma-separated).
    let again = send_to(&app, register(session, "ml-002").by(&partner).key("lea")).await?;
    again.assert_status(StatusCode::CREATED);
    let seq = again.json["seq"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("a seq"))?;
    let page = send_to(
        &app,
        get(&format!(
            "/catalogue/sessions?edition={edition}&min_seq=REGISTRATION:{seq},SCHEDULING:{}",
            published.seq
        )),
    )
    .await?;
    page.assert_status(StatusCode::OK);
    assert_eq!(
        page.json["items"][0]["seats_left"],
        json!(28),
        "{}",
        page.json
    );
    let editions = send_to(
        &app,
        get(&format!(
            "/catalogue/editions?min_seq=SCHEDULING:{}",
            published.seq
        )),
    )
    .await?;
    assert_eq!(editions.json["items"][0]["id"], json!(edition.to_string()));

    // Ahead of the log, a position no command was answered: 409 after the wait of about 2
    // seconds.
    let started = std::time::Instant::now();
    let ahead = send_to(
        &app,
        get(&format!(
            "/catalogue/sessions/{session}?min_seq=REGISTRATION:{}",
            seq + 1_000_000
        )),
    )
    .await?;
    ahead.assert_refused(StatusCode::CONFLICT, "min-seq-ahead-of-log");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1900) && waited < Duration::from_secs(4),
        "{waited:?}"
    );

    // A stream of semaine's that the catalogue does not read holds nothing to wait for.
    let unread = send_to(&app, get("/catalogue/editions?min_seq=JOBDATING:7")).await?;
    unread.assert_status(StatusCode::OK);

    // A stream semaine does not have, or no sequence: 400.
    for query in [
        "min_seq=NOWHERE:1",
        "min_seq=REGISTRATION",
        "min_seq=REGISTRATION:x",
    ] {
        let answer = send_to(&app, get(&format!("/catalogue/editions?{query}"))).await?;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "invalid-query"),
            "{query}: {answer:?}"
        );
    }

    // The catalogue stopped, a registration it will not read: 503, to come back later (at once:
    // a stopped read model reads no further).
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running).await???;
    let unseen = send_to(&app, register(session, "ml-003").by(&partner).key("noa")).await?;
    unseen.assert_status(StatusCode::CREATED);
    let behind = send_to(
        &app,
        get(&format!(
            "/catalogue/sessions/{session}?min_seq=REGISTRATION:{}",
            unseen.json["seq"]
        )),
    )
    .await?;
    behind.assert_refused(StatusCode::SERVICE_UNAVAILABLE, "read-model-behind");
    assert!(behind.is_problem());
    assert_eq!(
        behind
            .headers
            .get(header::RETRY_AFTER)
            .map(|v| v.as_bytes()),
        Some(&b"1"[..])
    );
    Ok(())
}

/// A damaged catalogue store is moved aside and replayed; until it has caught up with the log,
/// `/readyz` is `503` and names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_until_a_replaced_read_model_has_caught_up() -> anyhow::Result<()> {
    let api = Api::start().await?;
    api.week
        .open_session(20, tuesday(10, 0), tuesday(11, 0))
        .await?;
    let stores = tempfile::tempdir()?;
    let dir = stores.path().join("catalogue");
    std::fs::create_dir_all(&dir)?;
    for file in ["conf", "db"] {
        std::fs::write(dir.join(file), vec![0xA5u8; 4096])?;
    }
    let runner = api.week.runner(catalogue::Catalogue, &dir).await?;
    let aside = runner
        .set_aside()
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| anyhow::anyhow!("the damaged store was not set aside"))?;
    assert!(aside.join("db").exists(), "the damaged store is kept");
    let progress = runner.progress();
    let app = gateway::app(
        api.state
            .clone()
            .with_projection("catalogue", progress.clone()),
    );

    let answer = send_to(&app, get("/readyz")).await?;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.code(), "not-ready");
    assert!(
        answer.json["detail"]
            .as_str()
            .is_some_and(|d| d.contains("catalogue")),
        "{answer:?}"
    );

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(runner.run(async move {
        let _ = stopped.await;
    }));
    let mut ready = false;
    for _ in 0..200 {
        if send_to(&app, get("/readyz")).await?.status == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        ready,
        "readyz never said ready once the catalogue caught up"
    );
    let scheduling = api.week.log.last_sequence(scheduling::STREAM.name).await?;
    let checkpoint = progress
        .borrow()
        .checkpoints
        .get(scheduling::STREAM.name)
        .copied();
    assert_eq!(
        checkpoint,
        Some(scheduling),
        "ready before the replay reached the log's end"
    );
    let _ = stop.send(());
    running.await??;
    Ok(())
}

/// Every validated field of the registration's and the venue's bodies, given a non-ASCII,
/// decomposed, over-long or control-character value: `422` problem+json, never a panic's empty
/// reply, and nothing recorded. `"town":"aé12"` once panicked the handler (a string sliced by
/// bytes across `é`). A misspelt nested field is refused too, naming it, not dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_in_validated_fields_are_422_and_record_nothing() -> anyhow::Result<()> {
    let (api, _, _, session) = Api::with_session(10, 12).await?;
    let partner = api.partner_key("mission-locale-gap").await?;
    let organiser = api.key(Role::Organiser(Editions::All)).await?;
    let long_name = "é".repeat(201);
    let codes: Vec<&str> = vec![
        "aé12",
        "é",
        "2é004",
        "😀😀😀😀😀",
        "0506\u{301}",
        "05\u{0}61",
        "ａ5061",
    ];
    let names: Vec<&str> = vec![&long_name, "a\u{0}b", " Camille", "Camille\n"];
    let registration = registration_body(session, "ml-0042");
    let venue = venue_body();
    let cases: Vec<(&str, &str, &Value, &str, &[&str])> = vec![
        (
            "/registrations",
            &partner,
            &registration,
            "/profile/town",
            &codes,
        ),
        (
            "/registrations",
            &partner,
            &registration,
            "/reference",
            &codes,
        ),
        (
            "/registrations",
            &partner,
            &registration,
            "/identity/first_name",
            &names,
        ),
        (
            "/registrations",
            &partner,
            &registration,
            "/identity/last_name",
            &names,
        ),
        ("/venues", &organiser, &venue, "/address/insee_code", &codes),
        ("/venues", &organiser, &venue, "/address/postcode", &codes),
        ("/venues", &organiser, &venue, "/rooms/0/id", &codes),
        ("/venues", &organiser, &venue, "/name", &names),
        ("/venues", &organiser, &venue, "/address/town", &names),
    ];
    let before = api.week.messages_in_log().await;
    let mut n = 0;
    for (path, key, body, pointer, values) in cases {
        for value in values {
            let mut hostile = body.clone();
            *hostile
                .pointer_mut(pointer)
                .ok_or_else(|| anyhow::anyhow!("{path} has {pointer}"))? = Value::from(*value);
            n += 1;
            let answer = api
                .send(
                    post(path)
                        .by(key)
                        .key(&format!("hostile-{n}"))
                        .json(&hostile),
                )
                .await?;
            let context = format!("{path} {pointer} = {value:?}: {answer:?}");
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{context}");
            assert!(answer.is_problem(), "{context}");
            assert_eq!(answer.code(), "invalid-body", "{context}");
        }
    }
    for (pointer, misspelt) in [
        ("/profile", "twon"),
        ("/profile", "disability"),
        ("/attendee", "sise"),
    ] {
        let mut body = registration.clone();
        if let Some(object) = body.pointer_mut(pointer).and_then(Value::as_object_mut) {
            object.insert(misspelt.to_owned(), json!("05061"));
        }
        n += 1;
        let answer = api
            .send(
                post("/registrations")
                    .by(&partner)
                    .key(&format!("hostile-{n}"))
                    .json(&body),
            )
            .await?;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{misspelt}: {answer:?}"
        );
        assert!(
            answer.json["detail"]
                .as_str()
                .is_some_and(|d| d.contains(misspelt)),
            "{answer:?}"
        );
    }
    assert_eq!(api.week.messages_in_log().await, before, "nothing recorded");
    // The same bodies with their own values pass: the refusals above were the values'.
    let registered = api
        .send(
            post("/registrations")
                .by(&partner)
                .key("valid-1")
                .json(&registration),
        )
        .await?;
    registered.assert_status(StatusCode::CREATED);
    let registered = api
        .send(post("/venues").by(&organiser).key("valid-2").json(&venue))
        .await?;
    registered.assert_status(StatusCode::CREATED);
    Ok(())
}

/// Values out of reason are typed problems, and record nothing: a leap second in a session's
/// times (jiff would read it as :59), an edition in year 9999, a room for 50,000, a reservation of
/// more seats than the session has or with a deadline already passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_out_of_reason_are_typed_problems() -> anyhow::Result<()> {
    let (api, venue, event, session) = Api::with_session(10, 12).await?;
    let organiser = api.key(Role::Organiser(Editions::All)).await?;
    let before = api.week.messages_in_log().await;
    let mut year_9999 = edition_body();
    year_9999["last_day"] = json!("9999-04-23");
    let mut huge_room = venue_body();
    huge_room["rooms"][0]["max_capacity"] = json!(50_000);
    let cases: Vec<(String, Value, StatusCode, &str)> = vec![
        (
            format!("/events/{event}/sessions"),
            schedule_body(
                SessionId::generate(),
                venue,
                "2027-04-13T23:59:60",
                "2027-04-14T01:00:00",
                10,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            format!("/events/{event}/sessions/{session}/reschedule"),
            json!({ "starts": "2027-04-13T10:00:60", "ends": "2027-04-13T12:00:00" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
        (
            "/editions".to_owned(),
            year_9999,
            StatusCode::UNPROCESSABLE_ENTITY,
            "day-out-of-range",
        ),
        (
            "/venues".to_owned(),
            huge_room,
            StatusCode::UNPROCESSABLE_ENTITY,
            "room-too-large",
        ),
        (
            format!("/sessions/{session}/reservations"),
            json!({
                "beneficiary": { "for": "audience", "audience": "job_seekers" },
                "seats": 11,
                "until": "2027-04-12T10:00:00Z",
            }),
            StatusCode::CONFLICT,
            "reservation-larger-than-session",
        ),
        (
            format!("/sessions/{session}/reservations"),
            json!({
                "beneficiary": { "for": "audience", "audience": "job_seekers" },
                "seats": 2,
                "until": "2020-04-12T10:00:00Z",
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "deadline-passed",
        ),
        (
            format!("/sessions/{session}/reservations"),
            json!({
                "beneficiary": { "for": "partner", "partner": "nobody-declared-this" },
                "seats": 2,
                "until": "2027-04-12T10:00:00Z",
            }),
            StatusCode::CONFLICT,
            "partner-not-declared",
        ),
        (
            format!("/sessions/{session}/reservations"),
            json!({
                "beneficiary": { "for": "audience", "audience": "job_seekers" },
                "seats": 2,
                "until": "2027-04-12T23:59:60Z",
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-body",
        ),
    ];
    for (n, (path, body, status, code)) in cases.into_iter().enumerate() {
        let answer = api
            .send(
                post(&path)
                    .by(&organiser)
                    .key(&format!("reason-{n}"))
                    .json(&body),
            )
            .await?;
        assert_eq!(answer.status, status, "{path}: {answer:?}");
        assert_eq!(answer.code(), code, "{path}: {answer:?}");
        assert!(answer.is_problem(), "{answer:?}");
    }
    assert_eq!(api.week.messages_in_log().await, before, "nothing recorded");
    Ok(())
}

/// A request's correlation id (the client's, or one the gateway makes) is answered in its header,
/// recorded in the envelopes of the events its command records, and carried on by the reaction
/// those events cause in another service: the venue's hosting request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_s_correlation_id_follows_its_command_into_the_reactions() -> anyhow::Result<()> {
    let api = Api::start().await?;
    let week = &api.week;
    let (venue, edition, event) = week.open_door(40).await?;
    let organiser = api.key(Role::Organiser(Editions::All)).await?;
    let session = SessionId::generate();
    let correlation = uuid::Uuid::now_v7();
    let scheduled = api
        .send(
            post(&format!("/events/{event}/sessions"))
                .by(&organiser)
                .key("schedule-1")
                .correlated(&correlation.to_string())
                .json(&schedule_body(
                    session,
                    venue,
                    "2027-04-13T09:00:00",
                    "2027-04-13T11:00:00",
                    20,
                )),
        )
        .await?;
    assert_eq!(scheduled.status, StatusCode::CREATED, "{}", scheduled.text);
    assert_eq!(
        scheduled.headers[gateway::correlation::HEADER],
        correlation.to_string().as_str()
    );
    let correlations = |commits: Vec<eventlog::RecordedCommit>, event_type: &str| {
        commits
            .iter()
            .flat_map(|c| &c.commit.events)
            .filter(|e| e.event_type == event_type)
            .map(|e| e.envelope.correlation_id)
            .collect::<Vec<_>>()
    };
    let recorded = week
        .log
        .read_commits(&scheduling::event_key(event), 0)
        .await?;
    assert_eq!(
        correlations(recorded, "SessionScheduled"),
        [correlation],
        "the command's events carry the request's id"
    );
    week.wait_for_request(venue, session).await?;
    let asked = week
        .log
        .read_commits(&::venues::venue_key(venue), 0)
        .await?;
    assert_eq!(
        correlations(asked, "HostingRequested"),
        [correlation],
        "the reaction carries it on"
    );

    // Without one, the gateway makes one and names it.
    let published = api
        .send(publish(edition).by(&organiser).key("publish-1"))
        .await?;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
    let made: uuid::Uuid = published.headers[gateway::correlation::HEADER]
        .to_str()?
        .parse()?;
    assert_ne!(made, correlation);
    let recorded = week
        .log
        .read_commits(&scheduling::edition_key(edition), 0)
        .await?;
    assert_eq!(correlations(recorded, "EditionPublished"), [made]);
    Ok(())
}
