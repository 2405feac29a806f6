//! Tekton catalog tasks (clients.md §3.1, §3.2, §3.4): `buildpacks` 0.6 runs the creator at
//! Platform API 0.9 with the empty flag values the task passes for unbound parameters and
//! scrapes the digest with `grep digest | cut`; `buildpacks-phases` 0.3 runs the five phases
//! at 0.13 with `-layers=` empty on the restorer (WORKDIR `/layers` stands in) and reads the
//! digest with a TOML parser. Every step runs as the builder's user 1000:1000.

use std::fs;

use cnb_testkit::RunImage;

use super::support::{
    Built, Container, GID, Report, Site, UID, Volumes, assert_app_image, assert_ok, builder_root,
    can_replay,
};

/// The volumes a task run mounts, owned by the build user as the task's prepare step leaves
/// them.
struct TaskRun {
    volumes: Volumes,
    layers: std::path::PathBuf,
    platform: std::path::PathBuf,
    source: std::path::PathBuf,
    home: std::path::PathBuf,
}

impl TaskRun {
    fn new() -> Self {
        let volumes = Volumes::new();
        let user = (UID, GID);
        let layers = volumes.dir("layers", user);
        let platform = volumes.dir("platform", (0, 0));
        fs::create_dir(platform.join("env")).expect("mkdir env");
        // The prepare step writes each env param without a trailing newline.
        fs::write(platform.join("env/BP_GREETING"), "hi").expect("platform env");
        let source = volumes.app("source", user);
        let home = volumes.dir("tekton-home", user);
        Self {
            volumes,
            layers,
            platform,
            source,
            home,
        }
    }

    fn step(&self, builder: &std::path::Path) -> Container {
        Container::new((UID, GID))
            .env("CNB_USER_ID", &UID.to_string())
            .env("CNB_GROUP_ID", &GID.to_string())
            .env("HOME", "/tekton/home")
            .bind_ro(&builder.join("cnb"), "/cnb")
            .bind(&self.layers, "/layers")
            .bind(&self.platform, "/platform")
            .bind(&self.source, "/workspace/source")
            .bind(&self.home, "/tekton/home")
            .cwd("/layers")
    }
}

/// The restorer records the build image by digest in analyzed.toml (P≥0.10), found in
/// WORKDIR `/layers` although the task passes `-layers=`.
fn assert_build_image_recorded(layers: &std::path::Path, digest: &str) {
    let analyzed: toml::Table = fs::read_to_string(layers.join("analyzed.toml"))
        .expect("analyzed.toml in WORKDIR /layers")
        .parse()
        .expect("analyzed.toml parses");
    let recorded = analyzed["build-image"]["reference"]
        .as_str()
        .expect("[build-image] reference");
    assert!(recorded.ends_with(digest), "{analyzed:#?}");
}

