//! Delayed bed days by cause, the discharge process, and the discharge-flow metrics, on small
//! deterministic networks worked out by hand.

use bcfsim::metrics::columns;

use crate::support::{assert_exact, first, run};

/// Two sources each send one patient every two days, both at once (times 2, 4, 6, …), to a
/// one-day acute stay with no discharge hours; both go on to a unit with one place and no queue
/// where each stays one day. At every optimisation time (2.5, 4.5, …) the first patient takes the
/// unit and the second waits in the acute bed until it frees a day later: one delayed bed day
/// every two days, all for want of the unit. (Ties come out in the order they were scheduled, so
/// the unit's previous patient leaves before the next pair is optimised.)
const TWO_AT_ONCE: &str = r#"
    [simulation]
    name = "pairs"
    horizon_days = 110
    warmup_days = 10
    replications = 2
    [population]
    total = 200000
    aged_18_plus = 100000
    aged_65_plus = 50000
    [[cohort]]
    id = "first"
    attributes = { age_band = "80+" }
    [[cohort]]
    id = "second"
    attributes = { age_band = "SECOND_AGE" }
    [[source]]
    id = "a"
    interarrival = { dist = "fixed", value = 2.0 }
    to = "acute"
    cohorts = [{ cohort = "first", p = 1.0 }]
    [[source]]
    id = "b"
    interarrival = { dist = "fixed", value = 2.0 }
    to = "acute"
    cohorts = [{ cohort = "second", p = 1.0 }]
    [[service]]
    id = "acute"
    capacity = "unlimited"
    duration = { dist = "fixed", value = 0.5 }
    routes = [{ to = "unit", p = 1.0 }]
    tags = ["acute"]
    [[service]]
    id = "unit"
    capacity = 1
    queue_limit = 0
    on_full = "interim"
    duration = { dist = "fixed", value = 1.0 }
    routes = [{ to = "home", p = 1.0 }]
    tags = ["pathway_1", "usual_residence", "dtoc_reason_e"]
    [[service]]
    id = "interim"
    capacity = 0
    queue_limit = 0
    duration = { dist = "fixed", value = 1.0 }
    routes = [{ to = "home", p = 1.0 }]
    tags = ["interim"]
    [[exit]]
    id = "home"
    tags = ["usual_residence"]
"#;

#[test]
fn delays_are_charged_to_the_service_waited_for_and_count_adults_only() {
    let adults = TWO_AT_ONCE.replace("SECOND_AGE", "18-64");
    // Waits of one day starting at 10.5, 12.5, …, 108.5: 50 bed days in the 100 observed days.
    let a_year = 50.0 * 365.0 / 100.0;
    let close = |path: &str, expected: f64| assert_exact(path, first(&adults, path), expected);
    close("metrics.delayed_bed_days", a_year);
    close("metrics.delayed_bed_days_by_cause.unit", a_year);
    close("metrics.delayed_bed_days_by_reason.e", a_year);
    // Half a delayed bed a day, per 100,000 adults of a population of 100,000.
    close("metrics.delayed_days_per_100k_per_day", 0.5);
    // The same half a patient a day, as the unit's time-average number held upstream.
    close("services.unit.mean_blocked_waiting", 0.5);
    close("services.unit.mean_queue", 0.0);
    close("metrics.delayed_days_per_100k_per_day_by_cause.unit", 0.5);
    close("metrics.delayed_bed_days_by_cause.discharge_process", 0.0);
    // The on_full fallback was full too: the wait is charged to the unit the route leads to, and
    // the interim beds, which no acute route leads to, are no cause at all.
    let (model, results) = run(&adults);
    assert!(columns(&model.network, &results)
        .iter()
        .all(|(name, _)| !name.contains("by_cause.interim")));
    // Both leave within a day of being optimised (the second after exactly one day).
    close("metrics.discharged_within_24h_pct", 100.0);

    // The patient who waits is the second source's: a child, so no adult is ever delayed.
    let children = TWO_AT_ONCE.replace("SECOND_AGE", "0-17");
    assert_eq!(first(&children, "metrics.delayed_bed_days"), 0.0);
    assert_eq!(first(&children, "metrics.delayed_days_per_100k_per_day"), 0.0);
    // The unit is pathway 1 for every discharge; among adults that is all of them, among people
    // 65+ (the first source) too.
    assert_eq!(first(&children, "metrics.pathway_1_pct"), 100.0);
    assert_eq!(first(&children, "metrics.pathway_1_pct_65"), 100.0);
}

