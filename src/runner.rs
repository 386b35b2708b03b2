//! Runs replications in parallel and hands their results over in replication order, so results
//! never depend on the number of threads or on scheduling, and memory holds only the replications
//! in flight, never all of them.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::metrics::{replication_result, ReplicationResult};
use crate::model::simulation::{run_replication_until, NoTrace, Stall, Stopped, Tracer, Unstable};
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
}

/// How a run ended, and what it did.
#[derive(Debug)]
pub struct RunOutcome {
    /// Replications handed over, a contiguous range from the first.
    pub completed: u32,
    /// Events processed in those replications.
    pub events: u64,
    /// The most patients in the system at once in any of them.
    pub peak_in_system: usize,
    /// Whether every replication completed, and if not why.
    pub ending: Ending,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// Every replication ran to its horizon.
    Complete,
    /// The caller's interrupt flag was raised; the replications handed over completed, the rest
    /// did not start or were abandoned.
    Interrupted,
    /// A replication had more patients in the system than the scenario allows; the others were
    /// abandoned.
    Unstable {
        /// The replication's index.
        replication: u32,
        /// Where and when.
        unstable: Unstable,
    },
    /// A replication's simulated time stopped advancing (patients passing round services that
    /// take no time); the others were abandoned.
    Stalled {
        /// The replication's index.
        replication: u32,
        /// Where and when.
        stall: Stall,
    },
    /// The uncertain inputs a replication drew made the scenario invalid; the others were
    /// abandoned.
    InvalidInputs {
        /// The replication's index.
        replication: u32,
        /// The scenario's problems with those values.
        problems: String,
    },
}

/// Why a replication did not complete.
enum Failed {
    Stopped(Stopped),
    Inputs(String),
}

/// Why a run could not go on: its threads could not start, or the caller's sink failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError<E> {
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// How many were asked for.
        threads: usize,
        /// Why not.
        source: rayon::ThreadPoolBuildError,
    },
    /// The sink refused a result (it could not write it, say).
    #[error(transparent)]
    Sink(E),
}

/// Replications run at once per worker thread: enough to keep threads busy while results are
/// handed over in order, few enough that memory holds only a handful of results.
const REPLICATIONS_PER_THREAD_AT_ONCE: usize = 4;

