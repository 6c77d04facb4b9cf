//! The one path from a document to the files of its backend, shared by `backbone
//! generate` and `POST /api/v1/generate`: [`compile`](crate::compile) → the optional
//! refinement, applied to the IR → every rule of [`check`](crate::check) again on the
//! refined model → [`render`](crate::target::python::render) →
//! [`verify`](crate::target::python::verify). Writing (or zipping) the [`FileSet`] it
//! returns is the caller's.
//!
//! Invariants: no printing and no file I/O here (a recorded refinement comes parsed, a
//! live one through the caller's [`Propose`]); a refined model is rendered only when
//! `check` finds nothing in it the document did not have: an item that breaks a rule is
//! withdrawn as a rejection, and a break no item explains refuses the refinement whole;
//! a template or verification failure is a [`Fault`] (backbone's bug), never files.

use std::collections::BTreeSet;
use std::fmt;

use crate::diagnostics::{Code, Diagnostics};
use crate::ir::Schema;
use crate::order::BuildOrder;
use crate::refine::{self, Asked, Propose, Refinement, Review};
use crate::source::{JsonPointer, Source, Span};
use crate::target::FileSet;
use crate::target::python::{self, RenderError, verify::SyntaxFault};
use crate::{Compilation, CompileOptions};

/// Settings of one generation.
pub struct GenerateOptions<'a> {
    pub compile: CompileOptions,
    pub refinement: RefinementSource<'a>,
    /// Told each step as it starts, for a progress display; called from any thread.
    pub observe: &'a (dyn Fn(Step) + Sync),
}

impl Default for GenerateOptions<'_> {
    fn default() -> Self {
        Self { compile: CompileOptions::default(), refinement: RefinementSource::None, observe: &|_| {} }
    }
}

/// Where the refinement comes from, if there is one.
#[derive(Clone, Copy)]
pub enum RefinementSource<'a> {
    /// None: the model as the document writes it.
    None,
    /// One recorded earlier (`.backbone/refinements.json`, `generate --refinements FILE`),
    /// replayed offline: reviewed and checked like a fresh one.
    Recorded(&'a Refinement),
    /// One asked for once the document has compiled (`generate --refine`, `?refine=true`).
    Ask(&'a dyn Propose),
}

/// What [`generate`] is doing, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The document is valid; it has this many tables.
    Compiled { tables: usize },
    /// Rendering the project of this many tables.
    Rendering { tables: usize },
    /// Verifying this many Python modules; one [`Step::Verified`] follows for each.
    Verifying { modules: usize },
    /// One more module verified.
    Verified,
}

/// The result of one generation.
#[derive(Debug)]
pub struct Generation {
    /// Every diagnostic of the document as compiled, plus, for
    /// [`Outcome::RefinementRejected`], what the refined model broke.
    pub diagnostics: Diagnostics,
    pub outcome: Outcome,
}

/// How a generation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The document has errors, or is not a document: nothing was rendered.
    Invalid,
    /// No refinement could be obtained: the provider failed, or answered off the schema.
    RefineFailed(refine::Error),
    /// The refined model breaks rules the document keeps, and withdrawing the items
    /// they are about does not mend it (the new diagnostics are in
    /// [`Generation::diagnostics`]): the refinement is refused whole, nothing rendered.
    RefinementRejected(RefinementPass),
    /// The project, verified and ready to write.
    Generated(Project),
    /// A bug in backbone: nothing may be written.
    Fault(Fault),
}

/// A generated project.
#[derive(Debug)]
pub struct Project {
    /// Every file, the accepted refinement (`.backbone/refinements.json`) included.
    pub files: FileSet,
    pub tables: usize,
    pub refinement: Option<RefinementPass>,
}

/// What the refinement step did.
#[derive(Debug, Clone)]
pub struct RefinementPass {
    /// What was accepted (advice included), what was rejected and why.
    pub review: Review,
    /// The accepted refinement as saved (`.backbone/refinements.json`).
    pub saved: String,
    /// The proposal as asked for, with the provider's answer; `None` for a recorded one.
    pub asked: Option<Asked>,
}

/// A bug in backbone found while generating; the caller writes nothing (exit 2, HTTP 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A template failed to render.
    Render(RenderError),
    /// Generated Python that does not parse or breaks a scope rule, one per file.
    Verify(Vec<SyntaxFault>),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Render(error) => error.fmt(f),
            Fault::Verify(faults) => {
                f.write_str("the generated Python does not parse or breaks a scope rule")?;
                for fault in faults {
                    write!(f, "\n  {fault}")?;
                }
                Ok(())
            }
        }
    }
}

