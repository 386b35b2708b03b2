//! `bcfsim fit`: known parameters recovered from samples drawn by the engine's own sampler, the
//! printed TOML read back as a scenario, and the command end to end.
//!
//! Tolerances are the estimators' asymptotic standard errors times [`Z`], never tuned to pass.

use bcfsim::calendar::Date;
use bcfsim::fit::arrivals::{fit_arrivals, HourProfile, Timestamp};
use bcfsim::fit::durations::{fit_durations, trigamma, Fits, Fitted};
use bcfsim::model::{ArrivalProcess, Distribution, Model};
use expect_test::expect_file;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Poisson};

use crate::support::{assert_in_ci, bcfsim, example, model, run, stderr, values};

/// Standard errors an estimate may be from the truth: 3.3 leaves a correct fit a chance of about
/// 1 in 1,000 of failing, as the rest of the suite's intervals do (the seeds are fixed, so a
/// failure is reproducible).
const Z: f64 = 3.3;

/// The draws each recovery test fits.
const DRAWS: usize = 5000;

fn draws(distribution: &Distribution, count: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(|_| distribution.sample(&mut rng)).collect()
}

/// Asserts that `estimate` is within [`Z`] standard errors of `truth`, and shows both.
fn within(what: &str, estimate: f64, truth: f64, standard_error: f64) {
    within_errors(what, estimate, truth, standard_error, Z);
}

/// Asserts that `estimate` is within `allowed` standard errors of `truth`, and shows both.
fn within_errors(what: &str, estimate: f64, truth: f64, standard_error: f64, allowed: f64) {
    let errors = (estimate - truth) / standard_error;
    eprintln!("{what}: {estimate:.5} against {truth} (standard error {standard_error:.5}, {errors:+.2} of them)");
    assert!(
        errors.abs() <= allowed,
        "{what}: {estimate} is {errors:.2} standard errors from {truth}"
    );
}

fn fitted(fits: &Fits, name: &str) -> Fitted {
    fits.ranked
        .iter()
        .find(|fit| fit.distribution.name() == name)
        .unwrap_or_else(|| panic!("no {name} fit"))
        .distribution
}

#[test]
fn gamma_mean_shape_and_sd_are_recovered() {
    let (mean, sd) = (7.0, 5.0);
    let sample = draws(&Distribution::gamma_from_mean_sd(mean, sd).unwrap(), DRAWS, 1);
    let fits = fit_durations(&sample).unwrap();
    let Fitted::Gamma { shape, scale } = fitted(&fits, "gamma") else {
        unreachable!()
    };
    // Mean and shape are orthogonal parameters of the gamma: their estimates' asymptotic
    // variances are μ²/(nk) and k/(n(kψ′(k) − 1)), and sd = μ/√k by the delta method.
    let n = DRAWS as f64;
    let k = (mean / sd).powi(2);
    let mean_variance = mean * mean / (n * k);
    let shape_variance = k / (n * (k * trigamma(k) - 1.0));
    within("gamma mean", shape * scale, mean, mean_variance.sqrt());
    within("gamma shape", shape, k, shape_variance.sqrt());
    let sd_variance = mean_variance / k + (mean / (2.0 * k.powf(1.5))).powi(2) * shape_variance;
    within("gamma sd", shape.sqrt() * scale, sd, sd_variance.sqrt());
    // The MLE of the gamma's mean is the sample mean, whatever the shape.
    let sample_mean = sample.iter().sum::<f64>() / n;
    assert!((shape * scale - sample_mean).abs() < 1e-9 * sample_mean);
}

