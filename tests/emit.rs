//! `emit` on real directories: fresh and repeated writes, the manifest, `compare`, edited,
//! missing, orphaned and user-owned files, foreign directories, the user's own files
//! surviving untouched, writing in place (a shell inside OUT, only changed files
//! rewritten, files turning into directories), the lock, and runs interrupted by
//! `kill -9` of the real binary. Also `backbone generate` end to end: exit codes,
//! `--check`, refusals.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use backbone::emit::{self, ConflictKind, DifferenceKind, EmitError, EmitOptions, JOURNAL_PATH, MANIFEST_PATH};
use backbone::target::FileSet;
use tempfile::TempDir;

const KEEP: EmitOptions = EmitOptions { force: false };
const FORCE: EmitOptions = EmitOptions { force: true };

/// A file set of generated files, then user-owned ones.
fn file_set(generated: &[(&str, &str)], user_owned: &[(&str, &str)]) -> FileSet {
    let mut files = FileSet::new();
    for (path, contents) in generated {
        files.generated(*path, (*contents).to_owned());
    }
    for (path, contents) in user_owned {
        files.user_owned(*path, (*contents).to_owned());
    }
    files
}

/// The project most tests use: three generated files in two directories and a user hook.
fn project() -> FileSet {
    file_set(
        &[("README.md", "# demo\n"), ("app/main.py", "# generated\napp = 1\n"), ("app/models/user.py", "# generated\nclass User: ...\n")],
        &[("app/hooks.py", "# yours\n")],
    )
}

/// A new, empty temporary directory and the (not yet existing) `out` inside it.
fn scratch() -> (TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix("backbone-emit-").tempdir().expect("temporary directory");
    let out = dir.path().join("out");
    (dir, out)
}

/// What a tree holds, for byte-for-byte comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir(u32),
    File(Vec<u8>, u32),
    Link(PathBuf),
}

fn tree(root: &Path) -> BTreeMap<String, Node> {
    let mut nodes = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in fs::read_dir(root.join(&relative)).expect("readable directory") {
            let entry = entry.expect("directory entry");
            let path = relative.join(entry.file_name());
            let metadata = entry.metadata().expect("metadata");
            let node = if metadata.is_dir() {
                pending.push(path.clone());
                Node::Dir(metadata.mode() & 0o7777)
            } else if metadata.is_symlink() {
                Node::Link(fs::read_link(entry.path()).expect("link"))
            } else {
                Node::File(fs::read(entry.path()).expect("readable file"), metadata.mode() & 0o7777)
            };
            nodes.insert(path.to_string_lossy().into_owned(), node);
        }
    }
    nodes
}

fn read(out: &Path, path: &str) -> String {
    fs::read_to_string(out.join(path)).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

/// Entries next to OUT other than OUT: leftovers of runs.
fn siblings(out: &Path) -> Vec<String> {
    let parent = out.parent().expect("parent");
    let mut names: Vec<String> = fs::read_dir(parent)
        .expect("readable parent")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".backbone-"))
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------
// write

#[test]
fn a_fresh_write_creates_every_file_and_the_manifest() {
    let (_dir, scratch_out) = scratch();
    // Missing parents are created too.
    let out = scratch_out.join("deeper/still");
    let report = emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(report.generated, 3);
    assert_eq!(report.user_created, ["app/hooks.py"]);
    assert!(report.user_kept.is_empty() && report.removed.is_empty() && report.overwritten.is_empty());
    for (path, file) in project().iter() {
        assert_eq!(read(&out, path), file.contents);
        assert_eq!(fs::metadata(out.join(path)).expect("metadata").mode() & 0o777, 0o644, "{path}");
    }
    let manifest = read(&out, MANIFEST_PATH);
    assert_eq!(manifest, emit::manifest(&project()));
    let parsed: serde_json::Value = serde_json::from_str(&manifest).expect("manifest is JSON");
    assert_eq!(parsed["generator"], format!("backbone {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(parsed["files"]["app/main.py"]["owner"], "backbone");
    assert_eq!(parsed["files"]["app/hooks.py"]["owner"], "user");
    // SHA-256 of "# demo\n".
    assert_eq!(parsed["files"]["README.md"]["sha256"], sha256("# demo\n"));
    assert!(siblings(&out).is_empty(), "no temporary directory is left: {:?}", siblings(&out));
}

/// The SHA-256 the manifest records, computed here independently.
fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

#[test]
fn the_manifest_is_sorted_and_deterministic() {
    let manifest = emit::manifest(&project());
    assert_eq!(manifest, emit::manifest(&project()));
    let paths: Vec<&str> = manifest.lines().filter_map(|line| line.trim().strip_prefix('"')?.split('"').next()).collect();
    assert_eq!(paths, ["generator", "files", "README.md", "app/hooks.py", "app/main.py", "app/models/user.py"]);
    assert!(!manifest.contains("time"), "no timestamps");
    let empty = emit::manifest(&FileSet::new());
    assert!(serde_json::from_str::<serde_json::Value>(&empty).is_ok(), "{empty}");
}

#[test]
fn a_second_write_is_byte_identical() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("first write");
    let first = tree(&out);
    let report = emit::write(&out, &project(), &KEEP).expect("second write");
    assert_eq!(report.user_kept, ["app/hooks.py"]);
    assert!(report.user_created.is_empty());
    assert_eq!(tree(&out), first);
    assert!(siblings(&out).is_empty(), "{:?}", siblings(&out));
}

#[test]
fn only_changed_generated_files_get_new_inodes() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    let inode = |path: &str| fs::metadata(out.join(path)).expect("metadata").ino();
    let (readme, main, user) = (inode("README.md"), inode("app/main.py"), inode("app/models/user.py"));
    fs::set_permissions(out.join("app/models/user.py"), fs::Permissions::from_mode(0o600)).expect("chmod");
    let mut next = project();
    next.generated("app/main.py", "# generated\napp = 2\n".to_owned());
    emit::write(&out, &next, &KEEP).expect("write");
    assert_eq!(inode("README.md"), readme, "unchanged: the same file, modification time included");
    assert_ne!(inode("app/main.py"), main, "changed: a new file");
    assert_ne!(inode("app/models/user.py"), user, "a changed mode is rewritten");
    assert_eq!(fs::metadata(out.join("app/models/user.py")).expect("metadata").mode() & 0o777, 0o644);
}

#[test]
fn an_empty_existing_directory_is_accepted() {
    let (_dir, out) = scratch();
    fs::create_dir(&out).expect("mkdir");
    fs::set_permissions(&out, fs::Permissions::from_mode(0o750)).expect("chmod");
    emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(read(&out, "app/main.py"), "# generated\napp = 1\n");
    assert_eq!(fs::metadata(&out).expect("metadata").mode() & 0o777, 0o750, "OUT keeps its mode");
}

