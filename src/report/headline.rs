//! The headline: the BCF metrics first, then staffing, costs and delayed bed days by cause, each
//! with its label, unit, mean and interval, and the scenario's target and published value where
//! it has them. The console table, the report and the workbook show the same rows.

use std::fmt::Write as _;

use super::labels::{label, number};
use super::view::{HeadlineRow, Mark, Published, Section};
use super::Summaries;
use crate::calendar::{Clock, Date};
use crate::experiment::TargetOutcome;
use crate::model::{Bound, Model, PlanTarget};

/// The label of the financial year the results period is, when it is one exactly (`2019/20`):
/// targets and published figures for that year apply to the run's whole-period figures.
pub fn results_year(model: &Model) -> Option<String> {
    let (from, to) = results_period(model);
    let is_year = from.month == 4 && from.day == 1 && to.month == 3 && to.day == 31 && to.year == from.year + 1;
    is_year.then(|| format!("{}/{:02}", from.year, to.year % 100))
}

/// The first and last days of the results period.
pub fn results_period(model: &Model) -> (Date, Date) {
    let clock = Clock::starting(model.run.start_date);
    (
        clock.date(model.run.warmup_days),
        clock.date((model.run.horizon_days - 1.0).max(model.run.warmup_days)),
    )
}

/// Whether a target or figure for `period` applies to the whole results period.
fn for_whole_period(period: Option<&str>, year: Option<&str>) -> bool {
    period.is_none() || period == year
}

/// A target as the report marks it.
pub fn mark(target: &PlanTarget, outcome: Option<&TargetOutcome>) -> Mark {
    Mark {
        bound: match target.target.bound {
            Bound::AtMost => "<=".into(),
            Bound::AtLeast => ">=".into(),
        },
        value: target.target.value,
        period: target.period.clone(),
        label: target.label.clone(),
        probability_met: outcome.map(|o| o.probability_met),
    }
}

/// Which section of the headline a statistic belongs to, if any.
fn section(path: &str) -> Option<Section> {
    if let Some(name) = path.strip_prefix("metrics.") {
        if name.starts_with("delayed_bed_days_by_cause.") {
            return Some(Section::Delay);
        }
        return (!name.contains('.')).then_some(Section::Metric);
    }
    if let Some(name) = path.strip_prefix("staffing.") {
        let shown = name.ends_with(".needed.fte") || name.ends_with(".employed_fte");
        return shown.then_some(Section::Staffing);
    }
    if let Some(name) = path.strip_prefix("costs.") {
        let shown = name == "total" || name == "per_avoided_admission" || name.starts_with("by_payer.");
        return shown.then_some(Section::Cost);
    }
    None
}

/// The statistics of each service a scenario without BCF metrics, staff or costs leads with.
const SERVICE_HEADLINE: [&str; 4] = ["mean_wait", "mean_queue", "mean_occupancy", "utilisation_pct"];

/// The headline rows of a run, BCF metrics first; for a scenario with none of those, each
/// service's waits and numbers. `outcomes` are the targets the run evaluated.
pub fn rows(model: &Model, summaries: &Summaries, outcomes: &[(&PlanTarget, TargetOutcome)]) -> Vec<HeadlineRow> {
    let rows = health_and_care_rows(model, summaries, outcomes);
    if !rows.is_empty() {
        return rows;
    }
    summaries
        .iter()
        .filter(|(path, summary)| {
            let statistic = path.strip_prefix("services.").and_then(|rest| rest.split_once('.'));
            summary.is_some() && statistic.is_some_and(|(_, statistic)| SERVICE_HEADLINE.contains(&statistic))
        })
        .map(|(path, summary)| {
            let (label, unit) = label(path);
            HeadlineRow {
                section: Section::Service,
                path: path.clone(),
                label,
                unit,
                mean: summary.map(|s| s.mean),
                ci95: summary.and_then(|s| s.ci95).map(|(low, high)| [low, high]),
                target: None,
                published: None,
            }
        })
        .collect()
}

