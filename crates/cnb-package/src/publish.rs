//! Pushing an image from an OCI layout to a registry: every blob the registry lacks, then the
//! manifest, byte for byte, so the pushed digest is the layout's.

use std::path::Path;

use cnb_image::{Digest, ImageRef, ImageStore, Manifest, StoreError};
use cnb_layout::{Layout, REF_NAME_ANNOTATION};
use cnb_platform::{EnvSource, ProcessEnv};
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore};

use crate::{Error, Result};

/// Pushes the image tagged `tag` in the layout at `layout_dir` through `store` as `target`;
/// returns the manifest digest.
pub fn publish(
    layout_dir: &Path,
    tag: &str,
    store: &dyn ImageStore,
    target: &str,
) -> Result<Digest> {
    let reference = ImageRef::parse(target).map_err(|source| Error::Reference {
        what: "publish target",
        source,
    })?;
    let layout = Layout::new(layout_dir);
    let missing = |what: String| Error::Base {
        path: layout_dir.to_owned(),
        reason: what,
    };
    let (index, _) = layout
        .read_index()?
        .ok_or_else(|| missing("no index.json".to_owned()))?;
    let entry = index
        .manifests
        .iter()
        .find(|entry| {
            entry
                .annotations
                .get(REF_NAME_ANNOTATION)
                .map(String::as_str)
                == Some(tag)
        })
        .ok_or_else(|| missing(format!("no image tagged {tag:?}")))?;
    let bytes = layout
        .read_blob(&entry.digest)?
        .ok_or_else(|| missing(format!("manifest {} is missing", entry.digest)))?;
    let manifest = Manifest::from_json(&bytes)
        .map_err(|error| missing(format!("manifest {}: {error}", entry.digest)))?;
    let fail = |source: StoreError| Error::Publish {
        reference: target.to_owned(),
        source,
    };
    for blob in manifest.blobs() {
        if store.has_blob(&reference, &blob.digest).map_err(fail)? {
            continue;
        }
        let mut reader = layout
            .open_blob(&blob.digest)?
            .ok_or_else(|| missing(format!("blob {} is missing", blob.digest)))?;
        let mut writer = store
            .blob_writer(&reference, blob.media_type.clone())
            .map_err(fail)?;
        std::io::copy(&mut reader, &mut writer).map_err(|source| Error::CopyBlob {
            digest: blob.digest,
            reference: target.to_owned(),
            source,
        })?;
        writer.finish().map_err(fail)?;
    }
    store
        .write_manifest(&[reference], &entry.media_type, &bytes)
        .map(|identity| *identity.digest())
        .map_err(fail)
}

/// A registry store for pushing to `target`, with credentials from the process environment
/// (`CNB_REGISTRY_AUTH`, docker `config.json`, credential helpers) as the lifecycle finds
/// them; loopback registries are reached over plain HTTP.
pub fn registry_store(target: &str) -> Result<RegistryStore> {
    let env = Environment::from_lookup(|name| ProcessEnv.var(name));
    let reference = ImageRef::parse(target).map_err(|source| Error::Reference {
        what: "publish target",
        source,
    })?;
    let keychain = Keychain::resolve(&env, &[reference])?;
    Ok(RegistryStore::new(
        RegistryConfig::default(),
        &env,
        keychain,
    )?)
}
