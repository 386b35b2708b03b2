//! `--set PATH=VALUE`: changes one value of the scenario before it is read, keeping every other
//! line as the user wrote it.

use std::fmt;
use std::str::FromStr;

use toml_edit::{DocumentMut, Item, TableLike, Value};

use super::locate::{item_names, ItemKey};

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
    /// Sets the value in `document` and returns the field set, named as errors name fields.
    ///
    /// Items of arrays are selected by their `id`, or, for routes, by their `to`, with `@` and a
    /// cohort where several routes go to the same place (`routes.home@child`); a path that could
    /// mean several items is refused with the candidates. The last part of the path names the key,
    /// which is added if the table lacks it. The value is read as TOML (a number, a quoted string,
    /// a list, an inline table such as a whole distribution); a bare word, or anything TOML reads
    /// as a date, is a string. A path that is a lever's name alone sets that lever's value.
    pub fn apply(&self, document: &mut DocumentMut) -> Result<String, String> {
        let value = match self.value.parse::<Value>() {
            Ok(Value::Datetime(_)) | Err(_) => Value::from(self.value.as_str()),
            Ok(value) => value,
        };
        // A lever's name alone sets the lever (`--set pickup_days=3`).
        let is_lever = |name: &str| {
            document
                .get("levers")
                .and_then(Item::as_table_like)
                .is_some_and(|levers| levers.contains_key(name))
        };
        let path = match self.path.as_slice() {
            [name] if is_lever(name) => vec!["levers".to_owned(), name.clone(), "value".to_owned()],
            _ => self.path.clone(),
        };
        let mut field = Vec::new();
        set(document.as_table_mut(), &path, value, &mut field)?;
        Ok(field.join("."))
    }
}

fn set(table: &mut dyn TableLike, path: &[String], mut value: Value, field: &mut Vec<String>) -> Result<(), String> {
    let (key, rest) = path.split_first().expect("paths are never empty");
    field.push(key.clone());
    if rest.is_empty() {
        return match table.get_mut(key) {
            Some(Item::ArrayOfTables(_)) => Err(format!(
                "`{key}` is a list of [[{key}]] tables: set their fields one by one"
            )),
            Some(Item::Value(old)) => {
                *value.decor_mut() = old.decor().clone();
                *old = value;
                Ok(())
            }
            Some(old) => {
                *old = Item::Value(value);
                Ok(())
            }
            None => {
                table.insert(key, Item::Value(value));
                Ok(())
            }
        };
    }
    match table.get_mut(key) {
        None => Err(format!("there is no `{key}`")),
        Some(Item::Table(inner)) => set(inner, rest, value, field),
        Some(Item::Value(Value::InlineTable(inner))) => set(inner, rest, value, field),
        Some(Item::ArrayOfTables(tables)) => {
            let keys: Vec<ItemKey> = tables
                .iter()
                .map(|t| ItemKey::of(|k| t.get(k)?.as_value().cloned()))
                .collect();
            let (index, name, rest) = select(key, &keys, rest)?;
            field.push(name);
            let item = tables.get_mut(index).expect("selected among them");
            if rest.is_empty() {
                return Err(format!(
                    "`{key}.{}` is a table, not a single value",
                    field.last().unwrap()
                ));
            }
            set(item, rest, value, field)
        }
        Some(Item::Value(Value::Array(array))) => {
            let keys: Vec<ItemKey> = array
                .iter()
                .map(|v| ItemKey::of(|k| v.as_inline_table()?.get(k).cloned()))
                .collect();
            let (index, name, rest) = select(key, &keys, rest)?;
            field.push(name);
            let item = array
                .get_mut(index)
                .and_then(Value::as_inline_table_mut)
                .ok_or_else(|| format!("item `{}` of `{key}` is not a table", field.last().unwrap()))?;
            if rest.is_empty() {
                return Err(format!(
                    "`{key}.{}` is a table, not a single value",
                    field.last().unwrap()
                ));
            }
            set(item, rest, value, field)
        }
        Some(_) => Err(format!(
            "`{key}` is a single value, so `{}` cannot be set inside it",
            rest.join(".")
        )),
    }
}

