//! Names cannot break generated code: random valid documents whose every name comes
//! from what generated Python already uses (builtins, keywords, soft keywords, every name
//! a generated module imports, defines or reads, 63-character names) always render to
//! Python that parses and keeps the scope rules of `target::python::scopes`: no name a
//! scope binds is read there with another meaning. `tests/backend.rs::random_names` runs
//! some of the same documents through ruff, mypy and the three databases.

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

const DB_TYPES: [&str; 3] = ["postgresql", "mysql", "sqlite"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_names_render_to_python_that_parses_and_keeps_its_scopes(spec in random_names::document_spec(), db in 0..DB_TYPES.len()) {
        let document = random_names::document(pool(), &spec, DB_TYPES[db]);
        let source = Source::new("random.json", serde_json::to_string_pretty(&document).expect("serializable"));
        let compilation = compile(&source, &CompileOptions::default());
        let errors: Vec<String> = compilation
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .map(|diagnostic| format!("{} at {}: {}", diagnostic.code, diagnostic.pointer, diagnostic.message))
            .collect();
        prop_assert!(errors.is_empty(), "a valid document was rejected:\n{}\n{}", errors.join("\n"), source.text());
        let (schema, order) = compilation.valid_schema().expect("valid");
        let faults = python::verify::check(&python::render(schema, order).expect("the templates render"));
        prop_assert!(faults.is_empty(), "{faults:#?}\n{}", source.text());
    }
}

/// The pool holds what the issue names: every builtin, the soft keywords, the names
/// generated modules use, and 63-character names.
#[test]
fn the_pool_covers_builtins_keywords_and_generated_names() {
    let pool = pool();
    for name in python::scopes::BUILTINS.iter().chain(&["match", "case", "type", "_", "sa", "orm", "Field", "crud", "row", "session", "utcnow"]) {
        assert!(pool.iter().any(|candidate| candidate == name), "{name} is not in the pool");
    }
    assert!(pool.iter().any(|name| name.len() == 63));
}
