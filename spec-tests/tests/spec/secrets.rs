//! Credentials never leak. The installed creator builds and rebuilds an app with
//! `-log-level debug`, reaching three registries with secrets from every source: the app
//! image (and its tags) on an htpasswd registry via `CNB_REGISTRY_AUTH`, the run image on
//! another via a credential helper (`testdata/secrets/docker-credential-cnbsecret`) named in
//! a docker `config.json`, and the cache image behind a token service via an identity token
//! in that `config.json`, exchanged for an access token. Then none of those secrets (nor the
//! encoded `CNB_REGISTRY_AUTH` value) may appear in the creator's output, in the build
//! environment (the buildpack `testdata/secrets/env-dump` prints it, and keeps it in a
//! layer), in any file under `<layers>` (report.toml included), or in the app or cache image
//! (manifests, configs with their labels, layers, compressed and not).

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use cnb_image::{Image, ImageStore};
use cnb_registry::Environment;
use cnb_testkit::{
    BUILD_UID, Finished, Lifecycle, RegistryFixture, RegistryProxy, RunImage, build_user_command,
    hand_to_build_user, phase_for_build_user,
};

use crate::image_support::{reference, registry_store};
use crate::registry_store::amd64;

const ENV_USER: &str = "cnb-env-user";
const ENV_PASSWORD: &str = "env-S3CRET-8d2e47";
/// What `testdata/secrets/docker-credential-cnbsecret` answers.
const HELPER_USER: &str = "cnb-helper-user";
const HELPER_PASSWORD: &str = "helper-S3CRET-3f9a1c";
const REFRESH_TOKEN: &str = "refresh-S3CRET-b71c05";
const ACCESS_TOKEN: &str = "access-S3CRET-5ea390";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/secrets")
}

