//! The exporter phase (platform.md › exporter; spec-matrix.md §4, §13, §14), black-box: the
//! installed `exporter` against a loopback registry, checked through the pushed image (our
//! store and skopeo), report.toml, the cache and the bytes the registry received.

mod cache;
mod cache_deletion;
mod container;
mod cut_uploads;
mod extended;
mod failures;
pub(crate) mod fixture;
mod hostile;
mod labels;
mod layout;
mod lifecycle_sbom;
mod odd_trees;
mod reuse;

use cnb_testkit::Finished;
use fixture::World;
use serde_json::json;

use crate::image_support::inspect;

const HISTORY: [&str; 8] = [
    "Layer: 'cached', Created by buildpack: test/first@1.0.0",
    "Layer: 'launch-layer', Created by buildpack: test/first@1.0.0",
    "Software Bill-of-Materials",
    "Application Slice: 1",
    "Application Slice: 2",
    "Buildpacks Application Launcher",
    "Buildpacks Launcher Config",
    "Buildpacks Process Types",
];

#[test]
fn the_image_config_labels_and_history_are_gos_field_by_field() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let tag = world.name("test/app:v1");
    let finished = Finished::run(world.exporter("0.15").args([&app, &tag]));
    assert_eq!(finished.code, Some(0), "{finished}");
    let run = world.image(&world.run_image);
    let image = world.image(&app);
    let config = &image.config;
    let run_layers = run.manifest.manifest.layers.len();

    // Layers: the run image's, untouched, then ours in Go's order.
    assert_eq!(
        image.manifest.manifest.layers.len(),
        run_layers + HISTORY.len()
    );
    assert_eq!(
        image.manifest.manifest.layers[..run_layers],
        run.manifest.manifest.layers[..]
    );
    assert_eq!(
        config.rootfs.diff_ids[..run_layers],
        run.config.rootfs.diff_ids[..]
    );
    let created_by: Vec<&str> = config.history[run_layers..]
        .iter()
        .map(|entry| entry.created_by.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(created_by, HISTORY);
    assert_eq!(config.history.len(), config.rootfs.diff_ids.len());
    for entry in &config.history {
        assert_eq!(entry.created.as_deref(), Some("1980-01-01T00:00:01Z"));
    }
    assert_eq!(config.created.as_deref(), Some("1980-01-01T00:00:01Z"));

    // Runtime config.
    let layers = world.layers().display().to_string();
    let app_dir = world.app().display().to_string();
    let run_path = run.config.env("PATH").expect("run image PATH").to_owned();
    let runtime = &config.config;
    assert_eq!(
        runtime.entrypoint,
        Some(vec!["/cnb/process/web".to_owned()])
    );
    assert_eq!(runtime.cmd, None);
    assert_eq!(runtime.working_dir.as_deref(), Some(app_dir.as_str()));
    assert_eq!(config.env("CNB_LAYERS_DIR"), Some(layers.as_str()));
    assert_eq!(config.env("CNB_APP_DIR"), Some(app_dir.as_str()));
    assert_eq!(config.env("CNB_PLATFORM_API"), Some("0.15"));
    assert_eq!(config.env("CNB_DEPRECATION_MODE"), Some("quiet"));
    let path = format!("/cnb/process:/cnb/lifecycle:{run_path}");
    assert_eq!(config.env("PATH"), Some(path.as_str()));
    assert_eq!(config.os, run.config.os);
    assert_eq!(config.architecture, run.config.architecture);

    assert_labels(&world, &app, &run, &diff_ids(&image, run_layers));

    // report.toml and the log.
    let digest = image.digest();
    assert_eq!(
        world.report(),
        format!(
            "[image]\n  tags = [\"{app}\", \"{tag}\"]\n  digest = \"{digest}\"\n  manifest-size = {}\n",
            image.manifest.bytes.len()
        )
    );
    assert_eq!(
        world.image(&tag).digest(),
        digest,
        "every tag, one manifest"
    );
    assert!(
        finished.stdout.contains(&format!(
            "*** Images ({digest}):\n      {app}\n      {tag}\n"
        )),
        "{finished}"
    );

    // skopeo reads the same config.
    let skopeo = inspect(
        &format!("docker://{app}"),
        &["--tls-verify=false", "--config"],
    );
    assert_eq!(skopeo["config"]["Entrypoint"], json!(["/cnb/process/web"]));
    assert_eq!(skopeo["config"]["WorkingDir"], json!(app_dir));
    assert_eq!(skopeo["created"], json!("1980-01-01T00:00:01Z"));
    assert_eq!(
        skopeo["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(config.rootfs.diff_ids.len())
    );
    assert_eq!(
        skopeo["history"][run_layers + 7]["created_by"],
        json!("Buildpacks Process Types")
    );
}

#[test]
fn without_processes_or_a_default_the_entrypoint_is_the_launcher() {
    let world = World::start();
    let metadata = world.layers().join("config/metadata.toml");
    let text = std::fs::read_to_string(&metadata).expect("metadata");
    let text = text.replace("buildpack-default-process-type = \"web\"\n", "");
    std::fs::write(&metadata, text).expect("write");
    let app = world.name("test/app:latest");
    let finished = world.export(&app, &[]);
    assert!(
        finished.stdout.contains("no default process type"),
        "{finished}"
    );
    let image = world.image(&app);
    assert_eq!(
        image.config.config.entrypoint,
        Some(vec!["/cnb/lifecycle/launcher".to_owned()])
    );
    let finished = world.export(&app, &["-process-type=worker"]);
    assert!(
        finished
            .stdout
            .contains("Setting default process type 'worker'"),
        "{finished}"
    );
    assert_eq!(
        world.image(&app).config.config.entrypoint,
        Some(vec!["/cnb/process/worker".to_owned()])
    );
}

/// Our layers' diffIDs, in order.
fn diff_ids(image: &cnb_image::Image, run_layers: usize) -> Vec<String> {
    image.config.rootfs.diff_ids[run_layers..]
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The labels of the field-by-field test's image.
fn assert_labels(world: &World, app: &str, run: &cnb_image::Image, diff_ids: &[String]) {
    let image = world.image(app);
    assert_eq!(
        image.label("io.buildpacks.rebasable"),
        Some("true"),
        "inherited"
    );
    assert_eq!(image.label("com.example.label"), Some("from-second"));
    assert_eq!(image.label("io.buildpacks.exec-env"), Some("production"));
    assert_eq!(
        world.label(app, "io.buildpacks.project.metadata"),
        json!({})
    );
    let lifecycle = world.label(app, "io.buildpacks.lifecycle.metadata");
    let sha = |index: usize| json!({"sha": diff_ids[index]});
    assert_eq!(lifecycle["app"], json!([sha(3), sha(4)]));
    assert_eq!(lifecycle["sbom"], sha(2));
    assert_eq!(lifecycle["launcher"], sha(5));
    assert_eq!(lifecycle["config"], sha(6));
    assert_eq!(lifecycle["process-types"], sha(7));
    assert_eq!(
        lifecycle["buildpacks"],
        json!([
            {
                "key": "test/first",
                "version": "1.0.0",
                "layers": {
                    "cached": {"sha": diff_ids[0], "data": null, "build": false, "launch": true, "cache": true},
                    "launch-layer": {"sha": diff_ids[1], "data": {"version": "1.2.3"}, "build": false, "launch": true, "cache": false},
                },
            },
            {
                "key": "second",
                "version": "2.0.0",
                "layers": {},
                "store": {"metadata": {"kept": "across builds"}},
            },
        ])
    );
    let top = run
        .config
        .rootfs
        .diff_ids
        .last()
        .expect("run layers")
        .to_string();
    let run_ref = format!("{}@{}", world.name("test/run"), run.digest());
    assert_eq!(
        lifecycle["runImage"],
        json!({"topLayer": top, "reference": run_ref, "image": world.run_image, "mirrors": [World::mirror()]})
    );
    assert_eq!(
        lifecycle["stack"],
        json!({"runImage": {"image": world.run_image, "mirrors": [World::mirror()]}}),
        "kpack reads stack.runImage"
    );
    let build = world.label(app, "io.buildpacks.build.metadata");
    assert_eq!(
        build["buildpacks"],
        json!([
            {"id": "test/first", "version": "1.0.0", "homepage": "https://example.test/first"},
            {"id": "second", "version": "2.0.0"},
        ])
    );
    assert_eq!(build["buildpack-default-process-type"], "web");
    assert_eq!(
        build["processes"],
        json!([
            {"type": "web", "command": ["/bin/sh"], "args": ["-c", "echo hello from web"], "direct": true, "buildpackID": "test/first"},
            {"type": "worker", "command": ["worker"], "args": null, "direct": false, "buildpackID": "second"},
        ])
    );
    assert!(build["launcher"]["version"].is_string(), "{build}");
}

#[test]
fn before_platform_api_0_12_history_is_empty_and_labels_are_older() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.11").arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    let image = world.image(&app);
    assert_eq!(
        image.config.history.len(),
        image.config.rootfs.diff_ids.len()
    );
    for entry in &image.config.history {
        assert_eq!(entry.created_by, None, "{entry:?}");
        assert_eq!(entry.created.as_deref(), Some("1980-01-01T00:00:01Z"));
    }
    assert_eq!(image.label("io.buildpacks.exec-env"), None);
    let lifecycle = world.label(&app, "io.buildpacks.lifecycle.metadata");
    let run_image = lifecycle["runImage"].as_object().expect("runImage");
    let keys: Vec<&str> = run_image.keys().map(String::as_str).collect();
    assert_eq!(keys, ["topLayer", "reference"]);
    assert_eq!(lifecycle["stack"], json!({"runImage": {}}));
    assert_eq!(image.config.env("CNB_PLATFORM_API"), Some("0.11"));
}
