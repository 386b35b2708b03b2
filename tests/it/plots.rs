//! The report's charts: one small chart against a saved SVG, every kind drawn as SVG and PNG
//! from a view with every section, and nothing drawn for empty sections or odd data.

use expect_test::expect_file;

use bcfsim::report::plots::{plots, png};
use bcfsim::report::view::{
    Alternative, Axis, CauseMonths, CompareView, DailyBand, DelaysByCause, Difference, Factor, Fan, FanTarget, Mark,
    MetricDistribution, ReportView, SensitivityView, StaffingDays, SweepPoint, SweepView, SweptStatistic, Tornado,
};

fn mark(bound: &str, value: f64) -> Mark {
    Mark {
        bound: bound.into(),
        value,
        period: Some("2019/20".into()),
        label: None,
        probability_met: Some(0.6),
    }
}

fn distribution(values: Vec<f64>) -> MetricDistribution {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    MetricDistribution {
        path: "metrics.non_elective_admissions_per_100k".into(),
        label: "Non-elective admissions".into(),
        unit: "per 100,000".into(),
        values,
        mean,
        ci95: Some([mean - 8.0, mean + 8.0]),
        target: Some(mark("<=", 850.0)),
    }
}

fn months(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{}-{:02}", 2019 + (i + 3) / 12, (i + 3) % 12 + 1))
        .collect()
}

fn daily(id: &str, days: usize, level: f64, capacity: Option<f64>) -> DailyBand {
    let dates = (0..days)
        .map(|day| {
            let (month, day_of_month) = (day / 30, day % 30 + 1);
            format!(
                "{}-{:02}-{:02}",
                2019 + (month + 3) / 12,
                (month + 3) % 12 + 1,
                day_of_month
            )
        })
        .collect();
    let mean: Vec<f64> = (0..days)
        .map(|day| level + (day as f64 / 20.0).sin() * level * 0.03)
        .collect();
    DailyBand {
        id: id.into(),
        label: id.into(),
        capacity,
        dates,
        p10: mean.iter().map(|m| m * 0.95).collect(),
        p90: mean.iter().map(|m| m * 1.05).collect(),
        mean,
    }
}

fn sweep(axes: usize) -> SweepView {
    let values = |from: f64| vec![from, from + 5.0, from + 10.0];
    let axes: Vec<Axis> = (0..axes)
        .map(|a| Axis {
            path: format!("lever.{a}"),
            label: format!("lever {a}"),
            values: values(50.0 + a as f64),
        })
        .collect();
    let grid: Vec<Vec<usize>> = if axes.len() == 1 {
        (0..3).map(|i| vec![i]).collect()
    } else {
        (0..3).flat_map(|i| (0..3).map(move |j| vec![i, j])).collect()
    };
    SweepView {
        statistics: vec![SweptStatistic {
            path: "metrics.delayed_days_per_100k_per_day".into(),
            label: "Delayed days".into(),
            unit: "per 100,000 a day".into(),
            target: Some(mark("<=", 3.7)),
        }],
        points: grid
            .into_iter()
            .map(|at| {
                let mean = 5.0 - at.iter().sum::<usize>() as f64;
                SweepPoint {
                    at,
                    mean: vec![Some(mean)],
                    ci95: vec![Some([mean - 0.3, mean + 0.3])],
                    share_met: Some(0.4),
                }
            })
            .collect(),
        axes,
    }
}

/// A view with data in every section the charts draw.
fn full_view() -> ReportView {
    let twelve = months(12);
    let rising: Vec<f64> = (0..12).map(|i| 800.0 + 5.0 * i as f64).collect();
    let shifted = |by: f64| rising.iter().map(|v| v + by).collect::<Vec<f64>>();
    let difference = |label: &str, base: Option<f64>, mean: f64| Difference {
        path: format!("metrics.{label}"),
        label: label.into(),
        unit: "per 100,000".into(),
        base,
        mean: Some(mean),
        ci95: Some([mean - 2.0, mean + 2.0]),
    };
    ReportView {
        distributions: vec![distribution(vec![812.0, 826.5, 830.0, 841.0, 852.0])],
        fans: vec![Fan {
            path: "metrics.non_elective_admissions_per_100k".into(),
            label: "Non-elective admissions".into(),
            unit: "per 100,000".into(),
            months: twelve.clone(),
            mean: rising.clone(),
            p10: shifted(-30.0),
            p25: shifted(-15.0),
            p50: rising.clone(),
            p75: shifted(15.0),
            p90: shifted(30.0),
            targets: vec![FanTarget {
                mark: mark("<=", 840.0),
                from: twelve[0].clone(),
                to: twelve[11].clone(),
            }],
        }],
        occupancy: vec![daily("acute", 366, 1320.0, Some(1400.0))],
        staffing: vec![StaffingDays {
            on_shift: daily("hca", 366, 20.0, Some(19.0)),
            fte_needed: Some(63.8),
            fte_employed: Some(58.0),
            on_shift_at_fte_needed: Some(21.0),
        }],
        delays: DelaysByCause {
            months: twelve,
            causes: ["reablement", "care_home", "discharge_process"]
                .iter()
                .enumerate()
                .map(|(i, id)| CauseMonths {
                    id: (*id).into(),
                    label: (*id).into(),
                    bed_days: vec![100.0 * (i + 1) as f64; 12],
                })
                .collect(),
        },
        compare: Some(CompareView {
            alternatives: vec![Alternative {
                name: "more_hca".into(),
                label: "More HCAs".into(),
                differences: vec![
                    difference("admissions", Some(830.0), -12.0),
                    difference("delayed_days", Some(4.1), -0.8),
                    difference("no_base", None, 1.0),
                ],
            }],
        }),
        sweep: Some(sweep(1)),
        sensitivity: Some(SensitivityView {
            statistics: vec![Tornado {
                path: "metrics.delayed_days_per_100k_per_day".into(),
                label: "Delayed days".into(),
                unit: "per 100,000 a day".into(),
                base: Some(4.1),
                factors: vec![
                    Factor {
                        name: "hca_fte".into(),
                        low: "50".into(),
                        high: "70".into(),
                        effect: Some(-1.2),
                        ci95: Some([-1.5, -0.9]),
                    },
                    Factor {
                        name: "reablement".into(),
                        low: "off".into(),
                        high: "on".into(),
                        effect: Some(0.4),
                        ci95: None,
                    },
                ],
            }],
        }),
        ..ReportView::default()
    }
}

