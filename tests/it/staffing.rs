//! Staff demand: what the staff employed delivered (`used`) against what arriving demand needed
//! (`needed`), workloads by cohort and by day of stay, and capacity derived from staff.

use crate::support::{assert_exact, assert_in_ci, run, values};

/// Poisson referrals, 5 a day, to care staffed by `hca` with exponential stays of mean 5 days,
/// 2 visits a day of 60 minutes: in an unlimited service 25 people in care on average, 3,000
/// minutes a day, 7.5 people on shift of 400 productive minutes (M/G/∞: λ E[S]). The capacity is
/// the staff minutes FTE deliver; `QUEUE` says what happens to a referral that does not fit.
fn referrals(fte: f64, queue: &str) -> String {
    format!(
        r#"
        [simulation]
        name = "need"
        horizon_days = 450
        warmup_days = 50
        replications = 30
        seed = 11
        [[source]]
        id = "referrals"
        rate_per_day = 5.0
        to = "care"
        [[service]]
        id = "care"
        capacity = {{ staff = "hca" }}
        {queue}
        duration = {{ dist = "exponential", mean = 5.0 }}
        workload = {{ staff = "hca", visits_per_day = 2, minutes_per_visit = 60 }}
        routes = [{{ to = "home", p = 1.0 }}]
        [[service]]
        id = "elsewhere"
        capacity = "unlimited"
        duration = {{ dist = "fixed", value = 1.0 }}
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
}

const TURNED_AWAY: &str = "queue_limit = 0\n        on_full = \"elsewhere\"";
const WAITING: &str = "max_wait = 0.5\n        on_timeout = \"elsewhere\"";

#[test]
fn staff_needed_is_the_arriving_demand_whatever_the_staff_employed() {
    const ON_SHIFT: f64 = 5.0 * 5.0 * 2.0 * 60.0 / 400.0;
    // 30 FTE on shift take 12,000 minutes, 100 people: never reached (Poisson(25)), so nobody is
    // turned away and need is exactly what was delivered.
    let (model, results) = run(&referrals(30.0, TURNED_AWAY));
    let get = |path: &str| values(&model, &results, path);
    assert_eq!(
        get("staffing.hca.needed.on_shift_mean"),
        get("staffing.hca.used.on_shift_mean")
    );
    assert_eq!(get("staffing.hca.needed.fte"), get("staffing.hca.used.fte"));
    assert!(get("staffing.hca.turned_away").iter().all(|&n| n == 0.0));
    assert_in_ci(
        "needed, ample staff",
        &get("staffing.hca.needed.on_shift_mean"),
        ON_SHIFT,
    );
    assert_eq!(get("staffing.hca.employed_fte")[0], 30.0);

    // 3 FTE take 1,200 minutes, 10 people: most referrals are turned away, or wait and give up,
    // yet what they needed is still the M/G/∞ demand, not the 3 on shift employed.
    for queue in [TURNED_AWAY, WAITING] {
        let (model, results) = run(&referrals(3.0, queue));
        let get = |path: &str| values(&model, &results, path);
        assert!(get("staffing.hca.used.on_shift_max").iter().all(|&n| n <= 3.0 + 1e-9));
        assert_in_ci(
            &format!("needed with `{queue}`"),
            &get("staffing.hca.needed.on_shift_mean"),
            ON_SHIFT,
        );
        let (turned_away, waited) = (get("staffing.hca.turned_away"), get("staffing.hca.waited"));
        if queue == TURNED_AWAY {
            assert!(turned_away.iter().all(|&n| n > 100.0) && waited.iter().all(|&n| n == 0.0));
        } else {
            assert!(waited.iter().all(|&n| n > 100.0) && turned_away.iter().all(|&n| n == 0.0));
        }
    }
}

#[test]
fn workloads_by_cohort_and_by_day_of_stay_by_hand() {
    // An urban and a rural patient arrive every day at midnight and stay exactly 3 days, so on
    // every day each source has one patient on each of days 0, 1 and 2 of the stay. HCA visits
    // taper 4, 2, 2 (the last value holds), 30 minutes each plus 10 of travel (20 rural); a case
    // manager visits once, on day 0, for an hour.
    let text = r#"
        [simulation]
        name = "taper"
        horizon_days = 40
        warmup_days = 10
        replications = 1
        [[cohort]]
        id = "urban"
        [[cohort]]
        id = "rural"
        [[source]]
        id = "town"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "bridging"
        cohorts = [{ cohort = "urban", p = 1.0 }]
        [[source]]
        id = "country"
        interarrival = { dist = "fixed", value = 1.0 }
        to = "bridging"
        cohorts = [{ cohort = "rural", p = 1.0 }]
        [[service]]
        id = "bridging"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 3.0 }
        workload = [
          { staff = "hca", visits_per_day = [4, 2], minutes_per_visit = 30, travel_minutes = 10 },
          { staff = "case_manager", visits_per_day = [1, 0], minutes_per_visit = 60 },
        ]
        workload_by_cohort = { rural = [
          { staff = "hca", visits_per_day = [4, 2], minutes_per_visit = 30, travel_minutes = 20 },
          { staff = "case_manager", visits_per_day = [1, 0], minutes_per_visit = 60 },
        ] }
        routes = [{ to = "home", p = 1.0 }]
        [[exit]]
        id = "home"
        [[staff]]
        id = "hca"
        productive_minutes_per_shift = 400
        shifts_per_fte_per_week = 5
        [[staff]]
        id = "case_manager"
        productive_minutes_per_shift = 300
        shifts_per_fte_per_week = 5
    "#;
    let (model, results) = run(text);
    let close = |path: &str, expected: f64| assert_exact(path, values(&model, &results, path)[0], expected);
    // HCA: 8 visits a day per source; 8 × 40 urban + 8 × 50 rural = 720 minutes, 1.8 on shift.
    close("staffing.hca.used.daily_visits", 16.0);
    close("staffing.hca.used.on_shift_mean", 720.0 / 400.0);
    close("staffing.hca.used.on_shift_max", 720.0 / 400.0);
    // Case managers: 2 visits, 120 minutes a day.
    close("staffing.case_manager.used.daily_visits", 2.0);
    close("staffing.case_manager.used.on_shift_mean", 120.0 / 300.0);
    close("staffing.case_manager.needed.on_shift_mean", 120.0 / 300.0);
}

