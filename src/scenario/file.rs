//! The scenario file as the user writes it: serde types mirroring the TOML, nothing more.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[simulation]`: how to run.
    pub simulation: SimulationSection,
    /// `[[cohort]]`: kinds of patient.
    #[serde(default)]
    pub cohort: Vec<CohortSection>,
    /// `[[source]]`: arrival streams.
    #[serde(default)]
    pub source: Vec<SourceSection>,
    /// `[[service]]`: services.
    #[serde(default)]
    pub service: Vec<ServiceSection>,
    /// `[[exit]]`: ways out of the network.
    #[serde(default)]
    pub exit: Vec<ExitSection>,
    /// `[[pool]]`: places shared by several services.
    #[serde(default)]
    pub pool: Vec<PoolSection>,
    /// `[[staff]]`: staff groups whose workload is measured.
    #[serde(default)]
    pub staff: Vec<StaffSection>,
    /// `[population]`: the population metrics are rated against.
    pub population: Option<PopulationSection>,
    /// `[levers]`: named values the rest of the file refers to as `$name` (read, and replaced
    /// where referred to, before the file is read into these types).
    pub levers: Option<toml::Table>,
    /// `[costs]`: unit costs and who pays them.
    pub costs: Option<CostsSection>,
    /// `[[variant]]`: alternatives for `bcfsim compare` (read by [`super::variants()`]).
    #[serde(default)]
    pub variant: Vec<toml::Table>,
    /// `[[target]]`: the plan's targets, whose chance of being met a run reports.
    #[serde(default)]
    pub target: Vec<TargetSection>,
    /// `[[observed]]`: published or observed figures the model is validated against.
    #[serde(default)]
    pub observed: Vec<ObservedSection>,
    /// `[initial]`: the patients in the system when the run starts.
    pub initial: Option<InitialSection>,
}

/// `[initial]`: the patients already in the system at time 0 (a census), listed here or in a CSV
/// file of the same columns.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialSection {
    /// A CSV file (relative to the scenario's folder) with a header row and a row per patient or
    /// group of patients: `service` and `days`, and optionally `cohort`, `state`, `count`,
    /// `waiting_for`.
    pub census: Option<String>,
    /// Patients listed in the scenario itself.
    #[serde(default)]
    pub patients: Vec<InitialPatientsSection>,
    /// The rows of `census`, once read, each with where it is (`census.csv:14`).
    #[serde(skip)]
    pub census_rows: Vec<(String, InitialPatientsSection)>,
}

/// Patients of a census alike in service, state, days and cohort.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialPatientsSection {
    /// The service they are at.
    pub service: String,
    /// Their cohort (needed when there are several).
    pub cohort: Option<String>,
    /// In service (the default), queued, or held after service waiting for the next service.
    #[serde(default)]
    pub state: InitialStateName,
    /// Days already spent in service, or waiting (queued, or held after service).
    pub days: f64,
    /// How many patients (default 1).
    #[serde(default = "one_patient")]
    pub count: u32,
    /// For patients held after service: the service they wait for (else drawn from the route).
    pub waiting_for: Option<String>,
}

fn one_patient() -> u32 {
    1
}

/// Where a census patient is at its service, as written.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InitialStateName {
    /// In service.
    #[default]
    InService,
    /// In the queue.
    Queued,
    /// Finished, held in its place until the next service has room.
    Blocked,
}

impl InitialStateName {
    /// The name as written in a scenario.
    pub fn parse(text: &str) -> Option<InitialStateName> {
        match text {
            "in_service" => Some(InitialStateName::InService),
            "queued" => Some(InitialStateName::Queued),
            "blocked" => Some(InitialStateName::Blocked),
            _ => None,
        }
    }
}

