//! `occupancy.csv`: each service's occupancy distribution across replications: for each number
//! of places, the share of the results period at least that many were in use.

use std::io::{self, Write};

use super::Summaries;

/// The part of a statistic's path that names a level of a service's occupancy distribution.
const LEVEL: &str = ".occupancy_at_least.";

/// Writes `occupancy.csv` from a run's `summaries`: a row per service and number of places, the
/// mean share of time at least that many were in use and its 95 % interval.
pub fn write_csv(out: impl Write, summaries: &Summaries) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["service", "places", "share_at_least_mean", "ci95_low", "ci95_high"])?;
    for (path, summary) in summaries {
        let Some((service, places)) = path.strip_prefix("services.").and_then(|rest| rest.split_once(LEVEL)) else {
            continue;
        };
        let (mean, low, high) = match summary {
            Some(summary) => {
                let (low, high) = summary
                    .ci95
                    .map_or((String::new(), String::new()), |(low, high)| (share(low), share(high)));
                (share(summary.mean), low, high)
            }
            None => Default::default(),
        };
        writer.write_record([service, places, &mean, &low, &high])?;
    }
    writer.flush()
}

/// A share of time to a millionth: finer than a day in a thousand years, without binary noise.
fn share(value: f64) -> String {
    ((value * 1e6).round() / 1e6).to_string()
}