/// Compiles `source`, refines the model as `options` say and checks it again, renders
/// the Python project and verifies it.
pub fn generate(source: &Source, options: &GenerateOptions<'_>) -> Generation {
    let Compilation { schema, build_order, diagnostics } = crate::compile(source, &options.compile);
    let (Some(mut schema), Some(mut order)) = (schema, build_order) else {
        return Generation { diagnostics, outcome: Outcome::Invalid };
    };
    if diagnostics.has_errors() {
        return Generation { diagnostics, outcome: Outcome::Invalid };
    }
    let tables = schema.tables.len();
    (options.observe)(Step::Compiled { tables });
    let (proposal, asked) = match options.refinement {
        RefinementSource::None => (None, None),
        RefinementSource::Recorded(recorded) => (Some(recorded.clone()), None),
        RefinementSource::Ask(proposer) => match proposer.propose(&schema) {
            Ok(asked) => (Some(asked.refinement.clone()), Some(asked)),
            Err(error) => return Generation { diagnostics, outcome: Outcome::RefineFailed(error) },
        },
    };
    let mut refinement = None;
    if let Some(proposal) = proposal {
        match refine_checked(source, &schema, &proposal, asked, &diagnostics) {
            Checked::Applied { schema: refined, order: refined_order, pass } => {
                schema = refined;
                order = refined_order;
                refinement = Some(pass);
            }
            Checked::Refused { pass, broken } => {
                let diagnostics = merged(diagnostics, &broken);
                return Generation { diagnostics, outcome: Outcome::RefinementRejected(pass) };
            }
            Checked::Failed(error) => return Generation { diagnostics, outcome: Outcome::RefineFailed(error) },
        }
    }
    (options.observe)(Step::Rendering { tables });
    let rendered = python::render(&schema, &order);
    // The files stand alone: free the IR before parsing the output.
    drop((schema, order));
    let mut files = match rendered {
        Ok(files) => files,
        Err(error) => return Generation { diagnostics, outcome: Outcome::Fault(Fault::Render(error)) },
    };
    if let Some(pass) = &refinement {
        files.generated(crate::emit::REFINEMENTS_PATH, pass.saved.clone());
    }
    (options.observe)(Step::Verifying { modules: files.iter().filter(|(path, _)| python::verify::is_python(path)).count() });
    let faults = python::verify::check_observed(&files, &|| (options.observe)(Step::Verified));
    if !faults.is_empty() {
        return Generation { diagnostics, outcome: Outcome::Fault(Fault::Verify(faults)) };
    }
    Generation { diagnostics, outcome: Outcome::Generated(Project { files, tables, refinement }) }
}

/// A refinement reviewed, applied and checked again.
#[expect(clippy::large_enum_variant, reason = "one per generation, moved once")]
enum Checked {
    /// The refined model keeps every rule the document kept.
    Applied {
        schema: Schema,
        order: BuildOrder,
        pass: RefinementPass,
    },
    /// It breaks rules no withdrawn item explains: `broken` holds the new diagnostics.
    Refused {
        pass: RefinementPass,
        broken: Diagnostics,
    },
    Failed(refine::Error),
}

/// Reviews `proposal`, applies what passes, and runs every rule of `check` on the result.
/// An item that makes a rule fail there (an index that makes a `String(1000)` too long
/// for MariaDB) is withdrawn as a rejection naming the rule, and the rest applied again;
/// a new diagnostic no item explains refuses the refinement whole.
fn refine_checked(source: &Source, schema: &Schema, proposal: &Refinement, asked: Option<Asked>, before: &Diagnostics) -> Checked {
    let failed = |message: String, asked: Option<Asked>| {
        let answer = asked.and_then(|asked| asked.answer).map(Box::new);
        Checked::Failed(refine::Error::Answer { message, answer })
    };
    let refined = match refine::settle(schema, proposal) {
        Ok(refined) => refined,
        Err(message) => return failed(message, asked),
    };
    let (mut refined_schema, mut review, mut saved) = (refined.schema, refined.review, refined.saved);
    let mut order = BuildOrder::compute(&refined_schema);
    let mut broken = recheck(&refined_schema, &order, before);
    // Withdrawn from a copy: when some break is left unexplained, the refusal reports the
    // refinement as it was reviewed.
    let mut withdrawn = review.clone();
    if !broken.is_empty() && withdraw(&mut withdrawn, proposal, &refined_schema, &broken) {
        review = withdrawn;
        refined_schema = refine::apply(schema, &review.accepted);
        saved = match serde_json::to_string_pretty(&review.accepted) {
            Ok(text) => text + "\n",
            Err(error) => return failed(error.to_string(), asked),
        };
        order = BuildOrder::compute(&refined_schema);
        broken = recheck(&refined_schema, &order, before);
    }
    let pass = RefinementPass { review, saved, asked };
    if broken.is_empty() {
        return Checked::Applied { schema: refined_schema, order, pass };
    }
    Checked::Refused { broken: explained(source, &refined_schema, &pass.review, &broken), pass }
}

