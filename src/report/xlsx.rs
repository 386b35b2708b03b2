//! `results.xlsx`: the report's figures as a workbook a Better Care Fund lead can work with, drawn
//! from the [`ReportView`] and the per-replication table. One sheet per part of the report, each
//! opening with what it is, with frozen headers, units beside the numbers and number formats that
//! match them; a missing figure is a blank cell, never 0.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use rust_xlsxwriter::{
    ColNum, ExcelDateTime, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};
use serde::Deserialize;

use super::view::{Command, Fan, FanTarget, Mark, ReportView};

/// Each replication's value of each statistic: `statistics` names the columns, `rows` one per
/// replication (replication index, then a value per statistic, `None` where undefined).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PerReplication {
    /// The statistics' paths, in column order.
    pub statistics: Vec<String>,
    /// One row per replication: its index and its value of each statistic.
    pub rows: Vec<(u32, Vec<Option<f64>>)>,
    /// Replications past [`MOST_REPLICATIONS`], left out of the workbook.
    pub left_out: usize,
}

/// The most replications the workbook's Replications sheet holds, so that the workbook's memory
/// does not grow with a long run's replications (`replications.csv` holds them all).
pub const MOST_REPLICATIONS: usize = 5_000;

/// A line of `replications.csv`.
#[derive(Deserialize)]
struct LongRecord {
    replication: u32,
    statistic: String,
    value: Option<f64>,
}

impl PerReplication {
    /// Reads a results folder's `replications.csv` (long format: header
    /// `replication,statistic,value`, value empty where undefined) into columns in first-seen
    /// order, the first [`MOST_REPLICATIONS`] replications only (the rest counted in `left_out`).
    pub fn read(csv: impl std::io::Read) -> Result<PerReplication, csv::Error> {
        let mut table = PerReplication::default();
        let mut column_of: HashMap<String, usize> = HashMap::new();
        let mut row_of: HashMap<u32, usize> = HashMap::new();
        for record in csv::Reader::from_reader(csv).deserialize() {
            let LongRecord {
                replication,
                statistic,
                value,
            } = record?;
            let column = *column_of.entry(statistic).or_insert_with_key(|statistic| {
                table.statistics.push(statistic.clone());
                table.statistics.len() - 1
            });
            if !row_of.contains_key(&replication) && table.rows.len() == MOST_REPLICATIONS {
                table.left_out += 1;
                row_of.insert(replication, usize::MAX);
            }
            let row = *row_of.entry(replication).or_insert_with(|| {
                table.rows.push((replication, Vec::new()));
                table.rows.len() - 1
            });
            if row == usize::MAX {
                continue;
            }
            let values = &mut table.rows[row].1;
            if values.len() <= column {
                values.resize(column + 1, None);
            }
            values[column] = value;
        }
        let width = table.statistics.len();
        for (_, values) in &mut table.rows {
            values.resize(width, None);
        }
        Ok(table)
    }
}

/// The workbook's bytes.
pub fn workbook(view: &ReportView, per_replication: &PerReplication) -> Result<Vec<u8>, XlsxError> {
    let formats = Formats::new();
    let source = Source {
        view,
        per_replication,
        styles: styles_by_path(view),
    };
    let mut workbook = Workbook::new();
    for kind in shown(view) {
        let mut sheet = Sheet::new(kind.name, &formats)?;
        (kind.write)(&mut sheet, &source)?;
        workbook.push_worksheet(sheet.finish()?);
    }
    workbook.save_to_buffer()
}

/// The sheet names, in order, for the view (a sheet with nothing to show is left out;
/// "Headline", "Replications" and "About" are always there).
pub fn sheet_names(view: &ReportView) -> Vec<&'static str> {
    shown(view).map(|kind| kind.name).collect()
}

/// What a sheet is drawn from.
struct Source<'a> {
    view: &'a ReportView,
    per_replication: &'a PerReplication,
    /// How each statistic known to the view is shown, from its unit.
    styles: HashMap<&'a str, Style>,
}

/// A sheet of the workbook: its name, whether the view has anything for it, how it is written and
/// what the About sheet says of it.
struct SheetKind {
    name: &'static str,
    has_content: fn(&ReportView) -> bool,
    write: fn(&mut Sheet, &Source) -> Result<(), XlsxError>,
    about: &'static str,
}

