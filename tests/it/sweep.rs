//! `bcfsim sweep`: grids of values run on the same random numbers, and the target search.

use crate::support::{bcfsim, erlang_c, stderr};

/// An M/M/c queue: 9 arrivals a day, a day's service each, `$servers` servers.
const QUEUE: &str = r#"
    [simulation]
    name = "queue"
    horizon_days = 1000
    warmup_days = 50
    replications = 20
    [levers]
    servers = { value = 10, label = "Servers", unit = "places", min = 10, max = 20 }
    [[source]]
    id = "in"
    rate_per_day = 9.0
    to = "desk"
    [[service]]
    id = "desk"
    capacity = "$servers"
    duration = { dist = "exponential", mean = 1.0 }
    routes = [{ to = "done", p = 1.0 }]
    [[exit]]
    id = "done"
"#;

const ARRIVALS_PER_DAY: f64 = 9.0;
/// The bound on the mean wait: between Erlang C's waits at 10 servers (0.67 days) and 11 (0.22),
/// far enough from both that a replication of 1,000 days is on the same side as the theory.
const MAX_MEAN_WAIT: f64 = 0.35;

/// The mean wait in queue of M/M/c with unit service rate, from Erlang's C formula.
fn mean_wait(servers: u32) -> f64 {
    erlang_c(servers, ARRIVALS_PER_DAY) / (f64::from(servers) - ARRIVALS_PER_DAY)
}

#[test]
fn the_target_search_finds_the_fewest_servers_erlang_c_gives() {
    let expected = (10..=14)
        .find(|&c| mean_wait(c) <= MAX_MEAN_WAIT)
        .expect("a capacity in the range meets the bound");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("queue.toml"), QUEUE).unwrap();
    let target = format!("services.desk.mean_wait<={MAX_MEAN_WAIT}");
    let output = bcfsim(
        &[
            "sweep",
            "queue.toml",
            "--vary",
            "servers=10..14:1",
            "--target",
            &target,
            "--confidence",
            "0.9",
            "--out",
            "swept",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains(&format!("\nanswer: servers={expected}\n")), "{table}");
    assert!(table.lines().all(|line| line.chars().count() <= 80), "{table}");

    let folder = dir.path().join("swept");
    let answer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(folder.join("target.json")).unwrap()).unwrap();
    assert_eq!(answer["met"], true);
    assert_eq!(answer["point"], serde_json::json!({ "servers": expected }));
    assert!(answer["share_met"].as_f64().unwrap() >= 0.9, "{answer}");

    let csv = std::fs::read_to_string(folder.join("sweep.csv")).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    assert_eq!(
        header[..4],
        [
            "servers",
            "services.desk.arrivals.mean",
            "services.desk.arrivals.ci95_lo",
            "services.desk.arrivals.ci95_hi"
        ]
    );
    assert_eq!(header.last(), Some(&"share_met"));
    let wait = header
        .iter()
        .position(|&h| h == "services.desk.mean_wait.mean")
        .unwrap();
    let values: Vec<Vec<&str>> = rows.map(|row| row.split(',').collect()).collect();
    let servers: Vec<&str> = values.iter().map(|row| row[0]).collect();
    assert_eq!(servers, ["10", "11", "12", "13", "14"]);
    // The same random numbers at every point: more servers never lengthen the mean wait.
    let waits: Vec<f64> = values.iter().map(|row| row[wait].parse().unwrap()).collect();
    assert!(waits.windows(2).all(|pair| pair[1] <= pair[0]), "{waits:?}");
}

#[test]
fn a_target_the_results_lack_is_named_with_the_nearest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("queue.toml"), QUEUE).unwrap();
    let output = bcfsim(
        &[
            "sweep",
            "queue.toml",
            "--vary",
            "servers=10..11:1",
            "--target",
            "services.desk.mean_wiat<=1",
            "-r",
            "2",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --target services.desk.mean_wiat<=1: the results have no statistic `services.desk.mean_wiat` (did \
         you mean `services.desk.mean_wait`?)\n"
    );
    assert!(!dir.path().join("outputs").join("queue-sweep").exists());
}
