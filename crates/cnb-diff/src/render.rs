//! How values appear in difference lines: short digests, quoted and shortened strings,
//! compact JSON, sizes and times. Every line is one line: control characters are escaped.

use cnb_image::Digest;
use serde_json::Value;

/// Longest value shown whole; longer ones are cut, with `…`.
const MAX_VALUE: usize = 60;
/// A JSON value for a line: a digest string as a short digest, other strings quoted (JSON
/// escapes), arrays and objects as compact JSON; anything longer than 60 characters cut.
pub(crate) fn value(value: &Value) -> String {
    if let Value::String(text) = value
        && let Ok(digest) = text.parse::<Digest>()
    {
        return digest.short();
    }
    cut(&value.to_string())
}

/// The two sides of a difference, `A vs B`; when both are cut to the same text, where they
/// part instead.
pub(crate) fn pair(first: &Value, second: &Value) -> String {
    let (a, b) = (value(first), value(second));
    if a != b {
        return format!("{a} vs {b}");
    }
    let (a, b) = (first.to_string(), second.to_string());
    let same = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    format!(
        "differ after {same} characters ({} vs {} characters)",
        a.chars().count(),
        b.chars().count()
    )
}

/// `text` shortened to 60 characters, with `…` when cut.
pub(crate) fn cut(text: &str) -> String {
    let escaped = one_line(text);
    if escaped.chars().count() <= MAX_VALUE {
        return escaped;
    }
    let mut short: String = escaped.chars().take(MAX_VALUE - 1).collect();
    short.push('…');
    short
}

/// `text` with control characters escaped, so that a line stays one line.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A size in bytes as people read it: `12 B`, `3.4 KiB`, `1.0 MiB`, `2.5 GiB`.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut scaled = bytes;
    let mut unit = 0;
    while scaled >= 1024 * 1024 && unit + 1 < UNITS.len() {
        scaled /= 1024;
        unit += 1;
    }
    // one decimal, from integers (no float rounding)
    let tenths = scaled * 10 / 1024;
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// Seconds since the epoch as an RFC 3339 UTC time.
pub(crate) fn time(seconds: u64) -> String {
    i64::try_from(seconds).map_or_else(|_| format!("{seconds}s"), cnb_image::rfc3339_utc)
}

/// Bytes of a tar name or link target, as text.
pub(crate) fn bytes(raw: &[u8]) -> String {
    one_line(&String::from_utf8_lossy(raw))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_short_and_on_one_line() {
        let digest = Digest::of(b"x");
        assert_eq!(
            value(&json!(digest.to_string())),
            format!("sha256:{}", &digest.hex()[..12])
        );
        assert_eq!(value(&json!("a\nb")), "\"a\\nb\"");
        assert_eq!(
            value(&json!(["/cnb/process/web"])),
            "[\"/cnb/process/web\"]"
        );
        let long = "x".repeat(100);
        let shown = value(&json!(long));
        assert_eq!(shown.chars().count(), 60);
        assert!(shown.ends_with('…'));
        assert_eq!(one_line("tab\there"), "tab\\there");
    }

    #[test]
    fn long_values_that_look_alike_say_where_they_part() {
        let a = json!(format!("{}a", "x".repeat(100)));
        let b = json!(format!("{}b", "x".repeat(100)));
        assert_eq!(
            pair(&a, &b),
            "differ after 101 characters (103 vs 103 characters)"
        );
        assert_eq!(pair(&json!(1), &json!(2)), "1 vs 2");
    }

    #[test]
    fn sizes_and_times_read_as_people_write_them() {
        assert_eq!(size(12), "12 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(1024 * 1024), "1.0 MiB");
        assert_eq!(size(5 * 1024 * 1024 * 1024 / 2), "2.5 GiB");
        assert_eq!(time(315_532_801), "1980-01-01T00:00:01Z");
    }
}
