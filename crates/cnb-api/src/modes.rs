//! `CNB_DEPRECATION_MODE` and `CNB_EXPERIMENTAL_MODE`.

/// What to do when a platform or buildpack requests a deprecated API (`CNB_DEPRECATION_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeprecationMode {
    /// Say nothing.
    Quiet,
    /// Warn and continue (the default).
    #[default]
    Warn,
    /// Fail.
    Error,
}

impl DeprecationMode {
    /// Reads the variable's value; unset or unknown values act as `warn`, as in Go.
    pub fn from_env_value(value: Option<&str>) -> Self {
        match value {
            Some("quiet") => Self::Quiet,
            Some("error") => Self::Error,
            _ => Self::Warn,
        }
    }
}

/// What to do when a platform requests an experimental feature (`CNB_EXPERIMENTAL_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExperimentalMode {
    /// Continue silently (`quiet`).
    Quiet,
    /// Warn and continue; also what any unknown value (e.g. Tekton's `silent`) means.
    Warn,
    /// Fail (the default when unset).
    #[default]
    Error,
}

impl ExperimentalMode {
    /// Reads the variable's value: unset or empty is `error`; unknown values act as `warn`.
    pub fn from_env_value(value: Option<&str>) -> Self {
        match value {
            None | Some("" | "error") => Self::Error,
            Some("quiet") => Self::Quiet,
            Some(_) => Self::Warn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experimental_mode_defaults_to_error_and_unknown_values_warn() {
        assert_eq!(
            ExperimentalMode::from_env_value(None),
            ExperimentalMode::Error
        );
        assert_eq!(
            ExperimentalMode::from_env_value(Some("")),
            ExperimentalMode::Error
        );
        assert_eq!(
            ExperimentalMode::from_env_value(Some("quiet")),
            ExperimentalMode::Quiet
        );
        assert_eq!(
            ExperimentalMode::from_env_value(Some("warn")),
            ExperimentalMode::Warn
        );
        assert_eq!(
            ExperimentalMode::from_env_value(Some("silent")),
            ExperimentalMode::Warn
        );
    }

    #[test]
    fn deprecation_mode_defaults_to_warn() {
        assert_eq!(DeprecationMode::from_env_value(None), DeprecationMode::Warn);
        assert_eq!(
            DeprecationMode::from_env_value(Some("quiet")),
            DeprecationMode::Quiet
        );
        assert_eq!(
            DeprecationMode::from_env_value(Some("error")),
            DeprecationMode::Error
        );
        assert_eq!(
            DeprecationMode::from_env_value(Some("bogus")),
            DeprecationMode::Warn
        );
    }
}
