//! Job-dating's read models: each table's timetable, each candidate's interviews (for their
//! partner's calendar), and each session's figures (interviews held, outcomes by job and
//! contract), folded from the `JOBDATING` stream (`jd.session.<session id>`).
//!
//! The fold keeps one row per floor (its slots, the draft waiting and the runs announced), one
//! per employer, per table, per interview, and each candidate's partner (from their wishes, which
//! a planner draft's compact `TableDrafted` rows rely on). A draft's interviews are kept with
//! `announced: false` until `PlanAnnounced`; a new draft drops the previous draft's. Interviews
//! drafted as one `InterviewBooked` each (before `TableDrafted` existed) fold the same way.
//!
//! The rows carry no personal data: a candidate is a participant id and a partner.
//!
//! **API Boundary.** [`Timetable`], [`Interview`], [`JobDatingFigures`] and [`Outcomes`] are
//! returned as JSON by the gateway; [`candidate_interviews`] feeds the candidate's calendar.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use proto::StoredEvent;
use proto::contract::EventContract;
use proto::jobdating::{BookedBy, EmployerJoined, Event, JobOffer, Outcome, Span, Town};
use proto::registration::ParticipantId;
use proto::taxonomy::{ContractType, Job, StructureKind};
use proto::values::{EmployerId, PartnerId, SessionId, SlotNo, TableNo};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use projection::Rejected;

use crate::rows::{Rows, read, write};
use crate::store::{ViewError, row, tails};

/// Floors: session id → [`FloorRow`].
pub(crate) const JD_FLOORS: &str = "jd_floors";
/// Employers: session id ‖ employer id → [`EmployerJoined`].
pub(crate) const JD_EMPLOYERS: &str = "jd_employers";
/// Tables: session id ‖ table (u16, big-endian) → [`TableRow`].
pub(crate) const JD_TABLES: &str = "jd_tables";
/// Candidates' partners: session id ‖ participant id → [`PartnerId`].
pub(crate) const JD_CANDIDATES: &str = "jd_candidates";
/// Interviews: session id ‖ table ‖ slot (u16 each, big-endian) → [`InterviewRow`].
pub(crate) const JD_INTERVIEWS: &str = "jd_interviews";
/// A candidate's interviews: session id ‖ participant id ‖ table ‖ slot → nothing.
pub(crate) const JD_BY_CANDIDATE: &str = "jd_by_candidate";

/// The subject prefix of the floors.
pub(crate) const FLOOR_PREFIX: &str = proto::subjects::FLOORS.prefix;

/// A floor, as its set-up and plans tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FloorRow {
    /// The slots, slot 1 first.
    pub(crate) slots: Vec<Span>,
    /// The draft waiting to be announced, if any.
    pub(crate) draft: Option<u32>,
    /// The runs announced.
    pub(crate) announced: BTreeSet<u32>,
    /// When the floor last changed.
    pub(crate) changed_at: Option<Timestamp>,
}

/// A table of a floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TableRow {
    /// Its employer.
    pub(crate) employer: EmployerId,
    /// Its recruiter's label.
    pub(crate) recruiter: String,
    /// Its blocked slots.
    pub(crate) blocked: BTreeSet<SlotNo>,
}

/// An interview, booked by a partner or drafted by the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InterviewRow {
    /// The table's employer.
    pub(crate) employer: EmployerId,
    /// The candidate.
    pub(crate) participant: ParticipantId,
    /// Their partner.
    pub(crate) partner: PartnerId,
    /// Who booked it.
    pub(crate) by: BookedBy,
    /// Whether its partner was told (a partner's booking, or an announced draft's).
    pub(crate) announced: bool,
    /// The rank of the best wish it honours.
    pub(crate) wish: Option<u8>,
    /// What came of it.
    pub(crate) outcome: Option<Outcome>,
    /// When it was booked, drafted, announced or its outcome recorded, last.
    pub(crate) changed_at: Timestamp,
}

fn session_key(session: SessionId) -> Vec<u8> {
    session.0.as_bytes().to_vec()
}

fn with_u16s(mut key: Vec<u8>, numbers: &[u16]) -> Vec<u8> {
    for n in numbers {
        key.extend_from_slice(&n.to_be_bytes());
    }
    key
}

fn number(n: impl Into<u64>) -> u16 {
    u16::try_from(n.into()).unwrap_or(u16::MAX)
}

