//! A buildpack built on libcnb (`testdata/buildpacks/builder/libcnb-layers`): it builds a layer
//! with a binary and env files, and a default process; the builder's outputs must be what
//! libcnb expects, and a later bash buildpack must be able to use the layer.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

use super::fixture::{Fixture, read_toml, testdata};

/// Where `make test-buildpacks` puts the built libcnb buildpack binary.
const LIBCNB_VAR: &str = "CNB_SPEC_LIBCNB_LAYERS_BUILDPACK";

fn libcnb_binary() -> PathBuf {
    #[expect(
        clippy::disallowed_methods,
        reason = "the tests find the prebuilt test buildpack through the Makefile's variable"
    )]
    let path = std::env::var_os(LIBCNB_VAR).map(PathBuf::from);
    let path = path.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/test-buildpacks/libcnb-layers")
    });
    assert!(
        path.is_file(),
        "no libcnb test buildpack at {}: run `make test-buildpacks` (or `make test`), or point {LIBCNB_VAR} at it",
        path.display()
    );
    path
}

#[test]
fn a_libcnb_buildpack_builds_a_layer_and_a_process_that_later_buildpacks_use() {
    let fixture = Fixture::new();
    let id = "test/libcnb-layers";
    let dir = fixture.buildpack_dir(id, "0.1.0");
    fs::create_dir_all(dir.join("bin")).unwrap();
    fs::copy(
        testdata("libcnb-layers/buildpack.toml"),
        dir.join("buildpack.toml"),
    )
    .unwrap();
    fs::copy(libcnb_binary(), dir.join("bin/build")).unwrap();
    symlink("build", dir.join("bin/detect")).unwrap();
    fixture.buildpack("user", "1", "0.10", "");
    fixture.group_of(&[(id, "0.1.0", "0.10"), ("user", "1", "0.10")]);
    fixture.plan(
        "[[entries]]\nproviders = [{ id = \"test/libcnb-layers\", version = \"0.1.0\" }]\nrequires = [{ name = \"libcnb-dep\" }]\n",
    );
    fixture.analyzed(
        "[run-image]\nreference = \"r\"\n[run-image.target]\nos = \"linux\"\narch = \"amd64\"\n[run-image.target.distro]\nname = \"ubuntu\"\nversion = \"24.04\"\n",
    );
    fixture.exec_of("user@1", "libcnb-hello from-user\n");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");

    // The layer, as libcnb wrote it, with the plan and target libcnb was given.
    let tools = read_toml(&fixture.layer_path(id, "tools.toml"));
    assert_eq!(tools["types"]["build"].as_bool(), Some(true));
    assert_eq!(tools["types"]["launch"].as_bool(), Some(true));
    assert_eq!(tools["types"]["cache"].as_bool(), Some(false));
    assert_eq!(tools["metadata"]["plan"][0].as_str(), Some("libcnb-dep"));
    assert_eq!(tools["metadata"]["target"].as_str(), Some("linux/amd64"));
    let store = read_toml(&fixture.layer_path(id, "store.toml"));
    assert_eq!(store["metadata"]["built-by"].as_str(), Some("libcnb"));

    // A later buildpack runs the layer's binary and sees its build env, not its launch env.
    assert_eq!(
        fixture.record("user@1", "exec"),
        "hello from libcnb: from-user\n"
    );
    assert_eq!(
        fixture.env_of("user@1", "LIBCNB_BUILD_VAR").as_deref(),
        Some("from-libcnb")
    );
    assert_eq!(
        fixture.env_of("user@1", "LIBCNB_LIST").as_deref(),
        Some("libcnb")
    );
    assert_eq!(fixture.env_of("user@1", "LIBCNB_LAUNCH_VAR"), None);
    let path = fixture.env_of("user@1", "PATH").unwrap();
    let bin = fixture.layer_path(id, "tools/bin");
    assert!(path.starts_with(&format!("{}:", bin.display())), "{path}");

    // metadata.toml holds libcnb's process as the launcher will read it.
    let metadata = fixture.metadata();
    let web = &metadata["processes"][0];
    assert_eq!(web["type"].as_str(), Some("web"));
    assert_eq!(web["command"][0].as_str(), Some("libcnb-hello"));
    assert_eq!(web["args"].as_array().unwrap().len(), 2);
    assert_eq!(web["args"][1].as_str(), Some("hi"));
    assert_eq!(web["direct"].as_bool(), Some(true));
    assert_eq!(web["buildpack-id"].as_str(), Some(id));
    assert_eq!(
        metadata["buildpack-default-process-type"].as_str(),
        Some("web")
    );
    assert_eq!(
        metadata["labels"][0]["key"].as_str(),
        Some("io.test.libcnb")
    );

    // libcnb's SBOMs, routed for launch.
    let sbom = fixture.layers.join("sbom/launch/test_libcnb-layers");
    assert!(sbom.join("sbom.cdx.json").is_file());
    assert!(sbom.join("tools/sbom.cdx.json").is_file());
}
