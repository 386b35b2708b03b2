//! `results.xlsx` read back: the sheets the view calls for, the figures exactly as the view holds
//! them, blanks where a figure is undefined, and `replications.csv` read into columns.

use std::io::Cursor;

use bcfsim::report::view::{
    Alternative, Axis, CauseMonths, CompareView, CostRow, DailyBand, DelaysByCause, Difference, Factor, Fan, FanTarget,
    HeadlineRow, Lever, Mark, Methods, Published, ReportView, RunInfo, Section, SensitivityView, StaffingDays,
    SweepPoint, SweepView, SweptStatistic, Tornado, ValidationRow,
};
use bcfsim::report::xlsx::{sheet_names, workbook, PerReplication, MOST_REPLICATIONS};
use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};

const MONTHS: [&str; 12] = [
    "2019-04", "2019-05", "2019-06", "2019-07", "2019-08", "2019-09", "2019-10", "2019-11", "2019-12", "2020-01",
    "2020-02", "2020-03",
];

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

/// A view with something in every section, and the odd values a run can give (an undefined
/// mean, a NaN).
fn view() -> ReportView {
    let mark = |bound: &str, value: f64| Mark {
        bound: bound.into(),
        value,
        period: Some("2019/20".into()),
        label: Some("BCF plan".into()),
        probability_met: Some(0.85),
    };
    let monthly = |base: f64| (0..12).map(|m| base + f64::from(m) * 1.5).collect::<Vec<f64>>();
    let days = strings(&["2019-04-01", "2019-04-02", "2019-04-03"]);
    ReportView {
        version: 1,
        run: RunInfo {
            scenario: "Anyshire 2019/20".into(),
            scenario_file: "<default scenario>".into(),
            scenario_sha256: "ab".repeat(32),
            bcfsim_version: "0.1.0".into(),
            seed: u64::MAX,
            replications: 3,
            warmup_days: 90.0,
            horizon_days: 456.0,
            start_date: "2019-01-01".into(),
            results_from: "2019-04-01".into(),
            results_to: "2020-03-31".into(),
            overrides: strings(&["services.acute.capacity=620"]),
            levers: vec![Lever {
                name: "hca_fte".into(),
                label: "Home care assistants employed".into(),
                unit: Some("FTE".into()),
                value: "58".into(),
            }],
            interrupted: false,
        },
        headline: vec![
            HeadlineRow {
                section: Section::Metric,
                path: "metrics.admissions_65_per_100k".into(),
                label: "Emergency admissions, 65+".into(),
                unit: "per 100,000".into(),
                mean: Some(830.123456789),
                ci95: Some([812.5, 847.75]),
                target: Some(mark("<=", 840.0)),
                published: Some(Published {
                    value: 851.0,
                    source: "SUS 2018/19".into(),
                    period: Some("2018/19".into()),
                }),
            },
            HeadlineRow {
                section: Section::Metric,
                path: "metrics.home_91_days_pct".into(),
                label: "Still at home 91 days after discharge".into(),
                unit: "%".into(),
                mean: None,
                ci95: None,
                target: None,
                published: None,
            },
            HeadlineRow {
                section: Section::Cost,
                path: "costs.total".into(),
                label: "Total cost".into(),
                unit: "£ a year".into(),
                mean: Some(220_300_000.25),
                ci95: Some([219_000_000.0, 221_600_000.5]),
                target: None,
                published: None,
            },
            HeadlineRow {
                section: Section::Delay,
                path: "delays.home_care.bed_days".into(),
                label: "Waiting for home care".into(),
                unit: "bed days a year".into(),
                mean: Some(f64::NAN),
                ci95: None,
                target: None,
                published: None,
            },
        ],
        fans: vec![Fan {
            path: "metrics.admissions_65_per_100k".into(),
            label: "Emergency admissions, 65+".into(),
            unit: "per 100,000".into(),
            months: strings(&MONTHS),
            mean: monthly(69.0),
            p10: monthly(60.0),
            p25: monthly(64.0),
            p50: monthly(69.0),
            p75: monthly(73.0),
            p90: monthly(78.0),
            targets: vec![FanTarget {
                mark: mark("<=", 72.0),
                from: "2019-10".into(),
                to: "2020-03".into(),
            }],
        }],
        staffing: vec![StaffingDays {
            on_shift: DailyBand {
                id: "hca".into(),
                label: "Home care assistants".into(),
                capacity: Some(40.0),
                dates: days.clone(),
                mean: vec![36.2, 38.9, 41.0],
                p10: vec![33.0, 35.0, 37.0],
                p90: vec![39.0, 42.0, 45.0],
            },
            fte_needed: Some(61.4),
            fte_employed: Some(58.0),
            on_shift_at_fte_needed: Some(42.3),
        }],
        delays: DelaysByCause {
            months: strings(&MONTHS),
            causes: vec![
                CauseMonths {
                    id: "home_care".into(),
                    label: "Waiting for home care".into(),
                    bed_days: monthly(310.0),
                },
                CauseMonths {
                    id: "discharge_process".into(),
                    label: "Discharge process".into(),
                    bed_days: monthly(120.0),
                },
            ],
        },
        costs: vec![CostRow {
            path: "costs.acute".into(),
            label: "Acute beds".into(),
            payer: Some("NHS".into()),
            mean: Some(180_250_000.0),
            ci95: Some([179_000_000.0, 181_500_000.0]),
        }],
        validation: vec![ValidationRow {
            label: "Emergency admissions, 65+".into(),
            path: "metrics.admissions_65_per_100k".into(),
            period: Some("2018/19".into()),
            observed: 851.0,
            source: "SUS 2018/19".into(),
            model: Some(830.1),
            in_band: Some(true),
            tolerance: Some(0.05),
            within_tolerance: Some(true),
        }],
        methods: Methods {
            implementation: strings(&["bcfsim 0.1.0, Rust", "ChaCha8 streams, one per replication and purpose"]),
            experimentation: strings(&["3 replications; 95 % intervals from Student's t"]),
            ..Methods::default()
        },
        compare: Some(CompareView {
            alternatives: vec![Alternative {
                name: "more_hca".into(),
                label: "Ten more home care assistants".into(),
                differences: vec![Difference {
                    path: "metrics.admissions_65_per_100k".into(),
                    label: "Emergency admissions, 65+".into(),
                    unit: "per 100,000".into(),
                    base: Some(830.1),
                    mean: Some(-12.25),
                    ci95: Some([-20.5, -4.0]),
                }],
            }],
        }),
        sweep: Some(SweepView {
            axes: vec![Axis {
                path: "hca_fte".into(),
                label: "Home care assistants employed".into(),
                values: vec![50.0, 60.0],
            }],
            statistics: vec![SweptStatistic {
                path: "costs.total".into(),
                label: "Total cost".into(),
                unit: "£ a year".into(),
                target: None,
            }],
            points: vec![
                SweepPoint {
                    at: vec![0],
                    mean: vec![Some(219_000_000.0)],
                    ci95: vec![Some([218_000_000.0, 220_000_000.0])],
                    share_met: Some(0.4),
                },
                SweepPoint {
                    at: vec![1],
                    mean: vec![None],
                    ci95: vec![None],
                    share_met: None,
                },
            ],
        }),
        sensitivity: Some(SensitivityView {
            statistics: vec![Tornado {
                path: "costs.total".into(),
                label: "Total cost".into(),
                unit: "£ a year".into(),
                base: Some(220_300_000.0),
                factors: vec![Factor {
                    name: "hca_fte".into(),
                    low: "50".into(),
                    high: "60".into(),
                    effect: Some(1_250_000.0),
                    ci95: Some([900_000.0, 1_600_000.0]),
                }],
            }],
        }),
        ..ReportView::default()
    }
}

