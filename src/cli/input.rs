//! Reading input documents: a path, or `-` for standard input.

use std::io::Read;

use crate::source::Source;

/// Reads `path` (or standard input for `-`) into a [`Source`]; the error is a
/// sentence for the user.
pub(crate) fn read(path: &str) -> Result<Source, String> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|error| format!("cannot read standard input: {error}"))?;
        return Ok(Source::from_bytes("<stdin>", bytes));
    }
    match std::fs::read(path) {
        Ok(bytes) => Ok(Source::from_bytes(path, bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(format!("cannot read `{path}`: no such file")),
        Err(error) if error.kind() == std::io::ErrorKind::IsADirectory => {
            Err(format!("cannot read `{path}`: it is a directory; name the schema file inside it"))
        }
        Err(error) => Err(format!("cannot read `{path}`: {error}")),
    }
}
