//! Image references, and manifests, indexes and configs as a registry or a layout serves them.

use std::io::Read;
use std::path::{Component, Path};

use cnb_image::{
    Digest, ImageConfig, ImageRef, ImageStore, Index, Manifest, MediaType, Platform, Repository,
    StoreError,
};

use crate::input::{one_line, parts, text};

/// An image reference, as every phase parses `-run-image`, `-previous-image`, tags, labels'
/// run image names and `run.toml` entries.
pub(crate) fn image_reference(data: &[u8]) {
    if let Some(name) = text(data) {
        reference(name);
    }
}

/// `name` parses, prints and parses again to the same reference (or fails on one line); its
/// layout path stays inside the layout root.
pub(crate) fn reference(name: &str) {
    match ImageRef::parse(name) {
        Ok(parsed) => {
            let printed = parsed.to_string();
            let again = ImageRef::parse(&printed).unwrap_or_else(|error| {
                panic!("{name:?} prints as {printed:?}, which does not parse: {error}")
            });
            assert_eq!(again, parsed, "{name:?} prints as {printed:?}");
            assert_eq!(again.to_string(), printed);
            if let Some(digest) = parsed.digest() {
                assert_eq!(parsed.with_digest(*digest), parsed);
            }
            if let Err(error) = parsed.context().tag("latest") {
                panic!("{printed} cannot take the tag latest: {error}");
            }
            layout_path(&parsed);
        }
        Err(error) => {
            one_line(&error);
        }
    }
    match Repository::parse(name) {
        Ok(repository) => {
            let printed = repository.to_string();
            let again = Repository::parse(&printed).unwrap_or_else(|error| {
                panic!("repository {name:?} prints as {printed:?}, which does not parse: {error}")
            });
            assert_eq!(
                again, repository,
                "repository {name:?} prints as {printed:?}"
            );
        }
        Err(error) => {
            one_line(&error);
        }
    }
}

/// The platform's reference → layout directory mapping never leaves the root.
fn layout_path(reference: &ImageRef) {
    let root = Path::new("/layout");
    match cnb_layout::layout_path(root, reference) {
        Ok(path) => {
            assert!(
                path.starts_with(root)
                    && path
                        .components()
                        .skip(2)
                        .all(|c| matches!(c, Component::Normal(_)))
                    && path != root,
                "{reference} maps to {}, outside {}",
                path.display(),
                root.display()
            );
        }
        Err(error) => {
            one_line(&error);
        }
    }
}

/// A manifest or index (NUL) the manifest an index entry names (NUL) a config: read the way
/// every phase reads an image (`ImageStore::read_image`: the media type told from the bytes,
/// an index resolved to linux/amd64, then the config), and each document that parses must
/// encode to bytes that parse to the same encoding.
pub(crate) fn manifest(data: &[u8]) {
    let documents = parts(data, 3);
    let store = Served {
        top: documents[0].to_vec(),
        child: documents
            .get(1)
            .map(|bytes| bytes.to_vec())
            .unwrap_or_default(),
        config: documents
            .get(2)
            .map(|bytes| bytes.to_vec())
            .unwrap_or_default(),
    };
    let reference = ImageRef::parse("127.0.0.1:5000/fuzz/app:latest").expect("a valid reference");
    let wanted = Platform {
        os: "linux".to_owned(),
        architecture: "amd64".to_owned(),
        variant: None,
    };
    if let Err(error) = store.read_image(&reference, &wanted) {
        one_line(&error);
    }
    for document in &documents {
        if let Ok(manifest) = Manifest::from_json(document) {
            let first = manifest.to_json();
            let again = Manifest::from_json(&first).expect("an encoded manifest parses");
            assert_eq!(
                again.to_json(),
                first,
                "a manifest changes when encoded twice"
            );
        }
        if let Ok(index) = Index::from_json(document) {
            let first = index.to_json();
            let again = Index::from_json(&first).expect("an encoded index parses");
            assert_eq!(
                again.to_json(),
                first,
                "an index changes when encoded twice"
            );
        }
    }
}

/// An image config: parsed, encoded and parsed again; its labels read as the phases read them.
pub(crate) fn config(data: &[u8]) {
    let parsed = match ImageConfig::from_json(data) {
        Ok(parsed) => parsed,
        Err(error) => {
            one_line(&error);
            return;
        }
    };
    let first = parsed.to_json();
    let again = ImageConfig::from_json(&first).expect("an encoded config parses");
    assert_eq!(
        again.to_json(),
        first,
        "a config changes when encoded twice"
    );
    parsed.platform();
    parsed.env("PATH");
    for (key, value) in parsed.labels() {
        if key.starts_with("io.buildpacks.") {
            crate::labels::labels(value.as_bytes());
        }
    }
}

/// A read-only store serving one input's documents.
struct Served {
    top: Vec<u8>,
    child: Vec<u8>,
    config: Vec<u8>,
}

impl ImageStore for Served {
    fn read_manifest_raw(
        &self,
        _reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError> {
        let bytes = if child.is_some() {
            &self.child
        } else {
            &self.top
        };
        Ok(Some((MediaType::of_manifest(bytes), bytes.clone())))
    }

    fn open_blob(
        &self,
        _reference: &ImageRef,
        _digest: &Digest,
    ) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        Ok(Some(Box::new(std::io::Cursor::new(self.config.clone()))))
    }

    fn has_blob(&self, _reference: &ImageRef, _digest: &Digest) -> Result<bool, StoreError> {
        Ok(true)
    }

    fn reuse_blob(
        &self,
        _target: &ImageRef,
        _digest: &Digest,
        _sources: &[ImageRef],
    ) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn blob_writer(
        &self,
        target: &ImageRef,
        _media_type: MediaType,
    ) -> Result<Box<dyn cnb_image::BlobWriter>, StoreError> {
        Err(StoreError::WriteBlob {
            reference: target.to_string(),
            source: "read-only".into(),
        })
    }

    fn write_manifest(
        &self,
        targets: &[ImageRef],
        _media_type: &MediaType,
        _bytes: &[u8],
    ) -> Result<cnb_image::ImageIdentity, StoreError> {
        Err(StoreError::WriteManifest {
            reference: targets.iter().map(ToString::to_string).collect(),
            source: "read-only".into(),
        })
    }
}
