//! A BCF metric's values across replications: a histogram with its mean, the mean's 95 %
//! confidence interval and the target.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::paint::{
    extent, legend, padded, plane, readable, target_text, upright, Axis, Drawing, Key, Look, Swatch, BLUE, INK, ORANGE,
    SKY_BLUE, VERMILLION,
};
use crate::report::view::MetricDistribution;

/// The replications' finite values.
fn finite(distribution: &MetricDistribution) -> Vec<f64> {
    distribution
        .values
        .iter()
        .copied()
        .filter(|value| value.is_finite())
        .collect()
}

/// Whether there is anything to draw.
pub(super) fn drawable(distribution: &MetricDistribution) -> bool {
    !finite(distribution).is_empty()
}

/// The caption: what the bars and lines are, and how often the target was met.
pub(super) fn caption(distribution: &MetricDistribution) -> String {
    let count = finite(distribution).len();
    let mut caption = format!(
        "Each bar counts the replications (of {count}) whose value fell in its range. Black line: the mean; \
         orange band: its 95 % confidence interval."
    );
    if let Some(target) = &distribution.target {
        caption.push_str(&format!(
            " Dashed vermilion line: the target, {}",
            target_text(&target.bound, target.value, target.period.as_deref())
        ));
        match target.probability_met {
            Some(share) => caption.push_str(&format!(", met in {} % of replications.", readable(100.0 * share))),
            None => caption.push('.'),
        }
    }
    caption
}

/// Bins by the Rice rule (about twice the cube root of the count), 3 to 40 of them, over the
/// values' range; identical values share one bin `lone_width` wide.
fn bins(values: &[f64], (low, high): (f64, f64), lone_width: f64) -> Vec<(f64, f64, usize)> {
    if high <= low {
        return vec![(low - lone_width / 2.0, low + lone_width / 2.0, values.len())];
    }
    let count = ((2.0 * (values.len() as f64).cbrt()).round() as usize).clamp(3, 40);
    let width = (high - low) / count as f64;
    let mut counts = vec![0; count];
    for value in values {
        let bin = (((value - low) / width) as usize).min(count - 1);
        counts[bin] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(bin, n)| (low + bin as f64 * width, low + (bin + 1) as f64 * width, n))
        .collect()
}

/// Draws the histogram.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    distribution: &MetricDistribution,
) -> Drawing<(), DB> {
    let values = finite(distribution);
    let Some(span) = extent(values.iter().copied()) else {
        return Ok(());
    };
    let mean = Some(distribution.mean).filter(|mean| mean.is_finite());
    let ci = distribution
        .ci95
        .filter(|[low, high]| low.is_finite() && high.is_finite());
    let target = distribution.target.as_ref().filter(|target| target.value.is_finite());

    let mut keys = Vec::new();
    if let Some(mean) = mean {
        keys.push(Key::new(Swatch::Line(INK), format!("mean {}", readable(mean))));
    }
    if let Some([low, high]) = ci {
        keys.push(Key::new(
            Swatch::Fill(ORANGE.mix(0.3)),
            format!("95 % CI {} to {}", readable(low), readable(high)),
        ));
    }
    if let Some(target) = target {
        let text = target_text(&target.bound, target.value, target.period.as_deref());
        keys.push(Key::new(Swatch::Dashed(VERMILLION), format!("target {text}")));
    }
    let area = legend(root, look, &keys)?;

    let marks = mean
        .into_iter()
        .chain(ci.into_iter().flatten())
        .chain(target.map(|target| target.value));
    let (low, high) = extent(values.iter().copied().chain(marks)).unwrap_or(span);
    // A lone bar is a fortieth of the marks' spread wide, or 2 % of its value where nothing spreads.
    let lone_width = if high > low {
        (high - low) / 40.0
    } else {
        (span.0.abs() * 0.02).max(0.5)
    };
    let bins = bins(&values, span, lone_width);
    let edges = bins.iter().flat_map(|bin| [bin.0, bin.1]);
    // Where nothing spreads, the axis shows the lone bar as a tenth of its width.
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low - 5.0 * lone_width, high + 5.0 * lone_width)
    };
    let (low, high) = padded(extent(edges.chain([low, high])).unwrap_or(span), 0.04);
    let title = format!("{} ({})", distribution.label, distribution.unit);
    let x = Axis::numeric(low, high, 8, false, title);
    let tallest = bins.iter().map(|bin| bin.2).max().unwrap_or(0);
    let y = Axis::numeric(0.0, tallest.max(1) as f64 * 1.08, 5, true, "replications".to_string());
    let mut chart = plane(&area, look, &x, &y)?;

    if let Some([low, high]) = ci {
        chart.draw_series([Rectangle::new(
            [(low, y.range.start), (high, y.range.end)],
            ORANGE.mix(0.3).filled(),
        )])?;
    }
    chart.draw_series(bins.iter().filter(|bin| bin.2 > 0).flat_map(|&(from, to, n)| {
        [
            Rectangle::new([(from, 0.0), (to, n as f64)], SKY_BLUE.mix(0.85).filled()),
            Rectangle::new([(from, 0.0), (to, n as f64)], look.stroke(BLUE, 1.0)),
        ]
    }))?;
    if let Some(mean) = mean {
        upright(&mut chart, look, mean, INK, false)?;
    }
    if let Some(target) = target {
        upright(&mut chart, look, target.value, VERMILLION, true)?;
    }
    Ok(())
}
