//! Reading an env directory: every regular file (or symlink to one) in file-name order, with
//! its raw contents (no trimming). Subdirectories are skipped; a missing directory is empty.

use std::ffi::OsString;
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use crate::Error;

/// `(file name, contents)` of every env file in `dir`, sorted by file name.
pub(crate) fn env_files(dir: &Path) -> Result<Vec<(OsString, OsString)>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::ReadDir {
                path: dir.to_path_buf(),
                source,
            });
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ReadDir {
            path: dir.to_path_buf(),
            source,
        })?;
        names.push(entry.file_name());
    }
    names.sort();
    let mut files = Vec::new();
    for name in names {
        let path = dir.join(&name);
        // `metadata` follows symlinks: a link to a directory is skipped like a directory.
        let meta = fs::metadata(&path).map_err(|source| Error::ReadFile {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            continue;
        }
        let bytes = fs::read(&path).map_err(|source| Error::ReadFile {
            path: path.clone(),
            source,
        })?;
        files.push((name, bytes_to_os(bytes)));
    }
    Ok(files)
}

/// The raw contents of `<dir>/<name>.delim`, if that file exists.
pub(crate) fn delimiter(dir: &Path, name: &std::ffi::OsStr) -> Option<OsString> {
    let mut file = name.to_os_string();
    file.push(".delim");
    fs::read(dir.join(file)).ok().map(bytes_to_os)
}

fn bytes_to_os(bytes: Vec<u8>) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes)
}
