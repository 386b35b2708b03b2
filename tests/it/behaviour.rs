//! Small deterministic scenarios whose every number can be checked by hand.

use bcfsim::metrics::columns;
use bcfsim::model::simulation::{run_replication, TraceEvent, TraceRow};
use bcfsim::report::{self, RunFacts};
use bcfsim::runner;

use crate::support::{model, run, run_model, values};

/// One desk, one patient a day (at days 1, 2, 3, …), each served for 2.5 days, giving up after
/// waiting 0.75 days, observed until day 12.
const RENEGING: &str = r#"
    [simulation]
    name = "reneging"
    horizon_days = 12
    replications = 2
    [[source]]
    id = "in"
    interarrival = { dist = "fixed", value = 1.0 }
    to = "desk"
    [[service]]
    id = "desk"
    capacity = 1
    duration = { dist = "fixed", value = 2.5 }
    max_wait = 0.75
    on_timeout = "gave_up"
    routes = [{ to = "done", p = 1.0 }]
    [[exit]]
    id = "done"
    [[exit]]
    id = "gave_up"
"#;

#[test]
fn reneging_by_hand() {
    // Patient 1 (day 1) is served 1–3.5; 2 gives up at 2.75; 3 waits 0.5 and is served 3.5–6;
    // 4 and 5 give up; 6 arrives as 3 leaves and is served 6–8.5; 7 gives up; 8 waits 0.5 and is
    // served 8.5–11; 9 and 10 give up; 11 arrives as 8 leaves and is still in service at day 12.
    let (model, results) = run(RENEGING);
    let get = |path: &str| values(&model, &results, path)[0];
    assert_eq!(get("services.desk.arrivals"), 11.0);
    assert_eq!(get("services.desk.reneged"), 6.0);
    assert_eq!(get("exits.gave_up.count"), 6.0);
    assert_eq!(get("services.desk.completions"), 4.0);
    assert_eq!(get("exits.done.count"), 4.0);
    // Waits: 0.5 twice and 0.75 six times among 11 who entered the queue or service.
    assert_eq!(get("services.desk.mean_wait"), 5.5 / 11.0);
    assert_eq!(get("services.desk.waited_pct"), 800.0 / 11.0);
    assert_eq!(get("services.desk.mean_service"), 2.5);
    // Busy without a break from day 1 to day 12.
    assert_eq!(get("services.desk.mean_occupancy"), 11.0 / 12.0);
    let replications = values(&model, &results, "services.desk.arrivals");
    assert_eq!(
        replications[0], replications[1],
        "nothing random, so replications agree"
    );
}

#[test]
fn trace_follows_each_patient() {
    let model = model(RENEGING);
    let (_, rows) = run_replication(&model, 0, Vec::<TraceRow>::new()).expect("stable");
    let events_of = |patient: u64| -> Vec<(f64, TraceEvent)> {
        rows.iter()
            .filter(|r| r.patient == patient)
            .map(|r| (r.time, r.event))
            .collect()
    };
    use TraceEvent::*;
    assert_eq!(
        events_of(0),
        [(1.0, Arrive), (1.0, Start), (3.5, Leave), (3.5, Arrive), (3.5, Exit)]
    );
    assert_eq!(
        events_of(1),
        [
            (2.0, Arrive),
            (2.0, Queue),
            (2.75, Renege),
            (2.75, Arrive),
            (2.75, Exit)
        ]
    );
    assert_eq!(
        events_of(2),
        [
            (3.0, Arrive),
            (3.0, Queue),
            (3.5, Start),
            (6.0, Leave),
            (6.0, Arrive),
            (6.0, Exit)
        ]
    );
}

