//! From logical lines to instructions: the keyword, its flags, and its arguments in the shape
//! each instruction takes; then the ARGs before the first FROM and the stages.

use crate::error::Problem;
use crate::instruction::{
    ArgDecl, Command, CopyArgs, Dockerfile, Flag, Instruction, ShellOrExec, Stage,
};
use crate::lines::{self, LogicalLine};
use crate::words::{self, Json, NameValueError};

/// Parses a whole Dockerfile.
pub(crate) fn dockerfile(text: &str) -> Result<Dockerfile, Problem> {
    let lines = lines::split(text)?;
    if lines.lines.is_empty() {
        return Err(Problem::Empty);
    }
    let mut meta_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for line in lines.lines {
        let instruction = instruction(line, lines.escape)?;
        match (&instruction.command, stages.last_mut()) {
            (Command::From { .. }, _) => stages.push(Stage {
                from: instruction,
                instructions: Vec::new(),
            }),
            (_, Some(stage)) => stage.instructions.push(instruction),
            (Command::Arg(_), None) => meta_args.push(instruction),
            (command, None) => {
                return Err(Problem::BeforeFrom {
                    line: instruction.line,
                    instruction: command.keyword(),
                });
            }
        }
    }
    Ok(Dockerfile {
        escape: lines.escape,
        meta_args,
        stages,
    })
}

/// The flags each instruction accepts.
fn allowed_flags(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "FROM" => &["platform"],
        "RUN" => &["mount", "network", "security"],
        "COPY" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "ADD" => &[
            "chown",
            "chmod",
            "link",
            "checksum",
            "keep-git-dir",
            "exclude",
            "unpack",
        ],
        "HEALTHCHECK" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

const KEYWORDS: &[&str] = &[
    "FROM",
    "ARG",
    "ENV",
    "LABEL",
    "RUN",
    "SHELL",
    "USER",
    "WORKDIR",
    "COPY",
    "ADD",
    "CMD",
    "ENTRYPOINT",
    "EXPOSE",
    "VOLUME",
    "STOPSIGNAL",
    "MAINTAINER",
    "HEALTHCHECK",
    "ONBUILD",
];

/// Parses one logical line.
fn instruction(logical: LogicalLine, escape: char) -> Result<Instruction, Problem> {
    let line = logical.line;
    let text = logical.text.trim();
    let (word, rest) = text
        .split_once(|c: char| c.is_whitespace())
        .unwrap_or((text, ""));
    let upper = word.to_ascii_uppercase();
    let Some(keyword) = KEYWORDS.iter().copied().find(|k| *k == upper) else {
        return Err(Problem::UnknownInstruction {
            line,
            keyword: word.to_owned(),
        });
    };
    let (flags, rest) = if keyword == "ONBUILD" {
        (Vec::new(), rest.trim())
    } else {
        words::leading_flags(rest)
    };
    if let Some(flag) = flags
        .iter()
        .find(|flag| !allowed_flags(keyword).contains(&flag.name.as_str()))
    {
        return Err(Problem::UnknownFlag {
            line,
            instruction: keyword,
            flag: flag.name.clone(),
        });
    }
    let args = Args {
        line,
        keyword,
        rest,
        escape,
    };
    let command = args.command(flags, logical.heredocs)?;
    Ok(Instruction {
        line,
        text: text.to_owned(),
        command,
    })
}

/// An instruction's arguments being parsed.
struct Args<'a> {
    line: usize,
    keyword: &'static str,
    rest: &'a str,
    escape: char,
}

