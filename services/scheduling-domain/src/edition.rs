//! An edition: one week or day of events, with its dates, territory, time zone and organisers.
//!
//! Its life is short and linear: created as a draft, published, closed. Its days may move until it
//! is closed. An edition lasts at most [`MAX_DAYS`] days: the weeks and days of the seeds last one
//! to twelve.

use std::collections::BTreeSet;

use jiff::civil::Date;
use proto::refusal::RefusalKind;
use proto::scheduling::EditionStatus;
use proto::scheduling::edition::{
    AmendDates, Closed, Command, Create, Created, DatesAmended, Event, Published,
};
use proto::values::{DepartementCode, EditionId, Name, OrganiserId, TimeZoneName};
use serde::{Deserialize, Serialize};

use crate::EditionFacts;

/// The longest an edition may last, in days, first and last included.
pub const MAX_DAYS: i32 = 31;

/// The edition decider.
#[derive(Debug, Clone, Copy)]
pub struct Edition;

/// What an edition remembers; snapshotted, hence serde.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EditionState {
    /// The edition once created; `None` before.
    pub created: Option<EditionDetails>,
}

/// An existing edition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditionDetails {
    /// Its name, shown to the public.
    pub name: Name,
    /// The département it covers, for the figures per territory.
    pub territory: DepartementCode,
    /// Its first day.
    pub first_day: Date,
    /// Its last day, inclusive.
    pub last_day: Date,
    /// The zone its sessions' local times are written in.
    pub time_zone: TimeZoneName,
    /// The organisers who run it.
    pub organisers: Vec<OrganiserId>,
    /// Draft, published or closed.
    pub status: EditionStatus,
}

impl EditionState {
    /// The facts an event of this edition needs, or `None` before the edition is created.
    ///
    /// `id` is the edition's own id: the state does not hold it, the stream's subject does.
    pub fn facts(&self, id: EditionId) -> Option<EditionFacts> {
        self.created.as_ref().map(|e| EditionFacts {
            id,
            status: e.status,
            first_day: e.first_day,
            last_day: e.last_day,
            time_zone: e.time_zone.clone(),
        })
    }
}

/// Why an edition refuses a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditionRefusal {
    /// Create on an edition that exists.
    #[error("the edition already exists; amend its dates instead of creating it again")]
    AlreadyCreated,
    /// Any other command before Create.
    #[error("the edition does not exist; create it first")]
    NotCreated,
    /// The last day is before the first.
    #[error(
        "the last day ({last_day}) is before the first ({first_day}); it may be the same day or later"
    )]
    LastDayBeforeFirstDay {
        /// The first day asked.
        first_day: Date,
        /// The last day asked.
        last_day: Date,
    },
    /// A day outside the years an edition can be held in (a year 0000 or 9999 is a mistake).
    #[error("{day} is not a day of an edition: editions are held from {FIRST_YEAR} to {LAST_YEAR}")]
    DayOutOfRange {
        /// The day asked.
        day: Date,
    },
    /// The edition would last more than [`MAX_DAYS`] days.
    #[error(
        "from {first_day} to {last_day} is {days} days; an edition is a week or a day and lasts at most {MAX_DAYS} days"
    )]
    TooLong {
        /// The first day asked.
        first_day: Date,
        /// The last day asked.
        last_day: Date,
        /// How many days that is, both included.
        days: i32,
    },
    /// No organiser named.
    #[error("an edition needs at least one organiser")]
    NoOrganiser,
    /// An organiser named twice.
    #[error("the organiser {organiser} is named twice; name each organiser once")]
    DuplicateOrganiser {
        /// The organiser named twice.
        organiser: OrganiserId,
    },
    /// A change asked of a closed edition.
    #[error("the edition is closed; nothing more can be changed or published")]
    Closed,
}

impl EditionRefusal {
    /// A stable code for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyCreated => "edition-already-created",
            Self::NotCreated => "edition-not-created",
            Self::LastDayBeforeFirstDay { .. } => "last-day-before-first-day",
            Self::TooLong { .. } => "edition-too-long",
            Self::DayOutOfRange { .. } => "day-out-of-range",
            Self::NoOrganiser => "no-organiser",
            Self::DuplicateOrganiser { .. } => "duplicate-organiser",
            Self::Closed => "edition-closed",
        }
    }

    /// How a client should read it (see [`RefusalKind`]).
    pub fn kind(&self) -> RefusalKind {
        match self {
            Self::AlreadyCreated | Self::Closed => RefusalKind::Conflict,
            Self::NotCreated => RefusalKind::Unknown,
            Self::LastDayBeforeFirstDay { .. }
            | Self::TooLong { .. }
            | Self::DayOutOfRange { .. }
            | Self::NoOrganiser
            | Self::DuplicateOrganiser { .. } => RefusalKind::Invalid,
        }
    }
}

