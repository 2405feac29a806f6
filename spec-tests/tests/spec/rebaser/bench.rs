//! `make bench-rebaser`: a fleet of 50 app images in one run against 50 sequential single
//! rebases, and a single rebase of an app with a 1 MiB layer against one with a 1 GiB layer.
//! The fleet figures are the best of two runs, the single ones the best of five interleaved
//! rounds; images alternate between run images v1 and v2 so that every run does a real swap.
//! The fleet is measured twice: against a registry that stores on disk (the target figure),
//! and against one that keeps everything in memory, which shows what is left when the
//! registry's own disk work (about 20 `fsync`s per rebased image) is taken out. Prints ratios
//! against the baselines measured in the same run; never fails on them (ignored in normal test
//! runs).

use std::process::Command;
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

/// Rebases `images` in one `-images-from` run onto `run`: the wall time, and the rebaser's
/// own CPU time (user and system, from `/usr/bin/time`).
fn in_one_run(images: &[String], run: &str) -> (Duration, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("images.txt");
    std::fs::write(&list, images.join("\n")).expect("list");
    let mut rebaser = World::rebaser("0.12");
    rebaser
        .args(["-run-image", run])
        .arg("-images-from")
        .arg(&list)
        .arg("-report")
        .arg(dir.path().join("report.toml"));
    let measured = dir.path().join("time.txt");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-o")
        .arg(&measured)
        .args(["-f", "%U %S"])
        .arg(rebaser.get_program())
        .args(rebaser.get_args());
    for (key, value) in rebaser.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let start = Instant::now();
    let finished = World::run(&mut timed);
    let elapsed = start.elapsed();
    assert_eq!(finished.code, Some(0), "{finished}");
    let text = std::fs::read_to_string(&measured).expect("time output");
    let cpu = text
        .split_whitespace()
        .map(|field| field.parse::<f64>().expect("seconds"))
        .sum();
    (elapsed, cpu)
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// A run's wall time, the registry's user and system CPU time during it, and the rebaser's
/// CPU time when measured.
#[derive(Clone, Copy)]
struct Timed {
    wall: Duration,
    registry: (f64, f64),
    rebaser: Option<f64>,
}

impl Timed {
    fn of(world: &World, run: impl FnOnce() -> (Duration, Option<f64>)) -> Self {
        let cpu = || world.registry.cpu_time().expect("registry CPU time");
        let before = cpu();
        let (wall, rebaser) = run();
        let after = cpu();
        Self {
            wall,
            registry: (after.0 - before.0, after.1 - before.1),
            rebaser,
        }
    }

    fn best(self, other: Self) -> Self {
        if other.wall < self.wall { other } else { self }
    }

    fn seconds(self) -> f64 {
        seconds(self.wall)
    }
}

/// The fleet in one run and the same images one run each, in `world`: the best of two of
/// each, interleaved.
fn fleet_and_sequential(world: &World) -> (Timed, Timed) {
    let (v1, v2) = (world.v1.clone(), world.v2.clone());
    let images = fleet(world, FLEET, None);
    let fleet = |run: &str| {
        let (wall, cpu) = in_one_run(&images, run);
        (wall, Some(cpu))
    };
    let seq_a = Timed::of(world, || (sequential(&images, &v2), None));
    let fleet_a = Timed::of(world, || fleet(&v1));
    let fleet_b = Timed::of(world, || fleet(&v2));
    let seq_b = Timed::of(world, || (sequential(&images, &v1), None));
    (fleet_a.best(fleet_b), seq_a.best(seq_b))
}

/// Prints a fleet line: both wall times, their ratio, and the registry's CPU time in each.
#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn report(what: &str, fleet: Timed, seq: Timed, target: &str) {
    println!(
        "  {what}: fleet of {FLEET} in one run {:.2} s; {FLEET} sequential single rebases {:.2} s; ratio {:.2}{target}",
        fleet.seconds(),
        seq.seconds(),
        fleet.seconds() / seq.seconds()
    );
    println!(
        "    registry CPU (user + system): fleet {:.2} + {:.2} s, singles {:.2} + {:.2} s",
        fleet.registry.0, fleet.registry.1, seq.registry.0, seq.registry.1
    );
    // What bounds the fleet: the CPU the registry and the rebaser spend, over the cores.
    let rebaser = fleet.rebaser.unwrap_or(0.0);
    let cores = std::thread::available_parallelism()
        .ok()
        .and_then(|cores| u32::try_from(cores.get()).ok())
        .unwrap_or(1);
    let floor = (rebaser + fleet.registry.0 + fleet.registry.1) / f64::from(cores);
    println!(
        "    fleet CPU: rebaser {rebaser:.2} s; with the registry's, over {cores} cores {floor:.2} s ({:.2} of the singles)",
        floor / seq.seconds()
    );
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
    report("registry on disk", fleet_time, seq, " (target <= 0.25)");
    report("registry in memory", memory_fleet, memory_seq, "");
    println!(
        "  single rebase, 1 MiB app: {:.0} ms; 1 GiB app: {:.0} ms; ratio {:.2} (target <= 1.5)",
        seconds(singles[0]) * 1000.0,
        seconds(singles[1]) * 1000.0,
        seconds(singles[1]) / seconds(singles[0])
    );
}