fn table_key(session: SessionId, table: TableNo) -> Vec<u8> {
    with_u16s(session_key(session), &[number(table)])
}

fn interview_key(session: SessionId, table: TableNo, slot: SlotNo) -> Vec<u8> {
    with_u16s(session_key(session), &[number(table), number(slot)])
}

fn candidate_key(session: SessionId, participant: ParticipantId) -> Vec<u8> {
    [session_key(session), participant.0.as_bytes().to_vec()].concat()
}

fn by_candidate_key(
    session: SessionId,
    participant: ParticipantId,
    table: TableNo,
    slot: SlotNo,
) -> Vec<u8> {
    with_u16s(
        candidate_key(session, participant),
        &[number(table), number(slot)],
    )
}

/// Folds one event of a floor.
pub(crate) fn fold(
    rows: &mut impl Rows,
    session: SessionId,
    at: Timestamp,
    event: &StoredEvent,
) -> Result<(), Rejected> {
    let event = Event::decode(&event.event_type, event.version, &event.data)?;
    let floor_key = session_key(session);
    let mut floor = read::<FloorRow>(rows, JD_FLOORS, &floor_key)?.unwrap_or_default();
    match event {
        Event::Configured(configured) => floor.slots = configured.slots,
        Event::EmployerJoined(joined) => {
            let key = [floor_key.clone(), joined.employer.0.as_bytes().to_vec()].concat();
            write(rows, JD_EMPLOYERS, key, &joined)?;
        }
        Event::RecruiterSeated(seated) => {
            let row = TableRow {
                employer: seated.employer,
                recruiter: seated.recruiter.to_string(),
                blocked: BTreeSet::new(),
            };
            write(rows, JD_TABLES, table_key(session, seated.table), &row)?;
        }
        Event::SlotsBlocked(blocked) => {
            let key = table_key(session, blocked.table);
            if let Some(mut row) = read::<TableRow>(rows, JD_TABLES, &key)? {
                row.blocked.extend(blocked.slots);
                write(rows, JD_TABLES, key, &row)?;
            }
        }
        Event::SlotsUnblocked(unblocked) => {
            let key = table_key(session, unblocked.table);
            if let Some(mut row) = read::<TableRow>(rows, JD_TABLES, &key)? {
                for slot in &unblocked.slots {
                    row.blocked.remove(slot);
                }
                write(rows, JD_TABLES, key, &row)?;
            }
        }
        Event::WishesSubmitted(submitted) => {
            let key = candidate_key(session, submitted.candidate.participant);
            write(rows, JD_CANDIDATES, key, &submitted.candidate.partner)?;
        }
        Event::InterviewBooked(booked) => {
            let row = InterviewRow {
                employer: booked.employer,
                participant: booked.candidate.participant,
                partner: booked.candidate.partner,
                by: booked.by,
                announced: booked.by == BookedBy::Partner,
                wish: booked.wish,
                outcome: None,
                changed_at: at,
            };
            put_interview(rows, session, booked.table, booked.slot, &row)?;
        }
        Event::TableDrafted(drafted) => {
            for interview in drafted.interviews {
                let key = candidate_key(session, interview.participant);
                let Some(partner) = read::<PartnerId>(rows, JD_CANDIDATES, &key)? else {
                    return Err(Rejected(format!(
                        "a draft names participant {}, who sent no wishes",
                        interview.participant
                    )));
                };
                let row = InterviewRow {
                    employer: drafted.employer,
                    participant: interview.participant,
                    partner,
                    by: BookedBy::Planner { run: drafted.run },
                    announced: false,
                    wish: interview.wish,
                    outcome: None,
                    changed_at: at,
                };
                put_interview(rows, session, drafted.table, interview.slot, &row)?;
            }
        }
        Event::InterviewCancelled(cancelled) => {
            let key = interview_key(session, cancelled.table, cancelled.slot);
            rows.remove(JD_INTERVIEWS, key);
            let index = by_candidate_key(
                session,
                cancelled.candidate.participant,
                cancelled.table,
                cancelled.slot,
            );
            rows.remove(JD_BY_CANDIDATE, index);
        }
        Event::PlanDrafted(drafted) => {
            for (key, bytes) in rows.scan(JD_INTERVIEWS, &floor_key) {
                let row: InterviewRow = parse(&bytes)?;
                if !row.announced {
                    let Some(tail) = key.get(16..) else { continue };
                    let index = [candidate_key(session, row.participant), tail.to_vec()].concat();
                    rows.remove(JD_INTERVIEWS, key);
                    rows.remove(JD_BY_CANDIDATE, index);
                }
            }
            floor.draft = Some(drafted.run);
        }
        Event::PlanAnnounced(announced) => {
            for (key, bytes) in rows.scan(JD_INTERVIEWS, &floor_key) {
                let mut row: InterviewRow = parse(&bytes)?;
                if row.by == (BookedBy::Planner { run: announced.run }) && !row.announced {
                    row.announced = true;
                    row.changed_at = at;
                    write(rows, JD_INTERVIEWS, key, &row)?;
                }
            }
            floor.draft = None;
            floor.announced.insert(announced.run);
        }
        Event::OutcomeRecorded(recorded) => {
            let key = interview_key(session, recorded.table, recorded.slot);
            if let Some(mut row) = read::<InterviewRow>(rows, JD_INTERVIEWS, &key)? {
                row.outcome = Some(recorded.outcome);
                row.changed_at = at;
                write(rows, JD_INTERVIEWS, key, &row)?;
            }
        }
    }
    floor.changed_at = Some(at);
    write(rows, JD_FLOORS, floor_key, &floor)
}

