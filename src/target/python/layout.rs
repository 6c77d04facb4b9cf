//! Black-compatible layout of the Python expressions backbone emits: calls whose
//! arguments may not fit on one line, nested as deep as needed. The output is what
//! `ruff format` produces, so generated files pass `ruff format --check` as generated.

use std::fmt::Write;

/// The line length of generated code (ruff's default).
pub const LINE_LENGTH: usize = 88;

/// The brackets of a group that may break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brackets {
    Round,
    /// A subscript (`Literal[…]`) or a list.
    Square,
    /// A dict written with a trailing comma, which ruff keeps one entry a line (its
    /// "magic trailing comma").
    Exploded,
}

/// An expression to lay out: an unbreakable atom, or a call whose brackets may break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Atom(String),
    /// `{head}({args}){tail}`, e.g. head `sa.Column`, tail `.drop(bind)`; or with
    /// square or curly brackets.
    Call {
        head: String,
        args: Vec<Expr>,
        tail: String,
        brackets: Brackets,
    },
}

impl Expr {
    pub fn atom(text: impl Into<String>) -> Self {
        Expr::Atom(text.into())
    }

    pub fn call(head: impl Into<String>, args: Vec<Expr>) -> Self {
        Expr::Call { head: head.into(), args, tail: String::new(), brackets: Brackets::Round }
    }

    pub fn subscript(head: impl Into<String>, args: Vec<Expr>) -> Self {
        Expr::Call { head: head.into(), args, tail: String::new(), brackets: Brackets::Square }
    }

    fn brackets(brackets: Brackets) -> (&'static str, &'static str) {
        match brackets {
            Brackets::Round => ("(", ")"),
            Brackets::Square => ("[", "]"),
            Brackets::Exploded => ("{", "}"),
        }
    }