/// `[[observed]]`: a figure observed in the real system, to check the model against.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedSection {
    /// The statistic: a path of `summary.json` (`services.acute.mean_wait`), or a metric's name.
    pub metric: String,
    /// The observed value, in the statistic's units.
    pub value: f64,
    /// Where the figure comes from.
    pub source: String,
    /// What the figure is, for people (default: the metric).
    pub label: Option<String>,
    /// The period the figure is for, if it is one of the run's months, quarters or years (then
    /// the model's figure for that period is compared); the whole results period if absent.
    pub period: Option<String>,
    /// How far from the model's mean the figure may lie, in the statistic's units, before
    /// `bcfsim validate` fails.
    pub tolerance: Option<f64>,
    /// The observed figure's own 95 % interval, where the source gives one.
    pub ci95: Option<[f64; 2]>,
}

/// `[[target]]`: a BCF metric, the bound it must stay within, and the period it is for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// The metric: its name (`care_home_admissions_65_per_100k`) or path (`metrics.…`).
    pub metric: String,
    /// The most the metric may be.
    pub at_most: Option<f64>,
    /// The least the metric may be.
    pub at_least: Option<f64>,
    /// The period: a month (`2019-12`), a quarter (`2019/20 Q3`), a financial year (`2019/20`)
    /// or a year to date (`2019/20 to 2019-12`); the whole observation window, a year, if absent.
    pub period: Option<String>,
    /// What the target is, for people.
    pub label: Option<String>,
}

/// `[costs]`: unit costs by what they are per, each keyed by the element it applies to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostsSection {
    /// Per day of a place in use at a service, by service id.
    #[serde(default)]
    pub service_day: BTreeMap<String, CostEntry>,
    /// Per episode completed at a service, by service id.
    #[serde(default)]
    pub service_episode: BTreeMap<String, CostEntry>,
    /// Per patient leaving by an exit, by exit id.
    #[serde(default)]
    pub exit: BTreeMap<String, CostEntry>,
    /// Per FTE employed a year, by staff group id.
    #[serde(default)]
    pub staff_fte_year: BTreeMap<String, CostEntry>,
    /// A year while a service runs, by service id.
    #[serde(default)]
    pub fixed_year: BTreeMap<String, CostEntry>,
    /// Per bed day of a delay for capacity, on top of the bed day.
    pub delayed_bed_day: Option<CostEntry>,
}

/// One unit cost: how much, and who pays.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostEntry {
    /// The cost per unit.
    pub value: f64,
    /// `"nhs"` or `"council"`.
    pub payer: PayerName,
}

/// Who pays, as written.
#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum PayerName {
    /// The NHS.
    Nhs,
    /// The county council.
    Council,
}

/// `[population]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSection {
    /// Everyone.
    pub total: f64,
    /// People aged 18 and over.
    pub aged_18_plus: f64,
    /// People aged 65 and over.
    pub aged_65_plus: f64,
}

/// `[[pool]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSection {
    /// The pool's id.
    pub id: String,
    /// Places in the pool.
    pub capacity: Capacity,
    /// Capacity by hour of the week.
    #[serde(default)]
    pub schedule: Vec<ScheduleWindow>,
}

/// `[[staff]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSection {
    /// The staff group's id.
    pub id: String,
    /// Full-time equivalents employed (needed when a capacity derives from the group).
    pub fte: Option<f64>,
    /// Minutes of visits and travel one person delivers in a shift.
    pub productive_minutes_per_shift: f64,
    /// Days of the week the service runs.
    #[serde(default = "seven")]
    pub days_covered_per_week: f64,
    /// Shifts one full-time equivalent works per week.
    pub shifts_per_fte_per_week: f64,
    /// Allowance for leave, sickness and training, in percent.
    #[serde(default)]
    pub uplift_pct: f64,
    /// The percentile of daily demand to staff for.
    #[serde(default = "ninety")]
    pub coverage_percentile: f64,
}

fn seven() -> f64 {
    7.0
}

fn ninety() -> f64 {
    90.0
}

/// Hours of the week: `{ days = "mon-fri", from = 8, to = 20 }`, hours 0 to 24.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct WeekWindow {
    /// Days: `"mon-fri"`, `"sat"`, `"all"`, or a list such as `["mon", "wed"]`.
    #[serde(default = "all_days")]
    pub days: OneOrMany,
    /// First hour, 0 to 23.
    pub from: u32,
    /// Hour at which the window closes, 1 to 24.
    pub to: u32,
}

