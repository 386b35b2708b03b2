//! The health-and-care layer on tiny scenarios whose metrics can be worked out by hand.

use bcfsim::model::simulation::{run_replication, NoTrace, TraceEvent};

use crate::support::{assert_exact, first, model, run, run_model, values};

const ONE_A_DAY: &str = r#"
    [simulation]
    name = "hand"
    start_date = "2025-04-07"   # a Monday
    horizon_days = 60
    warmup_days = 30
    replications = 2
    [population]
    total = 100000
    aged_18_plus = 80000
    aged_65_plus = 20000
    [[cohort]]
    id = "old"
    attributes = { age_band = "80+", acsc = true }
    [[source]]
    id = "in"
    interarrival = { dist = "fixed", value = 1.0 }
    to = "acute"
    [[service]]
    id = "acute"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 20.0 }
    routes = [{ to = "home", p = 1.0 }]
    tags = ["acute"]
    [[exit]]
    id = "home"
    tags = ["usual_residence", "pathway_0"]
"#;

#[test]
fn length_of_stay_census_and_admission_rates_by_hand() {
    // One admission a day (at midnight), each staying exactly 20 days. At each midnight the
    // census holds the 20 patients admitted on the 20 previous days, stays 1 to 20 days: 7 of
    // them (14 to 20 days) have been in 14 days or more, none 21.
    assert_eq!(first(ONE_A_DAY, "metrics.los_14_plus_pct"), 35.0);
    assert_eq!(first(ONE_A_DAY, "metrics.los_21_plus_pct"), 0.0);
    // 30 admissions in the 30 observed days: 365 a year, per 100,000 of a population of 100,000.
    assert_eq!(first(ONE_A_DAY, "metrics.non_elective_admissions"), 365.0);
    assert_eq!(first(ONE_A_DAY, "metrics.non_elective_admissions_per_100k"), 365.0);
    assert_eq!(first(ONE_A_DAY, "metrics.acsc_admissions_per_100k"), 365.0);
    assert_eq!(first(ONE_A_DAY, "metrics.discharged_usual_residence_pct"), 100.0);
    assert_eq!(first(ONE_A_DAY, "metrics.pathway_0_pct"), 100.0);
    assert_eq!(first(ONE_A_DAY, "metrics.pathway_0_pct_65"), 100.0);
    assert_eq!(first(ONE_A_DAY, "metrics.delayed_days_per_100k_per_day"), 0.0);
    // Nobody leaves on a supported pathway (1-3), so the 24-hour share is of nobody.
    let (model, results) = run(ONE_A_DAY);
    let (_, within_24h) = bcfsim::metrics::columns(&model.network, &results)
        .into_iter()
        .find(|(name, _)| name == "metrics.discharged_within_24h_pct")
        .unwrap();
    assert!(within_24h.iter().all(Option::is_none));
}

#[test]
fn discharge_hours_delay_leaving_as_part_of_the_discharge_process_not_for_capacity() {
    // Stays of 20 days and 22 hours end at 22:00; discharges happen 08:00-20:00, so every
    // patient waits 10 hours in the bed: 10/24 of a bed day each, one patient a day, charged to
    // the discharge process and kept out of the delays for want of capacity.
    let text = ONE_A_DAY
        .replace("value = 20.0 }", "value = 20.916666666666668 }")
        .replace(
            r#"tags = ["acute"]"#,
            "tags = [\"acute\"]\nleave_hours = [{ from = 8, to = 20 }]",
        );
    let process_per_day = first(
        &text,
        "metrics.delayed_days_per_100k_per_day_by_cause.discharge_process",
    ) * 0.8;
    assert_exact("process_per_day", process_per_day, 10.0 / 24.0);
    let process_a_year = first(&text, "metrics.delayed_bed_days_by_cause.discharge_process");
    assert_exact("process_a_year", process_a_year, 365.0 * 10.0 / 24.0);
    assert_eq!(first(&text, "metrics.delayed_days_per_100k_per_day"), 0.0);
    assert_eq!(first(&text, "metrics.delayed_bed_days"), 0.0);
    let model = model(&text);
    let (_, rows) = run_replication(&model, 0, Vec::new()).expect("stable");
    let leave = rows
        .iter()
        .find(|r| r.patient == 0 && r.event == TraceEvent::Leave)
        .unwrap();
    // Admitted on day 1, optimised at 22:00 on day 21, discharged at 08:00 on day 22.
    assert!(
        (leave.time - (22.0 + 8.0 / 24.0)).abs() < 1e-9,
        "left at {}",
        leave.time
    );
}

