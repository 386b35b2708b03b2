//! A run, comparison or sweep split into shards (`--shard K/N`) and merged (`merge`) is the
//! single machine's, byte for byte; parts that do not make one are refused, naming what is wrong
//! and where.

use std::path::Path;

use crate::support::{bcfsim, example, stderr};

/// The discharge example, shortened, on 7 replications of seed 3 (unless `extra` gives one).
fn run(folder: &Path, out: &str, extra: &[&str]) {
    let scenario = example("discharge.toml");
    let mut args = vec![
        "run",
        scenario.as_str(),
        "--set",
        "simulation.horizon_days=200",
        "-r",
        "7",
    ];
    if !extra.contains(&"--seed") {
        args.extend(["--seed", "3"]);
    }
    args.extend(["--out", out]);
    args.extend(extra);
    let output = bcfsim(&args, folder);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Runs shards `0/n` to `n-1/n` into `<name>0`, `<name>1`, ….
fn shards(folder: &Path, name: &str, n: u32) -> Vec<String> {
    (0..n)
        .map(|k| {
            let out = format!("{name}{k}");
            run(folder, &out, &["--shard", &format!("{k}/{n}")]);
            out
        })
        .collect()
}

/// `bcfsim merge` of `parts` into `out`.
fn merge(folder: &Path, parts: &[&str], out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["merge"];
    args.extend(parts);
    args.extend(["--out", out]);
    args.extend(extra);
    bcfsim(&args, folder)
}

#[test]
fn merged_shards_are_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), "whole", &[]);
    // 7 replications in 3 shards (2, 2 and 3) and in 7 (one each): neither divides evenly
    // into unequal shares the same way.
    for n in [3, 7] {
        let parts = shards(dir.path(), &format!("of{n}-"), n);
        let mut parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        parts.reverse();
        let out = format!("merged{n}");
        let report: &[&str] = if n == 3 { &["--report"] } else { &[] };
        let output = merge(dir.path(), &parts, &out, report);
        assert!(output.status.success(), "{}", stderr(&output));
        for file in [
            "summary.json",
            "replications.csv",
            "trajectories.csv",
            "trajectories_summary.csv",
            "cohorts.csv",
            "occupancy.csv",
            "series.csv",
            "report.json",
        ] {
            let read = |folder: &str| std::fs::read(dir.path().join(folder).join(file)).unwrap();
            assert!(
                read("whole") == read(&out),
                "{file} of {n} shards merged differs from the single run's"
            );
        }
        assert!(!dir.path().join(&out).join("shard.json").exists());
        // A shard keeps its values in a compact form, not the run's files.
        let mut kept: Vec<String> = std::fs::read_dir(dir.path().join(parts[0]))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
        kept.sort();
        assert_eq!(kept, ["run.json", "shard.bin", "shard.json"]);
        let run_json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(&out).join("run.json")).unwrap()).unwrap();
        assert_eq!(run_json["merged"], true);
        assert_eq!(run_json["parts"].as_array().unwrap().len(), n as usize);
    }
    assert!(dir.path().join("merged3/report.html").is_file());
}

#[test]
fn a_missing_or_repeated_shard_is_named_with_the_folders_holding_what() {
    let dir = tempfile::tempdir().unwrap();
    shards(dir.path(), "p", 3);
    let output = merge(dir.path(), &["p0", "p2"], "merged", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("missing: replications 2 to 3"), "{message}");
    assert!(
        message.contains("`p0` holds replications 0 to 1 (shard 0/3)"),
        "{message}"
    );
    assert!(
        message.contains("`p2` holds replications 4 to 6 (shard 2/3)"),
        "{message}"
    );
    assert!(!dir.path().join("merged").exists());

    // The first half of a split in two overlaps the first two of three.
    run(dir.path(), "half", &["--shard", "0/2"]);
    let output = merge(dir.path(), &["p0", "p1", "p2", "half"], "merged", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("repeated: replications 0 to 1 are in `p0` and `half`"),
        "{message}"
    );
    assert!(
        message.contains("repeated: replication 2 is in `p1` and `half`"),
        "{message}"
    );
    assert!(
        message.contains("`half` holds replications 0 to 2 (shard 0/2)"),
        "{message}"
    );
}

