//! Shipwright's `buildpacks-v3` strategy (clients.md §0.8, §0.14, §3.3, §3.4 T3): Platform API
//! 0.13, uid 1001 gid 1000 (a Paketo builder's `cnb` user, also its `CNB_USER_ID`/`CNB_GROUP_ID`), a read-only root filesystem with the layers and the cache under
//! `/tmp/.shp`, `CNB_INSECURE_REGISTRIES` with a trailing comma, `/platform/env` holding every
//! container variable, the five phases from one script; it greps `metadata.toml` for the
//! default process and the report for the digest.

use std::fs;

use super::support::{
    Built, Container, Report, Site, Volumes, assert_app_image, assert_ok, builder_root, can_replay,
};

const USER: (u32, u32) = (1001, 1000);
const LAYERS: &str = "/tmp/.shp/layers";
const CACHE: &str = "/tmp/.shp/cache";
const SOURCE: &str = "/workspace/source";

/// The strategy writes every variable of the container but PATH, HOSTNAME, PWD, _, SHLVL and
/// HOME to /platform/env, the lifecycle's own included (clients.md §0.14).
fn write_platform_env(dir: &std::path::Path, insecure: &str) {
    for (key, value) in [
        ("CNB_PLATFORM_API", "0.13"),
        ("CNB_INSECURE_REGISTRIES", insecure),
        ("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
        ("KUBERNETES_SERVICE_PORT", "443"),
    ] {
        fs::write(dir.join(key), value).expect("platform env");
    }
}

#[test]
fn read_only_root_layers_under_tmp_and_a_trailing_comma_in_insecure_registries() {
    if !can_replay() {
        return;
    }
    let site = Site::start();
    let run = site.run_image.reference.clone();
    let builder = builder_root(&run);
    let volumes = Volumes::new();
    let tmp = volumes.dir("tmp", (0, 0));
    fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o1777))
        .expect("chmod 1777");
    let source = volumes.app("source", USER);
    let platform_env = volumes.dir("platform-env", USER);
    let home = volumes.dir("home", USER);
    let workdir = volumes.dir("workdir", USER);
    let app = site.name("fixture/app:latest");
    let insecure = format!("{},", site.registry.host());
    write_platform_env(&platform_env, &insecure);
    let container = || {
        Container::new(USER)
            .env("CNB_USER_ID", &USER.0.to_string())
            .env("CNB_GROUP_ID", &USER.1.to_string())
            .env("CNB_PLATFORM_API", "0.13")
            .env("CNB_INSECURE_REGISTRIES", &insecure)
            .env("HOME", "/home/shp")
            .env("KUBERNETES_SERVICE_HOST", "10.96.0.1")
            .bind_ro(&builder.path().join("cnb"), "/cnb")
            .bind(&tmp, "/tmp")
            .bind(&home, "/home")
            .bind(&platform_env, "/platform/env")
            .bind(&source, SOURCE)
            .bind_ro(&workdir, "/layers")
            .cwd("/layers")
            .read_only_root()
    };
    let sh = |script: &str| container().run(&["/bin/sh", "-c", script]);
    assert_ok(
        "the root filesystem is read-only",
        &sh(
            "! touch /layers/x 2>/dev/null && ! touch /x 2>/dev/null && touch /tmp/x /platform/env/x && rm /tmp/x /platform/env/x",
        ),
    );
    assert_ok("prepare", &sh(&format!("mkdir -p {CACHE} {LAYERS}")));

    let layers_flag = format!("-layers={LAYERS}");
    let cache_flag = format!("-cache-dir={CACHE}");
    let app_flag = format!("-app={SOURCE}");
    for (phase, argv) in [
        (
            "analyze",
            vec!["/cnb/lifecycle/analyzer", &layers_flag, &app],
        ),
        (
            "detect",
            vec!["/cnb/lifecycle/detector", &app_flag, &layers_flag],
        ),
        (
            "restore",
            vec!["/cnb/lifecycle/restorer", &cache_flag, &layers_flag],
        ),
        (
            "build",
            vec!["/cnb/lifecycle/builder", &app_flag, &layers_flag],
        ),
    ] {
        assert_ok(phase, &container().run(&argv));
    }
    let layers = tmp.join(".shp/layers");
    let metadata = fs::read_to_string(layers.join("config/metadata.toml")).expect("metadata.toml");
    assert!(
        metadata.contains("buildpack-default-process-type"),
        "the strategy greps this key to leave out -process-type: {metadata}"
    );
    assert_ok(
        "export",
        &container().run(&[
            "/cnb/lifecycle/exporter",
            &layers_flag,
            "-report=/tmp/report.toml",
            &cache_flag,
            &app_flag,
            &app,
        ]),
    );

    read_back(&site, &tmp, &app);
}

/// The strategy's digest result, the app image, and the cache it left under /tmp.
fn read_back(site: &Site, tmp: &std::path::Path, app: &str) {
    let scraped = Report::scrape(
        &tmp.join("report.toml"),
        r#"grep digest "$1" | tail -1 | tr -d ' "' | sed s/digest=//"#,
    );
    assert_eq!(scraped, site.digest(app), "the shp-image-digest result");
    assert_app_image(
        &site.config(app),
        &Built {
            api: "0.13",
            layers: LAYERS,
            app: SOURCE,
            run_image: &site.run_image.reference,
        },
    );
    assert!(
        fs::read_dir(tmp.join(".shp/cache"))
            .expect("cache")
            .next()
            .is_some(),
        "the cache under /tmp was written"
    );
}
