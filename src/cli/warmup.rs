//! `bcfsim warmup`: run a scenario without a warm-up and judge from its output how long one it
//! needs (Welch's moving average and MSER-5), per statistic.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::json;

use bcfsim::calendar::Clock;
use bcfsim::experiment::warmup::{moving_average, mser5, settles_at, window};
use bcfsim::metrics::bcf::metric_names;
use bcfsim::metrics::trajectory::observed_months;
use bcfsim::metrics::ReplicationResult;
use bcfsim::model::simulation::NoTrace;
use bcfsim::model::{statistic_path, Model, NodeIndex};
use bcfsim::report::{self, series::MEASURES};
use bcfsim::runner::{self, Ending, RunError};

use super::run::{cannot_finish, folder_failure, interruption, load_base, prepare_runs, report_json, stop_flag};
use super::{console, Failure, ScenarioSource, WarmupArgs};

/// A statistic whose warm-up is judged, and where its value at each step is.
enum Followed {
    /// A BCF metric, month by month (counted over each month).
    Monthly { metric: String },
    /// A service's number in service, queued or held upstream, at each midnight: the `k`-th of
    /// the run's series services and the measure's position.
    Daily { service: usize, measure: usize },
}

/// One statistic's steps: sums and counts over replications.
struct Steps {
    path: String,
    followed: Followed,
    sums: Vec<f64>,
    counts: Vec<u32>,
}

/// Runs `bcfsim warmup`.
pub fn warmup(args: WarmupArgs) -> Result<(), Failure> {
    if args.runs.year.is_some() {
        return Err(Failure::Usage(
            "--year does not apply to warmup, which runs from the scenario's start".to_owned(),
        ));
    }
    let source = args
        .scenario
        .clone()
        .map_or(ScenarioSource::Default, ScenarioSource::File);
    let mut model = load_base(&source, &args.runs)?;
    let scenario_warmup = model.run.warmup_days;
    model.run.warmup_days = 0.0;
    let mut steps = followed(&mut model, &args.metrics)?;
    let clock = Clock::starting(model.run.start_date);
    let observed = observed_months(&model.run);
    let months: Vec<String> = observed
        .iter()
        .map(|m| format!("{:04}-{:02}", m.year, m.month))
        .collect();
    let month_starts: Vec<f64> = observed.iter().map(|&m| clock.time_of(m)).collect();
    let days = model.run.series_midnights().count();
    for step in &mut steps {
        let len = match step.followed {
            Followed::Monthly { .. } => months.len(),
            Followed::Daily { .. } => days,
        };
        step.sums = vec![0.0; len];
        step.counts = vec![0; len];
    }
    let (out, folder, plan) = prepare_runs(&model, &args.runs, "warmup")?;
    let series_services = model.run.series.len();
    let mut sink = |result: ReplicationResult| -> Result<(), Failure> {
        for step in &mut steps {
            match &step.followed {
                Followed::Monthly { metric } => {
                    for (k, label) in months.iter().enumerate() {
                        let value = result
                            .months
                            .iter()
                            .find(|(month, _)| month == label)
                            .and_then(|(_, values)| values.iter().find(|(name, _)| name == metric))
                            .and_then(|(_, value)| *value);
                        if let Some(value) = value {
                            step.sums[k] += value;
                            step.counts[k] += 1;
                        }
                    }
                }
                Followed::Daily { service, measure } => {
                    let per_day = series_services * MEASURES.len();
                    for (k, day) in result.series.chunks(per_day).enumerate() {
                        step.sums[k] += f64::from(day[service * MEASURES.len() + measure]);
                        step.counts[k] += 1;
                    }
                }
            }
        }
        Ok(())
    };
    let ran = runner::run_each(&model, &plan, stop_flag(), None::<NoTrace>, &mut sink);
    let (outcome, _) = ran.map_err(|error| match error {
        RunError::Sink(failure) => failure,
        RunError::Threads { threads, source } => {
            Failure::Io(anyhow::Error::new(source).context(format!("cannot start {threads} worker threads")))
        }
    })?;
    if let Some(failure) = cannot_finish(&model, &outcome.ending) {
        return Err(failure);
    }
    if outcome.ending == Ending::Interrupted {
        return Err(interruption(
            "interrupted: the warm-up is judged on every replication; nothing was written".to_owned(),
        ));
    }

    let mut csv = csv::Writer::from_writer(Vec::new());
    let mut judged = Vec::new();
    let _ = csv.write_record(["statistic", "step", "date", "day", "mean", "moving_average"]);
    for step in &steps {
        let means: Vec<f64> = step
            .sums
            .iter()
            .zip(&step.counts)
            .map(|(sum, &count)| if count > 0 { sum / f64::from(count) } else { f64::NAN })
            .collect();
        // A month no replication defined (a metric with no patients) is left out of the judgement.
        let defined: Vec<f64> = means.iter().copied().filter(|v| !v.is_nan()).collect();
        let w = window(defined.len());
        let average = moving_average(&defined, w);
        let (welch, mser) = (settles_at(&average), mser5(&defined));
        let start_day = |k: usize| match step.followed {
            Followed::Monthly { .. } => month_starts.get(k).copied().unwrap_or(model.run.horizon_days),
            Followed::Daily { .. } => k as f64,
        };
        let unit = match step.followed {
            Followed::Monthly { .. } => "month",
            Followed::Daily { .. } => "day",
        };
        let mut k_defined = 0;
        for (k, mean) in means.iter().enumerate() {
            let day = start_day(k);
            let average = if mean.is_nan() {
                None
            } else {
                k_defined += 1;
                average.get(k_defined - 1).copied()
            };
            let _ = csv.write_record([
                step.path.clone(),
                k.to_string(),
                clock.date(day).to_string(),
                day.to_string(),
                if mean.is_nan() { String::new() } else { mean.to_string() },
                average.map(|v| v.to_string()).unwrap_or_default(),
            ]);
        }
        judged.push((step.path.clone(), unit, w, start_day(welch), start_day(mser)));
    }
    let csv = csv
        .into_inner()
        .map_err(|e| Failure::Io(anyhow::Error::new(e.into_error())))?;
    let suggested = judged
        .iter()
        .map(|(_, _, _, welch, mser)| welch.max(*mser))
        .fold(0.0, f64::max);
    let mut root = report::audit(&model);
    root.insert("scenario_warmup_days".into(), json!(scenario_warmup));
    root.insert("suggested_warmup_days".into(), json!(suggested));
    root.insert(
        "statistics".into(),
        json!(judged
            .iter()
            .map(|(path, unit, w, welch, mser)| json!({
                "statistic": path, "step": unit, "welch_window": w,
                "welch_days": welch, "mser5_days": mser,
            }))
            .collect::<Vec<_>>()),
    );
    let text = report_json(&serde_json::Value::Object(root))?;
    folder
        .write("warmup.csv", |w| w.write_all(&csv))
        .map_err(folder_failure)?;
    folder
        .write("warmup.json", |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)?;
    folder.commit().map_err(folder_failure)?;

    if args.runs.json {
        return console::print(&text);
    }
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{}: warm-up judged on {} replications of {} days run without one",
        model.name, outcome.completed, model.run.horizon_days
    );
    let _ = writeln!(table, "{:<50} {:>5} {:>9} {:>9}", "statistic", "by", "Welch", "MSER-5");
    for (path, unit, _, welch, mser) in &judged {
        let name = console::shorten(path.trim_start_matches("metrics."), 50);
        let _ = writeln!(table, "{name:<50} {unit:>5} {welch:>9.0} {mser:>9.0}");
    }
    let advice = if suggested > scenario_warmup {
        format!(
            "suggested warm-up: {suggested:.0} days, longer than the scenario's {scenario_warmup} (set \
             simulation.warmup_days)"
        )
    } else {
        format!("suggested warm-up: {suggested:.0} days; the scenario's {scenario_warmup} is enough")
    };
    let _ = write!(
        table,
        "{}{}",
        console::wrap(
            "(days from the start after which each statistic's average over replications has settled \
             (Welch: its moving average stays in its steady band) or which MSER-5 would cut)",
            80,
            ""
        ),
        console::wrap(&advice, 80, "  ")
    );
    let _ = write!(
        table,
        "{}",
        console::wrap(&format!("results in {}", out.display()), 80, "  ")
    );
    console::print(&table)
}

