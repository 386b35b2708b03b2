//! The Better Care Fund metrics and staffing, computed from the counts a replication recorded as
//! patients flowed. Metrics find the parts of the network by tags (roles), never by node ids.

use crate::calendar::{Clock, Date};
use crate::model::record::{Demand, Discharges, MonthRecord, Record, StaffDay};
use crate::model::{Network, Roles, RunSettings, StaffGroup, DTOC_REASONS};

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

/// How counts (and rates per 100,000) over some months are stated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// A year's worth: the count × 365 ÷ the months' observed days (the summary's metrics).
    PerYear,
    /// As counted over the months (a plan's figures for a month, a quarter, a year to date).
    PerPeriod,
}

/// The BCF metrics over `months` (and staffing over `staff_days`), counts and rates stated by
/// `scale`. Paths are `metrics.<name>` and `staffing.<group>.<statistic>`.
pub fn metric_values(
    network: &Network,
    months: &[&MonthRecord],
    staff_days: &[Vec<StaffDay>],
    scale: Scale,
) -> Vec<Named> {
    let days: f64 = months.iter().map(|m| m.observed_days).sum();
    let sum = |f: &dyn Fn(&MonthRecord) -> u64| months.iter().map(|m| f(m)).sum::<u64>();
    let sum_f64 = |f: &dyn Fn(&MonthRecord) -> f64| months.iter().map(|m| f(m)).sum::<f64>();
    let scaled = |count: f64| {
        (days > 0.0).then(|| match scale {
            Scale::PerYear => count * DAYS_PER_YEAR / days,
            Scale::PerPeriod => count,
        })
    };
    let population = network.population.as_ref();
    let per_100k_adults_per_day = |bed_days: f64| {
        population
            .filter(|_| days > 0.0)
            .map(|p| bed_days / days / p.aged_18_plus * 100_000.0)
    };
    let mut out: Vec<Named> = Vec::new();
    let mut push = |name: &str, value: Option<f64>| out.push((format!("metrics.{name}"), value));

    if applies(network, Roles::ACUTE) {
        let admissions = scaled(sum(&|m| m.admissions) as f64);
        push("non_elective_admissions", admissions);
        push(
            "non_elective_admissions_per_100k",
            admissions.and_then(|a| per_100k(a, population.map(|p| p.total))),
        );
        let acsc = scaled(sum(&|m| m.acsc_admissions) as f64);
        push(
            "acsc_admissions_per_100k",
            acsc.and_then(|a| per_100k(a, population.map(|p| p.total))),
        );
        let discharges = sum(&|m| m.acute_discharges);
        push(
            "readmitted_30_days_pct",
            percent(sum(&|m| m.readmissions_30_days), discharges),
        );
        push(
            "discharged_usual_residence_pct",
            percent(sum(&|m| m.discharged_usual_residence), discharges),
        );
        let causes = network.delay_causes();
        let by_cause: Vec<f64> = (0..causes.len()).map(|c| sum_f64(&|m| m.delayed_bed_days[c])).collect();
        let delayed: f64 = by_cause.iter().sum();
        let process = sum_f64(&|m| m.discharge_process_bed_days);
        push("delayed_bed_days", scaled(delayed));
        push("delayed_days_per_100k_per_day", per_100k_adults_per_day(delayed));
        let mut cause_names: Vec<(&str, f64)> = causes
            .iter()
            .zip(&by_cause)
            .map(|(&node, &bed_days)| (network.nodes[node as usize].id.as_str(), bed_days))
            .collect();
        cause_names.push((DISCHARGE_PROCESS, process));
        for &(name, bed_days) in &cause_names {
            push(&format!("delayed_bed_days_by_cause.{name}"), scaled(bed_days));
        }
        for &(name, bed_days) in &cause_names {
            push(
                &format!("delayed_days_per_100k_per_day_by_cause.{name}"),
                per_100k_adults_per_day(bed_days),
            );
        }
        for (code, _) in DTOC_REASONS {
            let charged: Vec<f64> = causes
                .iter()
                .zip(&by_cause)
                .filter(|(&node, _)| network.nodes[node as usize].dtoc_reason == Some(code))
                .map(|(_, &bed_days)| bed_days)
                .collect();
            if !charged.is_empty() {
                push(
                    &format!("delayed_bed_days_by_reason.{code}"),
                    scaled(charged.iter().sum()),
                );
            }
        }
        push(
            "discharged_within_24h_pct",
            percent(sum(&|m| m.supported_within_24h), sum(&|m| m.supported_discharges)),
        );
        let inpatients = sum(&|m| m.inpatients);
        let long_stays = sum(&|m| m.los_21_plus);
        push("los_14_plus_pct", percent(sum(&|m| m.los_14_plus), inpatients));
        push("los_21_plus_pct", percent(long_stays, inpatients));
        push(
            "los_21_plus_awaiting_capacity_pct",
            percent(sum(&|m| m.los_21_plus_awaiting_capacity), long_stays),
        );
        push(
            "los_21_plus_in_discharge_process_pct",
            percent(sum(&|m| m.los_21_plus_in_discharge_process), long_stays),
        );
        let total = |of: fn(&MonthRecord) -> Discharges| {
            months.iter().fold(Discharges::default(), |mut total, m| {
                let month = of(m);
                total.all += month.all;
                for (sum, count) in total.pathway.iter_mut().zip(month.pathway) {
                    *sum += count;
                }
                total
            })
        };
        for (suffix, discharges) in [("", total(|m| m.adult_discharges)), ("_65", total(|m| m.discharges_65))] {
            for pathway in 0..4 {
                push(
                    &format!("pathway_{pathway}_pct{suffix}"),
                    percent(discharges.pathway[pathway], discharges.all),
                );
            }
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
            scaled(schemes.iter().map(|&(i, _)| sum(&|m| m.avoided[i])).sum::<u64>() as f64),
        );
        for (i, id) in schemes {
            push(
                &format!("avoided_admissions_by_scheme.{id}"),
                scaled(sum(&|m| m.avoided[i]) as f64),
            );
        }
    }
    if applies(network, Roles::CARE_HOME) {
        let count = sum(&|m| m.care_home_admissions_65);
        let admissions = scaled(count as f64);
        push("care_home_admissions_65", admissions);
        push(
            "care_home_admissions_65_per_100k",
            admissions.and_then(|a| per_100k(a, population.map(|p| p.aged_65_plus))),
        );
        push(
            "care_home_admissions_65_via_hospital_pct",
            percent(sum(&|m| m.care_home_admissions_65_via_hospital), count),
        );
    }
    if applies(network, Roles::REABLEMENT) {
        push(
            "at_home_91_days_pct",
            percent(sum(&|m| m.followed_at_home), sum(&|m| m.followed)),
        );
    }
    if applies(network, Roles::INTERIM) {
        push("interim_bed_days", scaled(sum_f64(&|m| m.interim_bed_days)));
    }
    for (g, (group, days)) in network.staff.iter().zip(staff_days).enumerate() {
        let name = |statistic: &str| format!("staffing.{}.{statistic}", group.id);
        let used: fn(&StaffDay) -> Demand = |d| d.used;
        let needed: fn(&StaffDay) -> Demand = |d| d.needed;
        for (kind, demand) in [("used", used), ("needed", needed)] {
            for (statistic, value) in staffing(group, days.iter().map(demand)) {
                out.push((name(&format!("{kind}.{statistic}")), value));
            }
        }
        if let Some(fte) = group.fte {
            out.push((name("employed_fte"), Some(fte)));
        }
        out.push((name("turned_away"), scaled(sum(&|m| m.staff_turned_away[g]) as f64)));
        out.push((name("waited"), scaled(sum(&|m| m.staff_waited[g]) as f64)));
    }
    out
}

