//! One replication of a [`Model`]: patients flow through the network event by event.
//!
//! Invariants kept between events:
//! - a service with room has nobody blocked waiting for it (blocked patients are released as soon
//!   as room appears, first-in first-out);
//! - a service whose places have one free has an empty queue;
//! - a patient is in exactly one of: a queue, service, waiting for leave hours, blocked after
//!   service, or free (no longer in the network, its slot reusable). Memory is bounded by the
//!   patients in the system.
//!
//! Time-integrated quantities (delayed bed days, interim bed days, staff demand) are accumulated
//! at every change of their level and at every midnight, when the day's staff demand and the
//! midnight census of acute inpatients are also taken.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::Rng as _;
use rand_distr::Exp1;

use super::record::{MonthRecord, NodeRecord, Record, StaffDay};
use super::{
    ArrivalProcess, Model, NodeIndex, NodeKind, PlacesIndex, RateProfile, Roles, Service, Source, HOURS_PER_WEEK,
};
use crate::calendar::{Calendar, Clock};
use crate::random::{self, Purpose, Rng};

/// Why a replication ended before its horizon.
#[derive(Clone, Debug, PartialEq)]
pub enum Stopped {
    /// The caller asked it to stop (Ctrl-C, or another replication found the system unstable).
    Interrupted,
    /// More patients were in the system than the run allows.
    Unstable(Unstable),
}

/// A replication stopped because patients piled up: the bound, and where they were waiting.
#[derive(Clone, Debug, PartialEq)]
pub struct Unstable {
    /// The service with the most patients queued or blocked waiting for it.
    pub node: NodeIndex,
    /// Those patients.
    pub waiting: usize,
    /// The simulated day it happened.
    pub day: f64,
    /// Patients in the system then (one more than [`super::RunSettings::max_in_system`]).
    pub in_system: usize,
}

/// Events between two looks at whether the caller wants the replication stopped: often enough to
/// stop within a millisecond, rarely enough to cost nothing.
const EVENTS_BETWEEN_STOP_CHECKS: u64 = 4096;

/// Something that happened to a patient, for the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceEvent {
    /// Reached a node.
    Arrive,
    /// Found no room and moved on or left.
    Overflow,
    /// Joined the queue.
    Queue,
    /// Started service.
    Start,
    /// Finished service and is held, blocked, until the next node has room.
    Blocked,
    /// Finished service (and any blocking) and left the node.
    Leave,
    /// Gave up waiting in the queue.
    Renege,
    /// Left the network through an exit.
    Exit,
}

impl TraceEvent {
    /// The event's name in `trace.csv`.
    pub fn name(self) -> &'static str {
        match self {
            TraceEvent::Arrive => "arrive",
            TraceEvent::Overflow => "overflow",
            TraceEvent::Queue => "queue",
            TraceEvent::Start => "start",
            TraceEvent::Blocked => "blocked",
            TraceEvent::Leave => "leave",
            TraceEvent::Renege => "renege",
            TraceEvent::Exit => "exit",
        }
    }
}

/// Receives every patient event of a replication. [`NoTrace`] compiles to nothing.
pub trait Tracer {
    /// False for a tracer that ignores everything, so the simulation skips gathering what to tell it.
    const ENABLED: bool = true;

    /// Called for each event: time, patient number (in order of arrival), cohort, node.
    fn record(&mut self, time: f64, patient: u64, cohort: u16, node: NodeIndex, event: TraceEvent);
}

/// A tracer that ignores everything.
pub struct NoTrace;

impl Tracer for NoTrace {
    const ENABLED: bool = false;

    #[inline(always)]
    fn record(&mut self, _: f64, _: u64, _: u16, _: NodeIndex, _: TraceEvent) {}
}

/// One row of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRow {
    /// Simulation time in days.
    pub time: f64,
    /// Patient number, in order of arrival.
    pub patient: u64,
    /// Cohort index.
    pub cohort: u16,
    /// Node index.
    pub node: NodeIndex,
    /// What happened.
    pub event: TraceEvent,
}

