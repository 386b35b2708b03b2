//! Hostile input, unstable systems, interrupted runs and failed writes: each gets a clear answer
//! and an exit code, never a panic, a hang or a half-written file.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use expect_test::expect_file;
use proptest::prelude::*;

use bcfsim::model::simulation::{run_replication, NoTrace, Stopped};
use bcfsim::report::ResultsFolder;
use bcfsim::scenario::{self, Override};

use crate::support::{bcfsim, example, model, stderr};

/// Exit code of a run stopped by Ctrl-C.
const INTERRUPTED: i32 = 130;

#[test]
fn bad_scenario_corpus_exits_with_code_2_and_names_the_place() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut names: Vec<String> = std::fs::read_dir(tests.join("corpus"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    let out = tempfile::tempdir().unwrap();
    let mut report = String::new();
    for name in &names {
        let file = format!("corpus/{name}");
        let output = bcfsim(&["run", &file, "--out", out.path().to_str().unwrap()], &tests);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(!message.contains("panicked"), "{name}: {message}");
        writeln!(report, "== {name}\n{}", message.trim_end()).unwrap();
    }
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "a rejected scenario wrote results"
    );
    expect_file!["../corpus/errors.expected"].assert_eq(&report);
}

/// A number a hand-edited file might hold: ordinary, zero, negative, huge, tiny, or not a number.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.01..50.0f64,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(1e300),
        1 => Just(1e-300),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
    ]
}

fn toml_number(value: f64) -> String {
    if value.is_nan() {
        "nan".into()
    } else if value.is_infinite() {
        if value > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{value:?}")
    }
}

/// Ids that exist, ids that do not, duplicates, and ids no output key could hold.
fn id() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["ward", "ward", "rehab", "home", "gone", "wärd", "a b", ""])
}

fn distribution() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "exponential",
        "lognormal",
        "gamma",
        "fixed",
        "weibull",
        "uniform",
        "bogus",
    ]);
    (name, number(), number()).prop_map(|(name, a, b)| match name {
        "exponential" => format!("{{ dist = \"exponential\", mean = {} }}", toml_number(a)),
        "fixed" => format!("{{ dist = \"fixed\", value = {} }}", toml_number(a)),
        "weibull" => format!(
            "{{ dist = \"weibull\", shape = {}, scale = {} }}",
            toml_number(a),
            toml_number(b)
        ),
        "uniform" => format!(
            "{{ dist = \"uniform\", min = {}, max = {} }}",
            toml_number(a),
            toml_number(b)
        ),
        other => format!(
            "{{ dist = \"{other}\", mean = {}, sd = {} }}",
            toml_number(a),
            toml_number(b)
        ),
    })
}

fn service() -> impl Strategy<Value = String> {
    let capacity = prop::sample::select(vec!["0", "1", "3", "40", "\"unlimited\"", "-1", "1.5", "99999999999"]);
    let routes = prop::collection::vec(
        (id(), prop::sample::select(vec![0.0, 0.3, 0.5, 0.7, 0.999, 1.0, 1.2])),
        0..3,
    );
    let extras = prop::sample::subsequence(
        vec![
            "queue_limit = 0",
            "queue_limit = 2",
            "max_wait = 0.5\non_timeout = \"home\"",
            "on_full = \"rehab\"",
        ],
        0..=2,
    );
    (id(), capacity, distribution(), routes, extras).prop_map(|(id, capacity, duration, routes, extras)| {
        let routes: Vec<String> = routes
            .iter()
            .map(|(to, p)| format!("{{ to = \"{to}\", p = {p:?} }}"))
            .collect();
        format!(
            "[[service]]\nid = \"{id}\"\ncapacity = {capacity}\nduration = {duration}\nroutes = [{}]\n{}\n",
            routes.join(", "),
            extras.join("\n")
        )
    })
}

