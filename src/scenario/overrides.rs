//! `--set PATH=VALUE`: changes one scalar of the scenario before it is read, keeping every other
//! line (and so every line number) as the user wrote it.

use std::fmt;
use std::str::FromStr;

use toml_edit::{DocumentMut, Item, TableLike, Value};

/// One `--set PATH=VALUE`, e.g. `service.ward.capacity=12`.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    path: Vec<String>,
    value: String,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not PATH=VALUE (e.g. service.ward.capacity=12)"))?;
        let path: Vec<String> = path.trim().split('.').map(str::to_owned).collect();
        if path.iter().any(String::is_empty) {
            return Err(format!("`{text}`: the path has an empty part"));
        }
        Ok(Override {
            path,
            value: value.trim().to_owned(),
        })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path.join("."), self.value)
    }
}

impl Override {
    /// Sets the value in `document`. Array items are selected by their `id` (or, for routes, their
    /// `to`); the last part of the path names the key, which is added if the table lacks it.
    pub fn apply(&self, document: &mut DocumentMut) -> Result<(), String> {
        // A bare word is a string; anything TOML can read as a value (numbers, quoted strings,
        // booleans, arrays) is taken as TOML.
        let value = self
            .value
            .parse::<Value>()
            .unwrap_or_else(|_| Value::from(self.value.as_str()));
        set(document.as_table_mut(), &self.path, value).map_err(|message| format!("--set {self}: {message}"))
    }
}

fn set(table: &mut dyn TableLike, path: &[String], mut value: Value) -> Result<(), String> {
    let (key, rest) = path.split_first().expect("paths are never empty");
    if rest.is_empty() {
        return match table.get_mut(key) {
            Some(Item::Value(old)) if !old.is_array() && !old.is_inline_table() => {
                *value.decor_mut() = old.decor().clone();
                *old = value;
                Ok(())
            }
            Some(_) => Err(format!("`{key}` is a table or a list, not a single value")),
            None => {
                table.insert(key, Item::Value(value));
                Ok(())
            }
        };
    }
    match table.get_mut(key) {
        None => Err(format!("there is no `{key}`")),
        Some(Item::Table(inner)) => set(inner, rest, value),
        Some(Item::Value(Value::InlineTable(inner))) => set(inner, rest, value),
        Some(Item::ArrayOfTables(tables)) => {
            let (name, rest) = rest.split_first().expect("checked non-empty");
            let item = tables
                .iter_mut()
                .find(|t| {
                    named(
                        t.get("id").and_then(Item::as_str),
                        t.get("to").and_then(Item::as_str),
                        name,
                    )
                })
                .ok_or_else(|| format!("no `{key}` has the id `{name}`"))?;
            if rest.is_empty() {
                return Err(format!("`{key}.{name}` is a table, not a single value"));
            }
            set(item, rest, value)
        }
        Some(Item::Value(Value::Array(array))) => {
            let (name, rest) = rest.split_first().expect("checked non-empty");
            let item = array
                .iter_mut()
                .filter_map(Value::as_inline_table_mut)
                .find(|t| {
                    named(
                        t.get("id").and_then(Value::as_str),
                        t.get("to").and_then(Value::as_str),
                        name,
                    )
                })
                .ok_or_else(|| format!("no item of `{key}` has the id or `to` `{name}`"))?;
            if rest.is_empty() {
                return Err(format!("`{key}.{name}` is a table, not a single value"));
            }
            set(item, rest, value)
        }
        Some(_) => Err(format!(
            "`{key}` is a single value, so `{}` cannot be set inside it",
            rest.join(".")
        )),
    }
}

fn named(id: Option<&str>, to: Option<&str>, name: &str) -> bool {
    id.or(to) == Some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, set: &str) -> Result<String, String> {
        let mut document: DocumentMut = text.parse().unwrap();
        set.parse::<Override>()?.apply(&mut document)?;
        Ok(document.to_string())
    }

    const TEXT: &str = r#"[[service]]
id = "ward" # the ward
capacity = 10 # beds: assumption
duration = { dist = "exponential", mean = 1.0 }
routes = [{ to = "done", p = 1.0 }]
"#;

    #[test]
    fn sets_scalars_by_id_and_keeps_lines_and_comments() {
        let out = apply(TEXT, "service.ward.capacity=12").unwrap();
        assert!(out.contains("capacity = 12 # beds: assumption\n"), "{out}");
        let out = apply(TEXT, "service.ward.duration.mean=1.5").unwrap();
        assert!(out.contains("mean = 1.5 }"), "{out}");
        let out = apply(TEXT, "service.ward.routes.done.p=0.5").unwrap();
        assert!(out.contains("p = 0.5 }"), "{out}");
        assert_eq!(out.lines().count(), TEXT.lines().count());
        let out = apply(TEXT, "service.ward.on_full=elsewhere").unwrap();
        assert!(out.contains("on_full = \"elsewhere\""), "{out}");
    }

    #[test]
    fn explains_what_cannot_be_set() {
        assert_eq!(
            apply(TEXT, "service.icu.capacity=3").unwrap_err(),
            "--set service.icu.capacity=3: no `service` has the id `icu`"
        );
        assert_eq!(
            apply(TEXT, "service.ward.duration=3").unwrap_err(),
            "--set service.ward.duration=3: `duration` is a table or a list, not a single value"
        );
        assert!(apply(TEXT, "service.ward").is_err());
        assert!(apply(TEXT, "service..capacity=1").is_err());
    }
}
