//! Experiments on a model: paired comparisons of variants, sweeps with target searches, and a
//! plan's targets against its trajectories, the model against observed figures, the warm-up a run needs, the replications a precision needs, and the sensitivity of the results to each input.
//! Pure functions over per-replication values: no IO, no command line, testable on small models.

pub mod compare;
pub mod precision;
pub mod sensitivity;
pub mod sweep;
pub mod trajectory;
pub mod validation;
pub mod warmup;

pub use crate::model::{Bound, Target};
pub use compare::{better, paired, Better, Paired};
pub use sensitivity::{factors, rank, Factor, FactorKind};
pub use sweep::{grid, search, shortfall, Answer, Axis, Candidate};
pub use trajectory::{evaluate, TargetOutcome};
pub use validation::{check, Check};