#[test]
fn lognormal_is_recovered_and_ranked_far_ahead_of_the_rest() {
    let (mu, sigma) = (5f64.ln(), 1.0);
    let sample = draws(&Distribution::LogNormal { mu, sigma }, DRAWS, 2);
    let fits = fit_durations(&sample).unwrap();
    let n = DRAWS as f64;
    let Fitted::Lognormal {
        mu: fitted_mu,
        sigma: fitted_sigma,
    } = fits.ranked[0].distribution
    else {
        panic!("ranked first: {:?}", fits.ranked[0].distribution)
    };
    within("lognormal mu", fitted_mu, mu, sigma / n.sqrt());
    within("lognormal sigma", fitted_sigma, sigma, sigma / (2.0 * n).sqrt());
    // A ΔAIC above 10 says a distribution has essentially no support against the best.
    for fit in &fits.ranked[1..] {
        let delta = fit.aic - fits.ranked[0].aic;
        eprintln!("{} ΔAIC {delta:.1}", fit.distribution.name());
        assert!(delta > 10.0, "{} only {delta} behind", fit.distribution.name());
    }
    // Kolmogorov's test at 1 % would not reject the true family (its p-value is too high with
    // estimated parameters, so this is lenient in the direction that matters here)...
    assert!(fits.ranked[0].ks_p_value > 0.01, "{}", fits.ranked[0].ks_p_value);
    // ... and rejects the exponential outright.
    let exponential = fits
        .ranked
        .iter()
        .find(|fit| fit.distribution.name() == "exponential")
        .unwrap();
    assert!(exponential.ks_p_value < 1e-6);
}

#[test]
fn weibull_shape_and_scale_are_recovered() {
    let (shape, scale) = (1.5, 10.0);
    let sample = draws(&Distribution::weibull(shape, scale), DRAWS, 3);
    let fits = fit_durations(&sample).unwrap();
    let Fitted::Weibull {
        shape: fitted_shape,
        scale: fitted_scale,
    } = fitted(&fits, "weibull")
    else {
        unreachable!()
    };
    // The Weibull MLE's asymptotic variances: 6k²/(π²n) for the shape, and
    // (λ/k)²(1 + 6(1 − γ)²/π²)/n for the scale (γ Euler's constant).
    let n = DRAWS as f64;
    let pi2 = std::f64::consts::PI.powi(2);
    let euler = 0.577_215_664_901_532_9;
    within(
        "weibull shape",
        fitted_shape,
        shape,
        (6.0 * shape * shape / (pi2 * n)).sqrt(),
    );
    let scale_variance = (scale / shape).powi(2) * (1.0 + 6.0 * (1.0 - euler) * (1.0 - euler) / pi2) / n;
    within("weibull scale", fitted_scale, scale, scale_variance.sqrt());
    assert_eq!(fits.ranked[0].distribution.name(), "weibull");
}

#[test]
fn erlang_phases_and_exponential_mean_are_recovered() {
    let sample = draws(&Distribution::erlang(3, 6.0).unwrap(), DRAWS, 4);
    let fits = fit_durations(&sample).unwrap();
    let Fitted::Erlang { k, mean } = fitted(&fits, "erlang") else {
        unreachable!()
    };
    // The gamma's shape estimate has a standard error of √(k/(n(kψ′(k) − 1))) = 0.057 here, so
    // the whole number nearest it is 3 unless it strays by 8.8 of them.
    assert_eq!(k, 3);
    let n = DRAWS as f64;
    within("erlang mean", mean, 6.0, 6.0 / (3.0 * n).sqrt());

    let sample = draws(&Distribution::Exponential { mean: 4.0 }, DRAWS, 5);
    let fits = fit_durations(&sample).unwrap();
    let Fitted::Exponential { mean } = fitted(&fits, "exponential") else {
        unreachable!()
    };
    within("exponential mean", mean, 4.0, 4.0 / n.sqrt());
}

/// A scenario whose ward's duration is `line` (`duration = …`).
fn scenario_with_duration(line: &str) -> String {
    format!(
        r#"
[simulation]
name = "fitted"
horizon_days = 10
[[source]]
id = "in"
rate_per_day = 1.0
to = "ward"
[[service]]
id = "ward"
capacity = "unlimited"
{line}
routes = [{{ to = "out", p = 1.0 }}]
[[exit]]
id = "out"
"#
    )
}

fn ward_duration(model: &Model) -> Distribution {
    model.network.nodes[0].service().unwrap().duration.clone().unwrap()
}

/// Whether `a` and `b` agree to the rounding of four significant figures (half a unit in the
/// fourth is at most 5e-4 of a value; converted to the sampler's parameters, a little more).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-3 * a.abs().max(b.abs())
}

/// Whether `a` and `b` agree to the rounding of three significant figures.
fn close_to_3_figures(a: f64, b: f64) -> bool {
    (a - b).abs() <= 5e-3 * a.abs().max(b.abs())
}

