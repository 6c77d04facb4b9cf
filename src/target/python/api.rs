//! View models of the HTTP API: the Pydantic schemas and the FastAPI router of each
//! table, and the constraint messages of 409 responses.

use std::collections::BTreeSet;

use super::imports::ImportSet;
use super::layout::{self, Expr};
use super::names::{PyIdent, PyStr};
use super::scalar::{self, Facts, PyName};
use super::view::{PySchema, constraint_name, defaults};
use crate::ir::{Column, ColumnSource, Example, ScalarType, TableId};

/// The schemas module and the router module of one table.
pub struct ApiView {
    pub module: PyIdent,
    pub class_name: String,
    /// The URL segment: the table name (`^[a-z0-9_]+$`, safe in a path).
    pub path: String,
    pub schema_imports: String,
    pub create_fields: Vec<String>,
    pub update_fields: Vec<String>,
    /// Fields an update may set but not to null, as a Python tuple of field names.
    pub update_not_null: Option<String>,
    pub read_fields: Vec<String>,
    pub query_fields: Vec<String>,
    /// `"json_name": Class.attribute` entries of the router's column map.
    pub columns: Vec<String>,
    /// `router = fastapi.APIRouter(…)`, laid out.
    pub router_line: String,
    /// The decorators of the routes on one row (`@router.get("/{id}", …)`), laid out.
    pub create_decorator: String,
    pub read_decorator: String,
    pub update_decorator: String,
    pub delete_decorator: String,
    pub soft_delete: bool,
    /// Module-level `Literal[…]` aliases of the enum columns, laid out.
    pub enum_aliases: Vec<String>,
    /// The router's import block, from the names it uses.
    pub router_imports: String,
    /// The signatures (`def …:`) of the five routes, laid out.
    pub list_signature: String,
    pub create_signature: String,
    pub read_signature: String,
    pub update_signature: String,
    pub delete_signature: String,
    /// `row = crud.get_or_404(…)` and `return crud.get_or_404(…)`, laid out.
    pub fetch_row: String,
    pub return_row: String,
    /// The many-to-many link routes (`/{key}/{relation}[/{other key}]`).
    pub links: Vec<LinkView>,
}

/// The routes of one writable many-to-many attribute.
pub struct LinkView {
    /// The relationship attribute on the model.
    pub attr: PyIdent,
    pub target_class: String,
    pub list_decorator: String,
    pub list_signature: String,
    pub link_decorator: String,
    pub link_signature: String,
    pub unlink_decorator: String,
    pub unlink_signature: String,
    /// `other = crud.get_or_404(…)` for the linked row, laid out.
    pub fetch_other: String,
    /// The linked table soft-deletes: its deleted rows are neither listed nor linked.
    pub target_soft_delete: bool,
    /// `crud.link(…)` and `crud.unlink(…)` of the association row, laid out.
    pub link: String,
    pub unlink: String,
}

/// JSON names that are the list endpoint's own parameters, so no filter can use them.
pub(super) const CONTROL_PARAMETERS: [&str; 3] = ["limit", "offset", "sort"];

