//! "What trajectory can we commit to?": a plan's targets against the figures of the
//! replications, and the values a plan can state with a given confidence.

use crate::metrics::share_ci95;
use crate::model::{Bound, Target};

/// A target against the replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetOutcome {
    /// Replications.
    pub replications: usize,
    /// Share of them (0 to 1) in which the target was met; an undefined figure is not met.
    pub probability_met: f64,
    /// Its 95 % interval (Wilson): how sure the share is, given the replications run.
    pub probability_met_ci95: (f64, f64),
    /// Mean of the defined figures.
    pub mean: Option<f64>,
    /// The value a plan can commit to with 75 % confidence: met (on the target's side) in at
    /// least 75 % of replications, the least demanding such value; `None` if too few figures
    /// are defined.
    pub achievable_75: Option<f64>,
    /// The same with 90 % confidence.
    pub achievable_90: Option<f64>,
}

/// How `target` fares over `values` (one per replication, `None` where undefined).
pub fn evaluate(target: &Target, values: &[Option<f64>]) -> TargetOutcome {
    let n = values.len();
    let met = values.iter().filter(|&&value| target.met(value)).count();
    let mut defined: Vec<f64> = values.iter().flatten().copied().collect();
    let mean = (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64);
    // Best first: the k-th value is met by a bound at it in k of n replications.
    defined.sort_by(|a, b| match target.bound {
        Bound::AtMost => a.total_cmp(b),
        Bound::AtLeast => b.total_cmp(a),
    });
    let achievable = |confidence: f64| {
        let rank = (confidence * n as f64 - 1e-9).ceil().max(1.0) as usize;
        defined.get(rank - 1).copied()
    };
    TargetOutcome {
        replications: n,
        probability_met: if n == 0 { 0.0 } else { met as f64 / n as f64 },
        probability_met_ci95: share_ci95(met, n),
        mean,
        achievable_75: achievable(0.75),
        achievable_90: achievable(0.9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_and_values_achievable_by_hand() {
        let at_most: Target = "x<=5".parse().unwrap();
        let values: Vec<Option<f64>> = (1..=10).map(|v| Some(f64::from(v))).collect();
        let outcome = evaluate(&at_most, &values);
        assert_eq!(outcome.probability_met, 0.5);
        assert_eq!(outcome.mean, Some(5.5));
        // 8 of 10 replications are at most 8 (at least 75 %), 9 of 10 at most 9.
        assert_eq!((outcome.achievable_75, outcome.achievable_90), (Some(8.0), Some(9.0)));
        let at_least: Target = "x>=5".parse().unwrap();
        let outcome = evaluate(&at_least, &values);
        assert_eq!(outcome.probability_met, 0.6);
        assert_eq!((outcome.achievable_75, outcome.achievable_90), (Some(3.0), Some(2.0)));
        // Undefined figures never meet a target, and count against what is achievable.
        let gaps = [Some(1.0), None, None, None];
        let outcome = evaluate(&at_most, &gaps);
        assert_eq!(outcome.probability_met, 0.25);
        assert_eq!(outcome.achievable_75, None);
    }
}
