//! Charts of experiments: `compare`'s differences as a forest plot, `sweep`'s grid as lines or a
//! heat map, and `sensitivity`'s effects as tornadoes.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::paint::{
    band, decimals_for, extent, fit, grouped, legend, level, line, padded, plane, readable, target_text, text_width,
    upright, whisker, Axis, Drawing, Key, Look, Plane, Swatch, BLUE, GAP, INK, SERIES, TEXT_SIZE, VERMILLION,
};
use crate::report::labels::with_unit;
use crate::report::view::{Alternative, Difference, Factor, Mark, SweepPoint, SweepView, Tornado};

/// Row labels take at most this share of a chart's width.
const LABEL_SHARE: f64 = 0.4;

/// A difference as a share of the base's mean: `(mean, interval)` in %.
fn relative(difference: &Difference) -> Option<(f64, Option<(f64, f64)>)> {
    let base = difference
        .base
        .filter(|base| base.is_finite() && base.abs() > 1e-9)?
        .abs();
    let mean = difference.mean.filter(|mean| mean.is_finite())?;
    let ci = difference
        .ci95
        .filter(|[low, high]| low.is_finite() && high.is_finite())
        .map(|[low, high]| (100.0 * low / base, 100.0 * high / base));
    Some((100.0 * mean / base, ci))
}

/// Whether a difference is an outcome worth a row: the mix of discharge pathways describes
/// patients rather than judging a change, and the staff employed is what the alternative set.
fn outcome(difference: &Difference) -> bool {
    !difference.path.starts_with("metrics.pathway_") && !difference.path.ends_with(".employed_fte")
}

/// The rows of an alternative's forest plot.
fn forest_rows(alternative: &Alternative) -> Vec<ForestRow<'_>> {
    alternative
        .differences
        .iter()
        .filter(|difference| outcome(difference))
        .filter_map(|difference| {
            let (mean, ci) = relative(difference)?;
            Some(ForestRow { difference, mean, ci })
        })
        .collect()
}

/// Whether some difference of `alternative` can be drawn.
pub(super) fn forest_drawable(alternative: &Alternative) -> bool {
    !forest_rows(alternative).is_empty()
}

/// The caption, naming the statistics left out for want of a base mean.
pub(super) fn forest_caption(alternative: &Alternative) -> String {
    let mut caption = format!(
        "{}: each row is an outcome's mean paired difference (alternative minus base) as a percentage \
         of the base's mean, so outcomes in different units share one axis; whiskers are 95 % \
         confidence intervals; a whisker clear of the zero line is a difference the replications \
         resolve. The figure at the right is the difference in the outcome's own unit.",
        alternative.label
    );
    let left_out: Vec<&str> = alternative
        .differences
        .iter()
        .filter(|difference| outcome(difference) && relative(difference).is_none())
        .map(|difference| difference.label.as_str())
        .collect();
    if !left_out.is_empty() {
        caption.push_str(&format!(
            " Left out (no base mean or no difference): {}.",
            left_out.join(", ")
        ));
    }
    caption
}

/// A row of a forest plot.
struct ForestRow<'a> {
    difference: &'a Difference,
    mean: f64,
    ci: Option<(f64, f64)>,
}

/// The height of an alternative's forest plot, in SVG pixels: a line per row.
pub(super) fn forest_height(alternative: &Alternative) -> u32 {
    (forest_rows(alternative).len() as u32 * 28 + 150).max(300)
}

