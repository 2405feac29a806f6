//! Fleet mode over OCI layout directories: each image rebased in place, an invalid one
//! reported and left untouched, the JSON lines report; and the run images a label records.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

mod common;

use cnb_api::check_platform_api;
use cnb_image::Digest;
use cnb_rebaser::{FleetResult, Rebaser, write_fleet_report};
use common::{MIRROR, RUN, amd64, config, copy_app, fixture, read, reference};
use pretty_assertions::assert_eq;

#[test]
fn fleet_mode_rebases_each_image_and_leaves_an_invalid_one_untouched() {
    let (_dir, store) = fixture(&[], "0.12");
    let mut names = Vec::new();
    for n in 0..6 {
        let name = format!("registry.test/app{n}:latest");
        copy_app(&store, &reference(&name), |config| {
            config.set_label("n", &n.to_string());
            if n == 3 {
                config.set_label("io.buildpacks.rebasable", "false");
            }
        });
        names.push(name);
    }
    names.push("registry.test/missing:latest".to_owned());
    let before3 = read(&store, "registry.test/app3:latest").digest();
    let rebaser = Rebaser::new(config("0.12", None, false), &store);
    let results = rebaser.rebase_fleet(&names);
    let failed: Vec<&FleetResult> = results.iter().filter(|r| !r.succeeded()).collect();
    assert_eq!(failed.len(), 2, "{results:#?}");
    assert_eq!(failed[0].image, "registry.test/app3:latest");
    assert_eq!(
        failed[0].old_digest.as_deref(),
        Some(before3.to_string().as_str())
    );
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("not marked as rebasable")
    );
    assert_eq!(read(&store, "registry.test/app3:latest").digest(), before3);
    assert_eq!(failed[1].image, "registry.test/missing:latest");
    assert_eq!(failed[1].old_digest, None);
    for (n, result) in results
        .iter()
        .enumerate()
        .filter(|(n, _)| *n < 6 && *n != 3)
    {
        let after = read(&store, &format!("registry.test/app{n}:latest"));
        assert_eq!(
            result.new_digest.as_deref(),
            Some(after.digest().to_string().as_str())
        );
        assert_eq!(after.label("n"), Some(n.to_string().as_str()));
        assert_eq!(after.config.rootfs.diff_ids[0], Digest::of(b"os v2"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet-report.jsonl");
    write_fleet_report(&path, &results).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[0]["image"], "registry.test/app0:latest");
    assert!(
        lines[0]["new-digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .starts_with("failed to rebase: ")
    );
    assert!(lines[3].get("new-digest").is_none());
}

#[test]
fn the_recorded_run_images_are_listed_for_credential_resolution() {
    let (_dir, store) = fixture(&[], "0.12");
    let api = check_platform_api(Some("0.12")).unwrap();
    let names = cnb_rebaser::recorded_run_images(
        &store,
        api,
        &reference("registry.test/app:latest"),
        &amd64(),
    );
    assert_eq!(names, [format!("{RUN}:v2"), format!("{MIRROR}:v2")]);
    let missing = reference("registry.test/none:latest");
    assert!(cnb_rebaser::recorded_run_images(&store, api, &missing, &amd64()).is_empty());
}
