//! From text to logical lines, as Docker's parser reads them: parser directives at the top
//! (`# escape=`, `# syntax=`, `# check=`), comment lines dropped, an escape character at the
//! end of a line joining the next one (comment and blank lines inside a continuation
//! skipped), and for RUN, COPY and ADD the heredoc bodies their `<<WORD` markers announce.

use crate::error::Problem;
use crate::instruction::Heredoc;

/// One instruction's text and the heredoc bodies that follow it.
#[derive(Debug)]
pub(crate) struct LogicalLine {
    /// The 1-based line it starts on.
    pub line: usize,
    /// The joined text, without heredoc bodies.
    pub text: String,
    /// Heredoc bodies, in marker order.
    pub heredocs: Vec<Heredoc>,
}

/// The escape character and the logical lines of a Dockerfile.
pub(crate) struct Lines {
    pub escape: char,
    pub lines: Vec<LogicalLine>,
}

const DIRECTIVES: &[&str] = &["escape", "syntax", "check"];

/// Splits `text` into logical lines.
pub(crate) fn split(text: &str) -> Result<Lines, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: Vec<&str> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let mut escape = '\\';
    let mut directives = Directives::default();
    let mut lines = Vec::new();
    let mut index = 0;
    while index < raw.len() {
        let number = index + 1;
        let first = raw[index].trim_start();
        index += 1;
        if let Some(value) = directives.check(first, number)? {
            escape = value;
        }
        if first.starts_with('#') {
            continue;
        }
        let (mut joined, mut ended) = trim_continuation(first, escape);
        if ended && joined.is_empty() {
            continue;
        }
        while !ended && index < raw.len() {
            let next = raw[index];
            index += 1;
            let trimmed = next.trim_start();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                continue;
            }
            let (piece, piece_ended) = trim_continuation(next, escape);
            joined.push_str(&piece);
            ended = piece_ended;
        }
        if joined.trim().is_empty() {
            continue;
        }
        let mut heredocs = Vec::new();
        if takes_heredocs(&joined) {
            for marker in heredoc_markers(&joined, escape) {
                let (heredoc, next) = read_heredoc(&raw, index, &marker, number)?;
                heredocs.push(heredoc);
                index = next;
            }
        }
        lines.push(LogicalLine {
            line: number,
            text: joined,
            heredocs,
        });
    }
    Ok(Lines { escape, lines })
}

/// Parser directives: only before the first line that is not one.
#[derive(Default)]
struct Directives {
    done: bool,
    seen: Vec<String>,
}

impl Directives {
    /// Records `line` if it is a directive; returns a new escape character if it sets one.
    fn check(&mut self, line: &str, number: usize) -> Result<Option<char>, Problem> {
        if self.done {
            return Ok(None);
        }
        let Some((name, value)) = directive(line) else {
            self.done = true;
            return Ok(None);
        };
        let name = name.to_ascii_lowercase();
        if !DIRECTIVES.contains(&name.as_str()) {
            self.done = true;
            return Ok(None);
        }
        if self.seen.contains(&name) {
            return Err(Problem::RepeatedDirective { line: number, name });
        }
        self.seen.push(name.clone());
        if name != "escape" {
            return Ok(None);
        }
        match value {
            "\\" => Ok(Some('\\')),
            "`" => Ok(Some('`')),
            other => Err(Problem::InvalidEscape {
                line: number,
                value: other.to_owned(),
            }),
        }
    }
}

/// `# name = value` with a name of a letter then letters and digits.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        return None;
    }
    let (name, after) = rest.split_at(name_len);
    let value = after.trim_start().strip_prefix('=')?.trim();
    (!value.is_empty()).then_some((name, value))
}

/// `line` without a trailing escape character (and the blanks after it); `true` when the
/// line did not end in one.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) => (rest.to_owned(), false),
        None => (line.to_owned(), true),
    }
}

/// Whether the instruction of `line` is one of those that may have heredocs.
fn takes_heredocs(line: &str) -> bool {
    let keyword = line.split_whitespace().next().unwrap_or_default();
    ["RUN", "COPY", "ADD"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(keyword))
}

/// A `<<WORD` marker on an instruction line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Marker {
    pub name: String,
    pub quoted: bool,
    pub strip_tabs: bool,
}

/// The heredoc markers of `line`, outside quotes, in order (`<<<` is not one).
pub(crate) fn heredoc_markers(line: &str, escape: char) -> Vec<Marker> {
    let chars: Vec<char> = line.chars().collect();
    let mut markers = Vec::new();
    let mut quote = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') | None if c == escape => i += 1,
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '<' && chars.get(i + 1) == Some(&'<') => {
                if chars.get(i + 2) == Some(&'<') {
                    i += 3;
                    continue;
                }
                if let Some((marker, end)) = marker_at(&chars, i + 2) {
                    markers.push(marker);
                    i = end;
                    continue;
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    markers
}

/// The marker whose `-`, quote or name starts at `start`, and the index after it.
fn marker_at(chars: &[char], start: usize) -> Option<(Marker, usize)> {
    let mut i = start;
    let strip_tabs = chars.get(i) == Some(&'-');
    if strip_tabs {
        i += 1;
    }
    let quote = chars.get(i).copied().filter(|c| *c == '"' || *c == '\'');
    if quote.is_some() {
        i += 1;
    }
    let name_start = i;
    while i < chars.len() && (chars[i].is_alphanumeric() || "_-.".contains(chars[i])) {
        i += 1;
    }
    if i == name_start {
        return None;
    }
    let name: String = chars[name_start..i].iter().collect();
    if let Some(q) = quote {
        if chars.get(i) != Some(&q) {
            return None;
        }
        i += 1;
    }
    Some((
        Marker {
            name,
            quoted: quote.is_some(),
            strip_tabs,
        },
        i,
    ))
}

/// Whether `line` is nothing but one heredoc marker (`<<EOF`, `<<-"EOF"`, …).
pub(crate) fn is_only_heredoc_marker(line: &str) -> bool {
    let trimmed = line.trim();
    let Some(rest) = trimmed.strip_prefix("<<") else {
        return false;
    };
    let chars: Vec<char> = rest.chars().collect();
    marker_at(&chars, 0).is_some_and(|(_, end)| end == chars.len())
}

/// The body of `marker` from raw line `start` on, and the index after its terminator.
fn read_heredoc(
    raw: &[&str],
    start: usize,
    marker: &Marker,
    opened_on: usize,
) -> Result<(Heredoc, usize), Problem> {
    let mut body = String::new();
    for (index, line) in raw.iter().enumerate().skip(start) {
        let line = if marker.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if line == marker.name {
            let heredoc = Heredoc {
                name: marker.name.clone(),
                body,
                expand: !marker.quoted,
            };
            return Ok((heredoc, index + 1));
        }
        body.push_str(line);
        body.push('\n');
    }
    Err(Problem::UnterminatedHeredoc {
        line: opened_on,
        delimiter: marker.name.clone(),
    })
}
