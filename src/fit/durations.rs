//! The engine's distributions of durations fitted to a sample by maximum likelihood, ranked by
//! AIC, each with its Kolmogorov-Smirnov distance from the sample; and the sample itself as an
//! empirical distribution, offered beside them but not ranked (its likelihood is not comparable).

use std::f64::consts::{PI, SQRT_2};

use statrs::function::erf::erfc;
use statrs::function::gamma::{digamma, gamma_lr, ln_gamma};

use super::{figure, toml_array, toml_array_lines};

/// Significant figures of the parameters written out: a rounding well inside any fit's standard
/// error for the samples these come from, short enough to read.
pub const DIGITS: usize = 4;

/// An empirical distribution keeps the sample's own values, with their counts as weights, while
/// there are at most this many distinct ones (durations recorded in whole days).
pub const MAX_EXACT_VALUES: usize = 30;

/// Otherwise it is this many quantiles, drawn with equal weights.
pub const QUANTILES: usize = 20;

/// Why a sample cannot be fitted.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SampleError {
    /// Fewer than two values.
    #[error("at least 2 values are needed, not {0}")]
    TooFew(usize),
    /// A value that is not a finite number above 0.
    #[error("{value} is not a finite number above 0")]
    NotPositive {
        /// Its position in the sample.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Every value the same: nothing to fit but a fixed duration.
    #[error("every value is {0}: no spread to fit (a fixed duration: {{ dist = \"fixed\", value = {0} }})")]
    AllEqual(f64),
}

/// A distribution fitted to a sample, in the parameters the engine samples it by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fitted {
    /// Exponential.
    Exponential {
        /// The mean.
        mean: f64,
    },
    /// Gamma.
    Gamma {
        /// Shape k.
        shape: f64,
        /// Scale θ.
        scale: f64,
    },
    /// Lognormal: the logarithm is normal.
    Lognormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
    /// Weibull.
    Weibull {
        /// Shape k.
        shape: f64,
        /// Scale λ.
        scale: f64,
    },
    /// Erlang: a gamma whose shape is a whole number of exponential phases.
    Erlang {
        /// The number of phases.
        k: u32,
        /// The mean.
        mean: f64,
    },
}

impl Fitted {
    /// The distribution's name in a scenario (`dist = "gamma"`).
    pub fn name(&self) -> &'static str {
        match self {
            Fitted::Exponential { .. } => "exponential",
            Fitted::Gamma { .. } => "gamma",
            Fitted::Lognormal { .. } => "lognormal",
            Fitted::Weibull { .. } => "weibull",
            Fitted::Erlang { .. } => "erlang",
        }
    }

    /// The number of parameters fitted, which AIC charges for (Erlang's `k` counts).
    pub fn parameter_count(&self) -> usize {
        match self {
            Fitted::Exponential { .. } => 1,
            _ => 2,
        }
    }

    /// The parameters as a scenario states them, in order: a gamma or lognormal by its mean and
    /// standard deviation (the engine converts them back to shape and scale, or `mu` and
    /// `sigma`), a Weibull by shape and scale, an Erlang by `k` and its mean.
    pub fn scenario_parameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            Fitted::Exponential { mean } => vec![("mean", mean)],
            Fitted::Gamma { shape, scale } => vec![("mean", shape * scale), ("sd", shape.sqrt() * scale)],
            Fitted::Lognormal { mu, sigma } => {
                let mean = (mu + sigma * sigma / 2.0).exp();
                vec![("mean", mean), ("sd", mean * (sigma * sigma).exp_m1().sqrt())]
            }
            Fitted::Weibull { shape, scale } => vec![("shape", shape), ("scale", scale)],
            Fitted::Erlang { k, mean } => vec![("k", f64::from(k)), ("mean", mean)],
        }
    }

    /// The distribution as a scenario's inline table: `{ dist = "gamma", mean = 7.021, sd = 4.934 }`.
    pub fn inline_table(&self) -> String {
        let parameters: Vec<String> = self
            .scenario_parameters()
            .into_iter()
            .map(|(field, value)| format!("{field} = {}", figure(value, DIGITS)))
            .collect();
        format!("{{ dist = \"{}\", {} }}", self.name(), parameters.join(", "))
    }

    /// The log of the density at `x` (above 0).
    pub fn log_density(&self, x: f64) -> f64 {
        match *self {
            Fitted::Exponential { mean } => -mean.ln() - x / mean,
            Fitted::Gamma { shape, scale } => gamma_log_density(shape, scale, x),
            Fitted::Lognormal { mu, sigma } => {
                let z = (x.ln() - mu) / sigma;
                -x.ln() - sigma.ln() - 0.5 * (2.0 * PI).ln() - z * z / 2.0
            }
            Fitted::Weibull { shape, scale } => {
                shape.ln() - scale.ln() + (shape - 1.0) * (x / scale).ln() - (x / scale).powf(shape)
            }
            Fitted::Erlang { k, mean } => gamma_log_density(f64::from(k), mean / f64::from(k), x),
        }
    }

    /// The cumulative distribution function at `x` (at least 0).
    pub fn cdf(&self, x: f64) -> f64 {
        match *self {
            Fitted::Exponential { mean } => -(-x / mean).exp_m1(),
            Fitted::Gamma { shape, scale } => gamma_lr(shape, x / scale),
            Fitted::Lognormal { mu, sigma } => 0.5 * erfc(-(x.ln() - mu) / (sigma * SQRT_2)),
            Fitted::Weibull { shape, scale } => -(-(x / scale).powf(shape)).exp_m1(),
            Fitted::Erlang { k, mean } => gamma_lr(f64::from(k), x * f64::from(k) / mean),
        }
    }
}