/// The statistics `metrics` names (all BCF metrics, or every limited service's occupancy, when
/// none), with the model set to record the services they need by day.
fn followed(model: &mut Model, metrics: &[String]) -> Result<Vec<Steps>, Failure> {
    let known = metric_names(&model.network);
    let paths: Vec<String> = if metrics.is_empty() {
        if model.network.records_months() {
            known.iter().filter(|name| !name.contains("_by_")).cloned().collect()
        } else {
            model
                .network
                .limited_services()
                .iter()
                .map(|&n| format!("services.{}.mean_occupancy", model.network.nodes[n as usize].id))
                .collect()
        }
    } else {
        metrics.iter().map(|m| statistic_path(m)).collect()
    };
    let mut services = BTreeSet::new();
    let mut parsed = Vec::new();
    for path in paths {
        if known.contains(&path) {
            parsed.push((path.clone(), None, path));
            continue;
        }
        let daily = path
            .strip_prefix("services.")
            .and_then(|rest| rest.rsplit_once('.'))
            .and_then(|(id, statistic)| {
                let measure = ["mean_occupancy", "mean_queue", "mean_blocked_waiting"]
                    .iter()
                    .position(|s| *s == statistic)?;
                let node = model
                    .network
                    .nodes
                    .iter()
                    .position(|n| n.id == id && n.service().is_some())?;
                Some((node as NodeIndex, measure))
            });
        let Some((node, measure)) = daily else {
            return Err(Failure::Usage(format!(
                "--metric {}: the warm-up is judged on a BCF metric (by month) or a service's mean_occupancy, \
                 mean_queue or mean_blocked_waiting (by day)",
                path.trim_start_matches("metrics.")
            )));
        };
        services.insert(node);
        parsed.push((path, Some((node, measure)), String::new()));
    }
    model.run.series = services.into_iter().collect();
    Ok(parsed
        .into_iter()
        .map(|(path, daily, metric)| Steps {
            followed: match daily {
                Some((node, measure)) => Followed::Daily {
                    service: model.run.series.iter().position(|&n| n == node).expect("added above"),
                    measure,
                },
                None => Followed::Monthly { metric },
            },
            path,
            sums: Vec::new(),
            counts: Vec::new(),
        })
        .collect())
}