pub(super) fn api(py: &PySchema<'_>, table_id: TableId) -> ApiView {
    let schema = py.schema;
    let table = schema.table(table_id);
    let module = py.modules[table_id.0].clone();
    let module = module.as_str().to_owned();
    let mut imports = Imports::default();
    let mut create_fields = Vec::new();
    let mut update_fields = Vec::new();
    let mut read_fields = Vec::new();
    let mut query_fields = Vec::new();
    let mut not_null = Vec::new();
    let mut columns = Vec::new();
    let mut enum_aliases = Vec::new();
    for (column_idx, column) in table.columns.iter().enumerate() {
        let attr = py.column_attr(table_id, column_idx);
        let json_name = column.name.as_str();
        let aliased = attr.as_str() != json_name;
        imports.enum_alias = None;
        if let ScalarType::Enum { values } = &column.ty {
            imports.literal = true;
            let alias = super::view::enum_alias(table.class_name.as_str(), attr.as_str());
            let members = values.iter().map(|value| Expr::atom(PyStr::new(value.as_str()).to_string())).collect();
            enum_aliases.push(layout::layout(0, &format!("{alias} = "), &Expr::subscript("Literal", members), ""));
            imports.enum_alias = Some(alias);
        }
        if column.write_only {
            // Written, never read: no response field, no filter, no sort key.
            add_input(column, attr, json_name, &mut imports, &mut create_fields, &mut update_fields, &mut not_null);
            continue;
        }
        columns.push(format!("{}: {}.{attr}", PyStr::new(json_name), table.class_name));
        let read_type = nullable(plain_type(&column.ty, &mut imports), column.nullable);
        read_fields.push(if aliased {
            layout::layout(
                4,
                &format!("{attr}: {read_type} = "),
                &Expr::call("Field", vec![Expr::atom(format!("serialization_alias={}", PyStr::new(json_name)))]),
                "",
            )
        } else {
            format!("    {attr}: {read_type}")
        });
        // Lists hold live rows only: a filter on the soft-delete columns could only
        // ever match nothing, so there is none.
        if !CONTROL_PARAMETERS.contains(&json_name) && column.source != ColumnSource::SoftDelete {
            let mut args = vec![Expr::atom("default=None")];
            if let ScalarType::Numeric { precision, scale } = column.ty {
                // A value the column cannot hold matches no row; it is a 422 instead of
                // a number the database might reject.
                args.push(Expr::atom(format!("max_digits={precision}")));
                args.push(Expr::atom(format!("decimal_places={scale}")));
            }
            if aliased {
                args.push(Expr::atom(format!("alias={}", PyStr::new(json_name))));
            }
            let filter_type = nullable(filter_type(&column.ty, &mut imports), true);
            query_fields.push(layout::layout(4, &format!("{attr}: {filter_type} = "), &Expr::call("Field", args), ""));
        }
        add_input(column, attr, json_name, &mut imports, &mut create_fields, &mut update_fields, &mut not_null);
    }
    let mut key_imports = Imports::default();
    let key: Vec<(PyIdent, Expr)> =
        table.primary_key().map(|(column_id, column)| (py.column_attr(table_id, column_id.0).clone(), path_type(column, &mut key_imports))).collect();

    let key_names: Vec<String> = key.iter().map(|(attr, _)| attr.to_string()).collect();
    let key_path: String = key_names.iter().flat_map(|attr| ["/{", attr.as_str(), "}"]).collect();
    let key_tuple = if key_names.len() == 1 { format!("({},)", key_names[0]) } else { format!("({})", key_names.join(", ")) };
    let class = table.class_name.as_str();
    let key_parameters: Vec<Expr> = key.iter().map(|(attr, annotation)| parameter(attr.as_str(), annotation)).collect();
    let handlers = HandlerNames::of(py, table_id);
    let signature = |name: &str, mut parameters: Vec<Expr>, returns: &str| {
        parameters.push(Expr::atom("session: SessionDep"));
        layout::layout(0, "", &Expr::Call { head: format!("def {name}"), args: parameters, tail: format!(" -> {returns}:"), square: false }, "")
    };
    let mut lookup_args = vec![Expr::atom("session"), Expr::atom(class.to_owned()), Expr::atom(key_tuple.clone())];
    if table.options.use_soft_delete {
        lookup_args.push(Expr::atom("_live"));
    }
    let lookup = Expr::call("crud.get_or_404", lookup_args);
    let mut with_body = key_parameters.clone();
    with_body.push(Expr::atom(format!("body: {class}Update")));
    let schema_names: Vec<String> = ["Create", "Page", "Query", "Read", "Update"].iter().map(|suffix| format!("{class}{suffix}")).collect();
    let (links, link_imports) = links(py, table_id, &key_parameters, &key_path, &handlers, &mut key_imports);
    ApiView {
        module: PyIdent::clone(&py.modules[table_id.0]),
        enum_aliases,
        router_imports: {
            let mut imports = key_imports.stdlib.clone();
            imports.module("typing").module("fastapi").name("app", "crud").name("app.deps", "SessionDep");
            imports.extend(link_imports);
            for name in &key_imports.types {
                imports.name("app.types", *name);
            }
            if table.options.use_soft_delete {
                imports.name("app.db", "utcnow");
            }
            imports.name(format!("app.models.{module}"), class);
            for name in &schema_names {
                imports.name(format!("app.schemas.{module}"), name.as_str());
            }
            imports.render(0)
        },
        list_signature: signature(&handlers.list, vec![Expr::atom(format!("query: typing.Annotated[{class}Query, fastapi.Query()]"))], "dict[str, typing.Any]"),
        create_signature: signature(&handlers.create, vec![Expr::atom(format!("body: {class}Create"))], class),
        read_signature: signature(&handlers.read, key_parameters.clone(), class),
        update_signature: signature(&handlers.update, with_body, class),
        delete_signature: signature(&handlers.delete, key_parameters, "fastapi.Response"),
        links,
        fetch_row: layout::layout(4, "row = ", &lookup, ""),
        return_row: layout::layout(4, "return ", &lookup, ""),
        class_name: table.class_name.to_string(),
        path: table.name.to_string(),
        schema_imports: {
            imports.validator = !not_null.is_empty();
            imports.schema_block()
        },
        create_fields,
        update_fields,
        update_not_null: (!not_null.is_empty()).then(|| layout::for_tuple(8, "field", not_null.iter().cloned().map(Expr::Atom).collect())),
        read_fields,
        query_fields,
        columns,
        router_line: layout::layout(
            0,
            "router = ",
            &Expr::call(
                "fastapi.APIRouter",
                vec![
                    Expr::atom(format!("prefix={}", PyStr::new(format!("/api/v1/{}", table.name)))),
                    Expr::atom(format!("tags=[{}]", PyStr::new(table.name.as_str()))),
                ],
            ),
            "",
        ),
        create_decorator: decorator("post", "", &["status_code=201", &format!("response_model={class}Read"), "responses=crud.CONFLICT"]),
        read_decorator: decorator("get", &key_path, &[&format!("response_model={class}Read"), "responses=crud.NOT_FOUND"]),
        update_decorator: decorator("patch", &key_path, &[&format!("response_model={class}Read"), "responses=crud.NOT_FOUND_OR_CONFLICT"]),
        // A soft delete only sets two columns; a delete may be refused by a foreign key.
        delete_decorator: decorator(
            "delete",
            &key_path,
            &["status_code=204", if table.options.use_soft_delete { "responses=crud.NOT_FOUND" } else { "responses=crud.NOT_FOUND_OR_CONFLICT" }],
        ),
        soft_delete: table.options.use_soft_delete,
    }
}

