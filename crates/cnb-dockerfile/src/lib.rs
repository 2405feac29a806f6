//! Dockerfiles as image extensions write them (`image_extension.md` › Dockerfile Requirements):
//! a parser with Docker's syntax (parser directives, comments, `\` continuations, JSON and
//! shell forms, flags, heredocs on RUN/COPY/ADD), the instruction model, Docker's variable
//! expansion (`$var`, `${var}`, `${var:-word}`, `${var:+word}`, …) for the instructions Docker
//! expands, and the rules the spec and the Go lifecycle put on `build.Dockerfile` and
//! `run.Dockerfile`. The detector validates generated Dockerfiles with it; the extender applies
//! them.
//!
//! Layer 1 (model): depends on nothing of ours; its only I/O is reading one file.

mod error;
mod expand;
mod instruction;
mod lines;
mod parse;
mod rules;
mod words;

pub use error::{Error, ExpansionError, Problem};
pub use expand::{expand, expand_heredoc};
pub use instruction::{
    ArgDecl, Command, CopyArgs, Dockerfile, Flag, Heredoc, Instruction, KeyValue, ShellOrExec,
    Stage,
};
pub use rules::{Kind, RECOMMENDED, RunVerdict, Warning, validate_build, validate_run};
