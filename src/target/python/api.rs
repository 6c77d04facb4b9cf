//! View models of the HTTP API: the Pydantic schemas and the FastAPI router of each
//! table as code nodes, and the constraint messages of 409 responses.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::code::{Arg, Body, Class, Expr, Function, Module, Param, Stmt, Symbol};
use super::layout::{self, Expr as Layout};
use super::names::{PyIdent, PyStr};
use super::scalar::{self, Facts, PyName};
use super::view::{PySchema, constraint_name, defaults};
use crate::ir::{Column, ColumnSource, Example, ScalarType, TableId};

/// The schemas module and the router module of one table.
pub struct ApiView {
    pub module: PyIdent,
    /// The URL segment: the table name (`^[a-z0-9_]+$`, safe in a path).
    pub path: String,
    /// The imports, enum aliases and five schema classes, printed from their code nodes
    /// (a tree of every module at once would take several times the memory).
    pub(super) schemas: String,
    /// The imports, the router, its column map and its routes, printed.
    pub(super) router: String,
}

/// JSON names that are the list endpoint's own parameters, so no filter can use them.
pub(super) const CONTROL_PARAMETERS: [&str; 3] = ["limit", "offset", "sort"];

fn owned(text: &str) -> Cow<'static, str> {
    Cow::Owned(text.to_owned())
}

/// `Field(…)` of pydantic.
fn field(args: Vec<Arg>) -> Expr {
    Symbol::name("pydantic", "Field").call(args)
}

/// `model_config = ConfigDict(…)`.
fn model_config(args: Vec<Arg>) -> Stmt {
    Stmt::assign("model_config", Symbol::name("pydantic", "ConfigDict").call(args))
}

fn schema_class(name: String, docstring: &str, mut head: Vec<Stmt>, fields: Vec<Stmt>) -> Stmt {
    if !head.is_empty() && !fields.is_empty() {
        head.push(Stmt::Blank);
    }
    head.extend(fields);
    Stmt::Class(Class { name: name.into(), bases: vec![Symbol::name("pydantic", "BaseModel")], docstring: Some(docstring.to_owned()), body: head })
}

/// The fields of a table's schemas, column by column.
#[derive(Default)]
struct Fields {
    create: Vec<Stmt>,
    update: Vec<Stmt>,
    /// Fields an update may set but not to null.
    not_null: Vec<Expr>,
    read: Vec<Stmt>,
    query: Vec<Stmt>,
}

pub(super) fn api(py: &PySchema<'_>, table_id: TableId) -> ApiView {
    let table = py.schema.table(table_id);
    let class = table.class_name.as_str();
    let mut fields = Fields::default();
    let mut enum_aliases = Vec::new();
    for (column_idx, column) in table.columns.iter().enumerate() {
        let attr = py.column_attr(table_id, column_idx);
        let json_name = column.name.as_str();
        let aliased = attr.as_str() != json_name;
        let mut alias = None;
        if let ScalarType::Enum { values } = &column.ty {
            let name = super::view::enum_alias(class, attr.as_str());
            if !enum_aliases.is_empty() {
                enum_aliases.push(Stmt::Blank);
            }
            enum_aliases.push(Stmt::assign(name.clone(), literal(Symbol::name("typing", "Literal"), values)));
            alias = Some(name);
        }
        let type_of = |name: PyName<'_>| type_expr(name, alias.as_deref());
        let row = scalar::row(&column.ty, Facts::default());
        if !column.write_only {
            // Written, never read: a write-only column has no response field, filter or sort key.
            let read_field = aliased.then(|| field(vec![Arg::kw("serialization_alias", Expr::str(json_name))]));
            fields.read.push(Stmt::annotated(attr.to_string(), type_of(row.read).or_none(column.nullable), read_field));
            // Lists hold live rows only: a filter on the soft-delete columns could only
            // ever match nothing, so there is none.
            if !CONTROL_PARAMETERS.contains(&json_name) && column.source != ColumnSource::SoftDelete {
                let mut args = vec![Arg::kw("default", Expr::none())];
                if let ScalarType::Numeric { precision, scale } = column.ty {
                    // A value the column cannot hold matches no row; it is a 422 instead of
                    // a number the database might reject.
                    args.push(Arg::kw("max_digits", Expr::lit(precision.to_string())));
                    args.push(Arg::kw("decimal_places", Expr::lit(scale.to_string())));
                }
                if aliased {
                    args.push(Arg::kw("alias", Expr::str(json_name)));
                }
                fields.query.push(Stmt::annotated(attr.to_string(), type_of(row.filter).or_none(true), Some(field(args))));
            }
        }
        if is_writable(column) {
            let input = type_of(row.input);
            let mut extra = refined_limits(column, row.limits);
            extra.extend(aliased.then(|| Arg::kw("validation_alias", Expr::str(json_name))));
            fields.create.push(create_field(attr, column, input.clone(), &extra));
            if !column.primary_key {
                let mut update_args = vec![Arg::kw("default", Expr::none())];
                update_args.extend(extra);
                fields.update.push(Stmt::annotated(attr.to_string(), input.or_none(true), Some(field(update_args))));
                if !column.nullable {
                    fields.not_null.push(Expr::str(attr.as_str()));
                }
            }
        }
    }
    ApiView {
        module: py.modules[table_id.0].clone(),
        path: table.name.to_string(),
        schemas: Module::new(schemas(class, enum_aliases, fields)).to_string(),
        router: Module::new(router(py, table_id)).to_string(),
    }
}

