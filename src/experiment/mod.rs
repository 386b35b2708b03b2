//! Experiments on a model: paired comparisons of variants (and, as they come, sweeps, target
//! searches, trajectories, input uncertainty and costs). Pure functions over per-replication
//! values: no IO, no command line, testable on small models.

pub mod compare;

pub use compare::{better, paired, Better, Paired};
