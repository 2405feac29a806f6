//! Crash safety (issue 17): the exporter, the restorer and the rebaser killed (SIGKILL) at random
//! moments spread over a whole run, and at the riskiest ones (a manifest or blob upload held
//! by the registry proxy, the cache being staged or committed), in a registry and in an OCI
//! layout; at least 50 trials per suite (`CNB_CRASH_TRIALS`), from a printed seed
//! (`CNB_CRASH_SEED` replays one). After every kill: each tag names a whole image or what it
//! named before, report.toml only exists for an image every tag names, the cache holds one
//! whole generation; then the same run again must succeed and use the cache.

pub(crate) mod check;
mod exporter;
pub(crate) mod kill;
mod rebaser;
mod restorer;
