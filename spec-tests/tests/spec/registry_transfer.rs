//! What `cnb-registry` sends over the wire, seen through a counting, fault-injecting proxy
//! in front of a real `docker-registry`: no blob twice (existence checks, mounts), retries
//! through dropped connections and server errors, resumed downloads, no tag on an
//! incomplete image when an upload gives up, and large blobs streamed while they are written
//! (sent again from the spool when the stream is cut), and the progress each transfer
//! reports.

use std::sync::{Arc, Mutex, PoisonError};

use cnb_image::{
    Descriptor, Digest, Direction, ImageStore, MediaType, Meter, Progress, StoreError, Transfer,
    Watch,
};
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore};
use cnb_testkit::{Fault, FaultKind, RegistryFixture, RegistryProxy};

use crate::image_support::{
    chain, inspect, noise, push_image, quick_retry, reference, registry_store,
};
use crate::registry_store::{amd64, two_layers};

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

    // Same repository, a fresh store (no memory of the first push): existence checks for
    // the layers; the config is sent again without asking (a config written is nearly always
    // new, so asking first would cost every image a request).
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
        first.manifest.config.size,
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
            method: "PUT".into(),
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
            .any(|r| r.method == "PUT" && r.status.is_none())
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
    // Every attempt to send the layer (one `PUT` with its bytes) is cut.
    let layer_digest = Digest::of(&two_layers()[0].gzip()).hex();
    proxy.inject(Fault {
        method: "PUT".into(),
        path_contains: layer_digest.clone(),
        kind: FaultKind::DropAfter(10),
        times: 1000,
    });
    let image = reference(&format!("{}/test/app:v1", proxy.host()));
    let store = registry_store(&Environment::default(), &[]);
    let mut writer = store
        .blob_writer(&image, MediaType::OciLayerGzip)
        .expect("writer");
    std::io::Write::write_all(&mut writer, &two_layers()[0].gzip()).expect("spooled");
    let err = writer.finish().expect_err("the upload gives up");
    let message = chain(&err);
    assert!(
        message.starts_with(&format!("writing blob to {image}")),
        "{message}"
    );
    let dropped = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.contains(&layer_digest))
        .count();
    assert_eq!(dropped, 3, "one PUT per attempt: {:#?}", proxy.requests());

    // The caller may still try to tag; the store refuses while a referenced blob is missing.
    let config = store
        .write_blob(&image, MediaType::OciConfig, b"{}")
        .expect("small config goes through");
    let layer = Descriptor::new(
        MediaType::OciLayerGzip,
        Digest::of(&two_layers()[0].gzip()),
        two_layers()[0].gzip().len() as u64,
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

/// Bytes the registry holds in unfinished uploads (`_uploads/<id>/data` under `storage`).
fn uploading(storage: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(storage) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                uploading(&path)
            } else if path.file_name().is_some_and(|name| name == "data")
                && path
                    .parent()
                    .and_then(|p| p.parent())
                    .and_then(|p| p.file_name())
                    == Some(std::ffi::OsStr::new("_uploads"))
            {
                entry.metadata().map_or(0, |meta| meta.len())
            } else {
                0
            }
        })
        .sum()
}

#[test]
fn a_large_blob_is_uploaded_while_it_is_still_being_written_and_sent_once() {
    use std::io::Write as _;

    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let store = registry_store(&Environment::default(), &[]);
    let target = reference(&format!("{}/test/big:v1", proxy.host()));
    let bytes = noise(20 * 1024 * 1024);
    let mut writer = store
        .blob_writer(&target, MediaType::OciLayer)
        .expect("writer");
    writer.write_all(&bytes[..16 * 1024 * 1024]).expect("write");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while uploading(&registry.storage_dir()) < 8 * 1024 * 1024 {
        assert!(
            std::time::Instant::now() < deadline,
            "the registry got no bytes before the blob was finished: {:#?}",
            proxy.requests()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    writer.write_all(&bytes[16 * 1024 * 1024..]).expect("write");
    let written = writer.finish().expect("finish");
    assert_eq!(written.digest, Digest::of(&bytes));
    assert_eq!(written.size, bytes.len() as u64);
    assert_eq!(
        proxy.body_bytes("/blobs/uploads/"),
        bytes.len() as u64,
        "every byte is sent exactly once: {:#?}",
        proxy.requests()
    );
    assert!(
        !proxy.requests().iter().any(|r| r.method == "HEAD"),
        "a streamed blob is not checked for first"
    );
    let patches = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .count();
    assert_eq!(
        patches, 1,
        "one PATCH for the whole blob to an open registry"
    );
    let fresh = registry_store(&Environment::default(), &[]);
    assert!(
        fresh
            .read_blob(
                &reference(&registry.reference("test/big:v1")),
                &written.digest
            )
            .expect("read back")
            == bytes,
        "the registry holds other bytes"
    );
}

#[test]
fn a_streamed_upload_cut_mid_patch_is_sent_again_from_the_spool() {
    use std::io::Write as _;

    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    proxy.inject(Fault {
        method: "PATCH".into(),
        path_contains: "/blobs/uploads/".into(),
        kind: FaultKind::DropAfter(1000),
        times: 1,
    });
    let store = registry_store(&Environment::default(), &[]);
    let target = reference(&format!("{}/test/big:v1", proxy.host()));
    let bytes = noise(12 * 1024 * 1024);
    let mut writer = store
        .blob_writer(&target, MediaType::OciLayer)
        .expect("writer");
    writer.write_all(&bytes).expect("write");
    let written = writer.finish().expect("finish despite the dropped PATCH");
    assert_eq!(written.digest, Digest::of(&bytes));
    let requests = proxy.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.method == "PATCH" && r.status.is_none()),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.method == "PUT" && r.status == Some(201) && r.path.contains("digest=")),
        "{requests:#?}"
    );
    assert!(
        registry_store(&Environment::default(), &[])
            .read_blob(
                &reference(&registry.reference("test/big:v1")),
                &written.digest
            )
            .expect("read back")
            == bytes,
        "the registry holds other bytes"
    );
}

