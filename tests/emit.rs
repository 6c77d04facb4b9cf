//! `emit` on real directories: fresh and repeated writes, the manifest, `check`, edited,
//! missing, orphaned and user-owned files, foreign directories, the user's own files
//! surviving as hard links, leftovers of dead runs, and atomicity under `kill -9` of the
//! real binary. Also `backbone generate` end to end: exit codes, `--check`, refusals.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use backbone::emit::{self, ConflictKind, DifferenceKind, EmitError, EmitOptions, MANIFEST_PATH};
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
    assert!(emit::check(&out, &project()).expect("check").is_clean());

    fs::write(out.join("app/main.py"), "# generated\napp = 2  # my fix\n").expect("edit");
    let report = emit::check(&out, &project()).expect("check");
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
    assert!(emit::check(&out, &project()).expect("check").is_clean());
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
    let report = emit::check(&out, &project()).expect("check");
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].to_string(), "missing: app/models/user.py");
    emit::write(&out, &project(), &KEEP).expect("a deletion is no conflict");
    assert!(emit::check(&out, &project()).expect("check").is_clean());
}

#[test]
fn a_file_the_schema_no_longer_produces_is_orphaned_then_removed() {
    let (_dir, out) = scratch();
    let mut older = project();
    older.generated("app/models/post.py", "# generated\nclass Post: ...\n".to_owned());
    emit::write(&out, &older, &KEEP).expect("write the older set");

    let report = emit::check(&out, &project()).expect("check");
    assert_eq!(report.differences.len(), 1);
    assert_eq!(report.differences[0].kind, DifferenceKind::Orphaned);
    assert_eq!(report.differences[0].to_string(), "orphaned: app/models/post.py");

    let report = emit::write(&out, &project(), &KEEP).expect("write");
    assert_eq!(report.removed, ["app/models/post.py"]);
    assert!(!out.join("app/models/post.py").exists());
    assert!(emit::check(&out, &project()).expect("check").is_clean());
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
    assert!(emit::check(&out, &project()).expect("check").is_clean(), "an edited user file is no difference");

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
    let report = emit::check(&out, &project()).expect("check");
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
    assert!(emit::check(&link, &project()).expect("check").is_clean());
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
        assert!(emit::check(&out, &project()).is_err());
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
    assert!(emit::check(&file, &project()).is_err());
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
    let report = emit::check(&out, &project()).expect("check");
    let lines: Vec<String> = report.differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        ["missing: .backbone/manifest.json", "missing: README.md", "missing: app/hooks.py (user file)", "missing: app/main.py", "missing: app/models/user.py"]
    );
    assert!(!out.exists(), "check writes nothing");
}

// ---------------------------------------------------------------------------------
// leftovers of dead runs

/// The id of a process that has exited.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    pid
}

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
// atomicity

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
fn a_run_killed_at_any_moment_leaves_the_old_tree_or_the_new_one() {
    let (dir, out) = scratch();
    let tables = 300;
    let old_schema = dir.path().join("old.json");
    let new_schema = dir.path().join("new.json");
    fs::write(&old_schema, synthetic::document(tables)).expect("write");
    // Every table changes, and the new schema has more tables: the way back removes orphans.
    fs::write(&new_schema, synthetic::document(tables + 40).replace("\"length\": 120", "\"length\": 99")).expect("write");

    generate_fully(&old_schema, &out);
    // The user's environment: many files that must come along every time.
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
    let (mut current_is_old, mut mid_write, mut completed, mut attempts) = (true, 0, 0, 0);
    while attempts < 12 || (mid_write < 3 && attempts < 40) {
        attempts += 1;
        let schema = if current_is_old { &new_schema } else { &old_schema };
        let delay = duration.mul_f64(0.1 + 1.1 * random.fraction());
        let mut child = Command::new(env!("CARGO_BIN_EXE_backbone"))
            .args(["generate", path_str(schema), "-o", path_str(&out)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn backbone");
        std::thread::sleep(delay);
        // SIGKILL; an error means the run had already finished.
        let _ = child.kill();
        child.wait().expect("wait");
        // The killed run's own temporary tree is still there: it died during a write.
        let own_suffix = format!("-{}", child.id());
        if siblings(&out).iter().any(|name| name.ends_with(&own_suffix)) {
            mid_write += 1;
        }
        let now = tree(&out);
        if now == old_tree {
            completed += usize::from(!current_is_old);
            current_is_old = true;
        } else if now == new_tree {
            completed += usize::from(current_is_old);
            current_is_old = false;
        } else {
            let differing: Vec<&String> = now.keys().chain(old_tree.keys()).filter(|path| now.get(*path) != old_tree.get(*path)).take(5).collect();
            panic!("seed {seed}: after a kill at {delay:?} OUT is neither the old nor the new tree; e.g. {differing:?}");
        }
    }
    let tally = format!("seed {seed}: {attempts} kills, {mid_write} during a write, {completed} runs finished; a run takes {duration:?}");
    assert!(mid_write > 0, "{tally}: no kill landed during a write, so the test did not test anything");

    // The next run cleans up after the killed ones.
    generate_fully(&new_schema, &out);
    assert_eq!(tree(&out), new_tree);
    assert!(siblings(&out).is_empty(), "leftovers: {:?}", siblings(&out));
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
