//! One definition of a literal: the examples a refinement proposes for Date, Time,
//! DateTime and Numeric columns are accepted exactly when `ir::literal::interpret` (which
//! judges defaults) accepts the same text, for valid and near-valid values alike —
//! `2023-02-31`, `24:00:00`, leap days, seven fraction digits, too many digits.

use std::sync::LazyLock;

use backbone::ir::literal::{self, LiteralValue};
use backbone::ir::{ScalarType, Schema};
use backbone::refine::{self, Refinement};
use backbone::source::Source;
use backbone::{CompileOptions, compile};
use proptest::prelude::*;
use serde_json::{Value, json};

/// One column of each type whose text `literal` judges; all of them values clients send.
static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let document = json!({"project_name": "literals", "db_type": "sqlite", "schema": [{"table_name": "events", "class_name": "Event", "columns": [
        {"name": "id", "type": "Integer", "primary_key": true},
        {"name": "day", "type": "Date"},
        {"name": "clock", "type": "Time"},
        {"name": "moment", "type": "DateTime"},
        {"name": "price", "type": "Numeric", "precision": 8, "scale": 2}
    ]}]});
    let compilation = compile(&Source::new("literals.json", document.to_string()), &CompileOptions::default());
    assert!(compilation.is_valid(), "{:?}", compilation.diagnostics);
    compilation.schema.expect("a schema")
});

fn column_type(column: &str) -> ScalarType {
    let events = SCHEMA.table(SCHEMA.table_named("events").expect("events"));
    events.column(events.column_named(column).expect("the column")).ty.clone()
}

/// Whether the refinement review accepts `example` for `column`.
fn refine_accepts(column: &str, example: &Value) -> bool {
    let proposal: Refinement =
        serde_json::from_value(json!({"tables": [{"table": "events", "columns": [{"column": column, "examples": [example]}]}]})).expect("a refinement");
    let review = refine::review(&SCHEMA, &proposal);
    review.rejected.is_empty() && !review.accepted.tables.is_empty()
}

/// Whether `literal` accepts `value` as a value of `column`'s type (as a default).
fn literal_accepts(column: &str, value: &LiteralValue) -> bool {
    literal::interpret(&column_type(column), value).is_ok_and(|value| value != literal::DefaultValue::Now)
}

fn agree_on_text(column: &str, text: &str) -> Result<(), TestCaseError> {
    let refine = refine_accepts(column, &Value::String(text.to_owned()));
    let literal = literal_accepts(column, &LiteralValue::String(text.to_owned()));
    prop_assert_eq!(refine, literal, "{} {:?}: refine {} but literal {}", column, text, refine, literal);
    Ok(())
}

fn date() -> impl Strategy<Value = String> {
    let year = prop_oneof![Just(2023u32), Just(2024), Just(1900), Just(2000), Just(0), 1u32..10_000];
    (year, 0u32..=13, 0u32..=32, prop_oneof![8 => Just('-'), 1 => Just('/')], 0usize..=10).prop_map(|(year, month, day, separator, width)| {
        // Mostly well-formed widths; sometimes a two- or five-digit year.
        let year = match width {
            0 => format!("{:02}", year % 100),
            1 => format!("{year:05}"),
            _ => format!("{year:04}"),
        };
        format!("{year}{separator}{month:02}{separator}{day:02}")
    })
}

fn time() -> impl Strategy<Value = String> {
    (0u32..=25, 0u32..=61, 0u32..=61, prop_oneof![3 => Just(None), 2 => (0usize..=8).prop_map(Some)], any::<bool>()).prop_map(
        |(hour, minute, second, fraction, short)| {
            let mut text = if short { format!("{hour:02}:{minute:02}") } else { format!("{hour:02}:{minute:02}:{second:02}") };
            if let Some(digits) = fraction {
                text.push('.');
                text.push_str(&"7".repeat(digits));
            }
            text
        },
    )
}

fn datetime() -> impl Strategy<Value = String> {
    let separator = prop_oneof![8 => Just("T"), 1 => Just(" "), 1 => Just("t")];
    let offset = prop_oneof![
        Just(""),
        Just("Z"),
        Just("+05:30"),
        Just("-08:00"),
        Just("+23:59"),
        Just("-24:00"),
        Just("+5:30"),
        Just("+05:60"),
        Just("+0530"),
        Just("z")
    ];
    (date(), separator, time(), offset).prop_map(|(date, separator, time, offset)| format!("{date}{separator}{time}{offset}"))
}

fn decimal() -> impl Strategy<Value = String> {
    let sign = prop_oneof![Just(""), Just("-"), Just("+")];
    let exponent = prop_oneof![4 => Just(String::new()), 1 => (-4i32..=4).prop_map(|exponent| format!("e{exponent}"))];
    (sign, "[0-9]{0,9}", prop_oneof![Just(None), "[0-9]{0,4}".prop_map(Some)], exponent).prop_map(|(sign, whole, fraction, exponent)| match fraction {
        Some(fraction) => format!("{sign}{whole}.{fraction}{exponent}"),
        None => format!("{sign}{whole}{exponent}"),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn dates_are_judged_once(text in prop_oneof![4 => date(), 1 => "\\PC{0,12}"]) {
        agree_on_text("day", &text)?;
    }

    #[test]
    fn times_are_judged_once(text in prop_oneof![4 => time(), 1 => "\\PC{0,12}"]) {
        agree_on_text("clock", &text)?;
    }

    #[test]
    fn timestamps_are_judged_once(text in prop_oneof![4 => datetime(), 1 => "\\PC{0,24}"]) {
        agree_on_text("moment", &text)?;
    }

    #[test]
    fn decimals_are_judged_once(text in prop_oneof![6 => decimal(), 1 => prop_oneof![Just("inf".to_owned()), Just("NaN".to_owned()), Just("1e400".to_owned()), Just(".5".to_owned())], 1 => "\\PC{0,10}"]) {
        agree_on_text("price", &text)?;
        // The same text as a JSON number, where it is one.
        if let Ok(Value::Number(number)) = serde_json::from_str::<Value>(&text) {
            let refine = refine_accepts("price", &Value::Number(number.clone()));
            let literal = literal_accepts("price", &LiteralValue::Number(number.to_string()));
            prop_assert_eq!(refine, literal, "price {}: refine {} but literal {}", number, refine, literal);
        }
    }
}

#[test]
fn near_misses_are_rejected_by_both() {
    for (column, text, valid) in [
        ("day", "2023-02-31", false),
        ("day", "2023-02-29", false),
        ("day", "2024-02-29", true),
        ("day", "1900-02-29", false),
        ("day", "2000-02-29", true),
        ("day", "2024-13-01", false),
        ("clock", "24:00:00", false),
        ("clock", "23:59:59.999999", true),
        ("clock", "23:59:59.9999999", false),
        ("clock", "12:00:00.", false),
        ("moment", "2023-02-31T00:00:00Z", false),
        ("moment", "2024-02-29T23:59:59+05:30", true),
        ("moment", "2024-02-29T12:00:00+5:30", false),
        ("price", "123456.78", true),
        ("price", "1234567.8", false),
        ("price", "1.234", false),
        ("price", "inf", false),
    ] {
        assert_eq!(refine_accepts(column, &Value::String(text.to_owned())), valid, "refine on {column} {text:?}");
        assert_eq!(literal_accepts(column, &LiteralValue::String(text.to_owned())), valid, "literal on {column} {text:?}");
    }
}
