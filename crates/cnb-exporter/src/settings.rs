//! The app image's runtime config: labels, environment, working dir, entrypoint and the
//! `created` time (platform.md › exporter; Go's values, spec-matrix.md §4).

use std::path::Path;

use cnb_api::PlatformApi;
use cnb_api::env::{APP_DIR, DEPRECATION_MODE, LAYERS_DIR, PLATFORM_API};
use cnb_files::JsonLabel;
use cnb_files::labels::{
    BuildMetadataLabel, LauncherMetadata, LifecycleMetadata, ProjectMetadataLabel,
};
use cnb_files::metadata::BuildMetadata;
use cnb_files::project_metadata::ProjectMetadata;
use cnb_image::ImageConfig;

use crate::{Error, Result};

/// `io.buildpacks.exec-env`.
pub const EXEC_ENV_LABEL: &str = "io.buildpacks.exec-env";
/// The launcher inside the image.
const LAUNCHER: &str = "/cnb/lifecycle/launcher";
/// `created` without `SOURCE_DATE_EPOCH`: the normalised time of every layer entry.
pub const DEFAULT_CREATED: &str = "1980-01-01T00:00:01Z";

/// The entrypoint: `/cnb/process/<type>` for `process_type` (which must exist) or the
/// buildpacks' default, else the launcher.
pub(crate) fn entrypoint(build: &BuildMetadata, process_type: Option<&str>) -> Result<String> {
    if let Some(wanted) = process_type.filter(|wanted| !wanted.is_empty()) {
        if !build
            .processes
            .iter()
            .any(|process| process.r#type == wanted)
        {
            return Err(Error::UnknownProcessType(wanted.to_owned()));
        }
        tracing::info!("Setting default process type '{wanted}'");
        return Ok(format!("/cnb/process/{wanted}"));
    }
    match build.buildpack_default_process_type.as_deref() {
        Some(default) if !default.is_empty() => {
            tracing::info!("Setting default process type '{default}'");
            Ok(format!("/cnb/process/{default}"))
        }
        _ => {
            tracing::info!("no default process type");
            Ok(LAUNCHER.to_owned())
        }
    }
}

/// The labels, in Go's order (later ones overwrite earlier keys): lifecycle, build and
/// project metadata, the buildpacks' labels, then the execution environment.
pub(crate) struct Labels<'a> {
    pub(crate) lifecycle: &'a LifecycleMetadata,
    pub(crate) build: &'a BuildMetadata,
    pub(crate) launcher: LauncherMetadata,
    pub(crate) project: &'a ProjectMetadata,
    pub(crate) exec_env: &'a str,
}

impl Labels<'_> {
    pub(crate) fn apply(self, config: &mut ImageConfig, api: PlatformApi) -> Result<()> {
        let encode = |label: &'static str| {
            move |source| Error::EncodeLabel {
                label,
                source: Box::new(source),
            }
        };
        let lifecycle = self
            .lifecycle
            .to_label()
            .map_err(encode(LifecycleMetadata::LABEL))?;
        set_label(config, LifecycleMetadata::LABEL, &lifecycle);
        let mut build = BuildMetadataLabel::from_build_metadata(self.build, self.launcher);
        if !api.moves_legacy_bom_to_sbom() && build.bom.is_none() {
            // Before Platform API 0.9 Go writes the legacy `bom`, even when empty.
            build.bom = Some(serde_json::Value::Array(Vec::new()));
        }
        let build = build
            .to_label()
            .map_err(encode(BuildMetadataLabel::LABEL))?;
        set_label(config, BuildMetadataLabel::LABEL, &build);
        let project = ProjectMetadataLabel::from(self.project)
            .to_label()
            .map_err(encode(ProjectMetadataLabel::LABEL))?;
        set_label(config, ProjectMetadataLabel::LABEL, &project);
        for label in &self.build.labels {
            set_label(config, &label.key, &label.value);
        }
        if api.has_exec_env() && !self.exec_env.is_empty() {
            set_label(config, EXEC_ENV_LABEL, self.exec_env);
        }
        Ok(())
    }
}

fn set_label(config: &mut ImageConfig, key: &str, value: &str) {
    tracing::info!("Adding label '{key}'");
    config.set_label(key, value);
}

