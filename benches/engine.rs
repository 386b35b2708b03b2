//! Criterion benchmarks of the engine's parts and of whole replications.
//!
//! `cargo bench --bench engine` runs them all; see BENCHMARKS.md for results and for the
//! whole-process comparison with SimPy and Ciw (`benches/peers/compare.py`).

use std::hint::black_box;

use bcfsim::calendar::Calendar;
use bcfsim::model::distribution::Distribution;
use bcfsim::model::simulation::{run_replication, NoTrace};
use bcfsim::model::Model;
use bcfsim::random::{self, Purpose};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::Rng;

const DRAWS: u64 = 10_000;

/// The calendar in the steady state of an M/M/c simulation: `pending` events waiting, each one
/// taken out replaced by one scheduled a random time later.
fn calendar(c: &mut Criterion) {
    let mut group = c.benchmark_group("calendar");
    group.throughput(Throughput::Elements(DRAWS));
    for pending in [11usize, 1_000, 100_000] {
        group.bench_function(format!("hold_{pending}_pending"), |b| {
            let mut rng = random::stream(1, 0, Purpose::Duration(0));
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
            let mut rng = random::stream(1, 0, Purpose::Duration(0));
            b.iter(|| {
                let mut total = 0.0;
                for _ in 0..DRAWS {
                    total += distribution.sample(&mut rng);
                }
                total
            });
        });
    }
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

criterion_group!(benches, calendar, sampling, replications);
criterion_main!(benches);
