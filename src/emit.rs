//! Writing a [`FileSet`] into an output directory in place, and comparing one with it
//! (`generate --check`).
//!
//! `OUT/.backbone/manifest.json` records every file backbone wrote with its SHA-256 and its
//! owner. With it, [`write()`] tells a file the user edited from one backbone wrote, removes
//! generated files the schema no longer produces (orphans), creates user-owned files only
//! when missing, and keeps everything it never generated (`.venv`, `.git`, the user's own
//! modules).
//!
//! How a write goes (issue 11): OUT stays the same directory, so a shell, an editor or
//! `uvicorn --reload` inside it keeps seeing it, and a run costs what changed, not what OUT
//! holds. Under an exclusive lock on OUT:
//!
//! 1. everything is decided before anything is touched (`Changes`); a conflict refuses
//!    the run with nothing written;
//! 2. the journal `.backbone/journal.json` records what the run is about to write;
//! 3. each changed file is written to `.NAME.backbone-tmp-<pid>` beside it and renamed
//!    over it, so every file is at any moment its old or its new version; unchanged files
//!    are not touched (their inode and modification time stay, so a watcher reloads only
//!    what changed); orphans are removed, and the directories that leaves empty;
//! 4. the manifest is written last, as the record of a complete run, and the journal
//!    removed.
//!
//! A run killed at any moment leaves a mix of old and new files, the journal, and perhaps
//! a temporary file: [`compare()`] names each, and the next run, whatever its schema,
//! completes the work: a file whose hash the manifest or the journal records is
//! backbone's to replace, and temporary files are removed. Nothing is flushed to disk
//! (`fsync`): the files can be generated again, so a power cut is not guarded against (see
//! the README).
//!
//! Invariant: `emit` and `cli` are the only modules that touch the file system, and a file
//! backbone writes only ever appears at its path by a rename.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{AtFlags, CWD, FlockOperation, RenameFlags};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::target::{FileSet, GeneratedFile, Ownership};

mod report;

pub use report::{CheckReport, Conflict, ConflictKind, Difference, DifferenceKind, EmitError, WriteReport};

/// Where the manifest lives, relative to OUT.
pub const MANIFEST_PATH: &str = ".backbone/manifest.json";

/// Where a run records what it is about to write, relative to OUT: present only while a
/// run is under way, or after one was interrupted.
pub const JOURNAL_PATH: &str = ".backbone/journal.json";

/// Where `--refine` saves the accepted refinement: a generated file like any other, the
/// only one allowed inside `.backbone/` besides the manifest.
pub const REFINEMENTS_PATH: &str = ".backbone/refinements.json";

/// What names a temporary file: `.NAME.backbone-tmp-<pid>`, beside the file it becomes.
const TEMP_MARKER: &str = ".backbone-tmp-";

/// How long a run waits for another run into the same OUT before it gives up.
const LOCK_WAIT: Duration = Duration::from_mins(1);

/// Mode of every file backbone writes, whatever the umask: the output is the same
/// everywhere.
const FILE_MODE: u32 = 0o644;

/// Mode of directories backbone creates (the umask applies).
const DIR_MODE: u32 = 0o755;

/// Settings of [`write()`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmitOptions {
    /// Overwrite or remove edited generated files, replace files backbone did not write,
    /// and generate into a non-empty directory without a manifest.
    pub force: bool,
}

/// A closure turning an `io::Error` into [`EmitError::Io`] about `path`.
fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> EmitError {
    let path = path.to_path_buf();
    move |source| EmitError::Io { path, action, source }
}

