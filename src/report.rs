//! Writes results: `summary.json`, `replications.csv`, `trace.csv` and `run.json`, each
//! atomically (a temporary file renamed into place), plus the table printed on standard output.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::metrics::ReplicationResult;
use crate::metrics::{columns, Summary};
use crate::model::simulation::TraceRow;
use crate::model::Model;

/// The version of the `summary.json` layout; raised whenever a key changes meaning or place.
pub const SCHEMA_VERSION: u32 = 1;

/// An output file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    path: PathBuf,
    source: io::Error,
}

/// Writes `contents` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees a half-written file.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), WriteError> {
    let error = |source| WriteError {
        path: path.to_owned(),
        source,
    };
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(folder).map_err(error)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = io::BufWriter::new(fs::File::create(&temporary)?);
        write(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(error)
}

fn summary_json(summary: &Summary) -> Value {
    json!({
        "mean": summary.mean,
        "ci95": summary.ci95.map(|(low, high)| [low, high]),
        "p10": summary.p10,
        "p50": summary.p50,
        "p90": summary.p90,
    })
}

/// Inserts `value` at the dotted `path` of nested objects.
fn insert_at(root: &mut Map<String, Value>, path: &str, value: Value) {
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

/// The contents of `summary.json`: identical for the same scenario, seed, replications and
/// version, whatever the threads or the machine's speed (no timings, no paths).
///
/// `requested` replications were asked for; `results` holds the completed ones, fewer when the
/// run was `interrupted`.
pub fn summary(model: &Model, results: &[ReplicationResult], requested: u32, interrupted: bool) -> Value {
    let mut root = Map::new();
    root.insert("schema_version".into(), json!(SCHEMA_VERSION));
    root.insert("bcfsim_version".into(), json!(env!("CARGO_PKG_VERSION")));
    root.insert("scenario".into(), json!(model.name));
    root.insert("interrupted".into(), json!(interrupted));
    root.insert("replications_requested".into(), json!(requested));
    root.insert("replications".into(), json!(results.len()));
    root.insert(
        "first_replication".into(),
        json!(results.first().map_or(0, |r| r.replication)),
    );
    root.insert("seed".into(), json!(model.run.seed));
    root.insert("horizon_days".into(), json!(model.run.horizon_days));
    root.insert("warmup_days".into(), json!(model.run.warmup_days));
    root.insert("start_date".into(), json!(model.run.start_date.to_string()));
    for (path, values) in columns(&model.network, results) {
        let value = Summary::of(values).map_or(Value::Null, |s| summary_json(&s));
        insert_at(&mut root, &path, value);
    }
    Value::Object(root)
}

/// Writes `replications.csv`: one row per replication and statistic; undefined values are empty.
pub fn write_replications_csv(out: &mut dyn Write, model: &Model, results: &[ReplicationResult]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["replication", "statistic", "value"])?;
    let columns = columns(&model.network, results);
    for (row, result) in results.iter().enumerate() {
        let replication = result.replication.to_string();
        for (path, values) in &columns {
            let value = values[row].map(|v| v.to_string()).unwrap_or_default();
            writer.write_record([replication.as_str(), path.as_str(), value.as_str()])?;
        }
    }
    writer.flush()
}

/// Writes `trajectories.csv`: every metric of every replication month by month (rates annualised
/// as in `summary.json`); undefined values are empty.
pub fn write_trajectories_csv(out: &mut dyn Write, results: &[ReplicationResult]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["replication", "month", "metric", "value"])?;
    for result in results {
        let replication = result.replication.to_string();
        for (month, values) in &result.months {
            for (name, value) in values {
                let value = value.map(|v| v.to_string()).unwrap_or_default();
                writer.write_record([replication.as_str(), month.as_str(), name.as_str(), value.as_str()])?;
            }
        }
    }
    writer.flush()
}

/// Writes `trace.csv`: one row per patient event, with cohort and node ids.
pub fn write_trace_csv(out: &mut dyn Write, model: &Model, rows: &[TraceRow]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["time", "patient", "cohort", "node", "event"])?;
    let network = &model.network;
    for row in rows {
        writer.write_record([
            row.time.to_string().as_str(),
            row.patient.to_string().as_str(),
            network.cohorts[row.cohort as usize].id.as_str(),
            network.nodes[row.node as usize].id.as_str(),
            row.event.name(),
        ])?;
    }
    writer.flush()
}

fn format_number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// A readable table of the main statistics (means with 95 % confidence intervals).
pub fn table(model: &Model, results: &[ReplicationResult]) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} replications of {} days (warm-up {} days), seed {}",
        model.name,
        results.len(),
        model.run.horizon_days,
        model.run.warmup_days,
        model.run.seed
    );
    let _ = writeln!(text, "{:<48} {:>12}  {:>25}", "statistic", "mean", "95% CI");
    for (path, values) in columns(&model.network, results) {
        if path.contains(".occupancy_at_least.") || path.contains(".by_cohort.") {
            continue;
        }
        let Some(summary) = Summary::of(values) else {
            let _ = writeln!(text, "{path:<48} {:>12}", "-");
            continue;
        };
        let ci = summary
            .ci95
            .map(|(low, high)| format!("[{}, {}]", format_number(low), format_number(high)))
            .unwrap_or_default();
        let _ = writeln!(text, "{path:<48} {:>12}  {ci:>25}", format_number(summary.mean));
    }
    text
}
