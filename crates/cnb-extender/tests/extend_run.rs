//! `-kind run` on a busybox image root: each RUN/COPY/ADD becomes a layer holding exactly
//! what it changed, the extended image lands in `<extended>/run/<digest>`, the same inputs
//! give the same image from the cache, and failures leave nothing behind.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

mod common;

use std::fs;

use cnb_extender::{Error, Extender};
use common::{Fixture, layer_entries, read_image};
use pretty_assertions::assert_eq;

const ADD_FILE: &str = "ARG base_image\nFROM ${base_image}\nUSER root\nRUN mkdir -p /opt/ext && echo hello > /opt/ext/file && echo ran >> /workspace/runs\nARG user_id\nUSER ${user_id}\n";

#[test]
fn a_run_that_adds_a_file_makes_one_layer_with_exactly_that_file() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/add"]);
    fx.dockerfile("samples/add", "run", ADD_FILE);
    let outcome = Extender::new(fx.config()).extend_run().unwrap();
    let (digest, dir) = outcome.image.unwrap();
    assert_eq!(fx.extended_images(), std::slice::from_ref(&dir));
    assert_eq!(dir.file_name().unwrap().to_string_lossy(), digest.hex());
    let (manifest, config) = read_image(&dir);
    assert_eq!(manifest.layers.len(), 1);
    assert_eq!(
        layer_entries(&dir, &manifest.layers[0].digest),
        [
            ("opt".to_owned(), None),
            ("opt/ext".to_owned(), None),
            ("opt/ext/file".to_owned(), Some("hello\n".to_owned())),
        ]
    );
    assert_eq!(config.rootfs.diff_ids.len(), 1);
    assert_eq!(
        config.history[0].created_by.as_deref(),
        Some(
            "Layer: 'RUN mkdir -p /opt/ext && echo hello > /opt/ext/file && echo ran >> /workspace/runs', Created by extension: samples/add"
        )
    );
    assert_eq!(config.config.user.as_deref(), Some("1000"));
    assert_eq!(config.label("io.buildpacks.rebasable"), Some("true"));
    assert_eq!(config.created.as_deref(), Some("0001-01-01T00:00:00Z"));
    assert_eq!(
        fs::read_to_string(fx.root().join("workspace/runs")).unwrap(),
        "ran\n",
        "the app dir is written to, and left out of the layer"
    );
}

#[test]
fn the_same_inputs_give_the_same_image_from_the_cache_without_running_again() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/add"]);
    let counted = ADD_FILE.replace("/workspace/runs", "/tmp/apt-key-gpghome.runs");
    fx.dockerfile("samples/add", "run", &counted);
    let first = Extender::new(fx.config())
        .extend_run()
        .unwrap()
        .image
        .unwrap();
    let second = Extender::new(fx.config())
        .extend_run()
        .unwrap()
        .image
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(fx.extended_images().len(), 1);
    let runs = fs::read_to_string(fx.root().join("tmp/apt-key-gpghome.runs")).unwrap();
    assert_eq!(
        runs, "ran\n",
        "the second extension reused the cached layer"
    );
}

#[test]
fn build_id_invalidates_the_cache_from_where_it_is_declared() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/busted"]);
    fx.dockerfile(
        "samples/busted",
        "run",
        "ARG base_image\nFROM ${base_image}\nUSER root\nRUN echo once >> /tmp/apt-key-gpghome.first\nARG build_id=0\nRUN echo $build_id > /tmp/apt-key-gpghome.id && echo again >> /tmp/apt-key-gpghome.second\nUSER 1000:1000\n",
    );
    Extender::new(fx.config()).extend_run().unwrap();
    Extender::new(fx.config()).extend_run().unwrap();
    let read = |name: &str| fs::read_to_string(fx.root().join("tmp").join(name)).unwrap();
    assert_eq!(read("apt-key-gpghome.first"), "once\n");
    assert_eq!(read("apt-key-gpghome.second"), "again\nagain\n");
    assert_eq!(read("apt-key-gpghome.id").trim().len(), 36, "a UUID");
}

