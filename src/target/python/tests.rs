//! View models of the generated pytest suite: a factory per table that creates a valid
//! row through the API (parents first), and a test module per table.

use super::code::{Arg, Expr, Function, Indented, Param, Stmt, Symbol};
use super::layout;
use super::names::{PyIdent, PyStr};
use super::scalar::{self, Facts, Sample};
use super::view::PySchema;
use crate::ir::{Column, ColumnSource, ScalarType, TableId, samples};

/// `body_for_<module>(client, **fields)` and `create_<module>(client, **fields)` of
/// `tests/factories.py`: a valid body, and a row created through the API with it.
pub(super) struct Factory {
    pub(super) function: String,
    pub(super) definitions: [Stmt; 2],
}

/// `tests/test_<module>.py`.
pub struct TestModuleView {
    pub module: PyIdent,
    pub path: String,
    pub factory: String,
    /// The JSON names of the key columns, as a Python tuple literal.
    pub key_names: String,
    /// `listed = client.get(PATH, params=[…])`, filtering the list to the created row.
    pub(super) list_call: Indented,
    /// A field to change in the update test, and the new value.
    pub(super) update: Option<(PyStr, Expr)>,
    /// Whether the module needs `tests.values`.
    pub uses_values: bool,
    /// One test per foreign key: deleting the referenced row, and what ON DELETE does.
    pub parent_deletes: Vec<ParentDelete>,
    /// One test per writable many-to-many attribute: link, list, unlink.
    pub links: Vec<LinkTest>,
    /// `breaches = [(field, value), …]`: values that break one refined constraint each
    /// (`--refine`); `None` when the table has none.
    pub(super) constraint_breaches: Option<Indented>,
    /// `for field in (…):` over the JSON names of the text columns a client writes,
    /// laid out; `None` when the table has none.
    pub text_fields: Option<String>,
    pub body_function: String,
    /// A soft-delete table: the list has no `is_deleted` filter.
    pub soft_delete: bool,
    /// The write-only test; `None` when the table has no write-only column.
    pub write_only: Option<WriteOnlyTest>,
    /// A soft-delete table's first required unique column (its JSON name): a deleted row
    /// keeps its value, and a conflict on it says so.
    pub soft_delete_unique: Option<PyStr>,
}

/// A write-only column is written by create and update and never read back.
pub struct WriteOnlyTest {
    /// Whether a value uses a fresh number `n`.
    pub uses_number: bool,
    /// Whether `n` or a value calls a helper of `tests.values`.
    uses_values: bool,
    /// `written: list[tuple[str, Any]] = [(field, value), …]`: a new value for each
    /// write-only column that can take one without a conflict.
    pub(super) written: Indented,
    /// `for field in (…):` over the JSON names of the write-only columns, laid out.
    pub fields: String,
}

/// The link routes of one many-to-many attribute.
pub struct LinkTest {
    pub test: String,
    /// The URL segment after the row's key.
    pub segment: String,
    pub target_factory: String,
    /// The JSON names of the linked table's key, as a Python tuple literal.
    pub target_key: String,
}

/// What deleting the row a foreign key references must do.
pub struct ParentDelete {
    /// The test function's name.
    pub test: String,
    /// The JSON name of the foreign-key column.
    pub column: PyStr,
    /// The referenced table's URL.
    pub parent_path: String,
    pub expect: OnParentDelete,
}

/// The expected outcome of deleting a referenced row.
pub enum OnParentDelete {
    /// RESTRICT / NO ACTION: 409, the row stays.
    Refused,
    /// CASCADE: 204, the row is gone.
    Cascades,
    /// SET NULL: 204, the row's key is null.
    SetsNull,
}