#[test]
fn blocked_patient_holds_its_place_until_the_next_service_has_room() {
    // Arrivals at days 1 and 2 to a ward of one bed (stay 1 day) feeding a reablement place
    // (stay 5 days, no queue). The first moves on at day 2; the second finishes at day 3 but
    // stays blocked in the bed until reablement frees at day 7.
    let model = model(
        r#"
        [simulation]
        name = "blocking"
        horizon_days = 7.5
        replications = 1
        [[source]]
        id = "in"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "ward"
        [[service]]
        id = "ward"
        capacity = 1
        duration = { dist = "fixed", value = 1.0 }
        routes = [{ to = "reablement", p = 1.0 }]
        [[service]]
        id = "reablement"
        capacity = 1
        queue_limit = 0
        duration = { dist = "fixed", value = 5.0 }
        routes = [{ to = "home", p = 1.0 }]
        [[exit]]
        id = "home"
    "#,
    );
    let (_, rows) = run_replication(&model, 0, Vec::<TraceRow>::new()).expect("stable");
    let second: Vec<(f64, TraceEvent, &str)> = rows
        .iter()
        .filter(|r| r.patient == 1)
        .map(|r| (r.time, r.event, model.network.nodes[r.node as usize].id.as_str()))
        .collect();
    use TraceEvent::*;
    assert_eq!(
        second[..6],
        [
            (2.0, Arrive, "ward"),
            (2.0, Start, "ward"),
            (3.0, Blocked, "ward"),
            (7.0, Leave, "ward"),
            (7.0, Arrive, "reablement"),
            (7.0, Start, "reablement"),
        ]
    );
}

#[test]
fn priority_queue_serves_the_urgent_cohort_first() {
    let text = r#"
        [simulation]
        name = "priority"
        horizon_days = 2000
        warmup_days = 100
        replications = 4
        [[cohort]]
        id = "urgent"
        [[cohort]]
        id = "routine"
        [[source]]
        id = "in"
        rate_per_day = 0.9
        to = "clinic"
        cohorts = [{ cohort = "urgent", p = 0.3 }, { cohort = "routine", p = 0.7 }]
        [[service]]
        id = "clinic"
        capacity = 1
        discipline = "priority"
        priority = ["urgent"]
        duration = { dist = "exponential", mean = 1.0 }
        routes = [{ to = "urgent_done", p = 1.0, cohort = "urgent" }, { to = "routine_done", p = 1.0, cohort = "routine" }]
        [[exit]]
        id = "urgent_done"
        [[exit]]
        id = "routine_done"
    "#;
    let model = model(text);
    let (_, rows) = run_replication(&model, 0, Vec::<TraceRow>::new()).expect("stable");
    let urgent = model.network.cohorts.iter().position(|c| c.id == "urgent").unwrap() as u16;
    let mut arrived = std::collections::HashMap::new();
    let (mut urgent_wait, mut urgent_n, mut routine_wait, mut routine_n) = (0.0, 0.0, 0.0, 0.0);
    for row in rows
        .iter()
        .filter(|r| model.network.nodes[r.node as usize].id == "clinic")
    {
        match row.event {
            TraceEvent::Arrive => {
                arrived.insert(row.patient, row.time);
            }
            TraceEvent::Start => {
                let wait = row.time - arrived[&row.patient];
                if row.cohort == urgent {
                    urgent_wait += wait;
                    urgent_n += 1.0;
                } else {
                    routine_wait += wait;
                    routine_n += 1.0;
                }
            }
            _ => {}
        }
    }
    // Non-preemptive priority M/M/1 (Cobham): W1 = ρ/(μ(1−ρ1)), W2 = ρ/(μ(1−ρ1)(1−ρ)): urgent
    // waits about 1.2 days, routine about 12; the point here is only the ordering.
    assert!(urgent_wait / urgent_n < routine_wait / routine_n / 3.0);
}

#[test]
fn runs_over_split_replication_ranges_merge_into_the_whole() {
    let model = model(include_str!("../../scenarios/examples/mmc.toml"));
    let whole = run_model(&model, 0..10);
    let first = run_model(&model, 0..4);
    let second = run_model(&model, 4..10);
    let merged = runner::merge([second, first]);
    assert_eq!(merged, whole);
    let facts = RunFacts {
        requested: 10,
        completed: 10,
        first_replication: 0,
        interrupted: false,
    };
    let text = |results| {
        let summaries = report::summaries(&model, results);
        serde_json::to_string(&report::summary(&model, &summaries, facts)).unwrap()
    };
    assert_eq!(text(&merged), text(&whole));
}

