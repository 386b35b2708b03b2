//! `[[variant]]`: alternatives to a scenario, each a name, a label and a list of `--set`-style
//! assignments applied after the file's own values and the command line's `--set`s.

use toml_edit::{ImDocument, Item, Value};

use super::locate::line_of;
use super::{Override, Problem, ScenarioError};

/// One `[[variant]]` of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// Its name (an id), used for its results folder and in `compare.json`.
    pub name: String,
    /// What it is, for people.
    pub label: Option<String>,
    /// Its assignments, applied in order.
    pub set: Vec<Override>,
}

/// The variants the scenario `text` (read from `file`) declares, in file order.
pub fn variants(file: &str, text: &str) -> Result<Vec<Variant>, ScenarioError> {
    let document = ImDocument::parse(text).map_err(|e| super::syntax_error(file, text, &e))?;
    let Some(tables) = document.get("variant") else {
        return Ok(Vec::new());
    };
    let mut variants = Vec::new();
    let mut problems = Vec::new();
    let mut problem = |span: Option<std::ops::Range<usize>>, field: String, message: String| {
        problems.push(Problem {
            file: file.to_owned(),
            line: span.map(|s| line_of(text, s.start)),
            field,
            message,
        })
    };
    let Some(tables) = tables.as_array_of_tables() else {
        problem(None, "variant".into(), "must be a list of [[variant]] tables".into());
        return Err(ScenarioError { problems });
    };
    for (index, table) in tables.iter().enumerate() {
        let span = table.span();
        let name = table.get("name").and_then(Item::as_str).map(str::to_owned);
        let field = |key: &str| format!("variant.{}.{key}", name.clone().unwrap_or_else(|| index.to_string()));
        for (key, _) in table.iter() {
            if !["name", "label", "set"].contains(&key) {
                problem(
                    span.clone(),
                    field(key),
                    format!("unknown field `{key}`, expected `name`, `label` or `set`"),
                );
            }
        }
        let Some(name) = name.clone() else {
            problem(span.clone(), field("name"), "needs a `name`, the variant's id".into());
            continue;
        };
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            problem(
                span.clone(),
                field("name"),
                "must be made of ASCII letters, digits, `_` and `-` only".into(),
            );
        } else if name == "base" || variants.iter().any(|v: &Variant| v.name == name) {
            problem(
                span.clone(),
                field("name"),
                format!("the name `{name}` is taken (by the base or another variant)"),
            );
        }
        let label = match table.get("label") {
            None => None,
            Some(item) => match item.as_str() {
                Some(label) => Some(label.to_owned()),
                None => {
                    problem(span.clone(), field("label"), "must be text".into());
                    None
                }
            },
        };
        let mut set = Vec::new();
        match table.get("set").and_then(Item::as_array) {
            Some(assignments) => {
                for (k, assignment) in assignments.iter().enumerate() {
                    let parsed = match assignment {
                        Value::String(text) => text.value().parse::<Override>(),
                        _ => Err("must be text such as \"hca_fte=70\"".to_owned()),
                    };
                    match parsed {
                        Ok(o) => set.push(o),
                        Err(message) => problem(assignment.span(), format!("{}.{k}", field("set")), message),
                    }
                }
            }
            None => problem(
                span.clone(),
                field("set"),
                "needs `set`, a list of assignments such as [\"hca_fte=70\"]".into(),
            ),
        }
        variants.push(Variant { name, label, set });
    }
    if problems.is_empty() {
        Ok(variants)
    } else {
        Err(ScenarioError { problems })
    }
}