fn parse<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Rejected> {
    serde_json::from_slice(bytes).map_err(|e| {
        Rejected(format!(
            "cannot read a job-dating row ({e}); rebuild the view"
        ))
    })
}

fn put_interview(
    rows: &mut impl Rows,
    session: SessionId,
    table: TableNo,
    slot: SlotNo,
    row: &InterviewRow,
) -> Result<(), Rejected> {
    let key = interview_key(session, table, slot);
    // A slot holds one candidate: a booking replaces nothing but a stale index entry.
    if let Some(previous) = read::<InterviewRow>(rows, JD_INTERVIEWS, &key)? {
        let index = by_candidate_key(session, previous.participant, table, slot);
        rows.remove(JD_BY_CANDIDATE, index);
    }
    write(rows, JD_INTERVIEWS, key, row)?;
    let index = by_candidate_key(session, row.participant, table, slot);
    rows.put(JD_BY_CANDIDATE, index, Vec::new());
    Ok(())
}

// ---- Reads ----

/// An employer, as shown in timetables and figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EmployerInfo {
    /// Its id.
    pub employer: EmployerId,
    /// Its structure's name.
    pub name: String,
    /// Its kind.
    pub kind: StructureKind,
    /// Its town.
    pub town: Town,
    /// What it recruits for.
    pub jobs: Vec<JobOffer>,
}

impl From<EmployerJoined> for EmployerInfo {
    fn from(joined: EmployerJoined) -> Self {
        Self {
            employer: joined.employer,
            name: joined.name.to_string(),
            kind: joined.kind,
            town: joined.town,
            jobs: joined.jobs,
        }
    }
}

/// Where a slot of a table stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
#[serde(rename_all = "snake_case")]
pub enum SlotStatus {
    /// Nobody is booked; it may be.
    Free,
    /// The recruiter blocked it.
    Blocked,
    /// An interview its candidate's partner knows of (booked by it, or announced).
    Booked,
    /// An interview of the draft not announced yet.
    Drafted,
}

/// One slot of a table's timetable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct TimetableSlot {
    /// The slot.
    pub slot: SlotNo,
    /// Its start.
    pub starts_at: Timestamp,
    /// Its end.
    pub ends_at: Timestamp,
    /// Where it stands.
    pub status: SlotStatus,
    /// The candidate, when booked or drafted (a participant id: names stay with the partner).
    pub participant: Option<ParticipantId>,
    /// Their partner.
    pub partner: Option<PartnerId>,
    /// Who booked it.
    pub by: Option<BookedBy>,
    /// The rank of the best wish it honours.
    pub wish: Option<u8>,
    /// What came of it, once recorded.
    pub outcome: Option<Outcome>,
}

/// A table's timetable: every slot, free or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Timetable {
    /// The session.
    pub session: SessionId,
    /// The table.
    pub table: TableNo,
    /// Its recruiter's label.
    pub recruiter: String,
    /// Its employer.
    pub employer: Option<EmployerInfo>,
    /// The draft waiting to be announced, if any.
    pub draft: Option<u32>,
    /// Its slots, in time order.
    pub slots: Vec<TimetableSlot>,
}

