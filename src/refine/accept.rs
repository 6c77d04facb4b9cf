//! Checks a [`Refinement`] against the validated schema, item by item, and applies what
//! passes. An item that names an unknown table or column, contradicts its column's type,
//! holds an invalid regular expression or an example that breaks its own constraints is
//! rejected with a [`Rejection`] saying where and why; the rest is kept.
//!
//! Examples and bounds are judged by [`literal::interpret`], the function that judges
//! defaults: one definition of a date, a time, a timestamp and a decimal.
//!
//! Invariant: applying an accepted refinement only adds descriptions, constraints and
//! indexes. That is not proof the result is valid (an index can make a column break a
//! key rule), so [`crate::generate()`] runs every rule of `check` on it again and refuses
//! a refinement that breaks one.

use std::collections::BTreeSet;
use std::fmt;

use super::document::{Advice, ColumnRefinement, IndexSuggestion, Refinement, TableRefinement};
use crate::ir::literal::{self, DefaultValue, LiteralValue};
use crate::ir::{Column, ColumnSource, Constraints, Example, ScalarType, Schema, samples};

/// The longest description kept, in characters.
const MAX_DESCRIPTION: usize = 2_000;
/// The longest pattern kept, in characters; longer ones are more likely mistakes than rules.
const MAX_PATTERN: usize = 500;
/// The most examples kept per column.
const MAX_EXAMPLES: usize = 5;

/// One item of the answer that was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Where in the refinement, e.g. `tables[0].columns[2].pattern`.
    pub at: String,
    /// The table or `table.column` concerned, when known.
    pub subject: Option<String>,
    pub message: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Some(subject) => write!(f, "{} ({subject}): {}", self.at, self.message),
            None => write!(f, "{}: {}", self.at, self.message),
        }
    }
}

/// What survives the checks, and what did not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Review {
    /// The accepted items only; saving and replaying this gives the same result.
    pub accepted: Refinement,
    pub rejected: Vec<Rejection>,
}

/// Checks every item of `refinement` against `schema`.
pub fn review(schema: &Schema, refinement: &Refinement) -> Review {
    let mut review = Review::default();
    let mut seen_tables = BTreeSet::new();
    for (idx, table) in refinement.tables.iter().enumerate() {
        let at = format!("tables[{idx}]");
        let Some(table_id) = schema.table_named(&table.table) else {
            review.reject(&at, None, format!("there is no table `{}`{}", table.table, suggestion(&table.table, schema.tables.iter().map(|t| t.name.as_str()))));
            continue;
        };
        if !seen_tables.insert(table.table.clone()) {
            review.reject(&at, Some(table.table.clone()), "the table is refined twice; only the first entry is kept".to_owned());
            continue;
        }
        let columns = &schema.table(table_id).columns;
        let mut kept = TableRefinement { table: table.table.clone(), ..TableRefinement::default() };
        kept.description = description(&mut review, &format!("{at}.description"), &table.table, table.description.as_deref());
        let mut seen_columns = BTreeSet::new();
        for (column_idx, proposal) in table.columns.iter().enumerate() {
            let at = format!("{at}.columns[{column_idx}]");
            let subject = format!("{}.{}", table.table, proposal.column);
            let Some(column) = columns.iter().find(|column| column.name.as_str() == proposal.column) else {
                let names = columns.iter().map(|column| column.name.as_str());
                review.reject(&at, Some(table.table.clone()), format!("there is no column `{subject}`{}", suggestion(&proposal.column, names)));
                continue;
            };
            if !seen_columns.insert(proposal.column.clone()) {
                review.reject(&at, Some(subject), "the column is refined twice; only the first entry is kept".to_owned());
                continue;
            }
            if let Some(column) = review_column(&mut review, &at, &subject, column, proposal) {
                kept.columns.push(column);
            }
        }
        for (index_idx, index) in table.indexes.iter().enumerate() {
            let at = format!("{at}.indexes[{index_idx}]");
            let subject = format!("{}.{}", table.table, index.column);
            match columns.iter().find(|column| column.name.as_str() == index.column) {
                None => review.reject(&at, Some(table.table.clone()), format!("there is no column `{subject}` to index")),
                Some(column) if column.index || column.unique || column.primary_key => {
                    review.reject(&at, Some(subject), "the column is already indexed (index, unique or primary key)".to_owned());
                }
                Some(column) if matches!(column.ty, ScalarType::Text) => {
                    review.reject(&at, Some(subject), "a Text column cannot be indexed on MariaDB without a prefix length".to_owned());
                }
                Some(_) if kept.indexes.iter().any(|kept| kept.column == index.column) => {
                    review.reject(&at, Some(subject), "the index is suggested twice".to_owned());
                }
                Some(_) => kept.indexes.push(IndexSuggestion { column: index.column.clone(), reason: index.reason.clone() }),
            }
        }
        if kept.description.is_some() || !kept.columns.is_empty() || !kept.indexes.is_empty() {
            review.accepted.tables.push(kept);
        }
    }
    for (idx, advice) in refinement.advice.iter().enumerate() {
        review_advice(&mut review, &format!("advice[{idx}]"), schema, advice);
    }
    review
}