// ---------------------------------------------------------------------------------
// check, edits, deletions, orphans

#[test]
fn check_is_clean_after_a_write_and_sees_an_edit() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    assert!(emit::compare(&out, &project()).expect("check").is_clean());

    fs::write(out.join("app/main.py"), "# generated\napp = 2  # my fix\n").expect("edit");
    let report = emit::compare(&out, &project()).expect("check");
    assert!(!report.is_clean());
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].path, "app/main.py");
    assert_eq!(report.differences[0].kind, DifferenceKind::Changed);
    assert_eq!(report.differences[0].to_string(), "changed: app/main.py");

    // Without force: refused, nothing written, the edit is still there.
    let before = tree(&out);
    let error = emit::write(&out, &project(), &KEEP).expect_err("an edited file is protected");
    assert!(error.is_refusal());
    let EmitError::Conflicts { conflicts, .. } = &error else { panic!("expected conflicts, got {error:?}") };
    assert_eq!(conflicts.len(), 1);
    assert_eq!((conflicts[0].path.as_str(), conflicts[0].kind), ("app/main.py", ConflictKind::Edited));
    let message = error.to_string();
    assert!(message.contains("app/main.py") && message.contains("--force") && message.contains("nothing was written"), "{message}");
    assert_eq!(tree(&out), before);
    assert!(siblings(&out).is_empty(), "{:?}", siblings(&out));

    // With force: overwritten, and reported.
    let report = emit::write(&out, &project(), &FORCE).expect("forced write");
    assert_eq!(report.overwritten.len(), 1);
    assert_eq!(read(&out, "app/main.py"), "# generated\napp = 1\n");
    assert!(emit::compare(&out, &project()).expect("check").is_clean());
}

#[test]
fn every_edited_file_is_listed() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::write(out.join("app/main.py"), "mine\n").expect("edit");
    fs::write(out.join("README.md"), "mine too\n").expect("edit");
    let error = emit::write(&out, &project(), &KEEP).expect_err("refused");
    let message = error.to_string();
    assert!(message.contains("2 files would lose changes"), "{message}");
    assert!(message.contains("  README.md (edited") && message.contains("  app/main.py (edited"), "{message}");
}

#[test]
fn an_edit_that_equals_the_new_contents_is_no_conflict() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    let mut next = project();
    next.generated("app/main.py", "# generated\napp = 2\n".to_owned());
    fs::write(out.join("app/main.py"), "# generated\napp = 2\n").expect("edit");
    emit::write(&out, &next, &KEEP).expect("nothing would be lost");
}

#[test]
fn a_deleted_generated_file_is_missing_and_comes_back() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::remove_file(out.join("app/models/user.py")).expect("delete");
    let report = emit::compare(&out, &project()).expect("check");
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].to_string(), "missing: app/models/user.py");
    emit::write(&out, &project(), &KEEP).expect("a deletion is no conflict");
    assert!(emit::compare(&out, &project()).expect("check").is_clean());
}

#[test]
fn a_file_the_schema_no_longer_produces_is_orphaned_then_removed() {
    let (_dir, out) = scratch();
    let mut older = project();
    older.generated("app/models/post.py", "# generated\nclass Post: ...\n".to_owned());
    emit::write(&out, &older, &KEEP).expect("write the older set");

    let report = emit::compare(&out, &project()).expect("check");
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].kind, DifferenceKind::Orphaned);
    assert_eq!(report.differences[0].to_string(), "orphaned: app/models/post.py");

    let report = emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(report.removed, ["app/models/post.py"]);
    assert!(!out.join("app/models/post.py").exists());
    assert!(emit::compare(&out, &project()).expect("check").is_clean());
    assert!(!read(&out, MANIFEST_PATH).contains("post.py"));
}

#[test]
fn an_edited_orphan_is_refused_then_removed_with_force() {
    let (_dir, out) = scratch();
    let mut older = project();
    older.generated("app/models/post.py", "# generated\n".to_owned());
    emit::write(&out, &older, &KEEP).expect("write the older set");
    fs::write(out.join("app/models/post.py"), "# generated\n# and my notes\n").expect("edit");
    let error = emit::write(&out, &project(), &KEEP).expect_err("refused");
    let EmitError::Conflicts { conflicts, .. } = &error else { panic!("{error:?}") };
    assert_eq!((conflicts[0].path.as_str(), conflicts[0].kind), ("app/models/post.py", ConflictKind::EditedOrphan));
    assert!(out.join("app/models/post.py").exists());
    emit::write(&out, &project(), &FORCE).expect("forced");
    assert!(!out.join("app/models/post.py").exists());
}

// ---------------------------------------------------------------------------------
// user-owned files

#[test]
fn user_owned_files_are_created_once_and_never_overwritten_or_deleted() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::write(out.join("app/hooks.py"), "# yours\ndef on_startup(): ...\n").expect("edit the hook");
    assert!(emit::compare(&out, &project()).expect("check").is_clean(), "an edited user file is no difference");

    let mut next = project();
    next.user_owned("app/hooks.py", "# a newer template\n".to_owned());
    for options in [KEEP, FORCE] {
        let report = emit::write(&out, &next, &options).expect("write");
        assert_eq!(report.user_kept, ["app/hooks.py"]);
        assert_eq!(read(&out, "app/hooks.py"), "# yours\ndef on_startup(): ...\n");
    }

    // A schema without the hook leaves the file where it is.
    let without_hook = file_set(&[("README.md", "# demo\n")], &[]);
    emit::write(&out, &without_hook, &KEEP).expect("write");
    assert_eq!(read(&out, "app/hooks.py"), "# yours\ndef on_startup(): ...\n");
    assert!(!out.join("app/main.py").exists(), "generated files are removed");
}

#[test]
fn a_deleted_user_file_is_reported_and_recreated() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::remove_file(out.join("app/hooks.py")).expect("delete");
    let report = emit::compare(&out, &project()).expect("check");
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].kind, DifferenceKind::MissingUserFile);
    assert_eq!(report.differences[0].to_string(), "missing: app/hooks.py (user file)");
    let report = emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(report.user_created, ["app/hooks.py"]);
    assert_eq!(read(&out, "app/hooks.py"), "# yours\n");
}

// ---------------------------------------------------------------------------------
// directories backbone did not generate, and what the user keeps in OUT

