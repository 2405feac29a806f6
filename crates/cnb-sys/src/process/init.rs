//! Init mode: when the launcher is PID 1 of a container and asked to (it is off by default),
//! it runs the program as its child instead of becoming it, forwards the signals a container
//! runtime sends, reaps every child that ends (orphans are re-parented to PID 1), and exits
//! with the program's status. Signals are blocked and taken with `sigwait`, so no handler runs
//! and the kernel still delivers them to PID 1.

use nix::errno::Errno;
use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, PosixSpawnFlags, posix_spawn};
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, chdir, getpid};

use super::{Error, Program, c_string};

/// The signals passed on to the program.
pub const FORWARDED_SIGNALS: [Signal; 6] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

/// Whether this process is PID 1 of its PID namespace.
pub fn is_init() -> bool {
    getpid() == Pid::from_raw(1)
}

/// Runs `program` as a child and supervises it until it ends; returns its exit code, or
/// 128 + the signal number when a signal ended it. Children it leaves behind are reaped as
/// they end; once the program itself has ended, this returns at once (the container ends
/// with PID 1, and the kernel ends what is left).
pub fn run_as_init(program: &Program) -> Result<u8, Error> {
    let supervise = |source| Error::Supervise {
        path: program.path.clone(),
        source,
    };
    let mut signals = SigSet::empty();
    for signal in FORWARDED_SIGNALS {
        signals.add(signal);
    }
    signals.add(Signal::SIGCHLD);
    signals.thread_block().map_err(supervise)?;
    let child = spawn(program)?;
    loop {
        match signals.wait().map_err(supervise)? {
            Signal::SIGCHLD => {
                if let Some(code) = reap(child).map_err(supervise)? {
                    return Ok(code);
                }
            }
            signal => match kill(child, signal) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(source) => return Err(supervise(source)),
            },
        }
    }
}

/// Starts the program in its working directory, with an empty signal mask (this process
/// blocks the forwarded signals; a child would inherit that) and `SIGPIPE` at its default.
fn spawn(program: &Program) -> Result<Pid, Error> {
    let spawn_error = |source: Errno| Error::Spawn {
        path: program.path.clone(),
        source: source.into(),
    };
    let path = c_string(program.path.as_os_str())?;
    let argv = program.c_argv()?;
    let env = program.c_env()?;
    chdir(program.cwd.as_path()).map_err(|source| Error::ChangeDir {
        path: program.cwd.clone(),
        source,
    })?;
    let mut attr = PosixSpawnAttr::init().map_err(spawn_error)?;
    attr.set_sigmask(&SigSet::empty()).map_err(spawn_error)?;
    let mut defaults = SigSet::empty();
    defaults.add(Signal::SIGPIPE);
    attr.set_sigdefault(&defaults).map_err(spawn_error)?;
    attr.set_flags(
        PosixSpawnFlags::POSIX_SPAWN_SETSIGMASK | PosixSpawnFlags::POSIX_SPAWN_SETSIGDEF,
    )
    .map_err(spawn_error)?;
    let actions = PosixSpawnFileActions::init().map_err(spawn_error)?;
    posix_spawn(path.as_c_str(), &actions, &attr, &argv, &env).map_err(spawn_error)
}

/// Reaps every child that has ended; returns the program's exit code once it is among them.
fn reap(program: Pid) -> Result<Option<u8>, Errno> {
    let mut ended = None;
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) if pid == program => {
                ended = Some(u8::try_from(code & 0xff).unwrap_or(u8::MAX));
            }
            Ok(WaitStatus::Signaled(pid, signal, _)) if pid == program => {
                ended = Some(u8::try_from(128 + (signal as i32 & 0x7f)).unwrap_or(u8::MAX));
            }
            Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return Ok(ended),
            Ok(_) | Err(Errno::EINTR) => {}
            Err(error) => return Err(error),
        }
    }
}