impl Review {
    fn reject(&mut self, at: &str, subject: Option<String>, message: String) {
        self.rejected.push(Rejection { at: at.to_owned(), subject, message });
    }
}

fn description(review: &mut Review, at: &str, subject: &str, text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    if text.chars().count() > MAX_DESCRIPTION {
        review.reject(at, Some(subject.to_owned()), format!("the description is longer than {MAX_DESCRIPTION} characters"));
        return None;
    }
    if text.contains('\0') {
        review.reject(at, Some(subject.to_owned()), "the description contains a NUL character".to_owned());
        return None;
    }
    Some(text.to_owned())
}

/// The accepted part of one column's proposal; `None` when nothing is left.
fn review_column(review: &mut Review, at: &str, subject: &str, column: &Column, proposal: &ColumnRefinement) -> Option<ColumnRefinement> {
    let mut kept = ColumnRefinement { column: proposal.column.clone(), ..ColumnRefinement::default() };
    kept.description = description(review, &format!("{at}.description"), subject, proposal.description.as_deref());
    let has_constraints = proposal.min_length.is_some()
        || proposal.max_length.is_some()
        || proposal.minimum.is_some()
        || proposal.maximum.is_some()
        || proposal.pattern.is_some()
        || !proposal.examples.is_empty();
    if has_constraints {
        if let Some(reason) = not_client_input(column) {
            review.reject(at, Some(subject.to_owned()), format!("constraints and examples are for values clients send; {reason}"));
        } else {
            let before = review.rejected.len();
            let constraints = review_constraints(review, at, subject, column, proposal);
            // A column's constraints stand or fall together: half a rule set is a different rule.
            if review.rejected.len() == before {
                kept.min_length = proposal.min_length;
                kept.max_length = proposal.max_length;
                kept.minimum.clone_from(&proposal.minimum);
                kept.maximum.clone_from(&proposal.maximum);
                kept.pattern.clone_from(&proposal.pattern);
                if !constraints.examples.is_empty() {
                    kept.examples.clone_from(&proposal.examples);
                }
            }
        }
    }
    let empty = ColumnRefinement { column: proposal.column.clone(), ..ColumnRefinement::default() };
    (kept != empty).then_some(kept)
}

/// Why clients never send this column's value, if they do not.
fn not_client_input(column: &Column) -> Option<&'static str> {
    if column.autoincrement {
        Some("this key is generated by the database")
    } else if column.foreign_key.is_some() {
        Some("a foreign key takes its values from the referenced key")
    } else if column.source != ColumnSource::Declared {
        Some("this column is set by the server (timestamps, soft delete)")
    } else {
        None
    }
}

