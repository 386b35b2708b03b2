//! `bcfsim fit`: the engine's distributions fitted to a CSV column of durations, or a Poisson
//! source's rate and profiles fitted to a column of referral times; printed as scenario TOML.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

use bcfsim::fit::arrivals::{fit_arrivals, ArrivalError, ArrivalFit, HourProfile, Timestamp};
use bcfsim::fit::durations::{fit_durations, EmpiricalValues, Fits, SampleError, DIGITS};
use bcfsim::fit::figure;
use bcfsim::names;

use super::run::report_json;
use super::{console, Failure, FitArgs};

/// The console's width.
const WIDTH: usize = 80;

/// Below this many values, AIC separates the distributions only roughly.
const FEW_VALUES: usize = 30;

/// A dispersion above this says the days vary clearly more than Poisson arrivals make them.
const OVERDISPERSED: f64 = 1.5;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Fits what the column of `args.data` holds and prints the result.
pub fn fit(args: &FitArgs) -> Result<(), Failure> {
    let text = if args.arrivals {
        arrivals(args)?
    } else {
        durations(args)?
    };
    console::print(&text)
}

/// Distributions fitted to a column of durations: the table and TOML, or JSON.
fn durations(args: &FitArgs) -> Result<String, Failure> {
    let is_number = |cell: &str| number(cell).is_some();
    let table = Table::read(&args.data, &is_number)?;
    let column = table.column(args.column.as_deref(), "numbers", &is_number)?;
    let (cells, skipped) = table.parse(&column, |cell| number(cell).ok_or("is not a number"))?;
    let values: Vec<f64> = cells.iter().map(|(_, value)| *value).collect();
    let fits = fit_durations(&values).map_err(|error| match error {
        SampleError::NotPositive { index, value } => table.usage(
            &column,
            Some(cells[index].0),
            &format!(
                "{value} is not above 0: gamma, lognormal and Weibull durations are positive (a stay of 0 \
                 whole days could be recorded in hours, or as 0.5 days)"
            ),
        ),
        SampleError::AllEqual(value) => table.usage(
            &column,
            None,
            &format!(
                "every value is {value}: no spread to fit; a fixed duration is {{ dist = \"fixed\", value = {value} }}"
            ),
        ),
        SampleError::TooFew(count) => table.usage(&column, None, &too_few(count, "value")),
    })?;
    if args.json {
        report_json(&durations_json(&table, &column, &values, &fits, skipped))
    } else {
        Ok(durations_report(&table, &column, &values, &fits, skipped))
    }
}

/// A source's rate and profiles fitted to a column of referral times: the TOML, or JSON.
fn arrivals(args: &FitArgs) -> Result<String, Failure> {
    let is_timestamp = |cell: &str| Timestamp::parse(cell).is_some();
    let table = Table::read(&args.data, &is_timestamp)?;
    let column = table.column(args.column.as_deref(), "dates or times", &is_timestamp)?;
    let (cells, skipped) = table.parse(&column, |cell| {
        Timestamp::parse(cell).ok_or("is not a date or time (YYYY-MM-DD, with HH:MM or HH:MM:SS after a space or T)")
    })?;
    let times: Vec<Timestamp> = cells.iter().map(|(_, time)| *time).collect();
    let fitted = fit_arrivals(&times)
        .map_err(|ArrivalError::TooFew(count)| table.usage(&column, None, &too_few(count, "referral")))?;
    if args.json {
        report_json(&arrivals_json(&table, &column, &fitted, skipped))
    } else {
        Ok(arrivals_report(&table, &column, &fitted, skipped))
    }
}

/// "1 value", "0 referrals": fewer than a fit needs.
fn too_few(count: usize, what: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {what}{plural}; at least 2 are needed")
}

/// A finite number, as a cell holds it.
fn number(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|value| value.is_finite())
}

/// A CSV file's rows, each with the line it starts on.
struct Table {
    /// The file's name as given.
    file: String,
    /// The column names, where the first row is a header rather than data.
    header: Option<Vec<String>>,
    rows: Vec<(u64, csv::StringRecord)>,
}