#[test]
fn parts_of_different_runs_are_refused_naming_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    shards(dir.path(), "p", 3);
    run(dir.path(), "other", &["--shard", "1/3", "--seed", "4"]);
    let output = merge(dir.path(), &["p0", "other", "p2"], "merged", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("seed: 3 in `p0`, `p2`; 4 in `other`"), "{message}");

    run(dir.path(), "whole", &[]);
    let output = merge(dir.path(), &["p0", "whole"], "merged", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("whole is not a shard's results folder"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn shard_arguments_out_of_range_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = example("discharge.toml");
    for (args, expected) in [
        (vec!["--shard", "3/3"], "--shard"),
        (vec!["--shard", "0/0"], "--shard"),
        (vec!["--shard", "0/8", "-r", "7"], "--shard 0/8"),
        (
            vec!["--shard", "0/2", "--first-replication", "4"],
            "--first-replication",
        ),
    ] {
        let mut all = vec!["run", scenario.as_str(), "--out", "out"];
        all.extend(&args);
        let output = bcfsim(&all, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn a_scenario_changed_since_the_shards_ran_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example("discharge.toml")).unwrap();
    std::fs::write(dir.path().join("my.toml"), &text).unwrap();
    for k in 0..2 {
        let out = format!("p{k}");
        let shard = format!("{k}/2");
        let args = [
            "run",
            "my.toml",
            "--set",
            "simulation.horizon_days=200",
            "-r",
            "4",
            "--shard",
            &shard,
            "--out",
            &out,
        ];
        let output = bcfsim(&args, dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
    }
    std::fs::write(dir.path().join("my.toml"), text.replace("seed = 42", "seed = 43")).unwrap();
    let output = merge(dir.path(), &["p0", "p1"], "merged", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("my.toml is not the scenario the shards ran"),
        "{}",
        stderr(&output)
    );
}

/// A stand-in for Slurm's `sbatch`: runs a job array's tasks one after another with
/// `SLURM_ARRAY_TASK_ID` set (or a plain job once), in the script's `--chdir`, and prints a job
/// id as `--parsable` does; it refuses a dependent job unless it names the array's id.
const SBATCH: &str = r#"#!/bin/sh
set -e
dependency=""
for argument in "$@"; do
  case "$argument" in
    --dependency=*) dependency="${argument#--dependency=}" ;;
    --*) ;;
    *) script="$argument" ;;
  esac
done
count=$(cat "$0.count" 2>/dev/null || echo 0)
count=$((count + 1))
echo "$count" > "$0.count"
if [ -n "$dependency" ] && [ "$dependency" != "afterok:1" ]; then
  echo "unexpected dependency $dependency" >&2; exit 1
fi
cd "$(sed -n 's/^#SBATCH --chdir=//p' "$script" | tr -d "'")"
last=$(sed -n 's/^#SBATCH --array=0-//p' "$script")
if [ -n "$last" ]; then
  task=0
  while [ "$task" -le "$last" ]; do
    SLURM_ARRAY_TASK_ID=$task bash "$script" > /dev/null
    task=$((task + 1))
  done
else
  bash "$script" > /dev/null
fi
echo "$count"
"#;

