//! The rebaser phase (platform.md › rebaser; spec-matrix §8) against a real loopback
//! registry: the layer swap and label updates as skopeo sees them, the result still running
//! under runc, validation by the app image's own Platform API, mirror choice, `-force`, the
//! exit codes, OCI layout sources, zero layer bytes uploaded, and fleet mode.

mod bench;
mod container;
pub(crate) mod fixture;
mod fleet;
mod hostile;
pub(crate) mod layout;
mod validation;
mod wire;

use cnb_image::Digest;
use serde_json::Value;

use crate::image_support::inspect;
use fixture::{App, World};

/// The lifecycle metadata label of `name`, as JSON.
fn metadata(world: &World, name: &str) -> Value {
    let image = world.image(name);
    let text = image
        .label("io.buildpacks.lifecycle.metadata")
        .unwrap_or("{}");
    serde_json::from_str(text).expect("lifecycle metadata label is JSON")
}

#[test]
fn rebase_puts_v2_under_the_app_and_updates_layers_diff_ids_labels_and_report() {
    let world = World::start();
    let app = world.app(&world.on_v1("test/app:latest"));
    let extra = world.name("test/app:extra");
    let before = world.image(&app);
    let before_label = metadata(&world, &app);
    let report = tempfile::tempdir().expect("temp dir");
    let report_path = report.path().join("report.toml");
    let finished = World::run(
        World::rebaser("0.13")
            .arg("-run-image")
            .arg(&world.v2)
            .arg("-report")
            .arg(&report_path)
            .args([&app, &extra]),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(finished.stdout.contains(&app), "{finished}");

    let after = world.image(&app);
    let v2 = world.image(&world.v2);
    let app_layer = before.manifest.manifest.layers.last().expect("app layer");
    let mut expected_layers: Vec<Digest> = v2
        .manifest
        .manifest
        .layers
        .iter()
        .map(|l| l.digest)
        .collect();
    expected_layers.push(app_layer.digest);
    let layers: Vec<Digest> = after
        .manifest
        .manifest
        .layers
        .iter()
        .map(|l| l.digest)
        .collect();
    assert_eq!(layers, expected_layers);
    let mut expected_ids = v2.config.rootfs.diff_ids.clone();
    expected_ids.push(*before.config.rootfs.diff_ids.last().expect("app diffID"));
    assert_eq!(after.config.rootfs.diff_ids, expected_ids);
    assert_eq!(
        world.digest(&extra),
        after.digest(),
        "every tag gets the same manifest"
    );

    let label = metadata(&world, &app);
    let top = v2
        .config
        .rootfs
        .diff_ids
        .last()
        .expect("v2 top")
        .to_string();
    assert_eq!(label["runImage"]["topLayer"], top);
    let repository = world.name("test/run");
    assert_eq!(
        label["runImage"]["reference"],
        format!("{repository}@{}", v2.digest())
    );
    assert_eq!(label["runImage"]["image"], world.v2, "kept: v2 is listed");
    assert_eq!(
        label["app"], before_label["app"],
        "the rest of the label is kept"
    );
    assert_eq!(after.config.env("CNB_PLATFORM_API"), Some("0.12"));

    let tls = "--tls-verify=false";
    let seen = inspect(&format!("docker://{app}"), &[tls]);
    assert_eq!(seen["Digest"], after.digest().to_string());
    let seen_layers: Vec<String> = seen["Layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l.as_str().unwrap_or_default().to_owned())
        .collect();
    let expected: Vec<String> = expected_layers.iter().map(ToString::to_string).collect();
    assert_eq!(seen_layers, expected);
    let config = inspect(&format!("docker://{app}"), &[tls, "--config"]);
    let seen_ids: Vec<String> = config["rootfs"]["diff_ids"]
        .as_array()
        .expect("diff_ids")
        .iter()
        .map(|id| id.as_str().unwrap_or_default().to_owned())
        .collect();
    let expected: Vec<String> = expected_ids.iter().map(ToString::to_string).collect();
    assert_eq!(seen_ids, expected);

    let text = std::fs::read_to_string(&report_path).expect("report.toml");
    let report: toml::Table = toml::from_str(&text).expect("report parses");
    assert_eq!(
        report["image"]["digest"].as_str(),
        Some(after.digest().to_string().as_str())
    );
    assert_eq!(
        report["image"]["tags"].as_array().map(Vec::len),
        Some(2),
        "{text}"
    );
    assert!(report.get("build").is_none(), "{text}");
}

#[test]
fn without_run_image_the_label_names_it() {
    let world = World::start();
    let app = world.app(&App {
        label_image: Some(&world.v2),
        ..App::new("test/app:latest", &world.v1)
    });
    let finished = World::run(World::rebaser("0.12").arg("-report=/dev/null").arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    let v2 = world.image(&world.v2);
    assert_eq!(
        world.image(&app).config.rootfs.diff_ids[..v2.config.rootfs.diff_ids.len()],
        v2.config.rootfs.diff_ids[..]
    );
}

#[test]
fn a_previous_image_is_the_source_and_the_tags_the_destination() {
    let world = World::start();
    let old = world.app(&world.on_v1("test/app:old"));
    let new = world.name("test/app:new");
    let finished = World::run(
        World::rebaser("0.12")
            .args([
                "-run-image",
                &world.v2,
                "-previous-image",
                &old,
                "-report=/dev/null",
            ])
            .arg(&new),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_ne!(world.digest(&new), world.digest(&old));
    assert_eq!(
        world.image(&new).config.rootfs.diff_ids[0],
        world.image(&world.v2).config.rootfs.diff_ids[0]
    );
}

#[test]
fn no_run_image_anywhere_is_exit_72() {
    let world = World::start();
    let app = world.app(&App {
        metadata: false,
        ..App::new("test/app:latest", &world.v1)
    });
    let finished = World::run(World::rebaser("0.12").arg(&app));
    // Go: 72, "failed to set app image: …" (exit-codes.md §7.1).
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stderr.contains("failed to set app image"),
        "{finished}"
    );
    assert!(
        finished
            .stderr
            .contains("-run-image is required when there is no run image metadata available"),
        "{finished}"
    );
}

#[test]
fn a_missing_app_image_is_exit_72_and_a_missing_run_image_exit_1() {
    let world = World::start();
    let missing = world.name("test/none:latest");
    let finished = World::run(World::rebaser("0.12").args(["-run-image", &world.v2, &missing]));
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stderr.contains("failed to set app image"),
        "{finished}"
    );
    let app = world.app(&world.on_v1("test/app:latest"));
    let finished = World::run(World::rebaser("0.12").args(["-run-image", &missing, &app]));
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished.stderr.contains("failed to access run image"),
        "{finished}"
    );
}

#[test]
fn tags_on_two_registries_are_exit_3() {
    let finished = World::run(World::rebaser("0.12").args([
        "-run-image",
        "127.0.0.1:1/run",
        "127.0.0.1:1/app",
        "127.0.0.1:2/app",
    ]));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished
            .stderr
            .contains("failed to resolve inputs: writing to multiple registries is unsupported"),
        "{finished}"
    );
}

