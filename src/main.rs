//! The `bcfsim` command. Exit codes: 0 done, 1 results could not be written, 2 an error in the
//! scenario, 3 the system is unstable, 130 interrupted (Ctrl-C).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use bcfsim::model::load;
use bcfsim::model::Model;
use bcfsim::report;
use bcfsim::runner::{self, Ending, RunPlan};
use bcfsim::scenario::{self, ScenarioError};

mod cli;

use cli::{Cli, Command, RunConfig, ScenarioSource};

/// Raised by the first Ctrl-C; replications stop within milliseconds and completed ones are kept.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Arrivals over all replications above which the run is announced as long before it starts.
const LONG_RUN_ARRIVALS: f64 = 1e8;

/// A run that could not finish, with its exit code.
#[derive(Debug, thiserror::Error)]
enum Unfinished {
    #[error("{0}")]
    Unstable(String),
    #[error("{0}")]
    Interrupted(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run(RunConfig::from(args)),
        Command::Check(args) => check(&args.scenario, &args.overrides),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(scenario_error) = error.downcast_ref::<ScenarioError>() {
                eprintln!("error in scenario:\n{scenario_error}");
                ExitCode::from(2)
            } else if let Some(unfinished) = error.downcast_ref::<Unfinished>() {
                eprintln!("{unfinished}");
                ExitCode::from(match unfinished {
                    Unfinished::Unstable(_) => 3,
                    Unfinished::Interrupted(_) => 130,
                })
            } else {
                eprintln!("error: {error:#}");
                ExitCode::from(1)
            }
        }
    }
}

fn check(path: &std::path::Path, overrides: &[scenario::Override]) -> anyhow::Result<()> {
    let model = scenario::load_file(path, overrides)?;
    println!(
        "{}: valid ({} sources, {} nodes, {} cohorts)",
        path.display(),
        model.network.sources.len(),
        model.network.nodes.len(),
        model.network.cohorts.len()
    );
    Ok(())
}

fn load(config: &RunConfig) -> Result<Model, ScenarioError> {
    let mut model = match &config.scenario {
        ScenarioSource::File(path) => scenario::load_file(path, &config.overrides)?,
        ScenarioSource::Default => {
            scenario::load_text(cli::DEFAULT_SCENARIO_NAME, cli::DEFAULT_SCENARIO, &config.overrides)?
        }
    };
    if let Some(replications) = config.replications {
        model.run.replications = replications;
    }
    if let Some(seed) = config.seed {
        model.run.seed = seed;
    }
    Ok(model)
}

/// Warns, before a long or hopeless run, about the arrivals it will simulate and about services
/// whose queue must grow without limit.
fn warn_before_running(model: &Model, replications: u32) {
    let network = &model.network;
    for overload in load::overloaded_services(network, &model.run) {
        eprintln!(
            "warning: service `{}` looks unstable: about {:.2} patients a day need {:.2} places on average, \
             but it has {:.2}, and its queue has no limit; a replication stops if more than {} patients are \
             in the system (simulation.max_patients_in_system)",
            network.nodes[overload.node as usize].id,
            overload.arrivals_per_day,
            overload.offered,
            overload.capacity,
            model.run.max_in_system,
        );
    }
    let arrivals = load::expected_arrivals(network, &model.run) * f64::from(replications);
    if arrivals > LONG_RUN_ARRIVALS {
        eprintln!(
            "warning: this run simulates about {arrivals:.2e} arrivals ({replications} replications); at a few \
             million events a second that may take a long time (Ctrl-C stops it and keeps the replications done)"
        );
    }
}

