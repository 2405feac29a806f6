//! The creator: analyze → detect → restore → build → export in one process (platform.md ›
//! creator; Go's order, spec-matrix.md §2). Credentials are resolved and the stores opened
//! first; then volumes go to the build user and privileges drop, so that detect and build
//! never run as root. `-skip-restore` skips the restore (Platform API 0.10 and later keep
//! restoring `store.toml`, as Go does, through the restorer's skip-layers mode).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use cnb_analyzer::{Analyzer, AnalyzerConfig};
use cnb_api::ExitKind;
use cnb_cache::{Cache, ImageCache, VolumeCache};
use cnb_exporter::Exporter;
use cnb_files::TomlFile;
use cnb_files::group::Group;
use cnb_image::{ImageIdentity, ImageRef, select_run_image};
use cnb_platform::Inputs;
use cnb_restorer::{Restorer, RestorerConfig};

use crate::stores::{Stores, own_platform};
use crate::{Failure, export, phases, privileges};

/// Runs the creator.
pub(crate) fn run(inputs: &Inputs) -> Result<(), Failure> {
    let destinations = export::destinations(inputs)?;
    let parse = |text: &str| {
        ImageRef::parse(text).map_err(|error| {
            Failure::message(
                ExitKind::InvalidArgs,
                format!("failed to resolve inputs: {error}"),
            )
        })
    };
    let previous_image = inputs.previous_image.as_deref().map(parse).transpose()?;
    let cache_image = inputs.cache_image.as_deref().map(parse).transpose()?;
    let candidates = crate::analyze::run_image_candidates(inputs).map_err(|message| {
        Failure::message(
            ExitKind::InvalidArgs,
            format!("failed to resolve inputs: {message}"),
        )
    })?;
    let mut images = inputs.destination_images();
    images.extend(inputs.previous_image.iter().cloned());
    images.extend(inputs.cache_image.iter().cloned());
    images.extend(candidates.iter().cloned());
    let stores = Stores::connect(inputs, &images, ExitKind::ExportError)?;
    privileges::prepare(inputs)?;
    let inputs = &with_user_environment(inputs, Path::new(PASSWD));

    tracing::info!("===> ANALYZING");
    let output_image = destinations[0].clone();
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let layout = stores.layout.is_some();
    let chosen = select_run_image(&refs, output_image.registry(), |reference| {
        layout
            || matches!(
                stores.images().read_manifest_raw(reference, None),
                Ok(Some(_))
            )
    })
    .ok_or_else(|| {
        Failure::message(
            ExitKind::InvalidArgs,
            "failed to resolve inputs: failed to find accessible run image",
        )
    })?;
    let config = AnalyzerConfig {
        platform_api: inputs.platform_api,
        analyzed_path: inputs.analyzed_path.clone(),
        additional_tags: destinations[1..].to_vec(),
        output_image,
        previous_image,
        run_image_name: chosen.to_owned(),
        run_image: parse(chosen)?,
        cache_image: cache_image.clone(),
        skip_layers: inputs.skip_layers,
        check_access: !layout,
        platform: own_platform(),
        sbom_root: PathBuf::from("/"),
    };
    let name_image =
        |reference: &ImageRef, identity: &ImageIdentity| stores.name_image(reference, identity);
    let analyzed = Analyzer::new(config, stores.images(), &name_image)
        .run()
        .map_err(|error| Failure::new(error.kind(), Some("analyze"), &error))?;

    tracing::info!("===> DETECTING");
    phases::detect(inputs)?;
    let group = Group::read(&inputs.group_path)
        .map_err(|error| Failure::new(ExitKind::Failed, Some("read group"), &error))?;
    if !group.group_extensions.is_empty() {
        return Err(Failure::message(
            ExitKind::DetectError,
            "failed to detect: detected order contains extensions which is not supported by the creator",
        ));
    }

    if !inputs.skip_layers || inputs.platform_api.restores_store_when_skipping() {
        tracing::info!("===> RESTORING");
        restore(inputs, &stores, cache_image)?;
    }

    tracing::info!("===> BUILDING");
    phases::build(inputs)?;

    tracing::info!("===> EXPORTING");
    let (config, cache) = export::configure(inputs, destinations, &analyzed)?;
    let exporter = Exporter::new(config, stores.images(), &name_image);
    export::export(&exporter, &stores, cache.as_ref(), inputs.parallel_export)
}

