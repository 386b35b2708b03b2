//! `bcfsim run`: run a scenario's replications and write the results folder; and the steps every
//! command that simulates shares (threads, signals, warnings, one model run into a folder).

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;

use bcfsim::calendar::{Clock, Date};
use bcfsim::experiment::precision::{progress, Precision, Progress};
use bcfsim::experiment::{better, check, evaluate, paired, Paired, TargetOutcome};
use bcfsim::metrics::bcf::metric_names;
use bcfsim::metrics::{Band, Layout, ServiceStatistics, Summary};
use bcfsim::model::simulation::Tracer;
use bcfsim::model::{load, statistic_path, LeverValue, Model, PlanTarget};
use bcfsim::report::{
    self, FolderError, ResultsFolder, RunFacts, Spill, StreamedResults, Summaries, TraceWriter, TrajectorySummaries,
};
use bcfsim::runner::{self, Ending, RunError, RunOutcome, RunPlan};
use bcfsim::scenario::{self, Override, MAX_METRIC_HORIZON_DAYS, MAX_REPLICATIONS};

use super::{
    console, shard, Failure, Mode, RunConfig, RunsArgs, ScenarioSource, DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME,
};

/// Raised by the first Ctrl-C or SIGTERM: replications stop within a second and completed ones
/// are kept. A second signal ends the process at once.
static STOP: AtomicBool = AtomicBool::new(false);
/// Raised by SIGTERM, so the exit code can say which signal it was.
static TERMINATED: AtomicBool = AtomicBool::new(false);

/// Arrivals over all replications above which the run is announced as long before it starts.
const LONG_RUN_ARRIVALS: f64 = 1e8;
/// Worker threads per core beyond which more only cost time to start.
const MAX_THREADS_PER_CORE: usize = 4;

/// Runs the replications `config` asks for and writes the results folder; with `--shard`, only
/// the shard's share of them, kept for `bcfsim merge` beside the usual files.
pub fn run(config: RunConfig) -> Result<(), Failure> {
    let mut model = run_model(&config)?;
    if matches!(config.mode, Mode::Validate { .. }) && model.observed.is_empty() {
        return Err(Failure::Usage(format!(
            "scenario `{}` has no [[observed]] figures to validate against",
            model.name
        )));
    }
    let watched = config
        .precision
        .as_ref()
        .map(|asked| {
            Ok::<_, Failure>(ToPrecision {
                paths: watched_statistics(&model, &asked.metrics)?,
                precision: asked.precision,
                cap: asked.max_replications,
            })
        })
        .transpose()?;
    let mut stop = None;
    let total = model.run.replications;
    let mut first = config.first_replication;
    if let Some(shard) = &config.shard {
        let share = shard.share(u64::from(total), "replications")?;
        first = share.start as u32;
        model.run.replications = (share.end - share.start) as u32;
    }
    let replications = replication_range(first, model.run.replications)?;
    if let Some(to) = &watched {
        replication_range(first, to.cap)?;
    }
    let threads = capped_threads(config.threads);
    let out = config
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(&model.name));
    let folder = ResultsFolder::prepare(&out).map_err(folder_failure)?;
    warn_before_running(&model);
    catch_signals()?;
    let plan = RunPlan {
        replications,
        threads,
        progress: std::io::stderr().is_terminal(),
    };
    let trace = config
        .trace
        .map(|max_events| {
            let file = folder.create("trace.csv")?;
            TraceWriter::new(file, &model.network, max_events).map_err(|source| FolderError::Io {
                path: out.join("trace.csv"),
                source,
            })
        })
        .transpose()
        .map_err(folder_failure)?;
    let Simulated {
        outcome,
        spill,
        trace,
        wall_seconds,
    } = match &watched {
        Some(to) => {
            let (simulated, how) = simulate_to(&model, &plan, &folder, "", true, trace, Some(to))?;
            stop = how;
            if stop.is_some() {
                model.run.replications = simulated.outcome.completed;
            }
            simulated
        }
        None => simulate(&model, &plan, &folder, "", config.shard.is_none(), trace)?,
    };
    let interrupted = outcome.ending == Ending::Interrupted;
    if let Some(shard) = config.shard {
        write_run_json(&folder, "", &outcome, wall_seconds, threads, serde_json::Value::Null)?;
        let shape = spill.keep(shard::VALUES).map_err(folder_failure)?;
        shard::keep(
            folder,
            shard::Held {
                command: "run",
                models: vec![&model],
                replications: total,
                points: 1,
                shard,
                held: u64::from(first)..u64::from(first + outcome.completed),
                events: outcome.events,
                seconds: wall_seconds,
                spills: vec![shard::KeptSpill {
                    prefix: String::new(),
                    shape,
                }],
                points_held: Vec::new(),
            },
        )?;
        if interrupted {
            return Err(interruption(format!(
                "interrupted: {} of the shard's {} replications completed and were kept in {}; the merge will name \
                 the rest as missing. Rerun the same command for the whole shard",
                outcome.completed,
                model.run.replications,
                out.display()
            )));
        }
        return Ok(());
    }
    let facts = RunFacts {
        requested: model.run.replications,
        completed: outcome.completed,
        first_replication: first,
        interrupted,
    };
    let (precision, precision_line) = match (&watched, &stop) {
        (Some(to), Some(stop)) => {
            let (json, line) = precision_reached(to, stop, outcome.completed);
            (Some(json), line)
        }
        _ => (None, String::new()),
    };
    let written = write_results(&config, &model, &folder, &spill, facts, precision)?;
    let mut trace_info = serde_json::Value::Null;
    if let Some(trace) = trace {
        let path = out.join("trace.csv");
        let (file, events, truncated) = trace
            .finish()
            .map_err(|source| folder_failure(FolderError::Io { path, source }))?;
        folder.finish("trace.csv", file).map_err(folder_failure)?;
        trace_info = serde_json::json!({ "events": events, "truncated": truncated });
        if truncated {
            console::notice(&format!(
                "warning: trace.csv stopped after {events} events (--trace-max-events); the replication ran on"
            ));
        }
    }
    write_run_json(&folder, "", &outcome, wall_seconds, threads, trace_info)?;
    spill.discard().map_err(folder_failure)?;
    folder.commit().map_err(folder_failure)?;

    let footer = format!(
        "{} events in {:.2} s ({:.1} million events/s); results in {}{}",
        report::labels::grouped(outcome.events as f64, 0),
        wall_seconds,
        outcome.events as f64 / wall_seconds.max(1e-9) / 1e6,
        out.display(),
        if config.report {
            format!(", the report in {}", out.join(report::render::HTML).display())
        } else {
            String::new()
        }
    );
    print_results(&config, &model, &written, outcome.completed, &precision_line, &footer)?;
    if interrupted {
        return Err(interruption(format!(
            "interrupted: {} of {} replications completed; their results are in {}, marked \"interrupted\": true. \
             Rerun the same command for the full results",
            outcome.completed,
            model.run.replications,
            out.display()
        )));
    }
    if let Mode::Validate { .. } = config.mode {
        let failed: Vec<String> = written
            .validated
            .iter()
            .filter(|figure| report::validation::fails(figure))
            .map(|(observation, _)| {
                let period = observation
                    .period
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default();
                format!("{}{period}", observation.path)
            })
            .collect();
        if !failed.is_empty() {
            return Err(Failure::Validation(format!(
                "validation failed: the model's mean lies outside the tolerance of {} observed\nfigure{}:\n  {}",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                failed.join("\n  ")
            )));
        }
    }
    Ok(())
}

