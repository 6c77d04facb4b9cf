//! Property tests of the whole pipeline.
//!
//! (a) Random valid documents (docs/format.md §3–§5) compile without errors, with a build
//!     order that puts every table after the tables it references, deterministically.
//! (b) Mutations of those documents never make the compiler panic, and every
//!     diagnostic points inside the text, renders, and names the table, column or
//!     relationship it lies in (issue 10).
//! (c) Arbitrary bytes and strings never make the compiler panic.
//!
//! Plus a few mutated documents through the real binary.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

#[path = "support/subjects.rs"]
mod subjects;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use assert_cmd::cargo::cargo_bin_cmd;
use backbone::diagnostics::Severity;
use backbone::diagnostics::render::{self, HumanStyle};
use backbone::source::Source;
use backbone::target::python;
use backbone::{Compilation, CompileOptions, compile};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------------
// Names

/// Words for table names; SQL reserved words are valid table names. Disjoint from
/// [`COLUMN_WORDS`] and from the key names, so that derived relationship names
/// (a child's `table_name`) never collide with a column.
const TABLE_WORDS: &[&str] = &["order", "user", "group", "select", "account", "invoice", "item", "product", "event", "session", "tag", "where"];

/// Words for column names; Python keywords and framework members are valid column names.
const COLUMN_WORDS: &[&str] =
    &["name", "title", "amount", "status", "type", "class", "metadata", "model_config", "value", "label", "def", "import", "async", "none", "query"];

/// Names of primary-key columns.
const KEY_NAMES: &[&str] = &["id", "pk", "code", "uid"];

const DB_TYPES: &[&str] = &["postgresql", "mysql", "sqlite", "mssql"];

/// `on_delete` actions that fit any foreign key (`SET NULL` and `SET DEFAULT` are
/// added when the column allows them).
const ON_DELETE: &[&str] = &["CASCADE", "RESTRICT", "NO ACTION", "SET NULL", "SET DEFAULT"];

/// Codes a generated valid document may produce: the warnings and notes its optional
/// parts cause by design.
const EXPECTED_CODES: &[&str] = &["STRING_NO_LENGTH", "NUMERIC_NO_PRECISION", "INDEX_TOO_LONG", "SET_DEFAULT_UNSUPPORTED", "REL_INVERSE_SYNTHESIZED"];

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

fn pascal(word: &str) -> String {
    word.split('_').map(capitalize).collect()
}

/// `text` cut to at most `max` characters.
fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

// ---------------------------------------------------------------------------------
// Specification of a valid document: random choices, resolved by `build`.

#[derive(Debug, Clone)]
struct DocSpec {
    project_name: String,
    db_type: usize,
    description: Option<String>,
    tables: Vec<TableSpec>,
}

#[derive(Debug, Clone)]
struct TableSpec {
    word: usize,
    bare: bool,
    description: Option<String>,
    /// `None`: an `Integer` key; `Some(length)`: a `String` key.
    string_key: Option<u32>,
    key_name: usize,
    key_says_not_null: bool,
    autoincrement: Option<bool>,
    /// 0: no `options`; 1: `{}`; 2: both flags written.
    options_form: u8,
    timestamps: bool,
    soft_delete: bool,
    /// 0: no `relationships` key; otherwise `[]` when there are none.
    relationships_key: bool,
    columns: Vec<ColumnSpec>,
    /// Many-to-many pairs through this table, when it links two others.
    many_to_many: bool,
    /// Rotation of the relationship list.
    rotate: usize,
}

#[derive(Debug, Clone)]
struct ColumnSpec {
    word: usize,
    bare: bool,
    upper: bool,
    unique: bool,
    index: bool,
    /// 0: no `nullable`; 1: `true`; 2: `false`.
    nullable: u8,
    description: Option<String>,
    kind: KindSpec,
}

#[derive(Debug, Clone)]
enum KindSpec {
    Integer(Option<i32>),
    String { length: Option<u32>, default: Option<String> },
    Text(Option<String>),
    Boolean(Option<bool>),
    DateTime(Option<DateTimeSpec>),
    Date(Option<(u16, u8, u8)>),
    Time(Option<(u8, u8, u8, Option<u32>)>),
    Numeric { params: Option<(u32, u32)>, default: Option<(u64, u64, bool, bool)> },
    Float(Option<f64>),
    Enum { values: Vec<String>, default: Option<usize> },
    ForeignKey { target: usize, on_delete: Option<usize>, relation: RelationSpec, default: Option<(i32, String)> },
}

#[derive(Debug, Clone)]
enum DateTimeSpec {
    Now,
    At { date: (u16, u8, u8), time: (u8, u8, u8, Option<u32>), offset: Offset },
}

/// The offset of a `DateTime` literal.
#[derive(Debug, Clone, Copy)]
enum Offset {
    /// None written: read as UTC.
    Absent,
    /// `Z`.
    Utc,
    /// `±HH:MM`: positive, hours, minutes.
    Fixed(bool, u8, u8),
}

/// What relationships describe a foreign key.
#[derive(Debug, Clone, Copy)]
enum RelationSpec {
    None,
    /// A `many_to_one`/`one_to_many` pair; `foreign_key` written on each side or not.
    Pair {
        fk_on_many: bool,
        fk_on_one: bool,
    },
    /// Only the `many_to_one` side (its inverse is synthesized, with a warning).
    OnlyMany,
    /// Only the `one_to_many` side.
    OnlyOne,
}

fn free_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of("(?s).{0,24}")
}

fn date() -> impl Strategy<Value = (u16, u8, u8)> {
    (1u16..=9999, 1u8..=12, 1u8..=28)
}

fn time() -> impl Strategy<Value = (u8, u8, u8, Option<u32>)> {
    (0u8..24, 0u8..60, 0u8..60, prop::option::of(0u32..1_000_000))
}

fn kind() -> impl Strategy<Value = KindSpec> {
    prop_oneof![
        1 => prop::option::of(any::<i32>()).prop_map(KindSpec::Integer),
        1 => (prop::option::of(1u32..=16383), prop::option::of("(?s).{0,12}")).prop_map(|(length, default)| KindSpec::String { length, default }),
        1 => prop::option::of("(?s).{0,40}").prop_map(KindSpec::Text),
        1 => prop::option::of(any::<bool>()).prop_map(KindSpec::Boolean),
        1 => prop::option::of(prop_oneof![
            Just(DateTimeSpec::Now),
            (date(), time(), prop_oneof![Just(Offset::Absent), Just(Offset::Utc), (any::<bool>(), 0u8..24, 0u8..60).prop_map(|(plus, hours, minutes)| Offset::Fixed(plus, hours, minutes))])
                .prop_map(|(date, time, offset)| DateTimeSpec::At { date, time, offset }),
        ])
        .prop_map(KindSpec::DateTime),
        1 => prop::option::of(date()).prop_map(KindSpec::Date),
        1 => prop::option::of(time()).prop_map(KindSpec::Time),
        1 => (prop::option::of((1u32..=65, any::<u32>())), prop::option::of((any::<u64>(), any::<u64>(), any::<bool>(), any::<bool>())))
            .prop_map(|(params, default)| KindSpec::Numeric { params, default }),
        1 => prop::option::of(prop_oneof![any::<f64>().prop_filter("finite", |value| value.is_finite()), -1e6f64..1e6]).prop_map(KindSpec::Float),
        1 => (prop::collection::vec("[A-Za-z0-9 _-]{1,12}|\\PC{1,20}", 1..5), prop::option::of(any::<usize>()))
            .prop_map(|(values, default)| KindSpec::Enum { values, default }),
        4 => (any::<usize>(), prop::option::of(0..ON_DELETE.len()), relation(), prop::option::of((any::<i32>(), "[^\\x00]{0,8}")))
            .prop_map(|(target, on_delete, relation, default)| KindSpec::ForeignKey { target, on_delete, relation, default }),
    ]
}

