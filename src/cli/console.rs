//! The one way to standard output and standard error. Writing never panics: a failure to write
//! results to standard output is an error (exit 1); a warning or a final message that cannot be
//! written is dropped, and the exit code still says what happened.

use std::io::Write;

use super::Failure;

/// Writes `text` to standard output and flushes it.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|error| Failure::Io(anyhow::Error::new(error).context("cannot write to standard output")))
}

/// Writes a line to standard error (a warning, a notice, a final error), if it can.
pub fn notice(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}").and_then(|()| stderr.flush());
}

/// Reports a command-line mistake clap found (exit 2), or prints the help or version it was
/// asked for (exit 0, or 1 when standard output cannot be written).
pub fn clap(error: clap::Error) -> u8 {
    let text = error.render().to_string();
    if error.use_stderr() {
        notice(text.trim_end());
        return error.exit_code() as u8;
    }
    match print(&text) {
        Ok(()) => 0,
        Err(failure) => {
            notice(&failure.message());
            failure.exit_code()
        }
    }
}

/// `text` broken at spaces into lines of at most `width` columns (a longer word stands alone),
/// the first indented as `text` is, the others by `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    // The first line keeps the text's own indentation.
    let mut line: String = text.chars().take_while(|c| *c == ' ').collect();
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        // A number keeps its unit: "91 %" never breaks.
        let word = match words.peek() {
            Some(&"%") => format!("{word} {}", words.next().expect("peeked")),
            _ => word.to_owned(),
        };
        let word = word.as_str();
        if !line.trim_start().is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line = indent.to_owned();
        } else if !line.trim_start().is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// `name` in at most `width` columns: whole if it fits, else its start and its end around `…`
/// (the end tells apart names that share a start: `hca.used.fte`, `hca.needed.fte`).
pub fn shorten(name: &str, width: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= width {
        return name.to_owned();
    }
    let head = (width - 1) / 2;
    let tail = width - 1 - head;
    chars[..head]
        .iter()
        .chain(['…'].iter())
        .chain(&chars[chars.len() - tail..])
        .collect()
}
