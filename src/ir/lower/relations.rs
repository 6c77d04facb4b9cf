//! Relationship entries (docs/format.md §3.5) and their pairing into attributes (§4):
//! the partner of each entry, the foreign key or association table behind it, and the
//! attribute names on both classes.

use std::collections::{BTreeMap, BTreeSet};

use super::bad_value;
use super::object::{Kind, Object, list};
use crate::diagnostics::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::ir::names::{is_identifier, is_python_keyword, stem};
use crate::ir::{Association, AttributeName, ColumnId, ColumnRef, ColumnSource, Relation, RelationKind, Schema, TableId};
use crate::source::{JsonPointer, Origin};
use crate::syntax::json::Value;

/// Keys of a relationship object.
pub const RELATIONSHIP_KEYS: &[&str] = &["target_table", "target_class", "type", "back_populates", "foreign_key", "secondary", "description"];

/// A name written in the document, with where.
#[derive(Clone)]
pub(super) struct Written {
    value: String,
    origin: Origin,
}

/// A relationship entry as declared.
pub(super) struct RelationshipDecl {
    target_table: Written,
    target_class: Written,
    kind: RelationKind,
    back_populates: Written,
    foreign_key: Option<Written>,
    secondary: Option<Written>,
    origin: Origin,
}

pub(super) fn lower_relationship(value: &Value, pointer: JsonPointer, diagnostics: &mut Diagnostics) -> Option<RelationshipDecl> {
    let object = Object::read(value, pointer, RELATIONSHIP_KEYS, Kind::Relationship, diagnostics)?;
    let written = |key: &str, diagnostics: &mut Diagnostics| {
        let text = object.required_string(key, diagnostics)?;
        if text.value.is_empty() {
            diagnostics.push(super::empty(key, &text.origin));
            return None;
        }
        Some(Written { value: text.value.to_owned(), origin: text.origin })
    };
    let target_table = written("target_table", diagnostics);
    let target_class = written("target_class", diagnostics);
    let kind = object.required_string("type", diagnostics).and_then(|text| {
        let found = RelationKind::from_name(text.value);
        if found.is_none() {
            let normalized = text.value.to_ascii_lowercase().replace(['-', ' '], "_");
            let alias = match normalized.as_str() {
                "onetomany" | "one_to_many" | "1:n" | "has_many" => Some("one_to_many"),
                // A one-to-one is a many-to-one on a unique foreign key.
                "manytoone" | "many_to_one" | "n:1" | "belongs_to" | "one_to_one" | "onetoone" | "1:1" | "has_one" => Some("many_to_one"),
                "manytomany" | "many_to_many" | "n:m" | "m:n" => Some("many_to_many"),
                _ => None,
            };
            diagnostics.push(bad_value("type", &text, &RelationKind::NAMES, alias));
        }
        found
    });
    let back_populates = written("back_populates", diagnostics).filter(|name| {
        let problem = if !is_identifier(&name.value) {
            "is not an identifier"
        } else if is_python_keyword(&name.value) {
            "is a Python keyword"
        } else {
            return true;
        };
        diagnostics.push(
            Diagnostic::new(Code::RelNameInvalid, &name.origin, format!("`back_populates` `{}` {problem}", name.value))
                .with_label("not usable as an attribute name")
                .with_help("`back_populates` names an attribute on the target class: letters, digits and `_`, not a Python keyword"),
        );
        false
    });
    let foreign_key = object.optional_string("foreign_key", diagnostics).map(|text| Written { value: text.value.to_owned(), origin: text.origin });
    let secondary = object.optional_string("secondary", diagnostics).map(|text| Written { value: text.value.to_owned(), origin: text.origin });
    let _ = object.optional_string("description", diagnostics);
    Some(RelationshipDecl {
        target_table: target_table?,
        target_class: target_class?,
        kind: kind?,
        back_populates: back_populates?,
        foreign_key,
        secondary,
        origin: object.whole(),
    })
}

