//! `docker save` of one image, when a layer's bytes are needed and nothing else has them: the
//! tar the daemon exports (the legacy layout, `<id>/layer.tar`, or the OCI one,
//! `blobs/sha256/<hex>`; either has a `manifest.json`) is unpacked into a temp dir, and its
//! layers are indexed by diffID through the config `manifest.json` names. Only regular files,
//! directories and symlinks inside the dir are taken; anything else is refused.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use cnb_image::{Digest, ImageConfig};
use serde::Deserialize;
use tempfile::TempDir;

use crate::Error;

/// The layers of an exported image, on disk.
#[derive(Debug)]
pub(crate) struct SavedImage {
    /// Holds the unpacked files until the export is dropped.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "kept for its Drop, which removes the files")
    )]
    dir: TempDir,
    layers: BTreeMap<Digest, PathBuf>,
}

/// One `manifest.json` entry.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArchiveEntry {
    config: String,
    layers: Vec<String>,
}

impl SavedImage {
    /// Unpacks the export `tar` of `image` and indexes its layers.
    pub(crate) fn unpack(image: &str, tar: impl Read) -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("cnb-docker-save-")
            .tempdir()
            .map_err(Error::io(std::env::temp_dir()))?;
        let mut archive = tar::Archive::new(tar);
        let mut links = Vec::new();
        for entry in archive.entries().map_err(Error::Save)? {
            let mut entry = entry.map_err(Error::Save)?;
            let name = entry.path().map_err(Error::Save)?.into_owned();
            let Some(relative) = inside(&name) else {
                return Err(incomplete(
                    image,
                    &format!("entry {} leaves the export", name.display()),
                ));
            };
            let path = dir.path().join(&relative);
            match entry.header().entry_type() {
                tar::EntryType::Directory => {
                    fs::create_dir_all(&path).map_err(Error::io(&path))?;
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    if let Some(parent) = path.parent() {
                        fs::create_dir_all(parent).map_err(Error::io(parent))?;
                    }
                    let mut file = fs::File::create(&path).map_err(Error::io(&path))?;
                    io::copy(&mut entry, &mut file).map_err(Error::Save)?;
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(Error::Save)?
                        .map(std::borrow::Cow::into_owned)
                        .unwrap_or_default();
                    links.push((relative, target));
                }
                other => {
                    return Err(incomplete(
                        image,
                        &format!("entry {} is of type {other:?}", name.display()),
                    ));
                }
            }
        }
        // Read the answer to its end, so that its connection can serve another request.
        io::copy(&mut archive.into_inner(), &mut io::sink()).map_err(Error::Save)?;
        let links: BTreeMap<PathBuf, PathBuf> = links.into_iter().collect();
        let manifest_path = dir.path().join("manifest.json");
        let manifest = fs::read(&manifest_path).map_err(Error::io(&manifest_path))?;
        let entries: Vec<ArchiveEntry> =
            serde_json::from_slice(&manifest).map_err(|source| Error::Decode {
                what: format!("manifest.json of the export of {image}"),
                source,
            })?;
        let [entry] = entries.as_slice() else {
            return Err(incomplete(image, "manifest.json does not list one image"));
        };
        let config_path = resolve(dir.path(), &links, Path::new(&entry.config))
            .ok_or_else(|| incomplete(image, &format!("no config {}", entry.config)))?;
        let config_bytes = fs::read(&config_path).map_err(Error::io(&config_path))?;
        let config = ImageConfig::from_json(&config_bytes).map_err(|error| Error::Decode {
            what: format!("the config of the export of {image}"),
            source: error.source,
        })?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != entry.layers.len() {
            return Err(incomplete(
                image,
                "manifest.json and the config list different layers",
            ));
        }
        let mut layers = BTreeMap::new();
        for (diff_id, layer) in diff_ids.iter().zip(&entry.layers) {
            let path = resolve(dir.path(), &links, Path::new(layer))
                .ok_or_else(|| incomplete(image, &format!("no layer {layer}")))?;
            layers.insert(*diff_id, path);
        }
        tracing::debug!(image, layers = layers.len(), dir = %dir.path().display(), "exported from the daemon");
        Ok(Self { dir, layers })
    }

    /// The file holding layer `diff_id` (plain or compressed, as the daemon exported it).
    pub(crate) fn layer(&self, diff_id: &Digest) -> Option<&Path> {
        self.layers.get(diff_id).map(PathBuf::as_path)
    }

    /// Where the export was unpacked.
    #[cfg(test)]
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn incomplete(image: &str, what: &str) -> Error {
    Error::SaveIncomplete {
        image: image.to_owned(),
        what: what.to_owned(),
    }
}

