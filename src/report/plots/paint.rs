//! What every chart shares: the palette, sizes that scale with the output, numbers and dates
//! written for people, axes with chosen ticks, the legend strip below a chart, and bands, lines
//! and levels drawn on a plane.

use std::ops::Range;
use std::sync::Once;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) use crate::report::labels::{decimals_for, grouped, readable};

/// The Okabe-Ito palette, told apart with every common colour-vision deficiency; every colour of
/// every chart comes from it.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xF0, 0xE4, 0x42),
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0xCC, 0x79, 0xA7),
];
/// Means and zero lines.
pub(super) const INK: RGBColor = OKABE_ITO[0];
/// Confidence intervals of a mean.
pub(super) const ORANGE: RGBColor = OKABE_ITO[1];
/// Histogram bars.
pub(super) const SKY_BLUE: RGBColor = OKABE_ITO[2];
/// A second level (the FTE needed).
pub(super) const GREEN: RGBColor = OKABE_ITO[3];
/// The data: lines, bands, points.
pub(super) const BLUE: RGBColor = OKABE_ITO[5];
/// Targets and capacities: the lines the data is judged against.
pub(super) const VERMILLION: RGBColor = OKABE_ITO[6];
/// Categories in turn (causes, alternatives); yellow late because it is faint on white.
pub(super) const SERIES: [RGBColor; 8] = [
    OKABE_ITO[5],
    OKABE_ITO[1],
    OKABE_ITO[2],
    OKABE_ITO[3],
    OKABE_ITO[6],
    OKABE_ITO[7],
    OKABE_ITO[4],
    OKABE_ITO[0],
];
/// Grid lines: neutral, so they never read as data.
const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// plotters takes a font's size as 1.24 ems (it writes `size / 1.24` as the SVG's `font-size`
/// and scales the glyphs alike), so sizes here in ems are multiplied by it.
const PLOTTERS_EM: f64 = 1.24;

/// Tick labels and legend text, in SVG pixels (at least 14 so a 900-pixel chart reads in print).
pub(super) const TEXT_SIZE: f64 = 14.0;
/// Axis titles.
const TITLE_SIZE: f64 = 15.0;
/// Blank space around a chart's parts.
pub(super) const GAP: f64 = 10.0;

/// The result of drawing on a backend.
pub(super) type Drawing<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart's plane: two numeric axes whose ticks are chosen here, not by plotters.
pub(super) type Plane<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

/// A linear axis ticked where [`Axis`] says. plotters' own `WithKeyPoints` would do, but a
/// chart's mesh will not take a label formatter over it, so it is restated here.
pub(super) struct Ticked {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light points are the faint lines between ticks; these charts have none.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

impl Ticked {
    /// `range` ticked at `ticks`.
    fn new(range: &Range<f64>, ticks: Vec<f64>) -> Self {
        Ticked {
            linear: range.clone().into(),
            ticks,
        }
    }
}

/// The embedded font, registered once: plotters measures text with it for every backend, and
/// draws the PNG's text with it (the SVG names `sans-serif` and leaves the face to the viewer).
pub(super) fn register_font() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        let font = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
        // The bytes are a valid font, fixed at compile time; were they not, text would be
        // measured as empty and drawing would fail, leaving the chart out.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, font);
    });
}

/// Sizes for one output: SVG pixels times `scale` (2 for the print PNG).
#[derive(Clone, Copy, Debug)]
pub(super) struct Look {
    /// Output pixels per SVG pixel.
    pub scale: f64,
}

impl Look {
    /// `pixels` SVG pixels in output pixels.
    pub fn px(&self, pixels: f64) -> i32 {
        (pixels * self.scale).round() as i32
    }

    /// A line `width` SVG pixels wide.
    pub fn stroke(&self, color: impl Color, width: f64) -> ShapeStyle {
        color.stroke_width(self.px(width).max(1) as u32)
    }

    /// Text whose em is `size` SVG pixels (the SVG's `font-size`).
    pub fn text(&self, size: f64) -> TextStyle<'static> {
        ("sans-serif", size * PLOTTERS_EM * self.scale).into_font().color(&INK)
    }
}

