//! Test support for the lifecycle's crates and `spec-tests`: real parts instead of fakes.
//! [`RegistryFixture`] runs Debian's `docker-registry` on a free loopback port with its own
//! storage; [`RunImage`] builds a tiny busybox-static run image with `umoci` (no Docker) into
//! an OCI layout and pushes it with `skopeo`; [`http_get`] probes a loopback server.
//!
//! [`TarLayer`] makes the tests' reproducible tar and gzip layers.
//!
//! [`build_user_command`] runs a phase as the unprivileged build user the detector and builder
//! need, through `setpriv` when the tests run as root. [`DockerDaemon`] runs a private
//! `dockerd` (Debian's `docker.io`, vfs storage, no bridge) for the daemon tests. [`Arch`] and
//! [`push_index`] make multi-platform run images (amd64 and arm64 busybox images under one
//! OCI index or Docker manifest list).
//!
//! A dev-dependency of the other crates; the demo program (`cnb-demo`) links it to run the
//! same real parts. Needs the Debian packages `docker-registry`, `skopeo`, `umoci`
//! and `busybox-static` (and `apache2-utils` for [`RegistryFixture::with_htpasswd`], `docker.io`
//! for [`DockerDaemon`]); errors say which one is missing. Everything a fixture creates lives in a temp dir it owns and
//! removes on drop, and no fixture uses a fixed port, so tests can run in parallel.

mod arch;
mod build_user;
mod command;
mod docker_daemon;
mod http;
mod index;
mod lifecycle;
mod oci_layout;
mod proxy;
mod registry;
mod run_image;
mod tar_layer;

pub use arch::{ARM64_BUSYBOX, Arch};
pub use build_user::{
    BUILD_UID, build_user_command, hand_to_build_user, is_root, phase_for_build_user,
    try_hand_to_build_user,
};
pub use docker_daemon::DockerDaemon;
pub use http::{HttpResponse, http_get, http_request};
pub use index::{IndexKind, PushedIndex, push_index};
pub use lifecycle::{Finished, LIFECYCLE_DIR_VAR, Lifecycle, SPEC_INSTALL_DIR};
pub use proxy::{Fault, FaultKind, IO_TIMEOUT, MAX_CONNECTIONS, RegistryProxy, SeenRequest, TOKEN};
pub use registry::{Credentials, RegistryFixture, Tls};
pub use run_image::{
    CNB_GID, CNB_UID, DEFAULT_BASE_ID, DEFAULT_DISTRO_NAME, DEFAULT_DISTRO_VERSION, IMAGE_PATH,
    LABEL_BASE_ID, LABEL_DISTRO_NAME, LABEL_DISTRO_VERSION, LABEL_REBASABLE, LABEL_STACK_ID,
    LAYOUT_TAG, OciLayoutImage, PushedImage, RunImage, build_run_image, busybox_rootfs,
};
pub use tar_layer::{EntryMeta, TarLayer};
