//! What an exec.d executable writes to fd 3: a flat TOML table of `NAME = "value"`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::TomlFile;

/// exec.d output: variable names to values, all strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExecDOutput(pub BTreeMap<String, String>);

impl TomlFile for ExecDOutput {
    const FILE: &'static str = "exec.d output";
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn refuses_values_that_are_not_strings() {
        let err = ExecDOutput::parse("A = 1\n", Path::new("/cnb/exec.d/x")).unwrap_err();
        assert_eq!(err.to_string(), "parsing /cnb/exec.d/x");
        let ok = ExecDOutput::parse("A = \"1\"\nB = 'two'\n", Path::new("x")).unwrap();
        assert_eq!(ok.0["B"], "two");
    }
}
