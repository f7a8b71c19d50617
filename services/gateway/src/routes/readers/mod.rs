//! The reads of partners, venues and organisers: registrations and participants (with their
//! identity, opened here), agendas as calendars, venues' requests and attendance lists (JSON and
//! CSV), an edition's statistics; and the erasure of a participant.
//!
//! Every route here needs an API key (authenticated and rate-limited like the commands; a read
//! needs no `Idempotency-Key`) and answers only what the key's scope covers:
//!
//! - a **partner** key sees its own registrations and participants; another partner's answer
//!   `404`, exactly like one that does not exist;
//! - a **venue** key sees its own venue's requests, and the attendance lists of the sessions it
//!   hosts (another venue's path is `403`; a session it does not host, `404`);
//! - an **organiser** key sees what belongs to the editions it covers (registrations,
//!   participants, attendance lists, statistics); one of every edition (`*`) also reads any
//!   venue's requests.
//!
//! **Identities** are opened on read, with the participant's key, for the partner that brought
//! the person and for organisers: `{"status": "known", "first_name", …}`, or `{"status":
//! "erased"}` once the key is purged (never an error). A venue gets the first name and the
//! initial of the last name only. The views keep identities sealed; nothing opened is stored.
//!
//! Each read takes `min_seq` and waits for its own read model (`partner-view`, `venue-view`,
//! `statistics`).

use ::views::ics::{Entry, EntryStatus, When};
use ::views::{
    EditionStatistics, HostingStatus, HostingView, Page, PartnerView, RegistrationQuery,
    RegistrationView, Standing, Statistics, VenueView, ViewError,
};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::registration::participant::ErasureReason;
use proto::registration::{ParticipantId, RegistrationId, SealedIdentity};
use proto::values::{EditionId, SessionId, VenueId};
use registration::identities::{IdentityError, Revealed};
use serde::Deserialize;

use super::answers::{Answered, Items, Sequenced};
use super::catalogue::{MinSeq, caught_up_on, invalid_query};
use super::table::*;

mod answers;
use crate::auth::Caller;
use crate::extract::Ids;
use crate::keys::{Editions, Principal, Role};
use crate::problem::ApiError;
use crate::routes::AppState;
pub use answers::{AttendanceList, Erased, Line, ParticipantRecord, Shown, ShownRegistration};

/// Who reads a participant: the partner that registered them, or their editions' organisers.
const PARTICIPANT_READER: Access = Access::Reader(
    "the partner that registered them, or an organiser of an edition they are registered in",
);

/// Who reads a session's attendance: the venue hosting it, or its edition's organisers.
const ATTENDANCE_READER: Access =
    Access::Reader("the key of the venue hosting it, or an organiser key of its edition");

/// A participant's agenda, as the document describes it.
const AGENDA: Answer = Answer::Text {
    media: CALENDAR,
    what: "a VCALENDAR: one VEVENT per registration (stable UID, times with the edition's TZID \
           and its VTIMEZONE), cancelled ones CANCELLED",
};

/// An attendance list as CSV, as the document describes it.
const ATTENDANCE_CSV: Answer = Answer::Text {
    media: CSV,
    what: "RFC 4180 CSV with a header: registration, name, seats, group, partner, partner_name, \
           checked_in, present, no_show",
};

