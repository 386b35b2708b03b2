//! `bcfsim sweep`: a scenario run at every point of a grid of values, each point on the same
//! random numbers, and the cheapest point meeting targets in a given share of replications.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write as _};
use std::path::Path;
use std::time::Instant;

use serde_json::{json, Map, Value};

use bcfsim::experiment::{grid, search, shortfall, Answer, Candidate, Target};
use bcfsim::metrics::{share_ci95, Layout, ReplicationResult, Running};
use bcfsim::model::simulation::NoTrace;
use bcfsim::model::Model;
use bcfsim::names::closest;
use bcfsim::report::headline::short_unit;
use bcfsim::report::{self, view, view::ReportView, FolderError, ResultsFolder};
use bcfsim::runner::{self, Ending, RunError, RunPlan};
use bcfsim::scenario::Override;

use super::run::{
    cannot_finish, folder_failure, headline, interruption, lever_label, load_base, load_beside, overload_notes,
    prepare_runs, report_json, scenario_methods, scenario_name, stop_flag, warn_before_running, write_experiment_view,
    Window,
};
use super::{console, shard, Failure, ScenarioSource, SweepArgs};

/// The statistic a sweep is costed by, where the scenario has costs.
const TOTAL_COST: &str = "costs.total";
/// What the table shows when no target is given, where the scenario has them.
const HEADLINE: [&str; 2] = ["metrics.delayed_days_per_100k_per_day", TOTAL_COST];

/// One point of the sweep, run.
struct Point {
    /// The index of each axis's value.
    indices: Vec<usize>,
    /// Every statistic, by its column (see [`Columns`]); empty for an unstable point.
    statistics: Vec<Running>,
    /// Replications run, and those in which every target was met.
    replications: u32,
    met: u32,
    /// Why the point has no results, if it has none.
    unstable: Option<String>,
    /// Services that cannot keep up with their demand at this point.
    overloaded: Vec<String>,
}

impl Point {
    /// The point `indices`, before any replication.
    fn new(indices: Vec<usize>) -> Point {
        Point {
            indices,
            statistics: Vec::new(),
            replications: 0,
            met: 0,
            unstable: None,
            overloaded: Vec::new(),
        }
    }

    /// Adds a replication's `values` (its statistics, placed by `placed`), counting it as meeting
    /// the targets if it meets them all.
    fn add(&mut self, values: &[Option<f64>], placed: &Placed, targets: &[Target]) {
        if self.statistics.len() < placed.columns {
            self.statistics.resize(placed.columns, Running::default());
        }
        for (value, &column) in values.iter().zip(&placed.to_column) {
            self.statistics[column].push(*value);
        }
        self.replications += 1;
        let all_met = targets
            .iter()
            .zip(&placed.targets)
            .all(|(target, &k)| target.met(values[k]));
        self.met += u32::from(all_met);
    }

    /// Leaves the point without results, for `why`: an unstable point is an answer (it does not
    /// meet the targets), not a failure.
    fn unstable(&mut self, why: String) {
        self.statistics.clear();
        (self.replications, self.met) = (0, 0);
        self.unstable = Some(why);
    }

    fn share_met(&self) -> f64 {
        if self.replications == 0 {
            0.0
        } else {
            f64::from(self.met) / f64::from(self.replications)
        }
    }

    fn mean(&self, column: Option<usize>) -> Option<f64> {
        let running = self.statistics.get(column?)?;
        running.mean_ci95().map(|(mean, _)| mean)
    }
}

/// The statistics' paths over all points, in the order first seen (points that switch services
/// off have fewer).
#[derive(Default)]
struct Columns {
    paths: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    fn of(&mut self, path: &str) -> usize {
        if let Some(&k) = self.index.get(path) {
            return k;
        }
        self.paths.push(path.to_owned());
        self.index.insert(path.to_owned(), self.paths.len() - 1);
        self.paths.len() - 1
    }
}

/// Where a point's statistics go: each one's column, each target's statistic among them, and
/// how many columns there were then.
struct Placed {
    to_column: Vec<usize>,
    targets: Vec<usize>,
    columns: usize,
}

