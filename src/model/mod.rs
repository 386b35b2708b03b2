//! The queueing network and its vocabulary: sources, services, exits, cohorts, routes.
//!
//! A [`Model`] is built only by `scenario` from a validated file, so every index in it points at
//! something that exists, every probability table sums to one and every on-full chain ends. Running
//! it ([`simulation::run_replication`]) cannot fail and does no IO.

pub mod distribution;
pub mod load;
pub mod record;
pub mod simulation;
pub mod target;

use crate::calendar::Date;
pub use distribution::Distribution;
pub use target::{statistic_path, Bound, Observation, PlanTarget, Target, STATISTIC_SECTIONS};

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
    /// Where the model came from: the file, the changes made to it, the levers' values.
    pub provenance: Provenance,
    /// The plan's targets, whose chance of being met a run reports.
    pub targets: Vec<PlanTarget>,
    /// Figures observed in the real system, which a run reports the model against.
    pub observed: Vec<Observation>,
    /// Inputs drawn afresh for each replication, if the scenario has uncertain ones; the model
    /// itself has them at their central values.
    pub uncertain: Option<std::sync::Arc<dyn Realise>>,
}

/// A scenario with uncertain inputs, able to make each replication's model.
pub trait Realise: Send + Sync + std::fmt::Debug {
    /// The model of `replication` of `central` (whose run settings and provenance it takes), with
    /// the uncertain inputs drawn from their own streams; an error, naming the fields, if the
    /// values drawn make the scenario invalid.
    fn realise(&self, central: &Model, replication: u32) -> Result<Model, String>;

    /// The uncertain inputs, each with its range and central value.
    fn inputs(&self) -> &[InputRange];
}

/// An uncertain input: its field (as `--set` names it), its lowest, central and highest values.
#[derive(Clone, Debug, PartialEq)]
pub struct InputRange {
    /// The field, e.g. `service.crs.duration.median`.
    pub name: String,
    /// The lowest value it can take.
    pub low: f64,
    /// Its value in the central model.
    pub central: f64,
    /// The highest value it can take.
    pub high: f64,
}

/// Where a model came from, for the audit trail of its results: nothing that varies between
/// identical runs or machines (no paths, no times).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Provenance {
    /// SHA-256 of the scenario text as written, in hex.
    pub scenario_sha256: String,
    /// Every `--set` applied, in order, as written.
    pub overrides: Vec<String>,
    /// The levers the scenario declares, with the values used.
    pub levers: Vec<Lever>,
}

/// A named number (or switch) commissioners move, declared in `[levers]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lever {
    /// Its name, as `$name` refers to it.
    pub name: String,
    /// Its value in this model.
    pub value: LeverValue,
    /// What it is, for people.
    pub label: Option<String>,
    /// Its unit.
    pub unit: Option<String>,
    /// The sensible range of a numeric lever.
    pub range: Option<(f64, f64)>,
}

/// A lever's value: a number, or on/off (a scheme switched on or off).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LeverValue {
    /// A number.
    Number(f64),
    /// On or off.
    Switch(bool),
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
    /// The services whose numbers in service, queued and held upstream are recorded at each
    /// midnight of the observation window (`series.csv`).
    pub series: Vec<NodeIndex>,
}

impl RunSettings {
    /// The times of the midnights at which the series are recorded: each whole day from the end
    /// of the warm-up (day 0 when there is none) to before the horizon.
    pub fn series_midnights(&self) -> impl Iterator<Item = f64> {
        let horizon = self.horizon_days;
        (self.warmup_days.ceil() as u64..)
            .map(|day| day as f64)
            .take_while(move |&midnight| midnight < horizon)
    }
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
    /// What things cost, when the scenario says.
    pub costs: Vec<CostItem>,
    /// The patients already in the system at time 0 (a census), in the order they are placed:
    /// those in service, then those held after service, then those queued, longest waiting first.
    pub initial: Vec<InitialPatients>,
}

/// Patients of a census alike in where they are, how long they have been there and their cohort.
#[derive(Clone, Debug, PartialEq)]
pub struct InitialPatients {
    /// The service they are at (in service, queued, or held after service).
    pub node: NodeIndex,
    /// Their cohort.
    pub cohort: u16,
    /// Where they are in their stay.
    pub state: InitialState,
    /// Days already spent in service, or waiting (in the queue, or held after service).
    pub days: f64,
    /// How many patients.
    pub count: u32,
}

/// Where a census patient is at its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialState {
    /// In service: its whole stay is drawn longer than the days already spent.
    InService,
    /// In the queue.
    Queued,
    /// Finished, held in its place until the next service has room: the route choice leading
    /// there, or `None` to draw one as any patient finishing there would.
    Blocked(Option<u32>),
}

/// One unit cost of the scenario's `[costs]`, and who pays it.
#[derive(Clone, Debug, PartialEq)]
pub struct CostItem {
    /// What is costed.
    pub kind: CostKind,
    /// Pounds (or the scenario's currency) per unit.
    pub value: f64,
    /// Who pays.
    pub payer: Payer,
}