/// `Literal["a", "b"]` of enum values, spelled through `literal_name`.
fn literal(literal_name: Expr, values: &[String]) -> Expr {
    literal_name.index(values.iter().map(|value| Expr::str(value)).collect())
}

/// A type of the scalar table as code; an enum's `Literal[…]` is the column's alias
/// when it has one.
fn type_expr(name: PyName<'_>, alias: Option<&str>) -> Expr {
    match (name, alias) {
        (PyName::EnumLiteral(_), Some(alias)) => Expr::name(owned(alias)),
        (PyName::EnumLiteral(values), None) => literal(Symbol::name("typing", "Literal"), values),
        (name, _) => name.expr().unwrap_or_else(|| Expr::name("str")),
    }
}

/// The five schema classes of a table, after its enum aliases.
fn schemas(class: &str, aliases: Vec<Stmt>, fields: Fields) -> Body {
    let mut body = aliases;
    let forbid = || model_config(vec![Arg::kw("extra", Expr::str("forbid"))]);
    body.push(schema_class(format!("{class}Create"), "The body of a create: required fields have no default.", vec![forbid()], fields.create));
    let mut update = fields.update;
    if !fields.not_null.is_empty() {
        let this = || Expr::name("self");
        let field_name = || Expr::name("field");
        let set = field_name().binary("in", this().attr("model_fields_set"));
        let is_null = Expr::name("getattr").call(vec![this().into(), field_name().into()]).binary("is", Expr::none());
        let refuse = Stmt::Raise(Expr::name("ValueError").call(vec![Expr::lit("f\"{field} cannot be null\"").into()]));
        let check = Stmt::For {
            target: "field".into(),
            iter: Expr::Tuple(fields.not_null),
            body: vec![Stmt::If { test: set.binary("and", is_null), body: vec![refuse] }],
        };
        let validator = Function::new("_not_null", vec![Param { name: "self".into(), annotation: None, default: None }], Symbol::name("typing", "Self"))
            .decorated(Symbol::name("pydantic", "model_validator").call(vec![Arg::kw("mode", Expr::str("after"))]))
            .body(vec![check, Stmt::ret(this())]);
        update.push(Stmt::Def(validator));
    }
    body.push(schema_class(format!("{class}Update"), "The body of a partial update: only the fields given change.", vec![forbid()], update));
    body.push(schema_class(format!("{class}Read"), "A stored row.", vec![model_config(vec![Arg::kw("from_attributes", Expr::bool(true))])], fields.read));
    let page = vec![
        Stmt::annotated("data", Expr::name("list").index(vec![Expr::name(format!("{class}Read"))]), None),
        Stmt::annotated("count", Expr::name("int"), None),
    ];
    body.push(schema_class(format!("{class}Page"), "One page of rows and the number of rows that match.", Vec::new(), page));
    let int = |name: &'static str, default: &'static str, ge: &'static str, le: &'static str| {
        let args = vec![Arg::kw("default", Expr::lit(default)), Arg::kw("ge", Expr::lit(ge)), Arg::kw("le", Expr::lit(le))];
        Stmt::annotated(name, Expr::name("int"), Some(field(args)))
    };
    let mut query = vec![int("limit", "100", "1", "1000"), int("offset", "0", "0", "2147483647")];
    query.push(Stmt::annotated("sort", Expr::name("str").or_none(true), Some(Expr::none())));
    query.extend(fields.query);
    body.push(schema_class(format!("{class}Query"), "Pagination, sorting (`?sort=a,-b`) and equality filters of the list endpoint.", vec![forbid()], query));
    Body(body)
}