#[test]
fn a_spill_finds_every_statistic_where_it_lists_it() {
    let model = model(&std::fs::read_to_string(crate::support::example("discharge.toml")).unwrap());
    let results = run_model(&model, 0..3);
    let dir = tempfile::tempdir().unwrap();
    let folder = report::ResultsFolder::prepare(&dir.path().join("out")).unwrap();
    let mut streamed = report::StreamedResults::new(&folder, "", false).unwrap();
    for result in &results {
        streamed.add(&model, result).unwrap();
    }
    let spill = streamed.finish().unwrap();
    let statistics = spill.statistics();
    let levels = statistics
        .iter()
        .filter(|(name, _)| name.contains(".occupancy_at_least."))
        .count();
    assert!(levels > 10, "{levels} occupancy levels");
    for (name, place) in &statistics {
        assert_eq!(spill.place(name), Some(*place), "{name}");
    }
    let acute_levels = statistics
        .iter()
        .filter(|(name, _)| name.starts_with("services.acute.occupancy_at_least."))
        .count();
    for missing in [
        "services.nowhere.mean_wait".to_owned(),
        "services.acute.occupancy_at_least.0".to_owned(),
        "services.acute.occupancy_at_least.01".to_owned(),
        "services.acute.occupancy_at_least.+1".to_owned(),
        format!("services.acute.occupancy_at_least.{}", acute_levels + 1),
    ] {
        assert_eq!(spill.place(&missing), None, "{missing}");
    }
}

#[test]
fn a_freed_pool_place_goes_to_the_queues_of_its_services_in_file_order() {
    // One shared place, `a` listed first. `b`'s first patient (0.9) takes it until 3.9; from then
    // on each freed place goes to `a`'s queue while it has anyone waiting, even though `b` held it.
    let text = r#"
        [simulation]
        name = "pool-order"
        horizon_days = 30
        replications = 1
        [[source]]
        id = "to_a"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "a"
        [[source]]
        id = "to_b"
        interarrival = { dist = "fixed", value = 0.9 }
        to = "b"
        [[pool]]
        id = "shared"
        capacity = 1
        [[service]]
        id = "a"
        pool = "shared"
        duration = { dist = "fixed", value = 3.0 }
        routes = [{ to = "out", p = 1.0 }]
        [[service]]
        id = "b"
        pool = "shared"
        duration = { dist = "fixed", value = 3.0 }
        routes = [{ to = "out", p = 1.0 }]
        [[exit]]
        id = "out"
    "#;
    let (model, results) = run(text);
    let get = |path: &str| values(&model, &results, path)[0];
    // Places free at 3.9, 6.9, …, 27.9: b finished once, a eight times by day 30.
    assert_eq!(get("services.b.completions"), 1.0);
    assert_eq!(get("services.a.completions"), 8.0);
}

#[test]
fn giving_up_on_an_acute_queue_ends_the_hospital_stay() {
    // A ward with one bed for 10 days; the second patient gives up after half a day and goes to
    // another service. No longer in hospital, it is not in the midnight census of inpatients.
    let text = r#"
        [simulation]
        name = "acute-renege"
        horizon_days = 9
        replications = 1
        [[source]]
        id = "in"
        interarrival = { dist = "fixed", value = 0.25 }
        to = "ward"
        [[service]]
        id = "ward"
        capacity = 1
        max_wait = 0.5
        on_timeout = "elsewhere"
        duration = { dist = "fixed", value = 10.0 }
        routes = [{ to = "home", p = 1.0 }]
        tags = ["acute"]
        [[service]]
        id = "elsewhere"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 20.0 }
        routes = [{ to = "home", p = 1.0 }]
        [[exit]]
        id = "home"
    "#;
    let model = model(text);
    let (record, _) = run_replication(&model, 0, bcfsim::model::simulation::NoTrace).expect("stable");
    // At each midnight: the patient in the bed and the (up to two) still waiting in the queue.
    let census: u64 = record.months.iter().map(|m| m.inpatients).sum();
    assert_eq!(census, 8 * 3, "8 midnights with the bed holder and two queued patients");
}

