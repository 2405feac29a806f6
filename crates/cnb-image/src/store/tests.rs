//! The provided methods of `ImageStore`, over a tiny in-memory store.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::sync::Mutex;

use super::*;

#[derive(Default)]
struct Memory {
    manifests: Mutex<BTreeMap<String, (MediaType, Vec<u8>)>>,
    blobs: Mutex<BTreeMap<Digest, Vec<u8>>>,
}

struct MemoryWriter<'a> {
    store: &'a Memory,
    media_type: MediaType,
    bytes: Vec<u8>,
}

impl Write for MemoryWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BlobWriter for MemoryWriter<'static> {
    fn finish(self: Box<Self>) -> Result<Descriptor, StoreError> {
        let digest = Digest::of(&self.bytes);
        let size = self.bytes.len() as u64;
        self.store.blobs.lock().unwrap().insert(digest, self.bytes);
        Ok(Descriptor::new(self.media_type, digest, size))
    }
}

impl ImageStore for &'static Memory {
    fn read_manifest_raw(
        &self,
        reference: &ImageRef,
        child: Option<&Digest>,
    ) -> Result<Option<(MediaType, Vec<u8>)>, StoreError> {
        let key = match child {
            Some(digest) => reference.with_digest(*digest).to_string(),
            None => reference.to_string(),
        };
        Ok(self.manifests.lock().unwrap().get(&key).cloned())
    }
    fn open_blob(
        &self,
        _: &ImageRef,
        digest: &Digest,
    ) -> Result<Option<Box<dyn Read + Send>>, StoreError> {
        let blob = self.blobs.lock().unwrap().get(digest).cloned();
        Ok(blob.map(|bytes| Box::new(Cursor::new(bytes)) as Box<dyn Read + Send>))
    }
    fn has_blob(&self, _: &ImageRef, digest: &Digest) -> Result<bool, StoreError> {
        Ok(self.blobs.lock().unwrap().contains_key(digest))
    }
    fn reuse_blob(
        &self,
        target: &ImageRef,
        digest: &Digest,
        _: &[ImageRef],
    ) -> Result<bool, StoreError> {
        self.has_blob(target, digest)
    }
    fn blob_writer(
        &self,
        _: &ImageRef,
        media_type: MediaType,
    ) -> Result<Box<dyn BlobWriter>, StoreError> {
        Ok(Box::new(MemoryWriter {
            store: self,
            media_type,
            bytes: Vec::new(),
        }))
    }
    fn write_manifest(
        &self,
        targets: &[ImageRef],
        media_type: &MediaType,
        bytes: &[u8],
    ) -> Result<ImageIdentity, StoreError> {
        let digest = Digest::of(bytes);
        for target in targets {
            for reference in [target.clone(), target.with_digest(digest)] {
                self.manifests
                    .lock()
                    .unwrap()
                    .insert(reference.to_string(), (media_type.clone(), bytes.to_vec()));
            }
        }
        Ok(ImageIdentity::Manifest(digest))
    }
}

fn store() -> &'static Memory {
    Box::leak(Box::default())
}

fn linux(arch: &str) -> Platform {
    Platform {
        os: "linux".into(),
        architecture: arch.into(),
        variant: None,
    }
}

fn write_image(store: &'static Memory, target: &ImageRef, label: &str) -> Manifest {
    let mut config = ImageConfig {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..ImageConfig::default()
    };
    config.set_label("which", label);
    let config = store
        .write_config(target, MediaType::OciConfig, &config)
        .unwrap();
    let layer = store
        .write_blob(target, MediaType::OciLayerGzip, label.as_bytes())
        .unwrap();
    let manifest = Manifest::new(MediaType::OciManifest, config, vec![layer]);
    store
        .write_image(std::slice::from_ref(target), &manifest)
        .unwrap();
    manifest
}

