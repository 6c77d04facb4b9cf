//! How each [`ScalarType`] appears in the generated Python: one row per type gives its
//! model type, response type, request-body type with its limits, list-filter type, path
//! type with its bounds, SQLAlchemy type, share of a MariaDB row and test sample. Every view reads its types
//! from [`row`], so a type is spelled, bounded and imported the same way in every file.

use crate::ir::ScalarType;

/// A name generated code refers to, with the import it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PyName<'a> {
    /// A builtin (`int`): no import.
    Builtin(&'static str),
    /// An attribute of a standard-library module (`datetime.date`): `import datetime`.
    Stdlib { module: &'static str, name: &'static str },
    /// A type of the generated `app/types.py` (`Str`): `from app.types import Str`.
    AppType(&'static str),
    /// The `Literal[…]` of these enum values (or the module's alias of it).
    EnumLiteral(&'a [String]),
}

/// The SQLAlchemy type of a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SqlType<'a> {
    /// An expression on `sa` (`sa.String(40)`), from `import sqlalchemy as sa`.
    Sa(String),
    /// A type of `app.db` and its arguments (`ExactNumeric`, `"10, 2"`).
    Db(&'static str, String),
    /// `sa.Enum(…)` of these values, under the name of the column's enum type.
    Enum(&'a [String]),
}

/// A test's value for a column: a Python expression in which `n` is a fresh number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sample {
    pub(super) expr: String,
    /// Whether `expr` reads `n`.
    pub(super) uses_number: bool,
    /// Whether `expr` calls a helper of `tests.values`.
    pub(super) uses_values: bool,
}

/// What the rows of some types depend on beyond the type itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Facts {
    /// MariaDB must keep this `String` out of the row, as TEXT (see `view::spilled_strings`).
    pub(super) spilled: bool,
    /// The values must differ from row to row (a key or a unique column).
    pub(super) distinct: bool,
}

/// Everything the target derives from one scalar type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TypeRow<'a> {
    /// The model attribute's type (`Mapped[…]`); an enum is a `str` there.
    pub(super) model: PyName<'a>,
    /// A value in a response.
    pub(super) read: PyName<'a>,
    /// A value in a request body, and the `Field` arguments that bound it like the column.
    pub(super) input: PyName<'a>,
    pub(super) input_limits: Vec<String>,
    /// A list filter's value (`?column=value`), bounded so that no value reaches the
    /// database that it would reject.
    pub(super) filter: PyName<'a>,
    /// A key in a URL path, and the `fastapi.Path` arguments that keep bad keys a 422.
    pub(super) path: PyName<'a>,
    pub(super) path_bounds: Option<String>,
    pub(super) sql: SqlType<'a>,
    /// What a value takes of a MariaDB row at most (a `String` kept in the row, as
    /// VARCHAR: four bytes a character in utf8mb4), which may not exceed 64 KiB.
    pub(super) mariadb_row_bytes: usize,
    pub(super) sample: Sample,
}

const DATETIME: PyName<'static> = PyName::Stdlib { module: "datetime", name: "datetime.datetime" };
const DATE: PyName<'static> = PyName::Stdlib { module: "datetime", name: "datetime.date" };
const TIME: PyName<'static> = PyName::Stdlib { module: "datetime", name: "datetime.time" };
const DECIMAL: PyName<'static> = PyName::Stdlib { module: "decimal", name: "decimal.Decimal" };

fn sample(expr: impl Into<String>, uses_number: bool, uses_values: bool) -> Sample {
    Sample { expr: expr.into(), uses_number, uses_values }
}