/// Draws one row per outcome of an alternative, on an axis of % of the base's mean, in the
/// alternative's colour (`index`, its place among the alternatives).
pub(super) fn draw_forest<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    alternative: &Alternative,
    index: usize,
) -> Drawing<(), DB> {
    let rows = forest_rows(alternative);
    let color = SERIES[index % SERIES.len()];
    let area = root.margin(0, look.px(GAP), 0, 0);
    let style = look.text(TEXT_SIZE);
    let (width, _) = area.dim_in_pixel();
    let label_room = (width as f64 * LABEL_SHARE) as i32;
    let labels = rows
        .iter()
        .map(|row| fit(&area, &row.difference.label, &style, label_room))
        .collect::<Drawing<Vec<String>, DB>>()?;
    let absolutes: Vec<String> = rows
        .iter()
        .map(|row| with_unit(row.difference.mean.unwrap_or(f64::NAN), &row.difference.unit, true))
        .collect();
    let strip = absolutes
        .iter()
        .map(|text| text_width(&area, text, &style))
        .collect::<Drawing<Vec<i32>, DB>>()?
        .into_iter()
        .max()
        .unwrap_or(0)
        .min((width as f64 * 0.25) as i32)
        + look.px(16.0);
    let (left, right) = area.split_horizontally(width as i32 - strip);

    let ends = rows.iter().flat_map(|row| {
        [row.mean]
            .into_iter()
            .chain(row.ci.map(|(l, h)| [l, h]).into_iter().flatten())
    });
    let (low, high) = padded(extent(ends.chain([0.0])).unwrap_or((-1.0, 1.0)), 0.05);
    let x = Axis::numeric(low, high, 5, false, "difference (% of the base's mean)".to_string()).signed();
    let y = Axis::rows(labels);
    let mut chart = plane(&left, look, &x, &y)?;
    upright(&mut chart, look, 0.0, INK, false)?;
    for (index, row) in rows.iter().enumerate() {
        let at = -(index as f64);
        if let Some(ci) = row.ci {
            whisker(&mut chart, look, ci, at, color)?;
        }
        chart.draw_series([Circle::new((row.mean, at), look.px(5.0), color.filled())])?;
    }
    right_column(&chart, &right, look, &absolutes)
}

/// Writes `texts[i]` in `strip` level with row `i` of `chart`, shortened to the strip.
fn right_column<DB: DrawingBackend>(
    chart: &Plane<DB>,
    strip: &DrawingArea<DB, Shift>,
    look: &Look,
    texts: &[String],
) -> Drawing<(), DB> {
    let style = look.text(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let (width, _) = strip.dim_in_pixel();
    let (_, top) = strip.get_base_pixel();
    for (row, text) in texts.iter().enumerate() {
        let (_, y) = chart.backend_coord(&(0.0, -(row as f64)));
        let text = fit(strip, text, &style, width as i32 - look.px(8.0))?;
        strip.draw(&Text::new(text, (look.px(8.0), y - top), style.clone()))?;
    }
    Ok(())
}

/// What a sweep chart shows at each point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Measure {
    /// The mean of the statistic at this index of [`SweepView::statistics`].
    Statistic(usize),
    /// The share of replications meeting every target, in %.
    ShareMet,
}

/// A point's value and 95 % interval of `measure`.
fn measured(point: &SweepPoint, measure: Measure) -> (Option<f64>, Option<(f64, f64)>) {
    match measure {
        Measure::Statistic(index) => (
            point.mean.get(index).copied().flatten().filter(|mean| mean.is_finite()),
            point
                .ci95
                .get(index)
                .copied()
                .flatten()
                .filter(|[low, high]| low.is_finite() && high.is_finite())
                .map(|[low, high]| (low, high)),
        ),
        Measure::ShareMet => (
            point
                .share_met
                .filter(|share| share.is_finite())
                .map(|share| 100.0 * share),
            None,
        ),
    }
}

/// What a measure is, with its unit, for an axis.
fn measure_title(sweep: &SweepView, measure: Measure) -> String {
    match measure {
        Measure::Statistic(index) => {
            let statistic = &sweep.statistics[index];
            format!("{} ({})", statistic.label, statistic.unit)
        }
        Measure::ShareMet => "replications meeting every target (%)".to_string(),
    }
}

/// The target on a measure, where it has one.
pub(super) fn measure_target(sweep: &SweepView, measure: Measure) -> Option<&Mark> {
    match measure {
        Measure::Statistic(index) => sweep.statistics[index]
            .target
            .as_ref()
            .filter(|target| target.value.is_finite()),
        Measure::ShareMet => None,
    }
}

/// Whether `value` is on the target's side of its value.
fn meets(target: &Mark, value: f64) -> bool {
    match target.bound.as_str() {
        "<=" => value <= target.value,
        ">=" => value >= target.value,
        _ => false,
    }
}

