//! The release tarball pack's `builder create` downloads
//! (`lifecycle-v<version>+linux.x86-64.tgz`, `…+linux.arm64.tgz`: the architecture the
//! binaries are built for): `lifecycle.toml` at the root, then `lifecycle` and the binaries and
//! their SBOMs one level down, phase symlinks kept as symlinks, every entry owned by root with
//! the normalised mtime. A `<tgz>.sha256` file (`sha256sum` format) goes beside it.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cnb_archive::{Compression, EntrySink, GzipEngine, LayerWriter, Owner, add_tree};
use cnb_image::Sha256Writer;

use crate::{Error, InstalledLifecycle, ReleasePlatform, Result};

/// The gzip level of the tarball: a release artifact, written once and downloaded often.
const GZIP_LEVEL: u32 = 9;

/// `lifecycle-v<version>+linux.<arch>.tgz`, Go's release names (`linux.x86-64`,
/// `linux.arm64`, …).
pub fn file_name(version: &str, platform: ReleasePlatform) -> String {
    format!("lifecycle-v{version}+linux.{}.tgz", platform.release_name())
}

/// Writes the tarball of `lifecycle` into `out_dir` (created if missing) and its `.sha256`
/// beside it; returns the tarball's path.
pub fn write(lifecycle: &InstalledLifecycle, out_dir: &Path) -> Result<PathBuf> {
    fs::create_dir_all(out_dir).map_err(|source| Error::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    let name = file_name(lifecycle.version(), lifecycle.platform());
    let path = out_dir.join(&name);
    let write_error = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(out_dir)
        .map_err(write_error)?;
    let sink = Sha256Writer::new(temp);
    let mut tar = LayerWriter::new(
        sink,
        Compression::Gzip {
            level: GZIP_LEVEL,
            engine: GzipEngine::ZlibRs,
        },
    )
    .map_err(layer_error)?;
    add_entries(lifecycle, &mut tar).map_err(layer_error)?;
    let (sink, _) = tar.finish().map_err(layer_error)?;
    let (temp, digest, _) = sink.finish();
    temp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o644))
        .map_err(write_error)?;
    temp.persist(&path)
        .map_err(|error| write_error(error.error))?;
    let sum_path = out_dir.join(format!("{name}.sha256"));
    let mut sum = File::create(&sum_path).map_err(|source| Error::Write {
        path: sum_path.clone(),
        source,
    })?;
    writeln!(sum, "{}  {name}", digest.hex()).map_err(|source| Error::Write {
        path: sum_path,
        source,
    })?;
    Ok(path)
}

fn add_entries(
    lifecycle: &InstalledLifecycle,
    sink: &mut dyn EntrySink,
) -> cnb_archive::Result<()> {
    let root = Owner::new(0, 0);
    add_tree(sink, lifecycle.descriptor_path(), b"lifecycle.toml", root)?;
    add_tree(sink, lifecycle.dir(), b"lifecycle", root)
}

fn layer_error(source: cnb_archive::Error) -> Error {
    Error::Layer {
        layer: "lifecycle tgz".to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{fake_install, fake_install_for};
    use std::io::Read;

    fn entries(tgz: &Path) -> Vec<(String, u8, u32, u64, String)> {
        let decoder = flate2::read::GzDecoder::new(File::open(tgz).unwrap());
        let mut archive = tar::Archive::new(decoder);
        archive
            .entries()
            .unwrap()
            .map(|entry| {
                let mut entry = entry.unwrap();
                let header = entry.header().clone();
                let link = header
                    .link_name()
                    .unwrap()
                    .map(|link| link.display().to_string())
                    .unwrap_or_default();
                let mut data = Vec::new();
                entry.read_to_end(&mut data).unwrap();
                (
                    String::from_utf8(entry.path_bytes().into_owned()).unwrap(),
                    header.entry_type().as_byte(),
                    header.mode().unwrap(),
                    header.mtime().unwrap(),
                    link,
                )
            })
            .collect()
    }

    #[test]
    fn lays_out_lifecycle_toml_then_the_binaries_one_level_down() {
        let temp = tempfile::tempdir().unwrap();
        fake_install(&temp.path().join("install"));
        let lifecycle = InstalledLifecycle::open(&temp.path().join("install")).unwrap();
        let out = temp.path().join("dist");
        let tgz = write(&lifecycle, &out).unwrap();
        assert_eq!(tgz, out.join("lifecycle-v1.2.3+linux.x86-64.tgz"));
        let entries = entries(&tgz);
        let names: Vec<&str> = entries.iter().map(|entry| entry.0.as_str()).collect();
        assert_eq!(
            names[..3],
            ["lifecycle.toml", "lifecycle", "lifecycle/analyzer"]
        );
        assert!(names.contains(&"lifecycle/launcher"), "{names:?}");
        let creator = entries.iter().find(|e| e.0 == "lifecycle/creator").unwrap();
        assert_eq!((creator.1, creator.4.as_str()), (b'2', "lifecycle"));
        assert!(entries.iter().all(|e| e.3 == cnb_archive::NORMALIZED_MTIME));
        let sum = fs::read_to_string(out.join("lifecycle-v1.2.3+linux.x86-64.tgz.sha256")).unwrap();
        let digest = cnb_image::Digest::of(&fs::read(&tgz).unwrap());
        assert_eq!(
            sum,
            format!("{}  lifecycle-v1.2.3+linux.x86-64.tgz\n", digest.hex())
        );
    }

    #[test]
    fn an_aarch64_install_is_named_arm64() {
        let temp = tempfile::tempdir().unwrap();
        fake_install_for(&temp.path().join("install"), 0xb7);
        let lifecycle = InstalledLifecycle::open(&temp.path().join("install")).unwrap();
        let tgz = write(&lifecycle, &temp.path().join("dist")).unwrap();
        assert_eq!(tgz.file_name().unwrap(), "lifecycle-v1.2.3+linux.arm64.tgz");
        assert!(
            temp.path()
                .join("dist/lifecycle-v1.2.3+linux.arm64.tgz.sha256")
                .is_file()
        );
    }

    #[test]
    fn the_same_install_gives_the_same_bytes() {
        let temp = tempfile::tempdir().unwrap();
        fake_install(&temp.path().join("install"));
        let lifecycle = InstalledLifecycle::open(&temp.path().join("install")).unwrap();
        let first = fs::read(write(&lifecycle, &temp.path().join("a")).unwrap()).unwrap();
        let second = fs::read(write(&lifecycle, &temp.path().join("b")).unwrap()).unwrap();
        assert_eq!(first, second);
    }
}