/// The row of `ty`.
pub(super) fn row(ty: &ScalarType, facts: Facts) -> TypeRow<'_> {
    use PyName::{AppType, Builtin, EnumLiteral};
    // model, read, input, filter, path, sql, sample; limits and bounds after.
    let (model, read, input, filter, path, sql, sample) = match ty {
        ScalarType::Integer => (
            Builtin("int"),
            Builtin("int"),
            AppType("Int32"),
            AppType("QueryInt"),
            AppType("KeyInt"),
            SqlType::Sa("sa.Integer()".into()),
            sample("n", true, false),
        ),
        ScalarType::String { length } => (
            Builtin("str"),
            Builtin("str"),
            AppType("Str"),
            AppType("ParamStr"),
            AppType("ParamStr"),
            if facts.spilled { SqlType::Db("LongString", length.to_string()) } else { SqlType::Sa(format!("sa.String({length})")) },
            sample(format!("values.text(n, {length})"), true, true),
        ),
        ScalarType::Text => (
            Builtin("str"),
            Builtin("str"),
            AppType("Str"),
            AppType("ParamStr"),
            Builtin("str"),
            SqlType::Db("LongText", String::new()),
            sample("f\"text {n}\"", true, false),
        ),
        ScalarType::Boolean => (
            Builtin("bool"),
            Builtin("bool"),
            AppType("Bool"),
            Builtin("bool"),
            Builtin("bool"),
            SqlType::Sa("sa.Boolean()".into()),
            sample("True", false, false),
        ),
        ScalarType::DateTime => (
            DATETIME,
            DATETIME,
            AppType("UtcDatetime"),
            AppType("UtcDatetime"),
            AppType("UtcDatetime"),
            SqlType::Db("UtcDateTime", String::new()),
            sample("values.instant(n)", true, true),
        ),
        ScalarType::Date => (DATE, DATE, DATE, DATE, DATE, SqlType::Sa("sa.Date()".into()), sample("values.day(n)", true, true)),
        ScalarType::Time => (
            TIME,
            TIME,
            AppType("TimeOfDay"),
            AppType("TimeOfDay"),
            AppType("TimeOfDay"),
            SqlType::Db("PreciseTime", String::new()),
            sample("values.clock(n)", true, true),
        ),
        ScalarType::Numeric { precision, scale } => {
            let digits = precision.saturating_sub(*scale).min(9);
            let value = if digits == 0 { sample("\"0\"", false, false) } else { sample(format!("str(n % {})", 10_u64.pow(digits)), true, false) };
            (DECIMAL, DECIMAL, DECIMAL, DECIMAL, DECIMAL, SqlType::Db("ExactNumeric", format!("{precision}, {scale}")), value)
        }
        ScalarType::Float => (
            Builtin("float"),
            Builtin("float"),
            AppType("Float64"),
            AppType("QueryFloat"),
            Builtin("float"),
            SqlType::Sa("sa.Double()".into()),
            sample("1.5", false, false),
        ),
        ScalarType::Enum { values } => {
            let literal = |value: &String| super::names::PyStr::new(value.as_str()).to_string();
            let value = if facts.distinct {
                // Distinct rows take the values in turn.
                let list = values.iter().map(literal).collect::<Vec<_>>().join(", ");
                sample(format!("[{list}][n % {}]", values.len()), true, false)
            } else {
                sample(values.first().map_or_else(|| "\"\"".to_owned(), literal), false, false)
            };
            let literal = EnumLiteral(values);
            (Builtin("str"), literal, literal, literal, literal, SqlType::Enum(values), value)
        }
    };
    let (input_limits, path_bounds) = match ty {
        ScalarType::String { length } => (vec![format!("max_length={length}")], Some(format!("max_length={length}"))),
        ScalarType::Numeric { precision, scale } => {
            (vec![format!("max_digits={precision}"), format!("decimal_places={scale}")], Some(format!("max_digits={precision}, decimal_places={scale}")))
        }
        _ => (Vec::new(), None),
    };
    let mariadb_row_bytes = match ty {
        ScalarType::String { length } => usize::try_from(*length).unwrap_or(usize::MAX / 8).saturating_mul(4).saturating_add(2),
        ScalarType::Numeric { precision, .. } => usize::try_from(*precision).unwrap_or(65) / 2 + 1,
        ScalarType::Text | ScalarType::DateTime | ScalarType::Float => 12,
        ScalarType::Integer | ScalarType::Time | ScalarType::Date | ScalarType::Enum { .. } | ScalarType::Boolean => 6,
    };
    TypeRow { model, read, input, input_limits, filter, path, path_bounds, sql, mariadb_row_bytes, sample }
}

impl PyName<'_> {
    /// The name as code spells it; `None` for [`PyName::EnumLiteral`], which the caller
    /// spells from its values.
    pub(super) fn text(self) -> Option<&'static str> {
        match self {
            PyName::Builtin(name) | PyName::Stdlib { name, .. } | PyName::AppType(name) => Some(name),
            PyName::EnumLiteral(_) => None,
        }
    }

    /// The standard-library module to import, if any.
    pub(super) fn stdlib_module(self) -> Option<&'static str> {
        if let PyName::Stdlib { module, .. } = self { Some(module) } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One type of each kind, with the parameters that change its row.
    fn every_type() -> Vec<ScalarType> {
        vec![
            ScalarType::Integer,
            ScalarType::String { length: 40 },
            ScalarType::Text,
            ScalarType::Boolean,
            ScalarType::DateTime,
            ScalarType::Date,
            ScalarType::Time,
            ScalarType::Numeric { precision: 10, scale: 2 },
            ScalarType::Numeric { precision: 4, scale: 4 },
            ScalarType::Float,
            ScalarType::Enum { values: vec!["a".to_owned(), "b".to_owned()] },
        ]
    }

    #[test]
    fn every_name_a_row_refers_to_is_defined_where_its_import_says() {
        let types_py = include_str!("../../../templates/python/app/types.py");
        let db_py = include_str!("../../../templates/python/app/db.py");
        for ty in every_type() {
            for facts in [Facts::default(), Facts { spilled: true, distinct: true }] {
                let row = row(&ty, facts);
                for name in [row.model, row.read, row.input, row.filter, row.path] {
                    if let PyName::AppType(name) = name {
                        assert!(types_py.contains(&format!("\n{name} = ")), "{ty:?}: app/types.py defines no {name}");
                    }
                    if let PyName::Stdlib { module, name } = name {
                        assert!(name.starts_with(&format!("{module}.")), "{ty:?}: {name} is not in {module}");
                    }
                }
                if let SqlType::Db(name, _) = &row.sql {
                    assert!(db_py.contains(&format!("\nclass {name}(")), "{ty:?}: app/db.py defines no {name}");
                }
                assert_eq!(row.sample.uses_values, row.sample.expr.contains("values."), "{ty:?}");
                let reads_n = row.sample.expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|token| token == "n");
                assert_eq!(row.sample.uses_number, reads_n, "{ty:?}: {}", row.sample.expr);
            }
        }
    }
}
