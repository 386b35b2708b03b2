//! `bcfsim report OUTDIR`: draws the report, plots and workbook again from a results folder's
//! saved view, without running anything; the folder is replaced as a whole, its other files kept.

use std::fs;
use std::path::Path;

use bcfsim::report::view::Command;
use bcfsim::report::xlsx::PerReplication;
use bcfsim::report::{self, ResultsFolder};

use super::run::{folder_failure, read_per_replication};
use super::{console, Failure};

/// Renders the results in `out` again.
pub fn report(out: &Path) -> Result<(), Failure> {
    // `.` or `results/` name the folder as well as its full path does.
    let out = &fs::canonicalize(out)
        .map_err(|error| Failure::Usage(format!("cannot read {}: {error}; name a results folder", out.display())))?;
    let saved = out.join(report::view::FILE);
    let text = fs::read_to_string(&saved).map_err(|error| {
        Failure::Usage(format!(
            "cannot read {}: {error}; `bcfsim report` needs a results folder written by `bcfsim run`, `compare`, `sweep` or `sensitivity`",
            saved.display()
        ))
    })?;
    let view: report::view::ReportView = serde_json::from_str(&text).map_err(|error| {
        Failure::Usage(format!(
            "{} is not a report view this bcfsim can read ({error}); run the scenario again",
            saved.display()
        ))
    })?;
    if view.version != report::view::VIEW_VERSION {
        return Err(Failure::Usage(format!(
            "{} was written by another version of bcfsim (report view {}, this one reads {}); run the scenario again",
            saved.display(),
            view.version,
            report::view::VIEW_VERSION
        )));
    }
    let folder = ResultsFolder::prepare(out).map_err(folder_failure)?;
    for name in files(out, Path::new("")).map_err(|e| Failure::Io(e.into()))? {
        if name != report::folder::MARKER && !report::render::is_rendered(&name) {
            folder.keep(&name).map_err(folder_failure)?;
        }
    }
    // The workbook's per-replication sheet: the run's, or the base's of a comparison; a sweep or
    // sensitivity analysis keeps none.
    let per_replication = match view.command {
        Command::Run => read_per_replication(&folder, "")?,
        Command::Compare => read_per_replication(&folder, "base/")?,
        Command::Sweep | Command::Sensitivity => PerReplication::default(),
    };
    report::render::write(&folder, "", &view, &per_replication).map_err(folder_failure)?;
    folder.commit().map_err(folder_failure)?;
    console::print(&format!(
        "report for {} drawn again: {}\n",
        view.run.scenario,
        out.join(report::render::HTML).display()
    ))
}

/// The files under `root/within`, as paths relative to `root` with `/` between folders.
fn files(root: &Path, within: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(root.join(within))? {
        let entry = entry?;
        let relative = within.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            names.extend(files(root, &relative)?);
        } else {
            names.push(relative.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    names.sort();
    Ok(names)
}