/// What a unit cost is per.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostKind {
    /// Per day of a place in use at a service (time-average occupancy, blocked patients included).
    ServiceDay(NodeIndex),
    /// Per episode completed at a service.
    ServiceEpisode(NodeIndex),
    /// Per patient leaving by an exit (a placement's first year, say).
    Exit(NodeIndex),
    /// Per FTE employed of a staff group, a year.
    StaffFteYear(u32),
    /// A year, while a service runs (not switched off).
    FixedYear(NodeIndex),
    /// Per bed day of a delay for capacity (adults in acute services), on top of the bed day.
    DelayedBedDay,
}

impl CostKind {
    /// The item's key in `costs.by_item`, e.g. `service_day.acute`.
    pub fn key(self, network: &Network) -> String {
        let node = |n: NodeIndex| &network.nodes[n as usize].id;
        match self {
            CostKind::ServiceDay(n) => format!("service_day.{}", node(n)),
            CostKind::ServiceEpisode(n) => format!("service_episode.{}", node(n)),
            CostKind::Exit(n) => format!("exit.{}", node(n)),
            CostKind::StaffFteYear(g) => format!("staff_fte_year.{}", network.staff[g as usize].id),
            CostKind::FixedYear(n) => format!("fixed_year.{}", node(n)),
            CostKind::DelayedBedDay => "delayed_bed_day".to_owned(),
        }
    }
}

/// Who pays a cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    /// The NHS (clinical commissioning group, trust).
    Nhs,
    /// The county council (adult social care).
    Council,
}

impl Payer {
    /// The payer's key in `costs.by_payer`.
    pub fn key(self) -> &'static str {
        match self {
            Payer::Nhs => "nhs",
            Payer::Council => "council",
        }
    }
}

impl Network {
    /// Whether the metrics read month-by-month and day-by-day records: the network has nodes whose
    /// tags give them roles, or staff groups. Only then do records grow with the horizon.
    pub fn records_months(&self) -> bool {
        self.nodes.iter().any(|n| n.roles != Roles::default()) || !self.staff.is_empty()
    }

    /// The services running with limited places (their own or a pool's), in node order: those
    /// whose numbers `series.csv` follows by default.
    pub fn limited_services(&self) -> Vec<NodeIndex> {
        (0..self.nodes.len() as NodeIndex)
            .filter(|&node| {
                let node = &self.nodes[node as usize];
                node.enabled
                    && node.service().is_some_and(|service| {
                        let places = &self.places[service.places as usize];
                        places.capacity.is_some() || places.schedule.is_some()
                    })
            })
            .collect()
    }

    /// What a medically optimised patient in an acute service can be waiting for: the services
    /// routes out of acute services lead to (exits always have room), in node order. Delayed bed
    /// days are charged to these, by their position in this list.
    pub fn delay_causes(&self) -> Vec<NodeIndex> {
        let mut causes: Vec<NodeIndex> = self
            .nodes
            .iter()
            .filter(|node| node.roles.has(Roles::ACUTE))
            .filter_map(|node| node.service())
            .flat_map(|service| {
                service
                    .routes
                    .iter()
                    .flat_map(|table| table.choices.iter().map(|c| c.to))
            })
            .filter(|&to| self.nodes[to as usize].service().is_some())
            .collect();
        causes.sort_unstable();
        causes.dedup();
        causes
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
    /// Full-time equivalents employed, when the scenario states them.
    pub fte: Option<f64>,
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
    /// Visits per patient per day, by day of the stay (day 0 first); the last value holds for the
    /// rest of the stay. Never empty.
    pub visits_per_day: Vec<f64>,
    /// Minutes of care per visit.
    pub minutes_per_visit: f64,
    /// Minutes of travel per visit.
    pub travel_minutes: f64,
}

impl Workload {
    /// Visits one patient needs a day on day `day` of its stay (counted from 0).
    #[inline]
    pub fn visits_on(&self, day: u32) -> f64 {
        let last = self.visits_per_day.len() - 1;
        self.visits_per_day[(day as usize).min(last)]
    }