/// A declared entry with its tables resolved and what §4 derives for it.
struct Entry {
    decl: RelationshipDecl,
    owner: TableId,
    target: TableId,
    /// The foreign key behind a one-to-many or many-to-one entry, once known.
    foreign_key: Option<ColumnRef>,
    /// The association table of a many-to-many entry, once known.
    association: Option<Association>,
    /// The entry was rejected: it makes no attribute, but still counts as a candidate
    /// partner so its neighbours are not reported as unpaired.
    failed: bool,
}

/// Pairs every relationship entry and returns the attributes of all classes.
pub(super) fn pair(schema: &Schema, decls: Vec<Vec<RelationshipDecl>>, tables_dropped: bool, diagnostics: &mut Diagnostics) -> Vec<Relation> {
    let (mut entries, dropped) = resolve_targets(schema, decls, tables_dropped, diagnostics);
    let junctions = junctions(schema);
    for entry in &mut entries {
        match entry.decl.kind {
            RelationKind::ManyToOne => many_to_one_key(schema, entry, diagnostics),
            RelationKind::ManyToMany => entry.association = association(schema, &junctions, entry, diagnostics),
            RelationKind::OneToMany => {}
        }
    }
    let (partners, undecided) = choose_partners(schema, &entries, diagnostics);
    for idx in undecided {
        entries[idx].failed = true;
    }
    for idx in 0..entries.len() {
        if entries[idx].decl.kind == RelationKind::OneToMany && !entries[idx].failed {
            let partner_key = match partners[idx] {
                None => PartnerKey::Unpaired,
                Some(partner) => entries[partner].foreign_key.map_or(PartnerKey::Broken, PartnerKey::Key),
            };
            one_to_many_key(schema, &mut entries[idx], partner_key, diagnostics);
        }
    }
    for (idx, partner) in partners.iter().enumerate() {
        if let Some(partner) = *partner {
            associations_agree(schema, &mut entries, idx, partner, diagnostics);
        }
    }
    attributes(schema, &entries, &partners, &dropped, diagnostics)
}

/// The entries with their tables resolved, and the tables some of whose entries were
/// dropped here (an entry there may have been the partner of an entry elsewhere).
fn resolve_targets(schema: &Schema, decls: Vec<Vec<RelationshipDecl>>, tables_dropped: bool, diagnostics: &mut Diagnostics) -> (Vec<Entry>, BTreeSet<TableId>) {
    let mut entries = Vec::new();
    let mut dropped = BTreeSet::new();
    for (table_idx, table_decls) in decls.into_iter().enumerate() {
        let owner = TableId(table_idx);
        for decl in table_decls {
            let Some(target) = schema.table_named(&decl.target_table.value) else {
                dropped.insert(owner);
                if tables_dropped {
                    continue;
                }
                let tables = schema.tables.iter().map(|table| (table.name.as_str(), table.class_name.as_str()));
                let help = match super::suggest_table(&decl.target_table.value, tables, diagnostics) {
                    super::TableSuggestion::ClassOf(table) => format!("`{}` is a class; `target_table` names its table, `{table}`", decl.target_table.value),
                    super::TableSuggestion::Close(name) => format!("did you mean `{name}`?"),
                    super::TableSuggestion::None => "`target_table` is the `table_name` of a table in `schema`".to_owned(),
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::RelTableNotFound,
                        &decl.target_table.origin,
                        format!("relationship targets unknown table `{}`", decl.target_table.value),
                    )
                    .with_label("no such table")
                    .with_help(help),
                );
                continue;
            };
            let target_table = schema.table(target);
            if !target_table.class_name.as_str().is_empty() && target_table.class_name.as_str() != decl.target_class.value {
                diagnostics.push(
                    Diagnostic::new(
                        Code::RelClassMismatch,
                        &decl.target_class.origin,
                        format!("`target_class` `{}` is not the class of table `{}`", decl.target_class.value, target_table.name),
                    )
                    .with_label(format!("the class of `{}` is `{}`", target_table.name, target_table.class_name))
                    .with_secondary(target_table.name_origin.span, "target table declared here")
                    .with_help(format!("write `\"target_class\": \"{}\"`", target_table.class_name)),
                );
            }
            if decl.kind == RelationKind::ManyToMany {
                if let Some(foreign_key) = &decl.foreign_key {
                    diagnostics.push(super::ignored(
                        &foreign_key.origin,
                        "foreign_key",
                        "a many-to-many goes through its association table (`secondary`), not one foreign key",
                    ));
                }
            } else if let Some(secondary) = &decl.secondary {
                diagnostics.push(super::ignored(&secondary.origin, "secondary", "only a `many_to_many` relationship has an association table"));
            }
            let mut failed = false;
            if decl.kind == RelationKind::ManyToMany && target == owner {
                diagnostics.push(
                    Diagnostic::new(Code::M2mSelf, &decl.target_table.origin, "a many-to-many to its own table is not supported")
                        .with_label("same table as the owner")
                        .with_help("model the link as its own table with two many-to-one relationships to this table"),
                );
                failed = true;
            }
            entries.push(Entry { decl, owner, target, foreign_key: None, association: None, failed });
        }
    }
    (entries, dropped)
}

