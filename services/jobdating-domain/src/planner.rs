//! The planner: every candidate's timetable at once, from their ranked wishes, fairly.
//!
//! Pure and deterministic: an [`Instance`] (slots, tables, candidates with their wishes and the
//! interviews they already have) and a seed give one [`Plan`]. Nothing here knows ids, events or
//! time zones: the floor decider builds the instance from its state (tables and employers by
//! index, wishes resolved to the employers that honour them) and turns the plan into bookings.
//! The algorithm and its cost are told in `docs/jobdating.md`; in short:
//!
//! - **Rounds.** Round `r` gives every candidate at most one more interview, so nobody has a
//!   second interview before everyone had their chance at a first one. An interview found in a
//!   round is fixed for the rounds after it.
//! - **Levels within a round.** At level `l` each candidate still without an interview in the
//!   round may use its `l` best wishes not honoured yet (best first). Each level is a maximum
//!   bipartite matching (augmenting paths, Kuhn's algorithm with a look-ahead for a free place)
//!   between candidates and places (employer, slot), a place holding as many candidates as the
//!   employer has free tables then. A candidate matched at a level keeps a place honouring the
//!   same wish: an augmenting path may move it to another slot or table of an employer of that
//!   wish, never to a worse wish. So level 1 of round 1 honours as many first wishes as any
//!   assignment can.
//! - **Constraints.** A place is offered to a candidate only if the slot keeps the gap with every
//!   interview the candidate already has, the candidate has no interview with that employer yet,
//!   and the candidate has fewer than the limit of interviews. Within a round a candidate takes
//!   one place, so two places of one round never conflict.
//! - **Ties.** Candidates are tried in the order of a seeded hash of their key (their participant
//!   id), not in registration order; employers and slots in index order.
//! - **Interviews already there** (announced, or booked by partners) are given: their places are
//!   not offered, and they count for their candidate (gap, limit, employer met, wishes honoured).

use crate::Gap;

/// What the planner plans: the floor as indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// Each slot's start and end, in seconds from any origin, in time order.
    pub slots: Vec<(i64, i64)>,
    /// The least time between two interviews of one candidate, in seconds.
    pub gap_seconds: i64,
    /// The most interviews one candidate may have, those already there included.
    pub max_interviews: usize,
    /// How many employers there are: tables and wishes name them by index below it.
    pub employers: usize,
    /// The tables.
    pub tables: Vec<PlanTable>,
    /// The candidates with wishes.
    pub candidates: Vec<PlanCandidate>,
}

/// A table, as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTable {
    /// Its employer's index.
    pub employer: usize,
    /// For each slot, whether the planner may book it: neither blocked nor already booked.
    pub open: Vec<bool>,
}

/// A candidate, as the planner sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCandidate {
    /// What ties are broken on (the participant id): hashed with the seed.
    pub key: u128,
    /// Their wishes, best first: each the employers (indexes, ascending, each once) that honour
    /// it. A wish no employer honours is empty.
    pub wishes: Vec<Vec<usize>>,
    /// The interviews they already have, as (table, slot): kept, and counted.
    pub fixed: Vec<(usize, usize)>,
}

/// One interview the planner booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Planned {
    /// The candidate's index.
    pub candidate: usize,
    /// The table's index.
    pub table: usize,
    /// The slot's index.
    pub slot: usize,
    /// The rank (from 1) of the best wish it honours.
    pub wish: usize,
    /// The round that booked it (from 1): the candidate's first, second… new interview.
    pub round: usize,
}

/// The planner's answer: the new interviews, and how well the wishes are honoured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The new interviews, by candidate then slot.
    pub interviews: Vec<Planned>,
    /// Candidates whose first wish is honoured, interviews already there counted.
    pub first_wishes_honoured: usize,
    /// Wishes honoured, all ranks, interviews already there counted. One interview may honour
    /// several wishes (an employer named, and a job it recruits for).
    pub wishes_honoured: usize,
    /// `interviews_per_candidate[n]`: how many candidates have `n` interviews in all.
    pub interviews_per_candidate: Vec<usize>,
}