fn copy_executable(from: &Path, to: &Path) {
    fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    fs::copy(from, to).expect("copy");
    fs::set_permissions(to, fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The three registries, a build directory, and the creator's environment.
struct Scene {
    app_registry: RegistryFixture,
    run_registry: RegistryFixture,
    _cache_registry: RegistryFixture,
    token_proxy: RegistryProxy,
    run_image: String,
    _root: tempfile::TempDir,
    dir: PathBuf,
}

impl Scene {
    fn new() -> Self {
        let app_registry =
            RegistryFixture::with_htpasswd(ENV_USER, ENV_PASSWORD).expect("registry");
        let run_registry =
            RegistryFixture::with_htpasswd(HELPER_USER, HELPER_PASSWORD).expect("registry");
        let cache_registry = RegistryFixture::start().expect("registry");
        let token_proxy = RegistryProxy::with_token_service(&cache_registry.host(), ACCESS_TOKEN)
            .expect("token proxy");
        let run_image = RunImage::default()
            .push(&run_registry, "test/run:latest")
            .expect("run image")
            .reference;
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().to_path_buf();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        let scene = Self {
            app_registry,
            run_registry,
            _cache_registry: cache_registry,
            token_proxy,
            run_image,
            _root: root,
            dir,
        };
        scene.write_build();
        scene
    }

    fn layers(&self) -> PathBuf {
        self.dir.join("layers")
    }

    /// The buildpack, the app, order.toml, the helper on a `bin` dir and `config.json`.
    fn write_build(&self) {
        let source = testdata().join("env-dump");
        let buildpack = self.dir.join("buildpacks/test_env-dump/0.0.1");
        fs::create_dir_all(&buildpack).expect("mkdir");
        fs::copy(
            source.join("buildpack.toml"),
            buildpack.join("buildpack.toml"),
        )
        .expect("copy");
        for bin in ["detect", "build"] {
            copy_executable(
                &source.join("bin").join(bin),
                &buildpack.join("bin").join(bin),
            );
        }
        copy_executable(
            &testdata().join("docker-credential-cnbsecret"),
            &self.dir.join("bin/docker-credential-cnbsecret"),
        );
        let config = serde_json::json!({
            "credHelpers": { self.run_registry.host(): "cnbsecret" },
            "auths": { self.token_proxy.host(): { "identitytoken": REFRESH_TOKEN } },
        });
        fs::create_dir_all(self.dir.join("docker")).expect("mkdir");
        fs::write(self.dir.join("docker/config.json"), config.to_string()).expect("config");
        for dir in ["layers", "workspace", "platform"] {
            fs::create_dir_all(self.dir.join(dir)).expect("mkdir");
        }
        fs::write(self.dir.join("workspace/main.txt"), "app source\n").expect("app");
        fs::write(
            self.layers().join("order.toml"),
            "[[order]]\n  [[order.group]]\n    id = \"test/env-dump\"\n    version = \"0.0.1\"\n",
        )
        .expect("order");
        for dir in [
            "layers",
            "workspace",
            "platform",
            "docker",
            "bin",
            "buildpacks",
        ] {
            hand_to_build_user(&self.dir.join(dir));
        }
    }

    fn app(&self) -> String {
        self.app_registry.reference("test/app:latest")
    }

    fn cache(&self) -> String {
        format!("{}/test/cache", self.token_proxy.host())
    }

    /// `CNB_REGISTRY_AUTH` for the app registry.
    fn registry_auth(&self) -> String {
        serde_json::json!({ self.app_registry.host(): format!("Basic {}", encoded_env_credentials()) })
            .to_string()
    }

    /// The creator as the build user, debug logging on.
    fn creator(&self) -> Command {
        let program = phase_for_build_user(&self.dir, "creator");
        let launcher = self.dir.join("cnb/lifecycle/launcher");
        if !launcher.exists() {
            fs::copy(Lifecycle::installed().path("launcher"), &launcher).expect("launcher");
        }
        let mut command = build_user_command(&program);
        command
            .env("CNB_PLATFORM_API", "0.15")
            .env("CNB_REGISTRY_AUTH", self.registry_auth())
            .env("DOCKER_CONFIG", self.dir.join("docker"))
            .env(
                "PATH",
                format!(
                    "{}:/usr/local/bin:/usr/bin:/bin",
                    self.dir.join("bin").display()
                ),
            )
            .arg("-log-level=debug")
            .arg(format!("-layers={}", self.layers().display()))
            .arg(format!("-app={}", self.dir.join("workspace").display()))
            .arg(format!(
                "-buildpacks={}",
                self.dir.join("buildpacks").display()
            ))
            .arg(format!("-platform={}", self.dir.join("platform").display()))
            .arg(format!("-launcher={}", launcher.display()))
            .arg(format!("-run-image={}", self.run_image))
            .arg(format!("-uid={BUILD_UID}"))
            .arg(format!("-gid={BUILD_UID}"))
            .arg(format!("-cache-image={}", self.cache()))
            .arg(format!(
                "-tag={}",
                self.app_registry.reference("test/app:tagged")
            ))
            .arg(self.app());
        command
    }

    /// A store that reads every image of the scene.
    fn reader(&self) -> cnb_registry::RegistryStore {
        let env = Environment {
            registry_auth: Some(self.registry_auth()),
            docker_config: Some(self.dir.join("docker")),
            path: Some(format!("{}:/usr/bin:/bin", self.dir.join("bin").display())),
            ..Environment::default()
        };
        let images = [reference(&self.app()), reference(&self.cache())];
        registry_store(&env, &images)
    }
}

fn encoded_env_credentials() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{ENV_USER}:{ENV_PASSWORD}"))
}

/// Every secret, with what it is.
fn secrets() -> Vec<(&'static str, String)> {
    vec![
        ("CNB_REGISTRY_AUTH password", ENV_PASSWORD.to_owned()),
        ("CNB_REGISTRY_AUTH value", encoded_env_credentials()),
        ("credential helper password", HELPER_PASSWORD.to_owned()),
        ("identity token", REFRESH_TOKEN.to_owned()),
        ("access token", ACCESS_TOKEN.to_owned()),
    ]
}

fn assert_no_secret(place: &str, bytes: &[u8]) {
    for (what, secret) in secrets() {
        assert!(
            !bytes
                .windows(secret.len())
                .any(|window| window == secret.as_bytes()),
            "the {what} appears in {place}"
        );
    }
}

/// Every file under `dir`, checked.
fn assert_no_secret_in_files(dir: &Path) -> usize {
    let mut checked = 0;
    for entry in fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        let meta = fs::symlink_metadata(&path).expect("stat");
        if meta.is_dir() {
            checked += assert_no_secret_in_files(&path);
        } else if meta.is_file() {
            assert_no_secret(&path.display().to_string(), &fs::read(&path).expect("read"));
            checked += 1;
        }
    }
    checked
}

