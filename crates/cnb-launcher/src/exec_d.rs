//! exec.d (buildpack.md › Exec.d; platform.md › launcher › Execution): every executable in
//! each layer's `exec.d/`, then in its `exec.d/<type>/`, layer by layer in the Go launcher's
//! order, runs in `<app>` with the environment so far; the TOML it writes to fd 3 sets
//! variables before the next one runs.

use std::path::Path;

use cnb_env::Env;
use cnb_files::TomlFile;
use cnb_files::exec_d::ExecDOutput;

use crate::Error;
use crate::environment::{Layers, files};

/// Runs every exec.d executable for a process of `process_type` and applies its output to
/// `env`.
pub(crate) fn run_all(
    layers: &Layers,
    process_type: &str,
    env: &mut Env,
    app_dir: &Path,
) -> Result<(), Error> {
    for layer in layers.all() {
        let dir = layer.join("exec.d");
        for path in files(&dir)? {
            run_one(&path, env, app_dir)?;
        }
        if !process_type.is_empty() {
            for path in files(&dir.join(process_type))? {
                run_one(&path, env, app_dir)?;
            }
        }
    }
    Ok(())
}

fn run_one(path: &Path, env: &mut Env, app_dir: &Path) -> Result<(), Error> {
    let vars: Vec<_> = env
        .vars()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let output = cnb_sys::process::run_exec_d(path, &vars, app_dir).map_err(Error::ExecD)?;
    apply_output(path, output, env)
}

/// Sets in `env` what the exec.d executable at `path` wrote to fd 3: UTF-8 TOML, a table of
/// strings. Nothing is set unless all of it parses.
pub fn apply_output(path: &Path, output: Vec<u8>, env: &mut Env) -> Result<(), Error> {
    let text = String::from_utf8(output).map_err(|_| Error::ExecDEncoding {
        path: path.to_owned(),
    })?;
    let ExecDOutput(values) = ExecDOutput::parse(&text, path).map_err(Error::ExecDOutput)?;
    for (name, value) in values {
        env.set(name, value);
    }
    Ok(())
}
