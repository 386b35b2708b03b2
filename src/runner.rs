//! Runs replications in parallel and collects their results in replication order, so results
//! never depend on the number of threads or on scheduling.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::metrics::{replication_result, ReplicationResult};
use crate::model::simulation::{run_replication_until, NoTrace, Stopped, TraceRow, Unstable};
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
    /// One result per completed replication, in replication order.
    pub results: Vec<ReplicationResult>,
    /// The trace of the first replication, when asked for and completed.
    pub trace: Option<Vec<TraceRow>>,
    /// Whether every replication completed, and if not why.
    pub ending: Ending,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// Every replication ran to its horizon.
    Complete,
    /// The caller's interrupt flag was raised; the replications in `results` completed, the rest
    /// did not start or were abandoned.
    Interrupted,
    /// A replication had more patients in the system than the scenario allows; the others were
    /// abandoned. The lowest such replication found is reported.
    Unstable {
        /// The replication's index.
        replication: u32,
        /// Where and when.
        unstable: Unstable,
    },
}

/// An error setting up the run (not of the simulation, which cannot fail).
#[derive(Debug, thiserror::Error)]
#[error("cannot start {threads} worker threads: {source}")]
pub struct RunError {
    threads: usize,
    source: rayon::ThreadPoolBuildError,
}

/// Runs the replications of `plan` on `model` until done, or until `interrupt` is raised (checked
/// every few thousand events, so within milliseconds).
pub fn run(model: &Model, plan: &RunPlan, interrupt: &AtomicBool) -> Result<RunOutcome, RunError> {
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
    let unstable_found = AtomicBool::new(false);
    let should_stop = || interrupt.load(Ordering::Relaxed) || unstable_found.load(Ordering::Relaxed);
    type Finished = Result<(ReplicationResult, Option<Vec<TraceRow>>), (u32, Stopped)>;
    let outcomes: Vec<Finished> = pool.install(|| {
        plan.replications
            .clone()
            .into_par_iter()
            .map(|replication| {
                if should_stop() {
                    return Err((replication, Stopped::Interrupted));
                }
                let ran = if traced == Some(replication) {
                    run_replication_until(model, replication, Vec::new(), &should_stop)
                        .map(|(record, rows)| (record, Some(rows)))
                } else {
                    run_replication_until(model, replication, NoTrace, &should_stop).map(|(record, _)| (record, None))
                };
                let (record, trace) = ran.map_err(|stopped| {
                    if matches!(stopped, Stopped::Unstable(_)) {
                        unstable_found.store(true, Ordering::Relaxed);
                    }
                    (replication, stopped)
                })?;
                bar.inc(1);
                Ok((replication_result(model, replication, &record), trace))
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut trace = None;
    let mut results = Vec::with_capacity(outcomes.len());
    let mut ending = Ending::Complete;
    for outcome in outcomes {
        match outcome {
            Ok((result, rows)) => {
                trace = trace.take().or(rows);
                results.push(result);
            }
            Err((replication, Stopped::Unstable(unstable))) => {
                if !matches!(ending, Ending::Unstable { .. }) {
                    ending = Ending::Unstable { replication, unstable };
                }
            }
            Err((_, Stopped::Interrupted)) => {
                if ending == Ending::Complete {
                    ending = Ending::Interrupted;
                }
            }
        }
    }
    Ok(RunOutcome { results, trace, ending })
}

/// Joins results of runs over different replication ranges into one list in replication order,
/// so that runs of 0..500 and 500..1000 give exactly what one run of 0..1000 gives.
pub fn merge(parts: impl IntoIterator<Item = Vec<ReplicationResult>>) -> Vec<ReplicationResult> {
    let mut all: Vec<ReplicationResult> = parts.into_iter().flatten().collect();
    all.sort_by_key(|r| r.replication);
    all.dedup_by_key(|r| r.replication);
    all
}