/// The same as [`EmitError::Partial`]: once OUT is being changed, an error says so.
fn partial(out: &Path, path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> EmitError {
    let (out, path) = (out.to_path_buf(), path.to_path_buf());
    move |source| EmitError::Partial { out, path, action, source }
}

/// Writes `files` into `out` in place; see the module documentation.
pub fn write(out: &Path, files: &FileSet, options: &EmitOptions) -> Result<WriteReport, EmitError> {
    check_paths(files)?;
    let root = resolve(out)?;
    let lock = lock(&root, FlockOperation::NonBlockingLockExclusive, LOCK_WAIT, out)?;
    let records = Records::read(&root)?;
    if !records.exist() && !options.force && !is_empty_dir(&root)? {
        return Err(EmitError::NotEmpty { out: out.to_path_buf() });
    }
    let changes = Changes::new(&root, files, &records)?;
    if !changes.conflicts.is_empty() && !options.force {
        return Err(EmitError::Conflicts { out: out.to_path_buf(), conflicts: changes.conflicts });
    }
    let leftovers = leftovers(&root, files, &records, lock.is_some())?;
    let hashes = hashes(files);
    let manifest = manifest_text(files, &hashes);
    let up_to_date = changes.is_empty() && leftovers.is_empty() && records.journal.is_none();
    let mut report = WriteReport {
        generated: files.iter().filter(|(_, file)| file.ownership == Ownership::Generated).count(),
        user_created: changes.user_created.clone(),
        user_kept: changes.user_kept.clone(),
        removed: changes.removed.iter().cloned().collect(),
        overwritten: changes.conflicts.clone(),
    };
    // Nothing to do touches nothing, not even the manifest: a watcher sees no event.
    if up_to_date && records.manifest_text.as_deref() == Some(manifest.as_str()) {
        return Ok(report);
    }
    let update = Update { root: &root, out };
    for leftover in &leftovers {
        update.remove(leftover)?;
    }
    update.make_directory(".backbone")?;
    if !changes.is_empty() {
        let journal = records.journal_with(&changes, &hashes);
        update.replace(JOURNAL_PATH, journal.as_bytes())?;
    }
    let raced = update.apply(files, &changes)?;
    if records.manifest_text.as_deref() != Some(manifest.as_str()) {
        update.replace(MANIFEST_PATH, manifest.as_bytes())?;
    }
    update.remove(JOURNAL_PATH)?;
    // A user file created meanwhile by someone else is theirs: kept, not created.
    for path in raced {
        report.user_created.retain(|created| *created != path);
        report.user_kept.push(path);
    }
    report.user_kept.sort();
    Ok(report)
}

/// Compares `out` with `files` without writing anything: what [`write()`] would change,
/// what an interrupted run left behind.
pub fn compare(out: &Path, files: &FileSet) -> Result<CheckReport, EmitError> {
    check_paths(files)?;
    let (records, lock, exists) = match fs::metadata(out) {
        // A shared lock: a run writing OUT finishes before OUT is compared.
        Ok(metadata) if metadata.is_dir() => {
            let lock = lock(out, FlockOperation::NonBlockingLockShared, LOCK_WAIT, out)?;
            (Records::read(out)?, lock, true)
        }
        Ok(_) => return Err(EmitError::BadOutput { path: out.to_path_buf(), reason: "it exists and is not a directory" }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => (Records::default(), None, false),
        Err(error) => return Err(io_error(out, "read")(error)),
    };
    let mut differences = Vec::new();
    let mut differ = |path: &str, kind| differences.push(Difference { path: path.to_owned(), kind });
    if records.manifest.is_none() {
        differ(MANIFEST_PATH, DifferenceKind::Missing);
    }
    if records.journal.is_some() {
        differ(JOURNAL_PATH, DifferenceKind::Interrupted);
    }
    let mut disk = Disk::new(out);
    for (path, file) in files.iter() {
        let kind = match (file.ownership, disk.inspect(path)?) {
            (Ownership::Generated, OnDisk::Missing) => Some(DifferenceKind::Missing),
            (Ownership::Generated, OnDisk::File(bytes, _)) if bytes == file.contents.as_bytes() => None,
            (Ownership::Generated, _) => Some(DifferenceKind::Changed),
            (Ownership::UserOwned, OnDisk::Missing | OnDisk::Blocked(_)) => Some(DifferenceKind::MissingUserFile),
            (Ownership::UserOwned, _) => None,
        };
        if let Some(kind) = kind {
            differ(path, kind);
        }
    }
    for path in records.generated_paths().filter(|path| files.get(path).is_none()) {
        let orphaned = match disk.inspect(path)? {
            OnDisk::Missing | OnDisk::Blocked(_) => false,
            OnDisk::File(bytes, _) => records.in_manifest(path) || records.wrote(path, &bytes),
            OnDisk::Directory | OnDisk::Other => records.in_manifest(path),
        };
        if orphaned {
            differ(path, DifferenceKind::Orphaned);
        }
    }
    if exists {
        for path in leftovers(out, files, &records, lock.is_some())? {
            differ(&path, DifferenceKind::Leftover);
        }
    }
    // A file that differs already says the manifest will change; a manifest that is stale
    // while every file is right (new files from a run that stopped before writing it) is
    // the one difference left to name.
    if differences.is_empty() && records.manifest.as_ref().is_some_and(|manifest| !manifest.records(files, &hashes(files))) {
        differences.push(Difference { path: MANIFEST_PATH.to_owned(), kind: DifferenceKind::Changed });
    }
    differences.sort_by(|left, right| left.path.cmp(&right.path));
    Ok(CheckReport { differences })
}

/// The former name of [`compare()`], kept so that work written against it still builds.
#[deprecated(note = "renamed `emit::compare`: in this crate `check` is the validation stage")]
pub fn check(out: &Path, files: &FileSet) -> Result<CheckReport, EmitError> {
    compare(out, files)
}

/// The manifest text for `files`: sorted, one line per file, no timestamps, so the same
/// file set always gives the same bytes.
pub fn manifest(files: &FileSet) -> String {
    manifest_text(files, &hashes(files))
}

/// The SHA-256 of every file, by path: computed once for the manifest and the journal.
fn hashes(files: &FileSet) -> BTreeMap<&str, String> {
    files.iter().map(|(path, file)| (path.as_str(), sha256_hex(file.contents.as_bytes()))).collect()
}

fn manifest_text(files: &FileSet, hashes: &BTreeMap<&str, String>) -> String {
    let mut text = format!("{{\n  \"generator\": \"backbone {}\",\n  \"files\": {{", env!("CARGO_PKG_VERSION"));
    for (idx, (path, file)) in files.iter().enumerate() {
        text.push_str(if idx == 0 { "\n" } else { ",\n" });
        // Serializing a string cannot fail.
        let key = serde_json::to_string(path).unwrap_or_default();
        let hash = hashes.get(path.as_str()).map_or("", String::as_str);
        for piece in ["    ", &key, ": {\"sha256\": \"", hash, "\", \"owner\": \"", Owner::of(file.ownership).name(), "\"}"] {
            text.push_str(piece);
        }
    }
    text.push_str(if files.is_empty() { "}\n}\n" } else { "\n  }\n}\n" });
    text
}

/// The hexadecimal SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(bytes) {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
}

/// True when `path` can be a file of the output: `a/b/c`, relative, `/`-separated, without
/// empty, `.` or `..` parts, and outside backbone's own `.backbone/` (except the saved
/// refinement).
fn is_output_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\0'))
        && (path.split('/').next() != Some(".backbone") || path == REFINEMENTS_PATH)
}

