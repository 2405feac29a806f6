//! pack `build --publish` at Platform API 0.15 (clients.md §1.3, §1.5): the trusted-builder
//! creator as root dropping to 1000:1000, and the untrusted five phases with the analyzer,
//! restorer and exporter as root in a lifecycle image that has no `/cnb/buildpacks` and no
//! `/cnb/run.toml`.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::support::{
    Built, Container, GID, Report, Site, UID, Volumes, assert_app_image, assert_ok, builder_root,
    can_replay, json_label, lifecycle_image_root,
};

const API: &str = "0.15";

/// The env pack gives every phase container of a published build.
pub(super) fn pack_env(container: Container) -> Container {
    container
        .env("CNB_PLATFORM_API", API)
        .env("CNB_EXEC_ENV", "production")
}

/// What pack adds on containers that run from the lifecycle image or touch the registry.
pub(super) fn registry_env(container: Container) -> Container {
    pack_env(container)
        .env("CNB_REGISTRY_AUTH", "{}")
        .env("CNB_USER_ID", &UID.to_string())
        .env("CNB_GROUP_ID", &GID.to_string())
}

/// The report and image pack reads back after a publish: both tags in report.toml, the digest
/// the registry serves for them, and the app image contract.
fn assert_published(site: &Site, layers: &Path, app: &str, tag: &str) {
    let report = Report::read(&layers.join("report.toml"));
    assert_eq!(report.tags, [app, tag], "{}", report.text);
    assert_eq!(report.digest, site.digest(app), "{}", report.text);
    assert_eq!(report.digest, site.digest(tag), "{}", report.text);
    let config = site.config(app);
    assert_app_image(
        &config,
        &Built {
            api: API,
            layers: "/layers",
            app: "/workspace",
            run_image: &site.run_image.reference,
        },
    );
    assert_eq!(
        config["config"]["Labels"]["io.buildpacks.exec-env"], "production",
        "P0.15 records CNB_EXEC_ENV"
    );
}

pub(super) fn owner(path: &Path) -> (u32, u32) {
    let meta = fs::metadata(path).unwrap_or_else(|err| panic!("stat {}: {err}", path.display()));
    (meta.uid(), meta.gid())
}

/// analyzed.toml as pack reads it: the run image by name and by digest.
fn assert_analyzed(layers: &Path, site: &Site) {
    let run = &site.run_image.reference;
    let analyzed: toml::Table = fs::read_to_string(layers.join("analyzed.toml"))
        .expect("analyzed.toml")
        .parse()
        .expect("analyzed.toml parses");
    let run_image = analyzed["run-image"].as_table().expect("[run-image]");
    assert_eq!(
        run_image["image"].as_str(),
        Some(run.as_str()),
        "{analyzed:#?}"
    );
    assert!(
        run_image["reference"]
            .as_str()
            .is_some_and(|reference| reference.ends_with(&site.run_image.digest)),
        "{analyzed:#?}"
    );
}