fn per_replication() -> PerReplication {
    PerReplication {
        statistics: strings(&[
            "metrics.admissions_65_per_100k",
            "costs.total",
            "services.acute.mean_wait",
        ]),
        rows: vec![
            (0, vec![Some(829.5), Some(220_100_000.0), Some(0.125)]),
            (1, vec![Some(831.25), None, Some(f64::NAN)]),
            (2, vec![Some(0.1 + 0.2), Some(220_500_000.0), None]),
        ],
        left_out: 0,
    }
}

fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("the workbook opens")
}

fn sheet(book: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Range<Data> {
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

/// The row and column of the first cell holding `text`.
fn find(range: &Range<Data>, text: &str) -> (u32, u32) {
    let (first_row, first_column) = range.start().expect("the sheet has cells");
    range
        .cells()
        .find(|(_, _, cell)| matches!(cell, Data::String(value) if value == text))
        .map(|(row, column, _)| (first_row + row as u32, first_column + column as u32))
        .unwrap_or_else(|| panic!("no cell holds {text:?}"))
}

/// The row of the first cell holding `text`.
fn row_of(range: &Range<Data>, text: &str) -> u32 {
    find(range, text).0
}

/// The number at `(row, column)`, `None` where the cell is blank.
fn number(range: &Range<Data>, row: u32, column: u32) -> Option<f64> {
    match range.get_value((row, column)) {
        None | Some(Data::Empty) => None,
        Some(Data::Float(value)) => Some(*value),
        Some(other) => panic!("({row}, {column}) holds {other:?}, not a number"),
    }
}

fn written(view: &ReportView, per_replication: &PerReplication) -> Xlsx<Cursor<Vec<u8>>> {
    open(workbook(view, per_replication).expect("the workbook is written"))
}

#[test]
fn the_sheets_are_those_the_view_calls_for() {
    let view = view();
    let mut book = written(&view, &per_replication());
    assert_eq!(book.sheet_names(), sheet_names(&view));
    for name in sheet_names(&view) {
        assert!(sheet(&mut book, name).start().is_some(), "{name} is empty");
    }
    assert_eq!(
        sheet_names(&view),
        [
            "Headline",
            "Replications",
            "Trajectories",
            "Trajectory percentiles",
            "Staffing",
            "Staffing by day",
            "Costs",
            "Delays",
            "Validation",
            "Comparison",
            "Sweep",
            "Sensitivity",
            "About"
        ]
    );
    let empty = ReportView::default();
    let book = written(&empty, &PerReplication::default());
    assert_eq!(book.sheet_names(), ["Headline", "Replications", "About"]);
    assert_eq!(sheet_names(&empty), ["Headline", "Replications", "About"]);
}

#[test]
fn headline_figures_are_the_views_exactly() {
    let view = view();
    let mut book = written(&view, &per_replication());
    let headline = sheet(&mut book, "Headline");
    let header = row_of(&headline, "Section");
    for (offset, row) in (1..).zip(&view.headline) {
        let at = header + offset;
        assert_eq!(headline.get_value((at, 1)), Some(&Data::String(row.label.clone())));
        let mean = row.mean.filter(|mean| mean.is_finite());
        assert_eq!(number(&headline, at, 3), mean, "{} mean", row.label);
        assert_eq!(
            number(&headline, at, 4),
            row.ci95.map(|[low, _]| low),
            "{} low",
            row.label
        );
        assert_eq!(
            number(&headline, at, 5),
            row.ci95.map(|[_, high]| high),
            "{} high",
            row.label
        );
        assert_eq!(number(&headline, at, 7), row.target.as_ref().map(|mark| mark.value));
        assert_eq!(
            number(&headline, at, 9),
            row.target.as_ref().and_then(|mark| mark.probability_met)
        );
        assert_eq!(number(&headline, at, 11), row.published.as_ref().map(|p| p.value));
    }
    let (row, column) = find(&headline, "Seed");
    assert_eq!(
        headline.get_value((row, column + 1)),
        Some(&Data::String(u64::MAX.to_string()))
    );
}

#[test]
fn replications_are_the_tables_values_with_blanks_where_undefined() {
    let table = per_replication();
    let mut book = written(&view(), &table);
    let replications = sheet(&mut book, "Replications");
    let header = row_of(&replications, "Replication");
    for (column, statistic) in (1..).zip(&table.statistics) {
        assert_eq!(
            replications.get_value((header, column)),
            Some(&Data::String(statistic.clone()))
        );
    }
    for ((replication, values), at) in table.rows.iter().zip(header + 1..) {
        assert_eq!(number(&replications, at, 0), Some(f64::from(*replication)));
        for (column, value) in (1..).zip(values) {
            let value = value.filter(|value| value.is_finite());
            assert_eq!(
                number(&replications, at, column),
                value,
                "replication {replication}, column {column}"
            );
        }
    }
}

#[test]
fn months_are_dates_and_the_other_sheets_read_back() {
    let view = view();
    let mut book = written(&view, &per_replication());
    let trajectories = sheet(&mut book, "Trajectories");
    let header = row_of(&trajectories, "Metric");
    // 2019-04-01 is day 43,556 of Excel's calendar.
    match trajectories.get_value((header, 3)) {
        Some(Data::DateTime(date)) => assert_eq!(date.as_f64(), 43_556.0),
        other => panic!("the first month is {other:?}, not a date"),
    }
    let fan = &view.fans[0];
    for (column, mean) in (3..).zip(&fan.mean) {
        assert_eq!(number(&trajectories, header + 1, column), Some(*mean));
    }
    let target_row = header + 2;
    assert_eq!(
        number(&trajectories, target_row, 3),
        None,
        "April is before the target's months"
    );
    assert_eq!(number(&trajectories, target_row, 14), Some(72.0));

    let by_day = sheet(&mut book, "Staffing by day");
    let (group_row, group_column) = find(&by_day, "Home care assistants");
    let header = row_of(&by_day, "Date");
    assert_eq!(
        (group_row + 1, group_column),
        (header, 1),
        "the group is over its columns"
    );
    let band = &view.staffing[0].on_shift;
    let first_day = [&band.mean, &band.p10, &band.p90].map(|values| Some(values[0]));
    assert_eq!([1, 2, 3].map(|column| number(&by_day, header + 1, column)), first_day);

    let delays = sheet(&mut book, "Delays");
    let header = row_of(&delays, "Month");
    let causes = &view.delays.causes;
    assert_eq!(
        number(&delays, header + 1, 3),
        Some(causes[0].bed_days[0] + causes[1].bed_days[0]),
        "the total"
    );

    let sweep = sheet(&mut book, "Sweep");
    let header = row_of(&sweep, "Home care assistants employed");
    assert_eq!(number(&sweep, header + 1, 1), Some(219_000_000.0));
    assert_eq!(number(&sweep, header + 1, 4), Some(0.4));
    assert_eq!(number(&sweep, header + 2, 1), None);

    let costs = sheet(&mut book, "Costs");
    let header = row_of(&costs, "Cost");
    assert_eq!(number(&costs, header + 1, 2), view.costs[0].mean);
}

#[test]
fn columns_past_excels_limit_are_left_out_with_a_note() {
    let statistics: Vec<String> = (0..16_400).map(|index| format!("statistic_{index}")).collect();
    let table = PerReplication {
        rows: vec![(0, vec![Some(1.0); statistics.len()])],
        statistics,
        left_out: 0,
    };
    let mut book = written(&ReportView::default(), &table);
    let replications = sheet(&mut book, "Replications");
    let (_, last_column) = replications.end().expect("the sheet has cells");
    assert_eq!(last_column, 16_383);
    let note = replications
        .rows()
        .flat_map(|row| row.first())
        .find_map(|cell| match cell {
            Data::String(text) if text.starts_with("Left out") => Some(text.clone()),
            _ => None,
        })
        .expect("a note of what was left out");
    assert!(note.contains("the last 17 columns"), "{note}");
}

#[test]
fn replications_csv_is_read_into_columns_in_first_seen_order() {
    let csv = "replication,statistic,value\n\
               0,metrics.admissions,830.5\n\
               0,services.acute.mean_wait,\n\
               1,metrics.admissions,829\n\
               1,services.acute.mean_wait,0.25\n\
               1,costs.total,220300000\n";
    let table = PerReplication::read(csv.as_bytes()).expect("the CSV reads");
    assert_eq!(
        table.statistics,
        ["metrics.admissions", "services.acute.mean_wait", "costs.total"]
    );
    assert_eq!(
        table.rows,
        [
            (0, vec![Some(830.5), None, None]),
            (1, vec![Some(829.0), Some(0.25), Some(220_300_000.0)]),
        ]
    );
    assert!(PerReplication::read("replication,statistic,value\nx,a,1\n".as_bytes()).is_err());
}

#[test]
fn the_workbook_keeps_the_first_replications_of_a_long_run() {
    let replications = MOST_REPLICATIONS + 7;
    let csv: String = std::iter::once("replication,statistic,value\n".to_owned())
        .chain((0..replications).map(|k| format!("{k},metrics.admissions,{k}\n")))
        .collect();
    let table = PerReplication::read(csv.as_bytes()).expect("the CSV reads");
    assert_eq!(table.rows.len(), MOST_REPLICATIONS);
    assert_eq!(table.left_out, 7);
    assert_eq!(table.rows.last().map(|(k, _)| *k), Some(MOST_REPLICATIONS as u32 - 1));
    let mut book = written(&ReportView::default(), &table);
    let note = sheet(&mut book, "Replications")
        .rows()
        .flat_map(|row| row.iter().map(ToString::to_string).collect::<Vec<_>>())
        .find(|cell| cell.starts_with("The first "))
        .unwrap_or_default();
    assert!(note.contains("the other 7 are in replications.csv"), "{note}");
}
