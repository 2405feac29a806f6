//! Fixtures for the unit tests.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use cnb_files::TomlFile;
use cnb_files::lifecycle::LifecycleDescriptor;

use crate::lifecycle::{REQUIRED_BINARIES, SBOM_BINARIES};

/// A fake install under `root` with every required name (the binaries need not run here, nor
/// the SBOMs parse).
pub(crate) fn fake_install(root: &Path) {
    let dir = root.join("cnb/lifecycle");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("lifecycle"), "multi-call").unwrap();
    fs::write(dir.join("launcher"), "launcher").unwrap();
    for phase in REQUIRED_BINARIES.iter().filter(|name| **name != "launcher") {
        symlink("lifecycle", dir.join(phase)).unwrap();
    }
    for binary in SBOM_BINARIES {
        for format in cnb_api::SbomFormat::ALL {
            fs::write(dir.join(format.file_name(binary)), "{}\n").unwrap();
        }
    }
    LifecycleDescriptor::for_lifecycle("1.2.3")
        .write(&root.join("cnb/lifecycle.toml"))
        .unwrap();
}
