//! The Buildpack API version a buildpack or extension declared, with its capabilities named.

use std::fmt;

use crate::Version;

/// A supported Buildpack API version; only [`crate::check_buildpack_api`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildpackApi(pub(crate) Version);

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
