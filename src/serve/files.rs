//! The daemon's only file reads: its key file and PEM keys, read at start and again on
//! reload. Kept in one module so the tidy rule that confines file I/O can name it.

use std::path::Path;
use std::time::SystemTime;

/// The text of `path`, or a sentence saying why it cannot be read.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|error| format!("cannot read `{}`: {error}", path.display()))
}

/// The raw bytes of `path` (PEM keys).
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|error| format!("cannot read `{}`: {error}", path.display()))
}

/// When `path` last changed, if it can be known.
pub(crate) fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok()
}
