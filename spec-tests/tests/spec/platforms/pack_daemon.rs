//! pack `build` without `--publish` at Platform API 0.15 (clients.md §1.3; daemon.md §1): the
//! trusted-builder creator as root with the Docker socket mounted, `-daemon -launch-cache`,
//! dropping to 1000:1000; and the untrusted five phases with the analyzer, restorer and
//! exporter as root in the lifecycle image, the socket mounted. The app image lands in the
//! test binary's private dockerd; checked as pack and a user read it back: report.toml (the
//! image ID, no digest), the `*** Images` line, analyzed.toml (daemon image IDs), `docker run`
//! of the image, and its config and labels against the registry export of the same inputs.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_testkit::{Fault, FaultKind, RegistryProxy, RunImage};
use serde_json::Value;

use super::pack::{assert_group, owner, pack_env, registry_env};
use super::support::{
    Container, GID, UID, Volumes, assert_ok, builder_root, can_replay, json_label,
    lifecycle_image_root,
};
use crate::daemon_support::{DaemonSite, daemon_report, is_image_id};

/// Where pack mounts the Docker socket.
const SOCKET: &str = "/var/run/docker.sock";
/// What the sample app's `hello` process prints.
const HELLO: &str = "hello from the hello process\n";

/// The volumes of one pack build.
struct Build {
    /// Holds the volumes' temp dir.
    _volumes: Volumes,
    layers: PathBuf,
    workspace: PathBuf,
    cache: PathBuf,
    launch_cache: PathBuf,
    platform: PathBuf,
}

impl Build {
    /// `/layers` owned by `layers_owner`, the app in `/workspace`, root-owned caches.
    fn new(layers_owner: (u32, u32)) -> Self {
        let volumes = Volumes::new();
        let layers = volumes.dir("layers", layers_owner);
        let workspace = volumes.app("workspace", (UID, GID));
        let cache = volumes.dir("cache", (0, 0));
        let launch_cache = volumes.dir("launch-cache", (0, 0));
        let platform = volumes.dir("platform/env", (0, 0));
        let platform = platform.parent().expect("platform").to_path_buf();
        Self {
            _volumes: volumes,
            layers,
            workspace,
            cache,
            launch_cache,
            platform,
        }
    }

    /// The trusted-builder container: root, the builder's `/cnb`, every volume.
    fn creator(&self, cnb: &Path) -> Container {
        registry_env(Container::new((0, 0)))
            .bind_ro(cnb, "/cnb")
            .bind_ro(&self.platform, "/platform")
            .bind(&self.layers, "/layers")
            .bind(&self.workspace, "/workspace")
            .bind(&self.cache, "/cache")
            .bind(&self.launch_cache, "/launch-cache")
            .cwd("/layers")
    }
}

/// The trusted flow's creator argv (daemon.md §1): `-daemon -launch-cache` first.
fn creator_argv<'a>(run: &'a str, app: &'a str, tag: &'a str) -> Vec<&'a str> {
    vec![
        "/cnb/lifecycle/creator",
        "-daemon",
        "-launch-cache",
        "/launch-cache",
        "-app",
        "/workspace",
        "-cache-dir",
        "/cache",
        "-run-image",
        run,
        "-tag",
        tag,
        app,
    ]
}

/// The image contract of a daemon export as pack reads it back: report.toml, the log,
/// analyzed.toml and what the image's processes print.
fn assert_exported(site: &DaemonSite, layers: &Path, stdout: &str, app: &str, tag: &str) {
    let (tags, id) = daemon_report(&layers.join("report.toml"));
    assert_eq!(tags, [app, tag]);
    assert!(is_image_id(&id), "image-id is 64 hex digits: {id}");
    assert_eq!(id, site.id(app));
    assert_eq!(id, site.id(tag), "every name, one image");
    assert!(
        stdout.contains(&format!(
            "*** Images ({}):\n      {app}\n      {tag}\n",
            &id[..12]
        )),
        "{stdout}"
    );
    let analyzed: toml::Table = fs::read_to_string(layers.join("analyzed.toml"))
        .expect("analyzed.toml")
        .parse()
        .expect("analyzed.toml parses");
    assert_eq!(
        analyzed["run-image"]["reference"].as_str(),
        Some(site.id(&site.run_image).as_str()),
        "the run image by its daemon ID: {analyzed:#?}"
    );
    assert_eq!(
        analyzed["run-image"]["image"].as_str(),
        Some(site.run_image.as_str())
    );
    assert_eq!(site.run(app, Some("/cnb/process/hello"), &[]), HELLO);
    let greeting = site.run(
        app,
        Some("/cnb/lifecycle/launcher"),
        &[
            "--",
            "sh",
            "-c",
            "echo \"$GREETING / $(head -n 1 $DEPS_HOME/version)\"",
        ],
    );
    assert!(
        greeting.starts_with("hello from exec.d (")
            && greeting.ends_with(") / busybox-httpd 1.35.0\n"),
        "exec.d and the deps layer at launch: {greeting}"
    );
}