/// Every path must be an output path, and no file may be the directory of another.
fn check_paths(files: &FileSet) -> Result<(), EmitError> {
    for (path, _) in files.iter() {
        let inside_a_file = path.match_indices('/').any(|(idx, _)| files.get(&path[..idx]).is_some());
        if !is_output_path(path) || inside_a_file {
            return Err(EmitError::BadPath { path: path.clone() });
        }
    }
    Ok(())
}

/// The directories that hold `path`, innermost last: `a/b/c` gives `a`, `a/b`.
fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(|(idx, _)| &path[..idx])
}

/// Who owns a file, as the manifest and the journal spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Owner {
    #[serde(rename = "backbone")]
    Backbone,
    #[serde(rename = "user")]
    User,
}

impl Owner {
    fn of(ownership: Ownership) -> Self {
        match ownership {
            Ownership::Generated => Self::Backbone,
            Ownership::UserOwned => Self::User,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Backbone => "backbone",
            Self::User => "user",
        }
    }
}

/// The manifest as read from disk: the record of the last complete run.
#[derive(Debug, Deserialize)]
struct Manifest {
    files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    sha256: String,
    owner: Owner,
}

impl Manifest {
    /// True when the manifest lists `files` as a write of them would: the same paths and
    /// owners, the same hash for each generated file. The generator's version and the
    /// hashes of user files (their template, not what is on disk) do not count.
    fn records(&self, files: &FileSet, hashes: &BTreeMap<&str, String>) -> bool {
        self.files.len() == files.len()
            && files.iter().all(|(path, file)| {
                self.files.get(path).is_some_and(|entry| {
                    entry.owner == Owner::of(file.ownership) && (entry.owner == Owner::User || hashes.get(path.as_str()) == Some(&entry.sha256))
                })
            })
    }
}

/// What runs that did not finish were writing: for each path, every version they may have
/// put there. Runs interrupted one after another add up, so a version written by any of
/// them is still known as backbone's.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Journal {
    files: BTreeMap<String, JournalEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalEntry {
    owner: Owner,
    sha256: BTreeSet<String>,
}

/// What OUT says of earlier runs: the manifest of the last complete one, the journal of
/// those interrupted since.
#[derive(Debug, Default)]
struct Records {
    manifest: Option<Manifest>,
    /// The manifest's bytes, to leave it alone when a run would write the same.
    manifest_text: Option<String>,
    journal: Option<Journal>,
}

impl Records {
    fn read(out: &Path) -> Result<Self, EmitError> {
        let manifest_text = read_record(out, MANIFEST_PATH)?;
        let manifest: Option<Manifest> = manifest_text.as_deref().map(|text| parse_record(out, MANIFEST_PATH, text)).transpose()?;
        let journal: Option<Journal> = read_record(out, JOURNAL_PATH)?.map(|text| parse_record(out, JOURNAL_PATH, &text)).transpose()?;
        // A record is input: a path in it must not lead out of OUT.
        let outside = |path: &&String| !is_output_path(path);
        let bad_manifest = manifest.iter().flat_map(|manifest| manifest.files.keys()).find(outside).map(|bad| (MANIFEST_PATH, bad));
        let bad_journal = journal.iter().flat_map(|journal| journal.files.keys()).find(outside).map(|bad| (JOURNAL_PATH, bad));
        if let Some((record, bad)) = bad_manifest.or(bad_journal) {
            return Err(EmitError::BadManifest { path: out.join(record), reason: format!("`{bad}` is not a relative path inside the directory") });
        }
        Ok(Self { manifest, manifest_text, journal })
    }

