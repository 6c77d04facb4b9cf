//! The typed model of generated Python: symbols (a name and the module it comes from),
//! expressions, statements, functions and classes, and one printer that lays them out
//! as `ruff format` does. A module's imports are computed from the symbols its code
//! refers to, so an import is never missing, unused or chosen by searching text.
//!
//! Invariant: every piece of text in a node is a [`PyIdent`](super::names::PyIdent),
//! a [`PyStr`](super::names::PyStr) literal, a number, or a name the target itself
//! chose; the printer only joins them.

use std::borrow::Cow;
use std::fmt::{self, Write};

use super::imports::ImportSet;
use super::layout;

/// A module-level name that generated code imports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Symbol {
    /// A module itself, `import module` (or `import module as alias`); code spells it
    /// by its alias or its full dotted name.
    Module { module: Cow<'static, str>, alias: Option<&'static str> },
    /// `from module import name`; code spells it `name`. A name used in annotations
    /// only (of a module with `from __future__ import annotations`) may be imported
    /// under `if TYPE_CHECKING:`, as models import one another.
    Name { module: Cow<'static, str>, name: Cow<'static, str>, type_checking: bool },
}

impl Symbol {
    /// `import module`.
    pub(super) fn module(module: impl Into<Cow<'static, str>>) -> Expr {
        Expr::Sym(Symbol::Module { module: module.into(), alias: None })
    }

    /// `import module as alias`.
    pub(super) fn module_as(module: &'static str, alias: &'static str) -> Expr {
        Expr::Sym(Symbol::Module { module: Cow::Borrowed(module), alias: Some(alias) })
    }

    /// `from module import name`.
    pub(super) fn name(module: impl Into<Cow<'static, str>>, name: impl Into<Cow<'static, str>>) -> Expr {
        Expr::Sym(Symbol::Name { module: module.into(), name: name.into(), type_checking: false })
    }

    /// `from module import name`, under `if TYPE_CHECKING:` unless code uses it at run
    /// time too.
    pub(super) fn annotation(module: impl Into<Cow<'static, str>>, name: impl Into<Cow<'static, str>>) -> Expr {
        Expr::Sym(Symbol::Name { module: module.into(), name: name.into(), type_checking: true })
    }

    /// How code spells the symbol.
    fn spelling(&self) -> &str {
        match self {
            Symbol::Module { module, alias } => alias.unwrap_or(module),
            Symbol::Name { name, .. } => name,
        }
    }
}

/// `sa` (`import sqlalchemy as sa`), which models and migrations spell their types with.
pub(super) fn sa() -> Expr {
    Symbol::module_as("sqlalchemy", "sa")
}

