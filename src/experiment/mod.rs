//! Experiments on a model: paired comparisons of variants, sweeps with target searches (and, as
//! they come, trajectories and input uncertainty). Pure functions over per-replication values: no
//! IO, no command line, testable on small models.

pub mod compare;
pub mod sweep;

pub use compare::{better, paired, Better, Paired};
pub use sweep::{grid, search, shortfall, Answer, Axis, Bound, Candidate, Target};
