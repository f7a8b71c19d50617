//! An edition's figures, from the `statistics` store: the numbers the seeds quote.
//!
//! [`statistics`] walks the edition's sessions (as scheduled) and their registrations, and counts:
//!
//! - **people reached** by audience, theme, town, event kind and partner: the seats of the
//!   registrations confirmed now (a group counts its size), with how many of them came (the
//!   check-ins). A registration counts once per theme of its event, so the themes' figures may
//!   add up to more than the total. The town is the venue's (where the session took place);
//!   `by_home_town` counts by the participant's own town (its INSEE code, `unknown` if not given);
//! - **fill rate** per session: confirmed seats over the capacity the venue confirmed;
//! - **no-shows**: confirmed registrations nobody of which was checked in, once the session ended;
//! - **registrations per day**: every registration made (confirmed or waiting, even if cancelled
//!   since), by the day it was made in the edition's time zone, with the running total.
//!
//! Everything is counted when read, from rows that carry no identity: an erased participant still
//! counts.
//!
//! - **job-dating**: for each job-dating session of the edition whose floor was set up, its
//!   figures ([`crate::jobdating::figures`]: interviews booked and held, no-shows, outcomes by
//!   job, hires by job and contract), and their sum over the edition (`job_dating`).
//!
//! **API Boundary.** [`EditionStatistics`] is returned as JSON by the gateway.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use proto::taxonomy::EventKind;
use proto::values::{EditionId, SessionId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobdating::{Hires, JobDatingFigures, Outcomes};
use crate::partners::{SessionInfo, of_session};
use crate::rows::{EDITION_SESSIONS, EDITIONS, EditionRow, Standing};
use crate::store::{ViewError, row, tails};

/// How many registrations and people, and how many came.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize,
)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Reached {
    /// Confirmed registrations (a group is one).
    pub registrations: u32,
    /// Their seats: people registered (a group counts its size).
    pub people: u32,
    /// People checked in at the door.
    pub present: u32,
}

impl Reached {
    fn add(&mut self, people: u32, present: u32) {
        self.registrations += 1;
        self.people += people;
        self.present += present;
    }
}

/// One session's figures.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct SessionFigures {
    /// The session.
    pub session: SessionId,
    /// The event's title.
    pub title: Option<String>,
    /// The event's kind.
    pub kind: Option<EventKind>,
    /// Start, local time.
    pub starts_local: Option<DateTime>,
    /// The venue's town.
    pub town: Option<String>,
    /// Whether the organiser cancelled it.
    pub cancelled: bool,
    /// Whether it ended (its no-shows are counted).
    pub ended: bool,
    /// The capacity the venue confirmed; `null` before the seats are opened.
    pub capacity: Option<u32>,
    /// Seats held by confirmed registrations.
    pub confirmed_seats: u32,
    /// Confirmed seats over the capacity, from 0 to 1; `null` without a capacity.
    pub fill_rate: Option<f64>,
    /// Seats asked by the registrations waiting.
    pub waiting_seats: u32,
    /// People checked in.
    pub present: u32,
    /// Confirmed registrations with nobody checked in, once ended.
    pub no_shows: u32,
}

/// The registrations made on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Day {
    /// The day, in the edition's time zone.
    pub day: Date,
    /// Registrations made that day (confirmed or waiting, cancelled since or not).
    pub registrations: u32,
    /// Their seats.
    pub people: u32,
    /// Registrations made up to and including that day.
    pub cumulative: u32,
}

/// An edition's totals.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize,
)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Totals {
    /// Sessions scheduled (cancelled ones included).
    pub sessions: u32,
    /// Registrations made, whatever became of them.
    pub registrations_made: u32,
    /// Confirmed now.
    pub reached: Reached,
    /// Registrations waiting now.
    pub waiting: u32,
    /// Registrations cancelled.
    pub cancelled: u32,
    /// Confirmed registrations nobody of which came, in the sessions that ended.
    pub no_shows: u32,
    /// Their seats.
    pub no_show_people: u32,
}

/// An edition's statistics.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EditionStatistics {
    /// The edition.
    pub edition: EditionId,
    /// Its name.
    pub name: String,
    /// Its time zone, in which days are counted.
    pub time_zone: String,
    /// The totals.
    pub totals: Totals,
    /// People reached, by audience.
    pub by_audience: BTreeMap<String, Reached>,
    /// People reached, by theme of the event (a registration counts in each of its themes).
    pub by_theme: BTreeMap<String, Reached>,
    /// People reached, by the venue's town.
    pub by_town: BTreeMap<String, Reached>,
    /// People reached, by the participant's town (INSEE code; `unknown` when not given).
    pub by_home_town: BTreeMap<String, Reached>,
    /// People reached, by event kind.
    pub by_kind: BTreeMap<String, Reached>,
    /// People reached, by partner (its id).
    pub by_partner: BTreeMap<String, Reached>,
    /// Each session's figures, by start.
    pub sessions: Vec<SessionFigures>,
    /// Registrations made per day, in the edition's time zone.
    pub registrations_per_day: Vec<Day>,
    /// Job-dating: interviews and their outcomes.
    pub job_dating: JobDatingSection,
}

/// An edition's job-dating figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct JobDatingSection {
    /// Job-dating sessions whose floor was set up.
    pub sessions: u32,
    /// Every session's interviews' outcomes, summed.
    pub outcomes: Outcomes,
    /// Hires by job and contract over the edition, with the openings offered.
    pub hires: Vec<Hires>,
    /// Each session's figures, in the order of the sessions above.
    pub by_session: Vec<JobDatingFigures>,
}

