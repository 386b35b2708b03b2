//! Replications to a precision: `--precision`, and `replications_for_5pct`.

use serde_json::Value;

use crate::support::{bcfsim, example, stderr};

/// Runs `args` in `dir` into `out` and returns its `summary.json`.
fn summary(dir: &std::path::Path, args: &[&str], out: &str) -> Value {
    let mut all = args.to_vec();
    all.extend(["--out", out]);
    let output = bcfsim(&all, dir);
    assert!(output.status.success(), "{}", stderr(&output));
    serde_json::from_str(&std::fs::read_to_string(dir.join(out).join("summary.json")).unwrap()).unwrap()
}

#[test]
fn a_run_to_a_precision_is_the_plain_run_of_the_replications_it_reached() {
    let dir = tempfile::tempdir().unwrap();
    let mmc = example("mmc.toml");
    let args = [
        "run",
        mmc.as_str(),
        "-r",
        "4",
        "--precision",
        "4%",
        "--metric",
        "services.ward.mean_wait",
    ];
    let mut precise = summary(dir.path(), &args, "precise");
    let precision = precise.as_object_mut().unwrap().remove("precision").unwrap();
    assert_eq!(precision["stopped"], "met");
    let reached = precision["replications_needed"].as_u64().unwrap();
    assert!(
        reached > 4,
        "a 4 % half-width of an M/M/10 wait needs more than 4 replications"
    );
    let wait = &precise["services"]["ward"]["mean_wait"];
    let [low, high] = [0, 1].map(|i| wait["ci95"][i].as_f64().unwrap());
    let mean = wait["mean"].as_f64().unwrap();
    assert!(
        (high - low) / 2.0 <= 0.04 * mean,
        "half-width {} of {mean}",
        (high - low) / 2.0
    );
    // The same replications run plainly give the same results.
    let plain = summary(dir.path(), &["run", mmc.as_str(), "-r", &reached.to_string()], "plain");
    assert_eq!(precise, plain);
    // Its variance said about how many it needed: within a few of those it ran.
    let for_4pct = wait["replications_for_5pct"].as_f64().unwrap() * (5.0f64 / 4.0).powi(2);
    assert!(
        (for_4pct - reached as f64).abs() <= 0.25 * reached as f64,
        "{for_4pct} against {reached}"
    );
}

#[test]
fn a_run_to_a_precision_stops_at_its_cap_and_says_what_fell_short() {
    let dir = tempfile::tempdir().unwrap();
    let mmc = example("mmc.toml");
    let args = [
        "run",
        mmc.as_str(),
        "-r",
        "3",
        "--precision",
        "0.0001",
        "--metric",
        "services.ward.mean_wait",
        "--max-replications",
        "6",
    ];
    let summary = summary(dir.path(), &args, "capped");
    assert_eq!(summary["replications"], 6);
    assert_eq!(summary["precision"]["stopped"], "max_replications");
    assert_eq!(summary["precision"]["not_met"][0], "services.ward.mean_wait");
    let output = bcfsim(
        &[
            "run",
            mmc.as_str(),
            "--precision",
            "2%",
            "--metric",
            "services.wrd.mean_wait",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}
