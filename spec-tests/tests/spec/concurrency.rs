//! Two builds writing one tag at once (issue 17): both finish, and the tag names one whole
//! image, the one of either report.toml; nothing they share is left half-written.
//!
//! The creators share the registry, the tag and the volume cache directory: that is what two
//! builds of one app do on a platform that keeps one cache volume per image (pack does), and
//! the cache is where two writers could spoil each other (they take turns, see
//! `cnb_cache::VolumeCacheWriter`). Two exporters share an OCI layout root and a tag (and
//! each writes a tag of its own): `index.json` is replaced whole, never edited in place.

use std::fs;
use std::path::Path;

use cnb_image::Digest;
use cnb_layout::LayoutStore;
use cnb_registry::Environment;
use cnb_testkit::{Finished, TarLayer, hand_to_build_user};

use crate::crash::check;
use crate::crash::kill::Running;
use crate::creator::Create;
use crate::exporter::fixture::World;
use crate::image_support::{push_image, reference, registry_store};

/// Both ran to success, each with one report naming its image.
fn report_digest(finished: &Finished, report: &Path, who: &str) -> Digest {
    assert_eq!(finished.code, Some(0), "{who}\n{finished}");
    assert!(!finished.stderr.contains("panicked"), "{who}\n{finished}");
    let text = fs::read_to_string(report).unwrap_or_else(|error| panic!("{who}: report: {error}"));
    let table: toml::Table = toml::from_str(&text).expect("report.toml");
    table["image"]["digest"]
        .as_str()
        .expect("digest")
        .parse()
        .expect("a digest")
}

#[test]
fn two_creators_building_one_tag_with_one_cache_dir_both_finish_on_one_whole_image() {
    let first = Create::new();
    let second = first.beside();
    let cache = first.dir.join("cache");
    fs::create_dir(&cache).expect("cache dir");
    hand_to_build_user(&cache);
    let cache_arg = format!("-cache-dir={}", cache.display());
    let tag = first.registry.reference("test/app:latest");
    let store = registry_store(&Environment::default(), &[]);
    for round in 0..3 {
        for (create, who) in [(&first, "first"), (&second, "second")] {
            create.fresh_layers();
            fs::write(create.app().join("main.txt"), format!("{who} {round}\n")).expect("app");
        }
        // -skip-restore: here each creator's layers directory has a path of its own (on a
        // platform it is /layers for every build), and the previous image's SBOM layer names
        // the paths of the build that made it. Restoring it, as Go does, into the recorded
        // paths would write into the other creator's layers while it runs. Both still write
        // the shared cache, which the last build below reads.
        let runs: Vec<Running> = [&first, &second]
            .iter()
            .map(|create| {
                Running::start(create.as_build_user().args([
                    "-skip-restore",
                    cache_arg.as_str(),
                    tag.as_str(),
                ]))
            })
            .collect();
        let finished: Vec<Finished> = runs.into_iter().map(Running::wait).collect();
        let digests = [
            report_digest(&finished[0], &first.layers().join("report.toml"), "first"),
            report_digest(&finished[1], &second.layers().join("report.toml"), "second"),
        ];
        assert_ne!(digests[0], digests[1], "two different apps");
        let context = format!("round {round}");
        let named = check::whole_image(&store, &tag, &context).expect("the tag exists");
        assert!(
            digests.contains(&named),
            "{context}: the tag names {named}, neither build's image {digests:?}"
        );
        check::volume_cache_clean(&cache, &context);
    }
    // And the cache they left serves the next build.
    first.fresh_layers();
    let finished = Finished::run(first.as_build_user().args([&cache_arg, &tag]));
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished.stdout.contains("restored greeting.toml"),
        "{finished}"
    );
}

/// An exporter's build whose run image is `run_name` in the layout at `root`.
fn layout_build(root: &Path, run_name: &str, run_digest: Digest, app: &str) -> World {
    let world = World::start();
    let run_path = cnb_layout::layout_path(root, &reference(run_name)).expect("path");
    fs::write(
        world.layers().join("analyzed.toml"),
        format!(
            "[run-image]\n  reference = \"{}@{run_digest}\"\n  image = \"{run_name}\"\n",
            run_path.display()
        ),
    )
    .expect("analyzed.toml");
    fs::write(world.app().join("who.txt"), app).expect("app");
    world
}

#[test]
fn two_exporters_writing_one_layout_at_once_lose_no_tag_and_leave_whole_indexes() {
    let root = tempfile::tempdir().expect("temp dir");
    let store = LayoutStore::new(root.path());
    let run_name = "example.com/test/run:v1";
    let run = push_image(
        &store,
        &[reference(run_name)],
        &[TarLayer::of(&[("etc/os-release", "ID=busybox\n")])],
        &[],
    );
    let builds = [
        layout_build(root.path(), run_name, run.digest, "first\n"),
        layout_build(root.path(), run_name, run.digest, "second\n"),
    ];
    let shared = "example.com/test/app:latest";
    let own = ["example.com/test/first:tag", "example.com/test/second:tag"];
    for round in 0..5 {
        let runs: Vec<Running> = builds
            .iter()
            .zip(own)
            .map(|(world, own)| {
                let _ = fs::remove_file(world.layers().join("report.toml"));
                fs::write(world.app().join("round.txt"), format!("{round}\n")).expect("app");
                Running::start(
                    world
                        .exporter("0.15")
                        .env("CNB_EXPERIMENTAL_MODE", "silent")
                        .arg("-layout")
                        .arg(format!("-layout-dir={}", root.path().display()))
                        .args([shared, own]),
                )
            })
            .collect();
        let finished: Vec<Finished> = runs.into_iter().map(Running::wait).collect();
        let digests: Vec<Digest> = builds
            .iter()
            .zip(&finished)
            .zip(["first", "second"])
            .map(|((world, finished), who)| {
                report_digest(finished, &world.layers().join("report.toml"), who)
            })
            .collect();
        let context = format!("round {round}");
        let named = check::whole_image(&store, shared, &context).expect("the shared tag");
        assert!(
            digests.contains(&named),
            "{context}: {shared} names {named}, neither export's image {digests:?}"
        );
        for (own, digest) in own.iter().zip(&digests) {
            assert_eq!(
                check::whole_image(&store, own, &context),
                Some(*digest),
                "{context}: {own} lost"
            );
        }
        let dirs: Vec<_> = std::iter::once(shared)
            .chain(own)
            .flat_map(|tag| {
                let dir = cnb_layout::layout_path(root.path(), &reference(tag)).expect("path");
                [dir.join("blobs/sha256"), dir]
            })
            .collect();
        check::no_staged_files(&dirs, &context);
    }
}