fn employer(
    db: &sled::Db,
    session: SessionId,
    id: EmployerId,
) -> Result<Option<EmployerInfo>, ViewError> {
    let key = [session_key(session), id.0.as_bytes().to_vec()].concat();
    Ok(row::<EmployerJoined>(db, JD_EMPLOYERS, &key)?.map(EmployerInfo::from))
}

/// A table's timetable; `None` when no recruiter sits at it (or the floor is unknown).
pub fn timetable(
    db: &sled::Db,
    session: SessionId,
    table: TableNo,
) -> Result<Option<Timetable>, ViewError> {
    let Some(floor) = row::<FloorRow>(db, JD_FLOORS, &session_key(session))? else {
        return Ok(None);
    };
    let Some(table_row) = row::<TableRow>(db, JD_TABLES, &table_key(session, table))? else {
        return Ok(None);
    };
    let mut slots = Vec::with_capacity(floor.slots.len());
    for (index, span) in floor.slots.iter().enumerate() {
        let Some(slot) = SlotNo::at_index(index) else {
            continue;
        };
        let booked = row::<InterviewRow>(db, JD_INTERVIEWS, &interview_key(session, table, slot))?;
        let status = match &booked {
            Some(b) if b.announced => SlotStatus::Booked,
            Some(_) => SlotStatus::Drafted,
            None if table_row.blocked.contains(&slot) => SlotStatus::Blocked,
            None => SlotStatus::Free,
        };
        slots.push(TimetableSlot {
            slot,
            starts_at: span.starts_at,
            ends_at: span.ends_at,
            status,
            participant: booked.as_ref().map(|b| b.participant),
            partner: booked.as_ref().map(|b| b.partner.clone()),
            by: booked.as_ref().map(|b| b.by),
            wish: booked.as_ref().and_then(|b| b.wish),
            outcome: booked.as_ref().and_then(|b| b.outcome),
        });
    }
    Ok(Some(Timetable {
        session,
        table,
        recruiter: table_row.recruiter,
        employer: employer(db, session, table_row.employer)?,
        draft: floor.draft,
        slots,
    }))
}

/// One of a candidate's interviews, as their partner is told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Interview {
    /// The table.
    pub table: TableNo,
    /// The slot.
    pub slot: SlotNo,
    /// Its start.
    pub starts_at: Timestamp,
    /// Its end.
    pub ends_at: Timestamp,
    /// The employer met.
    pub employer: Option<EmployerInfo>,
    /// The candidate's partner.
    pub partner: PartnerId,
    /// Who booked it.
    pub by: BookedBy,
    /// What came of it, once recorded.
    pub outcome: Option<Outcome>,
    /// When it last changed.
    pub changed_at: Timestamp,
}

/// A candidate's interviews their partner knows of (booked, or of an announced draft), in time
/// order, with the partner that brought them; `None` when the floor knows no interview or
/// wishes of theirs.
pub fn candidate_interviews(
    db: &sled::Db,
    session: SessionId,
    participant: ParticipantId,
) -> Result<Option<(PartnerId, Vec<Interview>)>, ViewError> {
    let partner = row::<PartnerId>(db, JD_CANDIDATES, &candidate_key(session, participant))?;
    let floor = row::<FloorRow>(db, JD_FLOORS, &session_key(session))?.unwrap_or_default();
    let mut found = Vec::new();
    let mut partner_of_booking = None;
    for tail in tails(db, JD_BY_CANDIDATE, &candidate_key(session, participant))? {
        let [t0, t1, s0, s1] = tail[..] else { continue };
        let (Ok(table), Ok(slot)) = (
            TableNo::parse(u64::from(u16::from_be_bytes([t0, t1]))),
            SlotNo::parse(u64::from(u16::from_be_bytes([s0, s1]))),
        ) else {
            continue;
        };
        let Some(booked) =
            row::<InterviewRow>(db, JD_INTERVIEWS, &interview_key(session, table, slot))?
        else {
            continue;
        };
        partner_of_booking = Some(booked.partner.clone());
        if !booked.announced {
            continue;
        }
        let Some(span) = floor.slots.get(slot.index()) else {
            continue;
        };
        found.push(Interview {
            table,
            slot,
            starts_at: span.starts_at,
            ends_at: span.ends_at,
            employer: employer(db, session, booked.employer)?,
            partner: booked.partner,
            by: booked.by,
            outcome: booked.outcome,
            changed_at: booked.changed_at,
        });
    }
    found.sort_by_key(|i| (i.starts_at, i.table));
    Ok(partner.or(partner_of_booking).map(|p| (p, found)))
}