impl Plan {
    /// How many candidates have at least one interview.
    pub fn candidates_with_an_interview(&self) -> usize {
        self.interviews_per_candidate.iter().skip(1).sum()
    }
}

/// Plans every timetable at once: rounds by rank, a maximum matching per level (see the module).
pub fn plan(instance: &Instance, seed: u64) -> Plan {
    let mut board = Board::new(instance);
    let order = seeded_order(instance, seed);
    let most_wishes = instance
        .candidates
        .iter()
        .map(|c| c.wishes.len())
        .max()
        .unwrap_or(0);
    for _round in 0..instance.max_interviews {
        board.start_round();
        for level in 1..=most_wishes {
            board.match_level(&order, level);
        }
        if !board.end_round() {
            break;
        }
    }
    board.into_plan()
}

/// The baseline the planner is measured against: candidates in the order given (first come,
/// first served), each taking, wish by wish, the first free place that honours it, until the
/// limit. Same constraints; no fairness.
pub fn first_come(instance: &Instance, order: &[usize]) -> Plan {
    let mut board = Board::new(instance);
    for &c in order {
        for w in 0..instance.candidates[c].wishes.len() {
            if board.count(c) >= instance.max_interviews {
                break;
            }
            if board.honoured[c][w] {
                continue;
            }
            let place = board
                .places(c, w)
                .find(|&node| !board.free_tables[node].is_empty());
            if let Some(node) = place {
                board.commit(c, node);
            }
        }
    }
    board.into_plan()
}

/// The candidates in the order ties are broken: by a hash of their key and the seed, then by key.
pub fn seeded_order(instance: &Instance, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..instance.candidates.len()).collect();
    order.sort_by_key(|&c| {
        let key = instance.candidates[c].key;
        (tie_break(seed, key), key)
    });
    order
}

/// A hash of `key` and `seed` (SplitMix64 steps): stable across builds and platforms.
pub fn tie_break(seed: u64, key: u128) -> u64 {
    // Both halves of the key, on purpose truncated to 64 bits each.
    let low = key as u64;
    let high = (key >> 64) as u64;
    mix(seed ^ mix(low ^ mix(high)))
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The planner's working state. A *place* (`node`) is one employer at one slot,
/// `employer * slots + slot`.
struct Board<'a> {
    instance: &'a Instance,
    /// The number of slots.
    slots: usize,
    /// `apart[a * slots + b]`: slots `a` and `b` may both be one candidate's.
    apart: Vec<bool>,
    /// Free tables of each place, the lowest last (taken first).
    free_tables: Vec<Vec<usize>>,
    /// Each candidate's interviews so far, as (employer, slot), those already there included.
    held: Vec<Vec<(usize, usize)>>,
    /// Each candidate's wishes honoured so far.
    honoured: Vec<Vec<bool>>,
    /// The interviews booked, as (candidate, table, slot, round).
    booked: Vec<(usize, usize, usize, usize)>,
    /// The current round, from 1 (0 before the first).
    round: usize,
    /// This round: each candidate's place and the wish it honours.
    assigned: Vec<Option<(usize, usize)>>,
    /// This round: each candidate may take slot `s` (`allowed[c * slots + s]`).
    allowed: Vec<bool>,
    /// This round: the candidates matched to each place.
    holders: Vec<Vec<usize>>,
    /// The places with holders this round, to clear them at its end.
    touched: Vec<usize>,
    /// The search's marks: a place is visited in this pass when its mark is `stamp`.
    visited: Vec<u32>,
    /// The current pass.
    stamp: u32,
    /// A stack of places whose holders a search may move.
    scratch: Vec<usize>,
}

