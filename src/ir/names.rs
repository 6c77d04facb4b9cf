//! Newtypes for each kind of name, so a function that needs one cannot be handed another.
//!
//! Terminology:
//! - [`TableName`]: the database table, as written in `table_name`; also the URL segment.
//! - [`ClassName`]: the Python class, as written in `class_name`.
//! - [`ColumnName`]: the database column and the JSON field name, as written in `name`.
//! - [`AttributeName`]: a relationship attribute on a Python class.
//!
//! Invariant: a name holds exactly what the user wrote; any mangling for Python (keywords,
//! framework members) happens in the target, never here.

use std::fmt;

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn new(name: impl Into<String>) -> Self {
                Self(name.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// The name of a database table (`table_name`).
    TableName
);
name_type!(
    /// The name of a Python model class (`class_name`).
    ClassName
);
name_type!(
    /// The name of a database column and of its JSON field (`name`).
    ColumnName
);
name_type!(
    /// The name of a relationship attribute on a class.
    AttributeName
);

/// Python's hard keywords; `None`, `True` and `False` are the only ones a class name can hit.
pub const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for",
    "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// True for a Python hard keyword.
pub fn is_python_keyword(name: &str) -> bool {
    PYTHON_KEYWORDS.contains(&name)
}

/// True for `^[A-Za-z_][A-Za-z0-9_]*$`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `name` in snake_case (`OrderItems` → `order_items`), for suggestions.
pub fn to_snake_case(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for character in name.chars() {
        if character.is_ascii_alphanumeric() {
            if character.is_ascii_uppercase() && previous_lower {
                out.push('_');
            }
            previous_lower = character.is_ascii_lowercase() || character.is_ascii_digit();
            out.push(character.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
            previous_lower = false;
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// `name` in PascalCase (`order_item` → `OrderItem`), for suggestions.
pub fn to_pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| first.to_ascii_uppercase().to_string() + chars.as_str())
        })
        .collect()
}

/// `stem(column)` of docs/format.md §4.2: the name without a trailing `_id`.
pub fn stem(column: &str) -> Option<&str> {
    column.strip_suffix("_id").filter(|stem| !stem.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions() {
        assert_eq!(to_snake_case("OrderItems"), "order_items");
        assert_eq!(to_snake_case("order-items "), "order_items");
        assert_eq!(to_pascal_case("order_item"), "OrderItem");
        assert_eq!(stem("author_id"), Some("author"));
        assert_eq!(stem("_id"), None);
    }
}