/// The route functions of one router, named as a FastAPI engineer names them: the list
/// by the table (`list_posts`), one row by the class (`create_post`, `read_post`), and
/// the link routes by the class and the relationship (`list_post_tags`, `link_post_tags`).
/// They are the OpenAPI operation ids too (after the router's tag), so each is unique in
/// its router: a name taken already gets a trailing `_`.
struct HandlerNames {
    list: String,
    create: String,
    read: String,
    update: String,
    delete: String,
    /// Per writable many-to-many relationship: its list, link and unlink functions.
    links: std::collections::BTreeMap<String, [String; 3]>,
}

impl HandlerNames {
    fn of(py: &PySchema<'_>, table_id: TableId) -> Self {
        let schema = py.schema;
        let table = schema.table(table_id);
        let plural = py.modules[table_id.0].as_str().trim_end_matches('_').to_owned();
        let singular = super::names::snake_case(table.class_name.as_str());
        let mut taken = BTreeSet::new();
        let mut unique = |name: String| {
            let mut name = name;
            while !taken.insert(name.clone()) {
                name.push('_');
            }
            name
        };
        let [list, create, read, update, delete] =
            [format!("list_{plural}"), format!("create_{singular}"), format!("read_{singular}"), format!("update_{singular}"), format!("delete_{singular}")]
                .map(&mut unique);
        let links = schema
            .relations_of(table_id)
            .filter(|relation| relation.association.is_some() && !relation.read_only)
            .map(|relation| {
                let segment = relation.name.as_str();
                let functions = ["list", "link", "unlink"].map(|verb| unique(format!("{verb}_{singular}_{segment}")));
                (segment.to_owned(), functions)
            })
            .collect();
        Self { list, create, read, update, delete, links }
    }
}