    /// True when a run of backbone, complete or not, wrote into OUT.
    fn exist(&self) -> bool {
        self.manifest.is_some() || self.journal.is_some()
    }

    fn in_manifest(&self, path: &str) -> bool {
        self.manifest.as_ref().is_some_and(|manifest| manifest.files.contains_key(path))
    }

    /// True when `bytes` at `path` are what backbone put there: the manifest or the
    /// journal records their hash.
    fn wrote(&self, path: &str, bytes: &[u8]) -> bool {
        let recorded = self.manifest.as_ref().and_then(|manifest| manifest.files.get(path));
        let journaled = self.journal.as_ref().and_then(|journal| journal.files.get(path));
        if recorded.is_none() && journaled.is_none() {
            return false;
        }
        let hash = sha256_hex(bytes);
        recorded.is_some_and(|entry| entry.sha256 == hash) || journaled.is_some_and(|entry| entry.sha256.contains(&hash))
    }

    /// Every path a run recorded as backbone's, once.
    fn generated_paths(&self) -> impl Iterator<Item = &str> {
        let recorded = self.manifest.iter().flat_map(|manifest| manifest.files.iter().map(|(path, entry)| (path, entry.owner)));
        let journaled = self.journal.iter().flat_map(|journal| journal.files.iter().map(|(path, entry)| (path, entry.owner)));
        let paths: BTreeSet<&str> = recorded.chain(journaled).filter(|(_, owner)| *owner == Owner::Backbone).map(|(path, _)| path.as_str()).collect();
        paths.into_iter()
    }

    /// Every path a record names, once.
    fn paths(&self) -> BTreeSet<&str> {
        let recorded = self.manifest.iter().flat_map(|manifest| manifest.files.keys());
        let journaled = self.journal.iter().flat_map(|journal| journal.files.keys());
        recorded.chain(journaled).map(String::as_str).collect()
    }

    /// The journal of a run about to make `changes`: what interrupted runs recorded, and
    /// the versions this one writes.
    fn journal_with(&self, changes: &Changes<'_>, hashes: &BTreeMap<&str, String>) -> String {
        let mut journal = self.journal.clone().unwrap_or_default();
        for (path, file) in &changes.writes {
            let entry = journal.files.entry((*path).to_owned()).or_insert_with(|| JournalEntry { owner: Owner::of(file.ownership), sha256: BTreeSet::new() });
            entry.owner = Owner::of(file.ownership);
            entry.sha256.extend(hashes.get(path).cloned());
        }
        // Serializing maps of strings cannot fail.
        serde_json::to_string_pretty(&journal).unwrap_or_default() + "\n"
    }
}

/// The text of the record at `relative` in OUT, or `None` when there is none.
fn read_record(out: &Path, relative: &str) -> Result<Option<String>, EmitError> {
    let path = out.join(relative);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
        Err(error) => Err(io_error(&path, "read")(error)),
    }
}

fn parse_record<T: serde::de::DeserializeOwned>(out: &Path, relative: &str, text: &str) -> Result<T, EmitError> {
    serde_json::from_str(text).map_err(|error| EmitError::BadManifest { path: out.join(relative), reason: error.to_string() })
}

