//! The analyzer phase (platform.md › analyzer; spec-matrix.md §2.1, §3, §9, §12), black-box:
//! the installed `analyzer` against loopback registries and OCI layout directories, checked
//! through its exit code, its output and `analyzed.toml`.

mod access;
pub(crate) mod fixtures;
mod hostile;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use cnb_testkit::TarLayer;
use cnb_testkit::{RegistryFixture, RunImage, is_root};
use fixtures::{Build, layout_store, push_app_image, push_run_image, run, store};

const API: &str = "0.15";

fn table<'a>(value: &'a toml::Table, key: &str) -> &'a toml::Table {
    value
        .get(key)
        .and_then(toml::Value::as_table)
        .unwrap_or_else(|| panic!("no [{key}] in {value:#?}"))
}

fn text<'a>(value: &'a toml::Table, key: &str) -> &'a str {
    value
        .get(key)
        .and_then(toml::Value::as_str)
        .unwrap_or_else(|| panic!("no string {key} in {value:#?}"))
}

#[test]
fn without_a_previous_image_it_records_the_run_image_digest_and_target() {
    let registry = RegistryFixture::start().expect("registry");
    let run_image = RunImage::default()
        .push(&registry, "test/run:busybox")
        .expect("run image");
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .arg("-run-image")
        .arg(&run_image.reference)
        .arg(registry.reference("test/app")));
    assert_eq!(finished.code, Some(0), "{finished}");

    let analyzed = build.analyzed();
    assert_eq!(text(table(&analyzed, "image"), "reference"), "");
    let run = table(&analyzed, "run-image");
    assert_eq!(text(run, "reference"), run_image.digest_reference());
    assert_eq!(text(run, "image"), run_image.reference);
    let target = table(run, "target");
    assert_eq!(text(target, "os"), "linux");
    assert_eq!(text(target, "arch"), "amd64");
    assert_eq!(text(target, "id"), "io.test.busybox");
    let distro = table(target, "distro");
    assert_eq!(text(distro, "name"), "busybox");
    assert_eq!(text(distro, "version"), "1.35.0");
}

#[test]
fn every_platform_api_records_the_run_image_and_from_0_12_its_name_and_target() {
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    let digest_ref = push_run_image(&store, &run_ref);
    for minor in 7..=15 {
        let api = format!("0.{minor}");
        let build = Build::new();
        let finished = run(build
            .command("analyzer", &api)
            .arg("-run-image")
            .arg(&run_ref)
            .arg(registry.reference("test/app")));
        assert_eq!(finished.code, Some(0), "P{api}: {finished}");
        let run_image = table(&build.analyzed(), "run-image").clone();
        assert_eq!(text(&run_image, "reference"), digest_ref, "P{api}");
        assert_eq!(run_image.contains_key("target"), minor >= 12, "P{api}");
        assert_eq!(run_image.contains_key("image"), minor >= 12, "P{api}");
    }
}

