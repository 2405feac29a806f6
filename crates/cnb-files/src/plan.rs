//! `plan.toml`: the detector's resolved plan, one entry per dependency name with its providers
//! and all its requirements. Read by the extender and the builder. Each extension's
//! `bin/generate` and each buildpack's `bin/build` gets the requirements it provides
//! ([`Plan::for_module`]); what it met leaves the plan for the modules after it
//! ([`Plan::without_met`]) (buildpack.md › Phase #5: Build; Go `Plan.Find`, `Plan.Filter`).

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::build_plan::Require;
use crate::buildpack_plan::BuildpackPlan;

/// `plan.toml`: `[[entries]]` (possibly none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// `[[entries]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<PlanEntry>,
}

impl TomlFile for Plan {
    const FILE: &'static str = "plan.toml";
}

impl Plan {
    /// The requirements of every entry module `id` provides, as an extension when `extension`
    /// and as a buildpack otherwise, in plan order. Providers match by ID alone, as in Go.
    pub fn for_module(&self, id: &str, extension: bool) -> BuildpackPlan {
        let entries = self
            .entries
            .iter()
            .filter(|entry| {
                entry
                    .providers
                    .iter()
                    .any(|provider| provider.id == id && provider.is_extension() == extension)
            })
            .flat_map(|entry| entry.requires.iter().cloned())
            .collect();
        BuildpackPlan { entries }
    }

    /// The plan without the entries that require any of the `met` names.
    #[must_use]
    pub fn without_met(self, met: &[String]) -> Self {
        let entries = self
            .entries
            .into_iter()
            .filter(|entry| !entry.requires.iter().any(|req| met.contains(&req.name)))
            .collect();
        Self { entries }
    }
}

/// One dependency: `[[entries.providers]]` and `[[entries.requires]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanEntry {
    /// `[[entries.providers]]`.
    #[serde(default)]
    pub providers: Vec<Provider>,
    /// `[[entries.requires]]`.
    #[serde(default)]
    pub requires: Vec<Require>,
}

/// A provider: `id`, `version`, `extension?` (absent means a buildpack).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// `id`.
    pub id: String,
    /// `version`.
    pub version: String,
    /// `extension`: whether the provider is an image extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<bool>,
}

impl Provider {
    /// Whether the provider is an image extension.
    pub fn is_extension(&self) -> bool {
        self.extension.unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const PLAN: &str = r#"
[[entries]]
providers = [{ id = "A", version = "1" }, { id = "B", version = "1" }]
requires = [{ name = "dep1", metadata = { v = "a" } }, { name = "dep1", metadata = { v = "b" } }]
[[entries]]
providers = [{ id = "B", version = "1" }]
requires = [{ name = "dep2" }]
[[entries]]
providers = [{ id = "A", version = "1", extension = true }]
requires = [{ name = "ext-dep" }]
"#;

    fn names(plan: &BuildpackPlan) -> Vec<&str> {
        plan.entries.iter().map(|req| req.name.as_str()).collect()
    }

    #[test]
    fn each_module_gets_the_requirements_it_provides_as_its_kind() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        assert_eq!(names(&plan.for_module("A", false)), ["dep1", "dep1"]);
        assert_eq!(names(&plan.for_module("A", true)), ["ext-dep"]);
        assert_eq!(
            names(&plan.for_module("B", false)),
            ["dep1", "dep1", "dep2"]
        );
        assert!(plan.for_module("B", true).entries.is_empty());
        assert!(plan.for_module("C", false).entries.is_empty());
    }

    #[test]
    fn met_entries_leave_the_plan() {
        let plan = Plan::parse(PLAN, Path::new("plan.toml")).unwrap();
        let after = plan.without_met(&["ext-dep".to_owned(), "dep2".to_owned()]);
        assert_eq!(after.entries.len(), 1);
        assert_eq!(after.entries[0].requires[0].name, "dep1");
    }
}