/// A target as people write it: `≤ 850 (2019/20)`.
pub(super) fn target_text(bound: &str, value: f64, period: Option<&str>) -> String {
    let sign = match bound {
        "<=" => "≤ ",
        ">=" => "≥ ",
        _ => "",
    };
    match period {
        Some(period) => format!("{sign}{} ({period})", readable(value)),
        None => format!("{sign}{}", readable(value)),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The year and month (1-12) of `YYYY-MM` or `YYYY-MM-DD`.
fn year_month(date: &str) -> Option<(&str, usize)> {
    let year = date.get(0..4)?;
    let month: usize = date.get(5..7)?.parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

/// The smallest to and from the lowest and highest finite values, if any is finite.
pub(super) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|value| value.is_finite())
        .fold(None, |span, value| match span {
            None => Some((value, value)),
            Some((low, high)) => Some((f64::min(low, value), f64::max(high, value))),
        })
}

/// `low..high` widened by `share` of its span each side, so that nothing sits on the frame.
pub(super) fn padded((low, high): (f64, f64), share: f64) -> (f64, f64) {
    let pad = (high - low) * share;
    (low - pad, high + pad)
}

/// An axis: its range, where its ticks go, how they read, and its title.
pub(super) struct Axis {
    /// The values the axis spans.
    pub range: Range<f64>,
    /// The values with a tick and a label.
    pub ticks: Vec<f64>,
    /// Each tick's label.
    pub labels: Box<dyn Fn(f64) -> String>,
    /// The axis title, with the unit.
    pub title: String,
}

impl Axis {
    /// A numeric axis over `low..high` with ticks at about `count` round values inside it;
    /// `whole` keeps the step at least one (counts). An empty span is widened so that its one
    /// value sits mid-axis.
    pub fn numeric(low: f64, high: f64, count: usize, whole: bool, title: String) -> Self {
        let (low, high) = if high > low {
            (low, high)
        } else {
            let half = if low == 0.0 { 1.0 } else { low.abs() * 0.1 };
            (low - half, high + half)
        };
        let span = high - low;
        let power = 10f64.powf((span / count.max(1) as f64).log10().floor());
        // The round step (1, 2 or 5 times a power of ten) giving the number of ticks nearest `count`.
        let step = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|factor| factor * power)
            .min_by(|a, b| {
                ((span / a) - count as f64)
                    .abs()
                    .total_cmp(&((span / b) - count as f64).abs())
            })
            .unwrap_or(power);
        let step = if whole { step.max(1.0).round() } else { step };
        // A tick a rounding error outside the range still belongs on it.
        let slack = step * 1e-9;
        let first = ((low - slack) / step).ceil();
        let last = ((high + slack) / step).floor();
        let decimals = (-step.log10().floor()).max(0.0) as usize;
        let ticks: Vec<f64> = (0..=(last - first).max(0.0) as usize)
            .map(|k| (first + k as f64) * step)
            .collect();
        Axis {
            range: low..high,
            ticks,
            labels: Box::new(move |value| grouped(value, decimals)),
            title,
        }
    }

    /// An axis of months (`YYYY-MM`) at 0, 1, ...; labels thinned so that at most 13 show, the
    /// year written where it changes.
    pub fn months(months: &[String], title: String) -> Self {
        let step = [1, 2, 3, 4, 6, 12]
            .into_iter()
            .find(|&step| months.len().div_ceil(step) <= 13)
            .unwrap_or(12);
        let marked: Vec<usize> = (0..months.len()).step_by(step).collect();
        Self::dated(months, marked, months.len(), title)
    }

    /// An axis of days (`YYYY-MM-DD`) at 0, 1, ...; ticks on the first of each month (thinned as
    /// for months), or every week when the days span less than two months.
    pub fn days(dates: &[String], title: String) -> Self {
        let firsts: Vec<usize> = (0..dates.len())
            .filter(|&day| dates[day].get(8..10) == Some("01"))
            .collect();
        if firsts.len() < 2 {
            let weekly: Vec<usize> = (0..dates.len()).step_by(7).collect();
            let labels: Vec<String> = dates
                .iter()
                .map(|date| match (year_month(date), date.get(8..10)) {
                    (Some((_, month)), Some(day)) => format!("{} {}", day.trim_start_matches('0'), MONTHS[month - 1]),
                    _ => date.clone(),
                })
                .collect();
            return Self::indexed(labels, weekly, dates.len(), title);
        }
        let step = [1, 2, 3, 4, 6, 12]
            .into_iter()
            .find(|&step| firsts.len().div_ceil(step) <= 13)
            .unwrap_or(12);
        let marked = firsts.into_iter().step_by(step).collect();
        let mut axis = Self::dated(dates, marked, dates.len(), title);
        // A year of days would put the first date's label hard against the lowest value's.
        let pad = dates.len() as f64 * 0.01;
        axis.range = axis.range.start - pad..axis.range.end + pad;
        axis
    }

    /// Ticks at `marked` indices of `dates`, labelled with the month, and the year where it
    /// differs from the previous label's.
    fn dated(dates: &[String], marked: Vec<usize>, count: usize, title: String) -> Self {
        let mut labels = vec![String::new(); dates.len()];
        let mut previous_year = None;
        for &index in &marked {
            labels[index] = match year_month(&dates[index]) {
                Some((year, month)) if previous_year != Some(year) => {
                    previous_year = Some(year);
                    format!("{} {year}", MONTHS[month - 1])
                }
                Some((_, month)) => MONTHS[month - 1].to_string(),
                None => dates[index].clone(),
            };
        }
        Self::indexed(labels, marked, count, title)
    }

    /// Categories at 0, 1, ... `count - 1`, ticked at `marked`.
    fn indexed(labels: Vec<String>, marked: Vec<usize>, count: usize, title: String) -> Self {
        Axis {
            range: -0.5..count.max(1) as f64 - 0.5,
            ticks: marked.into_iter().map(|index| index as f64).collect(),
            labels: Box::new(move |value| label_at(&labels, value)),
            title,
        }
    }

    /// The same axis ticked at `values` instead (the values a sweep ran at), each labelled as
    /// written for people.
    pub fn ticked_at(self, values: Vec<f64>) -> Self {
        Axis {
            ticks: values,
            labels: Box::new(readable),
            ..self
        }
    }

    /// The same axis with a plus sign on positive labels, for differences.
    pub fn signed(self) -> Self {
        let labels = self.labels;
        Axis {
            labels: Box::new(move |value| {
                let text = labels(value);
                if value > 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
                    format!("+{text}")
                } else {
                    text
                }
            }),
            ..self
        }
    }

    /// Categories at 0, 1, ..., every one ticked.
    pub fn categories(labels: Vec<String>, title: String) -> Self {
        let count = labels.len();
        Self::indexed(labels, (0..count).collect(), count, title)
    }

    /// Rows from the top: row `i` at `-i`, ticked where its label is not empty.
    pub fn rows(labels: Vec<String>) -> Self {
        let count = labels.len();
        Axis {
            range: -(count.max(1) as f64) + 0.5..0.5,
            ticks: (0..count)
                .filter(|&row| !labels[row].is_empty())
                .map(|row| -(row as f64))
                .collect(),
            labels: Box::new(move |value| label_at(&labels, -value)),
            title: String::new(),
        }
    }
}

