//! Applying one extension's Dockerfile to the root: its instructions in order, each changing
//! the state (ENV, ARG, USER, WORKDIR, SHELL, LABEL, …) or the files (RUN, COPY, ADD, a
//! WORKDIR that makes its directory) through the [`LayerHook`]. FROM is not applied: the root
//! already is the image the Dockerfile extends.

use std::path::{Path, PathBuf};

use cnb_dockerfile::{Command, Instruction};
use cnb_image::Digest;

use crate::copy;
use crate::dockerfiles::ExtensionDockerfile;
use crate::error::{Error, StepError};
use crate::image_config;
use crate::layers::{LayerHook, LayerStep};
use crate::run;
use crate::scope;
use crate::state::State;

/// Where one Dockerfile is applied.
pub(crate) struct Target<'a> {
    pub root: &'a Path,
    /// The cache key of the image so far (the base's digest, then each step's).
    pub key: Digest,
    /// The image's author (MAINTAINER).
    pub author: Option<String>,
}

/// Applies `dockerfile` with `state` (already holding its build arguments) to the target.
pub(crate) fn apply(
    target: &mut Target<'_>,
    dockerfile: &ExtensionDockerfile,
    state: &mut State,
    hook: &mut dyn LayerHook,
) -> Result<(), Error> {
    tracing::info!(
        "Applying {} of extension '{}'",
        dockerfile.path.display(),
        dockerfile.extension
    );
    let mut cmd_set_here = false;
    for instruction in dockerfile.dockerfile.instructions() {
        tracing::debug!(
            "{} line {}: {}",
            dockerfile.path.display(),
            instruction.line,
            instruction.text
        );
        let outcome = step(
            target,
            dockerfile,
            state,
            hook,
            instruction,
            &mut cmd_set_here,
        );
        outcome.map_err(|source| Error::Instruction {
            extension: dockerfile.extension.clone(),
            path: dockerfile.path.clone(),
            line: instruction.line,
            instruction: instruction.text.clone(),
            source: Box::new(source),
        })?;
    }
    Ok(())
}

fn step(
    target: &mut Target<'_>,
    dockerfile: &ExtensionDockerfile,
    state: &mut State,
    hook: &mut dyn LayerHook,
    instruction: &Instruction,
    cmd_set_here: &mut bool,
) -> Result<(), StepError> {
    let root = target.root;
    match &instruction.command {
        Command::From { .. } => {}
        Command::Arg(decls) => {
            for decl in decls {
                state.declare(decl)?;
            }
        }
        Command::Env(pairs) => {
            let expanded = pairs
                .iter()
                .map(|pair| Ok((state.expand(&pair.key)?, state.expand(&pair.value)?)))
                .collect::<Result<Vec<_>, StepError>>()?;
            for (key, value) in expanded {
                state.set_env(&key, &value);
            }
        }
        Command::Label(pairs) => image_config::label(state, pairs)?,
        Command::User(user) => state.config.user = Some(state.expand(user)?),
        Command::Shell(shell) => state.set_shell(shell),
        Command::Workdir(dir) => {
            let dir = clean(&state.absolute(&state.expand(dir)?));
            state.config.working_dir = Some(dir.display().to_string());
            if !scope::resolve(root, &dir).is_ok_and(|host| host.is_dir()) {
                let key = next_key(target.key, instruction, state, "");
                let step = LayerStep {
                    key,
                    created_by: &instruction.text,
                };
                hook.step(&step, &mut || {
                    scope::create_dirs(root, &dir)
                        .map(drop)
                        .map_err(StepError::io("creating", &dir))
                })?;
                target.key = key;
            }
        }
        Command::Run { .. } => {
            let key = next_key(target.key, instruction, state, "");
            let step = LayerStep {
                key,
                created_by: &instruction.text,
            };
            hook.step(&step, &mut || run::run(root, state, instruction))?;
            target.key = key;
        }
        Command::Copy(args) | Command::Add(args) => {
            let add = matches!(instruction.command, Command::Add(_));
            let plan = copy::plan(root, &dockerfile.context, state, args, add)?;
            let material = if hook.keyed() {
                plan.cache_material()?
            } else {
                String::new()
            };
            let key = next_key(target.key, instruction, state, &material);
            let step = LayerStep {
                key,
                created_by: &instruction.text,
            };
            hook.step(&step, &mut || plan.execute(root))?;
            target.key = key;
        }
        Command::Cmd(command) => {
            state.config.cmd = Some(image_config::command_vector(state, command));
            *cmd_set_here = true;
        }
        Command::Entrypoint(command) => {
            state.config.entrypoint = Some(image_config::command_vector(state, command));
            if !*cmd_set_here {
                state.config.cmd = None;
            }
        }
        Command::Expose(ports) => image_config::expose(state, ports)?,
        Command::Volume(paths) => image_config::volume(state, paths)?,
        Command::StopSignal(signal) => state.config.stop_signal = Some(state.expand(signal)?),
        Command::Maintainer(name) => target.author = Some(name.clone()),
        Command::Healthcheck(raw) => image_config::healthcheck(state, raw)?,
        Command::Onbuild(trigger) => image_config::onbuild(state, trigger),
    }
    Ok(())
}

/// The cache key after `instruction`: the key before it, the instruction, everything in
/// scope, and what it reads (`material`).
fn next_key(previous: Digest, instruction: &Instruction, state: &State, material: &str) -> Digest {
    let text = format!(
        "{previous}\n{}\n{}{material}",
        instruction.text,
        state.cache_material()
    );
    Digest::of(text.as_bytes())
}

/// `path` with `.` and `..` resolved lexically.
fn clean(path: &Path) -> PathBuf {
    let mut clean = PathBuf::from("/");
    for component in path.components() {
        match component {
            std::path::Component::Normal(name) => clean.push(name),
            std::path::Component::ParentDir => {
                clean.pop();
            }
            _ => {}
        }
    }
    clean
}
