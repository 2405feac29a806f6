//! A buildpack built on libcnb (`testdata/buildpacks/libcnb-probe`), so that a real SDK's
//! expectations are exercised: `bin/detect` is a symlink to `bin/build` and must be run by its
//! own path; libcnb refuses to run without `CNB_BUILDPACK_DIR`, the positional arguments and all
//! four `CNB_TARGET_*` variables.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

use super::fixture::Fixture;

/// Where `make test-buildpacks` puts the built libcnb buildpack binary.
const LIBCNB_VAR: &str = "CNB_SPEC_LIBCNB_BUILDPACK";

fn libcnb_binary() -> PathBuf {
    #[expect(
        clippy::disallowed_methods,
        reason = "the tests find the prebuilt test buildpack through the Makefile's variable"
    )]
    let path = std::env::var_os(LIBCNB_VAR).map(PathBuf::from);
    let path = path.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-buildpacks/libcnb-probe")
    });
    assert!(
        path.is_file(),
        "no libcnb test buildpack at {}: run `make test-buildpacks` (or `make test`), or point {LIBCNB_VAR} at it",
        path.display()
    );
    path
}

#[test]
fn a_libcnb_buildpack_detects_through_its_symlinked_bin_detect() {
    let fixture = Fixture::new();
    let dir = fixture.buildpack_dir("test/libcnb", "0.1.0");
    fs::create_dir_all(dir.join("bin")).unwrap();
    let source =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/buildpacks/libcnb-probe");
    fs::copy(source.join("buildpack.toml"), dir.join("buildpack.toml")).unwrap();
    fs::copy(libcnb_binary(), dir.join("bin/build")).unwrap();
    symlink("build", dir.join("bin/detect")).unwrap();
    fixture.analyzed(
        "[run-image]\nreference = \"r\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\n[run-image.target.distro]\nname = \"ubuntu\"\nversion = \"24.04\"\n",
    );
    fixture.order("[[order]]\n[[order.group]]\nid = \"test/libcnb\"\nversion = \"0.1.0\"\n");

    let out = fixture.run("0.12", &[]);
    assert_eq!(
        out.code,
        Some(20),
        "no libcnb.toml in the app: libcnb opts out: {out}"
    );
    assert!(out.stdout.contains("fail: test/libcnb@0.1.0"), "{out}");

    fixture.app_file("libcnb.toml", "");
    let out = fixture.run("0.12", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(
        fixture.group_ids(),
        [("test/libcnb".to_owned(), "0.1.0".to_owned())]
    );
    assert_eq!(
        fixture.group_toml()["group"][0]["api"].as_str(),
        Some("0.10")
    );
    let plan: toml::Table = toml::from_str(&fixture.plan_text()).unwrap();
    let entry = &plan["entries"][0];
    assert_eq!(entry["providers"][0]["id"].as_str(), Some("test/libcnb"));
    let metadata = &entry["requires"][0]["metadata"];
    assert_eq!(entry["requires"][0]["name"].as_str(), Some("libcnb-dep"));
    assert_eq!(metadata["os"].as_str(), Some("linux"));
    assert_eq!(metadata["arch"].as_str(), Some("amd64"));
    assert_eq!(metadata["distro"].as_str(), Some("ubuntu 24.04"));
}
