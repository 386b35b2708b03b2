//! Forecasting from today: a census of the patients in the system at time 0, with stays drawn
//! given the days already spent, and arrivals at rates given by date. Checked against an M/M/c
//! started from its stationary distribution, M/G/∞ residual lives and Poisson counts by hour.

use bcfsim::model::Model;
use statrs::distribution::{ContinuousCDF, Gamma, LogNormal};

use crate::support::{assert_in_ci, bcfsim, erlang_c, model, run, run_model, stderr, values, CONFIDENCE};
use bcfsim::metrics::mean_and_half_width;

/// The number in service at each midnight of `results`' first (and only) series service.
fn in_service_at(results: &[bcfsim::metrics::ReplicationResult], midnight: usize) -> Vec<f64> {
    results.iter().map(|r| f64::from(r.series[3 * midnight])).collect()
}

/// A week of dated rates with an hour profile, into a service where each patient stays exactly
/// six hours: those in it at midnight are the arrivals of the day before from 18:00, Poisson
/// with mean the day's rate times the evening's share of the hour profile (scaled to average 1).
#[test]
fn dated_rates_arrive_on_their_days_and_hours() {
    let daily = [10.0, 0.0, 40.0, 5.0, 20.0, 0.0, 60.0];
    let hour: Vec<f64> = (0..24)
        .map(|h| if h < 8 { 0.0 } else { f64::from(h % 5 + 1) })
        .collect();
    let listed: Vec<String> = daily
        .iter()
        .enumerate()
        .map(|(d, rate)| format!("{{ date = 2027-01-{:02}, rate_per_day = {rate} }}", d + 1))
        .collect();
    let text = format!(
        r#"
        [simulation]
        name = "dated"
        start_date = "2027-01-01"
        horizon_days = 7
        warmup_days = 0
        replications = 400
        seed = 5
        [[source]]
        id = "referrals"
        rate_by_date = [{}]
        profile = {{ hour = {hour:?} }}
        to = "unit"
        [[service]]
        id = "unit"
        capacity = 100000
        duration = {{ dist = "fixed", value = 0.25 }}
        routes = [{{ to = "out", p = 1.0 }}]
        [[exit]]
        id = "out"
        "#,
        listed.join(", ")
    );
    let (_, results) = run(&text);
    let mean_hour = hour.iter().sum::<f64>() / 24.0;
    let evening: f64 = hour[18..].iter().sum::<f64>() / mean_hour / 24.0;
    for (day, rate) in daily.iter().enumerate().take(6) {
        let counts = in_service_at(&results, day + 1);
        if *rate == 0.0 {
            assert!(counts.iter().all(|&n| n == 0.0), "day {day} has no arrivals");
        } else {
            assert_in_ci(&format!("arrivals on day {day} from 18:00"), &counts, rate * evening);
        }
    }
}