fn gamma_log_density(shape: f64, scale: f64, x: f64) -> f64 {
    (shape - 1.0) * x.ln() - x / scale - shape * scale.ln() - ln_gamma(shape)
}

/// One distribution's fit to a sample.
#[derive(Clone, Debug)]
pub struct Fit {
    /// The distribution at its maximum-likelihood parameters.
    pub distribution: Fitted,
    /// The log-likelihood of the sample there.
    pub log_likelihood: f64,
    /// Akaike's information criterion, `2 × parameters − 2 × log-likelihood`: lower is better.
    pub aic: f64,
    /// The Kolmogorov-Smirnov distance: the largest gap between the fitted and the sample's
    /// cumulative distribution functions.
    pub ks_distance: f64,
    /// The asymptotic Kolmogorov p-value of that distance. Approximate, and too high, since the
    /// parameters were estimated from the same sample (a test with them estimated, Lilliefors's,
    /// would reject more often).
    pub ks_p_value: f64,
}

/// The values an empirical distribution is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmpiricalValues {
    /// The sample's distinct values, with their counts as weights: the sample itself.
    Exact,
    /// This many equally spaced quantiles of the sample, at probabilities (i − ½)/count, with
    /// equal weights: a discrete summary whose tails stop short of the sample's.
    Quantiles(usize),
}

/// The sample as the engine's empirical distribution, which draws one of its values with
/// probability proportional to its weight (nothing between them).
#[derive(Clone, Debug)]
pub struct Empirical {
    /// How the values were chosen.
    pub kind: EmpiricalValues,
    /// The values, ascending.
    pub values: Vec<f64>,
    /// Their weights, where not all equal.
    pub weights: Option<Vec<f64>>,
    /// The Kolmogorov-Smirnov distance between it and the sample (0 when exact).
    pub ks_distance: f64,
}