/// A column of a [`Table`].
struct Column {
    index: usize,
    /// Its name in the header, or else its number from 1.
    name: String,
    /// How messages name it: `` `los_days` ``, or `3`.
    label: String,
}

impl Table {
    /// Reads `path`. Its first row is a header unless every cell of it `is_data`.
    fn read(path: &Path, is_data: &dyn Fn(&str) -> bool) -> Result<Table, Failure> {
        let file = path.display().to_string();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .map_err(|error| Failure::Usage(format!("cannot read {file}: {}", csv_reason(&error))))?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|error| {
                let line = error
                    .position()
                    .map_or(String::new(), |p| format!(", line {}", p.line()));
                Failure::Usage(format!("cannot read {file}{line}: {}", csv_reason(&error)))
            })?;
            let line = record.position().map_or(0, csv::Position::line);
            rows.push((line, record));
        }
        let header = match rows.first() {
            Some((_, first)) if !first.iter().all(|cell| is_data(cell.trim())) => {
                Some(rows.remove(0).1.iter().map(|name| name.trim().to_owned()).collect())
            }
            _ => None,
        };
        Ok(Table { file, header, rows })
    }

    /// The number of columns: the widest row's.
    fn width(&self) -> usize {
        let widest = self.rows.iter().map(|(_, row)| row.len()).max().unwrap_or(0);
        widest.max(self.header.as_ref().map_or(0, Vec::len))
    }

    /// The column `requested` (a header name, or a number from 1), or else the only one whose
    /// cells, the empty ones aside, all hold `kind` (`is_data`).
    fn column(&self, requested: Option<&str>, kind: &str, is_data: &dyn Fn(&str) -> bool) -> Result<Column, Failure> {
        let width = self.width();
        let index = match requested {
            Some(name) => {
                let by_name = self
                    .header
                    .as_ref()
                    .and_then(|header| header.iter().position(|h| h == name));
                let by_number = name
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=width).contains(n))
                    .map(|n| n - 1);
                by_name.or(by_number).ok_or_else(|| {
                    let hint = self
                        .header
                        .as_ref()
                        .and_then(|header| names::closest(name, header.iter().map(String::as_str)))
                        .map_or(String::new(), |near| format!(" (did you mean `{near}`?)"));
                    Failure::Usage(format!(
                        "{} has no column `{name}`{hint}; its columns: {}",
                        self.file,
                        self.names()
                    ))
                })?
            }
            None if width == 1 => 0,
            None => {
                let holding: Vec<usize> = (0..width)
                    .filter(|&i| {
                        let mut cells = self.rows.iter().filter_map(|(_, row)| row.get(i)).map(str::trim);
                        let mut filled = cells.clone().filter(|cell| !cell.is_empty()).peekable();
                        filled.peek().is_some() && cells.all(|cell| cell.is_empty() || is_data(cell))
                    })
                    .collect();
                match holding[..] {
                    [only] => only,
                    [] => {
                        return Err(Failure::Usage(format!(
                            "{} has no column of {kind} only; name one with --column (its columns: {})",
                            self.file,
                            self.names()
                        )))
                    }
                    _ => {
                        let labels: Vec<String> = holding.iter().map(|&i| self.label(i)).collect();
                        return Err(Failure::Usage(format!(
                            "{} has several columns of {kind} ({}): name one with --column",
                            self.file,
                            labels.join(", ")
                        )));
                    }
                }
            }
        };
        Ok(Column {
            index,
            name: self.name(index).unwrap_or_else(|| (index + 1).to_string()),
            label: self.label(index),
        })
    }

    fn name(&self, index: usize) -> Option<String> {
        let name = self.header.as_ref()?.get(index)?;
        (!name.is_empty()).then(|| name.clone())
    }

    fn label(&self, index: usize) -> String {
        self.name(index)
            .map_or_else(|| (index + 1).to_string(), |name| format!("`{name}`"))
    }

    /// The columns, for messages: their names, or their numbers where the file has no header.
    fn names(&self) -> String {
        match &self.header {
            Some(_) => (0..self.width()).map(|i| self.label(i)).collect::<Vec<_>>().join(", "),
            None => format!("1 to {} (the file has no header row)", self.width()),
        }
    }

    /// The column's cells read by `parse`, each with its line, and how many were empty (or
    /// missing from a short row) and skipped.
    fn parse<T>(
        &self,
        column: &Column,
        parse: impl Fn(&str) -> Result<T, &'static str>,
    ) -> Result<(Vec<(u64, T)>, usize), Failure> {
        let mut parsed = Vec::new();
        let mut skipped = 0;
        for (line, row) in &self.rows {
            let cell = row.get(column.index).unwrap_or("").trim();
            if cell.is_empty() {
                skipped += 1;
                continue;
            }
            let value = parse(cell).map_err(|why| self.usage(column, Some(*line), &format!("`{cell}` {why}")))?;
            parsed.push((*line, value));
        }
        Ok((parsed, skipped))
    }

    /// A mistake in the data, naming the file, the line where there is one, and the column.
    fn usage(&self, column: &Column, line: Option<u64>, what: &str) -> Failure {
        let line = line.map_or(String::new(), |line| format!(", line {line}"));
        Failure::Usage(format!("{}{line}, column {}: {what}", self.file, column.label))
    }
}