/// The model `config` runs: its scenario with the `--set`s, replications and seed, the uncertain
/// inputs drawn or central, the financial year and the services followed by day. `bcfsim merge`
/// builds it again the same way from what a shard recorded.
pub(super) fn run_model(config: &RunConfig) -> Result<Model, Failure> {
    let mut model = load(&config.scenario, &config.overrides, config.replications, config.seed)?;
    if !config.input_uncertainty {
        model.uncertain = None;
    }
    if let Some(year) = config.year {
        observe_year(&mut model, year)?;
    }
    if let Some(services) = &config.series {
        model.run.series = series_services(&model, services)?;
    }
    Ok(model)
}

/// What `summary.json` and the console say of a run to a precision that stopped as `stop` after
/// `completed` replications.
fn precision_reached(to: &ToPrecision, stop: &Stop, completed: u32) -> (serde_json::Value, String) {
    let short: Vec<&str> = match stop {
        Stop::Met => Vec::new(),
        Stop::Capped(short) => short.iter().map(|&k| to.paths[k].as_str()).collect(),
    };
    let json = serde_json::json!({
        "half_width_at_most": to.precision.to_string(),
        "statistics": to.paths,
        "max_replications": to.cap,
        "replications_needed": completed,
        "stopped": if short.is_empty() { "met" } else { "max_replications" },
        "not_met": short,
    });
    let line = if short.is_empty() {
        format!(
            "{} replications brought the 95 % half-width of {} statistic{} within {}",
            completed,
            to.paths.len(),
            if to.paths.len() == 1 { "" } else { "s" },
            describe(to.precision)
        )
    } else {
        format!(
            "stopped at --max-replications {}: {} not yet within {}",
            to.cap,
            short.join(", "),
            describe(to.precision)
        )
    };
    (json, console::wrap(&line, 80, "  "))
}

/// A run's results as written, for the console.
pub(super) struct Written<'m> {
    /// `summary.json` as written, where the console prints it (`--json`).
    pub summary_text: Option<String>,
    /// Every statistic summarised across replications.
    pub summaries: Summaries,
    /// The trajectory summarised, and the targets evaluated.
    pub trajectory: Trajectory<'m>,
    /// Each observed figure against the model.
    pub validated: Vec<report::validation::Validated<'m>>,
    /// What the report shows.
    pub view: report::view::ReportView,
}

/// Writes everything a run's results hold beyond its per-replication files (already in
/// `folder`), from its spilled values: `summary.json` (with `precision` where the run went to a
/// precision), the trajectory, the numbers by day, the validation, `report.json` and, with
/// `--report`, the report. `bcfsim run` calls it once its replications are done, `bcfsim merge`
/// once the shards' values are joined, so a merged run's files are the single run's.
pub(super) fn write_results<'m>(
    config: &RunConfig,
    model: &'m Model,
    folder: &ResultsFolder,
    spill: &Spill<'_>,
    facts: RunFacts,
    precision: Option<serde_json::Value>,
) -> Result<Written<'m>, Failure> {
    let summaries = spill.summaries().map_err(folder_failure)?;
    let summary_text = write_summary(config, model, folder, &summaries, facts, precision)?;
    let trajectory = write_trajectory(folder, "", model, spill)?;
    let by_day = write_by_day(folder, "", model, spill, &summaries)?;
    let validated = write_validation(folder, model, spill)?;
    let summarised = Summarised {
        summaries: &summaries,
        trajectory: &trajectory,
        by_day: &by_day,
        validated: &validated,
        facts,
    };
    let view = write_view(folder, "", model, spill, &summarised, &config.scenario)?;
    if config.report {
        let per_replication = read_per_replication(folder, "")?;
        report::render::write(folder, "", &view, &per_replication).map_err(folder_failure)?;
    }
    Ok(Written {
        summary_text,
        summaries,
        trajectory,
        validated,
        view,
    })
}

/// Writes `summary.json` (with `precision` where the run went to a precision); returns its text
/// where the console prints it (`--json`).
fn write_summary(
    config: &RunConfig,
    model: &Model,
    folder: &ResultsFolder,
    summaries: &Summaries,
    facts: RunFacts,
    precision: Option<serde_json::Value>,
) -> Result<Option<String>, Failure> {
    let mut summary = report::summary(model, summaries, facts);
    if let Some(precision) = precision {
        summary.set_precision(precision);
    }
    let text = config.json.then(|| report_json(&summary)).transpose()?;
    folder
        .write("summary.json", |w| match &text {
            Some(text) => w.write_all(text.as_bytes()),
            None => write_report_json(w, &summary),
        })
        .map_err(folder_failure)?;
    Ok(text)
}

