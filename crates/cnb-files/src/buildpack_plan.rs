//! The Buildpack Plan the lifecycle hands to `bin/build` (`$CNB_BP_PLAN_PATH`) and
//! `bin/generate`: the requirements of every plan entry that module provides.

use serde::{Deserialize, Serialize};

use crate::TomlFile;
use crate::build_plan::Require;

/// Buildpack Plan: `[[entries]] name, [entries.metadata]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildpackPlan {
    /// `[[entries]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Require>,
}

impl TomlFile for BuildpackPlan {
    const FILE: &'static str = "plan.toml";
}
