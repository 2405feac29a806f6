//! Reading and editing the OCI layouts umoci writes, for what umoci cannot do: setting the
//! config's `variant`, and reading an image's blobs to push it as part of an index.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// `sha256:<hex>` of `bytes`.
pub(crate) fn digest_of(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut text = String::from("sha256:");
    for byte in hash {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// The path of blob `digest` in `layout`.
pub(crate) fn blob_path(layout: &Path, digest: &str) -> io::Result<PathBuf> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| invalid(format!("unsupported digest {digest}")))?;
    Ok(layout.join("blobs/sha256").join(hex))
}

/// Blob `digest` of `layout`.
pub(crate) fn read_blob(layout: &Path, digest: &str) -> io::Result<Vec<u8>> {
    fs::read(blob_path(layout, digest)?)
}

/// Blob `digest` of `layout` as JSON.
pub(crate) fn read_json(layout: &Path, digest: &str) -> io::Result<Value> {
    serde_json::from_slice(&read_blob(layout, digest)?)
        .map_err(|err| invalid(format!("blob {digest} of {}: {err}", layout.display())))
}

/// Writes `bytes` as a blob of `layout`; returns its digest.
pub(crate) fn put_blob(layout: &Path, bytes: &[u8]) -> io::Result<String> {
    let digest = digest_of(bytes);
    fs::write(blob_path(layout, &digest)?, bytes)?;
    Ok(digest)
}

/// An image of a layout: its manifest (as JSON, and its descriptor in `index.json`).
pub(crate) struct LayoutImage {
    /// The manifest.
    pub(crate) manifest: Value,
    /// The manifest's digest.
    pub(crate) digest: String,
}

impl LayoutImage {
    /// The image tagged `tag` in `layout`.
    pub(crate) fn read(layout: &Path, tag: &str) -> io::Result<Self> {
        let index: Value = serde_json::from_slice(&fs::read(layout.join("index.json"))?)
            .map_err(|err| invalid(format!("index.json of {}: {err}", layout.display())))?;
        let entry = tagged_entry(&index, tag)
            .ok_or_else(|| invalid(format!("no image tagged {tag} in {}", layout.display())))?;
        let digest = entry["digest"].as_str().unwrap_or_default().to_owned();
        Ok(Self {
            manifest: read_json(layout, &digest)?,
            digest,
        })
    }

    /// The digest of the config blob.
    pub(crate) fn config_digest(&self) -> &str {
        self.manifest["config"]["digest"]
            .as_str()
            .unwrap_or_default()
    }

    /// The layer descriptors.
    pub(crate) fn layers(&self) -> &[Value] {
        self.manifest["layers"]
            .as_array()
            .map_or(&[], Vec::as_slice)
    }
}

/// Sets the config's `variant` of the image tagged `tag` (umoci has no option for it): new
/// config and manifest blobs, and `index.json` pointing at the new manifest.
pub(crate) fn set_variant(layout: &Path, tag: &str, variant: &str) -> io::Result<()> {
    let image = LayoutImage::read(layout, tag)?;
    let mut config = read_json(layout, image.config_digest())?;
    config["variant"] = Value::from(variant);
    let config = serde_json::to_vec(&config).map_err(io::Error::other)?;
    let mut manifest = image.manifest;
    manifest["config"]["digest"] = Value::from(put_blob(layout, &config)?);
    manifest["config"]["size"] = Value::from(config.len());
    let manifest = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
    let digest = put_blob(layout, &manifest)?;
    let index_path = layout.join("index.json");
    let mut index: Value =
        serde_json::from_slice(&fs::read(&index_path)?).map_err(io::Error::other)?;
    for entry in index["manifests"].as_array_mut().into_iter().flatten() {
        if entry["annotations"][REF_NAME] == tag {
            entry["digest"] = Value::from(digest.as_str());
            entry["size"] = Value::from(manifest.len());
        }
    }
    fs::write(
        index_path,
        serde_json::to_vec(&index).map_err(io::Error::other)?,
    )
}

fn tagged_entry<'a>(index: &'a Value, tag: &str) -> Option<&'a Value> {
    index["manifests"]
        .as_array()?
        .iter()
        .find(|entry| entry["annotations"][REF_NAME] == tag)
}

pub(crate) fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}
