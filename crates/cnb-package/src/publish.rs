//! Pushing an image or an index from an OCI layout to a registry: every blob the registry
//! lacks, then the manifests (an index's images by digest, then the index), byte for byte, so
//! the pushed digests are the layout's.

use std::path::Path;

use cnb_image::{Digest, ImageRef, ImageStore, Index, Manifest, StoreError};
use cnb_layout::{Layout, REF_NAME_ANNOTATION};
use cnb_platform::{EnvSource, ProcessEnv};
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore};

use crate::{Error, Result};

/// Pushes the image (or index) tagged `tag` in the layout at `layout_dir` through `store` as
/// `target`; an index's images go first, by digest. Returns the digest of what `tag` names.
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
    let bytes = read_manifest(&layout, &entry.digest, layout_dir)?;
    let fail = |source: StoreError| Error::Publish {
        reference: target.to_owned(),
        source,
    };
    if entry.media_type.is_index() {
        let index = Index::from_json(&bytes)
            .map_err(|error| missing(format!("index {}: {error}", entry.digest)))?;
        for child in &index.manifests {
            let child_bytes = read_manifest(&layout, &child.digest, layout_dir)?;
            push_blobs(&layout, layout_dir, &child_bytes, store, &reference, target)?;
            store
                .write_manifest(
                    &[reference.with_digest(child.digest)],
                    &child.media_type,
                    &child_bytes,
                )
                .map_err(fail)?;
        }
    } else {
        push_blobs(&layout, layout_dir, &bytes, store, &reference, target)?;
    }
    store
        .write_manifest(&[reference], &entry.media_type, &bytes)
        .map(|identity| *identity.digest())
        .map_err(fail)
}

fn read_manifest(layout: &Layout, digest: &Digest, layout_dir: &Path) -> Result<Vec<u8>> {
    layout.read_blob(digest)?.ok_or_else(|| Error::Base {
        path: layout_dir.to_owned(),
        reason: format!("manifest {digest} is missing"),
    })
}

/// Sends every blob of the image manifest `bytes` the registry lacks.
fn push_blobs(
    layout: &Layout,
    layout_dir: &Path,
    bytes: &[u8],
    store: &dyn ImageStore,
    reference: &ImageRef,
    target: &str,
) -> Result<()> {
    let missing = |what: String| Error::Base {
        path: layout_dir.to_owned(),
        reason: what,
    };
    let fail = |source: StoreError| Error::Publish {
        reference: target.to_owned(),
        source,
    };
    let manifest =
        Manifest::from_json(bytes).map_err(|error| missing(format!("manifest: {error}")))?;
    for blob in manifest.blobs() {
        if store.has_blob(reference, &blob.digest).map_err(fail)? {
            continue;
        }
        let mut reader = layout
            .open_blob(&blob.digest)?
            .ok_or_else(|| missing(format!("blob {} is missing", blob.digest)))?;
        let mut writer = store
            .blob_writer(reference, blob.media_type.clone())
            .map_err(fail)?;
        std::io::copy(&mut reader, &mut writer).map_err(|source| Error::CopyBlob {
            digest: blob.digest,
            reference: target.to_owned(),
            source,
        })?;
        writer.finish().map_err(fail)?;
    }
    Ok(())
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