/// Every sheet, in workbook order; one table so that [`sheet_names`] and [`workbook`] agree.
const SHEETS: [SheetKind; 13] = [
    SheetKind {
        name: "Headline",
        has_content: |_| true,
        write: headline,
        about: "What was run, then each headline statistic: its mean across replications, the 95 % confidence \
                interval of that mean, the target and the published figure where the scenario gives them.",
    },
    SheetKind {
        name: "Replications",
        has_content: |_| true,
        write: replications,
        about: "Each replication's value of each statistic (one row per replication, one column per statistic, \
                headed by its path in summary.json); the spread across rows is what the intervals summarise.",
    },
    SheetKind {
        name: "Trajectories",
        has_content: has_fans,
        write: trajectories,
        about: "Each BCF metric's mean month by month, in the units of the BCF planning template (months as \
                columns), with a row for each target over the months it covers.",
    },
    SheetKind {
        name: "Trajectory percentiles",
        has_content: has_fans,
        write: trajectory_percentiles,
        about: "The same monthly figures one row per metric and month, with the 10th, 25th, 50th, 75th and 90th \
                percentiles across replications (80 % of replications lie between p10 and p90) and the month's \
                target.",
    },
    SheetKind {
        name: "Staffing",
        has_content: |view| !view.staffing.is_empty(),
        write: staffing,
        about: "Per staff group, the FTE needed and employed and the people on shift each gives.",
    },
    SheetKind {
        name: "Staffing by day",
        has_content: |view| view.staffing.iter().any(|group| !group.on_shift.dates.is_empty()),
        write: staffing_by_day,
        about: "The people needed on shift each day, per staff group: mean and 10th-90th percentiles across \
                replications.",
    },
    SheetKind {
        name: "Costs",
        has_content: |view| !view.costs.is_empty(),
        write: costs,
        about: "Each cost item, £ a year: who pays, the mean across replications and its 95 % confidence interval.",
    },
    SheetKind {
        name: "Delays",
        has_content: |view| !view.delays.months.is_empty() && !view.delays.causes.is_empty(),
        write: delays,
        about: "Mean delayed bed days each month (rows) by cause of delay (columns), with the total.",
    },
    SheetKind {
        name: "Validation",
        has_content: |view| !view.validation.is_empty(),
        write: validation,
        about: "The model against figures observed in the real system: the observed figure, the model's mean, \
                whether the observed figure lies within the replications' 5th-95th percentiles and within the \
                tolerance.",
    },
    SheetKind {
        name: "Comparison",
        has_content: |view| {
            view.compare
                .as_ref()
                .is_some_and(|compare| compare.alternatives.iter().any(|a| !a.differences.is_empty()))
        },
        write: comparison,
        about: "Each alternative's paired difference from the base (alternative minus base) with its 95 % \
                confidence interval; an interval that excludes 0 is a difference the replications resolve.",
    },
    SheetKind {
        name: "Sweep",
        has_content: |view| view.sweep.as_ref().is_some_and(|sweep| !sweep.points.is_empty()),
        write: sweep,
        about: "One row per point of the grid: the values of the parameters varied, then each statistic's mean and \
                95 % confidence interval, and the share of replications meeting every target.",
    },
    SheetKind {
        name: "Sensitivity",
        has_content: |view| {
            view.sensitivity
                .as_ref()
                .is_some_and(|sensitivity| sensitivity.statistics.iter().any(|s| !s.factors.is_empty()))
        },
        write: sensitivity,
        about: "For each statistic, each factor moved from its low to its high value, largest effect first: the \
                mean change in the statistic (paired) with its 95 % confidence interval.",
    },
    SheetKind {
        name: "About",
        has_content: |_| true,
        write: about,
        about: "This sheet: how to read the workbook, the levers' values and how the figures were made.",
    },
];

fn shown(view: &ReportView) -> impl Iterator<Item = &'static SheetKind> + '_ {
    SHEETS.iter().filter(move |kind| (kind.has_content)(view))
}

fn has_fans(view: &ReportView) -> bool {
    view.fans.iter().any(|fan| !fan.months.is_empty())
}

fn headline(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let view = source.view;
    let run = &view.run;
    let mut lines = vec![format!(
        "{}: means across {} replications with 95 % confidence intervals, over the results period {} to {}.",
        run.scenario, run.replications, run.results_from, run.results_to
    )];
    if run.interrupted {
        lines.push(
            "The run was stopped before all its replications were done: the figures are of those completed.".into(),
        );
    }
    sheet.title("Headline results", &lines)?;
    let overrides = if run.overrides.is_empty() {
        "none".to_owned()
    } else {
        run.overrides.join("; ")
    };
    // The facts in pairs of columns, so that few rows stay frozen above the table.
    let facts = vec![
        vec![
            ("Scenario", text(&run.scenario)),
            // A seed can exceed the integers a spreadsheet number holds exactly, so it is text.
            ("Seed", text(run.seed.to_string())),
            ("Simulation start", day(&run.start_date)),
        ],
        vec![
            ("Scenario file", text(&run.scenario_file)),
            (
                "Replications",
                number(Some(f64::from(run.replications)), Style::General),
            ),
            ("Results from", day(&run.results_from)),
        ],
        vec![
            ("bcfsim version", text(&run.bcfsim_version)),
            ("Warm-up (days)", number(Some(run.warmup_days), Style::General)),
            ("Results to", day(&run.results_to)),
        ],
        vec![
            ("Command", text(command_name(view.command))),
            ("Horizon (days)", number(Some(run.horizon_days), Style::General)),
        ],
        vec![("Scenario SHA-256", spill(&run.scenario_sha256))],
        vec![("Overrides (--set)", spill(overrides))],
    ];
    for pairs in facts {
        let cells: Vec<Cell> = pairs
            .into_iter()
            .flat_map(|(name, value)| [text(name), value])
            .collect();
        sheet.row(&cells)?;
    }
    sheet.blank();
    sheet.header(&headers(&[
        "Section",
        "Statistic",
        "Unit",
        "Mean",
        "95 % CI low",
        "95 % CI high",
        "Target",
        "Target value",
        "Target period",
        "Replications meeting target",
        "Target source",
        "Published",
        "Published period",
        "Published source",
        "Path",
    ]))?;
    sheet.freeze(2)?;
    for row in &view.headline {
        let style = Style::of_unit(&row.unit);
        let (low, high) = interval(row.ci95);
        let target = row.target.as_ref();
        let published = row.published.as_ref();
        sheet.row(&[
            text(super::headline::heading(row.section)),
            text(&row.label),
            text(&row.unit),
            number(row.mean, style),
            number(low, style),
            number(high, style),
            target.map_or(Cell::Empty, |mark| text(bound_symbol(mark))),
            number(target.map(|mark| mark.value), style),
            optional_text(target.and_then(|mark| mark.period.as_deref())),
            number(target.and_then(|mark| mark.probability_met), Style::Share),
            optional_text(target.and_then(|mark| mark.label.as_deref())),
            number(published.map(|published| published.value), style),
            optional_text(published.and_then(|published| published.period.as_deref())),
            optional_text(published.map(|published| published.source.as_str())),
            text(&row.path),
        ])?;
    }
    Ok(())
}

