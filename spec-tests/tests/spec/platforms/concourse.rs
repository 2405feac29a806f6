//! Concourse lifecycle-direct (clients.md §4, replay C1): the builder as the task image, run
//! as root; the creator with `CNB_REGISTRY_AUTH` against a registry that requires basic auth,
//! a cache image and a cache dir under the task's `$PWD`, dropping to 1000:1000. Run twice
//! with fresh directories, the second build gets its cache from the cache image alone.

use base64::Engine as _;
use cnb_testkit::RegistryFixture;
use serde_json::Value;

use super::support::{
    Built, Container, GID, Report, Site, UID, Volumes, assert_app_image, assert_ok, builder_root,
    can_replay,
};

const PWD: &str = "/tmp/build/e55deab7";

fn layer_digests(manifest: &Value) -> Vec<String> {
    manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|layer| layer["digest"].as_str().expect("digest").to_owned())
        .collect()
}

#[test]
fn creator_with_registry_auth_reuses_the_cache_image_on_the_second_build() {
    if !can_replay() {
        return;
    }
    let site = Site::with(RegistryFixture::with_htpasswd("concourse", "s3cret").expect("registry"));
    let run = site.run_image.reference.clone();
    let builder = builder_root(&run);
    let app = site.name("fixture/app:latest");
    let cache_image = site.name("fixture/app-cache:latest");
    let auth = format!(
        r#"{{"{}":"Basic {}"}}"#,
        site.registry.host(),
        base64::engine::general_purpose::STANDARD.encode("concourse:s3cret")
    );
    let volumes = Volumes::new();
    let user = (UID, GID);

    let mut cache_layers = Vec::new();
    for build in 1..=2 {
        // A new task container each time: nothing on disk carries over.
        let layers = volumes.dir(&format!("layers-{build}"), user);
        let platform = volumes.dir(&format!("platform-{build}"), user);
        let source = volumes.app(&format!("source-{build}"), user);
        let pwd = volumes.dir(&format!("pwd-{build}"), (0, 0));
        volumes.dir(&format!("pwd-{build}/cache"), user);
        let created = Container::new((0, 0))
            .env("CNB_PLATFORM_API", "0.9")
            .env("CNB_REGISTRY_AUTH", &auth)
            .bind_ro(&builder.path().join("cnb"), "/cnb")
            .bind(&layers, "/layers")
            .bind(&platform, "/platform")
            .bind(&source, "/source")
            .bind(&pwd, PWD)
            .cwd(PWD)
            .run(&[
                "/cnb/lifecycle/creator",
                "-app=/source",
                &format!("-cache-image={cache_image}"),
                &format!("-cache-dir={PWD}/cache"),
                "-uid=1000",
                "-gid=1000",
                "-layers=/layers",
                "-platform=/platform",
                "-report=/layers/report.toml",
                "-process-type=web",
                "-skip-restore=false",
                &format!("-run-image={run}"),
                &app,
            ]);
        assert_ok("creator", &created);
        let reused = created
            .stdout
            .contains("deps-cache: reusing the deps layer (deps.txt unchanged)");
        assert_eq!(
            reused,
            build == 2,
            "the cache image feeds build 2: {created}"
        );

        let scraped = Report::scrape(
            &layers.join("report.toml"),
            r#"grep digest "$1" | cut -d'"' -f2"#,
        );
        assert_eq!(scraped, site.digest(&app), "the task's digest output");
        assert_app_image(
            &site.config(&app),
            &Built {
                api: "0.9",
                layers: "/layers",
                app: "/source",
                run_image: &run,
            },
        );
        cache_layers.push(layer_digests(&site.manifest(&cache_image)));
    }
    assert!(!cache_layers[0].is_empty(), "the cache image holds layers");
    for layer in &cache_layers[0] {
        assert!(
            cache_layers[1].contains(layer),
            "cache layer {layer} of build 1 is reused by build 2: {cache_layers:?}"
        );
    }
}