/// The paths of the BCF metrics `network` has (`metrics.*`), whatever a run records.
pub fn metric_names(network: &Network) -> Vec<String> {
    let empty = MonthRecord::new(
        Date {
            year: 2000,
            month: 1,
            day: 1,
        },
        network.nodes.len(),
        network.delay_causes().len(),
        network.staff.len(),
    );
    metric_values(network, &[&empty], &[], Scale::PerYear)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with("metrics."))
        .collect()
}

/// The name under which the discharge process's share of delayed bed days is reported.
pub const DISCHARGE_PROCESS: &str = "discharge_process";

/// People on shift and FTE for a group's daily demand `days`: mean visits a day, people needed on
/// shift (mean, 90th percentile, most), and FTE to employ at the group's coverage percentile.
fn staffing(group: &StaffGroup, days: impl Iterator<Item = Demand>) -> [(&'static str, Option<f64>); 5] {
    let days: Vec<Demand> = days.collect();
    let on_shift: Vec<f64> = days
        .iter()
        .map(|d| d.minutes / group.productive_minutes_per_shift)
        .collect();
    let mut sorted = on_shift.clone();
    sorted.sort_by(f64::total_cmp);
    let n = on_shift.len();
    let mean = |values: &mut dyn Iterator<Item = f64>| (n > 0).then(|| values.sum::<f64>() / n as f64);
    let nearest_rank = |p: f64| (n > 0).then(|| sorted[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1]);
    [
        ("daily_visits", mean(&mut days.iter().map(|d| d.visits))),
        ("on_shift_mean", mean(&mut on_shift.iter().copied())),
        ("on_shift_p90", nearest_rank(90.0)),
        ("on_shift_max", sorted.last().copied()),
        ("fte", nearest_rank(group.coverage_percentile).map(|s| group.fte_for(s))),
    ]
}

/// The metrics of one replication over its whole observation window.
pub fn replication_metrics(network: &Network, record: &Record) -> Vec<Named> {
    let months: Vec<&MonthRecord> = record.months.iter().filter(|m| m.observed_days > 0.0).collect();
    metric_values(network, &months, &record.staff_days, Scale::PerYear)
}

/// The metrics of one replication month by month (`YYYY-MM`), counted over each month, for
/// trajectories.
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
            (label, metric_values(network, &[month], &staff_days, Scale::PerPeriod))
        })
        .collect()
}
