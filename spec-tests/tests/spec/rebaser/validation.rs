//! What may block a rebase, judged by the app image's own Platform API, and `-force`; which
//! run image the label's mirrors give; a run image the label does not list.

use super::fixture::{App, World};
use super::metadata;

/// Runs the rebaser at lifecycle API `api` with `args` and the app last.
fn rebase(api: &str, args: &[&str], app: &str) -> cnb_testkit::Finished {
    World::run(
        World::rebaser(api)
            .args(args)
            .arg("-report=/dev/null")
            .arg(app),
    )
}

#[test]
fn rebasable_false_blocks_unless_forced() {
    let world = World::start();
    let app = world.app(&App {
        labels: &[("io.buildpacks.rebasable", "false")],
        ..world.on_v1("test/app:latest")
    });
    let before = world.digest(&app);
    let finished = rebase("0.12", &["-run-image", &world.v2], &app);
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stderr.contains(
            "ERROR: failed to rebase: app image is not marked as rebasable; please provide -force to override"
        ),
        "{finished}"
    );
    assert_eq!(world.digest(&app), before, "left untouched");
    let finished = rebase("0.12", &["-force", "-run-image", &world.v2], &app);
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished
            .stderr
            .contains("Warning: app image is not marked as rebasable"),
        "{finished}"
    );
    assert_ne!(world.digest(&app), before);
    let image = world.image(&app);
    assert_eq!(
        image.label("io.buildpacks.rebasable"),
        Some("false"),
        "not synced"
    );
}

#[test]
fn a_target_mismatch_blocks_unless_forced_and_base_labels_follow_the_new_base() {
    let world = World::start();
    let alpine = world.derive_run_image("test/run:alpine", |config| {
        config.set_label("io.buildpacks.base.distro.name", "alpine");
        config.set_label("io.buildpacks.base.id", "io.test.alpine");
    });
    let app = world.app(&App {
        mirrors: &[&alpine],
        ..world.on_v1("test/app:latest")
    });
    let before = world.digest(&app);
    let finished = rebase("0.12", &["-run-image", &alpine], &app);
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished
            .stderr
            .contains("unable to satisfy target os/arch constraints"),
        "{finished}"
    );
    assert!(
        finished.stderr.contains(r#""distro":{"name":"alpine""#),
        "{finished}"
    );
    assert_eq!(world.digest(&app), before);
    let finished = rebase("0.12", &["-force", "-run-image", &alpine], &app);
    assert_eq!(finished.code, Some(0), "{finished}");
    let image = world.image(&app);
    assert_eq!(
        image.label("io.buildpacks.base.distro.name"),
        Some("alpine")
    );
    assert_eq!(image.label("io.buildpacks.base.id"), Some("io.test.alpine"));
}

#[test]
fn apps_before_platform_0_12_check_stack_id_and_mixins_but_not_rebasable() {
    let world = World::start();
    let other_stack = world.derive_run_image("test/run:other-stack", |config| {
        config.set_label("io.buildpacks.stack.id", "io.test.other");
    });
    let with_mixins = world.derive_run_image("test/run:mixins", |config| {
        config.set_label("io.buildpacks.stack.mixins", r#"["curl","build:git"]"#);
    });
    let app = world.app(&App {
        api: Some("0.11"),
        mirrors: &[&other_stack, &with_mixins],
        labels: &[
            ("io.buildpacks.rebasable", "false"),
            ("io.buildpacks.stack.mixins", r#"["run:curl","git","jq"]"#),
        ],
        ..world.on_v1("test/app:latest")
    });
    let finished = rebase("0.12", &["-force", "-run-image", &other_stack], &app);
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stderr.contains(
            "incompatible stack: 'io.test.other' is not compatible with 'io.test.busybox'"
        ),
        "-force does not override stack checks: {finished}"
    );
    let finished = rebase("0.12", &["-run-image", &with_mixins], &app);
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stderr.contains("missing required mixin(s): jq"),
        "{finished}"
    );
    let no_api = world.app(&App {
        api: None,
        labels: &[("io.buildpacks.rebasable", "false")],
        ..world.on_v1("test/app:no-api")
    });
    let finished = rebase("0.12", &["-run-image", &world.v2], &no_api);
    assert_eq!(
        finished.code,
        Some(0),
        "rebasable=false is not read: {finished}"
    );
}

#[test]
fn a_run_image_the_label_does_not_list_needs_force() {
    let world = World::start();
    let elsewhere = world.derive_run_image("other/run:v2", |_| {});
    let app = world.app(&App {
        mirrors: &[],
        ..App::new("test/app:latest", &world.v1)
    });
    let before = world.digest(&app);
    let finished = rebase("0.12", &["-run-image", &elsewhere], &app);
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stderr.contains(&format!(
            "new base image '{elsewhere}' not found in existing run image metadata"
        )),
        "{finished}"
    );
    assert_eq!(world.digest(&app), before);
    let finished = rebase("0.12", &["-force", "-run-image", &elsewhere], &app);
    assert_eq!(finished.code, Some(0), "{finished}");
    let label = metadata(&world, &app);
    assert_eq!(label["runImage"]["image"], elsewhere);
    assert_eq!(label["runImage"]["mirrors"], serde_json::json!([]));
    assert_eq!(label["stack"]["runImage"]["image"], elsewhere);
    let finished = rebase("0.11", &["-run-image", &world.v1], &app);
    assert_eq!(
        finished.code,
        Some(0),
        "names are not checked before 0.12: {finished}"
    );
}

#[test]
fn the_mirror_on_the_apps_registry_is_chosen_else_the_first_readable() {
    let world = World::start();
    let proxy = cnb_testkit::RegistryProxy::start(&world.registry.host()).expect("proxy");
    let via_proxy = format!("{}/test/run:v2", proxy.host());
    let app = world.app(&App {
        label_image: Some(&via_proxy),
        mirrors: &[&world.v2],
        ..App::new("test/app:latest", &world.v1)
    });
    let finished = rebase("0.12", &[], &app);
    assert_eq!(finished.code, Some(0), "{finished}");
    let label = metadata(&world, &app);
    let reference = label["runImage"]["reference"].as_str().unwrap_or_default();
    assert!(
        reference.starts_with(&world.name("test/run@")),
        "{reference}"
    );
    assert!(
        proxy.requests().is_empty(),
        "the other registry is not asked"
    );

    let missing = world.name("test/missing:v2");
    let app = world.app(&App {
        label_image: Some(&missing),
        mirrors: &[&via_proxy],
        ..App::new("test/app:other", &world.v1)
    });
    let finished = rebase("0.12", &[], &app);
    assert_eq!(finished.code, Some(0), "{finished}");
    let label = metadata(&world, &app);
    let reference = label["runImage"]["reference"].as_str().unwrap_or_default();
    assert!(
        reference.starts_with(&format!("{}/test/run@", proxy.host())),
        "{reference}"
    );

    let app = world.app(&App {
        label_image: Some(&missing),
        mirrors: &[],
        ..App::new("test/app:none", &world.v1)
    });
    let finished = rebase("0.12", &[], &app);
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished
            .stderr
            .contains("failed to find accessible run image"),
        "{finished}"
    );
}
