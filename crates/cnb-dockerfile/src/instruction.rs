//! The instruction model: a Dockerfile is its escape character, the ARGs before the first
//! FROM, and its stages, each a FROM and the instructions after it. Arguments are kept as
//! written (quotes and `$` references intact); [`crate::expand`] expands them where Docker
//! does, with the variables in scope when the instruction runs.

use std::path::Path;

use crate::error::{Error, Problem};

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character (`\` unless a `# escape=` directive says `` ` ``).
    pub escape: char,
    /// ARG instructions before the first FROM (the "meta" args FROM may use).
    pub meta_args: Vec<Instruction>,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

/// A FROM and the instructions that follow it up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The FROM instruction (its command is [`Command::From`]).
    pub from: Instruction,
    /// The instructions after it.
    pub instructions: Vec<Instruction>,
}

/// One instruction: where it is, how it reads, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The 1-based line it starts on.
    pub line: usize,
    /// The instruction as one line: continuations joined, comments and heredoc bodies left
    /// out (what Docker records as a layer's `created_by`).
    pub text: String,
    /// The parsed instruction.
    pub command: Command,
}

/// A parsed instruction. Words are as written; expand them with [`crate::expand`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `FROM [--platform=…] <image> [AS <name>]`.
    From {
        /// The image, as written (`${base_image}` stays literal).
        image: String,
        /// The stage name after `AS`.
        name: Option<String>,
        /// The `--platform` flag.
        platform: Option<String>,
    },
    /// `ARG <name>[=<default>] …`.
    Arg(Vec<ArgDecl>),
    /// `ENV <key>=<value> …` (or the legacy `ENV <key> <value>`).
    Env(Vec<KeyValue>),
    /// `LABEL <key>=<value> …`.
    Label(Vec<KeyValue>),
    /// `RUN`, in shell or exec form, with its flags and heredocs.
    Run {
        /// The command.
        command: ShellOrExec,
        /// `--mount`, `--network`, `--security`.
        flags: Vec<Flag>,
        /// Heredoc bodies, in the order their markers appear.
        heredocs: Vec<Heredoc>,
    },
    /// `SHELL ["executable", "parameters"…]`.
    Shell(Vec<String>),
    /// `USER <user>[:<group>]`.
    User(String),
    /// `WORKDIR <path>`.
    Workdir(String),
    /// `COPY`.
    Copy(CopyArgs),
    /// `ADD`.
    Add(CopyArgs),
    /// `CMD`.
    Cmd(ShellOrExec),
    /// `ENTRYPOINT`.
    Entrypoint(ShellOrExec),
    /// `EXPOSE <port>[/<proto>] …`.
    Expose(Vec<String>),
    /// `VOLUME <path> …`.
    Volume(Vec<String>),
    /// `STOPSIGNAL <signal>`.
    StopSignal(String),
    /// `MAINTAINER <name>`.
    Maintainer(String),
    /// `HEALTHCHECK …`, kept as written.
    Healthcheck(String),
    /// `ONBUILD <instruction>`, kept as written.
    Onbuild(String),
}

impl Command {
    /// The instruction's keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::From { .. } => "FROM",
            Self::Arg(_) => "ARG",
            Self::Env(_) => "ENV",
            Self::Label(_) => "LABEL",
            Self::Run { .. } => "RUN",
            Self::Shell(_) => "SHELL",
            Self::User(_) => "USER",
            Self::Workdir(_) => "WORKDIR",
            Self::Copy(_) => "COPY",
            Self::Add(_) => "ADD",
            Self::Cmd(_) => "CMD",
            Self::Entrypoint(_) => "ENTRYPOINT",
            Self::Expose(_) => "EXPOSE",
            Self::Volume(_) => "VOLUME",
            Self::StopSignal(_) => "STOPSIGNAL",
            Self::Maintainer(_) => "MAINTAINER",
            Self::Healthcheck(_) => "HEALTHCHECK",
            Self::Onbuild(_) => "ONBUILD",
        }
    }
}

/// A command in shell form (run through the SHELL) or exec form (a JSON array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellOrExec {
    /// The text after the keyword and flags.
    Shell(String),
    /// The strings of the JSON array.
    Exec(Vec<String>),
}

/// `--name` or `--name=value` before an instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The name without the dashes.
    pub name: String,
    /// The value after `=`, if any.
    pub value: Option<String>,
}

/// A heredoc: the lines between `<<WORD` and the line `WORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiting word.
    pub name: String,
    /// The lines, each ending in `\n` (with `<<-`, leading tabs removed).
    pub body: String,
    /// Whether variables in the body expand (the delimiter was not quoted).
    pub expand: bool,
}

/// A declared build argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    /// The name.
    pub name: String,
    /// The default value as written, if any.
    pub default: Option<String>,
}

/// A `key=value` pair of ENV or LABEL, both as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// The arguments of COPY and ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyArgs {
    /// The sources, as written.
    pub sources: Vec<String>,
    /// The destination, as written.
    pub dest: String,
    /// All flags (`--chown`, `--chmod`, `--from`, `--link`, …).
    pub flags: Vec<Flag>,
    /// Heredoc bodies; a source that names one is that file's content.
    pub heredocs: Vec<Heredoc>,
}

impl CopyArgs {
    /// The value of flag `name`, if given.
    pub fn flag(&self, name: &str) -> Option<&str> {
        flag_value(&self.flags, name)
    }
}

/// The value of flag `name` among `flags`, if given (a flag without a value gives "").
pub(crate) fn flag_value<'a>(flags: &'a [Flag], name: &str) -> Option<&'a str> {
    flags
        .iter()
        .rev()
        .find(|flag| flag.name == name)
        .map(|flag| flag.value.as_deref().unwrap_or(""))
}

impl Dockerfile {
    /// Reads and parses the Dockerfile at `path`.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| Error::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses a Dockerfile's text.
    pub fn parse(text: &str) -> Result<Self, Problem> {
        crate::parse::dockerfile(text)
    }

    /// Every instruction after a FROM, in file order (FROMs excluded).
    pub fn instructions(&self) -> impl Iterator<Item = &Instruction> {
        self.stages.iter().flat_map(|stage| &stage.instructions)
    }
}

impl Instruction {
    /// Heredoc bodies of a RUN: the script to give the shell. A RUN whose command is only a
    /// heredoc marker runs the body itself; otherwise the shell gets the command line
    /// followed by each body and its terminator, as a shell reads heredocs.
    pub fn run_script(&self) -> Option<String> {
        let Command::Run {
            command: ShellOrExec::Shell(line),
            heredocs,
            ..
        } = &self.command
        else {
            return None;
        };
        if heredocs.is_empty() {
            return Some(line.clone());
        }
        if heredocs.len() == 1 && crate::lines::is_only_heredoc_marker(line) {
            return Some(heredocs[0].body.clone());
        }
        let mut script = line.clone();
        script.push('\n');
        for heredoc in heredocs {
            script.push_str(&heredoc.body);
            script.push_str(&heredoc.name);
            script.push('\n');
        }
        Some(script)
    }
}