/// How the interviews went.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize,
)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Outcomes {
    /// Interviews booked or announced (drafts not counted).
    pub interviews: u32,
    /// Interviews held: the candidate came (met, second interview or hired).
    pub held: u32,
    /// The candidate did not come.
    pub no_shows: u32,
    /// Met, nothing further.
    pub met: u32,
    /// A second interview to come.
    pub second_interviews: u32,
    /// Hired.
    pub hired: u32,
    /// No outcome recorded yet.
    pub pending: u32,
}

impl Outcomes {
    fn count(&mut self, outcome: Option<Outcome>) {
        self.interviews += 1;
        match outcome {
            None => self.pending += 1,
            Some(Outcome::NoShow {}) => self.no_shows += 1,
            Some(Outcome::Met {}) => {
                self.held += 1;
                self.met += 1;
            }
            Some(Outcome::SecondInterview {}) => {
                self.held += 1;
                self.second_interviews += 1;
            }
            Some(Outcome::Hired { .. }) => {
                self.held += 1;
                self.hired += 1;
            }
        }
    }

    /// Adds another's counts.
    pub fn add(&mut self, other: &Self) {
        self.interviews += other.interviews;
        self.held += other.held;
        self.no_shows += other.no_shows;
        self.met += other.met;
        self.second_interviews += other.second_interviews;
        self.hired += other.hired;
        self.pending += other.pending;
    }
}

/// Hires for one job under one contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct Hires {
    /// The job.
    pub job: Job,
    /// The contract.
    pub contract: ContractType,
    /// Openings offered for it by the session's employers.
    pub openings: u32,
    /// People hired.
    pub hired: u32,
}

/// One employer's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct EmployerFigures {
    /// The employer.
    pub employer: EmployerId,
    /// Its name.
    pub name: String,
    /// Its tables.
    pub tables: u32,
    /// Its interviews' outcomes.
    pub outcomes: Outcomes,
}

/// A job-dating session's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[schemars(transform = proto::values::every_property_required)]
pub struct JobDatingFigures {
    /// The session.
    pub session: SessionId,
    /// Employers.
    pub employers: u32,
    /// Tables.
    pub tables: u32,
    /// Slots of every table, blocked ones excepted.
    pub slots_offered: u32,
    /// Candidates who sent wishes.
    pub candidates_with_wishes: u32,
    /// Candidates with at least one interview.
    pub candidates_met: u32,
    /// Interviews of the draft not announced yet.
    pub drafted: u32,
    /// The interviews' outcomes.
    pub outcomes: Outcomes,
    /// Outcomes by job: each interview counts under every job its employer recruits for, a hire
    /// under the job it is for only.
    pub by_job: BTreeMap<String, Outcomes>,
    /// Hires by job and contract, with the openings offered.
    pub hires: Vec<Hires>,
    /// Hires by contract.
    pub hires_by_contract: BTreeMap<String, u32>,
    /// Each employer's figures.
    pub by_employer: Vec<EmployerFigures>,
}

fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".to_owned(),
    }
}

