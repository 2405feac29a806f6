//! Splitting an instruction's arguments the ways Docker's parser does: into words that keep
//! their quotes (ENV, LABEL, ARG), on blanks (FROM, EXPOSE, shell-form COPY), as a JSON array
//! of strings (exec form), and the `--flag[=value]` words in front.

use crate::instruction::{Flag, KeyValue};

/// The blanks Docker splits on (`[\t\v\f\r ]`).
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}' | '\r')
}

/// `rest` split on runs of blanks, empty pieces dropped.
pub(crate) fn blank_separated(rest: &str) -> Vec<String> {
    rest.split(is_blank)
        .filter(|piece| !piece.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `rest` split into words on whitespace outside quotes; quotes and escapes stay in the words
/// (expansion removes them). An escape character at the very end is dropped.
pub(crate) fn quoted_words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut quoted = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let last = i + 1 == chars.len();
        match quote {
            None if c.is_whitespace() => {
                if in_word && (quoted || !word.is_empty()) {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                in_word = false;
                quoted = false;
            }
            None => {
                in_word = true;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    quoted = true;
                    word.push(c);
                } else if c == escape {
                    if !last {
                        word.push(c);
                        word.push(chars[i + 1]);
                        i += 1;
                    }
                } else {
                    word.push(c);
                }
            }
            Some(q) => {
                if c == escape && q != '\'' {
                    if !last {
                        word.push(c);
                        word.push(chars[i + 1]);
                        i += 1;
                    }
                } else {
                    if c == q {
                        quote = None;
                    }
                    word.push(c);
                }
            }
        }
        i += 1;
    }
    if in_word && (quoted || !word.is_empty()) {
        words.push(word);
    }
    words
}

/// The ways `NAME=value …` arguments can be wrong.
pub(crate) enum NameValueError {
    /// Legacy form with a name and no value.
    NoValue,
    /// A word without `=` in the `name=value` form.
    NoEquals,
}

/// ENV and LABEL arguments: `k=v …` (words with quotes), or the legacy `k v` where the
/// value is the rest of the line.
pub(crate) fn name_values(rest: &str, escape: char) -> Result<Vec<KeyValue>, NameValueError> {
    let words = quoted_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        let trimmed = rest.trim_start_matches(is_blank);
        let Some(at) = trimmed.find(is_blank) else {
            return Err(NameValueError::NoValue);
        };
        let value = trimmed[at..].trim_start_matches(is_blank);
        return Ok(vec![KeyValue {
            key: trimmed[..at].to_owned(),
            value: value.to_owned(),
        }]);
    }
    words
        .iter()
        .map(|word| {
            let (key, value) = word.split_once('=').ok_or(NameValueError::NoEquals)?;
            Ok(KeyValue {
                key: key.to_owned(),
                value: value.to_owned(),
            })
        })
        .collect()
}

/// The outcome of reading arguments as a JSON array.
pub(crate) enum Json {
    /// A JSON array of strings.
    Strings(Vec<String>),
    /// Not a JSON array: the shell form applies.
    Shell,
    /// A JSON array with something other than strings in it.
    NotStrings,
}

/// `rest` as a JSON array of strings, if it is one.
pub(crate) fn json_array(rest: &str) -> Json {
    let trimmed = rest.trim_start();
    if !trimmed.starts_with('[') {
        return Json::Shell;
    }
    let Ok(values) = serde_json::from_str::<Vec<serde_json::Value>>(trimmed) else {
        return Json::Shell;
    };
    values
        .into_iter()
        .map(|value| match value {
            serde_json::Value::String(text) => Some(text),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .map_or(Json::NotStrings, Json::Strings)
}

/// The `--flag[=value]` words at the start of `rest`, and what follows them. A word `--`
/// ends the flags.
pub(crate) fn leading_flags(rest: &str) -> (Vec<Flag>, &str) {
    let mut flags = Vec::new();
    let mut remaining = rest.trim_start();
    while let Some(after_dashes) = remaining.strip_prefix("--") {
        let end = word_end(remaining);
        let word = &after_dashes[..end - 2];
        remaining = remaining[end..].trim_start();
        if word.is_empty() {
            break;
        }
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(unquote(value))),
            None => (word, None),
        };
        flags.push(Flag {
            name: name.to_owned(),
            value,
        });
    }
    (flags, remaining)
}

/// The byte index where the word at the start of `text` ends (blanks inside quotes kept).
fn word_end(text: &str) -> usize {
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => return i,
            _ => {}
        }
    }
    text.len()
}

/// `value` without one pair of surrounding quotes.
fn unquote(value: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn quoted_words_keep_quotes_and_escapes_and_split_outside_them() {
        assert_eq!(
            quoted_words(r#"A="a b" B='c d' C=e\ f D="""#, '\\'),
            vec![r#"A="a b""#, "B='c d'", r"C=e\ f", r#"D="""#]
        );
        assert_eq!(quoted_words("  x   y ", '\\'), vec!["x", "y"]);
        assert_eq!(quoted_words(r"x\", '\\'), vec!["x"]);
    }

    #[test]
    fn name_values_read_both_forms() {
        let pairs = |rest| {
            name_values(rest, '\\')
                .ok()
                .unwrap()
                .into_iter()
                .map(|kv| (kv.key, kv.value))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            pairs(r#"A=1 B="two words""#),
            vec![
                ("A".into(), "1".into()),
                ("B".into(), r#""two words""#.into())
            ]
        );
        assert_eq!(
            pairs("PATH /usr/bin:/bin  extra"),
            vec![("PATH".into(), "/usr/bin:/bin  extra".into())]
        );
        assert!(matches!(
            name_values("A=1 B", '\\'),
            Err(NameValueError::NoEquals)
        ));
        assert!(matches!(
            name_values("ALONE", '\\'),
            Err(NameValueError::NoValue)
        ));
    }

    #[test]
    fn json_arrays_of_strings_are_exec_form_and_anything_else_is_shell_form() {
        assert!(matches!(json_array(r#" ["a", "b c"]"#), Json::Strings(v) if v == ["a", "b c"]));
        assert!(matches!(json_array("[not json"), Json::Shell));
        assert!(matches!(json_array("echo [x]"), Json::Shell));
        assert!(matches!(json_array(r#"["a", 1]"#), Json::NotStrings));
    }

    #[test]
    fn leading_flags_stop_at_the_first_other_word() {
        let (flags, rest) = leading_flags("--chown=1000:1000 --link --chmod=\"0755\" src dst");
        assert_eq!(
            flags,
            vec![
                Flag {
                    name: "chown".into(),
                    value: Some("1000:1000".into())
                },
                Flag {
                    name: "link".into(),
                    value: None
                },
                Flag {
                    name: "chmod".into(),
                    value: Some("0755".into())
                },
            ]
        );
        assert_eq!(rest, "src dst");
        let (flags, rest) = leading_flags("-- --not-a-flag");
        assert!(flags.is_empty());
        assert_eq!(rest, "--not-a-flag");
    }
}
