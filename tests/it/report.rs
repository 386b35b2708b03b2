//! `--report` as a user runs it: the default county's report, plots and workbook written once and
//! checked many ways (every plot drawn, the workbook's figures equal `summary.json`'s, the page in
//! headless Chromium), drawn again by `bcfsim report`, and the reports of `compare` and `sweep`.

use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};

use crate::support::{assert_no_console_output, bcfsim, chromium, example, run_chromium, stderr};

/// The plot files of a results folder, by name, with the SVG's or PNG's size in bytes.
fn plot_files(results: &Path) -> Vec<(String, u64)> {
    let mut files: Vec<(String, u64)> = std::fs::read_dir(results.join("plots"))
        .expect("a plots folder")
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().into_string().unwrap(),
                entry.metadata().unwrap().len(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Every SVG has its PNG and both are non-empty; returns the plots' names.
fn assert_every_plot_drawn(results: &Path) -> Vec<String> {
    let files = plot_files(results);
    let names: Vec<String> = files
        .iter()
        .filter_map(|(file, _)| file.strip_suffix(".svg").map(str::to_owned))
        .collect();
    assert!(!names.is_empty());
    for name in &names {
        for extension in ["svg", "png"] {
            let file = format!("{name}.{extension}");
            let size = files.iter().find(|(f, _)| *f == file).map(|(_, size)| *size);
            assert!(size.is_some_and(|size| size > 0), "{file} missing or empty");
        }
        let png = std::fs::read(results.join("plots").join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}.png is not a PNG");
        let svg = std::fs::read_to_string(results.join("plots").join(format!("{name}.svg"))).unwrap();
        assert!(svg.trim_end().ends_with("</svg>"), "{name}.svg is cut short");
    }
    names
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The value at a dotted path of `summary.json`.
fn at<'v>(summary: &'v serde_json::Value, path: &str) -> &'v serde_json::Value {
    path.split('.').fold(summary, |value, key| &value[key])
}

#[test]
fn the_county_report_plots_and_workbook_from_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let output = bcfsim(&["run", "-r", "3", "--report", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let results = dir.path().join("results");
    let summary = json(&results.join("summary.json"));
    let view = json(&results.join("report.json"));

    // A plot for each BCF metric's distribution and trajectory, each limited service's
    // occupancy, each staff group and the delays by cause.
    let names = assert_every_plot_drawn(&results);
    let expected = |section: &str, prefix: &str, key: &str| -> Vec<String> {
        view[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let id = key.split('.').fold(item, |value, key| &value[key]);
                let id = id.as_str().unwrap();
                format!("{prefix}-{}", id.strip_prefix("metrics.").unwrap_or(id))
            })
            .collect()
    };
    for (section, prefix, key) in [
        ("distributions", "distribution", "path"),
        ("fans", "fan", "path"),
        ("occupancy", "occupancy", "id"),
        ("staffing", "staffing", "on_shift.id"),
    ] {
        let wanted = expected(section, prefix, key);
        assert!(!wanted.is_empty(), "{section}");
        for name in wanted {
            assert!(names.contains(&name), "no plot {name} among {names:?}");
        }
    }
    assert!(names.contains(&"delays-by-cause".to_owned()), "{names:?}");

    // The workbook's headline figures are summary.json's.
    let mut workbook: Xlsx<_> = open_workbook(results.join("results.xlsx")).unwrap();
    let sheets = workbook.sheet_names();
    for sheet in [
        "Headline",
        "Replications",
        "Trajectories",
        "Staffing",
        "Costs",
        "Delays",
        "Validation",
    ] {
        assert!(sheets.iter().any(|s| s == sheet), "{sheet} not in {sheets:?}");
    }
    let headline = workbook.worksheet_range("Headline").unwrap();
    let rows: Vec<&[Data]> = headline.rows().collect();
    let header = rows
        .iter()
        .position(|row| row.iter().any(|cell| *cell == "Path"))
        .expect("a header row");
    let column = |name: &str| {
        rows[header]
            .iter()
            .position(|cell| *cell == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (path_column, mean_column) = (column("Path"), column("Mean"));
    let mut checked = 0;
    for row in &rows[header + 1..] {
        let path = row[path_column].to_string();
        if path.is_empty() {
            continue;
        }
        let expected = at(&summary, &path)["mean"].as_f64();
        let written = match &row[mean_column] {
            Data::Float(value) => Some(*value),
            Data::Int(value) => Some(*value as f64),
            _ => None,
        };
        assert_eq!(written, expected, "{path}");
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} headline rows");
    let replications = workbook.worksheet_range("Replications").unwrap();
    assert_eq!(
        replications.height(),
        3 + replications.rows().position(|r| r[0] == "Replication").unwrap() + 1
    );

    // The page in headless Chromium: every section and plot in the DOM, nothing on the console.
    let page = results.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "the report fetches"
    );
    let screenshot = dir.path().join("report.png");
    let (dom, log) = run_chromium(&chromium(), &page, &screenshot, &dir.path().join("profile"));
    assert_no_console_output(&log);
    for id in ["headline", "pathway", "methods"] {
        assert!(dom.contains(&format!(r#"<section id="{id}""#)), "{id} not in the DOM");
    }
    assert!(
        dom.matches("<svg").count() > names.len(),
        "every plot inline, and the pathway diagram"
    );
    assert!(dom.contains("Non-elective admissions") && dom.contains("Objectives"));

    // Drawn again from the saved results: the same page, the results themselves untouched.
    let summary_before = std::fs::read(results.join("summary.json")).unwrap();
    std::fs::remove_file(results.join("results.xlsx")).unwrap();
    let again = bcfsim(&["report", "results"], dir.path());
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html);
    assert_eq!(std::fs::read(results.join("summary.json")).unwrap(), summary_before);
    assert!(results.join("results.xlsx").is_file());
    assert_eq!(assert_every_plot_drawn(&results), names);
}

#[test]
fn report_needs_a_results_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let output = bcfsim(&["report", "empty"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("report.json"), "{}", stderr(&output));
}

#[test]
fn compare_and_sweep_draw_their_own_charts() {
    let dir = tempfile::tempdir().unwrap();
    let compare = bcfsim(
        &["compare", "more_hca", "-r", "2", "--report", "--out", "compare"],
        dir.path(),
    );
    assert!(compare.status.success(), "{}", stderr(&compare));
    let names = assert_every_plot_drawn(&dir.path().join("compare"));
    assert!(names.iter().any(|name| name.starts_with("compare-")), "{names:?}");
    let view = json(&dir.path().join("compare/report.json"));
    assert_eq!(view["command"], "compare");
    assert!(!view["compare"]["alternatives"][0]["differences"]
        .as_array()
        .unwrap()
        .is_empty());

    let mmc = example("mmc.toml");
    let sweep = bcfsim(
        &[
            "sweep",
            &mmc,
            "--set",
            "simulation.horizon_days=300",
            "--vary",
            "service.ward.capacity=10..12:1",
            "-r",
            "4",
            "--report",
            "--out",
            "sweep",
        ],
        dir.path(),
    );
    assert!(sweep.status.success(), "{}", stderr(&sweep));
    let names = assert_every_plot_drawn(&dir.path().join("sweep"));
    assert!(names.iter().any(|name| name.starts_with("sweep-")), "{names:?}");
    assert!(dir.path().join("sweep/report.html").is_file() && dir.path().join("sweep/results.xlsx").is_file());

    // Both are drawn again from their saved views, the folder named as the user may name it.
    for folder in ["compare", "sweep"] {
        let page = std::fs::read_to_string(dir.path().join(folder).join("report.html")).unwrap();
        let again = bcfsim(&["report", "."], &dir.path().join(folder));
        assert!(again.status.success(), "{folder}: {}", stderr(&again));
        assert_eq!(
            std::fs::read_to_string(dir.path().join(folder).join("report.html")).unwrap(),
            page
        );
    }
}
