//! [`Desk`]: a [`Week`] running the whole application, as `semaine up` runs it: the gateway and
//! the console in front of the services, and every read model they read.
//!
//! Tests either send requests to [`Desk::router`] in the process (`tower::ServiceExt::oneshot`)
//! or to the loopback port the application serves it on ([`Desk::address`]), for a browser.

use std::net::SocketAddr;

use eventlog::EventLog;
use gateway::stack::axum::Router;
use gateway::stack::axum::body::Body;
use gateway::stack::axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gateway::stack::tower::ServiceExt;
use gateway::{AppState, RateLimit, Role};
use proto::taxonomy::Audience;
use proto::values::{EditionId, SessionId, VenueId};
use semaine::configuration::{Parts, Tuning};
use serde_json::Value;

use crate::TestNats;
use crate::week::{Week, eventually, partner_id, room, tuesday};

/// A week behind the gateway and the console.
pub struct Desk {
    /// The week (the whole application, its nats-server).
    pub week: Week,
    /// The gateway's state.
    pub state: AppState,
    /// The gateway's API and the console, as the application serves them.
    pub router: Router,
}

impl Desk {
    /// Starts the whole application as `semaine up` does: the services, the processes, every
    /// read model, the gateway and the console.
    pub async fn start() -> anyhow::Result<Self> {
        Self::tuned(Tuning::default()).await
    }

    /// Starts the whole application, tuned as `tuning` says (a test that counts requests may
    /// lower the gateway's allowance).
    pub async fn tuned(tuning: Tuning) -> anyhow::Result<Self> {
        let week = Week::start_with(TestNats::start().await?, |settings| {
            settings.parts = Parts::ALL;
            settings.tuning = tuning;
        })
        .await?;
        let (Some(state), Some(router)) = (week.running.gateway(), week.running.router()) else {
            anyhow::bail!("the application serves no gateway");
        };
        // Every read model has read the (empty) log before the first request: `/readyz` and
        // the first reads find them caught up, as they would a running semaine.
        for (name, progress) in &state.projections {
            let mut progress = progress.clone();
            tokio::time::timeout(
                std::time::Duration::from_secs(30),
                progress.wait_for(|p| p.caught_up),
            )
            .await
            .map_err(|_| anyhow::anyhow!("{name} did not catch up with the log in 30 s"))??;
        }
        Ok(Self {
            state: state.clone(),
            router: router.clone(),
            week,
        })
    }

    /// Another instance of the gateway and the console, over its own NATS connection, as a
    /// second gateway behind a load balancer (or this one restarted) would be: nothing of the
    /// first instance's memory is shared, only NATS and the read models' stores (which one
    /// process cannot open twice).
    pub async fn instance(&self) -> anyhow::Result<Router> {
        let log = EventLog::open(
            self.week.nats.client().await?,
            self.week.log.config().clone(),
        )
        .await?;
        let fresh = AppState::open(
            &log,
            self.week.running.services().clone(),
            RateLimit::default(),
        )
        .await?;
        let state = AppState {
            keys: fresh.keys,
            idempotency: fresh.idempotency,
            limiter: fresh.limiter,
            nats: fresh.nats,
            log: fresh.log,
            ..self.state.clone()
        };
        Ok(gateway::app(state.clone()).merge(Box::pin(console::router(state)).await?))
    }

    /// A new API key of this role; its secret.
    pub async fn key(&self, role: Role) -> anyhow::Result<String> {
        let (_, secret) = self.state.keys.create(role).await?;
        Ok(secret.expose().to_owned())
    }

    /// `partner` declared by an organiser (once: declaring it again records nothing), and a new
    /// key of its own: the key's secret.
    pub async fn partner_key(&self, partner: &str) -> anyhow::Result<String> {
        self.week.declare_partner(partner).await?;
        self.key(Role::Partner(partner_id(partner))).await
    }

    /// Waits (bounded) until the catalogue knows `edition` and `venue`, which the console's
    /// pages read (the import looks venues up by name there).
    pub async fn wait_for_catalogue(
        &self,
        edition: EditionId,
        venue: VenueId,
    ) -> anyhow::Result<()> {
        let db = self
            .state
            .catalogue
            .clone()
            .ok_or_else(|| anyhow::anyhow!("the desk serves the catalogue"))?;
        eventually(
            &format!("the catalogue knows edition {edition} and venue {venue}"),
            || async {
                let known = catalogue::edition(&db, edition).is_some()
                    && catalogue::venues(&db).iter().any(|v| v.id == venue);
                Ok(known.then_some(()))
            },
        )
        .await
    }

    /// An edition with one open door in Gap, whose venue has been asked to host it.
    pub async fn requested_session(&self) -> anyhow::Result<(EditionId, VenueId, SessionId)> {
        let week = &self.week;
        let (venue, edition, event) = week.open_door(40).await?;
        let session = week
            .schedule_session(event, venue, tuesday(9, 0), tuesday(12, 0), 30)
            .await?;
        week.wait_for_request(venue, session).await?;
        Ok((edition, venue, session))
    }