/// This area's slice of the route table.
pub(super) const ROUTES: &[Route] = &[
    Area::READS
        .get(
            "/registrations",
            "list_registrations",
            "A page of registrations with their identity and history, oldest first",
            Access::Reader(
                "a partner key (its own), or an organiser key (its editions' registrations)",
            ),
            handled_by!(registrations),
        )
        .query(REGISTRATION_QUERY),
    Area::READS
        .get(
            "/registrations/{registration}",
            "read_registration",
            "One registration; another partner's is 404 like a missing one",
            Access::Reader("the partner that made it, or an organiser of its edition"),
            handled_by!(registration),
        )
        .query(&[MIN_SEQ_PARTNERS]),
    Area::READS
        .get(
            "/participants/{participant}",
            "read_participant",
            "A participant: identity and every registration with its history",
            PARTICIPANT_READER,
            handled_by!(participant),
        )
        .query(&[MIN_SEQ_PARTNERS]),
    Area::READS
        .get(
            "/participants/{participant}/agenda.ics",
            "participant_agenda",
            "A participant's agenda as an iCalendar feed (RFC 5545)",
            PARTICIPANT_READER,
            handled_by!(agenda, AGENDA),
        )
        .query(&[MIN_SEQ_PARTNERS]),
    Area::READS.post(
        "/participants/{participant}/erase",
        "erase_participant",
        "Erases a participant's personal data: the erasure is recorded (who, when, why; no \
         personal data) in their record, then their key is purged and their identity never \
         opens again",
        Access::Key(
            "the partner that registered them, or an organiser of an edition they are \
             registered in (any, for `*`)",
        ),
        handled_by!(erase),
    ),
    Area::READS
        .get(
            "/venues/{venue}/hosting",
            "venue_hosting",
            "A venue's hosting requests, by start: awaiting its answer, confirmed…",
            Access::Reader("that venue's key, or an organiser key of every edition"),
            handled_by!(hosting),
        )
        .query(&[
            Param::of::<views::HostingStatus>(
                "status",
                "Only requests standing so: `requested` (awaiting the venue's answer), \
             `confirmed`, `declined`, `refused`, `withdrawn`, `released`.",
            ),
            MIN_SEQ_VENUES,
        ]),
    Area::READS
        .get(
            "/venues/{venue}/sessions/{session}/attendance",
            "attendance",
            "The attendance list of a session the venue hosts",
            ATTENDANCE_READER,
            handled_by!(attendance),
        )
        .query(&[MIN_SEQ_VENUES]),
    Area::READS
        .get(
            "/venues/{venue}/sessions/{session}/attendance.csv",
            "attendance_csv",
            "The attendance list as CSV",
            ATTENDANCE_READER,
            handled_by!(attendance_csv, ATTENDANCE_CSV),
        )
        .query(&[MIN_SEQ_VENUES]),
    Area::READS
        .get(
            "/editions/{edition}/statistics",
            "edition_statistics",
            "An edition's figures: people reached, fill rates, no-shows, registrations per day",
            Access::Reader("an organiser key of the edition"),
            handled_by!(statistics),
        )
        .query(&[MIN_SEQ_STATISTICS]),
];

/// The stores of the views this instance serves.
#[derive(Clone)]
pub struct ViewStores {
    /// The `partner-view` store.
    pub partners: sled::Db,
    /// The `venue-view` store.
    pub venues: sled::Db,
    /// The `statistics` store.
    pub statistics: sled::Db,
}

/// Who reads: the authenticated key (a read takes no `Idempotency-Key`).
#[derive(Debug, Clone)]
pub struct Reader(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(Self)
            .ok_or_else(ApiError::unauthenticated)
    }
}

impl Reader {
    /// Whether the key may see this registration.
    fn sees(&self, registration: &RegistrationView) -> bool {
        match &self.0.role {
            Role::Partner(partner) => registration.partner == *partner,
            Role::Organiser(Editions::All) => true,
            Role::Organiser(editions) => registration
                .edition()
                .is_some_and(|edition| editions.covers(edition)),
            Role::Venue(_) => false,
        }
    }
}

/// The stores, or 503 while this instance does not serve them.
fn stores(state: &AppState) -> Result<&ViewStores, ApiError> {
    state
        .views
        .as_ref()
        .ok_or_else(|| ApiError::not_served("these reads are not served by this instance"))
}

/// A view's error as an answer: a cursor no page gave is the caller's (400); anything else is the
/// store's, logged and answered 500 without its detail.
pub(super) fn view_error(error: &ViewError) -> ApiError {
    match error {
        ViewError::InvalidCursor(_) => {
            ApiError::new(StatusCode::BAD_REQUEST, error.code(), error.to_string())
        }
        _ => {
            tracing::error!(%error, "a view's store failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the view could not be read",
            )
        }
    }
}