/// The item of the array `key` that the first part of `rest` selects: its index, its name, and
/// the rest of the path. The selector is an `id` or a `to`, optionally `@` a cohort.
fn select<'p>(key: &str, items: &[ItemKey], rest: &'p [String]) -> Result<(usize, String, &'p [String]), String> {
    let (selector, rest) = rest.split_first().expect("checked non-empty");
    let (name, cohort) = match selector.split_once('@') {
        Some((name, cohort)) => (name, Some(cohort)),
        None => (selector.as_str(), None),
    };
    let matches: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.id.as_deref().or(item.to.as_deref()) == Some(name))
        .filter(|(_, item)| cohort.is_none_or(|c| item.cohorts.is_empty() || item.cohorts.iter().any(|x| x == c)))
        .map(|(i, _)| i)
        .collect();
    let names = item_names(items);
    match matches.as_slice() {
        [] => Err(match cohort {
            None => format!("no item of `{key}` has the id or `to` `{name}`"),
            Some(cohort) => format!("no item of `{key}` goes to `{name}` for cohort `{cohort}`"),
        }),
        [index] => Ok((*index, names[*index].clone(), rest)),
        several => Err(format!(
            "`{key}.{selector}` could mean any of {}: name one",
            several
                .iter()
                .map(|&i| format!("`{key}.{}`", names[i]))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
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
    fn replaces_whole_tables_and_lists_and_reads_dates_as_text() {
        let out = apply(TEXT, r#"service.ward.duration={ dist = "gamma", mean = 3, sd = 1 }"#).unwrap();
        assert!(
            out.contains(r#"duration = { dist = "gamma", mean = 3, sd = 1 }"#),
            "{out}"
        );
        let out = apply(TEXT, "service.ward.tags=[\"acute\"]").unwrap();
        assert!(out.contains("tags = [\"acute\"]"), "{out}");
        let out = apply(
            "[simulation]\nstart_date = \"2025-04-01\"\n",
            "simulation.start_date=2026-04-01",
        )
        .unwrap();
        assert!(out.contains("start_date = \"2026-04-01\""), "{out}");
    }

    #[test]
    fn selects_routes_by_destination_and_cohort_and_refuses_ambiguity() {
        let text = r#"[[service]]
id = "ward"
routes = [{ to = "home", p = 0.9, cohort = ["old", "frail"] }, { to = "home", p = 1.0, cohort = "young" }, { to = "care", p = 0.1, cohort = "old" }]
"#;
        let out = apply(text, "service.ward.routes.home@frail.p=0.8").unwrap();
        assert!(
            out.contains(r#"{ to = "home", p = 0.8, cohort = ["old", "frail"] }"#),
            "{out}"
        );
        let out = apply(text, "service.ward.routes.care.p=0.2").unwrap();
        assert!(out.contains(r#"{ to = "care", p = 0.2, cohort = "old" }"#), "{out}");
        assert_eq!(
            apply(text, "service.ward.routes.home.p=0.5").unwrap_err(),
            "`routes.home` could mean any of `routes.home@old`, `routes.home@young`: name one"
        );
        assert_eq!(
            apply(text, "service.ward.routes.home@child.p=0.5").unwrap_err(),
            "no item of `routes` goes to `home` for cohort `child`"
        );
    }

    #[test]
    fn explains_what_cannot_be_set() {
        assert_eq!(
            apply(TEXT, "service.icu.capacity=3").unwrap_err(),
            "no item of `service` has the id or `to` `icu`"
        );
        assert_eq!(
            apply(TEXT, "service.ward.duration.mean.x=3").unwrap_err(),
            "`mean` is a single value, so `x` cannot be set inside it"
        );
        assert!(apply(TEXT, "service.ward").is_err());
        assert!(apply(TEXT, "service=3").is_err());
        assert!(apply(TEXT, "service..capacity=1").is_err());
    }
}