/// The foreign-key columns of `table` that target `target`.
fn keys_between(schema: &Schema, table: TableId, target: TableId) -> Vec<ColumnRef> {
    schema
        .table(table)
        .columns()
        .filter(|(_, column)| column.foreign_key.as_ref().is_some_and(|key| key.target.table == target))
        .map(|(column, _)| ColumnRef { table, column })
        .collect()
}

/// §4.3 for a `many_to_one` entry: its `foreign_key`, or the only candidate.
fn many_to_one_key(schema: &Schema, entry: &mut Entry, diagnostics: &mut Diagnostics) {
    entry.foreign_key = key_of(schema, entry, entry.owner, entry.target, diagnostics);
    entry.failed |= entry.foreign_key.is_none();
}

/// What the partner of a `one_to_many` entry says about the foreign key.
#[derive(Clone, Copy)]
enum PartnerKey {
    /// No partner: the entry finds its key itself.
    Unpaired,
    /// The partner's key was rejected.
    Broken,
    Key(ColumnRef),
}

/// §4.3 for a `one_to_many` entry: its partner's key, or (unpaired) its `foreign_key`
/// or the only candidate in the target table.
fn one_to_many_key(schema: &Schema, entry: &mut Entry, partner_key: PartnerKey, diagnostics: &mut Diagnostics) {
    match partner_key {
        PartnerKey::Broken => entry.failed = true,
        PartnerKey::Key(key) => {
            if let Some(written) = &entry.decl.foreign_key
                && written.value != schema.column(key).name.as_str()
            {
                diagnostics.push(
                    Diagnostic::new(
                        Code::RelFkInvalid,
                        &written.origin,
                        format!("`foreign_key` `{}` disagrees with the partner relationship, which uses `{}`", written.value, schema.qualified(key)),
                    )
                    .with_label("not the partner's foreign key")
                    .with_help(format!("write `\"foreign_key\": \"{}\"` or remove it", schema.column(key).name)),
                );
                entry.failed = true;
                return;
            }
            entry.foreign_key = Some(key);
        }
        PartnerKey::Unpaired => {
            entry.foreign_key = key_of(schema, entry, entry.target, entry.owner, diagnostics);
            entry.failed |= entry.foreign_key.is_none();
        }
    }
}

