//! Running the external tools the fixtures drive (umoci, skopeo, htpasswd), with errors that
//! name the command line and carry its stderr.

use std::io;
use std::process::{Command, Output, Stdio};

/// Runs `command` to completion; a spawn failure or a non-zero exit becomes an error that
/// names the command line and includes its stderr. Returns the output on success.
pub(crate) fn run(command: &mut Command) -> io::Result<Output> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|err| spawn_error(command, &err))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(io::Error::other(format!(
            "`{}` failed ({}): {}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

/// An error for a command that could not be started, with an install hint when the program
/// is missing.
pub(crate) fn spawn_error(command: &Command, err: &io::Error) -> io::Error {
    let program = command.get_program().to_string_lossy().into_owned();
    if err.kind() == io::ErrorKind::NotFound {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "cannot start `{program}`: not installed? (apt-get install -y {})",
                package_of(&program)
            ),
        )
    } else {
        io::Error::new(
            err.kind(),
            format!("cannot start `{}`: {err}", describe(command)),
        )
    }
}

fn package_of(program: &str) -> &str {
    match program {
        "htpasswd" => "apache2-utils",
        "docker-registry" => "docker-registry",
        "dockerd" | "docker" => "docker.io",
        "/bin/busybox" => "busybox-static",
        other => other,
    }
}

/// The command line for messages, with credentials shown as `<redacted>`: the value after a
/// `--*creds` flag, and `htpasswd`'s password argument (its last).
fn describe(command: &Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command
        .get_args()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let mut parts = vec![program.clone()];
    for (index, arg) in args.iter().enumerate() {
        let after_creds_flag = index > 0 && args[index - 1].ends_with("creds");
        let htpasswd_password = program == "htpasswd" && index + 1 == args.len();
        if after_creds_flag || htpasswd_password {
            parts.push("<redacted>".to_owned());
        } else {
            parts.push(arg.clone());
        }
    }
    parts.join(" ")
}