/// Prints what `config.mode` asks of a run's results (`written`, of `completed` replications):
/// the summary JSON, the headline table with the targets, validation and `precision` lines, or
/// the validation alone; `footer` ends the table.
pub(super) fn print_results(
    config: &RunConfig,
    model: &Model,
    written: &Written<'_>,
    completed: u32,
    precision: &str,
    footer: &str,
) -> Result<(), Failure> {
    let validated = &written.validated;
    let validation = if validated.is_empty() {
        String::new()
    } else {
        format!("\n{}", report::validation::table(validated, completed))
    };
    match config.mode {
        Mode::Run if config.json => console::print(written.summary_text.as_deref().expect("kept with --json")),
        Mode::Run => {
            let targets: String = report::trajectory::targets_text(&written.trajectory.outcomes)
                .iter()
                .map(|line| console::wrap(line, 80, "  "))
                .collect();
            let detail = if config.detail {
                format!("\n{}", report::detail_table(&written.summaries))
            } else {
                String::new()
            };
            console::print(&format!(
                "{}{}{detail}\n{targets}{validation}{precision}{}",
                report::run_heading(model, completed),
                report::headline::table(&written.view.headline),
                console::wrap(footer, 80, "  ")
            ))
        }
        Mode::Validate { markdown: true } => console::print(&report::validation::markdown(validated)),
        Mode::Validate { markdown: false } => {
            console::print(&format!("{validation}{}", console::wrap(footer, 80, "  ")))
        }
    }
}

/// Writes `validation.json` and `validation.csv` where the scenario has observed figures, and
/// returns each figure against the model. A statistic the run did not produce (a scheme switched
/// off, a misspelt tail of a path) is warned about and left unchecked.
fn write_validation<'m>(
    folder: &ResultsFolder,
    model: &'m Model,
    spill: &Spill<'_>,
) -> Result<Vec<report::validation::Validated<'m>>, Failure> {
    let mut validated = Vec::with_capacity(model.observed.len());
    for observation in &model.observed {
        let place = match &observation.period {
            Some(period) => spill.trajectory_place(period, &observation.path),
            None => spill.place(&observation.path),
        };
        let Some(place) = place else {
            let why = match &observation.period {
                Some(period) if spill.place(&observation.path).is_some() => {
                    format!("the results period does not cover {period} in whole months")
                }
                _ => "the results have no such statistic".to_owned(),
            };
            console::notice(&format!(
                "warning: the observed figure for {} is not checked: {why}",
                observation.path
            ));
            validated.push((observation, None));
            continue;
        };
        let values = spill.read(&[place]).map_err(folder_failure)?;
        validated.push((observation, check(observation, &values[0])));
    }
    if validated.is_empty() {
        return Ok(validated);
    }
    let text = report_json(&report::validation::json(model, &validated))?;
    folder
        .write("validation.json", |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)?;
    folder
        .write("validation.csv", |w| report::validation::write_csv(w, &validated))
        .map_err(folder_failure)?;
    Ok(validated)
}

/// One model's run, written into a results folder: how it went, its spilled values, its trace.
pub(super) struct Simulated<'f, T> {
    pub outcome: RunOutcome,
    pub spill: Spill<'f>,
    pub trace: Option<T>,
    pub wall_seconds: f64,
}

/// Runs `plan`'s replications of `model`, streaming the results into `folder` under `prefix`:
/// the spill, and `with_rows` the per-replication files (a shard keeps only its spill).
/// A run that could not finish (unstable, stalled, interrupted before any replication completed)
/// is a failure; one interrupted later is returned as it is.
pub(super) fn simulate<'f, T: Tracer + Send>(
    model: &Model,
    plan: &RunPlan,
    folder: &'f ResultsFolder,
    prefix: &str,
    with_rows: bool,
    trace: Option<T>,
) -> Result<Simulated<'f, T>, Failure> {
    simulate_to(model, plan, folder, prefix, with_rows, trace, None).map(|(simulated, _)| simulated)
}

/// A run to a precision: the statistics watched, the precision each must reach and the most
/// replications to run.
pub(super) struct ToPrecision {
    pub paths: Vec<String>,
    pub precision: Precision,
    pub cap: u32,
}

/// How a run to a precision stopped.
pub(super) enum Stop {
    /// Every watched statistic reached the precision.
    Met,
    /// The cap was reached first; these statistics (by position) fell short.
    Capped(Vec<usize>),
}

