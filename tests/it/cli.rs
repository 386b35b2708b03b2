//! The `bcfsim` command as a user runs it: exit codes, output files, reproducibility.

use crate::support::{bcfsim, example, stderr};

#[test]
fn default_scenario_runs_and_writes_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let output = bcfsim(&["run", "--replications", "4"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // The headline leads: the BCF metrics first, then staffing, costs and delays by cause, each
    // with its unit, within 80 columns; services' statistics only with --detail.
    let headings: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains(" unit ") && line.contains(" 95% CI "))
        .map(|line| line.split("  ").next().unwrap())
        .collect();
    assert_eq!(
        headings,
        ["BCF metrics", "Staffing", "Costs", "Delayed bed days by cause"],
        "{stdout}"
    );
    let first_metric = stdout
        .lines()
        .skip_while(|line| !line.starts_with("BCF metrics"))
        .nth(1)
        .unwrap();
    assert!(
        first_metric.starts_with("Non-elective admissions") && first_metric.contains("/yr"),
        "{stdout}"
    );
    let delays = stdout
        .lines()
        .find(|line| line.starts_with("Delayed transfers of care "));
    assert!(delays.is_some_and(|line| line.contains(" /100k/day ")), "{stdout}");
    assert!(stdout.lines().all(|line| line.chars().count() <= 80), "{stdout}");
    assert!(!stdout.contains("services.") && !stdout.contains("0.000"), "{stdout}");
    let detailed = bcfsim(
        &["run", "--replications", "2", "--detail", "--out", "detail"],
        dir.path(),
    );
    let detail = String::from_utf8_lossy(&detailed.stdout);
    // Larger figures widen their columns, never the line.
    let busier = bcfsim(
        &[
            "run",
            "--replications",
            "2",
            "--set",
            "demand_scale=1.5",
            "--out",
            "busier",
        ],
        dir.path(),
    );
    let busier = String::from_utf8_lossy(&busier.stdout);
    assert!(busier.contains("15,"), "{busier}");
    assert!(busier.lines().all(|line| line.chars().count() <= 80), "{busier}");
    assert!(detail.contains("\nservices.acute.mean_blocked "), "{detail}");
    let folder = dir.path().join("outputs/leicestershire");
    for file in [
        "summary.json",
        "replications.csv",
        "cohorts.csv",
        "occupancy.csv",
        "staffing.csv",
        "trajectories.csv",
        "report.json",
        "run.json",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    let names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "temporary files left: {names:?}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["replications"], 4);
    let wait = &summary["services"]["acute"]["mean_blocked"];
    for key in ["mean", "p10", "p50", "p90"] {
        assert!(wait[key].is_f64(), "{key} in {wait}");
    }
    assert_eq!(wait["ci95"].as_array().unwrap().len(), 2);
    assert!(summary["exits"]["home"]["count"]["mean"].as_f64().unwrap() > 0.0);
    let admissions = summary["metrics"]["non_elective_admissions_per_100k"]["mean"]
        .as_f64()
        .unwrap();
    assert!(admissions > 5000.0, "{admissions}");
    for kind in ["used", "needed"] {
        assert!(summary["staffing"]["hca"][kind]["fte"]["mean"].as_f64().unwrap() > 0.0);
    }
    let trajectories = std::fs::read_to_string(folder.join("trajectories.csv")).unwrap();
    assert!(trajectories.starts_with("replication,month,metric,value\n0,2019-04,metrics.non_elective_admissions,"));
    assert!(trajectories.contains("\n3,2020-03,staffing.hca.needed.fte,"));
}

#[test]
fn same_seed_gives_byte_identical_outputs_across_thread_counts_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = example("discharge.toml");
    for (threads, out) in [("1", "1"), ("2", "2"), ("2", "2-again")] {
        let output = bcfsim(
            &["run", &scenario, "-r", "6", "--threads", threads, "--out", out],
            dir.path(),
        );
        assert!(output.status.success(), "{}", stderr(&output));
    }
    // Everything but run.json (timings): summaries are shared among the run's threads too.
    for file in [
        "summary.json",
        "replications.csv",
        "trajectories.csv",
        "series.csv",
        "staffing.csv",
        "occupancy.csv",
        "report.json",
    ] {
        let one = std::fs::read(dir.path().join("1").join(file)).unwrap();
        for other in ["2", "2-again"] {
            let again = std::fs::read(dir.path().join(other).join(file)).unwrap();
            assert!(one == again, "{file} differs between run 1 and run {other}");
        }
    }
    let other_seed = bcfsim(&["run", &scenario, "-r", "6", "--seed", "43", "--out", "3"], dir.path());
    assert!(other_seed.status.success());
    assert_ne!(
        std::fs::read(dir.path().join("1/summary.json")).unwrap(),
        std::fs::read(dir.path().join("3/summary.json")).unwrap()
    );
}

