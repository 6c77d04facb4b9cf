//! The stable diagnostic codes of docs/format.md §6, plus `LIMIT_EXCEEDED` for the optional
//! input limits of §7.
//!
//! Invariant: a code, once published, keeps its name and meaning forever. Each code's
//! explanation lives in `docs/codes/CODE_NAME.md` (as rustc keeps its error codes), and
//! `codes!` includes that one file both as the variant's doc comment and as its
//! `backbone explain` text, so rustdoc and the CLI cannot drift.

use super::Severity;

/// Declares [`Code`] with, per variant, its stable name and severity. The name also names
/// the explanation, `docs/codes/NAME.md`: it becomes the variant's doc comment and
/// [`Code::explanation`].
macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident; )*) => {
        /// A stable diagnostic code. Named for the violation, as docs/format.md §6 names it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( #[doc = include_str!(concat!("../../docs/codes/", $name, ".md"))] $variant, )*
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

            /// The long explanation printed by `backbone explain`, as Markdown: the file
            /// `docs/codes/NAME.md` without its final newline. Its first line is the
            /// one-line summary of the `backbone explain` index.
            pub fn explanation(self) -> &'static str {
                let text = match self { $(Code::$variant => include_str!(concat!("../../docs/codes/", $name, ".md")),)* };
                text.strip_suffix('\n').unwrap_or(text)
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
    JsonSyntax = "JSON_SYNTAX", Error;
    DuplicateKey = "DUPLICATE_KEY", Warning;
    UnknownField = "UNKNOWN_FIELD", Warning;
    MissingField = "MISSING_FIELD", Error;
    WrongType = "WRONG_TYPE", Error;
    Empty = "EMPTY", Error;
    BadValue = "BAD_VALUE", Error;
    BadProjectName = "BAD_PROJECT_NAME", Error;
    BadTableName = "BAD_TABLE_NAME", Error;
    BadClassName = "BAD_CLASS_NAME", Error;
    BadColumnName = "BAD_COLUMN_NAME", Error;
    DuplicateTable = "DUPLICATE_TABLE", Error;
    DuplicateClass = "DUPLICATE_CLASS", Error;
    DuplicateColumn = "DUPLICATE_COLUMN", Error;
    AttrNotForType = "ATTR_NOT_FOR_TYPE", Error;
    IgnoredAttribute = "IGNORED_ATTRIBUTE", Warning;
    OutOfRange = "OUT_OF_RANGE", Error;
    StringNoLength = "STRING_NO_LENGTH", Warning;
    NumericNoPrecision = "NUMERIC_NO_PRECISION", Warning;
    EnumValues = "ENUM_VALUES", Error;
    DefaultInvalid = "DEFAULT_INVALID", Error;
    TextKey = "TEXT_KEY", Error;
    PkType = "PK_TYPE", Error;
    WriteOnlyKey = "WRITE_ONLY_KEY", Error;
    IndexTooLong = "INDEX_TOO_LONG", Warning;
    MixinColumnShadowed = "MIXIN_COLUMN_SHADOWED", Warning;
    NoPrimaryKey = "NO_PRIMARY_KEY", Error;
    NullablePrimaryKey = "NULLABLE_PRIMARY_KEY", Error;
    CompositePrimaryKey = "COMPOSITE_PRIMARY_KEY", Info;
    FkNoTarget = "FK_NO_TARGET", Error;
    FkTargetFormat = "FK_TARGET_FORMAT", Error;
    FkTableNotFound = "FK_TABLE_NOT_FOUND", Error;
    FkColumnNotFound = "FK_COLUMN_NOT_FOUND", Error;
    FkNotPkOrUnique = "FK_NOT_PK_OR_UNIQUE", Error;
    FkSelfColumn = "FK_SELF_COLUMN", Error;
    SetNullNotNullable = "SET_NULL_NOT_NULLABLE", Error;
    SetDefaultNoDefault = "SET_DEFAULT_NO_DEFAULT", Error;
    SetDefaultUnsupported = "SET_DEFAULT_UNSUPPORTED", Warning;
    NotNullSelfReference = "NOT_NULL_SELF_REFERENCE", Error;
    CircularDependency = "CIRCULAR_DEPENDENCY", Error;
    NullableCycle = "NULLABLE_CYCLE", Info;
    RelTableNotFound = "REL_TABLE_NOT_FOUND", Error;
    RelClassMismatch = "REL_CLASS_MISMATCH", Error;
    RelFkMissing = "REL_FK_MISSING", Error;
    RelFkAmbiguous = "REL_FK_AMBIGUOUS", Error;
    RelFkInvalid = "REL_FK_INVALID", Error;
    RelPartnerAmbiguous = "REL_PARTNER_AMBIGUOUS", Error;
    RelPartnerConflict = "REL_PARTNER_CONFLICT", Error;
    RelNameInvalid = "REL_NAME_INVALID", Error;
    RelNameClash = "REL_NAME_CLASH", Error;
    RelInverseSynthesized = "REL_INVERSE_SYNTHESIZED", Warning;
    M2mSecondary = "M2M_SECONDARY", Error;
    M2mSelf = "M2M_SELF", Error;
    LimitExceeded = "LIMIT_EXCEEDED", Error;
}
