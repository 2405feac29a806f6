//! The aarch64 rebaser: an update of the run image index gives the arm64 app the new arm64
//! image; an amd64-only run image is refused (Go's message, exit 72) unless `-force`, and an
//! index without an arm64 image cannot be accessed (exit 1, as Go's "access run image"
//! failures), naming what it offers.

use cnb_testkit::{Arch, Finished, IndexKind, Lifecycle, push_index};
use serde_json::Value;

use super::fixture::{
    RELEASE_LABEL, create_on_index, creator, order, push_run_index, read, run_image_layouts,
};

#[test]
fn rebasing_the_arm64_app_takes_the_arm64_image_of_a_new_index_and_refuses_an_amd64_only_one_unless_forced()
 {
    let (create, _) = create_on_index();
    order(&create, &[]);
    let lifecycle = Lifecycle::installed_for(Arch::Arm64);
    let app = create.registry.reference("test/app:arm64");
    let built = Finished::run(&mut creator(&create, Arch::Arm64, &app));
    assert_eq!(built.code, Some(0), "{built}");
    let rebaser = || {
        let mut command = lifecycle.command("rebaser");
        command.env("CNB_PLATFORM_API", "0.15");
        command
    };

    // A new version of the run images under the same tag.
    let layouts = run_image_layouts("release 2");
    let update = push_run_index(&create.registry, "test/run:multi", &layouts);
    let out = Finished::run(rebaser().arg(&app));
    assert_eq!(out.code, Some(0), "{out}");
    let after_update = read(&app, Arch::Arm64);
    assert_eq!(after_update.config.architecture, "arm64");
    assert_eq!(after_update.config.variant.as_deref(), Some("v8"));
    let new_arm64 = read(
        &format!(
            "{}@{}",
            update.repository,
            update.manifest_for("linux/arm64/v8")
        ),
        Arch::Arm64,
    );
    let base = &new_arm64.manifest.manifest.layers;
    assert_eq!(
        &after_update.manifest.manifest.layers[..base.len()],
        base.as_slice()
    );
    assert_eq!(after_update.label(RELEASE_LABEL), Some("release 2"));
    let label: Value = serde_json::from_str(
        after_update
            .label("io.buildpacks.lifecycle.metadata")
            .expect("lifecycle label"),
    )
    .expect("JSON");
    assert_eq!(
        label["runImage"]["reference"],
        format!("{}@{}", update.repository, new_arm64.digest())
    );

    // An amd64-only run image: Go's refusal, then forced.
    let amd64_only = layouts[0]
        .push(&create.registry, "test/run:amd64-only")
        .expect("push")
        .reference;
    let out = Finished::run(rebaser().arg(format!("-run-image={amd64_only}")).arg(&app));
    assert_eq!(out.code, Some(72), "{out}");
    assert_go_target_refusal(&out);
    assert_eq!(
        read(&app, Arch::Arm64).digest(),
        after_update.digest(),
        "nothing written"
    );

    // An index without an arm64 image: refused, naming what it offers, even with -force.
    let amd64_index = push_index(
        &create.registry,
        "test/run:amd64-index",
        &[&layouts[0]],
        IndexKind::Oci,
    )
    .expect("index");
    let out = Finished::run(
        rebaser()
            .args(["-force", &format!("-run-image={}", amd64_index.reference)])
            .arg(&app),
    );
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stderr
            .contains("has no image for platform linux/arm64/v8 (it offers linux/amd64)"),
        "{out}"
    );

    let out = Finished::run(
        rebaser()
            .args(["-force", &format!("-run-image={amd64_only}")])
            .arg(&app),
    );
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .contains("Warning: unable to satisfy target os/arch constraints"),
        "{out}"
    );
    let forced = read(&app, Arch::Amd64);
    assert_eq!(
        forced.config.architecture, "amd64",
        "forced: the new base's platform"
    );
}

/// The rebaser's refusal of an amd64 base under the arm64 app, as Go words it.
fn assert_go_target_refusal(out: &Finished) {
    let target = |arch: &str, variant: &str| {
        format!(
            r#"{{"id":"io.test.busybox","os":"linux","arch":"{arch}",{variant}"distro":{{"name":"busybox","version":"1.35.0"}}}}"#
        )
    };
    assert_eq!(
        out.stderr.lines().last().unwrap_or_default(),
        format!(
            "ERROR: failed to rebase: unable to satisfy target os/arch constraints; new run image: {}, old run image: {}; please provide -force to override",
            target("amd64", ""),
            target("arm64", r#""arch-variant":"v8","#)
        ),
        "{out}"
    );
}
