//! Image extensions, replayed as platforms run them: pack's five phases with extensions at
//! Platform API 0.15 (clients.md §1.3: the analyzer, restorer and exporter as root in the
//! lifecycle image, the detector as the build user in the builder, the restorer with
//! `-build-image`, `extender` as root in a container of the builder image, `extender -kind run`
//! as root in a container of the run image, the exporter putting `<layers>/extended` on the
//! run image), the app image then run with runc and rebased; and the extender step of Tekton's
//! `buildpacks-phases` 0.3 (clients.md §3.2, §3.4) at 0.13. The builder (`cnb-package` over the
//! test build base) carries `testdata/extensions/samples/*` and `samples/uses-tools`, which
//! calls the tool the build extension installs.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_testkit::{Finished, RunImage};
use tempfile::TempDir;

use super::pack::{pack_env, registry_env};
use super::support::{
    Container, GID, Report, Site, UID, Volumes, assert_ok, can_replay, json_label,
    lifecycle_image_root,
};
use crate::container_support::{PulledImage, Run, can_run_containers};
use crate::image_support::{skopeo, umoci_unpack};
use crate::package::{install_dir, sample_builder_inputs};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");
/// What `samples/uses-tools` keeps from the tool the build extension installed.
const SAID: &str = "said by a tool the build.Dockerfile installed\n";
/// What the run extension adds to the run image.
const MARKER: &str = "added by the run.Dockerfile\n";

/// A builder image with the sample extensions, pushed and unpacked.
struct ExtensionBuilder {
    dir: TempDir,
    /// The builder image by tag in the registry.
    reference: String,
}

impl ExtensionBuilder {
    /// The builder for `site`'s run image whose order is `order` (a file in
    /// `testdata/extensions/samples` or a path).
    fn new(site: &Site, order: &Path) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("cnb-replay-ext-builder-")
            .tempdir()
            .expect("temp dir");
        let base = RunImage::default().build_layout().expect("build base");
        let mut inputs = sample_builder_inputs(&base.path(), &site.run_image.reference, &[]);
        inputs.lifecycle = install_dir();
        inputs
            .buildpacks
            .push(Path::new(TESTDATA).join("buildpacks/extended/uses-tools"));
        inputs.extensions = ["build-tools", "run-marker"]
            .iter()
            .map(|name| Path::new(TESTDATA).join("extensions/samples").join(name))
            .collect();
        order.clone_into(&mut inputs.order);
        let layout = dir.path().join("layout");
        cnb_package::builder::write(&inputs, &layout, "latest").expect("builder image written");
        let reference = site.name("fixture/builder:latest");
        skopeo(&[
            "copy",
            "--quiet",
            "--insecure-policy",
            "--dest-tls-verify=false",
            &format!("oci:{}:latest", layout.display()),
            &format!("docker://{reference}"),
        ]);
        let bundle = dir.path().join("bundle");
        umoci_unpack(&layout, "latest", &bundle);
        Self { dir, reference }
    }

    fn layout(&self) -> PathBuf {
        self.dir.path().join("layout")
    }

    /// The builder image's `/cnb`, for the phases pack runs in it as the build user.
    fn cnb(&self) -> PathBuf {
        self.dir.path().join("bundle/rootfs/cnb")
    }
}

/// The pack volumes of one build.
struct PackBuild {
    _volumes: Volumes,
    layers: PathBuf,
    workspace: PathBuf,
    cache: PathBuf,
    kaniko: PathBuf,
    platform: PathBuf,
}

impl PackBuild {
    fn new() -> Self {
        let volumes = Volumes::new();
        let layers = volumes.dir("layers", (0, 0));
        let workspace = volumes.app("workspace", (UID, GID));
        let cache = volumes.dir("cache", (0, 0));
        let kaniko = volumes.dir("kaniko", (0, 0));
        let platform = volumes
            .dir("platform/env", (0, 0))
            .parent()
            .expect("platform")
            .to_owned();
        Self {
            _volumes: volumes,
            layers,
            workspace,
            cache,
            kaniko,
            platform,
        }
    }