/// The foreign key of `table` towards `target` for `entry`: the written one, checked,
/// or the only one there is.
fn key_of(schema: &Schema, entry: &Entry, table: TableId, target: TableId, diagnostics: &mut Diagnostics) -> Option<ColumnRef> {
    let candidates = keys_between(schema, table, target);
    let table_name = &schema.table(table).name;
    let target_name = &schema.table(target).name;
    if let Some(written) = &entry.decl.foreign_key {
        let column = schema.table(table).column_named(&written.value).map(|column| ColumnRef { table, column });
        if let Some(column) = column.filter(|column| candidates.contains(column)) {
            return Some(column);
        }
        if column.is_none() && schema.table(table).incomplete {
            return None;
        }
        let problem = match column {
            None => format!("table `{table_name}` has no column `{}`", written.value),
            Some(_) => format!("`{table_name}.{}` is not a foreign key to `{target_name}`", written.value),
        };
        let help = match candidates.as_slice() {
            [] => format!("add a `ForeignKey` column to `{table_name}` with `\"target\": \"{target_name}.…\"`"),
            _ => format!("the foreign keys from `{table_name}` to `{target_name}` are {}", names(schema, &candidates)),
        };
        diagnostics.push(
            Diagnostic::new(Code::RelFkInvalid, &written.origin, format!("`foreign_key` `{}` does not join `{table_name}` to `{target_name}`", written.value))
                .with_label(problem)
                .with_help(help),
        );
        return None;
    }
    match candidates.as_slice() {
        [only] => Some(*only),
        [] if schema.table(table).incomplete => None,
        [] => {
            diagnostics.push(
                Diagnostic::new(Code::RelFkMissing, &entry.decl.origin_for_table(), format!("no foreign key joins `{table_name}` to `{target_name}`"))
                    .with_label(format!("`{table_name}` has no column targeting `{target_name}`"))
                    .with_help(format!(
                        "add a column `{{\"name\": \"{}_id\", \"type\": \"ForeignKey\", \"target\": \"{target_name}.…\"}}` to `{table_name}`",
                        singular(target_name.as_str())
                    )),
            );
            None
        }
        several => {
            diagnostics.push(
                Diagnostic::new(
                    Code::RelFkAmbiguous,
                    &entry.decl.origin_for_table(),
                    format!("several foreign keys join `{table_name}` to `{target_name}`: {}", names(schema, several)),
                )
                .with_label("which foreign key is meant?")
                .with_help(format!("add `\"foreign_key\": \"{}\"` (or another of them) to this relationship", schema.column(several[0]).name)),
            );
            None
        }
    }
}