fn unknown_registration(id: RegistrationId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown-registration",
        format!("no registration {id} of yours"),
    )
}

fn unknown_participant(id: ParticipantId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown-participant",
        format!("no participant {id} of yours"),
    )
}

fn unknown_session(id: SessionId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown-session",
        format!("no session {id} hosted here"),
    )
}

/// Opens a sealed identity. An erased participant (or one whose sealed bytes no longer open with
/// the key made since) shows as erased; only a key store that does not answer is an error.
async fn reveal(state: &AppState, sealed: Option<&SealedIdentity>) -> Result<Shown, ApiError> {
    let Some(sealed) = sealed else {
        return Ok(Shown::Erased);
    };
    match state
        .services
        .registrations
        .identities()
        .reveal(sealed)
        .await
    {
        Ok(Revealed::Known(identity)) => Ok(Shown::Known {
            first_name: identity.first_name.to_string(),
            last_name: identity.last_name.to_string(),
            email: identity.email.map(|e| e.to_string()),
            phone: identity.phone.map(|p| p.to_string()),
        }),
        Ok(Revealed::Erased) => Ok(Shown::Erased),
        Err(IdentityError::Corrupted(reason)) => {
            tracing::warn!(participant = %sealed.key, %reason, "a sealed identity does not open; shown as erased");
            Ok(Shown::Erased)
        }
        Err(e @ IdentityError::Unavailable(_)) => {
            Err(ApiError::unavailable("key-store-unavailable", &e))
        }
    }
}

/// A registration with its identity opened.
async fn shown(
    state: &AppState,
    registration: &RegistrationView,
) -> Result<ShownRegistration, ApiError> {
    Ok(ShownRegistration {
        registration: registration.clone(),
        identity: Some(reveal(state, registration.sealed.as_ref()).await?),
    })
}

// ---- Partners (and organisers): registrations and participants ----

/// Whether a list of registrations opens their identities (`identity=false`: a count, which
/// needs none, opens nothing).
#[derive(Debug, Deserialize)]
pub(crate) struct WithIdentity {
    /// True by default.
    #[serde(default = "opened")]
    identity: bool,
}

fn opened() -> bool {
    true
}

/// `GET /registrations`.
pub(crate) async fn registrations(
    State(state): State<AppState>,
    reader: Reader,
    query: Result<Query<RegistrationQuery>, QueryRejection>,
    with: Result<Query<WithIdentity>, QueryRejection>,
    min_seq: MinSeq,
) -> Result<Answered<Page<ShownRegistration>>, ApiError> {
    let Query(mut query) = query.map_err(|r| invalid_query(&r))?;
    let Query(with) = with.map_err(|r| invalid_query(&r))?;
    match &reader.0.role {
        Role::Partner(own) => {
            if query.partner.as_ref().is_some_and(|p| p != own) {
                return Err(ApiError::forbidden(
                    "a partner key reads its own registrations only",
                ));
            }
            query.partner = Some(own.clone());
        }
        Role::Organiser(Editions::One(own)) => {
            if query.edition.is_some_and(|e| e != *own) {
                return Err(ApiError::forbidden(
                    "this organiser key does not cover this edition",
                ));
            }
            query.edition = Some(*own);
        }
        Role::Organiser(Editions::All) => {}
        Role::Venue(_) => {
            return Err(ApiError::forbidden(
                "registrations are read by their partner and the organisers",
            ));
        }
    }
    let db = &stores(&state)?.partners;
    caught_up_on(&state, PartnerView::NAME, &min_seq).await?;
    let page = ::views::partners::registrations(db, &query).map_err(|e| view_error(&e))?;
    let mut items = Vec::with_capacity(page.items.len());
    for registration in &page.items {
        items.push(if with.identity {
            shown(&state, registration).await?
        } else {
            ShownRegistration {
                registration: registration.clone(),
                identity: None,
            }
        });
    }
    Ok(Answered::ok(Page {
        items,
        next: page.next,
    }))
}

