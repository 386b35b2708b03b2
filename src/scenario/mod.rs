//! The scenario file: the only layer that knows its format. Reads TOML, applies `--set`
//! overrides, validates, and converts into a [`Model`]. Every mistake becomes a [`Problem`]
//! naming the file, the line and the field.

mod build;
pub mod file;
pub mod locate;
mod overrides;

use std::fmt;
use std::path::Path;

use toml_edit::{DocumentMut, ImDocument};

use crate::model::Model;
pub use build::{MAX_REPLICATIONS, PROBABILITY_TOLERANCE};
use locate::{line_of, locate, path_at};
pub use overrides::Override;

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

/// Overrides, validates and builds the scenario `text`, read from the file called `file`.
pub fn load_text(file: &str, text: &str, overrides: &[Override]) -> Result<Model, ScenarioError> {
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
    let overridden;
    let text = if overrides.is_empty() {
        text
    } else {
        let mut document: DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| syntax_error(file, text, &e))?;
        let problems: Vec<Problem> = overrides
            .iter()
            .filter_map(|o| o.apply(&mut document).err())
            .map(|message| Problem {
                file: file.to_owned(),
                line: None,
                field: String::new(),
                message,
            })
            .collect();
        if !problems.is_empty() {
            return Err(ScenarioError { problems });
        }
        overridden = document.to_string();
        &overridden
    };
    let document = ImDocument::parse(text).map_err(|e| syntax_error(file, text, &e))?;
    let scenario: file::ScenarioFile = toml::from_str(text).map_err(|e| {
        let (line, field) = match e.span() {
            Some(span) => {
                let field = locate(&document, text, &path_at(&document, span.start)).field;
                (Some(line_of(text, span.start)), field)
            }
            None => (None, String::new()),
        };
        let message = e.message().trim();
        let message = match message.strip_prefix("missing field ") {
            Some(section) if field.is_empty() => format!("the section {section} is missing"),
            _ => message.to_owned(),
        };
        ScenarioError {
            problems: vec![Problem {
                file: file.to_owned(),
                line,
                field,
                message,
            }],
        }
    })?;
    build::build(&scenario).map_err(|problems| ScenarioError {
        problems: problems
            .into_iter()
            .map(|problem| {
                let location = locate(&document, text, &problem.path);
                Problem {
                    file: file.to_owned(),
                    line: location.line,
                    field: location.field,
                    message: problem.message,
                }
            })
            .collect(),
    })
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
