//! kpack's build pod (clients.md §2.1, §2.3, §2.5): Platform API 0.9, every step as the
//! builder's user 1000:1000, `CNB_RUN_IMAGE` on the exporter, the report in `/var/report`, a
//! volume cache; a second build with `-previous-image`. kpack then reads `image.tags[0]` and
//! `image.digest` from the report and the app image's stack id, build and lifecycle labels.

use std::fs;
use std::path::{Path, PathBuf};

use cnb_image::ImageRef;
use cnb_testkit::Finished;
use tempfile::TempDir;

use super::support::{
    Built, Container, GID, Report, Site, UID, Volumes, assert_app_image, assert_ok, builder_root,
    can_replay, json_label,
};

const API: &str = "0.9";
const USER: (u32, u32) = (UID, GID);
const REUSED: &str = "deps-cache: reusing the deps layer (deps.txt unchanged)";
/// What kpack's build-init writes for a git source.
const PROJECT_METADATA: &str = "[source]\n  type = \"git\"\n  [source.metadata]\n    \
    repository = \"https://example.com/app.git\"\n    revision = \"main\"\n  \
    [source.version]\n    commit = \"0123abcd\"\n";

/// What stays from one build pod to the next: the builder, the workspace, the platform dir,
/// the PVC cache and the home with its docker config.
struct Pods {
    site: Site,
    builder: TempDir,
    volumes: Volumes,
    workspace: PathBuf,
    platform: PathBuf,
    cache: PathBuf,
    home: PathBuf,
    app: String,
    build_tag: String,
}

