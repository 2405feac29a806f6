//! The run image's target (platform.md › Target Data): OS, architecture and variant from its
//! config, the distribution and target ID from its `io.buildpacks.base.*` labels.

use cnb_files::analyzed::{OsDistro, TargetMetadata};
use cnb_image::ImageConfig;

/// `io.buildpacks.base.id`.
const TARGET_ID: &str = "io.buildpacks.base.id";
/// `io.buildpacks.base.distro.name`.
const DISTRO_NAME: &str = "io.buildpacks.base.distro.name";
/// `io.buildpacks.base.distro.version`.
const DISTRO_VERSION: &str = "io.buildpacks.base.distro.version";

/// The target an image config describes. The distro is set when either distro label is.
pub fn target_metadata(config: &ImageConfig) -> TargetMetadata {
    let name = config.label(DISTRO_NAME);
    let version = config.label(DISTRO_VERSION);
    let distro = (name.is_some() || version.is_some()).then(|| OsDistro {
        name: name.unwrap_or_default().to_owned(),
        version: version.unwrap_or_default().to_owned(),
    });
    TargetMetadata {
        id: config.label(TARGET_ID).map(str::to_owned),
        os: config.os.clone(),
        arch: config.architecture.clone(),
        arch_variant: config.variant.clone().filter(|variant| !variant.is_empty()),
        distro,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_config_and_labels() {
        let mut config = ImageConfig {
            os: "linux".to_owned(),
            architecture: "arm64".to_owned(),
            variant: Some("v8".to_owned()),
            ..ImageConfig::default()
        };
        config.set_label(DISTRO_NAME, "ubuntu");
        config.set_label(TARGET_ID, "my-target");
        let target = target_metadata(&config);
        assert_eq!(target.os, "linux");
        assert_eq!(target.arch, "arm64");
        assert_eq!(target.arch_variant.as_deref(), Some("v8"));
        assert_eq!(target.id.as_deref(), Some("my-target"));
        let distro = target.distro.unwrap();
        assert_eq!(
            (distro.name.as_str(), distro.version.as_str()),
            ("ubuntu", "")
        );
    }

    #[test]
    fn no_distro_labels_means_no_distro() {
        let config = ImageConfig {
            os: "linux".to_owned(),
            architecture: "amd64".to_owned(),
            ..ImageConfig::default()
        };
        let target = target_metadata(&config);
        assert_eq!(target.distro, None);
        assert_eq!(target.arch_variant, None);
        assert_eq!(target.id, None);
    }
}
