//! Generated Python is laid out right by construction: every generated module is a fixed
//! point of Ruff's formatter (the `ruff_python_formatter` crate, ruff's defaults,
//! Python 3.11), for every example and for random documents whose names come from what
//! generated code uses, up to 63 characters long. The printer lays out every module;
//! the formatter runs at generation time only on a module with a line too long to fit
//! (`target::python::render`), so this is the oracle that keeps the printer honest.

#[path = "support/random_names.rs"]
mod random_names;

use std::sync::OnceLock;

use backbone::source::Source;
use backbone::target::python;
use backbone::{CompileOptions, compile};
use proptest::prelude::*;

fn pool() -> &'static [String] {
    static POOL: OnceLock<Vec<String>> = OnceLock::new();
    POOL.get_or_init(random_names::pool)
}

/// The modules of the project generated from `text` that `ruff format` would change,
/// each with its first differing line as generated and as formatted.
fn unformatted(text: &str) -> Vec<String> {
    let source = Source::new("document.json", text.to_owned());
    let compilation = compile(&source, &CompileOptions::default());
    let (schema, order) = compilation.valid_schema().expect("a valid document");
    let options = ruff_python_formatter::PyFormatOptions::default().with_target_version(ruff_python_ast::PythonVersion::PY311);
    let mut faults = Vec::new();
    for (path, file) in python::render(schema, order).expect("the templates render").iter() {
        if !python::verify::is_python(path) {
            continue;
        }
        let formatted = ruff_python_formatter::format_module_source(&file.contents, options.clone()).expect("generated Python parses").into_code();
        if formatted != file.contents {
            let line = file.contents.lines().zip(formatted.lines()).position(|(generated, formatted)| generated != formatted).unwrap_or(0);
            faults.push(format!(
                "{path}:{}: generated {:?}, ruff format makes it {:?}",
                line + 1,
                file.contents.lines().nth(line).unwrap_or_default(),
                formatted.lines().nth(line).unwrap_or_default()
            ));
        }
    }
    faults
}

#[test]
fn every_example_is_generated_as_ruff_formats_it() {
    let mut documents: Vec<_> = std::fs::read_dir("examples").expect("examples/").map(|entry| entry.expect("an entry").path()).collect();
    documents.extend(["tests/backend/edge_cases.json", "tests/backend/hostile_names.json"].map(std::path::PathBuf::from));
    for path in documents.iter().filter(|path| path.extension().is_some_and(|extension| extension == "json")) {
        let faults = unformatted(&std::fs::read_to_string(path).expect("readable"));
        assert!(faults.is_empty(), "{}:\n{}", path.display(), faults.join("\n"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_names_are_generated_as_ruff_formats_them(spec in random_names::document_spec()) {
        let document = random_names::document(pool(), &spec, "postgresql");
        let text = serde_json::to_string_pretty(&document).expect("serializable");
        let faults = unformatted(&text);
        prop_assert!(faults.is_empty(), "{}\n{}", faults.join("\n"), text);
    }
}
