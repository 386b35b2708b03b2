//! The command line: what the user typed (clap types), the configuration built from it at once,
//! one module per command, and one way to standard output and error ([`console`]). `anyhow` is
//! used here and nowhere else.

mod check;
mod compare;
pub mod console;
mod fit;
mod report;
mod run;
mod sensitivity;
mod shard;
mod slurm;
mod sweep;
mod warmup;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use bcfsim::scenario::{Override, ScenarioError, MAX_REPLICATIONS};

/// The scenario run when `bcfsim run` is given no file.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/leicestershire.toml");
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
    /// Compare a scenario with its alternatives, on the same patients.
    Compare(CompareArgs),
    /// Run over a grid of values; find the cheapest meeting targets.
    Sweep(SweepArgs),
    /// Rank uncertain inputs and levers by their effect on the results.
    Sensitivity(SensitivityArgs),
    /// Run a scenario and check it against its observed figures.
    Validate(ValidateArgs),
    /// Judge the warm-up a scenario needs, from runs without one.
    Warmup(WarmupArgs),
    /// Validate a scenario without running it.
    Check(CheckArgs),
    /// Fit distributions to data, or arrival rates to referral times.
    Fit(FitArgs),
    /// Draw a saved run's report, plots and workbook again.
    Report(ReportArgs),
    /// Merge the folders of shards (`run|compare|sweep --shard K/N`) into one results folder.
    Merge(MergeArgs),
    /// Split a run, comparison or sweep into a Slurm job array, and merge.
    Slurm(SlurmArgs),
}

/// `bcfsim slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// Shards: tasks of the job array, each a balanced share of the work.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub shards: u32,
    /// Output folder of the merged run; the shards write beside it, into OUT.shards/, and the
    /// scripts and logs go into OUT.slurm/.
    #[arg(long)]
    pub out: PathBuf,
    /// Slurm partition of both jobs.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit of each shard and of the merge, as Slurm writes it (e.g. 00:30:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Cores of each shard (its --threads).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub cpus_per_task: u32,
    /// Also write the merged run's report.
    #[arg(long)]
    pub report: bool,
    /// Submit both jobs with sbatch (the merge depending on the array) and print their ids.
    #[arg(long)]
    pub submit: bool,
    /// The command to split and its arguments: `run|compare|sweep SCENARIO [OPTIONS]`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// `bcfsim merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The results folders of the shards, written by `bcfsim run|compare|sweep ... --shard K/N --out DIR`.
    #[arg(required = true, value_name = "PARTS")]
    pub parts: Vec<PathBuf>,
    /// Output folder of the merged results.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write report.html, the plots (SVG and PNG) and results.xlsx into the results folder.
    #[arg(long)]
    pub report: bool,
}

/// `bcfsim report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A results folder written by run, compare, sweep or sensitivity.
    pub folder: PathBuf,
}

/// The options of the commands that run a scenario several ways and compare the runs.
#[derive(Debug, clap::Args)]
pub struct RunsArgs {
    /// Number of replications of every run (overrides the scenario's).
    #[arg(long, short = 'r', value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    /// Seed of the random numbers, shared by every run (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), value_name = "T")]
    pub threads: Option<u32>,
    /// Output folder (default: outputs/<scenario name>-<command>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a value of the scenario in every run, before the run's own values (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Observe financial year YYYY/YY (e.g. 2020/21): warm up from the scenario's start to 1 April, run to the next 1 April.
    #[arg(long, value_name = "YYYY/YY", value_parser = financial_year)]
    pub year: Option<i32>,
    /// Print the command's JSON result on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// `bcfsim sensitivity`.
#[derive(Debug, clap::Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML); the embedded default scenario when omitted.
    pub scenario: Option<PathBuf>,
    /// Also write report.html, the plots (SVG and PNG) and results.xlsx into the results folder.
    #[arg(long)]
    pub report: bool,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// `bcfsim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (TOML); the embedded default scenario when omitted.
    pub scenario: Option<PathBuf>,
    /// A path or lever and its values, FROM to TO (included) by STEP, e.g. hca_fte=50..80:5 (repeatable: a grid).
    #[arg(long, value_name = "PATH=FROM..TO:STEP", required = true)]
    pub vary: Vec<bcfsim::experiment::Axis>,
    /// A statistic and its bound, e.g. 'delayed_days_per_100k_per_day<=3.7' (a metric needs no `metrics.`; repeatable: all must be met).
    #[arg(long = "target", value_name = "METRIC<=VALUE")]
    pub targets: Vec<bcfsim::experiment::Target>,
    /// Share of replications in which every target must be met (0 to 1).
    #[arg(long, default_value_t = 0.9, value_parser = share)]
    pub confidence: f64,
    /// Also write report.html, the plots (SVG and PNG) and results.xlsx into the results folder.
    #[arg(long)]
    pub report: bool,
    /// Run every uncertain input at its central value instead of drawing it for each replication.
    #[arg(long)]
    pub no_input_uncertainty: bool,
    /// Run only shard K (from 0) of N balanced shares of the points' replications, for `bcfsim merge`.
    #[arg(long, value_name = "K/N", value_parser = shard::parse)]
    pub shard: Option<shard::Shard>,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// A financial year `YYYY/YY`, as the calendar year it begins in.
fn financial_year(text: &str) -> Result<i32, String> {
    bcfsim::metrics::trajectory::financial_year_start(text)
        .ok_or_else(|| format!("`{text}` is not a financial year such as 2020/21"))
}

/// A share from 0 (exclusive) to 1.
fn share(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && *v <= 1.0)
        .ok_or_else(|| format!("`{text}` is not a share above 0 and at most 1 (e.g. 0.9)"))
}

