//! Failed exports: the spec's exit code (62), one line naming the cause, no tag written,
//! the previous image intact and no report.toml.

use std::fs;

use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};

use super::fixture::World;

#[test]
fn an_unknown_process_type_is_62_and_writes_nothing() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").args(["-process-type=nope", &app]));
    assert_eq!(finished.code, Some(62), "{finished}");
    assert!(
        finished
            .stderr
            .contains("tried to set nope to default but it doesn't exist"),
        "{finished}"
    );
    let errors = finished
        .stderr
        .lines()
        .filter(|line| line.starts_with("ERROR: "));
    assert_eq!(errors.count(), 1, "{finished}");
    assert!(!world.exists(&app));
    assert!(!world.layers().join("report.toml").exists());
}

#[test]
fn a_registry_that_vanishes_mid_export_fails_without_tagging_or_touching_the_previous_image() {
    let world = World::start();
    let app = world.name("test/app:latest");
    world.export(&app, &[]);
    let before = world.image(&app).digest();
    fs::remove_file(world.layers().join("report.toml")).expect("rm report");
    fs::write(world.app().join("index.html"), "<h1>changed</h1>\n").expect("change app");

    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    let via_proxy = |name: &str| name.replacen(&world.registry.host(), &proxy.host(), 1);
    world.write_analyzed(None, &via_proxy(&world.run_digest_ref));
    for method in ["PATCH", "PUT", "POST"] {
        proxy.inject(Fault {
            method: method.to_owned(),
            path_contains: "/blobs/uploads/".to_owned(),
            kind: FaultKind::DropAfter(16),
            times: 1000,
        });
    }
    let tag = world.name("test/app:new-tag");
    let finished = Finished::run(
        world
            .exporter("0.15")
            .args([via_proxy(&app), via_proxy(&tag)]),
    );
    assert_eq!(finished.code, Some(62), "{finished}");
    assert!(
        finished
            .stderr
            .contains("ERROR: failed to export: exporting layer "),
        "{finished}"
    );
    assert_eq!(world.image(&app).digest(), before, "previous image intact");
    assert!(!world.exists(&tag), "no tag written");
    assert!(!world.layers().join("report.toml").exists());
}

#[test]
fn daemon_export_goes_to_the_daemon_never_a_registry() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let finished = Finished::run(
        world
            .exporter("0.15")
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(["-daemon", &app]),
    );
    // Go fails to open the app image with a bare failure (1).
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished
            .stderr
            .contains("cannot connect to the Docker daemon at unix:///nonexistent/docker.sock"),
        "{finished}"
    );
    assert!(!world.exists(&app), "nothing pushed to the registry");
}

#[test]
fn a_launch_layer_without_contents_and_no_previous_layer_is_an_error() {
    let world = World::start();
    fs::remove_dir_all(world.layers().join("test_first/launch-layer")).expect("rm layer dir");
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").arg(&app));
    assert_eq!(finished.code, Some(62), "{finished}");
    assert!(
        finished.stderr.contains(
            "cannot reuse 'test/first:launch-layer', previous image has no metadata for layer 'test/first:launch-layer'"
        ),
        "{finished}"
    );
    assert!(!world.exists(&app));
}

#[test]
fn analyzed_metadata_without_a_run_image_is_an_input_error() {
    let world = World::start();
    fs::write(world.layers().join("analyzed.toml"), "").expect("empty analyzed.toml");
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").arg(&app));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished
            .stderr
            .contains("failed to resolve inputs: run image not found in analyzed metadata"),
        "{finished}"
    );
    assert!(!world.exists(&app));
}

/// Exactly one `ERROR:` line.
fn assert_one_error_line(finished: &Finished) {
    let errors = finished
        .stderr
        .lines()
        .filter(|line| line.starts_with("ERROR: "))
        .count();
    assert_eq!(errors, 1, "{finished}");
}

#[test]
fn a_malformed_analyzed_toml_is_an_input_error_before_any_export_work() {
    let world = World::start();
    fs::write(world.layers().join("analyzed.toml"), "[run-image\n").expect("garbage");
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").arg(&app));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished
            .stderr
            .contains("failed to resolve inputs: failed to read analyzed file: "),
        "{finished}"
    );
    assert_one_error_line(&finished);
    assert!(!finished.stdout.contains("Adding layer"), "{finished}");
    assert!(!world.exists(&app));
}

#[test]
fn an_unsupported_buildpack_api_in_group_toml_is_12_before_any_export_work() {
    let world = World::start();
    let group = world.layers().join("group.toml");
    let text = fs::read_to_string(&group).expect("group.toml");
    assert!(text.contains("api = \"0.12\""), "{text}");
    fs::write(&group, text.replacen("api = \"0.12\"", "api = \"0.2\"", 1)).expect("write");
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").arg(&app));
    assert_eq!(finished.code, Some(12), "{finished}");
    assert!(
        finished.stderr.contains("buildpack API version '0.2'"),
        "{finished}"
    );
    assert_one_error_line(&finished);
    assert!(!finished.stdout.contains("Adding layer"), "{finished}");
    assert!(!world.exists(&app));
    assert!(!world.layers().join("report.toml").exists());
}

#[test]
fn a_malformed_project_metadata_toml_is_a_plain_failure_before_any_export_work() {
    let world = World::start();
    fs::write(world.layers().join("project-metadata.toml"), "[source\n").expect("garbage");
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").arg(&app));
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(
        finished
            .stderr
            .contains("failed to read project metadata file: parsing "),
        "{finished}"
    );
    assert_one_error_line(&finished);
    assert!(!finished.stdout.contains("Adding layer"), "{finished}");
    assert!(!world.exists(&app));
}
