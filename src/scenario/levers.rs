//! Named levers: `[levers]` names the numbers commissioners move, and any value in the file may
//! refer to them as `"$name"` or in a small expression (`"$pickup_days * 5 / 3"`,
//! `"round($starts / 7 * 20.33)"`). References are replaced by their values before the file is
//! read, so the rest of the scenario layer never sees them.

use toml_edit::{DocumentMut, Item, Value};

use super::locate::Segment;
use super::walk;
use crate::model::{Lever, LeverValue};

/// A problem with a field: where, and what.
type Found = (Vec<Segment>, String);

/// The levers `document` declares, in file order, or the problems with them.
pub fn read(document: &DocumentMut) -> (Vec<Lever>, Vec<Found>) {
    let mut levers = Vec::new();
    let mut problems = Vec::new();
    let Some(table) = document.get("levers").and_then(Item::as_table_like) else {
        return (levers, problems);
    };
    for (name, lever) in table.iter() {
        let at = |field: &str| {
            let mut path = vec![Segment::Key("levers".into()), Segment::Key(name.into())];
            if !field.is_empty() {
                path.push(Segment::Key(field.into()));
            }
            path
        };
        if !name.chars().all(is_name_char) || name.is_empty() {
            problems.push((
                at(""),
                "a lever's name must be made of ASCII letters, digits and `_`".to_owned(),
            ));
            continue;
        }
        let Some(fields) = lever.as_table_like() else {
            problems.push((
                at(""),
                "must be a table: `{ value = 7, label = \"…\", unit = \"…\", min = 1, max = 14 }`".to_owned(),
            ));
            continue;
        };
        let number = |field: &str| -> Result<Option<f64>, Found> {
            match fields.get(field).and_then(Item::as_value) {
                None => Ok(None),
                Some(Value::Integer(v)) => Ok(Some(*v.value() as f64)),
                Some(Value::Float(v)) if v.value().is_finite() => Ok(Some(*v.value())),
                Some(_) => Err((at(field), "must be a finite number".to_owned())),
            }
        };
        let text = |field: &str| -> Result<Option<String>, Found> {
            match fields.get(field).and_then(Item::as_value) {
                None => Ok(None),
                Some(Value::String(v)) => Ok(Some(v.value().clone())),
                Some(_) => Err((at(field), "must be text".to_owned())),
            }
        };
        for (field, _) in fields.iter() {
            if !["value", "label", "unit", "min", "max"].contains(&field) {
                problems.push((
                    at(field),
                    format!("unknown field `{field}`, expected one of `value`, `label`, `unit`, `min`, `max`"),
                ));
            }
        }
        let value = match fields.get("value").and_then(Item::as_value) {
            Some(Value::Boolean(v)) => LeverValue::Switch(*v.value()),
            _ => match number("value") {
                Ok(Some(value)) => LeverValue::Number(value),
                _ => {
                    problems.push((
                        at("value"),
                        "needs a `value`: a finite number, or true or false".to_owned(),
                    ));
                    continue;
                }
            },
        };
        let (label, unit, min, max) = match (text("label"), text("unit"), number("min"), number("max")) {
            (Ok(label), Ok(unit), Ok(min), Ok(max)) => (label, unit, min, max),
            (label, unit, min, max) => {
                problems.extend([label.err(), unit.err(), min.err(), max.err()].into_iter().flatten());
                continue;
            }
        };
        let range = match (min, max, value) {
            (None, None, _) => None,
            (Some(min), Some(max), LeverValue::Number(_)) => {
                if min > max {
                    problems.push((at("max"), format!("must be at least min ({min}), not {max}")));
                }
                Some((min, max))
            }
            (_, _, LeverValue::Switch(_)) => {
                problems.push((at(""), "a lever that is on or off has no `min` or `max`".to_owned()));
                None
            }
            _ => {
                problems.push((at(""), "give both `min` and `max`, or neither".to_owned()));
                None
            }
        };
        levers.push(Lever {
            name: name.to_owned(),
            value,
            label,
            unit,
            range,
        });
    }
    (levers, problems)
}

/// Replaces every reference to a lever outside `[levers]` by its value; returns the problems
/// (unknown levers, expressions that do not read or give no finite number), each at its field.
pub fn substitute(document: &mut DocumentMut, levers: &[Lever]) -> Vec<Found> {
    let mut problems = Vec::new();
    walk::values_mut(document, &["levers", "variant"], &mut |value, path| {
        if value.as_str().is_some_and(|text| text.contains('$')) {
            let decor = value.decor().clone();
            match evaluate(value.as_str().expect("a string"), levers) {
                Ok(LeverValue::Switch(on)) => *value = Value::from(on),
                Ok(LeverValue::Number(number)) if number.fract() == 0.0 && number.abs() < 9e15 => {
                    *value = Value::from(number as i64)
                }
                Ok(LeverValue::Number(number)) => *value = Value::from(number),
                Err(message) => problems.push((path.to_vec(), message)),
            }
            *value.decor_mut() = decor;
        }
        true
    });
    problems
}

