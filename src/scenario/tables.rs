//! Tables a scenario names rather than lists (a source's `rate_by_date`, the `[initial]` census):
//! read from CSV files beside the scenario into the scenario's own types, so that the rest of
//! the layer sees them as if listed. A mistake in a file is reported at its line and column.

use std::path::{Path, PathBuf};

use super::file::{DatedRate, DatedRates, InitialPatientsSection, InitialStateName, ScenarioFile};
use super::locate::Segment;
use super::Problem;
use crate::calendar::Date;

/// The largest table file accepted, in bytes: years of daily rates or a county's census are a
/// few hundred kilobytes.
pub const MAX_TABLE_BYTES: u64 = 16 << 20;

/// A mistake found while reading the tables: at a field of the scenario (a file that cannot be
/// read), or in a file.
pub enum Found {
    /// At the scenario field that names the file.
    Field(Vec<Segment>, String),
    /// In the file, at its line and column.
    InTable(Problem),
}

/// Reads every table `scenario` names from its file, looked for beside `scenario_file`.
pub fn read(scenario: &mut ScenarioFile, scenario_file: &str) -> Vec<Found> {
    let folder = Path::new(scenario_file).parent().unwrap_or(Path::new(""));
    let mut found = Vec::new();
    for (i, source) in scenario.source.iter_mut().enumerate() {
        if let Some(DatedRates::File(name)) = &source.rate_by_date {
            let at = vec![
                Segment::Key("source".into()),
                Segment::Index(i),
                Segment::Key("rate_by_date".into()),
            ];
            if let Some(rows) = read_table(folder, name, at, &mut found, RATE_COLUMNS, rate_row) {
                source.rate_by_date = Some(DatedRates::Listed(rows.into_iter().map(|(_, row)| row).collect()));
            }
        }
    }
    if let Some(initial) = &mut scenario.initial {
        if let Some(name) = &initial.census {
            let at = vec![Segment::Key("initial".into()), Segment::Key("census".into())];
            if let Some(rows) = read_table(folder, name, at, &mut found, CENSUS_COLUMNS, census_row) {
                initial.census_rows = rows;
            }
        }
    }
    found
}

/// The columns of a table: the name, and whether it must be there.
type Columns = &'static [(&'static str, bool)];

const RATE_COLUMNS: Columns = &[("date", true), ("rate_per_day", true)];

const CENSUS_COLUMNS: Columns = &[
    ("service", true),
    ("days", true),
    ("cohort", false),
    ("state", false),
    ("count", false),
    ("waiting_for", false),
];

/// A row's cells by column (in the order of `Columns`; empty where absent or blank), or the
/// column and what is wrong with its cell.
type RowReader<T> = fn(&[&str]) -> Result<T, (usize, String)>;

fn rate_row(cells: &[&str]) -> Result<DatedRate, (usize, String)> {
    let date = cells[0];
    if Date::parse(date).is_none() {
        return Err((0, format!("`{date}` is not a date written YYYY-MM-DD")));
    }
    Ok(DatedRate {
        date: date.to_owned(),
        rate_per_day: number(cells[1]).map_err(|message| (1, message))?,
    })
}

fn census_row(cells: &[&str]) -> Result<InitialPatientsSection, (usize, String)> {
    let text = |i: usize| (!cells[i].is_empty()).then(|| cells[i].to_owned());
    let service = text(0).ok_or((0, "is empty; name the service the patients are at".to_owned()))?;
    let state = match cells[3] {
        "" => InitialStateName::default(),
        written => InitialStateName::parse(written).ok_or((
            3,
            format!("`{written}` is not a state; use in_service, queued or blocked"),
        ))?,
    };
    let count = match cells[4] {
        "" => 1,
        written => written
            .parse()
            .map_err(|_| (4, format!("`{written}` is not a whole number of patients")))?,
    };
    Ok(InitialPatientsSection {
        service,
        days: number(cells[1]).map_err(|message| (1, message))?,
        cohort: text(2),
        state,
        count,
        waiting_for: text(5),
    })
}

fn number(cell: &str) -> Result<f64, String> {
    cell.parse::<f64>().map_err(|_| format!("`{cell}` is not a number"))
}

/// Reads the CSV file `name` (relative to `folder`) whose header names `columns`, each row by
/// `row`; `None`, with what is wrong added to `found`, when it cannot be read or has mistakes.
fn read_table<T>(
    folder: &Path,
    name: &str,
    at: Vec<Segment>,
    found: &mut Vec<Found>,
    columns: Columns,
    row: RowReader<T>,
) -> Option<Vec<(String, T)>> {
    let path: PathBuf = folder.join(name);
    let shown = path.display().to_string();
    let problem = |line: Option<usize>, field: &str, message: String| {
        Found::InTable(Problem {
            file: shown.clone(),
            line,
            field: field.to_owned(),
            message,
        })
    };
    match std::fs::metadata(&path) {
        Err(error) => {
            found.push(Found::Field(at, format!("cannot read `{shown}`: {error}")));
            return None;
        }
        Ok(metadata) if metadata.len() > MAX_TABLE_BYTES => {
            found.push(Found::Field(
                at,
                format!(
                    "`{shown}` is {} bytes; a table may be at most {MAX_TABLE_BYTES}",
                    metadata.len()
                ),
            ));
            return None;
        }
        Ok(_) => {}
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(&path)
        .map_err(|error| found.push(Found::Field(at.clone(), format!("cannot read `{shown}`: {error}"))))
        .ok()?;
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(str::to_owned).collect(),
        Err(error) => {
            found.push(problem(Some(1), "", format!("cannot read the header row: {error}")));
            return None;
        }
    };
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let mut where_is = vec![None; columns.len()];
    let mut mistakes = false;
    for (index, title) in header.iter().enumerate() {
        match names.iter().position(|name| name == title) {
            Some(column) if where_is[column].is_none() => where_is[column] = Some(index),
            Some(_) => {
                found.push(problem(Some(1), title, "is a column twice".to_owned()));
                mistakes = true;
            }
            None => {
                found.push(problem(
                    Some(1),
                    title,
                    format!("is not a column of this table; its columns are {}", names.join(", ")),
                ));
                mistakes = true;
            }
        }
    }
    for ((name, required), index) in columns.iter().zip(&where_is) {
        if *required && index.is_none() {
            found.push(problem(Some(1), name, "the header row lacks this column".to_owned()));
            mistakes = true;
        }
    }
    if mistakes {
        return None;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map(|p| p.line() as usize);
                found.push(problem(line, "", format!("cannot read the row: {error}")));
                mistakes = true;
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cells: Vec<&str> = where_is
            .iter()
            .map(|index| index.and_then(|i| record.get(i)).unwrap_or(""))
            .collect();
        match row(&cells) {
            Ok(value) => rows.push((format!("{shown}:{line}"), value)),
            Err((column, message)) => {
                found.push(problem(Some(line), names[column], message));
                mistakes = true;
            }
        }
    }
    (!mistakes).then_some(rows)
}
