//! `bcfsim sensitivity`: each uncertain input and each lever moved from the low end of its range
//! to the high end, one at a time and paired, the rest at their central values, and the inputs
//! ranked by their effect on every statistic.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use bcfsim::experiment::{factors, rank, Factor};
use bcfsim::model::simulation::NoTrace;
use bcfsim::model::Model;
use bcfsim::report::{self, view, ResultsFolder};
use bcfsim::runner::{Ending, RunPlan};
use bcfsim::scenario::Override;

use super::run::{
    self, folder_failure, interruption, load_base, load_beside, overload_notes, pair, prepare_runs, report_json,
    simulate, write_experiment_view, Difference, Window,
};
use super::{console, Failure, ScenarioSource, SensitivityArgs};

/// Where each end's run is written while it is paired; removed before the folder is committed.
const WORK: &str = ".work";
/// The statistics the table ranks the factors for, where the scenario has them.
const HEADLINE: [&str; 5] = [
    "metrics.delayed_days_per_100k_per_day",
    "metrics.non_elective_admissions_per_100k",
    "metrics.care_home_admissions_65_per_100k",
    "metrics.at_home_91_days_pct",
    "costs.total",
];
/// Factors the table shows for each statistic.
const SHOWN: usize = 5;

/// One factor, run at both ends: every statistic's paired effect (high minus low), or why it
/// could not be run.
struct Moved {
    factor: Factor,
    effects: Result<Vec<Difference>, String>,
    /// Ends at which a service cannot keep up with its demand, so its queue grows all run and
    /// the effect there is of a system out of balance.
    overloaded: Vec<String>,
}

/// Runs the analysis and writes `sensitivity.csv` and `sensitivity.json`.
pub fn sensitivity(args: SensitivityArgs) -> Result<(), Failure> {
    let source = args
        .scenario
        .clone()
        .map_or(ScenarioSource::Default, ScenarioSource::File);
    let base = load_base(&source, &args.runs)?;
    let inputs = base.uncertain.as_ref().map_or(&[][..], |u| u.inputs());
    let factors = factors(inputs, &base.provenance.levers);
    if factors.is_empty() {
        return Err(Failure::Usage(
            "nothing to move: the scenario has no uncertain inputs and no levers with a range".to_owned(),
        ));
    }
    // Both ends of every factor are checked before anything runs.
    let mut ends = Vec::with_capacity(factors.len());
    for factor in &factors {
        ends.push([
            end_model(&source, &args, &base, factor, false)?,
            end_model(&source, &args, &base, factor, true)?,
        ]);
    }
    let (out, folder, plan) = prepare_runs(&base, &args.runs, "sensitivity")?;
    let mut moved = Vec::with_capacity(factors.len());
    for (factor, [low, high]) in factors.into_iter().zip(&ends) {
        let effects = run_both(&folder, &plan, low, high)?;
        let mut overloaded = overload_notes(low, &factor.assignment(false));
        overloaded.extend(overload_notes(high, &factor.assignment(true)));
        moved.push(Moved {
            factor,
            effects,
            overloaded,
        });
    }
    folder
        .write("sensitivity.csv", |w| write_csv(w, &moved))
        .map_err(folder_failure)?;
    let definition = report_json(&definition_json(&base, &moved))?;
    folder
        .write("sensitivity.json", |w| w.write_all(definition.as_bytes()))
        .map_err(folder_failure)?;
    let view = sensitivity_view(&base, &source, &moved);
    write_experiment_view(&folder, &view, args.report)?;
    folder.commit().map_err(folder_failure)?;
    if args.runs.json {
        return console::print(&definition);
    }
    console::print(&table(&base, &moved, &out))
}

/// The model with `factor` at one end, everything else at its central value, on the base's seed,
/// replications, warm-up and horizon.
fn end_model(
    source: &ScenarioSource,
    args: &SensitivityArgs,
    base: &Model,
    factor: &Factor,
    high: bool,
) -> Result<Model, Failure> {
    let assignment = factor.assignment(high);
    let mut sets = args.runs.overrides.clone();
    sets.push(
        assignment
            .parse::<Override>()
            .map_err(|e| Failure::Usage(format!("{}: {e}", factor.name)))?,
    );
    let window = Window::Own(args.runs.year);
    let mut model = load_beside(source, &sets, base, window, true, &format!("with {assignment}"))?;
    // Sensitivity ranks statistics, not days: following services by day would only cost time.
    model.run.series.clear();
    Ok(model)
}

