//! Writing a [`FileSet`] into an output directory atomically, and comparing one with it
//! (`generate --check`).
//!
//! `OUT/.backbone/manifest.json` records every file backbone wrote with its SHA-256 and its
//! owner. With it, [`write()`] tells a file the user edited from one backbone wrote, removes
//! generated files the schema no longer produces (orphans), creates user-owned files only
//! when missing, and keeps everything it never generated (`.venv`, `.git`, the user's own
//! modules).
//!
//! How a write stays atomic: the complete new tree is built in `.OUT.backbone-tmp-<pid>`
//! next to OUT (same file system): the generated files and the manifest are written, and
//! everything else in OUT is brought along as hard links, directories recreated. Then one
//! `renameat2(RENAME_EXCHANGE)` swaps the two directories and the old tree is removed. A
//! run killed at any instant leaves OUT as it was (or, after the swap, as the new tree),
//! never a mix; the next run removes the temporary directories of dead runs. What the
//! user changes inside OUT while a run builds is not all seen by that run: an edit made in
//! place to an existing file is kept (the file is shared), a file created or replaced
//! meanwhile is not.
//!
//! Invariant: `emit` and `cli` are the only modules that touch the file system, and OUT
//! is only ever changed by one rename.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FlockOperation, RenameFlags};
use rustix::io::Errno;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::target::{FileSet, Ownership};

/// Where the manifest lives, relative to OUT.
pub const MANIFEST_PATH: &str = ".backbone/manifest.json";

/// Where `--refine` saves the accepted refinement: a generated file like any other, the
/// only one allowed inside `.backbone/` besides the manifest.
pub const REFINEMENTS_PATH: &str = ".backbone/refinements.json";

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

/// What [`write()`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// How many files backbone owns were written.
    pub generated: usize,
    /// User-owned files that were missing and were created.
    pub user_created: Vec<String>,
    /// User-owned files that existed and were left alone.
    pub user_kept: Vec<String>,
    /// Generated files of the previous run that the schema no longer produces, removed.
    pub removed: Vec<String>,
    /// Changes lost because of `force`: each would have refused the run without it.
    pub overwritten: Vec<Conflict>,
}

/// A file whose changes a write would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Relative to OUT, with `/` separators.
    pub path: String,
    pub kind: ConflictKind,
}

/// Why a write would lose something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// A generated file was edited since backbone wrote it; it would be overwritten.
    Edited,
    /// A generated file was edited and the schema no longer produces it; it would be removed.
    EditedOrphan,
    /// Something backbone did not write is where a generated file goes.
    NotGenerated,
    /// A file or link is where backbone needs a directory.
    NotADirectory,
}

impl fmt::Display for Conflict {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.kind {
            ConflictKind::Edited => "edited since backbone generated it",
            ConflictKind::EditedOrphan => "edited since backbone generated it, and no longer generated (would be removed)",
            ConflictKind::NotGenerated => "not written by backbone",
            ConflictKind::NotADirectory => "not a directory, but generated files go inside it",
        };
        write!(formatter, "{} ({why})", self.path)
    }
}

/// How OUT differs from what [`write()`] would make of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Every difference, by path.
    pub differences: Vec<Difference>,
}

impl CheckReport {
    /// True when a write would change nothing backbone owns.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

/// One file that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Relative to OUT, with `/` separators.
    pub path: String,
    pub kind: DifferenceKind,
}

/// How a file differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DifferenceKind {
    /// A generated file whose contents are not what backbone would write.
    Changed,
    /// A generated file (or the manifest) that does not exist.
    Missing,
    /// A generated file of a previous run that the schema no longer produces.
    Orphaned,
    /// A user-owned file that does not exist; a write creates it.
    MissingUserFile,
}

impl fmt::Display for Difference {
    /// `changed: app/main.py`, the line `generate --check` prints.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DifferenceKind::Changed => write!(formatter, "changed: {}", self.path),
            DifferenceKind::Missing => write!(formatter, "missing: {}", self.path),
            DifferenceKind::Orphaned => write!(formatter, "orphaned: {}", self.path),
            DifferenceKind::MissingUserFile => write!(formatter, "missing: {} (user file)", self.path),
        }
    }
}