#[test]
fn a_foreign_directory_is_refused_without_force() {
    let (_dir, out) = scratch();
    fs::create_dir_all(out.join("app")).expect("mkdir");
    fs::write(out.join("app/main.py"), "someone else's\n").expect("write");
    fs::write(out.join("data.csv"), "1,2\n").expect("write");
    let before = tree(&out);
    let error = emit::write(&out, &project(), &KEEP).expect_err("refused");
    assert!(matches!(error, EmitError::NotEmpty { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("`{}`", out.display())) && message.contains("--force"), "{message}");
    assert_eq!(tree(&out), before, "nothing written");

    let report = emit::write(&out, &project(), &FORCE).expect("forced");
    assert_eq!(report.overwritten.len(), 1);
    assert_eq!((report.overwritten[0].path.as_str(), report.overwritten[0].kind), ("app/main.py", ConflictKind::NotGenerated));
    assert_eq!(read(&out, "app/main.py"), "# generated\napp = 1\n");
    assert_eq!(read(&out, "data.csv"), "1,2\n", "files backbone does not generate are kept");
}

#[test]
fn a_file_the_user_put_where_a_new_generated_file_goes_is_protected() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::write(out.join("app/models/post.py"), "my own module\n").expect("write");
    let mut next = project();
    next.generated("app/models/post.py", "# generated\n".to_owned());
    let error = emit::write(&out, &next, &KEEP).expect_err("refused");
    let EmitError::Conflicts { conflicts, .. } = &error else { panic!("{error:?}") };
    assert_eq!(conflicts[0].kind, ConflictKind::NotGenerated);
    assert_eq!(read(&out, "app/models/post.py"), "my own module\n");
}

#[test]
fn a_file_where_a_generated_directory_goes_is_protected() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::remove_dir_all(out.join("app/models")).expect("rm");
    fs::write(out.join("app/models"), "not a directory\n").expect("write");
    let error = emit::write(&out, &project(), &KEEP).expect_err("refused");
    let EmitError::Conflicts { conflicts, .. } = &error else { panic!("{error:?}") };
    assert_eq!((conflicts[0].path.as_str(), conflicts[0].kind), ("app/models", ConflictKind::NotADirectory));
    emit::write(&out, &project(), &FORCE).expect("forced");
    assert!(out.join("app/models/user.py").is_file());
}

#[test]
fn a_generated_file_can_become_a_generated_directory() {
    let (_dir, out) = scratch();
    emit::write(&out, &file_set(&[("app/models", "# was a file\n")], &[]), &KEEP).expect("write");
    let report = emit::write(&out, &project(), &KEEP).expect("the old file is an orphan, not a conflict");
    assert_eq!(report.removed, ["app/models"]);
    assert!(out.join("app/models/user.py").is_file());
}