/// Everyone 80+ goes from hospital (1 day) to reablement (10 days), then home through a
/// post-discharge service where `AFTER` decides what happens.
const REABLEMENT: &str = r#"
    [simulation]
    name = "ninety-one"
    horizon_days = 400
    warmup_days = 10
    replications = 2
    [[cohort]]
    id = "old"
    attributes = { age_band = "80+" }
    [[source]]
    id = "in"
    interarrival = { dist = "fixed", value = 1.0 }
    to = "acute"
    [[service]]
    id = "acute"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 1.0 }
    routes = [{ to = "reablement", p = 1.0 }]
    tags = ["acute"]
    [[service]]
    id = "reablement"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 10.0 }
    routes = [{ to = "after", p = 1.0 }]
    tags = ["reablement", "usual_residence", "pathway_1"]
    [[service]]
    id = "after"
    capacity = "unlimited"
    AFTER
    [[exit]]
    id = "home"
    tags = ["usual_residence"]
"#;

#[test]
fn at_home_91_days_by_hand() {
    // Readmitted 40 days after reablement ends (day 50 after discharge) for 60 days: in hospital
    // on day 91, so nobody counts as at home.
    let readmitted = REABLEMENT.replace(
        "AFTER",
        r#"duration = { dist = "fixed", value = 40.0 }
    routes = [{ to = "readmitted", p = 1.0 }]
    tags = ["usual_residence"]
    [[service]]
    id = "readmitted"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 60.0 }
    routes = [{ to = "home", p = 1.0 }]
    tags = ["acute"]"#,
    );
    assert_eq!(first(&readmitted, "metrics.at_home_91_days_pct"), 0.0);
    // Readmitted for only 20 days: home again by day 91.
    let back_home = readmitted.replace("value = 60.0", "value = 20.0");
    assert_eq!(first(&back_home, "metrics.at_home_91_days_pct"), 100.0);
    // Half die at home on day 30 (an exit tagged death): 50 % at home.
    let half_die = REABLEMENT.replace(
        "AFTER",
        r#"duration = { dist = "fixed", value = 20.0 }
    routes = [{ to = "home", p = 0.5 }, { to = "died", p = 0.5 }]
    tags = ["usual_residence"]
    [[exit]]
    id = "died"
    tags = ["death"]"#,
    );
    // Pooled over two replications, the share at home is binomial around 50 %: it must lie within
    // the 99.9 % normal interval, 3.29 standard errors of sqrt(0.25 / n).
    let model = model(&half_die);
    let (mut followed, mut at_home) = (0, 0);
    for replication in 0..2 {
        let (record, _) = run_replication(&model, replication, NoTrace).expect("stable");
        followed += record.months.iter().map(|m| m.followed).sum::<u64>();
        at_home += record.months.iter().map(|m| m.followed_at_home).sum::<u64>();
    }
    let share = at_home as f64 / followed as f64;
    let tolerance = 3.29 * (0.25 / followed as f64).sqrt();
    assert!((share - 0.5).abs() < tolerance, "{at_home} of {followed} at home");
}

