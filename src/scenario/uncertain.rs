//! Uncertain inputs: any number of the file may be `{ uncertain = { dist = "triangular", min = 3,
//! mode = 5, max = 7 } }` or `{ uncertain = { dist = "uniform", min = 3, max = 7 } }`. Each is
//! replaced by a number before the levers are resolved and the file is read: its central value
//! (the mode, or the middle of a uniform range), or a value drawn for one replication from a
//! stream of its own, named by the input's field.

use rand::Rng as _;
use toml_edit::{DocumentMut, Value};

use super::locate::Segment;
use super::walk;
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
struct Uncertain {
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

    /// The value at cumulative probability `u` (inverse of the distribution function). A whole
    /// uniform input is equally likely to be each whole number of its range; a whole triangular
    /// one is the continuous value rounded.
    fn quantile(&self, u: f64) -> f64 {
        let value = match self.spread {
            Spread::Uniform { min, max } if self.whole => (min + ((max - min + 1.0) * u).floor()).min(max),
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

/// Replaces every uncertain input of `document` (outside `[[variant]]`) by its value under
/// `values`; `name` gives the field at a path, as `--set` names it, which names the input's stream.
/// Returns each input's range, or the problems with them.
pub fn resolve(
    document: &mut DocumentMut,
    name: &dyn Fn(&[Segment]) -> String,
    values: Values,
) -> (Vec<InputRange>, Vec<Found>) {
    let mut ranges = Vec::new();
    let mut problems = Vec::new();
    walk::values_mut(document, &["variant"], &mut |value, path| {
        let Some(table) = value.as_inline_table().filter(|t| t.contains_key("uncertain")) else {
            return true;
        };
        let at = |field: Option<&str>| {
            let mut at = path.to_vec();
            at.extend(field.map(|f| Segment::Key(f.to_owned())));
            at
        };
        if matches!(path.first(), Some(Segment::Key(section)) if section == "simulation") {
            problems.push((
                at(None),
                "how the run is set up cannot be uncertain; give a number".to_owned(),
            ));
            return false;
        }
        if table.len() != 1 {
            problems.push((
                at(None),
                "an uncertain input is `{ uncertain = { … } }` with nothing beside `uncertain`".to_owned(),
            ));
            return false;
        }
        let input = match spread(table.get("uncertain").expect("checked")) {
            Ok((spread, whole)) => Uncertain { spread, whole },
            Err((field, message)) => {
                let mut at = at(Some("uncertain"));
                at.extend(field.map(|f| Segment::Key(f.to_owned())));
                problems.push((at, message));
                return false;
            }
        };
        let field = name(path);
        let number = input.value(&field, values);
        let decor = value.decor().clone();
        *value = if input.whole && number.abs() < 9e15 {
            Value::from(number as i64)
        } else {
            Value::from(number)
        };
        *value.decor_mut() = decor;
        ranges.push(InputRange {
            name: field,
            low: input.low(),
            central: input.central(),
            high: input.high(),
        });
        false
    });
    (ranges, problems)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The input `text` as the value of `service.x`, or the first problem with it.
    fn input(text: &str) -> Result<Uncertain, String> {
        let mut document: DocumentMut = format!("[service]\nx = {text}\n").parse().unwrap();
        let original = document.clone();
        let (_, problems) = resolve(&mut document, &|_| "service.x".to_owned(), Values::Central);
        if let Some((_, message)) = problems.into_iter().next() {
            return Err(message);
        }
        let table = original["service"]["x"].as_value().unwrap().as_inline_table().unwrap();
        let (spread, whole) = spread(table.get("uncertain").unwrap()).unwrap();
        Ok(Uncertain { spread, whole })
    }

    #[test]
    fn triangular_and_uniform_by_hand() {
        let t = input("{ uncertain = { dist = \"triangular\", min = 0.0, mode = 1.0, max = 4.0 } }").unwrap();
        assert_eq!((t.low(), t.central(), t.high()), (0.0, 1.0, 4.0));
        // F(mode) = (mode - min) / (max - min) = 1/4.
        assert!((t.quantile(0.25) - 1.0).abs() < 1e-12);
        assert_eq!(t.quantile(0.0), 0.0);
        assert_eq!(t.quantile(1.0), 4.0);
        let u = input("{ uncertain = { dist = \"uniform\", min = 10.0, max = 20.0 } }").unwrap();
        assert_eq!((u.central(), u.quantile(0.26)), (15.0, 12.6));
        // Whole numbers 3, 4 and 5 a third each.
        let whole = input("{ uncertain = { dist = \"uniform\", min = 3, max = 5 } }").unwrap();
        let values: Vec<f64> = [0.0, 0.33, 0.34, 0.66, 0.67, 0.999, 1.0]
            .map(|u| whole.quantile(u))
            .to_vec();
        assert_eq!(values, [3.0, 3.0, 4.0, 4.0, 5.0, 5.0, 5.0]);
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
