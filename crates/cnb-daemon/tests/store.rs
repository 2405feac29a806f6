//! The store against a real, private `dockerd` (cnb-testkit's `DockerDaemon`, shared by these
//! tests): reading an image the way phases do, saving one with a layer streamed into the load,
//! a rebuild that sends unchanged layers as zero-byte entries, and an abandoned export that
//! leaves nothing behind. They need root (the daemon) and pass with a note otherwise.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use cnb_archive::{EntrySink, Header, TarWriter};
use cnb_cache::LaunchCache;
use cnb_daemon::{DaemonClient, DaemonConfig, DaemonStore};
use cnb_image::{
    Descriptor, Digest, ImageIdentity, ImageRef, ImageStore, Manifest, MediaType, Platform,
};
use cnb_testkit::{DockerDaemon, RegistryProxy, RunImage};

const RUN: &str = "cnb-daemon-store/run:1";

/// The shared daemon with the run image loaded; `None` (the test passes) without root.
fn daemon() -> Option<Arc<DockerDaemon>> {
    // One load at a time: the run image is rebuilt per load, with other timestamps.
    static LOADING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    if !cnb_testkit::is_root() {
        return None;
    }
    let daemon = DockerDaemon::shared().unwrap();
    let _loading = LOADING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if daemon.image_id(RUN).unwrap().is_none() {
        daemon
            .load(&RunImage::default().build_layout().unwrap(), RUN)
            .unwrap();
    }
    Some(daemon)
}

fn store(host: &str, cache: Option<&Path>) -> DaemonStore {
    let client = DaemonClient::connect(&DaemonConfig {
        host: Some(host.to_owned()),
        ..DaemonConfig::default()
    })
    .unwrap();
    let store = DaemonStore::new(client, platform());
    match cache {
        Some(dir) => store.with_launch_cache(LaunchCache::open(dir).unwrap()),
        None => store,
    }
}

fn platform() -> Platform {
    Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        variant: None,
    }
}

fn reference(name: &str) -> ImageRef {
    ImageRef::parse(name).unwrap()
}

/// A layer holding `/<name>` with `text`.
fn layer(name: &str, text: &str) -> Vec<u8> {
    let mut tar = TarWriter::new(Vec::new());
    tar.append(
        &Header::regular(format!("/{name}").into_bytes(), 0o644, text.len() as u64),
        &mut text.as_bytes(),
    )
    .unwrap();
    tar.finish().unwrap()
}

/// Saves `layers` over the run image as `target`, each streamed or reused (`None`: the
/// layer's diffID is lent by `previous`); the image prints `/<file>`.
fn export(
    store: &DaemonStore,
    target: &str,
    layers: &[(Option<&[u8]>, Digest)],
    previous: Option<&str>,
    file: &str,
) -> ImageIdentity {
    export_as(store, target, layers, previous, file, false).unwrap()
}

/// [`export`], the streamed layers' digests given by the caller when `digest_follows` (as
/// the exporter does: it has hashed them), which the store then does not compute.
fn export_as(
    store: &DaemonStore,
    target: &str,
    layers: &[(Option<&[u8]>, Digest)],
    previous: Option<&str>,
    file: &str,
    digest_follows: bool,
) -> Result<ImageIdentity, cnb_image::StoreError> {
    let target = reference(target);
    let run = store
        .read_image(&reference(RUN), &platform())
        .unwrap()
        .unwrap();
    let mut config = run.config.clone();
    let mut descriptors = run.manifest.manifest.layers.clone();
    for descriptor in &descriptors {
        assert!(
            store
                .reuse_blob(&target, &descriptor.digest, &[reference(RUN)])
                .unwrap()
        );
    }
    let sources: Vec<ImageRef> = previous.into_iter().map(reference).collect();
    for (bytes, diff_id) in layers {
        let descriptor = if let Some(bytes) = bytes {
            let media_type = store.layer_media_type(&MediaType::DockerManifest);
            let mut writer = store
                .blob_writer_sized(&target, media_type, bytes.len() as u64)
                .unwrap();
            if digest_follows {
                writer.digest_follows();
            }
            writer.write_all(bytes).unwrap();
            if digest_follows {
                writer.finish_with_digest(*diff_id).unwrap()
            } else {
                writer.finish().unwrap()
            }
        } else {
            assert!(store.reuse_blob(&target, diff_id, &sources).unwrap());
            Descriptor::new(MediaType::DockerLayer, *diff_id, 0)
        };
        assert_eq!(descriptor.digest, *diff_id);
        descriptors.push(descriptor);
        config.rootfs.diff_ids.push(*diff_id);
    }
    config.config.cmd = None;
    config.config.entrypoint = Some(vec!["/bin/cat".into(), format!("/{file}")]);
    let config = store
        .write_config(&target, MediaType::DockerConfig, &config)
        .unwrap();
    let manifest = Manifest::new(MediaType::DockerManifest, config, descriptors);
    store.write_image(&[target], &manifest)
}

#[test]
fn a_layer_whose_digest_the_caller_gives_is_named_by_it_and_checked_by_the_daemon() {
    let Some(daemon) = daemon() else { return };
    let bytes = layer("given", "given\n");
    let right = Digest::of(&bytes);
    let app = "cnb-daemon-store/app:given";
    let given = store(&daemon.host(), None);
    let id = export_as(&given, app, &[(Some(&bytes), right)], None, "given", true).unwrap();
    assert_eq!(daemon.image_id(app).unwrap(), Some(id.to_string()));

    // A wrong digest given (a caller's bug) is not taken on trust: the daemon hashes every
    // layer it loads against the config's diffIDs, and loads nothing.
    let wrong = Digest::of(b"not the layer");
    let bad = "cnb-daemon-store/app:wrong-digest";
    let given = store(&daemon.host(), None);
    let result = export_as(&given, bad, &[(Some(&bytes), wrong)], None, "given", true);
    assert!(result.is_err(), "{result:?}");
    assert_eq!(daemon.image_id(bad).unwrap(), None);
}