#[test]
fn staffing_matches_a_hand_calculation() {
    // One arrival a day staying exactly 10 days keeps 10 patients in service. Each needs 2 visits
    // of 45 minutes plus 15 of travel: 20 visits and 1,200 minutes a day. With 400 productive
    // minutes a shift that is 3 people on shift every day; for 7 days a week with 5 shifts per
    // FTE and a 20 % uplift, 3 × 7 / 5 × 1.2 = 5.04 FTE.
    let text = r#"
        [simulation]
        name = "staff"
        horizon_days = 100
        warmup_days = 20
        replications = 2
        [[source]]
        id = "in"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "care"
        [[service]]
        id = "care"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 10.0 }
        workload = { staff = "hca", visits_per_day = 2, minutes_per_visit = 45, travel_minutes = 15 }
        routes = [{ to = "out", p = 1.0 }]
        [[exit]]
        id = "out"
        [[staff]]
        id = "hca"
        productive_minutes_per_shift = 400
        shifts_per_fte_per_week = 5
        days_covered_per_week = 7
        uplift_pct = 20
    "#;
    let close = |path: &str, expected: f64| assert_exact(path, first(text, path), expected);
    for kind in ["used", "needed"] {
        close(&format!("staffing.hca.{kind}.daily_visits"), 20.0);
        close(&format!("staffing.hca.{kind}.on_shift_mean"), 3.0);
        close(&format!("staffing.hca.{kind}.on_shift_p90"), 3.0);
        close(&format!("staffing.hca.{kind}.on_shift_max"), 3.0);
        close(&format!("staffing.hca.{kind}.fte"), 5.04);
    }
    close("staffing.hca.turned_away", 0.0);
    close("staffing.hca.waited", 0.0);
}

/// A scheme open weekdays 9-17 with one place, one referral a day at midnight from a Tuesday,
/// conveyed to hospital after waiting half a day.
const SCHEME: &str = r#"
    [simulation]
    name = "scheme"
    start_date = "2025-04-07"   # a Monday
    horizon_days = 14
    replications = 1
    [[source]]
    id = "referrals"
    interarrival = { dist = "fixed", value = 1.0 }
    to = "scheme"
    [[service]]
    id = "scheme"
    capacity = 0
    schedule = [{ days = "mon-fri", from = 9, to = 17, capacity = 1 }]
    max_wait = 0.5
    on_timeout = "acute"
    duration = { dist = "fixed", value = 0.25 }
    routes = [{ to = "avoided", p = 1.0 }]
    tags = ["admission_avoidance"]
    [[service]]
    id = "acute"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 2.0 }
    routes = [{ to = "avoided", p = 1.0 }]
    tags = ["acute"]
    [[exit]]
    id = "avoided"
"#;

#[test]
fn scheme_hours_and_response_time_limit_by_hand() {
    // Referrals on days 1-13: weekday ones wait until 09:00 (0.375 days) and are seen; the four
    // arriving on Saturdays and Sundays (days 5, 6, 12, 13) give up at noon and are admitted.
    let (model, results) = run(SCHEME);
    let get = |path: &str| values(&model, &results, path)[0];
    assert_eq!(get("services.scheme.arrivals"), 13.0);
    assert_eq!(get("services.scheme.reneged"), 4.0);
    assert_eq!(get("services.scheme.completions"), 9.0);
    assert_eq!(get("services.scheme.mean_wait"), (9.0 * 0.375 + 4.0 * 0.5) / 13.0);
    // Annualised over 14 days: 9 avoided, 4 admitted.
    assert_eq!(get("metrics.avoided_admissions"), 9.0 * 365.0 / 14.0);
    assert_eq!(get("metrics.avoided_admissions_by_scheme.scheme"), 9.0 * 365.0 / 14.0);
    assert_eq!(get("metrics.non_elective_admissions"), 4.0 * 365.0 / 14.0);
}

#[test]
fn scheme_overflow_sends_referrals_to_hospital() {
    // Open all day with one place busy 1.5 days: every other referral finds it full and goes
    // straight to hospital. Those seen on days 1, 3, …, 11 are avoided admissions; the one seen
    // on day 13 is still with the scheme at the horizon.
    let text = SCHEME
        .replace("capacity = 0\n", "capacity = 1\nqueue_limit = 0\non_full = \"acute\"\n")
        .replace(
            "    schedule = [{ days = \"mon-fri\", from = 9, to = 17, capacity = 1 }]\n",
            "",
        )
        .replace("value = 0.25", "value = 1.5");
    let (model, results) = run(&text);
    let get = |path: &str| values(&model, &results, path)[0];
    assert_eq!(get("services.scheme.overflowed"), 6.0);
    assert_eq!(get("metrics.non_elective_admissions"), 6.0 * 365.0 / 14.0);
    assert_eq!(get("metrics.avoided_admissions"), 6.0 * 365.0 / 14.0);
}

