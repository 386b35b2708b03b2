//! Finds where a field is in the scenario text, so errors can name the line and the field.
//!
//! Fields are named as `--set` names them: keys joined by dots, array items by their `id` (or,
//! for routes, their `to`, with `@cohort` where several go to the same place), e.g.
//! `service.ward.routes.done.p` or `service.acute.routes.home@child.p`.

use std::ops::Range;

use toml_edit::{Array, ArrayOfTables, ImDocument, InlineTable, Item, Table, Value};

/// One step of a path into the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A key of a table.
    Key(String),
    /// An item of an array (of tables or of values), counted from 0.
    Index(usize),
}

/// Builds a path from keys and indices, e.g. `path!["service", 2, "routes"]`.
macro_rules! field_path {
    ($($segment:expr),* $(,)?) => {
        vec![$($crate::scenario::locate::Segment::from($segment)),*]
    };
}
pub(crate) use field_path as path;

impl From<&str> for Segment {
    fn from(key: &str) -> Self {
        Segment::Key(key.to_owned())
    }
}

impl From<usize> for Segment {
    fn from(index: usize) -> Self {
        Segment::Index(index)
    }
}

#[derive(Clone, Copy)]
enum View<'a> {
    Table(&'a Table),
    Inline(&'a InlineTable),
    Tables(&'a ArrayOfTables),
    Array(&'a Array),
    Scalar(&'a Value),
}

impl<'a> View<'a> {
    fn of_item(item: &'a Item) -> Option<View<'a>> {
        match item {
            Item::None => None,
            Item::Table(table) => Some(View::Table(table)),
            Item::ArrayOfTables(tables) => Some(View::Tables(tables)),
            Item::Value(value) => Some(View::of_value(value)),
        }
    }

    fn of_value(value: &'a Value) -> View<'a> {
        match value {
            Value::InlineTable(table) => View::Inline(table),
            Value::Array(array) => View::Array(array),
            other => View::Scalar(other),
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            View::Table(table) => table.span(),
            View::Inline(table) => table.span(),
            View::Tables(tables) => tables.span(),
            View::Array(array) => array.span(),
            View::Scalar(value) => value.span(),
        }
    }

    /// The child at `segment`, and the span of its key where it has one.
    fn child(self, segment: &Segment) -> Option<(View<'a>, Option<Range<usize>>)> {
        match (self, segment) {
            (View::Table(table), Segment::Key(key)) => {
                Some((View::of_item(table.get(key)?)?, table.key(key).and_then(|k| k.span())))
            }
            (View::Inline(table), Segment::Key(key)) => {
                Some((View::of_value(table.get(key)?), table.key(key).and_then(|k| k.span())))
            }
            (View::Tables(tables), Segment::Index(index)) => Some((View::Table(tables.get(*index)?), None)),
            (View::Array(array), Segment::Index(index)) => Some((View::of_value(array.get(*index)?), None)),
            _ => None,
        }
    }

    /// What names each item of an array (empty for anything else).
    fn item_keys(self) -> Vec<ItemKey> {
        match self {
            View::Tables(tables) => tables
                .iter()
                .map(|t| ItemKey::of(|k| t.get(k)?.as_value().cloned()))
                .collect(),
            View::Array(array) => array
                .iter()
                .map(|v| match v.as_str() {
                    Some(text) => ItemKey {
                        id: Some(text.to_owned()),
                        ..ItemKey::default()
                    },
                    None => ItemKey::of(|k| v.as_inline_table()?.get(k).cloned()),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// What an item of an array is named by: its `id`, or its `to` and the cohorts it is open to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemKey {
    /// The item's `id`.
    pub id: Option<String>,
    /// The item's `to` (routes).
    pub to: Option<String>,
    /// The cohorts in the item's `cohort` (a string or a list).
    pub cohorts: Vec<String>,
}

impl ItemKey {
    /// Reads the key of an item from `get`, which returns the value of one of its fields.
    pub fn of(get: impl Fn(&str) -> Option<Value>) -> ItemKey {
        let text = |key: &str| get(key).and_then(|v| v.as_str().map(str::to_owned));
        let cohorts = match get("cohort") {
            Some(Value::String(one)) => vec![one.value().clone()],
            Some(Value::Array(many)) => many.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        ItemKey {
            id: text("id"),
            to: text("to"),
            cohorts,
        }
    }
}

/// How the items of an array are named in field paths and `--set`: by `id` (a string item by
/// itself); else by `to`, with
/// `@` and a cohort where several items go to the same place (the first of its cohorts no other
/// such item lists, else its first); else by position.
pub fn item_names(items: &[ItemKey]) -> Vec<String> {
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            if let Some(id) = &item.id {
                return id.clone();
            }
            let Some(to) = &item.to else {
                return index.to_string();
            };
            let others: Vec<&ItemKey> = items
                .iter()
                .enumerate()
                .filter(|(i, other)| *i != index && other.id.is_none() && other.to.as_ref() == Some(to))
                .map(|(_, other)| other)
                .collect();
            if others.is_empty() {
                return to.clone();
            }
            let distinct = item
                .cohorts
                .iter()
                .find(|c| others.iter().all(|other| !other.cohorts.contains(c)));
            match distinct.or(item.cohorts.first()) {
                Some(cohort) => format!("{to}@{cohort}"),
                None => to.clone(),
            }
        })
        .collect()
}

/// Where a path points: the 1-based line (when it can be found) and the field's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number in the text.
    pub line: Option<usize>,
    /// The field, named as `--set` would name it.
    pub field: String,
}

/// The 1-based line on which byte `offset` of `text` lies.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Locates `path` in `document` (parsed from `text`): the deepest part of the path that exists
/// gives the line, and the whole path gives the field name.
pub fn locate(document: &ImDocument<&str>, text: &str, path: &[Segment]) -> Location {
    let mut view = View::Table(document.as_table());
    let mut span = None;
    let mut field = String::new();
    let mut found = true;
    for segment in path {
        let child = if found { view.child(segment) } else { None };
        match (segment, &child) {
            (Segment::Index(index), Some(_)) => {
                let names = item_names(&view.item_keys());
                push_name(&mut field, names.get(*index).map_or(&index.to_string(), |n| n));
            }
            (Segment::Index(index), None) => push_name(&mut field, &index.to_string()),
            (Segment::Key(key), _) => push_name(&mut field, key),
        }
        match child {
            Some((child, key_span)) => {
                span = key_span.or_else(|| child.span()).or(span);
                view = child;
            }
            None => found = false,
        }
    }
    Location {
        line: span.map(|span| line_of(text, span.start)),
        field,
    }
}

fn push_name(field: &mut String, name: &str) {
    if !field.is_empty() {
        field.push('.');
    }
    field.push_str(name);
}

/// The path of the innermost field whose key or value contains byte `offset`.
pub fn path_at(document: &ImDocument<&str>, offset: usize) -> Vec<Segment> {
    let mut path = Vec::new();
    let mut view = View::Table(document.as_table());
    let contains =
        |span: Option<Range<usize>>| span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1));
    loop {
        let next = match view {
            View::Table(table) => {
                let mut inline = None;
                let mut latest_table: Option<(usize, Segment, View)> = None;
                for (key, item) in table.iter() {
                    let segment = Segment::Key(key.to_owned());
                    let Some((child, key_span)) = view.child(&segment) else {
                        continue;
                    };
                    if matches!(item, Item::ArrayOfTables(_) | Item::Table(_)) {
                        if let Some(start) = latest_header_before(child, offset) {
                            if latest_table.as_ref().is_none_or(|(best, ..)| start > *best) {
                                latest_table = Some((start, segment, child));
                            }
                        }
                    } else if inline.is_none() && (contains(key_span) || contains(child.span())) {
                        inline = Some((segment, child));
                    }
                }
                inline.or(latest_table.map(|(_, segment, child)| (segment, child)))
            }
            View::Inline(table) => table.iter().find_map(|(key, _)| {
                let segment = Segment::Key(key.to_owned());
                let (child, key_span) = view.child(&segment)?;
                (contains(key_span) || contains(child.span())).then_some((segment, child))
            }),
            View::Tables(tables) => {
                // A table of an array of tables has the span of its header only: the offset is in
                // the last one whose header starts before it.
                let index = (0..tables.len())
                    .take_while(|&i| tables.get(i).and_then(Table::span).is_some_and(|s| s.start <= offset))
                    .last();
                index.map(|i| (Segment::Index(i), View::Table(tables.get(i).expect("index in range"))))
            }
            View::Array(array) => (0..array.len()).find_map(|i| {
                let child = View::of_value(array.get(i)?);
                contains(child.span()).then_some((Segment::Index(i), child))
            }),
            View::Scalar(_) => None,
        };
        match next {
            Some((segment, child)) => {
                path.push(segment);
                view = child;
            }
            None => return path,
        }
    }
}

/// The start of the last header of a (non-inline) table or array of tables that begins at or
/// before `offset`.
fn latest_header_before(view: View, offset: usize) -> Option<usize> {
    let start_if_before = |table: &Table| table.span().map(|s| s.start).filter(|&start| start <= offset);
    match view {
        View::Tables(tables) => tables.iter().filter_map(start_if_before).max(),
        View::Table(table) => start_if_before(table),
        _ => None,
    }
}