/// Runs both ends into working files, pairs them and removes the files; an end whose system is
/// unstable leaves the factor without effects, and says why.
fn run_both(
    folder: &ResultsFolder,
    plan: &RunPlan,
    low: &Model,
    high: &Model,
) -> Result<Result<Vec<Difference>, String>, Failure> {
    let mut runs = Vec::with_capacity(2);
    for (model, end) in [(low, "low"), (high, "high")] {
        match simulate(model, plan, folder, &format!("{WORK}/{end}/"), false, None::<NoTrace>) {
            Ok(run) if run.outcome.ending == Ending::Interrupted => {
                return Err(interruption(
                    "interrupted: the analysis needs every replication at both ends of every factor; nothing was \
                     written"
                        .to_owned(),
                ))
            }
            Ok(run) => runs.push(run),
            Err(Failure::Unstable(message)) => {
                for run in runs {
                    run.spill.discard().map_err(folder_failure)?;
                }
                folder.remove_dir(WORK).map_err(folder_failure)?;
                return Ok(Err(format!("at its {end} end: {message}")));
            }
            Err(failure) => return Err(failure),
        }
    }
    let high_run = runs.pop().expect("two runs");
    let low_run = runs.pop().expect("two runs");
    let effects = pair(&low_run.spill, &high_run.spill)?;
    low_run.spill.discard().map_err(folder_failure)?;
    high_run.spill.discard().map_err(folder_failure)?;
    folder.remove_dir(WORK).map_err(folder_failure)?;
    Ok(Ok(effects))
}

/// Per statistic, the factors' effects in rank order.
fn ranked<'m>(moved: &'m [Moved], path: &str) -> Vec<(usize, &'m Moved, Option<&'m Difference>)> {
    let found: Vec<Option<&Difference>> = moved
        .iter()
        .map(|m| m.effects.as_ref().ok()?.iter().find(|d| d.path == path))
        .collect();
    let effects: Vec<_> = found.iter().map(|d| d.and_then(|d| d.paired)).collect();
    rank(&effects)
        .into_iter()
        .enumerate()
        .map(|(place, k)| (place + 1, &moved[k], found[k]))
        .collect()
}

/// `sensitivity.csv`: a row per statistic and factor, in rank order within each statistic
/// (occupancy distributions and statistics by cohort left out: they would make it hundreds of
/// times longer).
fn write_csv(out: &mut dyn std::io::Write, moved: &[Moved]) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "statistic",
        "rank",
        "input",
        "kind",
        "low",
        "high",
        "mean_at_low",
        "mean_at_high",
        "effect",
        "effect_ci95_lo",
        "effect_ci95_hi",
    ])?;
    let number = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
    let paths: Vec<&str> = moved
        .iter()
        .find_map(|m| m.effects.as_ref().ok())
        .map(|effects| {
            effects
                .iter()
                .map(|d| d.path.as_str())
                .filter(|path| !path.contains(".occupancy_at_least.") && !path.contains(".by_cohort."))
                .collect()
        })
        .unwrap_or_default();
    for path in paths {
        for (place, m, difference) in ranked(moved, path) {
            let paired = difference.and_then(|d| d.paired);
            let ci = paired.and_then(|p| p.ci95);
            writer.write_record([
                path.to_owned(),
                place.to_string(),
                m.factor.name.clone(),
                m.factor.kind.name().to_owned(),
                m.factor.show(false),
                m.factor.show(true),
                number(difference.and_then(|d| d.means.0)),
                number(difference.and_then(|d| d.means.1)),
                number(paired.map(|p| p.mean)),
                number(ci.map(|c| c.0)),
                number(ci.map(|c| c.1)),
            ])?;
        }
    }
    writer.flush()
}