/// Whether a sweep has a finite value of `measure` at some point.
pub(super) fn sweep_drawable(sweep: &SweepView, measure: Measure) -> bool {
    sweep.points.iter().any(|point| measured(point, measure).0.is_some())
}

/// A measure at one value of the parameter swept.
struct SweptValue {
    at: f64,
    mean: Option<f64>,
    ci: Option<(f64, f64)>,
}

/// Draws `measure` against the one parameter varied: the mean, its 95 % interval and the target.
pub(super) fn draw_sweep_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    sweep: &SweepView,
    measure: Measure,
) -> Drawing<(), DB> {
    let Some(axis) = sweep.axes.first() else { return Ok(()) };
    let mut points: Vec<SweptValue> = sweep
        .points
        .iter()
        .filter_map(|point| {
            let at = axis
                .values
                .get(*point.at.first()?)
                .copied()
                .filter(|value| value.is_finite())?;
            let (mean, ci) = measured(point, measure);
            Some(SweptValue { at, mean, ci })
        })
        .collect();
    points.sort_by(|a, b| a.at.total_cmp(&b.at));
    let target = measure_target(sweep, measure);
    let fill = BLUE.mix(0.2);
    let what = if measure == Measure::ShareMet {
        "replications meeting every target"
    } else {
        "mean"
    };
    let mut keys = vec![Key::new(Swatch::Line(BLUE), what)];
    if points.iter().any(|point| point.ci.is_some()) {
        keys.push(Key::new(Swatch::Fill(fill), "95 % confidence interval"));
    }
    if let Some(target) = target {
        let text = target_text(&target.bound, target.value, target.period.as_deref());
        keys.push(Key::new(Swatch::Dashed(VERMILLION), format!("target {text}")));
    }
    let area = legend(root, look, &keys)?;

    let Some(across) = extent(points.iter().map(|point| point.at)) else {
        return Ok(());
    };
    let ends = points.iter().flat_map(|point| {
        point
            .mean
            .into_iter()
            .chain(point.ci.map(|(low, high)| [low, high]).into_iter().flatten())
    });
    let Some(span) = extent(ends.chain(target.map(|target| target.value))) else {
        return Ok(());
    };
    let span = if measure == Measure::ShareMet {
        (0.0, 100.0)
    } else {
        span
    };
    let (left, right) = padded(across, 0.03);
    let (low, high) = padded(span, 0.05);
    let xs: Vec<f64> = points.iter().map(|point| point.at).collect();
    let mut x = Axis::numeric(left, right, 8, false, axis.label.clone());
    // Ticks where the sweep ran, unless there are too many to label.
    let mut swept = xs.clone();
    swept.dedup();
    if swept.len() <= 12 {
        x = x.ticked_at(swept);
    }
    let y = Axis::numeric(low, high, 6, false, measure_title(sweep, measure));
    let mut chart = plane(&area, look, &x, &y)?;
    let bound = |pick: fn((f64, f64)) -> f64| -> Vec<f64> {
        points.iter().map(|point| point.ci.map_or(f64::NAN, pick)).collect()
    };
    band(&mut chart, look, &xs, &bound(|ci| ci.0), &bound(|ci| ci.1), fill)?;
    let means: Vec<f64> = points.iter().map(|point| point.mean.unwrap_or(f64::NAN)).collect();
    line(&mut chart, look, &xs, &means, BLUE)?;
    let dots = xs.iter().zip(&means).filter(|(_, mean)| mean.is_finite());
    chart.draw_series(dots.map(|(&x, &mean)| Circle::new((x, mean), look.px(3.5), BLUE.filled())))?;
    if let Some(target) = target {
        level(&mut chart, look, (x.range.start, x.range.end), target.value, VERMILLION)?;
    }
    Ok(())
}

/// A colour from near white (`share` 0) to blue (1), and the ink that reads on it.
fn shade(share: f64) -> (RGBColor, RGBColor) {
    let share = if share.is_finite() { share.clamp(0.0, 1.0) } else { 0.0 };
    let mix = |channel: u8| (255.0 + (f64::from(channel) - 255.0) * (0.06 + 0.94 * share)).round() as u8;
    let ink = if share > 0.55 { WHITE } else { INK };
    (RGBColor(mix(BLUE.0), mix(BLUE.1), mix(BLUE.2)), ink)
}