/// `GET /registrations/{registration}`.
pub(crate) async fn registration(
    State(state): State<AppState>,
    reader: Reader,
    Ids(id): Ids<RegistrationId>,
    min_seq: MinSeq,
) -> Result<Answered<ShownRegistration>, ApiError> {
    let db = &stores(&state)?.partners;
    caught_up_on(&state, PartnerView::NAME, &min_seq).await?;
    let found = ::views::partners::registration(db, id).map_err(|e| view_error(&e))?;
    match found {
        Some(registration) if reader.sees(&registration) => {
            Ok(Answered::ok(shown(&state, &registration).await?))
        }
        _ => Err(unknown_registration(id)),
    }
}

/// The registrations of a participant the reader sees; 404 when it sees none.
async fn visible_registrations(
    state: &AppState,
    reader: &Reader,
    id: ParticipantId,
    min_seq: &MinSeq,
) -> Result<Vec<RegistrationView>, ApiError> {
    let db = &stores(state)?.partners;
    caught_up_on(state, PartnerView::NAME, min_seq).await?;
    let found: Vec<_> = ::views::partners::participant(db, id)
        .map_err(|e| view_error(&e))?
        .into_iter()
        .filter(|r| reader.sees(r))
        .collect();
    if found.is_empty() {
        return Err(unknown_participant(id));
    }
    Ok(found)
}

/// `GET /participants/{participant}`.
pub(crate) async fn participant(
    State(state): State<AppState>,
    reader: Reader,
    Ids(id): Ids<ParticipantId>,
    min_seq: MinSeq,
) -> Result<Answered<ParticipantRecord>, ApiError> {
    let found = visible_registrations(&state, &reader, id, &min_seq).await?;
    let latest = found.last().and_then(|r| r.sealed.as_ref());
    let identity = reveal(&state, latest).await?;
    let partner = found.first().map(|r| r.partner.clone());
    let mut registrations = Vec::with_capacity(found.len());
    for registration in &found {
        registrations.push(shown(&state, registration).await?);
    }
    let erasure =
        ::views::partners::erasure(&stores(&state)?.partners, id).map_err(|e| view_error(&e))?;
    Ok(Answered::ok(ParticipantRecord {
        participant: id,
        partner,
        identity,
        registrations,
        erasure,
    }))
}

/// The media type of a calendar.
pub const CALENDAR: &str = "text/calendar; charset=utf-8";
/// The media type of a CSV file.
pub const CSV: &str = "text/csv; charset=utf-8";

