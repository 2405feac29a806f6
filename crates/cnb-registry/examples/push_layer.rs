//! For `make bench`: exports one directory as a layer straight into a registry, in one pass
//! (walk → Go-identical tar → diffID → gzip or zstd → digest → upload), the way the exporter
//! writes a buildpack layer. Prints `<blob bytes> <peak RSS bytes> <digest>` on success.
//!
//! `push_layer <root> <dir in the image> <registry>/<repository> <gzip|zstd>`

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark helper: its output is its report"
)]

use std::path::Path;
use std::process::ExitCode;

use cnb_archive::{Compression, LayerWriter, Owner, add_dir};
use cnb_image::{ImageRef, ImageStore};
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, dir, target, kind] = args.as_slice() else {
        eprintln!(
            "usage: push_layer <root> <dir in the image> <registry>/<repository> <gzip|zstd>"
        );
        return ExitCode::from(2);
    };
    match push(Path::new(root), Path::new(dir), target, kind) {
        Ok((size, digest)) => {
            println!("{size} {} {digest}", peak_rss());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("push_layer: {error}");
            ExitCode::FAILURE
        }
    }
}

fn push(
    root: &Path,
    dir: &Path,
    target: &str,
    kind: &str,
) -> Result<(u64, String), Box<dyn std::error::Error>> {
    let compression = match kind {
        "zstd" => Compression::zstd(),
        "isal" => Compression::gzip_by(cnb_archive::GzipEngine::Isal),
        _ => Compression::gzip(),
    };
    let target: ImageRef = target.parse()?;
    let env = Environment::from_lookup(|_| None);
    let store = RegistryStore::new(RegistryConfig::default(), &env, Keychain::anonymous())?;
    let blob = store.blob_writer(&target, compression.media_type())?;
    let mut layer = LayerWriter::new(blob, compression)?;
    add_dir(&mut layer, root, dir, Owner::new(1000, 1000))?;
    let (blob, digests) = layer.finish()?;
    let descriptor = blob.finish()?;
    assert_eq!(
        descriptor.digest, digests.digest,
        "the registry and the pipeline agree on the digest"
    );
    Ok((descriptor.size, descriptor.digest.to_string()))
}

/// `VmHWM` of this process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