/// What every rule of `check` finds in the refined model that it did not find in the
/// document: what the refinement broke (or warns of).
fn recheck(refined: &Schema, order: &BuildOrder, before: &Diagnostics) -> Diagnostics {
    let mut found = Diagnostics::new();
    crate::check::check(refined, order, &mut found);
    let known: BTreeSet<(Code, &JsonPointer, Span)> = before.iter().map(|diagnostic| (diagnostic.code, &diagnostic.pointer, diagnostic.primary.span)).collect();
    let mut broken = Diagnostics::new();
    for diagnostic in found.iter().filter(|diagnostic| !known.contains(&(diagnostic.code, &diagnostic.pointer, diagnostic.primary.span))) {
        broken.push(diagnostic.clone());
    }
    broken
}

/// Withdraws from `review.accepted` the index and constraints of every column a
/// diagnostic of `broken` is about, each as a rejection naming the rule; false when some
/// diagnostic is about no such item (then the refinement cannot be saved in part).
fn withdraw(review: &mut Review, proposal: &Refinement, schema: &Schema, broken: &Diagnostics) -> bool {
    for diagnostic in broken {
        let Some((table, column)) = column_at(schema, &diagnostic.pointer) else { return false };
        let Some(accepted) = review.accepted.tables.iter_mut().find(|accepted| accepted.table == table) else { return false };
        let Some((table_idx, proposed_table)) = proposal.tables.iter().enumerate().find(|(_, proposed)| proposed.table == table) else { return false };
        let subject = Some(format!("{table}.{column}"));
        let reason = format!("the refined model breaks {}: {}", diagnostic.code.as_str(), diagnostic.message);
        let mut withdrawn = false;
        if let Some(at) = accepted.indexes.iter().position(|index| index.column == column) {
            accepted.indexes.remove(at);
            let index_idx = proposed_table.indexes.iter().position(|index| index.column == column).unwrap_or_default();
            review.rejected.push(refine::Rejection {
                at: format!("tables[{table_idx}].indexes[{index_idx}]"),
                subject: subject.clone(),
                message: reason.clone(),
            });
            withdrawn = true;
        }
        if let Some(proposed) = accepted.columns.iter_mut().find(|proposed| proposed.column == column)
            && (proposed.min_length.is_some()
                || proposed.max_length.is_some()
                || proposed.minimum.is_some()
                || proposed.maximum.is_some()
                || proposed.pattern.is_some()
                || !proposed.examples.is_empty())
        {
            *proposed = refine::document::ColumnRefinement { column: proposed.column.clone(), description: proposed.description.take(), ..Default::default() };
            let column_idx = proposed_table.columns.iter().position(|proposed| proposed.column == column).unwrap_or_default();
            review.rejected.push(refine::Rejection { at: format!("tables[{table_idx}].columns[{column_idx}]"), subject, message: reason });
            withdrawn = true;
        }
        if !withdrawn {
            return false;
        }
        accepted.columns.retain(|proposed| {
            proposed.description.is_some() || proposed != &refine::document::ColumnRefinement { column: proposed.column.clone(), ..Default::default() }
        });
    }
    review.accepted.tables.retain(|table| table.description.is_some() || !table.columns.is_empty() || !table.indexes.is_empty());
    true
}

/// The table and column names of the column at `pointer` (its object or its name).
fn column_at(schema: &Schema, pointer: &JsonPointer) -> Option<(String, String)> {
    schema.tables.iter().find_map(|table| {
        table
            .columns
            .iter()
            .find(|column| column.name_origin.pointer == *pointer || column.origin.pointer == *pointer)
            .map(|column| (table.name.as_str().to_owned(), column.name.as_str().to_owned()))
    })
}

