//! Shared by the image-store suites: a one-image writer over any `ImageStore` (layers are the
//! testkit's `TarLayer`s), stores configured for loopback registries, and skopeo/umoci helpers.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use cnb_image::{Descriptor, ImageConfig, ImageRef, ImageStore, Manifest, MediaType};
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore, RetryPolicy};
use cnb_testkit::TarLayer;
use serde_json::Value;

/// What [`push_image`] wrote.
pub(crate) struct Written {
    pub(crate) manifest: Manifest,
    pub(crate) config: ImageConfig,
    pub(crate) digest: cnb_image::Digest,
}

/// Writes an image of `layers` (gzip-compressed) with `labels` to `targets` through `store`,
/// blobs first (layers by streaming writer), then the manifest.
pub(crate) fn push_image(
    store: &dyn ImageStore,
    targets: &[ImageRef],
    layers: &[TarLayer],
    labels: &[(&str, &str)],
) -> Written {
    let target = &targets[0];
    let mut descriptors: Vec<Descriptor> = Vec::new();
    let mut config = ImageConfig {
        architecture: "amd64".into(),
        os: "linux".into(),
        ..ImageConfig::default()
    };
    for layer in layers {
        let mut writer = store
            .blob_writer(target, MediaType::OciLayerGzip)
            .expect("blob writer");
        for piece in layer.gzip().chunks(1000) {
            writer.write_all(piece).expect("layer bytes");
        }
        descriptors.push(writer.finish().expect("layer written"));
        config.rootfs.diff_ids.push(layer.diff_id());
    }
    for (key, value) in labels {
        config.set_label(key, value);
    }
    config.config.env = Some(vec!["PATH=/bin".into(), "CNB_USER_ID=1000".into()]);
    config.config.user = Some("1000:1000".into());
    config.config.working_dir = Some("/workspace".into());
    let config_descriptor = store
        .write_config(target, MediaType::OciConfig, &config)
        .expect("config written");
    let manifest = Manifest::new(MediaType::OciManifest, config_descriptor, descriptors);
    let digest = *store
        .write_image(targets, &manifest)
        .expect("manifest written")
        .digest();
    Written {
        manifest,
        config,
        digest,
    }
}

/// Retries that give up fast enough for fault tests.
pub(crate) fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
    }
}

/// A store for loopback registries with `env` for credentials.
pub(crate) fn registry_store(env: &Environment, images: &[ImageRef]) -> RegistryStore {
    let keychain = Keychain::resolve(env, images).expect("keychain");
    let config = RegistryConfig {
        retry: quick_retry(),
        request_timeout: Duration::from_secs(20),
        ..RegistryConfig::default()
    };
    RegistryStore::new(config, env, keychain).expect("registry store")
}

pub(crate) fn reference(text: &str) -> ImageRef {
    ImageRef::parse(text).expect("valid reference")
}

/// `skopeo <args>`, failing the test when it fails.
pub(crate) fn skopeo(args: &[&str]) -> Output {
    let output = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo runs");
    assert!(
        output.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `skopeo inspect <args> <transport_ref>` as JSON.
pub(crate) fn inspect(transport_ref: &str, args: &[&str]) -> Value {
    let mut all = vec!["inspect"];
    all.extend_from_slice(args);
    all.push(transport_ref);
    serde_json::from_slice(&skopeo(&all).stdout).expect("skopeo prints JSON")
}

/// Unpacks `layout:tag` with umoci into `bundle` (a runc bundle: `config.json`, `rootfs/`)
/// and returns the rootfs path. As root, owners are kept; otherwise umoci runs rootless.
pub(crate) fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) -> std::path::PathBuf {
    let mut command = Command::new("umoci");
    command.arg("unpack");
    if !cnb_testkit::is_root() {
        command.arg("--rootless");
    }
    let output = command
        .arg("--image")
        .arg(format!("{}:{tag}", layout.display()))
        .arg(bundle)
        .output()
        .expect("umoci runs");
    assert!(
        output.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    bundle.join("rootfs")
}

/// The error and its sources, joined with ": ", as the CLI prints them.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `len` bytes no compressor can shrink (xorshift): a gzip layer of them is about as large,
/// and a blob of more than 8 MiB of them is streamed.
pub(crate) fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}
