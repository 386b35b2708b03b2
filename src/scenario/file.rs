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
    /// Calendar date of day 0, `YYYY-MM-DD`.
    #[serde(default = "default_start_date")]
    pub start_date: String,
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
    /// Rate multipliers for a non-homogeneous Poisson process.
    pub profile: Option<ProfileSection>,
    /// The first node of every arrival.
    pub to: String,
    /// Which cohorts arrivals belong to, with probabilities.
    #[serde(default)]
    pub cohorts: Vec<CohortShare>,
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
    /// Number of places, or `"unlimited"`.
    pub capacity: Capacity,
    /// Service duration.
    pub duration: DistributionSpec,
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
}

/// A string or a list of strings.
#[derive(Debug, Deserialize)]
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

/// A service's number of places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    /// This many places.
    Places(u32),
    /// As many as needed.
    Unlimited,
}

impl<'de> Deserialize<'de> for Capacity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CapacityVisitor;
        impl Visitor<'_> for CapacityVisitor {
            type Value = Capacity;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number of places from 0 to 4294967295, or \"unlimited\"")
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
        }
        deserializer.deserialize_any(CapacityVisitor)
    }
}
