//! The single integration-test binary: modules by subject, all through shared helpers.

mod behaviour;
mod cli;
mod compare;
mod delays;
mod errors;
mod fit;
mod forecast;
mod health;
mod html;
mod lean;
mod plots;
mod precision;
mod report;
mod robustness;
mod series;
mod shards;
mod staffing;
mod support;
mod sweep;
mod theory;
mod trajectory;
mod uncertainty;
mod validation;
mod warmup;
mod workbook;