/// Scenarios with the right shape and, often, wrong contents.
fn scenario() -> impl Strategy<Value = String> {
    let sources = prop::collection::vec((id(), number()), 0..3);
    let services = prop::collection::vec(service(), 0..4);
    let exits = prop::collection::vec(id(), 0..3);
    (number(), sources, services, exits).prop_map(|(horizon, sources, services, exits)| {
        // Short horizons and a low bound on patients keep the runs of valid scenarios quick.
        let horizon = if horizon.is_finite() && horizon > 0.0 { horizon.min(30.0) } else { horizon };
        let mut text = format!(
            "[simulation]\nname = \"generated\"\nhorizon_days = {}\nreplications = 1\nmax_patients_in_system = 2000\n\n",
            toml_number(horizon)
        );
        for (to, rate) in sources {
            write!(text, "[[source]]\nid = \"in\"\nrate_per_day = {}\nto = \"{to}\"\n\n", toml_number(rate)).unwrap();
        }
        for service in services {
            text.push_str(&service);
            text.push('\n');
        }
        for exit in exits {
            write!(text, "[[exit]]\nid = \"{exit}\"\n\n").unwrap();
        }
        text
    })
}

/// Every line of an error names the file (and, where there is one, the line and the field), or
/// the `--set` argument at fault, given as `set`.
fn assert_names_the_place(message: &str, set: Option<&Override>) {
    let set = set.map(|o| format!("--set {o}: "));
    for line in message.lines() {
        assert!(
            line.starts_with("generated.toml") || set.as_ref().is_some_and(|s| line.starts_with(s.as_str())),
            "a line of the error does not name the file or the --set: {line}"
        );
    }
}

proptest! {
    #[test]
    fn generated_scenarios_are_rejected_with_a_place_or_run_without_panicking(text in scenario()) {
        match scenario::load_text("generated.toml", &text, &[]) {
            Err(error) => assert_names_the_place(&error.to_string(), None),
            Ok(model) => match run_replication(&model, 0, NoTrace) {
                Ok(_) | Err(Stopped::Unstable(_) | Stopped::Stalled(_)) => {}
                Err(Stopped::Interrupted) => panic!("nothing asked the replication to stop"),
            },
        }
    }

    #[test]
    fn set_overrides_are_rejected_with_a_place_or_applied(
        path in prop::sample::select(vec![
            "simulation.horizon_days", "simulation.replications", "simulation.max_patients_in_system",
            "service.ward.capacity", "service.ward.duration.mean", "service.ward.duration", "source.in.rate_per_day",
            "service.icu.capacity", "service", "simulation.name", "service.ward.routes.home.p", "a.b.c",
        ]),
        value in prop::sample::select(vec![
            "1", "0", "-1", "2.5", "nan", "inf", "-inf", "1e400", "99999999999999999999", "\"text\"", "\"wärd\"",
            "[1, 2]", "{ a = 1 }", "true", "", "=",
        ]),
    ) {
        let text = std::fs::read_to_string(example("mmc.toml")).unwrap();
        if let Ok(set) = format!("{path}={value}").parse::<Override>() {
            match scenario::load_text("generated.toml", &text, std::slice::from_ref(&set)) {
                Err(error) => assert_names_the_place(&error.to_string(), Some(&set)),
                Ok(model) => prop_assert!(model.run.horizon_days > 0.0),
            }
        }
    }
}

const OVERLOADED: &str = r#"[simulation]
name = "overloaded"
horizon_days = 100000
replications = 4
max_patients_in_system = 500

[[source]]
id = "arrivals"
rate_per_day = 2.0
to = "unit"

[[service]]
id = "unit"
capacity = 1
duration = { dist = "exponential", mean = 1.0 }
routes = [{ to = "done", p = 1.0 }]

[[exit]]
id = "done"
"#;

#[test]
fn unstable_systems_warn_then_stop_with_code_3_naming_the_service() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("overloaded.toml", OVERLOADED.to_owned()),
        ("zero.toml", OVERLOADED.replace("capacity = 1", "capacity = 0")),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let output = bcfsim(&["run", name, "--out", "out"], dir.path());
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{name}: {message}");
        assert!(message.contains("warning: service `unit` looks unstable"), "{message}");
        assert!(
            message.contains("unstable") && message.contains("more than 500 patients"),
            "{message}"
        );
        assert!(message.contains("waiting for service `unit`"), "{message}");
        assert!(!dir.path().join("out").exists(), "an unstable run wrote results");
    }
}