#[test]
fn interim_beds_take_discharges_when_bridging_is_full_then_patients_wait_in_hospital() {
    // One discharge a day to a bridging service with one place for 2.5 days; its on_full is one
    // interim bed for 2.5 days. Day 1 goes to bridging, day 2 to the interim bed, day 3 waits in
    // hospital until bridging frees at 3.5.
    let text = r#"
        [simulation]
        name = "interim"
        horizon_days = 3.9
        replications = 1
        [[source]]
        id = "in"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "acute"
        [[service]]
        id = "acute"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 0.0 }
        routes = [{ to = "bridging", p = 1.0 }]
        tags = ["acute"]
        [[service]]
        id = "bridging"
        capacity = 1
        queue_limit = 0
        on_full = "interim"
        duration = { dist = "fixed", value = 2.5 }
        routes = [{ to = "home", p = 1.0 }]
        tags = ["pathway_1", "usual_residence"]
        [[service]]
        id = "interim"
        capacity = 1
        queue_limit = 0
        duration = { dist = "fixed", value = 2.5 }
        routes = [{ to = "home", p = 1.0 }]
        tags = ["interim", "pathway_2"]
        [[exit]]
        id = "home"
    "#;
    let model = model(text);
    let (_, rows) = run_replication(&model, 0, Vec::new()).expect("stable");
    let node = |name: &str| model.network.nodes.iter().position(|n| n.id == name).unwrap() as u32;
    let started = |patient: u64, at: &str| {
        rows.iter()
            .find(|r| r.patient == patient && r.event == TraceEvent::Start && r.node == node(at))
            .map(|r| r.time)
    };
    assert_eq!(started(0, "bridging"), Some(1.0));
    assert_eq!(started(1, "interim"), Some(2.0));
    assert_eq!(started(2, "bridging"), Some(3.5));
    let (_, results) = run(text);
    let get = |path: &str| values(&model, &results, path)[0];
    // Discharges observed: patients 0, 1 and 2 (at 3.5): one to the interim bed.
    assert_eq!(get("metrics.pathway_2_pct"), 100.0 / 3.0);
    assert_eq!(get("metrics.discharged_usual_residence_pct"), 200.0 / 3.0);
    // Bed days in interim: patient 1 from day 2 to 3.9, annualised.
    assert_exact("interim bed days", get("metrics.interim_bed_days"), 1.9 * 365.0 / 3.9);
}

#[test]
fn staff_capacity_is_a_budget_of_staff_minutes_that_more_fte_enlarges() {
    // A pool staffed by `hca`: assessment (3 visits of 60 minutes) then bridging (2 visits) keep
    // one place; the minutes in use never exceed what the FTE provide, and more FTE admit more.
    let text = |fte: f64| {
        format!(
            r#"
        [simulation]
        name = "pool"
        horizon_days = 400
        warmup_days = 50
        replications = 4
        [[source]]
        id = "in"
        rate_per_day = 5.0
        to = "hospital"
        [[service]]
        id = "hospital"
        capacity = "unlimited"
        duration = {{ dist = "exponential", mean = 2.0 }}
        routes = [{{ to = "assessment", p = 1.0 }}]
        [[pool]]
        id = "crs"
        capacity = {{ staff = "hca" }}
        [[service]]
        id = "assessment"
        pool = "crs"
        queue_limit = 0
        duration = {{ dist = "fixed", value = 2.0 }}
        workload = {{ staff = "hca", visits_per_day = 3, minutes_per_visit = 45, travel_minutes = 15 }}
        routes = [{{ to = "bridging", p = 1.0 }}]
        [[service]]
        id = "bridging"
        pool = "crs"
        duration = {{ dist = "exponential", mean = 5.0 }}
        workload = {{ staff = "hca", visits_per_day = 2, minutes_per_visit = 45, travel_minutes = 15 }}
        routes = [{{ to = "home", p = 1.0 }}]
        [[exit]]
        id = "home"
        [[staff]]
        id = "hca"
        fte = {fte}
        productive_minutes_per_shift = 400
        shifts_per_fte_per_week = 7
        days_covered_per_week = 7
        "#
        )
    };
    let mean = |values: Vec<f64>| values.iter().sum::<f64>() / values.len() as f64;
    let (small, small_results) = run(&text(8.0));
    // 8 FTE on shift every day (7 shifts a week, no uplift) deliver 3,200 minutes a day.
    let busiest = values(&small, &small_results, "staffing.hca.used.on_shift_max");
    assert!(busiest.iter().all(|&on_shift| on_shift <= 8.0 + 1e-9), "{busiest:?}");
    let small_blocked = mean(values(&small, &small_results, "services.hospital.mean_blocked"));
    assert!(
        small_blocked > 0.5,
        "a small team keeps patients in hospital: {small_blocked}"
    );
    let (large, large_results) = run(&text(16.0));
    let large_blocked = mean(values(&large, &large_results, "services.hospital.mean_blocked"));
    assert!(
        large_blocked < small_blocked / 4.0,
        "{large_blocked} vs {small_blocked}"
    );
}

