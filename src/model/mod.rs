//! The queueing network and its vocabulary: sources, services, exits, cohorts, routes.
//!
//! A [`Model`] is built only by `scenario` from a validated file, so every index in it points at
//! something that exists, every probability table sums to one and every on-full chain ends. Running
//! it ([`simulation::run_replication`]) cannot fail and does no IO.

pub mod distribution;
pub mod load;
pub mod record;
pub mod simulation;

use crate::calendar::Date;
pub use distribution::Distribution;

/// Index of a node (service or exit) in [`Network::nodes`].
pub type NodeIndex = u32;
/// Index of a set of places in [`Network::places`].
pub type PlacesIndex = u32;
/// Hours in a week; weekly schedules are indexed by `weekday * 24 + hour`, Monday 0:00 first.
pub const HOURS_PER_WEEK: usize = 168;

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
    /// A replication with more patients in the system at once is stopped as unstable.
    pub max_in_system: usize,
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
    /// Places: one set per service with its own capacity, one per shared pool.
    pub places: Vec<Places>,
    /// Staff groups whose daily workload is measured.
    pub staff: Vec<StaffGroup>,
    /// The population rates are given against, when the scenario states it.
    pub population: Option<Population>,
}

impl Network {
    /// Whether the metrics read month-by-month and day-by-day records: the network has nodes whose
    /// tags give them roles, or staff groups. Only then do records grow with the horizon.
    pub fn records_months(&self) -> bool {
        self.nodes.iter().any(|n| n.roles != Roles::default()) || !self.staff.is_empty()
    }
}

/// Capacity that patients occupy while in service (and while blocked after it), counted in
/// units: one per patient for ordinary places, or, for capacity derived from a staff group,
/// centi-minutes of staff time per day, each patient using what its service's workload needs.
#[derive(Clone, Debug)]
pub struct Places {
    /// The id of the service that owns them, or of the pool.
    pub id: String,
    /// Units outside any schedule window; `None` is unlimited.
    pub capacity: Option<u64>,
    /// Units by hour of the week, when scheduled.
    pub schedule: Option<Box<[u64; HOURS_PER_WEEK]>>,
    /// The services drawing on these places.
    pub members: Vec<NodeIndex>,
}

/// Units of staffed capacity per staff minute of a day.
pub const UNITS_PER_STAFF_MINUTE: f64 = 100.0;

impl Places {
    /// The units available at `hour_of_week` (`u64::MAX` for unlimited).
    pub fn capacity_at(&self, hour_of_week: usize) -> u64 {
        match &self.schedule {
            Some(schedule) => schedule[hour_of_week],
            None => self.capacity.unwrap_or(u64::MAX),
        }
    }

    /// The average units available over a week; `None` if unlimited.
    pub fn mean_capacity(&self) -> Option<f64> {
        match &self.schedule {
            Some(schedule) => Some(schedule.iter().map(|&c| c as f64).sum::<f64>() / HOURS_PER_WEEK as f64),
            None => self.capacity.map(|c| c as f64),
        }
    }
}

/// A staff group (e.g. health and care assistants) whose workload bcfsim measures day by day.
#[derive(Clone, Debug)]
pub struct StaffGroup {
    /// The group's id.
    pub id: String,
    /// Minutes of visits and travel one person delivers per shift.
    pub productive_minutes_per_shift: f64,
    /// Days a week the service runs.
    pub days_covered_per_week: f64,
    /// Shifts one full-time equivalent works per week.
    pub shifts_per_fte_per_week: f64,
    /// Allowance for leave, sickness and training, as a fraction (0.25 for 25 %).
    pub uplift: f64,
    /// The percentile of daily demand to staff for, 0 to 100.
    pub coverage_percentile: f64,
}

impl StaffGroup {
    /// The FTE to employ to have `on_shift` people on shift every covered day.
    pub fn fte_for(&self, on_shift: f64) -> f64 {
        on_shift * self.days_covered_per_week / self.shifts_per_fte_per_week * (1.0 + self.uplift)
    }

    /// People on shift on a covered day that `fte` full-time equivalents provide.
    pub fn on_shift_from(&self, fte: f64) -> f64 {
        fte / (1.0 + self.uplift) * self.shifts_per_fte_per_week / self.days_covered_per_week
    }
}

/// The work each patient in a service gives a staff group.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Index into [`Network::staff`].
    pub staff: u32,
    /// Visits per patient per day.
    pub visits_per_day: f64,
    /// Minutes of care per visit.
    pub minutes_per_visit: f64,
    /// Minutes of travel per visit.
    pub travel_minutes: f64,
}

