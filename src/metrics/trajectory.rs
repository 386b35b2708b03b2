//! Trajectories as BCF plans state them: every metric for each month, each financial-year
//! quarter (April to June is Q1), each financial year and each financial year to date, counted
//! over the period (not annualised), from the months the observation window covers in full.

use std::fmt;

use super::bcf::{metric_values, Scale};
use super::Named;
use crate::calendar::{Clock, Date};
use crate::model::record::{MonthRecord, Record};
use crate::model::{Network, RunSettings};

/// What kind of period a trajectory figure is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PeriodKind {
    /// A calendar month.
    Month,
    /// A financial-year quarter.
    Quarter,
    /// A financial year, April to March.
    Year,
    /// A financial year from April to the end of a month.
    YearToDate,
}

impl PeriodKind {
    /// The kind's name in `trajectories_summary.csv`.
    pub fn name(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Year => "year",
            PeriodKind::YearToDate => "year_to_date",
        }
    }
}

/// A period of a trajectory and its label: `2019-12`, `2019/20 Q3`, `2019/20`, or
/// `2019/20 to 2019-12`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    /// What kind of period.
    pub kind: PeriodKind,
    /// Its label.
    pub label: String,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// The financial year a month is in: `2019/20` for April 2019 to March 2020.
fn financial_year(month: Date) -> String {
    let first = if month.month >= 4 { month.year } else { month.year - 1 };
    format!("{first}/{:02}", (first + 1).rem_euclid(100))
}

/// The calendar year in which the financial year labelled `label` (`2019/20`) begins.
pub fn financial_year_start(label: &str) -> Option<i32> {
    let (first, second) = label.split_once('/')?;
    let first: i32 = first.parse().ok().filter(|_| first.len() == 4)?;
    let second: i32 = second.parse().ok().filter(|_| second.len() == 2)?;
    (second == (first + 1).rem_euclid(100)).then_some(first)
}

/// The kind of period `label` names, if it is one as trajectories label them: a month
/// (`2019-12`), a financial-year quarter (`2019/20 Q3`), a financial year (`2019/20`) or a year to
/// date (`2019/20 to 2019-12`, the month within that year).
pub fn period_kind(label: &str) -> Option<PeriodKind> {
    let month = |text: &str| -> Option<Date> {
        let (year, month) = text.split_once('-')?;
        (year.len() == 4 && month.len() == 2).then_some(())?;
        Date::parse(&format!("{year}-{month}-01"))
    };
    let year = financial_year_start;
    if month(label).is_some() {
        return Some(PeriodKind::Month);
    }
    if year(label).is_some() {
        return Some(PeriodKind::Year);
    }
    if let Some((first, q)) = label.split_once(" Q") {
        return (year(first).is_some() && matches!(q, "1" | "2" | "3" | "4")).then_some(PeriodKind::Quarter);
    }
    let (first, to) = label.split_once(" to ")?;
    let month = month(to)?;
    (financial_year(month) == first).then_some(PeriodKind::YearToDate)
}

fn month_label(month: Date) -> String {
    format!("{:04}-{:02}", month.year, month.month)
}

/// The financial-year quarter (1 to 4) of a month.
fn quarter(month: Date) -> u32 {
    (month.month + 8) % 12 / 3 + 1
}

/// The first day of every calendar month that the observation window (warm-up to horizon) of
/// `run` covers in full, in order.
pub fn observed_months(run: &RunSettings) -> Vec<Date> {
    let clock = Clock::starting(run.start_date);
    let mut month = clock.date(run.warmup_days).first_of_month();
    let mut months = Vec::new();
    loop {
        let (start, end) = (clock.time_of(month), clock.time_of(month.first_of_next_month()));
        if end > run.horizon_days {
            return months;
        }
        if start >= run.warmup_days {
            months.push(month);
        }
        month = month.first_of_next_month();
    }
}

/// Every period made of months observed in full, each with those months (first day of each):
/// the months, then the quarters, the years to date (from an observed April) and the years.
pub fn observed_periods(run: &RunSettings) -> Vec<(Period, Vec<Date>)> {
    let months = observed_months(run);
    let period = |kind, label| Period { kind, label };
    let mut periods: Vec<(Period, Vec<Date>)> = months
        .iter()
        .map(|&m| (period(PeriodKind::Month, month_label(m)), vec![m]))
        .collect();
    // The observed months are consecutive, so a quarter is observed when the two months before
    // its last are, and a year to date when its April is.
    let mut quarters = Vec::new();
    let mut to_date = Vec::new();
    let mut years = Vec::new();
    let mut year_so_far: Vec<Date> = Vec::new();
    for (k, &month) in months.iter().enumerate() {
        let year = financial_year(month);
        if month.month % 3 == 0 && k >= 2 {
            quarters.push((
                period(PeriodKind::Quarter, format!("{year} Q{}", quarter(month))),
                months[k - 2..=k].to_vec(),
            ));
        }
        if month.month == 4 {
            year_so_far.clear();
        }
        if month.month != 4 && year_so_far.is_empty() {
            continue;
        }
        year_so_far.push(month);
        to_date.push((
            period(PeriodKind::YearToDate, format!("{year} to {}", month_label(month))),
            year_so_far.clone(),
        ));
        if month.month == 3 {
            years.push((period(PeriodKind::Year, year), year_so_far.clone()));
        }
    }
    periods.extend(quarters);
    periods.extend(to_date);
    periods.extend(years);
    periods
}