/// M/M/3 with offered load 2.4: P(N = n) by the birth-death balance, cut where it is negligible.
fn mmc_stationary(servers: u32, load: f64) -> Vec<f64> {
    let mut weights = vec![1.0];
    for n in 1..200u32 {
        let previous = weights[n as usize - 1];
        weights.push(previous * load / f64::from(n.min(servers)));
    }
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

/// The M/M/3 scenario over `horizon` days, starting from `census` patients (none, if 0).
fn mmc(census: usize, seed: u64) -> Model {
    let (in_service, queued) = (census.min(3), census.saturating_sub(3));
    let mut initial = String::from("[initial]\npatients = [");
    if in_service > 0 {
        initial += &format!(r#"{{ service = "desk", days = 1.5, count = {in_service} }},"#);
    }
    if queued > 0 {
        initial += &format!(r#"{{ service = "desk", state = "queued", days = 0.5, count = {queued} }},"#);
    }
    initial += "]";
    model(&format!(
        r#"
        [simulation]
        name = "mmc"
        horizon_days = 4
        warmup_days = 0
        replications = 1
        seed = {seed}
        [[source]]
        id = "in"
        rate_per_day = 2.4
        to = "desk"
        [[service]]
        id = "desk"
        capacity = 3
        duration = {{ dist = "exponential", mean = 1.0 }}
        routes = [{{ to = "out", p = 1.0 }}]
        [[exit]]
        id = "out"
        {}
        "#,
        if census > 0 { initial } else { String::new() }
    ))
}

/// An M/M/3 started from its stationary distribution (each replication's census drawn from it)
/// is stationary from time 0: the time-average queue over the first four days is Lq, with no
/// warm-up. Started empty, the same runs are far below it, which shows the test can tell.
#[test]
fn an_mmc_started_from_its_stationary_census_has_no_warmup_bias() {
    use rand::{Rng, SeedableRng};
    let (servers, load) = (3, 2.4);
    let rho = load / f64::from(servers);
    let lq = erlang_c(servers, load) * rho / (1.0 - rho);
    let p = mmc_stationary(servers, load);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let (mut from_census, mut from_empty, mut busy) = (Vec::new(), Vec::new(), Vec::new());
    for seed in 0..600 {
        let u: f64 = rng.random();
        let mut cumulative = 0.0;
        let census = p.iter().position(|pn| {
            cumulative += pn;
            u < cumulative
        });
        let started = mmc(census.unwrap_or(p.len() - 1), seed);
        let results = run_model(&started, 0..1);
        from_census.push(values(&started, &results, "services.desk.mean_queue")[0]);
        busy.push(values(&started, &results, "services.desk.mean_occupancy")[0]);
        let empty = mmc(0, seed);
        from_empty.push(values(&empty, &run_model(&empty, 0..1), "services.desk.mean_queue")[0]);
    }
    assert_in_ci("mean queue from the stationary census", &from_census, lq);
    assert_in_ci("mean in service from the stationary census", &busy, load);
    let (mean, half_width) = mean_and_half_width(&from_empty, CONFIDENCE);
    assert!(
        mean + half_width.unwrap() < lq,
        "started empty the queue should be below Lq = {lq}: {mean} ± {half_width:?}"
    );
}

/// M/G/∞ with a census: of `n` patients `a` days into stays of distribution S, those still in at
/// time t number n·P(S > a + t)/P(S > a); arrivals since 0 (rate λ) add λ∫₀ᵗ P(S > u) du. With a
/// lognormal (census at 1 day: by rejection; at 6 days, a tail under a quarter: by inversion)
/// and a gamma far in its tail, at several midnights.
#[test]
fn census_stays_follow_the_residual_life_of_their_distribution() {
    let (mean, sd) = (4.0_f64, 6.0_f64);
    let sigma = (1.0 + (sd / mean).powi(2)).ln().sqrt();
    let lognormal = LogNormal::new(mean.ln() - sigma * sigma / 2.0, sigma).unwrap();
    let gamma = Gamma::new(4.0, 1.0).unwrap();
    let text = |service: &str, duration: &str, census: &str| {
        format!(
            r#"
            [simulation]
            name = "residual"
            horizon_days = 13
            warmup_days = 0
            replications = 300
            seed = 9
            [[source]]
            id = "in"
            rate_per_day = 2.0
            to = "{service}"
            [[service]]
            id = "{service}"
            capacity = 100000
            duration = {duration}
            routes = [{{ to = "out", p = 1.0 }}]
            [[exit]]
            id = "out"
            [initial]
            patients = [{census}]
            "#
        )
    };
    let lognormal_text = text(
        "ward",
        r#"{ dist = "lognormal", mean = 4.0, sd = 6.0 }"#,
        r#"{ service = "ward", days = 1, count = 60 }, { service = "ward", days = 6, count = 60 }"#,
    );
    let gamma_text = text(
        "home",
        r#"{ dist = "gamma", mean = 4.0, sd = 2.0 }"#,
        r#"{ service = "home", days = 12, count = 60 }"#,
    );
    let integral = |sf: &dyn Fn(f64) -> f64, t: f64| {
        let steps = 20_000;
        let h = t / f64::from(steps);
        (0..steps).map(|i| sf((f64::from(i) + 0.5) * h)).sum::<f64>() * h
    };
    // Each with the day by which stays drawn afresh, ignoring the days spent, would differ most.
    type Case<'a> = (&'a str, &'a dyn Fn(f64) -> f64, &'a [(f64, f64)], usize);
    let cases: [Case; 2] = [
        (&lognormal_text, &|x| lognormal.sf(x), &[(1.0, 60.0), (6.0, 60.0)], 12),
        (&gamma_text, &|x| gamma.sf(x), &[(12.0, 60.0)], 1),
    ];
    for (text, sf, census, telling) in cases {
        let (_, results) = run(text);
        for t in [1usize, 3, 12] {
            let time = t as f64;
            let still: f64 = census.iter().map(|(a, n)| n * sf(a + time) / sf(*a)).sum();
            let expected = still + 2.0 * integral(sf, time);
            assert_in_ci(&format!("in service on day {t}"), &in_service_at(&results, t), expected);
        }
        // Stays drawn afresh would give a number outside the interval: the test can tell.
        let time = telling as f64;
        let fresh: f64 = census.iter().map(|(_, n)| n * sf(time)).sum::<f64>() + 2.0 * integral(sf, time);
        let (mean, half_width) = mean_and_half_width(&in_service_at(&results, telling), CONFIDENCE);
        assert!(
            (fresh - mean).abs() > half_width.unwrap(),
            "day {telling}: fresh stays give {fresh}, the census {mean}"
        );
    }
}

/// A ward with a census and referrals by date, both from CSV files beside the scenario.
const FROM_FILES: &str = r#"
[simulation]
name = "from-files"
start_date = "2027-01-04"
horizon_days = 3
warmup_days = 0
replications = 3
[[source]]
id = "referrals"
rate_by_date = "referrals.csv"
fallback_rate_per_day = 2
to = "ward"
[[service]]
id = "ward"
capacity = 4
duration = { dist = "gamma", mean = 6.0, sd = 3.0 }
routes = [{ to = "care", p = 1.0 }]
[[service]]
id = "care"
capacity = 2
queue_limit = 0
duration = { dist = "exponential", mean = 10.0 }
routes = [{ to = "home", p = 1.0 }]
[[exit]]
id = "home"
[initial]
census = "census.csv"
"#;

/// Runs `FROM_FILES` with `census` as `census.csv`; the output and the folder.
fn run_from_files(census: &str) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), FROM_FILES).unwrap();
    std::fs::write(
        dir.path().join("referrals.csv"),
        "date,rate_per_day\n2027-01-04,3\n2027-01-05,0.5\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("census.csv"), census).unwrap();
    let output = bcfsim(&["run", "s.toml", "--out", "results", "--series", "all"], dir.path());
    (output, dir)
}

