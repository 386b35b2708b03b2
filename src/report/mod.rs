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

use std::collections::HashMap;
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
/// the levers' values. Then every statistic's summary, nested by its dotted path.
pub fn summary<'a>(model: &Model, summaries: &'a Summaries, facts: RunFacts) -> SummaryDocument<'a> {
    let mut root = JsonTree::default();
    let mut head = |key: &'static str, value: Value| root.set(key, Entry::Value(value));
    head("schema_version", json!(SCHEMA_VERSION));
    head("bcfsim_version", json!(env!("CARGO_PKG_VERSION")));
    head("scenario", json!(model.name));
    head("interrupted", json!(facts.interrupted));
    head("replications_requested", json!(facts.requested));
    head("replications", json!(facts.completed));
    head("first_replication", json!(facts.first_replication));
    head("seed", json!(model.run.seed));
    head("horizon_days", json!(model.run.horizon_days));
    head("warmup_days", json!(model.run.warmup_days));
    head("start_date", json!(model.run.start_date.to_string()));
    let provenance = &model.provenance;
    head("scenario_sha256", json!(provenance.scenario_sha256));
    head("overrides", json!(provenance.overrides));
    head("levers", levers(model));
    head("input_uncertainty", uncertain_inputs(model));
    for (path, summary) in summaries {
        let mut parts = path.split('.').peekable();
        let mut tree = &mut root;
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                tree.set(part, Entry::Summary(summary.as_ref()));
            } else {
                tree = tree.subtree(part);
            }
        }
    }
    SummaryDocument { root }
}

/// `summary.json` ([`summary`]), serialised as it is written: a run of many services never holds
/// it as a JSON tree, which is many times the size of its text (13 MB for a line of 1,000
/// services), only the statistics' paths and references to their summaries.
pub struct SummaryDocument<'a> {
    root: JsonTree<'a>,
}

impl SummaryDocument<'_> {
    /// Adds what a run to a precision reached, last.
    pub fn set_precision(&mut self, precision: Value) {
        self.root.set("precision", Entry::Value(precision));
    }
}

impl serde::Serialize for SummaryDocument<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.root.serialize(serializer)
    }
}

/// A JSON object's entries in the order they were first set, as `serde_json`'s map keeps them.
#[derive(Default)]
struct JsonTree<'a> {
    entries: Vec<(&'a str, Entry<'a>)>,
    /// Where each key is in `entries`: an object may hold thousands (a service's occupancy
    /// levels), so a key is not looked for entry by entry.
    index: HashMap<&'a str, usize>,
}

/// A value of a [`JsonTree`].
enum Entry<'a> {
    Value(Value),
    /// A statistic's summary, written as [`summary_json`] gives it (`null` where undefined).
    Summary(Option<&'a Summary>),
    Tree(JsonTree<'a>),
}

impl<'a> JsonTree<'a> {
    /// Sets `key` to `entry`, keeping the key's place if it has one.
    fn set(&mut self, key: &'a str, entry: Entry<'a>) {
        match self.index.get(key) {
            Some(&at) => self.entries[at].1 = entry,
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push((key, entry));
            }
        }
    }

    /// The object at `key`, new and last if there is none.
    fn subtree(&mut self, key: &'a str) -> &mut JsonTree<'a> {
        let at = match self.index.get(key) {
            Some(&at) => at,
            None => {
                self.set(key, Entry::Tree(JsonTree::default()));
                self.entries.len() - 1
            }
        };
        match &mut self.entries[at].1 {
            Entry::Tree(tree) => tree,
            _ => unreachable!("statistic paths never put a value where an object goes"),
        }
    }
}

impl serde::Serialize for JsonTree<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, entry) in &self.entries {
            match entry {
                Entry::Value(value) => map.serialize_entry(key, value)?,
                Entry::Summary(summary) => map.serialize_entry(key, &summary.map_or(Value::Null, summary_json))?,
                Entry::Tree(tree) => map.serialize_entry(key, tree)?,
            }
        }
        map.end()
    }
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