pub(crate) fn text(media: &'static str, body: String, filename: Option<String>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Some(filename) = filename
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// One registration as an agenda's entry. It names no one: the calendar is the participant's.
fn agenda_entry(registration: &RegistrationView) -> Option<Entry> {
    let session = &registration.session;
    let when = match (&session.time_zone, session.starts_local, session.ends_local) {
        (Some(zone), Some(starts), Some(ends)) => When::Local {
            zone: zone.clone(),
            starts,
            ends,
        },
        _ => When::Utc {
            starts: session.starts_at?,
            ends: session.ends_at?,
        },
    };
    let status = if session.cancelled || registration.status == Standing::Cancelled {
        EntryStatus::Cancelled
    } else if registration.status == Standing::Waiting {
        EntryStatus::Tentative
    } else {
        EntryStatus::Confirmed
    };
    let changes = u32::try_from(registration.history.len()).unwrap_or(u32::MAX);
    let waiting = if status == EntryStatus::Tentative {
        " (liste d'attente)"
    } else {
        ""
    };
    let seats = if registration.group {
        format!("Groupe de {} personnes{waiting}", registration.seats)
    } else {
        format!("1 personne{waiting}")
    };
    Some(Entry {
        uid: ::views::ics::uid(registration.registration.0, session.session.0),
        stamp: registration.changed_at,
        sequence: changes
            .saturating_sub(1)
            .saturating_add(session.request.saturating_sub(1)),
        when,
        summary: session.title.clone().unwrap_or_else(|| "Séance".to_owned()),
        location: match (&session.venue_name, &session.address) {
            (Some(name), Some(address)) => Some(format!("{name}, {address}")),
            (Some(name), None) => Some(name.clone()),
            _ => None,
        },
        description: Some(seats),
        status,
    })
}

/// `GET /participants/{participant}/agenda.ics`.
pub(crate) async fn agenda(
    State(state): State<AppState>,
    reader: Reader,
    Ids(id): Ids<ParticipantId>,
    min_seq: MinSeq,
) -> Result<Response, ApiError> {
    let found = visible_registrations(&state, &reader, id, &min_seq).await?;
    let entries: Vec<Entry> = found.iter().filter_map(agenda_entry).collect();
    let name = found
        .iter()
        .find_map(|r| r.session.edition_name.clone())
        .unwrap_or_else(|| "Semaine des métiers".to_owned());
    let calendar = ::views::ics::calendar(&name, &entries);
    Ok(text(CALENDAR, calendar, Some(format!("agenda-{id}.ics"))))
}

/// `POST /participants/{participant}/erase`.
pub(crate) async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    Ids(id): Ids<ParticipantId>,
) -> Result<Answered<Erased>, ApiError> {
    let reader = Reader(caller.principal.clone());
    if matches!(caller.principal.role, Role::Venue(_)) {
        return Err(ApiError::forbidden(
            "a participant is erased by its partner or an organiser",
        ));
    }
    // Someone registered through the caller's partner, or in one of its editions (any, for an
    // organiser of every edition): nobody else's, and nobody unknown, is recorded as erased.
    visible_registrations(&state, &reader, id, &MinSeq::default()).await?;
    let seq = state
        .services
        .registrations
        .erase(id, ErasureReason::Request, &caller.meta())
        .await?;
    Ok(Answered::ok(Erased {
        participant: id,
        erased: true,
        recorded: Sequenced::at(seq),
    }))
}

// ---- Venues ----

/// The filter of a venue's requests.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HostingFilter {
    /// Only those standing so (`requested`: awaiting the venue's answer).
    status: Option<HostingStatus>,
}

/// Passes for the venue's own key and for an organiser key of every edition.
fn venue_desk(reader: &Reader, venue: VenueId) -> Result<(), ApiError> {
    match &reader.0.role {
        Role::Venue(own) if *own == venue => Ok(()),
        Role::Organiser(Editions::All) => Ok(()),
        Role::Venue(_) => Err(ApiError::forbidden("a venue key reads its own venue only")),
        _ => Err(ApiError::forbidden(
            "a venue's requests are read by the venue (or an organiser of every edition)",
        )),
    }
}

/// `GET /venues/{venue}/hosting`.
pub(crate) async fn hosting(
    State(state): State<AppState>,
    reader: Reader,
    Ids(venue): Ids<VenueId>,
    filter: Result<Query<HostingFilter>, QueryRejection>,
    min_seq: MinSeq,
) -> Result<Answered<Items<HostingView>>, ApiError> {
    let Query(filter) = filter.map_err(|r| invalid_query(&r))?;
    venue_desk(&reader, venue)?;
    let db = &stores(&state)?.venues;
    caught_up_on(&state, VenueView::NAME, &min_seq).await?;
    let items = ::views::venues::hosting(db, venue, filter.status).map_err(|e| view_error(&e))?;
    Ok(Answered::ok(Items { items }))
}