fn replications(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let table = source.per_replication;
    let mut lines = vec![
        "One row per replication, one column per statistic headed by its path in summary.json; a blank cell is a \
         statistic undefined in that replication (replications.csv holds the same values)."
            .to_owned(),
    ];
    if table.rows.is_empty() {
        lines.push("No per-replication values were found.".into());
    }
    if table.left_out > 0 {
        lines.push(format!(
            "The first {} replications; the other {} are in replications.csv.",
            table.rows.len(),
            table.left_out
        ));
    }
    sheet.title("Each replication's value of each statistic", &lines)?;
    let header: Vec<Cell> = std::iter::once(text("Replication"))
        .chain(table.statistics.iter().map(text))
        .collect();
    sheet.header(&header)?;
    sheet.freeze(1)?;
    let styles: Vec<Style> = table.statistics.iter().map(|path| source.style_of(path)).collect();
    for (replication, values) in &table.rows {
        let row: Vec<Cell> = std::iter::once(number(Some(f64::from(*replication)), Style::General))
            .chain(values.iter().zip(&styles).map(|(value, style)| number(*value, *style)))
            .collect();
        sheet.row(&row)?;
    }
    Ok(())
}

fn trajectories(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let fans = &source.view.fans;
    let months = sorted_union(fans.iter().map(|fan| fan.months.as_slice()));
    sheet.title(
        "BCF metrics month by month",
        &[
            "Mean across replications of each month's figure, in the units of the BCF planning template; a \
           target row gives the target for the months it covers."
                .to_owned(),
        ],
    )?;
    let header: Vec<Cell> = [text("Metric"), text("Figure"), text("Unit")]
        .into_iter()
        .chain(months.iter().map(|&label| month(label)))
        .collect();
    sheet.header(&header)?;
    sheet.freeze(3)?;
    for fan in fans {
        let style = Style::of_unit(&fan.unit);
        let position = positions(&fan.months);
        let means = months
            .iter()
            .map(|label| number(value_at(&fan.mean, position.get(label).copied()), style));
        let row: Vec<Cell> = [text(&fan.label), text("Mean"), text(&fan.unit)]
            .into_iter()
            .chain(means)
            .collect();
        sheet.row(&row)?;
        for target in &fan.targets {
            let values = months
                .iter()
                .map(|label| number(covers(target, label).then_some(target.mark.value), style));
            let period = target.mark.period.as_ref().map(|period| format!(" ({period})"));
            let figure = format!("Target {}{}", bound_symbol(&target.mark), period.unwrap_or_default());
            let row: Vec<Cell> = [text(&fan.label), text(figure), text(&fan.unit)]
                .into_iter()
                .chain(values)
                .collect();
            sheet.row(&row)?;
        }
    }
    Ok(())
}

/// Whether `target` is for `month` (months as `YYYY-MM`, which sort as the calendar does).
fn covers(target: &FanTarget, month: &str) -> bool {
    target.from.as_str() <= month && month <= target.to.as_str()
}

fn trajectory_percentiles(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    sheet.title(
        "BCF metrics month by month, with the spread across replications",
        &[
            "One row per metric and month: the mean and percentiles across replications of the month's figure, \
           and the target for that month where there is one."
                .to_owned(),
        ],
    )?;
    sheet.header(&headers(&[
        "Month",
        "Metric",
        "Unit",
        "Mean",
        "p10",
        "p25",
        "p50",
        "p75",
        "p90",
        "Target",
        "Target value",
        "Path",
    ]))?;
    sheet.freeze(1)?;
    for fan in &source.view.fans {
        let style = Style::of_unit(&fan.unit);
        for (index, label) in fan.months.iter().enumerate() {
            let target = month_target(fan, label);
            let figures = [&fan.mean, &fan.p10, &fan.p25, &fan.p50, &fan.p75, &fan.p90]
                .map(|values| number(value_at(values, Some(index)), style));
            let row: Vec<Cell> = [month(label), text(&fan.label), text(&fan.unit)]
                .into_iter()
                .chain(figures)
                .chain([
                    target.map_or(Cell::Empty, |mark| text(bound_symbol(mark))),
                    number(target.map(|mark| mark.value), style),
                    text(&fan.path),
                ])
                .collect();
            sheet.row(&row)?;
        }
    }
    Ok(())
}

/// The first of `fan`'s targets that covers `month`.
fn month_target<'a>(fan: &'a Fan, month: &str) -> Option<&'a Mark> {
    fan.targets
        .iter()
        .find(|target| covers(target, month))
        .map(|target| &target.mark)
}

