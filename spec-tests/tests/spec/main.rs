//! The spec-tests binary: one module per area, each test starting its own fixtures so that
//! tests run in parallel.

mod cli;
mod install;
mod registry;
