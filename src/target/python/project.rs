//! View models of what the generated project ships with beside its code: the database
//! it was declared for (its driver as the default dependency, the other drivers as
//! extras), the container files (`Dockerfile`, `compose.yaml`, `.env.example`), its CI
//! workflow, and the row the README's walk-through creates and reads back.

use crate::ir::{ColumnSource, DbType, Example, ScalarType, Schema, samples};
use crate::order::BuildOrder;

/// The drivers of the servers the backend runs on: (extra name, requirement).
pub(super) const DRIVER_EXTRAS: [(&str, &str); 2] = [("postgresql", "psycopg[binary]>=3.1"), ("mysql", "pymysql>=1.1")];

/// The database the document declares (`db_type`), as the project's files name it.
pub struct DatabaseView {
    /// How the README names it (`PostgreSQL`).
    pub title: &'static str,
    /// The extra of its driver (`postgresql`), `None` for SQLite (no driver) and SQL
    /// Server (not supported).
    pub extra: Option<&'static str>,
    /// The driver's distribution, for the README (`psycopg`).
    pub driver: &'static str,
    /// The database server container of `compose.yaml` and of the CI workflow.
    pub server: Option<ServerView>,
    /// Whether the declared database is one the backend runs on (SQL Server is not).
    pub supported: bool,
}

