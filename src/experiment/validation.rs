//! "Does the model reproduce what was observed?": each observed figure against the replications'
//! values of its statistic.

use crate::metrics::mean_and_half_width;
use crate::model::Observation;

/// An observed figure against the model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Check {
    /// Replications in which the statistic was defined.
    pub replications: usize,
    /// The model's mean.
    pub mean: f64,
    /// Its 95 % confidence interval (Student t); `None` with one replication.
    pub ci95: Option<(f64, f64)>,
    /// The 5th and 95th percentiles across replications: the band in which a single year of the
    /// model falls nine times in ten.
    pub band: (f64, f64),
    /// The model's mean minus the observed value.
    pub difference: f64,
    /// Whether the observed value lies in [`Check::band`]: whether the real year could be one of
    /// the model's years.
    pub in_band: bool,
    /// Whether the model's mean lies within the observation's tolerance; `None` without one.
    pub within_tolerance: Option<bool>,
}

impl Check {
    /// Whether validation fails on this figure: it has a tolerance, and the model's mean lies
    /// further from it than that.
    pub fn fails(&self) -> bool {
        self.within_tolerance == Some(false)
    }
}

/// `observation` against its statistic's `values` (one per replication, `None` where undefined);
/// `None` if no replication defined it.
pub fn check(observation: &Observation, values: &[Option<f64>]) -> Option<Check> {
    let mut defined: Vec<f64> = values.iter().flatten().copied().collect();
    if defined.is_empty() {
        return None;
    }
    let (mean, half_width) = mean_and_half_width(&defined, 0.95);
    defined.sort_by(f64::total_cmp);
    let band = (nearest_rank(&defined, 0.05), nearest_rank(&defined, 0.95));
    let difference = mean - observation.value;
    Some(Check {
        replications: defined.len(),
        mean,
        ci95: half_width.map(|h| (mean - h, mean + h)),
        band,
        difference,
        in_band: band.0 <= observation.value && observation.value <= band.1,
        within_tolerance: observation.tolerance.map(|tolerance| difference.abs() <= tolerance),
    })
}

/// The `q`-quantile of `sorted` by nearest rank: a value some replication had.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64 - 1e-9).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(value: f64, tolerance: Option<f64>) -> Observation {
        Observation {
            path: "metrics.x".into(),
            value,
            source: "by hand".into(),
            label: None,
            period: None,
            tolerance,
            ci95: None,
        }
    }

    #[test]
    fn difference_band_and_tolerance_by_hand() {
        // 1..=20: mean 10.5, 5th percentile the 1st value, 95th the 19th.
        let values: Vec<Option<f64>> = (1..=20).map(|v| Some(f64::from(v))).chain([None]).collect();
        let check = super::check(&observed(12.0, Some(1.0)), &values).unwrap();
        assert_eq!(check.replications, 20);
        assert_eq!(check.mean, 10.5);
        assert_eq!(check.difference, -1.5);
        assert_eq!(check.band, (1.0, 19.0));
        assert!(check.in_band);
        assert_eq!(check.within_tolerance, Some(false));
        assert!(check.fails());
        let check = super::check(&observed(19.5, None), &values).unwrap();
        assert!(!check.in_band);
        assert!(!check.fails(), "without a tolerance a figure never fails");
        assert!(super::check(&observed(1.0, None), &[None, None]).is_none());
    }
}
