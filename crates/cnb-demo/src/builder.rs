//! The builder tree a platform would find in a builder image, laid out in a temp dir:
//! `cnb/lifecycle` (copied from the installed lifecycle), `cnb/buildpacks/<id>/<version>`
//! (the sample buildpacks, `/` in ids escaped as `_`), `cnb/order.toml`, `cnb/run.toml`; next
//! to it the app (`workspace`), an empty `platform` dir, the volume cache and one fresh layers
//! dir per build, the last three owned by the build user.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// The build user's uid and gid (the `cnb` user of the run image).
pub(crate) const BUILD_UID: u32 = cnb_testkit::BUILD_UID;

/// The builder tree and the build's working dirs.
pub(crate) struct BuilderTree {
    dir: TempDir,
    builds: usize,
}

impl BuilderTree {
    /// Lays out the tree from the installed `lifecycle` dir (`…/cnb/lifecycle`), the
    /// buildpacks in `samples` (with their `order.toml`), and the `app` dir; `run_image` goes
    /// into `run.toml`.
    pub(crate) fn lay_out(
        lifecycle: &Path,
        samples: &Path,
        app: &Path,
        run_image: &str,
    ) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("cnb-demo-")
            .tempdir()
            .map_err(|err| format!("cannot create a temp dir: {err}"))?;
        // The build user must reach everything below.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .map_err(|err| format!("chmod {}: {err}", dir.path().display()))?;
        let tree = Self { dir, builds: 0 };
        copy_tree(lifecycle, &tree.lifecycle_dir())?;
        for buildpack in buildpack_dirs(samples)? {
            let (id, version) = id_and_version(&buildpack)?;
            let target = tree.buildpacks().join(id.replace('/', "_")).join(version);
            copy_tree(&buildpack, &target)?;
        }
        copy_file(&samples.join("order.toml"), &tree.order_toml())?;
        write(
            &tree.run_toml(),
            &format!("[[images]]\n  image = \"{run_image}\"\n"),
        )?;
        copy_tree(app, &tree.app())?;
        for dir in [tree.platform(), tree.cache()] {
            fs::create_dir_all(&dir).map_err(|err| format!("mkdir {}: {err}", dir.display()))?;
        }
        for dir in [tree.app(), tree.cache()] {
            cnb_testkit::try_hand_to_build_user(&dir)
                .map_err(|err| format!("cannot hand {} to the build user: {err}", dir.display()))?;
        }
        Ok(tree)
    }

    /// The temp dir everything lives in.
    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// `cnb`, bound at `/cnb` for the creator.
    pub(crate) fn cnb(&self) -> PathBuf {
        self.path("cnb")
    }

    /// `cnb/lifecycle`.
    pub(crate) fn lifecycle_dir(&self) -> PathBuf {
        self.path("cnb/lifecycle")
    }

    /// `cnb/buildpacks`.
    pub(crate) fn buildpacks(&self) -> PathBuf {
        self.path("cnb/buildpacks")
    }

    /// `cnb/order.toml`.
    pub(crate) fn order_toml(&self) -> PathBuf {
        self.path("cnb/order.toml")
    }

    /// `cnb/run.toml`.
    pub(crate) fn run_toml(&self) -> PathBuf {
        self.path("cnb/run.toml")
    }

    /// The app dir (`workspace`).
    pub(crate) fn app(&self) -> PathBuf {
        self.path("workspace")
    }

    /// The platform dir.
    pub(crate) fn platform(&self) -> PathBuf {
        self.path("platform")
    }

    /// The volume cache, kept from build to build.
    pub(crate) fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// A fresh, empty layers dir owned by the build user, as a platform gives every build.
    pub(crate) fn fresh_layers(&mut self) -> Result<PathBuf, String> {
        self.builds += 1;
        let layers = self.path(&format!("layers-{}", self.builds));
        fs::create_dir(&layers).map_err(|err| format!("mkdir {}: {err}", layers.display()))?;
        cnb_testkit::try_hand_to_build_user(&layers)
            .map_err(|err| format!("cannot hand {} to the build user: {err}", layers.display()))?;
        Ok(layers)
    }

    /// Removes the tree; an error says what could not be removed.
    pub(crate) fn remove(self) -> Result<PathBuf, String> {
        let path = self.dir.path().to_path_buf();
        self.dir
            .close()
            .map_err(|err| format!("cannot remove {}: {err}", path.display()))?;
        Ok(path)
    }
}

