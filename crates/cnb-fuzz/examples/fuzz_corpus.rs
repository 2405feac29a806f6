//! `fuzz_corpus <dir> [<target>…]`: lays out `<dir>/<target>/` with each target's starting
//! inputs (its kept inputs in `testdata/fuzz/<target>/` and its seeds; files already there are
//! kept) and prints the targets' names, one a line. `make fuzz` runs cargo-fuzz on them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(names) => {
            let _ = std::io::stdout().write_all(names.as_bytes());
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, names) = args
        .split_first()
        .ok_or("usage: fuzz_corpus <dir> [<target>…]")?;
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let targets = if names.is_empty() {
        cnb_fuzz::TARGETS.iter().collect()
    } else {
        names
            .iter()
            .map(|name| cnb_fuzz::target(name).ok_or(format!("no fuzz target is called {name}")))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut printed = String::new();
    for target in targets {
        let corpus = PathBuf::from(dir).join(target.name);
        lay_out(&corpus, &target.inputs(&testdata))
            .map_err(|error| format!("{}: {error}", corpus.display()))?;
        printed.push_str(target.name);
        printed.push('\n');
    }
    Ok(printed)
}

fn lay_out(corpus: &Path, inputs: &[PathBuf]) -> std::io::Result<()> {
    std::fs::create_dir_all(corpus)?;
    for input in inputs {
        let name = input.file_name().unwrap_or_default().to_string_lossy();
        let copy = corpus.join(format!("kept-{name}"));
        if !copy.exists() {
            std::fs::copy(input, copy)?;
        }
    }
    Ok(())
}
