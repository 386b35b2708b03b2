//! bcfsim: a discrete-event simulator for health and social care capacity modelling.
//!
//! Layers, from the bottom: [`calendar`] (events and time), [`random`] (independent streams),
//! [`model`] (the queueing network and one replication of it), [`scenario`] (the file format,
//! converted into a model), [`metrics`] (statistics from what the model recorded), [`runner`]
//! (parallel replications), [`experiment`] (comparisons, sweeps and searches over models),
//! [`report`] (files written from results). Beside them, [`fit`] estimates a scenario's inputs
//! (distributions, arrival rates and profiles) from data.
#![warn(missing_docs)]

pub mod calendar;
pub mod experiment;
pub mod fit;
pub mod metrics;
pub mod model;
pub mod names;
pub mod random;
pub mod report;
pub mod runner;
pub mod scenario;
