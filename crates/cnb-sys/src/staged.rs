//! Files that others read, written so that a reader never sees half of one: the bytes go to a
//! [`StagedFile`] beside the target and are renamed over it when complete, so the target holds
//! the old contents or the new ones, whenever the writer is killed.
//!
//! A staged file is named `.tmp-<target>.<pid>-<n>` and holds an exclusive `flock` while its
//! writer lives. A writer killed before the rename leaves it behind; [`sweep_staged`] removes
//! exactly those (it takes the lock, so it never touches a live writer's file). A file system
//! without `flock` keeps its leftovers: nothing there is ever removed by guess.
//!
//! Renames are atomic but not durable: data that must survive a power loss (a cache or an
//! image layout, which outlive the build) is synced before its rename with
//! [`StagedFile::sync`], and the directory after it with [`sync_dir`]. Files that only live
//! for one build (report.toml, analyzed.toml) are not synced: a build cut by a power loss is
//! run again from the start.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The name prefix of every staged file.
pub const STAGED_PREFIX: &str = ".tmp-";
/// Names tried before giving up on creating a staged file.
const ATTEMPTS: u32 = 100;

/// A file being written beside its target, removed on drop unless committed.
#[derive(Debug)]
pub struct StagedFile {
    file: File,
    path: PathBuf,
    committed: bool,
}

impl StagedFile {
    /// A new empty staged file in `dir` for a target named `name` (only a hint in the
    /// staged file's name), created with `mode` (the umask applies, as to any new file).
    pub fn new(dir: &Path, name: &str, mode: u32) -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let pid = std::process::id();
        for _ in 0..ATTEMPTS {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("{STAGED_PREFIX}{name}.{pid}-{n}"));
            let file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&path)
            {
                Ok(file) => file,
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error),
            };
            // A sweeper may have taken the name between the create and the lock: then the
            // name is its to remove, and we try another.
            match file.try_lock() {
                Ok(()) | Err(TryLockError::Error(_)) => {}
                Err(TryLockError::WouldBlock) => continue,
            }
            if same_file(&file, &path) {
                return Ok(Self {
                    file,
                    path,
                    committed: false,
                });
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "no free staged file name in {} after {ATTEMPTS} attempts",
                dir.display()
            ),
        ))
    }

    /// A staged file beside `target`, named after it.
    pub fn beside(target: &Path, mode: u32) -> io::Result<Self> {
        let dir = parent_dir(target);
        let name = target
            .file_name()
            .map_or_else(|| "file".into(), |name| name.to_string_lossy());
        Self::new(dir, &name, mode)
    }

    /// The file, to write or read through.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Where it is staged.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes what was written to the disk (`fsync`), so a rename cannot outrun the data.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    /// Renames the staged file over `target` (same directory, so atomic).
    pub fn commit(mut self, target: &Path) -> io::Result<()> {
        fs::rename(&self.path, target)?;
        self.committed = true;
        Ok(())
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Replaces `path` with `bytes` atomically: a reader sees the old file or the new one,
/// never a mix, whenever the writer is killed. A symlink at `path` is followed (its target is
/// replaced, as a plain write would). New files get mode 0666 minus the umask, as with a plain
/// write; a replaced file keeps its mode. Where the directory cannot take a new file but
/// the file itself is writable (a platform may hand over just the file), it is written in
/// place instead. So is anything at `path` that is not a regular file (`-report=/dev/null`, a
/// FIFO): it is written to, never replaced.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let target = resolve_symlink(path)?;
    let meta = fs::metadata(&target).ok();
    if meta.as_ref().is_some_and(|meta| !meta.is_file()) {
        return fs::write(&target, bytes);
    }
    let existing = meta.map(|meta| meta.mode() & 0o7777);
    let mut staged = match StagedFile::beside(&target, existing.unwrap_or(0o666)) {
        Ok(staged) => staged,
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            return fs::write(&target, bytes);
        }
        Err(error) => return Err(error),
    };
    if let Some(mode) = existing {
        // The umask applied at creation; a replaced file keeps its mode exactly.
        staged
            .file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    staged.write_all(bytes)?;
    staged.commit(&target)
}

/// `fsync` of a directory, so that the renames and creations in it are on disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Removes the staged files in `dir` that no live writer holds (left by a writer that was
/// killed); returns how many. Entries it cannot open or lock are left alone.
pub fn sweep_staged(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name: OsString = entry.file_name();
        if !name.as_bytes().starts_with(STAGED_PREFIX.as_bytes()) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() && same_file(&file, &path) && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether `path` still names the open `file`.
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// `path`, or where the symlink at `path` leads (relative targets from its directory).
fn resolve_symlink(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    // As the kernel does, give up on long chains.
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = parent_dir(&current).join(link);
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("too many levels of symbolic links at {}", path.display()),
    ))
}

/// The directory holding `path` (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests;
