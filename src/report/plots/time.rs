//! Charts over the calendar: a metric's monthly fan, patients in a service and staff on shift
//! each day, and delayed bed days by cause each month.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::paint::{
    band, extent, legend, level, line, padded, plane, readable, target_text, Axis, Drawing, Key, Look, Swatch, BLUE,
    GREEN, INK, SERIES, TEXT_SIZE, VERMILLION,
};
use crate::report::view::{DailyBand, DelaysByCause, Fan, StaffingDays};

/// 0, 1, ... for `count` months or days.
fn positions(count: usize) -> Vec<f64> {
    (0..count).map(|index| index as f64).collect()
}

/// Whether a fan has a finite median in some month.
pub(super) fn fan_drawable(fan: &Fan) -> bool {
    !fan.months.is_empty() && fan.p50.iter().any(|value| value.is_finite())
}

/// Draws a fan: the 10th-90th and 25th-75th percentile bands, the median, and each target over
/// its months, labelled at its left end.
pub(super) fn draw_fan<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, look: &Look, fan: &Fan) -> Drawing<(), DB> {
    let outer = BLUE.mix(0.15);
    let inner = BLUE.mix(0.35);
    let month = |name: &str| fan.months.iter().position(|month| month == name);
    let targets: Vec<(f64, f64, f64, String)> = fan
        .targets
        .iter()
        .filter(|target| target.mark.value.is_finite())
        .filter_map(|target| {
            let from = month(&target.from).unwrap_or(0);
            let to = month(&target.to).unwrap_or(fan.months.len() - 1);
            let text = target_text(&target.mark.bound, target.mark.value, target.mark.period.as_deref());
            (from <= to).then_some((from as f64 - 0.5, to as f64 + 0.5, target.mark.value, text))
        })
        .collect();
    let mut keys = vec![
        Key::new(Swatch::Fill(outer), "10th to 90th percentile"),
        Key::new(Swatch::Fill(inner), "25th to 75th percentile"),
        Key::new(Swatch::Line(BLUE), "median"),
    ];
    if !targets.is_empty() {
        keys.push(Key::new(Swatch::Dashed(VERMILLION), "target"));
    }
    let area = legend(root, look, &keys)?;

    let values = [&fan.p10, &fan.p25, &fan.p50, &fan.p75, &fan.p90]
        .into_iter()
        .flatten()
        .copied();
    let Some((low, high)) = extent(values.chain(targets.iter().map(|target| target.2))) else {
        return Ok(());
    };
    // Room above the highest value for a target's label.
    let (low, high) = padded((low, high + (high - low) * 0.06), 0.05);
    let x = Axis::months(&fan.months, "month".to_string());
    let y = Axis::numeric(low, high, 6, false, fan.unit.clone());
    let mut chart = plane(&area, look, &x, &y)?;
    let xs = positions(fan.months.len());
    band(&mut chart, look, &xs, &fan.p10, &fan.p90, outer)?;
    band(&mut chart, look, &xs, &fan.p25, &fan.p75, inner)?;
    line(&mut chart, look, &xs, &fan.p50, BLUE)?;
    let label = look
        .text(TEXT_SIZE)
        .color(&VERMILLION)
        .pos(Pos::new(HPos::Left, VPos::Bottom));
    for (from, to, value, text) in &targets {
        level(&mut chart, look, (*from, *to), *value, VERMILLION)?;
        chart.draw_series([Text::new(text.clone(), (*from + 0.1, *value), label.clone())])?;
    }
    Ok(())
}

/// Whether a daily band has a finite mean on some day.
pub(super) fn daily_drawable(band: &DailyBand) -> bool {
    !band.dates.is_empty() && band.mean.iter().any(|value| value.is_finite())
}

/// A horizontal line across a daily chart, with its legend label.
struct Level {
    label: String,
    value: f64,
    color: RGBColor,
}

/// Draws a number each day: the 10th-90th percentile band, the mean, and `levels` across.
fn draw_daily<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    days: &DailyBand,
    y_title: &str,
    levels: &[Level],
) -> Drawing<(), DB> {
    let fill = BLUE.mix(0.2);
    let mut keys = vec![
        Key::new(Swatch::Fill(fill), "10th to 90th percentile"),
        Key::new(Swatch::Line(BLUE), "mean"),
    ];
    keys.extend(
        levels
            .iter()
            .map(|level| Key::new(Swatch::Dashed(level.color), level.label.clone())),
    );
    let area = legend(root, look, &keys)?;

    let values = days.p10.iter().chain(&days.p90).chain(&days.mean).copied();
    let Some((low, high)) = extent(values.chain(levels.iter().map(|level| level.value))) else {
        return Ok(());
    };
    let (low, high) = padded((low, high), 0.05);
    let x = Axis::days(&days.dates, "date".to_string());
    let y = Axis::numeric(low, high, 6, false, y_title.to_string());
    let mut chart = plane(&area, look, &x, &y)?;
    let xs = positions(days.dates.len());
    band(&mut chart, look, &xs, &days.p10, &days.p90, fill)?;
    line(&mut chart, look, &xs, &days.mean, BLUE)?;
    for level in levels {
        self::level(&mut chart, look, (x.range.start, x.range.end), level.value, level.color)?;
    }
    Ok(())
}