/// [`simulate`], and with `to_precision`, more replications in batches until the watched
/// statistics are precise enough: each batch continues the replication numbers, so the result is
/// the plain run of the number reached.
fn simulate_to<'f, T: Tracer + Send>(
    model: &Model,
    plan: &RunPlan,
    folder: &'f ResultsFolder,
    prefix: &str,
    with_rows: bool,
    mut trace: Option<T>,
    to_precision: Option<&ToPrecision>,
) -> Result<(Simulated<'f, T>, Option<Stop>), Failure> {
    let started = Instant::now();
    let mut streamed = StreamedResults::new(folder, prefix, with_rows).map_err(folder_failure)?;
    let watched_paths = to_precision.map_or(&[][..], |p| &p.paths[..]);
    let mut watched: Vec<Vec<f64>> = vec![Vec::new(); watched_paths.len()];
    let mut layout = None;
    let mut batch = plan.clone();
    let mut total = RunOutcome {
        completed: 0,
        events: 0,
        peak_in_system: 0,
        ending: Ending::Complete,
    };
    let stop = loop {
        let ran = runner::run_each(model, &batch, &STOP, trace.take(), &mut |result| {
            if !watched_paths.is_empty() {
                let layout = layout.get_or_insert_with(|| Layout::of(&model.network, &result));
                let statistics = result.statistics(layout);
                for (path, values) in watched_paths.iter().zip(&mut watched) {
                    let value = statistics.iter().find(|(name, _)| name == path).and_then(|(_, v)| *v);
                    values.push(value.unwrap_or(f64::NAN));
                }
            }
            streamed.add(model, &result)
        });
        let (outcome, returned) = ran.map_err(|error| match error {
            RunError::Sink(error) => folder_failure(error),
            threads @ RunError::Threads { .. } => Failure::Io(anyhow::Error::new(threads)),
        })?;
        trace = trace.or(returned);
        total.completed += outcome.completed;
        total.events += outcome.events;
        total.peak_in_system = total.peak_in_system.max(outcome.peak_in_system);
        total.ending = outcome.ending;
        let Some(to) = to_precision.filter(|_| total.ending == Ending::Complete) else {
            break None;
        };
        let defined: Vec<Vec<f64>> = watched
            .iter()
            .map(|values| values.iter().copied().filter(|v| !v.is_nan()).collect())
            .collect();
        match progress(&defined, to.precision, to.cap) {
            Progress::Met => break Some(Stop::Met),
            Progress::Capped(short) => break Some(Stop::Capped(short)),
            Progress::RunTo(count) => batch.replications = batch.replications.end..plan.replications.start + count,
        }
    };
    let wall_seconds = started.elapsed().as_secs_f64();
    if let Some(failure) = cannot_finish(model, &total.ending) {
        return Err(failure);
    }
    if total.ending == Ending::Interrupted && total.completed == 0 {
        return Err(interruption(
            "interrupted before any replication completed; nothing was written".to_owned(),
        ));
    }
    let spill = streamed.finish().map_err(folder_failure)?;
    release_freed_memory();
    Ok((
        Simulated {
            outcome: total,
            spill,
            trace,
            wall_seconds,
        },
        stop,
    ))
}

/// Hands the memory the replications (and the scenario's loading) freed back to the system,
/// before the results are summarised. The allocator keeps freed memory for reuse, but the
/// summaries' large buffers do not reuse it, nor does the main thread reuse what the worker
/// threads freed, so without this a run's peak holds both (the county's 40 replications on two
/// threads: 19.6 against 22.8 MiB; a line of 1,000 services: 39.2 against 40.5 MiB).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` returns free pages of the allocator's heaps to the system; it moves
    // and frees no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A precision for people: "2 % of the mean" or "0.05".
fn describe(precision: Precision) -> String {
    match precision {
        Precision::Relative(share) => format!("{} % of the mean", share * 100.0),
        Precision::Absolute(value) => format!("{value}"),
    }
}

/// The statistics a run to a precision watches: those named (a bare name is a metric), or by
/// default every BCF metric (without their breakdowns), or, without any, every limited service's
/// mean occupancy. Each must be a metric or a service's statistic.
fn watched_statistics(model: &Model, named: &[String]) -> Result<Vec<String>, Failure> {
    let network = &model.network;
    let metrics = metric_names(network);
    if named.is_empty() {
        return Ok(if network.records_months() {
            metrics.into_iter().filter(|name| !name.contains("_by_")).collect()
        } else {
            network
                .limited_services()
                .iter()
                .map(|&n| format!("services.{}.mean_occupancy", network.nodes[n as usize].id))
                .collect()
        });
    }
    named
        .iter()
        .map(|name| {
            let path = statistic_path(name);
            let service_statistic = path
                .strip_prefix("services.")
                .and_then(|rest| rest.split_once('.'))
                .is_some_and(|(id, statistic)| {
                    network.nodes.iter().any(|n| n.id == id && n.service().is_some())
                        && ServiceStatistics::NAMES.contains(&statistic)
                });
            if metrics.contains(&path) || service_statistic {
                Ok(path)
            } else {
                Err(Failure::Usage(format!(
                    "--metric {name}: not a metric of the scenario or a service's statistic (e.g. \
                     services.<id>.mean_wait)"
                )))
            }
        })
        .collect()
}

/// Why a run's results cannot be used: its system was unstable, its time stopped advancing, or
/// a replication's uncertain inputs made the scenario invalid; `None` for a run that completed or
/// was interrupted.
pub(super) fn cannot_finish(model: &Model, ending: &Ending) -> Option<Failure> {
    match ending {
        Ending::Unstable { replication, unstable } => {
            let node = &model.network.nodes[unstable.node as usize].id;
            Some(Failure::Unstable(format!(
                "the system is unstable: replication {replication} had more than {} patients in the system by day \
                 {:.1}, {} of them waiting for service `{node}` and {} in it; nothing was written. Add capacity, or \
                 raise simulation.max_patients_in_system if so many patients are expected",
                model.run.max_in_system, unstable.day, unstable.waiting, unstable.in_service,
            )))
        }
        Ending::Stalled { replication, stall } => {
            let nodes: Vec<String> = stall
                .nodes
                .iter()
                .map(|&n| format!("`{}`", model.network.nodes[n as usize].id))
                .collect();
            Some(Failure::Unstable(format!(
                "simulated time stopped advancing in replication {replication} on day {:.3}: patients pass round {} \
                 without time passing; nothing was written. Give those services durations above zero, or routes \
                 out of the loop",
                stall.day,
                nodes.join(", "),
            )))
        }
        Ending::InvalidInputs { replication, problems } => Some(Failure::Usage(format!(
            "the uncertain inputs replication {replication} drew make the scenario invalid; nothing was written. \
             Narrow their ranges:\n{problems}"
        ))),
        Ending::Interrupted | Ending::Complete => None,
    }
}