fn relation() -> impl Strategy<Value = RelationSpec> {
    prop_oneof![
        2 => Just(RelationSpec::None),
        4 => (any::<bool>(), any::<bool>()).prop_map(|(fk_on_many, fk_on_one)| RelationSpec::Pair { fk_on_many, fk_on_one }),
        1 => Just(RelationSpec::OnlyMany),
        1 => Just(RelationSpec::OnlyOne),
    ]
}

prop_compose! {
    fn column()(
        word in 0..COLUMN_WORDS.len(),
        bare in any::<bool>(),
        upper in prop::bool::weighted(0.2),
        unique in prop::bool::weighted(0.2),
        index in prop::bool::weighted(0.3),
        nullable in 0u8..3,
        description in free_text(),
        kind in kind(),
    ) -> ColumnSpec {
        ColumnSpec { word, bare, upper, unique, index, nullable, description, kind }
    }
}

prop_compose! {
    fn table()(
        word in 0..TABLE_WORDS.len(),
        bare in any::<bool>(),
        description in free_text(),
        string_key in prop::option::weighted(0.3, 1u32..=200),
        key_name in 0..KEY_NAMES.len(),
        key_says_not_null in any::<bool>(),
        autoincrement in prop::option::of(any::<bool>()),
        options_form in 0u8..3,
        timestamps in any::<bool>(),
        soft_delete in any::<bool>(),
        relationships_key in any::<bool>(),
        columns in prop::collection::vec(column(), 0..7),
        many_to_many in any::<bool>(),
        rotate in any::<usize>(),
    ) -> TableSpec {
        TableSpec {
            word, bare, description, string_key, key_name, key_says_not_null, autoincrement, options_form, timestamps, soft_delete,
            relationships_key, columns, many_to_many, rotate,
        }
    }
}

prop_compose! {
    fn document()(
        project_name in "[A-Za-z0-9_-]{0,12}[A-Za-z0-9]",
        db_type in 0..DB_TYPES.len(),
        description in free_text(),
        tables in prop::collection::vec(table(), 1..=12),
    ) -> DocSpec {
        DocSpec { project_name, db_type, description, tables }
    }
}

/// A generated valid document and what it must compile to.
#[derive(Debug, Clone)]
struct Generated {
    value: Value,
    /// Table names in declaration order.
    tables: Vec<String>,
    /// Relationship entries written without their partner.
    unpaired: usize,
    /// Relationship attributes of all classes, declared or synthesized.
    attributes: usize,
}

/// One foreign key of the generated document.
struct ForeignKeySpec {
    child: usize,
    column: String,
    parent: usize,
    relation: RelationSpec,
}

/// The key column of each table: name and (for a `String` key) its length.
struct KeyColumn {
    name: String,
    string_length: Option<u32>,
}

fn numeric_default(precision: u32, scale: u32, (int_seed, frac_seed, negative, as_string): (u64, u64, bool, bool)) -> Value {
    let int_digits = int_seed % u64::from((precision - scale).min(12) + 1);
    let frac_digits = frac_seed % u64::from(scale.min(6) + 1);
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    let mut seed = int_seed / 13 + 7;
    if int_digits == 0 {
        text.push('0');
    }
    for _ in 0..int_digits {
        let _ = write!(text, "{}", seed % 10);
        seed /= 10;
        seed += int_seed % 97;
    }
    if frac_digits > 0 {
        text.push('.');
        let mut seed = frac_seed / 7 + 3;
        for _ in 0..frac_digits {
            let _ = write!(text, "{}", seed % 10);
            seed /= 10;
            seed += frac_seed % 89;
        }
    }
    if as_string || frac_digits > 0 { Value::String(text) } else { Value::Number(text.parse::<i64>().expect("at most 12 digits").into()) }
}

fn clock((hour, minute, second, fraction): (u8, u8, u8, Option<u32>)) -> String {
    let mut text = format!("{hour:02}:{minute:02}:{second:02}");
    if let Some(fraction) = fraction {
        let _ = write!(text, ".{fraction:06}");
    }
    text
}

fn day((year, month, day): (u16, u8, u8)) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