fn run(config: RunConfig) -> anyhow::Result<()> {
    let model = load(&config)?;
    let end = config
        .first_replication
        .checked_add(model.run.replications)
        .filter(|&end| model.run.replications >= 1 && end <= scenario::MAX_REPLICATIONS)
        .with_context(|| {
            format!(
                "--replications and --first-replication must give replications from 1 up to index {}",
                scenario::MAX_REPLICATIONS
            )
        })?;
    let plan = RunPlan {
        replications: config.first_replication..end,
        threads: config.threads,
        progress: std::io::stderr().is_terminal(),
        trace: config.trace,
    };
    warn_before_running(&model, model.run.replications);
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupted: stopping the replications (Ctrl-C again to quit at once)");
    })
    .context("cannot install the Ctrl-C handler")?;
    let started = Instant::now();
    let outcome = runner::run(&model, &plan, &INTERRUPTED)?;
    let wall_seconds = started.elapsed().as_secs_f64();
    let out = config
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(&model.name));
    let completed = outcome.results.len();
    let requested = model.run.replications;
    match &outcome.ending {
        Ending::Unstable { replication, unstable } => {
            return Err(Unfinished::Unstable(format!(
                "error: the system is unstable: replication {replication} had more than {} patients in the system \
                 by day {:.1}, {} of them waiting for service `{}`; nothing was written. Add capacity, or raise \
                 simulation.max_patients_in_system if so many patients are expected",
                model.run.max_in_system, unstable.day, unstable.waiting, model.network.nodes[unstable.node as usize].id,
            ))
            .into())
        }
        Ending::Interrupted if completed == 0 => {
            return Err(Unfinished::Interrupted(
                "interrupted before any replication completed; nothing was written".to_owned(),
            )
            .into())
        }
        Ending::Interrupted | Ending::Complete => {}
    }
    let interrupted = outcome.ending == Ending::Interrupted;
    let summary = report::summary(&model, &outcome.results, requested, interrupted);
    let summary_text = serde_json::to_string_pretty(&summary)? + "\n";
    report::write_atomically(&out.join("summary.json"), |w| w.write_all(summary_text.as_bytes()))?;
    report::write_atomically(&out.join("replications.csv"), |w| {
        report::write_replications_csv(w, &model, &outcome.results)
    })?;
    if outcome
        .results
        .first()
        .is_some_and(|r| !r.months.is_empty() && !r.months[0].1.is_empty())
    {
        report::write_atomically(&out.join("trajectories.csv"), |w| {
            report::write_trajectories_csv(w, &outcome.results)
        })?;
    }
    if let Some(rows) = &outcome.trace {
        report::write_atomically(&out.join("trace.csv"), |w| report::write_trace_csv(w, &model, rows))?;
    }
    let events: u64 = outcome.results.iter().map(|r| r.events).sum();
    let run_info = serde_json::json!({
        "bcfsim_version": env!("CARGO_PKG_VERSION"),
        "interrupted": interrupted,
        "replications_completed": completed,
        "wall_seconds": wall_seconds,
        "events": events,
        "events_per_second": events as f64 / wall_seconds.max(1e-9),
        "peak_patients_in_system": outcome.results.iter().map(|r| r.peak_in_system).max(),
        "threads": config.threads.unwrap_or_else(rayon::current_num_threads),
    });
    let run_text = serde_json::to_string_pretty(&run_info)? + "\n";
    report::write_atomically(&out.join("run.json"), |w| w.write_all(run_text.as_bytes()))?;

    let mut stdout = std::io::stdout().lock();
    let printed = if config.json {
        stdout.write_all(summary_text.as_bytes())
    } else {
        write!(stdout, "{}", report::table(&model, &outcome.results)).and_then(|()| {
            writeln!(
                stdout,
                "{events} events in {wall_seconds:.2} s ({:.1} million events/s); results in {}",
                events as f64 / wall_seconds.max(1e-9) / 1e6,
                out.display()
            )
        })
    };
    printed
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")?;
    if interrupted {
        return Err(Unfinished::Interrupted(format!(
            "interrupted: {completed} of {requested} replications completed; their results are in {}, marked \
             \"interrupted\": true. Rerun the same command for the full results",
            out.display()
        ))
        .into());
    }
    Ok(())
}
