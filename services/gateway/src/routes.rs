//! The routes: organisers', venues' and partners' commands, and health.
//!
//! Every command is a POST that needs an API key ([`crate::auth`]) and an `Idempotency-Key`
//! ([`crate::idempotency`]), and answers JSON with `seq`, the stream sequence of the commit that
//! recorded it (to wait on a read model later), and `duplicate`, true when the log answered a
//! retry with the original outcome. (The registration service's partner, cancel, check-in and
//! reserve commands tell the sequence only; their answers have no `duplicate`.)
//!
//! | route | who | answer |
//! |---|---|---|
//! | `POST /editions` | organiser `*` | 201 `{edition, seq, duplicate}` |
//! | `POST /editions/{edition}/publish`, `/close` | organiser of the edition | 200 |
//! | `POST /editions/{edition}/dates` | organiser of the edition | 200 |
//! | `POST /events` | organiser of the body's edition | 201 `{event, seq, duplicate}` |
//! | `POST /events/{event}/sessions` | organiser of the event's edition | 201 `{session, seq, duplicate}` |
//! | `POST /events/{event}/sessions/{session}/reschedule`, `/venue`, `/cancel` | organiser of the event's edition | 200 |
//! | `POST /partners/{partner}` (declare) | any organiser | 200 `{partner, seq}` |
//! | `POST /partners/{partner}/retire` | organiser `*` | 200 `{partner, seq}` |
//! | `POST /sessions/{session}/reservations` | organiser of the session's edition | 200 `{seq}` |
//! | `POST /venues` | any organiser (new id), or a venue key (its own id) | 201 `{venue, seq, duplicate}` |
//! | `POST /venues/{venue}/hosting/{session}/confirm`, `/decline`, `/capacity`, `/withdraw` | that venue | 200 |
//! | `POST /sessions/{session}/registrations/{registration}/check-in` | the venue hosting the session, or an organiser of its edition | 200 `{seq}` |
//! | `POST /registrations` | partner | 201 `{registration, participant, status, seq, duplicate}` |
//! | `POST /sessions/{session}/registrations/{registration}/cancel` | the partner that registered it | 200 `{seq}` |
//! | `GET /healthz` | anyone | 200 |
//! | `GET /readyz` | anyone | 200 when NATS is connected, else 503 |
//!
//! **Ids the server makes.** An edition, an event or a venue created through the gateway gets an
//! id derived (UUID v5) from the API key and the request's `Idempotency-Key`: a retry names the
//! same id, so even one the gateway's store has forgotten is answered by the log as a duplicate
//! and never creates a second edition. A session's id is the caller's (it is in the scheduling
//! contract), and a registration's is made by the registration service.
//!
//! **Scopes.** An organiser key of one edition acts on that edition only: for an event's commands,
//! the event's edition (an event never changes edition); for a session's seats, the edition in
//! the seats' facts. Creating an edition and retiring a partner (partners are shared by every
//! edition) need an organiser key of every edition (`*`); declaring a partner or registering a
//! venue adds to what all editions share and takes nothing away, so any organiser may. A venue
//! key acts on its own venue; it may register it (under its own id), answer its hosting requests
//! and check people in at the sessions it hosts. A partner key registers as its partner and
//! cancels its own registrations (the service checks ownership; another partner's registration is
//! answered 404, like one that does not exist).

use std::sync::Arc;

use async_nats::connection::State as Connection;
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use eventlog::EventLog;
use jiff::Timestamp;
use jiff::civil::DateTime;
use proto::registration::{Beneficiary, RegisterRequest, RegistrationId, Reservation, partner};
use proto::scheduling::{edition, event};
use proto::values::{EditionId, EventId, PartnerId, Reason, RoomId, SessionId, VenueId};
use proto::venues;
use registration::{RegistrationError, Registrations};
use registration_domain::seats::SeatsRefusal;
use scheduling::{Scheduling, SchedulingError};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Caller, authenticate};
use crate::extract::{Body, Ids};
use crate::idempotency::{IdempotencyStore, idempotent};
use crate::keys::{Editions, KeyError, KeyStore, Role};
use crate::limits::{RateLimit, RateLimiter};
use crate::problem::ApiError;

