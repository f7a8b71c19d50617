//! What a session's seats remember, and what they tell of it: the seats available to a
//! registrant (capacity, confirmed seats, reservations), the waiting list, and the counts kept as
//! registrations change so that no decision walks a session's thousands of registrations.

use std::collections::VecDeque;

use imbl::{OrdMap, OrdSet};
use proto::registration::session::Registered;
use proto::registration::{
    Attendee, Beneficiary, CancelledBy, ParticipantId, Profile, RegistrationId, Reservation,
    SessionFacts,
};
use proto::taxonomy::Audience;
use proto::values::{PartnerId, Reason};
use serde::{Deserialize, Serialize};

use super::SeatsRefusal;

/// What a session's seats remember: everything their decisions need. Snapshotted by the shell
/// (the counts derived from the registrations are not stored: they are counted again on read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredSeats")]
pub struct SeatsState {
    /// The session's facts, known once the capacity was set: registrations are refused before
    /// (nothing says when the session is or who it is for).
    pub facts: Option<SessionFacts>,
    /// Seats the venue can host now: confirmed seats never exceed it.
    pub capacity: u32,
    /// Reservations not released yet, in the order they were first made: their unused seats are
    /// kept from everyone they do not benefit.
    pub reservations: Vec<Reservation>,
    /// Why the organiser cancelled the session; `None` while it is not cancelled.
    pub cancelled: Option<Reason>,
    /// Whether the session ended: nothing changes afterwards.
    pub ended: bool,
    /// Every registration ever made here, cancelled ones included: an id is never reused. A
    /// persistent map: the shell's group of decisions shares it with the state it starts from
    /// instead of copying a popular session's thousands of registrations.
    pub registrations: OrdMap<RegistrationId, RegistrationRecord>,
    /// The waiting registrations, head first: the order promotions follow.
    pub waiting: VecDeque<RegistrationId>,
    /// How many confirmations (registrations confirmed or promoted) happened so far: the next
    /// one's [`RegistrationStatus::Confirmed::confirmed_order`]. Demotions follow it backwards.
    pub confirmations: u64,
    /// The seats the confirmed registrations hold, kept as they change: deciding a registration
    /// never walks the session's thousands of registrations to count them.
    #[serde(skip_serializing)]
    confirmed_seats: u32,
    /// The seats the waiting registrations hold, kept as they change: the waiting list's bound
    /// is checked without a walk of it.
    #[serde(skip_serializing)]
    waiting_seats: u64,
    /// The registrations not cancelled, by participant: who is already in, found without a walk.
    #[serde(skip_serializing)]
    active: OrdSet<(ParticipantId, RegistrationId)>,
}

/// A [`SeatsState`] as snapshotted: what it remembers, without the counts derived from it.
#[derive(Deserialize)]
struct StoredSeats {
    facts: Option<SessionFacts>,
    capacity: u32,
    reservations: Vec<Reservation>,
    cancelled: Option<Reason>,
    ended: bool,
    registrations: OrdMap<RegistrationId, RegistrationRecord>,
    waiting: VecDeque<RegistrationId>,
    confirmations: u64,
}

impl From<StoredSeats> for SeatsState {
    fn from(stored: StoredSeats) -> Self {
        let mut state = SeatsState {
            facts: stored.facts,
            capacity: stored.capacity,
            reservations: stored.reservations,
            cancelled: stored.cancelled,
            ended: stored.ended,
            registrations: stored.registrations,
            waiting: stored.waiting,
            confirmations: stored.confirmations,
            confirmed_seats: 0,
            waiting_seats: 0,
            active: OrdSet::new(),
        };
        let ids: Vec<RegistrationId> = state.registrations.keys().copied().collect();
        for id in ids {
            state.count(id);
        }
        state
    }
}

/// One registration, as the seats remember it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// The partner that made it: it alone may cancel it, and it is told of every change.
    pub partner: PartnerId,
    /// The participant (a group's contact): registered at most once at a time per session.
    pub participant: ParticipantId,
    /// One person or a group: how many seats it takes, together.
    pub attendee: Attendee,
    /// What statistics may know; its audience decides which reservations benefit it.
    pub profile: Profile,
    /// Where it stands.
    pub status: RegistrationStatus,
    /// How many of its seats were checked in at the door; 0 until then (a no-show if it stays
    /// so).
    pub checked_in: u32,
}