fn staffing(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let groups = &source.view.staffing;
    sheet.title(
        "Staff needed",
        &[
            "Per staff group: the FTE needed to cover the days at the group's coverage percentile (mean across \
           replications), the FTE employed, and the people on shift each gives."
                .to_owned(),
        ],
    )?;
    sheet.header(&headers(&[
        "Staff group",
        "FTE needed",
        "FTE employed",
        "People on shift at FTE needed",
        "People on shift at FTE employed",
    ]))?;
    sheet.freeze(1)?;
    for group in groups {
        sheet.row(&[
            text(&group.on_shift.label),
            number(group.fte_needed, Style::Decimal),
            number(group.fte_employed, Style::Decimal),
            number(group.on_shift_at_fte_needed, Style::Decimal),
            number(group.on_shift.capacity, Style::Decimal),
        ])?;
    }
    Ok(())
}

fn staffing_by_day(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let groups = &source.view.staffing;
    sheet.title(
        "People needed on shift each day",
        &[
            "Per staff group, the mean and the 10th and 90th percentiles across replications of the people needed \
           on shift."
                .to_owned(),
        ],
    )?;
    let labels: Vec<String> = groups.iter().map(|group| group.on_shift.label.clone()).collect();
    sheet.grouped_header(vec![text("Date")], &labels, &["Mean", "p10", "p90"], None)?;
    sheet.freeze(1)?;
    let dates = sorted_union(groups.iter().map(|group| group.on_shift.dates.as_slice()));
    let date_positions: Vec<HashMap<&str, usize>> =
        groups.iter().map(|group| positions(&group.on_shift.dates)).collect();
    for date in dates {
        let figures = groups.iter().zip(&date_positions).flat_map(|(group, position)| {
            let index = position.get(date).copied();
            let band = &group.on_shift;
            [&band.mean, &band.p10, &band.p90].map(|values| number(value_at(values, index), Style::Decimal))
        });
        let row: Vec<Cell> = std::iter::once(day(date)).chain(figures).collect();
        sheet.row(&row)?;
    }
    Ok(())
}

fn costs(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    sheet.title(
        "Costs, £ a year",
        &["Mean across replications with the 95 % confidence interval of the mean.".to_owned()],
    )?;
    sheet.header(&headers(&[
        "Cost",
        "Payer",
        "Mean",
        "95 % CI low",
        "95 % CI high",
        "Path",
    ]))?;
    sheet.freeze(1)?;
    for cost in &source.view.costs {
        let (low, high) = interval(cost.ci95);
        sheet.row(&[
            text(&cost.label),
            optional_text(cost.payer.as_deref()),
            number(cost.mean, Style::Money),
            number(low, Style::Money),
            number(high, Style::Money),
            text(&cost.path),
        ])?;
    }
    Ok(())
}

fn delays(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let delays = &source.view.delays;
    sheet.title(
        "Delayed bed days by cause",
        &["Mean delayed bed days across replications, each month (rows) by cause of delay (columns).".to_owned()],
    )?;
    let header: Vec<Cell> = std::iter::once(text("Month"))
        .chain(delays.causes.iter().map(|cause| text(&cause.label)))
        .chain(std::iter::once(text("Total")))
        .collect();
    sheet.header(&header)?;
    sheet.freeze(1)?;
    for (index, label) in delays.months.iter().enumerate() {
        let values: Vec<Option<f64>> = delays
            .causes
            .iter()
            .map(|cause| value_at(&cause.bed_days, Some(index)))
            .collect();
        let defined: Vec<f64> = values
            .iter()
            .flatten()
            .copied()
            .filter(|value| value.is_finite())
            .collect();
        let total = (!defined.is_empty()).then(|| defined.iter().sum());
        let row: Vec<Cell> = std::iter::once(month(label))
            .chain(values.iter().map(|value| number(*value, Style::Count)))
            .chain(std::iter::once(number(total, Style::Count)))
            .collect();
        sheet.row(&row)?;
    }
    Ok(())
}

fn validation(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    sheet.title(
        "The model against observed figures",
        &["Each figure observed in the real system beside the model's mean across replications.".to_owned()],
    )?;
    sheet.header(&headers(&[
        "Figure",
        "Period",
        "Observed",
        "Model mean",
        "Observed within model's 5th-95th percentiles",
        "Tolerance",
        "Model mean within tolerance",
        "Source",
        "Path",
    ]))?;
    sheet.freeze(1)?;
    for row in &source.view.validation {
        let style = source.style_of(&row.path);
        sheet.row(&[
            text(&row.label),
            optional_text(row.period.as_deref()),
            number(Some(row.observed), style),
            number(row.model, style),
            yes_no(row.in_band),
            number(row.tolerance, Style::General),
            yes_no(row.within_tolerance),
            text(&row.source),
            text(&row.path),
        ])?;
    }
    Ok(())
}

fn comparison(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    sheet.title(
        "Alternatives against the base",
        &["Paired differences, alternative minus base, with their 95 % confidence intervals.".to_owned()],
    )?;
    sheet.header(&headers(&[
        "Alternative",
        "Statistic",
        "Unit",
        "Base mean",
        "Difference",
        "95 % CI low",
        "95 % CI high",
        "Path",
    ]))?;
    sheet.freeze(2)?;
    for alternative in source.view.compare.iter().flat_map(|compare| &compare.alternatives) {
        let name = if alternative.label.is_empty() {
            &alternative.name
        } else {
            &alternative.label
        };
        for difference in &alternative.differences {
            let style = Style::of_unit(&difference.unit);
            // A difference is often far smaller than the figure: shown in full unless money.
            let change = match style {
                Style::Money => Style::Money,
                _ => Style::General,
            };
            let (low, high) = interval(difference.ci95);
            sheet.row(&[
                text(name),
                text(&difference.label),
                text(&difference.unit),
                number(difference.base, style),
                number(difference.mean, change),
                number(low, change),
                number(high, change),
                text(&difference.path),
            ])?;
        }
    }
    Ok(())
}

