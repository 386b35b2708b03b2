//! "How many do we need?": a grid of values for paths of a scenario (levers included), every point
//! run on the same random numbers, and the cheapest point that meets every target in a given share
//! of replications.

use std::str::FromStr;

use crate::model::{Bound, Target};

/// The most points a sweep may have: far more than anyone waits for, few enough that a typo in a
/// step (`:0.0001`) is caught before it runs for days.
pub const MAX_POINTS: usize = 10_000;

/// A path of the scenario, or a lever, and the values a sweep gives it (`PATH=FROM..TO:STEP`).
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The path, exactly as given.
    pub path: String,
    /// Its values, FROM to TO (included) by STEP.
    pub values: Vec<f64>,
    /// Decimal places of the values: those of FROM or STEP, whichever has more, so whole-number
    /// FROM and STEP give whole numbers (written without a point, as capacities must be).
    decimals: usize,
}

impl FromStr for Axis {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let form = || format!("`{text}` is not PATH=FROM..TO:STEP (e.g. hca_fte=50..80:5)");
        let (path, range) = text.split_once('=').ok_or_else(form)?;
        let (span, step) = range.split_once(':').ok_or_else(form)?;
        let (from, to) = span.split_once("..").ok_or_else(form)?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!("`{text}`: the path has an empty part"));
        }
        let number = |part: &str, what: &str| -> Result<(f64, usize), String> {
            let part = part.trim();
            let value: f64 = part
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite())
                .ok_or_else(|| format!("`{text}`: {what} `{part}` is not a number"))?;
            Ok((value, decimals(part, value)))
        };
        let (from, from_decimals) = number(from, "FROM")?;
        let (to, _) = number(to, "TO")?;
        let (step, step_decimals) = number(step, "STEP")?;
        if step <= 0.0 {
            return Err(format!("`{text}`: STEP must be above 0"));
        }
        if to < from {
            return Err(format!("`{text}`: TO must be at least FROM"));
        }
        // A little slack so that 0.1..0.3:0.1 includes 0.3 despite binary fractions.
        let steps = ((to - from) / step + 1e-9).floor();
        if steps + 1.0 > MAX_POINTS as f64 {
            return Err(format!(
                "`{text}` gives {} values; a sweep has at most {MAX_POINTS} points",
                steps + 1.0
            ));
        }
        let decimals = from_decimals.max(step_decimals);
        let scale = 10f64.powi(decimals as i32);
        let values = (0..=steps as usize)
            .map(|k| ((from + k as f64 * step) * scale).round() / scale)
            .collect();
        Ok(Axis {
            path: path.to_owned(),
            values,
            decimals,
        })
    }
}

/// The decimal places `text`, which reads as `value`, is written to: those after its point, or
/// for scientific notation (`1e-1`, `2.5E-3`) as many as the value needs, up to 15.
fn decimals(text: &str, value: f64) -> usize {
    if !text.contains(['e', 'E']) {
        return text.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    }
    (0..15)
        .find(|&d| {
            let scaled = value * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= 1e-9 * scaled.abs().max(1.0)
        })
        .unwrap_or(15)
}

impl Axis {
    /// A value as the sweep writes it, and sets it (`10`, `2.5`).
    pub fn show(&self, value: f64) -> String {
        format!("{value:.*}", self.decimals)
    }

    /// The `k`-th value as a JSON number: a whole number where the values are whole.
    pub fn json(&self, k: usize) -> serde_json::Value {
        if self.decimals == 0 {
            serde_json::json!(self.values[k] as i64)
        } else {
            serde_json::json!(self.values[k])
        }
    }

    /// The `--set` assignment that gives the path its `k`-th value.
    pub fn assignment(&self, k: usize) -> String {
        format!("{}={}", self.path, self.show(self.values[k]))
    }
}

/// Every point of the grid of `axes`, as the index of each axis's value, the first axis changing
/// slowest; `None` if there would be more than [`MAX_POINTS`].
pub fn grid(axes: &[Axis]) -> Option<Vec<Vec<usize>>> {
    let count = axes
        .iter()
        .try_fold(1usize, |count, axis| count.checked_mul(axis.values.len()))
        .filter(|&count| count <= MAX_POINTS)?;
    let mut points = Vec::with_capacity(count);
    let mut point = vec![0; axes.len()];
    for _ in 0..count {
        points.push(point.clone());
        for (k, axis) in axes.iter().enumerate().rev() {
            point[k] += 1;
            if point[k] < axis.values.len() {
                break;
            }
            point[k] = 0;
        }
    }
    Some(points)
}