/// Every layer of `app` above the run image is in the launch cache, as Go keeps it.
fn assert_launch_cache(site: &DaemonSite, launch_cache: &Path, app: &str) {
    let image = site.config(app);
    let run = site.config(&site.run_image);
    let diff_ids = image["rootfs"]["diff_ids"].as_array().expect("diff_ids");
    let base = run["rootfs"]["diff_ids"]
        .as_array()
        .expect("diff_ids")
        .len();
    for diff_id in &diff_ids[base..] {
        let diff_id = diff_id.as_str().expect("diffID");
        assert!(
            launch_cache
                .join(format!("committed/{diff_id}.tar"))
                .is_file(),
            "launch cache keeps {diff_id}"
        );
    }
    assert_eq!(owner(launch_cache), (UID, GID), "handed to the build user");
}

/// The config of a daemon export and of a registry export of the same inputs agree: the
/// runtime config, the layers, the times, the history above the run image and every label,
/// the run image's recorded reference aside (an image ID in one, a digest in the other).
fn assert_same_image(daemon: &Value, registry: &Value, run_layers: usize) {
    for key in ["architecture", "os", "created", "rootfs"] {
        assert_eq!(daemon[key], registry[key], "{key}");
    }
    let mut daemon_config = daemon["config"].clone();
    let mut registry_config = registry["config"].clone();
    let daemon_label = json_label(daemon, "io.buildpacks.lifecycle.metadata");
    let registry_label = json_label(registry, "io.buildpacks.lifecycle.metadata");
    let without_reference = |label: &Value| {
        let mut label = label.clone();
        label["runImage"]["reference"] = Value::Null;
        label
    };
    assert_eq!(
        without_reference(&daemon_label),
        without_reference(&registry_label)
    );
    for config in [&mut daemon_config, &mut registry_config] {
        config["Labels"]["io.buildpacks.lifecycle.metadata"] = Value::Null;
    }
    assert_eq!(
        daemon_config, registry_config,
        "runtime config and other labels"
    );
    let history =
        |config: &Value| config["history"].as_array().expect("history")[run_layers..].to_vec();
    assert_eq!(
        history(daemon),
        history(registry),
        "history of the app layers"
    );
}

