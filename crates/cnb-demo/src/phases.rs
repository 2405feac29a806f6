//! The lifecycle's `creator` and `rebaser`, invoked as a platform does: pack's trusted flow
//! (root, told to drop to the build user with `-uid`/`-gid`), Platform API 0.15. The creator
//! runs in a private mount namespace, chrooted into a tmpfs root that holds the host's
//! `/usr`, `/etc`, `/dev` and `/proc` and the builder tree's dirs where a builder image has
//! them (`/cnb`, `/layers`, `/workspace`, `/platform`, and the volume cache at `/cache`), so it
//! needs no path flags and the image holds the app at `/workspace` and its layers under
//! `/layers`, as with pack. Nothing is created in the host's `/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::builder::{BUILD_UID, BuilderTree};
use crate::console::Console;
use crate::tool::run_shown;

/// Makes a tmpfs root at `$1` with the host's system dirs (usr-merge symlinks kept) and binds
/// `$2`…`$6` at `/cnb`, `/layers`, `/workspace`, `/platform` and `/cache` in it, then runs the
/// rest of the arguments chrooted there.
const BIND_AND_RUN: &str = r#"set -e
root=$1
mount -t tmpfs -o mode=0755 cnb-demo "$root"
cd "$root"
for top in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$top" ]; then ln -s "$(readlink "/$top")" "$top"
  elif [ -d "/$top" ]; then mkdir "$top" && mount --bind -o ro "/$top" "$top"; fi
done
mkdir usr etc dev proc tmp cnb layers workspace platform cache
chmod 1777 tmp
mount --bind -o ro /usr usr
mount --bind -o ro /etc etc
mount --rbind /dev dev
mount --rbind /proc proc
mount --bind "$2" cnb
mount --bind "$3" layers
mount --bind "$4" workspace
mount --bind "$5" platform
mount --bind "$6" cache
shift 6
exec chroot "$root" "$@""#;

const PLATFORM_API: &str = "0.15";

/// One creator run: where its layers were.
pub(crate) struct Created {
    /// The build's layers dir (holds `report.toml`).
    pub(crate) layers: PathBuf,
}

impl Created {
    /// `[image] digest` from `<layers>/report.toml`.
    pub(crate) fn digest(&self) -> Result<String, String> {
        report_digest(&self.layers.join("report.toml"))
    }
}

/// Runs the creator on the tree's app, exporting `image` on `run_image`, with the tree's
/// cache and a fresh layers dir; `previous` is the image to reuse layers from.
pub(crate) fn create(
    tree: &mut BuilderTree,
    image: &str,
    run_image: &str,
    previous: Option<&str>,
    console: &Console,
) -> Result<Created, String> {
    let layers = tree.fresh_layers()?;
    let root = layers.with_file_name("root");
    if !root.is_dir() {
        fs::create_dir(&root).map_err(|err| format!("mkdir {}: {err}", root.display()))?;
    }
    let mut command = Command::new("unshare");
    platform_env(&mut command)
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            BIND_AND_RUN,
            "sh",
        ])
        .arg(&root)
        .arg(tree.cnb())
        .arg(&layers)
        .arg(tree.app())
        .arg(tree.platform())
        .arg(tree.cache());
    let mut creator = vec![
        "/cnb/lifecycle/creator".to_owned(),
        "-app=/workspace".to_owned(),
        "-cache-dir=/cache".to_owned(),
        format!("-run-image={run_image}"),
        format!("-uid={BUILD_UID}"),
        format!("-gid={BUILD_UID}"),
    ];
    if let Some(previous) = previous {
        creator.push(format!("-previous-image={previous}"));
    }
    creator.push(image.to_owned());
    console.field(
        "private mounts",
        &format!(
            "cnb → /cnb, {} → /layers, workspace → /workspace, platform → /platform, \
             cache → /cache (chrooted into a tmpfs root)",
            layers
                .file_name()
                .map_or_else(String::new, |name| name.to_string_lossy().into_owned())
        ),
    );
    console.field(
        "as root",
        &format!("CNB_PLATFORM_API={PLATFORM_API} {}", creator.join(" ")),
    );
    run_shown(command.args(&creator), "creator", console)?;
    Ok(Created { layers })
}

/// Runs the rebaser on `image` with `run_image` as its new base; returns the rebased digest
/// from the report it writes.
pub(crate) fn rebase(
    tree: &BuilderTree,
    image: &str,
    run_image: &str,
    console: &Console,
) -> Result<String, String> {
    let report = tree.root().join("rebase-report.toml");
    run_shown(
        phase(tree, "rebaser")
            .arg(format!("-run-image={run_image}"))
            .arg(format!("-report={}", report.display()))
            .arg(image),
        "rebaser",
        console,
    )?;
    report_digest(&report)
}

/// A command for a phase of the tree's lifecycle, in the environment a platform gives it.
fn phase(tree: &BuilderTree, name: &str) -> Command {
    let mut command = Command::new(tree.lifecycle_dir().join(name));
    platform_env(&mut command);
    command
}

/// A clean environment apart from `PATH`, `HOME` and the Platform API.
fn platform_env(command: &mut Command) -> &mut Command {
    command
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("CNB_PLATFORM_API", PLATFORM_API)
}

/// `[image] digest` from a report.toml.
fn report_digest(path: &Path) -> Result<String, String> {
    let text =
        fs::read_to_string(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let report: toml::Table = text
        .parse()
        .map_err(|err| format!("{} is not TOML: {err}", path.display()))?;
    report
        .get("image")
        .and_then(|image| image.get("digest"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{} has no [image] digest", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_digest_of_a_report() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("report.toml");
        fs::write(
            &path,
            "[image]\n  tags = [\"a\"]\n  digest = \"sha256:00\"\n  manifest-size = 9\n",
        )
        .expect("write");
        assert_eq!(report_digest(&path).expect("has one"), "sha256:00");
        fs::write(&path, "[image]\n").expect("write");
        assert!(
            report_digest(&path)
                .expect_err("none")
                .ends_with("has no [image] digest")
        );
    }
}
