//! What the report shows, as data: everything `report.html`, the plots and `results.xlsx` are
//! drawn from, built once from a run's results and saved beside them as `report.json`, so that
//! `bcfsim report OUTDIR` renders them again without running anything. Plain serializable values
//! (no model types), so that each renderer is a pure function of a [`ReportView`].

use serde::{Deserialize, Serialize};

/// The name of the saved view in a results folder.
pub const FILE: &str = "report.json";

/// The version of the `report.json` layout; raised whenever a key changes meaning or place.
pub const VIEW_VERSION: u32 = 1;

/// Everything a report shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    /// The layout's version ([`VIEW_VERSION`]).
    pub version: u32,
    /// Which command made the results.
    pub command: Command,
    /// What was run.
    pub run: RunInfo,
    /// The headline table: BCF metrics first, then staffing, costs and delays by cause.
    pub headline: Vec<HeadlineRow>,
    /// Every target of the scenario the run evaluated, whatever its period.
    pub targets: Vec<TargetRow>,
    /// Each BCF metric's values across replications.
    pub distributions: Vec<MetricDistribution>,
    /// Each BCF metric month by month, across replications.
    pub fans: Vec<Fan>,
    /// Patients in each finite-capacity service at each midnight of the results period.
    pub occupancy: Vec<DailyBand>,
    /// Staff needed on shift each day, per staff group.
    pub staffing: Vec<StaffingDays>,
    /// Delayed bed days by cause, month by month (mean across replications).
    pub delays: DelaysByCause,
    /// Costs by item, a year.
    pub costs: Vec<CostRow>,
    /// The network, for the pathway diagram.
    pub pathway: Pathway,
    /// The model against the scenario's observed figures.
    pub validation: Vec<ValidationRow>,
    /// The methods section (STRESS-DES).
    pub methods: Methods,
    /// `bcfsim compare`'s paired differences.
    pub compare: Option<CompareView>,
    /// `bcfsim sweep`'s grid.
    pub sweep: Option<SweepView>,
    /// `bcfsim sensitivity`'s ranking.
    pub sensitivity: Option<SensitivityView>,
}

/// The command whose results a report shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// `bcfsim run`.
    #[default]
    Run,
    /// `bcfsim compare`: the base run's results, and the differences.
    Compare,
    /// `bcfsim sweep`: the base point's results, and the grid.
    Sweep,
    /// `bcfsim sensitivity`.
    Sensitivity,
}

/// What was run, for the audit trail.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The scenario's name.
    pub scenario: String,
    /// The scenario file as given (`<default scenario>` for the embedded county).
    pub scenario_file: String,
    /// The SHA-256 of the scenario's text.
    pub scenario_sha256: String,
    /// bcfsim's version.
    pub bcfsim_version: String,
    /// The seed.
    pub seed: u64,
    /// Replications completed.
    pub replications: u32,
    /// Days of warm-up before results are counted.
    pub warmup_days: f64,
    /// Days simulated, warm-up included.
    pub horizon_days: f64,
    /// The simulation's first day (`YYYY-MM-DD`).
    pub start_date: String,
    /// The results period's first day.
    pub results_from: String,
    /// The results period's last day.
    pub results_to: String,
    /// Every `--set` applied, as typed.
    pub overrides: Vec<String>,
    /// Each lever, its label and the value it had.
    pub levers: Vec<Lever>,
    /// Whether the run was stopped before all its replications were done.
    pub interrupted: bool,
}

/// A lever of the scenario and its value in the run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Lever {
    /// The lever's name (`hca_fte`).
    pub name: String,
    /// What it is, for people.
    pub label: String,
    /// Its unit, where it has one.
    pub unit: Option<String>,
    /// Its value, as text (`58`, `on`).
    pub value: String,
}

/// Which part of the headline table a row belongs to, in the table's order ([`Section::ALL`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// A BCF metric.
    #[default]
    Metric,
    /// A staff group's need.
    Staffing,
    /// A cost.
    Cost,
    /// Delayed bed days for one cause.
    Delay,
    /// A service's waits and numbers, the headline of a scenario without BCF metrics, staff or
    /// costs.
    Service,
}

impl Section {
    /// Every section, in the headline's order.
    pub const ALL: [Section; 5] = [
        Section::Metric,
        Section::Staffing,
        Section::Cost,
        Section::Delay,
        Section::Service,
    ];
}

/// A row of the headline table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadlineRow {
    /// The part of the table.
    pub section: Section,
    /// The statistic's path in `summary.json`.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Its unit (`%`, `per 100,000`, `FTE`, `£ a year`, `bed days a year`).
    pub unit: String,
    /// The mean across replications (`None` where undefined in every one).
    pub mean: Option<f64>,
    /// The 95 % confidence interval of the mean.
    pub ci95: Option<[f64; 2]>,
    /// The scenario's target for the results period, where it has one.
    pub target: Option<Mark>,
    /// The published value, where the scenario gives one (`[[observed]]`).
    pub published: Option<Published>,
}

