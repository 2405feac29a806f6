//! The exported image runs: pulled with skopeo into an OCI layout, unpacked by umoci, started
//! by runc with its own entrypoint (e2e-infra.md §4). The `web` process is a direct
//! `/bin/sh -c` (busybox's), started by the installed static launcher through the
//! `/cnb/process/web` symlink. Needs root and runc; skipped otherwise.

use super::fixture::World;
use crate::container_support::{can_run_containers, run_pulled};

#[test]
fn the_exported_image_runs_its_default_process_through_the_launcher() {
    if !can_run_containers() {
        return;
    }
    let world = World::start();
    let app = world.name("test/app:latest");
    world.export(&app, &[]);
    let finished = run_pulled(&app, None, "cnb-exporter");
    assert_eq!(finished.code, Some(0), "{finished}");
    assert_eq!(finished.stdout, "hello from web\n", "{finished}");
}
