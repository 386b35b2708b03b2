//! A run's trajectory as a plan states it (`trajectories_summary.csv`) and its targets
//! (`trajectory_targets.json`, and lines for the console).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::stream::TrajectorySummaries;
use crate::experiment::TargetOutcome;
use crate::metrics::trajectory::unit;
use crate::model::{Bound, Model, PlanTarget};

/// `trajectories_summary.csv`: per period and metric, the figure's unit, mean and percentiles
/// across replications.
pub fn write_summary(out: &mut dyn Write, summaries: &TrajectorySummaries) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "period", "kind", "metric", "unit", "mean", "p10", "p25", "p50", "p75", "p90",
    ])?;
    let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    for (period, metric, summary) in summaries {
        let mut row = vec![
            period.label.clone(),
            period.kind.name().to_owned(),
            metric.clone(),
            unit(metric).to_owned(),
        ];
        row.extend(
            [
                summary.map(|s| s.mean),
                summary.map(|s| s.p10),
                summary.map(|s| s.p25),
                summary.map(|s| s.p50),
                summary.map(|s| s.p75),
                summary.map(|s| s.p90),
            ]
            .map(number),
        );
        writer.write_record(&row)?;
    }
    writer.flush()
}

fn bound(target: &PlanTarget) -> &'static str {
    match target.target.bound {
        Bound::AtMost => "at_most",
        Bound::AtLeast => "at_least",
    }
}

/// `trajectory_targets.json`: per target of the plan, the probability it is met and the values
/// achievable with 75 % and 90 % confidence.
pub fn targets_json(model: &Model, outcomes: &[(&PlanTarget, TargetOutcome)]) -> Value {
    let targets: Vec<Value> = outcomes
        .iter()
        .map(|(target, outcome)| {
            json!({
                "metric": target.target.path,
                "label": target.label,
                bound(target): target.target.value,
                "period": target.period,
                "unit": unit(&target.target.path),
                "replications": outcome.replications,
                "probability_met": outcome.probability_met,
                "probability_met_ci95": [outcome.probability_met_ci95.0, outcome.probability_met_ci95.1],
                "mean": outcome.mean,
                "achievable": { "75": outcome.achievable_75, "90": outcome.achievable_90 },
            })
        })
        .collect();
    json!({
        "schema_version": super::SCHEMA_VERSION,
        "bcfsim_version": env!("CARGO_PKG_VERSION"),
        "scenario": model.name,
        "seed": model.run.seed,
        "targets": targets,
    })
}

/// A sentence per target for the console.
pub fn targets_text(outcomes: &[(&PlanTarget, TargetOutcome)]) -> Vec<String> {
    outcomes
        .iter()
        .map(|(target, outcome)| {
            let period = target.period.as_deref().unwrap_or("a year");
            let value = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), super::labels::number);
            format!(
                "target {} ({period}): met in {:.0} % of replications (95 % interval {:.0} to {:.0} %); \
                 achievable {} with 90 % confidence, {} with 75 %",
                target.target.to_string().trim_start_matches("metrics."),
                100.0 * outcome.probability_met,
                100.0 * outcome.probability_met_ci95.0,
                100.0 * outcome.probability_met_ci95.1,
                value(outcome.achievable_90),
                value(outcome.achievable_75),
            )
        })
        .collect()
}
