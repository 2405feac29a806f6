//! Shell patterns as Go's `filepath.Match` reads them on Unix: `*` is any run of characters
//! other than `/`, `?` one such character, `[…]` a class (`^` negates, `a-z` ranges, `\`
//! escapes) and `\` makes the next character literal. `**` is no different from `*`: it never
//! crosses a `/`.

/// A pattern that Go would reject with `filepath.ErrBadPattern`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadPattern;

/// Whether `name` matches `pattern` in full. `name` is a file name as the file system gave
/// it: as in Go, each byte that is not part of valid UTF-8 reads as one U+FFFD.
pub(crate) fn matches(pattern: &str, name: &[u8]) -> Result<bool, BadPattern> {
    let pattern: Vec<char> = pattern.chars().collect();
    validate(&pattern)?;
    Ok(match_from(&pattern, &go_runes(name)))
}

/// `bytes` as Go's `utf8.DecodeRuneInString` steps through them: valid UTF-8 as its
/// characters, every other byte as one `U+FFFD`.
fn go_runes(bytes: &[u8]) -> Vec<char> {
    let mut runes = Vec::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        runes.extend(chunk.valid().chars());
        runes.extend(chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER));
    }
    runes
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    let Some((&first, rest)) = pattern.split_first() else {
        return name.is_empty();
    };
    match first {
        '*' => {
            // Try every split of `name` that stays within one path element.
            let mut taken = 0;
            loop {
                if match_from(rest, &name[taken..]) {
                    return true;
                }
                if taken == name.len() || name[taken] == '/' {
                    return false;
                }
                taken += 1;
            }
        }
        '?' => name
            .split_first()
            .is_some_and(|(&ch, tail)| ch != '/' && match_from(rest, tail)),
        '[' => {
            let Some((&ch, tail)) = name.split_first() else {
                return false;
            };
            let (matched, after) = match_class(rest, ch);
            ch != '/' && matched && match_from(after, tail)
        }
        '\\' => match rest.split_first() {
            Some((&literal, after)) => name
                .split_first()
                .is_some_and(|(&ch, tail)| ch == literal && match_from(after, tail)),
            None => false,
        },
        literal => name
            .split_first()
            .is_some_and(|(&ch, tail)| ch == literal && match_from(rest, tail)),
    }
}

/// Matches `ch` against the class whose body starts at `class` (after `[`); returns whether
/// it matched and the pattern after the closing `]`. The pattern was validated.
fn match_class(class: &[char], ch: char) -> (bool, &[char]) {
    let (negated, mut rest) = match class.split_first() {
        Some(('^', tail)) => (true, tail),
        _ => (false, class),
    };
    let mut matched = false;
    let mut first = true;
    loop {
        match rest {
            [']', tail @ ..] if !first => return (matched != negated, tail),
            _ => {}
        }
        first = false;
        let (low, tail) = class_char(rest);
        rest = tail;
        let mut high = low;
        if let ['-', tail @ ..] = rest
            && tail.first() != Some(&']')
        {
            let (end, tail) = class_char(tail);
            high = end;
            rest = tail;
        }
        if low <= ch && ch <= high {
            matched = true;
        }
    }
}

fn class_char(rest: &[char]) -> (char, &[char]) {
    match rest {
        ['\\', ch, tail @ ..] | [ch, tail @ ..] => (*ch, tail),
        [] => ('\0', rest),
    }
}

/// Rejects what Go rejects: an unterminated class, an empty class, a range or escape cut
/// short, and a trailing `\`.
fn validate(pattern: &[char]) -> Result<(), BadPattern> {
    let mut index = 0;
    while index < pattern.len() {
        match pattern[index] {
            '\\' => {
                if index + 1 >= pattern.len() {
                    return Err(BadPattern);
                }
                index += 2;
            }
            '[' => index = validate_class(pattern, index + 1)?,
            _ => index += 1,
        }
    }
    Ok(())
}

/// Checks the class body starting at `start`; returns the index after its `]`.
fn validate_class(pattern: &[char], start: usize) -> Result<usize, BadPattern> {
    let mut index = start;
    if pattern.get(index) == Some(&'^') {
        index += 1;
    }
    let mut first = true;
    loop {
        match pattern.get(index) {
            None => return Err(BadPattern),
            Some(']') if !first => return Ok(index + 1),
            Some(']' | '-') if first => return Err(BadPattern),
            _ => {}
        }
        first = false;
        index = validate_class_char(pattern, index)?;
        if pattern.get(index) == Some(&'-') {
            index = validate_class_char(pattern, index + 1)?;
        }
    }
}

fn validate_class_char(pattern: &[char], index: usize) -> Result<usize, BadPattern> {
    match pattern.get(index) {
        Some('\\') if index + 1 < pattern.len() => Ok(index + 2),
        None | Some('-' | ']' | '\\') => Err(BadPattern),
        Some(_) => Ok(index + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yes(pattern: &str, name: &str) {
        assert_eq!(
            matches(pattern, name.as_bytes()),
            Ok(true),
            "{pattern} ~ {name}"
        );
    }

    fn no(pattern: &str, name: &str) {
        assert_eq!(
            matches(pattern, name.as_bytes()),
            Ok(false),
            "{pattern} !~ {name}"
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_read_as_one_replacement_character_each() {
        assert_eq!(matches("caf?", b"caf\xe9"), Ok(true));
        assert_eq!(matches("caf?", b"caf\xe2\x82"), Ok(false));
        assert_eq!(matches("caf??", b"caf\xe2\x82"), Ok(true));
        assert_eq!(matches("*", b"\xff\xfe"), Ok(true));
        assert_eq!(matches("caf\u{e9}", b"caf\xc3\xa9"), Ok(true));
        assert_eq!(matches("caf\u{e9}", b"caf\xe9"), Ok(false));
    }

    #[test]
    fn stars_and_questions_stay_within_one_element() {
        yes("*.txt", "a.txt");
        no("*.txt", "dir/a.txt");
        yes("**/*.txt", "dir/a.txt");
        no("**/*.txt", "dir/sub/a.txt");
        yes("a*b", "ab");
        yes("a*b*c", "axxbyyc");
        no("a*", "a/b");
        yes("?", "x");
        no("?", "/");
        no("?", "");
        yes("dir/*", "dir/file");
    }

    #[test]
    fn classes_ranges_negation_and_escapes() {
        yes("target-di[r]", "target-dir");
        no("target-di[r]", "target-di[r]");
        yes("[a-c]x", "bx");
        no("[a-c]x", "dx");
        yes("[^a-c]x", "dx");
        no("[^a-c]x", "ax");
        yes("[\\]]", "]");
        yes("\\*", "*");
        no("\\*", "x");
        no("[!]", "x");
    }

    #[test]
    fn bad_patterns_are_errors_as_in_go() {
        for pattern in ["[", "[]", "[a-", "\\", "a[", "[-a]", "[^]"] {
            assert_eq!(matches(pattern, b"a"), Err(BadPattern), "{pattern}");
        }
    }
}
