//! SBOMs of the lifecycle's own binaries, written beside them by `make install` under the
//! names the Go lifecycle ships (`lifecycle.sbom.cdx.json`, `launcher.sbom.spdx.json`, …); the
//! exporter copies the launcher's into every app image's SBOM layer.
//!
//! A [`Bill`] is what one binary links: the crates of its package's dependency tree for the
//! release target, with the features the release build resolves, as `cargo tree` sees them
//! (normal edges only: build scripts, proc-macros and dev-dependencies run at build time and
//! are not linked), described from `cargo metadata` and checksummed from `Cargo.lock`
//! ([`Bill::from_cargo`]). Each format is written from it: [`cyclonedx`] (CycloneDX 1.5 JSON),
//! [`spdx`] (SPDX 2.3 JSON) and [`syft`] (Syft JSON). The same crates, binary, toolchain and
//! time give the same bytes: lists are sorted, ids and serial numbers derive from the content,
//! and the only time is the one given (`SOURCE_DATE_EPOCH`, or the 1980 constant).
//!
//! A tool beside the stack (like `cnb-package`): uses cnb-api and cnb-image; the `cnb-sbom`
//! binary is what `make install` runs.

mod cargo;
pub mod cyclonedx;
mod error;
mod ids;
pub mod spdx;
pub mod syft;
mod tree;

use std::fs;
use std::path::{Path, PathBuf};

use cnb_api::SbomFormat;
use serde_json::Value;

pub use cargo::CargoQuery;
pub use error::{Error, Result};

/// The documents' time when no `SOURCE_DATE_EPOCH` is given: 1980-01-01T00:00:01Z, the time
/// the lifecycle gives everything it writes reproducibly.
pub const DEFAULT_CREATED: i64 = 315_532_801;

/// The document of `bill` in `format`.
pub fn document(format: SbomFormat, bill: &Bill) -> Value {
    match format {
        SbomFormat::CycloneDx => cyclonedx::document(bill),
        SbomFormat::Spdx => spdx::document(bill),
        SbomFormat::Syft => syft::document(bill),
    }
}

/// The bytes of `bill`'s document in `format`: two-space indented JSON and a final newline.
pub fn render(format: SbomFormat, bill: &Bill) -> Vec<u8> {
    format!("{:#}\n", document(format, bill)).into_bytes()
}

/// What one binary links, and what the documents say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bill {
    /// The binary's own crate (`lifecycle`, `launcher`).
    pub root: Crate,
    /// The binary's file name in `/cnb/lifecycle`.
    pub binary_name: String,
    /// The lowercase hex SHA-256 of the binary's bytes.
    pub binary_sha256: String,
    /// Every other crate linked into the binary, sorted by [`Crate::reference`].
    pub crates: Vec<Crate>,
    /// The Rust target triple (`x86_64-unknown-linux-musl`).
    pub target: String,
    /// The compiler's release (`1.95.0`): its standard library and, on musl targets, the
    /// musl libc it bundles are linked in too.
    pub rustc: String,
    /// When the documents say they were made, in seconds since the epoch.
    pub created: i64,
}

impl Bill {
    /// The crates with the root first.
    pub fn all_crates(&self) -> impl Iterator<Item = &Crate> {
        std::iter::once(&self.root).chain(&self.crates)
    }

    /// The binary's path once installed.
    pub fn installed_path(&self) -> String {
        format!("{}/{}", cnb_api::LIFECYCLE_DIR, self.binary_name)
    }

    /// Writes `<binary>.sbom.<ext>` into `dir` for every format (Go's names); returns the
    /// paths written.
    pub fn write_all(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let mut written = Vec::with_capacity(SbomFormat::ALL.len());
        for format in SbomFormat::ALL {
            let path = dir.join(format.file_name(&self.binary_name));
            fs::write(&path, render(format, self)).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            written.push(path);
        }
        Ok(written)
    }
}

/// One crate of a binary's dependency tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crate {
    /// `name` in its Cargo.toml.
    pub name: String,
    /// `version`.
    pub version: String,
    /// Where its source came from.
    pub source: CrateSource,
    /// `license`, as an SPDX expression; `None` when not given or not an expression.
    pub license: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `repository`.
    pub repository: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// The lowercase hex SHA-256 of the `.crate` file (`Cargo.lock`'s `checksum`), for crates
    /// from a registry.
    pub checksum: Option<String>,
    /// The [references](Crate::reference) of the crates it links directly, sorted.
    pub dependencies: Vec<String>,
}

/// Where a crate's source came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrateSource {
    /// The crates.io registry.
    CratesIo,
    /// Another registry, by its Cargo source id (`registry+<url>`, `sparse+<url>`).
    Registry(String),
    /// A git repository, by its Cargo source id (`git+<url>?…#<commit>`).
    Git(String),
    /// A directory in this repository, relative to the workspace root (`crates/cnb-api`).
    Path(String),
}

impl CrateSource {
    /// The Cargo source id Cargo.lock writes (empty for a path).
    pub fn cargo_id(&self) -> &str {
        match self {
            Self::CratesIo => cargo::CRATES_IO,
            Self::Registry(id) | Self::Git(id) => id,
            Self::Path(_) => "",
        }
    }
}

impl Crate {
    /// The package URL (`pkg:cargo/<name>@<version>`, with the registry or repository as a
    /// qualifier when it is not crates.io); `None` for a crate of this repository.
    pub fn purl(&self) -> Option<String> {
        let base = format!(
            "pkg:cargo/{}@{}",
            ids::purl_encode(&self.name),
            ids::purl_encode(&self.version)
        );
        match &self.source {
            CrateSource::CratesIo => Some(base),
            CrateSource::Registry(id) => Some(format!(
                "{base}?repository_url={}",
                ids::purl_encode(id.split_once('+').map_or(id.as_str(), |(_, url)| url))
            )),
            CrateSource::Git(id) => Some(format!(
                "{base}?vcs_url={}",
                ids::purl_encode(id.trim_start_matches("git+"))
            )),
            CrateSource::Path(_) => None,
        }
    }

    /// A reference unique within a bill: the package URL, or `path:<dir>` for a crate of this
    /// repository.
    pub fn reference(&self) -> String {
        match (&self.source, self.purl()) {
            (CrateSource::Path(dir), _) => format!("path:{dir}@{}", self.version),
            (_, Some(purl)) => purl,
            (_, None) => format!("{}@{}", self.name, self.version),
        }
    }
}

#[cfg(test)]
pub(crate) mod fixture;