/// `bcfsim compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The base scenario file (TOML); the embedded default scenario when omitted (or when the first name is one of its variants).
    pub base: Option<PathBuf>,
    /// Alternatives: scenario files, or names of the base's [[variant]]s (default: all its variants).
    pub alternatives: Vec<String>,
    /// Run every uncertain input at its central value instead of drawing it for each replication.
    #[arg(long)]
    pub no_input_uncertainty: bool,
    /// Also write report.html, the plots (SVG and PNG) and results.xlsx into the results folder.
    #[arg(long)]
    pub report: bool,
    /// Run only shard K (from 0) of N balanced shares of every run's replications, for `bcfsim merge`.
    #[arg(long, value_name = "K/N", value_parser = shard::parse)]
    pub shard: Option<shard::Shard>,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// `bcfsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario file (TOML); the embedded default scenario when omitted.
    pub scenario: Option<PathBuf>,
    /// Number of replications (overrides the scenario's).
    #[arg(long, short = 'r', value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPLICATIONS)))]
    pub replications: Option<u32>,
    /// Index of the first replication, to run a range that merges with others (default 0).
    #[arg(long, default_value_t = 0)]
    pub first_replication: u32,
    /// Run only shard K (from 0) of N balanced shares of the replications, for `bcfsim merge`.
    #[arg(long, value_name = "K/N", value_parser = shard::parse, conflicts_with_all = ["first_replication", "precision", "trace"])]
    pub shard: Option<shard::Shard>,
    /// Seed of the random streams (overrides the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Output folder (default: outputs/<scenario name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a value of the scenario, e.g. service.ward.capacity=12 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
    /// Observe financial year YYYY/YY (e.g. 2020/21): warm up from the scenario's start to 1 April, run to the next 1 April.
    #[arg(long, value_name = "YYYY/YY", value_parser = financial_year)]
    pub year: Option<i32>,
    /// Run every uncertain input at its central value instead of drawing it for each replication.
    #[arg(long)]
    pub no_input_uncertainty: bool,
    /// Print the summary JSON on standard output instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Add replications until each watched statistic's 95 % half-width is within this: 2% of its mean, or 0.05 in its units.
    #[arg(long, value_name = "PRECISION")]
    pub precision: Option<bcfsim::experiment::precision::Precision>,
    /// A statistic --precision watches (repeatable; default: every BCF metric, or every limited service's occupancy).
    #[arg(long = "metric", value_name = "PATH", requires = "precision")]
    pub metrics: Vec<String>,
    /// The most replications --precision runs.
    #[arg(long, default_value_t = 2000, value_name = "N", requires = "precision", value_parser = clap::value_parser!(u32).range(2..=i64::from(MAX_REPLICATIONS)))]
    pub max_replications: u32,
    /// Services followed day by day in series.csv: ids separated by commas, `all`, or `none` (default: every service with limited places).
    #[arg(long, value_name = "SERVICES")]
    pub series: Option<String>,
    /// Also write trace.csv: every patient event of the first replication.
    #[arg(long)]
    pub trace: bool,
    /// The most events trace.csv holds; the trace stops there and run.json says so.
    #[arg(long, default_value_t = bcfsim::report::DEFAULT_TRACE_MAX_EVENTS, value_name = "N")]
    pub trace_max_events: u64,
    /// Also print every service's statistics after the headline.
    #[arg(long)]
    pub detail: bool,
    /// Also write report.html, the plots (SVG and PNG) and results.xlsx into the results folder.
    #[arg(long)]
    pub report: bool,
}

/// `bcfsim warmup`.
#[derive(Debug, clap::Args)]
pub struct WarmupArgs {
    /// Scenario file (TOML); the embedded default scenario when omitted.
    pub scenario: Option<PathBuf>,
    /// A statistic to judge: a BCF metric, or a service's mean_occupancy, mean_queue or mean_blocked_waiting (repeatable; default: every BCF metric, or every limited service's occupancy).
    #[arg(long = "metric", value_name = "PATH")]
    pub metrics: Vec<String>,
    #[command(flatten)]
    pub runs: RunsArgs,
}

/// `bcfsim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Print the validation table as Markdown, for a scenario's documentation.
    #[arg(long)]
    pub markdown: bool,
}

/// `bcfsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Override a value of the scenario before checking (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub overrides: Vec<Override>,
}