    /// A session confirmed for `capacity` seats in which two partners registered people: the
    /// mission locale two (confirmed), the collège one (waiting, when `capacity` is 2).
    pub async fn session_with_two_partners(
        &self,
        capacity: u32,
    ) -> anyhow::Result<(EditionId, SessionId)> {
        let (edition, venue, session) = self.requested_session().await?;
        self.week.confirm(venue, session, capacity).await?;
        self.week
            .wait_for_seats(session, |s| s.capacity == capacity && s.facts.is_some())
            .await?;
        for (partner, person) in [
            ("mission-locale-gap", "ml-1"),
            ("mission-locale-gap", "ml-2"),
            ("college-gap", "c-1"),
        ] {
            self.week
                .register(
                    partner,
                    person,
                    session,
                    Audience::YoungPeople,
                    &format!("{person}-key"),
                )
                .await?;
        }
        Ok((edition, session))
    }

    /// Sends `method path` to the router in the process, as `secret` (a bearer key) when given,
    /// with `body` as JSON when given (a POST with a new `Idempotency-Key`): what came back.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        secret: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Answer> {
        send(&self.router, request(method, path, secret, body)?).await
    }

    /// `GET path` as `secret`: what came back, whatever its status.
    pub async fn get(&self, path: &str, secret: &str) -> anyhow::Result<Answer> {
        self.call(Method::GET, path, Some(secret), None).await
    }

    /// `GET path` as `secret`, which must answer `200 OK`: the answer (an error showing the
    /// answer when it is another).
    pub async fn read(&self, path: &str, secret: &str) -> anyhow::Result<Answer> {
        let answer = self.get(path, secret).await?;
        anyhow::ensure!(answer.status == StatusCode::OK, "GET {path}: {answer:?}");
        Ok(answer)
    }

    /// `POST path` as `secret` with `body` as JSON and a new `Idempotency-Key`: what came back.
    pub async fn post(&self, path: &str, secret: &str, body: Value) -> anyhow::Result<Answer> {
        self.call(Method::POST, path, Some(secret), Some(&body))
            .await
    }

    /// `POST path` as `secret` with no body (a command its path says all of) and a new
    /// `Idempotency-Key`: what came back.
    pub async fn post_empty(&self, path: &str, secret: &str) -> anyhow::Result<Answer> {
        self.call(Method::POST, path, Some(secret), None).await
    }

    /// The venue whose key is `venue_key` checks `present` people in at the door, for
    /// `registration` in `session`: what came back.
    pub async fn check_in(
        &self,
        venue_key: &str,
        session: SessionId,
        registration: &str,
        present: u32,
    ) -> anyhow::Result<Answer> {
        let path = format!("/sessions/{session}/registrations/{registration}/check-in");
        let body = serde_json::json!({ "present": present });
        self.post(&path, venue_key, body).await
    }

    /// The loopback address the application serves the router on (for a browser).
    pub fn address(&self) -> anyhow::Result<SocketAddr> {
        self.week
            .running
            .http_address()
            .ok_or_else(|| anyhow::anyhow!("the application serves no gateway"))
    }
}

/// The API's body scheduling `session` at `venue`, in the harness's room, from `starts` to `ends`
/// (local times, as `2027-04-13T09:00:00`), for `capacity_wanted` seats.
pub fn schedule_body(
    session: SessionId,
    venue: VenueId,
    starts: &str,
    ends: &str,
    capacity_wanted: u32,
) -> Value {
    serde_json::json!({
        "session": session,
        "starts": starts,
        "ends": ends,
        "venue": venue,
        "room": room(),
        "capacity_wanted": capacity_wanted,
    })
}

/// What the application answered a request sent in the process.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when empty or not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
}

impl Answer {
    /// The problem's code, if it is a problem.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    /// Asserts the answer's status, showing the whole answer when it is another.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{self:?}");
    }

    /// Asserts that the answer refuses with `status` and the problem code `code`, showing the
    /// whole answer when it does not.
    #[track_caller]
    pub fn assert_refused(&self, status: StatusCode, code: &str) {
        assert_eq!((self.status, self.code()), (status, code), "{self:?}");
    }

    /// Whether it is a problem document whose status is the answer's.
    pub fn is_problem(&self) -> bool {
        self.headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/problem+json")
            && self.json["status"] == self.status.as_u16()
    }
}

/// A request as most tests send one: `method` on `path`, as `secret` (a bearer key) when given,
/// with `body` as JSON when given; a POST with a new `Idempotency-Key`.
pub fn request(
    method: Method,
    path: &str,
    secret: Option<&str>,
    body: Option<&Value>,
) -> anyhow::Result<Request<Body>> {
    let mut builder = Request::builder().method(method.clone()).uri(path);
    if let Some(secret) = secret {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {secret}"));
    }
    if method == Method::POST {
        builder = builder.header("idempotency-key", uuid::Uuid::now_v7().to_string());
    }
    Ok(match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))?,
        None => builder.body(Body::empty())?,
    })
}

/// Sends `request` to `router` in the process; what came back.
pub async fn send(router: &Router, request: Request<Body>) -> anyhow::Result<Answer> {
    let response = router.clone().oneshot(request).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = gateway::stack::axum::body::to_bytes(response.into_body(), 1 << 20).await?;
    Ok(Answer {
        status,
        headers,
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
