//! What a rebase sends: no layer bytes (only the config and the manifest), one ping of the
//! (open) registry, and the same requests whatever the size of the app's layers. The registry is reached through the
//! testkit's recording proxy.

use cnb_image::MediaType;
use cnb_testkit::RegistryProxy;

use super::fixture::{App, World};

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