/// `bcfsim fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// CSV file; its first row is a header unless it holds data.
    pub data: PathBuf,
    /// The column: its name in the header, or its number from 1 (default: the only column of numbers, or of dates and times with --arrivals).
    #[arg(long, value_name = "C")]
    pub column: Option<String>,
    /// The column holds referral times: fit a source's rate_per_day and its hour, weekday and month profiles.
    #[arg(long)]
    pub arrivals: bool,
    /// Print the result as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
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
    /// Write a trace of the first replication, of at most this many events.
    pub trace: Option<u64>,
    /// Draw uncertain inputs for each replication (else run them at their central values).
    pub input_uncertainty: bool,
    /// The financial year to observe (its first calendar year), instead of the scenario's window.
    pub year: Option<i32>,
    /// What the run is for, which decides what it prints and when it fails.
    pub mode: Mode,
    /// The services series.csv follows instead of the default.
    pub series: Option<String>,
    /// Replications added until statistics are this precise.
    pub precision: Option<PrecisionAsked>,
    /// Print every service's statistics after the headline.
    pub detail: bool,
    /// Write the report, plots and workbook.
    pub report: bool,
    /// Run only this shard of the replications, kept for `bcfsim merge`.
    pub shard: Option<shard::Shard>,
}

/// A run to a precision, as asked on the command line.
#[derive(Debug, Clone)]
pub struct PrecisionAsked {
    /// The half-width each statistic's mean must reach.
    pub precision: bcfsim::experiment::precision::Precision,
    /// The statistics watched (default: the BCF metrics).
    pub metrics: Vec<String>,
    /// The most replications.
    pub max_replications: u32,
}

/// What a run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Results: print the table (or the summary JSON).
    Run,
    /// Validation: print the model against the observed figures (as Markdown, for documentation)
    /// and fail when a figure lies outside its tolerance.
    Validate {
        /// Print Markdown instead of the console table.
        markdown: bool,
    },
}

impl From<RunArgs> for RunConfig {
    fn from(args: RunArgs) -> Self {
        RunConfig {
            scenario: args.scenario.map_or(ScenarioSource::Default, ScenarioSource::File),
            overrides: args.overrides,
            replications: args.replications,
            first_replication: args.first_replication,
            seed: args.seed,
            threads: args.threads.map(|t| t as usize),
            out: args.out,
            json: args.json,
            trace: args.trace.then_some(args.trace_max_events),
            input_uncertainty: !args.no_input_uncertainty,
            year: args.year,
            mode: Mode::Run,
            series: args.series,
            precision: args.precision.map(|precision| PrecisionAsked {
                precision,
                metrics: args.metrics,
                max_replications: args.max_replications,
            }),
            detail: args.detail,
            report: args.report,
            shard: args.shard,
        }
    }
}

/// Why a command did not succeed, which decides its exit code.
#[derive(Debug)]
pub enum Failure {
    /// A mistake in the scenario (exit 2).
    Scenario(ScenarioError),
    /// A mistake on the command line that clap cannot see, such as an output folder that holds
    /// the user's own files (exit 2).
    Usage(String),
    /// Results or standard output could not be written (exit 1).
    Io(anyhow::Error),
    /// The system is unstable, or its time stopped advancing (exit 3).
    Unstable(String),
    /// An observed figure lies further from the model than its tolerance (exit 4).
    Validation(String),
    /// Ctrl-C (exit 130).
    Interrupted(String),
    /// SIGTERM (exit 143).
    Terminated(String),
}

impl Failure {
    /// The process's exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Scenario(_) | Failure::Usage(_) => 2,
            Failure::Io(_) => 1,
            Failure::Unstable(_) => 3,
            Failure::Validation(_) => 4,
            Failure::Interrupted(_) => 130,
            Failure::Terminated(_) => 143,
        }
    }

    /// What to tell the user.
    pub fn message(&self) -> String {
        match self {
            Failure::Scenario(error) => format!("error in scenario:\n{error}"),
            Failure::Usage(message) => format!("error: {message}"),
            Failure::Io(error) => format!("error: {error:#}"),
            Failure::Unstable(message) | Failure::Validation(message) => format!("error: {message}"),
            Failure::Interrupted(message) | Failure::Terminated(message) => message.clone(),
        }
    }
}

impl From<ScenarioError> for Failure {
    fn from(error: ScenarioError) -> Self {
        Failure::Scenario(error)
    }
}

/// Runs the command the user typed.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run::run(RunConfig::from(args)),
        Command::Compare(args) => compare::compare(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Sensitivity(args) => sensitivity::sensitivity(args),
        Command::Validate(args) if args.run.shard.is_some() => Err(Failure::Usage(
            "--shard splits `bcfsim run`; validate a whole run (merge the shards first)".to_owned(),
        )),
        Command::Validate(args) => run::run(RunConfig {
            mode: Mode::Validate {
                markdown: args.markdown,
            },
            ..RunConfig::from(args.run)
        }),
        Command::Warmup(args) => warmup::warmup(args),
        Command::Check(args) => check::check(&args.scenario, &args.overrides),
        Command::Fit(args) => fit::fit(&args),
        Command::Report(args) => report::report(&args.folder),
        Command::Merge(args) => shard::merge(args),
        Command::Slurm(args) => slurm::slurm(&args),
    }
}
