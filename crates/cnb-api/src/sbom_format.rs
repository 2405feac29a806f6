//! SBOM formats (buildpack.md › Bill-of-Materials): a buildpack's SBOM files and the
//! lifecycle's own are named `<prefix>.sbom.<extension>`, and the extension names the media
//! type.

/// A supported SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    /// `CycloneDX` JSON: `*.sbom.cdx.json`.
    CycloneDx,
    /// SPDX JSON: `*.sbom.spdx.json`.
    Spdx,
    /// Syft JSON: `*.sbom.syft.json`.
    Syft,
}

impl SbomFormat {
    /// Every format, in the order files are looked for.
    pub const ALL: [SbomFormat; 3] = [Self::CycloneDx, Self::Spdx, Self::Syft];

    /// The extension after `.sbom.` (`cdx.json`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::CycloneDx => "cdx.json",
            Self::Spdx => "spdx.json",
            Self::Syft => "syft.json",
        }
    }

    /// The media type a buildpack declares in `sbom-formats`.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::CycloneDx => "application/vnd.cyclonedx+json",
            Self::Spdx => "application/spdx+json",
            Self::Syft => "application/vnd.syft+json",
        }
    }

    /// `sbom.<extension>`: what every SBOM file's name ends in, and the whole name of one
    /// copied under `<layers>/sbom`.
    pub fn suffix(self) -> String {
        format!("sbom.{}", self.extension())
    }

    /// `<prefix>.sbom.<extension>`.
    pub fn file_name(self, prefix: &str) -> String {
        format!("{prefix}.{}", self.suffix())
    }

    /// The format of an SBOM file named `<prefix>.sbom.<extension>`.
    pub fn of_file(file_name: &str) -> Option<Self> {
        let (_, extension) = file_name.split_once(".sbom.")?;
        Self::ALL
            .into_iter()
            .find(|format| format.extension() == extension)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_named_by_their_file_extension() {
        assert_eq!(
            SbomFormat::of_file("launch.sbom.cdx.json"),
            Some(SbomFormat::CycloneDx)
        );
        assert_eq!(
            SbomFormat::of_file("my-layer.sbom.spdx.json"),
            Some(SbomFormat::Spdx)
        );
        assert_eq!(
            SbomFormat::of_file("build.sbom.syft.json"),
            Some(SbomFormat::Syft)
        );
        assert_eq!(SbomFormat::of_file("build.sbom.xml"), None);
        assert_eq!(
            SbomFormat::Syft.file_name("launcher"),
            "launcher.sbom.syft.json"
        );
        assert_eq!(SbomFormat::of_file("notes.json"), None);
    }
}
