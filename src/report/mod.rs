//! Writes results: a results folder written as one unit ([`folder`]), the per-replication files
//! streamed as replications complete ([`stream`]), `trace.csv` ([`trace`]), trajectories
//! ([`trajectory`]), numbers by day ([`series`]), occupancy distributions ([`occupancy`]), the
//! model against observed figures ([`validation`]), `summary.json`, and what people read: the
//! headline ([`headline`], [`labels`]) and, from a saved [`view`] built by [`assemble`], the
//! report ([`html`], [`pathway`]), plots ([`plots`]) and workbook ([`xlsx`]) that [`render`]
//! writes.

pub mod assemble;
pub mod folder;
pub mod headline;
pub mod html;
pub mod labels;
pub mod occupancy;
pub mod pathway;
pub mod plots;
pub mod render;
pub mod series;
pub mod stream;
pub mod trace;
pub mod trajectory;
pub mod validation;
pub mod view;
pub mod xlsx;

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::experiment::precision::replications_needed;
use crate::metrics::{columns, ReplicationResult, Summary};
use crate::model::{LeverValue, Model};
pub use folder::{FolderError, ResultsFolder};
pub use stream::{Place, Spill, SpillShape, StreamedResults, Summaries, TrajectorySummaries};
pub use trace::{TraceWriter, DEFAULT_TRACE_MAX_EVENTS};

/// The version of the `summary.json` layout; raised whenever a key changes meaning or place.
pub const SCHEMA_VERSION: u32 = 2;

/// What a run was, for the head of `summary.json`.
#[derive(Clone, Copy, Debug)]
pub struct RunFacts {
    /// Replications asked for.
    pub requested: u32,
    /// Replications completed (a contiguous range from `first_replication`).
    pub completed: u32,
    /// The index of the first replication.
    pub first_replication: u32,
    /// Whether the run was stopped before all were done.
    pub interrupted: bool,
}

/// Every statistic of `results` (in memory) summarised, in output order.
pub fn summaries(model: &Model, results: &[ReplicationResult]) -> Summaries {
    columns(&model.network, results)
        .into_iter()
        .map(|(path, values)| (path, Summary::of(values)))
        .collect()
}

fn summary_json(summary: &Summary) -> Value {
    json!({
        "mean": summary.mean,
        "ci95": summary.ci95.map(|(low, high)| [low, high]),
        "p10": summary.p10,
        "p50": summary.p50,
        "p90": summary.p90,
        "replications_for_5pct": summary.ci95.and_then(|(low, high)| {
            replications_needed(summary.n, (high - low) / 2.0, 0.05 * summary.mean.abs())
        }),
    })
}

/// Inserts `value` at the dotted `path` of nested objects.
pub fn insert_at(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut object = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            object.insert(part.to_owned(), value);
            return;
        }
        object = object
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .expect("statistic paths never put a value where an object goes");
    }
}

/// Each lever of `model` and the value it had, as JSON (`{ "hca_fte": 58, "opau_on": true }`).
pub fn levers(model: &Model) -> Value {
    let levers: Map<String, Value> = model
        .provenance
        .levers
        .iter()
        .map(|lever| {
            let value = match lever.value {
                LeverValue::Number(number) => json!(number),
                LeverValue::Switch(on) => json!(on),
            };
            (lever.name.clone(), value)
        })
        .collect();
    Value::Object(levers)
}

/// The uncertain inputs drawn for each replication, with their ranges (`[]` when none are: the
/// scenario has none, or `--no-input-uncertainty` ran them at their central values).
pub fn uncertain_inputs(model: &Model) -> Value {
    let inputs = model.uncertain.as_ref().map_or(&[][..], |u| u.inputs());
    Value::Array(
        inputs
            .iter()
            .map(|input| json!({ "input": input.name, "low": input.low, "central": input.central, "high": input.high }))
            .collect(),
    )
}

