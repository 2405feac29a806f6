//! The lifecycle's own SBOMs (Platform API 0.11), copied under `<layers>/sbom` before any layer
//! is made, as the Go lifecycle does:
//!
//! - `lifecycle.sbom.<ext>` from the lifecycle's directory goes to
//!   `<layers>/sbom/build/buildpacksio_lifecycle/sbom.<ext>` (build SBOMs stay in `<layers>`,
//!   where platforms collect them);
//! - the launcher's go to `<layers>/sbom/launch/buildpacksio_lifecycle/launcher/`, so that they
//!   ship in the image's SBOM layer: `launcher.sbom.<ext>` from the lifecycle's directory as
//!   `sbom.<ext>`, or, when `-launcher-sbom` names another directory, every file of it whose
//!   name ends in `sbom.<ext>`, under its own name.
//!
//! A file missing from the lifecycle's directory is a warning (Go's `Did not find SBOM …`); a
//! `-launcher-sbom` directory that cannot be listed fails the export.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use cnb_api::SbomFormat;

use crate::{Error, ExporterConfig, Result};

/// [`copy_lifecycle_sboms`] with the directories of `config`.
pub(crate) fn copy_for(config: &ExporterConfig) -> Result<()> {
    copy_lifecycle_sboms(
        &config.lifecycle_dir,
        config.launcher_sbom_dir.as_deref(),
        &config.layers_dir,
    )
}

/// Copies the lifecycle's SBOM files from `lifecycle_dir`, and the launcher's from there or
/// from `launcher_sbom_dir` when the platform named another directory, into `layers_dir`.
pub(crate) fn copy_lifecycle_sboms(
    lifecycle_dir: &Path,
    launcher_sbom_dir: Option<&Path>,
    layers_dir: &Path,
) -> Result<()> {
    let sbom = layers_dir.join("sbom");
    let build = sbom.join("build").join("buildpacksio_lifecycle");
    let launch = sbom
        .join("launch")
        .join("buildpacksio_lifecycle")
        .join("launcher");
    copy_component(lifecycle_dir, "lifecycle", &build)?;
    match launcher_sbom_dir {
        None => copy_component(lifecycle_dir, "launcher", &launch),
        Some(dir) => copy_dir(dir, &launch),
    }
}

/// `<component>.sbom.<ext>` in `from` → `<to>/sbom.<ext>`, each one that exists.
fn copy_component(from: &Path, component: &str, to: &Path) -> Result<()> {
    for format in SbomFormat::ALL {
        let name = format.file_name(component);
        let source = from.join(&name);
        match fs::metadata(&source) {
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::NotFound => {
                tracing::warn!("Did not find SBOM {name} in {}", from.display());
                continue;
            }
            Err(error) => return Err(copy_failed(&source, error)),
        }
        let target = to.join(format.suffix());
        tracing::debug!("Copying SBOM {name} to {}", target.display());
        copy(&source, to, &target)?;
    }
    Ok(())
}

/// Every file of `from` named `*sbom.<ext>` → `<to>/<its name>`; `to` is made even when there
/// is none (Go does, and the SBOM layer then holds the empty directory).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let entries = fs::read_dir(from).map_err(|error| copy_failed(from, error))?;
    let mut sboms = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| copy_failed(from, error))?;
        let path = entry.path();
        let named = entry.file_name().to_str().is_some_and(|name| {
            SbomFormat::ALL
                .iter()
                .any(|format| name.ends_with(&format.suffix()))
        });
        // a directory is skipped, a symlink to a file is followed
        if named && path.is_file() {
            sboms.push(path);
        }
    }
    sboms.sort();
    fs::create_dir_all(to).map_err(|source| write_failed(to, source))?;
    for source in sboms {
        let Some(name) = source.file_name() else {
            continue;
        };
        tracing::debug!(
            "Copying SBOM {} to {}",
            source.display(),
            to.join(name).display()
        );
        copy(&source, to, &to.join(name))?;
    }
    Ok(())
}