/// The analysis's report: a tornado of the factors' effects on each statistic the table ranks them
/// for, largest first.
fn sensitivity_view(base: &Model, source: &ScenarioSource, moved: &[Moved]) -> view::ReportView {
    let mut view = report::assemble::experiment_view(base, &run::scenario_name(source), run::scenario_methods(source));
    let statistics = headline(moved)
        .into_iter()
        .map(|path| {
            let (label, unit) = report::labels::label(&path);
            view::Tornado {
                factors: ranked(moved, &path)
                    .into_iter()
                    .map(|(_, m, difference)| {
                        let paired = difference.and_then(|d| d.paired);
                        view::Factor {
                            name: run::lever_label(base, &m.factor.name).0,
                            low: m.factor.show(false),
                            high: m.factor.show(true),
                            effect: paired.map(|p| p.mean),
                            ci95: paired.and_then(|p| p.ci95).map(|(low, high)| [low, high]),
                        }
                    })
                    .collect(),
                path,
                label,
                unit,
                base: None,
            }
        })
        .collect();
    view.command = view::Command::Sensitivity;
    view.sensitivity = Some(view::SensitivityView { statistics });
    view
}

/// The statistics the table and `sensitivity.json` rank the factors for.
fn headline(moved: &[Moved]) -> Vec<String> {
    let available: Vec<&str> = moved
        .iter()
        .find_map(|m| m.effects.as_ref().ok())
        .map(|effects| effects.iter().map(|d| d.path.as_str()).collect())
        .unwrap_or_default();
    run::headline(&available, &HEADLINE)
}

/// `sensitivity.json`: what was moved and how the run was set up (for the audit trail), and the
/// factors ranked for each headline statistic.
fn definition_json(base: &Model, moved: &[Moved]) -> Value {
    let mut root = report::audit(base);
    let factors = moved.iter().map(|m| {
        json!({
            "input": m.factor.name,
            "kind": m.factor.kind.name(),
            "low": m.factor.show(false),
            "high": m.factor.show(true),
            "not_run": m.effects.as_ref().err(),
            "overloaded": m.overloaded,
        })
    });
    root.insert("factors".into(), factors.collect());
    let ranking: Map<String, Value> = headline(moved)
        .into_iter()
        .map(|path| {
            let ranked = ranked(moved, &path).into_iter().map(|(place, m, difference)| {
                let paired = difference.and_then(|d| d.paired);
                json!({
                    "rank": place,
                    "input": m.factor.name,
                    "low": m.factor.show(false),
                    "high": m.factor.show(true),
                    "effect": paired.map(|p| p.mean),
                    "ci95": paired.and_then(|p| p.ci95).map(|(low, high)| [low, high]),
                })
            });
            (path.clone(), ranked.collect())
        })
        .collect();
    root.insert("ranking".into(), Value::Object(ranking));
    Value::Object(root)
}

/// The console: for each headline statistic the scenario has, the factors with the largest
/// effects (80 columns).
fn table(base: &Model, moved: &[Moved], out: &std::path::Path) -> String {
    let mut text = console::wrap(
        &format!(
            "{}: {} factor{}, each from low to high with the rest central; {} paired replications at each \
             end, seed {}",
            base.name,
            moved.len(),
            if moved.len() == 1 { "" } else { "s" },
            base.run.replications,
            base.run.seed
        ),
        80,
        "  ",
    );
    for m in moved {
        if let Err(why) = &m.effects {
            text.push_str(&console::wrap(&format!("not run: {}: {why}", m.factor.name), 80, "  "));
        }
        for note in &m.overloaded {
            text.push_str(&console::wrap(note, 80, "  "));
        }
    }
    text.push_str("\nEach statistic's change as a factor moves from low to high [95% CI]:\n");
    for path in headline(moved) {
        let (label, unit) = report::labels::label(&path);
        text.push('\n');
        text.push_str(&console::wrap(&format!("{label} ({unit})"), 80, "  "));
        for (place, m, difference) in ranked(moved, &path).into_iter().take(SHOWN) {
            let Some(paired) = difference.and_then(|d| d.paired) else {
                continue;
            };
            let effect = report::labels::estimate(paired.mean, paired.ci95);
            let range = format!("{} to {}", m.factor.show(false), m.factor.show(true));
            let (label, _) = run::lever_label(base, &m.factor.name);
            let name: String = if label.chars().count() > 34 {
                label.chars().take(33).chain(['…']).collect()
            } else {
                label
            };
            let _ = writeln!(text, "  {place}. {name:<34} {range:>14} {effect:>24}");
        }
    }
    text.push('\n');
    text.push_str(&console::wrap(
        &format!("results in {} (sensitivity.csv, sensitivity.json)", out.display()),
        80,
        "  ",
    ));
    text
}