#[test]
fn removed_files_become_whiteouts_and_copies_come_from_the_context() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/rm"]);
    let context = fx.generated("samples/rm").join("context.run");
    fs::create_dir_all(context.join("conf")).unwrap();
    fs::write(context.join("conf/app.conf"), "key=value\n").unwrap();
    fx.dockerfile(
        "samples/rm",
        "run",
        "ARG base_image\nFROM ${base_image}\nUSER root\nRUN rm /etc/os-release && rm -r /home/cnb\nCOPY --chown=cnb:cnb conf /etc/app/\nENV APP_CONF=/etc/app/app.conf\nLABEL io.buildpacks.rebasable=false\nUSER 1000:1000\n",
    );
    let (_, dir) = Extender::new(fx.config())
        .extend_run()
        .unwrap()
        .image
        .unwrap();
    let (manifest, config) = read_image(&dir);
    assert_eq!(manifest.layers.len(), 2);
    let names = |i: usize| -> Vec<String> {
        layer_entries(&dir, &manifest.layers[i].digest)
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    };
    assert_eq!(
        names(0),
        ["etc", "etc/.wh.os-release", "home", "home/.wh.cnb"]
    );
    assert_eq!(names(1), ["etc", "etc/app", "etc/app/app.conf"]);
    assert!(
        config
            .config
            .env
            .clone()
            .unwrap()
            .contains(&"APP_CONF=/etc/app/app.conf".to_owned())
    );
    assert_eq!(config.label("io.buildpacks.rebasable"), Some("false"));
    let meta = fs::metadata(fx.root().join("etc/app/app.conf")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 1000);
}

#[test]
fn a_run_image_left_as_root_fails_and_writes_nothing() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/root"]);
    fx.dockerfile(
        "samples/root",
        "run",
        "ARG base_image\nFROM ${base_image}\nUSER root\nRUN touch /root-was-here\n",
    );
    let error = Extender::new(fx.config()).extend_run().unwrap_err();
    assert!(matches!(error, Error::FinalUserRoot), "{error}");
    assert_eq!(error.kind(), cnb_api::ExitKind::ExtendError);
    assert!(fx.extended_images().is_empty());
}

#[test]
fn a_failing_run_names_the_extension_the_dockerfile_and_the_line() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/fail"]);
    fx.dockerfile(
        "samples/fail",
        "run",
        "ARG base_image\nFROM ${base_image}\nUSER root\n\nRUN echo before && exit 3\n",
    );
    let error = Extender::new(fx.config()).extend_run().unwrap_err();
    let line = cnb_api::one_line(&error);
    let path = fx.generated("samples/fail").join("run.Dockerfile");
    assert_eq!(
        line,
        format!(
            "extension 'samples/fail': {} line 5: RUN echo before && exit 3: the command failed (exit status: 3)",
            path.display()
        )
    );
    assert_eq!(error.kind(), cnb_api::ExitKind::ExtendError);
    assert!(fx.extended_images().is_empty());
}

#[test]
fn no_run_dockerfile_means_no_extended_image() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/build-only"]);
    fx.dockerfile(
        "samples/build-only",
        "build",
        "ARG base_image\nFROM ${base_image}\nRUN true\n",
    );
    assert_eq!(Extender::new(fx.config()).extend_run().unwrap().image, None);
    assert!(fx.extended_images().is_empty());
}

#[test]
fn a_missing_base_layout_is_an_extend_error() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/add"]);
    fx.dockerfile("samples/add", "run", ADD_FILE);
    fs::remove_dir_all(fx.path("kaniko/cache/base")).unwrap();
    let error = Extender::new(fx.config()).extend_run().unwrap_err();
    assert!(matches!(error, Error::ReadBase { .. }), "{error}");
    assert_eq!(error.kind(), cnb_api::ExitKind::ExtendError);
    assert!(cnb_api::one_line(&error).contains("did the restorer save the image?"));
}
