//! Go's scalar syntaxes, as the `flag` and `strconv`/`time` packages accept them.

use std::time::Duration;

/// Go `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go `strconv.ParseInt(s, 0, 64)`: an optional sign, then decimal, `0x` hex, `0o`/`0` octal or
/// `0b` binary digits; underscores are allowed between digits only after a base prefix.
pub fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest.to_owned(), true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest.to_owned(), true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest.to_owned(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_owned(), true)
    } else {
        (10, lower, false)
    };
    // An underscore may follow the base prefix, and otherwise only sit between two digits.
    let digits = if prefixed {
        digits.strip_prefix('_').unwrap_or(&digits).to_owned()
    } else {
        digits
    };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    if digits.contains("__") || (!prefixed && digits.contains('_')) {
        return None;
    }
    let magnitude = i128::from_str_radix(&digits.replace('_', ""), radix).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// Go `time.ParseDuration`: a sequence of decimal numbers with units (`ns`, `us`, `µs`, `ms`,
/// `s`, `m`, `h`), e.g. `336h` or `1h30m`; `0` alone is allowed. Negative durations parse as
/// zero, since nothing here can use one.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(Duration::ZERO);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit: f64 = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_nanos += value * nanos_per_unit;
    }
    if negative {
        return Some(Duration::ZERO);
    }
    Duration::try_from_secs_f64(total_nanos / 1e9).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_follow_strconv() {
        for text in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(text), Some(true), "{text}");
        }
        for text in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(text), Some(false), "{text}");
        }
        for text in ["", "yes", "tRuE", "2"] {
            assert_eq!(parse_bool(text), None, "{text}");
        }
    }

    #[test]
    fn ints_follow_strconv_base_zero() {
        assert_eq!(parse_int("1000"), Some(1000));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("+3"), Some(3));
        assert_eq!(parse_int("0x10"), Some(16));
        assert_eq!(parse_int("010"), Some(8));
        assert_eq!(parse_int("0b101"), Some(5));
        assert_eq!(parse_int("0x_1_0"), Some(16));
        assert_eq!(parse_int("0"), Some(0));
        for text in ["", "abc", "1_000", "0x", "1.5", "99999999999999999999"] {
            assert_eq!(parse_int(text), None, "{text}");
        }
    }

    #[test]
    fn durations_follow_time_parse_duration() {
        assert_eq!(parse_duration("336h"), Some(Duration::from_hours(336)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_mins(90)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("300ms"), Some(Duration::from_millis(300)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        for text in ["", "10", "h", "1x", "1..5s", "-"] {
            assert_eq!(parse_duration(text), None, "{text}");
        }
    }
}
