//! [`DirLock`]: an exclusive `flock` on a directory, held by a process that rewrites what the
//! directory holds (a volume cache's generations), so that two such writers take turns. The
//! kernel drops the lock when its holder exits, however it exits, so a killed writer never
//! leaves the directory locked. Readers take no lock: writers only ever rename complete
//! content into place.

use std::fs::{File, TryLockError};
use std::io;
use std::path::Path;

/// An exclusive lock on a directory, released on drop.
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Locks `dir`, waiting while another process holds it; `waiting` is called once before
    /// the wait, so the caller can say why it stalls. A file system without `flock` is not
    /// locked (and says nothing): the lock guards against a second writer, which such a
    /// volume cannot be protected from anyway.
    pub fn exclusive(dir: &Path, waiting: impl FnOnce()) -> io::Result<Self> {
        let file = File::open(dir)?;
        let locked = match file.try_lock() {
            Err(TryLockError::WouldBlock) => {
                waiting();
                file.lock()
            }
            Err(TryLockError::Error(error)) => Err(error),
            Ok(()) => Ok(()),
        };
        match locked {
            Err(error) if !unsupported(&error) => Err(error),
            _ => Ok(Self { _dir: file }),
        }
    }
}

fn unsupported(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::Unsupported
        || error.raw_os_error() == Some(nix::libc::ENOLCK)
        || error.raw_os_error() == Some(nix::libc::EOPNOTSUPP)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_second_holder_waits_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = DirLock::exclusive(dir.path(), || panic!("the first does not wait"))
            .expect("first lock");
        let (sent, received) = mpsc::channel();
        let path = dir.path().to_owned();
        let second = std::thread::spawn(move || {
            let waited = std::cell::Cell::new(false);
            let lock = DirLock::exclusive(&path, || waited.set(true)).expect("second lock");
            sent.send(()).expect("send");
            drop(lock);
            waited.get()
        });
        assert!(
            received.recv_timeout(Duration::from_millis(200)).is_err(),
            "the second took the lock while the first held it"
        );
        drop(first);
        received
            .recv_timeout(Duration::from_secs(10))
            .expect("the second gets the lock once the first is dropped");
        assert!(second.join().expect("thread"), "the second said it waited");
    }
}
