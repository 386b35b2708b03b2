//! The model against observed figures: `[[observed]]`, the validation files and `bcfsim
//! validate`'s verdict.

use serde_json::Value;

use crate::support::{assert_exact, bcfsim, erlang_c, stderr};

/// An M/M/2 ward (λ = 1.5, μ = 1 a day) whose admissions per month are also counted as a BCF
/// metric, with the `[[observed]]` figures `observed`.
fn scenario(observed: &str) -> String {
    format!(
        r#"
        [simulation]
        name = "observed"
        start_date = "2019-04-01"
        horizon_days = 366
        warmup_days = 30
        replications = 40
        seed = 5
        [population]
        total = 100000
        aged_18_plus = 80000
        aged_65_plus = 20000
        [[source]]
        id = "in"
        rate_per_day = 1.5
        to = "acute"
        [[service]]
        id = "acute"
        capacity = 2
        duration = {{ dist = "exponential", mean = 1.0 }}
        routes = [{{ to = "home", p = 1.0 }}]
        tags = ["acute"]
        [[exit]]
        id = "home"
        tags = ["usual_residence", "pathway_0"]
        {observed}
        "#
    )
}

/// Runs `bcfsim validate` on `text` in a fresh folder: its output and `validation.json`.
fn validate(text: &str) -> (std::process::Output, Option<Value>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("observed.toml"), text).unwrap();
    let output = bcfsim(&["validate", "observed.toml", "--out", "results"], dir.path());
    let json = std::fs::read_to_string(dir.path().join("results/validation.json"))
        .ok()
        .map(|text| serde_json::from_str(&text).unwrap());
    (output, json)
}

#[test]
fn a_figure_from_theory_lies_in_the_band_and_passes_its_tolerance() {
    // M/M/2 with load 1.5: mean wait = C(2, 1.5) / (2μ − λ) days.
    let wait = erlang_c(2, 1.5) / (2.0 - 1.5);
    let (output, json) = validate(&scenario(&format!(
        r#"
        [[observed]]
        metric = "services.acute.mean_wait"
        value = {wait}
        source = "Erlang C"
        tolerance = {wait}
        "#
    )));
    assert!(output.status.success(), "{}", stderr(&output));
    let json = json.expect("validation.json written");
    let figure = &json["observed"][0];
    assert_eq!(figure["metric"], "services.acute.mean_wait");
    assert_eq!(figure["replications"], 40);
    let mean = figure["mean"].as_f64().unwrap();
    let [low, high] = [0, 1].map(|i| figure["p5_p95"][i].as_f64().unwrap());
    assert!(
        low <= wait && wait <= high,
        "theory {wait} outside the band [{low}, {high}]"
    );
    assert_eq!(figure["in_band"], true);
    assert_eq!(figure["within_tolerance"], true);
    assert_exact("difference", figure["difference"].as_f64().unwrap(), mean - wait);
    assert_eq!(json["failed"], 0);
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("validation: the model (40 replications)"), "{table}");
}

#[test]
fn the_model_is_what_the_run_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario(
        r#"
        [[observed]]
        metric = "non_elective_admissions"
        value = 45
        source = "by hand"
        period = "2019-06"
        [[observed]]
        metric = "services.acute.mean_occupancy"
        value = 1.5
        source = "Little's law"
        "#,
    );
    std::fs::write(dir.path().join("observed.toml"), text).unwrap();
    // `run` reports the figures too, and exits 0 whatever they are.
    let output = bcfsim(&["run", "observed.toml", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results").join(name)).unwrap()).unwrap()
    };
    let (summary, validation) = (read("summary.json"), read("validation.json"));
    let occupancy = &validation["observed"][1];
    let summarised = &summary["services"]["acute"]["mean_occupancy"];
    assert_eq!(occupancy["mean"], summarised["mean"]);
    assert_eq!(occupancy["ci95"], summarised["ci95"]);
    // The June figure is June's admissions, as trajectories_summary.csv gives them.
    let june = &validation["observed"][0];
    assert_eq!(june["period"], "2019-06");
    let csv = std::fs::read_to_string(dir.path().join("results/trajectories_summary.csv")).unwrap();
    let line = csv
        .lines()
        .find(|line| line.starts_with("2019-06,") && line.contains(",metrics.non_elective_admissions,"))
        .unwrap();
    let mean: f64 = line.rsplit(',').nth(5).unwrap().parse().unwrap();
    assert!(
        (june["mean"].as_f64().unwrap() - mean).abs() < 1e-9 * mean,
        "{june} against {line}"
    );
    let csv = std::fs::read_to_string(dir.path().join("results/validation.csv")).unwrap();
    assert!(csv.starts_with("metric,period,label,observed,source,tolerance,mean,ci95_lo,ci95_hi,p5,p95"));
    assert_eq!(csv.lines().count(), 3);
}

#[test]
fn a_figure_outside_its_tolerance_fails_validation_with_exit_4() {
    // Little's law: mean occupancy λ/μ = 1.5, not 3.
    let (output, json) = validate(&scenario(
        r#"
        [[observed]]
        metric = "services.acute.mean_occupancy"
        value = 3
        source = "wrong on purpose"
        tolerance = 0.5
        [[observed]]
        label = "no tolerance, never fails"
        metric = "services.acute.mean_wait"
        value = 100
        source = "wrong on purpose"
        "#,
    ));
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("outside the tolerance of 1 observed\nfigure:\n  services.acute.mean_occupancy"),
        "{}",
        stderr(&output)
    );
    let json = json.expect("the results are written before the verdict");
    assert_eq!(json["failed"], 1);
    assert_eq!(json["observed"][0]["within_tolerance"], false);
    assert_eq!(json["observed"][1]["within_tolerance"], Value::Null);
    assert_eq!(json["observed"][1]["in_band"], false);
}

#[test]
fn validate_needs_observed_figures() {
    let (output, _) = validate(&scenario(""));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("has no [[observed]] figures"),
        "{}",
        stderr(&output)
    );
}

/// The replications behind the default county's validation table in `scenarios/README.md`.
const README_REPLICATIONS: &str = "200";

#[test]
fn the_county_validation_table_in_the_scenarios_readme_is_current() {
    // The table is generated, so it cannot drift from the model: this test fails when a change
    // moves a figure, and `UPDATE_EXPECT=1 cargo test validation` writes the new table.
    let dir = tempfile::tempdir().unwrap();
    let output = bcfsim(
        &["validate", "-r", README_REPLICATIONS, "--markdown", "--out", "results"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8(output.stdout).unwrap();
    let path = format!("{}/scenarios/README.md", env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- validation table: begin -->\n", "<!-- validation table: end -->");
    let start = readme.find(begin).expect("the README marks where the table begins") + begin.len();
    let stop = readme.find(end).expect("the README marks where the table ends");
    if readme[start..stop] != table {
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, format!("{}{table}{}", &readme[..start], &readme[stop..])).unwrap();
        } else {
            panic!(
                "scenarios/README.md's validation table is out of date; run\n  UPDATE_EXPECT=1 cargo test \
                 validation\nto write this one:\n{table}"
            );
        }
    }
}
