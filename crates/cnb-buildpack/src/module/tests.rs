use std::fs;

use pretty_assertions::assert_eq;

use super::*;
use crate::Store;

fn install(root: &Path, id: &str, version: &str, toml: &str, bins: &[&str]) -> PathBuf {
    let dir = root.join(crate::escape_id(id)).join(version);
    fs::create_dir_all(dir.join("bin")).unwrap();
    fs::write(dir.join("buildpack.toml"), toml).unwrap();
    for bin in bins {
        fs::write(dir.join("bin").join(bin), "#!/bin/sh\n").unwrap();
    }
    dir
}

fn descriptor(api: &str, id: &str, extra: &str) -> String {
    format!("api = \"{api}\"\n[buildpack]\nid = \"{id}\"\nversion = \"1\"\n{extra}")
}

#[test]
fn loads_a_buildpack_with_its_api_and_declared_targets() {
    let root = tempfile::tempdir().unwrap();
    let toml = descriptor(
        "0.10",
        "a/b",
        "homepage = \"https://a\"\n[[targets]]\nos = \"linux\"\narch = \"arm64\"\n",
    );
    let dir = install(root.path(), "a/b", "1", &toml, &["detect", "build"]);
    let store = Store::new(Some(root.path().to_path_buf()), None);
    let module = store.buildpack("a/b", "1").unwrap();
    assert_eq!(module.dir(), dir);
    assert_eq!(module.display_name(), "a/b@1");
    assert_eq!(module.api().to_string(), "0.10");
    assert_eq!(module.info().homepage.as_deref(), Some("https://a"));
    assert_eq!(module.targets().len(), 1);
    assert_eq!(module.targets()[0].arch.as_deref(), Some("arm64"));
    assert_eq!(module.executable("detect"), dir.join("bin/detect"));
    assert!(!module.is_composite());
}

#[test]
fn infers_targets_from_stacks_and_bin_build() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::new(Some(root.path().to_path_buf()), None);
    let bionic = "[[stacks]]\nid = \"io.buildpacks.stacks.bionic\"\n";
    install(
        root.path(),
        "bionic",
        "1",
        &descriptor("0.9", "bionic", bionic),
        &[],
    );
    let targets = store.buildpack("bionic", "1").unwrap().targets().to_vec();
    assert_eq!(targets[0].arch.as_deref(), Some("amd64"));
    assert_eq!(targets[0].distros[0].version.as_deref(), Some("18.04"));

    let two = format!("{bionic}[[stacks]]\nid = \"other\"\n");
    install(
        root.path(),
        "two",
        "1",
        &descriptor("0.9", "two", &two),
        &[],
    );
    assert!(store.buildpack("two", "1").unwrap().targets().is_empty());
    install(
        root.path(),
        "two10",
        "1",
        &descriptor("0.10", "two10", &two),
        &[],
    );
    assert_eq!(store.buildpack("two10", "1").unwrap().targets().len(), 1);

    let any = "[[stacks]]\nid = \"*\"\n";
    install(
        root.path(),
        "any",
        "1",
        &descriptor("0.9", "any", any),
        &["build"],
    );
    assert_eq!(
        store.buildpack("any", "1").unwrap().targets(),
        [Target::default()]
    );

    install(
        root.path(),
        "built",
        "1",
        &descriptor("0.10", "built", ""),
        &["build"],
    );
    let built = store.buildpack("built", "1").unwrap();
    assert_eq!(built.targets()[0].os.as_deref(), Some("linux"));
    assert!(built.supports(&RunTarget {
        os: "linux".into(),
        arch: "s390x".into(),
        ..RunTarget::default()
    }));
    assert!(!built.supports(&RunTarget {
        os: "windows".into(),
        ..RunTarget::default()
    }));

    install(
        root.path(),
        "bare",
        "1",
        &descriptor("0.10", "bare", ""),
        &["detect"],
    );
    let bare = store.buildpack("bare", "1").unwrap();
    assert!(bare.targets().is_empty());
    assert!(bare.supports(&RunTarget {
        os: "windows".into(),
        ..RunTarget::default()
    }));
}

#[test]
fn refuses_unsupported_apis_and_bad_descriptors() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::new(Some(root.path().to_path_buf()), None);
    install(root.path(), "old", "1", &descriptor("0.1", "old", ""), &[]);
    let err = store.buildpack("old", "1").unwrap_err();
    assert!(err.is_unsupported_api(), "{err}");
    assert!(err.to_string().contains("old@1"), "{err}");

    install(root.path(), "bad", "1", "api = [", &[]);
    let err = store.buildpack("bad", "1").unwrap_err();
    assert!(!err.is_unsupported_api());
    assert_eq!(err.to_string(), "reading the descriptor of bad@1");

    let err = store.buildpack("missing/bp", "2").unwrap_err();
    assert_eq!(err.to_string(), "reading the descriptor of missing_bp@2");
}

#[test]
fn exec_envs_count_only_from_buildpack_api_0_12() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::new(Some(root.path().to_path_buf()), None);
    let extra = "exec-env = [\"test\"]\n";
    install(
        root.path(),
        "new",
        "1",
        &descriptor("0.12", "new", extra),
        &[],
    );
    install(
        root.path(),
        "old",
        "1",
        &descriptor("0.11", "old", extra),
        &[],
    );
    assert_eq!(
        store.buildpack("new", "1").unwrap().exec_envs(),
        Some(vec!["test"])
    );
    assert_eq!(store.buildpack("old", "1").unwrap().exec_envs(), None);
}

#[test]
fn names_both_sides_of_a_target_mismatch() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::new(Some(root.path().to_path_buf()), None);
    let extra =
        "[[targets]]\nos = \"linux\"\narch = \"arm64\"\n[[targets.distros]]\nname = \"ubuntu\"\n";
    install(
        root.path(),
        "arm",
        "1",
        &descriptor("0.10", "arm", extra),
        &[],
    );
    let module = store.buildpack("arm", "1").unwrap();
    let image = RunTarget {
        os: "linux".into(),
        arch: "amd64".into(),
        ..RunTarget::default()
    };
    assert!(!module.supports(&image));
    assert_eq!(
        module.unsupported_target(&image).to_string(),
        "unable to satisfy target os/arch constraints of arm@1; run image: linux/amd64, buildpack: [linux/arm64 (ubuntu *)]"
    );
}
