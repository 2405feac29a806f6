//! The identifiers the three formats need, all derived from content so that the same crates
//! give the same bytes: package URLs, SPDX element ids, a name-based UUID for a document's
//! serial number or namespace, and license strings as SPDX expressions.

use std::fmt::Write as _;

use cnb_image::Digest;

/// `s` percent-encoded as a package URL component: every byte outside `A-Z a-z 0-9 . - _ ~`
/// (so `+` in `1.2.2+spec-1.1.0` becomes `%2B`).
pub(super) fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// An SPDX element id, `SPDXRef-<kind>-<text>`, with every character SPDX refuses (anything
/// but letters, digits, `.` and `-`) replaced by `-`.
pub(super) fn spdx_id(kind: &str, text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{kind}-{text}")
}

/// A UUID (version 5 layout, RFC 9562 name-based) from the SHA-256 of `content`.
pub(super) fn uuid_of(content: &[u8]) -> String {
    let digest = Digest::of(content).hex();
    let mut bytes = [0_u8; 16];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digest[index * 2..index * 2 + 2], 16)
            .expect("a sha256 hex digest is hex");
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = bytes.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    });
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The first 16 hex digits of the SHA-256 of `text` (Syft's artifact id length).
pub(super) fn short_id(text: &str) -> String {
    Digest::of(text.as_bytes()).hex()[..16].to_owned()
}

/// A crate's `license` field as an SPDX license expression: the old `MIT/Apache-2.0` form
/// becomes `MIT OR Apache-2.0`; `None` when the text is not an expression (ids, `WITH`,
/// `AND`, `OR` and parentheses only).
pub(super) fn license_expression(license: &str) -> Option<String> {
    let expression = if license.contains('/') {
        license
            .split('/')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" OR ")
    } else {
        license.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let spaced = expression.replace('(', " ( ").replace(')', " ) ");
    let mut tokens = spaced.split_whitespace().peekable();
    tokens.peek()?;
    let valid = tokens.all(|token| {
        matches!(token, "AND" | "OR" | "WITH" | "(" | ")")
            || token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
    });
    valid.then_some(expression)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_components_encode_what_is_not_unreserved() {
        assert_eq!(purl_encode("1.2.2+spec-1.1.0"), "1.2.2%2Bspec-1.1.0");
        assert_eq!(purl_encode("serde_json"), "serde_json");
        assert_eq!(
            purl_encode("sparse+https://x/"),
            "sparse%2Bhttps%3A%2F%2Fx%2F"
        );
    }

    #[test]
    fn spdx_ids_keep_only_what_spdx_allows() {
        assert_eq!(
            spdx_id("Package", "toml@1.2.2+spec_1"),
            "SPDXRef-Package-toml-1.2.2-spec-1"
        );
    }

    #[test]
    fn uuids_are_version_5_and_follow_the_content() {
        let uuid = uuid_of(b"a");
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "5");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
        assert_eq!(uuid, uuid_of(b"a"));
        assert_ne!(uuid, uuid_of(b"b"));
    }

    #[test]
    fn licenses_become_spdx_expressions() {
        assert_eq!(
            license_expression("MIT/Apache-2.0").as_deref(),
            Some("MIT OR Apache-2.0")
        );
        assert_eq!(
            license_expression("Apache-2.0 / MIT").as_deref(),
            Some("Apache-2.0 OR MIT")
        );
        assert_eq!(
            license_expression("(MIT OR Apache-2.0) AND Unicode-3.0").as_deref(),
            Some("(MIT OR Apache-2.0) AND Unicode-3.0")
        );
        assert_eq!(
            license_expression("Apache-2.0 WITH LLVM-exception OR MIT").as_deref(),
            Some("Apache-2.0 WITH LLVM-exception OR MIT")
        );
        assert_eq!(license_expression("see LICENSE, thanks"), None);
        assert_eq!(license_expression("  "), None);
    }
}