#[test]
fn every_printed_distribution_loads_as_the_fitted_one() {
    let sample = draws(&Distribution::gamma_from_mean_sd(7.0, 5.0).unwrap(), 2000, 6);
    let fits = fit_durations(&sample).unwrap();
    assert_eq!(fits.ranked.len(), 5);
    for fit in &fits.ranked {
        let line = format!("duration = {}", fit.distribution.inline_table());
        let loaded = ward_duration(&model(&scenario_with_duration(&line)));
        let same = match (fit.distribution, &loaded) {
            (Fitted::Exponential { mean }, Distribution::Exponential { mean: m }) => close(mean, *m),
            (Fitted::Gamma { shape, scale }, Distribution::Gamma { shape: k, scale: s, .. }) => {
                close(shape, *k) && close(scale, *s)
            }
            (Fitted::Lognormal { mu, sigma }, Distribution::LogNormal { mu: m, sigma: s }) => {
                close(mu, *m) && close(sigma, *s)
            }
            (Fitted::Weibull { shape, scale }, Distribution::Weibull { shape: k, scale: s }) => {
                close(shape, *k) && close(scale, *s)
            }
            (Fitted::Erlang { k, mean }, Distribution::Gamma { shape, scale, .. }) => {
                *shape == f64::from(k) && close(mean, shape * scale)
            }
            _ => false,
        };
        assert!(same, "{line} loads as {loaded:?}, not {:?}", fit.distribution);
    }
    // The empirical distribution, on several lines as printed, and on one.
    for width in [80, usize::MAX] {
        let text = fits.empirical.toml("duration", width);
        let Distribution::Empirical { values, cumulative } = ward_duration(&model(&scenario_with_duration(&text)))
        else {
            panic!("{text}")
        };
        assert_eq!(values.len(), 20);
        assert!(values.iter().zip(&fits.empirical.values).all(|(a, b)| close(*a, *b)));
        assert!((cumulative[0] - 0.05).abs() < 1e-12, "equal weights");
    }
    // Whole days, fewer than 30 distinct: the values themselves, weighted by their counts.
    let short_stays = draws(&Distribution::gamma_from_mean_sd(3.0, 2.0).unwrap(), 2000, 6);
    let days: Vec<f64> = short_stays.iter().map(|v| v.ceil()).collect();
    let fits = fit_durations(&days).unwrap();
    let text = fits.empirical.toml("duration", 80);
    assert!(text.contains("weights = ["), "{text}");
    let Distribution::Empirical { values, cumulative } = ward_duration(&model(&scenario_with_duration(&text))) else {
        panic!("{text}")
    };
    let below_three = days.iter().filter(|d| **d <= 3.0).count() as f64 / days.len() as f64;
    assert_eq!(&values[..3], [1.0, 2.0, 3.0]);
    assert!((cumulative[2] - below_three).abs() < 1e-12);
}

/// Referral times of a Poisson source, every day from `first` for `days` days, to the minute, in
/// time order: `rate_per_day × hour × weekday × month` drawn hour by hour.
fn referrals(rate_per_day: f64, profile: &Profile, first: Date, days: i64, seed: u64) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = first.days_since_epoch();
    let mut times = Vec::new();
    for day in start..start + days {
        let date = Date::from_days_since_epoch(day);
        let daily =
            rate_per_day * profile.weekday[(day + 3).rem_euclid(7) as usize] * profile.month[date.month as usize - 1];
        for (hour, multiplier) in profile.hour.iter().enumerate() {
            let mean = daily * multiplier / 24.0;
            let count = if mean > 0.0 {
                Poisson::new(mean).unwrap().sample(&mut rng) as usize
            } else {
                0
            };
            let mut minutes: Vec<u32> = (0..count).map(|_| rng.random_range(0..60)).collect();
            minutes.sort_unstable();
            times.extend(
                minutes
                    .into_iter()
                    .map(|minute| format!("{date} {hour:02}:{minute:02}")),
            );
        }
    }
    times
}

struct Profile {
    hour: [f64; 24],
    weekday: [f64; 7],
    month: [f64; 12],
}

/// Referrals in the daytime, fewer at weekends and more in winter; each profile of mean 1.
const REFERRALS: Profile = Profile {
    hour: [
        0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.4, 0.4, 0.4, 0.4,
        0.4, 0.4,
    ],
    weekday: [1.1, 1.1, 1.1, 1.1, 1.1, 0.75, 0.75],
    month: [1.15, 1.1, 1.0, 0.95, 0.95, 0.9, 0.9, 0.9, 0.95, 1.0, 1.05, 1.15],
};

