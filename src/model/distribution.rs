//! Probability distributions of durations, with parameters already converted to the form the
//! sampler needs. Built only from validated input, so construction here cannot fail.

use rand_distr::{Distribution as _, Exp1, Gamma, StandardNormal};

/// A distribution of non-negative durations in days.
#[derive(Clone, Debug)]
pub enum Distribution {
    /// Always `value`.
    Fixed(f64),
    /// Exponential with the given mean.
    Exponential {
        /// The mean.
        mean: f64,
    },
    /// Uniform on `[min, max)`.
    Uniform {
        /// The lower bound.
        min: f64,
        /// The upper bound.
        max: f64,
    },
    /// Triangular on `[min, max]` with the given mode.
    Triangular {
        /// The lower bound.
        min: f64,
        /// The most likely value.
        mode: f64,
        /// The upper bound.
        max: f64,
    },
    /// `exp(mu + sigma * Z)` for standard normal `Z`.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
    /// Gamma (also Erlang, with integer shape).
    Gamma {
        /// Shape k.
        shape: f64,
        /// Scale θ.
        scale: f64,
        /// The sampler, built once from shape and scale.
        sampler: Gamma<f64>,
    },
    /// Weibull, sampled by inversion.
    Weibull {
        /// The shape parameter k.
        shape: f64,
        /// The scale parameter λ.
        scale: f64,
    },
    /// One of `values`, drawn with probabilities proportional to the weights, stored cumulatively.
    Empirical {
        /// The possible values.
        values: Vec<f64>,
        /// Cumulative weights normalised to end at 1.
        cumulative: Vec<f64>,
    },
}

impl Distribution {
    /// Lognormal with the given mean and standard deviation of the distribution itself, as users
    /// state a length of stay.
    pub fn lognormal_from_mean_sd(mean: f64, sd: f64) -> Distribution {
        let sigma_squared = (1.0 + (sd / mean).powi(2)).ln();
        Distribution::LogNormal {
            mu: mean.ln() - sigma_squared / 2.0,
            sigma: sigma_squared.sqrt(),
        }
    }

    /// Lognormal with the given median and 95th percentile.
    pub fn lognormal_from_median_p95(median: f64, p95: f64) -> Distribution {
        const Z95: f64 = 1.644_853_626_951_472_2;
        Distribution::LogNormal {
            mu: median.ln(),
            sigma: (p95.ln() - median.ln()) / Z95,
        }
    }

    /// Gamma with the given mean and standard deviation (both positive); `None` where they are
    /// too extreme for the sampler in double precision.
    pub fn gamma_from_mean_sd(mean: f64, sd: f64) -> Option<Distribution> {
        let shape = (mean / sd).powi(2);
        Distribution::gamma(shape, mean / shape)
    }

    /// Erlang with `k` phases and the given mean; `None` as for [`Distribution::gamma_from_mean_sd`].
    pub fn erlang(k: u32, mean: f64) -> Option<Distribution> {
        let shape = f64::from(k);
        Distribution::gamma(shape, mean / shape)
    }

    fn gamma(shape: f64, scale: f64) -> Option<Distribution> {
        let sampler = Gamma::new(shape, scale).ok().filter(|_| shape > 0.0 && scale > 0.0)?;
        Some(Distribution::Gamma { shape, scale, sampler })
    }

    /// Whether the parameters, as converted, can be sampled: finite, with a finite mean. Values
    /// valid one by one (a mean of 1e-300 days with an sd of 1e300) may still fail this.
    pub fn is_usable(&self) -> bool {
        let parameters_finite = match self {
            Distribution::LogNormal { mu, sigma } => mu.is_finite() && sigma.is_finite(),
            Distribution::Weibull { shape, .. } => (1.0 / shape).is_finite(),
            _ => true,
        };
        parameters_finite && self.mean().is_finite()
    }

    /// Weibull with the given shape and scale.
    pub fn weibull(shape: f64, scale: f64) -> Distribution {
        Distribution::Weibull { shape, scale }
    }

    /// Empirical over `values` with (unnormalised, non-negative, not all zero) `weights`.
    pub fn empirical(values: Vec<f64>, weights: &[f64]) -> Distribution {
        let total: f64 = weights.iter().sum();
        let mut running = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                running += w;
                running / total
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Distribution::Empirical { values, cumulative }
    }

    /// The mean, used only to warn about overload before a run (metrics come from simulated
    /// patients, never from this).
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Fixed(value) => *value,
            Distribution::Exponential { mean } => *mean,
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Distribution::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Gamma { shape, scale, .. } => shape * scale,
            Distribution::Weibull { shape, scale } => scale * statrs::function::gamma::gamma(1.0 + 1.0 / shape),
            Distribution::Empirical { values, cumulative } => {
                let mut previous = 0.0;
                values
                    .iter()
                    .zip(cumulative)
                    .map(|(value, &c)| {
                        let weight = c - previous;
                        previous = c;
                        value * weight
                    })
                    .sum()
            }
        }
    }

    /// Draws one value.
    #[inline]
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Distribution::Fixed(value) => *value,
            Distribution::Exponential { mean } => mean * rng.sample::<f64, _>(Exp1),
            Distribution::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Distribution::Triangular { min, mode, max } => {
                let u: f64 = rng.random();
                let split = (mode - min) / (max - min);
                if u < split {
                    min + ((max - min) * (mode - min) * u).sqrt()
                } else {
                    max - ((max - min) * (max - mode) * (1.0 - u)).sqrt()
                }
            }
            Distribution::LogNormal { mu, sigma } => (mu + sigma * rng.sample::<f64, _>(StandardNormal)).exp(),
            Distribution::Gamma { sampler, .. } => sampler.sample(rng),
            Distribution::Weibull { shape, scale } => scale * rng.sample::<f64, _>(Exp1).powf(1.0 / shape),
            Distribution::Empirical { values, cumulative } => {
                let u: f64 = rng.random();
                let index = cumulative.partition_point(|&c| c <= u).min(values.len() - 1);
                values[index]
            }
        }
    }
}