#[test]
fn the_users_files_survive_regeneration_as_the_same_inodes() {
    let (_dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::create_dir_all(out.join(".venv/lib/site")).expect("mkdir");
    fs::write(out.join(".venv/lib/x"), "binary-ish\n").expect("write");
    fs::write(out.join(".venv/lib/site/y"), "y\n").expect("write");
    fs::create_dir_all(out.join(".git/refs")).expect("mkdir");
    fs::create_dir(out.join("empty")).expect("mkdir");
    fs::write(out.join("notes.txt"), "remember\n").expect("write");
    fs::write(out.join("app/extra.py"), "# my module\n").expect("write");
    std::os::unix::fs::symlink("notes.txt", out.join("link-to-notes")).expect("symlink");
    fs::create_dir(out.join("readonly")).expect("mkdir");
    fs::write(out.join("readonly/kept"), "kept\n").expect("write");
    fs::set_permissions(out.join("readonly"), fs::Permissions::from_mode(0o555)).expect("chmod");
    fs::set_permissions(out.join("notes.txt"), fs::Permissions::from_mode(0o600)).expect("chmod");
    let inodes: Vec<(&str, u64)> = [".venv/lib/x", ".venv/lib/site/y", "notes.txt", "app/extra.py", "readonly/kept", "app/hooks.py"]
        .into_iter()
        .map(|path| (path, fs::symlink_metadata(out.join(path)).expect("metadata").ino()))
        .collect();
    let before = tree(&out);

    let mut next = project();
    next.generated("app/main.py", "# generated\napp = 3\n".to_owned());
    emit::write(&out, &next, &KEEP).expect("regenerate");

    for (path, inode) in inodes {
        assert_eq!(fs::symlink_metadata(out.join(path)).expect("metadata").ino(), inode, "{path} is the same file");
    }
    let after = tree(&out);
    for (path, node) in &before {
        if path != "app/main.py" && path != MANIFEST_PATH {
            assert_eq!(after.get(path), Some(node), "{path} is unchanged");
        }
    }
    assert_eq!(after.len(), before.len());
    assert_eq!(read(&out, "app/main.py"), "# generated\napp = 3\n");
    assert!(siblings(&out).is_empty(), "the old tree is removed: {:?}", siblings(&out));
    // Let the temporary directory be cleaned up.
    fs::set_permissions(out.join("readonly"), fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn a_link_to_a_directory_generates_into_that_directory() {
    let (dir, _) = scratch();
    let real = dir.path().join("real");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    fs::create_dir(&real).expect("mkdir");
    emit::write(&link, &project(), &KEEP).expect("write");
    assert!(fs::symlink_metadata(&link).expect("metadata").is_symlink(), "the link stays a link");
    assert_eq!(read(&real, "app/main.py"), "# generated\napp = 1\n");
    assert!(emit::compare(&link, &project()).expect("check").is_clean());
}

// ---------------------------------------------------------------------------------
// refusals and errors

#[test]
fn bad_paths_in_a_file_set_are_bugs() {
    for bad in ["../escape.py", "/etc/passwd", "a//b", "./a", ".backbone/manifest.json", ""] {
        let (_dir, out) = scratch();
        let files = file_set(&[(bad, "x")], &[]);
        let error = emit::write(&out, &files, &KEEP).expect_err(bad);
        assert!(matches!(error, EmitError::BadPath { .. }), "{bad}: {error:?}");
        assert!(!error.is_refusal());
        assert!(!out.exists(), "{bad}: nothing written");
    }
    let (_dir, out) = scratch();
    // `a-b` sorts between `a` and `a/c`.
    let files = file_set(&[("a", "x"), ("a-b", "y"), ("a/c", "z")], &[]);
    assert!(matches!(emit::write(&out, &files, &KEEP), Err(EmitError::BadPath { .. })));
}

#[test]
fn a_bad_manifest_is_refused() {
    for (text, reason) in [("not json", "expected"), (r#"{"files": {"../x": {"sha256": "", "owner": "backbone"}}}"#, "`../x`")] {
        let (_dir, out) = scratch();
        fs::create_dir_all(out.join(".backbone")).expect("mkdir");
        fs::write(out.join(MANIFEST_PATH), text).expect("write");
        let error = emit::write(&out, &project(), &KEEP).expect_err("refused");
        assert!(matches!(error, EmitError::BadManifest { .. }) && error.is_refusal(), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("manifest.json") && message.contains(reason) && message.contains("--force"), "{message}");
        assert!(emit::compare(&out, &project()).is_err());
    }
}

#[test]
fn an_output_that_is_a_file_is_refused() {
    let (dir, _) = scratch();
    let file = dir.path().join("file");
    fs::write(&file, "x").expect("write");
    let error = emit::write(&file, &project(), &KEEP).expect_err("refused");
    assert!(matches!(error, EmitError::BadOutput { .. }), "{error:?}");
    assert!(error.to_string().contains("not a directory"), "{error}");
    assert!(emit::compare(&file, &project()).is_err());
}

#[test]
fn io_errors_name_the_path() {
    let (dir, _) = scratch();
    let file = dir.path().join("file");
    fs::write(&file, "x").expect("write");
    let error = emit::write(&file.join("out"), &project(), &KEEP).expect_err("a file is in the way");
    assert!(matches!(error, EmitError::Io { .. }) && !error.is_refusal(), "{error:?}");
    assert!(error.to_string().contains(&file.display().to_string()), "{error}");
}

#[test]
fn check_of_a_missing_directory_lists_everything_as_missing() {
    let (_dir, out) = scratch();
    let report = emit::compare(&out, &project()).expect("check");
    let lines: Vec<String> = report.differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        ["missing: .backbone/manifest.json", "missing: README.md", "missing: app/hooks.py (user file)", "missing: app/main.py", "missing: app/models/user.py"]
    );
    assert!(!out.exists(), "check writes nothing");
}

// ---------------------------------------------------------------------------------
// leftovers of runs of an earlier backbone, which swapped whole trees

#[test]
fn leftovers_of_dead_runs_are_removed_and_live_ones_kept() {
    let (dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    let dead = dir.path().join(format!(".out.backbone-tmp-{}", dead_pid()));
    fs::create_dir_all(dead.join("app")).expect("mkdir");
    fs::write(dead.join("app/half.py"), "half").expect("write");
    // Process 1 always runs.
    let live = dir.path().join(".out.backbone-tmp-1");
    fs::create_dir(&live).expect("mkdir");
    emit::write(&out, &project(), &KEEP).expect("write");
    assert!(!dead.exists(), "a dead run's temporary tree is removed");
    assert!(live.exists(), "a live run's temporary tree is kept");
}

#[test]
fn an_output_moved_aside_by_a_dead_run_is_put_back() {
    let (dir, out) = scratch();
    emit::write(&out, &project(), &KEEP).expect("write");
    fs::write(out.join("notes.txt"), "mine\n").expect("write");
    // The rename fallback died between its two renames: OUT is aside, the new tree half done.
    let pid = dead_pid();
    fs::rename(&out, dir.path().join(format!(".out.backbone-old-{pid}"))).expect("move aside");
    fs::create_dir(dir.path().join(format!(".out.backbone-tmp-{pid}"))).expect("mkdir");
    emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(read(&out, "notes.txt"), "mine\n", "the previous tree came back, with the user's files");
    assert!(siblings(&out).is_empty(), "{:?}", siblings(&out));
}

// ---------------------------------------------------------------------------------
// the binary

fn backbone(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backbone")).args(args).stdin(Stdio::null()).output().expect("run backbone")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A valid two-table document; `tables` = 1 drops the second table.
fn document(tables: usize) -> String {
    let second = r#",
    {"table_name": "posts", "class_name": "Post", "columns": [
      {"name": "id", "type": "Integer", "primary_key": true},
      {"name": "title", "type": "String", "length": 80, "nullable": false}
    ]}"#;
    format!(
        r#"{{"project_name": "blog", "db_type": "sqlite", "schema": [
    {{"table_name": "users", "class_name": "User", "columns": [
      {{"name": "id", "type": "Integer", "primary_key": true}},
      {{"name": "email", "type": "String", "length": 200, "unique": true, "nullable": false}}
    ]}}{}
  ]}}
"#,
        if tables > 1 { second } else { "" }
    )
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

#[test]
fn generate_then_check_follows_edits_removals_and_orphans() {
    let (dir, out) = scratch();
    let (one, two) = (dir.path().join("one.json"), dir.path().join("two.json"));
    fs::write(&one, document(1)).expect("write");
    fs::write(&two, document(2)).expect("write");
    let (one, two, out_arg) = (path_str(&one), path_str(&two), path_str(&out));

    let generated = backbone(&["generate", two, "-o", out_arg]);
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated.stderr));
    let stderr = text(&generated.stderr);
    assert!(stderr.starts_with("generated ") && stderr.contains(&format!(" in {out_arg}")), "{stderr}");

    let check = backbone(&["generate", two, "-o", out_arg, "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}{}", text(&check.stdout), text(&check.stderr));
    assert!(check.stdout.is_empty());

    // Edit a generated file.
    let manifest: serde_json::Value = serde_json::from_str(&read(&out, MANIFEST_PATH)).expect("manifest");
    let files = manifest["files"].as_object().expect("files");
    let (victim, _) = files
        .iter()
        .find(|(path, entry)| entry["owner"] == "backbone" && Path::new(path).extension().is_some_and(|extension| extension == "py"))
        .expect("a generated .py file");
    let original = read(&out, victim);
    fs::write(out.join(victim), format!("{original}# edited\n")).expect("edit");
    let check = backbone(&["generate", two, "-o", out_arg, "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(text(&check.stdout), format!("changed: {victim}\n"));
    assert!(text(&check.stderr).contains("out of date"), "{}", text(&check.stderr));

    // Regenerating refuses, names the file, writes nothing.
    let refused = backbone(&["generate", two, "-o", out_arg]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains(victim.as_str()) && stderr.contains("--force"), "{stderr}");
    assert!(read(&out, victim).ends_with("# edited\n"));
    let forced = backbone(&["generate", two, "-o", out_arg, "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert!(text(&forced.stderr).contains(&format!("overwritten (--force): {victim}")), "{}", text(&forced.stderr));
    assert_eq!(read(&out, victim), original);

    // Remove one.
    fs::remove_file(out.join(victim)).expect("remove");
    let check = backbone(&["generate", two, "-o", out_arg, "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(text(&check.stdout), format!("missing: {victim}\n"));
    assert_eq!(backbone(&["generate", two, "-o", out_arg]).status.code(), Some(0));

    // A schema with one table fewer: the other table's files are orphans.
    let check = backbone(&["generate", one, "-o", out_arg, "--check"]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = text(&check.stdout);
    assert!(!stdout.is_empty() && stdout.lines().all(|line| line.starts_with("orphaned: ") || line.starts_with("changed: ")), "{stdout}");
    assert!(stdout.lines().any(|line| line.starts_with("orphaned: ") && line.contains("post")), "{stdout}");
    assert_eq!(backbone(&["generate", one, "-o", out_arg]).status.code(), Some(0));
    assert_eq!(backbone(&["generate", one, "-o", out_arg, "--check"]).status.code(), Some(0));
}

#[test]
fn an_invalid_schema_writes_nothing() {
    let (dir, out) = scratch();
    let invalid = dir.path().join("invalid.json");
    fs::write(&invalid, r#"{"project_name": "x", "db_type": "postgres", "schema": []}"#).expect("write");
    let result = backbone(&["generate", path_str(&invalid), "-o", path_str(&out)]);
    assert_eq!(result.status.code(), Some(1));
    assert!(text(&result.stderr).contains("invalid"), "{}", text(&result.stderr));
    assert!(!out.exists(), "nothing written");
    assert!(siblings(&out).is_empty());

    // Over an existing output, too.
    let valid = dir.path().join("valid.json");
    fs::write(&valid, document(2)).expect("write");
    assert_eq!(backbone(&["generate", path_str(&valid), "-o", path_str(&out)]).status.code(), Some(0));
    let before = tree(&out);
    let result = backbone(&["generate", path_str(&invalid), "-o", path_str(&out)]);
    assert_eq!(result.status.code(), Some(1));
    assert_eq!(tree(&out), before);
}

#[test]
fn generate_refusals_exit_1_and_io_errors_exit_2() {
    let (dir, out) = scratch();
    let valid = dir.path().join("valid.json");
    fs::write(&valid, document(1)).expect("write");
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("mine.txt"), "x").expect("write");
    let refused = backbone(&["generate", path_str(&valid), "-o", path_str(&out)]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).starts_with("error: ") && text(&refused.stderr).contains("--force"), "{}", text(&refused.stderr));

    let blocked = valid.join("out");
    let failed = backbone(&["generate", path_str(&valid), "-o", path_str(&blocked)]);
    assert_eq!(failed.status.code(), Some(2), "{}", text(&failed.stderr));
    assert!(text(&failed.stderr).starts_with("error: cannot "), "{}", text(&failed.stderr));

    let missing = backbone(&["generate", path_str(&dir.path().join("nope.json")), "-o", path_str(&out)]);
    assert_eq!(missing.status.code(), Some(2));

    let both = backbone(&["generate", path_str(&valid), "-o", path_str(&out), "--check", "--force"]);
    assert_eq!(both.status.code(), Some(2), "--check and --force exclude each other");
}

#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let (dir, out) = scratch();
    let large = dir.path().join("large.json");
    fs::write(&large, synthetic::document(400)).expect("write");
    let piped = backbone(&["generate", path_str(&large), "-o", path_str(&out)]);
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));
    let stderr = text(&piped.stderr);
    assert!(!stderr.contains('\r') && !stderr.contains('\u{1b}'), "no progress drawing into a pipe: {stderr:?}");
    assert!(stderr.starts_with("generated "), "{stderr:?}");

    // `script` (util-linux) gives the binary a terminal; where it is missing, the terminal
    // half cannot be checked on this machine.
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        return;
    }
    let log = dir.path().join("terminal.log");
    let command = format!("{} generate {} -o {} --force", env!("CARGO_BIN_EXE_backbone"), path_str(&large), path_str(&dir.path().join("tty-out")));
    let status = Command::new(script).args(["-qec", &command, path_str(&log)]).stdin(Stdio::null()).stdout(Stdio::null()).status().expect("run script");
    assert!(status.success());
    let drawn = fs::read_to_string(&log).expect("the terminal log");
    let steps = ["rendering 400 tables", "checking the generated Python", "writing "];
    assert!(steps.iter().any(|step| drawn.contains(step)), "a progress bar on the terminal: {drawn:?}");
    assert!(drawn.contains("generated "), "{drawn:?}");
}

// ---------------------------------------------------------------------------------
// in place: OUT stays the same directory, only what changed is written

/// Inode and modification time (seconds, nanoseconds) of every entry of a tree: what a
/// watcher sees.
type Stamps = BTreeMap<String, (u64, i64, i64)>;

fn stamps(root: &Path) -> Stamps {
    tree(root)
        .into_keys()
        .map(|path| {
            let metadata = fs::symlink_metadata(root.join(&path)).expect("metadata");
            (path, (metadata.ino(), metadata.mtime(), metadata.mtime_nsec()))
        })
        .collect()
}

/// What runs left inside OUT: temporary files and the journal.
fn run_leftovers(out: &Path) -> Vec<String> {
    tree(out).into_keys().filter(|path| path.contains(".backbone-tmp-") || path == JOURNAL_PATH).collect()
}

/// `document(2)` with the `posts` table changed.
fn document_with_other_posts() -> String {
    document(2).replace("\"length\": 80", "\"length\": 99")
}

/// OUT generated from the two-table document, and a copy of the document in which one
/// table (`posts`) changed.
fn generated_then_changed() -> (TempDir, PathBuf, PathBuf) {
    let (dir, out) = scratch();
    let (before, after) = (dir.path().join("before.json"), dir.path().join("after.json"));
    fs::write(&before, document(2)).expect("write");
    fs::write(&after, document_with_other_posts()).expect("write");
    generate_fully(&before, &out);
    (dir, out, after)
}

#[test]
fn a_shell_inside_out_keeps_working_there_after_generate_dash_o_dot() {
    let (_dir, out, after) = generated_then_changed();
    let inode = fs::metadata(&out).expect("metadata").ino();
    // One shell: regenerate into `.`, then go on reading through the same working directory.
    let script = format!("{} generate {} -o . && pwd -P && ls -A && cat app/models/posts.py", env!("CARGO_BIN_EXE_backbone"), path_str(&after));
    let shell = Command::new("sh").args(["-c", &script]).current_dir(&out).stdin(Stdio::null()).output().expect("run sh");
    assert!(shell.status.success(), "{}", text(&shell.stderr));
    let stdout = text(&shell.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first().copied(), Some(path_str(&fs::canonicalize(&out).expect("canonical"))), "the working directory still exists: {stdout}");
    for entry in [".backbone", "app", "README.md", "pyproject.toml"] {
        assert!(lines.contains(&entry), "`ls -A` inside OUT lists {entry}: {stdout}");
    }
    assert!(stdout.contains("99"), "the new model is read through the old working directory: {stdout}");
    assert_eq!(fs::metadata(&out).expect("metadata").ino(), inode, "OUT is the same directory");
}

#[test]
fn changing_one_table_rewrites_only_the_files_that_change() {
    let (dir, out, after) = generated_then_changed();
    let fresh = dir.path().join("fresh");
    generate_fully(&after, &fresh);
    let (old_tree, new_tree) = (tree(&out), tree(&fresh));
    let old_stamps = stamps(&out);
    generate_fully(&after, &out);
    assert_eq!(tree(&out), new_tree, "the same output as a fresh run");
    let new_stamps = stamps(&out);
    let mut rewritten = Vec::new();
    for (path, node) in &new_tree {
        if matches!(node, Node::Dir(_)) {
            continue;
        }
        if old_tree.get(path) == Some(node) {
            assert_eq!(new_stamps[path], old_stamps[path], "{path} did not change, so it keeps its inode and modification time");
        } else {
            assert_ne!(new_stamps[path].0, old_stamps[path].0, "{path} changed, so it is a new file");
            rewritten.push(path.as_str());
        }
    }
    assert!(rewritten.contains(&MANIFEST_PATH) && rewritten.contains(&"app/models/posts.py"), "{rewritten:?}");
    for untouched in ["app/models/users.py", "app/routes/users.py", "app/schemas/users.py", "tests/test_users.py", "app/main.py"] {
        assert!(!rewritten.contains(&untouched), "{untouched} is the other table's or lists no columns: {rewritten:?}");
    }
    assert!(run_leftovers(&out).is_empty(), "{:?}", run_leftovers(&out));
}

#[test]
fn an_unchanged_regeneration_touches_nothing() {
    let (dir, out) = scratch();
    let schema = dir.path().join("schema.json");
    fs::write(&schema, document(2)).expect("write");
    generate_fully(&schema, &out);
    let before = stamps(&out);
    generate_fully(&schema, &out);
    assert_eq!(stamps(&out), before, "no file, not even the manifest, and no directory changed");
    let check = backbone(&["generate", path_str(&schema), "-o", path_str(&out), "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stdout));
}

#[test]
fn dropping_a_table_removes_its_files_and_keeps_the_users() {
    let (dir, out) = scratch();
    let (two, one) = (dir.path().join("two.json"), dir.path().join("one.json"));
    fs::write(&two, document(2)).expect("write");
    fs::write(&one, document(1)).expect("write");
    generate_fully(&two, &out);
    fs::write(out.join("app/extensions.py"), "def register(app): ...\n").expect("edit the user file");
    fs::write(out.join("app/models/notes.txt"), "mine\n").expect("write");
    let users_model = fs::metadata(out.join("app/models/users.py")).expect("metadata").ino();
    let generated = backbone(&["generate", path_str(&one), "-o", path_str(&out)]);
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated.stderr));
    assert!(text(&generated.stderr).contains("obsolete files removed"), "{}", text(&generated.stderr));
    let remaining = tree(&out);
    assert!(remaining.keys().all(|path| !path.contains("posts")), "{:?}", remaining.keys().collect::<Vec<_>>());
    assert_eq!(read(&out, "app/extensions.py"), "def register(app): ...\n");
    assert_eq!(read(&out, "app/models/notes.txt"), "mine\n");
    assert_eq!(fs::metadata(out.join("app/models/users.py")).expect("metadata").ino(), users_model);
}

#[test]
fn orphans_take_the_directories_they_leave_empty_with_them() {
    let (_dir, out) = scratch();
    let with_reports = |extra: &[(&str, &str)]| {
        let mut files = project();
        for (path, contents) in extra {
            files.generated(*path, (*contents).to_owned());
        }
        files
    };
    let reports = [("app/reports/daily/summary.py", "# daily\n"), ("app/reports/weekly.py", "# weekly\n")];
    emit::write(&out, &with_reports(&reports), &KEEP).expect("write");
    let report = emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(report.removed, ["app/reports/daily/summary.py", "app/reports/weekly.py"]);
    assert!(!out.join("app/reports").exists(), "emptied directories are removed");
    assert!(out.join("app/models").is_dir(), "directories still needed stay");

    // A directory that holds something of the user's stays, with it.
    emit::write(&out, &with_reports(&reports), &KEEP).expect("write");
    fs::write(out.join("app/reports/mine.py"), "# mine\n").expect("write");
    emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(read(&out, "app/reports/mine.py"), "# mine\n");
    assert!(!out.join("app/reports/daily").exists());
}

#[test]
fn a_generated_directory_can_become_a_generated_file() {
    let (_dir, out) = scratch();
    emit::write(&out, &file_set(&[("app/models/user.py", "# user\n"), ("app/models/sub/post.py", "# post\n")], &[]), &KEEP).expect("write");
    let report = emit::write(&out, &file_set(&[("app/models", "# one module now\n")], &[]), &KEEP).expect("the directory holds only orphans");
    assert_eq!(report.removed, ["app/models/sub/post.py", "app/models/user.py"]);
    assert_eq!(read(&out, "app/models"), "# one module now\n");
    assert!(emit::compare(&out, &file_set(&[("app/models", "# one module now\n")], &[])).expect("compare").is_clean());

    // A directory holding a file of the user's is theirs: refused, then replaced with force.
    let (_dir, out) = scratch();
    emit::write(&out, &file_set(&[("app/models/user.py", "# user\n")], &[]), &KEEP).expect("write");
    fs::write(out.join("app/models/mine.py"), "# mine\n").expect("write");
    let error = emit::write(&out, &file_set(&[("app/models", "# module\n")], &[]), &KEEP).expect_err("refused");
    let EmitError::Conflicts { conflicts, .. } = &error else { panic!("{error:?}") };
    assert_eq!((conflicts[0].path.as_str(), conflicts[0].kind), ("app/models", ConflictKind::NotGenerated));
    assert_eq!(read(&out, "app/models/mine.py"), "# mine\n", "nothing written");
    assert_eq!(read(&out, "app/models/user.py"), "# user\n", "nothing removed");
    emit::write(&out, &file_set(&[("app/models", "# module\n")], &[]), &FORCE).expect("forced");
    assert_eq!(read(&out, "app/models"), "# module\n");
}

/// Every generated path (at most six, over three levels) with one of two contents, and a
/// user file; no file where another's directory goes.
fn file_sets() -> impl proptest::strategy::Strategy<Value = FileSet> {
    use proptest::prelude::*;
    const PATHS: [&str; 6] = ["a", "a/b", "a/b/c", "a/d", "e", "e/f"];
    proptest::collection::vec(0..3u8, PATHS.len()).prop_map(|choices| {
        let mut files = FileSet::new();
        for (path, choice) in PATHS.iter().zip(choices) {
            let inside_a_file = path.match_indices('/').any(|(idx, _)| files.get(&path[..idx]).is_some());
            if choice > 0 && !inside_a_file {
                files.generated(*path, format!("version {choice}\n"));
            }
        }
        files.user_owned("user.py", "# yours\n".to_owned());
        files
    })
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 64, failure_persistence: None, ..proptest::test_runner::Config::default() })]

    /// Any sequence of file sets, files turning into directories and back included: each
    /// write leaves exactly its files (no orphan, no empty directory), `compare` finds
    /// nothing, and a file whose contents stay keeps its inode.
    #[test]
    fn any_sequence_of_writes_leaves_exactly_the_last_file_set(sets in proptest::collection::vec(file_sets(), 1..5)) {
        let (_dir, out) = scratch();
        let mut previous: Option<(FileSet, Stamps)> = None;
        for files in sets {
            emit::write(&out, &files, &KEEP).expect("no conflict: nothing was edited");
            proptest::prop_assert!(emit::compare(&out, &files).expect("compare").is_clean());
            let now = tree(&out);
            let expected: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).chain([MANIFEST_PATH]).collect();
            let on_disk: Vec<&str> = now.iter().filter(|(_, node)| !matches!(node, Node::Dir(_))).map(|(path, _)| path.as_str()).collect();
            proptest::prop_assert_eq!(on_disk.iter().copied().collect::<std::collections::BTreeSet<_>>(), expected.iter().copied().collect());
            for (path, node) in &now {
                let holds_a_file = expected.iter().any(|file| file.starts_with(&format!("{path}/")));
                proptest::prop_assert!(!matches!(node, Node::Dir(_)) || holds_a_file, "{} is an empty directory left behind", path);
            }
            let stamps_now = stamps(&out);
            if let Some((before, before_stamps)) = &previous {
                for (path, file) in files.iter() {
                    if before.get(path).is_some_and(|old| old.contents == file.contents) {
                        proptest::prop_assert_eq!(stamps_now[path.as_str()], before_stamps[path.as_str()], "{} did not change", path);
                    }
                }
            }
            previous = Some((files, stamps_now));
        }
    }
}