/// Runs the replications of `plan` on `model`, handing each result to `sink` in replication
/// order, until done or until `interrupt` is raised (checked every few thousand events, and as
/// simulated time passes). The first replication's patient events go to `trace`, which is
/// returned. An interrupted run hands over a contiguous range of replications from the first.
pub fn run_each<T: Tracer + Send, E>(
    model: &Model,
    plan: &RunPlan,
    interrupt: &AtomicBool,
    trace: Option<T>,
    sink: &mut dyn FnMut(ReplicationResult) -> Result<(), E>,
) -> Result<(RunOutcome, Option<T>), RunError<E>> {
    let threads = plan.threads.unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| RunError::Threads { threads, source })?;
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
    let traced = plan.replications.start;
    let trace = Mutex::new(trace);
    let failure_found = AtomicBool::new(false);
    let should_stop = || interrupt.load(Ordering::Relaxed) || failure_found.load(Ordering::Relaxed);
    let at_once = (pool.current_num_threads() * REPLICATIONS_PER_THREAD_AT_ONCE).max(1) as u32;
    let mut outcome = RunOutcome {
        completed: 0,
        events: 0,
        peak_in_system: 0,
        ending: Ending::Complete,
    };
    type Finished = Result<ReplicationResult, (u32, Failed)>;
    let simulate = |chunk: Range<u32>| -> Vec<Finished> {
        pool.install(|| {
            chunk
                .into_par_iter()
                .map(|replication| {
                    // Drawn before anything can stop it, so that of several replications whose
                    // inputs are invalid the first is reported, whatever the threads.
                    let drawn;
                    let model = match &model.uncertain {
                        Some(inputs) => match inputs.realise(model, replication) {
                            Ok(realised) => {
                                drawn = realised;
                                &drawn
                            }
                            Err(problems) => {
                                failure_found.store(true, Ordering::Relaxed);
                                return Err((replication, Failed::Inputs(problems)));
                            }
                        },
                        None => model,
                    };
                    if should_stop() {
                        return Err((replication, Failed::Stopped(Stopped::Interrupted)));
                    }
                    let ran = match (replication == traced).then(|| trace.lock().expect("never poisoned").take()) {
                        Some(Some(tracer)) => {
                            run_replication_until(model, replication, tracer, &should_stop).map(|(record, tracer)| {
                                *trace.lock().expect("never poisoned") = Some(tracer);
                                record
                            })
                        }
                        _ => run_replication_until(model, replication, NoTrace, &should_stop).map(|(record, _)| record),
                    };
                    let record = ran.map_err(|stopped| {
                        if !matches!(stopped, Stopped::Interrupted) {
                            failure_found.store(true, Ordering::Relaxed);
                        }
                        (replication, Failed::Stopped(stopped))
                    })?;
                    bar.inc(1);
                    Ok(replication_result(model, replication, &record))
                })
                .collect()
        })
    };
    // Each chunk is simulated while the one before it is handed to `sink`, so the threads do not
    // wait while results are written.
    std::thread::scope(|scope| -> Result<(), RunError<E>> {
        let mut next = plan.replications.start;
        let start = |next: &mut u32| {
            (*next < plan.replications.end).then(|| {
                let chunk = *next..(next.saturating_add(at_once)).min(plan.replications.end);
                *next = chunk.end;
                scope.spawn(|| simulate(chunk))
            })
        };
        let mut running = start(&mut next);
        while let Some(simulating) = running.take() {
            let finished = simulating
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if outcome.ending != Ending::Complete {
                continue;
            }
            running = start(&mut next);
            // A failure found anywhere in the chunk is what stopped the others, so it is reported
            // rather than their interruption; only the replications before the first that did not
            // complete are handed over.
            let failure = finished.iter().find_map(|f| match f {
                Err((replication, Failed::Stopped(Stopped::Unstable(unstable)))) => Some(Ending::Unstable {
                    replication: *replication,
                    unstable: unstable.clone(),
                }),
                Err((replication, Failed::Stopped(Stopped::Stalled(stall)))) => Some(Ending::Stalled {
                    replication: *replication,
                    stall: stall.clone(),
                }),
                Err((replication, Failed::Inputs(problems))) => Some(Ending::InvalidInputs {
                    replication: *replication,
                    problems: problems.clone(),
                }),
                _ => None,
            });
            for result in finished {
                match result {
                    Ok(result) => {
                        outcome.completed += 1;
                        outcome.events += result.events;
                        outcome.peak_in_system = outcome.peak_in_system.max(result.peak_in_system);
                        sink(result).map_err(|error| {
                            // The chunk being simulated is of no use now.
                            failure_found.store(true, Ordering::Relaxed);
                            RunError::Sink(error)
                        })?;
                    }
                    Err(_) => {
                        outcome.ending = failure.unwrap_or(Ending::Interrupted);
                        break;
                    }
                }
            }
            if outcome.ending != Ending::Complete {
                failure_found.store(true, Ordering::Relaxed);
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok((outcome, trace.into_inner().expect("never poisoned")))
}

/// Runs the replications of `plan` and keeps every result, in replication order: for small runs
/// and tests (a command-line run streams them instead, see [`run_each`]).
pub fn run(
    model: &Model,
    plan: &RunPlan,
    interrupt: &AtomicBool,
) -> Result<(Vec<ReplicationResult>, Ending), RunError<std::convert::Infallible>> {
    let mut results = Vec::new();
    let (outcome, _) = run_each(model, plan, interrupt, None::<NoTrace>, &mut |result| {
        results.push(result);
        Ok(())
    })?;
    Ok((results, outcome.ending))
}

/// Joins results of runs over different replication ranges into one list in replication order,
/// so that runs of 0..500 and 500..1000 give exactly what one run of 0..1000 gives.
pub fn merge(parts: impl IntoIterator<Item = Vec<ReplicationResult>>) -> Vec<ReplicationResult> {
    let mut all: Vec<ReplicationResult> = parts.into_iter().flatten().collect();
    all.sort_by_key(|r| r.replication);
    all.dedup_by_key(|r| r.replication);
    all
}