pub(super) fn factory(py: &PySchema<'_>, table_id: TableId) -> Factory {
    let schema = py.schema;
    let table = schema.table(table_id);
    let module = &py.modules[table_id.0];
    let any = || Symbol::name("typing", "Any");
    let any_dict = || Expr::name("dict").index(vec![Expr::name("str"), any()]);
    let client = || Expr::name("client");
    let mut assignments = Vec::new();
    let mut uses_number = false;
    for column in &table.columns {
        if column.source != ColumnSource::Declared || column.autoincrement {
            continue;
        }
        let required = !column.nullable && column.default.is_none();
        let value = if let Some(key) = &column.foreign_key {
            // A default of a foreign key names a row that may not exist: give a real one.
            if (column.nullable && column.default.is_none()) || key.target.table == table_id {
                continue;
            }
            let parent = Expr::name(format!("create_{}", py.modules[key.target.table.0])).call(vec![client().into()]);
            Some(parent.index(vec![Expr::str(schema.column(key.target).name.as_str())]))
        } else if required {
            let (value, numbered) = refined_sample(&column.ty, column).unwrap_or_else(|| {
                let sample = sample(column);
                (sample.expr, sample.uses_number)
            });
            uses_number |= numbered;
            Some(value)
        } else {
            None
        };
        if let Some(value) = value {
            assignments.push(Stmt::assign(format!("body[{}]", PyStr::new(column.name.as_str())), value));
        }
    }
    let path = format!("/api/v1/{}", table.name);
    let mut body = Vec::new();
    if uses_number {
        body.push(Stmt::assign("n", Symbol::name("tests", "values").attr("number").call(vec![])));
    }
    body.push(Stmt::annotated("body", any_dict(), Some(Expr::Dict { entries: Vec::new(), exploded: false })));
    body.extend(assignments);
    body.push(Stmt::Expr(Expr::name("body").attr("update").call(vec![Expr::name("fields").into()])));
    body.push(Stmt::ret(Expr::name("body")));
    let params = || vec![Param::new("client", Symbol::name("fastapi.testclient", "TestClient")), Param::new("**fields", any())];
    let body_function = format!("body_for_{module}");
    let build = Function::new(body_function.clone(), params(), any_dict())
        .doc(format!("A valid body for `POST {path}`, its parents created first; `fields`\n    override the generated values.\n    "))
        .body(body);
    let response = || Expr::name("response");
    let posted = client()
        .attr("post")
        .call(vec![Expr::str(&path).into(), Arg::kw("json", Expr::name(body_function).call(vec![client().into(), Arg::Unpack(Expr::name("fields"))]))]);
    let function = format!("create_{module}");
    let create =
        Function::new(function.clone(), params(), any_dict()).doc(format!("A new row of `{path}`; `fields` override the generated values.")).body(vec![
            Stmt::assign("response", posted),
            Stmt::Assert { test: response().attr("status_code").binary("==", Expr::lit("201")), message: Some(response().attr("text")) },
            Stmt::annotated("row", any_dict(), Some(response().attr("json").call(vec![]))),
            Stmt::ret(Expr::name("row")),
        ]);
    Factory { function, definitions: [Stmt::Def(build), Stmt::Def(create)] }
}

/// A valid value of `column` for a test, distinct per fresh number `n` where the column
/// needs distinct values.
fn sample(column: &Column) -> Sample {
    scalar::row(&column.ty, Facts { spilled: false, distinct: column.unique || column.primary_key }).sample
}

/// A value within a column's refined constraints (`--refine`), when it has some that the
/// plain samples could break, and whether it uses the factory's number `n`.
fn refined_sample(ty: &ScalarType, column: &Column) -> Option<(Expr, bool)> {
    let n = || Expr::name("n");
    let constraints = &column.constraints;
    match ty {
        ScalarType::String { .. } | ScalarType::Text
            if constraints.pattern.is_some() || constraints.min_length.is_some() || constraints.max_length.is_some() =>
        {
            let texts: Vec<Expr> = samples::valid_texts(constraints, ty, samples::SAMPLES).iter().map(|text| Expr::str(text)).collect();
            // One value is the value itself; several are a tuple the fresh number picks from.
            if texts.len() <= 1 {
                return texts.into_iter().next().map(|text| (text, false));
            }
            let pick = n().binary("%", Expr::lit(texts.len().to_string()));
            Some((Expr::Tuple(texts).index(vec![pick]), true))
        }
        ScalarType::Integer | ScalarType::Numeric { .. } | ScalarType::Float if constraints.minimum.is_some() || constraints.maximum.is_some() => {
            let bound = |text: &Option<String>| text.as_deref().and_then(|text| text.parse::<f64>().ok());
            let (minimum, maximum) = (bound(&constraints.minimum), bound(&constraints.maximum));
            // Whole numbers inside the bounds, at most a million of them.
            let low = minimum.map_or_else(|| maximum.map_or(0.0, |max| (max - 999_999.0).floor()), f64::ceil);
            let high = maximum.map_or(low + 999_999.0, f64::floor).min(low + 999_999.0);
            let value = if high >= low {
                #[expect(clippy::cast_possible_truncation, reason = "bounds are 32-bit or fit the column's precision")]
                let (low, span) = (low as i64, (high - low) as i64 + 1);
                Expr::lit(low.to_string()).binary("+", n().binary("%", Expr::lit(span.to_string())))
            } else {
                // No whole number fits (say 0.1 to 0.5): the lower bound itself.
                let constant = match ty {
                    ScalarType::Numeric { .. } => Expr::str(constraints.minimum.as_deref().unwrap_or("0")),
                    _ => Expr::lit(constraints.minimum.clone().unwrap_or_default()),
                };
                return Some((constant, false));
            };
            let value = match ty {
                ScalarType::Numeric { .. } => Expr::name("str").call(vec![value.into()]),
                ScalarType::Float => Expr::name("float").call(vec![value.into()]),
                _ => value,
            };
            Some((value, true))
        }
        _ => None,
    }
}

