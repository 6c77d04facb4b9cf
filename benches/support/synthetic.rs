//! A synthetic valid document of any size, shared by `benches/compile.rs` and
//! `tests/properties.rs` (which checks that it is valid and can write a large one).
//!
//! Table `i` (named `t{i}`, class `T{i}`) has eight declared columns: an `Integer` key,
//! five plain columns of different types and one or two foreign keys to earlier tables.
//! Its first foreign key is described by a `many_to_one`/`one_to_many` pair.

use std::fmt::Write;

/// A valid document of `tables` tables.
pub(crate) fn document(tables: usize) -> String {
    let mut out = String::with_capacity(tables * 1100 + 100);
    out.push_str("{\n  \"project_name\": \"synthetic\",\n  \"db_type\": \"postgresql\",\n  \"schema\": [\n");
    // The one_to_many side of each pair sits in the parent; collect them first.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); tables];
    for table in 1..tables {
        children[parent(table)].push(table);
    }
    for (table, table_children) in children.iter().enumerate() {
        if table > 0 {
            out.push_str(",\n");
        }
        let _ = write!(
            out,
            concat!(
                "    {{\"table_name\": \"t{i}\", \"class_name\": \"T{i}\", \"options\": {{\"use_timestamps\": {ts}}},\n",
                "     \"columns\": [\n",
                "       {{\"name\": \"id\", \"type\": \"Integer\", \"primary_key\": true}},\n",
                "       {{\"name\": \"name\", \"type\": \"String\", \"length\": 120, \"nullable\": false, \"index\": true}},\n",
                "       {{\"name\": \"amount\", \"type\": \"Numeric\", \"precision\": 10, \"scale\": 2, \"default\": \"0.00\"}},\n",
                "       {{\"name\": \"status\", \"type\": \"Enum\", \"values\": [\"new\", \"done\"], \"default\": \"new\"}},\n",
                "       {{\"name\": \"active\", \"type\": \"Boolean\", \"default\": true}},\n",
                "       {{\"name\": \"due_on\", \"type\": \"Date\"}}"
            ),
            i = table,
            ts = table % 2 == 0,
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
                let _ = write!(out, ",\n       {{\"name\": \"other_id\", \"type\": \"ForeignKey\", \"target\": \"t{}.id\"}}", table - 1);
            } else {
                out.push_str(",\n       {\"name\": \"note\", \"type\": \"Text\"}");
            }
        }
        out.push_str("\n     ],\n     \"relationships\": [");
        let mut first = true;
        if table > 0 {
            let _ = write!(
                out,
                "\n       {{\"target_table\": \"t{p}\", \"target_class\": \"T{p}\", \"type\": \"many_to_one\", \"back_populates\": \"children_{table}\", \"foreign_key\": \"parent_id\"}}",
                p = parent(table)
            );
            first = false;
        }
        for &child in table_children {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(
                out,
                "\n       {{\"target_table\": \"t{child}\", \"target_class\": \"T{child}\", \"type\": \"one_to_many\", \"back_populates\": \"parent\"}}"
            );
        }
        out.push_str("\n     ]}");
    }
    out.push_str("\n  ]\n}\n");
    out
}

/// The table that table `table` (≥ 1) belongs to through `parent_id`: a wide, shallow tree.
fn parent(table: usize) -> usize {
    (table - 1) / 4
}