impl DocSpec {
    /// The document these choices describe, valid by construction.
    fn build(&self) -> Generated {
        let count = self.tables.len();
        let mut names = Vec::with_capacity(count);
        let mut used = BTreeSet::new();
        for (idx, table) in self.tables.iter().enumerate() {
            let word = TABLE_WORDS[table.word];
            let name = if table.bare && used.insert(word) { word.to_owned() } else { format!("{word}_{idx}") };
            names.push(name);
        }
        let classes: Vec<String> = self.tables.iter().enumerate().map(|(idx, table)| format!("{}{idx}", pascal(TABLE_WORDS[table.word]))).collect();
        let keys: Vec<KeyColumn> =
            self.tables.iter().map(|table| KeyColumn { name: KEY_NAMES[table.key_name].to_owned(), string_length: table.string_key }).collect();

        let mut foreign_keys: Vec<ForeignKeySpec> = Vec::new();
        let mut tables_json = Vec::with_capacity(count);
        for (idx, table) in self.tables.iter().enumerate() {
            let mut columns = Vec::new();
            let mut key = Map::new();
            key.insert("name".into(), json!(keys[idx].name));
            key.insert("primary_key".into(), json!(true));
            match table.string_key {
                Some(length) => {
                    key.insert("type".into(), json!("String"));
                    key.insert("length".into(), json!(length));
                }
                None => {
                    key.insert("type".into(), json!("Integer"));
                    if let Some(autoincrement) = table.autoincrement {
                        key.insert("autoincrement".into(), json!(autoincrement));
                    }
                }
            }
            if table.key_says_not_null {
                key.insert("nullable".into(), json!(false));
            }
            columns.push(Value::Object(key));
            let mut bare_used = BTreeSet::new();
            for (col_idx, spec) in table.columns.iter().enumerate() {
                let number = col_idx + 1;
                let word = COLUMN_WORDS[spec.word];
                let word = if spec.upper { capitalize(word) } else { word.to_owned() };
                let is_key = matches!(spec.kind, KindSpec::ForeignKey { .. });
                let name = if is_key {
                    format!("{word}_{number}_id")
                } else if spec.bare && bare_used.insert(word.to_ascii_lowercase()) {
                    word
                } else {
                    format!("{word}_{number}")
                };
                let mut column = Map::new();
                column.insert("name".into(), json!(name));
                let mut nullable = spec.nullable;
                let mut indexable = true;
                match &spec.kind {
                    KindSpec::Integer(default) => {
                        column.insert("type".into(), json!("Integer"));
                        if let Some(default) = default {
                            column.insert("default".into(), json!(default));
                        }
                    }
                    KindSpec::String { length, default } => {
                        column.insert("type".into(), json!("String"));
                        if let Some(length) = length {
                            column.insert("length".into(), json!(length));
                        }
                        if let Some(default) = default {
                            // PostgreSQL cannot store NUL, so a valid default has none.
                            column.insert("default".into(), json!(truncate_chars(&default.replace('\0', ""), length.unwrap_or(255) as usize)));
                        }
                    }
                    KindSpec::Text(default) => {
                        column.insert("type".into(), json!("Text"));
                        indexable = false;
                        if let Some(default) = default {
                            column.insert("default".into(), json!(default.replace('\0', "")));
                        }
                    }
                    KindSpec::Boolean(default) => {
                        column.insert("type".into(), json!("Boolean"));
                        if let Some(default) = default {
                            column.insert("default".into(), json!(default));
                        }
                    }
                    KindSpec::DateTime(default) => {
                        column.insert("type".into(), json!("DateTime"));
                        match default {
                            None => {}
                            Some(DateTimeSpec::Now) => {
                                column.insert("default".into(), json!("now"));
                            }
                            Some(DateTimeSpec::At { date, time, offset }) => {
                                let mut text = format!("{}T{}", day(*date), clock(*time));
                                match offset {
                                    Offset::Absent => {}
                                    Offset::Utc => text.push('Z'),
                                    Offset::Fixed(plus, hours, minutes) => {
                                        let _ = write!(text, "{}{hours:02}:{minutes:02}", if *plus { '+' } else { '-' });
                                    }
                                }
                                column.insert("default".into(), json!(text));
                            }
                        }
                    }
                    KindSpec::Date(default) => {
                        column.insert("type".into(), json!("Date"));
                        if let Some(date) = default {
                            column.insert("default".into(), json!(day(*date)));
                        }
                    }
                    KindSpec::Time(default) => {
                        column.insert("type".into(), json!("Time"));
                        if let Some(time) = default {
                            column.insert("default".into(), json!(clock(*time)));
                        }
                    }
                    KindSpec::Numeric { params, default } => {
                        column.insert("type".into(), json!("Numeric"));
                        let (precision, scale) = match params {
                            Some((precision, scale_seed)) => {
                                let scale = scale_seed % ((*precision).min(30) + 1);
                                column.insert("precision".into(), json!(precision));
                                if scale_seed % 5 != 0 {
                                    column.insert("scale".into(), json!(scale));
                                    (*precision, scale)
                                } else {
                                    (*precision, 0)
                                }
                            }
                            None => (18, 2),
                        };
                        if let Some(seed) = default {
                            column.insert("default".into(), numeric_default(precision, scale, *seed));
                        }
                    }
                    KindSpec::Float(default) => {
                        column.insert("type".into(), json!("Float"));
                        if let Some(default) = default {
                            column.insert("default".into(), json!(default));
                        }
                    }
                    KindSpec::Enum { values, default } => {
                        column.insert("type".into(), json!("Enum"));
                        let mut distinct: Vec<String> = Vec::new();
                        for value in values {
                            // Valid values: at most 63 bytes, no control character, no
                            // trailing space, distinct ignoring case (MariaDB's rules).
                            let mut value: String = value.chars().filter(|c| !c.is_control()).collect();
                            while value.len() > 63 {
                                value.pop();
                            }
                            let value = value.trim_end_matches(' ').to_owned();
                            if !value.is_empty() && !distinct.iter().any(|other| other.to_lowercase() == value.to_lowercase()) {
                                distinct.push(value);
                            }
                        }
                        if distinct.is_empty() {
                            distinct.push("only".to_owned());
                        }
                        if let Some(default) = default {
                            column.insert("default".into(), json!(distinct[default % distinct.len()]));
                        }
                        column.insert("values".into(), json!(distinct));
                    }
                    KindSpec::ForeignKey { target, on_delete, relation, default } => {
                        let parent = target % (idx + 1);
                        column.insert("type".into(), json!("ForeignKey"));
                        column.insert("target".into(), json!(format!("{}.{}", names[parent], keys[parent].name)));
                        // A self-reference must be nullable (NOT_NULL_SELF_REFERENCE).
                        if parent == idx && nullable == 2 {
                            nullable = 0;
                        }
                        if let Some(action) = on_delete {
                            let action = match ON_DELETE[*action] {
                                "SET NULL" if nullable == 2 => "CASCADE",
                                "SET DEFAULT" => {
                                    let (number, text) = default.clone().unwrap_or((1, "a".to_owned()));
                                    let literal = match keys[parent].string_length {
                                        Some(length) => json!(truncate_chars(&text, length as usize)),
                                        None => json!(number),
                                    };
                                    column.insert("default".into(), literal);
                                    "SET DEFAULT"
                                }
                                other => other,
                            };
                            column.insert("on_delete".into(), json!(action));
                        }
                        foreign_keys.push(ForeignKeySpec { child: idx, column: name.clone(), parent, relation: *relation });
                    }
                }
                match nullable {
                    1 => {
                        column.insert("nullable".into(), json!(true));
                    }
                    2 => {
                        column.insert("nullable".into(), json!(false));
                    }
                    _ => {}
                }
                if indexable && spec.unique {
                    column.insert("unique".into(), json!(true));
                }
                if indexable && spec.index {
                    column.insert("index".into(), json!(true));
                }
                if let Some(description) = &spec.description {
                    column.insert("description".into(), json!(description));
                }
                columns.push(Value::Object(column));
            }
            let mut object = Map::new();
            object.insert("table_name".into(), json!(names[idx]));
            object.insert("class_name".into(), json!(classes[idx]));
            if let Some(description) = &table.description {
                object.insert("description".into(), json!(description));
            }
            match table.options_form {
                1 => {
                    object.insert("options".into(), json!({}));
                }
                2 => {
                    object.insert("options".into(), json!({"use_timestamps": table.timestamps, "use_soft_delete": table.soft_delete}));
                }
                _ => {}
            }
            object.insert("columns".into(), Value::Array(columns));
            tables_json.push(object);
        }

        // Relationships, per §4: each entry names the attribute on the *other* class.
        let mut relationships: Vec<Vec<Value>> = vec![Vec::new(); count];
        let mut unpaired = 0;
        let mut attributes = 0;
        let mut between: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for key in &foreign_keys {
            *between.entry((key.child, key.parent)).or_default() += 1;
        }
        for key in &foreign_keys {
            let (child, parent) = (key.child, key.parent);
            let sole = between[&(child, parent)] == 1;
            let stem = key.column.strip_suffix("_id").expect("foreign keys end in _id").to_owned();
            let number = key.column.rsplit('_').nth(1).unwrap_or_default().to_owned();
            let on_parent = format!("rev{child}_{number}");
            let many = |back_populates: &str, with_fk: bool| {
                let mut entry = json!({
                    "target_table": names[parent], "target_class": classes[parent], "type": "many_to_one", "back_populates": back_populates,
                });
                if with_fk {
                    entry["foreign_key"] = json!(key.column);
                }
                entry
            };
            let one = |back_populates: &str, with_fk: bool| {
                let mut entry = json!({
                    "target_table": names[child], "target_class": classes[child], "type": "one_to_many", "back_populates": back_populates,
                });
                if with_fk {
                    entry["foreign_key"] = json!(key.column);
                }
                entry
            };
            let relation = match key.relation {
                // Half a pair is only unambiguous when this is the only key between the two.
                RelationSpec::OnlyMany | RelationSpec::OnlyOne if !sole => RelationSpec::Pair { fk_on_many: true, fk_on_one: false },
                other => other,
            };
            match relation {
                RelationSpec::None => {}
                RelationSpec::Pair { fk_on_many, fk_on_one } => {
                    relationships[child].push(many(&on_parent, fk_on_many || !sole));
                    relationships[parent].push(one(&stem, fk_on_one));
                    attributes += 2;
                }
                RelationSpec::OnlyMany => {
                    relationships[child].push(many(&format!("solo{child}_{number}"), true));
                    unpaired += 1;
                    attributes += 2;
                }
                RelationSpec::OnlyOne => {
                    relationships[parent].push(one(&format!("solo{child}_{number}"), false));
                    unpaired += 1;
                    attributes += 2;
                }
            }
        }
        // Many-to-many through a table with exactly one foreign key to each of two others.
        for (through, table) in self.tables.iter().enumerate() {
            if !table.many_to_many {
                continue;
            }
            let mut targets: BTreeMap<usize, usize> = BTreeMap::new();
            for key in foreign_keys.iter().filter(|key| key.child == through && key.parent != through) {
                *targets.entry(key.parent).or_default() += 1;
            }
            let singles: Vec<usize> = targets.iter().filter(|(_, count)| **count == 1).map(|(table, _)| *table).collect();
            for (left_idx, &left) in singles.iter().enumerate() {
                for &right in &singles[left_idx + 1..] {
                    for (from, to) in [(left, right), (right, left)] {
                        relationships[from].push(json!({
                            "target_table": names[to], "target_class": classes[to], "type": "many_to_many",
                            "back_populates": format!("via{through}_{from}"), "secondary": names[through],
                        }));
                        attributes += 1;
                    }
                }
            }
        }
        for (idx, (object, mut entries)) in tables_json.iter_mut().zip(relationships).enumerate() {
            if !entries.is_empty() {
                let len = entries.len();
                entries.rotate_left(self.tables[idx].rotate % len);
            }
            if !entries.is_empty() || self.tables[idx].relationships_key {
                object.insert("relationships".into(), Value::Array(entries));
            }
        }

        let mut root = Map::new();
        root.insert("project_name".into(), json!(self.project_name));
        root.insert("db_type".into(), json!(DB_TYPES[self.db_type]));
        if let Some(description) = &self.description {
            root.insert("description".into(), json!(description));
        }
        root.insert("schema".into(), Value::Array(tables_json.into_iter().map(Value::Object).collect()));
        Generated { value: Value::Object(root), tables: names, unpaired, attributes }
    }
}