/// The create and update fields of `column`, if a client writes it.
fn add_input(
    column: &Column,
    attr: &PyIdent,
    json_name: &str,
    imports: &mut Imports,
    create_fields: &mut Vec<String>,
    update_fields: &mut Vec<String>,
    not_null: &mut Vec<String>,
) {
    if !is_writable(column) {
        return;
    }
    let (input, limits) = input_type(&column.ty, imports);
    let mut extra: Vec<Expr> = refined_limits(column, limits);
    extra.extend((attr.as_str() != json_name).then(|| Expr::atom(format!("validation_alias={}", PyStr::new(json_name)))));
    create_fields.push(create_field(attr, column, &input, &extra, imports));
    if column.primary_key {
        return;
    }
    let mut update_args = vec![Expr::atom("default=None")];
    update_args.extend(extra);
    update_fields.push(layout::layout(4, &format!("{attr}: {} = ", nullable(input, true)), &Expr::call("Field", update_args), ""));
    if !column.nullable {
        not_null.push(PyStr::new(attr.as_str()).to_string());
    }
}

/// The link routes of `table_id`'s writable many-to-many attributes, and the imports
/// they need.
fn links(
    py: &PySchema<'_>,
    table_id: TableId,
    key_parameters: &[Expr],
    key_path: &str,
    handlers: &HandlerNames,
    imports: &mut Imports,
) -> (Vec<LinkView>, ImportSet) {
    let schema = py.schema;
    let mut links = Vec::new();
    let mut link_imports = ImportSet::default();
    for relation in schema.relations_of(table_id) {
        let Some(association) = relation.association.filter(|_| !relation.read_only) else { continue };
        let Some(attr) = py.relation_attr(table_id, relation.name.as_str()).cloned() else { continue };
        let target = schema.table(relation.target);
        let target_class = target.class_name.to_string();
        let target_module = &py.modules[relation.target.0];
        link_imports.name(format!("app.models.{target_module}"), target_class.as_str());
        // Links are rows of the association table, written through its own model: the
        // many-to-many attribute only reads.
        let association_class = schema.table(association.table).class_name.to_string();
        let association_module = &py.modules[association.table.0];
        link_imports.name(format!("app.models.{association_module}"), association_class.as_str());
        let mut link_args = vec![Expr::atom("session"), Expr::atom(association_class.clone())];
        for (column, side) in [(association.owner_column, "row"), (association.target_column, "other")] {
            let Some(key) = &schema.table(association.table).column(column).foreign_key else { continue };
            let referenced = py.column_attr(key.target.table, key.target.column.0);
            link_args.push(Expr::atom(format!("{}={side}.{referenced}", py.column_attr(association.table, column.0))));
        }
        let link_call = |verb: &str| layout::layout(4, "", &Expr::call(format!("crud.{verb}"), link_args.clone()), "");
        link_imports.name(format!("app.schemas.{target_module}"), format!("{target_class}Read"));
        let other: Vec<(String, Expr)> = target
            .primary_key()
            .map(|(column_id, column)| (format!("other_{}", py.column_attr(relation.target, column_id.0)), path_type(column, imports)))
            .collect();
        let other_path: String = other.iter().flat_map(|(name, _)| ["/{", name.as_str(), "}"]).collect();
        let other_tuple = if other.len() == 1 {
            format!("({},)", other[0].0)
        } else {
            format!("({})", other.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", "))
        };
        let segment = relation.name.as_str();
        let Some(link_handlers) = handlers.links.get(relation.name.as_str()) else { continue };
        let function = |name: &str, extra: &[(String, Expr)], returns: &str| {
            let mut parameters = key_parameters.to_vec();
            parameters.extend(extra.iter().map(|(name, annotation)| parameter(name, annotation)));
            parameters.push(Expr::atom("session: SessionDep"));
            layout::layout(0, "", &Expr::Call { head: format!("def {name}"), args: parameters, tail: format!(" -> {returns}:"), square: false }, "")
        };
        let list_path = format!("{key_path}/{segment}");
        let link_path = format!("{key_path}/{segment}{other_path}");
        let mut fetch_args = vec![Expr::atom("session"), Expr::atom(target_class.clone()), Expr::atom(other_tuple)];
        if target.options.use_soft_delete {
            fetch_args.push(Expr::atom("crud.not_deleted"));
        }
        links.push(LinkView {
            list_decorator: decorator("get", &list_path, &[&format!("response_model=list[{target_class}Read]"), "responses=crud.NOT_FOUND"]),
            list_signature: function(&link_handlers[0], &[], &format!("list[{target_class}]")),
            link_decorator: decorator("put", &link_path, &["status_code=204", "responses=crud.NOT_FOUND_OR_CONFLICT"]),
            link_signature: function(&link_handlers[1], &other, "fastapi.Response"),
            unlink_decorator: decorator("delete", &link_path, &["status_code=204", "responses=crud.NOT_FOUND_OR_CONFLICT"]),
            unlink_signature: function(&link_handlers[2], &other, "fastapi.Response"),
            fetch_other: layout::layout(4, "other = ", &Expr::call("crud.get_or_404", fetch_args), ""),
            target_soft_delete: target.options.use_soft_delete,
            link: link_call("link"),
            unlink: link_call("unlink"),
            attr,
            target_class,
        });
    }
    (links, link_imports)
}