/// Why [`write()`] or [`check()`] did nothing. Every message names the path and the fix.
#[derive(Debug)]
pub enum EmitError {
    /// OUT has files but no manifest: backbone did not generate it.
    NotEmpty { out: PathBuf },
    /// Writing would lose changes; nothing was written.
    Conflicts { out: PathBuf, conflicts: Vec<Conflict> },
    /// The manifest cannot be read as one.
    BadManifest { path: PathBuf, reason: String },
    /// OUT cannot be an output directory.
    BadOutput { path: PathBuf, reason: &'static str },
    /// OUT contains a mount point, which cannot move with the tree.
    MountPoint { path: PathBuf },
    /// A path in the file set is not a plain relative path: a bug in a target.
    BadPath { path: String },
    /// A file-system operation failed.
    Io { path: PathBuf, action: &'static str, source: io::Error },
}

impl EmitError {
    /// True when backbone declined to act (exit 1), false for failures (exit 2).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::NotEmpty { .. } | Self::Conflicts { .. } | Self::BadManifest { .. } | Self::BadOutput { .. } | Self::MountPoint { .. })
    }
}

impl fmt::Display for EmitError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotEmpty { out } => write!(
                formatter,
                "`{}` is not empty and has no `{MANIFEST_PATH}`, so backbone did not generate it; \
                 choose a new or empty directory, or pass `--force` to generate into it \
                 (files backbone does not generate are kept)",
                out.display()
            ),
            Self::Conflicts { out, conflicts } => {
                let count = conflicts.len();
                writeln!(
                    formatter,
                    "refusing to write `{}`: {count} file{} would lose changes; nothing was written",
                    out.display(),
                    if count == 1 { "" } else { "s" }
                )?;
                for conflict in conflicts {
                    writeln!(formatter, "  {conflict}")?;
                }
                write!(
                    formatter,
                    "move your changes into files backbone does not generate (it keeps them), \
                     or pass `--force` to overwrite them"
                )
            }
            Self::BadManifest { path, reason } => write!(
                formatter,
                "cannot read the manifest `{}`: {reason}; delete it and pass `--force` to regenerate \
                 (edited generated files are then overwritten)",
                path.display()
            ),
            Self::BadOutput { path, reason } => write!(formatter, "cannot generate into `{}`: {reason}", path.display()),
            Self::MountPoint { path } => write!(
                formatter,
                "`{}` is a mount point inside the output directory, and a tree holding one cannot be \
                 replaced atomically; unmount it, or generate into another directory",
                path.display()
            ),
            Self::BadPath { path } => write!(
                formatter,
                "internal error: the generated path `{path}` is not a plain relative path; \
                 this is a bug in backbone, please report it"
            ),
            Self::Io { path, action, source } => write!(formatter, "cannot {action} `{}`: {source}", path.display()),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A closure turning an `io::Error` into [`EmitError::Io`] about `path`.
fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> EmitError {
    let path = path.to_path_buf();
    move |source| EmitError::Io { path, action, source }
}

/// Writes `files` into `out` atomically; see the module documentation.
pub fn write(out: &Path, files: &FileSet, options: &EmitOptions) -> Result<WriteReport, EmitError> {
    check_paths(files)?;
    let target = Target::resolve(out)?;
    let _lock = target.lock();
    target.remove_leftovers()?;
    let existed = target.out.exists();
    let manifest = if existed { read_manifest(&target.out)? } else { None };
    if existed && manifest.is_none() && !options.force && !is_empty_dir(&target.out)? {
        return Err(EmitError::NotEmpty { out: out.to_path_buf() });
    }
    let plan = Plan::new(&target.out, files, manifest.as_ref(), existed)?;
    if !plan.conflicts.is_empty() && !options.force {
        return Err(EmitError::Conflicts { out: out.to_path_buf(), conflicts: plan.conflicts });
    }
    let temp = TempTree { path: target.sibling("tmp") };
    build(&target, &temp.path, &plan, existed)?;
    let old_tree = swap(&target, &temp.path, existed)?;
    // The new tree is in place. Removing the old one can fail (a directory the user made
    // read-only); the next run retries and names it if it still fails.
    if let Some(old_tree) = old_tree {
        let _ = remove_tree(&old_tree);
    }
    sync_dir(&target.parent);
    Ok(WriteReport {
        generated: files.iter().filter(|(_, file)| file.ownership == Ownership::Generated).count(),
        user_created: plan.user_created,
        user_kept: plan.user_kept,
        removed: plan.removed,
        overwritten: plan.conflicts,
    })
}

/// Compares `out` with `files` without writing anything.
pub fn check(out: &Path, files: &FileSet) -> Result<CheckReport, EmitError> {
    check_paths(files)?;
    let mut differences = Vec::new();
    let manifest = match fs::metadata(out) {
        Ok(metadata) if metadata.is_dir() => read_manifest(out)?,
        Ok(_) => return Err(EmitError::BadOutput { path: out.to_path_buf(), reason: "it exists and is not a directory" }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(io_error(out, "read")(error)),
    };
    if manifest.is_none() {
        differences.push(Difference { path: MANIFEST_PATH.to_owned(), kind: DifferenceKind::Missing });
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
            differences.push(Difference { path: path.clone(), kind });
        }
    }
    for path in manifest.iter().flat_map(|manifest| manifest.orphans(files)) {
        if !matches!(disk.inspect(path)?, OnDisk::Missing | OnDisk::Blocked(_)) {
            differences.push(Difference { path: path.clone(), kind: DifferenceKind::Orphaned });
        }
    }
    differences.sort_by(|left, right| left.path.cmp(&right.path));
    Ok(CheckReport { differences })
}

/// The manifest text for `files`: sorted, one line per file, no timestamps, so the same
/// file set always gives the same bytes.
pub fn manifest(files: &FileSet) -> String {
    let mut text = format!("{{\n  \"generator\": \"backbone {}\",\n  \"files\": {{", env!("CARGO_PKG_VERSION"));
    for (idx, (path, file)) in files.iter().enumerate() {
        let owner = match file.ownership {
            Ownership::Generated => "backbone",
            Ownership::UserOwned => "user",
        };
        text.push_str(if idx == 0 { "\n" } else { ",\n" });
        // Serializing a string cannot fail.
        let key = serde_json::to_string(path).unwrap_or_default();
        for piece in ["    ", &key, ": {\"sha256\": \"", &sha256_hex(file.contents.as_bytes()), "\", \"owner\": \"", owner, "\"}"] {
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

/// The manifest as read from disk.
#[derive(Debug, Deserialize)]
struct Manifest {
    files: BTreeMap<String, ManifestEntry>,
}

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    sha256: String,
    owner: Owner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Owner {
    #[serde(rename = "backbone")]
    Backbone,
    #[serde(rename = "user")]
    User,
}

impl Manifest {
    /// Generated files of the previous run that `files` no longer has at all.
    fn orphans<'a>(&'a self, files: &'a FileSet) -> impl Iterator<Item = &'a String> {
        self.files.iter().filter(|(path, entry)| entry.owner == Owner::Backbone && files.get(path).is_none()).map(|(path, _)| path)
    }
}

/// `OUT/.backbone/manifest.json`, or `None` when there is none.
fn read_manifest(out: &Path) -> Result<Option<Manifest>, EmitError> {
    let path = out.join(MANIFEST_PATH);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => return Ok(None),
        Err(error) => return Err(io_error(&path, "read")(error)),
    };
    let manifest: Manifest = serde_json::from_str(&text).map_err(|error| EmitError::BadManifest { path: path.clone(), reason: error.to_string() })?;
    // A manifest is input: a path in it must not lead out of OUT.
    if let Some(bad) = manifest.files.keys().find(|key| !is_output_path(key)) {
        return Err(EmitError::BadManifest { path, reason: format!("`{bad}` is not a relative path inside the directory") });
    }
    Ok(Some(manifest))
}

fn is_empty_dir(path: &Path) -> Result<bool, EmitError> {
    Ok(fs::read_dir(path).map_err(io_error(path, "read the directory"))?.next().is_none())
}

/// What is at a path inside OUT.
enum OnDisk {
    Missing,
    /// A regular file: its contents and permission bits.
    File(Vec<u8>, u32),
    /// A directory, symbolic link or special file.
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
        for (idx, _) in path.match_indices('/') {
            let parent = &path[..idx];
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
}

/// What a write will do, decided before anything is written.
struct Plan<'a> {
    /// Files to write into the new tree: generated files not already on disk as they will
    /// be, and user-owned files that are missing.
    writes: BTreeMap<&'a str, &'a [u8]>,
    manifest: String,
    /// Paths of the old tree not brought along: the written files and the orphans.
    replaced: BTreeSet<&'a str>,
    removed: Vec<String>,
    user_created: Vec<String>,
    user_kept: Vec<String>,
    conflicts: Vec<Conflict>,
}

impl<'a> Plan<'a> {
    fn new(out: &Path, files: &'a FileSet, manifest: Option<&'a Manifest>, existed: bool) -> Result<Self, EmitError> {
        let mut plan = Plan {
            writes: BTreeMap::new(),
            manifest: self::manifest(files),
            replaced: BTreeSet::from([MANIFEST_PATH]),
            removed: Vec::new(),
            user_created: Vec::new(),
            user_kept: Vec::new(),
            conflicts: Vec::new(),
        };
        let mut disk = Disk::new(out);
        let mut conflicts = BTreeMap::new();
        for (path, file) in files.iter() {
            let on_disk = if existed { disk.inspect(path)? } else { OnDisk::Missing };
            let recorded = manifest.and_then(|manifest| manifest.files.get(path));
            match (file.ownership, on_disk) {
                (_, OnDisk::Blocked(parent)) => {
                    // A generated file of the last run in the way is an orphan, removed anyway.
                    let generated_before = manifest.and_then(|manifest| manifest.files.get(&parent)).filter(|entry| entry.owner == Owner::Backbone);
                    let unedited = match (generated_before, disk.inspect(&parent)?) {
                        (Some(entry), OnDisk::File(bytes, _)) => sha256_hex(&bytes) == entry.sha256,
                        _ => false,
                    };
                    if !unedited {
                        conflicts.insert(parent, ConflictKind::NotADirectory);
                    }
                }
                (Ownership::UserOwned, OnDisk::File(..) | OnDisk::Other) => {
                    plan.user_kept.push(path.clone());
                    continue;
                }
                // Already what it will be: it comes along as a hard link, keeping its
                // inode and modification time, so tools watching OUT see only real changes.
                (Ownership::Generated, OnDisk::File(bytes, FILE_MODE)) if bytes == file.contents.as_bytes() => continue,
                (Ownership::Generated, OnDisk::File(bytes, _)) => {
                    // Unchanged since the last run (or already what it will be): safe to replace.
                    let unchanged = bytes == file.contents.as_bytes() || recorded.is_some_and(|entry| entry.sha256 == sha256_hex(&bytes));
                    if !unchanged {
                        let kind = if recorded.is_some() { ConflictKind::Edited } else { ConflictKind::NotGenerated };
                        conflicts.insert(path.clone(), kind);
                    }
                }
                (Ownership::Generated, OnDisk::Other) => {
                    conflicts.insert(path.clone(), ConflictKind::NotGenerated);
                }
                (_, OnDisk::Missing) => {}
            }
            if file.ownership == Ownership::UserOwned {
                plan.user_created.push(path.clone());
            }
            plan.writes.insert(path, file.contents.as_bytes());
            plan.replaced.insert(path);
        }
        for (path, entry) in manifest.iter().flat_map(|manifest| manifest.files.iter()) {
            if entry.owner != Owner::Backbone || files.get(path).is_some() {
                continue;
            }
            match disk.inspect(path)? {
                OnDisk::Missing | OnDisk::Blocked(_) => continue,
                OnDisk::File(bytes, _) if sha256_hex(&bytes) == entry.sha256 => {}
                OnDisk::File(..) | OnDisk::Other => {
                    conflicts.insert(path.clone(), ConflictKind::EditedOrphan);
                }
            }
            plan.removed.push(path.clone());
            plan.replaced.insert(path);
        }
        plan.conflicts = conflicts.into_iter().map(|(path, kind)| Conflict { path, kind }).collect();
        Ok(plan)
    }

    /// True when a written path lies inside `path`, so whatever is at `path` in the old
    /// tree (a file or a link) cannot come along.
    fn holds_written(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        self.writes.range(prefix.as_str()..).next().is_some_and(|(written, _)| written.starts_with(&prefix))
    }
}

/// OUT resolved to an absolute path, with the directory that holds it.
struct Target {
    out: PathBuf,
    parent: PathBuf,
    name: OsString,
}

impl Target {
    fn resolve(out: &Path) -> Result<Self, EmitError> {
        let out = match fs::metadata(out) {
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
        let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
            return Err(EmitError::BadOutput { path: out, reason: "it is the root of the file system" });
        };
        Ok(Self { parent: parent.to_path_buf(), name: name.to_owned(), out: out.clone() })
    }

    /// `.OUT.backbone-<kind>-<pid>` next to OUT, for this process.
    fn sibling(&self, kind: &str) -> PathBuf {
        self.parent.join(self.sibling_name(kind, std::process::id()))
    }

    fn sibling_name(&self, kind: &str, pid: u32) -> OsString {
        let mut name = self.sibling_prefix(kind);
        name.push(pid.to_string());
        name
    }

    fn sibling_prefix(&self, kind: &str) -> OsString {
        let mut name = OsString::from(".");
        name.push(&self.name);
        name.push(format!(".backbone-{kind}-"));
        name
    }

    /// Serializes runs writing next to each other: an exclusive `flock` on the parent
    /// directory, released when the returned file is dropped. Best effort: where locks
    /// are unsupported (some network file systems), runs go unserialized, and the
    /// process-id check of [`Target::remove_leftovers`] still protects live runs.
    fn lock(&self) -> Option<fs::File> {
        let directory = fs::File::open(&self.parent).ok()?;
        rustix::fs::flock(&directory, FlockOperation::LockExclusive).ok()?;
        Some(directory)
    }

    /// Removes the temporary trees of runs that died, and puts back an OUT that a run
    /// using the rename fallback moved aside before it died (see [`swap`]).
    fn remove_leftovers(&self) -> Result<(), EmitError> {
        let (temp_prefix, aside_prefix) = (self.sibling_prefix("tmp"), self.sibling_prefix("old"));
        let entries = fs::read_dir(&self.parent).map_err(io_error(&self.parent, "read the directory"))?;
        let mut leftovers = Vec::new();
        for entry in entries {
            let name = entry.map_err(io_error(&self.parent, "read the directory"))?.file_name();
            for (prefix, is_aside) in [(&temp_prefix, false), (&aside_prefix, true)] {
                let pid = name.to_str().zip(prefix.to_str()).and_then(|(name, prefix)| name.strip_prefix(prefix)).and_then(|pid| pid.parse::<u32>().ok());
                if pid.is_some_and(|pid| !is_running(pid)) {
                    leftovers.push((self.parent.join(&name), is_aside));
                }
            }
        }
        for (path, is_aside) in leftovers {
            if is_aside && !self.out.exists() {
                fs::rename(&path, &self.out).map_err(io_error(&path, "restore the previous output directory from"))?;
            } else if !is_aside || self.out.join(MANIFEST_PATH).is_file() {
                remove_tree(&path).map_err(io_error(&path, "remove the leftover temporary directory"))?;
            }
            // An old tree set aside while something other than a finished run now sits at
            // OUT is left alone: it may be the only copy of the user's files.
        }
        Ok(())
    }
}

/// Whether another process with id `pid` runs. Our own id is a dead run's that was reused:
/// a live run of ours holds the lock.
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

/// Removes the temporary tree when dropped: on failure it is a half-built tree, after a
/// successful exchange it no longer exists under this name.
struct TempTree {
    path: PathBuf,
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = remove_tree(&self.path);
    }
}

/// Builds the complete new tree at `temp`.
fn build(target: &Target, temp: &Path, plan: &Plan<'_>, existed: bool) -> Result<(), EmitError> {
    // Until it is complete the tree is private; then it takes OUT's mode.
    let root_mode = if existed { fs::metadata(&target.out).map_err(io_error(&target.out, "inspect"))?.mode() & 0o7777 } else { DIR_MODE };
    fs::DirBuilder::new().mode(0o700).create(temp).map_err(io_error(temp, "create the temporary directory"))?;
    for (path, contents) in &plan.writes {
        write_file(&temp.join(path), contents)?;
    }
    write_file(&temp.join(MANIFEST_PATH), plan.manifest.as_bytes())?;
    let mut modes = Vec::new();
    if existed {
        let device = fs::metadata(&target.out).map_err(io_error(&target.out, "inspect"))?.dev();
        bring_along(&target.out, temp, Path::new(""), device, plan, &mut modes)?;
    }
    // Deepest first, so that a read-only directory is closed after its children.
    for (path, mode) in modes.iter().rev() {
        fs::set_permissions(path, fs::Permissions::from_mode(*mode)).map_err(io_error(path, "set the mode of"))?;
    }
    fs::set_permissions(temp, fs::Permissions::from_mode(root_mode)).map_err(io_error(temp, "set the mode of"))?;
    // One flush of the file system, so that after a power loss the swapped-in tree has
    // its contents (a rename is ordered after nothing without it).
    let directory = fs::File::open(temp).map_err(io_error(temp, "open"))?;
    rustix::fs::syncfs(&directory).map_err(|errno| io_error(temp, "flush")(errno.into()))
}

/// Writes one new file with mode 0644, creating its parent directories.
fn write_file(path: &Path, contents: &[u8]) -> Result<(), EmitError> {
    if let Some(parent) = path.parent() {
        fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(parent).map_err(io_error(parent, "create the directory"))?;
    }
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path).map_err(io_error(path, "create"))?;
    file.write_all(contents).map_err(io_error(path, "write"))?;
    // The umask may have cleared bits that `mode` asked for.
    file.set_permissions(fs::Permissions::from_mode(FILE_MODE)).map_err(io_error(path, "set the mode of"))
}

/// Hard-links everything in `old/dir` that the plan does not replace into `new/dir`,
/// recreating directories; their modes are collected in `modes` and applied at the end.
fn bring_along(old: &Path, new: &Path, dir: &Path, device: u64, plan: &Plan<'_>, modes: &mut Vec<(PathBuf, u32)>) -> Result<(), EmitError> {
    let old_dir = old.join(dir);
    for entry in fs::read_dir(&old_dir).map_err(io_error(&old_dir, "read the directory"))? {
        let entry = entry.map_err(io_error(&old_dir, "read the directory"))?;
        let relative = dir.join(entry.file_name());
        // A name that is not UTF-8 is never a generated path: it always comes along.
        let key = relative.to_str().unwrap_or_default();
        if plan.replaced.contains(key) {
            continue;
        }
        let (source, destination) = (old.join(&relative), new.join(&relative));
        let metadata = entry.metadata().map_err(io_error(&source, "inspect"))?;
        if metadata.is_dir() {
            if metadata.dev() != device {
                return Err(EmitError::MountPoint { path: source });
            }
            match fs::DirBuilder::new().mode(0o700).create(&destination) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(io_error(&destination, "create the directory")(error)),
            }
            modes.push((destination, metadata.mode() & 0o7777));
            bring_along(old, new, &relative, device, plan, modes)?;
        } else if !plan.holds_written(key) {
            // Without AT_SYMLINK_FOLLOW a link to a symbolic link is a link to the link.
            rustix::fs::linkat(CWD, &source, CWD, &destination, AtFlags::empty()).map_err(|errno| {
                if errno == Errno::XDEV { EmitError::MountPoint { path: source.clone() } } else { io_error(&source, "hard-link")(errno.into()) }
            })?;
        }
    }
    Ok(())
}

