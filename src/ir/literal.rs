//! Literals: kept as written in the IR, interpreted against the column's resolved type
//! by [`interpret`], which `check` uses to report defaults, targets use to render them,
//! and `refine::accept` uses for the examples and bounds a refinement proposes.
//!
//! Invariant: this is the one place that decides what a date, a time, a timestamp or a
//! decimal of a given precision is; nothing else validates such text.

use super::ScalarType;
use crate::source::Origin;

/// A JSON scalar written as a column `default`.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: LiteralValue,
    pub origin: Origin,
}

/// The JSON value of a literal; numbers keep their text so decimals stay exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralValue {
    Bool(bool),
    Number(String),
    String(String),
}

/// A default value that is valid for its column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    Integer(i64),
    /// Text for `String`, `Text` and `Enum` columns.
    Text(String),
    Boolean(bool),
    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]` with its offset, as written.
    DateTime(String),
    /// The current timestamp at insert (`"now"`).
    Now,
    Date(String),
    Time(String),
    /// A decimal in plain notation, e.g. `12.50`.
    Decimal(String),
    Float(f64),
}

/// `literal` as a value of `ty`, or why it is not one (a phrase for a message).
pub fn interpret(ty: &ScalarType, literal: &LiteralValue) -> Result<DefaultValue, String> {
    match (ty, literal) {
        (ScalarType::Integer, LiteralValue::Number(raw)) => integer(raw),
        // PostgreSQL text cannot hold NUL.
        (ScalarType::String { .. } | ScalarType::Text | ScalarType::Enum { .. }, LiteralValue::String(text)) if text.contains('\0') => {
            Err("it contains a NUL character, which PostgreSQL cannot store".to_owned())
        }
        (ScalarType::String { length }, LiteralValue::String(text)) => {
            let count = text.chars().count();
            if count > *length as usize {
                Err(format!("it has {count} characters and the column holds at most {length}"))
            } else {
                Ok(DefaultValue::Text(text.clone()))
            }
        }
        (ScalarType::Text, LiteralValue::String(text)) => Ok(DefaultValue::Text(text.clone())),
        (ScalarType::Boolean, LiteralValue::Bool(value)) => Ok(DefaultValue::Boolean(*value)),
        (ScalarType::DateTime, LiteralValue::String(text)) if text == "now" => Ok(DefaultValue::Now),
        (ScalarType::DateTime, LiteralValue::String(text)) => is_datetime(text)
            .then(|| DefaultValue::DateTime(text.clone()))
            .ok_or_else(|| "it is not `YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]` or `now`".to_owned()),
        (ScalarType::Date, LiteralValue::String(text)) => {
            is_date(text).then(|| DefaultValue::Date(text.clone())).ok_or_else(|| "it is not a calendar date `YYYY-MM-DD`".to_owned())
        }
        (ScalarType::Time, LiteralValue::String(text)) => {
            is_time(text).then(|| DefaultValue::Time(text.clone())).ok_or_else(|| "it is not a time of day `HH:MM:SS[.ffffff]`".to_owned())
        }
        // A string default is a plain decimal (docs/format.md §3.4): no exponent.
        (ScalarType::Numeric { .. }, LiteralValue::String(raw)) if raw.contains(['e', 'E']) => {
            Err("a decimal string is written without an exponent".to_owned())
        }
        (ScalarType::Numeric { precision, scale }, LiteralValue::Number(raw) | LiteralValue::String(raw)) => decimal(raw, *precision, *scale),
        (ScalarType::Float, LiteralValue::Number(raw)) => {
            raw.parse::<f64>().ok().filter(|value| value.is_finite()).map(DefaultValue::Float).ok_or_else(|| "it is beyond the range of a double".to_owned())
        }
        (ScalarType::Enum { values }, LiteralValue::String(text)) => {
            if values.contains(text) {
                Ok(DefaultValue::Text(text.clone()))
            } else {
                Err("it is not one of the enum's values".to_owned())
            }
        }
        (ty, literal) => Err(format!("{} is not a literal of type `{}`", describe(literal), ty.name())),
    }
}

/// What kind of literal this is, for messages.
pub fn describe(literal: &LiteralValue) -> &'static str {
    match literal {
        LiteralValue::Bool(_) => "a boolean",
        LiteralValue::Number(raw) if !raw.contains(['.', 'e', 'E']) => "an integer",
        LiteralValue::Number(_) => "a number",
        LiteralValue::String(_) => "a string",
    }
}

fn integer(raw: &str) -> Result<DefaultValue, String> {
    if raw.contains(['.', 'e', 'E']) {
        return Err("it is not an integer".to_owned());
    }
    match raw.parse::<i64>() {
        Ok(value) if i32::try_from(value).is_ok() => Ok(DefaultValue::Integer(value)),
        _ => Err("it is outside the 32-bit range -2147483648..2147483647".to_owned()),
    }
}

/// A decimal that fits `(precision, scale)`: at most `precision - scale` digits before
/// the point and `scale` after it (trailing zeros of the fraction do not count).
fn decimal(raw: &str, precision: u32, scale: u32) -> Result<DefaultValue, String> {
    let Some(plain) = plain_decimal(raw) else {
        return Err("it is not a decimal number".to_owned());
    };
    let unsigned = plain.trim_start_matches('-');
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let integer_digits = integer.trim_start_matches('0').len();
    let fraction_digits = fraction.trim_end_matches('0').len();
    let max_integer = (precision - scale.min(precision)) as usize;
    if integer_digits > max_integer {
        return Err(format!("it has {integer_digits} digits before the point and Numeric({precision}, {scale}) allows {max_integer}"));
    }
    if fraction_digits > scale as usize {
        return Err(format!("it has {fraction_digits} digits after the point and Numeric({precision}, {scale}) allows {scale}"));
    }
    Ok(DefaultValue::Decimal(plain))
}

/// `raw` (JSON number syntax, or a decimal string) in plain notation without exponent.
fn plain_decimal(raw: &str) -> Option<String> {
    let (negative, unsigned) = raw.strip_prefix('-').map_or((false, raw), |rest| (true, rest));
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if integer.is_empty()
        || !integer.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (mantissa.contains('.') && fraction.is_empty())
    {
        return None;
    }
    // Exponents beyond any representable precision are rejected rather than expanded.
    if exponent.unsigned_abs() > 200 {
        return None;
    }
    let digits = format!("{integer}{fraction}");
    let point = i64::try_from(integer.len()).ok()? + i64::from(exponent);
    let (integer, fraction) = if point <= 0 {
        ("0".to_owned(), "0".repeat(usize::try_from(-point).ok()?) + &digits)
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= digits.len() {
            (digits.clone() + &"0".repeat(point - digits.len()), String::new())
        } else {
            (digits[..point].to_owned(), digits[point..].to_owned())
        }
    };
    let integer = match integer.trim_start_matches('0') {
        "" => "0",
        trimmed => trimmed,
    };
    let sign = if negative { "-" } else { "" };
    Some(if fraction.is_empty() { format!("{sign}{integer}") } else { format!("{sign}{integer}.{fraction}") })
}

fn digits(text: &str, range: std::ops::Range<usize>) -> Option<u32> {
    let part = text.get(range)?;
    if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
}

/// `YYYY-MM-DD`, a real calendar date (`2023-02-29` and `2023-02-31` are not).
pub fn is_date(text: &str) -> bool {
    if text.len() != 10 || text.as_bytes()[4] != b'-' || text.as_bytes()[7] != b'-' {
        return false;
    }
    let (Some(year), Some(month), Some(day)) = (digits(text, 0..4), digits(text, 5..7), digits(text, 8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days_in_month).contains(&day)
}

/// `HH:MM:SS[.ffffff]`, a time of day (`24:00:00` is not; no leap seconds).
pub fn is_time(text: &str) -> bool {
    let (clock, fraction) = text.split_once('.').unwrap_or((text, ""));
    if text.contains('.') && (fraction.is_empty() || fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    clock.len() == 8
        && clock.as_bytes()[2] == b':'
        && clock.as_bytes()[5] == b':'
        && digits(clock, 0..2).is_some_and(|hour| hour < 24)
        && digits(clock, 3..5).is_some_and(|minute| minute < 60)
        && digits(clock, 6..8).is_some_and(|second| second < 60)
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]`, a real date and time of day.
pub fn is_datetime(text: &str) -> bool {
    let Some((day, rest)) = text.split_once('T') else {
        return false;
    };
    let (clock, offset) = if let Some(clock) = rest.strip_suffix('Z') {
        (clock, None)
    } else if rest.len() > 6 && matches!(rest.as_bytes()[rest.len() - 6], b'+' | b'-') {
        (&rest[..rest.len() - 6], Some(&rest[rest.len() - 5..]))
    } else {
        (rest, None)
    };
    let offset_ok = offset.is_none_or(|offset| {
        offset.len() == 5
            && offset.as_bytes()[2] == b':'
            && digits(offset, 0..2).is_some_and(|hours| hours < 24)
            && digits(offset, 3..5).is_some_and(|minutes| minutes < 60)
    });
    is_date(day) && is_time(clock) && offset_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(raw: &str) -> LiteralValue {
        LiteralValue::Number(raw.to_owned())
    }

    fn string(text: &str) -> LiteralValue {
        LiteralValue::String(text.to_owned())
    }

    #[test]
    fn integers_are_32_bit() {
        assert_eq!(interpret(&ScalarType::Integer, &number("2147483647")), Ok(DefaultValue::Integer(2_147_483_647)));
        assert!(interpret(&ScalarType::Integer, &number("2147483648")).is_err());
        assert!(interpret(&ScalarType::Integer, &number("1.0")).is_err());
        assert!(interpret(&ScalarType::Integer, &string("1")).is_err());
    }

    #[test]
    fn decimals_must_fit() {
        let money = ScalarType::Numeric { precision: 8, scale: 2 };
        assert_eq!(interpret(&money, &number("123456.78")), Ok(DefaultValue::Decimal("123456.78".to_owned())));
        assert_eq!(interpret(&money, &string("1.50")), Ok(DefaultValue::Decimal("1.50".to_owned())));
        assert_eq!(interpret(&money, &number("1.5e2")), Ok(DefaultValue::Decimal("150".to_owned())));
        assert_eq!(interpret(&money, &number("-25e-3")), Err("it has 3 digits after the point and Numeric(8, 2) allows 2".to_owned()));
        assert!(interpret(&money, &number("1234567")).is_err());
        assert!(interpret(&money, &string("1.2.3")).is_err());
        assert!(interpret(&money, &string("abc")).is_err());
    }

    #[test]
    fn dates_and_times_are_real() {
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2023-02-31") && !is_date("2024-13-01") && !is_date("24-01-01"));
        assert!(is_time("23:59:59.123456") && !is_time("24:00:00") && !is_time("12:00") && !is_time("12:00:00.") && !is_time("12:00:00.1234567"));
        assert!(is_datetime("2024-01-01T00:00:00Z") && is_datetime("2024-01-01T00:00:00.5+05:30") && is_datetime("2024-01-01T00:00:00"));
        assert!(!is_datetime("2024-01-01 00:00:00") && !is_datetime("2024-01-01T00:00:00+5:30") && !is_datetime("2023-02-31T00:00:00Z"));
        assert_eq!(interpret(&ScalarType::DateTime, &string("now")), Ok(DefaultValue::Now));
    }

    #[test]
    fn strings_count_characters() {
        let short = ScalarType::String { length: 2 };
        assert!(interpret(&short, &string("\u{e9}\u{e9}")).is_ok());
        assert!(interpret(&short, &string("abc")).is_err());
    }
}
