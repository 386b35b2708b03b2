//! `series.csv`: services' numbers at each midnight, by hand.

use crate::support::{bcfsim, stderr};

/// Patients arrive every 1.25 days (1.25, 2.5, 3.75) for two days each in one place: the first
/// is served from 1.25 to 3.25, the second waits from 2.5 and is served from 3.25, the third
/// waits from 3.75.
const ONE_PLACE: &str = r#"
    [simulation]
    name = "one-place"
    start_date = "2026-01-01"
    horizon_days = 5
    warmup_days = 0
    replications = 2
    [[source]]
    id = "in"
    interarrival = { dist = "fixed", value = 1.25 }
    to = "desk"
    [[service]]
    id = "desk"
    capacity = 1
    duration = { dist = "fixed", value = 2.0 }
    routes = [{ to = "after", p = 1.0 }]
    [[service]]
    id = "after"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 1.0 }
    routes = [{ to = "out", p = 1.0 }]
    [[exit]]
    id = "out"
"#;

/// Runs `text` with `args` and returns `series.csv` as rows of fields (header first).
fn series(text: &str, args: &[&str]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let mut all = vec!["run", "s.toml", "--out", "results"];
    all.extend(args);
    let output = bcfsim(&all, dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = std::fs::read_to_string(dir.path().join("results/series.csv")).unwrap();
    csv.lines()
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn numbers_at_each_midnight_by_hand() {
    let rows = series(ONE_PLACE, &[]);
    assert_eq!(rows[0][..4], ["date", "day", "service", "in_service_mean"]);
    // Only the service with limited places is followed by default; day 0 is the start.
    let expected = [
        ("2026-01-01", [0, 0]),
        ("2026-01-02", [0, 0]),
        ("2026-01-03", [1, 0]),
        ("2026-01-04", [1, 1]),
        ("2026-01-05", [1, 1]),
    ];
    assert_eq!(rows.len(), 1 + expected.len());
    for (row, (date, [in_service, queued])) in rows[1..].iter().zip(expected) {
        assert_eq!((row[0].as_str(), row[2].as_str()), (date, "desk"));
        // Every replication is the same, so the mean and each percentile are the number itself.
        for k in 0..4 {
            assert_eq!(row[3 + k], in_service.to_string(), "in service on {date}");
            assert_eq!(row[7 + k], queued.to_string(), "queued on {date}");
            assert_eq!(row[11 + k], "0", "blocked on {date}");
        }
    }
}

#[test]
fn series_follow_the_services_asked_for_and_only_the_results_period() {
    let rows = series(
        &ONE_PLACE.replace("warmup_days = 0", "warmup_days = 2.5"),
        &["--series", "after,desk"],
    );
    let days: Vec<(&str, &str)> = rows[1..].iter().map(|r| (r[1].as_str(), r[2].as_str())).collect();
    assert_eq!(days, [("3", "after"), ("3", "desk"), ("4", "after"), ("4", "desk")]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), ONE_PLACE).unwrap();
    let output = bcfsim(&["run", "s.toml", "--series", "none", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!dir.path().join("results/series.csv").exists());
    let output = bcfsim(&["run", "s.toml", "--series", "dsk", "--out", "results"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`dsk` is not a service of the scenario (did you mean `desk`?)"));
}

#[test]
fn occupancy_csv_is_the_share_of_time_at_least_so_many_were_in_use_by_hand() {
    // The desk is busy from 1.25 to the end at 5 (one patient after another): at least one place
    // in use for 3.75 of 5 days; `after` has the first patient from 3.25 to 4.25 and the second
    // from 5.25, beyond the end: 1 of 5 days.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), ONE_PLACE).unwrap();
    let output = bcfsim(&["run", "s.toml", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = std::fs::read_to_string(dir.path().join("results/occupancy.csv")).unwrap();
    assert_eq!(
        csv,
        "service,places,share_at_least_mean,ci95_low,ci95_high\ndesk,1,0.75,0.75,0.75\nafter,1,0.2,0.2,0.2\n"
    );
    let replications = std::fs::read_to_string(dir.path().join("results/replications.csv")).unwrap();
    assert!(!replications.contains("occupancy_at_least"), "{replications}");
}

#[test]
fn staffing_csv_by_day_averages_to_the_mean_on_shift_and_cohorts_have_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = crate::support::example("discharge.toml");
    let output = bcfsim(&["run", &scenario, "-r", "6", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let results = dir.path().join("results");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("summary.json")).unwrap()).unwrap();
    let staffing = std::fs::read_to_string(results.join("staffing.csv")).unwrap();
    let mut rows = staffing.lines();
    assert_eq!(
        rows.next(),
        Some("date,day,staff_group,on_shift_mean,on_shift_p10,on_shift_p50,on_shift_p90")
    );
    let groups = summary["staffing"].as_object().unwrap();
    assert!(!groups.is_empty());
    for (group, statistics) in groups {
        let days: Vec<f64> = staffing
            .lines()
            .skip(1)
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|fields| fields[2] == group)
            .map(|fields| fields[3].parse().unwrap())
            .collect();
        // The mean over replications of each replication's mean over days is the mean over days
        // of the daily means; the file rounds each to a thousandth.
        let by_day = days.iter().sum::<f64>() / days.len() as f64;
        let expected = statistics["needed"]["on_shift_mean"]["mean"].as_f64().unwrap();
        assert!(
            (by_day - expected).abs() <= 0.0005,
            "{group}: {by_day} against {expected}"
        );
    }
    let cohorts = std::fs::read_to_string(results.join("cohorts.csv")).unwrap();
    assert!(cohorts.starts_with("replication,service,cohort,arrivals,mean_service,mean_wait\n0,"));
    let replications = std::fs::read_to_string(results.join("replications.csv")).unwrap();
    assert!(
        !replications.contains(".by_cohort."),
        "per-cohort rows belong in cohorts.csv"
    );
    let per_cohort_rows = cohorts.lines().count() - 1;
    assert_eq!(per_cohort_rows % 6, 0, "every replication has the same rows");
    assert!(per_cohort_rows > 0);
}