/// A scheme fed by its own referrals, placed first in the file, beside a ward fed by a source of
/// its own that never meets the scheme. `ENABLED` switches the scheme.
const SCHEME_AND_WARD: &str = r#"
    [simulation]
    name = "paired"
    horizon_days = 200
    warmup_days = 20
    replications = 4
    [[cohort]]
    id = "old"
    attributes = { age_band = "80+" }
    [[cohort]]
    id = "young"
    attributes = { age_band = "18-64" }
    [[source]]
    id = "referrals"
    rate_per_day = 3.0
    to = "scheme"
    cohorts = [{ cohort = "old", p = 1.0 }]
    [[source]]
    id = "ward_admissions"
    rate_per_day = 4.0
    to = "ward"
    cohorts = [{ cohort = "old", p = 0.5 }, { cohort = "young", p = 0.5 }]
    [[service]]
    id = "scheme"
    enabled = ENABLED
    bypass = "acute"
    capacity = 5
    max_wait = 0.1
    on_timeout = "acute"
    duration = { dist = "exponential", mean = 1.0 }
    routes = [{ to = "home", p = 0.7 }, { to = "acute", p = 0.3 }]
    tags = ["admission_avoidance"]
    [[service]]
    id = "acute"
    capacity = "unlimited"
    duration = { dist = "lognormal", mean = 5.0, sd = 4.0 }
    routes = [{ to = "home", p = 1.0 }]
    tags = ["acute"]
    [[service]]
    id = "ward"
    capacity = 12
    duration = { dist = "exponential", mean = 2.5 }
    duration_by_cohort = { old = { dist = "exponential", mean = 4.0 } }
    routes = [{ to = "home", p = 0.8 }, { to = "rehab", p = 0.2 }]
    [[service]]
    id = "rehab"
    capacity = 3
    duration = { dist = "gamma", mean = 6.0, sd = 2.0 }
    routes = [{ to = "home", p = 1.0 }]
    [[exit]]
    id = "home"
    tags = ["usual_residence"]
"#;

#[test]
fn switching_a_scheme_off_leaves_every_other_elements_draws_unchanged() {
    let (on, on_results) = run(&SCHEME_AND_WARD.replace("ENABLED", "true"));
    let (off, off_results) = run(&SCHEME_AND_WARD.replace("ENABLED", "false"));
    // Everything downstream of the ward's own source is identical, replication by replication.
    let downstream = columns(&on.network, &on_results)
        .into_iter()
        .filter(|(path, _)| path.starts_with("services.ward.") || path.starts_with("services.rehab."));
    let mut compared = 0;
    for (path, values) in downstream {
        let (_, switched_off) = columns(&off.network, &off_results)
            .into_iter()
            .find(|(other, _)| *other == path)
            .unwrap();
        assert_eq!(values, switched_off, "{path}");
        compared += 1;
    }
    assert!(compared > 20, "{compared}");
    // Switched off, every referral passes straight to hospital and nothing is avoided.
    let referred = values(&off, &off_results, "services.scheme.arrivals");
    assert_eq!(values(&off, &off_results, "services.scheme.completions"), referred);
    assert_eq!(values(&off, &off_results, "services.scheme.mean_service"), vec![0.0; 4]);
    let on_avoided = values(&on, &on_results, "exits.home.count");
    assert!(on_avoided.iter().all(|&n| n > 0.0));
    assert!(columns(&off.network, &off_results)
        .iter()
        .all(|(path, _)| !path.starts_with("metrics.avoided_admissions")));
    // The referrals themselves are the same people: as many arrive at the scheme either way.
    assert_eq!(values(&on, &on_results, "services.scheme.arrivals"), referred);
}

