//! `cnb-registry` against a real loopback `docker-registry`: what we push is what skopeo and
//! umoci read; the same inputs give the same digest; reads of OCI, Docker and index images.
//! What goes over the wire (and what happens when it breaks) is in `registry_transfer.rs`.

use std::fs;

use cnb_image::{Descriptor, Digest, ImageStore, Index, MediaType, Platform, StoreError};
use cnb_registry::Environment;
use cnb_testkit::{RegistryFixture, TarLayer, build_run_image};

use crate::image_support::{inspect, push_image, reference, registry_store, skopeo, umoci_unpack};

pub(crate) fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

pub(crate) fn two_layers() -> Vec<TarLayer> {
    vec![
        TarLayer::of(&[("etc/base.txt", "base layer\n")]),
        TarLayer::of(&[("workspace/app.txt", "hello from the app layer\n")]),
    ]
}

#[test]
fn an_image_we_push_is_read_back_by_skopeo_and_unpacked_by_umoci() {
    let registry = RegistryFixture::start().expect("registry");
    let image = reference(&registry.reference("test/app:v1"));
    let extra = reference(&registry.reference("test/app:extra"));
    let other_repo = reference(&registry.reference("other/app:v1"));
    let store = registry_store(&Environment::default(), &[]);
    let written = push_image(
        &store,
        &[image.clone(), extra.clone(), other_repo.clone()],
        &two_layers(),
        &[("io.buildpacks.test", "yes")],
    );

    let tls = "--tls-verify=false";
    let docker = |reference: &cnb_image::ImageRef| format!("docker://{reference}");
    let plain = inspect(&docker(&image), &[tls]);
    assert_eq!(plain["Digest"], written.digest.to_string());
    assert_eq!(plain["Labels"]["io.buildpacks.test"], "yes");
    assert_eq!(plain["Layers"].as_array().map(Vec::len), Some(2));
    assert_eq!(plain["Os"], "linux");
    let raw = skopeo(&["inspect", tls, "--raw", &docker(&image)]).stdout;
    assert_eq!(raw, written.manifest.to_json());
    let config = inspect(&docker(&image), &[tls, "--config"]);
    assert_eq!(config["config"]["User"], "1000:1000");
    let diff_ids: Vec<String> = written
        .config
        .rootfs
        .diff_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(config["rootfs"]["diff_ids"], serde_json::json!(diff_ids));
    for tag in [&extra, &other_repo] {
        assert_eq!(
            inspect(&docker(tag), &[tls])["Digest"],
            written.digest.to_string()
        );
    }

    let work = tempfile::tempdir().expect("temp dir");
    let layout = work.path().join("pulled");
    skopeo(&[
        "copy",
        "-q",
        "--src-tls-verify=false",
        &docker(&image),
        &format!("oci:{}:v1", layout.display()),
    ]);
    let rootfs = umoci_unpack(&layout, "v1", &work.path().join("bundle"));
    assert_eq!(
        fs::read_to_string(rootfs.join("etc/base.txt")).unwrap(),
        "base layer\n"
    );
    assert_eq!(
        fs::read_to_string(rootfs.join("workspace/app.txt")).unwrap(),
        "hello from the app layer\n"
    );

    let read = store
        .read_image(&image, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(read.digest(), written.digest);
    assert_eq!(read.label("io.buildpacks.test"), Some("yes"));
    assert_eq!(read.config, written.config);
    let layer_bytes = store
        .read_blob(&image, &written.manifest.layers[1].digest)
        .expect("layer");
    assert_eq!(layer_bytes, two_layers()[1].gzip());
    // A reader outlives the store that opened it.
    let mut reader = store
        .open_blob(&image, &written.manifest.layers[0].digest)
        .expect("open")
        .expect("present");
    drop(store);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut bytes).expect("read after drop");
    assert_eq!(bytes, two_layers()[0].gzip());
}

