//! `extend-config.toml`, written by an extension's `bin/generate`: build arguments for its
//! `build.Dockerfile` and `run.Dockerfile`.

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// `extend-config.toml`: `[[build.args]]` and `[[run.args]]`.
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

/// The build arguments the lifecycle gives every Dockerfile itself, which an extension may not
/// set (Go refuses them; the spec allows any name).
pub const LIFECYCLE_ARGS: [&str; 3] = ["build_id", "user_id", "group_id"];

impl ExtendConfig {
    /// The `[[build.args]]` (`build`) or `[[run.args]]` (otherwise).
    pub fn args(&self, build: bool) -> &[ExtendArg] {
        let section = if build { &self.build } else { &self.run };
        section
            .as_ref()
            .map_or(&[], |section| section.args.as_slice())
    }

    /// The first argument, build or run, named like one the lifecycle provides
    /// ([`LIFECYCLE_ARGS`]).
    pub fn lifecycle_arg(&self) -> Option<&str> {
        self.args(true)
            .iter()
            .chain(self.args(false))
            .map(|arg| arg.name.as_str())
            .find(|name| LIFECYCLE_ARGS.contains(name))
    }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn finds_arguments_the_lifecycle_provides() {
        let parse = |text| ExtendConfig::parse(text, Path::new("extend-config.toml")).unwrap();
        let config =
            parse("[[build.args]]\nname = \"a\"\nvalue = \"1\"\n[[run.args]]\nname = \"b\"\n");
        assert_eq!(config.args(true)[0].value, "1");
        assert_eq!(config.args(false)[0].name, "b");
        assert_eq!(config.lifecycle_arg(), None);
        let config = parse("[[run.args]]\nname = \"user_id\"\nvalue = \"0\"\n");
        assert_eq!(config.lifecycle_arg(), Some("user_id"));
        assert!(parse("").args(true).is_empty());
    }
}