/// Where a registration stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RegistrationStatus {
    /// It holds its seats.
    Confirmed {
        /// The reservation whose seats it holds, if any; cleared when that reservation is
        /// released (its seats are then ordinary seats).
        reserved: Option<Beneficiary>,
        /// When it was confirmed, among this session's confirmations (1 for the first): the
        /// most recent are demoted first when the capacity is lowered.
        confirmed_order: u64,
    },
    /// It waits for seats, at its place in [`SeatsState::waiting`].
    Waiting,
    /// It was cancelled; its seats are free.
    Cancelled {
        /// By whom.
        by: CancelledBy,
    },
}

impl SeatsState {
    /// Whether registrations are taken: the capacity was set at least once (the session's facts
    /// are known) and the session is neither cancelled nor ended. A capacity of 0 is open: every
    /// registration waits.
    pub fn is_open(&self) -> bool {
        self.facts.is_some() && self.cancelled.is_none() && !self.ended
    }

    /// The seats held by confirmed registrations.
    pub fn confirmed_seats(&self) -> u32 {
        self.confirmed_seats
    }

    /// The participant's registration that is not cancelled, if any.
    pub fn active_registration_of(&self, participant: ParticipantId) -> Option<RegistrationId> {
        self.active_registrations_of(participant).next()
    }

    /// The participant's registrations that are not cancelled (one at most, as decided here;
    /// the index says so without a walk over the session's registrations).
    pub fn active_registrations_of(
        &self,
        participant: ParticipantId,
    ) -> impl Iterator<Item = RegistrationId> + '_ {
        self.active
            .range((participant, RegistrationId(Default::default()))..)
            .take_while(move |(found, _)| *found == participant)
            .map(|(_, registration)| *registration)
    }

    /// Adds the registration's part to the counts derived from the registrations.
    pub(super) fn count(&mut self, id: RegistrationId) {
        if let Some(record) = self.registrations.get(&id) {
            if record.is_confirmed() {
                self.confirmed_seats = self.confirmed_seats.saturating_add(record.seats());
            }
            if record.status == RegistrationStatus::Waiting {
                self.waiting_seats += u64::from(record.seats());
            }
            if record.is_active() {
                self.active.insert((record.participant, id));
            }
        }
    }

    /// Takes the registration's part out of the counts, before it changes.
    pub(super) fn uncount(&mut self, id: RegistrationId) {
        if let Some(record) = self.registrations.get(&id) {
            if record.is_confirmed() {
                self.confirmed_seats = self.confirmed_seats.saturating_sub(record.seats());
            }
            if record.status == RegistrationStatus::Waiting {
                self.waiting_seats = self.waiting_seats.saturating_sub(u64::from(record.seats()));
            }
            self.active.remove(&(record.participant, id));
        }
    }

    /// The capacity minus the confirmed seats: the seats not held by anyone, reserved ones
    /// included (see [`SeatsState::available_to`] for what a registrant may take).
    pub fn seats_left(&self) -> u32 {
        self.capacity.saturating_sub(self.confirmed_seats())
    }

    /// The seats the waiting list holds (a group counts its size).
    pub fn waiting_seats(&self) -> u64 {
        self.waiting_seats
    }

    /// The waiting registrations, head first.
    pub fn waiting_list(&self) -> Vec<RegistrationId> {
        self.waiting.iter().copied().collect()
    }

    /// A registration, whatever its status.
    pub fn registration(&self, id: RegistrationId) -> Option<&RegistrationRecord> {
        self.registrations.get(&id)
    }

    /// The seats not used yet of the reservation kept for `beneficiary`, if there is one: its
    /// seats minus those of the confirmed registrations holding them.
    pub fn unused_reserved(&self, beneficiary: &Beneficiary) -> Option<u32> {
        self.reservations
            .iter()
            .find(|reservation| &reservation.beneficiary == beneficiary)
            .map(|reservation| self.unused(reservation))
    }

    /// The seats a registrant of `partner` and `audience` may take: the capacity, minus the
    /// confirmed seats, minus the unused seats of every reservation that does not benefit it.
    pub fn available_to(&self, partner: &PartnerId, audience: Audience) -> u32 {
        let kept_from_it: u64 = self
            .reservations
            .iter()
            .filter(|reservation| !benefits(&reservation.beneficiary, partner, audience))
            .map(|reservation| u64::from(self.unused(reservation)))
            .sum();
        let available = u64::from(self.capacity)
            .saturating_sub(u64::from(self.confirmed_seats()))
            .saturating_sub(kept_from_it);
        u32::try_from(available).unwrap_or(u32::MAX)
    }

    /// The confirmed registrations, with their confirmation order.
    pub(super) fn confirmed(
        &self,
    ) -> impl Iterator<Item = (RegistrationId, &RegistrationRecord, u64)> {
        self.registrations
            .iter()
            .filter_map(|(id, record)| match record.status {
                RegistrationStatus::Confirmed {
                    confirmed_order, ..
                } => Some((*id, record, confirmed_order)),
                _ => None,
            })
    }

    /// The unused seats of `reservation`.
    fn unused(&self, reservation: &Reservation) -> u32 {
        let used: u32 = self
            .confirmed()
            .filter(|(_, record, _)| {
                matches!(&record.status, RegistrationStatus::Confirmed { reserved: Some(b), .. }
                    if *b == reservation.beneficiary)
            })
            .map(|(_, record, _)| record.seats())
            .sum();
        reservation.seats.saturating_sub(used)
    }

    /// The reservation a registrant of `partner` and `audience` takes seats of, if one benefits
    /// it and has unused seats: the first reserved.
    pub(super) fn reservation_for(
        &self,
        partner: &PartnerId,
        audience: Audience,
    ) -> Option<Beneficiary> {
        self.reservations
            .iter()
            .find(|reservation| {
                benefits(&reservation.beneficiary, partner, audience)
                    && self.unused(reservation) > 0
            })
            .map(|reservation| reservation.beneficiary.clone())
    }

    /// The reservation a waiting registration promoted now takes seats of.
    pub(super) fn reservation_used_by(&self, record: &RegistrationRecord) -> Option<Beneficiary> {
        self.reservation_for(&record.partner, record.profile.audience)
    }

    /// The session's facts, if it is open; else why not.
    pub(super) fn open_facts(&self) -> Result<&SessionFacts, SeatsRefusal> {
        if self.cancelled.is_some() {
            return Err(SeatsRefusal::SessionCancelled);
        }
        if self.ended {
            return Err(SeatsRefusal::SessionEnded);
        }
        self.facts.as_ref().ok_or(SeatsRefusal::NotOpen)
    }
}

