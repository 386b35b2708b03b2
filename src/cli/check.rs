//! `bcfsim check`: validate a scenario without running it.

use std::path::Path;

use bcfsim::scenario::{self, Override};

use super::{console, Failure};

/// Validates the scenario at `path` (with `overrides`) and says so.
pub fn check(path: &Path, overrides: &[Override]) -> Result<(), Failure> {
    let model = scenario::load_file(path, overrides)?;
    console::print(&format!(
        "{}: valid ({} sources, {} nodes, {} cohorts)\n",
        path.display(),
        model.network.sources.len(),
        model.network.nodes.len(),
        model.network.cohorts.len()
    ))
}