#[test]
fn daemon_mode_rebases_in_the_daemon_never_the_registry() {
    let world = World::start();
    let app = world.app(&world.on_v1("test/app:latest"));
    let before = world.digest(&app);
    let finished = World::run(
        World::rebaser("0.12")
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(["-daemon", "-run-image", &world.v2, &app]),
    );
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished
            .stderr
            .contains("cannot connect to the Docker daemon at unix:///nonexistent/docker.sock"),
        "{finished}"
    );
    assert_eq!(finished.stderr.lines().count(), 1, "{finished}");
    assert_eq!(world.digest(&app), before);
}

#[test]
fn a_report_path_that_is_no_regular_file_is_written_to_not_replaced() {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

    let world = World::start();
    let app = world.app(&world.on_v1("test/app:latest"));
    let dir = tempfile::tempdir().expect("temp dir");
    // A FIFO stands in for /dev/null: replacing it (rename over it) would leave a regular
    // file, and the reader below would never see the report.
    let fifo = dir.path().join("report");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .and_then(|mut file| file.read_to_string(&mut text))
                .expect("read the FIFO");
            text
        })
    };
    let finished = World::run(
        World::rebaser("0.13")
            .args(["-run-image", &world.v2, "-report"])
            .arg(&fifo)
            .arg(&app),
    );
    if !reader.is_finished() {
        // Whatever the rebaser did, the reader gets an end of file instead of waiting on.
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(nix::libc::O_NONBLOCK)
                .open(&fifo),
        );
    }
    let report = reader.join().expect("reader");
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        report.contains("digest"),
        "report through the FIFO: {report}"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("still there")
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
}
