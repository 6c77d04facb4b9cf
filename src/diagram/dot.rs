//! The diagram as a Graphviz `digraph` (`dot -Tsvg`): one HTML-like table per table,
//! with ports on each column's first and last cells, so that each foreign key is drawn
//! from the right side of the row it targets to the left side of its own row, crow's-foot ends for the cardinality.
//!
//! Node names are quoted (a table may be called `node` or `graph`), ports are prefixed
//! (a column may be called `n`, a compass point), and all text inside the HTML-like
//! labels is entity-escaped.

use std::fmt::Write;

use super::{Diagram, Entity, Link};

/// The `digraph` text.
pub fn render(diagram: &Diagram) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quoted(&diagram.project));
    out.push_str("    graph [rankdir=LR, nodesep=0.4, ranksep=1.0, fontname=\"Helvetica\"];\n");
    out.push_str("    node [shape=plain, fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\", dir=both];\n");
    for entity in &diagram.entities {
        let _ = writeln!(out, "    {} [label=<{}>];", quoted(&entity.table), table(entity));
    }
    for link in &diagram.links {
        let parent = &diagram.entities[link.parent];
        let child = &diagram.entities[link.child];
        let _ = writeln!(
            out,
            "    {}:{}:e -> {}:{}:w [arrowtail={}, arrowhead={}, label={}];",
            quoted(&parent.table),
            out_port(&parent.rows[link.parent_row].name),
            quoted(&child.table),
            port(&child.rows[link.child_row].name),
            parent_end(link),
            child_end(link),
            quoted(&link.label),
        );
    }
    for pair in &diagram.many_to_many {
        let (left, right) = (&diagram.entities[pair.left], &diagram.entities[pair.right]);
        let label = format!("{}.{} / {}.{} via {}", left.class, pair.left_attribute, right.class, pair.right_attribute, diagram.entities[pair.via].table);
        let _ = writeln!(
            out,
            "    {} -> {} [style=dashed, arrowtail=crowodot, arrowhead=crowodot, constraint=false, label={}];",
            quoted(&diagram.entities[pair.left].table),
            quoted(&diagram.entities[pair.right].table),
            quoted(&label),
        );
    }
    out.push_str("}\n");
    out
}

/// The HTML-like label of a table: a header, then name, type and keys per column.
fn table(entity: &Entity) -> String {
    let mut out = String::from("<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"4\">");
    let _ = write!(
        out,
        "<tr><td colspan=\"3\" bgcolor=\"#dbe7f5\"><b>{}</b> <font color=\"#555555\">{}</font></td></tr>",
        html(&entity.table),
        html(&entity.class)
    );
    for row in &entity.rows {
        let name = if row.nullable { html(&row.name) } else { format!("<b>{}</b>", html(&row.name)) };
        let mut ty = html(&row.ty);
        if row.nullable {
            ty.push('?');
        }
        if !row.values.is_empty() {
            let _ = write!(ty, "<br/><font point-size=\"9\">{}</font>", html(&row.values.join(" | ")));
        }
        let _ = write!(
            out,
            "<tr><td port=\"{}\" align=\"left\">{name}</td><td align=\"left\" balign=\"left\">{ty}</td><td port=\"{}\">{}</td></tr>",
            port(&row.name),
            out_port(&row.name),
            row.keys().join(" ")
        );
    }
    out.push_str("</table>");
    out
}

fn parent_end(link: &Link) -> &'static str {
    if link.optional { "teeodot" } else { "teetee" }
}

fn child_end(link: &Link) -> &'static str {
    if link.one_to_one { "teeodot" } else { "crowodot" }
}

/// The port of a column's first cell, where keys arrive: prefixed, so that no column
/// name reads as a compass point.
fn port(column: &str) -> String {
    format!("c_{column}")
}

/// The port of a column's last cell, where the keys that target it leave from.
fn out_port(column: &str) -> String {
    format!("k_{column}")
}

/// A DOT double-quoted string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            character if character.is_control() => out.push(' '),
            character => out.push(character),
        }
    }
    out.push('"');
    out
}

/// Text inside an HTML-like label.
pub(super) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            character if character.is_control() => out.push(' '),
            character => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{html, quoted};

    #[test]
    fn escapes_strings_and_labels() {
        assert_eq!(quoted("a\"b\\c\nd"), "\"a\\\"b\\\\c d\"");
        assert_eq!(html("<b>&'\""), "&lt;b&gt;&amp;&#39;&quot;");
    }
}