#[test]
fn visits_that_taper_free_staff_capacity_for_the_next_patient() {
    // One FTE on shift every day: 240 productive minutes. Each patient needs two one-hour visits
    // on day 0 and one a day after, and stays 10 days; one arrives a day. Tapering, the first
    // three fit (120, then 60 + 120, then 60 + 60 + 120 minutes) and the fourth is turned away;
    // without tapering the third and fourth are.
    let text = |visits: &str| {
        format!(
            r#"
        [simulation]
        name = "staffed"
        horizon_days = 4.5
        replications = 1
        [[source]]
        id = "in"
        interarrival = {{ dist = "fixed", value = 1.0 }}
        to = "care"
        [[service]]
        id = "care"
        capacity = {{ staff = "hca" }}
        queue_limit = 0
        duration = {{ dist = "fixed", value = 10.0 }}
        workload = {{ staff = "hca", visits_per_day = {visits}, minutes_per_visit = 60 }}
        routes = [{{ to = "out", p = 1.0 }}]
        [[exit]]
        id = "out"
        [[staff]]
        id = "hca"
        fte = 1
        productive_minutes_per_shift = 240
        shifts_per_fte_per_week = 7
        "#
        )
    };
    let overflowed = |visits: &str| {
        let (model, results) = run(&text(visits));
        values(&model, &results, "services.care.overflowed")[0]
    };
    assert_eq!(overflowed("[2, 1]"), 1.0);
    assert_eq!(overflowed("2"), 2.0);
}