/// What every results file of several runs says first, for the audit trail: the versions, the
/// scenario and its SHA-256, the `--set`s, the levers, the uncertain inputs drawn, and how the runs
/// were set up; nothing that varies between identical runs.
pub fn audit(model: &Model) -> Map<String, Value> {
    let mut root = Map::new();
    root.insert("schema_version".into(), json!(SCHEMA_VERSION));
    root.insert("bcfsim_version".into(), json!(env!("CARGO_PKG_VERSION")));
    root.insert("scenario".into(), json!(model.name));
    root.insert("scenario_sha256".into(), json!(model.provenance.scenario_sha256));
    root.insert("overrides".into(), json!(model.provenance.overrides));
    root.insert("levers".into(), levers(model));
    root.insert("input_uncertainty".into(), uncertain_inputs(model));
    root.insert("replications".into(), json!(model.run.replications));
    root.insert("seed".into(), json!(model.run.seed));
    root.insert("horizon_days".into(), json!(model.run.horizon_days));
    root.insert("warmup_days".into(), json!(model.run.warmup_days));
    root
}

/// The contents of `summary.json`: identical for the same scenario, seed, replications and
/// version, whatever the threads or the machine's speed (no timings, no paths, no `--out`,
/// `--threads` or range). The audit trail: the scenario text's SHA-256, every `--set` applied, and
/// the levers' values.
pub fn summary(model: &Model, summaries: &Summaries, facts: RunFacts) -> Value {
    let mut root = Map::new();
    root.insert("schema_version".into(), json!(SCHEMA_VERSION));
    root.insert("bcfsim_version".into(), json!(env!("CARGO_PKG_VERSION")));
    root.insert("scenario".into(), json!(model.name));
    root.insert("interrupted".into(), json!(facts.interrupted));
    root.insert("replications_requested".into(), json!(facts.requested));
    root.insert("replications".into(), json!(facts.completed));
    root.insert("first_replication".into(), json!(facts.first_replication));
    root.insert("seed".into(), json!(model.run.seed));
    root.insert("horizon_days".into(), json!(model.run.horizon_days));
    root.insert("warmup_days".into(), json!(model.run.warmup_days));
    root.insert("start_date".into(), json!(model.run.start_date.to_string()));
    let provenance = &model.provenance;
    root.insert("scenario_sha256".into(), json!(provenance.scenario_sha256));
    root.insert("overrides".into(), json!(provenance.overrides));
    root.insert("levers".into(), levers(model));
    root.insert("input_uncertainty".into(), uncertain_inputs(model));
    for (path, summary) in summaries {
        let value = summary.as_ref().map_or(Value::Null, summary_json);
        insert_at(&mut root, path, value);
    }
    Value::Object(root)
}

/// The console table's column of statistic names; a longer name has a line of its own.
const NAME_WIDTH: usize = 46;

/// What a run was, in a line or two for the console: the scenario, replications, days, warm-up,
/// seed and the results period.
pub fn run_heading(model: &Model, completed: u32) -> String {
    let (from, to) = headline::results_period(model);
    format!(
        "{}: {} replications of {} days (warm-up {} days), seed {}\nresults from {from} to {to}; means with 95 % confidence intervals\n",
        model.name, completed, model.run.horizon_days, model.run.warmup_days, model.run.seed
    )
}

/// Every service's and exit's statistics (means with 95 % confidence intervals) within 80
/// columns, for `--detail`; the headline has the rest.
pub fn detail_table(summaries: &Summaries) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{:<NAME_WIDTH$} {:>11}  95% CI", "statistic", "mean");
    for (path, summary) in summaries {
        let by_service = path.starts_with("services.") || path.starts_with("exits.");
        if !by_service || path.contains(".occupancy_at_least.") || path.contains(".by_cohort.") {
            continue;
        }
        let name = if path.len() > NAME_WIDTH {
            let _ = writeln!(text, "{path}");
            ""
        } else {
            path.as_str()
        };
        let Some(summary) = summary else {
            let _ = writeln!(text, "{name:<NAME_WIDTH$} {:>11}", "-");
            continue;
        };
        let ci = summary
            .ci95
            .map(|(low, high)| format!("[{}, {}]", labels::number(low), labels::number(high)))
            .unwrap_or_default();
        let _ = writeln!(text, "{name:<NAME_WIDTH$} {:>11}  {ci}", labels::number(summary.mean));
    }
    text
}
