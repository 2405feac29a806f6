//! OCI layout sources (`-layout -layout-dir`, experimental like the exporter's): the same
//! rebase over layout directories, one per reference.

use cnb_image::{ImageRef, ImageStore};
use cnb_layout::LayoutStore;
use serde_json::json;

use super::fixture::World;
use cnb_testkit::TarLayer;

use crate::image_support::{push_image, reference};
use crate::registry_store::amd64;

pub(crate) const STACK: (&str, &str) = ("io.buildpacks.stack.id", "io.test.layout");

/// run v1 (one layer), run v2 (two layers) and `apps` on v1, in a layout root.
pub(crate) fn layouts(
    root: &std::path::Path,
    apps: &[&str],
) -> (LayoutStore, Vec<cnb_image::Digest>) {
    let store = LayoutStore::new(root);
    let v1_layer = TarLayer::of(&[("etc/os-release", "ID=v1\n")]);
    push_image(
        &store,
        &[reference("test.local/run:v1")],
        std::slice::from_ref(&v1_layer),
        &[STACK],
    );
    let v2_layers = vec![
        TarLayer::of(&[("etc/os-release", "ID=v2\n")]),
        TarLayer::of(&[("etc/patch", "2\n")]),
    ];
    push_image(
        &store,
        &[reference("test.local/run:v2")],
        &v2_layers,
        &[STACK],
    );
    let label = json!({
        "runImage": {"topLayer": v1_layer.diff_id().to_string(), "reference": "", "image": "test.local/run:v1", "mirrors": ["test.local/run:v2"]}
    })
    .to_string();
    for app in apps {
        let app_layer = TarLayer::of(&[("app-file", app)]);
        push_image(
            &store,
            &[reference(app)],
            &[v1_layer.clone(), app_layer],
            &[STACK, ("io.buildpacks.lifecycle.metadata", &label)],
        );
    }
    let v2_ids = v2_layers.iter().map(TarLayer::diff_id).collect();
    (store, v2_ids)
}

fn diff_ids(store: &LayoutStore, name: &str) -> Vec<cnb_image::Digest> {
    let image: ImageRef = reference(name);
    store
        .read_image(&image, &amd64())
        .expect("readable")
        .expect("exists")
        .config
        .rootfs
        .diff_ids
}

#[test]
fn a_layout_app_is_rebased_onto_a_layout_run_image() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (store, v2_ids) = layouts(dir.path(), &["test.local/app:latest"]);
    let before = diff_ids(&store, "test.local/app:latest");
    let args = [
        "-layout",
        "-run-image",
        "test.local/run:v2",
        "-report=/dev/null",
    ];
    let refused = World::run(
        World::rebaser("0.12")
            .args(args)
            .arg("-layout-dir")
            .arg(dir.path())
            .arg("test.local/app:latest"),
    );
    assert_eq!(refused.code, Some(1), "experimental: {refused}");
    let finished = World::run(
        World::rebaser("0.12")
            .env("CNB_EXPERIMENTAL_MODE", "warn")
            .args(args)
            .arg("-layout-dir")
            .arg(dir.path())
            .arg("test.local/app:latest"),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let mut expected = v2_ids;
    expected.push(before[1]);
    assert_eq!(diff_ids(&store, "test.local/app:latest"), expected);
}

#[test]
fn a_layout_fleet_succeeds_with_exit_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let apps = ["test.local/a:latest", "test.local/b:latest"];
    let (store, v2_ids) = layouts(dir.path(), &apps);
    let list = dir.path().join("images.txt");
    std::fs::write(&list, apps.join("\n")).expect("list");
    let finished = World::run(
        World::rebaser("0.12")
            .env("CNB_EXPERIMENTAL_MODE", "warn")
            .args(["-layout", "-run-image", "test.local/run:v2"])
            .arg("-layout-dir")
            .arg(dir.path())
            .arg("-images-from")
            .arg(&list)
            .arg("-report")
            .arg(dir.path().join("report.toml")),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    for app in apps {
        assert_eq!(diff_ids(&store, app)[..2], v2_ids[..]);
    }
    let report = std::fs::read_to_string(dir.path().join("fleet-report.jsonl")).expect("report");
    assert_eq!(report.lines().count(), 2);
    assert!(!report.contains("error"), "{report}");
}