/// The router of a table: `router`, its `COLUMNS` map and its routes.
fn router(py: &PySchema<'_>, table_id: TableId) -> Body {
    let schema = py.schema;
    let table = schema.table(table_id);
    let module = py.modules[table_id.0].as_str();
    let class_name = table.class_name.as_str();
    let class = || Symbol::name(format!("app.models.{module}"), owned(class_name));
    let schema_class = |suffix: &str| Symbol::name(format!("app.schemas.{module}"), format!("{class_name}{suffix}"));
    let fastapi = || Symbol::module("fastapi");
    let typing = || Symbol::module("typing");
    let crud = || Symbol::name("app", "crud");
    let soft_delete = table.options.use_soft_delete;
    let mut body = vec![
        Stmt::assign(
            "router",
            fastapi().attr("APIRouter").call(vec![
                Arg::kw("prefix", Expr::str(&format!("/api/v1/{}", table.name))),
                Arg::kw("tags", Expr::List(vec![Expr::str(table.name.as_str())])),
            ]),
        ),
        Stmt::Blank,
    ];
    let columns = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, column)| !column.write_only)
        .map(|(column_idx, column)| (Expr::str(column.name.as_str()), class().attr(py.column_attr(table_id, column_idx).to_string())))
        .collect();
    let any_dict = || Expr::name("dict").index(vec![Expr::name("str"), typing().attr("Any")]);
    body.push(Stmt::annotated("COLUMNS", any_dict(), Some(Expr::Dict { entries: columns, exploded: true })));
    if soft_delete {
        let live =
            Function::new("_live", vec![Param::new("row", class())], Expr::name("bool")).body(vec![Stmt::ret(Expr::name("row").attr("is_deleted").not())]);
        body.push(Stmt::Def(live));
    }
    let key: Vec<(PyIdent, Expr)> = table.primary_key().map(|(column_id, column)| (py.column_attr(table_id, column_id.0).clone(), path_type(column))).collect();
    let key_path: String = key.iter().flat_map(|(attr, _)| ["/{", attr.as_str(), "}"]).collect();
    let key_params: Vec<Param> = key.iter().map(|(attr, annotation)| Param::new(attr.to_string(), annotation.clone())).collect();
    let key_tuple = Expr::Tuple(key.iter().map(|(attr, _)| Expr::name(attr.to_string())).collect());
    let session = || Param::new("session", Symbol::name("app.deps", "SessionDep"));
    let with_session = |mut params: Vec<Param>| {
        params.push(session());
        params
    };
    let route = |method: &str, path: &str, args: Vec<Arg>| {
        let mut all = vec![Arg::Positional(Expr::str(path))];
        all.extend(args);
        Expr::name("router").attr(owned(method)).call(all)
    };
    let kw = |name: &'static str, value: Expr| Arg::kw(name, value);
    let responses = |name: &'static str| kw("responses", crud().attr(name));
    let session_name = || Expr::name("session");
    let mut lookup_args: Vec<Arg> = vec![session_name().into(), class().into(), key_tuple.into()];
    if soft_delete {
        lookup_args.push(Expr::name("_live").into());
    }
    let lookup = crud().attr("get_or_404").call(lookup_args);
    let fetch_row = || Stmt::assign("row", lookup.clone());
    let commit = || Stmt::Expr(crud().attr("commit").call(vec![session_name().into()]));
    let refresh = || Stmt::Expr(session_name().attr("refresh").call(vec![Expr::name("row").into()]));
    let no_content = || Stmt::ret(fastapi().attr("Response").call(vec![kw("status_code", Expr::lit("204"))]));
    let handlers = HandlerNames::of(py, table_id);
    let read_model = || kw("response_model", schema_class("Read"));

    let live = if soft_delete { class().attr("is_deleted").attr("is_").call(vec![Expr::bool(false).into()]) } else { Expr::none() };
    let page_args = vec![session_name().into(), class().into(), Expr::name("query").into(), Expr::name("COLUMNS").into(), Expr::name("live").into()];
    let query_param = Param::new("query", typing().attr("Annotated").index(vec![schema_class("Query"), fastapi().attr("Query").call(vec![])]));
    body.push(Stmt::Def(
        Function::new(handlers.list.clone(), with_session(vec![query_param]), any_dict())
            .decorated(route("get", "", vec![kw("response_model", schema_class("Page"))]))
            .doc("Rows matching the filters, a page at a time, with the total count.")
            .body(vec![
                Stmt::assign("live", live),
                Stmt::assign("rows, count", crud().attr("page").call(page_args)),
                Stmt::ret(Expr::Dict { entries: vec![(Expr::str("data"), Expr::name("rows")), (Expr::str("count"), Expr::name("count"))], exploded: false }),
            ]),
    ));
    let dump = |target: Expr| target.attr("model_dump").call(vec![kw("exclude_unset", Expr::bool(true))]);
    body.push(Stmt::Def(
        Function::new(handlers.create.clone(), with_session(vec![Param::new("body", schema_class("Create"))]), class())
            .decorated(route("post", "", vec![kw("status_code", Expr::lit("201")), kw("response_model", schema_class("Read")), responses("CONFLICT")]))
            .doc("Stores a new row and returns it as stored.")
            .body(vec![
                Stmt::assign("row", class().call(vec![Arg::Unpack(dump(Expr::name("body")))])),
                Stmt::Expr(session_name().attr("add").call(vec![Expr::name("row").into()])),
                commit(),
                refresh(),
                Stmt::ret(Expr::name("row")),
            ]),
    ));
    body.push(Stmt::Def(
        Function::new(handlers.read.clone(), with_session(key_params.clone()), class())
            .decorated(route("get", &key_path, vec![read_model(), responses("NOT_FOUND")]))
            .doc("The row with this key, or 404.")
            .body(vec![Stmt::ret(lookup.clone())]),
    ));
    let mut update_params = key_params.clone();
    update_params.push(Param::new("body", schema_class("Update")));
    let set_field = Stmt::Expr(Expr::name("setattr").call(vec![Expr::name("row").into(), Expr::name("field").into(), Expr::name("value").into()]));
    body.push(Stmt::Def(
        Function::new(handlers.update.clone(), with_session(update_params), class())
            .decorated(route("patch", &key_path, vec![read_model(), responses("NOT_FOUND_OR_CONFLICT")]))
            .doc("Changes the fields given and returns the row.")
            .body(vec![
                fetch_row(),
                Stmt::For { target: "field, value".into(), iter: dump(Expr::name("body")).attr("items").call(vec![]), body: vec![set_field] },
                commit(),
                refresh(),
                Stmt::ret(Expr::name("row")),
            ]),
    ));
    let (delete_doc, delete_responses, mut delete_body) = if soft_delete {
        let now = Symbol::name("app.db", "utcnow").call(vec![]);
        // A soft delete only sets two columns; a delete may be refused by a foreign key.
        (
            "Marks the row deleted; it then reads as absent.",
            "NOT_FOUND",
            vec![fetch_row(), Stmt::assign("row.deleted_at", now), Stmt::assign("row.is_deleted", Expr::bool(true))],
        )
    } else {
        ("Deletes the row.", "NOT_FOUND_OR_CONFLICT", vec![fetch_row(), Stmt::Expr(session_name().attr("delete").call(vec![Expr::name("row").into()]))])
    };
    delete_body.extend([commit(), no_content()]);
    body.push(Stmt::Def(
        Function::new(handlers.delete.clone(), with_session(key_params.clone()), fastapi().attr("Response"))
            .decorated(route("delete", &key_path, vec![kw("status_code", Expr::lit("204")), responses(delete_responses)]))
            .doc(delete_doc)
            .body(delete_body),
    ));
    for relation in schema.relations_of(table_id) {
        let Some(association) = relation.association.filter(|_| !relation.read_only) else { continue };
        let Some(attr) = py.relation_attr(table_id, relation.name.as_str()) else { continue };
        let Some([list_name, link_name, unlink_name]) = handlers.links.get(relation.name.as_str()) else { continue };
        let target = schema.table(relation.target);
        let target_class_name = target.class_name.as_str();
        let target_module = py.modules[relation.target.0].as_str();
        let target_class = || Symbol::name(format!("app.models.{target_module}"), owned(target_class_name));
        // Links are rows of the association table, written through its own model: the
        // many-to-many attribute only reads.
        let association_class = Symbol::name(format!("app.models.{}", py.modules[association.table.0]), schema.table(association.table).class_name.to_string());
        let mut link_args: Vec<Arg> = vec![session_name().into(), association_class.into()];
        for (column, side) in [(association.owner_column, "row"), (association.target_column, "other")] {
            let Some(key) = &schema.table(association.table).column(column).foreign_key else { continue };
            let referenced = py.column_attr(key.target.table, key.target.column.0);
            link_args.push(Arg::kw(py.column_attr(association.table, column.0).to_string(), Expr::name(side).attr(referenced.to_string())));
        }
        let other: Vec<(String, Expr)> =
            target.primary_key().map(|(column_id, column)| (format!("other_{}", py.column_attr(relation.target, column_id.0)), path_type(column))).collect();
        let other_path: String = other.iter().flat_map(|(name, _)| ["/{", name.as_str(), "}"]).collect();
        let other_tuple = Expr::Tuple(other.iter().map(|(name, _)| Expr::name(name.clone())).collect());
        let mut other_params = key_params.clone();
        other_params.extend(other.iter().map(|(name, annotation)| Param::new(name.clone(), annotation.clone())));
        let segment = relation.name.as_str();
        let link_path = format!("{key_path}/{segment}{other_path}");
        let mut fetch_args: Vec<Arg> = vec![session_name().into(), target_class().into(), other_tuple.into()];
        if target.options.use_soft_delete {
            fetch_args.push(crud().attr("not_deleted").into());
        }
        let fetch_other = Stmt::assign("other", crud().attr("get_or_404").call(fetch_args));
        let linked = Expr::name("row").attr(attr.to_string());
        let listed = if target.options.use_soft_delete {
            let element = Expr::name("other");
            Expr::ListComp {
                element: Box::new(element),
                target: "other".into(),
                iter: Box::new(linked),
                condition: Some(Box::new(Expr::name("other").attr("is_deleted").not())),
            }
        } else {
            Expr::name("list").call(vec![linked.into()])
        };
        let target_read = Symbol::name(format!("app.schemas.{target_module}"), format!("{target_class_name}Read"));
        body.push(Stmt::Def(
            Function::new(list_name.clone(), with_session(key_params.clone()), Expr::name("list").index(vec![target_class()]))
                .decorated(route(
                    "get",
                    &format!("{key_path}/{segment}"),
                    vec![kw("response_model", Expr::name("list").index(vec![target_read])), responses("NOT_FOUND")],
                ))
                .doc(format!("The linked `{target_class_name}` rows."))
                .body(vec![fetch_row(), Stmt::ret(listed)]),
        ));
        for (name, verb, method, doc) in [
            (link_name, "link", "put", "Links the two rows (nothing changes if they are linked already)."),
            (unlink_name, "unlink", "delete", "Unlinks the two rows (nothing changes if they are not linked)."),
        ] {
            body.push(Stmt::Def(
                Function::new(name.clone(), with_session(other_params.clone()), fastapi().attr("Response"))
                    .decorated(route(method, &link_path, vec![kw("status_code", Expr::lit("204")), responses("NOT_FOUND_OR_CONFLICT")]))
                    .doc(doc)
                    .body(vec![fetch_row(), fetch_other.clone(), Stmt::Expr(crud().attr(verb).call(link_args.clone())), no_content()]),
            ));
        }
    }
    Body(body)
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