/// A point of a sweep as the target search sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The index of each axis's value.
    pub point: Vec<usize>,
    /// Share of replications (0 to 1) in which every target was met; 0 for a point that could not
    /// run (unstable).
    pub share_met: f64,
    /// Mean total cost a year, where the scenario has costs.
    pub cost: Option<f64>,
    /// How far the point's means are from the targets (see [`shortfall`]).
    pub shortfall: f64,
}

/// How far `means` (one per target; `None` where undefined or the point could not run) fall
/// short of `targets`: the sum of each shortfall relative to its target's value (absolute where
/// the value is 0), infinite where a mean is missing; 0 when every mean is on the right side.
pub fn shortfall(targets: &[Target], means: &[Option<f64>]) -> f64 {
    targets
        .iter()
        .zip(means)
        .map(|(target, mean)| {
            let Some(mean) = mean else { return f64::INFINITY };
            let gap = match target.bound {
                Bound::AtMost => mean - target.value,
                Bound::AtLeast => target.value - mean,
            };
            let scale = if target.value == 0.0 { 1.0 } else { target.value.abs() };
            gap.max(0.0) / scale
        })
        .sum()
}

/// What the target search found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The cheapest candidate meeting every target in at least the confidence share of
    /// replications.
    Met(usize),
    /// None does; the candidate that comes closest (the highest share, then the smallest
    /// shortfall of its means, then the cheapest).
    Closest(usize),
}

