//! Running a buildpack's executable: its own path as `argv[0]` (never the symlink's target),
//! exactly the given environment, a working directory, and its output either captured (both
//! streams into one buffer, in the order written, as detect logs are shown) or passed through.

use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

use crate::Error;

/// One run of a module's executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The executable, e.g. `<bp>/bin/detect`; it is also `argv[0]`.
    pub program: PathBuf,
    /// The positional arguments.
    pub args: Vec<OsString>,
    /// The whole environment (nothing else is inherited).
    pub env: Vec<(OsString, OsString)>,
    /// The working directory.
    pub cwd: PathBuf,
}

/// How a captured run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The exit status.
    pub status: ExitStatus,
    /// stdout and stderr, interleaved as written.
    pub output: Vec<u8>,
}

/// `exit status <code>` or `signal <number>`, as Go describes a failed command.
pub fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => status.to_string(),
    }
}

impl Invocation {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        command
    }

    /// Runs to completion with stdout and stderr captured into one buffer.
    pub fn run_captured(&self) -> Result<Captured, Error> {
        let wait_error = |source| Error::Wait {
            path: self.program.clone(),
            source,
        };
        let (mut reader, writer) = std::io::pipe().map_err(|source| Error::Spawn {
            path: self.program.clone(),
            source,
        })?;
        let mut child = {
            let mut command = self.command();
            let stderr = writer.try_clone().map_err(wait_error)?;
            command.stdout(writer).stderr(stderr);
            command.spawn().map_err(|source| Error::Spawn {
                path: self.program.clone(),
                source,
            })?
            // `command` drops here, closing our copies of the pipe's write end, so that the
            // read below ends when the child (and anything it left running) closes its own.
        };
        let mut output = Vec::new();
        let read = reader.read_to_end(&mut output);
        let status = child.wait().map_err(wait_error)?;
        read.map_err(wait_error)?;
        Ok(Captured { status, output })
    }

    /// Runs to completion with stdout and stderr both written to the lifecycle's stdout (the
    /// Go lifecycle streams `bin/build` that way).
    pub fn run_to_stdout(&self) -> Result<ExitStatus, Error> {
        use std::io::Write as _;
        use std::os::fd::AsFd as _;
        let spawn_error = |source| Error::Spawn {
            path: self.program.clone(),
            source,
        };
        // Whatever the lifecycle logged so far goes out before the child's output.
        let _ = std::io::stdout().flush();
        let stdout = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(spawn_error)?;
        let stderr = stdout.try_clone().map_err(spawn_error)?;
        let mut child = self
            .command()
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(spawn_error)?;
        child.wait().map_err(|source| Error::Wait {
            path: self.program.clone(),
            source,
        })
    }

    /// Runs to completion with stdout and stderr passed through to the lifecycle's own.
    pub fn run_inherited(&self) -> Result<ExitStatus, Error> {
        let mut child = self.command().spawn().map_err(|source| Error::Spawn {
            path: self.program.clone(),
            source,
        })?;
        child.wait().map_err(|source| Error::Wait {
            path: self.program.clone(),
            source,
        })
    }
}