impl<'a> Board<'a> {
    fn new(instance: &'a Instance) -> Self {
        let slots = instance.slots.len();
        let gap = Gap(instance.gap_seconds);
        let mut apart = vec![false; slots * slots];
        for (a, &(a_starts, a_ends)) in instance.slots.iter().enumerate() {
            for (b, &(b_starts, b_ends)) in instance.slots.iter().enumerate() {
                apart[a * slots + b] = gap.apart((a_starts, a_ends), (b_starts, b_ends));
            }
        }
        let places = instance.employers * slots;
        let mut free_tables = vec![Vec::new(); places];
        for (t, table) in instance.tables.iter().enumerate().rev() {
            if table.employer >= instance.employers {
                continue;
            }
            for (s, open) in table.open.iter().enumerate().take(slots) {
                if *open {
                    free_tables[table.employer * slots + s].push(t);
                }
            }
        }
        let candidates = instance.candidates.len();
        let mut board = Self {
            instance,
            slots,
            apart,
            free_tables,
            held: vec![Vec::new(); candidates],
            honoured: instance
                .candidates
                .iter()
                .map(|c| vec![false; c.wishes.len()])
                .collect(),
            booked: Vec::new(),
            round: 0,
            assigned: vec![None; candidates],
            allowed: vec![true; candidates * slots],
            holders: vec![Vec::new(); places],
            touched: Vec::new(),
            visited: vec![0; places],
            stamp: 0,
            scratch: Vec::new(),
        };
        for (c, candidate) in instance.candidates.iter().enumerate() {
            for &(t, s) in &candidate.fixed {
                if let Some(table) = instance.tables.get(t)
                    && s < slots
                {
                    board.hold(c, table.employer, s);
                }
            }
        }
        board
    }

    fn count(&self, c: usize) -> usize {
        self.held[c].len()
    }

    /// Records that `c` has an interview with `employer` at `slot`, and the wishes it honours.
    fn hold(&mut self, c: usize, employer: usize, slot: usize) {
        self.held[c].push((employer, slot));
        for (w, wish) in self.instance.candidates[c].wishes.iter().enumerate() {
            if wish.binary_search(&employer).is_ok() {
                self.honoured[c][w] = true;
            }
        }
    }

    /// Books `c` at `node` for good: the lowest free table there.
    fn commit(&mut self, c: usize, node: usize) {
        let (employer, slot) = (node / self.slots, node % self.slots);
        if let Some(table) = self.free_tables[node].pop() {
            let round = if self.round == 0 {
                self.count(c) + 1
            } else {
                self.round
            };
            self.booked.push((c, table, slot, round));
            self.hold(c, employer, slot);
        }
    }

    /// Whether `c` may be given `slot`: it keeps the gap with each of their interviews.
    fn slot_fits(&self, c: usize, slot: usize) -> bool {
        self.held[c]
            .iter()
            .all(|&(_, other)| self.apart[other * self.slots + slot])
    }

    /// Whether `c` already has an interview with `employer`.
    fn met(&self, c: usize, employer: usize) -> bool {
        self.held[c].iter().any(|&(e, _)| e == employer)
    }

