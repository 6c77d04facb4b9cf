//! Scope rules of generated Python, checked on Ruff's syntax tree: no name a generated
//! scope binds is also read there with another meaning.
//!
//! Names in generated code come from two places: the templates (imports, builtins such
//! as `int` and `str`, helpers, locals like `row`) and the user's schema (attributes,
//! parameters, classes). When a schema name equals a template name in one scope, one of
//! the two silently means the other: a Pydantic field `bool` makes a later annotation
//! `bool | None` read the field, and the module fails at import. The target renames such
//! names before rendering; this check proves, on every file it writes, that it did:
//!
//! - **class bodies**: a name bound in the body (a field, a method, an assignment) is
//!   never read in the same body (annotations, defaults, decorators, bases of nested
//!   classes);
//! - **function bodies**: no local (parameter, assignment, loop or `with` target) has the
//!   name of a module-level binding or a builtin that the module reads somewhere, and no
//!   parameter is bound again in its body;
//! - **modules**: no name is both imported and bound by another statement, and no
//!   module-level binding takes the name of a builtin the module reads.
//!
//! A violation is a bug in backbone, never in the user's schema: the caller reports it as
//! an internal error and writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextSize};

/// Python 3.11's `dir(builtins)`, without the dunder names.
pub const BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "False",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "None",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "True",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// One broken scope rule, at a byte offset of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeFault {
    pub offset: TextSize,
    pub message: String,
}

/// The first broken scope rule of a parsed module, in file order.
pub fn check(module: &ast::ModModule) -> Option<ScopeFault> {
    Collector::run(module).faults().into_iter().min_by_key(|fault| fault.offset)
}

/// The builtins a parsed module reads (names read in some scope that no enclosing scope
/// binds), so a test can hold the target's list of them to what the code does.
pub fn builtins_read(module: &ast::ModModule) -> BTreeSet<String> {
    let collector = Collector::run(module);
    let mut found = BTreeSet::new();
    for (idx, scope) in collector.scopes.iter().enumerate() {
        found.extend(scope.read.keys().filter(|name| collector.resolve(idx, name).is_none() && BUILTINS.contains(&name.as_str())).cloned());
    }
    found
}

/// Every name a parsed module binds or reads, in any scope.
pub fn names(module: &ast::ModModule) -> BTreeSet<String> {
    let collector = Collector::run(module);
    collector.scopes.iter().flat_map(|scope| scope.bound.keys().chain(scope.read.keys()).cloned()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    Class,
    Function,
}

/// How a name came to be bound in a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Import,
    Parameter,
    Other,
}

#[derive(Debug)]
struct Scope {
    kind: Kind,
    /// `class Post`, `function read_post`: for messages.
    title: String,
    parent: Option<usize>,
    /// Every binding of a name, in file order.
    bound: BTreeMap<String, Vec<(Binding, TextSize)>>,
    /// Every read of a name in this scope, in file order.
    read: BTreeMap<String, Vec<TextSize>>,
    /// Names declared `global` or `nonlocal`: bound elsewhere.
    declared: BTreeSet<String>,
}

impl Scope {
    fn new(kind: Kind, title: String, parent: Option<usize>) -> Self {
        Self { kind, title, parent, bound: BTreeMap::new(), read: BTreeMap::new(), declared: BTreeSet::new() }
    }

    fn binds(&self, name: &str) -> bool {
        self.bound.contains_key(name) && !self.declared.contains(name)
    }
}

struct Collector {
    scopes: Vec<Scope>,
    current: usize,
}

impl Collector {
    fn run(module: &ast::ModModule) -> Self {
        let mut collector = Collector { scopes: vec![Scope::new(Kind::Module, "the module".to_owned(), None)], current: 0 };
        collector.visit_body(&module.body);
        collector
    }

    fn bind(&mut self, name: &str, how: Binding, at: TextSize) {
        self.scopes[self.current].bound.entry(name.to_owned()).or_default().push((how, at));
    }

    fn read(&mut self, name: &str, at: TextSize) {
        self.scopes[self.current].read.entry(name.to_owned()).or_default().push(at);
    }

    /// Runs `body` in a new scope, then returns to the current one.
    fn nested(&mut self, kind: Kind, title: String, body: impl FnOnce(&mut Self)) {
        let parent = self.current;
        self.scopes.push(Scope::new(kind, title, Some(parent)));
        self.current = self.scopes.len() - 1;
        body(self);
        self.current = parent;
    }

