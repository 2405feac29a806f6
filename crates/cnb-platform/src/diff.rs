//! The inputs of `lifecycle diff <image> <image>`, which compares two app images. It is this
//! lifecycle's own command, not a phase of the platform spec: it has no Platform API (and does
//! not require `CNB_PLATFORM_API`), and takes the registry inputs every connected phase takes
//! (`-insecure-registry` / `CNB_INSECURE_REGISTRIES`, `CNB_REGISTRY_TIMEOUT`;
//! `CNB_REGISTRY_AUTH` and the Docker config through [`DiffInputs::environ`]) plus how much it
//! prints.

use std::ffi::OsString;
use std::time::Duration;

use cnb_api::env;

use crate::flag_table::FLAGS;
use crate::resolve::Resolver;
use crate::values::parse_int;
use crate::{EnvSource, Error, FlagDef, FlagKind, FlagValues, LogLevel};

/// The most differing layers compared file by file, unless `-max-layers` says otherwise.
pub const DEFAULT_MAX_LAYERS: usize = 3;
/// The most lines printed per section (the config, each label, each layer), unless
/// `-max-lines` says otherwise.
pub const DEFAULT_MAX_LINES: usize = 10;

const MAX_LAYERS: FlagDef = FlagDef {
    name: "max-layers",
    kind: FlagKind::Int,
    usage: "how many differing layers to compare file by file",
};
const MAX_LINES: FlagDef = FlagDef {
    name: "max-lines",
    kind: FlagKind::Int,
    usage: "how many differences to print per section (config, each label, each layer)",
};

/// The flags of `lifecycle diff`: the phases' `-insecure-registry`, `-log-level`, `-no-color`
/// and `-version`, and its own `-max-layers` and `-max-lines`.
pub fn diff_flags() -> Vec<FlagDef> {
    let mut flags: Vec<FlagDef> = FLAGS
        .iter()
        .filter(|def| {
            matches!(
                def.name,
                "insecure-registry" | "log-level" | "no-color" | "version"
            )
        })
        .copied()
        .collect();
    flags.extend([MAX_LAYERS, MAX_LINES]);
    flags.sort_by_key(|def| def.name);
    flags
}

/// `lifecycle diff`'s inputs, resolved (flag > env > default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffInputs {
    /// The two images, as given: registry references or `oci:` layout paths.
    pub images: [String; 2],
    /// `-insecure-registry` values and `CNB_INSECURE_REGISTRIES` items.
    pub insecure_registries: Vec<String>,
    /// `CNB_REGISTRY_TIMEOUT`, as for the phases.
    pub registry_timeout: Option<Duration>,
    /// `-log-level`.
    pub log_level: LogLevel,
    /// `-no-color`.
    pub no_color: bool,
    /// `-max-layers`.
    pub max_layers: usize,
    /// `-max-lines`.
    pub max_lines: usize,
    /// The whole environment, for the registry keychain.
    pub environ: Vec<(OsString, OsString)>,
}

/// Resolves `lifecycle diff`'s inputs from parsed `flags` and the environment.
pub fn resolve_diff(flags: &FlagValues, env_source: &dyn EnvSource) -> Result<DiffInputs, Error> {
    let r = Resolver::without_paths(flags, env_source);
    let images = match flags.positionals() {
        [first, second] => [first.clone(), second.clone()],
        other => return Err(Error::ExpectedTwoImages { got: other.len() }),
    };
    let log_text = r
        .raw("log-level", Some(env::LOG_LEVEL))
        .unwrap_or_else(|| "info".to_owned());
    let log_level = LogLevel::parse(&log_text).ok_or(Error::LogLevel(log_text))?;
    let count = |def: &FlagDef, default: usize| match flags.last(def.name) {
        None => Ok(default),
        Some(text) => parse_int(text)
            .and_then(|value| usize::try_from(value).ok())
            .ok_or_else(|| Error::NotACount {
                flag: def.name,
                value: text.to_owned(),
            }),
    };
    Ok(DiffInputs {
        images,
        insecure_registries: r.list("insecure-registry", Some(env::INSECURE_REGISTRIES)),
        registry_timeout: crate::resolve::registry_timeout(env_source)?,
        log_level,
        no_color: r.bool("no-color", &[env::NO_COLOR]),
        max_layers: count(&MAX_LAYERS, DEFAULT_MAX_LAYERS)?,
        max_lines: count(&MAX_LINES, DEFAULT_MAX_LINES)?,
        environ: env_source.environ(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(
        args: &[(&'static str, &str)],
        images: &[&str],
        env: &[(&str, &str)],
    ) -> Result<DiffInputs, Error> {
        let mut flags = FlagValues::default();
        for (name, value) in args {
            flags.push(name, (*value).to_owned());
        }
        flags.set_positionals(images.iter().map(|image| (*image).to_owned()).collect());
        resolve_diff(&flags, &env)
    }

    #[test]
    fn two_images_and_the_registry_inputs_of_the_phases() {
        let inputs = resolved(
            &[("insecure-registry", "b:5000"), ("max-lines", "4")],
            &["a/app:1", "oci:/x"],
            &[
                ("CNB_INSECURE_REGISTRIES", "a:5000,b:5000"),
                ("CNB_LOG_LEVEL", "debug"),
            ],
        )
        .unwrap();
        assert_eq!(inputs.images, ["a/app:1".to_owned(), "oci:/x".to_owned()]);
        assert_eq!(inputs.insecure_registries, ["a:5000", "b:5000"]);
        assert_eq!(inputs.log_level, LogLevel::Debug);
        assert_eq!(
            (inputs.max_layers, inputs.max_lines),
            (DEFAULT_MAX_LAYERS, 4)
        );
        assert!(!inputs.no_color);
    }

    #[test]
    fn anything_but_two_images_or_a_negative_count_is_refused() {
        for images in [&[][..], &["a"][..], &["a", "b", "c"][..]] {
            let err = resolved(&[], images, &[]).unwrap_err();
            assert_eq!(err, Error::ExpectedTwoImages { got: images.len() });
            assert_eq!(err.kind(), cnb_api::ExitKind::InvalidArgs);
        }
        let err = resolved(&[("max-layers", "-1")], &["a", "b"], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "-max-layers must be a count (0 or more), not \"-1\""
        );
    }

    #[test]
    fn the_flags_are_the_phases_registry_and_logging_flags_and_two_of_its_own() {
        let names: Vec<&str> = diff_flags().iter().map(|def| def.name).collect();
        assert_eq!(
            names,
            [
                "insecure-registry",
                "log-level",
                "max-layers",
                "max-lines",
                "no-color",
                "version"
            ]
        );
    }
}
