//! Every value of a document with its path, for the passes that rewrite values before the file
//! is read (levers, uncertain inputs).

use toml_edit::{DocumentMut, Item, Table, Value};

use super::locate::Segment;

/// Calls `visit` on every value of `document` outside the top-level tables named in `skip`, with
/// its path, depth first; `visit` returns whether to go on into the value (an inline table or an
/// array) after it.
pub fn values_mut(document: &mut DocumentMut, skip: &[&str], visit: &mut dyn FnMut(&mut Value, &[Segment]) -> bool) {
    for (key, item) in document.as_table_mut().iter_mut() {
        if skip.contains(&key.get()) {
            continue;
        }
        let mut path = vec![Segment::Key(key.get().to_owned())];
        in_item(item, &mut path, visit);
    }
}

fn in_item(item: &mut Item, path: &mut Vec<Segment>, visit: &mut dyn FnMut(&mut Value, &[Segment]) -> bool) {
    match item {
        Item::Value(value) => in_value(value, path, visit),
        Item::Table(table) => in_table(table, path, visit),
        Item::ArrayOfTables(tables) => {
            for (index, table) in tables.iter_mut().enumerate() {
                path.push(Segment::Index(index));
                in_table(table, path, visit);
                path.pop();
            }
        }
        Item::None => {}
    }
}

fn in_table(table: &mut Table, path: &mut Vec<Segment>, visit: &mut dyn FnMut(&mut Value, &[Segment]) -> bool) {
    for (key, item) in table.iter_mut() {
        path.push(Segment::Key(key.get().to_owned()));
        in_item(item, path, visit);
        path.pop();
    }
}

fn in_value(value: &mut Value, path: &mut Vec<Segment>, visit: &mut dyn FnMut(&mut Value, &[Segment]) -> bool) {
    if !visit(value, path) {
        return;
    }
    match value {
        Value::Array(array) => {
            for (index, item) in array.iter_mut().enumerate() {
                path.push(Segment::Index(index));
                in_value(item, path, visit);
                path.pop();
            }
        }
        Value::InlineTable(table) => {
            for (key, item) in table.iter_mut() {
                path.push(Segment::Key(key.get().to_owned()));
                in_value(item, path, visit);
                path.pop();
            }
        }
        _ => {}
    }
}