#[test]
fn an_image_is_read_by_name_and_by_its_id() {
    let Some(daemon) = daemon() else { return };
    let store = store(&daemon.host(), None);
    let id = daemon.image_id(RUN).unwrap().unwrap();
    let image = store
        .read_image(&reference(RUN), &platform())
        .unwrap()
        .unwrap();
    assert_eq!(image.identity().to_string(), id);
    assert_eq!(
        image.label(cnb_testkit::LABEL_BASE_ID),
        Some(cnb_testkit::DEFAULT_BASE_ID)
    );
    assert_eq!(image.config.config.user.as_deref(), Some("1000:1000"));
    let hex = image.identity().digest().hex();
    let by_id = store
        .read_image(&reference(&hex), &platform())
        .unwrap()
        .unwrap();
    assert_eq!(by_id.identity(), image.identity());
    assert!(
        store
            .read_image(&reference("cnb-daemon-store/absent:1"), &platform())
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_rebuild_sends_unchanged_layers_as_empty_entries_and_exports_nothing() {
    let Some(daemon) = daemon() else { return };
    let cache = tempfile::tempdir().unwrap();
    let app = "cnb-daemon-store/app:rebuild";
    let second = "second\n".repeat(10_000);
    let (one, two) = (
        layer("one", &"first\n".repeat(10_000)),
        layer("two", &second),
    );
    let (one_id, two_id) = (Digest::of(&one), Digest::of(&two));
    let first = export(
        &store(&daemon.host(), Some(cache.path())),
        app,
        &[(Some(&one), one_id), (Some(&two), two_id)],
        None,
        "two",
    );
    assert_eq!(daemon.image_id(app).unwrap(), Some(first.to_string()));
    let printed = daemon
        .run_docker(&["run", "--rm", "--network", "none", app])
        .unwrap();
    assert!(printed == second, "the image prints layer two's file");
    for id in [one_id, two_id] {
        assert!(cache.path().join(format!("committed/{id}.tar")).is_file());
    }

    let proxy = RegistryProxy::start_unix(&daemon.socket()).unwrap();
    let store = store(&proxy.host(), Some(cache.path()));
    // What the exporter does first: read the previous image, by ID.
    let previous = first.digest().hex();
    assert!(
        store
            .read_image(&reference(&previous), &platform())
            .unwrap()
            .is_some()
    );
    let again = export(
        &store,
        app,
        &[(None, one_id), (None, two_id)],
        Some(&previous),
        "two",
    );
    assert_eq!(again, first, "same inputs, same image ID");
    let requests = proxy.requests();
    assert!(
        !requests.iter().any(|request| request.path.contains("/get")),
        "nothing exported from the daemon: {requests:?}"
    );
    let loaded = proxy.body_bytes("/images/load");
    assert!(
        loaded < 16 * 1024,
        "only headers, the config and manifest.json were sent, got {loaded} bytes"
    );
    for id in [one_id, two_id] {
        assert!(
            cache.path().join(format!("committed/{id}.tar")).is_file(),
            "kept {id}"
        );
    }
}

#[test]
fn a_layer_the_cache_lacks_comes_from_an_export_of_the_image_that_has_it() {
    let Some(daemon) = daemon() else { return };
    let app = "cnb-daemon-store/app:exported";
    let (one, two) = (layer("one", "uno\n"), layer("two", "dos\n"));
    let (one_id, two_id) = (Digest::of(&one), Digest::of(&two));
    let first = export(
        &store(&daemon.host(), None),
        app,
        &[(Some(&one), one_id), (Some(&two), two_id)],
        None,
        "one",
    );
    // The layer below changes, so layer two's chain is new: its bytes must be sent.
    let changed = layer("one", "eins\n");
    let proxy = RegistryProxy::start_unix(&daemon.socket()).unwrap();
    let store = store(&proxy.host(), None);
    let previous = first.digest().hex();
    store
        .read_image(&reference(&previous), &platform())
        .unwrap();
    let second = export(
        &store,
        "cnb-daemon-store/app:exported-2",
        &[(Some(&changed), Digest::of(&changed)), (None, two_id)],
        Some(&previous),
        "two",
    );
    assert_ne!(second, first);
    let saves = proxy
        .requests()
        .iter()
        .filter(|request| request.path.contains("/images/get"))
        .count();
    assert_eq!(saves, 1, "one docker save of the previous image");
    assert_eq!(
        daemon
            .run_docker(&[
                "run",
                "--rm",
                "--network",
                "none",
                "cnb-daemon-store/app:exported-2"
            ])
            .unwrap(),
        "dos\n"
    );
}

#[test]
fn an_abandoned_export_loads_nothing() {
    let Some(daemon) = daemon() else { return };
    let target = "cnb-daemon-store/app:abandoned";
    {
        let store = store(&daemon.host(), None);
        let bytes = layer("big", &"x".repeat(600_000));
        let mut writer = store
            .blob_writer_sized(
                &reference(target),
                MediaType::DockerLayer,
                bytes.len() as u64,
            )
            .unwrap();
        writer.write_all(&bytes[..300_000]).unwrap();
        // The exporter failed here: writer and store go.
    }
    assert_eq!(daemon.image_id(target).unwrap(), None);
    let log = daemon.log().unwrap();
    assert!(
        !log.contains(target),
        "the daemon never registered the image: {log}"
    );
}
