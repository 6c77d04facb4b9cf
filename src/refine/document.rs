//! The refinement document: what an LLM may propose about a validated schema. It holds
//! only what the templates can render safely — descriptions, value constraints, examples,
//! single-column indexes — and advice that is reported, never applied.
//!
//! Its JSON Schema (schemars) is sent to the provider as the structured-output or tool
//! schema, and the same type parses the answer, so a well-formed answer is typed before
//! any rule looks at it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Proposals for a whole schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refinement {
    /// Proposals per table, by `table_name`.
    #[serde(default)]
    pub tables: Vec<TableRefinement>,
    /// Naming or modelling advice for the schema's author; reported as warnings.
    #[serde(default)]
    pub advice: Vec<Advice>,
}

/// Proposals for one table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableRefinement {
    /// The table's `table_name`, exactly.
    pub table: String,
    /// A one-paragraph description of what a row is, for docstrings and the API description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub columns: Vec<ColumnRefinement>,
    /// Columns worth an index (each a column name of this table).
    #[serde(default)]
    pub indexes: Vec<IndexSuggestion>,
}

/// Proposals for one column. Constraints must fit the column's type: lengths and
/// patterns for String/Text, bounds for Integer/Numeric/Float.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnRefinement {
    /// The column's `name`, exactly.
    pub column: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Inclusive lower bound (a JSON number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<serde_json::Number>,
    /// Inclusive upper bound (a JSON number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<serde_json::Number>,
    /// A regular expression the whole value must match, e.g. `^[a-z0-9-]+$` for a slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Example values (JSON scalars of the column's type) that satisfy the constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<serde_json::Value>,
}

/// An index on one column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexSuggestion {
    pub column: String,
    /// Why queries need it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A remark for the author, optionally about one table or column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

/// The JSON Schema of [`Refinement`], as providers take it.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Refinement)).unwrap_or_default()
}
