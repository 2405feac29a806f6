//! `-layout` (experimental, platform.md › OCI layout): the run image is read from and the app
//! image written to `<layout-dir>/<registry>/<repository>/<tag>`.

use std::fs;

use cnb_image::ImageStore;
use cnb_layout::LayoutStore;
use cnb_testkit::{Finished, TarLayer};

use super::fixture::World;

use crate::image_support::{push_image, reference};
use crate::registry_store::amd64;

#[test]
fn layout_mode_builds_on_the_layout_run_image_and_writes_the_app_beside_it() {
    let world = World::start();
    let root = world.dir.path().join("layout-repo");
    let store = LayoutStore::new(&root);
    let run_name = "example.com/test/run:v1";
    let run = push_image(
        &store,
        &[reference(run_name)],
        &[TarLayer::of(&[("etc/os-release", "ID=busybox\n")])],
        &[("io.buildpacks.rebasable", "true")],
    );
    let run_path = root.join("example.com/test/run/v1");
    fs::write(
        world.layers().join("analyzed.toml"),
        format!(
            "[run-image]\n  reference = \"{}@{}\"\n  image = \"{run_name}\"\n",
            run_path.display(),
            run.digest
        ),
    )
    .expect("write analyzed.toml");

    let finished = Finished::run(
        world
            .exporter("0.15")
            .env("CNB_EXPERIMENTAL_MODE", "warn")
            .arg("-layout")
            .arg(format!("-layout-dir={}", root.display()))
            .arg("example.com/test/app:latest"),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let app_path = root.join("example.com/test/app/latest");
    assert!(
        finished
            .stdout
            .contains(&format!("Saving {}...", app_path.display())),
        "{finished}"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(app_path.join("index.json")).expect("index.json"))
            .expect("json");
    assert_eq!(index["manifests"].as_array().map(Vec::len), Some(1));
    let image = store
        .read_image(&reference("example.com/test/app:latest"), &amd64())
        .expect("readable")
        .expect("written");
    assert_eq!(image.manifest.manifest.layers.len(), 1 + 8);
    assert_eq!(image.label("io.buildpacks.rebasable"), Some("true"));
    let label: serde_json::Value = serde_json::from_str(
        image
            .label("io.buildpacks.lifecycle.metadata")
            .expect("lifecycle label"),
    )
    .expect("json");
    assert_eq!(
        label["runImage"]["reference"],
        format!("{}@{}", run_path.display(), run.digest).as_str()
    );
    assert!(world.report().contains(&app_path.display().to_string()));
}