/// A job-dating session's figures; `None` when the floor is unknown.
pub fn figures(db: &sled::Db, session: SessionId) -> Result<Option<JobDatingFigures>, ViewError> {
    let key = session_key(session);
    let Some(floor) = row::<FloorRow>(db, JD_FLOORS, &key)? else {
        return Ok(None);
    };
    let mut employers: BTreeMap<EmployerId, (EmployerJoined, EmployerFigures)> = BTreeMap::new();
    for tail in tails(db, JD_EMPLOYERS, &key)? {
        let Ok(id) = Uuid::from_slice(&tail).map(EmployerId) else {
            continue;
        };
        let full = [key.clone(), tail].concat();
        if let Some(joined) = row::<EmployerJoined>(db, JD_EMPLOYERS, &full)? {
            let figures = EmployerFigures {
                employer: id,
                name: joined.name.to_string(),
                tables: 0,
                outcomes: Outcomes::default(),
            };
            employers.insert(id, (joined, figures));
        }
    }
    let slots = u32::try_from(floor.slots.len()).unwrap_or(u32::MAX);
    let mut tables = 0;
    let mut slots_offered = 0u32;
    for (_, bytes) in db.open_tree(JD_TABLES)?.scan_prefix(&key).flatten() {
        let table: TableRow =
            serde_json::from_slice(&bytes).map_err(|e| ViewError::CorruptRow {
                tree: JD_TABLES,
                reason: e.to_string(),
            })?;
        tables += 1;
        let blocked = u32::try_from(table.blocked.len()).unwrap_or(u32::MAX);
        slots_offered += slots.saturating_sub(blocked);
        if let Some((_, figures)) = employers.get_mut(&table.employer) {
            figures.tables += 1;
        }
    }
    let candidates_with_wishes =
        u32::try_from(tails(db, JD_CANDIDATES, &key)?.len()).unwrap_or(u32::MAX);
    let mut outcomes = Outcomes::default();
    let mut drafted = 0;
    let mut by_job: BTreeMap<String, Outcomes> = BTreeMap::new();
    let mut hired: BTreeMap<(Job, ContractType), u32> = BTreeMap::new();
    let mut met = BTreeSet::new();
    for (_, bytes) in db.open_tree(JD_INTERVIEWS)?.scan_prefix(&key).flatten() {
        let interview: InterviewRow =
            serde_json::from_slice(&bytes).map_err(|e| ViewError::CorruptRow {
                tree: JD_INTERVIEWS,
                reason: e.to_string(),
            })?;
        if !interview.announced {
            drafted += 1;
            continue;
        }
        met.insert(interview.participant);
        outcomes.count(interview.outcome);
        if let Some((joined, figures)) = employers.get_mut(&interview.employer) {
            figures.outcomes.count(interview.outcome);
            let jobs: BTreeSet<Job> = joined.jobs.iter().map(|o| o.job).collect();
            for job in jobs {
                let counted = match interview.outcome {
                    Some(Outcome::Hired { job: for_job, .. }) if for_job != job => {
                        Some(Outcome::Met {})
                    }
                    other => other,
                };
                by_job.entry(wire(&job)).or_default().count(counted);
            }
        }
        if let Some(Outcome::Hired { job, contract }) = interview.outcome {
            *hired.entry((job, contract)).or_default() += 1;
        }
    }
    let mut openings: BTreeMap<(Job, ContractType), u32> = BTreeMap::new();
    for (joined, _) in employers.values() {
        for offer in &joined.jobs {
            *openings.entry((offer.job, offer.contract)).or_default() +=
                u32::try_from(u64::from(offer.openings)).unwrap_or(u32::MAX);
        }
    }
    let mut hires_by_contract: BTreeMap<String, u32> = BTreeMap::new();
    for ((_, contract), n) in &hired {
        *hires_by_contract.entry(wire(contract)).or_default() += n;
    }
    let keys: BTreeSet<(Job, ContractType)> =
        openings.keys().chain(hired.keys()).copied().collect();
    let hires = keys
        .into_iter()
        .map(|(job, contract)| Hires {
            job,
            contract,
            openings: openings.get(&(job, contract)).copied().unwrap_or(0),
            hired: hired.get(&(job, contract)).copied().unwrap_or(0),
        })
        .collect();
    Ok(Some(JobDatingFigures {
        session,
        employers: u32::try_from(employers.len()).unwrap_or(u32::MAX),
        tables,
        slots_offered,
        candidates_with_wishes,
        candidates_met: u32::try_from(met.len()).unwrap_or(u32::MAX),
        drafted,
        outcomes,
        by_job,
        hires,
        hires_by_contract,
        by_employer: employers.into_values().map(|(_, f)| f).collect(),
    }))
}

/// Whether the view knows a floor for `session`.
pub fn has_floor(db: &sled::Db, session: SessionId) -> Result<bool, ViewError> {
    Ok(row::<FloorRow>(db, JD_FLOORS, &session_key(session))?.is_some())
}

/// What the programme says of a job-dating session (its edition, times and zone, venue), as this
/// view read it from the scheduling, venue and registration streams.
pub fn session(db: &sled::Db, session: SessionId) -> Result<crate::SessionInfo, ViewError> {
    crate::SessionInfo::read(db, session)
}

/// The `UID` of an interview's calendar entry: stable while the interview stands.
pub fn interview_uid(session: SessionId, table: TableNo, slot: SlotNo) -> String {
    format!("jobdating-{session}-table-{table}-slot-{slot}@semaine")
}
