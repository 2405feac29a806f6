//! Where environment variables come from: the process, or a map in tests.

use std::collections::HashMap;
use std::ffi::OsString;

/// A source of environment variables.
pub trait EnvSource {
    /// The value of `name`, if set (an empty value is returned as set and empty).
    fn var(&self, name: &str) -> Option<String>;

    /// The value of `name` when set and not empty, as the Go lifecycle's `envOrDefault` reads it.
    fn non_empty(&self, name: &str) -> Option<String> {
        self.var(name).filter(|value| !value.is_empty())
    }

    /// Every variable, for the environments handed on to buildpacks (filtered there by the
    /// buildpack contract's allow-list) and to registry clients.
    fn environ(&self) -> Vec<(OsString, OsString)>;
}

/// The process environment. Values that are not valid UTF-8 count as unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        #[expect(
            clippy::disallowed_methods,
            reason = "cnb-platform is the one reader of the process environment"
        )]
        std::env::var(name).ok()
    }

    fn environ(&self) -> Vec<(OsString, OsString)> {
        #[expect(
            clippy::disallowed_methods,
            reason = "cnb-platform is the one reader of the process environment"
        )]
        std::env::vars_os().collect()
    }
}

impl<S: std::hash::BuildHasher> EnvSource for HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }

    fn environ(&self) -> Vec<(OsString, OsString)> {
        self.iter()
            .map(|(name, value)| (name.into(), value.into()))
            .collect()
    }
}

impl EnvSource for &[(&str, &str)] {
    fn var(&self, name: &str) -> Option<String> {
        self.iter()
            .rev()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }

    fn environ(&self) -> Vec<(OsString, OsString)> {
        self.iter()
            .map(|(name, value)| ((*name).into(), (*value).into()))
            .collect()
    }
}
