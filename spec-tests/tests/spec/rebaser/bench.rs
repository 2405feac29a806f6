//! `make bench-rebaser`: a fleet of 50 app images in one run against 50 sequential single
//! rebases, and a single rebase of an app with a 1 MiB layer against one with a 1 GiB layer.
//! The fleet figures are the best of two runs, the single ones the best of five interleaved
//! rounds; images alternate between run images v1 and v2 so that every run does a real swap.
//! The fleet is measured twice: against a registry that stores on disk (the target figure),
//! and against one that keeps everything in memory, which shows what is left when the
//! registry's own disk work (about 20 `fsync`s per rebased image) is taken out. Prints ratios
//! against the baselines measured in the same run; never fails on them (ignored in normal test
//! runs).

use std::time::{Duration, Instant};

use super::fixture::{App, World};
use super::fleet::{FLEET, fleet};

/// The big app layer of the bench.
const GIB: u64 = 1 << 30;
/// Rounds of single rebases of the 1 MiB and the 1 GiB app.
const SINGLE_ROUNDS: usize = 5;

/// Rebases `images` one process each onto `run`; the time of the whole loop.
fn sequential(images: &[String], run: &str) -> Duration {
    let start = Instant::now();
    for image in images {
        let finished = World::run(
            World::rebaser("0.12")
                .args(["-run-image", run, "-report=/dev/null"])
                .arg(image),
        );
        assert_eq!(finished.code, Some(0), "{finished}");
    }
    start.elapsed()
}

/// Rebases `images` in one `-images-from` run onto `run`.
fn in_one_run(images: &[String], run: &str) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("images.txt");
    std::fs::write(&list, images.join("\n")).expect("list");
    let start = Instant::now();
    let finished = World::run(
        World::rebaser("0.12")
            .args(["-run-image", run])
            .arg("-images-from")
            .arg(&list)
            .arg("-report")
            .arg(dir.path().join("report.toml")),
    );
    let elapsed = start.elapsed();
    assert_eq!(finished.code, Some(0), "{finished}");
    elapsed
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// The fleet in one run and the same images one run each, in `world`: the best of two of
/// each, interleaved.
fn fleet_and_sequential(world: &World) -> (Duration, Duration) {
    let (v1, v2) = (world.v1.clone(), world.v2.clone());
    let images = fleet(world, FLEET, None);
    let seq_a = sequential(&images, &v2);
    let fleet_a = in_one_run(&images, &v1);
    let fleet_b = in_one_run(&images, &v2);
    let seq_b = sequential(&images, &v1);
    (fleet_a.min(fleet_b), seq_a.min(seq_b))
}

#[test]
#[ignore = "benchmark: run by make bench-rebaser"]
#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn bench_rebaser() {
    let (memory_fleet, memory_seq) = fleet_and_sequential(&World::in_memory());
    let world = World::start();
    let (fleet_time, seq) = fleet_and_sequential(&world);
    let (v1, v2) = (world.v1.clone(), world.v2.clone());

    let mut apps = Vec::new();
    for (repo, size) in [
        ("test/bench-small:latest", 1 << 20),
        ("test/bench-big:latest", GIB),
    ] {
        let layer = world.push_big_layer(&world.name(repo), size);
        let mirrors = [world.v1.as_str()];
        let app = App {
            mirrors: &mirrors,
            ..world.on_v1(repo)
        };
        apps.push(world.app_with_layer(&app, layer));
    }
    // Interleaved rounds, both apps onto the same base each round; the best of five.
    let mut singles = [Duration::MAX; 2];
    for round in 0..SINGLE_ROUNDS {
        let run = if round % 2 == 0 { &v2 } else { &v1 };
        for (best, app) in singles.iter_mut().zip(&apps) {
            *best = (*best).min(sequential(std::slice::from_ref(app), run));
        }
    }
    println!("rebaser bench (loopback registry, installed static lifecycle)");
    println!(
        "  fleet of {FLEET} in one run: {:.2} s; {FLEET} sequential single rebases: {:.2} s; ratio {:.2} (target <= 0.25)",
        seconds(fleet_time),
        seconds(seq),
        seconds(fleet_time) / seconds(seq)
    );
    println!(
        "  the same with the registry's storage in memory: {:.2} s; {:.2} s; ratio {:.2}",
        seconds(memory_fleet),
        seconds(memory_seq),
        seconds(memory_fleet) / seconds(memory_seq)
    );
    println!(
        "  single rebase, 1 MiB app: {:.0} ms; 1 GiB app: {:.0} ms; ratio {:.2} (target <= 1.5)",
        seconds(singles[0]) * 1000.0,
        seconds(singles[1]) * 1000.0,
        seconds(singles[1]) / seconds(singles[0])
    );
}