/// The directories under `samples` that hold a `buildpack.toml`, sorted.
fn buildpack_dirs(samples: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        fs::read_dir(samples).map_err(|err| format!("cannot list {}: {err}", samples.display()))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| format!("cannot list {}: {err}", samples.display()))?
            .path();
        if path.join("buildpack.toml").is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    if dirs.is_empty() {
        return Err(format!("no buildpacks in {}", samples.display()));
    }
    Ok(dirs)
}

/// `[buildpack] id` and `version` from `<dir>/buildpack.toml`.
fn id_and_version(dir: &Path) -> Result<(String, String), String> {
    let path = dir.join("buildpack.toml");
    let text = fs::read_to_string(&path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let toml: toml::Table = text
        .parse()
        .map_err(|err| format!("{} is not TOML: {err}", path.display()))?;
    let field = |key: &str| {
        toml.get("buildpack")
            .and_then(|buildpack| buildpack.get(key))
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("{} has no [buildpack] {key}", path.display()))
    };
    Ok((field("id")?, field("version")?))
}

/// Copies `from` to `to` recursively: files with their modes, symlinks as symlinks.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|err| format!("mkdir {}: {err}", to.display()))?;
    let entries =
        fs::read_dir(from).map_err(|err| format!("cannot list {}: {err}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", from.display()))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry
            .file_type()
            .map_err(|err| format!("cannot stat {}: {err}", source.display()))?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_symlink() {
            let link = fs::read_link(&source)
                .map_err(|err| format!("cannot read link {}: {err}", source.display()))?;
            symlink(&link, &target)
                .map_err(|err| format!("cannot link {}: {err}", target.display()))?;
        } else {
            copy_file(&source, &target)?;
        }
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(drop)
        .map_err(|err| format!("cannot copy {} to {}: {err}", from.display(), to.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_and_version_of_a_buildpack() {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(
            dir.path().join("buildpack.toml"),
            "api = \"0.10\"\n[buildpack]\nid = \"samples/web\"\nversion = \"1.2.3\"\n",
        )
        .expect("write");
        assert_eq!(
            id_and_version(dir.path()).expect("valid"),
            ("samples/web".to_owned(), "1.2.3".to_owned())
        );
        fs::write(
            dir.path().join("buildpack.toml"),
            "[buildpack]\nid = \"x\"\n",
        )
        .expect("write");
        let err = id_and_version(dir.path()).expect_err("no version");
        assert!(err.ends_with("has no [buildpack] version"), "{err}");
    }

    #[test]
    fn copies_files_with_their_modes_and_symlinks_as_links() {
        let dir = tempfile::tempdir().expect("temp dir");
        let from = dir.path().join("from");
        fs::create_dir_all(from.join("bin")).expect("mkdir");
        fs::write(from.join("bin/run"), "#!/bin/sh\n").expect("write");
        fs::set_permissions(from.join("bin/run"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        symlink("run", from.join("bin/alias")).expect("symlink");
        let to = dir.path().join("to");
        copy_tree(&from, &to).expect("copies");
        let mode = fs::metadata(to.join("bin/run"))
            .expect("copied")
            .permissions();
        assert_eq!(mode.mode() & 0o777, 0o755);
        assert_eq!(
            fs::read_link(to.join("bin/alias")).expect("a link"),
            Path::new("run")
        );
    }
}
