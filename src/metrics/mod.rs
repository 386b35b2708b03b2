//! Statistics computed from what replications recorded: per-service figures for one replication,
//! and summaries (mean, 95 % confidence interval, percentiles) across replications. Pure
//! functions: nothing here runs the simulation or touches files.

pub mod bcf;
pub mod costs;
pub mod trajectory;

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::model::record::{NodeRecord, Record};
use crate::model::{Model, Network, NodeKind};
pub use bcf::Named;

/// The statistics of one replication, in network order.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationResult {
    /// The replication's index, which alone (with the seed) fixes its random streams.
    pub replication: u32,
    /// Events processed, warm-up included.
    pub events: u64,
    /// The most patients in the system at once.
    pub peak_in_system: usize,
    /// One entry per service, in the network's node order.
    pub services: Vec<ServiceStatistics>,
    /// Patients leaving by each exit, in the network's node order.
    pub exits: Vec<u64>,
    /// BCF metrics, staffing and costs over the observation window (`metrics.*`, `staffing.*`,
    /// `costs.*`).
    pub metrics: Vec<Named>,
    /// The same, month by month (`YYYY-MM`), counted over each month.
    pub months: Vec<(String, Vec<Named>)>,
    /// The BCF metrics of every month, quarter, financial year and year to date observed in
    /// full, counted over the period (see [`trajectory`]); the same periods and metrics in every
    /// replication of a model.
    pub periods: Vec<(trajectory::Period, Vec<Named>)>,
    /// The numbers of the run's series services at each midnight of the observation window, as
    /// [`Record::series`] has them.
    pub series: Vec<u32>,
    /// People each staff group needed on shift on each day of the observation window, by day and
    /// then group: the day's needed minutes over a shift's productive minutes.
    pub staff_on_shift: Vec<f64>,
}

/// One service's statistics over one replication's observation window. `None` where the
/// statistic is undefined (e.g. mean wait when nobody entered).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceStatistics {
    /// Patients who reached the service, overflowed ones included.
    pub arrivals: u64,
    /// Patients who finished service and left.
    pub completions: u64,
    /// Arrivals that found no room.
    pub overflowed: u64,
    /// Patients who gave up waiting.
    pub reneged: u64,
    /// Percent of those who entered whose wait was above zero.
    pub waited_pct: Option<f64>,
    /// Mean wait in the queue of those who entered, zeros included, in days.
    pub mean_wait: Option<f64>,
    /// 90th percentile of that wait, in days.
    pub p90_wait: Option<f64>,
    /// Mean service time of completions, in days.
    pub mean_service: Option<f64>,
    /// Mean time completions spent blocked after service, in days.
    pub mean_blocked: Option<f64>,
    /// Time-average number of places in use, blocked ones included.
    pub mean_occupancy: f64,
    /// Time-average number of patients in the queue.
    pub mean_queue: f64,
    /// Time-average number of patients held upstream, having finished service elsewhere,
    /// waiting for a place here (for an acute hospital's next services: its delayed patients).
    pub mean_blocked_waiting: f64,
    /// Mean occupancy as a percent of the (weekly average) capacity; `None` for unlimited, zero or
    /// pooled capacity.
    pub utilisation_pct: Option<f64>,
    /// Share of time with at least k places in use, for k = 1, 2, … (index k − 1).
    pub occupancy_at_least: Vec<f64>,
    /// Per cohort that can reach the service (in the order of the node's `reached_by`), when the
    /// network has more than one cohort.
    pub by_cohort: Vec<CohortStatistics>,
}

/// One cohort's statistics at one service over one replication's observation window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CohortStatistics {
    /// Patients of the cohort who reached the service.
    pub arrivals: u64,
    /// Their mean service time, in days.
    pub mean_service: Option<f64>,
    /// Their mean wait in the queue, in days.
    pub mean_wait: Option<f64>,
}