#[test]
fn arrival_rate_and_profiles_are_recovered() {
    let first = Date::parse("2023-01-01").unwrap();
    let texts = referrals(20.0, &REFERRALS, first, 730, 7);
    let times: Vec<Timestamp> = texts.iter().map(|t| Timestamp::parse(t).unwrap()).collect();
    let fit = fit_arrivals(&times).unwrap();
    assert_eq!(fit.days, 730);
    let count = times.len() as f64;
    // 43 figures are checked, so each gets 4 standard errors (a chance of about 6 in 100,000 of
    // failing by luck, 0.3 % for them all). The rate's is about rate/√n (simulating the
    // estimator gives 0.171 a day against the 0.166 this says); a share p of the referrals has
    // √(p(1 − p)/n); a multiplier estimated from the m referrals on its days, about 1/√m of it.
    let z = 4.0;
    within_errors("rate_per_day", fit.rate_per_day, 20.0, 20.0 / count.sqrt(), z);
    let HourProfile::Fitted(hour) = fit.hour else {
        panic!("{:?}", fit.hour)
    };
    for (h, (&estimate, &truth)) in hour.iter().zip(&REFERRALS.hour).enumerate() {
        let share = truth / 24.0;
        within_errors(
            &format!("hour {h}"),
            estimate,
            truth,
            24.0 * (share * (1.0 - share) / count).sqrt(),
            z,
        );
    }
    for (d, (&estimate, &truth)) in fit.weekday.iter().zip(&REFERRALS.weekday).enumerate() {
        within_errors(
            &format!("weekday {d}"),
            estimate,
            truth,
            truth / (count * truth / 7.0).sqrt(),
            z,
        );
    }
    for (m, (&estimate, &truth)) in fit.month.iter().zip(&REFERRALS.month).enumerate() {
        within_errors(
            &format!("month {m}"),
            estimate,
            truth,
            truth / (count * truth / 12.0).sqrt(),
            z,
        );
    }
    let dispersion = fit.dispersion.unwrap();
    // Pearson's statistic over ~712 degrees of freedom: its ratio to them has standard error
    // √(2/712) = 0.053 for Poisson counts.
    within_errors("dispersion", dispersion, 1.0, (2.0f64 / 712.0).sqrt(), z);
}

#[test]
fn fitted_arrivals_loaded_into_the_engine_make_as_many_referrals_as_the_data() {
    // A year starting on a Wednesday, so the weekdays fall unevenly.
    let first = Date::parse("2025-01-01").unwrap();
    let texts = referrals(8.0, &REFERRALS, first, 365, 8);
    let times: Vec<Timestamp> = texts.iter().map(|t| Timestamp::parse(t).unwrap()).collect();
    let fit = fit_arrivals(&times).unwrap();
    let text = format!(
        r#"
[simulation]
name = "referrals"
horizon_days = {}
replications = 40
seed = 9
start_date = "{first}"
[[source]]
id = "in"
to = "out"
{}
[[exit]]
id = "out"
"#,
        fit.days,
        fit.toml(80)
    );
    let (model, results) = run(&text);
    let ArrivalProcess::Poisson {
        rate_per_day,
        profile: Some(profile),
    } = &model.network.sources[0].arrivals
    else {
        panic!("{text}")
    };
    assert!(close(*rate_per_day, fit.rate_per_day));
    let HourProfile::Fitted(hour) = fit.hour else { panic!() };
    for (loaded, fitted) in profile
        .hour
        .iter()
        .zip(&hour)
        .chain(profile.weekday.iter().zip(&fit.weekday))
    {
        assert!(close_to_3_figures(*loaded, *fitted), "{loaded} {fitted}");
    }
    // The figures' expected arrivals over the data's days are the data's count (up to the
    // rounding to four figures), so the engine's mean falls in its interval around it.
    assert_in_ci(
        "arrivals",
        &values(&model, &results, "exits.out.count"),
        times.len() as f64,
    );
}

