//! The queueing network and its vocabulary: sources, services, exits, cohorts, routes.
//!
//! A [`Model`] is built only by `scenario` from a validated file, so every index in it points at
//! something that exists, every probability table sums to one and every on-full chain ends. Running
//! it ([`simulation::run_replication`]) cannot fail and does no IO.

pub mod distribution;
pub mod record;
pub mod simulation;

use crate::calendar::Date;
pub use distribution::Distribution;

/// Index of a node (service or exit) in [`Network::nodes`].
pub type NodeIndex = u32;
/// Index of a cohort in [`Network::cohorts`].
pub type CohortIndex = u16;

/// A runnable model: the network plus how to run it.
#[derive(Clone, Debug)]
pub struct Model {
    /// The scenario's name, used for the output folder.
    pub name: String,
    /// Horizon, warm-up, replications and seed.
    pub run: RunSettings,
    /// What is simulated.
    pub network: Network,
}

/// How long and how often to run.
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// Simulated days per replication.
    pub horizon_days: f64,
    /// Days simulated before statistics are collected.
    pub warmup_days: f64,
    /// Number of replications.
    pub replications: u32,
    /// The seed from which every random stream derives.
    pub seed: u64,
    /// The calendar date of day 0.
    pub start_date: Date,
}

/// The nodes, the sources feeding them and the cohorts patients belong to.
#[derive(Clone, Debug)]
pub struct Network {
    /// Kinds of patient; always at least one.
    pub cohorts: Vec<Cohort>,
    /// Where patients come from.
    pub sources: Vec<Source>,
    /// Services and exits.
    pub nodes: Vec<Node>,
}

/// A kind of patient, with free-form attributes (age band, zone, flags) for later layers.
#[derive(Clone, Debug)]
pub struct Cohort {
    /// The cohort's id.
    pub id: String,
    /// Attribute name and value pairs, sorted by name.
    pub attributes: Vec<(String, String)>,
}

/// A stream of new patients into one node.
#[derive(Clone, Debug)]
pub struct Source {
    /// The source's id.
    pub id: String,
    /// When patients arrive.
    pub arrivals: ArrivalProcess,
    /// The node every arrival goes to first.
    pub to: NodeIndex,
    /// Cumulative probability of each cohort (same order as [`Network::cohorts`], ending at 1).
    pub cohort_mix: Vec<f64>,
}

/// When a source's patients arrive.
#[derive(Clone, Debug)]
pub enum ArrivalProcess {
    /// Poisson arrivals, optionally non-homogeneous through a rate profile.
    Poisson {
        /// Mean arrivals per day (before profile multipliers).
        rate_per_day: f64,
        /// Multipliers by hour, weekday and month, and annual growth.
        profile: Option<RateProfile>,
    },
    /// Arrivals separated by independent draws of a distribution (e.g. fixed, for hand-checked tests).
    Renewal(Distribution),
}

/// Multipliers of a Poisson rate; the process is sampled exactly by thinning.
#[derive(Clone, Debug)]
pub struct RateProfile {
    /// Multiplier by hour of day, 0 to 23.
    pub hour: [f64; 24],
    /// Multiplier by day of week, Monday first.
    pub weekday: [f64; 7],
    /// Multiplier by month, January first.
    pub month: [f64; 12],
    /// Growth per year as a fraction (0.0248 for 2.48 %), compounded continuously by day.
    pub annual_growth: f64,
}

impl RateProfile {
    /// The product of the largest hour, weekday and month multipliers.
    pub fn peak_multiplier(&self) -> f64 {
        let max = |values: &[f64]| values.iter().copied().fold(0.0, f64::max);
        max(&self.hour) * max(&self.weekday) * max(&self.month)
    }

    /// The growth factor at simulation time `time` (days).
    pub fn growth(&self, time: f64) -> f64 {
        (1.0 + self.annual_growth).powf(time / 365.0)
    }
}

/// A service or an exit.
#[derive(Clone, Debug)]
pub struct Node {
    /// The node's id.
    pub id: String,
    /// Free strings by which metrics find the node.
    pub tags: Vec<String>,
    /// What the node does.
    pub kind: NodeKind,
}

/// What a node does.
#[derive(Clone, Debug)]
pub enum NodeKind {
    /// Patients queue, are served, then move on.
    Service(Service),
    /// Patients leave the network here; always has room.
    Exit,
}

/// A service with places, a queue and onward routes.
#[derive(Clone, Debug)]
pub struct Service {
    /// Number of places; `None` is unlimited.
    pub capacity: Option<u32>,
    /// Service duration unless a cohort or route overrides it.
    pub duration: Distribution,
    /// Per cohort, an override of the service duration.
    pub cohort_duration: Vec<Option<Distribution>>,
    /// Per cohort, its rank in a priority queue (0 served first); `None` is first-in first-out.
    pub priority: Option<Vec<u32>>,
    /// Most patients that may wait in the queue; `None` is unbounded.
    pub queue_limit: Option<u32>,
    /// Patients who wait longer than this leave the queue for another node.
    pub reneging: Option<Reneging>,
    /// Where an arrival goes at once when there is no room; lost (overflowed) if `None`.
    pub on_full: Option<NodeIndex>,
    /// Per cohort, the routes out of the service.
    pub routes: Vec<RouteTable>,
    /// Whether any route carries its own duration, so routes are drawn on arrival.
    pub route_on_arrival: bool,
}

impl Service {
    /// Whether the service has room for one more patient given its places in use and queue length.
    #[inline]
    pub fn has_room(&self, in_use: u32, queued: u32) -> bool {
        match self.capacity {
            None => true,
            Some(capacity) if in_use < capacity => true,
            Some(_) => self.queue_limit.is_none_or(|limit| queued < limit),
        }
    }
}

/// Leaving the queue after waiting too long.
#[derive(Clone, Debug)]
pub struct Reneging {
    /// The longest wait in days before leaving.
    pub max_wait: f64,
    /// Where patients go when they give up.
    pub to: NodeIndex,
}

/// The routes one cohort may take out of a service.
#[derive(Clone, Debug)]
pub struct RouteTable {
    /// Routes with cumulative probabilities, the last ending at 1.
    pub choices: Vec<RouteChoice>,
}

/// One route out of a service.
#[derive(Clone, Debug)]
pub struct RouteChoice {
    /// Cumulative probability up to and including this route.
    pub cumulative: f64,
    /// The next node.
    pub to: NodeIndex,
    /// The service duration of patients who will take this route, overriding the service's.
    pub duration: Option<Distribution>,
}

impl RouteTable {
    /// The index of the route chosen by a uniform draw `u` in [0, 1).
    #[inline]
    pub fn choose(&self, u: f64) -> usize {
        let choices = &self.choices;
        if choices.len() == 1 {
            return 0;
        }
        choices
            .iter()
            .position(|c| u < c.cumulative)
            .unwrap_or(choices.len() - 1)
    }
}
