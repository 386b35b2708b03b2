//! Targets: a statistic and the side of a value it must be on, as sweeps search for and plans
//! state them.

use std::fmt;
use std::str::FromStr;

/// Which side of its value a target wants a statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// At most the value (`<=`).
    AtMost,
    /// At least the value (`>=`).
    AtLeast,
}

/// A statistic and the value it must not pass: `METRIC<=VALUE` or `METRIC>=VALUE`, a name that
/// does not start with `services.`, `exits.`, `metrics.`, `staffing.` or `costs.` meaning
/// `metrics.<name>`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// The statistic's path in `summary.json`.
    pub path: String,
    /// Which side of `value` meets the target.
    pub bound: Bound,
    /// The value.
    pub value: f64,
}

/// The sections of `summary.json` that hold statistics.
pub const STATISTIC_SECTIONS: [&str; 5] = ["services", "exits", "metrics", "staffing", "costs"];

/// The path of the statistic a user names: `name` itself if it starts with a section of
/// `summary.json` (`services.`, `exits.`, `metrics.`, `staffing.`, `costs.`), else
/// `metrics.<name>`.
pub fn statistic_path(name: &str) -> String {
    let in_section = STATISTIC_SECTIONS
        .iter()
        .any(|section| name.strip_prefix(section).is_some_and(|rest| rest.starts_with('.')));
    if in_section {
        name.to_owned()
    } else {
        format!("metrics.{name}")
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (path, bound, value) = if let Some((path, value)) = text.split_once("<=") {
            (path, Bound::AtMost, value)
        } else if let Some((path, value)) = text.split_once(">=") {
            (path, Bound::AtLeast, value)
        } else {
            return Err(format!(
                "`{text}` is not METRIC<=VALUE or METRIC>=VALUE (e.g. 'delayed_days_per_100k_per_day<=3.7')"
            ));
        };
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("`{text}`: the metric has an empty part"));
        }
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("`{text}`: `{}` is not a number", value.trim()))?;
        Ok(Target {
            path: statistic_path(path),
            bound,
            value,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = match self.bound {
            Bound::AtMost => "<=",
            Bound::AtLeast => ">=",
        };
        write!(f, "{}{bound}{}", self.path, self.value)
    }
}

impl Target {
    /// Whether a replication's value meets the target; an undefined value does not.
    pub fn met(&self, value: Option<f64>) -> bool {
        value.is_some_and(|value| match self.bound {
            Bound::AtMost => value <= self.value,
            Bound::AtLeast => value >= self.value,
        })
    }
}

/// A target of a plan (`[[target]]`): a BCF metric, its bound, and the period it is for.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanTarget {
    /// The metric and its bound.
    pub target: Target,
    /// The period's label (a month `2019-12`, a quarter `2019/20 Q3`, a financial year `2019/20`,
    /// or a year to date `2019/20 to 2019-12`), or `None` for the whole observation window a
    /// year.
    pub period: Option<String>,
    /// What the target is, for people.
    pub label: Option<String>,
}

/// A figure observed in the real system (`[[observed]]`), to validate the model against.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The statistic's path in `summary.json`.
    pub path: String,
    /// The observed value.
    pub value: f64,
    /// Where it comes from.
    pub source: String,
    /// What it is, for people.
    pub label: Option<String>,
    /// The period's label, as for a [`PlanTarget`], or `None` for the whole results period.
    pub period: Option<String>,
    /// How far the model's mean may lie from it before validation fails.
    pub tolerance: Option<f64>,
    /// Its own 95 % interval, where known.
    pub ci95: Option<(f64, f64)>,
}