/// `@router.<method>(<path>, <args>)`, laid out.
fn decorator(method: &str, path: &str, args: &[&str]) -> String {
    let mut items = vec![Expr::atom(PyStr::new(path).to_string())];
    items.extend(args.iter().map(|arg| Expr::atom(*arg)));
    layout::layout(0, "@", &Expr::call(format!("router.{method}"), items), "")
}

/// Whether a client may set the column: not an autoincrement key, not an option column.
fn is_writable(column: &Column) -> bool {
    column.source == ColumnSource::Declared && !column.autoincrement
}

fn nullable(ty: String, nullable: bool) -> String {
    if nullable { format!("{ty} | None") } else { ty }
}

/// One field of the Create schema: required, or with the model's default.
fn create_field(attr: &PyIdent, column: &Column, input: &str, extra: &[Expr], imports: &mut Imports) -> String {
    let mut uses = super::view::Uses::default();
    let default = defaults(column, &mut uses).python;
    let default_is_now = uses.db.contains("utcnow");
    imports.stdlib.extend(uses.stdlib);
    let mut args: Vec<Expr> = Vec::new();
    let annotation = match default {
        Some(expr) => {
            if default_is_now {
                imports.utcnow = true;
                args.push(Expr::atom("default_factory=utcnow"));
            } else {
                args.push(expr);
            }
            nullable(input.to_owned(), column.nullable)
        }
        None if column.nullable => {
            args.push(Expr::atom("default=None"));
            nullable(input.to_owned(), true)
        }
        None => input.to_owned(),
    };
    args.extend(extra.iter().cloned());
    if args.is_empty() {
        return format!("    {attr}: {annotation}");
    }
    layout::layout(4, &format!("{attr}: {annotation} = "), &Expr::call("Field", args), "")
}

/// The imports a schemas module needs, and the enum aliases it defines.
#[derive(Default)]
struct Imports {
    stdlib: ImportSet,
    pydantic: BTreeSet<&'static str>,
    types: BTreeSet<&'static str>,
    literal: bool,
    utcnow: bool,
    /// The alias name of the enum column being typed, set before typing it.
    enum_alias: Option<String>,
    /// The update schema has a validator (`Self`, `model_validator`).
    validator: bool,
}