/// An expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Expr {
    /// An imported name.
    Sym(Symbol),
    /// A name the module binds itself or a builtin: a parameter, a local, `router`, `int`.
    Name(Cow<'static, str>),
    /// Literal text: a number, `True`, `None`, a quoted string (a `PyStr`), an f-string.
    Lit(Cow<'static, str>),
    /// `value.attribute`.
    Attr(Box<Expr>, Cow<'static, str>),
    Call(Box<Expr>, Vec<Arg>),
    /// `value[items]`.
    Subscript(Box<Expr>, Vec<Expr>),
    Tuple(Vec<Expr>),
    List(Vec<Expr>),
    /// `{key: value, …}`; `exploded` keeps one entry a line whatever fits, as a dict
    /// written with a trailing comma stays under ruff.
    Dict {
        entries: Vec<(Expr, Expr)>,
        exploded: bool,
    },
    /// `left op right`, as `str | None` or `a == b`.
    Binary(Box<Expr>, &'static str, Box<Expr>),
    /// `op operand`, as `not row.is_deleted`.
    Unary(&'static str, Box<Expr>),
    /// `[element for target in iter if condition]`.
    ListComp {
        element: Box<Expr>,
        target: Cow<'static, str>,
        iter: Box<Expr>,
        condition: Option<Box<Expr>>,
    },
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    Positional(Expr),
    Keyword(Cow<'static, str>, Expr),
    /// `**mapping`.
    Unpack(Expr),
}

impl Arg {
    pub(super) fn kw(name: impl Into<Cow<'static, str>>, value: Expr) -> Self {
        Arg::Keyword(name.into(), value)
    }

    fn value(&self) -> &Expr {
        match self {
            Arg::Positional(value) | Arg::Keyword(_, value) | Arg::Unpack(value) => value,
        }
    }
}

impl From<Expr> for Arg {
    fn from(value: Expr) -> Self {
        Arg::Positional(value)
    }
}

impl Expr {
    pub(super) fn name(name: impl Into<Cow<'static, str>>) -> Self {
        Expr::Name(name.into())
    }

    pub(super) fn lit(text: impl Into<Cow<'static, str>>) -> Self {
        Expr::Lit(text.into())
    }

    /// A string literal, quoted and escaped.
    pub(super) fn str(text: &str) -> Self {
        Expr::Lit(Cow::Owned(super::names::PyStr::new(text).to_string()))
    }

    pub(super) fn bool(flag: bool) -> Self {
        Expr::lit(if flag { "True" } else { "False" })
    }

    pub(super) fn none() -> Self {
        Expr::lit("None")
    }

    pub(super) fn attr(self, attribute: impl Into<Cow<'static, str>>) -> Self {
        Expr::Attr(Box::new(self), attribute.into())
    }

    pub(super) fn call(self, args: Vec<Arg>) -> Self {
        Expr::Call(Box::new(self), args)
    }

    pub(super) fn index(self, items: Vec<Expr>) -> Self {
        Expr::Subscript(Box::new(self), items)
    }

    /// `self | None` when `nullable`.
    pub(super) fn or_none(self, nullable: bool) -> Self {
        if nullable { Expr::Binary(Box::new(self), "|", Box::new(Expr::none())) } else { self }
    }

    pub(super) fn binary(self, op: &'static str, right: Expr) -> Self {
        Expr::Binary(Box::new(self), op, Box::new(right))
    }

    pub(super) fn not(self) -> Self {
        Expr::Unary("not", Box::new(self))
    }

    /// The expression on one line.
    pub(super) fn inline(&self) -> String {
        let mut out = String::new();
        self.write_inline(&mut out);
        out
    }

    fn write_inline(&self, out: &mut String) {
        match self {
            Expr::Sym(symbol) => out.push_str(symbol.spelling()),
            Expr::Name(text) | Expr::Lit(text) => out.push_str(text),
            Expr::Attr(value, attribute) => {
                value.write_inline(out);
                out.push('.');
                out.push_str(attribute);
            }
            Expr::Call(func, args) => {
                func.write_inline(out);
                out.push('(');
                join(out, args.iter().map(arg_inline));
                out.push(')');
            }
            Expr::Subscript(value, items) => {
                value.write_inline(out);
                out.push('[');
                join(out, items.iter().map(Expr::inline));
                out.push(']');
            }
            Expr::Tuple(items) => {
                out.push('(');
                join(out, items.iter().map(Expr::inline));
                if items.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Expr::List(items) => {
                out.push('[');
                join(out, items.iter().map(Expr::inline));
                out.push(']');
            }
            Expr::Dict { entries, .. } => {
                out.push('{');
                join(out, entries.iter().map(|(key, value)| format!("{}: {}", key.inline(), value.inline())));
                out.push('}');
            }
            Expr::Binary(left, op, right) => {
                left.write_inline(out);
                let _ = write!(out, " {op} ");
                right.write_inline(out);
            }
            Expr::Unary(op, operand) => {
                let _ = write!(out, "{op} ");
                operand.write_inline(out);
            }
            Expr::ListComp { element, target, iter, condition } => {
                out.push('[');
                element.write_inline(out);
                let _ = write!(out, " for {target} in ");
                iter.write_inline(out);
                if let Some(condition) = condition {
                    out.push_str(" if ");
                    condition.write_inline(out);
                }
                out.push(']');
            }
        }
    }

    /// The expression as the layout engine breaks it: calls, subscripts and collections
    /// may break between their brackets; everything else is one atom.
    fn lower(&self) -> layout::Expr {
        match self {
            Expr::Call(func, args) => layout::Expr::call(func.inline(), args.iter().map(lower_arg).collect()),
            // `(a, b)[n % 2]`: ruff breaks the tuple and keeps the short index after it.
            Expr::Subscript(value, items) if matches!(&**value, Expr::Tuple(elements) if elements.len() > 1) => {
                let Expr::Tuple(elements) = &**value else { return layout::Expr::atom(self.inline()) };
                let index = items.iter().map(Expr::inline).collect::<Vec<_>>().join(", ");
                let args = elements.iter().map(Expr::lower).collect();
                layout::Expr::Call { head: String::new(), args, tail: format!("[{index}]"), brackets: layout::Brackets::Round }
            }
            // An index of a call or a list: ruff picks among breaking the index, the call
            // or parentheses by what fits; one atom leaves a line too long to the formatter.
            Expr::Subscript(value, _) if matches!(&**value, Expr::Call(..) | Expr::List(_) | Expr::Tuple(_)) => layout::Expr::atom(self.inline()),
            Expr::Subscript(value, items) => layout::Expr::subscript(value.inline(), items.iter().map(Expr::lower).collect()),
            Expr::Tuple(items) if items.len() > 1 => layout::Expr::call("", items.iter().map(Expr::lower).collect()),
            // One element: ruff's layout of a broken one-element list is not the printer's;
            // as an atom, a line too long goes to the formatter.
            Expr::List(items) if items.len() > 1 => layout::Expr::subscript("", items.iter().map(Expr::lower).collect()),
            Expr::Dict { entries, exploded: true } if !entries.is_empty() => layout::Expr::Call {
                head: String::new(),
                args: entries.iter().map(|(key, value)| prefixed(&format!("{}: ", key.inline()), value.lower())).collect(),
                tail: String::new(),
                brackets: layout::Brackets::Exploded,
            },
            _ => layout::Expr::atom(self.inline()),
        }
    }

    /// Whether the expression breaks across lines however short it is (an exploded dict).
    fn always_breaks(&self) -> bool {
        matches!(self, Expr::Dict { entries, exploded: true } if !entries.is_empty())
    }

    /// Whether the expression refers to `symbol`.
    pub(super) fn uses(&self, symbol: &Symbol) -> bool {
        let mut symbols = Vec::new();
        self.visit(&mut symbols);
        symbols.contains(&symbol)
    }

    fn visit<'a>(&'a self, symbols: &mut Vec<&'a Symbol>) {
        match self {
            Expr::Sym(symbol) => symbols.push(symbol),
            Expr::Name(_) | Expr::Lit(_) => {}
            Expr::Attr(value, _) | Expr::Unary(_, value) => value.visit(symbols),
            Expr::Call(func, args) => {
                func.visit(symbols);
                for arg in args {
                    arg.value().visit(symbols);
                }
            }
            Expr::Subscript(value, items) => {
                value.visit(symbols);
                for item in items {
                    item.visit(symbols);
                }
            }
            Expr::Tuple(items) | Expr::List(items) => items.iter().for_each(|item| item.visit(symbols)),
            Expr::Dict { entries, .. } => {
                for (key, value) in entries {
                    key.visit(symbols);
                    value.visit(symbols);
                }
            }
            Expr::Binary(left, _, right) => {
                left.visit(symbols);
                right.visit(symbols);
            }
            Expr::ListComp { element, iter, condition, .. } => {
                element.visit(symbols);
                iter.visit(symbols);
                if let Some(condition) = condition {
                    condition.visit(symbols);
                }
            }
        }
    }
}

impl fmt::Display for Expr {
    /// The expression on one line, for a skeleton that places a short value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inline())
    }
}

fn join(out: &mut String, items: impl Iterator<Item = String>) {
    for (idx, item) in items.enumerate() {
        if idx > 0 {
            out.push_str(", ");
        }
        out.push_str(&item);
    }
}

fn arg_inline(arg: &Arg) -> String {
    match arg {
        Arg::Positional(value) => value.inline(),
        Arg::Keyword(name, value) => format!("{name}={}", value.inline()),
        Arg::Unpack(value) => format!("**{}", value.inline()),
    }
}

fn lower_arg(arg: &Arg) -> layout::Expr {
    match arg {
        Arg::Positional(value) => value.lower(),
        Arg::Keyword(name, value) => prefixed(&format!("{name}="), value.lower()),
        Arg::Unpack(value) => prefixed("**", value.lower()),
    }
}

/// `prefix` glued to the front of a laid-out expression (`name=`, `name: `), so that it
/// breaks as the expression would.
fn prefixed(prefix: &str, expr: layout::Expr) -> layout::Expr {
    match expr {
        layout::Expr::Atom(text) => layout::Expr::Atom(format!("{prefix}{text}")),
        layout::Expr::Call { head, args, tail, brackets } => layout::Expr::Call { head: format!("{prefix}{head}"), args, tail, brackets },
    }
}

/// One parameter of a function: `name: annotation`, with a default when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Param {
    pub(super) name: Cow<'static, str>,
    pub(super) annotation: Option<Expr>,
    pub(super) default: Option<Expr>,
}

impl Param {
    pub(super) fn new(name: impl Into<Cow<'static, str>>, annotation: Expr) -> Self {
        Param { name: name.into(), annotation: Some(annotation), default: None }
    }

    fn lower(&self) -> layout::Expr {
        let annotated = match &self.annotation {
            Some(annotation) => prefixed(&format!("{}: ", self.name), annotation.lower()),
            None => layout::Expr::Atom(self.name.to_string()),
        };
        match &self.default {
            // A default is short in generated code: the parameter stays one atom.
            Some(default) => {
                let separator = if self.annotation.is_some() { " = " } else { "=" };
                layout::Expr::Atom(format!("{}{separator}{}", annotated.inline(), default.inline()))
            }
            None => annotated,
        }
    }
}

/// A `def`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Function {
    pub(super) decorators: Vec<Expr>,
    pub(super) name: Cow<'static, str>,
    pub(super) params: Vec<Param>,
    pub(super) returns: Option<Expr>,
    /// The docstring's text, already laid out (see `docstring` in the views).
    pub(super) docstring: Option<String>,
    pub(super) body: Vec<Stmt>,
}

impl Function {
    pub(super) fn new(name: impl Into<Cow<'static, str>>, params: Vec<Param>, returns: Expr) -> Self {
        Function { decorators: Vec::new(), name: name.into(), params, returns: Some(returns), docstring: None, body: Vec::new() }
    }

    pub(super) fn decorated(mut self, decorator: Expr) -> Self {
        self.decorators.push(decorator);
        self
    }

    pub(super) fn doc(mut self, docstring: impl Into<String>) -> Self {
        self.docstring = Some(docstring.into());
        self
    }

    pub(super) fn body(mut self, body: Vec<Stmt>) -> Self {
        self.body = body;
        self
    }
}

/// A `class`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Class {
    pub(super) name: Cow<'static, str>,
    pub(super) bases: Vec<Expr>,
    pub(super) docstring: Option<String>,
    pub(super) body: Vec<Stmt>,
}

/// A statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stmt {
    Expr(Expr),
    /// `target = value`, `target: annotation = value` or a bare `target: annotation`.
    Assign {
        target: Cow<'static, str>,
        annotation: Option<Expr>,
        value: Option<Expr>,
    },
    Return(Option<Expr>),
    Raise(Expr),
    /// `assert test, message`.
    Assert {
        test: Expr,
        message: Option<Expr>,
    },
    If {
        test: Expr,
        body: Vec<Stmt>,
    },
    For {
        target: Cow<'static, str>,
        iter: Expr,
        body: Vec<Stmt>,
    },
    /// `with item as target:`.
    With {
        item: Expr,
        target: Cow<'static, str>,
        body: Vec<Stmt>,
    },
    Def(Function),
    Class(Class),
    /// An empty line between groups of statements of one body.
    Blank,
}