/// A caller that can write a blob again (the exporter, `can_write_again`) has its large blob
/// streamed without a spool file; when that upload is cut off, finishing asks for the blob
/// again (`StoreError::WriteAgain`) with nothing committed, and a new writer sends it; behind
/// a link slower than the writer, the rest of the blob is spooled after all. A caller that
/// cannot write again is spooled as before (the control that shows the spool is seen).
#[test]
fn a_blob_the_caller_can_write_again_is_not_spooled_and_a_cut_one_is_asked_for_again() {
    use std::io::Write as _;

    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let spool = tempfile::tempdir().expect("spool dir");
    let store = RegistryStore::new(
        RegistryConfig {
            retry: quick_retry(),
            spool_dir: Some(spool.path().to_owned()),
            ..RegistryConfig::default()
        },
        &Environment::default(),
        Keychain::resolve(&Environment::default(), &[]).expect("keychain"),
    )
    .expect("store");
    let target = reference(&format!("{}/test/again:v1", proxy.host()));
    let spooled = || std::fs::read_dir(spool.path()).expect("spool dir").count();
    let bytes = noise(12 * 1024 * 1024);
    let write = |can_write_again: bool, bytes: &[u8]| {
        let mut writer = store
            .blob_writer(&target, MediaType::OciLayer)
            .expect("writer");
        if can_write_again {
            writer.can_write_again();
        }
        writer.write_all(bytes).expect("write");
        let files = spooled();
        (writer.finish(), files)
    };
    // Applies `kind` to the next upload's PATCH.
    let on_next_patch = |kind| {
        proxy.inject(Fault {
            method: "PATCH".into(),
            path_contains: "/blobs/uploads/".into(),
            kind,
            times: 1,
        });
    };
    let held = |bytes: &[u8]| {
        store
            .read_blob(&target, &Digest::of(bytes))
            .expect("read back")
            == bytes
    };

    let (written, files) = write(false, &bytes);
    assert_eq!(files, 1, "a caller that cannot write again is spooled");
    assert_eq!(written.expect("spooled upload").digest, Digest::of(&bytes));

    let other: Vec<u8> = bytes.iter().map(|byte| byte ^ 0x5a).collect();
    let (written, files) = write(true, &other);
    assert_eq!(files, 0, "nothing spooled");
    assert_eq!(written.expect("piped upload").digest, Digest::of(&other));
    assert!(held(&other), "the registry holds other bytes");

    on_next_patch(FaultKind::DropAfter(1000));
    let third: Vec<u8> = bytes.iter().map(|byte| byte ^ 0xa5).collect();
    let (cut, files) = write(true, &third);
    assert_eq!(files, 0, "nothing spooled");
    let err = cut.expect_err("a cut-off piped upload");
    assert!(
        matches!(err, StoreError::WriteAgain { .. }),
        "{}",
        cnb_api::one_line(&err)
    );
    assert!(
        !store
            .has_blob(&target, &Digest::of(&third))
            .expect("HEAD blob"),
        "nothing committed"
    );
    let (again, _) = write(true, &third);
    assert_eq!(again.expect("written again").digest, Digest::of(&third));
    assert!(held(&third), "the registry holds other bytes");

    // A link slower than the writer: the rest of the blob is spooled, so the writer finishes
    // (and knows the size) while the upload follows the file.
    on_next_patch(FaultKind::Throttle(8 * 1024 * 1024));
    let fourth: Vec<u8> = bytes.iter().map(|byte| byte ^ 0x3c).collect();
    let (slow, files) = write(true, &fourth);
    assert_eq!(files, 1, "the rest spooled behind a slow link");
    assert_eq!(slow.expect("spilled upload").digest, Digest::of(&fourth));
    assert!(held(&fourth), "the registry holds other bytes");
}

