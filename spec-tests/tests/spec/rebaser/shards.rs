//! Fleet rebase across machines (`-shard`, `-shard-count` with `JOB_COMPLETION_INDEX`,
//! `-merge-reports`): 200 app images, four shards run as parallel processes that read the
//! list in four different orders, as four pods of a Kubernetes Indexed Job would. Each image is
//! rebased exactly once (one manifest PUT per image seen by a recording proxy), every image
//! ends on the new run image, and the merged report lists each once. Bad shard values are an
//! invalid input (exit 3, one `ERROR:` line).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cnb_testkit::{Finished, RegistryProxy, TarLayer};
use serde_json::Value;

use super::fixture::{APP_FILE, App, World};

const IMAGES: usize = 200;
const SHARDS: usize = 4;

/// Pushes `IMAGES` apps on v1 as tags of one repository (`test/fleet:<n>`; one repository
/// keeps seeding to a few requests per image: its layers are there after the first), four
/// threads at a time. Returns the apps' names as reached through `proxy_host`.
fn seed(world: &World, mirrors: &[&str], proxy_host: &str) -> Vec<String> {
    let layer = world.push_gzip(&world.name("test/fleet:0"), &TarLayer::of(&[APP_FILE]));
    let tags: Vec<String> = (0..IMAGES).map(|n| format!("test/fleet:{n}")).collect();
    let mut names: Vec<String> = Vec::new();
    std::thread::scope(|scope| {
        let workers: Vec<_> = tags
            .chunks(IMAGES.div_ceil(4))
            .map(|chunk| {
                let layer = &layer;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|tag| {
                            let index = tag.rsplit(':').next().unwrap_or_default();
                            let labels = [("io.test.index", index)];
                            let app = App {
                                labels: &labels,
                                mirrors,
                                ..App::new(tag, &world.v1)
                            };
                            world.app_with_layer(&app, layer.clone())
                        })
                        .collect::<Vec<String>>()
                })
            })
            .collect();
        for worker in workers {
            names.extend(worker.join().expect("seeding thread"));
        }
    });
    names
        .iter()
        .map(|name| name.replacen(&world.registry.host(), proxy_host, 1))
        .collect()
}

/// The list in the order shard `k` reads it: rotated by a quarter per shard, every other
/// one reversed.
fn ordered_for(images: &[String], k: usize) -> Vec<String> {
    let mut list = images.to_vec();
    list.rotate_left(k * images.len() / SHARDS);
    if k % 2 == 1 {
        list.reverse();
    }
    list
}

/// The lines of a fleet report.
fn read_report(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Runs the four shards at once, each a rebaser process reading its own copy of the list
/// (in `dir`) and reporting into `reports`: shards 0 and 1 as pods of a Kubernetes Indexed
/// Job, 2 and 3 with `-shard`.
fn run_shards(dir: &Path, reports: &Path, images: &[String], run: &str) -> Vec<Finished> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..SHARDS)
            .map(|k| {
                let list = dir.join(format!("images-{k}.txt"));
                let text = ordered_for(images, k).join("\n");
                std::fs::write(&list, format!("# shard {k}'s copy\n{text}\n")).expect("list");
                let mut command = World::rebaser("0.13");
                command
                    .args(["-run-image", run])
                    .arg("-images-from")
                    .arg(&list)
                    .arg("-report")
                    .arg(reports.join("report.toml"));
                if k < 2 {
                    // As a pod of a Kubernetes Indexed Job with completions: 4.
                    command
                        .env("CNB_REBASE_SHARD_COUNT", SHARDS.to_string())
                        .env("JOB_COMPLETION_INDEX", k.to_string());
                } else {
                    command.arg("-shard").arg(format!("{k}/{SHARDS}"));
                }
                scope.spawn(move || World::run(&mut command))
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("shard thread"))
            .collect()
    })
}

