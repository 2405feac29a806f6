//! [`ReleasePlatform`]: which CPU an installed lifecycle is built for, read from its ELF
//! header (so an artifact can never be named or labelled for another architecture), and how
//! the Go lifecycle's releases name it: `lifecycle-v<version>+linux.<name>.tgz`, image tags
//! `<version>-linux-<name>`, and the image config's `architecture`/`variant`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use cnb_image::Platform;

use crate::{Error, Result};

/// The ELF header fields read: identification (16 bytes), `e_type`, `e_machine`.
const HEADER_LEN: usize = 20;

/// A release platform of the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleasePlatform {
    /// x86-64 (`linux/amd64`).
    Amd64,
    /// aarch64 (`linux/arm64/v8`).
    Arm64,
    /// 64-bit little-endian POWER (`linux/ppc64le`).
    Ppc64le,
    /// IBM Z (`linux/s390x`).
    S390x,
}

impl ReleasePlatform {
    /// The platform of the executable at `path`, from its ELF header.
    pub fn of_executable(path: &Path) -> Result<Self> {
        let mut header = Vec::with_capacity(HEADER_LEN);
        File::open(path)
            .and_then(|file| file.take(HEADER_LEN as u64).read_to_end(&mut header))
            .map_err(|source| Error::Read {
                path: path.to_owned(),
                source,
            })?;
        Self::of_elf_header(&header).ok_or_else(|| Error::NotInstalled {
            path: path.to_owned(),
            reason: "not a 64-bit Linux executable of a release architecture (x86-64, aarch64, ppc64le, s390x)".to_owned(),
        })
    }

    /// The platform an ELF header (its first 20 bytes) names; `None` for what is not a
    /// 64-bit ELF of a release architecture.
    pub fn of_elf_header(header: &[u8]) -> Option<Self> {
        const ELF64: u8 = 2;
        const LITTLE_ENDIAN: u8 = 1;
        let (ident, rest) = header.split_first_chunk::<16>()?;
        if ident[..4] != *b"\x7fELF" || ident[4] != ELF64 {
            return None;
        }
        let machine = rest.get(2..4)?;
        let little = ident[5] == LITTLE_ENDIAN;
        let machine = if little {
            u16::from_le_bytes([machine[0], machine[1]])
        } else {
            u16::from_be_bytes([machine[0], machine[1]])
        };
        match (machine, little) {
            (0x3e, true) => Some(Self::Amd64),
            (0xb7, true) => Some(Self::Arm64),
            (0x15, true) => Some(Self::Ppc64le),
            (0x16, false) => Some(Self::S390x),
            _ => None,
        }
    }

    /// The Go release's name of the architecture: `x86-64`, `arm64`, `ppc64le`, `s390x`.
    pub fn release_name(self) -> &'static str {
        match self {
            Self::Amd64 => "x86-64",
            Self::Arm64 => "arm64",
            Self::Ppc64le => "ppc64le",
            Self::S390x => "s390x",
        }
    }

    /// The image platform: `linux/<architecture>`, with variant `v8` for arm64 (what the Go
    /// release's arm64 lifecycle image carries, from its distroless base).
    pub fn image_platform(self) -> Platform {
        let (architecture, variant) = match self {
            Self::Amd64 => ("amd64", None),
            Self::Arm64 => ("arm64", Some("v8")),
            Self::Ppc64le => ("ppc64le", None),
            Self::S390x => ("s390x", None),
        };
        Platform {
            variant: variant.map(str::to_owned),
            ..Platform::new("linux", architecture)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The first 20 bytes of a 64-bit ELF executable for `machine` (little-endian).
    pub(crate) fn elf_header(machine: u16) -> Vec<u8> {
        let mut header = b"\x7fELF\x02\x01\x01".to_vec();
        header.resize(16, 0);
        header.extend_from_slice(&2u16.to_le_bytes());
        header.extend_from_slice(&machine.to_le_bytes());
        header
    }

    #[test]
    fn reads_the_machine_of_an_elf_header() {
        assert_eq!(
            ReleasePlatform::of_elf_header(&elf_header(0x3e)),
            Some(ReleasePlatform::Amd64)
        );
        assert_eq!(
            ReleasePlatform::of_elf_header(&elf_header(0xb7)),
            Some(ReleasePlatform::Arm64)
        );
        assert_eq!(
            ReleasePlatform::of_elf_header(&elf_header(0x28)),
            None,
            "32-bit ARM"
        );
        assert_eq!(
            ReleasePlatform::of_elf_header(b"#!/bin/sh\nexit 0\n..."),
            None
        );
        assert_eq!(ReleasePlatform::of_elf_header(b"\x7fELF"), None);
    }

    #[test]
    fn names_platforms_as_the_go_release_does() {
        let arm64 = ReleasePlatform::Arm64;
        assert_eq!(arm64.release_name(), "arm64");
        assert_eq!(arm64.image_platform().to_string(), "linux/arm64/v8");
        assert_eq!(ReleasePlatform::Amd64.release_name(), "x86-64");
        assert_eq!(
            ReleasePlatform::Amd64.image_platform().to_string(),
            "linux/amd64"
        );
    }
}
