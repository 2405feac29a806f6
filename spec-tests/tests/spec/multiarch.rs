//! Multi-architecture (platform.md › Target Data; the Go lifecycle's image selection): the
//! aarch64 lifecycle run here through qemu-user (`binfmt_misc`), beside the `x86_64` one, against
//! run images published as an index (amd64 and arm64 busybox images under one tag). Needs both
//! installs: `make test-aarch64` lays them out and runs this module (`make test` skips it).

mod binaries;
mod build;
mod fixture;
mod index;
mod package;
mod rebase;
