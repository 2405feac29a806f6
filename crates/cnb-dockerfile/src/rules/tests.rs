use pretty_assertions::assert_eq;

use crate::{Dockerfile, Kind, Problem, RunVerdict, Warning, validate_build, validate_run};

fn build(text: &str) -> Result<Vec<Warning>, Problem> {
    validate_build(&Dockerfile::parse(text).unwrap())
}

fn run(text: &str) -> Result<RunVerdict, Problem> {
    validate_run(&Dockerfile::parse(text).unwrap())
}

#[test]
fn a_build_dockerfile_with_the_preamble_is_valid() {
    assert_eq!(
        build(
            "ARG base_image\nFROM ${base_image}\nUSER root\nRUN true\nARG user_id\nUSER ${user_id}\n"
        ),
        Ok(vec![])
    );
    assert_eq!(
        build("ARG base_image=x\nFROM ${base_image} AS ext\n"),
        Ok(vec![])
    );
}

#[test]
fn a_build_dockerfile_needs_exactly_arg_base_image_before_from() {
    assert_eq!(
        build("FROM ${base_image}\n"),
        Err(Problem::BuildPreambleArg {
            found: "no ARG".into()
        })
    );
    assert_eq!(
        build("ARG base_image\nARG other\nFROM ${base_image}\n"),
        Err(Problem::BuildPreambleArg {
            found: "ARG base_image, other".into()
        })
    );
    assert_eq!(
        build("ARG image\nFROM ${image}\n"),
        Err(Problem::BuildPreambleArg {
            found: "ARG image".into()
        })
    );
    assert_eq!(
        build("ARG base_image\n"),
        Err(Problem::NoStage { kind: Kind::Build })
    );
}

#[test]
fn a_build_dockerfile_must_name_base_image_literally() {
    assert_eq!(
        build("ARG base_image\nFROM $base_image\n"),
        Err(Problem::BuildPreambleFrom {
            line: 2,
            found: "$base_image".into()
        })
    );
    assert_eq!(
        build("ARG base_image\n\nFROM ubuntu\n"),
        Err(Problem::BuildPreambleFrom {
            line: 3,
            found: "ubuntu".into()
        })
    );
}

#[test]
fn a_second_from_is_a_multi_stage_build_and_not_permitted() {
    let text = "ARG base_image\nFROM ${base_image}\nRUN true\nFROM ${base_image}\n";
    assert_eq!(
        build(text),
        Err(Problem::MultiStage {
            kind: Kind::Build,
            line: 4
        })
    );
    assert_eq!(
        run(text).unwrap_err().to_string(),
        "run.Dockerfile line 4: a second FROM; multi-stage builds are not permitted"
    );
}

#[test]
fn instructions_outside_the_recommended_set_only_warn_with_their_line() {
    let warnings =
        build("ARG base_image\nFROM ${base_image}\nRUN true\nCMD [\"x\"]\nEXPOSE 80\n").unwrap();
    assert_eq!(
        warnings,
        vec![
            Warning {
                kind: Kind::Build,
                line: 4,
                instruction: "CMD"
            },
            Warning {
                kind: Kind::Build,
                line: 5,
                instruction: "EXPOSE"
            },
        ]
    );
    assert_eq!(
        warnings[0].to_string(),
        "build.Dockerfile line 4: CMD is not a recommended instruction for extensions \
         (use FROM, ADD, ARG, COPY, ENV, LABEL, RUN, SHELL, USER, WORKDIR)"
    );
    assert_eq!(
        run("FROM ${base_image}\nENTRYPOINT [\"x\"]\n")
            .unwrap()
            .warnings[0]
            .instruction,
        "ENTRYPOINT"
    );
}

#[test]
fn a_run_dockerfile_from_another_image_switches_and_instructions_extend() {
    assert_eq!(
        run("FROM registry.test/run:other\n"),
        Ok(RunVerdict {
            new_base: Some("registry.test/run:other".into()),
            extend: false,
            warnings: vec![],
        })
    );
    assert_eq!(
        run("ARG base_image\nFROM ${base_image}\nRUN echo hi > /hi\n"),
        Ok(RunVerdict {
            new_base: None,
            extend: true,
            warnings: vec![],
        })
    );
    assert_eq!(
        run("FROM other:tag\nUSER 1000\n"),
        Ok(RunVerdict {
            new_base: Some("other:tag".into()),
            extend: true,
            warnings: vec![],
        })
    );
    assert_eq!(
        run("ARG base_image\nFROM ${base_image}\n"),
        Ok(RunVerdict {
            new_base: None,
            extend: false,
            warnings: vec![],
        })
    );
    assert_eq!(run("ARG x\n"), Err(Problem::NoStage { kind: Kind::Run }));
}

#[test]
fn the_go_lifecycle_acceptance_dockerfiles_are_valid() {
    let curl = "ARG base_image\nFROM ${base_image}\n\nUSER root\nRUN apt-get update && apt-get install -y curl\nCOPY build-file /\n\nARG build_id=0\nRUN echo ${build_id}\n";
    assert_eq!(build(curl), Ok(vec![]));
    let tree_run = "ARG base_image\nFROM ${base_image}\n\nUSER root\nRUN apt-get update && apt-get install -y tree\nCOPY shared-file /shared-run\n\nENV CNB_STACK_ID=stack-id-from-ext-tree\n\nARG build_id=0\nRUN echo ${build_id}\n\n# tree is not really rebasable\nLABEL io.buildpacks.rebasable=true\n\nARG user_id\nUSER ${user_id}\n";
    assert!(run(tree_run).unwrap().extend);
}