/// At midnight on day 0 the series shows the census as given: four in the ward (one of them held
/// there, waiting for care, which has no queue), two in care, one queued for the ward.
#[test]
fn a_census_from_a_file_is_where_the_run_starts() {
    let census = "service,days,state,count,waiting_for\n\
                  ward,3,,3,\n\
                  ward,1.5,blocked,1,care\n\
                  care,4,in_service,2,\n\
                  ward,0.5,queued,1,\n";
    let (output, dir) = run_from_files(census);
    assert!(output.status.success(), "{}", stderr(&output));
    let series = std::fs::read_to_string(dir.path().join("results/series.csv")).unwrap();
    let day0 = |service: &str| -> Vec<String> {
        let line = series
            .lines()
            .find(|line| line.starts_with(&format!("2027-01-04,0,{service},")))
            .unwrap_or_else(|| panic!("no day 0 of {service} in\n{series}"));
        line.split(',').map(str::to_owned).collect()
    };
    let header: Vec<&str> = series.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let ward = day0("ward");
    let care = day0("care");
    assert_eq!(ward[column("in_service_mean")], "4");
    assert_eq!(ward[column("queued_mean")], "1");
    assert_eq!(care[column("in_service_mean")], "2");
    assert_eq!(care[column("blocked_waiting_mean")], "1");
}

