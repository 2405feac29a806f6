//! The restorer phase (platform.md › restorer; buildpack.md › Layer Types; spec-matrix.md
//! §5.3, §13), black-box: the installed `restorer` over a hand-written analyzed.toml and a
//! hand-built cache (a volume directory in Go's format, or a cache image in a loopback
//! registry), checked through `<layers>` afterwards. Every row of the restore matrix is a
//! layer of `some/bp`, named after its flags (`btf` = build, cache, not launch).

mod extensions;
mod hostile;
mod matrix;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use cnb_testkit::{RegistryFixture, is_root};
use matrix::{Cache, Matrix};

use crate::analyzer::fixtures::{Build, push_run_image, run, store};

const API: &str = "0.15";

#[test]
fn every_row_of_the_restore_matrix_from_a_volume_cache() {
    let matrix = Matrix::new(Cache::Volume);
    let finished = run(&mut matrix.restorer(API));
    assert_eq!(finished.code, Some(0), "{finished}");
    matrix.assert_restored(&finished);
}

#[test]
fn every_row_of_the_restore_matrix_from_a_cache_image() {
    let registry = RegistryFixture::start().expect("registry");
    let matrix = Matrix::new(Cache::Image(registry.reference("test/cache")));
    let finished = run(&mut matrix.restorer(API));
    assert_eq!(finished.code, Some(0), "{finished}");
    matrix.assert_restored(&finished);
}

#[test]
fn every_row_of_the_restore_matrix_in_layout_mode() {
    let matrix = Matrix::new(Cache::Volume);
    let layout = matrix.build.path("layout");
    let finished = run(matrix
        .restorer(API)
        .env("CNB_EXPERIMENTAL_MODE", "warn")
        .arg("-layout")
        .arg("-layout-dir")
        .arg(&layout));
    assert_eq!(finished.code, Some(0), "{finished}");
    matrix.assert_restored(&finished);
}

#[test]
fn skip_layers_restores_store_toml_only() {
    let matrix = Matrix::new(Cache::Volume);
    let finished = run(matrix.restorer(API).arg("-skip-layers"));
    assert_eq!(finished.code, Some(0), "{finished}");
    let dir = matrix.build.layers().join("some_bp");
    let store = fs::read_to_string(dir.join("store.toml")).expect("store.toml");
    assert!(store.contains("kept = \"yes\""), "{store}");
    let names: Vec<String> = fs::read_dir(&dir)
        .expect("bp dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["store.toml"]);
}

#[test]
fn a_truncated_cache_entry_warns_and_the_layer_is_not_restored() {
    let matrix = Matrix::new(Cache::Volume);
    matrix.truncate_cached("btt");
    let finished = run(&mut matrix.restorer(API));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished
            .stderr
            .contains("Warning: Skipping restore for layer some/bp:btt"),
        "{finished}"
    );
    let dir = matrix.build.layers().join("some_bp");
    assert!(!dir.join("btt.toml").exists());
    assert!(!dir.join("btt").exists());
    assert!(dir.join("ftt/file").is_file(), "{finished}");
}

#[test]
fn launch_cache_layers_missing_from_the_app_image_come_back_from_platform_0_14() {
    for (api, restored) in [("0.13", false), ("0.14", true)] {
        let matrix = Matrix::new(Cache::Volume);
        let finished = run(&mut matrix.restorer(api));
        assert_eq!(finished.code, Some(0), "{finished}");
        let dir = matrix.build.layers().join("some_bp");
        assert_eq!(
            dir.join("cache_only_launch.toml").is_file(),
            restored,
            "P{api}"
        );
        assert_eq!(
            dir.join("cache_only_launch/file").is_file(),
            restored,
            "P{api}"
        );
    }
}

#[test]
fn missing_analyzed_toml_and_an_empty_cache_only_warn_and_a_missing_cache_dir_fails() {
    let build = Build::new();
    build.write(
        "layers/group.toml",
        "[[group]]\nid = \"some/bp\"\nversion = \"1.0\"\napi = \"0.12\"\n",
    );
    fs::create_dir_all(build.path("empty-cache")).expect("cache dir");
    let finished = run(build
        .command("restorer", API)
        .arg("-cache-dir")
        .arg(build.path("empty-cache")));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished.stderr.contains("Warning: Not using analyzed data"),
        "{finished}"
    );
    assert!(
        finished.stdout.contains("Layer cache not found"),
        "{finished}"
    );
    // Go: `failed to create volume cache: …`, exit 1.
    let missing = run(build
        .command("restorer", API)
        .arg("-cache-dir")
        .arg(build.path("no-cache")));
    assert_eq!(missing.code, Some(1), "{missing}");
    assert!(
        missing
            .stderr
            .contains("ERROR: failed to create volume cache: "),
        "{missing}"
    );
}

#[test]
fn the_analyzed_run_image_is_rechecked_and_the_build_image_recorded() {
    let registry = RegistryFixture::start().expect("registry");
    let store = store();
    let run_image = registry.reference("test/run");
    push_run_image(&store, &run_image);
    let build_image = registry.reference("test/build");
    let build_digest_ref = push_run_image(&store, &build_image);
    let missing = registry.reference("test/missing");

    let restore = |image: &str| {
        let build = Build::new();
        build.write(
            "layers/group.toml",
            "[[group]]\nid = \"some/bp\"\nversion = \"1.0\"\napi = \"0.12\"\n",
        );
        build.write(
            "layers/analyzed.toml",
            &format!(
                "[image]\nreference = \"\"\n[run-image]\nreference = \"\"\nimage = \"{image}\"\n"
            ),
        );
        let run_toml = build.write(
            "run.toml",
            &format!("[[images]]\nimage = \"{missing}\"\nmirrors = [\"{run_image}\"]\n"),
        );
        let finished = run(build
            .command("restorer", API)
            .env("CNB_KANIKO_DIR", build.path("kaniko"))
            .arg("-run")
            .arg(&run_toml)
            .arg("-build-image")
            .arg(&build_image));
        (build, finished)
    };
    let (build, finished) = restore(&run_image);
    assert_eq!(finished.code, Some(0), "{finished}");
    let analyzed = build.analyzed();
    assert_eq!(
        analyzed["build-image"]["reference"].as_str(),
        Some(build_digest_ref.as_str())
    );
    extensions::assert_base_image(&build.path("kaniko"), &build_digest_ref);
    assert_eq!(
        analyzed["run-image"]["image"].as_str(),
        Some(run_image.as_str())
    );

    let (_, finished) = restore(&missing);
    // Go: a raw failure (1), outside the restore itself (exit-codes.md, restorer).
    assert_eq!(finished.code, Some(1), "{finished}");
    assert!(finished.stderr.contains("is not accessible"), "{finished}");
}

#[test]
fn as_root_with_uid_and_gid_restored_files_belong_to_that_user() {
    if !is_root() {
        return;
    }
    let matrix = Matrix::new(Cache::Volume);
    fs::set_permissions(matrix.build.dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let finished = run(matrix.restorer(API).args(["-uid", "2345", "-gid", "2346"]));
    assert_eq!(finished.code, Some(0), "{finished}");
    for path in ["some_bp/btt.toml", "some_bp/btt/file", "some_bp/store.toml"] {
        let metadata = fs::metadata(matrix.build.layers().join(path)).expect(path);
        assert_eq!((metadata.uid(), metadata.gid()), (2345, 2346), "{path}");
    }
}
