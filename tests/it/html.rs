//! `report.html` and the pathway diagram: every section from a hand-made view, text escaped,
//! nothing fetched, the diagram's geometry, and the page as headless Chromium renders it.

use bcfsim::report::html::{render, Figure};
use bcfsim::report::pathway::{self, Direction, Layout};
use bcfsim::report::view::*;

use crate::support::{assert_no_console_output, chromium, run_chromium};

/// A label that must come out escaped wherever it is shown.
const MARKUP_LABEL: &str = "Beds <&> \"quoted\"";

/// The charts of the sample, one for each section (and one of no known kind), each a tiny SVG
/// reusing the same clip-path id, as plotters' charts may.
const FIGURE_NAMES: [&str; 10] = [
    "distribution-non_elective_admissions_per_100k",
    "distribution-delayed_transfers",
    "fan-non_elective_admissions_per_100k",
    "occupancy-d2a_beds",
    "staffing-hca",
    "delays-by_cause",
    "compare-delayed_transfers",
    "sweep-delayed_transfers",
    "tornado-delayed_transfers",
    "mystery-chart",
];

/// The section each chart of [`FIGURE_NAMES`] belongs in.
const FIGURE_SECTIONS: [&str; 10] = [
    "headline",
    "headline",
    "trajectories",
    "occupancy",
    "staffing",
    "delays",
    "compare",
    "sweep",
    "sensitivity",
    "other-charts",
];

const FAKE_SVG: &str = r##"<?xml version="1.0"?>
<svg width="200" height="100" viewBox="0 0 200 100" xmlns="http://www.w3.org/2000/svg"><defs><clipPath id="clip"><rect width="200" height="100"/></clipPath></defs><rect clip-path="url(#clip)" width="200" height="100" fill="#eee"/></svg>"##;

fn title(name: &str) -> String {
    format!("Chart {name}")
}

fn figures(titles: &[String]) -> Vec<Figure<'_>> {
    FIGURE_NAMES
        .iter()
        .zip(titles)
        .map(|(name, title)| Figure {
            name,
            title,
            caption: "What it shows.",
            svg: FAKE_SVG,
        })
        .collect()
}

fn mark(bound: &str, value: f64, probability_met: Option<f64>) -> Mark {
    Mark {
        bound: bound.into(),
        value,
        period: Some("2019/20".into()),
        label: Some("BCF plan".into()),
        probability_met,
    }
}

fn band(id: &str, label: &str, capacity: Option<f64>, level: f64) -> DailyBand {
    DailyBand {
        id: id.into(),
        label: label.into(),
        capacity,
        dates: vec!["2019-04-01".into(), "2019-04-02".into()],
        mean: vec![level, level + 1.0],
        p10: vec![level - 2.0, level - 1.0],
        p90: vec![level + 2.0, level + 3.0],
    }
}

fn node(id: &str, label: &str, role: NodeRole, capacity: Option<f64>, column: u32) -> PathwayNode {
    PathwayNode {
        id: id.into(),
        label: label.into(),
        role,
        capacity,
        staffed_by: None,
        column,
        per_year: Some(1234.0),
    }
}

fn route(from: usize, to: usize, probability: Option<f64>) -> Route {
    Route { from, to, probability }
}

/// The small network: source → A → {B, exit}, and B back to A.
fn small_pathway() -> Pathway {
    Pathway {
        nodes: vec![
            node("referrals", "Referrals", NodeRole::Source, None, 0),
            node("a", "Assessment", NodeRole::Service, Some(60.0), 1),
            node("b", MARKUP_LABEL, NodeRole::Service, None, 2),
            node("home", "Home", NodeRole::Exit, None, 2),
        ],
        routes: vec![
            route(0, 1, Some(1.0)),
            route(1, 2, Some(0.46)),
            route(1, 3, Some(0.54)),
            route(2, 1, Some(0.05)),
        ],
    }
}

fn headline_row(section: Section, label: &str, unit: &str, mean: Option<f64>) -> HeadlineRow {
    HeadlineRow {
        section,
        path: format!("x.{label}"),
        label: label.into(),
        unit: unit.into(),
        mean,
        ci95: mean.map(|m| [m * 0.95, m * 1.05]),
        target: None,
        published: None,
    }
}

