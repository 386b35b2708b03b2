//! The single integration-test binary: modules by subject, all through shared helpers.

mod behaviour;
mod cli;
mod errors;
mod health;
mod robustness;
mod support;
mod theory;