/// group.toml as pack prints it: the three sample buildpacks in order, with their API.
pub(super) fn assert_group(layers: &Path) {
    let group: toml::Table = fs::read_to_string(layers.join("group.toml"))
        .expect("group.toml")
        .parse()
        .expect("group.toml parses");
    let ids: Vec<(&str, &str, &str)> = group["group"]
        .as_array()
        .expect("[[group]]")
        .iter()
        .map(|entry| {
            (
                entry["id"].as_str().expect("id"),
                entry["version"].as_str().expect("version"),
                entry["api"].as_str().expect("api"),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("samples/deps-cache", "0.0.1", "0.10"),
            ("samples/greeting", "0.0.1", "0.10"),
            ("samples/hello-web", "0.0.1", "0.10"),
        ]
    );
}

#[test]
fn trusted_builder_creator_as_root_drops_to_the_build_user_and_publishes() {
    if !can_replay() {
        return;
    }
    let site = Site::start();
    let builder = builder_root(&site.run_image.reference);
    let volumes = Volumes::new();
    let layers = volumes.dir("layers", (UID, GID));
    fs::write(layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
    let workspace = volumes.app("workspace", (UID, GID));
    let cache = volumes.dir("cache", (0, 0));
    let platform = volumes.dir("platform/env", (0, 0));
    let app = site.name("fixture/app:latest");
    let tag = site.name("fixture/app:v2");

    let finished = registry_env(Container::new((0, 0)))
        .bind_ro(&builder.path().join("cnb"), "/cnb")
        .bind_ro(platform.parent().expect("platform"), "/platform")
        .bind(&layers, "/layers")
        .bind(&workspace, "/workspace")
        .bind(&cache, "/cache")
        .cwd("/layers")
        .run(&[
            "/cnb/lifecycle/creator",
            "-app",
            "/workspace",
            "-cache-dir",
            "/cache",
            "-run-image",
            &site.run_image.reference,
            "-tag",
            &tag,
            &app,
        ]);
    assert_ok("creator", &finished);
    assert_published(&site, &layers, &app, &tag);
    assert_eq!(
        owner(&layers.join("samples_hello-web/web/bin/serve")),
        (UID, GID),
        "the buildpacks ran as the build user"
    );
    assert_eq!(
        owner(&cache),
        (UID, GID),
        "the root-owned cache was handed over"
    );
    assert!(
        fs::read_dir(&cache).expect("cache").next().is_some(),
        "the deps cache layer was stored in /cache"
    );
}

#[test]
fn untrusted_builder_five_phases_with_a_lifecycle_image_for_the_root_phases() {
    if !can_replay() {
        return;
    }
    let site = Site::start();
    let builder = builder_root(&site.run_image.reference);
    let cnb = builder.path().join("cnb");
    let volumes = Volumes::new();
    let layers = volumes.dir("layers", (0, 0));
    let workspace = volumes.app("workspace", (UID, GID));
    let cache = volumes.dir("cache", (0, 0));
    let platform = volumes.dir("platform/env", (0, 0));
    let platform = platform.parent().expect("platform");
    let run = &site.run_image.reference;
    let app = site.name("fixture/app:latest");
    let tag = site.name("fixture/app:v2");
    // The lifecycle image `make package` writes (its CA bundle, not the host's); WORKDIR /layers.
    let image = lifecycle_image_root();
    let lifecycle_image = || {
        registry_env(Container::new((0, 0)))
            .bind_ro(&image.path().join("cnb/lifecycle"), "/cnb/lifecycle")
            .bind_ro(&image.path().join("etc/ssl"), "/etc/ssl")
            .bind(&layers, "/layers")
            .bind(&workspace, "/workspace")
            .bind(&cache, "/cache")
            .cwd("/layers")
    };
    let ephemeral_builder = || {
        pack_env(Container::new((UID, GID)))
            .bind_ro(&cnb, "/cnb")
            .bind_ro(platform, "/platform")
            .bind(&layers, "/layers")
            .bind(&workspace, "/workspace")
            .cwd("/layers")
    };
    assert_ok(
        "the lifecycle image has no buildpacks and no run.toml",
        &lifecycle_image().run(&[
            "/bin/sh",
            "-c",
            "test -x /cnb/lifecycle/exporter && test ! -e /cnb/buildpacks && test ! -e /cnb/run.toml",
        ]),
    );

    fs::write(
        layers.join("run.toml"),
        format!("[[images]]\n  image = \"{run}\"\n"),
    )
    .expect("run.toml");
    let analyzed = lifecycle_image().run(&[
        "/cnb/lifecycle/analyzer",
        "-run",
        "/layers/run.toml",
        "-run-image",
        run,
        "-tag",
        &tag,
        &app,
    ]);
    assert_ok("analyzer", &analyzed);
    assert_eq!(
        owner(&layers),
        (UID, GID),
        "the analyzer handed /layers over"
    );
    assert_analyzed(&layers, &site);

    assert_ok(
        "detector",
        &ephemeral_builder().run(&["/cnb/lifecycle/detector", "-app", "/workspace"]),
    );
    assert_group(&layers);

    assert_ok(
        "restorer",
        &lifecycle_image().run(&["/cnb/lifecycle/restorer", "-cache-dir", "/cache"]),
    );
    assert_ok(
        "builder",
        &ephemeral_builder().run(&["/cnb/lifecycle/builder", "-app", "/workspace"]),
    );

    fs::write(
        layers.join("stack.toml"),
        format!("[run-image]\n  image = \"{run}\"\n"),
    )
    .expect("stack.toml");
    fs::write(layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
    let exported = lifecycle_image().run(&[
        "/cnb/lifecycle/exporter",
        "-app",
        "/workspace",
        "-cache-dir",
        "/cache",
        "-run",
        "/layers/run.toml",
        &app,
        &tag,
    ]);
    assert_ok("exporter", &exported);
    assert_published(&site, &layers, &app, &tag);
    let lifecycle = json_label(&site.config(&app), "io.buildpacks.lifecycle.metadata");
    assert_eq!(
        lifecycle["buildpacks"][0]["layers"]["deps"]["cache"], true,
        "{lifecycle:#}"
    );
}