/// One replication's trajectory: the BCF metrics (`metrics.*`, counted over the period) of every
/// period of [`observed_periods`], the months' taken from `monthly` (the replication's figures
/// month by month); nothing for a network without metrics.
pub fn periods(
    network: &Network,
    run: &RunSettings,
    record: &Record,
    monthly: &[(String, Vec<Named>)],
) -> Vec<(Period, Vec<Named>)> {
    if !network.records_months() {
        return Vec::new();
    }
    let record_of = |month: Date| record.months.iter().find(|m| m.start == Some(month));
    let metrics_only = |figures: Vec<Named>| -> Vec<Named> {
        figures
            .into_iter()
            .filter(|(name, _)| name.starts_with("metrics."))
            .collect()
    };
    observed_periods(run)
        .into_iter()
        .filter_map(|(period, months)| {
            let figures = if period.kind == PeriodKind::Month {
                let (_, figures) = monthly.iter().find(|(label, _)| *label == period.label)?;
                metrics_only(figures.clone())
            } else {
                let months: Vec<&MonthRecord> = months.iter().map(|&m| record_of(m)).collect::<Option<_>>()?;
                metrics_only(metric_values(network, &months, &[], Scale::PerPeriod))
            };
            (!figures.is_empty()).then_some((period, figures))
        })
        .collect()
}

/// The unit of a metric's trajectory figures, from its name.
pub fn unit(metric: &str) -> &'static str {
    if metric.contains("_pct") {
        "%"
    } else if metric.contains("_per_100k_per_day") {
        "per 100,000 a day"
    } else if metric.contains("_per_100k") {
        "per 100,000"
    } else if metric.contains("bed_days") {
        "bed days"
    } else {
        "count"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunSettings;

    fn run(start: &str, warmup_days: f64, horizon_days: f64) -> RunSettings {
        RunSettings {
            start_date: Date::parse(start).unwrap(),
            warmup_days,
            horizon_days,
            replications: 1,
            seed: 1,
            max_in_system: 1,
            series: Vec::new(),
        }
    }

    #[test]
    fn financial_years_and_quarters() {
        let date = |text| Date::parse(text).unwrap();
        assert_eq!(financial_year(date("2019-04-01")), "2019/20");
        assert_eq!(financial_year(date("2020-03-01")), "2019/20");
        assert_eq!(financial_year(date("1999-05-01")), "1999/00");
        let quarters: Vec<u32> = (1..=12)
            .map(|m| quarter(Date::parse(&format!("2020-{m:02}-01")).unwrap()))
            .collect();
        assert_eq!(quarters, [4, 4, 4, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    }

    #[test]
    fn periods_of_whole_months_only() {
        // Observed from 2019-04-01 (day 365 of a start on 2018-04-01) to 2020-03-31 inclusive.
        let periods = observed_periods(&run("2018-04-01", 365.0, 731.0));
        let labels: Vec<(&str, &str, usize)> = periods
            .iter()
            .map(|(p, months)| (p.kind.name(), p.label.as_str(), months.len()))
            .collect();
        assert_eq!(labels.len(), 12 + 4 + 12 + 1);
        assert_eq!(labels[0], ("month", "2019-04", 1));
        assert_eq!(labels[11], ("month", "2020-03", 1));
        assert_eq!(labels[12], ("quarter", "2019/20 Q1", 3));
        assert_eq!(labels[15], ("quarter", "2019/20 Q4", 3));
        assert_eq!(labels[16], ("year_to_date", "2019/20 to 2019-04", 1));
        assert_eq!(labels[27], ("year_to_date", "2019/20 to 2020-03", 12));
        assert_eq!(labels[28], ("year", "2019/20", 12));
        for (period, _) in &periods {
            assert_eq!(period_kind(&period.label), Some(period.kind), "{}", period.label);
        }
        for bad in [
            "2019-13",
            "2019/21",
            "2019-20",
            "2019/20 Q5",
            "2019/20 to 2020-04",
            "19/20",
            "2019-4",
        ] {
            assert_eq!(period_kind(bad), None, "{bad}");
        }
        // From mid-May: May is not whole, so June on are months, but no quarter or year to date
        // starts without its April.
        let late = observed_periods(&run("2019-05-15", 0.0, 100.0));
        let labels: Vec<&str> = late.iter().map(|(p, _)| p.label.as_str()).collect();
        assert_eq!(labels, ["2019-06", "2019-07"]);
        // July to December: two quarters, but no year to date.
        let second_half = observed_periods(&run("2019-07-01", 0.0, 184.0));
        let labels: Vec<&str> = second_half.iter().map(|(p, _)| p.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2019-07",
                "2019-08",
                "2019-09",
                "2019-10",
                "2019-11",
                "2019-12",
                "2019/20 Q2",
                "2019/20 Q3"
            ]
        );
    }
}