fn names(schema: &Schema, columns: &[ColumnRef]) -> String {
    let names: Vec<String> = columns.iter().map(|column| schema.column(*column).name.to_string()).collect();
    list(&names.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A crude singular for help texts (`users` → `user`).
fn singular(name: &str) -> &str {
    name.strip_suffix('s').filter(|stem| !stem.is_empty()).unwrap_or(name)
}

impl RelationshipDecl {
    fn origin_for_table(&self) -> Origin {
        self.target_table.origin.clone()
    }
}

/// Candidate association tables by the pair of tables they link: each table with
/// exactly one foreign key to each of two other tables (docs/format.md §4.4), found once.
type Junctions = BTreeMap<(TableId, TableId), Vec<Association>>;

fn junctions(schema: &Schema) -> Junctions {
    let mut junctions = Junctions::new();
    for (table_id, table) in schema.tables() {
        let mut keys_by_target: BTreeMap<TableId, Vec<ColumnId>> = BTreeMap::new();
        for (column_id, column) in table.columns() {
            if let Some(key) = &column.foreign_key {
                keys_by_target.entry(key.target.table).or_default().push(column_id);
            }
        }
        let single: Vec<(TableId, ColumnId)> =
            keys_by_target.iter().filter(|(target, keys)| **target != table_id && keys.len() == 1).map(|(target, keys)| (*target, keys[0])).collect();
        for &(owner, owner_column) in &single {
            for &(target, target_column) in &single {
                if owner != target {
                    junctions.entry((owner, target)).or_default().push(Association { table: table_id, owner_column, target_column });
                }
            }
        }
    }
    junctions
}

/// §4.4: the association table of a many-to-many entry.
fn association(schema: &Schema, junctions: &Junctions, entry: &mut Entry, diagnostics: &mut Diagnostics) -> Option<Association> {
    if entry.failed {
        return None;
    }
    let (owner, target) = (entry.owner, entry.target);
    let shape = |table: TableId| match (keys_between(schema, table, owner).as_slice(), keys_between(schema, table, target).as_slice()) {
        ([to_owner], [to_target]) => Some(Association { table, owner_column: to_owner.column, target_column: to_target.column }),
        _ => None,
    };
    let (owner_name, target_name) = (&schema.table(owner).name, &schema.table(target).name);
    let problem = if let Some(secondary) = &entry.decl.secondary {
        match schema.table_named(&secondary.value) {
            Some(table) if table != owner && table != target => match shape(table) {
                Some(association) => return Some(association),
                None if schema.table(table).incomplete => {
                    entry.failed = true;
                    return None;
                }
                None => (
                    secondary.origin.clone(),
                    format!("`{}` is not an association table of `{owner_name}` and `{target_name}`", secondary.value),
                    format!("an association table has exactly one foreign key to `{owner_name}` and one to `{target_name}`"),
                ),
            },
            Some(_) => (
                secondary.origin.clone(),
                format!("`secondary` `{}` is one of the two tables it should link", secondary.value),
                "name the table that links the two".to_owned(),
            ),
            None => {
                let help = match did_you_mean(&secondary.value, schema.tables.iter().map(|table| table.name.as_str())) {
                    Some(name) => format!("did you mean `{name}`?"),
                    None => format!("declare a table with a foreign key to `{owner_name}` and one to `{target_name}`, and name it here"),
                };
                (secondary.origin.clone(), format!("association table `{}` does not exist", secondary.value), help)
            }
        }
    } else {
        let candidates: &[Association] = junctions.get(&(owner, target)).map_or(&[], Vec::as_slice);
        // A table that lost a foreign key to an error may have been the association.
        if candidates.is_empty() && schema.tables().any(|(table_id, table)| table_id != owner && table_id != target && table.incomplete) {
            entry.failed = true;
            return None;
        }
        match candidates {
            [only] => return Some(*only),
            [] => (
                entry.decl.target_table.origin.clone(),
                format!("no association table links `{owner_name}` and `{target_name}`"),
                format!("declare a table with one foreign key to `{owner_name}` and one to `{target_name}`, then name it in `\"secondary\"`"),
            ),
            several => {
                let tables: Vec<&str> = several.iter().map(|candidate| schema.table(candidate.table).name.as_str()).collect();
                (
                    entry.decl.target_table.origin.clone(),
                    format!("several tables link `{owner_name}` and `{target_name}`: {}", list(&tables)),
                    format!("name one with `\"secondary\": \"{}\"`", tables[0]),
                )
            }
        }
    };
    let (origin, message, help) = problem;
    diagnostics.push(Diagnostic::new(Code::M2mSecondary, &origin, message).with_label("no usable association table").with_help(help));
    entry.failed = true;
    None
}

/// Entries by (owner, target, kind), so that finding candidates stays linear overall.
type EntriesByEnds = BTreeMap<(TableId, TableId, RelationKind), Vec<usize>>;

/// What §4.2 decides for one entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Choice {
    /// No candidate: the entry is valid alone (§4.5).
    Unpaired,
    Partner(usize),
    /// Several candidates and rule 3 does not settle it (reported, or caused by a
    /// rejected candidate).
    Undecided,
}

/// §4.2: the partner of every entry (`None` when unpaired), and the entries that
/// cannot be paired and so make no attribute.
fn choose_partners(schema: &Schema, entries: &[Entry], diagnostics: &mut Diagnostics) -> (Vec<Option<usize>>, Vec<usize>) {
    let mut by_ends = EntriesByEnds::new();
    for (idx, entry) in entries.iter().enumerate() {
        by_ends.entry((entry.owner, entry.target, entry.decl.kind)).or_default().push(idx);
    }
    let choices: Vec<Choice> = (0..entries.len()).map(|idx| choose_partner(schema, entries, &by_ends, idx, diagnostics)).collect();
    let mut partners = vec![None; entries.len()];
    let mut undecided = Vec::new();
    for (idx, choice) in choices.iter().enumerate() {
        let partner = match *choice {
            Choice::Unpaired => continue,
            Choice::Undecided => {
                undecided.push(idx);
                continue;
            }
            Choice::Partner(partner) => partner,
        };
        if choices[partner] == Choice::Partner(idx) {
            partners[idx] = Some(partner);
            continue;
        }
        // The partner chose another entry, or could not choose: this entry is left
        // without an attribute rather than treated as unpaired.
        undecided.push(idx);
        if let Choice::Partner(rival) = choices[partner] {
            let entry = &entries[idx];
            let (partner_entry, rival_entry) = (&entries[partner], &entries[rival]);
            diagnostics.push(
                Diagnostic::new(Code::RelPartnerConflict, &entry.decl.origin_for_table(), format!(
                    "this relationship and another both pair with `{}`'s relationship to `{}`",
                    schema.table(partner_entry.owner).name,
                    schema.table(partner_entry.target).name
                ))
                .with_label("claims a partner that is already taken")
                .with_secondary(partner_entry.decl.origin_for_table().span, format!("pairs with the relationship in `{}`", schema.table(rival_entry.owner).name))
                .with_secondary(rival_entry.decl.origin_for_table().span, "which this one claims too")
                .with_help("give each relationship its own partner: set `foreign_key`, and make each `one_to_many`'s `back_populates` the stem of its foreign key (`author_id` → `author`)"),
            );
        }
    }
    (partners, undecided)
}

fn choose_partner(schema: &Schema, entries: &[Entry], by_ends: &EntriesByEnds, idx: usize, diagnostics: &mut Diagnostics) -> Choice {
    let entry = &entries[idx];
    let candidates: Vec<usize> = by_ends
        .get(&(entry.target, entry.owner, entry.decl.kind.complement()))
        .map(|others| others.iter().copied().filter(|&other| other != idx).collect())
        .unwrap_or_default();
    match candidates.as_slice() {
        [] => return Choice::Unpaired,
        [only] => return Choice::Partner(*only),
        _ => {}
    }
    let kept: Vec<usize> = candidates.iter().copied().filter(|&other| rule_three_keeps(schema, entry, &entries[other])).collect();
    if let [only] = kept.as_slice() {
        return Choice::Partner(*only);
    }
    if entry.failed || candidates.iter().any(|&other| entries[other].failed) {
        return Choice::Undecided;
    }
    // At most five names: a table may hold hundreds of candidates.
    let shown = if kept.is_empty() { &candidates } else { &kept };
    let mut names: Vec<String> = shown.iter().take(5).map(|&other| format!("`{}`", entries[other].decl.back_populates.value)).collect();
    if shown.len() > 5 {
        names.push(format!("and {} more", shown.len() - 5));
    }
    let suggestion =
        if diagnostics.take_suggestion() { stem_suggestion(schema, entry, candidates.iter().take(20).map(|&other| &entries[other])) } else { None };
    let help = match entry.decl.kind {
        RelationKind::ManyToMany => "give both sides the same `\"secondary\"` association table, different for each pair".to_owned(),
        _ => suggestion.unwrap_or_else(|| {
            "make the `one_to_many` side's `back_populates` equal the `many_to_one` foreign key without `_id` (`author_id` → `author`), and give `foreign_key` on the `many_to_one` side".to_owned()
        }),
    };
    diagnostics.push(
        Diagnostic::new(
            Code::RelPartnerAmbiguous,
            &entry.decl.origin_for_table(),
            if kept.is_empty() {
                format!(
                    "cannot tell which relationship of `{}` pairs with this one: none of its {} candidates ({}) matches by foreign key",
                    schema.table(entry.target).name,
                    candidates.len(),
                    names.join(", ")
                )
            } else {
                format!(
                    "cannot tell which relationship of `{}` pairs with this one: {} candidates match ({})",
                    schema.table(entry.target).name,
                    kept.len(),
                    names.join(", ")
                )
            },
        )
        .with_label(if kept.is_empty() { "no candidate matches" } else { "several candidates match" })
        .with_help(help),
    );
    Choice::Undecided
}

/// A did-you-mean for rule 3: a `one_to_many` `back_populates` that is a near miss of a
/// foreign-key stem (`autor` for `author_id`).
fn stem_suggestion<'e>(schema: &Schema, entry: &'e Entry, candidates: impl Iterator<Item = &'e Entry>) -> Option<String> {
    let pairs: Vec<(&Entry, &Entry)> =
        candidates.map(|candidate| if entry.decl.kind == RelationKind::ManyToOne { (entry, candidate) } else { (candidate, entry) }).collect();
    let stems: Vec<&str> = pairs.iter().filter_map(|(many, _)| many.foreign_key).filter_map(|key| stem(schema.column(key).name.as_str())).collect();
    pairs.iter().find_map(|(_, one)| {
        let written = one.decl.back_populates.value.as_str();
        did_you_mean(written, stems.iter().copied()).map(|stem| {
            format!("did you mean `\"back_populates\": \"{stem}\"` instead of `\"{written}\"`? it must be the foreign key `{stem}_id` without `_id`")
        })
    })
}

