//! `extend-config.toml`, written by an extension's `bin/generate`: build arguments for its
//! `build.Dockerfile` and `run.Dockerfile`.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `extend-config.toml`: `[[build.args]]` and `[[run.args]]` (Go reads only `build`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendConfig {
    /// `[build]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<ExtendArgs>,
    /// `[run]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<ExtendArgs>,
}

impl TomlFile for ExtendConfig {
    const FILE: &'static str = "extend-config.toml";
}

/// `[build]` or `[run]`: `[[…args]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendArgs {
    /// `[[…args]]`.
    #[serde(default)]
    pub args: Vec<ExtendArg>,
}

/// A build argument: `name`, `value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtendArg {
    /// `name`.
    pub name: String,
    /// `value`.
    #[serde(default)]
    pub value: String,
}
