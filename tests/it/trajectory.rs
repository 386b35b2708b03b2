//! Trajectories as plans state them (months, quarters, years to date) and the plan's targets.

use statrs::distribution::{DiscreteCDF, Poisson};

use crate::support::{assert_exact, assert_in_ci, bcfsim, stderr, CONFIDENCE};

/// Admissions to an acute service that always has room, arriving as `arrivals` says, with the
/// plan's `targets`.
fn scenario(arrivals: &str, targets: &str) -> String {
    format!(
        r#"
        [simulation]
        name = "plan"
        start_date = "2019-04-01"
        horizon_days = 91                 # April, May and June 2019
        warmup_days = 0
        replications = 2
        [population]
        total = 100000
        aged_18_plus = 80000
        aged_65_plus = 20000
        [[source]]
        id = "in"
        {arrivals}
        to = "acute"
        [[service]]
        id = "acute"
        capacity = "unlimited"
        duration = {{ dist = "fixed", value = 0.5 }}
        routes = [{{ to = "home", p = 1.0 }}]
        tags = ["acute"]
        [[exit]]
        id = "home"
        tags = ["usual_residence", "pathway_0"]
        {targets}
        "#
    )
}

/// Runs `text` with `args` in a fresh folder and returns the folder and the results folder.
fn run(text: &str, args: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), text).unwrap();
    let mut all = vec!["run", "plan.toml", "--out", "results"];
    all.extend(args);
    let output = bcfsim(&all, dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let results = dir.path().join("results");
    (dir, results)
}