#[test]
fn a_previous_image_gives_its_metadata_and_its_sbom_layer() {
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    push_run_image(&store, &run_ref);
    let build = Build::new();
    let sbom_file = build
        .layers()
        .join("sbom/launch/some_bp/some-layer/sbom.cdx.json");
    let sbom_layer = TarLayer::new().file(&sbom_file, "{\"bomFormat\":\"CycloneDX\"}");
    let sbom_diff_id = sbom_layer.diff_id();
    let label = format!(
        r#"{{"sbom":{{"sha":"{sbom_diff_id}"}},"buildpacks":[{{"key":"some/bp","version":"1.0","layers":{{"some-layer":{{"sha":"sha256:abc","data":{{"k":"v"}},"launch":true}}}},"store":{{"metadata":{{"kept":"yes"}}}}}}],"runImage":{{"topLayer":"sha256:top","reference":"r"}}}}"#
    );
    let app = registry.reference("test/app");
    let app_digest_ref = push_app_image(&store, &app, &label, &[sbom_layer]);

    let finished = run(build
        .command("analyzer", API)
        .arg("-run-image")
        .arg(&run_ref)
        .arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    let analyzed = build.analyzed();
    assert_eq!(text(table(&analyzed, "image"), "reference"), app_digest_ref);
    let metadata = table(&analyzed, "metadata");
    let buildpack = metadata["buildpacks"][0].as_table().expect("buildpack");
    assert_eq!(text(buildpack, "key"), "some/bp");
    let layer = table(table(buildpack, "layers"), "some-layer");
    assert_eq!(layer["launch"].as_bool(), Some(true));
    assert_eq!(text(table(layer, "metadata"), "k"), "v");
    assert_eq!(
        text(table(table(buildpack, "store"), "metadata"), "kept"),
        "yes"
    );
    assert!(sbom_file.is_file(), "SBOM layer not restored\n{finished}");
    assert!(
        finished
            .stdout
            .contains("Restoring data for SBOM from previous image")
    );

    let skipping = Build::new();
    let finished = run(skipping
        .command("analyzer", API)
        .arg("-skip-layers")
        .arg("-run-image")
        .arg(&run_ref)
        .arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(!skipping.layers().join("sbom").exists());
}

#[test]
fn an_invalid_metadata_label_is_ignored() {
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    push_run_image(&store, &run_ref);
    let app = registry.reference("test/app");
    push_app_image(&store, &app, "{not json", &[]);
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .arg("-run-image")
        .arg(&run_ref)
        .arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    let analyzed = build.analyzed();
    assert_eq!(text(table(&analyzed, "image"), "reference"), "");
    assert!(finished.stderr.contains("Warning: "), "{finished}");
}

#[test]
fn run_toml_mirror_on_the_app_registry_is_chosen_when_readable() {
    let first = RegistryFixture::start().expect("registry");
    let second = RegistryFixture::start().expect("registry");
    let store = store();
    let on_first = first.reference("test/run");
    let on_second = second.reference("test/run");
    push_run_image(&store, &on_first);
    let second_digest_ref = push_run_image(&store, &on_second);
    let build = Build::new();
    let run_toml = build.write(
        "run.toml",
        &format!("[[images]]\nimage = \"{on_first}\"\nmirrors = [\"{on_second}\"]\n"),
    );
    let finished = run(build
        .command("analyzer", API)
        .arg("-run")
        .arg(&run_toml)
        .arg(second.reference("test/app")));
    assert_eq!(finished.code, Some(0), "{finished}");
    let run_image = build.analyzed()["run-image"].clone();
    assert_eq!(run_image["image"].as_str(), Some(on_second.as_str()));
    assert_eq!(
        run_image["reference"].as_str(),
        Some(second_digest_ref.as_str())
    );

    // A mirror on the app's registry that cannot be read is passed over.
    let missing = second.reference("test/missing");
    let fallback = Build::new();
    let run_toml = fallback.write(
        "run.toml",
        &format!("[[images]]\nimage = \"{on_first}\"\nmirrors = [\"{missing}\"]\n"),
    );
    let finished = run(fallback
        .command("analyzer", API)
        .arg("-run")
        .arg(&run_toml)
        .arg(second.reference("test/app")));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(
        fallback.analyzed()["run-image"]["image"].as_str(),
        Some(on_first.as_str())
    );
}

#[test]
fn stack_toml_gives_the_run_image_before_platform_0_12() {
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    let digest_ref = push_run_image(&store, &run_ref);
    let build = Build::new();
    let stack = build.write(
        "stack.toml",
        &format!("[run-image]\nimage = \"{run_ref}\"\n"),
    );
    let finished = run(build
        .command("analyzer", "0.9")
        .arg("-stack")
        .arg(&stack)
        .arg(registry.reference("test/app")));
    assert_eq!(finished.code, Some(0), "{finished}");
    let run_image = table(&build.analyzed(), "run-image").clone();
    assert_eq!(text(&run_image, "reference"), digest_ref);
    assert!(run_image.get("image").is_none() && run_image.get("target").is_none());
}

#[test]
fn without_any_run_image_it_fails_with_3() {
    let build = Build::new();
    let finished = run(build
        .command("analyzer", API)
        .arg("-run")
        .arg(build.path("missing-run.toml"))
        .arg("127.0.0.1:1/test/app"));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished.stderr.contains("-run-image is required"),
        "{finished}"
    );
}

#[test]
fn layout_mode_reads_the_images_from_the_layout_directory() {
    let build = Build::new();
    let root = build.path("layout");
    let store = layout_store(&root);
    push_run_image(&store, "example.com/test/run:v1");
    let label = r#"{"buildpacks":[{"key":"bp","version":"1","layers":{}}]}"#;
    push_app_image(&store, "example.com/test/app:v2", label, &[]);
    let finished = run(build
        .command("analyzer", API)
        .env("CNB_EXPERIMENTAL_MODE", "warn")
        .arg("-layout")
        .arg("-layout-dir")
        .arg(&root)
        .arg("-run-image")
        .arg("example.com/test/run:v1")
        .arg("example.com/test/app:v2"));
    assert_eq!(finished.code, Some(0), "{finished}");
    let analyzed = build.analyzed();
    let previous = text(table(&analyzed, "image"), "reference").to_owned();
    let prefix = format!("{}/example.com/test/app/v2@sha256:", root.display());
    assert!(previous.starts_with(&prefix), "{previous}");
    let run_image = table(&analyzed, "run-image");
    let prefix = format!("{}/example.com/test/run/v1@sha256:", root.display());
    assert!(text(run_image, "reference").starts_with(&prefix));
    assert_eq!(text(table(run_image, "target"), "os"), "linux");
    assert_eq!(
        analyzed["metadata"]["buildpacks"][0]["key"].as_str(),
        Some("bp")
    );
}

#[test]
fn as_root_with_uid_and_gid_it_drops_privileges_before_writing() {
    if !is_root() {
        return;
    }
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_ref = registry.reference("test/run");
    push_run_image(&store, &run_ref);
    let build = Build::new();
    fs::set_permissions(build.dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let finished = run(build
        .command("analyzer", API)
        .args(["-uid", "2345", "-gid", "2346"])
        .arg("-run-image")
        .arg(&run_ref)
        .arg(registry.reference("test/app")));
    assert_eq!(finished.code, Some(0), "{finished}");
    let metadata = fs::metadata(build.layers().join("analyzed.toml")).expect("analyzed.toml");
    assert_eq!((metadata.uid(), metadata.gid()), (2345, 2346));
}