#[test]
fn memory_is_bounded_by_patients_in_the_system_not_by_patients_simulated() {
    // M/M/10 at 90 % load for 200,000 days: 1.8 million patients, about 9 at a time on average;
    // more than 300 at once has a probability below 1e-10 (geometric tail 0.9^k).
    let long = model(
        &OVERLOADED
            .replace("max_patients_in_system = 500", "max_patients_in_system = 100000")
            .replace("horizon_days = 100000", "horizon_days = 200000")
            .replace("rate_per_day = 2.0", "rate_per_day = 9.0")
            .replace("capacity = 1", "capacity = 10"),
    );
    let (record, _) = run_replication(&long, 0, NoTrace).expect("stable");
    assert!(record.nodes[0].arrivals > 1_700_000, "{}", record.nodes[0].arrivals);
    assert!(record.peak_in_system < 300, "peak {}", record.peak_in_system);
    assert_eq!(
        record.months.len(),
        1,
        "untagged networks keep one record, not one per month"
    );
    // A queue nobody is ever served from, left after a day: it must not keep an entry per patient.
    let never_served = model(
        &OVERLOADED
            .replace("capacity = 1", "capacity = 0\nmax_wait = 1.0\non_timeout = \"done\"")
            .replace("rate_per_day = 2.0", "rate_per_day = 50.0"),
    );
    let (record, _) = run_replication(&never_served, 0, NoTrace).expect("reneging keeps it stable");
    assert_eq!(record.nodes[0].reneged, record.nodes[0].entered);
    assert!(record.peak_in_system < 200, "peak {}", record.peak_in_system);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn ctrl_c_keeps_completed_replications_and_a_rerun_matches_an_uninterrupted_run() {
    stopped_by_a_signal("INT", INTERRUPTED);
}

#[test]
fn sigterm_stops_like_ctrl_c_with_its_own_exit_code() {
    stopped_by_a_signal("TERM", 143);
}

/// Sends `signal` to a long run: it stops within seconds with `code`, keeps a contiguous range of
/// completed replications equal to an uninterrupted run's, leaves nothing beside its folder, and
/// rerunning the same command gives the uninterrupted run's files.
fn stopped_by_a_signal(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let text = OVERLOADED
        .replace("horizon_days = 100000", "horizon_days = 20000")
        .replace("replications = 4", "replications = 100")
        .replace("rate_per_day = 2.0", "rate_per_day = 9.0")
        .replace("capacity = 1", "capacity = 10");
    std::fs::write(dir.path().join("long.toml"), text).unwrap();
    let args = ["run", "long.toml", "--threads", "2", "--out"];
    let child = Command::new(env!("CARGO_BIN_EXE_bcfsim"))
        .args(args)
        .arg("interrupted")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    let signalled = Instant::now();
    let kill = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    // A guard against hanging, not a timing: stopping takes milliseconds.
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "took {:?} to stop",
        signalled.elapsed()
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "{message}");
    let folder = dir.path().join("interrupted");
    let full = bcfsim(&[&args[..], &["full"]].concat(), dir.path());
    assert!(full.status.success(), "{}", stderr(&full));
    let full_rows = read(&dir.path().join("full/replications.csv"));
    if folder.join("summary.json").exists() {
        let summary: serde_json::Value = serde_json::from_str(&read(&folder.join("summary.json"))).unwrap();
        assert_eq!(summary["interrupted"], true);
        assert_eq!(summary["replications_requested"], 100);
        let completed = summary["replications"].as_u64().unwrap();
        assert!((1..100).contains(&completed), "{completed}");
        assert!(
            message.contains(&format!("{completed} of 100 replications completed")),
            "{message}"
        );
        let rows = read(&folder.join("replications.csv"));
        for row in rows.lines() {
            assert!(
                full_rows.lines().any(|full| full == row),
                "{row} differs from the full run"
            );
        }
        let mut kept: Vec<u64> = rows
            .lines()
            .skip(1)
            .map(|row| row.split(',').next().unwrap().parse().unwrap())
            .collect();
        kept.dedup();
        assert_eq!(
            kept,
            (0..completed).collect::<Vec<_>>(),
            "not a contiguous range from 0"
        );
    } else {
        assert!(message.contains("before any replication completed"), "{message}");
    }
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".partial") || name.ends_with(".old"))
        .collect();
    assert!(beside.is_empty(), "left beside the results: {beside:?}");
    let rerun = bcfsim(
        &args.iter().copied().chain(["interrupted"]).collect::<Vec<_>>(),
        dir.path(),
    );
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    for file in ["summary.json", "replications.csv"] {
        assert!(
            read(&folder.join(file)) == read(&dir.path().join("full").join(file)),
            "{file}: the rerun differs from the uninterrupted run"
        );
    }
}