/// The label of the category nearest `value`.
fn label_at(labels: &[String], value: f64) -> String {
    let index = value.round();
    if index < 0.0 {
        return String::new();
    }
    labels.get(index as usize).cloned().unwrap_or_default()
}

/// The width of `text` in `style`, in output pixels.
pub(super) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Drawing<i32, DB> {
    Ok(area.estimate_text_size(text, style)?.0 as i32)
}

/// `text`, shortened with an ellipsis to fit `width` output pixels.
/// Writes `title` large on the left of `band`, shortened to its width.
pub(super) fn title<DB: DrawingBackend>(band: &DrawingArea<DB, Shift>, look: &Look, title: &str) -> Drawing<(), DB> {
    let style = look.text(TITLE_SIZE * 1.2).pos(Pos::new(HPos::Left, VPos::Center));
    let (width, height) = band.dim_in_pixel();
    let text = fit(band, title, &style, width as i32 - look.px(2.0 * GAP))?;
    band.draw(&Text::new(text, (look.px(GAP), height as i32 / 2), style))?;
    Ok(())
}

pub(super) fn fit<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    width: i32,
) -> Drawing<String, DB> {
    if text_width(area, text, style)? <= width {
        return Ok(text.to_string());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let shortened = format!("{}…", chars.iter().collect::<String>().trim_end());
        if text_width(area, &shortened, style)? <= width {
            return Ok(shortened);
        }
    }
    Ok(String::new())
}