/// The width and height a PNG's header gives, after checking its signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let number = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (number(16), number(20))
}

/// The `width` and `height` attributes of an SVG's root element.
fn svg_size(svg: &str) -> (u32, u32) {
    let attribute = |name: &str| -> u32 {
        let start = svg.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        svg[start..].split('"').next().unwrap().parse().unwrap()
    };
    (attribute("width"), attribute("height"))
}

#[test]
fn a_small_distribution_draws_as_saved() {
    let view = ReportView {
        distributions: vec![distribution(vec![812.0, 826.5, 830.0, 841.0, 852.0])],
        ..ReportView::default()
    };
    let plots = plots(&view);
    assert_eq!(plots.len(), 1);
    assert_eq!(plots[0].name, "distribution-non_elective_admissions_per_100k");
    expect_file!["snapshots/distribution.svg"].assert_eq(&plots[0].svg);
}

#[test]
fn every_kind_of_chart_draws_as_svg_and_png() {
    let view = full_view();
    let drawn = plots(&view);
    let names: Vec<&str> = drawn.iter().map(|plot| plot.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "distribution-non_elective_admissions_per_100k",
            "fan-non_elective_admissions_per_100k",
            "occupancy-acute",
            "staffing-hca",
            "delays-by-cause",
            "compare-forest-more_hca",
            "sweep-delayed_days_per_100k_per_day",
            "sweep-share_met",
            "tornado-delayed_days_per_100k_per_day",
        ]
    );
    for plot in &drawn {
        assert!(plot
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'));
        assert!(!plot.title.is_empty() && !plot.caption.is_empty(), "{}", plot.name);
        let svg = plot.svg.trim();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{}", plot.name);
        assert!(svg.contains("<text"), "{} has no text", plot.name);
        let (width, height) = svg_size(svg);
        let bytes = png(&view, &plot.name).unwrap_or_else(|| panic!("no PNG for {}", plot.name));
        // Twice the SVG's pixels, under a band of 36 for the title.
        assert_eq!(png_size(&bytes), (2 * width, 2 * (height + 36)), "{}", plot.name);
    }
    assert!(png(&view, "no-such-chart").is_none());
}

#[test]
fn a_two_parameter_sweep_is_a_heat_map() {
    let view = ReportView {
        sweep: Some(sweep(2)),
        ..ReportView::default()
    };
    let names: Vec<String> = plots(&view).into_iter().map(|plot| plot.name).collect();
    assert_eq!(
        names,
        ["sweep-heatmap-delayed_days_per_100k_per_day", "sweep-heatmap-share_met"]
    );
}

#[test]
fn empty_sections_draw_nothing() {
    assert!(plots(&ReportView::default()).is_empty());
    let empty = ReportView {
        distributions: vec![distribution(vec![f64::NAN])],
        fans: vec![Fan {
            months: months(3),
            p50: vec![f64::NAN; 3],
            ..Fan::default()
        }],
        occupancy: vec![DailyBand::default()],
        staffing: vec![StaffingDays::default()],
        delays: DelaysByCause {
            months: months(2),
            causes: vec![CauseMonths {
                bed_days: vec![0.0, 0.0],
                ..CauseMonths::default()
            }],
        },
        compare: Some(CompareView::default()),
        sweep: Some(SweepView::default()),
        sensitivity: Some(SensitivityView {
            statistics: vec![Tornado::default()],
        }),
        ..ReportView::default()
    };
    assert!(plots(&empty).is_empty());
}

#[test]
fn odd_data_still_draws() {
    let mut one_month = full_view();
    let fan = &mut one_month.fans[0];
    for series in [&mut fan.p10, &mut fan.p25, &mut fan.p50, &mut fan.p75, &mut fan.p90] {
        series.truncate(1);
    }
    fan.months.truncate(1);
    one_month.distributions = vec![
        distribution(vec![830.0; 4]),
        distribution(vec![830.0]),
        distribution(vec![1.0, f64::NAN, 2.0]),
    ];
    one_month.occupancy[0].mean[3] = f64::NAN;
    let drawn = plots(&one_month);
    assert_eq!(
        drawn
            .iter()
            .filter(|plot| plot.name.starts_with("distribution-"))
            .count(),
        3
    );
    assert!(drawn.iter().any(|plot| plot.name.starts_with("fan-")));
    assert!(drawn.iter().all(|plot| plot.svg.trim_end().ends_with("</svg>")));
}
