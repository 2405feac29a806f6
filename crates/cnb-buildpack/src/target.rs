//! The run image's target as buildpacks see it (buildpack.md › Targets; platform.md › Target
//! Data): matched against each module's `[[targets]]` and exported as `CNB_TARGET_*`.

use std::path::Path;

use cnb_api::env as names;
use cnb_files::analyzed::TargetMetadata;
use cnb_files::buildpack::Target;

/// An OS distribution: `$ID` and `$VERSION_ID` of `/etc/os-release`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Distro {
    /// `ID`, e.g. `ubuntu`.
    pub name: String,
    /// `VERSION_ID`, e.g. `22.04`.
    pub version: String,
}

/// The target of the image the app will run on, completed where analyzed.toml left gaps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTarget {
    /// `os`.
    pub os: String,
    /// `arch`.
    pub arch: String,
    /// `arch-variant` (empty when unknown).
    pub arch_variant: String,
    /// The distribution, when known.
    pub distro: Option<Distro>,
}

impl RunTarget {
    /// The run image's target from analyzed.toml (`None` when it records none). A missing OS
    /// is `linux` and a missing architecture the lifecycle's own; a missing distribution is read
    /// from `os_release`, the build container's `/etc/os-release`, when that file has an `ID`
    /// or `VERSION_ID` (the Go lifecycle does the same).
    pub fn resolve(analyzed: Option<&TargetMetadata>, os_release: &Path) -> Self {
        let analyzed = analyzed.cloned().unwrap_or_default();
        let mut target = Self {
            os: non_empty_or(analyzed.os, "linux"),
            arch: non_empty_or(analyzed.arch, host_arch()),
            arch_variant: analyzed.arch_variant.unwrap_or_default(),
            distro: analyzed.distro.map(|distro| Distro {
                name: distro.name,
                version: distro.version,
            }),
        };
        if target.distro.is_none() {
            tracing::info!(
                "target distro name/version labels not found, reading {}",
                os_release.display()
            );
            target.distro = read_os_release(os_release);
        }
        target
    }

    /// Whether a module's `target` is satisfied: `os`, `arch` and `arch-variant` are equal or
    /// empty on either side, and when the module lists distros the image has a distro matching
    /// one of them (again with empty fields matching anything).
    pub fn satisfies(&self, target: &Target) -> bool {
        let field = |ours: &str, theirs: &Option<String>| {
            theirs
                .as_deref()
                .is_none_or(|theirs| ours.is_empty() || theirs.is_empty() || ours == theirs)
        };
        if !field(&self.os, &target.os)
            || !field(&self.arch, &target.arch)
            || !field(&self.arch_variant, &target.arch_variant)
        {
            return false;
        }
        if target.distros.is_empty() {
            return true;
        }
        let Some(distro) = &self.distro else {
            return false;
        };
        target.distros.iter().any(|wanted| {
            field(&distro.name, &wanted.name) && field(&distro.version, &wanted.version)
        })
    }

    /// `CNB_TARGET_OS` and `CNB_TARGET_ARCH`, then `CNB_TARGET_ARCH_VARIANT`,
    /// `CNB_TARGET_DISTRO_NAME` and `CNB_TARGET_DISTRO_VERSION` when not empty.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (names::TARGET_OS, self.os.clone()),
            (names::TARGET_ARCH, self.arch.clone()),
        ];
        let distro = self.distro.clone().unwrap_or_default();
        for (name, value) in [
            (names::TARGET_ARCH_VARIANT, self.arch_variant.clone()),
            (names::TARGET_DISTRO_NAME, distro.name),
            (names::TARGET_DISTRO_VERSION, distro.version),
        ] {
            if !value.is_empty() {
                env.push((name, value));
            }
        }
        env
    }
}

impl std::fmt::Display for RunTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if !self.arch_variant.is_empty() {
            write!(f, "/{}", self.arch_variant)?;
        }
        if let Some(distro) = &self.distro {
            write!(f, " ({} {})", distro.name, distro.version)?;
        }
        Ok(())
    }
}

/// The lifecycle's own architecture in OCI/Go spelling (`amd64`, `arm64`, …).
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        other => other,
    }
}

/// `ID` and `VERSION_ID` of an os-release file's text, unquoted; `None` when it has neither.
pub fn parse_os_release(text: &str) -> Option<Distro> {
    let mut distro = Distro::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        match key.trim() {
            "ID" => value.clone_into(&mut distro.name),
            "VERSION_ID" => value.clone_into(&mut distro.version),
            _ => {}
        }
    }
    (!distro.name.is_empty() || !distro.version.is_empty()).then_some(distro)
}

fn read_os_release(path: &Path) -> Option<Distro> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_os_release(&text),
        Err(error) => {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(
                    "Encountered error trying to read {}: {error}",
                    path.display()
                );
            }
            None
        }
    }
}

fn non_empty_or(value: String, default: &str) -> String {
    if value.is_empty() {
        default.to_owned()
    } else {
        value
    }
}

#[cfg(test)]
mod tests;