impl CohortStatistics {
    /// The statistics' output names, in output order.
    pub const NAMES: [&'static str; 3] = ["arrivals", "mean_service", "mean_wait"];

    /// The statistics, in the order of [`Self::NAMES`].
    pub fn scalars(&self) -> [Option<f64>; 3] {
        [Some(self.arrivals as f64), self.mean_service, self.mean_wait]
    }
}

impl ServiceStatistics {
    /// The scalar statistics with their output names, in output order (see [`Self::NAMES`]).
    pub fn scalars(&self) -> [(&'static str, Option<f64>); 13] {
        [
            ("arrivals", Some(self.arrivals as f64)),
            ("completions", Some(self.completions as f64)),
            ("overflowed", Some(self.overflowed as f64)),
            ("reneged", Some(self.reneged as f64)),
            ("waited_pct", self.waited_pct),
            ("mean_wait", self.mean_wait),
            ("p90_wait", self.p90_wait),
            ("mean_service", self.mean_service),
            ("mean_blocked", self.mean_blocked),
            ("mean_occupancy", Some(self.mean_occupancy)),
            ("mean_queue", Some(self.mean_queue)),
            ("mean_blocked_waiting", Some(self.mean_blocked_waiting)),
            ("utilisation_pct", self.utilisation_pct),
        ]
    }
}

fn ratio(numerator: f64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator / denominator as f64)
}

/// Computes one replication's statistics from its record.
pub fn replication_result(model: &Model, replication: u32, record: &Record) -> ReplicationResult {
    let network = &model.network;
    let mut services = Vec::new();
    let mut exits = Vec::new();
    for (node, observed) in network.nodes.iter().zip(&record.nodes) {
        match &node.kind {
            NodeKind::Exit => exits.push(observed.arrivals),
            NodeKind::Service(service) => {
                // Utilisation of a service drawing on a shared pool is the pool's, not its own, and
                // capacity from staff is staff time, reported under staffing.
                let places = &network.places[service.places as usize];
                let capacity = (places.members.len() == 1 && service.staffed_by.is_none())
                    .then(|| places.mean_capacity())
                    .flatten();
                let mut statistics = service_statistics(observed, capacity, record.observed_days);
                statistics.by_cohort = node
                    .reached_by
                    .iter()
                    .filter_map(|&cohort| observed.by_cohort.get(cohort as usize))
                    .map(|cohort| CohortStatistics {
                        arrivals: cohort.arrivals,
                        mean_service: ratio(cohort.service_sum, cohort.completions),
                        mean_wait: ratio(cohort.wait_sum, cohort.entered),
                    })
                    .collect();
                services.push(statistics)
            }
        }
    }
    let mut metrics = bcf::replication_metrics(network, record);
    metrics.extend(costs::costs(network, &services, &exits, &metrics, record.observed_days));
    let months = bcf::monthly_metrics(network, &model.run, record);
    ReplicationResult {
        replication,
        events: record.events,
        peak_in_system: record.peak_in_system,
        services,
        exits,
        metrics,
        periods: trajectory::periods(network, &model.run, record, &months),
        months,
        series: record.series.clone(),
        staff_on_shift: staff_on_shift(network, record),
    }
}

fn staff_on_shift(network: &Network, record: &Record) -> Vec<f64> {
    let days = record.staff_days.first().map_or(0, Vec::len);
    (0..days)
        .flat_map(|day| {
            network
                .staff
                .iter()
                .zip(&record.staff_days)
                .map(move |(group, days)| days[day].needed.minutes / group.productive_minutes_per_shift)
        })
        .collect()
}

fn service_statistics(record: &NodeRecord, capacity: Option<f64>, observed_days: f64) -> ServiceStatistics {
    let level_time = &record.time_at_level;
    let mean_occupancy = level_time.iter().enumerate().map(|(k, t)| k as f64 * t).sum::<f64>() / observed_days;
    let mut at_least = 0.0;
    let mut occupancy_at_least: Vec<f64> = level_time
        .iter()
        .skip(1)
        .rev()
        .map(|t| {
            at_least += t;
            at_least / observed_days
        })
        .collect();
    occupancy_at_least.reverse();
    ServiceStatistics {
        arrivals: record.arrivals,
        completions: record.completions,
        overflowed: record.overflowed,
        reneged: record.reneged,
        waited_pct: ratio(100.0 * record.waited as f64, record.entered),
        mean_wait: ratio(record.wait_sum, record.entered),
        p90_wait: record.waits.quantile(0.9),
        mean_service: ratio(record.service_sum, record.completions),
        mean_blocked: ratio(record.blocked_sum, record.completions),
        mean_occupancy,
        mean_queue: record.queue_area / observed_days,
        mean_blocked_waiting: record.blocked_waiting_area / observed_days,
        utilisation_pct: capacity.filter(|&c| c > 0.0).map(|c| 100.0 * mean_occupancy / c),
        occupancy_at_least,
        by_cohort: Vec::new(),
    }
}

/// A statistic across replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of replications in which the statistic was defined.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// 95 % confidence interval of the mean (Student t); `None` with fewer than two values.
    pub ci95: Option<(f64, f64)>,
    /// 10th percentile across replications.
    pub p10: f64,
    /// 25th percentile across replications.
    pub p25: f64,
    /// Median across replications.
    pub p50: f64,
    /// 75th percentile across replications.
    pub p75: f64,
    /// 90th percentile across replications.
    pub p90: f64,
}