    /// `/layers`, `/workspace` and `/kaniko` as pack binds them into the extender's
    /// containers.
    fn extender_binds(&self) -> [(&Path, &'static str); 3] {
        [
            (self.layers.as_path(), "/layers"),
            (self.workspace.as_path(), "/workspace"),
            (self.kaniko.as_path(), "/kaniko"),
        ]
    }
}

/// `/cnb/lifecycle/extender <args>` as root in `container` with `binds`, and pack's env.
fn extend(
    container: &PulledImage,
    binds: &[(&Path, &str)],
    env: &[&str],
    args: &[&str],
) -> Finished {
    let mut command = vec!["/cnb/lifecycle/extender"];
    command.extend_from_slice(args);
    container.run(&Run {
        args: Some(&command),
        env,
        user: Some(0),
        binds,
        docker_capabilities: true,
        host_network: false,
    })
}

/// One pack build: its site, builder, volumes and lifecycle image.
struct PackReplay {
    site: Site,
    builder: ExtensionBuilder,
    build: PackBuild,
    image: TempDir,
}

impl PackReplay {
    fn new() -> Self {
        let site = Site::start();
        let order = Path::new(TESTDATA).join("extensions/samples/order.toml");
        let builder = ExtensionBuilder::new(&site, &order);
        Self {
            site,
            builder,
            build: PackBuild::new(),
            image: lifecycle_image_root(),
        }
    }

    /// The analyzer, restorer and exporter's container: the lifecycle image, as root.
    fn lifecycle_image(&self) -> Container {
        let build = &self.build;
        registry_env(Container::new((0, 0)))
            .bind_ro(&self.image.path().join("cnb/lifecycle"), "/cnb/lifecycle")
            .bind_ro(&self.image.path().join("etc/ssl"), "/etc/ssl")
            .bind(&build.layers, "/layers")
            .bind(&build.workspace, "/workspace")
            .bind(&build.cache, "/cache")
            .bind(&build.kaniko, "/kaniko")
            .cwd("/layers")
    }

    /// The detector's container: the builder, as the build user.
    fn ephemeral_builder(&self) -> Container {
        let build = &self.build;
        pack_env(Container::new((UID, GID)))
            .bind_ro(&self.builder.cnb(), "/cnb")
            .bind_ro(&build.platform, "/platform")
            .bind(&build.layers, "/layers")
            .bind(&build.workspace, "/workspace")
            .cwd("/layers")
    }

    /// analyzer, detector, restorer `-build-image`.
    fn analyze_detect_restore(&self, app: &str) {
        let layers = &self.build.layers;
        let run = &self.site.run_image.reference;
        fs::write(
            layers.join("run.toml"),
            format!("[[images]]\n  image = \"{run}\"\n"),
        )
        .expect("run.toml");
        let analyzer = [
            "/cnb/lifecycle/analyzer",
            "-run",
            "/layers/run.toml",
            "-run-image",
            run,
            app,
        ];
        assert_ok("analyzer", &self.lifecycle_image().run(&analyzer));
        let detector = ["/cnb/lifecycle/detector", "-app", "/workspace"];
        assert_ok("detector", &self.ephemeral_builder().run(&detector));
        let generated = layers.join("generated");
        assert!(
            generated
                .join("samples_build-tools/build.Dockerfile")
                .is_file()
        );
        assert!(
            generated
                .join("samples_run-marker/run.Dockerfile")
                .is_file()
        );
        let analyzed_toml = read_toml(&layers.join("analyzed.toml"));
        assert_eq!(
            analyzed_toml["run-image"]["extend"].as_bool(),
            Some(true),
            "{analyzed_toml:#?}"
        );
        let build_image = format!("-build-image={}", self.builder.reference);
        let restorer = [
            "/cnb/lifecycle/restorer",
            "-cache-dir",
            "/cache",
            &build_image,
        ];
        assert_ok("restorer", &self.lifecycle_image().run(&restorer));
        let saved = fs::read_dir(self.build.kaniko.join("cache/base"))
            .expect("base images saved")
            .count();
        assert_eq!(saved, 2, "the build image and the run image");
    }

    /// extender in the builder image, then `extender -kind run` in a run image container
    /// (pack's `pack.local/run-image/…`: the run image with the lifecycle added).
    fn extend_build_and_run(&self) {
        let pack = ["CNB_PLATFORM_API=0.15", "CNB_EXEC_ENV=production"];
        let container =
            PulledImage::from_layout(&self.builder.layout(), "latest", "cnb-replay-extend-build");
        let args = ["-app", "/workspace", "-log-level", "debug"];
        let built = extend(&container, &self.build.extender_binds(), &pack, &args);
        assert_ok("extender (build)", &built);
        let said = format!("---> uses-tools: {}", SAID.trim());
        assert!(built.stdout.contains(&said), "{built}");

        let lifecycle_dir = install_dir().join("cnb/lifecycle");
        let mut binds = self.build.extender_binds().to_vec();
        binds.push((lifecycle_dir.as_path(), "/cnb/lifecycle"));
        let container = PulledImage::pull(&self.site.run_image.reference, "cnb-replay-extend-run");
        let args = ["-app", "/workspace", "-kind", "run", "-log-level", "debug"];
        assert_ok("extender (run)", &extend(&container, &binds, &pack, &args));
    }