/// True when OUT holds nothing, or only a `.backbone/` directory: what a first run into
/// OUT leaves when it is killed before its journal is in place.
fn is_empty_dir(path: &Path) -> Result<bool, EmitError> {
    for entry in fs::read_dir(path).map_err(io_error(path, "read the directory"))? {
        let entry = entry.map_err(io_error(path, "read the directory"))?;
        let is_directory = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if entry.file_name() != ".backbone" || !is_directory {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What is at a path inside OUT.
enum OnDisk {
    Missing,
    /// A regular file: its contents and permission bits.
    File(Vec<u8>, u32),
    Directory,
    /// A symbolic link or special file.
    Other,
    /// A parent is not a directory (a file or a link); holds that parent's path.
    Blocked(String),
}

/// Looks at paths inside OUT without following links, remembering which directories exist.
struct Disk<'a> {
    out: &'a Path,
    directories: BTreeMap<String, Option<bool>>,
}

impl<'a> Disk<'a> {
    fn new(out: &'a Path) -> Self {
        Self { out, directories: BTreeMap::new() }
    }

    fn inspect(&mut self, path: &str) -> Result<OnDisk, EmitError> {
        // Each parent must be a real directory: a link there would be replaced by one.
        for parent in parents(path) {
            let state = match self.directories.get(parent) {
                Some(state) => *state,
                None => {
                    let state = self.metadata(parent)?.map(|metadata| metadata.is_dir());
                    self.directories.insert(parent.to_owned(), state);
                    state
                }
            };
            match state {
                None => return Ok(OnDisk::Missing),
                Some(false) => return Ok(OnDisk::Blocked(parent.to_owned())),
                Some(true) => {}
            }
        }
        match self.metadata(path)? {
            None => Ok(OnDisk::Missing),
            Some(metadata) if metadata.is_file() => {
                let full = self.out.join(path);
                fs::read(&full).map(|bytes| OnDisk::File(bytes, metadata.mode() & 0o7777)).map_err(io_error(&full, "read"))
            }
            Some(metadata) if metadata.is_dir() => Ok(OnDisk::Directory),
            Some(_) => Ok(OnDisk::Other),
        }
    }

    fn metadata(&self, path: &str) -> Result<Option<fs::Metadata>, EmitError> {
        let full = self.out.join(path);
        match fs::symlink_metadata(&full) {
            Ok(metadata) => Ok(Some(metadata)),
            Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Ok(None),
            Err(error) => Err(io_error(&full, "inspect")(error)),
        }
    }

    /// True when the directory at `path` holds nothing but files in `removed` (and
    /// directories of them, and temporary files): removing it loses nothing.
    fn holds_only(&self, path: &str, removed: &BTreeSet<String>) -> Result<bool, EmitError> {
        let full = self.out.join(path);
        for entry in fs::read_dir(&full).map_err(io_error(&full, "read the directory"))? {
            let entry = entry.map_err(io_error(&full, "read the directory"))?;
            // A name that is not UTF-8 is never a generated path: it is the user's.
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { return Ok(false) };
            let relative = format!("{path}/{name}");
            let is_directory = entry.file_type().map_err(io_error(&entry.path(), "inspect"))?.is_dir();
            let removable = if is_directory { self.holds_only(&relative, removed)? } else { removed.contains(&relative) || temp_pid(&name).is_some() };
            if !removable {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// What a write changes in OUT, decided before anything is touched.
struct Changes<'a> {
    /// Files to write: generated files not already on disk as they will be, and user-owned
    /// files that are missing.
    writes: BTreeMap<&'a str, &'a GeneratedFile>,
    /// Generated files of earlier runs that the schema no longer produces, to remove.
    removed: BTreeSet<String>,
    /// What stands where a written file or its directory goes, removed first: a directory,
    /// a link, or a file where a directory goes.
    obstacles: BTreeSet<String>,
    /// Generated files of earlier runs already gone: the directories they leave may be empty.
    vacated: Vec<String>,
    user_created: Vec<String>,
    user_kept: Vec<String>,
    conflicts: Vec<Conflict>,
}

impl<'a> Changes<'a> {
    fn new(out: &Path, files: &'a FileSet, records: &Records) -> Result<Self, EmitError> {
        let mut changes = Changes {
            writes: BTreeMap::new(),
            removed: BTreeSet::new(),
            obstacles: BTreeSet::new(),
            vacated: Vec::new(),
            user_created: Vec::new(),
            user_kept: Vec::new(),
            conflicts: Vec::new(),
        };
        let mut disk = Disk::new(out);
        let mut conflicts = BTreeMap::new();
        // Orphans first: whether they go decides whether what they block can be replaced.
        for path in records.generated_paths().filter(|path| files.get(path).is_none()) {
            match disk.inspect(path)? {
                OnDisk::Missing | OnDisk::Blocked(_) => {
                    changes.vacated.push(path.to_owned());
                    continue;
                }
                OnDisk::File(bytes, _) if records.wrote(path, &bytes) => {}
                _ if records.in_manifest(path) => {
                    conflicts.insert(path.to_owned(), ConflictKind::EditedOrphan);
                }
                // Only the journal names it and backbone did not write what is there: an
                // interrupted run never got to it, and it is the user's.
                _ => continue,
            }
            changes.removed.insert(path.to_owned());
        }
        for (path, file) in files.iter() {
            match (file.ownership, disk.inspect(path)?) {
                (_, OnDisk::Blocked(parent)) => {
                    // A generated file of an earlier run in the way is an orphan, removed anyway.
                    if !changes.removed.contains(&parent) {
                        conflicts.insert(parent.clone(), ConflictKind::NotADirectory);
                        changes.obstacles.insert(parent);
                    }
                }
                (Ownership::UserOwned, OnDisk::File(..) | OnDisk::Directory | OnDisk::Other) => {
                    changes.user_kept.push(path.clone());
                    continue;
                }
                // Already what it will be: not touched, so its inode and modification time
                // stay, and tools watching OUT see only real changes.
                (Ownership::Generated, OnDisk::File(bytes, FILE_MODE)) if bytes == file.contents.as_bytes() => continue,
                (Ownership::Generated, OnDisk::File(bytes, _)) => {
                    // Unchanged since backbone wrote it (or already what it will be): safe to replace.
                    if bytes != file.contents.as_bytes() && !records.wrote(path, &bytes) {
                        let kind = if records.in_manifest(path) { ConflictKind::Edited } else { ConflictKind::NotGenerated };
                        conflicts.insert(path.clone(), kind);
                    }
                }
                // A generated directory that becomes a generated file.
                (Ownership::Generated, OnDisk::Directory) if disk.holds_only(path, &changes.removed)? => {
                    changes.obstacles.insert(path.clone());
                }
                (Ownership::Generated, OnDisk::Directory | OnDisk::Other) => {
                    conflicts.insert(path.clone(), ConflictKind::NotGenerated);
                    changes.obstacles.insert(path.clone());
                }
                (_, OnDisk::Missing) => {}
            }
            if file.ownership == Ownership::UserOwned {
                changes.user_created.push(path.clone());
            }
            changes.writes.insert(path, file);
        }
        changes.conflicts = conflicts.into_iter().map(|(path, kind)| Conflict { path, kind }).collect();
        Ok(changes)
    }

    /// True when no file changes: at most the manifest does.
    fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.removed.is_empty() && self.obstacles.is_empty() && self.vacated.is_empty()
    }
}

/// Changes OUT, one file at a time; any error from here on is [`EmitError::Partial`].
struct Update<'a> {
    /// OUT, resolved.
    root: &'a Path,
    /// OUT as the caller named it, for messages.
    out: &'a Path,
}

impl Update<'_> {
    /// Removes what is in the way, the orphans, writes the files, then removes the
    /// directories the orphans leave empty. Returns the user files someone else created
    /// meanwhile.
    fn apply(&self, files: &FileSet, changes: &Changes<'_>) -> Result<Vec<String>, EmitError> {
        for path in changes.obstacles.iter().chain(&changes.removed) {
            self.remove(path)?;
        }
        let mut directories = BTreeSet::new();
        let mut raced = Vec::new();
        for (path, file) in &changes.writes {
            if let Some((parent, _)) = path.rsplit_once('/')
                && directories.insert(parent)
            {
                self.make_directory(parent)?;
            }
            match file.ownership {
                Ownership::Generated => self.replace(path, file.contents.as_bytes())?,
                Ownership::UserOwned => {
                    if !self.create(path, file.contents.as_bytes())? {
                        raced.push((*path).to_owned());
                    }
                }
            }
        }
        self.remove_emptied_directories(files, changes);
        Ok(raced)
    }

    /// Creates the directory `path` and its parents where missing.
    fn make_directory(&self, path: &str) -> Result<(), EmitError> {
        let full = self.root.join(path);
        fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(&full).map_err(partial(self.out, &full, "create the directory"))
    }

    /// Puts `contents` at `path` in one rename: a reader sees the old file or the new one.
    fn replace(&self, path: &str, contents: &[u8]) -> Result<(), EmitError> {
        let target = self.root.join(path);
        let temp = self.write_temp(&target, contents)?;
        fs::rename(&temp, &target).map_err(|error| {
            let _ = fs::remove_file(&temp);
            partial(self.out, &target, "replace")(error)
        })
    }

    /// Puts `contents` at `path` unless something is there by then; false if it was.
    fn create(&self, path: &str, contents: &[u8]) -> Result<bool, EmitError> {
        let target = self.root.join(path);
        let temp = self.write_temp(&target, contents)?;
        let created = match rustix::fs::renameat_with(CWD, &temp, CWD, &target, RenameFlags::NOREPLACE) {
            Ok(()) => Ok(true),
            // Where the file system lacks it, a hard link refuses to replace just as well.
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => match rustix::fs::linkat(CWD, &temp, CWD, &target, AtFlags::empty()) {
                Ok(()) => Ok(true),
                Err(Errno::EXIST) => Ok(false),
                Err(errno) => Err(errno),
            },
            Err(Errno::EXIST) => Ok(false),
            Err(errno) => Err(errno),
        };
        let _ = fs::remove_file(&temp);
        created.map_err(|errno| partial(self.out, &target, "create")(errno.into()))
    }

    /// A new file `.NAME.backbone-tmp-<pid>` beside `target` holding `contents`, with mode
    /// 0644 whatever the umask.
    fn write_temp(&self, target: &Path, contents: &[u8]) -> Result<PathBuf, EmitError> {
        let temp = temp_path(target);
        let written = fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(&temp).and_then(|mut file| {
            file.write_all(contents)?;
            // The umask may have cleared bits that `mode` asked for.
            file.set_permissions(fs::Permissions::from_mode(FILE_MODE))
        });
        written.map(|()| temp.clone()).map_err(|error| {
            let _ = fs::remove_file(&temp);
            partial(self.out, target, "write")(error)
        })
    }

    /// Removes whatever is at `path`, a whole tree if a directory; nothing there is fine.
    fn remove(&self, path: &str) -> Result<(), EmitError> {
        let full = self.root.join(path);
        let removed = match fs::symlink_metadata(&full) {
            Ok(metadata) if metadata.is_dir() => remove_tree(&full),
            Ok(_) => fs::remove_file(&full),
            Err(error) => Err(error),
        };
        match removed {
            Err(error) if !matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => Err(partial(self.out, &full, "remove")(error)),
            _ => Ok(()),
        }
    }

    /// Removes the directories that held removed files and are empty now, deepest first,
    /// but none a file of `files` goes into. Best effort: a directory that is not empty
    /// holds something of the user's, and stays.
    fn remove_emptied_directories(&self, files: &FileSet, changes: &Changes<'_>) {
        let needed: BTreeSet<&str> = files.iter().flat_map(|(path, _)| parents(path)).chain([".backbone"]).collect();
        let gone = changes.removed.iter().chain(&changes.obstacles).chain(&changes.vacated);
        let mut emptied: Vec<&str> = gone.flat_map(|path| parents(path)).filter(|dir| !needed.contains(dir)).collect::<BTreeSet<_>>().into_iter().collect();
        emptied.sort_by_key(|dir| std::cmp::Reverse(dir.matches('/').count()));
        for dir in emptied {
            let _ = fs::remove_dir(self.root.join(dir));
        }
    }
}

/// `DIR/.NAME.backbone-tmp-<pid>` for `DIR/NAME`, for this process.
fn temp_path(target: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(target.file_name().unwrap_or_default());
    name.push(format!("{TEMP_MARKER}{}", std::process::id()));
    target.with_file_name(name)
}

/// The process id in a temporary file's name, or `None` if `name` is not one.
fn temp_pid(name: &str) -> Option<u32> {
    let (stem, pid) = name.rsplit_once(TEMP_MARKER)?;
    if !stem.starts_with('.') || stem.len() < 2 {
        return None;
    }
    pid.parse().ok()
}

/// Temporary files that runs no longer under way left in the directories backbone writes
/// to (relative to OUT). Holding OUT's lock, every one is a dead run's; without a lock
/// (a file system without them), those of processes still running are spared.
fn leftovers(out: &Path, files: &FileSet, records: &Records, locked: bool) -> Result<Vec<String>, EmitError> {
    let recorded = records.paths();
    let written = files.iter().map(|(path, _)| path.as_str()).chain(recorded).chain([MANIFEST_PATH]);
    let directories: BTreeSet<&str> = written.flat_map(|path| parents(path).chain([""])).collect();
    let mut found = Vec::new();
    for dir in directories {
        let full = out.join(dir);
        let entries = match fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => continue,
            Err(error) => return Err(io_error(&full, "read the directory")(error)),
        };
        for entry in entries {
            let entry = entry.map_err(io_error(&full, "read the directory"))?;
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(temp_pid) else { continue };
            if entry.file_type().is_ok_and(|kind| kind.is_file()) && (locked || !is_running(pid)) {
                let name = name.to_string_lossy();
                found.push(if dir.is_empty() { name.into_owned() } else { format!("{dir}/{name}") });
            }
        }
    }
    Ok(found)
}

/// Takes a `flock` on OUT itself, waiting up to `wait` for another run to release it.
///
/// The directory is locked, not a lock file: there is nothing to create in a directory a
/// run may refuse, nothing to clean up, and the kernel releases the lock when the process
/// ends, however it ends, so a killed run never leaves OUT locked. Two paths to one OUT
/// (a link, `.`) lock the same directory. Where locks are unsupported (some network file
/// systems) it returns `None` and runs go unserialized.
fn lock(directory: &Path, operation: FlockOperation, wait: Duration, out: &Path) -> Result<Option<fs::File>, EmitError> {
    let file = fs::File::open(directory).map_err(io_error(directory, "open"))?;
    let started = Instant::now();
    loop {
        match rustix::fs::flock(&file, operation) {
            Ok(()) => return Ok(Some(file)),
            Err(Errno::WOULDBLOCK) if started.elapsed() < wait => std::thread::sleep(Duration::from_millis(20)),
            Err(Errno::WOULDBLOCK) => return Err(EmitError::Locked { out: out.to_path_buf(), waited: wait }),
            Err(Errno::INTR) => {}
            Err(_) => return Ok(None),
        }
    }
}

/// OUT as an absolute path to a directory, created (with its parents) when missing.
fn resolve(out: &Path) -> Result<PathBuf, EmitError> {
    let absolute = match fs::metadata(out) {
        // Following a link: a link to a directory generates into that directory.
        Ok(metadata) if metadata.is_dir() => fs::canonicalize(out).map_err(io_error(out, "resolve"))?,
        Ok(_) => return Err(EmitError::BadOutput { path: out.to_path_buf(), reason: "it exists and is not a directory" }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let name = out.file_name().ok_or(EmitError::BadOutput { path: out.to_path_buf(), reason: "it has no directory name" })?;
            let parent = out.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
            fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(parent).map_err(io_error(parent, "create the directory"))?;
            fs::canonicalize(parent).map_err(io_error(parent, "resolve"))?.join(name)
        }
        Err(error) => return Err(io_error(out, "inspect")(error)),
    };
    let (Some(parent), Some(name)) = (absolute.parent(), absolute.file_name()) else {
        return Err(EmitError::BadOutput { path: absolute, reason: "it is the root of the file system" });
    };
    recover_swapped_trees(parent, name, &absolute)?;
    match fs::DirBuilder::new().mode(DIR_MODE).create(&absolute) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => Err(io_error(&absolute, "create the directory")(error)),
        _ => Ok(absolute),
    }
}