#[test]
fn the_same_inputs_give_the_same_manifest_digest_twice() {
    let registry = RegistryFixture::start().expect("registry");
    let store = registry_store(&Environment::default(), &[]);
    let first = push_image(
        &store,
        &[reference(&registry.reference("a/app:1"))],
        &two_layers(),
        &[],
    );
    let second = push_image(
        &store,
        &[reference(&registry.reference("b/app:1"))],
        &two_layers(),
        &[],
    );
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.manifest.to_json(), second.manifest.to_json());
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario: Docker v2 reads, then an index resolved and refused"
)]
fn reads_docker_v2_images_and_resolves_an_index_to_the_target_platform() {
    let registry = RegistryFixture::start().expect("registry");
    let run = build_run_image(&registry, "test/run:oci").expect("run image");
    let docker_ref = registry.reference("test/run:docker");
    skopeo(&[
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--format",
        "v2s2",
        &format!("docker://{}", run.reference),
        &format!("docker://{docker_ref}"),
    ]);
    let store = registry_store(&Environment::default(), &[]);
    let docker = store
        .read_image(&reference(&docker_ref), &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(
        docker.manifest.manifest.media_type,
        Some(MediaType::DockerManifest)
    );
    assert_eq!(
        docker.manifest.manifest.layers[0].media_type,
        MediaType::DockerLayerGzip
    );
    assert_eq!(
        docker.label(cnb_testkit::LABEL_BASE_ID),
        Some(cnb_testkit::DEFAULT_BASE_ID)
    );
    let oci = store
        .read_image(&reference(&run.reference), &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(oci.digest().to_string(), run.digest);

    // An index with an arm64 image (ours) and the amd64 run image.
    let arm_ref = reference(&registry.reference("test/multi:arm64"));
    let arm = push_image(
        &store,
        std::slice::from_ref(&arm_ref),
        &two_layers(),
        &[("arch", "arm64")],
    );
    let entry = |digest: Digest, bytes: usize, arch: &str| Descriptor {
        platform: Some(Platform {
            os: "linux".into(),
            architecture: arch.into(),
            variant: None,
        }),
        ..Descriptor::new(MediaType::OciManifest, digest, bytes as u64)
    };
    // The run image must be in the index's repository too.
    let multi = reference(&registry.reference("test/multi:all"));
    for blob in oci.manifest.manifest.blobs() {
        assert!(
            store
                .reuse_blob(&multi, &blob.digest, &[reference(&run.reference)])
                .expect("mount")
        );
    }
    store
        .write_manifest(
            &[reference(&registry.reference("test/multi:amd64"))],
            &MediaType::OciManifest,
            &oci.manifest.bytes,
        )
        .expect("amd64 manifest");
    let index = Index {
        schema_version: 2,
        media_type: Some(MediaType::OciIndex),
        manifests: vec![
            entry(arm.digest, arm.manifest.to_json().len(), "arm64"),
            entry(oci.digest(), oci.manifest.bytes.len(), "amd64"),
        ],
        annotations: std::collections::BTreeMap::default(),
        other: serde_json::Map::default(),
    };
    let index_digest = *store
        .write_manifest(
            std::slice::from_ref(&multi),
            &MediaType::OciIndex,
            &index.to_json(),
        )
        .expect("index")
        .digest();
    let arm64 = Platform {
        architecture: "arm64".into(),
        ..amd64()
    };
    let resolved = store
        .read_image(&multi, &arm64)
        .expect("read")
        .expect("found");
    assert_eq!(resolved.digest(), arm.digest);
    assert_eq!(resolved.label("arch"), Some("arm64"));
    assert_eq!(resolved.manifest.index, Some(index_digest));
    let resolved = store
        .read_image(&multi, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(resolved.digest(), oci.digest());
    let s390x = Platform {
        architecture: "s390x".into(),
        ..amd64()
    };
    let err = store.read_image(&multi, &s390x).unwrap_err();
    assert!(
        matches!(err, StoreError::NoMatchingPlatform { .. }),
        "{err}"
    );
    // An index listing a manifest the repository lacks is not tagged.
    let dangling = Index {
        manifests: vec![entry(Digest::of(b"no such manifest"), 10, "riscv64")],
        ..index.clone()
    };
    let broken = reference(&registry.reference("test/multi:broken"));
    let err = store
        .write_manifest(
            std::slice::from_ref(&broken),
            &MediaType::OciIndex,
            &dangling.to_json(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::MissingBlob { .. }), "{err}");
    assert!(
        store
            .read_manifest(&broken, &amd64())
            .expect("read")
            .is_none()
    );
    // skopeo names the index by its digest and resolves it to this host's linux/amd64.
    let seen = inspect(&format!("docker://{multi}"), &["--tls-verify=false"]);
    assert_eq!(seen["Digest"], index_digest.to_string());
    assert_eq!(seen["Architecture"], "amd64");
    assert_eq!(
        seen["Labels"][cnb_testkit::LABEL_BASE_ID],
        cnb_testkit::DEFAULT_BASE_ID
    );
}

#[test]
fn missing_images_are_none_and_missing_blobs_are_not_present() {
    let registry = RegistryFixture::start().expect("registry");
    let store = registry_store(&Environment::default(), &[]);
    let absent = reference(&registry.reference("nobody/here:v1"));
    assert!(store.read_image(&absent, &amd64()).expect("read").is_none());
    let digest = Digest::of(b"never pushed");
    assert!(!store.has_blob(&absent, &digest).expect("HEAD"));
    assert!(store.open_blob(&absent, &digest).expect("GET").is_none());
}
