//! The build plan a buildpack's `bin/detect` writes to `$CNB_BUILD_PLAN_PATH` (an extension's
//! may also sit at `<ext>/detect/plan.toml`): what it provides and requires, with `[[or]]`
//! alternatives.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// Detect output: `[[provides]]`, `[[requires]]`, `[[or]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildPlan {
    /// `[[provides]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<Provide>,
    /// `[[requires]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Require>,
    /// `[[or]]`: further alternatives, each a provides/requires pair.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub or: Vec<PlanSections>,
}

impl TomlFile for BuildPlan {
    const FILE: &'static str = "plan.toml";
}

impl BuildPlan {
    /// The alternatives in the order detection tries them: the top level first, then each
    /// `[[or]]`.
    pub fn alternatives(&self) -> Vec<PlanSections> {
        let top = PlanSections {
            provides: self.provides.clone(),
            requires: self.requires.clone(),
        };
        std::iter::once(top)
            .chain(self.or.iter().cloned())
            .collect()
    }

    /// Whether any alternative requires something (extensions must not).
    pub fn has_requires(&self) -> bool {
        !self.requires.is_empty() || self.or.iter().any(|section| !section.requires.is_empty())
    }

    /// Names of requirements, in any alternative, that set a top-level `version` (Go rejects
    /// them: the version belongs in `metadata.version`).
    pub fn top_level_versions(&self) -> Vec<&str> {
        std::iter::once(&self.requires)
            .chain(self.or.iter().map(|section| &section.requires))
            .flatten()
            .filter(|require| require.version.is_some())
            .map(|require| require.name.as_str())
            .collect()
    }
}

/// One alternative: `provides` and `requires`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanSections {
    /// `[[or.provides]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<Provide>,
    /// `[[or.requires]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Require>,
}

/// A provided dependency: `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provide {
    /// `name`.
    pub name: String,
}

/// A required dependency: `name`, `metadata?`, and the top-level `version` that Go reads only
/// to reject. The same shape is a `plan.toml` require and a Buildpack Plan entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Require {
    /// `name`.
    pub name: String,
    /// `version` at the top level (not allowed; see [`BuildPlan::top_level_versions`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `[metadata]`: buildpack-specific data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<toml::Table>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn lists_alternatives_top_level_first() {
        let plan = BuildPlan::parse(
            "[[provides]]\nname = \"a\"\n[[requires]]\nname = \"a\"\nversion = \"1\"\n[[or]]\n[[or.requires]]\nname = \"b\"\n",
            Path::new("plan.toml"),
        )
        .unwrap();
        let alternatives = plan.alternatives();
        assert_eq!(alternatives.len(), 2);
        assert_eq!(alternatives[0].provides[0].name, "a");
        assert_eq!(alternatives[1].requires[0].name, "b");
        assert!(plan.has_requires());
        assert_eq!(plan.top_level_versions(), ["a"]);
    }
}
