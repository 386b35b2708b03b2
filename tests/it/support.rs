//! Helpers shared by the tests: run a scenario text, read a statistic, compare with theory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bcfsim::metrics::{columns, mean_and_half_width, ReplicationResult};
use bcfsim::model::Model;
use bcfsim::runner::{self, RunPlan};
use bcfsim::scenario;

/// The confidence of the intervals theory must fall in. 99.9 % rather than 95 % so that a correct
/// engine fails a test about once in a thousand seeds, not once in twenty; the seeds are fixed, so
/// a failure is reproducible and means a real discrepancy or an unlucky seed worth a look.
pub const CONFIDENCE: f64 = 0.999;

/// Builds a model from scenario text, panicking with the error if it is invalid.
pub fn model(text: &str) -> Model {
    scenario::load_text("test.toml", text, &[]).unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"))
}

/// Runs every replication of `text` on two threads.
pub fn run(text: &str) -> (Model, Vec<ReplicationResult>) {
    let model = model(text);
    let results = run_model(&model, 0..model.run.replications);
    (model, results)
}

/// Runs replications `replications` of `model` on two threads.
pub fn run_model(model: &Model, replications: std::ops::Range<u32>) -> Vec<ReplicationResult> {
    let plan = RunPlan {
        replications,
        threads: Some(2),
        progress: false,
    };
    let (results, _) =
        runner::run(model, &plan, &std::sync::atomic::AtomicBool::new(false)).expect("thread pool starts");
    results
}

/// The per-replication values of the statistic at `path` (e.g. `services.ward.mean_wait`).
pub fn values(model: &Model, results: &[ReplicationResult], path: &str) -> Vec<f64> {
    let (_, values) = columns(&model.network, results)
        .into_iter()
        .find(|(name, _)| name == path)
        .unwrap_or_else(|| panic!("no statistic {path}"));
    values
        .into_iter()
        .map(|v| v.unwrap_or_else(|| panic!("{path} undefined in a replication")))
        .collect()
}

/// The value of the statistic at `path` in the first replication of `text`.
pub fn first(text: &str, path: &str) -> f64 {
    let (model, results) = run(text);
    values(&model, &results, path)[0]
}

/// Asserts that a figure worked out by hand, `expected`, is what was computed, up to the rounding
/// of sums of floating-point times (1e-9).
pub fn assert_exact(what: &str, value: f64, expected: f64) {
    assert!((value - expected).abs() < 1e-9, "{what}: {value}, expected {expected}");
}

/// Asserts that `expected` lies in the [`CONFIDENCE`] interval of the mean of `values`.
pub fn assert_in_ci(what: &str, values: &[f64], expected: f64) {
    let (mean, half_width) = mean_and_half_width(values, CONFIDENCE);
    let half_width = half_width.expect("at least two replications");
    assert!(
        (mean - expected).abs() <= half_width,
        "{what}: theory {expected} is outside the {}% interval {mean} ± {half_width} of {} replications",
        CONFIDENCE * 100.0,
        values.len()
    );
}

/// Erlang's loss formula B(c, a) for c servers and offered load a, by the stable recursion.
pub fn erlang_b(servers: u32, load: f64) -> f64 {
    (1..=servers).fold(1.0, |b, k| load * b / (f64::from(k) + load * b))
}

/// Erlang's delay formula C(c, a): the probability an arrival waits in M/M/c.
pub fn erlang_c(servers: u32, load: f64) -> f64 {
    let b = erlang_b(servers, load);
    let rho = load / f64::from(servers);
    b / (1.0 - rho * (1.0 - b))
}

/// Solves the stationary distribution π of a continuous-time Markov chain with generator rows
/// given by `rates[i][j]` (i ≠ j), by Gaussian elimination on πQ = 0 with Σπ = 1.
pub fn stationary(rates: &[Vec<f64>]) -> Vec<f64> {
    let n = rates.len();
    // Rows of the transposed generator, with the last equation replaced by the normalisation.
    let mut a = vec![vec![0.0; n + 1]; n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                a[j][i] += rates[i][j];
                a[i][i] -= rates[i][j];
            }
        }
    }
    a[n - 1] = vec![1.0; n + 1];
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (row, values) in a.iter_mut().enumerate() {
            if row != col {
                let factor = values[col] / pivot_row[col];
                for (value, pivot_value) in values[col..].iter_mut().zip(&pivot_row[col..]) {
                    *value -= factor * pivot_value;
                }
            }
        }
    }
    (0..n).map(|i| a[i][n] / a[i][i]).collect()
}

/// Runs the `bcfsim` binary with `args` in `folder`.
pub fn bcfsim(args: &[&str], folder: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bcfsim"))
        .args(args)
        .current_dir(folder)
        .output()
        .expect("the binary runs")
}

/// The path of an example scenario.
pub fn example(name: &str) -> String {
    format!("{}/scenarios/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// What a finished command wrote on standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Chromium where installed: `BCFSIM_CHROMIUM` names it, else `chromium` or `chromium-browser` on
/// the `PATH`.
fn installed_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BCFSIM_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Headless Chromium for the report's tests: the installed one, else Debian's package, installed
/// once (the lock timeout keeps two installs from racing for the package lock).
pub fn chromium() -> PathBuf {
    static CHROMIUM: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CHROMIUM
        .get_or_init(|| {
            if let Some(found) = installed_chromium() {
                return found;
            }
            // As root, or through sudo where it needs no password.
            let apt = |args: &[&str]| {
                let run = |program: &str, first: &[&str]| {
                    Command::new(program)
                        .args(first)
                        .args(["-o", "DPkg::Lock::Timeout=600", "-q", "-y"])
                        .args(args)
                        .env("DEBIAN_FRONTEND", "noninteractive")
                        .status()
                        .is_ok_and(|status| status.success())
                };
                run("apt-get", &[]) || run("sudo", &["-n", "apt-get"])
            };
            if !apt(&["install", "--no-install-recommends", "chromium"]) {
                apt(&["update"]);
                apt(&["install", "--no-install-recommends", "chromium"]);
            }
            installed_chromium().expect(
                "the report tests need Chromium: `apt-get install chromium` failed; install it, or set BCFSIM_CHROMIUM",
            )
        })
        .clone()
}

/// Runs Chromium headless on `page` once: the DOM after loading (standard output), its log
/// (standard error) and a screenshot.
pub fn run_chromium(chromium: &Path, page: &Path, screenshot: &Path, profile: &Path) -> (String, String) {
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,4000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes as it runs, so that a full pipe cannot stall it.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || std::io::read_to_string(&mut stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(&mut stderr).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium took over two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (dom, log) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    assert!(status.success(), "chromium failed: {status}\n{log}");
    (dom, log)
}

/// Fails if the page wrote anything to the console. Chromium logs what a page writes there, and
/// every uncaught error, as `...:INFO:CONSOLE:1] "Uncaught ReferenceError: ...", source: file:///...`.
pub fn assert_no_console_output(log: &str) {
    let console: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("CONSOLE") || line.contains("Uncaught"))
        .collect();
    assert!(
        console.is_empty(),
        "the page wrote to the console:\n{}",
        console.join("\n")
    );
}