/// The exporter hashes what it writes and gives the digest at the end (`digest_follows`): the
/// registry writer then does not hash the bytes again, and the blob is committed under the
/// given digest, streamed or held in memory; a wrong one is refused by the registry.
#[test]
fn a_blob_whose_digest_follows_is_committed_under_the_digest_given() {
    use std::io::Write as _;

    let registry = RegistryFixture::start().expect("registry");
    let store = registry_store(&Environment::default(), &[]);
    let target = reference(&registry.reference("test/follows:v1"));
    for (what, len) in [("streamed", 12 * 1024 * 1024), ("in memory", 100 * 1024)] {
        let bytes = noise(len);
        let mut writer = store
            .blob_writer(&target, MediaType::OciLayer)
            .expect("writer");
        writer.digest_follows();
        writer.write_all(&bytes).expect("write");
        let written = writer
            .finish_with_digest(Digest::of(&bytes))
            .expect("finish");
        assert_eq!(written.digest, Digest::of(&bytes), "{what}");
        assert_eq!(written.size, len as u64, "{what}");
        assert!(
            store
                .read_blob(&target, &written.digest)
                .expect("read back")
                == bytes,
            "{what}: the registry holds other bytes"
        );

        let mut writer = store
            .blob_writer(&target, MediaType::OciLayer)
            .expect("writer");
        writer.digest_follows();
        writer.write_all(&bytes).expect("write");
        let refused = writer
            .finish_with_digest(Digest::of(b"not these bytes"))
            .expect_err("a digest of other bytes");
        let message = cnb_api::one_line(&refused);
        assert!(
            !message.contains("its writer computed"),
            "{what}: refused by the registry, not by a hash the writer should not compute: {message}"
        );
    }
}

/// Without `digest_follows` the writer hashes, and a caller's digest that is not the bytes'
/// is refused before anything is committed.
#[test]
fn a_digest_given_for_other_bytes_is_refused_by_a_hashing_writer() {
    use std::io::Write as _;

    let registry = RegistryFixture::start().expect("registry");
    let store = registry_store(&Environment::default(), &[]);
    let target = reference(&registry.reference("test/hashing:v1"));
    let bytes = noise(12 * 1024 * 1024);
    let mut writer = store
        .blob_writer(&target, MediaType::OciLayer)
        .expect("writer");
    writer.write_all(&bytes).expect("write");
    let refused = writer
        .finish_with_digest(Digest::of(b"other bytes"))
        .expect_err("a digest of other bytes");
    let message = cnb_api::one_line(&refused);
    assert!(
        message.contains(&Digest::of(&bytes).to_string())
            && message.contains(&Digest::of(b"other bytes").to_string()),
        "{message}"
    );
}

#[test]
fn an_open_registry_is_pinged_once_per_store_not_before_every_request() {
    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let store = registry_store(&Environment::default(), &[]);
    let image = reference(&format!("{}/test/app:v1", proxy.host()));
    let written = push_image(&store, std::slice::from_ref(&image), &two_layers(), &[]);
    for _ in 0..3 {
        let read = store
            .read_image(&image, &amd64())
            .expect("read")
            .expect("found");
        assert_eq!(read.manifest.digest, written.digest);
    }
    let requests = proxy.requests();
    let pings = requests.iter().filter(|r| r.path == "/v2/").count();
    assert_eq!(pings, 1, "{requests:#?}");
    assert!(requests.len() > 10, "{requests:#?}");
}

#[test]
fn a_large_blob_streams_to_a_registry_that_asks_for_credentials_too() {
    use std::io::Write as _;

    let registry = RegistryFixture::with_htpasswd("cnb", "s3cret").expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let auth = serde_json::json!({ proxy.host(): "Basic Y25iOnMzY3JldA==" }).to_string();
    let env = Environment {
        registry_auth: Some(auth),
        ..Environment::default()
    };
    let target = reference(&format!("{}/test/big:v1", proxy.host()));
    let store = registry_store(&env, std::slice::from_ref(&target));
    let bytes = noise(12 * 1024 * 1024);
    let mut writer = store
        .blob_writer(&target, MediaType::OciLayer)
        .expect("writer");
    writer.write_all(&bytes).expect("write");
    let written = writer.finish().expect("finish");
    assert_eq!(written.digest, Digest::of(&bytes));
    let patches: Vec<u64> = proxy
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.body_bytes)
        .collect();
    assert_eq!(
        patches,
        [12 << 20],
        "one PATCH with the whole blob, sent once, with the credentials: {:#?}",
        proxy.requests()
    );
    assert!(
        store
            .read_blob(&target, &written.digest)
            .expect("read back")
            == bytes,
        "the registry holds other bytes"
    );
}

