//! The diagram as a Mermaid `erDiagram` (rendered by GitHub, GitLab and most Markdown
//! viewers).
//!
//! Table names are quoted (a table may be called `end` or `direction`, words of
//! Mermaid's grammar); column names are identifiers, which Mermaid takes as they are,
//! except `PK`, `FK` and `UK`. Everything free (enum values, labels) goes into a
//! double-quoted string, where a `"` cannot appear:
//! it is written as Mermaid's entity code `#quot;` (and `#`, and the backtick that
//! could close a Markdown fence, as their numeric codes).

use std::fmt::Write;

use super::{Diagram, Link, Row};

/// The whole `erDiagram` block, without Markdown fences.
pub fn render(diagram: &Diagram) -> String {
    let mut out = String::from("erDiagram\n");
    for entity in &diagram.entities {
        let _ = writeln!(out, "    {} {{", quoted(&entity.table));
        for row in &entity.rows {
            let _ = writeln!(out, "        {}", attribute(row));
        }
        out.push_str("    }\n");
    }
    for link in &diagram.links {
        let parent = quoted(&diagram.entities[link.parent].table);
        let child = quoted(&diagram.entities[link.child].table);
        let _ = writeln!(out, "    {parent} {}--{} {child} : {}", parent_end(link), child_end(link), quoted(&link.label));
    }
    for pair in &diagram.many_to_many {
        let left = quoted(&diagram.entities[pair.left].table);
        let right = quoted(&diagram.entities[pair.right].table);
        let via = &diagram.entities[pair.via].table;
        let label = format!(
            "{}.{} / {}.{} via {via}",
            diagram.entities[pair.left].class, pair.left_attribute, diagram.entities[pair.right].class, pair.right_attribute
        );
        let _ = writeln!(out, "    {left} }}o..o{{ {right} : {}", quoted(&label));
    }
    out
}

/// `type name KEYS "comment"`.
fn attribute(row: &Row) -> String {
    let (ty, parameters) = match row.ty.split_once('(') {
        // Mermaid's type token cannot hold a comma: `Numeric(8,2)` keeps its
        // parameters in the comment instead.
        Some((name, rest)) if rest.contains(',') => (name.to_owned(), Some(format!("({rest}"))),
        _ => (row.ty.clone(), None),
    };
    let mut notes: Vec<String> = parameters.into_iter().collect();
    // Mermaid reads these three words as key markers wherever they stand, so a column
    // of that name is written with a trailing `_` and its real name in the comment.
    let name = if matches!(row.name.as_str(), "PK" | "FK" | "UK") {
        notes.push(format!("column {}", row.name));
        format!("{}_", row.name)
    } else {
        row.name.clone()
    };
    let mut line = format!("{ty} {name}");
    let keys = row.keys();
    if !keys.is_empty() {
        line.push(' ');
        line.push_str(&keys.join(", "));
    }
    if row.nullable {
        notes.push("nullable".to_owned());
    }
    if !row.values.is_empty() {
        notes.push(row.values.join(" | "));
    }
    if !notes.is_empty() {
        line.push(' ');
        line.push_str(&quoted(&notes.join("; ")));
    }
    line
}

/// The parent's end of a link: exactly one, or zero or one when the key is nullable.
fn parent_end(link: &Link) -> &'static str {
    if link.optional { "|o" } else { "||" }
}

/// The child's end of a link: zero or more, or zero or one for a one-to-one.
fn child_end(link: &Link) -> &'static str {
    if link.one_to_one { "o|" } else { "o{" }
}

/// `text` as a Mermaid string: `"` becomes `#quot;`, `#` and `` ` `` numeric codes,
/// control characters spaces.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            // A backtick could close the Markdown fence the diagram is embedded in.
            '`' => out.push_str("#96;"),
            character if character.is_control() => out.push(' '),
            character => out.push(character),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quotes_cannot_end_a_string() {
        assert_eq!(quoted("say \"hi\"\n#1`"), "\"say #quot;hi#quot; #35;1#96;\"");
    }
}
