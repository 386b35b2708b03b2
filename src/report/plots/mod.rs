//! Every chart of the report, drawn with plotters from a [`ReportView`]: each chart is one
//! function generic over the backend, so the SVG for the page and the PNG for print (twice the
//! pixels) are the same drawing. Charts whose data is empty are left out.

mod distribution;
mod experiments;
mod paint;
mod time;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::report::view::{
    Alternative, DailyBand, DelaysByCause, Fan, MetricDistribution, ReportView, StaffingDays, SweepView, Tornado,
};
use experiments::Measure;
use paint::{target_text, Drawing, Look};

/// A chart: a file stem, a title and a caption for the report, and its SVG text.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// The file stem (`distribution-non_elective_admissions_per_100k`): only `[a-z0-9_-]`.
    pub name: String,
    /// The title, for the report's heading over the chart.
    pub title: String,
    /// What the chart shows and how to read it.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// A chart's size in SVG pixels; the PNG has twice as many each way.
const WIDTH: u32 = 900;
const HEIGHT: u32 = 500;
const PNG_SCALE: f64 = 2.0;
/// The height of the title band over a PNG's chart, in SVG pixels.
const PNG_TITLE_BAND: f64 = 36.0;

/// What a chart draws.
enum Chart<'a> {
    Distribution(&'a MetricDistribution),
    Fan(&'a Fan),
    Occupancy(&'a DailyBand),
    Staffing(&'a StaffingDays),
    Delays(&'a DelaysByCause),
    Forest(&'a Alternative, usize),
    SweepLine(&'a SweepView, Measure),
    SweepHeat(&'a SweepView, Measure),
    Tornado(&'a Tornado),
}

impl Chart<'_> {
    /// Its size in SVG pixels: rows of labels make some charts taller.
    fn size(&self) -> (u32, u32) {
        match self {
            Chart::Forest(alternative, _) => (WIDTH, experiments::forest_height(alternative)),
            Chart::Tornado(tornado) => (WIDTH, experiments::tornado_height(tornado)),
            _ => (WIDTH, HEIGHT),
        }
    }

    /// Draws it on `root`, white already.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, look: &Look) -> Drawing<(), DB> {
        match *self {
            Chart::Distribution(distribution) => distribution::draw(root, look, distribution),
            Chart::Fan(fan) => time::draw_fan(root, look, fan),
            Chart::Occupancy(occupancy) => time::draw_occupancy(root, look, occupancy),
            Chart::Staffing(staffing) => time::draw_staffing(root, look, staffing),
            Chart::Delays(delays) => time::draw_delays(root, look, delays),
            Chart::Forest(alternative, index) => experiments::draw_forest(root, look, alternative, index),
            Chart::SweepLine(sweep, measure) => experiments::draw_sweep_line(root, look, sweep, measure),
            Chart::SweepHeat(sweep, measure) => experiments::draw_sweep_heat(root, look, sweep, measure),
            Chart::Tornado(tornado) => experiments::draw_tornado(root, look, tornado),
        }
    }
}

/// A chart with its name, title and caption.
struct Entry<'a> {
    name: String,
    title: String,
    caption: String,
    chart: Chart<'a>,
}

/// `text` as a file-stem part: lower case, anything but `[a-z0-9_-]` an underscore; a
/// statistic's path without its `metrics.` prefix.
fn stem(text: &str) -> String {
    let text = text.strip_prefix("metrics.").unwrap_or(text);
    let slug: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    if slug.is_empty() {
        "chart".to_string()
    } else {
        slug
    }
}

/// The charts the view has data for, in report order, with names made unique.
fn entries(view: &ReportView) -> Vec<Entry<'_>> {
    let mut entries = Vec::new();
    for distribution in view.distributions.iter().filter(|d| distribution::drawable(d)) {
        entries.push(Entry {
            name: format!("distribution-{}", stem(&distribution.path)),
            title: format!("{} ({}): across replications", distribution.label, distribution.unit),
            caption: distribution::caption(distribution),
            chart: Chart::Distribution(distribution),
        });
    }
    for fan in view.fans.iter().filter(|fan| time::fan_drawable(fan)) {
        let targets = if fan.targets.is_empty() {
            ""
        } else {
            " Dashed vermilion lines: targets, over the months they cover."
        };
        entries.push(Entry {
            name: format!("fan-{}", stem(&fan.path)),
            title: format!("{} ({}): month by month", fan.label, fan.unit),
            caption: format!(
                "The median of each month across replications (line), the middle half of replications (dark band, \
                 25th to 75th percentiles) and four in five (light band, 10th to 90th).{targets}"
            ),
            chart: Chart::Fan(fan),
        });
    }
    for occupancy in view.occupancy.iter().filter(|band| time::daily_drawable(band)) {
        let capacity = if occupancy.capacity.is_some() {
            " Dashed: its places."
        } else {
            ""
        };
        entries.push(Entry {
            name: format!("occupancy-{}", stem(&occupancy.id)),
            title: format!("{}: patients in service each day", occupancy.label),
            caption: format!(
                "Patients in the service at each midnight: the mean across replications (line) and the 10th to \
                 90th percentiles (band).{capacity}"
            ),
            chart: Chart::Occupancy(occupancy),
        });
    }
    for staffing in view
        .staffing
        .iter()
        .filter(|staffing| time::daily_drawable(&staffing.on_shift))
    {
        entries.push(Entry {
            name: format!("staffing-{}", stem(&staffing.on_shift.id)),
            title: format!("{}: people needed on shift each day", staffing.on_shift.label),
            caption: "People needed on shift each day for the work in hand: the mean across replications (line) and \
                      the 10th to 90th percentiles (band). Dashed: the people on shift that the employed FTE give, \
                      and that the FTE needed to cover the days at the group's coverage percentile give."
                .to_string(),
            chart: Chart::Staffing(staffing),
        });
    }
    if time::delays_drawable(&view.delays) {
        entries.push(Entry {
            name: "delays-by-cause".to_string(),
            title: "Delayed bed days by cause, month by month".to_string(),
            caption: "Mean delayed bed days across replications in each month, stacked by what patients waited for; \
                      the largest cause at the bottom."
                .to_string(),
            chart: Chart::Delays(&view.delays),
        });
    }
    let alternatives = view.compare.iter().flat_map(|compare| &compare.alternatives);
    for (index, alternative) in alternatives.enumerate() {
        if experiments::forest_drawable(alternative) {
            entries.push(Entry {
                name: format!("compare-forest-{}", stem(&alternative.name)),
                title: format!("{}: differences from the base", alternative.label),
                caption: experiments::forest_caption(alternative),
                chart: Chart::Forest(alternative, index),
            });
        }
    }
    if let Some(sweep) = &view.sweep {
        sweep_entries(sweep, &mut entries);
    }
    for tornado in view
        .sensitivity
        .iter()
        .flat_map(|s| &s.statistics)
        .filter(|t| experiments::tornado_drawable(t))
    {
        entries.push(Entry {
            name: format!("tornado-{}", stem(&tornado.path)),
            title: format!("{}: the effect of each factor", tornado.label),
            caption: "Each bar is the mean change in the statistic when one factor moves from its low to its high \
                      value (paired replications), largest first; whiskers are 95 % confidence intervals."
                .to_string(),
            chart: Chart::Tornado(tornado),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for entry in &mut entries {
        let base = entry.name.clone();
        let mut copy = 1;
        while !seen.insert(entry.name.clone()) {
            copy += 1;
            entry.name = format!("{base}-{copy}");
        }
    }
    entries
}

/// A sweep's charts: each statistic, then the share meeting every target; lines against one
/// parameter, heat maps over two.
fn sweep_entries<'a>(sweep: &'a SweepView, entries: &mut Vec<Entry<'a>>) {
    let measures = (0..sweep.statistics.len())
        .map(Measure::Statistic)
        .chain([Measure::ShareMet]);
    for measure in measures.filter(|&measure| experiments::sweep_drawable(sweep, measure)) {
        let (part, what, shown) = match measure {
            Measure::Statistic(index) => {
                let statistic = &sweep.statistics[index];
                (stem(&statistic.path), statistic.label.clone(), "the statistic's mean")
            }
            Measure::ShareMet => (
                "share_met".to_string(),
                "Replications meeting every target".to_string(),
                "the percentage of replications that met every target",
            ),
        };
        let target = experiments::measure_target(sweep, measure)
            .map(|target| target_text(&target.bound, target.value, target.period.as_deref()));
        let (kind, chart, title, caption) = match sweep.axes.as_slice() {
            [axis] => (
                "sweep",
                Chart::SweepLine(sweep, measure),
                format!("{what} by {}", axis.label),
                format!(
                    "At each value of {} swept: {shown} (line and points){}{}",
                    axis.label,
                    if measure == Measure::ShareMet {
                        ""
                    } else {
                        " and its 95 % confidence interval (band)"
                    },
                    target.map_or(".".to_string(), |target| format!("; dashed: the target, {target}."))
                ),
            ),
            [across, up] => (
                "sweep-heatmap",
                Chart::SweepHeat(sweep, measure),
                format!("{what} by {} and {}", across.label, up.label),
                format!(
                    "Each cell is a point of the sweep, shaded by {shown} (darker is higher) and labelled with it.{}",
                    target.map_or(String::new(), |target| format!(
                        " Cells outlined in vermilion meet the target, {target}."
                    ))
                ),
            ),
            _ => continue,
        };
        entries.push(Entry {
            name: format!("{kind}-{part}"),
            title,
            caption,
            chart,
        });
    }
}

/// The chart as an SVG document, or `None` if plotters could not draw it.
fn svg(chart: &Chart) -> Option<String> {
    paint::register_font();
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        root.fill(&WHITE).ok()?;
        chart.draw(&root, &Look { scale: 1.0 }).ok()?;
        root.present().ok()?;
    }
    Some(text)
}

/// Every chart the view has data for, in report order. A chart plotters fails to draw (which
/// odd data does not cause) is left out rather than failing the report.
pub fn plots(view: &ReportView) -> Vec<Plot> {
    entries(view)
        .into_iter()
        .filter_map(|entry| {
            let svg = svg(&entry.chart)?;
            Some(Plot {
                name: entry.name,
                title: entry.title,
                caption: entry.caption,
                svg,
            })
        })
        .collect()
}

/// The PNG of the chart named `name` (as in [`plots`]), drawn again at twice the pixels for
/// print; `None` where there is no such chart or it could not be drawn.
///
/// plotters encodes PNG only to a file, so the image passes through a file of its own in the
/// temporary folder, removed once read.
pub fn png(view: &ReportView, name: &str) -> Option<Vec<u8>> {
    static DRAWN: AtomicUsize = AtomicUsize::new(0);
    let entry = entries(view).into_iter().find(|entry| entry.name == name)?;
    paint::register_font();
    let (width, height) = entry.chart.size();
    let size = (
        (f64::from(width) * PNG_SCALE) as u32,
        ((f64::from(height) + PNG_TITLE_BAND) * PNG_SCALE) as u32,
    );
    let path: PathBuf = std::env::temp_dir().join(format!(
        "bcfsim-plot-{}-{}.png",
        std::process::id(),
        DRAWN.fetch_add(1, Ordering::Relaxed)
    ));
    let drawn = draw_png(&entry.chart, &entry.title, &path, size);
    let bytes = drawn.and_then(|()| std::fs::read(&path).ok());
    let _ = std::fs::remove_file(&path);
    bytes
}

/// Draws `chart` into a PNG file at `path`, `size` pixels, under a band with its `title`: a PNG
/// goes on a slide without the report's heading.
fn draw_png(chart: &Chart, title: &str, path: &Path, size: (u32, u32)) -> Option<()> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).ok()?;
    let look = Look { scale: PNG_SCALE };
    let (band, area) = root.split_vertically(look.px(PNG_TITLE_BAND));
    paint::title(&band, &look, title).ok()?;
    chart.draw(&area, &look).ok()?;
    root.present().ok()
}
