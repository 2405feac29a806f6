//! A builder image (clients.md §6): a build base image from an OCI layout (its layers and
//! config kept), then one layer of default directories, the lifecycle layer (the same as the
//! lifecycle image's), one layer per buildpack at `/cnb/buildpacks/<id, / → _>/<version>/`,
//! one per image extension at `/cnb/extensions/<id, / → _>/<version>/`, and a layer with `/cnb/order.toml`, `/cnb/run.toml` and `/cnb/stack.toml`. The config's
//! user is the base's `CNB_USER_ID:CNB_GROUP_ID`, its working dir `/layers`, its env and
//! labels the base's plus the builder labels pack, kpack and Tekton read.

use std::path::{Path, PathBuf};

use cnb_archive::{EntrySink, Header, Owner};
use cnb_files::TomlFile;
use cnb_files::order::{Order, OrderGroup};
use cnb_files::run::{Run, RunImageForExport};
use cnb_files::stack::Stack;
use cnb_image::{Digest, ImageConfig, ImageRef, Manifest};
use cnb_layout::Layout;

use crate::image::ImageWriter;
use crate::labels::{
    BUILDER_METADATA, BUILDPACK_LAYERS, BUILDPACK_ORDER, BuilderLifecycle, BuilderMetadata,
    BuildpackLayers, CREATED_BY, CreatedBy, EXTENSION_LAYERS, EXTENSION_ORDER, LIFECYCLE_APIS,
    LIFECYCLE_VERSION, LegacyApi, ModuleInfo, RunImageMetadata, StackMetadata, to_json,
};
use crate::lifecycle_image::{LAYER_NAME, WORKING_DIR};
use crate::module::{self, Module};
use crate::{Error, InstalledLifecycle, Result};

/// What a builder is assembled from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderInputs {
    /// Where `make install` put the lifecycle: holds `cnb/lifecycle/` and
    /// `cnb/lifecycle.toml`.
    pub lifecycle: PathBuf,
    /// An OCI layout holding exactly one image: the build base. Its config must set
    /// `CNB_USER_ID` and `CNB_GROUP_ID`; its layers must be in the layout.
    pub base: PathBuf,
    /// Buildpack directories, each with a `buildpack.toml`.
    pub buildpacks: Vec<PathBuf>,
    /// Image extension directories, each with an `extension.toml` (installed under
    /// `/cnb/extensions`; the order's `[[order-extensions]]` names them).
    pub extensions: Vec<PathBuf>,
    /// The `order.toml` to install as `/cnb/order.toml`; every buildpack it names must be
    /// among [`buildpacks`](Self::buildpacks).
    pub order: PathBuf,
    /// The run image reference written to `/cnb/run.toml`, `/cnb/stack.toml` and the
    /// builder metadata.
    pub run_image: String,
    /// Mirrors of the run image.
    pub run_image_mirrors: Vec<String>,
}

/// The build base: its layout, manifest and config.
struct Base {
    layout: Layout,
    manifest: Manifest,
    config: ImageConfig,
    owner: Owner,
}

impl Base {
    fn read(dir: &Path) -> Result<Self> {
        let layout = Layout::new(dir);
        let fail = |reason: String| Error::Base {
            path: dir.to_owned(),
            reason,
        };
        let (media_type, bytes) = layout
            .root_manifest()?
            .ok_or_else(|| fail("no image in the layout".to_owned()))?;
        if media_type.is_index() {
            return Err(fail("the layout must hold one image manifest".to_owned()));
        }
        let manifest =
            Manifest::from_json(&bytes).map_err(|error| fail(format!("manifest: {error}")))?;
        let config = layout
            .read_blob(&manifest.config.digest)?
            .ok_or_else(|| fail("the config blob is missing".to_owned()))?;
        let config =
            ImageConfig::from_json(&config).map_err(|error| fail(format!("config: {error}")))?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(fail(
                "the config's diff_ids do not match the layers".to_owned(),
            ));
        }
        let id = |name: &str| -> Result<u32> {
            let value = config
                .env(name)
                .ok_or_else(|| fail(format!("the config sets no {name}")))?;
            value
                .parse()
                .map_err(|_| fail(format!("{name}={value} is not a number")))
        };
        let owner = Owner::new(id("CNB_USER_ID")?, id("CNB_GROUP_ID")?);
        Ok(Self {
            layout,
            manifest,
            config,
            owner,
        })
    }
}