// ---------------------------------------------------------------------------------
// one run at a time

#[test]
fn a_second_run_waits_for_the_one_holding_out() {
    let (_dir, out, after) = generated_then_changed();
    let old_tree = tree(&out);
    // This test plays the run in progress: it holds OUT's lock.
    let holder = fs::File::open(&out).expect("open OUT");
    rustix::fs::flock(&holder, rustix::fs::FlockOperation::LockExclusive).expect("lock OUT");
    let spawn = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_backbone"))
            .args(["generate", path_str(&after), "-o", path_str(&out)])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn backbone")
    };
    let (mut writer, mut comparer) = (spawn(&[]), spawn(&["--check"]));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(writer.try_wait().expect("try_wait").is_none(), "the second run waits");
    assert!(comparer.try_wait().expect("try_wait").is_none(), "--check waits too, so it never compares half a run");
    assert_eq!(tree(&out), old_tree, "and touches nothing meanwhile");
    drop(holder);
    let written = writer.wait_with_output().expect("wait");
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    let checked = comparer.wait_with_output().expect("wait");
    // The check ran before or after the write, never in the middle: all old or all new.
    match checked.status.code() {
        Some(0) => {}
        Some(1) => assert!(text(&checked.stdout).lines().all(|line| line.starts_with("changed: ")), "{}", text(&checked.stdout)),
        other => panic!("--check: {other:?} {}", text(&checked.stderr)),
    }
    assert_eq!(backbone(&["generate", path_str(&after), "-o", path_str(&out), "--check"]).status.code(), Some(0));
}

