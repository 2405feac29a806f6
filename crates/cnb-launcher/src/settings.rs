//! The launcher's inputs from its environment (platform.md › launcher › Inputs). As in Go, an
//! empty value counts as unset.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use cnb_api::env;

/// `<app>` when `CNB_APP_DIR` is unset.
pub const DEFAULT_APP_DIR: &str = "/workspace";
/// `<layers>` when `CNB_LAYERS_DIR` is unset.
pub const DEFAULT_LAYERS_DIR: &str = "/layers";
/// `<exec-env>` when `CNB_EXEC_ENV` is unset.
pub const DEFAULT_EXEC_ENV: &str = "production";

/// What the launcher reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `CNB_PLATFORM_API`, checked by [`crate::Launcher::load`].
    pub platform_api: Option<String>,
    /// `<layers>` (`CNB_LAYERS_DIR`), made absolute.
    pub layers_dir: PathBuf,
    /// `<app>` (`CNB_APP_DIR`), made absolute.
    pub app_dir: PathBuf,
    /// `<exec-env>` (`CNB_EXEC_ENV`).
    pub exec_env: String,
    /// `CNB_PROCESS_TYPE`: not supported by the launcher, only warned about.
    pub process_type: Option<String>,
    /// `CNB_NO_COLOR`.
    pub no_color: bool,
    /// `CNB_LAUNCHER_INIT`: supervise the process when running as PID 1.
    pub init: bool,
}

impl Settings {
    /// Reads the settings from `environ` (the launcher's own environment).
    pub fn from_environ(environ: &[(OsString, OsString)]) -> Self {
        let get = |name: &str| {
            environ
                .iter()
                .rev()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.as_os_str())
        };
        let text = |name: &str| get(name).map(|value| value.to_string_lossy().into_owned());
        let dir = |name: &str, default: &str| absolute(get(name).unwrap_or(OsStr::new(default)));
        Self {
            platform_api: text(env::PLATFORM_API),
            layers_dir: dir(env::LAYERS_DIR, DEFAULT_LAYERS_DIR),
            app_dir: dir(env::APP_DIR, DEFAULT_APP_DIR),
            exec_env: text(env::EXEC_ENV).unwrap_or_else(|| DEFAULT_EXEC_ENV.to_owned()),
            process_type: text(env::PROCESS_TYPE),
            no_color: text(env::NO_COLOR).is_some_and(|value| parse_bool(&value)),
            init: text(env::LAUNCHER_INIT).is_some_and(|value| parse_bool(&value)),
        }
    }
}

/// Go's `strconv.ParseBool`, with anything it refuses counting as false.
fn parse_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "true" | "TRUE" | "True")
}

fn absolute(path: &OsStr) -> PathBuf {
    std::path::absolute(Path::new(path)).unwrap_or_else(|_| PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environ(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(name, value)| (OsString::from(name), OsString::from(value)))
            .collect()
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let settings =
            Settings::from_environ(&environ(&[("CNB_APP_DIR", ""), ("CNB_EXEC_ENV", "")]));
        assert_eq!(settings.platform_api, None);
        assert_eq!(settings.layers_dir, Path::new("/layers"));
        assert_eq!(settings.app_dir, Path::new("/workspace"));
        assert_eq!(settings.exec_env, "production");
        assert_eq!(settings.process_type, None);
        assert!(!settings.no_color && !settings.init);
    }

    #[test]
    fn reads_every_variable() {
        let settings = Settings::from_environ(&environ(&[
            ("CNB_PLATFORM_API", "0.15"),
            ("CNB_LAYERS_DIR", "/l"),
            ("CNB_APP_DIR", "/a"),
            ("CNB_EXEC_ENV", "test"),
            ("CNB_PROCESS_TYPE", "worker"),
            ("CNB_NO_COLOR", "1"),
            ("CNB_LAUNCHER_INIT", "True"),
        ]));
        assert_eq!(settings.platform_api.as_deref(), Some("0.15"));
        assert_eq!(settings.layers_dir, Path::new("/l"));
        assert_eq!(settings.app_dir, Path::new("/a"));
        assert_eq!(settings.exec_env, "test");
        assert_eq!(settings.process_type.as_deref(), Some("worker"));
        assert!(settings.no_color && settings.init);
    }

    #[test]
    fn booleans_follow_go_and_relative_dirs_become_absolute() {
        for (value, want) in [("true", true), ("t", true), ("yes", false), ("0", false)] {
            let settings = Settings::from_environ(&environ(&[("CNB_LAUNCHER_INIT", value)]));
            assert_eq!(settings.init, want, "{value}");
        }
        let settings = Settings::from_environ(&environ(&[("CNB_LAYERS_DIR", "rel/layers")]));
        assert!(settings.layers_dir.is_absolute());
        assert!(settings.layers_dir.ends_with("rel/layers"));
    }
}
