//! `bcfsim compare`: the base scenario against alternatives (other scenario files, or the base's
//! `[[variant]]`s), paired replication by replication, written as one results folder.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use bcfsim::model::simulation::NoTrace;
use bcfsim::model::Model;
use bcfsim::report::headline::{heading, short_unit, wrap_words};
use bcfsim::report::labels::{estimate, number};
use bcfsim::report::view::{self, HeadlineRow, ReportView};
use bcfsim::report::{self, ResultsFolder, RunFacts, Spill, Summaries};
use bcfsim::runner::{Ending, RunPlan};
use bcfsim::scenario::{self, Override};

use super::run::{
    folder_failure, interruption, load_base, load_beside, pair, prepare_runs, read_per_replication, report_json,
    save_view, scenario_name, simulate, warn_before_running, write_by_day, write_report_json, write_run_json,
    write_trajectory, write_view, Difference, Simulated, Summarised, Window,
};
use super::{console, shard, CompareArgs, Failure, ScenarioSource, DEFAULT_SCENARIO, DEFAULT_SCENARIO_NAME};

/// An alternative to the base, as the user named it.
struct Alternative {
    name: String,
    label: Option<String>,
    /// The scenario file, for an alternative file; `None` for a `[[variant]]` of the base.
    file: Option<PathBuf>,
    /// The variant's own assignments (after the command line's).
    set: Vec<Override>,
}

/// The runs of a comparison, as the command line decides them: the base and each alternative's
/// model, paired (the same replications, seed, warm-up and horizon).
struct Setup {
    base_source: ScenarioSource,
    base: Model,
    alternatives: Vec<Alternative>,
    models: Vec<Model>,
}

impl Setup {
    /// Loads the base and the alternatives `args` name, every one checked before anything runs.
    fn load(args: &mut CompareArgs) -> Result<Setup, Failure> {
        // `bcfsim compare more_hca`: a first name that is no file but a variant of the default
        // scenario is an alternative to the default.
        if let Some(first) = args.base.clone().filter(|path| !path.exists()) {
            let name = first.to_string_lossy().into_owned();
            let defaults = scenario::variants(DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO)?;
            if !defaults.iter().any(|variant| variant.name == name) {
                let known: Vec<&str> = defaults.iter().map(|v| v.name.as_str()).collect();
                return Err(Failure::Usage(format!(
                    "`{name}` is neither a scenario file nor a [[variant]] of the default scenario (its variants: {})",
                    known.join(", ")
                )));
            }
            args.base = None;
            args.alternatives.insert(0, name);
        }
        let base_source = args.base.clone().map_or(ScenarioSource::Default, ScenarioSource::File);
        let mut base = load_base(&base_source, &args.runs)?;
        if args.no_input_uncertainty {
            base.uncertain = None;
        }
        let alternatives = alternatives(args, &base_source)?;
        let mut models = Vec::with_capacity(alternatives.len());
        for alternative in &alternatives {
            let mut sets = args.runs.overrides.clone();
            sets.extend(alternative.set.iter().cloned());
            let source = alternative.source(&base_source);
            let context = format!("in `{}`", alternative.name);
            let model = load_beside(&source, &sets, &base, Window::Base, args.no_input_uncertainty, &context)?;
            warn_before_running(&model);
            models.push(model);
        }
        warn_before_running(&base);
        Ok(Setup {
            base_source,
            base,
            alternatives,
            models,
        })
    }

    /// Every run, the base first.
    fn runs(&self) -> Vec<Run<'_>> {
        let base = Run {
            prefix: "base/".to_owned(),
            model: &self.base,
            source: self.base_source.clone(),
        };
        let alternatives = self
            .alternatives
            .iter()
            .zip(&self.models)
            .map(|(alternative, model)| Run {
                prefix: format!("{}/", alternative.name),
                model,
                source: alternative.source(&self.base_source),
            });
        std::iter::once(base).chain(alternatives).collect()
    }
}

/// One run of a comparison: its subfolder of the results (`base/`, `<alternative>/`), its model
/// and its scenario.
struct Run<'a> {
    prefix: String,
    model: &'a Model,
    source: ScenarioSource,
}

