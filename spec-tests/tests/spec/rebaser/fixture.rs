//! The rebaser's world: a loopback registry with run image v1 (the testkit's busybox image),
//! v2 derived from it (a patch layer with a new `/etc/os-release`), and app images built by
//! hand on v1 the way the exporter would (v1's layers + an app layer, the lifecycle metadata
//! label with `runImage.topLayer`/`reference`/`image`, `CNB_PLATFORM_API` in the env).

use std::io::Write;
use std::process::Command;

use cnb_image::{
    Descriptor, Digest, Image, ImageConfig, ImageRef, ImageStore, Manifest, MediaType,
};
use cnb_registry::{Environment, RegistryStore};
use cnb_testkit::{Finished, Lifecycle, RegistryFixture, RunImage, TarLayer};
use serde_json::json;

use crate::image_support::{reference, registry_store};
use crate::registry_store::amd64;

/// The file every app layer adds, and what it says.
pub(crate) const APP_FILE: (&str, &str) = ("app-file", "hello from the app\n");
/// What v2's `/etc/os-release` says.
pub(crate) const V2_OS_RELEASE: &str =
    "ID=busybox\nVERSION_ID=\"1.35.0\"\nPRETTY_NAME=\"run image v2 (patched)\"\n";

/// How an app image is made.
pub(crate) struct App<'a> {
    /// `repo:tag` in the registry.
    pub(crate) name: &'a str,
    /// The run image it is built on (a full reference).
    pub(crate) run_image: &'a str,
    /// `CNB_PLATFORM_API` recorded in its env; `None` records none.
    pub(crate) api: Option<&'a str>,
    /// `runImage.image` in the label, and `runImage.mirrors`.
    pub(crate) label_image: Option<&'a str>,
    /// `runImage.mirrors` in the label.
    pub(crate) mirrors: &'a [&'a str],
    /// Extra labels.
    pub(crate) labels: &'a [(&'a str, &'a str)],
    /// Whether to write the lifecycle metadata label at all.
    pub(crate) metadata: bool,
}

impl<'a> App<'a> {
    /// An app on `run_image`, built at Platform API 0.12, whose label names `run_image`.
    pub(crate) fn new(name: &'a str, run_image: &'a str) -> Self {
        Self {
            name,
            run_image,
            api: Some("0.12"),
            label_image: Some(run_image),
            mirrors: &[],
            labels: &[],
            metadata: true,
        }
    }
}

pub(crate) struct World {
    pub(crate) registry: RegistryFixture,
    pub(crate) store: RegistryStore,
    /// `<host>/test/run:v1`.
    pub(crate) v1: String,
    /// `<host>/test/run:v2`.
    pub(crate) v2: String,
}

impl World {
    /// An app built on v1 whose label names v2's tag (`test/run:v2`) as its run image: the
    /// name the platform gives it, which pointed at v1's content when the app was built.
    pub(crate) fn on_v1<'a>(&'a self, name: &'a str) -> App<'a> {
        App {
            label_image: Some(&self.v2),
            ..App::new(name, &self.v1)
        }
    }

    pub(crate) fn start() -> Self {
        Self::on(RegistryFixture::start().expect("registry"))
    }

    /// The world on a registry that keeps everything in memory, for hundreds of images.
    pub(crate) fn in_memory() -> Self {
        Self::on(RegistryFixture::in_memory().expect("registry"))
    }

    fn on(registry: RegistryFixture) -> Self {
        let v1 = RunImage::default()
            .push(&registry, "test/run:v1")
            .expect("run image v1")
            .reference;
        let store = registry_store(&Environment::default(), &[]);
        let mut world = Self {
            v2: registry.reference("test/run:v2"),
            registry,
            store,
            v1,
        };
        world.v2 = world.derive_run_image("test/run:v2", |_| {});
        world
    }

    /// `<host>/<repo_and_tag>`.
    pub(crate) fn name(&self, repo_and_tag: &str) -> String {
        self.registry.reference(repo_and_tag)
    }

    pub(crate) fn image(&self, name: &str) -> Image {
        self.store
            .read_image(&reference(name), &amd64())
            .expect("image readable")
            .expect("image exists")
    }

    pub(crate) fn digest(&self, name: &str) -> Digest {
        self.image(name).digest()
    }

    /// v1 plus a patch layer (a new `/etc/os-release`), with `edit` applied to the config,
    /// pushed as `<host>/<repo_and_tag>`.
    pub(crate) fn derive_run_image(
        &self,
        repo_and_tag: &str,
        edit: impl FnOnce(&mut ImageConfig),
    ) -> String {
        let name = self.name(repo_and_tag);
        let patch = self.push_gzip(&name, &TarLayer::of(&[("etc/os-release", V2_OS_RELEASE)]));
        self.extend(&self.image(&self.v1), &self.v1, &name, patch, edit);
        name
    }

    /// Builds the app `app` on its run image and pushes it; returns its full name.
    pub(crate) fn app(&self, app: &App<'_>) -> String {
        let layer = self.push_gzip(&self.name(app.name), &TarLayer::of(&[APP_FILE]));
        self.app_with_layer(app, layer)
    }