/// A plane on `area` with `x` and `y`: label areas sized to the tick labels, titles shortened
/// to their axis, light grid lines at the ticks.
pub(super) fn plane<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    look: &Look,
    x: &Axis,
    y: &Axis,
) -> Drawing<Plane<'a, DB>, DB> {
    let tick_text = look.text(TEXT_SIZE);
    let title_text = look.text(TITLE_SIZE);
    let widths = |axis: &Axis| -> Drawing<Vec<i32>, DB> {
        axis.ticks
            .iter()
            .map(|&tick| text_width(area, &(axis.labels)(tick), &tick_text))
            .collect()
    };
    let y_widest = widths(y)?.into_iter().max().unwrap_or(0);
    let x_widths = widths(x)?;
    let x_last = x_widths.last().copied().unwrap_or(0);
    let line = look.px(TEXT_SIZE * 1.3);
    let title_line = if y.title.is_empty() {
        0
    } else {
        look.px(TITLE_SIZE * 1.4)
    };
    let y_label_area = y_widest + look.px(GAP) + title_line;
    let x_label_area = line + look.px(GAP) + look.px(TITLE_SIZE * 1.6);
    let (width, height) = area.dim_in_pixel();
    let right = (x_last / 2 + look.px(4.0)).max(look.px(2.0 * GAP));
    let x_title = fit(area, &x.title, &title_text, width as i32 - y_label_area - right)?;
    let y_title = fit(
        area,
        &y.title,
        &title_text,
        height as i32 - x_label_area - look.px(2.0 * GAP),
    )?;
    // Every other tick, or every third..., where neighbouring labels would otherwise touch.
    let room = f64::from(width as i32 - y_label_area - right);
    let per_unit = room / (x.range.end - x.range.start);
    let apart = |k: usize| {
        let kept: Vec<usize> = (0..x.ticks.len()).step_by(k).collect();
        kept.windows(2).all(|pair| {
            let distance = (x.ticks[pair[1]] - x.ticks[pair[0]]) * per_unit;
            distance >= f64::from(x_widths[pair[0]] + x_widths[pair[1]]) / 2.0 + f64::from(look.px(GAP))
        })
    };
    let every = (1..=x.ticks.len().max(1)).find(|&k| apart(k)).unwrap_or(1);
    let x_ticks: Vec<f64> = x.ticks.iter().copied().step_by(every).collect();
    let x_count = x_ticks.len();
    let mut chart = ChartBuilder::on(area)
        .margin_top(look.px(1.5 * GAP))
        .margin_right(right)
        .margin_left(look.px(GAP / 2.0))
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(Ticked::new(&x.range, x_ticks), Ticked::new(&y.range, y.ticks.clone()))?;
    let x_labels = |value: &f64| (x.labels)(*value);
    let y_labels = |value: &f64| (y.labels)(*value);
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(y_title)
        .label_style(tick_text)
        .axis_desc_style(title_text)
        .x_label_formatter(&x_labels)
        .y_label_formatter(&y_labels)
        .x_labels(x_count)
        .y_labels(y.ticks.len())
        .bold_line_style(look.stroke(GRID, 1.0))
        .light_line_style(TRANSPARENT)
        .axis_style(look.stroke(INK, 1.0))
        .set_all_tick_mark_size(look.px(4.0))
        .draw()?;
    Ok(chart)
}

/// How a legend entry shows its series.
pub(super) enum Swatch {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled box (a band or a bar).
    Fill(RGBAColor),
}

/// A legend entry.
pub(super) struct Key {
    /// How it looks.
    pub swatch: Swatch,
    /// What it is.
    pub label: String,
}

impl Key {
    /// An entry.
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        Key {
            swatch,
            label: label.into(),
        }
    }
}

