//! The model against observed figures: `validation.json`, `validation.csv`, the console table
//! and the Markdown table a scenario's documentation carries.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::labels::number;
use crate::experiment::Check;
use crate::model::{Model, Observation};

/// An observed figure and how the model compares (`None`: no replication defined its statistic).
pub type Validated<'m> = (&'m Observation, Option<Check>);

/// Whether validation fails on a figure: it has a tolerance, and the model's mean lies outside it
/// or no replication defined the statistic.
pub fn fails((observation, check): &Validated<'_>) -> bool {
    observation.tolerance.is_some() && check.is_none_or(|c| c.fails())
}

/// What the figure is called for people: its label, or its statistic without `metrics.`, and
/// its period.
fn name(observation: &Observation) -> String {
    let name = observation
        .label
        .clone()
        .unwrap_or_else(|| observation.path.trim_start_matches("metrics.").to_owned());
    match &observation.period {
        Some(period) => format!("{name} ({period})"),
        None => name,
    }
}

/// Whether the figure passes: `fail` outside its tolerance, `ok` within it, `-` without one.
fn verdict(check: &Check) -> &'static str {
    match check.within_tolerance {
        Some(true) => "ok",
        Some(false) => "FAIL",
        None => "-",
    }
}

/// `validation.json`: each observed figure, the model's mean, interval, 5-95 % band, the
/// difference and the verdicts.
pub fn json(model: &Model, validated: &[Validated<'_>]) -> Value {
    let figures: Vec<Value> = validated
        .iter()
        .map(|(observation, check)| {
            json!({
                "metric": observation.path,
                "label": observation.label,
                "period": observation.period,
                "observed": observation.value,
                "observed_ci95": observation.ci95.map(|(low, high)| [low, high]),
                "source": observation.source,
                "tolerance": observation.tolerance,
                "replications": check.map_or(0, |c| c.replications),
                "mean": check.map(|c| c.mean),
                "ci95": check.and_then(|c| c.ci95).map(|(low, high)| [low, high]),
                "p5_p95": check.map(|c| [c.band.0, c.band.1]),
                "difference": check.map(|c| c.difference),
                "in_band": check.map(|c| c.in_band),
                "within_tolerance": check.and_then(|c| c.within_tolerance),
            })
        })
        .collect();
    let failed = validated.iter().filter(|figure| fails(figure)).count();
    json!({
        "schema_version": super::SCHEMA_VERSION,
        "bcfsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": model.name,
        "scenario_sha256": model.provenance.scenario_sha256,
        "seed": model.run.seed,
        "replications": model.run.replications,
        "failed": failed,
        "observed": figures,
    })
}

/// `validation.csv`: the same, one row per observed figure.
pub fn write_csv(out: impl Write, validated: &[Validated<'_>]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "metric",
        "period",
        "label",
        "observed",
        "source",
        "tolerance",
        "mean",
        "ci95_lo",
        "ci95_hi",
        "p5",
        "p95",
        "difference",
        "in_band",
        "within_tolerance",
    ])?;
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let flag = |v: Option<bool>| v.map(|v| v.to_string()).unwrap_or_default();
    for (observation, check) in validated {
        writer.write_record([
            observation.path.clone(),
            observation.period.clone().unwrap_or_default(),
            observation.label.clone().unwrap_or_default(),
            observation.value.to_string(),
            observation.source.clone(),
            number(observation.tolerance),
            number(check.map(|c| c.mean)),
            number(check.and_then(|c| c.ci95).map(|c| c.0)),
            number(check.and_then(|c| c.ci95).map(|c| c.1)),
            number(check.map(|c| c.band.0)),
            number(check.map(|c| c.band.1)),
            number(check.map(|c| c.difference)),
            flag(check.map(|c| c.in_band)),
            flag(check.and_then(|c| c.within_tolerance)),
        ])?;
    }
    writer.flush()
}

/// The console table: per figure the observed value, the model's mean and difference, whether
/// the observed value lies in the model's 5-95 % band, and the tolerance's verdict; within 80
/// columns (a long name has a line of its own).
pub fn table(validated: &[Validated<'_>], replications: u32) -> String {
    const NAME: usize = 38;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "validation: the model ({replications} replications) against observed figures"
    );
    let _ = writeln!(
        text,
        "{:<NAME$} {:>8} {:>7} {:>7} {:>4}  tolerance",
        "figure", "observed", "model", "diff", "band"
    );
    for (observation, check) in validated {
        let name = name(observation);
        let name = if name.chars().count() > NAME {
            let _ = writeln!(text, "{name}");
            String::new()
        } else {
            name
        };
        let observed = number(observation.value);
        let Some(check) = check else {
            let _ = writeln!(text, "{name:<NAME$} {observed:>8}  not defined in any replication");
            continue;
        };
        let tolerance = observation
            .tolerance
            .map(|t| format!("{} ±{t}", verdict(check)))
            .unwrap_or_else(|| "-".to_owned());
        let _ = writeln!(
            text,
            "{name:<NAME$} {observed:>8} {:>7} {:>7} {:>4}  {tolerance}",
            number(check.mean),
            signed(check.difference),
            if check.in_band { "in" } else { "out" },
        );
    }
    let _ = writeln!(
        text,
        "band: whether the observed figure lies within the 5th to 95th percentiles of the\n\
         replications; tolerance: whether the model's mean lies within it of the figure"
    );
    text
}

/// A difference with its sign.
fn signed(value: f64) -> String {
    let text = number(value);
    if value > 0.0 {
        format!("+{text}")
    } else {
        text
    }
}

/// The Markdown table of the figures, for a scenario's documentation: figure, observed value and
/// source, the model's mean and 95 % interval, its 5-95 % band, and the tolerance's verdict.
pub fn markdown(validated: &[Validated<'_>]) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "| figure | observed | source | model (mean, 95 % CI) | model 5-95 % | tolerance |"
    );
    let _ = writeln!(text, "|---|---|---|---|---|---|");
    for (observation, check) in validated {
        let model = check.map_or_else(
            || "not defined".to_owned(),
            |check| match check.ci95 {
                Some((low, high)) => format!("{} [{}, {}]", number(check.mean), number(low), number(high)),
                None => number(check.mean),
            },
        );
        let band = check.map_or_else(String::new, |check| {
            let inside = if check.in_band { "" } else { " (outside)" };
            format!("{} to {}{inside}", number(check.band.0), number(check.band.1))
        });
        let tolerance = match (observation.tolerance, check) {
            (Some(t), Some(check)) => format!("±{t}: {}", verdict(check)),
            (Some(t), None) => format!("±{t}: FAIL"),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            text,
            "| {} | {} | {} | {model} | {band} | {tolerance} |",
            name(observation),
            number(observation.value),
            observation.source,
        );
    }
    text
}
