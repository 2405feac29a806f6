//! Where connected phases find images: the keychain and the stores, built from the inputs
//! before privileges drop (credential helpers and config files may be readable by root only,
//! and a root-owned docker socket can only be dialled as root). A registry store always exists
//! (cache images and the build image live in registries); with `-layout`, a layout store
//! serves the app, previous and run images; else with `-daemon`, the Docker daemon does, with
//! the launch cache (`-launch-cache`) opened once privileges dropped, as Go does, so that the
//! build user owns what goes into it. With both `-layout` and `-daemon` the layout wins and
//! the daemon client is still made, as in Go. The registry and daemon stores report their
//! transfers to the logging's progress reporter (a layout is a local directory: not reported).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use cnb_api::ExitKind;
use cnb_cache::LaunchCache;
use cnb_daemon::{DaemonClient, DaemonConfig, DaemonStore};
use cnb_image::{ImageIdentity, ImageRef, ImageStore, Platform};
use cnb_layout::LayoutStore;
use cnb_platform::Inputs;
use cnb_registry::{Environment, Keychain, RegistryConfig, RegistryStore};

use crate::{Failure, logging};

/// The stores of one connected phase.
pub(crate) struct Stores {
    /// Registries, for cache and build images, and for everything without `-layout`.
    pub(crate) registry: RegistryStore,
    /// The OCI layout root and its store, with `-layout`.
    pub(crate) layout: Option<(PathBuf, LayoutStore)>,
    /// The Docker daemon, with `-daemon`.
    pub(crate) daemon: Option<DaemonStore>,
}

impl Stores {
    /// Resolves the keychain for `images` and builds the stores; with `-daemon`, the docker
    /// client (a root-owned socket is dialled now; 1 when that fails, as in Go). `kind` is the
    /// exit code class of the phase.
    pub(crate) fn connect(
        inputs: &Inputs,
        images: &[String],
        kind: ExitKind,
    ) -> Result<Self, Failure> {
        let registry = registry_store(inputs, images, kind)?;
        let layout = if inputs.use_layout {
            let root = inputs.layout_dir.clone().ok_or_else(layout_dir_required)?;
            Some((root.clone(), LayoutStore::new(root)))
        } else {
            None
        };
        let daemon = if inputs.use_daemon {
            Some(daemon_store(inputs)?)
        } else {
            None
        };
        Ok(Self {
            registry,
            layout,
            daemon,
        })
    }

    /// Opens `-launch-cache` for the daemon store, once privileges dropped. A cache that
    /// cannot be opened (its directory must exist) fails with `kind` and `action`; without the
    /// daemon store (no `-daemon`, or `-layout` wins) the cache is not used.
    pub(crate) fn open_launch_cache(
        &mut self,
        inputs: &Inputs,
        kind: ExitKind,
        action: &str,
    ) -> Result<(), Failure> {
        let Some(dir) = inputs.launch_cache_dir.as_ref() else {
            return Ok(());
        };
        if self.layout.is_some() {
            return Ok(());
        }
        let Some(daemon) = self.daemon.take() else {
            return Ok(());
        };
        let cache =
            LaunchCache::open(dir).map_err(|error| Failure::new(kind, Some(action), &error))?;
        self.daemon = Some(daemon.with_launch_cache(cache));
        Ok(())
    }

    /// Whether app, previous and run images are local (a layout or a daemon): Go checks no
    /// registry access for them then.
    pub(crate) fn local_images(&self) -> bool {
        self.layout.is_some() || self.daemon.is_some()
    }

    /// The store of app, previous and run images: the layout, else the daemon, else the
    /// registries.
    pub(crate) fn images(&self) -> &dyn ImageStore {
        match (&self.layout, &self.daemon) {
            (Some((_, store)), _) => store,
            (None, Some(store)) => store,
            (None, None) => &self.registry,
        }
    }

    /// How analyzed.toml names an image of [`images`](Self::images): `<path>@<digest>` in a
    /// layout, `<repository>@<digest>` in a registry, the image ID in a daemon.
    pub(crate) fn name_image(&self, reference: &ImageRef, identity: &ImageIdentity) -> String {
        match &self.layout {
            Some((root, _)) => match cnb_layout::layout_path(root, reference) {
                Ok(path) => format!("{}@{identity}", path.display()),
                Err(_) => identity.name(reference),
            },
            None => identity.name(reference),
        }
    }
}

/// A registry store whose keychain covers the registries of `images`.
fn registry_store(
    inputs: &Inputs,
    images: &[String],
    kind: ExitKind,
) -> Result<RegistryStore, Failure> {
    registry_store_for(
        &inputs.environ,
        &inputs.insecure_registries,
        inputs.registry_timeout,
        images,
        kind,
    )
}

/// A registry store whose keychain (`CNB_REGISTRY_AUTH`, the Docker config and its helpers,
/// from `environ`) covers the registries of `images`, with `insecure_registries` spoken to
/// over plain HTTP and `timeout` (`CNB_REGISTRY_TIMEOUT`) replacing the default patience. A
/// keychain that cannot be resolved fails with 1, a client that cannot be made with `kind`.
pub(crate) fn registry_store_for(
    environ: &[(OsString, OsString)],
    insecure_registries: &[String],
    timeout: Option<Duration>,
    images: &[String],
    kind: ExitKind,
) -> Result<RegistryStore, Failure> {
    let env = Environment::from_lookup(|name| lookup(environ, name));
    let references: Vec<ImageRef> = images
        .iter()
        .filter_map(|image| ImageRef::parse(image).ok())
        .collect();
    let keychain = Keychain::resolve(&env, &references)
        .map_err(|error| Failure::new(ExitKind::Failed, Some("resolve keychain"), &error))?;
    let defaults = RegistryConfig::default();
    let config = RegistryConfig {
        insecure_registries: insecure_registries.to_vec(),
        give_up_after: timeout.unwrap_or(defaults.give_up_after),
        progress: logging::progress(),
        ..defaults
    };
    RegistryStore::new(config, &env, keychain)
        .map_err(|error| Failure::new(kind, Some("initialize registry client"), &error))
}

/// The daemon store: the client from the Docker variables of the environment.
fn daemon_store(inputs: &Inputs) -> Result<DaemonStore, Failure> {
    let config = DaemonConfig::from_lookup(|name| lookup(&inputs.environ, name));
    let client = DaemonClient::connect(&config).map_err(|error| {
        Failure::new(ExitKind::Failed, Some("initialize docker client"), &error)
    })?;
    Ok(DaemonStore::new(client, Platform::own()).with_progress(logging::progress()))
}

/// The value of environment variable `name` in `environ`.
fn lookup(environ: &[(OsString, OsString)], name: &str) -> Option<String> {
    environ
        .iter()
        .find(|(key, _)| key == name)
        .and_then(|(_, value)| value.to_str().map(str::to_owned))
}

fn layout_dir_required() -> Failure {
    Failure::message(
        ExitKind::InvalidArgs,
        "failed to resolve inputs: defining a layout directory is required when OCI Layout feature is enabled. Use -layout-dir flag or CNB_LAYOUT_DIR environment variable",
    )
}