/// The flag Ctrl-C and SIGTERM raise (once [`catch_signals`] has run), for commands that run
/// replications without [`simulate`].
pub(super) fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Writes the run's trajectory, `trajectories_summary.csv`, and, where the scenario has targets,
/// `trajectory_targets.json` (under `prefix`); returns a sentence per target for the console.
pub(super) fn write_trajectory<'m>(
    folder: &ResultsFolder,
    prefix: &str,
    model: &'m Model,
    spill: &Spill<'_>,
) -> Result<Trajectory<'m>, Failure> {
    let summaries = spill.trajectory_summaries().map_err(folder_failure)?;
    if !summaries.is_empty() {
        folder
            .write(&format!("{prefix}trajectories_summary.csv"), |w| {
                report::trajectory::write_summary(w, &summaries)
            })
            .map_err(folder_failure)?;
    }
    let mut outcomes = Vec::with_capacity(model.targets.len());
    for target in &model.targets {
        let metric = &target.target.path;
        let place = match &target.period {
            Some(period) => spill.trajectory_place(period, metric),
            None => spill.place(metric),
        };
        let Some(place) = place else {
            let why = if spill.place(metric).is_none() {
                "the results have no such metric (its scheme is switched off)".to_owned()
            } else {
                format!(
                    "the results period does not cover {} in whole months",
                    target.period.as_deref().unwrap_or_default()
                )
            };
            console::notice(&format!(
                "warning: the target for {} is not evaluated: {why}",
                target.target
            ));
            continue;
        };
        let values = spill.read(&[place]).map_err(folder_failure)?;
        outcomes.push((target, evaluate(&target.target, &values[0])));
    }
    if outcomes.is_empty() {
        return Ok(Trajectory { summaries, outcomes });
    }
    let text = report_json(&report::trajectory::targets_json(model, &outcomes))?;
    folder
        .write(&format!("{prefix}trajectory_targets.json"), |w| {
            w.write_all(text.as_bytes())
        })
        .map_err(folder_failure)?;
    Ok(Trajectory { summaries, outcomes })
}

/// A run's trajectory summarised, and its targets evaluated.
pub(super) struct Trajectory<'m> {
    /// Every figure of every period across replications.
    pub summaries: TrajectorySummaries,
    /// Each target the run could evaluate.
    pub outcomes: Vec<(&'m PlanTarget, TargetOutcome)>,
}

/// What the comments of the scenario say, for the report's methods.
pub(super) fn scenario_methods(scenario: &ScenarioSource) -> report::view::Methods {
    let text = match scenario {
        ScenarioSource::Default => DEFAULT_SCENARIO.to_owned(),
        ScenarioSource::File(path) => std::fs::read_to_string(path).unwrap_or_default(),
    };
    let notes = scenario::notes::notes(&text);
    let note = |commented: &scenario::notes::Commented| report::view::Note {
        input: commented.input.clone(),
        value: commented.value.clone(),
        comment: commented.comment.clone(),
    };
    report::view::Methods {
        objectives: notes.preamble.clone(),
        sources: notes.inputs.iter().filter(|n| n.cites_source()).map(note).collect(),
        assumptions: notes.inputs.iter().filter(|n| n.is_assumption()).map(note).collect(),
        ..Default::default()
    }
}

/// The scenario as the report names it.
pub(super) fn scenario_name(scenario: &ScenarioSource) -> String {
    match scenario {
        ScenarioSource::Default => DEFAULT_SCENARIO_NAME.to_owned(),
        ScenarioSource::File(path) => path.display().to_string(),
    }
}

/// What a run summarised, from which its report view is built.
pub(super) struct Summarised<'a, 'm> {
    /// Every statistic across replications.
    pub summaries: &'a Summaries,
    /// The trajectory and the targets evaluated.
    pub trajectory: &'a Trajectory<'m>,
    /// The numbers by day.
    pub by_day: &'a ByDay,
    /// The observed figures checked (none for a comparison's runs).
    pub validated: &'a [report::validation::Validated<'m>],
    /// The run's facts.
    pub facts: RunFacts,
}

/// Builds a run's report view from what it `summarised` (reading each headline metric's values
/// from `spill`) and writes it (`report.json`, under `prefix`).
pub(super) fn write_view(
    folder: &ResultsFolder,
    prefix: &str,
    model: &Model,
    spill: &Spill<'_>,
    summarised: &Summarised<'_, '_>,
    scenario: &ScenarioSource,
) -> Result<report::view::ReportView, Failure> {
    let outcomes = &summarised.trajectory.outcomes;
    let headline = report::headline::rows(model, summarised.summaries, outcomes);
    let metric_values = metric_values(spill, &report::assemble::distribution_paths(&headline))?;
    let scenario_file = scenario_name(scenario);
    let results = report::assemble::RunResults {
        model,
        scenario_file: &scenario_file,
        completed: summarised.facts.completed,
        interrupted: summarised.facts.interrupted,
        summaries: summarised.summaries,
        metric_values: &metric_values,
        trajectory: &summarised.trajectory.summaries,
        series: &summarised.by_day.series,
        staff_on_shift: &summarised.by_day.staff_on_shift,
        outcomes,
        validated: summarised.validated,
    };
    let view = report::assemble::run_view(&results, scenario_methods(scenario));
    save_view(folder, prefix, &view)?;
    Ok(view)
}

/// Writes `view` as `report.json` (under `prefix`).
pub(super) fn save_view(folder: &ResultsFolder, prefix: &str, view: &report::view::ReportView) -> Result<(), Failure> {
    folder
        .write(&format!("{prefix}{}", report::view::FILE), |w| {
            serde_json::to_writer(w, view).map_err(io::Error::from)
        })
        .map_err(folder_failure)
}

/// The per-replication table of the results being written in `folder` (under `prefix`), from
/// its `replications.csv`, for the workbook.
pub(super) fn read_per_replication(
    folder: &ResultsFolder,
    prefix: &str,
) -> Result<report::xlsx::PerReplication, Failure> {
    let name = format!("{prefix}replications.csv");
    let file = std::fs::File::open(folder.staged(&name)).map_err(|e| {
        folder_failure(FolderError::Io {
            path: folder.target().join(&name),
            source: e,
        })
    })?;
    report::xlsx::PerReplication::read(std::io::BufReader::new(file))
        .with_context(|| format!("cannot read {}", folder.target().join(&name).display()))
        .map_err(Failure::Io)
}

