//! `bcfsim warmup` on a system whose transient is known.

use serde_json::Value;

use crate::support::{bcfsim, stderr};

/// M/M/∞ started empty: λ = 20 a day, stays of 5 days on average, so E[N(t)] = 100·(1 − e^(−t/5))
/// and N(t) is Poisson.
const EMPTY_START: &str = r#"
    [simulation]
    name = "transient"
    start_date = "2026-01-01"
    horizon_days = 200
    warmup_days = 10
    replications = 40
    seed = 3
    [[source]]
    id = "in"
    rate_per_day = 20
    to = "ward"
    [[service]]
    id = "ward"
    capacity = "unlimited"
    duration = { dist = "exponential", mean = 5.0 }
    routes = [{ to = "out", p = 1.0 }]
    [[exit]]
    id = "out"
"#;

#[test]
fn the_average_over_replications_follows_the_transient_and_the_warm_up_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), EMPTY_START).unwrap();
    let output = bcfsim(
        &[
            "warmup",
            "t.toml",
            "--metric",
            "services.ward.mean_occupancy",
            "--out",
            "results",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = std::fs::read_to_string(dir.path().join("results/warmup.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 200, "one row a day from day 0");
    for day in [0usize, 2, 5, 10, 30, 100] {
        let t = day as f64;
        let expected = 100.0 * (1.0 - (-t / 5.0).exp());
        let mean: f64 = rows[day][4].parse().unwrap();
        // The mean of 40 Poisson counts: 3.3 standard errors, and exact at day 0.
        let tolerance = 3.3 * (expected / 40.0).sqrt();
        assert!(
            (mean - expected).abs() <= tolerance,
            "day {day}: {mean} against {expected} ± {tolerance}"
        );
    }
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results/warmup.json")).unwrap()).unwrap();
    let statistic = &json["statistics"][0];
    let welch = statistic["welch_days"].as_f64().unwrap();
    // Theory has the transient within 5 % of the steady state from day 15 (e^(−3)); the
    // suggestion must not cut earlier, nor fall back to half the run.
    assert!((15.0..100.0).contains(&welch), "Welch suggests {welch} days");
    assert_eq!(json["scenario_warmup_days"], 10.0);
    assert!(json["suggested_warmup_days"].as_f64().unwrap() >= welch);
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("longer than the scenario's 10"), "{table}");
}

#[test]
fn a_statistic_without_steps_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), EMPTY_START).unwrap();
    let output = bcfsim(&["warmup", "t.toml", "--metric", "services.ward.p90_wait"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("mean_occupancy"), "{}", stderr(&output));
}
