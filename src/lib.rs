//! backbone: a compiler from a JSON description of a database to a runnable Python
//! backend.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! [`source`] → [`syntax`] (spanned JSON) → [`ir::lower`] (typed model, names resolved)
//! → [`order`] (build order, cycles) → [`check`] (semantic rules). [`compile`] runs it
//! all and never fails: every problem is a [`diagnostics::Diagnostic`]. [`generate()`]
//! goes on from there, the one path of the CLI and the daemon: the optional [`refine`]
//! pass, `check` again on the refined model, [`target`] rendering and verification, to a
//! [`target::FileSet`]; [`emit`] writes it.
//!
//! Invariant: nothing in the library prints except `cli`, and nothing touches the file
//! system except `cli` and `emit`.

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod diagram;
pub mod emit;
pub mod generate;
pub mod ir;
pub mod order;
pub mod plan;
pub mod refine;
pub mod serve;
pub mod source;
pub mod syntax;
pub mod target;

use diagnostics::{Code, Diagnostic, Diagnostics};
pub use generate::{GenerateOptions, Generation, generate};
use ir::Schema;
pub use ir::lower::Limits;
use order::BuildOrder;
use source::{JsonPointer, Origin, Source, Span};

/// Settings of one compilation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Caps on tables, columns and relationships; none by default.
    pub limits: Limits,
    /// The largest document accepted, in bytes; none by default.
    pub max_bytes: Option<usize>,
}

/// The result of compiling one document.
#[derive(Debug, Clone)]
pub struct Compilation {
    /// The lowered schema; `None` when the text is not a JSON document at all.
    pub schema: Option<Schema>,
    /// The build order of `schema`.
    pub build_order: Option<BuildOrder>,
    /// Every problem found, in source order.
    pub diagnostics: Diagnostics,
}

impl Compilation {
    /// True when no error was found: the schema may be rendered.
    pub fn is_valid(&self) -> bool {
        self.schema.is_some() && !self.diagnostics.has_errors()
    }

    /// The schema and its build order, when the document is valid.
    pub fn valid_schema(&self) -> Option<(&Schema, &BuildOrder)> {
        if self.is_valid() { self.schema.as_ref().zip(self.build_order.as_ref()) } else { None }
    }
}

/// Parses, lowers, checks and orders one document.
pub fn compile(source: &Source, options: &CompileOptions) -> Compilation {
    let mut diagnostics = Diagnostics::new();
    let root = Origin::new(JsonPointer::root(), Span::at(0));
    if let Some(max_bytes) = options.max_bytes.filter(|max| source.text().len() > *max) {
        diagnostics.push(
            Diagnostic::new(Code::LimitExceeded, &root, format!("the document is larger than the limit of {max_bytes} bytes"))
                .with_label("document too large")
                .with_help("split the document, or raise the limit"),
        );
        return Compilation { schema: None, build_order: None, diagnostics };
    }
    if let Some(offset) = source.invalid_utf8_at() {
        let origin = Origin::new(JsonPointer::root(), Span::new(offset, offset + 1));
        diagnostics.push(
            Diagnostic::new(Code::JsonSyntax, &origin, "the document is not valid UTF-8")
                .with_label("invalid byte sequence")
                .with_help("save the file as UTF-8; JSON text is UTF-8 (RFC 8259 §8.1)"),
        );
        return Compilation { schema: None, build_order: None, diagnostics };
    }
    let tree = match syntax::json::parse(source.text()) {
        Ok(tree) => tree,
        Err(error) => {
            let mut diagnostic = Diagnostic::new(Code::JsonSyntax, &Origin::new(JsonPointer::root(), error.span), error.message)
                .with_label(error.label)
                .with_optional_help(error.help);
            if let Some(opened) = error.opened_at {
                diagnostic = diagnostic.with_secondary(opened, "opened here");
            }
            diagnostics.push(diagnostic);
            return Compilation { schema: None, build_order: None, diagnostics };
        }
    };
    if !matches!(tree.kind, syntax::json::ValueKind::Object(_)) {
        diagnostics.push(
            Diagnostic::new(
                Code::JsonSyntax,
                &Origin::new(JsonPointer::root(), tree.span),
                format!("the document is {}, not a JSON object", tree.kind.describe()),
            )
            .with_label("expected `{`")
            .with_help("a backbone document is one JSON object: `{\"project_name\": …, \"db_type\": …, \"schema\": [ … ]}`"),
        );
        return Compilation { schema: None, build_order: None, diagnostics };
    }
    let schema = ir::lower::lower(&tree, &options.limits, &mut diagnostics);
    let build_order = BuildOrder::compute(&schema);
    check::check(&schema, &build_order, &mut diagnostics);
    ir::lower::name_subjects(&tree, &mut diagnostics);
    Compilation { schema: Some(schema), build_order: Some(build_order), diagnostics: diagnostics.sorted() }
}
