//! A large layer goes to the registry without a spool file: when its upload is cut off
//! mid-stream or never answered, the exporter writes the layer again from its files, and the
//! export succeeds with the layer whole; when every attempt fails, the export fails with 62
//! and one line, writing no tag.

use std::fs;
use std::io::Read;

use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};

use super::fixture::World;
use crate::hostile::the_error;
use crate::image_support::noise;

/// The exporter's world with 12 MiB of noise in its launch layer and a proxy in front of the
/// registry that applies `kind` to the first `times` `PATCH`es of an upload; exports
/// `test/app:latest` through the proxy (a silent registry is given up on after 2 s).
struct Cut {
    world: World,
    proxy: RegistryProxy,
    contents: Vec<u8>,
    finished: Finished,
}

impl Cut {
    fn export(kind: FaultKind, times: u32) -> Self {
        let world = World::start();
        let contents = noise(12 << 20);
        fs::write(
            world.layers().join("test_first/launch-layer/noise.bin"),
            &contents,
        )
        .expect("write noise");
        let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
        let via_proxy = |name: &str| name.replacen(&world.registry.host(), &proxy.host(), 1);
        world.write_analyzed(None, &via_proxy(&world.run_digest_ref));
        proxy.inject(Fault {
            method: "PATCH".to_owned(),
            path_contains: "/blobs/uploads/".to_owned(),
            kind,
            times,
        });
        let app = via_proxy(&world.name("test/app:latest"));
        let finished = Finished::run(
            world
                .exporter("0.15")
                .env("CNB_REGISTRY_TIMEOUT", "2s")
                .arg(app),
        );
        Self {
            world,
            proxy,
            contents,
            finished,
        }
    }

    /// The answers to the upload's `PATCH`es, in order (`None`: no answer).
    fn patches(&self) -> Vec<Option<u16>> {
        self.proxy
            .requests()
            .iter()
            .filter(|request| request.method == "PATCH")
            .map(|request| request.status)
            .collect()
    }

    /// Expects success, and the exported launch layer holding noise.bin whole.
    fn exported_whole(&self) {
        assert_eq!(self.finished.code, Some(0), "{}", self.finished);
        let app = self.world.name("test/app:latest");
        layer_holds(&self.world, &app, &self.contents);
    }
}

#[test]
fn a_large_layer_whose_upload_is_cut_off_is_written_again() {
    let cut = Cut::export(FaultKind::DropAfter(1000), 1);
    cut.exported_whole();
    assert_eq!(cut.patches(), [None, Some(202)], "cut, then written again");
}

#[test]
fn a_large_layer_whose_upload_is_never_answered_is_given_up_on_and_written_again() {
    let cut = Cut::export(FaultKind::Silence, 1);
    cut.exported_whole();
    assert_eq!(
        cut.patches(),
        [None, Some(202)],
        "silent, then written again"
    );
}

#[test]
fn a_large_layer_cut_off_at_every_attempt_fails_with_62_and_writes_no_tag() {
    let cut = Cut::export(FaultKind::DropAfter(1000), 1000);
    assert_eq!(cut.finished.code, Some(62), "{}", cut.finished);
    let line = the_error(&cut.finished);
    assert!(
        line.contains("failed to export: exporting layer 'test/first:launch-layer'")
            && line.contains("was cut off"),
        "{line}"
    );
    assert_eq!(cut.patches(), [None, None, None], "3 attempts");
    assert!(!cut.world.exists(&cut.world.name("test/app:latest")));
    assert!(!cut.world.layers().join("report.toml").exists());
}

/// Expects the launch layer of `app` to hold noise.bin with `contents`.
fn layer_holds(world: &World, app: &str, contents: &[u8]) {
    let label = world.label(app, "io.buildpacks.lifecycle.metadata");
    let diff_id = label["buildpacks"][0]["layers"]["launch-layer"]["sha"]
        .as_str()
        .expect("layer sha")
        .to_owned();
    let mut archive = world.layer_tar(app, &diff_id);
    let mut found = None;
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        if entry.path_bytes().ends_with(b"launch-layer/noise.bin") {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("noise.bin");
            found = Some(data);
        }
    }
    assert!(
        found.as_deref() == Some(contents),
        "the layer holds noise.bin whole"
    );
}
