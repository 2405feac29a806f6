//! Where connected phases find images: the keychain and the stores, built from the inputs
//! before privileges drop (credential helpers and config files may be readable by root only).
//! A registry store always exists (cache images and the build image live in registries);
//! with `-layout`, a layout store serves the app, previous and run images. `-daemon` is not
//! supported yet and is refused, never silently replaced by a registry.

use std::path::PathBuf;

use cnb_api::ExitKind;
use cnb_image::{Digest, ImageRef, ImageStore};
use cnb_layout::LayoutStore;
use cnb_platform::Inputs;
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore};

use crate::Failure;

/// The stores of one connected phase.
pub(crate) struct Stores {
    /// Registries, for cache and build images, and for everything without `-layout`.
    pub(crate) registry: RegistryStore,
    /// The OCI layout root and its store, with `-layout`.
    pub(crate) layout: Option<(PathBuf, LayoutStore)>,
}

impl Stores {
    /// Refuses `-daemon`, resolves the keychain for `images` and builds the stores. `kind`
    /// is the exit code class of the phase.
    pub(crate) fn connect(
        inputs: &Inputs,
        images: &[String],
        kind: ExitKind,
    ) -> Result<Self, Failure> {
        if inputs.use_daemon {
            return Err(Failure::message(
                kind,
                format!(
                    "failed to {}: exporting to or reading from a docker daemon (-daemon) is not supported yet by this lifecycle",
                    inputs.phase.verb()
                ),
            ));
        }
        let registry = registry_store(inputs, images, kind)?;
        let layout = if inputs.use_layout {
            let root = inputs.layout_dir.clone().ok_or_else(layout_dir_required)?;
            Some((root.clone(), LayoutStore::new(root)))
        } else {
            None
        };
        Ok(Self { registry, layout })
    }

    /// The store of app, previous and run images.
    pub(crate) fn images(&self) -> &dyn ImageStore {
        match &self.layout {
            Some((_, store)) => store,
            None => &self.registry,
        }
    }

    /// How analyzed.toml names an image of [`images`](Self::images): `<path>@<digest>` in a
    /// layout, `<repository>@<digest>` in a registry.
    pub(crate) fn name_image(&self, reference: &ImageRef, digest: &Digest) -> String {
        match &self.layout {
            Some((root, _)) => match cnb_layout::layout_path(root, reference) {
                Ok(path) => format!("{}@{digest}", path.display()),
                Err(_) => registry_name(reference, digest),
            },
            None => registry_name(reference, digest),
        }
    }
}

/// A registry store whose keychain covers the registries of `images`.
fn registry_store(
    inputs: &Inputs,
    images: &[String],
    kind: ExitKind,
) -> Result<RegistryStore, Failure> {
    let env = Environment::from_lookup(|name| {
        inputs
            .environ
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.to_str().map(str::to_owned))
    });
    let references: Vec<ImageRef> = images
        .iter()
        .filter_map(|image| ImageRef::parse(image).ok())
        .collect();
    let keychain = Keychain::resolve(&env, &references)
        .map_err(|error| Failure::new(ExitKind::Failed, Some("resolve keychain"), &error))?;
    let config = RegistryConfig {
        insecure_registries: inputs.insecure_registries.clone(),
        ..RegistryConfig::default()
    };
    RegistryStore::new(config, &env, keychain)
        .map_err(|error| Failure::new(kind, Some("initialize registry client"), &error))
}

fn layout_dir_required() -> Failure {
    Failure::message(
        ExitKind::InvalidArgs,
        "failed to resolve inputs: defining a layout directory is required when OCI Layout feature is enabled. Use -layout-dir flag or CNB_LAYOUT_DIR environment variable",
    )
}

/// `<repository>@<digest>`, as go-containerregistry prints a digest reference.
pub(crate) fn registry_name(reference: &ImageRef, digest: &Digest) -> String {
    format!("{}@{digest}", reference.context())
}
