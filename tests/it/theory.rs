//! The engine against queueing theory. Each tolerance is the confidence interval of the
//! replications' mean (see `support::CONFIDENCE`), never a number picked to pass.

use crate::support::{assert_in_ci, erlang_b, erlang_c, run, stationary, values};

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn mm1_mean_wait_is_rho_over_mu_minus_lambda() {
    let (model, results) = run(r#"
        [simulation]
        name = "mm1"
        horizon_days = 6000
        warmup_days = 500
        replications = 40
        seed = 11
        [[source]]
        id = "in"
        rate_per_day = 0.8
        to = "desk"
        [[service]]
        id = "desk"
        capacity = 1
        duration = { dist = "exponential", mean = 1.0 }
        routes = [{ to = "out", p = 1.0 }]
        [[exit]]
        id = "out"
    "#);
    // Wq = ρ / (μ − λ) = 0.8 / 0.2; P(wait > 0) = ρ.
    assert_in_ci(
        "M/M/1 mean wait",
        &values(&model, &results, "services.desk.mean_wait"),
        4.0,
    );
    assert_in_ci(
        "M/M/1 % waiting",
        &values(&model, &results, "services.desk.waited_pct"),
        80.0,
    );
    assert_in_ci(
        "M/M/1 utilisation",
        &values(&model, &results, "services.desk.utilisation_pct"),
        80.0,
    );
}

#[test]
fn mmc_mean_wait_and_probability_of_waiting_follow_erlang_c() {
    let (model, results) = run(include_str!("../../scenarios/examples/mmc.toml")
        .replace("replications = 20", "replications = 40")
        .as_str());
    let (servers, load) = (10, 9.0);
    let c = erlang_c(servers, load);
    // Wq = C(c, a) / (cμ − λ) with μ = 1.
    assert_in_ci(
        "M/M/10 mean wait",
        &values(&model, &results, "services.ward.mean_wait"),
        c / (10.0 - 9.0),
    );
    assert_in_ci(
        "M/M/10 % waiting",
        &values(&model, &results, "services.ward.waited_pct"),
        100.0 * c,
    );
    assert_in_ci(
        "M/M/10 mean occupancy",
        &values(&model, &results, "services.ward.mean_occupancy"),
        load,
    );
    // P(Wq > t) = C·exp(−(cμ − λ)t), so the 90th percentile of the wait is ln(C / 0.1) / (cμ − λ).
    assert_in_ci(
        "M/M/10 p90 wait",
        &values(&model, &results, "services.ward.p90_wait"),
        (c / 0.1).ln(),
    );
    // Lq = λ·Wq (Little's law), counted as a time average of the queue.
    assert_in_ci(
        "M/M/10 mean queue",
        &values(&model, &results, "services.ward.mean_queue"),
        9.0 * c / (10.0 - 9.0),
    );
    // P(N ≥ c) is the probability of waiting too (PASTA).
    assert_in_ci(
        "M/M/10 P(all busy)",
        &values(&model, &results, "services.ward.occupancy_at_least.10"),
        c,
    );
}

#[test]
fn mmcc_loss_through_on_full_follows_erlang_b() {
    let (model, results) = run(r#"
        [simulation]
        name = "erlang-b"
        horizon_days = 3000
        warmup_days = 50
        replications = 30
        seed = 5
        [[source]]
        id = "calls"
        rate_per_day = 4.0
        to = "unit"
        [[service]]
        id = "unit"
        capacity = 5
        queue_limit = 0
        on_full = "elsewhere"
        duration = { dist = "gamma", mean = 1.0, sd = 0.5 }
        routes = [{ to = "home", p = 1.0 }]
        [[exit]]
        id = "home"
        [[exit]]
        id = "elsewhere"
    "#);
    // Erlang B is insensitive to the service distribution, so a gamma service must give it too.
    let arrivals = values(&model, &results, "services.unit.arrivals");
    let overflowed = values(&model, &results, "services.unit.overflowed");
    let diverted = values(&model, &results, "exits.elsewhere.count");
    let loss: Vec<f64> = overflowed.iter().zip(&arrivals).map(|(o, a)| o / a).collect();
    let diverted_share: Vec<f64> = diverted.iter().zip(&arrivals).map(|(d, a)| d / a).collect();
    let b = erlang_b(5, 4.0);
    assert_in_ci("Erlang B loss", &loss, b);
    assert_in_ci("share sent on_full", &diverted_share, b);
    assert_eq!(overflowed, diverted, "every overflow goes on to the on_full exit");
}

#[test]
fn mg_infinity_occupancy_is_poisson_with_mean_lambda_times_mean_service() {
    let (model, results) = run(r#"
        [simulation]
        name = "mg-inf"
        horizon_days = 2000
        warmup_days = 100
        replications = 30
        seed = 3
        [[source]]
        id = "in"
        rate_per_day = 20.0
        to = "beds"
        [[service]]
        id = "beds"
        capacity = "unlimited"
        duration = { dist = "lognormal", mean = 3.0, sd = 4.0 }
        routes = [{ to = "out", p = 1.0 }]
        [[exit]]
        id = "out"
    "#);
    let load = 20.0 * 3.0;
    assert_in_ci(
        "M/G/∞ mean occupancy",
        &values(&model, &results, "services.beds.mean_occupancy"),
        load,
    );
    assert_in_ci(
        "M/G/∞ mean service",
        &values(&model, &results, "services.beds.mean_service"),
        3.0,
    );
    // The occupancy is Poisson(λE[S]) whatever the service distribution: check a tail share.
    let poisson_at_least = |k: u32| {
        let mut term = (-load).exp();
        let mut below = 0.0;
        for i in 0..k {
            below += term;
            term *= load / f64::from(i + 1);
        }
        1.0 - below
    };
    for k in [50, 60, 70] {
        let path = format!("services.beds.occupancy_at_least.{k}");
        assert_in_ci(&path, &values(&model, &results, &path), poisson_at_least(k));
    }
    assert!(
        mean(&values(&model, &results, "services.beds.mean_wait")) == 0.0,
        "nobody waits for an unlimited service"
    );
}

#[test]
fn littles_law_holds_at_every_service_of_a_network_with_queues_and_blocking() {
    let (model, results) = run(r#"
        [simulation]
        name = "little"
        horizon_days = 3000
        warmup_days = 200
        replications = 30
        seed = 9
        [[cohort]]
        id = "young"
        [[cohort]]
        id = "old"
        [[source]]
        id = "in"
        rate_per_day = 3.0
        to = "beds"
        cohorts = [{ cohort = "young", p = 0.6 }, { cohort = "old", p = 0.4 }]
        [[service]]
        id = "beds"
        capacity = 22
        duration = { dist = "lognormal", mean = 5.0, sd = 3.0 }
        duration_by_cohort = { old = { dist = "lognormal", mean = 8.0, sd = 6.0 } }
        routes = [
          { to = "reablement", p = 0.5, cohort = "old" },
          { to = "home", p = 0.5, cohort = "old" },
          { to = "home", p = 1.0, cohort = "young" },
        ]
        [[service]]
        id = "reablement"
        capacity = 6
        queue_limit = 0
        duration = { dist = "erlang", k = 2, mean = 10.0 }
        routes = [{ to = "home", p = 0.9 }, { to = "beds", p = 0.1 }]
        [[exit]]
        id = "home"
    "#);
    for service in ["beds", "reablement"] {
        let get = |stat: &str| values(&model, &results, &format!("services.{service}.{stat}"));
        let observed_days = 3000.0 - 200.0;
        // L = λW for the places in use: throughput × (service time + time blocked after service).
        let lambda_w: Vec<f64> = get("completions")
            .iter()
            .zip(get("mean_service").iter().zip(get("mean_blocked")))
            .map(|(n, (s, b))| n / observed_days * (s + b))
            .collect();
        assert_in_ci(
            &format!("Little's law at {service}"),
            &get("mean_occupancy"),
            mean(&lambda_w),
        );
    }
    let blocked = mean(&values(&model, &results, "services.beds.mean_blocked"));
    assert!(
        blocked > 0.0,
        "a full reablement service with no queue holds patients in beds"
    );
}

#[test]
fn blocking_in_a_tandem_line_matches_the_exact_markov_chain() {
    let (lambda, mu1, mu2, queue_limit) = (0.7, 1.0, 0.8, 2usize);
    let (model, results) = run(r#"
        [simulation]
        name = "tandem"
        horizon_days = 20000
        warmup_days = 500
        replications = 30
        seed = 21
        [[source]]
        id = "in"
        rate_per_day = 0.7
        to = "first"
        [[service]]
        id = "first"
        capacity = 1
        queue_limit = 2
        duration = { dist = "exponential", mean = 1.0 }
        routes = [{ to = "second", p = 1.0 }]
        [[service]]
        id = "second"
        capacity = 1
        queue_limit = 0
        duration = { dist = "exponential", mean = 1.25 }
        routes = [{ to = "out", p = 1.0 }]
        [[exit]]
        id = "out"
    "#);
    // State (n1, blocked, n2): n1 patients at the first station (in service, blocked or queued),
    // whether its place holds a patient blocked by a full second station, n2 at the second.
    let max_n1 = 1 + queue_limit;
    let states: Vec<(usize, bool, usize)> = (0..=max_n1)
        .flat_map(|n1| {
            [false, true]
                .into_iter()
                .flat_map(move |b| (0..=1).map(move |n2| (n1, b, n2)))
        })
        .filter(|&(n1, b, n2)| !b || (n1 >= 1 && n2 == 1))
        .collect();
    let index = |s: (usize, bool, usize)| states.iter().position(|&t| t == s).unwrap();
    let mut rates = vec![vec![0.0; states.len()]; states.len()];
    for (i, &(n1, b, n2)) in states.iter().enumerate() {
        if n1 < max_n1 {
            rates[i][index((n1 + 1, b, n2))] += lambda;
        }
        if n1 >= 1 && !b {
            let next = if n2 == 0 { (n1 - 1, false, 1) } else { (n1, true, 1) };
            rates[i][index(next)] += mu1;
        }
        if n2 == 1 {
            let next = if b { (n1 - 1, false, 1) } else { (n1, false, 0) };
            rates[i][index(next)] += mu2;
        }
    }
    let pi = stationary(&rates);
    let probability = |f: &dyn Fn(&(usize, bool, usize)) -> bool| -> f64 {
        states.iter().zip(&pi).filter(|(s, _)| f(s)).map(|(_, p)| p).sum()
    };
    let full = probability(&|s| s.0 == max_n1);
    let first_busy = probability(&|s| s.0 >= 1);
    let first_blocked = probability(&|s| s.1);
    let second_busy = probability(&|s| s.2 == 1);
    let throughput = lambda * (1.0 - full);

    let arrivals = values(&model, &results, "services.first.arrivals");
    let overflowed = values(&model, &results, "services.first.overflowed");
    let loss: Vec<f64> = overflowed.iter().zip(&arrivals).map(|(o, a)| o / a).collect();
    assert_in_ci("share of arrivals finding the line full", &loss, full);
    assert_in_ci(
        "first station occupancy",
        &values(&model, &results, "services.first.mean_occupancy"),
        first_busy,
    );
    assert_in_ci(
        "second station occupancy",
        &values(&model, &results, "services.second.mean_occupancy"),
        second_busy,
    );
    // Time blocked per patient = P(blocked) / throughput (Little's law on the blocked place).
    assert_in_ci(
        "mean time blocked at the first station",
        &values(&model, &results, "services.first.mean_blocked"),
        first_blocked / throughput,
    );
}

/// A source whose rate is profiled by hour and weekday and grows 50 % a year; the expected number
/// of arrivals is the integral of its rate.
#[test]
fn profiled_arrivals_match_the_integral_of_the_rate() {
    let text = r#"
        [simulation]
        name = "profile"
        horizon_days = 728
        replications = 30
        seed = 17
        start_date = "2025-04-07"
        [[source]]
        id = "in"
        rate_per_day = 10.0
        to = "out"
        profile = { hour = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], weekday = [1, 1, 1, 1, 1, 0.5, 0.5], annual_growth_pct = 50 }
        [[exit]]
        id = "out"
    "#;
    let (model, results) = run(text);
    // The weekday multiplier is constant over a day, so each day contributes its multiplier times
    // the integral of the growth over that day. The hour multipliers average 1 over a day. The
    // engine takes each day's growth at its midday, which differs from the integral over the day
    // by about (ln 1.5 / 365)² / 24, a few parts in ten million.
    let growth = |t: f64| 1.5f64.powf(t / 365.0);
    let weekday = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5];
    let expected: f64 = (0..728)
        .map(|day| {
            let integral = 365.0 / 1.5f64.ln() * (growth(f64::from(day) + 1.0) - growth(f64::from(day)));
            10.0 * weekday[day as usize % 7] * integral
        })
        .sum();
    assert_in_ci(
        "profiled arrivals",
        &values(&model, &results, "exits.out.count"),
        expected,
    );

    let (_, rows) = bcfsim::model::simulation::run_replication(&model, 0, Vec::new()).expect("stable");
    let clock = bcfsim::calendar::Clock::starting(model.run.start_date);
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| clock.hour(r.time) < 12),
        "no arrivals when the hour multiplier is 0"
    );
}