/// `broken`, each diagnostic's help saying the refinement caused it and is refused, with
/// the subject its message starts with as `compile` words it.
fn explained(source: &Source, schema: &Schema, review: &Review, broken: &Diagnostics) -> Diagnostics {
    let mut explained = Diagnostics::new();
    for diagnostic in broken {
        let mut diagnostic = diagnostic.clone();
        let cause = match changed_by(schema, review, &diagnostic.pointer) {
            Some(changes) => format!("the refinement's {changes} caused this, so the whole refinement is refused"),
            None => "the refinement caused this, so the whole refinement is refused".to_owned(),
        };
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{cause}; leave it out of the refinement, or {help}"),
            None => format!("{cause}; leave it out of the refinement"),
        });
        explained.push(diagnostic);
    }
    if let Ok(tree) = crate::syntax::json::parse(source.text()) {
        crate::ir::lower::name_subjects(&tree, &mut explained);
    }
    explained
}

/// What the accepted refinement changed in the table or column at `pointer`, in words:
/// ``description on `books.title` ``.
fn changed_by(schema: &Schema, review: &Review, pointer: &JsonPointer) -> Option<String> {
    for table in &schema.tables {
        let Some(refined) = review.accepted.tables.iter().find(|refined| refined.table == table.name.as_str()) else { continue };
        for column in &table.columns {
            if column.name_origin.pointer != *pointer && column.origin.pointer != *pointer {
                continue;
            }
            let name = column.name.as_str();
            let mut changes = Vec::new();
            if refined.indexes.iter().any(|index| index.column == name) {
                changes.push("index");
            }
            if let Some(proposal) = refined.columns.iter().find(|proposal| proposal.column == name) {
                if proposal.description.is_some() {
                    changes.push("description");
                }
                let constrained = proposal.min_length.is_some()
                    || proposal.max_length.is_some()
                    || proposal.minimum.is_some()
                    || proposal.maximum.is_some()
                    || proposal.pattern.is_some()
                    || !proposal.examples.is_empty();
                if constrained {
                    changes.push("constraints");
                }
            }
            return (!changes.is_empty()).then(|| format!("{} on `{}.{name}`", changes.join(" and "), table.name));
        }
        if table.name_origin.pointer == *pointer || table.origin.pointer == *pointer {
            return Some(format!("changes to `{}`", table.name));
        }
    }
    None
}

/// `before` with `more` added, in source order.
fn merged(before: Diagnostics, more: &Diagnostics) -> Diagnostics {
    let mut all = before;
    for diagnostic in more {
        all.push(diagnostic.clone());
    }
    all.sorted()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostic;

    const NOTES: &str = r#"{"project_name": "notes", "db_type": "sqlite", "schema": [
      {"table_name": "notes", "class_name": "Note", "columns": [
        {"name": "id", "type": "Integer", "primary_key": true},
        {"name": "body", "type": "String", "length": 1000, "nullable": false}]}]}"#;

    fn notes() -> (Source, Schema) {
        let source = Source::new("notes.json", NOTES);
        let schema = crate::compile(&source, &CompileOptions::default()).schema.expect("a schema");
        (source, schema)
    }

    fn index_on_body() -> Refinement {
        serde_json::from_value(serde_json::json!({"tables": [{"table": "notes", "indexes": [{"column": "body"}]}]})).expect("a refinement")
    }

    #[test]
    fn an_index_that_breaks_a_rule_is_withdrawn_and_the_rest_applied() {
        let (source, schema) = notes();
        let Checked::Applied { schema: refined, pass, .. } = refine_checked(&source, &schema, &index_on_body(), None, &Diagnostics::new()) else {
            panic!("the refinement is applied without its index")
        };
        assert!(!refined.tables[0].columns[1].index);
        assert_eq!(pass.review.rejected.len(), 1);
        assert_eq!(pass.review.rejected[0].at, "tables[0].indexes[0]");
        assert!(pass.review.accepted.tables.is_empty(), "nothing else was proposed: {:?}", pass.review.accepted);
    }

    #[test]
    fn a_break_no_item_explains_refuses_the_refinement_whole() {
        let (source, schema) = notes();
        let review = refine::review(&schema, &index_on_body());
        // A diagnostic about the table, which no item of the refinement changes.
        let mut broken = Diagnostics::new();
        broken.push(Diagnostic::new(Code::IndexTooLong, &schema.tables[0].name_origin, "too long").with_help("shorten it"));
        let mut withdrawn = review.clone();
        assert!(!withdraw(&mut withdrawn, &index_on_body(), &schema, &broken));
        let explained = explained(&source, &schema, &review, &broken);
        let diagnostic = explained.iter().next().expect("one diagnostic");
        assert_eq!(diagnostic.message, "table `notes`: too long");
        assert_eq!(
            diagnostic.help.as_deref(),
            Some("the refinement's changes to `notes` caused this, so the whole refinement is refused; leave it out of the refinement, or shorten it")
        );
    }
}
