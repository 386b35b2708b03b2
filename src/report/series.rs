//! Numbers by day across replications: `series.csv`, the series services' numbers in service,
//! queued and held upstream at each midnight of the results period, and `staffing.csv`, the
//! people each staff group needed on shift each day.

use std::io::{self, Write};

use crate::calendar::Clock;
use crate::metrics::Summary;
use crate::model::Model;

/// What is counted at each midnight, in the order the simulation records them.
pub const MEASURES: [&str; 3] = ["in_service", "queued", "blocked_waiting"];

/// Writes `series.csv` from `summaries` (in the order of the model's record: by day, then
/// service, then measure): one row per day and service, the mean, 10th, 50th and 90th percentiles
/// of each measure.
pub fn write_csv(out: impl Write, model: &Model, summaries: &[Summary]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["date".to_owned(), "day".to_owned(), "service".to_owned()];
    for measure in MEASURES {
        for statistic in ["mean", "p10", "p50", "p90"] {
            header.push(format!("{measure}_{statistic}"));
        }
    }
    writer.write_record(&header)?;
    let clock = Clock::starting(model.run.start_date);
    let services = &model.run.series;
    let per_day = services.len() * MEASURES.len();
    for (midnight, day) in model.run.series_midnights().zip(summaries.chunks(per_day.max(1))) {
        for (&node, numbers) in services.iter().zip(day.chunks(MEASURES.len())) {
            let mut row = vec![
                clock.date(midnight).to_string(),
                midnight.to_string(),
                model.network.nodes[node as usize].id.clone(),
            ];
            for summary in numbers {
                row.extend([summary.mean, summary.p10, summary.p50, summary.p90].map(patients));
            }
            writer.write_record(&row)?;
        }
    }
    writer.flush()
}

/// Writes `staffing.csv` from `summaries` (by day, then staff group): one row per day and group,
/// the mean, 10th, 50th and 90th percentiles of the people needed on shift.
pub fn write_staffing_csv(out: impl Write, model: &Model, summaries: &[Summary]) -> io::Result<()> {
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
    let groups = &model.network.staff;
    for (midnight, day) in model.run.series_midnights().zip(summaries.chunks(groups.len().max(1))) {
        for (group, summary) in groups.iter().zip(day) {
            let mut row = vec![clock.date(midnight).to_string(), midnight.to_string(), group.id.clone()];
            row.extend([summary.mean, summary.p10, summary.p50, summary.p90].map(patients));
            writer.write_record(&row)?;
        }
    }
    writer.flush()
}

/// A number of patients across replications to a thousandth: finer than any count needs, and
/// without the binary noise of interpolated percentiles (2.900000000000002).
fn patients(value: f64) -> String {
    ((value * 1000.0).round() / 1000.0).to_string()
}
