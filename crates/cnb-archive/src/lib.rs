//! Layer archives as the Go lifecycle makes them, and a safe way back.
//!
//! Writing: [`LayerWriter`] takes tar entries and, in one streaming pass, produces the tar
//! byte-identical to the Go lifecycle's for the same inputs (USTAR with PAX fallback, mtime
//! 1980-01-01T00:00:01Z, empty user and group names, Go's two-block trailer), its diffID, the
//! compressed blob (gzip in parallel, or zstd multi-threaded, deterministic for any thread
//! count) and the blob's digest. [`add_dir`] writes a directory the way the lifecycle's
//! `DirLayer` does; [`add_launcher`] and [`add_process_types`] write the lifecycle's own
//! layers; [`AppSlices`] cuts the app dir into slice layers as Go's `SliceLayers` does;
//! [`add_layer_entries`] writes another tool's layer again, normalised.
//!
//! Reading: [`extract`] unpacks a plain, gzip or zstd layer into a directory, refusing
//! entries that would land outside it or pass through a symlink; [`decompress`] and
//! [`for_each_tar_entry`] read a layer entry by entry without unpacking it.
//!
//! Layer 2 (services): depends on `cnb-sys` and `cnb-image` only; nothing here knows about
//! registries, phases or the platform.

mod compress;
mod decompress;
mod dir_layer;
mod entries;
mod error;
mod extract;
mod fs_entry;
mod header;
mod layer;
mod lifecycle_layers;
mod retar;
mod slices;
mod writer;

pub use compress::{Compression, GzipEngine};
pub use decompress::decompress;
pub use dir_layer::{ImagePath, add_dir, add_entry, add_parents, add_tree};
pub use entries::{LayerEntry, for_each_tar_entry};
pub use error::{Error, Result};
pub use extract::{Extractor, extract};
pub use fs_entry::Owner;
pub use header::{EntryKind, Header, NORMALIZED_MTIME};
pub use layer::{LayerDigests, LayerStream, LayerWriter};
pub use lifecycle_layers::{LAUNCHER_PATH, add_launcher, add_process_types};
pub use retar::add_layer_entries;
pub use slices::AppSlices;
pub use writer::{EntrySink, TarSize, TarWriter};
