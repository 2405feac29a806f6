//! Image references from the inputs, validated before anything is connected: a bad one is an
//! invalid input (3), as Go's `ResolveInputs` has it.

use cnb_api::ExitKind;
use cnb_image::ImageRef;
use cnb_platform::Inputs;

use crate::Failure;

/// `failed to resolve inputs: <message>` (3).
pub(crate) fn invalid(message: &str) -> Failure {
    Failure::message(
        ExitKind::InvalidArgs,
        format!("failed to resolve inputs: {message}"),
    )
}

/// `text` as a reference, or an invalid input.
pub(crate) fn parse(text: &str) -> Result<ImageRef, Failure> {
    ImageRef::parse(text).map_err(|error| invalid(&cnb_api::one_line(&error)))
}

/// `text`, when given and not empty, as a reference.
pub(crate) fn parse_optional(text: Option<&str>) -> Result<Option<ImageRef>, Failure> {
    text.filter(|text| !text.is_empty()).map(parse).transpose()
}

/// `<image>` and the tags, parsed; all must be on the output image's registry (3), unless
/// they go to a daemon.
pub(crate) fn destinations(inputs: &Inputs) -> Result<Vec<ImageRef>, Failure> {
    let destinations = inputs
        .destination_images()
        .iter()
        .map(|name| parse(name))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(output_image) = destinations.first() else {
        return Err(invalid("image argument is required"));
    };
    if !inputs.use_daemon
        && destinations
            .iter()
            .any(|image| image.registry() != output_image.registry())
    {
        return Err(invalid("writing to multiple registries is unsupported"));
    }
    Ok(destinations)
}