impl Tracer for Vec<TraceRow> {
    fn record(&mut self, time: f64, patient: u64, cohort: u16, node: NodeIndex, event: TraceEvent) {
        self.push(TraceRow {
            time,
            patient,
            cohort,
            node,
            event,
        });
    }
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival { source: u32 },
    ServiceEnd { patient: u32 },
    Timeout { patient: u32, visit: u32 },
    LeaveHoursOpen { patient: u32, visit: u32 },
    CapacityChange { places: u32 },
    FollowUp { patient: u32, number: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Waiting,
    InService,
    AwaitingLeaveHours,
    Blocked,
}

/// The calendar lane of arrivals: each schedules the next from its source, so they are kept apart
/// from the events of patients in the network.
const ARRIVALS: usize = 1;
const NO_ROUTE: u32 = u32::MAX;
const NOT_COUNTED: u32 = u32::MAX;
/// Days after discharge into reablement at which the patient's whereabouts are checked (ASCOF 2B).
pub const FOLLOW_UP_DAYS: f64 = 91.0;

#[derive(Clone, Debug)]
struct Patient {
    number: u64,
    cohort: u16,
    state: State,
    node: NodeIndex,
    /// Increases at every admission to a service and is never reset, even when the slot is reused,
    /// so queue entries and timeouts of earlier visits can be recognised as stale.
    visit: u32,
    entered: f64,
    started: f64,
    finished: f64,
    route: u32,
    /// The patient moved here from another service of the same pool and kept its place.
    carries_place: bool,
    /// When the patient was admitted to acute care; NaN when not in an acute service.
    admitted_at: f64,
    /// The month (index into the record) whose 91-day follow-up this patient is in, if any.
    follow_month: u32,
}

impl Patient {
    fn in_acute(&self) -> bool {
        !self.admitted_at.is_nan()
    }
}

#[derive(Clone, Copy, Debug)]
struct QueueEntry {
    patient: u32,
    visit: u32,
}

enum Queue {
    Fifo(VecDeque<QueueEntry>),
    Priority(BinaryHeap<Reverse<(u32, u64, u32, u32)>>),
}

/// A node: what every step looks up about it, its live state and its record, together so that a
/// step at a node reads one entry.
struct NodeState<'m> {
    /// The service, or `None` for an exit.
    service: Option<&'m Service>,
    roles: Roles,
    /// The service's places, the units of them each patient uses, and its queue limit, copied
    /// here because every arrival and departure asks whether there is room.
    places: PlacesIndex,
    place_units: u64,
    queue_limit: Option<u32>,
    in_use: u32,
    queued: u32,
    level_since: f64,
    /// Whether occupancy here moves a time-integrated level (interim beds, staff demand).
    moves_levels: bool,
    queue: Queue,
    blocked_upstream: VecDeque<u32>,
    record: NodeRecord,
}

/// A set of places' live state, in units (see [`super::Places`]), and the services drawing on it.
#[derive(Clone, Copy)]
struct PlaceState<'m> {
    in_use: u64,
    capacity: u64,
    members: &'m [NodeIndex],
}

struct SourceState {
    arrivals: Rng,
    cohorts: Rng,
    /// For profiled Poisson sources: the end of the current thinning segment and its peak rate.
    segment_end: f64,
    segment_peak: f64,
}

/// Quantities integrated over time, with the time they were last brought up to date.
struct Levels {
    since: f64,
    delayed: u32,
    interim: u32,
    /// Per staff group: visits and minutes needed per day by the patients in service now.
    staff_rates: Vec<StaffDay>,
    /// Per staff group: the current day's accumulated demand.
    staff_today: Vec<StaffDay>,
    next_midnight: f64,
    month: usize,
    next_month_start: f64,
}

struct Simulation<'m, T> {
    model: &'m Model,
    nodes: Vec<NodeState<'m>>,
    clock: Clock,
    warmup: f64,
    horizon: f64,
    calendar: Calendar<Event, 2>,
    patients: Vec<Patient>,
    free_slots: Vec<u32>,
    in_system: usize,
    unstable: Option<Unstable>,
    /// Whether anything reads the month-by-month records; if not, one record serves the whole run
    /// so memory does not grow with the horizon.
    track_months: bool,
    next_number: u64,
    places: Vec<PlaceState<'m>>,
    sources: Vec<SourceState>,
    durations: Vec<Rng>,
    routing: Vec<Rng>,
    months: Vec<MonthRecord>,
    staff_days: Vec<Vec<StaffDay>>,
    levels: Levels,
    census_acute: bool,
    room_changed: Vec<NodeIndex>,
    queue_sequence: u64,
    tracer: T,
}

/// Runs replication `replication` of `model` to its horizon, reporting every patient event to
/// `tracer`; it stops early only if the system is unstable.
pub fn run_replication<T: Tracer>(model: &Model, replication: u32, tracer: T) -> Result<(Record, T), Stopped> {
    run_replication_until(model, replication, tracer, &|| false)
}