/// A database server run in a container.
pub struct ServerView {
    pub image: &'static str,
    /// The container's environment: (name, value), values already YAML-quoted.
    pub environment: Vec<(&'static str, String)>,
    /// The `healthcheck.test` command, a YAML flow sequence.
    pub healthcheck: &'static str,
    pub port: u16,
    /// Where the server keeps its data (the named volume's mount point).
    pub data_dir: &'static str,
    /// The app's `DATABASE_URL` inside compose (host `db`), YAML-quoted.
    pub compose_url: String,
    /// The CI job's `DATABASE_URL` (host 127.0.0.1; a user that may create the tests'
    /// database), YAML-quoted.
    pub ci_url: String,
}

impl DatabaseView {
    pub fn new(db_type: DbType, database: &str) -> Self {
        let quoted = |text: String| format!("\"{text}\"");
        match db_type {
            DbType::Postgresql => Self {
                title: "PostgreSQL",
                extra: Some("postgresql"),
                driver: "psycopg",
                server: Some(ServerView {
                    image: "postgres:17",
                    environment: vec![
                        ("POSTGRES_USER", quoted(database.to_owned())),
                        ("POSTGRES_PASSWORD", quoted(database.to_owned())),
                        ("POSTGRES_DB", quoted(database.to_owned())),
                    ],
                    healthcheck: "[\"CMD-SHELL\", \"pg_isready -U \\\"$$POSTGRES_USER\\\" -d \\\"$$POSTGRES_DB\\\"\"]",
                    port: 5432,
                    data_dir: "/var/lib/postgresql/data",
                    compose_url: quoted(format!("postgresql+psycopg://{database}:{database}@db:5432/{database}")),
                    ci_url: quoted(format!("postgresql+psycopg://{database}:{database}@127.0.0.1:5432/{database}")),
                }),
                supported: true,
            },
            DbType::Mysql => Self {
                title: "MariaDB",
                extra: Some("mysql"),
                driver: "PyMySQL",
                server: Some(ServerView {
                    image: "mariadb:11.4",
                    environment: vec![
                        ("MARIADB_DATABASE", quoted(database.to_owned())),
                        ("MARIADB_USER", quoted(database.to_owned())),
                        ("MARIADB_PASSWORD", quoted(database.to_owned())),
                        ("MARIADB_ROOT_PASSWORD", quoted(format!("{database}-root"))),
                    ],
                    healthcheck: "[\"CMD\", \"healthcheck.sh\", \"--connect\", \"--innodb_initialized\"]",
                    port: 3306,
                    data_dir: "/var/lib/mysql",
                    compose_url: quoted(format!("mysql+pymysql://{database}:{database}@db:3306/{database}?charset=utf8mb4")),
                    // The tests create their own database, which only root may do there.
                    ci_url: quoted(format!("mysql+pymysql://root:{database}-root@127.0.0.1:3306/{database}?charset=utf8mb4")),
                }),
                supported: true,
            },
            DbType::Sqlite => Self { title: "SQLite", extra: None, driver: "", server: None, supported: true },
            DbType::Mssql => Self { title: "SQL Server", extra: None, driver: "", server: None, supported: false },
        }
    }
}

/// The database name the container files give the project (its name, lowercased, with
/// `-` as `_`): letters, digits and `_` only, safe in URLs and YAML.
pub(super) fn database_name(project_name: &str) -> String {
    project_name.replace('-', "_").to_ascii_lowercase()
}

/// A row the README's walk-through creates with `curl` and reads back.
pub struct ExampleRow {
    /// `/api/v1/<table>`.
    pub path: String,
    /// The JSON body on one line, quoted for a POSIX shell.
    pub body: String,
    /// `/api/v1/<table>/1`: the row's URL in a fresh database.
    pub url: String,
}

/// The first table in build order whose key is one autoincrement integer (so the first
/// row's URL is known, `/1`) and whose required fields all have a value that keeps the
/// column's constraints (and are no foreign keys); `None` when no table qualifies.
pub(super) fn example_row(schema: &Schema, order: &BuildOrder) -> Option<ExampleRow> {
    order.tables.iter().find_map(|&table_id| {
        let table = schema.table(table_id);
        let mut key = table.primary_key();
        let (_, key_column) = key.next()?;
        if key.next().is_some() || !key_column.autoincrement || key_column.ty != ScalarType::Integer {
            return None;
        }
        // Every field without a default: the required ones must have a value, an
        // optional one is left out when it has none (or is a foreign key).
        let mut fields = Vec::new();
        for column in &table.columns {
            if column.source != ColumnSource::Declared || column.default.is_some() || column.autoincrement {
                continue;
            }
            let value = if column.foreign_key.is_some() { None } else { example_value(column) };
            let name = serde_json::Value::String(column.name.to_string());
            match value {
                Some(value) => fields.push(format!("{name}: {value}")),
                None if column.nullable => {}
                None => return None,
            }
        }
        Some(ExampleRow {
            path: format!("/api/v1/{}", table.name),
            body: shell_quoted(&format!("{{{}}}", fields.join(", "))),
            url: format!("/api/v1/{}/1", table.name),
        })
    })
}

/// A JSON literal the column accepts, or `None` when it is not obvious (a bounded number).
fn example_value(column: &crate::ir::Column) -> Option<String> {
    let constraints = &column.constraints;
    if let Some(example) = constraints.examples.first() {
        return Some(match example {
            Example::Integer(integer) => integer.to_string(),
            Example::Number(text) if matches!(column.ty, ScalarType::Numeric { .. }) => serde_json::Value::String(text.clone()).to_string(),
            Example::Number(text) => text.clone(),
            Example::Text(text) => serde_json::Value::String(text.clone()).to_string(),
            Example::Boolean(flag) => flag.to_string(),
        });
    }
    let bounded = constraints.minimum.is_some() || constraints.maximum.is_some();
    Some(match &column.ty {
        ScalarType::String { .. } | ScalarType::Text => {
            let text = samples::valid_texts(constraints, &column.ty, 1).into_iter().next()?;
            serde_json::Value::String(text).to_string()
        }
        ScalarType::Integer if !bounded => "1".to_owned(),
        ScalarType::Float if !bounded => "1.5".to_owned(),
        ScalarType::Numeric { .. } if !bounded => "\"1\"".to_owned(),
        ScalarType::Boolean => "true".to_owned(),
        ScalarType::Date => "\"2024-05-01\"".to_owned(),
        ScalarType::DateTime => "\"2024-05-01T12:00:00Z\"".to_owned(),
        ScalarType::Time => "\"12:00:00\"".to_owned(),
        ScalarType::Enum { values } => serde_json::Value::String(values.first()?.clone()).to_string(),
        ScalarType::Integer | ScalarType::Float | ScalarType::Numeric { .. } => return None,
    })
}

/// `text` in single quotes for a POSIX shell (a `'` inside becomes `'\''`).
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
