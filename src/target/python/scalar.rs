//! How each [`ScalarType`] appears in the generated Python: one row per type gives its
//! model type, response type, request-body type with its limits, list-filter type, path
//! type with its bounds, SQLAlchemy type, share of a MariaDB row and test sample. Every view reads its types
//! from [`row`], so a type is spelled, bounded and imported the same way in every file.

use super::code::{Expr, Symbol, sa};
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
    /// A type of SQLAlchemy and its arguments (`sa.String(40)`), from `import
    /// sqlalchemy as sa`.
    Sa(&'static str, Vec<u64>),
    /// A type of `app.db` and its arguments (`ExactNumeric(10, 2)`).
    Db(&'static str, Vec<u64>),
    /// `sa.Enum(…)` of these values, under the name of the column's enum type.
    Enum(&'a [String]),
}

impl SqlType<'_> {
    /// The type as code, but for an enumeration, whose type the caller names.
    pub(super) fn expr(&self) -> Option<Expr> {
        let (class, arguments) = match self {
            SqlType::Sa(name, arguments) => (sa().attr(*name), arguments),
            SqlType::Db(name, arguments) => (Symbol::name("app.db", *name), arguments),
            SqlType::Enum(_) => return None,
        };
        Some(class.call(arguments.iter().map(|argument| Expr::lit(argument.to_string()).into()).collect()))
    }
}

/// A test's value for a column: a Python expression in which `n` is a fresh number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sample {
    pub(super) expr: Expr,
    /// Whether `expr` reads `n` (an f-string may, inside its literal).
    pub(super) uses_number: bool,
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
    /// A value in a request body.
    pub(super) input: PyName<'a>,
    /// The bounds of a request-body value and of a path key, as keyword arguments of
    /// `Field` and `fastapi.Path` (`max_length=40`): the column's own.
    pub(super) limits: Vec<(&'static str, u64)>,
    /// A list filter's value (`?column=value`), bounded so that no value reaches the
    /// database that it would reject.
    pub(super) filter: PyName<'a>,
    /// A key in a URL path (bounded by `limits`, so that bad keys are a 422).
    pub(super) path: PyName<'a>,
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

fn sample(expr: Expr, uses_number: bool) -> Sample {
    Sample { expr, uses_number }
}

/// `values.<helper>(n, …)` of the generated `tests/values.py`.
fn values_call(helper: &'static str, extra: Option<u64>) -> Expr {
    let mut args = vec![Expr::name("n").into()];
    args.extend(extra.map(|value| Expr::lit(value.to_string()).into()));
    Symbol::name("tests", "values").attr(helper).call(args)
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
            SqlType::Sa("Integer", vec![]),
            sample(Expr::name("n"), true),
        ),
        ScalarType::String { length } => (
            Builtin("str"),
            Builtin("str"),
            AppType("Str"),
            AppType("ParamStr"),
            AppType("ParamStr"),
            if facts.spilled { SqlType::Db("LongString", vec![u64::from(*length)]) } else { SqlType::Sa("String", vec![u64::from(*length)]) },
            sample(values_call("text", Some(u64::from(*length))), true),
        ),
        ScalarType::Text => (
            Builtin("str"),
            Builtin("str"),
            AppType("Str"),
            AppType("ParamStr"),
            Builtin("str"),
            SqlType::Db("LongText", vec![]),
            sample(Expr::lit("f\"text {n}\""), true),
        ),
        ScalarType::Boolean => (
            Builtin("bool"),
            Builtin("bool"),
            AppType("Bool"),
            Builtin("bool"),
            Builtin("bool"),
            SqlType::Sa("Boolean", vec![]),
            sample(Expr::bool(true), false),
        ),
        ScalarType::DateTime => (
            DATETIME,
            DATETIME,
            AppType("UtcDatetime"),
            AppType("UtcDatetime"),
            AppType("UtcDatetime"),
            SqlType::Db("UtcDateTime", vec![]),
            sample(values_call("instant", None), true),
        ),
        ScalarType::Date => (DATE, DATE, DATE, DATE, DATE, SqlType::Sa("Date", vec![]), sample(values_call("day", None), true)),
        ScalarType::Time => (
            TIME,
            TIME,
            AppType("TimeOfDay"),
            AppType("TimeOfDay"),
            AppType("TimeOfDay"),
            SqlType::Db("PreciseTime", vec![]),
            sample(values_call("clock", None), true),
        ),
        ScalarType::Numeric { precision, scale } => {
            let digits = precision.saturating_sub(*scale).min(9);
            let value = if digits == 0 {
                sample(Expr::str("0"), false)
            } else {
                sample(Expr::name("str").call(vec![Expr::name("n").binary("%", Expr::lit(10_u64.pow(digits).to_string())).into()]), true)
            };
            (DECIMAL, DECIMAL, DECIMAL, DECIMAL, DECIMAL, SqlType::Db("ExactNumeric", vec![u64::from(*precision), u64::from(*scale)]), value)
        }
        ScalarType::Float => (
            Builtin("float"),
            Builtin("float"),
            AppType("Float64"),
            AppType("QueryFloat"),
            Builtin("float"),
            SqlType::Sa("Double", vec![]),
            sample(Expr::lit("1.5"), false),
        ),
        ScalarType::Enum { values } => {
            let value = if facts.distinct {
                // Distinct rows take the values in turn.
                let pick = Expr::name("n").binary("%", Expr::lit(values.len().to_string()));
                sample(Expr::List(values.iter().map(|value| Expr::str(value)).collect()).index(vec![pick]), true)
            } else {
                sample(Expr::str(values.first().map_or("", String::as_str)), false)
            };
            let literal = EnumLiteral(values);
            (Builtin("str"), literal, literal, literal, literal, SqlType::Enum(values), value)
        }
    };
    let limits = match ty {
        ScalarType::String { length } => vec![("max_length", u64::from(*length))],
        ScalarType::Numeric { precision, scale } => vec![("max_digits", u64::from(*precision)), ("decimal_places", u64::from(*scale))],
        _ => Vec::new(),
    };
    let mariadb_row_bytes = match ty {
        ScalarType::String { length } => usize::try_from(*length).unwrap_or(usize::MAX / 8).saturating_mul(4).saturating_add(2),
        ScalarType::Numeric { precision, .. } => usize::try_from(*precision).unwrap_or(65) / 2 + 1,
        ScalarType::Text | ScalarType::DateTime | ScalarType::Float => 12,
        ScalarType::Integer | ScalarType::Time | ScalarType::Date | ScalarType::Enum { .. } | ScalarType::Boolean => 6,
    };
    TypeRow { model, read, input, limits, filter, path, sql, mariadb_row_bytes, sample }
}

impl PyName<'_> {
    /// The name as code, with its symbol; `None` for [`PyName::EnumLiteral`], which the
    /// caller spells from its values.
    pub(super) fn expr(self) -> Option<Expr> {
        match self {
            PyName::Builtin(name) => Some(Expr::name(name)),
            PyName::Stdlib { module, name } => {
                let member = name.strip_prefix(module).and_then(|rest| rest.strip_prefix('.')).unwrap_or(name);
                Some(Symbol::module(module).attr(member))
            }
            PyName::AppType(name) => Some(Symbol::name("app.types", name)),
            PyName::EnumLiteral(_) => None,
        }
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
                let expr = row.sample.expr.inline();
                let reads_n = expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|token| token == "n");
                assert_eq!(row.sample.uses_number, reads_n, "{ty:?}: {expr}");
            }
        }
    }
}