impl Empirical {
    /// The distribution as a scenario's inline table, assigned to `key`, its values (and weights)
    /// on lines of their own when the whole does not fit in `width` columns. Exact values are
    /// written as read; quantiles to [`DIGITS`] significant figures.
    pub fn toml(&self, key: &str, width: usize) -> String {
        let shown = |values: &[f64]| -> Vec<String> {
            match self.kind {
                EmpiricalValues::Exact => values.iter().map(f64::to_string).collect(),
                EmpiricalValues::Quantiles(_) => values.iter().map(|v| figure(*v, DIGITS)).collect(),
            }
        };
        let values = shown(&self.values);
        let weights = self.weights.as_deref().map(shown);
        let start = format!("{key} = {{ dist = \"empirical\", values");
        let one_line = match &weights {
            Some(weights) => format!(
                "{start} = [{}], weights = [{}] }}",
                values.join(", "),
                weights.join(", ")
            ),
            None => format!("{start} = [{}] }}", values.join(", ")),
        };
        if one_line.chars().count() <= width {
            return one_line;
        }
        // An inline table may span lines only inside its values, so `weights` follows the `]`.
        match &weights {
            Some(weights) => format!(
                "{}, {}",
                toml_array_lines(&start, &values, "", width),
                toml_array_lines("weights", weights, " }", width)
            ),
            None => toml_array(&start, &values, " }", width),
        }
    }
}

/// Every fit of a sample.
#[derive(Clone, Debug)]
pub struct Fits {
    /// The number of values.
    pub count: usize,
    /// The parametric fits, best (lowest AIC) first.
    pub ranked: Vec<Fit>,
    /// The sample as an empirical distribution.
    pub empirical: Empirical,
}

/// Fits every distribution to `values` (finite, above 0, at least two and not all equal).
pub fn fit_durations(values: &[f64]) -> Result<Fits, SampleError> {
    if values.len() < 2 {
        return Err(SampleError::TooFew(values.len()));
    }
    if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0)) {
        return Err(SampleError::NotPositive { index, value });
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted[0] == sorted[sorted.len() - 1] {
        return Err(SampleError::AllEqual(sorted[0]));
    }
    let sample = Sample::new(sorted);
    let gamma_shape = gamma_shape(sample.log_mean_gap());
    let candidates = [
        Fitted::Exponential { mean: sample.mean },
        Fitted::Gamma {
            shape: gamma_shape,
            scale: sample.mean / gamma_shape,
        },
        sample.lognormal(),
        sample.weibull(),
        sample.erlang(gamma_shape),
    ];
    // A sample so extreme that a fit overflows (values spanning hundreds of orders of magnitude)
    // loses that fit rather than showing NaN.
    let mut ranked: Vec<Fit> = candidates
        .into_iter()
        .map(|distribution| sample.fit(distribution))
        .filter(|fit| fit.aic.is_finite() && fit.ks_distance.is_finite())
        .collect();
    ranked.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    Ok(Fits {
        count: sample.sorted.len(),
        ranked,
        empirical: sample.empirical(),
    })
}

/// A sample, sorted, with the statistics the fits share.
struct Sample {
    sorted: Vec<f64>,
    mean: f64,
    mean_log: f64,
}

impl Sample {
    fn new(sorted: Vec<f64>) -> Sample {
        let n = sorted.len() as f64;
        let mean = sorted.iter().sum::<f64>() / n;
        let mean_log = sorted.iter().map(|x| x.ln()).sum::<f64>() / n;
        Sample { sorted, mean, mean_log }
    }

    /// `ln(mean) − mean(ln x)`, above 0 unless all values are equal (the arithmetic mean exceeds
    /// the geometric), computed as `−mean(ln(x / mean))` so that nearly equal values do not lose
    /// it to cancellation.
    fn log_mean_gap(&self) -> f64 {
        let n = self.sorted.len() as f64;
        let gap = -self.sorted.iter().map(|x| (x / self.mean).ln()).sum::<f64>() / n;
        gap.max(f64::MIN_POSITIVE)
    }

    /// Maximum likelihood: the mean and standard deviation (divided by n) of the logarithms.
    fn lognormal(&self) -> Fitted {
        let n = self.sorted.len() as f64;
        let variance = self
            .sorted
            .iter()
            .map(|x| (x.ln() - self.mean_log).powi(2))
            .sum::<f64>()
            / n;
        Fitted::Lognormal {
            mu: self.mean_log,
            sigma: variance.sqrt(),
        }
    }