/// A sweep as the command line decides it: the base scenario and the grid's points, each
/// point's scenario checked.
struct Setup {
    source: ScenarioSource,
    base: Model,
    points: Vec<Vec<usize>>,
}

impl Setup {
    fn load(args: &SweepArgs) -> Result<Setup, Failure> {
        let source = args
            .scenario
            .clone()
            .map_or(ScenarioSource::Default, ScenarioSource::File);
        let base = load_base(&source, &args.runs)?;
        let points = grid(&args.vary).ok_or_else(|| {
            Failure::Usage(format!(
                "the --vary values make more than {} points; sweep fewer values",
                bcfsim::experiment::sweep::MAX_POINTS
            ))
        })?;
        // Every point's scenario is checked before anything runs, so a bad value late in the grid
        // does not waste the run; each is built again when its turn comes, so memory holds one.
        for indices in &points {
            point_model(&source, args, &base, indices)?;
        }
        warn_before_running(&base);
        Ok(Setup { source, base, points })
    }

    /// The model of the point `indices`, and its overloaded services.
    fn point(&self, args: &SweepArgs, indices: &[usize]) -> Result<(Model, Vec<String>), Failure> {
        let model = point_model(&self.source, args, &self.base, indices)?;
        let at: Vec<String> = args
            .vary
            .iter()
            .zip(indices)
            .map(|(axis, &k)| axis.assignment(k))
            .collect();
        let overloaded = overload_notes(&model, &at.join(" "));
        Ok((model, overloaded))
    }
}

/// Runs the sweep and writes `sweep.csv`, `sweep.json` and, with targets, `target.json`; with
/// `--shard`, runs only the shard's share of the points' replications and keeps their values for
/// `bcfsim merge`.
pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let setup = Setup::load(&args)?;
    let (out, folder, plan) = prepare_runs(&setup.base, &args.runs, "sweep")?;
    if let Some(shard) = args.shard {
        return sweep_shard(&setup, &args, shard, folder, &plan);
    }
    let mut columns = Columns::default();
    let mut runs = Vec::with_capacity(setup.points.len());
    for indices in &setup.points {
        let (model, overloaded) = setup.point(&args, indices)?;
        let mut point = Point::new(indices.clone());
        point.overloaded = overloaded;
        let mut placed = None;
        let ending = run_replications(&model, &plan, |result| {
            let values = result.fixed_values();
            if placed.is_none() {
                placed = Some(place(&paths(&model, result), &args.targets, &mut columns)?);
            }
            point.add(&values, placed.as_ref().expect("placed above"), &args.targets);
            Ok(())
        })?;
        if let Some(why) = ending {
            point.unstable(why);
        }
        runs.push(point);
    }
    let text = finish(&setup.base, &setup.source, &args, &folder, &out, &columns, &runs)?;
    folder.commit().map_err(folder_failure)?;
    console::print(&text)
}