/// Whether a client may set the column: not an autoincrement key, not an option column.
fn is_writable(column: &Column) -> bool {
    column.source == ColumnSource::Declared && !column.autoincrement
}

/// One field of the Create schema: required, or with the model's default.
fn create_field(attr: &PyIdent, column: &Column, input: Expr, extra: &[Arg]) -> Stmt {
    let mut args: Vec<Arg> = Vec::new();
    let annotation = match defaults(column).python {
        Some(value) => {
            // A default of the current time is computed per request, as the model does.
            let now = matches!(&value, Expr::Sym(Symbol::Name { name, .. }) if name == "utcnow");
            args.push(if now { Arg::kw("default_factory", value) } else { Arg::kw("default", value) });
            input.or_none(column.nullable)
        }
        None if column.nullable => {
            args.push(Arg::kw("default", Expr::none()));
            input.or_none(true)
        }
        None => input,
    };
    args.extend(extra.iter().cloned());
    Stmt::annotated(attr.to_string(), annotation, (!args.is_empty()).then(|| field(args)))
}

/// The `Field` arguments that enforce a column's limits: its type's (`limits`) and its
/// refined constraints (`--refine`); a refined `max_length` replaces the type's, which it
/// never exceeds.
fn refined_limits(column: &Column, limits: Vec<(&'static str, u64)>) -> Vec<Arg> {
    let constraints = &column.constraints;
    let mut args: Vec<Arg> = limits
        .into_iter()
        .filter(|(name, _)| !(*name == "max_length" && constraints.max_length.is_some()))
        .map(|(name, value)| Arg::kw(name, Expr::lit(value.to_string())))
        .collect();
    if let Some(max) = constraints.max_length {
        args.push(Arg::kw("max_length", Expr::lit(max.to_string())));
    }
    if let Some(min) = constraints.min_length {
        args.push(Arg::kw("min_length", Expr::lit(min.to_string())));
    }
    let numeric = matches!(column.ty, ScalarType::Numeric { .. });
    // Numeric bounds stay exact, as the column stores them.
    let bound = |text: &str| if numeric { Symbol::module("decimal").attr("Decimal").call(vec![Expr::str(text).into()]) } else { Expr::lit(text.to_owned()) };
    if let Some(minimum) = &constraints.minimum {
        args.push(Arg::kw("ge", bound(minimum)));
    }
    if let Some(maximum) = &constraints.maximum {
        args.push(Arg::kw("le", bound(maximum)));
    }
    if let Some(pattern) = &constraints.pattern {
        args.push(Arg::kw("pattern", Expr::str(pattern)));
    }
    if !constraints.examples.is_empty() {
        let examples = constraints
            .examples
            .iter()
            .map(|example| match example {
                Example::Integer(integer) => Expr::lit(integer.to_string()),
                Example::Number(text) if numeric => Expr::str(text),
                Example::Number(text) => Expr::lit(text.clone()),
                Example::Text(text) => Expr::str(text),
                Example::Boolean(flag) => Expr::bool(*flag),
            })
            .collect();
        args.push(Arg::kw("examples", Expr::List(examples)));
    }
    args
}

/// A path parameter's annotation, with the bounds that keep bad ids a 422.
fn path_type(column: &Column) -> Expr {
    let row = scalar::row(&column.ty, Facts::default());
    if let PyName::EnumLiteral(values) = row.path {
        // The router names typing's members qualified, so no table can shadow them.
        return literal(Symbol::module("typing").attr("Literal"), values);
    }
    let base = row.path.expr().unwrap_or_else(|| Expr::name("str"));
    if row.limits.is_empty() {
        return base;
    }
    let bounds = row.limits.into_iter().map(|(name, value)| Arg::kw(name, Expr::lit(value.to_string()))).collect();
    Symbol::module("typing").attr("Annotated").index(vec![base, Symbol::module("fastapi").attr("Path").call(bounds)])
}

/// The unique keys a client sets in each soft-delete table: one laid-out entry
/// (`"table": [("column",), …],`) of a dict per table, sorted by table. A deleted row
/// keeps its values, so a conflict on one of them may be with a row that reads as absent.
pub(super) fn soft_delete_keys(py: &PySchema<'_>) -> Vec<String> {
    let tuple = |columns: &[&str]| {
        let quoted: Vec<String> = columns.iter().map(|name| PyStr::new(*name).to_string()).collect();
        Layout::Atom(if quoted.len() == 1 { format!("({},)", quoted[0]) } else { format!("({})", quoted.join(", ")) })
    };
    let mut tables: Vec<&crate::ir::Table> = py.schema.tables.iter().filter(|table| table.options.use_soft_delete).collect();
    tables.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
    tables
        .into_iter()
        .filter_map(|table| {
            let mut unique: Vec<Layout> = Vec::new();
            let key: Vec<&str> = table.primary_key().map(|(_, column)| column.name.as_str()).collect();
            if table.primary_key().all(|(_, column)| !column.autoincrement) {
                unique.push(tuple(&key));
            }
            unique.extend(table.columns.iter().filter(|column| column.unique && !column.primary_key).map(|column| tuple(&[column.name.as_str()])));
            if unique.is_empty() {
                return None;
            }
            let keys = Layout::Call { head: String::new(), args: unique, tail: String::new(), brackets: layout::Brackets::Square };
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
