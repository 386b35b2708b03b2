//! One replication of a [`Model`]: patients flow through the network event by event.
//!
//! Invariants kept between events:
//! - a service with room has nobody blocked waiting for it (blocked patients are released as soon
//!   as room appears, first-in first-out);
//! - a service whose first patient in the queue would fit in its places has an empty queue;
//! - a patient is in exactly one of: a queue, service, handover after service, waiting for leave
//!   hours (its own service's, or the next one's admission hours), blocked after service, or free
//!   (no longer in the network, its slot reusable). Memory is bounded by the patients in the
//!   system (and the phantoms standing in for those denied staffed care, see below).
//!
//! Time-integrated quantities (delayed bed days by cause, interim bed days, staff demand) are
//! accumulated at every change of their level and at every midnight, when the day's staff demand
//! and the midnight census of acute inpatients are also taken.
//!
//! Staff demand is kept twice. `used` is the work of patients in service. `needed` is the work of
//! every patient who arrived needing it: patients in service count as in `used`, and a patient
//! turned away from, queued at or held upstream of a service with a workload is represented, from
//! that moment, by a phantom that goes through the episode the patient would have had there
//! (durations and routes drawn as the patient would have drawn them there, from its own key, so
//! no other draw moves), while the patient's own later care counts in `used` only. Where staff
//! never run short there are no phantoms and `needed` equals `used`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::{Rng as _, RngCore as _};
use rand_distr::Exp1;

use super::record::{Demand, Discharges, MonthRecord, NodeRecord, Record, StaffDay};
use super::{
    ArrivalProcess, Distribution, InitialState, Model, NodeIndex, PlacesIndex, RateProfile, Roles, Service, Source,
    HOURS_PER_WEEK,
};
use crate::calendar::{Calendar, Clock};
use crate::random::{self, Draw, Draws, Purpose, Rng};

/// Why a replication ended before its horizon.
#[derive(Clone, Debug, PartialEq)]
pub enum Stopped {
    /// The caller asked it to stop (Ctrl-C, or another replication found the system unstable).
    Interrupted,
    /// More patients were in the system than the run allows.
    Unstable(Unstable),
    /// Simulated time stopped advancing: patients pass round services that take no time.
    Stalled(Stall),
}

/// A replication stopped because simulated time did not advance for [`MAX_EVENTS_AT_ONE_INSTANT`]
/// events: where patients were going round, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Stall {
    /// The services patients were admitted to at that instant, in node order.
    pub nodes: Vec<NodeIndex>,
    /// The simulated day.
    pub day: f64,
}

/// Events at one instant of simulated time beyond which a replication is taken to be going round
/// in circles (no real network has that many things happen at once).
pub const MAX_EVENTS_AT_ONE_INSTANT: u64 = 10_000_000;