/// Cleans up after a run of an earlier backbone, which built a whole new tree beside OUT
/// and swapped the two: removes the temporary trees `.OUT.backbone-tmp-<pid>` of dead
/// runs, and puts back an OUT that one moved aside to `.OUT.backbone-old-<pid>` and died
/// before renaming the new tree in (a machine upgraded in between would otherwise lose it).
fn recover_swapped_trees(parent: &Path, name: &OsStr, out: &Path) -> Result<(), EmitError> {
    let prefix = |kind: &str| format!(".{}.backbone-{kind}-", name.to_string_lossy());
    let (temp_prefix, aside_prefix) = (prefix("tmp"), prefix("old"));
    // Listing the parent is only needed for this; a parent that cannot be listed had none.
    let Ok(entries) = fs::read_dir(parent) else { return Ok(()) };
    let mut leftovers = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        for (prefix, is_aside) in [(&temp_prefix, false), (&aside_prefix, true)] {
            let pid = name.strip_prefix(prefix.as_str()).and_then(|pid| pid.parse::<u32>().ok());
            if pid.is_some_and(|pid| !is_running(pid)) {
                leftovers.push((parent.join(name), is_aside));
            }
        }
    }
    for (path, is_aside) in leftovers {
        if is_aside && !out.exists() {
            fs::rename(&path, out).map_err(io_error(&path, "restore the previous output directory from"))?;
        } else if !is_aside || out.join(MANIFEST_PATH).is_file() {
            remove_tree(&path).map_err(io_error(&path, "remove the leftover temporary directory"))?;
        }
        // An old tree set aside while something other than a finished run now sits at
        // OUT is left alone: it may be the only copy of the user's files.
    }
    Ok(())
}

