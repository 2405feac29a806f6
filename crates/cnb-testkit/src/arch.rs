//! [`Arch`]: the CPU architectures the tests build images and install lifecycles for, with
//! the busybox each one's run images are made of.

use std::path::PathBuf;

/// Where `.ci/install-deps` unpacks Debian's `busybox-static:arm64`.
pub const ARM64_BUSYBOX: &str = "/usr/local/lib/cnb-testkit/arm64/bin/busybox";

/// A CPU architecture of the test images and installed lifecycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Arch {
    /// `linux/amd64` (x86-64): the host's.
    #[default]
    Amd64,
    /// `linux/arm64/v8` (aarch64): run here through qemu-user (`binfmt_misc`).
    Arm64,
}

impl Arch {
    /// The OCI (Go) architecture name, `amd64` or `arm64`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Amd64 => "amd64",
            Self::Arm64 => "arm64",
        }
    }

    /// The image config's `variant`: `v8` for arm64, as real arm64 base images carry it.
    pub fn variant(self) -> Option<&'static str> {
        match self {
            Self::Amd64 => None,
            Self::Arm64 => Some("v8"),
        }
    }

    /// `linux/<name>[/<variant>]`, as skopeo and docker print a platform.
    pub fn platform(self) -> String {
        match self.variant() {
            Some(variant) => format!("linux/{}/{variant}", self.name()),
            None => format!("linux/{}", self.name()),
        }
    }

    /// The static busybox of this architecture (Debian's `busybox-static` for the host;
    /// `.ci/install-deps` unpacks the arm64 one).
    pub fn busybox(self) -> PathBuf {
        PathBuf::from(match self {
            Self::Amd64 => "/bin/busybox",
            Self::Arm64 => ARM64_BUSYBOX,
        })
    }

    /// What `file(1)` says of this architecture's executables (`x86-64`, `ARM aarch64`).
    pub fn file_description(self) -> &'static str {
        match self {
            Self::Amd64 => "x86-64",
            Self::Arm64 => "ARM aarch64",
        }
    }
}
