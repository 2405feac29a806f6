//! `group.toml`: the buildpacks and image extensions that passed detection, written by the
//! detector and read by the restorer, extender, builder and exporter.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `group.toml`: `[[group]]` buildpacks and `[[group-extensions]]` extensions, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// `[[group]]`: the buildpacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<GroupElement>,
    /// `[[group-extensions]]`: the image extensions (always optional, so the key is not written).
    #[serde(
        rename = "group-extensions",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_extensions: Vec<GroupElement>,
}

impl TomlFile for Group {
    const FILE: &'static str = "group.toml";
}

impl Group {
    /// Checks that this lifecycle supports the Buildpack API of every `[[group]]` buildpack,
    /// as the restorer, builder and exporter do before any work (12 otherwise).
    pub fn check_buildpack_apis(&self) -> Result<(), cnb_api::UnsupportedApi> {
        for buildpack in &self.group {
            cnb_api::check_buildpack_api(
                &buildpack.display_name(),
                buildpack.api.as_deref().unwrap_or_default(),
            )?;
        }
        Ok(())
    }
}

/// A buildpack or extension in `group.toml`, and in `metadata.toml` `[[buildpacks]]` /
/// `[[extensions]]`: `id`, `version`, `api`, `homepage?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupElement {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `api`: the Buildpack API it implements (the spec requires it; Go omits it when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// `homepage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
}

impl GroupElement {
    /// `id@version`, the form Go prints.
    pub fn display_name(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(id: &str, api: Option<&str>) -> GroupElement {
        GroupElement {
            id: id.to_owned(),
            version: "1".to_owned(),
            api: api.map(str::to_owned),
            homepage: None,
        }
    }

    #[test]
    fn every_buildpack_api_is_checked_and_the_first_unsupported_one_named() {
        let mut group = Group {
            group: vec![element("a", Some("0.10")), element("b", Some("0.12"))],
            group_extensions: vec![element("ext", Some("9.9"))],
        };
        assert_eq!(group.check_buildpack_apis(), Ok(()));
        group.group.push(element("c", Some("0.2")));
        let error = group.check_buildpack_apis().unwrap_err();
        assert!(error.to_string().contains("c@1"), "{error}");
        group.group[2] = element("c", None);
        assert!(group.check_buildpack_apis().is_err());
    }
}