/// §4.2 rule 3: does the pair (`entry`, `candidate`) match by foreign-key stem or by
/// association table?
fn rule_three_keeps(schema: &Schema, entry: &Entry, candidate: &Entry) -> bool {
    if entry.decl.kind == RelationKind::ManyToMany {
        return entry.association.is_some_and(|mine| candidate.association.is_some_and(|theirs| mine.table == theirs.table));
    }
    let (many, one) = if entry.decl.kind == RelationKind::ManyToOne { (entry, candidate) } else { (candidate, entry) };
    many.foreign_key.and_then(|key| stem(schema.column(key).name.as_str()).map(|stem| stem == one.decl.back_populates.value)).unwrap_or(false)
}

/// Both sides of a many-to-many pair must use the same association table.
fn associations_agree(schema: &Schema, entries: &mut [Entry], idx: usize, partner: usize, diagnostics: &mut Diagnostics) {
    if idx > partner || entries[idx].decl.kind != RelationKind::ManyToMany {
        return;
    }
    let (Some(mine), Some(theirs)) = (entries[idx].association, entries[partner].association) else {
        return;
    };
    if mine.table != theirs.table {
        let (first, second) = (schema.table(mine.table).name.as_str(), schema.table(theirs.table).name.as_str());
        diagnostics.push(
            Diagnostic::new(
                Code::M2mSecondary,
                &entries[idx].decl.origin_for_table(),
                format!("the two sides of this many-to-many use different association tables, `{first}` and `{second}`"),
            )
            .with_label(format!("uses `{first}`"))
            .with_secondary(entries[partner].decl.origin_for_table().span, format!("uses `{second}`"))
            .with_help("give both sides the same `\"secondary\"`"),
        );
        entries[idx].failed = true;
        entries[partner].failed = true;
    }
}

