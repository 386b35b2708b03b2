//! `report.html`: one self-contained page (inline styles and SVG, no scripts, nothing fetched)
//! that a commissioner can email to a Health and Wellbeing Board, drawn from a [`ReportView`] and
//! the charts made from it. Its methods section follows the STRESS-DES checklist (Monks et al.
//! 2019, "Strengthening the reporting of empirical simulation studies").

use std::fmt::Write as _;

use super::view::{
    CompareView, Mark, Methods, Note, Pathway, ReportView, RunInfo, Section, SensitivityView, SweepView,
};
use super::{labels, pathway};

/// A chart as the report embeds it.
#[derive(Clone, Copy, Debug)]
pub struct Figure<'a> {
    /// The file stem (`fan-non_elective_admissions_per_100k`); its prefix up to the first `-`
    /// decides the section it goes in.
    pub name: &'a str,
    /// The title, also the chart's text alternative.
    pub title: &'a str,
    /// What it shows and how to read it.
    pub caption: &'a str,
    /// The whole `<svg ...>...</svg>` text.
    pub svg: &'a str,
}

/// The sections charts go in, by the prefix of their names: (prefix, section id).
const CHART_SECTIONS: [(&str, &str); 8] = [
    ("distribution-", "headline"),
    ("fan-", "trajectories"),
    ("occupancy-", "occupancy"),
    ("staffing-", "staffing"),
    ("delays-", "delays"),
    ("compare-", "compare"),
    ("sweep-", "sweep"),
    ("tornado-", "sensitivity"),
];

/// Text made safe for HTML and XML: markup characters as entities, control characters dropped.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\t' | '\n' | '\r' => escaped.push(character),
            _ if character.is_control() => {}
            _ => escaped.push(character),
        }
    }
    escaped
}

/// A number for people as the console shows it (see [`labels::number`]), `–` where missing.
pub(crate) fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), labels::number)
}

/// A share (0-1) as a percentage: whole from 10 %, one decimal below, `<0.1%` for less.
pub(crate) fn percent(share: f64) -> String {
    let value = share * 100.0;
    if !value.is_finite() {
        "–".to_owned()
    } else if value.abs() >= 9.95 || value == 0.0 {
        format!("{value:.0}%")
    } else if value.abs() >= 0.05 {
        format!("{value:.1}%")
    } else {
        "<0.1%".to_owned()
    }
}

/// Pounds: `£30.2m`, `£1,443`, `−£4.3m`.
fn pounds(value: Option<f64>) -> String {
    let text = number(value);
    match text.strip_prefix('−') {
        Some(magnitude) => format!("−£{magnitude}"),
        None if text == "–" => text,
        None => format!("£{text}"),
    }
}

/// A difference, signed either way (`+12.3`, `−4.56`).
fn signed(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() && v > 0.0 && number(value) != "0" => format!("+{}", number(value)),
        _ => number(value),
    }
}

/// A 95 % interval, `low to high`, each end formatted by `format`.
fn interval(ci: Option<[f64; 2]>, format: fn(Option<f64>) -> String) -> String {
    match ci {
        Some([low, high]) if low.is_finite() && high.is_finite() => {
            format!("{} to {}", format(Some(low)), format(Some(high)))
        }
        _ => "–".to_owned(),
    }
}