/// Writes an experiment's `report.json` and, when asked, the report, plots and workbook drawn from
/// it (an experiment keeps no per-replication table).
pub(super) fn write_experiment_view(
    folder: &ResultsFolder,
    view: &report::view::ReportView,
    rendered: bool,
) -> Result<(), Failure> {
    save_view(folder, "", view)?;
    if rendered {
        report::render::write(folder, "", view, &report::xlsx::PerReplication::default()).map_err(folder_failure)?;
    }
    Ok(())
}

/// A lever's or field's label and unit: the lever's own where `path` names one, else its words.
pub(super) fn lever_label(model: &Model, path: &str) -> (String, Option<String>) {
    let lever = model.provenance.levers.iter().find(|lever| lever.name == path);
    match lever.and_then(|lever| lever.label.clone()) {
        Some(label) => (label, lever.and_then(|lever| lever.unit.clone())),
        None => (report::labels::words(&path.replace('.', "_")), None),
    }
}

/// Each BCF metric of the headline and its value in every replication, for the distributions.
pub(super) fn metric_values(spill: &Spill<'_>, paths: &[String]) -> Result<report::assemble::MetricValues, Failure> {
    let found: Vec<(&String, report::Place)> = paths
        .iter()
        .filter_map(|path| spill.place(path).map(|place| (path, place)))
        .collect();
    let places: Vec<report::Place> = found.iter().map(|(_, place)| *place).collect();
    let columns = spill.read(&places).map_err(folder_failure)?;
    Ok(found.into_iter().map(|(path, _)| path.clone()).zip(columns).collect())
}

/// The services `--series` names: ids separated by commas, `all` (every service) or `none`.
fn series_services(model: &Model, services: &str) -> Result<Vec<u32>, Failure> {
    let nodes = &model.network.nodes;
    let is_service = |id: &str| nodes.iter().position(|node| node.id == id && node.service().is_some());
    match services.trim() {
        "none" => Ok(Vec::new()),
        "all" => Ok((0..nodes.len() as u32)
            .filter(|&n| nodes[n as usize].service().is_some())
            .collect()),
        list => list
            .split(',')
            .map(|id| {
                let id = id.trim();
                is_service(id).map(|n| n as u32).ok_or_else(|| {
                    let ids = nodes.iter().filter(|n| n.service().is_some()).map(|n| n.id.as_str());
                    let near = bcfsim::names::closest(id, ids)
                        .map(|near| format!(" (did you mean `{near}`?)"))
                        .unwrap_or_default();
                    Failure::Usage(format!(
                        "--series {services}: `{id}` is not a service of the scenario{near}"
                    ))
                })
            })
            .collect(),
    }
}

/// A run's numbers by day, summarised across replications.
pub(super) struct ByDay {
    /// The series services' numbers (see [`report::series::write_csv`]).
    pub series: Vec<Band>,
    /// Staff needed on shift (see [`report::series::write_staffing_csv`]).
    pub staff_on_shift: Vec<Band>,
}

/// Writes (under `prefix`) `series.csv` where the run follows services by day, `staffing.csv`
/// where it has staff groups, and `occupancy.csv`; returns the numbers by day.
pub(super) fn write_by_day(
    folder: &ResultsFolder,
    prefix: &str,
    model: &Model,
    spill: &Spill<'_>,
    summaries: &Summaries,
) -> Result<ByDay, Failure> {
    let series = spill.series_summaries().map_err(folder_failure)?;
    if !model.run.series.is_empty() {
        folder
            .write(&format!("{prefix}series.csv"), |w| {
                report::series::write_csv(w, model, &series)
            })
            .map_err(folder_failure)?;
    }
    let staff_on_shift = spill.staff_on_shift_summaries().map_err(folder_failure)?;
    if !model.network.staff.is_empty() {
        folder
            .write(&format!("{prefix}staffing.csv"), |w| {
                report::series::write_staffing_csv(w, model, &staff_on_shift)
            })
            .map_err(folder_failure)?;
    }
    folder
        .write(&format!("{prefix}occupancy.csv"), |w| {
            report::occupancy::write_csv(w, summaries)
        })
        .map_err(folder_failure)?;
    Ok(ByDay { series, staff_on_shift })
}

/// Writes `run.json` (under `prefix`): what varies between identical runs, kept apart.
pub(super) fn write_run_json(
    folder: &ResultsFolder,
    prefix: &str,
    outcome: &RunOutcome,
    wall_seconds: f64,
    threads: Option<usize>,
    trace: serde_json::Value,
) -> Result<(), Failure> {
    let run_info = serde_json::json!({
        "bcfsim_version": env!("CARGO_PKG_VERSION"),
        "interrupted": outcome.ending == Ending::Interrupted,
        "replications_completed": outcome.completed,
        "wall_seconds": wall_seconds,
        "events": outcome.events,
        "events_per_second": outcome.events as f64 / wall_seconds.max(1e-9),
        "peak_patients_in_system": outcome.peak_in_system,
        "peak_memory_bytes": peak_memory_bytes(),
        "threads": threads.unwrap_or_else(rayon::current_num_threads),
        "trace": trace,
    });
    let text = report_json(&run_info)?;
    folder
        .write(&format!("{prefix}run.json"), |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)
}

/// Writes `value` to `out` as [`report_json`] gives it.
pub(super) fn write_report_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Pretty JSON with a final newline.
pub(super) fn report_json(value: &impl serde::Serialize) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .context("cannot encode the results as JSON")
        .map_err(Failure::Io)
}

/// A run that was stopped by a signal: Ctrl-C or, with its own exit code, SIGTERM.
pub(super) fn interruption(message: String) -> Failure {
    if TERMINATED.load(Ordering::SeqCst) {
        Failure::Terminated(message.replacen("interrupted", "terminated", 1))
    } else {
        Failure::Interrupted(message)
    }
}