/// The width of a heat map's colour scale, in SVG pixels.
const SCALE_WIDTH: f64 = 130.0;

/// Draws `measure` over a two-parameter grid: a cell per point shaded by its value and labelled
/// with it, cells meeting the target outlined, and the colour scale at the right.
pub(super) fn draw_sweep_heat<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    sweep: &SweepView,
    measure: Measure,
) -> Drawing<(), DB> {
    let [across, up] = [&sweep.axes[0], &sweep.axes[1]];
    let cells: Vec<(usize, usize, f64)> = sweep
        .points
        .iter()
        .filter_map(|point| {
            let (&[column, row], (Some(value), _)) = (point.at.as_slice(), measured(point, measure)) else {
                return None;
            };
            (column < across.values.len() && row < up.values.len()).then_some((column, row, value))
        })
        .collect();
    let Some((low, high)) = extent(cells.iter().map(|cell| cell.2)) else {
        return Ok(());
    };
    let (low, high) = if measure == Measure::ShareMet {
        (0.0, 100.0)
    } else {
        (low, high)
    };
    let share = |value: f64| if high > low { (value - low) / (high - low) } else { 0.5 };
    let target = measure_target(sweep, measure);
    let keys: Vec<Key> = target
        .map(|target| {
            let text = target_text(&target.bound, target.value, target.period.as_deref());
            Key::new(Swatch::Line(VERMILLION), format!("outlined: meets the target {text}"))
        })
        .into_iter()
        .collect();
    let area = legend(root, look, &keys)?;

    let (width, _) = area.dim_in_pixel();
    let (grid_area, scale_area) = area.split_horizontally(width as i32 - look.px(SCALE_WIDTH));
    let names = |values: &[f64]| values.iter().map(|&value| readable(value)).collect();
    let x = Axis::categories(names(&across.values), across.label.clone());
    let y = Axis::categories(names(&up.values), up.label.clone());
    let mut chart = plane(&grid_area, look, &x, &y)?;
    let square = |column: usize, row: usize, inset: f64| {
        let (column, row) = (column as f64, row as f64);
        [
            (column - 0.5 + inset, row - 0.5 + inset),
            (column + 0.5 - inset, row + 0.5 - inset),
        ]
    };
    chart.draw_series(
        cells
            .iter()
            .map(|&(column, row, value)| Rectangle::new(square(column, row, 0.0), shade(share(value)).0.filled())),
    )?;
    if let Some(target) = target {
        let met = cells.iter().filter(|cell| meets(target, cell.2));
        chart.draw_series(
            met.map(|&(column, row, _)| Rectangle::new(square(column, row, 0.03), look.stroke(VERMILLION, 3.0))),
        )?;
    }
    let decimals = decimals_for(low.abs().max(high.abs()));
    let style = look.text(TEXT_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
    let (left, _) = chart.backend_coord(&(0.0, 0.0));
    let (right, _) = chart.backend_coord(&(1.0, 0.0));
    for &(column, row, value) in &cells {
        let text = grouped(value, decimals);
        if text_width(&grid_area, &text, &style)? < right - left - look.px(6.0) {
            let ink = shade(share(value)).1;
            chart.draw_series([Text::new(text, (column as f64, row as f64), style.color(&ink))])?;
        }
    }

    let (_, top) = chart.backend_coord(&(0.0, y.range.end));
    let (_, bottom) = chart.backend_coord(&(0.0, y.range.start));
    let (_, origin_y) = scale_area.get_base_pixel();
    let (top, bottom) = (top - origin_y, bottom - origin_y);
    let bar_left = look.px(GAP);
    let bar_right = bar_left + look.px(18.0);
    let steps = 64;
    for step in 0..steps {
        let from = bottom + (top - bottom) * step / steps;
        let to = bottom + (top - bottom) * (step + 1) / steps;
        let color = shade((step as f64 + 0.5) / steps as f64).0;
        scale_area.draw(&Rectangle::new([(bar_left, from), (bar_right, to)], color.filled()))?;
    }
    scale_area.draw(&Rectangle::new(
        [(bar_left, top), (bar_right, bottom)],
        look.stroke(INK, 1.0),
    ))?;
    let ticks = Axis::numeric(low, high, 4, false, String::new());
    let tick_style = look.text(TEXT_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let mut widest = 0;
    for &tick in &ticks.ticks {
        let at = bottom + ((top - bottom) as f64 * share(tick)).round() as i32;
        let label = (ticks.labels)(tick);
        widest = widest.max(text_width(&scale_area, &label, &tick_style)?);
        scale_area.draw(&Text::new(label, (bar_right + look.px(4.0), at), tick_style.clone()))?;
    }
    // The scale's title runs up beside it, as the y axis's does.
    let title_style = look
        .text(TEXT_SIZE)
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Top));
    let title = fit(
        &scale_area,
        &measure_title(sweep, measure),
        &look.text(TEXT_SIZE),
        bottom - top,
    )?;
    let title_x = bar_right + look.px(10.0) + widest;
    scale_area.draw(&Text::new(title, (title_x, (top + bottom) / 2), title_style))?;
    Ok(())
}