/// The wire name of a serde enum value (`job_seekers`), for the breakdowns' keys.
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".to_owned(),
    }
}

/// An edition's statistics; `None` when the view has not read its creation.
pub fn statistics(
    db: &sled::Db,
    edition: EditionId,
) -> Result<Option<EditionStatistics>, ViewError> {
    let Some(edition_row) = row::<EditionRow>(db, EDITIONS, edition.0.as_bytes())? else {
        return Ok(None);
    };
    let zone = TimeZone::get(&edition_row.time_zone).unwrap_or(TimeZone::UTC);
    let mut stats = EditionStatistics {
        edition,
        name: edition_row.name,
        time_zone: edition_row.time_zone,
        totals: Totals::default(),
        by_audience: BTreeMap::new(),
        by_theme: BTreeMap::new(),
        by_town: BTreeMap::new(),
        by_home_town: BTreeMap::new(),
        by_kind: BTreeMap::new(),
        by_partner: BTreeMap::new(),
        sessions: Vec::new(),
        registrations_per_day: Vec::new(),
        job_dating: JobDatingSection::default(),
    };
    let mut days: BTreeMap<Date, (u32, u32)> = BTreeMap::new();
    for tail in tails(db, EDITION_SESSIONS, edition.0.as_bytes())? {
        let Ok(session) = Uuid::from_slice(&tail).map(SessionId) else {
            continue;
        };
        let info = SessionInfo::read(db, session)?;
        let themes = match info.event {
            Some(event) => {
                row::<crate::rows::EventRow>(db, crate::rows::EVENTS, event.0.as_bytes())?
                    .map(|e| e.themes)
                    .unwrap_or_default()
            }
            None => Vec::new(),
        };
        let mut figures = SessionFigures {
            session,
            title: info.title.clone(),
            kind: info.kind,
            starts_local: info.starts_local,
            town: info.town.clone(),
            cancelled: info.cancelled,
            ended: info.ended,
            capacity: info.capacity,
            confirmed_seats: 0,
            fill_rate: None,
            waiting_seats: 0,
            present: 0,
            no_shows: 0,
        };
        stats.totals.sessions += 1;
        for registration in of_session(db, session)? {
            stats.totals.registrations_made += 1;
            let day = registration.registered_at.to_zoned(zone.clone()).date();
            let counted = days.entry(day).or_default();
            counted.0 += 1;
            counted.1 += registration.seats;
            if registration.no_show {
                stats.totals.no_shows += 1;
                stats.totals.no_show_people += registration.seats;
                figures.no_shows += 1;
            }
            match registration.status {
                Standing::Waiting => {
                    stats.totals.waiting += 1;
                    figures.waiting_seats += registration.seats;
                }
                Standing::Cancelled => stats.totals.cancelled += 1,
                Standing::Confirmed => {
                    let people = registration.seats;
                    let present = registration.present.unwrap_or(0);
                    figures.confirmed_seats += people;
                    figures.present += present;
                    stats.totals.reached.add(people, present);
                    let count = |map: &mut BTreeMap<String, Reached>, key: String| {
                        map.entry(key).or_default().add(people, present);
                    };
                    count(&mut stats.by_audience, wire(&registration.audience));
                    for theme in &themes {
                        count(&mut stats.by_theme, wire(theme));
                    }
                    count(
                        &mut stats.by_town,
                        info.town.clone().unwrap_or_else(|| "unknown".to_owned()),
                    );
                    count(
                        &mut stats.by_home_town,
                        registration
                            .town
                            .clone()
                            .unwrap_or_else(|| "unknown".to_owned()),
                    );
                    count(
                        &mut stats.by_kind,
                        info.kind.map_or_else(|| "unknown".to_owned(), |k| wire(&k)),
                    );
                    count(
                        &mut stats.by_partner,
                        registration.partner.as_str().to_owned(),
                    );
                }
            }
        }
        figures.fill_rate = info
            .capacity
            .filter(|capacity| *capacity > 0)
            .map(|capacity| f64::from(figures.confirmed_seats) / f64::from(capacity));
        stats.sessions.push(figures);
    }
    stats.sessions.sort_by_key(|s| (s.starts_local, s.session));
    let mut hires: BTreeMap<(String, String), Hires> = BTreeMap::new();
    for session in &stats.sessions {
        let Some(figures) = crate::jobdating::figures(db, session.session)? else {
            continue;
        };
        let section = &mut stats.job_dating;
        section.sessions += 1;
        section.outcomes.add(&figures.outcomes);
        for h in &figures.hires {
            let counted = hires
                .entry((wire(&h.job), wire(&h.contract)))
                .or_insert_with(|| Hires {
                    hired: 0,
                    openings: 0,
                    ..h.clone()
                });
            counted.hired += h.hired;
            counted.openings += h.openings;
        }
        section.by_session.push(figures);
    }
    stats.job_dating.hires = hires.into_values().collect();
    let mut cumulative = 0;
    stats.registrations_per_day = days
        .into_iter()
        .map(|(day, (registrations, people))| {
            cumulative += registrations;
            Day {
                day,
                registrations,
                people,
                cumulative,
            }
        })
        .collect();
    Ok(Some(stats))
}