impl Stmt {
    pub(super) fn assign(target: impl Into<Cow<'static, str>>, value: Expr) -> Self {
        Stmt::Assign { target: target.into(), annotation: None, value: Some(value) }
    }

    pub(super) fn annotated(target: impl Into<Cow<'static, str>>, annotation: Expr, value: Option<Expr>) -> Self {
        Stmt::Assign { target: target.into(), annotation: Some(annotation), value }
    }

    pub(super) fn ret(value: Expr) -> Self {
        Stmt::Return(Some(value))
    }

    fn is_definition(&self) -> bool {
        matches!(self, Stmt::Def(_) | Stmt::Class(_))
    }

    fn visit<'a>(&'a self, symbols: &mut Vec<&'a Symbol>) {
        match self {
            Stmt::Expr(expr) | Stmt::Raise(expr) => expr.visit(symbols),
            Stmt::Assign { annotation, value, .. } => {
                annotation.iter().chain(value).for_each(|expr| expr.visit(symbols));
            }
            Stmt::Return(value) => value.iter().for_each(|expr| expr.visit(symbols)),
            Stmt::Assert { test, message } => std::iter::once(test).chain(message).for_each(|expr| expr.visit(symbols)),
            Stmt::If { test: expr, body } | Stmt::For { iter: expr, body, .. } | Stmt::With { item: expr, body, .. } => {
                expr.visit(symbols);
                for stmt in body {
                    stmt.visit(symbols);
                }
            }
            Stmt::Def(function) => {
                for expr in &function.decorators {
                    expr.visit(symbols);
                }
                for param in &function.params {
                    param.annotation.iter().chain(&param.default).for_each(|expr| expr.visit(symbols));
                }
                if let Some(returns) = &function.returns {
                    returns.visit(symbols);
                }
                for stmt in &function.body {
                    stmt.visit(symbols);
                }
            }
            Stmt::Class(class) => {
                for expr in &class.bases {
                    expr.visit(symbols);
                }
                for stmt in &class.body {
                    stmt.visit(symbols);
                }
            }
            Stmt::Blank => {}
        }
    }

    fn print(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Stmt::Expr(expr) => place(out, indent, "", expr, ""),
            Stmt::Assign { target, annotation, value } => {
                let annotation = annotation.as_ref().map(|annotation| format!(": {}", annotation.inline())).unwrap_or_default();
                match value {
                    Some(value) => place(out, indent, &format!("{target}{annotation} = "), value, ""),
                    None => {
                        let _ = write!(out, "{pad}{target}{annotation}");
                    }
                }
            }
            Stmt::Return(Some(value)) => place(out, indent, "return ", value, ""),
            Stmt::Return(None) => {
                let _ = write!(out, "{pad}return");
            }
            Stmt::Raise(value) => place(out, indent, "raise ", value, ""),
            Stmt::Assert { test, message } => {
                let message = message.as_ref().map(|message| format!(", {}", message.inline())).unwrap_or_default();
                let _ = write!(out, "{pad}assert {}{message}", test.inline());
            }
            Stmt::If { test, body } => {
                let _ = write!(out, "{pad}if {}:", test.inline());
                print_block(indent + 4, body, out);
            }
            Stmt::For { target, iter, body } => {
                let line = match iter {
                    Expr::Tuple(items) => layout::for_tuple(indent, target, items.iter().map(Expr::lower).collect()),
                    iter => {
                        let mut line = String::new();
                        place(&mut line, indent, &format!("for {target} in "), iter, ":");
                        line
                    }
                };
                out.push_str(&line);
                print_block(indent + 4, body, out);
            }
            Stmt::With { item, target, body } => {
                place(out, indent, "with ", item, &format!(" as {target}:"));
                print_block(indent + 4, body, out);
            }
            Stmt::Def(function) => {
                for decorator in &function.decorators {
                    place(out, indent, "@", decorator, "");
                    out.push('\n');
                }
                let tail = match &function.returns {
                    Some(returns) => format!(" -> {}:", returns.inline()),
                    None => ":".to_owned(),
                };
                let signature = layout::Expr::Call {
                    head: format!("def {}", function.name),
                    args: function.params.iter().map(Param::lower).collect(),
                    tail,
                    brackets: layout::Brackets::Round,
                };
                out.push_str(&layout::layout(indent, "", &signature, ""));
                let inner = " ".repeat(indent + 4);
                if let Some(docstring) = &function.docstring {
                    let _ = write!(out, "\n{inner}\"\"\"{docstring}\"\"\"");
                }
                print_block(indent + 4, &function.body, out);
            }
            Stmt::Class(class) => {
                let bases =
                    if class.bases.is_empty() { String::new() } else { format!("({})", class.bases.iter().map(Expr::inline).collect::<Vec<_>>().join(", ")) };
                let _ = write!(out, "{pad}class {}{bases}:", class.name);
                let inner = " ".repeat(indent + 4);
                if let Some(docstring) = &class.docstring {
                    let _ = write!(out, "\n{inner}\"\"\"{docstring}\"\"\"");
                    // Ruff keeps one empty line between a class docstring and the body.
                    if !class.body.is_empty() {
                        out.push('\n');
                    }
                }
                print_block(indent + 4, &class.body, out);
            }
            Stmt::Blank => {}
        }
    }
}

