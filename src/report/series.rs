//! Numbers by day across replications: `series.csv`, the series services' numbers in service,
//! queued and held upstream at each midnight of the results period, and `staffing.csv`, the
//! people each staff group needed on shift each day.

use std::io::{self, Write};

use crate::calendar::Clock;
use crate::metrics::Band;
use crate::model::Model;

/// What is counted at each midnight, in the order the simulation records them.
pub const MEASURES: [&str; 3] = ["in_service", "queued", "blocked_waiting"];

/// Writes `series.csv` from `summaries` (in the order of the model's record: by day, then
/// service, then measure): one row per day and service, the mean, 10th, 50th and 90th percentiles
/// of each measure.
pub fn write_csv(out: impl Write, model: &Model, summaries: &[Band]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["date".to_owned(), "day".to_owned(), "service".to_owned()];
    for measure in MEASURES {
        for statistic in ["mean", "p10", "p50", "p90"] {
            header.push(format!("{measure}_{statistic}"));
        }
    }
    writer.write_record(&header)?;
    let clock = Clock::starting(model.run.start_date);
    let mut text = String::new();
    let services = &model.run.series;
    let per_day = services.len() * MEASURES.len();
    for (midnight, day) in model.run.series_midnights().zip(summaries.chunks(per_day.max(1))) {
        let date = clock.date(midnight);
        for (&node, numbers) in services.iter().zip(day.chunks(MEASURES.len())) {
            field(&mut writer, &mut text, format_args!("{date}"))?;
            field(&mut writer, &mut text, format_args!("{midnight}"))?;
            writer.write_field(&model.network.nodes[node as usize].id)?;
            for summary in numbers {
                for value in [summary.mean, summary.p10, summary.p50, summary.p90] {
                    field(&mut writer, &mut text, format_args!("{}", patients(value)))?;
                }
            }
            writer.write_record(None::<&[u8]>)?;
        }
    }
    writer.flush()
}

/// Writes `staffing.csv` from `summaries` (by day, then staff group): one row per day and group,
/// the mean, 10th, 50th and 90th percentiles of the people needed on shift.
pub fn write_staffing_csv(out: impl Write, model: &Model, summaries: &[Band]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "date",
        "day",
        "staff_group",
        "on_shift_mean",
        "on_shift_p10",
        "on_shift_p50",
        "on_shift_p90",
    ])?;
    let clock = Clock::starting(model.run.start_date);
    let mut text = String::new();
    let groups = &model.network.staff;
    for (midnight, day) in model.run.series_midnights().zip(summaries.chunks(groups.len().max(1))) {
        let date = clock.date(midnight);
        for (group, summary) in groups.iter().zip(day) {
            field(&mut writer, &mut text, format_args!("{date}"))?;
            field(&mut writer, &mut text, format_args!("{midnight}"))?;
            writer.write_field(&group.id)?;
            for value in [summary.mean, summary.p10, summary.p50, summary.p90] {
                field(&mut writer, &mut text, format_args!("{}", patients(value)))?;
            }
            writer.write_record(None::<&[u8]>)?;
        }
    }
    writer.flush()
}

/// A number of patients across replications to a thousandth: finer than any count needs, and
/// without the binary noise of interpolated percentiles (2.900000000000002).
fn patients(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Writes `value` as the next field of `writer`'s record, through `text` (so that a file of a
/// million numbers does not allocate a string for each).
fn field(writer: &mut csv::Writer<impl Write>, text: &mut String, value: std::fmt::Arguments<'_>) -> io::Result<()> {
    use std::fmt::Write as _;
    text.clear();
    text.write_fmt(value).expect("writing to a string cannot fail");
    writer.write_field(text.as_bytes())?;
    Ok(())
}
