//! The lifecycle's `creator` and `rebaser`, invoked as a platform does: pack's trusted flow
//! (root, told to drop to the build user with `-uid`/`-gid`), Platform API 0.15. The creator
//! runs in a private mount namespace in which the builder tree's dirs are bound where a
//! builder image has them (`/cnb`, `/layers`, `/workspace`, `/platform`), so it needs no path
//! flags and the image holds the app at `/workspace` and its layers under `/layers`, as with
//! pack. The host keeps only the four empty mount points (created when missing).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::builder::{BUILD_UID, BuilderTree};
use crate::console::Console;
use crate::tool::run_shown;

/// Where the creator sees the tree's dirs.
const MOUNT_POINTS: [&str; 4] = ["/cnb", "/layers", "/workspace", "/platform"];
/// Binds `$1`…`$4` on [`MOUNT_POINTS`], then runs the rest of the arguments.
const BIND_AND_RUN: &str = "mount --bind \"$1\" /cnb && mount --bind \"$2\" /layers && \
     mount --bind \"$3\" /workspace && mount --bind \"$4\" /platform && shift 4 && exec \"$@\"";

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
    for mount_point in MOUNT_POINTS {
        match fs::create_dir(mount_point) {
            Err(err) if err.kind() != io::ErrorKind::AlreadyExists => {
                return Err(format!("cannot create mount point {mount_point}: {err}"));
            }
            _ => {}
        }
    }
    let mut command = Command::new("unshare");
    command
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("CNB_PLATFORM_API", PLATFORM_API)
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
        .arg(tree.cnb())
        .arg(&layers)
        .arg(tree.app())
        .arg(tree.platform());
    let mut creator = vec![
        "/cnb/lifecycle/creator".to_owned(),
        "-app=/workspace".to_owned(),
        format!("-cache-dir={}", tree.cache().display()),
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
            "cnb → /cnb, {} → /layers, workspace → /workspace, platform → /platform",
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

/// A command for a phase of the tree's lifecycle, with a clean environment apart from `PATH`,
/// `HOME` and the Platform API.
fn phase(tree: &BuilderTree, name: &str) -> Command {
    let mut command = Command::new(tree.lifecycle_dir().join(name));
    command
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .env("CNB_PLATFORM_API", PLATFORM_API);
    command
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