/// Runs the shard's share of the sweep's points × replications (point by point), keeping each
/// replication's statistics in `shard.bin` and what it ran in `shard.json`.
fn sweep_shard(
    setup: &Setup,
    args: &SweepArgs,
    shard: shard::Shard,
    folder: ResultsFolder,
    plan: &RunPlan,
) -> Result<(), Failure> {
    let units = shard::Units {
        replications: setup.base.run.replications,
        points: setup.points.len() as u32,
    };
    let share = shard.share(units.total(), "replications of the points")?;
    let started = Instant::now();
    let mut values = folder.create(shard::VALUES).map_err(folder_failure)?;
    let path = folder.target().join(shard::VALUES);
    let failed = |source: std::io::Error| {
        folder_failure(FolderError::Io {
            path: path.clone(),
            source,
        })
    };
    let (mut points_held, mut events) = (Vec::new(), 0);
    let (first, last) = (units.split(share.start), units.split(share.end - 1));
    for p in first.0..=last.0 {
        let start = if p == first.0 { first.1 } else { 0 };
        let end = if p == last.0 { last.1 + 1 } else { units.replications };
        let (model, _) = setup.point(args, &setup.points[p as usize])?;
        let mut part = shard::PointPart {
            point: p,
            first_replication: start,
            replications: end - start,
            statistics: Vec::new(),
            kept: 0,
            unstable: None,
        };
        let mut record = Vec::new();
        let point_plan = RunPlan {
            replications: start..end,
            ..plan.clone()
        };
        let ending = run_replications(&model, &point_plan, |result| {
            if part.statistics.is_empty() {
                part.statistics = paths(&model, result);
                place(&part.statistics, &args.targets, &mut Columns::default())?;
            }
            events += result.events;
            record.clear();
            for value in result.fixed_values() {
                record.extend_from_slice(&value.unwrap_or(f64::NAN).to_le_bytes());
            }
            values.write_all(&record).map_err(failed)?;
            part.kept += 1;
            Ok(())
        })?;
        if let Some(why) = ending {
            part.unstable = Some(why);
        }
        points_held.push(part);
    }
    folder.finish(shard::VALUES, values).map_err(folder_failure)?;
    shard::keep(
        folder,
        shard::Held {
            command: "sweep",
            models: vec![&setup.base],
            replications: units.replications,
            points: units.points,
            shard,
            held: share,
            events,
            seconds: started.elapsed().as_secs_f64(),
            spills: Vec::new(),
            points_held,
        },
    )
}

/// `bcfsim merge` of a sweep's shards: every point's replications added in order, then written
/// as `sweep` writes them.
pub(super) fn merge(args: SweepArgs, parts: &shard::Parts) -> Result<(), Failure> {
    let setup = Setup::load(&args)?;
    parts.check_scenarios(&[(&setup.base, scenario_name(&setup.source))])?;
    let out = args.runs.out.clone().expect("the merge gives --out");
    let folder = ResultsFolder::prepare(&out).map_err(folder_failure)?;
    let held = parts.points()?;
    let mut columns = Columns::default();
    let mut runs = Vec::with_capacity(setup.points.len());
    for (p, indices) in setup.points.iter().enumerate() {
        let (_, overloaded) = setup.point(&args, indices)?;
        let mut point = Point::new(indices.clone());
        point.overloaded = overloaded;
        let mut unstable = None;
        let mut replications = 0;
        for (part, path, offset) in held.iter().filter(|(part, ..)| part.point as usize == p) {
            replications += part.replications;
            if let Some(why) = &part.unstable {
                unstable.get_or_insert_with(|| why.clone());
                continue;
            }
            let placed = place(&part.statistics, &args.targets, &mut columns)?;
            let mut file = BufReader::new(File::open(path).map_err(|e| unreadable(path, e))?);
            file.seek(SeekFrom::Start(*offset)).map_err(|e| unreadable(path, e))?;
            let mut bytes = [0; 8];
            let mut values = vec![None; part.statistics.len()];
            for _ in 0..part.kept {
                for value in &mut values {
                    file.read_exact(&mut bytes).map_err(|e| unreadable(path, e))?;
                    *value = Some(f64::from_le_bytes(bytes)).filter(|v| !v.is_nan());
                }
                point.add(&values, &placed, &args.targets);
            }
        }
        if replications != parts.replications() {
            return Err(Failure::Usage(format!(
                "the shards hold {replications} of point {p}'s {} replications; rerun them",
                parts.replications()
            )));
        }
        if let Some(why) = unstable {
            point.unstable(why);
        }
        runs.push(point);
    }
    let text = finish(&setup.base, &setup.source, &args, &folder, &out, &columns, &runs)?;
    folder.commit().map_err(folder_failure)?;
    console::print(&text)
}

/// A shard's values file that cannot be read.
fn unreadable(path: &Path, error: std::io::Error) -> Failure {
    Failure::Usage(format!("cannot read {}: {error}; rerun that shard", path.display()))
}

