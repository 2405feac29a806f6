//! The API versions this lifecycle implements, and the checks every phase runs first.

use crate::{BuildpackApi, PlatformApi, Version};

/// Platform API versions implemented here, oldest first (Platform API 0.7 to 0.15).
pub const PLATFORM_APIS: &[Version] = &[
    Version::new(0, 7),
    Version::new(0, 8),
    Version::new(0, 9),
    Version::new(0, 10),
    Version::new(0, 11),
    Version::new(0, 12),
    Version::new(0, 13),
    Version::new(0, 14),
    Version::new(0, 15),
];

/// Buildpack API versions implemented here, oldest first (Buildpack API 0.7 to 0.12).
pub const BUILDPACK_APIS: &[Version] = &[
    Version::new(0, 7),
    Version::new(0, 8),
    Version::new(0, 9),
    Version::new(0, 10),
    Version::new(0, 11),
    Version::new(0, 12),
];

/// A requested API version this lifecycle cannot serve. The message names the supported range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsupportedApi {
    /// `CNB_PLATFORM_API` is unset or blank.
    #[error(
        "please set 'CNB_PLATFORM_API' to the desired platform API version (supported: {})",
        range(PLATFORM_APIS)
    )]
    PlatformUnset,
    /// `CNB_PLATFORM_API` does not parse as a version.
    #[error("cannot parse platform API '{0}' (supported: {range})", range = range(PLATFORM_APIS))]
    PlatformMalformed(String),
    /// A well-formed Platform API version outside the supported range.
    #[error(
        "platform API version '{0}' is incompatible with the lifecycle (supported: {range})",
        range = range(PLATFORM_APIS)
    )]
    PlatformUnsupported(String),
    /// A buildpack or extension declares an API that does not parse.
    #[error("cannot parse buildpack API '{api}' for {module} (supported: {range})", range = range(BUILDPACK_APIS))]
    BuildpackMalformed {
        /// `id@version` of the buildpack or extension.
        module: String,
        /// What it declared.
        api: String,
    },
    /// A buildpack or extension declares an API outside the supported range.
    #[error(
        "buildpack API version '{api}' of {module} is incompatible with the lifecycle (supported: {range})",
        range = range(BUILDPACK_APIS)
    )]
    BuildpackUnsupported {
        /// `id@version` of the buildpack or extension.
        module: String,
        /// What it declared.
        api: String,
    },
}

impl UnsupportedApi {
    /// The exit code the spec gives this failure: 11 for the platform, 12 for a buildpack.
    pub fn kind(&self) -> crate::ExitKind {
        match self {
            Self::PlatformUnset | Self::PlatformMalformed(_) | Self::PlatformUnsupported(_) => {
                crate::ExitKind::IncompatiblePlatformApi
            }
            Self::BuildpackMalformed { .. } | Self::BuildpackUnsupported { .. } => {
                crate::ExitKind::IncompatibleBuildpackApi
            }
        }
    }
}

fn range(versions: &[Version]) -> String {
    match (versions.first(), versions.last()) {
        (Some(first), Some(last)) => format!("{first} to {last}"),
        _ => String::new(),
    }
}

fn supported(list: &[Version], requested: Version) -> bool {
    list.iter().any(|have| have.serves(requested))
}

/// Checks the value of `CNB_PLATFORM_API` (`None` when unset). Unset, blank, malformed and
/// unsupported values all fail: the spec's exit code for every one of them is 11.
pub fn check_platform_api(value: Option<&str>) -> Result<PlatformApi, UnsupportedApi> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        return Err(UnsupportedApi::PlatformUnset);
    }
    let version: Version = text
        .parse()
        .map_err(|_| UnsupportedApi::PlatformMalformed(text.to_owned()))?;
    if supported(PLATFORM_APIS, version) {
        Ok(PlatformApi(version))
    } else {
        Err(UnsupportedApi::PlatformUnsupported(text.to_owned()))
    }
}

/// Checks the `api` a buildpack or extension declares; `module` (`id@version`) names it in the
/// error. The spec's exit code for a failure is 12.
pub fn check_buildpack_api(module: &str, api: &str) -> Result<BuildpackApi, UnsupportedApi> {
    let version: Version = api
        .parse()
        .map_err(|_| UnsupportedApi::BuildpackMalformed {
            module: module.to_owned(),
            api: api.to_owned(),
        })?;
    if supported(BUILDPACK_APIS, version) {
        Ok(BuildpackApi(version))
    } else {
        Err(UnsupportedApi::BuildpackUnsupported {
            module: module.to_owned(),
            api: api.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExitKind;

    #[test]
    fn accepts_every_supported_platform_api() {
        for minor in 7..=15 {
            let text = format!("0.{minor}");
            let api = check_platform_api(Some(&text)).unwrap();
            assert_eq!(api.version(), Version::new(0, minor));
        }
        assert_eq!(
            check_platform_api(Some("v0.12")).unwrap().version(),
            Version::new(0, 12)
        );
    }

    #[test]
    fn refuses_unset_blank_malformed_and_unsupported_platform_apis() {
        for value in [
            None,
            Some(""),
            Some("  "),
            Some("garbage"),
            Some("0.3"),
            Some("0.4"),
            Some("0.6"),
            Some("0.16"),
            Some("1.0"),
            Some("1"),
        ] {
            let err = check_platform_api(value).unwrap_err();
            assert_eq!(err.kind(), ExitKind::IncompatiblePlatformApi, "{value:?}");
            assert!(err.to_string().contains("0.7 to 0.15"), "{err}");
        }
    }

    #[test]
    fn checks_buildpack_apis() {
        assert!(check_buildpack_api("a@1", "0.7").is_ok());
        assert!(check_buildpack_api("a@1", "0.12").is_ok());
        for api in ["0.6", "0.13", "0.1", "0.2wrongapiblabla", ""] {
            let err = check_buildpack_api("a@1", api).unwrap_err();
            assert_eq!(err.kind(), ExitKind::IncompatibleBuildpackApi);
            assert!(err.to_string().contains("a@1"), "{err}");
        }
    }
}
