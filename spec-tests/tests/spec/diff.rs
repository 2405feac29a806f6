//! `lifecycle diff <image> <image>` (docs/diff.md): two builds of one app with the installed
//! creator against a loopback registry, the second with one file changed by its buildpack
//! (`<platform>/env/GREETING`, read by `testdata/exporter/buildpacks/hello`), compared from
//! the registry and from an OCI layout; identical images; and the failures (one `ERROR:` line,
//! exit 2 for flags, 3 for arguments, 4 for images that cannot be read).

use std::fs;
use std::io;
use std::path::Path;

use cnb_image::{ImageRef, ImageStore};
use cnb_layout::LayoutStore;
use cnb_registry::Environment;
use cnb_testkit::{Finished, Lifecycle, RegistryFixture};

use crate::creator::Create;
use crate::image_support::registry_store;

fn diff(args: &[&str]) -> Finished {
    Finished::run(
        Lifecycle::installed()
            .command("lifecycle")
            .arg("diff")
            .args(args),
    )
}

/// Builds `tag` with the creator; with `greeting`, the buildpack writes that instead of its
/// own greeting into its `greeting` layer.
fn build(create: &Create, tag: &str, greeting: Option<&str>) -> String {
    create.fresh_layers();
    let env_dir = create.dir.join("platform/env");
    fs::create_dir_all(&env_dir).expect("mkdir platform/env");
    match greeting {
        Some(text) => fs::write(env_dir.join("GREETING"), text).expect("write GREETING"),
        None => {
            let _ = fs::remove_file(env_dir.join("GREETING"));
        }
    }
    let image = create.registry.reference(&format!("test/app:{tag}"));
    let finished = Finished::run(create.as_build_user().arg(&image));
    assert_eq!(finished.code, Some(0), "{finished}");
    image
}

/// Copies `image` from the registry into the OCI layout `dir`, tagged `tag` there, bytes as
/// they are (the manifest digest stays).
fn copy_to_layout(image: &str, dir: &Path, tag: &str) {
    let source = ImageRef::parse(image).expect("reference");
    let registry = registry_store(&Environment::default(), std::slice::from_ref(&source));
    let (media_type, manifest) = registry
        .read_manifest_raw(&source, None)
        .expect("manifest")
        .expect("image");
    let parsed = cnb_image::Manifest::from_json(&manifest).expect("manifest parses");
    let layout = LayoutStore::at(dir);
    let target = ImageRef::parse(&format!("copy:{tag}")).expect("reference");
    for blob in parsed.blobs() {
        let mut reader = registry
            .open_blob(&source, &blob.digest)
            .expect("open blob")
            .expect("blob");
        let mut writer = layout
            .blob_writer(&target, blob.media_type.clone())
            .expect("writer");
        io::copy(&mut reader, &mut writer).expect("copy blob");
        writer.finish().expect("blob written");
    }
    layout
        .write_manifest(&[target], &media_type, &manifest)
        .expect("manifest written");
}

fn layer_lines(finished: &Finished) -> Vec<&str> {
    finished
        .stdout
        .lines()
        .filter(|line| line.starts_with("layer "))
        .collect()
}

