//! A phase's command line and environment, through `cnb_cli::invocation`: the Platform API
//! check, the Go `flag` parser and input resolution, as `lifecycle_main` runs them.
//!
//! Input: a phase byte, an API byte (one of the supported Platform APIs, or none set), then
//! arguments separated by NUL, an empty argument (two NULs), and `NAME=value` environment
//! entries separated by NUL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cnb_api::{ExitKind, PLATFORM_APIS, Phase, env};
use cnb_cli::{Failure, Invocation, invocation};
use cnb_platform::Inputs;

const CWD: &str = "/fuzz/cwd";

pub(crate) fn command_line(data: &[u8]) {
    let [phase, api, rest @ ..] = data else {
        return;
    };
    let phase = Phase::ALL[usize::from(*phase) % Phase::ALL.len()];
    let mut environment = HashMap::new();
    if let Some(api) = PLATFORM_APIS.get(usize::from(*api) % (PLATFORM_APIS.len() + 1)) {
        environment.insert(env::PLATFORM_API.to_owned(), api.to_string());
    }
    let (args, vars) = split_once(rest, b"\0\0").unwrap_or((rest, &[]));
    let args: Vec<String> = if args.is_empty() {
        Vec::new()
    } else {
        args.split(|&byte| byte == 0)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect()
    };
    for var in vars.split(|&byte| byte == 0) {
        let var = String::from_utf8_lossy(var);
        if let Some((name, value)) = var.split_once('=') {
            environment.insert(name.to_owned(), value.to_owned());
        }
    }
    match invocation(phase, &args, &environment, || Ok(PathBuf::from(CWD))) {
        Ok(Invocation::Help(usage)) => assert!(!usage.is_empty(), "an empty usage text"),
        Ok(Invocation::Version) => {}
        Ok(Invocation::BadFlags(usage, failure)) => {
            assert!(!usage.is_empty(), "an empty usage text");
            assert_eq!(failure.kind, ExitKind::Usage, "{failure:?}");
            one_line(&failure);
        }
        Ok(Invocation::Run(inputs)) => resolved(&inputs),
        Err(failure) => one_line(&failure),
    }
}

fn one_line(failure: &Failure) {
    assert!(
        !failure.message.contains(['\n', '\r']),
        "an error is more than one line: {:?}",
        failure.message
    );
    assert!(!failure.message.is_empty(), "an empty error: {failure:?}");
}

/// Every path an input names is absolute (relative ones are taken against the working
/// directory), and every warning is one line.
fn resolved(inputs: &Inputs) {
    let paths: [(&str, &Path); 22] = [
        ("app", &inputs.app_dir),
        ("layers", &inputs.layers_dir),
        ("platform", &inputs.platform_dir),
        ("buildpacks", &inputs.buildpacks_dir),
        ("extensions", &inputs.extensions_dir),
        ("build-config", &inputs.build_config_dir),
        ("generated", &inputs.generated_dir),
        ("extended", &inputs.extended_dir),
        ("analyzed", &inputs.analyzed_path),
        ("group", &inputs.group_path),
        ("plan", &inputs.plan_path),
        ("order", &inputs.order_path),
        ("system", &inputs.system_path),
        ("run", &inputs.run_path),
        ("stack", &inputs.stack_path),
        ("report", &inputs.report_path),
        ("project-metadata", &inputs.project_metadata_path),
        ("launcher", &inputs.launcher_path),
        ("launcher-sbom", &inputs.launcher_sbom_dir),
        (
            "cache-dir",
            inputs.cache_dir.as_deref().unwrap_or(Path::new("/")),
        ),
        (
            "launch-cache",
            inputs.launch_cache_dir.as_deref().unwrap_or(Path::new("/")),
        ),
        (
            "layout-dir",
            inputs.layout_dir.as_deref().unwrap_or(Path::new("/")),
        ),
    ];
    for (flag, path) in paths {
        assert!(
            path.is_absolute(),
            "-{flag} resolved to a relative path: {}",
            path.display()
        );
    }
    for warning in &inputs.warnings {
        assert!(
            !warning.contains(['\n', '\r']),
            "a warning is more than one line: {warning:?}"
        );
    }
}

fn split_once<'a>(data: &'a [u8], separator: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = data
        .windows(separator.len())
        .position(|window| window == separator)?;
    Some((&data[..at], &data[at + separator.len()..]))
}
