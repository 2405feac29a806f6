//! The lifecycle's own SBOMs (Platform API 0.11): `launcher.sbom.<ext>` from the launcher's
//! SBOM dir goes to `<layers>/sbom/launch/buildpacksio_lifecycle/launcher/sbom.<ext>` (so it
//! ships in the SBOM layer) and `lifecycle.sbom.<ext>` to
//! `<layers>/sbom/build/buildpacksio_lifecycle/sbom.<ext>`. A missing file is skipped.

use std::fs;
use std::path::Path;

use crate::{Error, Result};

const EXTENSIONS: [&str; 3] = ["cdx.json", "spdx.json", "syft.json"];

/// Copies whichever of the lifecycle's SBOM files exist in `from` into `layers_dir`.
pub(crate) fn copy_lifecycle_sboms(from: &Path, layers_dir: &Path) -> Result<()> {
    let sbom = layers_dir.join("sbom");
    let build = sbom.join("build").join("buildpacksio_lifecycle");
    let launch = sbom
        .join("launch")
        .join("buildpacksio_lifecycle")
        .join("launcher");
    for (component, to) in [("lifecycle", &build), ("launcher", &launch)] {
        for extension in EXTENSIONS {
            let source = from.join(format!("{component}.sbom.{extension}"));
            if !source.is_file() {
                tracing::debug!("Did not find SBOM {}", source.display());
                continue;
            }
            let target = to.join(format!("sbom.{extension}"));
            let write = |source| Error::Write {
                path: target.clone(),
                source,
            };
            fs::create_dir_all(to).map_err(write)?;
            tracing::debug!("Copying SBOM {} to {}", source.display(), target.display());
            fs::copy(&source, &target).map_err(write)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_exists_and_skips_the_rest() {
        let from = tempfile::tempdir().unwrap();
        let layers = tempfile::tempdir().unwrap();
        fs::write(from.path().join("launcher.sbom.cdx.json"), "{}").unwrap();
        fs::write(from.path().join("lifecycle.sbom.spdx.json"), "[]").unwrap();
        copy_lifecycle_sboms(from.path(), layers.path()).unwrap();
        let launch = layers
            .path()
            .join("sbom/launch/buildpacksio_lifecycle/launcher/sbom.cdx.json");
        assert_eq!(fs::read_to_string(launch).unwrap(), "{}");
        let build = layers
            .path()
            .join("sbom/build/buildpacksio_lifecycle/sbom.spdx.json");
        assert_eq!(fs::read_to_string(build).unwrap(), "[]");
        assert!(
            !layers
                .path()
                .join("sbom/launch/buildpacksio_lifecycle/launcher/sbom.spdx.json")
                .exists()
        );
    }
}
