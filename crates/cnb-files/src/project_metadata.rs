//! `project-metadata.toml`: where the app source came from, given by the platform to the
//! exporter, which copies it into the project metadata label. Every key is optional.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `project-metadata.toml`: `[source]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectMetadata {
    /// `[source]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ProjectSource>,
}

impl TomlFile for ProjectMetadata {
    const FILE: &'static str = "project-metadata.toml";
}

/// `[source]`: `type?`, `[source.version]`, `[source.metadata]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectSource {
    /// `type`, such as `git`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `[source.version]`: data naming the version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<toml::Table>,
    /// `[source.metadata]`: any other data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
}