fn health_and_care_rows(
    model: &Model,
    summaries: &Summaries,
    outcomes: &[(&PlanTarget, TargetOutcome)],
) -> Vec<HeadlineRow> {
    let year = results_year(model);
    let mut rows: Vec<HeadlineRow> = summaries
        .iter()
        .filter_map(|(path, summary)| {
            let section = section(path)?;
            let (label, unit) = label(path);
            let target = model
                .targets
                .iter()
                .find(|t| t.target.path == *path && for_whole_period(t.period.as_deref(), year.as_deref()))
                .map(|target| {
                    let outcome = outcomes.iter().find(|(t, _)| std::ptr::eq(*t, target)).map(|(_, o)| o);
                    mark(target, outcome)
                });
            let published = model
                .observed
                .iter()
                .find(|o| o.path == *path && for_whole_period(o.period.as_deref(), year.as_deref()))
                .map(|o| Published {
                    value: o.value,
                    source: o.source.clone(),
                    period: o.period.clone(),
                });
            Some(HeadlineRow {
                section,
                path: path.clone(),
                label,
                unit,
                mean: summary.map(|s| s.mean),
                ci95: summary.and_then(|s| s.ci95).map(|(low, high)| [low, high]),
                target,
                published,
            })
        })
        .collect();
    rows.sort_by_key(|row| row.section as u8);
    rows
}

/// The heading of each section of the table.
pub fn heading(section: Section) -> &'static str {
    match section {
        Section::Metric => "BCF metrics",
        Section::Staffing => "Staffing",
        Section::Cost => "Costs",
        Section::Delay => "Delayed bed days by cause",
        Section::Service => "Services",
    }
}

/// A unit short enough for the console's column.
pub fn short_unit(unit: &str) -> String {
    match unit {
        "per 100,000 a year" => "/100k/yr".into(),
        "per 100,000 65+ a year" => "/100k 65+".into(),
        "per 100,000 18+ a day" => "/100k/day".into(),
        "bed days a year" => "days/yr".into(),
        "£ a year" => "£/yr".into(),
        "a year" => "/yr".into(),
        other => other.chars().take(9).collect(),
    }
}

/// A 95 % interval for people: `10,197–10,229`.
pub fn interval(ci95: Option<[f64; 2]>) -> String {
    ci95.map(|[low, high]| format!("{}–{}", number(low), number(high)))
        .unwrap_or_default()
}

/// The console's width, which every line of the table keeps within.
const WIDTH: usize = 80;
/// The unit column's width (the longest short unit).
const UNIT_WIDTH: usize = 9;

/// The headline as a table within 80 columns: a heading per section, a label wrapped onto as many
/// lines as it needs, and on its last line the unit, mean, interval, target and published value.
/// The figures' columns are as wide as their widest figure, the labels take the rest.
pub fn table(rows: &[HeadlineRow]) -> String {
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            [
                short_unit(&row.unit),
                row.mean.map(number).unwrap_or_else(|| "–".into()),
                interval(row.ci95),
                row.target
                    .as_ref()
                    .map(|t| format!("{}{}", t.bound, number(t.value)))
                    .unwrap_or_default(),
                row.published.as_ref().map(|p| number(p.value)).unwrap_or_default(),
            ]
        })
        .collect();
    let titles = ["unit", "mean", "95% CI", "target", "publ."];
    let widths: Vec<usize> = (0..titles.len())
        .map(|k| {
            cells
                .iter()
                .map(|cell| cell[k].chars().count())
                .chain([titles[k].chars().count(), if k == 0 { UNIT_WIDTH } else { 0 }])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let label_width = WIDTH
        .saturating_sub(widths.iter().sum::<usize>() + widths.len() - 1)
        .max(16);
    let line = |label: &str, cells: &[&str]| {
        let mut line = format!("{label:<label_width$}");
        for (k, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if k > 0 {
                line.push(' ');
            }
            let _ = write!(line, "{cell:>width$}");
        }
        line.trim_end().to_owned()
    };
    let mut text = String::new();
    let mut current = None;
    for (row, cells) in rows.iter().zip(&cells) {
        if current != Some(row.section) {
            current = Some(row.section);
            let _ = writeln!(text, "\n{}", line(heading(row.section), &titles));
        }
        let lines = wrap_words(&row.label, label_width - 1);
        let (last, first) = lines.split_last().expect("a label has a line");
        for label in first {
            let _ = writeln!(text, "{label}");
        }
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        let _ = writeln!(text, "{}", line(last, &cells));
    }
    if rows.iter().any(|row| row.target.is_some() || row.published.is_some()) {
        text.push_str("\ntarget: the scenario's for the results period; publ.: its published figure\n");
    }
    text
}

/// `text` in lines of at most `width` characters, broken between words.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}
