//! Same input, same gzip bytes, whichever code path the CPU makes the compressors take.
//!
//! zlib-rs and ISA-L both choose SIMD code by CPU features at run time. This test runs its
//! own binary under `qemu-x86_64 -cpu <model>` (qemu-user-static) for each x86-64 feature
//! class, so that each class's path runs, and compares the layer digests with the native run
//! and with fixed values:
//!
//! | model | features | ISA-L path |
//! |---|---|---|
//! | `qemu64` | no SSE4.2 | the portable C path: refused (`cnb_igzip::check_cpu`) |
//! | `Nehalem` | SSE4.2 | `_01` |
//! | `SandyBridge` | + AVX | `_02` |
//! | `Haswell` | + AVX2 | `_04` |
//! | this machine | + AVX-512 where present | `_04`, and `_06` for the Huffman encoder |
//!
//! zlib-rs must give [`ZLIB_RS`] everywhere (aarch64 included: it is what the default engine
//! promises); ISA-L must give [`ISAL_X86_64`] on every SSE4.2 class and [`ISAL_AARCH64`] on
//! aarch64 (the aarch64 test below; this binary built for aarch64 runs it).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "the child run reports on stdout; helpers of a test panic on a broken environment"
)]

use std::fmt::Write as _;

use std::path::Path;

use cnb_archive::{Compression, GzipEngine, LayerWriter, Owner, add_dir};

/// Set in the child runs.
const CHILD: &str = "CNB_ARCHIVE_CPU_PATHS_CHILD";
/// The sample's blob digest with zlib-rs, on every CPU and architecture.
const ZLIB_RS: &str = "sha256:b701126a7e202876ac82365e1ab724bee39e00993444394bd22b8bf24abc9ba8";
/// The sample's blob digest with ISA-L on aarch64 CPUs with CRC32 (not x86-64's).
#[cfg_attr(
    target_arch = "x86_64",
    expect(dead_code, reason = "checked by the aarch64 build of this test")
)]
const ISAL_AARCH64: &str =
    "sha256:2bb9d75433f5e18685da8b1f8edaae6da352cabeab21607f7a4ea0b2568ea863";
/// The sample's blob digest with ISA-L on x86-64 CPUs with SSE4.2.
const ISAL_X86_64: &str = "sha256:d57d9a64a83e4e8659c999e9c2ab00b95362e7731136fd6706694394c94b9893";

/// A layer of 2.5 MiB (three gzip blocks, so the dictionary priming runs): text-like files
/// with repeats and a noise file.
fn sample(root: &Path) {
    let dir = root.join("layers/bp/layer");
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    for file in 0..5 {
        let mut text = String::new();
        while text.len() < 400 * 1024 {
            let word = next();
            writeln!(text, "entry {} = \"{:x}\" # {file}", word % 5000, word % 97).unwrap();
        }
        std::fs::write(dir.join(format!("f{file}.txt")), text).unwrap();
    }
    let noise: Vec<u8> = (0..64 * 1024).flat_map(|_| next().to_le_bytes()).collect();
    std::fs::write(dir.join("noise.bin"), &noise[..512 * 1024]).unwrap();
}

/// `<engine> <blob digest or "refused: <why>">` lines, for this CPU.
fn digests() -> String {
    let root = tempfile::tempdir().unwrap();
    sample(root.path());
    let mut lines = String::new();
    for (name, engine) in [("zlib-rs", GzipEngine::ZlibRs), ("isal", GzipEngine::Isal)] {
        let result = LayerWriter::with_threads(std::io::sink(), Compression::gzip_by(engine), 2)
            .and_then(|mut writer| {
                add_dir(
                    &mut writer,
                    root.path(),
                    Path::new("/layers/bp/layer"),
                    Owner::new(1000, 1000),
                )?;
                writer.finish()
            });
        match result {
            Ok((_, digests)) => writeln!(lines, "{name} {}", digests.digest).unwrap(),
            Err(error) => {
                writeln!(lines, "{name} refused: {}", cnb_api::one_line(&error)).unwrap();
            }
        }
    }
    lines
}

/// Whether this is a child run.
fn is_child() -> bool {
    #[expect(
        clippy::disallowed_methods,
        reason = "the parent run marks its children"
    )]
    std::env::var_os(CHILD).is_some()
}

/// The child run: prints this CPU's features and digests between markers.
#[test]
fn digests_on_this_cpu() {
    if !is_child() {
        return;
    }
    println!("<<<\n{}{}>>>", features(), digests());
}

fn features() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let mut found = Vec::new();
        if std::arch::is_x86_feature_detected!("sse4.2") {
            found.push("sse4.2");
        }
        if std::arch::is_x86_feature_detected!("avx") {
            found.push("avx");
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            found.push("avx2");
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            found.push("avx512f");
        }
        format!("features {}\n", found.join(","))
    }
    #[cfg(not(target_arch = "x86_64"))]
    String::from("features -\n")
}

/// Runs this test binary's child test under `qemu-x86_64 -cpu model`.
#[cfg(target_arch = "x86_64")]
fn under_qemu(model: &str) -> String {
    use std::process::Command;

    let exe = std::env::current_exe().unwrap();
    let output = Command::new("qemu-x86_64-static")
        .args(["-cpu", model])
        .arg(&exe)
        .args([
            "--exact",
            "digests_on_this_cpu",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap_or_else(|error| {
            panic!("qemu-x86_64-static (Debian's qemu-user-static, see .ci/install-deps): {error}")
        });
    assert!(
        output.status.success(),
        "{model}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let start = stdout.find("<<<\n").expect("the child's report") + 4;
    let end = stdout.find(">>>").expect("the child's report end");
    stdout[start..end].to_owned()
}

#[cfg(target_arch = "x86_64")]
#[test]
fn gzip_bytes_are_the_same_on_every_x86_64_cpu_class() {
    if is_child() {
        return;
    }
    let isal_refused = "isal refused: the gzip engine cannot run here: ISA-L's gzip needs an x86-64 CPU with SSE4.2";
    let expected =
        |features: &str, isal: &str| format!("features {features}\nzlib-rs {ZLIB_RS}\n{isal}");
    let same = format!("isal {ISAL_X86_64}\n");
    for (model, features, isal) in [
        ("qemu64", "", isal_refused),
        ("Nehalem", "sse4.2", same.as_str()),
        ("SandyBridge", "sse4.2,avx", same.as_str()),
        ("Haswell", "sse4.2,avx,avx2", same.as_str()),
    ] {
        let report = under_qemu(model);
        assert!(
            report.starts_with(&expected(features, isal)),
            "under -cpu {model}:\n{report}"
        );
    }
    let native = format!("{}{}", features(), digests());
    assert!(
        native.ends_with(&format!("zlib-rs {ZLIB_RS}\nisal {ISAL_X86_64}\n")),
        "natively:\n{native}"
    );
}

/// On aarch64 (run this test binary under `qemu-aarch64 -cpu cortex-a53` and `-cpu max` too):
/// zlib-rs gives x86-64's bytes, ISA-L its own.
#[cfg(target_arch = "aarch64")]
#[test]
fn gzip_bytes_on_aarch64_are_zlib_rs_s_everywhere_and_isal_s_own() {
    if is_child() {
        return;
    }
    let native = digests();
    assert_eq!(
        native,
        format!("zlib-rs {ZLIB_RS}\nisal {ISAL_AARCH64}\n"),
        "on this aarch64 CPU"
    );
    assert_ne!(ISAL_AARCH64, ISAL_X86_64);
}
