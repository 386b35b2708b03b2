//! Criterion benchmarks of the engine's parts and of whole replications.
//!
//! `cargo bench --bench engine` runs them all; see BENCHMARKS.md for results and for the
//! whole-process comparison with SimPy and Ciw (`benches/peers/compare.py`).

use std::collections::VecDeque;
use std::hint::black_box;

use bcfsim::calendar::Calendar;
use bcfsim::model::distribution::Distribution;
use bcfsim::model::simulation::{run_replication, NoTrace};
use bcfsim::model::Model;
use bcfsim::random::{self, Draw, Draws, Purpose};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, RngCore};
use rand_distr::Exp1;

const DRAWS: u64 = 10_000;

/// The calendar in the steady state of an M/M/c simulation: `pending` events waiting, each one
/// taken out replaced by one scheduled a random time later.
fn calendar(c: &mut Criterion) {
    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(DRAWS));
    for pending in [11usize, 1_000, 10_000, 100_000] {
        group.bench_function(format!("hold_{pending}_pending"), |b| {
            let mut rng = random::stream(1, 0, Purpose::Arrivals(0));
            let mut calendar: Calendar<u32> = Calendar::new();
            for _ in 0..pending {
                calendar.schedule(rng.random::<f64>(), 0u32);
            }
            b.iter(|| {
                for _ in 0..DRAWS {
                    let event = calendar.next_before(f64::INFINITY).expect("never empty");
                    let now = calendar.now();
                    calendar.schedule(now + rng.random::<f64>(), black_box(event));
                }
            });
        });
    }
    group.finish();
}

fn sampling(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampling");
    group.throughput(Throughput::Elements(DRAWS));
    let distributions = [
        ("fixed", Distribution::Fixed(1.0)),
        ("exponential", Distribution::Exponential { mean: 1.0 }),
        ("lognormal", Distribution::lognormal_from_mean_sd(5.0, 3.0)),
        ("gamma", Distribution::gamma_from_mean_sd(5.0, 3.0).unwrap()),
        ("weibull", Distribution::weibull(1.5, 5.0)),
        ("erlang", Distribution::erlang(3, 5.0).unwrap()),
        (
            "empirical",
            Distribution::empirical(vec![1.0, 2.0, 3.0, 5.0, 8.0], &[1.0, 2.0, 3.0, 2.0, 1.0]),
        ),
    ];
    for (name, distribution) in distributions {
        group.bench_function(name, |b| {
            let mut rng = Draws::new(1, Draw::Duration);
            b.iter(|| {
                let mut total = 0.0;
                for _ in 0..DRAWS {
                    total += distribution.sample(&mut rng);
                }
                total
            });
        });
    }
    group.bench_function("exponential-fresh-draws-per-patient", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for key in 0..DRAWS {
                let key = random::mix(black_box(key), 17);
                total += Distribution::Exponential { mean: 1.0 }.sample(&mut Draws::new(key, Draw::Duration));
            }
            total
        });
    });
    group.finish();
}

fn load(name: &str, text: &str) -> Model {
    bcfsim::scenario::load_text(name, text, &[]).expect("the benchmark scenarios are valid")
}

/// One replication of each reference model, counted in events per second.
fn replications(c: &mut Criterion) {
    let models = [
        (
            "perf-mmc",
            load("perf-mmc.toml", include_str!("scenarios/perf-mmc.toml")),
        ),
        (
            "perf-blocking",
            load("perf-blocking.toml", include_str!("scenarios/perf-blocking.toml")),
        ),
        (
            "default-county",
            load("leicestershire.toml", include_str!("../scenarios/leicestershire.toml")),
        ),
    ];
    let mut group = c.benchmark_group("replication");
    group.sample_size(20);
    for (name, model) in &models {
        let events = run_replication(model, 0, NoTrace).expect("stable").0.events;
        group.throughput(Throughput::Elements(events));
        group.bench_function(*name, |b| {
            b.iter(|| run_replication(model, 0, NoTrace).expect("stable").0.events);
        });
    }
    group.finish();
}

/// The floor under `replication/perf-mmc`: the same M/M/10 replication written by hand, with
/// bcfsim's calendar and random numbers (a stream of arrivals, a key per patient and the patient's
/// own draws) but no network, patients or statistics beyond the mean wait. The gap between the two
/// is the price of the general engine.
fn hand_written_mmc(c: &mut Criterion) {
    const RATE: f64 = 9.0;
    const SERVERS: u32 = 10;
    const HORIZON: f64 = 1111.11;
    let replication = || {
        let mut arrivals = random::stream(1000, 0, Purpose::Arrivals(0));
        let mut patients = random::individuals(1000, 0, 0);
        let mut duration = || {
            let key = random::mix(patients.next_u64(), 1);
            Draws::new(key, Draw::Duration).sample::<f64, _>(Exp1)
        };
        let mut calendar: Calendar<bool, 2> = Calendar::new();
        let (mut busy, mut queue, mut waited, mut served) = (0, VecDeque::new(), 0.0, 0u64);
        calendar.schedule_in(1, arrivals.sample::<f64, _>(Exp1) / RATE, true);
        while let Some(is_arrival) = calendar.next_before(HORIZON) {
            let now = calendar.now();
            if is_arrival {
                if busy < SERVERS {
                    busy += 1;
                    served += 1;
                    calendar.schedule(now + duration(), false);
                } else {
                    queue.push_back(now);
                }
                calendar.schedule_in(1, now + arrivals.sample::<f64, _>(Exp1) / RATE, true);
            } else if let Some(arrived) = queue.pop_front() {
                waited += now - arrived;
                served += 1;
                calendar.schedule(now + duration(), false);
            } else {
                busy -= 1;
            }
        }
        waited / served as f64
    };
    let mut group = c.benchmark_group("replication");
    group.sample_size(20);
    group.bench_function("perf-mmc-hand-written", |b| b.iter(replication));
    group.finish();
}

/// A legal file under 1 MiB with 10,000 services in a line and 64 cohorts: validation must stay
/// near-linear in the file's size (it took minutes when a check was quadratic).
fn validation(c: &mut Criterion) {
    let services: Vec<String> = (0..10_000)
        .map(|i| {
            let next = if i + 1 < 10_000 {
                format!("s{}", i + 1)
            } else {
                "out".to_owned()
            };
            format!(r#"{{id="s{i}",capacity=2,duration={{dist="fixed",value=0.001}},routes=[{{to="{next}",p=1}}]}}"#)
        })
        .collect();
    let mix: Vec<String> = (0..64).map(|k| format!(r#"{{cohort="c{k}",p=0.015625}}"#)).collect();
    let cohorts: String = (0..64).map(|k| format!("[[cohort]]\nid = \"c{k}\"\n")).collect();
    let text = format!(
        "service = [{}]\n[simulation]\nname = \"big\"\nhorizon_days = 10\n{cohorts}[[source]]\nid = \"in\"\n\
         rate_per_day = 1\nto = \"s0\"\ncohorts = [{}]\n[[exit]]\nid = \"out\"\n",
        services.join(","),
        mix.join(",")
    );
    assert!(text.len() < 1 << 20, "{} bytes", text.len());
    let mut group = c.benchmark_group("validation");
    group.sample_size(10);
    group.bench_function("10000-services-64-cohorts", |b| b.iter(|| load("big.toml", &text)));
    group.finish();
}

criterion_group!(benches, calendar, sampling, replications, hand_written_mmc, validation);
criterion_main!(benches);