/// Draws patients in a service each day, with its capacity.
pub(super) fn draw_occupancy<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    occupancy: &DailyBand,
) -> Drawing<(), DB> {
    let capacity = occupancy
        .capacity
        .filter(|capacity| capacity.is_finite())
        .map(|capacity| Level {
            label: format!("capacity {}", readable(capacity)),
            value: capacity,
            color: VERMILLION,
        });
    draw_daily(root, look, occupancy, "patients", capacity.as_slice())
}

/// Draws people needed on shift each day, with those on shift at the employed and the needed FTE.
pub(super) fn draw_staffing<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    staffing: &StaffingDays,
) -> Drawing<(), DB> {
    let fte = |fte: Option<f64>| fte.map_or(String::new(), |fte| format!(" {}", readable(fte)));
    let employed = staffing
        .on_shift
        .capacity
        .filter(|value| value.is_finite())
        .map(|value| Level {
            label: format!(
                "{} FTE employed: {} on shift",
                fte(staffing.fte_employed).trim(),
                readable(value)
            ),
            value,
            color: VERMILLION,
        });
    let needed = staffing
        .on_shift_at_fte_needed
        .filter(|value| value.is_finite())
        .map(|value| Level {
            label: format!(
                "{} FTE needed: {} on shift",
                fte(staffing.fte_needed).trim(),
                readable(value)
            ),
            value,
            color: GREEN,
        });
    let levels: Vec<Level> = employed.into_iter().chain(needed).collect();
    draw_daily(root, look, &staffing.on_shift, "people on shift", &levels)
}

/// The most causes given a colour of their own; the rest share one bar.
const NAMED_CAUSES: usize = 7;

/// Each cause's finite, non-negative bed days by month; the smaller causes summed into one.
fn stacked(delays: &DelaysByCause) -> Vec<(String, Vec<f64>)> {
    let months = delays.months.len();
    let mut causes: Vec<(String, Vec<f64>)> = delays
        .causes
        .iter()
        .map(|cause| {
            let days = (0..months)
                .map(|month| {
                    cause
                        .bed_days
                        .get(month)
                        .copied()
                        .filter(|days| days.is_finite())
                        .unwrap_or(0.0)
                        .max(0.0)
                })
                .collect();
            (cause.label.clone(), days)
        })
        .filter(|(_, days): &(String, Vec<f64>)| days.iter().any(|&days| days > 0.0))
        .collect();
    causes.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    if causes.len() > NAMED_CAUSES {
        let rest = causes.split_off(NAMED_CAUSES - 1);
        let other = (0..months)
            .map(|month| rest.iter().map(|cause| cause.1[month]).sum())
            .collect();
        causes.push((format!("{} other causes", rest.len()), other));
    }
    causes
}

/// Whether some cause has delayed bed days in some month.
pub(super) fn delays_drawable(delays: &DelaysByCause) -> bool {
    !stacked(delays).is_empty()
}

/// Draws each month's mean delayed bed days as a bar stacked by cause, the largest cause at the
/// bottom.
pub(super) fn draw_delays<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    delays: &DelaysByCause,
) -> Drawing<(), DB> {
    let causes = stacked(delays);
    let color = |index: usize| SERIES[index % SERIES.len()];
    let keys: Vec<Key> = causes
        .iter()
        .enumerate()
        .map(|(index, cause)| Key::new(Swatch::Fill(color(index).to_rgba()), &cause.0))
        .collect();
    let area = legend(root, look, &keys)?;

    let totals: Vec<f64> = (0..delays.months.len())
        .map(|month| causes.iter().map(|cause| cause.1[month]).sum())
        .collect();
    let highest = totals.iter().copied().fold(0.0, f64::max);
    let x = Axis::months(&delays.months, "month".to_string());
    let y = Axis::numeric(0.0, highest * 1.05, 6, false, "delayed bed days (mean)".to_string());
    let mut chart = plane(&area, look, &x, &y)?;
    let mut bottoms = vec![0.0; delays.months.len()];
    for (index, (_, days)) in causes.iter().enumerate() {
        chart.draw_series(
            days.iter()
                .enumerate()
                .filter(|(_, &days)| days > 0.0)
                .flat_map(|(month, &days)| {
                    let (left, right) = (month as f64 - 0.35, month as f64 + 0.35);
                    let bottom = bottoms[month];
                    bottoms[month] += days;
                    [
                        Rectangle::new([(left, bottom), (right, bottom + days)], color(index).filled()),
                        Rectangle::new([(left, bottom), (right, bottom + days)], look.stroke(WHITE, 0.5)),
                    ]
                }),
        )?;
    }
    chart.draw_series([PathElement::new(
        vec![(x.range.start, 0.0), (x.range.end, 0.0)],
        look.stroke(INK, 1.0),
    )])?;
    Ok(())
}