#[test]
fn a_full_disk_is_reported_not_panicked() {
    if Path::new("/dev/full").exists() {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_bcfsim"))
            .args(["run", &example("mmc.toml"), "-r", "2", "--json", "--out", "out"])
            .current_dir(dir.path())
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{message}");
        assert!(message.contains("cannot write to standard output"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }
    // A results folder whose writing fails part-way leaves the previous results as they were,
    // and nothing beside them.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let previous = ResultsFolder::prepare(&target).unwrap();
    previous
        .write("summary.json", |w| w.write_all(b"the previous results\n"))
        .unwrap();
    previous.commit().unwrap();
    let folder = ResultsFolder::prepare(&target).unwrap();
    let error = folder
        .write("summary.json", |w| {
            w.write_all(b"{ \"half\": ")?;
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device"))
        })
        .unwrap_err();
    assert!(error.to_string().ends_with("out/summary.json"), "{error}");
    let reason = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(reason.as_deref(), Some("no space left on device"));
    drop(folder);
    assert_eq!(
        read(&target.join("summary.json")),
        "the previous results\n",
        "the old file was damaged"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        2,
        "something was left beside the results and their lock: {names:?}"
    );
}

/// Runs the binary with `args` in `folder`, its standard output or error (`which`) on `/dev/full`.
fn onto_full(args: &[&str], folder: &Path, which: &str) -> std::process::Output {
    let full = || std::fs::File::options().write(true).open("/dev/full").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_bcfsim"));
    command.args(args).current_dir(folder);
    if which == "stdout" {
        command.stdout(full());
    } else {
        command.stderr(full());
    }
    command.output().unwrap()
}

#[test]
fn output_streams_that_cannot_be_written_give_an_exit_code_not_a_panic() {
    if !Path::new("/dev/full").exists() {
        eprintln!("SKIPPED: this machine has no /dev/full");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[simulation]\nname = \"bad\"\n").unwrap();
    let ok = onto_full(&["check", &example("mmc.toml")], dir.path(), "stdout");
    assert_eq!(ok.status.code(), Some(1), "{}", stderr(&ok));
    assert!(stderr(&ok).contains("cannot write to standard output"));
    // The scenario's mistake still decides the exit code when it cannot be told.
    let bad = onto_full(&["check", "bad.toml"], dir.path(), "stderr");
    assert_eq!(bad.status.code(), Some(2));
    // A warning that cannot be written does not stop the run.
    let overloaded = OVERLOADED.replace("horizon_days = 100000", "horizon_days = 10");
    std::fs::write(dir.path().join("warns.toml"), overloaded).unwrap();
    let warned = onto_full(&["run", "warns.toml", "--out", "warned"], dir.path(), "stderr");
    assert_eq!(warned.status.code(), Some(0));
    assert!(dir.path().join("warned/summary.json").exists());
}

#[test]
fn a_results_folder_is_replaced_whole_only_if_bcfsim_made_it_and_one_run_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = example("mmc.toml");
    let run = |extra: &[&str]| {
        let args: Vec<&str> = ["run", &scenario, "-r", "2", "--out", "results"]
            .into_iter()
            .chain(extra.iter().copied())
            .collect();
        bcfsim(&args, dir.path())
    };
    // A second run replaces the whole set: the trace of the first is not left beside it.
    assert!(run(&["--trace"]).status.success());
    assert!(dir.path().join("results/trace.csv").exists());
    assert!(run(&[]).status.success());
    assert!(!dir.path().join("results/trace.csv").exists(), "a stale trace was left");
    // While another run holds the folder, a run is refused before simulating.
    let holding = ResultsFolder::prepare(&dir.path().join("results")).unwrap();
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("another bcfsim run is writing"),
        "{}",
        stderr(&refused)
    );
    drop(holding);
    // A folder of the user's own files is never replaced.
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    let mine = bcfsim(&["run", &example("mmc.toml"), "-r", "2", "--out", "mine"], dir.path());
    assert_eq!(mine.status.code(), Some(2));
    assert!(
        stderr(&mine).contains("holds files bcfsim did not write"),
        "{}",
        stderr(&mine)
    );
    assert_eq!(read(&dir.path().join("mine/notes.txt")), "keep me");
    // A link planted where the lock goes is not followed.
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join(".planted.lock")).unwrap();
    let planted = bcfsim(
        &["run", &example("mmc.toml"), "-r", "2", "--out", "planted"],
        dir.path(),
    );
    assert_eq!(planted.status.code(), Some(1), "{}", stderr(&planted));
    assert_eq!(read(&victim), "untouched");
    assert!(!dir.path().join("planted").exists());
}

