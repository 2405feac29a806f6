//! A deterministic, realistic-looking layer: many small files, some medium and a few large
//! ones; about 60 % of the bytes text-like (source, JSON, logs: compressible), the rest
//! noise (archives, binaries: not), spread over nested directories.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Size classes: (share of the bytes, smallest file, largest file).
const CLASSES: [(f64, u64, u64); 3] = [
    (0.15, 512, 16 << 10),
    (0.45, 16 << 10, 2 << 20),
    (0.40, 8 << 20, 64 << 20),
];

const WORDS: &[&str] = &[
    "fn",
    "let",
    "mut",
    "return",
    "import",
    "package",
    "class",
    "def",
    "self",
    "true",
    "false",
    "null",
    "string",
    "number",
    "version",
    "layer",
    "buildpack",
    "launch",
    "cache",
    "metadata",
    "dependency",
    "module",
    "export",
    "require",
    "function",
    "const",
    "struct",
    "{",
    "}",
    "(",
    ")",
    "=",
    "=>",
    ":",
    ";",
    ",",
    "\"name\"",
    "\"sha256\"",
    "0.1.0",
    "42",
    "INFO",
    "WARN",
    "2024-01-01T00:00:00Z",
    "/usr/lib/x86_64-linux-gnu",
    "node_modules",
];

/// xorshift64*: fast, and the same stream on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

/// What [`generate`] makes, in words.
pub(crate) fn describe() -> &'static str {
    "files of 0.5-16 KiB (15 % of bytes), 16 KiB-2 MiB (45 %), 8-64 MiB (40 %); 60 % text-like, 40 % noise"
}

/// Fills `dir` with about `total` bytes of files (unless a previous run did); returns the
/// bytes written.
pub(crate) fn generate(dir: &Path, total: u64) -> u64 {
    let done = dir.with_extension("complete");
    if let Some(bytes) = fs::read_to_string(&done)
        .ok()
        .and_then(|text| text.trim().parse().ok())
    {
        return bytes;
    }
    let _ = fs::remove_dir_all(dir);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut written = 0;
    let mut index = 0u64;
    for (share, smallest, largest) in CLASSES {
        let budget = (total as f64 * share) as u64;
        let mut class_bytes = 0;
        while class_bytes < budget {
            let size = rng
                .range(smallest, largest)
                .min(budget - class_bytes)
                .max(1);
            let sub = dir.join(format!("d{:02}/e{:02}", index % 37, (index / 37) % 11));
            fs::create_dir_all(&sub).unwrap();
            let text = rng.next() % 10 < 6;
            let name = if text {
                format!("f{index:06}.txt")
            } else {
                format!("f{index:06}.bin")
            };
            write_file(&sub.join(name), size, text, &mut rng);
            class_bytes += size;
            index += 1;
        }
        written += class_bytes;
    }
    fs::write(done, written.to_string()).unwrap();
    written
}

fn write_file(path: &Path, size: u64, text: bool, rng: &mut Rng) {
    let mut out = BufWriter::with_capacity(1 << 16, fs::File::create(path).unwrap());
    let mut left = size;
    let mut line = Vec::with_capacity(256);
    while left > 0 {
        line.clear();
        if text {
            let words = rng.range(3, 14);
            for _ in 0..words {
                line.extend_from_slice(
                    WORDS[(rng.next() % WORDS.len() as u64) as usize].as_bytes(),
                );
                line.push(b' ');
            }
            line.push(b'\n');
        } else {
            for _ in 0..32 {
                line.extend_from_slice(&rng.next().to_le_bytes());
            }
        }
        let take = line.len().min(left as usize);
        out.write_all(&line[..take]).unwrap();
        left -= take as u64;
    }
    out.flush().unwrap();
}