/// A CSV error's reason, without the position the caller states its own way.
fn csv_reason(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Io(error) => error.to_string(),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_owned(),
        _ => error.to_string(),
    }
}

/// The first line: what was read.
fn heading(table: &Table, column: &Column, what: &str, skipped: usize) -> String {
    let skipped = match skipped {
        0 => String::new(),
        1 => " (1 empty cell skipped)".to_owned(),
        n => format!(" ({n} empty cells skipped)"),
    };
    console::wrap(
        &format!("{}, column {}: {what}{skipped}", table.file, column.label),
        WIDTH,
        "  ",
    )
}

fn durations_report(table: &Table, column: &Column, values: &[f64], fits: &Fits, skipped: usize) -> String {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), &v| {
            (low.min(v), high.max(v))
        });
    let shown = |value: f64| figure(value, DIGITS);
    let mut text = heading(
        table,
        column,
        &format!(
            "{} values from {} to {}, mean {}, sd {}",
            values.len(),
            shown(low),
            shown(high),
            shown(mean),
            shown(sd)
        ),
        skipped,
    );
    text.push('\n');
    let row = |text: &mut String, cells: [&str; 7]| {
        let [dist, parameters, log_likelihood, aic, delta, ks, p] = cells;
        let _ = writeln!(
            text,
            "{dist:<11} {parameters:<24} {log_likelihood:>10} {aic:>10} {delta:>7} {ks:>6} {p:>5}"
        );
    };
    row(
        &mut text,
        ["dist", "parameters", "log-lik", "AIC", "ΔAIC", "KS D", "KS p"],
    );
    let best = fits.ranked.first().map_or(0.0, |fit| fit.aic);
    for fit in &fits.ranked {
        let parameters: Vec<String> = fit
            .distribution
            .scenario_parameters()
            .into_iter()
            .map(|(name, value)| format!("{name} {}", shown(value)))
            .collect();
        row(
            &mut text,
            [
                fit.distribution.name(),
                &parameters.join(", "),
                &format!("{:.1}", fit.log_likelihood),
                &format!("{:.1}", fit.aic),
                &format!("{:.1}", fit.aic - best),
                &format!("{:.3}", fit.ks_distance),
                &p_value(fit.ks_p_value),
            ],
        );
    }
    let empirical = &fits.empirical;
    let kind = match empirical.kind {
        EmpiricalValues::Exact => format!("{} values as seen", empirical.values.len()),
        EmpiricalValues::Quantiles(count) => format!("{count} quantiles"),
    };
    let ks = format!("{:.3}", empirical.ks_distance);
    row(&mut text, ["empirical", &kind, "-", "-", "-", &ks, "-"]);
    text.push('\n');
    let mut notes = vec![
        "Ranked by AIC, 2 × parameters − 2 × log-likelihood: lower is better; a ΔAIC under 2 is as good as \
         the best, over 10 clearly worse. KS D is the largest gap between a fit's cumulative distribution \
         and the data's; KS p is approximate, and too high, the parameters having been fitted to these \
         same values. The empirical distribution is the data themselves, so it is not ranked."
            .to_owned(),
    ];
    if values.len() < FEW_VALUES {
        notes.push(format!(
            "With {} values AIC tells the distributions apart only roughly: prefer what is known of \
             the process where it disagrees.",
            values.len()
        ));
    }
    if values.iter().all(|v| v.fract() == 0.0) {
        notes.push(
            "The values are all whole numbers: KS D counts their rounding as misfit, and a continuous fit \
             smooths it away."
                .to_owned(),
        );
    }
    for note in notes {
        text.push_str(&console::wrap(&note, WIDTH, ""));
    }
    text.push('\n');
    text.push_str(&console::wrap(
        "Scenario TOML, best first (the same serves as a route's `handover` or a source's `interarrival`):",
        WIDTH,
        "",
    ));
    for (rank, fit) in fits.ranked.iter().enumerate() {
        let comment = format!(
            "# {}. {}: AIC {:.1}, ΔAIC {:.1}, KS D {:.3}, n {}",
            rank + 1,
            fit.distribution.name(),
            fit.aic,
            fit.aic - best,
            fit.ks_distance,
            fits.count
        );
        text.push_str(&console::wrap(&comment, WIDTH, "#   "));
        let _ = writeln!(text, "duration = {}", fit.distribution.inline_table());
    }
    let comment = match empirical.kind {
        EmpiricalValues::Exact => format!(
            "# empirical, not ranked: the {} distinct values{}; the engine draws these values only",
            empirical.values.len(),
            if empirical.weights.is_some() {
                ", weighted by their counts"
            } else {
                ""
            }
        ),
        EmpiricalValues::Quantiles(count) => format!(
            "# empirical, not ranked: {count} quantiles of the {} values, equally likely (from the {} \
             to the {} percentile); the engine draws these values only, none between or beyond them",
            fits.count,
            ordinal(50.0 / count as f64),
            ordinal(100.0 - 50.0 / count as f64),
        ),
    };
    text.push_str(&console::wrap(&comment, WIDTH, "#   "));
    text.push_str(&empirical.toml("duration", WIDTH));
    text.push('\n');
    text
}

