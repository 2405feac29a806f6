//! A test buildpack on libcnb: it passes detection when the app has a `libcnb.toml` file and
//! then requires and provides `libcnb-dep`, with the target libcnb read from `CNB_TARGET_*` as
//! metadata; it fails detection otherwise. Its build does nothing.

use libcnb::build::{BuildContext, BuildResult, BuildResultBuilder};
use libcnb::data::build_plan::BuildPlanBuilder;
use libcnb::detect::{DetectContext, DetectResult, DetectResultBuilder};
use libcnb::generic::{GenericMetadata, GenericPlatform};
use libcnb::{Buildpack, buildpack_main};

struct Probe;

#[derive(Debug)]
struct ProbeError;

impl Buildpack for Probe {
    type Platform = GenericPlatform;
    type Metadata = GenericMetadata;
    type Error = ProbeError;

    fn detect(&self, context: DetectContext<Self>) -> libcnb::Result<DetectResult, Self::Error> {
        if !context.app_dir.join("libcnb.toml").exists() {
            return DetectResultBuilder::fail().build();
        }
        let target = &context.target;
        let mut metadata = toml::Table::new();
        metadata.insert("os".into(), target.os.clone().into());
        metadata.insert("arch".into(), target.arch.clone().into());
        metadata.insert(
            "distro".into(),
            format!("{} {}", target.distro_name, target.distro_version).into(),
        );
        let plan = BuildPlanBuilder::new()
            .provides("libcnb-dep")
            .requires(libcnb::data::build_plan::Require {
                name: "libcnb-dep".into(),
                metadata,
            })
            .build();
        DetectResultBuilder::pass().build_plan(plan).build()
    }

    fn build(&self, _context: BuildContext<Self>) -> libcnb::Result<BuildResult, Self::Error> {
        BuildResultBuilder::new().build()
    }
}

buildpack_main!(Probe);
