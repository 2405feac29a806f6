//! `cnb-package`: writes the lifecycle's release artifacts (see the library docs and
//! `make package`). Prints what it wrote, one line each; errors are one line on stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cnb_package::{BuilderInputs, InstalledLifecycle, builder, lifecycle_image, publish, tgz};

const USAGE: &str = "\
usage:
  cnb-package tgz --lifecycle <install-dir> --out <dir>
  cnb-package lifecycle-image --lifecycle <install-dir>... [--ca-bundle <pem>] --layout <dir> [--tag <tag>] [--publish <ref>]
  cnb-package builder --lifecycle <install-dir> --base <layout> --buildpack <dir>... [--extension <dir>]...
                      --order <file> --run-image <ref> [--run-image-mirror <ref>]... --layout <dir> [--tag <tag>] [--publish <ref>]
<install-dir> is the DESTDIR of `make install` (it holds cnb/lifecycle and cnb/lifecycle.toml);
the lifecycle image is an index over one image per --lifecycle (one per architecture).";

/// Options that may be given more than once.
const REPEATABLE: &[&str] = &["buildpack", "extension", "run-image-mirror", "lifecycle"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        return usage("no command given");
    };
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        let _ = writeln!(std::io::stdout(), "{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(rest) {
        Ok(options) => options,
        Err(message) => return usage(&message),
    };
    let result = match command.as_str() {
        "tgz" => run_tgz(&options),
        "lifecycle-image" => run_lifecycle_image(&options),
        "builder" => run_builder(&options),
        other => return usage(&format!("unknown command {other:?}")),
    };
    match result {
        Ok(lines) => {
            let mut stdout = std::io::stdout();
            for line in lines {
                let _ = writeln!(stdout, "{line}");
            }
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(message)) => usage(&message),
        Err(Failure::Package(error)) => {
            let _ = writeln!(std::io::stderr(), "ERROR: {}", cnb_api::one_line(&error));
            ExitCode::FAILURE
        }
    }
}

fn usage(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "ERROR: {message}\n{USAGE}");
    ExitCode::from(2)
}

enum Failure {
    Usage(String),
    Package(cnb_package::Error),
}

impl From<cnb_package::Error> for Failure {
    fn from(error: cnb_package::Error) -> Self {
        Self::Package(error)
    }
}

/// `--name value` pairs; repeatable ones collect every value.
struct Options(BTreeMap<String, Vec<String>>);

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument {arg:?}"))?;
            let (name, value) = if let Some((name, value)) = name.split_once('=') {
                (name.to_owned(), value.to_owned())
            } else {
                let value = args
                    .next()
                    .ok_or_else(|| format!("--{name} needs a value"))?;
                (name.to_owned(), value.clone())
            };
            let entry = values.entry(name.clone()).or_default();
            if !entry.is_empty() && !REPEATABLE.contains(&name.as_str()) {
                return Err(format!("--{name} given twice"));
            }
            entry.push(value);
        }
        Ok(Self(values))
    }

    fn optional(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<&str, Failure> {
        self.optional(name)
            .ok_or_else(|| Failure::Usage(format!("--{name} is required")))
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.get(name).cloned().unwrap_or_default()
    }

    fn only(&self, allowed: &[&str]) -> Result<(), Failure> {
        match self.0.keys().find(|name| !allowed.contains(&name.as_str())) {
            Some(name) => Err(Failure::Usage(format!("unknown option --{name}"))),
            None => Ok(()),
        }
    }
}

fn run_tgz(options: &Options) -> Result<Vec<String>, Failure> {
    options.only(&["lifecycle", "out"])?;
    if options.all("lifecycle").len() > 1 {
        return Err(Failure::Usage("--lifecycle given twice".to_owned()));
    }
    let lifecycle = InstalledLifecycle::open(options.required("lifecycle")?.as_ref())?;
    let path = tgz::write(&lifecycle, options.required("out")?.as_ref())?;
    Ok(vec![path.display().to_string()])
}

fn run_lifecycle_image(options: &Options) -> Result<Vec<String>, Failure> {
    options.only(&["lifecycle", "ca-bundle", "layout", "tag", "publish"])?;
    options.required("lifecycle")?;
    let lifecycles = options
        .all("lifecycle")
        .iter()
        .map(|dir| InstalledLifecycle::open(dir.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let layout = PathBuf::from(options.required("layout")?);
    let version = lifecycles[0].version().to_owned();
    let tag = options.optional("tag").unwrap_or(&version);
    let ca_bundle = options.optional("ca-bundle").map(Path::new);
    let written = lifecycle_image::write(&lifecycles, ca_bundle, &layout, tag)?;
    let mut lines = vec![format!("oci:{}:{tag} {}", layout.display(), written.index)];
    for (platform, digest) in &written.images {
        let platform_tag = lifecycle_image::platform_tag(tag, *platform);
        lines.push(format!("oci:{}:{platform_tag} {digest}", layout.display()));
    }
    lines.extend(publish_if_asked(options, &layout, tag)?);
    Ok(lines)
}

fn run_builder(options: &Options) -> Result<Vec<String>, Failure> {
    options.only(&[
        "lifecycle",
        "base",
        "buildpack",
        "extension",
        "order",
        "run-image",
        "run-image-mirror",
        "layout",
        "tag",
        "publish",
    ])?;
    if options.all("lifecycle").len() > 1 {
        return Err(Failure::Usage("--lifecycle given twice".to_owned()));
    }
    let inputs = BuilderInputs {
        lifecycle: options.required("lifecycle")?.into(),
        base: options.required("base")?.into(),
        buildpacks: options
            .all("buildpack")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        extensions: options
            .all("extension")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        order: options.required("order")?.into(),
        run_image: options.required("run-image")?.to_owned(),
        run_image_mirrors: options.all("run-image-mirror"),
    };
    let layout = PathBuf::from(options.required("layout")?);
    let tag = options.optional("tag").unwrap_or("latest");
    let digest = builder::write(&inputs, &layout, tag)?;
    let mut lines = vec![format!("oci:{}:{tag} {digest}", layout.display())];
    lines.extend(publish_if_asked(options, &layout, tag)?);
    Ok(lines)
}

fn publish_if_asked(
    options: &Options,
    layout: &std::path::Path,
    tag: &str,
) -> Result<Option<String>, Failure> {
    let Some(target) = options.optional("publish") else {
        return Ok(None);
    };
    let store = publish::registry_store(target)?;
    let digest = publish::publish(layout, tag, &store, target)?;
    Ok(Some(format!("{target} {digest}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        Options::parse(&args)
    }

    #[test]
    fn takes_values_after_a_space_or_an_equals_sign_and_repeats_buildpacks() {
        let options = parse(&["--buildpack", "a", "--buildpack=b", "--tag", "t"]).unwrap();
        assert_eq!(options.all("buildpack"), ["a", "b"]);
        assert_eq!(options.optional("tag"), Some("t"));
        assert!(options.only(&["buildpack", "tag"]).is_ok());
        assert!(
            matches!(options.only(&["tag"]), Err(Failure::Usage(m)) if m == "unknown option --buildpack")
        );
    }

    #[test]
    fn refuses_positionals_missing_values_and_repeated_single_options() {
        assert_eq!(parse(&["x"]).err().unwrap(), "unexpected argument \"x\"");
        assert_eq!(parse(&["--tag"]).err().unwrap(), "--tag needs a value");
        assert_eq!(
            parse(&["--tag", "a", "--tag", "b"]).err().unwrap(),
            "--tag given twice"
        );
    }
}