/// `name` as a relative path with no `..`, or `None`.
fn inside(name: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in name.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The regular file `name` leads to inside `root`, following the export's symlinks (at most
/// a few hops, never out of `root`).
fn resolve(root: &Path, links: &BTreeMap<PathBuf, PathBuf>, name: &Path) -> Option<PathBuf> {
    let mut current = inside(name)?;
    for _ in 0..8 {
        if let Some(target) = links.get(&current) {
            let base = current.parent().map(Path::to_path_buf).unwrap_or_default();
            let joined = if target.is_absolute() {
                target.clone()
            } else {
                base.join(target)
            };
            current = normalize(&joined)?;
            continue;
        }
        let path = root.join(&current);
        return path.is_file().then_some(path);
    }
    None
}

/// `path` with `.` and `..` folded, refusing to climb above its start.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir | Component::RootDir => {}
            Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(builder: &mut tar::Builder<Vec<u8>>, name: &str, bytes: &[u8]) {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, bytes).unwrap();
    }

    fn symlink(builder: &mut tar::Builder<Vec<u8>>, name: &str, target: &str) {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        builder.append_link(&mut header, name, target).unwrap();
    }

    #[test]
    fn layers_are_indexed_by_diff_id_through_manifest_and_config() {
        let (one, two) = (b"layer one".as_slice(), b"layer two".as_slice());
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{}","{}"]}}}}"#,
            Digest::of(one),
            Digest::of(two)
        );
        let mut builder = tar::Builder::new(Vec::new());
        append(&mut builder, "aaa/layer.tar", one);
        append(&mut builder, "bbb/layer.tar", two);
        symlink(&mut builder, "ccc/layer.tar", "../bbb/layer.tar");
        append(&mut builder, "cfg.json", config.as_bytes());
        append(
            &mut builder,
            "manifest.json",
            br#"[{"Config":"cfg.json","RepoTags":["a:b"],"Layers":["aaa/layer.tar","ccc/layer.tar"]}]"#,
        );
        let tar = builder.into_inner().unwrap();
        let saved = SavedImage::unpack("a:b", tar.as_slice()).unwrap();
        assert_eq!(
            fs::read(saved.layer(&Digest::of(one)).unwrap()).unwrap(),
            one
        );
        let second = saved.layer(&Digest::of(two)).unwrap();
        assert!(second.starts_with(saved.dir()));
        assert_eq!(fs::read(second).unwrap(), two);
        assert!(saved.layer(&Digest::of(b"other")).is_none());
    }

    #[test]
    fn an_export_that_escapes_or_lacks_a_layer_is_refused() {
        let mut builder = tar::Builder::new(Vec::new());
        symlink(&mut builder, "x/layer.tar", "../../../etc/passwd");
        append(&mut builder, "cfg.json", br#"{"rootfs":{"type":"layers","diff_ids":["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}"#);
        append(
            &mut builder,
            "manifest.json",
            br#"[{"Config":"cfg.json","Layers":["x/layer.tar"]}]"#,
        );
        let tar = builder.into_inner().unwrap();
        let error = SavedImage::unpack("img", tar.as_slice()).unwrap_err();
        assert!(error.to_string().contains("incomplete"), "{error}");
    }
}