    /// Staff minutes (care and travel) one patient needs a day on day `day` of its stay.
    #[inline]
    pub fn minutes_on(&self, day: u32) -> f64 {
        self.visits_on(day) * (self.minutes_per_visit + self.travel_minutes)
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

/// The tags metrics understand; any other tag must be declared in `[simulation] tags`.
pub const KNOWN_TAGS: [&str; 13] = [
    "acute",
    "admission_avoidance",
    "reablement",
    "rehabilitation",
    "care_home",
    "usual_residence",
    "death",
    "interim",
    "pathway_0",
    "pathway_1",
    "pathway_2",
    "pathway_3",
    "dtoc_reason_<code>",
];

/// The reasons of the national delayed-transfers-of-care return (NHS England, 2010-2020), by their
/// codes; a service tagged `dtoc_reason_<code>` is what patients delayed for that reason wait for.
pub const DTOC_REASONS: [(&str, &str); 10] = [
    ("a", "completion of assessment"),
    ("b", "public funding"),
    ("c", "further non-acute NHS care"),
    ("d_i", "residential home placement or availability"),
    ("d_ii", "nursing home placement or availability"),
    ("e", "care package in own home"),
    ("f", "community equipment and adaptations"),
    ("g", "patient or family choice"),
    ("h", "disputes"),
    ("i", "housing"),
];

/// The delayed-transfer reason code a tag names (`dtoc_reason_e` names `e`), if it names one.
pub fn dtoc_reason(tag: &str) -> Option<&'static str> {
    let code = tag.strip_prefix("dtoc_reason_")?;
    DTOC_REASONS.iter().map(|(c, _)| *c).find(|c| *c == code)
}

/// Whether the metrics understand `tag`.
pub fn is_known_tag(tag: &str) -> bool {
    dtoc_reason(tag).is_some() || (KNOWN_TAGS.contains(&tag) && !tag.contains('<'))
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
    /// `age_band` is not `0-17` (a cohort without an age band counts as adults).
    pub adult: bool,
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
    /// Poisson arrivals at a rate given day by day (a dated table), shared among each day's hours
    /// by an hour profile; sampled exactly, by inverting the piecewise-constant cumulative rate.
    Dated {
        /// Mean arrivals on each day, day 0 first, for every day of the run.
        daily: Vec<f64>,
        /// Multipliers by hour of day, averaging 1 so that a day brings its table's rate.
        hour: [f64; 24],
    },
    /// Arrivals separated by independent draws of a distribution (e.g. fixed, for hand-checked
    /// tests), divided by `speed` (the scenario's demand scale).
    Renewal {
        /// The time between arrivals at a speed of 1.
        interarrival: Distribution,
        /// How many times faster arrivals come than `interarrival` says.
        speed: f64,
    },
}

/// Multipliers of a Poisson rate, constant within each hour (growth taken at the middle of the
/// hour's day); the process is sampled exactly by inverting its cumulative rate hour by hour.
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
    /// The delayed-transfer reason code of waiting for this node (`dtoc_reason_<code>` tag).
    pub dtoc_reason: Option<&'static str>,
    /// The cohorts (indices) some patient of which can reach the node, in cohort order.
    pub reached_by: Vec<u16>,
    /// False for a service switched off (`enabled = false`), now a pass-through.
    pub enabled: bool,
    /// What the node does.
    pub kind: NodeKind,
}

impl Node {
    /// The service, or `None` for an exit.
    pub fn service(&self) -> Option<&Service> {
        match &self.kind {
            NodeKind::Service(service) => Some(service),
            NodeKind::Exit => None,
        }
    }
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
    /// The staff group whose minutes are the units of those places (capacity `{ staff = "id" }`):
    /// each patient then uses the minutes its workload for that group needs that day. `None`:
    /// each patient uses one place.
    pub staffed_by: Option<u32>,
    /// Service duration unless a cohort or route overrides it; validation ensures it is given
    /// wherever some patient would use it.
    pub duration: Option<Distribution>,
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
    /// Hours of the week in which the service takes patients from other services (e.g. no
    /// community starts on Sundays); `None` is any time.
    pub admission_hours: Option<Box<[bool; HOURS_PER_WEEK]>>,
    /// Per cohort, the work each patient in service gives staff groups (empty: none).
    pub workloads: Vec<Vec<Workload>>,
}

impl Service {
    /// The distribution of the service time of a patient of `cohort` who will take `route`
    /// (`None`: not drawn yet): the route's, else the cohort's, else the service's.
    #[inline]
    pub fn duration_for(&self, cohort: usize, route: Option<usize>) -> &Distribution {
        route
            .and_then(|route| self.routes[cohort].choices[route].duration.as_ref())
            .or(self.cohort_duration[cohort].as_ref())
            .or(self.duration.as_ref())
            .expect("validation gives a duration to every patient who can reach the service")
    }

    /// The units of the service's places a patient of `cohort` uses on day `day` of its stay.
    #[inline]
    pub fn units_on(&self, cohort: usize, day: u32) -> u64 {
        match self.staffed_by {
            None => 1,
            Some(group) => {
                let minutes: f64 = self.workloads[cohort]
                    .iter()
                    .filter(|w| w.staff == group)
                    .map(|w| w.minutes_on(day))
                    .sum();
                (minutes * UNITS_PER_STAFF_MINUTE).round().max(1.0) as u64
            }
        }
    }

    /// The longest list of visits by day among a cohort's workloads: after that many days of a
    /// stay its workload no longer changes.
    pub fn workload_days(&self, cohort: usize) -> u32 {
        self.workloads[cohort]
            .iter()
            .map(|w| w.visits_per_day.len() as u32)
            .max()
            .unwrap_or(0)
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
    /// Time after service before a patient taking this route can move on (referral, brokerage,
    /// transport), spent in its place; for acute services, part of the discharge process.
    pub handover: Option<Distribution>,
}

impl RouteTable {
    /// The index of a route drawn from `rng` (no draw when there is only one).
    #[inline]
    pub fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> usize {
        let choices = &self.choices;
        if choices.len() == 1 {
            return 0;
        }
        let u: f64 = rand::Rng::random(rng);
        choices
            .iter()
            .position(|c| u < c.cumulative)
            .unwrap_or(choices.len() - 1)
    }
}
