//! Running the tools the demo drives: the lifecycle's phases with their output passed through
//! to the console as it comes, and skopeo, umoci and runc with their output captured.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use crate::console::Console;

/// Runs `command`, showing each line it prints (stdout and stderr) as it comes, and returns
/// all of them. A failure to start or a non-zero exit is an error naming `program`.
pub(crate) fn run_shown(
    command: &mut Command,
    program: &str,
    console: &Console,
) -> Result<String, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot start {program}: {err}"))?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut readers = Vec::new();
    let streams: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|out| Box::new(out) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|err| Box::new(err) as Box<dyn Read + Send>),
    ];
    for stream in streams.into_iter().flatten() {
        let (lines, console) = (Arc::clone(&lines), console.clone());
        readers.push(thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                console.tool(&line);
                lines
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(line);
            }
        }));
    }
    let status = child
        .wait()
        .map_err(|err| format!("cannot wait for {program}: {err}"))?;
    for reader in readers {
        let _ = reader.join();
    }
    let text = lines
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .join("\n");
    if status.success() {
        Ok(text)
    } else {
        Err(format!("{program} failed ({status})"))
    }
}

/// Runs `command` to completion and returns its stdout; a failure to start or a non-zero exit
/// is an error naming the command line, with the last line of its stderr.
pub(crate) fn run_quiet(command: &mut Command) -> Result<String, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot start {}: {err}", name(command)))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!(
            "`{}` failed ({}): {}",
            command_line(command),
            output.status,
            stderr.trim().lines().last().unwrap_or_default()
        ))
    }
}

/// The program's file name (`creator`, `skopeo`).
fn name(command: &Command) -> String {
    let program = std::path::Path::new(command.get_program());
    program
        .file_name()
        .unwrap_or(program.as_os_str())
        .to_string_lossy()
        .into_owned()
}

fn command_line(command: &Command) -> String {
    std::iter::once(name(command))
        .chain(
            command
                .get_args()
                .map(|arg| arg.to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_output_is_returned_and_printed() {
        let (console, captured) = Console::capture();
        let text = run_shown(
            Command::new("sh").args(["-c", "echo out; echo err >&2"]),
            "sh",
            &console,
        )
        .expect("sh runs");
        assert!(text.contains("out") && text.contains("err"), "{text}");
        assert!(captured.text().contains("│ out"), "{}", captured.text());
    }

    #[test]
    fn a_failing_tool_is_an_error_naming_it() {
        let (console, _) = Console::capture();
        let err = run_shown(Command::new("sh").args(["-c", "exit 3"]), "sh", &console)
            .expect_err("exit 3 fails");
        assert!(err.starts_with("sh failed"), "{err}");
        let err = run_quiet(Command::new("sh").args(["-c", "echo bad >&2; exit 1"]))
            .expect_err("exit 1 fails");
        assert!(err.contains("`sh -c") && err.ends_with("bad"), "{err}");
    }
}
