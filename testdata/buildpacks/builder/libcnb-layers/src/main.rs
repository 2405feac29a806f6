//! The builder's test buildpack on libcnb: its build makes one layer for build and launch
//! (`tools`) holding `bin/libcnb-hello`, with env files for later buildpacks and for launch,
//! layer metadata recording its Buildpack Plan and target, and a CycloneDX SBOM; it declares a
//! default `web` process running `libcnb-hello`, a label, a launch SBOM and `store.toml`.
//! Its detect always passes.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::launch::{LaunchBuilder, Process, ProcessBuilder};
use libcnb::data::sbom::SbomFormat;
use libcnb::data::store::Store;
use libcnb::data::{layer_name, process_type};
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
use libcnb::layer::UncachedLayerDefinition;
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::sbom::Sbom;
use libcnb::{Buildpack, buildpack_main};

struct Layers;

#[derive(Debug)]
enum LayersError {
    Io(#[allow(dead_code, reason = "libcnb shows the error through Debug")] std::io::Error),
}

impl From<LayersError> for libcnb::Error<LayersError> {
    fn from(error: LayersError) -> Self {
        Self::BuildpackError(error)
    }
}

const HELLO: &str = "#!/bin/sh\necho \"hello from libcnb: $*\"\n";
const SBOM: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.4","version":1}"#;

impl Buildpack for Layers {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = LayersError;

    fn detect(&self, _context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        DetectResultBuilder::pass().build()
    }

    fn build(&self, context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        let layer = context.uncached_layer(
            layer_name!("tools"),
            UncachedLayerDefinition {
                build: true,
                launch: true,
            },
        )?;
        let bin = layer.path().join("bin");
        fs::create_dir_all(&bin).map_err(LayersError::Io)?;
        let hello = bin.join("libcnb-hello");
        fs::write(&hello, HELLO).map_err(LayersError::Io)?;
        fs::set_permissions(&hello, fs::Permissions::from_mode(0o755)).map_err(LayersError::Io)?;
        layer.write_env(
            LayerEnv::new()
                .chainable_insert(
                    Scope::Build,
                    ModificationBehavior::Override,
                    "LIBCNB_BUILD_VAR",
                    "from-libcnb",
                )
                .chainable_insert(
                    Scope::All,
                    ModificationBehavior::Delimiter,
                    "LIBCNB_LIST",
                    ",",
                )
                .chainable_insert(
                    Scope::All,
                    ModificationBehavior::Append,
                    "LIBCNB_LIST",
                    "libcnb",
                )
                .chainable_insert(
                    Scope::Launch,
                    ModificationBehavior::Default,
                    "LIBCNB_LAUNCH_VAR",
                    "launch-only",
                ),
        )?;
        let plan: Vec<toml::Value> = context
            .buildpack_plan
            .entries
            .iter()
            .map(|entry| entry.name.clone().into())
            .collect();
        let mut metadata = toml::Table::new();
        metadata.insert("plan".into(), plan.into());
        metadata.insert(
            "target".into(),
            format!("{}/{}", context.target.os, context.target.arch).into(),
        );
        layer.write_metadata(metadata)?;
        layer.write_sboms(&[Sbom::from_bytes(SbomFormat::CycloneDxJson, SBOM)])?;

        let web: Process = ProcessBuilder::new(process_type!("web"), ["libcnb-hello"])
            .args(["--greeting", "hi"])
            .default(true)
            .build();
        let mut store = Store::default();
        store.metadata.insert("built-by".into(), "libcnb".into());
        BuildResultBuilder::new()
            .launch(
                LaunchBuilder::new()
                    .process(web)
                    .label(libcnb::data::launch::Label {
                        key: "io.test.libcnb".into(),
                        value: "yes".into(),
                    })
                    .build(),
            )
            .store(store)
            .launch_sbom(Sbom::from_bytes(SbomFormat::CycloneDxJson, SBOM))
            .build()
    }
}

buildpack_main!(Layers);