impl RegistrationRecord {
    /// A new record of `registered`, with `status`.
    pub(super) fn new(registered: &Registered, status: RegistrationStatus) -> Self {
        Self {
            partner: registered.partner.clone(),
            participant: registered.participant,
            attendee: registered.attendee.clone(),
            profile: registered.profile.clone(),
            status,
            checked_in: 0,
        }
    }

    /// How many seats it takes.
    pub fn seats(&self) -> u32 {
        self.attendee.seats()
    }

    /// Whether it holds its seats.
    pub fn is_confirmed(&self) -> bool {
        matches!(self.status, RegistrationStatus::Confirmed { .. })
    }

    /// Whether it holds or waits for seats (it is not cancelled).
    pub fn is_active(&self) -> bool {
        !matches!(self.status, RegistrationStatus::Cancelled { .. })
    }

    /// Whether it holds seats of the reservation for `beneficiary`.
    pub(super) fn holds_reserved(&self, beneficiary: &Beneficiary) -> bool {
        matches!(&self.status, RegistrationStatus::Confirmed { reserved: Some(kept), .. } if kept == beneficiary)
    }
}

/// Whether a reservation for `beneficiary` benefits a registrant of `partner` and `audience`.
fn benefits(beneficiary: &Beneficiary, partner: &PartnerId, audience: Audience) -> bool {
    match beneficiary {
        Beneficiary::Partner { partner: kept_for } => kept_for == partner,
        Beneficiary::Audience { audience: kept_for } => *kept_for == audience,
    }
}