/// `{prefix}{expr}{suffix}` at `indent`, laid out as [`layout::layout`] lays it out; a
/// line that fits is written straight from the nodes, without the layout tree.
fn place(out: &mut String, indent: usize, prefix: &str, expr: &Expr, suffix: &str) {
    let start = out.len();
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(prefix);
    expr.write_inline(out);
    out.push_str(suffix);
    if out[start..].chars().count() <= layout::LINE_LENGTH && !expr.always_breaks() {
        return;
    }
    out.truncate(start);
    out.push_str(&layout::layout(indent, prefix, &expr.lower(), suffix));
}

/// One statement printed at an indentation, for a skeleton that places it inside fixed
/// code (a test function's body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Indented(pub(super) usize, pub(super) Stmt);

impl fmt::Display for Indented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.1.print(self.0, &mut out);
        f.write_str(&out)
    }
}

/// The statements of a body, each on its own lines after a newline; a nested definition
/// has one empty line before and after it, as ruff separates methods.
fn print_block(indent: usize, body: &[Stmt], out: &mut String) {
    let body = spaced(body);
    for (idx, stmt) in body.iter().enumerate() {
        out.push('\n');
        if idx > 0 && (stmt.is_definition() || body[idx - 1].is_definition()) {
            out.push('\n');
        }
        stmt.print(indent, out);
    }
}