/// The image's manifest, config and layers (and their gunzipped tars), checked.
fn assert_no_secret_in_image(store: &dyn ImageStore, name: &str) -> Image {
    let reference = reference(name);
    let image = store
        .read_image(&reference, &amd64())
        .expect("readable")
        .expect("exists");
    assert_no_secret(&format!("the manifest of {name}"), &image.manifest.bytes);
    let config = store
        .read_blob(&reference, &image.manifest.manifest.config.digest)
        .expect("config");
    assert_no_secret(&format!("the config of {name}"), &config);
    for layer in &image.manifest.manifest.layers {
        let bytes = store.read_blob(&reference, &layer.digest).expect("layer");
        assert_no_secret(&format!("layer {} of {name}", layer.digest), &bytes);
        let mut plain = Vec::new();
        if flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut plain)
            .is_ok()
        {
            assert_no_secret(
                &format!("layer {} of {name}, unpacked", layer.digest),
                &plain,
            );
        }
    }
    image
}

#[test]
fn no_credential_reaches_output_build_environment_files_or_images() {
    let scene = Scene::new();
    let mut outputs = Vec::new();
    for build in ["first", "second"] {
        let finished = Finished::run(&mut scene.creator());
        assert_eq!(finished.code, Some(0), "{build} build: {finished}");
        assert!(
            finished
                .stdout
                .contains("env-dump: the build environment follows"),
            "{finished}"
        );
        assert!(finished.stdout.contains("CNB_LAYERS_DIR="), "{finished}");
        // A debug line: debug output is on.
        assert!(
            finished
                .stdout
                .contains("found credentials in docker config"),
            "{finished}"
        );
        outputs.push(finished);
    }
    // The second build read the previous image and the cache back.
    assert!(
        outputs[1].stdout.contains("Reusing layer") || outputs[1].stdout.contains("Restoring"),
        "{}",
        outputs[1]
    );
    for (index, finished) in outputs.iter().enumerate() {
        assert_no_secret(
            &format!("build {index}'s stdout"),
            finished.stdout.as_bytes(),
        );
        assert_no_secret(
            &format!("build {index}'s stderr"),
            finished.stderr.as_bytes(),
        );
    }
    let env_dump = scene.layers().join("test_env-dump/env/build.env");
    assert!(env_dump.is_file(), "the build environment was kept");
    let checked = assert_no_secret_in_files(&scene.layers());
    assert!(checked > 5, "{checked} files under <layers>");
    assert!(scene.layers().join("report.toml").is_file());

    // The secrets were used: the token service exchanged the identity token, and every
    // registry took our requests.
    let token_requests = scene.token_proxy.requests();
    assert!(
        token_requests
            .iter()
            .any(|r| r.method == "POST" && r.path.starts_with("/token")),
        "{token_requests:#?}"
    );
    let reader = scene.reader();
    assert_no_secret_in_image(&reader, &scene.app());
    assert_no_secret_in_image(&reader, &scene.app_registry.reference("test/app:tagged"));
    let cache = assert_no_secret_in_image(&reader, &scene.cache());
    assert!(!cache.manifest.manifest.layers.is_empty());
}