    /// Maximum likelihood: the shape k solves `Σ xᵏ ln x / Σ xᵏ − 1/k − mean(ln x) = 0`, whose left
    /// side rises with k from −∞ to `ln max − mean(ln x)` > 0; then `λ = (Σ xᵏ / n)^(1/k)`.
    fn weibull(&self) -> Fitted {
        let largest = self.sorted[self.sorted.len() - 1];
        // Scaled to at most 1, so xᵏ cannot overflow; the equation for k does not change.
        let logs: Vec<f64> = self.sorted.iter().map(|x| (x / largest).ln()).collect();
        let mean_log = logs.iter().sum::<f64>() / logs.len() as f64;
        // The equation's left side and its slope at k.
        let equation = |k: f64| {
            let (mut sum, mut sum_log, mut sum_log2) = (0.0, 0.0, 0.0);
            for &l in &logs {
                let power = (k * l).exp();
                sum += power;
                sum_log += power * l;
                sum_log2 += power * l * l;
            }
            let ratio = sum_log / sum;
            (
                ratio - 1.0 / k - mean_log,
                sum_log2 / sum - ratio * ratio + 1.0 / (k * k),
            )
        };
        // Start from the moment estimate (the sd of ln x is π / (k √6)) and bracket the root.
        let sd_log = (logs.iter().map(|l| (l - mean_log).powi(2)).sum::<f64>() / logs.len() as f64).sqrt();
        let start = PI / (6f64.sqrt() * sd_log);
        let (mut low, mut high) = (start, start);
        while equation(low).0 > 0.0 && low > 1e-6 {
            low /= 2.0;
        }
        while equation(high).0 < 0.0 && high < 1e6 {
            high *= 2.0;
        }
        let shape = solve(equation, low, high, start);
        let mean_power = logs.iter().map(|l| (shape * l).exp()).sum::<f64>() / logs.len() as f64;
        Fitted::Weibull {
            shape,
            scale: largest * mean_power.powf(1.0 / shape),
        }
    }

    /// Maximum likelihood with k a whole number: for each k the mean is the sample's, and the
    /// log-likelihood is concave in k with its peak at the gamma's shape, so the best k is that
    /// shape rounded down or up (at least 1).
    fn erlang(&self, gamma_shape: f64) -> Fitted {
        let below = gamma_shape.floor().clamp(1.0, f64::from(u32::MAX)) as u32;
        let above = gamma_shape.ceil().clamp(1.0, f64::from(u32::MAX)) as u32;
        let with = |k| Fitted::Erlang { k, mean: self.mean };
        [with(below), with(above)]
            .into_iter()
            .max_by(|a, b| self.log_likelihood(a).total_cmp(&self.log_likelihood(b)))
            .expect("two candidates")
    }

    fn log_likelihood(&self, distribution: &Fitted) -> f64 {
        self.sorted.iter().map(|&x| distribution.log_density(x)).sum()
    }

    fn fit(&self, distribution: Fitted) -> Fit {
        let log_likelihood = self.log_likelihood(&distribution);
        let ks_distance = ks_distance(&self.sorted, |x| distribution.cdf(x));
        Fit {
            distribution,
            log_likelihood,
            aic: 2.0 * distribution.parameter_count() as f64 - 2.0 * log_likelihood,
            ks_distance,
            ks_p_value: kolmogorov_p_value(ks_distance, self.sorted.len()),
        }
    }

