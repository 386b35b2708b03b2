//! The Better Care Fund metrics and staffing, computed from the counts a replication recorded as
//! patients flowed. Metrics find the parts of the network by tags (roles), never by node ids.

use crate::calendar::{Clock, Date};
use crate::model::record::{MonthRecord, Record, StaffDay};
use crate::model::{Network, Roles, RunSettings};

/// A named value; `None` where undefined (e.g. a percentage of nobody).
pub type Named = (String, Option<f64>);

const DAYS_PER_YEAR: f64 = 365.0;

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

fn per_100k(count: f64, population: Option<f64>) -> Option<f64> {
    population.map(|p| count / p * 100_000.0)
}

/// The metrics that apply to `network`: which ones depends on the roles its tags give and on
/// whether it states a population.
fn applies(network: &Network, role: Roles) -> bool {
    network.nodes.iter().any(|n| n.roles.has(role))
}

/// The BCF metrics over `months` (and staffing over `staff_days`), rates annualised over the
/// months' observed days. Paths are `metrics.<name>` and `staffing.<group>.<statistic>`.
fn metric_values(network: &Network, months: &[&MonthRecord], staff_days: &[Vec<StaffDay>]) -> Vec<Named> {
    let days: f64 = months.iter().map(|m| m.observed_days).sum();
    let sum = |f: &dyn Fn(&MonthRecord) -> u64| months.iter().map(|m| f(m)).sum::<u64>();
    let per_year = |count: u64| (days > 0.0).then(|| count as f64 * DAYS_PER_YEAR / days);
    let population = network.population.as_ref();
    let mut out: Vec<Named> = Vec::new();
    let mut push = |name: &str, value: Option<f64>| out.push((format!("metrics.{name}"), value));

    if applies(network, Roles::ACUTE) {
        let admissions = per_year(sum(&|m| m.admissions));
        push("non_elective_admissions", admissions);
        push(
            "non_elective_admissions_per_100k",
            admissions.and_then(|a| per_100k(a, population.map(|p| p.total))),
        );
        let acsc = per_year(sum(&|m| m.acsc_admissions));
        push(
            "acsc_admissions_per_100k",
            acsc.and_then(|a| per_100k(a, population.map(|p| p.total))),
        );
        let discharges = sum(&|m| m.acute_discharges);
        push(
            "discharged_usual_residence_pct",
            percent(sum(&|m| m.discharged_usual_residence), discharges),
        );
        let delayed: f64 = months.iter().map(|m| m.delayed_bed_days).sum();
        push("delayed_bed_days", (days > 0.0).then(|| delayed * DAYS_PER_YEAR / days));
        push(
            "delayed_days_per_100k_per_day",
            population
                .filter(|_| days > 0.0)
                .map(|p| delayed / days / p.aged_18_plus * 100_000.0),
        );
        push(
            "discharged_within_24h_pct",
            percent(sum(&|m| m.discharged_within_24h), discharges),
        );
        let inpatients = sum(&|m| m.inpatients);
        push("los_14_plus_pct", percent(sum(&|m| m.los_14_plus), inpatients));
        push("los_21_plus_pct", percent(sum(&|m| m.los_21_plus), inpatients));
        for pathway in 0..4 {
            push(
                &format!("pathway_{pathway}_pct"),
                percent(sum(&|m| m.pathway[pathway]), discharges),
            );
        }
    }
    if applies(network, Roles::ADMISSION_AVOIDANCE) {
        let schemes: Vec<(usize, &str)> = network
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.roles.has(Roles::ADMISSION_AVOIDANCE))
            .map(|(i, n)| (i, n.id.as_str()))
            .collect();
        push(
            "avoided_admissions",
            per_year(schemes.iter().map(|&(i, _)| sum(&|m| m.avoided[i])).sum()),
        );
        for (i, id) in schemes {
            push(
                &format!("avoided_admissions_by_scheme.{id}"),
                per_year(sum(&|m| m.avoided[i])),
            );
        }
    }
    if applies(network, Roles::CARE_HOME) {
        let admissions = per_year(sum(&|m| m.care_home_admissions_65));
        push("care_home_admissions_65", admissions);
        push(
            "care_home_admissions_65_per_100k",
            admissions.and_then(|a| per_100k(a, population.map(|p| p.aged_65_plus))),
        );
    }
    if applies(network, Roles::REABLEMENT) {
        push(
            "at_home_91_days_pct",
            percent(sum(&|m| m.followed_at_home), sum(&|m| m.followed)),
        );
    }
    if applies(network, Roles::INTERIM) {
        let interim: f64 = months.iter().map(|m| m.interim_bed_days).sum();
        push("interim_bed_days", (days > 0.0).then(|| interim * DAYS_PER_YEAR / days));
    }
    for (group, days) in network.staff.iter().zip(staff_days) {
        let on_shift: Vec<f64> = days
            .iter()
            .map(|d| d.minutes / group.productive_minutes_per_shift)
            .collect();
        let mut sorted = on_shift.clone();
        sorted.sort_by(f64::total_cmp);
        let n = on_shift.len();
        let mean = |values: &mut dyn Iterator<Item = f64>| (n > 0).then(|| values.sum::<f64>() / n as f64);
        let nearest_rank = |p: f64| (n > 0).then(|| sorted[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1]);
        let name = |statistic: &str| format!("staffing.{}.{statistic}", group.id);
        out.push((name("daily_visits"), mean(&mut days.iter().map(|d| d.visits))));
        out.push((name("on_shift_mean"), mean(&mut on_shift.iter().copied())));
        out.push((name("on_shift_p90"), nearest_rank(90.0)));
        out.push((name("on_shift_max"), sorted.last().copied()));
        out.push((
            name("fte"),
            nearest_rank(group.coverage_percentile).map(|s| group.fte_for(s)),
        ));
    }
    out
}

/// The metrics of one replication over its whole observation window.
pub fn replication_metrics(network: &Network, record: &Record) -> Vec<Named> {
    let months: Vec<&MonthRecord> = record.months.iter().filter(|m| m.observed_days > 0.0).collect();
    metric_values(network, &months, &record.staff_days)
}

/// The metrics of one replication month by month (`YYYY-MM`), for trajectories.
pub fn monthly_metrics(network: &Network, run: &RunSettings, record: &Record) -> Vec<(String, Vec<Named>)> {
    let clock = Clock::starting(run.start_date);
    record
        .months
        .iter()
        .filter(|m| m.observed_days > 0.0)
        .map(|month| {
            let start = month.start.expect("every month record has its start");
            let in_month = |day: usize| {
                let date: Date = clock.date((record.first_staff_day + day as u64) as f64);
                date.year == start.year && date.month == start.month
            };
            let staff_days: Vec<Vec<StaffDay>> = record
                .staff_days
                .iter()
                .map(|days| {
                    days.iter()
                        .enumerate()
                        .filter(|(d, _)| in_month(*d))
                        .map(|(_, s)| *s)
                        .collect()
                })
                .collect();
            let label = format!("{:04}-{:02}", start.year, start.month);
            (label, metric_values(network, &[month], &staff_days))
        })
        .collect()
}
