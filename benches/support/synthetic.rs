//! A synthetic valid document of any size, shared by the benchmarks and
//! `tests/properties.rs` (which checks that it is valid and can write a large one).
//!
//! Nine tables in ten are entities: table `t{i}` (class `T{i}`) has an `Integer` key,
//! six plain columns of different types (String, Numeric, Enum, Boolean, Date, Text or
//! DateTime) and one or two foreign keys to earlier entities; its first foreign key is
//! described by a `many_to_one`/`one_to_many` pair. The tenth is an association table
//! `link{k}` joining `t{10k}` and `t{10k+1}` through a `many_to_many` pair, with one
//! extra nullable column. Half the entities use timestamps.

use std::fmt::Write;

/// A valid document of exactly `tables` tables.
pub(crate) fn document(tables: usize) -> String {
    let links = links(tables);
    let entities = tables - links;
    let mut out = String::with_capacity(tables * 1300 + 100);
    out.push_str("{\n  \"project_name\": \"synthetic\",\n  \"db_type\": \"postgresql\",\n  \"schema\": [\n");
    // The one_to_many side of each pair sits in the parent; collect them first.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); entities];
    for table in 1..entities {
        children[parent(table)].push(table);
    }
    for (table, table_children) in children.iter().enumerate() {
        if table > 0 {
            out.push_str(",\n");
        }
        entity(&mut out, table, table_children, links);
    }
    for link in 0..links {
        let (left, right) = (10 * link, 10 * link + 1);
        let _ = write!(
            out,
            concat!(
                ",\n    {{\"table_name\": \"link{k}\", \"class_name\": \"Link{k}\",\n",
                "     \"columns\": [\n",
                "       {{\"name\": \"left_id\", \"type\": \"ForeignKey\", \"target\": \"t{left}.id\", \"primary_key\": true, \"on_delete\": \"CASCADE\"}},\n",
                "       {{\"name\": \"right_id\", \"type\": \"ForeignKey\", \"target\": \"t{right}.id\", \"primary_key\": true, \"on_delete\": \"CASCADE\"}},\n",
                "       {{\"name\": \"linked_on\", \"type\": \"Date\"}}\n",
                "     ]}}"
            ),
            k = link,
            left = left,
            right = right,
        );
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// How many of `tables` tables are association tables: one in ten, each needing two
/// entities before it.
fn links(tables: usize) -> usize {
    let mut links = tables / 10;
    while links > 0 && 10 * (links - 1) + 1 >= tables - links {
        links -= 1;
    }
    links
}

fn entity(out: &mut String, table: usize, children: &[usize], links: usize) {
    let _ = write!(
        out,
        concat!(
            "    {{\"table_name\": \"t{i}\", \"class_name\": \"T{i}\", \"description\": \"Entity {i}: \\\"quoted\\\", 100% synthetic.\",\n",
            "     \"options\": {{\"use_timestamps\": {ts}}},\n",
            "     \"columns\": [\n",
            "       {{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}},\n",
            "       {{\"name\": \"name\", \"type\": \"String\", \"length\": 120, \"nullable\": false, \"index\": true}},\n",
            "       {{\"name\": \"code\", \"type\": \"String\", \"length\": 32, \"unique\": true}},\n",
            "       {{\"name\": \"amount\", \"type\": \"Numeric\", \"precision\": 10, \"scale\": 2, \"default\": \"0.00\"}},\n",
            "       {{\"name\": \"status\", \"type\": \"Enum\", \"values\": [\"new\", \"in progress\", \"done\"], \"default\": \"new\"}},\n",
            "       {{\"name\": \"active\", \"type\": \"Boolean\", \"default\": true}},\n",
            "       {{\"name\": \"due_on\", \"type\": \"Date\"}}"
        ),
        i = table,
        ts = table.is_multiple_of(2),
    );
    if table == 0 {
        out.push_str(",\n       {\"name\": \"note\", \"type\": \"Text\"},\n       {\"name\": \"seen_at\", \"type\": \"DateTime\"}");
    } else {
        let _ = write!(
            out,
            ",\n       {{\"name\": \"parent_id\", \"type\": \"ForeignKey\", \"target\": \"t{}.id\", \"nullable\": false, \"on_delete\": \"CASCADE\"}}",
            parent(table)
        );
        if table > 1 {
            let _ =
                write!(out, ",\n       {{\"name\": \"other_id\", \"type\": \"ForeignKey\", \"target\": \"t{}.id\", \"on_delete\": \"SET NULL\"}}", table - 1);
        } else {
            out.push_str(",\n       {\"name\": \"note\", \"type\": \"Text\"}");
        }
    }
    out.push_str("\n     ],\n     \"relationships\": [");
    let mut entries = Vec::new();
    if table > 0 {
        let p = parent(table);
        entries.push(format!(
            "{{\"target_table\": \"t{p}\", \"target_class\": \"T{p}\", \"type\": \"many_to_one\", \"back_populates\": \"children_{table}\", \"foreign_key\": \"parent_id\"}}"
        ));
    }
    for &child in children {
        entries.push(format!("{{\"target_table\": \"t{child}\", \"target_class\": \"T{child}\", \"type\": \"one_to_many\", \"back_populates\": \"parent\"}}"));
    }
    // Entities 10k and 10k+1 are joined by link{k}.
    let (link, side) = (table / 10, table % 10);
    if link < links && side < 2 {
        let other = if side == 0 { table + 1 } else { table - 1 };
        entries.push(format!(
            "{{\"target_table\": \"t{other}\", \"target_class\": \"T{other}\", \"type\": \"many_to_many\", \"back_populates\": \"peers_{table}\", \"secondary\": \"link{link}\"}}"
        ));
    }
    for (index, entry) in entries.iter().enumerate() {
        out.push_str(if index == 0 { "\n       " } else { ",\n       " });
        out.push_str(entry);
    }
    out.push_str("\n     ]}");
}

/// The entity that entity `table` (≥ 1) belongs to through `parent_id`: a wide, shallow tree.
fn parent(table: usize) -> usize {
    (table - 1) / 4
}