/// Writes the sweep's results into `folder` (to be `out`) from its points, run or merged:
/// `sweep.csv`, `sweep.json`, the report's view (and with `--report` the report) and, with
/// targets, `target.json`. Returns what to print.
fn finish(
    base: &Model,
    source: &ScenarioSource,
    args: &SweepArgs,
    folder: &ResultsFolder,
    out: &Path,
    columns: &Columns,
    runs: &[Point],
) -> Result<String, Failure> {
    let candidates: Vec<Candidate> = runs
        .iter()
        .map(|point| Candidate {
            point: point.indices.clone(),
            share_met: point.share_met(),
            cost: point.mean(columns.index.get(TOTAL_COST).copied()),
            shortfall: {
                let means: Vec<Option<f64>> = args
                    .targets
                    .iter()
                    .map(|target| point.mean(columns.index.get(&target.path).copied()))
                    .collect();
                shortfall(&args.targets, &means)
            },
        })
        .collect();
    let answer = (!args.targets.is_empty())
        .then(|| search(&candidates, args.confidence))
        .flatten();
    folder
        .write("sweep.csv", |w| write_csv(w, args, columns, runs))
        .map_err(folder_failure)?;
    let definition = report_json(&sweep_json(base, args, columns, runs))?;
    folder
        .write("sweep.json", |w| w.write_all(definition.as_bytes()))
        .map_err(folder_failure)?;
    let view = sweep_view(base, source, args, columns, runs);
    write_experiment_view(folder, &view, args.report)?;
    let target = answer.map(|answer| target_json(args, runs, answer));
    if let Some(target) = &target {
        let text = report_json(target)?;
        folder
            .write("target.json", |w| w.write_all(text.as_bytes()))
            .map_err(folder_failure)?;
    }
    if args.runs.json {
        return match target {
            Some(target) => report_json(&target),
            None => Ok(definition),
        };
    }
    Ok(table(base, args, columns, runs, answer, out))
}

/// The model of the point `indices`: the base's file and `--set`s, then the point's values, run
/// on the base's seed, replications, warm-up and horizon (paired).
fn point_model(source: &ScenarioSource, args: &SweepArgs, base: &Model, indices: &[usize]) -> Result<Model, Failure> {
    let mut sets = args.runs.overrides.clone();
    for (axis, &k) in args.vary.iter().zip(indices) {
        let assignment = axis.assignment(k);
        sets.push(
            assignment
                .parse::<Override>()
                .map_err(|e| Failure::Usage(format!("--vary {}: {e}", axis.path)))?,
        );
    }
    let point: Vec<String> = args
        .vary
        .iter()
        .zip(indices)
        .map(|(axis, &k)| axis.assignment(k))
        .collect();
    let context = format!("at the point {} of --vary", point.join(" "));
    let window = Window::Own(args.runs.year);
    let mut model = load_beside(source, &sets, base, window, args.no_input_uncertainty, &context)?;
    // A sweep reports points, not days: following services by day would only cost time.
    model.run.series.clear();
    Ok(model)
}

/// Runs `plan`'s replications of `model`, each result to `sink`; returns why the point has no
/// results where its system could not keep up (an answer, not a failure).
fn run_replications(
    model: &Model,
    plan: &RunPlan,
    mut sink: impl FnMut(&ReplicationResult) -> Result<(), Failure>,
) -> Result<Option<String>, Failure> {
    let ran = runner::run_each(
        model,
        plan,
        stop_flag(),
        None::<NoTrace>,
        &mut |result: ReplicationResult| sink(&result),
    );
    let (outcome, _) = ran.map_err(|error| match error {
        RunError::Sink(failure) => failure,
        RunError::Threads { threads, source } => {
            Failure::Io(anyhow::Error::new(source).context(format!("cannot start {threads} worker threads")))
        }
    })?;
    match &outcome.ending {
        Ending::Complete => Ok(None),
        Ending::Interrupted => Err(interruption(
            "interrupted: a sweep needs every replication of every point; nothing was written".to_owned(),
        )),
        Ending::Unstable { .. } => Ok(cannot_finish(model, &outcome.ending).map(|failure| failure.message())),
        Ending::Stalled { .. } | Ending::InvalidInputs { .. } => {
            Err(cannot_finish(model, &outcome.ending).expect("a failure"))
        }
    }
}