impl Workload {
    /// Staff minutes (care and travel) one patient needs per day.
    pub fn minutes_per_patient_day(&self) -> f64 {
        self.visits_per_day * (self.minutes_per_visit + self.travel_minutes)
    }
}

/// Population sizes that rates per 100,000 use.
#[derive(Clone, Debug)]
pub struct Population {
    /// Everyone.
    pub total: f64,
    /// People aged 18 and over.
    pub aged_18_plus: f64,
    /// People aged 65 and over.
    pub aged_65_plus: f64,
}

/// What a node means to the metrics, read from its tags (see README, "Tags").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Roles(u16);

impl Roles {
    /// `acute`: an acute hospital stay; arriving from elsewhere is an emergency admission.
    pub const ACUTE: Roles = Roles(1);
    /// `admission_avoidance`: a scheme; leaving it other than to hospital is an avoided admission.
    pub const ADMISSION_AVOIDANCE: Roles = Roles(1 << 1);
    /// `reablement` or `rehabilitation`: discharge from hospital here starts a 91-day follow-up.
    pub const REABLEMENT: Roles = Roles(1 << 2);
    /// `care_home`: a permanent residential or nursing care placement.
    pub const CARE_HOME: Roles = Roles(1 << 3);
    /// `usual_residence`: the patient is at their usual place of residence (home).
    pub const USUAL_RESIDENCE: Roles = Roles(1 << 4);
    /// `death`.
    pub const DEATH: Roles = Roles(1 << 5);
    /// `interim`: an interim bed while care at home is arranged.
    pub const INTERIM: Roles = Roles(1 << 6);
    const PATHWAY_SHIFT: u16 = 8;

    /// The roles named by `tags` (unknown tags are free for users and ignored here).
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Roles {
        let mut roles = Roles::default();
        for tag in tags {
            roles.0 |= match tag {
                "acute" => Roles::ACUTE.0,
                "admission_avoidance" => Roles::ADMISSION_AVOIDANCE.0,
                "reablement" | "rehabilitation" => Roles::REABLEMENT.0,
                "care_home" => Roles::CARE_HOME.0,
                "usual_residence" => Roles::USUAL_RESIDENCE.0,
                "death" => Roles::DEATH.0,
                "interim" => Roles::INTERIM.0,
                "pathway_0" => 1 << Self::PATHWAY_SHIFT,
                "pathway_1" => 2 << Self::PATHWAY_SHIFT,
                "pathway_2" => 4 << Self::PATHWAY_SHIFT,
                "pathway_3" => 8 << Self::PATHWAY_SHIFT,
                _ => 0,
            };
        }
        roles
    }

    /// Whether all of `other`'s roles are among these.
    #[inline]
    pub fn has(self, other: Roles) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// These roles together with `other`'s.
    pub const fn with(self, other: Roles) -> Roles {
        Roles(self.0 | other.0)
    }

    /// Whether any of `other`'s roles is among these.
    #[inline]
    pub fn has_any(self, other: Roles) -> bool {
        self.0 & other.0 != 0
    }

    /// The discharge-to-assess pathway (0 to 3) the node belongs to, if any (the lowest if several).
    #[inline]
    pub fn pathway(self) -> Option<usize> {
        let bits = (self.0 >> Self::PATHWAY_SHIFT) & 0xf;
        (bits != 0).then(|| bits.trailing_zeros() as usize)
    }
}

/// What a cohort means to the metrics, read from its attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CohortFlags {
    /// `age_band` is not `0-17`.
    pub aged_18_plus: bool,
    /// `age_band` is `65-79` or `80+`.
    pub aged_65_plus: bool,
    /// `acsc = true`: admitted for an ambulatory-care-sensitive condition.
    pub acsc: bool,
}

/// A kind of patient, with free-form attributes (age band, zone, flags) for later layers.
#[derive(Clone, Debug)]
pub struct Cohort {
    /// The cohort's id.
    pub id: String,
    /// Attribute name and value pairs, sorted by name.
    pub attributes: Vec<(String, String)>,
    /// What the attributes mean to the metrics.
    pub flags: CohortFlags,
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
    /// What the node's tags mean to the metrics.
    pub roles: Roles,
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
    /// The places the service draws on (its own, or a pool's).
    pub places: PlacesIndex,
    /// Units of those places each patient in service uses (1, or its staff time; see [`Places`]).
    pub place_units: u64,
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
    /// Hours of the week in which patients may leave (e.g. discharge hours); `None` is any time.
    pub leave_hours: Option<Box<[bool; HOURS_PER_WEEK]>>,
    /// The work each patient in service gives a staff group.
    pub workload: Option<Workload>,
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
