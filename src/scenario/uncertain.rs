//! Uncertain inputs: any number of the file may be `{ uncertain = { dist = "triangular", min = 3,
//! mode = 5, max = 7 } }` or `{ uncertain = { dist = "uniform", min = 3, max = 7 } }`. Each is
//! replaced by a number before the levers are resolved and the file is read: its central value
//! (the mode, or the middle of a uniform range), or a value drawn for one replication from a
//! stream of its own, named by the input's field.

use rand::Rng as _;
use toml_edit::{DocumentMut, Item, Table, Value};

use super::locate::Segment;
use crate::model::InputRange;
use crate::random::{self, Purpose};

/// A problem with a field: where, and what.
type Found = (Vec<Segment>, String);

/// The distribution of an uncertain input.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Spread {
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
}

/// One uncertain input of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertain {
    /// Where it is in the document.
    path: Vec<Segment>,
    spread: Spread,
    /// Whether every parameter is a whole number, so every value is one (a capacity, say).
    whole: bool,
}

/// How uncertain inputs are replaced by numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    /// Each by its central value.
    Central,
    /// Each at the low end of its range.
    Lowest,
    /// Each at the high end of its range.
    Highest,
    /// Each by a value drawn for replication `replication` of a run seeded `seed`.
    Drawn {
        /// The run's seed.
        seed: u64,
        /// The replication.
        replication: u32,
    },
}

impl Uncertain {
    /// Where the input is in the document.
    pub fn path(&self) -> &[Segment] {
        &self.path
    }

    fn low(&self) -> f64 {
        match self.spread {
            Spread::Uniform { min, .. } | Spread::Triangular { min, .. } => min,
        }
    }

    fn high(&self) -> f64 {
        match self.spread {
            Spread::Uniform { max, .. } | Spread::Triangular { max, .. } => max,
        }
    }

    fn central(&self) -> f64 {
        let central = match self.spread {
            Spread::Uniform { min, max } => (min + max) / 2.0,
            Spread::Triangular { mode, .. } => mode,
        };
        self.shown(central)
    }

    /// The value at cumulative probability `u` (inverse of the distribution function).
    fn quantile(&self, u: f64) -> f64 {
        let value = match self.spread {
            Spread::Uniform { min, max } => min + (max - min) * u,
            Spread::Triangular { min, mode, max } if max > min => {
                let split = (mode - min) / (max - min);
                if u < split {
                    min + ((max - min) * (mode - min) * u).sqrt()
                } else {
                    max - ((max - min) * (max - mode) * (1.0 - u)).sqrt()
                }
            }
            Spread::Triangular { min, .. } => min,
        };
        self.shown(value)
    }

    fn shown(&self, value: f64) -> f64 {
        if self.whole {
            value.round()
        } else {
            value
        }
    }

    fn value(&self, name: &str, values: Values) -> f64 {
        match values {
            Values::Central => self.central(),
            Values::Lowest => self.low(),
            Values::Highest => self.high(),
            Values::Drawn { seed, replication } => {
                let mut stream = random::stream(seed, replication, Purpose::Input(random::key(name)));
                self.quantile(stream.random::<f64>())
            }
        }
    }
}

/// Finds every uncertain input in `document` (outside `[[variant]]`), or the problems with them.
pub fn read(document: &DocumentMut) -> (Vec<Uncertain>, Vec<Found>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for (key, item) in document.as_table().iter() {
        if key == "variant" {
            continue;
        }
        let mut path = vec![Segment::Key(key.to_owned())];
        if key == "simulation" {
            let mut found = Vec::new();
            find_in_item(item, &mut path, &mut found, &mut Vec::new());
            problems.extend(found.into_iter().map(|input| {
                (
                    input.path,
                    "how the run is set up cannot be uncertain; give a number".to_owned(),
                )
            }));
            continue;
        }
        find_in_item(item, &mut path, &mut inputs, &mut problems);
    }
    (inputs, problems)
}

fn find_in_item(item: &Item, path: &mut Vec<Segment>, inputs: &mut Vec<Uncertain>, problems: &mut Vec<Found>) {
    match item {
        Item::Value(value) => find_in_value(value, path, inputs, problems),
        Item::Table(table) => find_in_table(table, path, inputs, problems),
        Item::ArrayOfTables(tables) => {
            for (index, table) in tables.iter().enumerate() {
                path.push(Segment::Index(index));
                find_in_table(table, path, inputs, problems);
                path.pop();
            }
        }
        Item::None => {}
    }
}

