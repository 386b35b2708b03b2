//! What a scenario's comments say of its inputs: the opening comment (what the scenario is for)
//! and each value's trailing comment (where the number comes from, or that it is an assumption),
//! for the methods section of the report.

/// A scenario's comments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notes {
    /// The comment lines before the first table or value, joined into paragraphs.
    pub preamble: String,
    /// Each commented input, in file order.
    pub inputs: Vec<Commented>,
}

/// An input and its trailing comment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Commented {
    /// The input's place: the table (an array item named by its `id`) and key, `service.acute.duration`.
    pub input: String,
    /// The value as written on its line (the first line of a value spread over several).
    pub value: String,
    /// The comment, with the comment lines continuing it below.
    pub comment: String,
}

impl Commented {
    /// Whether the comment says the value is an assumption (`[ASSUMPTION…]`).
    pub fn is_assumption(&self) -> bool {
        self.comment.contains("[ASSUMPTION")
    }

    /// Whether the comment cites a source other than an assumption (`[BRIEF]`, `[DTOC]`, …).
    pub fn cites_source(&self) -> bool {
        self.comment.match_indices('[').any(|(at, _)| {
            let tag: String = self.comment[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '-' || c.is_ascii_digit())
                .collect();
            tag.len() >= 3 && tag != "ASSUMPTION"
        })
    }
}

/// The comments of scenario `text`. A line-by-line reading, so that it works on any text the
/// scenario parser accepted, however it was laid out.
pub fn notes(text: &str) -> Notes {
    let mut notes = Notes::default();
    let mut lines = text.lines().peekable();
    let mut preamble = Vec::new();
    while let Some(line) = lines.next_if(|line| line.trim_start().starts_with('#') || line.trim().is_empty()) {
        preamble.push(line.trim_start().trim_start_matches('#').trim());
    }
    notes.preamble = paragraphs(&preamble);
    let mut table = String::new();
    let mut array_item = false;
    let mut last: Option<usize> = None;
    let mut last_column = 0;
    for line in lines {
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let column = line.len() - trimmed.len();
            match last {
                Some(k) if column >= last_column && column > 0 => {
                    let comment = comment.trim();
                    notes.inputs[k].comment.push(' ');
                    notes.inputs[k].comment.push_str(comment);
                }
                _ => last = None,
            }
            continue;
        }
        last = None;
        let (code, comment) = split_comment(line);
        let code = code.trim();
        if let Some(header) = code.strip_prefix("[[").and_then(|h| h.strip_suffix("]]")) {
            table = header.trim().to_owned();
            array_item = true;
        } else if let Some(header) = code.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            table = header.trim().to_owned();
            array_item = false;
        }
        let key_value = code.split_once('=').filter(|_| !code.starts_with('['));
        if let Some((key, value)) = key_value {
            let key = key.trim();
            if array_item && key == "id" {
                table = format!(
                    "{}.{}",
                    table.split('.').next().unwrap_or_default(),
                    value.trim().trim_matches('"')
                );
            }
        }
        let Some((comment, column)) = comment else {
            continue;
        };
        let (input, value) = match key_value {
            Some((key, value)) => (join(&table, key.trim()), value.trim().to_owned()),
            None => (table.clone(), String::new()),
        };
        notes.inputs.push(Commented {
            input,
            value,
            comment: comment.to_owned(),
        });
        last = Some(notes.inputs.len() - 1);
        last_column = column;
    }
    notes
}

fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_owned()
    } else {
        format!("{table}.{key}")
    }
}

/// A line's code and its trailing comment with the comment's column, ignoring `#` inside strings.
fn split_comment(line: &str) -> (&str, Option<(&str, usize)>) {
    let mut quote = None;
    for (at, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') => return (&line[..at], Some((line[at + 1..].trim(), at))),
            _ => {}
        }
    }
    (line, None)
}

/// Comment lines as paragraphs: lines joined by spaces, a blank line between paragraphs.
fn paragraphs(lines: &[&str]) -> String {
    lines
        .split(|line| line.is_empty())
        .filter(|paragraph| !paragraph.is_empty())
        .map(|paragraph| paragraph.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_of_inputs() {
        let text = "# A ward.\n# Two lines.\n#\n# Sources: [BRIEF].\n\n[simulation]\nname = \"x#y\"  # not a source\nwarmup_days = 30   # [ASSUMPTION] long enough\n                   # to fill the ward\n[[service]]        # [PARAM] §4\nid = \"ward\"\ncapacity = 10      # [BRIEF] beds\n";
        let notes = notes(text);
        assert_eq!(notes.preamble, "A ward. Two lines.\n\nSources: [BRIEF].");
        let found: Vec<(&str, &str, &str, bool, bool)> = notes
            .inputs
            .iter()
            .map(|n| {
                (
                    n.input.as_str(),
                    n.value.as_str(),
                    n.comment.as_str(),
                    n.is_assumption(),
                    n.cites_source(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("simulation.name", "\"x#y\"", "not a source", false, false),
                (
                    "simulation.warmup_days",
                    "30",
                    "[ASSUMPTION] long enough to fill the ward",
                    true,
                    false
                ),
                ("service", "", "[PARAM] §4", false, true),
                ("service.ward.capacity", "10", "[BRIEF] beds", false, true),
            ]
        );
    }
}
