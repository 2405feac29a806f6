//! `launch.toml`, written by a buildpack's `bin/build`: processes, labels, slices and the
//! deprecated `[[bom]]`. Also the process [`Command`], whose shape (string or array) depends on
//! the API version and is shared with `metadata.toml` and the build metadata label.

use std::fmt;

use cnb_api::Version;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bom::BomEntry;
use crate::{Error, Result, TomlFile};

/// `launch.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaunchToml {
    /// `[[bom]]` (deprecated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bom: Vec<BomEntry>,
    /// `[[labels]]`: image labels to set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// `[[processes]]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<LaunchProcess>,
    /// `[[slices]]`: app-directory globs, one image layer each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<Slice>,
}

impl TomlFile for LaunchToml {
    const FILE: &'static str = "launch.toml";
}

impl LaunchToml {
    /// Checks the version-dependent process keys against the buildpack's declared `api`, as
    /// Go does when it decodes the file: before 0.9 `command` is a string (and `direct` may be
    /// set); from 0.9 on `command` is an array and `direct` is refused.
    pub fn check_api(&self, api: Version) -> Result<()> {
        let arrays = has_command_arrays(api);
        for process in &self.processes {
            let shape_ok = matches!(
                (&process.command, arrays),
                (Command::Array(_), true) | (Command::String(_), false)
            );
            if !shape_ok {
                return Err(Error::CommandShape {
                    process: process.r#type.clone(),
                    api,
                    expected: if arrays { "an array" } else { "a string" },
                });
            }
            if arrays && process.direct.is_some() {
                return Err(Error::DirectNotAllowed {
                    process: process.r#type.clone(),
                    api,
                });
            }
        }
        Ok(())
    }
}

/// Buildpack API 0.9 made `command` an array and dropped `direct`.
// TODO(cnb-api): move to a named predicate on `cnb_api::BuildpackApi`.
fn has_command_arrays(api: Version) -> bool {
    api >= Version::new(0, 9)
}

/// A `[[processes]]` entry of `launch.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchProcess {
    /// `type`: unique within the buildpack.
    pub r#type: String,
    /// `command`: a string before Buildpack API 0.9, an array from 0.9 on.
    pub command: Command,
    /// `args`: default arguments the user may override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    /// `direct` (Buildpack API < 0.9 only; absent means `false` there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direct: Option<bool>,
    /// `default`: whether this is the buildpack's default process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    /// `working-dir`: defaults to the app directory.
    #[serde(
        rename = "working-dir",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// `exec-env` (Buildpack API 0.12): absent means every execution environment.
    #[serde(rename = "exec-env", default, skip_serializing_if = "Option::is_none")]
    pub exec_env: Option<Vec<String>>,
}

/// An image label from `launch.toml` (also kept in `metadata.toml`): `key`, `value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// `key`.
    pub key: String,
    /// `value`.
    #[serde(default)]
    pub value: String,
}

/// A slice: `paths`, Go `filepath.Match` globs within the app directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slice {
    /// `paths`.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// A process command: a single string (Buildpack API < 0.9, Platform API < 0.10 in
/// `metadata.toml` and the label) or an array whose first element is the executable. Both
/// shapes parse; each is written back in its own shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `command = "…"`.
    String(String),
    /// `command = ["…", …]`.
    Array(Vec<String>),
}

impl Command {
    /// The entries: the string alone, or the array.
    pub fn entries(&self) -> Vec<String> {
        match self {
            Self::String(command) => vec![command.clone()],
            Self::Array(entries) => entries.clone(),
        }
    }
}

impl Default for Command {
    fn default() -> Self {
        Self::Array(Vec::new())
    }
}

impl Serialize for Command {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Self::String(command) => serializer.serialize_str(command),
            Self::Array(entries) => entries.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        deserializer.deserialize_any(CommandVisitor)
    }
}

struct CommandVisitor;

impl<'de> serde::de::Visitor<'de> for CommandVisitor {
    type Value = Command;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string or an array of strings")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<Command, E> {
        Ok(Command::String(value.to_owned()))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Command, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = seq.next_element::<String>()? {
            entries.push(entry);
        }
        Ok(Command::Array(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> LaunchToml {
        LaunchToml::parse(text, Path::new("launch.toml")).unwrap()
    }

    #[test]
    fn both_command_shapes_parse_and_keep_their_shape() {
        let launch = parse(
            "[[processes]]\ntype = \"a\"\ncommand = \"run\"\n[[processes]]\ntype = \"b\"\ncommand = [\"run\", \"x\"]\n",
        );
        assert_eq!(launch.processes[0].command, Command::String("run".into()));
        assert_eq!(launch.processes[1].command.entries(), ["run", "x"]);
        let text = launch.to_toml().unwrap();
        assert!(text.contains("command = \"run\"\n"), "{text}");
        assert!(text.contains("command = [\"run\", \"x\"]\n"), "{text}");
    }

    #[test]
    fn refuses_commands_of_other_types() {
        let err = LaunchToml::parse(
            "[[processes]]\ntype = \"a\"\ncommand = 3\n",
            Path::new("/l/launch.toml"),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "parsing /l/launch.toml");
    }

    #[test]
    fn checks_shapes_against_the_buildpack_api() {
        let old = parse("[[processes]]\ntype = \"web\"\ncommand = \"run\"\ndirect = true\n");
        let new = parse("[[processes]]\ntype = \"web\"\ncommand = [\"run\"]\n");
        let new_direct =
            parse("[[processes]]\ntype = \"web\"\ncommand = [\"run\"]\ndirect = false\n");
        assert!(old.check_api(Version::new(0, 8)).is_ok());
        assert!(new.check_api(Version::new(0, 9)).is_ok());
        assert_eq!(
            old.check_api(Version::new(0, 9)).unwrap_err().to_string(),
            "process type 'web' has a command that is not an array, as buildpack API 0.9 requires"
        );
        assert!(matches!(
            new.check_api(Version::new(0, 8)),
            Err(Error::CommandShape { .. })
        ));
        assert_eq!(
            new_direct
                .check_api(Version::new(0, 12))
                .unwrap_err()
                .to_string(),
            "process type 'web' sets 'direct', which buildpack API 0.12 does not support"
        );
    }
}