/// The two-sided Student t critical value for `confidence` (e.g. 0.95) with `n` − 1 degrees of
/// freedom; `None` for fewer than two values.
pub fn t_critical(confidence: f64, n: usize) -> Option<f64> {
    if n < 2 {
        return None;
    }
    // A run summarises thousands of statistics over the same number of replications, and the
    // quantile costs microseconds of iteration, so the last one computed is kept.
    thread_local! {
        static LAST: std::cell::Cell<(u64, usize, f64)> = const { std::cell::Cell::new((0, 0, f64::NAN)) };
    }
    LAST.with(|last| {
        let (confidence_bits, degrees, t) = last.get();
        if confidence_bits == confidence.to_bits() && degrees == n - 1 {
            return Some(t);
        }
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
            .expect("degrees of freedom are positive")
            .inverse_cdf(0.5 + confidence / 2.0);
        last.set((confidence.to_bits(), n - 1, t));
        Some(t)
    })
}

/// The 95 % Wilson score interval of a share: `successes` of `n` (`[0, 1]` when `n` is 0). Unlike
/// the normal approximation it stays within 0 to 1 and is honest near them, where targets are.
pub fn share_ci95(successes: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054;
    let (k, n) = (successes as f64, n as f64);
    let share = k / n;
    let denominator = 1.0 + z * z / n;
    let centre = (share + z * z / (2.0 * n)) / denominator;
    let half = z * (share * (1.0 - share) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The mean and the half-width of its two-sided `confidence` interval.
pub fn mean_and_half_width(values: &[f64], confidence: f64) -> (f64, Option<f64>) {
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let half_width = t_critical(confidence, n).map(|t| {
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        t * (variance / n as f64).sqrt()
    });
    (mean, half_width)
}

/// The mean of values given one at a time and the spread around it (Welford's method), so a
/// summary over any number of replications takes constant memory.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Running {
    n: usize,
    mean: f64,
    squares: f64,
}

impl Running {
    /// Adds a value; an undefined one (`None`) is left out, as [`Summary::of`] leaves it out.
    pub fn push(&mut self, value: Option<f64>) {
        let Some(value) = value else { return };
        self.n += 1;
        let delta = value - self.mean;
        self.mean += delta / self.n as f64;
        self.squares += delta * (value - self.mean);
    }

    /// The mean and its 95 % confidence interval (Student t; `None` with one value, `[mean, mean]`
    /// when every value is the same), or `None` if no value was defined.
    pub fn mean_ci95(&self) -> Option<(f64, Option<(f64, f64)>)> {
        if self.n == 0 {
            return None;
        }
        let half_width =
            t_critical(0.95, self.n).map(|t| t * (self.squares / (self.n - 1) as f64 / self.n as f64).sqrt());
        Some((self.mean, half_width.map(|h| (self.mean - h, self.mean + h))))
    }
}

/// The `q`-quantile of sorted `values` by linear interpolation between order statistics.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

impl Summary {
    /// Summarises the defined values (in replication order); `None` if there are none.
    pub fn of(values: impl IntoIterator<Item = Option<f64>>) -> Option<Summary> {
        Summary::of_values(&mut values.into_iter().flatten().collect::<Vec<f64>>())
    }

    /// Summarises `values`, all defined (in replication order), sorting them where they are;
    /// `None` if there are none.
    pub fn of_values(sorted: &mut [f64]) -> Option<Summary> {
        if sorted.is_empty() {
            return None;
        }
        // The mean is summed in replication order, before sorting, so that it does not depend on
        // how the values compare; values that compare equal are the same bits, so an unstable
        // sort orders them as a stable one would.
        let (mean, half_width) = mean_and_half_width(sorted, 0.95);
        sorted.sort_unstable_by(f64::total_cmp);
        Some(Summary {
            n: sorted.len(),
            mean,
            ci95: half_width.map(|h| (mean - h, mean + h)),
            p10: quantile(sorted, 0.1),
            p25: quantile(sorted, 0.25),
            p50: quantile(sorted, 0.5),
            p75: quantile(sorted, 0.75),
            p90: quantile(sorted, 0.9),
        })
    }
}

/// A number by day summarised across replications, as the by-day files and charts show it: its
/// mean and 10th, 50th and 90th percentiles (a [`Summary`] less what they do not show, so that a
/// run following many services over many days holds a third of the memory).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// The mean across replications.
    pub mean: f64,
    /// 10th percentile across replications.
    pub p10: f64,
    /// Median across replications.
    pub p50: f64,
    /// 90th percentile across replications.
    pub p90: f64,
}