/// The services the gateway sends commands to.
#[derive(Clone)]
pub struct Services {
    /// Editions, events and sessions.
    pub scheduling: Scheduling,
    /// Venues and their hosting requests.
    pub venues: ::venues::Venues,
    /// Partners, registrations, seats.
    pub registrations: Registrations,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub services: Services,
    /// The API keys.
    pub keys: KeyStore,
    /// The idempotency keys seen.
    pub idempotency: IdempotencyStore,
    /// The rate limits, per key.
    pub limiter: Arc<RateLimiter>,
    /// The NATS connection, whose state is the readiness.
    pub nats: async_nats::Client,
    /// The catalogue read model's store, when this instance serves it.
    pub catalogue: Option<sled::Db>,
}

/// Why the gateway's state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The API keys' bucket.
    #[error("cannot open the API keys: {0}")]
    Keys(#[from] KeyError),
    /// The idempotency keys' bucket.
    #[error("cannot open the idempotency keys: {0}")]
    Idempotency(String),
}

impl AppState {
    /// Opens the gateway's buckets on the log's JetStream (with the log's replica count) and
    /// puts the services and the rate limit together.
    pub async fn open(
        log: &EventLog,
        services: Services,
        limit: RateLimit,
    ) -> Result<Self, OpenError> {
        let js = log.jetstream();
        let replicas = log.config().replicas;
        Ok(Self {
            services,
            keys: KeyStore::open(js, replicas).await?,
            idempotency: IdempotencyStore::open(js, replicas)
                .await
                .map_err(|e| OpenError::Idempotency(e.to_string()))?,
            limiter: Arc::new(RateLimiter::new(limit)),
            nats: js.client(),
            catalogue: None,
        })
    }

    /// Serves the catalogue from this read model's store.
    pub fn with_catalogue(mut self, store: sled::Db) -> Self {
        self.catalogue = Some(store);
        self
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let commands = Router::new()
        .route("/editions", post(create_edition))
        .route("/editions/{edition}/publish", post(publish_edition))
        .route("/editions/{edition}/close", post(close_edition))
        .route("/editions/{edition}/dates", post(amend_dates))
        .route("/events", post(add_event))
        .route("/events/{event}/amend", post(amend_event))
        .route("/events/{event}/sessions", post(schedule_session))
        .route(
            "/events/{event}/sessions/{session}/reschedule",
            post(reschedule_session),
        )
        .route(
            "/events/{event}/sessions/{session}/venue",
            post(change_session_venue),
        )
        .route(
            "/events/{event}/sessions/{session}/cancel",
            post(cancel_session),
        )
        .route("/partners/{partner}", post(declare_partner))
        .route("/partners/{partner}/retire", post(retire_partner))
        .route("/sessions/{session}/reservations", post(reserve_seats))
        .route("/venues", post(register_venue))
        .route("/venues/{venue}/opening-hours", post(set_opening_hours))
        .route("/venues/{venue}/closed-periods", post(add_closed_period))
        .route(
            "/venues/{venue}/hosting/{session}/confirm",
            post(confirm_hosting),
        )
        .route(
            "/venues/{venue}/hosting/{session}/decline",
            post(decline_hosting),
        )
        .route(
            "/venues/{venue}/hosting/{session}/capacity",
            post(change_capacity),
        )
        .route(
            "/venues/{venue}/hosting/{session}/withdraw",
            post(withdraw_hosting),
        )
        .route(
            "/sessions/{session}/registrations/{registration}/check-in",
            post(check_in),
        )
        .route("/registrations", post(register))
        .route(
            "/sessions/{session}/registrations/{registration}/cancel",
            post(cancel_registration),
        )
        // The last layer added runs first: authenticate, then idempotency, then the handler.
        .route_layer(middleware::from_fn_with_state(state.clone(), idempotent))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(crate::reads::routes())
        .merge(commands)
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(crate::BODY_LIMIT))
        .with_state(state)
}

/// The answer of a command that made something.
fn created(fields: serde_json::Value) -> Response {
    (StatusCode::CREATED, Json(fields)).into_response()
}

/// The answer of a command on something that exists.
fn done(fields: serde_json::Value) -> Response {
    (StatusCode::OK, Json(fields)).into_response()
}