#[test]
fn counts_per_month_quarter_and_year_to_date_by_hand() {
    // One admission a day, at days 1, 2, …, 90 (day 0 is 1 April): 29 in April (days 1-29),
    // 31 in May, 30 in June; 90 in the first quarter, 60 by the end of May.
    let (_dir, results) = run(&scenario(r#"interarrival = { dist = "fixed", value = 1.0 }"#, ""), &[]);
    let csv = std::fs::read_to_string(results.join("trajectories_summary.csv")).unwrap();
    assert!(csv.starts_with("period,kind,metric,unit,mean,p10,p25,p50,p75,p90\n"));
    let figure = |period: &str, metric: &str| -> f64 {
        let prefix = format!("{period},");
        let line = csv
            .lines()
            .find(|line| line.starts_with(&prefix) && line.contains(&format!(",metrics.{metric},")))
            .unwrap_or_else(|| panic!("no {period} {metric} in\n{csv}"));
        // The unit may be quoted and hold a comma, so the mean is the sixth field from the end.
        let fields: Vec<&str> = line.rsplitn(7, ',').collect();
        fields[5].parse().unwrap()
    };
    for (period, admissions) in [
        ("2019-04", 29.0),
        ("2019-05", 31.0),
        ("2019-06", 30.0),
        ("2019/20 Q1", 90.0),
        ("2019/20 to 2019-05", 60.0),
    ] {
        assert_eq!(figure(period, "non_elective_admissions"), admissions, "{period}");
        // Per 100,000 of a population of 100,000: the same number.
        assert_exact(period, figure(period, "non_elective_admissions_per_100k"), admissions);
        assert_eq!(figure(period, "discharged_usual_residence_pct"), 100.0, "{period}");
    }
    // The whole financial year is not observed, so it has no row.
    assert!(!csv.contains("\n2019/20,year,"), "{csv}");
    let monthly = std::fs::read_to_string(results.join("trajectories.csv")).unwrap();
    assert!(
        monthly.contains("\n0,2019-05,metrics.non_elective_admissions,31\n"),
        "{monthly}"
    );
}

#[test]
fn the_chance_a_target_is_met_is_the_poisson_probability() {
    // Poisson arrivals at 10 a day: April's admissions are Poisson with mean 300, so the target
    // "at most 310 in April" is met with probability P(N <= 310), and the value achievable with
    // 90 % confidence is the 90th percentile of that distribution.
    const REPLICATIONS: u32 = 2000;
    let target = "[[target]]\nmetric = \"non_elective_admissions\"\nat_most = 310\nperiod = \"2019-04\"\n";
    let text = scenario("rate_per_day = 10.0", target);
    let (_dir, results) = run(&text, &["-r", &REPLICATIONS.to_string()]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("trajectory_targets.json")).unwrap()).unwrap();
    let outcome = &json["targets"][0];
    assert_eq!(outcome["period"], "2019-04");
    assert_eq!(outcome["replications"], REPLICATIONS);
    let april = Poisson::new(300.0).unwrap();
    let expected = april.cdf(310);
    let z = statrs::distribution::ContinuousCDF::inverse_cdf(
        &statrs::distribution::Normal::standard(),
        0.5 + CONFIDENCE / 2.0,
    );
    let n = f64::from(REPLICATIONS);
    let half_width = |p: f64| z * (p * (1.0 - p) / n).sqrt();
    let met = outcome["probability_met"].as_f64().unwrap();
    assert!(
        (met - expected).abs() <= half_width(expected),
        "met in {met} of replications; P(N <= 310) = {expected}"
    );
    // The achievable value is an order statistic: the share of replications at or below it is
    // within sampling error of 90 %, so the theoretical CDF there is too.
    let achievable = outcome["achievable"]["90"].as_f64().unwrap() as u64;
    let slack = half_width(0.9);
    assert!(
        april.cdf(achievable) >= 0.9 - slack && april.cdf(achievable - 1) <= 0.9 + slack,
        "achievable with 90 % confidence: {achievable}; P(N <= it) = {}",
        april.cdf(achievable)
    );
}

#[test]
fn a_target_outside_the_results_period_is_warned_about_not_refused() {
    let target = "[[target]]\nmetric = \"non_elective_admissions\"\nat_most = 310\nperiod = \"2020/21 Q1\"\n";
    let text = scenario("rate_per_day = 10.0", target);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plan.toml"), &text).unwrap();
    let output = bcfsim(&["run", "plan.toml", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "warning: the target for metrics.non_elective_admissions<=310 is not evaluated: the results period does \
         not cover 2020/21 Q1 in whole months\n"
    );
    assert!(!dir.path().join("results/trajectory_targets.json").exists());
}

#[test]
fn a_target_on_a_scheme_switched_off_is_warned_about_not_refused() {
    let text = r#"
        [simulation]
        name = "scheme"
        start_date = "2019-04-01"
        horizon_days = 30
        replications = 2
        [[source]]
        id = "falls"
        rate_per_day = 3.0
        to = "scheme"
        [[service]]
        id = "scheme"
        capacity = "unlimited"
        bypass = "acute"
        duration = { dist = "fixed", value = 0.1 }
        routes = [{ to = "home", p = 0.7 }, { to = "acute", p = 0.3 }]
        tags = ["admission_avoidance"]
        [[service]]
        id = "acute"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 2.0 }
        routes = [{ to = "home", p = 1.0 }]
        tags = ["acute"]
        [[exit]]
        id = "home"
        tags = ["usual_residence", "pathway_0"]
        [[target]]
        metric = "avoided_admissions_by_scheme.scheme"
        at_least = 50
        period = "2019-04"
    "#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("scheme.toml"), text).unwrap();
    let on = bcfsim(&["run", "scheme.toml", "--out", "on"], dir.path());
    assert!(on.status.success(), "{}", stderr(&on));
    assert_eq!(stderr(&on), "");
    let off = bcfsim(
        &[
            "run",
            "scheme.toml",
            "--set",
            "service.scheme.enabled=false",
            "--out",
            "off",
        ],
        dir.path(),
    );
    assert!(off.status.success(), "{}", stderr(&off));
    assert_eq!(
        stderr(&off),
        "warning: the target for metrics.avoided_admissions_by_scheme.scheme>=50 is not evaluated: the results \
         have no such metric (its scheme is switched off)\n"
    );
}

#[test]
fn a_later_financial_year_starts_from_the_system_the_earlier_one_left() {
    // Stays of exactly 20 days, arriving at random: once the ward has filled, 6 of every 20 days
    // of stay at a midnight census are 14 days or more in, so 30 % of inpatients. Observing
    // 2020/21 warms up through 2019/20, so April 2020 already shows it. Observing 2019/20, the
    // scenario's first year, April starts from an empty ward: at the midnight after day t the
    // ward holds about 5 min(t, 20) patients, 5 max(0, min(t, 20) - 14) of them in 14 days or
    // more, so April's midnights (t = 1 to 29) give 75 / 390 of inpatients, 19.2 %.
    let text = scenario("rate_per_day = 5.0", "")
        .replace("value = 0.5 }", "value = 20.0 }")
        .replace("horizon_days = 91", "horizon_days = 30");
    let april = |year: &str, month: &str| -> (Vec<f64>, String) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plan.toml"), &text).unwrap();
        let output = bcfsim(
            &["run", "plan.toml", "--year", year, "-r", "40", "--out", "results"],
            dir.path(),
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let monthly = std::fs::read_to_string(dir.path().join("results/trajectories.csv")).unwrap();
        let values = monthly
            .lines()
            .filter(|line| line.contains(&format!(",{month},metrics.los_14_plus_pct,")))
            .map(|line| line.rsplit(',').next().unwrap().parse().unwrap())
            .collect();
        (values, stderr(&output))
    };
    let (warm, quiet) = april("2020/21", "2020-04");
    assert_eq!(warm.len(), 40);
    assert_eq!(quiet, "");
    assert_in_ci("April 2020, after a year's warm-up", &warm, 30.0);
    let (cold, warning) = april("2019/20", "2019-04");
    assert_in_ci("April 2019, from an empty ward", &cold, 100.0 * 75.0 / 390.0);
    assert!(
        warning.starts_with("warning: --year starts 0 days after the scenario does"),
        "{warning}"
    );
}
