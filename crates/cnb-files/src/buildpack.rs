//! `buildpack.toml`, the buildpack descriptor: API, identity, composite order, targets and the
//! deprecated stacks. [`ModuleInfo`], [`Target`] and [`ExecEnvList`] are shared with
//! `extension.toml`.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::order::OrderGroup;

/// `buildpack.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildpackDescriptor {
    /// `api`: the Buildpack API, checked with `cnb_api::check_buildpack_api`.
    pub api: String,
    /// `[buildpack]`.
    pub buildpack: ModuleInfo,
    /// `[[order]]`: present only in a composite buildpack.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order: Vec<OrderGroup>,
    /// `[[targets]]` (Buildpack API 0.10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// `[[stacks]]` (deprecated in Buildpack API 0.10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<StackEntry>,
    /// `[metadata]`: buildpack-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
}

impl TomlFile for BuildpackDescriptor {
    const FILE: &'static str = "buildpack.toml";
}

/// `[buildpack]` (or `[extension]`): identity and options. `sbom-formats` belongs to buildpacks
/// only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// `id`: letters, digits, `.`, `/`, `-`; not `app`, `config`, `generated` or `sbom`.
    pub id: String,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `version`.
    pub version: String,
    /// `homepage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// `clear-env`: run without the user's `<platform>/env`.
    #[serde(rename = "clear-env", default, skip_serializing_if = "Option::is_none")]
    pub clear_env: Option<bool>,
    /// `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `keywords`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    /// `sbom-formats`: the SBOM media types the buildpack may write.
    #[serde(
        rename = "sbom-formats",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sbom_formats: Option<Vec<String>>,
    /// `[[buildpack.licenses]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<License>,
    /// `exec-env`: the execution environments supported (Buildpack API 0.12).
    #[serde(rename = "exec-env", default, skip_serializing_if = "Option::is_none")]
    pub exec_env: Option<ExecEnvList>,
}

impl ModuleInfo {
    /// Whether `clear-env = true`.
    pub fn clears_env(&self) -> bool {
        self.clear_env.unwrap_or(false)
    }
}

/// The supported execution environments, in either spelling: Go reads `exec-env = ["…"]`;
/// the spec writes `[[buildpack.exec-env]] name = "…"`. Each is written back as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExecEnvList {
    /// `exec-env = ["production", …]` (Go).
    Names(Vec<String>),
    /// `[[buildpack.exec-env]] name = "production"` (spec).
    Tables(Vec<ExecEnvName>),
}

impl ExecEnvList {
    /// The environment names, whichever spelling was used.
    pub fn names(&self) -> Vec<&str> {
        match self {
            Self::Names(names) => names.iter().map(String::as_str).collect(),
            Self::Tables(tables) => tables.iter().map(|table| table.name.as_str()).collect(),
        }
    }
}

/// `[[buildpack.exec-env]]`: `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecEnvName {
    /// `name`.
    pub name: String,
}

/// `[[buildpack.licenses]]`: `type?`, `uri?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    /// `type`: an SPDX expression or other name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `uri`: where a nonstandard license is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

/// `[[targets]]`: every field absent matches anything. The variant key is Go's
/// `arch-variant` (the spec writes `variant`, which Go ignores).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// `os`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// `arch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// `arch-variant`.
    #[serde(
        rename = "arch-variant",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub arch_variant: Option<String>,
    /// `[[targets.distros]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distros: Vec<TargetDistro>,
}

/// `[[targets.distros]]`: `name?`, `version?` (absent matches anything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetDistro {
    /// `name`: `$ID` of `/etc/os-release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `version`: `$VERSION_ID` of `/etc/os-release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `[[stacks]]` (deprecated): `id` (`*` for any), `mixins?`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackEntry {
    /// `id`.
    pub id: String,
    /// `mixins`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mixins: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn reads_exec_env_in_both_spellings() {
        let go =
            "api = \"0.12\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\nexec-env = [\"test\"]\n";
        let spec = "api = \"0.12\"\n[buildpack]\nid = \"a\"\nversion = \"1\"\n[[buildpack.exec-env]]\nname = \"test\"\n";
        for text in [go, spec] {
            let descriptor = BuildpackDescriptor::parse(text, Path::new("buildpack.toml")).unwrap();
            let names = descriptor
                .buildpack
                .exec_env
                .as_ref()
                .map(ExecEnvList::names);
            assert_eq!(names, Some(vec!["test"]));
        }
    }
}