/// Compares the base with each alternative and writes the comparison; with `--shard`, runs only
/// the shard's share of every run's replications and keeps them for `bcfsim merge`.
pub fn compare(mut args: CompareArgs) -> Result<(), Failure> {
    let setup = Setup::load(&mut args)?;
    let (out, folder, mut plan) = prepare_runs(&setup.base, &args.runs, "compare")?;
    if let Some(shard) = args.shard {
        let runs = setup.runs();
        let total = setup.base.run.replications;
        let share = shard.share(u64::from(total), "replications")?;
        plan.replications = share.start as u32..share.end as u32;
        let (mut spills, mut events, mut seconds) = (Vec::with_capacity(runs.len()), 0, 0.0);
        for Run { prefix, model, .. } in &runs {
            let simulated = simulate_whole(model, &plan, &folder, prefix, false)?;
            events += simulated.outcome.events;
            seconds += simulated.wall_seconds;
            let shape = simulated
                .spill
                .keep(&format!("{prefix}{}", shard::VALUES))
                .map_err(folder_failure)?;
            spills.push(shard::KeptSpill {
                prefix: prefix.clone(),
                shape,
            });
        }
        return shard::keep(
            folder,
            shard::Held {
                command: "compare",
                models: runs.iter().map(|run| run.model).collect(),
                replications: total,
                points: 1,
                shard,
                held: share,
                events,
                seconds,
                spills,
                points_held: Vec::new(),
            },
        );
    }
    let text = finish(&setup, &args, &folder, &out, |run| {
        let simulated = simulate_whole(run.model, &plan, &folder, &run.prefix, true)?;
        Ok(simulated.spill)
    })?;
    folder.commit().map_err(folder_failure)?;
    console::print(&text)
}

/// `bcfsim merge` of a comparison's shards: every run's values joined, then written as
/// `compare` writes them.
pub(super) fn merge(mut args: CompareArgs, parts: &shard::Parts) -> Result<(), Failure> {
    let setup = Setup::load(&mut args)?;
    let runs = setup.runs();
    let models: Vec<(&Model, String)> = runs.iter().map(|run| (run.model, scenario_name(&run.source))).collect();
    parts.check_scenarios(&models)?;
    let out = args.runs.out.clone().expect("the merge gives --out");
    let folder = ResultsFolder::prepare(&out).map_err(folder_failure)?;
    let mut k = 0;
    let text = finish(&setup, &args, &folder, &out, |run| {
        let spill = parts.join(&folder, k)?;
        k += 1;
        spill.write_rows(run.model, 0).map_err(folder_failure)?;
        parts.write_run_json(&folder, &run.prefix)?;
        Ok(spill)
    })?;
    folder.commit().map_err(folder_failure)?;
    console::print(&text)
}

/// Runs `plan`'s replications of `model` into `folder` under `prefix`, with its `run.json`; a
/// comparison needs every one.
fn simulate_whole<'f>(
    model: &Model,
    plan: &RunPlan,
    folder: &'f ResultsFolder,
    prefix: &str,
    with_rows: bool,
) -> Result<Simulated<'f, NoTrace>, Failure> {
    let simulated = simulate(model, plan, folder, prefix, with_rows, None::<NoTrace>)?;
    if simulated.outcome.ending == Ending::Interrupted {
        return Err(interruption(
            "interrupted: a comparison needs every replication of every variant; nothing was written".to_owned(),
        ));
    }
    write_run_json(
        folder,
        prefix,
        &simulated.outcome,
        simulated.wall_seconds,
        plan.threads,
        Value::Null,
    )?;
    Ok(simulated)
}

