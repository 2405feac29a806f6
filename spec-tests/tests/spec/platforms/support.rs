//! What every replay needs: the builder's `/cnb` from a builder image ([`builder_root`]), a
//! container emulated by a
//! private mount namespace ([`Container`]: `unshare --mount`, a tmpfs root with the host's
//! `/usr` and `/dev` bound in, the replay's directories bound where the platform puts them,
//! `chroot`, `setpriv`), a loopback registry with the run image ([`Site`]) and the readers for
//! what platforms read back (`report.toml`, the app image's config).

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_testkit::{Finished, PushedImage, RegistryFixture, RunImage};
use serde_json::Value;
use tempfile::TempDir;

use crate::image_support::umoci_unpack;
use crate::package::{installed, sample_builder_inputs};

/// The build user of the builder image (`CNB_USER_ID`, `CNB_GROUP_ID`).
pub(crate) const UID: u32 = 1000;
/// The build group.
pub(crate) const GID: u32 = 1000;

const APP: &str = "../testdata/apps/hello-web";

/// A builder's `/cnb` in `<root>/cnb`, taken from a real builder image: `cnb-package` writes
/// one over the test build base (the installed lifecycle, the sample buildpacks and their
/// `order.toml`, `run.toml` and `stack.toml` naming `run_image`, the builder labels), and
/// `umoci` unpacks it with its owners and modes.
///
/// # Panics
/// When nothing is installed or the image cannot be written or unpacked.
pub(crate) fn builder_root(run_image: &str) -> TempDir {
    let root = tempfile::Builder::new()
        .prefix("cnb-replay-builder-")
        .tempdir()
        .expect("temp dir");
    fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let base = RunImage::default().build_layout().expect("build base");
    let inputs = sample_builder_inputs(&base.path(), run_image, &[]);
    let layout = root.path().join("builder-image");
    cnb_package::builder::write(&inputs, &layout, "latest").expect("builder image written");
    let bundle = root.path().join("bundle");
    umoci_unpack(&layout, "latest", &bundle);
    fs::rename(bundle.join("rootfs/cnb"), root.path().join("cnb")).expect("move /cnb");
    fs::remove_dir_all(&bundle).expect("remove the bundle");
    fs::remove_dir_all(&layout).expect("remove the layout");
    root
}

/// The root filesystem of the lifecycle image `make package` writes (`cnb-package` over the
/// installed lifecycle, with the host's CA bundle), unpacked by `umoci` into the returned dir:
/// what pack runs the analyzer, restorer and exporter in for an untrusted builder.
///
/// # Panics
/// When nothing is installed, the host has no CA bundle, or the image cannot be written or
/// unpacked.
pub(crate) fn lifecycle_image_root() -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("cnb-replay-lifecycle-")
        .tempdir()
        .expect("temp dir");
    let lifecycle = installed();
    let bundle = Path::new(cnb_package::lifecycle_image::CA_BUNDLE_PATH);
    assert!(bundle.is_file(), "no CA bundle at {}", bundle.display());
    let layout = dir.path().join("layout");
    let platform = lifecycle.platform();
    cnb_package::lifecycle_image::write(&[lifecycle], Some(bundle), &layout, "test")
        .expect("lifecycle image written");
    let tag = cnb_package::lifecycle_image::platform_tag("test", platform);
    umoci_unpack(&layout, &tag, &dir.path().join("bundle"));
    for entry in fs::read_dir(dir.path().join("bundle/rootfs")).expect("list rootfs") {
        let entry = entry.expect("entry");
        fs::rename(entry.path(), dir.path().join(entry.file_name())).expect("move up");
    }
    fs::remove_dir_all(dir.path().join("bundle")).expect("remove the bundle");
    fs::remove_dir_all(&layout).expect("remove the layout");
    dir
}

/// Whether replays can run here: the mount namespace needs root. Without it a replay returns
/// at once and passes, as the other root-only suites do.
pub(crate) fn can_replay() -> bool {
    cnb_testkit::is_root()
}