/// The paths of `model`'s statistics, in the order of a result's fixed values.
fn paths(model: &Model, result: &ReplicationResult) -> Vec<String> {
    let layout = Layout::of(&model.network, result);
    layout
        .services
        .into_iter()
        .flat_map(|(_, names)| names)
        .chain(layout.tail)
        .collect()
}

/// Where each of a point's statistics (`paths`) goes among the columns, and where each target's
/// statistic is among them; an unknown target statistic is the user's mistake.
fn place(paths: &[String], targets: &[Target], columns: &mut Columns) -> Result<Placed, Failure> {
    let mut positions = Vec::with_capacity(targets.len());
    for target in targets {
        let Some(k) = paths.iter().position(|path| *path == target.path) else {
            let suggestion = closest(&target.path, paths.iter().map(String::as_str))
                .map(|near| format!(" (did you mean `{near}`?)"))
                .unwrap_or_default();
            return Err(Failure::Usage(format!(
                "--target {target}: the results have no statistic `{}`{suggestion}",
                target.path
            )));
        };
        positions.push(k);
    }
    let to_column = paths.iter().map(|path| columns.of(path)).collect();
    Ok(Placed {
        to_column,
        targets: positions,
        columns: columns.paths.len(),
    })
}

/// `sweep.csv`: a row per point, the varied values, then the mean and 95 % interval of every
/// statistic (and, with targets, the share of replications meeting them all).
fn write_csv(
    out: &mut dyn std::io::Write,
    args: &SweepArgs,
    columns: &Columns,
    points: &[Point],
) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<String> = args.vary.iter().map(|axis| axis.path.clone()).collect();
    for path in &columns.paths {
        header.extend(["mean", "ci95_lo", "ci95_hi"].map(|part| format!("{path}.{part}")));
    }
    let with_targets = !args.targets.is_empty();
    if with_targets {
        header.push("share_met".to_owned());
    }
    writer.write_record(&header)?;
    let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    for point in points {
        let mut row: Vec<String> = args
            .vary
            .iter()
            .zip(&point.indices)
            .map(|(axis, &k)| axis.show(axis.values[k]))
            .collect();
        for k in 0..columns.paths.len() {
            let summary = point.statistics.get(k).and_then(Running::mean_ci95);
            let ci = summary.and_then(|(_, ci)| ci);
            row.push(number(summary.map(|(mean, _)| mean)));
            row.push(number(ci.map(|(low, _)| low)));
            row.push(number(ci.map(|(_, high)| high)));
        }
        if with_targets {
            row.push(number(point.unstable.is_none().then(|| point.share_met())));
        }
        writer.write_record(&row)?;
    }
    writer.flush()
}

/// The statistics the table and `sweep.json` show for each point: the targets' and the total cost,
/// or without targets the headline ones the scenario has.
fn shown(args: &SweepArgs, columns: &Columns) -> Vec<String> {
    if args.targets.is_empty() {
        let available: Vec<&str> = columns.paths.iter().map(String::as_str).collect();
        headline(&available, &HEADLINE)
    } else {
        let cost = columns.index.contains_key(TOTAL_COST).then_some(TOTAL_COST);
        args.targets
            .iter()
            .map(|t| t.path.as_str())
            .chain(cost)
            .map(str::to_owned)
            .collect()
    }
}

/// `sweep.json`: what was swept (for the audit trail; nothing that varies between identical
/// runs), and for each point its values and the means of the statistics the table shows.
fn sweep_json(base: &Model, args: &SweepArgs, columns: &Columns, points: &[Point]) -> Value {
    let mut root = report::audit(base);
    root.insert(
        "vary".into(),
        args.vary
            .iter()
            .map(|axis| json!({ "path": axis.path, "values": axis.values }))
            .collect(),
    );
    root.insert(
        "targets".into(),
        args.targets.iter().map(|t| json!(t.to_string())).collect(),
    );
    root.insert("confidence".into(), json!(args.confidence));
    let shown = shown(args, columns);
    let results = points.iter().map(|point| {
        let means: Map<String, Value> = shown
            .iter()
            .map(|path| (path.clone(), json!(point.mean(columns.index.get(path).copied()))))
            .collect();
        json!({
            "point": point_json(args, point),
            "unstable": point.unstable,
            "share_met": (!args.targets.is_empty() && point.unstable.is_none()).then(|| point.share_met()),
            "means": means,
        })
    });
    root.insert("results".into(), results.collect());
    Value::Object(root)
}

