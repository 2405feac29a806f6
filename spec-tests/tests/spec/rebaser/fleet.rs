//! Fleet mode (`-images-from`): fifty app images rebased in one run, one result per image in
//! `fleet-report.jsonl` next to report.toml; an image that fails validation is reported and
//! left untouched, and the run exits 72.

use serde_json::Value;

use super::fixture::{App, World};

pub(super) const FLEET: usize = 50;

/// Pushes `count` apps on v1 (`test/fleet-<n>`); app `invalid`, if any, is not rebasable.
pub(super) fn fleet(world: &World, count: usize, invalid: Option<usize>) -> Vec<String> {
    (0..count)
        .map(|n| {
            let name = format!("test/fleet-{n}:latest");
            let index = n.to_string();
            let mut labels = vec![("io.test.index", index.as_str())];
            if Some(n) == invalid {
                labels.push(("io.buildpacks.rebasable", "false"));
            }
            // v1 listed too, so that the bench can rebase back and forth.
            let mirrors = [world.v1.as_str()];
            world.app(&App {
                labels: &labels,
                mirrors: &mirrors,
                ..world.on_v1(&name)
            })
        })
        .collect()
}

#[test]
fn fifty_images_are_rebased_and_the_invalid_one_is_reported_and_untouched() {
    let world = World::start();
    let images = fleet(&world, FLEET, Some(17));
    let before: Vec<_> = images.iter().map(|image| world.digest(image)).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("images.txt");
    std::fs::write(&list, format!("# the fleet\n{}\n", images.join("\n"))).expect("list");
    let finished = World::run(
        World::rebaser("0.13")
            .args(["-run-image", &world.v2])
            .arg("-images-from")
            .arg(&list)
            .arg("-report")
            .arg(dir.path().join("report.toml")),
    );
    assert_eq!(finished.code, Some(72), "{finished}");
    assert!(
        finished.stdout.contains("Rebased 49 of 50 images"),
        "{finished}"
    );
    assert!(
        finished
            .stderr
            .contains("failed to rebase: 1 of 50 images failed"),
        "{finished}"
    );
    let text = std::fs::read_to_string(dir.path().join("fleet-report.jsonl")).expect("report");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), FLEET);
    let v2_base = world.image(&world.v2).config.rootfs.diff_ids;
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(line["image"], images[n]);
        assert_eq!(line["old-digest"], before[n].to_string(), "{line}");
        let now = world.digest(&images[n]);
        if n == 17 {
            assert!(line.get("new-digest").is_none(), "{line}");
            let error = line["error"].as_str().unwrap_or_default();
            assert!(
                error.contains("app image is not marked as rebasable"),
                "{line}"
            );
            assert_eq!(now, before[n], "left untouched");
        } else {
            assert!(line.get("error").is_none(), "{line}");
            assert_eq!(line["new-digest"], now.to_string(), "{line}");
            assert_eq!(line["run-image"], world.v2);
            let image = world.image(&images[n]);
            assert_eq!(image.config.rootfs.diff_ids[..v2_base.len()], v2_base[..]);
            assert_eq!(image.label("io.test.index"), Some(n.to_string().as_str()));
        }
    }
}

#[test]
fn images_from_with_image_arguments_or_an_empty_list_is_exit_3() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("images.txt");
    std::fs::write(&list, "\n# nothing\n").expect("list");
    let finished = World::run(World::rebaser("0.12").arg("-images-from").arg(&list));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(finished.stderr.contains("no images listed"), "{finished}");
    let finished = World::run(
        World::rebaser("0.12")
            .arg("-images-from")
            .arg(&list)
            .arg("127.0.0.1:1/app"),
    );
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(finished.stderr.contains("cannot be combined"), "{finished}");
}