/// Checks the constraints of one proposal against the column's type; returns them as
/// the IR holds them (with the examples converted).
fn review_constraints(review: &mut Review, at: &str, subject: &str, column: &Column, proposal: &ColumnRefinement) -> Constraints {
    let mut reject = |field: &str, message: String| review.reject(&format!("{at}.{field}"), Some(subject.to_owned()), message);
    let type_name = column.ty.name();
    let textual = matches!(column.ty, ScalarType::String { .. } | ScalarType::Text);
    let numeric = matches!(column.ty, ScalarType::Integer | ScalarType::Numeric { .. } | ScalarType::Float);
    let mut constraints = Constraints { min_length: proposal.min_length, max_length: proposal.max_length, ..Constraints::default() };
    for (field, value) in [("min_length", proposal.min_length), ("max_length", proposal.max_length)] {
        if value.is_some() && !textual {
            reject(field, format!("a length applies to String and Text columns, not {type_name}"));
        }
    }
    if let (Some(min), Some(max)) = (proposal.min_length, proposal.max_length)
        && min > max
    {
        reject("min_length", format!("min_length {min} is greater than max_length {max}"));
    }
    if let ScalarType::String { length } = column.ty {
        for (field, value) in [("min_length", proposal.min_length), ("max_length", proposal.max_length)] {
            if let Some(value) = value.filter(|value| *value > length) {
                reject(field, format!("{field} {value} is more than the column holds (String of length {length})"));
            }
        }
    }
    for (field, value) in [("minimum", &proposal.minimum), ("maximum", &proposal.maximum)] {
        let Some(value) = value else { continue };
        if !numeric {
            reject(field, format!("a bound applies to Integer, Numeric and Float columns, not {type_name}"));
            continue;
        }
        match bound(&column.ty, value) {
            Ok(text) => {
                if field == "minimum" {
                    constraints.minimum = Some(text);
                } else {
                    constraints.maximum = Some(text);
                }
            }
            Err(message) => reject(field, message),
        }
    }
    if let (Some(min), Some(max)) = (&proposal.minimum, &proposal.maximum)
        && min.as_f64().zip(max.as_f64()).is_some_and(|(min, max)| min > max)
    {
        reject("minimum", format!("minimum {min} is greater than maximum {max}"));
    }
    let mut regex = None;
    if let Some(pattern) = &proposal.pattern {
        if !textual {
            reject("pattern", format!("a pattern applies to String and Text columns, not {type_name}"));
        } else if pattern.chars().count() > MAX_PATTERN {
            reject("pattern", format!("the pattern is longer than {MAX_PATTERN} characters"));
        } else {
            match regex::RegexBuilder::new(pattern).size_limit(1 << 20).build() {
                Ok(compiled) => {
                    regex = Some(compiled);
                    constraints.pattern = Some(pattern.clone());
                }
                Err(error) => reject("pattern", format!("not a valid regular expression: {}", one_line(&error.to_string()))),
            }
        }
    }
    if textual && (constraints.pattern.is_some() || constraints.min_length.is_some()) && samples::valid_texts(&constraints, &column.ty, 1).is_empty() {
        reject("pattern", "no value within the length limits matches the pattern, so no row could be created; loosen one of them".to_owned());
    }
    if proposal.examples.len() > MAX_EXAMPLES {
        reject("examples", format!("at most {MAX_EXAMPLES} examples are kept; {} were given", proposal.examples.len()));
    }
    for (idx, value) in proposal.examples.iter().take(MAX_EXAMPLES).enumerate() {
        match example(&column.ty, value).and_then(|example| satisfies(&example, &constraints, regex.as_ref()).map(|()| example)) {
            Ok(example) => constraints.examples.push(example),
            Err(message) => reject(&format!("examples[{idx}]"), format!("example {value}: {message}")),
        }
    }
    constraints
}

/// A bound as the IR keeps it (decimal text), checked against the column's type by the
/// same [`literal::interpret`] that checks defaults.
fn bound(ty: &ScalarType, value: &serde_json::Number) -> Result<String, String> {
    match literal::interpret(ty, &LiteralValue::Number(value.to_string())) {
        Ok(DefaultValue::Integer(integer)) => Ok(integer.to_string()),
        Ok(DefaultValue::Decimal(plain)) => Ok(plain),
        Ok(_) => Ok(value.to_string()),
        Err(reason) => Err(format!("{value} does not fit {}: {reason}", type_label(ty))),
    }
}

/// The type as the format writes it, with its parameters, for messages.
fn type_label(ty: &ScalarType) -> String {
    match ty {
        ScalarType::String { length } => format!("String({length})"),
        ScalarType::Numeric { precision, scale } => format!("Numeric({precision}, {scale})"),
        other => other.name().to_owned(),
    }
}

