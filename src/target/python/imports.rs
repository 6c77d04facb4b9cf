//! The import block of a generated module, computed from the names the module uses and
//! laid out as ruff's isort rules (`I001`, ruff's defaults) order it: sections standard
//! library, third party, first party (`app`, `tests`), a blank line between them; in a
//! section, `import x` lines before `from x import …` lines, each sorted by module; the
//! names of a `from` import constants first, then classes, then the rest, each ignoring
//! case.

use std::collections::{BTreeMap, BTreeSet};

use super::layout;

/// The modules of the standard library that generated code imports.
const STDLIB: &[&str] = &["__future__", "collections", "datetime", "decimal", "functools", "json", "os", "typing"];

/// The packages of the generated project itself.
const FIRST_PARTY: &[&str] = &["app", "tests"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Stdlib,
    ThirdParty,
    FirstParty,
}

fn section(module: &str) -> Section {
    let root = module.split('.').next().unwrap_or(module);
    if STDLIB.contains(&root) {
        Section::Stdlib
    } else if FIRST_PARTY.contains(&root) {
        Section::FirstParty
    } else {
        Section::ThirdParty
    }
}

/// The names a module imports: whole modules (`import datetime`, `import sqlalchemy as
/// sa`) and names from modules (`from app.types import Str`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ImportSet {
    /// `import module` or, with an alias, `import module as alias`.
    modules: BTreeSet<(String, Option<&'static str>)>,
    /// `from module import name, …`.
    names: BTreeMap<String, BTreeSet<String>>,
}

impl ImportSet {
    /// Records `import module`.
    pub(super) fn module(&mut self, module: impl Into<String>) -> &mut Self {
        self.modules.insert((module.into(), None));
        self
    }

    /// Records `import module as alias`.
    pub(super) fn module_as(&mut self, module: impl Into<String>, alias: &'static str) -> &mut Self {
        self.modules.insert((module.into(), Some(alias)));
        self
    }

    /// Records `from module import name`.
    pub(super) fn name(&mut self, module: impl Into<String>, name: impl Into<String>) -> &mut Self {
        self.names.entry(module.into()).or_default().insert(name.into());
        self
    }

    /// Drops every import that `other` has too.
    pub(super) fn remove_all(&mut self, other: &ImportSet) {
        self.modules.retain(|module| !other.modules.contains(module));
        for (module, names) in &mut self.names {
            if let Some(theirs) = other.names.get(module) {
                names.retain(|name| !theirs.contains(name));
            }
        }
        self.names.retain(|_, names| !names.is_empty());
    }

    pub(super) fn is_empty(&self) -> bool {
        self.modules.is_empty() && self.names.is_empty()
    }

    /// The import block at `indent` (inside `if TYPE_CHECKING:`, say), each line laid out
    /// to fit.
    pub(super) fn render(&self, indent: usize) -> String {
        let pad = " ".repeat(indent);
        let mut sections: BTreeMap<Section, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for (module, alias) in &self.modules {
            let line = match alias {
                Some(alias) => format!("{pad}import {module} as {alias}"),
                None => format!("{pad}import {module}"),
            };
            sections.entry(section(module)).or_default().0.push(line);
        }
        for (module, names) in &self.names {
            let mut names: Vec<&str> = names.iter().map(String::as_str).collect();
            names.sort_by_key(|name| member_key(name));
            sections.entry(section(module)).or_default().1.push(layout::import_at(indent, module, &names));
        }
        let blocks: Vec<String> = sections.into_values().map(|(plain, from)| plain.into_iter().chain(from).collect::<Vec<_>>().join("\n")).collect();
        blocks.join("\n\n")
    }
}

/// isort's order of the names of one `from` import (`order-by-type`): constants
/// (`TYPE_CHECKING`), then classes (`Annotated`), then the rest (`utcnow`); by name
/// ignoring case within each.
fn member_key(name: &str) -> (u8, String, String) {
    let letters = name.chars().filter(char::is_ascii_alphabetic).count();
    let kind = if letters > 0 && name.len() > 1 && name.chars().all(|c| !c.is_ascii_lowercase()) {
        0
    } else if name.starts_with(|c: char| c.is_ascii_uppercase()) {
        1
    } else {
        2
    };
    (kind, name.to_ascii_lowercase(), name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_names_are_ordered_as_ruff_orders_them() {
        let mut imports = ImportSet::default();
        imports.name("app.db", "utcnow").name("app.db", "Base").name("app.db", "TABLE_OPTIONS").module("datetime").name("typing", "Any");
        imports.module_as("sqlalchemy", "sa").name("sqlalchemy", "orm").name("app.types", "Str").module("decimal");
        assert_eq!(
            imports.render(0),
            "import datetime\nimport decimal\nfrom typing import Any\n\nimport sqlalchemy as sa\nfrom sqlalchemy import orm\n\nfrom app.db import TABLE_OPTIONS, Base, utcnow\nfrom app.types import Str"
        );
    }
}