/// Sets the environment the launcher needs, `WorkingDir`, the entrypoint and an empty `Cmd`.
pub(crate) fn apply_runtime(
    config: &mut ImageConfig,
    api: PlatformApi,
    layers_dir: &Path,
    app_dir: &Path,
    entrypoint: String,
) {
    let base_path = config.env("PATH").unwrap_or_default().to_owned();
    set_env(config, LAYERS_DIR, &layers_dir.display().to_string());
    set_env(config, APP_DIR, &app_dir.display().to_string());
    set_env(config, PLATFORM_API, &api.to_string());
    set_env(config, DEPRECATION_MODE, "quiet");
    set_env(
        config,
        "PATH",
        &format!("/cnb/process:/cnb/lifecycle:{base_path}"),
    );
    let runtime = &mut config.config;
    runtime.working_dir = Some(app_dir.display().to_string());
    tracing::debug!("Setting ENTRYPOINT: '{entrypoint}'");
    runtime.entrypoint = Some(vec![entrypoint]);
    runtime.cmd = None;
}

/// Replaces `key` in place, or appends it (imgutil's `SetEnv`).
fn set_env(config: &mut ImageConfig, key: &str, value: &str) {
    let entry = format!("{key}={value}");
    let env = config.config.env.get_or_insert_with(Vec::new);
    let prefix = format!("{key}=");
    match env
        .iter_mut()
        .find(|existing| existing.starts_with(&prefix))
    {
        Some(existing) => *existing = entry,
        None => env.push(entry),
    }
}

/// The image's `created` time from `SOURCE_DATE_EPOCH` (Platform API 0.9 and later): seconds
/// since the epoch; unset or empty means the 1980 constant, an invalid value is ignored with
/// a warning (as Go does).
pub fn source_date_epoch(api: PlatformApi, value: Option<&str>) -> Option<i64> {
    if !api.honours_source_date_epoch() {
        return None;
    }
    let value = value.filter(|value| !value.is_empty())?;
    let seconds = value.parse().ok();
    if seconds.is_none() {
        tracing::warn!("Ignoring invalid SOURCE_DATE_EPOCH");
    }
    seconds
}

/// `seconds` since the epoch as RFC 3339 in UTC, or the 1980 constant.
pub(crate) fn created(seconds: Option<i64>) -> String {
    seconds.map_or_else(|| DEFAULT_CREATED.to_owned(), cnb_image::rfc3339_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_is_rfc3339_utc_or_the_1980_constant() {
        assert_eq!(created(None), "1980-01-01T00:00:01Z");
        assert_eq!(created(Some(1_641_359_105)), "2022-01-05T05:05:05Z");
        assert_eq!(created(Some(0)), "1970-01-01T00:00:00Z");
        assert_eq!(created(Some(951_782_400)), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn source_date_epoch_counts_from_platform_api_0_9_and_ignores_invalid_values() {
        let api = |version| cnb_api::check_platform_api(Some(version)).unwrap();
        assert_eq!(
            source_date_epoch(api("0.9"), Some("1641359105")),
            Some(1_641_359_105)
        );
        assert_eq!(source_date_epoch(api("0.8"), Some("1641359105")), None);
        assert_eq!(source_date_epoch(api("0.15"), Some("")), None);
        assert_eq!(source_date_epoch(api("0.15"), None), None);
        assert_eq!(source_date_epoch(api("0.15"), Some("yesterday")), None);
    }

    #[test]
    fn set_env_replaces_in_place_or_appends() {
        let mut config = ImageConfig::default();
        config.config.env = Some(vec!["PATH=/bin".into(), "A=1".into()]);
        set_env(&mut config, "PATH", "/x:/bin");
        set_env(&mut config, "B", "2");
        assert_eq!(config.config.env.unwrap(), ["PATH=/x:/bin", "A=1", "B=2"]);
    }

    #[test]
    fn entrypoint_prefers_the_platform_then_the_buildpacks_default() {
        let mut build = BuildMetadata::default();
        build.processes.push(cnb_files::metadata::Process {
            r#type: "web".into(),
            ..Default::default()
        });
        assert_eq!(entrypoint(&build, None).unwrap(), LAUNCHER);
        assert_eq!(entrypoint(&build, Some("web")).unwrap(), "/cnb/process/web");
        let error = entrypoint(&build, Some("worker")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "determining entrypoint: tried to set worker to default but it doesn't exist"
        );
        build.buildpack_default_process_type = Some("web".into());
        assert_eq!(entrypoint(&build, None).unwrap(), "/cnb/process/web");
    }
}