/// A percentile as an ordinal: `2.5th`, `97.5th`, `1st`.
fn ordinal(percent: f64) -> String {
    let number = figure(percent, 3);
    let suffix = match number.as_str() {
        n if n.ends_with('1') && !n.ends_with("11") => "st",
        n if n.ends_with('2') && !n.ends_with("12") => "nd",
        n if n.ends_with('3') && !n.ends_with("13") => "rd",
        _ => "th",
    };
    format!("{number}{suffix}")
}

fn p_value(p: f64) -> String {
    if p < 0.01 {
        "<0.01".to_owned()
    } else {
        format!("{p:.2}")
    }
}

fn durations_json(table: &Table, column: &Column, values: &[f64], fits: &Fits, skipped: usize) -> Value {
    let best = fits.ranked.first().map_or(0.0, |fit| fit.aic);
    let ranked: Vec<Value> = fits
        .ranked
        .iter()
        .map(|fit| {
            let parameters: serde_json::Map<String, Value> = fit
                .distribution
                .scenario_parameters()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), json!(value)))
                .collect();
            json!({
                "dist": fit.distribution.name(),
                "parameters": parameters,
                "log_likelihood": fit.log_likelihood,
                "aic": fit.aic,
                "delta_aic": fit.aic - best,
                "ks_d": fit.ks_distance,
                "ks_p": fit.ks_p_value,
                "toml": format!("duration = {}", fit.distribution.inline_table()),
            })
        })
        .collect();
    let empirical = &fits.empirical;
    json!({
        "file": table.file,
        "column": column.name,
        "values": values.len(),
        "empty_cells_skipped": skipped,
        "fits": ranked,
        "empirical": {
            "quantiles": match empirical.kind {
                EmpiricalValues::Exact => None,
                EmpiricalValues::Quantiles(count) => Some(count),
            },
            "values": empirical.values,
            "weights": empirical.weights,
            "ks_d": empirical.ks_distance,
            "toml": empirical.toml("duration", usize::MAX),
        },
    })
}

