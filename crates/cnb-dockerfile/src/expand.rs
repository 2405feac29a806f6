//! Docker's word expansion, for the instructions Docker expands (ADD, ARG defaults, COPY,
//! ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR): single quotes are literal,
//! double quotes group and expand, the escape character makes the next character literal,
//! and `$name`, `${name}`, `${name:-word}`, `${name-word}`, `${name:+word}`, `${name+word}`,
//! `${name:?message}`, `${name?message}` substitute. Quotes and escapes are removed. RUN's
//! shell form is not expanded here: the shell does it.

use crate::error::ExpansionError;

/// How deep `${…}` may nest (as deep as `serde_json` lets JSON nest): each level is a recursion,
/// and a hostile Dockerfile must get an error, not a stack overflow.
pub(crate) const MAX_NESTING: usize = 128;

/// `word` expanded with the variables `lookup` knows (an unknown variable is unset).
pub fn expand(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ExpansionError> {
    Lexer::new(word, escape, lookup, false).until(None)
}

/// The body of a heredoc whose delimiter is not quoted, expanded as a shell expands such a
/// heredoc: `$` references substitute, quotes stay as they are, and the escape character
/// keeps only `$` and itself literal.
pub fn expand_heredoc(
    body: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ExpansionError> {
    Lexer::new(body, escape, lookup, true).until(None)
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    word: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// How many `${…}` enclose the position.
    depth: usize,
    /// Heredoc mode: quotes are plain characters.
    heredoc: bool,
}

impl<'a> Lexer<'a> {
    fn new(
        word: &'a str,
        escape: char,
        lookup: &'a dyn Fn(&str) -> Option<String>,
        heredoc: bool,
    ) -> Self {
        Self {
            chars: word.chars().collect(),
            pos: 0,
            escape,
            word,
            lookup,
            depth: 0,
            heredoc,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn unterminated(&self, missing: &'static str) -> ExpansionError {
        ExpansionError::Unterminated {
            missing,
            word: self.word.to_owned(),
        }
    }

    /// Expands up to `stop` (consumed) or the end.
    fn until(&mut self, stop: Option<char>) -> Result<String, ExpansionError> {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if Some(c) == stop {
                self.pos += 1;
                return Ok(out);
            }
            match c {
                '\'' if !self.heredoc => out.push_str(&self.single_quoted()?),
                '"' if !self.heredoc => out.push_str(&self.double_quoted()?),
                '$' => out.push_str(&self.dollar()?),
                _ if self.heredoc && c == self.escape => {
                    self.pos += 1;
                    match self.peek() {
                        Some(next) if next == '$' || next == self.escape => {
                            self.pos += 1;
                            out.push(next);
                        }
                        _ => out.push(c),
                    }
                }
                _ => {
                    self.pos += 1;
                    if c == self.escape {
                        match self.next() {
                            Some(escaped) => out.push(escaped),
                            None => break,
                        }
                    } else {
                        out.push(c);
                    }
                }
            }
        }
        match stop {
            Some(_) => Err(self.unterminated("'}'")),
            None => Ok(out),
        }
    }

    fn single_quoted(&mut self) -> Result<String, ExpansionError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.next() {
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
                None => return Err(self.unterminated("closing single quote")),
            }
        }
    }

    fn double_quoted(&mut self) -> Result<String, ExpansionError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.unterminated("closing double quote")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('$') => out.push_str(&self.dollar()?),
                Some(c) => {
                    self.pos += 1;
                    let literal = match self.peek() {
                        Some(next)
                            if c == self.escape
                                && (next == '"' || next == '$' || next == self.escape) =>
                        {
                            self.pos += 1;
                            next
                        }
                        _ => c,
                    };
                    out.push(literal);
                }
            }
        }
    }

    /// A variable's name: letters, digits and `_`; or a run of digits; or one special
    /// parameter character.
    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.pos += 1;
                }
                return name;
            }
            if name.is_empty() && "@*#?-$!".contains(c) {
                self.pos += 1;
                return c.to_string();
            }
            if !(c.is_alphanumeric() || c == '_') {
                break;
            }
            name.push(c);
            self.pos += 1;
        }
        name
    }

    fn dollar(&mut self) -> Result<String, ExpansionError> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok((self.lookup)(&name).unwrap_or_default());
        }
        self.pos += 1;
        let name = self.name();
        let value = (self.lookup)(&name);
        match self.next() {
            Some('}') => Ok(value.unwrap_or_default()),
            Some(':') => {
                let modifier = self.next();
                let word = self.nested()?;
                let empty = value.as_deref().is_none_or(str::is_empty);
                self.apply(&name, modifier, value, empty, word)
            }
            Some(modifier @ ('-' | '+' | '?')) => {
                let word = self.nested()?;
                let unset = value.is_none();
                self.apply(&name, Some(modifier), value, unset, word)
            }
            None => Err(self.unterminated("'}'")),
            Some(other) => Err(ExpansionError::Unsupported {
                form: format!("${{{name}{other}"),
                word: self.word.to_owned(),
            }),
        }
    }

    /// The word inside `${name:-…}` and the like, up to its `}`.
    fn nested(&mut self) -> Result<String, ExpansionError> {
        if self.depth == MAX_NESTING {
            return Err(ExpansionError::TooDeep {
                word: self.word.to_owned(),
            });
        }
        self.depth += 1;
        let word = self.until(Some('}'));
        self.depth -= 1;
        word
    }

    /// Applies `-`, `+` or `?` to a variable that is `missing` (unset, or with `:` also empty).
    fn apply(
        &self,
        name: &str,
        modifier: Option<char>,
        value: Option<String>,
        missing: bool,
        word: String,
    ) -> Result<String, ExpansionError> {
        match modifier {
            Some('-') if missing => Ok(word),
            Some('+') if missing => Ok(String::new()),
            Some('+') => Ok(word),
            Some('?') if missing => Err(ExpansionError::Required {
                name: name.to_owned(),
                message: if word.is_empty() {
                    "is not allowed to be unset".to_owned()
                } else {
                    word
                },
            }),
            Some('-' | '?') => Ok(value.unwrap_or_default()),
            other => Err(ExpansionError::Unsupported {
                form: format!("${{{name}:{}", other.map(String::from).unwrap_or_default()),
                word: self.word.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn vars(name: &str) -> Option<String> {
        match name {
            "set" => Some("value".to_owned()),
            "empty" => Some(String::new()),
            "dir" => Some("/opt/ext".to_owned()),
            _ => None,
        }
    }

    fn ok(word: &str) -> String {
        expand(word, '\\', &vars).unwrap()
    }

    #[test]
    fn plain_and_braced_references_substitute_and_unknown_ones_are_empty() {
        assert_eq!(ok("$set"), "value");
        assert_eq!(ok("${set}x"), "valuex");
        assert_eq!(ok("$dir/bin:$unset:end"), "/opt/ext/bin::end");
        assert_eq!(ok("cost: 5$"), "cost: 5$");
    }

    #[test]
    fn substitutions_nested_too_deep_are_an_error_not_a_stack_overflow() {
        let nested = |depth: usize| format!("{}x{}", "${unset:-".repeat(depth), "}".repeat(depth));
        assert_eq!(ok(&nested(MAX_NESTING)), "x");
        let deep = format!("\"{}\"", nested(100_000));
        assert!(matches!(
            expand(&deep, '\\', &vars),
            Err(ExpansionError::TooDeep { .. })
        ));
    }

    #[test]
    fn defaults_and_alternatives_follow_the_shell_rules() {
        assert_eq!(ok("${unset:-fallback}"), "fallback");
        assert_eq!(ok("${empty:-fallback}"), "fallback");
        assert_eq!(ok("${empty-fallback}"), "");
        assert_eq!(ok("${set:-fallback}"), "value");
        assert_eq!(ok("${set:+alt}"), "alt");
        assert_eq!(ok("${empty:+alt}"), "");
        assert_eq!(ok("${empty+alt}"), "alt");
        assert_eq!(ok("${unset:-$dir/x}"), "/opt/ext/x");
        assert_eq!(ok("${set:?}"), "value");
    }

    #[test]
    fn quotes_and_escapes_are_removed_single_quotes_do_not_expand() {
        assert_eq!(ok(r#""a $set b""#), "a value b");
        assert_eq!(ok("'a $set b'"), "a $set b");
        assert_eq!(ok(r"\$set"), "$set");
        assert_eq!(ok(r#""say \"hi\" \$set""#), r#"say "hi" $set"#);
        assert_eq!(ok(r#""keep \n""#), r"keep \n");
        assert_eq!(expand("`$set", '`', &vars).unwrap(), "$set");
    }

    #[test]
    fn heredoc_bodies_expand_references_and_keep_quotes() {
        let body = "name=\"$set\" '${dir}' \\$set \\n\n";
        assert_eq!(
            expand_heredoc(body, '\\', &vars).unwrap(),
            "name=\"value\" '/opt/ext' $set \\n\n"
        );
    }

    #[test]
    fn required_variables_and_bad_forms_are_errors() {
        assert_eq!(
            expand("${unset:?needs a value}", '\\', &vars),
            Err(ExpansionError::Required {
                name: "unset".into(),
                message: "needs a value".into()
            })
        );
        assert!(matches!(
            expand("${set", '\\', &vars),
            Err(ExpansionError::Unterminated { .. })
        ));
        assert!(matches!(
            expand("${set#pre}", '\\', &vars),
            Err(ExpansionError::Unsupported { .. })
        ));
        assert!(matches!(
            expand("'open", '\\', &vars),
            Err(ExpansionError::Unterminated { .. })
        ));
    }
}