    /// The exporter, as pack runs it: tags positional, `-extended` left at its default.
    fn export(&self, app: &str) {
        let layers = &self.build.layers;
        fs::write(layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
        let exporter = [
            "/cnb/lifecycle/exporter",
            "-app",
            "/workspace",
            "-cache-dir",
            "/cache",
            "-run",
            "/layers/run.toml",
            app,
        ];
        assert_ok("exporter", &self.lifecycle_image().run(&exporter));
        let report = Report::read(&layers.join("report.toml"));
        assert_eq!(report.digest, self.site.digest(app), "{}", report.text);
    }
}

/// `cat <files>` in a container of `image`.
fn cat(image: &str, name: &str, files: &[&str]) -> Finished {
    let mut args = vec!["/bin/cat"];
    args.extend_from_slice(files);
    PulledImage::pull(image, name).run(&Run {
        args: Some(&args),
        ..Run::default()
    })
}

#[test]
fn pack_five_phases_with_build_and_run_extensions_then_the_app_runs_and_rebases() {
    if !can_replay() || !can_run_containers() {
        return;
    }
    let replay = PackReplay::new();
    let site = &replay.site;
    let app = site.name("fixture/app:latest");
    replay.analyze_detect_restore(&app);
    replay.extend_build_and_run();
    replay.export(&app);

    let config = site.config(&app);
    let lifecycle = json_label(&config, "io.buildpacks.lifecycle.metadata");
    assert_eq!(
        lifecycle["runImage"]["image"],
        site.run_image.reference.as_str(),
        "{lifecycle:#}"
    );
    let build_metadata = json_label(&config, "io.buildpacks.build.metadata");
    let extensions = build_metadata["extensions"].as_array().map(Vec::len);
    assert_eq!(extensions, Some(2), "{build_metadata:#}");
    let files = [
        "/opt/tools/run-marker.txt",
        "/layers/samples_uses-tools/said/said.txt",
    ];
    let shown = cat(&app, "cnb-replay-extended-app", &files);
    assert_eq!(shown.code, Some(0), "{shown}");
    assert_eq!(shown.stdout, format!("{MARKER}{SAID}"));

    // pack rebase is Go in pack itself; the lifecycle's rebaser stands in for it here: the
    // run image is updated under the same name, and the app rebased onto it.
    let v2 = RunImage::default()
        .env("RUN_IMAGE_VERSION", "2")
        .push(&site.registry, "fixture/run:latest")
        .expect("run image v2");
    assert_ne!(v2.digest, site.run_image.digest);
    let rebase = ["/cnb/lifecycle/rebaser", &app];
    assert_ok("rebaser", &replay.lifecycle_image().run(&rebase));
    let manifest = site.manifest(&app);
    let v2_layers = site.manifest(&v2.reference)["layers"].clone();
    let v2_layers = v2_layers.as_array().expect("layers");
    let rebased_layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(rebased_layers[..v2_layers.len()], v2_layers[..]);
    let after = cat(
        &app,
        "cnb-replay-rebased-app",
        &["/opt/tools/run-marker.txt"],
    );
    assert_eq!(
        after.stdout, MARKER,
        "the extension layer stays above the new run image: {after}"
    );
}

/// One `buildpacks-phases` task run: its volumes, owned by the build user as its prepare
/// step leaves them.
struct TektonRun {
    _volumes: Volumes,
    layers: PathBuf,
    platform: PathBuf,
    source: PathBuf,
    home: PathBuf,
    kaniko: PathBuf,
}

impl TektonRun {
    fn new() -> Self {
        let volumes = Volumes::new();
        let user = (UID, GID);
        let platform = volumes.dir("platform", (0, 0));
        fs::create_dir(platform.join("env")).expect("mkdir env");
        Self {
            layers: volumes.dir("layers", user),
            platform,
            source: volumes.app("source", user),
            home: volumes.dir("tekton-home", user),
            kaniko: volumes.dir("kaniko", user),
            _volumes: volumes,
        }
    }

    /// A step in the builder image as the build user, with the task's env and mounts.
    fn step(&self, builder: &ExtensionBuilder) -> Container {
        Container::new((UID, GID))
            .env("CNB_USER_ID", &UID.to_string())
            .env("CNB_GROUP_ID", &GID.to_string())
            .env("HOME", "/tekton/home")
            .env("CNB_PLATFORM_API", "0.13")
            .env("CNB_EXPERIMENTAL_MODE", "silent")
            .bind_ro(&builder.cnb(), "/cnb")
            .bind(&self.layers, "/layers")
            .bind(&self.platform, "/platform")
            .bind(&self.source, "/workspace/source")
            .bind(&self.home, "/tekton/home")
            .cwd("/layers")
    }

