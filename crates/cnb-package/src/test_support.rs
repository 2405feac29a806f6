//! Fixtures for the unit tests.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use cnb_files::TomlFile;
use cnb_files::lifecycle::LifecycleDescriptor;

use crate::lifecycle::{REQUIRED_BINARIES, SBOM_BINARIES};
use crate::release_platform::tests::elf_header;

/// A fake x86-64 install under `root` with every required name (the binaries need not run
/// here; `lifecycle` has the ELF header of one; the SBOMs need not parse).
pub(crate) fn fake_install(root: &Path) {
    fake_install_for(root, 0x3e);
}

/// [`fake_install`] with `lifecycle` an ELF executable for `machine` (`0xb7`: aarch64).
pub(crate) fn fake_install_for(root: &Path, machine: u16) {
    let dir = root.join("cnb/lifecycle");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("lifecycle"), elf_header(machine)).unwrap();
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