/// The cheapest of `candidates` meeting the targets in at least `confidence` of replications:
/// cheapest by mean total cost where the candidates have one, otherwise the fewest steps up from
/// the first value of every axis (then the earlier in the grid). `None` if there are none.
pub fn search(candidates: &[Candidate], confidence: f64) -> Option<Answer> {
    // A point without a cost where others have one (it could not run) is never the cheaper.
    let cost = |c: &Candidate| c.cost.unwrap_or(f64::INFINITY);
    let steps = |c: &Candidate| c.point.iter().sum::<usize>();
    let cheaper = |a: &Candidate, b: &Candidate| {
        cost(a)
            .total_cmp(&cost(b))
            .then_with(|| steps(a).cmp(&steps(b)))
            .then_with(|| a.point.cmp(&b.point))
    };
    let meeting = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.share_met >= confidence)
        .min_by(|(_, a), (_, b)| cheaper(a, b));
    if let Some((index, _)) = meeting {
        return Some(Answer::Met(index));
    }
    candidates
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| {
            b.share_met
                .total_cmp(&a.share_met)
                .then_with(|| a.shortfall.total_cmp(&b.shortfall))
                .then_with(|| cheaper(a, b))
        })
        .map(|(index, _)| Answer::Closest(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_from_to_by_step() {
        let axis: Axis = "service.unit.capacity=10..15:1".parse().unwrap();
        assert_eq!(axis.values, [10.0, 11.0, 12.0, 13.0, 14.0, 15.0]);
        assert_eq!(axis.assignment(2), "service.unit.capacity=12");
        let axis: Axis = "pickup_days = 1.5..3:0.5".parse().unwrap();
        assert_eq!(axis.values, [1.5, 2.0, 2.5, 3.0]);
        assert_eq!(axis.show(2.0), "2.0");
        let tenths: Axis = "x=0.1..0.3:0.1".parse().unwrap();
        assert_eq!(tenths.values, [0.1, 0.2, 0.3]);
        let short: Axis = "x=1..2:5".parse().unwrap();
        assert_eq!(short.values, [1.0]);
        let scientific: Axis = "x=0..0.5:1e-1".parse().unwrap();
        assert_eq!(scientific.values, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(scientific.show(0.3), "0.3");
        for (bad, message) in [
            ("x=1..5", "`x=1..5` is not PATH=FROM..TO:STEP (e.g. hca_fte=50..80:5)"),
            ("x=5..1:1", "`x=5..1:1`: TO must be at least FROM"),
            ("x=1..5:0", "`x=1..5:0`: STEP must be above 0"),
            ("x=a..5:1", "`x=a..5:1`: FROM `a` is not a number"),
            ("x..y=1..5:1", "`x..y=1..5:1`: the path has an empty part"),
            (
                "x=0..1:0.00001",
                "`x=0..1:0.00001` gives 100001 values; a sweep has at most 10000 points",
            ),
        ] {
            assert_eq!(bad.parse::<Axis>().unwrap_err(), message);
        }
    }

    #[test]
    fn the_grid_runs_the_last_axis_fastest_and_has_a_limit() {
        let a: Axis = "a=1..2:1".parse().unwrap();
        let b: Axis = "b=0..2:1".parse().unwrap();
        assert_eq!(
            grid(&[a.clone(), b]).unwrap(),
            [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
        );
        let big: Axis = "c=1..1000:1".parse().unwrap();
        assert_eq!(grid(&[big.clone(), big]), None);
    }

    #[test]
    fn targets_read_with_bare_names_as_metrics() {
        let target: Target = "delayed_days_per_100k_per_day<=7.88".parse().unwrap();
        assert_eq!(target.path, "metrics.delayed_days_per_100k_per_day");
        assert_eq!((target.bound, target.value), (Bound::AtMost, 7.88));
        assert!(target.met(Some(7.88)) && !target.met(Some(7.9)) && !target.met(None));
        let target: Target = "services.crs.mean_wait >= 0.5".parse().unwrap();
        assert_eq!(
            (target.path.as_str(), target.bound),
            ("services.crs.mean_wait", Bound::AtLeast)
        );
        assert_eq!(target.to_string(), "services.crs.mean_wait>=0.5");
        let by_cause: Target = "delayed_bed_days_by_cause.crs<=10".parse().unwrap();
        assert_eq!(by_cause.path, "metrics.delayed_bed_days_by_cause.crs");
        let at_most: Target = "wait<=2".parse().unwrap();
        let at_least: Target = "home>=0".parse().unwrap();
        let targets = [at_most, at_least];
        assert_eq!(shortfall(&targets, &[Some(3.0), Some(-0.5)]), 0.5 + 0.5);
        assert_eq!(shortfall(&targets, &[Some(1.0), Some(1.0)]), 0.0);
        assert_eq!(shortfall(&targets, &[None, Some(1.0)]), f64::INFINITY);
        assert!("delays<7".parse::<Target>().is_err());
        assert!("delays<=seven".parse::<Target>().is_err());
    }

    #[test]
    fn the_cheapest_point_meeting_the_targets() {
        let candidate = |point: &[usize], share_met, cost| Candidate {
            point: point.to_vec(),
            share_met,
            cost,
            shortfall: 0.0,
        };
        let uncosted = [
            candidate(&[0, 2], 0.95, None),
            candidate(&[1, 0], 0.92, None),
            candidate(&[0, 1], 0.85, None),
            candidate(&[2, 2], 1.0, None),
        ];
        // Fewest steps: [1, 0] (one step) before [0, 2] (two).
        assert_eq!(search(&uncosted, 0.9), Some(Answer::Met(1)));
        assert_eq!(search(&uncosted, 0.99), Some(Answer::Met(3)));
        let costed = [
            candidate(&[0], 0.95, Some(300.0)),
            candidate(&[1], 0.97, Some(200.0)),
            candidate(&[2], 0.5, Some(100.0)),
        ];
        assert_eq!(search(&costed, 0.9), Some(Answer::Met(1)));
        // A point that could not run has no cost, and does not turn the ranking to steps.
        let mut with_unstable = costed.to_vec();
        with_unstable.insert(0, candidate(&[0], 0.0, None));
        with_unstable.iter_mut().skip(1).for_each(|c| c.point[0] += 1);
        assert_eq!(search(&with_unstable, 0.9), Some(Answer::Met(2)));
        // None meets it: the highest share, then the cheapest.
        let short = [
            candidate(&[0], 0.5, None),
            candidate(&[1], 0.8, None),
            candidate(&[2], 0.8, None),
        ];
        assert_eq!(search(&short, 0.9), Some(Answer::Closest(1)));
        // None ever meets it: the nearest means.
        let mut never = short.map(|c| Candidate { share_met: 0.0, ..c });
        never[2].shortfall = 0.1;
        never[0].shortfall = 0.5;
        never[1].shortfall = 0.3;
        assert_eq!(search(&never, 0.9), Some(Answer::Closest(2)));
        assert_eq!(search(&[], 0.9), None);
    }
}
