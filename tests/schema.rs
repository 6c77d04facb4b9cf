//! The committed JSON Schema (schemas/backbone.schema.json) is what `backbone schema`
//! prints, is a valid draft 2020-12 schema, accepts every example, and names exactly the
//! keys that lowering reads. Update it with `BACKBONE_UPDATE_SCHEMA=1 cargo test --test schema`.

use std::path::Path;

use backbone::ir::lower::{COLUMN_KEYS, OPTIONS_KEYS, PROJECT_KEYS, RELATIONSHIP_KEYS, TABLE_KEYS};
use backbone::syntax::document::json_schema;
use serde_json::Value;

const SCHEMA_PATH: &str = "schemas/backbone.schema.json";

fn committed_schema() -> Value {
    let text = std::fs::read_to_string(SCHEMA_PATH).expect("schemas/backbone.schema.json exists");
    serde_json::from_str(&text).expect("the committed schema is JSON")
}

#[test]
fn committed_schema_is_up_to_date() {
    let generated = json_schema();
    if std::env::var_os("BACKBONE_UPDATE_SCHEMA").is_some() {
        std::fs::write(SCHEMA_PATH, &generated).expect("write the schema");
    }
    let committed = std::fs::read_to_string(SCHEMA_PATH).unwrap_or_default();
    assert!(committed == generated, "{SCHEMA_PATH} is stale: run `BACKBONE_UPDATE_SCHEMA=1 cargo test --test schema` and commit it");
}

#[test]
fn schema_is_valid_draft_2020_12() {
    let schema = committed_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(jsonschema::meta::is_valid(&schema), "the schema does not satisfy the draft 2020-12 meta-schema");
}

#[test]
fn every_example_satisfies_the_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("the schema compiles");
    let mut checked = 0;
    for entry in std::fs::read_dir("examples").expect("examples/ exists") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|extension| extension == "json") {
            let document: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("readable example")).expect("example is JSON");
            let errors: Vec<String> = validator.iter_errors(&document).map(|error| format!("{} at {}", error, error.instance_path())).collect();
            assert!(errors.is_empty(), "{} violates the schema:\n{}", path.display(), errors.join("\n"));
            checked += 1;
        }
    }
    assert!(checked >= 4, "expected the examples to be checked, found {checked}");
}

#[test]
fn schema_rejects_what_lowering_rejects() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("the schema compiles");
    let base = r#"{"project_name": "p", "db_type": "sqlite", "schema": [{"table_name": "users", "class_name": "User", "columns": [COLUMN]}]}"#;
    for column in [
        r#"{"name": "id", "type": "Varchar", "primary_key": true}"#,
        r#"{"name": "id", "type": "Integer", "primary_key": true, "nullable": null}"#,
        r#"{"name": "tier", "type": "Enum"}"#,
        r#"{"name": "owner_id", "type": "ForeignKey"}"#,
        r#"{"name": "id", "type": "Integer", "length": 10}"#,
        r#"{"name": "id", "type": "Integer", "primary_key": "true"}"#,
        r#"{"name": "__id", "type": "Integer"}"#,
    ] {
        let document: Value = serde_json::from_str(&base.replace("COLUMN", column)).expect("test document is JSON");
        assert!(!validator.is_valid(&document), "the schema accepts {column}");
    }
}

/// The properties the schema defines for `definition` (or the root).
fn properties(schema: &Value, definition: Option<&str>) -> Vec<String> {
    let object = definition.map_or(schema, |name| &schema["$defs"][name]);
    let mut keys: Vec<String> = object["properties"].as_object().expect("an object schema").keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(keys: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = keys.iter().map(|key| (*key).to_owned()).collect();
    keys.sort();
    keys
}

#[test]
fn schema_and_lowering_know_the_same_keys() {
    let schema = committed_schema();
    assert_eq!(properties(&schema, None), sorted(PROJECT_KEYS));
    assert_eq!(properties(&schema, Some("Table")), sorted(TABLE_KEYS));
    assert_eq!(properties(&schema, Some("Options")), sorted(OPTIONS_KEYS));
    assert_eq!(properties(&schema, Some("Column")), sorted(COLUMN_KEYS));
    assert_eq!(properties(&schema, Some("Relationship")), sorted(RELATIONSHIP_KEYS));
    assert!(Path::new(SCHEMA_PATH).exists());
}
