//! `make bench-creator` (as root): the creator exporting a tree of real files from this
//! machine (`/usr/lib/x86_64-linux-gnu`, `/usr/share/doc`, then `/usr/bin` up to
//! [`TREE_BYTES`]) as one gzip launch layer to a loopback registry, with the default engine
//! (zlib-rs) and with `CNB_GZIP_ENGINE=isal`; then two rebuilds: one that keeps the layer
//! (the buildpack leaves only `tree.toml`) and one that re-creates identical content. Against
//! baselines measured in the same rounds: `umoci insert` + `skopeo copy` of the same tree,
//! `tar | pigz -1 -p 2 | sha256sum` and `tar | sha256sum`. Each figure is the median of
//! [`ROUNDS`] interleaved rounds, printed with its spread; peak RSS and CPU time are the
//! creator's own (`/usr/bin/time`), and the registry's CPU time comes from `/proc`: their sum
//! over the cores is what a first build cannot go below. The bytes a rebuild sends are counted
//! by the testkit's proxy. Prints the figures; never fails on them (ignored in normal test
//! runs).
//!
//! The tree is built once under `$CNB_BENCH_DIR` (default `/var/tmp/cnb-bench-creator`) and
//! reused by later runs.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    reason = "a benchmark prints its figures"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use cnb_testkit::{
    BUILD_UID, Lifecycle, RegistryFixture, RegistryProxy, RunImage, hand_to_build_user, is_root,
};

/// The tree's size: at least 1 GiB.
const TREE_BYTES: u64 = 1_300_000_000;
/// Interleaved rounds; each figure is their median.
const ROUNDS: usize = 3;

/// One creator run's figures.
#[derive(Clone, Copy)]
struct Run {
    seconds: f64,
    peak_rss: u64,
    /// The creator's CPU time (user and system, all its threads and children).
    cpu: f64,
    /// The registry's CPU time during the run.
    registry_cpu: f64,
}

struct Bench {
    work: PathBuf,
    tree: PathBuf,
    registry: RegistryFixture,
    run_image: String,
}

impl Bench {
    fn layers(&self) -> PathBuf {
        self.work.join("layers")
    }

    /// Runs the creator (as root, dropping to the build user) in `mode`, writing `image`.
    fn create(&self, image: &str, mode: &str, engine: Option<&str>) -> Run {
        let layers = self.layers();
        if mode == "create-fresh" {
            let _ = fs::remove_dir_all(&layers);
        }
        fs::create_dir_all(&layers).expect("layers");
        for entry in fs::read_dir(&layers).expect("read layers") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                fs::remove_dir_all(&path).expect("rm");
            } else {
                fs::remove_file(&path).expect("rm");
            }
        }
        fs::write(
            layers.join("order.toml"),
            "[[order]]\n  [[order.group]]\n    id = \"bench/tree\"\n    version = \"1\"\n",
        )
        .expect("order.toml");
        let env = self.work.join("platform/env");
        fs::create_dir_all(&env).expect("platform env");
        fs::write(env.join("BENCH_TREE"), self.tree.to_str().expect("utf-8")).expect("tree");
        let mode = if mode == "create-fresh" {
            "create"
        } else {
            mode
        };
        fs::write(env.join("BENCH_MODE"), mode).expect("mode");
        hand_to_build_user(&layers);
        hand_to_build_user(&self.work.join("workspace"));
        let lifecycle = Lifecycle::installed();
        let measured = self.work.join("time.txt");
        let mut command = Command::new("/usr/bin/time");
        command
            .arg("-o")
            .arg(&measured)
            .args(["-f", "%e %M %U %S"])
            .arg(lifecycle.path("creator"))
            .env("CNB_PLATFORM_API", "0.15")
            .env_remove("CNB_GZIP_ENGINE")
            .arg(format!("-layers={}", layers.display()))
            .arg(format!("-app={}", self.work.join("workspace").display()))
            .arg(format!(
                "-buildpacks={}",
                self.work.join("buildpacks").display()
            ))
            .arg(format!(
                "-platform={}",
                self.work.join("platform").display()
            ))
            .arg(format!(
                "-launcher={}",
                lifecycle.path("launcher").display()
            ))
            .arg(format!("-run-image={}", self.run_image))
            .arg(format!("-uid={BUILD_UID}"))
            .arg(format!("-gid={BUILD_UID}"))
            .arg(image)
            .stdout(Stdio::null());
        if let Some(engine) = engine {
            command.env("CNB_GZIP_ENGINE", engine);
        }
        let registry_before = self.registry_cpu();
        let output = command.output().expect("creator");
        let registry_cpu = self.registry_cpu() - registry_before;
        assert!(
            output.status.success(),
            "creator {mode}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = fs::read_to_string(&measured).expect("time output");
        let fields: Vec<&str> = text.split_whitespace().collect();
        let number = |field: &str| field.parse::<f64>().expect("seconds");
        Run {
            seconds: number(fields[0]),
            peak_rss: fields[1].parse::<u64>().expect("KiB") * 1024,
            cpu: number(fields[2]) + number(fields[3]),
            registry_cpu,
        }
    }

    /// The CPU seconds (user and system) the registry has used so far.
    fn registry_cpu(&self) -> f64 {
        let (user, system) = self.registry.cpu_time().expect("registry CPU time");
        user + system
    }
}

