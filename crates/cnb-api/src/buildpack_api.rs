//! The Buildpack API version a buildpack or extension declared, with its capabilities named
//! as predicates. Code asks `api.gets_target_env()`, never `api >= 0.10`.

use std::fmt;

use crate::Version;

/// A supported Buildpack API version; only [`crate::check_buildpack_api`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildpackApi(pub(crate) Version);

macro_rules! since {
    ($($(#[$doc:meta])* $name:ident => ($major:literal, $minor:literal);)*) => {
        impl BuildpackApi {
            $(
                $(#[$doc])*
                pub fn $name(self) -> bool {
                    self.0 >= Version::new($major, $minor)
                }
            )*
        }
    };
}

since! {
    /// BP0.8: the paths given as positional arguments are also in the environment
    /// (`CNB_PLATFORM_DIR`, `CNB_BUILD_PLAN_PATH`; for build `CNB_BP_PLAN_PATH`,
    /// `CNB_LAYERS_DIR`).
    gets_path_env => (0, 8);
    /// BP0.8: processes may set `working-dir` (before, the builder drops it with a warning).
    has_process_working_dir => (0, 8);
    /// BP0.9: process commands are arrays and processes are direct; user args given at launch
    /// replace a process's default args instead of being appended to them.
    overrides_process_args => (0, 9);
    /// BP0.10: `CNB_TARGET_*` describe the run image, and `[[targets]]` replaces `[[stacks]]`
    /// (a lone bionic stack maps to its target at any version; with other stacks only from
    /// here on).
    gets_target_env => (0, 10);
    /// BP0.12: `CNB_EXEC_ENV` is set, and `exec-env` lists in descriptors are honoured.
    gets_exec_env => (0, 12);
}

impl BuildpackApi {
    /// The version itself.
    pub fn version(self) -> Version {
        self.0
    }
}

impl fmt::Display for BuildpackApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use crate::check_buildpack_api;

    #[test]
    fn predicates_switch_on_at_their_versions() {
        let api = |text| check_buildpack_api("a@1", text).unwrap();
        assert!(!api("0.7").gets_path_env());
        assert!(api("0.8").gets_path_env());
        assert!(!api("0.7").has_process_working_dir());
        assert!(api("0.8").has_process_working_dir());
        assert!(!api("0.8").overrides_process_args());
        assert!(api("0.9").overrides_process_args());
        assert!(!api("0.9").gets_target_env());
        assert!(api("0.10").gets_target_env());
        assert!(!api("0.11").gets_exec_env());
        assert!(api("0.12").gets_exec_env());
    }
}