/// Assembles the builder image of `inputs` into the OCI layout `out_layout` (absent, empty
/// or a layout), tagged `tag`; returns the manifest digest. The same inputs give the same
/// digest.
pub fn write(inputs: &BuilderInputs, out_layout: &Path, tag: &str) -> Result<Digest> {
    let lifecycle = InstalledLifecycle::open(&inputs.lifecycle)?;
    let base = Base::read(&inputs.base)?;
    ImageRef::parse(&inputs.run_image).map_err(|source| Error::Reference {
        what: "run image",
        source,
    })?;
    let buildpacks = module::read_all(&inputs.buildpacks, Module::buildpack)?;
    let extensions = module::read_all(&inputs.extensions, Module::extension)?;
    let order = Order::read(&inputs.order)?;
    check_order(&order.order, &buildpacks, &inputs.order)?;
    check_order(&order.order_extensions, &extensions, &inputs.order)?;

    let mut image = ImageWriter::create(out_layout, base.config.clone())?;
    for (layer, diff_id) in base
        .manifest
        .layers
        .iter()
        .zip(&base.config.rootfs.diff_ids)
    {
        image.add_base_layer(&base.layout, layer, *diff_id)?;
    }
    image.add_layer("builder default dirs", |sink| add_dirs(sink, base.owner))?;
    image.add_layer(LAYER_NAME, |sink| lifecycle.add_layer(sink))?;
    let mut layers = BuildpackLayers::new();
    let mut extension_layers = BuildpackLayers::new();
    for (modules, labels) in [
        (&buildpacks, &mut layers),
        (&extensions, &mut extension_layers),
    ] {
        for module in modules {
            let name = format!("{} {}@{}", module.noun(), module.id(), module.version());
            let diff_id = image.add_layer(&name, |sink| module.add_layer(sink))?;
            labels.entry(module.id().to_owned()).or_default().insert(
                module.version().to_owned(),
                module.layer_label(diff_id.to_string()),
            );
        }
    }
    let run_image = RunImageForExport {
        image: Some(inputs.run_image.clone()),
        mirrors: (!inputs.run_image_mirrors.is_empty()).then(|| inputs.run_image_mirrors.clone()),
    };
    let files = platform_files(&order, &run_image)?;
    image.add_layer("builder order.toml, run.toml, stack.toml", |sink| {
        add_files(sink, &files)
    })?;

    let metadata = builder_metadata(&lifecycle, &buildpacks, &extensions, inputs);
    let config = image.config_mut();
    config.config.user = Some(format!("{}:{}", base.owner.uid, base.owner.gid));
    config.config.working_dir = Some(WORKING_DIR.to_owned());
    for (key, value) in [
        (BUILDER_METADATA, to_json(&metadata)),
        (BUILDPACK_ORDER, to_json(&order.order)),
        (BUILDPACK_LAYERS, to_json(&layers)),
        (LIFECYCLE_VERSION, lifecycle.version().to_owned()),
        (LIFECYCLE_APIS, to_json(&lifecycle.descriptor().apis)),
    ] {
        config.set_label(key, &value);
    }
    if !extensions.is_empty() {
        config.set_label(EXTENSION_LAYERS, &to_json(&extension_layers));
        config.set_label(EXTENSION_ORDER, &to_json(&order.order_extensions));
    }
    image.finish(tag)
}

/// Every module the groups name must be one of `modules`.
fn check_order(groups: &[OrderGroup], modules: &[Module], path: &Path) -> Result<()> {
    for element in groups.iter().flat_map(|group| &group.group) {
        let known = modules
            .iter()
            .any(|bp| bp.id() == element.id && bp.version() == element.version);
        if !known {
            return Err(Error::UnknownBuildpack {
                path: path.to_owned(),
                id: element.id.clone(),
                version: element.version.clone(),
            });
        }
    }
    Ok(())
}

/// The default directories of pack's builders: `/workspace` and `/layers` owned by the build
/// user, the rest by root, all 0755.
fn add_dirs(sink: &mut dyn EntrySink, owner: Owner) -> cnb_archive::Result<()> {
    let dirs = [
        ("/cnb", false),
        ("/cnb/build-config", false),
        ("/cnb/build-config/env", false),
        ("/cnb/buildpacks", false),
        ("/cnb/extensions", false),
        ("/layers", true),
        ("/platform", false),
        ("/platform/env", false),
        ("/workspace", true),
    ];
    for (dir, build_user) in dirs {
        let mut header = Header::directory(dir, 0o755);
        if build_user {
            header = header.owned_by(owner.uid, owner.gid);
        }
        sink.append(&header, &mut std::io::empty())?;
    }
    Ok(())
}

/// `/cnb/order.toml`, `/cnb/run.toml`, `/cnb/stack.toml` and their contents.
fn platform_files(order: &Order, run_image: &RunImageForExport) -> Result<Vec<(String, String)>> {
    let run = Run {
        images: vec![run_image.clone()],
    };
    let stack = Stack {
        run_image: run_image.clone(),
    };
    Ok(vec![
        ("/cnb/order.toml".to_owned(), order.to_toml()?),
        ("/cnb/run.toml".to_owned(), run.to_toml()?),
        ("/cnb/stack.toml".to_owned(), stack.to_toml()?),
    ])
}