/// The sweep's report: each point's mean and interval of the statistics the table shows, with
/// their targets.
fn sweep_view(
    base: &Model,
    source: &ScenarioSource,
    args: &SweepArgs,
    columns: &Columns,
    points: &[Point],
) -> ReportView {
    let mut view = report::assemble::experiment_view(base, &scenario_name(source), scenario_methods(source));
    let shown = shown(args, columns);
    let axes = args
        .vary
        .iter()
        .map(|axis| {
            let (label, unit) = lever_label(base, &axis.path);
            view::Axis {
                path: axis.path.clone(),
                label: unit.map_or_else(|| label.clone(), |unit| format!("{label} ({unit})")),
                values: axis.values.clone(),
            }
        })
        .collect();
    let statistics = shown
        .iter()
        .map(|path| {
            let (label, unit) = report::labels::label(path);
            view::SweptStatistic {
                path: path.clone(),
                label,
                unit,
                target: args.targets.iter().find(|t| t.path == *path).map(|t| view::Mark {
                    bound: match t.bound {
                        bcfsim::experiment::Bound::AtMost => "<=".into(),
                        bcfsim::experiment::Bound::AtLeast => ">=".into(),
                    },
                    value: t.value,
                    ..view::Mark::default()
                }),
            }
        })
        .collect();
    let points = points
        .iter()
        .map(|point| {
            let running: Vec<Option<&Running>> = shown
                .iter()
                .map(|path| point.statistics.get(*columns.index.get(path)?))
                .collect();
            let estimates: Vec<_> = running.iter().map(|r| r.and_then(Running::mean_ci95)).collect();
            view::SweepPoint {
                at: point.indices.clone(),
                mean: estimates.iter().map(|e| e.map(|(mean, _)| mean)).collect(),
                ci95: estimates
                    .iter()
                    .map(|e| e.and_then(|(_, ci)| ci).map(|(low, high)| [low, high]))
                    .collect(),
                share_met: (!args.targets.is_empty() && point.unstable.is_none()).then(|| point.share_met()),
            }
        })
        .collect();
    view.command = view::Command::Sweep;
    view.sweep = Some(view::SweepView {
        axes,
        statistics,
        points,
    });
    view
}