/// The statements of a body without the [`Stmt::Blank`]s that ruff would drop: at its
/// ends, repeated, or next to a definition, which has its own empty lines.
fn spaced(body: &[Stmt]) -> Vec<&Stmt> {
    let mut kept: Vec<&Stmt> = Vec::with_capacity(body.len());
    for (idx, stmt) in body.iter().enumerate() {
        if *stmt == Stmt::Blank {
            let before = kept.last().is_some_and(|last| **last != Stmt::Blank && !last.is_definition());
            let after = body[idx + 1..].iter().find(|next| **next != Stmt::Blank).is_some_and(|next| !next.is_definition());
            if !(before && after) {
                continue;
            }
        }
        kept.push(stmt);
    }
    kept
}

/// The code of one module after its imports: top-level statements, with two empty lines
/// around every top-level definition, as ruff separates them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Body(pub(super) Vec<Stmt>);

impl Body {
    /// The import block that the body needs: every symbol it refers to; a name used only
    /// for annotations goes under `if TYPE_CHECKING:`.
    pub(super) fn imports(&self) -> Imports {
        let mut symbols = Vec::new();
        self.0.iter().for_each(|stmt| stmt.visit(&mut symbols));
        // A module refers to few symbols many times over: each is imported once.
        symbols.sort_unstable();
        symbols.dedup();
        let mut runtime = ImportSet::default();
        let mut type_checking = ImportSet::default();
        for symbol in &symbols {
            match symbol {
                Symbol::Module { module, alias: Some(alias) } => runtime.module_as(module.to_string(), alias),
                Symbol::Module { module, alias: None } => runtime.module(module.to_string()),
                Symbol::Name { module, name, type_checking: false } => runtime.name(module.to_string(), name.to_string()),
                Symbol::Name { module, name, type_checking: true } => type_checking.name(module.to_string(), name.to_string()),
            };
        }
        type_checking.remove_all(&runtime);
        if !type_checking.is_empty() {
            runtime.name("typing", "TYPE_CHECKING");
        }
        Imports { runtime, type_checking }
    }
}