#[test]
fn a_rebuild_that_changed_one_file_is_told_by_that_file_and_its_buildpack_layer() {
    let create = Create::new();
    let first = build(&create, "first", None);
    let second = build(&create, "second", Some("hello from the second build"));

    let finished = diff(&[&first, &second]);
    assert_eq!(finished.code, Some(1), "{finished}");
    assert_eq!(finished.stderr, "", "{finished}");
    let layers = layer_lines(&finished);
    assert_eq!(
        layers.len(),
        1,
        "only the greeting layer differs: {finished}"
    );
    let (title, file) = layers[0]
        .split_once("): ")
        .unwrap_or_else(|| panic!("layer line: {finished}"));
    assert!(
        title.starts_with("layer ") && title.ends_with(" (buildpack test/hello layer greeting"),
        "{finished}"
    );
    assert_eq!(
        file,
        format!(
            "{}/test_hello/greeting/message: content differs (23 B vs 28 B)",
            create.layers().display()
        ),
        "{finished}"
    );
    assert!(
        finished
            .stdout
            .lines()
            .next()
            .is_some_and(|line| line.starts_with("digest: sha256:")),
        "{finished}"
    );
    assert!(
        finished.stdout.lines().any(|line| line.starts_with(
            "label io.buildpacks.lifecycle.metadata: buildpacks[test/hello].layers.greeting.sha: sha256:"
        )),
        "{finished}"
    );

    // the same inputs again make the same image; an image is identical to itself
    let again = build(&create, "again", None);
    for (a, b) in [(&first, &again), (&second, &second)] {
        let finished = diff(&[a, b]);
        assert_eq!(finished.code, Some(0), "{finished}");
        assert!(
            finished.stdout.starts_with("identical: sha256:"),
            "{finished}"
        );
        assert_eq!(finished.stdout.lines().count(), 1, "{finished}");
    }

    // from an OCI layout, by tag, by digest and as the layout's only image
    let layouts = tempfile::tempdir().expect("temp dir");
    let dir = layouts.path().join("127.0.0.1:5000/test/app/first");
    copy_to_layout(&first, &dir, "first");
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("index.json")).expect("index.json"))
            .expect("json");
    let digest = index["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    let layout = format!("oci:{}", dir.display());
    for name in [
        layout.clone(),
        format!("{layout}:first"),
        format!("{layout}@{digest}"),
    ] {
        let finished = diff(&[&name, &first]);
        assert_eq!(finished.code, Some(0), "{name}: {finished}");
        assert_eq!(finished.stdout, format!("identical: {digest}\n"));
    }
    let finished = diff(&[&format!("{layout}:first"), &second]);
    assert_eq!(finished.code, Some(1), "{finished}");
    assert_eq!(layer_lines(&finished), layers, "{finished}");
}

#[test]
fn bad_flags_arguments_and_unreadable_images_fail_with_one_error_line_and_their_code() {
    let registry = RegistryFixture::start().expect("registry");
    let missing = registry.reference("test/none:latest");
    let nowhere = tempfile::tempdir().expect("temp dir");
    let no_layout = format!("oci:{}", nowhere.path().join("none").display());
    let cases: [(&[&str], i32, &str); 6] = [
        (
            &["-nope", "a", "b"],
            2,
            "ERROR: failed to parse flags: flag provided but not defined: -nope",
        ),
        (
            &["only-one"],
            3,
            "ERROR: failed to parse arguments: received 1 arguments, but expected 2 images",
        ),
        (
            &["Not A Reference", "b"],
            3,
            "ERROR: failed to parse arguments: ",
        ),
        (
            &["oci:/x@sha256:12", "b"],
            3,
            "ERROR: failed to parse arguments: 'oci:/x@sha256:12' is not an OCI layout path",
        ),
        (
            &[&missing, &missing],
            4,
            &format!("ERROR: failed to compare images: {missing} not found"),
        ),
        (
            &[&no_layout, &missing],
            4,
            &format!("ERROR: failed to read image {no_layout}: "),
        ),
    ];
    for (args, code, error) in cases {
        let finished = diff(args);
        assert_eq!(finished.code, Some(code), "{args:?}: {finished}");
        let errors: Vec<&str> = finished
            .stderr
            .lines()
            .filter(|line| line.starts_with("ERROR: "))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {finished}");
        assert!(errors[0].starts_with(error), "{args:?}: {finished}");
        if code != 2 {
            assert_eq!(finished.stderr.lines().count(), 1, "{args:?}: {finished}");
        }
    }
}

#[test]
fn help_names_the_flags_and_the_exit_codes() {
    let finished = diff(&["-h"]);
    assert_eq!(finished.code, Some(0), "{finished}");
    for text in [
        "Usage of diff: lifecycle diff [flags] <image> <image>",
        "oci:<path>[:<tag>|@<digest>]",
        "exit status: 0 identical, 1 different, 2 bad flags, 3 bad arguments, 4 an image could not be read",
        "-insecure-registry string",
        "(env CNB_INSECURE_REGISTRIES)",
        "-max-layers int",
        "-max-lines int",
    ] {
        assert!(finished.stdout.contains(text), "{text}: {finished}");
    }
}