    /// [`World::app`] with an app layer already pushed to the app's repository.
    pub(crate) fn app_with_layer(&self, app: &App<'_>, app_layer: (Descriptor, Digest)) -> String {
        let name = self.name(app.name);
        let run = self.image(app.run_image);
        let top = run
            .config
            .rootfs
            .diff_ids
            .last()
            .expect("run layers")
            .to_string();
        let mut label = json!({
            "app": [{"sha": app_layer.1.to_string()}],
            "buildpacks": [],
            "config": {"sha": ""},
            "launcher": {"sha": ""},
            "process-types": {"sha": ""},
            "runImage": {
                "topLayer": top,
                "reference": format!("{}@{}", reference(app.run_image).context(), run.digest()),
            },
        });
        if let Some(image) = app.label_image {
            label["runImage"]["image"] = json!(image);
            label["runImage"]["mirrors"] = json!(app.mirrors);
            label["stack"] = json!({"runImage": {"image": image, "mirrors": app.mirrors}});
        }
        self.extend(&run, app.run_image, &name, app_layer, |config| {
            if app.metadata {
                config.set_label("io.buildpacks.lifecycle.metadata", &label.to_string());
            }
            for (key, value) in app.labels {
                config.set_label(key, value);
            }
            let env = config.config.env.get_or_insert_with(Vec::new);
            env.retain(|pair| !pair.starts_with("CNB_PLATFORM_API="));
            if let Some(api) = app.api {
                env.push(format!("CNB_PLATFORM_API={api}"));
            }
        });
        name
    }

    /// Pushes `layer` gzip-compressed to the repository of `to`; returns its descriptor and
    /// diffID.
    pub(crate) fn push_gzip(&self, to: &str, layer: &TarLayer) -> (Descriptor, Digest) {
        let descriptor = self
            .store
            .write_blob(&reference(to), MediaType::OciLayerGzip, &layer.gzip())
            .expect("layer");
        (descriptor, layer.diff_id())
    }

    /// Writes `to`: the layers of `base`, the image `from` names (lent, not copied), plus
    /// `top` (already in `to`'s repository), with `base`'s config edited by `edit`.
    fn extend(
        &self,
        base: &Image,
        from: &str,
        to: &str,
        top: (Descriptor, Digest),
        edit: impl FnOnce(&mut ImageConfig),
    ) {
        let target = reference(to);
        let source = reference(from);
        for descriptor in &base.manifest.manifest.layers {
            let lent = self
                .store
                .reuse_blob(&target, &descriptor.digest, std::slice::from_ref(&source))
                .expect("mount");
            assert!(lent, "layer {} lent to {to}", descriptor.digest);
        }
        let mut config = base.config.clone();
        let mut descriptors = base.manifest.manifest.layers.clone();
        descriptors.push(top.0);
        config.rootfs.diff_ids.push(top.1);
        edit(&mut config);
        self.write(&target, base, &config, descriptors);
    }

    /// Writes `config` and a manifest of `base`'s media type over `layers` to `target`.
    pub(crate) fn write(
        &self,
        target: &ImageRef,
        base: &Image,
        config: &ImageConfig,
        layers: Vec<Descriptor>,
    ) {
        let config_type = base.manifest.manifest.config.media_type.clone();
        let descriptor = self
            .store
            .write_config(target, config_type, config)
            .expect("config");
        let media = base.manifest.manifest.content_type();
        let manifest = Manifest::new(media, descriptor, layers);
        self.store
            .write_image(std::slice::from_ref(target), &manifest)
            .expect("manifest");
    }

    /// An uncompressed tar layer of one `size`-byte file of pseudo-random bytes, streamed to
    /// the repository of `to`; returns its descriptor and diffID (the same digest).
    pub(crate) fn push_big_layer(&self, to: &str, size: u64) -> (Descriptor, Digest) {
        let target = reference(to);
        let mut writer = self
            .store
            .blob_writer(&target, MediaType::OciLayer)
            .expect("writer");
        let mut header = tar::Header::new_ustar();
        header.set_path("big.bin").expect("path");
        header.set_size(size);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        writer.write_all(header.as_bytes()).expect("header");
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut chunk = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            for word in chunk.chunks_exact_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes());
            }
            let take = usize::try_from(left.min(chunk.len() as u64)).expect("chunk");
            writer.write_all(&chunk[..take]).expect("data");
            left -= take as u64;
        }
        let padding = (512 - size % 512) % 512 + 1024;
        let padding = usize::try_from(padding).expect("padding");
        writer.write_all(&vec![0u8; padding]).expect("end");
        let descriptor = writer.finish().expect("big layer");
        let id = descriptor.digest;
        (descriptor, id)
    }

    /// The installed rebaser at Platform API `api`.
    pub(crate) fn rebaser(api: &str) -> Command {
        let mut command = Lifecycle::installed().command("rebaser");
        command.env("CNB_PLATFORM_API", api);
        command
    }

    /// Runs `command` and returns how it finished.
    pub(crate) fn run(command: &mut Command) -> Finished {
        Finished::run(command)
    }
}