// ---------------------------------------------------------------------------------
// interrupted runs

/// The id of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

#[test]
fn a_half_updated_output_is_named_by_check_and_completed_by_the_next_run() {
    let (dir, out) = scratch();
    let (before, after) = (dir.path().join("before.json"), dir.path().join("after.json"));
    fs::write(&before, document(2)).expect("write");
    fs::write(&after, document_with_other_posts()).expect("write");
    let fresh = dir.path().join("fresh");
    generate_fully(&after, &fresh);
    generate_fully(&before, &out);
    // A run that stopped midway: two files new, the others and the manifest old, and a
    // temporary file beside its target.
    for done in ["app/models/posts.py", "app/schemas/posts.py"] {
        fs::copy(fresh.join(done), out.join(done)).expect("copy");
    }
    let temp = format!("tests/.test_posts.py.backbone-tmp-{}", dead_pid());
    fs::write(out.join(&temp), "half a file").expect("write");
    let check = backbone(&["generate", path_str(&after), "-o", path_str(&out), "--check"]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = text(&check.stdout);
    for line in ["changed: app/models/posts.py", "changed: app/schemas/posts.py"] {
        assert!(!stdout.contains(line), "{line} is already new: {stdout}");
    }
    for line in ["changed: tests/test_posts.py".to_owned(), "changed: migrations/versions/0001_initial.py".to_owned(), format!("leftover: {temp}")] {
        assert!(stdout.lines().any(|listed| listed == line), "{line} is named: {stdout}");
    }
    let completed = backbone(&["generate", path_str(&after), "-o", path_str(&out)]);
    assert_eq!(completed.status.code(), Some(0), "{}", text(&completed.stderr));
    assert_eq!(tree(&out), tree(&fresh));

    // Every file new but the manifest: the manifest is what --check names.
    generate_fully(&before, &out);
    let old_manifest = read(&out, MANIFEST_PATH);
    generate_fully(&after, &out);
    fs::write(out.join(MANIFEST_PATH), old_manifest).expect("write");
    let check = backbone(&["generate", path_str(&after), "-o", path_str(&out), "--check"]);
    assert_eq!((check.status.code(), text(&check.stdout)), (Some(1), format!("changed: {MANIFEST_PATH}\n")));
    generate_fully(&after, &out);
    assert_eq!(tree(&out), tree(&fresh));
}

/// Starts `generate` and kills it as soon as its journal appears, so mid-write. Returns
/// false when the run finished first.
fn kill_mid_write(schema: &Path, out: &Path) -> bool {
    let journal = out.join(JOURNAL_PATH);
    let mut child = Command::new(env!("CARGO_BIN_EXE_backbone"))
        .args(["generate", path_str(schema), "-o", path_str(out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn backbone");
    loop {
        if journal.exists() {
            let _ = child.kill();
            child.wait().expect("wait");
            return journal.exists();
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert!(status.success());
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn a_run_killed_mid_write_is_completed_by_the_next_run_whatever_its_schema() {
    let (dir, out) = scratch();
    let schemas: Vec<PathBuf> = (0..3)
        .map(|version| {
            let path = dir.path().join(format!("v{version}.json"));
            // Every table changes from one version to the next, and tables come and go.
            let document = synthetic::document(200 + 20 * version).replace("\"length\": 120", &format!("\"length\": {}", 100 + version));
            fs::write(&path, document).expect("write");
            path
        })
        .collect();
    generate_fully(&schemas[0], &out);
    fs::write(out.join("notes.txt"), "mine\n").expect("write");
    let mut killed = false;
    for _ in 0..5 {
        if kill_mid_write(&schemas[1], &out) {
            killed = true;
            break;
        }
        generate_fully(&schemas[0], &out);
    }
    assert!(killed, "no kill landed during a write");
    let check = backbone(&["generate", path_str(&schemas[1]), "-o", path_str(&out), "--check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stdout).lines().any(|line| line == format!("interrupted: {JOURNAL_PATH} (a run did not finish)")), "{}", text(&check.stdout));
    // Without --force: what the killed run wrote is known as backbone's from its journal.
    let next = backbone(&["generate", path_str(&schemas[2]), "-o", path_str(&out)]);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next.stderr));
    let fresh = dir.path().join("fresh");
    generate_fully(&schemas[2], &fresh);
    fs::write(fresh.join("notes.txt"), "mine\n").expect("write");
    assert_eq!(tree(&out), tree(&fresh), "the same as a run that was never interrupted");
}

/// A small deterministic generator, seeded from the clock; the seed is printed so a
/// failure can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A fraction in [0, 1).
    fn fraction(&mut self) -> f64 {
        f64::from(u32::try_from(self.next() >> 40).expect("24 bits")) / f64::from(1u32 << 24)
    }
}

/// Runs `generate` to completion and returns how long it took.
fn generate_fully(schema: &Path, out: &Path) -> Duration {
    let started = Instant::now();
    let result = backbone(&["generate", path_str(schema), "-o", path_str(out)]);
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    started.elapsed()
}

#[test]
fn a_run_killed_at_any_moment_leaves_each_file_old_or_new() {
    let (dir, out) = scratch();
    let tables = 300;
    let old_schema = dir.path().join("old.json");
    let new_schema = dir.path().join("new.json");
    fs::write(&old_schema, synthetic::document(tables)).expect("write");
    // Every table changes, and the new schema has more tables: the way back removes orphans.
    fs::write(&new_schema, synthetic::document(tables + 40).replace("\"length\": 120", "\"length\": 99")).expect("write");

    generate_fully(&old_schema, &out);
    // The user's environment: many files a run must not touch.
    for package in 0..40 {
        let dir = out.join(format!(".venv/lib/site-packages/pkg{package}"));
        fs::create_dir_all(&dir).expect("mkdir");
        for module in 0..25 {
            fs::write(dir.join(format!("m{module}.py")), format!("# {package}.{module}\n")).expect("write");
        }
    }
    fs::write(out.join("notes.txt"), "mine\n").expect("write");
    let old_tree = tree(&out);
    let mut duration = generate_fully(&new_schema, &out);
    let new_tree = tree(&out);
    assert_ne!(old_tree, new_tree);
    duration = duration.max(generate_fully(&old_schema, &out));
    assert_eq!(tree(&out), old_tree, "generating the old schema again restores the old tree exactly");

    let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let seed = (since_epoch.as_secs() << 32 ^ u64::from(since_epoch.subsec_nanos()) ^ u64::from(std::process::id())) | 1;
    let mut random = Random(seed);
    let (mut mid_write, mut finished, mut attempts) = (0, 0, 0);
    while attempts < 10 || (mid_write < 3 && attempts < 30) {
        attempts += 1;
        // Mostly the other schema than last time, sometimes the same one again.
        let (schema, target) = if random.fraction() < 0.5 { (&new_schema, &new_tree) } else { (&old_schema, &old_tree) };
        let delay = duration.mul_f64(0.1 + 1.1 * random.fraction());
        let mut child = Command::new(env!("CARGO_BIN_EXE_backbone"))
            .args(["generate", path_str(schema), "-o", path_str(&out)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn backbone");
        std::thread::sleep(delay);
        match child.try_wait().expect("try_wait") {
            Some(status) => {
                assert!(status.success(), "seed {seed}: a run after a killed one must succeed");
                finished += 1;
            }
            None => {
                let _ = child.kill();
                child.wait().expect("wait");
            }
        }
        let now = tree(&out);
        mid_write += usize::from(now.contains_key(JOURNAL_PATH));
        for (path, node) in &now {
            let is_leftover = path.contains(".backbone-tmp-") || path == JOURNAL_PATH;
            let known = old_tree.get(path) == Some(node) || new_tree.get(path) == Some(node);
            assert!(is_leftover || known, "seed {seed}: after a kill at {delay:?}, {path} is neither its old nor its new version");
        }
        for path in old_tree.keys().filter(|path| new_tree.contains_key(*path)) {
            assert!(now.contains_key(path), "seed {seed}: after a kill at {delay:?}, {path}, in both versions, is missing");
        }
        // --check tells a complete run from an interrupted one.
        let check = backbone(&["generate", path_str(schema), "-o", path_str(&out), "--check"]);
        assert_eq!(check.status.code(), Some(i32::from(now != *target)), "seed {seed}: {}", text(&check.stdout));
    }
    let tally = format!("seed {seed}: {attempts} runs, {mid_write} killed during a write, {finished} finished; a run takes {duration:?}");
    assert!(mid_write > 0, "{tally}: no kill landed during a write, so the test did not test anything");

    // The next run completes whatever was left.
    generate_fully(&new_schema, &out);
    assert_eq!(tree(&out), new_tree, "{tally}");
    assert!(run_leftovers(&out).is_empty(), "leftovers: {:?}", run_leftovers(&out));
}

#[test]
fn the_generated_extensions_module_is_the_users_to_keep() {
    let (dir, out) = scratch();
    let schema = dir.path().join("schema.json");
    std::fs::write(&schema, document(2)).expect("write the schema");
    let generate = |extra: &[&str]| {
        let mut args = vec!["generate", path_str(&schema), "-o", path_str(&out)];
        args.extend_from_slice(extra);
        backbone(&args)
    };
    assert!(generate(&[]).status.success());
    let extensions = out.join("app/extensions.py");
    assert!(read(&out, "app/extensions.py").starts_with("# This file is yours"));
    std::fs::write(&extensions, "def register(app):\n    app.title = 'mine'\n").expect("edit the user file");
    // Neither a regeneration nor --force touches it, and --check does not count it.
    assert!(generate(&[]).status.success());
    assert!(generate(&["--force"]).status.success());
    assert_eq!(read(&out, "app/extensions.py"), "def register(app):\n    app.title = 'mine'\n");
    let check = generate(&["--check"]);
    assert!(check.status.success(), "{}", text(&check.stdout));
}