/// Evaluates a lever expression: `$name` alone (a number or a switch), or arithmetic on numbers
/// and numeric levers with `+ - * /`, parentheses and `round`, `floor`, `ceil`, `min`, `max`.
pub fn evaluate(text: &str, levers: &[Lever]) -> Result<LeverValue, String> {
    let bare = text
        .trim()
        .strip_prefix('$')
        .filter(|name| name.chars().all(is_name_char));
    if let Some(name) = bare {
        return lookup(name, levers);
    }
    let mut parser = Parser {
        text,
        chars: text.char_indices().peekable(),
        levers,
    };
    let value = parser.sum()?;
    parser.skip_spaces();
    if let Some((_, c)) = parser.chars.peek() {
        return Err(format!("`{text}`: unexpected `{c}`"));
    }
    if !value.is_finite() {
        return Err(format!("`{text}` gives {value}, not a finite number"));
    }
    Ok(LeverValue::Number(value))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn lookup(name: &str, levers: &[Lever]) -> Result<LeverValue, String> {
    levers
        .iter()
        .find(|lever| lever.name == name)
        .map(|lever| lever.value)
        .ok_or_else(|| {
            let names: Vec<&str> = levers.iter().map(|lever| lever.name.as_str()).collect();
            if names.is_empty() {
                format!("there is no lever `{name}`: declare it in [levers]")
            } else {
                format!("there is no lever `{name}`; the levers are {}", names.join(", "))
            }
        })
}

struct Parser<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    levers: &'a [Lever],
}

impl Parser<'_> {
    fn skip_spaces(&mut self) {
        while self.chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    }

    fn eat(&mut self, wanted: char) -> bool {
        self.skip_spaces();
        self.chars.next_if(|&(_, c)| c == wanted).is_some()
    }

    fn sum(&mut self) -> Result<f64, String> {
        let mut value = self.product()?;
        loop {
            if self.eat('+') {
                value += self.product()?;
            } else if self.eat('-') {
                value -= self.product()?;
            } else {
                return Ok(value);
            }
        }
    }

    fn product(&mut self) -> Result<f64, String> {
        let mut value = self.factor()?;
        loop {
            if self.eat('*') {
                value *= self.factor()?;
            } else if self.eat('/') {
                value /= self.factor()?;
            } else {
                return Ok(value);
            }
        }
    }

    fn factor(&mut self) -> Result<f64, String> {
        self.skip_spaces();
        if self.eat('-') {
            return Ok(-self.factor()?);
        }
        if self.eat('(') {
            let value = self.sum()?;
            return if self.eat(')') {
                Ok(value)
            } else {
                Err(format!("`{}`: a `(` is not closed", self.text))
            };
        }
        let Some(&(start, first)) = self.chars.peek() else {
            return Err(format!("`{}` ends where a number or a lever should be", self.text));
        };
        if first == '$' {
            self.chars.next();
            let name = self.word();
            return match lookup(&name, self.levers)? {
                LeverValue::Number(value) => Ok(value),
                LeverValue::Switch(_) => Err(format!(
                    "`{}`: lever `{name}` is on or off, so it can stand only alone, not in arithmetic",
                    self.text
                )),
            };
        }
        if first.is_ascii_digit() || first == '.' {
            let mut end = start;
            while let Some((i, c)) = self
                .chars
                .next_if(|&(_, c)| c.is_ascii_digit() || c == '.' || c == 'e' || c == 'E')
            {
                end = i + c.len_utf8();
            }
            let digits = &self.text[start..end];
            return digits
                .parse()
                .map_err(|_| format!("`{}`: `{digits}` is not a number", self.text));
        }
        if first.is_ascii_alphabetic() {
            let function = self.word();
            if !self.eat('(') {
                return Err(format!("`{}`: `{function}` is not a number or a `$lever`", self.text));
            }
            let mut arguments = vec![self.sum()?];
            while self.eat(',') {
                arguments.push(self.sum()?);
            }
            if !self.eat(')') {
                return Err(format!("`{}`: a `(` is not closed", self.text));
            }
            return match (function.as_str(), arguments.as_slice()) {
                ("round", [x]) => Ok(x.round()),
                ("floor", [x]) => Ok(x.floor()),
                ("ceil", [x]) => Ok(x.ceil()),
                ("min", [a, b]) => Ok(a.min(*b)),
                ("max", [a, b]) => Ok(a.max(*b)),
                _ => Err(format!(
                    "`{}`: `{function}` with {} arguments is not a function here (round, floor, ceil, min, max)",
                    self.text,
                    arguments.len()
                )),
            };
        }
        Err(format!("`{}`: unexpected `{first}`", self.text))
    }

    fn word(&mut self) -> String {
        let mut word = String::new();
        while let Some((_, c)) = self.chars.next_if(|&(_, c)| is_name_char(c)) {
            word.push(c);
        }
        word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levers() -> Vec<Lever> {
        [
            ("pickup", LeverValue::Number(3.0)),
            ("starts", LeverValue::Number(75.7)),
            ("on", LeverValue::Switch(false)),
        ]
        .map(|(name, value)| Lever {
            name: name.into(),
            value,
            label: None,
            unit: None,
            range: None,
        })
        .into()
    }

    #[test]
    fn expressions_of_levers_by_hand() {
        let value = |text: &str| evaluate(text, &levers());
        assert_eq!(value("$pickup"), Ok(LeverValue::Number(3.0)));
        assert_eq!(value(" $on "), Ok(LeverValue::Switch(false)));
        assert_eq!(value("$pickup * 5 / 3"), Ok(LeverValue::Number(5.0)));
        assert_eq!(value("round($starts / 7 * 20.33)"), Ok(LeverValue::Number(220.0)));
        assert_eq!(value("-(1 + 2) * 2e1"), Ok(LeverValue::Number(-60.0)));
        assert_eq!(value("max($pickup, 4) - min(1, 2)"), Ok(LeverValue::Number(3.0)));
        assert_eq!(
            value("$pickupp"),
            Err("there is no lever `pickupp`; the levers are pickup, starts, on".into())
        );
        assert!(value("$on + 1").unwrap_err().contains("on or off"));
        assert!(value("1 / 0").unwrap_err().contains("not a finite number"));
        assert!(value("($pickup").unwrap_err().contains("not closed"));
        assert!(value("sqrt(4)").unwrap_err().contains("not a function"));
        assert!(value("3 $pickup").unwrap_err().contains("unexpected"));
    }
}