    /// Parameter defaults and annotations are evaluated where the function is defined.
    fn visit_parameter_values(&mut self, parameters: &ast::Parameters) {
        for parameter in parameters {
            if let Some(default) = parameter.default() {
                self.visit_expr(default);
            }
            if let Some(annotation) = parameter.annotation() {
                self.visit_annotation(annotation);
            }
        }
    }

    fn bind_parameters(&mut self, parameters: &ast::Parameters) {
        for parameter in parameters {
            let name = parameter.name();
            self.bind(name.as_str(), Binding::Parameter, name.start());
        }
    }

    /// The scope a read in `scope` resolves to, or `None` for a builtin. Class scopes
    /// are skipped for reads from nested functions, as Python does.
    fn resolve(&self, scope: usize, name: &str) -> Option<usize> {
        if self.scopes[scope].binds(name) {
            return Some(scope);
        }
        let mut next = self.scopes[scope].parent;
        while let Some(idx) = next {
            let candidate = &self.scopes[idx];
            if candidate.kind != Kind::Class && candidate.binds(name) {
                return Some(idx);
            }
            next = candidate.parent;
        }
        None
    }

    fn faults(&self) -> Vec<ScopeFault> {
        // Names read somewhere as a module-level name or a builtin.
        let mut global_reads: BTreeSet<&str> = BTreeSet::new();
        for (idx, scope) in self.scopes.iter().enumerate() {
            for name in scope.read.keys() {
                if self.resolve(idx, name).is_none_or(|found| found == 0) {
                    global_reads.insert(name);
                }
            }
        }
        let module = &self.scopes[0];
        let mut faults = Vec::new();
        for scope in &self.scopes {
            for (name, bindings) in &scope.bound {
                if scope.declared.contains(name) {
                    continue;
                }
                let first = bindings[0].1;
                match scope.kind {
                    Kind::Class => {
                        if let Some(read) = scope.read.get(name) {
                            faults.push(ScopeFault {
                                offset: read[0],
                                message: format!(
                                    "`{name}` is read in {} where it is also bound (at byte {}): one of them means the other",
                                    scope.title,
                                    u32::from(first)
                                ),
                            });
                        }
                    }
                    Kind::Function => {
                        let shadowed = module.binds(name) || BUILTINS.contains(&name.as_str());
                        if shadowed && global_reads.contains(name.as_str()) {
                            faults.push(ScopeFault {
                                offset: first,
                                message: format!("local `{name}` of {} shadows the module-level or builtin `{name}` that this module reads", scope.title),
                            });
                        }
                        if bindings[0].0 == Binding::Parameter
                            && let Some((_, again)) = bindings.iter().find(|(how, _)| *how != Binding::Parameter)
                        {
                            faults.push(ScopeFault { offset: *again, message: format!("parameter `{name}` of {} is bound again in its body", scope.title) });
                        }
                    }
                    Kind::Module => {
                        let imported = bindings.iter().any(|(how, _)| *how == Binding::Import);
                        if let Some((_, other)) = bindings.iter().find(|(how, _)| *how != Binding::Import).filter(|_| imported) {
                            faults.push(ScopeFault { offset: *other, message: format!("`{name}` is both imported and defined in the module") });
                        } else if !imported && BUILTINS.contains(&name.as_str()) && scope.read.contains_key(name) {
                            faults.push(ScopeFault { offset: first, message: format!("the module defines `{name}`, the name of a builtin it reads") });
                        }
                    }
                }
            }
        }
        faults
    }
}