/// One transfer as a recording progress saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    transfer: Transfer,
    moved: u64,
    total: Option<u64>,
    done: bool,
    ended: bool,
}

/// A progress that records every transfer.
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<Arc<Mutex<Seen>>>>>);

impl Recorded {
    fn seen(&self) -> Vec<Seen> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|seen| seen.lock().unwrap_or_else(PoisonError::into_inner).clone())
            .collect()
    }
}

struct Recording(Arc<Mutex<Seen>>);

impl Progress for Recorded {
    fn start(&self, transfer: Transfer) -> Meter {
        let seen = Arc::new(Mutex::new(Seen {
            total: transfer.total,
            transfer,
            moved: 0,
            done: false,
            ended: false,
        }));
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::clone(&seen));
        Meter::new(Recording(seen))
    }
}

impl Watch for Recording {
    fn advance(&self, bytes: u64) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).moved += bytes;
    }
    fn set_total(&self, total: u64) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).total = Some(total);
    }
    fn done(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).done = true;
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).ended = true;
    }
}

#[test]
fn progress_counts_the_bytes_sent_resent_and_received_and_names_each_blob() {
    use std::io::Write as _;

    let registry = RegistryFixture::start().expect("registry");
    let proxy = RegistryProxy::start(&registry.host()).expect("proxy");
    let recorded = Recorded::default();
    let store = RegistryStore::new(
        RegistryConfig {
            retry: quick_retry(),
            progress: Arc::new(recorded.clone()),
            ..RegistryConfig::default()
        },
        &Environment::default(),
        Keychain::resolve(&Environment::default(), &[]).expect("keychain"),
    )
    .expect("store");
    let upload = |name: &str, bytes: &[u8]| {
        let target = reference(&format!("{}/test/{name}:v1", proxy.host()));
        let mut writer = store
            .blob_writer(&target, MediaType::OciLayer)
            .expect("writer");
        writer.describe(&format!("layer '{name}'"));
        writer.write_all(bytes).expect("write");
        writer.finish().expect("finish")
    };
    let size = 12 * 1024 * 1024;
    let streamed = noise(size);
    upload("streamed", &streamed);
    // The stream is cut: the spool is sent again, a transfer of its own.
    proxy.inject(Fault {
        method: "PATCH".into(),
        path_contains: "/blobs/uploads/".into(),
        kind: FaultKind::DropAfter(1000),
        times: 1,
    });
    let resent: Vec<u8> = streamed.iter().map(|byte| byte ^ 0xff).collect();
    upload("resent", &resent);
    let small = upload("small", b"a config-sized blob");
    let back = store
        .read_blob(
            &reference(&format!("{}/test/resent:v1", proxy.host())),
            &Digest::of(&resent),
        )
        .expect("read back");
    assert!(back == resent);
    store
        .read_blob(
            &reference(&format!("{}/test/small:v1", proxy.host())),
            &small.digest,
        )
        .expect("small read back");

    let whole = |direction, name: &str, started_with: Option<u64>| Seen {
        transfer: Transfer {
            direction,
            name: name.to_owned(),
            total: started_with,
        },
        moved: size as u64,
        total: Some(size as u64),
        done: true,
        ended: true,
    };
    let seen = recorded.seen();
    assert_eq!(seen.len(), 5, "{seen:#?}");
    assert_eq!(seen[0], whole(Direction::Upload, "layer 'streamed'", None));
    assert_eq!(
        (seen[1].transfer.name.as_str(), seen[1].done, seen[1].ended),
        ("layer 'resent'", false, true),
        "the cut stream was abandoned: {seen:#?}"
    );
    assert_eq!(
        seen[2],
        whole(Direction::Upload, "layer 'resent'", Some(size as u64))
    );
    assert_eq!(
        seen[3],
        whole(
            Direction::Download,
            &Digest::of(&resent).short(),
            Some(size as u64)
        )
    );
    // A blob small enough for memory is sent in one request, unmetered; its download is
    // metered like any other.
    assert_eq!(seen[4].transfer.name, small.digest.short());
    assert!(seen[4].done && seen[4].moved == small.size, "{seen:#?}");
}
