//! Reproducibility and reuse (platform.md › Build Reproducibility; spec-matrix.md §4, §14):
//! the same inputs give the same manifest, `SOURCE_DATE_EPOCH` changes `created` and nothing
//! else, and a rebuild sends the registry no layer bytes, or only those of a changed layer.
//! Bytes are counted by the testkit's proxy in front of the registry.

use std::fs;

use cnb_testkit::{Finished, RegistryProxy};
use serde_json::Value;

use super::fixture::World;

#[test]
fn the_same_inputs_give_the_same_manifest_and_source_date_epoch_changes_only_created() {
    let world = World::start();
    let one = world.name("test/app:one");
    let two = world.name("test/app:two");
    world.export(&one, &[]);
    world.export(&two, &[]);
    let (first, second) = (world.image(&one), world.image(&two));
    assert_eq!(first.digest(), second.digest());
    assert_eq!(first.manifest.bytes, second.manifest.bytes);

    let epoch = world.name("test/app:epoch");
    let finished = Finished::run(
        world
            .exporter("0.15")
            .env("SOURCE_DATE_EPOCH", "1641359105")
            .arg(&epoch),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let dated = world.image(&epoch);
    assert_ne!(dated.digest(), first.digest());
    assert_eq!(
        dated.config.created.as_deref(),
        Some("2022-01-05T05:05:05Z")
    );
    assert_eq!(
        dated.manifest.manifest.layers,
        first.manifest.manifest.layers
    );
    let undated = |config: &cnb_image::ImageConfig| {
        let mut json: Value = serde_json::from_slice(&config.to_json()).expect("json");
        json.as_object_mut().expect("object").remove("created");
        for entry in json["history"].as_array_mut().expect("history") {
            assert!(
                entry
                    .as_object_mut()
                    .expect("entry")
                    .remove("created")
                    .is_some()
            );
        }
        json
    };
    assert_eq!(undated(&dated.config), undated(&first.config));
}

/// `CNB_GZIP_ENGINE=isal` (this lifecycle's own switch, docs/performance.md): ISA-L's blobs are
/// reproducible too and hold the same tars (same diffIDs) as zlib-rs's, in other bytes; an
/// unknown engine is refused before anything is written.
#[test]
fn with_the_isal_gzip_engine_the_same_inputs_give_the_same_manifest_and_the_same_tars() {
    let world = World::start();
    let zlib = world.name("test/app:zlib");
    world.export(&zlib, &[]);
    let isal = |tag: &str| {
        let name = world.name(tag);
        let finished = Finished::run(
            world
                .exporter("0.15")
                .env("CNB_GZIP_ENGINE", "isal")
                .arg(&name),
        );
        assert_eq!(finished.code, Some(0), "{finished}");
        world.image(&name)
    };
    let (first, second, zlib) = (
        isal("test/app:isal-1"),
        isal("test/app:isal-2"),
        world.image(&zlib),
    );
    assert_eq!(first.digest(), second.digest());
    assert_eq!(first.manifest.bytes, second.manifest.bytes);
    assert_eq!(first.config.rootfs.diff_ids, zlib.config.rootfs.diff_ids);
    assert_ne!(
        first.manifest.manifest.layers,
        zlib.manifest.manifest.layers
    );

    let unknown = world.name("test/app:unknown");
    let finished = Finished::run(
        world
            .exporter("0.15")
            .env("CNB_GZIP_ENGINE", "pigz")
            .arg(&unknown),
    );
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished.stderr.contains("CNB_GZIP_ENGINE=\"pigz\""),
        "{finished}"
    );
    assert!(!world.exists(&unknown));
}

#[test]
fn a_rebuild_sends_no_layer_bytes_and_a_changed_layer_sends_only_itself() {
    let world = World::start();
    let app = world.name("test/app:latest");
    world.export(&app, &[]);
    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    let via_proxy = |name: &str| name.replacen(&world.registry.host(), &proxy.host(), 1);
    let rebuild = || {
        let previous = world.image(&app);
        let label = world.label(&app, "io.buildpacks.lifecycle.metadata");
        let previous_ref = via_proxy(&format!("{}@{}", world.name("test/app"), previous.digest()));
        world.write_analyzed(
            Some((&previous_ref, &label)),
            &via_proxy(&world.run_digest_ref),
        );
        proxy.clear();
        let finished = world.export(&via_proxy(&app), &[]);
        assert!(
            finished
                .stdout
                .contains(&format!("Reusing layers from image '{previous_ref}'")),
            "{finished}"
        );
        (previous, finished)
    };

    let (previous, finished) = rebuild();
    let image = world.image(&app);
    // Only the config differs: the label records the run image by the proxy's address.
    assert_eq!(
        image.manifest.manifest.layers, previous.manifest.manifest.layers,
        "nothing changed"
    );
    for id in [
        "test/first:cached",
        "test/first:launch-layer",
        "buildpacksio/lifecycle:launch.sbom",
        "slice-1",
        "slice-2",
        "buildpacksio/lifecycle:launcher",
        "buildpacksio/lifecycle:config",
        "buildpacksio/lifecycle:process-types",
    ] {
        assert!(
            finished.stdout.contains(&format!("Reusing layer '{id}'")),
            "{id}: {finished}"
        );
    }
    assert!(
        finished.stdout.contains("Reused 2/2 app layer(s)"),
        "{finished}"
    );
    let config_size = image.manifest.manifest.config.size;
    let uploaded = proxy.body_bytes("/blobs/uploads/");
    assert!(
        uploaded <= config_size,
        "{uploaded} bytes uploaded, config is {config_size}: {:#?}",
        proxy.requests()
    );

    fs::write(
        world.layers().join("test_first/launch-layer/lib.txt"),
        "changed contents\n",
    )
    .expect("change a layer");
    let (previous, finished) = rebuild();
    assert!(
        finished
            .stdout
            .contains("Adding layer 'test/first:launch-layer'"),
        "{finished}"
    );
    let image = world.image(&app);
    let old = &previous.manifest.manifest.layers;
    let new = &image.manifest.manifest.layers;
    let changed: Vec<usize> = (0..new.len()).filter(|&i| old[i] != new[i]).collect();
    assert_eq!(changed.len(), 1, "only the changed layer differs");
    let expected = new[changed[0]].size + image.manifest.manifest.config.size;
    assert_eq!(
        proxy.body_bytes("/blobs/uploads/"),
        expected,
        "{:#?}",
        proxy.requests()
    );
}

#[test]
fn a_launch_layer_without_contents_is_the_previous_images_layer() {
    let world = World::start();
    let app = world.name("test/app:latest");
    world.export(&app, &[]);
    let label = world.label(&app, "io.buildpacks.lifecycle.metadata");
    let previous = world.image(&app);
    let previous_ref = format!("{}@{}", world.name("test/app"), previous.digest());
    world.write_analyzed(Some((&previous_ref, &label)), &world.run_digest_ref);
    fs::remove_dir_all(world.layers().join("test_first/launch-layer")).expect("rm layer dir");
    let finished = world.export(&app, &[]);
    assert!(
        finished
            .stdout
            .contains("Reusing layer 'test/first:launch-layer'"),
        "{finished}"
    );
    let after = world.label(&app, "io.buildpacks.lifecycle.metadata");
    let path = |value: &Value| value["buildpacks"][0]["layers"]["launch-layer"]["sha"].clone();
    assert_eq!(path(&after), path(&label));
    assert_eq!(world.image(&app).digest(), previous.digest());
}