/// A target: the side of a value a statistic must be on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// `<=` or `>=`.
    pub bound: String,
    /// The value.
    pub value: f64,
    /// The period it is for (`2019/20`), where named.
    pub period: Option<String>,
    /// What it is, for people.
    pub label: Option<String>,
    /// The share of replications that met it, where known.
    pub probability_met: Option<f64>,
}

/// A target of the plan against the replications.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    /// The statistic's path.
    pub path: String,
    /// The statistic, for people.
    pub label: String,
    /// Its unit over the target's period.
    pub unit: String,
    /// The target, its period and the share of replications meeting it.
    pub mark: Mark,
    /// The mean of the statistic over the target's period.
    pub mean: Option<f64>,
}

/// A figure observed in the real system.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The value.
    pub value: f64,
    /// Where it comes from.
    pub source: String,
    /// The period it is for, where named.
    pub period: Option<String>,
}

/// A BCF metric's value in each replication.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricDistribution {
    /// The statistic's path.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Its unit.
    pub unit: String,
    /// One value per replication where it was defined.
    pub values: Vec<f64>,
    /// The mean.
    pub mean: f64,
    /// The 95 % confidence interval of the mean.
    pub ci95: Option<[f64; 2]>,
    /// The target for the results period, where there is one.
    pub target: Option<Mark>,
}

/// A metric month by month: percentiles across replications.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fan {
    /// The statistic's path.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// The unit of each month's figure.
    pub unit: String,
    /// The months (`YYYY-MM`).
    pub months: Vec<String>,
    /// The mean of each month.
    pub mean: Vec<f64>,
    /// The 10th percentile of each month.
    pub p10: Vec<f64>,
    /// The 25th percentile.
    pub p25: Vec<f64>,
    /// The median.
    pub p50: Vec<f64>,
    /// The 75th percentile.
    pub p75: Vec<f64>,
    /// The 90th percentile.
    pub p90: Vec<f64>,
    /// Targets comparable with a month's figure, each over the months it covers.
    pub targets: Vec<FanTarget>,
}

/// A target drawn over some months of a fan.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FanTarget {
    /// The target.
    pub mark: Mark,
    /// The first month it covers (`YYYY-MM`).
    pub from: String,
    /// The last month it covers.
    pub to: String,
}

/// A number at each midnight across replications: mean and the 10th-90th percentile band.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyBand {
    /// The service's id.
    pub id: String,
    /// What it is, for people.
    pub label: String,
    /// Its own places (the most at any hour where they vary by the hour), `None` where unlimited
    /// or shared in a pool; for staff, the people on shift the employed FTE give.
    pub capacity: Option<f64>,
    /// The dates (`YYYY-MM-DD`).
    pub dates: Vec<String>,
    /// The mean each day.
    pub mean: Vec<f64>,
    /// The 10th percentile each day.
    pub p10: Vec<f64>,
    /// The 90th percentile each day.
    pub p90: Vec<f64>,
}

/// A staff group's daily need.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StaffingDays {
    /// People needed on shift each day (mean and band across replications); `capacity` is the
    /// people on shift the group's employed FTE give, where it is fixed.
    pub on_shift: DailyBand,
    /// The FTE needed to cover the days at the group's coverage percentile (mean across
    /// replications).
    pub fte_needed: Option<f64>,
    /// The FTE employed, where fixed.
    pub fte_employed: Option<f64>,
    /// The people on shift the needed FTE give.
    pub on_shift_at_fte_needed: Option<f64>,
}

/// Delayed bed days by cause, month by month.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DelaysByCause {
    /// The months (`YYYY-MM`).
    pub months: Vec<String>,
    /// Each cause and its mean delayed bed days in each month.
    pub causes: Vec<CauseMonths>,
}

/// One cause of delay, month by month.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CauseMonths {
    /// The cause's id (a service waited for, or `discharge_process`).
    pub id: String,
    /// What it is, for people.
    pub label: String,
    /// Mean delayed bed days in each month.
    pub bed_days: Vec<f64>,
}

/// A cost item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostRow {
    /// The statistic's path.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Who pays, where known.
    pub payer: Option<String>,
    /// The mean, £ a year.
    pub mean: Option<f64>,
    /// The 95 % confidence interval.
    pub ci95: Option<[f64; 2]>,
}

/// The network as a diagram: nodes in columns from sources to exits, and the routes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pathway {
    /// The nodes.
    pub nodes: Vec<PathwayNode>,
    /// The routes.
    pub routes: Vec<Route>,
}

/// What a node of the diagram is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Where patients come from.
    #[default]
    Source,
    /// A service.
    Service,
    /// Where patients leave.
    Exit,
}

