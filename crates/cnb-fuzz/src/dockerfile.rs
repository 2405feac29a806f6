//! Dockerfiles that image extensions generate, through `cnb_dockerfile` as the detector and the
//! extender use it: parse, the spec's rules for `build.Dockerfile` and `run.Dockerfile`, and
//! Docker's variable expansion of every word the extender expands.

use cnb_dockerfile::{Command, Dockerfile, Instruction, expand, validate_build, validate_run};

use crate::input::{one_line, text};

pub(crate) fn dockerfile(data: &[u8]) {
    let Some(text) = text(data) else {
        return;
    };
    let dockerfile = match Dockerfile::parse(text) {
        Ok(dockerfile) => dockerfile,
        Err(problem) => {
            one_line(&problem);
            return;
        }
    };
    if let Err(problem) = validate_build(&dockerfile) {
        one_line(&problem);
    }
    match validate_run(&dockerfile) {
        // the detector records a new base as the run image
        Ok(verdict) => {
            if let Some(name) = &verdict.new_base {
                crate::oci::reference(name);
            }
        }
        Err(problem) => {
            one_line(&problem);
        }
    }
    let instructions = dockerfile
        .meta_args
        .iter()
        .chain(dockerfile.stages.iter().map(|stage| &stage.from))
        .chain(dockerfile.instructions());
    for instruction in instructions {
        instruction.run_script();
        for word in expanded_words(instruction) {
            if let Err(error) = expand(word, dockerfile.escape, &lookup) {
                one_line(&error);
            }
        }
    }
}

/// Variables in scope: one set, one empty, the rest unset.
fn lookup(name: &str) -> Option<String> {
    match name {
        "base_image" => Some("127.0.0.1:5000/fuzz/run:latest".to_owned()),
        "empty" => Some(String::new()),
        _ => None,
    }
}

/// The words Docker expands in `instruction`.
fn expanded_words(instruction: &Instruction) -> Vec<&str> {
    match &instruction.command {
        Command::From { image, .. } => vec![image.as_str()],
        Command::Arg(decls) => decls
            .iter()
            .filter_map(|decl| decl.default.as_deref())
            .collect(),
        Command::Env(pairs) | Command::Label(pairs) => pairs
            .iter()
            .flat_map(|pair| [pair.key.as_str(), pair.value.as_str()])
            .collect(),
        Command::User(word) | Command::Workdir(word) | Command::StopSignal(word) => {
            vec![word.as_str()]
        }
        Command::Copy(args) | Command::Add(args) => args
            .sources
            .iter()
            .map(String::as_str)
            .chain([args.dest.as_str()])
            .chain(args.flags.iter().filter_map(|flag| flag.value.as_deref()))
            .collect(),
        Command::Expose(words) | Command::Volume(words) => {
            words.iter().map(String::as_str).collect()
        }
        _ => Vec::new(),
    }
}
