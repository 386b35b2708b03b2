//! The scenario file: the only layer that knows its format. Reads TOML, applies `--set`
//! overrides, validates, and converts into a [`Model`]. Every mistake becomes a [`Problem`]
//! naming the file, the line and the field.

mod build;
pub mod file;
mod levers;
pub mod locate;
pub mod notes;
mod overrides;
mod tables;
mod uncertain;
mod variants;
mod walk;

use std::cell::OnceCell;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use toml_edit::{DocumentMut, ImDocument, Item};

use crate::model::{InputRange, Model, Provenance, Realise};
pub use build::{MAX_METRIC_HORIZON_DAYS, MAX_REPLICATIONS, PROBABILITY_FLOOR, PROBABILITY_TOLERANCE};
use locate::{line_of, locate, path_at, Segment};
pub use overrides::Override;
pub use variants::{variants, Variant};

/// The largest scenario file accepted, in bytes; real scenarios are a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// One mistake in a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The file, as the user named it.
    pub file: String,
    /// The 1-based line, where known.
    pub line: Option<usize>,
    /// The field, named as `--set` names it (empty for the file as a whole).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything wrong with a scenario, in the order found.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct ScenarioError {
    /// The problems, at least one.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl ScenarioError {
    fn whole_file(file: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            problems: vec![Problem {
                file: file.to_owned(),
                line: None,
                field: String::new(),
                message: message.into(),
            }],
        }
    }
}