/// Whether another process with id `pid` runs. Our own id is a dead run's that was reused:
/// this run has not written anything yet.
fn is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else {
        return false;
    };
    // `EPERM` means the process exists under another user.
    rustix::process::test_kill_process(pid) != Err(Errno::SRCH)
}

/// Removes a tree, including directories made read-only.
fn remove_tree(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            make_directories_writable(path);
            fs::remove_dir_all(path)
        }
        result => result,
    }
}

fn make_directories_writable(dir: &Path) {
    let Ok(metadata) = fs::symlink_metadata(dir) else { return };
    if !metadata.is_dir() {
        return;
    }
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(metadata.mode() | 0o700));
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        make_directories_writable(&entry.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_gives_up_on_a_lock_held_too_long_and_says_so() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("out");
        fs::create_dir(&out).expect("mkdir");
        let held = lock(&out, FlockOperation::NonBlockingLockExclusive, Duration::ZERO, &out).expect("lock");
        assert!(held.is_some(), "a local file system has locks");
        let error = lock(&out, FlockOperation::NonBlockingLockShared, Duration::from_millis(100), &out).expect_err("held");
        assert!(matches!(error, EmitError::Locked { .. }) && !error.is_refusal(), "{error:?}");
        let message = error.to_string();
        assert!(message.contains(&format!("`{}`", out.display())) && message.contains("run again"), "{message}");
        drop(held);
        assert!(lock(&out, FlockOperation::NonBlockingLockExclusive, Duration::ZERO, &out).expect("free again").is_some());
    }

    #[test]
    fn temporary_names_are_recognised() {
        assert_eq!(temp_path(Path::new("/o/app/main.py")), Path::new(&format!("/o/app/.main.py{TEMP_MARKER}{}", std::process::id())));
        assert_eq!(temp_pid(".main.py.backbone-tmp-42"), Some(42));
        for not_temporary in ["main.py", ".backbone-tmp-42", "main.py.backbone-tmp-42", ".main.py.backbone-tmp-x"] {
            assert_eq!(temp_pid(not_temporary), None, "{not_temporary}");
        }
    }
}
