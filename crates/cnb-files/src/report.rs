//! `report.toml`, written by the exporter and the rebaser. Platforms scrape it as text
//! (`grep digest | cut -d'"' -f2`, `awk '/tags/'`), so it is written by hand in Go's exact
//! shape: `[image]` with `tags` on one line, then `image-id`, `digest` and `manifest-size`
//! (an integer) only when set, and `[build]` only when it has a bill of materials.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::bom::BomEntry;
use crate::{Error, Result, TomlFile};

/// `report.toml`. The rebaser's report is the same without `build`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `[build]`: the legacy build BOM (Platform API < 0.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildReport>,
    /// `[image]`.
    #[serde(default)]
    pub image: ImageReport,
}

/// `[build]`: `[[build.bom]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildReport {
    /// `[[build.bom]]`.
    #[serde(default)]
    pub bom: Vec<BomEntry>,
}

/// `[image]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageReport {
    /// `tags`: the tag references actually saved.
    #[serde(default)]
    pub tags: Vec<String>,
    /// `image-id`: set when exporting to a daemon.
    #[serde(rename = "image-id", default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    /// `digest`: set when exporting to a registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `manifest-size`: bytes, set with `digest` (an integer, as Go writes it; the spec's
    /// example shows a string).
    #[serde(
        rename = "manifest-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub manifest_size: Option<i64>,
}

impl TomlFile for Report {
    const FILE: &'static str = "report.toml";

    fn to_toml(&self) -> Result<String> {
        let mut out = String::new();
        if let Some(build) = self.build.as_ref().filter(|build| !build.bom.is_empty()) {
            #[derive(Serialize)]
            struct BuildOnly<'a> {
                build: &'a BuildReport,
            }
            let text = toml::to_string(&BuildOnly { build }).map_err(|source| Error::Encode {
                file: Self::FILE,
                source,
            })?;
            out.push_str(&text);
            out.push('\n');
        }
        let image = &self.image;
        let tags: Vec<String> = image.tags.iter().map(|tag| basic_string(tag)).collect();
        // Writing to a String cannot fail.
        let _ = writeln!(out, "[image]\n  tags = [{}]", tags.join(", "));
        if let Some(id) = &image.image_id {
            let _ = writeln!(out, "  image-id = {}", basic_string(id));
        }
        if let Some(digest) = &image.digest {
            let _ = writeln!(out, "  digest = {}", basic_string(digest));
        }
        if let Some(size) = image.manifest_size {
            let _ = writeln!(out, "  manifest-size = {size}");
        }
        Ok(out)
    }
}

/// A TOML basic (double-quoted) string, the only kind `cut -d'"'` can take apart.
fn basic_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ch if ch.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(ch));
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::path::Path;

    fn registry_report() -> Report {
        Report {
            build: None,
            image: ImageReport {
                tags: vec![
                    "registry.test/app:latest".into(),
                    "registry.test/app:v1".into(),
                ],
                image_id: None,
                digest: Some("sha256:0123abcd".into()),
                manifest_size: Some(1093),
            },
        }
    }

    #[test]
    fn writes_the_shape_platforms_scrape() {
        let text = registry_report().to_toml().unwrap();
        assert_eq!(
            text,
            "[image]\n  tags = [\"registry.test/app:latest\", \"registry.test/app:v1\"]\n  digest = \"sha256:0123abcd\"\n  manifest-size = 1093\n"
        );
        let digest_lines: Vec<_> = text
            .lines()
            .filter(|line| line.contains("digest"))
            .collect();
        assert_eq!(digest_lines, ["  digest = \"sha256:0123abcd\""]);
        assert_eq!(text.lines().filter(|line| line.contains("tags")).count(), 1);
        assert_eq!(
            Report::parse(&text, Path::new("report.toml")).unwrap(),
            registry_report()
        );
    }

    #[test]
    fn writes_image_id_only_when_set_and_build_only_with_a_bom() {
        let report = Report {
            build: Some(BuildReport::default()),
            image: ImageReport {
                tags: vec!["app".into()],
                image_id: Some("sha256:feed".into()),
                ..ImageReport::default()
            },
        };
        assert_eq!(
            report.to_toml().unwrap(),
            "[image]\n  tags = [\"app\"]\n  image-id = \"sha256:feed\"\n"
        );
    }

    #[test]
    fn escapes_strings() {
        assert_eq!(basic_string("a\"b\\c\u{1}"), "\"a\\\"b\\\\c\\u0001\"");
    }
}