#[test]
fn demand_scale_multiplies_every_source() {
    // Fixed arrivals once a day become twice a day; the ward's Poisson admissions double too.
    let text = RENEGING.replace("replications = 2\n", "replications = 2\ndemand_scale = 2\n");
    let (model, results) = run(&text);
    assert_eq!(values(&model, &results, "services.desk.arrivals")[0], 23.0);
    let scaled = SCHEME_AND_WARD
        .replace("ENABLED", "true")
        .replace("replications = 4\n", "replications = 4\ndemand_scale = 1.5\n");
    let (model, results) = run(&scaled);
    let admissions = values(&model, &results, "services.ward.arrivals");
    crate::support::assert_in_ci("ward arrivals at 1.5 times demand", &admissions, 4.0 * 1.5 * 180.0);
}

#[test]
fn statistics_by_cohort_count_each_cohorts_patients() {
    // Two cohorts arrive every day at midnight, together, at a desk with no queue limit and one
    // place: the old are served 0.25 days, the young 0.5. The old one, first in the file, is served
    // first; the young one waits 0.25 days.
    let text = r#"
        [simulation]
        name = "cohorts"
        horizon_days = 10.9
        replications = 1
        [[cohort]]
        id = "old"
        [[cohort]]
        id = "young"
        [[source]]
        id = "old_arrivals"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "desk"
        cohorts = [{ cohort = "old", p = 1.0 }]
        [[source]]
        id = "young_arrivals"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "desk"
        cohorts = [{ cohort = "young", p = 1.0 }]
        [[service]]
        id = "desk"
        capacity = 1
        duration = { dist = "fixed", value = 0.5 }
        duration_by_cohort = { old = { dist = "fixed", value = 0.25 } }
        routes = [{ to = "done", p = 1.0 }]
        [[exit]]
        id = "done"
    "#;
    let (model, results) = run(text);
    let get = |path: &str| values(&model, &results, path)[0];
    assert_eq!(get("services.desk.by_cohort.old.arrivals"), 10.0);
    assert_eq!(get("services.desk.by_cohort.young.arrivals"), 10.0);
    assert_eq!(get("services.desk.by_cohort.old.mean_service"), 0.25);
    assert_eq!(get("services.desk.by_cohort.young.mean_service"), 0.5);
    assert_eq!(get("services.desk.by_cohort.old.mean_wait"), 0.0);
    assert_eq!(get("services.desk.by_cohort.young.mean_wait"), 0.25);
    assert_eq!(get("services.desk.mean_wait"), 0.125);
}

#[test]
fn setting_a_lever_changes_every_value_that_refers_to_it() {
    let text = r#"
        [simulation]
        name = "levers"
        horizon_days = 200
        warmup_days = 20
        replications = 3
        [levers]
        stay = { value = 2, label = "Length of stay", unit = "days", min = 1, max = 10 }
        beds = { value = 3, label = "Beds", unit = "beds", min = 1, max = 20 }
        [[cohort]]
        id = "near"
        [[cohort]]
        id = "far"
        [[source]]
        id = "in"
        rate_per_day = 2.0
        to = "ward"
        cohorts = [{ cohort = "near", p = 0.5 }, { cohort = "far", p = 0.5 }]
        [[service]]
        id = "ward"
        capacity = "$beds"
        duration = { dist = "exponential", mean = "$stay" }
        duration_by_cohort = { far = { dist = "exponential", mean = "$stay * 1.5" } }
        routes = [{ to = "home", p = 1.0 }]
        [[exit]]
        id = "home"
    "#;
    let with = |sets: &[&str]| {
        let sets: Vec<bcfsim::scenario::Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        let model = bcfsim::scenario::load_text("levers.toml", text, &sets).unwrap();
        let results = run_model(&model, 0..3);
        (model, results)
    };
    let (lever_model, by_lever) = with(&["stay=4", "beds=5"]);
    let (_, by_hand) = with(&[
        "service.ward.duration.mean=4",
        "service.ward.duration_by_cohort.far.mean=6",
        "service.ward.capacity=5",
    ]);
    assert_eq!(by_lever, by_hand);
    assert_eq!(lever_model.provenance.overrides, ["stay=4", "beds=5"]);
    let stay = &lever_model.provenance.levers[0];
    assert_eq!(
        (stay.name.as_str(), stay.value),
        ("stay", bcfsim::model::LeverValue::Number(4.0))
    );
    assert_eq!(stay.range, Some((1.0, 10.0)));
}
