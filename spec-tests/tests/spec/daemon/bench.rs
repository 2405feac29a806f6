//! `make bench-daemon`: the installed exporter loading an app with a 1 GiB launch layer into a
//! private dockerd (vfs), against `docker load` of the same image as a tarball (the image the
//! exporter made, `docker save`d), each from the same start: the run image in the daemon, the
//! app not. The best of three interleaved rounds each; prints the ratio (goal <= 1.2) and the
//! figures, never fails on them (ignored in normal test runs). Then a rebuild with unchanged
//! inputs (the previous image in the daemon, its layers in the launch cache).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use cnb_testkit::{Finished, Lifecycle};

use crate::daemon_support::DaemonSite;

const GIB: u64 = 1 << 30;
const FILE: u64 = 64 << 20;
const ROUNDS: usize = 3;

/// `dir` filled with `total` bytes of noise in 64 MiB files (xorshift, the same every run).
fn generate(dir: &Path, total: u64) {
    fs::create_dir_all(dir).expect("mkdir layer");
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut block = vec![0u8; 1 << 20];
    for index in 0..total / FILE {
        let file = fs::File::create(dir.join(format!("blob-{index:02}"))).expect("create");
        let mut file = BufWriter::new(file);
        for _ in 0..FILE / block.len() as u64 {
            for chunk in block.chunks_mut(8) {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                chunk.copy_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
            }
            file.write_all(&block).expect("write");
        }
    }
}

/// `<layers>` with one buildpack whose launch layer is `size` bytes, and an app dir.
fn build(dir: &Path, run: &str, size: u64) {
    let layers = dir.join("layers");
    fs::create_dir_all(layers.join("config")).expect("mkdir");
    fs::create_dir_all(dir.join("app")).expect("mkdir app");
    fs::write(dir.join("app/index.html"), "<h1>bench</h1>\n").expect("app");
    fs::write(
        layers.join("group.toml"),
        "[[group]]\n  id = \"bench\"\n  version = \"1.0.0\"\n  api = \"0.12\"\n",
    )
    .expect("group.toml");
    fs::write(layers.join("config/metadata.toml"), "").expect("metadata.toml");
    fs::create_dir_all(layers.join("bench")).expect("mkdir");
    fs::write(layers.join("bench/big.toml"), "[types]\n  launch = true\n").expect("toml");
    generate(&layers.join("bench/big"), size);
    analyzed(dir, run, "");
}

fn analyzed(dir: &Path, run: &str, previous: &str) {
    fs::write(
        dir.join("layers/analyzed.toml"),
        format!(
            "[image]\n  reference = \"{previous}\"\n\n[run-image]\n  reference = \"{run}\"\n  image = \"{run}\"\n"
        ),
    )
    .expect("analyzed.toml");
}

/// One `exporter -daemon -launch-cache` run; its wall time.
fn export(site: &DaemonSite, dir: &Path, app: &str) -> Duration {
    let lifecycle = Lifecycle::installed();
    let mut command = lifecycle.command("exporter");
    command
        .env("CNB_PLATFORM_API", "0.15")
        .env("DOCKER_HOST", site.daemon.host())
        .arg(format!("-layers={}", dir.join("layers").display()))
        .arg(format!("-app={}", dir.join("app").display()))
        .arg(format!(
            "-launcher={}",
            lifecycle.path("launcher").display()
        ))
        .arg(format!(
            "-launch-cache={}",
            dir.join("launch-cache").display()
        ))
        .args(["-daemon", app]);
    let start = Instant::now();
    let finished = Finished::run(&mut command);
    let elapsed = start.elapsed();
    assert_eq!(finished.code, Some(0), "{finished}");
    elapsed
}

/// `docker load -i <tar>`; its wall time.
fn load(site: &DaemonSite, tar: &Path) -> Duration {
    let start = Instant::now();
    site.daemon
        .run_docker(&["load", "-q", "-i", &tar.display().to_string()])
        .expect("docker load");
    start.elapsed()
}

fn remove(site: &DaemonSite, app: &str) {
    site.daemon.run_docker(&["rmi", app]).expect("docker rmi");
}

fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[test]
#[ignore = "benchmark: run by make bench-daemon"]
#[expect(clippy::print_stdout, reason = "a benchmark prints its figures")]
fn bench_daemon_export() {
    if !cnb_testkit::is_root() {
        println!("daemon bench: needs root (a private dockerd); skipped");
        return;
    }
    let site = DaemonSite::start();
    let dir = tempfile::Builder::new()
        .prefix("cnb-bench-daemon-")
        .tempdir_in("/var/tmp")
        .expect("work dir");
    fs::create_dir_all(dir.path().join("launch-cache")).expect("launch cache");
    build(dir.path(), &site.run_image, GIB);
    let app = site.name("bench/app:latest");
    let tar = dir.path().join("image.tar");

    let first = export(&site, dir.path(), &app);
    site.daemon
        .run_docker(&["save", "-o", &tar.display().to_string(), &app])
        .expect("docker save");
    remove(&site, &app);
    let (mut ours, mut theirs) = (first, Duration::MAX);
    for _ in 0..ROUNDS {
        theirs = theirs.min(load(&site, &tar));
        remove(&site, &app);
        ours = ours.min(export(&site, dir.path(), &app));
        remove(&site, &app);
    }
    // A rebuild: the previous image in the daemon and its layers in the launch cache.
    export(&site, dir.path(), &app);
    let previous = site.id(&app);
    analyzed(dir.path(), &site.run_image, &previous);
    let rebuild = export(&site, dir.path(), &app);
    assert_eq!(site.id(&app), previous, "unchanged inputs, same image");

    println!("daemon bench (private dockerd, vfs; installed static lifecycle; best of {ROUNDS})");
    println!(
        "  exporter -daemon, 1 GiB launch layer: {:.2} s; docker load of the same image: {:.2} s; ratio {:.2} (goal <= 1.2)",
        seconds(ours),
        seconds(theirs),
        seconds(ours) / seconds(theirs)
    );
    println!(
        "  rebuild with unchanged inputs: {:.2} s ({:.3} of the first export)",
        seconds(rebuild),
        seconds(rebuild) / seconds(ours)
    );
}
