//! The image to extend, as the restorer saved it: an OCI layout at
//! `<kaniko-dir>/cache/base/<hex of the manifest digest>/` holding (at least) the manifest and
//! the config, found by the digest of analyzed.toml's `[build-image]` or `[run-image]`
//! reference.

use std::path::Path;

use cnb_dockerfile::Kind;
use cnb_image::{Digest, ImageConfig, ImageRef, Manifest, MediaType};
use cnb_layout::Layout;

use crate::error::{BaseError, Error};

/// The base image's manifest and config.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    /// The manifest digest from analyzed.toml.
    pub digest: Digest,
    pub manifest: Manifest,
    pub config: ImageConfig,
}

/// The digest `reference` (from analyzed.toml) pins.
pub(crate) fn digest_of(kind: Kind, reference: &str) -> Result<Digest, Error> {
    ImageRef::parse(reference)
        .ok()
        .and_then(|r| r.digest().copied())
        .ok_or_else(|| Error::NotADigest {
            kind,
            reference: reference.to_owned(),
        })
}

/// Reads the base image `digest` from under `kaniko_dir`.
pub(crate) fn read(kaniko_dir: &Path, digest: Digest) -> Result<Base, Error> {
    let dir = cnb_layout::base_image_dir(kaniko_dir, &digest);
    read_layout(&dir, digest).map_err(|source| Error::ReadBase {
        path: dir,
        source: Box::new(source),
    })
}

fn read_layout(dir: &Path, digest: Digest) -> Result<Base, BaseError> {
    let layout = Layout::new(dir);
    let (media_type, bytes) = layout.root_manifest()?.ok_or(BaseError::Missing)?;
    if !matches!(
        media_type,
        MediaType::OciManifest | MediaType::DockerManifest
    ) {
        return Err(BaseError::NotAManifest);
    }
    let manifest = Manifest::from_json(&bytes)?;
    let config_bytes =
        layout
            .read_blob(&manifest.config.digest)?
            .ok_or(BaseError::MissingConfig {
                digest: manifest.config.digest,
            })?;
    let config = ImageConfig::from_json(&config_bytes)?;
    Ok(Base {
        digest,
        manifest,
        config,
    })
}