impl Imports {
    /// `name` as code spells it, with its import recorded; an enum's `Literal[…]` is the
    /// column's alias when it has one.
    fn type_text(&mut self, name: PyName<'_>) -> String {
        if let Some(module) = name.stdlib_module() {
            self.stdlib.module(module);
        }
        match name {
            PyName::Builtin(text) | PyName::Stdlib { name: text, .. } => text.to_owned(),
            PyName::AppType(app_type) => {
                self.types.insert(app_type);
                app_type.to_owned()
            }
            PyName::EnumLiteral(values) => match &self.enum_alias {
                Some(alias) => alias.clone(),
                None => literal(values, self),
            },
        }
    }

    fn schema_block(&self) -> String {
        let mut imports = self.stdlib.clone();
        for name in ["BaseModel", "ConfigDict", "Field"].into_iter().chain(self.pydantic.iter().copied()) {
            imports.name("pydantic", name);
        }
        if self.validator {
            imports.name("typing", "Self").name("pydantic", "model_validator");
        }
        if self.literal {
            imports.name("typing", "Literal");
        }
        if self.utcnow {
            imports.name("app.db", "utcnow");
        }
        for name in &self.types {
            imports.name("app.types", *name);
        }
        imports.render(0)
    }
}

/// The type of a value read back (responses).
fn plain_type(ty: &ScalarType, imports: &mut Imports) -> String {
    imports.type_text(scalar::row(ty, Facts::default()).read)
}

/// The `Field` arguments that enforce a column's limits: its type's (`limits`) and its
/// refined constraints (`--refine`); a refined `max_length` replaces the type's, which it
/// never exceeds.
fn refined_limits(column: &Column, mut limits: Vec<String>) -> Vec<Expr> {
    let constraints = &column.constraints;
    if let Some(max) = constraints.max_length {
        limits.retain(|limit| !limit.starts_with("max_length="));
        limits.push(format!("max_length={max}"));
    }
    if let Some(min) = constraints.min_length {
        limits.push(format!("min_length={min}"));
    }
    let numeric = matches!(column.ty, ScalarType::Numeric { .. });
    // Numeric bounds stay exact, as the column stores them.
    let bound = |text: &str| if numeric { format!("decimal.Decimal({})", PyStr::new(text)) } else { text.to_owned() };
    if let Some(minimum) = &constraints.minimum {
        limits.push(format!("ge={}", bound(minimum)));
    }
    if let Some(maximum) = &constraints.maximum {
        limits.push(format!("le={}", bound(maximum)));
    }
    if let Some(pattern) = &constraints.pattern {
        limits.push(format!("pattern={}", PyStr::new(pattern)));
    }
    let mut args: Vec<Expr> = limits.into_iter().map(Expr::Atom).collect();
    if !constraints.examples.is_empty() {
        let examples = constraints
            .examples
            .iter()
            .map(|example| match example {
                Example::Integer(integer) => Expr::atom(integer.to_string()),
                Example::Number(text) if numeric => Expr::atom(PyStr::new(text).to_string()),
                Example::Number(text) => Expr::atom(text.clone()),
                Example::Text(text) => Expr::atom(PyStr::new(text).to_string()),
                Example::Boolean(flag) => Expr::atom(if *flag { "True" } else { "False" }),
            })
            .collect();
        args.push(Expr::Call { head: "examples=".to_owned(), args: examples, tail: String::new(), square: true });
    }
    args
}

/// The type of a value in a request body, and the `Field` arguments that enforce the
/// column's limits.
fn input_type(ty: &ScalarType, imports: &mut Imports) -> (String, Vec<String>) {
    let row = scalar::row(ty, Facts::default());
    (imports.type_text(row.input), row.input_limits)
}

/// A path parameter's annotation, with the bounds that keep bad ids a 422; a
/// subscript, so that a long one breaks as ruff breaks it.
fn path_type(column: &Column, imports: &mut Imports) -> Expr {
    let row = scalar::row(&column.ty, Facts::default());
    if let PyName::EnumLiteral(values) = row.path {
        // The router names typing's members qualified, so no table can shadow them.
        return Expr::subscript("typing.Literal", values.iter().map(|value| Expr::atom(PyStr::new(value.as_str()).to_string())).collect());
    }
    let base = imports.type_text(row.path);
    match row.path_bounds {
        Some(bounds) => Expr::subscript("typing.Annotated", vec![Expr::atom(base), Expr::atom(format!("fastapi.Path({bounds})"))]),
        None => Expr::atom(base),
    }
}

