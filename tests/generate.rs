//! Every example → every file `backbone::generate` makes of it (what the CLI writes and
//! the daemon serves), one snapshot per file, plus a manifest of paths and sizes that
//! catches added and removed files. Review changes with `cargo insta review`.

use std::fmt::Write;
use std::path::Path;

use backbone::GenerateOptions;
use backbone::generate::Outcome;
use backbone::source::Source;
use backbone::target::{FileSet, python};
use backbone::{CompileOptions, compile};

fn examples() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/ exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_example_generates_the_snapshotted_tree() {
    for path in examples() {
        let stem = path.file_stem().and_then(|stem| stem.to_str()).expect("UTF-8 file name").to_owned();
        let source = Source::new(path.display().to_string(), std::fs::read_to_string(&path).expect("readable example"));
        let files = generated(&source);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(Path::new("../snapshots/generate").join(&stem));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&path);
        settings.bind(|| {
            let mut manifest = String::new();
            for (file_path, file) in files.iter() {
                let _ = writeln!(manifest, "{file_path} {}", file.contents.len());
                insta::assert_snapshot!(file_path.replace('/', "__"), file.contents);
            }
            insta::assert_snapshot!("MANIFEST", manifest);
        });
    }
}

/// The files `backbone::generate` makes of `source` (compiled, rendered and verified: what
/// `backbone generate` writes and the daemon serves).
fn generated(source: &Source) -> FileSet {
    match backbone::generate(source, &GenerateOptions::default()).outcome {
        Outcome::Generated(project) => project.files,
        other => panic!("{}: {other:?}", source.name()),
    }
}

/// Generates one example twice and checks both against each other and the parser.
#[test]
fn generation_is_deterministic_and_every_python_file_parses() {
    for path in examples() {
        let source = Source::new(path.display().to_string(), std::fs::read_to_string(&path).expect("readable example"));
        let files = generated(&source);
        assert_eq!(files, generated(&source), "{}", path.display());
        let faults = python::verify::check(&files);
        assert!(faults.is_empty(), "{}: {faults:?}", path.display());
    }
}

/// The builtins generated code reads are exactly those the target keeps attributes and
/// parameters from shadowing (`names::BUILTINS_READ`): a template that starts reading
/// another one must add it there.
#[test]
fn generated_code_reads_only_the_builtins_the_target_reserves() {
    let mut read = std::collections::BTreeSet::new();
    let documents = examples().into_iter().chain(["tests/backend/edge_cases.json", "tests/backend/hostile_names.json"].map(std::path::PathBuf::from));
    for path in documents {
        let source = Source::new(path.display().to_string(), std::fs::read_to_string(&path).expect("readable document"));
        let compilation = compile(&source, &CompileOptions::default());
        let (schema, order) = compilation.valid_schema().expect("valid document");
        for (file, contents) in python::render(schema, order).expect("the templates render").iter().filter(|(file, _)| python::verify::is_python(file)) {
            let parsed = ruff_python_parser::parse_module(&contents.contents).unwrap_or_else(|error| panic!("{file}: {error}"));
            read.extend(python::scopes::builtins_read(parsed.syntax()));
        }
    }
    let reserved: std::collections::BTreeSet<String> = python::names::BUILTINS_READ.iter().map(|name| (*name).to_owned()).collect();
    assert_eq!(read, reserved, "builtins read by generated code vs names::BUILTINS_READ");
}