    fn empirical(&self) -> Empirical {
        let mut distinct: Vec<(f64, f64)> = Vec::new();
        for &x in &self.sorted {
            match distinct.last_mut() {
                Some((value, count)) if *value == x => *count += 1.0,
                _ => distinct.push((x, 1.0)),
            }
            if distinct.len() > MAX_EXACT_VALUES {
                break;
            }
        }
        if distinct.len() <= MAX_EXACT_VALUES {
            let (values, counts): (Vec<f64>, Vec<f64>) = distinct.into_iter().unzip();
            let equal = counts.iter().all(|c| *c == counts[0]);
            return Empirical {
                kind: EmpiricalValues::Exact,
                values,
                weights: (!equal).then_some(counts),
                ks_distance: 0.0,
            };
        }
        let values: Vec<f64> = (0..QUANTILES)
            .map(|i| quantile(&self.sorted, (i as f64 + 0.5) / QUANTILES as f64))
            .collect();
        let ks_distance = self
            .sorted
            .iter()
            .chain(&values)
            .map(|&x| {
                let sample = self.sorted.partition_point(|v| *v <= x) as f64 / self.sorted.len() as f64;
                let drawn = values.partition_point(|v| *v <= x) as f64 / values.len() as f64;
                (sample - drawn).abs()
            })
            .fold(0.0, f64::max);
        Empirical {
            kind: EmpiricalValues::Quantiles(QUANTILES),
            values,
            weights: None,
            ks_distance,
        }
    }
}

/// The quantile at probability `p` of a sorted sample, interpolating between order statistics
/// (the usual definition: position `(n − 1) p`).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let position = (sorted.len() - 1) as f64 * p;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

/// The gamma's maximum-likelihood shape: the root of `ln k − ψ(k) = gap` by Newton's method from
/// Minka's approximation (within 1.5 %); the left side falls and is convex, so the steps
/// converge.
fn gamma_shape(gap: f64) -> f64 {
    let mut shape = (3.0 - gap + ((gap - 3.0).powi(2) + 24.0 * gap).sqrt()) / (12.0 * gap);
    for _ in 0..100 {
        let step = (shape.ln() - digamma(shape) - gap) / (1.0 / shape - trigamma(shape));
        let next = if shape - step > 0.0 { shape - step } else { shape / 2.0 };
        if (next - shape).abs() <= 1e-12 * shape {
            return next;
        }
        shape = next;
    }
    shape
}

/// The root in `[low, high]` of an increasing function given with its slope: Newton's method from
/// `start`, falling back on bisection whenever a step would leave the bracket.
fn solve(function: impl Fn(f64) -> (f64, f64), mut low: f64, mut high: f64, start: f64) -> f64 {
    let mut x = start.clamp(low, high);
    for _ in 0..200 {
        let (value, slope) = function(x);
        if value == 0.0 {
            return x;
        }
        if value < 0.0 {
            low = x;
        } else {
            high = x;
        }
        let newton = x - value / slope;
        let next = if newton > low && newton < high {
            newton
        } else {
            (low + high) / 2.0
        };
        if (next - x).abs() <= 1e-12 * x {
            return next;
        }
        x = next;
    }
    x
}

/// The trigamma function ψ′(x) for x > 0 (statrs has the digamma, not its derivative): the
/// recurrence ψ′(x) = ψ′(x + 1) + 1/x² up to x ≥ 10, then the asymptotic series, accurate there
/// to about 1e-12.
pub fn trigamma(x: f64) -> f64 {
    let mut x = x;
    let mut sum = 0.0;
    while x < 10.0 {
        sum += 1.0 / (x * x);
        x += 1.0;
    }
    let inverse_square = 1.0 / (x * x);
    let series = 1.0 / 6.0 - inverse_square * (1.0 / 30.0 - inverse_square * (1.0 / 42.0 - inverse_square / 30.0));
    sum + 1.0 / x + inverse_square / 2.0 + series * inverse_square / x
}

/// The Kolmogorov-Smirnov distance between a sorted sample and a continuous distribution: at
/// each value the distribution function against the sample's just before and at it (tied values
/// are one step).
fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let fitted = cdf(x);
            (fitted - i as f64 / n).max((i + 1) as f64 / n - fitted)
        })
        .fold(0.0, f64::max)
}