// ---------------------------------------------------------------------------------
// Checks shared by the properties

/// The build order lists every table once, each after the tables it references
/// (self-references and deferred foreign keys excepted).
fn check_build_order(compilation: &Compilation) -> Result<(), TestCaseError> {
    let (schema, order) = compilation.valid_schema().ok_or_else(|| TestCaseError::fail("no valid schema"))?;
    prop_assert_eq!(order.tables.len(), schema.tables.len());
    let mut position = vec![usize::MAX; schema.tables.len()];
    for (at, table) in order.tables.iter().enumerate() {
        prop_assert_eq!(position[table.0], usize::MAX, "table listed twice");
        position[table.0] = at;
    }
    for (idx, table) in schema.tables.iter().enumerate() {
        for (column_idx, column) in table.columns.iter().enumerate() {
            let Some(key) = &column.foreign_key else { continue };
            let column_ref = backbone::ir::ColumnRef { table: backbone::ir::TableId(idx), column: backbone::ir::ColumnId(column_idx) };
            if key.target.table.0 == idx || order.is_deferred(column_ref) {
                continue;
            }
            prop_assert!(
                position[key.target.table.0] < position[idx],
                "`{}` is built before `{}`, which it references",
                table.name,
                schema.tables[key.target.table.0].name
            );
        }
    }
    Ok(())
}

/// Every span lies within the text and starts on a character boundary, and every
/// rendering works.
fn check_diagnostics(source: &Source, compilation: &Compilation) -> Result<(), TestCaseError> {
    let text = source.text();
    if compilation.diagnostics.has_errors() || !compilation.is_valid() {
        prop_assert!(compilation.diagnostics.has_errors(), "invalid without an error: {:?}", compilation.diagnostics);
        prop_assert!(!compilation.diagnostics.is_empty());
    }
    for diagnostic in &compilation.diagnostics {
        let span = diagnostic.primary.span;
        prop_assert!(span.start <= span.end, "{} span {:?} is reversed", diagnostic.code, span);
        prop_assert!(span.end <= text.len(), "{} span {:?} ends beyond the text ({} bytes)", diagnostic.code, span, text.len());
        prop_assert!(text.is_char_boundary(span.start), "{} span {:?} starts inside a character", diagnostic.code, span);
        prop_assert!(!diagnostic.message.is_empty(), "{} has no message", diagnostic.code);
        for label in &diagnostic.secondary {
            prop_assert!(label.span.start <= label.span.end && label.span.end <= text.len(), "{} secondary span {:?} is outside", diagnostic.code, label.span);
            prop_assert!(text.is_char_boundary(label.span.start), "{} secondary span {:?} starts inside a character", diagnostic.code, label.span);
        }
    }
    let human = render::human(source, &compilation.diagnostics, HumanStyle::default());
    prop_assert_eq!(human.is_empty(), compilation.diagnostics.is_empty());
    let colored = render::human(source, &compilation.diagnostics, HumanStyle { color: true, width: 40 });
    prop_assert_eq!(colored.is_empty(), compilation.diagnostics.is_empty());
    let report = render::file_report(source, &compilation.diagnostics);
    prop_assert_eq!(report.diagnostics.len(), compilation.diagnostics.len());
    prop_assert_eq!(report.valid, !compilation.diagnostics.has_errors());
    // Issue 10: each diagnostic inside a table names the table (and column or
    // relationship), whatever the mutation did to the names.
    let missing = subjects::missing_subjects(text, &report);
    prop_assert!(missing.is_empty(), "diagnostics without their subject:\n  {}\n{}", missing.join("\n  "), text);
    let rendered = render::json(&[report]);
    let parsed: Value = serde_json::from_str(&rendered).map_err(|error| TestCaseError::fail(format!("JSON rendering does not parse: {error}")))?;
    prop_assert!(parsed["files"][0]["diagnostics"].is_array());
    let github = render::github(source, &compilation.diagnostics);
    prop_assert_eq!(github.lines().count(), compilation.diagnostics.len());
    Ok(())
}

