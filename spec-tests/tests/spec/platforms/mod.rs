//! Replays of real platforms (clients.md): each drives the installed lifecycle with the argv,
//! env, directory layout and user a platform uses, in a private mount namespace so that
//! `/cnb`, `/layers`, `/workspace` and `/platform` sit where that platform puts them, against
//! a loopback registry, and asserts what the platform reads back. They need root (the mount
//! namespace) and pass with a note otherwise. `kubernetes` checks the manifests of the fleet
//! rebase page (docs/platforms/fleet-rebase.md) instead of replaying a platform.

mod concourse;
mod extensions;
mod kpack;
mod kubernetes;
mod pack;
mod pack_daemon;
mod shipwright;
pub(crate) mod support;
mod tekton;