impl decider::Decider for Edition {
    type State = EditionState;
    type Command = Command;
    type Event = Event;
    type Error = EditionRefusal;

    fn decide(state: &EditionState, command: &Command) -> Result<Vec<Event>, EditionRefusal> {
        match command {
            Command::Create(create) => create_edition(state, create),
            Command::AmendDates(amend) => amend_dates(state, amend),
            Command::Publish => {
                let edition = existing(state)?;
                match edition.status {
                    EditionStatus::Draft => Ok(vec![Event::Published(Published {})]),
                    EditionStatus::Published => Ok(vec![]),
                    EditionStatus::Closed => Err(EditionRefusal::Closed),
                }
            }
            Command::Close => {
                let edition = existing(state)?;
                match edition.status {
                    EditionStatus::Closed => Ok(vec![]),
                    EditionStatus::Draft | EditionStatus::Published => {
                        Ok(vec![Event::Closed(Closed {})])
                    }
                }
            }
        }
    }

    fn evolve(mut state: EditionState, event: &Event) -> EditionState {
        match (event, state.created.as_mut()) {
            (Event::Created(e), _) => {
                state.created = Some(EditionDetails {
                    name: e.name.clone(),
                    territory: e.territory.clone(),
                    first_day: e.first_day,
                    last_day: e.last_day,
                    time_zone: e.time_zone.clone(),
                    organisers: e.organisers.clone(),
                    status: EditionStatus::Draft,
                });
            }
            (Event::DatesAmended(e), Some(edition)) => {
                edition.first_day = e.first_day;
                edition.last_day = e.last_day;
            }
            (Event::Published(_), Some(edition)) => edition.status = EditionStatus::Published,
            (Event::Closed(_), Some(edition)) => edition.status = EditionStatus::Closed,
            // Nothing else is ever recorded before the edition is created.
            (_, None) => {}
        }
        state
    }
}

fn existing(state: &EditionState) -> Result<&EditionDetails, EditionRefusal> {
    state.created.as_ref().ok_or(EditionRefusal::NotCreated)
}

fn create_edition(state: &EditionState, create: &Create) -> Result<Vec<Event>, EditionRefusal> {
    if state.created.is_some() {
        return Err(EditionRefusal::AlreadyCreated);
    }
    check_days(create.first_day, create.last_day)?;
    if create.organisers.is_empty() {
        return Err(EditionRefusal::NoOrganiser);
    }
    let mut seen = BTreeSet::new();
    if let Some(organiser) = create.organisers.iter().find(|o| !seen.insert(*o)) {
        return Err(EditionRefusal::DuplicateOrganiser {
            organiser: organiser.clone(),
        });
    }
    Ok(vec![Event::Created(Created {
        name: create.name.clone(),
        territory: create.territory.clone(),
        first_day: create.first_day,
        last_day: create.last_day,
        time_zone: create.time_zone.clone(),
        organisers: create.organisers.clone(),
    })])
}

/// Moving the days to the days the edition already has records nothing.
fn amend_dates(state: &EditionState, amend: &AmendDates) -> Result<Vec<Event>, EditionRefusal> {
    let edition = existing(state)?;
    if edition.status == EditionStatus::Closed {
        return Err(EditionRefusal::Closed);
    }
    check_days(amend.first_day, amend.last_day)?;
    if (edition.first_day, edition.last_day) == (amend.first_day, amend.last_day) {
        return Ok(vec![]);
    }
    Ok(vec![Event::DatesAmended(DatesAmended {
        first_day: amend.first_day,
        last_day: amend.last_day,
    })])
}

/// The first year an edition may start in: the weeks the seeds tell of began in the 2020s.
pub const FIRST_YEAR: i16 = 2000;
/// The last year an edition may end in.
pub const LAST_YEAR: i16 = 2100;

fn check_days(first_day: Date, last_day: Date) -> Result<(), EditionRefusal> {
    for day in [first_day, last_day] {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
            return Err(EditionRefusal::DayOutOfRange { day });
        }
    }
    if last_day < first_day {
        return Err(EditionRefusal::LastDayBeforeFirstDay {
            first_day,
            last_day,
        });
    }
    // Dates of the civil calendar always have a difference in days; the fallback is never taken.
    let days = last_day
        .since(first_day)
        .map_or(i32::MAX, |span| span.get_days().saturating_add(1));
    if days > MAX_DAYS {
        return Err(EditionRefusal::TooLong {
            first_day,
            last_day,
            days,
        });
    }
    Ok(())
}