/// `breaches = [(field, value), …]` for the constraints test, if anything can break.
fn constraint_breaches(table: &crate::ir::Table) -> Option<Indented> {
    let mut breaches = Vec::new();
    for column in table.columns.iter().filter(|column| !column.primary_key && !column.constraints.is_empty()) {
        let field = || Expr::str(column.name.as_str());
        let numeric = matches!(column.ty, ScalarType::Numeric { .. });
        for (_, value) in samples::invalid_texts(&column.constraints, &column.ty) {
            breaches.push(Expr::Tuple(vec![field(), Expr::str(&value)]));
        }
        for (_, value) in samples::invalid_numbers(&column.constraints, &column.ty) {
            let value = if numeric { Expr::str(&value) } else { Expr::lit(value) };
            breaches.push(Expr::Tuple(vec![field(), value]));
        }
    }
    (!breaches.is_empty()).then(|| Indented(4, Stmt::annotated("breaches", pairs_type(), Some(Expr::List(breaches)))))
}

/// `list[tuple[str, Any]]`, with the `Any` that the test module's skeleton imports.
fn pairs_type() -> Expr {
    Expr::name("list").index(vec![Expr::name("tuple").index(vec![Expr::name("str"), Expr::name("Any")])])
}

pub(super) fn test_module(py: &PySchema<'_>, table_id: TableId) -> TestModuleView {
    let schema = py.schema;
    let table = schema.table(table_id);
    let module = py.modules[table_id.0].clone();
    let key: Vec<&str> = table.primary_key().map(|(_, column)| column.name.as_str()).collect();
    let key_names = if key.len() == 1 {
        format!("({},)", PyStr::new(key[0]))
    } else {
        format!("({})", key.iter().map(|name| PyStr::new(*name).to_string()).collect::<Vec<_>>().join(", "))
    };
    let mut params: Vec<Expr> = key
        .iter()
        .filter(|name| !super::api::CONTROL_PARAMETERS.contains(name))
        .map(|name| Expr::Tuple(vec![Expr::str(name), Expr::name("row").index(vec![Expr::str(name)])]))
        .collect();
    params.push(Expr::Tuple(vec![Expr::str("limit"), Expr::lit("1000")]));
    let listed = Expr::name("client").attr("get").call(vec![Expr::name("PATH").into(), Arg::kw("params", Expr::List(params))]);
    let list_call = Indented(4, Stmt::assign("listed", listed));
    let update = table.columns.iter().find(|column| is_updatable(column)).map(|column| {
        let values = || Expr::Sym(values_module());
        let number = || values().attr("number").call(vec![]);
        let value = match &column.ty {
            ScalarType::String { length } => values().attr("text").call(vec![number().into(), Expr::lit(length.to_string()).into()]),
            ScalarType::Text => Expr::str("changed"),
            ScalarType::Integer => number(),
            ScalarType::Enum { values } => Expr::str(values.last().map_or("", String::as_str)),
            _ => Expr::bool(true),
        };
        (PyStr::new(column.name.as_str()), value)
    });
    // Text a client writes and filters by: every string column the update can set.
    let text_fields: Vec<layout::Expr> = table
        .columns
        .iter()
        .filter(|column| {
            matches!(column.ty, ScalarType::String { .. } | ScalarType::Text)
                && column.source == ColumnSource::Declared
                && !column.primary_key
                && !super::api::CONTROL_PARAMETERS.contains(&column.name.as_str())
        })
        .map(|column| layout::Expr::atom(PyStr::new(column.name.as_str()).to_string()))
        .collect();
    // A `for` header over fixed code in the skeleton: laid out on its own.
    let text_fields = (!text_fields.is_empty()).then(|| layout::for_tuple(4, "field", text_fields));
    let write_only = write_only_test(table);
    let values = values_module();
    let uses_values =
        text_fields.is_some() || write_only.as_ref().is_some_and(|test| test.uses_values) || update.as_ref().is_some_and(|(_, value)| value.uses(&values));
    let mut parent_deletes = Vec::new();
    for column in &table.columns {
        let Some(key) = &column.foreign_key else { continue };
        let parent = schema.table(key.target.table);
        let sole_key = parent.primary_key().count() == 1 && schema.column(key.target).primary_key;
        let created = !column.nullable || column.default.is_some();
        if key.target.table == table_id || !sole_key || !created || parent.options.use_soft_delete || column.primary_key {
            continue;
        }
        let expect = match key.on_delete {
            crate::ir::OnDelete::Restrict | crate::ir::OnDelete::NoAction => OnParentDelete::Refused,
            crate::ir::OnDelete::Cascade => OnParentDelete::Cascades,
            crate::ir::OnDelete::SetNull => OnParentDelete::SetsNull,
            crate::ir::OnDelete::SetDefault => continue,
        };
        parent_deletes.push(ParentDelete {
            test: format!("test_deleting_the_row_{}_references", column.name.as_str().to_ascii_lowercase()),
            column: PyStr::new(column.name.as_str()),
            parent_path: format!("/api/v1/{}", parent.name),
            expect,
        });
    }
    let links = schema
        .relations_of(table_id)
        .filter(|relation| relation.association.is_some() && !relation.read_only)
        .map(|relation| {
            let target = schema.table(relation.target);
            let key: Vec<String> = target.primary_key().map(|(_, column)| PyStr::new(column.name.as_str()).to_string()).collect();
            LinkTest {
                test: format!("test_link_{}", relation.name.as_str().to_ascii_lowercase()),
                segment: relation.name.to_string(),
                target_factory: format!("create_{}", py.modules[relation.target.0]),
                target_key: if key.len() == 1 { format!("({},)", key[0]) } else { format!("({})", key.join(", ")) },
            }
        })
        .collect();
    let soft_delete_unique = table
        .columns
        .iter()
        .find(|column| column.source == ColumnSource::Declared && column.unique && !column.primary_key && !column.nullable && !column.write_only)
        .filter(|_| table.options.use_soft_delete)
        .map(|column| PyStr::new(column.name.as_str()));
    TestModuleView {
        soft_delete: table.options.use_soft_delete,
        soft_delete_unique,
        constraint_breaches: constraint_breaches(table),
        text_fields,
        write_only,
        body_function: format!("body_for_{module}"),
        links,
        factory: format!("create_{module}"),
        module,
        path: format!("/api/v1/{}", table.name),
        key_names,
        list_call,
        update,
        uses_values,
        parent_deletes,
    }
}