/// The attendance list of a session the reader may see.
async fn attendance_lines(
    state: &AppState,
    reader: &Reader,
    venue: VenueId,
    session: SessionId,
    min_seq: &MinSeq,
) -> Result<(::views::SessionInfo, Vec<Line>), ApiError> {
    match &reader.0.role {
        Role::Venue(own) if *own != venue => {
            return Err(ApiError::forbidden("a venue key reads its own venue only"));
        }
        Role::Partner(_) => {
            return Err(ApiError::forbidden(
                "an attendance list is read by its venue and the organisers",
            ));
        }
        _ => {}
    }
    let db = &stores(state)?.venues;
    caught_up_on(state, VenueView::NAME, min_seq).await?;
    let hosting = ::views::venues::hosting_of(db, venue, session).map_err(|e| view_error(&e))?;
    let info = ::views::venues::session(db, session).map_err(|e| view_error(&e))?;
    let allowed = match &reader.0.role {
        Role::Venue(_) => hosting.as_ref().is_some_and(|h| h.hosts()),
        Role::Organiser(editions) => {
            hosting.is_some() && info.edition.is_some_and(|e| editions.covers(e))
        }
        Role::Partner(_) => false,
    };
    if !allowed {
        return Err(unknown_session(session));
    }
    let mut lines = Vec::new();
    for attendee in ::views::venues::attendance(db, session).map_err(|e| view_error(&e))? {
        let (name, erased) = match reveal(state, attendee.sealed.as_ref()).await? {
            Shown::Known {
                first_name,
                last_name,
                ..
            } => {
                let initial = last_name
                    .chars()
                    .next()
                    .map(|c| format!(" {}.", c.to_uppercase()))
                    .unwrap_or_default();
                (Some(format!("{first_name}{initial}")), false)
            }
            Shown::Erased => (None, true),
        };
        lines.push(Line {
            attendee,
            name,
            erased,
        });
    }
    Ok((info, lines))
}

/// `GET /venues/{venue}/sessions/{session}/attendance`.
pub(crate) async fn attendance(
    State(state): State<AppState>,
    reader: Reader,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    min_seq: MinSeq,
) -> Result<Answered<AttendanceList>, ApiError> {
    let (info, lines) = attendance_lines(&state, &reader, venue, session, &min_seq).await?;
    let seats: u32 = lines.iter().map(|l| l.attendee.seats).sum();
    let present: u32 = lines.iter().map(|l| l.attendee.present).sum();
    Ok(Answered::ok(AttendanceList {
        session: info,
        confirmed_seats: seats,
        present,
        items: lines,
    }))
}

/// The columns of the CSV attendance list.
pub const ATTENDANCE_COLUMNS: &[&str] = &[
    "registration",
    "name",
    "seats",
    "group",
    "partner",
    "partner_name",
    "checked_in",
    "present",
    "no_show",
];

/// `GET /venues/{venue}/sessions/{session}/attendance.csv`.
pub(crate) async fn attendance_csv(
    State(state): State<AppState>,
    reader: Reader,
    Ids((venue, session)): Ids<(VenueId, SessionId)>,
    min_seq: MinSeq,
) -> Result<Response, ApiError> {
    let (_, lines) = attendance_lines(&state, &reader, venue, session, &min_seq).await?;
    let rows = lines.iter().map(|line| {
        let a = &line.attendee;
        vec![
            a.registration.to_string(),
            line.name.clone().unwrap_or_else(|| "(effacé)".to_owned()),
            a.seats.to_string(),
            a.group.to_string(),
            a.partner.to_string(),
            a.partner_name.clone().unwrap_or_default(),
            a.checked_in.to_string(),
            a.present.to_string(),
            a.no_show.to_string(),
        ]
    });
    let table = ::views::csv::table(ATTENDANCE_COLUMNS, rows);
    Ok(text(CSV, table, Some(format!("presence-{session}.csv"))))
}

// ---- Organisers ----

/// `GET /editions/{edition}/statistics`.
pub(crate) async fn statistics(
    State(state): State<AppState>,
    reader: Reader,
    Ids(edition): Ids<EditionId>,
    min_seq: MinSeq,
) -> Result<Answered<EditionStatistics>, ApiError> {
    match &reader.0.role {
        Role::Organiser(editions) if editions.covers(edition) => {}
        Role::Organiser(_) => {
            return Err(ApiError::forbidden(
                "this organiser key does not cover this edition",
            ));
        }
        _ => return Err(ApiError::forbidden("statistics are read by organisers")),
    }
    let db = &stores(&state)?.statistics;
    caught_up_on(&state, Statistics::NAME, &min_seq).await?;
    match ::views::statistics::statistics(db, edition).map_err(|e| view_error(&e))? {
        Some(stats) => Ok(Answered::ok(stats)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown-edition",
            format!("no edition {edition}"),
        )),
    }
}
