//! `bcfsim compare`: paired differences of variants from the base.

use crate::support::{bcfsim, example, model, run_model, stderr, values};

/// An M/M/c queue with `SERVERS` places and a variant with one more.
const QUEUE: &str = r#"
    [simulation]
    name = "queue"
    horizon_days = 300
    warmup_days = 30
    replications = 20
    [levers]
    servers = { value = 3, label = "Servers", unit = "places", min = 1, max = 10 }
    [[source]]
    id = "in"
    rate_per_day = 2.6
    to = "desk"
    [[service]]
    id = "desk"
    capacity = "$servers"
    duration = { dist = "exponential", mean = 1.0 }
    routes = [{ to = "done", p = 1.0 }]
    [[exit]]
    id = "done"
    [[variant]]
    name = "one_more"
    label = "One more server"
    set = ["servers=4"]
    [[variant]]
    name = "same"
    label = "The base, set again"
    set = ["servers=3"]
"#;

#[test]
fn adding_capacity_never_worsens_a_wait_in_the_same_replication() {
    // Paired on the same streams, a FIFO queue with one more server gives every patient a wait no
    // longer than before, so every replication's mean wait is no higher.
    let base = model(QUEUE);
    let more = bcfsim::scenario::load_text("queue.toml", QUEUE, &["servers=4".parse().unwrap()]).unwrap();
    let waits = |m| values(m, &run_model(m, 0..20), "services.desk.mean_wait");
    let (before, after) = (waits(&base), waits(&more));
    for (replication, (b, a)) in before.iter().zip(&after).enumerate() {
        assert!(a <= b, "replication {replication}: {a} after, {b} before");
    }
    assert!(after.iter().sum::<f64>() < 0.5 * before.iter().sum::<f64>());
}

#[test]
fn compare_writes_paired_differences_and_an_identical_variant_differs_by_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("queue.toml"), QUEUE).unwrap();
    let output = bcfsim(&["compare", "queue.toml", "--out", "compared"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.starts_with("one_more: One more server\n"), "{table}");
    assert!(table.lines().all(|line| line.chars().count() <= 80), "{table}");
    let folder = dir.path().join("compared");
    let compare: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("compare.json")).unwrap()).unwrap();
    let wait = &compare["variants"]["one_more"]["services"]["desk"]["mean_wait"];
    assert!(wait["diff"]["mean"].as_f64().unwrap() < 0.0, "{wait}");
    assert_eq!(wait["share_better"], 1.0, "{wait}");
    assert!(wait["mean"].as_f64().unwrap() > 0.0);
    assert_eq!(compare["variants"]["one_more"]["definition"]["set"][0], "servers=4");
    assert_eq!(compare["variants"]["one_more"]["definition"]["levers"]["servers"], 4.0);
    // Setting the base's own value again changes nothing: every difference is exactly zero.
    let same = &compare["variants"]["same"];
    let mut checked = 0;
    for statistic in ["arrivals", "mean_wait", "mean_occupancy", "completions"] {
        let diff = &same["services"]["desk"][statistic]["diff"];
        assert_eq!(diff["mean"], 0.0, "{statistic}: {diff}");
        assert_eq!(diff["ci95"], serde_json::json!([0.0, 0.0]), "{statistic}: {diff}");
        checked += 1;
    }
    assert_eq!(checked, 4);
    for sub in ["base", "one_more", "same"] {
        assert!(folder.join(sub).join("summary.json").exists(), "{sub}");
        assert!(folder.join(sub).join("replications.csv").exists(), "{sub}");
    }
    let csv = std::fs::read_to_string(folder.join("compare.csv")).unwrap();
    assert!(csv
        .starts_with("variant,statistic,base_mean,variant_mean,diff_mean,diff_ci95_low,diff_ci95_high,share_better\n"));
    assert!(csv.contains("\nsame,services.desk.mean_wait,"));
}