impl Args<'_> {
    fn command(
        &self,
        flags: Vec<Flag>,
        heredocs: Vec<crate::instruction::Heredoc>,
    ) -> Result<Command, Problem> {
        Ok(match self.keyword {
            "FROM" => self.from(&flags)?,
            "ARG" => Command::Arg(self.arg()?),
            "ENV" => Command::Env(self.name_values()?),
            "LABEL" => Command::Label(self.name_values()?),
            "RUN" => Command::Run {
                command: self.shell_or_exec()?,
                flags,
                heredocs,
            },
            "SHELL" => match words::json_array(self.rest) {
                Json::Strings(strings) if !strings.is_empty() => Command::Shell(strings),
                Json::NotStrings => return Err(self.not_strings()),
                _ => {
                    return Err(
                        self.expected("requires a JSON array such as [\"/bin/sh\", \"-c\"]")
                    );
                }
            },
            "USER" => Command::User(self.string()?),
            "WORKDIR" => Command::Workdir(self.string()?),
            "COPY" => Command::Copy(self.copy(flags, heredocs)?),
            "ADD" => Command::Add(self.copy(flags, heredocs)?),
            "CMD" => Command::Cmd(self.shell_or_exec()?),
            "ENTRYPOINT" => Command::Entrypoint(self.shell_or_exec()?),
            "EXPOSE" => Command::Expose(self.nonempty(words::blank_separated(self.rest))?),
            "VOLUME" => Command::Volume(self.list()?),
            "STOPSIGNAL" => Command::StopSignal(self.string()?),
            "MAINTAINER" => Command::Maintainer(self.string()?),
            "HEALTHCHECK" => Command::Healthcheck(self.string()?),
            _ => Command::Onbuild(self.string()?),
        })
    }

    fn expected(&self, expected: &'static str) -> Problem {
        Problem::Arguments {
            line: self.line,
            instruction: self.keyword,
            expected,
        }
    }

    fn not_strings(&self) -> Problem {
        Problem::JsonNotStrings {
            line: self.line,
            instruction: self.keyword,
        }
    }

    fn nonempty(&self, words: Vec<String>) -> Result<Vec<String>, Problem> {
        if words.is_empty() {
            return Err(self.expected("requires at least one argument"));
        }
        Ok(words)
    }

    fn string(&self) -> Result<String, Problem> {
        let text = self.rest.trim();
        if text.is_empty() {
            return Err(self.expected("requires an argument"));
        }
        Ok(text.to_owned())
    }

    fn from(&self, flags: &[Flag]) -> Result<Command, Problem> {
        let words = words::blank_separated(self.rest);
        let name = match words.as_slice() {
            [_] => None,
            [_, as_word, name] if as_word.eq_ignore_ascii_case("as") => Some(name.clone()),
            _ => return Err(self.expected("requires an image, optionally followed by AS <name>")),
        };
        Ok(Command::From {
            image: words[0].clone(),
            name,
            platform: crate::instruction::flag_value(flags, "platform").map(str::to_owned),
        })
    }

    fn arg(&self) -> Result<Vec<ArgDecl>, Problem> {
        let words = self.nonempty(words::quoted_words(self.rest, self.escape))?;
        Ok(words
            .into_iter()
            .map(|word| match word.split_once('=') {
                Some((name, default)) => ArgDecl {
                    name: name.to_owned(),
                    default: Some(default.to_owned()),
                },
                None => ArgDecl {
                    name: word,
                    default: None,
                },
            })
            .collect())
    }

    fn name_values(&self) -> Result<Vec<crate::instruction::KeyValue>, Problem> {
        match words::name_values(self.rest, self.escape) {
            Ok(pairs) if pairs.is_empty() => Err(self.expected("requires at least one argument")),
            Ok(pairs) => Ok(pairs),
            Err(NameValueError::NoValue) => Err(self.expected("requires a value after the name")),
            Err(NameValueError::NoEquals) => {
                Err(self.expected("arguments must all have the form name=value"))
            }
        }
    }

    fn shell_or_exec(&self) -> Result<ShellOrExec, Problem> {
        match words::json_array(self.rest) {
            Json::Strings(strings) => Ok(ShellOrExec::Exec(strings)),
            Json::NotStrings => Err(self.not_strings()),
            Json::Shell if self.rest.trim().is_empty() => {
                Err(self.expected("requires at least one argument"))
            }
            Json::Shell => Ok(ShellOrExec::Shell(self.rest.trim().to_owned())),
        }
    }

    fn list(&self) -> Result<Vec<String>, Problem> {
        match words::json_array(self.rest) {
            Json::Strings(strings) => self.nonempty(strings),
            Json::NotStrings => Err(self.not_strings()),
            Json::Shell => self.nonempty(words::blank_separated(self.rest)),
        }
    }

    fn copy(
        &self,
        flags: Vec<Flag>,
        heredocs: Vec<crate::instruction::Heredoc>,
    ) -> Result<CopyArgs, Problem> {
        let mut list = self.list()?;
        if list.len() < 2 {
            return Err(self.expected("requires at least one source and a destination"));
        }
        let dest = list.pop().unwrap_or_default();
        Ok(CopyArgs {
            sources: list,
            dest,
            flags,
            heredocs,
        })
    }
}

#[cfg(test)]
mod tests;