fn all_days() -> OneOrMany {
    OneOrMany::One("all".to_owned())
}

/// A capacity in force during some hours of the week.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleWindow {
    /// The days.
    #[serde(default = "all_days")]
    pub days: OneOrMany,
    /// First hour, 0 to 23.
    pub from: u32,
    /// Hour at which the window closes, 1 to 24.
    pub to: u32,
    /// Places during the window.
    pub capacity: u32,
}

/// The work a service's patients give a staff group.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// The staff group.
    pub staff: String,
    /// Visits per patient per day: one number, or a list by day of the stay (the last holds).
    pub visits_per_day: OneOrList<f64>,
    /// Minutes per visit.
    pub minutes_per_visit: f64,
    /// Travel minutes per visit.
    #[serde(default)]
    pub travel_minutes: f64,
}

/// One value or a list of them, e.g. `visits_per_day = 3` or `visits_per_day = [4, 3, 2]`. Errors
/// inside either form are the inner type's own (an untagged enum would hide them).
#[derive(Debug, Clone)]
pub struct OneOrList<T>(pub Vec<T>);

impl<T> OneOrList<T> {
    /// The values, as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrListVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrListVisitor<T> {
            type Value = OneOrList<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrList)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|one| OneOrList(vec![one]))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
                T::deserialize(de::IntoDeserializer::into_deserializer(value)).map(|one| OneOrList(vec![one]))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                T::deserialize(de::IntoDeserializer::into_deserializer(value)).map(|one| OneOrList(vec![one]))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                T::deserialize(de::IntoDeserializer::into_deserializer(value)).map(|one| OneOrList(vec![one]))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                T::deserialize(de::IntoDeserializer::into_deserializer(value)).map(|one| OneOrList(vec![one]))
            }
            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
                T::deserialize(de::IntoDeserializer::into_deserializer(value)).map(|one| OneOrList(vec![one]))
            }
        }
        deserializer.deserialize_any(OneOrListVisitor(std::marker::PhantomData))
    }
}

/// `[simulation]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// The scenario's name (also the output folder's).
    pub name: String,
    /// Days simulated per replication.
    pub horizon_days: f64,
    /// Days simulated before statistics are collected.
    #[serde(default)]
    pub warmup_days: f64,
    /// Number of replications.
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// The seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Calendar date of day 0, `YYYY-MM-DD` (quoted, or a bare TOML date).
    #[serde(default = "default_start_date", deserialize_with = "date_text")]
    pub start_date: String,
    /// A replication with more patients in the system at once stops, and the run exits as unstable.
    #[serde(default = "default_max_patients_in_system")]
    pub max_patients_in_system: u64,
    /// A multiplier of every source's arrival rate ("5 % more demand" is 1.05).
    #[serde(default = "one")]
    pub demand_scale: f64,
    /// Tags of the user's own, beside those the metrics understand (a typo is then an error).
    #[serde(default)]
    pub tags: Vec<String>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// About 10 MB of patient state per replication: far above any care system's census, far below
/// what exhausts memory with a replication per core.
pub const DEFAULT_MAX_PATIENTS_IN_SYSTEM: u64 = 100_000;

fn default_max_patients_in_system() -> u64 {
    DEFAULT_MAX_PATIENTS_IN_SYSTEM
}

fn default_replications() -> u32 {
    100
}

fn default_seed() -> u64 {
    1
}

/// The first day of financial year 2025/26, in which BCF metrics are reported.
pub const DEFAULT_START_DATE: &str = "2025-04-01";

fn default_start_date() -> String {
    DEFAULT_START_DATE.to_owned()
}

/// A date written as a string or as a bare TOML date, as text (checked later).
fn date_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match toml::Value::deserialize(deserializer)? {
        toml::Value::String(text) => Ok(text),
        toml::Value::Datetime(date) => Ok(date.to_string()),
        other => Err(de::Error::invalid_type(
            de::Unexpected::Other(other.type_str()),
            &"a date written YYYY-MM-DD",
        )),
    }
}