impl From<Summary> for Band {
    fn from(summary: Summary) -> Band {
        Band {
            mean: summary.mean,
            p10: summary.p10,
            p50: summary.p50,
            p90: summary.p90,
        }
    }
}

/// A named statistic: its path (e.g. `services.ward.mean_wait`) and its value in each replication.
pub type Column = (String, Vec<Option<f64>>);

/// The names of a run's statistics in output order, apart from the occupancy distributions,
/// whose length differs from replication to replication: for each service its own statistics
/// (then, in the output, its occupancy distribution), and then those of exits and the metrics.
/// The same for every replication of a model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Per service, in node order: its id and the paths of its statistics.
    pub services: Vec<(String, Vec<String>)>,
    /// The paths of the exits' counts, then of the metrics and staffing.
    pub tail: Vec<String>,
}

impl Layout {
    /// The layout of `network`'s statistics, with metric names as in `result` (any replication).
    pub fn of(network: &Network, result: &ReplicationResult) -> Layout {
        let services = network
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Service(_)))
            .map(|node| {
                let mut names: Vec<String> = ServiceStatistics::NAMES
                    .iter()
                    .map(|name| format!("services.{}.{name}", node.id))
                    .collect();
                if network.cohorts.len() > 1 {
                    for &cohort in &node.reached_by {
                        let cohort_id = &network.cohorts[cohort as usize].id;
                        for name in CohortStatistics::NAMES {
                            names.push(format!("services.{}.by_cohort.{cohort_id}.{name}", node.id));
                        }
                    }
                }
                (node.id.clone(), names)
            })
            .collect();
        let exits = network
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Exit))
            .map(|node| format!("exits.{}.count", node.id));
        let tail = exits
            .chain(result.metrics.iter().map(|(name, _)| name.clone()))
            .collect();
        Layout { services, tail }
    }

    /// The path of level `level` (from 1) of service `service`'s occupancy distribution.
    pub fn occupancy_name(&self, service: usize, level: usize) -> String {
        format!("services.{}.occupancy_at_least.{level}", self.services[service].0)
    }

    /// The level whose [`Layout::occupancy_name`] for service `service` is `path`, if it is one.
    pub fn occupancy_level(&self, service: usize, path: &str) -> Option<usize> {
        let level = path
            .strip_prefix("services.")?
            .strip_prefix(self.services[service].0.as_str())?
            .strip_prefix(".occupancy_at_least.")?;
        let parsed: usize = level.parse().ok()?;
        (parsed.to_string() == level).then_some(parsed)
    }

    /// How many values [`ReplicationResult::fixed_values`] gives.
    pub fn fixed_len(&self) -> usize {
        self.services.iter().map(|(_, names)| names.len()).sum::<usize>() + self.tail.len()
    }
}

impl ServiceStatistics {
    /// The scalar statistics' output names, in the order of [`ServiceStatistics::scalars`].
    pub const NAMES: [&'static str; 13] = [
        "arrivals",
        "completions",
        "overflowed",
        "reneged",
        "waited_pct",
        "mean_wait",
        "p90_wait",
        "mean_service",
        "mean_blocked",
        "mean_occupancy",
        "mean_queue",
        "mean_blocked_waiting",
        "utilisation_pct",
    ];
}

impl ReplicationResult {
    /// The statistics of this replication in the order of its [`Layout`]'s names (services'
    /// statistics, then exits and metrics), without the occupancy distributions.
    pub fn fixed_values(&self) -> Vec<Option<f64>> {
        let services = self.services.iter().flat_map(|service| {
            let cohorts = service.by_cohort.iter().flat_map(CohortStatistics::scalars);
            service.scalars().into_iter().map(|(_, value)| value).chain(cohorts)
        });
        let exits = self.exits.iter().map(|&count| Some(count as f64));
        services
            .chain(exits)
            .chain(self.metrics.iter().map(|(_, value)| *value))
            .collect()
    }

