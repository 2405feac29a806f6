//! The lifecycle as `make install` lays it out: `<dir>/cnb/lifecycle/` (the multi-call
//! `lifecycle`, one symlink per phase, the `launcher`, and the SBOMs of both binaries) beside
//! `<dir>/cnb/lifecycle.toml`, and the layer that puts it at `/cnb/lifecycle` in an image.

use std::path::{Path, PathBuf};

use cnb_api::SbomFormat;
use cnb_archive::{EntrySink, Header, Owner, add_tree};
use cnb_files::TomlFile;
use cnb_files::lifecycle::LifecycleDescriptor;

use crate::{Error, ReleasePlatform, Result};

/// The binaries pack's `builder create` requires in a lifecycle (pack
/// `internal/builder/lifecycle.go`); kpack and the platforms call the same paths.
pub const REQUIRED_BINARIES: &[&str] = &[
    "detector", "restorer", "analyzer", "builder", "exporter", "launcher", "creator",
];

/// The binaries whose SBOMs ship beside them (`<binary>.sbom.<ext>`, as the Go lifecycle's
/// releases have them; the exporter copies the launcher's into app images).
pub const SBOM_BINARIES: &[&str] = &["lifecycle", "launcher"];

/// An installed lifecycle: its `cnb/lifecycle` directory and its parsed `lifecycle.toml`.
#[derive(Debug, Clone)]
pub struct InstalledLifecycle {
    dir: PathBuf,
    descriptor_path: PathBuf,
    descriptor: LifecycleDescriptor,
    platform: ReleasePlatform,
}

impl InstalledLifecycle {
    /// The lifecycle installed under `install_dir` (the `DESTDIR` of `make install`): checks
    /// that `cnb/lifecycle.toml` parses with a version and at least one supported API of each
    /// kind, that every binary of [`REQUIRED_BINARIES`] and the SBOMs of [`SBOM_BINARIES`] in
    /// every format are in `cnb/lifecycle`, and which architecture the `lifecycle` binary is
    /// built for.
    pub fn open(install_dir: &Path) -> Result<Self> {
        let dir = install_dir.join("cnb").join("lifecycle");
        let descriptor_path = install_dir.join("cnb").join(LifecycleDescriptor::FILE);
        if !dir.is_dir() {
            return Err(not_installed(&dir, "no such directory".to_owned()));
        }
        let descriptor = LifecycleDescriptor::read(&descriptor_path)?;
        if descriptor.lifecycle.version.is_empty() {
            return Err(not_installed(
                &descriptor_path,
                "[lifecycle] version is empty".to_owned(),
            ));
        }
        for (kind, set) in [
            ("buildpack", &descriptor.apis.buildpack),
            ("platform", &descriptor.apis.platform),
        ] {
            if set.supported.is_empty() {
                return Err(not_installed(
                    &descriptor_path,
                    format!("[apis.{kind}] supports no version"),
                ));
            }
        }
        let sboms = SBOM_BINARIES.iter().flat_map(|binary| {
            SbomFormat::ALL
                .iter()
                .map(move |format| format.file_name(binary))
        });
        for name in REQUIRED_BINARIES
            .iter()
            .map(|b| (*b).to_owned())
            .chain(sboms)
        {
            if !dir.join(&name).exists() {
                return Err(not_installed(&dir, format!("{name} is missing")));
            }
        }
        let platform = ReleasePlatform::of_executable(&dir.join("lifecycle"))?;
        Ok(Self {
            dir,
            descriptor_path,
            descriptor,
            platform,
        })
    }

    /// The `cnb/lifecycle` directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of `lifecycle.toml`.
    pub fn descriptor_path(&self) -> &Path {
        &self.descriptor_path
    }

    /// The parsed `lifecycle.toml`.
    pub fn descriptor(&self) -> &LifecycleDescriptor {
        &self.descriptor
    }

    /// The architecture the binaries are built for.
    pub fn platform(&self) -> ReleasePlatform {
        self.platform
    }

    /// `[lifecycle] version`.
    pub fn version(&self) -> &str {
        &self.descriptor.lifecycle.version
    }

    /// Appends the lifecycle's image layer, as Go's lifecycle image has it: `/cnb`,
    /// `/cnb/lifecycle.toml`, then `/cnb/lifecycle` and everything in it (symlinks kept),
    /// all owned by root.
    pub fn add_layer(&self, sink: &mut dyn EntrySink) -> cnb_archive::Result<()> {
        sink.append(&Header::directory("/cnb", 0o755), &mut std::io::empty())?;
        add_tree(
            sink,
            &self.descriptor_path,
            b"/cnb/lifecycle.toml",
            Owner::new(0, 0),
        )?;
        add_tree(sink, &self.dir, b"/cnb/lifecycle", Owner::new(0, 0))
    }
}

fn not_installed(path: &Path, reason: String) -> Error {
    Error::NotInstalled {
        path: path.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fake_install;
    use std::fs;

    #[test]
    fn opens_an_install_and_reads_its_version() {
        let temp = tempfile::tempdir().unwrap();
        fake_install(temp.path());
        let lifecycle = InstalledLifecycle::open(temp.path()).unwrap();
        assert_eq!(lifecycle.version(), "1.2.3");
        assert_eq!(lifecycle.platform(), ReleasePlatform::Amd64);
        assert_eq!(lifecycle.dir(), temp.path().join("cnb/lifecycle"));
    }

    #[test]
    fn names_the_missing_binary() {
        let temp = tempfile::tempdir().unwrap();
        fake_install(temp.path());
        fs::remove_file(temp.path().join("cnb/lifecycle/creator")).unwrap();
        let error = InstalledLifecycle::open(temp.path()).unwrap_err();
        assert!(error.to_string().ends_with("creator is missing"), "{error}");
    }

    #[test]
    fn names_a_missing_sbom() {
        let temp = tempfile::tempdir().unwrap();
        fake_install(temp.path());
        fs::remove_file(temp.path().join("cnb/lifecycle/launcher.sbom.spdx.json")).unwrap();
        let error = InstalledLifecycle::open(temp.path()).unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("launcher.sbom.spdx.json is missing"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_lifecycle_that_is_no_executable_of_a_release_architecture() {
        let temp = tempfile::tempdir().unwrap();
        fake_install(temp.path());
        fs::write(
            temp.path().join("cnb/lifecycle/lifecycle"),
            "#!/bin/sh\nexit 0\n",
        )
        .unwrap();
        let error = InstalledLifecycle::open(temp.path()).unwrap_err();
        assert!(
            error.to_string().contains("not a 64-bit Linux executable"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_dir_without_a_lifecycle() {
        let temp = tempfile::tempdir().unwrap();
        let error = InstalledLifecycle::open(temp.path()).unwrap_err();
        assert!(error.to_string().contains("no such directory"), "{error}");
    }
}