/// The restore step: the cache image or dir, the layer metadata and `store.toml`.
fn restore(inputs: &Inputs, stores: &Stores, cache_image: Option<ImageRef>) -> Result<(), Failure> {
    let cache: Option<Box<dyn Cache + '_>> = match (cache_image, &inputs.cache_dir) {
        (Some(reference), _) => Some(Box::new(ImageCache::open(&stores.registry, reference))),
        (None, Some(dir)) => Some(Box::new(VolumeCache::open(dir))),
        (None, None) => None,
    };
    let config = RestorerConfig {
        platform_api: inputs.platform_api,
        layers_dir: inputs.layers_dir.clone(),
        analyzed_path: inputs.analyzed_path.clone(),
        group_path: inputs.group_path.clone(),
        run_path: inputs.run_path.clone(),
        skip_layers: inputs.skip_layers,
        build_image: None,
        check_run_image: false,
        platform: own_platform(),
        extract_root: PathBuf::from("/"),
    };
    let name_image = |reference: &ImageRef, identity: &ImageIdentity| identity.name(reference);
    Restorer::new(config, &stores.registry, cache.as_deref(), &name_image)
        .run()
        .map_err(|error| Failure::new(error.kind(), Some(error.action()), &error))
}

/// Where users are looked up.
const PASSWD: &str = "/etc/passwd";

/// The inputs with `HOME` and `USER` of the user the creator now runs as, from `passwd`, as
/// Go sets them for the buildpacks (`USER` is the passwd entry's name field, as Go's
/// `user.Name`). An unknown user keeps the environment as it is (Go fails instead).
fn with_user_environment(inputs: &Inputs, passwd: &Path) -> Inputs {
    let mut inputs = inputs.clone();
    let Ok(text) = std::fs::read_to_string(passwd) else {
        return inputs;
    };
    let uid = inputs.uid.to_string();
    let Some(fields) = text
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() >= 6 && fields[2] == uid)
    else {
        tracing::debug!("No passwd entry for user {uid}");
        return inputs;
    };
    let name = fields[4].split(',').next().unwrap_or_default();
    for (key, value) in [("HOME", fields[5]), ("USER", name)] {
        inputs.environ.retain(|(existing, _)| existing != key);
        inputs
            .environ
            .push((OsString::from(key), OsString::from(value)));
    }
    inputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_and_user_come_from_the_passwd_entry_of_the_uid() {
        let dir = tempfile::tempdir().unwrap();
        let passwd = dir.path().join("passwd");
        std::fs::write(
            &passwd,
            "root:x:0:0:root:/root:/bin/sh\ncnb:x:1000:1000:CNB User,,,:/home/cnb:/bin/sh\n",
        )
        .unwrap();
        let api = cnb_api::check_platform_api(Some("0.15")).unwrap();
        let env: &[(&str, &str)] = &[];
        let mut flags = cnb_platform::FlagValues::default();
        flags.set_positionals(vec!["registry.test/app".into()]);
        let mut inputs =
            cnb_platform::resolve(cnb_api::Phase::Creator, api, &flags, &env, Path::new("/"))
                .unwrap();
        inputs.uid = 1000;
        inputs.environ = vec![("HOME".into(), "/root".into()), ("A".into(), "b".into())];
        let env = with_user_environment(&inputs, &passwd).environ;
        assert!(
            env.contains(&("HOME".into(), "/home/cnb".into())),
            "{env:?}"
        );
        assert!(env.contains(&("USER".into(), "CNB User".into())), "{env:?}");
        assert!(env.contains(&("A".into(), "b".into())));
        assert_eq!(env.iter().filter(|(key, _)| key == "HOME").count(), 1);
        inputs.uid = 4242;
        assert_eq!(
            with_user_environment(&inputs, &passwd).environ,
            inputs.environ
        );
    }
}