    /// The expression on one line.
    pub fn inline(&self) -> String {
        match self {
            Expr::Atom(text) => text.clone(),
            Expr::Call { head, args, tail, brackets } => {
                let (open, close) = Expr::brackets(*brackets);
                format!("{head}{open}{}{close}{tail}", args.iter().map(Expr::inline).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

impl From<String> for Expr {
    fn from(text: String) -> Self {
        Expr::Atom(text)
    }
}

/// `{prefix}{expr}{suffix}` as one statement or list element at `indent`: on one line when
/// it fits; else the call's arguments on one indented line; else one argument per line,
/// each laid out the same way, with a trailing comma.
pub fn layout(indent: usize, prefix: &str, expr: &Expr, suffix: &str) -> String {
    let pad = " ".repeat(indent);
    let one_line = format!("{pad}{prefix}{}{suffix}", expr.inline());
    let Expr::Call { head, args, tail, brackets } = expr else { return one_line };
    let (open, close) = Expr::brackets(*brackets);
    if (one_line.chars().count() <= LINE_LENGTH && *brackets != Brackets::Exploded) || args.is_empty() {
        return one_line;
    }
    // When even the opening line is too long, ruff wraps the right-hand side of an
    // assignment or return in parentheses and lays it out inside them.
    let opening = format!("{pad}{prefix}{head}{open}");
    if opening.chars().count() > LINE_LENGTH && (prefix.ends_with("= ") || prefix == "return ") {
        // When even `name: Annotation[…] = (` is too long, ruff splits the annotation's
        // subscript instead and continues the value after `] = `.
        if format!("{pad}{prefix}(").chars().count() > LINE_LENGTH
            && let Some((head, inner)) = split_annotation(prefix)
        {
            return format!("{pad}{head}\n{pad}    {inner}\n{}", layout(indent, "] = ", expr, suffix));
        }
        return format!("{pad}{prefix}(\n{}\n{pad}){suffix}", layout(indent + 4, "", expr, ""));
    }
    let inner = " ".repeat(indent + 4);
    let body = format!("{inner}{}", args.iter().map(Expr::inline).collect::<Vec<_>>().join(", "));
    // A collection literal (a bare tuple, or a list after `name=`) is exploded one
    // element a line, as ruff does; call arguments and subscripts are hugged.
    let collection = head.is_empty() || (*brackets != Brackets::Round && head.ends_with('='));
    if body.chars().count() <= LINE_LENGTH && !collection {
        return format!("{pad}{prefix}{head}{open}\n{body}\n{pad}{close}{tail}{suffix}");
    }
    let mut out = format!("{pad}{prefix}{head}{open}\n");
    for arg in args {
        out.push_str(&layout(indent + 4, "", arg, ","));
        out.push('\n');
    }
    let _ = write!(out, "{pad}{close}{tail}{suffix}");
    out
}

/// `name: Outer[inner] = ` as (`name: Outer[`, `inner`), when the annotation ends in a
/// subscript.
fn split_annotation(prefix: &str) -> Option<(&str, &str)> {
    let annotation = prefix.strip_suffix("] = ")?;
    if !annotation.contains(": ") {
        return None;
    }
    // The `[` that the final `]` closes.
    let mut depth = 0usize;
    for (idx, c) in annotation.char_indices().rev() {
        match c {
            ']' => depth += 1,
            '[' if depth == 0 => return Some((&annotation[..=idx], &annotation[idx + 1..])),
            '[' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// `from module import a, b` on one line, or exploded one name a line as ruff's isort
/// formatting does when it is too long.
pub fn import(module: &str, names: &[&str]) -> String {
    import_at(0, module, names)
}

/// [`import`] indented by `indent` (inside `if TYPE_CHECKING:`); the indentation counts
/// toward the line length.
pub fn import_at(indent: usize, module: &str, names: &[&str]) -> String {
    let pad = " ".repeat(indent);
    let line = format!("{pad}from {module} import {}", names.join(", "));
    if line.chars().count() <= LINE_LENGTH {
        return line;
    }
    let mut out = format!("{pad}from {module} import (\n");
    for name in names {
        let _ = writeln!(out, "{pad}    {name},");
    }
    let _ = write!(out, "{pad})");
    out
}

/// `for {target} in (a, b, …):` at `indent`, over a tuple literal of `items` (one item
/// keeps its trailing comma), laid out as ruff formats it.
pub fn for_tuple(indent: usize, target: &str, items: Vec<Expr>) -> String {
    if let [item] = items.as_slice() {
        return format!("{}for {target} in ({},):", " ".repeat(indent), item.inline());
    }
    let tuple = Expr::Call { head: String::new(), args: items, tail: ":".to_owned(), brackets: Brackets::Round };
    layout(indent, &format!("for {target} in "), &tuple, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat call: every argument an atom.
    fn call(indent: usize, head: &str, args: &[String], tail: &str) -> String {
        let expr = Expr::Call { head: head.to_owned(), args: args.iter().cloned().map(Expr::Atom).collect(), tail: tail.to_owned(), brackets: Brackets::Round };
        layout(indent, "", &expr, "")
    }

    fn args(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn short_calls_stay_on_one_line() {
        assert_eq!(call(4, "x = f", &args(&["a", "b"]), ""), "    x = f(a, b)");
    }

    #[test]
    fn long_calls_hug_then_explode() {
        let long = args(&["\"a_rather_long_argument_name\"", "sa.String(120)", "nullable=False", "index=True"]);
        assert_eq!(
            call(4, "name: orm.Mapped[str] = orm.mapped_column", &long, ""),
            "    name: orm.Mapped[str] = orm.mapped_column(\n        \"a_rather_long_argument_name\", sa.String(120), nullable=False, index=True\n    )"
        );
        let longer: Vec<String> = (0..12).map(|idx| format!("argument_number_{idx}")).collect();
        assert!(call(0, "f", &longer, "").ends_with("    argument_number_11,\n)"));
    }

    #[test]
    fn a_long_annotated_target_splits_its_annotation() {
        let name = "c".repeat(63);
        let value = Expr::call("orm.mapped_column", vec![Expr::atom(format!("\"{name}\"")), Expr::atom("nullable=True")]);
        let text = layout(4, &format!("{name}: orm.Mapped[str | None] = "), &value, "");
        assert_eq!(text, format!("    {name}: orm.Mapped[\n        str | None\n    ] = orm.mapped_column(\n        \"{name}\", nullable=True\n    )"));
    }

    #[test]
    fn indented_imports_count_their_indentation() {
        let module = format!("app.models.{}", "b".repeat(63));
        let class = "B".repeat(63);
        assert_eq!(import_at(4, &module, &[&class]), format!("    from {module} import (\n        {class},\n    )"));
        assert_eq!(import_at(4, "app.models.x", &["X"]), "    from app.models.x import X");
    }

    #[test]
    fn nested_calls_break_inside_out() {
        let column = Expr::call("sa.Column", (0..8).map(|idx| Expr::atom(format!("argument_{idx}"))).collect());
        let table = Expr::call("op.create_table", vec![Expr::atom("\"t\""), column]);
        let text = layout(4, "", &table, "");
        assert!(text.starts_with("    op.create_table(\n        \"t\",\n        sa.Column(\n"), "{text}");
    }
}
