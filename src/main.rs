//! The `bcfsim` command. Errors in the scenario exit with code 2, failures to write results with
//! code 1.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;

use bcfsim::model::Model;
use bcfsim::report;
use bcfsim::runner::{self, RunPlan};
use bcfsim::scenario::{self, ScenarioError};

mod cli;

use cli::{Cli, Command, RunConfig, ScenarioSource};

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
    let started = Instant::now();
    let outcome = runner::run(&model, &plan)?;
    let wall_seconds = started.elapsed().as_secs_f64();

    let out = config
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(&model.name));
    let summary = report::summary(&model, &outcome.results);
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
        "wall_seconds": wall_seconds,
        "events": events,
        "events_per_second": events as f64 / wall_seconds.max(1e-9),
        "threads": config.threads.unwrap_or_else(rayon::current_num_threads),
    });
    let run_text = serde_json::to_string_pretty(&run_info)? + "\n";
    report::write_atomically(&out.join("run.json"), |w| w.write_all(run_text.as_bytes()))?;

    if config.json {
        print!("{summary_text}");
    } else {
        print!("{}", report::table(&model, &outcome.results));
        println!(
            "{events} events in {wall_seconds:.2} s ({:.1} million events/s); results in {}",
            events as f64 / wall_seconds.max(1e-9) / 1e6,
            out.display()
        );
    }
    Ok(())
}