const SWATCH_WIDTH: f64 = 28.0;

/// Draws `keys` in rows across a strip at the bottom of `root`, never over the data, and gives
/// back the area above it for the chart.
pub(super) fn legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    keys: &[Key],
) -> Drawing<DrawingArea<DB, Shift>, DB> {
    if keys.is_empty() {
        return Ok(root.clone());
    }
    let style = look.text(TEXT_SIZE);
    let (width, height) = root.dim_in_pixel();
    let room = width as i32 - look.px(2.0 * GAP);
    let mut rows: Vec<Vec<(usize, String, i32)>> = vec![Vec::new()];
    let mut used = 0;
    for (index, key) in keys.iter().enumerate() {
        let label = fit(root, &key.label, &style, room - look.px(SWATCH_WIDTH + 6.0))?;
        let entry = look.px(SWATCH_WIDTH + 6.0) + text_width(root, &label, &style)?;
        let spaced = if used == 0 {
            entry
        } else {
            used + look.px(2.0 * GAP) + entry
        };
        if spaced > room && used > 0 {
            rows.push(Vec::new());
            used = entry;
        } else {
            used = spaced;
        }
        rows.last_mut()
            .expect("rows starts with one")
            .push((index, label, entry));
    }
    let row_height = look.px(TEXT_SIZE * 1.7);
    let strip = row_height * rows.len() as i32 + look.px(2.0 * GAP);
    let (chart, below) = root.split_vertically(height as i32 - strip);
    for (row, entries) in rows.iter().enumerate() {
        let total: i32 =
            entries.iter().map(|entry| entry.2).sum::<i32>() + look.px(2.0 * GAP) * (entries.len() as i32 - 1);
        let mut x = (width as i32 - total) / 2;
        let middle = look.px(GAP) + row_height * row as i32 + row_height / 2;
        for (index, label, entry) in entries {
            swatch(&below, look, &keys[*index].swatch, (x, middle))?;
            below.draw(&Text::new(
                label.as_str(),
                (x + look.px(SWATCH_WIDTH + 6.0), middle),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += entry + look.px(2.0 * GAP);
        }
    }
    Ok(chart)
}

/// A legend swatch with its left middle at `at`.
fn swatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    look: &Look,
    swatch: &Swatch,
    (x, y): (i32, i32),
) -> Drawing<(), DB> {
    let end = x + look.px(SWATCH_WIDTH);
    match swatch {
        Swatch::Line(color) => area.draw(&PathElement::new(vec![(x, y), (end, y)], look.stroke(*color, 2.5))),
        Swatch::Dashed(color) => area.draw(&DashedPathElement::new(
            vec![(x, y), (end, y)],
            look.px(7.0),
            look.px(4.0),
            look.stroke(*color, 2.5),
        )),
        Swatch::Fill(color) => area.draw(&Rectangle::new(
            [(x, y - look.px(7.0)), (end, y + look.px(7.0))],
            color.filled(),
        )),
    }
}

/// Runs of consecutive indices where `finite` holds, so a gap in the data is a gap in the chart.
fn runs(count: usize, finite: impl Fn(usize) -> bool) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for index in 0..=count {
        match (start, index < count && finite(index)) {
            (None, true) => start = Some(index),
            (Some(from), false) => {
                runs.push(from..index);
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// A band between `low` and `high` at `xs`; a lone point is a short vertical bar.
pub(super) fn band<DB: DrawingBackend>(
    chart: &mut Plane<DB>,
    look: &Look,
    xs: &[f64],
    low: &[f64],
    high: &[f64],
    fill: RGBAColor,
) -> Drawing<(), DB> {
    let count = xs.len().min(low.len()).min(high.len());
    for run in runs(count, |i| low[i].is_finite() && high[i].is_finite()) {
        if run.len() == 1 {
            let i = run.start;
            chart.draw_series([PathElement::new(
                vec![(xs[i], low[i]), (xs[i], high[i])],
                look.stroke(fill, 10.0),
            )])?;
            continue;
        }
        let outline: Vec<(f64, f64)> = run
            .clone()
            .map(|i| (xs[i], high[i]))
            .chain(run.rev().map(|i| (xs[i], low[i])))
            .collect();
        chart.draw_series([Polygon::new(outline, fill.filled())])?;
    }
    Ok(())
}

/// A line through `ys` at `xs`; a lone point is a dot.
pub(super) fn line<DB: DrawingBackend>(
    chart: &mut Plane<DB>,
    look: &Look,
    xs: &[f64],
    ys: &[f64],
    color: RGBColor,
) -> Drawing<(), DB> {
    let count = xs.len().min(ys.len());
    for run in runs(count, |i| ys[i].is_finite()) {
        if run.len() == 1 {
            let i = run.start;
            chart.draw_series([Circle::new((xs[i], ys[i]), look.px(4.0), color.filled())])?;
            continue;
        }
        chart.draw_series(LineSeries::new(run.map(|i| (xs[i], ys[i])), look.stroke(color, 2.5)))?;
    }
    Ok(())
}

/// A dashed horizontal line at `y` from `from` to `to` on the x axis.
pub(super) fn level<DB: DrawingBackend>(
    chart: &mut Plane<DB>,
    look: &Look,
    (from, to): (f64, f64),
    y: f64,
    color: RGBColor,
) -> Drawing<(), DB> {
    chart.draw_series(DashedLineSeries::new(
        [(from, y), (to, y)],
        look.px(7.0),
        look.px(4.0),
        look.stroke(color, 2.5),
    ))?;
    Ok(())
}

/// A vertical line at `x` across the plane, solid or dashed.
pub(super) fn upright<DB: DrawingBackend>(
    chart: &mut Plane<DB>,
    look: &Look,
    x: f64,
    color: RGBColor,
    dashed: bool,
) -> Drawing<(), DB> {
    let Range { start, end } = chart.y_range();
    if dashed {
        chart.draw_series(DashedLineSeries::new(
            [(x, start), (x, end)],
            look.px(7.0),
            look.px(4.0),
            look.stroke(color, 2.5),
        ))?;
    } else {
        chart.draw_series([PathElement::new(vec![(x, start), (x, end)], look.stroke(color, 2.0))])?;
    }
    Ok(())
}

/// A horizontal whisker from `low` to `high` at `y`, with end caps.
pub(super) fn whisker<DB: DrawingBackend>(
    chart: &mut Plane<DB>,
    look: &Look,
    (low, high): (f64, f64),
    y: f64,
    color: RGBColor,
) -> Drawing<(), DB> {
    let cap = 0.18;
    chart.draw_series([
        PathElement::new(vec![(low, y), (high, y)], look.stroke(color, 1.5)),
        PathElement::new(vec![(low, y - cap), (low, y + cap)], look.stroke(color, 1.5)),
        PathElement::new(vec![(high, y - cap), (high, y + cap)], look.stroke(color, 1.5)),
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_axes_have_round_ticks_even_for_one_value() {
        let axis = Axis::numeric(812.0, 861.0, 6, false, String::new());
        assert_eq!(axis.ticks, vec![820.0, 830.0, 840.0, 850.0, 860.0]);
        let flat = Axis::numeric(5.0, 5.0, 6, false, String::new());
        assert!(flat.range.start < 5.0 && flat.range.end > 5.0);
        let counts = Axis::numeric(0.0, 2.0, 6, true, String::new());
        assert!(counts.ticks.iter().all(|tick| tick.fract() == 0.0));
    }

    #[test]
    fn month_labels_name_the_year_where_it_changes_and_thin_out() {
        let months: Vec<String> = (0..12)
            .map(|i| format!("{}-{:02}", 2019 + (i + 3) / 12, (i + 3) % 12 + 1))
            .collect();
        let axis = Axis::months(&months, String::new());
        let labels: Vec<String> = axis.ticks.iter().map(|&tick| (axis.labels)(tick)).collect();
        assert_eq!(labels[0], "Apr 2019");
        assert_eq!(labels[1], "May");
        assert_eq!(labels[9], "Jan 2020");
        let long: Vec<String> = (0..36)
            .map(|i| format!("{}-{:02}", 2019 + i / 12, i % 12 + 1))
            .collect();
        assert!(Axis::months(&long, String::new()).ticks.len() <= 13);
    }
}