/// `bcfsim slurm --submit` of `command` in `folder`, through the stand-in `sbatch` (installed in
/// `folder/bin`, once per folder); what it printed.
fn submit(folder: &Path, command: &[&str]) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = folder.join("bin");
    let sbatch = bin.join("sbatch");
    if !sbatch.exists() {
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(&sbatch, SBATCH).unwrap();
        std::fs::set_permissions(&sbatch, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_bcfsim"))
        .args(command)
        .current_dir(folder)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts that `files` of results folders `a` and `b` in `folder` are byte for byte the same.
fn same(folder: &Path, a: &str, b: &str, files: &[&str]) {
    for file in files {
        let read = |results: &str| {
            std::fs::read(folder.join(results).join(file)).unwrap_or_else(|e| panic!("{results}/{file}: {e}"))
        };
        assert!(read(a) == read(b), "{file} of {b} differs from {a}'s");
    }
}

#[test]
fn slurm_runs_the_shards_as_a_job_array_and_merges_them_into_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = example("discharge.toml");
    let said = submit(
        dir.path(),
        &[
            "slurm",
            "--shards",
            "3",
            "--out",
            "whole",
            "--submit",
            "run",
            &scenario,
            "--set",
            "simulation.horizon_days=200",
            "-r",
            "7",
            "--seed",
            "3",
        ],
    );
    assert!(
        said.contains("shards as job 1 (3 tasks)") && said.contains("merge as job 2"),
        "{said}"
    );
    let script = std::fs::read_to_string(dir.path().join("whole.slurm/shards.sh")).unwrap();
    assert!(script.contains("#SBATCH --array=0-2\n"), "{script}");
    assert!(script.contains("--shard \"$SLURM_ARRAY_TASK_ID/3\""), "{script}");
    run(dir.path(), "single", &[]);
    same(
        dir.path(),
        "single",
        "whole",
        &["summary.json", "replications.csv", "trajectories_summary.csv"],
    );
}

/// An M/M/c queue: 9 arrivals a day, a day's service each, `$servers` servers (unstable at 8).
const QUEUE: &str = r#"
    [simulation]
    name = "queue"
    horizon_days = 400
    warmup_days = 50
    replications = 6
    seed = 11
    max_patients_in_system = 100
    [levers]
    servers = { value = 10, label = "Servers", unit = "places", min = 8, max = 20 }
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

/// The sweep of [`QUEUE`] the tests split: 4 points of 6 replications, the first unstable.
const SWEEP: [&str; 6] = [
    "--vary",
    "servers=8..11:1",
    "--target",
    "services.desk.mean_wait<=0.35",
    "--confidence",
    "0.8",
];

#[test]
fn a_sweep_split_across_points_and_replications_merges_into_the_single_sweep() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("queue.toml"), QUEUE).unwrap();
    let sweep = |out: &str, extra: &[&str]| {
        let mut args = vec!["sweep", "queue.toml"];
        args.extend(SWEEP);
        args.extend(["--out", out]);
        args.extend(extra);
        let output = bcfsim(&args, dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    sweep("whole", &[]);
    // 24 units in 5 shards of 4 or 5: shards begin and end inside points.
    let mut parts = Vec::new();
    for k in 0..5 {
        let out = format!("part{k}");
        let said = sweep(&out, &["--shard", &format!("{k}/5"), "--threads", "1"]);
        assert!(said.starts_with(&format!("shard {k}/5: point ")), "{said}");
        parts.push(out);
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let output = merge(dir.path(), &parts, "merged", &["--report"]);
    assert!(output.status.success(), "{}", stderr(&output));
    same(
        dir.path(),
        "whole",
        "merged",
        &["sweep.csv", "sweep.json", "target.json", "report.json"],
    );
    let csv = std::fs::read_to_string(dir.path().join("merged/sweep.csv")).unwrap();
    let unstable = csv.lines().nth(1).unwrap();
    assert!(unstable.starts_with("8,") && unstable.ends_with(",,,"), "{unstable}");
    assert!(dir.path().join("merged/report.html").is_file());

    let output = merge(dir.path(), &parts[..4], "short", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing: point 3's replication"),
        "{}",
        stderr(&output)
    );

    submit(
        dir.path(),
        &[
            "slurm",
            "--shards",
            "3",
            "--out",
            "slurmed",
            "--submit",
            "sweep",
            "queue.toml",
            SWEEP[0],
            SWEEP[1],
            SWEEP[2],
            SWEEP[3],
            SWEEP[4],
            SWEEP[5],
        ],
    );
    same(
        dir.path(),
        "whole",
        "slurmed",
        &["sweep.csv", "sweep.json", "target.json"],
    );
}

#[test]
fn a_comparison_split_into_shards_merges_into_the_single_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example("discharge.toml")).unwrap();
    std::fs::write(dir.path().join("base.toml"), &text).unwrap();
    let wider = text.replace("capacity = 26", "capacity = 30");
    assert_ne!(wider, text);
    std::fs::write(dir.path().join("wider.toml"), &wider).unwrap();
    let compare = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "compare",
            "base.toml",
            "wider.toml",
            "--set",
            "simulation.horizon_days=200",
            "-r",
            "5",
            "--out",
            out,
        ];
        args.extend(extra);
        let output = bcfsim(&args, dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
    };
    compare("whole", &[]);
    for k in 0..2 {
        compare(&format!("part{k}"), &["--shard", &format!("{k}/2")]);
    }
    let output = merge(dir.path(), &["part1", "part0"], "merged", &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut files = vec![
        "compare.json".to_owned(),
        "compare.csv".to_owned(),
        "report.json".to_owned(),
    ];
    for variant in ["base", "wider"] {
        for file in [
            "summary.json",
            "replications.csv",
            "cohorts.csv",
            "trajectories.csv",
            "occupancy.csv",
            "report.json",
        ] {
            files.push(format!("{variant}/{file}"));
        }
    }
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    same(dir.path(), "whole", "merged", &files);

    // An alternative's file edited after the shards ran is named.
    std::fs::write(
        dir.path().join("wider.toml"),
        wider.replace("capacity = 30", "capacity = 31"),
    )
    .unwrap();
    let output = merge(dir.path(), &["part0", "part1"], "again", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not the scenario the shards ran") && stderr(&output).contains("wider"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn slurm_refuses_what_it_cannot_split_or_sets_itself() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            vec!["slurm", "--shards", "2", "--out", "o", "warmup", "x.toml"],
            "not `warmup`",
        ),
        (
            vec!["slurm", "--shards", "2", "--out", "o", "run", "--out", "p"],
            "`--out`",
        ),
        (
            vec!["slurm", "--shards", "2", "--out", "o", "run", "--shard", "0/2"],
            "`--shard`",
        ),
        (
            vec!["slurm", "--shards", "2", "--out", "o", "run", "-r", "4", "--submit"],
            "go before `run`",
        ),
    ] {
        let output = bcfsim(&args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains(says), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn a_real_single_node_slurm_cluster_runs_the_shards_and_the_merge() {
    // tests/slurm/single-node.sh installs slurm-wlm and munge where absent, starts a one-node
    // cluster on this machine, submits through `bcfsim slurm --submit`, compares the merged run
    // with the single run, and stops the daemons; it exits 77 only when they cannot start here.
    let script = format!("{}/tests/slurm/single-node.sh", env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("timeout")
        .args([
            "600",
            "bash",
            &script,
            env!("CARGO_BIN_EXE_bcfsim"),
            &example("discharge.toml"),
        ])
        .output()
        .expect("bash runs");
    let said = format!("{}{}", String::from_utf8_lossy(&output.stdout), stderr(&output));
    if output.status.code() == Some(77) {
        eprintln!("\n*** SKIPPED: the single-node Slurm cluster could not start on this machine ***\n{said}");
        return;
    }
    assert!(output.status.success(), "{said}");
    assert!(said.contains("equal the single run"), "{said}");
}