/// The asymptotic probability of a Kolmogorov-Smirnov distance at least `distance` in a sample
/// of `n` from the distribution tested, with Stephens's correction for finite n.
fn kolmogorov_p_value(distance: f64, n: usize) -> f64 {
    let root = (n as f64).sqrt();
    let lambda = (root + 0.12 + 0.11 / root) * distance;
    // Below this the series converges slowly and its value is 1 to ten decimals.
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for j in 1..=100 {
        let j = f64::from(j);
        let term = 2.0 * (-2.0 * j * j * lambda * lambda).exp();
        sum += if j % 2.0 == 1.0 { term } else { -term };
        if term < 1e-12 {
            break;
        }
    }
    sum.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_matches_known_values() {
        assert!((trigamma(1.0) - PI * PI / 6.0).abs() < 1e-10);
        assert!((trigamma(0.5) - PI * PI / 2.0).abs() < 1e-10);
        // ψ′(x) ≈ 1/x + 1/(2x²) + 1/(6x³) for large x.
        assert!((trigamma(1e4) - (1e-4 + 0.5e-8 + 1e-12 / 6.0)).abs() < 1e-17);
    }

    #[test]
    fn gamma_shape_solves_its_equation() {
        for shape in [0.05_f64, 0.7, 1.0, 3.3, 250.0] {
            let gap = shape.ln() - digamma(shape);
            let solved = gamma_shape(gap);
            assert!((solved - shape).abs() < 1e-9 * shape, "{shape}: {solved}");
        }
    }

    #[test]
    fn kolmogorov_p_values_match_the_table() {
        // The Kolmogorov distribution's upper tail: 5 % at 1.3581, 1 % at 1.6276, for λ = √n D
        // (with n large, Stephens's correction vanishes).
        let n = 100_000_000;
        let root = (n as f64).sqrt();
        assert!((kolmogorov_p_value(1.3581 / root, n) - 0.05).abs() < 1e-4);
        assert!((kolmogorov_p_value(1.6276 / root, n) - 0.01).abs() < 1e-4);
        assert_eq!(kolmogorov_p_value(0.0, n), 1.0);
    }

    #[test]
    fn ks_distance_of_a_sample_against_its_own_uniform() {
        // Values at 1/4, 2/4, 3/4 of (0, 1): the sample's steps are 1/3 apart.
        let d = ks_distance(&[0.25, 0.5, 0.75], |x| x);
        assert!((d - 0.25).abs() < 1e-12, "{d}");
    }

    #[test]
    fn a_few_whole_days_stay_exact_and_many_become_quantiles() {
        let fits = fit_durations(&[1.0, 2.0, 2.0, 3.0, 7.0]).unwrap();
        assert_eq!(fits.empirical.kind, EmpiricalValues::Exact);
        assert_eq!(fits.empirical.values, [1.0, 2.0, 3.0, 7.0]);
        assert_eq!(fits.empirical.weights.as_deref(), Some(&[1.0, 2.0, 1.0, 1.0][..]));
        let many: Vec<f64> = (1..=1000).map(f64::from).collect();
        let fits = fit_durations(&many).unwrap();
        assert_eq!(fits.empirical.kind, EmpiricalValues::Quantiles(QUANTILES));
        assert_eq!(fits.empirical.values[0], 25.975);
        assert!(fits.empirical.weights.is_none());
        // Twenty equal steps against a thousand: at most a step of 1/20 apart, and about half.
        assert!(
            (fits.empirical.ks_distance - 0.025).abs() < 0.002,
            "{}",
            fits.empirical.ks_distance
        );
    }

    #[test]
    fn unusable_samples_are_refused() {
        assert_eq!(fit_durations(&[1.0]).unwrap_err(), SampleError::TooFew(1));
        assert_eq!(
            fit_durations(&[1.0, 0.0]).unwrap_err(),
            SampleError::NotPositive { index: 1, value: 0.0 }
        );
        assert_eq!(fit_durations(&[2.5, 2.5]).unwrap_err(), SampleError::AllEqual(2.5));
    }
}
