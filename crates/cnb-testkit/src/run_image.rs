//! A tiny run image built without Docker: a busybox-static rootfs with a `cnb` user,
//! packed by `umoci` into an OCI layout and pushed with `skopeo` (e2e-infra.md §2a).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, chown, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::arch::Arch;
use crate::command::run;
use crate::oci_layout::set_variant;
use crate::registry::RegistryFixture;

/// Label `io.buildpacks.base.id`.
pub const LABEL_BASE_ID: &str = "io.buildpacks.base.id";
/// Label `io.buildpacks.stack.id` (deprecated by the spec, still read by older platforms).
pub const LABEL_STACK_ID: &str = "io.buildpacks.stack.id";
/// Label `io.buildpacks.base.distro.name`.
pub const LABEL_DISTRO_NAME: &str = "io.buildpacks.base.distro.name";
/// Label `io.buildpacks.base.distro.version`.
pub const LABEL_DISTRO_VERSION: &str = "io.buildpacks.base.distro.version";
/// Label `io.buildpacks.rebasable`.
pub const LABEL_REBASABLE: &str = "io.buildpacks.rebasable";

/// The default base and stack id.
pub const DEFAULT_BASE_ID: &str = "io.test.busybox";
/// The default distro name (also `ID` in `/etc/os-release`).
pub const DEFAULT_DISTRO_NAME: &str = "busybox";
/// The default distro version (also `VERSION_ID` in `/etc/os-release`).
pub const DEFAULT_DISTRO_VERSION: &str = "1.35.0";
/// `PATH` in the image config.
pub const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The `cnb` user's uid and gid in the image (`User` is `1000:1000`).
pub const CNB_UID: u32 = 1000;
/// The `cnb` user's gid.
pub const CNB_GID: u32 = 1000;

/// The tag of the image inside an [`OciLayoutImage`].
pub const LAYOUT_TAG: &str = "latest";

/// Where busybox is in the image (the applet symlinks point at it).
const BUSYBOX: &str = "/bin/busybox";

/// Builds and pushes the default run image to `registry` as `repo_and_tag`
/// (`"test/run:busybox"`; the tag defaults to `latest`).
pub fn build_run_image(registry: &RegistryFixture, repo_and_tag: &str) -> io::Result<PushedImage> {
    RunImage::default().push(registry, repo_and_tag)
}

/// What goes into a run image: its architecture, labels and extra env. The defaults are
/// amd64 and the five `io.buildpacks.*` labels (base and stack id `io.test.busybox`, distro
/// busybox 1.35.0, rebasable `true`); the config always has os linux, the architecture (and
/// variant `v8` for arm64), user `1000:1000`, working dir `/`, cmd `/bin/sh`, and env `PATH`,
/// `CNB_USER_ID=1000`, `CNB_GROUP_ID=1000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunImage {
    arch: Arch,
    labels: BTreeMap<String, String>,
    env: Vec<(String, String)>,
}

impl Default for RunImage {
    fn default() -> Self {
        let labels = [
            (LABEL_BASE_ID, DEFAULT_BASE_ID),
            (LABEL_STACK_ID, DEFAULT_BASE_ID),
            (LABEL_DISTRO_NAME, DEFAULT_DISTRO_NAME),
            (LABEL_DISTRO_VERSION, DEFAULT_DISTRO_VERSION),
            (LABEL_REBASABLE, "true"),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
        Self {
            arch: Arch::default(),
            labels,
            env: Vec::new(),
        }
    }
}

impl RunImage {
    /// Builds the image for `arch`, of that architecture's busybox.
    #[must_use]
    pub fn arch(mut self, arch: Arch) -> Self {
        self.arch = arch;
        self
    }

