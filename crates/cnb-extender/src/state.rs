//! What one Dockerfile's instructions see and change as they are applied: the image's runtime
//! config (`Env`, `User`, `WorkingDir`, `Labels`, `Shell`, …) and the build arguments in scope, with
//! Docker's rules. ARGs before FROM are visible only to ARGs declared again after it; a
//! declared ARG takes the value given to the build, else its default, else the value before
//! FROM; ENV wins over ARG of the same name; RUN gets both as its environment, ARGs are not
//! kept in the image.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cnb_dockerfile::{ArgDecl, Command, Dockerfile, expand};
use cnb_image::RuntimeConfig;
use serde_json::Value;

use crate::error::StepError;

/// The shell of a shell-form RUN, CMD and ENTRYPOINT unless SHELL says otherwise.
const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];
/// `PATH` for RUN when the image sets none (Docker's default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The key of SHELL in the runtime config.
const SHELL_KEY: &str = "Shell";

/// The state of one Dockerfile's application.
#[derive(Debug, Clone)]
pub(crate) struct State {
    /// The image's runtime config as the instructions so far left it.
    pub config: RuntimeConfig,
    escape: char,
    /// Build arguments given to this Dockerfile.
    provided: Vec<(String, String)>,
    /// Values of the ARGs before FROM.
    meta: Vec<(String, Option<String>)>,
    /// ARGs declared after FROM, with their values.
    args: Vec<(String, Option<String>)>,
}

impl State {
    /// The state before the first instruction after FROM of `dockerfile`, given the `provided`
    /// build arguments.
    pub(crate) fn new(
        config: RuntimeConfig,
        dockerfile: &Dockerfile,
        provided: Vec<(String, String)>,
    ) -> Result<Self, StepError> {
        let mut state = Self {
            config,
            escape: dockerfile.escape,
            provided,
            meta: Vec::new(),
            args: Vec::new(),
        };
        for instruction in &dockerfile.meta_args {
            if let Command::Arg(decls) = &instruction.command {
                for decl in decls {
                    let value = match state.given(&decl.name) {
                        Some(value) => Some(value),
                        None => decl
                            .default
                            .as_deref()
                            .map(|d| expand(d, state.escape, &|n| state.meta_value(n)))
                            .transpose()?,
                    };
                    state.meta.push((decl.name.clone(), value));
                }
            }
        }
        Ok(state)
    }

