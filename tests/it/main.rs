//! The single integration-test binary: modules by subject, all through shared helpers.

mod behaviour;
mod cli;
mod delays;
mod errors;
mod health;
mod robustness;
mod staffing;
mod support;
mod theory;