fn add_files(sink: &mut dyn EntrySink, files: &[(String, String)]) -> cnb_archive::Result<()> {
    sink.append(&Header::directory("/cnb", 0o755), &mut std::io::empty())?;
    for (name, text) in files {
        let header = Header::regular(name.as_str(), 0o644, text.len() as u64);
        sink.append(&header, &mut text.as_bytes())?;
    }
    Ok(())
}

fn builder_metadata(
    lifecycle: &InstalledLifecycle,
    buildpacks: &[Module],
    extensions: &[Module],
    inputs: &BuilderInputs,
) -> BuilderMetadata {
    let info = |modules: &[Module]| -> Vec<ModuleInfo> {
        modules
            .iter()
            .map(|module| ModuleInfo {
                id: module.id().to_owned(),
                version: module.version().to_owned(),
                homepage: module.info().homepage.clone(),
                name: module.info().name.clone(),
            })
            .collect()
    };
    let run_image = RunImageMetadata {
        image: inputs.run_image.clone(),
        mirrors: inputs.run_image_mirrors.clone(),
    };
    let apis = lifecycle.descriptor().apis.clone();
    BuilderMetadata {
        description: String::new(),
        buildpacks: info(buildpacks),
        extensions: info(extensions),
        stack: StackMetadata {
            run_image: run_image.clone(),
        },
        images: vec![run_image],
        lifecycle: BuilderLifecycle {
            version: lifecycle.version().to_owned(),
            api: LegacyApi::lowest_supported(&apis),
            apis,
        },
        created_by: CreatedBy {
            name: CREATED_BY.to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::STACK_ID;
    use crate::test_support::fake_install;
    use std::fs;

    /// A base layout with one layer, the build user's ids and a stack id, and the inputs of a
    /// builder over it with one buildpack.
    fn inputs(root: &Path) -> BuilderInputs {
        fake_install(&root.join("install"));
        let mut config = ImageConfig {
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            ..ImageConfig::default()
        };
        config.config.env = Some(vec![
            "PATH=/bin".to_owned(),
            "CNB_USER_ID=1000".to_owned(),
            "CNB_GROUP_ID=1001".to_owned(),
        ]);
        config.set_label(STACK_ID, "io.test.stack");
        let mut base = ImageWriter::create(&root.join("base"), config).unwrap();
        base.add_layer("rootfs", |sink| {
            sink.append(&Header::directory("/bin", 0o755), &mut std::io::empty())
        })
        .unwrap();
        base.finish("latest").unwrap();
        let buildpack = root.join("bp");
        fs::create_dir_all(buildpack.join("bin")).unwrap();
        fs::write(
            buildpack.join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"samples/a\"\nversion = \"0.0.1\"\n",
        )
        .unwrap();
        fs::write(buildpack.join("bin/build"), "#!/bin/sh\n").unwrap();
        fs::write(
            root.join("order.toml"),
            "[[order]]\n[[order.group]]\nid = \"samples/a\"\nversion = \"0.0.1\"\n",
        )
        .unwrap();
        BuilderInputs {
            lifecycle: root.join("install"),
            base: root.join("base"),
            buildpacks: vec![buildpack],
            order: root.join("order.toml"),
            run_image: "127.0.0.1:5000/cnb/run:busybox".to_owned(),
            run_image_mirrors: Vec::new(),
            extensions: Vec::new(),
        }
    }

    fn config_of(layout: &Path, digest: Digest) -> (Manifest, ImageConfig) {
        let layout = Layout::new(layout);
        let manifest = Manifest::from_json(&layout.read_blob(&digest).unwrap().unwrap()).unwrap();
        let config = layout.read_blob(&manifest.config.digest).unwrap().unwrap();
        (manifest, ImageConfig::from_json(&config).unwrap())
    }

    #[test]
    fn keeps_the_base_and_adds_user_workdir_and_labels() {
        let temp = tempfile::tempdir().unwrap();
        let inputs = inputs(temp.path());
        let digest = write(&inputs, &temp.path().join("out"), "latest").unwrap();
        let (manifest, config) = config_of(&temp.path().join("out"), digest);
        // base, dirs, lifecycle, one buildpack, platform files
        assert_eq!(manifest.layers.len(), 5);
        assert_eq!(config.config.user.as_deref(), Some("1000:1001"));
        assert_eq!(config.config.working_dir.as_deref(), Some("/layers"));
        assert_eq!(config.env("PATH"), Some("/bin"));
        assert_eq!(config.label(STACK_ID), Some("io.test.stack"));
        assert_eq!(config.label(LIFECYCLE_VERSION), Some("1.2.3"));
        let layers: BuildpackLayers =
            serde_json::from_str(config.label(BUILDPACK_LAYERS).unwrap()).unwrap();
        let entry = &layers["samples/a"]["0.0.1"];
        assert_eq!(entry.layer_diff_id, config.rootfs.diff_ids[3].to_string());
        let metadata: BuilderMetadata =
            serde_json::from_str(config.label(BUILDER_METADATA).unwrap()).unwrap();
        assert_eq!(metadata.stack.run_image.image, inputs.run_image);
        assert_eq!(metadata.buildpacks[0].id, "samples/a");
        let order: serde_json::Value =
            serde_json::from_str(config.label(BUILDPACK_ORDER).unwrap()).unwrap();
        assert_eq!(order[0]["group"][0]["id"], "samples/a");
    }

    #[test]
    fn the_same_inputs_give_the_same_digest() {
        let temp = tempfile::tempdir().unwrap();
        let inputs = inputs(temp.path());
        let first = write(&inputs, &temp.path().join("a"), "latest").unwrap();
        let second = write(&inputs, &temp.path().join("b"), "latest").unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn refuses_an_order_naming_a_missing_buildpack() {
        let temp = tempfile::tempdir().unwrap();
        let inputs = inputs(temp.path());
        fs::write(
            &inputs.order,
            "[[order]]\n[[order.group]]\nid = \"samples/b\"\nversion = \"1\"\n",
        )
        .unwrap();
        let error = write(&inputs, &temp.path().join("out"), "latest").unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("names samples/b@1, which no given buildpack provides"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_base_without_the_build_user() {
        let temp = tempfile::tempdir().unwrap();
        let mut inputs = inputs(temp.path());
        let base = ImageWriter::create(&temp.path().join("bare"), ImageConfig::default()).unwrap();
        base.finish("latest").unwrap();
        inputs.base = temp.path().join("bare");
        let error = write(&inputs, &temp.path().join("out"), "latest").unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("the config sets no CNB_USER_ID"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_buildpack_id_that_leaves_its_dir() {
        let temp = tempfile::tempdir().unwrap();
        let inputs = inputs(temp.path());
        fs::write(
            inputs.buildpacks[0].join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"../x\"\nversion = \"1\"\n",
        )
        .unwrap();
        let error = write(&inputs, &temp.path().join("out"), "latest").unwrap_err();
        assert!(error.to_string().contains("path-safe"), "{error}");
    }

    #[test]
    fn extensions_go_under_cnb_extensions_with_their_labels_and_order() {
        let temp = tempfile::tempdir().unwrap();
        let mut inputs = inputs(temp.path());
        let extension = temp.path().join("ext");
        fs::create_dir_all(extension.join("generate")).unwrap();
        fs::write(
            extension.join("extension.toml"),
            "api = \"0.10\"\n[extension]\nid = \"samples/tools\"\nversion = \"0.0.1\"\n",
        )
        .unwrap();
        fs::write(
            extension.join("generate/run.Dockerfile"),
            "FROM ${base_image}\n",
        )
        .unwrap();
        inputs.extensions = vec![extension];
        fs::write(
            &inputs.order,
            "[[order]]\n[[order.group]]\nid = \"samples/a\"\nversion = \"0.0.1\"\n\n[[order-extensions]]\n[[order-extensions.group]]\nid = \"samples/tools\"\nversion = \"0.0.1\"\n",
        )
        .unwrap();
        let digest = write(&inputs, &temp.path().join("out"), "latest").unwrap();
        let (manifest, config) = config_of(&temp.path().join("out"), digest);
        // base, dirs, lifecycle, one buildpack, one extension, platform files
        assert_eq!(manifest.layers.len(), 6);
        let layers: BuildpackLayers =
            serde_json::from_str(config.label(EXTENSION_LAYERS).unwrap()).unwrap();
        let entry = &layers["samples/tools"]["0.0.1"];
        assert_eq!(entry.layer_diff_id, config.rootfs.diff_ids[4].to_string());
        assert_eq!(entry.api, "0.10");
        let order: serde_json::Value =
            serde_json::from_str(config.label(EXTENSION_ORDER).unwrap()).unwrap();
        assert_eq!(order[0]["group"][0]["id"], "samples/tools");
        let metadata: BuilderMetadata =
            serde_json::from_str(config.label(BUILDER_METADATA).unwrap()).unwrap();
        assert_eq!(metadata.extensions[0].id, "samples/tools");
        inputs.extensions.clear();
        let error = write(&inputs, &temp.path().join("out2"), "latest").unwrap_err();
        assert!(error.to_string().contains("samples/tools@0.0.1"), "{error}");
    }
}