/// Copies real files from this machine into `tree` until it holds [`TREE_BYTES`] (once);
/// returns its bytes and file count.
fn tree(tree: &Path) -> (u64, u64) {
    let done = tree.with_extension("complete");
    if !done.exists() {
        let _ = fs::remove_dir_all(tree);
        fs::create_dir_all(tree).expect("tree");
        for (from, to) in [
            ("/usr/lib/x86_64-linux-gnu", "lib"),
            ("/usr/share/doc", "doc"),
        ] {
            shell(&format!("cp -a {from} {}/{to}", tree.display()));
        }
        let bin = tree.join("bin");
        fs::create_dir_all(&bin).expect("bin");
        let mut names: Vec<_> = fs::read_dir("/usr/bin")
            .expect("/usr/bin")
            .map(|entry| entry.expect("entry").path())
            .collect();
        names.sort();
        for path in names {
            if size_of_tree(tree).0 >= TREE_BYTES {
                break;
            }
            if fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_file()) {
                fs::copy(&path, bin.join(path.file_name().expect("name"))).expect("copy");
            }
        }
        shell(&format!(
            "chown -R {BUILD_UID}:{BUILD_UID} {}",
            tree.display()
        ));
        fs::write(&done, "").expect("mark");
    }
    size_of_tree(tree)
}

fn size_of_tree(tree: &Path) -> (u64, u64) {
    let output = Command::new("sh")
        .args([
            "-c",
            &format!("find {} -type f -printf '%s\\n'", tree.display()),
        ])
        .output()
        .expect("find");
    let sizes: Vec<u64> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.parse().ok())
        .collect();
    (sizes.iter().sum(), sizes.len() as u64)
}

fn shell(script: &str) {
    let status = Command::new("sh")
        .args(["-ec", script])
        .status()
        .expect("sh");
    assert!(status.success(), "{script}");
}

fn timed(script: &str) -> f64 {
    let start = Instant::now();
    shell(script);
    start.elapsed().as_secs_f64()
}

