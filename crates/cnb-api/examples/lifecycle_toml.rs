//! Prints `lifecycle.toml`, the descriptor pack and kpack read from a lifecycle release: the
//! supported and deprecated API versions and the lifecycle version. `make install` runs it.

use std::io::Write;

use cnb_api::{BUILDPACK_APIS, LIFECYCLE_VERSION, PLATFORM_APIS, Version};

fn list(versions: &[Version]) -> String {
    let quoted: Vec<String> = versions
        .iter()
        .map(|version| format!("\"{version}\""))
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn main() {
    let oldest = |versions: &[Version]| {
        versions
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let text = format!(
        "[apis]\n[apis.buildpack]\n  deprecated = []\n  supported = {bp}\n[apis.platform]\n  deprecated = []\n  supported = {platform}\n\n\
         # The oldest supported APIs in the older descriptor format (RFC 0011), for old platforms.\n\
         [api]\n  platform = \"{oldest_platform}\"\n  buildpack = \"{oldest_bp}\"\n\n\
         [lifecycle]\n  version = \"{LIFECYCLE_VERSION}\"\n  sbom-formats = []\n",
        bp = list(BUILDPACK_APIS),
        platform = list(PLATFORM_APIS),
        oldest_platform = oldest(PLATFORM_APIS),
        oldest_bp = oldest(BUILDPACK_APIS),
    );
    let _ = std::io::stdout().write_all(text.as_bytes());
}