fn arrivals_report(table: &Table, column: &Column, fitted: &ArrivalFit, skipped: usize) -> String {
    let mut text = heading(
        table,
        column,
        &format!(
            "{} referrals on the {} days from {} to {}, {} a day",
            fitted.count,
            fitted.days,
            fitted.first_day,
            fitted.last_day,
            figure(fitted.arrivals_per_day(), DIGITS)
        ),
        skipped,
    );
    text.push('\n');
    text.push_str(&console::wrap(
        &format!(
            "# A [[source]]'s Poisson arrivals, at rate_per_day × hour × weekday × month: over the data's \
             days these figures expect the {} referrals seen",
            fitted.count
        ),
        WIDTH,
        "#   ",
    ));
    text.push_str(&fitted.toml(WIDTH));
    text.push_str("\n\n");
    for note in arrival_notes(fitted) {
        text.push_str(&console::wrap(&note, WIDTH, ""));
    }
    text
}

fn arrival_notes(fitted: &ArrivalFit) -> Vec<String> {
    let mut notes = Vec::new();
    match fitted.hour {
        HourProfile::Fitted(_) => {}
        HourProfile::DatesOnly => notes.push("The referrals have dates but no times: no hour profile.".to_owned()),
        HourProfile::AllMidnight => {
            notes.push("Every time is midnight, as when dates are written as times: no hour profile.".to_owned())
        }
        HourProfile::SomeWithoutTime(count) => notes.push(format!(
            "{count} of the {} referrals have a date but no time: no hour profile.",
            fitted.count
        )),
    }
    let missing = |names: &[&str], covered: &[bool]| -> Vec<String> {
        names
            .iter()
            .zip(covered)
            .filter(|(_, covered)| !**covered)
            .map(|(name, _)| (*name).to_owned())
            .collect()
    };
    let weekdays = missing(&WEEKDAYS, &fitted.weekdays_covered);
    match weekdays.len() {
        0 => {}
        6 => notes.push("The data cover a single day: no weekday profile.".to_owned()),
        _ => notes.push(format!(
            "The data cover less than a week: the weekdays they miss ({}) are 1.",
            weekdays.join(", ")
        )),
    }
    let months = missing(&MONTHS, &fitted.months_covered);
    match months.len() {
        0 => {}
        11 => notes.push("The data cover a single month: no month profile.".to_owned()),
        _ => notes.push(format!("The months the data miss ({}) are 1.", months.join(", "))),
    }
    if fitted.days < 365 && months.len() < 11 {
        notes.push("The data cover less than a year: the month profile mixes the season with any trend.".to_owned());
    }
    match fitted.dispersion {
        Some(dispersion) if dispersion > OVERDISPERSED => notes.push(format!(
            "Daily counts vary {} times as much as Poisson arrivals with these profiles would make \
             them: simulated demand will be steadier than the data's.",
            figure(dispersion, 3)
        )),
        Some(dispersion) => notes.push(format!(
            "Daily counts vary {} times as much as Poisson arrivals with these profiles would make \
             them (1 for Poisson).",
            figure(dispersion, 3)
        )),
        None => {}
    }
    notes
}

fn arrivals_json(table: &Table, column: &Column, fitted: &ArrivalFit, skipped: usize) -> Value {
    let hour = match fitted.hour {
        HourProfile::Fitted(hour) => Some(hour.to_vec()),
        _ => None,
    };
    json!({
        "file": table.file,
        "column": column.name,
        "referrals": fitted.count,
        "empty_cells_skipped": skipped,
        "first_day": fitted.first_day.to_string(),
        "last_day": fitted.last_day.to_string(),
        "days": fitted.days,
        "referrals_per_day": fitted.arrivals_per_day(),
        "rate_per_day": fitted.rate_per_day,
        "profile": {
            "hour": hour,
            "weekday": fitted.weekday,
            "month": fitted.month,
        },
        "weekdays_covered": fitted.weekdays_covered,
        "months_covered": fitted.months_covered,
        "dispersion": fitted.dispersion,
        "notes": arrival_notes(fitted),
        "toml": fitted.toml(usize::MAX),
    })
}
