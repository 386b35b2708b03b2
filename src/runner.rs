//! Runs replications in parallel and collects their results in replication order, so results
//! never depend on the number of threads or on scheduling.

use std::ops::Range;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::metrics::{replication_result, ReplicationResult};
use crate::model::simulation::{run_replication, NoTrace, TraceRow};
use crate::model::Model;

/// What to run and how.
#[derive(Clone, Debug)]
pub struct RunPlan {
    /// Replication indices to run (each fixes its own random streams).
    pub replications: Range<u32>,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    /// Show a progress bar on standard error (drawn only when it is a terminal).
    pub progress: bool,
    /// Keep a trace of every patient event of the first replication.
    pub trace: bool,
}

/// The results of a run.
#[derive(Debug)]
pub struct RunOutcome {
    /// One result per replication, in replication order.
    pub results: Vec<ReplicationResult>,
    /// The trace of the first replication, when asked for.
    pub trace: Option<Vec<TraceRow>>,
}

/// An error setting up the run (not of the simulation, which cannot fail).
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {source}")]
pub struct RunError {
    threads: usize,
    source: rayon::ThreadPoolBuildError,
}

/// Runs the replications of `plan` on `model`.
pub fn run(model: &Model, plan: &RunPlan) -> Result<RunOutcome, RunError> {
    let threads = plan.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| RunError { threads, source })?;
    let count = u64::from(plan.replications.end - plan.replications.start);
    let bar = if plan.progress {
        ProgressBar::with_draw_target(Some(count), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} replications, {elapsed} elapsed, about {eta} left")
            .expect("the template is valid"),
    );
    let traced = plan.trace.then_some(plan.replications.start);
    let outcomes: Vec<(ReplicationResult, Option<Vec<TraceRow>>)> = pool.install(|| {
        plan.replications
            .clone()
            .into_par_iter()
            .map(|replication| {
                let (record, trace) = if traced == Some(replication) {
                    let (record, rows) = run_replication(model, replication, Vec::new());
                    (record, Some(rows))
                } else {
                    (run_replication(model, replication, NoTrace).0, None)
                };
                bar.inc(1);
                (replication_result(model, replication, &record), trace)
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut trace = None;
    let results = outcomes
        .into_iter()
        .map(|(result, rows)| {
            trace = trace.take().or(rows);
            result
        })
        .collect();
    Ok(RunOutcome { results, trace })
}

/// Joins results of runs over different replication ranges into one list in replication order,
/// so that runs of 0..500 and 500..1000 give exactly what one run of 0..1000 gives.
pub fn merge(parts: impl IntoIterator<Item = Vec<ReplicationResult>>) -> Vec<ReplicationResult> {
    let mut all: Vec<ReplicationResult> = parts.into_iter().flatten().collect();
    all.sort_by_key(|r| r.replication);
    all.dedup_by_key(|r| r.replication);
    all
}
