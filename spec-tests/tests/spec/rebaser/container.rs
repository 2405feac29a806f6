//! The rebased image still runs: pulled with skopeo into an OCI layout, unpacked by umoci,
//! run by runc (e2e-infra.md §4). Needs root and runc; skipped otherwise.

use super::fixture::{APP_FILE, V2_OS_RELEASE, World};
use crate::container_support::{can_run_containers, run_pulled};

#[test]
fn the_rebased_app_runs_with_its_own_files_on_the_new_os() {
    if !can_run_containers() {
        return;
    }
    let world = World::start();
    let app = world.app(&world.on_v1("test/app:latest"));
    let script = "cat /app-file; cat /etc/os-release";
    let before = run_pulled(&app, Some(&["/bin/sh", "-c", script]), "cnb-rebaser");
    assert_eq!(before.code, Some(0), "{before}");
    assert!(
        before.stdout.contains("PRETTY_NAME=\"busybox 1.35.0"),
        "{before}"
    );
    let finished = World::run(
        World::rebaser("0.12")
            .args(["-run-image", &world.v2, "-report=/dev/null"])
            .arg(&app),
    );
    assert_eq!(finished.code, Some(0), "{finished}");
    let after = run_pulled(&app, Some(&["/bin/sh", "-c", script]), "cnb-rebaser");
    assert_eq!(after.code, Some(0), "{after}");
    assert_eq!(after.stdout, format!("{}{V2_OS_RELEASE}", APP_FILE.1));
}