/// Writes the comparison into `folder` (to be `out`) from each run's values, which `spill_of`
/// gives a run at a time (its per-replication files and `run.json` written): each run's results,
/// the paired differences, the report's view and, with `--report`, the report, `compare.json`
/// and `compare.csv`. Returns what to print.
fn finish<'f>(
    setup: &Setup,
    args: &CompareArgs,
    folder: &'f ResultsFolder,
    out: &Path,
    mut spill_of: impl FnMut(&Run<'_>) -> Result<Spill<'f>, Failure>,
) -> Result<String, Failure> {
    let runs = setup.runs();
    let written = |run: &Run<'_>, spill: &Spill<'_>| -> Result<(Summaries, ReportView), Failure> {
        let Run { prefix, model, source } = run;
        let summaries = spill.summaries().map_err(folder_failure)?;
        let facts = RunFacts {
            requested: model.run.replications,
            completed: model.run.replications,
            first_replication: 0,
            interrupted: false,
        };
        let summary = report::summary(model, &summaries, facts);
        folder
            .write(&format!("{prefix}summary.json"), |w| write_report_json(w, &summary))
            .map_err(folder_failure)?;
        let trajectory = write_trajectory(folder, prefix, model, spill)?;
        let by_day = write_by_day(folder, prefix, model, spill, &summaries)?;
        let summarised = Summarised {
            summaries: &summaries,
            trajectory: &trajectory,
            by_day: &by_day,
            validated: &[],
            facts,
        };
        let view = write_view(folder, prefix, model, spill, &summarised, source)?;
        Ok((summaries, view))
    };
    let base_spill = spill_of(&runs[0])?;
    let (base_summaries, base_view) = written(&runs[0], &base_spill)?;
    let mut compared = Vec::new();
    for (run, alternative) in runs[1..].iter().zip(&setup.alternatives) {
        let spill = spill_of(run)?;
        let (summaries, _) = written(run, &spill)?;
        let differences = pair(&base_spill, &spill)?;
        spill.discard().map_err(folder_failure)?;
        compared.push((alternative, run.model, summaries, differences));
    }
    base_spill.discard().map_err(folder_failure)?;
    let view = compare_view(base_view, &compared);
    save_view(folder, "", &view)?;
    if args.report {
        let per_replication = read_per_replication(folder, "base/")?;
        report::render::write(folder, "", &view, &per_replication).map_err(folder_failure)?;
    }
    let document = compare_json(&setup.base, &base_summaries, &compared);
    let text = report_json(&document)?;
    folder
        .write("compare.json", |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)?;
    folder
        .write("compare.csv", |w| write_csv(w, &base_summaries, &compared))
        .map_err(folder_failure)?;
    Ok(if args.runs.json {
        text
    } else {
        table(&setup.base, &view.headline, &compared, out, args.report)
    })
}

/// The alternatives the command line names, or the base's `[[variant]]`s when it names none.
fn alternatives(args: &CompareArgs, base: &ScenarioSource) -> Result<Vec<Alternative>, Failure> {
    let (file_name, text) = match base {
        ScenarioSource::File(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path)
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?,
        ),
        ScenarioSource::Default => (DEFAULT_SCENARIO_NAME.to_owned(), DEFAULT_SCENARIO.to_owned()),
    };
    let variants = scenario::variants(&file_name, &text)?;
    let from_variant = |variant: &scenario::Variant| Alternative {
        name: variant.name.clone(),
        label: variant.label.clone(),
        file: None,
        set: variant.set.clone(),
    };
    if args.alternatives.is_empty() {
        if variants.is_empty() {
            return Err(Failure::Usage(format!(
                "nothing to compare with: name alternative scenario files after {file_name}, or give it [[variant]]s"
            )));
        }
        return Ok(variants.iter().map(from_variant).collect());
    }
    let mut alternatives: Vec<Alternative> = Vec::new();
    for name in &args.alternatives {
        let path = Path::new(name);
        let alternative = if path.is_file() {
            let stem = path
                .file_stem()
                .map_or_else(|| "alternative".to_owned(), |s| s.to_string_lossy().into_owned());
            let stem: String = stem
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let mut unique = stem.clone();
            let mut k = 2;
            while unique == "base" || alternatives.iter().any(|a| a.name == unique) {
                unique = format!("{stem}-{k}");
                k += 1;
            }
            Alternative {
                name: unique,
                label: None,
                file: Some(path.to_owned()),
                set: Vec::new(),
            }
        } else if let Some(variant) = variants.iter().find(|v| &v.name == name) {
            from_variant(variant)
        } else {
            let known: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
            return Err(Failure::Usage(format!(
                "`{name}` is neither a scenario file nor a [[variant]] of {file_name}{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (its variants: {})", known.join(", "))
                }
            )));
        };
        alternatives.push(alternative);
    }
    Ok(alternatives)
}

