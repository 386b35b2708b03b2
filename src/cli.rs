//! What the user typed (clap types) and the run configuration built from it at once.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::scenario::Override;

/// The scenario run when `bcfsim run` is given no file.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/leicestershire.toml");
/// The name under which errors in the embedded default scenario are reported.
pub const DEFAULT_SCENARIO_NAME: &str = "<default scenario>";

/// bcfsim: discrete-event simulation of health and social care capacity.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario's replications and write the results.
    Run(RunArgs),
    /// Validate a scenario without running it.
    Check(CheckArgs),
}

/// `bcfsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML); the embedded default scenario when omitted.
    pub scenario: Option<PathBuf>,
    /// Number of replications (overrides the scenario's).
    #[arg(long, short = 'r')]
    pub replications: Option<u32>,
    /// Index of the first replication, to run a range that merges with others (default 0).
    #[arg(long, default_value_t = 0)]
    pub first_replication: u32,
    /// Seed of the random streams (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output folder (default: outputs/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a scalar of the scenario, e.g. service.ward.capacity=12 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Print the summary JSON on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write trace.csv: every patient event of the first replication.
    #[arg(long)]
    pub trace: bool,
}

/// `bcfsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Override a scalar of the scenario before checking (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
}

/// Where the scenario comes from.
#[derive(Debug, Clone)]
pub enum ScenarioSource {
    /// A file.
    File(PathBuf),
    /// The embedded default.
    Default,
}

/// A run, as decided from the command line.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The scenario.
    pub scenario: ScenarioSource,
    /// `--set` overrides, applied in order.
    pub overrides: Vec<Override>,
    /// Replications instead of the scenario's.
    pub replications: Option<u32>,
    /// First replication index.
    pub first_replication: u32,
    /// Seed instead of the scenario's.
    pub seed: Option<u64>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Output folder instead of `outputs/<name>/`.
    pub out: Option<PathBuf>,
    /// Print JSON instead of a table.
    pub json: bool,
    /// Write a trace of the first replication.
    pub trace: bool,
}

impl From<RunArgs> for RunConfig {
    fn from(args: RunArgs) -> Self {
        RunConfig {
            scenario: args.scenario.map_or(ScenarioSource::Default, ScenarioSource::File),
            overrides: args.overrides,
            replications: args.replications,
            first_replication: args.first_replication,
            seed: args.seed,
            threads: args.threads,
            out: args.out,
            json: args.json,
            trace: args.trace,
        }
    }
}
