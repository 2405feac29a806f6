//! `cnb-registry` against a real loopback `docker-registry`: what we push is what skopeo and
//! umoci read; reads of OCI, Docker and index images; no blob sent twice; retries through
//! injected faults, and no tag on an incomplete image.

use std::fs;

use cnb_image::{Descriptor, Digest, ImageStore, Index, MediaType, Platform, StoreError};
use cnb_registry::Environment;
use cnb_testkit::{Fault, FaultKind, RegistryFixture, RegistryProxy, build_run_image};

use crate::image_support::{
    chain, inspect, layer, push_image, reference, registry_store, skopeo, umoci_unpack,
};

fn amd64() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

fn two_layers() -> Vec<Vec<u8>> {
    vec![
        layer(&[("etc/base.txt", "base layer\n")]),
        layer(&[("workspace/app.txt", "hello from the app layer\n")]),
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
    assert_eq!(layer_bytes, two_layers()[1]);
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
        annotations: Default::default(),
        other: Default::default(),
    };
    let index_digest = store
        .write_manifest(
            std::slice::from_ref(&multi),
            &MediaType::OciIndex,
            &index.to_json(),
        )
        .expect("index");
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

#[test]
fn a_second_push_of_the_same_layers_sends_no_blob_bytes() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let via_proxy = |name: &str| reference(&format!("{}/{name}", proxy.host()));
    let first = push_image(
        &registry_store(&Environment::default(), &[]),
        &[via_proxy("test/app:1")],
        &two_layers(),
        &[],
    );
    let uploaded = proxy.body_bytes("/blobs/uploads/");
    let layer_bytes: u64 = first.manifest.blobs().map(|blob| blob.size).sum();
    assert_eq!(uploaded, layer_bytes, "{:#?}", proxy.requests());

    // Same repository, a fresh store (no memory of the first push): existence checks only.
    proxy.clear();
    let again = push_image(
        &registry_store(&Environment::default(), &[]),
        &[via_proxy("test/app:2")],
        &two_layers(),
        &[],
    );
    assert_eq!(again.digest, first.digest);
    assert_eq!(
        proxy.body_bytes("/blobs/uploads/"),
        0,
        "{:#?}",
        proxy.requests()
    );
    assert!(proxy.requests().iter().any(|r| r.method == "HEAD"));

    // Another repository of the same registry: the blobs are mounted, not sent.
    proxy.clear();
    let store = registry_store(&Environment::default(), &[]);
    let target = via_proxy("mounted/app:1");
    for blob in first.manifest.blobs() {
        assert!(
            store
                .reuse_blob(&target, &blob.digest, &[via_proxy("test/app:1")])
                .expect("mount")
        );
    }
    store
        .write_image(std::slice::from_ref(&target), &first.manifest)
        .expect("manifest");
    assert_eq!(proxy.body_bytes("/blobs/uploads/"), 0);
    assert!(
        proxy
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.contains("mount=")),
        "{:#?}",
        proxy.requests()
    );
    let seen = inspect(
        &format!("docker://{}", registry.reference("mounted/app:1")),
        &["--tls-verify=false"],
    );
    assert_eq!(seen["Digest"], first.digest.to_string());
}

#[test]
fn uploads_retry_through_dropped_connections_and_server_errors() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    for fault in [
        Fault {
            method: "PATCH".into(),
            path_contains: "/blobs/uploads/".into(),
            kind: FaultKind::DropAfter(100),
            times: 1,
        },
        Fault {
            method: "PUT".into(),
            path_contains: "/blobs/uploads/".into(),
            kind: FaultKind::Status(500),
            times: 1,
        },
        Fault {
            method: "HEAD".into(),
            path_contains: "/blobs/".into(),
            kind: FaultKind::Status(503),
            times: 1,
        },
        Fault {
            method: "PUT".into(),
            path_contains: "/manifests/".into(),
            kind: FaultKind::Status(502),
            times: 1,
        },
    ] {
        proxy.inject(fault);
    }
    let image = reference(&format!("{}/test/app:v1", proxy.host()));
    let store = registry_store(&Environment::default(), &[]);
    let written = push_image(&store, std::slice::from_ref(&image), &two_layers(), &[]);
    let requests = proxy.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.method == "PATCH" && r.status.is_none())
    );
    assert!(requests.iter().any(|r| r.status == Some(500)));
    assert!(requests.iter().any(|r| r.status == Some(502)));
    let seen = inspect(
        &format!("docker://{}", registry.reference("test/app:v1")),
        &["--tls-verify=false"],
    );
    assert_eq!(seen["Digest"], written.digest.to_string());
    let read = store
        .read_image(&image, &amd64())
        .expect("read")
        .expect("found");
    assert_eq!(read.config, written.config);
}

#[test]
fn when_an_upload_gives_up_no_tag_points_at_the_incomplete_image() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    proxy.inject(Fault {
        method: "PATCH".into(),
        path_contains: "/blobs/uploads/".into(),
        kind: FaultKind::DropAfter(10),
        times: 1000,
    });
    let image = reference(&format!("{}/test/app:v1", proxy.host()));
    let store = registry_store(&Environment::default(), &[]);
    let mut writer = store
        .blob_writer(&image, MediaType::OciLayerGzip)
        .expect("writer");
    std::io::Write::write_all(&mut writer, &two_layers()[0]).expect("spooled");
    let err = writer.finish().expect_err("the upload gives up");
    let message = chain(&err);
    assert!(
        message.starts_with(&format!("writing blob to {image}")),
        "{message}"
    );
    let dropped = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(dropped, 3, "one PATCH per attempt: {:#?}", proxy.requests());

    // The caller may still try to tag; the store refuses while a referenced blob is missing.
    let config = store
        .write_blob(&image, MediaType::OciConfig, b"{}")
        .expect("small config goes through");
    let layer = Descriptor::new(
        MediaType::OciLayerGzip,
        Digest::of(&two_layers()[0]),
        two_layers()[0].len() as u64,
    );
    let manifest = cnb_image::Manifest::new(MediaType::OciManifest, config, vec![layer.clone()]);
    let err = store
        .write_image(std::slice::from_ref(&image), &manifest)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::MissingBlob { digest, .. } if digest == layer.digest),
        "{err}"
    );
    assert!(
        proxy
            .requests()
            .iter()
            .all(|r| !r.path.contains("/manifests/"))
    );
    assert!(store.read_image(&image, &amd64()).expect("read").is_none());
}

#[test]
fn a_download_cut_mid_blob_resumes_and_still_checks_the_digest() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let image = reference(&format!("{}/test/big:v1", proxy.host()));
    let store = registry_store(&Environment::default(), &[]);
    // 256 KiB that gzip cannot shrink much: a counter hashed into bytes.
    let blob: Vec<u8> = (0u32..8192)
        .flat_map(|n| *Digest::of(&n.to_le_bytes()).as_bytes())
        .collect();
    let written = store
        .write_blob(&image, MediaType::OciLayer, &blob)
        .expect("blob written");
    proxy.clear();
    proxy.inject(Fault {
        method: "GET".into(),
        path_contains: format!("/blobs/{}", written.digest),
        kind: FaultKind::CutResponseAfter(64 * 1024),
        times: 1,
    });
    let read = store.read_blob(&image, &written.digest).expect("read back");
    assert_eq!(read, blob);
    let gets = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/blobs/"))
        .count();
    assert_eq!(
        gets,
        2,
        "one cut download, one resumed: {:#?}",
        proxy.requests()
    );
}