/// A view with something in every section.
fn sample_view() -> ReportView {
    let admissions = HeadlineRow {
        target: Some(mark("<=", 11500.0, Some(0.82))),
        published: Some(Published {
            value: 11412.0,
            source: "NHS Digital <SUS>".into(),
            period: Some("2019/20".into()),
        }),
        ..headline_row(
            Section::Metric,
            "Non-elective admissions",
            "per 100,000",
            Some(11234.56),
        )
    };
    let delayed = HeadlineRow {
        target: Some(mark(">=", 20.0, None)),
        ..headline_row(Section::Metric, MARKUP_LABEL, "per 100,000", Some(12.345))
    };
    let months = vec!["2019-04".to_owned(), "2019-05".to_owned()];
    ReportView {
        version: VIEW_VERSION,
        command: Command::Compare,
        run: RunInfo {
            scenario: "Test county".into(),
            scenario_file: "county.toml".into(),
            scenario_sha256: "ab".repeat(32),
            bcfsim_version: "0.1.0".into(),
            seed: 42,
            replications: 20,
            warmup_days: 180.0,
            horizon_days: 545.0,
            start_date: "2018-10-03".into(),
            results_from: "2019-04-01".into(),
            results_to: "2020-03-31".into(),
            overrides: vec!["levers.d2a_beds=70".into()],
            levers: vec![Lever {
                name: "d2a_beds".into(),
                label: "Discharge-to-assess beds".into(),
                unit: Some("beds".into()),
                value: "70".into(),
            }],
            interrupted: true,
        },
        targets: vec![
            TargetRow {
                path: "metrics.non_elective_admissions_per_100k".into(),
                label: "Non-elective admissions".into(),
                unit: "per 100,000".into(),
                mark: mark("<=", 11500.0, Some(0.82)),
                mean: Some(11235.0),
            },
            TargetRow {
                path: "metrics.non_elective_admissions_per_100k".into(),
                label: "Non-elective admissions".into(),
                unit: "per 100,000".into(),
                mark: Mark {
                    period: Some("2019/20 Q3".into()),
                    ..mark("<=", 2551.0, Some(0.0))
                },
                mean: Some(2650.0),
            },
        ],
        headline: vec![
            headline_row(Section::Delay, "Waiting for home care", "bed days a year", None),
            admissions,
            delayed,
            headline_row(Section::Staffing, "Health care assistants", "FTE", Some(61.4)),
            headline_row(Section::Cost, "Total cost", "£ a year", Some(48_123_456.0)),
        ],
        distributions: vec![MetricDistribution {
            path: "bcf.a".into(),
            label: "Non-elective admissions".into(),
            unit: "per 100,000".into(),
            values: vec![1.0, 2.0],
            mean: 1.5,
            ci95: None,
            target: None,
        }],
        fans: Vec::new(),
        occupancy: vec![
            band("d2a_beds", "D2A beds", Some(58.0), 55.0),
            band("acute", "Acute", None, f64::NAN),
        ],
        staffing: vec![StaffingDays {
            on_shift: band("hca", "Health care assistants", Some(40.0), 36.0),
            fte_needed: Some(61.4),
            fte_employed: Some(58.0),
            on_shift_at_fte_needed: Some(42.3),
        }],
        delays: DelaysByCause {
            months: months.clone(),
            causes: vec![CauseMonths {
                id: "home_care".into(),
                label: "Home care".into(),
                bed_days: vec![800.0, f64::NAN],
            }],
        },
        costs: vec![CostRow {
            path: "costs.acute".into(),
            label: "Acute bed days".into(),
            payer: Some("NHS".into()),
            mean: Some(30_234_567.0),
            ci95: Some([30_000_000.0, 30_500_000.0]),
        }],
        pathway: small_pathway(),
        validation: vec![ValidationRow {
            label: "Admissions".into(),
            path: "x".into(),
            period: None,
            observed: 98765.0,
            source: "SUS".into(),
            model: Some(97654.3),
            in_band: Some(true),
            tolerance: Some(3000.0),
            within_tolerance: Some(false),
        }],
        methods: Methods {
            objectives: "To size the schemes.\n\nAnd to test them.".into(),
            logic: vec!["Sources feed services.".into()],
            sources: vec![Note {
                input: "population.over_65".into(),
                value: "142,100".into(),
                comment: "ONS mid-year estimate".into(),
            }],
            assumptions: vec![Note {
                input: "services.crisis.capacity".into(),
                value: "8".into(),
                comment: "[ASSUMPTION]".into(),
            }],
            experimentation: vec!["20 replications.".into()],
            implementation: vec!["bcfsim 0.1.0.".into()],
        },
        compare: Some(CompareView {
            alternatives: vec![Alternative {
                name: "more_d2a".into(),
                label: "More D2A beds".into(),
                differences: vec![Difference {
                    path: "a".into(),
                    label: "Delayed transfers".into(),
                    unit: "per 100,000".into(),
                    base: Some(12.3),
                    mean: Some(-1.23),
                    ci95: Some([-1.5, -0.9]),
                }],
            }],
        }),
        sweep: Some(SweepView {
            axes: vec![Axis {
                path: "levers.d2a_beds".into(),
                label: "D2A beds".into(),
                values: vec![50.0, 60.0],
            }],
            statistics: vec![SweptStatistic {
                path: "a".into(),
                label: "Delayed transfers".into(),
                unit: "per 100,000".into(),
                target: None,
            }],
            points: vec![
                SweepPoint {
                    at: vec![0],
                    mean: vec![Some(12.0)],
                    ci95: vec![Some([11.5, 12.5])],
                    share_met: Some(0.1),
                },
                // Out of range and missing values, as a hand-edited report.json might hold.
                SweepPoint {
                    at: vec![7],
                    mean: Vec::new(),
                    ci95: Vec::new(),
                    share_met: None,
                },
            ],
        }),
        sensitivity: Some(SensitivityView {
            statistics: vec![Tornado {
                path: "a".into(),
                label: "Delayed transfers".into(),
                unit: "per 100,000".into(),
                base: Some(12.3),
                factors: vec![Factor {
                    name: "opau_on".into(),
                    low: "off".into(),
                    high: "on".into(),
                    effect: Some(0.05),
                    ci95: Some([-0.1, 0.2]),
                }],
            }],
        }),
    }
}