/// The example data files are what these fixtures draw (`UPDATE_EXPECT=1 cargo test` writes
/// them again): not real patients.
#[test]
fn example_data_are_the_fixtures_draws() {
    let stays = draws(&Distribution::gamma_from_mean_sd(7.0, 5.0).unwrap(), 500, 2024);
    let mut text = String::from("patient,los_days\n");
    for (i, stay) in stays.iter().enumerate() {
        text.push_str(&format!("p{:04},{:.2}\n", i + 1, stay.max(0.01)));
    }
    expect_file!["../../scenarios/examples/lengths_of_stay.csv"].assert_eq(&text);

    let times = referrals(5.0, &REFERRALS, Date::parse("2024-01-01").unwrap(), 366, 2024);
    let mut text = String::from("referral,referred_at\n");
    for (i, time) in times.iter().enumerate() {
        text.push_str(&format!("r{:05},{time}\n", i + 1));
    }
    expect_file!["../../scenarios/examples/referrals.csv"].assert_eq(&text);
}

fn lines_fit(stdout: &str) {
    for line in stdout.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns:\n{line}");
    }
}

#[test]
fn the_command_prints_the_ranking_and_the_toml() {
    let dir = tempfile::tempdir().unwrap();
    let data = example("lengths_of_stay.csv");
    let output = bcfsim(&["fit", &data], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    lines_fit(&stdout);
    assert!(stdout.contains("column `los_days`: 500"), "{stdout}");
    let first = stdout.lines().find(|line| line.starts_with("duration = ")).unwrap();
    // The data are gamma draws; the printed line loads as a scenario.
    assert!(first.starts_with(r#"duration = { dist = "gamma", mean = "#), "{stdout}");
    model(&scenario_with_duration(first));

    let output = bcfsim(&["fit", &data, "--column", "2", "--json"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["column"], "los_days");
    assert_eq!(json["values"], 500);
    assert_eq!(json["fits"].as_array().unwrap().len(), 5);
    assert_eq!(json["fits"][0]["toml"].as_str().unwrap(), first);
    assert_eq!(json["fits"][0]["delta_aic"], 0.0);
    assert_eq!(json["empirical"]["quantiles"], 20);

    let output = bcfsim(&["fit", &example("referrals.csv"), "--arrivals"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    lines_fit(&stdout);
    assert!(stdout.contains("column `referred_at`:"), "{stdout}");
    let rate: f64 = stdout
        .split("\nrate_per_day = ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Drawn at 5 a day: within 4 standard errors (the Poisson count's).
    assert!((rate - 5.0).abs() < 4.0 * (5.0f64 / 366.0).sqrt(), "{rate}");
    assert!(stdout.contains("\nprofile.hour = [\n"), "{stdout}");
}

#[test]
fn data_mistakes_name_the_file_line_and_column_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = example("lengths_of_stay.csv");
    let check = |args: &[&str], expected: &str| {
        let output = bcfsim(args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains(expected), "{args:?}: {message}");
    };
    check(
        &["fit", &data, "--column", "los_day"],
        "lengths_of_stay.csv has no column `los_day` (did you mean `los_days`?); its columns: `patient`, `los_days`",
    );
    check(&["fit", &data, "--column", "3"], "no column `3`");
    check(
        &["fit", &data, "--column", "patient"],
        "line 2, column `patient`: `p0001` is not a number",
    );
    check(&["fit", "missing.csv"], "cannot read missing.csv");
    std::fs::write(dir.path().join("stays.csv"), "ward,los\nA,1.5\nB,\nC,0\n").unwrap();
    check(
        &["fit", "stays.csv"],
        "stays.csv, line 4, column `los`: 0 is not above 0",
    );
    std::fs::write(dir.path().join("two.csv"), "a,b\n1,2\n3,4\n").unwrap();
    check(
        &["fit", "two.csv"],
        "two.csv has several columns of numbers (`a`, `b`): name one with --column",
    );
    std::fs::write(dir.path().join("one.csv"), "los\n4\n").unwrap();
    check(
        &["fit", "one.csv"],
        "one.csv, column `los`: 1 value; at least 2 are needed",
    );
    std::fs::write(dir.path().join("times.csv"), "2024-01-01 08:00\n2024-01-02 25:00\n").unwrap();
    check(
        &["fit", "times.csv", "--arrivals"],
        "times.csv, line 2, column 1: `2024-01-02 25:00` is not a date or time",
    );
}