#[test]
fn a_mistake_in_a_census_file_names_its_line_and_column() {
    let (output, _dir) = run_from_files("service,days,state\nward,3,\nward,2,waiting\nwrd,1,\n");
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("census.csv:3: state: `waiting` is not a state; use in_service, queued or blocked"),
        "{error}"
    );
    let (output, _dir) = run_from_files("service,days\nward,3\nwrd,1\n");
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("s.toml:27: initial.census: ")
            && error.contains("census.csv:3: service: there is no service or exit with the id `wrd`"),
        "{error}"
    );
    let (output, _dir) = run_from_files("service,days,beds\nward,3,1\n");
    assert_eq!(output.status.code(), Some(2));
    let error = stderr(&output);
    assert!(
        error.contains("census.csv:1: beds: is not a column of this table; its columns are service, days, cohort, state, count, waiting_for"),
        "{error}"
    );
}

/// The README's forecast: its files are read from the scenario's folder wherever bcfsim runs,
/// and day 0 is the census (17 of the 127 in acute held there for the two full services).
#[test]
fn the_forecast_example_starts_from_its_census() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = crate::support::example("forecast.toml");
    let output = bcfsim(&["run", &scenario, "-r", "2", "--out", "results"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let series = std::fs::read_to_string(dir.path().join("results/series.csv")).unwrap();
    let day0: Vec<Vec<&str>> = series
        .lines()
        .filter(|line| line.starts_with("2027-01-04,0,"))
        .map(|line| line.split(',').collect())
        .collect();
    let (in_service, blocked_waiting) = (3, 11);
    let numbers: Vec<(&str, &str, &str)> = day0
        .iter()
        .map(|row| (row[2], row[in_service], row[blocked_waiting]))
        .collect();
    assert_eq!(
        numbers,
        [("acute", "127", "0"), ("home_care", "60", "12"), ("rehab", "25", "5")]
    );
}

/// A run whose warm-up is shorter than three mean stays of a limited service is warned, and told
/// how to check; one that starts from a census is not.
#[test]
fn a_warmup_too_short_for_a_service_to_fill_is_warned() {
    let scenario = |warmup: u32, census: &str| {
        format!(
            r#"
            [simulation]
            name = "fill"
            horizon_days = 60
            warmup_days = {warmup}
            replications = 2
            [[source]]
            id = "in"
            rate_per_day = 1.0
            to = "ward"
            [[service]]
            id = "ward"
            capacity = 20
            duration = {{ dist = "exponential", mean = 10.0 }}
            routes = [{{ to = "out", p = 1.0 }}]
            [[exit]]
            id = "out"
            {census}
            "#
        )
    };
    let warned = |text: String| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.toml"), text).unwrap();
        let output = bcfsim(&["run", "s.toml", "--out", "results"], dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
        stderr(&output).contains("warning: the warm-up")
    };
    let error = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.toml"), scenario(10, "")).unwrap();
        stderr(&bcfsim(&["run", "s.toml", "--out", "results"], dir.path())).replace("\n  ", " ")
    };
    assert!(
        error.contains(
            "warning: the warm-up (10 days) is shorter than the 30 days `ward` needs to fill from empty (3 mean stays)"
        ),
        "{error}"
    );
    assert!(!warned(scenario(30, "")));
    assert!(!warned(scenario(
        0,
        "[initial]\npatients = [{ service = \"ward\", days = 4, count = 10 }]"
    )));
}