fn sweep(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let Some(sweep) = &source.view.sweep else {
        return Ok(());
    };
    sheet.title(
        "The sweep's grid",
        &[
            "One row per point: the parameters' values, then each statistic's mean across replications and the \
           95 % confidence interval of that mean."
                .to_owned(),
        ],
    )?;
    let statistic_names: Vec<String> = sweep
        .statistics
        .iter()
        .map(|statistic| {
            let style = Style::of_unit(&statistic.unit);
            let target = statistic
                .target
                .as_ref()
                .map(|mark| format!(", target {} {}", bound_symbol(mark), style.shown(mark.value)))
                .unwrap_or_default();
            format!("{} ({}{target})", statistic.label, statistic.unit)
        })
        .collect();
    let axis_names = sweep
        .axes
        .iter()
        .map(|axis| text(if axis.label.is_empty() { &axis.path } else { &axis.label }))
        .collect();
    let has_share = sweep.points.iter().any(|point| point.share_met.is_some());
    sheet.grouped_header(
        axis_names,
        &statistic_names,
        &["Mean", "95 % CI low", "95 % CI high"],
        has_share.then(|| text("Replications meeting every target")),
    )?;
    sheet.freeze(sweep.axes.len())?;
    let styles: Vec<Style> = sweep
        .statistics
        .iter()
        .map(|statistic| Style::of_unit(&statistic.unit))
        .collect();
    for point in &sweep.points {
        let axis_values = sweep.axes.iter().enumerate().map(|(axis_index, axis)| {
            let value = point.at.get(axis_index).and_then(|&at| axis.values.get(at)).copied();
            number(value, Style::General)
        });
        let figures = styles.iter().enumerate().flat_map(|(index, &style)| {
            let (low, high) = interval(point.ci95.get(index).copied().flatten());
            [point.mean.get(index).copied().flatten(), low, high].map(|value| number(value, style))
        });
        let row: Vec<Cell> = axis_values
            .chain(figures)
            .chain(has_share.then(|| number(point.share_met, Style::Share)))
            .collect();
        sheet.row(&row)?;
    }
    Ok(())
}

fn sensitivity(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    sheet.title(
        "What moves each statistic",
        &[
            "Each factor moved from its low to its high value, largest effect first: the mean change in the \
           statistic (paired replications) with its 95 % confidence interval."
                .to_owned(),
        ],
    )?;
    sheet.header(&headers(&[
        "Statistic",
        "Unit",
        "Base mean",
        "Factor",
        "Low",
        "High",
        "Effect (low to high)",
        "95 % CI low",
        "95 % CI high",
        "Path",
    ]))?;
    sheet.freeze(1)?;
    for tornado in source
        .view
        .sensitivity
        .iter()
        .flat_map(|sensitivity| &sensitivity.statistics)
    {
        let style = Style::of_unit(&tornado.unit);
        for factor in &tornado.factors {
            let (low, high) = interval(factor.ci95);
            sheet.row(&[
                text(&tornado.label),
                text(&tornado.unit),
                number(tornado.base, style),
                text(&factor.name),
                text(&factor.low),
                text(&factor.high),
                number(factor.effect, style),
                number(low, style),
                number(high, style),
                text(&tornado.path),
            ])?;
        }
    }
    Ok(())
}

fn about(sheet: &mut Sheet, source: &Source) -> Result<(), XlsxError> {
    let view = source.view;
    sheet.title(
        "About this workbook",
        &[format!(
            "Results of bcfsim {} for the scenario {}; report.html holds the same figures with charts.",
            view.run.bcfsim_version, view.run.scenario
        )],
    )?;
    sheet.header(&headers(&["Sheet", "What it shows"]))?;
    for kind in shown(view) {
        sheet.row(&[text(kind.name), spill(kind.about)])?;
    }
    if !view.run.levers.is_empty() {
        sheet.blank();
        sheet.header(&headers(&["Lever", "What it is", "Value", "Unit"]))?;
        for lever in &view.run.levers {
            sheet.row(&[
                text(&lever.name),
                text(&lever.label),
                text(&lever.value),
                optional_text(lever.unit.as_deref()),
            ])?;
        }
    }
    let methods = &view.methods;
    for (heading, lines) in [
        ("Experimentation", &methods.experimentation),
        ("Implementation", &methods.implementation),
    ] {
        if !lines.is_empty() {
            sheet.blank();
            sheet.headings(&[spill(heading)])?;
            for line in lines {
                sheet.row(&[spill(line)])?;
            }
        }
    }
    Ok(())
}

impl Source<'_> {
    fn style_of(&self, path: &str) -> Style {
        self.styles.get(path).copied().unwrap_or(Style::General)
    }
}

/// How each statistic the view knows a unit for is shown.
fn styles_by_path(view: &ReportView) -> HashMap<&str, Style> {
    let with_units = view
        .headline
        .iter()
        .map(|row| (row.path.as_str(), row.unit.as_str()))
        .chain(view.distributions.iter().map(|d| (d.path.as_str(), d.unit.as_str())));
    with_units
        .map(|(path, unit)| (path, Style::of_unit(unit)))
        .chain(view.costs.iter().map(|cost| (cost.path.as_str(), Style::Money)))
        .collect()
}