/// Like [`run_replication`], but also stops, with [`Stopped::Interrupted`], soon after
/// `should_stop` returns true (it is asked every few thousand events).
pub fn run_replication_until<T: Tracer>(
    model: &Model,
    replication: u32,
    tracer: T,
    should_stop: &dyn Fn() -> bool,
) -> Result<(Record, T), Stopped> {
    let seed = model.run.seed;
    let network = &model.network;
    let nodes = &network.nodes;
    let clock = Clock::starting(model.run.start_date);
    let staff_groups = network.staff.len();
    let mut simulation = Simulation {
        model,
        clock,
        warmup: model.run.warmup_days,
        horizon: model.run.horizon_days,
        calendar: Calendar::new(),
        patients: Vec::new(),
        free_slots: Vec::new(),
        in_system: 0,
        unstable: None,
        track_months: network.records_months(),
        next_number: 0,
        nodes: nodes
            .iter()
            .map(|node| {
                let service = match &node.kind {
                    NodeKind::Service(service) => Some(service),
                    NodeKind::Exit => None,
                };
                NodeState {
                    service,
                    roles: node.roles,
                    places: service.map_or(0, |s| s.places),
                    place_units: service.map_or(0, |s| s.place_units),
                    queue_limit: service.and_then(|s| s.queue_limit),
                    in_use: 0,
                    queued: 0,
                    level_since: 0.0,
                    moves_levels: node.roles.has(Roles::INTERIM) || service.is_some_and(|s| s.workload.is_some()),
                    queue: if service.is_some_and(|s| s.priority.is_some()) {
                        Queue::Priority(BinaryHeap::new())
                    } else {
                        Queue::Fifo(VecDeque::new())
                    },
                    blocked_upstream: VecDeque::new(),
                    record: NodeRecord::default(),
                }
            })
            .collect(),
        places: network
            .places
            .iter()
            .map(|places| PlaceState {
                in_use: 0,
                capacity: places.capacity_at(hour_of_week(&clock, 0)),
                members: &places.members,
            })
            .collect(),
        sources: (0..network.sources.len() as u32)
            .map(|i| SourceState {
                arrivals: random::stream(seed, replication, Purpose::Arrivals(i)),
                cohorts: random::stream(seed, replication, Purpose::CohortMix(i)),
                segment_end: 0.0,
                segment_peak: 0.0,
            })
            .collect(),
        durations: (0..nodes.len() as u32)
            .map(|i| random::stream(seed, replication, Purpose::Duration(i)))
            .collect(),
        routing: (0..nodes.len() as u32)
            .map(|i| random::stream(seed, replication, Purpose::Routing(i)))
            .collect(),
        months: vec![MonthRecord {
            start: Some(clock.date(0.0).first_of_month()),
            avoided: vec![0; nodes.len()],
            ..MonthRecord::default()
        }],
        staff_days: vec![Vec::new(); staff_groups],
        levels: Levels {
            since: 0.0,
            delayed: 0,
            interim: 0,
            staff_rates: vec![StaffDay::default(); staff_groups],
            staff_today: vec![StaffDay::default(); staff_groups],
            next_midnight: 1.0,
            month: 0,
            next_month_start: clock.time_of(clock.date(0.0).first_of_next_month()),
        },
        census_acute: nodes.iter().any(|n| n.roles.has(Roles::ACUTE)),
        room_changed: Vec::new(),
        queue_sequence: 0,
        tracer,
    };
    let record = simulation.run(should_stop)?;
    Ok((record, simulation.tracer))
}

/// The whole hour (counted from day 0) in which `time` lies, robust to `time` being computed as
/// `hours / 24.0` and landing a rounding error below the hour.
fn whole_hour(time: f64) -> i64 {
    (time * 24.0 + 1e-6).floor() as i64
}

/// Whether a queue entry at `node` is still live: its patient is waiting there on that visit, not
/// gone after giving up (entries are left behind and skipped, or compacted, later).
fn still_waiting(patients: &[Patient], node: NodeIndex, patient: u32, visit: u32) -> bool {
    let p = &patients[patient as usize];
    p.visit == visit && p.state == State::Waiting && p.node == node
}

/// The hour of the week (Monday 0:00 = 0) of whole hour `hour` since day 0.
fn hour_of_week(clock: &Clock, hour: i64) -> usize {
    (hour + 24 * clock.weekday(0.0) as i64).rem_euclid(HOURS_PER_WEEK as i64) as usize
}

impl<'m, T: Tracer> Simulation<'m, T> {
    fn run(&mut self, should_stop: &dyn Fn() -> bool) -> Result<Record, Stopped> {
        for source in 0..self.model.network.sources.len() as u32 {
            self.schedule_arrival(source);
        }
        for places in 0..self.places.len() as u32 {
            self.schedule_capacity_change(places);
        }
        let mut events = 0u64;
        while let Some(event) = self.calendar.next_before(self.horizon) {
            events += 1;
            if events % EVENTS_BETWEEN_STOP_CHECKS == 0 && should_stop() {
                return Err(Stopped::Interrupted);
            }
            self.roll_to(self.calendar.now());
            match event {
                Event::Arrival { source } => self.on_arrival(source),
                Event::ServiceEnd { patient } => self.on_service_end(patient),
                Event::Timeout { patient, visit } => self.on_timeout(patient, visit),
                Event::LeaveHoursOpen { patient, visit } => {
                    if self.patients[patient as usize].visit == visit {
                        let node = self.patients[patient as usize].node;
                        let service = self.service(node).expect("only services have leave hours");
                        self.leave_service(patient, node, service);
                    }
                }
                Event::CapacityChange { places } => self.on_capacity_change(places),
                Event::FollowUp { patient, number } => self.on_follow_up(patient, number),
            }
            self.release_where_room_appeared();
            if self.unstable.is_some() {
                return Err(Stopped::Unstable(self.unstable.take().expect("checked")));
            }
        }
        self.roll_to(self.horizon);
        self.flush_levels(self.horizon);
        for node in 0..self.nodes.len() {
            self.account_occupancy(node, self.horizon);
        }
        Ok(Record {
            nodes: self
                .nodes
                .iter_mut()
                .map(|node| std::mem::take(&mut node.record))
                .collect(),
            events,
            peak_in_system: self.patients.len(),
            observed_days: self.horizon - self.warmup,
            months: std::mem::take(&mut self.months),
            staff_days: std::mem::take(&mut self.staff_days),
            first_staff_day: self.warmup.ceil() as u64,
        })
    }

    #[inline]
    fn now(&self) -> f64 {
        self.calendar.now()
    }

    #[inline]
    fn observing(&self) -> bool {
        self.now() >= self.warmup
    }