fn write_only_test(table: &crate::ir::Table) -> Option<WriteOnlyTest> {
    let columns: Vec<&Column> = table.columns.iter().filter(|column| column.write_only).collect();
    if columns.is_empty() {
        return None;
    }
    let mut uses_number = false;
    let mut written = Vec::new();
    for column in &columns {
        // A unique column of few values may hold the only one left: it gets none.
        if column.unique && matches!(column.ty, ScalarType::Enum { .. } | ScalarType::Boolean) {
            continue;
        }
        let (value, numbered) = refined_sample(&column.ty, column).unwrap_or_else(|| {
            let sample = sample(column);
            (sample.expr, sample.uses_number)
        });
        uses_number |= numbered;
        written.push(Expr::Tuple(vec![Expr::str(column.name.as_str()), value]));
    }
    let values = values_module();
    let uses_values = uses_number || written.iter().any(|pair| pair.uses(&values));
    let written = Indented(4, Stmt::annotated("written", pairs_type(), Some(Expr::List(written))));
    let fields = columns.iter().map(|column| layout::Expr::atom(PyStr::new(column.name.as_str()).to_string())).collect();
    Some(WriteOnlyTest { uses_number, uses_values, written, fields: layout::for_tuple(4, "field", fields) })
}

/// `tests.values`, the helpers of the generated `tests/values.py`, as the modules import it.
fn values_module() -> Symbol {
    Symbol::Name { module: "tests".into(), name: "values".into(), type_checking: false }
}

/// A column the update test can change and compare exactly.
fn is_updatable(column: &Column) -> bool {
    column.source == ColumnSource::Declared
        && !column.write_only
        && column.constraints.is_empty()
        && !column.primary_key
        && column.foreign_key.is_none()
        && !(column.unique && matches!(column.ty, ScalarType::Enum { .. } | ScalarType::Boolean))
        && matches!(column.ty, ScalarType::String { .. } | ScalarType::Text | ScalarType::Integer | ScalarType::Boolean | ScalarType::Enum { .. })
}
