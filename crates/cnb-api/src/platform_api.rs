//! The Platform API version a platform requested, with the capabilities it switches on named
//! as predicates. Code asks `api.uses_run_toml()`, never `api >= 0.12`.

use std::fmt;

use crate::Version;

/// A supported Platform API version; only [`crate::check_platform_api`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlatformApi(pub(crate) Version);

macro_rules! since {
    ($($(#[$doc:meta])* $name:ident => ($major:literal, $minor:literal);)*) => {
        impl PlatformApi {
            $(
                $(#[$doc])*
                pub fn $name(self) -> bool {
                    self.0 >= Version::new($major, $minor)
                }
            )*
        }
    };
}

since! {
    /// P0.8: the analyzer restores the previous image's SBOM layer.
    restores_sbom_layer => (0, 8);
    /// P0.8: the builder copies buildpacks' SBOM files (`*.sbom.<ext>`) under `<layers>/sbom`.
    copies_sbom_files => (0, 8);
    /// P0.8: the exporter ships `<layers>/sbom/launch` as the SBOM layer and caches
    /// `<layers>/sbom/cache`.
    exports_sbom_layers => (0, 8);
    /// P0.9: `SOURCE_DATE_EPOCH` sets the image's `created` time.
    honours_source_date_epoch => (0, 9);
    /// P0.9: the legacy `[[bom]]` goes to `<layers>/sbom/{launch,build}/sbom.legacy.json`
    /// instead of `metadata.toml` and `report.toml`.
    moves_legacy_bom_to_sbom => (0, 9);
    /// P0.10: process commands are arrays and user args override process args.
    has_command_arrays => (0, 10);
    /// P0.11: the exporter copies the lifecycle's and launcher's own SBOM files under
    /// `<layers>/sbom`.
    copies_lifecycle_sboms => (0, 11);
    /// P0.12: the exporter keeps the image history, one `created_by` entry per layer.
    records_layer_history => (0, 12);
    /// P0.10: image extensions: the detector runs `[[order-extensions]]` and their
    /// `bin/generate`, the restorer saves `-build-image` for the extender.
    has_image_extensions => (0, 10);
    /// P0.12: extensions may extend the run image: the restorer saves it for the extender and
    /// the exporter puts the extended layers (`-extended`) on top of it.
    extends_run_image => (0, 12);
    /// P0.10: the creator still restores `store.toml` under `-skip-restore`.
    restores_store_when_skipping => (0, 10);
    /// P0.12: the run image comes from `run.toml` (`-run`), not `stack.toml` (`-stack`), and
    /// target data replaces stacks.
    uses_run_toml => (0, 12);
    /// P0.12: the detector checks buildpack `[[targets]]` against the run image's target.
    checks_targets => (0, 12);
    /// P0.12: rebasing an app image built at this version checks `io.buildpacks.rebasable` and
    /// the target (os, arch, variant, distro) instead of the stack id and mixins.
    rebase_checks_targets => (0, 12);
    /// P0.12: the rebaser records the new run image by name in the label's `runImage`
    /// (refusing a name not listed there without `-force`) and syncs `io.buildpacks.base.*`
    /// labels besides `io.buildpacks.stack.*`.
    rebase_tracks_run_image_name => (0, 12);
    /// P0.13: image extensions are no longer experimental.
    extensions_are_stable => (0, 13);
    /// P0.13: a new cache image leaves the one it replaces in the registry; below, the
    /// replaced manifest is deleted (Go's `deletionEnabled`), so stale caches do not pile up.
    keeps_replaced_cache_image => (0, 13);
    /// P0.13: `<generated>/<extension>/{build,run}.Dockerfile` with `extend-config.toml` and
    /// the build contexts beside them (before: `<generated>/<kind>/<extension>/Dockerfile`,
    /// built in the app directory).
    keeps_generated_per_extension => (0, 13);
    /// P0.14: the restorer re-checks that the analyzed run image is readable.
    restorer_checks_run_image => (0, 14);
    /// P0.14: the restorer brings back launch=true cache=true layer metadata from the cache
    /// even when the previous image does not list the layer.
    restores_launch_cache_layers_from_cache => (0, 14);
    /// P0.15: system buildpacks (`system.toml`) and execution environments (`CNB_EXEC_ENV`).
    has_system_buildpacks => (0, 15);
    /// P0.15: the launcher runs only processes eligible for `CNB_EXEC_ENV` (their `exec-env`
    /// is absent, holds it, or holds `*`).
    has_exec_env => (0, 15);
}

impl PlatformApi {
    /// The version itself.
    pub fn version(self) -> Version {
        self.0
    }

    /// The newest version this lifecycle implements.
    pub fn latest() -> Self {
        Self(*crate::PLATFORM_APIS.last().unwrap_or(&Version::new(0, 15)))
    }

    /// The Platform API an image records in its `CNB_PLATFORM_API` (the one the lifecycle
    /// that built it ran at), supported by this lifecycle or not: only for asking its
    /// predicates about that image.
    pub fn recorded(version: Version) -> Self {
        Self(version)
    }

    /// Whether this version is at least `version` (for tables keyed by version, such as the flag
    /// table; behaviour switches use the named predicates).
    pub fn at_least(self, version: Version) -> bool {
        self.0 >= version
    }
}

impl fmt::Display for PlatformApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use crate::check_platform_api;

    #[test]
    fn launcher_predicates_switch_on_at_their_versions() {
        let api = |text| check_platform_api(Some(text)).unwrap();
        assert!(!api("0.9").has_command_arrays());
        assert!(!api("0.7").copies_sbom_files());
        assert!(api("0.8").copies_sbom_files());
        assert!(!api("0.8").moves_legacy_bom_to_sbom());
        assert!(api("0.9").moves_legacy_bom_to_sbom());
        assert!(api("0.10").has_command_arrays());
        assert!(!api("0.9").has_image_extensions());
        assert!(api("0.10").has_image_extensions());
        assert!(!api("0.11").extends_run_image());
        assert!(api("0.12").extends_run_image());
        assert!(!api("0.12").extensions_are_stable());
        assert!(api("0.13").extensions_are_stable());
        assert!(!api("0.14").has_exec_env());
        assert!(api("0.15").has_exec_env());
    }

    #[test]
    fn rebase_predicates_switch_on_at_0_12_also_for_recorded_versions() {
        use super::PlatformApi;
        use crate::Version;
        let recorded = |minor| PlatformApi::recorded(Version::new(0, minor));
        assert!(!recorded(3).rebase_checks_targets());
        assert!(!recorded(11).rebase_checks_targets());
        assert!(recorded(12).rebase_checks_targets());
        assert!(recorded(99).rebase_checks_targets());
        let api = |text| check_platform_api(Some(text)).unwrap();
        assert!(!api("0.11").rebase_tracks_run_image_name());
        assert!(api("0.12").rebase_tracks_run_image_name());
    }
}
