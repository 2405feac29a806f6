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
}