// ---------------------------------------------------------------------------------
// Mutations

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(Step::Key(key.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (idx, child) in items.iter().enumerate() {
                prefix.push(Step::Index(idx));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut current = value;
    for step in path {
        current = match step {
            Step::Key(key) => current.as_object_mut()?.get_mut(key)?,
            Step::Index(idx) => current.as_array_mut()?.get_mut(*idx)?,
        };
    }
    Some(current)
}

/// The paths of the values that satisfy `keep`.
fn select(value: &Value, keep: impl Fn(&Value) -> bool) -> Vec<Vec<Step>> {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    all.into_iter().filter(|path| keep(at(value, path).expect("path from this value"))).collect()
}

fn at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut current = value;
    for step in path {
        current = match step {
            Step::Key(key) => current.as_object()?.get(key)?,
            Step::Index(idx) => current.as_array()?.get(*idx)?,
        };
    }
    Some(current)
}

/// A change to the document as a JSON value.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteKey {
        at: usize,
        key: usize,
    },
    ChangeType {
        at: usize,
    },
    Set {
        at: usize,
        value: Value,
    },
    RenameTable {
        table: usize,
        name: String,
    },
    DuplicateEntry {
        at: usize,
        item: usize,
    },
    /// Writes the key of an object twice (with a different value first).
    DuplicateKey {
        at: usize,
        key: usize,
        value: Value,
    },
    /// Replaces a value with arrays or objects nested `depth` deep.
    DeepNesting {
        at: usize,
        depth: usize,
        objects: bool,
    },
}

/// A change to the text.
#[derive(Debug, Clone)]
enum TextMutation {
    Truncate(usize),
    InsertByte(usize, u8),
    DeleteByte(usize),
}

fn leaf() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|number| json!(number)),
        any::<u64>().prop_map(|number| json!(number)),
        any::<f64>().prop_filter("finite", |value| value.is_finite()).prop_map(|number| json!(number)),
        "(?s).{0,16}".prop_map(Value::String),
        prop::sample::select(vec!["", "Integer", "String", "ForeignKey", "Enum", "t.id", "order.id", "a.b.c", "SET NULL", "many_to_one", "now", "__x"])
            .prop_map(|text| Value::String(text.to_owned())),
    ];
    scalar.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..3).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<usize>()).prop_map(|(at, key)| Mutation::DeleteKey { at, key }),
        3 => any::<usize>().prop_map(|at| Mutation::ChangeType { at }),
        4 => (any::<usize>(), leaf()).prop_map(|(at, value)| Mutation::Set { at, value }),
        2 => (any::<usize>(), "[a-z_][a-z0-9_]{0,8}|(?s).{0,8}|[a-z_]{60,80}").prop_map(|(table, name)| Mutation::RenameTable { table, name }),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(at, item)| Mutation::DuplicateEntry { at, item }),
        2 => (any::<usize>(), any::<usize>(), leaf()).prop_map(|(at, key, value)| Mutation::DuplicateKey { at, key, value }),
        1 => (any::<usize>(), 1usize..400, any::<bool>()).prop_map(|(at, depth, objects)| Mutation::DeepNesting { at, depth, objects }),
    ]
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    prop_oneof![
        any::<usize>().prop_map(TextMutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| TextMutation::InsertByte(at, byte)),
        any::<usize>().prop_map(TextMutation::DeleteByte),
    ]
}

/// Marker strings replaced in the text after serialization.
const DEEP_MARKER: &str = "\u{1}deep-nesting-marker";
const DUPLICATE_MARKER: &str = "\u{1}duplicate-key-marker";

/// Applies `mutation` to `value`; returns text to splice in for the markers.
fn apply(value: &mut Value, mutation: &Mutation, splices: &mut Vec<(String, String)>) {
    match mutation {
        Mutation::DeleteKey { at, key } => {
            let candidates = select(value, |value| value.as_object().is_some_and(|map| !map.is_empty()));
            if let Some(path) = pick(&candidates, *at) {
                let map = at_mut(value, path).and_then(Value::as_object_mut).expect("an object");
                let name = map.keys().nth(key % map.len()).cloned().expect("a key");
                map.remove(&name);
            }
        }
        Mutation::ChangeType { at } => {
            let candidates = select(value, |_| true);
            if let Some(path) = pick(&candidates, *at) {
                let target = at_mut(value, path).expect("a value");
                *target = match target.take() {
                    Value::Null => json!(false),
                    Value::Bool(flag) => json!(flag.to_string()),
                    Value::Number(number) => json!(number.to_string()),
                    Value::String(text) => text.parse::<f64>().map_or_else(|_| json!(text.len()), |number| json!(number)),
                    Value::Array(items) => Value::Object(items.into_iter().enumerate().map(|(idx, item)| (idx.to_string(), item)).collect()),
                    Value::Object(map) => Value::Array(map.into_iter().map(|(_, item)| item).collect()),
                };
            }
        }
        Mutation::Set { at, value: new } => {
            let candidates = select(value, |_| true);
            if let Some(path) = pick(&candidates, *at) {
                *at_mut(value, path).expect("a value") = new.clone();
            }
        }
        Mutation::RenameTable { table, name } => {
            if let Some(tables) = value.get_mut("schema").and_then(Value::as_array_mut).filter(|tables| !tables.is_empty()) {
                let len = tables.len();
                if let Some(object) = tables[table % len].as_object_mut() {
                    object.insert("table_name".into(), json!(name));
                }
            }
        }
        Mutation::DuplicateEntry { at, item } => {
            let candidates = select(value, |value| value.as_array().is_some_and(|items| !items.is_empty()));
            if let Some(path) = pick(&candidates, *at) {
                let items = at_mut(value, path).and_then(Value::as_array_mut).expect("an array");
                let copy = items[item % items.len()].clone();
                let len = items.len();
                items.insert(item % (len + 1), copy);
            }
        }
        Mutation::DuplicateKey { at, key, value: first } => {
            let candidates = select(value, |value| value.as_object().is_some_and(|map| !map.is_empty()));
            if let Some(path) = pick(&candidates, *at) {
                let map = at_mut(value, path).and_then(Value::as_object_mut).expect("an object");
                let name = map.keys().nth(key % map.len()).cloned().expect("a key");
                let marker = format!("{DUPLICATE_MARKER}{}", splices.len());
                // The marker key sorts like any other; it becomes `"name": first, "name"`.
                let replacement = format!("{}: {}, {}", Value::String(name.clone()), first, Value::String(name.clone()));
                let last = map.remove(&name).expect("the key");
                map.insert(marker.clone(), last);
                splices.push((Value::String(marker).to_string(), replacement));
            }
        }
        Mutation::DeepNesting { at, depth, objects } => {
            let candidates = select(value, |_| true);
            if let Some(path) = pick(&candidates, *at).filter(|path| !path.is_empty()) {
                let marker = format!("{DEEP_MARKER}{}", splices.len());
                *at_mut(value, path).expect("a value") = json!(marker);
                let (open, close) = if *objects { ("{\"a\":", "}") } else { ("[", "]") };
                splices.push((Value::String(marker).to_string(), format!("{}1{}", open.repeat(*depth), close.repeat(*depth))));
            }
        }
    }
}

fn pick<T>(candidates: &[T], at: usize) -> Option<&T> {
    (!candidates.is_empty()).then(|| &candidates[at % candidates.len()])
}

fn mutate_text(bytes: &mut Vec<u8>, mutation: &TextMutation) {
    match *mutation {
        TextMutation::Truncate(at) => bytes.truncate(at % (bytes.len() + 1)),
        TextMutation::InsertByte(at, byte) => bytes.insert(at % (bytes.len() + 1), byte),
        TextMutation::DeleteByte(at) => {
            if !bytes.is_empty() {
                bytes.remove(at % bytes.len());
            }
        }
    }
}