/// The attributes: one per valid entry, plus a synthesized inverse per unpaired one.
fn attributes(schema: &Schema, entries: &[Entry], partners: &[Option<usize>], dropped: &BTreeSet<TableId>, diagnostics: &mut Diagnostics) -> Vec<Relation> {
    let mut declared = Vec::new();
    let mut synthesized = Vec::new();
    for (idx, entry) in entries.iter().enumerate() {
        if entry.failed || partners[idx].is_some_and(|partner| entries[partner].failed) {
            continue;
        }
        // An unpaired entry whose target lost entries to errors may have lost its
        // partner: say nothing more about it.
        if partners[idx].is_none() && (schema.table(entry.target).incomplete || dropped.contains(&entry.target)) {
            continue;
        }
        let (name, name_origin) = match partners[idx] {
            Some(partner) => (entries[partner].decl.back_populates.value.clone(), entries[partner].decl.back_populates.origin.clone()),
            None => match unpaired_name(schema, entry) {
                Ok(name) => (name, entry.decl.origin_for_table()),
                Err(problem) => {
                    diagnostics.push(
                        Diagnostic::new(Code::RelNameInvalid, &entry.decl.origin_for_table(), format!("cannot derive a name for this relationship: {problem}"))
                            .with_label("unnamed attribute")
                            .with_help(format!(
                                "declare the other side in `{}` with a `back_populates` that names this attribute",
                                schema.table(entry.target).name
                            )),
                    );
                    continue;
                }
            },
        };
        let association = entry.association;
        let relation = Relation {
            owner: entry.owner,
            name: AttributeName::new(name.clone()),
            name_origin,
            kind: entry.decl.kind,
            target: entry.target,
            back_populates: AttributeName::new(entry.decl.back_populates.value.clone()),
            foreign_key: entry.foreign_key,
            association,
            declared: Some(entry.decl.origin.clone()),
            read_only: association.is_some_and(|association| association_needs_values(schema, association)),
        };
        if partners[idx].is_none() {
            let target = schema.table(entry.target);
            diagnostics.push(
                Diagnostic::new(Code::RelInverseSynthesized, &entry.decl.origin_for_table(), format!("no relationship in `{}` pairs with this one; `{}.{}` is added", target.name, target.class_name, entry.decl.back_populates.value))
                    .with_label("unpaired")
                    .with_help(format!(
                        "declare the other side in `{}`: `{{\"target_table\": \"{}\", \"target_class\": \"{}\", \"type\": \"{}\", \"back_populates\": \"{name}\"}}`",
                        target.name,
                        schema.table(entry.owner).name,
                        schema.table(entry.owner).class_name,
                        entry.decl.kind.complement().as_str()
                    )),
            );
            synthesized.push(Relation {
                owner: entry.target,
                name: relation.back_populates.clone(),
                name_origin: entry.decl.back_populates.origin.clone(),
                kind: entry.decl.kind.complement(),
                target: entry.owner,
                back_populates: relation.name.clone(),
                foreign_key: entry.foreign_key,
                association: association.map(|association| Association {
                    table: association.table,
                    owner_column: association.target_column,
                    target_column: association.owner_column,
                }),
                declared: None,
                read_only: relation.read_only,
            });
        }
        declared.push(relation);
    }
    declared.extend(synthesized);
    declared
}

/// §4.5: the name of an unpaired entry's attribute.
fn unpaired_name(schema: &Schema, entry: &Entry) -> Result<String, String> {
    let name = match entry.decl.kind {
        RelationKind::ManyToOne => {
            let column = entry.foreign_key.map(|key| schema.column(key).name.as_str()).unwrap_or_default();
            stem(column).map(str::to_owned).ok_or_else(|| format!("its foreign key `{column}` does not end in `_id`"))?
        }
        RelationKind::OneToMany | RelationKind::ManyToMany => schema.table(entry.target).name.to_string(),
    };
    if is_python_keyword(&name) {
        return Err(format!("the derived name `{name}` is a Python keyword"));
    }
    Ok(name)
}

/// §4.4: the association has a NOT NULL column without a default besides its two keys,
/// so a many-to-many attribute cannot create its rows.
fn association_needs_values(schema: &Schema, association: Association) -> bool {
    let keys = [association.owner_column, association.target_column];
    schema.table(association.table).columns().any(|(id, column): (ColumnId, _)| {
        !keys.contains(&id) && !column.nullable && column.default.is_none() && !column.autoincrement && column.source == ColumnSource::Declared
    })
}