/// `target.json`: whether a point meets every target in at least the confidence share of
/// replications, the cheapest that does (or the closest), and that share.
fn target_json(args: &SweepArgs, points: &[Point], answer: Answer) -> Value {
    let (met, index) = match answer {
        Answer::Met(index) => (true, index),
        Answer::Closest(index) => (false, index),
    };
    let chosen = &points[index];
    let (share_low, share_high) = share_ci95(chosen.met as usize, chosen.replications as usize);
    json!({
        "met": met,
        "point": point_json(args, chosen),
        "share_met": chosen.share_met(),
        "share_met_ci95": [share_low, share_high],
        "confidence": args.confidence,
        "targets": args.targets.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// A point's values, keyed by the paths as given to `--vary`.
fn point_json(args: &SweepArgs, point: &Point) -> Value {
    let values: Map<String, Value> = args
        .vary
        .iter()
        .zip(&point.indices)
        .map(|(axis, &k)| (axis.path.clone(), axis.json(k)))
        .collect();
    Value::Object(values)
}

/// The console table: a row per point with its values, the targets' statistics (or the
/// headline ones) and the share meeting the targets; then the answer (80 columns).
fn table(
    base: &Model,
    args: &SweepArgs,
    columns: &Columns,
    points: &[Point],
    answer: Option<Answer>,
    out: &std::path::Path,
) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{}: {} points, {} replications each, seed {}",
        base.name,
        points.len(),
        base.run.replications,
        base.run.seed
    );
    let shown = shown(args, columns);
    // Each column as wide as its label, while the row fits in 80 columns; units below.
    let (names, units): (Vec<String>, Vec<String>) = args
        .vary
        .iter()
        .map(|axis| lever_label(base, &axis.path))
        .map(|(label, unit)| (label, unit.unwrap_or_default()))
        .chain(shown.iter().map(|path| {
            let (label, unit) = report::labels::label(path);
            (label, short_unit(&unit))
        }))
        .unzip();
    let room = (80 - 7) / names.len() - 1;
    let width = names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, room.max(8));
    // Labels keep their first words, where the meaning is.
    let short = |name: &str| {
        if name.chars().count() <= width {
            name.to_owned()
        } else {
            name.chars().take(width - 1).chain(['…']).collect()
        }
    };
    for (line, met) in [(&names, "met"), (&units, "")] {
        let mut header = String::new();
        for name in line {
            let _ = write!(header, "{:>width$} ", short(name));
        }
        if !args.targets.is_empty() {
            let _ = write!(header, "{met:>5}");
        }
        let _ = writeln!(text, "{}", header.trim_end());
    }
    let chosen = answer.map(|answer| match answer {
        Answer::Met(index) | Answer::Closest(index) => index,
    });
    for (k, point) in points.iter().enumerate() {
        let mut row = String::new();
        for (axis, &v) in args.vary.iter().zip(&point.indices) {
            let _ = write!(row, "{:>width$} ", axis.show(axis.values[v]));
        }
        if point.unstable.is_some() {
            let _ = write!(row, "unstable");
        } else {
            for path in &shown {
                let estimate = columns
                    .index
                    .get(path)
                    .and_then(|&column| point.statistics.get(column)?.mean_ci95());
                let cell = match estimate {
                    Some((mean, Some((low, high)))) => report::labels::plus_minus(mean, (high - low) / 2.0),
                    Some((mean, None)) => report::labels::number(mean),
                    None => "–".to_owned(),
                };
                let _ = write!(row, "{cell:>width$} ");
            }
            if !args.targets.is_empty() {
                let _ = write!(row, "{:>4.0}%", 100.0 * point.share_met());
            }
        }
        if chosen == Some(k) {
            row.push_str(" <");
        }
        let _ = writeln!(text, "{}", row.trim_end());
    }
    let _ = writeln!(text, "means ± half their 95 % confidence interval");
    for note in points.iter().flat_map(|point| &point.overloaded) {
        text.push_str(&console::wrap(note, 80, "  "));
    }
    if let Some(answer) = answer {
        let _ = writeln!(text);
        let (Answer::Met(index) | Answer::Closest(index)) = answer;
        let point = &points[index];
        let assignments: Vec<String> = args
            .vary
            .iter()
            .zip(&point.indices)
            .map(|(axis, &k)| axis.assignment(k))
            .collect();
        let share = 100.0 * point.share_met();
        let (low, high) = share_ci95(point.met as usize, point.replications as usize);
        let confidence = 100.0 * args.confidence;
        let targets: Vec<String> = args.targets.iter().map(ToString::to_string).collect();
        match answer {
            Answer::Met(_) => {
                let _ = writeln!(text, "answer: {}", assignments.join(" "));
                text.push_str(&console::wrap(
                    &format!(
                        "  meets {} in {share:.0} % of replications (95 % interval {:.0} to {:.0} %; at least \
                         {confidence:.0} % asked)",
                        targets.join(" and "),
                        100.0 * low,
                        100.0 * high
                    ),
                    80,
                    "  ",
                ));
            }
            Answer::Closest(_) => {
                text.push_str(&console::wrap(
                    &format!(
                        "no point meets {} in {confidence:.0} % of replications; the closest: {} (met in {share:.0} %)",
                        targets.join(" and "),
                        assignments.join(" ")
                    ),
                    80,
                    "  ",
                ));
            }
        }
    }
    text.push_str(&console::wrap(
        &format!(
            "results in {} (sweep.csv, sweep.json{})",
            out.display(),
            if answer.is_some() { ", target.json" } else { "" }
        ),
        80,
        "  ",
    ));
    text
}