/// A generated document with mutations applied, as bytes.
fn mutated_bytes(spec: &DocSpec, mutations: &[Mutation], text_mutation: Option<&TextMutation>, pretty: bool) -> Vec<u8> {
    let mut value = spec.build().value;
    let mut splices = Vec::new();
    for mutation in mutations {
        apply(&mut value, mutation, &mut splices);
    }
    let mut text = if pretty { serde_json::to_string_pretty(&value).expect("serializable") } else { value.to_string() };
    for (marker, replacement) in &splices {
        text = text.replace(marker, replacement);
    }
    let mut bytes = text.into_bytes();
    if let Some(mutation) = text_mutation {
        mutate_text(&mut bytes, mutation);
    }
    bytes
}

/// `cases` cases, or as many as `PROPTEST_CASES` says (for a longer hunt in release mode).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|value| value.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, max_shrink_iters: 2048, ..ProptestConfig::default() }
}

// ---------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(256))]

    /// (a) Generated documents are valid, ordered correctly, and compile the same twice.
    #[test]
    fn generated_documents_are_valid(spec in document(), pretty in any::<bool>()) {
        let generated = spec.build();
        let text = if pretty { serde_json::to_string_pretty(&generated.value).expect("serializable") } else { generated.value.to_string() };
        let source = Source::new("generated.json", text);
        let compilation = compile(&source, &CompileOptions::default());
        let errors: Vec<String> = compilation.diagnostics.iter().filter(|diagnostic| diagnostic.is_error())
            .map(|diagnostic| format!("{} at {}: {}", diagnostic.code, diagnostic.pointer, diagnostic.message)).collect();
        prop_assert!(errors.is_empty(), "errors in a valid document:\n{}\n{}", errors.join("\n"), source.text());
        prop_assert!(compilation.is_valid());
        for diagnostic in &compilation.diagnostics {
            prop_assert!(
                EXPECTED_CODES.contains(&diagnostic.code.as_str()),
                "unexpected {} at {}: {}\n{}", diagnostic.code, diagnostic.pointer, diagnostic.message, source.text()
            );
        }
        let synthesized = compilation.diagnostics.iter().filter(|diagnostic| diagnostic.code.as_str() == "REL_INVERSE_SYNTHESIZED").count();
        prop_assert_eq!(synthesized, generated.unpaired, "one REL_INVERSE_SYNTHESIZED per unpaired relationship\n{}", source.text());

        let (schema, order) = compilation.valid_schema().expect("valid");
        let names: Vec<&str> = schema.tables.iter().map(|table| table.name.as_str()).collect();
        prop_assert_eq!(names, generated.tables.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(schema.relations.len(), generated.attributes, "relationship attributes\n{}", source.text());
        prop_assert!(order.cycles.is_empty(), "foreign keys only point backwards: no cycles");
        prop_assert!(order.deferred.is_empty());
        check_build_order(&compilation)?;
        check_diagnostics(&source, &compilation)?;
        // Whatever the names and descriptions, the generated Python parses.
        let faults = python::verify::check(&python::render(schema, order).expect("the templates render"));
        prop_assert!(faults.is_empty(), "generated Python does not parse: {:?}\n{}", faults, source.text());

        let again = compile(&source, &CompileOptions::default());
        prop_assert_eq!(&again.diagnostics, &compilation.diagnostics);
        prop_assert_eq!(&again.build_order, &compilation.build_order);
        prop_assert_eq!(
            render::human(&source, &again.diagnostics, HumanStyle::default()),
            render::human(&source, &compilation.diagnostics, HumanStyle::default())
        );
    }

    /// (b) Mutated documents never panic, and every diagnostic is well placed.
    #[test]
    fn mutated_documents_never_panic(
        spec in document(),
        mutations in prop::collection::vec(mutation(), 1..4),
        text_mutations in prop::option::weighted(0.3, text_mutation()),
        pretty in any::<bool>(),
    ) {
        let bytes = mutated_bytes(&spec, &mutations, text_mutations.as_ref(), pretty);
        let source = Source::from_bytes("mutated.json", bytes);
        let compilation = compile(&source, &CompileOptions::default());
        check_diagnostics(&source, &compilation)?;
        if compilation.is_valid() {
            check_build_order(&compilation)?;
        }
        let again = compile(&source, &CompileOptions::default());
        prop_assert_eq!(&again.diagnostics, &compilation.diagnostics);
        if text_mutations.is_none() {
            // Without text mutations, the other layout gives the same diagnostics.
            let other = Source::from_bytes("layout.json", mutated_bytes(&spec, &mutations, None, !pretty));
            prop_assert_eq!(summary(&compile(&other, &CompileOptions::default())), summary(&compilation));
        }
    }

    /// (c) Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let source = Source::from_bytes("bytes.json", bytes);
        let compilation = compile(&source, &CompileOptions::default());
        check_diagnostics(&source, &compilation)?;
    }

    /// (c) Arbitrary strings never panic.
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        let source = Source::new("text.json", text);
        let compilation = compile(&source, &CompileOptions::default());
        check_diagnostics(&source, &compilation)?;
    }

    /// (c) Strings made of JSON tokens get further into the parser and lowering.
    #[test]
    fn json_like_strings_never_panic(
        text in "(\\{|\\}|\\[|\\]|:|,|\"[a-z_]{0,10}\"|\"schema\"|\"columns\"|\"table_name\"|\"type\"|-?[0-9]{1,4}(\\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null| |\n|\"\\\\u[0-9a-fA-F]{4}\"|\"\\\\\"){0,80}"
    ) {
        let source = Source::new("tokens.json", text);
        let compilation = compile(&source, &CompileOptions::default());
        check_diagnostics(&source, &compilation)?;
    }

    /// Limits never panic either, and a document over a limit is invalid.
    #[test]
    fn limits_never_panic(spec in document(), tables in 0usize..4, columns in 0usize..4, relationships in 0usize..3, bytes in 0usize..4000) {
        let text = spec.build().value.to_string();
        let options = CompileOptions {
            limits: backbone::Limits { max_tables: Some(tables), max_columns: Some(columns), max_relationships: Some(relationships) },
            max_bytes: Some(bytes),
        };
        let source = Source::new("limited.json", text);
        let compilation = compile(&source, &options);
        check_diagnostics(&source, &compilation)?;
        if source.text().len() > bytes || spec.tables.len() > tables {
            prop_assert!(compilation.diagnostics.iter().any(|diagnostic| diagnostic.code.as_str() == "LIMIT_EXCEEDED"));
            prop_assert!(!compilation.is_valid());
        }
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// The binary on mutated documents: exit 0 or 1, never 2, never a panic.
    #[test]
    fn binary_handles_mutated_documents(
        spec in document(),
        mutations in prop::collection::vec(mutation(), 1..3),
        text_mutations in prop::option::weighted(0.3, text_mutation()),
        json_format in any::<bool>(),
    ) {
        let bytes = mutated_bytes(&spec, &mutations, text_mutations.as_ref(), true);
        let format = if json_format { "json" } else { "human" };
        let output = cargo_bin_cmd!("backbone").args(["validate", "--format", format, "-"]).write_stdin(bytes).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(!stderr.contains("panicked at"), "panic: {}", stderr);
        let code = output.status.code();
        prop_assert!(code == Some(0) || code == Some(1), "exit {:?}: {}", code, stderr);
        if json_format {
            let report: Value = serde_json::from_slice(&output.stdout).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(report["files"][0]["valid"].as_bool(), Some(code == Some(0)));
        }
    }
}

