//! Whether an app image may move to a new base, judged by the app image's own Platform API
//! (its `CNB_PLATFORM_API`): before P0.12 the stack ids must be equal and the new base must
//! have every mixin of the app; from P0.12 `io.buildpacks.rebasable=false` and a target
//! mismatch block the rebase unless forced.

use std::collections::BTreeSet;

use cnb_api::PlatformApi;
use cnb_files::labels::{DISTRO_NAME, DISTRO_VERSION, REBASABLE, TARGET_ID};
use cnb_image::ImageConfig;
use serde::Serialize;

use crate::{Error, Result};

const STACK_ID: &str = "io.buildpacks.stack.id";
const MIXINS: &str = "io.buildpacks.stack.mixins";

/// Checks `app` against `new_base`. `app_api` is the app image's recorded Platform API
/// (`None` when it records none). Forced failures are logged as warnings.
pub(crate) fn validate(
    app: &ImageConfig,
    new_base: &ImageConfig,
    app_api: Option<PlatformApi>,
    force: bool,
) -> Result<()> {
    if !app_api.is_some_and(PlatformApi::rebase_checks_targets) {
        check_stack_id(app, new_base)?;
        return check_mixins(app, new_base);
    }
    if app.label(REBASABLE) == Some("false") {
        if !force {
            return Err(Error::NotRebasable);
        }
        tracing::warn!("app image is not marked as rebasable");
    }
    let (old, new) = (Target::of(app), Target::of(new_base));
    if !new.satisfies(&old) {
        let (new, old) = (new.to_json(), old.to_json());
        if !force {
            return Err(Error::TargetMismatch { new, old });
        }
        tracing::warn!(
            "unable to satisfy target os/arch constraints; new run image: {new}, old run image: {old}"
        );
    }
    Ok(())
}

fn check_stack_id(app: &ImageConfig, new_base: &ImageConfig) -> Result<()> {
    let app_id = app.label(STACK_ID).unwrap_or_default();
    let new_id = new_base.label(STACK_ID).unwrap_or_default();
    if app_id.is_empty() {
        return Err(Error::StackMissing { which: "app image" });
    }
    if new_id.is_empty() {
        return Err(Error::StackMissing {
            which: "new base image",
        });
    }
    if app_id != new_id {
        return Err(Error::StackMismatch {
            new: new_id.to_owned(),
            app: app_id.to_owned(),
        });
    }
    Ok(())
}

fn check_mixins(app: &ImageConfig, new_base: &ImageConfig) -> Result<()> {
    let app_mixins = mixins(app, "app image")?;
    let base_mixins = mixins(new_base, "run image")?;
    let missing: Vec<&str> = app_mixins
        .difference(&base_mixins)
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::MissingMixins {
        missing: missing.join(", "),
    })
}

/// The mixins label without `build:`/`run:` stage prefixes; absent means none.
fn mixins(config: &ImageConfig, which: &'static str) -> Result<BTreeSet<String>> {
    let Some(text) = config.label(MIXINS).filter(|text| !text.is_empty()) else {
        return Ok(BTreeSet::new());
    };
    let list: Vec<String> =
        serde_json::from_str(text).map_err(|source| Error::ParseMixins { which, source })?;
    Ok(list
        .into_iter()
        .map(|mixin| {
            mixin
                .strip_prefix("build:")
                .or_else(|| mixin.strip_prefix("run:"))
                .map_or_else(|| mixin.clone(), str::to_owned)
        })
        .collect())
}

/// An image's target, as Go's `TargetMetadata` prints it in messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Target {
    #[serde(skip_serializing_if = "String::is_empty")]
    id: String,
    os: String,
    arch: String,
    #[serde(rename = "arch-variant", skip_serializing_if = "String::is_empty")]
    variant: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    distro: Option<Distro>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Distro {
    name: String,
    version: String,
}

impl Target {
    fn of(config: &ImageConfig) -> Self {
        let name = config.label(DISTRO_NAME);
        let version = config.label(DISTRO_VERSION);
        Self {
            id: config.label(TARGET_ID).unwrap_or_default().to_owned(),
            os: config.os.clone(),
            arch: config.architecture.clone(),
            variant: config.variant.clone().unwrap_or_default(),
            distro: (name.is_some() || version.is_some()).then(|| Distro {
                name: name.unwrap_or_default().to_owned(),
                version: version.unwrap_or_default().to_owned(),
            }),
        }
    }

    /// Whether this (new base) target can carry an app built on `app`: os and arch equal,
    /// variants equal when both are set, and distro name and version equal where the new base
    /// names them (a distro on the new base needs one on the app).
    fn satisfies(&self, app: &Target) -> bool {
        let same_or_unset = |a: &str, b: &str| a.is_empty() || b.is_empty() || a == b;
        if self.os != app.os || self.arch != app.arch || !same_or_unset(&self.variant, &app.variant)
        {
            return false;
        }
        match (&self.distro, &app.distro) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(new), Some(old)) => {
                (new.name.is_empty() || new.name == old.name)
                    && (new.version.is_empty() || new.version == old.version)
            }
        }
    }

    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