#[test]
fn trusted_builder_creator_loads_into_the_daemon_what_a_publish_pushes() {
    if !can_replay() {
        return;
    }
    let site = DaemonSite::start();
    let run = site.run_image.clone();
    let builder = builder_root(&run);
    let cnb = builder.path().join("cnb");
    let app = site.name("fixture/app:latest");
    let tag = site.name("fixture/app:v2");

    let build = Build::new((UID, GID));
    fs::write(build.layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
    let finished = build
        .creator(&cnb)
        .bind_file(&site.daemon.socket(), SOCKET)
        .run(&creator_argv(&run, &app, &tag));
    assert_ok("creator -daemon", &finished);
    assert_exported(&site, &build.layers, &finished.stdout, &app, &tag);
    assert_eq!(
        owner(&build.layers.join("samples_hello-web/web/bin/serve")),
        (UID, GID),
        "the buildpacks ran as the build user"
    );
    assert_launch_cache(&site, &build.launch_cache, &app);
    let analyzed: toml::Table = fs::read_to_string(build.layers.join("analyzed.toml"))
        .expect("analyzed")
        .parse()
        .expect("analyzed.toml parses");
    assert_eq!(
        analyzed["image"]["reference"].as_str(),
        Some(""),
        "no previous image: {analyzed:#?}"
    );

    // The same inputs published to the registry (pack build --publish).
    let published = Build::new((UID, GID));
    fs::write(published.layers.join("project-metadata.toml"), "").expect("project-metadata");
    let pushed = site.name("fixture/published:latest");
    let finished = published.creator(&cnb).run(&[
        "/cnb/lifecycle/creator",
        "-app",
        "/workspace",
        "-cache-dir",
        "/cache",
        "-run-image",
        &run,
        &pushed,
    ]);
    assert_ok("creator (publish)", &finished);
    let registry_config = registry_config(&pushed);
    let run_layers = site.config(&run)["rootfs"]["diff_ids"]
        .as_array()
        .expect("diff_ids")
        .len();
    assert_same_image(&site.config(&app), &registry_config, run_layers);
}

#[test]
fn untrusted_builder_five_phases_with_the_root_phases_on_the_daemon() {
    if !can_replay() {
        return;
    }
    let site = DaemonSite::start();
    let run = site.run_image.clone();
    let builder = builder_root(&run);
    let cnb = builder.path().join("cnb");
    let app = site.name("fixture/app:latest");
    let tag = site.name("fixture/app:v2");
    let build = Build::new((0, 0));
    let image = lifecycle_image_root();
    let socket = site.daemon.socket();
    let lifecycle_image = || {
        registry_env(Container::new((0, 0)))
            .bind_ro(&image.path().join("cnb/lifecycle"), "/cnb/lifecycle")
            .bind_ro(&image.path().join("etc/ssl"), "/etc/ssl")
            .bind(&build.layers, "/layers")
            .bind(&build.workspace, "/workspace")
            .bind(&build.cache, "/cache")
            .bind(&build.launch_cache, "/launch-cache")
            .bind_file(&socket, SOCKET)
            .cwd("/layers")
    };
    let ephemeral_builder = || {
        pack_env(Container::new((UID, GID)))
            .bind_ro(&cnb, "/cnb")
            .bind_ro(&build.platform, "/platform")
            .bind(&build.layers, "/layers")
            .bind(&build.workspace, "/workspace")
            .cwd("/layers")
    };

    fs::write(
        build.layers.join("run.toml"),
        format!("[[images]]\n  image = \"{run}\"\n"),
    )
    .expect("run.toml");
    let analyzed = lifecycle_image().run(&[
        "/cnb/lifecycle/analyzer",
        "-daemon",
        "-run",
        "/layers/run.toml",
        "-run-image",
        &run,
        "-tag",
        &tag,
        "-launch-cache",
        "/launch-cache",
        &app,
    ]);
    assert_ok("analyzer -daemon", &analyzed);
    assert_eq!(
        owner(&build.layers),
        (UID, GID),
        "the analyzer handed /layers over"
    );
    assert_ok(
        "detector",
        &ephemeral_builder().run(&["/cnb/lifecycle/detector", "-app", "/workspace"]),
    );
    assert_group(&build.layers);
    assert_ok(
        "restorer -daemon",
        &lifecycle_image().run(&["/cnb/lifecycle/restorer", "-cache-dir", "/cache", "-daemon"]),
    );
    assert_ok(
        "builder",
        &ephemeral_builder().run(&["/cnb/lifecycle/builder", "-app", "/workspace"]),
    );
    fs::write(
        build.layers.join("stack.toml"),
        format!("[run-image]\n  image = \"{run}\"\n"),
    )
    .expect("stack.toml");
    fs::write(build.layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
    let exported = lifecycle_image().run(&[
        "/cnb/lifecycle/exporter",
        "-daemon",
        "-launch-cache",
        "/launch-cache",
        "-app",
        "/workspace",
        "-cache-dir",
        "/cache",
        "-run",
        "/layers/run.toml",
        &app,
        &tag,
    ]);
    assert_ok("exporter -daemon", &exported);
    assert_exported(&site, &build.layers, &exported.stdout, &app, &tag);
    assert_launch_cache(&site, &build.launch_cache, &app);
    assert_label(&site, &app);
}

/// The lifecycle label of `app` records the run image by name and by its daemon ID, and the
/// cached deps layer.
fn assert_label(site: &DaemonSite, app: &str) {
    let run = &site.run_image;
    let label = json_label(&site.config(app), "io.buildpacks.lifecycle.metadata");
    assert_eq!(
        label["runImage"]["reference"].as_str(),
        Some(site.id(run).as_str()),
        "the label records the run image by its daemon ID"
    );
    assert_eq!(label["runImage"]["image"].as_str(), Some(run.as_str()));
    assert_eq!(
        label["buildpacks"][0]["layers"]["deps"]["cache"], true,
        "{label:#}"
    );
}

/// The raw config of `name` in the site's registry.
fn registry_config(name: &str) -> Value {
    crate::image_support::inspect(
        &format!("docker://{name}"),
        &["--tls-verify=false", "--config", "--raw"],
    )
}

#[test]
fn a_rebuild_with_unchanged_inputs_sends_no_layer_and_exports_nothing_from_the_daemon() {
    if !can_replay() {
        return;
    }
    let site = DaemonSite::start();
    let run = site.run_image.clone();
    let builder = builder_root(&run);
    let cnb = builder.path().join("cnb");
    let app = site.name("fixture/app:latest");
    let tag = site.name("fixture/app:v2");
    let build = Build::new((UID, GID));
    fs::write(build.layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
    let first = build
        .creator(&cnb)
        .bind_file(&site.daemon.socket(), SOCKET)
        .run(&creator_argv(&run, &app, &tag));
    assert_ok("first build", &first);
    let (_, first_id) = daemon_report(&build.layers.join("report.toml"));

    // The same build again, through a proxy that counts what reaches the daemon.
    let proxy = RegistryProxy::start_unix(&site.daemon.socket()).expect("proxy");
    let second = build
        .creator(&cnb)
        .bind_file(&proxy.socket().expect("proxy socket"), SOCKET)
        .run(&creator_argv(&run, &app, &tag));
    assert_ok("rebuild", &second);
    let (_, second_id) = daemon_report(&build.layers.join("report.toml"));
    assert_eq!(second_id, first_id, "same inputs, same image ID");
    assert_eq!(site.id(&app), first_id);
    assert!(!second.stdout.contains("Adding layer"), "{second}");
    for layer in [
        "samples/deps-cache:deps",
        "samples/greeting:greeting",
        "samples/hello-web:web",
        "buildpacksio/lifecycle:launcher",
        "buildpacksio/lifecycle:config",
        "buildpacksio/lifecycle:process-types",
    ] {
        assert!(
            second.stdout.contains(&format!("Reusing layer '{layer}'")),
            "{layer} reused: {second}"
        );
    }
    let requests = proxy.requests();
    assert!(
        !requests.iter().any(|request| request.path.contains("/get")),
        "no docker save: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|request| request.path.contains("/images/load")),
        "{requests:?}"
    );
    // The launcher alone is over 500 KiB: no layer went to the daemon again.
    let sent = proxy.body_bytes("/images/load");
    assert!(sent < 64 * 1024, "{sent} bytes sent to load the image");
    assert_launch_cache(&site, &build.launch_cache, &app);
    assert_eq!(site.run(&app, Some("/cnb/process/hello"), &[]), HELLO);
}

#[test]
fn a_daemon_failing_mid_load_fails_the_export_with_one_line_and_loads_nothing() {
    if !can_replay() {
        return;
    }
    let site = DaemonSite::start();
    let run = site.run_image.clone();
    let builder = builder_root(&run);
    let cnb = builder.path().join("cnb");
    for (kind, name) in [
        (FaultKind::DropAfter(300 * 1024), "fixture/dropped"),
        (FaultKind::Status(500), "fixture/refused"),
    ] {
        let app = site.name(&format!("{name}:latest"));
        let tag = site.name(&format!("{name}:v2"));
        let proxy = RegistryProxy::start_unix(&site.daemon.socket()).expect("proxy");
        proxy.inject(Fault {
            method: "POST".to_owned(),
            path_contains: "/images/load".to_owned(),
            kind: kind.clone(),
            times: 1,
        });
        let build = Build::new((UID, GID));
        fs::write(build.layers.join("project-metadata.toml"), "").expect("project-metadata");
        let finished = build
            .creator(&cnb)
            .bind_file(&proxy.socket().expect("proxy socket"), SOCKET)
            .run(&creator_argv(&run, &app, &tag));
        assert_eq!(finished.code, Some(62), "{kind:?}: {finished}");
        let errors: Vec<&str> = finished
            .stderr
            .lines()
            .filter(|line| line.starts_with("ERROR: "))
            .collect();
        assert_eq!(errors.len(), 1, "{kind:?}: {finished}");
        assert!(
            errors[0].starts_with("ERROR: failed to export: "),
            "{kind:?}: {}",
            errors[0]
        );
        assert!(
            !site.has(&app) && !site.has(&tag),
            "{kind:?}: nothing loaded"
        );
        assert!(!build.layers.join("report.toml").exists());
        assert!(
            !build
                .launch_cache
                .join("committed")
                .read_dir()
                .is_ok_and(|mut dir| dir.next().is_some()),
            "{kind:?}: the launch cache keeps the last image's layers only once it is saved"
        );
    }
}

#[test]
fn rebaser_daemon_puts_the_new_run_image_under_an_app_in_the_daemon() {
    if !can_replay() {
        return;
    }
    let site = DaemonSite::start();
    let run = site.run_image.clone();
    let builder = builder_root(&run);
    let cnb = builder.path().join("cnb");
    let app = site.name("fixture/app:latest");
    let tag = site.name("fixture/app:v2");
    let build = Build::new((UID, GID));
    fs::write(build.layers.join("project-metadata.toml"), "").expect("project-metadata.toml");
    let first = build
        .creator(&cnb)
        .bind_file(&site.daemon.socket(), SOCKET)
        .run(&creator_argv(&run, &app, &tag));
    assert_ok("creator -daemon", &first);
    let before = site.config(&app);
    let old_run = site.config(&run);

    // A new run image under the same name, as a base image update moves the tag.
    let layout = RunImage::default()
        .label("io.test.generation", "2")
        .build_layout()
        .expect("new run image");
    site.daemon
        .load(&layout, &run)
        .expect("load the new run image");
    let new_run = site.config(&run);
    assert_ne!(new_run, old_run);

    let image = lifecycle_image_root();
    let reports = Volumes::new();
    let out = reports.dir("out", (UID, GID));
    let rebased = registry_env(Container::new((0, 0)))
        .bind_ro(&image.path().join("cnb/lifecycle"), "/cnb/lifecycle")
        .bind(&out, "/out")
        .bind_file(&site.daemon.socket(), SOCKET)
        .run(&[
            "/cnb/lifecycle/rebaser",
            "-daemon",
            "-report",
            "/out/report.toml",
            &app,
        ]);
    assert_ok("rebaser -daemon", &rebased);
    let (tags, id) = daemon_report(&out.join("report.toml"));
    assert_eq!(tags, [app.as_str()]);
    assert_eq!(id, site.id(&app));
    assert!(
        rebased
            .stdout
            .contains(&format!("*** Images ({}):", &id[..12])),
        "{rebased}"
    );
    let after = site.config(&app);
    let ids = |config: &Value| {
        config["rootfs"]["diff_ids"]
            .as_array()
            .expect("diff_ids")
            .clone()
    };
    let base = ids(&old_run).len();
    assert_eq!(
        ids(&after)[..base],
        ids(&new_run)[..],
        "the new run image's layers"
    );
    assert_eq!(
        ids(&after)[base..],
        ids(&before)[base..],
        "the app's layers kept"
    );
    let label = json_label(&after, "io.buildpacks.lifecycle.metadata");
    assert_eq!(
        label["runImage"]["reference"].as_str(),
        Some(site.id(&run).as_str())
    );
    assert_eq!(
        label["runImage"]["topLayer"],
        ids(&new_run).last().cloned().expect("top layer")
    );
    assert_eq!(
        site.id(&tag),
        daemon_report(&build.layers.join("report.toml")).1,
        "the tag not rebased"
    );
    assert_eq!(site.run(&app, Some("/cnb/process/hello"), &[]), HELLO);
}
