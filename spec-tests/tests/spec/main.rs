//! The spec-tests binary: one module per area, each test starting its own fixtures so that
//! tests run in parallel.

mod analyzer;
mod auth;
mod builder;
mod cli;
mod concurrency;
mod container_support;
mod crash;
mod creator;
mod creator_bench;
mod daemon;
mod daemon_support;
mod demo;
mod detector;
mod diff;
mod exporter;
mod extender;
mod hostile;
mod image_support;
mod input_files;
mod install;
mod launcher;
mod layout_store;
mod multiarch;
mod package;
mod platforms;
mod progress;
mod rebaser;
mod registry;
mod registry_pings;
mod registry_store;
mod registry_transfer;
mod restorer;
mod sbom;
mod secrets;
mod trust;