type Compared<'a> = (&'a Alternative, &'a Model, Summaries, Vec<Difference>);

impl Alternative {
    /// Its scenario: its own file, or the base's.
    fn source(&self, base: &ScenarioSource) -> ScenarioSource {
        self.file.clone().map_or_else(|| base.clone(), ScenarioSource::File)
    }
}

/// What an alternative is, in a line: its label, else its assignments, else its scenario's name.
fn described(alternative: &Alternative, model: &Model) -> String {
    alternative
        .label
        .clone()
        .or_else(|| {
            (!alternative.set.is_empty()).then(|| {
                alternative
                    .set
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
        .unwrap_or_else(|| model.name.clone())
}

/// The comparison's report: the base run's, with each alternative's paired differences in the
/// headline's statistics.
fn compare_view(mut view: ReportView, compared: &[Compared]) -> ReportView {
    let alternatives = compared
        .iter()
        .map(|(alternative, model, _, differences)| view::Alternative {
            name: alternative.name.clone(),
            label: described(alternative, model),
            differences: view
                .headline
                .iter()
                .filter_map(|row| {
                    let difference = differences.iter().find(|d| d.path == row.path)?;
                    let paired = difference.paired?;
                    Some(view::Difference {
                        path: row.path.clone(),
                        label: row.label.clone(),
                        unit: row.unit.clone(),
                        base: row.mean,
                        mean: Some(paired.mean),
                        ci95: paired.ci95.map(|(low, high)| [low, high]),
                    })
                })
                .collect(),
        })
        .collect();
    view.command = view::Command::Compare;
    view.compare = Some(view::CompareView { alternatives });
    view
}

/// Whether `compare.json` and `compare.csv` carry a statistic: every one but the levels of the
/// occupancy distributions, which would be nine rows in ten (each variant's `occupancy.csv` has
/// them).
fn in_files(path: &str) -> bool {
    !path.contains(".occupancy_at_least.")
}

/// `compare.json`: what was compared, and for every alternative and statistic the paired
/// difference from the base, the share of replications in which it was better, and its summary.
fn compare_json(base: &Model, base_summaries: &Summaries, compared: &[Compared]) -> Value {
    let mut root = Map::new();
    root.insert("schema_version".into(), json!(report::SCHEMA_VERSION));
    root.insert("bcfsim_version".into(), json!(env!("CARGO_PKG_VERSION")));
    root.insert("scenario".into(), json!(base.name));
    root.insert("replications".into(), json!(base.run.replications));
    root.insert("seed".into(), json!(base.run.seed));
    root.insert("horizon_days".into(), json!(base.run.horizon_days));
    root.insert("warmup_days".into(), json!(base.run.warmup_days));
    root.insert(
        "base".into(),
        json!({
            "scenario_sha256": base.provenance.scenario_sha256,
            "overrides": base.provenance.overrides,
            "levers": report::levers(base),
            "statistics": base_summaries.len(),
        }),
    );
    let mut variants = Map::new();
    for (alternative, model, summaries, differences) in compared {
        let mut variant = Map::new();
        variant.insert(
            "definition".into(),
            json!({
                "label": alternative.label,
                "file": alternative.file.as_ref().map(|_| model.name.clone()),
                "scenario_sha256": model.provenance.scenario_sha256,
                "set": alternative.set.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "overrides": model.provenance.overrides,
                "levers": report::levers(model),
            }),
        );
        let own: HashMap<&str, &Option<bcfsim::metrics::Summary>> =
            summaries.iter().map(|(path, s)| (path.as_str(), s)).collect();
        for difference in differences.iter().filter(|d| in_files(&d.path)) {
            let diff = difference.paired.map_or(
                Value::Null,
                |p| json!({ "mean": p.mean, "ci95": p.ci95.map(|(low, high)| [low, high]) }),
            );
            let mut entry = Map::new();
            entry.insert("diff".into(), diff);
            entry.insert(
                "share_better".into(),
                json!(difference.paired.and_then(|p| p.share_better)),
            );
            if let Some(Some(summary)) = own.get(difference.path.as_str()) {
                entry.insert("mean".into(), json!(summary.mean));
                entry.insert("ci95".into(), json!(summary.ci95.map(|(low, high)| [low, high])));
                entry.insert("p10".into(), json!(summary.p10));
                entry.insert("p50".into(), json!(summary.p50));
                entry.insert("p90".into(), json!(summary.p90));
            }
            report::insert_at(&mut variant, &difference.path, Value::Object(entry));
        }
        variants.insert(alternative.name.clone(), Value::Object(variant));
    }
    root.insert("variants".into(), Value::Object(variants));
    Value::Object(root)
}

/// `compare.csv`: the same, one row per alternative and statistic.
fn write_csv(out: &mut dyn std::io::Write, base_summaries: &Summaries, compared: &[Compared]) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "variant",
        "statistic",
        "base_mean",
        "variant_mean",
        "diff_mean",
        "diff_ci95_low",
        "diff_ci95_high",
        "share_better",
    ])?;
    let base: HashMap<&str, f64> = base_summaries
        .iter()
        .filter_map(|(path, s)| Some((path.as_str(), s.as_ref()?.mean)))
        .collect();
    let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    for (alternative, _, summaries, differences) in compared {
        let own: HashMap<&str, f64> = summaries
            .iter()
            .filter_map(|(path, s)| Some((path.as_str(), s.as_ref()?.mean)))
            .collect();
        for difference in differences.iter().filter(|d| in_files(&d.path)) {
            let path = difference.path.as_str();
            let p = difference.paired;
            writer.write_record([
                alternative.name.clone(),
                path.to_owned(),
                number(base.get(path).copied()),
                number(own.get(path).copied()),
                number(p.map(|p| p.mean)),
                number(p.and_then(|p| p.ci95).map(|c| c.0)),
                number(p.and_then(|p| p.ci95).map(|c| c.1)),
                number(p.and_then(|p| p.share_better)),
            ])?;
        }
    }
    writer.flush()
}

/// The stdout table: per alternative, the headline's statistics against the base, BCF metrics
/// first, within 80 columns (every statistic is in `compare.csv`).
fn table(base: &Model, headline: &[HeadlineRow], compared: &[Compared], out: &Path, rendered: bool) -> String {
    let mut text = String::new();
    for (alternative, model, _, differences) in compared {
        let what = described(alternative, model);
        text.push_str(&console::wrap(&format!("{}: {what}", alternative.name), 80, "  "));
        let _ = writeln!(
            text,
            "  against {}, {} paired replications, seed {}",
            base.name, base.run.replications, base.run.seed
        );
        let mut section = None;
        for row in headline {
            let Some(difference) = differences.iter().find(|d| d.path == row.path) else {
                continue;
            };
            if section != Some(row.section) {
                section = Some(row.section);
                let _ = writeln!(
                    text,
                    "\n  {:<28}{:>9} {:>8} {:>24} {:>6}",
                    heading(row.section),
                    "unit",
                    "base",
                    "difference [95% CI]",
                    "better"
                );
            }
            let diff = difference
                .paired
                .map_or_else(|| "–".to_owned(), |p| estimate(p.mean, p.ci95));
            let share = match difference.paired {
                Some(p) if p.share_better.is_some() && p.ci95 == Some((0.0, 0.0)) => "same".to_owned(),
                Some(p) => p
                    .share_better
                    .map_or_else(String::new, |s| format!("{:.0}%", 100.0 * s)),
                None => String::new(),
            };
            let lines = wrap_words(&row.label, 27);
            let (last, first) = lines.split_last().expect("a label has a line");
            for line in first {
                let _ = writeln!(text, "  {line}");
            }
            let line = format!(
                "  {last:<28}{:>9} {:>8} {diff:>24} {share:>6}",
                short_unit(&row.unit),
                row.mean.map_or_else(|| "–".to_owned(), number),
            );
            let _ = writeln!(text, "{}", line.trim_end());
        }
        text.push('\n');
    }
    text.push_str(&console::wrap(
        &format!(
            "results in {} (compare.json, compare.csv, and each variant's folder{})",
            out.display(),
            if rendered { "; report.html" } else { "" }
        ),
        80,
        "  ",
    ));
    text
}