/// A node of the diagram.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PathwayNode {
    /// The id.
    pub id: String,
    /// What it is, for people.
    pub label: String,
    /// Source, service or exit.
    pub role: NodeRole,
    /// Its places (the mean where they vary), `None` where unlimited or staffed.
    pub capacity: Option<f64>,
    /// The staff whose time is its capacity, with their FTE (`HCA 58 FTE`), where it is staffed.
    pub staffed_by: Option<String>,
    /// The column from the left (sources 0), the longest route from a source.
    pub column: u32,
    /// Patients a year reaching it (mean), where counted.
    pub per_year: Option<f64>,
}

/// A route between two nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The node it leaves (an index into [`Pathway::nodes`]).
    pub from: usize,
    /// The node it reaches.
    pub to: usize,
    /// The share of patients leaving `from` who take it (over cohorts, weighted by arrivals),
    /// where known.
    pub probability: Option<f64>,
}

/// A figure observed against the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ValidationRow {
    /// What it is, for people.
    pub label: String,
    /// The statistic's path.
    pub path: String,
    /// The period, where named.
    pub period: Option<String>,
    /// The observed value.
    pub observed: f64,
    /// Where it comes from.
    pub source: String,
    /// The model's mean.
    pub model: Option<f64>,
    /// Whether the observed value lies within the replications' 5th-95th percentiles.
    pub in_band: Option<bool>,
    /// The tolerance, where given.
    pub tolerance: Option<f64>,
    /// Whether the model's mean lies within it.
    pub within_tolerance: Option<bool>,
}

/// The methods section, laid out along the STRESS-DES checklist.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Methods {
    /// Objectives: what the scenario is for (its opening comment).
    pub objectives: String,
    /// Model logic: one line per part of the network.
    pub logic: Vec<String>,
    /// Data sources: each input with a source in its comment.
    pub sources: Vec<Note>,
    /// Assumptions: each input whose comment says it is one.
    pub assumptions: Vec<Note>,
    /// Experimentation: replications, warm-up, horizon, seed, how intervals are formed.
    pub experimentation: Vec<String>,
    /// Implementation: software, version, random streams.
    pub implementation: Vec<String>,
}

/// An input of the scenario and what its comment says of it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// The input's place in the scenario (`services.acute.stay`).
    pub input: String,
    /// Its value as written.
    pub value: String,
    /// The comment.
    pub comment: String,
}

/// `bcfsim compare`: each alternative's paired differences from the base.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareView {
    /// The alternatives.
    pub alternatives: Vec<Alternative>,
}

/// An alternative and its differences.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// Its name.
    pub name: String,
    /// What it is, for people.
    pub label: String,
    /// The paired differences (alternative minus base) of the headline statistics.
    pub differences: Vec<Difference>,
}

/// A paired difference.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The statistic's path.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Its unit.
    pub unit: String,
    /// The base's mean.
    pub base: Option<f64>,
    /// The mean difference.
    pub mean: Option<f64>,
    /// Its 95 % confidence interval.
    pub ci95: Option<[f64; 2]>,
}

/// `bcfsim sweep`: the grid and each point's results.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepView {
    /// The parameters varied (one or two), with their values.
    pub axes: Vec<Axis>,
    /// The statistics shown, with the targets on them.
    pub statistics: Vec<SweptStatistic>,
    /// The points, in grid order (the first axis varying slowest).
    pub points: Vec<SweepPoint>,
}

/// A parameter varied.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The path or lever.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Its values.
    pub values: Vec<f64>,
}

/// A statistic shown for every point of a sweep.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweptStatistic {
    /// The statistic's path.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Its unit.
    pub unit: String,
    /// The target on it, where there is one.
    pub target: Option<Mark>,
}

/// A point of a sweep.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The index of its value on each axis.
    pub at: Vec<usize>,
    /// Each statistic's mean (in the order of [`SweepView::statistics`]).
    pub mean: Vec<Option<f64>>,
    /// Each statistic's 95 % interval.
    pub ci95: Vec<Option<[f64; 2]>>,
    /// The share of replications meeting every target, where there are targets.
    pub share_met: Option<f64>,
}

/// `bcfsim sensitivity`: for each statistic, the factors ranked by their effect.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SensitivityView {
    /// One tornado per statistic.
    pub statistics: Vec<Tornado>,
}

/// A statistic and each factor's effect on it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tornado {
    /// The statistic's path.
    pub path: String,
    /// What it is, for people.
    pub label: String,
    /// Its unit.
    pub unit: String,
    /// The base's mean.
    pub base: Option<f64>,
    /// The factors, largest effect first.
    pub factors: Vec<Factor>,
}

/// A factor moved from its low to its high value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The input or lever.
    pub name: String,
    /// Its low value, as text (`50`, `off`).
    pub low: String,
    /// Its high value.
    pub high: String,
    /// The statistic's mean change from the low to the high value (paired).
    pub effect: Option<f64>,
    /// Its 95 % confidence interval.
    pub ci95: Option<[f64; 2]>,
}