fn sample_html() -> String {
    let titles: Vec<String> = FIGURE_NAMES.iter().map(|name| title(name)).collect();
    render(&sample_view(), &figures(&titles))
}

/// The text of the section with `id`, up to the next section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<section id="{id}""#))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").map_or(html.len(), |end| start + end);
    &html[start..end]
}

/// The value of every `attribute="..."` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn every_section_is_there_in_order_with_its_charts() {
    let html = sample_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<html lang="en-GB">"#));
    let ids = [
        "run",
        "compare",
        "sweep",
        "sensitivity",
        "headline",
        "pathway",
        "trajectories",
        "occupancy",
        "staffing",
        "delays",
        "costs",
        "validation",
        "other-charts",
        "methods",
    ];
    let places: Vec<usize> = ids
        .iter()
        .map(|id| {
            html.find(&format!(r#"id="{id}""#))
                .unwrap_or_else(|| panic!("no id {id}"))
        })
        .collect();
    assert!(places.windows(2).all(|pair| pair[0] < pair[1]), "sections out of order");
    for (name, id) in FIGURE_NAMES.iter().zip(FIGURE_SECTIONS) {
        let label = format!(r#"aria-label="{}""#, title(name));
        assert_eq!(html.matches(&label).count(), 1, "{name}");
        assert!(section(&html, id).contains(&label), "{name} is not in {id}");
    }
    assert!(section(&html, "headline").contains(r#"<div class="grid">"#));
    for heading in [
        "1. Objectives",
        "2. Logic",
        "3. Data",
        "4. Experimentation",
        "5. Implementation",
        "6. Code access",
    ] {
        assert!(
            section(&html, "methods").contains(&format!("<h3>{heading}</h3>")),
            "{heading}"
        );
    }
    assert!(html.contains(r#"role="alert""#), "the interrupted run's warning");
    // Every target counts, whatever its period: the quarter's is missed.
    assert!(html.contains(" 1 of 2 targets met on the mean."));
    assert!(section(&html, "headline").contains("in 2019/20 Q3"));
    assert!(section(&html, "run").contains("--set levers.d2a_beds=70"));
    assert!(section(&html, "pathway").contains(r#"<svg xmlns="http://www.w3.org/2000/svg" class="pathway""#));
    assert!(html.contains("@page { size: A4; margin: 15mm; }"));
}

#[test]
fn the_headline_table_groups_rows_and_says_targets_in_words() {
    let html = sample_html();
    let headline = section(&html, "headline");
    let groups: Vec<usize> = ["BCF metrics", "Staffing", "Costs", "Delayed bed days by cause"]
        .iter()
        .map(|group| {
            headline
                .find(&format!(">{group}</th>"))
                .unwrap_or_else(|| panic!("{group}"))
        })
        .collect();
    assert!(groups.windows(2).all(|pair| pair[0] < pair[1]), "groups out of order");
    assert!(headline.contains("11,235"), "thousands separated, whole");
    assert!(headline.contains("12.3"), "three significant figures");
    assert!(headline.contains("48.1m"), "millions as m");
    assert!(headline.contains("✓</span> met"), "met, with a symbol and a word");
    assert!(headline.contains("✗</span> not met"));
    assert!(headline.contains("met in 82% of runs"));
    assert!(
        headline.contains(r#"title="NHS Digital &lt;SUS&gt;""#),
        "the source in a title"
    );
    assert!(headline.contains(r##"<a href="#source-1">1</a>"##), "and as a footnote");
    assert!(section(&html, "costs").contains("£30.2m"));
    assert!(section(&html, "compare").contains("−1.23"), "a true minus sign");
}

#[test]
fn all_text_is_escaped_and_nothing_is_fetched_or_missing() {
    let html = sample_html();
    assert!(!html.contains(MARKUP_LABEL));
    assert!(html.contains("Beds &lt;&amp;&gt; &quot;quoted&quot;"));
    assert!(
        section(&html, "pathway").contains("Beds &lt;&amp;&gt;"),
        "in the diagram too"
    );
    for attribute in ["src", "href", "xlink:href"] {
        for value in attribute_values(&html, attribute) {
            assert!(
                !value.contains("http://") && !value.contains("https://"),
                "{attribute}={value}"
            );
        }
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("<link"), "no linked styles");
    for missing in ["NaN", "None", ">inf", "inf<", "0.000<"] {
        assert!(!html.contains(missing), "{missing} in the page");
    }
}

#[test]
fn ids_are_unique_though_charts_reuse_theirs() {
    let html = sample_html();
    let mut ids = attribute_values(&html, "id");
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "a repeated id");
    for reference in attribute_values(&html, "clip-path") {
        let id = reference.trim_start_matches("url(#").trim_end_matches(')');
        assert!(ids.contains(&id), "{reference} names no id");
    }
}

#[test]
fn odd_views_render_without_panicking_or_nonsense() {
    let mut odd = sample_view();
    odd.pathway.routes.push(route(0, 99, Some(f64::NAN)));
    odd.pathway.nodes[2].column = u32::MAX;
    odd.headline[1].mean = Some(f64::INFINITY);
    odd.headline[1].ci95 = Some([f64::NAN, 1.0]);
    for view in [ReportView::default(), odd] {
        let html = render(
            &view,
            &[Figure {
                name: "",
                title: "",
                caption: "",
                svg: "not an svg",
            }],
        );
        assert!(html.ends_with("</html>"));
        assert!(!html.contains("NaN") && !html.contains(">inf") && !html.contains("inf<"));
    }
}

/// Whether two rectangles `(left, top, right, bottom)` share any area.
fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Asserts that no two boxes overlap, that no percentage covers a box, and that every box and
/// route lies within the drawing.
fn assert_legible(layout: &Layout) {
    for (index, a) in layout.boxes.iter().enumerate() {
        for b in &layout.boxes[index + 1..] {
            assert!(!a.overlaps(b), "boxes overlap: {a:?} {b:?}");
        }
        assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.width <= layout.width && a.y + a.height <= layout.height);
    }
    for line in &layout.routes {
        assert!(line.points.len() >= 2, "route {} has no path", line.route);
        for &(x, y) in &line.points {
            assert!(x.is_finite() && y.is_finite() && x <= layout.width && y <= layout.height);
        }
        if let Some(label) = &line.label {
            for node_box in &layout.boxes {
                let rectangle = (
                    node_box.x,
                    node_box.y,
                    node_box.x + node_box.width,
                    node_box.y + node_box.height,
                );
                assert!(!overlap(label.bounds(), rectangle), "{label:?} covers {node_box:?}");
            }
        }
    }
}

#[test]
fn a_small_network_runs_left_to_right_with_every_route_labelled() {
    let pathway = small_pathway();
    let layout = pathway::layout(&pathway);
    let x = |node: usize| layout.boxes[node].x;
    assert!(x(0) < x(1) && x(1) < x(2), "columns left to right");
    assert_eq!(x(2), x(3), "B and the exit share a column");
    assert_legible(&layout);
    assert_eq!(layout.routes.len(), pathway.routes.len());
    let texts: Vec<&str> = layout
        .routes
        .iter()
        .map(|line| line.label.as_ref().map_or("", |label| label.text.as_str()))
        .collect();
    assert_eq!(texts, ["100%", "46%", "54%", "5.0%"]);
    assert_eq!(layout.routes[3].direction, Direction::Back);
    let (start, end) = (layout.routes[3].points[0], *layout.routes[3].points.last().unwrap());
    assert!(
        start.0 > end.0,
        "a route back is drawn right to left, its arrow at the earlier box"
    );

    let svg = pathway::diagram(&pathway);
    assert_eq!(
        svg.matches("</title></path>").count(),
        pathway.routes.len(),
        "a path per route"
    );
    for text in texts {
        assert!(svg.contains(&format!(">{text}</text>")), "{text}");
    }
    assert!(svg.contains("60 places") && svg.contains("unlimited"));
}

/// A network the size of a county's: 30 nodes in 8 columns, routes forward over several
/// columns, back to earlier ones, and within one.
fn county_sized_pathway() -> Pathway {
    let mut nodes = Vec::new();
    for index in 0..30u32 {
        let column = index % 8;
        let role = match column {
            0 => NodeRole::Source,
            7 => NodeRole::Exit,
            _ => NodeRole::Service,
        };
        nodes.push(node(
            &format!("n{index}"),
            &format!("Node number {index} with a long name"),
            role,
            Some(58.0),
            column,
        ));
    }
    let mut routes = Vec::new();
    for from in 0..30usize {
        for step in [1, 3, 9, 14] {
            let to = (from * 7 + step) % 30;
            if nodes[from].role != NodeRole::Exit && nodes[to].role != NodeRole::Source && to != from {
                routes.push(route(from, to, Some(1.0 / f64::from(step as u32 + 1))));
            }
        }
    }
    Pathway { nodes, routes }
}

#[test]
fn a_county_sized_network_stays_legible() {
    let pathway = county_sized_pathway();
    assert!(pathway.routes.len() > 60);
    let layout = pathway::layout(&pathway);
    assert_legible(&layout);
    assert_eq!(layout.routes.len(), pathway.routes.len());
    // A landscape A4 page is 267 mm (1,009 px) between margins: 12.5-unit text prints at 10 px
    // or more while the drawing is at most 1,262 units wide.
    assert!(layout.width <= 1262.0, "{} units wide", layout.width);
    let columns: Vec<f64> = {
        let mut xs: Vec<f64> = layout.boxes.iter().map(|b| b.x).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    };
    assert_eq!(columns.len(), 8);
}

#[test]
fn headless_chromium_renders_the_report_without_errors() {
    let chromium = chromium();
    let dir = tempfile::tempdir().expect("temporary folder");
    let page = dir.path().join("report.html");
    let screenshot = dir.path().join("report.png");
    std::fs::write(&page, sample_html()).expect("page written");
    let (dom, log) = run_chromium(&chromium, &page, &screenshot, &dir.path().join("profile"));
    assert_no_console_output(&log);
    for id in ["headline", "pathway", "methods", "sensitivity", "other-charts"] {
        assert!(dom.contains(&format!(r#"<section id="{id}""#)), "{id} not in the DOM");
    }
    assert!(dom.contains("<h3>6. Code access</h3>"));
    for name in FIGURE_NAMES {
        assert!(
            dom.contains(&format!(r#"aria-label="{}""#, title(name))),
            "{name} not in the DOM"
        );
    }
    assert_eq!(
        dom.matches("<svg").count(),
        FIGURE_NAMES.len() + 1,
        "every chart and the diagram"
    );
    assert!(dom.contains("Beds &lt;&amp;&gt;"), "the markup label stayed text");
    let size = std::fs::metadata(&screenshot).map_or(0, |m| m.len());
    assert!(size > 0, "no screenshot");
}