impl<'a> Visitor<'a> for Collector {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => {
                for decorator in &function.decorator_list {
                    self.visit_decorator(decorator);
                }
                self.visit_parameter_values(&function.parameters);
                if let Some(returns) = &function.returns {
                    self.visit_annotation(returns);
                }
                self.bind(function.name.as_str(), Binding::Other, function.name.start());
                self.nested(Kind::Function, format!("function `{}`", function.name), |this| {
                    this.bind_parameters(&function.parameters);
                    this.visit_body(&function.body);
                });
            }
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_decorator(decorator);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                self.bind(class.name.as_str(), Binding::Other, class.name.start());
                self.nested(Kind::Class, format!("class `{}`", class.name), |this| this.visit_body(&class.body));
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    // `import a.b` binds `a`.
                    let bound = alias.asname.as_ref().map_or_else(|| alias.name.as_str().split('.').next().unwrap_or_default(), |name| name.as_str());
                    self.bind(bound, Binding::Import, alias.start());
                }
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bind(bound.as_str(), Binding::Import, alias.start());
                }
            }
            Stmt::Global(ast::StmtGlobal { names, .. }) | Stmt::Nonlocal(ast::StmtNonlocal { names, .. }) => {
                for name in names {
                    self.scopes[self.current].declared.insert(name.to_string());
                }
            }
            Stmt::Try(try_stmt) => {
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(name) = &handler.name {
                        self.bind(name.as_str(), Binding::Other, name.start());
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(name) => match name.ctx {
                ExprContext::Load => self.read(name.id.as_str(), name.start()),
                ExprContext::Store | ExprContext::Del => self.bind(name.id.as_str(), Binding::Other, name.start()),
                ExprContext::Invalid => {}
            },
            Expr::Lambda(lambda) => {
                if let Some(parameters) = &lambda.parameters {
                    self.visit_parameter_values(parameters);
                }
                self.nested(Kind::Function, "a lambda".to_owned(), |this| {
                    if let Some(parameters) = &lambda.parameters {
                        this.bind_parameters(parameters);
                    }
                    this.visit_expr(&lambda.body);
                });
            }
            Expr::ListComp(ast::ExprListComp { elt, generators, .. })
            | Expr::SetComp(ast::ExprSetComp { elt, generators, .. })
            | Expr::Generator(ast::ExprGenerator { elt, generators, .. }) => self.comprehension(generators, &[elt]),
            Expr::DictComp(ast::ExprDictComp { key, value, generators, .. }) => {
                let mut elements: Vec<&Expr> = key.as_deref().into_iter().collect();
                elements.push(value);
                self.comprehension(generators, &elements);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}

impl Collector {
    /// A comprehension is a function scope, except that its first iterable is evaluated
    /// where the comprehension stands.
    fn comprehension<'a>(&mut self, generators: &'a [ast::Comprehension], elements: &[&'a Expr]) {
        let Some(first) = generators.first() else { return };
        self.visit_expr(&first.iter);
        self.nested(Kind::Function, "a comprehension".to_owned(), |this| {
            for (idx, generator) in generators.iter().enumerate() {
                if idx > 0 {
                    this.visit_expr(&generator.iter);
                }
                this.visit_expr(&generator.target);
                for condition in &generator.ifs {
                    this.visit_expr(condition);
                }
            }
            for element in elements {
                this.visit_expr(element);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use ruff_python_parser::parse_module;

    use super::*;

    fn fault(code: &str) -> Option<String> {
        let parsed = parse_module(code).expect("valid Python");
        check(parsed.syntax()).map(|fault| fault.message)
    }

    #[test]
    fn a_field_named_like_a_builtin_read_in_the_same_class_is_a_fault() {
        let code = "class A:\n    bool: bool\n    other: bool | None = None\n";
        let message = fault(code).expect("a fault");
        assert!(message.contains("`bool` is read in class `A`"), "{message}");
    }

    #[test]
    fn fields_named_like_unread_builtins_are_fine() {
        assert_eq!(fault("class A:\n    id: int\n    type_: str\n    input: str\n"), None);
    }

    #[test]
    fn a_parameter_shadowing_a_read_import_is_a_fault() {
        let code = "import crud\n\n\ndef f(crud: int) -> int:\n    return crud\n\n\ndef g() -> int:\n    return crud.x\n";
        assert!(fault(code).expect("a fault").contains("local `crud` of function `f` shadows"));
        assert_eq!(fault("import crud\n\n\ndef f(id: int) -> int:\n    return crud.get(id)\n"), None);
    }

    #[test]
    fn a_parameter_bound_again_is_a_fault() {
        assert!(fault("def f(row: int) -> int:\n    row = g(row)\n    return row\n").expect("a fault").contains("parameter `row`"));
    }

    #[test]
    fn a_class_replacing_an_import_is_a_fault() {
        assert!(fault("from app.db import Base\n\n\nclass Base(Base):\n    pass\n").expect("a fault").contains("both imported and defined"));
        assert!(fault("class str:\n    pass\n\n\nx: str = 'a'\n").expect("a fault").contains("builtin"));
    }

    #[test]
    fn methods_do_not_see_class_attributes() {
        // `self.name` is an attribute; the method's `name` read resolves past the class.
        let code = "name = 1\n\n\nclass A:\n    value: int\n\n    def f(self) -> int:\n        return name + self.value\n";
        assert_eq!(fault(code), None);
    }

    #[test]
    fn comprehension_targets_are_their_own_scope() {
        assert_eq!(fault("def f(xs: list[int]) -> list[int]:\n    return [x for x in xs]\n"), None);
    }
}
