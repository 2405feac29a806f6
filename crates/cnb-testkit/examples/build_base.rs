//! Writes the test build/run image (busybox-static, a `cnb` 1000:1000 user,
//! `CNB_USER_ID`/`CNB_GROUP_ID` set) as an OCI layout: `build_base <layout-dir> [<tag>]`.
//! `make package` builds its builder image on it. Needs `umoci` and `busybox-static`; the
//! layout dir must not exist yet.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use cnb_testkit::{LAYOUT_TAG, RunImage};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(layout) = args.next().map(PathBuf::from) else {
        let _ = writeln!(std::io::stderr(), "usage: build_base <layout-dir> [<tag>]");
        return ExitCode::from(2);
    };
    let tag = args.next().map_or_else(
        || LAYOUT_TAG.to_owned(),
        |tag| tag.to_string_lossy().into_owned(),
    );
    match RunImage::default().write_layout(&layout, &tag) {
        Ok(()) => {
            let _ = writeln!(std::io::stdout(), "oci:{}:{tag}", layout.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "ERROR: failed to build the base image at {}: {error}",
                layout.display()
            );
            ExitCode::FAILURE
        }
    }
}
