//! The exported image runs (e2e-infra.md §4; clients.md §5 "Replay L"): built by our exporter
//! with the installed static launcher, pulled with skopeo into an OCI layout, unpacked by
//! umoci once and started by runc as often as the cases need, with the image's env, as its
//! user or an arbitrary uid. The run image is the testkit's busybox one; the launcher's bash
//! mode gets this machine's GNU bash copied into the unpacked rootfs. Needs root and runc;
//! skipped otherwise.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cnb_testkit::Finished;

use super::fixture::World;
use crate::container_support::{PulledImage, Run, can_run_containers, install_host_bash};

/// `metadata.toml` for the container cases: `web` (Buildpack API 0.12: user args replace its
/// default args), `legacy` (Buildpack API 0.8: user args are appended) and `fails` (exits 9).
const METADATA: &str = r#"buildpack-default-process-type = "web"

[[buildpacks]]
  id = "test/first"
  version = "1.0.0"
  api = "0.12"

[[buildpacks]]
  id = "second"
  version = "2.0.0"
  api = "0.8"

[[processes]]
  type = "web"
  command = ["/bin/echo"]
  args = ["hello from web"]
  direct = true
  buildpack-id = "test/first"

[[processes]]
  type = "legacy"
  command = ["/bin/echo"]
  args = ["legacy default"]
  direct = true
  buildpack-id = "second"

[[processes]]
  type = "fails"
  command = ["/bin/sh", "-c", "echo failing on purpose; exit 9"]
  direct = true
  buildpack-id = "test/first"
"#;

const GROUP: &str = "[[group]]\n  id = \"test/first\"\n  version = \"1.0.0\"\n  api = \"0.12\"\n\n[[group]]\n  id = \"second\"\n  version = \"2.0.0\"\n  api = \"0.8\"\n";

/// The user the cases run as besides the image's own: a uid with no passwd entry, as on
/// `OpenShift`.
const ARBITRARY_UID: u32 = 4242;

#[test]
fn the_exported_image_runs_its_processes_through_the_launcher() {
    if !can_run_containers() {
        return;
    }
    let world = World::start();
    let layer = write_launch_layer(&world);
    let app = world.name("test/app:latest");
    world.export(&app, &[]);

    let image = PulledImage::pull(&app, "cnb-exporter");
    install_host_bash(&image.rootfs());
    let as_image_user = image.run(&Run::default());
    assert_eq!(
        (as_image_user.code, as_image_user.stdout.as_str()),
        (Some(0), "hello from web\n"),
        "the entrypoint /cnb/process/web: {as_image_user}"
    );
    let run = |args: &[&str]| {
        image.run(&Run {
            args: Some(args),
            env: &["FROM_RUNTIME=kept"],
            user: Some(ARBITRARY_UID),
            ..Run::default()
        })
    };
    let stdout = |finished: &Finished| {
        assert_eq!(finished.code, Some(0), "{finished}");
        finished.stdout.clone()
    };

    assert_eq!(stdout(&run(&["/cnb/process/web"])), "hello from web\n");
    assert_eq!(
        stdout(&run(&["/cnb/process/web", "extra-arg"])),
        "extra-arg\n",
        "Buildpack API 0.12: user args replace the default args"
    );
    assert_eq!(
        stdout(&run(&["/cnb/process/legacy", "extra-arg"])),
        "legacy default extra-arg\n",
        "Buildpack API 0.8: user args are appended"
    );
    assert_eq!(
        stdout(&run(&["/cnb/lifecycle/launcher", "--", "id", "-u"])),
        format!("{ARBITRARY_UID}\n")
    );
    assert_eq!(
        stdout(&run(&["/cnb/lifecycle/launcher", "--", "layer-tool"])),
        "layer tool on PATH\n",
        "a direct command is looked up on the launch PATH"
    );

    // What the launcher starts from: the image's env, as the exporter set it.
    let image_env = stdout(&run(&["/bin/sh", "-c", "env"]));
    for set in [
        "PATH=/cnb/process:/cnb/lifecycle:",
        "CNB_APP_DIR=",
        "CNB_LAYERS_DIR=",
        "CNB_PLATFORM_API=",
    ] {
        assert!(image_env.contains(set), "{set} in {image_env}");
    }
    let env = stdout(&run(&["/cnb/lifecycle/launcher", "--", "env"]));
    assert_launch_env(&env, &layer);
    // platform.md › Launch Environment: CNB_APP_DIR is not in the process's env (as in Go).
    assert_eq!(
        stdout(&run(&["/cnb/lifecycle/launcher", "echo $CNB_APP_DIR"])),
        "\n"
    );
    assert_eq!(
        stdout(&run(&["launcher", "echo \"$PWD $GREETING\""])),
        format!("{} hi from a layer\n", world.app().display()),
        "bash mode, launcher found on the image PATH, in <app>"
    );

    for (args, code) in [
        (
            &["/cnb/lifecycle/launcher", "--", "sh", "-c", "exit 7"][..],
            7,
        ),
        (&["/cnb/lifecycle/launcher", "exit 5"][..], 5),
        (&["/cnb/process/fails"][..], 9),
        (&["/cnb/lifecycle/launcher"][..], 82),
    ] {
        let finished = run(args);
        assert_eq!(finished.code, Some(code), "{args:?}: {finished}");
    }
}

/// Replaces the fixture's processes with the container cases' ones and gives its launch layer
/// a `bin/` with an executable, a launch variable and one for `web` only; returns the layer.
fn write_launch_layer(world: &World) -> PathBuf {
    let layers = world.layers();
    fs::write(layers.join("config/metadata.toml"), METADATA).expect("write metadata.toml");
    fs::write(layers.join("group.toml"), GROUP).expect("write group.toml");
    let layer = layers.join("test_first/launch-layer");
    for dir in ["env.launch/web", "bin"] {
        fs::create_dir_all(layer.join(dir)).expect("mkdir");
    }
    fs::write(layer.join("env.launch/GREETING"), "hi from a layer").expect("write env");
    fs::write(layer.join("env.launch/web/WEB_ONLY"), "web").expect("write env");
    let tool = layer.join("bin/layer-tool");
    fs::write(&tool, "#!/bin/sh\necho layer tool on PATH\n").expect("write tool");
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).expect("chmod");
    layer
}

/// `launcher -- env` of a user command: the layer's launch variable and `bin/` first on a
/// `PATH` without `/cnb/process` and `/cnb/lifecycle`, the image's and the runtime's variables
/// kept, the lifecycle's own `CNB_*` variables and `web`'s variable gone (platform.md › Launch
/// Environment).
fn assert_launch_env(env: &str, layer: &Path) {
    let env: Vec<&str> = env.lines().collect();
    let path = format!(
        "PATH={}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        layer.join("bin").display()
    );
    for wanted in [
        "GREETING=hi from a layer",
        path.as_str(),
        "CNB_USER_ID=1000",
        "FROM_RUNTIME=kept",
    ] {
        assert!(env.contains(&wanted), "{wanted} in {env:#?}");
    }
    for excluded in [
        "CNB_APP_DIR=",
        "CNB_LAYERS_DIR=",
        "CNB_PLATFORM_API=",
        "CNB_DEPRECATION_MODE=",
        "WEB_ONLY=",
    ] {
        assert!(
            !env.iter().any(|line| line.starts_with(excluded)),
            "{excluded} in {env:#?}"
        );
    }
}