#[test]
fn two_hundred_images_in_four_parallel_shards_are_each_rebased_once_and_merged() {
    let world = World::in_memory();
    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    let run = world.v2.replacen(&world.registry.host(), &proxy.host(), 1);
    let mirrors = [run.as_str()];
    let images = seed(&world, &mirrors, &proxy.host());
    assert_eq!(images.len(), IMAGES);

    let dir = tempfile::tempdir().expect("temp dir");
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).expect("reports dir");
    proxy.clear();
    let runs = run_shards(dir.path(), &reports, &images, &run);
    for (k, finished) in runs.iter().enumerate() {
        assert_eq!(finished.code, Some(0), "shard {k}: {finished}");
    }

    // Exactly one manifest written per image, whichever shard wrote it.
    let mut puts: BTreeMap<String, usize> = BTreeMap::new();
    for request in proxy.requests() {
        if request.method == "PUT" && request.path.contains("/manifests/") {
            *puts.entry(request.path).or_default() += 1;
        }
    }
    assert_eq!(puts.len(), IMAGES, "{puts:#?}");
    for n in 0..IMAGES {
        let path = format!("/v2/test/fleet/manifests/{n}");
        assert_eq!(puts.get(&path), Some(&1), "{path}");
    }

    let mut per_shard = Vec::new();
    for (k, finished) in runs.iter().enumerate() {
        let report = reports.join(format!("fleet-report-shard-{k}-of-{SHARDS}.jsonl"));
        let lines = read_report(&report);
        let count = lines.len();
        assert!(
            finished.stdout.contains(&format!(
                "Shard {k}/{SHARDS}: {count} of {IMAGES} listed images"
            )),
            "shard {k}: {finished}"
        );
        for line in &lines {
            assert_eq!(line["shard"]["index"], k, "{line}");
            assert_eq!(line["shard"]["count"], SHARDS, "{line}");
        }
        per_shard.push(count);
    }
    // An even split: no shard took the whole list, none was left idle.
    assert!(
        per_shard.iter().all(|&n| n > 0 && n < IMAGES),
        "{per_shard:?}"
    );
    assert_eq!(per_shard.iter().sum::<usize>(), IMAGES, "{per_shard:?}");

    let merged_dir = dir.path().join("merged");
    std::fs::create_dir(&merged_dir).expect("merged dir");
    let finished = World::run(
        World::rebaser("0.13")
            .arg("-merge-reports")
            .arg(&reports)
            .arg("-report")
            .arg(merged_dir.join("report.toml")),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished
            .stdout
            .contains(&format!("Rebased {IMAGES} of {IMAGES} images")),
        "{finished}"
    );
    let merged = read_report(&merged_dir.join("fleet-report.jsonl"));
    assert_eq!(merged.len(), IMAGES);
    let listed: BTreeSet<&str> = merged
        .iter()
        .map(|line| line["image"].as_str().unwrap_or_default())
        .collect();
    let expected: BTreeSet<&str> = images.iter().map(String::as_str).collect();
    assert_eq!(listed, expected, "each image once");
    let v2_base = world.image(&world.v2).config.rootfs.diff_ids;
    for line in &merged {
        let name = line["image"].as_str().unwrap_or_default();
        let direct = name.replacen(&proxy.host(), &world.registry.host(), 1);
        let image = world.image(&direct);
        assert_eq!(line["new-digest"], image.digest().to_string(), "{line}");
        assert_eq!(line["run-image"], run, "{line}");
        assert_eq!(
            image.config.rootfs.diff_ids[..v2_base.len()],
            v2_base[..],
            "{name} sits on v2"
        );
    }

    // A shard whose pod never finished: the merge names it and writes nothing.
    std::fs::remove_file(reports.join(format!("fleet-report-shard-2-of-{SHARDS}.jsonl")))
        .expect("remove");
    std::fs::remove_file(merged_dir.join("fleet-report.jsonl")).expect("remove");
    let finished = World::run(
        World::rebaser("0.13")
            .arg("-merge-reports")
            .arg(&reports)
            .arg("-report")
            .arg(merged_dir.join("report.toml")),
    );
    assert_eq!(finished.code, Some(3), "{finished}");
    assert_eq!(
        finished.stderr,
        "ERROR: failed to merge fleet reports: missing the reports of shard 2/4 (of 4 shards)\n"
    );
    assert!(!merged_dir.join("fleet-report.jsonl").exists());
}

/// Arguments, environment, and the message after `failed to resolve inputs: `.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_shard_values_are_invalid_inputs_on_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("images.txt");
    std::fs::write(&list, "127.0.0.1:1/app\n").expect("list");
    let cases: [Case<'_>; 6] = [
        (
            &["-shard", "4/4"],
            &[],
            r#"-shard "4/4" is not a shard: the index must be below the count (shards are numbered from 0)"#,
        ),
        (
            &[],
            &[("CNB_REBASE_SHARD", "0/0")],
            r#"CNB_REBASE_SHARD "0/0" is not a shard: the count must be at least 1"#,
        ),
        (
            &["-shard", "x"],
            &[],
            r#"-shard "x" is not a shard: expected <index>/<count>, such as 0/4"#,
        ),
        (
            &["-shard-count", "4"],
            &[],
            "a shard count of 4 needs the shard's index: give -shard <index>/4, or run in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)",
        ),
        (
            &[],
            &[
                ("CNB_REBASE_SHARD_COUNT", "4"),
                ("JOB_COMPLETION_INDEX", "4"),
            ],
            r#"JOB_COMPLETION_INDEX "4" is not a shard index below the shard count 4"#,
        ),
        (
            &["-shard-count", "0"],
            &[("JOB_COMPLETION_INDEX", "0")],
            r#"-shard-count "0" is not a shard count: expected a whole number of at least 1"#,
        ),
    ];
    for (args, env, message) in cases {
        let mut command = World::rebaser("0.13");
        command
            .args(args)
            .arg("-images-from")
            .arg(&list)
            .envs(env.iter().copied());
        let finished = World::run(&mut command);
        assert_eq!(finished.code, Some(3), "{args:?} {env:?}: {finished}");
        assert_eq!(
            finished.stderr,
            format!("ERROR: failed to resolve inputs: {message}\n"),
            "{args:?} {env:?}"
        );
    }
    let finished = World::run(World::rebaser("0.13").args(["-shard", "0/2", "127.0.0.1:1/app"]));
    assert_eq!(finished.code, Some(3), "{finished}");
    assert!(
        finished.stderr.contains("apply to -images-from only"),
        "{finished}"
    );
    let finished = World::run(
        World::rebaser("0.13")
            .arg("-merge-reports")
            .arg(dir.path())
            .arg("-images-from")
            .arg(&list),
    );
    assert_eq!(finished.code, Some(3), "{finished}");
    assert_eq!(
        finished.stderr,
        "ERROR: failed to parse arguments: -merge-reports cannot be combined with -images-from\n"
    );
}
