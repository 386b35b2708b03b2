//! Expected work, computed from the inputs before a run, only to warn the user (a run that will
//! take hours, a queue that must grow without limit). Metrics never come from here: they are
//! counted from simulated patients.

use super::{ArrivalProcess, Network, NodeIndex, NodeKind, RunSettings, Service};

/// A service offered more work than its capacity, with an unlimited queue and no reneging: its
/// queue grows without limit.
#[derive(Clone, Debug, PartialEq)]
pub struct Overload {
    /// The service.
    pub node: NodeIndex,
    /// Patients reaching it per day, if every earlier service admitted everyone.
    pub arrivals_per_day: f64,
    /// Places needed on average: arrivals per day times the mean stay.
    pub offered: f64,
    /// Places available on average.
    pub capacity: f64,
}

/// Expected arrivals per replication over the whole horizon, warm-up included.
pub fn expected_arrivals(network: &Network, run: &RunSettings) -> f64 {
    network
        .sources
        .iter()
        .map(|source| run.horizon_days * mean_rate(&source.arrivals, run.horizon_days))
        .sum()
}

fn mean_rate(arrivals: &ArrivalProcess, horizon: f64) -> f64 {
    match arrivals {
        ArrivalProcess::Renewal { interarrival, speed } => speed / interarrival.mean(),
        ArrivalProcess::Dated { daily, .. } => daily.iter().sum::<f64>() / daily.len().max(1) as f64,
        ArrivalProcess::Poisson { rate_per_day, profile } => {
            let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
            rate_per_day
                * profile.as_ref().map_or(1.0, |p| {
                    mean(&p.hour) * mean(&p.weekday) * mean(&p.month) * p.growth(horizon / 2.0)
                })
        }
    }
}

/// The mean stay of a patient of `cohort` at `service`, over the routes it may take there.
pub fn mean_stay(service: &Service, cohort: usize) -> f64 {
    let cumulative = service.routes[cohort].choices.iter().map(|choice| choice.cumulative);
    shares(cumulative)
        .enumerate()
        .map(|(route, share)| share * service.duration_for(cohort, Some(route)).mean())
        .sum()
}

/// The probabilities of a table stored cumulatively (ending at 1).
pub fn shares(cumulative: impl Iterator<Item = f64>) -> impl Iterator<Item = f64> {
    cumulative.scan(0.0, |previous, c| {
        let share = c - *previous;
        *previous = c;
        Some(share)
    })
}

/// Services whose queue must grow without limit: the arrival rate into each node and cohort is
/// found by pushing the sources' flows along the routes until they settle (validation ensures
/// every loop has a way out), ignoring losses, reneging and `on_full`, so it is an upper bound.
pub fn overloaded_services(network: &Network, run: &RunSettings) -> Vec<Overload> {
    let cohorts = network.cohorts.len();
    let nodes = network.nodes.len();
    let mut external = vec![0.0; nodes * cohorts];
    for source in &network.sources {
        let rate = mean_rate(&source.arrivals, run.horizon_days);
        for (cohort, share) in shares(source.cohort_mix.iter().copied()).enumerate() {
            external[source.to as usize * cohorts + cohort] += rate * share;
        }
    }
    let mut flow = external.clone();
    for _ in 0..10_000 {
        let mut next = external.clone();
        for (node, n) in network.nodes.iter().enumerate() {
            let NodeKind::Service(service) = &n.kind else { continue };
            for (cohort, table) in service.routes.iter().enumerate() {
                let cumulative = table.choices.iter().map(|choice| choice.cumulative);
                for (choice, share) in table.choices.iter().zip(shares(cumulative)) {
                    next[choice.to as usize * cohorts + cohort] += flow[node * cohorts + cohort] * share;
                }
            }
        }
        let settled = next
            .iter()
            .zip(&flow)
            .all(|(a, b)| (a - b).abs() <= 1e-9 * a.abs().max(1.0));
        flow = next;
        if settled {
            break;
        }
    }
    let mut overloaded = Vec::new();
    for (node, n) in network.nodes.iter().enumerate() {
        let NodeKind::Service(service) = &n.kind else { continue };
        let places = &network.places[service.places as usize];
        let unlimited_queue = service.queue_limit.is_none() && service.reneging.is_none();
        let Some(capacity) = places
            .mean_capacity()
            .filter(|_| places.members.len() == 1 && unlimited_queue)
        else {
            continue;
        };
        let (mut arrivals, mut offered) = (0.0, 0.0);
        for cohort in 0..service.routes.len() {
            let rate = flow[node * cohorts + cohort];
            if rate <= 0.0 {
                continue;
            }
            arrivals += rate;
            offered += rate * mean_stay(service, cohort) * service.units_on(cohort, 0) as f64;
        }
        if arrivals > 0.0 && offered >= capacity {
            overloaded.push(Overload {
                node: node as NodeIndex,
                arrivals_per_day: arrivals,
                offered,
                capacity,
            });
        }
    }
    overloaded
}

/// How many mean stays a service needs, from empty, to fill: an M/G/∞ with exponential stays
/// reaches 1 − e⁻³ = 95 % of its steady number in three.
pub const MEAN_STAYS_TO_FILL: f64 = 3.0;

/// A service whose key numbers a run's warm-up is too short to let settle, by a rule of thumb
/// cheap to know before running: those the BCF metrics wait for (or, without metrics, every
/// service with limited places) need [`MEAN_STAYS_TO_FILL`] mean stays to fill from empty. The
/// one needing most, with the days it needs, if that is more than the warm-up; `None` when the
/// run starts from a census.
pub fn short_warmup(network: &Network, run: &RunSettings) -> Option<(NodeIndex, f64)> {
    if !network.initial.is_empty() {
        return None;
    }
    let key = if network.records_months() {
        network.delay_causes()
    } else {
        network.limited_services()
    };
    key.into_iter()
        .filter_map(|node| {
            let n = &network.nodes[node as usize];
            let service = n.service()?;
            let stay = n
                .reached_by
                .iter()
                .map(|&cohort| mean_stay(service, cohort as usize))
                .fold(0.0, f64::max);
            Some((node, MEAN_STAYS_TO_FILL * stay))
        })
        .filter(|&(_, days)| days > run.warmup_days)
        .max_by(|a, b| a.1.total_cmp(&b.1))
}
