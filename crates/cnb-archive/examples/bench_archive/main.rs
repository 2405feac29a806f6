//! `make bench`: exports a generated 1 GiB directory as a gzip and as a zstd layer through
//! `LayerWriter` (into a sink that only hashes: the writer's own digests), and prints the times
//! as ratios against baselines measured in the same run: `tar | gzip -1 | sha256sum`,
//! `tar | zstd -3 | sha256sum` (single-threaded floors), and `umoci insert` of the same
//! directory followed by `skopeo copy` to a loopback registry (once each; the others are the
//! best of two runs). Peak RSS is each export's own (it runs in a child process).
//! Benchmark, not test: it never fails on a figure.
//!
//! `cargo run --release -p cnb-archive --example bench_archive [-- <GiB, default 1> [<work dir>]]`
//! (a work dir given is kept, and its generated tree reused by the next run).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    reason = "a benchmark program: prints its report, top to bottom, and panics on a broken environment"
)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use cnb_archive::{Compression, LayerWriter, Owner, add_dir};

mod data;

const LAYER: &str = "/layers/bench_buildpack/the-layer";
/// Runs of each contender; the fastest counts.
const REPEAT: usize = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("export") {
        export(Path::new(&args[1]), &args[2], args[3].parse().unwrap());
        return ExitCode::SUCCESS;
    }
    let gib: f64 = args.first().map_or(1.0, |gib| gib.parse().unwrap());
    let temp = tempfile::Builder::new()
        .prefix("cnb-archive-bench-")
        .tempdir()
        .unwrap();
    let work = args.get(1).map_or(temp.path().to_owned(), PathBuf::from);
    let root = work.join("root");
    let _ = fs::remove_dir_all(work.join("layout"));
    let started = Instant::now();
    let bytes = data::generate(
        &root.join(LAYER.trim_start_matches('/')),
        (gib * f64::from(1 << 30)) as u64,
    );
    println!(
        "generated {} in {:.1} s: {}",
        mib(bytes),
        started.elapsed().as_secs_f64(),
        data::describe()
    );
    // warm the page cache so that every contender reads from memory
    shell(&format!(
        "tar -cf - -C {} layers > /dev/null",
        root.display()
    ));

    let tar = format!("tar -cf - -C {} layers", root.display());
    let gzip_floor = best(|| shell(&format!("{tar} | gzip -1 | sha256sum > /dev/null")));
    let zstd_floor = best(|| shell(&format!("{tar} | zstd -3 -T1 -q | sha256sum > /dev/null")));
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let ours_gzip = child_export(&root, "gzip", threads);
    let ours_gzip_1 = child_export(&root, "gzip", 1);
    let ours_isal = child_export(&root, "isal", threads);
    let ours_isal_1 = child_export(&root, "isal", 1);
    let ours_zstd = child_export(&root, "zstd", threads);
    let ours_zstd_1 = child_export(&root, "zstd", 1);
    let registry = cnb_testkit::RegistryFixture::start().unwrap();
    let (umoci, skopeo) = umoci_and_skopeo(&work, &root, &registry);
    let pushes = push_layer_program().map(|program| {
        let push = |kind: &str| {
            best_run(|| {
                child_push(
                    &program,
                    &root,
                    &registry.reference(&format!("bench-{kind}")),
                    kind,
                )
            })
        };
        (push("gzip"), push("zstd"), push("isal"))
    });

    println!();
    println!("| run | time | MB/s of input | blob | peak RSS |");
    println!("|---|---|---|---|---|");
    let rate = |seconds: f64| bytes as f64 / seconds / 1e6;
    println!(
        "| tar \\| gzip -1 \\| sha256sum (floor) | {gzip_floor:.2} s | {:.0} | | |",
        rate(gzip_floor)
    );
    println!(
        "| tar \\| zstd -3 -T1 \\| sha256sum (floor) | {zstd_floor:.2} s | {:.0} | | |",
        rate(zstd_floor)
    );
    for (name, run) in [
        (format!("ours gzip -1, {threads} threads"), &ours_gzip),
        ("ours gzip -1, 1 thread".to_owned(), &ours_gzip_1),
        (format!("ours gzip ISA-L 1, {threads} threads"), &ours_isal),
        ("ours gzip ISA-L 1, 1 thread".to_owned(), &ours_isal_1),
        (format!("ours zstd -3, {threads} threads"), &ours_zstd),
        ("ours zstd -3, 1 thread".to_owned(), &ours_zstd_1),
    ] {
        println!(
            "| {name} | {:.2} s | {:.0} | {} | {} |",
            run.seconds,
            rate(run.seconds),
            mib(run.blob),
            mib(run.peak_rss)
        );
    }
    println!(
        "| umoci insert (gzip layer) | {umoci:.2} s | {:.0} | | |",
        rate(umoci)
    );
    println!("| skopeo copy to loopback registry | {skopeo:.2} s | | | |");
    println!("| umoci + skopeo | {:.2} s | | | |", umoci + skopeo);
    if let Some((gzip, zstd, isal)) = &pushes {
        for (name, run) in [
            ("ours gzip -1 → loopback registry", gzip),
            ("ours zstd -3 → loopback registry", zstd),
            ("ours gzip ISA-L → loopback registry", isal),
        ] {
            println!(
                "| {name} | {:.2} s | {:.0} | {} | {} |",
                run.seconds,
                rate(run.seconds),
                mib(run.blob),
                mib(run.peak_rss)
            );
        }
    }
    println!();
    println!("ratios (target in brackets):");
    println!(
        "  ours gzip / umoci+skopeo   = {:.2}  [<= 0.5]",
        ours_gzip.seconds / (umoci + skopeo)
    );
    println!(
        "  ours gzip / gzip -1 floor  = {:.2}  [<= 1.3]",
        ours_gzip.seconds / gzip_floor
    );
    println!(
        "  ours zstd / zstd -3 floor  = {:.2}  [<= 1.3]",
        ours_zstd.seconds / zstd_floor
    );
    println!(
        "  ours gzip 1 thread / floor = {:.2}",
        ours_gzip_1.seconds / gzip_floor
    );
    println!(
        "  ours ISA-L / gzip -1 floor = {:.2} (1 thread: {:.2})",
        ours_isal.seconds / gzip_floor,
        ours_isal_1.seconds / gzip_floor
    );
    println!(
        "  ours zstd 1 thread / floor = {:.2}",
        ours_zstd_1.seconds / zstd_floor
    );
    let rss = ours_gzip.peak_rss.max(ours_zstd.peak_rss);
    println!("  peak RSS                   = {}  [<= 64 MiB]", mib(rss));
    match &pushes {
        Some((gzip, zstd, isal)) => {
            println!(
                "  ours gzip → registry / umoci+skopeo = {:.2}  [<= 0.5]",
                gzip.seconds / (umoci + skopeo)
            );
            println!(
                "  ours zstd → registry / umoci+skopeo = {:.2}",
                zstd.seconds / (umoci + skopeo)
            );
            println!(
                "  ours ISA-L → registry / umoci+skopeo = {:.2}  [<= 0.5]",
                isal.seconds / (umoci + skopeo)
            );
            let rss = gzip.peak_rss.max(zstd.peak_rss).max(isal.peak_rss);
            println!(
                "  peak RSS with the upload           = {}  [<= 64 MiB]",
                mib(rss)
            );
        }
        None => println!(
            "(set {PUSH_LAYER_VAR} to cnb-registry's push_layer example, as `make bench` does, to measure the push to the registry too)"
        ),
    }
    ExitCode::SUCCESS
}