fn command_name(command: Command) -> &'static str {
    match command {
        Command::Run => "bcfsim run",
        Command::Compare => "bcfsim compare",
        Command::Sweep => "bcfsim sweep",
        Command::Sensitivity => "bcfsim sensitivity",
    }
}

/// A target's side, as people write it.
fn bound_symbol(mark: &Mark) -> &str {
    match mark.bound.as_str() {
        "<=" => "≤",
        ">=" => "≥",
        other => other,
    }
}

fn interval(ci95: Option<[f64; 2]>) -> (Option<f64>, Option<f64>) {
    (ci95.map(|[low, _]| low), ci95.map(|[_, high]| high))
}

/// The value at `index`, where the series has one (a series shorter than its labels leaves
/// blanks rather than failing).
fn value_at(values: &[f64], index: Option<usize>) -> Option<f64> {
    index.and_then(|index| values.get(index)).copied()
}

/// Each key's position in `keys`.
fn positions(keys: &[String]) -> HashMap<&str, usize> {
    keys.iter()
        .enumerate()
        .map(|(index, key)| (key.as_str(), index))
        .collect()
}

/// Every key of any of `lists`, once, in order (the keys are ISO dates or months, so the text
/// order is the calendar's).
fn sorted_union<'a>(lists: impl Iterator<Item = &'a [String]>) -> Vec<&'a str> {
    let keys: BTreeSet<&str> = lists.flatten().map(String::as_str).collect();
    keys.into_iter().collect()
}

/// How a number is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// A count: `12,345`.
    Count,
    /// A rate, percentage, FTE or mean: `830.2`.
    Decimal,
    /// Pounds: `£220,300,000`.
    Money,
    /// A share of replications, stored 0-1: `95.0%`.
    Share,
    /// Whatever the number is (unknown units, parameters' values, indices).
    General,
}

impl Style {
    /// The style for figures in `unit`.
    fn of_unit(unit: &str) -> Style {
        if unit.contains('£') {
            Style::Money
        } else if unit == "count" || unit == "a year" || unit.starts_with("bed days") {
            // Counts of things ("a year" alone is the number of them in the year); a rate names
            // what it is per.
            Style::Count
        } else {
            Style::Decimal
        }
    }

    fn number_format(self) -> &'static str {
        match self {
            Style::Count => "#,##0",
            Style::Decimal => "#,##0.0",
            Style::Money => "£#,##0",
            Style::Share => "0.0%",
            Style::General => "General",
        }
    }

    /// `value` as this style shows it (near enough: General is Rust's shortest form).
    fn shown(self, value: f64) -> String {
        let grouped = |decimals: usize| {
            let digits = format!("{:.decimals$}", value.abs());
            let integer_length = digits.find('.').unwrap_or(digits.len());
            let mut shown = String::from(if value < 0.0 { "-" } else { "" });
            for (index, digit) in digits.chars().enumerate() {
                if index > 0 && index < integer_length && (integer_length - index) % 3 == 0 {
                    shown.push(',');
                }
                shown.push(digit);
            }
            shown
        };
        match self {
            Style::Count => grouped(0),
            Style::Decimal => grouped(1),
            Style::Money => {
                let pounds = grouped(0);
                match pounds.strip_prefix('-') {
                    Some(magnitude) => format!("-£{magnitude}"),
                    None => format!("£{pounds}"),
                }
            }
            Style::Share => format!("{:.1}%", value * 100.0),
            Style::General => value.to_string(),
        }
    }

    /// The characters `value` takes shown in this style, for the column's width.
    fn shown_width(self, value: f64) -> usize {
        let width = self.shown(value).chars().count();
        match self {
            // Excel's General shows at most about eleven characters of a number.
            Style::General => width.min(11),
            _ => width,
        }
    }
}

/// A cell's content.
enum Cell<'a> {
    /// Text that widens its column to fit.
    Text(Cow<'a, str>),
    /// Text that may run on into the empty cells to its right, so it leaves its column's width
    /// alone (long values, notes).
    Spill(Cow<'a, str>),
    /// A number, blank where `None` or not finite.
    Number(Option<f64>, Style),
    /// A month (`YYYY-MM`) or day (`YYYY-MM-DD`) as a date; as text where it is not one.
    Date(&'a str, Period),
    /// Nothing.
    Empty,
}

/// What a date cell stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Period {
    /// A month, shown `Apr 2019`.
    Month,
    /// A day, shown `1 Apr 2019`.
    Day,
}

impl Period {
    /// The first day of the period `label` names, where it is a valid one.
    fn first_day(self, label: &str) -> Option<ExcelDateTime> {
        match self {
            Period::Month => date(&format!("{label}-01")),
            Period::Day => date(label),
        }
    }

    fn number_format(self) -> &'static str {
        match self {
            Period::Month => "mmm yyyy",
            Period::Day => "d mmm yyyy",
        }
    }
}

fn text<'a>(value: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Text(value.into())
}

fn spill<'a>(value: impl Into<Cow<'a, str>>) -> Cell<'a> {
    Cell::Spill(value.into())
}

fn number<'a>(value: Option<f64>, style: Style) -> Cell<'a> {
    Cell::Number(value, style)
}

fn optional_text(value: Option<&str>) -> Cell<'_> {
    value.map_or(Cell::Empty, text)
}

fn month(label: &str) -> Cell<'_> {
    Cell::Date(label, Period::Month)
}