impl fmt::Display for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let body = spaced(&self.0);
        for (idx, stmt) in body.iter().enumerate() {
            if idx > 0 {
                let definition = stmt.is_definition() || body[idx - 1].is_definition();
                out.push_str(if definition { "\n\n\n" } else { "\n" });
            }
            stmt.print(0, &mut out);
        }
        f.write_str(&out)
    }
}

/// A module's import block and its code, with the empty lines between them that ruff's
/// isort rules want: two before a definition, else one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Module {
    pub(super) imports: Imports,
    pub(super) body: Body,
}

impl Module {
    pub(super) fn new(body: Body) -> Self {
        Module { imports: body.imports(), body }
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gap = if self.body.0.first().is_some_and(Stmt::is_definition) { "\n\n\n" } else { "\n\n" };
        write!(f, "{}{gap}{}", self.imports, self.body)
    }
}

/// The import block of a module, computed from its [`Body`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Imports {
    pub(super) runtime: ImportSet,
    pub(super) type_checking: ImportSet,
}

impl Imports {
    /// Adds what a part of the module that is not a [`Body`] (a skeleton's fixed code)
    /// refers to.
    pub(super) fn with(mut self, extra: impl FnOnce(&mut ImportSet)) -> Self {
        extra(&mut self.runtime);
        self.type_checking.remove_all(&self.runtime);
        self
    }
}