/// An example value converted to the column's type: [`literal::interpret`] decides, as
/// for a default, so a refinement cannot bring in a value the document could not hold.
fn example(ty: &ScalarType, value: &serde_json::Value) -> Result<Example, String> {
    use serde_json::Value;
    let literal = match value {
        Value::Bool(flag) => LiteralValue::Bool(*flag),
        Value::Number(number) => LiteralValue::Number(number.to_string()),
        Value::String(text) => LiteralValue::String(text.clone()),
        Value::Null | Value::Array(_) | Value::Object(_) => return Err(format!("not a value of a {} column", ty.name())),
    };
    match literal::interpret(ty, &literal)? {
        DefaultValue::Integer(integer) => Ok(Example::Integer(integer)),
        DefaultValue::Decimal(plain) => Ok(Example::Number(plain)),
        DefaultValue::Float(_) => Ok(Example::Number(value.to_string())),
        DefaultValue::Boolean(flag) => Ok(Example::Boolean(flag)),
        DefaultValue::Text(text) | DefaultValue::Date(text) | DefaultValue::Time(text) | DefaultValue::DateTime(text) => Ok(Example::Text(text)),
        DefaultValue::Now => Err("`now` is a default, not a value a client sends".to_owned()),
    }
}

/// Whether an example keeps the constraints it comes with.
fn satisfies(example: &Example, constraints: &Constraints, pattern: Option<&regex::Regex>) -> Result<(), String> {
    if let Example::Text(text) = example {
        let length = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
        if constraints.min_length.is_some_and(|min| length < min) || constraints.max_length.is_some_and(|max| length > max) {
            return Err(format!("its length {length} breaks the proposed length limits"));
        }
        if text.contains('\0') {
            return Err("it contains a NUL character".to_owned());
        }
        if let Some(pattern) = pattern
            && !pattern.is_match(text)
        {
            return Err("it does not match the proposed pattern".to_owned());
        }
    }
    let number = match example {
        // Examples are 32-bit, which f64 holds exactly.
        Example::Integer(integer) => i32::try_from(*integer).ok().map(f64::from),
        Example::Number(text) => text.parse::<f64>().ok(),
        _ => None,
    };
    if let Some(number) = number {
        let below = constraints.minimum.as_deref().and_then(|min| min.parse::<f64>().ok()).is_some_and(|min| number < min);
        let above = constraints.maximum.as_deref().and_then(|max| max.parse::<f64>().ok()).is_some_and(|max| number > max);
        if below || above {
            return Err("it is outside the proposed bounds".to_owned());
        }
    }
    Ok(())
}

fn review_advice(review: &mut Review, at: &str, schema: &Schema, advice: &Advice) {
    let message = advice.message.trim();
    if message.is_empty() || message.chars().count() > MAX_DESCRIPTION {
        review.reject(at, None, format!("advice must be 1 to {MAX_DESCRIPTION} characters"));
        return;
    }
    if let Some(table) = &advice.table {
        let Some(table_id) = schema.table_named(table) else {
            review.reject(at, None, format!("the advice names no existing table (`{table}`)"));
            return;
        };
        if let Some(column) = &advice.column
            && schema.table(table_id).column_named(column).is_none()
        {
            review.reject(at, Some(table.clone()), format!("the advice names no existing column (`{table}.{column}`)"));
            return;
        }
    } else if advice.column.is_some() {
        review.reject(at, None, "advice about a column must name its table".to_owned());
        return;
    }
    review.accepted.advice.push(Advice { table: advice.table.clone(), column: advice.column.clone(), message: message.to_owned() });
}

