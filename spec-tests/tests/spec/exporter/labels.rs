//! Labels from the platform's files, and tags in other repositories of the same registry.

use std::fs;

use cnb_testkit::Finished;
use serde_json::json;

use super::fixture::World;

#[test]
fn project_metadata_becomes_the_project_label() {
    let world = World::start();
    let path = world.layers().join("project-metadata.toml");
    fs::write(
        &path,
        "[source]\n  type = \"git\"\n  [source.version]\n    commit = \"abc123\"\n  [source.metadata]\n    repository = \"https://example.test/app\"\n",
    )
    .expect("write project metadata");
    let app = world.name("test/app:latest");
    world.export(&app, &[]);
    assert_eq!(
        world.label(&app, "io.buildpacks.project.metadata"),
        json!({
            "source": {
                "type": "git",
                "version": {"commit": "abc123"},
                "metadata": {"repository": "https://example.test/app"},
            }
        })
    );
}

#[test]
fn tags_in_other_repositories_get_the_same_manifest() {
    let world = World::start();
    let app = world.name("test/app:latest");
    let other = world.name("other/repo:v1");
    let finished = Finished::run(world.exporter("0.15").args([&app, &other]));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(world.image(&app).digest(), world.image(&other).digest());
    assert!(
        world
            .report()
            .contains(&format!("tags = [\"{app}\", \"{other}\"]"))
    );
}
