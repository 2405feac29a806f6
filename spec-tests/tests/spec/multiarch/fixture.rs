//! What the multiarch tests share: a run image index of amd64 and arm64 busybox images, the
//! creator fixture on it, reading images back for a platform, and the target-probe buildpacks.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use cnb_image::{Image, ImageStore, Platform};
use cnb_registry::Environment;
use std::process::Command;

use cnb_testkit::{
    Arch, IndexKind, Lifecycle, OciLayoutImage, PushedIndex, RegistryFixture, RunImage, push_index,
};

use crate::creator::Create;
use crate::image_support::{reference, registry_store};

/// `linux/<arch>` as the lifecycle of that architecture asks for it (no variant).
pub(crate) fn platform(arch: Arch) -> Platform {
    Platform::new("linux", arch.name())
}

/// Label `io.buildpacks.base.metadata`, which tells the releases of the run images apart.
pub(crate) const RELEASE_LABEL: &str = "io.buildpacks.base.metadata";

/// The run images: an amd64 and an arm64 busybox image (the same labels; `release` in
/// [`RELEASE_LABEL`]), built as layouts.
pub(crate) fn run_image_layouts(release: &str) -> [OciLayoutImage; 2] {
    [Arch::Amd64, Arch::Arm64].map(|arch| {
        RunImage::default()
            .arch(arch)
            .label(RELEASE_LABEL, release)
            .build_layout()
            .expect("run image layout")
    })
}

/// Pushes `layouts` as an OCI index under `repo_and_tag`, arm64 first (the lifecycle must
/// not depend on the order).
pub(crate) fn push_run_index(
    registry: &RegistryFixture,
    repo_and_tag: &str,
    layouts: &[OciLayoutImage; 2],
) -> PushedIndex {
    push_index(
        registry,
        repo_and_tag,
        &[&layouts[1], &layouts[0]],
        IndexKind::Oci,
    )
    .expect("run image index")
}

/// A creator fixture building on a fresh run image index `test/run:multi`, which its
/// `run.toml` lists (so that the app's label names it for the rebaser).
pub(crate) fn create_on_index() -> (Create, PushedIndex) {
    let registry = RegistryFixture::start().expect("registry");
    let layouts = run_image_layouts("release 1");
    let index = push_run_index(&registry, "test/run:multi", &layouts);
    let create = Create::on(std::rc::Rc::new(registry), index.reference.clone());
    fs::write(
        create.dir.join("run.toml"),
        format!("[[images]]\n  image = \"{}\"\n", index.reference),
    )
    .expect("run.toml");
    (create, index)
}

/// The creator of `arch` building `app` in `create`, with its `run.toml`.
pub(crate) fn creator(create: &Create, arch: Arch, app: &str) -> Command {
    let mut command = create.as_root_of(&Lifecycle::installed_for(arch));
    command
        .arg(format!("-run={}", create.dir.join("run.toml").display()))
        .arg(app);
    command
}

/// The image `name` as the lifecycle of `arch` reads it.
pub(crate) fn read(name: &str, arch: Arch) -> Image {
    registry_store(&Environment::default(), &[])
        .read_image(&reference(name), &platform(arch))
        .expect("readable")
        .expect("exists")
}

/// Installs the target-probe buildpack as `test/<arch>-probe` whose only target is `arch`,
/// into the creator fixture's buildpacks.
pub(crate) fn install_probe(create: &Create, arch: Arch) {
    let id = format!("test/{}-probe", arch.name());
    let dir = create
        .dir
        .join(format!("buildpacks/test_{}-probe/0.0.1", arch.name()));
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/multiarch/target-probe");
    fs::create_dir_all(dir.join("bin")).expect("mkdir");
    for bin in ["detect", "build"] {
        fs::copy(testdata.join("bin").join(bin), dir.join("bin").join(bin)).expect("copy");
    }
    fs::write(
        dir.join("buildpack.toml"),
        format!(
            "api = \"0.10\"\n\n[buildpack]\n  id = \"{id}\"\n  version = \"0.0.1\"\n\n\
             [[targets]]\n  os = \"linux\"\n  arch = \"{}\"\n",
            arch.name()
        ),
    )
    .expect("buildpack.toml");
}

/// Writes `order.toml`: one group of `test/hello` and then `optional` buildpacks.
pub(crate) fn order(create: &Create, optional: &[&str]) {
    let mut text =
        "[[order]]\n  [[order.group]]\n    id = \"test/hello\"\n    version = \"0.0.1\"\n"
            .to_owned();
    for id in optional {
        let _ = write!(
            text,
            "  [[order.group]]\n    id = \"{id}\"\n    version = \"0.0.1\"\n    optional = true\n"
        );
    }
    fs::write(create.layers().join("order.toml"), text).expect("order.toml");
}