#[test]
fn default_scenario_runs_and_reports_every_metric() {
    let text = include_str!("../../scenarios/leicestershire.toml").replace("replications = 100", "replications = 3");
    let (model, results) = run(&text);
    for metric in [
        "non_elective_admissions",
        "non_elective_admissions_per_100k",
        "acsc_admissions_per_100k",
        "avoided_admissions",
        "care_home_admissions_65_per_100k",
        "at_home_91_days_pct",
        "discharged_usual_residence_pct",
        "delayed_days_per_100k_per_day",
        "discharged_within_24h_pct",
        "los_14_plus_pct",
        "los_21_plus_pct",
        "los_21_plus_awaiting_capacity_pct",
        "los_21_plus_in_discharge_process_pct",
        "readmitted_30_days_pct",
        "care_home_admissions_65_via_hospital_pct",
        "delayed_bed_days_by_cause.discharge_process",
        "delayed_bed_days_by_reason.e",
        "delayed_bed_days_by_reason.c",
        "delayed_bed_days_by_reason.d_i",
        "delayed_bed_days_by_reason.d_ii",
        "pathway_0_pct",
        "pathway_1_pct",
        "pathway_2_pct",
        "pathway_3_pct",
        "pathway_1_pct_65",
    ] {
        let path = format!("metrics.{metric}");
        assert!(
            values(&model, &results, &path)
                .iter()
                .all(|v| v.is_finite() && *v >= 0.0),
            "{path}"
        );
    }
    for scheme in ["crisis_response", "opau", "falls_response", "care_coordination"] {
        let path = format!("metrics.avoided_admissions_by_scheme.{scheme}");
        assert!(values(&model, &results, &path)[0] > 0.0, "{path}");
    }
    let pathways: f64 = (0..4)
        .map(|k| values(&model, &results, &format!("metrics.pathway_{k}_pct"))[0])
        .sum();
    assert!(pathways <= 100.0 + 1e-9);
    assert!(values(&model, &results, "staffing.hca.needed.fte")[0] > 0.0);
    assert_eq!(results[0].months.len(), 12, "one trajectory entry per month of 2019/20");
}

#[test]
fn in_the_default_county_each_lever_moves_the_delays_it_should() {
    // Replication r of every variant shares its random streams, so differences are paired.
    let county = |sets: &[&str]| {
        let text =
            include_str!("../../scenarios/leicestershire.toml").replace("replications = 100", "replications = 20");
        let sets: Vec<bcfsim::scenario::Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        let model = bcfsim::scenario::load_text("county.toml", &text, &sets).unwrap();
        let results = run_model(&model, 0..model.run.replications);
        move |path: &str| values(&model, &results, path)
    };
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let cause = |name: &str| format!("metrics.delayed_days_per_100k_per_day_by_cause.{name}");
    let baseline = county(&[]);

    // More D2A beds remove most of the delays charged to them.
    let beds = county(&["service.d2a_beds.capacity=70"]);
    assert!(mean(&beds(&cause("d2a_beds"))) < 0.5 * mean(&baseline(&cause("d2a_beds"))));

    // Fewer care assistants: delays for CRS rise, and the FTE needed stays near the baseline's
    // while the FTE used falls with the staff employed.
    let fewer = county(&["staff.hca.fte=45"]);
    assert!(mean(&fewer(&cause("crs_assessment"))) > 2.0 * mean(&baseline(&cause("crs_assessment"))));
    let needed = mean(&fewer("staffing.hca.needed.fte")) / mean(&baseline("staffing.hca.needed.fte"));
    let used = mean(&fewer("staffing.hca.used.fte")) / mean(&baseline("staffing.hca.used.fte"));
    assert!(
        needed > 0.8 && used < 0.85,
        "needed {needed}, used {used} of the baseline's"
    );

    // Discharge hours round the clock shorten the discharge process but leave the delays for
    // capacity where they were: the paired difference's 99.9 % interval contains zero.
    let open = county(&["service.acute.leave_hours=[{ from = 0, to = 24 }]"]);
    assert!(mean(&open(&cause("discharge_process"))) < 0.7 * mean(&baseline(&cause("discharge_process"))));
    let headline = "metrics.delayed_days_per_100k_per_day";
    let differences: Vec<f64> = open(headline)
        .iter()
        .zip(baseline(headline))
        .map(|(a, b)| a - b)
        .collect();
    crate::support::assert_in_ci(
        "capacity delays with 24-hour discharges, less the baseline's",
        &differences,
        0.0,
    );
}

