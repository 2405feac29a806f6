use std::fs;

use cnb_dockerfile::{Command, Dockerfile};
use cnb_image::RuntimeConfig;

use super::*;

#[test]
fn patterns_match_as_go_filepath_match_does() {
    assert!(glob_match("*.conf", "app.conf"));
    assert!(!glob_match("*.conf", "app.conf.bak"));
    assert!(glob_match("file?.txt", "file1.txt"));
    assert!(glob_match("[a-c]x", "bx"));
    assert!(!glob_match("[!a-c]x", "bx"));
    assert!(glob_match("[^a-c]x", "dx"));
    assert!(glob_match(r"\*", "*"));
    assert!(!glob_match(r"\*", "a"));
    assert!(glob_match("*", ""));
}

fn plan_for(context: &Path, root: &Path, line: &str) -> Result<CopyPlan, StepError> {
    let dockerfile = Dockerfile::parse(&format!("FROM x\n{line}\n")).unwrap();
    let state = State::new(
        RuntimeConfig {
            working_dir: Some("/srv".into()),
            ..RuntimeConfig::default()
        },
        &dockerfile,
        Vec::new(),
    )
    .unwrap();
    let instruction = dockerfile.instructions().next().unwrap();
    let (Command::Copy(args) | Command::Add(args)) = &instruction.command else {
        panic!("COPY or ADD")
    };
    plan(root, context, &state, args, line.starts_with("ADD"))
}

#[test]
fn sources_stay_inside_the_context_and_must_exist() {
    let context = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    fs::write(context.path().join("a.conf"), "a").unwrap();
    fs::write(context.path().join("b.conf"), "b").unwrap();
    assert!(matches!(
        plan_for(context.path(), root.path(), "COPY ../../etc/passwd /x"),
        Err(StepError::OutsideContext { .. })
    ));
    assert!(matches!(
        plan_for(context.path(), root.path(), "COPY missing /x"),
        Err(StepError::MissingSource { .. })
    ));
    assert!(matches!(
        plan_for(context.path(), root.path(), "COPY *.conf /etc/one"),
        Err(StepError::Invalid { .. })
    ));
    assert!(matches!(
        plan_for(
            context.path(),
            root.path(),
            "ADD https://example.invalid/x /x"
        ),
        Err(StepError::Unsupported { .. })
    ));
    assert!(matches!(
        plan_for(context.path(), root.path(), "COPY --from=builder a.conf /x"),
        Err(StepError::Unsupported { .. })
    ));
}

#[test]
fn files_go_into_a_directory_destination_and_relative_ones_under_workdir() {
    let context = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    fs::write(context.path().join("a.conf"), "a").unwrap();
    fs::write(context.path().join("b.conf"), "b").unwrap();
    plan_for(context.path(), root.path(), "COPY *.conf conf/")
        .unwrap()
        .execute(root.path())
        .unwrap();
    assert_eq!(
        fs::read_to_string(root.path().join("srv/conf/a.conf")).unwrap(),
        "a"
    );
    assert_eq!(
        fs::read_to_string(root.path().join("srv/conf/b.conf")).unwrap(),
        "b"
    );
    plan_for(
        context.path(),
        root.path(),
        "COPY --chmod=0600 a.conf /etc/renamed",
    )
    .unwrap()
    .execute(root.path())
    .unwrap();
    let renamed = root.path().join("etc/renamed");
    assert_eq!(fs::read_to_string(&renamed).unwrap(), "a");
    assert_eq!(
        fs::metadata(&renamed).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn add_unpacks_a_local_tar_and_the_cache_material_follows_the_contents() {
    let context = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut tar = cnb_archive::TarWriter::new(Vec::new());
    let header = cnb_archive::Header::regular("inside/file", 0o644, 5);
    cnb_archive::EntrySink::append(&mut tar, &header, &mut b"hello".as_slice()).unwrap();
    fs::write(context.path().join("bundle.tar"), tar.finish().unwrap()).unwrap();
    let plan = plan_for(context.path(), root.path(), "ADD bundle.tar /opt/").unwrap();
    let before = plan.cache_material().unwrap();
    plan.execute(root.path()).unwrap();
    assert_eq!(
        fs::read_to_string(root.path().join("opt/inside/file")).unwrap(),
        "hello"
    );
    fs::write(context.path().join("bundle.tar"), b"no longer a tar").unwrap();
    let after = plan_for(context.path(), root.path(), "ADD bundle.tar /opt/")
        .unwrap()
        .cache_material()
        .unwrap();
    assert_ne!(before, after);
}

#[test]
fn heredoc_sources_become_files_expanded_unless_quoted() {
    let context = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let dockerfile = Dockerfile::parse(
        "FROM x\nENV NAME=ext\nCOPY <<conf <<'raw' /etc/app/\nname=\"$NAME\"\nconf\nliteral $NAME\nraw\n",
    )
    .unwrap();
    let mut state = State::new(RuntimeConfig::default(), &dockerfile, Vec::new()).unwrap();
    state.set_env("NAME", "ext");
    let Command::Copy(args) = &dockerfile.instructions().nth(1).unwrap().command else {
        panic!("COPY")
    };
    plan(root.path(), context.path(), &state, args, false)
        .unwrap()
        .execute(root.path())
        .unwrap();
    assert_eq!(
        fs::read_to_string(root.path().join("etc/app/conf")).unwrap(),
        "name=\"ext\"\n"
    );
    assert_eq!(
        fs::read_to_string(root.path().join("etc/app/raw")).unwrap(),
        "literal $NAME\n"
    );
}

#[test]
fn the_contexts_dockerignore_leaves_paths_out_of_copies_and_cache_keys() {
    let context = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    let c = context.path();
    fs::create_dir_all(c.join("node_modules/dep")).unwrap();
    fs::write(c.join("node_modules/dep/index.js"), "dep").unwrap();
    fs::write(c.join("app.js"), "app").unwrap();
    fs::write(c.join("debug.log"), "noise").unwrap();
    fs::write(c.join("keep.log"), "kept").unwrap();
    fs::write(c.join(".dockerignore"), "node_modules\n*.log\n!keep.log\n").unwrap();
    let plan = plan_for(c, root.path(), "COPY . /app/").unwrap();
    let material = plan.cache_material().unwrap();
    plan.execute(root.path()).unwrap();
    let mut copied: Vec<String> = fs::read_dir(root.path().join("app"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    copied.sort();
    assert_eq!(copied, [".dockerignore", "app.js", "keep.log"]);
    fs::write(c.join("debug.log"), "other noise").unwrap();
    assert_eq!(
        plan_for(c, root.path(), "COPY . /app/")
            .unwrap()
            .cache_material()
            .unwrap(),
        material
    );
    assert!(matches!(
        plan_for(c, root.path(), "COPY debug.log /x"),
        Err(StepError::MissingSource { .. })
    ));
}
