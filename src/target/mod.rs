//! Targets: renderers from a valid [`Schema`](crate::ir::Schema) and its
//! [`BuildOrder`](crate::order::BuildOrder) to a [`FileSet`], in memory.
//!
//! Invariant: a target never does I/O and never fails on a valid schema; writing,
//! diffing and snapshotting all consume the same `FileSet` (see `emit`).

pub mod python;

use std::collections::BTreeMap;

/// A generated file's path, relative to the output directory, with `/` separators.
pub type RelPath = String;

/// Who owns a generated file once it is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// backbone owns it: regenerated every time, protected against unnoticed edits.
    Generated,
    /// Written once for the user to edit; never overwritten or deleted.
    UserOwned,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub contents: String,
    pub ownership: Ownership,
}

/// Every file of a generated project, ordered by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSet {
    files: BTreeMap<RelPath, GeneratedFile>,
}

impl FileSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file backbone owns.
    pub fn generated(&mut self, path: impl Into<RelPath>, contents: String) {
        self.files.insert(path.into(), GeneratedFile { contents, ownership: Ownership::Generated });
    }

    /// Adds a file the user owns once it exists.
    pub fn user_owned(&mut self, path: impl Into<RelPath>, contents: String) {
        self.files.insert(path.into(), GeneratedFile { contents, ownership: Ownership::UserOwned });
    }

    pub fn get(&self, path: &str) -> Option<&GeneratedFile> {
        self.files.get(path)
    }

    /// The files in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&RelPath, &GeneratedFile)> {
        self.files.iter()
    }

    /// Every file, to rewrite its contents in place (a formatter pass).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&RelPath, &mut GeneratedFile)> {
        self.files.iter_mut()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}
