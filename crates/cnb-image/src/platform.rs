//! [`Platform`]: the os/architecture/variant of an image (in an index entry or a config), this
//! process's own ([`Platform::own`], what every image reference is resolved for, as the Go
//! lifecycle resolves for `runtime.GOOS`/`GOARCH`), and the one rule that picks an index
//! entry for a wanted platform ([`Platform::satisfies`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The platform of a manifest in an index, or of an image config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// `architecture`, e.g. `amd64` (Go's `GOARCH` names).
    pub architecture: String,
    /// `os`, e.g. `linux`.
    pub os: String,
    /// `variant`, e.g. `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// `os`/`architecture` without a variant.
    pub fn new(os: &str, architecture: &str) -> Self {
        Self {
            architecture: architecture.to_owned(),
            os: os.to_owned(),
            variant: None,
        }
    }

    /// The platform this process runs as: its OS and CPU architecture under their OCI (Go)
    /// names, no variant (as the Go lifecycle asks go-containerregistry for
    /// `runtime.GOOS`/`runtime.GOARCH`). An aarch64 lifecycle is `linux/arm64` also when it
    /// runs under emulation.
    pub fn own() -> Self {
        Self::new(
            std::env::consts::OS,
            oci_architecture(std::env::consts::ARCH),
        )
    }

    /// Whether this platform (of an index entry) satisfies `wanted`: the OS and architecture
    /// are equal, and so is the variant when `wanted` names one (go-containerregistry's
    /// `Platform.Satisfies`), an arm64 entry without a variant counting as `v8` (the only
    /// arm64 variant there is; containerd's normalisation).
    pub fn satisfies(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && wanted.variant().is_none_or(|variant| {
                self.variant().or_else(|| self.default_variant()) == Some(variant)
            })
    }

    /// The variant, when one is named.
    fn variant(&self) -> Option<&str> {
        self.variant
            .as_deref()
            .filter(|variant| !variant.is_empty())
    }

    fn default_variant(&self) -> Option<&'static str> {
        (self.architecture == "arm64").then_some("v8")
    }
}

/// `os/arch[/variant]`, as `docker` and `skopeo` spell a platform.
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match self.variant() {
            Some(variant) => write!(f, "/{variant}"),
            None => Ok(()),
        }
    }
}

/// Rust's name of a CPU architecture (`std::env::consts::ARCH`) → the OCI image-spec's (Go's
/// `GOARCH`).
fn oci_architecture(rust: &str) -> &str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
        Platform {
            variant: variant.map(Into::into),
            ..Platform::new(os, architecture)
        }
    }

    #[test]
    fn variants_must_match_only_when_wanted_and_arm64_means_v8() {
        let arm64 = platform("linux", "arm64", None);
        let arm64_v8 = platform("linux", "arm64", Some("v8"));
        assert!(arm64_v8.satisfies(&arm64));
        assert!(arm64.satisfies(&arm64_v8), "arm64 without a variant is v8");
        assert!(!platform("linux", "arm64", Some("v9")).satisfies(&arm64_v8));
        assert!(platform("linux", "arm", Some("v7")).satisfies(&platform("linux", "arm", None)));
        assert!(!platform("linux", "arm", None).satisfies(&platform("linux", "arm", Some("v7"))));
        assert!(platform("linux", "amd64", None).satisfies(&platform("linux", "amd64", Some(""))));
        assert!(!platform("windows", "amd64", None).satisfies(&platform("linux", "amd64", None)));
    }

    #[test]
    fn prints_like_docker_and_knows_its_own() {
        assert_eq!(
            platform("linux", "arm64", Some("v8")).to_string(),
            "linux/arm64/v8"
        );
        assert_eq!(
            platform("linux", "amd64", Some("")).to_string(),
            "linux/amd64"
        );
        let own = Platform::own();
        assert_eq!(own.os, "linux");
        let expected = if cfg!(target_arch = "x86_64") {
            "amd64"
        } else if cfg!(target_arch = "aarch64") {
            "arm64"
        } else {
            own.architecture.as_str()
        };
        assert_eq!(own.architecture, expected);
        assert_eq!(own.variant, None);
    }
}