/// What a command that compares runs writes to and runs by: its results folder (`--out`, or
/// `outputs/<scenario>-<command>/`), prepared before anything runs, and the replications of the
/// base on the threads asked for; signals are caught from here on.
pub(super) fn prepare_runs(
    base: &Model,
    runs: &RunsArgs,
    command: &str,
) -> Result<(PathBuf, ResultsFolder, RunPlan), Failure> {
    let threads = capped_threads(runs.threads.map(|t| t as usize));
    let out = runs
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-{command}", base.name)));
    let folder = ResultsFolder::prepare(&out).map_err(folder_failure)?;
    catch_signals()?;
    let plan = RunPlan {
        replications: replication_range(0, base.run.replications)?,
        threads,
        progress: std::io::stderr().is_terminal(),
    };
    Ok((out, folder, plan))
}

/// Makes `model` observe the financial year beginning in April of `first_year`: the warm-up runs
/// from the scenario's start to 1 April, carrying the system as the earlier years left it (queues,
/// people in care, growth in demand), and the horizon ends on the next 1 April.
pub(super) fn observe_year(model: &mut Model, first_year: i32) -> Result<(), Failure> {
    let clock = Clock::starting(model.run.start_date);
    let april = |year| clock.time_of(Date { year, month: 4, day: 1 });
    let (start, end) = (april(first_year), april(first_year + 1));
    if start < 0.0 {
        return Err(Failure::Usage(format!(
            "--year {first_year}/{:02} begins before the scenario starts, on {}",
            (first_year + 1).rem_euclid(100),
            model.run.start_date
        )));
    }
    if end > MAX_METRIC_HORIZON_DAYS {
        return Err(Failure::Usage(format!(
            "--year {first_year}/{:02} ends more than {MAX_METRIC_HORIZON_DAYS} days after the scenario starts",
            (first_year + 1).rem_euclid(100)
        )));
    }
    if start < 365.0 {
        console::notice(&format!(
            "warning: --year starts {start} days after the scenario does, so it is observed from a system that has \
             barely filled; start the scenario a year earlier"
        ));
    }
    model.run.warmup_days = start;
    model.run.horizon_days = end;
    Ok(())
}

/// The replications from `first`, `count` of them, refused where they go past the last index.
pub(super) fn replication_range(first: u32, count: u32) -> Result<Range<u32>, Failure> {
    first
        .checked_add(count)
        .filter(|&end| end <= MAX_REPLICATIONS)
        .map(|end| first..end)
        .ok_or_else(|| {
            Failure::Usage(format!(
                "--first-replication {first} and {count} replications go past the last replication index, \
                 {MAX_REPLICATIONS}"
            ))
        })
}

/// The worker threads asked for, at most [`MAX_THREADS_PER_CORE`] a core (with a warning).
pub(super) fn capped_threads(threads: Option<usize>) -> Option<usize> {
    threads.map(|threads| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let most = MAX_THREADS_PER_CORE * cores;
        if threads > most {
            console::notice(&format!(
                "warning: --threads {threads} is more than {MAX_THREADS_PER_CORE} a core on this machine of {cores}; using {most}"
            ));
        }
        threads.min(most)
    })
}

/// The model of `scenario` with `overrides`, and the replications and seed asked for.
pub(super) fn load(
    scenario: &ScenarioSource,
    overrides: &[Override],
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<Model, Failure> {
    let mut model = match scenario {
        ScenarioSource::File(path) => scenario::load_file(path, overrides)?,
        ScenarioSource::Default => scenario::load_text(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO, overrides)?,
    };
    if let Some(replications) = replications {
        model.run.replications = replications;
    }
    if let Some(seed) = seed {
        model.run.seed = seed;
    }
    Ok(model)
}

/// The base model of a command that compares runs: the scenario with the command line's `--set`s,
/// replications, seed and financial year.
pub(super) fn load_base(scenario: &ScenarioSource, runs: &RunsArgs) -> Result<Model, Failure> {
    let mut model = load(scenario, &runs.overrides, runs.replications, runs.seed)?;
    if let Some(year) = runs.year {
        observe_year(&mut model, year)?;
    }
    Ok(model)
}

/// Which window (warm-up and horizon) a model run beside a base observes.
pub(super) enum Window {
    /// The base's, whatever the model's file says (a comparison of alternatives).
    Base,
    /// Its own, moved to the command's `--year` when given (a sweep point or a sensitivity end,
    /// whose own values may change it).
    Own(Option<i32>),
}

/// A model run beside `base` and paired with it: `scenario` with `sets`, on the base's seed and
/// replications and the `window` asked for, its uncertain inputs at their central values when
/// `central`; a scenario error is put in `context` (`in \`more_hca\``).
pub(super) fn load_beside(
    scenario: &ScenarioSource,
    sets: &[Override],
    base: &Model,
    window: Window,
    central: bool,
    context: &str,
) -> Result<Model, Failure> {
    let mut model = load(scenario, sets, None, None).map_err(|failure| match failure {
        Failure::Scenario(error) => Failure::Usage(format!("{context}:\n{error}")),
        other => other,
    })?;
    if central {
        model.uncertain = None;
    }
    model.run.replications = base.run.replications;
    model.run.seed = base.run.seed;
    match window {
        Window::Base => {
            model.run.warmup_days = base.run.warmup_days;
            model.run.horizon_days = base.run.horizon_days;
        }
        Window::Own(Some(year)) => observe_year(&mut model, year)?,
        Window::Own(None) => {}
    }
    Ok(model)
}

/// The statistics a table leads with: those of `wanted` the results have (`available`), or for a
/// network without BCF metrics or costs the mean waits of its first three services.
pub(super) fn headline(available: &[&str], wanted: &[&str]) -> Vec<String> {
    let present: Vec<String> = wanted
        .iter()
        .filter(|path| available.contains(path))
        .map(|path| path.to_string())
        .collect();
    if !present.is_empty() {
        return present;
    }
    available
        .iter()
        .filter(|path| path.starts_with("services.") && path.ends_with(".mean_wait") && !path.contains(".by_cohort."))
        .take(3)
        .map(|path| path.to_string())
        .collect()
}

/// A note for each service of `model` that cannot keep up with its demand (its queue grows all
/// run), which a sweep or sensitivity analysis ran `at` (`servers=9`).
pub(super) fn overload_notes(model: &Model, at: &str) -> Vec<String> {
    load::overloaded_services(&model.network, &model.run)
        .into_iter()
        .map(|overload| {
            format!(
                "note: at {at}, `{}` cannot keep up with its demand; its queue grows all run, so its figures are of \
                 a system out of balance",
                model.network.nodes[overload.node as usize].id
            )
        })
        .collect()
}

/// A results folder that cannot be used: the user's mistake (exit 2), or the system's (exit 1).
pub(super) fn folder_failure(error: FolderError) -> Failure {
    if error.is_usage() {
        Failure::Usage(error.to_string())
    } else {
        Failure::Io(anyhow::Error::new(error))
    }
}

/// Ctrl-C and SIGTERM raise [`STOP`] (SIGTERM also [`TERMINATED`]); a second one ends the process
/// at once, with the signal's exit code.
pub(super) fn catch_signals() -> Result<(), Failure> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::flag;
    let install = || -> std::io::Result<()> {
        for (signal, code) in [(SIGINT, 130), (SIGTERM, 143)] {
            flag::register_conditional_shutdown(signal, code, &STOP)?;
            flag::register(signal, &STOP)?;
        }
        flag::register(SIGTERM, &TERMINATED)?;
        Ok(())
    };
    install()
        .context("cannot install the handlers of Ctrl-C and SIGTERM")
        .map_err(Failure::Io)
}