impl fmt::Display for Imports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.runtime.render(0))?;
        if !self.type_checking.is_empty() {
            write!(f, "\n\nif TYPE_CHECKING:\n{}", self.type_checking.render(4))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_come_from_the_symbols_the_body_uses() {
        let field = Symbol::name("pydantic", "Field").call(vec![Arg::kw("default", Expr::none())]);
        let class = Class {
            name: "PostCreate".into(),
            bases: vec![Symbol::name("pydantic", "BaseModel")],
            docstring: Some("A post.".to_owned()),
            body: vec![Stmt::annotated("title", Symbol::module("datetime").attr("date").or_none(true), Some(field))],
        };
        let body = Body(vec![Stmt::Class(class)]);
        assert_eq!(body.imports().to_string(), "import datetime\n\nfrom pydantic import BaseModel, Field");
        assert_eq!(body.to_string(), "class PostCreate(BaseModel):\n    \"\"\"A post.\"\"\"\n\n    title: datetime.date | None = Field(default=None)");
    }

    #[test]
    fn annotation_only_names_go_under_type_checking_unless_used_at_run_time() {
        let body = Body(vec![
            Stmt::annotated("tag", Symbol::annotation("app.models.tag", "Tag"), None),
            Stmt::annotated("user", Symbol::annotation("app.models.user", "User"), None),
            Stmt::Expr(Symbol::name("app.models.user", "User").call(vec![])),
        ]);
        assert_eq!(
            body.imports().to_string(),
            "from typing import TYPE_CHECKING\n\nfrom app.models.user import User\n\nif TYPE_CHECKING:\n    from app.models.tag import Tag"
        );
    }

    #[test]
    fn functions_break_their_signature_and_sit_two_lines_apart() {
        let params: Vec<Param> = (0..6).map(|idx| Param::new(format!("parameter_number_{idx}"), Expr::name("int"))).collect();
        let function = Function::new("handler", params, Expr::name("None"))
            .decorated(Expr::name("router").attr("get").call(vec![Expr::str("/").into()]))
            .doc("Does it.")
            .body(vec![Stmt::Return(None)]);
        let body = Body(vec![Stmt::assign("x", Expr::lit("1")), Stmt::Def(function)]);
        let text = body.to_string();
        assert!(text.starts_with("x = 1\n\n\n@router.get(\"/\")\ndef handler(\n    parameter_number_0: int,"), "{text}");
        assert!(text.ends_with(") -> None:\n    \"\"\"Does it.\"\"\"\n    return"), "{text}");
    }

    #[test]
    fn empty_lines_next_to_definitions_are_the_definitions_own() {
        let def = || Stmt::Def(Function::new("f", Vec::new(), Expr::name("None")).body(vec![Stmt::Return(None)]));
        let x = || Stmt::assign("x", Expr::lit("1"));
        let body = Body(vec![Stmt::Blank, x(), Stmt::Blank, def(), Stmt::Blank, x(), Stmt::Blank, Stmt::Blank, x(), Stmt::Blank]);
        assert_eq!(body.to_string(), "x = 1\n\n\ndef f() -> None:\n    return\n\n\nx = 1\n\nx = 1");
        let class = Class { name: "C".into(), bases: Vec::new(), docstring: None, body: vec![x(), Stmt::Blank, def(), Stmt::Blank, x()] };
        assert_eq!(Body(vec![Stmt::Class(class)]).to_string(), "class C:\n    x = 1\n\n    def f() -> None:\n        return\n\n    x = 1");
    }

    #[test]
    fn an_index_of_a_call_is_left_whole_to_the_formatter() {
        let name = "c".repeat(63);
        let value = Expr::name(format!("create_{name}")).call(vec![Expr::name("client").into()]).index(vec![Expr::str("id")]);
        let mut out = String::new();
        place(&mut out, 4, &format!("body[\"{name}\"] = "), &value, "");
        assert_eq!(out.lines().count(), 1, "{out}");
    }

    #[test]
    fn a_one_element_tuple_keeps_its_comma() {
        assert_eq!(Expr::Tuple(vec![Expr::name("id")]).inline(), "(id,)");
        let body =
            Body(vec![Stmt::For { target: "field".into(), iter: Expr::Tuple(vec![Expr::str("a")]), body: vec![Stmt::Expr(Expr::name("f").call(vec![]))] }]);
        assert_eq!(body.to_string(), "for field in (\"a\",):\n    f()");
    }
}
