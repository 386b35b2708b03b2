//! "How many replications?": the precision asked of a statistic's confidence interval, the
//! replications a run's variance says it needs, and the next count when running to a precision.

use std::fmt;
use std::str::FromStr;

use crate::metrics::mean_and_half_width;

/// The largest 95 % half-width asked of a statistic's mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Precision {
    /// A share of the mean (`2%` is 0.02).
    Relative(f64),
    /// In the statistic's own units.
    Absolute(f64),
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (number, relative) = match text.trim().strip_suffix('%') {
            Some(number) => (number, true),
            None => (text.trim(), false),
        };
        let value: f64 = number
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v > 0.0)
            .ok_or_else(|| format!("`{text}` is not a precision such as 2% (of the mean) or 0.05 (absolute)"))?;
        Ok(if relative {
            Precision::Relative(value / 100.0)
        } else {
            Precision::Absolute(value)
        })
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Precision::Relative(share) => write!(f, "{}%", share * 100.0),
            Precision::Absolute(value) => write!(f, "{value}"),
        }
    }
}

impl Precision {
    /// The half-width allowed around `mean`.
    pub fn allowed(&self, mean: f64) -> f64 {
        match self {
            Precision::Relative(share) => share * mean.abs(),
            Precision::Absolute(value) => *value,
        }
    }
}

/// The replications a mean with 95 % half-width `half_width` over `n` replications needs for a
/// half-width of `allowed`, the half-width shrinking as 1/√n (SIMUL8's trial calculator does the
/// same); at least 2. `None` where no number will do (nothing allowed, yet the values vary).
pub fn replications_needed(n: usize, half_width: f64, allowed: f64) -> Option<u64> {
    if allowed <= 0.0 {
        return (half_width == 0.0).then_some(2);
    }
    let count = (n as f64 * (half_width / allowed).powi(2)).ceil();
    (count.is_finite() && count < u64::MAX as f64).then(|| (count as u64).max(2))
}

/// Where a run to a precision stands after `values` (per statistic, one value per replication so
/// far).
#[derive(Clone, Debug, PartialEq)]
pub enum Progress {
    /// Every statistic's half-width is within the precision.
    Met,
    /// Run up to this many replications in all, then look again.
    RunTo(u32),
    /// The cap is reached and these statistics are not yet precise enough.
    Capped(Vec<usize>),
}

/// The next step of a run to `precision` with at most `cap` replications: met, or the count the
/// least precise statistic's variance asks for (at least a tenth more, at most four times as
/// many, at most the cap, so a poor first estimate costs a few steps rather than a huge run).
pub fn progress(values: &[Vec<f64>], precision: Precision, cap: u32) -> Progress {
    let n = values.first().map_or(0, Vec::len);
    let mut wanted = 0u64;
    let mut short = Vec::new();
    for (k, values) in values.iter().enumerate() {
        let (mean, half_width) = mean_and_half_width(values, 0.95);
        let half_width = half_width.unwrap_or(f64::INFINITY);
        let allowed = precision.allowed(mean);
        if half_width <= allowed {
            continue;
        }
        short.push(k);
        wanted = wanted.max(replications_needed(n, half_width, allowed).unwrap_or(u64::MAX));
    }
    if short.is_empty() {
        return Progress::Met;
    }
    if n as u64 >= u64::from(cap) {
        return Progress::Capped(short);
    }
    let n = n as u64;
    let next = wanted.max(n + n.div_ceil(10)).min(4 * n.max(1)).min(u64::from(cap));
    Progress::RunTo(next as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_is_read_as_a_share_or_in_units() {
        assert_eq!("2%".parse(), Ok(Precision::Relative(0.02)));
        assert_eq!("0.05".parse(), Ok(Precision::Absolute(0.05)));
        assert!("-1%".parse::<Precision>().is_err());
        assert!("two".parse::<Precision>().is_err());
    }

    #[test]
    fn replications_needed_by_hand() {
        // Half-width 2 over 10 replications; 1 allowed needs four times as many.
        assert_eq!(replications_needed(10, 2.0, 1.0), Some(40));
        assert_eq!(replications_needed(10, 0.5, 1.0), Some(3));
        assert_eq!(replications_needed(10, 0.0, 0.0), Some(2));
        assert_eq!(replications_needed(10, 1.0, 0.0), None);
    }

    #[test]
    fn progress_runs_to_what_the_variance_asks_within_bounds() {
        // Values 1, 3 alternating: mean 2, sd ≈ 1.05 over 10.
        let values = vec![(0..10)
            .map(|i| if i % 2 == 0 { 1.0 } else { 3.0 })
            .collect::<Vec<f64>>()];
        assert_eq!(progress(&values, Precision::Absolute(10.0), 100), Progress::Met);
        // 1 % of the mean, 0.02, would need thousands: at most four times as many at once.
        assert_eq!(
            progress(&values, Precision::Relative(0.01), 10_000),
            Progress::RunTo(40)
        );
        assert_eq!(
            progress(&values, Precision::Relative(0.01), 10),
            Progress::Capped(vec![0])
        );
    }
}
