//! The lean path of simple services against the general path: the same replications, event for
//! event and figure for figure.

use bcfsim::model::simulation::{lean_services, run_replication_on, Path, TraceRow};

use crate::support::{example, model};

/// Runs replications 0 to 2 of `text` on both paths and checks that the traces and the records
/// are the same to the last bit, and that `lean` names the services taking the lean path.
fn check(text: &str, lean: &[&str]) {
    let model = model(text);
    let names: Vec<&str> = lean_services(&model)
        .iter()
        .map(|&node| model.network.nodes[node as usize].id.as_str())
        .collect();
    assert_eq!(names, lean, "services on the lean path");
    for replication in 0..3 {
        let run = |path| run_replication_on(&model, replication, Vec::<TraceRow>::new(), path).expect("stable");
        let (lean_record, lean_trace) = run(Path::Lean);
        let (general_record, general_trace) = run(Path::General);
        assert!(lean_trace.len() > 100, "{} events traced", lean_trace.len());
        assert_eq!(lean_trace, general_trace, "replication {replication}: trace");
        let (lean, general) = (format!("{lean_record:?}"), format!("{general_record:?}"));
        if let Some(at) = lean.bytes().zip(general.bytes()).position(|(a, b)| a != b) {
            let around = |text: &str| text[at.saturating_sub(120)..(at + 40).min(text.len())].to_owned();
            panic!(
                "replication {replication}: the records differ\n lean: …{}\n general: …{}",
                around(&lean),
                around(&general)
            );
        }
        assert_eq!(lean.len(), general.len(), "replication {replication}: record");
    }
}

/// A line of simple services beside ones that need the general path: a full queue sending
/// patients to `on_full`, blocking, a capacity schedule, a census, two cohorts with their own
/// durations and routes, durations that depend on the route, a service routing back to itself,
/// reneging, a priority queue and a warm-up.
const MIXED: &str = r#"
[simulation]
name = "mixed"
horizon_days = 120
warmup_days = 10
seed = 7

[[cohort]]
id = "young"
[[cohort]]
id = "old"

[[source]]
id = "walk_in"
rate_per_day = 6.0
to = "triage"
cohorts = [{ cohort = "young", p = 0.6 }, { cohort = "old", p = 0.4 }]

[[service]]
id = "triage"
capacity = 2
duration = { dist = "exponential", mean = 0.2 }
duration_by_cohort = { old = { dist = "lognormal", mean = 0.3, sd = 0.2 } }
routes = [{ to = "ward", p = 0.7 }, { to = "clinic", p = 0.2 }, { to = "triage", p = 0.1 }]
tags = ["reablement"]

[[service]]
id = "ward"
capacity = 6
queue_limit = 3
on_full = "overflow"
duration = { dist = "gamma", mean = 1.0, sd = 0.8 }
routes = [{ to = "step_down", p = 0.5 }, { to = "home", p = 0.5 }]

[[service]]
id = "overflow"
capacity = 2
queue_limit = 0
routes = [
  { to = "home", p = 0.6, duration = { dist = "exponential", mean = 0.5 } },
  { to = "clinic", p = 0.4, duration = { dist = "fixed", value = 0.3 } },
]

[[service]]
id = "step_down"
capacity = 3
queue_limit = 0
duration = { dist = "exponential", mean = 1.5 }
schedule = [{ days = "mon-fri", from = 8, to = 18, capacity = 4 }]
routes = [{ to = "home", p = 1.0 }]

[[service]]
id = "clinic"
capacity = 1
duration = { dist = "exponential", mean = 0.4 }
max_wait = 0.5
on_timeout = "home"
routes = [{ to = "pharmacy", p = 1.0 }]

[[service]]
id = "pharmacy"
capacity = 1
discipline = "priority"
priority = ["old"]
duration = { dist = "exponential", mean = 0.3 }
routes = [{ to = "home", p = 1.0 }]

[[exit]]
id = "home"

[initial]
patients = [
  { service = "ward", days = 0.5, count = 6, cohort = "old" },
  { service = "ward", days = 0.2, count = 2, state = "queued", cohort = "young" },
  { service = "triage", days = 0.1, count = 1, state = "blocked", cohort = "old", waiting_for = "ward" },
]
"#;

#[test]
fn the_lean_path_gives_what_the_general_path_gives() {
    check(MIXED, &["triage", "ward", "overflow", "step_down"]);
    check(
        include_str!("../../benches/scenarios/perf-blocking.toml"),
        &["beds", "reablement"],
    );
    check(&std::fs::read_to_string(example("mmc.toml")).unwrap(), &["ward"]);
}

#[test]
fn the_county_runs_the_same_on_both_paths() {
    check(
        include_str!("../../scenarios/leicestershire.toml"),
        &[
            "home_recovering",
            "d2a_beds",
            "residential_assessment_beds",
            "nursing_assessment_beds",
            "at_home_after_discharge",
            "unmet_need",
            "social_care_assessment",
        ],
    );
}
