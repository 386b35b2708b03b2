//! One replication of a [`Model`]: patients flow through the network event by event.
//!
//! Invariants kept between events:
//! - a service with room has nobody blocked waiting for it (blocked patients are released as soon
//!   as room appears, first-in first-out);
//! - a service with a free place has an empty queue;
//! - a patient is in exactly one of: a queue, service, blocked after service, or free (no longer
//!   in the network, its slot reusable). Memory is bounded by the patients in the system.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::Rng as _;
use rand_distr::Exp1;

use super::record::{NodeRecord, Record};
use super::{ArrivalProcess, Model, NodeIndex, NodeKind, Service, Source};
use crate::calendar::{Calendar, Clock};
use crate::random::{self, Purpose, Rng};

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
    /// Called for each event: time, patient number (in order of arrival), cohort, node.
    fn record(&mut self, time: f64, patient: u64, cohort: u16, node: NodeIndex, event: TraceEvent);
}

/// A tracer that ignores everything.
pub struct NoTrace;

impl Tracer for NoTrace {
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Waiting,
    InService,
    Blocked,
}

const NO_ROUTE: u32 = u32::MAX;

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

/// A service's live state.
struct Station {
    in_use: u32,
    queued: u32,
    level_since: f64,
    queue: Queue,
    blocked_upstream: VecDeque<u32>,
}

struct SourceState {
    arrivals: Rng,
    cohorts: Rng,
    /// For profiled Poisson sources: the end of the current thinning segment and its peak rate.
    segment_end: f64,
    segment_peak: f64,
}

struct Simulation<'m, T> {
    model: &'m Model,
    clock: Clock,
    warmup: f64,
    calendar: Calendar<Event>,
    patients: Vec<Patient>,
    free_slots: Vec<u32>,
    next_number: u64,
    stations: Vec<Station>,
    sources: Vec<SourceState>,
    durations: Vec<Rng>,
    routing: Vec<Rng>,
    records: Vec<NodeRecord>,
    room_changed: Vec<NodeIndex>,
    queue_sequence: u64,
    tracer: T,
}

/// Runs replication `replication` of `model`, reporting every patient event to `tracer`.
pub fn run_replication<T: Tracer>(model: &Model, replication: u32, tracer: T) -> (Record, T) {
    let seed = model.run.seed;
    let nodes = &model.network.nodes;
    let mut simulation = Simulation {
        model,
        clock: Clock::starting(model.run.start_date),
        warmup: model.run.warmup_days,
        calendar: Calendar::new(),
        patients: Vec::new(),
        free_slots: Vec::new(),
        next_number: 0,
        stations: nodes
            .iter()
            .map(|node| Station {
                in_use: 0,
                queued: 0,
                level_since: 0.0,
                queue: match &node.kind {
                    NodeKind::Service(Service { priority: Some(_), .. }) => Queue::Priority(BinaryHeap::new()),
                    _ => Queue::Fifo(VecDeque::new()),
                },
                blocked_upstream: VecDeque::new(),
            })
            .collect(),
        sources: (0..model.network.sources.len() as u32)
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
        records: vec![NodeRecord::default(); nodes.len()],
        room_changed: Vec::new(),
        queue_sequence: 0,
        tracer,
    };
    (simulation.run(), simulation.tracer)
}

impl<'m, T: Tracer> Simulation<'m, T> {
    fn run(&mut self) -> Record {
        for source in 0..self.model.network.sources.len() as u32 {
            self.schedule_arrival(source);
        }
        let horizon = self.model.run.horizon_days;
        let mut events = 0u64;
        while let Some(event) = self.calendar.next_before(horizon) {
            events += 1;
            match event {
                Event::Arrival { source } => self.on_arrival(source),
                Event::ServiceEnd { patient } => self.on_service_end(patient),
                Event::Timeout { patient, visit } => self.on_timeout(patient, visit),
            }
        }
        for node in 0..self.stations.len() {
            self.account_occupancy(node, horizon);
        }
        Record {
            nodes: std::mem::take(&mut self.records),
            events,
            observed_days: horizon - self.warmup,
        }
    }

    #[inline]
    fn now(&self) -> f64 {
        self.calendar.now()
    }

    #[inline]
    fn observing(&self) -> bool {
        self.now() >= self.warmup
    }

