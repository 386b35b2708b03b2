//! "How long a warm-up?": from a statistic's values step by step (days or months) averaged over
//! replications run without one, Welch's moving average and the point it settles, and the
//! MSER-5 truncation point.

/// Welch's moving average of `means` (each step's mean over replications) with window `w`: at
/// step i the mean of steps i − w to i + w, shrunk to i − k..i + k near the start (k = i), and
/// undefined (left out) for the last `w` steps, which lack a full window.
pub fn moving_average(means: &[f64], w: usize) -> Vec<f64> {
    let n = means.len();
    (0..n.saturating_sub(w))
        .map(|i| {
            let half = i.min(w);
            let window = &means[i - half..=i + half];
            window.iter().sum::<f64>() / window.len() as f64
        })
        .collect()
}

/// Welch's window for a series of `steps`: a thirtieth of it, at least one step, so the average
/// smooths day-to-day noise without hiding a trend of a tenth of the run.
pub fn window(steps: usize) -> usize {
    (steps / 30).max(1)
}

/// The step at which `average` (a moving average) reaches its steady state: the first within one
/// standard deviation of the second half's mean, that deviation being the average's own spread
/// over the second half. A transient approaches the steady state from one side and is cut where
/// it arrives; a statistic that is steady from the start is cut at once, and the band follows its
/// noise (wide for a noisy statistic, narrow for a quiet one).
pub fn settles_at(average: &[f64]) -> usize {
    let n = average.len();
    if n < 4 {
        return 0;
    }
    let tail = &average[n / 2..];
    let steady = tail.iter().sum::<f64>() / tail.len() as f64;
    let spread = (tail.iter().map(|v| (v - steady).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    average
        .iter()
        .position(|v| (v - steady).abs() <= spread * (1.0 + 1e-12))
        .unwrap_or(n / 2)
}

/// The MSER-5 truncation point of `means`, in steps: the means are grouped in batches of five,
/// and the number d of leading batches whose removal minimises the squared standard error of the
/// mean of the rest, Σ (Z_j − Z̄)² / (k − d)², is found over d ≤ k/2 (beyond, the rule is
/// unreliable); 5·d steps. Fewer than two batches give 0.
pub fn mser5(means: &[f64]) -> usize {
    let batches: Vec<f64> = means.chunks_exact(5).map(|b| b.iter().sum::<f64>() / 5.0).collect();
    let k = batches.len();
    if k < 2 {
        return 0;
    }
    let statistic = |d: usize| {
        let rest = &batches[d..];
        let mean = rest.iter().sum::<f64>() / rest.len() as f64;
        rest.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (rest.len() as f64).powi(2)
    };
    let best = (0..=k / 2)
        .min_by(|&a, &b| statistic(a).total_cmp(&statistic(b)))
        .expect("d = 0 is always a candidate");
    5 * best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_by_hand() {
        let means = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        // Step 0 alone, step 1 from 0 to 2, then full windows of 2·2 + 1; the last two lack one.
        assert_eq!(moving_average(&means, 2), [1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn a_transient_is_cut_and_a_flat_series_needs_none() {
        // Thirty steps climbing to 10, then a hundred at 10 with a small alternating wobble.
        let climb = (0..30).map(|i| f64::from(i) / 3.0);
        let steady = (0..100).map(|i| 10.0 + if i % 2 == 0 { 0.1 } else { -0.1 });
        let means: Vec<f64> = climb.chain(steady).collect();
        let average = moving_average(&means, 1);
        // The window (one step each side) clears the climb at step 31, and the average of
        // 10.1, 9.9 and 10.1 there is at the edge of its steady spread of 0.033.
        let settled = settles_at(&average);
        assert!((31..=32).contains(&settled), "settles at {settled}");
        let cut = mser5(&means);
        assert!((25..=35).contains(&cut), "MSER-5 cuts {cut}");
        let flat = vec![4.0; 50];
        assert_eq!((settles_at(&moving_average(&flat, 2)), mser5(&flat)), (0, 0));
    }
}