    /// Sets (or replaces) label `key`.
    #[must_use]
    pub fn label(mut self, key: &str, value: &str) -> Self {
        self.labels.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Leaves label `key` out, e.g. to build an image without `io.buildpacks.stack.id`.
    #[must_use]
    pub fn without_label(mut self, key: &str) -> Self {
        self.labels.remove(key);
        self
    }

    /// Adds `key=value` to the config's env, after the defaults.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The labels the image will carry.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// Builds the image into a fresh OCI layout, tagged [`LAYOUT_TAG`].
    pub fn build_layout(&self) -> io::Result<OciLayoutImage> {
        let dir = tempfile::Builder::new()
            .prefix("cnb-testkit-image-")
            .tempdir()?;
        let image = OciLayoutImage {
            dir,
            tag: LAYOUT_TAG.to_owned(),
        };
        self.write_layout(&image.path(), &image.tag)?;
        Ok(image)
    }

    /// Builds the image into a new OCI layout at `layout` (which must not exist yet), tagged
    /// `tag`. The same image serves as a build base: it has the `cnb` user and sets
    /// `CNB_USER_ID`/`CNB_GROUP_ID` (`make package` builds its builder on it).
    pub fn write_layout(&self, layout: &Path, tag: &str) -> io::Result<()> {
        let scratch = tempfile::Builder::new()
            .prefix("cnb-testkit-rootfs-")
            .tempdir()?;
        let rootfs = scratch.path().join("rootfs");
        make_rootfs(
            &rootfs,
            &self.arch.busybox(),
            self.label_or(LABEL_DISTRO_NAME, DEFAULT_DISTRO_NAME),
            self.label_or(LABEL_DISTRO_VERSION, DEFAULT_DISTRO_VERSION),
        )?;
        let umoci_ref = format!("{}:{tag}", layout.display());
        run(Command::new("umoci")
            .arg("init")
            .arg("--layout")
            .arg(layout))?;
        run(Command::new("umoci").args(["new", "--image", &umoci_ref]))?;
        run(Command::new("umoci")
            .args(["insert", "--image", &umoci_ref])
            .args(["--history.created_by", "busybox-static rootfs"])
            .arg(&rootfs)
            .arg("/"))?;
        run(Command::new("umoci").args(self.config_args(&umoci_ref)))?;
        if let Some(variant) = self.arch.variant() {
            set_variant(layout, tag, variant)?;
        }
        run(Command::new("umoci").arg("gc").arg("--layout").arg(layout))?;
        Ok(())
    }

    /// Builds the image and pushes it to `registry` as `repo_and_tag`.
    pub fn push(&self, registry: &RegistryFixture, repo_and_tag: &str) -> io::Result<PushedImage> {
        self.build_layout()?.push(registry, repo_and_tag)
    }

    fn label_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.labels.get(key).map_or(default, String::as_str)
    }

    fn config_args(&self, umoci_ref: &str) -> Vec<String> {
        let mut args: Vec<String> = [
            "config",
            "--image",
            umoci_ref,
            "--os",
            "linux",
            "--architecture",
            self.arch.name(),
            "--config.workingdir",
            "/",
            "--config.cmd",
            "/bin/sh",
            "--history.created_by",
            "umoci config",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        args.push("--config.user".to_owned());
        args.push(format!("{CNB_UID}:{CNB_GID}"));
        let env = [
            ("PATH".to_owned(), IMAGE_PATH.to_owned()),
            ("CNB_USER_ID".to_owned(), CNB_UID.to_string()),
            ("CNB_GROUP_ID".to_owned(), CNB_GID.to_string()),
        ];
        for (key, value) in env.iter().chain(&self.env) {
            args.push("--config.env".to_owned());
            args.push(format!("{key}={value}"));
        }
        for (key, value) in &self.labels {
            args.push("--config.label".to_owned());
            args.push(format!("{key}={value}"));
        }
        args
    }
}

/// An image in an OCI layout in a temp dir of its own, removed on drop.
#[derive(Debug)]
pub struct OciLayoutImage {
    dir: TempDir,
    tag: String,
}

impl OciLayoutImage {
    /// The layout directory (holds `oci-layout`, `index.json`, `blobs/`).
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("layout")
    }

    /// The image's tag in the layout (`org.opencontainers.image.ref.name`).
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// `oci:<layout>:<tag>`, the skopeo transport reference.
    pub fn skopeo_ref(&self) -> String {
        format!("oci:{}", self.umoci_ref())
    }

    /// The manifest digest (`sha256:…`), as skopeo reads it from the layout.
    pub fn digest(&self) -> io::Result<String> {
        let output = run(Command::new("skopeo")
            .args(["inspect", "--format", "{{.Digest}}"])
            .arg(self.skopeo_ref()))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Pushes the image to `registry` as `repo_and_tag` (the tag defaults to `latest`),
    /// with the registry's credentials if it has any.
    pub fn push(&self, registry: &RegistryFixture, repo_and_tag: &str) -> io::Result<PushedImage> {
        let (repo, tag) = split_repo_and_tag(repo_and_tag)?;
        let repository = registry.reference(repo);
        let reference = format!("{repository}:{tag}");
        let digest_file = tempfile::NamedTempFile::new()?;
        let mut command = Command::new("skopeo");
        command
            .args([
                "copy",
                "--quiet",
                "--insecure-policy",
                "--dest-tls-verify=false",
            ])
            .arg("--digestfile")
            .arg(digest_file.path());
        if let Some(credentials) = registry.credentials() {
            command
                .arg("--dest-creds")
                .arg(format!("{}:{}", credentials.user, credentials.password));
        }
        run(command
            .arg(self.skopeo_ref())
            .arg(format!("docker://{reference}")))?;
        let digest = fs::read_to_string(digest_file.path())?.trim().to_owned();
        Ok(PushedImage {
            reference,
            repository,
            tag: tag.to_owned(),
            digest,
        })
    }

    fn umoci_ref(&self) -> String {
        format!("{}:{}", self.path().display(), self.tag)
    }
}

/// An image pushed to a [`RegistryFixture`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedImage {
    /// `127.0.0.1:<port>/<repo>:<tag>`.
    pub reference: String,
    /// `127.0.0.1:<port>/<repo>`.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The manifest digest, `sha256:…`.
    pub digest: String,
}

impl PushedImage {
    /// `127.0.0.1:<port>/<repo>@sha256:…`.
    pub fn digest_reference(&self) -> String {
        format!("{}@{}", self.repository, self.digest)
    }
}

pub(crate) fn split_repo_and_tag(repo_and_tag: &str) -> io::Result<(&str, &str)> {
    if repo_and_tag.contains('@') || repo_and_tag.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("expected <repo>[:<tag>], got {repo_and_tag:?}"),
        ));
    }
    let last_segment_start = repo_and_tag.rfind('/').map_or(0, |slash| slash + 1);
    Ok(match repo_and_tag[last_segment_start..].rfind(':') {
        Some(colon) => {
            let colon = last_segment_start + colon;
            (&repo_and_tag[..colon], &repo_and_tag[colon + 1..])
        }
        None => (repo_and_tag, "latest"),
    })
}