/// Puts the new tree at OUT. Returns where the old tree now is, to be removed.
///
/// With an existing OUT, `renameat2(RENAME_EXCHANGE)` swaps both trees in one step. Where
/// the file system lacks it, OUT is renamed aside to `.OUT.backbone-old-<pid>` and the new
/// tree renamed to OUT: between those two renames OUT does not exist. A run killed in
/// that window leaves the previous tree aside, and the next run puts it back
/// ([`Target::remove_leftovers`]) before doing anything else.
fn swap(target: &Target, temp: &Path, existed: bool) -> Result<Option<PathBuf>, EmitError> {
    if !existed {
        return match rustix::fs::renameat_with(CWD, temp, CWD, &target.out, RenameFlags::NOREPLACE) {
            Ok(()) => Ok(None),
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => fs::rename(temp, &target.out).map(|()| None).map_err(io_error(&target.out, "create")),
            Err(errno) => Err(io_error(&target.out, "create")(errno.into())),
        };
    }
    match rustix::fs::renameat_with(CWD, temp, CWD, &target.out, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(Some(temp.to_path_buf())),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
            let aside = target.sibling("old");
            fs::rename(&target.out, &aside).map_err(io_error(&target.out, "move aside"))?;
            sync_dir(&target.parent);
            fs::rename(temp, &target.out).map_err(io_error(&target.out, "replace"))?;
            Ok(Some(aside))
        }
        Err(errno) => Err(io_error(&target.out, "replace")(errno.into())),
    }
}

/// Makes the renames in `dir` durable; best effort, since they already happened.
fn sync_dir(dir: &Path) {
    if let Ok(directory) = fs::File::open(dir) {
        let _ = directory.sync_all();
    }
}

/// Removes a tree, including directories the user made read-only (only directories are
/// changed: files are shared with the new tree through hard links).
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
