//! The floor under `bcfsim run benches/scenarios/perf-mmc.toml`: the same M/M/10 replications
//! written by hand, as a single-purpose program would be, on `std`'s binary heap and bcfsim's own
//! random streams (ChaCha8 for the arrivals, a key per patient and the patient's own draws), with
//! the statistics bcfsim keeps for the service (the wait, its histogram, occupancy by level, the
//! queue's area) and nothing else: no network, no patient records, no routing.
//!
//! `benches/peers/compare.py` times it as a whole process beside `bcfsim run`, and checks that it
//! prints, replication by replication, exactly the mean wait, 90th percentile wait, mean
//! occupancy and mean queue that bcfsim writes to `replications.csv`: the two do the same work.
//!
//! ```sh
//! cargo run --release --example mmc_floor -- 100 > floor.csv
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::Write;

use bcfsim::model::record::WaitHistogram;
use bcfsim::random::{self, Draw, Draws, Purpose};
use rand::{Rng, RngCore};
use rand_distr::Exp1;

/// The reference model of `benches/scenarios/perf-mmc.toml`.
const SEED: u64 = 1000;
const RATE_PER_DAY: f64 = 9.0;
const SERVERS: usize = 10;
const MEAN_SERVICE: f64 = 1.0;
const HORIZON: f64 = 1111.11;

const ARRIVAL: u8 = 0;
const DEPARTURE: u8 = 1;

/// One replication's statistics of the service.
struct Statistics {
    mean_wait: f64,
    p90_wait: f64,
    mean_occupancy: f64,
    mean_queue: f64,
}

fn replication(replication: u32) -> Statistics {
    let source = random::key("arrivals");
    let unit = random::key("unit");
    let mut arrivals = random::stream(SEED, replication, Purpose::Arrivals(source));
    let mut patients = random::individuals(SEED, replication, source);
    // Events ordered by time, ties by the order they were scheduled in; times are positive, so
    // their bits order as they do.
    let mut calendar: BinaryHeap<Reverse<(u64, u64, u8)>> = BinaryHeap::new();
    let mut scheduled = 0u64;
    let mut schedule = |calendar: &mut BinaryHeap<_>, time: f64, kind: u8| {
        calendar.push(Reverse((f64::to_bits(time), scheduled, kind)));
        scheduled += 1;
    };
    let mut queue: VecDeque<(f64, u64)> = VecDeque::new();
    let mut busy = 0usize;
    let (mut since, mut time_at_level) = (0.0, [0.0; SERVERS + 1]);
    let (mut entered, mut wait_sum, mut queue_area) = (0u64, 0.0, 0.0);
    let mut waits = WaitHistogram::default();

    let first = arrivals.sample::<f64, _>(Exp1) / RATE_PER_DAY;
    if first < HORIZON {
        schedule(&mut calendar, first, ARRIVAL);
    }
    while let Some(&Reverse((bits, _, kind))) = calendar.peek() {
        let now = f64::from_bits(bits);
        if now >= HORIZON {
            break;
        }
        calendar.pop();
        let mut start = |calendar: &mut BinaryHeap<_>, key: u64, wait: f64| {
            entered += 1;
            wait_sum += if wait > 0.0 { wait } else { 0.0 };
            waits.add(wait);
            let key = random::mix(key, unit);
            let duration = MEAN_SERVICE * Draws::new(key, Draw::Duration).sample::<f64, _>(Exp1);
            schedule(calendar, now + duration, DEPARTURE);
        };
        // Occupancy is accounted as bcfsim accounts it: whenever a patient takes or frees a place
        // (a departure that the queue's first patient replaces frees one and takes it again).
        let mut account = |busy: usize| {
            if now > since {
                time_at_level[busy] += now - since;
            }
            since = now;
        };
        if kind == ARRIVAL {
            let key = patients.next_u64();
            if busy < SERVERS {
                account(busy);
                busy += 1;
                start(&mut calendar, key, 0.0);
            } else {
                queue_area -= now;
                queue.push_back((now, key));
            }
            let next = now + arrivals.sample::<f64, _>(Exp1) / RATE_PER_DAY;
            if next < HORIZON {
                schedule(&mut calendar, next, ARRIVAL);
            }
        } else if let Some((arrived, key)) = queue.pop_front() {
            account(busy);
            queue_area += now;
            start(&mut calendar, key, now - arrived);
        } else {
            account(busy);
            busy -= 1;
        }
    }
    if HORIZON > since {
        time_at_level[busy] += HORIZON - since;
    }
    queue_area += queue.len() as f64 * HORIZON;
    Statistics {
        mean_wait: wait_sum / entered as f64,
        p90_wait: waits.quantile(0.9).expect("patients waited"),
        mean_occupancy: time_at_level.iter().enumerate().map(|(k, t)| k as f64 * t).sum::<f64>() / HORIZON,
        mean_queue: queue_area / HORIZON,
    }
}

fn main() {
    let replications: u32 = std::env::args()
        .nth(1)
        .map_or(100, |n| n.parse().expect("the number of replications"));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "replication,mean_wait,p90_wait,mean_occupancy,mean_queue").expect("stdout");
    for r in 0..replications {
        let s = replication(r);
        writeln!(
            out,
            "{r},{},{},{},{}",
            s.mean_wait, s.p90_wait, s.mean_occupancy, s.mean_queue
        )
        .expect("stdout");
    }
}