    /// The extender step: root (with `SYS_ADMIN` and `SETFCAP` in the task) in the builder image.
    fn extender_step(&self, builder: &ExtensionBuilder) -> Finished {
        let binds: [(&Path, &str); 5] = [
            (&self.layers, "/layers"),
            (&self.platform, "/platform"),
            (&self.source, "/workspace/source"),
            (&self.home, "/tekton/home"),
            (&self.kaniko, "/kaniko"),
        ];
        let container =
            PulledImage::from_layout(&builder.layout(), "latest", "cnb-replay-tekton-extender");
        let env = [
            "CNB_PLATFORM_API=0.13",
            "CNB_EXPERIMENTAL_MODE=silent",
            "HOME=/tekton/home",
        ];
        let args = [
            "-log-level=info",
            "-app=/workspace/source/",
            "-generated=/layers/generated",
            "-uid=1000",
            "-gid=1000",
            "-platform=/platform",
        ];
        extend(&container, &binds, &env, &args)
    }
}

/// The builder order with the build extension only (a run.Dockerfile that extends would make
/// the task's exporter fail, as Go's does: the task has no run extender).
const BUILD_ONLY_ORDER: &str = "[[order]]\n[[order.group]]\nid = \"samples/uses-tools\"\nversion = \"0.0.1\"\n\n[[order.group]]\nid = \"samples/hello-web\"\nversion = \"0.0.1\"\n\n[[order-extensions]]\n[[order-extensions.group]]\nid = \"samples/build-tools\"\nversion = \"0.0.1\"\n";

#[test]
fn tekton_buildpacks_phases_0_3_extender_step_builds_with_the_extended_build_image() {
    if !can_replay() || !can_run_containers() {
        return;
    }
    let site = Site::start();
    let order = tempfile::NamedTempFile::new().expect("order file");
    fs::write(order.path(), BUILD_ONLY_ORDER).expect("write order");
    let builder = ExtensionBuilder::new(&site, order.path());
    let task = TektonRun::new();
    let app = site.name("fixture/app:latest");
    let run_image_flag = format!("-run-image={}", site.run_image.reference);
    let analyze = [
        "/cnb/lifecycle/analyzer",
        "-log-level=info",
        "-layers=/layers",
        &run_image_flag,
        "-cache-image=",
        "-uid=1000",
        "-gid=1000",
        "-insecure-registry=",
        "-tag=",
        "-skip-layers=false",
        &app,
    ];
    assert_ok("analyze", &task.step(&builder).run(&analyze));
    let detect = [
        "/cnb/lifecycle/detector",
        "-log-level=info",
        "-app=/workspace/source/",
        "-group=/layers/group.toml",
        "-plan=/layers/plan.toml",
        "-layers=/layers",
        "-platform=/platform",
    ];
    assert_ok("detect", &task.step(&builder).run(&detect));
    let build_image_flag = format!("-build-image={}", builder.reference);
    let restore = [
        "/cnb/lifecycle/restorer",
        "-log-level=info",
        &build_image_flag,
        "-group=/layers/group.toml",
        "-layers=",
        "-cache-dir=",
        "-cache-image=",
        "-uid=1000",
        "-gid=1000",
        "-insecure-registry=",
        "-skip-layers=false",
    ];
    let restored = task
        .step(&builder)
        .env("CNB_SKIP_LAYERS", "false")
        .env("CNB_INSECURE_REGISTRIES", "")
        .bind(&task.kaniko, "/kaniko")
        .run(&restore);
    assert_ok("restore", &restored);
    assert_ok("extender", &task.extender_step(&builder));
    let export = [
        "/cnb/lifecycle/exporter",
        "-log-level=info",
        "-app=/workspace/source/",
        "-layers=/layers",
        "-group=/layers/group.toml",
        "-cache-dir=",
        "-cache-image=",
        "-report=/layers/report.toml",
        "-process-type=web",
        "-uid=1000",
        "-gid=1000",
        "-insecure-registry=",
        &app,
    ];
    assert_ok("export", &task.step(&builder).run(&export));
    let report = Report::read(&task.layers.join("report.toml"));
    assert_eq!(report.digest, site.digest(&app), "{}", report.text);
    let shown = cat(
        &app,
        "cnb-replay-tekton-app",
        &["/layers/samples_uses-tools/said/said.txt"],
    );
    assert_eq!(shown.stdout, SAID, "{shown}");
}

fn read_toml(path: &Path) -> toml::Table {
    fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        .parse()
        .expect("TOML")
}