/// Warns, before a long or hopeless run, about the arrivals it will simulate and about services
/// whose queue must grow without limit; about a warm-up too short for the key services to fill;
/// and about levers set outside the range they declare.
pub(super) fn warn_before_running(model: &Model) {
    for lever in &model.provenance.levers {
        if let (LeverValue::Number(value), Some((min, max))) = (lever.value, lever.range) {
            if !(min..=max).contains(&value) {
                console::notice(&format!(
                    "warning: lever `{}` is {value}, outside the range its scenario considers, {min} to {max}",
                    lever.name
                ));
            }
        }
    }
    let network = &model.network;
    for overload in load::overloaded_services(network, &model.run) {
        console::notice(&format!(
            "warning: service `{}` looks unstable: about {} patients a day need {} places on average, but it has {}, \
             and its queue has no limit; a replication stops if more than {} patients are in the system \
             (simulation.max_patients_in_system)",
            network.nodes[overload.node as usize].id,
            readable(overload.arrivals_per_day),
            readable(overload.offered),
            readable(overload.capacity),
            model.run.max_in_system,
        ));
    }
    if let Some((node, days)) = load::short_warmup(network, &model.run) {
        let warning = format!(
            "warning: the warm-up ({} days) is shorter than the {} days `{}` needs to fill from empty ({} mean \
             stays), so the results start from an emptier system than a real one; check with `bcfsim warmup`, \
             or start from a census ([initial])",
            model.run.warmup_days,
            days.ceil(),
            network.nodes[node as usize].id,
            load::MEAN_STAYS_TO_FILL,
        );
        console::notice(console::wrap(&warning, 80, "  ").trim_end());
    }
    let arrivals = load::expected_arrivals(network, &model.run) * f64::from(model.run.replications);
    if arrivals > LONG_RUN_ARRIVALS {
        console::notice(&format!(
            "warning: this run simulates about {arrivals:.2e} arrivals ({} replications); at a few million events a \
             second that may take a long time (Ctrl-C stops it and keeps the replications done)",
            model.run.replications
        ));
    }
}

/// The most memory the process has held (its peak resident set), where the system says.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A number for a message: two decimals, or scientific notation when it is very large or small.
fn readable(value: f64) -> String {
    if value != 0.0 && !(1e-3..1e9).contains(&value.abs()) {
        format!("{value:.2e}")
    } else {
        format!("{value:.2}")
    }
}

/// One statistic of an alternative against the base.
pub(super) struct Difference {
    pub path: String,
    pub paired: Option<Paired>,
    /// The mean of each side over the replications where it is defined.
    pub means: (Option<f64>, Option<f64>),
}

/// Pairs every statistic of `alternative` with the base's of the same path, replication by
/// replication, reading both spills a batch of statistics at a time.
pub(super) fn pair(base: &Spill<'_>, alternative: &Spill<'_>) -> Result<Vec<Difference>, Failure> {
    let theirs: HashMap<String, report::Place> = alternative.statistics().into_iter().collect();
    let ours = base.statistics();
    let mut differences = Vec::with_capacity(ours.len());
    for chunk in ours.chunks(base.batch()) {
        let shared: Vec<(&String, report::Place, report::Place)> = chunk
            .iter()
            .filter_map(|(path, place)| Some((path, *place, *theirs.get(path)?)))
            .collect();
        let base_places: Vec<report::Place> = shared.iter().map(|(_, place, _)| *place).collect();
        let their_places: Vec<report::Place> = shared.iter().map(|(_, _, place)| *place).collect();
        let base_values = base.read(&base_places).map_err(folder_failure)?;
        let their_values = alternative.read(&their_places).map_err(folder_failure)?;
        for ((path, ..), (b, v)) in shared.iter().zip(base_values.iter().zip(&their_values)) {
            let mean = |values: &[Option<f64>]| Summary::of(values.iter().copied()).map(|s| s.mean);
            differences.push(Difference {
                path: (*path).clone(),
                paired: paired(b, v, better(path)),
                means: (mean(b), mean(v)),
            });
        }
    }
    Ok(differences)
}
