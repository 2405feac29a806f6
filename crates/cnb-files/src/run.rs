//! `run.toml` (Platform API 0.12): the run images the platform allows, each with mirrors.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `run.toml`: `[[images]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// `[[images]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<RunImageForExport>,
}

impl TomlFile for Run {
    const FILE: &'static str = "run.toml";
}

impl Run {
    /// The entry whose image or mirror is `image` (see [`RunImageForExport::contains`]).
    pub fn find(&self, image: &str, name: impl Fn(&str) -> String) -> Option<&RunImageForExport> {
        self.images
            .iter()
            .find(|entry| entry.contains(image, &name))
    }
}

/// A run image and its mirrors: an `[[images]]` entry of `run.toml`, `[run-image]` of
/// `stack.toml`, and the `image`/`mirrors` keys of the lifecycle label (same keys in TOML and
/// JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunImageForExport {
    /// `image`: a tag reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `mirrors`: tag references to copies on other registries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirrors: Option<Vec<String>>,
}

impl RunImageForExport {
    /// The image name, empty when absent.
    pub fn image_name(&self) -> &str {
        self.image.as_deref().unwrap_or_default()
    }

    /// The mirrors, empty when absent.
    pub fn mirror_names(&self) -> &[String] {
        self.mirrors.as_deref().unwrap_or_default()
    }

    /// Whether `image` is this image or one of its mirrors, names compared as `name` spells
    /// them (Go `Contains` compares `ParseMaybe` names: registry defaults, no digest;
    /// `cnb_image::image_name` does that).
    pub fn contains(&self, image: &str, name: impl Fn(&str) -> String) -> bool {
        let wanted = name(image);
        self.image
            .iter()
            .chain(self.mirror_names())
            .any(|known| name(known) == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_by_image_or_mirror_under_the_callers_naming() {
        let run = Run {
            images: vec![RunImageForExport {
                image: Some("reg.test/run".into()),
                mirrors: Some(vec!["mirror.test/run:v1".into()]),
            }],
        };
        let exact = |text: &str| text.to_owned();
        let latest = |text: &str| {
            if text
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
            {
                text.to_owned()
            } else {
                format!("{text}:latest")
            }
        };
        assert!(run.find("reg.test/run", exact).is_some());
        assert!(run.find("mirror.test/run:v1", exact).is_some());
        assert!(run.find("reg.test/run:latest", exact).is_none());
        assert!(run.find("reg.test/run:latest", latest).is_some());
        assert!(run.find("other.test/run", latest).is_none());
    }
}