#[test]
fn time_that_stops_advancing_stops_the_run_naming_the_services() {
    // Bursts of arrivals at one instant go round two services that take no time; the way out is
    // taken often enough to pass validation, but not before millions of events at that instant.
    let text = r#"
        [simulation]
        name = "stall"
        horizon_days = 10
        replications = 2
        [[source]]
        id = "in"
        interarrival = { dist = "empirical", values = [0.0, 1.0], weights = [0.999, 0.001] }
        to = "a"
        [[service]]
        id = "a"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 0.0 }
        routes = [{ to = "b", p = 1.0 }]
        [[service]]
        id = "b"
        capacity = "unlimited"
        duration = { dist = "fixed", value = 0.0 }
        routes = [{ to = "a", p = 0.99999 }, { to = "out", p = 0.00001 }]
        [[exit]]
        id = "out"
    "#;
    let model = model(text);
    match run_replication(&model, 0, NoTrace) {
        Err(Stopped::Stalled(stall)) => assert_eq!(stall.nodes, [0, 1]),
        other => panic!("expected a stall, got {:?}", other.map(|_| ())),
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stall.toml"), text).unwrap();
    let output = bcfsim(&["run", "stall.toml", "--out", "stall"], dir.path());
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("pass round `a`, `b` without time passing"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("stall").exists(), "results were written");
}

#[test]
fn the_trace_stops_at_its_cap_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = bcfsim(
        &[
            "run",
            &example("mmc.toml"),
            "-r",
            "2",
            "--trace",
            "--trace-max-events",
            "10",
            "--out",
            "traced",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("trace.csv stopped after 10 events"));
    assert_eq!(read(&dir.path().join("traced/trace.csv")).lines().count(), 11);
    let run: serde_json::Value = serde_json::from_str(&read(&dir.path().join("traced/run.json"))).unwrap();
    assert_eq!(run["trace"], serde_json::json!({ "events": 10, "truncated": true }));
}

#[test]
fn replication_ranges_concatenate_into_the_whole_run_and_memory_does_not_grow_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = |first: &str, count: &str, out: &str| {
        let output = bcfsim(
            &[
                "run",
                &example("mmc.toml"),
                "--first-replication",
                first,
                "-r",
                count,
                "--out",
                out,
            ],
            dir.path(),
        );
        assert!(output.status.success(), "{}", stderr(&output));
        read(&dir.path().join(out).join("replications.csv"))
    };
    let whole = run("0", "6", "whole");
    let parts = run("0", "3", "first") + run("3", "3", "second").split_once('\n').unwrap().1;
    assert!(whole == parts, "the two ranges do not concatenate into the whole");
    // Results stream to disk: thirty times the replications, at most twice the memory.
    let peak = |out: &str| -> u64 {
        let run: serde_json::Value = serde_json::from_str(&read(&dir.path().join(out).join("run.json"))).unwrap();
        run["peak_memory_bytes"].as_u64().unwrap_or(0)
    };
    run("0", "100", "hundred");
    run("0", "3000", "thousands");
    let (small, large) = (peak("hundred"), peak("thousands"));
    if small > 0 {
        assert!(
            large < 2 * small,
            "{large} bytes for 3,000 replications, {small} for 100"
        );
    }
}
