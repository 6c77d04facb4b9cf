//! API keys: loaded from a TOML file and/or given directly, held only as SHA-256
//! hashes, compared in constant time, each with an optional expiry; the set is swapped
//! whole on reload (SIGHUP or a change of the file), so rotation needs no restart.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::files;

/// One accepted key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    /// The name logs and metrics use; never the key.
    pub id: String,
    pub hash: [u8; 32],
    /// Unix seconds after which the key is refused.
    pub expires_at: Option<u64>,
}

/// Why a presented key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRejection {
    Unknown,
    Expired,
}

/// The key file's shape: `[[keys]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(default)]
    keys: Vec<KeyFileEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileEntry {
    id: String,
    sha256: String,
    expires: Option<toml::value::Datetime>,
}

/// The SHA-256 of a key, as stored.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (idx, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[idx * 2..idx * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Unix seconds of a TOML date or date-time (a date alone means its midnight, UTC).
fn unix_seconds(datetime: &toml::value::Datetime) -> Option<u64> {
    let date = datetime.date?;
    let mut seconds = days_from_civil(i64::from(date.year), i64::from(date.month), i64::from(date.day)) * 86_400;
    if let Some(time) = datetime.time {
        seconds += i64::from(time.hour) * 3600 + i64::from(time.minute) * 60 + i64::from(time.second.unwrap_or(0));
    }
    if let Some(toml::value::Offset::Custom { minutes }) = datetime.offset {
        seconds -= i64::from(minutes) * 60;
    }
    u64::try_from(seconds).ok()
}

/// Parses a key file's text.
pub fn parse_key_file(text: &str) -> Result<Vec<KeyEntry>, String> {
    let file: KeyFile = toml::from_str(text).map_err(|error| format!("invalid key file: {error}"))?;
    file.keys
        .into_iter()
        .map(|entry| {
            let hash = parse_hex(&entry.sha256).ok_or_else(|| format!("key `{}`: sha256 must be 64 hexadecimal digits", entry.id))?;
            let expires_at = match &entry.expires {
                Some(datetime) => Some(unix_seconds(datetime).ok_or_else(|| format!("key `{}`: expires must be a date or date-time", entry.id))?),
                None => None,
            };
            Ok(KeyEntry { id: entry.id, hash, expires_at })
        })
        .collect()
}

/// Parses one directly given key: `ID:sha256:HEX` or `ID:KEY`.
pub fn parse_key_spec(spec: &str) -> Result<KeyEntry, String> {
    let (id, rest) = spec.split_once(':').ok_or_else(|| "an API key is given as ID:KEY or ID:sha256:HEX".to_owned())?;
    if id.is_empty() || rest.is_empty() {
        return Err("an API key is given as ID:KEY or ID:sha256:HEX".to_owned());
    }
    let hash = match rest.strip_prefix("sha256:") {
        Some(hex) => parse_hex(hex).ok_or_else(|| format!("key `{id}`: sha256 must be 64 hexadecimal digits"))?,
        None => hash_key(rest),
    };
    Ok(KeyEntry { id: id.to_owned(), hash, expires_at: None })
}

/// The keys in force, swapped whole on reload.
#[derive(Debug)]
pub struct KeyStore {
    file: Option<PathBuf>,
    direct: Vec<KeyEntry>,
    keys: RwLock<Arc<Vec<KeyEntry>>>,
    loaded_mtime: RwLock<Option<SystemTime>>,
}

impl KeyStore {
    /// Loads the direct keys and the file; an unreadable or invalid file is an error.
    pub fn load(file: Option<PathBuf>, specs: &[String]) -> Result<Self, String> {
        let direct = specs.iter().map(|spec| parse_key_spec(spec)).collect::<Result<Vec<_>, _>>()?;
        let store = Self { file, direct, keys: RwLock::new(Arc::new(Vec::new())), loaded_mtime: RwLock::new(None) };
        store.reload()?;
        Ok(store)
    }

    /// Whether any key source is configured at all.
    pub fn is_configured(&self) -> bool {
        self.file.is_some() || !self.direct.is_empty()
    }

    pub fn len(&self) -> usize {
        self.current().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn file(&self) -> Option<&PathBuf> {
        self.file.as_ref()
    }

    fn current(&self) -> Arc<Vec<KeyEntry>> {
        Arc::clone(&self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Reads the file again; on error the keys in force stay as they were.
    pub fn reload(&self) -> Result<usize, String> {
        let mut keys = self.direct.clone();
        if let Some(path) = &self.file {
            let mtime = files::modified(path);
            keys.extend(parse_key_file(&files::read_text(path)?)?);
            *self.loaded_mtime.write().unwrap_or_else(std::sync::PoisonError::into_inner) = mtime;
        }
        let count = keys.len();
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(keys);
        Ok(count)
    }

    /// Whether the file changed since it was last loaded.
    pub fn file_changed(&self) -> bool {
        let Some(path) = &self.file else { return false };
        let now = files::modified(path);
        now.is_some() && now != *self.loaded_mtime.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a key of this id is in force (present and not expired) at `now_secs`:
    /// a token issued for a key dies with it.
    pub fn is_active(&self, id: &str, now_secs: u64) -> bool {
        self.current().iter().any(|entry| entry.id == id && entry.expires_at.is_none_or(|at| now_secs < at))
    }

    /// The id of the key `presented`, checked against every stored hash in constant time.
    pub fn verify(&self, presented: &str, now_secs: u64) -> Result<String, KeyRejection> {
        let digest = hash_key(presented);
        let keys = self.current();
        let mut matched: Option<&KeyEntry> = None;
        // Every entry is compared, whatever matched before, so timing does not tell
        // how many keys exist or which one came close.
        for entry in keys.iter() {
            if bool::from(entry.hash.ct_eq(&digest)) {
                matched = Some(entry);
            }
        }
        match matched {
            Some(entry) if entry.expires_at.is_some_and(|at| now_secs >= at) => Err(KeyRejection::Expired),
            Some(entry) => Ok(entry.id.clone()),
            None => Err(KeyRejection::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_are_unix_seconds() {
        let keys = parse_key_file(&format!(
            "[[keys]]\nid = \"a\"\nsha256 = \"{hex}\"\nexpires = 2027-01-01\n\n[[keys]]\nid = \"b\"\nsha256 = \"{hex}\"\nexpires = 2026-06-30T12:30:00+02:00\n",
            hex = "ab".repeat(32)
        ))
        .unwrap();
        assert_eq!(keys[0].expires_at, Some(1_798_761_600));
        assert_eq!(keys[1].expires_at, Some(1_782_815_400));
    }

    #[test]
    fn direct_keys_are_hashed_or_taken_as_hashes() {
        let plain = parse_key_spec("dev:secret").unwrap();
        assert_eq!(plain.hash, hash_key("secret"));
        let hashed = parse_key_spec(&format!("ops:sha256:{}", "0f".repeat(32))).unwrap();
        assert_eq!(hashed.hash, [0x0f; 32]);
        assert!(parse_key_spec("no-separator").is_err());
        assert!(parse_key_spec("ops:sha256:xyz").is_err());
    }
}
