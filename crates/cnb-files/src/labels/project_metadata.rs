//! `io.buildpacks.project.metadata`: `project-metadata.toml` in JSON, `{}` when there is none.

use serde::{Deserialize, Serialize};

use crate::JsonLabel;
use crate::labels::PROJECT_METADATA;
use crate::project_metadata::ProjectMetadata;
use crate::value::table_to_object;

/// The project metadata label: `{"source": {...}}` or `{}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectMetadataLabel {
    /// `source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<LabelSource>,
}

impl JsonLabel for ProjectMetadataLabel {
    const LABEL: &'static str = PROJECT_METADATA;
}

/// `source`: `type?`, `version?`, `metadata?`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabelSource {
    /// `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<serde_json::Map<String, serde_json::Value>>,
    /// `metadata`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

/// As Go encodes it: empty strings and tables are left out.
impl From<&ProjectMetadata> for ProjectMetadataLabel {
    fn from(toml: &ProjectMetadata) -> Self {
        let object = |table: Option<&toml::Table>| {
            table.filter(|table| !table.is_empty()).map(table_to_object)
        };
        Self {
            source: toml.source.as_ref().map(|source| LabelSource {
                r#type: source.r#type.clone().filter(|kind| !kind.is_empty()),
                version: object(source.version.as_ref()),
                metadata: object(source.metadata.as_ref()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TomlFile;
    use std::path::Path;

    #[test]
    fn is_an_empty_object_without_a_source() {
        let label = ProjectMetadataLabel::from(&ProjectMetadata::default());
        assert_eq!(label.to_label().unwrap(), "{}");
    }

    #[test]
    fn copies_the_source() {
        let toml = ProjectMetadata::parse(
            "[source]\ntype = \"git\"\n[source.version]\ncommit = \"abc\"\n[source.metadata]\nrepository = \"r\"\n",
            Path::new("project-metadata.toml"),
        )
        .unwrap();
        assert_eq!(
            ProjectMetadataLabel::from(&toml).to_label().unwrap(),
            r#"{"source":{"type":"git","version":{"commit":"abc"},"metadata":{"repository":"r"}}}"#
        );
    }
}
