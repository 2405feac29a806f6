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

#[test]
fn before_platform_api_0_9_the_report_carries_the_build_bom() {
    let world = World::start();
    fs::write(
        world.layers().join("test_first/build.toml"),
        "[[bom]]\n  name = \"dep\"\n  [bom.metadata]\n    version = \"1.0\"\n",
    )
    .expect("write build.toml");
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.8").arg(&app));
    assert_eq!(finished.code, Some(0), "{finished}");
    let report: toml::Table = toml::from_str(&world.report()).expect("report.toml");
    let bom = &report["build"]["bom"][0];
    assert_eq!(bom["name"].as_str(), Some("dep"));
    assert_eq!(bom["metadata"]["version"].as_str(), Some("1.0"));
    assert_eq!(bom["buildpack"]["id"].as_str(), Some("test/first"));
    assert_eq!(
        report["image"]["digest"].as_str(),
        Some(world.image(&app).digest().to_string().as_str())
    );
    let build = world.label(&app, "io.buildpacks.build.metadata");
    assert_eq!(build["bom"], json!([]));
}