/// `[[cohort]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSection {
    /// The cohort's id.
    pub id: String,
    /// Free-form attributes such as `age_band = "80+"` or `acsc = true`.
    #[serde(default)]
    pub attributes: BTreeMap<String, toml::Value>,
}

/// `[[source]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSection {
    /// The source's id.
    pub id: String,
    /// Mean Poisson arrivals per day.
    pub rate_per_day: Option<f64>,
    /// Instead of a rate: the distribution of the time between arrivals.
    pub interarrival: Option<DistributionSpec>,
    /// Instead of a constant rate: mean arrivals per day by date, from a CSV file with columns
    /// `date,rate_per_day` (relative to the scenario's folder) or listed.
    pub rate_by_date: Option<DatedRates>,
    /// With `rate_by_date`: the rate on days the table does not list (else they are an error).
    pub fallback_rate_per_day: Option<f64>,
    /// Rate multipliers for a non-homogeneous Poisson process.
    pub profile: Option<ProfileSection>,
    /// The first node of every arrival.
    pub to: String,
    /// Which cohorts arrivals belong to, with probabilities.
    #[serde(default)]
    pub cohorts: Vec<CohortShare>,
}

/// A source's `rate_by_date`: a CSV file's name, or the rates listed.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "a CSV file's name, or a list of { date = YYYY-MM-DD, rate_per_day = N }"
)]
pub enum DatedRates {
    /// A CSV file with columns `date,rate_per_day`, replaced by its rows once read.
    File(String),
    /// Rates listed in the scenario.
    Listed(Vec<DatedRate>),
}

/// One day's mean arrivals.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedRate {
    /// The day, YYYY-MM-DD.
    #[serde(deserialize_with = "date_text")]
    pub date: String,
    /// Mean arrivals that day.
    pub rate_per_day: f64,
}

/// `profile = { ... }` of a source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSection {
    /// 24 multipliers, hour 0 first.
    pub hour: Option<Vec<f64>>,
    /// 7 multipliers, Monday first.
    pub weekday: Option<Vec<f64>>,
    /// 12 multipliers, January first.
    pub month: Option<Vec<f64>>,
    /// Annual growth in percent.
    #[serde(default)]
    pub annual_growth_pct: f64,
}

/// One entry of a source's cohort mix.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortShare {
    /// The cohort id.
    pub cohort: String,
    /// Its probability.
    pub p: f64,
}

/// `[[service]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// The service's id.
    pub id: String,
    /// Number of places, `"unlimited"`, or `{ staff = "id" }`; omitted when `pool` is given.
    pub capacity: Option<Capacity>,
    /// Whether the service runs; when `false`, patients pass straight through to `bypass`.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where patients go instead while the service is switched off.
    pub bypass: Option<String>,
    /// Service duration, needed unless every patient's cohort or route gives one.
    pub duration: Option<DistributionSpec>,
    /// Per-cohort overrides of the duration.
    #[serde(default)]
    pub duration_by_cohort: BTreeMap<String, DistributionSpec>,
    /// `fifo` (default) or `priority`.
    #[serde(default)]
    pub discipline: Discipline,
    /// For `priority`: cohort ids, served first to last; unlisted cohorts come after.
    #[serde(default)]
    pub priority: Vec<String>,
    /// Most patients allowed to wait in the queue.
    pub queue_limit: Option<u32>,
    /// Longest wait in the queue before leaving for `on_timeout`.
    pub max_wait: Option<f64>,
    /// Where patients who wait `max_wait` go.
    pub on_timeout: Option<String>,
    /// Where arrivals that find no room go.
    pub on_full: Option<String>,
    /// Where patients go after service.
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
    /// Capacity by hour of the week; `capacity` applies outside the windows.
    #[serde(default)]
    pub schedule: Vec<ScheduleWindow>,
    /// Patients leave only during these hours (e.g. discharge hours); none means any time.
    #[serde(default)]
    pub leave_hours: Vec<WeekWindow>,
    /// Patients from other services are taken only during these hours; none means any time.
    #[serde(default)]
    pub admission_hours: Vec<WeekWindow>,
    /// Places come from this pool instead of the service's own capacity.
    pub pool: Option<String>,
    /// The work the service's patients give staff groups.
    pub workload: Option<OneOrList<WorkloadSection>>,
    /// Per cohort, the work its patients give instead of `workload`.
    #[serde(default)]
    pub workload_by_cohort: BTreeMap<String, OneOrList<WorkloadSection>>,
    /// Free strings used by metrics.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Queue discipline.
