//! `-kind build` on a busybox image root: the build.Dockerfiles change the root itself, in
//! group order, with the spec's build arguments, and their final Env comes back for the build.

#![allow(clippy::unwrap_used, reason = "tests panic on broken fixtures")]

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;

use cnb_extender::{Error, Extender};
use common::Fixture;
use pretty_assertions::assert_eq;

#[test]
fn a_build_dockerfile_installs_a_tool_into_the_root_and_its_env_comes_back() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/tool", "samples/second"]);
    fx.dockerfile(
        "samples/tool",
        "build",
        "ARG base_image\nFROM ${base_image}\nUSER root\nRUN mkdir -p /opt/ext/bin && printf '#!/bin/sh\\necho tool says hi\\n' > /opt/ext/bin/tool && chmod 755 /opt/ext/bin/tool\nENV PATH=/opt/ext/bin:${PATH} TOOL_HOME=/opt/ext\nARG user_id\nARG group_id\nUSER ${user_id}:${group_id}\n",
    );
    fx.dockerfile(
        "samples/second",
        "build",
        "ARG base_image\nFROM ${base_image}\nARG build_id=0\nARG user_id\nRUN id -u > /tmp/second-ran-as && echo \"$build_id $user_id $TOOL_HOME\" > /tmp/second-args && tool > /tmp/tool-output\n",
    );
    let outcome = Extender::new(fx.config()).extend_build().unwrap();
    let root = fx.root();
    let tool = root.join("opt/ext/bin/tool");
    assert!(tool.is_file());
    assert_eq!(fs::metadata(&tool).unwrap().uid(), 0, "made by root");
    assert_eq!(
        fs::read_to_string(root.join("tmp/tool-output")).unwrap(),
        "tool says hi\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("tmp/second-ran-as")).unwrap(),
        "1000\n"
    );
    let args = fs::read_to_string(root.join("tmp/second-args")).unwrap();
    let args: Vec<&str> = args.split_whitespace().collect();
    assert_eq!(args[0].len(), 36, "build_id is a UUID: {args:?}");
    assert_eq!(args[1..], ["1000", "/opt/ext"]);
    let env: Vec<String> = outcome
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert_eq!(
        env,
        [
            format!("PATH=/opt/ext/bin:{}", cnb_testkit::IMAGE_PATH),
            "CNB_USER_ID=1000".to_owned(),
            "CNB_GROUP_ID=1000".to_owned(),
            "TOOL_HOME=/opt/ext".to_owned(),
        ]
    );
    assert!(
        !fx.path("layers/extended").exists(),
        "no snapshot for build"
    );
}

#[test]
fn platform_api_0_12_reads_the_old_generated_layout_and_builds_in_the_app_dir() {
    let Some(fx) = Fixture::at(Fixture::api("0.12")) else {
        return;
    };
    fx.group(&["samples/old"]);
    let dir = fx.path("layers/generated/build/samples_old");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        "ARG base_image\nFROM ${base_image}\nARG greeting\nUSER root\nCOPY app.txt /opt/\nRUN echo $greeting > /opt/greeting\nUSER 1000:1000\n",
    )
    .unwrap();
    fs::write(
        dir.join("extend-config.toml"),
        "[[build.args]]\nname = \"greeting\"\nvalue = \"hello from extend-config\"\n",
    )
    .unwrap();
    fs::write(fx.root().join("workspace/app.txt"), "from the app dir\n").unwrap();
    Extender::new(fx.config()).extend_build().unwrap();
    let root = fx.root();
    assert_eq!(
        fs::read_to_string(root.join("opt/app.txt")).unwrap(),
        "from the app dir\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("opt/greeting")).unwrap(),
        "hello from extend-config\n"
    );
}

#[test]
fn an_invalid_build_dockerfile_is_an_extend_error_naming_the_extension_and_line() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/bad"]);
    fx.dockerfile(
        "samples/bad",
        "build",
        "ARG base_image\nFROM ${base_image}\nFETCH x\n",
    );
    let error = Extender::new(fx.config()).extend_build().unwrap_err();
    assert_eq!(error.kind(), cnb_api::ExitKind::ExtendError);
    let path = fx.generated("samples/bad").join("build.Dockerfile");
    assert_eq!(
        cnb_api::one_line(&error),
        format!(
            "extension 'samples/bad': parsing {}: line 3: unknown instruction FETCH",
            path.display()
        )
    );
}

#[test]
fn an_unknown_user_fails_the_run_that_needs_it() {
    let Some(fx) = Fixture::new() else { return };
    fx.group(&["samples/user"]);
    fx.dockerfile(
        "samples/user",
        "build",
        "ARG base_image\nFROM ${base_image}\nUSER nobody-here\nRUN true\n",
    );
    let error = Extender::new(fx.config()).extend_build().unwrap_err();
    assert!(
        matches!(error, Error::Instruction { line: 4, .. }),
        "{error:?}"
    );
    assert!(
        cnb_api::one_line(&error)
            .ends_with("RUN true: no user 'nobody-here' in the image's /etc/passwd")
    );
}

#[test]
fn missing_group_toml_is_a_plain_failure() {
    let Some(fx) = Fixture::new() else { return };
    let error = Extender::new(fx.config()).extend_build().unwrap_err();
    assert_eq!(error.kind(), cnb_api::ExitKind::Failed);
}