fn day(label: &str) -> Cell<'_> {
    Cell::Date(label, Period::Day)
}

fn yes_no<'a>(value: Option<bool>) -> Cell<'a> {
    value.map_or(Cell::Empty, |yes| text(if yes { "yes" } else { "no" }))
}

fn headers<'a>(names: &[&'a str]) -> Vec<Cell<'a>> {
    names.iter().map(|&name| text(name)).collect()
}

/// `text` as a date, where it is a valid `YYYY-MM-DD`.
fn date(text: &str) -> Option<ExcelDateTime> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    ExcelDateTime::from_ymd(year, month, day).ok()
}

/// The formats every sheet shares.
struct Formats {
    title: Format,
    note: Format,
    heading: Format,
    group: Format,
    header: Format,
    header_month: Format,
    month: Format,
    day: Format,
    count: Format,
    decimal: Format,
    money: Format,
    share: Format,
    general: Format,
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
        let numbers = |style: Style| Format::new().set_num_format(style.number_format());
        let dates = |period: Period| Format::new().set_num_format(period.number_format());
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            note: Format::new().set_italic(),
            heading: Format::new().set_bold(),
            group: Format::new().set_bold().set_align(FormatAlign::Center),
            header_month: header.clone().set_num_format(Period::Month.number_format()),
            header,
            month: dates(Period::Month),
            day: dates(Period::Day),
            count: numbers(Style::Count),
            decimal: numbers(Style::Decimal),
            money: numbers(Style::Money),
            share: numbers(Style::Share),
            general: numbers(Style::General),
        }
    }

    fn number(&self, style: Style) -> &Format {
        match style {
            Style::Count => &self.count,
            Style::Decimal => &self.decimal,
            Style::Money => &self.money,
            Style::Share => &self.share,
            Style::General => &self.general,
        }
    }

    /// The format of text in a row of `role` (`None`: the default).
    fn text(&self, role: Role) -> Option<&Format> {
        match role {
            Role::Body => None,
            Role::Heading => Some(&self.heading),
            Role::Header => Some(&self.header),
        }
    }

    fn date(&self, period: Period, role: Role) -> &Format {
        match (period, role) {
            (Period::Month, Role::Header) => &self.header_month,
            (Period::Month, _) => &self.month,
            (Period::Day, _) => &self.day,
        }
    }
}

/// What a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A row of figures.
    Body,
    /// Bold captions over a block or a group of columns.
    Heading,
    /// A table's column headings: bold, underlined.
    Header,
}

/// Excel's last row and column (0-based): a sheet holds 1,048,576 rows and 16,384 columns.
const LAST_ROW: RowNum = 1_048_575;
const LAST_COLUMN: ColNum = 16_383;
/// The most characters a cell holds.
const MAX_TEXT: usize = 32_767;
/// The widest a column is made, in characters, so that one long label does not push the rest of
/// the table off the screen.
const MAX_WIDTH: usize = 80;

/// A worksheet being written row by row, which sizes its columns to what they hold and keeps to
/// Excel's limits, noting below the title what it had to leave out.
struct Sheet<'f> {
    worksheet: Worksheet,
    formats: &'f Formats,
    /// The row the next row goes in (past Excel's last row it is not written, only counted).
    next_row: u64,
    /// Each column's widest content, in characters.
    widths: Vec<usize>,
    /// The blank row under the title, where a note of what was left out goes.
    note_row: RowNum,
    /// The most columns a row asked for.
    columns_wanted: usize,
}

impl<'f> Sheet<'f> {
    fn new(name: &str, formats: &'f Formats) -> Result<Sheet<'f>, XlsxError> {
        let mut worksheet = Worksheet::new();
        worksheet.set_name(name)?;
        Ok(Sheet {
            worksheet,
            formats,
            next_row: 0,
            widths: Vec::new(),
            note_row: 0,
            columns_wanted: 0,
        })
    }

    /// Writes the sheet's title and the lines saying what it is, then a blank row.
    fn title(&mut self, title: &str, lines: &[String]) -> Result<(), XlsxError> {
        self.worksheet
            .write_string_with_format(0, 0, clip(title), &self.formats.title)?;
        for (row, line) in (1..).zip(lines) {
            self.worksheet
                .write_string_with_format(row, 0, clip(line), &self.formats.note)?;
        }
        self.note_row = 1 + lines.len() as RowNum;
        self.next_row = u64::from(self.note_row) + 1;
        Ok(())
    }

    /// Writes a table's header row.
    fn header(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        self.write_row(cells, Role::Header)
    }

    /// Writes a row of captions.
    fn headings(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        self.write_row(cells, Role::Heading)
    }

    /// Writes a header of two rows: each of `groups` centred over its columns, then the column
    /// headings: `leading`, each group's `figures`, and `trailing`.
    fn grouped_header(
        &mut self,
        leading: Vec<Cell>,
        groups: &[String],
        figures: &[&str],
        trailing: Option<Cell>,
    ) -> Result<(), XlsxError> {
        if let Ok(row @ 0..=LAST_ROW) = RowNum::try_from(self.next_row) {
            let span = figures.len().max(1);
            for (index, group) in groups.iter().enumerate() {
                let first = leading.len() + index * span;
                let last = first + span - 1;
                let (Ok(first), Ok(last @ 0..=LAST_COLUMN)) = (ColNum::try_from(first), ColNum::try_from(last)) else {
                    break;
                };
                let group = clip(group);
                if first == last {
                    self.worksheet
                        .write_string_with_format(row, first, group, &self.formats.group)?;
                } else {
                    self.worksheet
                        .merge_range(row, first, row, last, group, &self.formats.group)?;
                }
                // The name spreads over the group's columns, so each needs only its share of it.
                let share = group.chars().count().div_ceil(span);
                for column in first..=last {
                    self.widen(column, share);
                }
            }
        }
        self.next_row += 1;
        let header: Vec<Cell> = leading
            .into_iter()
            .chain(groups.iter().flat_map(|_| figures.iter().map(|&figure| text(figure))))
            .chain(trailing)
            .collect();
        self.header(&header)
    }

    /// Writes a row of the table.
    fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        self.write_row(cells, Role::Body)
    }