    /// Every statistic of this replication, in output order: each service's own, then its
    /// occupancy distribution up to the most places it had in use, then exits and metrics.
    pub fn statistics(&self, layout: &Layout) -> Vec<(String, Option<f64>)> {
        let values = self.fixed_values();
        let mut values = values.into_iter();
        let mut out = Vec::with_capacity(layout.fixed_len());
        for (s, (_, names)) in layout.services.iter().enumerate() {
            out.extend(names.iter().cloned().zip(values.by_ref()));
            for (k, share) in self.services[s].occupancy_at_least.iter().enumerate() {
                out.push((layout.occupancy_name(s, k + 1), Some(*share)));
            }
        }
        out.extend(layout.tail.iter().cloned().zip(values));
        out
    }
}

/// Every statistic of `results`, as columns of per-replication values in output order. Levels of
/// `occupancy_at_least` a replication never reached count as 0 there.
pub fn columns(network: &Network, results: &[ReplicationResult]) -> Vec<Column> {
    let Some(first) = results.first() else {
        return Vec::new();
    };
    let layout = Layout::of(network, first);
    let values: Vec<Vec<Option<f64>>> = results.iter().map(ReplicationResult::fixed_values).collect();
    let mut fixed = 0;
    let column = |fixed: &mut usize| {
        let k = *fixed;
        *fixed += 1;
        values.iter().map(|v| v[k]).collect::<Vec<_>>()
    };
    let mut columns = Vec::new();
    for (s, (_, names)) in layout.services.iter().enumerate() {
        for name in names {
            columns.push((name.clone(), column(&mut fixed)));
        }
        let levels = results
            .iter()
            .map(|r| r.services[s].occupancy_at_least.len())
            .max()
            .unwrap_or(0);
        for level in 0..levels {
            let shares = results
                .iter()
                .map(|r| Some(r.services[s].occupancy_at_least.get(level).copied().unwrap_or(0.0)))
                .collect();
            columns.push((layout.occupancy_name(s, level + 1), shares));
        }
    }
    for name in &layout.tail {
        columns.push((name.clone(), column(&mut fixed)));
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_matches_hand_calculation() {
        let summary = Summary::of([1.0, 2.0, 3.0, 4.0, 5.0].map(Some)).unwrap();
        assert_eq!(summary.mean, 3.0);
        assert_eq!(summary.p50, 3.0);
        assert!((summary.p10 - 1.4).abs() < 1e-12);
        assert!((summary.p90 - 4.6).abs() < 1e-12);
        // sd = sqrt(2.5), t(0.975, 4) = 2.776445105
        let half_width = 2.776_445_105 * (2.5f64 / 5.0).sqrt();
        let (low, high) = summary.ci95.unwrap();
        assert!((high - 3.0 - half_width).abs() < 1e-6 && (3.0 - low - half_width).abs() < 1e-6);
        assert_eq!(Summary::of([Some(2.0), None]).unwrap().ci95, None);
        assert_eq!(Summary::of([None]), None);
    }

    #[test]
    fn running_mean_and_interval_are_the_summary_s() {
        let values = [
            Some(1e9 + 1.0),
            None,
            Some(1e9 + 2.0),
            Some(1e9 + 3.0),
            Some(1e9 + 4.0),
            Some(1e9 + 5.0),
        ];
        let mut running = Running::default();
        values.iter().for_each(|&v| running.push(v));
        let summary = Summary::of(values).unwrap();
        let (mean, ci) = running.mean_ci95().unwrap();
        let ((low, high), (s_low, s_high)) = (ci.unwrap(), summary.ci95.unwrap());
        // Near 1e9 the two sums round differently in the last bits (1e9 × 2^-52 ≈ 2e-7).
        assert!((mean - summary.mean).abs() < 1e-6 && (low - s_low).abs() < 1e-6 && (high - s_high).abs() < 1e-6);
        let mut constant = Running::default();
        constant.push(Some(4.0));
        assert_eq!(constant.mean_ci95(), Some((4.0, None)));
        constant.push(Some(4.0));
        assert_eq!(constant.mean_ci95(), Some((4.0, Some((4.0, 4.0)))));
        assert_eq!(Running::default().mean_ci95(), None);
    }

    #[test]
    fn wilson_interval_by_hand() {
        // 8 of 10: centre (0.8 + 1.92/10) / 1.384 = 0.7168, half 0.2268 (Wilson's worked values).
        let (low, high) = share_ci95(8, 10);
        assert!(
            (low - 0.4902).abs() < 1e-4 && (high - 0.9433).abs() < 1e-4,
            "{low} {high}"
        );
        let (low, high) = share_ci95(20, 20);
        assert!(high == 1.0 && (low - 0.8389).abs() < 1e-4, "{low}");
        assert_eq!(share_ci95(0, 0), (0.0, 1.0));
    }
}
