//! "Is option B better, and by how much?": paired differences between a variant and the base,
//! replication by replication (both run on the same random streams).

use crate::metrics::mean_and_half_width;

/// Which way a statistic is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Less is better: admissions, delays, lengths of stay, waits, care-home admissions, costs.
    Lower,
    /// More is better: at home at 91 days, discharged to usual residence or within 24 hours,
    /// avoided admissions.
    Higher,
}

/// Which way the statistic at `path` (as in `summary.json`) is better, where one way is.
pub fn better(path: &str) -> Option<Better> {
    let metric = path.strip_prefix("metrics.");
    let lower_metric = [
        "non_elective_admissions",
        "acsc_admissions",
        "readmitted_",
        "care_home_admissions_65",
        "delayed_",
        "los_",
        "interim_bed_days",
    ];
    let higher_metric = [
        "at_home_91_days_pct",
        "discharged_usual_residence_pct",
        "discharged_within_24h_pct",
        "avoided_admissions",
    ];
    if let Some(metric) = metric {
        if metric.starts_with("care_home_admissions_65_via_hospital") {
            return None;
        }
        if higher_metric.iter().any(|m| metric.starts_with(m)) {
            return Some(Better::Higher);
        }
        if lower_metric.iter().any(|m| metric.starts_with(m)) {
            return Some(Better::Lower);
        }
        return None;
    }
    if path.starts_with("costs.") {
        return Some(Better::Lower);
    }
    if let Some(service) = path.strip_prefix("services.") {
        let statistic = service.rsplit('.').next().unwrap_or_default();
        if [
            "mean_wait",
            "p90_wait",
            "waited_pct",
            "mean_blocked",
            "mean_queue",
            "mean_blocked_waiting",
            "overflowed",
            "reneged",
        ]
        .contains(&statistic)
            && !service.contains(".by_cohort.")
        {
            return Some(Better::Lower);
        }
    }
    None
}

/// A variant against the base over paired replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Paired {
    /// Replications in which both were defined.
    pub n: usize,
    /// Mean of the differences, variant minus base.
    pub mean: f64,
    /// 95 % confidence interval of that mean (Student t over the paired differences); `[0, 0]`
    /// when every difference is zero, `None` with a single replication otherwise.
    pub ci95: Option<(f64, f64)>,
    /// Share of those replications (0 to 1) in which the variant was better, where a direction
    /// applies; a tie is not better.
    pub share_better: Option<f64>,
}

/// The paired difference of `variant` from `base` (values by replication; `None` where a
/// statistic was undefined), or `None` if no replication has both.
pub fn paired(base: &[Option<f64>], variant: &[Option<f64>], direction: Option<Better>) -> Option<Paired> {
    let pairs: Vec<(f64, f64)> = base
        .iter()
        .zip(variant)
        .filter_map(|(b, v)| Some(((*b)?, (*v)?)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let differences: Vec<f64> = pairs.iter().map(|(b, v)| v - b).collect();
    let (mean, half_width) = mean_and_half_width(&differences, 0.95);
    let ci95 = if differences.iter().all(|&d| d == 0.0) {
        Some((0.0, 0.0))
    } else {
        half_width.map(|h| (mean - h, mean + h))
    };
    let share_better = direction.map(|direction| {
        let better = differences
            .iter()
            .filter(|&&d| match direction {
                Better::Lower => d < 0.0,
                Better::Higher => d > 0.0,
            })
            .count();
        better as f64 / differences.len() as f64
    });
    Some(Paired {
        n: differences.len(),
        mean,
        ci95,
        share_better,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_of_the_statistics_commissioners_read() {
        assert_eq!(better("metrics.delayed_days_per_100k_per_day"), Some(Better::Lower));
        assert_eq!(
            better("metrics.delayed_bed_days_by_cause.d2a_beds"),
            Some(Better::Lower)
        );
        assert_eq!(better("metrics.at_home_91_days_pct"), Some(Better::Higher));
        assert_eq!(
            better("metrics.avoided_admissions_by_scheme.opau"),
            Some(Better::Higher)
        );
        assert_eq!(better("metrics.care_home_admissions_65_per_100k"), Some(Better::Lower));
        assert_eq!(better("metrics.care_home_admissions_65_via_hospital_pct"), None);
        assert_eq!(better("metrics.pathway_1_pct"), None);
        assert_eq!(better("services.ward.mean_wait"), Some(Better::Lower));
        assert_eq!(better("services.ward.arrivals"), None);
        assert_eq!(better("costs.total"), Some(Better::Lower));
        assert_eq!(better("staffing.hca.needed.fte"), None);
    }

    #[test]
    fn paired_differences_by_hand() {
        let base = [Some(10.0), Some(12.0), Some(11.0), None];
        let variant = [Some(9.0), Some(12.0), Some(8.0), Some(1.0)];
        let paired = paired(&base, &variant, Some(Better::Lower)).unwrap();
        // Differences -1, 0, -3: mean -4/3, sd sqrt(7/3), t(0.975, 2) = 4.302653.
        assert_eq!(paired.n, 3);
        assert!((paired.mean + 4.0 / 3.0).abs() < 1e-12);
        let half = 4.302_652_73 * (7.0f64 / 3.0 / 3.0).sqrt();
        let (low, high) = paired.ci95.unwrap();
        assert!((low - (paired.mean - half)).abs() < 1e-6 && (high - (paired.mean + half)).abs() < 1e-6);
        assert_eq!(paired.share_better, Some(2.0 / 3.0));
        let same = super::paired(&base, &base, None).unwrap();
        assert_eq!((same.mean, same.ci95, same.share_better), (0.0, Some((0.0, 0.0)), None));
        assert_eq!(super::paired(&[None], &[Some(1.0)], None), None);
    }
}
