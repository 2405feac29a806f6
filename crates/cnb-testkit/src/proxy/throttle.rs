//! [`Throttled`]: a writer that passes bytes on no faster than a given rate, as a slow link
//! would, so that a test sees a transfer take seconds without making gigabytes.

use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Bytes per write at most: a fine enough grain for rates of a few hundred KiB/s and up.
const PIECE: usize = 16 * 1024;

/// `inner`, at most `rate` bytes per second (averaged from the first write).
pub(super) struct Throttled<W> {
    inner: W,
    rate: u64,
    started: Option<Instant>,
    passed: u64,
}

impl<W: Write> Throttled<W> {
    pub(super) fn new(inner: W, rate: u64) -> Self {
        Self {
            inner,
            rate: rate.max(1),
            started: None,
            passed: 0,
        }
    }
}

impl<W: Write> Write for Throttled<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let written = self.inner.write(&buf[..buf.len().min(PIECE)])?;
        self.passed += written as u64;
        let due = Duration::from_millis(
            u64::try_from(u128::from(self.passed) * 1000 / u128::from(self.rate))
                .unwrap_or(u64::MAX),
        );
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_whole_and_no_faster_than_the_rate() {
        let started = Instant::now();
        let mut out = Throttled::new(Vec::new(), 400 * 1024);
        out.write_all(&vec![7; 100 * 1024]).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert_eq!(out.inner, vec![7; 100 * 1024]);
    }
}