fn find_in_table(table: &Table, path: &mut Vec<Segment>, inputs: &mut Vec<Uncertain>, problems: &mut Vec<Found>) {
    if table.contains_key("uncertain") {
        problems.push((
            path.clone(),
            "write an uncertain input inline: `{ uncertain = { dist = \"triangular\", min = 3, mode = 5, max = 7 } }`"
                .to_owned(),
        ));
        return;
    }
    for (key, item) in table.iter() {
        path.push(Segment::Key(key.to_owned()));
        find_in_item(item, path, inputs, problems);
        path.pop();
    }
}

fn find_in_value(value: &Value, path: &mut Vec<Segment>, inputs: &mut Vec<Uncertain>, problems: &mut Vec<Found>) {
    match value {
        Value::InlineTable(table) if table.contains_key("uncertain") => {
            if table.len() != 1 {
                problems.push((
                    path.clone(),
                    "an uncertain input is `{ uncertain = { … } }` with nothing beside `uncertain`".to_owned(),
                ));
                return;
            }
            path.push(Segment::Key("uncertain".to_owned()));
            match spread(table.get("uncertain").expect("checked")) {
                Ok((spread, whole)) => inputs.push(Uncertain {
                    path: path[..path.len() - 1].to_vec(),
                    spread,
                    whole,
                }),
                Err((field, message)) => {
                    if let Some(field) = field {
                        path.push(Segment::Key(field.to_owned()));
                    }
                    problems.push((path.clone(), message));
                }
            }
            path.truncate(path.len() - 1);
        }
        Value::InlineTable(table) => {
            for (key, item) in table.iter() {
                path.push(Segment::Key(key.to_owned()));
                find_in_value(item, path, inputs, problems);
                path.pop();
            }
        }
        Value::Array(array) => {
            for (index, item) in array.iter().enumerate() {
                path.push(Segment::Index(index));
                find_in_value(item, path, inputs, problems);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Reads `{ dist = …, min, mode, max }`; the error names the field at fault, if one is.
fn spread(value: &Value) -> Result<(Spread, bool), (Option<&'static str>, String)> {
    let table = value.as_inline_table().ok_or((
        None,
        "must be a table: `{ dist = \"triangular\", min = 3, mode = 5, max = 7 }`".to_owned(),
    ))?;
    let mut whole = true;
    let mut number = |field: &'static str| -> Result<f64, (Option<&'static str>, String)> {
        match table.get(field) {
            Some(Value::Integer(v)) => Ok(*v.value() as f64),
            Some(Value::Float(v)) if v.value().is_finite() => {
                whole = false;
                Ok(*v.value())
            }
            Some(_) => Err((Some(field), "must be a finite number".to_owned())),
            None => Err((None, format!("needs `{field}`"))),
        }
    };
    let dist = table.get("dist").and_then(Value::as_str);
    let (spread, fields): (Spread, &[&str]) = match dist {
        Some("uniform") => {
            let (min, max) = (number("min")?, number("max")?);
            if min > max {
                return Err((Some("max"), format!("must be at least min ({min}), not {max}")));
            }
            (Spread::Uniform { min, max }, &["dist", "min", "max"])
        }
        Some("triangular") => {
            let (min, mode, max) = (number("min")?, number("mode")?, number("max")?);
            if !(min <= mode && mode <= max) {
                return Err((
                    Some("mode"),
                    format!("needs min <= mode <= max, not {min}, {mode}, {max}"),
                ));
            }
            (Spread::Triangular { min, mode, max }, &["dist", "min", "mode", "max"])
        }
        _ => {
            return Err((
                Some("dist"),
                "must be \"triangular\" (min, mode, max) or \"uniform\" (min, max)".to_owned(),
            ))
        }
    };
    if let Some((key, _)) = table.iter().find(|(key, _)| !fields.contains(key)) {
        return Err((
            None,
            format!("unknown field `{key}`, expected one of {}", fields.join(", ")),
        ));
    }
    Ok((spread, whole))
}

/// Replaces every uncertain input of `document` by its value; `names` are the inputs' fields,
/// which name their streams.
pub fn substitute(document: &mut DocumentMut, inputs: &[Uncertain], names: &[String], values: Values) {
    for (input, name) in inputs.iter().zip(names) {
        let number = input.value(name, values);
        let replacement = if input.whole && number.abs() < 9e15 {
            Value::from(number as i64)
        } else {
            Value::from(number)
        };
        set(document.as_item_mut(), &input.path, replacement);
    }
}

/// The ranges of `inputs` (named by `names`) for the audit trail and sensitivity analysis.
pub fn ranges(inputs: &[Uncertain], names: &[String]) -> Vec<InputRange> {
    inputs
        .iter()
        .zip(names)
        .map(|(input, name)| InputRange {
            name: name.clone(),
            low: input.low(),
            central: input.central(),
            high: input.high(),
        })
        .collect()
}

fn set(item: &mut Item, path: &[Segment], replacement: Value) {
    match (item, path.split_first()) {
        (Item::Value(value), _) => set_value(value, path, replacement),
        (Item::Table(table), Some(_)) => set_in_table(table, path, replacement),
        (Item::ArrayOfTables(tables), Some((Segment::Index(index), rest))) => {
            if let Some(table) = tables.get_mut(*index) {
                set_in_table(table, rest, replacement);
            }
        }
        _ => {}
    }
}

fn set_in_table(table: &mut Table, path: &[Segment], replacement: Value) {
    if let Some((Segment::Key(key), rest)) = path.split_first() {
        if let Some(child) = table.get_mut(key) {
            set(child, rest, replacement);
        }
    }
}

fn set_value(value: &mut Value, path: &[Segment], replacement: Value) {
    let Some((first, rest)) = path.split_first() else {
        let decor = value.decor().clone();
        *value = replacement;
        *value.decor_mut() = decor;
        return;
    };
    match (value, first) {
        (Value::InlineTable(table), Segment::Key(key)) => {
            if let Some(child) = table.get_mut(key) {
                set_value(child, rest, replacement);
            }
        }
        (Value::Array(array), Segment::Index(index)) => {
            if let Some(child) = array.get_mut(*index) {
                set_value(child, rest, replacement);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> Result<Uncertain, String> {
        let document: DocumentMut = format!("[service]\nx = {text}\n").parse().unwrap();
        let (mut inputs, problems) = read(&document);
        match problems.into_iter().next() {
            Some((_, message)) => Err(message),
            None => Ok(inputs.remove(0)),
        }
    }

    #[test]
    fn triangular_and_uniform_by_hand() {
        let t = input("{ uncertain = { dist = \"triangular\", min = 0.0, mode = 1.0, max = 4.0 } }").unwrap();
        assert_eq!((t.low(), t.central(), t.high()), (0.0, 1.0, 4.0));
        // F(mode) = (mode - min) / (max - min) = 1/4.
        assert!((t.quantile(0.25) - 1.0).abs() < 1e-12);
        assert_eq!(t.quantile(0.0), 0.0);
        assert_eq!(t.quantile(1.0), 4.0);
        let u = input("{ uncertain = { dist = \"uniform\", min = 10, max = 20 } }").unwrap();
        assert_eq!((u.central(), u.quantile(0.26)), (15.0, 13.0));
        let point = input("{ uncertain = { dist = \"triangular\", min = 5, mode = 5, max = 5 } }").unwrap();
        assert_eq!(point.quantile(0.3), 5.0);
    }

    #[test]
    fn malformed_inputs_are_named() {
        for (text, message) in [
            (
                "{ uncertain = { dist = \"normal\", min = 1, max = 2 } }",
                "must be \"triangular\" (min, mode, max) or \"uniform\" (min, max)",
            ),
            (
                "{ uncertain = { dist = \"uniform\", min = 3, max = 2 } }",
                "must be at least min (3), not 2",
            ),
            (
                "{ uncertain = { dist = \"triangular\", min = 1, mode = 3, max = 2 } }",
                "needs min <= mode <= max, not 1, 3, 2",
            ),
            ("{ uncertain = { dist = \"uniform\", min = 1 } }", "needs `max`"),
            (
                "{ uncertain = { dist = \"uniform\", min = 1, max = 2, mode = 1 } }",
                "unknown field `mode`, expected one of dist, min, max",
            ),
            (
                "{ uncertain = { dist = \"uniform\", min = 1, max = 2 }, p = 1 }",
                "an uncertain input is `{ uncertain = { … } }` with nothing beside `uncertain`",
            ),
        ] {
            assert_eq!(input(text).unwrap_err(), message, "{text}");
        }
    }
}