#[test]
fn handover_time_is_discharge_process_and_supported_discharges_set_the_24_hour_share() {
    // The first source's patients have a handover of 1.5 days before going to the unit; the
    // second's go home on pathway 0 after a handover of 3 days. The unit is never full.
    let text = TWO_AT_ONCE
        .replace("SECOND_AGE", "18-64")
        .replace(
            r#"routes = [{ to = "unit", p = 1.0 }]
    tags = ["acute"]"#,
            r#"routes = [
      { to = "unit", p = 1.0, cohort = "first", handover = { dist = "fixed", value = 1.5 } },
      { to = "home", p = 1.0, cohort = "second", handover = { dist = "fixed", value = 3.0 } },
    ]
    tags = ["acute"]"#,
        )
        .replace(
            r#"[[exit]]
    id = "home"
    tags = ["usual_residence"]"#,
            r#"[[exit]]
    id = "home"
    tags = ["usual_residence", "pathway_0"]"#,
        );
    // Every two days 1.5 + 3 bed days in the discharge process: 2.25 a day, none for capacity.
    let process = first(
        &text,
        "metrics.delayed_days_per_100k_per_day_by_cause.discharge_process",
    );
    assert_exact("process", process, 2.25);
    assert_eq!(first(&text, "metrics.delayed_bed_days"), 0.0);
    // The only supported discharges (the unit's) all wait 1.5 days: none within 24 hours. The
    // pathway 0 discharges do not count either way.
    assert_eq!(first(&text, "metrics.discharged_within_24h_pct"), 0.0);
    assert_eq!(first(&text, "metrics.pathway_1_pct"), 50.0);
    assert_eq!(first(&text, "metrics.pathway_0_pct"), 50.0);
}

#[test]
fn admission_hours_hold_patients_in_the_discharge_process_until_the_next_service_opens() {
    // Admissions every day at midnight from a Monday, stays of half a day; the unit takes
    // patients only on weekdays from 9 to 17. A patient optimised at noon on a weekday leaves at
    // once; Saturday's and Sunday's wait in hospital until Monday at 9:00 (45 and 21 hours).
    let text = r#"
        [simulation]
        name = "weekdays"
        start_date = "2025-04-06"   # a Sunday: the first arrival, a day later, is on a Monday
        horizon_days = 71.5        # Monday noon after ten full weeks
        warmup_days = 1
        replications = 1
        [population]
        total = 100000
        aged_18_plus = 100000
        aged_65_plus = 10000
        [[source]]
        id = "in"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "acute"
        [[service]]
        id = "acute"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 0.5 }
        routes = [{ to = "unit", p = 1.0 }]
        tags = ["acute"]
        [[service]]
        id = "unit"
        capacity = "unlimited"
        admission_hours = [{ days = "mon-fri", from = 9, to = 17 }]
        duration = { dist = "fixed", value = 1.0 }
        routes = [{ to = "home", p = 1.0 }]
        tags = ["pathway_1"]
        [[exit]]
        id = "home"
    "#;
    // Ten weeks of admissions observed over 70.5 days: per week 45 + 21 hours waiting.
    let process = first(text, "metrics.delayed_days_per_100k_per_day_by_cause.discharge_process");
    assert_exact("process", process, 10.0 * 66.0 / 24.0 / 70.5);
    // Of the seven discharges a week only Saturday's waits more than a day (Sunday's 21 hours).
    let within = first(text, "metrics.discharged_within_24h_pct");
    assert_exact("within", within, 600.0 / 7.0);
}

#[test]
fn readmissions_within_30_days_and_care_home_admissions_via_hospital_by_hand() {
    // Every patient, 80+, is admitted (from day 1, one a day) for a day, then at home for FOR
    // days, then readmitted for a day, then goes to a care home. A second source sends one person
    // a day straight from the community to the care home.
    let text = |home_days: f64| {
        format!(
            r#"
        [simulation]
        name = "readmissions"
        horizon_days = 400
        warmup_days = 100
        replications = 1
        [[cohort]]
        id = "old"
        attributes = {{ age_band = "80+" }}
        [[source]]
        id = "in"
        interarrival = {{ dist = "fixed", value = 1.0 }}
        to = "acute"
        [[source]]
        id = "community"
        interarrival = {{ dist = "fixed", value = 1.0 }}
        to = "care_home"
        [[service]]
        id = "acute"
        capacity = "unlimited"
        duration = {{ dist = "fixed", value = 1.0 }}
        routes = [{{ to = "at_home", p = 1.0 }}]
        tags = ["acute"]
        [[service]]
        id = "at_home"
        capacity = "unlimited"
        duration = {{ dist = "fixed", value = {home_days} }}
        routes = [{{ to = "readmitted", p = 1.0 }}]
        tags = ["usual_residence"]
        [[service]]
        id = "readmitted"
        capacity = "unlimited"
        duration = {{ dist = "fixed", value = 1.0 }}
        routes = [{{ to = "care_home", p = 1.0 }}]
        tags = ["acute"]
        [[exit]]
        id = "care_home"
        tags = ["care_home", "pathway_3"]
    "#
        )
    };
    // Back within 30 days: each readmission follows a discharge, and there are as many first
    // admissions as readmissions, so half the admissions are readmissions; per discharge alive,
    // one in two (half of them go home, half to the care home) is followed by a readmission.
    assert_eq!(first(&text(20.0), "metrics.readmitted_30_days_pct"), 50.0);
    assert_eq!(first(&text(40.0), "metrics.readmitted_30_days_pct"), 0.0);
    // One care-home admission a day from hospital and one from the community.
    assert_eq!(
        first(&text(20.0), "metrics.care_home_admissions_65_via_hospital_pct"),
        50.0
    );
}