/// Reads, overrides, validates and builds the scenario in the file at `path`.
pub fn load_file(path: &Path, overrides: &[Override]) -> Result<Model, ScenarioError> {
    let name = path.display().to_string();
    let metadata =
        std::fs::metadata(path).map_err(|e| ScenarioError::whole_file(&name, format!("cannot read the file: {e}")))?;
    if !metadata.is_file() {
        return Err(ScenarioError::whole_file(&name, "is not a file"));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::whole_file(
            &name,
            format!(
                "is {} bytes; scenario files may be at most {MAX_FILE_BYTES} bytes",
                metadata.len()
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| ScenarioError::whole_file(&name, format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        ScenarioError::whole_file(
            &name,
            "is not a text file (it is not valid UTF-8); a scenario is a TOML text file",
        )
    })?;
    load_text(&name, &text, overrides)
}

/// The most problems reported at once; beyond it, how many more there are.
pub const MAX_PROBLEMS: usize = 50;

/// Overrides, validates and builds the scenario `text`, read from the file called `file`, with
/// its uncertain inputs at their central values; a model with uncertain inputs can make each
/// replication's model with them drawn ([`Model::uncertain`]).
///
/// Lines are always those of `text` as written. A problem in a field a `--set` gave (or inside a
/// table it gave) is reported against that `--set` rather than a line of the file.
pub fn load_text(file: &str, text: &str, overrides: &[Override]) -> Result<Model, ScenarioError> {
    let (mut model, ranges) = load_with(file, text, overrides, uncertain::Values::Central)?;
    if !ranges.is_empty() {
        // Each replication draws its own values: the ends of the ranges must make a valid
        // scenario too. Some combination between them may still not (a minimum drawn above a
        // maximum); the replication that draws it stops the run, which writes nothing.
        for (values, end) in [
            (uncertain::Values::Lowest, "lowest"),
            (uncertain::Values::Highest, "highest"),
        ] {
            if let Err(mut error) = load_with(file, text, overrides, values) {
                for problem in &mut error.problems {
                    problem.message = format!("{} (with every uncertain input at its {end} value)", problem.message);
                }
                return Err(error);
            }
        }
        model.uncertain = Some(Arc::new(Realiser {
            file: file.to_owned(),
            text: text.into(),
            overrides: overrides.to_vec(),
            ranges,
        }));
    }
    Ok(model)
}

/// Makes the model of each replication of a scenario with uncertain inputs, by building it again
/// with the inputs drawn for that replication.
#[derive(Debug)]
struct Realiser {
    file: String,
    text: Arc<str>,
    overrides: Vec<Override>,
    ranges: Vec<InputRange>,
}

impl Realise for Realiser {
    fn realise(&self, central: &Model, replication: u32) -> Result<Model, String> {
        let values = uncertain::Values::Drawn {
            seed: central.run.seed,
            replication,
        };
        let (mut model, _) = load_with(&self.file, &self.text, &self.overrides, values).map_err(|e| e.to_string())?;
        model.run = central.run.clone();
        model.provenance = central.provenance.clone();
        Ok(model)
    }

    fn inputs(&self) -> &[InputRange] {
        &self.ranges
    }
}

/// [`load_text`] with the uncertain inputs replaced by `values`; also their ranges.
fn load_with(
    file: &str,
    text: &str,
    overrides: &[Override],
    values: uncertain::Values,
) -> Result<(Model, Vec<InputRange>), ScenarioError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(ScenarioError::whole_file(
            file,
            format!("scenario text may be at most {MAX_FILE_BYTES} bytes"),
        ));
    }
    if text.contains('\0') {
        return Err(ScenarioError::whole_file(
            file,
            "is not a text file (it contains NUL bytes); a scenario is a TOML text file",
        ));
    }
    // The documents that place problems at lines and fields are parsed only when a problem needs
    // placing: each holds many times the text's size, which for a network of thousands of
    // services is most of the memory a run needs.
    let original = OnceCell::new();
    let original = || original.get_or_init(|| ImDocument::parse(text).expect("the text parsed as TOML"));
    let mut applied: Vec<(&Override, String)> = Vec::new();
    let mut document: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| syntax_error(file, text, &e))?;
    let mut problems = Vec::new();
    for o in overrides {
        match o.apply(&mut document) {
            Ok(field) => applied.push((o, field)),
            Err(message) => problems.push(Problem {
                file: format!("--set {o}"),
                line: None,
                field: String::new(),
                message,
            }),
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError { problems });
    }
    let named_text = document.to_string();
    let named = OnceCell::new();
    let named = || named.get_or_init(|| ImDocument::parse(named_text.as_str()).expect("written as TOML"));
    let (ranges, mut found) =
        uncertain::resolve(&mut document, &|path| locate(named(), &named_text, path).field, values);
    let (lever_list, lever_problems) = levers::read(&document);
    found.extend(lever_problems);
    if found.is_empty() {
        found = levers::substitute(&mut document, &lever_list);
    }
    let current_text = document.to_string();
    drop(document);
    let current_text = current_text.as_str();
    let current = OnceCell::new();
    let current = || current.get_or_init(|| ImDocument::parse(current_text).expect("written as TOML"));
    let place = |path: &[Segment], message: String| {
        let field = locate(current(), current_text, path).field;
        let set_by = applied.iter().rev().find(|(_, set)| {
            field == *set
                || field
                    .strip_prefix(set.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        match set_by {
            Some((o, set)) => Problem {
                file: format!("--set {o}"),
                line: None,
                field: if field == *set { String::new() } else { field },
                message,
            },
            None => {
                // A problem with a whole that a `--set` changed part of (routes whose
                // probabilities no longer sum to 1) says which.
                let within: Vec<String> = applied
                    .iter()
                    .filter(|(_, set)| {
                        set.strip_prefix(field.as_str())
                            .is_some_and(|rest| rest.starts_with('.'))
                    })
                    .map(|(o, _)| format!("--set {o}"))
                    .collect();
                let message = if within.is_empty() {
                    message
                } else {
                    format!("{message} (after {})", within.join(", "))
                };
                Problem {
                    file: file.to_owned(),
                    line: locate(original(), text, path).line,
                    field,
                    message,
                }
            }
        }
    };
    let report = |found: Vec<(Vec<Segment>, String)>| {
        let mut problems: Vec<Problem> = found
            .iter()
            .take(MAX_PROBLEMS)
            .map(|(path, message)| place(path, message.clone()))
            .collect();
        if found.len() > MAX_PROBLEMS {
            problems.push(Problem {
                file: file.to_owned(),
                line: None,
                field: String::new(),
                message: format!("and {} more problems", found.len() - MAX_PROBLEMS),
            });
        }
        ScenarioError { problems }
    };
    if !found.is_empty() {
        return Err(report(found));
    }
    let mut scenario = read(current_text, current).map_err(report)?;
    let (mut fields, mut in_tables) = (Vec::new(), Vec::new());
    for found in tables::read(&mut scenario, file) {
        match found {
            tables::Found::Field(path, message) => fields.push((path, message)),
            tables::Found::InTable(problem) => in_tables.push(problem),
        }
    }
    if !fields.is_empty() || !in_tables.is_empty() {
        let mut error = report(fields);
        error.problems.append(&mut in_tables);
        error.problems.truncate(MAX_PROBLEMS);
        return Err(error);
    }
    let mut model = build::build(&scenario)
        .map_err(|problems| report(problems.into_iter().map(|p| (p.path, p.message)).collect()))?;
    model.provenance = Provenance {
        scenario_sha256: sha256_hex(text.as_bytes()),
        overrides: overrides.iter().map(ToString::to_string).collect(),
        levers: lever_list,
    };
    Ok((model, ranges))
}

/// SHA-256 of `bytes`, in lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the scenario's fields into [`file::ScenarioFile`]. Reading stops at the first mistake, so
/// when there is one each section and each item of a list of sections is read on its own too:
/// every item with a mistake is reported, each at its field.
fn read<'d>(
    text: &str,
    document: impl FnOnce() -> &'d ImDocument<&'d str>,
) -> Result<file::ScenarioFile, Vec<(Vec<Segment>, String)>> {
    let whole = match toml::from_str::<file::ScenarioFile>(text) {
        Ok(scenario) => return Ok(scenario),
        Err(error) => error,
    };
    let document = document();
    let mut found = Vec::new();
    for (key, item) in document.as_table().iter() {
        match item {
            Item::Table(table) => {
                if let Some(problem) = item_problem(key, table, &[Segment::Key(key.to_owned())]) {
                    found.push(problem);
                }
            }
            Item::ArrayOfTables(tables) => {
                for (index, table) in tables.iter().enumerate() {
                    let at = [Segment::Key(key.to_owned()), Segment::Index(index)];
                    if let Some(problem) = item_problem(key, table, &at) {
                        found.push(problem);
                    }
                }
            }
            _ => {}
        }
    }
    let whole_path = whole
        .span()
        .map(|span| path_at(document, span.start))
        .unwrap_or_default();
    let within_an_item = found
        .iter()
        .any(|(path, _)| whole_path.starts_with(&path[..path.len().min(2)]));
    if found.is_empty() || !within_an_item {
        let message = whole.message().trim();
        let message = match message.strip_prefix("missing field ") {
            Some(section) if whole_path.is_empty() => format!("the section {section} is missing"),
            _ => message.to_owned(),
        };
        found.insert(0, (whole_path, message));
    }
    Err(found)
}

/// The first mistake in one section (`[key]`, or one item of `[[key]]`) read on its own, with its
/// path from the top of the file (`at` and then the path inside the item).
fn item_problem(key: &str, table: &toml_edit::Table, at: &[Segment]) -> Option<(Vec<Segment>, String)> {
    use file::*;
    let mut alone = DocumentMut::new();
    for (name, item) in table.iter() {
        alone.insert(name, item.clone());
    }
    let text = alone.to_string();
    let error = match key {
        "simulation" => toml::from_str::<SimulationSection>(&text).err(),
        "population" => toml::from_str::<PopulationSection>(&text).err(),
        "cohort" => toml::from_str::<CohortSection>(&text).err(),
        "source" => toml::from_str::<SourceSection>(&text).err(),
        "service" => toml::from_str::<ServiceSection>(&text).err(),
        "exit" => toml::from_str::<ExitSection>(&text).err(),
        "pool" => toml::from_str::<PoolSection>(&text).err(),
        "staff" => toml::from_str::<StaffSection>(&text).err(),
        _ => None,
    }?;
    let inner = match (error.span(), ImDocument::parse(text.as_str())) {
        (Some(span), Ok(document)) => path_at(&document, span.start),
        _ => Vec::new(),
    };
    Some((
        at.iter().cloned().chain(inner).collect(),
        error.message().trim().to_owned(),
    ))
}

fn syntax_error(file: &str, text: &str, error: &toml_edit::TomlError) -> ScenarioError {
    ScenarioError {
        problems: vec![Problem {
            file: file.to_owned(),
            line: error.span().map(|span| line_of(text, span.start)),
            field: String::new(),
            message: format!("not valid TOML: {}", error.message().trim().replace('\n', ": ")),
        }],
    }
}
