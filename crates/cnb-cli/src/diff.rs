//! `lifecycle diff [flags] <image> <image>`: compares two app images and says where they
//! differ (`docs/diff.md`). Each image is a registry reference, read with the keychain every
//! connected phase uses (`CNB_REGISTRY_AUTH`, the Docker config, `-insecure-registry`), or an
//! OCI layout path `oci:<path>[:<tag>|@<digest>]`. No Platform API is needed.
//!
//! Exit status: 0 identical, 1 different, 2 flags that do not parse, 3 not two images or one
//! that does not parse, 4 an image that cannot be read or compared. Differences go to stdout;
//! a failure is one `ERROR:` line on stderr.

use std::fmt::Write as _;
use std::process::ExitCode;

use cnb_api::{ExitKind, version_line};
use cnb_diff::{Limits, Outcome, Side};
use cnb_image::{ImageRef, ImageStore, Platform};
use cnb_layout::{LayoutStore, OciPath};
use cnb_platform::{DiffInputs, EnvSource, diff_flags, parse_bool};
use cnb_registry::RegistryStore;

use crate::goflag::{self, FlagError};
use crate::stores::registry_store_for;
use crate::{Failure, logging, output, usage};

/// The verb: `lifecycle diff`.
pub(crate) const VERB: &str = "diff";

/// Runs `lifecycle diff` with `args` (after the verb).
pub(crate) fn run(args: &[String], env: &dyn EnvSource) -> Result<ExitCode, Failure> {
    let values = match goflag::parse(&diff_flags(), args) {
        Ok(values) => values,
        Err(FlagError::Help) => {
            output::stdout(&usage());
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) => {
            output::stderr(&usage());
            return Err(Failure::message(
                ExitKind::Usage,
                format!("failed to parse flags: {error}"),
            ));
        }
    };
    if values.last("version").and_then(parse_bool).unwrap_or(false) {
        output::stdout(&format!("{}\n", version_line()));
        return Ok(ExitCode::SUCCESS);
    }
    let inputs = cnb_platform::resolve_diff(&values, env)
        .map_err(|error| Failure::new(ExitKind::InvalidArgs, error.action(), &error))?;
    logging::init(inputs.log_level, inputs.no_color);
    let images = inputs.images.clone().map(|text| Image::parse(&text));
    let [first, second] = images;
    let (first, second) = (first?, second?);
    let registry = registry(&inputs, [&first, &second])?;
    let first = first.open(registry.as_ref())?;
    let second = second.open(registry.as_ref())?;
    let limits = Limits {
        max_layers: inputs.max_layers,
        max_lines: inputs.max_lines,
    };
    let outcome = cnb_diff::compare(&first.side(), &second.side(), &Platform::own(), &limits)
        .map_err(|error| Failure::new(ExitKind::DiffError, Some("compare images"), &error))?;
    match outcome {
        Outcome::Identical(digest) => {
            output::stdout(&format!("identical: {digest}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Different(lines) => {
            let mut text = String::new();
            for line in lines {
                let _ = writeln!(text, "{line}");
            }
            output::stdout(&text);
            Ok(ExitCode::FAILURE)
        }
    }
}

/// An image as given on the command line, parsed.
enum Image {
    /// A registry reference.
    Registry(String, ImageRef),
    /// An OCI layout path.
    Layout(String, OciPath),
}

impl Image {
    /// A malformed reference or layout path is an invalid argument (3).
    fn parse(text: &str) -> Result<Self, Failure> {
        let invalid = |error: &dyn std::error::Error| {
            Failure::new(ExitKind::InvalidArgs, Some("parse arguments"), error)
        };
        if OciPath::is_oci_path(text) {
            let path = OciPath::parse(text).map_err(|error| invalid(&error))?;
            return Ok(Self::Layout(text.to_owned(), path));
        }
        let reference = ImageRef::parse(text).map_err(|error| invalid(&error))?;
        Ok(Self::Registry(text.to_owned(), reference))
    }

    /// Where to read the image: a layout store of its own, or the registry store.
    fn open(self, registry: Option<&RegistryStore>) -> Result<Opened<'_>, Failure> {
        match self {
            Self::Registry(name, reference) => match registry {
                Some(store) => Ok(Opened {
                    store: Store::Registry(store),
                    reference,
                    name,
                }),
                None => Err(Failure::message(
                    ExitKind::DiffError,
                    "failed to compare images: no registry client",
                )),
            },
            Self::Layout(name, path) => {
                let (store, reference) = path.open().map_err(|error| {
                    Failure::new(
                        ExitKind::DiffError,
                        Some(&format!("read image {name}")),
                        &error,
                    )
                })?;
                Ok(Opened {
                    store: Store::Layout(store),
                    reference,
                    name,
                })
            }
        }
    }
}

/// The store an image is read from.
enum Store<'a> {
    Registry(&'a RegistryStore),
    Layout(LayoutStore),
}

/// An image with its store, ready to compare.
struct Opened<'a> {
    store: Store<'a>,
    reference: ImageRef,
    name: String,
}

impl Opened<'_> {
    fn side(&self) -> Side<'_> {
        let store: &dyn ImageStore = match &self.store {
            Store::Registry(store) => *store,
            Store::Layout(store) => store,
        };
        Side {
            store,
            reference: self.reference.clone(),
            name: self.name.clone(),
        }
    }
}

/// The registry store, when an image is in a registry: its keychain covers those images'
/// registries. Failing to make it is a failure to read images (4).
fn registry(inputs: &DiffInputs, images: [&Image; 2]) -> Result<Option<RegistryStore>, Failure> {
    let names: Vec<String> = images
        .iter()
        .filter_map(|image| match image {
            Image::Registry(name, _) => Some(name.clone()),
            Image::Layout(..) => None,
        })
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    registry_store_for(
        &inputs.environ,
        &inputs.insecure_registries,
        inputs.registry_timeout,
        &names,
        ExitKind::DiffError,
    )
    .map(Some)
    .map_err(|failure| Failure {
        kind: ExitKind::DiffError,
        ..failure
    })
}

/// `Usage of diff: …` and the flags, in the layout of Go's `flag.PrintDefaults`.
fn usage() -> String {
    let mut text = format!(
        "Usage of {VERB}: lifecycle {VERB} [flags] <image> <image>\n  \
         <image>: a registry reference, or oci:<path>[:<tag>|@<digest>] for an OCI layout\n  \
         exit status: 0 identical, 1 different, 2 bad flags, 3 bad arguments, 4 an image could not be read\n"
    );
    text.push_str(&usage::flags(&diff_flags()));
    text
}