/// The variable naming cnb-registry's `push_layer` example (built by `make bench-archive`).
const PUSH_LAYER_VAR: &str = "CNB_BENCH_PUSH_LAYER";

fn push_layer_program() -> Option<PathBuf> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the Makefile passes the helper's path"
    )]
    std::env::var_os(PUSH_LAYER_VAR).map(PathBuf::from)
}

/// Exports the layer straight into the registry with `program` (a child process, so that its
/// peak RSS is its own).
fn child_push(program: &Path, root: &Path, target: &str, kind: &str) -> Run {
    let started = Instant::now();
    let output = Command::new(program)
        .args([root.to_str().unwrap(), LAYER, target, kind])
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    Run {
        seconds,
        blob: fields[0].parse().unwrap(),
        peak_rss: fields[1].parse().unwrap(),
    }
}

/// The faster of [`REPEAT`] runs.
fn best_run(run: impl Fn() -> Run) -> Run {
    (1..REPEAT).fold(run(), |best, _| {
        let next = run();
        if next.seconds < best.seconds {
            next
        } else {
            best
        }
    })
}

/// One export's figures.
struct Run {
    seconds: f64,
    blob: u64,
    peak_rss: u64,
}

/// Child mode: exports `root`'s layer and prints `<blob bytes> <VmHWM bytes> <digest>`.
fn export(root: &Path, kind: &str, threads: usize) {
    let compression = match kind {
        "gzip" => Compression::gzip(),
        "isal" => Compression::gzip_by(cnb_archive::GzipEngine::Isal),
        _ => Compression::zstd(),
    };
    let mut writer = LayerWriter::with_threads(std::io::sink(), compression, threads).unwrap();
    add_dir(&mut writer, root, Path::new(LAYER), Owner::new(1000, 1000)).unwrap();
    let (_, digests) = writer.finish().unwrap();
    println!("{} {} {}", digests.size, peak_rss(), digests.digest);
}

