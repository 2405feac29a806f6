//! `lifecycle.toml`, the lifecycle descriptor shipped beside the binaries: the Buildpack and
//! Platform APIs it supports and its version.

use cnb_api::Version;
use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `lifecycle.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LifecycleDescriptor {
    /// `[apis]`.
    #[serde(default)]
    pub apis: Apis,
    /// `[api]`: the lowest supported versions, the older (RFC 0011) form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<LegacyApis>,
    /// `[lifecycle]`.
    #[serde(default)]
    pub lifecycle: LifecycleInfo,
}

impl TomlFile for LifecycleDescriptor {
    const FILE: &'static str = "lifecycle.toml";
}

impl LifecycleDescriptor {
    /// The descriptor of this lifecycle: every API in `cnb_api`'s supported lists, none
    /// deprecated, `version`, and the formats of the SBOMs installed beside the binaries.
    pub fn for_lifecycle(version: &str) -> Self {
        let lowest = |list: &[Version]| list.first().map(ToString::to_string).unwrap_or_default();
        Self {
            apis: Apis {
                buildpack: ApiSet {
                    deprecated: Vec::new(),
                    supported: cnb_api::BUILDPACK_APIS.to_vec(),
                },
                platform: ApiSet {
                    deprecated: Vec::new(),
                    supported: cnb_api::PLATFORM_APIS.to_vec(),
                },
            },
            api: Some(LegacyApis {
                platform: lowest(cnb_api::PLATFORM_APIS),
                buildpack: lowest(cnb_api::BUILDPACK_APIS),
            }),
            lifecycle: LifecycleInfo {
                version: version.to_owned(),
                sbom_formats: Some(
                    cnb_api::SbomFormat::ALL
                        .iter()
                        .map(|format| format.media_type().to_owned())
                        .collect(),
                ),
            },
        }
    }
}

/// `[apis]`: `[apis.buildpack]`, `[apis.platform]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Apis {
    /// `[apis.buildpack]`.
    #[serde(default)]
    pub buildpack: ApiSet,
    /// `[apis.platform]`.
    #[serde(default)]
    pub platform: ApiSet,
}

/// `deprecated` and `supported` version lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSet {
    /// `deprecated`.
    #[serde(default)]
    pub deprecated: Vec<Version>,
    /// `supported`.
    #[serde(default)]
    pub supported: Vec<Version>,
}

/// `[api]`: `platform`, `buildpack` (the lowest of each).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyApis {
    /// `platform`.
    #[serde(default)]
    pub platform: String,
    /// `buildpack`.
    #[serde(default)]
    pub buildpack: String,
}

/// `[lifecycle]`: `version`, `sbom-formats?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleInfo {
    /// `version`.
    #[serde(default)]
    pub version: String,
    /// `sbom-formats`: the media types of the SBOMs shipped with the lifecycle.
    #[serde(
        rename = "sbom-formats",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sbom_formats: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_lifecycle() {
        let text = LifecycleDescriptor::for_lifecycle("1.2.3")
            .to_toml()
            .unwrap();
        assert!(
            text.contains("supported = [\"0.7\", \"0.8\", \"0.9\", \"0.10\", \"0.11\", \"0.12\"]"),
            "{text}"
        );
        assert!(
            text.contains("[api]\nplatform = \"0.7\"\nbuildpack = \"0.7\"\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "[lifecycle]\nversion = \"1.2.3\"\nsbom-formats = [\"application/vnd.cyclonedx+json\", \"application/spdx+json\", \"application/vnd.syft+json\"]\n"
            ),
            "{text}"
        );
    }
}