/// A yes or no said in words and a symbol, coloured as well (never by colour alone).
fn verdict(answer: Option<bool>, yes: &str, no: &str) -> String {
    match answer {
        Some(true) => format!(r#"<span class="verdict good"><span aria-hidden="true">✓</span> {yes}</span>"#),
        Some(false) => format!(r#"<span class="verdict bad"><span aria-hidden="true">✗</span> {no}</span>"#),
        None => "–".to_owned(),
    }
}

/// Whether an interval lies wholly on one side of zero.
fn excludes_zero(ci: Option<[f64; 2]>) -> Option<bool> {
    ci.filter(|[low, high]| low.is_finite() && high.is_finite())
        .map(|[low, high]| low > 0.0 || high < 0.0)
}

/// Whether `value` is on the right side of a target.
fn meets(mark: &Mark, value: Option<f64>) -> Option<bool> {
    let value = value.filter(|v| v.is_finite())?;
    match mark.bound.as_str() {
        "<=" => Some(value <= mark.value),
        "<" => Some(value < mark.value),
        ">=" => Some(value >= mark.value),
        ">" => Some(value > mark.value),
        _ => None,
    }
}

/// A target's bound as people write it.
fn bound(mark: &Mark) -> String {
    match mark.bound.as_str() {
        "<=" => "≤".to_owned(),
        ">=" => "≥".to_owned(),
        other => escape(other),
    }
}

/// How a column's cells are aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Text,
    Number,
}

/// A table built row by row: a caption, headings, and bodies each optionally headed by a group
/// row. Cells are HTML (the caller escapes text).
struct Table {
    html: String,
    aligns: Vec<Align>,
    body_open: bool,
}

impl Table {
    fn new(caption: &str, columns: &[(&str, Align)]) -> Table {
        let mut html = format!("<table><caption>{}</caption><thead><tr>", escape(caption));
        for (heading, align) in columns {
            let class = if *align == Align::Number { r#" class="num""# } else { "" };
            let _ = write!(html, r#"<th scope="col"{class}>{}</th>"#, escape(heading));
        }
        html.push_str("</tr></thead>");
        Table {
            html,
            aligns: columns.iter().map(|(_, align)| *align).collect(),
            body_open: false,
        }
    }

    /// Starts a group of rows under a heading across the table.
    fn group(&mut self, heading: &str) {
        if self.body_open {
            self.html.push_str("</tbody>");
        }
        let _ = write!(
            self.html,
            r#"<tbody><tr class="group"><th colspan="{}" scope="colgroup">{}</th></tr>"#,
            self.aligns.len(),
            escape(heading)
        );
        self.body_open = true;
    }

    fn row(&mut self, cells: impl IntoIterator<Item = String>) {
        if !self.body_open {
            self.html.push_str("<tbody>");
            self.body_open = true;
        }
        self.html.push_str("<tr>");
        for (cell, align) in cells
            .into_iter()
            .zip(self.aligns.iter().chain(std::iter::repeat(&Align::Text)))
        {
            match align {
                Align::Number => {
                    let _ = write!(self.html, r#"<td class="num">{cell}</td>"#);
                }
                Align::Text => {
                    let _ = write!(self.html, "<td>{cell}</td>");
                }
            }
        }
        self.html.push_str("</tr>");
    }

    fn finish(mut self) -> String {
        if self.body_open {
            self.html.push_str("</tbody>");
        }
        self.html.push_str("</table>");
        self.html
    }
}

/// A part of the page: its id (the anchor the contents link to), heading and contents.
struct Part {
    id: &'static str,
    title: &'static str,
    html: String,
    /// A class for the section, where its printing differs.
    class: Option<&'static str>,
}

/// The report's HTML.
pub fn render(view: &ReportView, figures: &[Figure<'_>]) -> String {
    let section_charts = |section: &str| -> String {
        let chosen: Vec<(usize, &Figure)> = figures
            .iter()
            .enumerate()
            .filter(|(_, figure)| section_of(figure.name) == Some(section))
            .collect();
        charts(&chosen, section == "headline")
    };
    let unplaced: Vec<(usize, &Figure)> = figures
        .iter()
        .enumerate()
        .filter(|(_, figure)| section_of(figure.name).is_none())
        .collect();

    let mut parts = vec![
        Part {
            id: "run",
            title: "What was run",
            html: run_info(&view.run),
            class: None,
        },
        Part {
            id: "headline",
            title: "Headline results",
            html: headline(view) + &section_charts("headline"),
            class: None,
        },
        pathway_part(&view.pathway),
    ];
    let mut optional = |id: &'static str, title: &'static str, html: String| {
        let figures = section_charts(id);
        if !html.is_empty() || !figures.is_empty() {
            parts.push(Part {
                id,
                title,
                html: html + &figures,
                class: None,
            });
        }
    };
    optional("trajectories", "Month by month", String::new());
    optional("occupancy", "Occupancy", occupancy(view));
    optional("staffing", "Staffing", staffing(view));
    optional("delays", "Delays by cause", delays(view));
    optional("costs", "Costs", costs(view));
    optional("validation", "Validation against published figures", validation(view));
    optional(
        "compare",
        "Alternatives compared",
        view.compare.as_ref().map(compare).unwrap_or_default(),
    );
    optional("sweep", "Sweep", view.sweep.as_ref().map(sweep).unwrap_or_default());
    optional(
        "sensitivity",
        "Sensitivity",
        view.sensitivity.as_ref().map(sensitivity).unwrap_or_default(),
    );
    if !unplaced.is_empty() {
        parts.push(Part {
            id: "other-charts",
            title: "Other charts",
            html: charts(&unplaced, false),
            class: None,
        });
    }
    parts.push(Part {
        id: "methods",
        title: "Methods (STRESS-DES)",
        html: methods(&view.methods, &view.run),
        class: None,
    });

    // The question an experiment answers comes first, straight after what was run.
    let (experiments, rest): (Vec<Part>, Vec<Part>) = parts
        .into_iter()
        .partition(|part| matches!(part.id, "compare" | "sweep" | "sensitivity"));
    parts = rest;
    let after_run = parts.iter().position(|part| part.id == "run").map_or(0, |k| k + 1);
    parts.splice(after_run..after_run, experiments);

    let mut html = String::new();
    let _ = write!(
        html,
        r#"<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{} – {}</title><style>{STYLE}</style></head><body><main>"#,
        escape(&view.run.scenario),
        command(view),
    );
    html.push_str(&header(view));
    html.push_str(r#"<nav aria-label="Contents"><h2 class="contents">Contents</h2><ol>"#);
    for part in &parts {
        let _ = write!(html, r##"<li><a href="#{}">{}</a></li>"##, part.id, part.title);
    }
    html.push_str("</ol></nav>");
    for part in parts {
        let _ = write!(
            html,
            r#"<section id="{id}"{class} aria-labelledby="{id}-heading"><h2 id="{id}-heading">{}</h2>{}</section>"#,
            part.title,
            part.html,
            id = part.id,
            class = part
                .class
                .map(|class| format!(r#" class="{class}""#))
                .unwrap_or_default(),
        );
    }
    let _ = write!(
        html,
        "<footer><p>Made by bcfsim {} from the scenario file {} (SHA-256 <code>{}</code>).</p></footer></main></body></html>",
        escape(&view.run.bcfsim_version),
        escape(&view.run.scenario_file),
        escape(&view.run.scenario_sha256),
    );
    html
}

/// The section a chart goes in, by its name's prefix; `None` for an unknown prefix.
fn section_of(name: &str) -> Option<&'static str> {
    CHART_SECTIONS
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|&(_, section)| section)
}

fn command(view: &ReportView) -> &'static str {
    match view.command {
        super::view::Command::Run => "bcfsim run",
        super::view::Command::Compare => "bcfsim compare",
        super::view::Command::Sweep => "bcfsim sweep",
        super::view::Command::Sensitivity => "bcfsim sensitivity",
    }
}

/// The title, the one-line summary, and a warning where the run was cut short.
fn header(view: &ReportView) -> String {
    let run = &view.run;
    let judged: Vec<Option<bool>> = view.targets.iter().map(|row| meets(&row.mark, row.mean)).collect();
    let met = judged.iter().filter(|answer| **answer == Some(true)).count();
    let targets = if judged.is_empty() {
        String::new()
    } else {
        format!(" {met} of {} targets met on the mean.", judged.len())
    };
    let mut html = format!(
        r#"<header><h1>{}</h1><p class="command">{}</p><p class="summary">{} replications of {} days, results from {} to {}.{targets}</p>"#,
        escape(&run.scenario),
        command(view),
        number(Some(f64::from(run.replications))),
        number(Some(run.horizon_days)),
        escape(&run.results_from),
        escape(&run.results_to),
    );
    if run.interrupted {
        html.push_str(
            r#"<p class="warning" role="alert"><strong>Interrupted:</strong> the run was stopped before all its replications were done; the figures below are from the replications completed, with wider uncertainty than planned.</p>"#,
        );
    }
    html.push_str("</header>");
    html
}

fn run_info(run: &RunInfo) -> String {
    let overrides = if run.overrides.is_empty() {
        "none".to_owned()
    } else {
        run.overrides
            .iter()
            .map(|set| format!("<code>--set {}</code>", escape(set)))
            .collect::<Vec<_>>()
            .join("<br>")
    };
    let facts = [
        ("Scenario file", escape(&run.scenario_file)),
        (
            "Scenario SHA-256",
            format!("<code>{}</code>", escape(&run.scenario_sha256)),
        ),
        ("bcfsim version", escape(&run.bcfsim_version)),
        ("Seed", run.seed.to_string()),
        ("Replications", number(Some(f64::from(run.replications)))),
        ("Warm-up", format!("{} days", number(Some(run.warmup_days)))),
        (
            "Horizon",
            format!(
                "{} days from {}",
                number(Some(run.horizon_days)),
                escape(&run.start_date)
            ),
        ),
        (
            "Results period",
            format!("{} to {}", escape(&run.results_from), escape(&run.results_to)),
        ),
        ("Overrides", overrides),
    ];
    let mut html = String::from(r#"<dl class="facts">"#);
    for (term, value) in facts {
        let _ = write!(html, "<dt>{term}</dt><dd>{value}</dd>");
    }
    html.push_str("</dl>");
    if run.levers.is_empty() {
        html.push_str("<p>The scenario has no levers.</p>");
    } else {
        let mut table = Table::new(
            "Levers",
            &[("Lever", Align::Text), ("Value", Align::Number), ("Unit", Align::Text)],
        );
        for lever in &run.levers {
            table.row([
                escape(&lever.label),
                // A number given as text reads as the other numbers do (`1,528`); `on` stays.
                lever
                    .value
                    .trim()
                    .parse()
                    .map_or_else(|_| escape(&lever.value), |value| number(Some(value))),
                lever.unit.as_deref().map_or_else(|| "–".to_owned(), escape),
            ]);
        }
        html.push_str(&table.finish());
    }
    html
}

/// The headline table in its four parts, with the published figures' sources as footnotes.
fn headline(view: &ReportView) -> String {
    if view.headline.is_empty() {
        return "<p>No headline statistics.</p>".to_owned();
    }
    let mut table = Table::new(
        "Headline statistics: mean across replications with its 95 % confidence interval",
        &[
            ("Statistic", Align::Text),
            ("Unit", Align::Text),
            ("Mean", Align::Number),
            ("95 % CI", Align::Number),
            ("Target", Align::Text),
            ("Published", Align::Number),
        ],
    );
    let mut sources: Vec<String> = Vec::new();
    for section in Section::ALL {
        let heading = super::headline::heading(section);
        let rows: Vec<_> = view.headline.iter().filter(|row| row.section == section).collect();
        if rows.is_empty() {
            continue;
        }
        table.group(heading);
        for row in rows {
            let published = row.published.as_ref().map_or_else(
                || "–".to_owned(),
                |published| {
                    let note = match sources.iter().position(|source| *source == published.source) {
                        Some(index) => index + 1,
                        None => {
                            sources.push(published.source.clone());
                            sources.len()
                        }
                    };
                    let period = published
                        .period
                        .as_deref()
                        .map(|period| format!(" ({})", escape(period)))
                        .unwrap_or_default();
                    format!(
                        r##"<span title="{}">{}{period}</span><sup><a href="#source-{note}">{note}</a></sup>"##,
                        escape(&published.source),
                        number(Some(published.value)),
                    )
                },
            );
            table.row([
                escape(&row.label),
                escape(&row.unit),
                number(row.mean),
                interval(row.ci95, number),
                row.target
                    .as_ref()
                    .map_or_else(|| "–".to_owned(), |mark| target(mark, row.mean)),
                published,
            ]);
        }
    }
    let mut html = table.finish();
    if !sources.is_empty() {
        html.push_str(r#"<ol class="sources" aria-label="Sources of published figures">"#);
        for (index, source) in sources.iter().enumerate() {
            let _ = write!(html, r#"<li id="source-{}">{}</li>"#, index + 1, escape(source));
        }
        html.push_str("</ol>");
    }
    html.push_str(&targets(view));
    html
}

/// Every target the run evaluated, whatever its period: the mean over the period, whether it
/// meets the target, and how often replications did.
fn targets(view: &ReportView) -> String {
    if view.targets.is_empty() {
        return String::new();
    }
    let mut table = Table::new(
        "Targets: each over its own period",
        &[
            ("Statistic", Align::Text),
            ("Unit", Align::Text),
            ("Mean", Align::Number),
            ("Target", Align::Text),
        ],
    );
    for row in &view.targets {
        table.row([
            escape(&row.label),
            escape(&row.unit),
            number(row.mean),
            target(&row.mark, row.mean),
        ]);
    }
    table.finish()
}

/// A target cell: the bound, whether the mean meets it, and how often replications did.
fn target(mark: &Mark, mean: Option<f64>) -> String {
    let period = mark
        .period
        .as_deref()
        .map(|period| format!(" in {}", escape(period)))
        .unwrap_or_default();
    let share = mark
        .probability_met
        .filter(|p| p.is_finite())
        .map(|p| format!(r#"<br><span class="note">met in {} of runs</span>"#, percent(p)))
        .unwrap_or_default();
    let title = mark
        .label
        .as_deref()
        .map(|label| format!(r#" title="{}""#, escape(label)))
        .unwrap_or_default();
    format!(
        "<span{title}>{} {}{period}</span> {}{share}",
        bound(mark),
        number(Some(mark.value)),
        verdict(meets(mark, mean), "met", "not met"),
    )
}

/// The pathway diagram's section, printed on a landscape page where the diagram prints larger so.
fn pathway_part(network: &Pathway) -> Part {
    let part = |html: String, class| Part {
        id: "pathway",
        title: "The pathway",
        html,
        class,
    };
    if network.nodes.is_empty() {
        return part("<p>The results hold no network to draw.</p>".to_owned(), None);
    }
    let layout = pathway::layout(network);
    // The room a printed A4 page leaves the diagram, in CSS pixels, beside the heading and the
    // caption: portrait (15 mm margins) and landscape (10 mm).
    let scale = |(width, height): (f64, f64)| (width / layout.width).min(height / layout.height).min(1.0);
    let landscape = scale((1047.0, 598.0)) > scale((680.0, 889.0));
    let html = format!(
        r#"<figure class="pathway-figure">{}<figcaption>The network from where patients come from (left) to where they leave (right). Services show their places, or the staff whose time is their capacity (FTE); percentages are the shares of patients leaving a service who take each route (thicker lines carry more); dashed lines go back to an earlier step, such as a readmission.</figcaption></figure>"#,
        pathway::draw(network, &layout)
    );
    part(html, landscape.then_some("landscape"))
}

/// Charts in a column, or two to a row in a grid.
fn charts(figures: &[(usize, &Figure)], grid: bool) -> String {
    if figures.is_empty() {
        return String::new();
    }
    let mut html = String::from(if grid { r#"<div class="grid">"# } else { "<div>" });
    for &(index, figure) in figures {
        html.push_str(&embed(figure, index));
    }
    html.push_str("</div>");
    html
}

/// A chart as a figure: its SVG inline, with a text alternative and ids of its own (charts may
/// reuse ids, which clash once inline on one page).
fn embed(figure: &Figure, index: usize) -> String {
    let caption = format!(
        "<figcaption><strong>{}.</strong> {}</figcaption>",
        escape(figure.title),
        escape(figure.caption)
    );
    let (Some(start), Some(end)) = (figure.svg.find("<svg"), figure.svg.rfind("</svg>")) else {
        return format!(r#"<figure class="chart"><p>This chart could not be shown.</p>{caption}</figure>"#);
    };
    if end < start {
        return format!(r#"<figure class="chart"><p>This chart could not be shown.</p>{caption}</figure>"#);
    }
    let svg = prefix_ids(&figure.svg[start..end + "</svg>".len()], &format!("figure{index}-"));
    let opening_end = svg.find('>').unwrap_or(svg.len());
    let opening = &svg[..opening_end];
    let mut attributes = String::new();
    if !opening.contains("role=") {
        attributes.push_str(r#" role="img""#);
    }
    if !opening.contains("aria-label=") {
        let _ = write!(attributes, r#" aria-label="{}""#, escape(figure.title));
    }
    format!(
        r#"<figure class="chart"><svg{attributes}{}{caption}</figure>"#,
        &svg["<svg".len()..]
    )
}

/// The SVG with each id it defines, and every reference to one, prefixed.
fn prefix_ids(svg: &str, prefix: &str) -> String {
    let mut ids: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(" id=\"") {
        rest = &rest[at + " id=\"".len()..];
        if let Some(end) = rest.find('"') {
            ids.push(&rest[..end]);
        }
    }
    let mut prefixed = svg.to_owned();
    for id in ids {
        for (before, after) in [(" id=\"", "\""), ("url(#", ")"), ("href=\"#", "\"")] {
            prefixed = prefixed.replace(&format!("{before}{id}{after}"), &format!("{before}{prefix}{id}{after}"));
        }
    }
    prefixed
}

fn finite_mean(values: &[f64]) -> Option<f64> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
}

fn finite_max(values: &[f64]) -> Option<f64> {
    values.iter().copied().filter(|v| v.is_finite()).reduce(f64::max)
}

fn occupancy(view: &ReportView) -> String {
    if view.occupancy.is_empty() {
        return String::new();
    }
    let mut table = Table::new(
        "Patients in each service at midnight over the results period",
        &[
            ("Service", Align::Text),
            ("Places", Align::Number),
            ("Mean patients", Align::Number),
            ("Mean occupancy", Align::Number),
            ("Highest 90th percentile", Align::Number),
        ],
    );
    for band in &view.occupancy {
        let mean = finite_mean(&band.mean);
        let capacity = band.capacity.filter(|c| c.is_finite() && *c > 0.0);
        let share = mean.zip(capacity).map(|(mean, capacity)| percent(mean / capacity));
        table.row([
            escape(&band.label),
            band.capacity
                .map_or_else(|| "unlimited".to_owned(), |c| number(Some(c))),
            number(mean),
            share.unwrap_or_else(|| "–".to_owned()),
            number(finite_max(&band.p90)),
        ]);
    }
    table.finish()
}

fn staffing(view: &ReportView) -> String {
    if view.staffing.is_empty() {
        return String::new();
    }
    let mut table = Table::new(
        "Staff needed and employed, whole-time equivalents (FTE)",
        &[
            ("Staff group", Align::Text),
            ("FTE needed", Align::Number),
            ("FTE employed", Align::Number),
            ("Employed less needed", Align::Number),
            ("On shift at the FTE needed", Align::Number),
            ("Mean on shift needed", Align::Number),
        ],
    );
    for group in &view.staffing {
        let gap = group
            .fte_employed
            .zip(group.fte_needed)
            .map(|(employed, needed)| employed - needed);
        table.row([
            escape(&group.on_shift.label),
            number(group.fte_needed),
            number(group.fte_employed),
            signed(gap),
            number(group.on_shift_at_fte_needed),
            number(finite_mean(&group.on_shift.mean)),
        ]);
    }
    table.finish()
}

fn delays(view: &ReportView) -> String {
    let delays = &view.delays;
    if delays.causes.is_empty() {
        return String::new();
    }
    let mut totals: Vec<(&str, f64)> = delays
        .causes
        .iter()
        .map(|cause| {
            let total = cause.bed_days.iter().copied().filter(|v| v.is_finite()).sum::<f64>();
            (cause.label.as_str(), total)
        })
        .collect();
    totals.sort_by(|a, b| b.1.total_cmp(&a.1));
    let all: f64 = totals.iter().map(|(_, total)| total).sum();
    let period = match (delays.months.first(), delays.months.last()) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    let mut table = Table::new(
        &format!("Delayed bed days by cause (mean across replications{period})"),
        &[
            ("Cause", Align::Text),
            ("Delayed bed days", Align::Number),
            ("Share", Align::Number),
        ],
    );
    let share = |total: f64| {
        if all > 0.0 {
            percent(total / all)
        } else {
            "–".to_owned()
        }
    };
    for (label, total) in &totals {
        table.row([escape(label), number(Some(*total)), share(*total)]);
    }
    table.row(["<strong>All causes</strong>".to_owned(), number(Some(all)), share(all)]);
    table.finish()
}

fn costs(view: &ReportView) -> String {
    if view.costs.is_empty() {
        return String::new();
    }
    let mut table = Table::new(
        "Costs a year: mean across replications with its 95 % confidence interval",
        &[
            ("Item", Align::Text),
            ("Payer", Align::Text),
            ("Mean", Align::Number),
            ("95 % CI", Align::Number),
        ],
    );
    for cost in &view.costs {
        table.row([
            escape(&cost.label),
            cost.payer.as_deref().map_or_else(|| "–".to_owned(), escape),
            pounds(cost.mean),
            interval(cost.ci95, pounds),
        ]);
    }
    table.finish()
}

fn validation(view: &ReportView) -> String {
    if view.validation.is_empty() {
        return String::new();
    }
    let mut table = Table::new(
        "The model against published figures: whether each lies in the replications' 5-95 % band, and within its tolerance",
        &[
            ("Figure", Align::Text),
            ("Observed", Align::Number),
            ("Model mean", Align::Number),
            ("In 5-95 % band", Align::Text),
            ("Tolerance", Align::Number),
            ("Verdict", Align::Text),
            ("Source", Align::Text),
        ],
    );
    for row in &view.validation {
        let period = row
            .period
            .as_deref()
            .map(|period| format!(" ({})", escape(period)))
            .unwrap_or_default();
        table.row([
            format!("{}{period}", escape(&row.label)),
            number(Some(row.observed)),
            number(row.model),
            verdict(row.in_band, "yes", "no"),
            row.tolerance
                .filter(|t| t.is_finite())
                .map_or_else(|| "–".to_owned(), |t| format!("± {}", number(Some(t)))),
            verdict(row.within_tolerance, "within", "outside"),
            escape(&row.source),
        ]);
    }
    table.finish()
}

fn compare(view: &CompareView) -> String {
    let mut html = String::from(
        "<p>Paired differences, alternative minus base, from the same random numbers in each replication. Where the 95 % interval excludes zero the difference is unlikely to be chance.</p>",
    );
    for alternative in &view.alternatives {
        let mut table = Table::new(
            &format!("{} ({}) against the base", alternative.label, alternative.name),
            &[
                ("Statistic", Align::Text),
                ("Unit", Align::Text),
                ("Base", Align::Number),
                ("Difference", Align::Number),
                ("95 % CI", Align::Number),
                ("Interval excludes zero", Align::Text),
            ],
        );
        for difference in &alternative.differences {
            table.row([
                escape(&difference.label),
                escape(&difference.unit),
                number(difference.base),
                signed(difference.mean),
                interval(difference.ci95, signed),
                verdict(excludes_zero(difference.ci95), "yes", "no"),
            ]);
        }
        html.push_str(&table.finish());
    }
    html
}

fn sweep(view: &SweepView) -> String {
    let mut columns: Vec<(&str, Align)> = view
        .axes
        .iter()
        .map(|axis| (axis.label.as_str(), Align::Number))
        .collect();
    let headings: Vec<String> = view
        .statistics
        .iter()
        .map(|statistic| format!("{} ({})", statistic.label, statistic.unit))
        .collect();
    columns.extend(headings.iter().map(|heading| (heading.as_str(), Align::Number)));
    columns.push(("Replications meeting every target", Align::Number));
    let mut table = Table::new(
        "Each point of the sweep: means, with 95 % confidence intervals beneath",
        &columns,
    );
    for point in &view.points {
        let axes = view.axes.iter().enumerate().map(|(axis_index, axis)| {
            let value = point.at.get(axis_index).and_then(|&at| axis.values.get(at)).copied();
            number(value)
        });
        let statistics = (0..view.statistics.len()).map(|index| {
            let mean = point.mean.get(index).copied().flatten();
            let ci = point.ci95.get(index).copied().flatten();
            format!(
                r#"{}<br><span class="note">{}</span>"#,
                number(mean),
                interval(ci, number)
            )
        });
        let share = point
            .share_met
            .filter(|p| p.is_finite())
            .map_or_else(|| "–".to_owned(), percent);
        table.row(axes.chain(statistics).chain(std::iter::once(share)));
    }
    table.finish()
}

fn sensitivity(view: &SensitivityView) -> String {
    let mut html = String::from(
        "<p>For each statistic, the factors ranked by how much moving each from its low to its high value changes the mean (paired replications).</p>",
    );
    for tornado in &view.statistics {
        let mut table = Table::new(
            &format!("{} ({}); base {}", tornado.label, tornado.unit, number(tornado.base)),
            &[
                ("Rank", Align::Number),
                ("Factor", Align::Text),
                ("Low", Align::Number),
                ("High", Align::Number),
                ("Effect", Align::Number),
                ("95 % CI", Align::Number),
                ("Interval excludes zero", Align::Text),
            ],
        );
        for (rank, factor) in tornado.factors.iter().enumerate() {
            table.row([
                (rank + 1).to_string(),
                escape(&factor.name),
                escape(&factor.low),
                escape(&factor.high),
                signed(factor.effect),
                interval(factor.ci95, signed),
                verdict(excludes_zero(factor.ci95), "yes", "no"),
            ]);
        }
        html.push_str(&table.finish());
    }
    html
}

fn list(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        return format!("<p>{empty}</p>");
    }
    let mut html = String::from("<ul>");
    for item in items {
        let _ = write!(html, "<li>{}</li>", escape(item));
    }
    html.push_str("</ul>");
    html
}

fn notes(caption: &str, notes: &[Note]) -> String {
    if notes.is_empty() {
        return format!("<p>{}: none recorded in the scenario.</p>", escape(caption));
    }
    let mut table = Table::new(
        caption,
        &[("Input", Align::Text), ("Value", Align::Text), ("Comment", Align::Text)],
    );
    for note in notes {
        table.row([
            format!("<code>{}</code>", escape(&note.input)),
            escape(&note.value),
            escape(&note.comment),
        ]);
    }
    table.finish()
}

/// The methods, under the STRESS-DES checklist's six headings.
fn methods(methods: &Methods, run: &RunInfo) -> String {
    let objectives: String = if methods.objectives.trim().is_empty() {
        "<p>The scenario does not state its objectives.</p>".to_owned()
    } else {
        methods
            .objectives
            .split("\n\n")
            .filter(|paragraph| !paragraph.trim().is_empty())
            .map(|paragraph| format!("<p>{}</p>", escape(paragraph.trim())))
            .collect()
    };
    format!(
        concat!(
            "<p>Reported along the STRESS-DES checklist (Monks et al. 2019, “Strengthening the reporting of empirical simulation studies”).</p>",
            "<h3>1. Objectives</h3>{objectives}",
            r##"<h3>2. Logic</h3><p>A discrete-event simulation of patients through the network drawn in <a href="#pathway">the pathway diagram</a>.</p>{logic}"##,
            "<h3>3. Data</h3>{sources}{assumptions}",
            "<h3>4. Experimentation</h3>{experimentation}",
            "<h3>5. Implementation</h3>{implementation}",
            "<h3>6. Code access</h3><p>To reproduce these results, re-run bcfsim {version} with the scenario file, seed and overrides above; the SHA-256 identifies the scenario file's exact text.</p>",
        ),
        objectives = objectives,
        logic = list(&methods.logic, "No logic recorded."),
        sources = notes("Data sources", &methods.sources),
        assumptions = notes("Assumptions", &methods.assumptions),
        experimentation = list(&methods.experimentation, "No experimentation recorded."),
        implementation = list(&methods.implementation, "No implementation recorded."),
        version = escape(&run.bcfsim_version),
    )
}

/// The page's styles: screen, then print.
const STYLE: &str = r#"
:root { color-scheme: light; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.9rem; margin: 0; }
h2 { font-size: 1.4rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid #0072B2; }
h2.contents { font-size: 1rem; border: none; margin: 1rem 0 .3rem; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; }
.command { margin: .2rem 0; color: #444; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.summary { font-size: 1.1rem; margin: .4rem 0; }
.warning { border: 2px solid #E69F00; border-left-width: 8px; background: #FFF6E0; padding: .6rem .9rem; }
nav ol { columns: 3; margin: 0; padding-left: 1.4rem; }
a { color: #0072B2; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: .6rem 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1.2rem; font-size: .93rem; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { padding: .3rem .55rem; border-bottom: 1px solid #d5d9de; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #444; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #f3f5f7; }
tr.group th { background: #e4ebf2; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.note { color: #555; font-size: .88em; }
.verdict { white-space: nowrap; font-weight: 600; }
.verdict.good span { color: #009E73; }
.verdict.bad span { color: #D55E00; }
sup a { text-decoration: none; padding-left: .1em; }
ol.sources { font-size: .88rem; color: #333; }
figure { margin: 1rem 0 1.6rem; break-inside: avoid; }
figure svg { display: block; width: auto; max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #333; margin-top: .4rem; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: .5rem 1.5rem; }
.grid figure { margin: .5rem 0; }
footer { margin-top: 3rem; border-top: 1px solid #d5d9de; color: #555; font-size: .88rem; }
@media (max-width: 720px) { .grid { grid-template-columns: 1fr; } nav ol { columns: 1; } }
@page { size: A4; margin: 15mm; }
@page landscape { size: A4 landscape; margin: 10mm; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h1, h2, h3, caption { break-after: avoid; }
  table, figure, dl.facts { break-inside: avoid; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  table { font-size: 9pt; }
  td:first-child { min-width: 9em; }
  #pathway.landscape { page: landscape; }
  #pathway h2 { margin-top: 0; }
  .pathway-figure svg { width: 100%; max-height: 235mm; }
  #pathway.landscape .pathway-figure svg { max-height: 158mm; }
  .grid { grid-template-columns: 1fr; }
  .grid figure svg { max-width: 150mm; height: auto; }
}
"#;