    fn service(&self, node: NodeIndex) -> Option<&'m Service> {
        match &self.model.network.nodes[node as usize].kind {
            NodeKind::Service(service) => Some(service),
            NodeKind::Exit => None,
        }
    }

    fn trace(&mut self, patient: u32, node: NodeIndex, event: TraceEvent) {
        let p = &self.patients[patient as usize];
        self.tracer.record(self.calendar.now(), p.number, p.cohort, node, event);
    }

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
            } => {
                // Thinning, with the bounding rate renewed every year so that growth over a long
                // horizon does not make the bound, and so the rejections, explode.
                let mut t = now;
                loop {
                    if t >= state.segment_end {
                        let start = t.max(state.segment_end);
                        state.segment_end = start + 365.0;
                        let growth = profile.growth(start).max(profile.growth(state.segment_end));
                        state.segment_peak = rate_per_day * profile.peak_multiplier() * growth;
                    }
                    if state.segment_peak <= 0.0 {
                        t = state.segment_end;
                        if t >= self.model.run.horizon_days {
                            return;
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
                        break t;
                    }
                }
            }
        };
        if next < self.model.run.horizon_days {
            self.calendar.schedule(next, Event::Arrival { source: source_index });
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
        self.release_where_room_appeared();
        self.schedule_arrival(source_index);
    }

    fn new_patient(&mut self, cohort: u16) -> u32 {
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

    fn free_patient(&mut self, patient: u32) {
        self.patients[patient as usize].state = State::Free;
        self.free_slots.push(patient);
    }

    /// The patient reaches `node`: admitted if there is room, otherwise sent along the on-full
    /// chain (acyclic by validation) or lost.
    fn arrive(&mut self, patient: u32, mut node: NodeIndex) {
        let model = self.model;
        loop {
            self.trace(patient, node, TraceEvent::Arrive);
            let observing = self.observing();
            if observing {
                self.records[node as usize].arrivals += 1;
            }
            let service = match &model.network.nodes[node as usize].kind {
                NodeKind::Exit => {
                    self.trace(patient, node, TraceEvent::Exit);
                    self.free_patient(patient);
                    return;
                }
                NodeKind::Service(service) => service,
            };
            let station = &self.stations[node as usize];
            if service.has_room(station.in_use, station.queued) {
                self.admit(patient, node, service);
                return;
            }
            if observing {
                self.records[node as usize].overflowed += 1;
            }
            self.trace(patient, node, TraceEvent::Overflow);
            match service.on_full {
                Some(next) => node = next,
                None => {
                    self.free_patient(patient);
                    return;
                }
            }
        }
    }

    fn admit(&mut self, patient: u32, node: NodeIndex, service: &Service) {
        let now = self.now();
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
        let station = &self.stations[node as usize];
        if service.capacity.is_none_or(|capacity| station.in_use < capacity) {
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
        let station = &mut self.stations[node as usize];
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
        let warmup = self.warmup;
        let p = &mut self.patients[patient as usize];
        p.state = State::InService;
        p.started = now;
        if p.entered >= warmup {
            self.records[node as usize].add_wait(now - p.entered);
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
        let node = self.patients[patient as usize].node;
        let service = self.service(node).expect("only services end service");
        let p = &mut self.patients[patient as usize];
        p.finished = now;
        if p.route == NO_ROUTE {
            let cohort = p.cohort;
            let route = self.draw_route(node, service, cohort);
            self.patients[patient as usize].route = route;
        }
        let p = &self.patients[patient as usize];
        let next = service.routes[p.cohort as usize].choices[p.route as usize].to;
        let next_has_room = self.service(next).is_none_or(|next_service| {
            let station = &self.stations[next as usize];
            next_service.has_room(station.in_use, station.queued)
        });
        if next_has_room {
            self.transfer(patient, next);
        } else {
            self.patients[patient as usize].state = State::Blocked;
            self.stations[next as usize].blocked_upstream.push_back(patient);
            self.trace(patient, node, TraceEvent::Blocked);
        }
        self.release_where_room_appeared();
    }

    /// Moves a patient who has finished service (and any blocking) to `next`, which has room. The
    /// patient is admitted there before its old place is freed, so nobody can take the room first.
    fn transfer(&mut self, patient: u32, next: NodeIndex) {
        let now = self.now();
        let p = &self.patients[patient as usize];
        let from = p.node;
        if now >= self.warmup {
            let record = &mut self.records[from as usize];
            record.completions += 1;
            record.service_sum += p.finished - p.started;
            record.blocked_sum += now - p.finished;
        }
        self.trace(patient, from, TraceEvent::Leave);
        self.arrive(patient, next);
        self.change_occupancy(from, -1);
        self.room_changed.push(from);
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
        self.stations[node as usize].queued -= 1;
        if entered >= self.warmup {
            let record = &mut self.records[node as usize];
            record.add_wait(self.calendar.now() - entered);
            record.reneged += 1;
        }
        self.trace(patient, node, TraceEvent::Renege);
        self.room_changed.push(node);
        self.arrive(patient, reneging.to);
        self.release_where_room_appeared();
    }

    fn pop_queue(&mut self, node: NodeIndex) -> Option<u32> {
        let patients = &self.patients;
        let is_current = |patient: u32, visit: u32| {
            let p = &patients[patient as usize];
            p.visit == visit && p.state == State::Waiting && p.node == node
        };
        let station = &mut self.stations[node as usize];
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
        let model = self.model;
        while let Some(node) = self.room_changed.pop() {
            let NodeKind::Service(service) = &model.network.nodes[node as usize].kind else {
                continue;
            };
            while service.capacity.is_none_or(|c| self.stations[node as usize].in_use < c) {
                match self.pop_queue(node) {
                    Some(patient) => self.start_service(patient, node, service),
                    None => break,
                }
            }
            loop {
                let station = &self.stations[node as usize];
                if !service.has_room(station.in_use, station.queued) {
                    break;
                }
                let Some(patient) = self.stations[node as usize].blocked_upstream.pop_front() else {
                    break;
                };
                self.transfer(patient, node);
            }
        }
    }

    fn change_occupancy(&mut self, node: NodeIndex, delta: i32) {
        let now = self.now();
        self.account_occupancy(node as usize, now);
        let station = &mut self.stations[node as usize];
        station.in_use = station
            .in_use
            .checked_add_signed(delta)
            .expect("occupancy never negative");
    }

    fn account_occupancy(&mut self, node: usize, now: f64) {
        let station = &mut self.stations[node];
        let from = station.level_since.max(self.warmup);
        if now > from {
            self.records[node].add_time_at_level(station.in_use, now - from);
        }
        station.level_since = now;
    }
}