/// A loopback registry holding the run image, and the names a replay pushes to.
pub(crate) struct Site {
    pub(crate) registry: RegistryFixture,
    pub(crate) run_image: PushedImage,
}

impl Site {
    /// An anonymous registry with the run image at `fixture/run:latest`.
    pub(crate) fn start() -> Self {
        Self::with(RegistryFixture::start().expect("registry"))
    }

    /// `registry` with the run image at `fixture/run:latest`.
    pub(crate) fn with(registry: RegistryFixture) -> Self {
        let run_image = RunImage::default()
            .push(&registry, "fixture/run:latest")
            .expect("run image");
        Self {
            registry,
            run_image,
        }
    }

    /// `127.0.0.1:<port>/<repo_and_tag>`.
    pub(crate) fn name(&self, repo_and_tag: &str) -> String {
        self.registry.reference(repo_and_tag)
    }

    /// `skopeo inspect` arguments for this registry (plain HTTP, its credentials).
    fn skopeo_args(&self) -> Vec<String> {
        let mut args = vec!["--tls-verify=false".to_owned()];
        if let Some(credentials) = self.registry.credentials() {
            args.push(format!(
                "--creds={}:{}",
                credentials.user, credentials.password
            ));
        }
        args
    }

    /// The manifest digest of `reference` in the registry.
    pub(crate) fn digest(&self, reference: &str) -> String {
        let mut args = vec!["inspect".to_owned(), "--format={{.Digest}}".to_owned()];
        args.extend(self.skopeo_args());
        args.push(format!("docker://{reference}"));
        String::from_utf8(skopeo(&args))
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// The image config of `reference` (a tag or a digest reference).
    pub(crate) fn config(&self, reference: &str) -> Value {
        let mut args = vec![
            "inspect".to_owned(),
            "--config".to_owned(),
            "--raw".to_owned(),
        ];
        args.extend(self.skopeo_args());
        args.push(format!("docker://{reference}"));
        serde_json::from_slice(&skopeo(&args)).expect("config is JSON")
    }

    /// The raw manifest of `reference`.
    pub(crate) fn manifest(&self, reference: &str) -> Value {
        let mut args = vec!["inspect".to_owned(), "--raw".to_owned()];
        args.extend(self.skopeo_args());
        args.push(format!("docker://{reference}"));
        serde_json::from_slice(&skopeo(&args)).expect("manifest is JSON")
    }
}

fn skopeo(args: &[String]) -> Vec<u8> {
    let output = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo runs");
    assert!(
        output.status.success(),
        "skopeo {}: {}",
        args.iter()
            .filter(|arg| !arg.starts_with("--creds"))
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Host directories that stand for a platform's volumes, in one temp dir.
pub(crate) struct Volumes {
    dir: TempDir,
}

impl Volumes {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("cnb-replay-volumes-")
            .tempdir()
            .expect("temp dir");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        Self { dir }
    }

    /// An empty directory `name`, owned by `owner` (uid, gid), mode 0755.
    pub(crate) fn dir(&self, name: &str, owner: (u32, u32)) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::create_dir_all(&path).expect("mkdir volume");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        chown(&path, Some(owner.0), Some(owner.1)).expect("chown");
        path
    }

    /// A directory `name` holding a copy of `testdata/apps/hello-web`, all owned by `owner`.
    pub(crate) fn app(&self, name: &str, owner: (u32, u32)) -> PathBuf {
        let path = self.dir(name, owner);
        let app = Path::new(env!("CARGO_MANIFEST_DIR")).join(APP);
        for entry in fs::read_dir(&app).expect("list app") {
            let entry = entry.expect("entry");
            let target = path.join(entry.file_name());
            fs::copy(entry.path(), &target).expect("copy app file");
            chown(&target, Some(owner.0), Some(owner.1)).expect("chown");
        }
        path
    }
}

/// One bind mount: a host directory (or a file, such as a socket) at `target` inside the
/// container.
struct Bind {
    host: PathBuf,
    target: String,
    writable: bool,
    file: bool,
}

/// A container emulated on the host: a private mount namespace whose root is a fresh tmpfs
/// holding the host's `/usr` (read-only; `/bin`, `/lib*`, `/sbin` as its usr-merge symlinks),
/// `/dev`, `/proc`, an `/etc` with `passwd`/`group` for root and the build users (1000, 1001)
/// and the host's `/etc/ssl` (builder images carry CA certificates, and the lifecycle's HTTP
/// client refuses to start without any, even for plain-HTTP loopback registries),
/// an empty `/tmp` (1777), and the binds; the command runs there with an empty environment
/// but the given variables, as `user`, in `cwd`. Nothing is created in the host's `/`.
pub(crate) struct Container {
    binds: Vec<Bind>,
    env: Vec<(String, String)>,
    user: (u32, u32),
    cwd: String,
    read_only_root: bool,
}

impl Container {
    /// A container running as `user` (uid, gid) in `/`, `PATH` set to the builder's.
    pub(crate) fn new(user: (u32, u32)) -> Self {
        Self {
            binds: Vec::new(),
            env: vec![(
                "PATH".to_owned(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            )],
            user,
            cwd: "/".to_owned(),
            read_only_root: false,
        }
    }

    /// Binds `host` at `target`, writable. Targets must not nest inside another bind.
    #[must_use]
    pub(crate) fn bind(mut self, host: &Path, target: &str) -> Self {
        self.binds.push(Bind {
            host: host.to_path_buf(),
            target: target.to_owned(),
            writable: true,
            file: false,
        });
        self
    }

    /// Binds the file (or socket) `host` at `target`, as a platform mounts the Docker socket.
    #[must_use]
    pub(crate) fn bind_file(mut self, host: &Path, target: &str) -> Self {
        self.binds.push(Bind {
            host: host.to_path_buf(),
            target: target.to_owned(),
            writable: true,
            file: true,
        });
        self
    }

    /// Binds `host` at `target`, read-only.
    #[must_use]
    pub(crate) fn bind_ro(mut self, host: &Path, target: &str) -> Self {
        self.binds.push(Bind {
            host: host.to_path_buf(),
            target: target.to_owned(),
            writable: false,
            file: false,
        });
        self
    }

    /// Sets `key=value` in the command's environment.
    #[must_use]
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(existing, _)| existing != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// The working directory (a path inside the container).
    #[must_use]
    pub(crate) fn cwd(mut self, cwd: &str) -> Self {
        cwd.clone_into(&mut self.cwd);
        self
    }

    /// Makes `/` read-only after the binds are in place (they keep their own mode).
    #[must_use]
    pub(crate) fn read_only_root(mut self) -> Self {
        self.read_only_root = true;
        self
    }

    /// Runs `argv` in the container and waits for it.
    ///
    /// # Panics
    /// When the namespace cannot be set up (the output says where).
    pub(crate) fn run(&self, argv: &[&str]) -> Finished {
        let scratch = tempfile::Builder::new()
            .prefix("cnb-replay-ns-")
            .tempdir()
            .expect("temp dir");
        let root = scratch.path().join("root");
        let etc = scratch.path().join("etc");
        fs::create_dir(&root).expect("mkdir root");
        fs::create_dir(&etc).expect("mkdir etc");
        fs::write(
            etc.join("passwd"),
            "root:x:0:0:root:/root:/bin/sh\n\
             cnb:x:1000:1000:cnb:/home/cnb:/bin/sh\n\
             shp:x:1001:1000:shp:/home/shp:/bin/sh\n",
        )
        .expect("write passwd");
        fs::write(etc.join("group"), "root:x:0:\ncnb:x:1000:\n").expect("write group");
        fs::write(etc.join("hosts"), "127.0.0.1 localhost\n").expect("write hosts");
        fs::create_dir(etc.join("ssl")).expect("mkdir etc/ssl");
        let script = self.script(&root, &etc, argv);
        let finished = Finished::run(
            Command::new("unshare")
                .args(["--mount", "--propagation", "private", "/bin/sh", "-c"])
                .arg(&script)
                .env_clear()
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        );
        assert_ne!(
            finished.code,
            Some(125),
            "the container could not be set up: {finished}\n--- script\n{script}"
        );
        finished
    }

    fn script(&self, root: &Path, etc: &Path, argv: &[&str]) -> String {
        let mut script = String::from("set -eu\n");
        let root_q = quote(&root.to_string_lossy());
        let fail = "|| exit 125";
        let _ = writeln!(
            script,
            "mount -t tmpfs -o mode=0755 cnb-replay {root_q} {fail}"
        );
        let _ = writeln!(script, "cd {root_q} {fail}");
        for top in ["bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
            let host = Path::new("/").join(top);
            if let Ok(link) = fs::read_link(&host) {
                let _ = writeln!(
                    script,
                    "ln -s {} {top} {fail}",
                    quote(&link.to_string_lossy())
                );
            } else if host.is_dir() {
                let _ = writeln!(
                    script,
                    "mkdir {top} && mount --bind -o ro /{top} {top} {fail}"
                );
            }
        }
        let _ = writeln!(
            script,
            "mkdir usr dev proc etc tmp && chmod 1777 tmp {fail}\n\
             mount --bind -o ro /usr usr {fail}\n\
             mount --rbind /dev dev {fail}\n\
             mount --rbind /proc proc {fail}\n\
             mount --bind -o ro {} etc {fail}\n\
             mount --bind -o ro /etc/ssl etc/ssl {fail}",
            quote(&etc.to_string_lossy())
        );
        for bind in &self.binds {
            let target = quote(&format!(".{}", bind.target));
            let options = if bind.writable { "" } else { "-o ro " };
            let make = if bind.file {
                format!("mkdir -p \"$(dirname {target})\" && touch {target}")
            } else {
                format!("mkdir -p {target}")
            };
            let _ = writeln!(
                script,
                "{make} && mount --bind {options}{} {target} {fail}",
                quote(&bind.host.to_string_lossy())
            );
        }
        if self.read_only_root {
            let _ = writeln!(script, "mount -o remount,ro {root_q} {fail}");
        }
        let (uid, gid) = self.user;
        let _ = write!(
            script,
            "exec chroot {root_q} /usr/bin/setpriv --reuid={uid} --regid={gid} --clear-groups \
             /usr/bin/env -i -C {}",
            quote(&self.cwd)
        );
        for (key, value) in &self.env {
            let _ = write!(script, " {}", quote(&format!("{key}={value}")));
        }
        for arg in argv {
            let _ = write!(script, " {}", quote(arg));
        }
        script.push('\n');
        script
    }
}

/// `text` in single quotes for `sh`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `<layers>/report.toml` as platforms read it.
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) tags: Vec<String>,
    pub(crate) digest: String,
}