/// `umoci insert` of the tree into a fresh image, then `skopeo copy` of it to the registry.
fn umoci_and_skopeo(bench: &Bench, round: usize) -> (f64, f64) {
    let layout = bench.work.join("umoci");
    let _ = fs::remove_dir_all(&layout);
    let image = format!("{}:bench", layout.display());
    shell(&format!(
        "umoci init --layout {0} && umoci new --image {image}",
        layout.display()
    ));
    let umoci = timed(&format!(
        "umoci insert --image {image} {} /tree > /dev/null",
        bench.tree.display()
    ));
    let destination = bench
        .registry
        .reference(&format!("test/umoci-{round}:latest"));
    let skopeo = timed(&format!(
        "skopeo copy --quiet --dest-tls-verify=false oci:{image} docker://{destination}"
    ));
    (umoci, skopeo)
}

/// The median and the spread (min, max) of `values`.
fn median(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (
        sorted[sorted.len() / 2],
        sorted[0],
        sorted[sorted.len() - 1],
    )
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

#[test]
#[ignore = "benchmark: run by make bench-creator (as root)"]
#[expect(clippy::too_many_lines, reason = "a benchmark: set-up, rounds, report")]
fn bench_creator() {
    if !is_root() {
        println!("bench-creator needs root (the creator drops to the build user)");
        return;
    }
    #[expect(clippy::disallowed_methods, reason = "the bench's work dir")]
    let work = std::env::var_os("CNB_BENCH_DIR").map_or_else(
        || PathBuf::from("/var/tmp/cnb-bench-creator"),
        PathBuf::from,
    );
    let tree_dir = work.join("tree");
    let started = Instant::now();
    let (bytes, files) = tree(&tree_dir);
    println!(
        "tree: {} in {files} files (from /usr/lib/x86_64-linux-gnu, /usr/share/doc, /usr/bin), ready in {:.1} s",
        mib(bytes),
        started.elapsed().as_secs_f64()
    );
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/buildpacks/bench-tree");
    let buildpack = work.join("buildpacks/bench_tree/1");
    let _ = fs::remove_dir_all(&buildpack);
    fs::create_dir_all(buildpack.join("bin")).expect("buildpack dir");
    fs::copy(
        testdata.join("buildpack.toml"),
        buildpack.join("buildpack.toml"),
    )
    .expect("copy");
    for bin in ["detect", "build"] {
        fs::copy(
            testdata.join("bin").join(bin),
            buildpack.join("bin").join(bin),
        )
        .expect("copy");
    }
    fs::create_dir_all(work.join("workspace")).expect("workspace");
    fs::write(work.join("workspace/README"), "bench app\n").expect("app");
    let registry = RegistryFixture::start().expect("registry");
    let run_image = RunImage::default()
        .push(&registry, "test/run:latest")
        .expect("run image")
        .reference;
    let bench = Bench {
        work,
        tree: tree_dir,
        registry,
        run_image,
    };
    // warm the page cache
    shell(&format!(
        "tar -cf - -C {} . > /dev/null",
        bench.tree.display()
    ));

    let tar = format!("tar -cf - -C {} .", bench.tree.display());
    let (mut umoci_skopeo, mut pigz, mut sha) = (Vec::new(), Vec::new(), Vec::new());
    let (mut zlib, mut isal, mut keep, mut recreate) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (umoci, skopeo) = umoci_and_skopeo(&bench, round);
        umoci_skopeo.push(umoci + skopeo);
        pigz.push(timed(&format!(
            "{tar} | pigz -1 -p 2 | sha256sum > /dev/null"
        )));
        sha.push(timed(&format!("{tar} | sha256sum > /dev/null")));
        let image = bench
            .registry
            .reference(&format!("test/app-{round}:latest"));
        zlib.push(bench.create(&image, "create-fresh", None));
        keep.push(bench.create(&image, "keep", None));
        recreate.push(bench.create(&image, "create", None));
        let image = bench
            .registry
            .reference(&format!("test/isal-{round}:latest"));
        isal.push(bench.create(&image, "create-fresh", Some("isal")));
    }
    // The bytes a rebuild sends, through the counting proxy (not timed).
    let proxy = RegistryProxy::start(&bench.registry.host()).expect("proxy");
    let image = format!("{}/test/counted:latest", proxy.host());
    bench.create(&image, "create-fresh", None);
    let mut sent = Vec::new();
    for mode in ["keep", "create"] {
        proxy.clear();
        bench.create(&image, mode, None);
        sent.push(proxy.requests().iter().map(|r| r.body_bytes).sum::<u64>());
    }

    let seconds = |runs: &[Run]| runs.iter().map(|run| run.seconds).collect::<Vec<_>>();
    let rss = |runs: &[Run]| runs.iter().map(|run| run.peak_rss).max().unwrap_or(0);
    let line = |name: &str, values: &[f64]| {
        let (mid, low, high) = median(values);
        println!("| {name} | {mid:.2} s | {low:.2}–{high:.2} s |");
        mid
    };
    println!();
    println!("| run ({ROUNDS} rounds) | median | spread |");
    println!("|---|---|---|");
    let base = line("umoci insert + skopeo copy", &umoci_skopeo);
    let pigz_rounds = pigz.clone();
    let pigz = line("tar | pigz -1 -p 2 | sha256sum", &pigz);
    let sha = line("tar | sha256sum", &sha);
    let zlib_s = line("creator, gzip zlib-rs (default)", &seconds(&zlib));
    let isal_s = line("creator, gzip CNB_GZIP_ENGINE=isal", &seconds(&isal));
    let keep_s = line("rebuild, layer kept", &seconds(&keep));
    let recreate_s = line("rebuild, identical content re-created", &seconds(&recreate));
    println!();
    println!("ratios of medians (target in brackets):");
    println!(
        "  creator zlib-rs / umoci+skopeo = {:.2}  [<= 0.5]",
        zlib_s / base
    );
    println!(
        "  creator isal    / umoci+skopeo = {:.2}  [<= 0.5]",
        isal_s / base
    );
    println!(
        "  creator zlib-rs / pigz -1 -p 2 = {:.2}  [<= 1.2]",
        zlib_s / pigz
    );
    println!(
        "  creator isal    / pigz -1 -p 2 = {:.2}  [<= 1.2]",
        isal_s / pigz
    );
    println!(
        "  peak RSS: zlib-rs {}, isal {}, rebuilds {}  [<= 64 MiB]",
        mib(rss(&zlib)),
        mib(rss(&isal)),
        mib(rss(&keep).max(rss(&recreate)))
    );
    println!(
        "  kept layer / first build       = {:.3}  [<= 0.05]",
        keep_s / zlib_s
    );
    println!(
        "  re-created / tar | sha256sum   = {:.2}  [<= 1.3]",
        recreate_s / sha
    );
    println!(
        "  sent to the registry: kept {} B, re-created {} B  [< 64 KiB]",
        sent[0], sent[1]
    );
    // What bounds a first build: the CPU the creator and the registry spend, over the cores.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    for (name, runs) in [("zlib-rs", &zlib), ("isal", &isal)] {
        let (creator, _, _) = median(&runs.iter().map(|run| run.cpu).collect::<Vec<_>>());
        let (registry, _, _) = median(&runs.iter().map(|run| run.registry_cpu).collect::<Vec<_>>());
        println!(
            "  CPU {name}: creator {creator:.2} s, registry {registry:.2} s; over {cores} cores {:.2} s",
            (creator + registry) / cores as f64
        );
    }
    println!("per round (creator / umoci+skopeo, zlib-rs and isal; / pigz, zlib-rs and isal):");
    let rounds = zlib
        .iter()
        .zip(&isal)
        .zip(umoci_skopeo.iter().zip(&pigz_rounds));
    for (round, ((zlib, isal), (base, pigz))) in rounds.enumerate() {
        println!(
            "  round {}: {:.2} {:.2}; {:.2} {:.2}",
            round + 1,
            zlib.seconds / base,
            isal.seconds / base,
            zlib.seconds / pigz,
            isal.seconds / pigz
        );
    }
}
