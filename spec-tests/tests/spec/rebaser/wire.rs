//! What a rebase sends: no layer bytes (only the config and the manifest), one ping of the
//! (open) registry, and the same requests whatever the size of the app's layers; in a fleet,
//! the run image once and six requests per image. The registry is reached through the
//! testkit's recording proxy.

use cnb_image::MediaType;
use cnb_testkit::RegistryProxy;

use super::fixture::{App, World};
use super::fleet::fleet;

/// The big app layer: large enough that any upload of it would show, small enough for CI
/// (the bench uses 1 GiB).
const BIG: u64 = 256 << 20;

#[test]
fn a_rebase_uploads_only_config_and_manifest_and_big_apps_cost_the_same_requests() {
    let world = World::start();
    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    let via_proxy = |name: &str| name.replacen(&world.registry.host(), &proxy.host(), 1);
    let run = via_proxy(&world.v2);
    let mirrors = [run.as_str()];
    let app = |name| App {
        mirrors: &mirrors,
        ..App::new(name, &world.v1)
    };
    let small_layer = world.push_big_layer(&world.name("test/small:latest"), 1 << 20);
    let small = world.app_with_layer(&app("test/small:latest"), small_layer);
    let big_layer = world.push_big_layer(&world.name("test/big:latest"), BIG);
    assert_eq!(big_layer.0.media_type, MediaType::OciLayer);
    let big = world.app_with_layer(&app("test/big:latest"), big_layer);

    let mut counts = Vec::new();
    for image in [&small, &big] {
        proxy.clear();
        let finished = World::run(
            World::rebaser("0.12")
                .args(["-run-image", &run, "-report=/dev/null"])
                .arg(via_proxy(image)),
        );
        assert_eq!(finished.code, Some(0), "{finished}");
        let after = world.image(image);
        let config_size = after.manifest.manifest.config.size;
        let manifest_size = after.manifest.bytes.len() as u64;
        assert_eq!(
            proxy.body_bytes("/blobs/uploads/"),
            config_size,
            "{:#?}",
            proxy.requests()
        );
        assert_eq!(proxy.body_bytes("/manifests/"), manifest_size);
        let sent: u64 = proxy
            .requests()
            .iter()
            .map(|request| request.body_bytes)
            .sum();
        assert_eq!(sent, config_size + manifest_size, "{:#?}", proxy.requests());
        let pings = proxy.requests().iter().filter(|r| r.path == "/v2/").count();
        assert_eq!(pings, 1, "{:#?}", proxy.requests());
        counts.push(proxy.requests().len());
    }
    assert_eq!(
        counts[0], counts[1],
        "request count of the 1 MiB and the 256 MiB app"
    );
}

#[test]
fn a_fleet_reads_the_run_image_once_and_sends_six_requests_per_image() {
    const IMAGES: usize = 10;
    let world = World::start();
    let images = fleet(&world, IMAGES, None);
    let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
    let via_proxy = |name: &str| name.replacen(&world.registry.host(), &proxy.host(), 1);
    let images: Vec<String> = images.iter().map(|image| via_proxy(image)).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let list = dir.path().join("images.txt");
    std::fs::write(&list, images.join("\n")).expect("list");
    let finished = World::run(
        World::rebaser("0.12")
            // the apps' labels name the registry itself: -force records the proxy's name
            .args(["-run-image", &via_proxy(&world.v2), "-force"])
            .arg("-images-from")
            .arg(&list)
            .arg("-report")
            .arg(dir.path().join("report.toml")),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let requests = proxy.requests();
    let run_image_reads = requests
        .iter()
        .filter(|request| request.path.starts_with("/v2/test/run/"))
        .count();
    assert_eq!(run_image_reads, 2, "manifest and config: {requests:#?}");
    // Per image: GET manifest, GET config, a mount of v2's one new layer, POST and PUT of
    // the new config (no HEAD first: a rebased config is new), PUT manifest.
    let heads = requests.iter().filter(|r| r.method == "HEAD").count();
    assert_eq!(heads, 0, "{requests:#?}");
    assert_eq!(requests.len(), 1 + 2 + 6 * IMAGES, "{requests:#?}");
}