/// A replication stopped because patients piled up: the bound, and where they were waiting.
#[derive(Clone, Debug, PartialEq)]
pub struct Unstable {
    /// The service with the most patients queued or held upstream waiting for it (or, where none
    /// wait, with the most patients in it).
    pub node: NodeIndex,
    /// The patients waiting for it.
    pub waiting: usize,
    /// The patients in it.
    pub in_service: usize,
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
    ServiceEnd { patient: u32, node: NodeIndex },
    Timeout { patient: u32, visit: u32 },
    HandoverEnd { patient: u32, visit: u32 },
    LeaveHoursOpen { patient: u32, visit: u32 },
    WorkloadDay { patient: u32, visit: u32 },
    PhantomStep { phantom: u32 },
    CapacityChange { places: u32 },
    FollowUp { patient: u32, number: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Waiting,
    InService,
    /// Finished service, in the route's handover (referral, brokerage, transport).
    Handover,
    /// Finished service, waiting for its service's leave hours or the next's admission hours.
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
/// The name keying the random draws of the census's patients: not an id (ids have no spaces), so
/// no source shares its stream.
const CENSUS: &str = "initial census";

/// How a patient's stay at a service begins.
#[derive(Clone, Copy, Debug)]
enum Stay {
    /// Now.
    New,
    /// That many days ago (a census patient): its stay is drawn longer than that.
    Begun(f64),
    /// That many days ago, and it is over (a census patient held after service).
    Over(f64),
}

/// Days after a discharge within which an emergency admission counts as a readmission.
pub const READMISSION_DAYS: f64 = 30.0;
/// How often a phantom whose next service is full looks again for room: often enough that its
/// wait is close to a real patient's, rarely enough to cost little.
const PHANTOM_RECHECK_DAYS: f64 = 0.25;

#[derive(Clone, Debug)]
struct Patient {
    number: u64,
    /// Where the patient's draws come from (see [`random`]): drawn at arrival from the source's
    /// stream, then mixed with the key of every service the patient is admitted to.
    key: u64,
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
    /// Units of its service's places the patient holds (see [`super::Places`]).
    units: u64,
    /// The day of its stay (from 0) that its workload is at.
    workload_day: u32,
    /// A phantom stands for this patient's need of staffed care, so its own care is not counted
    /// as needed again; cleared when it reaches a service without a workload.
    need_covered: bool,
    /// Whether the workload it is given now counts as needed as well as used.
    counts_needed: bool,
    /// When the patient was admitted to acute care; NaN when not in an acute service.
    admitted_at: f64,
    /// Its place in [`Simulation::acute`] while admitted to acute care, else `NOT_COUNTED`.
    acute_index: u32,
    /// Whether it has been in an acute service since it arrived.
    been_in_acute: bool,
    /// When it was last discharged alive from acute care (minus infinity if never).
    discharged_at: f64,
    /// The month (index into the record) whose 91-day follow-up this patient is in, if any.
    follow_month: u32,
}

impl Patient {
    fn in_acute(&self) -> bool {
        !self.admitted_at.is_nan()
    }
}

/// The episode a patient denied staffed care would have had, going from service to service while
/// they have workloads, adding to the needed demand only.
#[derive(Clone, Copy, Debug)]
struct Phantom {
    node: NodeIndex,
    /// The key the patient it stands for would have had at `node`, so the phantom's episode is
    /// the one the patient would have had.
    key: u64,
    cohort: u16,
    route: u32,
    workload_day: u32,
    started: f64,
    ends: f64,
    /// Once its stay is over and the next service is full: the number of patients that had joined
    /// those held waiting for that service when the phantom began to wait (its place in line).
    ticket: Option<u64>,
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
    /// Whether patients take the lean path here (see [`Simulation::admit_lean`] and
    /// [`Simulation::on_lean_service_end`]): a service with places of its own, one unit a patient,
    /// a first-come first-served queue without reneging, no leave hours or handovers or admission
    /// hours after it, no workloads, and no role that counts arrivals or occupancy (acute,
    /// admission avoidance, care home, interim). Steps there touch only the patient, the node and
    /// its places, as the general path would for such a node.
    lean: bool,
    /// Whether patients draw their route on arrival (the route sets their service time).
    route_on_arrival: bool,
    /// The next node of every patient, where every cohort has that one route (drawn without a
    /// draw): a lean step then reads neither the service nor its routes, which in a network of
    /// many services are each a miss in the cache.
    only_next: Option<NodeIndex>,
    /// The service time of every patient, where no cohort or route overrides the service's.
    only_duration: Option<&'m Distribution>,
    /// The key of the node's id, mixed into the key of each patient admitted.
    key: u64,
    roles: Roles,
    /// The service's places and its queue limit, copied here because every arrival and departure
    /// asks whether there is room.
    places: PlacesIndex,
    queue_limit: Option<u32>,
    /// Whether some cohort's patients give staff groups work here.
    has_workload: bool,
    /// Whether a patient's units of the places depend on its cohort and day (capacity from staff);
    /// otherwise each uses one.
    staffed: bool,
    /// Whether a patient who finishes service may have to wait before moving on: a handover on
    /// some route, leave hours, or admission hours at some next service.
    timed_departure: bool,
    in_use: u32,
    queued: u32,
    level_since: f64,
    /// Whether occupancy here moves the interim-bed level.
    interim: bool,
    /// The node's position among the network's delay causes, if it is one.
    delay_cause: Option<u32>,
    queue: Queue,
    blocked_upstream: VecDeque<u32>,
    /// Patients ever held upstream waiting for this node, and ever released into it.
    blocked_joined: u64,
    blocked_released: u64,
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
    /// One draw per arrival: the patient's key.
    patients: Draws,
    /// For profiled Poisson sources: the whole hour (since day 0) whose rate is in `hour_rate`
    /// (-1 before the first), and the part of that rate that is the same all day (weekday, month
    /// and growth) for the day `day`.
    hour: i64,
    hour_rate: f64,
    day: i64,
    day_rate: f64,
}

/// Per staff group: the rates of work (per day) asked for now, and the day's work so far.
#[derive(Clone, Copy, Default)]
struct StaffLevel {
    rate: StaffDay,
    today: StaffDay,
}

/// Quantities integrated over time, with the time they were last brought up to date.
struct Levels {
    since: f64,
    /// Adults in acute services, medically optimised, waiting for each delay cause.
    awaiting: Vec<u32>,
    /// Adults in acute services, medically optimised, in the discharge process.
    in_discharge_process: u32,
    interim: u32,
    staff: Vec<StaffLevel>,
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
    phantoms: Vec<Phantom>,
    free_phantoms: Vec<u32>,
    in_system: usize,
    unstable: Option<Unstable>,
    /// Whether anything reads the month-by-month records; if not, one record serves the whole run
    /// so memory does not grow with the horizon.
    track_months: bool,
    next_number: u64,
    places: Vec<PlaceState<'m>>,
    sources: Vec<SourceState>,
    months: Vec<MonthRecord>,
    staff_days: Vec<Vec<StaffDay>>,
    levels: Levels,
    census_acute: bool,
    /// The services whose numbers are recorded at each midnight, and what was recorded.
    series_nodes: &'m [NodeIndex],
    series: Vec<u32>,
    room_changed: Vec<NodeIndex>,
    /// The patients admitted to acute care now, in no order: what the midnight census counts,
    /// without reading the records of the thousands elsewhere.
    acute: Vec<u32>,
    queue_sequence: u64,
    tracer: T,
}

/// How a replication handles the steps of patients at services that allow a lean path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// The lean path wherever a service allows it: what every run uses.
    Lean,
    /// The general path everywhere: what the lean path is tested against (same results, slower).
    General,
}

/// Runs replication `replication` of `model` to its horizon, reporting every patient event to
/// `tracer`; it stops early only if the system is unstable.
pub fn run_replication<T: Tracer>(model: &Model, replication: u32, tracer: T) -> Result<(Record, T), Stopped> {
    run_replication_until(model, replication, tracer, &|| false)
}

/// Like [`run_replication`], on the given [`Path`].
pub fn run_replication_on<T: Tracer>(
    model: &Model,
    replication: u32,
    tracer: T,
    path: Path,
) -> Result<(Record, T), Stopped> {
    simulate(model, replication, tracer, &|| false, path)
}

/// Like [`run_replication`], but also stops, with [`Stopped::Interrupted`], soon after
/// `should_stop` returns true (it is asked every few thousand events).
pub fn run_replication_until<T: Tracer>(
    model: &Model,
    replication: u32,
    tracer: T,
    should_stop: &dyn Fn() -> bool,
) -> Result<(Record, T), Stopped> {
    simulate(model, replication, tracer, should_stop, Path::Lean)
}

/// Runs replication `replication` of `model` on `path` (see [`run_replication_until`]).
fn simulate<T: Tracer>(
    model: &Model,
    replication: u32,
    tracer: T,
    should_stop: &dyn Fn() -> bool,
    path: Path,
) -> Result<(Record, T), Stopped> {
    let seed = model.run.seed;
    let network = &model.network;
    let nodes = &network.nodes;
    let clock = Clock::starting(model.run.start_date);
    let staff_groups = network.staff.len();
    let causes = network.delay_causes();
    let mut delay_cause = vec![None; nodes.len()];
    for (slot, &cause) in causes.iter().enumerate() {
        delay_cause[cause as usize] = Some(slot as u32);
    }
    let mut simulation = Simulation {
        model,
        clock,
        warmup: model.run.warmup_days,
        horizon: model.run.horizon_days,
        calendar: Calendar::new(),
        patients: Vec::new(),
        free_slots: Vec::new(),
        phantoms: Vec::new(),
        free_phantoms: Vec::new(),
        in_system: 0,
        unstable: None,
        track_months: network.records_months(),
        next_number: 0,
        nodes: nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let service = node.service();
                NodeState {
                    service,
                    lean: path == Path::Lean && service.is_some_and(|s| allows_lean_path(network, index, s)),
                    route_on_arrival: service.is_some_and(|s| s.route_on_arrival),
                    only_next: service.and_then(only_next),
                    only_duration: service.and_then(only_duration),
                    key: random::key(&node.id),
                    roles: node.roles,
                    places: service.map_or(0, |s| s.places),
                    queue_limit: service.and_then(|s| s.queue_limit),
                    has_workload: service.is_some_and(|s| s.workloads.iter().any(|w| !w.is_empty())),
                    staffed: service.is_some_and(|s| s.staffed_by.is_some()),
                    timed_departure: service.is_some_and(|s| has_timed_departure(network, s)),
                    in_use: 0,
                    queued: 0,
                    level_since: 0.0,
                    interim: node.roles.has(Roles::INTERIM),
                    delay_cause: delay_cause[index],
                    queue: if service.is_some_and(|s| s.priority.is_some()) {
                        Queue::Priority(BinaryHeap::new())
                    } else {
                        Queue::Fifo(VecDeque::new())
                    },
                    blocked_upstream: VecDeque::new(),
                    blocked_joined: 0,
                    blocked_released: 0,
                    record: NodeRecord::new(network.cohorts.len()),
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
        sources: network
            .sources
            .iter()
            .map(|source| {
                let key = random::key(&source.id);
                SourceState {
                    arrivals: random::stream(seed, replication, Purpose::Arrivals(key)),
                    patients: random::individuals(seed, replication, key),
                    hour: -1,
                    hour_rate: 0.0,
                    day: -1,
                    day_rate: 0.0,
                }
            })
            .collect(),
        months: vec![MonthRecord::new(
            clock.date(0.0).first_of_month(),
            nodes.len(),
            causes.len(),
            staff_groups,
        )],
        staff_days: vec![Vec::new(); staff_groups],
        levels: Levels {
            since: 0.0,
            awaiting: vec![0; causes.len()],
            in_discharge_process: 0,
            interim: 0,
            staff: vec![StaffLevel::default(); staff_groups],
            next_midnight: 1.0,
            month: 0,
            next_month_start: clock.time_of(clock.date(0.0).first_of_next_month()),
        },
        census_acute: nodes.iter().any(|n| n.roles.has(Roles::ACUTE)),
        series_nodes: &model.run.series,
        series: Vec::new(),
        room_changed: Vec::new(),
        acute: Vec::new(),
        queue_sequence: 0,
        tracer,
    };
    if !network.initial.is_empty() {
        simulation.place_census(random::individuals(seed, replication, random::key(CENSUS)));
    }
    let record = simulation.run(should_stop)?;
    Ok((record, simulation.tracer))
}

/// The lean path of [`Simulation::start_service`] for a new stay at a lean node (`station`, number
/// `node`, drawing on `places`, which have a free place): the patient (`p`, numbered `patient`)
/// takes a place and its end of service is scheduled.
#[inline(always)]
fn start_lean(
    node: NodeIndex,
    station: &mut NodeState<'_>,
    places: &mut PlaceState<'_>,
    p: &mut Patient,
    patient: u32,
    warmup: f64,
    calendar: &mut Calendar<Event, 2>,
) {
    let now = calendar.now();
    account_occupancy(station, now, warmup);
    station.in_use += 1;
    places.in_use += 1;
    p.units = 1;
    p.state = State::InService;
    p.started = now;
    if p.entered >= warmup {
        station.record.add_wait(now - p.entered, p.cohort);
    }
    let duration = match station.only_duration {
        Some(duration) => duration,
        None => {
            let service = station.service.expect("lean nodes are services");
            let route = (p.route != NO_ROUTE).then_some(p.route as usize);
            service.duration_for(p.cohort as usize, route)
        }
    };
    let ends = now + duration.sample(&mut Draws::new(p.key, Draw::Duration));
    calendar.schedule(ends, Event::ServiceEnd { patient, node });
}

/// Adds the time since `station`'s occupancy last changed (within the observation window, which
/// begins at `warmup`) to the time spent at that occupancy.
#[inline]
fn account_occupancy(station: &mut NodeState<'_>, now: f64, warmup: f64) {
    let from = station.level_since.max(warmup);
    if now > from {
        station.record.add_time_at_level(station.in_use, now - from);
    }
    station.level_since = now;
}

/// The one next node of every patient of `service`, where each cohort has that single route.
fn only_next(service: &Service) -> Option<NodeIndex> {
    let mut nexts = service.routes.iter().map(|routes| match routes.choices.as_slice() {
        [only] => Some(only.to),
        _ => None,
    });
    let first = nexts.next()??;
    nexts.all(|next| next == Some(first)).then_some(first)
}

/// The service time of every patient of `service`, where no cohort or route overrides it.
fn only_duration(service: &Service) -> Option<&Distribution> {
    let overridden = service.route_on_arrival || service.cohort_duration.iter().any(Option::is_some);
    service.duration.as_ref().filter(|_| !overridden)
}

/// The services of `model` where patients take the lean path: those with places of their own,
/// one unit a patient, a first-come first-served queue without reneging, no leave hours,
/// handovers or admission hours after them, no workloads, and no
/// role that counts arrivals or occupancy. The general path ([`Path::General`]) does there what
/// the lean one does, only slower.
pub fn lean_services(model: &Model) -> Vec<NodeIndex> {
    let network = &model.network;
    (0..network.nodes.len())
        .filter(|&index| {
            network.nodes[index]
                .service()
                .is_some_and(|service| allows_lean_path(network, index, service))
        })
        .map(|index| index as NodeIndex)
        .collect()
}

/// Whether patients at `service` (node `index` of `network`) may take the lean path (see
/// [`NodeState::lean`]).
fn allows_lean_path(network: &super::Network, index: usize, service: &Service) -> bool {
    let counted = Roles::ACUTE
        .with(Roles::ADMISSION_AVOIDANCE)
        .with(Roles::CARE_HOME)
        .with(Roles::INTERIM);
    !network.nodes[index].roles.has_any(counted)
        && network.places[service.places as usize].members == [index as NodeIndex]
        && service.staffed_by.is_none()
        && service.workloads.iter().all(|w| w.is_empty())
        && service.priority.is_none()
        && service.reneging.is_none()
        && !has_timed_departure(network, service)
}

/// Whether a patient who finishes service at `service` may have to wait before moving on: a
/// handover on some route, leave hours, or admission hours at some next service.
fn has_timed_departure(network: &super::Network, service: &Service) -> bool {
    service.leave_hours.is_some()
        || service.routes.iter().flat_map(|table| &table.choices).any(|choice| {
            choice.handover.is_some()
                || network.nodes[choice.to as usize]
                    .service()
                    .is_some_and(|next| next.admission_hours.is_some())
        })
}

/// The time of the first arrival after `now` of a Poisson process whose rate in hour `h` of day
/// `d` is `daily[d] * hour[h]`, where `work` (an Exp(1) draw) is the integrated rate until it; or
/// `None` if it would come at or after `until`. The cumulative rate is piecewise linear, hour by
/// hour, so it is inverted exactly.
#[inline(never)]
fn next_dated_arrival(now: f64, daily: &[f64], hour: &[f64; 24], mut work: f64, until: f64) -> Option<f64> {
    let mut t = now;
    let mut whole = (t * 24.0).floor() as i64;
    while t < until {
        let rate = daily.get((whole / 24) as usize)? * hour[(whole % 24) as usize];
        let end = ((whole + 1) as f64 / 24.0).max(t);
        let expected = rate * (end - t);
        if work < expected {
            return Some(t + work / rate);
        }
        work -= expected;
        (t, whole) = (end, whole + 1);
    }
    None
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

/// Whether `hours` (none: always open) is open at hour of the week `hour`.
fn open_at(hours: Option<&[bool; HOURS_PER_WEEK]>, hour: usize) -> bool {
    hours.is_none_or(|open| open[hour])
}

/// Adds `sign` times the rates of `day` of `workloads` to `staff`, in `used`, `needed` or both.
fn add_workloads(
    staff: &mut [StaffLevel],
    workloads: &[super::Workload],
    day: u32,
    sign: f64,
    used: bool,
    needed: bool,
) {
    for workload in workloads {
        let change = Demand {
            visits: sign * workload.visits_on(day),
            minutes: sign * workload.minutes_on(day),
        };
        let rate = &mut staff[workload.staff as usize].rate;
        let add = |demand: &mut Demand| {
            demand.visits += change.visits;
            demand.minutes += change.minutes;
        };
        if used {
            add(&mut rate.used);
        }
        if needed {
            add(&mut rate.needed);
        }
    }
}

impl<'m, T: Tracer> Simulation<'m, T> {
    fn run(&mut self, should_stop: &dyn Fn() -> bool) -> Result<Record, Stopped> {
        if self.warmup <= 0.0 {
            self.take_series();
        }
        for source in 0..self.model.network.sources.len() as u32 {
            self.schedule_arrival(source);
        }
        for places in 0..self.places.len() as u32 {
            self.schedule_capacity_change(places);
        }
        let mut events = 0u64;
        let (mut instant, mut events_at_instant) = (f64::NAN, 0u64);
        while let Some(event) = self.calendar.next_before(self.horizon) {
            events += 1;
            if events % EVENTS_BETWEEN_STOP_CHECKS == 0 && should_stop() {
                return Err(Stopped::Interrupted);
            }
            if self.calendar.now() == instant {
                events_at_instant += 1;
                if events_at_instant > MAX_EVENTS_AT_ONE_INSTANT {
                    return Err(Stopped::Stalled(self.stall()));
                }
            } else {
                (instant, events_at_instant) = (self.calendar.now(), 0);
            }
            self.roll_to(self.calendar.now());
            match event {
                Event::Arrival { source } => self.on_arrival(source),
                Event::ServiceEnd { patient, node } => {
                    debug_assert_eq!(self.patients[patient as usize].node, node);
                    if self.nodes[node as usize].lean {
                        self.on_lean_service_end(patient, node);
                    } else {
                        self.on_service_end(patient);
                    }
                }
                Event::Timeout { patient, visit } => self.on_timeout(patient, visit),
                Event::HandoverEnd { patient, visit } => {
                    if self.patients[patient as usize].visit == visit {
                        self.await_leave_hours(patient);
                    }
                }
                Event::LeaveHoursOpen { patient, visit } => {
                    if self.patients[patient as usize].visit == visit {
                        self.leave_service(patient, self.routed_next(patient));
                    }
                }
                Event::WorkloadDay { patient, visit } => self.on_workload_day(patient, visit),
                Event::PhantomStep { phantom } => self.on_phantom_step(phantom),
                Event::CapacityChange { places } => self.on_capacity_change(places),
                Event::FollowUp { patient, number } => self.on_follow_up(patient, number),
            }
            if !self.room_changed.is_empty() {
                self.release_where_room_appeared();
            }
            if self.unstable.is_some() {
                return Err(Stopped::Unstable(self.unstable.take().expect("checked")));
            }
        }
        self.roll_to(self.horizon);
        self.flush_levels(self.horizon);
        for node in 0..self.nodes.len() {
            self.account_occupancy(node, self.horizon);
            // Those still queued or held are counted to the horizon (see `count_in`).
            let station = &mut self.nodes[node];
            let record = &mut station.record;
            record.queue_area += f64::from(station.queued) * self.horizon;
            record.blocked_waiting_area += (station.blocked_joined - station.blocked_released) as f64 * self.horizon;
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
            series: std::mem::take(&mut self.series),
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

    fn cohort_flags(&self, patient: u32) -> super::CohortFlags {
        self.model.network.cohorts[self.patients[patient as usize].cohort as usize].flags
    }

    /// Whether a medically optimised patient at `node` counts in the delayed bed days: an adult in
    /// an acute service.
    #[inline]
    fn counts_delays(&self, patient: u32, node: NodeIndex) -> bool {
        self.roles(node).has(Roles::ACUTE) && self.cohort_flags(patient).adult
    }

    /// The node a patient who has finished service at its node will move to.
    fn routed_next(&self, patient: u32) -> NodeIndex {
        let p = &self.patients[patient as usize];
        let service = self.service(p.node).expect("only services route");
        service.routes[p.cohort as usize].choices[p.route as usize].to
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
            for (bed_days, &waiting) in month.delayed_bed_days.iter_mut().zip(&levels.awaiting) {
                *bed_days += f64::from(waiting) * days;
            }
            month.discharge_process_bed_days += f64::from(levels.in_discharge_process) * days;
            month.interim_bed_days += f64::from(levels.interim) * days;
            for level in &mut levels.staff {
                for (today, rate) in [
                    (&mut level.today.used, level.rate.used),
                    (&mut level.today.needed, level.rate.needed),
                ] {
                    today.visits += rate.visits * days;
                    today.minutes += rate.minutes * days;
                }
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
        if !self.track_months && self.staff_days.is_empty() && !self.census_acute && self.series_nodes.is_empty() {
            // Nothing is recorded by day: go straight to the last midnight, so that a long
            // horizon with few events does not pass its days one by one.
            self.flush_levels(time);
            self.levels.next_midnight = time.floor() + 1.0;
            return;
        }
        while self.levels.next_midnight <= time {
            let midnight = self.levels.next_midnight;
            self.flush_levels(midnight);
            let counted = midnight - 1.0 >= self.warmup;
            for (days, level) in self.staff_days.iter_mut().zip(&mut self.levels.staff) {
                let today = std::mem::take(&mut level.today);
                if counted {
                    days.push(today);
                }
            }
            if self.track_months && midnight >= self.levels.next_month_start {
                let start = self.clock.date(midnight);
                let network = &self.model.network;
                self.months.push(MonthRecord::new(
                    start,
                    network.nodes.len(),
                    self.levels.awaiting.len(),
                    network.staff.len(),
                ));
                self.levels.month += 1;
                self.levels.next_month_start = self.clock.time_of(start.first_of_next_month());
            }
            if midnight >= self.warmup && midnight < self.horizon {
                if self.census_acute {
                    self.take_census(midnight);
                }
                self.take_series();
            }
            self.levels.next_midnight += 1.0;
        }
    }

    /// Records the series services' numbers now: in service (patients, whatever units of places
    /// they use: a node's occupancy counts patients), queued, and held upstream waiting for a
    /// place.
    fn take_series(&mut self) {
        for &node in self.series_nodes {
            let station = &self.nodes[node as usize];
            let blocked = (station.blocked_joined - station.blocked_released) as u32;
            self.series.extend([station.in_use, station.queued, blocked]);
        }
    }

    /// Where time `time` falls in the observation window, for integrals of counts kept by adding
    /// `-count_in(t)` when a patient joins and `+count_in(t)` when it leaves: each patient then adds
    /// the time it spent counted within the window (those left at the horizon are closed there).
    #[inline]
    fn count_in(&self, time: f64) -> f64 {
        time.clamp(self.warmup, self.horizon)
    }

    fn take_census(&mut self, midnight: f64) {
        let (mut over_14, mut over_21) = (0, 0);
        let (mut awaiting, mut in_process) = (0, 0);
        for &patient in &self.acute {
            let patient = &self.patients[patient as usize];
            debug_assert!(patient.state != State::Free && patient.in_acute());
            let stay = midnight - patient.admitted_at;
            over_14 += u64::from(stay >= 14.0);
            if stay >= 21.0 {
                over_21 += 1;
                awaiting += u64::from(patient.state == State::Blocked);
                in_process += u64::from(matches!(patient.state, State::Handover | State::AwaitingLeaveHours));
            }
        }
        let inpatients = self.acute.len() as u64;
        let month = self.month();
        month.inpatients += inpatients;
        month.los_14_plus += over_14;
        month.los_21_plus += over_21;
        month.los_21_plus_awaiting_capacity += awaiting;
        month.los_21_plus_in_discharge_process += in_process;
    }

    #[inline]
    fn schedule_arrival(&mut self, source_index: u32) {
        let source: &Source = &self.model.network.sources[source_index as usize];
        let now = self.now();
        let state = &mut self.sources[source_index as usize];
        let next = match &source.arrivals {
            ArrivalProcess::Renewal { interarrival, speed } => now + interarrival.sample(&mut state.arrivals) / speed,
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
            ArrivalProcess::Dated { daily, hour } => {
                let work = state.arrivals.sample::<f64, _>(Exp1);
                match next_dated_arrival(now, daily, hour, work, self.horizon) {
                    Some(next) => next,
                    None => return,
                }
            }
        };
        if next < self.horizon {
            self.calendar
                .schedule_in(ARRIVALS, next, Event::Arrival { source: source_index });
        }
    }

    /// The next arrival of a profiled Poisson source, or `None` if there is none before the
    /// horizon: an Exp(1) draw of work is spent against the integrated rate, hour by hour, so the
    /// arrival comes where the cumulative rate since now reaches it. The rate is constant within
    /// each hour: the base rate times the hour's, weekday's and month's multipliers and the growth
    /// at the middle of its day (growth within a day is a few parts in a hundred thousand).
    #[inline(never)]
    fn next_profiled_arrival(&mut self, source_index: u32, rate_per_day: f64, profile: &RateProfile) -> Option<f64> {
        let (clock, horizon) = (self.clock, self.horizon);
        let state = &mut self.sources[source_index as usize];
        let mut work = state.arrivals.sample::<f64, _>(Exp1);
        let mut t = self.calendar.now();
        let mut hour = (t * 24.0).floor() as i64;
        while t < horizon {
            if hour != state.hour {
                let day = hour.div_euclid(24);
                if day != state.day {
                    let midday = day as f64 + 0.5;
                    state.day = day;
                    state.day_rate = rate_per_day
                        * profile.weekday[clock.weekday(midday)]
                        * profile.month[clock.date(midday).month as usize - 1]
                        * profile.growth(midday);
                }
                state.hour = hour;
                state.hour_rate = state.day_rate * profile.hour[hour.rem_euclid(24) as usize];
            }
            let end = ((hour + 1) as f64 / 24.0).max(t);
            let expected = state.hour_rate * (end - t);
            if work < expected {
                return Some(t + work / state.hour_rate);
            }
            work -= expected;
            (t, hour) = (end, hour + 1);
        }
        None
    }

    fn on_arrival(&mut self, source_index: u32) {
        let source = &self.model.network.sources[source_index as usize];
        let to = source.to;
        let key = self.sources[source_index as usize].patients.next_u64();
        let cohort = if source.cohort_mix.len() == 1 {
            0
        } else {
            let u: f64 = Draws::new(key, Draw::Kind).random();
            source
                .cohort_mix
                .iter()
                .position(|&c| u < c)
                .unwrap_or(source.cohort_mix.len() - 1) as u16
        };
        let patient = self.new_patient(key, cohort);
        self.arrive(patient, to);
        self.schedule_arrival(source_index);
    }

    fn new_patient(&mut self, key: u64, cohort: u16) -> u32 {
        self.in_system += 1;
        if self.in_system > self.model.run.max_in_system && self.unstable.is_none() {
            self.unstable = Some(self.most_crowded());
        }
        let number = self.next_number;
        self.next_number += 1;
        let fresh = |visit| Patient {
            number,
            key,
            cohort,
            state: State::Free,
            node: 0,
            visit,
            entered: 0.0,
            started: 0.0,
            finished: 0.0,
            route: NO_ROUTE,
            carries_place: false,
            units: 0,
            workload_day: 0,
            need_covered: false,
            counts_needed: false,
            admitted_at: f64::NAN,
            acute_index: NOT_COUNTED,
            been_in_acute: false,
            discharged_at: f64::NEG_INFINITY,
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

    /// Where patients pile up: the service with the most of them waiting for it (queued, or held
    /// upstream), or, where nobody waits, with the most in it.
    #[cold]
    fn most_crowded(&self) -> Unstable {
        let (node, waiting, _) = self
            .nodes
            .iter()
            .enumerate()
            .map(|(node, station)| {
                let waiting = station.queued as usize + station.blocked_upstream.len();
                (node, waiting, station.in_use as usize)
            })
            .max_by_key(|&(node, waiting, in_use)| (waiting, in_use, std::cmp::Reverse(node)))
            .expect("a network has nodes");
        Unstable {
            node: node as NodeIndex,
            waiting,
            in_service: self.nodes[node].in_use as usize,
            day: self.now(),
            in_system: self.in_system,
        }
    }

    /// Where patients were going round when time stopped advancing: the services they were
    /// admitted to at this instant.
    #[cold]
    fn stall(&self) -> Stall {
        let now = self.now();
        let mut nodes: Vec<NodeIndex> = self
            .patients
            .iter()
            .filter(|p| p.state != State::Free && p.entered == now)
            .map(|p| p.node)
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        Stall { nodes, day: now }
    }

    /// The patient leaves the network (by an exit, or lost for want of room).
    fn free_patient(&mut self, patient: u32, at_home: bool) {
        self.in_system -= 1;
        self.end_acute_stay(patient);
        self.resolve_follow_up(patient, at_home);
        self.patients[patient as usize].state = State::Free;
        self.free_slots.push(patient);
    }

    /// The patient is admitted to acute care at `at`.
    fn admit_to_acute(&mut self, patient: u32, at: f64) {
        let p = &mut self.patients[patient as usize];
        p.admitted_at = at;
        p.been_in_acute = true;
        if p.acute_index == NOT_COUNTED {
            p.acute_index = self.acute.len() as u32;
            self.acute.push(patient);
        }
    }

    /// The patient's stay in acute care, if it has one, ends.
    fn end_acute_stay(&mut self, patient: u32) {
        let p = &mut self.patients[patient as usize];
        p.admitted_at = f64::NAN;
        let index = std::mem::replace(&mut p.acute_index, NOT_COUNTED);
        if index != NOT_COUNTED {
            self.acute.swap_remove(index as usize);
            if let Some(&moved) = self.acute.get(index as usize) {
                self.patients[moved as usize].acute_index = index;
            }
        }
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

    /// The units of `node`'s places (a service's) a patient of `cohort` would use on starting there.
    #[inline]
    fn units_to_start(&self, node: NodeIndex, cohort: u16) -> u64 {
        let state = &self.nodes[node as usize];
        match state.service {
            Some(service) if state.staffed => service.units_on(cohort as usize, 0),
            _ => 1,
        }
    }

    /// Whether a patient of `cohort` arriving at `node` (a service) would be admitted: it fits, or
    /// the queue has room.
    #[inline(always)]
    fn has_room(&self, node: NodeIndex, cohort: u16) -> bool {
        let state = &self.nodes[node as usize];
        self.fits(node, self.units_to_start(node, cohort)) || state.queue_limit.is_none_or(|limit| state.queued < limit)
    }

    /// Whether a patient needing `units` of `node`'s places can start service there now.
    #[inline]
    fn fits(&self, node: NodeIndex, units: u64) -> bool {
        let places = self.places[self.nodes[node as usize].places as usize];
        places.capacity.saturating_sub(places.in_use) >= units
    }

    /// The patient reaches `node`: admitted if there is room, otherwise sent along the on-full
    /// chain (acyclic by validation) or lost.
    #[inline(always)]
    fn arrive(&mut self, patient: u32, mut node: NodeIndex) {
        let cohort = self.patients[patient as usize].cohort;
        loop {
            self.trace(patient, node, TraceEvent::Arrive);
            let observing = self.observing();
            if observing {
                self.nodes[node as usize].record.add_arrival(cohort);
            }
            if self.nodes[node as usize].lean && self.admit_lean(patient, node) {
                return;
            }
            let roles = self.roles(node);
            let Some(service) = self.service(node) else {
                self.count_care_home_admission(patient, roles);
                self.trace(patient, node, TraceEvent::Exit);
                self.free_patient(patient, roles.has(Roles::USUAL_RESIDENCE));
                return;
            };
            if self.patients[patient as usize].carries_place || self.has_room(node, cohort) {
                self.admit(patient, node, service);
                return;
            }
            if observing {
                self.nodes[node as usize].record.overflowed += 1;
            }
            self.trace(patient, node, TraceEvent::Overflow);
            if self.nodes[node as usize].has_workload {
                self.denied_staffed_care(patient, node, true);
            }
            match service.on_full {
                Some(next) => node = next,
                None => {
                    self.free_patient(patient, false);
                    return;
                }
            }
        }
    }

    #[inline(always)]
    fn count_care_home_admission(&mut self, patient: u32, roles: Roles) {
        if roles.has(Roles::CARE_HOME) {
            self.count_care_home_admission_65(patient);
        }
    }

    #[cold]
    fn count_care_home_admission_65(&mut self, patient: u32) {
        if self.observing() && self.cohort_flags(patient).aged_65_plus {
            let via_hospital = self.patients[patient as usize].been_in_acute;
            let month = self.month();
            month.care_home_admissions_65 += 1;
            month.care_home_admissions_65_via_hospital += u64::from(via_hospital);
        }
    }

    /// The lean path of [`Self::admit`], [`Self::enter`] and [`Self::start_or_queue`] at a lean
    /// node: the patient (drawing its route now where durations depend on it) starts service if a
    /// place is free, else joins the queue if it has room.
    /// Returns false, having changed nothing, if neither (the general path then sends the patient
    /// on), or if the patient carries a place here (moving within its places).
    #[inline(always)]
    fn admit_lean(&mut self, patient: u32, node: NodeIndex) -> bool {
        let now = self.calendar.now();
        let station = &mut self.nodes[node as usize];
        let places = &mut self.places[station.places as usize];
        let free = places.in_use < places.capacity;
        if !free && station.queue_limit.is_some_and(|limit| station.queued >= limit) {
            return false;
        }
        let p = &mut self.patients[patient as usize];
        if p.carries_place {
            return false;
        }
        p.key = random::mix(p.key, station.key);
        p.node = node;
        p.visit = p.visit.wrapping_add(1);
        p.entered = now;
        p.route = NO_ROUTE;
        p.need_covered = false;
        if station.route_on_arrival {
            let service = station.service.expect("lean nodes are services");
            p.route = service.routes[p.cohort as usize].draw(&mut Draws::new(p.key, Draw::Route)) as u32;
        }
        if free {
            start_lean(node, station, places, p, patient, self.warmup, &mut self.calendar);
            self.trace(patient, node, TraceEvent::Start);
            return true;
        }
        p.state = State::Waiting;
        let entry = QueueEntry {
            patient,
            visit: p.visit,
        };
        station.queued += 1;
        station.record.queue_area -= now.clamp(self.warmup, self.horizon);
        match &mut station.queue {
            Queue::Fifo(queue) => queue.push_back(entry),
            Queue::Priority(_) => unreachable!("lean nodes serve first come, first served"),
        }
        self.trace(patient, node, TraceEvent::Queue);
        true
    }

    /// The lean path of [`Self::on_service_end`], [`Self::transfer`] and
    /// [`Self::release_where_room_appeared`] at a lean node (`node`, where the patient is): the
    /// patient draws its route (unless it drew it on arrival) and moves on, and the first in the
    /// queue takes its place. Where the next service is full, or is this one, or patients are held
    /// upstream waiting for this one, the general path takes over.
    fn on_lean_service_end(&mut self, patient: u32, node: NodeIndex) {
        let now = self.calendar.now();
        let p = &mut self.patients[patient as usize];
        p.finished = now;
        let cohort = p.cohort;
        let station = &self.nodes[node as usize];
        let next = match station.only_next {
            Some(next) => {
                p.route = 0;
                next
            }
            None => {
                let service = station.service.expect("lean nodes are services");
                let routes = &service.routes[cohort as usize];
                if p.route == NO_ROUTE {
                    p.route = routes.draw(&mut Draws::new(p.key, Draw::Route)) as u32;
                }
                routes.choices[p.route as usize].to
            }
        };
        if next == node || self.landing(next, cohort).is_none() {
            self.leave_service(patient, next);
            return;
        }
        let p = &mut self.patients[patient as usize];
        p.carries_place = false;
        if now >= self.warmup {
            let (service, blocked) = (p.finished - p.started, now - p.finished);
            self.nodes[node as usize]
                .record
                .add_completion(service, blocked, cohort);
        }
        self.trace(patient, node, TraceEvent::Leave);
        self.arrive(patient, next);
        let warmup = self.warmup;
        let station = &mut self.nodes[node as usize];
        account_occupancy(station, now, warmup);
        station.in_use -= 1;
        let places = &mut self.places[station.places as usize];
        places.in_use -= 1;
        if !station.blocked_upstream.is_empty() {
            self.room_changed.push(node);
            return;
        }
        if station.queued == 0 || places.in_use >= places.capacity {
            return;
        }
        let Queue::Fifo(queue) = &mut station.queue else {
            unreachable!("lean nodes serve first come, first served");
        };
        let entry = queue.pop_front().expect("a patient is queued");
        debug_assert!(still_waiting(&self.patients, node, entry.patient, entry.visit));
        station.queued -= 1;
        station.record.queue_area += now.clamp(warmup, self.horizon);
        let p = &mut self.patients[entry.patient as usize];
        start_lean(node, station, places, p, entry.patient, warmup, &mut self.calendar);
        self.trace(entry.patient, node, TraceEvent::Start);
    }

    fn admit(&mut self, patient: u32, node: NodeIndex, service: &Service) {
        let now = self.now();
        let roles = self.roles(node);
        self.count_care_home_admission(patient, roles);
        if roles.has(Roles::ACUTE) && !self.patients[patient as usize].in_acute() {
            let acsc = self.cohort_flags(patient).acsc;
            let observing = self.observing();
            self.admit_to_acute(patient, now);
            let p = &mut self.patients[patient as usize];
            let readmission = now - p.discharged_at <= READMISSION_DAYS;
            if observing {
                let month = &mut self.months[self.levels.month];
                month.admissions += 1;
                month.acsc_admissions += u64::from(acsc);
                month.readmissions_30_days += u64::from(readmission);
            }
        }
        self.enter(patient, node, service, now);
        self.start_or_queue(patient, node, service);
    }

    /// The patient enters `node`, waiting there since `entered`: its draws there are keyed by the
    /// service, and its route drawn now where the service routes on arrival.
    #[inline(always)]
    fn enter(&mut self, patient: u32, node: NodeIndex, service: &Service, entered: f64) {
        let key = self.nodes[node as usize].key;
        let p = &mut self.patients[patient as usize];
        p.key = random::mix(p.key, key);
        p.node = node;
        p.visit = p.visit.wrapping_add(1);
        p.entered = entered;
        p.route = NO_ROUTE;
        let cohort = p.cohort;
        if !self.nodes[node as usize].has_workload || service.workloads[cohort as usize].is_empty() {
            p.need_covered = false;
        }
        if service.route_on_arrival {
            let route = self.draw_route(patient, service, cohort);
            self.patients[patient as usize].route = route;
        }
    }

    /// The patient, entered at `node`, starts service if it fits, else joins the queue.
    #[inline(always)]
    fn start_or_queue(&mut self, patient: u32, node: NodeIndex, service: &Service) {
        let now = self.now();
        let p = &self.patients[patient as usize];
        let (cohort, carries_place, entered) = (p.cohort, p.carries_place, p.entered);
        if carries_place || self.fits(node, self.units_to_start(node, cohort)) {
            self.start_service(patient, node, service, Stay::New);
            return;
        }
        let p = &mut self.patients[patient as usize];
        p.state = State::Waiting;
        let entry = QueueEntry {
            patient,
            visit: p.visit,
        };
        let rank = service.priority.as_ref().map_or(0, |ranks| ranks[p.cohort as usize]);
        let joined = self.count_in(now);
        let station = &mut self.nodes[node as usize];
        station.queued += 1;
        station.record.queue_area -= joined;
        match &mut station.queue {
            Queue::Fifo(queue) => queue.push_back(entry),
            Queue::Priority(queue) => {
                self.queue_sequence += 1;
                queue.push(Reverse((rank, self.queue_sequence, entry.patient, entry.visit)));
            }
        }
        if let Some(reneging) = &service.reneging {
            self.calendar.schedule(
                (entered + reneging.max_wait).max(now),
                Event::Timeout {
                    patient,
                    visit: entry.visit,
                },
            );
        }
        self.trace(patient, node, TraceEvent::Queue);
        if self.nodes[node as usize].has_workload {
            self.denied_staffed_care(patient, node, false);
        }
    }

    #[inline]
    fn draw_route(&self, patient: u32, service: &Service, cohort: u16) -> u32 {
        let key = self.patients[patient as usize].key;
        service.routes[cohort as usize].draw(&mut Draws::new(key, Draw::Route)) as u32
    }

    fn start_service(&mut self, patient: u32, node: NodeIndex, service: &Service, stay: Stay) {
        let now = self.now();
        self.change_occupancy(node, 1);
        let cohort = self.patients[patient as usize].cohort;
        let (elapsed, day, units) = match stay {
            Stay::New => (0.0, 0, self.units_to_start(node, cohort)),
            Stay::Begun(days) | Stay::Over(days) => {
                let last_day = service.workload_days(cohort as usize).saturating_sub(1);
                let day = (days.floor() as u32).min(last_day);
                (days, day, service.units_on(cohort as usize, day))
            }
        };
        let p = &mut self.patients[patient as usize];
        if !std::mem::replace(&mut p.carries_place, false) {
            self.places[service.places as usize].in_use += units;
        }
        p.units = units;
        p.state = State::InService;
        p.started = now - elapsed;
        if p.entered >= self.warmup {
            let wait = now - p.entered;
            self.nodes[node as usize].record.add_wait(wait, cohort);
        }
        let route = (p.route != NO_ROUTE).then_some(p.route as usize);
        let duration = service.duration_for(cohort as usize, route);
        let mut draws = Draws::new(p.key, Draw::Duration);
        match stay {
            Stay::New => {
                let ends = now + duration.sample(&mut draws);
                self.calendar.schedule(ends, Event::ServiceEnd { patient, node });
            }
            Stay::Begun(days) => {
                let ends = now + duration.sample_beyond(days, &mut draws) - days;
                self.calendar.schedule(ends, Event::ServiceEnd { patient, node });
            }
            Stay::Over(_) => {}
        }
        self.trace(patient, node, TraceEvent::Start);
        if !self.nodes[node as usize].has_workload {
            return;
        }
        let workloads = &service.workloads[cohort as usize];
        if !workloads.is_empty() {
            let p = &mut self.patients[patient as usize];
            p.workload_day = day;
            p.counts_needed = !p.need_covered;
            let (counts_needed, visit, started) = (p.counts_needed, p.visit, p.started);
            self.flush_levels(now);
            add_workloads(&mut self.levels.staff, workloads, day, 1.0, true, counts_needed);
            if service.workload_days(cohort as usize) > day + 1 {
                self.calendar
                    .schedule(started + f64::from(day + 1), Event::WorkloadDay { patient, visit });
            }
        }
    }

    /// Places the patients of the scenario's census (see [`super::InitialPatients`]) at time 0,
    /// each with a key of its own from `keys`.
    fn place_census(&mut self, mut keys: Draws) {
        let model = self.model;
        for group in &model.network.initial {
            let node = group.node;
            let service = self.service(node).expect("a census places patients at services");
            let since = -group.days;
            for _ in 0..group.count {
                let patient = self.new_patient(keys.next_u64(), group.cohort);
                if self.roles(node).has(Roles::ACUTE) {
                    self.admit_to_acute(patient, since);
                }
                self.trace(patient, node, TraceEvent::Arrive);
                self.enter(patient, node, service, since);
                match group.state {
                    InitialState::InService => self.start_service(patient, node, service, Stay::Begun(group.days)),
                    InitialState::Queued => self.start_or_queue(patient, node, service),
                    InitialState::Blocked(route) => {
                        self.start_service(patient, node, service, Stay::Over(group.days));
                        let p = &mut self.patients[patient as usize];
                        p.finished = since;
                        if let Some(route) = route {
                            p.route = route;
                        }
                        self.end_service(patient);
                        self.leave_service(patient, self.routed_next(patient));
                    }
                }
                self.release_where_room_appeared();
            }
        }
    }

    /// A patient whose workload changes with the days of its stay enters the next day of it: its
    /// work for staff changes, and so, for capacity derived from staff, do the units it holds.
    fn on_workload_day(&mut self, patient: u32, visit: u32) {
        let p = &self.patients[patient as usize];
        if p.visit != visit || matches!(p.state, State::Free | State::Waiting) {
            return;
        }
        let (node, cohort, day, counts_needed) = (p.node, p.cohort as usize, p.workload_day, p.counts_needed);
        let service = self.service(node).expect("only services have workloads");
        let now = self.now();
        self.flush_levels(now);
        let workloads = &service.workloads[cohort];
        add_workloads(&mut self.levels.staff, workloads, day, -1.0, true, counts_needed);
        add_workloads(&mut self.levels.staff, workloads, day + 1, 1.0, true, counts_needed);
        let units = service.units_on(cohort, day + 1);
        let p = &mut self.patients[patient as usize];
        p.workload_day = day + 1;
        let held = std::mem::replace(&mut p.units, units);
        let started = p.started;
        let places = &mut self.places[service.places as usize];
        places.in_use = places.in_use - held + units;
        if units < held {
            self.room_may_appear_in(service.places);
        }
        if day + 2 < service.workload_days(cohort) {
            self.calendar
                .schedule(started + f64::from(day + 2), Event::WorkloadDay { patient, visit });
        }
    }

    /// A patient needing staffed care at `node` was turned away (`turned_away`) or has to wait for
    /// it: counted for the staff groups concerned, and, unless one already does, a phantom starts
    /// the episode the patient would have had there, for the needed demand.
    fn denied_staffed_care(&mut self, patient: u32, node: NodeIndex, turned_away: bool) {
        let cohort = self.patients[patient as usize].cohort;
        let service = self.service(node).expect("only services have workloads");
        let workloads = &service.workloads[cohort as usize];
        if workloads.is_empty() {
            return;
        }
        if self.observing() {
            let month = &mut self.months[self.levels.month];
            let counts = if turned_away {
                &mut month.staff_turned_away
            } else {
                &mut month.staff_waited
            };
            for (k, workload) in workloads.iter().enumerate() {
                if workloads[..k].iter().all(|earlier| earlier.staff != workload.staff) {
                    counts[workload.staff as usize] += 1;
                }
            }
        }
        let node_key = self.nodes[node as usize].key;
        let p = &mut self.patients[patient as usize];
        if !std::mem::replace(&mut p.need_covered, true) {
            // Queued there, the patient has been admitted and has its key for the visit; turned
            // away or held upstream (even by a route back to the same service), it has not.
            let key = if p.node == node && p.state == State::Waiting {
                p.key
            } else {
                random::mix(p.key, node_key)
            };
            self.start_phantom(node, key, cohort);
        }
    }

    /// Starts a phantom's episode at `node` (a service with a workload for `cohort`), now, with the
    /// draws of `key`.
    fn start_phantom(&mut self, node: NodeIndex, key: u64, cohort: u16) {
        let service = self.service(node).expect("only services have workloads");
        let route = if service.route_on_arrival {
            service.routes[cohort as usize].draw(&mut Draws::new(key, Draw::Route)) as u32
        } else {
            NO_ROUTE
        };
        let duration = service
            .duration_for(cohort as usize, (route != NO_ROUTE).then_some(route as usize))
            .sample(&mut Draws::new(key, Draw::Duration));
        let now = self.now();
        let phantom = Phantom {
            node,
            key,
            cohort,
            route,
            workload_day: 0,
            started: now,
            ends: now + duration,
            ticket: None,
        };
        let slot = match self.free_phantoms.pop() {
            Some(slot) => {
                self.phantoms[slot as usize] = phantom;
                slot
            }
            None => {
                self.phantoms.push(phantom);
                (self.phantoms.len() - 1) as u32
            }
        };
        self.flush_levels(now);
        add_workloads(
            &mut self.levels.staff,
            &service.workloads[cohort as usize],
            0,
            1.0,
            false,
            true,
        );
        self.schedule_phantom_step(slot);
    }

    fn schedule_phantom_step(&mut self, slot: u32) {
        let phantom = self.phantoms[slot as usize];
        let service = self.service(phantom.node).expect("phantoms are at services");
        let next_day = phantom.workload_day + 1;
        let at = if next_day < service.workload_days(phantom.cohort as usize) {
            (phantom.started + f64::from(next_day)).min(phantom.ends)
        } else {
            phantom.ends
        };
        self.calendar.schedule(at, Event::PhantomStep { phantom: slot });
    }

    /// A phantom enters the next day of its stay, or ends it and moves on along a route: to the
    /// next service if that has a workload for its cohort, else out of the picture. Like a blocked
    /// patient, it stays (and keeps needing care) while the next service is full, until a patient
    /// who began waiting there after it is let in, or room appears (looking every
    /// [`PHANTOM_RECHECK_DAYS`]); but not for places derived from staff, the limit the phantom's
    /// need is counted without.
    fn on_phantom_step(&mut self, slot: u32) {
        let now = self.now();
        let phantom = self.phantoms[slot as usize];
        let node = phantom.node;
        let cohort = phantom.cohort as usize;
        let service = self.service(node).expect("phantoms are at services");
        let workloads = &service.workloads[cohort];
        if now < phantom.ends {
            let day = phantom.workload_day + 1;
            self.flush_levels(now);
            add_workloads(&mut self.levels.staff, workloads, day - 1, -1.0, false, true);
            add_workloads(&mut self.levels.staff, workloads, day, 1.0, false, true);
            self.phantoms[slot as usize].workload_day = day;
            self.schedule_phantom_step(slot);
            return;
        }
        let route = match phantom.route {
            NO_ROUTE => service.routes[cohort].draw(&mut Draws::new(phantom.key, Draw::Route)),
            route => route as usize,
        };
        self.phantoms[slot as usize].route = route as u32;
        let next = service.routes[cohort].choices[route].to;
        let state = &self.nodes[next as usize];
        let let_in = match phantom.ticket {
            Some(ticket) => state.blocked_released > ticket,
            None => false,
        };
        if !state.staffed && !let_in && self.landing(next, phantom.cohort).is_none() {
            let ticket = phantom.ticket.unwrap_or(state.blocked_joined);
            self.phantoms[slot as usize].ticket = Some(ticket);
            self.calendar
                .schedule(now + PHANTOM_RECHECK_DAYS, Event::PhantomStep { phantom: slot });
            return;
        }
        self.flush_levels(now);
        add_workloads(
            &mut self.levels.staff,
            workloads,
            phantom.workload_day,
            -1.0,
            false,
            true,
        );
        self.free_phantoms.push(slot);
        if self.service(next).is_some_and(|s| !s.workloads[cohort].is_empty()) {
            let key = random::mix(phantom.key, self.nodes[next as usize].key);
            self.start_phantom(next, key, phantom.cohort);
        }
    }

    fn on_service_end(&mut self, patient: u32) {
        let now = self.now();
        self.patients[patient as usize].finished = now;
        let route = self.end_service(patient);
        let p = &self.patients[patient as usize];
        let (node, cohort) = (p.node, p.cohort);
        let service = self.service(node).expect("only services end service");
        if !self.nodes[node as usize].timed_departure {
            let next = service.routes[cohort as usize].choices[route as usize].to;
            self.leave_service(patient, next);
            return;
        }
        if let Some(handover) = &service.routes[cohort as usize].choices[route as usize].handover {
            let key = self.patients[patient as usize].key;
            let days = handover.sample(&mut Draws::new(key, Draw::Handover));
            if days > 0.0 {
                let p = &mut self.patients[patient as usize];
                p.state = State::Handover;
                let visit = p.visit;
                self.calendar
                    .schedule(now + days, Event::HandoverEnd { patient, visit });
                return;
            }
        }
        self.await_leave_hours(patient);
    }

    /// What ends with a patient's service, before it moves on: an acute patient enters the
    /// discharge process, the work it needs while it waits counts as needed, and its route is
    /// drawn if it has none yet. Returns the route.
    #[inline(always)]
    fn end_service(&mut self, patient: u32) -> u32 {
        let now = self.now();
        let p = &self.patients[patient as usize];
        let (node, cohort) = (p.node, p.cohort);
        let service = self.service(node).expect("only services end service");
        if self.counts_delays(patient, node) {
            self.flush_levels(now);
            self.levels.in_discharge_process += 1;
        }
        if self.nodes[node as usize].has_workload && !self.patients[patient as usize].counts_needed {
            // A phantom stood for this patient's service here; what it needs while it waits to
            // move on is need of its own.
            let day = self.patients[patient as usize].workload_day;
            self.flush_levels(now);
            add_workloads(
                &mut self.levels.staff,
                &service.workloads[cohort as usize],
                day,
                1.0,
                false,
                true,
            );
            self.patients[patient as usize].counts_needed = true;
        }
        match self.patients[patient as usize].route {
            NO_ROUTE => {
                let route = self.draw_route(patient, service, cohort);
                self.patients[patient as usize].route = route;
                route
            }
            route => route,
        }
    }

    /// The patient, ready to move on, leaves now if its service's leave hours and the next
    /// service's admission hours are both open, else waits in its place for the first hour they
    /// are (validation ensures there is one).
    fn await_leave_hours(&mut self, patient: u32) {
        let node = self.patients[patient as usize].node;
        let next = self.routed_next(patient);
        let leave = self
            .service(node)
            .expect("only services have leave hours")
            .leave_hours
            .as_deref();
        let admission = self.service(next).and_then(|next| next.admission_hours.as_deref());
        if leave.is_some() || admission.is_some() {
            let hour = whole_hour(self.now());
            let this_hour = hour_of_week(&self.clock, hour);
            let wait = (0..=HOURS_PER_WEEK)
                .find(|&k| {
                    let at = (this_hour + k) % HOURS_PER_WEEK;
                    open_at(leave, at) && open_at(admission, at)
                })
                .expect("validation ensures leave and admission hours meet") as i64;
            if wait > 0 {
                let p = &mut self.patients[patient as usize];
                p.state = State::AwaitingLeaveHours;
                let visit = p.visit;
                self.calendar
                    .schedule((hour + wait) as f64 / 24.0, Event::LeaveHoursOpen { patient, visit });
                return;
            }
        }
        self.leave_service(patient, next);
    }

    /// The patient, having finished service at its node (with any handover and wait for leave
    /// hours), moves on along its route to `next`, or is blocked until `next` has room.
    #[inline(always)]
    fn leave_service(&mut self, patient: u32, next: NodeIndex) {
        let p = &self.patients[patient as usize];
        let (node, cohort) = (p.node, p.cohort);
        let places = self.nodes[node as usize].places;
        let landing = if self.draws_on(next, places) {
            Some(next)
        } else {
            self.landing(next, cohort)
        };
        match landing {
            Some(landing) => self.transfer(patient, node, next, landing),
            None => {
                self.patients[patient as usize].state = State::Blocked;
                let joined = self.count_in(self.now());
                let waiting_for = &mut self.nodes[next as usize];
                waiting_for.blocked_upstream.push_back(patient);
                waiting_for.blocked_joined += 1;
                waiting_for.record.blocked_waiting_area -= joined;
                self.trace(patient, node, TraceEvent::Blocked);
                if self.counts_delays(patient, node) {
                    self.flush_levels(self.now());
                    self.levels.in_discharge_process -= 1;
                    let cause = self.nodes[next as usize]
                        .delay_cause
                        .expect("acute routes lead to delay causes");
                    self.levels.awaiting[cause as usize] += 1;
                }
                if self.nodes[next as usize].has_workload {
                    self.denied_staffed_care(patient, next, false);
                }
            }
        }
    }

    /// Whether `node` is a service drawing on `places`.
    #[inline]
    fn draws_on(&self, node: NodeIndex, places: PlacesIndex) -> bool {
        let state = &self.nodes[node as usize];
        state.service.is_some() && state.places == places
    }

    /// The first of `node` and the nodes its `on_full` chain leads to that has room for a patient
    /// of `cohort` (exits always have), where such an arrival at `node` would settle.
    #[inline(always)]
    fn landing(&self, mut node: NodeIndex, cohort: u16) -> Option<NodeIndex> {
        loop {
            let Some(service) = self.service(node) else {
                return Some(node);
            };
            if self.has_room(node, cohort) {
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
        let (cohort, held, day, counts_needed) = (p.cohort, p.units, p.workload_day, p.counts_needed);
        let from_places = self.nodes[from as usize].places;
        let keeps_place = self.draws_on(next, from_places);
        if now >= self.warmup {
            let (service, blocked) = (p.finished - p.started, now - p.finished);
            self.nodes[from as usize]
                .record
                .add_completion(service, blocked, cohort);
        }
        self.count_flow(patient, from, landing);
        self.trace(patient, from, TraceEvent::Leave);
        if self.nodes[from as usize].has_workload {
            let from_service = self.service(from).expect("patients leave services");
            let workloads = &from_service.workloads[cohort as usize];
            if !workloads.is_empty() {
                self.flush_levels(now);
                add_workloads(&mut self.levels.staff, workloads, day, -1.0, true, counts_needed);
            }
        }
        self.patients[patient as usize].carries_place = keeps_place;
        self.arrive(patient, next);
        self.change_occupancy(from, -1);
        // A place that moves with the patient is resized to the next step's workload, which may
        // free staff minutes for the pool's other services.
        let kept = if keeps_place {
            self.patients[patient as usize].units
        } else {
            0
        };
        let places = &mut self.places[from_places as usize];
        places.in_use = places.in_use - held + kept;
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
        if self.counts_delays(patient, from) {
            self.flush_levels(now);
            if self.patients[patient as usize].state == State::Blocked {
                let waited_for = self.routed_next(patient);
                let cause = self.nodes[waited_for as usize]
                    .delay_cause
                    .expect("acute routes lead to delay causes");
                self.levels.awaiting[cause as usize] -= 1;
            } else {
                self.levels.in_discharge_process -= 1;
            }
        }
        if next_roles.has(Roles::ACUTE) {
            return;
        }
        let flags = self.cohort_flags(patient);
        self.end_acute_stay(patient);
        let p = &mut self.patients[patient as usize];
        if next_roles.has(Roles::DEATH) {
            return;
        }
        p.discharged_at = now;
        let optimised_for = now - p.finished;
        // Only follow-ups whose day 91 falls inside the horizon, so outcomes are not censored
        // towards the early ones (deaths, exits) near its end.
        let follow = next_roles.has(Roles::REABLEMENT)
            && flags.aged_65_plus
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
            let pathway = next_roles.pathway();
            if pathway.is_some_and(|p| p > 0) {
                month.supported_discharges += 1;
                month.supported_within_24h += u64::from(optimised_for <= 1.0);
            }
            let count = |discharges: &mut Discharges| {
                discharges.all += 1;
                if let Some(pathway) = pathway {
                    discharges.pathway[pathway] += 1;
                }
            };
            if flags.adult {
                count(&mut month.adult_discharges);
            }
            if flags.aged_65_plus {
                count(&mut month.discharges_65);
            }
        }
    }

    fn on_timeout(&mut self, patient: u32, visit: u32) {
        let p = &self.patients[patient as usize];
        if p.visit != visit || p.state != State::Waiting {
            return;
        }
        let (node, cohort, entered) = (p.node, p.cohort, p.entered);
        let service = self.service(node).expect("only services have queues");
        let reneging = service.reneging.as_ref().expect("timeouts come from reneging services");
        // The queue entry stays behind and is skipped when reached: the patient is no longer Waiting.
        self.patients[patient as usize].state = State::InService;
        let left = self.count_in(self.now());
        let station = &mut self.nodes[node as usize];
        station.queued -= 1;
        station.record.queue_area += left;
        self.compact_queue_if_mostly_stale(node);
        if entered >= self.warmup {
            let record = &mut self.nodes[node as usize].record;
            record.add_wait(self.calendar.now() - entered, cohort);
            record.reneged += 1;
        }
        self.trace(patient, node, TraceEvent::Renege);
        self.room_changed.push(node);
        // Giving up on an acute queue for care elsewhere ends the stay without a discharge.
        if !self.roles(reneging.to).has(Roles::ACUTE) {
            self.end_acute_stay(patient);
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

    /// The first patient still waiting in `node`'s queue, dropping the entries of those who gave
    /// up that stand before it.
    #[inline]
    fn first_in_queue(&mut self, node: NodeIndex) -> Option<u32> {
        let patients = &self.patients;
        let is_current = |patient: u32, visit: u32| still_waiting(patients, node, patient, visit);
        match &mut self.nodes[node as usize].queue {
            Queue::Fifo(queue) => loop {
                let entry = queue.front()?;
                if is_current(entry.patient, entry.visit) {
                    return Some(entry.patient);
                }
                queue.pop_front();
            },
            Queue::Priority(queue) => loop {
                let Reverse((_, _, patient, visit)) = *queue.peek()?;
                if is_current(patient, visit) {
                    return Some(patient);
                }
                queue.pop();
            },
        }
    }

    /// Takes the first patient out of `node`'s queue (one [`Self::first_in_queue`] found live).
    fn pop_queue(&mut self, node: NodeIndex) {
        let left = self.count_in(self.now());
        let station = &mut self.nodes[node as usize];
        station.record.queue_area += left;
        match &mut station.queue {
            Queue::Fifo(queue) => {
                queue.pop_front();
            }
            Queue::Priority(queue) => {
                queue.pop();
            }
        }
        station.queued -= 1;
    }

    /// Fills freed places from queues and lets blocked patients move into services that now have
    /// room, following the chain of places this frees upstream. The first patient of a queue, and
    /// the first blocked, go first: one who does not fit holds back those behind it.
    fn release_where_room_appeared(&mut self) {
        while let Some(node) = self.room_changed.pop() {
            let Some(service) = self.service(node) else {
                continue;
            };
            // Every patient needs at least one unit, so with none free the queue need not be read;
            // where each needs exactly one, that is all there is to ask.
            let staffed = self.nodes[node as usize].staffed;
            while self.nodes[node as usize].queued > 0 && self.fits(node, 1) {
                let Some(patient) = self.first_in_queue(node) else {
                    break;
                };
                if staffed {
                    let cohort = self.patients[patient as usize].cohort;
                    if !self.fits(node, self.units_to_start(node, cohort)) {
                        break;
                    }
                }
                self.pop_queue(node);
                self.start_service(patient, node, service, Stay::New);
            }
            while let Some(&patient) = self.nodes[node as usize].blocked_upstream.front() {
                if !self.has_room(node, self.patients[patient as usize].cohort) {
                    break;
                }
                let left = self.count_in(self.now());
                let station = &mut self.nodes[node as usize];
                station.blocked_upstream.pop_front();
                station.blocked_released += 1;
                station.record.blocked_waiting_area += left;
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
        if station.interim {
            self.flush_levels(now);
            self.levels.interim = self.levels.interim.checked_add_signed(delta).expect("never negative");
        }
    }

    #[inline]
    fn account_occupancy(&mut self, node: usize, now: f64) {
        account_occupancy(&mut self.nodes[node], now, self.warmup);
    }
}