impl Report {
    pub(crate) fn read(path: &Path) -> Self {
        let text =
            fs::read_to_string(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        let table: toml::Table = text.parse().expect("report.toml parses");
        let image = table["image"].as_table().expect("[image]");
        let tags = image["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|tag| tag.as_str().expect("tag").to_owned())
            .collect();
        let digest = image["digest"].as_str().expect("digest").to_owned();
        Self { text, tags, digest }
    }

    /// What `sh -c "<pipeline>"` prints with the report at `$1` (a platform's scraper).
    pub(crate) fn scrape(path: &Path, pipeline: &str) -> String {
        let output = Command::new("sh")
            .args(["-c", pipeline, "scrape"])
            .arg(path)
            .output()
            .expect("sh runs");
        assert!(output.status.success(), "{pipeline}: {output:?}");
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }
}

/// A label of `config`, parsed as JSON.
pub(crate) fn json_label(config: &Value, key: &str) -> Value {
    let text = config["config"]["Labels"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no label {key} in {config:#}"));
    serde_json::from_str(text).unwrap_or_else(|err| panic!("label {key} is not JSON: {err}"))
}

/// Where a platform put things, as the app image must record them.
pub(crate) struct Built<'a> {
    pub(crate) api: &'a str,
    pub(crate) layers: &'a str,
    pub(crate) app: &'a str,
    pub(crate) run_image: &'a str,
}

/// The app image contract (clients.md §5) for an image built from the hello-web app by the
/// sample buildpacks as `built` says.
pub(crate) fn assert_app_image(config: &Value, built: &Built<'_>) {
    let Built {
        api,
        layers,
        app: app_dir,
        run_image,
    } = *built;
    let cfg = &config["config"];
    assert_eq!(
        cfg["Entrypoint"],
        serde_json::json!(["/cnb/process/web"]),
        "{config:#}"
    );
    assert!(
        cfg["Cmd"].is_null() || cfg["Cmd"] == serde_json::json!([]),
        "{config:#}"
    );
    assert_eq!(cfg["WorkingDir"], app_dir, "{config:#}");
    let env: Vec<&str> = cfg["Env"]
        .as_array()
        .expect("Env")
        .iter()
        .map(|item| item.as_str().expect("env entry"))
        .collect();
    for expected in [
        format!("CNB_LAYERS_DIR={layers}"),
        format!("CNB_APP_DIR={app_dir}"),
        format!("CNB_PLATFORM_API={api}"),
        "CNB_DEPRECATION_MODE=quiet".to_owned(),
    ] {
        assert!(env.contains(&expected.as_str()), "{expected} in {env:?}");
    }
    assert!(
        env.iter()
            .any(|item| item.starts_with("PATH=/cnb/process:/cnb/lifecycle:")),
        "PATH in {env:?}"
    );
    let labels = &cfg["Labels"];
    assert_eq!(
        labels["io.buildpacks.stack.id"],
        cnb_testkit::DEFAULT_BASE_ID,
        "run-image label kept"
    );
    let lifecycle = json_label(config, "io.buildpacks.lifecycle.metadata");
    let run = &lifecycle["runImage"];
    if minor(api) >= 12 {
        assert_eq!(run["image"], run_image, "{lifecycle:#}");
    } else {
        assert!(
            run["image"].is_null(),
            "runImage.image from P0.12: {lifecycle:#}"
        );
    }
    assert!(
        run["topLayer"]
            .as_str()
            .is_some_and(|layer| layer.starts_with("sha256:"))
    );
    assert!(
        run["reference"]
            .as_str()
            .is_some_and(|reference| !reference.is_empty())
    );
    assert_eq!(lifecycle["stack"]["runImage"]["image"], run_image);
    let keys: Vec<&str> = lifecycle["buildpacks"]
        .as_array()
        .expect("buildpacks")
        .iter()
        .map(|buildpack| buildpack["key"].as_str().expect("key"))
        .collect();
    assert_eq!(
        keys,
        [
            "samples/deps-cache",
            "samples/greeting",
            "samples/hello-web"
        ]
    );
    let build_metadata = json_label(config, "io.buildpacks.build.metadata");
    let types: Vec<&str> = build_metadata["processes"]
        .as_array()
        .expect("processes")
        .iter()
        .map(|process| process["type"].as_str().expect("type"))
        .collect();
    assert!(
        types.contains(&"web") && types.contains(&"hello"),
        "{build_metadata:#}"
    );
    assert!(
        build_metadata["launcher"]["version"].as_str().is_some(),
        "{build_metadata:#}"
    );
    assert!(
        labels["io.buildpacks.project.metadata"].as_str().is_some(),
        "{config:#}"
    );
}

/// The minor version of Platform API `0.<minor>`.
fn minor(api: &str) -> u32 {
    api.strip_prefix("0.")
        .and_then(|minor| minor.parse().ok())
        .unwrap_or_else(|| panic!("Platform API 0.x, got {api}"))
}

/// Asserts `finished` exited 0, with its output in the message.
pub(crate) fn assert_ok(step: &str, finished: &Finished) {
    assert_eq!(finished.code, Some(0), "{step}: {finished}");
}