fn copy(source: &Path, dir: &Path, target: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|error| write_failed(dir, error))?;
    fs::copy(source, target).map_err(|error| write_failed(target, error))?;
    Ok(())
}

fn copy_failed(path: &Path, source: std::io::Error) -> Error {
    Error::CopyLifecycleSboms {
        path: path.to_owned(),
        source,
    }
}

fn write_failed(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: PathBuf::from(path),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAUNCH: &str = "sbom/launch/buildpacksio_lifecycle/launcher";
    const BUILD: &str = "sbom/build/buildpacksio_lifecycle";

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    #[test]
    fn the_lifecycles_dir_gives_sbom_ext_for_each_file_there() {
        let from = tempfile::tempdir().unwrap();
        let layers = tempfile::tempdir().unwrap();
        fs::write(from.path().join("launcher.sbom.cdx.json"), "{}").unwrap();
        fs::write(from.path().join("lifecycle.sbom.spdx.json"), "[]").unwrap();
        fs::write(from.path().join("other.sbom.cdx.json"), "x").unwrap();
        copy_lifecycle_sboms(from.path(), None, layers.path()).unwrap();
        let launch = layers.path().join(LAUNCH);
        assert_eq!(read(&launch.join("sbom.cdx.json")), "{}");
        assert_eq!(
            read(&layers.path().join(BUILD).join("sbom.spdx.json")),
            "[]"
        );
        let mut names: Vec<_> = fs::read_dir(&launch)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["sbom.cdx.json"]);
    }

    #[test]
    fn nothing_in_the_lifecycles_dir_makes_no_launch_dir() {
        let from = tempfile::tempdir().unwrap();
        let layers = tempfile::tempdir().unwrap();
        copy_lifecycle_sboms(from.path(), None, layers.path()).unwrap();
        assert!(!layers.path().join("sbom").exists());
    }

    #[test]
    fn a_named_dir_gives_its_sbom_files_under_their_own_names() {
        let lifecycle = tempfile::tempdir().unwrap();
        let custom = tempfile::tempdir().unwrap();
        let layers = tempfile::tempdir().unwrap();
        fs::write(lifecycle.path().join("launcher.sbom.cdx.json"), "ours").unwrap();
        fs::write(lifecycle.path().join("lifecycle.sbom.cdx.json"), "build").unwrap();
        fs::write(custom.path().join("my-launcher.sbom.syft.json"), "s").unwrap();
        fs::write(custom.path().join("sbom.cdx.json"), "c").unwrap();
        fs::write(custom.path().join("notes.txt"), "no").unwrap();
        fs::create_dir(custom.path().join("dir.sbom.cdx.json")).unwrap();
        copy_lifecycle_sboms(lifecycle.path(), Some(custom.path()), layers.path()).unwrap();
        let launch = layers.path().join(LAUNCH);
        let mut names: Vec<_> = fs::read_dir(&launch)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["my-launcher.sbom.syft.json", "sbom.cdx.json"]);
        assert_eq!(read(&launch.join("sbom.cdx.json")), "c");
        // the lifecycle's own build SBOM still comes from the lifecycle's dir
        assert_eq!(
            read(&layers.path().join(BUILD).join("sbom.cdx.json")),
            "build"
        );
    }

    #[test]
    fn a_named_dir_without_sboms_still_makes_the_launch_dir() {
        let lifecycle = tempfile::tempdir().unwrap();
        let custom = tempfile::tempdir().unwrap();
        let layers = tempfile::tempdir().unwrap();
        copy_lifecycle_sboms(lifecycle.path(), Some(custom.path()), layers.path()).unwrap();
        assert!(layers.path().join(LAUNCH).is_dir());
    }

    #[test]
    fn a_named_dir_that_is_missing_fails_naming_it() {
        let lifecycle = tempfile::tempdir().unwrap();
        let layers = tempfile::tempdir().unwrap();
        let missing = lifecycle.path().join("missing");
        let error =
            copy_lifecycle_sboms(lifecycle.path(), Some(&missing), layers.path()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "failed to copy buildpacksio SBOMs from {}",
                missing.display()
            )
        );
    }
}