    #[inline]
    fn service(&self, node: NodeIndex) -> Option<&'m Service> {
        self.nodes[node as usize].service
    }

    #[inline]
    fn roles(&self, node: NodeIndex) -> Roles {
        self.nodes[node as usize].roles
    }

    fn month(&mut self) -> &mut MonthRecord {
        &mut self.months[self.levels.month]
    }

    #[inline]
    fn trace(&mut self, patient: u32, node: NodeIndex, event: TraceEvent) {
        if !T::ENABLED {
            return;
        }
        let p = &self.patients[patient as usize];
        self.tracer.record(self.calendar.now(), p.number, p.cohort, node, event);
    }

    /// Brings time-integrated levels up to `time` (within the observation window).
    fn flush_levels(&mut self, time: f64) {
        let levels = &mut self.levels;
        let from = levels.since.max(self.warmup);
        if time > from {
            let days = time - from;
            let month = &mut self.months[levels.month];
            month.observed_days += days;
            month.delayed_bed_days += f64::from(levels.delayed) * days;
            month.interim_bed_days += f64::from(levels.interim) * days;
            for (today, rate) in levels.staff_today.iter_mut().zip(&levels.staff_rates) {
                today.visits += rate.visits * days;
                today.minutes += rate.minutes * days;
            }
        }
        levels.since = levels.since.max(time);
    }

    /// Passes every midnight up to `time`: closes the day's staff demand, takes the census of
    /// acute inpatients, and opens a new month where one begins. Nothing changes between events,
    /// so the state now is the state at each of those midnights.
    #[inline]
    fn roll_to(&mut self, time: f64) {
        if self.levels.next_midnight <= time {
            self.pass_midnights(time);
        }
    }

    #[cold]
    fn pass_midnights(&mut self, time: f64) {
        while self.levels.next_midnight <= time {
            let midnight = self.levels.next_midnight;
            self.flush_levels(midnight);
            if midnight - 1.0 >= self.warmup {
                for (days, today) in self.staff_days.iter_mut().zip(&mut self.levels.staff_today) {
                    days.push(std::mem::take(today));
                }
            } else {
                self.levels
                    .staff_today
                    .iter_mut()
                    .for_each(|today| *today = StaffDay::default());
            }
            if self.track_months && midnight >= self.levels.next_month_start {
                let start = self.clock.date(midnight);
                self.months.push(MonthRecord {
                    start: Some(start),
                    avoided: vec![0; self.model.network.nodes.len()],
                    ..MonthRecord::default()
                });
                self.levels.month += 1;
                self.levels.next_month_start = self.clock.time_of(start.first_of_next_month());
            }
            if self.census_acute && midnight >= self.warmup && midnight < self.horizon {
                self.take_census(midnight);
            }
            self.levels.next_midnight += 1.0;
        }
    }

    fn take_census(&mut self, midnight: f64) {
        let (mut inpatients, mut over_14, mut over_21) = (0, 0, 0);
        for patient in &self.patients {
            if patient.state != State::Free && patient.in_acute() {
                let stay = midnight - patient.admitted_at;
                inpatients += 1;
                over_14 += u64::from(stay >= 14.0);
                over_21 += u64::from(stay >= 21.0);
            }
        }
        let month = self.month();
        month.inpatients += inpatients;
        month.los_14_plus += over_14;
        month.los_21_plus += over_21;
    }

    #[inline]
    fn schedule_arrival(&mut self, source_index: u32) {
        let source: &Source = &self.model.network.sources[source_index as usize];
        let now = self.now();
        let state = &mut self.sources[source_index as usize];
        let next = match &source.arrivals {
            ArrivalProcess::Renewal(interarrival) => now + interarrival.sample(&mut state.arrivals),
            ArrivalProcess::Poisson {
                rate_per_day,
                profile: None,
            } => now + state.arrivals.sample::<f64, _>(Exp1) / rate_per_day,
            ArrivalProcess::Poisson {
                rate_per_day,
                profile: Some(profile),
            } => match self.next_profiled_arrival(source_index, *rate_per_day, profile) {
                Some(next) => next,
                None => return,
            },
        };
        if next < self.horizon {
            self.calendar
                .schedule_in(ARRIVALS, next, Event::Arrival { source: source_index });
        }
    }

    /// The next arrival of a profiled Poisson source, by thinning, or `None` if there is none
    /// before the horizon. The bounding rate is renewed every year so that growth over a long
    /// horizon does not make the bound, and so the rejections, explode.
    #[inline(never)]
    fn next_profiled_arrival(&mut self, source_index: u32, rate_per_day: f64, profile: &RateProfile) -> Option<f64> {
        let state = &mut self.sources[source_index as usize];
        let mut t = self.calendar.now();
        loop {
            if t >= state.segment_end {
                let start = t.max(state.segment_end);
                state.segment_end = start + 365.0;
                let growth = profile.growth(start).max(profile.growth(state.segment_end));
                state.segment_peak = rate_per_day * profile.peak_multiplier() * growth;
            }
            if state.segment_peak <= 0.0 {
                t = state.segment_end;
                if t >= self.horizon {
                    return None;
                }
                continue;
            }
            let candidate = t + state.arrivals.sample::<f64, _>(Exp1) / state.segment_peak;
            if candidate >= state.segment_end {
                t = state.segment_end;
                continue;
            }
            t = candidate;
            let rate = rate_per_day
                * profile.hour[self.clock.hour(t)]
                * profile.weekday[self.clock.weekday(t)]
                * profile.month[self.clock.date(t).month as usize - 1]
                * profile.growth(t);
            if state.arrivals.random::<f64>() * state.segment_peak < rate {
                return Some(t);
            }
        }
    }

    fn on_arrival(&mut self, source_index: u32) {
        let source = &self.model.network.sources[source_index as usize];
        let to = source.to;
        let cohort = if source.cohort_mix.len() == 1 {
            0
        } else {
            let u: f64 = self.sources[source_index as usize].cohorts.random();
            source
                .cohort_mix
                .iter()
                .position(|&c| u < c)
                .unwrap_or(source.cohort_mix.len() - 1) as u16
        };
        let patient = self.new_patient(cohort);
        self.arrive(patient, to);
        self.schedule_arrival(source_index);
    }

    fn new_patient(&mut self, cohort: u16) -> u32 {
        self.in_system += 1;
        if self.in_system > self.model.run.max_in_system && self.unstable.is_none() {
            self.unstable = Some(self.most_crowded());
        }
        let number = self.next_number;
        self.next_number += 1;
        let fresh = |visit| Patient {
            number,
            cohort,
            state: State::Free,
            node: 0,
            visit,
            entered: 0.0,
            started: 0.0,
            finished: 0.0,
            route: NO_ROUTE,
            carries_place: false,
            admitted_at: f64::NAN,
            follow_month: NOT_COUNTED,
        };
        match self.free_slots.pop() {
            Some(slot) => {
                let visit = self.patients[slot as usize].visit;
                self.patients[slot as usize] = fresh(visit);
                slot
            }
            None => {
                self.patients.push(fresh(0));
                (self.patients.len() - 1) as u32
            }
        }
    }

    /// Where patients pile up: the service with the most of them queued or blocked waiting for it.
    #[cold]
    fn most_crowded(&self) -> Unstable {
        let (node, waiting) = self
            .nodes
            .iter()
            .enumerate()
            .map(|(node, station)| (node, station.queued as usize + station.blocked_upstream.len()))
            .fold(
                (0, 0),
                |best, candidate| if candidate.1 > best.1 { candidate } else { best },
            );
        Unstable {
            node: node as NodeIndex,
            waiting,
            day: self.now(),
            in_system: self.in_system,
        }
    }

    /// The patient leaves the network (by an exit, or lost for want of room).
    fn free_patient(&mut self, patient: u32, at_home: bool) {
        self.in_system -= 1;
        self.resolve_follow_up(patient, at_home);
        self.patients[patient as usize].state = State::Free;
        self.free_slots.push(patient);
    }

    fn resolve_follow_up(&mut self, patient: u32, at_home: bool) {
        let p = &mut self.patients[patient as usize];
        let month = std::mem::replace(&mut p.follow_month, NOT_COUNTED);
        if month != NOT_COUNTED {
            let record = &mut self.months[month as usize];
            record.followed += 1;
            record.followed_at_home += u64::from(at_home);
        }
    }

    fn on_follow_up(&mut self, patient: u32, number: u64) {
        let p = &self.patients[patient as usize];
        if p.number != number || p.state == State::Free {
            return;
        }
        let at_home = self.roles(p.node).has(Roles::USUAL_RESIDENCE);
        self.resolve_follow_up(patient, at_home);
    }

    /// Whether a patient arriving at `node` (a service) would be admitted: it fits, or the queue
    /// has room.
    #[inline]
    fn has_room(&self, node: NodeIndex) -> bool {
        let state = &self.nodes[node as usize];
        self.fits(node) || state.queue_limit.is_none_or(|limit| state.queued < limit)
    }

    /// Whether one more patient can start service at `node` now.
    #[inline]
    fn fits(&self, node: NodeIndex) -> bool {
        let state = &self.nodes[node as usize];
        let places = self.places[state.places as usize];
        places.capacity.saturating_sub(places.in_use) >= state.place_units
    }

    /// The patient reaches `node`: admitted if there is room, otherwise sent along the on-full
    /// chain (acyclic by validation) or lost.
    #[inline(always)]
    fn arrive(&mut self, patient: u32, mut node: NodeIndex) {
        loop {
            self.trace(patient, node, TraceEvent::Arrive);
            let observing = self.observing();
            if observing {
                self.nodes[node as usize].record.arrivals += 1;
            }
            let roles = self.roles(node);
            let Some(service) = self.service(node) else {
                self.count_care_home_admission(patient, roles);
                self.trace(patient, node, TraceEvent::Exit);
                self.free_patient(patient, roles.has(Roles::USUAL_RESIDENCE));
                return;
            };
            if self.patients[patient as usize].carries_place || self.has_room(node) {
                self.admit(patient, node, service);
                return;
            }
            if observing {
                self.nodes[node as usize].record.overflowed += 1;
            }
            self.trace(patient, node, TraceEvent::Overflow);
            match service.on_full {
                Some(next) => node = next,
                None => {
                    self.free_patient(patient, false);
                    return;
                }
            }
        }
    }

    fn count_care_home_admission(&mut self, patient: u32, roles: Roles) {
        if roles.has(Roles::CARE_HOME)
            && self.observing()
            && self.model.network.cohorts[self.patients[patient as usize].cohort as usize]
                .flags
                .aged_65_plus
        {
            self.month().care_home_admissions_65 += 1;
        }
    }

    fn admit(&mut self, patient: u32, node: NodeIndex, service: &Service) {
        let now = self.now();
        let roles = self.roles(node);
        self.count_care_home_admission(patient, roles);
        let p = &mut self.patients[patient as usize];
        if roles.has(Roles::ACUTE) && !p.in_acute() {
            p.admitted_at = now;
            let acsc = self.model.network.cohorts[p.cohort as usize].flags.acsc;
            if now >= self.warmup {
                let month = &mut self.months[self.levels.month];
                month.admissions += 1;
                month.acsc_admissions += u64::from(acsc);
            }
        }
        let p = &mut self.patients[patient as usize];
        p.node = node;
        p.visit = p.visit.wrapping_add(1);
        p.entered = now;
        p.route = NO_ROUTE;
        if service.route_on_arrival {
            let cohort = p.cohort;
            let route = self.draw_route(node, service, cohort);
            self.patients[patient as usize].route = route;
        }
        if self.patients[patient as usize].carries_place || self.fits(node) {
            self.start_service(patient, node, service);
            return;
        }
        let p = &mut self.patients[patient as usize];
        p.state = State::Waiting;
        let entry = QueueEntry {
            patient,
            visit: p.visit,
        };
        let rank = service.priority.as_ref().map_or(0, |ranks| ranks[p.cohort as usize]);
        let station = &mut self.nodes[node as usize];
        station.queued += 1;
        match &mut station.queue {
            Queue::Fifo(queue) => queue.push_back(entry),
            Queue::Priority(queue) => {
                self.queue_sequence += 1;
                queue.push(Reverse((rank, self.queue_sequence, entry.patient, entry.visit)));
            }
        }
        if let Some(reneging) = &service.reneging {
            self.calendar.schedule(
                now + reneging.max_wait,
                Event::Timeout {
                    patient,
                    visit: entry.visit,
                },
            );
        }
        self.trace(patient, node, TraceEvent::Queue);
    }

    #[inline]
    fn draw_route(&mut self, node: NodeIndex, service: &Service, cohort: u16) -> u32 {
        let table = &service.routes[cohort as usize];
        let u = if table.choices.len() == 1 {
            0.0
        } else {
            self.routing[node as usize].random()
        };
        table.choose(u) as u32
    }

    fn start_service(&mut self, patient: u32, node: NodeIndex, service: &Service) {
        let now = self.now();
        self.change_occupancy(node, 1);
        let p = &mut self.patients[patient as usize];
        if !std::mem::replace(&mut p.carries_place, false) {
            self.places[service.places as usize].in_use += service.place_units;
        }
        p.state = State::InService;
        p.started = now;
        if p.entered >= self.warmup {
            self.nodes[node as usize].record.add_wait(now - p.entered);
        }
        let cohort = p.cohort as usize;
        let route_duration = (p.route != NO_ROUTE)
            .then(|| service.routes[cohort].choices[p.route as usize].duration.as_ref())
            .flatten();
        let distribution = route_duration
            .or(service.cohort_duration[cohort].as_ref())
            .unwrap_or(&service.duration);
        let duration = distribution.sample(&mut self.durations[node as usize]);
        self.calendar.schedule(now + duration, Event::ServiceEnd { patient });
        self.trace(patient, node, TraceEvent::Start);
    }

    fn on_service_end(&mut self, patient: u32) {
        let now = self.now();
        let p = &mut self.patients[patient as usize];
        p.finished = now;
        let node = p.node;
        let NodeState { service, roles, .. } = self.nodes[node as usize];
        let service = service.expect("only services end service");
        if roles.has(Roles::ACUTE) {
            self.flush_levels(now);
            self.levels.delayed += 1;
        }
        if let Some(open) = &service.leave_hours {
            let hour = whole_hour(now);
            let current = hour_of_week(&self.clock, hour);
            if !open[current] {
                let wait = (1..=HOURS_PER_WEEK as i64)
                    .find(|&k| open[hour_of_week(&self.clock, hour + k)])
                    .expect("validation ensures some leave hours are open");
                let p = &mut self.patients[patient as usize];
                p.state = State::AwaitingLeaveHours;
                let visit = p.visit;
                self.calendar
                    .schedule((hour + wait) as f64 / 24.0, Event::LeaveHoursOpen { patient, visit });
                return;
            }
        }
        self.leave_service(patient, node, service);
    }

    /// The patient, having finished service at `node` (and waited for leave hours), moves on or is
    /// blocked.
    fn leave_service(&mut self, patient: u32, node: NodeIndex, service: &'m Service) {
        let p = &self.patients[patient as usize];
        let cohort = p.cohort;
        let route = match p.route {
            NO_ROUTE => {
                let route = self.draw_route(node, service, cohort);
                self.patients[patient as usize].route = route;
                route
            }
            route => route,
        };
        let next = service.routes[cohort as usize].choices[route as usize].to;
        let landing = if self.draws_on(next, service.places) {
            Some(next)
        } else {
            self.landing(next)
        };
        match landing {
            Some(landing) => self.transfer(patient, node, next, landing),
            None => {
                self.patients[patient as usize].state = State::Blocked;
                self.nodes[next as usize].blocked_upstream.push_back(patient);
                self.trace(patient, node, TraceEvent::Blocked);
            }
        }
    }

    /// Whether `node` is a service drawing on `places`.
    #[inline]
    fn draws_on(&self, node: NodeIndex, places: PlacesIndex) -> bool {
        let state = &self.nodes[node as usize];
        state.service.is_some() && state.places == places
    }

    /// The first of `node` and the nodes its `on_full` chain leads to that has room (exits
    /// always have), where an arrival at `node` would settle.
    #[inline]
    fn landing(&self, mut node: NodeIndex) -> Option<NodeIndex> {
        loop {
            let Some(service) = self.service(node) else {
                return Some(node);
            };
            if self.has_room(node) {
                return Some(node);
            }
            node = service.on_full?;
        }
    }

    /// Moves a patient who has finished service (and any blocking) to `next`, which has room
    /// (itself, or at `landing` along its on-full chain; `next` when moving within one pool). The
    /// patient is admitted there before its old place is freed, so nobody can take the room first;
    /// moving within one pool, it keeps its place.
    fn transfer(&mut self, patient: u32, from: NodeIndex, next: NodeIndex, landing: NodeIndex) {
        let now = self.now();
        let p = &self.patients[patient as usize];
        let from_state = &self.nodes[from as usize];
        let (from_places, from_units) = (from_state.places, from_state.place_units);
        let keeps_place = self.draws_on(next, from_places);
        if now >= self.warmup {
            let record = &mut self.nodes[from as usize].record;
            record.completions += 1;
            record.service_sum += p.finished - p.started;
            record.blocked_sum += now - p.finished;
        }
        self.count_flow(patient, from, landing);
        self.trace(patient, from, TraceEvent::Leave);
        self.patients[patient as usize].carries_place = keeps_place;
        self.arrive(patient, next);
        self.change_occupancy(from, -1);
        // A place that moves with the patient is resized to the next step's workload, which may
        // free staff minutes for the pool's other services.
        let next_units = if keeps_place {
            self.nodes[next as usize].place_units
        } else {
            0
        };
        let places = &mut self.places[from_places as usize];
        places.in_use = places.in_use - from_units + next_units;
        // `from` is among the services drawing on `from_places`, so its queue and blocked patients
        // are looked at too.
        self.room_may_appear_in(from_places);
    }

    /// Marks every service drawing on `places` as maybe having room, so that their queues are
    /// served in file order (`room_changed` is taken from the end).
    fn room_may_appear_in(&mut self, places: u32) {
        match self.places[places as usize].members {
            [only] => self.room_changed.push(*only),
            members => self.room_changed.extend(members.iter().rev()),
        }
    }

    /// Counts what moving from `from` to `next` means for the BCF metrics.
    fn count_flow(&mut self, patient: u32, from: NodeIndex, next: NodeIndex) {
        let from_roles = self.roles(from);
        if !from_roles.has_any(Roles::ACUTE.with(Roles::ADMISSION_AVOIDANCE)) {
            return;
        }
        let now = self.now();
        let next_roles = self.roles(next);
        let observing = self.observing();
        if from_roles.has(Roles::ADMISSION_AVOIDANCE) && !next_roles.has(Roles::ACUTE) && observing {
            self.month().avoided[from as usize] += 1;
        }
        if !from_roles.has(Roles::ACUTE) {
            return;
        }
        self.flush_levels(now);
        self.levels.delayed -= 1;
        if next_roles.has(Roles::ACUTE) {
            return;
        }
        let p = &mut self.patients[patient as usize];
        p.admitted_at = f64::NAN;
        if next_roles.has(Roles::DEATH) {
            return;
        }
        let optimised_for = now - p.finished;
        let cohort = &self.model.network.cohorts[p.cohort as usize];
        // Only follow-ups whose day 91 falls inside the horizon, so outcomes are not censored
        // towards the early ones (deaths, exits) near its end.
        let follow = next_roles.has(Roles::REABLEMENT)
            && cohort.flags.aged_65_plus
            && p.follow_month == NOT_COUNTED
            && observing
            && now + FOLLOW_UP_DAYS < self.horizon;
        if follow {
            p.follow_month = self.levels.month as u32;
            let number = p.number;
            self.calendar
                .schedule(now + FOLLOW_UP_DAYS, Event::FollowUp { patient, number });
        }
        if observing {
            let month = self.month();
            month.acute_discharges += 1;
            month.discharged_usual_residence += u64::from(next_roles.has(Roles::USUAL_RESIDENCE));
            month.discharged_within_24h += u64::from(optimised_for <= 1.0);
            if let Some(pathway) = next_roles.pathway() {
                month.pathway[pathway] += 1;
            }
        }
    }

    fn on_timeout(&mut self, patient: u32, visit: u32) {
        let p = &self.patients[patient as usize];
        if p.visit != visit || p.state != State::Waiting {
            return;
        }
        let node = p.node;
        let entered = p.entered;
        let service = self.service(node).expect("only services have queues");
        let reneging = service.reneging.as_ref().expect("timeouts come from reneging services");
        // The queue entry stays behind and is skipped when reached: the patient is no longer Waiting.
        self.patients[patient as usize].state = State::InService;
        self.nodes[node as usize].queued -= 1;
        self.compact_queue_if_mostly_stale(node);
        if entered >= self.warmup {
            let record = &mut self.nodes[node as usize].record;
            record.add_wait(self.calendar.now() - entered);
            record.reneged += 1;
        }
        self.trace(patient, node, TraceEvent::Renege);
        self.room_changed.push(node);
        // Giving up on an acute queue for care elsewhere ends the stay without a discharge.
        if !self.roles(reneging.to).has(Roles::ACUTE) {
            self.patients[patient as usize].admitted_at = f64::NAN;
        }
        self.arrive(patient, reneging.to);
    }

    fn schedule_capacity_change(&mut self, places_index: u32) {
        let Some(schedule) = &self.model.network.places[places_index as usize].schedule else {
            return;
        };
        let now = self.now();
        let hour = whole_hour(now);
        let capacity = schedule[hour_of_week(&self.clock, hour)];
        let change = (1..=HOURS_PER_WEEK as i64).find(|&k| schedule[hour_of_week(&self.clock, hour + k)] != capacity);
        if let Some(k) = change {
            let at = (hour + k) as f64 / 24.0;
            if at < self.horizon {
                self.calendar
                    .schedule(at, Event::CapacityChange { places: places_index });
            }
        }
    }

    fn on_capacity_change(&mut self, places_index: u32) {
        let places = &self.model.network.places[places_index as usize];
        let hour = hour_of_week(&self.clock, whole_hour(self.now()));
        let state = &mut self.places[places_index as usize];
        let before = state.capacity;
        state.capacity = places.capacity_at(hour);
        if state.capacity > before {
            self.room_may_appear_in(places_index);
        }
        self.schedule_capacity_change(places_index);
    }

    /// Drops the entries of patients who gave up once they outnumber the ones still waiting, so a
    /// queue that is never served (zero capacity, say) does not grow with every patient who ever
    /// joined it.
    fn compact_queue_if_mostly_stale(&mut self, node: NodeIndex) {
        let patients = &self.patients;
        let is_current = |patient: u32, visit: u32| still_waiting(patients, node, patient, visit);
        let station = &mut self.nodes[node as usize];
        let live = station.queued as usize;
        match &mut station.queue {
            Queue::Fifo(queue) if queue.len() > 2 * live + 64 => {
                queue.retain(|entry| is_current(entry.patient, entry.visit));
            }
            Queue::Priority(queue) if queue.len() > 2 * live + 64 => {
                queue.retain(|Reverse((_, _, patient, visit))| is_current(*patient, *visit));
            }
            _ => {}
        }
    }

    fn pop_queue(&mut self, node: NodeIndex) -> Option<u32> {
        let patients = &self.patients;
        let is_current = |patient: u32, visit: u32| still_waiting(patients, node, patient, visit);
        let station = &mut self.nodes[node as usize];
        let patient = match &mut station.queue {
            Queue::Fifo(queue) => loop {
                let entry = queue.pop_front()?;
                if is_current(entry.patient, entry.visit) {
                    break entry.patient;
                }
            },
            Queue::Priority(queue) => loop {
                let Reverse((_, _, patient, visit)) = queue.pop()?;
                if is_current(patient, visit) {
                    break patient;
                }
            },
        };
        station.queued -= 1;
        Some(patient)
    }

    /// Fills freed places from queues and lets blocked patients move into services that now have
    /// room, following the chain of places this frees upstream.
    fn release_where_room_appeared(&mut self) {
        while let Some(node) = self.room_changed.pop() {
            let Some(service) = self.service(node) else {
                continue;
            };
            loop {
                if !self.fits(node) {
                    break;
                }
                match self.pop_queue(node) {
                    Some(patient) => self.start_service(patient, node, service),
                    None => break,
                }
            }
            while self.has_room(node) {
                let Some(patient) = self.nodes[node as usize].blocked_upstream.pop_front() else {
                    break;
                };
                self.transfer(patient, self.patients[patient as usize].node, node, node);
            }
        }
    }

    #[inline(always)]
    fn change_occupancy(&mut self, node: NodeIndex, delta: i32) {
        let now = self.now();
        self.account_occupancy(node as usize, now);
        let station = &mut self.nodes[node as usize];
        station.in_use = station
            .in_use
            .checked_add_signed(delta)
            .expect("occupancy never negative");
        if station.moves_levels {
            self.change_levels(node, delta, now);
        }
    }

    /// Updates the interim-bed and staff-demand levels as occupancy of `node` changes by `delta`.
    fn change_levels(&mut self, node: NodeIndex, delta: i32, now: f64) {
        let service = self.service(node).expect("only services have occupancy");
        self.flush_levels(now);
        if self.roles(node).has(Roles::INTERIM) {
            self.levels.interim = self.levels.interim.checked_add_signed(delta).expect("never negative");
        }
        if let Some(workload) = &service.workload {
            let rate = &mut self.levels.staff_rates[workload.staff as usize];
            rate.visits += f64::from(delta) * workload.visits_per_day;
            rate.minutes += f64::from(delta) * workload.minutes_per_patient_day();
        }
    }

    #[inline]
    fn account_occupancy(&mut self, node: usize, now: f64) {
        let station = &mut self.nodes[node];
        let from = station.level_since.max(self.warmup);
        if now > from {
            station.record.add_time_at_level(station.in_use, now - from);
        }
        station.level_since = now;
    }
}
