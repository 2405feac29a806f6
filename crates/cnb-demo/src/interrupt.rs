//! Ctrl-C and `kill`: SIGINT, SIGTERM and SIGHUP are blocked in the demo process and taken by
//! one thread with `sigwait` (no handler, no `unsafe`), which only raises a flag. The steps
//! look at the flag between steps and while they wait, and return an error, so the usual drop
//! guards stop the containers and the registry and remove the temp dirs. The tools the demo
//! starts get an empty signal mask (the standard library resets it), so a Ctrl-C on the
//! terminal reaches them as well.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{SigSet, Signal};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Starts watching for SIGINT, SIGTERM and SIGHUP. Call it first in `main`, before any other
/// thread starts, so that every thread inherits the blocked mask.
pub fn watch() -> io::Result<()> {
    let mut signals = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        signals.add(signal);
    }
    signals.thread_block().map_err(io::Error::from)?;
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            while signals.wait().is_ok() {
                INTERRUPTED.store(true, Ordering::SeqCst);
            }
        })?;
    Ok(())
}

/// Whether a signal asked the demo to stop.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// An error once a signal asked the demo to stop.
pub(crate) fn check() -> Result<(), String> {
    if interrupted() {
        Err("interrupted".to_owned())
    } else {
        Ok(())
    }
}
