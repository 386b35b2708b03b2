//! Uncertain inputs drawn once per replication, and `bcfsim sensitivity`.

use crate::support::{assert_in_ci, bcfsim, model, run_model, stderr, values};

/// A desk of `{capacity}` places whose service takes exactly `{duration}` days.
fn desk(capacity: &str, duration: &str) -> String {
    format!(
        r#"
        [simulation]
        name = "desk"
        horizon_days = 200
        warmup_days = 20
        replications = 200
        [levers]
        servers = {{ value = 4, label = "Servers", unit = "places", min = 3, max = 6 }}
        unused = {{ value = 1, label = "Nothing", unit = "", min = 0, max = 2 }}
        [[source]]
        id = "in"
        rate_per_day = 1.5
        to = "desk"
        [[service]]
        id = "desk"
        capacity = {capacity}
        duration = {{ dist = "fixed", value = {duration} }}
        routes = [{{ to = "done", p = 1.0 }}]
        [[exit]]
        id = "done"
        "#
    )
}

#[test]
fn an_input_drawn_each_replication_follows_its_distribution() {
    // Service takes exactly the drawn value, so each replication's mean service is its draw:
    // uniform from 1 to 3, mean 2 and variance 1/3.
    let uncertain = desk(
        "\"$servers\"",
        r#"{ uncertain = { dist = "uniform", min = 1.0, max = 3.0 } }"#,
    );
    let model = model(&uncertain);
    let drawn = values(&model, &run_model(&model, 0..200), "services.desk.mean_service");
    assert!(drawn.iter().all(|v| (1.0..=3.0).contains(v)), "{drawn:?}");
    assert_in_ci("mean of the draws", &drawn, 2.0);
    let squares: Vec<f64> = drawn.iter().map(|v| (v - 2.0).powi(2)).collect();
    assert_in_ci("variance of the draws", &squares, 1.0 / 3.0);
    // Without input uncertainty, every replication has the central value.
    let mut central = model.clone();
    central.uncertain = None;
    let fixed = values(&central, &run_model(&central, 0..5), "services.desk.mean_service");
    assert!(fixed.iter().all(|&v| (v - 2.0).abs() < 1e-12), "{fixed:?}");
}

#[test]
fn a_degenerate_uncertain_input_gives_the_fixed_input_s_results_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fixed.toml"), desk("4", "2.5")).unwrap();
    let point = r#"{ uncertain = { dist = "triangular", min = 2.5, mode = 2.5, max = 2.5 } }"#;
    let whole = r#"{ uncertain = { dist = "uniform", min = 4, max = 4 } }"#;
    std::fs::write(dir.path().join("point.toml"), desk(whole, point)).unwrap();
    for name in ["fixed", "point"] {
        let output = bcfsim(&["run", &format!("{name}.toml"), "-r", "20", "--out", name], dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let read = |name: &str, file: &str| std::fs::read_to_string(dir.path().join(name).join(file)).unwrap();
    assert_eq!(read("fixed", "replications.csv"), read("point", "replications.csv"));
    // summary.json differs only in the audit trail: the file's hash and the inputs drawn.
    let summary = |name: &str| -> serde_json::Value {
        let mut json: serde_json::Value = serde_json::from_str(&read(name, "summary.json")).unwrap();
        let root = json.as_object_mut().unwrap();
        root.remove("scenario_sha256");
        root.remove("input_uncertainty");
        json
    };
    assert_eq!(summary("fixed"), summary("point"));
    let drawn: serde_json::Value = serde_json::from_str(&read("point", "summary.json")).unwrap();
    assert_eq!(drawn["input_uncertainty"][0]["input"], "service.desk.capacity");
    assert_eq!(drawn["input_uncertainty"][1]["input"], "service.desk.duration.value");
}

#[test]
fn sensitivity_ranks_each_lever_and_input_by_its_paired_effect() {
    let dir = tempfile::tempdir().unwrap();
    let text = desk(
        "\"$servers\"",
        r#"{ uncertain = { dist = "triangular", min = 1.9, mode = 2.0, max = 2.1 } }"#,
    );
    std::fs::write(dir.path().join("desk.toml"), text).unwrap();
    let output = bcfsim(&["sensitivity", "desk.toml", "-r", "30", "--out", "moved"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.lines().all(|line| line.chars().count() <= 80), "{table}");
    let csv = std::fs::read_to_string(dir.path().join("moved/sensitivity.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|line| line.split(',').collect())
        .filter(|row: &Vec<&str>| row[0] == "services.desk.mean_wait")
        .collect();
    let by_input = |input: &str| rows.iter().find(|row| row[2] == input).unwrap();
    // More servers shorten the wait most, and rank first.
    let servers = by_input("servers");
    assert_eq!((servers[1], servers[4], servers[5]), ("1", "3", "6"));
    assert!(servers[8].parse::<f64>().unwrap() < 0.0, "{servers:?}");
    // A longer service lengthens it.
    let duration = by_input("service.desk.duration.value");
    assert_eq!(
        (duration[3], duration[4], duration[5]),
        ("uncertain input", "1.9", "2.1")
    );
    assert!(duration[8].parse::<f64>().unwrap() > 0.0, "{duration:?}");
    // A lever the model never uses changes nothing, exactly: the two ends are the same patients.
    let unused = by_input("unused");
    assert_eq!((unused[8], unused[9], unused[10]), ("0", "0", "0"), "{unused:?}");
    assert!(!dir.path().join("moved/.work").exists());
}