/// ` (did you mean `x`?)` when a known name is close to `name`.
fn suggestion<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    known
        .map(|candidate| (strsim::levenshtein(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min()
        .map(|(_, candidate)| format!(" (did you mean `{candidate}`?)"))
        .unwrap_or_default()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `schema` with an accepted refinement applied: descriptions, constraints, indexes.
/// Items that no longer match (the refinement was saved for another schema) are skipped;
/// run [`review`] first to report them.
pub fn apply(schema: &Schema, accepted: &Refinement) -> Schema {
    let mut refined = schema.clone();
    for table in &accepted.tables {
        let Some(table_id) = refined.table_named(&table.table) else { continue };
        let target = &mut refined.tables[table_id.0];
        if let Some(description) = &table.description {
            target.description = Some(description.clone());
        }
        for proposal in &table.columns {
            let Some(column) = target.columns.iter_mut().find(|column| column.name.as_str() == proposal.column) else { continue };
            if let Some(description) = &proposal.description {
                column.description = Some(description.clone());
            }
            let mut scratch = Review::default();
            let constraints = review_constraints(&mut scratch, "", "", column, proposal);
            if scratch.rejected.is_empty() && not_client_input(column).is_none() {
                column.constraints = constraints;
            }
        }
        for index in &table.indexes {
            if let Some(column) = target.columns.iter_mut().find(|column| column.name.as_str() == index.column) {
                column.index = true;
            }
        }
    }
    refined
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;
    use crate::{CompileOptions, compile};

    fn library() -> Schema {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/library.json")).expect("the example");
        compile(&Source::new("library.json", text), &CompileOptions::default()).schema.expect("a schema")
    }

    fn column(table: &str, proposal: serde_json::Value) -> Refinement {
        let mut column: ColumnRefinement = serde_json::from_value(proposal).expect("a column refinement");
        if column.column.is_empty() {
            column.column = "title".to_owned();
        }
        Refinement { tables: vec![TableRefinement { table: table.to_owned(), columns: vec![column], ..TableRefinement::default() }], advice: Vec::new() }
    }

    fn messages(review: &Review) -> Vec<String> {
        review.rejected.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn constraints_that_contradict_the_column_are_rejected_whole() {
        let schema = library();
        for (proposal, expected) in [
            (serde_json::json!({"column": "title", "minimum": 3}), "a bound applies to Integer, Numeric and Float columns, not String"),
            (serde_json::json!({"column": "title", "min_length": 9, "max_length": 4}), "min_length 9 is greater than max_length 4"),
            (serde_json::json!({"column": "title", "pattern": "([a-z]"}), "not a valid regular expression"),
            (serde_json::json!({"column": "title", "pattern": "^(?=a)"}), "not a valid regular expression"),
            (serde_json::json!({"column": "title", "pattern": "^[a-z]{300}$"}), "no value within the length limits matches the pattern"),
            (serde_json::json!({"column": "title", "pattern": "^[a-z]+$", "examples": ["ABC"]}), "does not match the proposed pattern"),
            (serde_json::json!({"column": "price", "maximum": 1_000_000}), "does not fit Numeric(8, 2)"),
            (serde_json::json!({"column": "price", "minimum": 0.001}), "does not fit Numeric(8, 2)"),
            (serde_json::json!({"column": "id", "minimum": 1}), "this key is generated by the database"),
            (serde_json::json!({"column": "created_at", "description": "x", "examples": ["2024-01-01T00:00:00Z"]}), "set by the server"),
        ] {
            let review = review(&schema, &column("books", proposal.clone()));
            let found = messages(&review);
            assert!(found.iter().any(|message| message.contains(expected)), "{proposal}: {found:?}");
            let accepted_constraints = review
                .accepted
                .tables
                .iter()
                .flat_map(|table| &table.columns)
                .any(|column| column.pattern.is_some() || column.minimum.is_some() || column.maximum.is_some() || column.min_length.is_some());
            assert!(!accepted_constraints, "{proposal}: nothing of a rejected rule set is kept");
        }
    }

    #[test]
    fn good_constraints_are_applied_to_the_ir() {
        let schema = library();
        let proposal = column(
            "books",
            serde_json::json!({"column": "isbn", "min_length": 13, "pattern": "^[0-9]{13}$", "examples": ["9780306406157"], "description": "ISBN-13"}),
        );
        let review = review(&schema, &proposal);
        assert!(review.rejected.is_empty(), "{:?}", messages(&review));
        let refined = apply(&schema, &review.accepted);
        let books = refined.table(refined.table_named("books").expect("books"));
        let isbn = books.column(books.column_named("isbn").expect("isbn"));
        assert_eq!(isbn.constraints.pattern.as_deref(), Some("^[0-9]{13}$"));
        assert_eq!(isbn.constraints.examples, [Example::Text("9780306406157".to_owned())]);
        assert_eq!(isbn.description.as_deref(), Some("ISBN-13"));
        // Applying what was accepted again changes nothing more: a replay is stable.
        assert_eq!(super::review(&refined, &review.accepted).accepted, review.accepted);
    }
}
