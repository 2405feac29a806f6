//! Failures to start, feed or wait for a program.

use std::path::PathBuf;
use std::process::ExitStatus;

/// A program could not be started, or an exec.d executable failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument or environment entry holds a NUL byte, which `execve` cannot pass.
    #[error("'{text}' contains a NUL byte")]
    NulByte {
        /// The offending text (lossily decoded).
        text: String,
    },
    /// Changing to the program's working directory failed.
    #[error("changing directory to {}", path.display())]
    ChangeDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: nix::Error,
    },
    /// `execve` failed (the program is missing, not executable, or has a bad interpreter).
    #[error("executing {}", path.display())]
    Exec {
        /// The program.
        path: PathBuf,
        /// The cause.
        #[source]
        source: nix::Error,
    },
    /// The pipe an exec.d executable writes its output to could not be created.
    #[error("creating the output pipe for {}", path.display())]
    Pipe {
        /// The exec.d executable.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A child process could not be started.
    #[error("starting {}", path.display())]
    Spawn {
        /// The program.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading an exec.d executable's output from fd 3 failed.
    #[error("reading the output of {}", path.display())]
    ReadOutput {
        /// The exec.d executable.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for a child process failed.
    #[error("waiting for {}", path.display())]
    Wait {
        /// The program.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An exec.d executable ended unsuccessfully.
    #[error("{} ended with {status}", path.display())]
    Failed {
        /// The exec.d executable.
        path: PathBuf,
        /// How it ended.
        status: ExitStatus,
    },
    /// Blocking, awaiting or forwarding signals, or reaping children, failed in init mode.
    #[error("supervising {} as init", path.display())]
    Supervise {
        /// The program.
        path: PathBuf,
        /// The cause.
        #[source]
        source: nix::Error,
    },
}