#[test]
fn reads_back_an_image_with_its_labels_and_digest() {
    let store = store();
    let target = ImageRef::parse("reg.io/app:v1").unwrap();
    let manifest = write_image(store, &target, "one");
    let image = store.read_image(&target, &linux("amd64")).unwrap().unwrap();
    assert_eq!(image.manifest.manifest, manifest);
    assert_eq!(image.digest(), Digest::of(&manifest.to_json()));
    assert_eq!(image.manifest.reference.digest(), Some(&image.digest()));
    assert_eq!(image.label("which"), Some("one"));
    assert_eq!(image.manifest.index, None);
    let missing = ImageRef::parse("reg.io/app:nope").unwrap();
    assert!(
        store
            .read_image(&missing, &linux("amd64"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn resolves_an_index_to_the_wanted_platform() {
    let store = store();
    let amd = ImageRef::parse("reg.io/app:amd").unwrap();
    let arm = ImageRef::parse("reg.io/app:arm").unwrap();
    let entry = |manifest: &Manifest, arch: &str| Descriptor {
        platform: Some(linux(arch)),
        ..Descriptor::new(
            MediaType::OciManifest,
            Digest::of(&manifest.to_json()),
            manifest.to_json().len() as u64,
        )
    };
    let amd_entry = entry(&write_image(store, &amd, "amd"), "amd64");
    let arm_entry = entry(&write_image(store, &arm, "arm"), "arm64");
    let index = Index::from_json(
        &serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [amd_entry, arm_entry],
        }))
        .unwrap(),
    )
    .unwrap();
    let multi = ImageRef::parse("reg.io/app:multi").unwrap();
    let index_digest = *store
        .write_manifest(
            std::slice::from_ref(&multi),
            &MediaType::OciIndex,
            &index.to_json(),
        )
        .unwrap()
        .digest();

    let image = store.read_image(&multi, &linux("arm64")).unwrap().unwrap();
    assert_eq!(image.label("which"), Some("arm"));
    assert_eq!(image.manifest.index, Some(index_digest));
    assert_eq!(image.digest(), arm_entry.digest);
    assert_eq!(image.identity(), ImageIdentity::Manifest(arm_entry.digest));

    let err = store.read_image(&multi, &linux("s390x")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reg.io/app:multi has no image for platform linux/s390x (it offers linux/amd64, linux/arm64)"
    );
}

#[test]
fn a_docker_manifest_list_resolves_like_an_oci_index_in_any_entry_order() {
    let store = store();
    let amd = ImageRef::parse("reg.io/list:amd").unwrap();
    let arm = ImageRef::parse("reg.io/list:arm").unwrap();
    let entry = |manifest: &Manifest, platform: serde_json::Value| {
        let bytes = manifest.to_json();
        serde_json::json!({
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": Digest::of(&bytes), "size": bytes.len(), "platform": platform,
        })
    };
    let amd_entry = entry(
        &write_image(store, &amd, "amd"),
        serde_json::json!({"os": "linux", "architecture": "amd64"}),
    );
    let arm_entry = entry(
        &write_image(store, &arm, "arm"),
        serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8",
            "os.features": [], "features": []}),
    );
    for (tag, entries) in [
        ("amd-first", [&amd_entry, &arm_entry]),
        ("arm-first", [&arm_entry, &amd_entry]),
    ] {
        let list = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
            "manifests": entries,
        });
        let reference = ImageRef::parse(&format!("reg.io/list:{tag}")).unwrap();
        store
            .write_manifest(
                std::slice::from_ref(&reference),
                &MediaType::DockerManifestList,
                &serde_json::to_vec(&list).unwrap(),
            )
            .unwrap();
        for (arch, label) in [("arm64", "arm"), ("amd64", "amd")] {
            let image = store.read_image(&reference, &linux(arch)).unwrap().unwrap();
            assert_eq!(image.label("which"), Some(label), "{tag} for {arch}");
        }
        let err = store.read_image(&reference, &linux("ppc64le")).unwrap_err();
        assert!(
            matches!(&err, StoreError::NoMatchingPlatform { offered, .. }
                if offered.contains("linux/amd64") && offered.contains("linux/arm64/v8")),
            "{err}"
        );
    }
}

#[test]
fn refuses_what_is_neither_manifest_nor_index() {
    let store = store();
    let target = ImageRef::parse("reg.io/app:odd").unwrap();
    store
        .write_manifest(
            std::slice::from_ref(&target),
            &MediaType::OciLayer,
            b"{\"layers\":[]}",
        )
        .unwrap();
    let err = store.read_manifest(&target, &linux("amd64")).unwrap_err();
    assert!(
        matches!(err, StoreError::UnsupportedMediaType { .. }),
        "{err}"
    );
    let missing_blob = store
        .read_blob(&target, &Digest::of(b"absent"))
        .unwrap_err();
    assert!(missing_blob.to_string().starts_with("blob sha256:"));
}

#[test]
fn a_blob_finished_with_the_callers_digest_must_have_that_digest() {
    let store = store();
    let target = ImageRef::parse("example.com/app:1").unwrap();
    let write = |digest: Digest| {
        let mut writer = store.blob_writer(&target, MediaType::OciLayer).unwrap();
        writer.digest_follows();
        writer.write_all(b"layer bytes").unwrap();
        writer.finish_with_digest(digest)
    };
    let right = Digest::of(b"layer bytes");
    assert_eq!(write(right).unwrap().digest, right);
    let error = write(Digest::of(b"other bytes")).unwrap_err();
    let text = std::error::Error::source(&error)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(text.contains("not the sha256:"), "{text}");
}
