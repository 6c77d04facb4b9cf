//! What [`emit`](super) tells its caller: what a write did, how OUT differs, and why a
//! write or a comparison stopped. Values only; the file system is `emit`'s.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::MANIFEST_PATH;

/// What [`write()`](super::write) did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// How many files backbone owns the output holds (written or already up to date).
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

/// How OUT differs from what [`write()`](super::write) would make of it.
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
    /// A generated file (or the manifest) whose contents are not what backbone would write.
    Changed,
    /// A generated file (or the manifest) that does not exist.
    Missing,
    /// A generated file of a previous run that the schema no longer produces.
    Orphaned,
    /// A user-owned file that does not exist; a write creates it.
    MissingUserFile,
    /// The journal of a run that did not finish; a write completes the work.
    Interrupted,
    /// A temporary file a run that did not finish left beside its target; a write removes it.
    Leftover,
}

impl fmt::Display for Difference {
    /// `changed: app/main.py`, the line `generate --check` prints.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            DifferenceKind::Changed => write!(formatter, "changed: {}", self.path),
            DifferenceKind::Missing => write!(formatter, "missing: {}", self.path),
            DifferenceKind::Orphaned => write!(formatter, "orphaned: {}", self.path),
            DifferenceKind::MissingUserFile => write!(formatter, "missing: {} (user file)", self.path),
            DifferenceKind::Interrupted => write!(formatter, "interrupted: {} (a run did not finish)", self.path),
            DifferenceKind::Leftover => write!(formatter, "leftover: {}", self.path),
        }
    }
}

/// Why [`write()`](super::write) or [`compare()`](super::compare) did nothing, or stopped. Every message names the path
/// and the fix.
#[derive(Debug)]
pub enum EmitError {
    /// OUT has files but no manifest: backbone did not generate it.
    NotEmpty { out: PathBuf },
    /// Writing would lose changes; nothing was written.
    Conflicts { out: PathBuf, conflicts: Vec<Conflict> },
    /// The manifest (or the journal) cannot be read as one.
    BadManifest { path: PathBuf, reason: String },
    /// OUT cannot be an output directory.
    BadOutput { path: PathBuf, reason: &'static str },
    /// Another run held OUT's lock for longer than a run waits.
    Locked { out: PathBuf, waited: Duration },
    /// A path in the file set is not a plain relative path: a bug in a target.
    BadPath { path: String },
    /// A file-system operation failed before OUT was changed.
    Io { path: PathBuf, action: &'static str, source: io::Error },
    /// A file-system operation failed while OUT was being changed: each file is its old
    /// or its new version, and the next run completes the work.
    Partial { out: PathBuf, path: PathBuf, action: &'static str, source: io::Error },
}

impl EmitError {
    /// True when backbone declined to act (exit 1), false for failures (exit 2).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::NotEmpty { .. } | Self::Conflicts { .. } | Self::BadManifest { .. } | Self::BadOutput { .. })
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
            Self::Locked { out, waited } => write!(
                formatter,
                "another backbone run has been writing `{}` for more than {} s; \
                 let it finish (or stop it), then run again",
                out.display(),
                waited.as_secs()
            ),
            Self::BadPath { path } => write!(
                formatter,
                "internal error: the generated path `{path}` is not a plain relative path; \
                 this is a bug in backbone, please report it"
            ),
            Self::Io { path, action, source } => write!(formatter, "cannot {action} `{}`: {source}", path.display()),
            Self::Partial { out, path, action, source } => write!(
                formatter,
                "cannot {action} `{}`: {source}; `{}` is partly updated (each file is its old or its new \
                 version, `--check` lists what differs): fix the cause and run again to complete it",
                path.display(),
                out.display()
            ),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } | Self::Partial { source, .. } => Some(source),
            _ => None,
        }
    }
}