/// The factors with a finite effect, largest first.
fn ranked(tornado: &Tornado) -> Vec<&Factor> {
    let mut factors: Vec<&Factor> = tornado
        .factors
        .iter()
        .filter(|f| f.effect.is_some_and(f64::is_finite))
        .collect();
    factors.sort_by(|a, b| b.effect.unwrap_or(0.0).abs().total_cmp(&a.effect.unwrap_or(0.0).abs()));
    factors
}

/// Whether a tornado has a factor to draw.
pub(super) fn tornado_drawable(tornado: &Tornado) -> bool {
    !ranked(tornado).is_empty()
}

/// The height of a tornado, in SVG pixels: a bar per factor.
pub(super) fn tornado_height(tornado: &Tornado) -> u32 {
    (ranked(tornado).len() as u32 * 36 + 140).max(260)
}

/// Draws a bar per factor from zero to its effect, largest on top, with 95 % whiskers.
pub(super) fn draw_tornado<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    tornado: &Tornado,
) -> Drawing<(), DB> {
    let factors = ranked(tornado);
    let fill = BLUE.mix(0.75);
    let keys = [
        Key::new(Swatch::Fill(fill), "mean change"),
        Key::new(Swatch::Line(INK), "95 % confidence interval"),
    ];
    let area = legend(root, look, &keys)?;
    let style = look.text(TEXT_SIZE);
    let (width, _) = area.dim_in_pixel();
    let room = (width as f64 * LABEL_SHARE) as i32;
    // A long name is shortened, never the values it moves between.
    let labels = factors
        .iter()
        .map(|factor| {
            let values = format!(" ({} to {})", factor.low, factor.high);
            let name = fit(&area, &factor.name, &style, room - text_width(&area, &values, &style)?)?;
            Ok(format!("{name}{values}"))
        })
        .collect::<Drawing<Vec<String>, DB>>()?;
    let ends = factors
        .iter()
        .flat_map(|f| f.effect.into_iter().chain(f.ci95.into_iter().flatten()));
    let (low, high) = padded(extent(ends.chain([0.0])).unwrap_or((-1.0, 1.0)), 0.05);
    let title = format!("change from the low to the high value ({})", tornado.unit);
    let x = Axis::numeric(low, high, 7, false, title).signed();
    let y = Axis::rows(labels);
    let mut chart = plane(&area, look, &x, &y)?;
    chart.draw_series(factors.iter().enumerate().map(|(row, factor)| {
        let at = -(row as f64);
        Rectangle::new(
            [(0.0, at - 0.32), (factor.effect.unwrap_or(0.0), at + 0.32)],
            fill.filled(),
        )
    }))?;
    for (row, factor) in factors.iter().enumerate() {
        if let Some([low, high]) = factor.ci95.filter(|[low, high]| low.is_finite() && high.is_finite()) {
            whisker(&mut chart, look, (low, high), -(row as f64), INK)?;
        }
    }
    upright(&mut chart, look, 0.0, INK, false)
}