/// A mutation of a valid document that introduces one known problem.
#[derive(Debug, Clone)]
enum Targeted {
    /// A copy of table `n` appended: `DUPLICATE_TABLE` and `DUPLICATE_CLASS`.
    DuplicateTable(usize),
    /// A table that a foreign key references, renamed: `FK_TABLE_NOT_FOUND`.
    RenameReferenced(usize),
    /// The key column of table `n` says `"nullable": true`: `NULLABLE_PRIMARY_KEY`.
    NullableKey(usize),
    /// The key column of table `n` loses `primary_key`: `NO_PRIMARY_KEY`.
    DropKey(usize),
    /// A required key of the project or of table `n` removed: `MISSING_FIELD`.
    RemoveRequired(usize, usize),
    /// The type of a column misspelt: `BAD_VALUE`.
    MisspellType(usize, usize),
    /// `"primary_key": "true"`: `WRONG_TYPE` (no coercion).
    QuotedBoolean(usize),
    /// An `Integer` key made `Float`: `PK_TYPE`.
    FloatKey(usize),
    /// A `Text` column with `"unique": true` added: `TEXT_KEY`.
    UniqueText(usize),
    /// Column `m` of table `n` made `"write_only": true`: `WRITE_ONLY_KEY` when it is a
    /// primary key, a foreign key or a foreign key's target.
    WriteOnlyKey(usize, usize),
}

fn targeted() -> impl Strategy<Value = Targeted> {
    prop_oneof![
        any::<usize>().prop_map(Targeted::DuplicateTable),
        any::<usize>().prop_map(Targeted::RenameReferenced),
        any::<usize>().prop_map(Targeted::NullableKey),
        any::<usize>().prop_map(Targeted::DropKey),
        (any::<usize>(), any::<usize>()).prop_map(|(table, key)| Targeted::RemoveRequired(table, key)),
        (any::<usize>(), any::<usize>()).prop_map(|(table, column)| Targeted::MisspellType(table, column)),
        any::<usize>().prop_map(Targeted::QuotedBoolean),
        any::<usize>().prop_map(Targeted::FloatKey),
        any::<usize>().prop_map(Targeted::UniqueText),
        (any::<usize>(), any::<usize>()).prop_map(|(table, column)| Targeted::WriteOnlyKey(table, column)),
    ]
}

/// Applies `mutation`; returns the code it must cause, or `None` when it does not apply.
fn apply_targeted(value: &mut Value, mutation: &Targeted) -> Option<Vec<&'static str>> {
    let tables = value["schema"].as_array_mut().expect("generated documents have tables");
    let count = tables.len();
    match *mutation {
        Targeted::DuplicateTable(table) => {
            let copy = tables[table % count].clone();
            tables.push(copy);
            Some(vec!["DUPLICATE_TABLE", "DUPLICATE_CLASS"])
        }
        Targeted::RenameReferenced(table) => {
            let name = tables[table % count]["table_name"].as_str().expect("a name").to_owned();
            let referenced = tables
                .iter()
                .flat_map(|table| table["columns"].as_array().expect("columns"))
                .any(|column| column["target"].as_str().is_some_and(|target| target.split_once('.').is_some_and(|(target_table, _)| target_table == name)));
            tables[table % count]["table_name"] = json!("renamed_zz");
            referenced.then(|| vec!["FK_TABLE_NOT_FOUND"])
        }
        Targeted::NullableKey(table) => {
            tables[table % count]["columns"][0]["nullable"] = json!(true);
            Some(vec!["NULLABLE_PRIMARY_KEY"])
        }
        Targeted::DropKey(table) => {
            tables[table % count]["columns"][0].as_object_mut().expect("a column").remove("primary_key");
            Some(vec!["NO_PRIMARY_KEY"])
        }
        Targeted::RemoveRequired(table, key) => {
            let (object, key) = match key % 6 {
                0 => (value, "project_name"),
                1 => (value, "db_type"),
                2 => (value, "schema"),
                3 => (&mut tables[table % count], "table_name"),
                4 => (&mut tables[table % count], "class_name"),
                _ => (&mut tables[table % count], "columns"),
            };
            object.as_object_mut().expect("an object").remove(key);
            Some(vec!["MISSING_FIELD"])
        }
        Targeted::MisspellType(table, column) => {
            let columns = tables[table % count]["columns"].as_array_mut().expect("columns");
            let len = columns.len();
            columns[column % len]["type"] = json!("Integr");
            Some(vec!["BAD_VALUE"])
        }
        Targeted::QuotedBoolean(table) => {
            tables[table % count]["columns"][0]["primary_key"] = json!("true");
            Some(vec!["WRONG_TYPE"])
        }
        Targeted::FloatKey(table) => {
            let key = &mut tables[table % count]["columns"][0];
            (key["type"] == "Integer").then(|| {
                key["type"] = json!("Float");
                key.as_object_mut().expect("a column").remove("autoincrement");
                vec!["PK_TYPE"]
            })
        }
        Targeted::UniqueText(table) => {
            let columns = tables[table % count]["columns"].as_array_mut().expect("columns");
            columns.push(json!({"name": "zz_text", "type": "Text", "unique": true}));
            Some(vec!["TEXT_KEY"])
        }
        Targeted::WriteOnlyKey(table, column) => {
            let targets: Vec<String> = tables
                .iter()
                .flat_map(|table| table["columns"].as_array().expect("columns"))
                .filter_map(|column| column["target"].as_str().map(str::to_owned))
                .collect();
            let table = &mut tables[table % count];
            let name = table["table_name"].as_str().expect("a name").to_owned();
            let columns = table["columns"].as_array_mut().expect("columns");
            let len = columns.len();
            let column = &mut columns[column % len];
            let qualified = format!("{name}.{}", column["name"].as_str().expect("a name"));
            let key = column["primary_key"] == json!(true) || column["type"] == "ForeignKey" || targets.contains(&qualified);
            column["write_only"] = json!(true);
            key.then(|| vec!["WRITE_ONLY_KEY"])
        }
    }
}

/// The objects of a generated document that take a fixed set of keys, as paths.
fn document_objects(value: &Value) -> Vec<Vec<Step>> {
    let mut objects = vec![Vec::new()];
    for (idx, table) in value["schema"].as_array().expect("tables").iter().enumerate() {
        let table_path = vec![Step::Key("schema".into()), Step::Index(idx)];
        objects.push(table_path.clone());
        if table.get("options").is_some() {
            objects.push([table_path.clone(), vec![Step::Key("options".into())]].concat());
        }
        for key in ["columns", "relationships"] {
            for item in 0..table.get(key).and_then(Value::as_array).map_or(0, Vec::len) {
                objects.push([table_path.clone(), vec![Step::Key(key.into()), Step::Index(item)]].concat());
            }
        }
    }
    objects
}

fn pointer(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => format!("/{key}"),
            Step::Index(idx) => format!("/{idx}"),
        })
        .collect()
}

/// (code, pointer, message, help) of every diagnostic, in order.
fn summary(compilation: &Compilation) -> Vec<(String, String, String, Option<String>)> {
    compilation
        .diagnostics
        .iter()
        .map(|diagnostic| (diagnostic.code.to_string(), diagnostic.pointer.to_string(), diagnostic.message.clone(), diagnostic.help.clone()))
        .collect()
}

