//! The rules for an extension's Dockerfiles (`image_extension.md` › Dockerfile Requirements, as
//! the Go lifecycle enforces them): one stage each; a build.Dockerfile declares exactly
//! `ARG base_image` before a FROM that names `${base_image}` literally; a run.Dockerfile whose
//! FROM names anything else switches the run image to that, and any instruction after FROM
//! extends it. Instructions outside the recommended set are warnings, never errors.

use std::fmt;

use crate::error::Problem;
use crate::instruction::{Command, Dockerfile};

/// Which Dockerfile of an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `build.Dockerfile`: extends the build image.
    Build,
    /// `run.Dockerfile`: switches or extends the run image.
    Run,
}

impl Kind {
    /// `build` or `run` (the extender's `-kind`, and the directory names of Platform API < 0.13).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Run => "run",
        }
    }

    /// `build.Dockerfile` or `run.Dockerfile`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Build => "build.Dockerfile",
            Self::Run => "run.Dockerfile",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The instructions an extension's Dockerfile should keep to.
pub const RECOMMENDED: &[&str] = &[
    "FROM", "ADD", "ARG", "COPY", "ENV", "LABEL", "RUN", "SHELL", "USER", "WORKDIR",
];

/// The spelling of the base image a Dockerfile must use to build on the image it is given.
const BASE_IMAGE_REF: &str = "${base_image}";

/// An instruction outside [`RECOMMENDED`]: allowed, but worth a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Which Dockerfile.
    pub kind: Kind,
    /// The instruction's line.
    pub line: usize,
    /// The instruction's keyword.
    pub instruction: &'static str,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} line {}: {} is not a recommended instruction for extensions (use {})",
            self.kind.file_name(),
            self.line,
            self.instruction,
            RECOMMENDED.join(", ")
        )
    }
}

/// What a valid run.Dockerfile asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunVerdict {
    /// The image its FROM names when that is not `${base_image}`: the run image to switch to.
    pub new_base: Option<String>,
    /// Whether it has instructions after FROM: the run image is to be extended.
    pub extend: bool,
    /// Instructions outside the recommended set.
    pub warnings: Vec<Warning>,
}

/// Checks a build.Dockerfile; returns its warnings.
pub fn validate_build(dockerfile: &Dockerfile) -> Result<Vec<Warning>, Problem> {
    single_stage(dockerfile, Kind::Build)?;
    let warnings = warnings(dockerfile, Kind::Build);
    let names: Vec<&str> = dockerfile
        .meta_args
        .iter()
        .flat_map(|arg| match &arg.command {
            Command::Arg(decls) => decls.iter().map(|d| d.name.as_str()).collect(),
            _ => Vec::new(),
        })
        .collect();
    if names != ["base_image"] {
        let found = if names.is_empty() {
            "no ARG".to_owned()
        } else {
            format!("ARG {}", names.join(", "))
        };
        return Err(Problem::BuildPreambleArg { found });
    }
    let stage = dockerfile
        .stages
        .first()
        .ok_or(Problem::NoStage { kind: Kind::Build })?;
    if let Command::From { image, .. } = &stage.from.command
        && image != BASE_IMAGE_REF
    {
        return Err(Problem::BuildPreambleFrom {
            line: stage.from.line,
            found: image.clone(),
        });
    }
    Ok(warnings)
}

/// Checks a run.Dockerfile; returns what it asks for.
pub fn validate_run(dockerfile: &Dockerfile) -> Result<RunVerdict, Problem> {
    single_stage(dockerfile, Kind::Run)?;
    let stage = dockerfile
        .stages
        .first()
        .ok_or(Problem::NoStage { kind: Kind::Run })?;
    let new_base = match &stage.from.command {
        Command::From { image, .. } if image != BASE_IMAGE_REF => Some(image.clone()),
        _ => None,
    };
    Ok(RunVerdict {
        new_base,
        extend: !stage.instructions.is_empty(),
        warnings: warnings(dockerfile, Kind::Run),
    })
}

fn single_stage(dockerfile: &Dockerfile, kind: Kind) -> Result<(), Problem> {
    match dockerfile.stages.get(1) {
        Some(second) => Err(Problem::MultiStage {
            kind,
            line: second.from.line,
        }),
        None => Ok(()),
    }
}

fn warnings(dockerfile: &Dockerfile, kind: Kind) -> Vec<Warning> {
    dockerfile
        .instructions()
        .filter(|instruction| !RECOMMENDED.contains(&instruction.command.keyword()))
        .map(|instruction| Warning {
            kind,
            line: instruction.line,
            instruction: instruction.command.keyword(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