    /// The places that would honour wish `w` of `c`, in order, within every constraint but
    /// the places' capacity (outside a round: from `held`).
    fn places(&self, c: usize, w: usize) -> impl Iterator<Item = usize> + '_ {
        let slots = self.slots;
        self.instance.candidates[c].wishes[w]
            .iter()
            .filter(move |&&e| e < self.instance.employers && !self.met(c, e))
            .flat_map(move |&e| {
                (0..slots)
                    .filter(move |&s| self.slot_fits(c, s))
                    .map(move |s| e * slots + s)
            })
    }

    /// Prepares a round: who may take which slot.
    fn start_round(&mut self) {
        self.round += 1;
        for c in 0..self.instance.candidates.len() {
            for s in 0..self.slots {
                self.allowed[c * self.slots + s] = self.slot_fits(c, s);
            }
        }
    }

    /// Whether `c` may be matched this round at all.
    fn active(&self, c: usize) -> bool {
        self.count(c) < self.instance.max_interviews && self.honoured[c].iter().any(|h| !h)
    }

    /// One level of a round: augmenting passes until a pass finds nothing.
    fn match_level(&mut self, order: &[usize], level: usize) {
        loop {
            self.stamp = self.stamp.wrapping_add(1);
            if self.stamp == 0 {
                self.visited.iter_mut().for_each(|v| *v = 0);
                self.stamp = 1;
            }
            let mut progress = false;
            for &c in order {
                if self.assigned[c].is_some() || !self.active(c) {
                    continue;
                }
                let open: Vec<usize> = (0..self.honoured[c].len())
                    .filter(|&w| !self.honoured[c][w])
                    .take(level)
                    .collect();
                for w in open {
                    if self.augment(c, w) {
                        progress = true;
                        break;
                    }
                }
            }
            if !progress {
                return;
            }
        }
    }

    /// Looks for an augmenting path from `c` through the places of its wish `w`: a free place,
    /// or a taken one whose holder can move to another place of its own wish.
    fn augment(&mut self, c: usize, w: usize) -> bool {
        let start = self.scratch.len();
        let slots = self.slots;
        let instance = self.instance;
        for &e in &instance.candidates[c].wishes[w] {
            if e >= instance.employers || self.met(c, e) {
                continue;
            }
            for s in 0..slots {
                if !self.allowed[c * slots + s] {
                    continue;
                }
                let node = e * slots + s;
                // A place with a free table is taken even if visited: the marks only spare
                // exploring full places twice in a pass.
                if self.free_tables[node].len() > self.holders[node].len() {
                    self.scratch.truncate(start);
                    self.take(c, w, node);
                    return true;
                }
                if self.visited[node] == self.stamp {
                    continue;
                }
                self.visited[node] = self.stamp;
                if !self.holders[node].is_empty() {
                    self.scratch.push(node);
                }
            }
        }
        let end = self.scratch.len();
        for i in start..end {
            let node = self.scratch[i];
            for j in 0..self.holders[node].len() {
                let holder = self.holders[node][j];
                let Some((_, wish)) = self.assigned[holder] else {
                    continue;
                };
                if self.augment(holder, wish) {
                    self.holders[node][j] = c;
                    self.assigned[c] = Some((node, w));
                    self.scratch.truncate(start);
                    return true;
                }
            }
        }
        self.scratch.truncate(start);
        false
    }

    fn take(&mut self, c: usize, w: usize, node: usize) {
        if self.holders[node].is_empty() {
            self.touched.push(node);
        }
        self.holders[node].push(c);
        self.assigned[c] = Some((node, w));
    }

    /// Fixes the round's matches; whether anything was matched.
    fn end_round(&mut self) -> bool {
        let mut matched: Vec<(usize, usize)> = self
            .assigned
            .iter()
            .enumerate()
            .filter_map(|(c, a)| a.map(|(node, _)| (c, node)))
            .collect();
        matched.sort_unstable();
        for &(c, node) in &matched {
            self.commit(c, node);
        }
        for node in std::mem::take(&mut self.touched) {
            self.holders[node].clear();
        }
        self.assigned.iter_mut().for_each(|a| *a = None);
        !matched.is_empty()
    }

    fn into_plan(self) -> Plan {
        let instance = self.instance;
        let mut interviews: Vec<Planned> = self
            .booked
            .iter()
            .map(|&(c, table, slot, round)| {
                let employer = instance.tables[table].employer;
                let wish = instance.candidates[c]
                    .wishes
                    .iter()
                    .position(|wish| wish.binary_search(&employer).is_ok())
                    .map_or(0, |w| w + 1);
                Planned {
                    candidate: c,
                    table,
                    slot,
                    wish,
                    round,
                }
            })
            .collect();
        interviews.sort_unstable_by_key(|p| (p.candidate, p.slot, p.table));
        let mut per_candidate = vec![0; instance.max_interviews.max(1) + 1];
        for held in &self.held {
            let n = held.len().min(per_candidate.len() - 1);
            per_candidate[n] += 1;
        }
        Plan {
            interviews,
            first_wishes_honoured: self
                .honoured
                .iter()
                .filter(|h| h.first().copied().unwrap_or(false))
                .count(),
            wishes_honoured: self
                .honoured
                .iter()
                .map(|h| h.iter().filter(|x| **x).count())
                .sum(),
            interviews_per_candidate: per_candidate,
        }
    }
}