fn table_order(compilation: &Compilation) -> Vec<String> {
    let (schema, order) = compilation.valid_schema().expect("a valid document");
    order.tables.iter().map(|table| schema.table(*table).name.to_string()).collect()
}

proptest! {
    #![proptest_config(config(128))]

    /// Layout does not matter: pretty and compact text give the same diagnostics, and
    /// the build order does not depend on the order in which tables are declared.
    #[test]
    fn layout_and_table_order_do_not_matter(spec in document(), keys in prop::collection::vec(any::<u32>(), 12)) {
        let generated = spec.build();
        let compact = compile(&Source::new("compact.json", generated.value.to_string()), &CompileOptions::default());
        let pretty = compile(&Source::new("pretty.json", serde_json::to_string_pretty(&generated.value).expect("serializable")), &CompileOptions::default());
        prop_assert_eq!(summary(&compact), summary(&pretty));

        let mut shuffled = generated.value.clone();
        let tables = shuffled["schema"].as_array_mut().expect("tables");
        let mut indexed: Vec<(u32, usize, Value)> = tables.drain(..).enumerate().map(|(idx, table)| (keys[idx], idx, table)).collect();
        indexed.sort_by_key(|(key, idx, _)| (*key, *idx));
        tables.extend(indexed.into_iter().map(|(_, _, table)| table));
        let reordered = compile(&Source::new("shuffled.json", shuffled.to_string()), &CompileOptions::default());
        prop_assert!(reordered.is_valid(), "{:?}", summary(&reordered));
        prop_assert_eq!(table_order(&reordered), table_order(&compact));
        let codes = |compilation: &Compilation| {
            let mut codes: Vec<&str> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect();
            codes.sort_unstable();
            codes
        };
        prop_assert_eq!(codes(&reordered), codes(&compact));
        prop_assert_eq!(
            reordered.schema.as_ref().map(|schema| schema.relations.len()),
            compact.schema.as_ref().map(|schema| schema.relations.len())
        );
    }

    /// An unknown key anywhere is a warning at that key, and nothing else changes.
    #[test]
    fn unknown_keys_only_warn(spec in document(), at in any::<usize>()) {
        let mut value = spec.build().value;
        let before = compile(&Source::new("before.json", value.to_string()), &CompileOptions::default());
        let objects = document_objects(&value);
        let path = &objects[at % objects.len()];
        at_mut(&mut value, path).and_then(Value::as_object_mut).expect("an object").insert("zz_extra".into(), json!([1, {"a": null}]));
        let after = compile(&Source::new("after.json", value.to_string()), &CompileOptions::default());
        prop_assert!(after.is_valid(), "{:?}", summary(&after));
        let unknown: Vec<String> = after.diagnostics.iter().filter(|diagnostic| diagnostic.code.as_str() == "UNKNOWN_FIELD").map(|diagnostic| diagnostic.pointer.to_string()).collect();
        prop_assert_eq!(unknown, vec![format!("{}/zz_extra", pointer(path))]);
        prop_assert_eq!(after.diagnostics.len(), before.diagnostics.len() + 1);
        prop_assert_eq!(table_order(&after), table_order(&before));
    }

    /// A mutation that introduces a known problem is reported with its code.
    #[test]
    fn known_problems_get_their_code(spec in document(), mutation in targeted()) {
        let mut value = spec.build().value;
        let Some(expected) = apply_targeted(&mut value, &mutation) else { return Ok(()) };
        let source = Source::new("targeted.json", value.to_string());
        let compilation = compile(&source, &CompileOptions::default());
        prop_assert!(!compilation.is_valid());
        let codes: BTreeSet<&str> = compilation.diagnostics.iter().map(|diagnostic| diagnostic.code.as_str()).collect();
        for code in expected {
            prop_assert!(codes.contains(code), "{:?} should report {}, got {:?}\n{}", mutation, code, summary(&compilation), source.text());
        }
        check_diagnostics(&source, &compilation)?;
    }
}

/// A few fixed mutations that the generator reaches only rarely.
#[test]
fn fixed_hostile_inputs_never_panic() {
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{{\"schema\": {}1{}}}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let unclosed = "[".repeat(200_000);
    let inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b" ".to_vec(),
        b"\xEF\xBB\xBF{}".to_vec(),
        b"{\"project_name\": \"\xff\"}".to_vec(),
        b"\"\\ud800\"".to_vec(),
        b"{\"schema\": [{\"columns\": [{\"name\": \"\\ud83d\\ude00\"}]}]}".to_vec(),
        b"{\"a\": 1e999999999, \"b\": -0, \"c\": 123456789012345678901234567890}".to_vec(),
        deep_array.into_bytes(),
        deep_object.into_bytes(),
        unclosed.into_bytes(),
        "{\"project_name\": \"é\", \"db_type\": \"sqlite\", \"schema\": [{\"table_name\": \"é\", \"class_name\": \"É\", \"columns\": [{\"name\": \"é\", \"type\": \"Strïng\"}]}]}"
            .as_bytes()
            .to_vec(),
    ];
    for bytes in inputs {
        let source = Source::from_bytes("hostile.json", bytes);
        let compilation = compile(&source, &CompileOptions::default());
        assert!(compilation.diagnostics.has_errors(), "{:?}", compilation.diagnostics);
        if let Err(error) = check_diagnostics(&source, &compilation) {
            panic!("{error}");
        }
    }
}

/// Regression: the human rendering panicked for a diagnostic beyond column 65535 of a
/// line (miette pads with `{:width$}`, and a width over `u16::MAX` panics).
#[test]
fn human_rendering_survives_long_lines() {
    for padding in [65_000, 65_600, 70_000, 200_000] {
        let text = format!("{{\"description\": \"{}\", \"project_name\": \"p\", \"db_type\": \"oracle\"}}", "x".repeat(padding));
        let source = Source::new("long.json", text);
        let compilation = compile(&source, &CompileOptions::default());
        if let Err(error) = check_diagnostics(&source, &compilation) {
            panic!("{error}");
        }
    }
}

/// The synthetic document of the benchmark is valid.
#[test]
fn synthetic_document_is_valid() {
    for tables in [1, 2, 3, 10, 11, 12, 20, 100, 1000] {
        let source = Source::new("synthetic.json", synthetic::document(tables));
        let compilation = compile(&source, &CompileOptions::default());
        // Notes (the association tables' composite keys) are fine; nothing worse is.
        let problems: Vec<String> = compilation
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity != Severity::Info)
            .map(|diagnostic| format!("{}: {}", diagnostic.code, diagnostic.message))
            .collect();
        assert!(compilation.is_valid(), "{problems:?}");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(compilation.schema.expect("schema").tables.len(), tables);
    }
}

/// Writes the synthetic documents used to measure memory:
/// `cargo test --test properties -- --ignored write_big_document`.
#[test]
#[ignore = "writes /tmp/synthetic-{100,1000,10000}.json for a manual measurement"]
fn write_big_document() {
    for tables in [100, 1_000, 10_000] {
        std::fs::write(format!("/tmp/synthetic-{tables}.json"), synthetic::document(tables)).expect("writable /tmp");
    }
}
