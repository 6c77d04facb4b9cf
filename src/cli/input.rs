//! Reading input documents: a path, or `-` for standard input.

use std::io::Read;

use crate::source::Source;

/// Reads `path` (or standard input for `-`) into a [`Source`]; the error is a
/// sentence for the user. With `max_bytes`, reading stops one byte past the limit, so an
/// endless stream cannot exhaust memory (compilation then reports the limit).
pub(crate) fn read(path: &str, max_bytes: Option<usize>) -> Result<Source, String> {
    let limit = max_bytes.map_or(u64::MAX, |max| u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1));
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().take(limit).read_to_end(&mut bytes).map_err(|error| format!("cannot read standard input: {error}"))?;
        return Ok(Source::from_bytes("<stdin>", bytes));
    }
    let read = std::fs::File::open(path).and_then(|file| {
        let mut bytes = Vec::new();
        file.take(limit).read_to_end(&mut bytes).map(|_| bytes)
    });
    match read {
        Ok(bytes) => Ok(Source::from_bytes(path, bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(format!("cannot read `{path}`: no such file")),
        Err(error) if error.kind() == std::io::ErrorKind::IsADirectory => {
            Err(format!("cannot read `{path}`: it is a directory; name the schema file inside it"))
        }
        Err(error) => Err(format!("cannot read `{path}`: {error}")),
    }
}