    /// Leaves a row empty.
    fn blank(&mut self) {
        self.next_row += 1;
    }

    /// Keeps the rows written so far and the first `columns` columns in view while scrolling.
    fn freeze(&mut self, columns: usize) -> Result<(), XlsxError> {
        let row = self.next_row.min(u64::from(LAST_ROW)) as RowNum;
        let column = columns.min(usize::from(LAST_COLUMN)) as ColNum;
        self.worksheet.set_freeze_panes(row, column)?;
        Ok(())
    }

    fn write_row(&mut self, cells: &[Cell], role: Role) -> Result<(), XlsxError> {
        self.columns_wanted = self.columns_wanted.max(cells.len());
        let row = self.next_row;
        self.next_row += 1;
        let row = match RowNum::try_from(row) {
            Ok(row) if row <= LAST_ROW => row,
            _ => return Ok(()),
        };
        for (column, cell) in (0..=LAST_COLUMN).zip(cells) {
            let width = self.write_cell(row, column, cell, role)?;
            self.widen(column, width);
        }
        Ok(())
    }

    /// Writes `cell`; the characters it needs its column to show.
    fn write_cell(&mut self, row: RowNum, column: ColNum, cell: &Cell, role: Role) -> Result<usize, XlsxError> {
        match cell {
            Cell::Text(value) => self.write_text(row, column, value, role),
            Cell::Spill(value) => self.write_text(row, column, value, role).map(|_| 0),
            Cell::Number(Some(value), style) if value.is_finite() => {
                self.worksheet
                    .write_number_with_format(row, column, *value, self.formats.number(*style))?;
                Ok(style.shown_width(*value))
            }
            Cell::Date(label, period) => match period.first_day(label) {
                Some(date) => {
                    let format = self.formats.date(*period, role);
                    self.worksheet.write_datetime_with_format(row, column, date, format)?;
                    // A format's text is as wide as the date it shows ("Sep 2019", "30 Sep 2019").
                    Ok(period.number_format().len())
                }
                None => self.write_text(row, column, label, role),
            },
            Cell::Number(..) | Cell::Empty => Ok(0),
        }
    }

    /// Writes `value` as text; its length in characters.
    fn write_text(&mut self, row: RowNum, column: ColNum, value: &str, role: Role) -> Result<usize, XlsxError> {
        let value = clip(value);
        match self.formats.text(role) {
            Some(format) => self.worksheet.write_string_with_format(row, column, value, format)?,
            None => self.worksheet.write_string(row, column, value)?,
        };
        Ok(value.chars().count())
    }

    fn widen(&mut self, column: ColNum, width: usize) {
        let column = usize::from(column);
        if self.widths.len() <= column {
            self.widths.resize(column + 1, 0);
        }
        self.widths[column] = self.widths[column].max(width);
    }

    /// Sizes the columns and notes what did not fit; the sheet, ready for the workbook.
    fn finish(mut self) -> Result<Worksheet, XlsxError> {
        for (column, width) in (0..).zip(&self.widths) {
            if *width > 0 {
                self.worksheet
                    .set_column_width(column, (width + 2).min(MAX_WIDTH) as f64)?;
            }
        }
        let rows_left_out = self.next_row.saturating_sub(u64::from(LAST_ROW) + 1);
        let columns_left_out = self.columns_wanted.saturating_sub(usize::from(LAST_COLUMN) + 1);
        let mut left_out = Vec::new();
        if rows_left_out > 0 {
            left_out.push(format!("the last {rows_left_out} rows"));
        }
        if columns_left_out > 0 {
            left_out.push(format!("the last {columns_left_out} columns"));
        }
        if !left_out.is_empty() {
            let note = format!(
                "Left out to keep within Excel's 1,048,576 rows and 16,384 columns: {}.",
                left_out.join(" and ")
            );
            self.worksheet
                .write_string_with_format(self.note_row, 0, note, &self.formats.note)?;
        }
        Ok(self.worksheet)
    }
}

/// `value` cut to the most characters a cell holds.
fn clip(value: &str) -> &str {
    match value.char_indices().nth(MAX_TEXT) {
        Some((end, _)) => &value[..end],
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_as_their_formats_show_them() {
        assert_eq!(Style::Count.shown(1_234_567.4), "1,234,567");
        assert_eq!(Style::Count.shown(999.0), "999");
        assert_eq!(Style::Decimal.shown(-1_234.56), "-1,234.6");
        assert_eq!(Style::Money.shown(-220_300_000.0), "-£220,300,000");
        assert_eq!(Style::Share.shown(0.85), "85.0%");
        assert_eq!(Style::Money.shown_width(220_300_000.0), "£220,300,000".chars().count());
    }
}
