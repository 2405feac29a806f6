//! Paths inside the image root: an absolute image path resolved to a host path the way the
//! kernel would resolve it after `chroot(root)`: symlinks followed, absolute targets taken
//! from the root, `..` never above it. With root `/` this is what the kernel does anyway.

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::{DirBuilderExt, lchown};
use std::path::{Component, Path, PathBuf};

/// How many symlinks one resolution may follow (Linux's limit is 40).
const MAX_LINKS: usize = 40;

/// The host path of `image_path` (absolute inside the image, or relative to `/`), every
/// symlink on the way and at the end followed inside `root`.
pub(crate) fn resolve(root: &Path, image_path: &Path) -> io::Result<PathBuf> {
    resolve_components(root, image_path, true).map(|image| host(root, &image))
}

/// The host path of `image_path` with its parent resolved inside `root` and its last element
/// taken as it is (a symlink there is not followed): where a new entry of that name goes.
pub(crate) fn resolve_parent(root: &Path, image_path: &Path) -> io::Result<PathBuf> {
    resolve_components(root, image_path, false).map(|image| host(root, &image))
}

/// `image_path` and its missing parents created as directories (0755, owned by root as
/// Docker creates them) inside `root`; returns its host path.
pub(crate) fn create_dirs(root: &Path, image_path: &Path) -> io::Result<PathBuf> {
    let clean = resolve_components(root, image_path, true)?;
    let mut current = PathBuf::from("/");
    for component in clean.components().skip(1) {
        current.push(component);
        let path = host(root, &current);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} is not a directory", current.display()),
                ));
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new().mode(0o755).create(&path)?;
                if cnb_sys::is_root() {
                    lchown(&path, Some(0), Some(0))?;
                }
            }
            Err(err) => return Err(err),
        }
    }
    Ok(host(root, &clean))
}

/// The host path of a resolved, clean image path.
fn host(root: &Path, image: &Path) -> PathBuf {
    root.join(image.strip_prefix("/").unwrap_or(image))
}

/// Resolves `image_path` to a clean absolute image path without symlinks (the last element
/// kept as it is unless `follow_last`). Missing elements are fine: they resolve to
/// themselves.
fn resolve_components(root: &Path, image_path: &Path, follow_last: bool) -> io::Result<PathBuf> {
    let mut pending: Vec<OsString> = components(image_path);
    pending.reverse();
    let mut resolved = PathBuf::from("/");
    let mut links = 0;
    while let Some(name) = pending.pop() {
        if name == ".." {
            resolved.pop();
            continue;
        }
        let candidate = resolved.join(&name);
        let last = pending.is_empty();
        if last && !follow_last {
            resolved = candidate;
            continue;
        }
        match std::fs::symlink_metadata(host(root, &candidate)) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "too many levels of symbolic links at {}",
                            candidate.display()
                        ),
                    ));
                }
                let target = std::fs::read_link(host(root, &candidate))?;
                if target.is_absolute() {
                    resolved = PathBuf::from("/");
                }
                let mut more = components(&target);
                more.reverse();
                pending.extend(more);
            }
            _ => resolved = candidate,
        }
    }
    Ok(resolved)
}

/// The normal and `..` elements of `path` (`.` and the root dropped).
fn components(path: &Path) -> Vec<OsString> {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(name.to_owned()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_resolve_inside_the_root_and_dot_dot_stops_at_it() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("usr/lib")).unwrap();
        symlink("/usr/lib", r.join("lib")).unwrap();
        symlink("../../../../etc", r.join("usr/escape")).unwrap();
        symlink("lib/x", r.join("usr/rel")).unwrap();
        assert_eq!(
            resolve(r, Path::new("/lib/libc.so")).unwrap(),
            r.join("usr/lib/libc.so")
        );
        assert_eq!(
            resolve(r, Path::new("/usr/escape/passwd")).unwrap(),
            r.join("etc/passwd")
        );
        assert_eq!(
            resolve(r, Path::new("/usr/rel")).unwrap(),
            r.join("usr/lib/x")
        );
        assert_eq!(resolve(r, Path::new("/../../x")).unwrap(), r.join("x"));
        assert_eq!(resolve_parent(r, Path::new("/lib")).unwrap(), r.join("lib"));
        assert_eq!(
            resolve_parent(r, Path::new("/lib/a")).unwrap(),
            r.join("usr/lib/a")
        );
    }

    #[test]
    fn symlink_loops_are_an_error() {
        let root = tempfile::tempdir().unwrap();
        symlink("/b", root.path().join("a")).unwrap();
        symlink("/a", root.path().join("b")).unwrap();
        assert!(resolve(root.path(), Path::new("/a/x")).is_err());
    }

    #[test]
    fn create_dirs_makes_missing_parents_through_symlinks() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("usr/local")).unwrap();
        symlink("usr/local", r.join("local")).unwrap();
        let made = create_dirs(r, Path::new("/local/ext/bin")).unwrap();
        assert_eq!(made, r.join("usr/local/ext/bin"));
        assert!(made.is_dir());
        std::fs::write(r.join("file"), b"").unwrap();
        assert!(create_dirs(r, Path::new("/file/x")).is_err());
    }
}
