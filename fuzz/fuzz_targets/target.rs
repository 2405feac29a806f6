// Every cargo-fuzz binary includes this file: its name (`CARGO_BIN_NAME`) picks the target in
// `cnb_fuzz::TARGETS`.

use std::sync::OnceLock;

static TARGET: OnceLock<fn(&[u8])> = OnceLock::new();

libfuzzer_sys::fuzz_target!(init: limit_file_size(), |data: &[u8]| {
    let run = TARGET.get_or_init(|| {
        cnb_fuzz::target(env!("CARGO_BIN_NAME"))
            .expect("fuzz/Cargo.toml names only cnb_fuzz targets")
            .run
    });
    run(data);
});

/// A few KiB of zstd can expand to gigabytes: files written by a target (the extractor's)
/// stop at 64 MiB, with a write error instead of SIGXFSZ, so that a fuzzing run never fills
/// the disk.
fn limit_file_size() {
    const LIMIT: libc::rlim_t = 64 << 20;
    let limit = libc::rlimit {
        rlim_cur: LIMIT,
        rlim_max: LIMIT,
    };
    // SAFETY: plain system calls on this process with valid arguments.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
    }
}