async fn healthz() -> Response {
    done(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.nats.connection_state() {
        Connection::Connected => done(json!({ "status": "ready" })),
        other => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not-ready",
            format!("NATS is {other}"),
        )
        .retry_after(1)
        .into_response(),
    }
}

// ---- Organisers: editions ----

async fn create_edition(
    State(state): State<AppState>,
    caller: Caller,
    Body(create): Body<edition::Create>,
) -> Result<Response, ApiError> {
    caller.organiser_of_all()?;
    let id = EditionId(caller.derived_id("edition"));
    let command = edition::Command::Create(create);
    let decided = state
        .services
        .scheduling
        .edition(id, &command, &caller.meta())
        .await?;
    Ok(created(
        json!({ "edition": id, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

async fn edition_command(
    state: &AppState,
    caller: &Caller,
    id: EditionId,
    command: edition::Command,
) -> Result<Response, ApiError> {
    caller.organiser_of(id)?;
    let decided = state
        .services
        .scheduling
        .edition(id, &command, &caller.meta())
        .await?;
    Ok(done(
        json!({ "edition": id, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

async fn publish_edition(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
) -> Result<Response, ApiError> {
    edition_command(&state, &caller, id, edition::Command::Publish).await
}

async fn close_edition(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
) -> Result<Response, ApiError> {
    edition_command(&state, &caller, id, edition::Command::Close).await
}

async fn amend_dates(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EditionId>,
    Body(dates): Body<edition::AmendDates>,
) -> Result<Response, ApiError> {
    edition_command(&state, &caller, id, edition::Command::AmendDates(dates)).await
}

// ---- Organisers: events and sessions ----

async fn add_event(
    State(state): State<AppState>,
    caller: Caller,
    Body(add): Body<event::Add>,
) -> Result<Response, ApiError> {
    caller.organiser_of(add.edition)?;
    let id = EventId(caller.derived_id("event"));
    let decided = state
        .services
        .scheduling
        .event(id, event::Command::Add(add), &caller.meta())
        .await?;
    Ok(created(
        json!({ "event": id, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

/// Passes when the caller is an organiser of the event's edition. A key of every edition does
/// not need the lookup (the service answers an unknown event itself).
async fn organiser_of_event(
    state: &AppState,
    caller: &Caller,
    id: EventId,
) -> Result<(), ApiError> {
    if caller.organiser()? == Editions::All {
        return Ok(());
    }
    let edition = state
        .services
        .scheduling
        .event_state(id)
        .await?
        .added
        .map(|added| added.edition)
        .ok_or(SchedulingError::UnknownEvent(id))?;
    caller.organiser_of(edition)
}

async fn event_command(
    state: &AppState,
    caller: &Caller,
    id: EventId,
    command: event::Command,
) -> Result<(u64, bool), ApiError> {
    organiser_of_event(state, caller, id).await?;
    let decided = state
        .services
        .scheduling
        .event(id, command, &caller.meta())
        .await?;
    Ok((decided.seq, decided.duplicate))
}

async fn schedule_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EventId>,
    Body(schedule): Body<event::ScheduleSession>,
) -> Result<Response, ApiError> {
    let session = schedule.session;
    let command = event::Command::ScheduleSession(schedule);
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(created(
        json!({ "event": id, "session": session, "seq": seq, "duplicate": duplicate }),
    ))
}

/// A session's new times.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTimes {
    /// New start, local time in the edition's zone.
    starts: DateTime,
    /// New end, local time.
    ends: DateTime,
}

async fn amend_event(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<EventId>,
    Body(about): Body<event::About>,
) -> Result<Response, ApiError> {
    let (seq, duplicate) = event_command(&state, &caller, id, event::Command::Amend(about)).await?;
    Ok(done(
        json!({ "event": id, "seq": seq, "duplicate": duplicate }),
    ))
}

async fn reschedule_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(times): Body<NewTimes>,
) -> Result<Response, ApiError> {
    let command = event::Command::RescheduleSession(event::RescheduleSession {
        session,
        starts: times.starts,
        ends: times.ends,
    });
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(done(
        json!({ "session": session, "seq": seq, "duplicate": duplicate }),
    ))
}

/// A session's new venue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVenue {
    /// The venue asked now.
    venue: VenueId,
    /// The room asked now.
    room: RoomId,
}

async fn change_session_venue(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(new): Body<NewVenue>,
) -> Result<Response, ApiError> {
    let command = event::Command::ChangeSessionVenue(event::ChangeSessionVenue {
        session,
        venue: new.venue,
        room: new.room,
    });
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(done(
        json!({ "session": session, "seq": seq, "duplicate": duplicate }),
    ))
}

/// A reason, for a cancellation, a retirement, a decline or a withdrawal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Because {
    /// Why.
    reason: Reason,
}

async fn cancel_session(
    State(state): State<AppState>,
    caller: Caller,
    Ids((id, session)): Ids<(EventId, SessionId)>,
    Body(because): Body<Because>,
) -> Result<Response, ApiError> {
    let command = event::Command::CancelSession(event::CancelSession {
        session,
        reason: because.reason,
    });
    let (seq, duplicate) = event_command(&state, &caller, id, command).await?;
    Ok(done(
        json!({ "session": session, "seq": seq, "duplicate": duplicate }),
    ))
}

// ---- Organisers: partners and reserved seats ----

async fn declare_partner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PartnerId>,
    Body(declared): Body<partner::Declared>,
) -> Result<Response, ApiError> {
    caller.organiser()?;
    let command = partner::Command::Declare(declared);
    let seq = state
        .services
        .registrations
        .partner(&id, &command, &caller.meta())
        .await?;
    Ok(done(json!({ "partner": id, "seq": seq })))
}

async fn retire_partner(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<PartnerId>,
    Body(because): Body<Because>,
) -> Result<Response, ApiError> {
    caller.organiser_of_all()?;
    let command = partner::Command::Retire {
        reason: because.reason,
    };
    let seq = state
        .services
        .registrations
        .partner(&id, &command, &caller.meta())
        .await?;
    Ok(done(json!({ "partner": id, "seq": seq })))
}

/// Passes when the caller is an organiser of the session's edition, as the session's seats
/// know it. Seats not opened yet know no edition: they are refused as the service would.
async fn organiser_of_session(
    state: &AppState,
    caller: &Caller,
    session: SessionId,
) -> Result<(), ApiError> {
    if caller.organiser()? == Editions::All {
        return Ok(());
    }
    let facts = state.services.registrations.seats(session).await?.facts;
    let edition = facts
        .map(|facts| facts.edition)
        .ok_or(RegistrationError::Seats(SeatsRefusal::NotOpen))?;
    caller.organiser_of(edition)
}

/// Seats kept for a partner or an audience until a deadline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReserveSeats {
    /// For whom.
    beneficiary: Beneficiary,
    /// How many seats.
    seats: u32,
    /// Until when (an instant, RFC 3339).
    until: Timestamp,
}

async fn reserve_seats(
    State(state): State<AppState>,
    caller: Caller,
    Ids(session): Ids<SessionId>,
    Body(reserve): Body<ReserveSeats>,
) -> Result<Response, ApiError> {
    organiser_of_session(&state, &caller, session).await?;
    let reservation = Reservation {
        beneficiary: reserve.beneficiary,
        seats: reserve.seats,
        until: reserve.until,
    };
    let seq = state
        .services
        .registrations
        .reserve(session, reservation, &caller.meta())
        .await?;
    Ok(done(json!({ "session": session, "seq": seq })))
}

// ---- Venues ----

async fn register_venue(
    State(state): State<AppState>,
    caller: Caller,
    Body(register): Body<venues::Register>,
) -> Result<Response, ApiError> {
    let id = match &caller.principal.role {
        Role::Venue(own) => *own,
        Role::Organiser(_) => VenueId(caller.derived_id("venue")),
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "a venue is registered by an organiser or by its own venue key",
            ));
        }
    };
    let command = venues::Command::Register(Box::new(register));
    let decided = state
        .services
        .venues
        .venue(id, &command, &caller.meta())
        .await?;
    Ok(created(
        json!({ "venue": id, "seq": decided.seq, "duplicate": decided.duplicate }),
    ))
}

async fn venue_command(
    state: &AppState,
    caller: &Caller,
    venue: VenueId,
    session: Option<SessionId>,
    command: venues::Command,
) -> Result<Response, ApiError> {
    caller.venue_of(venue)?;
    let decided = state
        .services
        .venues
        .venue(venue, &command, &caller.meta())
        .await?;
    let mut answer = json!({
        "venue": venue,
        "seq": decided.seq,
        "duplicate": decided.duplicate,
    });
    if let Some(session) = session {
        answer["session"] = json!(session);
    }
    Ok(done(answer))
}

/// A venue's new opening hours.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOpeningHours {
    /// The spans, replacing the current ones.
    opening_hours: Vec<venues::OpeningHours>,
}

async fn set_opening_hours(
    State(state): State<AppState>,
    caller: Caller,
    Ids(venue): Ids<VenueId>,
    Body(hours): Body<NewOpeningHours>,
) -> Result<Response, ApiError> {
    let command = venues::Command::SetOpeningHours {
        opening_hours: hours.opening_hours,
    };
    venue_command(&state, &caller, venue, None, command).await
}

async fn add_closed_period(
    State(state): State<AppState>,
    caller: Caller,
    Ids(venue): Ids<VenueId>,
    Body(period): Body<venues::ClosedPeriod>,
) -> Result<Response, ApiError> {
    let command = venues::Command::AddClosedPeriod(period);
    venue_command(&state, &caller, venue, None, command).await
}

/// A capacity, answering a hosting request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CapacityAnswer {
    /// The request answered, as the venue saw it.
    request: u32,
    /// Seats.
    capacity: u32,
}

/// A refusal, answering a hosting request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonAnswer {
    /// The request answered.
    request: u32,
    /// Why.
    reason: Reason,
}

async fn confirm_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<CapacityAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::ConfirmCapacity {
        session,
        request: answer.request,
        capacity: answer.capacity,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

async fn change_capacity(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<CapacityAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::ChangeCapacity {
        session,
        request: answer.request,
        capacity: answer.capacity,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

async fn decline_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<ReasonAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::Decline {
        session,
        request: answer.request,
        reason: answer.reason,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

async fn withdraw_hosting(
    State(state): State<AppState>,
    caller: Caller,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    Body(answer): Body<ReasonAnswer>,
) -> Result<Response, ApiError> {
    let command = venues::Command::Withdraw {
        session,
        request: answer.request,
        reason: answer.reason,
    };
    venue_command(&state, &caller, venue, Some(session), command).await
}

/// How many people of a registration came.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Present {
    /// People present, 1 to the registration's seats.
    present: u32,
}

async fn check_in(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
    Body(present): Body<Present>,
) -> Result<Response, ApiError> {
    match &caller.principal.role {
        Role::Venue(venue) => {
            let hosts = state
                .services
                .venues
                .venue_state(*venue)
                .await?
                .hosting(session)
                .is_some_and(|hosting| hosting.is_confirmed());
            if !hosts {
                return Err(ApiError::forbidden(
                    "a venue checks people in at the sessions it hosts only",
                ));
            }
        }
        Role::Organiser(_) => organiser_of_session(&state, &caller, session).await?,
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "check-in is recorded at the door by the venue or an organiser",
            ));
        }
    }
    let seq = state
        .services
        .registrations
        .check_in(session, registration, present.present, &caller.meta())
        .await?;
    Ok(done(json!({
        "session": session,
        "registration": registration,
        "seq": seq,
    })))
}

// ---- Partners ----

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Body(request): Body<RegisterRequest>,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?;
    let registered = state
        .services
        .registrations
        .register(&partner, request, &caller.log_key())
        .await?;
    Ok(created(json!({
        "registration": registered.registration,
        "participant": registered.participant,
        "status": if registered.confirmed { "confirmed" } else { "waiting" },
        "seq": registered.seq,
        "duplicate": registered.duplicate,
    })))
}

async fn cancel_registration(
    State(state): State<AppState>,
    caller: Caller,
    Ids((session, registration)): Ids<(SessionId, RegistrationId)>,
) -> Result<Response, ApiError> {
    let partner = caller.partner()?;
    let seq = state
        .services
        .registrations
        .cancel(&partner, session, registration, &caller.log_key())
        .await?;
    Ok(done(json!({
        "session": session,
        "registration": registration,
        "seq": seq,
    })))
}
