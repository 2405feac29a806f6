use pretty_assertions::assert_eq;

use crate::{ArgDecl, Command, Dockerfile, Flag, KeyValue, Problem, ShellOrExec};

fn parse(text: &str) -> Dockerfile {
    Dockerfile::parse(text).unwrap()
}

fn commands(dockerfile: &Dockerfile) -> Vec<&Command> {
    dockerfile.instructions().map(|i| &i.command).collect()
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: value.into(),
    }
}

#[test]
fn continuations_join_lines_and_skip_comments_and_blank_lines_inside_them() {
    let dockerfile = parse(
        "ARG base_image\nFROM ${base_image}\n\n# a comment\nRUN apt-get update && \\\n# inside\n\n    apt-get install -y curl  \\  \n  && true\nUSER 1000\n",
    );
    let run = dockerfile.instructions().next().unwrap();
    assert_eq!(run.line, 5);
    assert_eq!(
        run.text,
        "RUN apt-get update &&     apt-get install -y curl    && true"
    );
    assert_eq!(
        run.command,
        Command::Run {
            command: ShellOrExec::Shell(
                "apt-get update &&     apt-get install -y curl    && true".into()
            ),
            flags: vec![],
            heredocs: vec![],
        }
    );
    let user = dockerfile.instructions().nth(1).unwrap();
    assert_eq!(
        (user.line, &user.command),
        (10, &Command::User("1000".into()))
    );
}

#[test]
fn the_escape_directive_changes_the_continuation_character() {
    let dockerfile = parse("# escape=`\nFROM base\nRUN dir c:\\ `\n  /w\n");
    assert_eq!(dockerfile.escape, '`');
    assert_eq!(
        commands(&dockerfile),
        vec![&Command::Run {
            command: ShellOrExec::Shell("dir c:\\   /w".into()),
            flags: vec![],
            heredocs: vec![],
        }]
    );
}

#[test]
fn directives_count_only_at_the_top_and_only_once() {
    let late = parse("FROM base\n# escape=`\nRUN a \\\n b\n");
    assert_eq!(late.escape, '\\');
    assert_eq!(
        Dockerfile::parse("# escape=`\n# escape=\\\nFROM base\n"),
        Err(Problem::RepeatedDirective {
            line: 2,
            name: "escape".into()
        })
    );
    assert_eq!(
        Dockerfile::parse("# escape=x\nFROM base\n"),
        Err(Problem::InvalidEscape {
            line: 1,
            value: "x".into()
        })
    );
    assert_eq!(
        parse("# syntax=docker/dockerfile:1\n# escape=`\nFROM b\n").escape,
        '`'
    );
}

#[test]
fn json_form_is_exec_form_and_invalid_json_falls_back_to_shell_form() {
    let dockerfile = parse(
        "FROM b\nRUN [\"/bin/echo\", \"hi there\"]\nRUN [not json\nCMD [\"run\"]\nSHELL [\"/bin/bash\", \"-c\"]\n",
    );
    assert_eq!(
        commands(&dockerfile),
        vec![
            &Command::Run {
                command: ShellOrExec::Exec(vec!["/bin/echo".into(), "hi there".into()]),
                flags: vec![],
                heredocs: vec![],
            },
            &Command::Run {
                command: ShellOrExec::Shell("[not json".into()),
                flags: vec![],
                heredocs: vec![],
            },
            &Command::Cmd(ShellOrExec::Exec(vec!["run".into()])),
            &Command::Shell(vec!["/bin/bash".into(), "-c".into()]),
        ]
    );
    assert!(matches!(
        Dockerfile::parse("FROM b\nSHELL /bin/bash -c\n"),
        Err(Problem::Arguments {
            line: 2,
            instruction: "SHELL",
            ..
        })
    ));
    assert_eq!(
        Dockerfile::parse("FROM b\nRUN [\"a\", 1]\n"),
        Err(Problem::JsonNotStrings {
            line: 2,
            instruction: "RUN"
        })
    );
}

#[test]
fn args_env_and_labels_keep_their_words_as_written() {
    let dockerfile = parse(
        "ARG base_image\nARG tag=1.0 other\nFROM ${base_image}\nARG build_id=0\nENV A=1 B=\"two words\"\nENV LEGACY a value\nLABEL io.buildpacks.rebasable=true\n",
    );
    assert_eq!(
        dockerfile.meta_args[1].command,
        Command::Arg(vec![
            ArgDecl {
                name: "tag".into(),
                default: Some("1.0".into())
            },
            ArgDecl {
                name: "other".into(),
                default: None
            },
        ])
    );
    assert_eq!(
        commands(&dockerfile),
        vec![
            &Command::Arg(vec![ArgDecl {
                name: "build_id".into(),
                default: Some("0".into())
            }]),
            &Command::Env(vec![kv("A", "1"), kv("B", "\"two words\"")]),
            &Command::Env(vec![kv("LEGACY", "a value")]),
            &Command::Label(vec![kv("io.buildpacks.rebasable", "true")]),
        ]
    );
}