#[derive(Debug, Default, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Discipline {
    /// First in, first out.
    #[default]
    Fifo,
    /// By cohort priority, then first in first out.
    Priority,
}

/// One route out of a service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// The next node.
    pub to: String,
    /// Probability of this route (among the routes open to the patient's cohort).
    pub p: f64,
    /// Only patients of these cohorts may take the route.
    pub cohort: Option<OneOrMany>,
    /// The service duration of patients taking this route.
    pub duration: Option<DistributionSpec>,
    /// Time after service before patients taking this route can move on, spent in their place.
    pub handover: Option<DistributionSpec>,
}

/// A string or a list of strings.
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The strings, as a slice.
    pub fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}

/// `[[exit]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitSection {
    /// The exit's id.
    pub id: String,
    /// Free strings used by metrics.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A distribution as written, chosen by its `dist` field.
#[derive(Debug, Deserialize, Clone)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum DistributionSpec {
    /// `{ dist = "fixed", value }`
    Fixed {
        /// The value.
        value: f64,
    },
    /// `{ dist = "exponential", mean }`
    Exponential {
        /// The mean.
        mean: f64,
    },
    /// `{ dist = "uniform", min, max }`
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// `{ dist = "triangular", min, mode, max }`
    Triangular {
        /// Lower bound.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Upper bound.
        max: f64,
    },
    /// `{ dist = "lognormal", mean, sd }` or `{ dist = "lognormal", median, p95 }`
    Lognormal {
        /// Mean of the distribution.
        mean: Option<f64>,
        /// Standard deviation of the distribution.
        sd: Option<f64>,
        /// Median.
        median: Option<f64>,
        /// 95th percentile.
        p95: Option<f64>,
    },
    /// `{ dist = "gamma", mean, sd }`
    Gamma {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// `{ dist = "weibull", shape, scale }`
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ.
        scale: f64,
    },
    /// `{ dist = "erlang", k, mean }`
    Erlang {
        /// Number of phases.
        k: u32,
        /// Mean.
        mean: f64,
    },
    /// `{ dist = "empirical", values, weights }`
    Empirical {
        /// Possible values.
        values: Vec<f64>,
        /// Their weights (default all equal).
        weights: Option<Vec<f64>>,
    },
}

/// A number of places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capacity {
    /// This many places.
    Places(u32),
    /// As many as needed.
    Unlimited,
    /// As many as a staff group's FTE can serve, given the service's workload.
    Staff(String),
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CapacityVisitor;
        impl<'de> Visitor<'de> for CapacityVisitor {
            type Value = Capacity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number of places from 0 to 4294967295, \"unlimited\", or { staff = \"id\" }")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Capacity, E> {
                u32::try_from(value)
                    .map(Capacity::Places)
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(value), &self))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Capacity, E> {
                u32::try_from(value)
                    .map(Capacity::Places)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Capacity, E> {
                match value {
                    "unlimited" => Ok(Capacity::Unlimited),
                    _ => Err(E::invalid_value(de::Unexpected::Str(value), &self)),
                }
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Capacity, A::Error> {
                let mut staff = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "staff" => staff = Some(map.next_value::<String>()?),
                        other => return Err(de::Error::unknown_field(other, &["staff"])),
                    }
                }
                staff
                    .map(Capacity::Staff)
                    .ok_or_else(|| de::Error::missing_field("staff"))
            }
        }
        deserializer.deserialize_any(CapacityVisitor)
    }
}