#[test]
fn alternative_files_are_named_by_their_stem_and_unknown_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mmc = example("mmc.toml");
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::copy(&mmc, dir.path().join("mmc.toml")).unwrap();
    std::fs::copy(&mmc, dir.path().join("other/mmc.toml")).unwrap();
    let output = bcfsim(
        &[
            "compare",
            "mmc.toml",
            "mmc.toml",
            "other/mmc.toml",
            "-r",
            "3",
            "--out",
            "files",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    for sub in ["base", "mmc", "mmc-2"] {
        assert!(
            dir.path().join("files").join(sub).join("summary.json").exists(),
            "{sub}"
        );
    }
    let unknown = bcfsim(&["compare", "mmc.toml", "nowhere", "-r", "3"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(
        stderr(&unknown),
        "error: `nowhere` is neither a scenario file nor a [[variant]] of mmc.toml\n"
    );
}

/// Falls referrals try a scheme that sends some home and the rest to the ward; other referrals
/// go straight to the ward. Every service has room for all, so nobody's times depend on anyone
/// else's and each stay is exactly the patient's own draw.
const SCHEME: &str = r#"
    [simulation]
    name = "scheme"
    horizon_days = 120
    replications = 1
    [[source]]
    id = "falls"
    rate_per_day = 2.0
    to = "scheme"
    [[source]]
    id = "other"
    rate_per_day = 5.0
    to = "ward"
    [[service]]
    id = "scheme"
    capacity = "unlimited"
    bypass = "ward"
    duration = { dist = "exponential", mean = 0.5 }
    routes = [{ to = "home", p = 0.6 }, { to = "ward", p = 0.4 }]
    [[service]]
    id = "ward"
    capacity = "unlimited"
    duration = { dist = "lognormal", mean = 6.0, sd = 4.0 }
    routes = [{ to = "home", p = 0.8 }, { to = "rehab", p = 0.2 }]
    [[service]]
    id = "rehab"
    capacity = "unlimited"
    duration = { dist = "gamma", mean = 14.0, sd = 7.0 }
    routes = [{ to = "home", p = 1.0 }]
    [[exit]]
    id = "home"
"#;

#[test]
fn switching_a_scheme_off_leaves_every_other_patients_draws_unchanged() {
    use bcfsim::model::simulation::{run_replication, TraceEvent, TraceRow};
    use std::collections::BTreeMap;

    // Per patient: the services it started, each with the time it stayed.
    let paths = |overrides: &[&str]| {
        let overrides: Vec<_> = overrides.iter().map(|o| o.parse().unwrap()).collect();
        let model = bcfsim::scenario::load_text("scheme.toml", SCHEME, &overrides).unwrap();
        let (_, rows) = run_replication(&model, 3, Vec::<TraceRow>::new()).expect("stable");
        let mut paths: BTreeMap<u64, Vec<(String, f64)>> = BTreeMap::new();
        let mut started = BTreeMap::new();
        for row in rows {
            match row.event {
                TraceEvent::Start => {
                    started.insert(row.patient, row.time);
                }
                TraceEvent::Leave => {
                    let id = model.network.nodes[row.node as usize].id.clone();
                    paths
                        .entry(row.patient)
                        .or_default()
                        .push((id, row.time - started[&row.patient]));
                }
                _ => {}
            }
        }
        paths
    };
    let on = paths(&[]);
    let off = paths(&["service.scheme.enabled=false"]);
    let (mut untouched, mut failed) = (0, 0);
    for (patient, path) in &on {
        match path.first() {
            // Never met the scheme: the same stays, exactly, wherever the patient went.
            Some((first, _)) if first != "scheme" => {
                assert_eq!(path, &off[patient], "patient {patient}");
                untouched += 1;
            }
            // Sent on to the ward by the scheme: after it, the same stays as when the scheme is off
            // (where it passes the patient straight on), as far as both runs saw them end.
            Some(_) if path.len() > 1 => {
                let bypassed = &off[patient];
                assert_eq!(bypassed[0], ("scheme".to_owned(), 0.0), "patient {patient}");
                for ((at, stay), (same_at, same)) in path[1..].iter().zip(&bypassed[1..]) {
                    // The stays start at different times, so end minus start may differ in the
                    // last bits (times are below 200 days: 1e-13 at most); a different draw
                    // differs in the first.
                    assert!(
                        at == same_at && (stay - same).abs() < 1e-9,
                        "patient {patient}: {stay}, {same}"
                    );
                }
                failed += 1;
            }
            _ => {}
        }
    }
    assert!(
        untouched > 400 && failed > 50,
        "{untouched} untouched, {failed} sent on"
    );
}