/// `name: annotation` as one parameter of a signature.
fn parameter(name: &str, annotation: &Expr) -> Expr {
    match annotation {
        Expr::Atom(text) => Expr::atom(format!("{name}: {text}")),
        Expr::Call { head, args, tail, square } => Expr::Call { head: format!("{name}: {head}"), args: args.clone(), tail: tail.clone(), square: *square },
    }
}

/// The type of a list filter (`?column=value`).
fn filter_type(ty: &ScalarType, imports: &mut Imports) -> String {
    imports.type_text(scalar::row(ty, Facts::default()).filter)
}

fn literal(values: &[String], imports: &mut Imports) -> String {
    imports.literal = true;
    format!("Literal[{}]", values.iter().map(|value| PyStr::new(value.as_str()).to_string()).collect::<Vec<_>>().join(", "))
}

/// The unique keys a client sets in each soft-delete table: one laid-out entry
/// (`"table": [("column",), …],`) of a dict per table, sorted by table. A deleted row
/// keeps its values, so a conflict on one of them may be with a row that reads as absent.
pub(super) fn soft_delete_keys(py: &PySchema<'_>) -> Vec<String> {
    let tuple = |columns: &[&str]| {
        let quoted: Vec<String> = columns.iter().map(|name| PyStr::new(*name).to_string()).collect();
        Expr::Atom(if quoted.len() == 1 { format!("({},)", quoted[0]) } else { format!("({})", quoted.join(", ")) })
    };
    let mut tables: Vec<&crate::ir::Table> = py.schema.tables.iter().filter(|table| table.options.use_soft_delete).collect();
    tables.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    tables
        .into_iter()
        .filter_map(|table| {
            let mut unique: Vec<Expr> = Vec::new();
            let key: Vec<&str> = table.primary_key().map(|(_, column)| column.name.as_str()).collect();
            if table.primary_key().all(|(_, column)| !column.autoincrement) {
                unique.push(tuple(&key));
            }
            unique.extend(table.columns.iter().filter(|column| column.unique && !column.primary_key).map(|column| tuple(&[column.name.as_str()])));
            if unique.is_empty() {
                return None;
            }
            let keys = Expr::Call { head: String::new(), args: unique, tail: String::new(), square: true };
            Some(layout::layout(4, &format!("{}: ", PyStr::new(table.name.as_str())), &keys, ","))
        })
        .collect()
}

/// Every constraint name with what its violation means, for `app/errors.py`.
pub(super) fn constraint_messages(py: &PySchema<'_>) -> Vec<(PyStr, PyStr)> {
    let schema = py.schema;
    let mut messages = Vec::new();
    for table in &schema.tables {
        for column in &table.columns {
            let qualified = format!("{}.{}", table.name, column.name);
            if column.unique {
                let message = PyStr::new(format!("`{}` must be unique: another `{}` row has this value", column.name, table.name));
                messages.push((PyStr::new(constraint_name("uq", &format!("{}_{}", table.name, column.name))), message.clone()));
                messages.push((PyStr::new(qualified.as_str()), message));
            }
            if let Some(key) = &column.foreign_key {
                let target = schema.qualified(key.target);
                messages.push((
                    PyStr::new(constraint_name("fk", &format!("{}_{}", table.name, column.name))),
                    PyStr::new(format!(
                        "`{qualified}` must reference an existing `{target}`, and a referenced row cannot be removed while `{}` rows point at it",
                        table.name
                    )),
                ));
            }
        }
        let key: Vec<&str> = table.primary_key().map(|(_, column)| column.name.as_str()).collect();
        let message = PyStr::new(format!("a `{}` row with this key ({}) already exists", table.name, key.join(", ")));
        messages.push((PyStr::new(constraint_name("pk", table.name.as_str())), message.clone()));
        for column in &key {
            messages.push((PyStr::new(format!("{}.{column}", table.name)), message.clone()));
        }
    }
    messages.sort();
    messages.dedup_by(|a, b| a.0 == b.0);
    messages
}