/// Writes the amd64 run image's root file system (busybox-static, `root` and `cnb`
/// 1000:1000, `/etc/os-release` of busybox 1.35.0) into the new directory `root`: an image
/// root to apply Dockerfiles to without unpacking an image.
pub fn busybox_rootfs(root: &Path) -> io::Result<()> {
    make_rootfs(
        root,
        &Arch::Amd64.busybox(),
        DEFAULT_DISTRO_NAME,
        DEFAULT_DISTRO_VERSION,
    )
}

/// A rootfs of the static `busybox`: applet symlinks (absolute, as `busybox --install -s`
/// makes them), root and `cnb` (1000:1000) users, `/etc/os-release`, `/tmp` 1777, `/home/cnb`
/// owned by `cnb`. The applet list comes from that busybox itself (an arm64 one runs through
/// qemu-user).
fn make_rootfs(
    root: &Path,
    busybox: &Path,
    distro_name: &str,
    distro_version: &str,
) -> io::Result<()> {
    for dir in [
        "bin", "sbin", "usr/bin", "usr/sbin", "etc", "home/cnb", "root", "proc", "sys", "dev",
        "tmp",
    ] {
        fs::create_dir_all(root.join(dir))?;
    }
    for (dir, mode) in [("tmp", 0o1777), ("root", 0o700), ("home/cnb", 0o755)] {
        fs::set_permissions(root.join(dir), fs::Permissions::from_mode(mode))?;
    }
    fs::copy(busybox, root.join("bin/busybox")).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!(
                "cannot copy {}: {err} (run .ci/install-deps)",
                busybox.display()
            ),
        )
    })?;
    fs::set_permissions(root.join("bin/busybox"), fs::Permissions::from_mode(0o755))?;
    let applets = run(Command::new(busybox).arg("--list-full"))?;
    for applet in String::from_utf8_lossy(&applets.stdout).lines() {
        let applet = applet.trim().trim_start_matches('/');
        if applet.is_empty() || applet == "bin/busybox" || applet == "linuxrc" {
            continue;
        }
        let link = root.join(applet);
        if let Some(parent) = link.parent() {
            fs::create_dir_all(parent)?;
        }
        symlink(BUSYBOX, link)?;
    }
    let files = [
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n\
             cnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n\
             nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                .to_owned(),
        ),
        (
            "etc/group",
            "root:x:0:\ncnb:x:1000:\nnogroup:x:65534:\n".to_owned(),
        ),
        (
            "etc/os-release",
            format!(
                "ID={distro_name}\nNAME=\"{distro_name}\"\nVERSION_ID=\"{distro_version}\"\n\
                 PRETTY_NAME=\"{distro_name} {distro_version} (cnb-testkit)\"\n"
            ),
        ),
    ];
    for (path, content) in files {
        fs::write(root.join(path), content)?;
        fs::set_permissions(root.join(path), fs::Permissions::from_mode(0o644))?;
    }
    chown(root.join("home/cnb"), Some(CNB_UID), Some(CNB_GID))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_repo_and_tag_at_the_last_segments_colon() {
        assert_eq!(
            split_repo_and_tag("test/run:busybox").expect("valid"),
            ("test/run", "busybox")
        );
        assert_eq!(
            split_repo_and_tag("test/run").expect("valid"),
            ("test/run", "latest")
        );
    }

    #[test]
    fn rejects_digest_references_and_empty_names() {
        assert!(split_repo_and_tag("test/run@sha256:00").is_err());
        assert!(split_repo_and_tag("").is_err());
    }

    #[test]
    fn config_args_carry_user_env_and_every_label() {
        let args = RunImage::default()
            .label(LABEL_BASE_ID, "io.test.other")
            .without_label(LABEL_STACK_ID)
            .env("EXTRA", "1")
            .config_args("layout:latest");
        let joined = args.join(" ");
        assert!(joined.contains("--config.user 1000:1000"), "{joined}");
        assert!(joined.contains("--config.env CNB_USER_ID=1000"), "{joined}");
        assert!(joined.contains("--config.env EXTRA=1"), "{joined}");
        assert!(
            joined.contains("--config.label io.buildpacks.base.id=io.test.other"),
            "{joined}"
        );
        assert!(!joined.contains(LABEL_STACK_ID), "{joined}");
    }
}