impl Pods {
    fn new() -> Self {
        let site = Site::start();
        let builder = builder_root(&site.run_image.reference);
        let volumes = Volumes::new();
        let workspace = volumes.app("workspace", USER);
        let platform = volumes.dir("platform", USER);
        fs::create_dir(platform.join("env")).expect("mkdir env");
        fs::write(platform.join("env/FOO"), "bar").expect("platform env");
        let cache = volumes.dir("cache", USER);
        let home = volumes.dir("builder-home", USER);
        fs::create_dir(home.join(".docker")).expect("mkdir .docker");
        fs::write(home.join(".docker/config.json"), r#"{"auths":{}}"#).expect("config.json");
        let app = site.name("fixture/app:latest");
        let build_tag = site.name("fixture/app:b1.20260101.120000");
        Self {
            site,
            builder,
            volumes,
            workspace,
            platform,
            cache,
            home,
            app,
            build_tag,
        }
    }

    /// Runs build pod `number` (fresh layers and report volumes) and returns the
    /// report directory and what the build step printed.
    fn build(&self, number: u32) -> (PathBuf, Finished) {
        let layers = self.volumes.dir(&format!("layers-{number}"), USER);
        fs::write(layers.join("project-metadata.toml"), PROJECT_METADATA)
            .expect("project-metadata.toml");
        let report_dir = self.volumes.dir(&format!("report-{number}"), USER);
        let step = || {
            Container::new(USER)
                .env("CNB_PLATFORM_API", API)
                .env("CNB_USER_ID", &UID.to_string())
                .env("CNB_GROUP_ID", &GID.to_string())
                .bind_ro(&self.builder.path().join("cnb"), "/cnb")
                .bind(&layers, "/layers")
                .bind(&self.workspace, "/workspace")
                .bind(&self.platform, "/platform")
                .bind(&self.cache, "/cache")
                .bind(&self.home, "/builder/home")
                .bind(&report_dir, "/var/report")
                .cwd("/layers")
        };
        let run = &self.site.run_image.reference;
        let run_image_flag = format!("-run-image={run}");
        let tag_flag = format!("-tag={}", self.build_tag);
        let previous = format!("-previous-image={}", self.app);
        let mut analyze = vec![
            "/cnb/lifecycle/analyzer",
            "-layers=/layers",
            "-analyzed=/layers/analyzed.toml",
            &run_image_flag,
            &tag_flag,
        ];
        if number > 1 {
            analyze.push(&previous);
        }
        analyze.push(&self.app);
        let analyzed = step()
            .env("HOME", "/builder/home")
            .env("SERVICE_BINDING_ROOT", "/platform/bindings")
            .run(&analyze);
        assert_ok("analyze", &analyzed);
        assert_ok(
            "detect",
            &step().run(&[
                "/cnb/lifecycle/detector",
                "-app=/workspace",
                "-group=/layers/group.toml",
                "-plan=/layers/plan.toml",
            ]),
        );
        assert_ok(
            "restore",
            &step().env("HOME", "/builder/home").run(&[
                "/cnb/lifecycle/restorer",
                "-group=/layers/group.toml",
                "-layers=/layers",
                "-cache-dir=/cache",
                "-analyzed=/layers/analyzed.toml",
            ]),
        );
        let built = step()
            .env("SERVICE_BINDING_ROOT", "/platform/bindings")
            .run(&[
                "/cnb/lifecycle/builder",
                "-layers=/layers",
                "-app=/workspace",
                "-group=/layers/group.toml",
                "-plan=/layers/plan.toml",
            ]);
        assert_ok("build", &built);
        assert_ok(
            "export",
            &step()
                .env("HOME", "/builder/home")
                .env("CNB_RUN_IMAGE", run)
                .run(&[
                    "/cnb/lifecycle/exporter",
                    "-layers=/layers",
                    "-app=/workspace",
                    "-group=/layers/group.toml",
                    "-analyzed=/layers/analyzed.toml",
                    "-project-metadata=/layers/project-metadata.toml",
                    "-cache-dir=/cache",
                    "-report=/var/report/report.toml",
                    &self.app,
                    &self.build_tag,
                ]),
        );
        (report_dir, built)
    }

    /// What kpack's completion and build metadata reader take from the report and the image
    /// (clients.md §2.3); returns the digest.
    fn read_back(&self, report_dir: &Path) -> String {
        let site = &self.site;
        let report = Report::read(&report_dir.join("report.toml"));
        assert_eq!(
            report.tags,
            [self.app.as_str(), self.build_tag.as_str()],
            "{}",
            report.text
        );
        let repository = site.name("fixture/app");
        assert_eq!(
            site.digest(&format!("{repository}@{}", report.digest)),
            report.digest,
            "tags[0]@digest is pullable"
        );
        assert_eq!(site.digest(&self.app), report.digest);
        let config = site.config(&self.app);
        assert_app_image(
            &config,
            &Built {
                api: API,
                layers: "/layers",
                app: "/workspace",
                run_image: &site.run_image.reference,
            },
        );
        let lifecycle = json_label(&config, "io.buildpacks.lifecycle.metadata");
        for reference in [
            &lifecycle["runImage"]["reference"],
            &lifecycle["stack"]["runImage"]["image"],
        ] {
            let text = reference.as_str().expect("a reference");
            ImageRef::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
        }
        let build_metadata = json_label(&config, "io.buildpacks.build.metadata");
        assert_eq!(
            build_metadata["buildpacks"]
                .as_array()
                .expect("buildpacks")
                .len(),
            3
        );
        let project = json_label(&config, "io.buildpacks.project.metadata");
        assert_eq!(project["source"]["type"], "git", "{project:#}");
        assert_eq!(project["source"]["version"]["commit"], "0123abcd");
        report.digest
    }
}

#[test]
fn build_pod_steps_as_the_build_user_report_to_var_report_and_reuse_the_cache() {
    if !can_replay() {
        return;
    }
    let pods = Pods::new();
    let (report_dir, built) = pods.build(1);
    assert!(
        !built.stdout.contains(REUSED),
        "nothing cached yet: {built}"
    );
    let first = pods.read_back(&report_dir);

    let (report_dir, built) = pods.build(2);
    assert!(
        built.stdout.contains(REUSED),
        "the PVC cache feeds build 2: {built}"
    );
    let second = pods.read_back(&report_dir);
    assert_eq!(first, second, "the same inputs give the same image");
}
