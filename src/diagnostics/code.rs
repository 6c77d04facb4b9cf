//! The stable diagnostic codes of docs/format.md §6, plus `LIMIT_EXCEEDED` for the optional
//! input limits of §7.
//!
//! Invariant: a code, once published, keeps its name and meaning forever. Each variant's
//! doc comment is also its `backbone explain` text, so rustdoc and the CLI cannot drift.

use super::Severity;

/// Declares [`Code`] with, per variant, its stable name and severity; the variant's doc
/// comment becomes [`Code::explanation`].
macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $severity:ident; )*) => {
        /// A stable diagnostic code. Named for the violation, as docs/format.md §6 names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in the order of docs/format.md §6.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as users write it, e.g. `FK_COLUMN_NOT_FOUND`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The severity every diagnostic of this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// The long explanation printed by `backbone explain`, as Markdown.
            pub fn explanation(self) -> String {
                let doc: &[&str] = match self { $(Code::$variant => &[$($doc),*],)* };
                doc.iter().map(|line| line.strip_prefix(' ').unwrap_or(line)).collect::<Vec<_>>().join("\n")
            }
        }
    };
}

impl Code {
    /// The code named `name`, ignoring case and accepting `-` for `_`.
    pub fn from_name(name: &str) -> Option<Code> {
        let normalized = name.trim().to_ascii_uppercase().replace('-', "_");
        Code::ALL.iter().copied().find(|code| code.as_str() == normalized)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

codes! {
    /// The input is not one well-formed JSON object.
    ///
    /// ## What
    /// The document is not one well-formed JSON object as RFC 8259 defines it: a syntax error (a trailing
    /// comma, a comment, single quotes, an unquoted key, `NaN`), bytes that are not UTF-8, or a top-level
    /// value that is not an object. Nothing else is checked until it parses.
    ///
    /// ## Why
    /// Every JSON parser rejects the document, and without its tree backbone cannot tell what you meant, so
    /// it reports only this diagnostic and generates nothing. Leniencies such as JSON5 comments would make
    /// a file valid for backbone and invalid for every other tool that reads it, the predecessor included.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Remove the trailing comma after the last column; the message points at the first byte the parser
    /// could not accept.
    JsonSyntax = "JSON_SYNTAX", Error;
    /// An object repeats a key; the last occurrence is used.
    ///
    /// ## What
    /// An object (the project, a table, its options, a column or a relationship) has the same key twice.
    /// The last occurrence is used and the earlier ones are ignored.
    ///
    /// ## Why
    /// RFC 8259 leaves the meaning of repeated keys undefined: some tools keep the first value, some the
    /// last, some reject the object, so the same file means different things to different readers. A
    /// repeated key is nearly always an edit that left the old value behind.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 100, "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Keep one occurrence of the key, with the value you mean.
    DuplicateKey = "DUPLICATE_KEY", Warning;
    /// A key the format does not define; it is ignored.
    ///
    /// ## What
    /// An object has a key that docs/format.md §3 does not define for it, often a misspelling (`unqiue`,
    /// `primary_Key`, `backpopulates`). The key is ignored and the help suggests the nearest known key.
    ///
    /// ## Why
    /// The setting you meant silently does not happen: a misspelled `unique` leaves the column without its
    /// unique constraint, so duplicates are accepted by the database. Unknown keys are a warning rather
    /// than an error because the predecessor ignored them and its documents must stay readable.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254, "unqiue": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254, "unique": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Spell the key as the format does, or remove it.
    UnknownField = "UNKNOWN_FIELD", Warning;
    /// A required key is absent.
    ///
    /// ## What
    /// A required key is absent: `project_name`, `db_type` or `schema` in the project; `table_name`,
    /// `class_name` or `columns` in a table; `name` or `type` in a column; `target_table`, `target_class`,
    /// `type` or `back_populates` in a relationship. A missing `target` or `values` is reported as
    /// `FK_NO_TARGET` or `ENUM_VALUES` instead.
    ///
    /// ## Why
    /// These keys have no sensible default: backbone cannot guess a table's name, a column's type or which
    /// database the backend should default to, and the object is left out of the generated backend.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Add the missing key; here `"db_type"`, one of `postgresql`, `mysql`, `sqlite` or `mssql`.
    MissingField = "MISSING_FIELD", Error;
    /// A value has the wrong JSON type.
    ///
    /// ## What
    /// A value has the wrong JSON type: a string or number where a boolean is expected (`"true"`, `1`), a
    /// string where an integer is expected (`"50"`), `null` where `options`, `relationships` or `nullable`
    /// may not be null, or a non-object where a table, column or relationship is expected.
    ///
    /// ## Why
    /// The predecessor coerced such values, so `"nullable": "false"` could end up meaning true; backbone
    /// reads every value with exactly one meaning, the one its JSON type has, and rejects the rest instead
    /// of guessing.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": "254"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write the value with the JSON type the format gives it: numbers and booleans without quotes.
    WrongType = "WRONG_TYPE", Error;
    /// A name or list that must not be empty is empty.
    ///
    /// ## What
    /// `project_name`, `table_name`, `class_name`, a column `name`, `target_table`, `target_class` or
    /// `back_populates` is the empty string `""`, or `schema` or `columns` is the empty list `[]`.
    ///
    /// ## Why
    /// An empty name cannot become a table, class, column or attribute, and a project without tables or a
    /// table without columns has nothing to generate: MariaDB rejects a table with no columns, and every
    /// table needs at least its primary key.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": []}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Give the name a value, or put at least one element in the list.
    Empty = "EMPTY", Error;
    /// A value outside its list of allowed values.
    ///
    /// ## What
    /// A value is not in its list of allowed values: `db_type` (`postgresql`, `mysql`, `sqlite`, `mssql`),
    /// a column `type` (`Integer`, `String`, `Text`, `Boolean`, `DateTime`, `Date`, `Time`, `Numeric`,
    /// `Float`, `Enum`, `ForeignKey`), `on_delete` (`CASCADE`, `RESTRICT`, `SET NULL`, `SET DEFAULT`,
    /// `NO ACTION`) or a relationship `type` (`one_to_many`, `many_to_one`, `many_to_many`). Spelling and
    /// case must be exact; the help names the closest allowed value.
    ///
    /// ## Why
    /// backbone maps each allowed value to one portable type or action for SQLite, PostgreSQL and MariaDB;
    /// a value outside the list, such as a database-specific SQL type, has no such mapping.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "varchar", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Use one of the listed values; here the format's `String` for SQL's `varchar`.
    BadValue = "BAD_VALUE", Error;
    /// A `project_name` with characters other than ASCII letters, digits, `-` and `_`.
    ///
    /// ## What
    /// `project_name` has characters other than ASCII letters, digits, `-` and `_` (a space, a dot, an
    /// accented letter), or has no letter or digit at all.
    ///
    /// ## Why
    /// The project name names the generated Python project (its package metadata and directory); spaces,
    /// slashes and non-ASCII characters break paths, shell commands and packaging tools.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "my shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "my-shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Replace the other characters with `-` or `_`.
    BadProjectName = "BAD_PROJECT_NAME", Error;
    /// A `table_name` that is not lowercase snake_case of at most 63 characters.
    ///
    /// ## What
    /// A `table_name` does not match `^[a-z_][a-z0-9_]*$` with at least one letter and at most 63
    /// characters: it has uppercase letters, spaces or hyphens, non-ASCII characters, a leading digit, no
    /// letter, or more than 63 characters. References to the table still resolve, so only the name is
    /// reported.
    ///
    /// ## Why
    /// PostgreSQL folds unquoted names to lowercase and truncates identifiers at 63 bytes, and MariaDB's
    /// case sensitivity for table names depends on the server's file system, so anything but short
    /// lowercase snake_case names behaves differently on the three databases.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "Users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write the name in lowercase snake_case, and update the `target`s and `target_table`s that refer to
    /// it.
    BadTableName = "BAD_TABLE_NAME", Error;
    /// A `class_name` that is not a PascalCase Python class name.
    ///
    /// ## What
    /// A `class_name` does not start with an uppercase ASCII letter, has characters other than letters,
    /// digits and `_`, has non-ASCII characters, or is one of the Python keywords `None`, `True` and
    /// `False`.
    ///
    /// ## Why
    /// The class name becomes the Python class of the model and the prefix of its API schemas;
    /// `class user-profile:` and `class None:` are syntax errors, and PascalCase keeps the generated code
    /// in the style Python tools expect.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "user", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write the class name in PascalCase, and update the `target_class`es that refer to it.
    BadClassName = "BAD_CLASS_NAME", Error;
    /// A column `name` that is not an identifier of at most 63 characters.
    ///
    /// ## What
    /// A column `name` does not match `^[A-Za-z_][A-Za-z0-9_]*$`, is longer than 63 characters, or starts
    /// with `__`.
    ///
    /// ## Why
    /// The name is the database column, the JSON field of the generated API and a Python attribute at once:
    /// PostgreSQL truncates names over 63 bytes (so two long names can collide), spaces and hyphens need
    /// quoting everywhere, and Python mangles attributes starting with `__` inside a class.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "first name", "type": "String", "length": 100}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "first_name", "type": "String", "length": 100}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Use letters, digits and `_` only, e.g. snake_case.
    BadColumnName = "BAD_COLUMN_NAME", Error;
    /// Two tables share a `table_name`.
    ///
    /// ## What
    /// Two tables in `schema` have the same `table_name`. The second declaration is reported; references by
    /// name go to the first.
    ///
    /// ## Why
    /// A database holds one table per name, so the second `CREATE TABLE` would fail, and `target`s naming
    /// the table would be ambiguous.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "users", "class_name": "Admin", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "admins", "class_name": "Admin", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Rename one of the tables, or merge the two into one.
    DuplicateTable = "DUPLICATE_TABLE", Error;
    /// Two tables share a `class_name`.
    ///
    /// ## What
    /// Two tables have the same `class_name`.
    ///
    /// ## Why
    /// Each table becomes one Python model class, and two classes of one name clash in the generated models
    /// package and in SQLAlchemy's class registry; `target_class` could not tell them apart either.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "admins", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "admins", "class_name": "Admin", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Give each table its own class name, usually its `table_name` in singular PascalCase.
    DuplicateClass = "DUPLICATE_CLASS", Error;
    /// Two columns of one table share a name, ignoring case.
    ///
    /// ## What
    /// Two columns of one table have names that are equal ignoring case, such as `email` and `Email`. The
    /// second is reported.
    ///
    /// ## Why
    /// MariaDB and SQLite compare column names without regard to case, so `CREATE TABLE` fails on both with
    /// a duplicate column, while PostgreSQL would accept the table.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254},
    ///     {"name": "Email", "type": "String", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254},
    ///     {"name": "backup_email", "type": "String", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Rename one of the columns, or remove it.
    DuplicateColumn = "DUPLICATE_COLUMN", Error;
    /// An attribute that the column's type does not have.
    ///
    /// ## What
    /// A column has an attribute its type does not take: `length` on anything but `String` (a `ForeignKey`
    /// included, which takes its target's length), `values` on anything but `Enum`, or `target` on anything
    /// but `ForeignKey`.
    ///
    /// ## Why
    /// The attribute shows that the column was meant to be of another type: a `target` on an `Integer`
    /// column means a foreign key the database would never enforce, and a `length` on `Text` a limit nobody
    /// checks. Ignoring it would hide the mistake.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "bio", "type": "Text", "length": 500}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "bio", "type": "String", "length": 500}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Change the column's `type` to the one the attribute belongs to, or remove the attribute.
    AttrNotForType = "ATTR_NOT_FOR_TYPE", Error;
    /// An attribute that has no effect where it is written.
    ///
    /// ## What
    /// An attribute that has no effect where it is written: `precision` or `scale` on a column that is not
    /// `Numeric` (a `ForeignKey` takes them from its target), `on_delete` on a column that is not a
    /// `ForeignKey`, `autoincrement: true` on anything but the sole `Integer` primary-key column,
    /// `foreign_key` on a `many_to_many` relationship, or `secondary` on one that is not `many_to_many`.
    ///
    /// ## Why
    /// The document asks for behaviour the generated backend will not have: an `autoincrement` on a
    /// `String` key generates no key, so every insert must supply one.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "coupons", "class_name": "Coupon", "columns": [
    ///     {"name": "code", "type": "String", "length": 20, "primary_key": true, "autoincrement": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "coupons", "class_name": "Coupon", "columns": [
    ///     {"name": "code", "type": "String", "length": 20, "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Remove the attribute, or change the column so that it applies.
    IgnoredAttribute = "IGNORED_ATTRIBUTE", Warning;
    /// A `length`, `precision` or `scale` outside its range.
    ///
    /// ## What
    /// A `length` outside 1..=16383, a `precision` outside 1..=65, a `scale` outside 0..=min(`precision`,
    /// 30), or a `scale` given without `precision`.
    ///
    /// ## Why
    /// These are the bounds all three databases accept: MariaDB's `VARCHAR` holds at most 16383 four-byte
    /// characters, and its `DECIMAL` at most 65 digits with at most 30 after the point. Beyond them the
    /// migration fails on MariaDB or the column silently changes type.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "body", "type": "String", "length": 100000}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "body", "type": "Text"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Bring the value into its range; for text longer than 16383 characters use `Text`, which has no
    /// length.
    OutOfRange = "OUT_OF_RANGE", Error;
    /// A `String` column without `length`; 255 is used.
    ///
    /// ## What
    /// A `String` column has no `length` (or `"length": null`). The column is generated as `String(255)`.
    ///
    /// ## Why
    /// MariaDB needs a length for every `VARCHAR`, so one must be chosen; 255 is a guess that may be too
    /// short for the data (longer values are rejected) or far too long for a two-letter code.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// State the `length` the column needs, from 1 to 16383.
    StringNoLength = "STRING_NO_LENGTH", Warning;
    /// A `Numeric` column without `precision` and `scale`; (18, 2) is used.
    ///
    /// ## What
    /// A `Numeric` column has neither `precision` nor `scale`. The column is generated as `Numeric(18, 2)`.
    ///
    /// ## Why
    /// Left to the database, a bare `NUMERIC` means different things: PostgreSQL keeps any number of
    /// digits, while MariaDB makes it `DECIMAL(10, 0)` and rounds every amount to a whole number. The
    /// predecessor did that; backbone picks (18, 2) and tells you.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "products", "class_name": "Product", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "price", "type": "Numeric"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "products", "class_name": "Product", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "price", "type": "Numeric", "precision": 10, "scale": 2}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// State `precision` (all digits) and `scale` (digits after the point), e.g. 10 and 2 for money.
    NumericNoPrecision = "NUMERIC_NO_PRECISION", Warning;
    /// Enum `values` missing, empty, duplicated or too long.
    ///
    /// ## What
    /// An `Enum` column's `values` is absent, `null` or `[]`, or one of its values is empty, listed twice
    /// or longer than 63 bytes.
    ///
    /// ## Why
    /// The values become a database enumeration type: PostgreSQL rejects duplicate labels and labels over
    /// 63 bytes, an enumeration without values can hold nothing, and the generated API validates input
    /// against the same list.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "orders", "class_name": "Order", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "status", "type": "Enum", "values": ["open", "paid", "open"]}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "orders", "class_name": "Order", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "status", "type": "Enum", "values": ["open", "paid"]}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// List each allowed value once, each a non-empty string of at most 63 bytes.
    EnumValues = "ENUM_VALUES", Error;
    /// A `default` that is not a valid literal for the column's type.
    ///
    /// ## What
    /// A `default` is not a valid literal for the column's resolved type (docs/format.md §3.4): a JSON type that
    /// does not match (`"0"` for an `Integer`), an integer outside 32 bits, a string longer than `length`,
    /// a value not among the enum's `values`, a malformed date or time, a number that does not fit
    /// `(precision, scale)`, or an array or object. A `ForeignKey`'s default is checked against its
    /// target's type.
    ///
    /// ## Why
    /// The default is written into the table definition and the API schema; an invalid one makes the
    /// migration fail, or is converted differently by each database, so rows get a value you did not write.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "orders", "class_name": "Order", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "status", "type": "Enum", "values": ["open", "paid"], "default": "new"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "orders", "class_name": "Order", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "status", "type": "Enum", "values": ["open", "paid"], "default": "open"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write a default of the column's type that the column can hold; the help shows the expected form.
    DefaultInvalid = "DEFAULT_INVALID", Error;
    /// A `Text` column used as a key, unique or indexed.
    ///
    /// ## What
    /// A `Text` column is `primary_key`, `unique` or `index`.
    ///
    /// ## Why
    /// MariaDB and MySQL cannot index unbounded text without a prefix length
    /// (`BLOB/TEXT column used in key specification without a key length`), so the migration fails there.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "slug", "type": "Text", "unique": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "slug", "type": "String", "length": 200, "unique": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Use a `String` with a `length` (at most 768 for an index on MariaDB), or drop the key, unique or
    /// index flag.
    TextKey = "TEXT_KEY", Error;
    /// A `Float` primary-key column.
    ///
    /// ## What
    /// A primary-key column whose type is `Float`.
    ///
    /// ## Why
    /// Floating-point values are approximations that databases and drivers round and print differently, so
    /// equality on them is unreliable and a row may not be found again by the key the API returned for it
    /// (`/rates/0.1`).
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "rates", "class_name": "Rate", "columns": [{"name": "id", "type": "Float", "primary_key": true}]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "rates", "class_name": "Rate", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Use an `Integer`, `String` or `Numeric` key.
    PkType = "PK_TYPE", Error;
    /// A `write_only` column that is a key, or that a foreign key targets.
    ///
    /// ## What
    /// A column with `"write_only": true` that is part of the primary key, is a `ForeignKey`, or is the
    /// `target` of another column's foreign key.
    ///
    /// ## Why
    /// A write-only column is never returned by a read, so a client could not address a row by it (a
    /// primary key is the row's URL), could not see which row it links to (a foreign key), and every row
    /// that references it would show its value anyway (a foreign key's target).
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true, "write_only": true},
    ///     {"name": "password_hash", "type": "String", "length": 128}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "password_hash", "type": "String", "length": 128, "write_only": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Keep `write_only` for values a client sets but never reads back, such as a password hash or an API
    /// secret; keys stay readable.
    WriteOnlyKey = "WRITE_ONLY_KEY", Error;
    /// A unique or indexed `String` longer than MariaDB can index.
    ///
    /// ## What
    /// A `String` column longer than 768 characters is `primary_key`, `unique` or `index`.
    ///
    /// ## Why
    /// InnoDB keys hold at most 3072 bytes and MariaDB stores text as utf8mb4, four bytes a character, so a
    /// longer indexed column fails the migration on MariaDB and MySQL (`Specified key was too long`) while
    /// SQLite and PostgreSQL accept it.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "links", "class_name": "Link", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "url", "type": "String", "length": 2048, "unique": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "links", "class_name": "Link", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "url", "type": "String", "length": 768, "unique": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Lower `length` to 768 or less, or drop the key, unique or index flag.
    IndexTooLong = "INDEX_TOO_LONG", Warning;
    /// A declared column replaced by the column an option adds.
    ///
    /// ## What
    /// A table declares `created_at` or `updated_at` while `use_timestamps` is on, or `deleted_at` or
    /// `is_deleted` while `use_soft_delete` is on (names compared ignoring case). The declared column is
    /// ignored and the option's column is used.
    ///
    /// ## Why
    /// The option's column may differ from yours in type, nullability or default, and the backend sets it
    /// itself, so what you declared is not what you get; the predecessor replaced it silently.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "posts", "class_name": "Post", "options": {"use_timestamps": true}, "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "created_at", "type": "DateTime"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "posts", "class_name": "Post", "options": {"use_timestamps": true}, "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Remove the declared column, or turn the option off to keep your own definition.
    MixinColumnShadowed = "MIXIN_COLUMN_SHADOWED", Warning;
    /// A table without a primary key.
    ///
    /// ## What
    /// No column of a table is `primary_key`. A table with a column that was itself rejected is not
    /// reported, since the key may be the rejected column.
    ///
    /// ## Why
    /// SQLAlchemy cannot map a table without a primary key, and the generated API reads, updates and
    /// deletes rows by their key.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [{"name": "id", "type": "Integer"}]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Mark the identifying column `"primary_key": true`, or add an `id` column that is.
    NoPrimaryKey = "NO_PRIMARY_KEY", Error;
    /// A primary-key column declared nullable.
    ///
    /// ## What
    /// A primary-key column says `"nullable": true`. (Without `nullable`, a primary-key column is NOT
    /// NULL.)
    ///
    /// ## Why
    /// A key must identify its row, and NULL identifies nothing. The databases disagree about such a
    /// declaration: some reject it or silently make the column NOT NULL, while SQLite, for historical
    /// reasons, accepts NULL in a primary key that is not an `INTEGER`.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true, "nullable": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Remove `"nullable": true` (or write `false`).
    NullablePrimaryKey = "NULLABLE_PRIMARY_KEY", Error;
    /// A table whose primary key has several columns.
    ///
    /// ## What
    /// A note, not an error: a table's primary key has several columns. Reported as the predecessor
    /// reported it.
    ///
    /// ## Why
    /// Such a key is valid on all three databases, but it changes the generated backend: rows are addressed
    /// with every key column in the URL (`/exchange_rates/{currency}/{day}`), and no column autoincrements.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "exchange_rates", "class_name": "ExchangeRate", "columns": [
    ///     {"name": "currency", "type": "String", "length": 3, "primary_key": true},
    ///     {"name": "day", "type": "Date", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "exchange_rates", "class_name": "ExchangeRate", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "currency", "type": "String", "length": 3},
    ///     {"name": "day", "type": "Date"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Nothing needs fixing; if you prefer one-column keys, give the table its own `id` key as above.
    CompositePrimaryKey = "COMPOSITE_PRIMARY_KEY", Info;
    /// A `ForeignKey` column without `target`.
    ///
    /// ## What
    /// A `ForeignKey` column has no `target`, or its `target` is `null` or `""`.
    ///
    /// ## Why
    /// A foreign key takes both its meaning and its SQL type from the column it points at, so without a
    /// target there is no constraint to create and no type to give the column.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Add `"target": "table.column"` naming the referenced column.
    FkNoTarget = "FK_NO_TARGET", Error;
    /// A `target` that is not `table.column`.
    ///
    /// ## What
    /// A `target` is not `table.column`: it has no dot, more than one dot, or an empty part (`users`,
    /// `users.`, `public.users.id`).
    ///
    /// ## Why
    /// backbone resolves the target by table name and column name; a schema-qualified or partial reference
    /// cannot be resolved the same way on SQLite, PostgreSQL and MariaDB.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write the target as `table_name.column_name`, with exactly one dot.
    FkTargetFormat = "FK_TARGET_FORMAT", Error;
    /// A foreign key to a table that does not exist.
    ///
    /// ## What
    /// The table part of a `target` is not the `table_name` of any table in `schema`. A class name written
    /// instead of the table name gets a help that names the table.
    ///
    /// ## Why
    /// The constraint would reference a table that is never created, so `CREATE TABLE` fails on PostgreSQL
    /// and MariaDB, and the column has no type to take.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "user.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Name a declared table (its `table_name`, not its `class_name`), or declare the table.
    FkTableNotFound = "FK_TABLE_NOT_FOUND", Error;
    /// A foreign key to a column that does not exist.
    ///
    /// ## What
    /// The target table exists, but has no column with the column part of the `target` (compared exactly).
    /// A target column that was itself rejected is not reported again.
    ///
    /// ## Why
    /// The constraint would reference a column that does not exist, so the migration fails, and the foreign
    /// key has no type to take.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.user_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Name an existing column of the target table, normally its primary key.
    FkColumnNotFound = "FK_COLUMN_NOT_FOUND", Error;
    /// A foreign key to a column that is neither the sole primary key nor unique.
    ///
    /// ## What
    /// A foreign key targets a column that is neither the table's only primary-key column nor `unique`; a
    /// column of a composite primary key counts as neither.
    ///
    /// ## Why
    /// PostgreSQL and MariaDB refuse a foreign key whose referenced column has no unique constraint
    /// (`there is no unique constraint matching given keys`), and SQLite reports a foreign key mismatch on
    /// the first write. The predecessor only warned.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_email", "type": "ForeignKey", "target": "users.email"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "email", "type": "String", "length": 254, "unique": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_email", "type": "ForeignKey", "target": "users.email"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Mark the target column `"unique": true`, or target the primary key instead.
    FkNotPkOrUnique = "FK_NOT_PK_OR_UNIQUE", Error;
    /// A foreign key that targets itself, directly or through a loop of foreign keys.
    ///
    /// ## What
    /// A foreign-key column targets itself, or a chain of foreign-key columns loops back to where it
    /// started (`a.x` targets `b.y`, which targets `a.x`).
    ///
    /// ## Why
    /// A foreign key takes its type from its target (docs/format.md §5), so a loop has no type, and a column
    /// that must equal itself constrains nothing. It is nearly always a typo for the table's primary key.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "categories", "class_name": "Category", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "parent_id", "type": "ForeignKey", "target": "categories.parent_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "categories", "class_name": "Category", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "parent_id", "type": "ForeignKey", "target": "categories.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Point the foreign key at a primary-key or unique column that is not part of the loop.
    FkSelfColumn = "FK_SELF_COLUMN", Error;
    /// `on_delete: SET NULL` on a column that cannot be null.
    ///
    /// ## What
    /// A foreign key has `on_delete: SET NULL` but cannot be null: it says `"nullable": false` or is a
    /// primary-key column.
    ///
    /// ## Why
    /// Deleting the referenced row would set the column to NULL, which it cannot hold: MariaDB refuses to
    /// create such a constraint, and PostgreSQL and SQLite fail the delete.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id", "nullable": false, "on_delete": "SET NULL"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id", "on_delete": "SET NULL"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Let the column be nullable (the default for a column that is not a key), or choose `CASCADE` or
    /// `RESTRICT`.
    SetNullNotNullable = "SET_NULL_NOT_NULLABLE", Error;
    /// `on_delete: SET DEFAULT` on a column without a default.
    ///
    /// ## What
    /// A foreign key has `on_delete: SET DEFAULT` but no `default`.
    ///
    /// ## Why
    /// Deleting the referenced row would set the column to its default, and without one that is NULL, or an
    /// error on a NOT NULL column; what was meant is unclear.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id", "on_delete": "SET DEFAULT"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id", "on_delete": "SET DEFAULT", "default": 1}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Add a `default` that is a key of the target table; the `SET_DEFAULT_UNSUPPORTED` warning stays, so
    /// prefer `SET NULL` if the backend must run on MariaDB.
    SetDefaultNoDefault = "SET_DEFAULT_NO_DEFAULT", Error;
    /// `on_delete: SET DEFAULT`, which MariaDB and MySQL reject.
    ///
    /// ## What
    /// A warning on every foreign key with `on_delete: SET DEFAULT`.
    ///
    /// ## Why
    /// MySQL's and MariaDB's InnoDB engine rejects `ON DELETE SET DEFAULT`, so the generated migration
    /// fails there, although SQLite and PostgreSQL accept it; the backend must run on all three.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id", "on_delete": "SET DEFAULT", "default": 1}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id", "on_delete": "SET NULL"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Use `SET NULL`, `CASCADE` or `RESTRICT`, which all three databases support.
    SetDefaultUnsupported = "SET_DEFAULT_UNSUPPORTED", Warning;
    /// A NOT NULL foreign key to its own table.
    ///
    /// ## What
    /// A foreign key to its own table cannot be null: it says `"nullable": false` or is a primary-key
    /// column.
    ///
    /// ## Why
    /// Every row must point at an existing row of the same table, so the first row can never be inserted.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "employees", "class_name": "Employee", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "manager_id", "type": "ForeignKey", "target": "employees.id", "nullable": false}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "employees", "class_name": "Employee", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "manager_id", "type": "ForeignKey", "target": "employees.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Let the column be nullable (the default for a column that is not a key), so the top of the hierarchy
    /// has no parent.
    NotNullSelfReference = "NOT_NULL_SELF_REFERENCE", Error;
    /// A cycle of NOT NULL foreign keys through several tables.
    ///
    /// ## What
    /// Foreign keys form a cycle through two or more tables and every foreign key on it is NOT NULL. The
    /// message lists the whole cycle.
    ///
    /// ## Why
    /// No row of the cycle can ever be inserted: each needs an existing row in the next table, and every
    /// link is required, so the generated backend could store nothing in these tables.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "league", "db_type": "sqlite", "schema": [
    ///   {"table_name": "teams", "class_name": "Team", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "captain_id", "type": "ForeignKey", "target": "players.id", "nullable": false}
    ///   ]},
    ///   {"table_name": "players", "class_name": "Player", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "team_id", "type": "ForeignKey", "target": "teams.id", "nullable": false}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "league", "db_type": "sqlite", "schema": [
    ///   {"table_name": "teams", "class_name": "Team", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "captain_id", "type": "ForeignKey", "target": "players.id"}
    ///   ]},
    ///   {"table_name": "players", "class_name": "Player", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "team_id", "type": "ForeignKey", "target": "teams.id", "nullable": false}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Make one foreign key of the cycle nullable; its constraint is then created after the tables
    /// (`NULLABLE_CYCLE`).
    CircularDependency = "CIRCULAR_DEPENDENCY", Error;
    /// A cycle of foreign keys that a nullable foreign key breaks.
    ///
    /// ## What
    /// A note, not an error: foreign keys form a cycle through two or more tables, and at least one of them
    /// is nullable.
    ///
    /// ## Why
    /// The cycle is valid (a team and its captain): the nullable foreign keys of the cycle are created
    /// after the tables (SQLAlchemy `use_alter`, a separate migration step) and ignored by the build order.
    /// The note says which constraints are deferred.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "league", "db_type": "sqlite", "schema": [
    ///   {"table_name": "teams", "class_name": "Team", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "captain_id", "type": "ForeignKey", "target": "players.id"}
    ///   ]},
    ///   {"table_name": "players", "class_name": "Player", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "team_id", "type": "ForeignKey", "target": "teams.id", "nullable": false}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "league", "db_type": "sqlite", "schema": [
    ///   {"table_name": "teams", "class_name": "Team", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "players", "class_name": "Player", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "team_id", "type": "ForeignKey", "target": "teams.id", "nullable": false},
    ///     {"name": "is_captain", "type": "Boolean"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Nothing needs fixing; the note disappears only when the cycle does, e.g. by recording the link on
    /// one side only.
    NullableCycle = "NULLABLE_CYCLE", Info;
    /// A relationship to a table that does not exist.
    ///
    /// ## What
    /// A relationship's `target_table` is not the `table_name` of any table in `schema`. A class name
    /// written instead gets a help that names the table.
    ///
    /// ## Why
    /// The relationship attribute would point at a model class that is never generated.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "post", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Name a declared table by its `table_name`.
    RelTableNotFound = "REL_TABLE_NOT_FOUND", Error;
    /// A relationship whose `target_class` is not the target table's class.
    ///
    /// ## What
    /// A relationship's `target_class` is not the `class_name` of its `target_table`.
    ///
    /// ## Why
    /// The two keys say the same thing twice; when they disagree, one of them is a mistake and backbone
    /// cannot tell which, so it does not guess.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Posts", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write the target table's `class_name` in `target_class`.
    RelClassMismatch = "REL_CLASS_MISMATCH", Error;
    /// A relationship with no foreign key joining its two tables.
    ///
    /// ## What
    /// No foreign-key column joins the two tables of a one-to-many or many-to-one relationship: the many
    /// side's table has no `ForeignKey` column targeting the other table (docs/format.md §4.3).
    ///
    /// ## Why
    /// A one-to-many or many-to-one relationship is read through a foreign key; without one, SQLAlchemy
    /// cannot join the tables and the relationship has nothing to load.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "Integer"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Declare the link as a `ForeignKey` column with a `target` (here `"users.id"`), not as a plain
    /// `Integer`.
    RelFkMissing = "REL_FK_MISSING", Error;
    /// A relationship with several foreign keys joining its two tables.
    ///
    /// ## What
    /// A relationship without `foreign_key` joins two tables that several foreign-key columns join, e.g. a
    /// post's `author_id` and `editor_id` that both target `users` (docs/format.md §4.3). The message lists
    /// them.
    ///
    /// ## Why
    /// Each foreign key is a different relationship (a post's author is not its editor), and SQLAlchemy
    /// itself refuses to guess which one a relationship means.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"},
    ///     {"name": "editor_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"},
    ///     {"name": "editor_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts", "foreign_key": "author_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Add `"foreign_key"` naming the column this relationship goes through (on the `many_to_one` side).
    RelFkAmbiguous = "REL_FK_AMBIGUOUS", Error;
    /// A relationship whose `foreign_key` does not join its two tables.
    ///
    /// ## What
    /// A relationship's `foreign_key` is not a foreign-key column joining its two tables: the column does
    /// not exist, is not a `ForeignKey`, or targets another table; or, on a `one_to_many`, it differs from
    /// the foreign key its `many_to_one` partner uses (docs/format.md §4.3).
    ///
    /// ## Why
    /// The relationship would be built on a join that does not exist in the database, which SQLAlchemy
    /// rejects when the models are loaded.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts", "foreign_key": "user_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts", "foreign_key": "author_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Name a `ForeignKey` column of the many side's table that targets the other table, or leave
    /// `foreign_key` out when there is only one.
    RelFkInvalid = "REL_FK_INVALID", Error;
    /// A relationship whose partner cannot be decided.
    ///
    /// ## What
    /// Several relationships of the target table could pair with this one (docs/format.md §4.2), and the
    /// tie-break leaves none or several: a `one_to_many` pairs with the `many_to_one` whose foreign key,
    /// without `_id`, equals the `one_to_many`'s `back_populates`; two `many_to_many` pair when they use
    /// the same association table.
    ///
    /// ## Why
    /// The two ends of each pair name each other's attributes; with the wrong pairing, `User.written` would
    /// load the posts a user edited.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "writer"},
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "editor"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"},
    ///     {"name": "editor_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "written", "foreign_key": "author_id"},
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "edited", "foreign_key": "editor_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"},
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "editor"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"},
    ///     {"name": "editor_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "written", "foreign_key": "author_id"},
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "edited", "foreign_key": "editor_id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Make each `one_to_many`'s `back_populates` the stem of its partner's foreign key (`author_id` →
    /// `author`), and give each `many_to_one` its `foreign_key`.
    RelPartnerAmbiguous = "REL_PARTNER_AMBIGUOUS", Error;
    /// Two relationships claim the same partner.
    ///
    /// ## What
    /// Two relationships both pair with the same relationship of the target table, which pairs with only
    /// one of them (docs/format.md §4.2 step 4); the other is reported.
    ///
    /// ## Why
    /// One foreign key makes one pair of attributes; a second relationship over the same foreign key would
    /// be a duplicate that SQLAlchemy cannot keep in sync with the first.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"},
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "writer"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Remove the duplicate relationship, or give it its own foreign key and partner.
    RelPartnerConflict = "REL_PARTNER_CONFLICT", Error;
    /// A relationship attribute name that is not a usable identifier.
    ///
    /// ## What
    /// A `back_populates` is not an identifier (`^[A-Za-z_][A-Za-z0-9_]*$`) or is a Python keyword; or an
    /// unpaired relationship's own name cannot be derived (docs/format.md §4.5): a `many_to_one` whose foreign
    /// key does not end in `_id`, or a derived name that is a Python keyword.
    ///
    /// ## Why
    /// Relationship names become Python attributes of the model classes; `post.blog-posts` or `user.class`
    /// is not valid Python.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "blog-posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Write `back_populates` as a Python identifier; for an unpaired relationship whose name cannot be
    /// derived, declare the other side, whose `back_populates` names it.
    RelNameInvalid = "REL_NAME_INVALID", Error;
    /// A relationship attribute name already used on its class.
    ///
    /// ## What
    /// A relationship attribute's name (docs/format.md §4.6), declared or synthesized, equals a column name of
    /// its class (after options add theirs) or another relationship attribute of the class.
    ///
    /// ## Why
    /// A Python class has one attribute per name, so the relationship would replace the column (or the
    /// other relationship) in the generated model.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Rename the column (a foreign key usually ends in `_id`) or choose another `back_populates` on the
    /// other side.
    RelNameClash = "REL_NAME_CLASH", Error;
    /// A relationship with no declared partner; the inverse is added.
    ///
    /// ## What
    /// A relationship has no partner in its target table (docs/format.md §4.5): its name is derived
    /// (`many_to_one` from its foreign key without `_id`, otherwise the target table's name), and the
    /// attribute its `back_populates` names is added to the target class with the complementary type.
    ///
    /// ## Why
    /// SQLAlchemy needs both ends of `back_populates`, so backbone adds the missing one; the warning shows
    /// which attribute appears on the other class without being declared.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "blog", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "posts", "target_class": "Post", "type": "one_to_many", "back_populates": "author"}
    ///   ]},
    ///   {"table_name": "posts", "class_name": "Post", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "author_id", "type": "ForeignKey", "target": "users.id"}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_one", "back_populates": "posts"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Declare the other side in the target table; its `back_populates` names the attribute of this side.
    RelInverseSynthesized = "REL_INVERSE_SYNTHESIZED", Warning;
    /// A many-to-many without a usable association table.
    ///
    /// ## What
    /// A `many_to_many` has no usable association table (docs/format.md §4.4): its `secondary` does not exist,
    /// is one of the two linked tables, or lacks exactly one foreign key to each of them; or, without
    /// `secondary`, no table or several tables have that shape; or the two sides name different tables.
    ///
    /// ## Why
    /// A many-to-many is stored as rows of an association table with one foreign key to each side; without
    /// exactly one such table, SQLAlchemy has nowhere to read or write the links.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "school", "db_type": "sqlite", "schema": [
    ///   {"table_name": "students", "class_name": "Student", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "courses", "target_class": "Course", "type": "many_to_many", "back_populates": "students", "secondary": "enrollments"}
    ///   ]},
    ///   {"table_name": "courses", "class_name": "Course", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "students", "target_class": "Student", "type": "many_to_many", "back_populates": "courses", "secondary": "enrollments"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "school", "db_type": "sqlite", "schema": [
    ///   {"table_name": "students", "class_name": "Student", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "courses", "target_class": "Course", "type": "many_to_many", "back_populates": "students", "secondary": "enrollments"}
    ///   ]},
    ///   {"table_name": "courses", "class_name": "Course", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "students", "target_class": "Student", "type": "many_to_many", "back_populates": "courses", "secondary": "enrollments"}
    ///   ]},
    ///   {"table_name": "enrollments", "class_name": "Enrollment", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "student_id", "type": "ForeignKey", "target": "students.id"},
    ///     {"name": "course_id", "type": "ForeignKey", "target": "courses.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Declare the association table with one foreign key to each side, and name it in `secondary` on both
    /// sides.
    M2mSecondary = "M2M_SECONDARY", Error;
    /// A many-to-many from a table to itself.
    ///
    /// ## What
    /// A `many_to_many` relationship whose `target_table` is its own table.
    ///
    /// ## Why
    /// Its association table would hold two foreign keys to the same table, and the pairing rules of
    /// docs/format.md §4.4 cannot tell which is which, so the generated backend could not tell a user's
    /// followers from the users they follow.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "social", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ], "relationships": [
    ///     {"target_table": "users", "target_class": "User", "type": "many_to_many", "back_populates": "friends"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "social", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "friendships", "class_name": "Friendship", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true},
    ///     {"name": "user_id", "type": "ForeignKey", "target": "users.id"},
    ///     {"name": "friend_id", "type": "ForeignKey", "target": "users.id"}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Model the link as a table of its own with two foreign keys to the table, and if you want attributes,
    /// two `many_to_one` relationships with `foreign_key` on it.
    M2mSelf = "M2M_SELF", Error;
    /// A count or size over a limit set with `--max-*` (or by `serve`).
    ///
    /// ## What
    /// Fires only when limits are set: with `--max-tables`, `--max-columns`, `--max-relationships` or
    /// `--max-bytes` on the commands that compile documents (`backbone validate`, `backbone plan`), or in
    /// `serve`, which applies the limits of docs/format.md §7. It reports a document over the byte limit, or a
    /// `schema`, a table's `columns` or its `relationships` (counted as written, without option columns)
    /// with more entries than allowed.
    ///
    /// ## Why
    /// A server that compiles documents for others must bound the work one request can cause; the command
    /// line imposes no limit unless asked to, since real projects can have tens of thousands of tables.
    ///
    /// ## Example
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]},
    ///   {"table_name": "orders", "class_name": "Order", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// ## Fix
    ///
    /// ```json
    /// {"project_name": "shop", "db_type": "sqlite", "schema": [
    ///   {"table_name": "users", "class_name": "User", "columns": [
    ///     {"name": "id", "type": "Integer", "primary_key": true}
    ///   ]}
    /// ]}
    /// ```
    ///
    /// Split the document, or raise the limit (here `--max-tables 2`).
    LimitExceeded = "LIMIT_EXCEEDED", Error;
}