#[test]
fn buildpacks_task_0_6_creator_with_empty_flags_and_a_grep_for_the_digest() {
    if !can_replay() {
        return;
    }
    let site = Site::start();
    let run = site.run_image.reference.clone();
    let builder = builder_root(&run);
    let task = TaskRun::new();
    let app = site.name("fixture/app:latest");
    let previous = format!("-previous-image={app}");

    let created = task
        .step(builder.path())
        .env("CNB_PLATFORM_API", "0.9")
        .env("DOCKER_CONFIG", "")
        .run(&[
            "/cnb/lifecycle/creator",
            "-app=/workspace/source/",
            "-cache-dir=",
            "-cache-image=",
            "-uid=1000",
            "-gid=1000",
            "-layers=/layers",
            "-platform=/platform",
            "-report=/layers/report.toml",
            "-process-type=web",
            "-skip-restore=false",
            &previous,
            "-run-image=",
            &app,
        ]);
    assert_ok("create", &created);

    let report = task.layers.join("report.toml");
    let scraped = Report::scrape(&report, r#"grep digest "$1" | cut -d'"' -f2"#);
    assert_eq!(
        scraped,
        site.digest(&app),
        "the task's APP_IMAGE_DIGEST result"
    );
    assert_app_image(
        &site.config(&app),
        &Built {
            api: "0.9",
            layers: "/layers",
            app: "/workspace/source",
            run_image: &run,
        },
    );
}

#[test]
fn buildpacks_phases_task_0_3_five_steps_with_an_empty_layers_flag_on_the_restorer() {
    if !can_replay() {
        return;
    }
    let site = Site::start();
    let run = site.run_image.reference.clone();
    let build_image = RunImage::default()
        .push(&site.registry, "fixture/builder:latest")
        .expect("builder image")
        .reference;
    let builder = builder_root(&run);
    let task = TaskRun::new();
    let kaniko = task.volumes.dir("kaniko", (UID, GID));
    let app = site.name("fixture/app:latest");
    let step = || {
        task.step(builder.path())
            .env("CNB_PLATFORM_API", "0.13")
            .env("CNB_EXPERIMENTAL_MODE", "silent")
    };
    let run_image_flag = format!("-run-image={run}");

    assert_ok(
        "analyze",
        &step().run(&[
            "/cnb/lifecycle/analyzer",
            "-log-level=info",
            "-layers=/layers",
            &run_image_flag,
            "-cache-image=",
            "-uid=1000",
            "-gid=1000",
            "-insecure-registry=",
            "-tag=",
            "-skip-layers=false",
            &app,
        ]),
    );
    assert_ok(
        "detect",
        &step().run(&[
            "/cnb/lifecycle/detector",
            "-log-level=info",
            "-app=/workspace/source/",
            "-group=/layers/group.toml",
            "-plan=/layers/plan.toml",
            "-layers=/layers",
            "-platform=/platform",
        ]),
    );
    let build_image_flag = format!("-build-image={build_image}");
    let restored = step()
        .env("CNB_SKIP_LAYERS", "false")
        .env("CNB_INSECURE_REGISTRIES", "")
        .bind(&kaniko, "/kaniko")
        .run(&[
            "/cnb/lifecycle/restorer",
            "-log-level=info",
            &build_image_flag,
            "-group=/layers/group.toml",
            "-layers=",
            "-cache-dir=",
            "-cache-image=",
            "-uid=1000",
            "-gid=1000",
            "-insecure-registry=",
            "-skip-layers=false",
        ]);
    assert_ok("restore", &restored);
    assert_build_image_recorded(&task.layers, &site.digest(&build_image));
    assert_ok(
        "build",
        &step().run(&[
            "/cnb/lifecycle/builder",
            "-log-level=info",
            "-app=/workspace/source/",
            "-layers=/layers",
            "-group=/layers/group.toml",
            "-plan=/layers/plan.toml",
            "-platform=/platform",
        ]),
    );
    assert_ok(
        "export",
        &step().run(&[
            "/cnb/lifecycle/exporter",
            "-log-level=info",
            "-app=/workspace/source/",
            "-layers=/layers",
            "-group=/layers/group.toml",
            "-cache-dir=",
            "-cache-image=",
            "-report=/layers/report.toml",
            "-process-type=web",
            "-uid=1000",
            "-gid=1000",
            "-insecure-registry=",
            &app,
        ]),
    );

    assert_results(&site, &task.layers, &app);
}

/// The task's results step (Python's tomllib on the report) and the app image.
fn assert_results(site: &Site, layers: &std::path::Path, app: &str) {
    let report = Report::read(&layers.join("report.toml"));
    assert_eq!(report.digest, site.digest(app), "{}", report.text);
    assert_eq!(report.tags, [app], "{}", report.text);
    assert_app_image(
        &site.config(app),
        &Built {
            api: "0.13",
            layers: "/layers",
            app: "/workspace/source",
            run_image: &site.run_image.reference,
        },
    );
}