    fn given(&self, name: &str) -> Option<String> {
        self.provided
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn meta_value(&self, name: &str) -> Option<String> {
        self.meta
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    /// `KEY=value` entries of the image's Env as pairs, in order.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        self.config
            .env
            .iter()
            .flatten()
            .map(|entry| match entry.split_once('=') {
                Some((key, value)) => (key.to_owned(), value.to_owned()),
                None => (entry.clone(), String::new()),
            })
            .collect()
    }

    /// The value of variable `name` for expansion: ENV, else a declared ARG.
    pub(crate) fn lookup(&self, name: &str) -> Option<String> {
        self.env()
            .into_iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
            .or_else(|| self.arg_value(name))
    }

    fn arg_value(&self, name: &str) -> Option<String> {
        self.args
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    /// `word` expanded with the variables in scope.
    pub(crate) fn expand(&self, word: &str) -> Result<String, StepError> {
        Ok(expand(word, self.escape, &|name| self.lookup(name))?)
    }

    /// A heredoc body expanded with the variables in scope.
    pub(crate) fn expand_heredoc(&self, body: &str) -> Result<String, StepError> {
        Ok(cnb_dockerfile::expand_heredoc(
            body,
            self.escape,
            &|name| self.lookup(name),
        )?)
    }

    /// Applies `ARG name[=default]`.
    pub(crate) fn declare(&mut self, decl: &ArgDecl) -> Result<(), StepError> {
        let value = match self.given(&decl.name) {
            Some(value) => Some(value),
            None => match &decl.default {
                Some(default) => Some(self.expand(default)?),
                None => self.meta_value(&decl.name),
            },
        };
        self.args.push((decl.name.clone(), value));
        Ok(())
    }

    /// Sets Env `key` to `value`, in place when it is set already.
    pub(crate) fn set_env(&mut self, key: &str, value: &str) {
        let entry = format!("{key}={value}");
        let env = self.config.env.get_or_insert_with(Vec::new);
        match env
            .iter_mut()
            .find(|e| e.split_once('=').map_or(e.as_str(), |(k, _)| k) == key)
        {
            Some(existing) => *existing = entry,
            None => env.push(entry),
        }
    }

    /// The image's `User` (empty: root).
    pub(crate) fn user(&self) -> &str {
        self.config.user.as_deref().unwrap_or_default()
    }

    /// The working directory (`/` unless set).
    pub(crate) fn workdir(&self) -> PathBuf {
        match self.config.working_dir.as_deref() {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => PathBuf::from("/"),
        }
    }

    /// `path` made absolute against the working directory.
    pub(crate) fn absolute(&self, path: &str) -> PathBuf {
        if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            self.workdir().join(path)
        }
    }

    /// The shell of shell-form commands.
    pub(crate) fn shell(&self) -> Vec<String> {
        match self.config.other.get(SHELL_KEY) {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| item.as_str().unwrap_or_default().to_owned())
                .collect(),
            _ => DEFAULT_SHELL.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Applies SHELL.
    pub(crate) fn set_shell(&mut self, shell: &[String]) {
        let items = shell.iter().cloned().map(Value::String).collect();
        self.config
            .other
            .insert(SHELL_KEY.to_owned(), Value::Array(items));
    }

    /// The environment of a RUN: the image's Env, the declared ARGs that Env does not set,
    /// `PATH` and `HOME` when neither sets them.
    pub(crate) fn run_env(&self, home: &str) -> Vec<(String, String)> {
        let mut env = self.env();
        for (name, value) in &self.args {
            if let Some(value) = value
                && !env.iter().any(|(key, _)| key == name)
            {
                env.retain(|(key, _)| key != name);
                env.push((name.clone(), value.clone()));
            }
        }
        if !env.iter().any(|(key, _)| key == "PATH") {
            env.push(("PATH".to_owned(), DEFAULT_PATH.to_owned()));
        }
        if !env.iter().any(|(key, _)| key == "HOME") {
            env.push(("HOME".to_owned(), home.to_owned()));
        }
        env
    }

    /// Everything in scope that can change what a RUN, COPY or ADD does, as text for a cache
    /// key: `Env`, ARG values, `User`, `WorkingDir` and `Shell`.
    pub(crate) fn cache_material(&self) -> String {
        let mut text = String::new();
        for (key, value) in self.env() {
            let _ = writeln!(text, "env {key}={value}");
        }
        for (name, value) in &self.args {
            let _ = writeln!(text, "arg {name}={}", value.as_deref().unwrap_or("<unset>"));
        }
        let _ = write!(
            text,
            "user {}
workdir {}
shell {:?}
",
            self.user(),
            self.workdir().display(),
            self.shell()
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn state(text: &str, provided: &[(&str, &str)]) -> (State, Dockerfile) {
        let dockerfile = Dockerfile::parse(text).unwrap();
        let config = RuntimeConfig {
            env: Some(vec!["PATH=/usr/bin:/bin".into(), "A=from-image".into()]),
            user: Some("1000:1000".into()),
            ..RuntimeConfig::default()
        };
        let provided = provided
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        (
            State::new(config, &dockerfile, provided).unwrap(),
            dockerfile,
        )
    }

    fn declare_all(state: &mut State, dockerfile: &Dockerfile) {
        for instruction in dockerfile.instructions() {
            if let Command::Arg(decls) = &instruction.command {
                for decl in decls {
                    state.declare(decl).unwrap();
                }
            }
        }
    }

    #[test]
    fn args_take_the_given_value_then_their_default_then_the_value_before_from() {
        let (mut state, dockerfile) = state(
            "ARG base_image\nARG version=1.0\nFROM ${base_image}\nARG build_id=0\nARG version\nARG missing\nARG local=${version}-x\n",
            &[("build_id", "uuid-1"), ("base_image", "base@sha256:00")],
        );
        assert_eq!(state.lookup("version"), None, "not declared after FROM yet");
        declare_all(&mut state, &dockerfile);
        assert_eq!(state.lookup("build_id").as_deref(), Some("uuid-1"));
        assert_eq!(state.lookup("version").as_deref(), Some("1.0"));
        assert_eq!(state.lookup("missing"), None);
        assert_eq!(state.lookup("local").as_deref(), Some("1.0-x"));
        assert_eq!(
            state.lookup("base_image"),
            None,
            "base_image is not redeclared"
        );
    }

    #[test]
    fn env_wins_over_args_and_run_gets_both_with_defaults() {
        let (mut state, dockerfile) = state("FROM x\nARG A=from-arg\nARG B=b\n", &[]);
        declare_all(&mut state, &dockerfile);
        assert_eq!(state.lookup("A").as_deref(), Some("from-image"));
        state.set_env("A", "changed");
        state.set_env("NEW", "1");
        assert_eq!(
            state.run_env("/home/cnb"),
            vec![
                ("PATH".into(), "/usr/bin:/bin".into()),
                ("A".into(), "changed".into()),
                ("NEW".into(), "1".into()),
                ("B".into(), "b".into()),
                ("HOME".into(), "/home/cnb".into()),
            ]
        );
        assert_eq!(state.config.env.as_ref().unwrap()[1], "A=changed");
    }

    #[test]
    fn workdir_shell_and_user_have_docker_defaults() {
        let (mut state, _) = state("FROM x\n", &[]);
        assert_eq!(state.workdir(), Path::new("/"));
        assert_eq!(state.absolute("rel"), Path::new("/rel"));
        assert_eq!(state.shell(), vec!["/bin/sh", "-c"]);
        state.set_shell(&["/bin/bash".into(), "-ec".into()]);
        assert_eq!(state.shell(), vec!["/bin/bash", "-ec"]);
        assert_eq!(state.user(), "1000:1000");
    }
}
