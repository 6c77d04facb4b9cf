//! The stable diagnostic codes of FORMAT.md §6, plus `LIMIT_EXCEEDED` for the optional
//! input limits of §7.
//!
//! Invariant: a code, once published, keeps its name and meaning forever. Each variant's
//! doc comment is also its `backbone explain` text, so rustdoc and the CLI cannot drift.

use super::Severity;

/// Declares [`Code`] with, per variant, its stable name and severity; the variant's doc
/// comment becomes [`Code::explanation`].
macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $severity:ident; )*) => {
        /// A stable diagnostic code. Named for the violation, as FORMAT.md §6 names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in the order of FORMAT.md §6.
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
    JsonSyntax = "JSON_SYNTAX", Error;
    /// An object repeats a key; the last occurrence is used.
    DuplicateKey = "DUPLICATE_KEY", Warning;
    /// A key the format does not define; it is ignored.
    UnknownField = "UNKNOWN_FIELD", Warning;
    /// A required key is absent.
    MissingField = "MISSING_FIELD", Error;
    /// A value has the wrong JSON type.
    WrongType = "WRONG_TYPE", Error;
    /// A name or list that must not be empty is empty.
    Empty = "EMPTY", Error;
    /// A value outside its list of allowed values.
    BadValue = "BAD_VALUE", Error;
    /// A `project_name` with characters other than ASCII letters, digits, `-` and `_`.
    BadProjectName = "BAD_PROJECT_NAME", Error;
    /// A `table_name` that is not lowercase snake_case of at most 63 characters.
    BadTableName = "BAD_TABLE_NAME", Error;
    /// A `class_name` that is not a PascalCase Python class name.
    BadClassName = "BAD_CLASS_NAME", Error;
    /// A column `name` that is not an identifier of at most 63 characters.
    BadColumnName = "BAD_COLUMN_NAME", Error;
    /// Two tables share a `table_name`.
    DuplicateTable = "DUPLICATE_TABLE", Error;
    /// Two tables share a `class_name`.
    DuplicateClass = "DUPLICATE_CLASS", Error;
    /// Two columns of one table share a name, ignoring case.
    DuplicateColumn = "DUPLICATE_COLUMN", Error;
    /// An attribute that the column's type does not have.
    AttrNotForType = "ATTR_NOT_FOR_TYPE", Error;
    /// An attribute that has no effect where it is written.
    IgnoredAttribute = "IGNORED_ATTRIBUTE", Warning;
    /// A `length`, `precision` or `scale` outside its range.
    OutOfRange = "OUT_OF_RANGE", Error;
    /// A `String` column without `length`; 255 is used.
    StringNoLength = "STRING_NO_LENGTH", Warning;
    /// A `Numeric` column without `precision` and `scale`; (18, 2) is used.
    NumericNoPrecision = "NUMERIC_NO_PRECISION", Warning;
    /// Enum `values` missing, empty, duplicated or too long.
    EnumValues = "ENUM_VALUES", Error;
    /// A `default` that is not a valid literal for the column's type.
    DefaultInvalid = "DEFAULT_INVALID", Error;
    /// A `Text` column used as a key, unique or indexed.
    TextKey = "TEXT_KEY", Error;
    /// A `Float` primary-key column.
    PkType = "PK_TYPE", Error;
    /// A unique or indexed `String` longer than MariaDB can index.
    IndexTooLong = "INDEX_TOO_LONG", Warning;
    /// A declared column replaced by the column an option adds.
    MixinColumnShadowed = "MIXIN_COLUMN_SHADOWED", Warning;
    /// A table without a primary key.
    NoPrimaryKey = "NO_PRIMARY_KEY", Error;
    /// A primary-key column declared nullable.
    NullablePrimaryKey = "NULLABLE_PRIMARY_KEY", Error;
    /// A table whose primary key has several columns.
    CompositePrimaryKey = "COMPOSITE_PRIMARY_KEY", Info;
    /// A `ForeignKey` column without `target`.
    FkNoTarget = "FK_NO_TARGET", Error;
    /// A `target` that is not `table.column`.
    FkTargetFormat = "FK_TARGET_FORMAT", Error;
    /// A foreign key to a table that does not exist.
    FkTableNotFound = "FK_TABLE_NOT_FOUND", Error;
    /// A foreign key to a column that does not exist.
    FkColumnNotFound = "FK_COLUMN_NOT_FOUND", Error;
    /// A foreign key to a column that is neither the sole primary key nor unique.
    FkNotPkOrUnique = "FK_NOT_PK_OR_UNIQUE", Error;
    /// A foreign key that targets itself, directly or through a loop of foreign keys.
    FkSelfColumn = "FK_SELF_COLUMN", Error;
    /// `on_delete: SET NULL` on a column that cannot be null.
    SetNullNotNullable = "SET_NULL_NOT_NULLABLE", Error;
    /// `on_delete: SET DEFAULT` on a column without a default.
    SetDefaultNoDefault = "SET_DEFAULT_NO_DEFAULT", Error;
    /// `on_delete: SET DEFAULT`, which MariaDB and MySQL reject.
    SetDefaultUnsupported = "SET_DEFAULT_UNSUPPORTED", Warning;
    /// A NOT NULL foreign key to its own table.
    NotNullSelfReference = "NOT_NULL_SELF_REFERENCE", Error;
    /// A cycle of NOT NULL foreign keys through several tables.
    CircularDependency = "CIRCULAR_DEPENDENCY", Error;
    /// A cycle of foreign keys that a nullable foreign key breaks.
    NullableCycle = "NULLABLE_CYCLE", Info;
    /// A relationship to a table that does not exist.
    RelTableNotFound = "REL_TABLE_NOT_FOUND", Error;
    /// A relationship whose `target_class` is not the target table's class.
    RelClassMismatch = "REL_CLASS_MISMATCH", Error;
    /// A relationship with no foreign key joining its two tables.
    RelFkMissing = "REL_FK_MISSING", Error;
    /// A relationship with several foreign keys joining its two tables.
    RelFkAmbiguous = "REL_FK_AMBIGUOUS", Error;
    /// A relationship whose `foreign_key` does not join its two tables.
    RelFkInvalid = "REL_FK_INVALID", Error;
    /// A relationship whose partner cannot be decided.
    RelPartnerAmbiguous = "REL_PARTNER_AMBIGUOUS", Error;
    /// Two relationships claim the same partner.
    RelPartnerConflict = "REL_PARTNER_CONFLICT", Error;
    /// A relationship attribute name that is not a usable identifier.
    RelNameInvalid = "REL_NAME_INVALID", Error;
    /// A relationship attribute name already used on its class.
    RelNameClash = "REL_NAME_CLASH", Error;
    /// A relationship with no declared partner; the inverse is added.
    RelInverseSynthesized = "REL_INVERSE_SYNTHESIZED", Warning;
    /// A many-to-many without a usable association table.
    M2mSecondary = "M2M_SECONDARY", Error;
    /// A many-to-many from a table to itself.
    M2mSelf = "M2M_SELF", Error;
    /// A count or size over a limit set with `--max-*` (or by `serve`).
    LimitExceeded = "LIMIT_EXCEEDED", Error;
}
