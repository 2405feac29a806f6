//! A large layer goes to the registry without a spool file: when its upload is cut off
//! mid-stream, the exporter writes the layer again from its files, and the export succeeds
//! with the layer whole.

use std::fs;
use std::io::Read;

use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};

use super::fixture::World;

/// Bytes that do not compress: a layer holding them outgrows what a registry writer keeps in
/// memory (8 MiB), so it is streamed.
fn noise(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

#[test]
fn a_large_layer_whose_upload_is_cut_off_is_written_again() {
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
        kind: FaultKind::DropAfter(1000),
        times: 1,
    });
    let app = world.name("test/app:latest");
    let finished = Finished::run(world.exporter("0.15").arg(via_proxy(&app)));
    assert_eq!(finished.code, Some(0), "{finished}");

    let requests = proxy.requests();
    let patches: Vec<_> = requests.iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches.len(), 2, "cut, then written again: {requests:#?}");
    assert_eq!(patches[0].status, None, "{requests:#?}");
    assert_eq!(patches[1].status, Some(202), "{requests:#?}");

    let label = world.label(&app, "io.buildpacks.lifecycle.metadata");
    let diff_id = label["buildpacks"][0]["layers"]["launch-layer"]["sha"]
        .as_str()
        .expect("layer sha")
        .to_owned();
    let mut archive = world.layer_tar(&app, &diff_id);
    let mut found = None;
    for entry in archive.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        if entry.path_bytes().ends_with(b"launch-layer/noise.bin") {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("noise.bin");
            found = Some(data);
        }
    }
    assert!(found == Some(contents), "the layer holds noise.bin whole");
}