#[test]
fn set_overrides_change_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mmc = example("mmc.toml");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", mmc.as_str(), "-r", "4", "--json"];
        args.extend_from_slice(extra);
        let output = bcfsim(&args, dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        summary["services"]["ward"]["mean_wait"]["mean"].as_f64().unwrap()
    };
    let base = run(&[]);
    let more_beds = run(&["--set", "service.ward.capacity=12"]);
    assert!(more_beds < base / 2.0, "12 places wait {more_beds}, 10 places {base}");
}

#[test]
fn trace_lists_patient_events_of_the_first_replication() {
    let dir = tempfile::tempdir().unwrap();
    let output = bcfsim(
        &[
            "run",
            &example("discharge.toml"),
            "-r",
            "2",
            "--trace",
            "--set",
            "simulation.horizon_days=100",
            "--out",
            "o",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let trace = std::fs::read_to_string(dir.path().join("o/trace.csv")).unwrap();
    let mut lines = trace.lines();
    assert_eq!(lines.next(), Some("time,patient,cohort,node,event"));
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[1..], ["0", first[2], "crisis_response", "arrive"]);
    assert!(trace.contains(",reablement,start"));
}

#[test]
fn scenario_errors_exit_with_code_2_and_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(example("mmc.toml"))
        .unwrap()
        .replace("p = 1.0", "p = 0.9");
    std::fs::write(&bad, text).unwrap();
    for command in ["check", "run"] {
        let output = bcfsim(&[command, "bad.toml"], dir.path());
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(
            stderr(&output),
            "error in scenario:\nbad.toml:19: service.ward.routes: probabilities of the routes sum to 0.9, not 1\n"
        );
    }
    let output = bcfsim(&["check", &example("discharge.toml")], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let output = bcfsim(&["run", "--set", "nonsense"], dir.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn unwritable_output_folder_is_reported_before_simulating_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    // A file where a folder must be: the user's mistake.
    let output = bcfsim(&["run", "-r", "2", "--out", "/dev/null/results"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message, "error: /dev/null is not a folder; choose another --out\n");
    // A place nothing can be written: found before a single replication runs.
    let output = bcfsim(&["run", "-r", "100000", "--out", "/proc/bcfsim-results"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.starts_with("error: cannot write /proc/"), "{message}");
    assert!(!message.contains("panicked"));
}

#[test]
fn messages_for_small_mistakes_say_what_is_wrong_once() {
    let dir = tempfile::tempdir().unwrap();
    let mmc = example("mmc.toml");
    // A date written bare, as TOML allows, is read as the date it is.
    let text = std::fs::read_to_string(&mmc)
        .unwrap()
        .replace("[simulation]\n", "[simulation]\nstart_date = 2026-04-01\n");
    std::fs::write(dir.path().join("dated.toml"), text).unwrap();
    let dated = bcfsim(&["check", "dated.toml"], dir.path());
    assert!(dated.status.success(), "{}", stderr(&dated));
    // No replications is a mistake on the command line.
    let none = bcfsim(&["run", &mmc, "-r", "0"], dir.path());
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    // An --out naming a file says so, once.
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let file = bcfsim(&["run", &mmc, "-r", "2", "--out", "a-file"], dir.path());
    assert_eq!(file.status.code(), Some(2));
    assert_eq!(stderr(&file), "error: a-file is not a folder; choose another --out\n");
    // An absurd mean in a warning is written in scientific notation, not 270 digits.
    let text = std::fs::read_to_string(&mmc).unwrap().replace(
        "duration = { dist = \"exponential\", mean = 1.0 }",
        "duration = { dist = \"weibull\", shape = 0.0065, scale = 1.0 }",
    );
    std::fs::write(dir.path().join("absurd.toml"), text).unwrap();
    let absurd = bcfsim(&["run", "absurd.toml", "-r", "1", "--out", "absurd"], dir.path());
    let warning = stderr(&absurd);
    assert!(warning.contains("need 1.28e272 places"), "{warning}");
    assert!(warning.lines().all(|line| line.len() < 400), "{warning}");
}