/// The faster of [`REPEAT`] exports (the figures of the faster one).
fn child_export(root: &Path, kind: &str, threads: usize) -> Run {
    (1..REPEAT).fold(child_export_once(root, kind, threads), |best, _| {
        let run = child_export_once(root, kind, threads);
        if run.seconds < best.seconds {
            run
        } else {
            best
        }
    })
}

fn child_export_once(root: &Path, kind: &str, threads: usize) -> Run {
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let output = Command::new(exe)
        .args(["export", root.to_str().unwrap(), kind, &threads.to_string()])
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<&str> = text.split_whitespace().collect();
    Run {
        seconds,
        blob: fields[0].parse().unwrap(),
        peak_rss: fields[1].parse().unwrap(),
    }
}

/// `VmHWM` of this process, in bytes.
fn peak_rss() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// `umoci insert` of the layer dir into a fresh image, then `skopeo copy` of that image to a
/// loopback registry: the seconds each took.
fn umoci_and_skopeo(
    work: &Path,
    root: &Path,
    registry: &cnb_testkit::RegistryFixture,
) -> (f64, f64) {
    let layout = work.join("layout");
    let image = format!("{}:bench", layout.display());
    run("umoci", &["init", "--layout", layout.to_str().unwrap()]);
    run("umoci", &["new", "--image", &image]);
    let source = root.join(LAYER.trim_start_matches('/'));
    let umoci = timed(|| {
        run(
            "umoci",
            &["insert", "--image", &image, source.to_str().unwrap(), LAYER],
        );
    });
    let destination = format!("docker://{}", registry.reference("bench:latest"));
    let skopeo = timed(|| {
        run(
            "skopeo",
            &[
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                &format!("oci:{image}"),
                &destination,
            ],
        );
    });
    (umoci, skopeo)
}

/// The shortest of [`REPEAT`] runs of `action`: the least disturbed by other load.
fn best(action: impl Fn()) -> f64 {
    (0..REPEAT)
        .map(|_| timed(&action))
        .fold(f64::INFINITY, f64::min)
}

fn timed(action: impl FnOnce()) -> f64 {
    let started = Instant::now();
    action();
    started.elapsed().as_secs_f64()
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{program} {args:?} failed");
}

fn shell(script: &str) {
    let status = Command::new("sh").args(["-ec", script]).status().unwrap();
    assert!(status.success(), "{script} failed");
    std::io::stdout().flush().unwrap();
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}