#[test]
fn from_copy_and_run_flags_are_parsed_and_unknown_flags_rejected() {
    let dockerfile = parse(
        "FROM --platform=linux/amd64 base AS one\nCOPY --chown=1000:1000 --chmod=0755 a b /dest/\nRUN --network=none true\n",
    );
    assert_eq!(
        dockerfile.stages[0].from.command,
        Command::From {
            image: "base".into(),
            name: Some("one".into()),
            platform: Some("linux/amd64".into()),
        }
    );
    let Command::Copy(copy) = commands(&dockerfile)[0] else {
        panic!("COPY")
    };
    assert_eq!(copy.sources, vec!["a", "b"]);
    assert_eq!(copy.dest, "/dest/");
    assert_eq!(copy.flag("chown"), Some("1000:1000"));
    assert_eq!(copy.flag("chmod"), Some("0755"));
    assert_eq!(
        commands(&dockerfile)[1],
        &Command::Run {
            command: ShellOrExec::Shell("true".into()),
            flags: vec![Flag {
                name: "network".into(),
                value: Some("none".into())
            }],
            heredocs: vec![],
        }
    );
    assert_eq!(
        Dockerfile::parse("FROM b\nCOPY --bogus=1 a b\n"),
        Err(Problem::UnknownFlag {
            line: 2,
            instruction: "COPY",
            flag: "bogus".into()
        })
    );
}

#[test]
fn heredocs_on_run_and_copy_take_the_lines_up_to_their_delimiter() {
    let dockerfile = parse(
        "FROM b\nRUN <<EOF\nmkdir -p /opt/ext\necho hi > /opt/ext/x\nEOF\nRUN cat <<-'END' > /f\n\tliteral $HOME\n\tEND\nCOPY <<conf /etc/app.conf\nkey=1\nconf\nUSER 1000\n",
    );
    let instructions: Vec<_> = dockerfile.instructions().collect();
    assert_eq!(instructions.len(), 4);
    assert_eq!(
        instructions[0].run_script().unwrap(),
        "mkdir -p /opt/ext\necho hi > /opt/ext/x\n"
    );
    assert_eq!(
        instructions[1].run_script().unwrap(),
        "cat <<-'END' > /f\nliteral $HOME\nEND\n"
    );
    let Command::Copy(copy) = &instructions[2].command else {
        panic!("COPY")
    };
    assert_eq!(copy.sources, vec!["<<conf"]);
    assert_eq!(copy.heredocs[0].body, "key=1\n");
    assert!(copy.heredocs[0].expand);
    assert_eq!(
        (instructions[3].line, &instructions[3].command),
        (12, &Command::User("1000".into()))
    );
    assert_eq!(
        Dockerfile::parse("FROM b\nRUN <<EOF\necho\n"),
        Err(Problem::UnterminatedHeredoc {
            line: 2,
            delimiter: "EOF".into()
        })
    );
}

#[test]
fn heredoc_markers_inside_quotes_and_here_strings_are_not_heredocs() {
    let dockerfile = parse("FROM b\nRUN echo '<<EOF' && cat <<<word\nUSER x\n");
    assert_eq!(dockerfile.instructions().count(), 2);
}

#[test]
fn syntax_errors_name_the_line_and_the_instruction() {
    assert_eq!(
        Dockerfile::parse("FROM b\n\nFETCH x\n"),
        Err(Problem::UnknownInstruction {
            line: 3,
            keyword: "FETCH".into()
        })
    );
    assert_eq!(
        Dockerfile::parse("ARG a\nRUN true\nFROM b\n"),
        Err(Problem::BeforeFrom {
            line: 2,
            instruction: "RUN"
        })
    );
    assert_eq!(
        Dockerfile::parse("# only a comment\n\n"),
        Err(Problem::Empty)
    );
    assert!(matches!(
        Dockerfile::parse("FROM b\nENV A=1 B\n"),
        Err(Problem::Arguments {
            line: 2,
            instruction: "ENV",
            ..
        })
    ));
    assert!(matches!(
        Dockerfile::parse("FROM b\nCOPY onlyone\n"),
        Err(Problem::Arguments {
            line: 2,
            instruction: "COPY",
            ..
        })
    ));
    assert!(matches!(
        Dockerfile::parse("FROM a b\n"),
        Err(Problem::Arguments {
            line: 1,
            instruction: "FROM",
            ..
        })
    ));
}

#[test]
fn keywords_are_case_insensitive_and_crlf_and_a_bom_are_accepted() {
    let dockerfile = parse("\u{feff}from b\r\nrun true \\\r\n && false\r\n");
    assert_eq!(
        commands(&dockerfile),
        vec![&Command::Run {
            command: ShellOrExec::Shell("true  && false".into()),
            flags: vec![],
            heredocs: vec![],
        }]
    );
}

#[test]
fn reading_a_file_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("build.Dockerfile");
    std::fs::write(&path, "FROM b\nNOPE\n").unwrap();
    let error = Dockerfile::read(&path).unwrap_err();
    assert_eq!(error.to_string(), format!("parsing {}", path.display()));
    assert!(matches!(
        Dockerfile::read(&dir.path().join("missing")),
        Err(crate::Error::Read { .. })
    ));
}
