//! Draws a [`ReportView`] into a results folder: `report.html` (the plots inline),
//! `plots/*.svg` and `plots/*.png`, and `results.xlsx`. Everything drawn comes from the view
//! (and, for the workbook's per-replication sheet, `replications.csv`), so a saved run renders
//! again without running.

use super::folder::{FolderError, ResultsFolder};
use super::view::ReportView;
use super::{html, plots, xlsx};

/// The report's file.
pub const HTML: &str = "report.html";
/// The workbook's file.
pub const WORKBOOK: &str = "results.xlsx";
/// The folder of the plot files.
pub const PLOTS: &str = "plots/";

/// Whether `name` (relative to a results folder) is something [`write()`] draws, so that drawing
/// again replaces it.
pub fn is_rendered(name: &str) -> bool {
    name == HTML || name == WORKBOOK || name.starts_with(PLOTS)
}

/// Writes the report, the plots and the workbook of `view` into `folder` (under `prefix`).
pub fn write(
    folder: &ResultsFolder,
    prefix: &str,
    view: &ReportView,
    per_replication: &xlsx::PerReplication,
) -> Result<(), FolderError> {
    let charts = plots::plots(view);
    for chart in &charts {
        folder.write(&format!("{prefix}{PLOTS}{}.svg", chart.name), |w| {
            w.write_all(chart.svg.as_bytes())
        })?;
        if let Some(png) = plots::png(view, &chart.name) {
            folder.write(&format!("{prefix}{PLOTS}{}.png", chart.name), |w| w.write_all(&png))?;
        }
    }
    let figures: Vec<html::Figure<'_>> = charts
        .iter()
        .map(|chart| html::Figure {
            name: &chart.name,
            title: &chart.title,
            caption: &chart.caption,
            svg: &chart.svg,
        })
        .collect();
    let page = html::render(view, &figures);
    folder.write(&format!("{prefix}{HTML}"), |w| w.write_all(page.as_bytes()))?;
    let workbook = xlsx::workbook(view, per_replication).map_err(|e| FolderError::Io {
        path: folder.target().join(format!("{prefix}{WORKBOOK}")),
        source: std::io::Error::other(e.to_string()),
    })?;
    folder.write(&format!("{prefix}{WORKBOOK}"), |w| w.write_all(&workbook))
}