#[test]
fn costs_by_item_and_payer_by_hand() {
    // One arrival a day staying exactly 10 days: 10 beds in use, 365 episodes and 365 patients
    // leaving a year.
    let text = r#"
        [simulation]
        name = "costs"
        horizon_days = 120
        warmup_days = 20
        replications = 2
        [[source]]
        id = "in"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "ward"
        [[service]]
        id = "ward"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 10.0 }
        routes = [{ to = "home", p = 1.0 }]
        [[exit]]
        id = "home"
        [[staff]]
        id = "hca"
        fte = 2
        productive_minutes_per_shift = 400
        shifts_per_fte_per_week = 5
        [costs]
        service_day = { ward = { value = 100, payer = "nhs" } }
        service_episode = { ward = { value = 50, payer = "council" } }
        exit = { home = { value = 10, payer = "council" } }
        staff_fte_year = { hca = { value = 30000, payer = "nhs" } }
        fixed_year = { ward = { value = 1000, payer = "nhs" } }
    "#;
    let close = |path: &str, expected: f64| assert_exact(path, first(text, path), expected);
    close("costs.by_item.service_day.ward", 3650.0 * 100.0);
    close("costs.by_item.service_episode.ward", 365.0 * 50.0);
    close("costs.by_item.exit.home", 365.0 * 10.0);
    close("costs.by_item.staff_fte_year.hca", 60_000.0);
    close("costs.by_item.fixed_year.ward", 1000.0);
    close("costs.by_payer.nhs", 365_000.0 + 60_000.0 + 1000.0);
    close("costs.by_payer.council", 18_250.0 + 3650.0);
    close("costs.total", 447_900.0);

    // A scheme costing 3,650 a year to run, and its episodes and place-days, avoids 9 admissions
    // in 14 days; switched off, it costs nothing (patients pass through it, but no care is
    // given) and there is no cost per avoided admission.
    let scheme = SCHEME.to_owned()
        + "[costs]\nfixed_year = { scheme = { value = 3650, payer = \"nhs\" } }\n\
           service_episode = { scheme = { value = 20, payer = \"council\" } }\n\
           service_day = { scheme = { value = 80, payer = \"council\" } }\n";
    let scheme_costs = 3650.0
        + first(&scheme, "costs.by_item.service_episode.scheme")
        + first(&scheme, "costs.by_item.service_day.scheme");
    assert!(scheme_costs > 3650.0);
    assert_exact(
        "per avoided admission",
        first(&scheme, "costs.per_avoided_admission"),
        scheme_costs / (9.0 * 365.0 / 14.0),
    );
    let off = scheme.replace(
        "id = \"scheme\"\n",
        "id = \"scheme\"\n    enabled = false\n    bypass = \"acute\"\n",
    );
    assert_eq!(first(&off, "costs.total"), 0.0);
    // A payer with no items pays 0, not -0 (an empty sum of floats).
    let nhs_only = SCHEME.to_owned() + "[costs]\nfixed_year = { scheme = { value = 3650, payer = \"nhs\" } }\n";
    assert_eq!(first(&nhs_only, "costs.by_payer.council").to_bits(), 0.0f64.to_bits());
    let (model, results) = run(&off);
    assert!(bcfsim::metrics::columns(&model.network, &results)
        .iter()
        .all(|(path, _)| path != "costs.per_avoided_admission"));
}
